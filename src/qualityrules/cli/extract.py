"""``qualityrules extract PLAN.txt``: a draft rule pack from a plan's text, every target cited.

Without ``-o`` the draft goes to standard output and the summary to standard error; with ``-o``
the draft and its proposed catalogue (``<stem>.catalogue.qr``) are written and the summary is
printed. ``--diff PACK`` compares the draft with an existing pack instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import Diagnostic, UsageError
from ..i18n import render, tr
from .common import EXIT_FAILED, EXIT_OK, catalogue, print_diagnostics, search


def cmd_extract(args: argparse.Namespace) -> int:
    from ..extraction.draft import catalogue_path, extract_plan
    from ..extraction.reading import read_plan
    from ..packs.resolve import as_catalogue

    draft = extract_plan(read_plan(args.plan), pack_id=args.id or _id_from(args.output), region=args.region,
                         level=args.level, period=args.period, extends=args.extends or (),
                         catalogue=as_catalogue(catalogue(args)), search=search(args))
    if args.diff:
        comparison = draft.diff(args.diff)
        print(comparison.to_json() if args.format == "json" else comparison.to_text(), end="" if args.format
              != "json" else "\n")
        return EXIT_OK
    if args.format == "json":
        print(json.dumps({"pack": draft.pack_id, "period": draft.period, "document": draft.facts.reference,
                          "draft": draft.text, "catalogue": draft.catalogue_text,
                          "candidates": [c.to_dict() for c in draft.candidates],
                          "lint": [d.to_dict() for d in draft.lint]}, ensure_ascii=False, indent=2))
    elif args.output:
        pack_file, catalogue_file = draft.write(_writable(args.output))
        print(render(tr("wrote {pack} and {catalogue}", pack=pack_file, catalogue=catalogue_file) if catalogue_file
                     else tr("wrote {path}", path=pack_file)))
        print(draft.summary(), end="")
        files = f"{pack_file} {catalogue_file}" if catalogue_file else str(pack_file)
        print(render(tr("next: review the '# review:' lines, then: qualityrules lint {files}", files=files)))
    else:
        print(draft.text, end="")
        print(draft.summary(), end="", file=sys.stderr)
        if draft.proposed:
            print(render(tr("{count} proposed indicator(s) are written only with -o (next to the draft, as {name})",
                            count=len(draft.proposed), name=catalogue_path(Path("draft.qr")).name)), file=sys.stderr)
    if args.verbose:
        print_diagnostics(draft.reviews, sys.stderr)
    return EXIT_FAILED if any(d.severity.value == "error" for d in draft.lint) else EXIT_OK


def _id_from(output: str | None) -> str | None:
    """A pack id must match its file name: ``-o longgang-2025.qr`` drafts ``longgang-2025``."""
    if not output:
        return None
    from ..extraction.draft import _ID

    stem = Path(output).stem
    return stem if _ID.fullmatch(stem) else None


def _writable(output: str) -> Path:
    path = Path(output)
    if path.is_dir() or not path.parent.is_dir():
        raise UsageError(Diagnostic("QR301", tr("cannot write the draft to {output}", output=output),
                                    suggestion=tr("give -o a file name in an existing folder, e.g. -o draft.qr")))
    if path.suffix != ".qr":
        raise UsageError(Diagnostic("QR301", tr("{output} is not a .qr file name", output=output), suggestion=tr("e.g. -o draft.qr")))
    return path


def register(commands: Any) -> None:
    extract = commands.add_parser(
        "extract", help="draft a rule pack from a plan's text, every target cited",
        description="Draft a rule pack from a plan's plain text (UTF-8 or GB18030, simplified or "
                    "traditional). Every target becomes a rule citing '文号 section: verbatim phrase'; "
                    "indicators the catalogue lacks are proposed next to the draft; doubtful readings "
                    "carry '# review:' lines. The draft lints with no errors together with its proposed "
                    "catalogue.")
    extract.add_argument("plan", help="the plan as a plain-text file")
    extract.add_argument("--id", help="pack id (default: the -o file name, else draft-<end year>)")
    extract.add_argument("--region", help="the region the plan is for (default: read from the text)")
    extract.add_argument("--level", choices=["nation", "province", "city", "district"],
                         help="the issuer's level (default: read from the text)")
    extract.add_argument("--period", help="the plan period, e.g. 2021..2025 (default: read from the text)")
    extract.add_argument("--extends", action="append", metavar="PARENT",
                         help="parent pack id or .qr path (repeatable)")
    extract.add_argument("-o", "--output", help="write the draft here and its proposed catalogue next to it")
    extract.add_argument("--diff", metavar="PACK", help="compare the draft with this pack (id or .qr path)")
    extract.add_argument("--format", choices=["text", "json"], default="text")
    extract.add_argument("-v", "--verbose", action="store_true",
                         help="also print every reading to review, located in the plan")
    extract.set_defaults(handler=cmd_extract)
