"""In-memory tables as :class:`~qualityrules.tables.source.Table` s, without copying columns
where the type allows.

Accepted: a mapping of column name to a numpy array (a masked array's mask means missing), a
list or a pandas/polars/pyarrow column; a pandas DataFrame (named index levels become columns);
a polars DataFrame or LazyFrame (streamed in batches); a pyarrow Table, RecordBatch or
RecordBatchReader (streamed); a Dask DataFrame (partition by partition). Columns come out as
numpy arrays (zero-copy for numpy-backed data), :class:`Categorical` (pandas categoricals: codes
and categories, never expanded) or pyarrow arrays (nullable and text columns).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import DataError, Diagnostic, shown
from ..i18n import tr
from ..language import model as m
from .source import Batch, Table, render, rendered_span

__all__ = ["Categorical", "MemoryTable", "StreamTable", "memory_table", "is_table", "prepare", "module_of",
           "plain_numbers", "arrow_dates", "wall_time", "DaskPartitions", "dask_headers"]

Array = npt.NDArray[Any]


@attrs.frozen
class Categorical:
    """A dictionary-encoded column: ``codes`` (-1 = missing) index ``categories``."""

    codes: Array
    categories: list[Any]

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, index: slice) -> Categorical:
        return Categorical(self.codes[index], self.categories)


def module_of(obj: Any) -> str:
    return type(obj).__module__.split(".", 1)[0]


def is_table(obj: Any) -> bool:
    """Is ``obj`` one table (rather than an iterable of tables)?"""
    module = module_of(obj)
    if module in ("pandas", "polars", "pyarrow"):
        return True
    if module.startswith("dask"):
        return True
    return isinstance(obj, Mapping)


def prepare(raw: Any) -> Any:
    """A column as a numpy array, a :class:`Categorical` or a (non-chunked) pyarrow array."""
    if isinstance(raw, np.ma.MaskedArray):
        return _masked(raw)
    if isinstance(raw, np.ndarray) and raw.dtype.kind == "S":
        # bytes are UTF-8 text (bytes that are not come through as lone surrogates, refused as
        # text that is no text where they are), never their repr b'…'
        return np.char.decode(raw, "utf-8", "surrogateescape")
    if isinstance(raw, (np.ndarray, Categorical)):
        return raw
    module = module_of(raw)
    if module == "pandas":
        import pandas as pd

        if isinstance(raw, pd.Categorical):
            return Categorical(np.asarray(raw.codes), list(raw.categories))
        dtype = raw.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return Categorical(np.asarray(raw.cat.codes), list(raw.cat.categories))
        if isinstance(dtype, np.dtype):
            return raw.to_numpy()
        pa = _pa()
        try:
            array = pa.array(raw, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):   # sparse: its dense values
            return raw.to_numpy()
        # pandas' own types that Arrow keeps opaque (periods, intervals): their Python objects,
        # read cell by cell like any other object column
        return raw.to_numpy(dtype=object) if isinstance(array.type, pa.BaseExtensionType) else array
    if module == "polars":
        return prepare(raw.to_arrow())
    if module == "pyarrow":
        pa = _pa()
        if isinstance(raw, pa.ChunkedArray):
            return raw.combine_chunks() if raw.num_chunks != 1 else raw.chunk(0)
        return raw
    return np.asarray(raw)


def arrow_dates(raw: Any) -> bool:
    """Whether an Arrow array holds dates or timestamps (a day, and so a year, per value)."""
    pa = _pa()
    return module_of(raw) == "pyarrow" and bool(pa.types.is_timestamp(raw.type) or pa.types.is_date(raw.type))


def wall_time(raw: Any) -> Any:
    """An Arrow array of dates or times as its wall times: a zoned timestamp's in its own zone
    (``local_timestamp``), so a date or year is the one it shows; others as they are."""
    pa = _pa()
    if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
        import pyarrow.compute

        return pyarrow.compute.local_timestamp(raw)
    return raw


def plain_numbers(raw: Any) -> Any:
    """A prepared column as a numpy array when it is an Arrow integer or float array without
    nulls (a view of its buffer, no copy); otherwise as it is."""
    if isinstance(raw, (np.ndarray, Categorical)) or module_of(raw) != "pyarrow" or raw.null_count:
        return raw
    pa = _pa()
    if pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type):
        return raw.to_numpy(zero_copy_only=True)
    return raw


def _masked(raw: np.ma.MaskedArray) -> Any:
    """A masked array with its mask as missing values: floats as NaN, others as nulls."""
    mask = np.ma.getmaskarray(raw)
    data = np.ma.getdata(raw)
    if not mask.any():
        return data
    if data.dtype.kind == "f":
        return np.where(mask, np.nan, data)
    if data.dtype.kind == "O":
        out = data.copy()
        out[mask] = None
        return out
    return _pa().array(data, mask=mask)


def _pa() -> Any:
    import pyarrow

    return pyarrow


def value_at(raw: Any, row: int) -> Any:
    """One cell of a prepared column (for rendering a row in a diagnostic)."""
    if isinstance(raw, Categorical):
        code = int(raw.codes[row])
        return None if code < 0 else raw.categories[code]
    if isinstance(raw, np.ndarray):
        return raw[row]
    try:
        return raw[row].as_py()
    except (OverflowError, ValueError):     # a date beyond Python's years (1..9999): as numpy holds it
        return raw.slice(row, 1).to_numpy(zero_copy_only=False)[0]


class MemoryTable(Table):
    """A table whose columns are all in memory."""

    def __init__(self, name: str, headers: list[str], columns: list[Any], rows: int) -> None:
        super().__init__()
        self.name = name
        self.headers = headers
        self.columns = columns
        self._rows = rows

    @property
    def rows(self) -> int:
        return self._rows

    def batches(self, columns: Sequence[int] | None = None, rows: int | None = None,
                dictionary: Sequence[int] = ()) -> Iterator[Batch]:
        wanted = range(len(self.headers)) if columns is None else columns
        held = self.columns
        prepared: dict[int, Any] = {j: held[j] if type(held[j]) is np.ndarray else prepare(held[j]) for j in wanted}
        if not rows or self._rows <= rows:
            yield Batch(prepared, self._rows, 0)
            return
        for start in range(0, self._rows, rows):
            stop = min(start + rows, self._rows)
            yield Batch({j: c[start:stop] if not _is_arrow(c) else c.slice(start, stop - start)
                         for j, c in prepared.items()}, stop - start, start)

    def locate(self, row: int | None, column: int | None) -> m.Span | None:
        if row is None:
            return rendered_span(self.name, self.header_row, self.headers, column)
        return rendered_span(self.name, self.row_number(row), self.cells(row), column)

    def cells(self, row: int) -> list[str]:
        """Row ``row`` as a diagnostic shows it."""
        return [render(value_at(prepare(c), row)) for c in self.columns]


def _is_arrow(raw: Any) -> bool:
    return module_of(raw) == "pyarrow"


class StreamTable(Table):
    """A table read once, batch by batch (a RecordBatchReader, a LazyFrame, Dask partitions).
    A diagnostic shows a row of the batch being read, or any row when ``reread`` can read one
    again (``reread(row)``: its cells, None when there is no such row): a LazyFrame or a Dask
    DataFrame can, a RecordBatchReader cannot (the message still names the row)."""

    def __init__(self, name: str, headers: list[str], stream: Iterator[tuple[list[Any], int]],
                 reread: Callable[[int], list[Any] | None] | None = None) -> None:
        super().__init__()
        self.name = name
        self.headers = headers
        self._stream = stream
        self._current: tuple[int, list[Any], int] | None = None
        self._used = False
        self._reread = reread

    def batches(self, columns: Sequence[int] | None = None, rows: int | None = None,
                dictionary: Sequence[int] = ()) -> Iterator[Batch]:
        if self._used:
            raise DataError(Diagnostic("QR203", tr("{name} is a stream and was already read", name=self.name),
                                       suggestion=tr("pass the data itself (a Table or DataFrame), or a new stream")))
        self._used = True
        wanted = range(len(self.headers)) if columns is None else columns
        offset = 0
        for raw_columns, n in self._stream:
            prepared = [prepare(c) for c in raw_columns]
            self._current = (offset, prepared, n)
            if rows and n > rows:
                for start in range(0, n, rows):
                    stop = min(start + rows, n)
                    yield Batch({j: prepared[j][start:stop] if not _is_arrow(prepared[j])
                                 else prepared[j].slice(start, stop - start) for j in wanted}, stop - start,
                                offset + start)
            else:
                yield Batch({j: prepared[j] for j in wanted}, n, offset)
            offset += n

    def locate(self, row: int | None, column: int | None) -> m.Span | None:
        if row is None:
            return rendered_span(self.name, self.header_row, self.headers, column)
        values: list[Any] | None = None
        if self._current is not None and self._current[0] <= row < self._current[0] + self._current[2]:
            first, prepared, _ = self._current
            values = [value_at(c, row - first) for c in prepared]
        elif self._reread is not None:
            values = self._reread(row)
        if values is None:
            return None
        return rendered_span(self.name, self.row_number(row), [render(v) for v in values], column)


def memory_table(data: Any, name: str | None = None, *, stream_rows: int = 1 << 20) -> Table:
    """``data`` (see the module docstring) as a table; QR203 for a type that is not a table."""
    module = module_of(data)
    if module == "pandas" and hasattr(data, "columns"):
        frame = data
        if getattr(frame.columns, "nlevels", 1) > 1:
            raise _header_levels(name or "<pandas.DataFrame>", frame.columns)
        index_names = [n for n in getattr(frame.index, "names", []) if n is not None]
        if index_names:
            frame = frame.reset_index()
        headers = [str(c) for c in frame.columns]
        # The column arrays as the frame holds them (views, no Series built): pandas' own accessor
        # for that where it has one (_get_column_array, pandas >= 1.3), else the public iteration.
        get = getattr(frame, "_get_column_array", None)
        columns = [get(j) for j in range(len(headers))] if callable(get) else [s for _, s in frame.items()]
        return MemoryTable(name or "<pandas.DataFrame>", headers, columns, len(frame))
    if module == "polars" and type(data).__name__ in ("DataFrame", "LazyFrame"):
        if type(data).__name__ == "LazyFrame":       # stream it
            headers = [str(c) for c in data.collect_schema().names()]
            batches = data.collect_batches(chunk_size=stream_rows) if hasattr(data, "collect_batches") \
                else [data.collect()]
            return StreamTable(name or "<polars.LazyFrame>", headers,
                               (([frame.get_column(c) for c in frame.columns], frame.height) for frame in batches),
                               lambda row: _polars_row(data, row))
        headers = [str(c) for c in data.columns]
        return MemoryTable(name or "<polars.DataFrame>", headers, [data.get_column(c) for c in data.columns],
                           data.height)
    if module == "pyarrow":
        pa = _pa()
        if isinstance(data, pa.RecordBatchReader):
            headers = [str(n) for n in data.schema.names]
            return StreamTable(name or "<pyarrow.RecordBatchReader>", headers,
                               ((list(batch.columns), batch.num_rows) for batch in data))
        if isinstance(data, (pa.Table, pa.RecordBatch)):
            headers = [str(n) for n in data.schema.names]
            return MemoryTable(name or f"<pyarrow.{type(data).__name__}>", headers, list(data.columns),
                               data.num_rows)
    if module.startswith("dask") and hasattr(data, "partitions"):
        partitions = DaskPartitions(data)
        return StreamTable(name or "<dask.DataFrame>", partitions.headers, iter(partitions), partitions.row)
    if isinstance(data, Mapping):
        headers = [str(k) for k in data]
        label = name or "<dict>"
        columns = [_dict_column(label, h, v) for h, v in zip(headers, data.values(), strict=True)]
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise DataError(Diagnostic("QR203", tr("{label}: the columns have different lengths: {lengths}", label=label,
                                                          lengths=", ".join(f"{h}={len(c)}" for h, c in
                                                                            zip(headers, columns, strict=True))),
                                       suggestion=tr("give every column one value per row")))
        return MemoryTable(label, headers, columns, lengths.pop() if lengths else 0)
    raise DataError(Diagnostic(
        "QR203", tr("cannot read data of type {kind}", kind=type(data).__name__),
        suggestion=tr("pass a pandas/polars/pyarrow table, a dict of arrays, or a .csv/.xlsx/.parquet path")))


def _header_levels(label: str, columns: Any) -> DataError:
    """QR203 for a pandas frame whose columns have several levels (a MultiIndex, as ``read_excel``
    with ``header=[0, 1]`` gives): a table has one header row, so no region column was found.
    The suggestion names a level whose names tell every column apart, when one does."""
    levels = [[str(c) for c in columns.get_level_values(k)] for k in range(columns.nlevels)]
    apart = next((k for k, names in enumerate(levels)
                  if all(n.strip() for n in names) and len(set(names)) == len(names)), None)
    flatten = "df.columns = [' '.join(map(str, c)).strip() for c in df.columns]"
    return DataError(Diagnostic(
        "QR203", tr("{label}: the columns have {levels} header rows (a pandas MultiIndex, such as {example}): a table "
                    "is read with one header row", label=label, levels=columns.nlevels, example=repr(columns[0])),
        suggestion=tr("flatten them: {flatten}", flatten=flatten) if apart is None else
        tr("keep the level that names the columns: df.columns = df.columns.get_level_values({level}); or flatten "
           "them: {flatten}", level=apart, flatten=flatten)))


def _dict_column(label: str, header: str, value: Any) -> Any:
    """One column of a dict of columns: one value per row (a list, a 1-dimensional array, a
    pandas/polars/pyarrow column); QR203 for a single value, a generator or rows of sequences."""
    column = value
    if not (type(value) is np.ndarray or _is_column(value)):
        try:
            column = np.asarray(value)
        except ValueError:      # ragged rows of sequences
            column = None
    if column is None or (isinstance(column, np.ndarray) and column.ndim != 1):
        raise DataError(Diagnostic("QR203", tr("{label}: column '{name}' must hold one value per row, not {value}",
                                               label=label, name=header, value=shown(value)),
                                   suggestion=tr("give a list or a 1-dimensional array with one value per row")))
    return column


def _is_column(value: Any) -> bool:
    return isinstance(value, np.ndarray) or module_of(value) in ("pandas", "polars", "pyarrow")


def _polars_row(frame: Any, row: int) -> list[Any] | None:
    """The cells of row ``row`` of a polars LazyFrame (its query run again for that row)."""
    found = frame.slice(row, 1).collect()
    return list(found.row(0)) if found.height else None


def dask_headers(frame: Any) -> list[str]:
    """The headers of a Dask DataFrame read as a table: a named index first, then the columns."""
    index = getattr(frame.index, "name", None)
    return ([] if index is None else [str(index)]) + [str(c) for c in frame.columns]


class DaskPartitions:
    """A Dask DataFrame's partitions, computed one at a time, in order, as lists of columns (a
    named index first, as a pandas DataFrame's: :func:`memory_table` makes it columns there too).
    ``row`` reads a row again (computing its partition again) to show it in a diagnostic."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame
        self.indexed = getattr(frame.index, "name", None) is not None
        self.headers = dask_headers(frame)
        self.starts = [0]           # the first row of each partition read so far, and one past the last
        self._last: tuple[int, Any] | None = None

    def part(self, index: int) -> Any:
        """Partition ``index`` as a pandas DataFrame (its named index a column)."""
        if self._last is None or self._last[0] != index:
            part = self.frame.partitions[index].compute()
            self._last = (index, part.reset_index() if self.indexed else part)
        return self._last[1]

    def __iter__(self) -> Iterator[tuple[list[Any], int]]:
        for index in range(self.frame.npartitions):
            part = self.part(index)
            if len(self.starts) == index + 1:
                self.starts.append(self.starts[-1] + len(part))
            yield [part.iloc[:, j] for j in range(part.shape[1])], len(part)

    def row(self, row: int) -> list[Any] | None:
        index = bisect.bisect_right(self.starts, row) - 1
        if not 0 <= index < len(self.starts) - 1:
            return None
        part = self.part(index)
        return [value_at(prepare(part.iloc[:, j]), row - self.starts[index]) for j in range(part.shape[1])]
