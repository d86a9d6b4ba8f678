"""``qualityrules check PACK DATA...``: statistics against a pack, as a table, JSON, CSV or Markdown.

Exit codes: 0 no binding target failed; 1 a binding target failed (or, with ``--fail-on warn``,
an aspiration was missed; with ``--fail-on unknown``, also when a verdict is unknown); 2 usage or
input error (printed as diagnostics with file, line and column, never a traceback); 3 internal
error. Report warnings (regions outside the pack, implausible values) are in every format, and
also on standard error when the report does not go to the terminal as text or Markdown.

Listed in :data:`qualityrules.cli.main.SUBCOMMANDS`; imports nothing heavy until it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ..i18n import render, tr
from ..terminal import colour_enabled, output_width, paint

__all__ = ["register", "cmd_check", "FORMATS", "junit"]


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
    "junit": lambda report: junit(report),
}


def junit(report: Any) -> str:
    """JUnit XML for CI test reports: a test suite per region, a test case per target. A failed
    binding target is a ``failure``; a missed aspiration (warn) passes with its verdict in
    ``system-out``; an unknown verdict is ``skipped`` with its reason, never a pass; targets that
    do not bind the region are left out."""
    from xml.etree import ElementTree  # here: every command imports this module to register it

    rows = [row for row in report.targets() if row["verdict"] != "not-applicable"]
    suites = ElementTree.Element("testsuites", name=f"qualityrules {report.pack.id}")
    by_region: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_region.setdefault(row["region"], []).append(row)
    for region, region_rows in by_region.items():
        suite = ElementTree.SubElement(suites, "testsuite", name=f"{report.pack.id} {region}",
                                       tests=str(len(region_rows)),
                                       failures=str(sum(r["verdict"] == "fail" for r in region_rows)),
                                       skipped=str(sum(r["verdict"] == "unknown" for r in region_rows)), errors="0")
        for row in region_rows:
            years = "–".join(str(y) for y in (row["years"][0], row["years"][-1])) if len(row["years"]) > 1 \
                else str(row["year"] or (row["years"][0] if row["years"] else ""))
            case = ElementTree.SubElement(suite, "testcase", classname=f"{report.pack.id}.{region}",
                                          name=f"{row['indicator']} {row['target']} ({years}, {row['origin']})")
            detail = (f"value {row['value']}, threshold {row['threshold']}, margin {row['margin']}; "
                      f"{row['rule']}; {row['citation'] or ''}")
            if row["verdict"] == "fail":
                ElementTree.SubElement(case, "failure", message=f"fail: {row['indicator']} {row['target']}",
                                       type="fail").text = detail
            elif row["verdict"] == "unknown":
                ElementTree.SubElement(case, "skipped", message=f"unknown: {row['indicator']} has no usable value")
            ElementTree.SubElement(case, "system-out").text = f"{row['verdict']}: {detail}"
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"


def register(commands: Any) -> None:
    check = commands.add_parser(
        "check", help=tr("check statistics against a pack's targets"),
        description=tr("Check a table of indicator values (wide: region, year, one column per indicator; "
                       "long: region, year, indicator, value[, unit]) against a rule pack. Exit 0: no binding target "
                       "failed; 1: a binding target failed; 2: usage or input error; 3: internal error."))
    check.add_argument("pack", help=tr("pack id (shipped or in --packs, e.g. longgang-2015) or path to a .qr file"))
    check.add_argument("data", nargs="+", help=tr(".csv (UTF-8, GB18030, Big5 or UTF-16, detected), .xlsx or .parquet"))
    check.add_argument("--region", action="append",
                       help=tr("only this region (repeatable; default: 'region' in the configuration, else all)"))
    check.add_argument("--year", action="append", type=_year,
                       help=tr("only targets checked in this year (repeatable)"))
    check.add_argument("--as-of", metavar="YEAR",
                       help=tr("mid-term review: only data up to YEAR count; targets due later are pending, "
                               "each with an assessment (achieved, on track, at risk, off track, insufficient data)"))
    check.add_argument("--review-method", choices=["growth", "projection"],
                       help=tr("with --as-of: observed ÷ required annual change (growth, Eurostat; default) or "
                               "projected ÷ required progress (projection, UNSD)"))
    check.add_argument("--on-track", metavar="RATIO",
                       help=tr("with --as-of: progress ratio from which a target is on track (default 0.95, or "
                               "the pack's review clause)"))
    check.add_argument("--at-risk", metavar="RATIO",
                       help=tr("with --as-of: progress ratio from which a target is at risk, below it off track "
                               "(default 0.6 for growth, 0.10 for projection)"))
    check.add_argument("--format", choices=sorted(FORMATS), default="text", help=tr("output format (default: text)"))
    check.add_argument("--fail-on", choices=["warn", "unknown"],
                       help=tr("also exit 1 when an aspiration is missed (warn), or when a verdict is unknown"))
    check.add_argument("-o", "--output", metavar="FILE",
                       help=tr("write the report to this file instead of standard output"))
    check.add_argument("--encoding", help=tr("encoding of CSV data (default: detected)"))
    check.add_argument("--sheet", help=tr("worksheet of .xlsx data (default: the first visible one)"))
    check.add_argument("--header-row", type=int, metavar="N",
                       help=tr("the row of the header in CSV/xlsx data (default: found; a title row above it "
                               "is skipped)"))
    check.add_argument("--explain", nargs=3, metavar=("REGION", "YEAR", "INDICATOR"), action="append",
                       help=tr("also print how one verdict came about (YEAR may be '-' for every year)"))
    from .indicators import add_arguments as add_record_arguments

    add_record_arguments(check)   # raw records among the data files
    check.set_defaults(handler=cmd_check)


_VERDICT_STYLES = {"✗ FAIL": "fail", "! warn": "warn", "✓ pass": "pass"}


def _coloured(text: str) -> str:
    """The verdict marks of the text table in colour (applied after fitting: escapes take no columns)."""
    for mark, style in _VERDICT_STYLES.items():
        text = text.replace(f"  {mark}  ", f"  {paint(mark, style, True)}  ")
    return text


def _year(text: str) -> int:
    if not (text.isdigit() and len(text) == 4):
        raise argparse.ArgumentTypeError(render(tr("'{text}' is not a four-digit year", text=text)))
    return int(text)


def cmd_check(args: argparse.Namespace) -> int:
    from .. import evaluate
    from ..errors import Diagnostic, UsageError, write_file
    from .common import load, print_diagnostics

    for _, year, _ in args.explain or ():
        if year != "-" and not (year.isdigit() and len(year) == 4):
            raise UsageError(Diagnostic("QR301", tr("--explain: '{year}' is not a four-digit year or '-'", year=year)))

    pack = load(args, args.pack)
    regions = args.region or ([args.project.region] if args.project.region else None)
    options: dict[str, Any] = {}
    if args.encoding:
        options["encoding"] = args.encoding
    if args.sheet:
        options["sheet"] = args.sheet
    if args.header_row is not None:
        options["header_row"] = args.header_row
    from .indicators import prepare, read_hierarchy

    hierarchy = read_hierarchy(args)
    data: Any = prepare(pack, args, options, hierarchy)   # indicators computed from raw record files, if any
    review = {key: value for key, value in (("method", args.review_method), ("on_track", args.on_track),
                                            ("at_risk", args.at_risk)) if value is not None}
    if review and args.as_of is None:
        raise UsageError(Diagnostic("QR331", tr("--review-method, --on-track and --at-risk need --as-of"),
                                    suggestion=tr("add e.g. --as-of 2018")))
    report = evaluate(pack, data, regions=regions, years=args.year, as_of=args.as_of, review=review or None,
                      hierarchy=hierarchy, **options)
    if args.quiet and args.format == "text" and not args.output:
        summary = report.summary()
        print(render(tr("{pack}: {counts}", pack=pack.id, counts=", ".join(
            f"{summary[v]} {v}" for v in summary if v != "targets" and summary[v]))))
        print_diagnostics(report.warnings, sys.stderr)
        return int(report.exit_code(args.fail_on))
    width = output_width() if args.format == "text" and not args.output else None
    text = report.to_text(width=width) if args.format == "text" else FORMATS[args.format](report)
    if args.explain:
        explained = "\n\n".join(report.explain(region, None if year == "-" else int(year), indicator)
                                for region, year, indicator in args.explain)
        if args.format in ("text", "md"):
            text = text.rstrip("\n") + "\n\n" + explained + "\n"
        else:
            print(explained, file=sys.stderr)
    if args.output:
        write_file(args.output, text)
        summary = report.summary()
        counts = ", ".join(f"{summary[v]} {v}" for v in summary if v != "targets" and summary[v])
        print(render(tr("wrote {path}: {counts}", path=args.output, counts=counts)), file=sys.stderr)
    elif width is not None:
        from .common import emit

        emit(text, colour=_coloured if colour_enabled(sys.stdout, args.color) else None)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if args.output or args.format not in ("text", "md"):
        print_diagnostics(report.warnings, sys.stderr)   # the report on the terminal does not show them
    return int(report.exit_code(args.fail_on))
