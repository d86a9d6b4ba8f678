"""Implausible data is set aside, never silently passed or failed: a share column written as
fractions of 1, a share above 100 % or below 0, a negative count. Each is a report warning
naming the column and cells, with the likely fix; the verdicts that need the values are unknown
with the reason, in every output format."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import CATALOGUE, make_pack

import qualityrules

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
WASTEWATER = "工业废水达标排放率"
CERTIFIED = "获得质量管理体系认证的规模以上工业企业"


def longgang(column: str, values: list[object], years: list[int] | None = None) -> qualityrules.Report:
    years = years or list(range(2015 - len(values) + 1, 2016))
    return qualityrules.evaluate("longgang-2015", {"region": ["龙岗区"] * len(values), "year": years, column: values})


def test_a_share_written_as_fractions_is_set_aside_not_failed() -> None:
    report = longgang(WASTEWATER, [0.97, 0.96])
    assert report.verdict("龙岗区", 2015, WASTEWATER) == "unknown" and not report.failed
    [warning] = report.warnings
    assert warning.code == "QR241" and warning.severity.value == "warning"
    assert warning.message.startswith(f"{WASTEWATER} (<dict>: 龙岗区 2014, 龙岗区 2015)")
    assert warning.suggestion == "multiply the column by 100, or give it in %"
    row = next(r for r in report.targets() if r["indicator"] == WASTEWATER and r["origin"] == "longgang-2015")
    assert row["reason"] == "written as fractions of 1 (QR241)"
    assert "set aside: written as fractions of 1 (QR241)" in report.explain("龙岗区", 2015, WASTEWATER)
    assert longgang(WASTEWATER, [97, 96]).verdict("龙岗区", 2015, WASTEWATER) == "pass"   # the fix


def test_fractions_are_believed_when_the_targets_are_small() -> None:
    pack = make_pack("达标率 <= 3%")   # e.g. an unemployment rate: 0.8 % is plausible
    report = qualityrules.evaluate(pack, {"region": ["甲区"], "year": [2015], "达标率": [0.8]})
    assert report.verdict("甲区", 2015, "达标率") == "pass" and report.warnings == ()


def test_all_zero_shares_are_not_taken_for_fractions() -> None:
    report = longgang(WASTEWATER, [0.0])
    assert report.verdict("龙岗区", 2015, WASTEWATER) == "fail" and report.warnings == ()


@pytest.mark.parametrize(("value", "set_aside"), [
    (101.5, True), (-0.5, True), ("≥120", True), ("<150", False), (100, False), (99.9, False), (0, False),
])
def test_a_share_outside_0_to_100_is_set_aside(value: object, set_aside: bool) -> None:
    report = longgang(WASTEWATER, [value])
    codes = [w.code for w in report.warnings]
    assert codes == (["QR242"] if set_aside else [])
    if set_aside:
        assert report.verdict("龙岗区", 2015, WASTEWATER) == "unknown"
        assert report.warnings[0].message.startswith(f"{WASTEWATER} (<dict>: 龙岗区 2015): a share cannot be")


def test_one_bad_cell_leaves_the_rest_of_the_column_checked() -> None:
    data = {"region": ["龙岗区", "横岗街道", "布吉街道"], "year": [2015] * 3, WASTEWATER: [150, 90, 96]}
    report = qualityrules.evaluate("longgang-2015", data)
    assert [report.verdict(r, 2015, WASTEWATER) for r in data["region"]] == ["unknown", "fail", "pass"]
    assert "1 value(s) set aside" in report.warnings[0].message


def test_per_mille_at_exactly_100_percent_is_plausible() -> None:
    data = {"region": ["龙岗区"], "year": [2015], "indicator": [WASTEWATER], "value": [1000], "unit": ["‰"]}
    report = qualityrules.evaluate("longgang-2015", data)
    assert report.warnings == () and report.verdict("龙岗区", 2015, WASTEWATER) == "pass"


def test_a_change_rate_may_exceed_100_percent() -> None:
    report = qualityrules.evaluate("shenzhen-2020", {"region": ["深圳市"], "year": [2015], "GDP较2010年增长率": [150.0]})
    assert [w.code for w in report.warnings] == []


def test_a_negative_count_is_set_aside() -> None:
    report = longgang(CERTIFIED, [-3])
    assert [w.code for w in report.warnings] == ["QR243"]
    assert report.verdict("龙岗区", 2015, CERTIFIED) == "unknown" and not report.failed
    assert report.warnings[0].message == (f"{CERTIFIED} (<dict>: 龙岗区 2015): a count (家) cannot be negative; "
                                          "1 value(s) set aside, their verdicts are unknown")


def test_a_set_aside_baseline_makes_the_change_unknown() -> None:
    pack = make_pack("达标率 较2010年 提高5%")
    report = qualityrules.evaluate(pack, {"region": ["甲区", "甲区"], "year": [2010, 2015], "达标率": [180, 90]})
    row = report.results()[0]
    assert (row["verdict"], row["reason"]) == ("unknown", "a share outside 0–100 % (QR242)")


def test_the_warnings_are_in_every_format() -> None:
    report = longgang(WASTEWATER, [0.97, 0.96])
    message = report.warnings[0].message
    assert message in report.to_text()
    assert message in report.to_markdown() and "## Warnings" in report.to_markdown()
    text = report.to_csv()
    assert text.startswith("# warning[QR241]: ") and message in text
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert {row["reason"] for row in rows if row["indicator"] == WASTEWATER} == {"written as fractions of 1 (QR241)"}
    document = json.loads(report.to_json())
    jsonschema.validate(document, SCHEMA)
    assert [w["code"] for w in document["warnings"]] == ["QR241"]
    from qualityrules.report.html import render_html

    assert "QR241" in render_html(report)


def test_loader_warnings_reach_the_report() -> None:
    from qualityrules.errors import Diagnostic, Severity
    from qualityrules.tables.observations import load

    pack = qualityrules.load_pack("longgang-2015")
    obs = load({"region": ["龙岗区"], "year": [2015], WASTEWATER: [96]}, pack.catalogue)
    said = Diagnostic("QR210", "a loader's warning", severity=Severity.WARNING)
    import attrs

    report = qualityrules.evaluate(pack, attrs.evolve(obs, warnings=(said,)))
    assert report.warnings == (said,) and "a loader's warning" in report.to_text()


def test_nothing_is_copied_when_nothing_is_in_doubt() -> None:
    from qualityrules.engine.plan import compile_pack
    from qualityrules.engine.plausibility import screen
    from qualityrules.tables.observations import load

    pack = qualityrules.load_pack("longgang-2015")
    obs = load({"region": ["龙岗区"], "year": [2015], WASTEWATER: [96]}, pack.catalogue)
    screened, doubts = screen(compile_pack(pack), obs)
    assert screened is obs and doubts == ()
    odd = load({"region": ["龙岗区"], "year": [2015], WASTEWATER: [196]}, pack.catalogue)
    screened, doubts = screen(compile_pack(pack), odd)
    assert math.isnan(screened.lo[0, 0, 0]) and odd.lo[0, 0, 0] == 196   # the input is not mutated


def test_a_censored_value_counts_by_its_finite_end_in_the_fractions_test() -> None:
    report = longgang(WASTEWATER, [1.0, ">95"])   # ">95" is a value above 1: not a column of fractions,
    assert report.verdict("龙岗区", 2015, WASTEWATER) == "pass"   # though 1.0 is one among it (100 %)
    assert [w.code for w in report.warnings] == ["QR241"] and "1 value(s) set aside" in report.warnings[0].message
    assert longgang(WASTEWATER, [1.0, "<0.9"]).warnings[0].code == "QR241"


def test_a_negative_intensity_or_concentration_is_set_aside(tmp_path: Path) -> None:
    """An intensity (吨标准煤/万元, 立方米/万元) or a concentration (微克/立方米) below 0 cannot be right:
    set aside like a negative count (QR243); before, −1 m³ per 10,000 yuan passed ≤ 21, and a fall
    from 20.83 to −1 passed as a 104.8 % decrease. On the command line as from Python."""
    data = tmp_path / "odd.csv"
    data.write_text("region,year,万元GDP水耗,万元GDP能耗\n龙岗区,2015,-1,-0.5\n", encoding="utf-8")
    report = qualityrules.evaluate("longgang-2015", str(data), regions=["龙岗区"])
    for name in ("万元GDP水耗", "万元GDP能耗"):
        assert report.verdict("龙岗区", 2015, name) == "unknown"
    assert [(w.code, str(w.message)) for w in report.warnings] == [
        ("QR243", f"万元GDP水耗 ({data}: 龙岗区 2015): a value in 立方米/万元 cannot be negative; 1 value(s) set aside, "
                  "their verdicts are unknown"),
        ("QR243", f"万元GDP能耗 ({data}: 龙岗区 2015): a value in 吨标准煤/万元 cannot be negative; 1 value(s) set aside, "
                  "their verdicts are unknown")]
    row = next(r for r in report.targets() if r["indicator"] == "万元GDP水耗")
    assert row["reason"] == "a negative value (QR243)"
    from qualityrules.cli import main

    assert main(["check", str(ROOT / "rules/packs/longgang-2015.qr"), str(data), "--region", "龙岗区"]) == 0
    pm = qualityrules.evaluate("shenzhen-2020", {"region": ["深圳市"], "year": [2020], "PM2.5年均浓度": [-5]})
    assert pm.verdict("深圳市", 2020, "PM2.5年均浓度") == "unknown" and [w.code for w in pm.warnings] == ["QR243"]
    water = qualityrules.evaluate("shenzhen-2020", {"region": ["深圳市"] * 2, "year": [2015, 2020],
                                                    "万元GDP水耗": [20.83, -1]})
    assert water.verdict("深圳市", 2020, "万元GDP水耗") == "unknown" and not water.failed


def test_what_may_be_negative_is_not_screened() -> None:
    """A change (named so), an amount of money (a balance may be negative), a score, a sound
    level and an indicator without a unit are taken as they are."""
    from qualityrules.language.units import value_kind

    for name, unit in (("万元GDP水耗下降", "立方米/万元"), ("GDP较2010年增长率", "%"), ("文化创意产业增加值", "亿元"),
                       ("居民人均可支配收入", "元/人"), ("生产性服务业顾客满意度", "分"), ("噪声", "分贝"), ("x", None),
                       ("x", "百分点")):
        assert value_kind(name, unit) is None, (name, unit)
    for name, unit in (("PM2.5年均浓度", "微克/立方米"), ("万元GDP能耗", "吨标准煤/万元"), ("每万人发明专利拥有量", "件/万人"),
                       ("新增绿色建筑面积", "万平方米"), ("深圳质量指数", "点")):
        kind = value_kind(name, unit)
        assert kind is not None and kind.highest is None and not kind.whole, (name, unit)
    for unit in ("件", "家", "名", "位", "万户", "千人"):
        kind = value_kind("x", unit)
        assert kind is not None and kind.whole
    report = qualityrules.evaluate("shenzhen-2020", {"region": ["深圳市"], "year": [2020], "文化创意产业增加值": [-3.5]})
    assert report.warnings == ()


@pytest.mark.parametrize(("value", "unit", "verdict"), [
    (3.601, None, "unknown"), (3600.5, None, "unknown"), (3601, None, "pass"), (3601.0, None, "pass"),
    (3.601, "千件", "pass"), (3.6, "千件", "fail"), ("≥3600.5", None, "pass"),
])
def test_a_count_that_is_not_whole_is_set_aside(value: object, unit: str | None, verdict: str) -> None:
    """3.601 件 (a European thousands separator, or a value in 千件 given without its unit) is no
    count: set aside (QR245), not a fail. In 千件 it is 3601 件, whole; a censored value is no value
    to be whole."""
    name = "发明专利年授权量"
    data: dict[str, list[object]] = {"region": ["龙岗区"], "year": [2015], "indicator": [name], "value": [value]}
    if unit is not None:
        data["unit"] = [unit]
    report = qualityrules.evaluate("longgang-2015", data)
    assert report.verdict("龙岗区", 2015, name) == verdict
    if verdict == "unknown":
        [warning] = report.warnings
        assert warning.code == "QR245" and str(warning.message) == (
            f"{name} (<dict>: 龙岗区 2015): a count (件) is a whole number; 1 value(s) set aside, their verdicts are "
            "unknown")
        row = next(r for r in report.targets() if r["indicator"] == name)
        assert row["reason"] == "a count not whole (QR245)"
    else:
        assert report.warnings == ()
    enterprises = longgang(CERTIFIED, [2.5])
    assert enterprises.verdict("龙岗区", 2015, CERTIFIED) == "unknown" and [w.code for w in enterprises.warnings] == \
        ["QR245"]


@pytest.mark.parametrize(("bad", "codes"), [
    ({"能耗": -0.1}, ["QR243"]), ({"能耗": -math.inf}, ["QR214"]), ({"能耗": math.inf}, ["QR214"]),
    ({"企业数": 3.5}, ["QR245"]), ({"企业数": -2.0}, ["QR243"]), ({"企业数": math.inf}, ["QR214"]),
    ({"人数": 1.00005}, ["QR245"]), ({"人数": 1.0001}, []), ({}, []), ({"企业数": 7.0, "能耗": 0.0}, []),
])
def test_the_screen_after_the_comparison_decides_as_the_screen_before_it(
        bad: dict[str, float], codes: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A column compared in every year is screened after its comparison, while its values are
    in the CPU cache (a magnitude never negative, a count): the verdicts, reasons and warnings
    are those of the screen run before the comparison, whatever is in doubt (a negative value,
    ±inf, a count not whole, a count in 万人 whose conversion rounds: 1.00005 万人 is 10,000.5
    persons, 1.0001 万人 is 10,001)."""
    from qualityrules.engine import plausibility
    from qualityrules.language.parse import parse_text
    from qualityrules.packs.resolve import Catalogue

    rule_file, _ = parse_text(CATALOGUE + "indicator 人数 {\n    unit 万人\n    direction higher\n}\n")
    catalogue, _ = Catalogue.build(rule_file.indicators)
    pack = make_pack("\n".join(["每年 能耗 <= 0.5吨标准煤/万元", "每年 企业数 >= 3家", "每年 人数 >= 1万人",
                                "2013年 能耗 <= 0.4吨标准煤/万元"]), cat=catalogue)
    n, years = 40, [2011, 2012, 2013]
    rng = np.random.default_rng(5)
    table: dict[str, Any] = {"region": np.repeat(np.arange(n), len(years)), "year": np.tile(years, n),
                             "能耗": np.round(rng.uniform(0, 1, n * len(years)), 2),
                             "企业数": rng.integers(0, 8, n * len(years)).astype(float),
                             "人数": np.round(rng.uniform(0.5, 2, n * len(years)), 1)}
    for column in table.values():
        if column.dtype == float:
            column[rng.random(len(column)) < 0.1] = np.nan
    for name, value in bad.items():
        table[name][17] = value
    tree = {str(r): "甲区" for r in range(n)}

    def outcome() -> tuple[object, ...]:
        report = qualityrules.evaluate(pack, table, hierarchy=tree)
        rows = [(r["region"], r["year"], r["indicator"], r["verdict"], r.get("reason")) for r in report.targets()]
        return rows, [(w.code, str(w.message)) for w in report.warnings]

    folded = outcome()
    assert [code for code, _ in folded[1]] == codes
    monkeypatch.setattr(plausibility.Screen, "can_follow", lambda self, i: None)
    assert folded == outcome()


