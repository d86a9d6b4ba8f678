"""Raw records on the command line: ``qualityrules check PACK FILE...`` where some files hold raw
monitoring records, and ``qualityrules indicators PACK RECORDS...`` to print the indicator table.

A file (or a directory of Parquet files) holds records of a table when its name starts with the
table's name as the catalogue writes it in ``from``: ``wastewater.csv``, ``wastewater-2015.csv``,
``air_daily.parquet``, ``air_daily/``. ``--records TABLE=PATH`` names the table explicitly. Other
files are indicator data as before. Imports nothing heavy until a command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..i18n import tr

if TYPE_CHECKING:
    from ..records.plan import RecordPlan

__all__ = ["add_arguments", "prepare", "register"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The record options of ``check`` and ``indicators``."""
    group = parser.add_argument_group(
        tr("raw records"), tr("files named after a records table of the catalogue (wastewater.csv, air_daily.parquet, "
                              "a directory of Parquet files) are raw records: the pack's indicators defined from them "
                              "are computed first"))
    group.add_argument("--records", action="append", default=[], metavar="TABLE=PATH",
                       help=tr("records of TABLE in PATH (CSV, Parquet file or directory); repeatable"))
    group.add_argument("--hierarchy", metavar="CSV",
                       help=tr("region hierarchy: columns child,parent, or one column per level from the finest "
                               "(station,district,city,province); values are also computed for every ancestor"))
    group.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help=tr("show progress on stderr while reading records (default: when stderr is a terminal)"))
    group.add_argument("--dask", action="store_true",
                       help=tr("read Parquet records with Dask (partition by partition; uses the local scheduler "
                               "unless a dask.distributed client is active)"))


def _records(pack: Any, paths: list[str], explicit: list[str]) -> tuple[RecordPlan, dict[str, list[str]], list[str]]:
    """(the pack's record plan, table → record paths, remaining indicator-data paths)."""
    from ..errors import Diagnostic, UsageError
    from ..language.text import normalize
    from ..records.compute import table_of_path
    from ..records.plan import compile_plan

    plan = compile_plan(pack)
    found: dict[str, list[str]] = {}
    for item in explicit:
        table, _, path = item.partition("=")
        if not path or normalize(table) not in plan.tables:
            raise UsageError(Diagnostic(
                "QR301", tr("--records {item}: expected TABLE=PATH with TABLE one of: {tables}", item=item,
                            tables=", ".join(plan.tables) or tr("none"))))
        found.setdefault(normalize(table), []).append(path)
    others: list[str] = []
    for path in paths:
        match = table_of_path(Path(path), plan.tables)
        if match is None:
            others.append(path)
        else:
            found.setdefault(match, []).append(path)
    return plan, found, others


def read_hierarchy(args: argparse.Namespace) -> Any:
    """The region hierarchy of ``--hierarchy``, or None."""
    if not args.hierarchy:
        return None
    from ..records.hierarchy import Hierarchy

    return Hierarchy.read(args.hierarchy)


def _compute(plan: RecordPlan, tables: dict[str, list[str]], args: argparse.Namespace, hierarchy: Any) -> Any:
    from ..records.compute import compute_indicators

    progress = args.progress if args.progress is not None else sys.stderr.isatty()
    records = {t: (ps[0] if len(ps) == 1 else ps) for t, ps in tables.items()}
    return compute_indicators(plan, records, hierarchy=hierarchy, progress=progress,
                              encoding=getattr(args, "encoding", None), backend="dask" if args.dask else "numpy")


def prepare(pack: Any, args: argparse.Namespace, load_options: dict[str, Any], hierarchy: Any = None) -> Any:
    """What ``check`` evaluates: ``args.data`` unchanged when no file holds records; otherwise the
    indicators computed from the records together with the other files' indicator data."""
    plan, tables, others = _records(pack, list(args.data), list(args.records))
    if not tables:
        return args.data[0] if len(args.data) == 1 else list(args.data)
    from ..errors import Diagnostic, UsageError
    from ..tables.observations import concat, load

    if not others and load_options.get("sheet") is not None:
        raise UsageError(Diagnostic(
            "QR301", tr("--sheet '{sheet}' names a worksheet of indicator data, but every data file holds records "
                        "({files})", sheet=load_options["sheet"], files=", ".join(args.data)),
            suggestion=tr("leave out --sheet: a workbook of records is read from its first visible sheet")))
    parts = [load(others, pack.catalogue, **load_options)] if others else []
    parts.append(_compute(plan, tables, args, hierarchy).observations(pack.catalogue))
    return concat(parts)


def cmd_indicators(args: argparse.Namespace) -> int:
    from ..errors import Diagnostic, UsageError, write_file
    from .common import load

    pack = load(args, args.pack)
    if args.schema:
        sys.stdout.write(schema_text(pack))
        return 0
    plan, tables, others = _records(pack, list(args.records_files), list(args.records))
    if others:
        raise UsageError(Diagnostic("QR301", tr("not named after a records table of the pack: {files}",
                                                files=", ".join(others)),
                                    suggestion=tr("name record files after their table, or use --records TABLE=PATH")))
    if not tables:
        raise UsageError(Diagnostic("QR301", tr("no records given"),
                                    suggestion=tr("give record files or --records TABLE=PATH")))
    text = _compute(plan, tables, args, read_hierarchy(args)).to_csv()
    if args.output:
        write_file(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def schema_text(pack: Any) -> str:
    """The records tables a pack's indicators read, each column with its inferred kind."""
    from ..records.plan import compile_plan

    plan = compile_plan(pack)
    lines = []
    for table in plan.tables:
        users = sorted({i.name for i in plan.indicators if plan.groupings[i.grouping].table == table})
        lines.append(f"{table}  ({', '.join(users)})")
        lines.extend(f"    {column:<20} {kind}" for column, kind in plan.schema(table).items())
    return "\n".join(lines) + "\n" if lines else str(tr("the pack defines no indicator from records").render()) + "\n"


def register(commands: Any) -> None:
    """``qualityrules indicators``: the indicator table computed from raw records, as CSV."""
    parser = commands.add_parser(
        "indicators", help=tr("compute a pack's indicators from raw records (CSV out)"),
        description=tr("Compute the indicators a pack defines from raw records and print them as CSV: region, year, "
                       "indicator, value (empty when unknown), unit, records, min_records, sufficient."))
    parser.add_argument("pack", help=tr("pack id (shipped or in --packs) or path to a .qr file"))
    parser.add_argument("records_files", nargs="*", metavar="RECORDS",
                        help=tr("record files named after their table (wastewater.csv, air_daily.parquet, air_daily/)"))
    parser.add_argument("-o", "--output", metavar="FILE", help=tr("write the CSV to this file"))
    parser.add_argument("--schema", action="store_true",
                        help=tr("print the records tables and columns the pack's indicators read, then exit"))
    parser.add_argument("--encoding", help=tr("encoding of CSV records (default: detected, UTF-8 or GB18030)"))
    add_arguments(parser)
    parser.set_defaults(handler=cmd_indicators)
