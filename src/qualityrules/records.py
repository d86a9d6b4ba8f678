"""Indicators from raw monitoring records: one fused, decomposable pass over the records.

A pack's record-defined indicators (catalogue ``from`` / ``region`` / ``date`` / ``value`` lines)
compile into one :class:`RecordPlan`. Per records table and grouping (region column × year source)
the plan keeps a small set of *partial states* per (region, year) group, split into bins by the
truth of every distinct ``where`` condition and by whether each measured column is present:

* ``count`` — rows per bin (``np.bincount``);
* ``sum`` of a column (or of a product ``x·w`` for ``wmean``) — exact, see below;
* ``min`` / ``max`` of a column (``np.minimum.at`` / ``np.maximum.at``).

Every aggregate of the language reads those states: ``sum(x where c)`` sums the bins where ``c``
holds and ``x`` is present, ``mean = sum / count``, ``share(where c) = count(c) / count()``,
``wmean(x, w) = Σ x·w / Σ w`` over rows where both are present. Distinct aggregates and shared
conditions are computed once. The row loop works on fixed-size blocks with one combined integer
code per row (region × year × condition bits); a large chunk's blocks are split over threads.

States merge across blocks, chunks (CSV chunks, Parquet row groups), Dask partitions and up a
region hierarchy by addition (min/max by min/max). Sums are **exact**: each block's values are
split into slices whose per-bin sums are exact in float64, and the slices are accumulated as
integers, so a result does not depend on how the records were chunked, partitioned, threaded or
ordered, and a city's sum is exactly the sum of its districts' records. Each aggregate is the
correctly rounded value of its exact definition.

Missing data (documented in docs/records.rst):

* NaN, ±inf and null measurements are *missing*: aggregates skip them (``sum``, ``mean``,
  ``min``, ``max``, ``count(x)``, ``wmean`` use present values only).
* A condition on a missing value is *unknown*, and ``where`` keeps only rows where the condition
  is known to be true (SQL's three-valued logic: ``not (aqi <= 100)`` does not hold for a missing
  ``aqi`` either). ``count()`` and ``share``'s denominator count every row, so a missing
  measurement is never a compliant sample.
* ``sum`` of no values is 0; ``mean``/``min``/``max``/``wmean`` of no values and any division by
  zero are unknown (NaN).
* Rows with a missing region or date belong to no group; they are counted as unassigned.
* ``min_records N``: a region-year with fewer than N records of the indicator's table has an
  unknown value (NaN) and ``sufficient = False``.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from . import model as m
from .errors import DataError, Diagnostic, RuleSyntaxError
from .text import normalize

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .resolve import Pack

__all__ = [
    "RecordPlan", "IndicatorTable", "Hierarchy", "compile_plan", "compute_indicators", "check_records",
    "TableState",
]

Array = npt.NDArray[Any]

_NEGATED = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}
_MAX_BITS = 6          # condition/presence bits per pass: at most 64 bins per group
_MIN_BLOCK = 1 << 17   # rows per block (grown when there are many groups)


# ------------------------------------------------------------------------------------------
# Conditions in negation normal form


@attrs.frozen
class Compare:
    """``column op literal`` that holds only when the value is present (never for missing)."""

    column: str
    op: str
    literal: float | str | bool


@attrs.frozen
class All:
    parts: tuple[Predicate, ...]


@attrs.frozen
class Any_:
    parts: tuple[Predicate, ...]


Predicate = Compare | All | Any_


def _predicate(condition: m.Condition, negate: bool = False) -> Predicate:
    """The condition with ``not`` pushed into the tests (De Morgan), parts in canonical order, so
    equal conditions written differently share one bit. Three-valued logic keeps its meaning:
    negating a test flips its comparison, and a flipped test is still false on missing values."""
    if isinstance(condition, m.ColumnTest):
        op = _NEGATED[condition.op.value] if negate else condition.op.value
        literal = condition.literal
        value: float | str | bool = float(literal) if isinstance(literal, Decimal) else literal
        if isinstance(value, bool) and op not in ("==", "!="):
            raise RuleSyntaxError(Diagnostic(
                "QR012", f"'{condition.column} {condition.op.value} {str(value).lower()}' orders a "
                "true/false value", condition.span, suggestion="compare true/false with == or !="))
        return Compare(normalize(condition.column), op, value)
    if isinstance(condition, m.Not):
        return _predicate(condition.part, not negate)
    parts = sorted({_predicate(p, negate) for p in condition.parts}, key=repr)
    if len(parts) == 1:
        return parts[0]
    conjunction = isinstance(condition, m.AllOf) != negate
    return All(tuple(parts)) if conjunction else Any_(tuple(parts))


def _tests(predicate: Predicate) -> Iterator[Compare]:
    if isinstance(predicate, Compare):
        yield predicate
    else:
        for part in predicate.parts:
            yield from _tests(part)


# ------------------------------------------------------------------------------------------
# The plan


@attrs.frozen
class SumOf:
    """Σ column, or Σ fl(column·weight) for a weighted mean."""

    column: str
    weight: str | None = None


@attrs.frozen
class Pass:
    """One sweep of the combined code: bit ``i`` of a row's bin is ``bits[i]`` for the row. A bit is
    a ``where`` condition (true) or a column name (value present)."""

    bits: tuple[Predicate | str, ...]
    sums: tuple[SumOf, ...]
    mins: tuple[str, ...]
    maxs: tuple[str, ...]

    @property
    def nbins(self) -> int:
        return 1 << len(self.bits)

    def ones(self, condition: Predicate | None, columns: Iterable[str]) -> int:
        wanted: list[Predicate | str] = [condition] if condition is not None else []
        wanted.extend(columns)
        return sum(1 << self.bits.index(bit) for bit in wanted)


@attrs.frozen
class Grouping:
    """Records of one table grouped by one region column and one year source."""

    table: str
    region: str
    time: str
    time_is_date: bool
    passes: tuple[Pass, ...]

    def columns(self) -> dict[str, str]:
        """Every column this grouping reads, with the kind the plan infers for it (see :func:`_widen`)."""
        kinds: dict[str, str] = {self.region: "region", self.time: "date" if self.time_is_date else "year"}
        for pass_ in self.passes:
            for bit in pass_.bits:
                if isinstance(bit, str):
                    _widen(kinds, bit, "number")
                else:
                    for test in _tests(bit):
                        literal = test.literal
                        kind = "flag" if isinstance(literal, bool) else "text" if isinstance(literal, str) else "number"
                        _widen(kinds, test.column, kind)
            for sum_ in pass_.sums:
                _widen(kinds, sum_.column, "number")
                if sum_.weight:
                    _widen(kinds, sum_.weight, "number")
            for column in (*pass_.mins, *pass_.maxs):
                _widen(kinds, column, "number")
        return kinds


_KIND_RANK = {"text": 3, "region": 3, "date": 3, "year": 3, "flag": 2, "number": 1}


def _widen(kinds: dict[str, str], column: str, kind: str) -> None:
    """Record that ``column`` is read as ``kind``: text wins over flag over number (a text column
    can still be compared with numbers and a flag summed as 0/1); the first of equal rank stays."""
    if column not in kinds or _KIND_RANK[kind] > _KIND_RANK[kinds[column]]:
        kinds[column] = kind


@attrs.frozen
class Read:
    """Where an aggregate's parts live: ``what`` of pass ``pass_`` over bins containing ``ones``."""

    pass_: int
    what: str            # "count" | "sum" | "min" | "max"
    index: int           # which sum / min / max of the pass
    ones: int


@attrs.frozen
class Agg:
    """A language aggregate resolved to reads: value = numerator (/ denominator)."""

    function: m.AggregateFunction
    numerator: Read
    denominator: Read | None = None


