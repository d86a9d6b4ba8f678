"""Running a record plan over sources (files, tables, iterables of chunks): compute_indicators."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy.typing as npt

from ..errors import DataError, Diagnostic, refuse, shown
from ..i18n import tr
from ..language import model as m
from ..language.text import normalize
from ..packs.regions import Hierarchy
from ..resources import cores
from .plan import RecordPlan, compile_plan, read_kinds
from .scan import GroupingState, TableState, merge_states, scan_chunk
from .table import IndicatorTable, finish

if TYPE_CHECKING:

    from ..packs.resolve import Pack


Array = npt.NDArray[Any]

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


def scan_table(plan: RecordPlan, table: str, source: Any, *, threads: int | None = None,
               chunk_rows: int | None = None, encoding: str | None = None,
               progress: Progress | None = None, warnings: list[Diagnostic] | None = None) -> TableState:
    """Merged partial states of every grouping of ``table`` over all chunks of ``source``
    (what reading noticed without refusing the records is added to ``warnings``).

    A chunk whose columns are still to be read (a Parquet row group) is read and scanned whole by
    one of ``threads`` workers, with one more queued, and frees its columns once scanned (memory
    stays at a few row groups); any other chunk's rows are split over the workers. A worker takes
    the next row group as soon as it is done with one, whichever chunk finishes first (row groups
    differ in size: waiting for the oldest left a worker idle); states merge in the order of the
    chunks, and an error is the first chunk's that has one."""
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

    from ..tables.record_chunks import Chunk, Noticed, chunks
    from ..tables.source import Table

    indices = [i for i, g in enumerate(plan.groupings) if g.table == table]
    states: TableState = {}
    workers = threads or cores()
    tables: list[Table] = []
    noticed: dict[int, Noticed] = {}        # id(table) -> what reading its chunks noticed

    def whole(chunk: Chunk) -> TableState:
        try:
            return {i: scan_chunk(plan.groupings[i], chunk) for i in indices}
        finally:
            chunk.release()

    def done(chunk: Chunk, found: TableState) -> None:
        merge_states(states, found)
        noticed.setdefault(id(chunk.table), Noticed()).add_chunk(chunk)

    pending: deque[tuple[Chunk, Future[TableState]]] = deque()

    def settle(unfinished: int) -> None:
        """Merge the finished chunks at the head of ``pending``, in order, until at most
        ``unfinished`` of them are still queued or being scanned."""
        while True:
            while pending and pending[0][1].done():
                earlier, future = pending.popleft()
                done(earlier, future.result())
            busy = [future for _, future in pending if not future.done()]
            if len(busy) <= unfinished:
                return
            wait(busy, return_when=FIRST_COMPLETED)

    if progress is not None:
        progress.start(table if not isinstance(source, (str, Path)) else str(source))
    with ThreadPoolExecutor(workers) if workers > 1 else _NoPool() as pool:
        try:
            for chunk in chunks(source, table, read_kinds(plan, table), encoding=encoding, chunk_rows=chunk_rows,
                                progress=progress, purposes=plan.purposes(table), tables=tables):
                if pool is not None and chunk.deferred:
                    pending.append((chunk, pool.submit(whole, chunk)))
                    settle(workers + 1)
                    continue
                settle(0)
                done(chunk, {i: scan_chunk(plan.groupings[i], chunk, pool, workers) for i in indices})
            settle(0)
        finally:
            for _, future in pending:         # after an error: the queued chunks are not read
                future.cancel()
    if progress is not None:
        progress.done()
    if warnings is not None:
        for read in tables:
            warnings.extend(read.warnings)
            if id(read) in noticed:
                warnings.extend(noticed[id(read)].diagnostics(read, plan.schema(table), plan.readers(table),
                                                                  plan.units(table)))
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
        "QR209", tr("cannot tell which records belong to which table; the pack reads {tables}",
                    tables=", ".join(tables)),
        suggestion=tr("pass a mapping {{table: records}} or files named after the tables (wastewater.csv …)")))


