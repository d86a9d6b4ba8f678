"""Data in: observations of indicators per region and year, from any table the user holds.

Accepted inputs: a pandas, polars or pyarrow table, a mapping of column name -> array (numpy or
list), or a file (``.csv`` in UTF-8, UTF-8 with BOM or GB18030, detected or declared; ``.xlsx``;
``.parquet``/``.feather``). Two layouts:

* **wide**: ``region``, ``year`` and one column per indicator (header ``name`` or ``name(unit)``);
* **long**: ``region``, ``year``, ``indicator``, ``value`` and optionally ``unit``; a ``citation``
  (or ``source``/``note``) column is kept as the provenance of each value.

Names (headers, indicator cells, regions) go through :func:`qualityrules.language.text.normalize`, the
same normalisation as rules, and match indicators through the catalogue's aliases. Values may be
censored as statistical bulletins print them (``<3``, ``≥95``, ``95以上``): such a value is kept as
an interval, never as a number. Values given in another unit than the indicator's (a ``unit``
column, a unit in the header or in the cell) are converted exactly; an incompatible unit is an
error (QR205), never a wrong verdict.

The result is :class:`Observations`: dense ``regions x years x indicators`` float64 cubes in each
indicator's catalogue unit, NaN where no value was given. Heavy libraries load on first use.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import Diagnostic, did_you_mean, raise_errors, span_of
from ..language import model as m
from ..language import units
from ..language.text import lone_surrogate, normalize, surrogate_message
from .decimals import DIGITS, exact_text, scale_array, value_of

__all__ = [
    "Observations", "Cell", "load", "parse_cell", "read_text", "scale_array", "REGION_COLUMNS", "YEAR_COLUMNS",
    "INDICATOR_COLUMNS", "VALUE_COLUMNS", "UNIT_COLUMNS", "NOTE_COLUMNS",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

# Column roles, by normalised (and ASCII-lower-cased) header.
REGION_COLUMNS = frozenset({"region", "地区", "区域", "行政区", "行政区划", "地区名称", "区划"})
YEAR_COLUMNS = frozenset({"year", "年份", "年度", "年", "统计年度"})
INDICATOR_COLUMNS = frozenset({"indicator", "指标", "指标名称", "指标名"})
VALUE_COLUMNS = frozenset({"value", "数值", "值", "指标值"})
UNIT_COLUMNS = frozenset({"unit", "单位", "计量单位"})
NOTE_COLUMNS = frozenset({"citation", "source", "note", "notes", "comment", "备注", "来源", "出处", "说明",
                          "数据来源", "引用"})

# Cells that mean "no value" in statistical tables.
MISSING_CELLS = frozenset({"", "-", "--", "—", "——", "–", "―", "na", "n/a", "nan", "null", "none", "…",
                           "……", "...", "/", "x", "×", "无", "暂无", "缺失", "不详"})

MAX_DIAGNOSTICS = 20


# ------------------------------------------------------------------------------------------
# Cells


@attrs.frozen
class Cell:
    """One parsed value: the interval ``lo..hi`` (equal for an exact value; ``-inf``/``inf`` for the
    open side of a censored one), whether each end is excluded, and the unit written in the cell.
    ``given`` is the value as written when it is not the shortest decimal of ``lo`` (more than 15
    significant digits, a Fraction or a Decimal cell); None otherwise."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    unit: str | None = None
    given: Fraction | None = None

    @property
    def exact(self) -> bool:
        return self.lo == self.hi and not (self.lo_open or self.hi_open)

    def __str__(self) -> str:
        if self.given is not None:
            return exact_text(self.given)
        if self.exact:
            return _number(self.lo)
        if math.isinf(self.lo):
            return ("<" if self.hi_open else "≤") + _number(self.hi)
        if math.isinf(self.hi):
            return (">" if self.lo_open else "≥") + _number(self.lo)
        return f"{_number(self.lo)}..{_number(self.hi)}"


def _number(x: float) -> str:
    return f"{x:.15g}"


class CellError(ValueError):
    """A cell that is not a value; ``message`` says why."""


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_MAGNITUDES = {"万亿": 10 ** 12, "亿": 10 ** 8, "万": 10 ** 4, "千": 1000, "百": 100}


@functools.lru_cache(maxsize=1)
def _words() -> tuple[tuple[tuple[str, m.Comparator], ...], tuple[tuple[str, m.Comparator], ...]]:
    """Comparator words a bulletin may print around a number, longest first (the language's own
    statutory table: 以上/以下/不低于 include the number, 超过/低于/不足 exclude it)."""
    from ..language.parse import COMPARATOR_WORDS, SUFFIX_WORDS, SYMBOLS

    prefixes = {w: op for w, op in COMPARATOR_WORDS.items() if op is not None}
    prefixes.update(SYMBOLS)
    return (tuple(sorted(prefixes.items(), key=lambda kv: -len(kv[0]))),
            tuple(sorted(SUFFIX_WORDS.items(), key=lambda kv: -len(kv[0]))))


