"""Evaluator benchmark: 60 rules over a 60,000-row x 60-indicator table, from one process.

Rows are 6,000 regions x 10 years (2011-2020); every rule is an every-year target (每年), so
each rule is checked on every row: the engine's per-(region, year, rule) pass and unknown
matrices have the same 60,000 x 60 cells as the baseline's. Values: 2 % NaN, 25 % exactly on
their rule's threshold, the rest spread around it; comparators >=, >, <=, <, ==, != and ranges.

Printed, all from this process:
  * engine time (compiled plan, data already loaded) as a ratio to a hand-written numpy
    baseline computing the same pass and unknown matrices (target <= 1.2x); both results are
    checked to be identical;
  * the time of a per-row Python evaluation (a row-by-row rule engine) on a subset,
    extrapolated to the whole table and labelled so;
  * the per-call overhead of qualityrules.evaluate for 10 regions x 1 year x 60 rules once the
    pack is compiled (target < 2 ms), end to end from a dict of numpy arrays;
  * for context: loading the big table and deriving the report's verdicts and margins.

Run: python benchmarks/bench_evaluate.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import qualityrules
from qualityrules.engine.evaluation import run
from qualityrules.engine.plan import compile_pack
from qualityrules.language.parse import parse_text
from qualityrules.packs import resolve
from qualityrules.report.report import Report
from qualityrules.tables.observations import load

N_INDICATORS = 60
YEARS = list(range(2011, 2021))
SEED = 20160922

# (rule template, threshold or (low, high), unit, how to draw values around it)
SHAPES: list[tuple[str, Any]] = [
    (">= {a}%", 95.0), ("> {a}%", 98.0), ("<= {a}吨标准煤/万元", 0.47), ("< {a}立方米/万元", 21.0),
    ("== {a}%", 100.0), ("!= {a}起", 0.0), ("{a}-{b}家", (30.0, 40.0)), ("达到{a}家以上", 700.0),
    ("低于{a}%", 3.0), ("不超过{a}亿元", 1750.0),
]
UNITS = {"%": "%", "吨标准煤/万元": "吨标准煤/万元", "立方米/万元": "立方米/万元", "起": "起", "家": "家", "亿元": "亿元"}


def unit_of(template: str) -> str:
    return next(u for u in sorted(UNITS, key=len, reverse=True) if u in template)


def build_pack() -> qualityrules.Pack:
    indicators, rules = [], []
    for k in range(N_INDICATORS):
        template, threshold = SHAPES[k % len(SHAPES)]
        name = f"指标{k:02d}"
        indicators.append(f"indicator {name} {{\n    unit {unit_of(template)}\n    direction higher\n}}\n")
        a, b = threshold if isinstance(threshold, tuple) else (threshold, None)
        rules.append(f"每年 {name} " + template.format(a=_text(a), b=_text(b) if b is not None else ""))
    return pack_of(indicators, rules)


def pack_of(indicators: list[str], rules: list[str]) -> qualityrules.Pack:
    """The pack bench-2020 (全市, 2011..2020) of ``rules`` over a catalogue of ``indicators``
    (each an ``indicator … { … }`` block)."""
    rule_file, diagnostics = parse_text("".join(indicators), source="<bench catalogue>")
    assert not diagnostics, diagnostics
    catalogue, problems = resolve.Catalogue.build(rule_file.indicators)
    assert not problems
    text = ("pack bench-2020 {\n    region 全市\n    level city\n    period 2011..2020\n    target 2020\n"
            "    section s {\n        " + "\n        ".join(rules) + "\n    }\n}\n")
    return resolve.resolve_text(text, catalogue=catalogue)


def _text(x: float) -> str:
    return f"{x:g}"


def build_values(rng: np.random.Generator, rows: int) -> np.ndarray:
    values = np.empty((rows, N_INDICATORS))
    for k in range(N_INDICATORS):
        _, threshold = SHAPES[k % len(SHAPES)]
        centre = float(np.mean(threshold)) if isinstance(threshold, tuple) else float(threshold)
        spread = max(abs(centre) * 0.05, 1.0)
        column = np.round(centre + rng.normal(0, spread, rows), 2)
        on_threshold = rng.random(rows) < 0.25
        edge = threshold[int(rng.integers(0, 2))] if isinstance(threshold, tuple) else threshold
        column[on_threshold] = edge
        template = SHAPES[k % len(SHAPES)][0]
        if unit_of(template) in ("%", "起", "家"):   # plausible: a share within 0-100 %, a count >= 0
            column = np.clip(column, 0.0, 100.0 if unit_of(template) == "%" else None)
        values[:, k] = column
    values[rng.random(values.shape) < 0.02] = np.nan
    return values


def timed(fn: Callable[[], Any], repeat: int) -> float:
    """Best wall time of ``fn`` over ``repeat`` runs (after one warm-up), in seconds: the least
    noisy estimate on a shared machine."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return min(samples)


