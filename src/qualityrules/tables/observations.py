"""Data in: observations of indicators per region and year, from any table the user holds.

Accepted inputs (read through :mod:`.source` and :mod:`.frames`, the one reader shared with raw
records): a pandas, polars (DataFrame or LazyFrame), pyarrow (Table or RecordBatchReader) or Dask
table, a mapping of column name -> array (numpy, masked, list), or a file (``.csv`` in any
encoding the reader detects, ``.xlsx``, ``.parquet``/``.feather``). Two layouts:

* **wide**: ``region``, ``year`` and one column per indicator (header ``name`` or ``name(unit)``);
* **long**: ``region``, ``year``, ``indicator``, ``value`` and optionally ``unit``; a ``citation``
  (or ``source``/``note``) column is kept as the provenance of each value.

Names (headers, indicator cells, regions) go through :func:`qualityrules.language.text.normalize`, the
same normalisation as rules, and match indicators through the catalogue's aliases. Cells are read
by :mod:`.cells` (censored values are kept as intervals, never as numbers). Values given in
another unit than the indicator's (a ``unit`` column, a unit in the header or in the cell) are
converted exactly; a magnitude word meets the column's own (``5万`` in a ``万元`` column is 5 万元);
an incompatible unit is an error (QR205), never a wrong verdict.

Regions, years and indicators become integer codes by vectorised factorisation (integer region
codes are used as they are); a table with one row per (region, year) in region or year order is
not copied: each indicator's ``[region, year]`` values are a view of the user's column.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import Diagnostic, Severity, did_you_mean, raise_errors, refuse, shown
from ..i18n import Text, tr
from ..language import model as m
from ..language import units
from ..language.text import lone_surrogate, normalize, surrogate_message, visible
from .cells import (
    MISSING_CELLS,
    Cell,
    CellError,
    ParsedColumn,
    column_magnitude,
    dates_as_text,
    is_missing,
    is_total,
    name_footnote,
    parse_cell,
    parse_column,
    parse_unit,
    parse_year,
)
from .decimals import scale_array
from .frames import Categorical, arrow_dates, memory_table, plain_numbers, prepare, wall_time
from .source import Table, footnote_marker, is_workbook, no_sheets, open_file, read_text, render, totals_left_out

__all__ = [
    "Observations", "Values", "Cell", "load", "concat", "parse_cell", "read_text", "scale_array",
    "REGION_COLUMNS", "YEAR_COLUMNS", "INDICATOR_COLUMNS", "VALUE_COLUMNS", "UNIT_COLUMNS", "NOTE_COLUMNS",
    "MISSING_CELLS",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Key = tuple[int, int, int]

# Column roles, by normalised (and ASCII-lower-cased) header.
REGION_COLUMNS = frozenset({"region", "地区", "区域", "行政区", "行政区划", "地区名称", "区划"})
YEAR_COLUMNS = frozenset({"year", "年份", "年度", "年", "统计年度"})
INDICATOR_COLUMNS = frozenset({"indicator", "指标", "指标名称", "指标名"})
VALUE_COLUMNS = frozenset({"value", "数值", "值", "指标值"})
UNIT_COLUMNS = frozenset({"unit", "单位", "计量单位"})
NOTE_COLUMNS = frozenset({"citation", "source", "note", "notes", "comment", "备注", "来源", "出处", "说明",
                          "数据来源", "引用"})

MAX_DIAGNOSTICS = 20
MAX_WARNINGS = 20


# ------------------------------------------------------------------------------------------
# Observations


@attrs.frozen(eq=False)
class Values:
    """One indicator's values over ``[region, year]``, in its catalogue unit: ``lo``/``hi``
    (``hi is lo`` for exact data, and then the open flags are None), NaN where missing. The
    arrays may be read-only views of the user's columns; nothing writes to them."""

    lo: FloatArray
    hi: FloatArray
    lo_open: BoolArray | None = None
    hi_open: BoolArray | None = None
    floats: bool = False        # given as floats and taken as they are: may hold ±inf (read as unknown)

    @property
    def censored(self) -> bool:
        return self.lo_open is not None

    def until(self, years: int) -> Values:
        """The first ``years`` years (views)."""
        lo = self.lo[:, :years]
        if not self.censored:
            return Values(lo, lo, floats=self.floats)
        assert self.lo_open is not None and self.hi_open is not None
        return Values(lo, self.hi[:, :years], self.lo_open[:, :years], self.hi_open[:, :years])

    def set_aside(self, cells: BoolArray) -> Values:
        """A copy with ``cells`` (``[region, year]``) missing."""
        lo = np.where(cells, np.nan, self.lo)
        if not self.censored:
            return Values(lo, lo, floats=self.floats)
        return Values(lo, np.where(cells, np.nan, self.hi), self.lo_open, self.hi_open)

    def take(self, rows: IntArray) -> Values:
        lo = self.lo[rows]
        if not self.censored:
            return Values(lo, lo, floats=self.floats)
        assert self.lo_open is not None and self.hi_open is not None
        return Values(lo, self.hi[rows], self.lo_open[rows], self.hi_open[rows])


@attrs.frozen(eq=False)
class CellSource:
    """Where the cells of an observation set come from: the table and, per region-year (and
    indicator, in long form), the data row; for diagnostics that point at a cell."""

    table: Table
    region_codes: IntArray | None             # None: a complete grid in ``order``
    year_codes: IntArray | None
    n_years: int
    columns: tuple[int, ...]                  # wide: the column of each indicator
    indicator_codes: IntArray | None = None   # long: the indicator of each row
    value_column: int = -1
    order: str = ""                           # "region-major" / "year-major" for a complete grid
    n_regions: int = 0

    def row(self, r: int, y: int, i: int) -> int | None:
        if self.order == "region-major":
            return r * self.n_years + y
        if self.order == "year-major":
            return y * self.n_regions + r
        assert self.region_codes is not None and self.year_codes is not None
        hit = (self.region_codes == r) & (self.year_codes == y)
        if self.indicator_codes is not None:
            hit &= self.indicator_codes == i
        found = np.flatnonzero(hit)
        return int(found[-1]) if len(found) else None

    def where(self, r: int, y: int, i: int) -> tuple[str, m.Span | None]:
        row = self.row(r, y, i)
        column = self.value_column if self.indicator_codes is not None else self.columns[i]
        if row is None:
            return self.table.name, None
        return f"{self.table.name} ({self.table.where(row, column)})", self.table.locate(row, column)


@attrs.frozen(eq=False)
class Observations:
    """Indicator values per region and year, in each indicator's catalogue unit.

    ``values[i]`` holds indicator ``i`` over ``[region, year]``. Region labels are names, or
    the integer codes the user gave (their names are their digits). ``exact`` holds, for the
    few cells whose float is not the exact decimal given (more than 15 significant digits, or
    a value too small for a normal float), that exact value (``(region, year, indicator)`` ->
    Fraction, in the indicator's unit). ``notes`` maps cells to the citation given with a value
    (long form); :attr:`warnings` are what loading noticed without refusing the data (a title
    row skipped, a footnote marker dropped, an infinity in a float column)."""

    labels: tuple[str, ...] | IntArray
    years: IntArray
    indicators: tuple[str, ...]
    units: tuple[str | None, ...]
    values: tuple[Values, ...]
    notes: Mapping[Key, str] = attrs.field(factory=dict)
    origin: str = "<data>"
    exact: Mapping[Key, Fraction] = attrs.field(factory=dict)
    # what loading said (``warnings=`` when building or evolving one); :attr:`warnings` adds the infinities
    loading_warnings: tuple[Diagnostic, ...] = attrs.field(default=(), alias="warnings")
    sources: tuple[CellSource, ...] = ()

    @functools.cached_property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """What loading noticed (``loading_warnings``), and — looked for on first use, so that
        evaluating a float table reads each value once — the cells of float columns holding ±inf,
        which the engine reads as unknown."""
        found = list(self.loading_warnings)
        for i, values in enumerate(self.values):
            if not values.floats or self.known_finite(i) or not np.isinf(values.lo).any():   # known: no pass
                continue
            rows, years = np.nonzero(np.isinf(values.lo))
            label, span = self.where(int(rows[0]), int(years[0]), i)
            cell = {"indicator": self.indicators[i], "region": self.regions[int(rows[0])],
                    "year": int(self.years[int(years[0])]), "value": float(values.lo[rows[0], years[0]]), "place": label}
            message = tr("{indicator}: {region} {year} is {value} in {place} (and {more} more cell(s)): not a value, "
                         "read as unknown", more=len(rows) - 1, **cell) if len(rows) > 1 else \
                tr("{indicator}: {region} {year} is {value} in {place}: not a value, read as unknown", **cell)
            found.append(Diagnostic(
                "QR214", message, span, Severity.WARNING,
                suggestion=tr("give the value, or leave the cell empty (NaN) when it is missing")))
        return tuple(found)

    @functools.cached_property
    def regions(self) -> tuple[str, ...]:
        if isinstance(self.labels, tuple):
            return self.labels
        return tuple(map(str, self.labels.tolist()))

    @functools.cached_property
    def region_keys(self) -> tuple[str, ...]:
        if not isinstance(self.labels, tuple):
            return self.regions        # digits are their own normal form
        return tuple(normalize(r) for r in self.labels)

    @property
    def n_regions(self) -> int:
        return len(self.labels)

    @property
    def censored(self) -> bool:
        return any(v.censored for v in self.values)

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.labels), len(self.years), len(self.indicators)

    def _cube(self, part: str, fill: Any) -> npt.NDArray[Any]:
        r, y, i = self.shape
        dtype = bool if part.endswith("open") else np.float64
        cube = np.full((r, y, i), fill, dtype=dtype)
        for k, v in enumerate(self.values):
            array = getattr(v, part)
            if array is not None:
                cube[:, :, k] = array
        return cube

    @functools.cached_property
    def lo(self) -> FloatArray:
        """The ``[region, year, indicator]`` cube of lower ends (built on first use)."""
        return self._cube("lo", np.nan)

    @functools.cached_property
    def hi(self) -> FloatArray:
        return self._cube("hi", np.nan) if self.censored else self.lo

    @functools.cached_property
    def _region_index(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.region_keys)}

    @functools.cached_property
    def _indicator_index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.indicators)}

    @functools.cached_property
    def _ranges(self) -> dict[int, tuple[float, float, float, float, bool]]:
        return {}

    def ranges(self, i: int) -> tuple[float, float, float, float]:
        """Indicator ``i`` over every region and year: the lowest and highest finite end of any
        value, the highest lower end and the lowest upper end (NaN where there is no value;
        infinities of a float column, read as unknown, are no value). A property of the data,
        computed once per indicator (the plausibility screen reads it)."""
        found = self._ranges.get(i)
        if found is None:
            found = self._ranges[i] = _ranges(self.values[i])
        return found[:4]

    def known_finite(self, i: int) -> bool:
        """Is every value of indicator ``i`` known to be finite or missing (no ±inf in a float
        column; the open ends of censored values aside)? Known only once its :meth:`ranges` are computed (they show an infinity for
        free); False when not yet known. The engine then tests a value for NaN only."""
        found = self._ranges.get(i)
        return found is not None and not found[4]

    def region_index(self, name: str) -> int | None:
        return self._region_index.get(normalize(name))

    def indicator_index(self, name: str) -> int | None:
        return self._indicator_index.get(name)

    def year_index(self, year: int) -> int | None:
        found = int(np.searchsorted(self.years, year))
        return found if found < len(self.years) and int(self.years[found]) == year else None

    def cell(self, region: int, year: int, indicator: int) -> Cell | None:
        """The value at indices ``(region, year, indicator)``, None when missing."""
        v = self.values[indicator]
        lo = float(v.lo[region, year])
        if math.isnan(lo):
            return None
        hi = float(v.hi[region, year])
        lo_open = bool(v.lo_open[region, year]) if v.lo_open is not None else False
        hi_open = bool(v.hi_open[region, year]) if v.hi_open is not None else False
        return Cell(lo, hi, lo_open, hi_open, given=self.exact.get((region, year, indicator)))

    def where(self, region: int, year: int, indicator: int) -> tuple[str, m.Span | None]:
        """Where the cell came from: a label naming the table and cell, and its span."""
        for source in self.sources:
            label, span = source.where(region, year, indicator)
            if span is not None:
                return label, span
        return self.origin, None

    def select_named(self, names: Sequence[str]) -> Observations:
        """Only the regions ``names`` (in that order, repeats dropped); QR301 for a name not in the data."""
        indices: list[int] = []
        problems: list[Diagnostic] = []
        for name in names:
            index = self.region_index(name)
            if index is None:
                problems.append(Diagnostic(
                    "QR301", tr("region '{region}' is not in the data ({origin})", region=name, origin=self.origin),
                    suggestion=did_you_mean(name, self.regions)
                    or tr("regions in the data: {regions}", regions=", ".join(self.regions[:50]))))
            elif index not in indices:
                indices.append(index)
        raise_errors(problems)
        return self.select_regions(indices)

    def select_regions(self, indices: Sequence[int]) -> Observations:
        index = np.asarray(indices, dtype=np.int64)
        remap = {int(old): new for new, old in enumerate(index)}
        labels = tuple(self.regions[i] for i in index) if isinstance(self.labels, tuple) else self.labels[index]
        return attrs.evolve(
            self, labels=labels, values=tuple(v.take(index) for v in self.values),
            notes={(remap[r], y, i): v for (r, y, i), v in self.notes.items() if r in remap},
            exact={(remap[r], y, i): v for (r, y, i), v in self.exact.items() if r in remap}, sources=())

    def until(self, year: int) -> Observations:
        """Only the years up to ``year`` (a mid-term review as of that year): views of the
        values, no copy; the notes and exact values of later years dropped."""
        keep = int(np.searchsorted(self.years, year, side="right"))
        if keep == len(self.years):
            return self
        return attrs.evolve(
            self, years=self.years[:keep], values=tuple(v.until(keep) for v in self.values),
            notes={key: note for key, note in self.notes.items() if key[1] < keep},
            exact={key: value for key, value in self.exact.items() if key[1] < keep})

    def describe(self) -> str:
        years = self.years
        span = "no years" if len(years) == 0 else (
            str(int(years[0])) if len(years) == 1 else f"{int(years[0])}–{int(years[-1])}")
        return (f"{self.origin}: {len(self.labels)} region(s), {span}, "
                f"{len(self.indicators)} indicator(s)")


