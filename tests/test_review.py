"""Mid-term review (evaluate(..., as_of=...)): synthetic series with known compound growth land
in the right class at each boundary — for levels, 较…下降/提升, 百分点 changes, cumulative and
every-year targets, in both directions — and the hard cases (signs, zero, a base already past
the target, censored and missing data) get a stated fallback or insufficient data, never a
silent class. Hypothesis properties: a series on the required path is on track; raising the
latest value of a higher-is-better indicator never worsens its status; an achieved target stays
achieved when earlier years change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityrules
from qualityrules import UsageError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))

# Targets whose required paths have rational roots: 1.1^5 = 1.61051, 0.9^5 = 0.59049.
PACK_TEXT = """\
pack t-2020 {
    region 甲市
    level city
    period 2016..2020
    target 2020
    section 目标 {
        到2020年 人均图书馆藏量 达到161.051本/人
        到2020年 PM2.5年均浓度 59.049微克/立方米以下
        到2020年 万元GDP水耗 较2015年下降40.951%
        到2020年 深圳质量指数 较2015年提升61.051%
        到2020年 研发经费支出占GDP比重 较2015年提高5个百分点
        到2020年 城镇登记失业率 较2015年下降5个百分点
        累计 重大科技攻关项目 达到1000项
        累计 国家级工程质量奖 不超过950项
        每年 空气质量优良天数比例 达到90%以上
        每年 万元GDP能耗 不超过0.5吨标准煤/万元
        到2020年 重大工程质量事故 == 0起
        到2020年 质量引领型产业 3-5个
    }
}
"""


@pytest.fixture(scope="module")
def pack() -> qualityrules.Pack:
    return qualityrules.parse_pack(PACK_TEXT)


# (The level target is on holdings per person, which may be fractional: a count of 109.5 件 is
# set aside as no count, QR245.)
INDEX = "文化创意产业增加值"


@pytest.fixture(scope="module")
def index_pack() -> qualityrules.Pack:
    """The level target on an amount of money, whose values may be negative (a balance): holdings
    per person, an index or a count cannot (a negative one is set aside as implausible, QR243)."""
    return qualityrules.parse_pack(PACK_TEXT.replace("人均图书馆藏量 达到161.051本/人", f"{INDEX} 达到161.051亿元"))


def review(pack: qualityrules.Pack, series: dict[str, dict[int, Any]], *, as_of: int = 2018,
           options: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The assessment of each indicator's target for 甲市, from ``{indicator: {year: value}}``."""
    rows = [(year, name, value) for name, values in series.items() for year, value in values.items()]
    data = {"region": ["甲市"] * len(rows), "year": [r[0] for r in rows], "indicator": [r[1] for r in rows],
            "value": [r[2] for r in rows]}
    report = qualityrules.evaluate(pack, data, as_of=as_of, review=options)
    return {row["indicator"]: row["assessment"] for row in report.targets()
            if row["assessment"] is not None and row["indicator"] in series}


def status(pack: qualityrules.Pack, name: str, values: dict[int, Any], **options: Any) -> str:
    return str(review(pack, {name: values}, **options)[name]["status"])


def compound(start: float, growth: float, years: range = range(2015, 2019)) -> dict[int, float]:
    """A series growing by ``growth`` a year from ``start`` in 2015, rounded as a bulletin prints it
    (these growths give values with few decimals, so the rounding is exact)."""
    return {y: float(f"{start * (1 + growth) ** (y - 2015):.10f}") for y in years}


# ------------------------------------------------------------------------------------------
# Boundaries: on track ≥ 0.95, at risk 0.6–0.95, off track < 0.6 (Eurostat / Open SDG)


@pytest.mark.parametrize(("growth", "expected"), [
    (0.1, "on-track"), (0.095, "on-track"), (0.0949, "at-risk"), (0.06, "at-risk"), (0.0599, "off-track"),
    (0.0, "off-track"), (-0.02, "off-track"),
])
def test_a_level_to_raise_lands_in_its_class_at_each_boundary(pack: qualityrules.Pack, growth: float,
                                                             expected: str) -> None:
    # 100 in 2015 → 161.051 in 2020 asks +10 %/yr; observed +9.5 %/yr is exactly 0.95 of it
    found = review(pack, {"人均图书馆藏量": compound(100, growth)})["人均图书馆藏量"]
    assert found["status"] == expected
    assert found["path"] == "compound" and found["required"] == pytest.approx(10.0)
    assert found["observed"] == pytest.approx(growth * 100, abs=1e-9)


