"""Record inputs for :mod:`qualityrules.records`: in-memory tables and files as chunks of columns in
the canonical forms the engine scans, with diagnostics that name the file, row and column.

Inputs: pandas and polars DataFrames, Arrow tables and record batches, mappings of column name to
array, iterables of those (streamed as chunks), CSV files (read in blocks with pyarrow, UTF-8 or
GB18030) and Parquet files or directories (read in record batches). Only the columns the plan
needs are read. Column names and text values are normalised like rule text (NFKC, traditional →
simplified), so ``龍崗區`` in the data is region ``龙岗区``.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import DataError, Diagnostic, did_you_mean, span_of
from ..language import model as m
from ..language.text import normalize

__all__ = [
    "Numbers", "Flags", "Codes", "Times", "Origin", "Chunk", "chunks", "detect_encoding",
    "TRUE_WORDS", "FALSE_WORDS", "DATE_FORMATS",
]

Array = npt.NDArray[Any]

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "真", "对")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "假", "错")
#: Text date formats tried in order after ISO 8601 (``2015-03-01``, ``2015-03-01 08:00:00``).
DATE_FORMATS = ("%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y%m%d",
                "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%dT%H:%M:%S")


def _null_words() -> tuple[str, ...]:
    """Cells that mean "no value": the same words as in indicator data, in the spellings pyarrow
    must see (it compares exactly)."""
    from .observations import MISSING_CELLS

    return tuple(sorted({v for w in MISSING_CELLS for v in (w, w.upper(), w.capitalize())} | {"#N/A", "NaN"}))


NULL_WORDS = _null_words()


def _is_null(text: str) -> bool:
    return text.strip() in NULL_WORDS or text.strip().lower() in NULL_WORDS


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def _number(text: str) -> float:
    """A number written as text (NaN when the cell means "no value"); thousands separators only in
    groups of three (``1,234.5``; ``1,5`` is an error, not 15)."""
    text = text.strip()
    if _is_null(text):
        return math.nan
    if "," in text:
        if not _THOUSANDS.fullmatch(text):
            raise ValueError(text)
        text = text.replace(",", "")
    return float(text)


_CSV_BLOCK = 1 << 24
_PARQUET_BATCH = 1 << 18


# ------------------------------------------------------------------------------------------
# Canonical columns


@attrs.frozen
class Numbers:
    """A measured column: ``values`` of any numeric dtype; ``valid`` is False at nulls (only for
    columns whose nulls cannot be NaN); ``floating`` means NaN and ±inf may occur."""

    values: Array
    valid: Array | None
    floating: bool

    @property
    def always_present(self) -> bool:
        return self.valid is None and not self.floating


@attrs.frozen
class Flags:
    """A true/false column: ``truth`` is False at nulls, ``valid`` marks non-null rows (or None)."""

    truth: Array
    valid: Array | None


@attrs.frozen
class Codes:
    """A text column, dictionary-encoded: ``codes`` index ``values`` (normalised), -1 is null."""

    codes: Array
    values: list[str]


@attrs.frozen
class Times:
    """Years of rows: ``years[values // divisor - offset]`` (-1 = missing date or year)."""

    values: Array
    divisor: int
    offset: int
    years: Array


@attrs.frozen
class _Categorical:
    codes: Array
    categories: list[Any]


# ------------------------------------------------------------------------------------------
# Where rows come from


@attrs.frozen
class _Excerpt(m.Source):
    """One line of a large file, numbered as in the file (for a caret without reading it all)."""

    first_line: int = 1

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        index = line - self.first_line
        return lines[index] if 0 <= index < len(lines) else ""


@attrs.frozen
class Origin:
    """Where a table's records come from, to name the file, row and column in diagnostics."""

    table: str
    path: str | None = None
    format: str = "memory"          # memory | csv | parquet
    encoding: str | None = None
    delimiter: str = ","

    @property
    def label(self) -> str:
        return self.path if self.path else f"records '{self.table}'"

    def diagnostic(self, code: str, message: str, row: int | None = None, column: str | None = None,
                   value: str | None = None, suggestion: str | None = None) -> Diagnostic:
        """A diagnostic at ``row`` (0-based data row) and ``column``; for CSV files the span shows
        the line of the file with a caret under the cell."""
        where = []
        if row is not None:
            where.append(f"row {row + 1}")
        if column is not None:
            where.append(f"column '{column}'")
        text = f"{self.label}: {', '.join(where)}: {message}" if where else f"{self.label}: {message}"
        span = None
        if self.format == "csv" and self.path and row is not None and column is not None:
            span = _csv_span(self, row, column, value)
        elif self.path and row is not None and column is not None:
            cell = f"{column} = {value}" if value is not None else column
            span = _excerpt_span(self.path, row + 1, cell, len(column) + 3 if value is not None else 0)
        return Diagnostic(code, text, span, suggestion=suggestion)

    def fail(self, code: str, message: str, row: int | None = None, column: str | None = None,
             value: str | None = None, suggestion: str | None = None) -> DataError:
        return DataError(self.diagnostic(code, message, row, column, value, suggestion))


def _excerpt_span(name: str, line: int, text: str, start: int) -> m.Span:
    source = _Excerpt(name, text, first_line=line)
    end = len(text) if start < len(text) else start
    return m.Span(source, start, max(end, start + 1), line, start + 1, line, max(end, start + 1) + 1)


def _csv_fields(line: str, delimiter: str) -> list[tuple[int, int]]:
    """(start, end) of each field of one CSV line, quotes included."""
    spans = []
    start = 0
    quoted = False
    for index, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            spans.append((start, index))
            start = index + 1
    spans.append((start, len(line)))
    return spans


def _csv_lines(origin: Origin) -> Iterator[tuple[int, str]]:
    """(line number, text) of the header and of every data record, skipping blank lines as pyarrow
    does; a record with a quoted line break is reported at its first line."""
    assert origin.path is not None
    with open(origin.path, encoding=origin.encoding or "utf-8", errors="replace", newline="") as f:
        number = 0
        pending: tuple[int, str] | None = None
        quotes = 0
        for raw in f:
            number += 1
            text = raw.rstrip("\r\n")
            if number == 1:
                text = text.lstrip("\ufeff")
            if pending is not None:
                quotes += text.count('"')
                if quotes % 2 == 0:
                    yield pending
                    pending = None
                continue
            if not text.strip():
                continue
            quotes = text.count('"')
            if quotes % 2:
                pending = (number, text)
            else:
                yield number, text


def _csv_span(origin: Origin, row: int, column: str, value: str | None) -> m.Span | None:
    header: list[str] | None = None
    for index, (number, text) in enumerate(_csv_lines(origin)):
        if index == 0:
            header = [normalize(next(csv.reader([text[a:b]], delimiter=origin.delimiter), [""])[0])
                      for a, b in _csv_fields(text, origin.delimiter)]
            continue
        if index - 1 < row:
            continue
        fields = _csv_fields(text, origin.delimiter)
        assert header is not None
        position = header.index(normalize(column)) if normalize(column) in header else -1
        start, end = fields[position] if 0 <= position < len(fields) else (0, len(text))
        source = _Excerpt(origin.path or "", text, first_line=number)
        return m.Span(source, start, max(end, start + 1), number, start + 1, number, max(end, start + 1) + 1)
    return None


def csv_row_of(origin: Origin, first_row: int, column: str, value: str) -> int | None:
    """The first data row at or after ``first_row`` whose ``column`` cell reads ``value``."""
    header: list[str] = []
    for index, (_, text) in enumerate(_csv_lines(origin)):
        cells = next(csv.reader([text], delimiter=origin.delimiter), [])
        if index == 0:
            header = [normalize(c) for c in cells]
            continue
        if index - 1 >= first_row and normalize(column) in header:
            position = header.index(normalize(column))
            if position < len(cells) and cells[position].strip() == value.strip():
                return index - 1
    return None


# ------------------------------------------------------------------------------------------
# A chunk of records and its columns in canonical form


def _pa() -> Any:
    import pyarrow

    return pyarrow


def _pc() -> Any:
    import pyarrow.compute

    return pyarrow.compute


def _prepare(raw: Any) -> Any:
    """numpy array, :class:`_Categorical` or pyarrow Array, whatever the container."""
    if isinstance(raw, np.ndarray):
        return raw
    module = type(raw).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        if isinstance(raw, pd.Categorical):
            return _Categorical(raw.codes, list(raw.categories))
        dtype = raw.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return _Categorical(np.asarray(raw.cat.codes), list(raw.cat.categories))
        if isinstance(dtype, np.dtype):
            return raw.to_numpy()
        return _pa().array(raw)
    if module == "polars":
        return _prepare(raw.to_arrow())
    if module == "pyarrow":
        pa = _pa()
        if isinstance(raw, pa.ChunkedArray):
            return raw.combine_chunks() if raw.num_chunks != 1 else raw.chunk(0)
        return raw
    return np.asarray(raw)


def _name(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize(str(value))


class Chunk:
    """Rows ``offset .. offset + n`` of one table; columns are converted on first use."""

    def __init__(self, data: Mapping[str, Any], n: int, offset: int, origin: Origin) -> None:
        self.n = n
        self.offset = offset
        self.origin = origin
        self._raw = {normalize(str(k)): v for k, v in data.items()}
        self._cache: dict[tuple[str, str], Any] = {}

    @property
    def names(self) -> list[str]:
        return list(self._raw)

    def raw(self, name: str) -> Any:
        key = ("raw", name)
        if key not in self._cache:
            self._cache[key] = _prepare(self._raw[name])
        return self._cache[key]

    def _cached(self, kind: str, name: str, build: Any) -> Any:
        key = (kind, name)
        if key not in self._cache:
            self._cache[key] = build(name)
        return self._cache[key]

    # -- numbers
    def numbers(self, name: str) -> Numbers:
        result: Numbers = self._cached("numbers", name, self._numbers)
        return result

    def _numbers(self, name: str) -> Numbers:
        raw = self.raw(name)
        if isinstance(raw, np.ndarray):
            kind = raw.dtype.kind
            if kind == "f":
                return Numbers(raw, None, True)
            if kind in "iub":
                return Numbers(raw, None, False)
            if kind == "O":
                return Numbers(self._object_numbers(name, raw), None, True)
            raise self._wrong_type(name, f"holds {raw.dtype} values", "numbers")
        if isinstance(raw, _Categorical):
            raise self._wrong_type(name, "holds categories (text)", "numbers")
        pa = _pa()
        t = raw.type
        if pa.types.is_dictionary(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
            return Numbers(self._text_numbers(name, raw), None, True)
        if pa.types.is_decimal(t):
            raw = raw.cast(pa.float64())
            t = raw.type
        if pa.types.is_floating(t):
            values = _pc().fill_null(raw, np.nan).to_numpy(zero_copy_only=False) if raw.null_count else \
                raw.to_numpy(zero_copy_only=False)
            return Numbers(values, None, True)
        if pa.types.is_integer(t) or pa.types.is_boolean(t):
            if raw.null_count:
                valid = raw.is_valid().to_numpy(zero_copy_only=False)
                return Numbers(_pc().fill_null(raw, 0).to_numpy(zero_copy_only=False), valid, False)
            return Numbers(raw.to_numpy(zero_copy_only=False), None, False)
        raise self._wrong_type(name, f"holds {t} values", "numbers")

    def _object_numbers(self, name: str, raw: Array) -> Array:
        try:
            return raw.astype(np.float64)
        except (TypeError, ValueError):
            return self._text_numbers(name, raw)

    def _text_numbers(self, name: str, raw: Any) -> Array:
        codes = self._codes_of(name, raw, normalise=False)
        table = np.empty(len(codes.values) + 1, np.float64)
        table[-1] = np.nan
        for index, value in enumerate(codes.values):
            try:
                table[index] = _number(value)
            except ValueError:
                row = int(np.flatnonzero(codes.codes == index)[0])
                raise self.origin.fail("QR206", f"cannot read {value!r} as a number",
                                       self.offset + row, name, value) from None
        return np.take(table, codes.codes)

    def _wrong_type(self, name: str, has: str, wanted: str) -> DataError:
        return self.origin.fail("QR207", f"column '{name}' {has}; the rules read it as {wanted}",
                                suggestion=f"give '{name}' {wanted}, or check the column the catalogue names")

    # -- flags
    def flags(self, name: str) -> Flags:
        result: Flags = self._cached("flags", name, self._flags)
        return result

    def _flags(self, name: str) -> Flags:
        raw = self.raw(name)
        pa = _pa()
        if isinstance(raw, np.ndarray) and raw.dtype.kind == "b":
            return Flags(raw, None)
        if isinstance(raw, np.ndarray) and raw.dtype.kind in "iuf":
            return _numeric_flags(raw)
        if not isinstance(raw, (np.ndarray, _Categorical)):
            t = raw.type
            if pa.types.is_boolean(t):
                if raw.null_count:
                    return Flags(_pc().fill_null(raw, False).to_numpy(zero_copy_only=False),
                                 raw.is_valid().to_numpy(zero_copy_only=False))
                return Flags(raw.to_numpy(zero_copy_only=False), None)
            if pa.types.is_integer(t) or pa.types.is_floating(t):
                return _numeric_flags(_pc().fill_null(raw.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False))
        codes = self.codes(name)
        truth = np.zeros(len(codes.values) + 1, bool)
        valid = np.zeros(len(codes.values) + 1, bool)
        for index, value in enumerate(codes.values):
            word = value.strip().lower()
            if word in TRUE_WORDS or word in FALSE_WORDS:
                truth[index] = word in TRUE_WORDS
                valid[index] = True
            elif not _is_null(word):
                row = int(np.flatnonzero(codes.codes == index)[0])
                raise self.origin.fail(
                    "QR206", f"cannot read {value!r} as true/false", self.offset + row, name, value,
                    suggestion="write true/false, 1/0, yes/no or 是/否")
        row_valid = np.take(valid, codes.codes)
        return Flags(np.take(truth, codes.codes), None if row_valid.all() else row_valid)

    # -- text and regions
    def codes(self, name: str) -> Codes:
        result: Codes = self._cached("codes", name, lambda n: self._codes_of(n, self.raw(n)))
        return result

    def _codes_of(self, name: str, raw: Any, normalise: bool = True) -> Codes:
        fix = _name if normalise else (lambda v: str(v))
        if isinstance(raw, _Categorical):
            return Codes(raw.codes, [fix(v) for v in raw.categories])
        pa = _pa()
        if isinstance(raw, np.ndarray):
            if raw.dtype.kind == "f":
                raw = pa.array(raw, from_pandas=True)
            elif raw.dtype.kind in "Mm":
                raise self._wrong_type(name, "holds dates", "text")
            else:
                try:
                    raw = pa.array(raw.tolist() if raw.dtype.kind == "O" else raw, from_pandas=True)
                except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                    raw = pa.array([None if v is None else str(v) for v in raw.tolist()], pa.string())
        if not pa.types.is_dictionary(raw.type):
            raw = raw.dictionary_encode()
        indices = raw.indices
        if raw.null_count:
            indices = _pc().fill_null(indices, -1)
        return Codes(indices.to_numpy(zero_copy_only=False), [fix(v) for v in raw.dictionary.to_pylist()])

    # -- dates and years
    def times(self, name: str, is_date: bool) -> Times:
        result: Times = self._cached("date" if is_date else "year", name,
                                     lambda n: self._times(n, is_date))
        return result

    def _times(self, name: str, is_date: bool) -> Times:
        raw = self.raw(name)
        pa = _pa()
        if isinstance(raw, np.ndarray):
            if raw.dtype.kind == "M":
                return _datetime64_times(raw)
            if raw.dtype.kind in "iu" and not is_date:
                return _key_times(raw, 1, None, years=True)
            if raw.dtype.kind == "f" and not is_date:
                return self._float_years(name, raw)
            if raw.dtype.kind in "iuf":
                raise self._wrong_type(name, "holds numbers", "dates (use 'year COLUMN' for years)")
        elif not isinstance(raw, _Categorical):
            t = raw.type
            if pa.types.is_timestamp(t) or pa.types.is_date(t):
                return _arrow_times(raw)
            if pa.types.is_integer(t) and not is_date:
                valid = raw.is_valid().to_numpy(zero_copy_only=False) if raw.null_count else None
                return _key_times(_pc().fill_null(raw, 0).to_numpy(zero_copy_only=False), 1, valid, years=True)
            if pa.types.is_floating(t) and not is_date:
                return self._float_years(name, _pc().fill_null(raw, np.nan).to_numpy(zero_copy_only=False))
            if pa.types.is_integer(t) or pa.types.is_floating(t):
                raise self._wrong_type(name, "holds numbers", "dates (use 'year COLUMN' for years)")
        return self._text_times(name, raw, is_date)

    def _float_years(self, name: str, raw: Array) -> Times:
        valid = np.isfinite(raw)
        whole = np.where(valid, raw, 0.0)
        bad = np.flatnonzero(whole != np.round(whole))
        if len(bad):
            value = str(raw[bad[0]])
            raise self.origin.fail("QR206", f"cannot read {value} as a year", self.offset + int(bad[0]), name, value)
        return _key_times(whole.astype(np.int64), 1, None if valid.all() else valid, years=True)

    def _text_times(self, name: str, raw: Any, is_date: bool) -> Times:
        """Text (or object) dates and years: parse each distinct value once."""
        pa = _pa()
        if isinstance(raw, np.ndarray) and raw.dtype.kind == "O":
            sample = next((v for v in raw if v is not None and v == v), None)
            if sample is not None and not isinstance(sample, str):
                try:
                    entries = pa.array(raw, from_pandas=True)
                except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
                    entries = None   # mixed values: read as text below, each one reported where it is
                if entries is not None and (pa.types.is_timestamp(entries.type) or pa.types.is_date(entries.type)):
                    return _arrow_times(entries)
        if isinstance(raw, _Categorical) and raw.categories and not isinstance(raw.categories[0], str):
            entries = pa.array(raw.categories, from_pandas=True)
            codes = Codes(raw.codes, [str(v) for v in raw.categories])
            if pa.types.is_timestamp(entries.type) or pa.types.is_date(entries.type):
                return _dictionary_times(codes, _years_of_days(_arrow_days(entries)))
        codes = self._codes_of(name, raw, normalise=False)
        years = np.full(len(codes.values) + 1, -1, np.int64)
        if is_date:
            days = _parse_days(codes.values)
            for index, value in enumerate(codes.values):
                if days[index] is None and not _is_null(value):
                    row = int(np.flatnonzero(codes.codes == index)[0])
                    raise self.origin.fail(
                        "QR206", f"cannot read {value!r} as a date", self.offset + row, name, value,
                        suggestion="write dates as 2015-03-01 (also 2015/03/01, 20150301, 2015年3月1日)")
            known = [d if d is not None else 0 for d in days]
            years[:-1] = np.where([d is not None for d in days], _years_of_days(np.array(known, np.int64)), -1)
        else:
            from .observations import _year

            for index, value in enumerate(codes.values):
                year = _year(value)
                if year is not None:
                    years[index] = year
                elif not _is_null(value):
                    row = int(np.flatnonzero(codes.codes == index)[0])
                    raise self.origin.fail("QR206", f"cannot read {value!r} as a year", self.offset + row,
                                           name, value, suggestion="write years as 2015 or 2015年")
        return _dictionary_times(codes, years)


def _numeric_flags(raw: Array) -> Flags:
    if raw.dtype.kind != "f":
        return Flags(raw != 0, None)
    valid = np.isfinite(raw)
    return Flags((raw != 0) & valid, None if valid.all() else valid)


def _years_of_days(days: Array) -> Array:
    result: Array = days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    return result


def _dictionary_times(codes: Codes, years: Array) -> Times:
    """Rows index ``years`` through their dictionary code; -1 (null) reads the last entry."""
    table = np.append(years[: len(codes.values)], -1).astype(np.int64)
    values = codes.codes
    if values.min(initial=0) < 0:
        values = np.where(values < 0, len(codes.values), values)
    return Times(values, 1, 0, table)


_UNIT_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86400, "ms": 86_400_000, "us": 86_400_000_000,
                 "ns": 86_400_000_000_000}


def _datetime64_times(raw: Array) -> Times:
    unit = np.datetime_data(raw.dtype)[0]
    if unit not in _UNIT_PER_DAY:
        raw = raw.astype("datetime64[D]")
        unit = "D"
    ints = raw.view(np.int64)
    smallest = int(ints.min()) if len(ints) else None
    # NaT is the smallest int64: only look for it when the minimum is NaT.
    if smallest == np.iinfo(np.int64).min:
        return _key_times(ints, _UNIT_PER_DAY[unit], ~np.isnat(raw), years=False)
    return _key_times(ints, _UNIT_PER_DAY[unit], None, years=False, smallest=smallest)


def _arrow_days(raw: Any) -> Array:
    pa = _pa()
    if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
        raw = _pc().local_timestamp(raw)
    return np.asarray(raw.cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False), np.int64)


def _arrow_times(raw: Any) -> Times:
    compute, arrow = _pc(), _pa()
    t = raw.type
    if arrow.types.is_timestamp(t) and t.tz is not None:
        raw = compute.local_timestamp(raw)
        t = raw.type
    valid = raw.is_valid().to_numpy(zero_copy_only=False) if raw.null_count else None
    if arrow.types.is_date32(t):
        ints, per_day = compute.fill_null(raw.cast(arrow.int32()), 0).to_numpy(zero_copy_only=False), 1
    elif arrow.types.is_date64(t):
        ints, per_day = compute.fill_null(raw.cast(arrow.int64()), 0).to_numpy(zero_copy_only=False), 86_400_000
    else:
        ints = compute.fill_null(raw.cast(arrow.int64()), 0).to_numpy(zero_copy_only=False)
        per_day = _UNIT_PER_DAY[t.unit]
    return _key_times(ints, per_day, valid, years=False)


def _key_times(ints: Array, divisor: int, valid: Array | None, *, years: bool,
               smallest: int | None = None) -> Times:
    """Rows whose key ``ints // divisor`` is a day number (``years=False``) or a year. Missing rows
    (``valid`` False) get a key one past the largest, which the table maps to -1. ``smallest``:
    the minimum of ``ints``, when the caller knows it already."""
    present = ints if valid is None else ints[valid]
    if len(present) == 0:
        return Times(np.zeros(len(ints), np.int64), 1, 0, np.array([-1], np.int64))
    low = (int(present.min()) if smallest is None else smallest) // divisor
    high = int(present.max()) // divisor
    if high - low > (1 << 22):
        # Implausibly wide range of days: years row by row instead of a lookup table.
        row_years = (ints // divisor).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970 \
            if not years else ints // divisor
        return _key_times(row_years, 1, valid, years=True)
    offset = 0 if low >= 0 and high < (1 << 17) else low
    keys = np.arange(offset, high + 1, dtype=np.int64)
    table = np.full(high - offset + 2, -1, np.int64)
    table[low - offset: high - offset + 1] = keys[low - offset:] if years else _years_of_days(keys[low - offset:])
    if valid is not None:
        ints = np.where(valid, ints, (high + 1) * divisor)
    return Times(ints, divisor, offset, table)


def _parse_days(values: list[str]) -> list[int | None]:
    """Day numbers (days since 1970-01-01) of text dates; None where no format matches."""
    pa = _pa()
    compute = _pc()
    text = pa.array([v.strip() for v in values], pa.string())
    results = []
    try:
        results.append(compute.cast(text, pa.timestamp("s")))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        results.append(compute.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True))
        results.append(compute.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True))
    for fmt in DATE_FORMATS:
        results.append(compute.strptime(text, format=fmt, unit="s", error_is_null=True))
    parsed = compute.coalesce(*results)
    # Arrow rolls impossible days over (2015-02-30 -> 2015-03-02, 2015-12-32 -> 2016-01-01):
    # keep a date only when its year, month and day are the ones written.
    written = compute.extract_regex(text, r"^(?P<y>\d{4})\D?(?P<m>\d{1,2})\D?(?P<d>\d{1,2})")
    same = compute.and_(compute.and_(
        compute.equal(compute.year(parsed), compute.cast(compute.struct_field(written, "y"), pa.int64())),
        compute.equal(compute.month(parsed), compute.cast(compute.struct_field(written, "m"), pa.int64()))),
        compute.equal(compute.day(parsed), compute.cast(compute.struct_field(written, "d"), pa.int64())))
    checked = compute.if_else(compute.fill_null(same, False), parsed, None)
    days: list[int | None] = compute.cast(compute.cast(checked, pa.date32()), pa.int32()).to_pylist()
    return days


