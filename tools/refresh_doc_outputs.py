"""Rewrite the console output quoted in the docs with what the commands print now.

    python tools/refresh_doc_outputs.py docs/tutorial.rst docs/cli.rst

Runs each page's sessions exactly as ``tests/test_doc_outputs.py`` does (same scratch directory,
environment and order) and replaces every quoted output that no longer matches with the printed
lines. A quoted output containing ``...`` is left alone and reported: its elision is an author's
choice. Review the diff before committing: the point of the test is that a change of output is
seen, and this tool only saves the typing once it has been.
"""

from __future__ import annotations

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
        for step, printed, _ in docs.run_session(steps, Path(scratch)):
            if step.command == "echo $?" or not step.output or docs._matches(step.output, printed):
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
