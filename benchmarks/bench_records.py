"""Records benchmark: indicators from 10 million wastewater samples and 400,000 daily air-quality
rows (11 districts x 10 years), compared in one process with hand-written numpy, pandas, polars
and DuckDB on the same in-memory data.

Indicators (the shipped catalogue's definitions) and their rules, every year 2011-2020:
  工业废水达标排放率 = 100 * sum(volume where compliant) / sum(volume)      >= 95%
  空气质量优良天数比例 = 100 * share(where aqi <= 100)                    >= 90%
  PM2.5年均浓度 = mean(pm25)                                            <= 35 微克/立方米
1 % of volumes, AQIs and PM2.5 readings are NaN. Every baseline guards NaN explicitly (DuckDB and
polars order NaN above every number, so an unguarded ``aqi <= 100`` or ``sum`` goes wrong); every
result is checked against qualityrules' (relative 1e-9; qualityrules' sums are exact, the
baselines' are float sums).

Printed, all from this process:
  * wall time of each engine (best of several interleaved rounds) and its ratio to qualityrules;
  * extra peak memory of qualityrules and the numpy/pandas baselines (tracemalloc) as a multiple
    of the input arrays;
  * the chunked path (a Parquet file read row group by row group) at N = 10M and 40M wastewater
    rows, in a child process: time and peak RSS above the child's RSS after imports;
  * package versions.

Run: python benchmarks/bench_records.py [--quick]     (--quick: 1M rows, no 40M run)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import qualityrules
from qualityrules.records.compute import compute_indicators
from qualityrules.records.plan import compile_plan

DISTRICTS = ["罗湖区", "福田区", "南山区", "宝安区", "龙岗区", "盐田区", "龙华区", "坪山区", "光明区", "大鹏新区",
             "深汕特别合作区"]
Y0, YEARS = 2011, 10
PACK = """\
pack bench-records {
    region 深圳市
    level city
    period 2011..2020
    section 环境质量 {
        工业废水达标排放率 每年 >= 95%
        空气质量优良天数比例 每年 >= 90%
        PM2.5年均浓度 每年 <= 35微克/立方米
    }
}
"""
RATE, SHARE, PM = "工业废水达标排放率", "空气质量优良天数比例", "PM2.5年均浓度"
Result = dict[tuple[str, str, int], float]


# ------------------------------------------------------------------------------------------
# Data


def wastewater(n: int, seed: int = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    day0 = np.datetime64(f"{Y0}-01-01", "D").astype(np.int64)
    volume = rng.gamma(2.0, 10.0, n)
    volume[rng.random(n) < 0.01] = np.nan
    return {
        "district": rng.integers(0, len(DISTRICTS), n).astype(np.int8),
        "sample_date": (rng.integers(0, 3653, n) + day0).astype("datetime64[D]"),
        "volume": volume,
        "compliant": rng.random(n) < 0.93,
    }


def air(n: int, seed: int = 2) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    day0 = np.datetime64(f"{Y0}-01-01", "D").astype(np.int64)
    aqi = np.round(rng.gamma(4.0, 15.0, n))
    pm25 = rng.gamma(3.0, 10.0, n)
    aqi[rng.random(n) < 0.01] = np.nan
    pm25[rng.random(n) < 0.01] = np.nan
    return {
        "district": rng.integers(0, len(DISTRICTS), n).astype(np.int8),
        "day": (rng.integers(0, 3653, n) + day0).astype("datetime64[D]"),
        "aqi": aqi,
        "pm25": pm25,
    }


def nbytes(table: dict[str, Any]) -> int:
    return sum(int(a.nbytes) for a in table.values())


def ours_input(table: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    return {**table, "district": pd.Categorical.from_codes(table["district"], DISTRICTS)}


def arrow_table(table: dict[str, Any]) -> Any:
    import pyarrow as pa

    columns = {k: pa.array(v) for k, v in table.items() if k != "district"}
    return pa.table({"district": pa.DictionaryArray.from_arrays(pa.array(table["district"]), DISTRICTS), **columns})


def pandas_frame(table: dict[str, Any]) -> Any:
    import pandas as pd

    data = {k: v for k, v in table.items() if k != "district"}
    frame = pd.DataFrame({"district": pd.Categorical.from_codes(table["district"], DISTRICTS), **data})
    for column in ("sample_date", "day"):
        if column in frame:
            frame[column] = frame[column].astype("datetime64[s]")
    return frame


# ------------------------------------------------------------------------------------------
# Engines: each returns {(indicator, district, year): value}


def _collect(out: Result, name: str, values: np.ndarray) -> None:
    grid = values.reshape(len(DISTRICTS), YEARS)
    for d, district in enumerate(DISTRICTS):
        for y in range(YEARS):
            out[(name, district, Y0 + y)] = float(grid[d, y])


def numpy_baseline(ww: dict[str, Any], aq: dict[str, Any], *, lut: bool) -> Result:
    """Hand-written numpy: one combined group code per row, one weighted bincount per sum."""
    groups = len(DISTRICTS) * YEARS

    def codes(table: dict[str, Any], date: str) -> np.ndarray:
        if lut:     # year of each distinct day through a lookup table
            days = table[date].view(np.int64)
            low = int(days.min())
            years = (np.arange(low, int(days.max()) + 1).astype("datetime64[D]").astype("datetime64[Y]")
                     .astype(np.intp) + 1970 - Y0)
            year = np.take(years, days - low)
        else:
            year = table[date].astype("datetime64[Y]").astype(np.intp) + 1970 - Y0
        return table["district"].astype(np.intp) * YEARS + year

    out: Result = {}
    code = codes(ww, "sample_date")
    volume = ww["volume"]
    present = ~np.isnan(volume)
    v = np.where(present, volume, 0.0)
    total = np.bincount(code, weights=v, minlength=groups)
    good = np.bincount(code, weights=v * ww["compliant"], minlength=groups)
    with np.errstate(all="ignore"):
        _collect(out, RATE, 100 * good / total)
        code = codes(aq, "day")
        rows = np.bincount(code, minlength=groups)
        fine = np.bincount(code, weights=aq["aqi"] <= 100, minlength=groups)     # NaN <= 100 is False
        _collect(out, SHARE, 100 * fine / rows)
        pm = aq["pm25"]
        ok = ~np.isnan(pm)
        _collect(out, PM, np.bincount(code, weights=np.where(ok, pm, 0.0), minlength=groups)
                 / np.bincount(code, weights=ok, minlength=groups))
    return out


def _from_rows(out: Result, name: str, rows: Any) -> None:
    for district, year, value in rows:
        out[(name, str(district), int(year))] = float("nan") if value is None else float(value)


def pandas_baseline(ww: Any, aq: Any) -> Result:
    out: Result = {}
    w = ww.assign(year=ww.sample_date.dt.year, good=ww.volume.where(ww.compliant))
    sums = w.groupby(["district", "year"], observed=True)[["good", "volume"]].sum()   # sum skips NaN
    _from_rows(out, RATE, zip(*zip(*sums.index, strict=True), 100 * sums.good / sums.volume, strict=True))
    a = aq.assign(year=aq.day.dt.year, fine=aq.aqi.le(100))       # NaN <= 100 is False
    agg = a.groupby(["district", "year"], observed=True).agg(fine=("fine", "mean"), pm=("pm25", "mean"))
    _from_rows(out, SHARE, zip(*zip(*agg.index, strict=True), 100 * agg.fine, strict=True))
    _from_rows(out, PM, zip(*zip(*agg.index, strict=True), agg.pm, strict=True))
    return out


def polars_baseline(ww: Any, aq: Any) -> Result:
    import polars as pl

    out: Result = {}
    v = pl.col("volume")
    rate = ww.group_by(pl.col("district"), pl.col("sample_date").dt.year().alias("year")).agg(
        (100 * v.filter(pl.col("compliant") & v.is_not_nan()).sum() / v.filter(v.is_not_nan()).sum()).alias("x"))
    _from_rows(out, RATE, rate.iter_rows())
    aqi, pm = pl.col("aqi"), pl.col("pm25")
    res = aq.group_by(pl.col("district"), pl.col("day").dt.year().alias("year")).agg(
        (100 * ((aqi <= 100) & aqi.is_not_nan()).mean()).alias("share"),     # polars: NaN > every number
        pm.filter(pm.is_not_nan()).mean().alias("pm"))
    _from_rows(out, SHARE, res.select("district", "year", "share").iter_rows())
    _from_rows(out, PM, res.select("district", "year", "pm").iter_rows())
    return out


def duckdb_baseline(con: Any) -> Result:
    out: Result = {}
    _from_rows(out, RATE, con.execute(
        "SELECT district, year(sample_date), 100 * sum(volume) FILTER (WHERE compliant AND NOT isnan(volume)) "
        "/ sum(volume) FILTER (WHERE NOT isnan(volume)) FROM ww GROUP BY ALL").fetchall())
    rows = con.execute(
        "SELECT district, year(day), 100 * avg(CASE WHEN NOT isnan(aqi) AND aqi <= 100 THEN 1.0 ELSE 0.0 END), "
        "avg(pm25) FILTER (WHERE NOT isnan(pm25)) FROM air GROUP BY ALL").fetchall()
    _from_rows(out, SHARE, [(d, y, s) for d, y, s, _ in rows])
    _from_rows(out, PM, [(d, y, p) for d, y, _, p in rows])
    return out


def ours(plan: Any, ww: Any, aq: Any, threads: int | None = None) -> Result:
    table = compute_indicators(plan, {"wastewater": ww, "air_daily": aq}, threads=threads)
    return {(i, r, int(y)): float(v) for i, r, y, v in zip(table.indicator, table.region, table.year, table.value, strict=True)}


def check(name: str, got: Result, expected: Result) -> None:
    if got.keys() != expected.keys():
        raise SystemExit(f"{name}: different groups ({len(got)} vs {len(expected)})")
    for key, value in expected.items():
        other = got[key]
        if np.isnan(value) != np.isnan(other) or (not np.isnan(value) and abs(other - value) > 1e-9 * abs(value)):
            raise SystemExit(f"{name}: {key} = {other!r}, qualityrules says {value!r}")


def best_times(engines: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Best wall time of each engine over interleaved rounds (the machine may be shared)."""
    best = {name: float("inf") for name in engines}
    for _ in range(rounds):
        for name, run in engines.items():
            gc.collect()
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def extra_peak(run: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


# ------------------------------------------------------------------------------------------
# The chunked path, in a child process (clean peak RSS)


CHILD = r"""
import json, sys, time, tracemalloc
import numpy, pyarrow, pyarrow.parquet
import qualityrules
from qualityrules.records.compute import compute_indicators
pack = qualityrules.parse_pack(sys.argv[3])
def status(key):     # VmHWM is this address space's peak (ru_maxrss may carry the parent's, from the fork)
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key))
base = status("VmRSS")
if sys.argv[2] == "traced":
    tracemalloc.start()
start = time.perf_counter()
if sys.argv[2] == "read":      # pyarrow alone: the same batches, nothing computed
    for batch in pyarrow.parquet.ParquetFile(sys.argv[1], pre_buffer=False).iter_batches(batch_size=1 << 18, use_threads=False):
        pass
else:
    compute_indicators(pack, {"wastewater": sys.argv[1]}, threads=1)
elapsed = time.perf_counter() - start
traced = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else 0
print(json.dumps({"seconds": elapsed, "extra": status("VmHWM") - base, "traced": traced,
                  "arrow": pyarrow.default_memory_pool().max_memory()}))
"""


def write_parquet(path: Path, n: int) -> int:
    import pyarrow.parquet as pq

    step = 5_000_000
    writer = None
    size = 0
    for start in range(0, n, step):
        part = wastewater(min(step, n - start), seed=100 + start // step)
        table = arrow_table(part)
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, use_dictionary=["district", "sample_date"])
        writer.write_table(table, row_group_size=1 << 20)
        size += nbytes(part)
    assert writer is not None
    writer.close()
    return size


def chunked(n: int, directory: Path) -> dict[str, Any]:
    path = directory / f"wastewater-{n}.parquet"
    result: dict[str, Any] = {"in_memory": write_parquet(path, n), "file": path.stat().st_size}
    for mode in ("read", "compute", "traced"):
        child = subprocess.run([sys.executable, "-c", CHILD, str(path), mode, PACK], capture_output=True, text=True,
                               check=True)
        result[mode] = json.loads(child.stdout)
    path.unlink()
    return result


# ------------------------------------------------------------------------------------------


def versions() -> str:
    import dask
    import duckdb
    import pandas
    import polars
    import pyarrow

    return (f"python {platform.python_version()}, numpy {np.__version__}, pandas {pandas.__version__}, "
            f"polars {polars.__version__}, duckdb {duckdb.__version__}, pyarrow {pyarrow.__version__}, "
            f"dask {dask.__version__}, qualityrules {qualityrules.__version__}; {platform.machine()}, "
            f"{os.cpu_count()} cpus")


def main() -> None:
    import duckdb
    import polars as pl

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1M rows, no 40M chunked run")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n_ww = 1_000_000 if args.quick else 10_000_000
    n_air = 400_000

    pack = qualityrules.parse_pack(PACK, source="bench-records.qr")
    plan = compile_plan(pack)
    ww, aq = wastewater(n_ww), air(n_air)
    input_bytes = nbytes(ww) + nbytes(aq)
    ww_ours, aq_ours = ours_input(ww), ours_input(aq)
    ww_arrow, aq_arrow = arrow_table(ww), arrow_table(aq)
    ww_pd, aq_pd = pandas_frame(ww), pandas_frame(aq)
    ww_pl, aq_pl = pl.from_arrow(ww_arrow), pl.from_arrow(aq_arrow)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.register("ww", ww_arrow)
    con.register("air", aq_arrow)

    engines: dict[str, Callable[[], Any]] = {
        "qualityrules": lambda: ours(plan, ww_ours, aq_ours),
        "qualityrules, 1 thread": lambda: ours(plan, ww_ours, aq_ours, threads=1),
        "qualityrules, from Arrow": lambda: ours(plan, ww_arrow, aq_arrow),
        "numpy (day lookup table)": lambda: numpy_baseline(ww, aq, lut=True),
        "numpy (astype datetime64[Y])": lambda: numpy_baseline(ww, aq, lut=False),
        "DuckDB (2 threads)": lambda: duckdb_baseline(con),
        "polars": lambda: polars_baseline(ww_pl, aq_pl),
        "pandas groupby": lambda: pandas_baseline(ww_pd, aq_pd),
    }
    expected = ours(plan, ww_ours, aq_ours)
    for name, run in engines.items():
        if name != "qualityrules":      # the reference itself
            check(name, run(), expected)
    times = best_times(engines, args.rounds)
    memory = {
        "qualityrules": extra_peak(engines["qualityrules"]),
        "numpy (day lookup table)": extra_peak(engines["numpy (day lookup table)"]),
        "numpy (astype datetime64[Y])": extra_peak(engines["numpy (astype datetime64[Y])"]),
        "pandas groupby": extra_peak(engines["pandas groupby"]),
    }
    start = time.perf_counter()
    report = qualityrules.check_records(pack, {"wastewater": ww_ours, "air_daily": aq_ours})
    verdict_seconds = time.perf_counter() - start

    ref = times["qualityrules"]
    print(f"\n{n_ww:,} wastewater samples + {n_air:,} air-quality rows, {len(DISTRICTS)} districts x {YEARS} years, "
          f"3 indicators; input arrays {input_bytes / 2**20:,.0f} MiB; best of {args.rounds} rounds\n")
    print("| engine | time (ms) | time / qualityrules | extra peak memory / input |")
    print("|---|---:|---:|---:|")
    for name, seconds in times.items():
        mem = f"{memory[name] / input_bytes:.2f}" if name in memory else "n/a (not traced)"
        print(f"| {name} | {seconds * 1000:,.1f} | {seconds / ref:.2f} | {mem} |")
    print(f"\nall engines agree with qualityrules (relative 1e-9) on {len(expected)} values; "
          f"{sum(1 for value in expected.values() if np.isnan(value))} unknown")
    print(f"records -> verdicts end to end (check_records): {verdict_seconds * 1000:,.0f} ms; {report.summary()}")
    if not args.quick:
        print("\nchunked path (Parquet file, 1M-row row groups read in 256K-row batches, 1 thread), child processes: "
              "peak RSS above the RSS after imports (allocator-dependent: pyarrow's mimalloc keeps freed pages a while), "
              "and the bytes actually held at the peak: numpy and Python (tracemalloc) plus Arrow's pool:")
        print("| wastewater rows | file (MiB) | as arrays (MiB) | time (s) | peak RSS (MiB) | numpy+Python peak (MiB) | "
              "Arrow pool peak (MiB) | pyarrow read alone: time (s) | peak RSS (MiB) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        with tempfile.TemporaryDirectory() as directory:
            for n in (10_000_000, 40_000_000):
                r = chunked(n, Path(directory))
                c, t, rd = r["compute"], r["traced"], r["read"]
                print(f"| {n:,} | {r['file'] / 2**20:,.0f} | {r['in_memory'] / 2**20:,.0f} | {c['seconds']:.2f} | "
                      f"{c['extra'] / 2**20:,.0f} | {t['traced'] / 2**20:,.0f} | {t['arrow'] / 2**20:,.0f} | "
                      f"{rd['seconds']:.2f} | {rd['extra'] / 2**20:,.0f} |")
    print(f"\n{versions()}")


if __name__ == "__main__":
    main()
