"""Exact decisions: a value exactly at a threshold gets the statutory verdict whatever arithmetic
produced it (relative change, points, records ratios, unit conversion, sums over years,
tolerances), values count at the decimal they were given, margins are exact, and declared
GB/T 8170-2008 rounding is applied as the pack or indicator says."""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_pins import CATALOGUE as SCALE_CATALOGUE  # 甲率, 乙率 (%) and 丙量 (万元)

import qualityrules
from qualityrules.engine import exact
from qualityrules.errors import RuleSyntaxError
from qualityrules.language.format import format_model
from qualityrules.language.parse import parse_text
from qualityrules.packs import resolve
from qualityrules.tables.decimals import decimal_parts, one_float_off, scale_array, value_of

# ------------------------------------------------------------------------------------------
# The failures reported in issue 9, with the right answers


def test_an_exact_18_5_percent_decrease_passes() -> None:
    report = _evaluate("shenzhen-2020", {"region": ["深圳市", "深圳市"], "year": [2015, 2020],
                                                      "万元GDP水耗": [20.83, 16.97645]})
    assert report.verdict("深圳市", 2020, "万元GDP水耗") == "pass"
    row = next(r for r in report.results() if r["indicator"] == "万元GDP水耗")
    assert row["value"] == 18.5 and row["margin"] == 0.0


def test_two_hundred_random_exact_decreases_all_pass() -> None:
    pack = qualityrules.load_pack("shenzhen-2020")
    rng = random.Random(9)
    baselines = [Fraction(rng.randint(1000, 99999), 100) for _ in range(200)]
    values = [b * Fraction(815, 1000) for b in baselines]          # exactly 18.5 % lower
    regions = [f"区{k:03d}" for k in range(200)]
    data = {"region": regions * 2, "year": [2015] * 200 + [2020] * 200,
            "万元GDP水耗": [float(b) for b in baselines] + [float(v) for v in values]}
    report = _evaluate(pack, data)
    verdicts = [report.verdict(r, 2020, "万元GDP水耗") for r in regions]
    assert verdicts == ["pass"] * 200
    # one unit less of decrease in the last decimal fails
    worse = [float(v + Fraction(1, 10 ** 7)) for v in values]
    data["万元GDP水耗"] = [float(b) for b in baselines] + worse
    report = _evaluate(pack, data)
    assert [report.verdict(r, 2020, "万元GDP水耗") for r in regions] == ["fail"] * 200


def _wastewater(volumes: list[float], compliant: list[bool]) -> dict[str, Any]:
    n = len(volumes)
    return {"district": ["龙岗区"] * n, "sample_date": [dt.date(2015, 3, 1)] * n, "volume": volumes,
            "compliant": compliant}


def test_records_exactly_95_percent_compliant_pass() -> None:
    report = qualityrules.check_records("longgang-2015", {"wastewater": _wastewater([7.1, 4.3, 0.6],
                                                                                    [True, True, False])},
                                        regions=["龙岗区"])
    assert report.verdict("龙岗区", 2015, "工业废水达标排放率") == "pass"
    assert "margin 0 %" in report.explain("龙岗区", 2015, "工业废水达标排放率")


def _evaluate(pack: Any, data: Any) -> qualityrules.Report:
    """Evaluate with every region of the data placed under the pack's region: these tests are
    about exact arithmetic; which regions a target binds is test_applicability's."""
    pack = qualityrules.load_pack(pack) if isinstance(pack, str) else pack
    regions = set(data["region"]) - {pack.region}
    return qualityrules.evaluate(pack, data, hierarchy={r: pack.region for r in regions})


def _pack(body: str, head: str = "") -> qualityrules.Pack:
    return qualityrules.parse_pack("pack t-2015 {\n    region 龙岗区\n    level district\n    period 2011..2015\n"
                                   f"    target 2015\n{head}    section s {{\n{body}\n    }}\n}}\n")


def test_records_exactly_30_percent_do_not_exceed_30_percent() -> None:
    pack = _pack("        工业废水达标排放率 超过30%")
    report = qualityrules.check_records(pack, {"wastewater": _wastewater([0.1, 0.2, 0.7], [True, True, False])})
    assert report.verdict("龙岗区", 2015, "工业废水达标排放率") == "fail"
    table = qualityrules.compute_indicators(pack, {"wastewater": _wastewater([0.1, 0.2, 0.7], [True, True, False])})
    assert table.value.tolist() == [30.0] and table.exact == {}


def test_exact_values_are_kept_only_where_the_float_does_not_read_as_them() -> None:
    """The evaluator gets a record-defined value's exact rational wherever its float reads as
    another number: a rate of 1/3, a sum of more than 15 significant digits; never for a short
    decimal, which its float reads as exactly."""
    pack = _pack("        工业废水达标排放率 超过30%")
    cases = {"third": ([1.0, 2.0], [True, False], Fraction(100, 3)),
             "long": ([0.1234567890123, 0.0045432109877], [True, False],
                      100 * Fraction("0.1234567890123") / Fraction("0.128")),     # 96.450616415859375
             "short": ([7.1, 4.3, 0.6], [True, True, False], None)}
    for name, (volumes, compliant, expected) in cases.items():
        table = qualityrules.compute_indicators(pack, {"wastewater": _wastewater(volumes, compliant)})
        assert table.exact == ({} if expected is None else {0: expected}), name


