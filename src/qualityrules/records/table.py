"""Indicator values read off merged states (rolled up a region hierarchy): the IndicatorTable."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import Diagnostic, refuse, shown, write_file
from ..i18n import tr
from ..language import model as m
from ..language.text import normalize
from ..packs.regions import Hierarchy
from ..tables.decimals import terminates, value_of
from ..tables.record_chunks import ABOVE, INFINITE, NEGATIVE, NOT_WHOLE
from .plan import Agg, Formula, Read, RecordPlan
from .scan import GroupingState

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa



Array = npt.NDArray[Any]

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
    sums = state.sums[read.pass_][read.index]
    chosen = _select(state.grouping.passes[read.pass_].nbins, read.ones)
    return sums.sum_cells(lambda a: a[..., chosen].sum(axis=-1)).exact()


def _read_extreme(state: GroupingState, read: Read) -> Array:
    arrays = state.mins if read.what == "min" else state.maxs
    values = arrays[read.pass_][read.index]
    chosen = _select(values.shape[-1], read.ones)
    reduce = np.min if read.what == "min" else np.max
    out: Array = reduce(values[..., chosen], axis=-1) if chosen.any() else np.full(values.shape[:-1], np.inf)
    return np.where(np.isfinite(out), out, np.nan)


# Per region × year cell, an exact value as a numerator and a denominator, not reduced (Python
# integers: a Fraction per operation and cell costs ten times more); a denominator of 0 is an
# unknown value (no records, a division by zero).
Exact = tuple[list[int], list[int]]


def _aggregate_exact(state: GroupingState, agg: Agg) -> Exact:
    """One aggregate per region × year (flattened), exact: records count at their decimals."""
    f = m.AggregateFunction
    num, den = agg.numerator, agg.denominator
    if agg.function in (f.MIN, f.MAX):
        exact = [None if math.isnan(x) else value_of(x) for x in _read_extreme(state, num).ravel().tolist()]
        return [0 if v is None else v.numerator for v in exact], [0 if v is None else v.denominator for v in exact]
    if agg.function is f.COUNT:
        counts = _read_count(state, num).ravel().tolist()
        return counts, [1] * len(counts)
    if agg.function is f.SHARE:
        assert den is not None
        return _read_count(state, num).ravel().tolist(), _read_count(state, den).ravel().tolist()   # 0 rows: unknown
    sums, common = _read_exact(state, num)
    if agg.function is f.SUM:
        return sums, [common] * len(sums)
    assert den is not None
    if agg.function is f.MEAN:
        return sums, [common * int(c) for c in _read_count(state, den).ravel().tolist()]
    weights, weights_common = _read_exact(state, den)          # wmean: Σ x·w / Σ w
    tops = [s * weights_common if w >= 0 else -s * weights_common for s, w in zip(sums, weights, strict=True)]
    return tops, [common * abs(w) for w in weights]


def _evaluate(formula: Formula, state: GroupingState, cache: dict[Agg, Exact]) -> Exact:
    """The formula's exact value per cell (denominator 0 where unknown or divided by zero)."""
    cells = len(state.years) * len(state.regions)
    kind = formula[0]
    if kind == "const":
        constant = Fraction(formula[1])
        return [constant.numerator] * cells, [constant.denominator] * cells
    if kind == "agg":
        agg: Agg = formula[1]
        if agg not in cache:
            cache[agg] = _aggregate_exact(state, agg)
        return cache[agg]
    (a, b), (c, d) = _evaluate(formula[1], state, cache), _evaluate(formula[2], state, cache)
    if kind == "+":
        return [p * s + r * q for p, q, r, s in zip(a, b, c, d, strict=True)], [q * s for q, s in zip(b, d, strict=True)]
    if kind == "-":
        return [p * s - r * q for p, q, r, s in zip(a, b, c, d, strict=True)], [q * s for q, s in zip(b, d, strict=True)]
    if kind == "*":
        return [p * r for p, r in zip(a, c, strict=True)], [q * s for q, s in zip(b, d, strict=True)]
    # p/q ÷ r/s = p·s / q·r, the sign moved to the numerator; r = 0 (or an unknown side) is unknown
    return ([p * s if r >= 0 else -p * s for p, r, s in zip(a, c, d, strict=True)],
            [q * abs(r) if s else 0 for q, r, s in zip(b, c, d, strict=True)])


def _reduced(numerators: list[int], denominators: list[int]) -> tuple[list[float], list[Fraction | None]]:
    """Each cell's float (the nearest to its exact value; NaN when unknown) and its exact value
    where the float does not read as it (:func:`~..tables.decimals.value_of`), else None."""
    values: list[float] = []
    exact: list[Fraction | None] = []
    for n, d in zip(numerators, denominators, strict=True):
        if d == 0:
            values.append(math.nan)
            exact.append(None)
            continue
        g = math.gcd(n, d)
        n, d = n // g, d // g
        try:
            x = n / d                   # correctly rounded (integer true division)
        except OverflowError:           # beyond float64 (1 / 5e-324): ±inf, which the evaluator
            values.append(math.inf if n > 0 else -math.inf)   # reads as unknown, saying where (QR214)
            exact.append(None)
            continue
        values.append(x)
        if terminates(d):
            read = value_of(x)
            exact.append(None if (read.numerator, read.denominator) == (n, d) else Fraction(n, d))
        else:
            exact.append(Fraction(n, d))
    return values, exact


# ------------------------------------------------------------------------------------------
# The result