# Value expressions: ("const", float) | ("agg", Agg) | (op, left, right)
Formula = tuple[Any, ...]


@attrs.frozen
class IndicatorPlan:
    name: str
    unit: str | None
    grouping: int
    formula: Formula
    min_records: int | None


@attrs.frozen
class RecordPlan:
    """Everything a set of record-defined indicators needs, fused per table and grouping."""

    groupings: tuple[Grouping, ...]
    indicators: tuple[IndicatorPlan, ...]

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.table for g in self.groupings))

    def schema(self, table: str) -> dict[str, str]:
        """The columns a table must have and their kinds, as inferred from the definitions
        (the kinds the records are read with: :func:`read_kinds`)."""
        return read_kinds(self, table)

    def purposes(self, table: str) -> dict[str, str]:
        """Each column of a table with its kind and the indicators reading it (for diagnostics)."""
        readers: dict[str, list[str]] = {}
        for indicator in self.indicators:
            grouping = self.groupings[indicator.grouping]
            if grouping.table == table:
                for column in grouping.columns():
                    readers.setdefault(column, []).append(indicator.name)
        return {column: f"{kind}, read by {', '.join(readers.get(column, []))}"
                for column, kind in self.schema(table).items()}


def compile_plan(source: Pack | Iterable[m.Indicator]) -> RecordPlan:
    """Fuse the record definitions of a pack's rules (or of the given indicators) into one plan."""
    from .resolve import Pack as _Pack

    if isinstance(source, _Pack):
        candidates = [rule.indicator for rule in (*source.rules, *source.recorded)]
    else:
        candidates = list(source)
    indicators = list({i.name: i for i in candidates if i.definition is not None}.values())
    by_grouping: dict[tuple[str, str, str, bool], list[m.Indicator]] = {}
    for indicator in indicators:
        definition = indicator.definition
        assert definition is not None
        time, is_date = _time_column(indicator)
        key = (normalize(definition.table), normalize(definition.region_column), time, is_date)
        by_grouping.setdefault(key, []).append(indicator)
    groupings: list[Grouping] = []
    plans: list[IndicatorPlan] = []
    for key, members in by_grouping.items():
        needs = [_needs(i) for i in members]
        passes = _assign_passes(needs)
        grouping_index = len(groupings)
        groupings.append(Grouping(*key, passes=tuple(p for p, _ in passes)))
        assignment = {id(need): index for index, (_, group) in enumerate(passes) for need in group}
        for indicator, need in zip(members, needs, strict=True):
            definition = indicator.definition
            assert definition is not None
            pass_index = assignment[id(need)]
            formula = _formula(definition.value, passes[pass_index][0], pass_index)
            plans.append(IndicatorPlan(indicator.name, indicator.unit, grouping_index, formula,
                                       definition.min_records))
    return RecordPlan(tuple(groupings), tuple(sorted(plans, key=lambda p: p.name)))


def _time_column(indicator: m.Indicator) -> tuple[str, bool]:
    definition = indicator.definition
    assert definition is not None
    if definition.date_column:
        return normalize(definition.date_column), True
    if definition.year_column:
        return normalize(definition.year_column), False
    raise RuleSyntaxError(Diagnostic(
        "QR012", f"record definition of '{indicator.name}' has neither 'date' nor 'year'",
        definition.span, suggestion="add 'date COLUMN' (a date or timestamp) or 'year COLUMN'"))


def _aggregates(expression: m.Expression) -> Iterator[m.Aggregate]:
    if isinstance(expression, m.Aggregate):
        yield expression
    elif isinstance(expression, m.Arithmetic):
        yield from _aggregates(expression.left)
        yield from _aggregates(expression.right)


def _parts(aggregate: m.Aggregate) -> tuple[Predicate | None, list[str], list[SumOf], list[str], list[str]]:
    """condition, columns that must be present, sums, mins, maxs of one aggregate."""
    where = _predicate(aggregate.where) if aggregate.where is not None else None
    column = normalize(aggregate.column) if aggregate.column else None
    weight = normalize(aggregate.weight) if aggregate.weight else None
    f = m.AggregateFunction
    present = [c for c in (column, weight) if c]
    sums: list[SumOf] = []
    mins: list[str] = []
    maxs: list[str] = []
    if aggregate.function in (f.SUM, f.MEAN) and column:
        sums.append(SumOf(column))
    elif aggregate.function is f.WMEAN and column and weight:
        sums.extend((SumOf(column, weight), SumOf(weight)))
    elif aggregate.function is f.MIN and column:
        mins.append(column)
    elif aggregate.function is f.MAX and column:
        maxs.append(column)
    return where, present, sums, mins, maxs


def _needs(indicator: m.Indicator) -> Pass:
    """What one indicator's expression needs from its grouping, as a pass of its own."""
    assert indicator.definition is not None
    bits: dict[Predicate | str, None] = {}
    sums: dict[SumOf, None] = {}
    mins: dict[str, None] = {}
    maxs: dict[str, None] = {}
    for aggregate in _aggregates(indicator.definition.value):
        where, present, s, lo, hi = _parts(aggregate)
        if where is not None:
            bits[where] = None
        bits.update(dict.fromkeys(present))
        sums.update(dict.fromkeys(s))
        mins.update(dict.fromkeys(lo))
        maxs.update(dict.fromkeys(hi))
    return Pass(tuple(bits), tuple(sums), tuple(mins), tuple(maxs))


def _assign_passes(needs: list[Pass]) -> list[tuple[Pass, list[Pass]]]:
    """Pack the indicators of one grouping into as few passes as fit ``_MAX_BITS`` bits each (one
    pass in every realistic catalogue; an indicator needing more bits gets a pass of its own)."""
    groups: list[list[Pass]] = []
    bit_sets: list[dict[Predicate | str, None]] = []
    for need in needs:
        for group, bits in zip(groups, bit_sets, strict=True):
            merged = {**bits, **dict.fromkeys(need.bits)}
            if len(merged) <= _MAX_BITS:
                group.append(need)
                bits.update(merged)
                break
        else:
            groups.append([need])
            bit_sets.append(dict.fromkeys(need.bits))
    passes = []
    for group, bits in zip(groups, bit_sets, strict=True):
        passes.append((Pass(
            tuple(bits),
            tuple(dict.fromkeys(s for n in group for s in n.sums)),
            tuple(dict.fromkeys(c for n in group for c in n.mins)),
            tuple(dict.fromkeys(c for n in group for c in n.maxs))), group))
    return passes


def _formula(expression: m.Expression, pass_: Pass, pass_index: int) -> Formula:
    if isinstance(expression, m.Constant):
        return ("const", float(expression.value))
    if isinstance(expression, m.Arithmetic):
        return (expression.op, _formula(expression.left, pass_, pass_index),
                _formula(expression.right, pass_, pass_index))
    where, present, sums, mins, maxs = _parts(expression)
    f = m.AggregateFunction
    function = expression.function
    ones = pass_.ones(where, present)
    count_all = Read(pass_index, "count", 0, 0)
    if function is f.COUNT:
        return ("agg", Agg(function, Read(pass_index, "count", 0, ones)))
    if function is f.SHARE:
        return ("agg", Agg(function, Read(pass_index, "count", 0, ones), count_all))
    if function is f.SUM:
        return ("agg", Agg(function, Read(pass_index, "sum", pass_.sums.index(sums[0]), ones)))
    if function is f.MEAN:
        return ("agg", Agg(function, Read(pass_index, "sum", pass_.sums.index(sums[0]), ones),
                           Read(pass_index, "count", 0, ones)))
    if function is f.WMEAN:
        return ("agg", Agg(function, Read(pass_index, "sum", pass_.sums.index(sums[0]), ones),
                           Read(pass_index, "sum", pass_.sums.index(sums[1]), ones)))
    if function is f.MIN:
        return ("agg", Agg(function, Read(pass_index, "min", pass_.mins.index(mins[0]), ones)))
    return ("agg", Agg(function, Read(pass_index, "max", pass_.maxs.index(maxs[0]), ones)))


