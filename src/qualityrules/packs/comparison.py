"""Compare packs across levels, and find the target that binds.

:func:`compare` lines packs up per indicator: the thresholds each pack holds for its own region
(stated by itself or inherited), which of them is strictest, and what a child adds, drops,
tightens or loosens relative to each parent it extends. :func:`binding` answers "which target
binds this indicator in this year, and who set it". Both are exported from ``qualityrules``;
``qualityrules diff A B`` prints a :class:`PackComparison`.

Two thresholds are compared only where the comparison means something: the same measure (a
value, or a change against the same baseline year), years that overlap (a cumulative total
only against a total over the same years), and, for totals that grow with a region (counts,
money, areas; see :func:`qualityrules.packs.resolve.extensive`), the same region: a province's 3万家
and a district's 700家 are not a looser and a stricter version of one target.

This module is imported by the command line at start-up, so the resolver (and Lark) are
imported inside the functions that need them.
"""

from __future__ import annotations

import enum
import itertools
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import Diagnostic, UnknownIndicatorError, UsageError, _display_width, did_you_mean, refuse, shown
from ..i18n import tr
from ..language import model as m

if TYPE_CHECKING:
    from .regions import HierarchyLike
    from .resolve import BoundRule, CatalogueLike, Pack

__all__ = [
    "Binding", "PackComparison", "Difference", "DiffKind", "IndicatorRow", "PackSummary", "Recorded",
    "Threshold", "binding", "compare", "comparable", "order", "strongest",
]

_SYMBOLS = {
    m.Comparator.GE: "≥", m.Comparator.GT: ">", m.Comparator.LE: "≤", m.Comparator.LT: "<",
    m.Comparator.EQ: "=", m.Comparator.NE: "≠",
}


# ------------------------------------------------------------------------------------------
# Ordering two bound rules


def _identity(rule: BoundRule) -> tuple[str, int | str]:
    """The rule as stated once in its origin pack (inherited copies share it)."""
    return rule.origin, rule.rule.span.start if rule.rule.span else rule.text


def _extensive(rule: BoundRule) -> bool:
    from .resolve import extensive

    return extensive(rule.indicator)


def incomparable_reason(a: BoundRule, b: BoundRule) -> str | None:
    """Why two targets on one indicator cannot be ordered by strictness (None if they can)."""
    from .resolve import stricter

    if a.measure is not b.measure or a.baseline != b.baseline:
        return "different measures"
    if (a.kind == "cumulative") != (b.kind == "cumulative") or (a.kind == "cumulative" and a.years != b.years):
        return "a total over other years"
    if a.years and b.years and not set(a.years) & set(b.years):
        return "different years"
    if _extensive(a) and not set(a.regions) & set(b.regions):
        return "totals for different regions"
    if stricter(a, b) is None:
        return "overlapping ranges"
    return None


def comparable(a: BoundRule, b: BoundRule) -> bool:
    """Whether two targets can be ordered by strictness (see the module docstring)."""
    return a.indicator.name == b.indicator.name and incomparable_reason(a, b) is None


def order(a: BoundRule, b: BoundRule) -> int | None:
    """+1 if ``a`` is stricter than ``b``, -1 if looser, 0 if equally strict, None if the two
    cannot be compared. Equal intervals are ordered by strength: binding beats aspiration."""
    from .resolve import stricter

    if not comparable(a, b):
        return None
    result = stricter(a, b)
    if result == 0 and a.strength is not b.strength:
        if a.strength.warns != b.strength.warns:
            return -1 if a.strength.warns else 1
        return 0
    return result


# ------------------------------------------------------------------------------------------
# Display helpers


def target_text(rule: BoundRule) -> str:
    """The target in symbolic form: ``≥ 95%``, ``4–5个``, ``≈ 10家 [9, 11]``, ``较2015年下降 ≥ 18.5%``."""
    target = rule.rule.target
    if isinstance(target, m.Change):
        verb = "提高" if target.direction is m.ChangeDirection.UP else "下降"
        since = "比上年" if rule.year_on_year else f"较{target.baseline}年"
        return f"{since}{verb} {_plain_target(target.amount, rule)}"
    assert isinstance(target, (m.Comparison, m.Between, m.Approximately))  # a bound rule is one simple target
    return _plain_target(target, rule)


