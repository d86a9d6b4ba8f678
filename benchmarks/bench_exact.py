"""Exact re-check benchmark: what exact decisions cost on a W2-style run.

60,000 rows (6,000 regions x 10 years, 2011-2020) x 60 indicators, one rule each: 40 every-year
value rules (>=, >, <=, <, ==, !=, ranges), 10 every-year changes against 2011 (relative % and
points, increases and decreases) and 10 cumulative sums over the period. Values are decimals of at
most 5 places; a quarter of them sit exactly on their rule's threshold (for a change, the value is
exactly the baseline moved by the target; for a sum, the ten years add up exactly to it), 2 % are
missing. The indicators are shares in %: values lie within 0-100 (an implausible share would be
set aside as unknown), and the regions are districts of the pack's region (``hierarchy=``).

Checked first, from this process: the engine's pass/unknown matrices equal a hand-written numpy
baseline that decides exactly in integers (values scaled to 10**-5 units); a plain float64 numpy
baseline is shown for context with the number of verdicts it gets wrong.

Timed (medians of interleaved rounds after a warm-up), from the user's table (a dict of numpy
arrays) to the verdicts: ``qualityrules.evaluate`` with the exact re-check, and with the re-check
switched off (the float decisions only); the ratio is what exactness costs (target < 1.10).

Run: python benchmarks/bench_exact.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from bench_evaluate import pack_of

import qualityrules
from qualityrules.engine import evaluation
from qualityrules.engine.plan import compile_pack

YEARS = list(range(2011, 2021))
REGIONS = 6000
SEED = 20161231
SCALE = 10 ** 5          # every value is a whole number of 10**-5 units

# (rule template, threshold or (low, high)); {a} and {b} are filled in
VALUE_SHAPES: list[tuple[str, Any]] = [
    ("每年 {n} >= {a}%", 95), ("每年 {n} > {a}%", 98), ("每年 {n} <= {a}%", 47), ("每年 {n} < {a}%", 21),
    ("每年 {n} == {a}%", 100), ("每年 {n} != {a}%", 0), ("每年 {n} {a}-{b}%", (30, 40)),
    ("每年 {n} 达到{a}%以上", 70), ("每年 {n} 低于{a}%", 3), ("每年 {n} 不超过{a}%", 17.5),
]
# (rule template, change amount, relative?, decrease?)
CHANGE_SHAPES = [("每年 {n} 较2011年下降{a}%", 18.5, True, True), ("每年 {n} 较2011年提高{a}%", 12.5, True, False),
                 ("每年 {n} 较2011年提高{a}个百分点", 2.5, False, False),
                 ("每年 {n} 较2011年下降{a}个百分点", 1.5, False, True), ("每年 {n} 较2011年下降超过{a}%", 7.5, True, True)]
CUMULATIVE_THRESHOLD = 500


def build_pack() -> tuple[qualityrules.Pack, list[tuple[str, Any]]]:
    """The pack and, per indicator, how its rule reads (kind, parameters)."""
    indicators, rules, kinds = [], [], []
    for k in range(60):
        name = f"指标{k:02d}"
        unit = "万元" if k >= 50 else "%"      # a running total sums amounts (累计 of a share is QR125)
        indicators.append(f"indicator {name} {{\n    unit {unit}\n    direction higher\n}}\n")
        if k < 40:
            template, threshold = VALUE_SHAPES[k % len(VALUE_SHAPES)]
            a, b = threshold if isinstance(threshold, tuple) else (threshold, None)
            rules.append(template.format(n=name, a=a, b=b))
            kinds.append(("value", (template, threshold)))
        elif k < 50:
            template, amount, relative, down = CHANGE_SHAPES[k % len(CHANGE_SHAPES)]
            rules.append(template.format(n=name, a=amount))
            kinds.append(("change", (amount, relative, down, "超过" in template)))
        else:
            rules.append(f"累计 {name} 达到{CUMULATIVE_THRESHOLD}万元以上")
            kinds.append(("cumulative", CUMULATIVE_THRESHOLD))
    # the districts are named too: the running totals (amounts) bind the regions a pack names
    return pack_of(indicators, rules, [f"区{r:05d}" for r in range(REGIONS)]), kinds


def build_units(rng: np.random.Generator, kinds: list[tuple[str, Any]]) -> np.ndarray:
    """[region, year, indicator] values in 10**-5 units (int64); missing = a sentinel."""
    cube = np.zeros((REGIONS, len(YEARS), 60), dtype=np.int64)
    for k, (kind, spec) in enumerate(kinds):
        on = rng.random((REGIONS, len(YEARS))) < 0.25
        if kind == "value":
            _, threshold = spec
            edge = np.where(rng.random((REGIONS, len(YEARS))) < 0.5, *(threshold if isinstance(threshold, tuple)
                                                                      else (threshold, threshold)))
            centre = float(np.mean(threshold))
            spread = np.round((centre + rng.normal(0, max(centre * 0.05, 1.0), on.shape)) * 100) * (SCALE // 100)
            cube[:, :, k] = np.where(on, np.round(edge * SCALE).astype(np.int64), spread.astype(np.int64))
        elif kind == "change":
            amount, relative, down, _ = spec
            base = rng.integers(2_000, 8_000, REGIONS) * (SCALE // 100)             # 20.00 .. 80.00
            sign = -1 if down else 1
            # exactly on target: relative v = b (1 ± a/100), points v = b ± a (exact in 10**-5 units)
            exact_value = base * (1000 + sign * int(amount * 10)) // 1000 if relative else base + sign * int(amount * SCALE)
            noise = base[:, None] + rng.integers(-20 * SCALE, 20 * SCALE, (REGIONS, len(YEARS))) // 100 * 100
            values = np.where(on, exact_value[:, None], noise)
            values[:, 0] = base
            cube[:, :, k] = values
        else:
            parts = rng.integers(0, 100 * SCALE, (REGIONS, len(YEARS))) // 1000 * 1000
            exact_rows = rng.random(REGIONS) < 0.25
            total = CUMULATIVE_THRESHOLD * SCALE
            parts[exact_rows, -1] = total - parts[exact_rows, :-1].sum(axis=1)
            cube[:, :, k] = parts
    # plausible shares (0-100 %): an implausible value would be set aside (unknown), not decided
    return np.clip(cube, 0, 100 * SCALE)


def exact_baseline(units: np.ndarray, missing: np.ndarray, kinds: list[tuple[str, Any]]) -> tuple[np.ndarray, ...]:
    """Hand-written numpy deciding exactly in integers: pass and unknown per [region, year, indicator]
    (cumulative rules in the final year only; other years of them are never checked)."""
    passed = np.zeros(units.shape, dtype=bool)
    unknown = np.zeros(units.shape, dtype=bool)
    for k, (kind, spec) in enumerate(kinds):
        v, gone = units[:, :, k], missing[:, :, k]
        if kind == "value":
            template, threshold = spec
            lo, hi = (threshold if isinstance(threshold, tuple) else (threshold, threshold))
            lo_u, hi_u = int(round(lo * SCALE)), int(round(hi * SCALE))
            op = template.split()[2] if template.split()[2] in (">=", ">", "<=", "<", "==", "!=") else None
            if op is None and "-" in template:
                result = (v >= lo_u) & (v <= hi_u)
            elif op is None and "达到" in template:
                result = v >= lo_u
            elif op is None and "低于" in template:
                result = v < lo_u
            elif op is None:
                result = v <= lo_u
            else:
                result = {">=": v >= lo_u, ">": v > lo_u, "<=": v <= lo_u, "<": v < lo_u, "==": v == lo_u,
                          "!=": v != lo_u}[op]
            passed[:, :, k] = result & ~gone
            unknown[:, :, k] = gone
        elif kind == "change":
            amount, relative, down, strict = spec
            base = v[:, :1]
            base_gone = gone[:, :1]
            sign = -1 if down else 1
            tenths = int(round(amount * 10))
            if relative:     # sign * (v - b) / b * 100 >= a  <=>  sign * (v - b) * 1000 >= a*10 * b  (b > 0)
                left, right = sign * (v - base) * 1000, tenths * base
                result = left > right if strict else left >= right
                bad = base_gone | (base <= 0)
            else:
                left, right = sign * (v - base), tenths * (SCALE // 10)
                result = left > right if strict else left >= right
                bad = base_gone
            known = ~gone & ~bad
            passed[:, :, k] = result & known
            unknown[:, :, k] = ~known
        else:
            total = v.sum(axis=1)
            known = ~gone.any(axis=1)
            passed[:, -1, k] = (total >= spec * SCALE) & known
            unknown[:, -1, k] = ~known
    return passed, unknown


def float_baseline(values: np.ndarray, kinds: list[tuple[str, Any]], plan: Any) -> np.ndarray:
    """What a plain float64 numpy computation decides (pass only), for context."""
    passed = np.zeros(values.shape, dtype=bool)
    for k, (kind, spec) in enumerate(kinds):
        v = values[:, :, k]
        rule = next(r for r in plan.rules if r.indicator.name == f"指标{k:02d}")
        iv = rule.interval
        if kind == "cumulative":
            x = v.sum(axis=1)
            passed[:, -1, k] = x >= float(iv.lower)
            continue
        if kind == "change":
            amount, relative, down, _ = spec
            b = v[:, :1]
            x = (v - b) / b * 100 if relative else v - b
            x = -x if down else x
        else:
            x = v
        inside = np.ones(x.shape, dtype=bool)
        if iv.lower is not None:
            inside &= (x > float(iv.lower)) | ((x == float(iv.lower)) & iv.lower_inclusive)
        if iv.upper is not None:
            inside &= (x < float(iv.upper)) | ((x == float(iv.upper)) & iv.upper_inclusive)
        passed[:, :, k] = ~inside if iv.excluded else inside
    return passed


def interleaved(runs: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Median wall time of each function over ``rounds`` interleaved rounds, after a warm-up."""
    for fn in runs.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(times) for name, times in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (for a smoke run)")
    args = parser.parse_args()
    rounds = 5 if args.quick else 21
    rng = np.random.default_rng(SEED)
    pack, kinds = build_pack()
    plan = compile_pack(pack)
    units = build_units(rng, kinds)
    missing = rng.random(units.shape) < 0.02
    values = units / SCALE                                   # the floats a user holds
    values[missing] = np.nan
    names = np.repeat(np.array([f"区{r:05d}" for r in range(REGIONS)]), len(YEARS))
    years = np.tile(np.array(YEARS), REGIONS)
    table = {"region": names, "year": years,
             **{f"指标{k:02d}": values[:, :, k].reshape(-1) for k in range(60)}}
    # the regions are districts of the pack's region (全市): every target binds them
    tree = qualityrules.Hierarchy({f"区{r:05d}": "全市" for r in range(REGIONS)})

    # Same answers first: the engine's matrices against the exact integer baseline.
    report = qualityrules.evaluate(plan, table, hierarchy=tree)
    assert report.evaluation.applicable.all() and not report.warnings, "every target binds every district"
    ev = report.evaluation
    expected_passed, expected_unknown = exact_baseline(units, missing, kinds)
    atoms = ev.atoms
    year_index = np.searchsorted(ev.obs.years, plan.atom_year[atoms])
    indicator_index = np.array([int(plan.indicators[i][2:]) for i in plan.atom_indicator[atoms]])
    region_order = np.array([int(name[1:]) for name in ev.obs.regions])
    got_passed = np.zeros(units.shape, dtype=bool)
    got_unknown = np.zeros(units.shape, dtype=bool)
    got_passed[region_order[:, None], year_index[None, :], indicator_index[None, :]] = ev.passed
    got_unknown[region_order[:, None], year_index[None, :], indicator_index[None, :]] = ev.unknown
    checked = np.zeros(units.shape, dtype=bool)
    checked[:, year_index, indicator_index] = True
    assert np.array_equal(got_passed & checked, expected_passed & checked), "pass matrices differ from the exact baseline"
    assert np.array_equal(got_unknown & checked, expected_unknown & checked), "unknown matrices differ"
    naive = float_baseline(values, kinds, plan)
    wrong = int(((naive != expected_passed) & checked & ~expected_unknown).sum())
    redecided = sum(len(b.exact.rows) for b in ev.blocks if b.exact is not None)
    on_threshold = 0.25

    def ours() -> Any:
        return qualityrules.evaluate(plan, table, hierarchy=tree).outcomes

    refine = evaluation.refine

    def float_only() -> Any:
        evaluation.refine = lambda plan, obs, block, ind_pos, year_pos: block   # type: ignore[assignment]
        try:
            return qualityrules.evaluate(plan, table, hierarchy=tree).outcomes
        finally:
            evaluation.refine = refine

    times = interleaved({"exact": ours, "float": float_only}, rounds)
    print(f"qualityrules {qualityrules.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, {os.cpu_count()} cores")
    print(f"table: {REGIONS * len(YEARS):,} rows x 60 indicators; rules: 40 every-year values, 10 every-year "
          f"changes vs 2011, 10 cumulative sums = {plan.n_atoms} atoms; about {on_threshold:.0%} of values "
          f"exactly on a threshold, {missing.mean():.1%} missing")
    print(f"answers: engine == exact integer baseline (pass and unknown); a float64 baseline gets {wrong:,} "
          f"verdicts wrong; the re-check re-decided {redecided:,} cells")
    print(f"evaluate from a dict of arrays to verdicts, median of {rounds} interleaved rounds:")
    print(f"  with the exact re-check:    {times['exact'] * 1e3:8.1f} ms")
    print(f"  float decisions only:       {times['float'] * 1e3:8.1f} ms")
    print(f"  ratio exact / float:        {times['exact'] / times['float']:8.3f}   (target < 1.10)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
