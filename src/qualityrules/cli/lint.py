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
from ..language.model import RuleFile
from .common import EXIT_FAILED, EXIT_INPUT, EXIT_OK, catalogue, emit, print_diagnostics, search

VERSION = "0.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
Parsed = tuple[RuleFile, tuple[Diagnostic, ...]]  # a file's model and its diagnostics, as parse_text returns them


def cmd_lint(args: argparse.Namespace) -> int:
    from ..packs.resolve import lint_text
    from ..packs.suppressions import select

    chosen = [*args.project.select, *args.select]
    ignored = [*args.project.ignore, *args.ignore]
    everything: list[Diagnostic] = []
    files = _parsed(args.files)
    catalogues = [*catalogue(args), *_catalogue_files(files)]
    for path in args.files:
        text, parsed = files[path]
        linted = lint_text(text, str(Path(path)), search=search(args), catalogue=catalogues or None, parsed=parsed) \
            if isinstance(parsed, tuple) else [parsed]
        found = select(linted, chosen, ignored)
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


def _parsed(files: Sequence[str]) -> dict[str, tuple[str, Parsed | Diagnostic]]:
    """Each file's text and parse (what lint reads), or why it cannot be read: a file is parsed once."""
    from ..language.parse import parse_text
    from ..packs.resolve import read_rule_text

    parsed: dict[str, tuple[str, Parsed | Diagnostic]] = {}
    for name in files:
        text, problem = read_rule_text(Path(name))
        if text is None:
            assert problem is not None
            parsed[name] = ("", problem)
        else:
            parsed[name] = (text, parse_text(text, source=str(Path(name))))
    return parsed


def _catalogue_files(files: dict[str, tuple[str, Parsed | Diagnostic]]) -> list[Path]:
    """Catalogue files (indicators, no pack) among ``files``, e.g. the entries ``extract`` proposes:
    they join the catalogue of the packs linted with them."""
    from ..packs.resolve import catalogue_files

    shipped = {p.resolve() for p in catalogue_files()}   # already the base of every extension
    found = []
    for name, (_, parsed) in files.items():
        if not isinstance(parsed, tuple) or Path(name).resolve() in shipped:   # unread (a symlink loop): not resolved
            continue
        rule_file, _ = parsed
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
