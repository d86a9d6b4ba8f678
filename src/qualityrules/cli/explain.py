"""``qualityrules explain QR106``: a diagnostic's documentation, read from ``docs/diagnostics.rst``
(the one source; the wheel carries it), as plain text."""

from __future__ import annotations

import argparse
import re
from typing import Any

from ..errors import CODES, Diagnostic, UsageError, did_you_mean
from ..i18n import tr
from .common import EXIT_OK, emit


def documentation(code: str) -> str:
    """The section of ``docs/diagnostics.rst`` about ``code``, with the reStructuredText markup
    turned into plain text."""
    from ..resources import data_dir

    code = code.upper()
    if code not in CODES:
        raise UsageError(Diagnostic("QR313", tr("unknown diagnostic code '{code}'", code=code),
                                    suggestion=did_you_mean(code, CODES) or tr("codes: QR001–QR313; see "
                                                                               "'qualityrules explain' in the docs")))
    text = (data_dir("docs") / "diagnostics.rst").read_text(encoding="utf-8")
    parts = re.split(r"^\.\. _(qr\d{3}):\n", text, flags=re.MULTILINE)
    sections = {parts[i].upper(): parts[i + 1] for i in range(1, len(parts), 2)}
    if code not in sections:
        raise UsageError(Diagnostic("QR313", tr("{code} has no documentation", code=code)))
    return plain(sections[code])


def plain(rst: str) -> str:
    """Just enough reStructuredText → text for a terminal: directives, roles and emphasis dropped."""
    lines = []
    for line in rst.strip("\n").splitlines():
        if re.fullmatch(r"\s*\.\. [\w-]+::.*", line) or re.fullmatch(r"[-=~^]{3,}", line) or line.strip() == "::":
            continue
        line = re.sub(r":\w+:`([^`<]*?)\s*(?:<[^>]*>)?`", r"\1", line)
        line = re.sub(r"``([^`]*)``", r"\1", line)
        line = re.sub(r"\*\*([^*]*)\*\*", r"\1", line)
        line = re.sub(r"(?<![\w*])\*([^*]+)\*(?![\w*])", r"\1", line)
        lines.append(line[:-1] if line.endswith("::") and not line.endswith(" ::") else line.removesuffix(" ::"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def cmd_explain(args: argparse.Namespace) -> int:
    emit(documentation(args.code))
    return EXIT_OK


def register(commands: Any) -> None:
    explain = commands.add_parser("explain", help=tr("print a diagnostic's documentation"),
                                  description=tr("Print what a diagnostic code means, an example and its fix."))
    explain.add_argument("code", help=tr("a diagnostic code, e.g. QR106"))
    explain.set_defaults(handler=cmd_explain)