# ------------------------------------------------------------------------------------------
# Exact sums


_LIMB = 32
_TWO32 = float(1 << 32)
_TWO64 = float(1 << 64)


class Limbs:
    """Exact sums of floats, one per cell of ``shape``: ``Σ_j a[j] · 2^(32·(base + j))`` with
    int64 limbs. Adding a value touches three limbs; :meth:`normalize` propagates carries before
    the limbs could overflow. Integer arithmetic, so the sums do not depend on the order of the
    additions."""

    __slots__ = ("a", "base", "adds")

    def __init__(self, shape: tuple[int, ...], a: Array | None = None, base: int = 0) -> None:
        self.a: Array = np.zeros((0, *shape), np.int64) if a is None else a
        self.base = base
        self.adds = 0

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.a.shape[1:])

    def cover(self, low: int, high: int) -> None:
        """Grow so limbs ``low .. high-1`` (absolute indices) exist (with room to spare, since
        the next block's slices usually land next to these)."""
        if self.a.shape[0] == 0:
            self.a = np.zeros((high - low, *self.shape), np.int64)
            self.base = low
            return
        below = max(0, self.base - low)
        above = max(0, high - (self.base + self.a.shape[0]))
        if below or above:
            below, above = below and below + 2, above and above + 2
            pad = [(below, above)] + [(0, 0)] * (self.a.ndim - 1)
            self.a = np.pad(self.a, pad)
            self.base -= below

    def add_window(self, sums: Array, lo: int) -> None:
        """Add float sums that are exact multiples of ``2^lo`` and below ``2^(lo+53)`` in size."""
        j0 = lo // _LIMB
        self.cover(j0, j0 + 3)
        if not self.a.flags.c_contiguous:
            self.a = np.ascontiguousarray(self.a)
        flat = self.a.reshape(self.a.shape[0], -1)
        cells: Any = slice(None)
        if sums.size > 4096:                   # many groups: convert only the bins that have rows
            nonzero = np.flatnonzero(sums)
            if len(nonzero) < sums.size // 4:
                cells, sums = nonzero, sums[nonzero]
        scaled = np.ldexp(sums, -_LIMB * j0)          # integers below 2^85 in size
        q2 = np.trunc(scaled / _TWO64)
        rest = scaled - q2 * _TWO64
        q1 = np.trunc(rest / _TWO32)
        q0 = rest - q1 * _TWO32
        i = j0 - self.base
        flat[i, cells] += q0.astype(np.int64)
        flat[i + 1, cells] += q1.astype(np.int64)
        flat[i + 2, cells] += q2.astype(np.int64)
        self._count(1)

    def _count(self, adds: int) -> None:
        self.adds += adds
        if self.adds > (1 << 28):
            self.normalize()

    def add(self, other: Limbs, index: Any = ...) -> None:
        """``self[index] += other`` (``index`` selects cells of ``self``)."""
        if other.a.shape[0] == 0:
            return
        self.cover(other.base, other.base + other.a.shape[0])
        i = other.base - self.base
        rows = slice(i, i + other.a.shape[0])
        if index is ...:
            self.a[rows] += other.a
        else:
            view = self.a[rows]                          # a view: the fancy-indexed += writes through
            view[(slice(None), *index)] += other.a
        self._count(other.adds + 1)

    def normalize(self) -> None:
        """Carry so every limb but the top one lies in [0, 2^32); the top one holds the sign."""
        a = self.a
        for j in range(a.shape[0] - 1):
            carry = a[j] >> _LIMB
            a[j] -= carry << _LIMB
            a[j + 1] += carry
        while a.shape[0] and np.any((a[-1] >= (1 << 31)) | (a[-1] < -(1 << 31))):
            carry = a[-1] >> _LIMB
            a[-1] -= carry << _LIMB
            a = np.concatenate([a, carry[None]])
        self.a = a
        self.adds = 0

    def sum_cells(self, select: Callable[[Array], Array]) -> Limbs:
        """A new accumulator whose cells are ``select(limb)`` of every limb (e.g. a sum over bins)."""
        self.normalize()
        if self.a.shape[0] == 0:
            return Limbs(select(np.zeros(self.shape, np.int64)).shape)
        return Limbs((0,), np.stack([select(limb) for limb in self.a]), self.base)

    def exact(self) -> tuple[list[int], int]:
        """Each cell as an integer ``n`` with the common exponent ``e``: value = n · 2^e."""
        self.normalize()
        cells = math.prod(self.shape)
        if self.a.shape[0] == 0:
            return [0] * cells, 0
        flat = self.a.reshape(self.a.shape[0], cells)
        values = [0] * cells
        for j in range(flat.shape[0] - 1, -1, -1):
            limb = flat[j].tolist()
            values = [(v << _LIMB) + x for v, x in zip(values, limb, strict=True)]
        return values, _LIMB * self.base


def _to_float(n: int, e: int, divisor: int = 1) -> float:
    """n · 2^e / divisor, correctly rounded (NaN when the divisor is 0)."""
    if divisor == 0:
        return math.nan
    if e >= 0:
        return (n << e) / divisor
    return n / (divisor << -e)


class _Scratch:
    """Per-thread buffers for one block, so the row loop allocates nothing per block; kept per
    thread and reused from chunk to chunk (less allocator churn when streaming)."""

    _local = threading.local()

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.group = np.empty(rows, np.intp)
        self.code = np.empty(rows, np.intp)
        self.high = np.empty(rows, np.float64)
        self.rest = np.empty(rows, np.float64)

    @classmethod
    def get(cls, rows: int) -> _Scratch:
        found: _Scratch | None = getattr(cls._local, "scratch", None)
        if found is None or found.rows < rows:
            found = cls._local.scratch = cls(rows)
        return found