def _computed_exact(obs: Observations, columns: Mapping[str, Any], exact: Mapping[int, Fraction]) -> dict[Key, Fraction]:
    """The exact values of rows of long-form ``columns`` (row -> value; each row's float value is
    the float nearest it), by the cells of ``obs`` that were read from them. The values were read
    as floats, so that a table of many region-years is not read value by value as Python objects:
    their exact values are attached here, by name, in the indicators' units (the same units:
    computed values are in the catalogue's, asserted)."""
    if not exact:
        return {}
    names, years, indicators, units = columns["region"], columns["year"], columns["indicator"], columns["unit"]
    region_at = {name: obs.region_index(name) for name in {names[row] for row in exact}}
    year_at = {year: obs.year_index(year) for year in {years[row] for row in exact}}
    indicator_at = {name: obs.indicator_index(name) for name in {indicators[row] for row in exact}}
    found: dict[Key, Fraction] = {}
    for row, value in exact.items():
        region, year, i = region_at[names[row]], year_at[years[row]], indicator_at[indicators[row]]
        assert region is not None and year is not None and i is not None and obs.units[i] == units[row]
        found[(region, year, i)] = value
    return found


def _ranges(values: Values) -> tuple[float, float, float, float, bool]:
    """See :meth:`Observations.ranges`; last, whether a float column holds an infinity."""
    lo, hi = values.lo, values.hi
    infinite = False
    # NaN (no value) is skipped by fmax/fmin and compares False: nothing here warns
    highest_lo, lowest_hi = float(np.fmax.reduce(lo, axis=None, initial=np.nan)), \
        float(np.fmin.reduce(hi, axis=None, initial=np.nan))
    if values.floats and (math.isinf(highest_lo) or math.isinf(lowest_hi)):
        infinite = True
        lo = hi = np.where(np.isfinite(lo), lo, np.nan)   # only then: two passes in the usual case
        highest_lo, lowest_hi = float(np.fmax.reduce(lo, axis=None, initial=np.nan)), \
            float(np.fmin.reduce(hi, axis=None, initial=np.nan))
    if not values.censored:
        return lowest_hi, highest_lo, highest_lo, lowest_hi, infinite
    finite_lo, finite_hi = np.where(np.isfinite(lo), lo, np.nan), np.where(np.isfinite(hi), hi, np.nan)
    lowest = float(np.fmin(np.fmin.reduce(finite_lo, axis=None, initial=np.nan),
                           np.fmin.reduce(finite_hi, axis=None, initial=np.nan)))
    highest = float(np.fmax(np.fmax.reduce(finite_lo, axis=None, initial=np.nan),
                            np.fmax.reduce(finite_hi, axis=None, initial=np.nan)))
    return lowest, highest, highest_lo, lowest_hi, infinite


def _same(a: Values, ra: IntArray, ya: IntArray, b: Values, rb: IntArray, yb: IntArray) -> BoolArray:
    """Cell by cell: do ``a[ra, ya]`` and ``b[rb, yb]`` hold the same value (interval and open
    ends)? Only meaningful where both are present."""
    same: BoolArray = (a.lo[ra, ya] == b.lo[rb, yb]) & (a.hi[ra, ya] == b.hi[rb, yb])
    for attribute in ("lo_open", "hi_open"):
        x, z = getattr(a, attribute), getattr(b, attribute)
        left = x[ra, ya] if x is not None else np.zeros(len(ra), dtype=bool)
        right = z[rb, yb] if z is not None else np.zeros(len(rb), dtype=bool)
        same &= left == right
    return same


_SAME_TWICE = tr("nothing to do if the two are one value copied twice; if one of them belongs to another region or "
                 "year, correct it")


def concat(parts: Sequence[Observations]) -> Observations:
    """Several observation sets as one (e.g. one file per year). A value given twice must be the
    same value — for a censored value the same interval *and* the same open ends (``98以上`` and
    ``超过98`` are different values): otherwise QR203 at the second cell, naming the first."""
    if len(parts) == 1:
        return parts[0]
    regions: dict[str, str] = {}
    indicators: dict[str, str | None] = {}
    for part in parts:
        for key, name in zip(part.region_keys, part.regions, strict=True):
            regions.setdefault(key, name)
        for name, unit in zip(part.indicators, part.units, strict=True):
            indicators.setdefault(name, unit)
    years = np.unique(np.concatenate([p.years for p in parts])).astype(np.int64)
    keys = list(regions)
    names = list(indicators)
    key_at = {k: n for n, k in enumerate(keys)}
    name_at = {name: n for n, name in enumerate(names)}
    shape = (len(keys), len(years))
    censored = [any(p.values[i].censored for p in parts if (i := p.indicator_index(n)) is not None) for n in names]
    out: list[Values] = []
    for k in range(len(names)):
        lo = np.full(shape, np.nan)
        floats = any(p.values[i].floats for p in parts if (i := p.indicator_index(names[k])) is not None)
        out.append(Values(lo, np.full(shape, np.nan), np.zeros(shape, bool), np.zeros(shape, bool))
                   if censored[k] else Values(lo, lo, floats=floats))
    notes: dict[Key, str] = {}
    exact: dict[Key, Fraction] = {}
    problems: list[Diagnostic] = []
    repeated: tuple[int, int, int, int, str, int, str] | None = None   # the first value given twice alike
    repeats = 0
    for p, part in enumerate(parts):
        r_map = np.array([key_at[k] for k in part.region_keys], dtype=np.int64)
        y_map = np.searchsorted(years, part.years)
        for i, name in enumerate(part.indicators):
            k = name_at[name]
            values, target = part.values[i], out[k]
            present = ~np.isnan(values.lo)
            rr, yy = np.nonzero(present)
            R, Y = r_map[rr], y_map[yy]
            taken = ~np.isnan(target.lo[R, Y])
            if taken.any():
                clash_rows = np.flatnonzero(taken)
                old = Values(target.lo, target.hi, target.lo_open, target.hi_open)
                same = _same(old, R[clash_rows], Y[clash_rows], values, rr[clash_rows], yy[clash_rows])
                for c in clash_rows[~same][:MAX_DIAGNOSTICS].tolist():
                    problems.append(_conflict(parts, p, name, int(R[c]), int(Y[c]), int(rr[c]), int(yy[c]), i,
                                              years, keys, regions))
                if same.any() and repeated is None:
                    c = int(clash_rows[same][0])
                    repeated = (p, i, int(rr[c]), int(yy[c]), keys[R[c]], int(years[Y[c]]), name)
                repeats += int(same.sum())
            target.lo[R, Y] = values.lo[rr, yy]
            if target.censored:
                assert target.lo_open is not None and target.hi_open is not None
                target.hi[R, Y] = values.hi[rr, yy]
                if values.censored:
                    assert values.lo_open is not None and values.hi_open is not None
                    target.lo_open[R, Y] = values.lo_open[rr, yy]
                    target.hi_open[R, Y] = values.hi_open[rr, yy]
        for (r, y, i), note in part.notes.items():
            notes[(int(r_map[r]), int(y_map[y]), name_at[part.indicators[i]])] = note
        for (r, y, i), value in part.exact.items():
            exact[(int(r_map[r]), int(y_map[y]), name_at[part.indicators[i]])] = value
    raise_errors(problems)
    warnings = [w for p in parts for w in p.loading_warnings]
    if repeated is not None:
        p, i, r, y, key, year, name = repeated
        first = _first_given(parts[:p], key, year, name)
        assert first is not None   # the cell was taken by an earlier part
        place, span = parts[p].where(r, y, i)
        cell = {"cell": f"{regions[key]} {year} {name}", "place": first[1], "here": place}
        message = tr("{cell} is given twice with the same value, in {place} and in {here}: read once", **cell) \
            if repeats == 1 else tr("{cell} is given twice with the same value, in {place} and in {here}: read once, "
                                    "as are {more} more value(s) given twice", more=repeats - 1, **cell)
        warnings.append(Diagnostic("QR218", message, span, Severity.WARNING, suggestion=_SAME_TWICE))
    return Observations(tuple(regions.values()), years, tuple(names), tuple(indicators.values()), tuple(out), notes,
                        " + ".join(p.origin for p in parts), exact, tuple(warnings),
                        tuple(s for p in parts for s in p.sources))


