"""The draft-review-lint loop in ``docs/extract.rst`` and the ``QR5xx`` examples in
``docs/diagnostics.rst`` show what the commands really print: each command is run here and its
output compared with the file or console block the docs quote.

``QUALITYRULES_UPDATE_DOCS=1 pytest tests/test_extract_docs.py`` rewrites the quoted files from
the commands' output (then review the change with ``git diff``)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

from qualityrules.cli.main import main
from qualityrules.errors import CODES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples" / "extract"
UPDATE = os.environ.get("QUALITYRULES_UPDATE_DOCS") == "1"


def run(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run the command line in ``cwd``; standard output, then standard error."""
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        os.chdir(previous)
    return code, out.getvalue() + err.getvalue()


def quoted(path: Path, produced: str) -> None:
    """``produced`` must be what the docs quote from ``path`` (or replaces it when updating)."""
    if UPDATE:
        path.write_text(produced, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == produced, f"{path.name} differs from what the command prints"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    for name in ("plan.txt", "haibin-2025.reviewed.qr"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    return tmp_path


def test_the_drafted_pack_and_catalogue_are_what_extract_writes(workdir: Path) -> None:
    code, output = run(["extract", "plan.txt", "-o", "haibin-2025.qr"], workdir)
    assert code == 0
    quoted(EXAMPLES / "extract-output.txt", output)
    quoted(EXAMPLES / "haibin-2025.qr", (workdir / "haibin-2025.qr").read_text(encoding="utf-8"))
    quoted(EXAMPLES / "haibin-2025.catalogue.qr", (workdir / "haibin-2025.catalogue.qr").read_text(encoding="utf-8"))
    assert "# review:" in (workdir / "haibin-2025.qr").read_text(encoding="utf-8")


def test_the_reviewed_pack_lints_clean_with_the_proposed_catalogue(workdir: Path) -> None:
    shutil.copy(EXAMPLES / "haibin-2025.catalogue.qr", workdir / "haibin-2025.catalogue.qr")
    reviewed = (workdir / "haibin-2025.reviewed.qr").read_text(encoding="utf-8")
    assert "# review:" not in reviewed
    code, output = run(["lint", "haibin-2025.reviewed.qr", "haibin-2025.catalogue.qr"], workdir)
    assert code == 0 and "0 error(s), 0 warning(s)" in output
    quoted(EXAMPLES / "lint-output.txt", output)


def test_the_diff_of_the_text_against_the_reviewed_pack(workdir: Path) -> None:
    code, output = run(["extract", "plan.txt", "--diff", "haibin-2025.reviewed.qr"], workdir)
    assert code == 0 and "stated differently" in output
    quoted(EXAMPLES / "diff-output.txt", output)


# ------------------------------------------------------------------------------------------
# The QR5xx examples of docs/diagnostics.rst


DIAGNOSTICS = (ROOT / "docs" / "diagnostics.rst").read_text(encoding="utf-8")
EXTRACT_CODES = sorted(code for code in CODES if code.startswith("QR5"))


def console_example(code: str) -> tuple[str, list[str], str]:
    """The plan, the command and the output of a code's console example."""
    section = re.split(r"^\.\. _qr\d{3}:\n", DIAGNOSTICS, flags=re.MULTILINE)
    body = next(part for part in section if part.lstrip().startswith(f"{code} — "))
    block = re.search(r"\.\. code-block:: console\n\n((?:   .*\n|\n)+)", body)
    assert block is not None, f"{code} has no console example"
    lines = [line[3:] for line in block.group(1).rstrip("\n").splitlines()]
    assert lines[0] == "$ cat plan.txt"
    command_at = next(i for i, line in enumerate(lines) if line.startswith("$ qualityrules "))
    plan = "\n".join(lines[1:command_at]) + "\n"
    return plan, shlex.split(lines[command_at])[2:], "\n".join(lines[command_at + 1:]) + "\n"


@pytest.mark.parametrize("code", EXTRACT_CODES)
def test_each_review_code_has_an_example_that_reports_it(code: str, tmp_path: Path) -> None:
    plan, argv, expected = console_example(code)
    (tmp_path / "plan.txt").write_text(plan, encoding="utf-8")
    status, output = run(argv, tmp_path)
    assert status == 0
    assert f"[{code}]" in output
    assert [line.rstrip() for line in output.splitlines()] == [line.rstrip() for line in expected.splitlines()]
