"""What every subcommand shares: exit codes, printing diagnostics, writing an output file.

Exit codes: 0 success (no binding target failed, no lint error); 1 a binding target failed or
lint found errors or fmt --check found a change; 2 usage or input error; 3 internal error (a bug:
never a verdict).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import Diagnostic, UsageError

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def print_diagnostics(diagnostics: Sequence[Diagnostic], stream: object = None) -> None:
    out = stream or sys.stdout
    for diagnostic in diagnostics:
        print(diagnostic.render(), file=out)  # type: ignore[arg-type]


def write_output(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to the file ``path`` given with ``-o``; QR302 when it cannot be."""
    target = Path(path)
    problem = None
    if target.is_dir():
        problem = "is a directory", f"name a file inside it, e.g. {target / 'report.txt'}"
    elif not target.parent.is_dir():
        problem = f"its folder {target.parent} does not exist", f"create it first (mkdir -p {target.parent})"
    if problem is None:
        try:
            target.write_text(text, encoding="utf-8", errors="backslashreplace")
            return
        except OSError as error:
            problem = error.strerror or str(error), "choose a file you may write"
    reason, fix = problem
    raise UsageError(Diagnostic("QR302", f"cannot write {path}: {reason}", suggestion=fix))
