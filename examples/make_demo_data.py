"""Write the SYNTHETIC demo tables under examples/demo/ (deterministic: fixed seed, fixed file
timestamps). They are not statistics: every value is made up so that `qualityrules check
longgang-2015 ...` has something to show. Every row says so in its `note` column.

Values are derived from the enforced targets of the longgang-2015 pack that bind 龙岗区 (own ones,
and the inherited shares and rates; the province's totals bind 广东省 only):

* 龙岗区 meets every binding target in every year it is checked (so the README's command exits 0),
  misses one aspiration (a warn), prints two values censored as bulletins do (≥98, 100以上) and
  has one missing value (an unknown);
* 平湖街道, 布吉街道 and 横岗街道, streets of 龙岗区 (rules/regions.csv), scatter around the
  targets: 龙岗区's shares and rates bind them (its totals do not: those are 龙岗区's alone), so
  some pass, some fail, a few cells are missing or censored (<90).

Outputs (the same table three times, for the all-formats test):
  examples/demo/longgang-2011-2015.csv          UTF-8, wide form
  examples/demo/longgang-2011-2015.gb18030.csv  the same text in GB18030
  examples/demo/longgang-2011-2015.xlsx         the same table as an Excel sheet

Run: python examples/make_demo_data.py
"""

from __future__ import annotations

import csv
import io
import math
import random
import re
import zipfile
from fractions import Fraction
from pathlib import Path

import qualityrules
from qualityrules.packs.applicability import binds
from qualityrules.packs.resolve import BoundRule, Measure

HERE = Path(__file__).resolve().parent
OUT = HERE / "demo"
STEM = "longgang-2011-2015"
SEED = 20110321
YEARS = list(range(2011, 2016))
REGIONS = ["龙岗区", "平湖街道", "布吉街道", "横岗街道"]
NOTE = "synthetic demo data (examples/make_demo_data.py), not official statistics"
FIXED_TIME = (2016, 1, 1, 0, 0, 0)


def _interval(rules: list[BoundRule]) -> tuple[float, float, bool, bool]:
    """The intersection of the rules' intervals, as floats (lo, hi, lo_open, hi_open)."""
    lo, hi, lo_open, hi_open = -math.inf, math.inf, False, False
    for rule in rules:
        iv = rule.interval
        if iv.excluded:
            continue
        if iv.lower is not None and (float(iv.lower) > lo or (float(iv.lower) == lo and not iv.lower_inclusive)):
            lo, lo_open = float(iv.lower), not iv.lower_inclusive
        if iv.upper is not None and (float(iv.upper) < hi or (float(iv.upper) == hi and not iv.upper_inclusive)):
            hi, hi_open = float(iv.upper), not iv.upper_inclusive
    return lo, hi, lo_open, hi_open


def _step(unit: str | None) -> float:
    return 0.1 if unit in ("%", "‰") else (0.01 if unit and "/" in unit else 1.0)


def _round(x: float, unit: str | None) -> float:
    step = _step(unit)
    return float(round(round(x / step) * step, 2))


