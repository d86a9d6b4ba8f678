"""Mid-term review benchmark: every target of every shipped pack, 10,000 regions x 6 years, from one
process.

For each shipped pack the table is 10,000 regions x the 6 years ending with the pack's period
(wide form, a pandas DataFrame: region, year, one column per indicator the pack reads), values
drawn around each indicator's target along a compound trend, 1 % missing. Timed from the
DataFrame the user holds to the answers:

  * plain: ``qualityrules.evaluate(pack, frame)`` and its verdicts (``summary()``);
  * review: ``qualityrules.evaluate(pack, frame, as_of=end - 2)`` — the same evaluation of the
    years up to the as-of year plus the assessment of every target due later — and its verdicts
    and review statuses (``summary()``, ``review_summary()``).

Before timing, the review's answers are checked: its verdicts for the years up to the as-of year
equal the plain evaluation's on the table cut at that year, and the status of 300 sampled
(region, target-year target) cells on the compound path equals a scalar Python reference computed from the
frame (observed ÷ required compound annual growth against 0.95 / 0.6, or achieved).

Printed: per pack and over all packs, the medians of interleaved rounds after a warm-up, and the
ratio review / plain (the goal: under 3x), with the package versions and the core count.

Run: python benchmarks/bench_review.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time
from typing import Any

import numpy as np
import pandas as pd

import qualityrules
from qualityrules.engine.assessment import ACHIEVED, COMPOUND, STATUSES, Reason
from qualityrules.engine.plan import compile_pack

REGIONS = 10_000
YEARS = 6
SEED = 20180101


def build_frame(pack: qualityrules.Pack, regions: int, rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
    """The table for ``pack`` and its as-of year (two years before the period ends)."""
    plan = compile_pack(pack)
    end = pack.period.end if pack.period is not None else int(plan.atom_year.max())
    years = np.arange(end - YEARS + 1, end + 1)
    columns: dict[str, Any] = {"region": np.repeat([f"区{r:05d}" for r in range(regions)], len(years)),
                               "year": np.tile(years, regions)}
    for i, name in enumerate(plan.indicators):
        atoms = np.flatnonzero(plan.atom_indicator == i)
        bound = next((b for b in np.concatenate([plan.lo[atoms], plan.hi[atoms]]) if math.isfinite(b) and b > 0), 50.0)
        cumulative = any(plan.rules[int(plan.atom_rule[a])].kind == "cumulative" for a in atoms)
        scale = bound / 5 if cumulative else bound
        base = scale * rng.uniform(0.5, 1.2, size=(regions, 1))
        growth = rng.uniform(-0.05, 0.15, size=(regions, 1))
        values = base * (1 + growth) ** (years - years[0])[None, :]
        values = np.round(values, 3)
        values[rng.random(values.shape) < 0.01] = np.nan
        columns[name] = values.reshape(-1)
    return pd.DataFrame(columns), end - 2


def reference_status(frame: pd.DataFrame, pack: qualityrules.Pack, report: Any, samples: int,
                     rng: np.random.Generator) -> int:
    """Check ``samples`` compound, ratio-decided cells against a scalar Python computation;
    returns how many were checked."""
    a = report.assessment
    plan = report.plan
    target_year = np.array([plan.rules[int(plan.atom_rule[atom])].kind == "target-year" for atom in a.atoms.tolist()],
                           dtype=bool)
    candidates = np.argwhere((a.path == COMPOUND) & (a.reason == Reason.NONE) & target_year[None, :])
    if not len(candidates):
        return 0
    chosen = candidates[rng.choice(len(candidates), size=min(samples, len(candidates)), replace=False)]
    indexed = frame.set_index(["region", "year"])
    on_track, at_risk = (float(x) for x in a.review.thresholds)
    for r, k in chosen.tolist():
        atom = int(a.atoms[k])
        rule = plan.rules[int(plan.atom_rule[atom])]
        region = report.obs.regions[r]
        s, t, year = int(a.base_year[r, k]), int(a.latest_year[r, k]), int(a.due[k])
        v_s = float(indexed.loc[(region, s), rule.indicator.name])
        v_t = float(indexed.loc[(region, t), rule.indicator.name])
        goal = float(a.target_value[r, k])
        if int(a.status[r, k]) == ACHIEVED:
            continue
        observed = (v_t / v_s) ** (1 / (t - s)) - 1
        required = (goal / v_s) ** (1 / (year - s)) - 1
        if (goal - v_s) * (goal - v_t) <= 0:                  # the base already met it: needed from now
            required = (goal / v_t) ** (1 / (year - t)) - 1
        ratio = observed / required
        expected = "on-track" if ratio >= on_track else "at-risk" if ratio >= at_risk else "off-track"
        if abs(ratio - on_track) < 1e-9 or abs(ratio - at_risk) < 1e-9:
            continue                                          # a tie is re-decided exactly by the engine
        got = STATUSES[int(a.status[r, k])]
        assert got == expected, (pack.id, region, rule.text, v_s, v_t, goal, ratio, got)
    return len(chosen)


def check(pack: qualityrules.Pack, frame: pd.DataFrame, as_of: int, rng: np.random.Generator) -> int:
    review = qualityrules.evaluate(pack, frame, as_of=as_of)
    cut = qualityrules.evaluate(pack, frame[frame["year"] <= as_of])
    due = review.plan.atom_year[review.atoms] <= as_of
    assert np.array_equal(review.codes[:, due], cut.codes[:, due]), pack.id
    return reference_status(frame, pack, review, 300, rng)


def plain(pack: qualityrules.Pack, frame: pd.DataFrame) -> None:
    qualityrules.evaluate(pack, frame).summary()


def reviewed(pack: qualityrules.Pack, frame: pd.DataFrame, as_of: int) -> None:
    report = qualityrules.evaluate(pack, frame, as_of=as_of)
    report.summary()
    report.review_summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 regions, 3 rounds")
    args = parser.parse_args()
    regions, rounds = (1_000, 3) if args.quick else (REGIONS, 7)
    rng = np.random.default_rng(SEED)
    packs = [qualityrules.load_pack(name) for name in qualityrules.shipped_packs()]
    tables = [(pack, *build_frame(pack, regions, rng)) for pack in packs]
    checked = sum(check(pack, frame, as_of, rng) for pack, frame, as_of in tables)
    print(f"qualityrules {qualityrules.__version__}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"Python {platform.python_version()}, {os.cpu_count()} cores")
    print(f"{regions:,} regions x {YEARS} years per pack; answers checked: verdicts up to the as-of year equal "
          f"the plain evaluation's, {checked} sampled statuses equal the scalar reference")
    totals = {"plain": [], "review": []}
    for pack, frame, as_of in tables:
        plain(pack, frame)                              # warm-up: compile, caches
        reviewed(pack, frame, as_of)
        times: dict[str, list[float]] = {"plain": [], "review": []}
        for round_ in range(rounds):                  # interleaved, alternating which goes first
            order = ["plain", "review"] if round_ % 2 == 0 else ["review", "plain"]
            for name in order:
                start = time.perf_counter()
                if name == "plain":
                    plain(pack, frame)
                else:
                    reviewed(pack, frame, as_of)
                times[name].append(time.perf_counter() - start)
        p, r = statistics.median(times["plain"]), statistics.median(times["review"])
        totals["plain"].append(p)
        totals["review"].append(r)
        assessed = len(compile_pack(pack).atom_year[compile_pack(pack).atom_year > as_of])
        print(f"  {pack.id:<16} {len(pack.rules):>3} targets, {assessed:>3} atoms due after {as_of}: "
              f"plain {p * 1000:8.1f} ms, review {r * 1000:8.1f} ms, ratio {r / p:.2f}x")
    p, r = sum(totals["plain"]), sum(totals["review"])
    print(f"all packs: plain {p * 1000:.1f} ms, review {r * 1000:.1f} ms (sums of medians of {rounds} rounds), "
          f"ratio {r / p:.2f}x (goal: under 3x)")


if __name__ == "__main__":
    main()