def _plain_target(target: m.Comparison | m.Between | m.Approximately, rule: BoundRule) -> str:
    from ..language.format import format_model, format_number

    if isinstance(target, m.Comparison):
        return f"{_SYMBOLS[target.op]} {format_model(target.quantity)}"
    if isinstance(target, m.Between):
        return f"{format_model(target.low)}–{format_model(target.high)}"
    interval = rule.interval
    text = f"≈ {format_model(target.quantity)}"
    shown = [None if v is None else format_number(_decimal(v * rule.rule_factor)) for v in (interval.lower, interval.upper)]
    if shown[0] is not None and shown[1] is not None:
        text += f" [{shown[0]}, {shown[1]}]"
    elif shown[0] is not None:
        text += f" [≥ {shown[0]}]"
    elif shown[1] is not None:
        text += f" [≤ {shown[1]}]"
    return text


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def time_text(rule: BoundRule) -> str:
    """``2015``, ``每年 2011–2015`` or ``累计 2011–2015``."""
    years = rule.years
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "?")
    if rule.kind == "every-year":
        return f"每年 {span}"
    if rule.kind == "cumulative":
        return f"累计 {span}"
    return span


# ------------------------------------------------------------------------------------------
# Result types


@attrs.frozen
class PackSummary:
    """What a comparison says about one of its packs."""

    id: str
    name: str | None
    level: m.Level | None
    region: str | None
    document: str | None
    extends: tuple[str, ...]
    lineage: tuple[str, ...]  # this pack and every ancestor, nearest first

    @classmethod
    def of(cls, pack: Pack) -> PackSummary:
        d = pack.definition
        return cls(d.id, d.name, d.level, d.region, d.source, d.extends, tuple(p.id for p in pack.lineage()))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "level": self.level.value if self.level else None,
                "region": self.region, "document": self.document, "extends": list(self.extends),
                "lineage": list(self.lineage)}


@attrs.frozen
class Threshold:
    """One target as a pack holds it: stated by the pack itself, or inherited from ``origin``
    (``inherited``), or stated but not enforced (``enforced`` False: the other side of a
    contradiction)."""

    pack: str
    rule: BoundRule = attrs.field(repr=False)
    strictest: bool = False

    @property
    def origin(self) -> str:
        return self.rule.origin

    @property
    def inherited(self) -> bool:
        return self.rule.origin != self.pack

    @property
    def level(self) -> m.Level | None:
        return self.rule.level

    @property
    def indicator(self) -> str:
        return self.rule.indicator.name

    @property
    def enforced(self) -> bool:
        return self.rule.enforced

    @property
    def target(self) -> str:
        return target_text(self.rule)

    @property
    def time(self) -> str:
        return time_text(self.rule)

    @property
    def strength(self) -> m.Strength:
        return self.rule.strength

    @property
    def citation(self) -> str | None:
        return self.rule.citation

    @property
    def document(self) -> str | None:
        return self.rule.document

    def describe(self) -> str:
        """``≥ 95% (2015)``, with ``力争`` for aspirations and ``预期性`` for expected targets."""
        word = {m.Strength.ASPIRATION: "力争 ", m.Strength.EXPECTED: "预期性 "}.get(self.strength, "")
        return f"{word}{self.target} ({self.time})"

    def to_dict(self) -> dict[str, Any]:
        exported = self.rule.to_dict(self.pack)
        return {
            "pack": self.pack, "origin": self.origin, "inherited": self.inherited,
            "level": exported["level"], "enforced": self.enforced, "strictest": self.strictest,
            "target": self.target, "operator": exported["operator"], "values": exported["values"],
            "interval": exported["interval"], "measure": exported["measure"], "time": exported["time"],
            "regions": exported["applies_to"], "strength": exported["strength"],
            "citation": exported["citation"], "override": exported["override"],
            "justification": exported["justification"], "unenforced_reason": exported["unenforced_reason"],
        }