@pytest.mark.parametrize(("growth", "expected"), [
    (-0.1, "on-track"), (-0.095, "on-track"), (-0.0949, "at-risk"), (-0.06, "at-risk"), (-0.0599, "off-track"),
    (0.01, "off-track"),
])
def test_a_level_to_lower_lands_in_its_class_at_each_boundary(pack: qualityrules.Pack, growth: float,
                                                             expected: str) -> None:
    # PM2.5 100 → 59.049 asks −10 %/yr
    assert status(pack, "PM2.5年均浓度", compound(100, growth)) == expected


@pytest.mark.parametrize(("name", "growth", "expected"), [
    ("万元GDP水耗", -0.095, "on-track"), ("万元GDP水耗", -0.0949, "at-risk"), ("万元GDP水耗", -0.06, "at-risk"),
    ("万元GDP水耗", -0.0599, "off-track"),
    ("深圳质量指数", 0.095, "on-track"), ("深圳质量指数", 0.0949, "at-risk"), ("深圳质量指数", 0.06, "at-risk"),
    ("深圳质量指数", 0.0599, "off-track"),
])
def test_a_relative_change_compounds_to_baseline_times_one_minus_x(pack: qualityrules.Pack, name: str,
                                                                   growth: float, expected: str) -> None:
    # 较2015年下降40.951% means a level of 0.59049 × the 2015 value: −10 %/yr from 20
    found = review(pack, {name: compound(20, growth)})[name]
    assert found["status"] == expected
    factor = 0.59049 if growth < 0 else 1.61051
    assert found["target_value"] == pytest.approx(20 * factor)
    assert found["base_year"] == 2015 and found["path"] == "compound"


@pytest.mark.parametrize(("name", "latest", "expected"), [
    ("研发经费支出占GDP比重", 4.85, "on-track"), ("研发经费支出占GDP比重", 4.84, "at-risk"),
    ("研发经费支出占GDP比重", 3.8, "at-risk"), ("研发经费支出占GDP比重", 3.79, "off-track"),
    ("城镇登记失业率", 0.15, "on-track"), ("城镇登记失业率", 0.16, "at-risk"), ("城镇登记失业率", 1.2, "at-risk"),
    ("城镇登记失业率", 1.21, "off-track"),
])
def test_a_change_in_percentage_points_is_linear(pack: qualityrules.Pack, name: str, latest: float,
                                                 expected: str) -> None:
    # +5 points over 2015–2020 asks 1 point a year: 2.85 points in 3 years is exactly 0.95 of it
    start = 2.0 if name.startswith("研发") else 3.0
    values = {2015: start, 2016: (start + latest) / 2, 2018: latest}
    found = review(pack, {name: values})[name]
    assert found["status"] == expected
    assert found["path"] == "linear" and found["reason"] is None and found["change_unit"] == "%/yr"
    assert found["required"] == pytest.approx(1.0 if name.startswith("研发") else -1.0)


@pytest.mark.parametrize(("flows", "expected"), [
    ((190, 190, 190), "on-track"), ((190, 190, 189), "at-risk"), ((120, 120, 120), "at-risk"),
    ((120, 120, 119), "off-track"), ((500, 300, 200), "achieved"),
])
def test_a_cumulative_target_compares_the_running_sum_with_the_pro_rata_share(
        pack: qualityrules.Pack, flows: tuple[int, ...], expected: str) -> None:
    # 1000 over 2016–2020: 3 years elapsed by 2018 ask 600; 570 is 0.95 of the pro-rata share
    found = review(pack, {"重大科技攻关项目": dict(zip((2016, 2017, 2018), flows, strict=True))})["重大科技攻关项目"]
    assert found["status"] == expected
    assert found["path"] == "flow" and found["pro_rata"] == pytest.approx(600)
    assert found["elapsed_years"] == [2016, 2017, 2018] and found["latest_value"] == sum(flows)
    assert found["anticipated"] == pytest.approx(sum(flows) * 5 / 3)


