"""The engine: equal to the scalar reference on generated packs and data, and pinned on examples
of every comparator, time qualifier, censored form, unit conversion and strength."""

from __future__ import annotations

import copy
import math
import os
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import catalogue, make_pack, reference

import qualityrules
from qualityrules import evaluate
from qualityrules.errors import UnitError
from qualityrules.packs.resolve import extensive

CAT = catalogue()


def cells(report: Any) -> dict[tuple[str, int, int], tuple[str, float | None]]:
    rules = list(report.plan.rules)
    return {(row["region"], rules.index(_rule(report, row)), row["year"]): (row["verdict"], row["value"])
            for row in report.results()}


def _rule(report: Any, row: dict[str, Any]) -> Any:
    return next(r for r in report.plan.rules if r.text == row["rule"] and r.kind == row["kind"])


def long(records: list[tuple[str, int, str, Any, str | None]]) -> dict[str, list[Any]]:
    return {"region": [r[0] for r in records], "year": [r[1] for r in records],
            "indicator": [r[2] for r in records], "value": [r[3] for r in records],
            "unit": [r[4] for r in records]}


def check(body: str, records: list[tuple[str, int, str, Any, str | None]], **pack_options: Any) -> Any:
    pack = make_pack(body, **pack_options)
    return evaluate(pack, long(records))


def verdict(body: str, value: Any, *, unit: str | None = None, indicator: str = "达标率", year: int = 2015) -> str:
    report = check(body, [("甲区", year, indicator, value, unit)])
    return str(report.verdict("甲区", year, indicator))


# ------------------------------------------------------------------------------------------
# The property: engine == reference


_GRID = ["0", "0.47", "1", "5", "10", "21", "30", "50", "90", "95", "95.5", "98", "100", "700"]
_INDICATORS = {
    "达标率": ("%", ["%"]),
    "企业数": ("家", ["家"]),
    "产值": ("亿元", ["亿元", "万亿元", "万元"]),
    "能耗": ("吨标准煤/万元", ["吨标准煤/万元"]),
    "事故": ("起", ["起"]),
}
_COMPARISONS = [">= {q}", "> {q}", "<= {q}", "< {q}", "== {q}", "!= {q}", "≥{q}", "＜{q}", "达到{q}以上",
                "不低于{q}", "超过{q}", "低于{q}", "不超过{q}", "{q}以下", "{q}以内", "逾{q}", "不满{q}"]
_IN_UNIT = {"亿元": Decimal(1), "万亿元": Decimal("0.0001"), "万元": Decimal(10000)}
# 累计 sums only what adds up over years (counts and amounts; a share or intensity is QR125)
_SUMMABLE = frozenset(name for name in _INDICATORS if extensive(CAT.lookup(name)))


def _quantity(number: str, unit: str) -> str:
    if unit in _IN_UNIT:
        return f"{(Decimal(number) * _IN_UNIT[unit]).normalize():f}{unit}"
    return f"{number}{unit}"


