"""Which regions and years each target of a pack binds: the one applicability rule.

The engine (:func:`qualityrules.evaluate`), :func:`qualityrules.binding`,
:func:`qualityrules.compare`, ``Report.verdict``/``explain`` and the hypothesis strategies all
ask this module; none of them repeats its reasoning.

**Regions.** A pack answers for its *area*: the region it names (``region``), the regions of its
``scope``, and every region below those in the region hierarchy (``rules/regions.csv``, with the
caller's ``hierarchy=`` laid over it; :mod:`qualityrules.packs.regions`). Inside the area,

* a target on a total or a rank (:func:`~qualityrules.packs.resolve.extensive`: counts, money,
  areas, persons, ranks) binds only the regions its origin pack names — 广东省's 3万家 binds
  广东省, never 深圳市; 龙岗区's 700家 binds 龙岗区, never one of its streets;
* every other target (shares, rates, concentrations, intensities, per-capita values, indices,
  scores) binds every region of the area: the rate a pack sets, or inherits, flows down.

A region outside the area — not the pack's region, not in its scope, not below either — is
not-applicable for every target: the pack does not speak for it. :func:`outside_warning` names
such regions (a report warning, QR240), with the pack of the lineage that does cover them.

**Years.** A pack is in force in the years of its ``period`` (every year when it states none). A
target binds in a year when both the pack being applied and the pack stating the target are in
force then: ``shenzhen-2016`` (2016) inherits ``shenzhen-2020``'s targets for 2020, but a 2016
work plan does not bind in 2020; a target whose year lies outside its own pack's period never
binds (lint QR114 warns).

**Packs in force.** When several packs cover one region in one year (``shenzhen-2016`` and
``shenzhen-2020`` both cover 深圳市 in 2016), :func:`packs_in_force` keeps those that no other
pack in force extends: a pack holds its ancestors' targets (its overrides replacing theirs), so
in 2016 ``shenzhen-2016`` binds 深圳市, and from 2017 ``shenzhen-2020`` does. Packs in force that
do not extend one another bind side by side.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import Diagnostic, Severity, UsageError, did_you_mean
from ..i18n import Text, tr
from ..language.text import normalize
from .reading import extensive
from .regions import Hierarchy, HierarchyLike, as_hierarchy

if TYPE_CHECKING:
    from .resolve import BoundRule, Pack

__all__ = ["RegionsBound", "area", "regions_bound", "in_force_years", "years_in_force", "checked_years", "binds",
           "packs_in_force", "outside_warning", "check_region"]

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_EVERY_YEAR = (-(10**9), 10**9)


def area(pack: Pack, hierarchy: HierarchyLike | None = None) -> frozenset[str]:
    """The normalised regions ``pack`` answers for: its region, its scope and every region below them."""
    return _area(tuple(normalize(r) for r in (pack.region, *pack.definition.scope) if r), as_hierarchy(hierarchy))


@functools.lru_cache(maxsize=8)   # hierarchies may be large: keep few
def _area(roots: tuple[str, ...], tree: Hierarchy) -> frozenset[str]:
    return tree.within(roots)


def _extensive(rule: BoundRule) -> bool:
    return extensive(rule.indicator)


@attrs.frozen(eq=False)
class RegionsBound:
    """Which of ``rules`` bind which of ``regions`` (``binds[region, rule]``); ``inside`` marks the
    regions of the pack's area."""

    regions: Sequence[str] | IntArray
    binds: BoolArray
    inside: BoolArray

    @property
    def outside(self) -> tuple[str, ...]:
        """The regions outside the pack's area (not-applicable for every target), in data order."""
        return tuple(str(self.regions[i]) for i in np.flatnonzero(~self.inside).tolist())


def regions_bound(pack: Pack, regions: Sequence[str] | IntArray, *, hierarchy: HierarchyLike | None = None,
                  rules: Sequence[BoundRule] | None = None, keys: Sequence[str] | None = None) -> RegionsBound:
    """``[region, rule]``: does each rule (default ``pack.rules``) bind each region? ``regions``:
    names (``keys``: their normalised forms, when the caller has them), or the integer codes a
    user gave as regions (a code's name is its digits; compared as integers, no string made per
    region). One membership test for the area and one per distinct set of regions named by
    totals; rules share them."""
    chosen = tuple(pack.rules) if rules is None else tuple(rules)
    names: Sequence[str] | IntArray = regions if isinstance(regions, np.ndarray) \
        else [normalize(r) for r in regions] if keys is None else keys
    inside = _member(names, area(pack, hierarchy))
    masks, group = [inside], np.zeros(len(chosen), dtype=np.intp)   # the regions each rule binds: masks[group]
    totals: dict[frozenset[str], int] = {}
    for k, rule in enumerate(chosen):
        if _extensive(rule):
            named = frozenset(normalize(r) for r in rule.regions)
            if named not in totals:     # one test per distinct set of regions, not per rule or region-year
                totals[named] = len(masks)
                masks.append(inside & _member(names, named))
            group[k] = totals[named]
    return RegionsBound(regions, np.stack(masks)[group].T, inside)    # rows gathered whole: fast