@pytest.mark.parametrize(("flows", "expected", "reason"), [
    ((200, 200, 200), "on-track", None), ((200, 200, 201), "at-risk", None),
    ((250, 250, 260), "at-risk", None), ((400, 400, 300), "off-track", "exceeds"),
])
def test_a_cumulative_ceiling_is_a_budget(pack: qualityrules.Pack, flows: tuple[int, ...], expected: str,
                                          reason: str | None) -> None:
    # ≤ 950 over 5 years allows 190 a year; 200 a year is 0.95 of the allowance
    found = review(pack, {"国家级工程质量奖": dict(zip((2016, 2017, 2018), flows, strict=True))})["国家级工程质量奖"]
    assert found["status"] == expected
    if reason is None:
        assert found["reason"] is None
    else:
        assert reason in found["reason"]


def test_every_year_targets_report_the_years_failed_so_far(pack: qualityrules.Pack) -> None:
    found = review(pack, {"空气质量优良天数比例": {2015: 92, 2016: 93, 2017: 88, 2018: 95}})["空气质量优良天数比例"]
    assert found["status"] == "off-track" and found["failed_years"] == [2017]
    assert "failed in 2017" in found["reason"]
    lower = review(pack, {"万元GDP能耗": {2016: 0.45, 2017: 0.52, 2018: 0.55}})["万元GDP能耗"]
    assert lower["status"] == "off-track" and lower["failed_years"] == [2017, 2018]


@pytest.mark.parametrize(("name", "values", "expected"), [
    ("空气质量优良天数比例", {2016: 95, 2017: 95.5, 2018: 96}, "on-track"),
    ("空气质量优良天数比例", {2016: 99, 2017: 96, 2018: 93}, "at-risk"),     # still ≥ 90, heading below
    ("万元GDP能耗", {2016: 0.40, 2017: 0.39, 2018: 0.38}, "on-track"),
    ("万元GDP能耗", {2016: 0.40, 2017: 0.45, 2018: 0.49}, "at-risk"),
])
def test_every_year_targets_project_the_remaining_years(pack: qualityrules.Pack, name: str,
                                                        values: dict[int, float], expected: str) -> None:
    found = review(pack, {name: values})[name]
    assert found["status"] == expected and found["failed_years"] == []
    assert found["target_year"] == 2020     # the worst of 2019 and 2020


def test_a_target_met_now_is_achieved_whatever_the_trend(pack: qualityrules.Pack) -> None:
    assert status(pack, "人均图书馆藏量", {2015: 200, 2018: 170}) == "achieved"
    assert status(pack, "人均图书馆藏量", {2018: 161.051}) == "achieved"        # one year suffices
    assert status(pack, "PM2.5年均浓度", {2015: 30, 2018: 59.049}) == "achieved"


# ------------------------------------------------------------------------------------------
# The projection method (UNSD): projected ÷ required progress, on track ≥ 0.95, at risk ≥ 0.10


@pytest.mark.parametrize(("latest", "expected"), [
    (4.85, "on-track"), (4.84, "at-risk"), (2.3, "at-risk"), (2.29, "off-track"),
])
def test_the_projection_method_has_its_own_boundaries(pack: qualityrules.Pack, latest: float, expected: str) -> None:
    # 2 → 7 points by 2020; from 4.85 in 2018 the linear projection reaches 6.75 = 2 + 0.95 × 5
    values = {2015: 2.0, 2018: latest}
    found = review(pack, {"研发经费支出占GDP比重": values}, options={"method": "projection"})["研发经费支出占GDP比重"]
    assert found["status"] == expected and found["method"] == "projection"
    assert found["ratio"] == pytest.approx(found["projected_ratio"])


