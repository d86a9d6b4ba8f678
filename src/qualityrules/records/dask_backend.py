"""Dask backend for :mod:`qualityrules.records`: the same plan over a partitioned dataset.

Each partition is scanned by the numpy engine into partial states (``map_partitions``); the
states are merged pairwise in a tree of delayed tasks, so the merge runs on the workers and the
client only receives the final states, whose size depends on regions × years, not on rows. Sums
are exact, so the values — and the verdicts — are identical to the in-memory and chunked paths
whatever the partitioning. Works with any Dask scheduler: the local ones (``"synchronous"``,
``"threads"``, ``"processes"``) or a ``dask.distributed`` client.

Diagnostics are the in-memory path's too. A worker does not know how many rows come before its
partition, so what its partition's table is asked to say (an error, a warning) is kept as asked,
with the cells of the row, and what reading noticed (±inf, footnote markers) as rows of the
partition; the client numbers those rows in the whole table once the partitions' lengths are
back, and says it all there: the same codes, counts and row numbers for any partitioning. A
refused partition does not stop the others, so the error shown is always the first partition's
that has one, as in the in-memory path over the same partitions.

Imported only when ``backend="dask"`` is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import DataError, Diagnostic, QualityRulesError, Severity
from ..i18n import tr
from ..language import model as m
from ..tables.frames import MemoryTable, dask_headers, memory_table
from ..tables.record_chunks import Noticed, check_columns, table_chunks
from ..tables.source import Batch, Table, rendered_span
from .plan import RecordPlan, read_kinds
from .scan import TableState, merge_states, scan_chunk

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["scan_table_dask", "partial_states", "merge_states"]

#: A diagnostic as a partition's table was asked for it: code, message, row (of the partition),
#: column, suggestion, severity (see :meth:`Table.diagnostic`).
Asked = tuple[str, str, int | None, int | None, str | None, Severity]


class _Recording(Table):
    """A partition's table on a worker: reads as ``inner`` does, and keeps every diagnostic asked
    of it as asked, with the cells of its row, to be made again on the client."""

    def __init__(self, inner: MemoryTable) -> None:
        super().__init__()
        self.inner = inner
        self.name = inner.name
        self.headers = inner.headers
        self.asked: dict[int, Asked] = {}           # id(diagnostic made here) -> as asked
        self.cells: dict[int, list[str]] = {}       # row of the partition -> its cells

    @property
    def rows(self) -> int:
        return self.inner.rows

    def batches(self, columns: Sequence[int] | None = None, rows: int | None = None,
                dictionary: Sequence[int] = ()) -> Iterator[Batch]:
        return self.inner.batches(columns, rows, dictionary)

    def locate(self, row: int | None, column: int | None) -> m.Span | None:
        return self.inner.locate(row, column)

    def keep(self, row: int) -> None:
        if row not in self.cells:
            self.cells[row] = self.inner.cells(row)

    def diagnostic(self, code: str, message: str, row: int | None = None, column: int | None = None,
                   suggestion: str | None = None, severity: Severity = Severity.ERROR) -> Diagnostic:
        made = super().diagnostic(code, message, row, column, suggestion, severity)
        self.asked[id(made)] = (code, message, row, column, suggestion, severity)
        if row is not None:
            self.keep(row)
        return made

    def as_asked(self, diagnostics: Sequence[Diagnostic]) -> list[Asked | Diagnostic]:
        """``diagnostics`` as asked (one not made by this table, e.g. a sum too large, as it is)."""
        return [self.asked.get(id(d), d) for d in diagnostics]


@attrs.define
class _Partition:
    """What scanning one partition gave besides its states: its length, what reading noticed
    (rows of the partition), its table's warnings and, when it was refused, its error (the
    error's type and diagnostics), as asked; ``cells``: the rows those show."""

    rows: int
    noticed: Noticed
    warnings: list[Asked | Diagnostic]
    error: tuple[type[QualityRulesError], list[Asked | Diagnostic]] | None
    cells: dict[int, list[str]]


@attrs.define
class _Partials:
    """The merged states of a run of adjacent partitions (empty once one was refused), and what
    each of them gave, in order."""

    states: TableState
    parts: list[_Partition]

    @property
    def refused(self) -> bool:
        return any(p.error is not None for p in self.parts)


def partial_states(frame: pd.DataFrame, plan: RecordPlan, table: str, name: str) -> pd.DataFrame:
    """One partition's partial states, as a one-row frame (``map_partitions`` needs a frame)."""
    import pandas as pd

    inner = memory_table(frame, name)
    assert isinstance(inner, MemoryTable)       # a partition is a pandas DataFrame
    records = _Recording(inner)
    states: TableState = {}
    noticed = Noticed()
    error = None
    try:
        for chunk in table_chunks(records, read_kinds(plan, table), plan.purposes(table), None):
            merge_states(states, {i: scan_chunk(g, chunk) for i, g in enumerate(plan.groupings) if g.table == table})
            noticed.add_chunk(chunk)
    except QualityRulesError as refused:
        error, states = (type(refused), records.as_asked(refused.diagnostics)), {}
    for row in noticed.rows():
        records.keep(row)
    part = _Partition(records.rows, noticed, records.as_asked(records.warnings), error, records.cells)
    return pd.DataFrame({"partials": pd.Series([_Partials(states, [part])], dtype=object)})


