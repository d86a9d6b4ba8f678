"""``qualityrules new ID --extends PARENT --region R --level L [--period A..B]``: a new pack file
with its header, and the parent's targets that bind the new region as comments, to restate (with
your own citation), tighten (``override``) or leave to inheritance."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import Diagnostic, UsageError
from ..i18n import render, tr
from .common import EXIT_OK, catalogue, search


def scaffold(pack_id: str, parent: Any, region: str, level: str, period: tuple[int, int] | None,
             name: str | None = None, source: str | None = None) -> str:
    """The text of a new pack ``pack_id`` extending the resolved pack ``parent``: canonical form
    (``qualityrules fmt`` leaves it as it is), the parent's targets listed per section as comments."""
    import attrs

    from ..language.format import format_name, rule_body
    from ..language.text import quote
    from ..packs.resolve import extensive

    start, end = period or ((parent.period.start, parent.period.end) if parent.period else (None, None))
    lines = [f"pack {pack_id} extends {parent.id} {{"]
    if name:
        lines.append(f"    name      {quote(name)}")
    if source:
        lines.append(f"    source    {quote(source)}")
    lines += [f"    region    {format_name(region)}", f"    level     {level}"]
    if start is not None and end is not None:
        lines.append(f"    period    {start}..{end}")
    sections: dict[str, list[str]] = {}
    for rule in parent.rules:
        if extensive(rule.indicator) and rule.region != region:
            continue  # a total or a rank of another region does not bind this one
        if start is not None and end is not None and not any(start <= y <= end for y in rule.years):
            continue
        where = f"{rule.origin} ({rule.level.value if rule.level else '-'})"
        cite = f", {rule.citation}" if rule.citation else ""
        section = _section_of(parent, rule) or render(tr("targets"))
        restated = attrs.evolve(rule.rule, override=False)  # the parent's own 'override' is not the child's
        sections.setdefault(section, []).append(f"    #   {rule_body(restated)}    # {where}{cite}")
    if not sections:
        sections[render(tr("targets"))] = []
    for section, listed in sections.items():
        lines.append("")
        if listed:
            lines.append("    # " + render(tr("{parent}: targets in force here; restate one with your own cite, "
                                              "tighten it with 'override', or leave it inherited", parent=parent.id)))
            lines.extend(listed)
        lines += [f"    section {format_name(section)} {{", "    }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _section_of(pack: Any, rule: Any) -> str | None:
    for owner in pack.lineage():
        for section in owner.definition.sections:
            if any(r is rule.rule for r in section.rules):
                return str(section.name)
    return None


def _period(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})\.\.(\d{4})", text)
    if not match or int(match.group(1)) > int(match.group(2)):
        raise argparse.ArgumentTypeError(render(tr("'{text}' is not a period like 2021..2025", text=text)))
    return int(match.group(1)), int(match.group(2))


def cmd_new(args: argparse.Namespace) -> int:
    from ..packs.resolve import load_pack

    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", args.id):
        raise UsageError(Diagnostic("QR301", tr("'{id}' is not a pack id", id=args.id),
                                    suggestion=tr("lower-case ascii words joined by '-', e.g. pingshan-2025")))
    region = args.region or args.project.region
    level = args.level or args.project.level
    missing = [option for option, value in (("--region", region), ("--level", level)) if not value]
    if missing:
        raise UsageError(Diagnostic("QR301", tr("new needs {options} (or 'region'/'level' in the configuration)",
                                                options=" ".join(missing))))
    assert region is not None and level is not None
    parent = load_pack(args.extends, search=search(args), catalogue=catalogue(args) or None)
    folder = search(args)[0] if search(args) else Path.cwd()
    path = Path(args.output) if args.output else folder / f"{args.id}.qr"
    if path.exists() and not args.force:
        raise UsageError(Diagnostic("QR312", tr("{path} already exists", path=str(path)),
                                    suggestion=tr("choose another id or -o FILE, or pass --force to overwrite")))
    text = scaffold(args.id, parent, region, level, args.period, args.name, args.source)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if not args.quiet:
        listed = sum(line.startswith("    #   ") for line in text.splitlines())
        print(render(tr("wrote {path}: {count} target(s) of {parent} listed as comments", path=str(path),
                        count=listed, parent=parent.id)), file=sys.stderr)
    return EXIT_OK


def register(commands: Any) -> None:
    from ..language.model import Level

    new = commands.add_parser("new", help=tr("start a new pack that extends another"),
                              description=tr("Write a new pack file: its header, and the parent's targets that bind "
                                             "the new region, as comments to restate, tighten or leave."))
    new.add_argument("id", help=tr("id of the new pack, e.g. pingshan-2025"))
    new.add_argument("--extends", required=True, metavar="PARENT",
                     help=tr("the pack it extends (id or path)"))
    new.add_argument("--region", help=tr("its region (default: 'region' in the configuration)"))
    new.add_argument("--level", choices=[lv.value for lv in Level],
                     help=tr("its level (default: 'level' in the configuration)"))
    new.add_argument("--period", type=_period, metavar="A..B", help=tr("its period (default: the parent's)"))
    new.add_argument("--name", help=tr("the document's title"))
    new.add_argument("--source", help=tr("the document's number, e.g. 深坪府〔2021〕1号"))
    new.add_argument("-o", "--output", metavar="FILE",
                     help=tr("where to write it (default: ID.qr in the first --packs directory, else here)"))
    new.add_argument("--force", action="store_true", help=tr("overwrite an existing file"))
    new.set_defaults(handler=cmd_new)