def test_boundaries_can_be_set_per_call_and_per_pack(pack: qualityrules.Pack) -> None:
    series = {"人均图书馆藏量": compound(100, 0.08)}       # ratio 0.8
    assert review(pack, series)["人均图书馆藏量"]["status"] == "at-risk"
    assert review(pack, series, options={"on_track": 0.8})["人均图书馆藏量"]["status"] == "on-track"
    assert review(pack, series, options={"at_risk": 0.85})["人均图书馆藏量"]["status"] == "off-track"
    strict = qualityrules.parse_pack(PACK_TEXT.replace("    target 2020\n", "    target 2020\n    review growth on-track 0.75 at-risk 0.5\n"))
    assert review(strict, series)["人均图书馆藏量"]["status"] == "on-track"
    # a call's boundary refines the pack's clause; another method takes that method's defaults
    assert review(strict, series, options={"on_track": 0.9})["人均图书馆藏量"]["status"] == "at-risk"


@pytest.mark.parametrize(("options", "message"), [
    ({"on_track": 0.5, "at_risk": 0.6}, "above the on-track"),
    ({"at_risk": -0.1}, "negative"),
    ({"on_track": "many"}, "must be a number"),
    ({"on_track": float("nan")}, "finite"),
    ({"method": "eurostat"}, "unknown review method"),
    ({"ontrack": 0.9}, "unknown review option"),
])
def test_invalid_review_options_are_usage_errors(pack: qualityrules.Pack, options: dict[str, Any],
                                                 message: str) -> None:
    with pytest.raises(UsageError) as error:
        review(pack, {"人均图书馆藏量": compound(100, 0.1)}, options=options)
    assert error.value.diagnostics[0].code == "QR331" and message in str(error.value)


@pytest.mark.parametrize("as_of", [True, 18, "2018年", 2018.5, "", None.__class__])
def test_as_of_must_be_a_year(pack: qualityrules.Pack, as_of: Any) -> None:
    with pytest.raises(UsageError) as error:
        qualityrules.evaluate(pack, {"region": ["甲市"], "year": [2018], "人均图书馆藏量": [1]}, as_of=as_of)
    assert error.value.diagnostics[0].code == "QR330"


# ------------------------------------------------------------------------------------------
# Hard cases: never a silent wrong class


def test_values_of_opposite_sign_fall_back_to_linear_and_say_so(index_pack: qualityrules.Pack) -> None:
    found = review(index_pack, {INDEX: {2015: -20.0, 2018: 80.0}})[INDEX]
    # linear: +33.3 a year seen, (161.051 + 20) / 5 = 36.21 a year required
    assert found["path"] == "linear" and "linear" in found["reason"]
    assert found["ratio"] == pytest.approx((100 / 3) / (181.051 / 5))
    assert found["status"] == "at-risk"
    zero = review(index_pack, {INDEX: {2015: 0.0, 2018: 10.0}})[INDEX]
    assert zero["path"] == "linear" and zero["status"] == "off-track"


def test_a_target_of_zero_is_approached_linearly(pack: qualityrules.Pack) -> None:
    found = review(pack, {"重大工程质量事故": {2015: 10, 2016: 8, 2018: 4}})["重大工程质量事故"]
    # −2 a year seen, −2 a year required (10 → 0 over 5 years)
    assert found["path"] == "linear" and found["status"] == "on-track" and "linear" in found["reason"]
    assert found["needed"] == pytest.approx(-2.0)


def test_a_level_already_past_the_target_at_the_base_is_measured_from_now(pack: qualityrules.Pack) -> None:
    falling = review(pack, {"人均图书馆藏量": {2015: 200.0, 2018: 150.0}})["人均图书馆藏量"]
    assert falling["status"] == "off-track" and "already met" in falling["reason"]
    assert falling["ratio"] < 0                      # moving away, not "on track" from a negative requirement
    recovering = review(pack, {"人均图书馆藏量": {2015: 200.0, 2016: 100.0, 2018: 150.0}})["人均图书馆藏量"]
    assert recovering["status"] == "off-track"       # the 2015→2018 change is still a fall


def test_a_relative_change_of_a_non_positive_baseline_is_insufficient_data(pack: qualityrules.Pack) -> None:
    found = review(pack, {"深圳质量指数": {2015: 0.0, 2018: 5.0}})["深圳质量指数"]
    assert found["status"] == "insufficient-data" and "not positive" in found["reason"]
    points = review(pack, {"城镇登记失业率": {2015: 6.0, 2018: 3.0}})["城镇登记失业率"]
    assert points["status"] == "on-track" and points["path"] == "linear"   # −3 points of −1 a year