@st.composite
def rule_lines(draw: st.DrawFn, years: list[int]) -> tuple[str, tuple[str, str]]:
    indicator = draw(st.sampled_from(sorted(_INDICATORS)))
    unit, rule_units = _INDICATORS[indicator]
    rule_unit = draw(st.sampled_from(rule_units))
    time_kind = draw(st.sampled_from(["default", "year", "every", "change"]
                                     + (["cumulative"] if indicator in _SUMMABLE else [])))
    time = ""
    key_time = time_kind
    if time_kind == "year":
        year = draw(st.sampled_from(years))
        time, key_time = f"到{year}年 ", f"year{year}"
        if year == years[-1]:
            key_time = "default"
    elif time_kind == "every":
        time = "每年 "
    elif time_kind == "cumulative":
        time = "累计 "
    strength = draw(st.sampled_from(["", "", "力争 "]))
    if time_kind == "change":
        baseline = years[0] - 1
        word = draw(st.sampled_from(["提高", "下降"]))
        amount = draw(st.sampled_from(["5", "10", "18.5", "30", "0"]))
        if indicator == "达标率" and draw(st.booleans()):
            target = f"较{baseline}年 {word} {amount}个百分点"
        else:
            form = draw(st.sampled_from(["{a}%", "{a}%以上", "< {a}%", "{a}-{b}%"]))
            target = f"较{baseline}年 {word}" + form.format(a=amount, b=str(Decimal(amount) + 5))
        return f"{strength}{indicator} {target}", (indicator, "default")
    number = draw(st.sampled_from(_GRID))
    shape = draw(st.sampled_from(["comparison"] * 6 + ["range", "approx", "zero"]))
    if shape == "range":
        other = draw(st.sampled_from(_GRID))
        low, high = sorted([Decimal(number), Decimal(other)])
        target = f"{_quantity(str(low), rule_unit)}-{_quantity(str(high), rule_unit)}"
    elif shape == "approx":
        tolerance = draw(st.sampled_from(["±10%", "±1", "±5"]))
        if tolerance != "±10%":
            tolerance += rule_unit
        target = f"{_quantity(number, rule_unit)}左右 {tolerance}"
    elif shape == "zero" and indicator == "事故":
        target = "零事故"
    else:
        target = draw(st.sampled_from(_COMPARISONS)).format(q=_quantity(number, rule_unit))
    return f"{time}{strength}{indicator} {target}", (indicator, key_time)


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[tuple[str, int, str, Any, str | None]]]:
    start = draw(st.sampled_from([2011, 2012]))
    length = draw(st.integers(1, 4))
    years = list(range(start, start + length))
    lines = draw(st.lists(rule_lines(years), min_size=1, max_size=6, unique_by=lambda line: line[1]))
    body = "\n".join(text for text, _ in lines)
    options: dict[str, Any] = {"period": f"{years[0]}..{years[-1]}", "target": str(years[-1])}
    if draw(st.integers(0, 4)) == 0:
        options["scope"] = "甲区, 乙区"
    used_keys = {key for _, key in lines}
    if draw(st.booleans()):   # a province parent: its totals stay with 省, its rates flow down
        inherited = draw(st.lists(rule_lines(years), min_size=1, max_size=3, unique_by=lambda line: line[1]))
        inherited = [line for line in inherited if line[1] not in used_keys]
        if inherited:
            options["parent"] = "\n".join(text for text, _ in inherited)
            lines = lines + inherited
            if draw(st.booleans()):   # the parent in force longer: its every-year targets outside 甲区's period are n/a
                options["parent_period"] = f"{years[0] - 1}..{years[-1] + 1}"
    regions = draw(st.lists(st.sampled_from(["甲区", "乙区", "丙区", "省"]), min_size=1, max_size=3, unique=True))
    # which regions lie below 甲区 (rates flow to them; totals do not); 省 and the rest are outside
    options["hierarchy"] = draw(st.sampled_from([{}, {"乙区": "甲区"}, {"乙区": "甲区", "丙区": "乙区"}, {"丙区": "省"}]))
    used = sorted({key[0] for _, key in lines})
    records = []
    for region in regions:
        for year in [years[0] - 1, *years]:
            for indicator in used:
                kind = draw(st.sampled_from(["value"] * 5 + ["string", "censored", "missing", "nan"]))
                if kind == "missing":
                    continue
                data_unit = draw(st.sampled_from(_INDICATORS[indicator][1] + [None]))
                number = draw(st.sampled_from(_GRID + ["94.5", "97", "0.5", "20", "99"]))
                if data_unit in _IN_UNIT:
                    number = f"{(Decimal(number) * _IN_UNIT[data_unit]).normalize():f}"
                raw: Any
                if kind == "nan":
                    raw = math.nan
                elif kind == "value":
                    raw = float(number)
                elif kind == "string":
                    raw = number
                else:
                    raw = draw(st.sampled_from(["<", "<=", "≥", ">", ">=", ""])) + number
                    if raw == number:
                        raw += draw(st.sampled_from(["以上", "以下"]))
                records.append((region, year, indicator, raw, data_unit))
    return body, options, records


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_engine_equals_reference(case: tuple[str, dict[str, Any], list[tuple[str, int, str, Any, str | None]]]) -> None:
    body, options, records = case
    parents = options.pop("hierarchy")
    pack = make_pack(body, cat=CAT, **options)
    data = long(records)
    before = copy.deepcopy(data)
    report = evaluate(pack, data, hierarchy=parents)
    assert data == before or _same_with_nan(data, before), "the input was mutated"
    expected_cells, expected_targets = reference(pack, records, parents)
    rules = list(pack.rules)
    got: dict[tuple[str, int, int], tuple[str, float | None]] = {}
    for row in report.results():
        k = next(i for i, r in enumerate(rules) if r.text == row["rule"] and r.kind == row["kind"]
                 and r.origin == row["origin"])
        got[(row["region"], k, row["year"])] = (row["verdict"], row["value"])
    assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in expected_cells.items()}, body
    for key, (_, value) in expected_cells.items():
        assert _close(got[key][1], value), (key, got[key], value, body)
    targets = {(row["region"], next(i for i, r in enumerate(rules) if r.text == row["rule"] and r.kind == row["kind"]
                                    and r.origin == row["origin"])): row["verdict"] for row in report.targets()}
    assert targets == expected_targets, body


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def _same_with_nan(a: dict[str, list[Any]], b: dict[str, list[Any]]) -> bool:
    def key(x: Any) -> Any:
        return "nan" if isinstance(x, float) and math.isnan(x) else x
    return {k: [key(x) for x in v] for k, v in a.items()} == {k: [key(x) for x in v] for k, v in b.items()}