@attrs.frozen
class IndicatorRow:
    """One indicator across the compared packs. ``cells`` hold, per pack (in the comparison's
    order), the thresholds in force for that pack's region plus those it only records;
    ``strictest`` names the packs none of whose targets is beaten by a comparable target of
    another pack (a target a pack inherits counts as equal to its origin's); it is empty when
    no two packs' targets can be compared. A threshold's own ``strictest`` flag says it is at
    least as strict as every other, distinct target in the row it can be compared with."""

    indicator: str
    unit: str | None
    direction: m.Direction
    extensive: bool
    cells: tuple[tuple[str, tuple[Threshold, ...]], ...]
    strictest: tuple[str, ...]

    def cell(self, pack_id: str) -> tuple[Threshold, ...]:
        return dict(self.cells).get(pack_id, ())

    @property
    def stated_by(self) -> tuple[str, ...]:
        """Packs whose own document states a target on the indicator (enforced or recorded)."""
        return tuple(pid for pid, cell in self.cells if any(not t.inherited for t in cell))

    def shared(self, pack_ids: Sequence[str]) -> bool:
        """Every pack in ``pack_ids`` holds a target on the indicator, and one of them states it."""
        return all(self.cell(pid) for pid in pack_ids) and any(pid in self.stated_by for pid in pack_ids)

    def reason(self) -> str | None:
        """Why nothing in the row could be ordered (None if something could)."""
        if self.strictest:
            return None
        enforced = [t.rule for _, cell in self.cells for t in cell if t.enforced]
        for i, a in enumerate(enforced):
            for b in enforced[i + 1:]:
                if _identity(a) != _identity(b):
                    return incomparable_reason(a, b)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator, "unit": self.unit, "direction": self.direction.value,
            "extensive": self.extensive, "strictest": list(self.strictest), "not_comparable": self.reason(),
            "thresholds": {pid: [t.to_dict() for t in cell] for pid, cell in self.cells},
        }


class DiffKind(enum.Enum):
    ADDED = "added"          # the child sets a target its parent does not have
    DROPPED = "dropped"      # a parent target the child does not hold
    TIGHTENED = "tightened"  # the child's target is stricter
    LOOSENED = "loosened"    # the child's target is looser (or demoted to an aspiration)
    CHANGED = "changed"      # a different target that cannot be ordered by strictness


@attrs.frozen
class Difference:
    """What ``child`` does with one target relative to ``parent``."""

    kind: DiffKind
    indicator: str
    parent: str
    child: str
    before: Threshold | None
    after: Threshold | None

    @property
    def justification(self) -> str | None:
        return self.after.rule.rule.justification if self.after else None

    @property
    def admits_rejected(self) -> bool:
        """The child lets through values the parent rejects (a loosening, or a range that only
        partly overlaps the parent's)."""
        from .resolve import _within

        if self.kind is DiffKind.LOOSENED:
            return True
        if self.kind is not DiffKind.CHANGED or self.before is None or self.after is None:
            return False
        before, after = self.before.rule, self.after.rule
        if before.measure is not after.measure:
            return False
        a, b = after.interval, before.interval
        if b.excluded and not a.excluded:
            return b.lower is None or a.contains(b.lower)
        if a.excluded:
            return a != b
        return not _within(a, b)

    def describe(self) -> str:
        before = self.before.describe() if self.before else None
        after = self.after.describe() if self.after else None
        if self.kind is DiffKind.ADDED:
            text = f"{after}"
        elif self.kind is DiffKind.DROPPED:
            text = f"{before}"
        else:
            text = f"{before} → {after}"
        if self.after is not None and _extensive(self.after.rule):
            text += f" [{'/'.join(self.after.rule.regions)}]"
        if self.after is not None and self.after.inherited:
            text += f" (from {self.after.origin})"
        if self.kind is DiffKind.CHANGED and self.admits_rejected:
            text += " (lets through values the parent rejects)"
        if self.justification:
            text += f" — because {self.justification}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "indicator": self.indicator, "parent": self.parent,
                "child": self.child, "before": self.before.to_dict() if self.before else None,
                "after": self.after.to_dict() if self.after else None, "justification": self.justification,
                "admits_rejected": self.admits_rejected}


