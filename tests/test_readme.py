"""The README's two commands stay true: CI runs exactly its test command, and its first
command (a real run on shipped packs and data) works from this installation."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```(?:\w+)?\n(.*?)```", section, flags=re.S)]


def test_readme_has_exactly_two_commands() -> None:
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in c for c in commands), "each command is one line"


def test_ci_runs_the_readme_test_command() -> None:
    test_command = readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci
    assert any(line.startswith("python3 -m venv") for line in ci)
    assert any('pip install -q -e ".[test]"' in line for line in ci)


def test_first_command_runs_on_shipped_files() -> None:
    first = readme_commands()[0]
    steps = [s.strip() for s in first.split("&&")]
    assert steps[0].startswith("python3 -m venv .venv") and 'pip install -e ".[test]"' in steps[1]
    bin_dir = Path(sys.executable).parent
    for step in steps[2:]:
        argv = shlex.split(step)
        assert argv[0].startswith(".venv/bin/")
        argv[0] = str(bin_dir / argv[0].removeprefix(".venv/bin/"))
        expanded = [a for arg in argv for a in (sorted(str(p) for p in ROOT.glob(arg)) if "*" in arg else [arg])]
        result = subprocess.run(expanded, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode in (0, 1), result.stderr[-3000:]  # 1 = a binding target failed
        assert "Traceback" not in result.stderr
        assert result.stdout.strip()


def test_python_example_runs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", text, flags=re.S)
    assert example is not None
    namespace: dict[str, object] = {}
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(example.group(1), "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    report = namespace["report"]
    assert report.verdict("龙岗区", 2015, "工业废水达标排放率") in {"pass", "fail"}  # type: ignore[attr-defined]
    review = namespace["review"]
    counts = review.review_counts()["深圳市"]  # type: ignore[attr-defined]
    assert review.as_of == 2018 and all(counts[s] > 0 for s in ("achieved", "on-track", "at-risk", "off-track"))  # type: ignore[attr-defined]