@given(st.lists(st.one_of(st.integers(-10**6, 10**6).map(float), st.floats(allow_nan=True, allow_infinity=True)),
                max_size=40), st.integers(0, 3), st.sampled_from([1.0, 1000.0, 10000.0]))
def test_the_whole_number_tests_agree_with_a_plain_one_across_blocks(
        cells: list[float], copies: int, factor: float) -> None:
    """:func:`not_whole` and :func:`any_not_whole` read a column in blocks through scratch kept
    per thread: positions are those of the whole column, on any block, whatever NaN or ±inf
    lie around them; the quick test says "not whole" whenever the careful one finds a value."""
    from qualityrules.tables import decimals

    x = np.full(decimals._WHOLE_BLOCK * copies + 7, 5.0)
    x[-len(cells) or len(x):] = cells[-len(x):] if cells else []
    x[3::decimals._WHOLE_BLOCK] = np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = x * factor
        expected = [k for k, v in enumerate(scaled.tolist())
                    if math.isfinite(v) and abs(v - round(v)) > abs(v) * 2.0**-40]
        assert decimals.not_whole(x, factor).tolist() == expected
    grid = x.reshape(-1, 1)
    quick = decimals.any_not_whole(grid, ~np.isfinite(grid), factor)
    assert quick or not expected
    exactly_whole = all(v == round(v) for v in scaled.tolist() if math.isfinite(v))
    assert quick == (not exactly_whole)


