"""Record inputs for :mod:`qualityrules.records`: any table the user holds, as chunks of columns in
the canonical forms the engine scans, with diagnostics that name the file, row and column.

Tables come through the one reader (:mod:`.source`, :mod:`.frames`): CSV in any detected
encoding, Excel sheets, Parquet files or directories (row group by row group), pandas, polars
(DataFrame or LazyFrame), Arrow tables and record batch readers, Dask DataFrames, mappings of
column name to array, or iterables of those (streamed as chunks). Only the columns the plan needs
are read. Text cells are read by the same cell parser as indicator tables (:mod:`.cells`), so
``1,234.5`` and ``3万`` are numbers here too; a censored value or a unit in a record cell is an
error (a record is one measurement). Column names and text values are normalised like rule text
(NFKC, traditional → simplified), so ``龍崗區`` in the data is region ``龙岗区``. Integer region
codes are used as they are: no dictionary is built.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import DataError, Diagnostic, Severity, UsageError, did_you_mean
from ..i18n import Text, tr
from ..language.text import lone_surrogate, normalize, surrogate_message
from ..language.units import value_kind
from ..resources import cores, second_core
from .cells import MISSING_CELLS, is_total, name_footnote, parse_column, parse_year
from .frames import Categorical, arrow_dates, is_table, memory_table, prepare, value_at, wall_time
from .source import ArrowFileTable, Batch, Table, footnote_marker, open_file, render, totals_left_out

__all__ = [
    "Numbers", "Flags", "Codes", "Times", "Chunk", "chunks", "check_columns", "table_chunks", "infinite_values",
    "implausible_values", "NEGATIVE", "ABOVE", "NOT_WHOLE", "INFINITE",
    "Noticed", "unassigned_rows",
    "TRUE_WORDS", "FALSE_WORDS", "DATE_FORMATS",
]

Array = npt.NDArray[Any]

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "真", "对")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "假", "错")
#: Text date formats tried in order after ISO 8601 (``2015-03-01``, ``2015-03-01 08:00:00``).
DATE_FORMATS = ("%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y%m%d",
                "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%dT%H:%M:%S")


# (RE2: no look-behind; an offset is at most ±14:00, so +25:00 is no zone and the text no date)
_ZONE_AFTER_TIME = r"(\d:\d\d)(?:\.\d+)?(?:Z|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)?$"


def _is_null(text: str) -> bool:
    return text.strip().lower() in MISSING_CELLS


_PARQUET_BATCH = 1 << 20     # a row group as Parquet writers usually make them


# ------------------------------------------------------------------------------------------
# Canonical columns


@attrs.frozen
class Numbers:
    """A measured column: ``values`` of any numeric dtype; ``valid`` is False at nulls (only for
    columns whose nulls cannot be NaN); ``floating`` means NaN and ±inf may occur (both are
    missing, docs/records.rst)."""

    values: Array
    valid: Array | None
    floating: bool

    @property
    def always_present(self) -> bool:
        return self.valid is None and not self.floating


@attrs.frozen
class Flags:
    """A true/false column: ``truth`` is False at nulls, ``valid`` marks non-null rows (or None);
    ``infinite``: the rows of a float column holding ±inf (None: none), which are no value."""

    truth: Array
    valid: Array | None
    infinite: Array | None = None


@attrs.frozen
class Codes:
    """A text column, dictionary-encoded: ``codes`` index ``values`` (normalised), -1 is null;
    ``integers``: the values are integer labels' (no words); ``written``: the values as written,
    before normalising (a region's footnote marker ``①`` is a digit after it)."""

    codes: Array
    values: list[str]
    integers: bool = False
    written: list[str] | None = None


@attrs.frozen
class Times:
    """Years of rows: ``years[values // divisor - offset]`` (-1 = missing date or year)."""

    values: Array
    divisor: int
    offset: int
    years: Array

    def keys(self, start: int = 0, stop: int | None = None) -> Array:
        """Rows ``start .. stop``'s indices into ``years``."""
        keys = self.values[start:stop]
        if self.divisor != 1:
            keys = keys // self.divisor
        return keys - self.offset if self.offset else keys

    def missing(self) -> Array:
        """Where a row has no date or year (its year is -1)."""
        result: Array = np.take(self.years < 0, self.keys(), mode="clip")   # (a table of bools: one byte a row)
        return result


def _pa() -> Any:
    import pyarrow

    return pyarrow


def _pc() -> Any:
    import pyarrow.compute

    return pyarrow.compute


def _name(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize(render(value) if isinstance(value, bytes) else str(value))


class Chunk:
    """Rows ``offset .. offset + n`` of one table (a batch of it, whose columns are read by the
    thread that first asks for one when the batch is deferred); columns are converted on first use.
    ``positions``: the column index of each (normalised) column name."""

    def __init__(self, batch: Batch, table: Table, positions: Mapping[str, int]) -> None:
        self.n = batch.n
        self.offset = batch.offset
        self.table = table
        self.positions = positions
        self._batch = batch
        self._cache: dict[tuple[str, str], Any] = {}
        # (kind, column) -> (first row of the chunk, rows, what the first holds): see Noticed
        self.notes: dict[tuple[str, str], tuple[int, int, Any]] = {}

    @property
    def deferred(self) -> bool:
        """Whether the columns are still to be read (a Parquet row group not yet decoded)."""
        return self._batch.deferred

    def release(self) -> None:
        """Free the columns (what was noticed stays): a scanned chunk may wait for earlier ones to
        be merged first."""
        self._cache.clear()
        self._batch = Batch({}, self.n, self.offset)

    def note_doubtful(self, what: str, name: str, row: int, count: int) -> None:
        """Column ``name`` holds no measurement in ``count`` rows of the chunk, the first at ``row``
        (of the chunk): ±inf (``what`` is ``INFINITE``) or a value its unit cannot hold
        (``NEGATIVE``, ``ABOVE``, ``NOT_WHOLE``). Noted once per column and kind, whichever
        grouping found them first: every grouping reading the column finds the same rows."""
        if (what, name) not in self.notes:
            value = value_at(self.raw(name), row) if what == INFINITE else self.numbers(name).values[row]
            self.notes[(what, name)] = (row, count, float(value))

    def note_unassigned(self, region: str, time: str, is_date: bool) -> None:
        """Rows of the chunk with no region (in column ``region``) or no date or year (in ``time``):
        they count in no region-year. Noted once per column, as ±inf is; asked only of a chunk
        that has such rows, so a chunk without any pays nothing. A totals row is no record (noted
        by :meth:`regions`): neither its region nor its date is missing."""
        def no_time() -> Array:
            where = self.times(time, is_date).missing()
            if (TOTALS, region) in self.notes:
                where &= (self.regions(region).codes >= 0) | (self.codes(region).codes < 0)
            return where

        for kind, name, missing in ((NO_REGION, region, lambda: self.codes(region).codes < 0),
                                    (NO_TIME, time, no_time)):
            if (kind, name) not in self.notes:
                where = missing()
                count = int(np.count_nonzero(where))
                if count:
                    self.notes[(kind, name)] = (int(where.argmax()), count, is_date)

    def fail(self, code: str, message: str, row: int | None, name: str, suggestion: str | None = None) -> DataError:
        """A located error at ``row`` of this chunk (None: the column) of column ``name``."""
        return self.table.fail(code, message, None if row is None else self.offset + row, self.positions.get(name),
                               suggestion)

    def raw(self, name: str) -> Any:
        key = ("raw", name)
        if key not in self._cache:
            self._cache[key] = prepare(self._batch.columns[self.positions[name]])
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
            if kind in "OUS":
                return Numbers(self._object_numbers(name, raw), None, True)
            raise self._wrong_type(name, tr("column '{name}' holds {kind} values; the rules read it as numbers",
                                            name=name, kind=str(raw.dtype)), tr("give '{name}' numbers, or check the column the catalogue names", name=name))
        if isinstance(raw, Categorical):
            raise self._wrong_type(name, tr("column '{name}' holds categories (text); the rules read it as numbers",
                                            name=name), tr("give '{name}' numbers, or check the column the catalogue names", name=name))
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
        if pa.types.is_boolean(t):
            return Numbers(_arrow_bools(raw), _arrow_valid(raw), False)
        if pa.types.is_integer(t):
            if raw.null_count:
                return Numbers(_pc().fill_null(raw, 0).to_numpy(zero_copy_only=False), _arrow_valid(raw), False)
            return Numbers(raw.to_numpy(zero_copy_only=False), None, False)
        raise self._wrong_type(name, tr("column '{name}' holds {kind} values; the rules read it as numbers",
                                        name=name, kind=str(t)), tr("give '{name}' numbers, or check the column the catalogue names", name=name))

    def _object_numbers(self, name: str, raw: Array) -> Array:
        """Python floats as they are; anything else (text, Decimal, int, a mix) through the cell
        parser, which neither rounds a long number, nor turns '1e999' into inf or 1e-400 into 0."""
        if raw.dtype.kind == "O" and set(map(type, raw.tolist())) <= {float, np.float64}:
            return raw.astype(np.float64)
        return self._text_numbers(name, raw)

    def _text_numbers(self, name: str, raw: Any) -> Array:
        """Numbers written as text, read by the cell parser indicator tables use: thousands
        separators, magnitude words and "no data" words as there; a censored value, a unit or an
        unreadable cell is an error at its cell."""
        parsed = parse_column(raw if not isinstance(raw, Categorical) else _categories(raw), 1, exact=False)
        for row, message in parsed.errors.items():
            raise self.fail(getattr(message, "code", "QR206"), tr("cannot read a number: {reason}", reason=message),
                            row, name, suggestion=tr("write a number (1,234.5 and 3万 are numbers), or leave the cell "
                                                     "empty when the value is missing"))
        if parsed.censored:
            assert parsed.lo_open is not None and parsed.hi_open is not None
            row = int(np.flatnonzero(np.isinf(parsed.lo) | np.isinf(parsed.hi))[0])
            raise self.fail("QR206", tr("a censored value (a bound such as <3 or 98以上) is not a measurement "
                                        "that can be summed"), row, name,
                            suggestion=tr("give the measured value, or leave the cell empty when it is not known"))
        if parsed.units is not None:
            row = int(np.flatnonzero(parsed.units != None)[0])  # noqa: E711 - elementwise
            raise self.fail("QR206", tr("'{value}' has a unit ('{unit}'): a record cell holds a plain number",
                                        value=value_at(raw, row), unit=parsed.units[row]), row, name,
                            suggestion=tr("records hold plain numbers; give the unit in the catalogue's definition"))
        if parsed.footnotes:     # (converted once per chunk and column)
            row = min(parsed.footnotes)
            self.notes[(FOOTNOTE, name)] = (row, len(parsed.footnotes),
                                            (parsed.footnotes[row], f"{parsed.lo[row]:.15g}"))
        return parsed.lo

    def _wrong_type(self, name: str, message: Text, suggestion: Text) -> DataError:
        """QR207: column ``name`` holds values of a type the rules do not read it as."""
        return self.fail("QR207", message, None, name, suggestion=suggestion)

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
            return self._numeric_flags(name, raw)
        if not isinstance(raw, (np.ndarray, Categorical)):
            t = raw.type
            if pa.types.is_boolean(t):
                return Flags(_arrow_bools(raw), _arrow_valid(raw))
            if pa.types.is_integer(t) or pa.types.is_floating(t):
                # (unsafe: an integer beyond 2**53 is no exact float, but it is no 0 or 1 either)
                return self._numeric_flags(name, _pc().fill_null(raw.cast(pa.float64(), safe=False), np.nan)
                                           .to_numpy(zero_copy_only=False))
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
                raise self.fail(
                    "QR206", tr("cannot read {value} as true/false", value=repr(value)), row, name,
                    suggestion=tr("write true/false, 1/0, yes/no or 是/否"))
        row_valid = np.take(valid, codes.codes)
        return Flags(np.take(truth, codes.codes), None if row_valid.all() else row_valid)

    def _numeric_flags(self, name: str, raw: Array) -> Flags:
        """A number column read as true/false: 1 and 0, as the words' column reads '1' and '0';
        any other number (2 for 否 on a 1=是/2=否 form, 0.5, -1) is no true/false value, an error
        at its row, never read as true because it is not 0."""
        truth = raw == 1
        valid = np.isfinite(raw) if raw.dtype.kind == "f" else None
        wrong = ~truth & (raw != 0)
        if valid is not None:
            wrong &= valid
        if wrong.any():
            row = int(np.flatnonzero(wrong)[0])
            shown = f"{raw[row]:.15g}"
            raise self.fail("QR206", tr("cannot read {value} as true/false", value=shown), row, name,
                            suggestion=tr("write true/false, 1/0, yes/no or 是/否"))
        if valid is None or valid.all():
            return Flags(truth, None)
        infinite = np.flatnonzero(np.isinf(raw))
        return Flags(truth, valid, infinite if len(infinite) else None)

    # -- text and regions
    def codes(self, name: str) -> Codes:
        result: Codes = self._cached("codes", name, lambda n: self._codes_of(n, self.raw(n)))
        return result

    def regions(self, name: str) -> Codes:
        """Column ``name`` read as regions: its codes, but a totals row's (a cell such as 合计 or
        小计, :func:`.cells.is_total`) are -1, an empty cell's, for the total of the rows above is no
        region; noted (QR216) at the first, with how many. Integer labels are no words: they are
        used as they are, at no cost."""
        result: Codes = self._cached("regions", name, self._regions)
        return result

    def totals(self, name: str) -> int:
        """How many rows of the chunk are totals rows in region column ``name`` (once read by
        :meth:`regions`)."""
        noted = self.notes.get((TOTALS, name))
        return noted[1] if noted else 0

    def _regions(self, name: str) -> Codes:
        codes = self.codes(name)
        if codes.integers:
            return codes
        codes = self._unmarked(name, codes)
        totals = [k for k, value in enumerate(codes.values) if is_total(value)]
        held = _rows_holding(codes, totals)
        if held is None:        # none, or categories no row holds
            return codes
        first, count = held
        self.notes[(TOTALS, name)] = (first, count, str(value_at(self.raw(name), first)).strip())
        lut = np.arange(len(codes.values) + 1, dtype=np.intp)   # (signed: codes may be unsigned, polars')
        lut[totals] = -1
        lut[-1] = -1
        return Codes(np.take(lut, codes.codes), codes.values)

    def _unmarked(self, name: str, codes: Codes) -> Codes:
        """Region names without the footnote marker some end in (``深圳市*``), as a value's is
        ignored; noted (QR212) at the first row, with how many."""
        marked = {k: found for k, value in enumerate(codes.written or ()) if (found := name_footnote(value)) is not None}
        if not marked:
            return codes
        held = _rows_holding(codes, list(marked))
        if held is not None:
            first, count = held
            region, marker = marked[int(codes.codes[first])]
            self.notes[(FOOTNOTE, name)] = (first, count, (marker, region))
        values = [_name(marked[k][0]) if k in marked else value for k, value in enumerate(codes.values)]
        return Codes(codes.codes, values, codes.integers, codes.written)

    def _codes_of(self, name: str, raw: Any, normalise: bool = True) -> Codes:
        fix = _name if normalise else (lambda v: str(v))
        if isinstance(raw, Categorical):
            return Codes(raw.codes, [fix(v) for v in raw.categories], written=[str(v) for v in raw.categories])
        pa = _pa()
        if not isinstance(raw, np.ndarray) and pa.types.is_integer(raw.type) and not raw.null_count and normalise:
            raw = raw.to_numpy(zero_copy_only=False)
        if isinstance(raw, np.ndarray) and raw.dtype.kind in "iu" and normalise \
                and (raw.dtype != np.uint64 or not len(raw) or int(raw.max()) < 2 ** 63):   # else read as text
            return _integer_codes(raw)
        if not isinstance(raw, np.ndarray) and pa.types.is_temporal(raw.type):
            raw = raw.to_numpy(zero_copy_only=False)     # refused below as numpy's dates are
        if isinstance(raw, np.ndarray):
            if raw.dtype.kind == "f":
                raw = pa.array(raw, from_pandas=True)
            elif raw.dtype.kind in "Mm":
                raise self._wrong_type(name, tr("column '{name}' holds dates; the rules read it as text", name=name),
                                       tr("give '{name}' text, or check the column the catalogue names", name=name))
            else:
                cells = raw.tolist()
                try:
                    try:
                        raw = pa.array(cells if raw.dtype.kind == "O" else raw, from_pandas=True)
                    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, OverflowError):
                        raw = pa.array([None if v is None else str(v) for v in cells], pa.string())
                except UnicodeError:    # a lone surrogate is no text: refused where it is
                    row, text = next((r, str(v)) for r, v in enumerate(cells)
                                     if v is not None and lone_surrogate(str(v)) is not None)
                    raise self.fail("QR244", surrogate_message(text, lone_surrogate(text) or 0), row, name,
                                    suggestion=tr("read the data with its real encoding (UTF-8, GB18030)")) from None
        if pa.types.is_nested(raw.type):
            raise self._wrong_type(name, tr("column '{name}' holds {kind} values; the rules read it as text", name=name,
                                            kind=str(raw.type)),
                                   tr("give '{name}' text, or check the column the catalogue names", name=name))
        if not pa.types.is_dictionary(raw.type):
            raw = raw.dictionary_encode()
        indices = raw.indices
        if raw.null_count:
            indices = _pc().fill_null(indices, -1)
        codes = indices.to_numpy(zero_copy_only=False)
        values = raw.dictionary.to_pylist()
        empty = [k for k, v in enumerate(values) if v is None or _is_null(str(v))]
        if empty:                   # empty cells and "no data" words: null, as in indicator tables
            lut = np.arange(len(values) + 1, dtype=np.int64)
            lut[empty] = -1
            lut[-1] = -1
            codes = lut[codes]
        return Codes(codes, [fix(v) for v in values], written=[str(v) for v in values])

    # -- dates and years
    def times(self, name: str, is_date: bool) -> Times:
        result: Times = self._cached("date" if is_date else "year", name,
                                     lambda n: self._times(n, is_date))
        return result

    def _times(self, name: str, is_date: bool) -> Times:
        try:
            return self._read_times(name, is_date)
        except _FarYear as far:
            raise self.fail("QR206", tr("year {year} is out of range (1000..9999)", year=far.year), far.row, name,
                            suggestion=_dates_wanted(name)) from None

    def _read_times(self, name: str, is_date: bool) -> Times:
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
                raise self._wrong_type(name, _numbers_for_dates(name), _dates_wanted(name))
        elif not isinstance(raw, Categorical):
            t = raw.type
            if arrow_dates(raw):
                return _arrow_times(raw)
            if pa.types.is_integer(t) and not is_date:
                return _key_times(_pc().fill_null(raw, 0).to_numpy(zero_copy_only=False), 1, _arrow_valid(raw),
                                  years=True)
            if pa.types.is_floating(t) and not is_date:
                return self._float_years(name, _pc().fill_null(raw, np.nan).to_numpy(zero_copy_only=False))
            if pa.types.is_integer(t) or pa.types.is_floating(t):
                raise self._wrong_type(name, _numbers_for_dates(name), _dates_wanted(name))
        return self._text_times(name, raw, is_date)

    def _float_years(self, name: str, raw: Array) -> Times:
        valid = np.isfinite(raw)
        whole = np.where(valid, raw, 0.0)
        bad = np.flatnonzero(whole != np.round(whole))
        if len(bad):
            value = str(raw[bad[0]])
            raise self.fail("QR206", tr("cannot read {value} as a year", value=value), int(bad[0]), name)
        return _key_times(whole.astype(np.int64), 1, None if valid.all() else valid, years=True)

    def _text_times(self, name: str, raw: Any, is_date: bool) -> Times:
        """Text (or object) dates and years: parse each distinct value once."""
        pa = _pa()
        if isinstance(raw, np.ndarray) and raw.dtype.kind == "O":
            sample = next((v for v in raw if v is not None and v == v), None)
            if sample is not None and not isinstance(sample, str):
                try:
                    entries = pa.array(raw, from_pandas=True)
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, OverflowError):
                    entries = None   # mixed values: read as text below, each one reported where it is
                if entries is not None and arrow_dates(entries):
                    return _arrow_times(entries)
        if isinstance(raw, Categorical) and raw.categories and not isinstance(raw.categories[0], str):
            entries = pa.array(raw.categories, from_pandas=True)
            codes = Codes(raw.codes, [str(v) for v in raw.categories])
            if arrow_dates(entries):
                return _dictionary_times(codes, _years_of_days(_arrow_days(entries)))
        codes = self._codes_of(name, raw, normalise=False)
        years = np.full(len(codes.values) + 1, -1, np.int64)
        if is_date:
            days = _parse_days(codes.values)
            for index, value in enumerate(codes.values):
                if days[index] is None and not _is_null(value):
                    row = int(np.flatnonzero(codes.codes == index)[0])
                    raise self.fail(
                        "QR206", tr("cannot read {value} as a date", value=repr(value)), row, name,
                        suggestion=tr("write dates as 2015-03-01 (also 2015/03/01, 20150301, 2015年3月1日)"))
            known = [d if d is not None else 0 for d in days]
            years[:-1] = np.where([d is not None for d in days], _years_of_days(np.array(known, np.int64)), -1)
        else:
            for index, value in enumerate(codes.values):
                year = parse_year(value)
                if year is not None:
                    years[index] = year
                elif not _is_null(value):
                    row = int(np.flatnonzero(codes.codes == index)[0])
                    raise self.fail("QR206", tr("cannot read {value} as a year", value=repr(value)), row, name,
                                    suggestion=tr("write years as 2015 or 2015年"))
        return _dictionary_times(codes, years)




