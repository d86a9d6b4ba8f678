"""The pack author's workbench: catalogues of one's own (public ``catalogue=``, ``override
indicator``), project configuration, ``--catalogue``/``--packs`` on every subcommand, suppressions
and lint selection, ``new`` and ``explain``, unreadable files, missing extras."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualityrules
from qualityrules import strategies as qst
from qualityrules.cli import main
from qualityrules.cli.explain import documentation
from qualityrules.config import find_config, read_config
from qualityrules.errors import QualityRulesError, Severity, UsageError
from qualityrules.packs.resolve import extensive

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = shutil.which("qualityrules", path=str(Path(sys.executable).parent))

OWN_CATALOGUE = (ROOT / "tests" / "fixtures" / "own-catalogue.qr").read_text(encoding="utf-8")
OWN_PACK = (ROOT / "tests" / "fixtures" / "pingshan-2015.qr").read_text(encoding="utf-8")
DATA = (ROOT / "tests" / "fixtures" / "pingshan-2015.csv").read_text(encoding="utf-8")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "catalogue" / "own.qr").write_text(OWN_CATALOGUE, encoding="utf-8")
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "pingshan-2015.qr").write_text(OWN_PACK, encoding="utf-8")
    (tmp_path / "data.csv").write_text(DATA, encoding="utf-8")
    return tmp_path


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, cwd=cwd, env={**base, "LANG": "C.UTF-8",
                                                                                      **env}, timeout=300)


# ------------------------------------------------------------------------------------------ catalogues


def test_public_api_takes_a_catalogue_everywhere(project: Path) -> None:
    own = project / "catalogue" / "own.qr"
    pack_path = project / "packs" / "pingshan-2015.qr"
    with pytest.raises(qualityrules.UnknownIndicatorError):
        qualityrules.load_pack(pack_path)
    pack = qualityrules.load_pack(pack_path, catalogue=own)
    assert {r.indicator.name for r in pack.own_rules} == {"辖区黑臭水体消除比例", "新增市场主体", "工业废水达标排放率"}
    catalogue = qualityrules.load_catalogue(own)
    assert "黑臭水体消除比例" in catalogue and "工业废水达标排放率" in catalogue     # extends the shipped one
    assert qualityrules.parse_pack(OWN_PACK, catalogue=catalogue).id == "pingshan-2015"
    report = qualityrules.evaluate(pack_path, project / "data.csv", catalogue=[own])
    verdicts = {t["indicator"]: t["verdict"] for t in report.targets()}
    assert verdicts["辖区黑臭水体消除比例"] == "pass" and verdicts["新增市场主体"] == "fail"
    found = qualityrules.binding(pack_path, "黑臭水体消除比例", 2015, catalogue=own)
    assert found is not None and found.threshold.citation == "坪府〔2011〕1号 二(三)"
    comparison = qualityrules.compare("guangdong-2015", pack_path, catalogue=own)
    assert "辖区黑臭水体消除比例" in {d.indicator for d in comparison.differences}
    assert qualityrules.lint(pack_path, catalogue=own) == []
    assert [d.code for d in qualityrules.lint(pack_path)][:1] == ["QR101"]


@settings(max_examples=3, deadline=None)
@given(st.data())
def test_generated_packs_use_an_own_catalogue(data: st.DataObject) -> None:
    catalogue = qualityrules.load_catalogue(ROOT / "tests" / "fixtures" / "own-catalogue.qr")
    pack = data.draw(qst.packs(catalogue=catalogue, parents=["guangdong-2015"], min_rules=1))
    assert pack.extends == ("guangdong-2015",)
    resolved = qualityrules.parse_pack(qualityrules.format_model(pack), catalogue=catalogue)
    assert resolved.id == pack.id


def test_a_catalogue_may_not_redefine_a_shipped_indicator_unless_it_says_override(tmp_path: Path) -> None:
    clash = tmp_path / "clash.qr"
    clash.write_text("indicator 新增企业 {\n    unit %\n    alias 废水达标排放率\n}\n", encoding="utf-8")
    with pytest.raises(qualityrules.PackError) as caught:
        qualityrules.load_catalogue(clash)
    d = caught.value.diagnostic
    assert (d.code, d.file, d.line, d.column) == ("QR163", str(clash), 1, 1)
    assert "override indicator 新增企业" in str(d.suggestion)

    replacing = tmp_path / "replacing.qr"
    replacing.write_text('override indicator 工业废水达标排放率 {\n    unit %\n    direction higher\n'
                         '    description "本区口径"\n}\n', encoding="utf-8")
    catalogue = qualityrules.load_catalogue(replacing)
    replaced = catalogue.lookup("工业废水达标排放率")
    assert replaced is not None and replaced.description == "本区口径" and replaced.override
    assert catalogue.lookup("废水达标排放率") is None         # the old indicator's aliases went with it
    assert len(catalogue.indicators) == len(qualityrules.load_catalogue().indicators)

    nothing = tmp_path / "nothing.qr"
    nothing.write_text("override indicator 辖区新指标 {\n    unit %\n}\n", encoding="utf-8")
    assert [(d.code, d.severity) for d in qualityrules.lint(nothing)] == [("QR164", Severity.WARNING)]
    assert [d.code for d in qualityrules.lint(clash)] == ["QR163"]


def test_override_indicator_round_trips_through_fmt() -> None:
    from qualityrules.language.format import format_file
    from qualityrules.language.parse import parse_text

    text = "override indicator 工业废水达标排放率 {\n    unit        %\n    direction   higher\n}\n"
    parsed, found = parse_text(text)
    assert not found and parsed.indicators[0].override
    assert format_file(parsed) == text


# ------------------------------------------------------------------------------------------ config


def test_config_alone_drives_lint_check_export_and_diff(project: Path) -> None:
    (project / "qualityrules.toml").write_text(
        'packs = ["packs"]\ncatalogues = ["catalogue/own.qr"]\nregion = "坪山区"\n', encoding="utf-8")
    work = project / "deep" / "er"
    work.mkdir(parents=True)   # found upward from the working directory
    lint = run("lint", "../../packs/pingshan-2015.qr", cwd=work)
    assert lint.returncode == 0 and "0 error(s)" in lint.stdout, lint.stdout + lint.stderr
    check = run("check", "pingshan-2015", "../../data.csv", "--format", "json", cwd=work)
    assert check.returncode == 1, check.stderr   # 新增市场主体 4800 < 5000
    report = json.loads(check.stdout)
    assert report["options"]["regions"] == ["坪山区"]
    export = run("export", "pingshan-2015", cwd=work)
    assert export.returncode == 0 and "辖区黑臭水体消除比例" in export.stdout
    diff = run("diff", "guangdong-2015", "pingshan-2015", cwd=work)
    assert diff.returncode == 0 and "pingshan-2015" in diff.stdout
    listed = run("packs", cwd=work)
    assert listed.stdout.splitlines()[1].startswith("pingshan-2015")
    # without the configuration the same commands fail on the unknown indicators
    (project / "qualityrules.toml").unlink()
    assert run("export", "pingshan-2015", cwd=work).returncode == 2


def test_the_same_through_options(project: Path) -> None:
    options = ["--catalogue", "catalogue/own.qr", "--packs", "packs"]
    assert run("lint", "packs/pingshan-2015.qr", *options, cwd=project).returncode == 0
    check = run("check", "pingshan-2015", "data.csv", *options, cwd=project)
    assert check.returncode == 1 and "新增市场主体" in check.stdout
    assert run("indicators", "pingshan-2015", "--schema", *options, cwd=project).returncode == 0


def test_pyproject_table_and_unknown_settings(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.qualityrules]\ncatalogue = ["own.qr"]\n'
                                            'language = "zh"\n', encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        find_config(project)
    d = caught.value.diagnostic
    assert (d.code, d.line, d.column) == ("QR310", 5, 1) and "catalogues" in str(d.suggestion)
    result = run("packs", cwd=project)
    assert result.returncode == 2 and "QR310" in result.stderr and "Traceback" not in result.stderr
    (project / "pyproject.toml").write_text('[tool.qualityrules]\nlevel = "county"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="one of nation"):
        read_config(project / "pyproject.toml")
    (project / "pyproject.toml").write_text('[tool.qualityrules\n', encoding="utf-8")
    assert run("packs", cwd=project).returncode == 2                # broken, and meant for us
    (project / "pyproject.toml").write_text('[tool.black\n', encoding="utf-8")
    assert run("packs", cwd=project).returncode == 0                # broken, but someone else's
    (project / "pyproject.toml").write_text('[tool.other]\nx = 1\n', encoding="utf-8")
    assert find_config(project).path is None   # a pyproject without our table is not our configuration


# ------------------------------------------------------------------------------------------ suppressions


PACK_WITH_WARNINGS = """\
pack demo-2015 {
    region 甲区
    level  district
    period 2011..2015
    target 2015

    section 示例 {
        工业废水达标排放率 >= 95{tail1}
        饮用水源水质达标率 >= 98{tail2}
    }
}
"""


def lint_codes(path: Path, tail1: str, tail2: str = "") -> list[tuple[str, int]]:
    path.write_text(PACK_WITH_WARNINGS.replace("{tail1}", tail1).replace("{tail2}", tail2), encoding="utf-8")
    return [(d.code, d.line or 0) for d in qualityrules.lint(path)]


def test_suppressions_need_a_reason_and_report_what_they_did_not_use(tmp_path: Path) -> None:
    path = tmp_path / "demo-2015.qr"
    assert lint_codes(path, "") == [("QR111", 8), ("QR111", 9)]
    assert lint_codes(path, "  # noqa: QR111 原文如此, 单位为%") == [("QR111", 9)]
    assert lint_codes(path, "  # noqa：QR111，QR110 原文如此") == [("QR161", 8), ("QR111", 9)]  # full-width too
    assert lint_codes(path, "  # noqa: QR111") == [("QR111", 8), ("QR160", 8), ("QR111", 9)]
    assert lint_codes(path, "  # noqa") == [("QR111", 8), ("QR162", 8), ("QR111", 9)]
    assert lint_codes(path, "  # noqa: QR999 随便") == [("QR111", 8), ("QR162", 8), ("QR111", 9)]
    assert lint_codes(path, '  # 注释里的 "# noqa: QR111 理由" 不算') == [("QR111", 8), ("QR111", 9)]
    # a comment-looking text inside a quoted string is not a suppression
    path.write_text(PACK_WITH_WARNINGS.replace("{tail1}", ' cite "# noqa: QR111 理由"').replace("{tail2}", ""),
                    encoding="utf-8")
    assert [d.code for d in qualityrules.lint(path)] == ["QR111", "QR111"]


def test_errors_cannot_be_silenced(tmp_path: Path) -> None:
    path = tmp_path / "demo-2015.qr"
    path.write_text(PACK_WITH_WARNINGS.replace("{tail1}", "%").replace("{tail2}", "%").replace("工业废水达标排放率", "工业废水达标拍放率")
                    .replace(">= 95%", ">= 95%  # noqa: QR101 先这样"), encoding="utf-8")
    found = [(d.code, d.severity) for d in qualityrules.lint(path)]
    assert ("QR101", Severity.ERROR) in found and ("QR162", Severity.WARNING) in found


def test_select_and_ignore_filter_warnings_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "demo-2015.qr"
    lint_codes(path, "")
    assert main(["lint", "--format", "json", "--ignore", "QR111", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["lint", "--format", "json", "--select", "QR2", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["lint", "--format", "json", "--select", "QR1", str(path)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    path.write_text(path.read_text(encoding="utf-8").replace("工业废水达标排放率", "工业废水达标拍放率"), encoding="utf-8")
    assert main(["lint", "--format", "json", "--ignore", "QR1", str(path)]) == 1   # an error stays
    assert [d["code"] for d in json.loads(capsys.readouterr().out)] == ["QR101"]
    (tmp_path / "qualityrules.toml").write_text('[lint]\nignore = ["QR111"]\n', encoding="utf-8")
    assert run("lint", str(path), cwd=tmp_path).stdout.count("warning[") == 0


def test_the_shipped_packs_lint_without_warnings() -> None:
    files = sorted((ROOT / "rules").rglob("*.qr"))
    assert [d.render() for f in files for d in qualityrules.lint(f)] == []


# ------------------------------------------------------------------------------------------ new, explain


def test_new_writes_a_pack_that_lints_and_is_formatted(tmp_path: Path) -> None:
    result = run("new", "pingshan-2015", "--extends", "guangdong-2015", "--region", "坪山区", "--level", "district",
                 "--name", "坪山区质量强区实施意见", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "pingshan-2015.qr"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("pack pingshan-2015 extends guangdong-2015 {\n")
    assert "    region    坪山区\n" in text and "    period    2011..2015\n" in text
    parent = qualityrules.load_pack("guangdong-2015")
    listed = [line for line in text.splitlines() if line.startswith("    #   ")]
    # every parent target that binds the new region is listed, a province-wide total is not
    expected = [r for r in parent.rules if not extensive(r.indicator) and any(2011 <= y <= 2015 for y in r.years)]
    assert len(listed) == len(expected) > 0
    assert any("工业废水达标排放率 达到95%以上" in line for line in listed)
    assert all("3万家" not in line for line in listed)
    assert qualityrules.lint(path) == []
    assert run("fmt", "--check", str(path), cwd=tmp_path).returncode == 0
    # uncommenting a listed target gives a rule that restates the parent's
    first = listed[0].replace("    #   ", "        ").split("    # ")[0]
    restated = text.replace("    }\n}", first + "\n    }\n}", 1)
    path.write_text(restated, encoding="utf-8")
    assert [d for d in qualityrules.lint(path) if d.severity is Severity.ERROR] == []
    again = run("new", "pingshan-2015", "--extends", "guangdong-2015", "--region", "坪山区", "--level", "district",
                cwd=tmp_path)
    assert again.returncode == 2 and "QR312" in again.stderr
    assert run("new", "Bad_Id", "--extends", "guangdong-2015", "--region", "x", "--level", "city",
               cwd=tmp_path).returncode == 2
    assert run("new", "x-2025", "--extends", "guangdong-2015", cwd=tmp_path).returncode == 2  # no region or level


def test_explain_prints_the_documentation_section() -> None:
    text = documentation("qr106")
    assert text.startswith("QR106 — override looser than the parent target without a justification")
    assert "Fix: Tighten the target" in text and "``" not in text and "**" not in text
    assert "override 工业废水达标排放率 达到90%以上" in text
    with pytest.raises(UsageError) as caught:
        documentation("QR999")
    assert caught.value.code == "QR313"


# ------------------------------------------------------------------------------------------ unreadable, extras


@pytest.mark.parametrize("args", [
    ["lint", "missing.qr"], ["fmt", "missing.qr"], ["export", "missing.qr"], ["check", "missing.qr", "data.csv"],
    ["check", "longgang-2015", "missing.csv"], ["diff", "missing.qr", "longgang-2015"],
    ["indicators", "missing.qr", "--schema"], ["new", "x-2025", "--extends", "missing.qr", "--region", "x",
                                                "--level", "city"],
    ["lint", "."], ["lint", "--catalogue", "missing.qr", "rules/packs/longgang-2015.qr"],
])
def test_every_subcommand_exits_2_for_an_unreadable_file(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "rules").symlink_to(ROOT / "rules")
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and ("QR201" in result.stdout + result.stderr)


def test_a_missing_extra_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\nclass _Hide:\n    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pandas', 'pygls'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Hide())\n", encoding="utf-8")
    script = ("import qualityrules\n"
              "report = qualityrules.evaluate('longgang-2015', {'region': ['龙岗区'], 'year': [2015],"
              " '工业废水达标排放率': [96.0]})\n"
              "try:\n    report.to_frame()\nexcept qualityrules.UsageError as e:\n"
              "    print(e.code, e.diagnostic.message, e.suggestion)\n")
    env = {**os.environ, "PYTHONPATH": str(hide)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.strip() == ("QR311 Report.to_frame() needs the optional dependencies of the 'pandas' extra "
                                     "pip install 'qualityrules[pandas]'"), result.stderr
    lsp = subprocess.run([sys.executable, "-m", "qualityrules", "lsp"], capture_output=True, text=True, env=env,
                         timeout=120, stdin=subprocess.DEVNULL)
    assert lsp.returncode == 2 and "QR311" in lsp.stderr and "qualityrules[lsp]" in lsp.stderr
    assert "Traceback" not in lsp.stderr


def test_errors_keep_their_class_for_usage_codes() -> None:
    with pytest.raises(QualityRulesError):
        documentation("nope")


def test_lint_never_raises_and_does_not_call_suppressions_unused_when_checking_stopped(tmp_path: Path) -> None:
    broken_catalogue = tmp_path / "own.qr"
    broken_catalogue.write_text("indicator 工业废水达标排放率 {\n    unit %\n}\n", encoding="utf-8")
    longgang = ROOT / "rules" / "packs" / "longgang-2015.qr"
    assert [(d.code, d.file) for d in qualityrules.lint(longgang, catalogue=broken_catalogue)] == [
        ("QR163", str(broken_catalogue))]   # the catalogue's error; longgang's reviewed noqa is not "unused"
    assert [d.code for d in qualityrules.lint(longgang, catalogue=tmp_path / "missing.qr")] == ["QR201"]
    path = tmp_path / "demo-2015.qr"
    lint_codes(path, "  # noqa: QR111 原文如此", "%\n        工业废水达标排放率 >= >= 1%")
    assert [d.code for d in qualityrules.lint(path)] == ["QR002"]   # a syntax error stops the check