@attrs.frozen
class Recorded:
    """A target a pack states but does not enforce, next to the one it enforces instead."""

    pack: str
    recorded: Threshold
    enforced: Threshold | None
    reason: str | None

    @property
    def contradiction(self) -> bool:
        """The pack's own document states two different values (lint QR108)."""
        e = self.enforced
        return e is not None and not e.inherited and (
            e.rule.interval != self.recorded.rule.interval or e.rule.measure is not self.recorded.rule.measure)

    def to_dict(self) -> dict[str, Any]:
        return {"pack": self.pack, "indicator": self.recorded.indicator, "contradiction": self.contradiction,
                "recorded": self.recorded.to_dict(),
                "enforced": self.enforced.to_dict() if self.enforced else None, "reason": self.reason}


@attrs.frozen
class PackComparison:
    """The result of :func:`compare`. ``pairs`` are ``(parent, child, relation)``: ``extends``
    when the child has the parent in its lineage, ``compared`` for unrelated packs given next to
    each other; ``differences`` are per pair, child relative to parent."""

    packs: tuple[PackSummary, ...]
    rows: tuple[IndicatorRow, ...]
    pairs: tuple[tuple[str, str, str], ...]
    differences: tuple[Difference, ...]
    recorded: tuple[Recorded, ...]

    @property
    def pack_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.packs)

    def row(self, indicator: str) -> IndicatorRow:
        """The row of ``indicator`` (its catalogue name); QR101 if no compared pack holds a target on it."""
        if not isinstance(indicator, str):
            refuse(tr("indicator must be a string, not {value}", value=shown(indicator)))
        for row in self.rows:
            if row.indicator == indicator:
                return row
        names = [row.indicator for row in self.rows]
        raise UnknownIndicatorError(Diagnostic("QR101", tr("no compared pack holds a target on '{name}'", name=indicator),
                                               suggestion=did_you_mean(indicator, names)))

    def shared(self, *pack_ids: str) -> tuple[IndicatorRow, ...]:
        """Rows where each of ``pack_ids`` (default: every compared pack) holds a target and one
        of them states it itself."""
        ids = pack_ids or self.pack_ids
        return tuple(row for row in self.rows if row.shared(ids))

    def stricter(self, indicator: str) -> tuple[str, ...]:
        """Packs holding the strictest target on ``indicator`` (all of them when equal; empty
        when nothing can be compared)."""
        return self.row(indicator).strictest

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "qualityrules/comparison/1",
            "packs": [p.to_dict() for p in self.packs],
            "pairs": [{"parent": p, "child": c, "relation": r} for p, c, r in self.pairs],
            "indicators": [row.to_dict() for row in self.rows],
            "differences": [d.to_dict() for d in self.differences],
            "recorded": [r.to_dict() for r in self.recorded],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        return _render_text(self)

    def to_markdown(self) -> str:
        return _render_markdown(self)


@attrs.frozen
class Binding:
    """The target that binds ``indicator`` in ``year`` for ``region`` under ``pack``: the
    strictest one in force across the lineage. ``others`` are the other targets in force (less
    strict, or not comparable with it)."""

    pack: str
    indicator: str
    year: int
    region: str | None
    threshold: Threshold
    others: tuple[Threshold, ...] = ()

    @property
    def rule(self) -> BoundRule:
        return self.threshold.rule

    @property
    def origin(self) -> str:
        return self.threshold.origin

    @property
    def level(self) -> m.Level | None:
        return self.threshold.level

    @property
    def citation(self) -> str | None:
        return self.threshold.citation

    @property
    def document(self) -> str | None:
        return self.threshold.document

    def to_dict(self) -> dict[str, Any]:
        return {"pack": self.pack, "indicator": self.indicator, "year": self.year, "region": self.region,
                "binding": self.threshold.to_dict(), "others": [t.to_dict() for t in self.others]}


# ------------------------------------------------------------------------------------------
# compare()


def _load(pack: Pack | str | Path, search: Sequence[str | Path] = (), catalogue: CatalogueLike = None) -> Pack:
    return _load_all([pack], search, catalogue)[0]


def _load_all(packs: Sequence[Pack | str | Path], search: Sequence[str | Path] = (),
              catalogue: CatalogueLike = None) -> list[Pack]:
    """Packs as given, ids and paths loaded through one loader (a shared ancestor is read once)."""
    from .resolve import load_packs

    return load_packs(*packs, search=search, catalogue=catalogue)