def _categories(raw: Categorical) -> Any:
    """A categorical column's cells as a pyarrow dictionary array (parsed once per category)."""
    pa = _pa()
    codes = np.asarray(raw.codes)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0),
                                          pa.array([str(v) for v in raw.categories], pa.string()))


def _integer_codes(values: Array) -> Codes:
    """Integer region labels used as they are: small non-negative labels index their own names
    (no dictionary, no copy: an int8 column stays int8); a wider range is mapped through a table
    of the labels present."""
    if not len(values):
        return Codes(values.astype(np.int64), [], True)
    low, high = _extremes(values)
    if low >= 0 and high < 1 << 12:
        return Codes(values if np.can_cast(values.dtype, np.intp) else values.astype(np.intp),
                     [str(v) for v in range(high + 1)], True)
    values = values.astype(np.int64, copy=False)     # (narrow labels would overflow their differences)
    if high - low <= 4 * len(values) + (1 << 12):
        present = np.bincount(values - low) > 0
        lut = np.cumsum(present) - 1
        return Codes(lut[values - low], [str(v) for v in (np.flatnonzero(present) + low).tolist()], True)
    labels, inverse = np.unique(values, return_inverse=True)
    return Codes(inverse.reshape(-1), [str(v) for v in labels.tolist()], True)


