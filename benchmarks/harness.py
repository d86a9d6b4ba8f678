"""What the side-by-side benchmarks share: interleaved timing and the versions line."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any


def interleaved(engines: dict[str, Callable[[], Any]], rounds: int) -> dict[str, tuple[float, float]]:
    """(median wall time, median process CPU time) of each engine over ``rounds`` interleaved
    rounds, after a warm-up round. On a shared machine wall time includes waiting for a core;
    CPU time does not (for a multi-threaded engine it adds up every thread's)."""
    for run in engines.values():
        run()
    wall: dict[str, list[float]] = {name: [] for name in engines}
    cpu: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(rounds):
        for name, run in engines.items():
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            cpu[name].append(time.process_time() - start_cpu)
            wall[name].append(time.perf_counter() - start)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in engines}


def versions() -> str:
    """Package versions, the machine and its core count."""
    import dask
    import duckdb
    import numpy
    import pandas
    import polars
    import pyarrow

    import qualityrules

    return (f"python {platform.python_version()}, numpy {numpy.__version__}, pandas {pandas.__version__}, "
            f"polars {polars.__version__}, duckdb {duckdb.__version__}, pyarrow {pyarrow.__version__}, "
            f"dask {dask.__version__}, qualityrules {qualityrules.__version__}; {platform.machine()}, "
            f"{os.cpu_count()} cores")
