"""``qualityrules export PACK --format json``: one object per target (``schemas/pack-export.schema.json``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import write_file
from ..i18n import tr
from .common import EXIT_OK, load


def cmd_export(args: argparse.Namespace) -> int:
    pack = load(args, args.pack)
    text = json.dumps(pack.to_dict(), ensure_ascii=False, indent=2)
    if args.output:
        write_file(args.output, text + "\n")
    else:
        print(text)
    return EXIT_OK


def register(commands: Any) -> None:
    export = commands.add_parser("export", help=tr("export a pack's targets"),
                                 description=tr("Export a pack's targets, own and inherited, one object per "
                                                "target (schemas/pack-export.schema.json)."))
    export.add_argument("pack", help=tr("pack id (shipped or in --packs) or path to a .qr file"))
    export.add_argument("--format", choices=["json"], default="json", help=tr("output format (default: json)"))
    export.add_argument("-o", "--output", metavar="FILE", help=tr("write to this file instead of standard output"))
    export.set_defaults(handler=cmd_export)