# ------------------------------------------------------------------------------------------
# Sources


def _memory_chunks(obj: Any, offset: int, origin: Origin) -> Iterator[Chunk]:
    """Chunks of one in-memory object (Arrow tables yield one chunk per record batch)."""
    module = type(obj).__module__.split(".")[0]
    if module == "polars":
        obj = obj.to_arrow()
        module = "pyarrow"
    if module == "pyarrow":
        pa = _pa()
        batches = obj.to_batches() if isinstance(obj, pa.Table) else [obj]
        for batch in batches:
            yield Chunk(dict(zip(batch.schema.names, batch.columns, strict=True)), batch.num_rows, offset, origin)
            offset += batch.num_rows
        return
    if module == "pandas":
        yield Chunk({str(k): obj[k] for k in obj.columns}, len(obj), offset, origin)
        return
    if isinstance(obj, Mapping):
        lengths = {len(v) for v in obj.values()}
        if len(lengths) > 1:
            raise origin.fail("QR203", f"columns of different lengths: {sorted(lengths)}")
        yield Chunk(obj, lengths.pop() if lengths else 0, offset, origin)
        return
    raise origin.fail("QR203", f"cannot read records from a {type(obj).__name__}",
                      suggestion="pass a pandas/polars DataFrame, an Arrow table, a mapping of columns, "
                      "or a CSV/Parquet path")