# ------------------------------------------------------------------------------------------
# Comparators, inclusive and exclusive, at, below and above the threshold


@pytest.mark.parametrize(("rule", "at", "below", "above"), [
    ("达标率 >= 95%", "pass", "fail", "pass"),
    ("达标率 ≥ 95%", "pass", "fail", "pass"),
    ("达标率 > 95%", "fail", "fail", "pass"),
    ("达标率 ＞ 95%", "fail", "fail", "pass"),
    ("达标率 <= 95%", "pass", "pass", "fail"),
    ("达标率 ≤ 95%", "pass", "pass", "fail"),
    ("达标率 < 95%", "fail", "pass", "fail"),
    ("达标率 ＜ 95%", "fail", "pass", "fail"),
    ("达标率 == 95%", "pass", "fail", "fail"),
    ("达标率 == 95%", "pass", "fail", "fail"),
    ("达标率 != 95%", "fail", "pass", "pass"),
    ("达标率 达到95%以上", "pass", "fail", "pass"),
    ("达标率 95%以上", "pass", "fail", "pass"),
    ("达标率 不低于95%", "pass", "fail", "pass"),
    ("达标率 不少于95%", "pass", "fail", "pass"),
    ("达标率 超过95%", "fail", "fail", "pass"),
    ("达标率 高于95%", "fail", "fail", "pass"),
    ("达标率 逾95%", "fail", "fail", "pass"),
    ("达标率 95%以下", "pass", "pass", "fail"),
    ("达标率 95%以内", "pass", "pass", "fail"),
    ("达标率 不高于95%", "pass", "pass", "fail"),
    ("达标率 不超过95%", "pass", "pass", "fail"),
    ("达标率 低于95%", "fail", "pass", "fail"),
    ("达标率 不满95%", "fail", "pass", "fail"),
])
def test_every_comparator(rule: str, at: str, below: str, above: str) -> None:
    assert verdict(rule, 95) == at
    assert verdict(rule, 94.9) == below
    assert verdict(rule, 95.1) == above


def test_a_decimal_threshold_is_met_by_the_same_decimal_in_the_data() -> None:
    assert verdict("能耗 <= 0.47吨标准煤/万元", "0.47", indicator="能耗") == "pass"
    assert verdict("能耗 < 0.47吨标准煤/万元", 0.47, indicator="能耗") == "fail"
    assert verdict("能耗 >= 0.47吨标准煤/万元", 0.47, indicator="能耗") == "pass"


def test_ranges_and_approximately() -> None:
    assert [verdict("企业数 30-40家", v, indicator="企业数") for v in (29, 30, 35, 40, 41)] == \
        ["fail", "pass", "pass", "pass", "fail"]
    assert [verdict("企业数 between 30家 and 40家", v, indicator="企业数") for v in (29, 30, 40, 41)] == \
        ["fail", "pass", "pass", "fail"]
    assert [verdict("企业数 10家左右 ±2家", v, indicator="企业数") for v in (7, 8, 12, 13)] == \
        ["fail", "pass", "pass", "fail"]
    # Default tolerance 10%; 产值 is better higher, so 约10亿元 is "no less than 9" (one-sided).
    # (An amount of money: a count of 8.9 家 is no count, set aside as QR245.)
    assert [verdict("产值 约10亿元", v, indicator="产值") for v in (8.9, 9, 11, 11.1, 50)] == \
        ["fail", "pass", "pass", "pass", "pass"]
    assert [verdict("产值 20亿元左右 ±5%", v, indicator="产值") for v in (18.9, 19, 21, 21.5)] == \
        ["fail", "pass", "pass", "fail"]
    assert [verdict("企业数 约10家", v, indicator="企业数") for v in (8, 9, 11, 12, 8.9)] == \
        ["fail", "pass", "pass", "pass", "unknown"]


def test_zero_accidents() -> None:
    assert verdict("事故 零事故", 0, indicator="事故") == "pass"
    assert verdict("事故 零事故", 1, indicator="事故") == "fail"


