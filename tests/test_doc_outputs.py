"""Every command output quoted in the documentation comes from running it.

- Console sessions (``.. code-block:: console``, or a literal block that starts with ``$``) in
  docs/ and the README run in a scratch directory that sees the repository's ``rules``, ``docs``
  and ``examples``: a ``$ cat FILE`` line followed by text *writes* that file first (so the
  session shows exactly the input it runs on), ``$ echo $?`` checks the exit code of the
  command before it, and every other command's combined output must equal the quoted lines (a
  line ``...`` stands for any number of lines). The sessions of one page run in order in one
  directory (a tutorial's later steps use the files of its earlier ones); every command of a
  session that quotes some output runs (one without quoted output prepares the next); sessions
  that quote no output are lists of commands and do not run.
- The rendered diagnostics under each example of ``docs/diagnostics.rst`` equal what
  ``qualityrules.lint`` reports for the example.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import qualityrules
from qualityrules.errors import Severity

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted([*DOCS.glob("*.rst"), *(DOCS / "verdicts").glob("*.inc"), ROOT / "README.md"])
BIN = Path(sys.executable).parent
# Commands whose output is about a missing optional dependency run without it.
HIDDEN_MODULES = {"qualityrules lsp": ("pygls", "lsprotocol")}


@attrs.frozen
class Step:
    command: str
    output: tuple[str, ...]
    line: int


def _literal_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, dedented text) of console code blocks and of literal blocks starting with ``$``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for index, line in enumerate(lines):
        console = line.strip() == ".. code-block:: console"
        literal = line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        if not (console or literal):
            continue
        indent = len(line) - len(line.lstrip())
        body: list[str] = []
        for following in lines[index + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        text = "\n".join(body).strip("\n")
        if not text.strip():
            continue
        margin = min(len(x) - len(x.lstrip()) for x in text.splitlines() if x.strip())
        text = "\n".join(x[margin:] for x in text.splitlines())
        if console or text.startswith("$ "):
            found.append((index + 2, text))
    return found


def _steps(text: str, first_line: int) -> list[Step]:
    steps: list[Step] = []
    for offset, line in enumerate(text.splitlines()):
        if line.startswith("$ "):
            steps.append(Step(line[2:], (), first_line + offset))
        elif steps:
            steps[-1] = attrs.evolve(steps[-1], output=(*steps[-1].output, line.rstrip()))
    return [attrs.evolve(s, output=_trim(s.output)) for s in steps]


def _trim(lines: tuple[str, ...]) -> tuple[str, ...]:
    out = list(lines)
    while out and not out[-1]:
        out.pop()
    return tuple(out)


def _pages() -> list[tuple[str, list[Step]]]:
    """Per page, the steps of its sessions that quote some output or write a file, in page order:
    a page runs as one session in one directory (a tutorial's later steps use its earlier files)."""
    pages = []
    for page in PAGES:
        steps: list[Step] = []
        for line, text in _literal_blocks(page):
            block = _steps(text, line)
            if any(s.output for s in block):
                steps.extend(block)
        if steps:
            pages.append((str(page.relative_to(ROOT)), steps))
    return pages


def _matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    pattern = "".join(r"(?:[^\n]*\n)*?" if line == "..." else re.escape(line) + r"\n" for line in expected)
    return re.fullmatch(pattern, "".join(line + "\n" for line in actual)) is not None


def _hiding(modules: tuple[str, ...], directory: Path) -> str:
    """A directory with a sitecustomize that makes ``modules`` fail to import."""
    directory.mkdir(exist_ok=True)
    (directory / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {modules!r}:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Hide())\n", encoding="utf-8")
    return str(directory)


@pytest.mark.slow
@pytest.mark.parametrize(("where", "steps"), _pages(), ids=[w for w, _ in _pages()])
def test_quoted_console_output_is_what_the_command_prints(where: str, steps: list[Step], tmp_path: Path) -> None:
    for name in ("rules", "docs", "examples", "grammar"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", LANG="C.UTF-8", NO_COLOR="1")
    last = 0
    for step in steps:
        if step.command.startswith("cat "):
            target = tmp_path / step.command[4:].strip()
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("\n".join(step.output) + "\n", encoding="utf-8")
            continue
        if step.command == "echo $?":
            assert [str(last)] == list(step.output), f"{where}:{step.line}: exit code {last}, the docs say {step.output}"
            continue
        run_env = dict(env)
        hidden = next((mods for prefix, mods in HIDDEN_MODULES.items() if step.command.startswith(prefix)), None)
        if hidden:
            run_env["PYTHONPATH"] = _hiding(hidden, tmp_path / "_hide")
        result = subprocess.run(["bash", "-c", step.command], cwd=tmp_path, env=run_env, capture_output=True,
                                text=True, timeout=300, stdin=subprocess.DEVNULL)
        last = result.returncode
        printed = (result.stdout + result.stderr).replace(str(ROOT) + "/", "").rstrip("\n").splitlines()
        printed = [line.rstrip() for line in printed]
        if step.output:
            assert _matches(step.output, printed), (
                f"{where}:{step.line}: `{step.command}` printed\n" + "\n".join(printed))


def test_the_console_sessions_are_found() -> None:
    where = [w for w, _ in _pages()]
    assert {"docs/cli.rst", "docs/diagnostics.rst", "docs/tutorial.rst", "docs/tutorial-zh.rst"} <= set(where)
    assert any(s.command.startswith("cat ") for _, steps in _pages() for s in steps)


# ------------------------------------------------------------------------------------------
# docs/diagnostics.rst: the rendered diagnostics under each example


DIAGNOSTICS = (DOCS / "diagnostics.rst").read_text(encoding="utf-8")


def _examples_with_output() -> list[tuple[str, str, str]]:
    found = []
    sections = re.split(r"^\.\. _(qr\d{3}):\n", DIAGNOSTICS, flags=re.MULTILINE)
    for i in range(1, len(sections), 2):
        match = re.search(r"\.\. code-block:: qualityrules\n\n((?:   .*\n|\n)+)::\n\n((?:   .*\n|\n)+)", sections[i + 1])
        if match:
            example = "\n".join(line[3:] for line in match.group(1).rstrip("\n").splitlines()) + "\n"
            output = "\n".join(line[3:] for line in match.group(2).rstrip("\n").splitlines())
            found.append((sections[i].upper(), example, output))
    return found


@pytest.mark.parametrize(("code", "example", "output"), _examples_with_output(),
                         ids=[c for c, _, _ in _examples_with_output()])
def test_quoted_diagnostics_are_what_lint_reports(code: str, example: str, output: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if "# file: " in example:  # several files (two folders), loaded together as `compare` does
        paths = []
        for part in example.split("# file: ")[1:]:
            name, body = part.split("\n", 1)
            paths.append(tmp_path / name.strip())
            paths[-1].parent.mkdir(parents=True, exist_ok=True)
            paths[-1].write_text(body, encoding="utf-8")
        with pytest.raises(qualityrules.QualityRulesError) as caught:
            qualityrules.compare(*paths)
        rendered = "\n".join(d.render("en") for d in caught.value.diagnostics).replace(str(tmp_path) + "/", "")
        assert rendered == output, f"{code}: compare reports\n{rendered}"
        return
    name = "demo-2015.qr" if example.startswith("pack") else "extra-catalogue.qr"
    (tmp_path / name).write_text(example, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    found = qualityrules.lint(name)
    rendered = "\n".join(d.render("en") for d in found).replace(str(ROOT) + "/", "")
    assert rendered == output, f"{code}: lint reports\n{rendered}"
    assert any(d.code == code for d in found)


def test_every_rule_and_pack_example_quotes_its_output() -> None:
    quoted = {code for code, _, _ in _examples_with_output()}
    with_example = set(re.findall(r"^\.\. _(qr[01]\d\d):\n", DIAGNOSTICS, flags=re.MULTILINE))
    assert {c.upper() for c in with_example} <= quoted


def test_the_introduction_quotes_the_qr101_example() -> None:
    intro = DIAGNOSTICS.split(".. _qr001:")[0]
    block = re.search(r"::\n\n((?:   .*\n|\n)+)", intro)
    assert block is not None
    text = "\n".join(line[3:] for line in block.group(1).rstrip("\n").splitlines())
    qr101 = next(output for code, _, output in _examples_with_output() if code == "QR101")
    assert text == qr101


def test_warnings_in_the_examples_are_marked_as_warnings() -> None:
    for code, _example, _ in _examples_with_output():
        sections = re.split(r"^\.\. _(qr\d{3}):\n", DIAGNOSTICS, flags=re.MULTILINE)
        text = sections[sections.index(code.lower()) + 1]
        stated = re.search(r"^\*(error|warning)\.\*", text, flags=re.MULTILINE)
        assert stated is not None, code
        assert f"{Severity(stated.group(1)).value}[{code}]" in text, code
