"""``qualityrules export PACK --format json``: one object per target (``schemas/pack-export.schema.json``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import EXIT_OK, write_output


def cmd_export(args: argparse.Namespace) -> int:
    from ..packs.resolve import load_pack

    pack = load_pack(args.pack)
    text = json.dumps(pack.to_dict(), ensure_ascii=False, indent=2)
    if args.output:
        write_output(args.output, text + "\n")
    else:
        print(text)
    return EXIT_OK


def register(commands: Any) -> None:
    export = commands.add_parser("export", help="export a pack's targets")
    export.add_argument("pack", help="shipped pack id or path to a .qr file")
    export.add_argument("--format", choices=["json"], default="json")
    export.add_argument("-o", "--output")
    export.set_defaults(handler=cmd_export)