def test_missing_and_nan_are_unknown_never_pass_or_fail() -> None:
    assert verdict("达标率 >= 95%", math.nan) == "unknown"
    assert verdict("达标率 >= 95%", None) == "unknown"
    assert verdict("达标率 >= 95%", "—") == "unknown"
    assert verdict("达标率 != 95%", math.nan) == "unknown"
    report = check("达标率 >= 95%", [("甲区", 2014, "达标率", 99, None)])
    assert report.verdict("甲区", 2015, "达标率") == "unknown"  # no 2015 value at all


# ------------------------------------------------------------------------------------------
# Time qualifiers


def test_target_year_checks_only_that_year() -> None:
    report = check("到2013年 达标率 >= 95%", [("甲区", y, "达标率", 90 if y != 2013 else 96, None)
                                          for y in range(2011, 2016)])
    assert report.verdict("甲区", 2013, "达标率") == "pass"
    with pytest.raises(qualityrules.UsageError) as no_target:   # no target is checked in 2015
        report.verdict("甲区", 2015, "达标率")
    assert no_target.value.code == "QR301" and no_target.value.suggestion == "years checked: 2013"
    assert [row["year"] for row in report.results()] == [2013]


def test_pack_target_year_is_the_default() -> None:
    report = check("达标率 >= 95%", [("甲区", 2014, "达标率", 90, None), ("甲区", 2015, "达标率", 96, None)])
    assert [(row["year"], row["verdict"]) for row in report.results()] == [(2015, "pass")]


@pytest.mark.parametrize(("values", "expected"), [
    ([96, 97, 95, 99, 100], "pass"),
    ([96, 94, 95, 99, 100], "fail"),
    ([96, None, 95, 99, 100], "unknown"),          # a missing year makes it unknown...
    ([96, None, 90, 99, 100], "fail"),             # ...unless another year already failed
    ([96, "≥95", 95, 99, 100], "pass"),
    ([96, "<96", 95, 99, 100], "unknown"),
])
def test_every_year(values: list[Any], expected: str) -> None:
    records = [("甲区", 2011 + k, "达标率", v, None) for k, v in enumerate(values) if v is not None]
    report = check("每年 达标率 >= 95%", records)
    (target,) = report.targets()
    assert target["verdict"] == expected
    assert target["years"] == [2011, 2012, 2013, 2014, 2015]
    assert len(report.results()) == 5


def test_stable_at_means_every_year() -> None:
    report = check("达标率 稳定在95%以上", [("甲区", y, "达标率", 96, None) for y in range(2011, 2016)])
    assert report.targets()[0]["kind"] == "every-year"
    assert report.targets()[0]["verdict"] == "pass"


@pytest.mark.parametrize(("values", "expected", "total"), [
    ([1, 1, 1, 1, 1], "pass", 5.0),
    ([1, 1, 1, 1, 0], "fail", 4.0),
    ([2, 0, 0, 0, 3], "pass", 5.0),
    ([1, 1, None, 1, 1], "unknown", None),
    ([1, 1, "≥1", 1, 1], "pass", 5.0),
    ([1, 0, "<1", 1, 1], "fail", 4.0),       # 3 + (<1): below 4, shown as "<4"
    ([1, 0, "≤2", 1, 1], "unknown", 5.0),    # 3 + (≤2): at most 5, shown as "≤5"
])
def test_cumulative_sums_the_period(values: list[Any], expected: str, total: float | None) -> None:
    records = [("甲区", 2011 + k, "企业数", v, None) for k, v in enumerate(values) if v is not None]
    report = check("累计 企业数 达到五家", records)
    (row,) = report.results()
    assert row["year"] == 2015 and row["verdict"] == expected
    assert row["value"] == total


