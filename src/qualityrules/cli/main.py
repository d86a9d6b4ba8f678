"""The ``qualityrules`` command. User errors print a diagnostic, never a traceback.

Exit codes: 0 success (no binding target failed, no lint error); 1 a binding target failed or
lint found errors or fmt --check found a change; 2 usage or input error; 3 internal error — an
exception that is not a :class:`~qualityrules.errors.QualityRulesError` is a bug, never a
verdict: one line on standard error ("internal error — please report", the version), and the
traceback only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from .. import __version__
from ..errors import QualityRulesError
from .common import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, print_diagnostics


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error[QR301]: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qualityrules", description="Check statistics against the numeric targets "
                     "of Chinese quality-development plans.")
    parser.add_argument("--version", action="version", version=f"qualityrules {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    for module in SUBCOMMANDS:
        importlib.import_module(f"{__package__}.{module}").register(commands)
    for command in commands.choices.values():   # --debug also after the subcommand
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


# One module per subcommand, each with ``register(commands)`` adding its subparser and handler.
SUBCOMMANDS: tuple[str, ...] = ("lint", "fmt", "export", "packs", "check", "diff", "indicators")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):   # text the terminal cannot encode is escaped, never a crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        args = build_parser().parse_args(arguments)
        return int(args.handler(args))
    except QualityRulesError as error:
        print_diagnostics(error.diagnostics, sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as error:   # a bug: exit 3, never 1 ("a target failed")
        return _internal_error(error, debug="--debug" in arguments)


def _internal_error(error: Exception, *, debug: bool) -> int:
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    summary = f"{type(error).__name__}: {error}".splitlines()[0][:200]
    print(f"internal error — please report (qualityrules {__version__}): {summary}"
          + ("" if debug else "; run with --debug for the traceback"), file=sys.stderr)
    return EXIT_INTERNAL
