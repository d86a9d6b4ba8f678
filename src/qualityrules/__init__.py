"""qualityrules: numeric targets of Chinese quality-development plans as code.

The public API is what this module exports; every other module is private. Heavy modules
(Lark, pint, numpy) load on first use, so ``import qualityrules`` stays fast.

>>> import qualityrules
>>> rule = qualityrules.parse_rule("工业废水达标排放率 达到95%以上")
>>> rule.target.op.value, str(rule.target.quantity.value), rule.target.quantity.unit
('>=', '95', '%')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
    optional_dependencies,
)
from .language.model import (
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
    from .extraction.draft import Draft
    from .packs.comparison import Binding, PackComparison
    from .packs.resolve import Catalogue, Pack
    from .records.hierarchy import Hierarchy
    from .records.table import IndicatorTable
    from .report.report import Report

__version__ = "0.1.0"

__all__ = [
    "parse_rule", "parse_pack", "load_pack", "load_catalogue", "shipped_packs", "format_model",
    "lint", "Pack", "Catalogue", "compare", "binding", "PackComparison", "Binding",
    "evaluate", "Report", "compute_indicators", "check_records", "IndicatorTable", "Hierarchy",
    "extract", "Draft",
    "QualityRulesError", "RuleSyntaxError", "UnitError", "UnknownIndicatorError", "PackError",
    "DataError", "UsageError", "Diagnostic", "Severity",
    "Rule", "Quantity", "Comparison", "Between", "Approximately", "Change", "TargetYear",
    "EveryYear", "Cumulative", "Citation", "Comparator", "Strength", "Level", "Direction",
    "Indicator", "PackDefinition",
]


def parse_rule(text: str) -> Rule:
    """Parse one rule line, e.g. ``"PM2.5年均浓度 控制在33微克/立方米以下"``."""
    from .language.parse import parse_rule_text

    return parse_rule_text(text)


def parse_pack(text: str, *, source: str = "<string>", search: tuple[str | Path, ...] = (),
               catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None) -> Pack:
    """Parse pack text and resolve it: catalogue binding, units, lineage (parents are looked up
    in ``search`` and then among the shipped packs). ``catalogue``: a :class:`Catalogue` (see
    :func:`load_catalogue`) or the paths of catalogue files extending the shipped one."""
    from .packs.resolve import resolve_text

    return resolve_text(text, source=source, search=search, catalogue=catalogue)


def load_pack(id_or_path: str | Path, *, search: tuple[str | Path, ...] = (),
              catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None) -> Pack:
    """A pack by id (``"longgang-2015"``, looked up in ``search`` and then among the shipped
    packs) or a ``.qr`` file by path, lineage resolved. ``catalogue``: as for :func:`parse_pack`."""
    from .packs.resolve import load_pack as _load_pack

    return _load_pack(id_or_path, search=search, catalogue=catalogue)


def load_catalogue(*paths: str | Path, shipped: bool = True) -> Catalogue:
    """The shipped indicator catalogue extended by the catalogue files ``paths`` (an author's own
    indicators; ``override indicator`` replaces a shipped one), or with ``shipped=False`` the
    catalogue of ``paths`` alone."""
    from .packs.resolve import load_catalogue as _load_catalogue

    if not shipped and not paths:
        raise UsageError(Diagnostic("QR301", "load_catalogue(shipped=False) needs catalogue files"))
    return _load_catalogue(paths or None, shipped=shipped)


def shipped_packs() -> list[str]:
    """Ids of the packs shipped in ``rules/packs``."""
    from .packs.resolve import shipped_pack_ids

    return shipped_pack_ids()


def format_model(obj: Any) -> str:
    """Canonical text for any model object (``parse(format_model(x)) == x``)."""
    from .language.format import format_model as _format

    return _format(obj)


def lint(path: str | Path, *, search: tuple[str | Path, ...] = (),
         catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None) -> list[Diagnostic]:
    """Every diagnostic of a pack or catalogue file (errors and warnings), never raising; the
    warnings its ``# noqa: CODE reason`` comments silence are left out."""
    from .packs.resolve import lint_file

    return lint_file(path, search=search, catalogue=catalogue)


