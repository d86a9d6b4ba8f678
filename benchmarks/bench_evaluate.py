"""Evaluator benchmark (workload W2): 60 rules over a 60,000-row x 60-indicator table, timed from
the table the user holds to the pass and unknown matrices, side by side with hand-written numpy,
pandas, polars and DuckDB in one process.

The table: 6,000 regions (integer codes) x 10 years (2011-2020), one row per region and year,
60 float64 indicator columns with 2 % NaN and about 7 % of the cells exactly on their rule's
threshold; shares lie within 0-100 %, intensities are not negative and counts are whole and not
negative (implausible values would be set aside). The regions are districts of the pack's region (``hierarchy=``): its rates bind them (its
12 count ranges, totals, bind 全市 only; the pass and unknown matrices hold every rule anyway). The pack: 60 every-year rules (每年), 12 each of >=, <=, >, < and a range, so every
rule is checked on every row: the pass and unknown matrices have 60,000 x 60 cells.

Every engine starts from the user's table (a dict of numpy arrays, or a pandas / polars
DataFrame, or the frame registered in DuckDB) and ends with the pass and unknown matrices:
* qualityrules: ``qualityrules.evaluate(plan, table)`` (the pack compiled once, as a service
  would hold it): loading, factorising regions and years, the rules — everything but the lazily
  derived verdict strings. Its matrices are the evaluation's blocks (one ``[region, year]`` block
  per rule, the same cells as the baselines' ``[row, rule]``); a second line adds joining them
  into one ``[region, rule-year]`` matrix, as the report does on first use;
* numpy: per column ``x >= lo`` (``& x <= hi``) and ``isnan(x)`` into preallocated matrices;
* pandas: the same per column on the DataFrame; polars: one select of the 120 expressions (NaN
  guarded: polars orders NaN above every number); DuckDB (2 threads): one SELECT over the frame.
Before timing, every baseline's matrices are checked equal to ours cell by cell. Times are
medians over interleaved rounds after a warm-up; ratios are to the hand-written numpy.

Run: python benchmarks/bench_evaluate.py [--quick]      (--quick: fewer rounds, no 600k run)
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from harness import interleaved, versions

import qualityrules
from qualityrules.engine.plan import compile_pack
from qualityrules.language.parse import parse_text
from qualityrules.packs import resolve

N_INDICATORS = 60
YEARS = list(range(2011, 2021))
SEED = 20160922

# rule template and threshold (or range), the unit, by comparator kind (12 rules each)
KINDS: list[tuple[str, Any, str]] = [
    (">= {a}%", 95.0, "%"), ("<= {a}吨标准煤/万元", 0.47, "吨标准煤/万元"), ("> {a}%", 98.0, "%"),
    ("< {a}立方米/万元", 21.0, "立方米/万元"), ("{a}-{b}家", (30.0, 40.0), "家"),
]


def kind_of(k: int) -> tuple[str, Any, str]:
    return KINDS[k % len(KINDS)]


def build_pack() -> qualityrules.Pack:
    indicators, rules = [], []
    for k in range(N_INDICATORS):
        template, threshold, unit = kind_of(k)
        indicators.append(f"indicator 指标{k:02d} {{\n    unit {unit}\n    direction higher\n}}\n")
        a, b = threshold if isinstance(threshold, tuple) else (threshold, None)
        rules.append(f"每年 指标{k:02d} " + template.format(a=f"{a:g}", b=f"{b:g}" if b is not None else ""))
    return pack_of(indicators, rules)


def pack_of(indicators: list[str], rules: list[str], scope: list[str] | None = None) -> qualityrules.Pack:
    """The pack bench-2020 (全市, 2011..2020) of ``rules`` over a catalogue of ``indicators``
    (each an ``indicator … { … }`` block); ``scope``: regions it names besides 全市 (a total binds
    only the regions a pack names)."""
    rule_file, diagnostics = parse_text("".join(indicators), source="<bench catalogue>")
    assert not diagnostics, diagnostics
    catalogue, problems = resolve.Catalogue.build(rule_file.indicators)
    assert not problems
    named = f"    scope {', '.join(scope)}\n" if scope else ""
    text = ("pack bench-2020 {\n    region 全市\n    level city\n    period 2011..2020\n    target 2020\n" + named
            + "    section s {\n        " + "\n        ".join(rules) + "\n    }\n}\n")
    return resolve.resolve_text(text, catalogue=catalogue)


def build_table(regions: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """The user's table: integer region codes, years, one contiguous float64 column per indicator."""
    rng = np.random.default_rng(seed)
    rows = regions * len(YEARS)
    table: dict[str, np.ndarray] = {"region": np.repeat(np.arange(regions, dtype=np.int64), len(YEARS)),
                                    "year": np.tile(np.array(YEARS, dtype=np.int64), regions)}
    for k in range(N_INDICATORS):
        _, threshold, unit = kind_of(k)
        centre = float(np.mean(threshold)) if isinstance(threshold, tuple) else float(threshold)
        spread = max(abs(centre) * 0.05, 1.0)
        column = np.round(centre + rng.normal(0, spread, rows), 2)
        on_threshold = rng.random(rows) < 0.07
        edges = np.array(threshold if isinstance(threshold, tuple) else (threshold,))
        column[on_threshold] = edges[rng.integers(0, len(edges), int(on_threshold.sum()))]
        # plausible (else set aside, unknown): a share within 0-100 %, an intensity >= 0, a count
        # >= 0 and whole
        column = np.clip(np.round(column) if unit == "家" else column, 0.0, 100.0 if unit == "%" else None)
        column[rng.random(rows) < 0.02] = np.nan
        table[f"指标{k:02d}"] = column
    return table