def _distinct(packs: Iterable[Pack]) -> list[Pack]:
    kept: dict[str, Pack] = {}
    for pack in packs:
        other = kept.setdefault(pack.id, pack)
        if other is not pack and other != pack:
            raise UsageError(Diagnostic(
                "QR301", tr("two different packs are named '{id}' ({first} and {second})", id=pack.id,
                                  first=other.path or "?", second=pack.path or "?"),
                suggestion=tr("compare packs with distinct ids")))
    return list(kept.values())


def _held(pack: Pack) -> frozenset[int]:
    """``id`` of each rule of ``pack`` that binds the pack's own region in some year (the
    applicability rule): a province's totals are not held by a district's pack, nor a 2020
    target by a pack for 2016."""
    from .applicability import in_force_years, regions_bound

    region: list[bool] = regions_bound(pack, [pack.region]).binds[0].tolist() if pack.region \
        else [True] * len(pack.rules)
    held = set()
    for rule, binds_region in zip(pack.rules, region, strict=True):
        start, end = in_force_years(pack, rule)
        if binds_region and any(start <= year <= end for year in rule.years):
            held.add(id(rule))
    return frozenset(held)


def _mark_strictest(thresholds: list[Threshold]) -> list[Threshold]:
    enforced = [t for t in thresholds if t.enforced]
    marked = []
    for t in thresholds:
        if not t.enforced:
            marked.append(t)
            continue
        # compared with other targets only: a copy of the same target (inherited) proves nothing
        orders = [order(o.rule, t.rule) for o in enforced if _identity(o.rule) != _identity(t.rule)]
        known = [o for o in orders if o is not None]
        marked.append(attrs.evolve(t, strictest=bool(known) and all(o != 1 for o in known)))
    return marked


def _rows(packs: Sequence[Pack]) -> tuple[IndicatorRow, ...]:
    from .resolve import extensive

    held = {pack.id: _held(pack) for pack in packs}
    indicators: dict[str, m.Indicator] = {}
    for pack in packs:
        for rule in (*pack.rules, *pack.recorded):
            if id(rule) in held[pack.id] or rule.origin == pack.id:
                indicators.setdefault(rule.indicator.name, rule.indicator)
    rows = []
    for name, indicator in indicators.items():
        flat: list[Threshold] = []
        sizes: list[int] = []
        for pack in packs:
            cell = [Threshold(pack.id, r) for r in pack.rules if r.indicator.name == name and id(r) in held[pack.id]]
            cell += [Threshold(pack.id, r) for r in pack.recorded if r.indicator.name == name]
            flat.extend(cell)
            sizes.append(len(cell))
        marked = _mark_strictest(flat)
        cells, start = [], 0
        for pack, size in zip(packs, sizes, strict=True):
            cells.append((pack.id, tuple(marked[start:start + size])))
            start += size
        rows.append(IndicatorRow(name, indicator.unit, indicator.direction, extensive(indicator), tuple(cells),
                                 _strictest_packs(cells)))
    return tuple(rows)


def _strictest_packs(cells: Sequence[tuple[str, tuple[Threshold, ...]]]) -> tuple[str, ...]:
    """Packs none of whose enforced targets is beaten by a comparable target of another pack,
    among the packs that have something to compare (a copy of the same target, inherited,
    counts as equally strict)."""
    enforced = [(pid, t.rule) for pid, cell in cells for t in cell if t.enforced]
    compared: set[str] = set()
    beaten: set[str] = set()
    for pid, rule in enforced:
        for other_id, other in enforced:
            if other_id == pid:
                continue
            result = 0 if _identity(other) == _identity(rule) else order(other, rule)
            if result is not None:
                compared.add(pid)
                if result == 1:
                    beaten.add(pid)
    return tuple(pid for pid, _ in cells if pid in compared and pid not in beaten)


def _pairs(packs: Sequence[Pack]) -> list[tuple[Pack, Pack, str]]:
    ancestors = {p.id: {a.id for a in p.lineage()[1:]} for p in packs}
    pairs: list[tuple[Pack, Pack, str]] = []
    for child in packs:
        given = [p for p in packs if p.id in ancestors[child.id]]
        nearest = [p for p in given if not any(p.id in ancestors[q.id] for q in given if q is not p)]
        pairs.extend((parent, child, "extends") for parent in nearest)
    if not pairs:
        pairs = [(a, b, "compared") for a, b in itertools.pairwise(packs)]
    return pairs