def _window_sums(code: Array, x: Array, nbins: int, acc: Limbs, scratch: _Scratch | None = None) -> None:
    """Add the per-bin sums of ``x`` to ``acc`` exactly: slices of about 53 - log2(n) bits are
    summed in float64 without rounding, from the largest magnitude down until nothing is left.

    Rows whose value is NaN or ±inf must lie in bins that are never read (their "present" bit is
    0): their slices are NaN, and bins whose sum is not finite are dropped."""
    n = len(x)
    if n == 0:
        return
    highest, lowest = float(np.fmax.reduce(x)), float(np.fmin.reduce(x))
    if math.isinf(highest) or math.isinf(lowest):
        x = np.where(np.isinf(x), np.nan, x)
        highest, lowest = float(np.fmax.reduce(x)), float(np.fmin.reduce(x))
    biggest = max(highest, -lowest)
    if not biggest > 0.0:        # all zero or all missing
        return
    top = math.frexp(biggest)[1]                 # |x| < 2^top
    if top > 960:
        raise DataError(Diagnostic("QR206", f"a value of about {biggest:.3g} is too large to sum",
                                   suggestion="check the unit of the column"))
    # A slice must fit the rounding trick (|x| <= 2^(lo+51)) and n slices must sum exactly.
    width = min(51, 53 - n.bit_length())
    lo = top - width
    acc.cover((lo - 2 * width) // _LIMB, top // _LIMB + 3)     # room for three slices at once
    high = scratch.high[:n] if scratch is not None and len(scratch.high) >= n else np.empty(n)
    rest = scratch.rest[:n] if scratch is not None and len(scratch.rest) >= n else np.empty(n)
    # When every value has one sign and the smallest is within ~2^19 of the largest (measurements
    # usually are), the rest after one slice is a multiple of ulp(smallest) small enough to be
    # summed exactly as it is: two bincounts and no checks.
    smallest = lowest if lowest > 0 else -highest if highest < 0 else 0.0
    floor_exponent = math.frexp(smallest)[1] - 1 if smallest > 0 else None   # 2^e <= smallest
    source = x
    with np.errstate(invalid="ignore"):
        if floor_exponent is not None and floor_exponent >= lo + n.bit_length() - 2:
            big = 1.5 * math.ldexp(1.0, lo + 52)
            np.add(x, big, out=high)
            np.subtract(high, big, out=high)
            np.subtract(x, high, out=rest)
            for part, grid in ((high, lo), (rest, floor_exponent - 52)):
                sums = np.bincount(code, weights=part, minlength=nbins)
                sums[~np.isfinite(sums)] = 0.0
                acc.add_window(sums, grid)
            return
        while True:
            big = 1.5 * math.ldexp(1.0, lo + 52)
            np.add(source, big, out=high)
            np.subtract(high, big, out=high)             # the slice: source rounded to a multiple of 2^lo
            np.subtract(source, high, out=rest)
            sums = np.bincount(code, weights=high, minlength=nbins)
            sums[~np.isfinite(sums)] = 0.0
            acc.add_window(sums, lo)
            left_high, left_low = np.fmax.reduce(rest), np.fmin.reduce(rest)
            if not (left_high > 0.0 or left_low < 0.0):  # nothing left (NaN: only missing rows)
                return
            source = rest                                  # the next slice comes from the rest, in place
            lo -= width


# ------------------------------------------------------------------------------------------
# Partial states


class GroupingState:
    """The partial states of one grouping, arrays indexed by year × region × bin. Merging adds
    counts and exact sums and takes minima and maxima, so states from chunks, partitions or threads
    combine in any order to the same result."""

    def __init__(self, grouping: Grouping, regions: Sequence[str] = (), years: Sequence[int] = ()) -> None:
        self.grouping = grouping
        self.regions: list[str] = list(regions)
        self.years: list[int] = list(years)
        self._region_index = {r: i for i, r in enumerate(self.regions)}
        self._year_index = {y: i for i, y in enumerate(self.years)}
        shape = (len(self.years), len(self.regions))
        passes = grouping.passes
        self.counts: list[Array] = [np.zeros((*shape, p.nbins), np.int64) for p in passes]
        self.sums: list[list[Limbs]] = [[Limbs((*shape, p.nbins)) for _ in p.sums] for p in passes]
        self.mins: list[list[Array]] = [[np.full((*shape, p.nbins), np.inf) for _ in p.mins] for p in passes]
        self.maxs: list[list[Array]] = [[np.full((*shape, p.nbins), -np.inf) for _ in p.maxs] for p in passes]
        self.rows = 0
        self.unassigned = 0

    def _grow(self, regions: Sequence[str], years: Sequence[int]) -> tuple[Array, Array]:
        for region in regions:
            if region not in self._region_index:
                self._region_index[region] = len(self.regions)
                self.regions.append(region)
        for year in years:
            if year not in self._year_index:
                self._year_index[year] = len(self.years)
                self.years.append(year)
        y, r = len(self.years), len(self.regions)
        old_y, old_r = self.counts[0].shape[:2]
        if (y, r) != (old_y, old_r):
            pad = ((0, y - old_y), (0, r - old_r), (0, 0))
            self.counts = [np.pad(a, pad) for a in self.counts]
            self.mins = [[np.pad(a, pad, constant_values=np.inf) for a in p] for p in self.mins]
            self.maxs = [[np.pad(a, pad, constant_values=-np.inf) for a in p] for p in self.maxs]
            for sums in self.sums:
                for limbs in sums:
                    limbs.a = np.pad(limbs.a, ((0, 0), *pad))
        return (np.array([self._year_index[x] for x in years], np.intp),
                np.array([self._region_index[x] for x in regions], np.intp))

    def merge(self, other: GroupingState) -> None:
        years, regions = self._grow(other.regions, other.years)
        index: Any = np.ix_(years, regions)
        if np.array_equal(years, np.arange(len(years))) and np.array_equal(regions, np.arange(len(regions))):
            index = (slice(0, len(years)), slice(0, len(regions)))    # the usual case: same order
        for p in range(len(self.counts)):
            self.counts[p][index] += other.counts[p]
            for mine, theirs in zip(self.sums[p], other.sums[p], strict=True):
                mine.add(theirs, index)
            for a, b in zip(self.mins[p], other.mins[p], strict=True):
                a[index] = np.minimum(a[index], b)
            for a, b in zip(self.maxs[p], other.maxs[p], strict=True):
                a[index] = np.maximum(a[index], b)
        self.rows += other.rows
        self.unassigned += other.unassigned

    def rolled_up(self, hierarchy: Hierarchy) -> GroupingState:
        """A state whose regions also include every ancestor, each with its descendants' records
        (and its own): exact, so a city's value is computed from exactly its districts' records."""
        pairs = [(i, target) for i, region in enumerate(self.regions)
                 for target in (region, *hierarchy.ancestors(region))]
        position = {name: i for i, name in enumerate(dict.fromkeys(t for _, t in pairs))}
        out = GroupingState(self.grouping, list(position), self.years)
        source = np.array([i for i, _ in pairs], np.intp)
        target = np.array([position[t] for _, t in pairs], np.intp)
        for p in range(len(self.counts)):
            to: Any = (slice(None), target)
            np.add.at(out.counts[p], to, self.counts[p][:, source])
            for mine, theirs in zip(out.sums[p], self.sums[p], strict=True):
                theirs.normalize()
                mine.a = np.zeros((theirs.a.shape[0], *mine.shape), np.int64)
                mine.base = theirs.base
                limbs_to: Any = (slice(None), slice(None), target)
                np.add.at(mine.a, limbs_to, theirs.a[:, :, source])
                mine.normalize()
            for a, b in zip(out.mins[p], self.mins[p], strict=True):
                np.minimum.at(a, to, b[:, source])
            for a, b in zip(out.maxs[p], self.maxs[p], strict=True):
                np.maximum.at(a, to, b[:, source])
        out.rows, out.unassigned = self.rows, self.unassigned
        return out


TableState = dict[int, GroupingState]   # grouping index -> state


def merge_states(left: TableState, right: TableState) -> TableState:
    """Merge two tables' partial states (in place into ``left``, which is returned; ``right``'s
    states are copied, never shared)."""
    for index, state in right.items():
        if index in left:
            left[index].merge(state)
        else:
            merged = GroupingState(state.grouping)
            merged.merge(state)
            left[index] = merged
    return left


# ------------------------------------------------------------------------------------------
# The scan: one pass over a chunk's rows per grouping


BlockFn = Callable[[int, int, dict[Any, Array]], Array]


def _present_fn(name: str, numbers: Any) -> BlockFn | None:
    """Rows where the column has a value (None: always)."""
    if numbers.always_present:
        return None
    values, valid = numbers.values, numbers.valid

    def present(s: int, e: int, memo: dict[Any, Array]) -> Array:
        key = ("present", name)
        if key not in memo:
            mask = np.isfinite(values[s:e]) if numbers.floating else valid[s:e]
            if numbers.floating and valid is not None:
                mask &= valid[s:e]
            memo[key] = mask
        return memo[key]
    return present


def _values_fn(name: str, numbers: Any) -> BlockFn:
    """The column as float64. Missing rows keep whatever they hold (NaN, ±inf, a filler): their
    "present" bit keeps them in bins that are never read."""
    values = numbers.values

    def block(s: int, e: int, memo: dict[Any, Array]) -> Array:
        key = ("values", name)
        if key not in memo:
            x = values[s:e]
            memo[key] = x if x.dtype == np.float64 else x.astype(np.float64)
        return memo[key]
    return block


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal, "==": np.equal,
}


