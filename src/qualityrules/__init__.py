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
    refuse,
    shown,
)
from .i18n import tr
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
    "lint", "Pack", "Catalogue", "compare", "binding", "packs_in_force", "PackComparison", "Binding",
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

    _expect_text(text, "text")

    return parse_rule_text(text)


def parse_pack(text: str, *, source: str = "<string>", search: tuple[str | Path, ...] = (),
               catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None) -> Pack:
    """Parse pack text and resolve it: catalogue binding, units, lineage (parents are looked up
    in ``search`` and then among the shipped packs). ``catalogue``: a :class:`Catalogue` (see
    :func:`load_catalogue`) or the paths of catalogue files extending the shipped one."""
    from .packs.resolve import resolve_text

    _expect_text(text, "text")
    return resolve_text(text, source=source, search=search, catalogue=catalogue)


def load_pack(id_or_path: str | Path, *, search: tuple[str | Path, ...] = (),
              catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None) -> Pack:
    """A pack by id (``"longgang-2015"``, looked up in ``search`` and then among the shipped
    packs) or a ``.qr`` file by path, lineage resolved. ``catalogue``: as for :func:`parse_pack`."""
    from .packs.resolve import load_pack as _load_pack

    _expect_pack(id_or_path, allow_object=False)
    return _load_pack(id_or_path, search=search, catalogue=catalogue)


def load_catalogue(*paths: str | Path, shipped: bool = True) -> Catalogue:
    """The shipped indicator catalogue extended by the catalogue files ``paths`` (an author's own
    indicators; ``override indicator`` replaces a shipped one), or with ``shipped=False`` the
    catalogue of ``paths`` alone."""
    from .packs.resolve import load_catalogue as _load_catalogue

    if not shipped and not paths:
        raise UsageError(Diagnostic("QR301", tr("load_catalogue(shipped=False) needs catalogue files")))
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

    if not isinstance(path, (str, Path)):
        refuse(tr("a path must be a str or a Path, not {value}", value=shown(path)))
    return lint_file(path, search=search, catalogue=catalogue)


def compare(*packs: Pack | str | Path, search: tuple[str | Path, ...] = (),
            catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None) -> PackComparison:
    """Compare packs (objects, shipped ids or paths): per indicator the threshold each pack holds
    and which is strictest; what each child adds, drops, tightens or loosens against its parent.
    ``search`` and ``catalogue`` are used to load the packs given by id or path."""
    from .packs.comparison import compare as _compare

    for pack in packs:
        _expect_pack(pack)
    return _compare(*packs, search=search, catalogue=catalogue)


def binding(pack: Pack | str | Path, indicator: str, year: int, region: str | None = None, *,
            search: tuple[str | Path, ...] = (),
            catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None,
            hierarchy: Hierarchy | Mapping[str, str] | Iterable[Sequence[str]] | str | Path | None = None
            ) -> Binding | None:
    """The strictest target in force for ``indicator`` in ``year`` (own and inherited, binding
    ``region``, default the pack's), with its origin pack, level and citation; None if none binds.
    Which targets bind which regions and years: :mod:`qualityrules.packs.applicability`
    (``hierarchy``: child → parent regions, or a CSV path, laid over the shipped
    ``rules/regions.csv``)."""
    from .packs.comparison import binding as _binding

    _expect_pack(pack)
    _expect_text(indicator, "indicator")
    if region is not None:
        _expect_text(region, "region")
    return _binding(pack, indicator, _year(year, "year"), region, search=search, catalogue=catalogue,
                    hierarchy=_hierarchy(hierarchy))


def packs_in_force(region: str, year: int, packs: Iterable[Pack | str | Path] | None = None, *,
                   hierarchy: Hierarchy | Mapping[str, str] | Iterable[Sequence[str]] | str | Path | None = None
                   ) -> list[Pack]:
    """The packs that bind ``region`` in ``year`` (default: among the shipped packs): those whose
    area (region, scope and the regions below) holds the region and whose period holds the
    year, less any that another of them extends; e.g. 深圳市 in 2016: ``shenzhen-2016``, which
    extends ``shenzhen-2020``."""
    from .packs.applicability import packs_in_force as _in_force

    _expect_text(region, "region")
    listed = None if packs is None else list(packs)
    for pack in listed or ():
        _expect_pack(pack)
    return _in_force(region, _year(year, "year"), listed, hierarchy=_hierarchy(hierarchy))