def bounds(plan: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per indicator column: the closed float bounds a person would write (x > t as x >= next float)."""
    lo, hi = np.full(N_INDICATORS, -np.inf), np.full(N_INDICATORS, np.inf)
    for rule in plan.rules:
        k = int(rule.indicator.name[2:])
        iv = rule.interval
        if iv.lower is not None:
            lo[k] = float(iv.lower) if iv.lower_inclusive else np.nextafter(float(iv.lower), np.inf)
        if iv.upper is not None:
            hi[k] = float(iv.upper) if iv.upper_inclusive else np.nextafter(float(iv.upper), -np.inf)
    return lo, hi


NAMES = [f"指标{k:02d}" for k in range(N_INDICATORS)]


# ------------------------------------------------------------------------------------------
# Engines: each returns (passed, unknown) as [rule, row] boolean matrices (or something that
# :func:`as_matrices` turns into them, outside the timing)


def numpy_baseline(table: dict[str, np.ndarray], lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = len(table["region"])
    passed = np.empty((N_INDICATORS, rows), dtype=bool)
    unknown = np.empty((N_INDICATORS, rows), dtype=bool)
    scratch = np.empty(rows, dtype=bool)
    for k, name in enumerate(NAMES):
        x = table[name]
        if lo[k] != -np.inf and hi[k] != np.inf:
            np.greater_equal(x, lo[k], out=passed[k])
            np.less_equal(x, hi[k], out=scratch)
            passed[k] &= scratch
        elif lo[k] != -np.inf:
            np.greater_equal(x, lo[k], out=passed[k])
        else:
            np.less_equal(x, hi[k], out=passed[k])
        np.isnan(x, out=unknown[k])
    return passed, unknown


def pandas_baseline(frame: Any, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = frame[NAMES]
    passed = (values.ge(lo, axis=1) & values.le(hi, axis=1)).to_numpy().T
    unknown = values.isna().to_numpy().T
    return passed, unknown


def polars_baseline(frame: Any, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import polars as pl

    tests = []
    for k, name in enumerate(NAMES):
        x = pl.col(name)
        test = x.is_not_nan()
        if lo[k] != -np.inf:
            test = test & (x >= lo[k])
        if hi[k] != np.inf:
            test = test & (x <= hi[k])
        tests.append(test.alias(f"p{k}"))
    out = frame.select(*tests, *[pl.col(name).is_nan().alias(f"u{k}") for k, name in enumerate(NAMES)])
    matrix = out.to_numpy().T
    return matrix[:N_INDICATORS], matrix[N_INDICATORS:]


def duckdb_query(lo: np.ndarray, hi: np.ndarray) -> str:
    parts = []
    for k, name in enumerate(NAMES):
        test = [f'NOT isnan("{name}")']
        if lo[k] != -np.inf:
            test.append(f"\"{name}\" >= {float(lo[k])!r}")
        if hi[k] != np.inf:
            test.append(f"\"{name}\" <= {float(hi[k])!r}")
        parts.append("coalesce(" + " AND ".join(test) + f", false) AS p{k}")
    # a NaN in a pandas frame reaches DuckDB as NULL
    parts += [f'("{name}" IS NULL OR isnan("{name}")) AS u{k}' for k, name in enumerate(NAMES)]
    return "SELECT " + ", ".join(parts) + " FROM w2"


def duckdb_baseline(con: Any, query: str) -> tuple[np.ndarray, np.ndarray]:
    result = con.execute(query).fetchnumpy()
    passed = np.stack([result[f"p{k}"] for k in range(N_INDICATORS)])
    unknown = np.stack([result[f"u{k}"] for k in range(N_INDICATORS)])
    return passed, unknown


def districts(regions: int) -> qualityrules.Hierarchy:
    """The region codes are districts of the pack's region (全市), as the user holds them (built
    outside the timing)."""
    return qualityrules.Hierarchy({str(r): "全市" for r in range(regions)})


def ours(plan: Any, data: Any, tree: Any) -> Any:
    """The report's evaluation: per-rule blocks of pass and unknown over [region, year]."""
    return qualityrules.evaluate(plan, data, hierarchy=tree).evaluation