def test_a_cell_in_another_unit_is_converted_exactly() -> None:
    pack = _pack("        人均GDP 达到6万元\n        工业废水达标排放率 达到0.07%以上")
    for cell in ("0.0006", 0.0006):
        report = _evaluate(pack, {"region": ["龙岗区"], "year": [2015], "人均GDP(亿元)": [cell],
                                              "工业废水达标排放率": ["0.7‰"]})
        assert report.verdict("龙岗区", 2015, "人均GDP") == "pass"
        assert report.verdict("龙岗区", 2015, "工业废水达标排放率") == "pass"
        values = {r["indicator"]: r["value"] for r in report.results()}
        assert values == {"人均GDP": 6.0, "工业废水达标排放率": 0.07}


# ------------------------------------------------------------------------------------------
# The shortest-decimal convention and why the fast path needs no re-check

DECIMALS = st.builds(lambda digits, exponent, sign: Fraction(sign * digits) * Fraction(10) ** exponent,
                     st.integers(0, 10 ** 15 - 1), st.integers(-20, 6), st.sampled_from([1, -1]))


@settings(max_examples=3000, deadline=None)
@given(DECIMALS, DECIMALS)
def test_float_comparison_of_short_decimals_is_exact(d: Fraction, t: Fraction) -> None:
    """Rounding is monotone and two decimals of at most 15 digits never share a float, so the
    engine's float comparison (nextafter for strict bounds) gives the exact answer."""
    x, threshold = float(d), float(t)
    assert (x >= threshold) == (d >= t)
    assert (x >= np.nextafter(threshold, np.inf)) == (d > t)
    assert (x <= threshold) == (d <= t)
    assert (x <= np.nextafter(threshold, -np.inf)) == (d < t)
    for decimal, as_float in ((d, x), (t, threshold)):    # below 10**15 a short decimal counts as itself
        assert value_of(as_float) == (decimal if abs(decimal) < 10 ** 15 else Fraction(as_float))


@settings(max_examples=3000, deadline=None)
@given(DECIMALS, st.integers(1, 12), st.sampled_from([1, -1]))
def test_no_short_decimal_is_one_float_off_another(t: Fraction, steps: int, sign: int) -> None:
    """Why a value one float off a short bound may count as on it: the neighbours of a decimal of
    at most 15 digits on that grid are at least four floats away, so nothing typed is moved."""
    sign_t, digits, exponent = Decimal(str(float(t))).as_tuple()
    neighbour = t + sign * steps * Fraction(10) ** (int(exponent) + len(digits) - 15) if t else Fraction(0)
    if neighbour != t and abs(float(t)) > 1e-300:
        assert not one_float_off(float(neighbour), float(t))


@pytest.mark.parametrize(("rule", "value", "verdict"), [
    ("达到95%以上", 741 * (100 / 780), "pass"),        # 94.99999999999999: one float below 95
    ("超过30%", 0.1 * 3 * 100, "fail"),                # 30.000000000000004: 30, which does not exceed 30
    ("不高于30%", 0.1 * 3 * 100, "pass"),
    ("低于95%", 741 * (100 / 780), "fail"),
    ("达到95%以上", float(np.nextafter(np.nextafter(95.0, 0), 0)), "fail"),   # two floats off: as it is
    ("超过30%", float(np.nextafter(np.nextafter(30.0, 99), 99)), "pass"),
])
def test_a_value_one_float_off_a_threshold_counts_as_on_it(rule: str, value: float, verdict: str) -> None:
    """A computed value that meant the threshold and missed it by its last rounding gets the
    statutory verdict and a margin of 0; two floats off it counts at its binary value, and
    explain then shows every digit, not a rounded one that seems to meet the target."""
    report = _evaluate(_pack(f"        工业废水达标排放率 {rule}"),
                       {"region": ["龙岗区"], "year": [2015], "工业废水达标排放率": [value]})
    assert report.verdict("龙岗区", 2015, "工业废水达标排放率") == verdict
    row = next(r for r in report.results() if r["indicator"] == "工业废水达标排放率")
    check = report.explain("龙岗区", 2015, "工业废水达标排放率").splitlines()[-1]
    if one_float_off(value, round(value)):
        assert row["margin"] == 0.0 and f"check:    {round(value)} %" in check
    else:
        assert row["margin"] != 0.0 and f"check:    {value!r} %" in check


