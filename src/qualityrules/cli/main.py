"""The ``qualityrules`` command. User errors print a diagnostic, never a traceback.

Exit codes: 0 success (no binding target failed, no lint error); 1 a binding target failed or
lint found errors or fmt --check found a change; 2 usage or input error; 3 internal error — an
exception that is not a :class:`~qualityrules.errors.QualityRulesError` is a bug, never a
verdict: one line on standard error ("internal error — please report", the version), and the
traceback only with ``--debug``.

The language of help and messages is chosen before the parser is built (``--lang``, else the
project configuration, else the locale), so ``--help`` prints in it; argparse's own words
(``usage:``, ``options``, its errors) come from our catalog too.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

from .. import __version__, i18n
from ..config import Config, find_config, read_config
from ..errors import QualityRulesError, optional_dependencies
from ..i18n import tr
from .common import EXIT_INPUT, EXIT_INTERNAL, EXIT_PIPE_CLOSED, HelpFormatter, add_project_options, print_diagnostics


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{i18n.render(tr('error'))}[QR301]: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qualityrules", description=tr(
        "Check statistics against the numeric targets of Chinese quality-development plans."))
    parser.add_argument("--version", action="version", version=f"qualityrules {__version__}",
                        help=tr("show the version and exit"))
    parser.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)   # an internal error's traceback
    parser.add_argument("--lang", choices=i18n.LANGUAGES, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                     title=tr("commands"), metavar="COMMAND")

    for module in SUBCOMMANDS:
        importlib.import_module(f"{__package__}.{module}").register(commands)
    for sub in commands.choices.values():
        add_project_options(sub)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


# One module per subcommand, each with ``register(commands)`` adding its subparser and handler.
SUBCOMMANDS: tuple[str, ...] = ("lint", "fmt", "export", "packs", "check", "diff", "indicators", "new", "explain",
                                "lsp", "extract")


def _early_options(argv: Sequence[str]) -> argparse.Namespace:
    """``--lang`` and ``--config``, read before the parser (whose help is in that language) is built."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang", choices=i18n.LANGUAGES)
    early.add_argument("--config")
    known, _ = early.parse_known_args(list(argv))
    return known


# argparse's own messages, translated through our catalog (listed here so Babel extracts them).
ARGPARSE_MESSAGES = (
    tr("usage: "), tr("positional arguments"), tr("options"), tr("show this help message and exit"),
    tr("the following arguments are required: %s"), tr("invalid choice: %(value)r (choose from %(choices)s)"),
    tr("unrecognized arguments: %s"), tr("argument %(argument_name)s: %(message)s"), tr("expected one argument"),
    tr("expected at least one argument"), tr("expected at most one argument"), tr("invalid %(type)s value: %(value)r"),
    tr("not allowed with argument %s"), tr("one of the arguments %s is required"),
    tr("ambiguous option: %(option)s could match %(matches)s"), tr("expected %s argument"),
    tr("expected %s arguments"),
)


@contextlib.contextmanager
def _language(lang: str | None) -> Iterator[None]:
    """Messages (ours and argparse's) in ``lang`` while the command runs; restored afterwards."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = lambda text: i18n.translate(text)  # type: ignore[attr-defined]
    argparse.ngettext = lambda one, many, n: i18n.translate(one if n == 1 else many)  # type: ignore[attr-defined]
    try:
        with i18n.using(lang):
            yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):   # text the terminal cannot encode is escaped, never a crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        early = _early_options(argv)
        try:
            config = read_config(early.config) if early.config else find_config()
        except QualityRulesError as error:
            with _language(early.lang):
                print_diagnostics(error.diagnostics, sys.stderr)
            return EXIT_INPUT
        with _language(early.lang or config.language):
            return _run(argv, config)
    except Exception as error:   # a bug: exit 3, never 1 ("a target failed")
        return _internal_error(error, debug="--debug" in argv)


def _internal_error(error: Exception, *, debug: bool) -> int:
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    summary = f"{type(error).__name__}: {error}".splitlines()[0][:200]
    message = tr("internal error — please report (qualityrules {version}): {summary}", version=__version__,
                 summary=summary) if debug else \
        tr("internal error — please report (qualityrules {version}): {summary}; run with --debug for the traceback",
           version=__version__, summary=summary)
    print(i18n.render(message), file=sys.stderr)
    return EXIT_INTERNAL


def _run(argv: list[str], config: Config) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.project = config
    try:
        with optional_dependencies(f"qualityrules {args.command}"):
            return int(args.handler(args))
    except QualityRulesError as error:
        print_diagnostics(error.diagnostics, sys.stderr, getattr(args, "color", "auto"))
        return EXIT_INPUT
    except KeyboardInterrupt:
        print(i18n.render(tr("interrupted")), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped reading (| head) before the verdicts were all written: never "no
        # target failed". Standard output goes nowhere from here, so that the interpreter's last
        # flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE_CLOSED