def _column_names(obj: Any) -> list[str]:
    """The column names of an in-memory table as it has them (repeats included)."""
    if type(obj).__module__.split(".")[0] == "pyarrow":
        return [str(n) for n in obj.schema.names]
    columns = getattr(obj, "columns", None)
    return [str(n) for n in (columns if columns is not None else obj if isinstance(obj, Mapping) else ())]


def _is_container(obj: Any) -> bool:
    module = type(obj).__module__.split(".")[0]
    return module in ("pandas", "polars", "pyarrow") or isinstance(obj, Mapping)


def chunks(source: Any, table: str, columns: Mapping[str, str], *, encoding: str | None = None,
           chunk_rows: int | None = None, progress: Any = None,
           purposes: Mapping[str, str] | None = None) -> Iterator[Chunk]:
    """Chunks of a table's records from ``source``: a path (CSV, Parquet file or directory), an
    in-memory table, or an iterable of in-memory tables. ``columns`` maps the needed (normalised)
    column names to their kinds; only those are read from files. ``purposes`` says what each
    column is for, in the message of a missing column."""
    needed = {name: (purposes or {}).get(name, kind) for name, kind in columns.items()}
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".feather", ".arrow"):
            raise Origin(table, str(path)).fail(
                "QR203", f"raw records are read from CSV or Parquet, not {path.suffix} files",
                suggestion="save the records as .csv or .parquet (or pass them as a pandas/Arrow table)")
        if path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
            yield from _parquet_chunks(path, table, columns, needed, chunk_rows, progress)
        else:
            yield from _csv_chunks(path, table, columns, needed, encoding, chunk_rows, progress)
        return
    origin = Origin(table)
    offset = 0
    pieces = [source] if _is_container(source) else source
    for piece in pieces:
        check_columns(_column_names(piece), needed, origin)
        for chunk in _memory_chunks(piece, offset, origin):
            yield from _split(chunk, chunk_rows)
            offset += chunk.n
            if progress is not None:
                progress.advance(chunk.n, None)


