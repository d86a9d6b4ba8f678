"""The report: frame, JSON (against its schema), CSV, Markdown, terminal text, counts, explain."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from reference import make_pack

import qualityrules
from qualityrules import evaluate
from qualityrules.report.report import Report

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))

BODY = """\
达标率 >= 95%                 cite "一(一)"
每年 企业数 不少于10家          cite "一(二)"
累计 事故 <= 3起
力争 产值 >= 1.75万亿元        cite "二"
能耗 较2010年 下降 18.5%
"""


def data() -> dict[str, list[Any]]:
    rows = [
        ("甲区", 2015, "达标率", 96, None), ("乙区", 2015, "达标率", "<90", None),
        *[("甲区", y, "企业数", 10 + y % 3, None) for y in range(2011, 2016)],
        *[("乙区", y, "企业数", 9 if y == 2013 else 12, None) for y in range(2011, 2016)],
        *[(r, y, "事故", 0, None) for r in ("甲区", "乙区") for y in range(2011, 2016)],
        ("甲区", 2015, "产值", 17000, "亿元"), ("乙区", 2015, "产值", 1.8, "万亿元"),
        ("甲区", 2010, "能耗", 0.5, None), ("甲区", 2015, "能耗", 0.4, None),
        ("乙区", 2015, "能耗", 0.4, None),
    ]
    return {"region": [r[0] for r in rows], "year": [r[1] for r in rows], "indicator": [r[2] for r in rows],
            "value": [r[3] for r in rows], "unit": [r[4] for r in rows]}


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(make_pack(BODY, scope="乙区"), data())   # 甲区's pack speaks for 乙区 too


def verdicts(report: Report) -> dict[tuple[str, str], str]:
    return {(row["region"], row["indicator"]): row["verdict"] for row in report.targets()}


def test_target_verdicts(report: Report) -> None:
    assert verdicts(report) == {
        ("甲区", "达标率"): "pass", ("乙区", "达标率"): "fail",
        ("甲区", "企业数"): "pass", ("乙区", "企业数"): "fail",
        ("甲区", "事故"): "pass", ("乙区", "事故"): "pass",
        ("甲区", "产值"): "warn", ("乙区", "产值"): "pass",
        ("甲区", "能耗"): "pass", ("乙区", "能耗"): "unknown",
    }
    every = next(row for row in report.targets() if row["region"] == "乙区" and row["indicator"] == "企业数")
    assert every["year"] == 2013 and every["value"] == 9 and every["margin"] == -1
    assert every["year_verdicts"] == {"2011": "pass", "2012": "pass", "2013": "fail", "2014": "pass", "2015": "pass"}


def test_summary_counts_and_exit_code(report: Report) -> None:
    summary = report.summary()
    assert summary == {"targets": 10, "pass": 6, "fail": 2, "warn": 1, "unknown": 1, "pending": 0, "not-applicable": 0}
    assert report.counts("level") == {"district": {"pass": 6, "fail": 2, "warn": 1, "unknown": 1, "pending": 0, "not-applicable": 0}}
    assert set(report.counts("section")) == {"测试"} and set(report.counts("pack")) == {"t-2015"}
    assert report.exit_code() == 1
    with pytest.raises(qualityrules.UsageError):
        report.counts("colour")


def test_counts_and_applicability_follow_origin_pack_and_level(tmp_path: Path) -> None:
    from reference import catalogue

    from qualityrules.packs.resolve import resolve_text

    cat = catalogue()
    parent = ("pack p-2015 {\n    region 省\n    level province\n    period 2011..2015\n    target 2015\n"
              "    section 省级 {\n        企业数 >= 5家\n        能耗 <= 0.5吨标准煤/万元\n    }\n}\n")
    (tmp_path / "p-2015.qr").write_text(parent, encoding="utf-8")
    child = ("pack c-2015 extends p-2015 {\n    region 甲区\n    level district\n    period 2011..2015\n"
             "    target 2015\n    section 区级 {\n        达标率 >= 95%\n    }\n}\n")
    pack = resolve_text(child, search=[tmp_path], catalogue=cat)
    data = {"region": ["甲区", "省", "丙区", "丁区"], "year": [2015] * 4, "达标率": [90, 90, 96, 80],
            "企业数": [6, 6, 1, 0], "能耗": [0.4, 0.6, 0.4, 0.9]}
    report = evaluate(pack, data, hierarchy={"丙区": "甲区", "甲区": "省", "丁区": "省"})
    assert verdicts(report) == {
        ("甲区", "企业数"): "not-applicable", ("甲区", "能耗"): "pass", ("甲区", "达标率"): "fail",   # a total stays
        ("丙区", "企业数"): "not-applicable", ("丙区", "能耗"): "pass", ("丙区", "达标率"): "pass",   # with its region;
        ("省", "企业数"): "not-applicable", ("省", "能耗"): "not-applicable",                         # rates flow down
        ("省", "达标率"): "not-applicable",                                    # 省 and 丁区 lie outside 甲区: the
        ("丁区", "企业数"): "not-applicable", ("丁区", "能耗"): "not-applicable",  # district's pack says nothing
        ("丁区", "达标率"): "not-applicable",                                  # of them (p-2015 does)
    }
    assert report.counts("pack") == {"p-2015": {"pass": 2, "fail": 0, "warn": 0, "unknown": 0, "pending": 0,
                                                "not-applicable": 6},
                                     "c-2015": {"pass": 1, "fail": 1, "warn": 0, "unknown": 0, "pending": 0,
                                                "not-applicable": 2}}
    assert set(report.counts("level")) == {"province", "district"}
    assert set(report.counts("section")) == {"省级", "区级"}
    assert report.summary()["not-applicable"] == 8
    [warning] = report.warnings
    assert warning.code == "QR240" and warning.severity.value == "warning"
    assert "2 region(s) in the data are not 甲区 or part of it" in warning.message and "省, 丁区" in warning.message
    assert warning.suggestion is not None and warning.suggestion.startswith("p-2015 (省) covers 省, 丁区; ")
    assert "a total (or rank) of 省: it binds that region only, not 甲区" in report.explain("甲区", 2015, "企业数")
    assert "丁区 is not 甲区 or part of it" in report.explain("丁区", 2015, "达标率")
    text = report.to_text()
    assert "warning[QR240]" in text and "1 target(s) do not bind 甲区" in text


def test_json_follows_the_schema(report: Report) -> None:
    document = json.loads(report.to_json())
    jsonschema.validate(document, SCHEMA)
    assert document["schema"] == "qualityrules/report/1"
    assert document["summary"]["exit_code"] == 1
    assert len(document["results"]) == 2 * (1 + 5 + 1 + 1 + 1)


def test_json_schema_rejects_a_wrong_verdict(report: Report) -> None:
    document = json.loads(report.to_json())
    document["results"][0]["verdict"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_frame(report: Report) -> None:
    frame = report.to_frame()
    assert len(frame) == 2 * (1 + 5 + 1 + 1 + 1)  # (region, rule, year) results, as in the JSON
    assert {"region", "year", "indicator", "verdict", "value", "threshold", "margin", "relative_margin", "unit",
            "level", "origin", "citation", "binding"} <= set(frame.columns)
    assert str(frame["margin"].dtype) == "float64"
    row = frame[(frame.region == "甲区") & (frame.indicator == "产值")].iloc[0]
    assert (row.verdict, row.unit) == ("warn", "万亿元")
    assert row.value == pytest.approx(1.7) and row.margin == pytest.approx(-0.05)
    targets = report.to_frame("targets")
    assert len(targets) == 10 and "years" in targets.columns


def test_csv(report: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert len(rows) == 2 * (1 + 5 + 1 + 1 + 1)
    first = next(r for r in rows if r["region"] == "甲区" and r["indicator"] == "达标率")
    assert (first["verdict"], first["value"], first["threshold"], first["margin"]) == ("pass", "96.0", "95.0", "1.0")


def test_csv_text_cells_cannot_run_as_formulas() -> None:
    """A region, citation or any text cell starting with = + - @ would run as a formula when the CSV
    is opened in a spreadsheet: written with ' before it. Numbers (a margin of -1.0) and text that
    is a plain number stay as they are."""
    pack = make_pack('达标率 >= 95%    cite "@SUM(1+1)"')
    regions = ["甲区", '=HYPERLINK("http://x")', "-2+3", "+1", "-7"]
    text = evaluate(pack, {"region": regions, "year": [2015] * 5, "达标率": [94, 96, 97, 98, 99]}).to_csv()
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert [r["region"] for r in rows] == ["甲区", '\'=HYPERLINK("http://x")', "'-2+3", "+1", "-7"]
    assert {r["citation"] for r in rows} == {"'@SUM(1+1)"}
    first = rows[0]
    assert (first["margin"], first["relative_margin"][:7]) == ("-1.0", "-0.0105")
    assert first["rule"].startswith("达标率") and first["target"] == "≥ 95 %"


def test_markdown(report: Report) -> None:
    text = report.to_markdown()
    assert text.startswith("# t-2015")
    assert "## 甲区" in text and "## 乙区" in text
    assert "| warn | 产值 | ≥ 1.75 万亿元 | 2015 | 1.7 | -0.05 (-2.86%) |" in text


def test_text_table_is_aligned(report: Report) -> None:
    def width(text: str) -> int:  # display columns, counted independently of report.py
        return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)

    text = report.to_text()
    lines = text.splitlines()
    assert lines[0].startswith("t-2015")
    block = lines[lines.index("甲区") + 1: lines.index("乙区") - 1]
    value_column = [width(line[: line.index(line.split()[-1])]) for line in block]
    assert len(set(value_column)) == 1  # the level column starts at the same display column
    assert any("✗ FAIL" in line and "达标率" in line and "<90" in line for line in lines)
    assert "10 target(s) x region(s): 6 pass, 2 fail, 1 warn, 1 unknown" in text


def test_explain_value_rule(report: Report) -> None:
    text = report.explain("乙区", 2015, "达标率")
    assert "乙区 2015 达标率: FAIL" in text
    assert "达标率 >= 95% cite \"一(一)\"" in text
    assert "达标率 2015 = <90 %" in text
    assert "the censored value's bound" not in text and "→ fail" in text


def test_explain_every_year_cumulative_and_change(report: Report) -> None:
    every = report.explain("乙区", 2013, "企业数")
    assert "企业数 2013 = 9 家" in every and "margin -1 家" in every and "every year 2011–2015" in every
    total = report.explain("甲区", 2015, "事故")
    assert "sum of 5 years: 0 + 0 + 0 + 0 + 0 = 0" in total and all(f"事故 {y} = 0 起" in total for y in range(2011, 2016))
    change = report.explain("甲区", 2015, "能耗")
    assert "能耗 2010 (baseline) = 0.5" in change and "decrease = (0.5 − 0.4) / 0.5 × 100 = 20 %" in change
    assert "20 % against decrease vs 2010 ≥ 18.5 %" in change and "→ pass" in change
    unknown = report.explain("乙区", 2015, "能耗")
    assert "能耗 2010 (baseline) = missing" in unknown and "→ unknown" in unknown


def test_explain_aliases_not_applicable_and_every_year(report: Report) -> None:
    assert "甲区 2015 达标率: PASS" in report.explain("甲区", 2015, "達標率")
    assert "no target of t-2015 on 达标率 is checked in 2014 (not-applicable)" in report.explain("甲区", 2014, "达标率")
    assert report.explain("乙区", None, "企业数").count("乙区 20") == 5


@pytest.mark.parametrize(("region", "year", "indicator", "code", "help"), [
    ("丁区", 2015, "达标率", "QR301", "did you mean '甲区' or '乙区'?"),         # not in the data
    ("甲区", 2016, "达标率", "QR301", "years checked: 2011, 2012, 2013, 2014, 2015"),
    ("甲区", 2015, "达标", "QR101", "did you mean '达标率' or '排放达标率'?"),   # misspelt indicator
])
def test_verdict_and_explain_refuse_what_the_report_cannot_answer(report: Report, region: str, year: int,
                                                                    indicator: str, code: str, help: str) -> None:
    import qualityrules

    for ask in (report.verdict, report.explain, report.verdicts):
        with pytest.raises(qualityrules.QualityRulesError) as raised:
            ask(region, year, indicator)
        assert (raised.value.code, raised.value.suggestion) == (code, help)


def test_verdict_lookup(report: Report) -> None:
    assert report.verdict("乙区", 2013, "企业数") == "fail"
    assert report.verdict("乙区", 2012, "企业数") == "pass"
    assert report.verdict("乙区", 2013, "事故") == "not-applicable"   # checked in 2015 only (the period's sum)


def test_scope_makes_other_regions_not_applicable() -> None:
    report = evaluate(make_pack("达标率 >= 95%", scope="甲区"),
                      {"region": ["甲区", "乙区"], "year": [2015, 2015], "达标率": [96, 90]})
    assert verdicts(report) == {("甲区", "达标率"): "pass", ("乙区", "达标率"): "not-applicable"}
    assert report.summary()["not-applicable"] == 1 and report.exit_code() == 0
    assert "乙区 is not 甲区 or part of it (region hierarchy, scope)" in report.explain("乙区", 2015, "达标率")
    row = next(r for r in report.results() if r["region"] == "乙区")
    assert row["value"] is None and row["margin"] is None


def test_year_option_restricts_targets() -> None:
    report = evaluate(make_pack(BODY, scope="乙区"), data(), year=2013)
    assert {row["indicator"] for row in report.targets()} == {"企业数"}
    assert verdicts(report) == {("甲区", "企业数"): "pass", ("乙区", "企业数"): "fail"}
    assert report.summary()["targets"] == 2


def test_repr_and_missing_indicators() -> None:
    report = evaluate(make_pack("达标率 >= 95%\n企业数 >= 1家"), {"region": ["甲区"], "year": [2015], "达标率": [96]})
    assert report.missing_indicators == ["企业数"]
    assert "1 indicator(s) of the pack are not in the data: 企业数" in report.to_text()
    assert "1 pass" in repr(report) and "1 unknown" in repr(report)