def _classify(before: BoundRule, after: BoundRule) -> DiffKind | None:
    from .resolve import _same_target, looser

    if _same_target(after, before):
        return None
    if incomparable_reason(after, before) is not None:
        return DiffKind.CHANGED
    if looser(after, before):
        return DiffKind.LOOSENED
    if looser(before, after) or order(after, before) == 1:
        return DiffKind.TIGHTENED
    return DiffKind.CHANGED


def _differences(parent: Pack, child: Pack) -> list[Difference]:
    """Effective targets of ``child`` against those of ``parent``: inherited ones match by
    identity, the child's own ones by indicator and time qualifier."""
    from .resolve import restates

    parent_ids = {_identity(r) for r in parent.rules}
    child_ids = {_identity(r) for r in child.rules}
    open_parent = [r for r in parent.rules if _identity(r) not in child_ids]
    found: list[Difference] = []
    matched: set[tuple[str, int | str]] = set()
    for rule in child.rules:
        if _identity(rule) in parent_ids:
            continue
        after = Threshold(child.id, rule)
        candidates = [p for p in open_parent if restates(rule, p)]
        if not candidates:
            found.append(Difference(DiffKind.ADDED, rule.indicator.name, parent.id, child.id, None, after))
            continue
        for before_rule in candidates:
            matched.add(_identity(before_rule))
            kind = _classify(before_rule, rule)
            if kind is not None:
                found.append(Difference(kind, rule.indicator.name, parent.id, child.id,
                                        Threshold(parent.id, before_rule), after))
    for rule in open_parent:
        if _identity(rule) not in matched:
            found.append(Difference(DiffKind.DROPPED, rule.indicator.name, parent.id, child.id,
                                    Threshold(parent.id, rule), None))
    return found


def _recorded(packs: Sequence[Pack]) -> list[Recorded]:
    out = []
    for pack in packs:
        held = _held(pack)
        for rule in pack.recorded:
            counterpart = next((r for r in pack.rules if r.key == rule.key and r.origin == pack.id), None) \
                or next((r for r in pack.rules if r.key == rule.key and id(r) in held), None)
            out.append(Recorded(pack.id, Threshold(pack.id, rule),
                                Threshold(pack.id, counterpart) if counterpart else None, rule.rule.unenforced))
    return out


def compare(*packs: Pack | str | Path, search: Sequence[str | Path] = (), catalogue: CatalogueLike = None
            ) -> PackComparison:
    """Compare packs (loaded :class:`~qualityrules.Pack` objects, shipped ids or paths).

    Per indicator: the thresholds each pack holds for its region (own and inherited) and which
    is strictest; per parent/child pair among the packs: what the child adds, drops, tightens,
    loosens or changes. A pack given twice counts once, so ``compare(a, a)`` has no differences.
    """
    if not packs:
        raise UsageError(Diagnostic("QR301", tr("compare() needs at least one pack")))
    loaded = _distinct(_load_all(packs, search, catalogue))
    pairs = _pairs(loaded)
    differences = [d for parent, child, _ in pairs for d in _differences(parent, child)]
    return PackComparison(
        tuple(PackSummary.of(p) for p in loaded), _rows(loaded),
        tuple((parent.id, child.id, relation) for parent, child, relation in pairs),
        tuple(differences), tuple(_recorded(loaded)))


# ------------------------------------------------------------------------------------------
# binding()


