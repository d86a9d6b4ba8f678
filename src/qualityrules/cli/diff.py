"""``qualityrules diff A B``: per indicator, both thresholds and which is stricter; what a child changes."""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from ..packs.comparison import compare

    comparison = compare(args.a, args.b)
    if args.format == "json":
        print(comparison.to_json())
    elif args.format == "md":
        print(comparison.to_markdown(), end="")
    else:
        print(comparison.to_text(), end="")
    return EXIT_OK


def register(commands: Any) -> None:
    diff = commands.add_parser(
        "diff", help="compare two packs: thresholds per indicator, which is stricter, what a child changes",
        description="Compare two packs (shipped ids or .qr paths). When one extends the other, the "
                    "differences are the child's, relative to the parent.")
    diff.add_argument("a", help="shipped pack id or path to a .qr file")
    diff.add_argument("b", help="shipped pack id or path to a .qr file")
    diff.add_argument("--format", choices=["text", "json", "md"], default="text")
    diff.set_defaults(handler=cmd_diff)
