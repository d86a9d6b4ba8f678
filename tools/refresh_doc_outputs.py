"""Rewrite the console output quoted in the docs with what the commands print now.

    python tools/refresh_doc_outputs.py docs/tutorial.rst docs/cli.rst

Runs each page's sessions exactly as ``tests/test_doc_outputs.py`` does (same scratch directory,
environment and order) and replaces every quoted output that no longer matches with the printed
lines. A quoted output containing ``...`` is left alone and reported: its elision is an author's
choice. Review the diff before committing: the point of the test is that a change of output is
seen, and this tool only saves the typing once it has been.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_doc_outputs as docs  # noqa: E402


def refresh(page: Path) -> int:
    where = str(page.resolve().relative_to(ROOT))
    steps = next((s for w, s in docs._pages() if w == where), [])
    changes: list[tuple[int, int, list[str], str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        for name in ("rules", "docs", "examples", "grammar"):
            (tmp / name).symlink_to(ROOT / name)
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
        env.update(PATH=f"{docs.BIN}{os.pathsep}{env.get('PATH', '')}", LANG="C.UTF-8", NO_COLOR="1")
        for step in steps:
            if step.command.startswith("cat "):
                target = tmp / step.command[4:].strip()
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("\n".join(step.output) + "\n", encoding="utf-8")
                continue
            if step.command == "echo $?":
                continue
            run_env = dict(env)
            hidden = next((m for p, m in docs.HIDDEN_MODULES.items() if step.command.startswith(p)), None)
            if hidden:
                run_env["PYTHONPATH"] = docs._hiding(hidden, tmp / "_hide")
            result = subprocess.run(["bash", "-c", step.command], cwd=tmp, env=run_env, capture_output=True,
                                    text=True, timeout=300, stdin=subprocess.DEVNULL)
            printed = [line.rstrip() for line in
                       (result.stdout + result.stderr).replace(str(ROOT) + "/", "").rstrip("\n").splitlines()]
            if not step.output or docs._matches(step.output, printed):
                continue
            if "..." in step.output:
                print(f"{where}:{step.line}: `{step.command}` differs, but its output is elided: left alone")
                continue
            changes.append((step.line, len(step.output), printed, step.command))
    lines = page.read_text(encoding="utf-8").split("\n")
    for line, count, printed, command in sorted(changes, reverse=True):
        # the command's own line, near where the test's block parsing places it
        at = min((i for i in range(max(0, line - 4), min(len(lines), line + 4))
                  if lines[i].strip() == "$ " + command), key=lambda i: abs(i - line))
        indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
        lines[at + 1:at + 1 + count] = [indent + p if p else "" for p in printed]
        print(f"{where}:{line}: output rewritten ({count} -> {len(printed)} lines)")
    page.write_text("\n".join(lines), encoding="utf-8")
    return len(changes)


if __name__ == "__main__":
    total = sum(refresh(Path(p)) for p in sys.argv[1:])
    print(f"{total} output(s) rewritten")