@functools.lru_cache(maxsize=1)
def _unit_spellings() -> tuple[str, ...]:
    return tuple(sorted(set(units.grammar_spellings()), key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def _unit_set() -> frozenset[str]:
    """:func:`_unit_spellings` for membership tests."""
    return frozenset(_unit_spellings())


def _fold(text: str) -> str:
    folded = normalize(text) if not text.isascii() else text.strip()
    folded = _THOUSANDS.sub("", folded)
    return "".join(folded.split())


def parse_unit(text: str) -> str | None:
    """A unit spelling as the language writes it (``%``, ``万元``, ``吨标准煤/万元``), or None for an
    empty cell. Raises :class:`CellError` for an unknown spelling."""
    folded = _fold(text)
    if folded.lower() in MISSING_CELLS:
        return None
    if folded in _unit_set():
        return folded
    raise CellError(f"unknown unit '{text.strip()}'"
                    + (f"; {hint}" if (hint := did_you_mean(folded, _unit_spellings())) else ""))


@functools.lru_cache(maxsize=65536)
def parse_cell(text: str) -> Cell | None:
    """Parse a cell as printed: ``95``, ``95.0%``, ``1,234``, ``3万``, ``<3``, ``≥95``, ``95以上``,
    ``不足3``, ``0.47吨标准煤/万元``; ``None`` for an empty or "no data" cell (``-``, ``—``, ``NA``).
    Raises :class:`CellError` when the text is not a value."""
    s = _fold(text)
    if s.lower() in MISSING_CELLS:
        return None
    prefixes, suffixes = _words()
    op: m.Comparator | None = None
    found = next((pair for pair in prefixes if s.startswith(pair[0])), None)
    if found is not None:
        prefix, op = found
        s = s[len(prefix):]
    number = _NUMBER.match(s)
    if number is None:
        raise CellError(f"'{text.strip()}' is not a number")
    value = Fraction(number.group())
    rest = s[number.end():]
    suffix_op: m.Comparator | None = None
    for word, suffix in suffixes:
        if rest.endswith(word):
            suffix_op = suffix
            rest = rest[: -len(word)]
            break
    unit = None
    if rest:
        unit = rest if rest in _unit_set() else None
        if unit is None:
            magnitude = next((w for w in _MAGNITUDES if rest.startswith(w)), None)
            if magnitude is not None:
                tail = rest[len(magnitude):]
                if tail == "" or tail in _unit_set():
                    value *= _MAGNITUDES[magnitude]
                    unit = tail or None
                    rest = ""
            if unit is None and rest:
                raise CellError(f"'{text.strip()}' is not a number"
                                + (f" with a unit (unknown unit '{rest}')" if not rest[0].isdigit() else ""))
    if op is not None and suffix_op is not None and op is not suffix_op:
        if op.direction != suffix_op.direction or op.direction == 0:
            raise CellError(f"'{text.strip()}': the words before and after the number disagree")
    op = suffix_op or op
    x = float(value)
    long = len(number.group().split("e")[0].split("E")[0].lstrip("+-").replace(".", "").strip("0")) > DIGITS
    if op is None or op is m.Comparator.EQ:
        return Cell(x, x, unit=unit, given=value if long and value != value_of(x) else None)
    if op is m.Comparator.NE:
        raise CellError(f"'{text.strip()}' does not state a value")
    if long and Fraction(x) != value:
        # A censored bound with more digits than a float holds: widen it to the next float outward
        # (closed), so the interval still contains every value the cell allows.
        if op.direction > 0:
            return Cell(x if Fraction(x) < value else math.nextafter(x, -math.inf), math.inf, unit=unit)
        return Cell(-math.inf, x if Fraction(x) > value else math.nextafter(x, math.inf), unit=unit)
    if op.direction > 0:
        return Cell(x, math.inf, lo_open=not op.inclusive, unit=unit)
    return Cell(-math.inf, x, hi_open=not op.inclusive, unit=unit)


# ------------------------------------------------------------------------------------------
# Observations


@attrs.frozen(eq=False)
class Observations:
    """Indicator values per region and year, in each indicator's catalogue unit.

    ``lo``/``hi`` are ``[region, year, indicator]`` float64 cubes; for exact data ``hi is lo``
    and ``lo_open``/``hi_open`` are None. Censored values have an infinite end and may have an
    excluded one. NaN means missing. ``notes`` maps ``(region, year, indicator)`` indices to the
    citation/source given with a value (long form). ``exact`` maps the same indices to the exact
    value of a cell whose value is not the shortest decimal of its float (a text cell with more
    than 15 digits, a Fraction or Decimal cell, a unit conversion by a non-decimal factor, a ratio
    computed from records); every other cell counts at the shortest decimal of its float."""

    regions: tuple[str, ...]
    years: IntArray
    indicators: tuple[str, ...]
    units: tuple[str | None, ...]
    lo: FloatArray
    hi: FloatArray
    lo_open: BoolArray | None = None
    hi_open: BoolArray | None = None
    notes: Mapping[tuple[int, int, int], str] = attrs.field(factory=dict)
    origin: str = "<data>"
    region_keys: tuple[str, ...] = attrs.field(default=attrs.Factory(
        lambda self: tuple(normalize(r) for r in self.regions), takes_self=True))
    warnings: tuple[Diagnostic, ...] = ()   # said while loading; the report shows them
    exact: Mapping[tuple[int, int, int], Fraction] = attrs.field(factory=dict, kw_only=True)

    @property
    def censored(self) -> bool:
        return self.hi is not self.lo

    @property
    def shape(self) -> tuple[int, int, int]:
        r, y, i = self.lo.shape
        return int(r), int(y), int(i)

    @functools.cached_property
    def _region_index(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.region_keys)}

    @functools.cached_property
    def _indicator_index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.indicators)}

    @functools.cached_property
    def ranges(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Per indicator, over every region and year: the lowest and highest finite end of any
        value, the highest lower end and the lowest upper end (NaN where there is no value); a
        property of the data, computed once (the plausibility screen reads it)."""
        n = self.shape[2]
        lo, hi = self.lo.reshape(-1, n), self.hi.reshape(-1, n)
        highest_lo, lowest_hi = np.fmax.reduce(lo, axis=0, initial=np.nan), np.fmin.reduce(hi, axis=0, initial=np.nan)
        if not self.censored:
            return lowest_hi, highest_lo, highest_lo, lowest_hi
        finite_lo, finite_hi = np.where(np.isfinite(lo), lo, np.nan), np.where(np.isfinite(hi), hi, np.nan)
        lowest = np.fmin(np.fmin.reduce(finite_lo, axis=0, initial=np.nan), np.fmin.reduce(finite_hi, axis=0, initial=np.nan))
        highest = np.fmax(np.fmax.reduce(finite_lo, axis=0, initial=np.nan), np.fmax.reduce(finite_hi, axis=0, initial=np.nan))
        return lowest, highest, highest_lo, lowest_hi

    def region_index(self, name: str) -> int | None:
        return self._region_index.get(normalize(name))

    def indicator_index(self, name: str) -> int | None:
        return self._indicator_index.get(name)

    def year_index(self, year: int) -> int | None:
        found = int(np.searchsorted(self.years, year))
        return found if found < len(self.years) and int(self.years[found]) == year else None

    def cell(self, region: int, year: int, indicator: int) -> Cell | None:
        """The value at indices ``(region, year, indicator)``, None when missing."""
        lo = float(self.lo[region, year, indicator])
        if math.isnan(lo):
            return None
        hi = float(self.hi[region, year, indicator])
        lo_open = bool(self.lo_open[region, year, indicator]) if self.lo_open is not None else False
        hi_open = bool(self.hi_open[region, year, indicator]) if self.hi_open is not None else False
        return Cell(lo, hi, lo_open, hi_open, given=self.exact.get((region, year, indicator)))

    def select_named(self, names: Sequence[str]) -> Observations:
        """Only the regions ``names`` (in that order, repeats dropped); QR301 for a name not in the data."""
        indices: list[int] = []
        problems: list[Diagnostic] = []
        for name in names:
            index = self.region_index(name)
            if index is None:
                problems.append(Diagnostic(
                    "QR301", f"region '{name}' is not in the data ({self.origin})",
                    suggestion=did_you_mean(name, self.regions) or "regions in the data: " + ", ".join(self.regions)))
            elif index not in indices:
                indices.append(index)
        raise_errors(problems)
        return self.select_regions(indices)

    def select_regions(self, indices: Sequence[int]) -> Observations:
        index = np.asarray(indices, dtype=np.int64)
        lo = self.lo[index]
        hi = lo if not self.censored else self.hi[index]
        remap = {int(old): new for new, old in enumerate(index)}
        return Observations(
            tuple(self.regions[i] for i in index), self.years, self.indicators, self.units, lo, hi,
            None if self.lo_open is None else self.lo_open[index],
            None if self.hi_open is None else self.hi_open[index],
            {(remap[r], y, i): v for (r, y, i), v in self.notes.items() if r in remap}, self.origin,
            tuple(self.region_keys[i] for i in index), self.warnings,
            exact={(remap[r], y, i): v for (r, y, i), v in self.exact.items() if r in remap})

    def until(self, year: int) -> Observations:
        """Only the years up to ``year`` (a mid-term review as of that year): views of the cubes,
        no copy; the notes of later years dropped."""
        keep = int(np.searchsorted(self.years, year, side="right"))
        if keep == len(self.years):
            return self
        lo = self.lo[:, :keep]
        return attrs.evolve(
            self, years=self.years[:keep], lo=lo, hi=lo if not self.censored else self.hi[:, :keep],
            lo_open=None if self.lo_open is None else self.lo_open[:, :keep],
            hi_open=None if self.hi_open is None else self.hi_open[:, :keep],
            notes={key: note for key, note in self.notes.items() if key[1] < keep})

    def describe(self) -> str:
        years = self.years
        span = "no years" if len(years) == 0 else (
            str(int(years[0])) if len(years) == 1 else f"{int(years[0])}–{int(years[-1])}")
        return (f"{self.origin}: {len(self.regions)} region(s), {span}, "
                f"{len(self.indicators)} indicator(s)")


def concat(parts: Sequence[Observations]) -> Observations:
    """Several observation sets as one (e.g. one file per year); a value given twice must agree."""
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
    shape = (len(keys), len(years), len(names))
    censored = any(p.censored for p in parts)
    lo = np.full(shape, np.nan)
    hi = np.full(shape, np.nan) if censored else lo
    lo_open = np.zeros(shape, dtype=bool) if censored else None
    hi_open = np.zeros(shape, dtype=bool) if censored else None
    notes: dict[tuple[int, int, int], str] = {}
    exact: dict[tuple[int, int, int], Fraction] = {}
    for part in parts:
        r = np.array([key_at[k] for k in part.region_keys], dtype=np.int64)
        y = np.searchsorted(years, part.years)
        i = np.array([name_at[n] for n in part.indicators], dtype=np.int64)
        grid = np.ix_(r, y, i)
        present = ~np.isnan(part.lo)
        old_lo = lo[grid]
        clash = present & ~np.isnan(old_lo) & ((old_lo != part.lo) | (hi[grid] != part.hi))
        if clash.any():
            rr, yy, ii = (int(v[0]) for v in np.nonzero(clash))
            raise_errors([Diagnostic(
                "QR203", f"{part.origin}: {part.regions[rr]} {int(part.years[yy])} {part.indicators[ii]} "
                "is given twice with different values", suggestion="keep one value per region, year and indicator")])
        lo[grid] = np.where(present, part.lo, old_lo)
        if censored:
            assert lo_open is not None and hi_open is not None
            hi[grid] = np.where(present, part.hi, hi[grid])
            if part.lo_open is not None and part.hi_open is not None:
                lo_open[grid] |= part.lo_open & present
                hi_open[grid] |= part.hi_open & present
        for (rr, yy, ii), note in part.notes.items():
            notes[(int(r[rr]), int(y[yy]), int(i[ii]))] = note
        for (rr, yy, ii), value in part.exact.items():
            exact[(int(r[rr]), int(y[yy]), int(i[ii]))] = value
    return Observations(tuple(regions.values()), years, tuple(names), tuple(indicators.values()), lo, hi,
                        lo_open, hi_open, notes, " + ".join(p.origin for p in parts), tuple(keys),
                        tuple(w for p in parts for w in p.warnings), exact=exact)


# ------------------------------------------------------------------------------------------
# Tables: named columns plus a way to point at a cell for diagnostics


Locator = Callable[[int | None, int | None], m.Span | None]  # (row, column) -> span; row None = header


@attrs.define
class _Table:
    """Named columns of a table, ``locate`` giving the span of a cell (row None = header) and
    ``cell_name`` how to name a cell in a message where the span's line is not the user's own
    (``cell C7`` of a sheet, ``row 5`` of a DataFrame)."""

    name: str
    headers: list[str]
    columns: list[npt.NDArray[Any]]
    locate: Locator
    rows: int
    cell_name: Callable[[int | None, int | None], str] | None = None

    def where(self, row: int | None, column: int | None) -> str:
        if self.cell_name is None:
            return ""
        return self.cell_name(row, column) + ": "


def _frame_cell_name(headers: list[str]) -> Callable[[int | None, int | None], str]:
    def name(row: int | None, column: int | None) -> str:
        col = f"column '{headers[column]}'" if column is not None else ""
        if row is None:
            return col or "header"
        return f"row {row}" + (f", {col}" if col else "")

    return name


def _excel_cell_name(header_line: int, row_lines: Sequence[int]) -> Callable[[int | None, int | None], str]:
    def name(row: int | None, column: int | None) -> str:
        line = header_line if row is None else row_lines[row]
        if column is None:
            return f"row {line}"
        letters = ""
        number = column + 1
        while number:
            number, rest = divmod(number - 1, 26)
            letters = chr(65 + rest) + letters
        return f"cell {letters}{line}"

    return name


def _synthetic_locator(name: str, headers: list[str], columns: list[npt.NDArray[Any]],
                       header_line: int = 1, first_line: int = 2,
                       row_lines: Sequence[int] | None = None) -> Locator:
    """For tables that have no text (DataFrames, Excel sheets): render the header and the row at
    their line numbers as comma-separated text, so a diagnostic can show the row with a caret."""

    def locate(row: int | None, column: int | None) -> m.Span | None:
        cells = list(headers) if row is None else [_render(c[row]) for c in columns]
        line = header_line if row is None else (row_lines[row] if row_lines is not None else first_line + row)
        rendered = ", ".join(cells)
        prefix = "\n" * (line - 1)
        text = prefix + rendered
        if column is None:
            start, end = len(prefix), len(text)
        else:
            start = len(prefix) + sum(len(c) + 2 for c in cells[:column])
            end = start + max(len(cells[column]), 1)
        return span_of(m.Source(name, text), start, end)

    return locate


def _render(value: Any) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# ---- files


def read_text(path: Path, encoding: str | None = None) -> str:
    """A text file's content: the declared encoding, or detected (BOM, then UTF-8, then GB18030,
    then charset-normalizer's guess). Undecodable bytes are QR202 with line and column."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise_errors([Diagnostic("QR201", f"no such file: {path}")])
        raise AssertionError from None  # pragma: no cover
    except OSError as error:
        raise_errors([Diagnostic("QR201", f"cannot read {path}: {error.strerror}")])
        raise AssertionError from None  # pragma: no cover
    if encoding is not None:
        return _decode(raw, path, encoding)
    if raw.startswith(b"\xef\xbb\xbf"):
        return _decode(raw[3:], path, "utf-8", offset=3)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(raw, path, "utf-16")
    for candidate in ("utf-8", "gb18030"):
        try:
            return raw.decode(candidate)
        except UnicodeDecodeError:
            continue
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer is optional
        best = None
    else:
        best = from_bytes(raw).best()
    if best is not None and best.encoding:
        return str(best)
    return _decode(raw, path, "utf-8")


def _decode(raw: bytes, path: Path, encoding: str, offset: int = 0) -> str:
    try:
        return raw.decode(encoding)
    except LookupError:
        raise_errors([Diagnostic("QR202", f"unknown encoding '{encoding}'",
                                 suggestion="use utf-8, utf-8-sig or gb18030")])
    except UnicodeDecodeError as error:
        text = raw.decode(encoding, errors="replace")
        good = len(raw[: error.start].decode(encoding, errors="replace"))
        span = span_of(m.Source(str(path), text), good, good + 1)
        raise_errors([Diagnostic(
            "QR202", f"{path} is not valid {encoding} ({error.reason} at byte {error.start + offset})", span,
            suggestion="declare the file's encoding (--encoding gb18030) or save it as UTF-8")])
    raise AssertionError  # pragma: no cover


def _csv_table(path: Path, encoding: str | None) -> _Table:
    text = read_text(path, encoding)
    source = m.Source(str(path), text)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    starts: list[int] = []        # 1-based line of each record
    line = 0
    try:
        for record in reader:
            start = line + 1
            line = reader.line_num
            if not any(field.strip() for field in record):
                continue
            records.append(record)
            starts.append(start)
    except csv.Error as error:
        span = span_of(source, *_line_range(text, reader.line_num))
        raise_errors([Diagnostic("QR203", f"malformed CSV: {error}", span)])
    line_offsets = _line_offsets(text)

    def locate(row: int | None, column: int | None) -> m.Span | None:
        index = 0 if row is None else row + 1
        if index >= len(starts):
            return None
        begin = line_offsets[starts[index] - 1]
        fields = _field_offsets(text, begin, delimiter)
        if column is None or column >= len(fields):
            return span_of(source, begin, begin + len(text[begin:].split("\n", 1)[0].rstrip("\r")))
        return span_of(source, *fields[column])

    if not records:
        raise_errors([Diagnostic("QR203", f"{path} has no header row", span_of(source, 0, 0),
                                 suggestion="the first row names the columns: region,year,…")])
    headers = records[0]
    width = len(headers)
    bad = [(k, r) for k, r in enumerate(records[1:]) if len(r) != width]
    if bad:
        raise_errors([Diagnostic(
            "QR203", f"row has {len(r)} field(s), the header has {width}", locate(k, None),
            suggestion="quote cells that contain the delimiter") for k, r in bad[:MAX_DIAGNOSTICS]])
    body = records[1:]
    columns = [np.array([r[j] for r in body], dtype=object) for j in range(width)]
    return _Table(str(path), headers, columns, locate, len(body))


def _line_offsets(text: str) -> list[int]:
    """Where each line starts, lines ending as the CSV reader ends them (``\r\n``, ``\n`` or a lone ``\r``)."""
    offsets = [0]
    offsets.extend(match.end() for match in re.finditer("\r\n|\r|\n", text))
    return offsets


def _line_range(text: str, line: int) -> tuple[int, int]:
    offsets = _line_offsets(text)
    start = offsets[min(max(line, 1), len(offsets)) - 1]
    end = text.find("\n", start)
    return start, (len(text) if end < 0 else end)


def _field_offsets(text: str, begin: int, delimiter: str) -> list[tuple[int, int]]:
    """(start, end) of each field of the CSV record starting at ``begin`` (quotes excluded)."""
    fields: list[tuple[int, int]] = []
    i = begin
    n = len(text)
    while True:
        if i < n and text[i] == '"':
            j = i + 1
            while j < n:
                if text[j] == '"':
                    if j + 1 < n and text[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            fields.append((i + 1, j))
            i = j + 1
            while i < n and text[i] not in (delimiter, "\n", "\r"):
                i += 1
        else:
            j = i
            while j < n and text[j] not in (delimiter, "\n", "\r"):
                j += 1
            fields.append((i, j))
            i = j
        if i < n and text[i] == delimiter:
            i += 1
            continue
        return fields


def _excel_table(path: Path, sheet: str | None) -> _Table:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - optional dependency
        raise_errors([Diagnostic("QR201", f"reading {path} needs openpyxl",
                                 suggestion='pip install "qualityrules[excel]"')])
        raise AssertionError from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise_errors([Diagnostic("QR201", f"no such file: {path}")])
        raise AssertionError from None
    except Exception as error:  # openpyxl raises many types for a broken file
        raise_errors([Diagnostic("QR203", f"{path} is not a readable .xlsx workbook ({error})")])
        raise AssertionError from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise_errors([Diagnostic("QR203", f"{path} has no sheet '{sheet}'",
                                     suggestion=did_you_mean(sheet, book.sheetnames)
                                     or "sheets: " + ", ".join(book.sheetnames))])
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        title = worksheet.title
        rows = [(number, list(values)) for number, values in enumerate(worksheet.iter_rows(values_only=True), 1)
                if any(v is not None and str(v).strip() for v in values)]
    finally:
        book.close()
    name = f"{path}[{title}]"
    if not rows:
        raise_errors([Diagnostic("QR203", f"{name} is empty", suggestion="the first row names the columns")])
    header_line, header = rows[0]
    while header and header[-1] is None:
        header.pop()
    width = len(header)
    headers = ["" if h is None else str(h) for h in header]
    body = rows[1:]
    columns = [np.array([r[j] if j < len(r) else None for _, r in body], dtype=object) for j in range(width)]
    row_lines = [n for n, _ in body]
    locate = _synthetic_locator(name, headers, columns, header_line, row_lines=row_lines)
    return _Table(name, headers, columns, locate, len(body), _excel_cell_name(header_line, row_lines))


def _arrow_file_table(path: Path) -> Any:
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path)
        import pyarrow.feather as feather

        return feather.read_table(path)
    except ImportError:  # pragma: no cover - optional dependency
        raise_errors([Diagnostic("QR201", f"reading {path} needs pyarrow",
                                 suggestion='pip install "qualityrules[arrow]"')])
    except FileNotFoundError:
        raise_errors([Diagnostic("QR201", f"no such file: {path}")])
    except Exception as error:
        raise_errors([Diagnostic("QR203", f"{path} cannot be read ({error})")])
    raise AssertionError  # pragma: no cover


# ---- in-memory tables


def _frame_table(data: Any, name: str | None) -> _Table:
    module = type(data).__module__.split(".", 1)[0]
    if module == "pandas":
        frame = data
        index_names = [n for n in getattr(frame.index, "names", []) if n is not None]
        if index_names:
            frame = frame.reset_index()
        headers = [str(c) for c in frame.columns]
        columns = [_pandas_column(frame.iloc[:, j]) for j in range(len(headers))]
        label = name or "<pandas.DataFrame>"
    elif module == "polars":
        headers = [str(c) for c in data.columns]
        columns = [_polars_column(data.get_column(c)) for c in data.columns]
        label = name or "<polars.DataFrame>"
    elif module == "pyarrow":
        table = data
        if not hasattr(table, "column_names"):
            raise TypeError(f"unsupported pyarrow object {type(data).__name__}")
        headers = [str(c) for c in table.column_names]
        columns = [_arrow_column(table.column(j)) for j in range(len(headers))]
        label = name or "<pyarrow.Table>"
    elif isinstance(data, Mapping):
        headers = [str(k) for k in data]
        columns = [_plain_column(v) for v in data.values()]
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise_errors([Diagnostic("QR203", "the columns have different lengths: "
                                     + ", ".join(f"{h}={len(c)}" for h, c in zip(headers, columns, strict=True)))])
        label = name or "<dict>"
    else:
        raise_errors([Diagnostic(
            "QR203", f"cannot read data of type {type(data).__name__}",
            suggestion="pass a pandas/polars/pyarrow table, a dict of arrays, or a .csv/.xlsx/.parquet path")])
        raise AssertionError  # pragma: no cover
    rows = len(columns[0]) if columns else 0
    return _Table(label, headers, columns, _synthetic_locator(label, headers, columns), rows,
                  _frame_cell_name(headers))


def _pandas_column(series: Any) -> npt.NDArray[Any]:
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return np.asarray(series.to_numpy(dtype=object), dtype=object)
    if pd.api.types.is_float_dtype(dtype) and np.dtype(getattr(dtype, "numpy_dtype", dtype)).itemsize < 8:
        return _numbers(series.to_numpy(dtype=np.float32, na_value=np.nan))
    if pd.api.types.is_integer_dtype(dtype) and not series.hasnans:
        return _numbers(series.to_numpy())
    if pd.api.types.is_numeric_dtype(dtype):
        return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    values = series.to_numpy(dtype=object)
    # pandas' own NaN test raises on a signalling Decimal('sNaN'); the cell reader reports it instead
    return np.asarray([None if v is pd.NA or v is pd.NaT else v for v in values], dtype=object)


def _polars_column(series: Any) -> npt.NDArray[Any]:
    if series.dtype.is_numeric() and series.null_count() == 0 and not series.dtype.is_decimal():
        return _numbers(series.to_numpy())
    if series.dtype.is_numeric() and not series.dtype.is_decimal():
        return np.asarray(series.cast(float).to_numpy(), dtype=np.float64)
    return np.asarray(series.to_list(), dtype=object)


def _arrow_column(column: Any) -> npt.NDArray[Any]:
    import pyarrow as pa

    if pa.types.is_floating(column.type) and column.type.bit_width < 64 and column.null_count == 0:
        return _numbers(column.to_numpy(zero_copy_only=False))
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    return np.asarray(column.to_pylist(), dtype=object)


def _numbers(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A numeric column as float64, every value at the decimal it was given: a float32 (or
    float16) at its own shortest decimal, not at the float64 nearest to its binary value;
    integers beyond 2**53 as Python integers (exact, read one by one)."""
    if array.dtype.kind == "f" and array.dtype.itemsize < 8:
        return array.astype(str).astype(np.float64)
    if array.dtype.kind in "iu" and len(array) and int(np.max(np.abs(array.astype(np.float64)))) >= 2 ** 53:
        return array.astype(object)
    return array.astype(np.float64, copy=False)


def _plain_column(values: Any) -> npt.NDArray[Any]:
    array = np.asarray(values)
    if array.dtype.kind in "iuf":
        return _numbers(array)
    if array.dtype.kind == "O":
        return array
    return array.astype(object)


# ------------------------------------------------------------------------------------------
# From a table to observations


@attrs.define
class _Problems:
    table: _Table
    found: list[Diagnostic] = attrs.field(factory=list)

    def add(self, code: str, message: str, row: int | None, column: int | None,
            suggestion: str | None = None) -> None:
        if len(self.found) < MAX_DIAGNOSTICS:
            span = self.table.locate(row, column)
            self.found.append(Diagnostic(code, self.table.where(row, column) + message, span,
                                         suggestion=suggestion))

    def raise_if_any(self) -> None:
        raise_errors(self.found)


@attrs.define
class _Values:
    """A column parsed: interval ends in the target unit, open flags (None if exact), units."""

    lo: FloatArray
    hi: FloatArray
    lo_open: BoolArray | None
    hi_open: BoolArray | None
    exact: dict[int, Fraction] = attrs.field(factory=dict)   # row -> exact value (see Cell.exact)


def _role(header: str) -> str | None:
    key = normalize(header).lower()
    for role, names in (("region", REGION_COLUMNS), ("year", YEAR_COLUMNS), ("indicator", INDICATOR_COLUMNS),
                        ("value", VALUE_COLUMNS), ("unit", UNIT_COLUMNS), ("note", NOTE_COLUMNS)):
        if key in names:
            return role
    return None


def load(data: Any, catalogue: Any, *, encoding: str | None = None, sheet: str | None = None,
         form: str | None = None, region_column: str | None = None, year_column: str | None = None,
         ignore_columns: Iterable[str] = (), name: str | None = None) -> Observations:
    """Read ``data`` (see the module docstring) into :class:`Observations`, matching indicator
    names through ``catalogue`` (a :class:`qualityrules.packs.resolve.Catalogue`)."""
    if isinstance(data, Observations):
        return data
    if callable(getattr(data, "for_evaluation", None)):  # an IndicatorTable computed from records
        return load(data.for_evaluation(), catalogue, form="long", name=name or "records")
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, (str, Path)) for d in data):
        return concat([load(d, catalogue, encoding=encoding, sheet=sheet, form=form, region_column=region_column,
                            year_column=year_column, ignore_columns=ignore_columns) for d in data])
    table = _table(data, encoding=encoding, sheet=sheet, name=name)
    return _observations(table, catalogue, form=form, region_column=region_column, year_column=year_column,
                         ignore=frozenset(normalize(c).lower() for c in ignore_columns))


def _table(data: Any, *, encoding: str | None, sheet: str | None, name: str | None) -> _Table:
    if isinstance(data, (str, Path)):
        path = Path(data)
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            return _excel_table(path, sheet)
        if suffix in (".parquet", ".feather", ".arrow"):
            return _frame_table(_arrow_file_table(path), str(path))
        if suffix == ".xls":
            raise_errors([Diagnostic("QR203", f"{path}: the old .xls format is not supported",
                                     suggestion="save the sheet as .xlsx or .csv")])
        return _csv_table(path, encoding)
    return _frame_table(data, name)


def _observations(table: _Table, catalogue: Any, *, form: str | None, region_column: str | None,
                  year_column: str | None, ignore: frozenset[str]) -> Observations:
    problems = _Problems(table)
    roles: dict[str, int] = {}
    for j, header in enumerate(table.headers):
        if _no_character(header, problems, None, j):
            continue
        role = _role(header)
        if region_column is not None and normalize(header) == normalize(region_column):
            role = "region"
        if year_column is not None and normalize(header) == normalize(year_column):
            role = "year"
        if role is not None and role != "note" and role in roles:
            problems.add("QR203", f"two '{role}' columns ('{table.headers[roles[role]]}' and '{header}')", None, j,
                         suggestion="keep one")
        elif role is not None and role not in roles:
            roles[role] = j
    for option, wanted in (("region_column", region_column), ("year_column", year_column)):
        if wanted is not None and normalize(wanted) not in {normalize(h) for h in table.headers}:
            problems.add("QR303", f"{option}={wanted!r} is not a column of the data", None, None,
                         suggestion=did_you_mean(wanted, table.headers) or "columns: " + ", ".join(table.headers))
    for role, names in (("region", REGION_COLUMNS), ("year", YEAR_COLUMNS)):
        if role not in roles:
            problems.add("QR203", f"no {role} column (looked for: {', '.join(sorted(names))})", None, None,
                         suggestion=f"name a column '{role}' (in Python, or pass {role}_column=…)")
    problems.raise_if_any()
    if form not in (None, "long", "wide"):
        raise_errors([Diagnostic("QR301", f"form must be 'wide' or 'long', not {form!r}")])
    is_long = form == "long" or (form is None and "indicator" in roles and "value" in roles)
    if is_long and ("indicator" not in roles or "value" not in roles):
        problems.add("QR203", "long-form data needs an 'indicator' and a 'value' column", None, None)
        problems.raise_if_any()
    region_codes, region_names, region_keys = _regions(table, roles["region"], problems)
    year_codes, years = _years(table, roles["year"], problems)
    problems.raise_if_any()
    if is_long:
        return _long(table, catalogue, roles, ignore, problems, region_codes, region_names, region_keys,
                     year_codes, years)
    return _wide(table, catalogue, roles, ignore, problems, region_codes, region_names, region_keys,
                 year_codes, years)


def _regions(table: _Table, j: int, problems: _Problems) -> tuple[IntArray, list[str], list[str]]:
    column = table.columns[j]
    names: list[str] = []
    keys: list[str] = []
    index: dict[str, int] = {}
    by_value: dict[Any, int] = {}
    codes = np.empty(table.rows, dtype=np.int64)
    for row, value in enumerate(column.tolist()):
        code = by_value.get(value)
        if code is None:
            if _is_missing(value) or not str(value).strip():
                problems.add("QR203", "the region is empty", row, j)
                code = -1
            elif _no_character(_render(value), problems, row, j):
                code = -1
            else:
                text = _render(value).strip()
                key = normalize(text)
                code = index.get(key)
                if code is None:
                    code = index[key] = len(names)
                    names.append(text)
                    keys.append(key)
                by_value[value] = code
        codes[row] = code
    return codes, names, keys


_YEAR = re.compile(r"^(\d{4})(?:年(?:度)?)?$")


def _years(table: _Table, j: int, problems: _Problems) -> tuple[IntArray, IntArray]:
    column = table.columns[j]
    values = np.empty(table.rows, dtype=np.int64)
    if column.dtype.kind == "f":
        ok = np.isfinite(column) & (column == np.round(column))
        for row in np.flatnonzero(~ok)[:MAX_DIAGNOSTICS]:
            problems.add("QR203", f"'{column[row]}' is not a year", int(row), j, suggestion="write e.g. 2015")
        values[ok] = column[ok].astype(np.int64)
    else:
        cache: dict[Any, int | None] = {}
        for row, value in enumerate(column.tolist()):
            if value not in cache:
                cache[value] = _year(value)
            year = cache[value]
            if year is None:
                problems.add("QR203", f"'{'' if value is None else value}' is not a year", row, j,
                             suggestion="write e.g. 2015")
                values[row] = 0
            else:
                values[row] = year
    years, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64).reshape(-1), years.astype(np.int64)


def _year(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 1000 <= value <= 9999 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and 1000 <= value <= 9999 else None
    if hasattr(value, "year") and isinstance(value.year, int):  # date / datetime cells
        return int(value.year)
    match = _YEAR.match(normalize(str(value)))
    return int(match.group(1)) if match else None


_HEADER_UNIT = re.compile(r"^(.*?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$")


def _header_indicator(header: str,
                      catalogue: Any) -> tuple[m.Indicator | None, str | None, str | None, str]:
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
            return None, None, f"unknown unit '{match.group(2)}' in header '{header}'", match.group(1)
        if unit is not None:
            header = match.group(1)
    return None, None, f"unknown indicator '{header}'", header


def _factor(from_unit: str | None, indicator: m.Indicator) -> Fraction | str:
    """Factor from ``from_unit`` to the indicator's unit, or a message when they do not convert."""
    to_unit = indicator.unit
    if from_unit is None or from_unit == to_unit:
        return Fraction(1)
    if to_unit is None:
        return f"{indicator.name} has no unit in the catalogue, but the data give '{from_unit}'"
    if not units.compatible(from_unit, to_unit):
        return (f"'{from_unit}' cannot be converted to {indicator.name}'s unit '{to_unit}' "
                f"({units.dimension(from_unit)} vs {units.dimension(to_unit)})")
    return units.factor(from_unit, to_unit)


def _parse_values(table: _Table, j: int, problems: _Problems, codes: IntArray | None,
                  indicators: Sequence[m.Indicator], base_unit: str | None = None,
                  row_units: Sequence[str | None] | None = None, unit_column: int | None = None) -> _Values:
    """Parse column ``j`` into intervals in each row's indicator unit (``indicators[codes[row]]``;
    ``codes`` None: every row is ``indicators[0]``, a wide-form column). A unit that does not
    convert is reported where it is written: the cell, the unit column or the header.
    A value's unit is the one written in its cell, else ``row_units[row]`` (a unit column), else
    ``base_unit`` (the header's); it is converted exactly to the indicator's unit."""
    column = table.columns[j]
    n = len(column)
    cell_units: list[str | None] | None = None
    exact: dict[int, Fraction] = {}
    if column.dtype.kind == "f" and column.dtype.itemsize < 8:
        column = column.astype(str).astype(np.float64)   # a float32 value counts at its own shortest decimal
    if column.dtype.kind == "f":
        lo: FloatArray = column.astype(np.float64, copy=True)
        for k in np.flatnonzero(np.isinf(lo))[:MAX_DIAGNOSTICS]:
            problems.add("QR206", f"'{lo[k]}' is not a finite value", int(k), j)
        hi, lo_open, hi_open = lo, None, None
    else:
        lo, hi = np.full(n, np.nan), np.full(n, np.nan)
        lo_open, hi_open = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        cell_units = [None] * n
        for k, value in enumerate(column.tolist()):
            cell = _cell(value, problems, k, j)
            if cell is not None:
                lo[k], hi[k], lo_open[k], hi_open[k], cell_units[k] = (
                    cell.lo, cell.hi, cell.lo_open, cell.hi_open, cell.unit)
                if cell.given is not None:
                    exact[k] = cell.given
        if not (lo_open.any() or hi_open.any() or np.isinf(lo).any() or np.isinf(hi).any()):
            hi, lo_open, hi_open = lo, None, None
        if not any(cell_units):
            cell_units = None
    # Group rows by (unit, indicator) and convert each group with one exact factor.
    if cell_units is None and row_units is None:
        groups: dict[tuple[str | None, int], IntArray] = {(base_unit, 0): np.arange(n)} if codes is None else {
            (base_unit, int(code)): np.flatnonzero(codes == code) for code in np.unique(codes)}
    else:
        members: dict[tuple[str | None, int], list[int]] = {}
        code_list = [0] * n if codes is None else codes.tolist()
        for k in range(n):
            unit = (cell_units[k] if cell_units is not None else None) \
                or (row_units[k] if row_units is not None else None) or base_unit
            members.setdefault((unit, code_list[k]), []).append(k)
        groups = {key: np.asarray(rows, dtype=np.int64) for key, rows in members.items()}
    for (unit, code), rows in groups.items():
        indicator = indicators[code]
        factor = _factor(unit, indicator)
        if isinstance(factor, str):
            bad = rows[~np.isnan(lo[rows])]
            row = int(bad[0]) if len(bad) else None
            in_cell = row is not None and cell_units is not None and cell_units[row] is not None
            where_row, where_column = (row, j) if in_cell else (
                (row, unit_column) if row_units is not None and unit_column is not None else (None, j))
            problems.add("QR205", factor, where_row, where_column,
                         suggestion=f"give {indicator.name} in {indicator.unit or 'no unit'}")
            continue
        if factor != 1:
            position = {int(row): n for n, row in enumerate(rows.tolist())} if exact else {}
            inside = {position[row]: value for row, value in exact.items() if row in position}
            scaled, scaled_exact = scale_array(lo[rows], factor, inside)
            for row in position:
                exact.pop(row, None)
            exact.update({int(rows[n]): value for n, value in scaled_exact.items()})
            if lo_open is not None:
                hi[rows] = scale_array(hi[rows], factor)[0]
            lo[rows] = scaled
    if lo_open is None:
        hi = lo
    return _Values(lo, hi, lo_open, hi_open, exact)


def _cell(value: Any, problems: _Problems, row: int, column: int) -> Cell | None:
    if _is_missing(value):
        return None
    if isinstance(value, bool):
        problems.add("QR206", f"'{value}' is not a value", row, column)
        return None
    if isinstance(value, Decimal) and value.is_qnan():
        return None     # a quiet NaN is a missing value; a signalling one is refused below
    if isinstance(value, (int, np.integer, Fraction, Decimal)) and not isinstance(value, bool):
        try:
            exact = Fraction(int(value) if isinstance(value, np.integer) else value)
            x = float(exact)
        except (OverflowError, ValueError):
            problems.add("QR206", f"'{value}' is not a finite value", row, column)
            return None
        return Cell(x, x, given=exact if exact != value_of(x) else None)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            problems.add("QR206", f"'{value}' is not a finite value", row, column)
            return None
        if isinstance(value, np.floating) and value.dtype.itemsize < 8:
            value = str(value)      # a float32 counts at its own shortest decimal
        return Cell(float(value), float(value))
    if _no_character(str(value), problems, row, column):
        return None
    try:
        return parse_cell(str(value))
    except CellError as error:
        problems.add("QR206", str(error), row, column,
                     suggestion="write a number, optionally censored (<3, ≥95, 95以上), or leave it empty")
        return None


def _no_character(text: str, problems: _Problems, row: int | None, column: int | None) -> bool:
    """QR244 where ``text`` holds a lone surrogate (no character: a wrong decoding)."""
    index = lone_surrogate(text)
    if index is not None:
        problems.add("QR244", surrogate_message(text, index), row, column,
                     suggestion="read the data with its real encoding (UTF-8, GB18030)")
    return index is not None


def _empty_cubes(shape: tuple[int, int, int], censored: bool) -> tuple[FloatArray, FloatArray, BoolArray | None,
                                                                         BoolArray | None]:
    lo = np.full(shape, np.nan)
    if not censored:
        return lo, lo, None, None
    return lo, np.full(shape, np.nan), np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)


def _check_duplicates(key: IntArray, parsed: _Values, rows: IntArray, problems: _Problems, column: int,
                      what: Callable[[int], str]) -> None:
    """Report values given twice for one cell with different values (identical repeats are fine)."""
    valid = ~np.isnan(parsed.lo)
    k = key[valid]
    if len(np.unique(k)) == len(k):
        return
    order = np.argsort(k, kind="stable")
    sk = k[order]
    lo, hi = parsed.lo[valid][order], parsed.hi[valid][order]
    same = sk[1:] == sk[:-1]
    differs = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    if parsed.lo_open is not None and parsed.hi_open is not None:
        lo_open, hi_open = parsed.lo_open[valid][order], parsed.hi_open[valid][order]
        differs |= (lo_open[1:] != lo_open[:-1]) | (hi_open[1:] != hi_open[:-1])
    valid_rows = rows[valid][order]
    for position in np.flatnonzero(same & differs)[:MAX_DIAGNOSTICS]:
        problems.add("QR203", f"{what(int(sk[position]))} is given twice with different values "
                     f"(also in row {int(valid_rows[position]) + 1} of the data)", int(valid_rows[position + 1]),
                     column, suggestion="keep one value per region, year and indicator")


def _wide(table: _Table, catalogue: Any, roles: dict[str, int], ignore: frozenset[str], problems: _Problems,
          region_codes: IntArray, region_names: list[str], region_keys: list[str], year_codes: IntArray,
          years: IntArray) -> Observations:
    indicator_columns: list[tuple[int, m.Indicator, str | None]] = []
    seen: dict[str, int] = {}
    for j, header in enumerate(table.headers):
        if j in roles.values() or _role(header) == "note" or normalize(header).lower() in ignore:
            continue
        if _role(header) in ("unit", "value", "indicator"):
            problems.add("QR203", f"a '{header}' column in wide-form data (one column per indicator)", None, j,
                         suggestion="for long form give region, year, indicator, value[, unit]")
            continue
        indicator, unit, error, name = _header_indicator(header, catalogue)
        if indicator is None:
            problems.add("QR204", error or f"unknown indicator '{header}'", None, j,
                         suggestion=catalogue.suggest(name) or "add it to the catalogue, rename the column, "
                         "or ignore it (ignore_columns=)")
            continue
        if indicator.name in seen:
            problems.add("QR203", f"two columns for {indicator.name} ('{table.headers[seen[indicator.name]]}' and "
                         f"'{header}')", None, j, suggestion="keep one")
            continue
        seen[indicator.name] = j
        indicator_columns.append((j, indicator, unit))
    problems.raise_if_any()
    parsed = [_parse_values(table, j, problems, None, [ind], base_unit=unit) for j, ind, unit in indicator_columns]
    problems.raise_if_any()
    shape = (len(region_names), len(years), len(indicator_columns))
    censored = any(p.lo_open is not None for p in parsed)
    lo, hi, lo_open, hi_open = _empty_cubes(shape, censored)
    key = region_codes * max(len(years), 1) + year_codes
    rows = np.arange(table.rows, dtype=np.int64)
    duplicated = len(np.unique(key)) != len(key)
    n_y = max(len(years), 1)
    exact: dict[tuple[int, int, int], Fraction] = {}
    for i, ((j, indicator, _), values) in enumerate(zip(indicator_columns, parsed, strict=True)):
        if duplicated:
            def what(k: int, name: str = indicator.name) -> str:
                return f"{region_names[k // n_y]} {int(years[k % n_y])} {name}"

            _check_duplicates(key, values, rows, problems, j, what)
            present = ~np.isnan(values.lo)
            r, y = region_codes[present], year_codes[present]
            lo[r, y, i] = values.lo[present]
            if censored:
                assert lo_open is not None and hi_open is not None
                hi[r, y, i] = values.hi[present]
                if values.lo_open is not None and values.hi_open is not None:
                    lo_open[r, y, i] = values.lo_open[present]
                    hi_open[r, y, i] = values.hi_open[present]
        else:
            lo[region_codes, year_codes, i] = values.lo
            if censored:
                assert lo_open is not None and hi_open is not None
                hi[region_codes, year_codes, i] = values.hi
                if values.lo_open is not None and values.hi_open is not None:
                    lo_open[region_codes, year_codes, i] = values.lo_open
                    hi_open[region_codes, year_codes, i] = values.hi_open
        for row, value in values.exact.items():
            exact[(int(region_codes[row]), int(year_codes[row]), i)] = value
    problems.raise_if_any()
    return Observations(tuple(region_names), years, tuple(ind.name for _, ind, _ in indicator_columns),
                        tuple(ind.unit for _, ind, _ in indicator_columns), lo, hi, lo_open, hi_open, {},
                        table.name, tuple(region_keys), exact=exact)


def _long(table: _Table, catalogue: Any, roles: dict[str, int], ignore: frozenset[str], problems: _Problems,
          region_codes: IntArray, region_names: list[str], region_keys: list[str], year_codes: IntArray,
          years: IntArray) -> Observations:
    note_column = next((j for j, h in enumerate(table.headers) if _role(h) == "note"), None)
    for j, header in enumerate(table.headers):
        if j in roles.values() or _role(header) == "note" or normalize(header).lower() in ignore:
            continue
        problems.add("QR204", f"unknown column '{header}' in long-form data", None, j,
                     suggestion=did_you_mean(normalize(header).lower(), sorted(
                         REGION_COLUMNS | YEAR_COLUMNS | INDICATOR_COLUMNS | VALUE_COLUMNS | UNIT_COLUMNS
                         | NOTE_COLUMNS)) or "long form is region, year, indicator, value[, unit][, citation]")
    problems.raise_if_any()
    j_ind = roles["indicator"]
    indicators: list[m.Indicator] = []
    index: dict[str, int] = {}
    by_text: dict[Any, int] = {}
    codes = np.empty(table.rows, dtype=np.int64)
    for row, value in enumerate(table.columns[j_ind].tolist()):
        code = by_text.get(value)
        if code is None:
            text = "" if _is_missing(value) else str(value)
            indicator = catalogue.lookup(text) if text.strip() else None
            if indicator is None:
                problems.add("QR204", f"unknown indicator '{text}'" if text.strip() else "the indicator is empty",
                             row, j_ind, suggestion=catalogue.suggest(text) if text.strip() else None)
                code = -1
            else:
                code = index.get(indicator.name, -1)
                if code < 0:
                    code = index[indicator.name] = len(indicators)
                    indicators.append(indicator)
            by_text[value] = code
        codes[row] = code
    problems.raise_if_any()
    row_units: list[str | None] | None = None
    if "unit" in roles:
        j_unit = roles["unit"]
        unit_cache: dict[Any, str | None] = {}
        row_units = []
        for row, value in enumerate(table.columns[j_unit].tolist()):
            if value not in unit_cache:
                try:
                    unit_cache[value] = None if _is_missing(value) else parse_unit(str(value))
                except CellError as error:
                    problems.add("QR205", str(error), row, j_unit, suggestion="write the unit as in the rules: "
                                 "%, 万元, 亿元, 吨标准煤/万元, …")
                    unit_cache[value] = None
            row_units.append(unit_cache[value])
        problems.raise_if_any()
    parsed = _parse_values(table, roles["value"], problems, codes, indicators, row_units=row_units,
                           unit_column=roles.get("unit"))
    problems.raise_if_any()
    shape = (len(region_names), len(years), len(indicators))
    censored = parsed.lo_open is not None
    lo, hi, lo_open, hi_open = _empty_cubes(shape, censored)
    n_y, n_i = max(len(years), 1), max(len(indicators), 1)
    key = (region_codes * n_y + year_codes) * n_i + codes
    rows = np.arange(table.rows, dtype=np.int64)
    _check_duplicates(key, parsed, rows, problems, roles["value"],
                      lambda k: f"{region_names[k // (n_y * n_i)]} {int(years[(k // n_i) % n_y])} "
                      f"{indicators[k % n_i].name}")
    problems.raise_if_any()
    present = ~np.isnan(parsed.lo)
    r, y, i = region_codes[present], year_codes[present], codes[present]
    lo[r, y, i] = parsed.lo[present]
    if censored:
        assert lo_open is not None and hi_open is not None
        assert parsed.lo_open is not None and parsed.hi_open is not None
        hi[r, y, i] = parsed.hi[present]
        lo_open[r, y, i] = parsed.lo_open[present]
        hi_open[r, y, i] = parsed.hi_open[present]
    notes: dict[tuple[int, int, int], str] = {}
    if note_column is not None:
        note_values = table.columns[note_column]
        for row in np.flatnonzero(present).tolist():
            note = note_values[row]
            if not _is_missing(note) and str(note).strip():
                notes[(int(region_codes[row]), int(year_codes[row]), int(codes[row]))] = str(note).strip()
    exact = {(int(region_codes[row]), int(year_codes[row]), int(codes[row])): value
             for row, value in parsed.exact.items()}
    return Observations(tuple(region_names), years, tuple(ind.name for ind in indicators),
                        tuple(ind.unit for ind in indicators), lo, hi, lo_open, hi_open, notes, table.name,
                        tuple(region_keys), exact=exact)