def compare(*packs: Pack | str | Path, search: tuple[str | Path, ...] = (),
            catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None) -> PackComparison:
    """Compare packs (objects, shipped ids or paths): per indicator the threshold each pack holds
    and which is strictest; what each child adds, drops, tightens or loosens against its parent.
    ``search`` and ``catalogue`` are used to load the packs given by id or path."""
    from .packs.comparison import compare as _compare

    return _compare(*packs, search=search, catalogue=catalogue)


def binding(pack: Pack | str | Path, indicator: str, year: int, region: str | None = None, *,
            search: tuple[str | Path, ...] = (),
            catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None) -> Binding | None:
    """The strictest target in force for ``indicator`` in ``year`` (own and inherited, for
    ``region``, default the pack's), with its origin pack, level and citation; None if none."""
    from .packs.comparison import binding as _binding

    return _binding(pack, indicator, year, region, search=search, catalogue=catalogue)


@optional_dependencies("evaluate()")
def evaluate(pack: Pack | str | Path, data: Any, *, region: str | Iterable[str] | None = None,
             regions: Iterable[str] | None = None, year: int | Iterable[int] | None = None,
             years: Iterable[int] | None = None, search: tuple[str | Path, ...] = (),
             catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None,
             **load_options: Any) -> Report:
    """Check ``data`` against ``pack`` (a pack object, shipped id or ``.qr`` path). ``data``: a
    pandas/polars/pyarrow table, a dict of arrays, or a .csv/.xlsx/.parquet path, in wide form
    (region, year, one column per indicator) or long form (region, year, indicator, value[, unit]).
    ``region(s)`` and ``year(s)`` restrict the report; other keywords (``encoding``, ``sheet``,
    ``header_row``, ``form``, ``region_column``, ``year_column``, ``ignore_columns``) go to the
    data loader (:mod:`qualityrules.tables`). The pack compiles once per pack object. ``search``
    and ``catalogue`` (see :func:`parse_pack`) are used when ``pack`` is an id or a path."""
    from .engine.evaluation import run
    from .engine.plan import Plan, compile_pack
    from .report.report import Report as _Report
    from .tables.observations import load

    if isinstance(pack, (str, Path)):
        pack = load_pack(pack, search=search, catalogue=catalogue)
    plan = pack if isinstance(pack, Plan) else compile_pack(pack)
    obs = load(data, plan.pack.catalogue, **load_options)
    wanted_regions = _names(region, regions)
    if wanted_regions is not None:
        obs = obs.select_named(wanted_regions)
    wanted_years = _years(year, years)
    if wanted_years is not None:
        checked = sorted({int(y) for y in plan.atom_year.tolist()})
        missing = [y for y in wanted_years if y not in checked]
        if missing:
            raise UsageError(Diagnostic(
                "QR301", f"no target of {plan.pack.id} is checked in {', '.join(map(str, missing))}",
                suggestion="years with targets: " + (", ".join(map(str, checked)) or "none")))
    return _Report(run(plan, obs, years=wanted_years), regions=wanted_regions, years=wanted_years)


def _names(one: str | Iterable[str] | None, many: Iterable[str] | None) -> list[str] | None:
    names: list[str] = []
    for value in (one, many):
        if value is None:
            continue
        names.extend([value] if isinstance(value, str) else list(value))
    return names or None


def _years(one: int | Iterable[int] | None, many: Iterable[int] | None) -> list[int] | None:
    found: list[int] = []
    for value in (one, many):
        if value is None:
            continue
        found.extend([int(value)] if isinstance(value, (int, str)) else [int(v) for v in value])
    return found or None


@optional_dependencies("compute_indicators()")
def compute_indicators(pack: Pack | str | Path, records: Any, *, search: tuple[str | Path, ...] = (),
                       catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None,
                       **options: Any) -> IndicatorTable:
    """The indicators a pack defines from raw records (catalogue ``from``/``value`` definitions),
    per region and year, from ``records``: ``{table: source}`` or files named after their table
    (``wastewater.csv``, ``air_daily.parquet``), a source being a CSV/Parquet path, a Parquet
    directory, a pandas/polars/Arrow table, a dict of arrays, or an iterable of those. Options:
    ``hierarchy`` (child → parent regions), ``chunk_rows``, ``threads``, ``encoding``,
    ``progress``, ``backend="dask"`` (with ``scheduler``). See :mod:`qualityrules.records`.
    ``search`` and ``catalogue`` (see :func:`parse_pack`) are used when ``pack`` is an id or a path."""
    from .records.compute import compute_indicators as _compute

    if isinstance(pack, (str, Path)):
        pack = load_pack(pack, search=search, catalogue=catalogue)
    return _compute(pack, records, **options)


