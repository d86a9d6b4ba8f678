"""``qualityrules lint FILE...``: every diagnostic of pack or catalogue files; exit 1 on errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Diagnostic, Severity
from .common import EXIT_FAILED, EXIT_OK, print_diagnostics

if TYPE_CHECKING:
    from ..language.model import Indicator
    from ..packs.resolve import Catalogue


def cmd_lint(args: argparse.Namespace) -> int:
    from ..packs.resolve import lint_file

    catalogue = _with_catalogue_files(args.files)
    everything: list[Diagnostic] = []
    for path in args.files:
        found = lint_file(path, catalogue=catalogue)
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


def _with_catalogue_files(files: list[str]) -> Catalogue | None:
    """Catalogue files among ``files`` (indicators, no pack: e.g. the entries ``extract`` proposes)
    join the shipped catalogue for the packs linted with them; None when there are none."""
    from ..language.parse import parse_text
    from ..packs.resolve import Catalogue, catalogue_with, load_catalogue, read_rule_text

    extra: list[Indicator] = []
    for name in files:
        text, problem = read_rule_text(Path(name))
        if problem is not None or text is None:
            continue
        rule_file, _ = parse_text(text, source=name)
        if rule_file.indicators and not rule_file.packs:
            extra.extend(rule_file.indicators)
    if not extra:
        return None
    catalogue, _ = catalogue_with(load_catalogue(), extra)  # duplicates are reported on the catalogue file
    assert isinstance(catalogue, Catalogue)
    return catalogue


def register(commands: Any) -> None:
    lint = commands.add_parser("lint", help="report every diagnostic of pack or catalogue files",
                               description="Report every diagnostic of pack or catalogue files. Catalogue "
                                           "files given together with packs (e.g. the indicators `extract` "
                                           "proposes) join the shipped catalogue for those packs.")
    lint.add_argument("files", nargs="+")
    lint.add_argument("--format", choices=["text", "json"], default="text")
    lint.set_defaults(handler=cmd_lint)
