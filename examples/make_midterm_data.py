"""Write the SYNTHETIC mid-term review table examples/demo/shenzhen-2015-2018.csv (deterministic:
fixed seed). It is not statistics: every value is made up so that a review of `shenzhen-2020` as of
2018 (中期评估) has something to show. Every row says so in its `note` column.

Values are derived from the enforced targets of the shenzhen-2020 pack that bind 深圳市 (its own,
and the inherited national rates and shares), for 2015 (the plan's base year) to 2018:

* each level target gets a series whose average annual change is a chosen multiple of the change
  it requires from 2015 (compound, as the review measures it), cycling through the review's
  classes: on track (1.0–1.3 of the required change), at risk (0.65–0.9), already achieved
  (past the target by 2018) and off track (-0.3–0.4);
* each cumulative target gets yearly flows for 2016–2018 at such a multiple of the pro-rata flow;
* one indicator has a value for 2018 only (insufficient data), one is censored as a bulletin
  prints it (≥99), and one is left out of the table (not in the data).

Output: examples/demo/shenzhen-2015-2018.csv  (UTF-8, long form: region, year, indicator, value, note)

Run: python examples/make_midterm_data.py
"""

from __future__ import annotations

import csv
import io
import math
import random
from pathlib import Path

import qualityrules
from qualityrules.packs.resolve import BoundRule, Measure

HERE = Path(__file__).resolve().parent
OUT = HERE / "demo" / "shenzhen-2015-2018.csv"
SEED = 20160922
REGION = "深圳市"
YEARS = (2015, 2016, 2017, 2018)
BASE, TARGET = 2015, 2020
NOTE = "synthetic demo data (examples/make_midterm_data.py), not official statistics"
CYCLE = ("on-track", "at-risk", "achieved", "off-track")
RATIOS = {"on-track": (1.0, 1.3), "at-risk": (0.65, 0.9), "off-track": (-0.3, 0.4)}
ONLY_LATEST = "绿色建筑总面积"          # a value for 2018 only: insufficient data
CENSORED = "药品评价性抽样合格率"        # 2018 printed as ≥99
LEFT_OUT = "降雨就地消纳利用率"          # not in the table at all


def _bound(rule: BoundRule) -> tuple[float, int]:
    """The bound the series must reach and the direction (+1 up, -1 down) of a target."""
    interval = rule.interval
    if interval.lower is not None and (interval.upper is None or rule.indicator.direction.value != "lower"):
        return float(interval.lower), 1
    assert interval.upper is not None
    return float(interval.upper), -1


def _digits(x: float) -> str:
    """A value as a bulletin prints it: four significant digits, no exponent."""
    if x == 0:
        return "0"
    places = max(0, 3 - math.floor(math.log10(abs(x))))
    return f"{x:.{places}f}".rstrip("0").rstrip(".") if places else str(round(x))


def _level_series(rule: BoundRule, scenario: str, rng: random.Random) -> dict[int, str]:
    bound, direction = _bound(rule)
    if rule.measure is Measure.VALUE:
        base = bound * (rng.uniform(0.7, 0.9) if direction > 0 else rng.uniform(1.15, 1.4))
        if rule.indicator.unit == "%" and direction > 0:
            base = min(base, bound - (100 - bound) * 0.5 - 1) if bound > 50 else base
        goal = bound
    else:
        base = 100.0 * rng.uniform(0.8, 1.2)
        sign = rule.change_sign
        goal = base * (1 + sign * bound / 100) if rule.measure is Measure.RELATIVE_CHANGE else base + sign * bound
        direction = sign
    if scenario == "achieved":
        overshoot = 1 + direction * rng.uniform(0.02, 0.08) if goal > 0 else 1.0
        return {year: _digits(base + (goal * overshoot - base) * (year - BASE) / (YEARS[-1] - BASE))
                for year in YEARS}
    low, high = RATIOS[scenario]
    required = (goal / base) ** (1 / (TARGET - BASE)) - 1
    growth = required * rng.uniform(low, high)
    series = {year: base * (1 + growth) ** (year - BASE) for year in YEARS}
    series[2016] *= 1 + rng.uniform(-0.01, 0.01)     # the middle years wobble; the ends carry the trend
    return {year: _digits(value) for year, value in series.items()}


def _flows(rule: BoundRule, scenario: str, rng: random.Random) -> dict[int, str]:
    total, _ = _bound(rule)
    period = len(rule.years)
    per_year = total / period
    elapsed = [y for y in YEARS if y in rule.years]
    if scenario == "achieved":
        shares = [rng.uniform(0.4, 0.6) * total for _ in elapsed]
        return {y: _digits(max(1.0, round(s))) for y, s in zip(elapsed, shares, strict=True)}
    low, high = RATIOS[scenario]
    ratio = rng.uniform(max(low, 0.1), high)
    return {y: _digits(max(0.0, round(per_year * ratio * rng.uniform(0.9, 1.1)))) for y in elapsed}


def build() -> list[tuple[str, int, str, str]]:
    pack = qualityrules.load_pack("shenzhen-2020")
    rng = random.Random(SEED)
    chosen: dict[str, BoundRule] = {}
    for rule in pack.rules:      # the targets that bind 深圳市, one per indicator (the first)
        binds = not rule.regions or REGION in rule.regions
        if binds and TARGET in rule.years + ((rule.years[-1],) if rule.years else ()):
            chosen.setdefault(rule.indicator.name, rule)
    rows: list[tuple[str, int, str, str]] = []
    for index, (name, rule) in enumerate(chosen.items()):
        if name == LEFT_OUT:
            continue
        scenario = CYCLE[index % len(CYCLE)]
        series = _flows(rule, scenario, rng) if rule.kind == "cumulative" else _level_series(rule, scenario, rng)
        if name == ONLY_LATEST:
            series = {2018: series[2018]}
        if name == CENSORED:
            series[2018] = "≥99"
        rows += [(REGION, year, name, value) for year, value in sorted(series.items())]
    return rows


def main() -> None:
    rows = build()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["region", "year", "indicator", "value", "note"])
    writer.writerows([*row, NOTE] for row in rows)
    OUT.write_bytes(out.getvalue().encode("utf-8"))
    report = qualityrules.evaluate("shenzhen-2020", OUT, as_of=2018)
    print(f"wrote {OUT}: {len(rows)} rows")
    print("review as of 2018:", report.review_counts()[REGION])


if __name__ == "__main__":
    main()