def test_one_float_off_is_not_on_a_bound_that_is_rechecked() -> None:
    """Where the float decision is not the exact one — a change, a declared rounding — values
    count at their decimal or binary value as before: (95 - 94.99999999999999) / 95 is no exact 0."""
    report = _evaluate(_pack("        工业废水达标排放率 比2011年提高0%以上"),
                       {"region": ["龙岗区"] * 2, "year": [2011, 2015], "工业废水达标排放率": [95.0, 741 * (100 / 780)]})
    assert report.verdict("龙岗区", 2015, "工业废水达标排放率") == "fail"


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_decimal_parts_agree_with_value_of(x: float) -> None:
    m, k, ok = decimal_parts(np.array([x]))
    exact = value_of(x)
    if ok[0]:
        assert Fraction(int(m[0]), 10 ** int(k[0])) == exact == Fraction(repr(x))
    else:
        assert exact == Fraction(x)


def test_scale_array_rounds_once_from_the_decimal() -> None:
    values, exact = scale_array(np.array([0.0006, 0.7, 1.1, np.nan, 0.1 + 0.2]), Fraction(10 ** 4))
    assert values[:3].tolist() == [6.0, 7000.0, 11000.0] and math.isnan(values[3])
    # 0.30000000000000004 counts at its binary value, whose product is not a float: kept exactly
    assert exact == {4: Fraction(0.1 + 0.2) * 10 ** 4} and values[4] == float(Fraction(0.1 + 0.2) * 10 ** 4)
    values, exact = scale_array(np.array([1.0, 15.0, 7.5]), Fraction(1, 15))   # 亩 -> 公顷
    assert values.tolist() == [float(Fraction(1, 15)), 1.0, 0.5] and exact == {0: Fraction(1, 15)}


def test_cells_keep_the_digits_they_were_written_with() -> None:
    pack = _pack("        工业废水达标排放率 超过95%\n        人均GDP 达到6万元")
    data = {"region": ["甲", "乙", "丙", "丁", "戊"], "year": [2015] * 5,
            "工业废水达标排放率": ["95.0000000000000001", "94.99999999999999999", Decimal("95.000000000000000001"),
                          Fraction(95), 95],
            "人均GDP": [Fraction(59999999999999999, 10 ** 16), Decimal("6"), 2 ** 70, "6.0000000000000000001",
                      "5.9999999999999999999"]}
    report = _evaluate(pack, data)
    assert [report.verdict(r, 2015, "工业废水达标排放率") for r in data["region"]] == \
        ["pass", "fail", "pass", "fail", "fail"]
    assert [report.verdict(r, 2015, "人均GDP") for r in data["region"]] == ["fail", "pass", "pass", "pass", "fail"]
    assert "95.0000000000000001" in report.explain("甲", 2015, "工业废水达标排放率")


def test_a_float32_column_counts_at_its_own_shortest_decimal() -> None:
    pack = _pack("        工业废水达标排放率 达到95.1%以上")
    report = _evaluate(pack, {"region": ["甲"], "year": [2015],
                                          "工业废水达标排放率": np.array([95.1], dtype=np.float32)})
    assert report.verdict("甲", 2015, "工业废水达标排放率") == "pass"


def test_a_censored_bound_with_more_digits_than_a_float_is_widened_never_narrowed() -> None:
    pack = _pack("        工业废水达标排放率 达到95%以上")
    report = _evaluate(pack, {"region": ["甲", "乙"], "year": [2015, 2015],
                                          "工业废水达标排放率": ["≥94.99999999999999999", ">95.00000000000000001"]})
    assert report.verdict("甲", 2015, "工业废水达标排放率") == "unknown"
    assert report.verdict("乙", 2015, "工业废水达标排放率") == "pass"


def test_a_threshold_that_is_not_a_short_decimal_is_rechecked() -> None:
    """100亩 is 20/3 公顷: the float nearest to 20/3 is not the threshold."""
    catalogue, problems = resolve.Catalogue.build(parse_text(
        "indicator 绿地 {\n    unit 公顷\n    direction higher\n}\n"
        "indicator 林地 {\n    unit 公顷\n    direction higher\n}\n")[0].indicators)
    assert not problems
    pack = resolve.resolve_text("pack t-2015 {\n    region 甲\n    scope 乙\n    level district\n    target 2015\n"
                                "    section s {\n        绿地 达到100亩\n        林地 超过100亩\n    }\n}\n",
                                catalogue=catalogue)
    near = float(Fraction(20, 3))
    assert Fraction(near) != Fraction(20, 3)
    report = _evaluate(pack, {"region": ["甲", "乙"], "year": [2015, 2015], "绿地": [near, "100亩"],
                                          "林地": [near, "100亩"]})
    below = Fraction(near) < Fraction(20, 3)
    assert report.verdict("甲", 2015, "绿地") == ("fail" if below else "pass")
    assert report.verdict("甲", 2015, "林地") == ("fail" if below else "pass")
    assert report.verdict("乙", 2015, "绿地") == "pass" and report.verdict("乙", 2015, "林地") == "fail"


# ------------------------------------------------------------------------------------------
# Every arithmetic path against an exact-rational reference

CATALOGUE = """
indicator 甲增长率 {
    unit %
    direction higher
}
indicator 乙值 {
    unit 万元
    direction higher
}
indicator 丙耗 {
    unit 立方米/万元
    direction lower
}
indicator 丁量 {
    unit 万元
    direction higher
}
indicator 戊率 {
    unit %
    direction higher
    from w
    region district
    date day
    value 100 * sum(v where ok) / sum(v)
}
"""


