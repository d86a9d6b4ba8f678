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

* NaN and null measurements are *missing*: aggregates skip them (``sum``, ``mean``, ``min``,
  ``max``, ``count(x)``, ``wmean`` use present values only). ±inf is no measurement: it is
  missing to the scan, which counts such rows per group, and the indicators reading the column
  are unknown in those groups (QR214).
* A condition on a missing value is *unknown*, and ``where`` keeps only rows where the condition
  is known to be true (SQL's three-valued logic: ``not (aqi <= 100)`` does not hold for a missing
  ``aqi`` either). ``count()`` and ``share``'s denominator count every row, so a missing
  measurement is never a compliant sample.
* ``sum`` of no values is 0; ``mean``/``min``/``max``/``wmean`` of no values and any division by
  zero are unknown (NaN).
* Rows with a missing region or date belong to no group; they are counted as unassigned and
  the first of them is located in a warning (QR215). A totals row (合计, 小计 in the region
  column) is no record: it belongs to no group either, and is said apart (QR216).
* ``min_records N``: a region-year with fewer than N records of the indicator's table has an
  unknown value (NaN) and ``sufficient = False``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import numpy.typing as npt

from ..errors import Diagnostic, RuleSyntaxError
from ..i18n import tr
from ..language import model as m
from ..language.text import normalize

if TYPE_CHECKING:

    from ..packs.resolve import Pack


Array = npt.NDArray[Any]

_NEGATED = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}
_MAX_BITS = 6          # condition/presence bits per pass: at most 64 bins per group
# One indicator's bits share its pass (its sums are read per combination of them): 2**12 bins
# per region and year is already far beyond any catalogue, and the bins must fit in memory.
MAX_INDICATOR_BITS = 12


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
            test = f"{condition.column} {condition.op.value} {str(value).lower()}"
            raise RuleSyntaxError(Diagnostic(
                "QR012", tr("'{test}' orders a true/false value", test=test),
                condition.span, suggestion=tr("compare true/false with == or !=")))
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
    # the declared units of measured columns (``column volume 立方米``): what a value can be
    units: tuple[tuple[str, str], ...] = ()

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


# Value expressions: ("const", Decimal) | ("agg", Agg) | (op, left, right)
Formula = tuple[Any, ...]


@attrs.frozen
class IndicatorPlan:
    """One indicator: its formula over its grouping's states, and ``columns``, the measured
    columns its value reads (aggregated, weights, compared in conditions)."""

    name: str
    unit: str | None
    grouping: int
    formula: Formula
    min_records: int | None
    columns: tuple[str, ...] = ()


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

    def readers(self, table: str, *, values_only: bool = True) -> dict[str, list[str]]:
        """Each column of a table → the indicators reading it: those that read values from it
        (in the diagnostics of what reading noticed: ±inf makes them unknown), or with
        ``values_only=False`` every indicator whose grouping reads it (its region and date too)."""
        found: dict[str, list[str]] = {}
        for indicator in self.indicators:
            grouping = self.groupings[indicator.grouping]
            if grouping.table == table:
                for name in indicator.columns if values_only else grouping.columns():
                    found.setdefault(name, []).append(indicator.name)
        return found

    def units(self, table: str) -> dict[str, str]:
        """The declared unit of each measured column of a table that has one."""
        return {column: unit for g in self.groupings if g.table == table for column, unit in g.units}

    def purposes(self, table: str) -> dict[str, str]:
        """Each column of a table with its kind and the indicators reading it (for diagnostics)."""
        readers = self.readers(table, values_only=False)
        return {column: f"{kind}, read by {', '.join(readers.get(column, []))}"
                for column, kind in self.schema(table).items()}


# A compiled record plan per live pack object (packs are immutable; the plan dies with its pack).
_PLANS: dict[int, tuple[Any, RecordPlan]] = {}


def compile_plan(source: Pack | Iterable[m.Indicator]) -> RecordPlan:
    """Fuse the record definitions of a pack's rules (or of the given indicators) into one plan
    (compiled once per pack object)."""
    import weakref

    from ..packs.resolve import Pack as _Pack

    if isinstance(source, _Pack):
        cached = _PLANS.get(id(source))
        if cached is not None and cached[0]() is source:
            return cached[1]
        plan = _compile_plan(source)
        key, plans = id(source), _PLANS

        def forget(_ref: Any) -> None:
            plans.pop(key, None)

        _PLANS[key] = (weakref.ref(source, forget), plan)
        return plan
    return _compile_plan(source)