def _bitmap(buffer: Any, offset: int, n: int) -> Array:
    """Bits ``offset .. offset + n`` of an Arrow bitmap (least significant bit first) as bools,
    unpacked in one vectorised pass (Arrow's own conversion of booleans goes value by value)."""
    if n == 0:
        return np.zeros(0, bool)
    bits = np.unpackbits(np.frombuffer(buffer, np.uint8), count=offset + n, bitorder="little")
    return bits[offset:].view(bool)


def _arrow_bools(raw: Any) -> Array:
    """A boolean Arrow array as bools, False at nulls."""
    truth = _bitmap(raw.buffers()[1], raw.offset, len(raw))
    if raw.null_count:
        truth &= _bitmap(raw.buffers()[0], raw.offset, len(raw))
    return truth


def _arrow_valid(raw: Any) -> Array | None:
    """Where an Arrow array is not null (None: nowhere null)."""
    return _bitmap(raw.buffers()[0], raw.offset, len(raw)) if raw.null_count else None


_PARALLEL_EXTREMES = 1 << 22    # values whose extremes are worth a second core


def _extremes(values: Array) -> tuple[int, int]:
    """The minimum and maximum of a non-empty integer array in one pass over memory: block by
    block, so the second reduction reads the block from the cache; a long array's second half on
    the second core (this pass comes before the scan, which the cores share)."""
    if len(values) >= _PARALLEL_EXTREMES and cores() >= 2:
        half = len(values) // 2
        other = second_core().submit(_serial_extremes, values[half:])
        low, high = _serial_extremes(values[:half])
        other_low, other_high = other.result()
        return min(low, other_low), max(high, other_high)
    return _serial_extremes(values)