def _catalogue() -> resolve.Catalogue:
    rule_file, diagnostics = parse_text(CATALOGUE)
    assert not diagnostics
    catalogue, problems = resolve.Catalogue.build(rule_file.indicators)
    assert not problems
    return catalogue


CASE_CATALOGUE = _catalogue()
REGIONS = 20
STRICT = {">=": False, ">": True, "<=": False, "<": True}
WORDS = {">=": "达到{t}以上", ">": "超过{t}", "<=": "不超过{t}", "<": "低于{t}"}


def _text(x: Fraction) -> str:
    """A decimal written out in full (every value here has a finite decimal expansion)."""
    sign = "-" if x < 0 else ""
    x = abs(x)
    places = 0
    while (x * 10 ** places).denominator != 1:
        places += 1
    digits = str(x.numerator * 10 ** places // x.denominator).rjust(places + 1, "0")
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


def _decimal(draw: Any, low: int, high: int, places: int) -> Fraction:
    return Fraction(draw(st.integers(low, high)), 10 ** places)


def _satisfies(x: Fraction, op: str, t: Fraction) -> bool:
    return {">=": x >= t, ">": x > t, "<=": x <= t, "<": x < t}[op]


@st.composite
def cases(draw: Any) -> tuple[str, str, dict[str, Any], dict[str, bool], dict[str, Any] | None]:
    """(path, rule, data, exact verdict per region, records): every region's value is built
    exactly on the threshold, or one unit of its last decimal either side of it."""
    path = draw(st.sampled_from(["relative", "points", "records", "unit", "cumulative", "tolerance"]))
    op = draw(st.sampled_from(list(STRICT)))
    regions = [f"区{k:02d}" for k in range(REGIONS)]
    nudges = [draw(st.sampled_from([0, 0, 0, 1, -1])) for _ in regions]
    data: dict[str, Any] = {"region": [], "year": []}
    expected: dict[str, bool] = {}
    records: dict[str, Any] | None = None
    floats = draw(st.booleans())          # values given as floats, or as text cells

    def cell(x: Fraction) -> Any:
        return float(x) if floats else _text(x)

    if path in ("relative", "points"):
        places = draw(st.integers(1, 4))
        amount = _decimal(draw, 1, 400, 1)
        down = draw(st.booleans())
        word = "下降" if down else "提高"
        unit = "%" if path == "relative" else "个百分点"
        rule = f"到2015年 甲增长率 较2011年{word}" + WORDS[op].format(t=_text(amount) + unit)
        values = []
        for region, nudge in zip(regions, nudges, strict=True):
            b = _decimal(draw, 10 ** places, 10 ** (places + 3), places)
            sign = -1 if down else 1
            v = b * (1 + sign * amount / 100) if path == "relative" else b + sign * amount
            v += Fraction(nudge, 10 ** (places + 3))
            change = sign * ((v - b) / b * 100 if path == "relative" else v - b)
            expected[region] = _satisfies(change, op, amount)
            data["region"] += [region, region]
            data["year"] += [2011, 2015]
            values += [cell(b), cell(v)]
        data["甲增长率"] = values      # a rate of change: any value is plausible
    elif path == "records":
        threshold = _decimal(draw, 1, 999, 1)
        rule = "戊率 " + WORDS[op].format(t=_text(threshold) + "%")
        records = {"district": [], "day": [], "v": [], "ok": []}
        for region, nudge in zip(regions, nudges, strict=True):
            total = _decimal(draw, 1000, 10 ** 6, 2)
            good = total * threshold / 100 + Fraction(nudge, 10 ** 4)
            good = min(max(good, Fraction(0)), total)
            split = draw(st.integers(1, 9))
            parts = [good * split / 10, good - good * split / 10, total - good]
            for value, ok in zip(parts, (True, True, False), strict=True):
                records["district"].append(region)
                records["day"].append(dt.date(2015, 6, 1))
                records["v"].append(float(value))
                records["ok"].append(ok)
            exact = 100 * sum((value_of(float(p)) for p in parts[:2]), Fraction(0)) \
                / sum((value_of(float(p)) for p in parts), Fraction(0))
            expected[region] = _satisfies(exact, op, threshold)
    elif path == "unit":
        threshold = _decimal(draw, 1, 10 ** 6, 2)            # 万元
        rule = "乙值 " + WORDS[op].format(t=_text(threshold) + "万元")
        given_unit, factor = draw(st.sampled_from([("亿元", Fraction(1, 10 ** 4)), ("元", Fraction(10 ** 4)),
                                                   ("万元", Fraction(1))]))
        column = []
        for region, nudge in zip(regions, nudges, strict=True):
            value = threshold + Fraction(nudge, 100)
            data["region"].append(region)
            data["year"].append(2015)
            column.append(cell(value * factor))
            expected[region] = _satisfies(value, op, threshold)
        data[f"乙值({given_unit})"] = column
    elif path == "cumulative":
        threshold = _decimal(draw, 10, 10 ** 6, 2)
        rule = "累计 丁量 " + WORDS[op].format(t=_text(threshold) + "万元")
        values = []
        for region, nudge in zip(regions, nudges, strict=True):
            cuts = sorted(_decimal(draw, 0, int(threshold * 100), 2) for _ in range(4))
            parts = [b - a for a, b in zip([Fraction(0), *cuts], [*cuts, threshold], strict=True)]
            parts[parts.index(max(parts))] += Fraction(nudge, 100)   # never a negative count (set aside)
            for year, part in zip(range(2011, 2016), parts, strict=True):
                data["region"].append(region)
                data["year"].append(year)
                values.append(cell(part))
            expected[region] = _satisfies(sum(parts, Fraction(0)), op, threshold)
        data["丁量"] = values
    else:   # tolerance: 丙耗 X左右 ±p%, values at the band's ends
        centre = _decimal(draw, 100, 10 ** 5, 2)
        width = _decimal(draw, 1, 200, 1)
        rule = f"丙耗 {_text(centre)}立方米/万元左右 ±{_text(width)}%"
        low, high = centre * (1 - width / 100), centre * (1 + width / 100)
        column = []
        for region, nudge in zip(regions, nudges, strict=True):
            value = (low if draw(st.booleans()) else high) + Fraction(nudge, 10 ** 5)
            data["region"].append(region)
            data["year"].append(2015)
            column.append(cell(value))
            expected[region] = low <= value <= high
        data["丙耗"] = column
    return path, rule, data, expected, records


def _verdicts(rule: str, data: dict[str, Any], records: dict[str, Any] | None) -> dict[str, str]:
    # every region is in the pack's scope: totals bind each of them too
    scope = ", ".join(f"区{k:02d}" for k in range(REGIONS))
    pack = resolve.resolve_text("pack t-2015 {\n    region 全区\n    level district\n    period 2011..2015\n"
                                f"    scope {scope}\n    target 2015\n    section s {{\n        {rule}\n    }}\n}}\n",
                                catalogue=CASE_CATALOGUE)
    if records is not None:
        report = qualityrules.check_records(pack, {"w": records})
    else:
        report = _evaluate(pack, data)
    return {row["region"]: row["verdict"] for row in report.targets()}


@pytest.mark.slow
@settings(max_examples=110, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_the_engine_agrees_with_exact_arithmetic_on_every_path(
        case: tuple[str, str, dict[str, Any], dict[str, bool], dict[str, Any] | None]) -> None:
    """110 examples x 20 regions = 2,200 cases per run, each sitting on a threshold or one unit
    of its last decimal away, through every arithmetic path; 0 disagreements."""
    _, rule, data, expected, records = case
    got = _verdicts(rule, data, records)
    assert got == {region: "pass" if ok else "fail" for region, ok in expected.items()}


# ------------------------------------------------------------------------------------------
# The re-check at scale: many cells, several batches, values of mixed decimal places


def test_many_cells_on_thresholds_decide_exactly_whatever_their_decimal_places() -> None:
    """Enough regions on their thresholds for the re-check to work in several batches, one-year
    changes and sums over years side by side, most values of two to five decimal places and every
    97th of eight to eleven (no one scale found from a sample fits them all): every verdict is the
    one exact rational arithmetic gives."""
    rule_file, diagnostics = parse_text(SCALE_CATALOGUE)
    assert not diagnostics
    catalogue, problems = resolve.Catalogue.build(rule_file.indicators)
    assert not problems
    regions = [f"区{k:05d}" for k in range(22_000)]     # and more than a piece of rows screened at a time
    pack = resolve.resolve_text("pack t-2015 {\n    region 全区\n    level district\n    period 2011..2015\n"
                                f"    scope {', '.join(regions)}\n    target 2015\n    section s {{\n"
                                "        到2015年 甲率 较2011年下降18.5%\n        到2015年 乙率 较2011年提高2.5个百分点\n"
                                "        累计 丙量 达到500万元以上\n    }\n}\n", catalogue=catalogue)    # totals bind named regions
    rng = random.Random(2015)
    columns: dict[str, list[float]] = {"甲率": [], "乙率": [], "丙量": []}
    expected = {}
    for k, region in enumerate(regions):
        places = 8 if k % 97 == 0 else 2
        nudge = Fraction(rng.choice([0, 0, 0, 1, -1]), 10 ** (places + 3))
        b = Fraction(rng.randint(10 * 10 ** places, 90 * 10 ** places), 10 ** places)
        v = b * Fraction(815, 1000) + nudge
        expected[(region, "甲率")] = (b - v) / b * 100 >= Fraction(185, 10)
        p = Fraction(rng.randint(10 * 10 ** places, 80 * 10 ** places), 10 ** places)
        q = p + Fraction(5, 2) + nudge
        expected[(region, "乙率")] = q - p >= Fraction(5, 2)
        cuts = sorted(Fraction(rng.randint(0, 500 * 10 ** places), 10 ** places) for _ in range(4))
        parts = [y - x for x, y in zip([Fraction(0), *cuts], [*cuts, Fraction(500)], strict=True)]
        parts[parts.index(max(parts))] += nudge * 1000
        expected[(region, "丙量")] = sum(parts, Fraction(0)) >= 500
        columns["甲率"] += [float(b), float(v), float(v), float(v), float(v)]
        columns["乙率"] += [float(p), float(q), float(q), float(q), float(q)]
        columns["丙量"] += [float(part) for part in parts]
    data = {"region": [r for r in regions for _ in range(5)], "year": list(range(2011, 2016)) * len(regions),
            **columns}
    report = _evaluate(pack, data)
    assert len(report.evaluation.exact.rows) > exact._BATCH       # several batches of cells re-decided
    got = {(row["region"], row["indicator"]): row["verdict"] for row in report.targets()}
    assert got == {key: "pass" if ok else "fail" for key, ok in expected.items()}


def test_values_with_more_digits_than_a_float_count_exactly_in_a_change() -> None:
    """A baseline or a value written with more digits than a float holds counts at those digits
    in a relative change (as do the other cells of the same regions and of the rule)."""
    pack = _pack("        到2015年 万元GDP水耗 较2011年下降10%")
    cells = {"甲": ("0.29999999999999999999", "0.27"), "乙": ("0.3", "0.27000000000000000001"),
             "丙": ("0.30000000000000000001", "0.27"), "丁": ("0.3", "0.27")}
    report = _evaluate(pack, {"region": [r for r in cells for _ in range(2)], "year": [2011, 2015] * len(cells),
                              "万元GDP水耗": [cell for pair in cells.values() for cell in pair]})
    for region, (b, v) in cells.items():
        ok = (Fraction(b) - Fraction(v)) / Fraction(b) * 100 >= 10
        assert report.verdict(region, 2015, "万元GDP水耗") == ("pass" if ok else "fail"), region
    assert [report.verdict(r, 2015, "万元GDP水耗") for r in cells] == ["fail", "fail", "pass", "pass"]


def test_a_censored_value_in_a_change_decides_where_its_bound_does() -> None:
    """From 0.3, a value known only as ``<0.27`` is a decrease of more than 10 % and ``>0.27``
    one of less; a bound a hair beyond 0.27 leaves the verdict open; 0.27 is 10 % exactly."""
    pack = _pack("        到2015年 万元GDP水耗 较2011年下降10%")
    cells = {"甲": "<0.27", "乙": ">0.27", "丙": "<0.2700000001", "丁": ">0.2699999999", "戊": "0.27"}
    report = _evaluate(pack, {"region": [r for r in cells for _ in range(2)], "year": [2011, 2015] * len(cells),
                              "万元GDP水耗": [cell for value in cells.values() for cell in ("0.3", value)]})
    assert [report.verdict(r, 2015, "万元GDP水耗") for r in cells] == ["pass", "fail", "unknown", "unknown", "pass"]


def test_sums_too_large_for_int64_are_decided_in_python_integers() -> None:
    """Values of 15 significant digits summed over five years: beyond what the int64 arithmetic
    allows (its products with the threshold must fit), decided in Python integers, exactly."""
    rule_file, _ = parse_text(SCALE_CATALOGUE)
    catalogue, _ = resolve.Catalogue.build(rule_file.indicators)
    pack = resolve.resolve_text("pack t-2015 {\n    region 全区\n    level district\n    period 2011..2015\n"
                                "    scope 甲, 乙\n    target 2015\n    section s {\n"
                                "        累计 丙量 达到6172839450617.25万元以上\n    }\n}\n", catalogue=catalogue)
    report = _evaluate(pack, {"region": ["甲"] * 5 + ["乙"] * 5, "year": list(range(2011, 2016)) * 2,
                              "丙量": [1234567890123.45] * 9 + [1234567890123.44]})
    assert report.verdict("甲", 2015, "丙量") == "pass" and report.verdict("乙", 2015, "丙量") == "fail"


def test_round_then_compare_of_changes_of_several_indicators() -> None:
    pack = _pack("        到2015年 万元GDP水耗 较2011年下降10%\n        到2015年 万元GDP能耗 较2011年下降10%",
                 "    rounding 1 修约值比较法\n")
    report = _evaluate(pack, {"region": ["甲", "甲", "乙", "乙", "丙", "丙"], "year": [2011, 2015] * 3,
                              "万元GDP水耗": [100, 90.5, 100, 90.6, 33.4, 30.227],
                              "万元GDP能耗": [100, 90.6, 100, 90.5, 0.7, 0.6335]})
    verdicts = {(r, i): report.verdict(r, 2015, i) for r in "甲乙丙" for i in ("万元GDP水耗", "万元GDP能耗")}
    # 9.5 % rounds (half to even) to 10, 9.4 % to 9; 丙's are both exactly 9.5 % (33.4 -> 30.227, 0.7 -> 0.6335)
    assert verdicts == {("甲", "万元GDP水耗"): "pass", ("甲", "万元GDP能耗"): "fail", ("乙", "万元GDP水耗"): "fail",
                        ("乙", "万元GDP能耗"): "pass", ("丙", "万元GDP水耗"): "pass", ("丙", "万元GDP能耗"): "pass"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.tuples(st.integers(-10 ** 9, 10 ** 9), st.integers(0, 3)),
                          st.tuples(st.integers(-10 ** 15 + 1, 10 ** 15 - 1), st.integers(0, 22))),
                min_size=1, max_size=300),
       st.lists(st.sampled_from([math.nan, math.inf, 0.1 + 0.2, 1e300, 5e-324]), max_size=5))
