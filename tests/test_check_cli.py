"""`qualityrules check`: the same verdicts from every input format, exit codes 0/1/2, output
formats, -o, --explain, and diagnostics instead of tracebacks."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import qualityrules
from qualityrules.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
CSV = DEMO / "longgang-2011-2015.csv"
SCRIPT = shutil.which("qualityrules", path=str(Path(sys.executable).parent))

PACK = """\
pack demo-2015 {
    region 龙岗区
    level  district
    period 2011..2015
    target 2015
    section 环境质量 {
        工业废水达标排放率 >= 95%     cite "附件 序号8"
        力争 地理标志保护产品 达到1个
    }
}
"""


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def verdict_map(rows: list[dict[str, Any]]) -> dict[tuple[str, int, str, str], str]:
    return {(row["region"], int(row["year"]), row["indicator"], row["origin"] + row["kind"]): row["verdict"]
            for row in rows}


def cli_verdicts(capsys: pytest.CaptureFixture[str], data: Path, *extra: str) -> dict[tuple[str, int, str, str], str]:
    code, out, err = run_main(capsys, "longgang-2015", str(data), "--format", "json", *extra)
    assert code in (0, 1), err
    return verdict_map(json.loads(out)["results"])


def test_every_input_format_gives_the_same_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = cli_verdicts(capsys, CSV)
    assert len(expected) > 100 and {"pass", "fail", "unknown"} <= set(expected.values())
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + CSV.read_bytes())
    gb = DEMO / "longgang-2011-2015.gb18030.csv"
    assert gb.read_bytes() != CSV.read_bytes() and gb.read_bytes().decode("gb18030") == CSV.read_text("utf-8")
    files = {"utf-8 BOM": (bom, ()), "GB18030 detected": (gb, ()), "GB18030 declared": (gb, ("--encoding", "gb18030")),
             "xlsx": (DEMO / "longgang-2011-2015.xlsx", ())}
    import pyarrow as pa
    import pyarrow.csv
    import pyarrow.parquet

    arrow_table = pyarrow.csv.read_csv(CSV)
    pyarrow.parquet.write_table(arrow_table, tmp_path / "demo.parquet")
    files["parquet"] = (tmp_path / "demo.parquet", ())
    for label, (path, extra) in files.items():
        assert cli_verdicts(capsys, path, *extra) == expected, label
    import pandas as pd
    import polars as pl
    with CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        as_dict: dict[str, list[str]] = {name: [] for name in reader.fieldnames or []}
        for record in reader:
            for name, cell in record.items():
                as_dict[name].append(cell)
    tables = {"pandas": pd.read_csv(CSV), "polars": pl.read_csv(CSV), "arrow": arrow_table, "dict": as_dict}
    assert isinstance(arrow_table, pa.Table)
    pack = qualityrules.load_pack("longgang-2015")
    for label, table in tables.items():
        assert verdict_map(qualityrules.evaluate(pack, table).results()) == expected, label


def test_exit_code_1_when_a_binding_target_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "longgang-2015", str(CSV))
    assert code == 1 and "✗ FAIL" in out and "布吉街道" in out


def test_exit_code_0_when_no_binding_target_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "longgang-2015", str(CSV), "--region", "龙岗区")
    assert code == 0, out
    assert "龙岗区" in out and "布吉街道" not in out


def test_fail_on_warn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "demo-2015.qr"
    pack.write_text(PACK, encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("地区,年份,工业废水达标排放率,地理标志保护产品\n龙岗区,2015,96,0\n", encoding="utf-8")
    code, out, _ = run_main(capsys, str(pack), str(data))
    assert code == 0 and "! warn" in out
    assert run_main(capsys, str(pack), str(data), "--fail-on", "warn")[0] == 1
    data.write_text("地区,年份,工业废水达标排放率,地理标志保护产品\n龙岗区,2015,,1\n", encoding="utf-8")
    assert run_main(capsys, str(pack), str(data), "--fail-on", "warn")[0] == 0
    assert run_main(capsys, str(pack), str(data), "--fail-on", "unknown")[0] == 1


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "md"])
def test_formats_and_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    code, out, err = run_main(capsys, "longgang-2015", str(CSV), "--format", fmt, "-o", str(target), "--year", "2015")
    assert code == 1 and out == "" and f"wrote {target}" in err
    text = target.read_text(encoding="utf-8")
    if fmt == "json":
        document = json.loads(text)
        assert document["options"]["years"] == [2015]
        assert {row["year"] for row in document["results"]} == {2015}
    elif fmt == "csv":
        assert text.startswith("region,year,pack,origin")
    elif fmt == "md":
        assert text.startswith("# longgang-2015")
    else:
        assert text.startswith("longgang-2015") and "years: 2015" in text


def test_explain_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "longgang-2015", str(CSV), "--region", "平湖街道",
                            "--explain", "平湖街道", "2015", "工业废水达标排放率")
    assert "平湖街道 2015 工业废水达标排放率:" in out and "rule:" in out and "check:" in out


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["longgang-2015", "missing.csv"], "QR201", "no such file"),
    (["longgang-2051", str(CSV)], "QR103", "unknown pack"),
    (["longgang-2015", str(CSV), "--region", "龙冈区"], "QR301", "龙岗区"),
    (["longgang-2015", str(CSV), "--encoding", "ascii"], "QR202", "ascii"),
    (["longgang-2015", str(CSV), "--year", "2009"], "QR301", "2011, 2012"),
    (["longgang-2015", str(CSV), "--explain", "龙岗区", "twenty", "x"], "QR301", "twenty"),
])
def test_input_errors_exit_2_with_a_diagnostic(capsys: pytest.CaptureFixture[str], args: list[str], code: str,
                                                needle: str) -> None:
    status, out, err = run_main(capsys, *args)
    assert status == 2
    assert f"error[{code}]" in err and needle in err and "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["check", "longgang-2015", str(CSV), "--format", "xml"])
    assert raised.value.code == 2
    assert "error[QR301]" in capsys.readouterr().err


def test_bad_cell_is_shown_with_a_caret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "bad.csv"
    data.write_text("region,year,工业废水达标排放率\n龙岗区,2015,九十五\n", encoding="gb18030")
    status, _, err = run_main(capsys, "longgang-2015", str(data))
    assert status == 2
    assert f"{data}:2:" in err and "error[QR206]" in err and "^" in err


def test_console_script_end_to_end() -> None:
    assert SCRIPT is not None, "the qualityrules console script is not installed next to this Python"
    result = subprocess.run([str(SCRIPT), "check", "longgang-2015", str(CSV), "--region", "龙岗区"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "龙岗区" in result.stdout and "Traceback" not in result.stderr
    bad = subprocess.run([str(SCRIPT), "check", "longgang-2015", "nope.xlsx"], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert bad.returncode == 2 and "error[QR201]" in bad.stderr and "Traceback" not in bad.stderr


def test_several_data_files_are_merged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = CSV.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    early, late = tmp_path / "early.csv", tmp_path / "late.csv"
    early.write_text("\n".join([header, *[r for r in rows if ",2015," not in r]]) + "\n", encoding="utf-8")
    late.write_text("\n".join([header, *[r for r in rows if ",2015," in r]]) + "\n", encoding="gb18030")
    expected = cli_verdicts(capsys, CSV)
    code, out, err = run_main(capsys, "longgang-2015", str(early), str(late), "--format", "json")
    assert code in (0, 1), err
    assert verdict_map(json.loads(out)["results"]) == expected