@pytest.mark.parametrize(("values", "reason"), [
    ({2018: 120.0}, "fewer than 2 years"),
    ({2015: 100.0, 2018: "<150"}, "censored"),
    ({2015: "≥90", 2018: 150.0}, "censored"),
    ({2019: 150.0, 2020: 170.0}, "fewer than 2 years"),     # after the as-of year: not read
])
def test_too_little_data_is_insufficient_with_its_reason(pack: qualityrules.Pack, values: dict[int, Any],
                                                         reason: str) -> None:
    found = review(pack, {"人均图书馆藏量": values})["人均图书馆藏量"]
    assert found["status"] == "insufficient-data" and reason in found["reason"]
    assert found["ratio"] is None


def test_a_change_needs_its_baseline_year(pack: qualityrules.Pack) -> None:
    found = review(pack, {"万元GDP水耗": {2016: 20.0, 2018: 18.0}})["万元GDP水耗"]
    assert found["status"] == "insufficient-data" and "baseline year 2015" in found["reason"]


def test_a_missing_year_leaves_a_running_sum_unknown(pack: qualityrules.Pack) -> None:
    found = review(pack, {"重大科技攻关项目": {2016: 300, 2018: 300}})["重大科技攻关项目"]
    assert found["status"] == "insufficient-data" and "running sum" in found["reason"]
    early = review(pack, {"重大科技攻关项目": {2015: 900}}, as_of=2015)["重大科技攻关项目"]
    assert early["status"] == "insufficient-data" and "not begun" in early["reason"]


def test_a_range_overshot_needs_a_way_back(pack: qualityrules.Pack) -> None:
    found = review(pack, {"质量引领型产业": {2015: 4, 2018: 7}})["质量引领型产业"]
    assert found["status"] == "off-track" and found["target_value"] == 5      # moving away from 3–5
    assert status(pack, "质量引领型产业", {2015: 1, 2018: 4}) == "achieved"


def test_an_indicator_missing_from_the_data_is_insufficient(pack: qualityrules.Pack) -> None:
    data = {"region": ["甲市"] * 2, "year": [2015, 2018], "人均图书馆藏量": [100, 120]}
    report = qualityrules.evaluate(pack, data, as_of=2018)
    rows = {row["indicator"]: row["assessment"] for row in report.targets()}
    assert rows["PM2.5年均浓度"]["status"] == "insufficient-data"
    assert rows["PM2.5年均浓度"]["reason"] == "the indicator is not in the data"


# ------------------------------------------------------------------------------------------
# The report: verdicts, data after the as-of year, formats


def test_data_after_the_as_of_year_do_not_count_and_later_targets_are_pending(pack: qualityrules.Pack) -> None:
    data = {"region": ["甲市"] * 5, "year": [2015, 2016, 2017, 2018, 2020], "空气质量优良天数比例": [91, 92, 93, 94, 50]}
    report = qualityrules.evaluate(pack, data, as_of=2018)
    row = next(r for r in report.targets() if r["indicator"] == "空气质量优良天数比例")
    assert row["verdict"] == "pending"           # passed every year so far, two years ahead
    assert row["year_verdicts"] == {"2016": "pass", "2017": "pass", "2018": "pass", "2019": "pending",
                                    "2020": "pending"}
    assert row["assessment"]["latest_year"] == 2018 and row["assessment"]["status"] == "on-track"
    full = qualityrules.evaluate(pack, data)     # without as_of, 2020's 50 counts and fails
    assert next(r for r in full.targets() if r["indicator"] == "空气质量优良天数比例")["verdict"] == "fail"
    assert report.exit_code() == 0 and full.exit_code() == 1
    # every target is due later, but 万元GDP能耗 (每年, no data) is unknown in 2016–2018 already
    assert report.summary()["pending"] == sum(1 for r in report.targets() if r["verdict"] == "pending") \
        == len(pack.rules) - 1
    gap = {**data, "year": [2015, 2016, 2019, 2018, 2020]}      # 2017 missing: unknown outranks pending
    row = next(r for r in qualityrules.evaluate(pack, gap, as_of=2018).targets() if r["indicator"] == "空气质量优良天数比例")
    assert row["verdict"] == "unknown" and row["year_verdicts"]["2017"] == "unknown"