def test_gathered_values_at_one_scale_are_their_decimals(decimals: list[tuple[int, int]],
                                                          odd: list[float]) -> None:
    """The re-check reads gathered values at one scale found from a sample, the few it does not
    fit through decimal_parts: each value found is exactly the decimal it counts at."""
    values = np.array([float(Fraction(m, 10 ** k)) for m, k in decimals] + odd)
    m, k, ok, scale = exact._decimals(values)
    assert (k is None) == (scale is not None)
    places = np.full(len(values), scale) if k is None else k
    for x, digits, at, found in zip(values.tolist(), m.tolist(), places.tolist(), ok.tolist(), strict=True):
        assert found == bool(decimal_parts(np.array([x]))[2][0])
        if found:
            assert Fraction(digits, 10 ** at) == value_of(x)


# ------------------------------------------------------------------------------------------
# Margins are exact


def test_margins_of_rechecked_cells_are_exact() -> None:
    pack = _pack("        到2015年 万元GDP水耗 较2011年下降10%")
    report = _evaluate(pack, {"region": ["甲", "甲", "乙", "乙"], "year": [2011, 2015, 2011, 2015],
                                          "万元GDP水耗": [0.3, 0.27, 0.3, 0.2700000001]})
    rows = {r["region"]: r for r in report.results()}
    assert rows["甲"]["verdict"] == "pass" and rows["甲"]["margin"] == 0.0 and rows["甲"]["value"] == 10.0
    assert rows["乙"]["verdict"] == "fail"
    decrease = (Fraction(3, 10) - Fraction(2700000001, 10 ** 10)) / Fraction(3, 10) * 100
    assert rows["乙"]["margin"] == float(decrease - 10) == -1 / 30000000


