"""Regions and what contains them: a region hierarchy (child → parent).

The applicability rule (:mod:`qualityrules.packs.applicability`) reads it to know which regions
lie inside a pack's region (a rate of 深圳市 binds 龙岗区; 福田区 is not part of 龙岗区), and the
records stage rolls record states up it. The shipped hierarchy, ``rules/regions.csv``, holds
全国 → the provincial-level divisions, 广东省 → its 21 cities, 深圳市 → its districts and new
areas, and 龙岗区 → its streets; a user's hierarchy is laid over it (:meth:`Hierarchy.over`).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import DataError, Diagnostic, shown
from ..i18n import tr
from ..language.text import normalize
from ..resources import rules_dir

__all__ = ["Hierarchy", "HierarchyLike", "shipped_hierarchy", "as_hierarchy"]


class Hierarchy:
    """Which region each region belongs to (station → district → city → province), given as a
    child → parent mapping, or as rows of names from the finest level to the coarsest
    (``[("龙城站", "龙岗区", "深圳市", "广东省"), …]``). Names are normalised like rule text."""

    def __init__(self, parents: Mapping[Any, Any] | Iterable[Sequence[Any]]) -> None:
        pairs: list[tuple[str, str]] = []
        if isinstance(parents, Mapping):
            pairs = [(child, parent) for k, v in parents.items()
                     if (child := _name(k)) is not None and (parent := _name(v)) is not None]
        else:
            _expect_rows(parents, "a region hierarchy is a child → parent mapping or rows of names")
            for row in parents:
                _expect_rows(row, "each row of a region hierarchy lists names from the finest region up")
                names = [name for x in row if (name := _name(x)) is not None]
                pairs.extend(zip(names, names[1:], strict=False))
        self.parent: dict[str, str] = {}
        self.complete = False   # set once the shipped hierarchy lies beneath it (as_hierarchy)
        problems: list[Diagnostic] = []
        for child, parent in pairs:
            child, parent = normalize(child), normalize(parent)
            known = self.parent.setdefault(child, parent)
            if known != parent:
                problems.append(Diagnostic("QR208", tr("region '{child}' has two parents: '{known}' and '{parent}'",
                                                       child=child, known=known, parent=parent),
                                           suggestion=tr("give each region one parent")))
        if not problems:
            problems.extend(_cycles(self.parent))
        if problems:
            raise DataError(problems)

    def ancestors(self, region: str) -> list[str]:
        """The regions containing ``region`` (normalised), nearest first."""
        out = []
        while region in self.parent:
            region = self.parent[region]
            out.append(region)
        return out

    @functools.cached_property
    def _children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {}
        for child, parent in self.parent.items():
            children.setdefault(parent, []).append(child)
        return children

    def within(self, roots: Iterable[str]) -> frozenset[str]:
        """``roots`` (normalised) and every region below them."""
        found = set(roots)
        queue = list(found)
        while queue:   # one step per region below the roots, never per data row
            for child in self._children.get(queue.pop(), ()):
                if child not in found:
                    found.add(child)
                    queue.append(child)
        return frozenset(found)

    def over(self, base: Hierarchy) -> Hierarchy:
        """This hierarchy laid over ``base``: a region this one places keeps this one's parent."""
        return Hierarchy({**base.parent, **self.parent})

    def __repr__(self) -> str:
        return f"<Hierarchy of {len(self.parent)} region(s)>"


HierarchyLike = Hierarchy | Mapping[Any, Any] | Iterable[Sequence[Any]]


def _name(value: Any) -> str | None:
    """A region's name in a hierarchy, or None for no region: None, NaN (a pandas column's empty
    cell) or blank text — in a mapping as in rows (``{"甲街道": None}`` was a parent named
    'None', ``nan`` one named 'nan'). An integer district code is its digits."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    return text if text.strip() else None


def _expect_rows(value: Any, what: str) -> None:
    """QR208 unless ``value`` is a collection of names (a string is one name, not a row)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise DataError(Diagnostic("QR208", tr("{what}, not {value}", what=what, value=shown(value)),
                                   suggestion=tr("for a file, use qualityrules.Hierarchy.read(path) or pass the path")))


def _cycles(parent: Mapping[str, str]) -> list[Diagnostic]:
    """QR208 for a cycle of parents; each region is walked once (a chain 5000 deep took minutes)."""
    ends: set[str] = set()      # regions whose chain of parents is known to end
    for region in parent:
        chain: list[str] = []
        on_chain: set[str] = set()
        node = region
        while node in parent and node not in ends:
            if node in on_chain:
                cycle = [*chain[chain.index(node):], node]
                return [Diagnostic("QR208", tr("region hierarchy has a cycle: {chain}", chain=" → ".join(cycle)),
                                   suggestion=tr("a region cannot contain itself"))]
            chain.append(node)
            on_chain.add(node)
            node = parent[node]
        ends.update(chain)
    return []


@functools.lru_cache(maxsize=1)
def shipped_hierarchy() -> Hierarchy:
    """The hierarchy shipped in ``rules/regions.csv`` (columns ``region,parent``)."""
    text = (rules_dir() / "regions.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    tree = Hierarchy([(row[0], row[1]) for row in rows[1:] if len(row) >= 2 and row[0].strip()])
    tree.complete = True
    return tree


def as_hierarchy(given: HierarchyLike | None) -> Hierarchy:
    """The hierarchy the applicability rule uses: ``given`` (a :class:`Hierarchy`, a child → parent
    mapping or rows of names) laid over the shipped one. Pass a :class:`Hierarchy` to evaluate
    many times with one large hierarchy: it is laid over once."""
    if given is None:
        return shipped_hierarchy()
    if isinstance(given, Hierarchy):
        return given if given.complete else _over_shipped(given)
    tree = Hierarchy(given).over(shipped_hierarchy())
    tree.complete = True
    return tree


@functools.lru_cache(maxsize=4)   # hierarchies may be large: keep few
def _over_shipped(given: Hierarchy) -> Hierarchy:
    """``given`` laid over the shipped hierarchy, once per Hierarchy object (reused across calls)."""
    tree = given.over(shipped_hierarchy())
    tree.complete = True
    return tree