@pytest.mark.parametrize(("body", "base", "now", "expected"), [
    ("能耗 较2010年 下降 18.5%", 1.0, 0.815, "pass"),
    ("能耗 较2010年 下降 18.5%", 1.0, 0.816, "fail"),
    ("能耗 较2010年 下降 18.5%", 1.0, 1.2, "fail"),
    ("指数 较2010年 提升 30%", 100, 130, "pass"),
    ("指数 较2010年 提升 30%", 100, 129.9, "fail"),
    ("指数 较2010年 翻一番", 50, 100, "pass"),
    ("指数 较2010年 翻一番", 50, 99, "fail"),
    ("达标率 较2010年 提高 5个百分点", 80, 85, "pass"),
    ("达标率 较2010年 提高 5个百分点", 80, 84.9, "fail"),
    ("达标率 较2010年 下降 2个百分点以上", 10, 8, "pass"),
    ("能耗 较2010年 下降 18.5%", None, 0.5, "unknown"),
    ("能耗 较2010年 下降 18.5%", "<1", 0.5, "unknown"),
    ("指数 较2010年 提升 30%", 0, 130, "unknown"),
    ("能耗 较2010年 下降 18.5%", 1.0, "<0.8", "pass"),
    ("能耗 较2010年 下降 18.5%", 1.0, ">0.9", "fail"),
    ("能耗 较2010年 下降 18.5%", 1.0, "≤0.9", "unknown"),
])
def test_change_against_a_baseline(body: str, base: Any, now: Any, expected: str) -> None:
    indicator = body.split()[0]
    records = [("甲区", 2015, indicator, now, None)]
    if base is not None:
        records.append(("甲区", 2010, indicator, base, None))
    assert check(body, records).verdict("甲区", 2015, indicator) == expected


def test_relative_change_value_and_margin_are_in_percent() -> None:
    report = check("能耗 较2010年 下降 18.5%", [("甲区", 2010, "能耗", 1.0, None), ("甲区", 2015, "能耗", 0.8, None)])
    (row,) = report.results()
    assert row["unit"] == "%"
    assert row["value"] == pytest.approx(20.0)
    assert row["margin"] == pytest.approx(1.5)
    assert row["threshold"] == 18.5


# ------------------------------------------------------------------------------------------
# Censored values decide only when the bound decides


@pytest.mark.parametrize(("value", "expected"), [
    ("≥95", "pass"), (">=95", "pass"), ("95以上", "pass"), (">95", "pass"), ("超过96", "pass"),
    ("≥94", "unknown"), ("94以上", "unknown"),
    ("<95", "fail"), ("<3", "fail"), ("不足95", "fail"), ("低于95", "fail"),
    ("≤95", "unknown"), ("95以下", "unknown"), ("<=95", "unknown"), ("<95.1", "unknown"),
    ("＜３", "fail"), ("≥９５％", "pass"),
])
def test_censored_values(value: str, expected: str) -> None:
    assert verdict("达标率 >= 95%", value) == expected


def test_censored_values_against_upper_bounds_and_exclusions() -> None:
    assert verdict("能耗 < 0.5吨标准煤/万元", "<0.5", indicator="能耗") == "pass"
    assert verdict("能耗 < 0.5吨标准煤/万元", "≤0.5", indicator="能耗") == "unknown"
    assert verdict("能耗 <= 0.5吨标准煤/万元", "≤0.5", indicator="能耗") == "pass"
    assert verdict("能耗 < 0.5吨标准煤/万元", "≥0.5", indicator="能耗") == "fail"
    assert verdict("事故 零事故", "<1", indicator="事故") == "unknown"
    assert verdict("事故 != 0起", ">0", indicator="事故") == "pass"
    assert verdict("事故 != 0起", "≥0", indicator="事故") == "unknown"


def test_censored_value_is_reported_as_its_bound() -> None:
    report = check("达标率 >= 90%", [("甲区", 2015, "达标率", "≥95", None)])
    (row,) = report.results()
    assert (row["verdict"], row["censored"], row["value"], row["margin"]) == ("pass", "≥", 95.0, 5.0)


# ------------------------------------------------------------------------------------------
# Units


def test_data_in_another_unit_is_converted() -> None:
    assert verdict("产值 >= 1.75万亿元", 17500, unit="亿元", indicator="产值") == "pass"
    assert verdict("产值 >= 1.75万亿元", 1.75, unit="万亿元", indicator="产值") == "pass"
    assert verdict("产值 >= 1.75万亿元", "1.74万亿元", indicator="产值") == "fail"
    assert verdict("产值 >= 17500亿元", 175000000, unit="万元", indicator="产值") == "pass"
    assert verdict("产值 > 17500亿元", 175000000, unit="万元", indicator="产值") == "fail"
    assert verdict("企业数 >= 5家", 5, unit="个", indicator="企业数") == "pass"


def test_margin_is_in_the_rules_unit() -> None:
    report = check("产值 >= 1.75万亿元", [("甲区", 2015, "产值", 18000, "亿元")])
    (row,) = report.results()
    assert row["unit"] == "万亿元"
    assert (row["value"], row["threshold"]) == (pytest.approx(1.8), pytest.approx(1.75))
    assert row["margin"] == pytest.approx(0.05)
    assert row["relative_margin"] == pytest.approx(0.05 / 1.75)