def test_margins_close_to_a_bound_are_exact_on_the_fast_path_too() -> None:
    pack = _pack("        工业废水达标排放率 达到95%以上\n        人均GDP 达到6万元")
    report = _evaluate(pack, {"region": ["甲", "乙"], "year": [2015, 2015],
                                          "工业废水达标排放率": [95.00000001, 94.9999999999],
                                          "人均GDP(亿元)": ["0.00060000001", "0.0006"]})
    margins = {(r["region"], r["indicator"]): r["margin"] for r in report.results()}
    assert margins[("甲", "工业废水达标排放率")] == 1e-08 and 95.00000001 - 95 != 1e-08
    assert margins[("乙", "工业废水达标排放率")] == -1e-10
    assert margins[("甲", "人均GDP")] == 1e-07 and margins[("乙", "人均GDP")] == 0.0


# ------------------------------------------------------------------------------------------
# Declared rounding (GB/T 8170-2008)


def _rounded(head: str, body: str, values: list[Any], indicator: str = "工业废水达标排放率") -> list[str]:
    pack = _pack(body, head)
    regions = [f"r{k}" for k in range(len(values))]
    report = _evaluate(pack, {"region": regions, "year": [2015] * len(values), indicator: values})
    return [report.verdict(r, 2015, indicator) for r in regions]