def _member(names: Sequence[str] | IntArray, regions: frozenset[str]) -> BoolArray:
    """``[name in regions for name in names]`` as an array: a hash lookup per name, or for
    integer codes one vectorised test against the regions named by integers."""
    if isinstance(names, np.ndarray):
        codes = _integer_names(regions)
        if not len(codes) or not len(names):
            return np.zeros(len(names), dtype=bool)
        names = names.astype(np.int64, copy=False)
        low, high = int(names.min()), int(names.max())
        if high - low <= 4 * len(names) + 1024:    # codes in a dense range (the usual case): a lookup table
            table = np.zeros(high - low + 1, dtype=bool)
            table[codes[(codes >= low) & (codes <= high)] - low] = True
            return table[names - low]
        at = np.minimum(np.searchsorted(codes, names), len(codes) - 1)
        return np.asarray(codes[at] == names, dtype=bool)
    return np.fromiter(map(regions.__contains__, names), dtype=bool, count=len(names))


@functools.lru_cache(maxsize=32)   # the area of a pack is one (cached) set, asked once per evaluation
def _integer_names(regions: frozenset[str]) -> IntArray:
    """The integers among ``regions``' names, written as an integer code's name is (``str(code)``),
    sorted."""
    codes = (int(r) for r in regions if _INTEGER.fullmatch(r) and str(int(r)) == r)
    return np.sort(np.array([c for c in codes if -2 ** 63 <= c < 2 ** 63], dtype=np.int64))   # codes are int64


_INTEGER = re.compile(r"-?[0-9]+")


def in_force_years(pack: Pack, rule: BoundRule) -> tuple[int, int]:
    """The first and last year in which ``rule`` binds under ``pack``: the years when both ``pack``
    and the pack stating the rule are in force."""
    periods = {p.id: p.period for p in pack.lineage()}
    start, end = _EVERY_YEAR
    for period in (pack.period, periods.get(rule.origin)):
        if period is not None:
            start, end = max(start, period.start), min(end, period.end)
    return start, end


def years_in_force(pack: Pack, rules: Sequence[BoundRule], rule_of: IntArray, year: IntArray) -> BoolArray:
    """Per item ``i``: does ``rules[rule_of[i]]`` bind in ``year[i]`` (vectorised over the items)?"""
    bounds = np.array([in_force_years(pack, rule) for rule in rules], dtype=np.int64).reshape(-1, 2)
    if not len(rule_of):
        return np.zeros(0, dtype=bool)
    return np.asarray((bounds[rule_of, 0] <= year) & (year <= bounds[rule_of, 1]), dtype=bool)


def checked_years(rule: BoundRule) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """The years a rule is checked in, each with the years whose values it reads: a target-year
    rule in its year, an every-year rule in each year of its period, a cumulative rule once, at
    the end of its period, summing every year of it."""
    if not rule.years:
        return ()
    if rule.kind == "cumulative":
        return ((rule.years[-1], tuple(rule.years)),)
    return tuple((year, (year,)) for year in rule.years)


def binds(pack: Pack, rule: BoundRule, region: str | None, year: int, *,
          hierarchy: HierarchyLike | None = None) -> bool:
    """Does ``rule`` (one of ``pack.rules``) bind ``region`` (None: any region) in ``year`` (a year
    it is checked in)? The same rule as the vectorised functions, asked once."""
    start, end = in_force_years(pack, rule)
    if not start <= year <= end or year not in dict(checked_years(rule)):
        return False
    if region is None:
        return True
    return bool(regions_bound(pack, [region], hierarchy=hierarchy, rules=[rule]).binds[0, 0])


