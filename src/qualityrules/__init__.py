"""qualityrules: numeric targets of Chinese quality-development plans as code.

The public API is what this module exports; every other module is private. Heavy modules
(Lark, pint, numpy) load on first use, so ``import qualityrules`` stays fast.

>>> import qualityrules
>>> rule = qualityrules.parse_rule("工业废水达标排放率 达到95%以上")
>>> rule.target.op.value, str(rule.target.quantity.value), rule.target.quantity.unit
('>=', '95', '%')
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    DataError,
    Diagnostic,
    PackError,
    QualityRulesError,
    RuleSyntaxError,
    Severity,
    UnitError,
    UnknownIndicatorError,
    UsageError,
)
from .model import (
    Approximately,
    Between,
    Change,
    Citation,
    Comparator,
    Comparison,
    Cumulative,
    Direction,
    EveryYear,
    Indicator,
    Level,
    PackDefinition,
    Quantity,
    Rule,
    Strength,
    TargetYear,
)

if TYPE_CHECKING:
    from .comparison import Binding, PackComparison
    from .records import Hierarchy, IndicatorTable
    from .report import Report
    from .resolve import Catalogue, Pack

__version__ = "0.1.0"

__all__ = [
    "parse_rule", "parse_pack", "load_pack", "load_catalogue", "shipped_packs", "format_model",
    "lint", "Pack", "Catalogue", "compare", "binding", "PackComparison", "Binding",
    "evaluate", "Report", "compute_indicators", "check_records", "IndicatorTable", "Hierarchy",
    "QualityRulesError", "RuleSyntaxError", "UnitError", "UnknownIndicatorError", "PackError",
    "DataError", "UsageError", "Diagnostic", "Severity",
    "Rule", "Quantity", "Comparison", "Between", "Approximately", "Change", "TargetYear",
    "EveryYear", "Cumulative", "Citation", "Comparator", "Strength", "Level", "Direction",
    "Indicator", "PackDefinition",
]


def parse_rule(text: str) -> Rule:
    """Parse one rule line, e.g. ``"PM2.5年均浓度 控制在33微克/立方米以下"``."""
    from .parse import parse_rule_text

    return parse_rule_text(text)


def parse_pack(text: str, *, source: str = "<string>", search: tuple[str | Path, ...] = ()) -> Pack:
    """Parse pack text and resolve it: catalogue binding, units, lineage (parents are looked up
    in ``search`` and then among the shipped packs)."""
    from .resolve import resolve_text

    return resolve_text(text, source=source, search=search)


def load_pack(id_or_path: str | Path, *, search: tuple[str | Path, ...] = ()) -> Pack:
    """A shipped pack by id (``"longgang-2015"``) or a ``.qr`` file by path, lineage resolved."""
    from .resolve import load_pack as _load_pack

    return _load_pack(id_or_path, search=search)


def load_catalogue(*paths: str | Path) -> Catalogue:
    """The shipped indicator catalogue (or one read from ``paths``)."""
    from .resolve import load_catalogue as _load_catalogue

    return _load_catalogue(paths or None)


def shipped_packs() -> list[str]:
    """Ids of the packs shipped in ``rules/packs``."""
    from .resolve import shipped_pack_ids

    return shipped_pack_ids()


def format_model(obj: Any) -> str:
    """Canonical text for any model object (``parse(format_model(x)) == x``)."""
    from .format import format_model as _format

    return _format(obj)


def lint(path: str | Path) -> list[Diagnostic]:
    """Every diagnostic of a pack or catalogue file (errors and warnings), never raising."""
    from .resolve import lint_file

    return lint_file(path)


def compare(*packs: Pack | str | Path) -> PackComparison:
    """Compare packs (objects, shipped ids or paths): per indicator the threshold each pack holds
    and which is strictest; what each child adds, drops, tightens or loosens against its parent."""
    from .comparison import compare as _compare

    return _compare(*packs)


def binding(pack: Pack | str | Path, indicator: str, year: int, region: str | None = None) -> Binding | None:
    """The strictest target in force for ``indicator`` in ``year`` (own and inherited, for
    ``region``, default the pack's), with its origin pack, level and citation; None if none."""
    from .comparison import binding as _binding

    return _binding(pack, indicator, year, region)


def evaluate(pack: Pack | str | Path, data: Any, **options: Any) -> Report:
    """Check ``data`` against ``pack`` (a pack object, shipped id or ``.qr`` path). ``data``: a
    pandas/polars/pyarrow table, a dict of arrays, or a .csv/.xlsx/.parquet path, in wide form
    (region, year, one column per indicator) or long form (region, year, indicator, value[, unit]).
    Options: ``region``/``regions``, ``year``/``years``, ``encoding``, ``sheet``, ``form``,
    ``region_column``, ``year_column``, ``ignore_columns``. The pack compiles once per pack object."""
    from .evaluation import evaluate as _evaluate

    report: Report = _evaluate(pack, data, **options)
    return report


def compute_indicators(pack: Pack | str | Path, records: Any, **options: Any) -> IndicatorTable:
    """The indicators a pack defines from raw records (catalogue ``from``/``value`` definitions),
    per region and year, from ``records``: ``{table: source}`` or files named after their table
    (``wastewater.csv``, ``air_daily.parquet``), a source being a CSV/Parquet path, a Parquet
    directory, a pandas/polars/Arrow table, a dict of arrays, or an iterable of those. Options:
    ``hierarchy`` (child → parent regions), ``chunk_rows``, ``threads``, ``encoding``,
    ``progress``, ``backend="dask"`` (with ``scheduler``). See :mod:`qualityrules.records`."""
    from .records import compute_indicators as _compute

    return _compute(load_pack(pack) if isinstance(pack, (str, Path)) else pack, records, **options)


def check_records(pack: Pack | str | Path, records: Any, **options: Any) -> Report:
    """:func:`compute_indicators`, then :func:`evaluate` of the result (with indicator ``data=``
    too, if given): the report for targets whose indicators come from raw records."""
    from .records import check_records as _check

    report: Report = _check(pack, records, **options)
    return report


def __getattr__(name: str) -> Any:
    if name in ("IndicatorTable", "Hierarchy"):
        from . import records

        return getattr(records, name)
    if name in ("PackComparison", "Binding"):
        from . import comparison

        return getattr(comparison, name)
    if name == "Report":
        from . import report

        return report.Report
    if name in ("Pack", "Catalogue"):
        from . import resolve

        return getattr(resolve, name)
    raise AttributeError(f"module 'qualityrules' has no attribute {name!r}")