def paired(a: Callable[[], Any], b: Callable[[], Any], repeat: int) -> tuple[float, float, float]:
    """Run ``a`` and ``b`` alternately; (best time of a, best time of b, median of the per-pair
    ratios a/b). Alternating exposes both to the same background load."""
    a()
    b()
    times_a, times_b = [], []
    for _ in range(repeat):
        for fn, times in ((a, times_a), (b, times_b)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    ratios = [x / y for x, y in zip(times_a, times_b, strict=True)]
    return min(times_a), min(times_b), statistics.median(ratios)


def baseline_bounds(plan: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per indicator column: closed float bounds and the != flag, as a person would write them."""
    lo, hi, ne = np.full(N_INDICATORS, -np.inf), np.full(N_INDICATORS, np.inf), np.zeros(N_INDICATORS, bool)
    for rule in plan.rules:
        k = int(rule.indicator.name[2:])
        iv = rule.interval
        if iv.lower is not None:
            lo[k] = float(iv.lower) if iv.lower_inclusive else np.nextafter(float(iv.lower), np.inf)
        if iv.upper is not None:
            hi[k] = float(iv.upper) if iv.upper_inclusive else np.nextafter(float(iv.upper), -np.inf)
        ne[k] = iv.excluded
    return lo, hi, ne


def baseline(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, ne_columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hand-written numpy: the pass and unknown matrices of the same table and rules."""
    passed = x >= lo
    passed &= x <= hi
    unknown = np.isnan(x)
    if len(ne_columns):
        passed[:, ne_columns] = ~passed[:, ne_columns] & ~unknown[:, ne_columns]
    return passed, unknown


def per_row_python(rows: list[list[float]], rules: list[tuple[int, float, float, bool, bool, bool]]) -> int:
    """A row-by-row rule engine: for each row, each rule, compare in Python."""
    passed = 0
    for row in rows:
        for column, lo, hi, lo_inc, hi_inc, excluded in rules:
            x = row[column]
            if math.isnan(x):
                continue
            inside = (x > lo or (lo_inc and x == lo)) and (x < hi or (hi_inc and x == hi))
            passed += inside != excluded
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (for a smoke run)")
    args = parser.parse_args()
    repeat = 5 if args.quick else 41
    rng = np.random.default_rng(SEED)
    pack = build_pack()
    t0 = time.perf_counter()
    plan = compile_pack(pack)
    compile_time = time.perf_counter() - t0
    regions = 6000
    rows = regions * len(YEARS)
    matrix = build_values(rng, rows)                      # rows ordered by region, then year
    names = np.repeat(np.array([f"区{r:05d}" for r in range(regions)]), len(YEARS))
    years = np.tile(np.array(YEARS), regions)
    table = {"region": names, "year": years, **{f"指标{k:02d}": matrix[:, k] for k in range(N_INDICATORS)}}
    # the regions are districts of the pack's region (全市): its rates bind them (its totals do not)
    tree = qualityrules.Hierarchy({f"区{r:05d}": "全市" for r in range(regions)})

    t0 = time.perf_counter()
    obs = load(table, pack.catalogue)
    load_time = time.perf_counter() - t0

    lo, hi, ne = baseline_bounds(plan)
    ne_columns = np.flatnonzero(ne)
    engine_time, base_time, engine_ratio = paired(lambda: run(plan, obs, hierarchy=tree),
                                                  lambda: baseline(matrix, lo, hi, ne_columns), repeat)

    # Same answer: the engine's columns are (year, indicator) atoms; put them in the baseline's layout.
    result = run(plan, obs, hierarchy=tree)
    atoms = result.atoms
    year_index = np.searchsorted(obs.years, plan.atom_year[atoms])
    indicator_index = np.array([obs.indicators.index(plan.indicators[i]) for i in plan.atom_indicator[atoms]])
    cube_passed = np.zeros((regions, len(YEARS), N_INDICATORS), bool)
    cube_unknown = np.zeros_like(cube_passed)
    cube_passed[:, year_index, indicator_index] = result.passed
    cube_unknown[:, year_index, indicator_index] = result.unknown
    expected_passed, expected_unknown = baseline(matrix, lo, hi, ne_columns)
    assert np.array_equal(cube_passed.reshape(rows, N_INDICATORS), expected_passed), "pass matrices differ"
    assert np.array_equal(cube_unknown.reshape(rows, N_INDICATORS), expected_unknown), "unknown matrices differ"
    thresholds = np.array([float(r.interval.lower if r.interval.lower is not None else r.interval.upper)
                           for r in sorted(plan.rules, key=lambda r: r.indicator.name)])
    uppers = np.array([float(r.interval.upper) if r.interval.upper is not None else np.nan
                       for r in sorted(plan.rules, key=lambda r: r.indicator.name)])
    on_threshold = float(np.mean((matrix == thresholds) | (matrix == uppers)))

    def full_api() -> None:
        qualityrules.evaluate(plan, obs, hierarchy=tree)

    api_time, _, api_ratio = paired(full_api, lambda: baseline(matrix, lo, hi, ne_columns), repeat)
    evaluation = qualityrules.evaluate(plan, obs, hierarchy=tree).evaluation
    # a fresh Report on the same evaluation each run, so only the derivation is timed, not evaluate
    derive_time = timed(lambda: Report(evaluation).outcomes, max(3, repeat // 5))

    subset = 2000
    python_rules = []
    for rule in plan.rules:
        iv = rule.interval
        python_rules.append((int(rule.indicator.name[2:]), -math.inf if iv.lower is None else float(iv.lower),
                             math.inf if iv.upper is None else float(iv.upper),
                             iv.lower is None or iv.lower_inclusive, iv.upper is None or iv.upper_inclusive,
                             iv.excluded))
    sample = matrix[:subset].tolist()
    python_time = timed(lambda: per_row_python(sample, python_rules), 3) * rows / subset

    small_regions = 10
    small = {"region": np.array([f"区{r:05d}" for r in range(small_regions)]),
             "year": np.full(small_regions, 2020),
             **{f"指标{k:02d}": matrix[:small_regions, k] for k in range(N_INDICATORS)}}
    small_call = timed(lambda: qualityrules.evaluate(pack, small, hierarchy=tree), 200)
    small_obs = load(small, pack.catalogue)
    small_engine = timed(lambda: run(plan, small_obs, years=[2020], hierarchy=tree), 500)

    print(f"qualityrules {qualityrules.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(f"table: {rows:,} rows ({regions:,} regions x {len(YEARS)} years) x {N_INDICATORS} indicators; "
          f"{len(plan.rules)} every-year rules = {plan.n_atoms} (rule, year) atoms; "
          f"{np.isnan(matrix).mean():.1%} NaN, {on_threshold:.1%} of values exactly on a threshold")
    print(f"compile pack (once):                      {compile_time * 1e3:8.2f} ms")
    print(f"load table (dict of numpy arrays, once):  {load_time * 1e3:8.2f} ms")
    print(f"hand-written numpy (pass + unknown):      {base_time * 1e3:8.2f} ms")
    print(f"qualityrules engine (pass + unknown):     {engine_time * 1e3:8.2f} ms   "
          f"ratio {engine_time / base_time:.2f}x best/best, {engine_ratio:.2f}x median of paired runs "
          f"(target <= 1.2x)")
    print(f"qualityrules.evaluate (returns Report):   {api_time * 1e3:8.2f} ms   "
          f"ratio {api_time / base_time:.2f}x best/best, {api_ratio:.2f}x median of paired runs")
    print(f"  + verdict per (region, rule) derived:   {derive_time * 1e3:8.2f} ms")
    print(f"per-row Python evaluation, EXTRAPOLATED from {subset:,} rows to {rows:,}: {python_time * 1e3:8.0f} ms   "
          f"engine is {python_time / engine_time:.0f}x faster")
    print(f"per call, 10 regions x 1 year x 60 rules, compiled pack, from a dict: {small_call * 1e3:.3f} ms "
          f"(target < 2 ms); engine alone on loaded data: {small_engine * 1e3:.3f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