def _compile_plan(source: Pack | Iterable[m.Indicator]) -> RecordPlan:
    from ..packs.resolve import Pack as _Pack

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
    units = _column_units(indicators)
    groupings: list[Grouping] = []
    plans: list[IndicatorPlan] = []
    for key, members in by_grouping.items():
        needs = [_needs(i) for i in members]
        passes = _assign_passes(needs)
        grouping_index = len(groupings)
        grouping = Grouping(*key, passes=tuple(p for p, _ in passes))
        measured = [c for c, kind in grouping.columns().items() if kind == "number"]
        declared = units.get(key[0], {})
        groupings.append(attrs.evolve(grouping, units=tuple((c, declared[c]) for c in measured if c in declared)))
        assignment = {id(need): index for index, (_, group) in enumerate(passes) for need in group}
        for indicator, need in zip(members, needs, strict=True):
            definition = indicator.definition
            assert definition is not None
            pass_index = assignment[id(need)]
            formula = _formula(definition.value, passes[pass_index][0], pass_index)
            plans.append(IndicatorPlan(indicator.name, indicator.unit, grouping_index, formula,
                                       definition.min_records, _measured(definition.value)))
    return RecordPlan(tuple(groupings), tuple(sorted(plans, key=lambda p: p.name)))


def _column_units(indicators: Iterable[m.Indicator]) -> dict[str, dict[str, str]]:
    """Per records table, the unit each column is declared in (``column volume 立方米``), by any
    indicator reading the table: one column has one unit, whichever indicator declares it."""
    found: dict[str, dict[str, tuple[str, m.Indicator]]] = {}
    for indicator in indicators:
        definition = indicator.definition
        assert definition is not None
        table = found.setdefault(normalize(definition.table), {})
        for column, unit in definition.column_units:
            column = normalize(column)
            first = table.setdefault(column, (unit, indicator))
            if first[0] != unit:
                raise RuleSyntaxError(Diagnostic(
                    "QR012", tr("column '{column}' of {table} is in {unit} for '{name}' and in {other} for '{first}'",
                                column=column, table=definition.table, unit=unit, name=indicator.name,
                                other=first[0], first=first[1].name),
                    definition.span, suggestion=tr("give one unit for the column in every definition reading it")))
    return {table: {column: unit for column, (unit, _) in columns.items()} for table, columns in found.items()}


def _time_column(indicator: m.Indicator) -> tuple[str, bool]:
    definition = indicator.definition
    assert definition is not None
    if definition.date_column:
        return normalize(definition.date_column), True
    if definition.year_column:
        return normalize(definition.year_column), False
    raise RuleSyntaxError(Diagnostic(
        "QR012", tr("record definition of '{name}' has neither 'date' nor 'year'", name=indicator.name),
        definition.span, suggestion=tr("add 'date COLUMN' (a date or timestamp) or 'year COLUMN'")))


def _aggregates(expression: m.Expression) -> Iterator[m.Aggregate]:
    if isinstance(expression, m.Aggregate):
        yield expression
    elif isinstance(expression, m.Arithmetic):
        yield from _aggregates(expression.left)
        yield from _aggregates(expression.right)


def _measured(expression: m.Expression) -> tuple[str, ...]:
    """The columns an expression's aggregates read as measurements: their columns and weights and
    the columns their conditions compare with numbers or true/false (not text)."""
    found: dict[str, None] = {}
    for aggregate in _aggregates(expression):
        where, present, _, _, _ = _parts(aggregate)
        found.update(dict.fromkeys(present))
        if where is not None:
            found.update(dict.fromkeys(t.column for t in _tests(where) if not isinstance(t.literal, str)))
    return tuple(found)


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
    if len(bits) > MAX_INDICATOR_BITS:
        raise RuleSyntaxError(Diagnostic(
            "QR012", tr("the value of '{name}' tests {count} different conditions and columns; one indicator reads "
                        "at most {limit}", name=indicator.name, count=len(bits), limit=MAX_INDICATOR_BITS),
            indicator.definition.span,
            suggestion=tr("split the value into several indicators, or combine its conditions with and/or")))
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
        return ("const", expression.value)
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


def read_kinds(plan: RecordPlan, table: str) -> dict[str, str]:
    """How to read each needed column of a table, over all its groupings (ranked by :func:`_widen`)."""
    kinds: dict[str, str] = {}
    for grouping in plan.groupings:
        if grouping.table == table:
            for column, kind in grouping.columns().items():
                _widen(kinds, column, kind)
    return kinds
