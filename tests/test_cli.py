"""The console script: lint, fmt, export; exit codes; never a traceback for user error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

import qualityrules
from qualityrules.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which("qualityrules", path=str(Path(sys.executable).parent))
GOOD = """\
# 龙岗区 (test pack)
pack t-2015 {
    name   "测试"
    region 龙岗区
    level  district
    period 2011..2015
    target 2015

    section 环境质量 {
        工业废水达标排放率   >=  95%   cite "附件 序号8"   # trailing comment
        # a comment line
        饮用水源水质达标率 达到98%以上
    }
}
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None, "the qualityrules console script is not installed"
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_lint_reports_every_error_with_carets_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.qr"
    bad.write_text(GOOD.replace("达到98%以上", "达到98座位").replace(">=  95%", ">= 95%以下 低于"), encoding="utf-8")
    result = run("lint", str(bad))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.count("error[") == 2
    assert f"{bad}:10:" in result.stdout and f"{bad}:12:" in result.stdout
    assert "^" in result.stdout and "2 error(s)" in result.stdout


def test_lint_clean_file_exits_0(tmp_path: Path) -> None:
    good = tmp_path / "t-2015.qr"
    good.write_text(GOOD, encoding="utf-8")
    result = run("lint", str(good))
    assert result.returncode == 0, result.stdout
    assert "0 error(s)" in result.stdout


def test_lint_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "t-2015.qr"
    bad.write_text(GOOD.replace("工业废水达标排放率 ", "工业废水达标拍放率 "), encoding="utf-8")
    assert main(["lint", "--format", "json", str(bad)]) == 1
    found = json.loads(capsys.readouterr().out)
    assert [(d["code"], d["line"], d["column"]) for d in found] == [("QR101", 10, 9)]
    assert "工业废水达标排放率" in found[0]["suggestion"]


def test_fmt_prints_rewrites_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "t.qr"
    path.write_text(GOOD, encoding="utf-8")
    printed = run("fmt", str(path))
    assert printed.returncode == 0 and "# a comment line" in printed.stdout and "# trailing comment" in printed.stdout
    assert run("fmt", "--check", str(path)).returncode == 1
    assert run("fmt", "-i", str(path)).returncode == 0
    assert path.read_text(encoding="utf-8") == printed.stdout
    assert run("fmt", "--check", str(path)).returncode == 0
    assert run("fmt", str(path)).stdout == printed.stdout


def test_fmt_refuses_broken_files_without_touching_them(tmp_path: Path) -> None:
    path = tmp_path / "t.qr"
    broken = GOOD.replace(">=  95%", ">=")
    path.write_text(broken, encoding="utf-8")
    result = run("fmt", "-i", str(path))
    assert result.returncode == 2 and "error[QR002]" in result.stderr and "Traceback" not in result.stderr
    assert path.read_text(encoding="utf-8") == broken


def test_export_validates_against_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "t-2015.qr"
    path.write_text(GOOD, encoding="utf-8")
    result = run("export", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    schema = json.loads((ROOT / "schemas" / "pack-export.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(exported, schema)
    first = exported["rules"][0]
    assert (first["indicator"], first["operator"], first["values"][0]["value"], first["values"][0]["base_value"],
            first["time"], first["citation"]) == (
        "工业废水达标排放率", ">=", 95.0, 0.95, {"kind": "target-year", "years": [2015]},
        {"document": None, "location": "附件 序号8"})


@pytest.mark.parametrize("pack_id", qualityrules.shipped_packs())
def test_every_shipped_pack_exports_valid_json(pack_id: str) -> None:
    schema = json.loads((ROOT / "schemas" / "pack-export.schema.json").read_text(encoding="utf-8"))
    exported = qualityrules.load_pack(pack_id).to_dict()
    jsonschema.validate(exported, schema)
    assert exported["pack"]["id"] == pack_id


@pytest.mark.parametrize("args", [
    ["export", "no-such-pack"],
    ["lint"],
    ["frobnicate"],
    ["fmt", "/no/such/file.qr"],
])
def test_user_errors_exit_2_without_traceback(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "QR" in result.stderr


def test_unknown_pack_suggests_a_shipped_one() -> None:
    packs = qualityrules.shipped_packs()
    if not packs:
        pytest.fail("no shipped packs")
    result = run("export", packs[0][:-1] + "x")
    assert result.returncode == 2 and "QR103" in result.stderr and packs[0] in result.stderr


def test_packs_that_is_no_directory_is_refused(tmp_path: Path) -> None:
    """A mistyped --packs would leave the pack looked up elsewhere (a shipped one of that id)."""
    result = run("export", "longgang-2015", "--packs", str(tmp_path / "no-such-folder"))
    assert result.returncode == 2 and "QR301" in result.stderr and "no such directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert run("export", "longgang-2015", "--packs", str(tmp_path)).returncode == 0


def test_python_dash_m() -> None:
    result = subprocess.run([sys.executable, "-m", "qualityrules", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "qualityrules" in result.stdout


def test_shipped_rule_files_are_formatted_and_lint_clean() -> None:
    files = sorted(str(p) for p in (ROOT / "rules").rglob("*.qr"))
    assert run("fmt", "--check", *files).returncode == 0
    linted = run("lint", *files)
    assert linted.returncode == 0 and " 0 error(s)" in linted.stdout
    # the only warnings allowed in shipped packs are documented contradictions and targets whose
    # statistic changed its definition between the plan and the years it is checked in (QR124:
    # 空气质量优良天数比例, API until 2012, AQI from 2013)
    codes = {line.split("[")[1].split("]")[0] for line in linted.stdout.splitlines() if "warning[" in line}
    assert codes <= {"QR108", "QR124"}


def test_lint_imports_no_module_it_does_not_need() -> None:
    """A lint is a start-up cost (< 250 ms): numerics, tables and thread pools stay unimported
    (a module-level import of concurrent.futures once cost it the logging package's import)."""
    import subprocess
    import sys

    from qualityrules.resources import rules_dir

    pack = str(rules_dir() / "packs" / "longgang-2015.qr")
    code = (f"import sys, runpy\nsys.argv = ['qualityrules', 'lint', {pack!r}]\n"
            "try:\n    runpy.run_module('qualityrules', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'pint', 'pandas', 'pyarrow', 'concurrent.futures', 'hypothesis')"
            " if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "0 error(s)" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_pipe_closed_early_is_not_success(tmp_path: Path) -> None:
    """``qualityrules lint … | head``: the reader closes the pipe before the errors are all
    written. The exit code says so (141, as a shell reports a tool a closed pipe ended), never 0
    ("no lint error"), and nothing more is printed (no traceback, no ignored-exception noise)."""
    assert SCRIPT is not None
    broken = tmp_path / "broken.qr"
    broken.write_text("".join(f"line {k} is no rule\n" for k in range(800)), encoding="utf-8")   # (more than a pipe holds)
    process = subprocess.Popen([SCRIPT, "lint", str(broken)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(100)
    process.stdout.close()
    assert process.wait(timeout=120) == 141
    assert process.stderr.read() == b""