def _split(chunk: Chunk, rows: int | None) -> Iterator[Chunk]:
    if not rows or chunk.n <= rows:
        yield chunk
        return
    for start in range(0, chunk.n, rows):
        stop = min(start + rows, chunk.n)
        data = {name: _slice(chunk.raw(name), start, stop) for name in chunk.names}
        yield Chunk(data, stop - start, chunk.offset + start, chunk.origin)


def _slice(raw: Any, start: int, stop: int) -> Any:
    if isinstance(raw, _Categorical):
        import pandas as pd

        return pd.Series(pd.Categorical.from_codes(raw.codes[start:stop], raw.categories))
    return raw[start:stop]


def check_columns(available: Iterable[str], needed: Mapping[str, str], origin: Origin,
                  header: str | None = None) -> None:
    """QR204 for every needed column (name → what it is for) the records lack, with a did-you-mean
    from the columns there; QR203 for a needed column given twice (``available`` lists the
    columns as they are, repeats included)."""
    names = [normalize(str(name)) for name in available]
    have = set(names)
    span = span_of(m.Source(origin.path, header), 0, len(header)) if header is not None and origin.path else None
    problems = []
    for name in needed:
        if names.count(name) > 1:   # which of them holds the data is not ours to guess
            problems.append(Diagnostic(
                "QR203", f"{origin.label} has {names.count(name)} columns named '{name}'", span,
                suggestion="rename or drop all but one of them"))
    for name, kind in needed.items():
        if name not in have:
            problems.append(Diagnostic(
                "QR204", f"{origin.label} has no column '{name}' ({kind}); it has: {', '.join(sorted(have))}",
                span, suggestion=did_you_mean(name, have) or f"add a '{name}' column or fix the catalogue's "
                "record definition"))
    if problems:
        raise DataError(problems)


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes as UTF-8, else GB18030."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def guess_delimiter(header: str) -> str:
    """The delimiter of a CSV file from its header line: the most frequent of , ; tab and |."""
    return max(",;\t|", key=header.count) if header else ","


