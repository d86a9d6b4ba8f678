"""The delivered artefact: a wheel installed into a fresh virtual environment carries the
grammar and every file of rules/, and its console script works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the built wheel installed (dependencies are reached through a
    .pth to this interpreter's site-packages, which does not bring the editable source in)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(work / "dist"), str(ROOT)],
                   check=True, capture_output=True, text=True)
    wheel = next((work / "dist").glob("qualityrules-*.whl"))
    env_dir = work / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, text=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "qualityrules_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    (work / "wheel-name").write_text(wheel.name, encoding="utf-8")
    return env_dir


def test_wheel_contains_grammar_and_every_rules_file(installed: Path) -> None:
    wheel = next((installed.parent / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"qualityrules/grammar/{p.relative_to(ROOT / 'grammar')}" for p in (ROOT / "grammar").rglob("*") if p.is_file()}
    expected |= {f"qualityrules/rules/{p.relative_to(ROOT / 'rules')}" for p in (ROOT / "rules").rglob("*") if p.is_file()}
    assert expected <= names, expected - names
    assert "qualityrules/py.typed" in names


def test_installed_package_loads_grammar_and_every_pack(installed: Path) -> None:
    script = """
import qualityrules, pathlib
from qualityrules import resources
from qualityrules.language import parse
root = pathlib.Path(qualityrules.__file__).parent
assert resources.data_dir('grammar') == root / 'grammar', resources.data_dir('grammar')
assert 'site-packages' in str(root), root
parse._parser()
catalogue = qualityrules.load_catalogue()
packs = qualityrules.shipped_packs()
assert packs, 'no packs shipped'
for pack_id in packs:
    pack = qualityrules.load_pack(pack_id)
    assert pack.to_dict()['pack']['id'] == pack_id
print(len(catalogue.indicators), len(packs))
"""
    result = subprocess.run([str(installed / "bin" / "python"), "-c", script], capture_output=True, text=True,
                            cwd=installed)
    assert result.returncode == 0, result.stderr
    indicators, packs = map(int, result.stdout.split())
    assert packs == len(list((ROOT / "rules" / "packs").glob("*.qr"))) and indicators > 0


def test_installed_console_script_lints_every_rules_file(installed: Path) -> None:
    files = sorted(str(p) for p in (installed / "lib").rglob("site-packages/qualityrules/rules/**/*.qr"))
    assert files
    result = subprocess.run([str(installed / "bin" / "qualityrules"), "lint", *files], capture_output=True,
                            text=True, cwd=installed)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stdout[-3000:]
    assert " 0 error(s)" in result.stdout


def test_installed_console_script_fmt_and_export(installed: Path) -> None:
    files = sorted(str(p) for p in (installed / "lib").rglob("site-packages/qualityrules/rules/**/*.qr"))
    fmt = subprocess.run([str(installed / "bin" / "qualityrules"), "fmt", "--check", *files], capture_output=True,
                         text=True, cwd=installed)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    export = subprocess.run([str(installed / "bin" / "qualityrules"), "export", "longgang-2015", "--format", "json"],
                            capture_output=True, text=True, cwd=installed)
    assert export.returncode == 0, export.stderr
    assert '"id": "longgang-2015"' in export.stdout


def test_installed_package_starts_from_the_artefacts_built_with_it(installed: Path, tmp_path: Path) -> None:
    """The build computed the parser tables and the unit table into the wheel: a first run (empty
    user cache) reads them, computes neither, and they equal what the installed code computes."""
    wheel = next((installed.parent / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"qualityrules/grammar/parser.artefact", "qualityrules/grammar/units.artefact"} <= names
    cache = tmp_path / "cache"
    pack = next((installed / "lib").rglob("site-packages/qualityrules/rules/packs/longgang-2015.qr"))
    result = subprocess.run([str(installed / "bin" / "qualityrules"), "lint", str(pack)], capture_output=True,
                            text=True, cwd=installed, env={**os.environ, "XDG_CACHE_HOME": str(cache)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name.split("-")[0] for p in (cache / "qualityrules").iterdir()) == ["catalogue"]
    script = """
from qualityrules import resources
from qualityrules.language import parse, units
for artefact in (parse.parser_artefact(), units.unit_table_artefact()):
    assert resources.read_artefact(resources.grammar_path(artefact.name), artefact.key) is not None, artefact.name
