"""Definitions over time (issue 9 item 6): a catalogue indicator carries dated definitions; a target
set under one and checked in a year of another gets its verdict plus a caveat, in every report
format and in ``explain``; linting says so once (QR124)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import qualityrules
from qualityrules.language.format import format_model
from qualityrules.language.parse import parse_text

ROOT = Path(__file__).resolve().parents[1]
API = "API(空气污染指数, GB 3095-1996)不超过100的天数占全年天数的百分比"
AQI = "AQI(空气质量指数, HJ 633-2012, GB 3095-2012)不超过100的天数占全年天数的百分比"


def test_the_catalogue_dates_the_air_quality_definitions() -> None:
    indicator = qualityrules.load_catalogue().lookup("空气质量优良天数比例")
    assert indicator is not None
    assert [(d.start, d.end, d.text) for d in indicator.definitions] == [(None, 2012, API), (2013, None, AQI)]
    assert indicator.defined_as(2012).text == API and indicator.defined_as(2013).text == AQI  # type: ignore[union-attr]


def test_dated_definitions_round_trip_and_must_not_overlap() -> None:
    text = ('indicator 优良天数比例 {\n    unit        %\n    direction   higher\n'
            '    definition  ..2012 "API"\n    definition  2013.. "AQI"\n}\n')
    rule_file, diagnostics = parse_text(text)
    assert diagnostics == ()
    assert format_model(rule_file.indicators[0]) == text
    _, overlapping = parse_text(text.replace("2013..", "2012.."))
    assert [d.code for d in overlapping] == ["QR009"]


@pytest.fixture(scope="module")
def report() -> qualityrules.Report:
    data = pd.DataFrame({"region": ["广东省"] * 3, "year": [2015, 2015, 2011],
                         "indicator": ["空气质量优良天数比例", "工业废水达标排放率", "空气质量优良天数比例"],
                         "value": [91.1, 96.0, 96.0]})
    return qualityrules.evaluate("guangdong-2015", data, region="广东省")


def test_the_verdict_stands_and_carries_the_caveat(report: qualityrules.Report) -> None:
    """广东省's 2015 AQI figure 91.1 % against the API-era '> 95 %' target of a 2010 plan."""
    (row,) = [r for r in report.results() if r["indicator"] == "空气质量优良天数比例"]
    assert row["verdict"] == "fail"
    assert row["caveat"] == f'the target was set in 2010 under "{API}"; the 2015 value is measured under "{AQI}"'
    others = [r for r in report.results() if r["indicator"] != "空气质量优良天数比例"]
    assert others and all(r["caveat"] is None for r in others)


def test_every_format_and_explain_show_the_caveat(report: qualityrules.Report) -> None:
    documented = (ROOT / "docs" / "verdicts" / "definitions.inc").read_text(encoding="utf-8")
    line = next(line for line in report.explain("广东省", 2015, "空气质量优良天数比例").splitlines()
                if line.strip().startswith("caveat:"))
    assert f"   {line.strip()}\n" in documented  # the docs quote the line as explain prints it
    assert AQI in line
    assert "caveat: 空气质量优良天数比例: the target was set in 2010" in report.to_text()
    assert "> caveat — 空气质量优良天数比例" in report.to_markdown()
    csv_lines = report.to_csv().splitlines()
    assert "caveat" in csv_lines[0].split(",") and any(AQI in line for line in csv_lines[1:])
    exported = json.loads(report.to_json())
    assert [t["caveat"] for t in exported["targets"] if t["indicator"] == "空气质量优良天数比例"] == [
        report.results()[[r["indicator"] for r in report.results()].index("空气质量优良天数比例")]["caveat"]]
    import jsonschema

    jsonschema.validate(exported, json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8")))
    from qualityrules.report.html import render_html

    assert "口径变化 caveat" in render_html(report)


def test_a_target_set_under_the_definition_it_is_checked_under_has_no_caveat(tmp_path: Path) -> None:
    text = ('pack air-2016 {\n    region 广东省\n    level province\n    period 2016..2020\n    target 2020\n'
            '    published "2016-03-01"\n\n    section 空气 {\n        空气质量优良天数比例 超过90%\n    }\n}\n')
    (tmp_path / "air-2016.qr").write_text(text, encoding="utf-8")
    assert "QR124" not in [d.code for d in qualityrules.lint(tmp_path / "air-2016.qr")]
    data = pd.DataFrame({"region": ["广东省"], "year": [2020], "indicator": ["空气质量优良天数比例"], "value": [91.0]})
    (row,) = qualityrules.evaluate(qualityrules.parse_pack(text), data).results()
    assert (row["verdict"], row["caveat"]) == ("pass", None)