def test_one_fraction_among_percentages_is_set_aside() -> None:
    """A single 0.96 among 97, 95, 98 % (targets ≥ 95 %) is a fraction written for 96 %: set aside
    with a located QR241, not failed; the other cells keep their verdicts."""
    regions = ["龙岗区", "横岗街道", "布吉街道", "坪地街道"]
    data = {"region": regions, "year": [2015] * 4, WASTEWATER: [97, 95, 98, 0.96]}
    report = qualityrules.evaluate("longgang-2015", data)
    assert [report.verdict(r, 2015, WASTEWATER) for r in regions] == ["pass", "pass", "pass", "unknown"]
    [warning] = report.warnings
    assert warning.code == "QR241" and warning.severity.value == "warning"
    assert warning.message == (f"{WASTEWATER} (<dict>: 坪地街道 2015): a value between 0 and 1 among values from 95 to "
                               "98 %, while the targets on it are tens of % — a fraction written for a percentage "
                               "(0.95 for 95 %); 1 value(s) set aside, their verdicts are unknown")
    assert warning.suggestion == "multiply the cells by 100, or give them in %"
    row = next(r for r in report.targets() if r["region"] == "坪地街道" and r["indicator"] == WASTEWATER
               and r["origin"] == "longgang-2015")
    assert row["reason"] == "written as a fraction of 1 (QR241)"