def binding(pack: Pack | str | Path, indicator: str, year: int, region: str | None = None, *,
            search: Sequence[str | Path] = (), catalogue: CatalogueLike = None,
            hierarchy: HierarchyLike | None = None) -> Binding | None:
    """The strictest target in force for ``indicator`` in ``year`` under ``pack``: its own and
    inherited targets that bind ``region`` (default: the pack's region) in that year by the
    applicability rule (:mod:`qualityrules.packs.applicability`, with ``hierarchy``), with where
    it comes from. Aspirations lose to an equally strict binding target. None if no target binds;
    QR101 for an indicator not in the catalogue, QR301 for a region neither the pack nor the
    region hierarchy knows."""
    from ..errors import UnknownIndicatorError
    from .applicability import binds, check_region

    loaded = _load(pack, search, catalogue)
    found = loaded.catalogue.lookup(indicator)
    if found is None:
        raise UnknownIndicatorError(Diagnostic(
            "QR101", tr("unknown indicator '{name}'", name=indicator),
            suggestion=loaded.catalogue.suggest(indicator) or tr("see rules/catalogue.qr for the indicators")))
    where = region if region is not None else loaded.region
    if where is not None:
        check_region(loaded, where, hierarchy)
    candidates = [r for r in loaded.rules if r.indicator.name == found.name
                  and binds(loaded, r, where, year, hierarchy=hierarchy)]
    winner = strongest(loaded, candidates)
    if winner is None:
        return None
    others = tuple(Threshold(loaded.id, r) for r in candidates if r is not winner)
    return Binding(loaded.id, found.name, year, where, Threshold(loaded.id, winner, strictest=True), others)


def strongest(pack: Pack, candidates: Sequence[BoundRule]) -> BoundRule | None:
    """The target that binds among ``candidates`` (targets of ``pack`` on one indicator, all in
    force for one region and year): one no other is stricter than; among several, binding before
    aspiration, values before changes, then the nearest and most local pack (never the order
    parents are listed in), then the order in the file."""
    from .resolve import Measure

    if not candidates:
        return None
    distance = _distances(pack)
    undominated = [c for c in candidates if not any(order(o, c) == 1 for o in candidates if o is not c)]

    def preference(rule: BoundRule) -> tuple[bool, bool, int, int, str, int]:
        return (rule.strength is not m.Strength.BINDING, rule.measure is not Measure.VALUE,
                distance.get(rule.origin, len(distance)), -(rule.level.rank if rule.level else -1),
                rule.origin, rule.rule.span.start if rule.rule.span else 0)

    return min(undominated, key=preference)


def _distances(pack: Pack) -> dict[str, int]:
    """Pack id -> number of ``extends`` steps from ``pack`` (the shortest way)."""
    distance = {pack.id: 0}
    queue = [pack]
    while queue:
        current = queue.pop(0)
        for parent in current.parents:
            if parent.id not in distance:
                distance[parent.id] = distance[current.id] + 1
                queue.append(parent)
    return distance


# ------------------------------------------------------------------------------------------
# Rendering


def _header(comparison: PackComparison) -> list[str]:
    lines = []
    for p in comparison.packs:
        level = p.level.value if p.level else "-"
        extends = f"  extends {', '.join(p.extends)}" if p.extends else ""
        lines.append(f"{p.id}  {level}  {p.region or '-'}  {p.document or '-'}  {p.name or ''}{extends}".rstrip())
    return lines


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _display_width(text))


def _verdict(row: IndicatorRow, ids: Sequence[str]) -> str:
    holders = [pid for pid in ids if any(t.enforced for t in row.cell(pid))]
    if len(holders) < 2:
        return f"only {holders[0]}" if holders else "nothing enforced"
    strictest = [pid for pid in row.strictest if pid in holders]
    if len(strictest) == len(holders):
        return "equal"
    if strictest:
        return "stricter: " + ", ".join(strictest)
    return f"not comparable ({row.reason() or 'nothing to compare'})"


def _summary(differences: Sequence[Difference]) -> str:
    counts = {kind: sum(d.kind is kind for d in differences) for kind in DiffKind}
    return ", ".join(f"{n} {kind.value}" for kind, n in counts.items())