table = units.unit_table_artefact()
assert resources.read_artefact(resources.grammar_path(table.name), table.key) == table.build()
print("ok")
"""
    check = subprocess.run([str(installed / "bin" / "python"), "-c", script], capture_output=True, text=True,
                           cwd=installed, env={**os.environ, "XDG_CACHE_HOME": str(cache)})
    assert check.stdout.strip() == "ok", check.stderr


def test_wheel_carries_compiled_catalogs_and_the_diagnostics_reference(installed: Path) -> None:
    wheel = next((installed.parent / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "qualityrules/locale/zh/LC_MESSAGES/qualityrules.mo" in names
    assert not [n for n in names if n.endswith((".po", ".pot"))]
    assert "qualityrules/docs/diagnostics.rst" in names


OWN_CATALOGUE = (ROOT / "tests" / "fixtures" / "own-catalogue.qr").read_text(encoding="utf-8")
OWN_PACK = (ROOT / "tests" / "fixtures" / "pingshan-2015.qr").read_text(encoding="utf-8")
DATA = (ROOT / "tests" / "fixtures" / "pingshan-2015.csv").read_text(encoding="utf-8")


def _outside(tmp_path: Path) -> Path:
    """An author's project outside the repository: own catalogue, own pack, own data."""
    project = tmp_path / "pingshan"
    (project / "catalogue").mkdir(parents=True)
    (project / "catalogue" / "own.qr").write_text(OWN_CATALOGUE, encoding="utf-8")
    (project / "packs").mkdir()
    (project / "packs" / "pingshan-2015.qr").write_text(OWN_PACK, encoding="utf-8")
    (project / "data.csv").write_text(DATA, encoding="utf-8")
    assert ROOT not in project.resolve().parents
    return project


def _script(installed: Path, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "COLUMNS")}
    return subprocess.run([str(installed / "bin" / "qualityrules"), *args], capture_output=True, text=True, cwd=cwd,
                          env={**base, "LANG": "C.UTF-8", **env}, timeout=300)


def _lint_check_export(installed: Path, cwd: Path, *options: str) -> None:
    lint = _script(installed, "lint", "packs/pingshan-2015.qr", *options, cwd=cwd)
    assert lint.returncode == 0 and "0 error(s), 0 warning(s)" in lint.stdout, lint.stdout + lint.stderr
    check = _script(installed, "check", "pingshan-2015", "data.csv", "--format", "json", *options, cwd=cwd)
    assert check.returncode == 1, check.stderr   # 新增市场主体 4800 < 5000 fails; the other two pass
    verdicts = {t["indicator"]: t["verdict"] for t in json.loads(check.stdout)["targets"]}
    assert {k: verdicts[k] for k in ("辖区黑臭水体消除比例", "新增市场主体", "工业废水达标排放率")} == {
        "辖区黑臭水体消除比例": "pass", "新增市场主体": "fail", "工业废水达标排放率": "pass"}
    export = _script(installed, "export", "pingshan-2015", *options, cwd=cwd)
    assert export.returncode == 0, export.stderr
    exported = json.loads(export.stdout)
    assert {r["indicator"] for r in exported["rules"] if r["origin"] == "pingshan-2015"} == {
        "辖区黑臭水体消除比例", "新增市场主体", "工业废水达标排放率"}


def test_an_outside_project_works_through_configuration_alone(installed: Path, tmp_path: Path) -> None:
    project = _outside(tmp_path)
    (project / "qualityrules.toml").write_text('packs = ["packs"]\ncatalogues = ["catalogue/own.qr"]\n',
                                               encoding="utf-8")
    _lint_check_export(installed, project)
    before = _script(installed, "export", "pingshan-2015", cwd=tmp_path)   # outside the project: no config
    assert before.returncode == 2 and "QR103" in before.stderr


def test_an_outside_project_works_through_options(installed: Path, tmp_path: Path) -> None:
    project = _outside(tmp_path)
    _lint_check_export(installed, project, "--catalogue", "catalogue/own.qr", "--packs", "packs")
    plain = _script(installed, "lint", "packs/pingshan-2015.qr", cwd=project)
    assert plain.returncode == 1 and "QR101" in plain.stdout


def test_the_installed_wheel_speaks_chinese_and_explains(installed: Path, tmp_path: Path) -> None:
    project = _outside(tmp_path)
    result = _script(installed, "lint", "packs/pingshan-2015.qr", cwd=project, LANG="zh_CN.UTF-8")
    assert "错误[QR101]: 未知指标“黑臭水体消除比例”" in result.stdout, result.stdout + result.stderr
    assert _script(installed, "--help", cwd=project, LANG="zh_CN.UTF-8").stdout.startswith("用法：qualityrules")
    explained = _script(installed, "explain", "QR106", cwd=project)
    assert explained.returncode == 0 and explained.stdout.startswith("QR106 — override looser than the parent")