def _conflict(parts: Sequence[Observations], p: int, name: str, r: int, y: int, rr: int, yy: int, i: int,
              years: IntArray, keys: list[str], regions: dict[str, str]) -> Diagnostic:
    """QR203 for a cell given with two different values: at the later cell, naming the earlier."""
    part = parts[p]
    here, span = part.where(rr, yy, i)
    cell = {"region": regions[keys[r]], "year": int(years[y]), "name": name, "value": part.cell(rr, yy, i),
            "place": here}
    message = tr("{region} {year} {name} is given twice with different values: once and '{value}' in {place}", **cell)
    first = _first_given(parts[:p], keys[r], int(years[y]), name)
    if first is not None:
        message = tr("{region} {year} {name} is given twice with different values: '{first}' in {first_place} "
                     "and '{value}' in {place}", first=first[0], first_place=first[1], **cell)
    return Diagnostic(
        "QR203", message, span,
        suggestion=tr("keep one value per region, year and indicator (a censored value's words matter: "
                      "'98以上' includes 98, '超过98' does not)"))


def _first_given(parts: Sequence[Observations], region_key: str, year: int, name: str) -> tuple[str, str] | None:
    """The first of ``parts`` to give the cell: its value as written and where it is."""
    for earlier in parts:
        ei, er, ey = earlier.indicator_index(name), earlier.region_index(region_key), earlier.year_index(year)
        if ei is not None and er is not None and ey is not None and earlier.cell(er, ey, ei) is not None:
            return str(earlier.cell(er, ey, ei)), earlier.where(er, ey, ei)[0]
    return None


# ------------------------------------------------------------------------------------------
# Loading


@functools.lru_cache(maxsize=4096)
def _role(header: str) -> str | None:
    key = normalize(header).lower()
    for role, names in (("region", REGION_COLUMNS), ("year", YEAR_COLUMNS), ("indicator", INDICATOR_COLUMNS),
                        ("value", VALUE_COLUMNS), ("unit", UNIT_COLUMNS), ("note", NOTE_COLUMNS)):
        if key in names:
            return role
    return None


def load(data: Any, catalogue: Any, *, encoding: str | None = None, sheet: str | None = None,
         form: str | None = None, region_column: str | None = None, year_column: str | None = None,
         ignore_columns: Iterable[str] = (), name: str | None = None, header_row: int | None = None) -> Observations:
    """Read ``data`` (see the module docstring) into :class:`Observations`, matching indicator
    names through ``catalogue`` (a :class:`qualityrules.packs.resolve.Catalogue`).
    ``header_row``: the spreadsheet row of the header in a file (default: found); ``sheet``: the
    worksheet of an .xlsx file (default: the first visible one)."""
    if isinstance(data, Observations):
        return data
    if callable(getattr(data, "for_evaluation", None)):  # an IndicatorTable computed from records
        columns, exact = data.for_evaluation()
        computed = load(columns, catalogue, form="long", name=name or "records")
        return attrs.evolve(computed, warnings=tuple(getattr(data, "warnings", ())) + computed.loading_warnings,
                            exact=_computed_exact(computed, columns, exact))
    for what, given in (("region_column", region_column), ("year_column", year_column), ("encoding", encoding),
                        ("name", name)):
        if given is not None and not isinstance(given, str):
            refuse(tr("{what} must be a string, not {value}", what=what, value=shown(given)))
    ignored = [ignore_columns] if isinstance(ignore_columns, str) else \
        list(ignore_columns) if isinstance(ignore_columns, Iterable) else None     # a string: one name
    if ignored is None or not all(isinstance(c, str) for c in ignored):
        refuse(tr("ignore_columns must be column names, not {value}", value=shown(ignore_columns)))
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, (str, Path)) for d in data):
        if sheet is not None and not any(is_workbook(d) for d in data):   # the sheet of the workbooks among them
            raise no_sheets(sheet, ", ".join(map(str, data)))
        return concat([load(d, catalogue, encoding=encoding, sheet=sheet if is_workbook(d) else None, form=form,
                            region_column=region_column, year_column=year_column, ignore_columns=ignored,
                            header_row=header_row)
                       for d in data])
    if form not in (None, "long", "wide"):
        raise_errors([Diagnostic("QR301", tr("form must be 'wide' or 'long', not {value}", value=repr(form)))])
    ignore = frozenset(normalize(c).lower() for c in ignored)
    if isinstance(data, (str, Path)):
        table = open_file(data, encoding=encoding, sheet=sheet, header_row=header_row,
                          wanted=_header_test(region_column, year_column))
    else:
        if sheet is not None:
            raise no_sheets(sheet, tr("a {kind} in memory", kind=type(data).__name__))
        table = memory_table(data, name)
    return _Loader(table, catalogue, form, region_column, year_column, ignore).run()


def _header_test(region_column: str | None, year_column: str | None) -> Any:
    """Does a row look like the header of an indicator table (it names a region or year column)?"""
    names = {normalize(n).lower() for n in (region_column, year_column) if n}

    def test(fields: Sequence[str]) -> bool:
        keys = {normalize(f).lower() for f in fields if f}
        return bool(keys & (REGION_COLUMNS | YEAR_COLUMNS | names))

    return test


@attrs.frozen
class _Columns:
    """What a table's headers say, independent of its rows: the role columns, the layout, the
    indicator of each wide-form column, and the problems of the headers ``(code, message,
    column, suggestion)``."""

    roles: dict[str, int]
    is_long: bool
    indicators: tuple[tuple[int, m.Indicator, str | None], ...]
    blank: tuple[int, ...]
    problems: tuple[tuple[str, Text, int | None, Text | None], ...]


# Header analyses by (catalogue, headers, options), for the life of the catalogue object: a
# service evaluating the same layout again pays for the rows only.
_COLUMNS: dict[tuple[Any, ...], tuple[Any, _Columns]] = {}


def _columns(headers: Sequence[str], catalogue: Any, form: str | None, region_column: str | None,
             year_column: str | None, ignore: frozenset[str]) -> _Columns:
    import weakref

    key = (id(catalogue), tuple(headers), form, region_column, year_column, ignore)
    found = _COLUMNS.get(key)
    if found is not None and found[0]() is catalogue:
        return found[1]
    result = _analyse(headers, catalogue, form, region_column, year_column, ignore)
    if len(_COLUMNS) > 256:
        _COLUMNS.clear()
    try:
        _COLUMNS[key] = (weakref.ref(catalogue), result)
    except TypeError:      # a catalogue that cannot be weakly referenced is not cached
        pass
    return result


def _analyse(headers: Sequence[str], catalogue: Any, form: str | None, region_column: str | None,
             year_column: str | None, ignore: frozenset[str]) -> _Columns:
    problems: list[tuple[str, Text, int | None, Text | None]] = []
    roles: dict[str, int] = {}
    no_character = [j for j, header in enumerate(headers) if lone_surrogate(header) is not None]
    if no_character:   # no name can hold it: nothing else about these headers can be said
        return _Columns(roles, False, (), (), tuple(
            ("QR244", surrogate_message(headers[j], lone_surrogate(headers[j]) or 0), j,
             tr("read the data with its real encoding (UTF-8, GB18030)")) for j in no_character))
    for j, header in enumerate(headers):
        role = _role(header)
        if region_column is not None and normalize(header) == normalize(region_column):
            role = "region"
        if year_column is not None and normalize(header) == normalize(year_column):
            role = "year"
        if role is not None and role != "note" and role in roles:
            problems.append(("QR203", tr("two '{role}' columns ('{first}' and '{second}')", role=role,
                                         first=headers[roles[role]], second=header), j, tr("keep one")))
        elif role is not None and role not in roles:
            roles[role] = j
    for option, wanted in (("region_column", region_column), ("year_column", year_column)):
        if wanted is not None and normalize(wanted) not in {normalize(h) for h in headers}:
            problems.append(("QR303", tr("{option}={value} is not a column of the data", option=option,
                                         value=repr(wanted)), None,
                             did_you_mean(wanted, list(headers)) or tr("columns: {columns}", columns=", ".join(headers))))
    glued = next((mark for mark in "，；、" if len(headers) == 1 and mark in headers[0]), None)
    if glued is not None and ("region" not in roles or "year" not in roles):
        # a table typed with full-width separators: one cell per row, which no delimiter splits
        problems.append(("QR203", tr("the header is one cell, '{header}': its columns seem separated by '{mark}', "
                                     "which is no delimiter of a table", header=headers[0], mark=glued), 0,
                         tr("separate the cells with ',' (or a tab): replace every '{mark}' between cells",
                            mark=glued)))
        return _Columns(roles, False, (), (), tuple(problems))
    for role, names in (("region", REGION_COLUMNS), ("year", YEAR_COLUMNS)):
        if role not in roles:
            looked_for = ", ".join(sorted(names))
            problems.append(("QR203", tr("no region column (looked for: {names})", names=looked_for), None,
                             tr("name a column 'region' (in Python, or pass region_column=…)")) if role == "region"
                            else ("QR203", tr("no year column (looked for: {names})", names=looked_for), None,
                                  tr("name a column 'year' (in Python, or pass year_column=…)")))
    is_long = form == "long" or (form is None and "indicator" in roles and "value" in roles)
    if is_long and ("indicator" not in roles or "value" not in roles):
        problems.append(("QR203", tr("long-form data needs an 'indicator' and a 'value' column"), None, None))
    if problems:
        return _Columns(roles, is_long, (), (), tuple(problems))
    used = set(roles.values())
    indicators: list[tuple[int, m.Indicator, str | None]] = []
    blank: list[int] = []
    seen: dict[str, int] = {}
    for j, header in enumerate(headers):
        if j in used or _role(header) == "note" or normalize(header).lower() in ignore:
            continue
        if not header.strip():
            blank.append(j)
            continue
        if len(problems) == MAX_DIAGNOSTICS:     # as many as are shown: the table is refused already
            break
        if is_long:
            problems.append(("QR204", tr("unknown column '{header}' in long-form data", header=header), j, did_you_mean(
                normalize(header).lower(), sorted(REGION_COLUMNS | YEAR_COLUMNS | INDICATOR_COLUMNS | VALUE_COLUMNS
                                                  | UNIT_COLUMNS | NOTE_COLUMNS))
                or tr("long form is region, year, indicator, value[, unit][, citation]")))
            continue
        if _role(header) in ("unit", "value", "indicator"):
            problems.append(("QR203", tr("a '{header}' column in wide-form data (one column per indicator)",
                                         header=header), j,
                             tr("for long form give region, year, indicator, value[, unit]")))
            continue
        indicator, unit, error, name = _header_indicator(header, catalogue)
        if indicator is None:
            problems.append(("QR204", error or tr("unknown indicator '{name}'", name=header), j,
                             catalogue.suggest(name)
                             or tr("add it to the catalogue, rename the column, or ignore it (ignore_columns=)")))
            continue
        if indicator.name in seen:
            problems.append(("QR203", tr("two columns for {name} ('{first}' and '{second}')", name=indicator.name,
                                         first=headers[seen[indicator.name]], second=header), j, tr("keep one")))
            continue
        seen[indicator.name] = j
        indicators.append((j, indicator, unit))
    return _Columns(roles, is_long, tuple(indicators), tuple(blank), tuple(problems))