@optional_dependencies("check_records()")
def check_records(pack: Pack | str | Path, records: Any, *, data: Any = None,
                  regions: Iterable[str] | None = None, years: Iterable[int] | None = None,
                  load_options: Mapping[str, Any] | None = None, search: tuple[str | Path, ...] = (),
                  catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None,
                  **options: Any) -> Report:
    """:func:`compute_indicators` from ``records`` (``options`` go there), then :func:`evaluate`
    of the result together with indicator ``data`` if given (read with ``load_options``): the
    report for targets whose indicators come from raw records. ``search`` and ``catalogue`` (see
    :func:`parse_pack`) are used when ``pack`` is an id or a path."""
    from .tables.observations import concat, load

    if isinstance(pack, (str, Path)):
        pack = load_pack(pack, search=search, catalogue=catalogue)
    table = compute_indicators(pack, records, **options)
    parts = [table.observations(pack.catalogue)]
    if data is not None:
        parts.insert(0, load(data, pack.catalogue, **dict(load_options or {})))
    return evaluate(pack, concat(parts), regions=regions, years=years)


def extract(plan: str | bytes | Path, *, pack_id: str | None = None, region: str | None = None,
            level: str | Level | None = None, period: tuple[int, int] | str | None = None,
            extends: str | Iterable[str] = (), catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None,
            source: str = "<plan>") -> Draft:
    r"""Draft a rule pack from a plan's text: ``plan`` is the text (``str``), its bytes (UTF-8 or
    GB18030) or a :class:`~pathlib.Path` to a plain-text file. Every target becomes a rule citing
    ``文号 section: verbatim phrase``, bound to the catalogue by name or alias or proposed in
    :attr:`Draft.catalogue_text`; doubtful readings carry ``# review:`` lines. ``pack_id``,
    ``region``, ``level``, ``period`` (``"2021..2025"``) and ``extends`` (parent ids or paths)
    override what the text says; ``catalogue``: a catalogue, or catalogue files extending the
    shipped one. :attr:`Draft.candidates` gives each target with its span in
    the plan and a confidence; :meth:`Draft.diff` compares the draft with an existing pack.

    >>> draft = extract("二、主要目标\n到2025年，制造业产品质量合格率达到94%以上。", region="某市", level="city")
    >>> [c.line.split(" cite ")[0] for c in draft.candidates]
    ['到2025年 制造业产品质量合格率 达到94%以上']
    """
    from .extraction.draft import extract_plan
    from .extraction.reading import decode_plan, plan_from_text, read_plan
    from .packs.resolve import as_catalogue

    if isinstance(plan, Path):
        text = read_plan(plan)
    elif isinstance(plan, bytes):
        decoded, encoding = decode_plan(plan, source)
        text = plan_from_text(decoded, source, encoding)
    else:
        text = plan_from_text(plan, source)
    parents = [extends] if isinstance(extends, str) else list(extends)
    return extract_plan(text, pack_id=pack_id, region=region, level=level, period=period, extends=parents,
                        catalogue=as_catalogue(catalogue))


def __getattr__(name: str) -> Any:
    if name == "IndicatorTable":
        from .records.table import IndicatorTable

        return IndicatorTable
    if name == "Hierarchy":
        from .records.hierarchy import Hierarchy

        return Hierarchy
    if name in ("PackComparison", "Binding"):
        from .packs import comparison

        return getattr(comparison, name)
    if name == "Report":
        from .report import report

        return report.Report
    if name in ("Pack", "Catalogue"):
        from .packs import resolve

        return getattr(resolve, name)
    if name == "Draft":
        from .extraction.draft import Draft

        return Draft
    raise AttributeError(f"module 'qualityrules' has no attribute {name!r}")
