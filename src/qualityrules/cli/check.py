"""``qualityrules check PACK DATA...``: statistics against a pack, as a table, JSON, CSV or Markdown.

Exit codes: 0 no binding target failed; 1 a binding target failed (or, with ``--fail-on warn``,
an aspiration was missed; with ``--fail-on unknown``, also when a verdict is unknown); 2 usage or
input error (printed as diagnostics with file, line and column, never a traceback).

Listed in :data:`qualityrules.cli.main.SUBCOMMANDS`; imports nothing heavy until it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["register", "cmd_check", "FORMATS"]


def _html(report: Any) -> str:
    from ..report.html import render_html  # one self-contained page

    return render_html(report)


# Output formats of ``check --format``: name -> function of a Report. Other modules may add theirs.
FORMATS: dict[str, Callable[[Any], str]] = {
    "text": lambda report: str(report.to_text()),
    "json": lambda report: str(report.to_json()),
    "csv": lambda report: str(report.to_csv()),
    "md": lambda report: str(report.to_markdown()),
    "html": _html,
}


def register(commands: Any) -> None:
    check = commands.add_parser(
        "check", help="check statistics against a pack's targets",
        description="Check a table of indicator values (wide: region, year, one column per indicator; "
        "long: region, year, indicator, value[, unit]) against a rule pack. Exit 0: no binding target "
        "failed; 1: a binding target failed; 2: usage or input error.")
    check.add_argument("pack", help="shipped pack id (e.g. longgang-2015) or path to a .qr file")
    check.add_argument("data", nargs="+", help=".csv (UTF-8, UTF-8 with BOM or GB18030), .xlsx or .parquet")
    check.add_argument("--region", action="append", help="only this region (repeatable)")
    check.add_argument("--year", action="append", type=_year, help="only targets checked in this year (repeatable)")
    check.add_argument("--format", choices=sorted(FORMATS), default="text")
    check.add_argument("--fail-on", choices=["warn", "unknown"],
                       help="also exit 1 when an aspiration is missed (warn), or when a verdict is unknown")
    check.add_argument("-o", "--output", help="write the report to this file instead of standard output")
    check.add_argument("--encoding", help="encoding of CSV data (default: detected)")
    check.add_argument("--sheet", help="worksheet of .xlsx data (default: the first)")
    check.add_argument("--header-row", type=int, metavar="N",
                       help="the row of the header in CSV/xlsx data (default: found; a title above it is skipped)")
    check.add_argument("--explain", nargs=3, metavar=("REGION", "YEAR", "INDICATOR"), action="append",
                       help="also print how one verdict came about (YEAR may be '-' for every year)")
    from .indicators import add_arguments as add_record_arguments

    add_record_arguments(check)   # raw records among the data files
    check.set_defaults(handler=cmd_check)


def _year(text: str) -> int:
    if not (text.isdigit() and len(text) == 4):
        raise argparse.ArgumentTypeError(f"'{text}' is not a four-digit year")
    return int(text)


def cmd_check(args: argparse.Namespace) -> int:
    from .. import evaluate
    from ..errors import Diagnostic, UsageError
    from ..packs.resolve import load_pack

    for _, year, _ in args.explain or ():
        if year != "-" and not (year.isdigit() and len(year) == 4):
            raise UsageError(Diagnostic("QR301", f"--explain: '{year}' is not a four-digit year or '-'"))

    pack = load_pack(args.pack)
    options: dict[str, Any] = {}
    if args.encoding:
        options["encoding"] = args.encoding
    if args.sheet:
        options["sheet"] = args.sheet
    if args.header_row is not None:
        options["header_row"] = args.header_row
    from .indicators import prepare

    data: Any = prepare(pack, args, options)   # indicators computed from raw record files, if any
    report = evaluate(pack, data, regions=args.region, years=args.year, **options)
    text = FORMATS[args.format](report)
    if args.explain:
        explained = "\n\n".join(report.explain(region, None if year == "-" else int(year), indicator)
                                for region, year, indicator in args.explain)
        if args.format in ("text", "md"):
            text = text.rstrip("\n") + "\n\n" + explained + "\n"
        else:
            print(explained, file=sys.stderr)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        summary = report.summary()
        print(f"wrote {args.output}: " + ", ".join(f"{summary[v]} {v}" for v in summary if v != "targets"
                                                   and summary[v]), file=sys.stderr)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return int(report.exit_code(args.fail_on))