def ours_joined(plan: Any, data: Any, tree: Any) -> Any:
    evaluation = qualityrules.evaluate(plan, data, hierarchy=tree).evaluation
    return evaluation.passed, evaluation.unknown


def as_matrices(plan: Any, evaluation: Any, regions: int) -> tuple[np.ndarray, np.ndarray]:
    """Our blocks as [rule, row] matrices, rows in the table's (region, year) order."""
    obs = evaluation.obs
    passed = np.zeros((N_INDICATORS, regions * len(YEARS)), dtype=bool)
    unknown = np.zeros_like(passed)
    years = np.searchsorted(obs.years, plan.atom_year)
    order = np.argsort(np.array(obs.regions, dtype=np.int64))     # labels are the integer codes
    for block in evaluation.blocks:
        for column, atom in enumerate(block.atoms.tolist()):
            k = int(plan.rules[int(plan.atom_rule[atom])].indicator.name[2:])
            rows = order * len(YEARS) + years[atom]
            passed[k, rows] = block.passed[:, column]
            unknown[k, rows] = block.unknown[:, column]
    return passed, unknown


def check(name: str, got: tuple[np.ndarray, np.ndarray], expected: tuple[np.ndarray, np.ndarray]) -> None:
    for what, a, b in (("pass", got[0], expected[0]), ("unknown", got[1], expected[1])):
        if a.shape != b.shape or not np.array_equal(a, b):
            differ = int((a != b).sum()) if a.shape == b.shape else f"shape {a.shape} vs {b.shape}"
            raise SystemExit(f"{name}: {what} matrix differs from qualityrules' ({differ} cells)")


def per_row_python(rows: list[list[float]], rules: list[tuple[int, float, float]]) -> int:
    """A row-by-row rule engine: for each row, each rule, compare in Python."""
    passed = 0
    for row in rows:
        for column, lo, hi in rules:
            x = row[column]
            if not math.isnan(x):
                passed += lo <= x <= hi
    return passed


