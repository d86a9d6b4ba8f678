"""Dask backend for :mod:`qualityrules.records`: the same plan over a partitioned dataset.

Each partition is scanned by the numpy engine into partial states (``map_partitions``); the
states are merged pairwise in a tree of delayed tasks, so the merge runs on the workers and the
client only receives the final states, whose size depends on regions × years, not on rows. Sums
are exact, so the values — and the verdicts — are identical to the in-memory and chunked paths
whatever the partitioning. Works with any Dask scheduler: the local ones (``"synchronous"``,
``"threads"``, ``"processes"``) or a ``dask.distributed`` client.

Imported only when ``backend="dask"`` is asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataError, Diagnostic
from ..i18n import tr
from ..tables.frames import memory_table
from ..tables.record_chunks import check_columns, table_chunks
from .plan import RecordPlan, read_kinds
from .scan import TableState, merge_states, scan_chunk

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["scan_table_dask", "partial_states", "merge_states"]


def partial_states(frame: pd.DataFrame, plan: RecordPlan, table: str,
                   partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """One partition's partial states, as a one-row frame (``map_partitions`` needs a frame)."""
    import pandas as pd

    number = (partition_info or {}).get("number")
    records = memory_table(frame, f"records '{table}'" + ("" if number is None else f", partition {number}"))
    states: TableState = {}
    for chunk in table_chunks(records, read_kinds(plan, table), plan.purposes(table), None):
        merge_states(states, {i: scan_chunk(g, chunk) for i, g in enumerate(plan.groupings) if g.table == table})
    return pd.DataFrame({"states": pd.Series([states], dtype=object)})


def _states_of(frame: pd.DataFrame) -> TableState:
    """The partial states of a partition (the one row :func:`partial_states` returned)."""
    states: TableState = frame["states"].iloc[0]
    return states


def _is_parquet(source: str | Path) -> bool:
    """A Parquet file (by its suffix) or a directory of Parquet files (a local directory, or a
    URL without a suffix)."""
    text = str(source)
    suffix = Path(text).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return True
    return suffix == "" if "://" in text else Path(text).is_dir()


def scan_table_dask(plan: RecordPlan, table: str, source: Any, *, scheduler: Any = None) -> TableState:
    """Merged partial states of ``table`` from a Parquet path or URL (file or directory of files,
    read with ``dask.dataframe.read_parquet``) or a Dask DataFrame."""
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
    elif hasattr(source, "map_partitions"):
        frame = source
    else:
        path = str(source) if isinstance(source, (str, Path)) else None
        refused = tr("{path}: the Dask backend reads Parquet paths or Dask DataFrames, not this file", path=path) \
            if path else tr("records {table}: the Dask backend reads Parquet paths or Dask DataFrames, not {kind}",
                            table=repr(table), kind=type(source).__name__)
        raise DataError(Diagnostic(
            "QR203", refused,
            suggestion=tr("--dask reads Parquet records (a .parquet file or a directory of them); convert the "
                          "records to Parquet or leave out --dask / backend='dask'")))
    meta = pd.DataFrame({"states": pd.Series([], dtype=object)})
    parts = frame.map_partitions(partial_states, plan, table, meta=meta).to_delayed()
    level = [delayed(_states_of)(part) for part in parts]
    while len(level) > 1:     # a balanced tree of merges, run where the partials are
        merged = [delayed(merge_states)(a, b) for a, b in zip(level[::2], level[1::2], strict=False)]
        level = merged + level[len(merged) * 2:]
    if not level:
        return {}
    (states,) = compute(level[0], scheduler=scheduler)  # type: ignore[no-untyped-call]
    result: TableState = states
    return result