def test_every_format_carries_the_review(pack: qualityrules.Pack) -> None:
    data = {"region": ["甲市"] * 4, "year": [2015, 2016, 2017, 2018],
            "人均图书馆藏量": [100, 110, 121, 133.1], "PM2.5年均浓度": [100, 98, 97, 96]}
    report = qualityrules.evaluate(pack, data, as_of=2018)
    document = json.loads(report.to_json())
    jsonschema.validate(document, SCHEMA)
    assert document["options"]["as_of"] == 2018
    assert document["review"]["summary"]["on-track"] == 1 and document["review"]["summary"]["off-track"] == 1
    assert document["review"]["regions"]["甲市"]["insufficient-data"] == len(pack.rules) - 2
    assert report.review_summary() == document["review"]["summary"] == report.review_counts()["甲市"]
    pending = [r for r in document["results"] if r["verdict"] == "pending"]
    assert pending and all(r["assessment"]["as_of"] == 2018 for r in pending)
    csv_text = report.to_csv()
    assert "review_status" in csv_text.splitlines()[0] and ",on-track," in csv_text
    text = report.to_text()
    assert "review as of 2018" in text and "↗ on-track" in text and "✗ off-track" in text
    markdown = report.to_markdown()
    assert "Review as of 2018" in markdown and "| ↗ on-track | 人均图书馆藏量 |" in markdown
    frame = report.to_frame()
    assert set(frame["review_status"].dropna()) >= {"on-track", "off-track"}
    plain = qualityrules.evaluate(pack, data)
    jsonschema.validate(json.loads(plain.to_json()), SCHEMA)
    assert "review_status" not in plain.to_csv() and json.loads(plain.to_json())["review"] is None


def test_explain_shows_years_arithmetic_and_class_boundaries(pack: qualityrules.Pack) -> None:
    data = {"region": ["甲市"] * 3, "year": [2015, 2016, 2018], "人均图书馆藏量": [100, 110, 131.2932375],
            "重大科技攻关项目": [None, 190, 190]}
    report = qualityrules.evaluate(pack, data, as_of=2018)
    text = report.explain("甲市", 2020, "人均图书馆藏量")
    assert "PENDING" in text and "ON-TRACK" in text
    assert "base 2015 = 100, latest 2018 = 131.2932375, target 2020 = 161.051 本/人" in text
    assert "(131.2932375 / 100)^(1/3) − 1 = +9.5 %/yr" in text
    assert "(161.051 / 100)^(1/5) − 1 = +10 %/yr" in text
    assert "= 0.95" in text and "on track ≥ 0.95; at risk 0.6–0.95; off track < 0.6" in text
    cumulative = report.explain("甲市", 2020, "重大科技攻关项目")
    assert "insufficient" in cumulative.lower() and "running sum" in cumulative


# ------------------------------------------------------------------------------------------
# Properties


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.function_scoped_fixture])
RANK = {"achieved": 0, "on-track": 1, "at-risk": 2, "off-track": 3}
values = st.floats(min_value=0.5, max_value=1000, allow_nan=False).map(lambda x: float(f"{x:.3f}"))


@PROPERTY
@given(start=values, as_of=st.integers(2016, 2019), up=st.booleans(), method=st.sampled_from(["growth", "projection"]))
def test_a_series_on_the_required_path_is_on_track(pack: qualityrules.Pack, start: float, as_of: int, up: bool,
                                                   method: str) -> None:
    name, goal = ("人均图书馆藏量", 161.051) if up else ("PM2.5年均浓度", 59.049)
    if (start >= goal) == up or abs(start - goal) < 1e-3:
        start = goal / 2 if up else goal * 2
    path = {y: start * (goal / start) ** ((y - 2015) / 5) for y in range(2015, as_of + 1)}
    found = review(pack, {name: path}, as_of=as_of, options={"method": method})[name]
    assert found["status"] == "on-track", found
    assert found["ratio"] == pytest.approx(1.0)


@PROPERTY
@given(series=st.lists(st.floats(min_value=-50, max_value=300, allow_nan=False), min_size=2, max_size=4),
       raise_by=st.floats(min_value=0.001, max_value=200), method=st.sampled_from(["growth", "projection"]))
