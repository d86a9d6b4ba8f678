"""Machine formats for CI (SARIF 2.1.0 valid against the vendored schema, GitHub annotations, JUnit)
and text for people (fits COLUMNS, CJK counted double; colour on request, never with NO_COLOR; --quiet)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

import qualityrules
from qualityrules.cli import main
from qualityrules.cli.lint import github_annotation
from qualityrules.errors import Diagnostic, Severity, span_of
from qualityrules.language.model import Source
from qualityrules.terminal import display_width, fit, table

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which("qualityrules", path=str(Path(sys.executable).parent))
SARIF_SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
DEMO = ROOT / "docs" / "examples" / "longgang-demo.csv"
BAD = """\
pack t-2015 extends guangdong-2015 {
    region 龙岗区
    level  district
    period 2011..2015
    target 2015

    section 环境 {
        工业废水达标拍放率 >= 96%
        万元GDP能耗 <= 0.5
        饮用水源水质达标率 >= >= 98%
    }
}
"""


def run(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "LANGUAGE", "LC_ALL")}
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, cwd=cwd, env={**base, **env}, timeout=300)


@pytest.fixture()
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "t-2015.qr"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_sarif_is_valid_and_carries_every_diagnostic(bad: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(bad.parent)
    assert main(["lint", "--format", "sarif", bad.name]) == 1
    log = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    run_ = log["runs"][0]
    results = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
               for r in run_["results"]]
    assert results == [("QR002", "error", 10)]   # a syntax error: the rest is not resolved by lint
    assert run_["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "t-2015.qr"
    assert [rule["id"] for rule in run_["tool"]["driver"]["rules"]] == ["QR002"]


def test_sarif_of_several_files_and_severities(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad.write_text(BAD.replace("        饮用水源水质达标率 >= >= 98%\n", ""), encoding="utf-8")
    clean = bad.parent / "c-2015.qr"
    clean.write_text(BAD.replace("t-2015", "c-2015").replace("拍放", "排放").replace(">= 96%", ">= 97%")
                     .replace("        饮用水源水质达标率 >= >= 98%\n", "").replace("工业废水达标排放率", "override 工业废水达标排放率"),
                     encoding="utf-8")
    assert main(["lint", "--format", "sarif", str(bad), str(clean)]) == 1
    log = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    found = sorted((Path(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).name, r["ruleId"],
                    r["level"]) for r in log["runs"][0]["results"])
    assert found == [("c-2015.qr", "QR111", "warning"), ("t-2015.qr", "QR101", "error"),
                     ("t-2015.qr", "QR111", "warning")]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["QR101", "QR111"]
    assert all(log["runs"][0]["results"][i]["ruleIndex"] == [r["id"] for r in rules].index(
        log["runs"][0]["results"][i]["ruleId"]) for i in range(3))


def test_github_annotations_escape_what_would_break_them() -> None:
    source = Source("dir,with:odd%name.qr", "a\n工业废水 >= 9\n")
    d = Diagnostic("QR111", "line one\nline two 100%", span_of(source, 2, 6), Severity.WARNING, suggestion="x")
    assert github_annotation(d) == (
        "::warning file=dir%2Cwith%3Aodd%25name.qr,line=2,col=1,endLine=2,endColumn=5,title=QR111::"
        "line one%0Aline two 100%25 (x)")


def test_github_format_from_the_command_line(bad: Path) -> None:
    result = run("lint", "--format", "github", bad.name, cwd=bad.parent)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "::error file=t-2015.qr,line=10,col=22,endLine=10,endColumn=24,title=QR002::unexpected '>=' "
        "(a Chinese numeral, a number)"] or result.stdout.startswith("::error file=t-2015.qr,line=10,")


def test_junit_counts_match_the_report(tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    result = run("check", "longgang-2015", str(DEMO), "--format", "junit", "-o", str(out))
    assert result.returncode == 1, result.stderr
    suites = ElementTree.parse(out).getroot()
    report = qualityrules.evaluate("longgang-2015", DEMO)
    targets = [t for t in report.targets() if t["verdict"] != "not-applicable"]
    assert sum(int(s.get("tests", "0")) for s in suites) == len(targets)
    assert sum(int(s.get("failures", "0")) for s in suites) == sum(t["verdict"] == "fail" for t in targets) > 0
    assert sum(int(s.get("skipped", "0")) for s in suites) == sum(t["verdict"] == "unknown" for t in targets) > 0
    cases = suites.findall("testsuite/testcase")
    assert len(cases) == len(targets)
    assert {s.get("name") for s in suites} == {f"longgang-2015 {r}" for r in {t['region'] for t in targets}}
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert all(c.find("failure") is None for c in skipped)   # unknown is never a failure nor a pass


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["check", "longgang-2015", str(DEMO)],
    ["check", "longgang-2015", str(DEMO), "--explain", "龙岗区", "2015", "万元GDP能耗"],
    ["diff", "guangdong-2015", "longgang-2015"],
    ["diff", "nation-2020", "shenzhen-2020"],
    ["lint", "BAD"],
    ["packs"],
    ["explain", "QR106"],
    ["lint", "--help"],
])
def test_no_line_is_wider_than_80_columns(args: list[str], bad: Path) -> None:
    args = [str(bad) if a == "BAD" else a for a in args]
    result = run(*args, COLUMNS="80", LANG="C.UTF-8")
    assert result.returncode in (0, 1), result.stderr
    text = result.stdout + result.stderr
    wide = [line for line in text.splitlines() if display_width(line) > 80]
    assert not wide, wide[:3]
    assert len(text.splitlines()) > 3
    unlimited = run(*args, LANG="C.UTF-8")   # not a terminal, no COLUMNS: nothing is cut or wrapped
    if args[0] in ("check", "diff"):
        assert max(display_width(line) for line in unlimited.stdout.splitlines()) > 80


def test_fit_keeps_every_character_and_table_aligns_cjk() -> None:
    line = "  ✓ pass  获得质量管理体系认证的规模以上工业企业  ≥ 700 家  2015  717  +17 (+2.43%)  district " * 2
    fitted = fit(line, 40)
    assert all(display_width(x) <= 40 for x in fitted.splitlines())
    assert "".join(fitted.split()) == "".join(line.split())
    rows = [("", "指标", "目标"), ("✓", "工业废水达标排放率", "≥ 95 %"), ("✗", "万元GDP能耗", "≤ 0.47 吨标准煤/万元")]
    lines = table(rows, 30)
    assert all(display_width(x) <= 30 for x in lines)
    assert Counter("".join(lines).replace(" ", "")) == Counter("".join("".join(r) for r in rows).replace(" ", ""))
    assert table(rows) == ["     指标                目标", "  ✓  工业废水达标排放率  ≥ 95 %",
                           "  ✗  万元GDP能耗         ≤ 0.47 吨标准煤/万元"]


def test_colour_on_request_and_never_with_no_color(bad: Path) -> None:
    coloured = run("lint", str(bad), "--color", "always")
    assert "\x1b[1;31merror[QR002]\x1b[0m" in coloured.stdout
    assert "\x1b[" not in run("lint", str(bad)).stdout                 # not a terminal
    assert "\x1b[" not in run("lint", str(bad), NO_COLOR="1").stdout
    assert "\x1b[" not in run("lint", str(bad), "--color", "never").stdout
    table = run("check", "longgang-2015", str(DEMO), "--color", "always", COLUMNS="80")
    assert "  \x1b[31m✗ FAIL\x1b[0m  " in table.stdout and "\x1b[32m✓ pass\x1b[0m" in table.stdout
    plain = table.stdout.replace("\x1b[31m", "").replace("\x1b[32m", "").replace("\x1b[33m", "").replace("\x1b[0m", "")
    assert max(display_width(line) for line in plain.splitlines()) <= 80


def test_quiet(bad: Path) -> None:
    bad.write_text(BAD.replace("        饮用水源水质达标率 >= >= 98%\n", ""), encoding="utf-8")
    loud = run("lint", str(bad))
    quiet = run("lint", "-q", str(bad))
    assert "warning[QR111]" in loud.stdout and "warning[QR111]" not in quiet.stdout
    assert "error[QR101]" in quiet.stdout and quiet.returncode == loud.returncode == 1
    check = run("check", "-q", "longgang-2015", str(DEMO))
    assert check.returncode == 1 and check.stdout.count("\n") == 1
    summary = qualityrules.evaluate("longgang-2015", DEMO).summary()
    assert check.stdout.startswith("longgang-2015: ") and f"{summary['fail']} fail" in check.stdout


def test_a_long_source_line_shows_the_part_around_the_caret() -> None:
    line = "        " + "工业废水达标排放率 达到95%以上 " * 6 + "万元GDP能耗 <= 0.5  cite \"附件\""
    source = Source("p.qr", "pack x {\n" + line + "\n}\n")
    start = source.text.index("0.5")
    d = Diagnostic("QR111", "0.5 has no unit", span_of(source, start, start + 3), Severity.WARNING)
    rendered = d.render("en", width=60).splitlines()
    assert all(display_width(x) <= 60 for x in rendered), rendered
    code, caret = rendered[1], rendered[2]
    assert "0.5" in code and code.split("| ", 1)[1].startswith("…")
    column = display_width(caret.split("| ", 1)[1].split("^")[0])
    shown = code.split("| ", 1)[1]
    assert display_width(shown[: shown.index("0.5")]) == column     # the caret is under the marked text
    assert caret.count("^") == 3
    assert d.render("en").splitlines()[1].endswith('cite "附件"')   # no width: the whole line