@optional_dependencies("evaluate()")
def evaluate(pack: Pack | str | Path, data: Any, *, region: str | Iterable[str] | None = None,
             regions: Iterable[str] | None = None, year: int | Iterable[int] | None = None,
             years: Iterable[int] | None = None, search: tuple[str | Path, ...] = (),
             catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None,
             as_of: int | None = None, review: Mapping[str, Any] | None = None,
             hierarchy: Hierarchy | Mapping[str, str] | Iterable[Sequence[str]] | str | Path | None = None,
             **load_options: Any) -> Report:
    """Check ``data`` against ``pack`` (a pack object, shipped id or ``.qr`` path). ``data``: a
    pandas/polars/pyarrow table, a dict of arrays, or a .csv/.xlsx/.parquet path, in wide form
    (region, year, one column per indicator) or long form (region, year, indicator, value[, unit]).
    ``region(s)`` and ``year(s)`` restrict the report; ``hierarchy`` (child → parent regions, or a
    CSV path, laid over the shipped ``rules/regions.csv``) says which regions of the data lie
    inside the pack's region (a region outside it is not-applicable, with a warning); other
    keywords (``encoding``, ``sheet``, ``header_row``, ``form``, ``region_column``,
    ``year_column``, ``ignore_columns``) go to the data loader (:mod:`qualityrules.tables`;
    ``sheet`` for an .xlsx workbook only: data without sheets is a usage error, QR301). The
    pack compiles once per pack object. ``search`` and ``catalogue`` (see :func:`parse_pack`) are
    used when ``pack`` is an id or a path. A table of a million values or more, whose rules
    compare about 250,000 values each or more, is compared on two cores when the machine has them
    (the verdicts are the same on one).

    ``as_of=2018`` is a mid-term review (中期评估): only data up to 2018 count, and every target
    due later is ``pending`` with an assessment — achieved, on track, at risk, off track or
    insufficient data — from the data so far (see ``docs/midterm-review.rst``). ``review`` sets
    the method and class boundaries for this call, e.g. ``{"method": "projection", "on_track":
    0.9, "at_risk": 0.2}``; otherwise the pack's ``review`` clause (or its nearest ancestor's),
    else the growth method with 0.95 and 0.6."""
    from .engine.evaluation import run
    from .engine.plan import Plan, compile_pack
    from .report.report import Report as _Report
    from .tables.observations import load

    _expect_pack(pack, allow_plan=True)
    unknown = sorted(set(load_options) - _LOAD_OPTIONS)
    if unknown:
        refuse(tr("evaluate() got unknown keyword(s): {keywords}", keywords=", ".join(unknown)),
               suggestion=tr("data loader options: {options}", options=", ".join(sorted(_LOAD_OPTIONS))))
    if isinstance(pack, (str, Path)):
        pack = load_pack(pack, search=search, catalogue=catalogue)
    plan = pack if isinstance(pack, Plan) else compile_pack(pack)
    cutoff = _as_of(as_of)
    chosen = _review(plan.pack, review)
    tree = _hierarchy(hierarchy)
    obs = load(data, plan.pack.catalogue, **load_options)
    if cutoff is not None:
        obs = obs.until(cutoff)
    wanted_regions = _names(region, regions)
    if wanted_regions is not None:
        obs = obs.select_named(wanted_regions)
    wanted_years = _years(year, years)
    if wanted_years is not None:
        checked = sorted({int(y) for y in plan.atom_year[plan.in_force].tolist()})
        missing = [y for y in wanted_years if y not in checked]
        if missing:
            raise UsageError(Diagnostic(
                "QR301", tr("no target of {id} is checked in {years}", id=plan.pack.id,
                            years=", ".join(map(str, missing))),
                suggestion=tr("years with targets: {years}", years=", ".join(map(str, checked)) or tr("none"))))
    return _Report(run(plan, obs, years=wanted_years, hierarchy=tree), regions=wanted_regions,
                   years=wanted_years, as_of=cutoff, review=chosen)


_LOAD_OPTIONS = frozenset({"encoding", "sheet", "header_row", "form", "region_column", "year_column", "ignore_columns",
                           "name"})


def _as_of(value: Any) -> int | None:
    """The as-of year of a review: an integer (or its digits) of four digits; else QR330."""
    import operator

    if value is None:
        return None
    year: int | None = None
    if isinstance(value, str) and value.strip().isdigit():
        year = int(value.strip())
    elif not isinstance(value, (bool, str)):
        try:
            year = operator.index(value)
        except TypeError:
            year = None
    if year is None or not 1000 <= year <= 9999:
        raise UsageError(Diagnostic("QR330", tr("as_of must be a four-digit year, not {value}", value=repr(value)),
                                    suggestion=tr("e.g. as_of=2018 (the data up to 2018 count)")))
    return year


