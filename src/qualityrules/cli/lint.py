"""``qualityrules lint FILE...``: every diagnostic of pack or catalogue files; exit 1 on errors."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import Diagnostic, Severity
from .common import EXIT_FAILED, EXIT_OK, print_diagnostics


def cmd_lint(args: argparse.Namespace) -> int:
    from ..packs.resolve import lint_file

    everything: list[Diagnostic] = []
    for path in args.files:
        found = lint_file(path)
        everything.extend(found)
        if args.format == "text":
            print_diagnostics(found)
    errors = sum(d.severity is Severity.ERROR for d in everything)
    warnings = len(everything) - errors
    if args.format == "json":
        print(json.dumps([d.to_dict() for d in everything], ensure_ascii=False, indent=2))
    else:
        print(f"{len(args.files)} file(s): {errors} error(s), {warnings} warning(s)")
    return EXIT_FAILED if errors else EXIT_OK


def register(commands: Any) -> None:
    lint = commands.add_parser("lint", help="report every diagnostic of pack or catalogue files")
    lint.add_argument("files", nargs="+")
    lint.add_argument("--format", choices=["text", "json"], default="text")
    lint.set_defaults(handler=cmd_lint)