def _rows_holding(codes: Codes, entries: list[int]) -> tuple[int, int] | None:
    """The first row whose code is one of the dictionary ``entries``, and how many rows are; None
    when no row is (a category no row holds)."""
    if not entries:
        return None
    flags = np.zeros(len(codes.values) + 1, bool)      # (the last entry is a null's, code -1)
    flags[entries] = True
    rows = np.take(flags, codes.codes)
    count = int(np.count_nonzero(rows))
    return (int(rows.argmax()), count) if count else None


def _serial_extremes(values: Array) -> tuple[int, int]:
    step = 1 << 16
    low, high = int(values[:step].min()), int(values[:step].max())
    for start in range(step, len(values), step):
        block = values[start:start + step]
        low, high = min(low, int(block.min())), max(high, int(block.max()))
    return low, high


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
    bounds = _extremes(ints) if len(ints) else None
    # NaT is the smallest int64: only look for it when the minimum is NaT.
    if bounds is not None and bounds[0] == np.iinfo(np.int64).min:
        return _key_times(ints, _UNIT_PER_DAY[unit], ~np.isnat(raw), years=False)
    return _key_times(ints, _UNIT_PER_DAY[unit], None, years=False, bounds=bounds)


def _arrow_days(raw: Any) -> Array:
    pa = _pa()
    return np.asarray(wall_time(raw).cast(pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False), np.int64)