def _review(pack: Pack, options: Mapping[str, Any] | None) -> Any:
    """The review method and boundaries: the call's ``options``, else the pack's ``review``
    clause or its nearest ancestor's, else the growth method's defaults."""
    from .language.model import Review, ReviewMethod

    stated = next((p.definition.review for p in pack.lineage() if p.definition.review is not None), None)
    if options is None:
        return stated or Review()
    if not isinstance(options, Mapping):
        refuse(tr("review must be a mapping, not {value}", value=shown(options)),
               tr('e.g. review={{"method": "projection", "on_track": 0.9}}'))
    unknown = sorted(set(map(str, options)) - {"method", "on_track", "at_risk"})
    if unknown:
        raise UsageError(Diagnostic("QR331", tr("unknown review option(s): {options}", options=", ".join(unknown)),
                                    suggestion=tr("review options are method, on_track and at_risk")))
    methods = {method.value: method for method in ReviewMethod}
    method = options.get("method", (stated or Review()).method.value)
    if method not in methods:
        raise UsageError(Diagnostic("QR331", tr("unknown review method {method}", method=repr(method)),
                                    suggestion=tr("method is {methods}", methods=" or ".join(repr(x) for x in methods))))
    given = {key: _boundary(key, options[key]) for key in ("on_track", "at_risk") if options.get(key) is not None}
    if stated is not None and stated.method is methods[method]:   # the call refines the pack's clause
        chosen = Review(stated.method, given.get("on_track", stated.on_track), given.get("at_risk", stated.at_risk))
    else:
        chosen = Review(methods[method], given.get("on_track"), given.get("at_risk"))
    problem = chosen.problem()
    if problem:
        raise UsageError(Diagnostic("QR331", problem,
                                    suggestion=tr("keep 0 <= at_risk <= on_track, e.g. on_track=0.95, at_risk=0.6")))
    return chosen


def _boundary(key: str, value: Any) -> Any:
    from decimal import Decimal, InvalidOperation

    try:
        if isinstance(value, bool):
            raise InvalidOperation
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise UsageError(Diagnostic("QR331", tr("review {key} must be a number, not {value}", key=key,
                                                value=repr(value)),
                                    suggestion=tr("e.g. {key}=0.9", key=key))) from None


def _names(one: str | Iterable[str] | None, many: Iterable[str] | None) -> list[str] | None:
    names: list[str] = []
    for label, value in (("region", one), ("regions", many)):
        value = _unwrapped(value)
        if value is None:
            continue
        if not isinstance(value, (str, Iterable)):
            refuse(tr("{label} must be a region name or names, not {value}", label=label, value=shown(value)))
        names.extend([value] if isinstance(value, str) else list(value))
    for name in names:
        _expect_text(name, "a region")
    return names or None


def _years(one: int | Iterable[int] | None, many: Iterable[int] | None) -> list[int] | None:
    found: list[int] = []
    for label, value in (("year", one), ("years", many)):
        value = _unwrapped(value)
        if value is None:
            continue
        if isinstance(value, Iterable) and not isinstance(value, str):
            found.extend(_year(v, label) for v in value)
        else:
            found.append(_year(value, label))
    return found or None


def _unwrapped(value: Any) -> Any:
    """A 0-dimensional numpy array as its one value (it is iterable in type only)."""
    return value.item() if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)) else value


def _year(value: Any, what: str) -> int:
    """A year given as an int (or digits), else QR303."""
    import numbers

    text = value.strip() if isinstance(value, str) else None
    ok = (isinstance(value, numbers.Integral) and not isinstance(value, bool)) or (text is not None and text.isdigit())
    if not ok:
        refuse(tr("{what} must be a year such as 2015, not {value}", what=what, value=shown(value)))
    return int(value)


def _expect_text(value: Any, what: str) -> None:
    if not isinstance(value, str):
        refuse(tr("{what} must be a string, not {value}", what=what, value=shown(value)))


def _expect_pack(value: Any, *, allow_object: bool = True, allow_plan: bool = False) -> None:
    from .packs.resolve import Pack as _Pack

    kinds: tuple[type, ...] = (str, Path)
    if allow_object:
        kinds += (_Pack,)
    if allow_plan:
        from .engine.plan import Plan

        kinds += (Plan,)
    if not isinstance(value, kinds):
        shipped = tr("shipped packs: {ids}", ids=", ".join(shipped_packs()))
        if allow_object:
            refuse(tr("a pack must be a shipped pack id, a .qr path or a Pack, not {value}", value=shown(value)), shipped)
        refuse(tr("a pack must be a shipped pack id, a .qr path, not {value}", value=shown(value)), shipped)


