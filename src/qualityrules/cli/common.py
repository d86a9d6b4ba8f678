"""What every subcommand shares: exit codes and printing diagnostics.

Exit codes: 0 success (no binding target failed, no lint error); 1 a binding target failed or
lint found errors or fmt --check found a change; 2 usage or input error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import Diagnostic

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


def print_diagnostics(diagnostics: Sequence[Diagnostic], stream: object = None) -> None:
    out = stream or sys.stdout
    for diagnostic in diagnostics:
        print(diagnostic.render(), file=out)  # type: ignore[arg-type]
