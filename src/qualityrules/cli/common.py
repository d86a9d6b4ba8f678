"""What every subcommand shares: exit codes, the project options (``--catalogue``, ``--packs``,
``--lang``, ``--config``, ``--quiet``, ``--color``), the project configuration, printing, and
writing an output file.

Exit codes: 0 success (no binding target failed, no lint error); 1 a binding target failed or
lint found errors or fmt --check found a change; 2 usage or input error; 3 internal error (a bug:
never a verdict).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..errors import Diagnostic, Severity, UsageError
from ..i18n import LANGUAGES, render, tr
from ..terminal import colour_enabled, fit, output_width, paint

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_PIPE_CLOSED = 128 + 13   # as a shell reports a tool that a closed pipe (| head) ended: 128 + SIGPIPE


class HelpFormatter(argparse.HelpFormatter):
    """Help text in the chosen language: help strings, descriptions and group titles may be
    :class:`~qualityrules.i18n.Text`; they render when the help is printed."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return render(action.help)

    def add_text(self, text: str | None) -> None:
        super().add_text(render(text) if text is not argparse.SUPPRESS else text)

    def start_section(self, heading: str | None) -> None:
        super().start_section(render(heading))


def add_project_options(parser: argparse.ArgumentParser) -> None:
    """The options every subcommand takes (they also come from the project configuration)."""
    group = parser.add_argument_group(tr("project options"))
    group.add_argument("--catalogue", action="append", default=[], metavar="FILE",
                       help=tr("an indicator catalogue of your own, extending the shipped one (repeatable; "
                               "also 'catalogues' in the project configuration)"))
    group.add_argument("--packs", action="append", default=[], metavar="DIR",
                       help=tr("a directory where pack ids and 'extends' parents are looked up before the shipped "
                               "packs (repeatable; also 'packs' in the project configuration)"))
    group.add_argument("--config", metavar="FILE",
                       help=tr("the project configuration (default: qualityrules.toml, or pyproject.toml with "
                               "[tool.qualityrules], found upward from the working directory)"))
    group.add_argument("--lang", choices=LANGUAGES,
                       help=tr("language of messages and help (default: 'language' in the configuration, else "
                               "the locale: LANG=zh_CN.UTF-8 gives Chinese)"))
    group.add_argument("-q", "--quiet", action="store_true",
                       help=tr("print only what matters: diagnostics, failures and the result"))
    group.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                       help=tr("colour the output (default: when writing to a terminal and NO_COLOR is not set)"))


def catalogue(args: argparse.Namespace) -> list[Path]:
    """The extra catalogue files in force: the configuration's, then ``--catalogue``."""
    return [*args.project.catalogues, *(Path(p) for p in args.catalogue)]


def search(args: argparse.Namespace) -> list[Path]:
    """Directories to look packs up in: ``--packs`` first, then the configuration's. A ``--packs``
    that is no directory is refused: a mistyped one would leave the pack looked up elsewhere."""
    for folder in args.packs:
        if not Path(folder).is_dir():
            raise UsageError(Diagnostic("QR301", tr("--packs {folder}: no such directory", folder=folder),
                                        suggestion=tr("name a directory holding pack files (.qr)")))
    return [*(Path(p) for p in args.packs), *args.project.packs]


def load(args: argparse.Namespace, pack: str) -> Any:
    """The pack ``pack`` (id or path) with the project's catalogues and pack directories."""
    from ..packs.resolve import load_pack

    return load_pack(pack, search=search(args), catalogue=catalogue(args) or None)


def emit(text: str, stream: TextIO | None = None, colour: Callable[[str], str] | None = None) -> None:
    """Print ``text`` fitted to the width of ``stream`` (standard output by default), then
    coloured by ``colour`` (after fitting: escape sequences take no columns)."""
    out = stream or sys.stdout
    text = fit(text.rstrip("\n"), output_width(out))
    out.write((colour(text) if colour else text) + "\n")


def print_diagnostics(diagnostics: Sequence[Diagnostic], stream: TextIO | None = None,
                      colour: str = "auto") -> None:
    out = stream or sys.stdout
    width = output_width(out)
    painted = colour_enabled(out, colour)
    for diagnostic in diagnostics:
        text = fit(diagnostic.render(width=width), width)
        if painted:
            first, _, rest = text.partition("\n")
            label = "error" if diagnostic.severity is Severity.ERROR else "warning"
            word = render(tr("error") if label == "error" else tr("warning")) or label
            first = first.replace(f"{word}[{diagnostic.code}]", paint(f"{word}[{diagnostic.code}]", label, True), 1)
            text = first + ("\n" + rest if rest else "")
        print(text, file=out)
