"""The ``qualityrules`` command. User errors print a diagnostic, never a traceback.

Exit codes: 0 success (no binding target failed, no lint error); 1 a binding target failed or
lint found errors or fmt --check found a change; 2 usage or input error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import Diagnostic, QualityRulesError, Severity

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error[QR301]: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _print_diagnostics(diagnostics: Sequence[Diagnostic], stream: object = None) -> None:
    out = stream or sys.stdout
    for diagnostic in diagnostics:
        print(diagnostic.render(), file=out)  # type: ignore[arg-type]


def cmd_lint(args: argparse.Namespace) -> int:
    from .resolve import lint_file

    everything: list[Diagnostic] = []
    for path in args.files:
        found = lint_file(path)
        everything.extend(found)
        if args.format == "text":
            _print_diagnostics(found)
    errors = sum(d.severity is Severity.ERROR for d in everything)
    warnings = len(everything) - errors
    if args.format == "json":
        print(json.dumps([d.to_dict() for d in everything], ensure_ascii=False, indent=2))
    else:
        print(f"{len(args.files)} file(s): {errors} error(s), {warnings} warning(s)")
    return EXIT_FAILED if errors else EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    from .errors import raise_errors
    from .format import format_file
    from .parse import parse_text
    from .resolve import read_rule_text

    changed = 0
    for name in args.files:
        path = Path(name)
        text, problem = read_rule_text(path)
        if problem is not None:
            raise QualityRulesError(problem)
        assert text is not None
        rule_file, diagnostics = parse_text(text, source=str(path))
        raise_errors(diagnostics)
        formatted = format_file(rule_file)
        if formatted != text:
            changed += 1
        if args.check:
            if formatted != text:
                print(f"would reformat {path}")
        elif args.in_place:
            if formatted != text:
                path.write_text(formatted, encoding="utf-8")
                print(f"reformatted {path}", file=sys.stderr)
        else:
            sys.stdout.write(formatted)
    return EXIT_FAILED if args.check and changed else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .resolve import load_pack

    pack = load_pack(args.pack)
    text = json.dumps(pack.to_dict(), ensure_ascii=False, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return EXIT_OK


def cmd_packs(args: argparse.Namespace) -> int:
    from .resolve import load_pack, shipped_pack_ids

    for pack_id in shipped_pack_ids():
        pack = load_pack(pack_id)
        print(f"{pack_id:<16} {pack.level.value if pack.level else '-':<9} {pack.region or '-':<6} "
              f"{len(pack.own_rules):>3} own / {len(pack.rules):>3} effective targets  {pack.name or ''}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qualityrules", description="Check statistics against the numeric targets "
                     "of Chinese quality-development plans.")
    parser.add_argument("--version", action="version", version="qualityrules 0.1.0")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    lint = commands.add_parser("lint", help="report every diagnostic of pack or catalogue files")
    lint.add_argument("files", nargs="+")
    lint.add_argument("--format", choices=["text", "json"], default="text")
    lint.set_defaults(handler=cmd_lint)

    fmt = commands.add_parser("fmt", help="print (or rewrite) files in canonical form")
    fmt.add_argument("files", nargs="+")
    mode = fmt.add_mutually_exclusive_group()
    mode.add_argument("-i", "--in-place", action="store_true", help="rewrite the files")
    mode.add_argument("--check", action="store_true", help="exit 1 if a file is not formatted")
    fmt.set_defaults(handler=cmd_fmt)

    export = commands.add_parser("export", help="export a pack's targets")
    export.add_argument("pack", help="shipped pack id or path to a .qr file")
    export.add_argument("--format", choices=["json"], default="json")
    export.add_argument("-o", "--output")
    export.set_defaults(handler=cmd_export)

    packs = commands.add_parser("packs", help="list the shipped packs")
    packs.set_defaults(handler=cmd_packs)

    for module, function in SUBCOMMANDS:
        getattr(importlib.import_module(f"{__package__}.{module}"), function)(commands)
    return parser


# Subcommands defined next to the stage they drive: (module, function that adds the subparser).
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("check_command", "register"),   # check
    ("comparison", "register_cli"),  # diff
    ("records_cli", "register"),     # indicators
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except QualityRulesError as error:
        _print_diagnostics(error.diagnostics, sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