def _not_a_year(value: Any) -> Text:
    return tr("'{value}' is not a year", value=value)


class _Problems:
    """Diagnostics of one table, at most ``MAX_DIAGNOSTICS``."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.found: list[Diagnostic] = []

    def add(self, code: str, message: str, row: int | None, column: int | None,
            suggestion: str | None = None) -> None:
        if not self.full:
            self.found.append(self.table.diagnostic(code, message, row, column, suggestion))

    @property
    def full(self) -> bool:
        """As many problems as are shown: another one would be dropped."""
        return len(self.found) >= MAX_DIAGNOSTICS

    def raise_if_any(self) -> None:
        raise_errors(self.found)


_HEADER_UNIT = re.compile(r"^(.*?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$")


def _header_indicator(header: str, catalogue: Any) -> tuple[m.Indicator | None, str | None, Text | None, str]:
    """(indicator, unit written in the header, error message, the header's name without a
    parenthesised unit — what to suggest a catalogue name for) for a wide-form header."""
    indicator = catalogue.lookup(header)
    if indicator is not None:
        return indicator, None, None, header
    match = _HEADER_UNIT.match(normalize(header))
    if match is not None:
        try:
            unit = parse_unit(match.group(2))
        except CellError:
            unit = None
        indicator = catalogue.lookup(match.group(1))
        if indicator is not None and unit is not None:
            return indicator, unit, None, match.group(1)
        if indicator is not None:
            return None, None, tr("unknown unit '{unit}' in header '{header}'", unit=match.group(2), header=header), \
                match.group(1)
        if unit is not None:
            header = match.group(1)
    return None, None, tr("unknown indicator '{name}'", name=header), header


def _factor(from_unit: str | None, indicator: m.Indicator) -> Fraction | None:
    """Factor from ``from_unit`` to the indicator's unit, None when they do not convert
    (:func:`_unconvertible` says why)."""
    to_unit = indicator.unit
    if from_unit is None or from_unit == to_unit:
        return Fraction(1)
    if to_unit is None or not units.compatible(from_unit, to_unit) or _points_for_level(from_unit, to_unit):
        return None
    return units.factor(from_unit, to_unit)


def _points_for_level(from_unit: str, to_unit: str) -> bool:
    """Whether values in ``from_unit`` are percentage points (a change, such as a statistical
    table's year-on-year column) given for an indicator whose values are levels in %."""
    return from_unit in units.POINT_SPELLINGS and to_unit not in units.POINT_SPELLINGS


def _unconvertible(from_unit: str | None, indicator: m.Indicator) -> Text:
    """Why values in ``from_unit`` do not convert to the indicator's unit (QR205)."""
    to_unit = indicator.unit
    if to_unit is None:
        return tr("{name} has no unit in the catalogue, but the data give '{unit}'", name=indicator.name,
                  unit=from_unit)
    if from_unit is not None and _points_for_level(from_unit, to_unit):
        return tr("'{unit}' is a change in percentage points (the difference of two percentages), not a level of "
                  "{name}", unit=from_unit, name=indicator.name)
    return tr("'{unit}' cannot be converted to {name}'s unit '{target}' ({dimension} vs {target_dimension})",
              unit=from_unit, name=indicator.name, target=to_unit, dimension=units.dimension(from_unit or ""),
              target_dimension=units.dimension(to_unit))


def _give_in_unit(indicator: m.Indicator) -> Text:
    return tr("give {name} in {unit}", name=indicator.name, unit=indicator.unit) if indicator.unit \
        else tr("give {name} in no unit", name=indicator.name)


class _Factoriser:
    """Regions (or years) of a table's batches as integer codes: integer labels are used as
    they are (a dense range by a bincount), text is dictionary-encoded and normalised once per
    distinct value. Codes stay stable from batch to batch."""

    def __init__(self) -> None:
        self.names: list[Any] | IntArray = []
        self._keys: dict[Any, int] | None = {}
        self.integers: bool | None = None

    @property
    def keys(self) -> dict[Any, int]:
        if self._keys is None:        # integer labels: the lookup is built only when a second batch needs it
            self._keys = {v: k for k, v in enumerate(self.names.tolist() if isinstance(self.names, np.ndarray)
                                                     else self.names)}
        return self._keys

    def integer_codes(self, values: IntArray) -> IntArray:
        """Codes of integer labels: in one batch with labels 0..n-1, the array itself; a
        consecutive range (years) shifted once; others through a table of the labels present."""
        if not len(values):
            return values.astype(np.int64)
        if not len(self.names):
            self.integers = True
        low, high = int(values.min()), int(values.max())
        span = high - low + 1
        dense = span <= 4 * len(values) + 1024
        if not len(self.names) and dense:
            shifted = values if low == 0 else values - low
            present = np.bincount(shifted, minlength=span) > 0
            self._keys = None
            if bool(present.all()):
                self.names = np.arange(low, high + 1, dtype=np.int64)
                return shifted
            self.names = np.flatnonzero(present) + low
            codes: IntArray = (np.cumsum(present) - 1)[shifted]
            return codes
        if dense:
            present = np.bincount(values - low, minlength=span) > 0
            local = np.cumsum(present) - 1
            codes = self._merge((np.flatnonzero(present) + low).tolist())[local[values - low]]
            return codes
        labels, inverse = np.unique(values, return_inverse=True)
        codes = self._merge(labels.tolist())[inverse.reshape(-1)]
        return codes

    def _merge(self, labels: list[Any], keys: list[Any] | None = None) -> IntArray:
        known = self.keys
        names: list[Any] = self.names.tolist() if isinstance(self.names, np.ndarray) else self.names
        self.names = names
        out = np.empty(len(labels), dtype=np.int64)
        for k, (label, key) in enumerate(zip(labels, keys if keys is not None else labels, strict=True)):
            code = known.get(key)
            if code is None:
                code = known[key] = len(names)
                names.append(label)
            out[k] = code
        return out

    def text_codes(self, labels: list[Any], local: IntArray, key: Any) -> IntArray:
        """Codes of rows whose local dictionary code is ``local`` (``len(labels)``: missing) into
        ``labels``; ``key(label)`` is the label's normal form (labels with one normal form are
        one); an empty label is missing too."""
        kept = [k for k, v in enumerate(labels) if v]
        table = np.full(len(labels) + 1, -1, dtype=np.int64)
        table[kept] = self._merge([labels[k] for k in kept], [key(labels[k]) for k in kept])
        codes: IntArray = table[local]
        return codes

    def only_used(self, codes: IntArray) -> IntArray:
        """Keep the labels that ``codes`` (-1: missing) still hold, once rows were left out (a
        note below a table, 注：…, names no region): the codes renumbered."""
        used = np.zeros(len(self.names), dtype=bool)
        used[codes[codes >= 0]] = True
        if bool(used.all()):
            return codes
        self.names = np.asarray(self.names)[used] if isinstance(self.names, np.ndarray) \
            else [name for name, kept in zip(self.names, used.tolist(), strict=True) if kept]
        self._keys = None
        renumbered = np.append(np.cumsum(used) - 1, -1)     # code -1 reads the last entry: stays -1
        result: IntArray = renumbered[codes]
        return result

    def to_text(self) -> None:
        """Integer labels seen so far become text names (a later batch holds text)."""
        if self.integers:
            self.names = [str(v) for v in (self.names.tolist() if isinstance(self.names, np.ndarray)
                                           else self.names)]
            self._keys = {normalize(v): k for k, v in enumerate(self.names)}
        self.integers = False


def _is_integral(values: FloatArray) -> bool:
    finite = values[~np.isnan(values)]
    return bool(np.all(finite == np.round(finite))) and (not len(finite) or float(np.abs(finite).max()) < 2 ** 62)


class _Loader:
    """One table into :class:`Observations`."""

    def __init__(self, table: Table, catalogue: Any, form: str | None, region_column: str | None,
                 year_column: str | None, ignore: frozenset[str]) -> None:
        self.table = table
        self.catalogue = catalogue
        self.form = form
        self.region_column = region_column
        self.year_column = year_column
        self.ignore = ignore
        self.problems = _Problems(table)
        self.warnings: list[Diagnostic] = []
        self.regions = _Factoriser()
        self.years = _Factoriser()
        self.incomplete = False       # some region or year may be missing (-1)
        # rows whose region cell marks a totals row (合计), and the cell, per batch and word
        self.totals: list[tuple[IntArray, str]] = []
        # rows whose region name ends in a footnote marker, the marker and the name, per batch and name
        self.region_marks: list[tuple[IntArray, str, str]] = []
        # values given twice with the same value: the first (row, column, cell, earlier row), how many
        self.repeated: tuple[int, int, str, int] | None = None
        self.repeats = 0

    def run(self) -> Observations:
        columns = _columns(self.table.headers, self.catalogue, self.form, self.region_column, self.year_column,
                           self.ignore)
        for code, message, column, suggestion in columns.problems:
            self.problems.add(code, message, None, column, suggestion)
        self.problems.raise_if_any()
        return self.long(columns) if columns.is_long else self.wide(columns)

    # -- keys

    def region_codes(self, raw: Any, column: int, offset: int) -> IntArray:
        """Codes of one batch's region column (-1 where empty)."""
        raw = plain_numbers(prepare(raw))
        if isinstance(raw, np.ndarray) and raw.dtype.kind in "iu" and self.regions.integers is not False \
                and (raw.dtype != np.uint64 or not len(raw) or int(raw.max()) < 2 ** 63):   # else read as text
            return self.regions.integer_codes(raw.astype(np.int64, copy=False))
        self.incomplete = True
        if isinstance(raw, np.ndarray) and raw.dtype.kind == "f" and self.regions.integers is not False \
                and _is_integral(raw):
            missing = np.isnan(raw)
            codes = np.full(len(raw), -1, dtype=np.int64)
            codes[~missing] = self.regions.integer_codes(raw[~missing].astype(np.int64))
            return codes
        self.regions.to_text()
        labels, local = _dictionary(raw)
        names = [visible(render(v)) for v in labels]
        for k, name in enumerate(names):
            index = lone_surrogate(name)
            if index is not None:      # no region's name: refused where it is written
                self.problems.add("QR244", surrogate_message(name, index), offset + int(np.flatnonzero(local == k)[0]),
                                  column, suggestion=tr("read the data with its real encoding (UTF-8, GB18030)"))
                names[k] = ""
            elif is_total(name):       # no region: left out, and said where (_drop_empty_rows)
                self.totals.append((offset + np.flatnonzero(local == k), name))
                names[k] = ""
            elif (marked := name_footnote(name)) is not None:   # 深圳市*: the name, the marker said
                names[k] = marked[0]
                self.region_marks.append((offset + np.flatnonzero(local == k), marked[1], marked[0]))
        return self.regions.text_codes(names, local, normalize)

    def _region_marks_ignored(self, j_region: int) -> None:
        """QR212 for the region names that ended in a footnote marker: at the first, with how many."""
        if self.region_marks:
            first, marker, region = min((int(rows[0]), marker, region) for rows, marker, region in self.region_marks)
            count = sum(len(rows) for rows, _, _ in self.region_marks)
            self.warnings.append(footnote_marker(self.table, j_region, first, count, marker, region))

    def year_codes(self, raw: Any, column: int, offset: int) -> IntArray:
        """Codes of one batch's year column (-1 where empty); QR203 for a cell that is not a year."""
        raw = plain_numbers(prepare(raw))
        if isinstance(raw, np.ndarray) and raw.dtype.kind in "iu":
            return self._year_ints(raw.astype(np.int64, copy=False), None, column, offset)
        self.incomplete = True
        if arrow_dates(raw):     # Arrow (polars) dates: as numpy's
            raw = wall_time(raw).cast("date32").to_numpy(zero_copy_only=False)
        if isinstance(raw, np.ndarray) and raw.dtype.kind == "M":
            years = raw.astype("datetime64[Y]").astype(np.int64) + 1970
            missing = np.isnat(raw)
            return self._year_ints(np.where(missing, -1, years), missing, column, offset)
        if isinstance(raw, np.ndarray) and raw.dtype.kind == "f":
            missing = np.isnan(raw)
            # no year, said as written: a fraction, or a number beyond any year (±inf, 1e300: no int64)
            bad = ~missing & ((raw != np.round(raw)) | ~(np.abs(raw) < 10000))
            for row in np.flatnonzero(bad)[:MAX_DIAGNOSTICS].tolist():
                self.problems.add("QR203", _not_a_year(raw[row]), offset + row, column,
                                  suggestion=tr("write e.g. 2015"))
            missing |= bad
            return self._year_ints(np.where(missing, 0.0, raw).astype(np.int64), missing, column, offset)
        labels, local = _dictionary(raw)
        parsed = [parse_year(v) for v in labels]
        for k, (label, year) in enumerate(zip(labels, parsed, strict=True)):
            if year is None and not (is_missing(label) or not str(label).strip()):
                row = int(np.flatnonzero(local == k)[0])
                self.problems.add("QR203", _not_a_year(label), offset + row, column,
                                  suggestion=tr("write e.g. 2015"))
        ints = np.array([-1 if y is None else y for y in parsed] + [-1], dtype=np.int64)[local]
        return self._year_ints(ints, ints < 0, column, offset)

    def _year_ints(self, years: IntArray, missing: BoolArray | None, column: int, offset: int) -> IntArray:
        """Codes of integer years (labels are year - 1000); QR203 for one outside 1000..9999."""
        present = years if missing is None else years[~missing]
        if len(present) and (int(present.min()) < 1000 or int(present.max()) > 9999):
            bad = np.flatnonzero(((years < 1000) | (years > 9999)) & (True if missing is None else ~missing))
            for row in bad[:MAX_DIAGNOSTICS].tolist():
                self.problems.add("QR203", _not_a_year(years[row]), offset + row, column,
                                  suggestion=tr("write e.g. 2015"))
            return np.full(len(years), -1, dtype=np.int64)
        if missing is None:
            return self.years.integer_codes(years)
        codes = np.full(len(years), -1, dtype=np.int64)
        codes[~missing] = self.years.integer_codes(present)
        return codes

    def year_labels(self) -> tuple[IntArray, IntArray]:
        """Sorted years and the remapping of year codes onto them."""
        labels = np.array(self.years.names, dtype=np.int64)
        order = np.argsort(labels, kind="stable")
        remap = np.empty(len(labels), dtype=np.int64)
        remap[order] = np.arange(len(labels))
        return labels[order], remap

    def region_labels(self) -> tuple[str, ...] | IntArray:
        if self.regions.integers:
            return np.asarray(self.regions.names, dtype=np.int64)
        return tuple(self.regions.names)

    # -- wide form

    def wide(self, columns: _Columns) -> Observations:
        table, problems, roles = self.table, self.problems, columns.roles
        indicator_columns, blank_columns = columns.indicators, columns.blank
        j_region, j_year = roles["region"], roles["year"]
        wanted = [j_region, j_year, *blank_columns, *(j for j, _, _ in indicator_columns)]
        region_parts, year_parts = [], []
        parsed_parts: list[list[ParsedColumn]] = [[] for _ in indicator_columns]
        batches = iter(table.batches(wanted))
        first = next(batches, None)
        if first is not None and first.n == table.rows and not blank_columns:
            grid = _Grid.of(plain_numbers(first.columns[j_region]), plain_numbers(first.columns[j_year]))
            if grid is not None:
                return self.wide_grid(grid, first, indicator_columns)
        for batch in itertools.chain([first] if first is not None else [], batches):
            region_parts.append(self.region_codes(batch.columns[j_region], j_region, batch.offset))
            year_parts.append(self.year_codes(batch.columns[j_year], j_year, batch.offset))
            for j in blank_columns:
                self._blank_column(batch.columns[j], j, batch.offset)
            for k, (j, indicator, unit) in enumerate(indicator_columns):
                raw = plain_numbers(batch.columns[j])
                if unit is None and isinstance(raw, np.ndarray) and raw.dtype == np.float64:
                    parsed_parts[k].append(ParsedColumn(raw, raw, floats=True))   # as given: nothing to read
                    continue
                parsed = parse_column(prepare(raw), MAX_DIAGNOSTICS)
                self._check_cells(parsed, j, batch.offset)
                parsed_parts[k].append(self._convert(parsed, j, batch.offset, [indicator], None, unit))
            problems.raise_if_any()
        region_codes, year_codes = _join(region_parts), _join(year_parts)
        parsed_columns = [_join_parsed(parts) if parts else _empty_parsed() for parts in parsed_parts]
        self._region_marks_ignored(j_region)
        keep = self._drop_empty_rows(region_codes, year_codes, parsed_columns, j_region, j_year)
        if keep is not None:
            region_codes, year_codes = self.regions.only_used(region_codes[keep]), self.years.only_used(year_codes[keep])
            parsed_columns = [_select_parsed(p, keep) for p in parsed_columns]
        problems.raise_if_any()
        years, remap = self.year_labels()
        if len(remap) and not np.array_equal(remap, np.arange(len(remap))):
            year_codes = remap[year_codes]
        n_regions, n_years = len(self.regions.names), len(years)
        layout = _Layout(region_codes, year_codes, n_regions, n_years)
        values: list[Values] = []
        exact: dict[Key, Fraction] = {}
        for i, ((j, indicator, _), parsed) in enumerate(zip(indicator_columns, parsed_columns, strict=True)):
            if layout.duplicated:
                self._check_duplicates(layout, parsed, j, lambda key, name=indicator.name: (
                    f"{self.region_name(key // max(n_years, 1))} {int(years[key % max(n_years, 1)])} {name}"))
            values.append(layout.place(parsed))
            for row, value in parsed.exact.items():
                exact[(int(region_codes[row]), int(year_codes[row]), i)] = value
        problems.raise_if_any()
        self._repeated_warning()
        source = CellSource(table, region_codes, year_codes, n_years, tuple(j for j, _, _ in indicator_columns))
        return Observations(self.region_labels(), years, tuple(ind.name for _, ind, _ in indicator_columns),
                            tuple(ind.unit for _, ind, _ in indicator_columns), tuple(values), {}, table.name, exact,
                            tuple(table.warnings + self.warnings), (source,))

    def wide_grid(self, grid: _Grid, batch: Any, indicator_columns: Sequence[tuple[int, m.Indicator, str | None]]
                  ) -> Observations:
        """A table with one row per region and year, integer regions and years in region-major or
        year-major order: each indicator's ``[region, year]`` values are a view of its column."""
        table, problems = self.table, self.problems
        layout = _Layout.grid(grid)
        shape = layout.shape if grid.order == "region-major" else layout.shape[::-1]
        values: list[Values] = []
        exact: dict[Key, Fraction] = {}
        for i, (j, indicator, unit) in enumerate(indicator_columns):
            raw = plain_numbers(batch.columns[j])
            if unit is None and type(raw) is np.ndarray and raw.dtype == np.float64:   # as given: a view
                view = raw.reshape(shape) if grid.order == "region-major" else raw.reshape(shape).T
                values.append(Values(view, view, floats=True))
                continue
            parsed = parse_column(prepare(raw), MAX_DIAGNOSTICS)
            self._check_cells(parsed, j, 0)
            parsed = self._convert(parsed, j, 0, [indicator], None, unit)
            values.append(layout.place(parsed))
            for row, value in parsed.exact.items():
                exact[grid.cell(row) + (i,)] = value
        problems.raise_if_any()
        source = CellSource(table, None, None, len(grid.years), tuple(j for j, _, _ in indicator_columns),
                            order=grid.order, n_regions=len(grid.regions))
        return Observations(grid.regions, grid.years, tuple(ind.name for _, ind, _ in indicator_columns),
                            tuple(ind.unit for _, ind, _ in indicator_columns), tuple(values), {}, table.name, exact,
                            tuple(table.warnings + self.warnings), (source,))

    def region_name(self, code: int) -> str:
        return str(self.regions.names[code])

    def _blank_column(self, raw: Any, j: int, offset: int) -> None:
        """A column without a header must be empty (Excel leaves such columns behind)."""
        parsed = parse_column(prepare(raw), 1)
        full = np.flatnonzero(~np.isnan(parsed.lo))
        if len(full) or parsed.errors:
            row = int(full[0]) if len(full) else next(iter(parsed.errors))
            self.problems.add("QR204", tr("a column without a header holds values"), offset + row, j,
                              suggestion=tr("name the column (an indicator), or delete it"))

    def _check_cells(self, parsed: ParsedColumn, j: int, offset: int) -> None:
        errors: dict[int, Text] = parsed.errors
        for row in errors:
            self.problems.add(getattr(errors[row], "code", "QR206"), errors[row], offset + row, j,
                              suggestion=tr("write a number, optionally censored (<3, ≥95, 95以上), or leave it empty"))
        for row, marker in parsed.footnotes.items():
            if len(self.warnings) >= MAX_WARNINGS:
                break
            value = parsed.lo[row] if math.isfinite(parsed.lo[row]) else parsed.hi[row]
            read = f"{value:.15g}"
            self.warnings.append(self.table.diagnostic(
                "QR212", tr("footnote marker '{marker}' after the value ignored: read {value}", marker=marker,
                            value=read), offset + row, j,
                suggestion=tr("move footnotes to a note column"), severity=Severity.WARNING))

    def _drop_empty_rows(self, region_codes: IntArray, year_codes: IntArray, parsed: Sequence[ParsedColumn],
                         j_region: int, j_year: int, indicator_codes: IntArray | None = None,
                         j_indicator: int = -1) -> BoolArray | None:
        """Rows without region, year (or indicator, in long form): dropped when they hold no
        value (an empty row), an error otherwise."""
        if not self.incomplete and indicator_codes is None:     # integer keys: nothing can be missing
            return None
        missing = (region_codes < 0) | (year_codes < 0)
        if indicator_codes is not None:
            missing |= indicator_codes < 0
        if not missing.any():
            return None
        holds = np.zeros(len(region_codes), dtype=bool)
        for p in parsed:
            holds |= ~np.isnan(p.lo)
        if self.totals:
            for rows, _ in self.totals:
                holds[rows] = False
            self.warnings.append(self._totals_left_out(j_region))
        self._notes_left_out(missing & ~holds, region_codes, year_codes, indicator_codes, j_region, j_year, j_indicator)
        for row in np.flatnonzero(missing & holds)[:MAX_DIAGNOSTICS].tolist():
            if region_codes[row] < 0:
                self.problems.add("QR203", tr("the region is empty"), row, j_region,
                                  suggestion=tr("give the region of every row that holds values"))
            elif indicator_codes is not None and indicator_codes[row] < 0:
                self.problems.add("QR204", tr("the indicator is empty"), row, j_indicator,
                                  suggestion=tr("name the indicator of every row that holds a value"))
            else:
                self.problems.add("QR203", tr("the year is empty"), row, j_year,
                                  suggestion=tr("give the year of every row that holds values"))
        return ~missing

    def _notes_left_out(self, left: BoolArray, region_codes: IntArray, year_codes: IntArray,
                        indicator_codes: IntArray | None, j_region: int, j_year: int, j_indicator: int) -> None:
        """QR221 at the first of the rows left out for holding no value and no key, that still
        have words in a key column (``注：数据来源于统计局`` under the table, a region listed
        without a year): said, not dropped unseen like an empty row. Totals rows are QR216's."""
        written = (region_codes >= 0) | (year_codes >= 0)
        if indicator_codes is not None:
            written |= indicator_codes >= 0
        rows = left & written
        for totals, _ in self.totals:
            rows[totals] = False
        found = np.flatnonzero(rows)
        if not len(found):
            return
        first = int(found[0])
        key = tr("region") if region_codes[first] < 0 else tr("year") if year_codes[first] < 0 else tr("indicator")
        words = self.region_name(int(region_codes[first])) if region_codes[first] >= 0 else None
        message = tr("a row with no {key} and no value is left out", key=key) if words is None \
            else tr("a row with no {key} and no value is left out ('{text}': a note?)", key=key, text=words)
        if len(found) > 1:
            message = tr("{message}, as are {more} more such row(s)", message=message, more=len(found) - 1)
        self.warnings.append(self.table.diagnostic(
            "QR221", message, first, j_region if words is not None else j_year, severity=Severity.WARNING,
            suggestion=tr("nothing to do if it is a note; if the row is a region's, give its {key} and values",
                          key=key)))

    def _totals_left_out(self, j_region: int) -> Diagnostic:
        """QR216: the totals rows (合计, 小计 in the region column), left out, shown at the first."""
        first, word = min((int(rows[0]), name) for rows, name in self.totals)
        return totals_left_out(self.table, first, j_region, word, sum(len(rows) for rows, _ in self.totals))

    def _check_duplicates(self, layout: _Layout, parsed: ParsedColumn, column: int, what: Any) -> None:
        """Values given twice for one region-year (or region-year-indicator) must be equal."""
        key = layout.key
        present = np.flatnonzero(~np.isnan(parsed.lo))
        k = key[present]
        order = np.argsort(k, kind="stable")
        sk, rows = k[order], present[order]
        same_key = sk[1:] == sk[:-1]
        if not same_key.any():
            return
        a, b = rows[:-1][same_key], rows[1:][same_key]
        differs = (parsed.lo[a] != parsed.lo[b]) | (parsed.hi[a] != parsed.hi[b])
        if parsed.lo_open is not None and parsed.hi_open is not None:
            differs |= (parsed.lo_open[a] != parsed.lo_open[b]) | (parsed.hi_open[a] != parsed.hi_open[b])
        for x, z, cell_key in zip(a[differs][:MAX_DIAGNOSTICS].tolist(), b[differs][:MAX_DIAGNOSTICS].tolist(),
                                  sk[1:][same_key][differs][:MAX_DIAGNOSTICS].tolist(), strict=True):
            self.problems.add("QR203", tr("{cell} is given twice with different values (also in row {row})",
                                          cell=what(int(cell_key)), row=self.table.row_number(x)), z, column,
                              suggestion=tr("keep one value per region, year and indicator"))
        same = np.flatnonzero(~differs)
        if len(same) and self.repeated is None:
            first = int(same[0])
            self.repeated = (int(b[first]), column, what(int(sk[1:][same_key][first])), int(a[first]))
        self.repeats += len(same)

    def _repeated_warning(self) -> None:
        """QR218: values given twice with the same value (a row pasted twice), each read once: said
        at the first, with how many more, so that no row is merged away unseen."""
        if self.repeated is None:
            return
        row, column, cell, earlier = self.repeated
        shown_row = self.table.row_number(earlier)
        message = tr("{cell} is given twice with the same value (also in row {row}): read once", cell=cell,
                     row=shown_row) if self.repeats == 1 else \
            tr("{cell} is given twice with the same value (also in row {row}): read once, as are {more} more "
               "value(s) given twice", cell=cell, row=shown_row, more=self.repeats - 1)
        self.warnings.append(self.table.diagnostic(
            "QR218", message, row, column, severity=Severity.WARNING,
            suggestion=_SAME_TWICE))

    # -- units

    def _convert(self, parsed: ParsedColumn, j: int, offset: int, indicators: Sequence[m.Indicator],
                 codes: IntArray | None, base_unit: str | None, row_units: Sequence[str | None] | None = None,
                 unit_codes: IntArray | None = None, unit_column: int | None = None) -> ParsedColumn:
        """Convert a parsed column to each row's indicator unit (``indicators[codes[row]]``;
        ``codes`` None: every row is ``indicators[0]``). A value's unit is the one written in its
        cell, else its row's (``row_units[unit_codes[row]]``, a unit column), else ``base_unit``
        (the header's), else the indicator's; a magnitude word meets the column unit's own
        (:func:`~.cells.column_magnitude`). A unit that does not convert is an error where it is
        written: the cell, the unit column or the header."""
        n = len(parsed.lo)
        if parsed.units is None and parsed.magnitudes is None and unit_codes is None \
                and (codes is None or len(indicators) == 1):
            factor = _factor(base_unit, indicators[0])
            if factor is None:
                if (~np.isnan(parsed.lo)).any():
                    self.problems.add("QR205", _unconvertible(base_unit, indicators[0]), None, j,
                                      suggestion=_give_in_unit(indicators[0]))
                return parsed
            return _scaled(parsed, factor, None)
        # Group rows by (cell unit, magnitude word, row unit, indicator); one exact factor per group.
        cell_units = parsed.units if parsed.units is not None else np.full(n, None, dtype=object)
        unit_names, cell_code = _small_codes(cell_units)
        has_magnitude = (parsed.magnitudes != 1).astype(np.int64) if parsed.magnitudes is not None \
            else np.zeros(n, dtype=np.int64)
        row_unit = unit_codes if unit_codes is not None else np.full(n, -1, dtype=np.int64)
        # indicator 0: a long-form row without one (refused or dropped by _drop_empty_rows), not converted
        indicator = codes + 1 if codes is not None else np.ones(n, dtype=np.int64)
        width_u, width_i = len(row_units or ()) + 1, len(indicators) + 1
        key = ((cell_code + 1) * 2 + has_magnitude) * width_u + (row_unit + 1)
        key = key * width_i + indicator
        groups, inverse = np.unique(key, return_inverse=True)
        factors = np.ones(len(groups), dtype=object)
        bad = np.zeros(len(groups), dtype=bool)
        present = ~np.isnan(parsed.lo)
        for g, group_key in enumerate(groups.tolist()):
            if group_key % width_i == 0:
                continue
            ind = indicators[group_key % width_i - 1]
            rest = group_key // width_i
            r_unit = rest % width_u - 1
            rest //= width_u
            magnitude, c_unit = rest % 2, rest // 2 - 1
            column_unit = (row_units[r_unit] if row_units is not None and r_unit >= 0 else None) or base_unit \
                or ind.unit
            if c_unit >= 0:
                unit: str | None = unit_names[c_unit]
            elif magnitude:
                absorbed = column_magnitude(column_unit)
                unit = absorbed[1] if absorbed is not None else column_unit
            else:
                unit = column_unit
            factor = _factor(unit, ind)
            if factor is None:
                rows = np.flatnonzero((inverse == g) & present)
                if len(rows):
                    row = int(rows[0])
                    where = j if c_unit >= 0 or magnitude else (unit_column if r_unit >= 0 else None)
                    self.problems.add("QR205", _unconvertible(unit, ind), offset + row if where is not None else None,
                                      where if where is not None else j, suggestion=_give_in_unit(ind))
                bad[g] = True
                continue
            factors[g] = factor
        if len(groups) == 1:
            return _scaled(parsed, factors[0], None) if not bad[0] else parsed
        return _scaled(parsed, None, (factors, inverse))

    # -- long form

    def long(self, columns: _Columns) -> Observations:
        table, problems, roles = self.table, self.problems, columns.roles
        note_column = next((j for j, h in enumerate(table.headers) if _role(h) == "note"), None)
        j_region, j_year, j_ind, j_value = roles["region"], roles["year"], roles["indicator"], roles["value"]
        j_unit = roles.get("unit")
        wanted = [j_region, j_year, j_ind, j_value] + ([j_unit] if j_unit is not None else []) \
            + ([note_column] if note_column is not None else [])
        indicators: list[m.Indicator] = []
        indicator_at: dict[str, int] = {}
        unit_names: list[str | None] = []
        unit_at: dict[str | None, int] = {}
        parts: dict[str, list[Any]] = {"region": [], "year": [], "indicator": [], "unit": [], "values": [], "note": []}
        for batch in table.batches(wanted):
            parts["region"].append(self.region_codes(batch.columns[j_region], j_region, batch.offset))
            parts["year"].append(self.year_codes(batch.columns[j_year], j_year, batch.offset))
            labels, local = _dictionary(prepare(batch.columns[j_ind]))
            lut = np.full(len(labels) + 1, -1, dtype=np.int64)
            for k, label in enumerate(labels):
                if is_missing(label) or not str(label).strip():   # no indicator: dropped if the row is
                    continue                                        # empty, else QR204 (_drop_empty_rows)
                text = str(label)
                if lone_surrogate(text) is not None:
                    problems.add("QR244", surrogate_message(text, lone_surrogate(text) or 0),
                                 batch.offset + int(np.flatnonzero(local == k)[0]), j_ind,
                                 suggestion=tr("read the data with its real encoding (UTF-8, GB18030)"))
                    continue
                indicator = self.catalogue.lookup(text)
                if indicator is None and problems.full:     # refused already; no suggestion to compute
                    continue
                if indicator is None:
                    rows = np.flatnonzero(local == k)
                    problems.add("QR204", tr("unknown indicator '{name}'", name=text), batch.offset + int(rows[0]),
                                 j_ind, suggestion=self.catalogue.suggest(text))
                    continue
                if indicator.name not in indicator_at:
                    indicator_at[indicator.name] = len(indicators)
                    indicators.append(indicator)
                lut[k] = indicator_at[indicator.name]
            codes = lut[local]
            parts["indicator"].append(codes)
            unit_codes = None
            if j_unit is not None:
                labels, local = _dictionary(prepare(batch.columns[j_unit]))
                lut = np.full(len(labels) + 1, -1, dtype=np.int64)
                for k, label in enumerate(labels):
                    try:
                        unit = None if is_missing(label) else parse_unit(str(label))
                    except CellError as error:
                        rows = np.flatnonzero(local == k)
                        why: Text = error.message
                        problems.add("QR205", why, batch.offset + int(rows[0]), j_unit,
                                     suggestion=tr("write the unit as in the rules: %, 万元, 亿元, 吨标准煤/万元, …"))
                        continue
                    if unit is not None:
                        if unit not in unit_at:
                            unit_at[unit] = len(unit_names)
                            unit_names.append(unit)
                        lut[k] = unit_at[unit]
                unit_codes = lut[local]
            problems.raise_if_any()
            parsed = parse_column(prepare(batch.columns[j_value]), MAX_DIAGNOSTICS)
            self._check_cells(parsed, j_value, batch.offset)
            problems.raise_if_any()
            parts["values"].append(self._convert(parsed, j_value, batch.offset, indicators, codes, None, unit_names,
                                                 unit_codes, j_unit))
            if note_column is not None:
                parts["note"].append(prepare(batch.columns[note_column]))
            problems.raise_if_any()
        region_codes, year_codes = _join(parts["region"]), _join(parts["year"])
        codes = _join(parts["indicator"])
        parsed = _join_parsed(parts["values"]) if parts["values"] else _empty_parsed()
        self._region_marks_ignored(j_region)
        keep = self._drop_empty_rows(region_codes, year_codes, [parsed], j_region, j_year, codes, j_ind)
        if keep is not None:
            region_codes, codes = self.regions.only_used(region_codes[keep]), codes[keep]
            year_codes = self.years.only_used(year_codes[keep])
            parsed = _select_parsed(parsed, keep)
        problems.raise_if_any()
        years, remap = self.year_labels()
        if len(remap):
            year_codes = remap[year_codes]
        n_regions, n_years, n_ind = len(self.regions.names), len(years), len(indicators)
        layout = _Layout((region_codes * max(n_years, 1) + year_codes), codes, n_regions * max(n_years, 1),
                         max(n_ind, 1), long_form=True)
        if layout.duplicated:
            self._check_duplicates(layout, parsed, j_value, lambda key: (
                f"{self.region_name(key // (max(n_years, 1) * max(n_ind, 1)))} "
                f"{int(years[(key // max(n_ind, 1)) % max(n_years, 1)])} {indicators[key % max(n_ind, 1)].name}"))
        problems.raise_if_any()
        self._repeated_warning()
        values = layout.place_long(parsed, n_regions, n_years, n_ind)
        exact = {(int(region_codes[row]), int(year_codes[row]), int(codes[row])): value
                 for row, value in parsed.exact.items()}
        notes: dict[Key, str] = {}
        if note_column is not None and parts["note"]:
            texts = [note for part in parts["note"] for note in _cells(part)]
            originals = keep_rows(keep, len(region_codes))
            rows = np.flatnonzero(~np.isnan(parsed.lo))
            for r, y, i, original in zip(region_codes[rows].tolist(), year_codes[rows].tolist(), codes[rows].tolist(),
                                         originals[rows].tolist(), strict=True):
                note = texts[original]
                if not is_missing(note) and str(note).strip():
                    notes[(r, y, i)] = str(note).strip()
        source = CellSource(table, region_codes, year_codes, n_years, (), codes, j_value)
        return Observations(self.region_labels(), years, tuple(ind.name for ind in indicators),
                            tuple(ind.unit for ind in indicators), values, notes, table.name, exact,
                            tuple(table.warnings + self.warnings), (source,))


def _cells(raw: Any) -> list[Any]:
    """A prepared column's cells as Python values."""
    if isinstance(raw, Categorical):
        return [None if c < 0 else raw.categories[c] for c in raw.codes.tolist()]
    if isinstance(raw, np.ndarray):
        cells: list[Any] = raw.tolist()
        return cells
    return list(raw.to_pylist())


def keep_rows(keep: BoolArray | None, n: int) -> IntArray:
    """The original row of each kept row."""
    return np.arange(n) if keep is None else np.flatnonzero(keep)


def _dictionary(raw: Any) -> tuple[list[Any], IntArray]:
    """Distinct values of a column (first appearance order) and each row's index into them; a
    missing value gets the index ``len(labels)``."""
    if isinstance(raw, Categorical):
        codes = raw.codes.astype(np.int64)
        return list(raw.categories), np.where(codes < 0, len(raw.categories), codes)
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(raw, np.ndarray) and raw.dtype.kind in "Mm" or \
            not isinstance(raw, np.ndarray) and pa.types.is_temporal(raw.type):
        raw = dates_as_text(raw)    # (Arrow's date32 would wrap a far year; Python's dates stop at 9999)
    array = raw
    if isinstance(raw, np.ndarray):
        try:
            array = pa.array(raw, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError,
                OverflowError):     # mixed objects, complex numbers, integers beyond int64
            return _python_dictionary(raw)
    if pa.types.is_dictionary(array.type):
        dictionary, indices = array.dictionary, array.indices
    else:
        try:
            encoded = array.dictionary_encode()
        except pa.ArrowNotImplementedError:     # nested or extension types: their Python objects
            cells = np.empty(len(array), dtype=object)
            for row, cell in enumerate(array.to_pylist()):
                cells[row] = cell
            return _python_dictionary(cells)
        dictionary, indices = encoded.dictionary, encoded.indices
    labels = dictionary.to_pylist()
    if indices.null_count:
        indices = pc.fill_null(indices, len(labels))
    local = indices.to_numpy(zero_copy_only=False).astype(np.int64)
    missing = [k for k, v in enumerate(labels) if is_missing(v)]
    if missing:
        local = np.where(np.isin(local, missing), len(labels), local)
    return labels, local


def _python_dictionary(raw: npt.NDArray[Any]) -> tuple[list[Any], IntArray]:
    """:func:`_dictionary` for mixed Python objects."""
    index: dict[Any, int] = {}
    labels: list[Any] = []
    local = np.empty(len(raw), dtype=np.int64)
    missing = -1
    for row, value in enumerate(raw.tolist()):
        if is_missing(value):
            local[row] = missing
            continue
        key = (type(value).__name__, value)
        try:
            code = index.get(key)
        except TypeError:       # an unhashable cell (a list): by its text
            key = (type(value).__name__, repr(value))
            code = index.get(key)
        if code is None:
            code = index[key] = len(labels)
            labels.append(value)
        local[row] = code
    local[local == missing] = len(labels)
    return labels, local


def _small_codes(values: npt.NDArray[Any]) -> tuple[list[Any], IntArray]:
    """Codes of a column with few distinct values (None = -1)."""
    labels, local = _dictionary(values)
    return labels, np.where(local >= len(labels), -1, local)


def _join(parts: list[IntArray]) -> IntArray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _empty_parsed() -> ParsedColumn:
    empty = np.zeros(0)
    return ParsedColumn(empty, empty)


def _join_parsed(parts: list[ParsedColumn]) -> ParsedColumn:
    if len(parts) == 1:
        return parts[0]
    lo = np.concatenate([p.lo for p in parts])
    censored = any(p.censored for p in parts)
    out = ParsedColumn(lo, np.concatenate([p.hi for p in parts]) if censored else lo,
                       floats=any(p.floats for p in parts))
    if censored:
        out.lo_open = np.concatenate([p.lo_open if p.lo_open is not None else np.zeros(len(p.lo), bool)
                                      for p in parts])
        out.hi_open = np.concatenate([p.hi_open if p.hi_open is not None else np.zeros(len(p.lo), bool)
                                      for p in parts])
    offset = 0
    for p in parts:
        out.exact.update({offset + r: v for r, v in p.exact.items()})
        out.footnotes.update({offset + r: v for r, v in p.footnotes.items()})
        offset += len(p.lo)
    return out


def _select_parsed(parsed: ParsedColumn, keep: BoolArray) -> ParsedColumn:
    new_index = np.cumsum(keep) - 1
    lo = parsed.lo[keep]
    out = ParsedColumn(lo, parsed.hi[keep] if parsed.censored else lo, floats=parsed.floats)
    if parsed.lo_open is not None and parsed.hi_open is not None:
        out.lo_open, out.hi_open = parsed.lo_open[keep], parsed.hi_open[keep]
    out.exact = {int(new_index[r]): v for r, v in parsed.exact.items() if keep[r]}
    return out


def _scaled(parsed: ParsedColumn, factor: Fraction | None,
            groups: tuple[npt.NDArray[Any], IntArray] | None) -> ParsedColumn:
    """``parsed`` converted by one factor, or by a factor per group of rows, each value the float
    nearest to its exact product (:func:`~.decimals.scale_array`); the cells whose product is not
    the shortest decimal of that float keep it in ``exact``. (A censored bound carries no exact
    value: a long one was widened to a float when read.)"""
    if groups is None:
        assert factor is not None
        if factor == 1:
            return parsed
        lo, exact = scale_array(parsed.lo, factor, parsed.exact)
        hi = scale_array(parsed.hi, factor)[0] if parsed.censored else lo
        out = ParsedColumn(lo, hi, parsed.lo_open, parsed.hi_open, exact=exact, floats=parsed.floats)
    else:
        factors, inverse = groups
        lo = parsed.lo.copy()
        hi = parsed.hi.copy() if parsed.censored else lo
        exact = dict(parsed.exact)
        for g, f in enumerate(factors.tolist()):
            if f == 1:
                continue
            rows = np.flatnonzero(inverse == g)
            position = {int(row): n for n, row in enumerate(rows.tolist())} if exact else {}
            inside = {position[row]: value for row, value in exact.items() if row in position}
            lo[rows], scaled_exact = scale_array(parsed.lo[rows], f, inside)
            for row in position:
                exact.pop(row, None)
            exact.update({int(rows[n]): value for n, value in scaled_exact.items()})
            if parsed.censored:
                hi[rows] = scale_array(parsed.hi[rows], f)[0]
        out = ParsedColumn(lo, hi, parsed.lo_open, parsed.hi_open, exact=exact, floats=parsed.floats)
    out.footnotes = parsed.footnotes
    return out


@attrs.frozen
class _Grid:
    """Integer regions ``r0..r1`` and years ``y0..y1`` with exactly one row per pair, in
    region-major (each region's years in turn) or year-major order: the layout of most
    statistical tables, recognised in two comparisons, no reduction and no factorising."""

    regions: IntArray
    years: IntArray
    order: str

    @classmethod
    def of(cls, region: Any, year: Any) -> _Grid | None:
        if not (isinstance(region, np.ndarray) and isinstance(year, np.ndarray) and region.dtype.kind in "iu"
                and year.dtype.kind in "iu" and len(region) == len(year) and len(region)):
            return None
        for order, inner, outer in (("region-major", year, region), ("year-major", region, year)):
            found = cls._nested(inner, outer)
            if found is not None:
                inner_labels, outer_labels = found
                regions, years = (outer_labels, inner_labels) if order == "region-major" else (inner_labels, outer_labels)
                if int(years[0]) >= 1000 and int(years[-1]) <= 9999:
                    return cls(regions, years, order)
        return None

    @staticmethod
    def _nested(inner: IntArray, outer: IntArray) -> tuple[IntArray, IntArray] | None:
        """When ``outer`` runs through consecutive integers, each repeated for ``inner`` running
        through the same consecutive integers (region 0: 2011..2020, region 1: 2011..2020, …):
        both runs. The run's length is read off the first row where ``inner`` breaks its count
        (a short prefix); then one comparison per column proves every row."""
        n, start, first = len(inner), int(inner[0]), int(outer[0])
        if not (-2 ** 62 < start < 2 ** 62 and -2 ** 62 < first < 2 ** 62):
            return None        # codes beyond int64 are not a grid of codes
        size = 1 << 10
        while True:            # a prefix long enough to hold the first break (most runs are short)
            breaks = np.flatnonzero(inner[:size] != np.arange(start, start + min(size, n)))
            if len(breaks) or size >= n:
                break
            size *= 8
        width = int(breaks[0]) if len(breaks) else n
        if n % width:
            return None
        height = n // width
        inner_run = np.arange(start, start + width, dtype=np.int64)
        outer_run = np.arange(first, first + height, dtype=np.int64)
        # contiguous 1-D comparisons (a [height, width] broadcast runs an inner loop of width)
        if not bool((inner[width:] == inner[:-width]).all()) or not bool((outer[::width] == outer_run).all()) \
                or not bool((outer[width - 1::width] == outer_run).all()):
            return None
        # each run of outer starts and ends on its value, the next on the next: with one change
        # between runs and no other, every run holds one value
        if np.count_nonzero(outer[1:] != outer[:-1]) != height - 1:
            return None
        return inner_run, outer_run

    def cell(self, row: int) -> tuple[int, int]:
        """(region, year) indices of a row."""
        n_r, n_y = len(self.regions), len(self.years)
        return divmod(row, n_y) if self.order == "region-major" else divmod(row, n_r)[::-1]


class _Layout:
    """Where the rows of a table go in ``[region, year]`` (wide) or ``[indicator][region, year]``
    (long). A table with exactly one row per region-year in region-major or year-major order is
    placed by a reshape (a view); otherwise by one scatter per column. The duplicate check is a
    bincount."""

    def __init__(self, a: IntArray, b: IntArray, n_a: int, n_b: int, long_form: bool = False) -> None:
        n = len(a)
        self.shape = (n_a, n_b)
        self.key = a * n_b + b if n else np.zeros(0, dtype=np.int64)
        if not long_form and n and a.dtype.itemsize < 8:
            self.key = a.astype(np.int64) * n_b + b
        self.order = "scatter"
        self.duplicated = False
        cells = n_a * n_b
        if not long_form and n == cells and n:
            if np.array_equal(self.key, np.arange(n)):
                self.order = "region-major"
            elif np.array_equal(b * n_a + a, np.arange(n)):
                self.order = "year-major"
        if self.order == "scatter" and n:
            if cells <= 8 * n + 1024:
                self.duplicated = bool(np.bincount(self.key, minlength=cells).max() > 1)
            else:
                ordered = np.sort(self.key)
                self.duplicated = bool((ordered[1:] == ordered[:-1]).any())

    @classmethod
    def grid(cls, grid: _Grid) -> _Layout:
        layout = cls.__new__(cls)
        layout.shape = (len(grid.regions), len(grid.years))
        layout.order = grid.order
        layout.duplicated = False
        layout.key = np.zeros(0, dtype=np.int64)
        return layout

    def _place(self, column: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
        n_a, n_b = self.shape
        if self.order == "region-major":
            return column.reshape(n_a, n_b)
        if self.order == "year-major":
            return column.reshape(n_b, n_a).T
        out = np.full(n_a * n_b, fill, dtype=column.dtype)
        if self.duplicated and column.dtype.kind == "f":
            present = ~np.isnan(column)
            out[self.key[present]] = column[present]
        else:
            out[self.key] = column
        return out.reshape(n_a, n_b)

    def place(self, parsed: ParsedColumn) -> Values:
        lo = self._place(parsed.lo, np.nan)
        if not parsed.censored:
            return Values(lo, lo, floats=parsed.floats)
        assert parsed.lo_open is not None and parsed.hi_open is not None
        if self.duplicated:     # open flags where a value is present only
            present = ~np.isnan(parsed.lo)
            lo_open = np.zeros(self.shape[0] * self.shape[1], dtype=bool)
            hi_open = np.zeros_like(lo_open)
            lo_open[self.key[present]] = parsed.lo_open[present]
            hi_open[self.key[present]] = parsed.hi_open[present]
            return Values(lo, self._place(parsed.hi, np.nan), lo_open.reshape(self.shape), hi_open.reshape(self.shape))
        return Values(lo, self._place(parsed.hi, np.nan), self._place(parsed.lo_open, False),
                      self._place(parsed.hi_open, False))

    def place_long(self, parsed: ParsedColumn, n_regions: int, n_years: int, n_ind: int) -> tuple[Values, ...]:
        """Long form: one scatter into an ``[indicator, region*year]`` block, one view per indicator."""
        cells, n_i = self.shape
        present = ~np.isnan(parsed.lo)
        key = self.key[present]
        indicator, cell = key % n_i, key // n_i
        lo = np.full((n_i, cells), np.nan)
        lo[indicator, cell] = parsed.lo[present]
        censored = parsed.censored
        if censored:
            assert parsed.lo_open is not None and parsed.hi_open is not None
            hi = np.full((n_i, cells), np.nan)
            hi[indicator, cell] = parsed.hi[present]
            lo_open = np.zeros((n_i, cells), dtype=bool)
            hi_open = np.zeros((n_i, cells), dtype=bool)
            lo_open[indicator, cell] = parsed.lo_open[present]
            hi_open[indicator, cell] = parsed.hi_open[present]
        out = []
        size = n_regions * n_years     # less than cells when no row kept a year (a region seen on an empty row)
        for i in range(n_ind):
            block = lo[i, :size].reshape(n_regions, n_years)
            if censored:
                out.append(Values(block, hi[i, :size].reshape(n_regions, n_years),
                                  lo_open[i, :size].reshape(n_regions, n_years),
                                  hi_open[i, :size].reshape(n_regions, n_years)))
            else:
                out.append(Values(block, block, floats=parsed.floats))
        return tuple(out)

