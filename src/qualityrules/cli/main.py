"""The ``qualityrules`` command. User errors print a diagnostic, never a traceback.

Exit codes: 0 success (no binding target failed, no lint error); 1 a binding target failed or
lint found errors or fmt --check found a change; 2 usage or input error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import QualityRulesError
from .common import EXIT_INPUT, EXIT_OK, print_diagnostics


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error[QR301]: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qualityrules", description="Check statistics against the numeric targets "
                     "of Chinese quality-development plans.")
    parser.add_argument("--version", action="version", version="qualityrules 0.1.0")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    for module in SUBCOMMANDS:
        importlib.import_module(f"{__package__}.{module}").register(commands)
    return parser


# One module per subcommand, each with ``register(commands)`` adding its subparser and handler.
SUBCOMMANDS: tuple[str, ...] = ("lint", "fmt", "export", "packs", "check", "diff", "indicators", "extract")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except QualityRulesError as error:
        print_diagnostics(error.diagnostics, sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