def test_incompatible_unit_is_an_error_not_a_verdict() -> None:
    with pytest.raises(UnitError) as raised:
        check("产值 >= 1.75万亿元", [("甲区", 2015, "产值", 17500, "吨")])
    assert raised.value.code == "QR205"
    assert "亿元" in raised.value.diagnostic.message


# ------------------------------------------------------------------------------------------
# Strength, scope, options, inputs


def test_aspiration_warns_instead_of_failing() -> None:
    report = check("力争 达标率 >= 95%\n企业数 >= 5家", [("甲区", 2015, "达标率", 90, None),
                                                    ("甲区", 2015, "企业数", 6, None)])
    assert report.verdict("甲区", 2015, "达标率") == "warn"
    assert not report.failed and report.warned
    assert report.exit_code() == 0 and report.exit_code("warn") == 1


def test_binding_failure_sets_the_exit_code() -> None:
    report = check("达标率 >= 95%", [("甲区", 2015, "达标率", 90, None)])
    assert report.failed and report.exit_code() == 1


def test_regions_outside_the_scope_are_not_applicable() -> None:
    report = check("达标率 >= 95%", [("甲区", 2015, "达标率", 96, None), ("乙区", 2015, "达标率", 90, None)],
                   scope="甲区")
    assert report.verdict("甲区", 2015, "达标率") == "pass"
    assert report.verdict("乙区", 2015, "达标率") == "not-applicable"
    assert not report.failed


def test_region_and_year_options() -> None:
    pack = make_pack("每年 达标率 >= 95%")
    data = long([(r, y, "达标率", 96 if r == "甲区" else 90, None) for r in ("甲区", "乙区") for y in range(2011, 2016)])
    report = evaluate(pack, data, region="甲区", year=2013)
    assert [(row["region"], row["year"]) for row in report.results()] == [("甲区", 2013)]
    assert qualityrules.evaluate(pack, data, regions=["乙区"], hierarchy={"乙区": "甲区"}).failed
    assert not qualityrules.evaluate(pack, data, regions=["乙区"]).failed   # outside 甲区: not-applicable
    with pytest.raises(qualityrules.UsageError) as raised:
        evaluate(pack, data, region="丁区")
    assert "丁区" in raised.value.diagnostic.message


def test_traditional_script_region_matches() -> None:
    pack = make_pack("达标率 >= 95%", scope="甲区")
    report = evaluate(pack, long([("甲區", 2015, "達標率", 96, None)]), region="甲区")
    assert report.results()[0]["verdict"] == "pass"


def test_inputs_are_never_mutated() -> None:
    import pandas as pd
    frame = pd.DataFrame({"region": ["甲区", "甲区"], "year": [2014, 2015], "达标率": [90.0, np.nan],
                          "产值(万元)": [1.0e8, 2.0e8]})
    before = frame.copy(deep=True)
    arrays = {"region": np.array(["甲区"]), "year": np.array([2015]), "达标率": np.array([96.0])}
    arrays_before = {k: v.copy() for k, v in arrays.items()}
    pack = make_pack("达标率 >= 95%\n产值 >= 1万亿元")
    evaluate(pack, frame).results()
    evaluate(pack, arrays).results()
    pd.testing.assert_frame_equal(frame, before)
    for key, value in arrays.items():
        np.testing.assert_array_equal(value, arrays_before[key])


def test_plan_is_compiled_once_per_pack() -> None:
    from qualityrules.engine.plan import compile_pack

    pack = make_pack("达标率 >= 95%")
    assert compile_pack(pack) is compile_pack(pack)


def test_several_rules_on_one_indicator_mark_the_binding_one() -> None:
    report = check("每年 达标率 >= 90%\n到2015年 达标率 >= 95%", [("甲区", y, "达标率", 93, None) for y in range(2011, 2016)])
    rows = [row for row in report.results() if row["year"] == 2015]
    binding = {row["target"]: row["binding"] for row in rows}
    assert binding == {"≥ 90 %": False, "≥ 95 %": True}


def test_shipped_pack_on_shipped_baseline_data() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pack = qualityrules.load_pack("shenzhen-2020")
    report = qualityrules.evaluate(pack, root / "examples" / "baselines" / "shenzhen-2015.csv")
    assert report.obs.regions == ("深圳市",)
    # its 36 results before the nation-2020 fix, and the 纲要's two 2015 floors it now inherits
    assert len(report.results()) == 38
    inherited = [row for row in report.results() if row["origin"] == "nation-2020"]
    assert [(row["year"], row["indicator"]) for row in inherited] == [
        (2015, "生产性服务业顾客满意度"), (2015, "生活性服务业顾客满意度")]
    # ... which shenzhen-2020 (in force 2016–2020) does not enforce in 2015: not applicable, not judged
    assert {row["verdict"] for row in inherited} == {"not-applicable"}
    own = [row for row in report.results() if row["origin"] != "nation-2020"]
    assert all(row["verdict"] in ("unknown", "pass", "fail", "warn") for row in own)


