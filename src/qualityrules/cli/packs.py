"""``qualityrules packs``: the shipped packs."""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_OK


def cmd_packs(args: argparse.Namespace) -> int:
    from ..packs.resolve import load_pack, shipped_pack_ids

    for pack_id in shipped_pack_ids():
        pack = load_pack(pack_id)
        print(f"{pack_id:<16} {pack.level.value if pack.level else '-':<9} {pack.region or '-':<6} "
              f"{len(pack.own_rules):>3} own / {len(pack.rules):>3} effective targets  {pack.name or ''}")
    return EXIT_OK


def register(commands: Any) -> None:
    packs = commands.add_parser("packs", help="list the shipped packs")
    packs.set_defaults(handler=cmd_packs)