def test_round_then_compare_rounds_half_to_even_once() -> None:
    head = "    rounding 1 修约值比较法\n"
    body = "        工业废水达标排放率 >= 95%"
    assert _rounded(head, body, [94.5, 94.51, 95.5, 94.4999999, "94.5", 96.5]) == \
        ["fail", "pass", "pass", "fail", "fail", "pass"]
    head = "    rounding 0.1 round-then-compare\n"
    assert _rounded(head, body, [94.95, 94.85, 94.94, 94.949999, 94.950000001]) == \
        ["pass", "fail", "fail", "fail", "pass"]
    head = "    rounding 0.5 修约值比较法\n"     # 0.5-unit rounding: 94.75 -> 95, 94.25 -> 94
    assert _rounded(head, body, [94.75, 94.74, 94.25]) == ["pass", "fail", "fail"]


def test_round_then_compare_on_a_strict_upper_bound_and_a_change() -> None:
    assert _rounded("    rounding 1 修约值比较法\n", "        工业废水达标排放率 < 96%", [95.5, 95.49, 96.4]) == \
        ["fail", "pass", "fail"]
    pack = _pack("        到2015年 万元GDP水耗 较2011年下降10%", "    rounding 1 修约值比较法\n")
    report = _evaluate(pack, {"region": ["甲", "甲", "乙", "乙"], "year": [2011, 2015, 2011, 2015],
                                          "万元GDP水耗": [100, 90.5, 100, 90.6]})
    assert report.verdict("甲", 2015, "万元GDP水耗") == "pass"        # 9.5 % rounds to 10
    assert report.verdict("乙", 2015, "万元GDP水耗") == "fail"        # 9.4 % rounds to 9
    text = report.explain("甲", 2015, "万元GDP水耗")
    assert "rounded half to even to a multiple of 1 (GB/T 8170-2008, 修约值比较法, declared by pack t-2015)" in text
    assert "9.5 → 10 %" in text