_ARROW_TYPES = {"number": "float64", "flag": "bool_"}


def _csv_chunks(path: Path, table: str, columns: Mapping[str, str], needed: Mapping[str, str],
                encoding: str | None, chunk_rows: int | None, progress: Any) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if not path.is_file():
        raise DataError(Diagnostic("QR201", f"no such file: {path}"))
    encoding = encoding or detect_encoding(path)
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        header_text = f.readline().rstrip("\r\n").lstrip("\ufeff")
    delimiter = guess_delimiter(header_text)
    origin = Origin(table, str(path), "csv", encoding, delimiter)
    header = next(csv.reader([header_text], delimiter=delimiter), [])
    check_columns(header, needed, origin, header_text)
    actual = {normalize(h): h for h in header}
    types: dict[str, Any] = {}
    for name, kind in columns.items():
        arrow = _ARROW_TYPES.get(kind)
        types[actual[name]] = getattr(pa, arrow)() if arrow else pa.dictionary(pa.int32(), pa.string())
    block = _CSV_BLOCK if not chunk_rows else max(1 << 12, chunk_rows * 16)
    stream = pa.OSFile(str(path))
    size = path.stat().st_size
    offset = 0
    try:
        try:
            reader = pcsv.open_csv(
                stream, read_options=pcsv.ReadOptions(encoding=encoding, block_size=block),
                parse_options=pcsv.ParseOptions(delimiter=delimiter),
                convert_options=pcsv.ConvertOptions(
                    include_columns=[actual[n] for n in columns], column_types=types,
                    strings_can_be_null=True, null_values=list(NULL_WORDS),
                    true_values=[*TRUE_WORDS, "True", "TRUE"], false_values=[*FALSE_WORDS, "False", "FALSE"]))
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                chunk = Chunk(dict(zip(batch.schema.names, batch.columns, strict=True)), batch.num_rows, offset, origin)
                offset += batch.num_rows
                if progress is not None:
                    progress.advance(batch.num_rows, (stream.tell(), size))
                yield from _split(chunk, chunk_rows)
        except (pa.ArrowInvalid, UnicodeDecodeError) as error:
            raise _csv_error(origin, header, offset, str(error)) from None
    finally:
        stream.close()


