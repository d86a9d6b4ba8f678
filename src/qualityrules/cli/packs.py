"""``qualityrules packs``: the packs that ids name, in ``--packs`` directories and shipped."""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import render, tr
from ..terminal import output_width, table
from .common import EXIT_OK, catalogue, emit, search


def cmd_packs(args: argparse.Namespace) -> int:
    from ..packs.resolve import load_pack, pack_ids

    rows = [(render(tr("id")), render(tr("level")), render(tr("region")), render(tr("own")),
             render(tr("effective")), render(tr("name")))]
    for pack_id, path in pack_ids(search(args)).items():
        pack = load_pack(path, search=search(args), catalogue=catalogue(args) or None)
        rows.append((pack_id, pack.level.value if pack.level else "-", pack.region or "-", str(len(pack.own_rules)),
                     str(len(pack.rules)), pack.name or ""))
    emit("\n".join(table(rows, output_width(), indent="")))
    return EXIT_OK


def register(commands: Any) -> None:
    packs = commands.add_parser("packs", help=tr("list the packs: those in --packs directories, then the shipped ones"),
                                description=tr("List the packs pack ids can name: the ones in --packs directories "
                                               "(and 'packs' in the configuration), then the shipped ones; with "
                                               "their own and effective (own plus inherited) target counts."))
    packs.set_defaults(handler=cmd_packs)