def _predicate_fn(predicate: Predicate, chunk: Any) -> BlockFn:
    """Rows where the predicate is known to be true."""
    if isinstance(predicate, (All, Any_)):
        parts = [_predicate_fn(p, chunk) for p in predicate.parts]
        combine = np.logical_and if isinstance(predicate, All) else np.logical_or

        def both(s: int, e: int, memo: dict[Any, Array]) -> Array:
            out: Array = parts[0](s, e, memo).copy()
            for part in parts[1:]:
                combine(out, part(s, e, memo), out=out)
            return out
        return both
    column, op, literal = predicate.column, predicate.op, predicate.literal
    if isinstance(literal, bool):
        flags = chunk.flags(column)
        truth, valid = flags.truth, flags.valid
        if (op == "==") == literal:
            return lambda s, e, memo: truth[s:e]
        if valid is None:
            return lambda s, e, memo: ~truth[s:e]
        return lambda s, e, memo: ~truth[s:e] & valid[s:e]
    if isinstance(literal, str):
        codes = chunk.codes(column)
        compare = _COMPARE.get(op)
        table = np.array([(v != literal) if compare is None else bool(compare(v, literal)) for v in codes.values]
                         + [False], bool)
        index = codes.codes
        return lambda s, e, memo: np.take(table, index[s:e])
    numbers = chunk.numbers(column)
    values = numbers.values
    number = float(literal)
    # NaN compares false already; an infinity (missing too) could pass every order but ==.
    present = _present_fn(column, numbers) if op != "==" or numbers.valid is not None else None

    def test(s: int, e: int, memo: dict[Any, Array]) -> Array:
        x = values[s:e]
        out: Array
        if op != "!=":
            out = _COMPARE[op](x, number)
        elif numbers.floating:
            out = (x < number) | (x > number)
        else:
            out = x != number
        if present is not None:
            out &= present(s, e, memo)
        return out
    return test


@attrs.define
class _PassScan:
    """A pass prepared for one chunk: bit sources, value sources, and bins."""

    shift: int
    nbins: int
    variable: list[tuple[int, BlockFn]]
    constant: int
    sums: list[tuple[BlockFn, BlockFn | None]]
    mins: list[BlockFn]
    maxs: list[BlockFn]


def _prepare_pass(pass_: Pass, chunk: Any, ngroups: int) -> _PassScan:
    variable: list[tuple[int, BlockFn]] = []
    constant = 0
    for position, bit in enumerate(pass_.bits):
        if isinstance(bit, str):
            present = _present_fn(bit, chunk.numbers(bit))
            if present is None:
                constant |= 1 << position
            else:
                variable.append((position, present))
        else:
            variable.append((position, _predicate_fn(bit, chunk)))
    sums = [(_values_fn(s.column, chunk.numbers(s.column)),
             _values_fn(s.weight, chunk.numbers(s.weight)) if s.weight else None) for s in pass_.sums]
    mins = [_values_fn(c, chunk.numbers(c)) for c in pass_.mins]
    maxs = [_values_fn(c, chunk.numbers(c)) for c in pass_.maxs]
    return _PassScan(len(pass_.bits), ngroups << len(pass_.bits), variable, constant, sums, mins, maxs)


@attrs.define
class _Accumulator:
    counts: Array
    sums: list[Limbs]
    mins: list[Array]
    maxs: list[Array]

    @classmethod
    def empty(cls, scan: _PassScan) -> _Accumulator:
        n = scan.nbins
        return cls(np.zeros(n, np.int64), [Limbs((n,)) for _ in scan.sums],
                   [np.full(n, np.inf) for _ in scan.mins], [np.full(n, -np.inf) for _ in scan.maxs])

    def add(self, other: _Accumulator) -> None:
        self.counts += other.counts
        for a, b in zip(self.sums, other.sums, strict=True):
            a.add(b)
        for x, y in zip(self.mins, other.mins, strict=True):
            np.minimum(x, y, out=x)
        for x, y in zip(self.maxs, other.maxs, strict=True):
            np.maximum(x, y, out=x)


def _bits(scan: _PassScan, s: int, e: int, memo: dict[Any, Array]) -> Array | int:
    """The pass's condition/presence bits of the block's rows (bool or uint8), or a constant."""
    if not scan.variable:
        return scan.constant
    (first, fn), *others = scan.variable
    if first == 0 and not others and not scan.constant:
        return fn(s, e, memo)
    out = np.left_shift(fn(s, e, memo).view(np.uint8), first)
    for position, more in others:
        out |= np.left_shift(more(s, e, memo).view(np.uint8), position)
    if scan.constant:
        out |= scan.constant
    return out


@attrs.frozen
class _ChunkScan:
    """A grouping prepared for one chunk: ``group(s, e, out)`` writes each row's group number
    (region × year, with an extra "unassigned" region and year) and the passes add their bits."""

    group: Callable[[int, int, Array], Array]
    passes: list[_PassScan]
    block: int


def _scan_rows(job: _ChunkScan, lo: int, hi: int) -> list[_Accumulator]:
    """The row loop: per block, one combined code per row and pass, then bincounts."""
    accs = [_Accumulator.empty(scan) for scan in job.passes]
    scratch = _Scratch.get(min(job.block, max(hi - lo, 0)))
    for s in range(lo, hi, job.block):
        e = min(s + job.block, hi)
        n = e - s
        memo: dict[Any, Array] = {}
        group = job.group(s, e, scratch.group[:n])
        for scan, acc in zip(job.passes, accs, strict=True):
            code = np.left_shift(group, scan.shift, out=scratch.code[:n]) if scan.shift else group
            bits = _bits(scan, s, e, memo)
            if not isinstance(bits, int) or bits:
                np.add(code, bits, out=code)
            acc.counts += np.bincount(code, minlength=scan.nbins)
            for (values, weight), limbs in zip(scan.sums, acc.sums, strict=True):
                x = values(s, e, memo)
                if weight is not None:
                    x = _product(x, weight(s, e, memo))
                _window_sums(code, x, scan.nbins, limbs, scratch)
            with np.errstate(invalid="ignore"):  # NaN lands only in bins of missing rows, never read
                for fn, low in zip(scan.mins, acc.mins, strict=True):
                    np.minimum.at(low, code, fn(s, e, memo))
                for fn, high in zip(scan.maxs, acc.maxs, strict=True):
                    np.maximum.at(high, code, fn(s, e, memo))
    return accs


def _product(x: Array, w: Array) -> Array:
    """x·w for a weighted mean; an overflow of two finite values is an error, not a missing row."""
    with np.errstate(over="ignore", invalid="ignore"):
        out: Array = x * w
    if np.isinf(out).any() and (np.isinf(out) & np.isfinite(x) & np.isfinite(w)).any():
        raise DataError(Diagnostic("QR206", "a value times its weight is too large for a weighted mean",
                                   suggestion="check the units of the value and weight columns"))
    return out