@pytest.mark.parametrize(("body", "values", "verdict"), [
    ("达标率 >= 95%", [0.5, 0.8, 1.2, 0.9], "fail"),       # a column of small shares: real
    ("达标率 >= 95%", [0.5, 95, 97, 98], "fail"),          # 50 % is not among 95–98 %: no sign of a fraction
    ("达标率 >= 95%", [0.08, 3, 12, 15], "fail"),          # the others are not tens of percent
    ("达标率 >= 3%", [0.8, 78, 85, 90], "fail"),           # small targets: 0.8 % is plausible
    ("达标率 <= 3%", [0.8, 78, 85, 90], "pass"),
    ("达标率 >= 95%", [0.0, 95, 97, 98], "fail"),          # 0 is 0 % either way
])
def test_a_genuine_small_share_among_others_is_kept(body: str, values: list[float], verdict: str) -> None:
    pack = make_pack(body)   # the first value in the target year 2015, the others before it
    report = qualityrules.evaluate(pack, {"region": ["甲区"] * 4, "year": [2015, 2014, 2013, 2012], "达标率": values})
    assert report.warnings == () and report.verdict("甲区", 2015, "达标率") == verdict


def test_a_censored_fraction_among_percentages() -> None:
    regions = ["龙岗区", "横岗街道", "布吉街道"]
    report = qualityrules.evaluate("longgang-2015", {"region": regions, "year": [2015] * 3,
                                                     WASTEWATER: ["≥0.97", "97", "≥96"]})
    assert [w.code for w in report.warnings] == ["QR241"]
    assert "(<dict>: 龙岗区 2015): a value between 0 and 1 among values from 96 to 97 %" in report.warnings[0].message
    assert [report.verdict(r, 2015, WASTEWATER) for r in regions] == ["unknown", "pass", "pass"]