def _partials_of(frame: pd.DataFrame) -> _Partials:
    """The partials of a partition (the one row :func:`partial_states` returned)."""
    partials: _Partials = frame["partials"].iloc[0]
    return partials


def _merged(left: _Partials, right: _Partials) -> _Partials:
    """Two runs of partitions, ``right`` after ``left``, as one."""
    refused = left.refused or right.refused
    return _Partials({} if refused else merge_states(left.states, right.states), left.parts + right.parts)


class _Whole(Table):
    """The whole table on the client, as far as its diagnostics show it: its name, headers and the
    cells of the rows they point at (rows of the whole table)."""

    def __init__(self, name: str, headers: list[str]) -> None:
        super().__init__()
        self.name = name
        self.headers = headers
        self.cells: dict[int, list[str]] = {}

    def locate(self, row: int | None, column: int | None) -> m.Span | None:
        if row is None:
            return rendered_span(self.name, self.header_row, self.headers, column)
        cells = self.cells.get(row)
        return None if cells is None else rendered_span(self.name, self.row_number(row), cells, column)

    def made(self, asked: Asked | Diagnostic, offset: int) -> Diagnostic:
        """A diagnostic asked of the partition whose first row is ``offset``."""
        if isinstance(asked, Diagnostic):
            return asked
        code, message, row, column, suggestion, severity = asked
        return self.diagnostic(code, message, None if row is None else offset + row, column, suggestion, severity)


def _said(partials: _Partials, whole: _Whole, plan: RecordPlan, table: str, warnings: list[Diagnostic]) -> None:
    """Number the partitions' rows in the whole table, then raise the first partition's error, or
    add the warnings (the partitions' own, then what reading noticed) to ``warnings``."""
    noticed = Noticed()
    said: list[Diagnostic] = []
    offset = 0
    for part in partials.parts:
        whole.cells.update({offset + row: cells for row, cells in part.cells.items()})
        if part.error is not None:
            kind, asked = part.error
            raise kind([whole.made(a, offset) for a in asked])
        said.extend(whole.made(a, offset) for a in part.warnings)
        for (what, name), (row, count, detail, position) in part.noticed.found.items():
            noticed.note(what, name, offset + row, count, detail, position)
        offset += part.rows
    warnings.extend(said)
    warnings.extend(noticed.diagnostics(whole, plan.schema(table), plan.readers(table), plan.units(table)))


def _is_parquet(source: str | Path) -> bool:
    """A Parquet file (by its suffix) or a directory of Parquet files (a local directory, or a
    URL without a suffix)."""
    text = str(source)
    suffix = Path(text).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return True
    return suffix == "" if "://" in text else Path(text).is_dir()


def scan_table_dask(plan: RecordPlan, table: str, source: Any, *, scheduler: Any = None,
                    warnings: list[Diagnostic] | None = None) -> TableState:
    """Merged partial states of ``table`` from a Parquet path or URL (file or directory of files,
    read with ``dask.dataframe.read_parquet``) or a Dask DataFrame; what reading noticed without
    refusing the records is added to ``warnings``, rows numbered in the whole table (a Parquet
    dataset's in Dask's order of its partitions)."""
    import dask.dataframe as dd
    import pandas as pd
    from dask.base import compute
    from dask.delayed import delayed

    columns = read_kinds(plan, table)
    if isinstance(source, (str, Path)) and _is_parquet(source):
        frame = dd.read_parquet(str(source))
        positions = check_columns(memory_table({str(c): [] for c in frame.columns}, str(source)),
                                  plan.purposes(table))
        frame = frame[[str(frame.columns[positions[n]]) for n in columns]]
        name = str(source)
    elif hasattr(source, "map_partitions"):
        frame, name = source, f"records '{table}'"
    else:
        path = str(source) if isinstance(source, (str, Path)) else None
        refused = tr("{path}: the Dask backend reads Parquet paths or Dask DataFrames, not this file", path=path) \
            if path else tr("records {table}: the Dask backend reads Parquet paths or Dask DataFrames, not {kind}",
                            table=repr(table), kind=type(source).__name__)
        raise DataError(Diagnostic(
            "QR203", refused,
            suggestion=tr("--dask reads Parquet records (a .parquet file or a directory of them); convert the "
                          "records to Parquet or leave out --dask / backend='dask'")))
    meta = pd.DataFrame({"partials": pd.Series([], dtype=object)})
    parts = frame.map_partitions(partial_states, plan, table, name, meta=meta).to_delayed()
    level = [delayed(_partials_of)(part) for part in parts]
    while len(level) > 1:     # a balanced tree of merges, run where the partials are, in the order of rows
        merged = [delayed(_merged)(a, b) for a, b in zip(level[::2], level[1::2], strict=False)]
        level = merged + level[len(merged) * 2:]
    if not level:
        return {}
    (partials,) = compute(level[0], scheduler=scheduler)  # type: ignore[no-untyped-call]
    _said(partials, _Whole(name, dask_headers(frame)), plan, table, [] if warnings is None else warnings)
    result: TableState = partials.states
    return result