@pytest.mark.parametrize("order", ["region-major", "year-major", "shuffled", "repeated"])
def test_row_order_does_not_change_results(order: str) -> None:
    """A wide table with one row per region-year is evaluated where it lies (a view in region or
    year order, one scatter otherwise, identical repeated rows allowed): the verdicts are the
    reference's in every order, and the user's arrays are not copied in the two sorted orders."""
    body = "达标率 >= 95%\n每年 企业数 < 30家\n能耗 != 0.47吨标准煤/万元\n事故 <= 2起\n每年 产值 30-40亿元"
    pack = make_pack(body)
    rng = np.random.default_rng(7)
    names = (("达标率", 95.0), ("企业数", 30.0), ("能耗", 0.47), ("事故", 2.0), ("产值", 40.0))
    grid = [(r, year) for r in range(41) for year in range(2011, 2016)]
    if order == "year-major":
        grid.sort(key=lambda ry: (ry[1], ry[0]))
    # (|c - 1|: 能耗 0.47 - 1 would be a negative intensity, set aside in a copy of the column)
    values = {name: np.array([float(rng.choice([c, c + 1, abs(c - 1), math.nan])) for _ in grid]) for name, c in names}
    rows = np.arange(len(grid))
    if order == "shuffled":
        rows = rng.permutation(len(grid))
    if order == "repeated":
        rows = np.concatenate([rows, rows[::3]])
    table = {"region": np.array([f"区{grid[k][0]:02d}" for k in rows]), "year": np.array([grid[k][1] for k in rows]),
             **{name: column[rows] for name, column in values.items()}}
    parents = {f"区{r:02d}": "甲区" for r in range(41)}   # below the pack's region: its targets bind them
    report = evaluate(pack, table, hierarchy=parents)
    records = [(f"区{r:02d}", year, name, float(values[name][k]), None) for k, (r, year) in enumerate(grid)
               for name, _ in names]
    expected, targets = reference(pack, records, parents)
    assert {k: v[0] for k, v in cells(report).items()} == {k: v[0] for k, v in expected.items()}
    assert {(row["region"], row["indicator"]): row["verdict"] for row in report.targets()} == \
        {(region, pack.rules[k].indicator.name): v for (region, k), v in targets.items()}
    columns = report.obs.values
    if order in ("region-major", "year-major"):
        assert all(np.shares_memory(v.lo, table[name]) for v, name in zip(columns, report.obs.indicators, strict=True))
    else:
        assert not any(np.shares_memory(v.lo, table[name])
                       for v, name in zip(columns, report.obs.indicators, strict=True))