def test_raising_the_latest_value_never_worsens_the_status(index_pack: qualityrules.Pack, series: list[float],
                                                          raise_by: float, method: str) -> None:
    years = range(2018 - len(series) + 1, 2019)
    before = dict(zip(years, series, strict=True))
    after = {**before, 2018: before[2018] + raise_by}
    options = {"method": method}
    was = review(index_pack, {INDEX: before}, options=options)[INDEX]["status"]
    now = review(index_pack, {INDEX: after}, options=options)[INDEX]["status"]
    assert RANK[now] <= RANK[was], (before, after, was, now)


@PROPERTY
@given(latest=st.floats(min_value=161.051, max_value=1e6), earlier=st.lists(
    st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.just("<5")),
    min_size=3, max_size=3))
def test_an_achieved_target_stays_achieved_when_earlier_years_change(pack: qualityrules.Pack, latest: float,
                                                                     earlier: list[Any]) -> None:
    values = {y: v for y, v in zip((2015, 2016, 2017), earlier, strict=True) if v is not None}
    assert status(pack, "人均图书馆藏量", {**values, 2018: latest}) == "achieved"
    assert status(pack, "PM2.5年均浓度", {**values, 2018: min(latest / 10000, 59.049)}) == "achieved"


def test_a_growth_rate_indicator_is_compared_directly_never_compounded() -> None:
    pack = qualityrules.parse_pack(PACK_TEXT.replace("        到2020年 质量引领型产业 3-5个\n",
                                                     "        到2020年 质量引领型产业 3-5个\n"
                                                     "        到2020年 GDP较2010年增长率 达到100%\n"))
    found = review(pack, {"GDP较2010年增长率": {2015: 80.0, 2016: 84.0, 2018: 90.0}})["GDP较2010年增长率"]
    assert found["path"] == "rate" and found["change_unit"] == "%"
    assert found["observed"] == pytest.approx((80 + 84 + 90) / 3)       # the mean rate, not a growth of it
    assert found["ratio"] == pytest.approx((80 + 84 + 90) / 3 / 100) and found["status"] == "at-risk"
    assert status(pack, "GDP较2010年增长率", {2015: 80.0, 2018: 101.0}) == "achieved"


def test_a_censored_latest_value_that_meets_the_target_is_achieved_with_a_note(pack: qualityrules.Pack) -> None:
    found = review(pack, {"人均图书馆藏量": {2015: 100.0, 2018: "≥170"}})["人均图书馆藏量"]
    assert found["status"] == "achieved" and "censored" in found["reason"]
    assert found["observed"] is None and found["anticipated"] is None       # no trend from a bound


def test_a_review_before_any_data_is_insufficient_everywhere(pack: qualityrules.Pack) -> None:
    found = review(pack, {"人均图书馆藏量": {2016: 100.0, 2017: 120.0}}, as_of=2014)
    assert found["人均图书馆藏量"]["status"] == "insufficient-data"
    assert found["人均图书馆藏量"]["latest_year"] is None


def test_the_cumulative_explanation_shows_the_pro_rata_test(pack: qualityrules.Pack) -> None:
    data = {"region": ["甲市"] * 3, "year": [2016, 2017, 2018], "重大科技攻关项目": [190, 190, 190]}
    text = qualityrules.evaluate(pack, data, as_of=2018).explain("甲市", 2020, "重大科技攻关项目")
    assert "period 2016–2020 (5 years), 3 elapsed by 2018 (2016–2018)" in text
    assert "pro-rata share 1000 × 3/5 = 600 (时间过半、任务过半: no)" in text
    assert "observed 570 / 3 = 190 项/yr; required 1000 / 5 = 200 项/yr" in text
    assert "ratio:    observed ÷ required mean yearly flow (= running sum ÷ pro-rata share) = 0.95" in text