def _arrow_times(raw: Any) -> Times:
    compute, arrow = _pc(), _pa()
    raw = wall_time(raw)
    t = raw.type
    valid = _arrow_valid(raw)
    if arrow.types.is_date32(t):
        width, per_day = arrow.int32(), 1
    elif arrow.types.is_date64(t):
        width, per_day = arrow.int64(), 86_400_000
    else:
        width, per_day = arrow.int64(), _UNIT_PER_DAY[t.unit]
    # the stored integers, viewed without a copy (nulls filled only when there are some)
    ints = raw.view(width) if not raw.null_count else compute.fill_null(raw.cast(width), 0)
    return _key_times(ints.to_numpy(zero_copy_only=False), per_day, valid, years=False)


class _FarYear(Exception):
    """A year far outside 1000..9999 in a column of dates or years, at ``row`` (located by the chunk)."""

    def __init__(self, row: int, year: int) -> None:
        super().__init__(row, year)
        self.row, self.year = row, year


def _key_times(ints: Array, divisor: int, valid: Array | None, *, years: bool,
               bounds: tuple[int, int] | None = None) -> Times:
    """Rows whose key ``ints // divisor`` is a day number (``years=False``) or a year. Missing rows
    (``valid`` False) get a key one past the largest, which the table maps to -1. ``bounds``: the
    minimum and maximum of ``ints``, when the caller knows them already."""
    present = ints if valid is None else ints[valid]
    if len(present) == 0:
        return Times(np.zeros(len(ints), np.int64), 1, 0, np.array([-1], np.int64))
    smallest, largest = bounds if bounds is not None else _extremes(present)
    low, high = smallest // divisor, largest // divisor
    if high - low > (1 << 22) and years:     # some year is beyond any plan's (the range holds no lookup table)
        far = np.flatnonzero(((ints < 1000) | (ints > 9999)) & (True if valid is None else valid))
        raise _FarYear(int(far[0]), int(ints[far[0]]))
    if high - low > (1 << 22):
        # Implausibly wide range of days: years row by row instead of a lookup table.
        row_years = (ints // divisor).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970 \
            if not years else ints // divisor
        return _key_times(row_years, 1, valid, years=True)
    offset = 0 if low >= 0 and high < (1 << 17) else low
    if valid is not None:
        ints = np.where(valid, ints, (high + 1) * divisor)
    return Times(ints, divisor, offset, _year_table(low, high, offset, years))


@functools.lru_cache(maxsize=16)
def _year_table(low: int, high: int, offset: int, years: bool) -> Array:
    """The year of every key ``offset .. high + 1`` (-1 outside ``low .. high``), read-only: the
    chunks of one table usually share it (row groups of a file, blocks of a CSV)."""
    keys = np.arange(offset, high + 1, dtype=np.int64)
    table = np.full(high - offset + 2, -1, np.int64)
    table[low - offset: high - offset + 1] = keys[low - offset:] if years else _years_of_days(keys[low - offset:])
    table.flags.writeable = False
    return table


def _parse_days(values: list[str]) -> list[int | None]:
    """Day numbers (days since 1970-01-01) of text dates; None where no format matches."""
    pa = _pa()
    compute = _pc()
    # A time stamp's day is the one written, whatever zone it names (``2015-12-31T23:30:00+08:00``,
    # ``…Z``, fractions of a second): the wall time in its own zone, as a zoned timestamp column
    # gives it (``local_timestamp``), never moved to another zone's day.
    text = compute.replace_substring_regex(pa.array([v.strip() for v in values], pa.string()),
                                           _ZONE_AFTER_TIME, r"\1")
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


def check_columns(table: Table, needed: Mapping[str, str]) -> dict[str, int]:
    """The column index of every needed column (name → what it is for); QR204 for a column the
    table lacks (with a did-you-mean from its columns), QR213 for one it has twice."""
    positions: dict[str, int] = {}
    problems = []
    for j, header in enumerate(table.headers):
        key = normalize(str(header))
        if key in positions and key in needed:
            problems.append(table.diagnostic(
                "QR213", tr("two columns named '{key}' ('{first}' and '{second}')", key=key,
                            first=table.headers[positions[key]], second=header), None, j,
                suggestion=tr("rename or drop one of them: the records cannot say which one the rules mean")))
        positions.setdefault(key, j)
    for name, kind in needed.items():
        if name not in positions:
            problems.append(Diagnostic(
                "QR204", tr("{table} has no column '{name}' ({kind}); it has: {columns}", table=table.name, name=name,
                            kind=kind, columns=", ".join(sorted(positions))),
                table.locate(None, None) if table.path else None,
                suggestion=did_you_mean(name, positions) or tr("add a '{name}' column or fix the catalogue's "
                                                               "record definition", name=name)))
    if problems:
        raise DataError(problems)
    return {name: positions[name] for name in needed}


def infinite_values(table: Table, position: int, row: int, count: int, value: float,
                    readers: Sequence[str]) -> Diagnostic:
    """QR214 for a records column (at ``position``) holding ±inf in ``count`` rows, at the first
    one: not a measurement, so the indicators reading the column (``readers``) are unknown in the
    region-years of those rows."""
    shown = "inf" if value > 0 else "-inf"
    indicators = ", ".join(readers)
    message = tr("{value} is not a measurement: {indicators} unknown for its region and year", value=shown,
                 indicators=indicators) if count == 1 else \
        tr("{value} is not a measurement, the first of {count} ±inf values in the column: {indicators} unknown "
           "for their regions and years", value=shown, count=count, indicators=indicators)
    return table.diagnostic("QR214", message, row, position, severity=Severity.WARNING,
                            suggestion=tr("give the measured value, or leave the cell empty (NaN) when it is missing"))


def implausible_values(table: Table, column: str, position: int, row: int, count: int, value: float, what: str,
                       unit: str, readers: Sequence[str]) -> Diagnostic:
    """QR243 (``what``: ``NEGATIVE``), QR242 (``ABOVE``) or QR245 (``NOT_WHOLE``) for a records
    column (``column`` at ``position``, declared in ``unit``) holding, in ``count`` rows, a value its unit
    cannot hold, shown at the first one: no measurement, so the indicators reading the column
    (``readers``) are unknown in the region-years of those rows."""
    shown = str(int(value)) if value.is_integer() else repr(value)
    indicators = ", ".join(readers)
    if what == NEGATIVE:
        code = "QR243"
        doubt = tr("a value in {unit} cannot be negative", unit=unit)
        fix = tr("correct the value (a sign or a column mixed up?), or leave the cell empty when it is missing")
    elif what == ABOVE:
        code = "QR242"
        kind = value_kind(column, unit)
        assert kind is not None and kind.highest is not None   # the scan found it above a share's whole
        doubt = tr("a share cannot be above {full} {unit} or below 0", full=f"{kind.highest:g}", unit=unit)
        fix = tr("correct the value (a count or an amount in a share column?), or leave the cell empty when it is "
                 "missing")
    else:
        code = "QR245"
        doubt = tr("a count ({unit}) is a whole number", unit=unit)
        fix = tr("correct the value (a thousands separator read as a decimal point, 3.601 for 3,601? a value in "
                 "thousands?)")
    message = tr("{value}: {doubt}; {indicators} unknown for its region and year", value=shown, doubt=doubt,
                 indicators=indicators) if count == 1 else \
        tr("{value}: {doubt}; the first of {count} such values in the column: {indicators} unknown for their regions "
           "and years", value=shown, doubt=doubt, count=count, indicators=indicators)
    return table.diagnostic(code, message, row, position, severity=Severity.WARNING, suggestion=fix)


def unassigned_rows(table: Table, position: int, row: int, count: int, time: bool | None) -> Diagnostic:
    """QR215 for ``count`` rows of a records table with no region (``time`` None: the region column
    at ``position`` is empty) or no date (``time`` True) or year (False) at ``position``, shown at
    the first one: such a row counts in no region and year, so in no indicator's value."""
    if time is None:
        message = tr("no region: the row counts in no region and year, so in no indicator's value") if count == 1 \
            else tr("no region, the first of {count} rows without one: they count in no region and year, so in no "
                    "indicator's value", count=count)
        fix = tr("fill in the region, or remove the rows if they are not records")
    elif time:
        message = tr("no date: the row counts in no region and year, so in no indicator's value") if count == 1 \
            else tr("no date, the first of {count} rows without one: they count in no region and year, so in no "
                    "indicator's value", count=count)
        fix = tr("fill in the date, or remove the rows if they are not records")
    else:
        message = tr("no year: the row counts in no region and year, so in no indicator's value") if count == 1 \
            else tr("no year, the first of {count} rows without one: they count in no region and year, so in no "
                    "indicator's value", count=count)
        fix = tr("fill in the year, or remove the rows if they are not records")
    return table.diagnostic("QR215", message, row, position, severity=Severity.WARNING, suggestion=fix)


INFINITE, FOOTNOTE, TOTALS, NO_REGION, NO_TIME = "infinite", "footnote", "totals", "no region", "no time"
# values a column's declared unit cannot hold (see qualityrules.language.units.value_kind)
NEGATIVE, ABOVE, NOT_WHOLE = "negative", "above", "not whole"


class Noticed:
    """What reading one table's records noticed without refusing them, by column: ±inf values
    (QR214), values the column's unit cannot hold (QR242, QR243, QR245), footnote markers ignored
    (QR212), totals rows (QR216) and rows with no region or no
    date (QR215), each as its first row (of the table), how many rows and what the first one holds.
    Chunks are added in any order — the first row is the smallest, counts add up — so any
    chunking, threads or Dask partitioning says the same."""

    def __init__(self) -> None:
        # (kind, column) -> [first row, rows, what the first holds, column position]
        self.found: dict[tuple[str, str], list[Any]] = {}

    def note(self, kind: str, name: str, row: int, count: int, detail: Any, position: int) -> None:
        seen = self.found.get((kind, name))
        if seen is None:
            self.found[(kind, name)] = [row, count, detail, position]
            return
        if row < seen[0]:
            seen[0], seen[2] = row, detail
        seen[1] += count

    def add_chunk(self, chunk: Chunk) -> None:
        for (kind, name), (row, count, detail) in chunk.notes.items():
            self.note(kind, name, chunk.offset + row, count, detail, chunk.positions[name])

    def rows(self) -> list[int]:
        """The rows the diagnostics show."""
        return [seen[0] for seen in self.found.values()]

    def diagnostics(self, table: Table, names: Iterable[str], readers: Mapping[str, Sequence[str]],
                    units: Mapping[str, str]) -> list[Diagnostic]:
        """The warnings, column by column in the order of ``names``; ``readers``: the indicators
        reading each column (unknown where it holds no measurement); ``units``: the columns'
        declared units."""
        found = []
        for name in names:
            marked = self.found.get((FOOTNOTE, name))
            if marked is not None:
                row, count, (marker, read), position = marked
                found.append(footnote_marker(table, position, row, count, marker, read))
            infinite = self.found.get((INFINITE, name))
            if infinite is not None:
                row, count, value, position = infinite
                found.append(infinite_values(table, position, row, count, value, readers.get(name, ())))
            for what in (NEGATIVE, ABOVE, NOT_WHOLE):
                implausible = self.found.get((what, name))
                if implausible is not None:
                    row, count, value, position = implausible
                    found.append(implausible_values(table, name, position, row, count, value, what, units[name],
                                                    readers.get(name, ())))
            totals = self.found.get((TOTALS, name))
            if totals is not None:
                row, count, word, position = totals
                found.append(totals_left_out(table, row, position, word, count))
            for kind in (NO_REGION, NO_TIME):
                missing = self.found.get((kind, name))
                if missing is not None:
                    row, count, is_date, position = missing
                    found.append(unassigned_rows(table, position, row, count, None if kind == NO_REGION else is_date))
        return found


def _header_test(needed: Mapping[str, str]) -> Any:
    def test(fields: Sequence[str]) -> bool:
        return any(normalize(f) in needed for f in fields if f)

    return test


def table_chunks(table: Table, columns: Mapping[str, str], needed: Mapping[str, str], chunk_rows: int | None,
                 progress: Any = None, total: tuple[int, int] | None = None,
                 tables: list[Table] | None = None) -> Iterator[Chunk]:
    """Chunks of one table's records (only the columns ``columns`` names, by kind). The table is
    added to ``tables``: its warnings (a title row skipped) are complete once every chunk has been
    converted, possibly after this generator has finished; what converting a chunk noticed (±inf,
    footnote markers) is in its ``notes`` (see :class:`Noticed`)."""
    if tables is not None:
        tables.append(table)
    positions = check_columns(table, needed)
    wanted = [positions[name] for name in columns]
    dictionary = [positions[name] for name, kind in columns.items() if kind in ("region", "text")]
    for batch in table.batches(wanted, chunk_rows, dictionary):
        chunk = Chunk(batch, table, positions)
        if progress is not None:
            progress.advance(batch.n, table.position() if total is None else (total[0] + batch.offset + batch.n,
                                                                              total[1]))
        yield chunk


def _chunk_rows(chunk_rows: Any) -> int | None:
    if chunk_rows is None:
        return None
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise UsageError(Diagnostic("QR301", tr("chunk_rows must be a positive number of rows, not {value}",
                                       value=repr(chunk_rows)),
                                    suggestion=tr("leave it out (one chunk per batch) or give e.g. chunk_rows=100000")))
    return int(chunk_rows)


def chunks(source: Any, table: str, columns: Mapping[str, str], *, encoding: str | None = None,
           chunk_rows: int | None = None, progress: Any = None, purposes: Mapping[str, str] | None = None,
           tables: list[Table] | None = None) -> Iterator[Chunk]:
    """Chunks of a table's records from ``source``: a path (CSV, Excel, Parquet file or
    directory), an in-memory table, or an iterable of in-memory tables. ``columns`` maps the
    needed (normalised) column names to their kinds; only those are read from files.
    ``purposes`` says what each column is for, in the message of a missing column; every table
    read is added to ``tables`` (see :func:`table_chunks`)."""
    rows = _chunk_rows(chunk_rows)
    needed = {name: (purposes or {}).get(name, kind) for name, kind in columns.items()}
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir() or path.suffix.lower() in (".parquet", ".pq"):
            files = _parquet_files(path)
            parts = [ArrowFileTable(f) for f in files]
            for t in parts:
                check_columns(t, needed)
            total = sum(t.rows for t in parts)
            done = 0
            for t in parts:
                yield from table_chunks(t, columns, needed, rows or _PARQUET_BATCH, progress, (done, total), tables)
                done += t.rows
            return
        yield from table_chunks(open_file(path, encoding=encoding, wanted=_header_test(needed)), columns, needed,
                                rows, progress, None, tables)
        return
    if is_table(source) or not isinstance(source, Iterable):     # memory_table refuses what is no table
        yield from table_chunks(memory_table(source, f"records '{table}'"), columns, needed, rows, progress, None,
                                tables)
        return
    for number, piece in enumerate(source, 1):      # an iterable of tables: each is numbered
        yield from table_chunks(memory_table(piece, f"records '{table}', part {number}"), columns, needed, rows,
                                progress, None, tables)


def _parquet_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".parquet", ".pq"))
        if not files:
            raise DataError(Diagnostic("QR201", tr("no .parquet files under {path}", path=path)))
        return files
    if not path.exists():
        raise DataError(Diagnostic("QR201", tr("no such file or directory: {path}", path=path)))
    return [path]


def _numbers_for_dates(name: str) -> Text:
    return tr("column '{name}' holds numbers; the rules read it as dates (use 'year COLUMN' for years)", name=name)


def _dates_wanted(name: str) -> Text:
    return tr("give '{name}' dates (use 'year COLUMN' for years), or check the column the catalogue names",
              name=name)