def _inside(lo: float, hi: float, lo_open: bool, hi_open: bool, unit: str | None, rng: random.Random) -> float:
    """A value meeting lo..hi, near the binding end, rounded as a bulletin would print it."""
    step = _step(unit)
    cap = 100.0 if unit == "%" else math.inf
    hi = min(hi, cap)
    if math.isinf(lo) and math.isinf(hi):
        return _round(rng.uniform(10, 100), unit)
    if math.isinf(hi):
        base = lo + (step if lo_open else 0.0)
        value = base + step * rng.randint(0, 20) if lo > 0 else base + step * rng.randint(0, 3)
        return _round(min(max(value, base), hi), unit)
    if math.isinf(lo):
        top = hi - (step if hi_open else 0.0)
        return _round(max(top - step * rng.randint(0, 20), 0.0 if top >= 0 else top), unit)
    low = lo + (step if lo_open else 0.0)
    high = hi - (step if hi_open else 0.0)
    return _round(low + (high - low) * rng.random(), unit) if high > low else _round(low, unit)


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def build() -> tuple[list[str], list[list[str]]]:
    pack = qualityrules.load_pack("longgang-2015")
    rng = random.Random(SEED)
    by_indicator: dict[str, list[BoundRule]] = {}
    for rule in pack.rules:   # the targets that bind 龙岗区 (not the province's own totals)
        if rule.measure is Measure.VALUE and any(binds(pack, rule, "龙岗区", year) for year in YEARS):
            by_indicator.setdefault(rule.indicator.name, []).append(rule)
    indicators = list(by_indicator)
    aspiration_missed = next((name for name, rules in by_indicator.items()
                              if all(r.strength.value == "aspiration" for r in rules)), None)
    values: dict[tuple[str, int, str], str] = {}
    for name, rules in by_indicator.items():
        unit = rules[0].indicator.unit
        cumulative = [r for r in rules if r.kind == "cumulative"]
        level = [r for r in rules if r.kind != "cumulative"]
        binding_level = [r for r in level if r.strength.value == "binding" or name != aspiration_missed]
        lo, hi, lo_open, hi_open = _interval(binding_level)
        for region in REGIONS:
            compliant = region == "龙岗区"
            for year in YEARS:
                if cumulative:
                    total = max(float(r.interval.lower or Fraction(0)) for r in cumulative)
                    share = total / len(YEARS)
                    value = math.ceil(share) + (rng.randint(0, 2) if compliant else rng.randint(-2, 1))
                    values[(region, year, name)] = _fmt(max(float(value), 0.0))
                    continue
                value = _inside(lo, hi, lo_open, hi_open, unit, rng)
                if not compliant:
                    spread = max(abs(value) * 0.04, _step(unit) * 3)
                    value = _round(value + rng.uniform(-spread, spread * 0.6), unit)
                    if unit == "%":
                        value = min(value, 100.0)
                    value = max(value, 0.0)
                values[(region, year, name)] = _fmt(value)
        if name == aspiration_missed:
            for year in YEARS:
                values[("龙岗区", year, name)] = "0"
    # Bulletin-style cells: censored values and gaps.
    percent = [n for n in indicators if by_indicator[n][0].indicator.unit == "%" and
               all(r.interval.upper is None for r in by_indicator[n])]
    if len(percent) >= 2:
        lo0 = _interval(by_indicator[percent[0]])[0]
        values[("龙岗区", 2015, percent[0])] = f"≥{_fmt(max(lo0, 0.0))}"
        values[("平湖街道", 2015, percent[1])] = "<90"
    exact_100 = [n for n in indicators if any(r.interval.lower == r.interval.upper == 100 for r in by_indicator[n])]
    if exact_100:
        values[("横岗街道", 2015, exact_100[0])] = ""
    every_year = [n for n in indicators if any(r.kind == "every-year" for r in by_indicator[n])]
    if every_year:
        values[("龙岗区", 2012, every_year[0])] = ""     # a gap in an every-year series: unknown
    for region in REGIONS[1:]:
        name = rng.choice(indicators)
        values[(region, rng.choice(YEARS), name)] = "—"
    header = ["region", "year", *indicators, "note"]
    rows = [[region, str(year), *[values[(region, year, n)] for n in indicators], NOTE]
            for region in REGIONS for year in YEARS]
    return header, rows


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _xlsx_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "demo"
    sheet.append(header)
    for row in rows:
        cells: list[object] = [row[0], int(row[1])]
        for cell in row[2:-1]:
            cells.append(float(cell) if re.fullmatch(r"-?\d+(\.\d+)?", cell) else (cell or None))
        cells.append(row[-1])
        sheet.append(cells)
    fixed = datetime.datetime(*FIXED_TIME)
    book.properties.created = fixed
    book.properties.modified = fixed
    book.properties.creator = "examples/make_demo_data.py"
    buffer = io.BytesIO()
    book.save(buffer)
    # Re-pack with fixed timestamps (and a fixed modification date) so the file is reproducible.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2016-01-01T00:00:00Z", data)
            target.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def main() -> None:
    header, rows = build()
    OUT.mkdir(exist_ok=True)
    text = _csv_text(header, rows)
    (OUT / f"{STEM}.csv").write_bytes(text.encode("utf-8"))
    (OUT / f"{STEM}.gb18030.csv").write_bytes(text.encode("gb18030"))
    (OUT / f"{STEM}.xlsx").write_bytes(_xlsx_bytes(header, rows))
    report = qualityrules.evaluate("longgang-2015", OUT / f"{STEM}.csv")
    print(f"wrote {OUT}/{STEM}.{{csv,gb18030.csv,xlsx}}: {len(rows)} rows x {len(header) - 3} indicators")
    for region in REGIONS:
        verdicts = [row["verdict"] for row in report.targets() if row["region"] == region]
        print(f"  {region}: " + ", ".join(f"{verdicts.count(v)} {v}" for v in ("pass", "fail", "warn", "unknown")))


if __name__ == "__main__":
    main()
