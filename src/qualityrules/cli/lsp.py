"""``qualityrules lsp``: the language server on standard input and output (the ``lsp`` extra)."""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import tr
from .common import EXIT_OK, catalogue, search


def cmd_lsp(args: argparse.Namespace) -> int:
    from ..lsp.server import serve

    serve(search=search(args), catalogue=catalogue(args), config=args.project)
    return EXIT_OK


def register(commands: Any) -> None:
    lsp = commands.add_parser("lsp", help=tr("run the language server (for editors) on standard input/output"),
                              description=tr("Run the language server for .qr files on standard input and output: "
                                             "diagnostics as you type, hover, completion, go to definition, "
                                             "formatting and quick fixes. Needs the 'lsp' extra."))
    lsp.set_defaults(handler=cmd_lsp)