def _render_text(comparison: PackComparison) -> str:
    ids = comparison.pack_ids
    width = max(_display_width(pid) for pid in ids) + 2
    out = ["Packs:", *("  " + line for line in _header(comparison)), ""]
    shared = comparison.shared() if len(ids) > 1 else comparison.rows
    out.append(f"Shared indicators ({len(shared)}): threshold in each pack, * = strictest" if len(ids) > 1
               else f"Indicators ({len(shared)}), * = strictest")
    for row in shared:
        unit = f"{row.unit}, " if row.unit else ""
        out.append(f"  {row.indicator} ({unit}{row.direction.value} is better)")
        for pid, cell in row.cells:
            for t in cell:
                mark = "*" if t.strictest else " "
                notes = []
                if t.inherited:
                    notes.append(f"from {t.origin}")
                if not t.enforced:
                    notes.append("recorded, not enforced")
                note = f"  [{'; '.join(notes)}]" if notes else ""
                out.append(f"   {mark} {_pad(pid, width)}{_pad(t.describe(), 28)} {t.citation or ''}{note}".rstrip())
            if not cell:
                out.append(f"     {_pad(pid, width)}—")
        if len(ids) > 1:
            out.append(f"     → {_verdict(row, ids)}")
    for parent, child, relation in comparison.pairs:
        diffs = [d for d in comparison.differences if (d.parent, d.child) == (parent, child)]
        how = "extends" if relation == "extends" else "compared with"
        out.extend(["", f"Differences: {child} relative to {parent} ({child} {how} {parent}): {_summary(diffs)}"])
        for d in diffs:
            out.append(f"  {d.kind.value:<9} {d.indicator}: {d.describe()}")
    if comparison.recorded:
        out.extend(["", "Recorded, not enforced:"])
        for r in comparison.recorded:
            kind = "contradiction" if r.contradiction else "recorded"
            enforced = r.enforced.describe() + (f" from {r.enforced.origin}" if r.enforced.inherited else "") \
                if r.enforced else "nothing"
            out.append(f"  {r.pack} {r.recorded.indicator} ({kind}): states {r.recorded.describe()}, "
                       f"enforces {enforced}; {r.reason or ''}".rstrip())
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_cell(cell: tuple[Threshold, ...]) -> str:
    parts = []
    for t in cell:
        text = _md(t.describe())
        if t.strictest:
            text = f"**{text}**"
        if t.inherited:
            text += f" ↑{t.origin}"
        if not t.enforced:
            text = f"~~{text}~~ (recorded)"
        parts.append(text)
    return "<br>".join(parts) or "—"


def _render_markdown(comparison: PackComparison) -> str:
    ids = comparison.pack_ids
    out = ["# Comparison: " + " · ".join(ids), "", "| pack | level | region | document | name | extends |",
           "|---|---|---|---|---|---|"]
    for p in comparison.packs:
        out.append(f"| {p.id} | {p.level.value if p.level else '—'} | {_md(p.region or '—')} | "
                   f"{_md(p.document or '—')} | {_md(p.name or '')} | {', '.join(p.extends) or '—'} |")
    out.extend(["", "## Thresholds", "",
                "Bold: strictest among the comparable targets; ↑: inherited from that pack; struck out: recorded, "
                "not enforced.", "",
                "| indicator | unit | " + " | ".join(ids) + (" | verdict |" if len(ids) > 1 else " |"),
                "|---|---|" + "---|" * len(ids) + ("---|" if len(ids) > 1 else "")])
    for row in comparison.rows:
        cells = " | ".join(_md_cell(row.cell(pid)) for pid in ids)
        verdict = f" {_md(_verdict(row, ids))} |" if len(ids) > 1 else ""
        out.append(f"| {_md(row.indicator)} | {_md(row.unit or '')} | {cells} |{verdict}")
    for parent, child, relation in comparison.pairs:
        diffs = [d for d in comparison.differences if (d.parent, d.child) == (parent, child)]
        how = "extends" if relation == "extends" else "compared with"
        out.extend(["", f"## {child} relative to {parent}", "", f"{child} {how} {parent}: {_summary(diffs)}.", ""])
        if diffs:
            out.extend(["| change | indicator | detail |", "|---|---|---|"])
            out.extend(f"| {d.kind.value} | {_md(d.indicator)} | {_md(d.describe())} |" for d in diffs)
    if comparison.recorded:
        out.extend(["", "## Recorded, not enforced", "", "| pack | indicator | states | enforces | reason |",
                    "|---|---|---|---|---|"])
        for r in comparison.recorded:
            enforced = r.enforced.describe() if r.enforced else "—"
            out.append(f"| {r.pack} | {_md(r.recorded.indicator)} | {_md(r.recorded.describe())} | "
                       f"{_md(enforced)} | {_md(r.reason or '')} |")
    return "\n".join(out) + "\n"