@pytest.mark.parametrize(("regions", "years"), [(1, 1), (1, 10), (7, 1), (3, 5), (5000, 2), (2, 3000)])
def test_a_grid_of_integer_codes_is_recognised_in_either_order(regions: int, years: int) -> None:
    """_Grid.of: codes r0.. and years y0.. with one row per pair, region-major or year-major (more
    regions or years than one prefix holds included); a row out of place, a missing row, a gap
    in the codes or a year that is not a year is no grid (the general path reads it)."""
    from qualityrules.tables.observations import _Grid

    r = np.arange(100, 100 + regions)
    y = np.arange(2011, 2011 + years)
    major = (np.repeat(r, years), np.tile(y, regions))
    grid = _Grid.of(*major)
    assert grid is not None and grid.regions.tolist() == r.tolist() and grid.years.tolist() == y.tolist()
    minor = _Grid.of(np.tile(r, years), np.repeat(y, regions))
    assert minor is not None and minor.regions.tolist() == r.tolist() and minor.years.tolist() == y.tolist()
    if regions > 1 and years > 1:
        assert (grid.order, minor.order) == ("region-major", "year-major")
        swapped = major[1].copy()
        swapped[[0, -1]] = swapped[[-1, 0]]
        assert _Grid.of(major[0], swapped) is None
        assert _Grid.of(major[0][1:], major[1][1:]) is None
        inside = major[0].copy()
        inside[years // 2] += 1                       # a run that starts and ends on its region, not holding it
        assert _Grid.of(inside, major[1]) is None
    gap = major[0].copy()
    gap[gap == gap.max()] += 1
    assert regions == 1 or _Grid.of(gap, major[1]) is None
    assert _Grid.of(major[0], major[1] - 2000) is None                                 # years 11.. are not years
    assert _Grid.of(major[0].astype(np.uint64) + np.uint64(2 ** 63), major[1].astype(np.uint64)) is None


def test_the_comparisons_split_over_two_threads_give_the_same_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large table is compared on two cores, split at a change of indicator: every block, the
    implausible values set aside (in both halves) and the warnings are those of one thread."""
    from qualityrules.engine import evaluation

    body = "\n".join(["达标率 >= 95%", "每年 达标率 > 90%", "能耗 <= 0.47吨标准煤/万元", "企业数 30-40家", "事故 != 2起",
                      "每年 产值 30-40亿元"])
    pack = make_pack(body)
    rng = np.random.default_rng(11)
    n = 400
    table: dict[str, Any] = {"region": np.repeat(np.arange(n), 5), "year": np.tile(np.arange(2011, 2016), n)}
    for name, centre in (("达标率", 95.0), ("能耗", 0.47), ("企业数", 35.0), ("事故", 2.0), ("产值", 35.0)):
        column = np.round(centre + rng.normal(0, centre / 10, 5 * n), 0 if name in ("企业数", "事故") else 2)
        column[rng.random(5 * n) < 0.05] = np.nan
        table[name] = column
    table["达标率"][7] = 130.0          # a share above 100 %: set aside, in the first half
    table["企业数"][3] = -4.0           # a negative count, in the second
    tree = {str(r): "甲区" for r in range(n)}

    def blocks() -> tuple[Any, list[tuple[list[int], Any, Any]]]:
        report = qualityrules.evaluate(pack, table, hierarchy=tree)
        return report, [(b.atoms.tolist(), b.passed.copy(), b.unknown.copy()) for b in report.evaluation.blocks]

    one_report, one = blocks()
    monkeypatch.setattr(evaluation, "_PARALLEL_VALUES", 1)
    monkeypatch.setattr(evaluation, "_PARALLEL_RUN", 1)
    monkeypatch.setattr(evaluation, "cores", lambda: 2)
    split = []
    original = evaluation._second_half
    monkeypatch.setattr(evaluation, "_second_half", lambda *a: split.append(original(*a)) or split[-1])
    two_report, two = blocks()
    assert split and split[0] is not None                    # it did split
    assert len(one) == len(two)
    for (atoms_a, passed_a, unknown_a), (atoms_b, passed_b, unknown_b) in zip(one, two, strict=True):
        assert atoms_a == atoms_b and np.array_equal(passed_a, passed_b) and np.array_equal(unknown_a, unknown_b)
    assert [w.code for w in one_report.warnings] == [w.code for w in two_report.warnings] == ["QR242", "QR243"]
    assert one_report.to_json() == two_report.to_json()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")   # Python 3.12+: the point of the test
def test_a_forked_child_compares_on_two_cores_without_waiting_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker thread of the parent does not exist in a forked child (multiprocessing with
    fork, a Dask process pool): the child starts its own, it does not wait for a thread that is
    not there (it hung before)."""
    import signal
    import time

    from qualityrules.engine import evaluation

    monkeypatch.setattr(evaluation, "_PARALLEL_VALUES", 1)
    monkeypatch.setattr(evaluation, "_PARALLEL_RUN", 1)
    monkeypatch.setattr(evaluation, "cores", lambda: 2)
    pack = make_pack("每年 达标率 >= 95%\n每年 产值 30-40亿元\n每年 能耗 <= 0.47吨标准煤/万元\n每年 事故 <= 2起")
    n = 50
    table = {"region": np.repeat(np.arange(n), 5), "year": np.tile(np.arange(2011, 2016), n),
             "达标率": np.full(5 * n, 96.0), "产值": np.full(5 * n, 35.0), "能耗": np.full(5 * n, 0.4), "事故": np.full(5 * n, 1.0)}
    tree = {str(r): "甲区" for r in range(n)}
    assert evaluate(pack, table, hierarchy=tree).verdict("3", 2015, "达标率") == "pass"    # the parent's worker runs
    pid = os.fork()
    if pid == 0:     # the child: exit 0 only when the comparison came back right
        os._exit(0 if evaluate(pack, table, hierarchy=tree).verdict("3", 2015, "达标率") == "pass" else 1)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError("the forked child waited for the parent's worker thread")