def main() -> None:
    import duckdb
    import pandas as pd
    import polars as pl

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, no 600,000-row run")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (5 if args.quick else 31)

    pack = build_pack()
    start = time.perf_counter()
    plan = compile_pack(pack)
    compile_seconds = time.perf_counter() - start
    lo, hi = bounds(plan)
    regions = 6000
    table = build_table(regions)
    tree = districts(regions)
    frame = pd.DataFrame(table)
    polars_frame = pl.DataFrame(table)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    con.register("w2", frame)
    query = duckdb_query(lo, hi)

    report = qualityrules.evaluate(plan, table, hierarchy=tree)
    assert not report.warnings, "no district outside the pack's region, no implausible value"
    expected = as_matrices(plan, report.evaluation, regions)
    check("qualityrules from pandas", as_matrices(plan, ours(plan, frame, tree), regions), expected)
    check("numpy", numpy_baseline(table, lo, hi), expected)
    check("pandas", pandas_baseline(frame, lo, hi), expected)
    check("polars", polars_baseline(polars_frame, lo, hi), expected)
    check("DuckDB", duckdb_baseline(con, query), expected)
    joined = ours_joined(plan, table, tree)
    assert joined[0].shape == (regions, len(plan.rules) * len(YEARS))

    engines: dict[str, Callable[[], Any]] = {
        "numpy (per column)": lambda: numpy_baseline(table, lo, hi),
        "qualityrules, from a dict of arrays": lambda: ours(plan, table, tree),
        "qualityrules, from a dict, matrices joined": lambda: ours_joined(plan, table, tree),
        "qualityrules, from a pandas DataFrame": lambda: ours(plan, frame, tree),
        "pandas": lambda: pandas_baseline(frame, lo, hi),
        "polars": lambda: polars_baseline(polars_frame, lo, hi),
        "DuckDB (2 threads)": lambda: duckdb_baseline(con, query),
    }
    times = interleaved(engines, rounds)

    rows = regions * len(YEARS)
    cells = table["指标00"].size * N_INDICATORS
    on_threshold = sum(int(np.isin(table[name], [lo[k], hi[k], np.nextafter(lo[k], -np.inf),
                                                  np.nextafter(hi[k], np.inf)]).sum()) for k, name in enumerate(NAMES))
    nan = sum(int(np.isnan(table[name]).sum()) for name in NAMES)
    print(f"W2: {rows:,} rows ({regions:,} integer region codes x {len(YEARS)} years) x {N_INDICATORS} float64 columns, "
          f"{nan / cells:.1%} NaN, {on_threshold / cells:.1%} of cells on a threshold; {len(plan.rules)} every-year "
          f"rules; pack compiled once ({compile_seconds * 1e3:.0f} ms); median of {rounds} interleaved rounds")
    print("all baselines' pass and unknown matrices equal qualityrules' cell by cell\n")
    base, base_cpu = times["numpy (per column)"]
    print("| engine (from the user's table to the pass and unknown matrices) | wall ms | / numpy | CPU ms | / numpy |")
    print("|---|---:|---:|---:|---:|")
    for name, (seconds, cpu) in times.items():
        print(f"| {name} | {seconds * 1e3:.2f} | {seconds / base:.2f} | {cpu * 1e3:.2f} | {cpu / base_cpu:.2f} |")
    print()

    def ratio(label: str, ours_name: str, other: str, target: str) -> None:
        (a, a_cpu), (b, b_cpu) = times[ours_name], times[other]
        print(f"ratio {label} = {a / b:.2f} wall, {a_cpu / b_cpu:.2f} CPU  ({target})")

    ratio("W2 dict:   qualityrules / numpy ", "qualityrules, from a dict of arrays", "numpy (per column)", "target <= 1.5")
    ratio("W2 pandas: qualityrules / numpy ", "qualityrules, from a pandas DataFrame", "numpy (per column)", "target <= 2")
    ratio("W2 pandas: qualityrules / polars", "qualityrules, from a pandas DataFrame", "polars", "target < 1: ahead")

    if not args.quick:
        big_regions = 60000
        big = build_table(big_regions, seed=SEED + 1)
        big_tree = districts(big_regions)
        check("qualityrules 600k vs numpy", numpy_baseline(big, lo, hi),
              as_matrices(plan, ours(plan, big, big_tree), big_regions))
        scale = interleaved({"60k": lambda: ours(plan, table, tree), "600k": lambda: ours(plan, big, big_tree)},
                            max(5, rounds // 3))
        print(f"ratio W2 scale:  qualityrules 600,000 rows / 60,000 rows = {scale['600k'][0] / scale['60k'][0]:.2f} wall, "
              f"{scale['600k'][1] / scale['60k'][1]:.2f} CPU  (target <= 11)")

    subset = 2000
    rules = [(int(rule.indicator.name[2:]), float(lo[int(rule.indicator.name[2:])]),
              float(hi[int(rule.indicator.name[2:])])) for rule in plan.rules]
    sample = np.column_stack([table[name][:subset] for name in NAMES]).tolist()
    start = time.perf_counter()
    per_row_python(sample, rules)
    python_seconds = (time.perf_counter() - start) * rows / subset
    small = {"region": np.arange(10), "year": np.full(10, 2020), **{name: table[name][:10] for name in NAMES}}
    small_times = interleaved({"small": lambda: qualityrules.evaluate(pack, small, hierarchy=tree)}, 50)
    print(f"\nfor context: a row-by-row Python rule engine, EXTRAPOLATED from {subset:,} rows: {python_seconds * 1e3:,.0f} ms "
          f"({python_seconds / times['qualityrules, from a dict of arrays'][0]:.0f}x qualityrules); one call on 10 "
          f"regions x 1 year x 60 rules from a dict: {small_times['small'][0] * 1e3:.2f} ms")
    from qualityrules.engine.evaluation import _PARALLEL_VALUES
    from qualityrules.resources import cores

    threads = 2 if rows * N_INDICATORS >= _PARALLEL_VALUES and cores() >= 2 else 1
    print(f"qualityrules compared the {rows * N_INDICATORS:,} values on {threads} thread(s) (a second core from "
          f"{_PARALLEL_VALUES:,} values); numpy and pandas run on one, polars on its own pool, DuckDB on 2; CPU time "
          "adds every thread's")
    print(f"\n{versions()}")


if __name__ == "__main__":
    main()
