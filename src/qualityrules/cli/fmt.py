"""``qualityrules fmt [-i | --check] FILE...``: canonical form, comments kept, idempotent."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import QualityRulesError
from ..i18n import render, tr
from .common import EXIT_FAILED, EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    from ..errors import raise_errors
    from ..language.format import format_file
    from ..language.parse import parse_text
    from ..packs.resolve import load_catalogue, read_rule_text

    names = load_catalogue().knows  # a sentence printed without spaces splits as it does in lint
    changed = 0
    for name in args.files:
        path = Path(name)
        text, problem = read_rule_text(path)
        if problem is not None:
            raise QualityRulesError(problem)
        assert text is not None
        rule_file, diagnostics = parse_text(text, source=str(path), names=names)
        raise_errors(diagnostics)
        formatted = format_file(rule_file)
        if formatted != text:
            changed += 1
        if args.check:
            if formatted != text:
                print(render(tr("would reformat {path}", path=str(path))))
        elif args.in_place:
            if formatted != text:
                path.write_text(formatted, encoding="utf-8")
                if not args.quiet:
                    print(render(tr("reformatted {path}", path=str(path))), file=sys.stderr)
        else:
            sys.stdout.write(formatted)
    return EXIT_FAILED if args.check and changed else EXIT_OK


def register(commands: Any) -> None:
    fmt = commands.add_parser("fmt", help=tr("print (or rewrite) files in canonical form"),
                              description=tr("Print rule files in canonical form (comments kept), rewrite them "
                                             "with -i, or exit 1 with --check when one would change."))
    fmt.add_argument("files", nargs="+", metavar="FILE", help=tr("pack or catalogue files (.qr)"))
    mode = fmt.add_mutually_exclusive_group()
    mode.add_argument("-i", "--in-place", action="store_true", help=tr("rewrite the files"))
    mode.add_argument("--check", action="store_true", help=tr("exit 1 if a file is not formatted"))
    fmt.set_defaults(handler=cmd_fmt)
