"""The delivered artefact: a wheel installed into a fresh virtual environment carries the
grammar and every file of rules/, and its console script works."""

from __future__ import annotations

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