def table_of_path(path: Path, tables: Sequence[str]) -> str | None:
    """The table a file or directory holds records of, by its name: ``wastewater.csv``,
    ``wastewater-2015.csv``, ``air_daily.parquet``, ``air_daily/``."""
    try:
        folder = path.is_dir()
    except OSError:     # a name too long for the system is no folder (reading it says why)
        folder = False
    stem = normalize(path.name if folder else path.name.split(".")[0])
    for table in sorted(tables, key=len, reverse=True):
        if stem == table or (stem.startswith(table) and not stem[len(table)].isalnum()):
            return table
    return None


def _match_paths(plan: RecordPlan, paths: list[Path]) -> dict[str, Any]:
    from ..errors import did_you_mean

    found: dict[str, list[Path]] = {}
    problems = []
    for path in paths:
        table = table_of_path(path, plan.tables)
        if table is None:
            problems.append(Diagnostic(
                "QR209", tr("{path}: no indicator of the pack is defined from a table named like this file", path=path),
                suggestion=did_you_mean(path.name.split(".")[0], plan.tables)
                or tr("name record files after their table: {files}", files=", ".join(t + ".csv" for t in plan.tables))))
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
                       hierarchy: Hierarchy | Mapping[str, str] | Iterable[Sequence[Any]] | str | Path | None = None,
                       threads: int | None = None, chunk_rows: int | None = None, encoding: str | None = None,
                       progress: bool | Progress = False, backend: str = "numpy",
                       scheduler: Any = None) -> IndicatorTable:
    """Compute the record-defined indicators of a pack (or plan) from raw records.

    ``records``: ``{table: source}`` or paths named after the tables (``wastewater.csv``), where
    a source is a CSV or Parquet path, a Parquet directory, a pandas/polars DataFrame, an Arrow
    table, a mapping of column arrays, or an iterable of those (streamed chunk by chunk).
    ``hierarchy``: region → parent mapping (or :class:`Hierarchy`, or a CSV path); values are also computed for
    every ancestor region from the same records. ``chunk_rows`` splits inputs into chunks of at
    most that many rows (results are identical for any value). ``backend="dask"`` reads Parquet
    paths (or Dask DataFrames) as Dask partitions and merges their partial states."""
    plan = source if isinstance(source, RecordPlan) else compile_plan(source)
    if isinstance(hierarchy, (str, Path)):
        from .hierarchy import Hierarchy as _File

        hierarchy = _File.read(hierarchy)
    tree = hierarchy if isinstance(hierarchy, Hierarchy) or hierarchy is None else Hierarchy(hierarchy)
    sources = match_sources(plan, records)
    display = progress if isinstance(progress, Progress) else Progress() if progress else None
    states: dict[int, GroupingState] = {}
    warnings: list[Diagnostic] = []
    if backend not in ("numpy", "dask"):
        refuse(tr("unknown backend {backend}: use 'numpy' or 'dask'", backend=repr(backend)))
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int):
            refuse(tr("threads must be a whole number, not {value}", value=shown(threads)))
        if threads < 1:     # (0 was read as every core and -1 as one, unsaid)
            refuse(tr("threads must be at least 1, not {value}", value=threads),
                   suggestion=tr("leave threads out (None) to use every core"))
    for table, table_source in sources.items():
        for part in _pieces(table_source):
            if backend == "dask":
                from .dask_backend import scan_table_dask

                found = scan_table_dask(plan, table, part, scheduler=scheduler, warnings=warnings)
            else:
                found = scan_table(plan, table, part, threads=threads, chunk_rows=chunk_rows,
                                   encoding=encoding, progress=display, warnings=warnings)
            merge_states(states, found)
    return attrs.evolve(finish(plan, states, tree), warnings=tuple(warnings))
