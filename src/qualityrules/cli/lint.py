"""``qualityrules lint FILE...``: every diagnostic of pack or catalogue files; exit 1 on errors.

Formats: ``text`` (compiler-style, for people), ``json`` (a list of diagnostics), ``sarif``
(SARIF 2.1.0, for code-scanning services) and ``github`` (workflow commands that annotate the
lines of a pull request). ``--select``/``--ignore`` (and ``[tool.qualityrules.lint]``) filter
warnings by code or prefix; ``# noqa: CODE reason`` on a line silences a reviewed warning there.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import CODES, Diagnostic, Severity
from ..i18n import render, tr
from .common import EXIT_FAILED, EXIT_INPUT, EXIT_OK, catalogue, emit, print_diagnostics, search

VERSION = "0.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def cmd_lint(args: argparse.Namespace) -> int:
    from ..packs.resolve import lint_file
    from ..packs.suppressions import select

    chosen = [*args.project.select, *args.select]
    ignored = [*args.project.ignore, *args.ignore]
    everything: list[Diagnostic] = []
    catalogues = [*catalogue(args), *_catalogue_files(args.files)]
    for path in args.files:
        found = select(lint_file(path, search=search(args), catalogue=catalogues or None), chosen, ignored)
        everything.extend(found)
        if args.format == "text":
            shown = [d for d in found if d.severity is Severity.ERROR] if args.quiet else found
            print_diagnostics(shown, colour=args.color)
    errors = sum(d.severity is Severity.ERROR for d in everything)
    warnings = len(everything) - errors
    if args.format == "json":
        print(json.dumps([d.to_dict() for d in everything], ensure_ascii=False, indent=2))
    elif args.format == "sarif":
        print(json.dumps(sarif(everything), ensure_ascii=False, indent=2))
    elif args.format == "github":
        for diagnostic in everything:
            print(github_annotation(diagnostic))
    else:
        emit(render(tr("{files} file(s): {errors} error(s), {warnings} warning(s)", files=len(args.files),
                       errors=errors, warnings=warnings)) or "")
    if any(d.code in ("QR201", "QR202") for d in everything):
        return EXIT_INPUT  # a file that cannot be read is an input error, not a lint finding
    return EXIT_FAILED if errors else EXIT_OK


def _catalogue_files(files: Sequence[str]) -> list[Path]:
    """Catalogue files (indicators, no pack) among ``files``, e.g. the entries ``extract`` proposes:
    they join the catalogue of the packs linted with them."""
    from ..language.parse import parse_text
    from ..packs.resolve import catalogue_files, read_rule_text

    shipped = {p.resolve() for p in catalogue_files()}   # already the base of every extension
    found = []
    for name in files:
        if Path(name).resolve() in shipped:
            continue
        text, problem = read_rule_text(Path(name))
        if problem is None and text is not None:
            rule_file, _ = parse_text(text, source=name)
            if rule_file.indicators and not rule_file.packs:
                found.append(Path(name))
    return found


def _uri(name: str) -> str:
    path = Path(name)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def sarif(diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    """A SARIF 2.1.0 log of ``diagnostics`` (one run; the rules are the codes that occur)."""
    codes = sorted({d.code for d in diagnostics})
    results = []
    for d in diagnostics:
        result: dict[str, Any] = {
            "ruleId": d.code, "ruleIndex": codes.index(d.code),
            "level": "error" if d.severity is Severity.ERROR else "warning",
            "message": {"text": render(d.message) + (f"\n{render(tr('help: {suggestion}', suggestion=render(d.suggestion)))}"
                                                     if d.suggestion else "")},
        }
        if d.span is not None:
            span = d.span
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(span.source.name)},
                "region": {"startLine": span.line, "startColumn": span.column,
                           "endLine": span.end_line, "endColumn": max(span.end_column, span.column + 1),
                           "snippet": {"text": span.source.line_text(span.line)}},
            }}]
        results.append(result)
    rules = [{"id": code, "name": code, "shortDescription": {"text": CODES.get(code, code)},
              "helpUri": f"https://qualityrules.readthedocs.io/en/latest/diagnostics.html#{code.lower()}",
              "help": {"text": tr("qualityrules explain {code}", code=code)}} for code in codes]
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "qualityrules", "version": VERSION, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _escape(text: str, properties: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if properties else text


def github_annotation(d: Diagnostic) -> str:
    """A GitHub Actions workflow command (``::error file=…,line=…::message``) for one diagnostic."""
    kind = "error" if d.severity is Severity.ERROR else "warning"
    fields = []
    if d.span is not None:
        fields += [f"file={_escape(_uri(d.span.source.name), True)}", f"line={d.span.line}", f"col={d.span.column}",
                   f"endLine={d.span.end_line}", f"endColumn={d.span.end_column}"]
    fields.append(f"title={d.code}")
    message = render(d.message) + (f" ({render(d.suggestion)})" if d.suggestion else "")
    return f"::{kind} {','.join(fields)}::{_escape(message or '')}"


def register(commands: Any) -> None:
    lint = commands.add_parser("lint", help=tr("report every diagnostic of pack or catalogue files"),
                               description=tr("Report every diagnostic of pack or catalogue files. Catalogue files given "
                                              "together with packs (e.g. the indicators `extract` proposes) join the "
                                              "catalogue for those packs. Exit 0: no error; 1: an error; 2: a file "
                                              "cannot be read."))
    lint.add_argument("files", nargs="+", metavar="FILE", help=tr("pack or catalogue files (.qr)"))
    lint.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text",
                      help=tr("output format (default: text)"))
    lint.add_argument("--select", action="append", default=[], metavar="CODE",
                      help=tr("report only warnings with this code or prefix, e.g. QR1 (repeatable)"))
    lint.add_argument("--ignore", action="append", default=[], metavar="CODE",
                      help=tr("never report warnings with this code or prefix (repeatable); errors are always "
                              "reported"))
    lint.set_defaults(handler=cmd_lint)