def _hierarchy(given: Any) -> Any:
    """``hierarchy=``: a Hierarchy, a child → parent mapping, rows of names, or a CSV path (read
    like ``--hierarchy``)."""
    if isinstance(given, (str, Path)):
        from .records.hierarchy import Hierarchy as _Hierarchy

        return _Hierarchy.read(given)
    return given


@optional_dependencies("compute_indicators()")
def compute_indicators(pack: Pack | str | Path, records: Any, *, search: tuple[str | Path, ...] = (),
                       catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None,
                       **options: Any) -> IndicatorTable:
    """The indicators a pack defines from raw records (catalogue ``from``/``value`` definitions),
    per region and year, from ``records``: ``{table: source}`` or files named after their table
    (``wastewater.csv``, ``air_daily.parquet``), a source being a CSV/Parquet path, a Parquet
    directory, a pandas/polars/Arrow table, a dict of arrays, or an iterable of those. Options:
    ``hierarchy`` (child → parent regions, or a CSV path), ``chunk_rows``, ``threads``, ``encoding``,
    ``progress``, ``backend="dask"`` (with ``scheduler``). See :mod:`qualityrules.records`.
    ``search`` and ``catalogue`` (see :func:`parse_pack`) are used when ``pack`` is an id or a path."""
    from .records.compute import compute_indicators as _compute

    unknown = sorted(set(options) - _RECORD_OPTIONS)
    if unknown:
        refuse(tr("compute_indicators() got unknown keyword(s): {keywords}", keywords=", ".join(unknown)),
               suggestion=tr("records options: {options}", options=", ".join(sorted(_RECORD_OPTIONS))))
    if isinstance(pack, (str, Path)):
        pack = load_pack(pack, search=search, catalogue=catalogue)
    return _compute(pack, records, **options)


_RECORD_OPTIONS = frozenset({"hierarchy", "threads", "chunk_rows", "encoding", "progress", "backend", "scheduler"})


@optional_dependencies("check_records()")
def check_records(pack: Pack | str | Path, records: Any, *, data: Any = None,
                  regions: Iterable[str] | None = None, years: Iterable[int] | None = None,
                  load_options: Mapping[str, Any] | None = None, search: tuple[str | Path, ...] = (),
                  catalogue: Catalogue | str | Path | Sequence[str | Path] | None = None,
                  as_of: int | None = None, review: Mapping[str, Any] | None = None,
                  **options: Any) -> Report:
    """:func:`compute_indicators` from ``records`` (``options`` go there), then :func:`evaluate`
    of the result together with indicator ``data`` if given (read with ``load_options``): the
    report for targets whose indicators come from raw records. ``search`` and ``catalogue`` (see
    :func:`parse_pack`) are used when ``pack`` is an id or a path; ``as_of``/``review``: a
    mid-term review, as in :func:`evaluate`."""
    from .tables.observations import concat, load

    if isinstance(pack, (str, Path)):
        pack = load_pack(pack, search=search, catalogue=catalogue)
    if options.get("hierarchy") is not None:   # read once, for the records and for applicability
        options["hierarchy"] = _hierarchy(options["hierarchy"])
    table = compute_indicators(pack, records, **options)
    parts = [table.observations(pack.catalogue)]
    if data is not None:
        parts.insert(0, load(data, pack.catalogue, **dict(load_options or {})))
    return evaluate(pack, concat(parts), regions=regions, years=years, as_of=as_of, review=review,
                    hierarchy=options.get("hierarchy"))


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

    if not isinstance(plan, (str, bytes, Path)):
        refuse(tr("a plan must be its text (str), its bytes or a Path, not {value}", value=shown(plan)))
    for what, given in (("pack_id", pack_id), ("region", region)):
        if given is not None:
            _expect_text(given, what)
    levels = [lv.value for lv in Level]
    if level is not None and not isinstance(level, Level) and level not in levels:
        refuse(tr("level must be one of {levels}, not {value}", levels=", ".join(levels), value=shown(level)))
    listed = [extends] if isinstance(extends, (str, Path)) else list(extends) if isinstance(extends, Iterable) else None
    if listed is None or not all(isinstance(p, (str, Path)) for p in listed):
        refuse(tr("extends must be parent pack ids or .qr paths, not {value}", value=shown(extends)))
    if isinstance(plan, Path):
        text = read_plan(plan)
    elif isinstance(plan, bytes):
        decoded, encoding = decode_plan(plan, source)
        text = plan_from_text(decoded, source, encoding)
    else:
        text = plan_from_text(plan, source)
    return extract_plan(text, pack_id=pack_id, region=region, level=level, period=period,
                        extends=[str(p) for p in listed],
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