def test_the_command_line_reviews_as_of_a_year(tmp_path: Path) -> None:
    import subprocess
    import sys

    data = tmp_path / "data.csv"
    data.write_text("region,year,发明专利拥有量\n深圳市,2015,83658\n深圳市,2016,91000\n深圳市,2018,108000\n"
                    "深圳市,2020,200000\n", encoding="utf-8")

    def check(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "qualityrules", "check", "shenzhen-2020", str(data), *args],
                              capture_output=True, text=True, timeout=300)

    result = check("--as-of", "2018", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    jsonschema.validate(document, SCHEMA)
    patents = next(r for r in document["targets"] if r["indicator"] == "发明专利拥有量")
    assert patents["verdict"] == "pending" and patents["assessment"]["status"] == "on-track"
    assert patents["assessment"]["latest_year"] == 2018              # the 2020 row is after the as-of year
    projected = check("--as-of", "2018", "--review-method", "projection", "--on-track", "1.5", "--format", "json")
    assert json.loads(projected.stdout)["review"]["on_track"] == 1.5
    for args, code in ((("--as-of", "18"), "QR330"), (("--on-track", "0.9"), "QR331"),
                       (("--as-of", "2018", "--at-risk", "2"), "QR331")):
        failed = check(*args)
        assert failed.returncode == 2 and f"error[{code}]" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.parametrize(("name", "values", "expected"), [
    # 56000 × (56000 / 28672)^(2/3) = 56000 × 1.5625 = 87500 exactly in 2020 (in floating point a
    # little above): still meets ≤ 87500 (whole counts: 2.5 起 is no count, QR245)
    ("建设工程质量事故", {2015: 28672, 2016: 37500, 2017: 46875, 2018: 56000}, "on-track"),
    ("建设工程质量事故", {2015: 28672, 2016: 37500, 2017: 46875, 2018: 56001}, "at-risk"),
    # 500 × (500 / 7812.5)^(2/3) = 500 × 0.16 = 80 exactly (79.99999999999999 in floating point): meets ≥ 80
    ("制造业质量竞争力指数", {2015: 7812.5, 2016: 3000, 2017: 1200, 2018: 500}, "on-track"),
    ("制造业质量竞争力指数", {2015: 7812.5, 2016: 3000, 2017: 1200, 2018: 499.9}, "at-risk"),
])
def test_an_every_year_projection_exactly_on_the_threshold_still_meets_it(name: str, values: dict[int, float],
                                                                           expected: str) -> None:
    pack = qualityrules.parse_pack(PACK_TEXT.replace("        到2020年 质量引领型产业 3-5个\n",
                                                     "        到2020年 质量引领型产业 3-5个\n"
                                                     "        每年 制造业质量竞争力指数 达到80点以上\n"
                                                     "        每年 建设工程质量事故 不超过87500起\n"))
    assert status(pack, name, values) == expected


def test_a_change_exactly_at_its_target_is_achieved(pack: qualityrules.Pack) -> None:
    # 20 → 11.8098 is exactly 40.951 % down; 20.83 → 16.97645 exactly 18.5 % (shenzhen-2020)
    assert status(pack, "万元GDP水耗", {2015: 20, 2018: 11.8098}) == "achieved"
    assert status(pack, "万元GDP水耗", {2015: 20, 2018: 11.8099}) != "achieved"
    assert status(pack, "研发经费支出占GDP比重", {2015: 2.1, 2018: 7.1}) == "achieved"     # +5 points exactly
    data = {"region": ["深圳市"] * 2, "year": [2015, 2018], "万元GDP水耗": [20.83, 16.97645]}
    report = qualityrules.evaluate("shenzhen-2020", data, as_of=2018)
    water = next(r for r in report.targets() if r["indicator"] == "万元GDP水耗")
    assert water["assessment"]["status"] == "achieved"


def test_the_midterm_demo_table_is_what_its_script_makes() -> None:
    import csv
    import importlib.util
    import io

    spec = importlib.util.spec_from_file_location("make_midterm_data", ROOT / "examples" / "make_midterm_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = list(csv.reader(io.StringIO((ROOT / "examples" / "demo" / "shenzhen-2015-2018.csv").read_text("utf-8"))))
    assert shipped[1:] == [[*row[:1], str(row[1]), *row[2:], module.NOTE] for row in module.build()]
    report = qualityrules.evaluate("shenzhen-2020", ROOT / "examples" / "demo" / "shenzhen-2015-2018.csv", as_of=2018)
    counts = report.review_counts()["深圳市"]
    assert all(counts[status] > 0 for status in ("achieved", "on-track", "at-risk", "off-track", "insufficient-data"))