def scan_chunk(grouping: Grouping, chunk: Any, pool: Any = None, workers: int = 1) -> GroupingState:
    """The partial states of one chunk of records for one grouping (rows split over ``workers``
    threads of ``pool`` when the chunk is large)."""
    regions = chunk.codes(grouping.region)
    names = list(dict.fromkeys(regions.values))
    position = {name: i for i, name in enumerate(names)}
    entry = np.array([position[v] for v in regions.values] + [len(names)], np.intp)
    times = chunk.times(grouping.time, grouping.time_is_date)
    years = sorted({int(y) for y in np.unique(times.years) if y >= 0})
    n_regions, n_years = len(names), len(years)
    width = n_regions + 1                        # the last region and the last year are "unassigned"
    year_code = np.searchsorted(np.array(years, np.int64), times.years)
    year_code[times.years < 0] = n_years
    year_lut = year_code.astype(np.intp) * width
    codes, keys, divisor, offset = regions.codes, times.values, times.divisor, times.offset
    # Region codes are added as they are when the dictionary is already the region list and
    # has no nulls; otherwise they go through a lookup table (nulls, -1, read its last entry).
    direct = len(codes) == 0 or (np.array_equal(entry[:-1], np.arange(n_regions)) and int(codes.min()) >= 0)

    def group(s: int, e: int, out: Array) -> Array:
        key = keys[s:e]
        if divisor != 1:
            key = key // divisor
        if offset:
            key = key - offset
        np.take(year_lut, key, out=out, mode="clip")   # keys are in range; "raise" would buffer
        if direct:
            np.add(out, codes[s:e], out=out)
        else:
            np.add(out, np.take(entry, codes[s:e].astype(np.intp)), out=out)
        return out

    ngroups = width * (n_years + 1)
    scans = [_prepare_pass(p, chunk, ngroups) for p in grouping.passes]
    widest = max(scan.nbins for scan in scans)
    block = max(_MIN_BLOCK, 1 << (8 * widest).bit_length())
    job = _ChunkScan(group, scans, block)
    n = chunk.n
    parts = min(workers if pool is not None else 1, max(1, n // block))
    if parts > 1:
        edges = [((n * i // parts) // block) * block for i in range(parts)] + [n]
        futures = [pool.submit(_scan_rows, job, a, b) for a, b in zip(edges, edges[1:], strict=False)]
        results = [f.result() for f in futures]
    else:
        results = [_scan_rows(job, 0, n)]
    accs = results[0]
    for other in results[1:]:
        for acc, more in zip(accs, other, strict=True):
            acc.add(more)
    state = GroupingState(grouping, names, years)
    keep = (slice(0, n_years), slice(0, n_regions))          # drop the "unassigned" year and region
    for p, (scan, acc) in enumerate(zip(scans, accs, strict=True)):
        shape = (n_years + 1, width, 1 << scan.shift)
        state.counts[p] = acc.counts.reshape(shape)[keep]
        for limbs, total in zip(state.sums[p], acc.sums, strict=True):
            limbs.a = total.a.reshape((total.a.shape[0], *shape))[(slice(None), *keep)]
            limbs.base, limbs.adds = total.base, total.adds
        state.mins[p] = [a.reshape(shape)[keep] for a in acc.mins]
        state.maxs[p] = [a.reshape(shape)[keep] for a in acc.maxs]
    state.rows = n
    state.unassigned = n - int(state.counts[0].sum())
    return state


# ------------------------------------------------------------------------------------------
# Region hierarchy


class Hierarchy:
    """Which region each region belongs to (station → district → city → province), given as a
    child → parent mapping, or as rows of names from the finest level to the coarsest
    (``[("龙城站", "龙岗区", "深圳市", "广东省"), …]``). Names are normalised like rule text."""

    def __init__(self, parents: Mapping[str, str] | Iterable[Sequence[Any]]) -> None:
        pairs: list[tuple[str, str]] = []
        if isinstance(parents, Mapping):
            pairs = [(str(k), str(v)) for k, v in parents.items()]
        else:
            for row in parents:
                names = [str(x) for x in row if x is not None and str(x).strip()]
                pairs.extend(zip(names, names[1:], strict=False))
        self.parent: dict[str, str] = {}
        problems: list[Diagnostic] = []
        for child, parent in pairs:
            child, parent = normalize(child), normalize(parent)
            known = self.parent.setdefault(child, parent)
            if known != parent:
                problems.append(Diagnostic("QR208", f"region '{child}' has two parents: '{known}' and '{parent}'",
                                           suggestion="give each region one parent"))
        for region in self.parent:
            chain = [region]
            while chain[-1] in self.parent:
                chain.append(self.parent[chain[-1]])
                if chain[-1] in chain[:-1]:
                    problems.append(Diagnostic("QR208", "region hierarchy has a cycle: " + " → ".join(chain),
                                               suggestion="a region cannot contain itself"))
                    break
            if problems:
                break
        if problems:
            raise DataError(problems)

    @classmethod
    def read(cls, path: str | Path) -> Hierarchy:
        """A hierarchy from a CSV file: columns ``child,parent``, or one column per level from the
        finest to the coarsest (``station,district,city,province``)."""
        import csv
        import io

        from .data import read_text
        from .records_io import guess_delimiter

        text = read_text(Path(path))
        delimiter = guess_delimiter(text.split("\n", 1)[0].rstrip("\r"))
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        return cls([row for row in rows[1:] if row])

    def ancestors(self, region: str) -> list[str]:
        out = []
        while region in self.parent:
            region = self.parent[region]
            out.append(region)
        return out


# ------------------------------------------------------------------------------------------
# Values from states


def _select(nbins: int, ones: int) -> Array:
    bins = np.arange(nbins)
    return np.asarray((bins & ones) == ones)


def _read_count(state: GroupingState, read: Read) -> Array:
    counts = state.counts[read.pass_]
    result: Array = counts[..., _select(counts.shape[-1], read.ones)].sum(axis=-1)
    return result


def _read_exact(state: GroupingState, read: Read) -> tuple[list[int], int]:
    limbs = state.sums[read.pass_][read.index]
    chosen = _select(state.grouping.passes[read.pass_].nbins, read.ones)
    return limbs.sum_cells(lambda a: a[..., chosen].sum(axis=-1)).exact()


def _read_extreme(state: GroupingState, read: Read) -> Array:
    arrays = state.mins if read.what == "min" else state.maxs
    values = arrays[read.pass_][read.index]
    chosen = _select(values.shape[-1], read.ones)
    reduce = np.min if read.what == "min" else np.max
    out: Array = reduce(values[..., chosen], axis=-1) if chosen.any() else np.full(values.shape[:-1], np.inf)
    return np.where(np.isfinite(out), out, np.nan)


def _aggregate_values(state: GroupingState, agg: Agg) -> Array:
    """One aggregate per region × year, each the correctly rounded value of its definition."""
    f = m.AggregateFunction
    shape = (len(state.years), len(state.regions))
    num, den = agg.numerator, agg.denominator
    if agg.function in (f.MIN, f.MAX):
        return _read_extreme(state, num)
    if agg.function is f.COUNT:
        return _read_count(state, num).astype(np.float64)
    if agg.function is f.SHARE:
        assert den is not None
        top, bottom = _read_count(state, num), _read_count(state, den)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(bottom > 0, top / np.maximum(bottom, 1), np.nan)
    sums, exponent = _read_exact(state, num)
    if agg.function is f.SUM:
        return np.array([_to_float(s, exponent) for s in sums], np.float64).reshape(shape)
    assert den is not None
    if agg.function is f.MEAN:
        counts = _read_count(state, den).ravel().tolist()
        return np.array([_to_float(s, exponent, c) for s, c in zip(sums, counts, strict=True)], np.float64).reshape(shape)
    weights, weight_exponent = _read_exact(state, den)          # wmean
    return np.array([_to_float(s, exponent - weight_exponent, w) for s, w in zip(sums, weights, strict=True)],
                    np.float64).reshape(shape)


def _evaluate(formula: Formula, state: GroupingState, cache: dict[Agg, Array]) -> Array | float:
    kind = formula[0]
    if kind == "const":
        value: float = formula[1]
        return value
    if kind == "agg":
        agg: Agg = formula[1]
        if agg not in cache:
            cache[agg] = _aggregate_values(state, agg)
        return cache[agg]
    left = _evaluate(formula[1], state, cache)
    right = _evaluate(formula[2], state, cache)
    with np.errstate(all="ignore"):
        if kind == "+":
            return np.add(left, right)
        if kind == "-":
            return np.subtract(left, right)
        if kind == "*":
            return np.multiply(left, right)
        quotient = np.divide(left, right)
        return np.where(np.equal(right, 0), np.nan, quotient)


# ------------------------------------------------------------------------------------------
# The result


@attrs.frozen
class IndicatorTable:
    """Indicator values in long form, one row per indicator × region × year with records: ``value``
    (NaN when unknown), ``unit``, ``records`` (rows of the indicator's table in that region-year),
    ``min_records`` (0 when none) and ``sufficient`` (records ≥ min_records)."""

    region: tuple[str, ...]
    year: Array
    indicator: tuple[str, ...]
    value: Array
    unit: tuple[str | None, ...]
    records: Array
    min_records: Array
    sufficient: Array
    rows_read: dict[str, int] = attrs.field(factory=dict, eq=False)
    unassigned: dict[str, int] = attrs.field(factory=dict, eq=False)

    COLUMNS = ("region", "year", "indicator", "value", "unit", "records", "min_records", "sufficient")

    def __len__(self) -> int:
        return len(self.region)

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.COLUMNS}

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"region": r, "year": int(y), "indicator": i, "value": None if math.isnan(v) else float(v),
             "unit": u, "records": int(n), "min_records": int(k), "sufficient": bool(ok)}
            for r, y, i, v, u, n, k, ok in zip(self.region, self.year, self.indicator, self.value, self.unit,
                                               self.records, self.min_records, self.sufficient, strict=True)
        ]

    def get(self, indicator: str, region: str, year: int) -> float | None:
        """The value of one indicator for one region and year (None when there are no records)."""
        key = (normalize(indicator), normalize(region), int(year))
        for i, (ind, reg, yr) in enumerate(zip(self.indicator, self.region, self.year, strict=True)):
            if (ind, reg, int(yr)) == key:
                return float(self.value[i])
        return None

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({k: list(v) if isinstance(v, tuple) else v for k, v in self.columns().items()})

    def to_arrow(self) -> pa.Table:
        import pyarrow as pa

        return pa.table({k: list(v) if isinstance(v, tuple) else v for k, v in self.columns().items()})

    def for_evaluation(self) -> dict[str, list[Any]]:
        """Long-form columns the evaluator reads (``region, year, indicator, value, unit, source``);
        ``source`` says which records each value comes from."""
        notes = [f"{n:,} records" + ("" if ok else f" (< min_records {k}: unknown)")
                 for n, k, ok in zip(self.records.tolist(), self.min_records.tolist(), self.sufficient.tolist(),
                                     strict=True)]
        return {"region": list(self.region), "year": self.year.tolist(), "indicator": list(self.indicator),
                "value": self.value.tolist(), "unit": list(self.unit), "source": notes}

    def observations(self, catalogue: Any) -> Any:
        """The values as :class:`qualityrules.data.Observations` (unknown values stay unknown)."""
        from .data import load

        return load(self, catalogue, name="records")

    def to_csv(self, path: str | Path | None = None) -> str:
        """CSV text (UTF-8, header ``region,year,indicator,value,unit,records,min_records,sufficient``);
        written to ``path`` when given. Unknown values are empty cells."""
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.COLUMNS)
        for row in self.rows():
            writer.writerow(["" if row[c] is None else repr(row[c]) if isinstance(row[c], float) else
                             str(row[c]).lower() if isinstance(row[c], bool) else row[c] for c in self.COLUMNS])
        text = out.getvalue()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def finish(plan: RecordPlan, states: Mapping[int, GroupingState], hierarchy: Hierarchy | None = None) -> IndicatorTable:
    """Indicator values from merged states (rolled up the hierarchy first, when there is one): one
    row per indicator, region and year with records, sorted by indicator, region and year."""
    parts: dict[str, list[Any]] = {c: [] for c in IndicatorTable.COLUMNS}
    rows_read: dict[str, int] = {}
    unassigned: dict[str, int] = {}
    rolled: dict[int, GroupingState] = {}
    for index, state in states.items():
        rolled[index] = state.rolled_up(hierarchy) if hierarchy is not None else state
        table = plan.groupings[index].table
        rows_read[table] = max(rows_read.get(table, 0), state.rows)
        unassigned[table] = max(unassigned.get(table, 0), state.unassigned)
    caches: dict[int, dict[Agg, Array]] = {}
    for indicator in plan.indicators:
        found = rolled.get(indicator.grouping)
        if found is None or not found.regions or not found.years:
            continue
        state = found
        records = state.counts[0].sum(axis=-1)                      # year × region
        value = np.broadcast_to(_evaluate(indicator.formula, state, caches.setdefault(indicator.grouping, {})),
                                records.shape).astype(np.float64)
        needed = indicator.min_records or 0
        sufficient = records >= needed
        regions = np.array(state.regions, dtype=object)
        by_region = np.argsort(regions, kind="stable")
        by_year = np.argsort(np.array(state.years))
        grid = np.ix_(by_region, by_year)                            # region-major, sorted
        keep = records.T[grid] > 0
        r, y = np.nonzero(keep)
        parts["region"].append(regions[by_region][r])
        parts["year"].append(np.array(state.years, np.int64)[by_year][y])
        parts["indicator"].append(np.full(len(r), indicator.name, dtype=object))
        parts["value"].append(np.where(sufficient, value, np.nan).T[grid][keep])
        parts["unit"].append(np.full(len(r), indicator.unit, dtype=object))
        parts["records"].append(records.T[grid][keep])
        parts["min_records"].append(np.full(len(r), needed, np.int64))
        parts["sufficient"].append(sufficient.T[grid][keep])
    empty = {"region": object, "year": np.int64, "indicator": object, "value": np.float64, "unit": object,
             "records": np.int64, "min_records": np.int64, "sufficient": bool}
    out = {c: np.concatenate(v) if v else np.array([], empty[c]) for c, v in parts.items()}
    return IndicatorTable(
        tuple(out["region"].tolist()), out["year"].astype(np.int64), tuple(out["indicator"].tolist()),
        out["value"].astype(np.float64), tuple(out["unit"].tolist()), out["records"].astype(np.int64),
        out["min_records"].astype(np.int64), out["sufficient"].astype(bool), rows_read, unassigned)


# ------------------------------------------------------------------------------------------
# Running a plan


class Progress:
    """A one-line progress display on stderr (rows, percentage, rate), redrawn at most 5 times a
    second; silent unless enabled."""

    def __init__(self, label: str = "", stream: Any = None, interval: float = 0.2) -> None:
        import sys
        import time

        self.stream = stream or sys.stderr
        self.label = label
        self.rows = 0
        self.fraction: float | None = None
        self.interval = interval
        self._clock = time.monotonic
        self._start = self._clock()
        self._shown = 0.0
        self._lock = threading.Lock()

    def start(self, label: str) -> None:
        self.label, self.rows, self.fraction = label, 0, None
        self._start = self._clock()

    def advance(self, rows: int, position: tuple[int | None, int] | None) -> None:
        with self._lock:
            self.rows += rows
            if position is not None and position[0] is not None and position[1]:
                self.fraction = min(1.0, position[0] / position[1])
            now = self._clock()
            if now - self._shown >= self.interval:
                self._shown = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        share = f" {100 * self.fraction:5.1f}%" if self.fraction is not None else ""
        self.stream.write(f"\r{self.label}: {self.rows:,} rows{share}  {self.rows / elapsed:,.0f} rows/s  "
                          f"{elapsed:.1f} s ")
        self.stream.flush()

    def done(self) -> None:
        self._draw(self._clock())
        self.stream.write("\n")
        self.stream.flush()


def read_kinds(plan: RecordPlan, table: str) -> dict[str, str]:
    """How to read each needed column of a table, over all its groupings (ranked by :func:`_widen`)."""
    kinds: dict[str, str] = {}
    for grouping in plan.groupings:
        if grouping.table == table:
            for column, kind in grouping.columns().items():
                _widen(kinds, column, kind)
    return kinds


def scan_table(plan: RecordPlan, table: str, source: Any, *, threads: int | None = None,
               chunk_rows: int | None = None, encoding: str | None = None,
               progress: Progress | None = None) -> TableState:
    """Merged partial states of every grouping of ``table`` over all chunks of ``source``."""
    from concurrent.futures import ThreadPoolExecutor

    from .records_io import chunks

    indices = [i for i, g in enumerate(plan.groupings) if g.table == table]
    states: TableState = {i: GroupingState(plan.groupings[i]) for i in indices}
    workers = threads or os.cpu_count() or 1
    if progress is not None:
        progress.start(table if not isinstance(source, (str, Path)) else str(source))
    with ThreadPoolExecutor(workers) if workers > 1 else _NoPool() as pool:
        for chunk in chunks(source, table, read_kinds(plan, table), encoding=encoding, chunk_rows=chunk_rows,
                            progress=progress, purposes=plan.purposes(table)):
            merge_states(states, {i: scan_chunk(plan.groupings[i], chunk, pool, workers) for i in indices})
    if progress is not None:
        progress.done()
    return states


class _NoPool:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None


def match_sources(plan: RecordPlan, records: Any) -> dict[str, Any]:
    """Table name → records source. ``records`` maps table names to sources, or is a path (or list
    of paths) whose file names start with a table name (``wastewater.csv``, ``air_daily.parquet``,
    ``air_daily/``), or, when the plan reads one table, that table's records."""
    tables = plan.tables
    if isinstance(records, Mapping) and records and all(normalize(str(k)) in tables for k in records):
        return {normalize(str(k)): v for k, v in records.items()}
    if isinstance(records, (str, Path)) or (isinstance(records, (list, tuple)) and records
                                            and all(isinstance(r, (str, Path)) for r in records)):
        paths = [records] if isinstance(records, (str, Path)) else list(records)
        return _match_paths(plan, [Path(p) for p in paths])
    if len(tables) == 1:
        return {tables[0]: records}
    raise DataError(Diagnostic(
        "QR209", f"cannot tell which records belong to which table; the pack reads {', '.join(tables)}",
        suggestion="pass a mapping {table: records} or files named after the tables (wastewater.csv …)"))


def table_of_path(path: Path, tables: Sequence[str]) -> str | None:
    """The table a file or directory holds records of, by its name: ``wastewater.csv``,
    ``wastewater-2015.csv``, ``air_daily.parquet``, ``air_daily/``."""
    stem = normalize(path.name.split(".")[0] if not path.is_dir() else path.name)
    for table in sorted(tables, key=len, reverse=True):
        if stem == table or (stem.startswith(table) and not stem[len(table)].isalnum()):
            return table
    return None


def _match_paths(plan: RecordPlan, paths: list[Path]) -> dict[str, Any]:
    from .errors import did_you_mean

    found: dict[str, list[Path]] = {}
    problems = []
    for path in paths:
        table = table_of_path(path, plan.tables)
        if table is None:
            problems.append(Diagnostic(
                "QR209", f"{path}: no indicator of the pack is defined from a table named like this file",
                suggestion=did_you_mean(path.name.split(".")[0], plan.tables)
                or f"name record files after their table: {', '.join(t + '.csv' for t in plan.tables)}"))
        else:
            found.setdefault(table, []).append(path)
    if problems:
        raise DataError(problems)
    return {t: (ps[0] if len(ps) == 1 else ps) for t, ps in found.items()}


def _pieces(source: Any) -> list[Any]:
    """A table's sources: several files are read one after the other."""
    if isinstance(source, (list, tuple)) and source and all(isinstance(p, (str, Path)) for p in source):
        return list(source)
    return [source]


def compute_indicators(source: Pack | RecordPlan | Iterable[m.Indicator], records: Any, *,
                       hierarchy: Hierarchy | Mapping[str, str] | Iterable[Sequence[Any]] | None = None,
                       threads: int | None = None, chunk_rows: int | None = None, encoding: str | None = None,
                       progress: bool | Progress = False, backend: str = "numpy",
                       scheduler: Any = None) -> IndicatorTable:
    """Compute the record-defined indicators of a pack (or plan) from raw records.

    ``records``: ``{table: source}`` or paths named after the tables (``wastewater.csv``), where
    a source is a CSV or Parquet path, a Parquet directory, a pandas/polars DataFrame, an Arrow
    table, a mapping of column arrays, or an iterable of those (streamed chunk by chunk).
    ``hierarchy``: region → parent mapping (or :class:`Hierarchy`); values are also computed for
    every ancestor region from the same records. ``chunk_rows`` splits inputs into chunks of at
    most that many rows (results are identical for any value). ``backend="dask"`` reads Parquet
    paths (or Dask DataFrames) as Dask partitions and merges their partial states."""
    plan = source if isinstance(source, RecordPlan) else compile_plan(source)
    tree = hierarchy if isinstance(hierarchy, Hierarchy) or hierarchy is None else Hierarchy(hierarchy)
    sources = match_sources(plan, records)
    display = progress if isinstance(progress, Progress) else Progress() if progress else None
    states: dict[int, GroupingState] = {}
    if backend not in ("numpy", "dask"):
        raise ValueError(f"unknown backend {backend!r}: use 'numpy' or 'dask'")
    for table, table_source in sources.items():
        for part in _pieces(table_source):
            if backend == "dask":
                from .records_dask import scan_table_dask

                found = scan_table_dask(plan, table, part, scheduler=scheduler)
            else:
                found = scan_table(plan, table, part, threads=threads, chunk_rows=chunk_rows,
                                   encoding=encoding, progress=display)
            merge_states(states, found)
    return finish(plan, states, tree)


def check_records(pack: Pack | str | Path, records: Any, *, data: Any = None,
                  regions: Iterable[str] | None = None, years: Iterable[int] | None = None,
                  load_options: Mapping[str, Any] | None = None, **options: Any) -> Any:
    """Compute a pack's record-defined indicators from ``records`` (see :func:`compute_indicators`,
    whose keywords ``options`` go to) and check them against the pack, together with indicator
    ``data`` if given (see :func:`qualityrules.evaluate`); returns the report."""
    from .data import concat, load
    from .evaluation import evaluate

    if isinstance(pack, (str, Path)):
        from .resolve import load_pack

        pack = load_pack(pack)
    table = compute_indicators(pack, records, **options)
    parts = [table.observations(pack.catalogue)]
    if data is not None:
        parts.insert(0, load(data, pack.catalogue, **dict(load_options or {})))
    return evaluate(pack, concat(parts), regions=regions, years=years)