def test_a_fraction_and_a_share_above_100_in_one_column() -> None:
    regions = ["龙岗区", "横岗街道", "布吉街道"]
    report = qualityrules.evaluate("longgang-2015", {"region": regions, "year": [2015] * 3,
                                                     WASTEWATER: [0.97, 96, 150]})
    assert [w.code for w in report.warnings] == ["QR241", "QR242"]
    assert [report.verdict(r, 2015, WASTEWATER) for r in regions] == ["unknown", "pass", "unknown"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([3, 5, 10, 50, 95]),
       st.lists(st.one_of(st.integers(0, 100).map(lambda n: n / 100), st.integers(-50, 1200).map(lambda n: n / 10)),
                min_size=1, max_size=5))
def test_the_screen_sets_aside_what_the_reference_does(bound: int, column: list[float]) -> None:
    """The engine's screen of a share column (fractions, QR241; outside 0–100 %, QR242) agrees cell
    by cell with the reference evaluator's rule, for targets small and large."""
    from fractions import Fraction

    from reference import Value, plausible

    from qualityrules.engine.plan import compile_pack
    from qualityrules.engine.plausibility import screen
    from qualityrules.tables.observations import load

    pack = make_pack(f"达标率 >= {bound}%")
    years = list(range(2011, 2011 + len(column)))
    obs = load({"region": ["甲区"] * len(column), "year": years, "达标率": column}, pack.catalogue)
    _, doubts = screen(compile_pack(pack), obs)
    engine = {int(obs.years[y]) for d in doubts for _, y in np.argwhere(d.cells).tolist()}
    kept = plausible(pack, {("甲区", y, "达标率"): Value(Fraction(x), Fraction(x)) for y, x in zip(years, column, strict=True)})
    assert engine == {y for y in years if ("甲区", y, "达标率") not in kept}