def test_full_value_compares_the_value_as_measured_and_says_so() -> None:
    head = "    rounding 1 全数值比较法\n"
    assert _rounded(head, "        工业废水达标排放率 >= 95%", [94.5, 95]) == ["fail", "pass"]
    report = _evaluate(_pack("        工业废水达标排放率 >= 95%", head),
                                   {"region": ["甲"], "year": [2015], "工业废水达标排放率": [95]})
    assert "compared in full: GB/T 8170-2008 全数值比较法, declared by pack t-2015" in \
        report.explain("甲", 2015, "工业废水达标排放率")
    assert report.results()[0]["rounding"] == "1 全数值比较法 (pack t-2015)"


def test_the_pack_declaration_wins_over_the_indicator_and_binds_only_its_own_rules(tmp_path: Any) -> None:
    catalogue = """
indicator 达标率 {
    unit %
    direction higher
    rounding 1 修约值比较法
}
indicator 合格率 {
    unit %
    direction higher
    rounding 1 修约值比较法
}
"""
    rule_file, _ = parse_text(catalogue)
    cat, _ = resolve.Catalogue.build(rule_file.indicators)
    parent = tmp_path / "p-2015.qr"
    parent.write_text("pack p-2015 {\n    region 甲\n    level city\n    target 2015\n    rounding 0.1 修约值比较法\n"
                      "    section s {\n        达标率 >= 95%\n    }\n}\n", encoding="utf-8")
    child = resolve.resolve_text("pack c-2015 extends p-2015 {\n    region 乙\n    level district\n    target 2015\n"
                                 "    section s {\n        合格率 >= 95%\n    }\n}\n", search=(tmp_path,), catalogue=cat)
    by_origin = {rule.origin: rule for rule in child.rules}
    assert by_origin["p-2015"].rounding is not None and by_origin["p-2015"].rounding.step == Decimal("0.1")
    assert by_origin["p-2015"].rounding_by == "pack p-2015"
    assert by_origin["c-2015"].rounding is not None and by_origin["c-2015"].rounding.step == Decimal(1)
    assert by_origin["c-2015"].rounding_by == "indicator 合格率"
    report = _evaluate(child, {"region": ["乙"], "year": [2015], "达标率": [94.96], "合格率": [94.5]})
    verdicts = {row["origin"]: row["verdict"] for row in report.results()}
    assert verdicts == {"p-2015": "pass", "c-2015": "fail"}   # 94.96 -> 95.0; 94.5 -> 94 (half to even)
    plain = _evaluate(child.parents[0], {"region": ["甲"], "year": [2015], "达标率": [94.94]})
    assert plain.verdict("甲", 2015, "达标率") == "fail"


@pytest.mark.parametrize("step", ["0", "0.3", "-1", "3", "0.25", "1.5"])
def test_an_invalid_rounding_step_is_a_located_error(step: str) -> None:
    with pytest.raises(RuleSyntaxError) as error:
        _pack("        工业废水达标排放率 >= 95%", f"    rounding {step} 修约值比较法\n")
    diagnostic = error.value.diagnostic
    assert diagnostic.code == "QR040" and diagnostic.span is not None
    assert diagnostic.span.text == step and diagnostic.span.line == 6


@pytest.mark.parametrize("step", ["0.1", "0.5", "0.2", "1", "2", "5", "10", "50", "0.001"])
def test_valid_rounding_steps_round_trip(step: str) -> None:
    for method in ("修约值比较法", "全数值比较法", "round-then-compare", "full-value", "修約值比較法"):
        text = ("pack t-2015 {\n    region 甲\n    target 2015\n    rounding " + f"{step} {method}\n" + "}\n"
                "\nindicator 甲率 {\n    unit %\n    direction higher\n    rounding " + f"{step} {method}\n" + "}\n")
        parsed, diagnostics = parse_text(text)
        assert not diagnostics
        formatted = format_model(parsed)
        again, _ = parse_text(formatted)
        assert again == parsed and format_model(again) == formatted
        assert parsed.packs[0].rounding == parsed.indicators[0].rounding
        assert f"rounding  {step} " in formatted and f"rounding    {step} " in formatted


def test_rounding_given_twice_is_qr007() -> None:
    with pytest.raises(RuleSyntaxError) as error:
        _pack("        工业废水达标排放率 >= 95%", "    rounding 1 修约值比较法\n    rounding 0.1 修约值比较法\n")
    assert error.value.code == "QR007"


def test_the_exactness_section_of_the_docs_shows_real_outputs() -> None:
    """docs/verdicts/exactness.inc: its examples are doctests, run here (included pages are not
    collected by the docs tests)."""
    import doctest
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "verdicts" / "exactness.inc"
    result = doctest.testfile(str(page), module_relative=False, encoding="utf-8", report=True,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0