def check_region(pack: Pack, region: str, hierarchy: HierarchyLike | None = None) -> None:
    """QR301 when ``region`` is unknown both to the pack (its region and scope) and to the
    hierarchy: a question about it cannot be answered, and a misspelling must not read as
    "no target binds"."""
    tree = as_hierarchy(hierarchy)
    key = normalize(region)
    named = {normalize(r) for p in pack.lineage() for r in (p.region, *p.definition.scope) if r}
    known = set(tree.parent) | set(tree.parent.values()) | named
    if key in known:
        return
    home = pack.region or tr("the pack's region")
    raise UsageError(Diagnostic(
        "QR301", tr("region '{region}' is not {home}, not in the scope of {id} and not in the region hierarchy",
                    region=region, home=home, id=pack.id),
        suggestion=did_you_mean(key, sorted(known)) or tr(
            "if it is part of {home}, pass hierarchy={{'{region}': '{home}'}} (--hierarchy FILE), or add it to the "
            "pack's scope", region=region, home=home)))


def packs_in_force(region: str, year: int, packs: Iterable[Pack | str | Path] | None = None, *,
                   hierarchy: HierarchyLike | None = None) -> list[Pack]:
    """The packs that bind ``region`` in ``year`` among ``packs`` (objects, ids or paths; default:
    the shipped packs): those whose area holds the region and whose period holds the year, less
    any that another of them extends (its targets reach the region through that pack, with its
    overrides). Most local first."""
    from .resolve import load_packs, shipped_pack_ids

    loaded = load_packs(*(shipped_pack_ids() if packs is None else packs))
    tree = as_hierarchy(hierarchy)
    key = normalize(region)
    candidates = [p for p in loaded if key in area(p, tree) and _in_force(p, year)]
    extended = {a.id for p in candidates for a in p.lineage()[1:]}
    kept = [p for p in candidates if p.id not in extended]
    return sorted(kept, key=lambda p: (-(p.level.rank if p.level else -1), -(p.period.start if p.period else 0), p.id))


def _in_force(pack: Pack, year: int) -> bool:
    return pack.period is None or pack.period.start <= year <= pack.period.end


def outside_warning(pack: Pack, regions: Sequence[str] | IntArray, hierarchy: HierarchyLike | None = None, *,
                    keys: Sequence[str] | None = None) -> Diagnostic:
    """QR240: ``regions`` (names, ``keys`` their normalised forms when the caller has them, or
    integer codes) lie outside ``pack``'s area, so none of its targets is checked there. Only
    the regions shown become text: a table of 100,000 codes outside costs no string per code."""
    tree = as_hierarchy(hierarchy)
    listed = ", ".join(str(r) for r in regions[:10])
    shown = tr("{regions} and {count} more", regions=listed, count=len(regions) - 10) if len(regions) > 10 else listed
    named = list(dict.fromkeys(r for r in (pack.region, *pack.definition.scope) if r))
    where: str = named[0] if named else tr("its scope")
    for other in named[1:]:
        where = tr("{first} or {second}", first=where, second=other)
    covering = _covering_ancestor_packs(pack, regions, keys, tree)
    hint: Text = tr("check them with a pack for their own region")
    for number, (pid, region, names) in enumerate(covering):
        covers = tr("{pack} ({region}) covers {names}", pack=pid, region=region, names=", ".join(names))
        hint = covers if number == 0 else tr("{before}; {after}", before=hint, after=covers)
    return Diagnostic(
        "QR240", tr("{count} region(s) in the data are not {where} or part of it, so no target of {id} is checked "
                    "there (not-applicable): {shown}", count=len(regions), where=where, id=pack.id, shown=shown),
        severity=Severity.WARNING,
        suggestion=tr("{hint}; if they are part of {home}, pass hierarchy= (--hierarchy FILE) or add them to the "
                      "pack's scope", hint=hint, home=pack.region or tr("the pack's region")))


def _covering_ancestor_packs(pack: Pack, regions: Sequence[str] | IntArray, keys: Sequence[str] | None,
                             tree: Hierarchy) -> list[tuple[str, str, list[str]]]:
    """For the packs of ``pack``'s lineage, the outside regions each one's area covers (nearest
    pack first; a region counts for the nearest pack covering it), at most five named each."""
    found: list[tuple[str, str, list[str]]] = []
    ancestors = [a for a in pack.lineage()[1:] if a.region is not None]
    if not ancestors or not len(regions):
        return found
    names: Sequence[str] | IntArray = regions if isinstance(regions, np.ndarray) \
        else [normalize(r) for r in regions] if keys is None else keys
    left = np.ones(len(regions), dtype=bool)
    for ancestor in ancestors:
        covered = np.flatnonzero(_member(names, area(ancestor, tree)) & left)
        if len(covered):
            shown = [str(regions[i]) for i in covered[:5].tolist()]
            found.append((ancestor.id, str(ancestor.region), shown + (["…"] if len(covered) > 5 else [])))
            left[covered] = False
            if not left.any():
                break
    return found
