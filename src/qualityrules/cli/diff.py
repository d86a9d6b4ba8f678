"""``qualityrules diff A B``: per indicator, both thresholds and which is stricter; what a child changes."""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import tr
from .common import EXIT_OK, catalogue, emit, search


def cmd_diff(args: argparse.Namespace) -> int:
    from ..packs.comparison import compare

    comparison = compare(args.a, args.b, search=search(args), catalogue=catalogue(args) or None)
    if args.format == "json":
        print(comparison.to_json())
    elif args.format == "md":
        print(comparison.to_markdown(), end="")
    else:
        emit(comparison.to_text())
    return EXIT_OK


def register(commands: Any) -> None:
    diff = commands.add_parser(
        "diff", help=tr("compare two packs: thresholds per indicator, which is stricter, what a child changes"),
        description=tr("Compare two packs (ids or .qr paths). When one extends the other, the "
                       "differences are the child's, relative to the parent."))
    diff.add_argument("a", help=tr("pack id (shipped or in --packs) or path to a .qr file"))
    diff.add_argument("b", help=tr("pack id (shipped or in --packs) or path to a .qr file"))
    diff.add_argument("--format", choices=["text", "json", "md"], default="text",
                      help=tr("output format (default: text)"))
    diff.set_defaults(handler=cmd_diff)