_ARROW_CELL = re.compile(r"In CSV column #(\d+): (?:Row #\d+: )?CSV conversion error to (\w+): invalid value '(.*)'")


def _csv_error(origin: Origin, header: list[str], offset: int, message: str) -> DataError:
    match = _ARROW_CELL.search(message)
    if match:
        position, arrow_type, value = int(match.group(1)), match.group(2), match.group(3)
        column = normalize(header[position]) if position < len(header) else str(position)
        row = csv_row_of(origin, offset, column, value)
        wanted = "true/false" if arrow_type == "bool" else "a number"
        suggestion = "write true/false, 1/0, yes/no or 是/否" if arrow_type == "bool" else \
            "use a plain number (no units or thousands separators), or leave the cell empty when missing"
        return origin.fail("QR206", f"cannot read {value!r} as {wanted}", row, column, value, suggestion)
    return origin.fail("QR203", f"malformed CSV: {message.splitlines()[0]}",
                       suggestion="check the delimiter, the quoting and the number of fields per line")


def _parquet_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".parquet", ".pq"))
        if not files:
            raise DataError(Diagnostic("QR201", f"no .parquet files under {path}"))
        return files
    if not path.exists():
        raise DataError(Diagnostic("QR201", f"no such file or directory: {path}"))
    return [path]