# What a value that is no measurement is, in the ``source`` of an indicator's row
_DOUBTS = {INFINITE: "±inf", NEGATIVE: "a negative value", ABOVE: "a share above its whole",
           NOT_WHOLE: "a count not whole"}


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
    warnings: tuple[Diagnostic, ...] = attrs.field(default=(), eq=False)   # what reading the records noticed
    # row -> exact value, for values that are not the shortest decimal of their float (1/3, 94.999…)
    exact: dict[int, Fraction] = attrs.field(factory=dict, kw_only=True)
    # row -> what in the row's region and year made its value unknown: (what, column) of values
    # that are no measurement, ±inf (QR214) or one the column's unit cannot hold (QR242/243/245)
    doubtful: dict[int, tuple[tuple[str, str], ...]] = attrs.field(factory=dict, kw_only=True, eq=False)

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
        for what, given in (("indicator", indicator), ("region", region)):
            if not isinstance(given, str):
                refuse(tr("{what} must be a string, not {value}", what=what, value=shown(given)))
        if isinstance(year, bool) or not isinstance(year, (int, np.integer)):
            refuse(tr("year must be a year such as 2015, not {value}", value=shown(year)))
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

    def for_evaluation(self) -> tuple[dict[str, Any], dict[int, Fraction]]:
        """Long-form columns the evaluator reads (``region, year, indicator, value, unit, source``;
        ``value`` as floats, each the float nearest the exact value), and the exact value of every
        row whose float is not it (row -> value, :attr:`exact`); ``source`` says which records
        each value comes from."""
        notes = [f"{n:,} records" + ("" if ok else f" (< min_records {k}: unknown)")
                 for n, k, ok in zip(self.records.tolist(), self.min_records.tolist(), self.sufficient.tolist(),
                                     strict=True)]
        for row, found in self.doubtful.items():
            notes[row] += " (" + ", ".join(f"{_DOUBTS[what]} in '{c}'" for what, c in found) + ": unknown)"
        return {"region": list(self.region), "year": self.year.tolist(), "indicator": list(self.indicator),
                "value": self.value, "unit": list(self.unit), "source": notes}, self.exact

    def observations(self, catalogue: Any) -> Any:
        """The values as :class:`qualityrules.tables.observations.Observations` (unknown values stay unknown)."""
        from ..tables.observations import load

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
            write_file(path, text)
        return text


def finish(plan: RecordPlan, states: Mapping[int, GroupingState], hierarchy: Hierarchy | None = None) -> IndicatorTable:
    """Indicator values from merged states (rolled up the hierarchy first, when there is one): one
    row per indicator, region and year with records, sorted by indicator, region and year."""
    parts: dict[str, list[Any]] = {c: [] for c in (*IndicatorTable.COLUMNS, "exact")}
    rows_read: dict[str, int] = {}
    unassigned: dict[str, int] = {}
    rolled: dict[int, GroupingState] = {}
    for index, state in states.items():
        rolled[index] = state.rolled_up(hierarchy) if hierarchy is not None else state
        table = plan.groupings[index].table
        rows_read[table] = max(rows_read.get(table, 0), state.rows)
        unassigned[table] = max(unassigned.get(table, 0), state.unassigned)
    caches: dict[int, dict[Agg, Exact]] = {}
    doubts: list[tuple[tuple[str, str], ...]] = []    # per row: the doubtful values in its region-year
    for indicator in plan.indicators:
        found = rolled.get(indicator.grouping)
        if found is None or not found.regions or not found.years:
            continue
        state = found
        records = state.counts[0].sum(axis=-1)                      # year × region
        floats, exact = _reduced(*_evaluate(indicator.formula, state, caches.setdefault(indicator.grouping, {})))
        value = np.array(floats, np.float64).reshape(records.shape)
        exact_grid: Array = np.array(exact, dtype=object).reshape(records.shape)
        needed = indicator.min_records or 0
        sufficient = records >= needed
        # ±inf, or a value its unit cannot hold, is no measurement: the indicators reading its
        # column are unknown there
        doubts_here = [((what, column), state.doubtful[(what, column)] > 0) for column in indicator.columns
                       for what in _DOUBTS if (what, column) in state.doubtful]
        doubtful = np.zeros(records.shape, bool)
        for _, where in doubts_here:
            doubtful |= where
        value[doubtful] = math.nan
        exact_grid[doubtful] = None
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
        hits = [(key, where.T[grid][keep]) for key, where in doubts_here]
        doubts.extend([tuple(c for c, hit in hits if hit[k]) for k in range(len(r))] if hits else [()] * len(r))
        exact_grid[~sufficient] = None
        parts["exact"].append(exact_grid.T[grid][keep])
    empty = {"region": object, "year": np.int64, "indicator": object, "value": np.float64, "unit": object,
             "records": np.int64, "min_records": np.int64, "sufficient": bool, "exact": object}
    out = {c: np.concatenate(v) if v else np.array([], empty[c]) for c, v in parts.items()}
    values = out["value"].astype(np.float64)
    overrides = {row: v for row, v in enumerate(out["exact"].tolist()) if v is not None}
    return IndicatorTable(
        tuple(out["region"].tolist()), out["year"].astype(np.int64), tuple(out["indicator"].tolist()),
        values, tuple(out["unit"].tolist()), out["records"].astype(np.int64),
        out["min_records"].astype(np.int64), out["sufficient"].astype(bool), rows_read, unassigned, exact=overrides,
        doubtful={row: found for row, found in enumerate(doubts) if found})
