"""Records benchmark (workload W1): 10 million wastewater samples and 401,500 daily air-quality
rows (11 districts x 10 years, plain integer district codes) to 330 verdicts, side by side in one
process with a tuned numpy weighted bincount, DuckDB (2 threads), polars and pandas.

Indicators (the shipped catalogue's definitions) and their rules, every year 2011-2020, for the
districts the pack names in its scope (so every target binds them):
  工业废水达标排放率 = 100 * sum(volume where compliant) / sum(volume)      >= 95%
  空气质量优良天数比例 = 100 * share(where aqi <= 100)                    >= 90%
  PM2.5年均浓度 = mean(pm25)                                            <= 35 微克/立方米
Values as instruments record them (volumes to 0.01 m³, AQI whole, PM2.5 to 0.1 µg/m³; a second
comparison uses random floats of 17 digits), 1 % of volumes, AQIs and PM2.5 readings NaN; every
baseline guards NaN explicitly (DuckDB and
polars order NaN above every number). Every engine starts from the user's arrays (a dict of numpy
arrays for numpy and qualityrules, the same columns as an Arrow table for DuckDB, a polars and a
pandas DataFrame) and ends with the 330 values and verdicts; every baseline's values (relative
1e-9: qualityrules' sums are exact, the baselines' are float sums) and verdicts are checked equal
to qualityrules' before timing. Times are medians of interleaved rounds after a warm-up.

Printed: the in-memory table (wall and CPU time, ratios to qualityrules; the headline row is
``check_records`` on plain integer codes), then the same records as a folder of Parquet files
(10M and 40M rows) read by qualityrules and by DuckDB (2 threads), each in a child process:
time and peak memory above the process's memory after imports.

Run: python benchmarks/bench_records.py [--quick]     (--quick: 1M rows, no Parquet runs)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from harness import interleaved, versions

import qualityrules

DISTRICTS = 11
Y0, YEARS = 2011, 10
PACK = """\
pack bench-records {
    region 深圳市
    level city
    period 2011..2020
    scope 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
    section 环境质量 {
        工业废水达标排放率 每年 >= 95%
        空气质量优良天数比例 每年 >= 90%
        PM2.5年均浓度 每年 <= 35微克/立方米
    }
}
"""
RATE, SHARE, PM = "工业废水达标排放率", "空气质量优良天数比例", "PM2.5年均浓度"
THRESHOLD = {RATE: (95.0, 1), SHARE: (90.0, 1), PM: (35.0, -1)}     # (bound, +1 for >=, -1 for <=)
Result = dict[tuple[str, int, int], float]


# ------------------------------------------------------------------------------------------
# Data


def wastewater(n: int, seed: int = 1, recorded: bool = True) -> dict[str, np.ndarray]:
    """Samples; ``recorded``: volumes to 0.01 m³ as meters record them (else every value a random
    float of 17 significant digits)."""
    rng = np.random.default_rng(seed)
    day0 = np.datetime64(f"{Y0}-01-01", "D").astype(np.int64)
    volume = rng.gamma(2.0, 10.0, n)
    if recorded:
        volume = np.round(volume, 2)
    volume[rng.random(n) < 0.01] = np.nan
    return {
        "district": rng.integers(0, DISTRICTS, n).astype(np.int8),
        "sample_date": (rng.integers(0, 3653, n) + day0).astype("datetime64[D]"),
        "volume": volume,
        "compliant": rng.random(n) < 0.93,
    }


def air(n: int, seed: int = 2, recorded: bool = True) -> dict[str, np.ndarray]:
    """Daily readings; ``recorded``: PM2.5 to 0.1 µg/m³ (else random floats), AQI whole numbers."""
    rng = np.random.default_rng(seed)
    day0 = np.datetime64(f"{Y0}-01-01", "D").astype(np.int64)
    aqi = np.round(rng.gamma(4.0, 15.0, n))
    pm25 = rng.gamma(3.0, 10.0, n)
    if recorded:
        pm25 = np.round(pm25, 1)
    aqi[rng.random(n) < 0.01] = np.nan
    pm25[rng.random(n) < 0.01] = np.nan
    return {
        "district": rng.integers(0, DISTRICTS, n).astype(np.int8),
        "day": (rng.integers(0, 3653, n) + day0).astype("datetime64[D]"),
        "aqi": aqi,
        "pm25": pm25,
    }


def nbytes(table: dict[str, np.ndarray]) -> int:
    return sum(int(a.nbytes) for a in table.values())


# ------------------------------------------------------------------------------------------
# Engines: each returns ({(indicator, district, year): value}, {(indicator, district, year): passed})


def verdicts(values: Result) -> dict[tuple[str, int, int], bool]:
    out = {}
    for key, value in values.items():
        bound, sign = THRESHOLD[key[0]]
        out[key] = bool(value >= bound) if sign > 0 else bool(value <= bound)
    return out


def _collect(out: Result, name: str, values: np.ndarray) -> None:
    grid = values.reshape(DISTRICTS, YEARS)
    for d in range(DISTRICTS):
        for y in range(YEARS):
            out[(name, d, Y0 + y)] = float(grid[d, y])


def numpy_baseline(ww: dict[str, np.ndarray], aq: dict[str, np.ndarray], block: int = 1 << 20) -> Any:
    """Tuned numpy: one group code per row (the year of each distinct day through a lookup
    table), one weighted bincount per sum, over blocks of rows with buffers allocated once (no
    temporaries of the table's size)."""
    groups = DISTRICTS * YEARS

    def year_table(days: np.ndarray) -> tuple[int, np.ndarray]:
        low = int(days.min())
        years = (np.arange(low, int(days.max()) + 1).astype("datetime64[D]").astype("datetime64[Y]")
                 .astype(np.intp) + 1970 - Y0)
        return low, years

    def sums(table: dict[str, np.ndarray], date: str, columns: Any) -> list[np.ndarray]:
        """Per group: the row count and each column's weighted bincount, block by block."""
        days = table[date].view(np.int64)
        low, years = year_table(days)
        n = len(days)
        code = np.empty(min(block, n), np.intp)
        weight = np.empty(min(block, n))
        out = [np.zeros(groups) for _ in range(len(columns) + 1)]
        for s in range(0, n, block):
            e = min(s + block, n)
            c = code[:e - s]
            np.subtract(days[s:e], low, out=c)
            np.take(years, c, out=c)
            c += table["district"][s:e].astype(np.intp) * YEARS
            out[0] += np.bincount(c, minlength=groups)
            for k, fill in enumerate(columns, 1):
                w = weight[:e - s]
                fill(table, s, e, w)
                out[k] += np.bincount(c, weights=w, minlength=groups)
        return out

    def volume(t: dict[str, np.ndarray], s: int, e: int, w: np.ndarray) -> None:
        v = t["volume"][s:e]
        np.copyto(w, v)
        w[np.isnan(v)] = 0.0

    def compliant_volume(t: dict[str, np.ndarray], s: int, e: int, w: np.ndarray) -> None:
        volume(t, s, e, w)
        w[~t["compliant"][s:e]] = 0.0

    def fine(t: dict[str, np.ndarray], s: int, e: int, w: np.ndarray) -> None:
        np.less_equal(t["aqi"][s:e], 100, out=w, casting="unsafe")          # NaN <= 100 is False

    def pm(t: dict[str, np.ndarray], s: int, e: int, w: np.ndarray) -> None:
        p = t["pm25"][s:e]
        np.copyto(w, p)
        w[np.isnan(p)] = 0.0

    def pm_present(t: dict[str, np.ndarray], s: int, e: int, w: np.ndarray) -> None:
        np.isfinite(t["pm25"][s:e], out=w, casting="unsafe")

    out: Result = {}
    _, total, good = sums(ww, "sample_date", [volume, compliant_volume])
    rows, fine_days, pm_sum, pm_rows = sums(aq, "day", [fine, pm, pm_present])
    with np.errstate(all="ignore"):
        _collect(out, RATE, 100 * good / total)
        _collect(out, SHARE, 100 * fine_days / rows)
        _collect(out, PM, pm_sum / pm_rows)
    return out, verdicts(out)


def _from_rows(out: Result, name: str, rows: Any) -> None:
    for district, year, value in rows:
        out[(name, int(district), int(year))] = float("nan") if value is None else float(value)


def pandas_baseline(ww: Any, aq: Any) -> Any:
    out: Result = {}
    w = ww.assign(year=ww.sample_date.dt.year, good=ww.volume.where(ww.compliant))
    sums = w.groupby(["district", "year"])[["good", "volume"]].sum()   # sum skips NaN
    _from_rows(out, RATE, zip(*zip(*sums.index, strict=True), 100 * sums.good / sums.volume, strict=True))
    a = aq.assign(year=aq.day.dt.year, fine=aq.aqi.le(100))       # NaN <= 100 is False
    agg = a.groupby(["district", "year"]).agg(fine=("fine", "mean"), pm=("pm25", "mean"))
    _from_rows(out, SHARE, zip(*zip(*agg.index, strict=True), 100 * agg.fine, strict=True))
    _from_rows(out, PM, zip(*zip(*agg.index, strict=True), agg.pm, strict=True))
    return out, verdicts(out)


def polars_baseline(ww: Any, aq: Any) -> Any:
    """polars, plain when/then (NaN guarded: polars orders NaN above every number)."""
    import polars as pl

    out: Result = {}
    v = pl.col("volume")
    known = v.is_not_nan()
    rate = ww.group_by(pl.col("district"), pl.col("sample_date").dt.year().alias("year")).agg(
        (100 * pl.when(pl.col("compliant") & known).then(v).otherwise(0.0).sum()
         / pl.when(known).then(v).otherwise(0.0).sum()).alias("x"))
    _from_rows(out, RATE, rate.iter_rows())
    aqi, pm = pl.col("aqi"), pl.col("pm25")
    res = aq.group_by(pl.col("district"), pl.col("day").dt.year().alias("year")).agg(
        (100 * pl.when(aqi.is_not_nan() & (aqi <= 100)).then(1.0).otherwise(0.0).mean()).alias("share"),
        (pl.when(pm.is_not_nan()).then(pm).otherwise(0.0).sum()
         / pl.when(pm.is_not_nan()).then(1.0).otherwise(0.0).sum()).alias("pm"))
    _from_rows(out, SHARE, res.select("district", "year", "share").iter_rows())
    _from_rows(out, PM, res.select("district", "year", "pm").iter_rows())
    return out, verdicts(out)


RATE_SQL = ("SELECT district, year(sample_date), 100 * sum(volume) FILTER (WHERE compliant AND NOT isnan(volume)) "
            "/ sum(volume) FILTER (WHERE NOT isnan(volume)) FROM {ww} GROUP BY ALL")
AIR_SQL = ("SELECT district, year(day), 100 * avg(CASE WHEN NOT isnan(aqi) AND aqi <= 100 THEN 1.0 ELSE 0.0 END), "
           "avg(pm25) FILTER (WHERE NOT isnan(pm25)) FROM {air} GROUP BY ALL")


def duckdb_baseline(con: Any, ww: str = "ww", air_table: str = "air") -> Any:
    out: Result = {}
    _from_rows(out, RATE, con.execute(RATE_SQL.format(ww=ww)).fetchall())
    if air_table:
        rows = con.execute(AIR_SQL.format(air=air_table)).fetchall()
        _from_rows(out, SHARE, [(d, y, s) for d, y, s, _ in rows])
        _from_rows(out, PM, [(d, y, p) for d, y, _, p in rows])
    return out, verdicts(out)


def ours(pack: Any, ww: Any, aq: Any, **options: Any) -> Any:
    """check_records: records -> indicator values -> evaluation -> the verdict matrix."""
    report = qualityrules.check_records(pack, {"wastewater": ww, "air_daily": aq}, **options)
    assert report.outcomes.shape[1] == 3     # the verdicts ([region, rule] codes), derived lazily otherwise
    return report


def our_values(report: Any) -> Any:
    values: Result = {}
    passed: dict[tuple[str, int, int], bool] = {}
    for row in report.results():
        key = (row["indicator"], int(row["region"]), int(row["year"]))
        values[key] = float("nan") if row["value"] is None else float(row["value"])
        passed[key] = row["verdict"] == "pass"
    return values, passed


def check(name: str, got: Any, expected: Any) -> None:
    (values, passed), (want, want_passed) = got, expected
    if values.keys() != want.keys():
        raise SystemExit(f"{name}: different groups ({len(values)} vs {len(want)})")
    for key, value in want.items():
        other = values[key]
        if np.isnan(value) != np.isnan(other) or (not np.isnan(value) and abs(other - value) > 1e-9 * abs(value)):
            raise SystemExit(f"{name}: {key} = {other!r}, qualityrules says {value!r}")
        if passed[key] != want_passed[key]:
            raise SystemExit(f"{name}: verdict of {key} differs")


# ------------------------------------------------------------------------------------------
# Parquet folders, in child processes (clean peak memory)


CHILD = r"""
import json, sys, time
engine, folder, pack_text = sys.argv[1], sys.argv[2], sys.argv[3]
import numpy, pyarrow, pyarrow.compute, pyarrow.parquet, duckdb, qualityrules, concurrent.futures
# Both engines' code is loaded before the clock starts: qualityrules' modules (imported on first
# use) and pandas, which pyarrow imports on its first conversion of an array when it is installed.
import pandas
import qualityrules.records.compute, qualityrules.tables.record_chunks, qualityrules.engine.evaluation
import qualityrules.report.report
def status(key):     # VmHWM is this address space's peak
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key))
pack = qualityrules.parse_pack(pack_text)
base = status("VmRSS")
start, start_cpu = time.perf_counter(), time.process_time()
if engine == "qualityrules":
    report = qualityrules.check_records(pack, {"wastewater": folder}, threads=2)
    values = {(r["region"], r["year"]): r["value"] for r in report.results() if r["indicator"] == sys.argv[4]}
else:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    rows = con.execute(sys.argv[5].format(ww=f"read_parquet('{folder}/*.parquet')")).fetchall()
    values = {(str(d), int(y)): v for d, y, v in rows}
elapsed, cpu = time.perf_counter() - start, time.process_time() - start_cpu
print(json.dumps({"seconds": elapsed, "cpu": cpu, "extra": status("VmHWM") - base,
                  "values": sorted([[k[0], k[1], v] for k, v in values.items()])}))
"""


def write_folder(folder: Path, n: int) -> int:
    """Wastewater records as Parquet files of 2.5M rows each (plain int8 district codes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    size = 0
    step = 2_500_000
    for number, start in enumerate(range(0, n, step)):
        part = wastewater(min(step, n - start), seed=100 + number)
        pq.write_table(pa.table(part), folder / f"part-{number:03d}.parquet", row_group_size=1 << 20)
        size += nbytes(part)
    return size


def child(engine: str, folder: Path) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-c", CHILD, engine, str(folder), PACK, RATE, RATE_SQL],
                            capture_output=True, text=True, check=True)
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def parquet_runs(rounds: int) -> None:
    print("\nthe same wastewater records as a folder of Parquet files (2.5M rows each, 1M-row row groups), "
          "each engine in a child process (2 threads), "
          f"median of {rounds} interleaved runs; peak memory above the process after imports")
    print("| wastewater rows | as arrays (MiB) | qualityrules wall (s) | DuckDB wall (s) | qualityrules / DuckDB | "
          "CPU (s): qualityrules / DuckDB | qualityrules peak (MiB) | DuckDB peak (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios: list[tuple[int, float, int, float]] = []
    with tempfile.TemporaryDirectory() as directory:
        for n in (10_000_000, 40_000_000):
            folder = Path(directory) / f"wastewater-{n}"
            size = write_folder(folder, n)
            runs: dict[str, list[dict[str, Any]]] = {"qualityrules": [], "duckdb": []}
            for _ in range(rounds):
                for engine in runs:
                    runs[engine].append(child(engine, folder))
            ours_values = {(r, y): v for r, y, v in runs["qualityrules"][0]["values"]}
            for region, year, value in runs["duckdb"][0]["values"]:
                mine = ours_values.get((region, year))
                if mine is None or abs(mine - value) > 1e-9 * abs(value):
                    raise SystemExit(f"Parquet {n}: DuckDB {region} {year} = {value}, qualityrules {mine}")
            q = statistics.median(r["seconds"] for r in runs["qualityrules"])
            d = statistics.median(r["seconds"] for r in runs["duckdb"])
            q_cpu = statistics.median(r["cpu"] for r in runs["qualityrules"])
            d_cpu = statistics.median(r["cpu"] for r in runs["duckdb"])
            q_mem = max(r["extra"] for r in runs["qualityrules"])
            d_mem = max(r["extra"] for r in runs["duckdb"])
            ratios.append((n, q / d, q_mem, q_cpu / d_cpu))
            print(f"| {n:,} | {size / 2**20:,.0f} | {q:.2f} | {d:.2f} | {q / d:.2f} | {q_cpu:.2f} / {d_cpu:.2f} | "
                  f"{q_mem / 2**20:,.0f} | {d_mem / 2**20:,.0f} |")
            for file in folder.iterdir():
                file.unlink()
            folder.rmdir()
    for n, ratio, _, cpu_ratio in ratios:
        print(f"ratio W1 Parquet {n // 1_000_000}M: qualityrules / DuckDB = {ratio:.2f} wall, {cpu_ratio:.2f} CPU  "
              "(target <= 1)")
    print(f"ratio W1 Parquet memory: qualityrules peak 40M / 10M = {ratios[1][2] / max(ratios[0][2], 1):.2f}  "
          "(flat: about 1)")


# ------------------------------------------------------------------------------------------


def main() -> None:
    import duckdb
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1M rows, no Parquet runs")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    n_ww, n_air = (1_000_000 if args.quick else 10_000_000), 401_500

    pack = qualityrules.parse_pack(PACK, source="bench-records.qr")
    ww, aq = wastewater(n_ww), air(n_air)
    ww_arrow, aq_arrow = pa.table(ww), pa.table(aq)
    ww_pd, aq_pd = pd.DataFrame(ww), pd.DataFrame(aq)
    ww_pl, aq_pl = pl.DataFrame(ww), pl.DataFrame(aq)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    con.register("ww", ww_arrow)
    con.register("air", aq_arrow)

    engines: dict[str, Callable[[], Any]] = {
        "qualityrules check_records (integer codes)": lambda: ours(pack, ww, aq),
        "qualityrules, 1 thread": lambda: ours(pack, ww, aq, threads=1),
        "qualityrules, from Arrow tables": lambda: ours(pack, ww_arrow, aq_arrow),
        "numpy weighted bincount (tuned)": lambda: numpy_baseline(ww, aq),
        "DuckDB (2 threads)": lambda: duckdb_baseline(con),
        "polars (when/then)": lambda: polars_baseline(ww_pl, aq_pl),
        "pandas groupby": lambda: pandas_baseline(ww_pd, aq_pd),
    }
    expected = our_values(ours(pack, ww, aq))
    check("qualityrules, 1 thread", our_values(ours(pack, ww, aq, threads=1)), expected)
    check("qualityrules, from Arrow", our_values(ours(pack, ww_arrow, aq_arrow)), expected)
    check("qualityrules, chunks of 999,983 rows", our_values(ours(pack, ww, aq, chunk_rows=999_983)), expected)
    for name in ("numpy weighted bincount (tuned)", "DuckDB (2 threads)", "polars (when/then)", "pandas groupby"):
        check(name, engines[name](), expected)
    times = interleaved(engines, args.rounds)

    head, head_cpu = times["qualityrules check_records (integer codes)"]
    print(f"\nW1: {n_ww:,} wastewater samples + {n_air:,} air-quality rows, {DISTRICTS} districts (plain integer codes) "
          f"x {YEARS} years -> {len(expected[0])} verdicts; input arrays {(nbytes(ww) + nbytes(aq)) / 2**20:,.0f} MiB; "
          f"median of {args.rounds} interleaved rounds")
    print("all baselines' values (relative 1e-9) and verdicts equal qualityrules'; qualityrules' are identical for "
          "1 and 2 threads, Arrow input and any chunking\n")
    print("| engine | wall ms | / qualityrules | CPU ms | / qualityrules |")
    print("|---|---:|---:|---:|---:|")
    for name, (seconds, cpu) in times.items():
        print(f"| {name} | {seconds * 1e3:,.1f} | {seconds / head:.2f} | {cpu * 1e3:,.1f} | {cpu / head_cpu:.2f} |")
    print()
    for name, target in (("numpy weighted bincount (tuned)", "target <= 1.0"), ("DuckDB (2 threads)", "target < 1"),
                         ("polars (when/then)", "target < 1")):
        other, other_cpu = times[name]
        print(f"ratio W1 memory: qualityrules / {name} = {head / other:.2f} wall, {head_cpu / other_cpu:.2f} CPU  "
              f"({target})")
    # The same engines on values of 17 significant digits (random floats): every record counts at
    # its exact value, so qualityrules first tells the short decimals from the others, row by row.
    ww_full, aq_full = wastewater(n_ww, recorded=False), air(n_air, recorded=False)
    check("numpy, full-precision floats", numpy_baseline(ww_full, aq_full), our_values(ours(pack, ww_full, aq_full)))
    full = interleaved({"qualityrules": lambda: ours(pack, ww_full, aq_full),
                        "numpy": lambda: numpy_baseline(ww_full, aq_full)}, max(3, args.rounds // 2))
    (a, a_cpu), (b, b_cpu) = full["qualityrules"], full["numpy"]
    print(f"\nthe same with every volume and PM2.5 reading a random float of 17 significant digits: "
          f"qualityrules {a * 1e3:,.0f} ms, numpy {b * 1e3:,.0f} ms")
    print(f"ratio W1 memory, full-precision floats: qualityrules / numpy = {a / b:.2f} wall, {a_cpu / b_cpu:.2f} CPU")
    if not args.quick:
        parquet_runs(3)
    print(f"\n{versions()}")


if __name__ == "__main__":
    main()