def _parquet_chunks(path: Path, table: str, columns: Mapping[str, str], needed: Mapping[str, str],
                    chunk_rows: int | None, progress: Any) -> Iterator[Chunk]:
    """Record batches of a Parquet file, or of every Parquet file under a directory in name order,
    read row group by row group (memory stays bounded by a batch and a row group's pages)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = _parquet_files(path)
    total = 0
    opened = []
    for file in files:
        origin = Origin(table, str(file), "parquet")
        try:
            reader = pq.ParquetFile(file, pre_buffer=False)   # pre-buffering holds whole row groups
        except (pa.ArrowInvalid, OSError) as error:
            raise origin.fail("QR203", f"not a Parquet file: {error}") from None
        check_columns(reader.schema_arrow.names, needed, origin)
        actual = {normalize(n): n for n in reader.schema_arrow.names}
        total += reader.metadata.num_rows
        opened.append((reader, origin, actual))
    done = 0
    for reader, origin, actual in opened:
        offset = 0
        try:
            for batch in reader.iter_batches(batch_size=chunk_rows or _PARQUET_BATCH,
                                             columns=[actual[n] for n in columns], use_threads=False):
                chunk = Chunk(dict(zip(batch.schema.names, batch.columns, strict=True)), batch.num_rows, offset, origin)
                offset += batch.num_rows
                done += batch.num_rows
                if progress is not None:
                    progress.advance(batch.num_rows, (done, total))
                yield chunk
        except (pa.ArrowInvalid, OSError) as error:
            raise origin.fail("QR203", f"cannot read Parquet: {error}") from None
        finally:
            reader.close()
