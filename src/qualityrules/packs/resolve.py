"""Resolve: bind rules to the indicator catalogue, check units, load packs with their lineage,
apply inheritance and overrides. Produces :class:`Pack`, what the planner and evaluator consume.

Every function here collects diagnostics instead of stopping at the first; the public loaders
raise a :class:`~qualityrules.errors.QualityRulesError` carrying all errors found.
"""

from __future__ import annotations

import difflib
import enum
import functools
import pickle
import re
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from ..errors import Diagnostic, Severity, did_you_mean, raise_errors, refuse, shown, span_of
from ..i18n import Text, tr
from ..language import model as m
from ..language import units
from ..language.format import format_model, format_number, rule_body
from ..language.parse import CHANGE_WORDS, parse_text
from ..language.text import normalize
from ..resources import Artefact, code_fingerprint, digest, load_artefact, rules_dir
from .reading import Part, extensive, name_span, read_statement

__all__ = [
    "Catalogue", "BoundRule", "Pack", "Interval", "Measure", "load_catalogue", "load_pack",
    "resolve_text", "lint_file", "shipped_pack_ids", "DEFAULT_APPROX_TOLERANCE", "extended_catalogue",
    "as_catalogue", "CatalogueLike", "extensive", "name_span",
]

DEFAULT_APPROX_TOLERANCE = m.Quantity(10, "%")


# ------------------------------------------------------------------------------------------
# Catalogue


@attrs.frozen
class Catalogue:
    indicators: tuple[m.Indicator, ...]
    _index: dict[str, m.Indicator] = attrs.field(repr=False, eq=False)

    @classmethod
    def build(cls, indicators: Sequence[m.Indicator]) -> tuple[Catalogue, list[Diagnostic]]:
        index: dict[str, m.Indicator] = {}
        diagnostics: list[Diagnostic] = []
        for indicator in indicators:
            for name in (indicator.name, *indicator.aliases):
                key = normalize(name)
                other = index.get(key)
                if other is not None and other is not indicator:
                    where = tr(" (first defined at {file}:{line})", file=other.span.source.name,
                               line=other.span.line) if other.span else ""
                    diagnostics.append(Diagnostic(
                        "QR112", tr("'{name}' is already a name or alias of '{other}'{where}", name=name,
                                    other=other.name, where=where),
                        _indicator_name_span(indicator) or indicator.span,
                        suggestion=tr("give each indicator and alias once")))
                    continue
                index[key] = indicator
        return cls(tuple(indicators), index), diagnostics

    def lookup(self, name: str) -> m.Indicator | None:
        return self._index.get(normalize(name))

    def knows(self, normalized_name: str) -> bool:
        """Whether an already normalised text is a name or alias (for the sentence reader)."""
        return normalized_name in self._index

    def names(self) -> list[str]:
        return sorted(self._index)

    def suggest(self, name: str) -> Text | None:
        """Did-you-mean for an unknown name, with the catalogue's notes that tell look-alike
        statistics apart. A suggestion never binds: the rule stays unknown until it is fixed."""
        hint = did_you_mean(normalize(name), self._index)
        if hint is None:
            return None
        notes: list[Text] = []
        for candidate in difflib.get_close_matches(normalize(name), list(self._index), n=3, cutoff=0.5):
            indicator = self._index[candidate]
            for reference in indicator.references:
                others = "/".join(reference.names)
                if reference.kind == "not":
                    note = tr("{name} is not {others}", name=indicator.name, others=others)
                else:
                    note = tr("{name} see also {others}", name=indicator.name, others=others)
                notes.append(tr("{reference}: {note}", reference=note, note=reference.note) if reference.note else note)
        for note in dict.fromkeys(notes):
            hint = tr("{hint} ({note})", hint=hint, note=note)
        return hint

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.lookup(name) is not None


    def extended(self, indicators: Sequence[m.Indicator]) -> tuple[Catalogue, list[Diagnostic]]:
        """This catalogue plus ``indicators`` (an author's own catalogue). A new indicator whose
        name or alias is already one of this catalogue's is an error (QR163) unless it is marked
        ``override``, which replaces the indicator of the same name (QR164 if there is none)."""
        diagnostics: list[Diagnostic] = []
        replaced: set[int] = set()
        added: list[m.Indicator] = []
        for indicator in indicators:
            if indicator.override:
                target = self.lookup(indicator.name)
                if target is None:
                    diagnostics.append(Diagnostic(
                        "QR164", tr("'override' but no indicator '{name}' to override", name=indicator.name),
                        _indicator_name_span(indicator), Severity.WARNING,
                        suggestion=self.suggest(indicator.name) or tr("drop 'override'")))
                else:
                    replaced.add(id(target))
                added.append(indicator)
                continue
            clash = next(((n, self.lookup(n)) for n in (indicator.name, *indicator.aliases) if n in self), None)
            if clash is not None:
                name, existing = clash
                assert existing is not None
                diagnostics.append(Diagnostic(
                    "QR163", tr("'{name}' is already an indicator of the catalogue ('{existing}'{where})",
                                name=name, existing=existing.name, where=_where_suffix(existing.span)),
                    _indicator_name_span(indicator),
                    suggestion=tr("write 'override indicator {name}' to replace it, or choose another name",
                                  name=indicator.name)))
                continue
            added.append(indicator)
        kept = [i for i in self.indicators if id(i) not in replaced]
        catalogue, duplicates = Catalogue.build([*kept, *added])
        return catalogue, [*diagnostics, *duplicates]


def _where_suffix(span: m.Span | None) -> str:
    return f", {span.source.name}:{span.line}" if span else ""


def _indicator_name_span(indicator: m.Indicator) -> m.Span | None:
    """The span of an indicator block's first line (``[override] indicator NAME {``)."""
    span = indicator.span
    if span is None:
        return None
    return span_of(span.source, span.start, span.start + len(span.text.split("\n", 1)[0].rstrip(" {")))


def catalogue_files(directory: Path | None = None) -> list[Path]:
    base = directory or rules_dir()
    files = [base / "catalogue.qr"] if (base / "catalogue.qr").is_file() else []
    extra = base / "catalogue"
    if extra.is_dir():
        files.extend(sorted(extra.glob("*.qr")))
    return files


def read_rule_text(path: Path) -> tuple[str | None, Diagnostic | None]:
    """A rule file's text, or the diagnostic saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig"), None
    except FileNotFoundError:
        return None, Diagnostic("QR201", tr("no such file: {path}", path=str(path)), suggestion=None)
    except IsADirectoryError:
        return None, Diagnostic("QR201", tr("{path} is a directory, not a rule file", path=str(path)))
    except UnicodeDecodeError as error:
        return None, Diagnostic("QR202", tr("{path} is not UTF-8 text ({reason} at byte {byte})", path=str(path),
                                            reason=error.reason, byte=error.start),
                                suggestion=tr("save rule files as UTF-8"))
    except (OSError, ValueError) as error:     # ValueError: a NUL byte in the name
        return None, Diagnostic("QR201", tr("cannot read {path}: {reason}", path=str(path),
                                            reason=getattr(error, "strerror", None) or str(error)))


def _read_indicators(paths: Sequence[Path], diagnostics: list[Diagnostic]) -> list[m.Indicator]:
    indicators: list[m.Indicator] = []
    for path in paths:
        text, problem = read_rule_text(path)
        if problem:
            diagnostics.append(problem)
            continue
        assert text is not None
        rule_file, found = parse_text(text, source=str(path))
        diagnostics.extend(found)
        indicators.extend(rule_file.indicators)
        if rule_file.packs:
            diagnostics.append(Diagnostic(
                "QR116", tr("{path} declares a pack; a catalogue file holds indicators only", path=str(path)),
                _header_span(rule_file.packs[0]), suggestion=tr("load packs with --packs or by path")))
    return indicators


def _catalogue_with_diagnostics(paths: Sequence[Path], extra: Sequence[m.Indicator] = ()
                                ) -> tuple[Catalogue, list[Diagnostic]]:
    """The catalogue of ``paths`` plus ``extra`` indicators (last, so duplicates are reported on them)."""
    diagnostics: list[Diagnostic] = []
    indicators = _read_indicators(paths, diagnostics)
    catalogue, duplicates = Catalogue.build([*indicators, *extra])
    return catalogue, [*diagnostics, *duplicates]


def _signature(paths: Sequence[Path]) -> tuple[tuple[Path, int, int], ...]:
    """Paths with their modification time and size, so an edited file is read again."""
    out = []
    for path in paths:
        try:
            stat = path.stat()
            out.append((path, stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((path, -1, -1))
    return tuple(out)


@functools.lru_cache(maxsize=8)
def _cached_catalogue(paths: tuple[Path, ...]) -> tuple[Catalogue, tuple[Diagnostic, ...]]:
    if paths == tuple(catalogue_files()):  # the shipped catalogue, parsed by an earlier run
        loaded: tuple[Catalogue, tuple[Diagnostic, ...]] = pickle.loads(
            load_artefact(_catalogue_artefact(paths), packaged=False))
        return loaded
    catalogue, diagnostics = _catalogue_with_diagnostics(paths)
    return catalogue, tuple(diagnostics)


def _catalogue_artefact(paths: tuple[Path, ...]) -> Artefact:
    """The catalogue parsed and resolved, with its diagnostics, keyed by the files' names and
    texts and by the code that reads them (:func:`~qualityrules.resources.code_fingerprint`)."""
    texts = [f"{path}\n{read_rule_text(path)[0]}" for path in paths]
    key = digest("catalogue", code_fingerprint(), repr(sys.version_info[:2]), *texts)

    def build() -> bytes:
        catalogue, diagnostics = _catalogue_with_diagnostics(paths)
        return pickle.dumps((catalogue, tuple(diagnostics)), protocol=pickle.HIGHEST_PROTOCOL)

    # One cache file per catalogue location (not per key): editing the code replaces it.
    return Artefact("catalogue.artefact", key, build, f"catalogue-{digest(*map(str, paths))[:16]}.artefact")


@functools.lru_cache(maxsize=16)
def _cached_extended(extra: tuple[tuple[Path, int, int], ...]) -> tuple[Catalogue, tuple[Diagnostic, ...]]:
    base, diagnostics = _cached_catalogue(tuple(catalogue_files()))
    found: list[Diagnostic] = list(diagnostics)
    indicators = _read_indicators([p for p, _, _ in extra], found)
    catalogue, more = base.extended(indicators)
    return catalogue, (*found, *more)


def extended_catalogue(extra: Sequence[str | Path]) -> tuple[Catalogue, list[Diagnostic]]:
    """The shipped catalogue extended by the catalogue files ``extra`` (see :meth:`Catalogue.extended`);
    a shipped catalogue file among them is the base already, not an extension of it."""
    shipped = catalogue_files()
    extra = [p for p in extra if not any(_same_file(p, s) for s in shipped)]
    if not extra:
        catalogue, diagnostics = _cached_catalogue(tuple(catalogue_files()))
        return catalogue, list(diagnostics)
    catalogue, diagnostics = _cached_extended(_signature([Path(p) for p in extra]))
    return catalogue, list(diagnostics)


def load_catalogue(paths: Sequence[str | Path] | None = None, *, shipped: bool = False) -> Catalogue:
    """The shipped indicator catalogue; or one built from ``paths`` alone; or, with ``shipped``,
    the shipped one extended by ``paths``."""
    if shipped:
        catalogue, found = extended_catalogue(list(paths or ()))
        raise_errors(found)
        return catalogue
    files = tuple(Path(p) for p in paths) if paths else tuple(catalogue_files())
    catalogue, diagnostics = _cached_catalogue(files)
    raise_errors(diagnostics)
    return catalogue


CatalogueLike = Catalogue | str | Path | Sequence[str | Path] | None


def as_catalogue(catalogue: CatalogueLike) -> Catalogue | None:
    """What the public ``catalogue=`` parameters accept: a :class:`Catalogue` as it is, or catalogue
    files (one path or several) that extend the shipped catalogue; None for the shipped one."""
    if catalogue is None or isinstance(catalogue, Catalogue):
        return catalogue
    paths = [catalogue] if isinstance(catalogue, (str, Path)) else \
        list(catalogue) if isinstance(catalogue, Iterable) else None
    if paths is None or not all(isinstance(p, (str, Path)) for p in paths):
        refuse(tr("catalogue must be a Catalogue or the paths of catalogue files, not {value}",
                  value=shown(catalogue)))
    return load_catalogue(paths, shipped=True) if paths else None


# ------------------------------------------------------------------------------------------
# Bound rules: a rule, its indicator, its years and its target as a numeric interval


class Measure(enum.Enum):
    """What a target constrains: the value itself, or its change against a baseline year."""

    VALUE = "value"
    RELATIVE_CHANGE = "relative-change"   # percent change, signed by the change direction
    POINT_CHANGE = "point-change"         # change in the indicator's unit, signed likewise


@attrs.frozen
class Interval:
    """``lower (<|<=) x (<|<=) upper`` in the measure's unit; ``excluded`` flips it (for ``!=``).
    Bounds are exact fractions; ``None`` means unbounded."""

    lower: Fraction | None = None
    upper: Fraction | None = None
    lower_inclusive: bool = True
    upper_inclusive: bool = True
    excluded: bool = False

    def contains(self, x: Fraction) -> bool:
        inside = True
        if self.lower is not None:
            inside &= x > self.lower or (self.lower_inclusive and x == self.lower)
        if self.upper is not None:
            inside &= x < self.upper or (self.upper_inclusive and x == self.upper)
        return inside != self.excluded


@attrs.frozen
class BoundRule:
    """A rule bound to its catalogue indicator, its origin pack and its years."""

    rule: m.Rule
    indicator: m.Indicator
    origin: str                         # id of the pack that states the rule
    level: m.Level | None
    region: str | None                  # region of the origin pack
    document: str | None                # document number of the origin pack
    years: tuple[int, ...]              # years the rule is checked in (or summed over)
    measure: Measure
    interval: Interval                  # in the indicator's unit (or % / 百分点 for changes)
    baseline: int | None = None
    rule_unit: str | None = None        # unit the rule was written in
    rule_factor: Fraction = Fraction(1)  # indicator unit -> rule unit, for margins
    regions: tuple[str, ...] = ()       # regions whose data the rule is checked against
    rounding: m.Rounding | None = None  # declared GB/T 8170 rounding: the origin pack's, else the indicator's
    rounding_by: str | None = None      # who declared it: "pack <id>" or "indicator <name>"
    written: m.Rule | None = None       # the line as written, when ``rule`` is one part of it
    part: int = 0                       # which part of its line (A和B均… has two)
    notes: tuple[str, ...] = ()         # readings of the wording that were a choice
    baseline_source: str | None = None  # written | pack | period | previous-year
    year_on_year: bool = False          # every year against the year before it (比上年, every year)
    average_rate: m.Quantity | None = None  # 年均: the yearly rate the change was computed from
    tolerance: m.Quantity | None = None     # the tolerance an approximate target was read with
    set_in: int | None = None           # the year the target was set (the pack's publication)

    @property
    def kind(self) -> str:
        time = self.rule.time
        if isinstance(time, m.EveryYear):
            return "every-year"
        if isinstance(time, m.Cumulative):
            return "cumulative"
        if isinstance(time, m.During):
            return "cumulative" if time.total else "every-year"
        return "target-year"

    @property
    def key(self) -> tuple[str, str, tuple[int, ...]]:
        """Identity for inheritance: the same indicator and time qualifier."""
        return (self.indicator.name, self.kind, self.years)

    @property
    def statement_rule(self) -> m.Rule:
        """The line as the author wrote it (several parts may share it)."""
        return self.written or self.rule

    def definition_caveat(self, year: int) -> str | None:
        """When the statistic was defined differently in the year the target was set than in
        ``year``, the two definitions (the verdict stands; the caveat says what it compares)."""
        if self.set_in is None or not self.indicator.definitions:
            return None
        then, now = self.indicator.defined_as(self.set_in), self.indicator.defined_as(year)
        if then is None or now is None or then is now:
            return None
        return (f"the target was set in {self.set_in} under \"{then.text}\"; "
                f"the {year} value is measured under \"{now.text}\"")

    @property
    def strength(self) -> m.Strength:
        return self.rule.strength

    @property
    def change_sign(self) -> int:
        """+1 for a target on an increase since the baseline, -1 for a decrease, 0 for a value."""
        target = self.rule.target
        if not isinstance(target, m.Change):
            return 0
        return 1 if target.direction is m.ChangeDirection.UP else -1

    @property
    def enforced(self) -> bool:
        return self.rule.unenforced is None

    @property
    def citation(self) -> str | None:
        return self.rule.citation.text if self.rule.citation else None

    @property
    def text(self) -> str:
        return format_model(self.statement_rule)

    @property
    def statement(self) -> str:
        """The rule without its citation and other clauses."""
        return rule_body(self.statement_rule)

    def to_dict(self, pack_id: str | None = None) -> dict[str, Any]:
        return _rule_export(self, pack_id or self.origin)


def _quantity_in(q: m.Quantity, unit: str | None) -> Fraction:
    value = Fraction(q.value)
    if q.unit is None or unit is None or q.unit == unit:
        return value
    return value * units.factor(q.unit, unit)


def _interval(target: m.Comparison | m.Between | m.Approximately, unit: str | None,
              tolerance: m.Quantity, direction: m.Direction = m.Direction.EXACT) -> Interval:
    """The target as an interval in ``unit``. An approximate value (左右, 约) on an indicator that
    is better higher or lower reads one-sided — no worse than the value by more than the
    tolerance — unless the author wrote an explicit ``±`` band."""
    if isinstance(target, m.Comparison):
        x = _quantity_in(target.quantity, unit)
        op = target.op
        if op is m.Comparator.EQ:
            return Interval(x, x)
        if op is m.Comparator.NE:
            return Interval(x, x, excluded=True)
        if op.direction > 0:
            return Interval(lower=x, lower_inclusive=op.inclusive)
        return Interval(upper=x, upper_inclusive=op.inclusive)
    if isinstance(target, m.Between):
        return Interval(_quantity_in(target.low, unit), _quantity_in(target.high, unit))
    centre = _quantity_in(target.quantity, unit)
    band = target.tolerance or tolerance
    if band.unit == "%":
        width = abs(centre) * Fraction(band.value) / 100
    else:
        width = _quantity_in(band, unit)
    if target.tolerance is None and direction is m.Direction.HIGHER:
        return Interval(lower=centre - width)
    if target.tolerance is None and direction is m.Direction.LOWER:
        return Interval(upper=centre + width)
    return Interval(centre - width, centre + width)


def _bind(part: Part, written: m.Rule, pack: m.PackDefinition, diagnostics: list[Diagnostic]) -> BoundRule | None:
    rule, indicator = (written if part.rule == written else part.rule), part.indicator
    tolerance = pack.tolerance or DEFAULT_APPROX_TOLERANCE
    target = rule.target
    assert isinstance(target, (m.Comparison, m.Between, m.Approximately, m.Change))
    if isinstance(target, m.Change):
        measure = _change_measure(rule, target, indicator, diagnostics)
        if measure is None:
            return None
        rule_unit = "%" if measure is Measure.RELATIVE_CHANGE else indicator.unit
        approximate = target.amount
        interval = _interval(target.amount, rule_unit, tolerance, _change_sense(target, indicator))
        factor, baseline = Fraction(1), target.baseline
    else:
        if not _check_value_units(rule, indicator, pack, diagnostics):
            return None
        measure, baseline = Measure.VALUE, None
        rule_unit = next((q.unit for q in m.quantities(target) if q.unit), None)
        approximate = target
        interval = _interval(target, indicator.unit, tolerance, indicator.direction)
        factor = units.factor(indicator.unit, rule_unit) if rule_unit and indicator.unit else Fraction(1)
    years = _years(rule, pack, diagnostics)
    regions = tuple(dict.fromkeys(r for r in (pack.region, *pack.scope) if r))
    used_tolerance = (approximate.tolerance or tolerance) if isinstance(approximate, m.Approximately) else None
    rounding, rounding_by = (pack.rounding, f"pack {pack.id}") if pack.rounding is not None else \
        (indicator.rounding, f"indicator {indicator.name}") if indicator.rounding is not None else (None, None)
    return BoundRule(rule, indicator, pack.id, pack.level, pack.region, pack.source, years, measure,
                     interval, baseline, rule_unit, factor, regions, rounding, rounding_by,
                     written=None if written is rule else written, part=part.index, notes=part.notes,
                     baseline_source=part.baseline_source, year_on_year=part.year_on_year,
                     average_rate=part.average_rate, tolerance=used_tolerance, set_in=_set_in(pack))


def _set_in(pack: m.PackDefinition) -> int | None:
    """The year a pack's targets were set: its publication year, else the year before its period."""
    if pack.published:
        year = re.match(r"\s*(\d{4})", pack.published)
        if year:
            return int(year.group(1))
    return pack.period.start - 1 if pack.period is not None else None


def _change_sense(change: m.Change, indicator: m.Indicator) -> m.Direction:
    """Which way an approximate change amount is one-sided: a fall of about 18% on an indicator
    better lower may be larger, not smaller."""
    better = indicator.direction
    if better is m.Direction.EXACT:
        return better
    improving = (change.direction is m.ChangeDirection.UP) == (better is m.Direction.HIGHER)
    return m.Direction.HIGHER if improving else m.Direction.LOWER


def _change_measure(rule: m.Rule, change: m.Change, indicator: m.Indicator,
                    diagnostics: list[Diagnostic]) -> Measure | None:
    """% is a relative change; 百分点 a change of a share in points; the indicator's own unit (or
    one of its dimension) an absolute change (增加12项, 提高1岁)."""
    measures = set()
    for q in m.quantities(change):
        if q.unit == "%":
            measures.add(Measure.RELATIVE_CHANGE)
        elif q.unit in ("百分点", "个百分点"):
            if indicator.unit is None or not units.compatible("%", indicator.unit):
                diagnostics.append(Diagnostic(
                    "QR113", tr("'{name}' is measured in {unit}; a change in 百分点 only applies to shares (%, ‰)",
                                name=indicator.name, unit=indicator.unit or tr("no unit")), q.span or rule.span,
                    suggestion=tr("state the change in % (relative) instead")))
                return None
            measures.add(Measure.POINT_CHANGE)
        elif q.unit is not None and indicator.unit is not None and units.compatible(q.unit, indicator.unit):
            measures.add(Measure.POINT_CHANGE)
        else:
            written = q.unit or tr("no unit")
            if indicator.unit:
                message = tr("a change of {name} is measured in % or 百分点, or in {unit}, not '{written}'",
                             name=indicator.name, unit=indicator.unit, written=written)
                fix = tr("write e.g. '下降18.5%' or '增加12{unit}'", unit=indicator.unit)
            else:
                message = tr("a change of {name} is measured in % or 百分点, not '{written}'",
                             name=indicator.name, written=written)
                fix = tr("write e.g. '下降18.5%'")
            diagnostics.append(Diagnostic("QR113", message, q.span or rule.span, suggestion=fix))
            return None
    if len(measures) != 1:
        diagnostics.append(Diagnostic("QR113", tr("one change in two kinds of unit"), change.span or rule.span,
                                      suggestion=tr("write both ends in % or both in the indicator's unit")))
        return None
    return measures.pop()


def _check_value_units(rule: m.Rule, indicator: m.Indicator, pack: m.PackDefinition,
                       diagnostics: list[Diagnostic]) -> bool:
    """Units of a value target against the indicator's (errors make it unusable; warnings don't)."""
    usable = True
    for q in m.quantities(rule.target):
        if q.unit is not None and indicator.unit is not None and not units.compatible(q.unit, indicator.unit):
            diagnostics.append(Diagnostic(
                "QR102", tr("'{unit}' cannot be compared with {name}'s unit '{expected}' ({dimension} vs {wanted})",
                            unit=q.unit, name=indicator.name, expected=indicator.unit,
                            dimension=units.dimension(q.unit), wanted=units.dimension(indicator.unit)),
                q.span or rule.span, suggestion=tr("write the target in {unit}", unit=indicator.unit)))
            usable = False
        elif q.unit is None and indicator.unit is not None and q.value != 0 and not _word_target(rule.target):
            number = format_number(q.value)
            diagnostics.append(Diagnostic(
                "QR111", tr("{number} has no unit; read as {unit}", number=number, unit=indicator.unit),
                q.span or rule.span, Severity.WARNING,
                suggestion=tr("write {number}{unit}", number=number, unit=indicator.unit)))
    if isinstance(rule.target, m.Approximately) and rule.target.tolerance is None and pack.tolerance is None:
        sided = {m.Direction.HIGHER: " (no worse than that below the value)",
                 m.Direction.LOWER: " (no worse than that above the value)"}.get(indicator.direction, "")
        diagnostics.append(Diagnostic(
            "QR110", tr("approximate target without a tolerance; using {tolerance}%{sided}",
                        tolerance=DEFAULT_APPROX_TOLERANCE.value, sided=sided),
            rule.target.span or rule.span, Severity.WARNING,
            suggestion=tr("add '±2家' after the target for a band on both sides, or 'tolerance 10%' to the pack")))
    return usable


def _word_target(target: m.Target) -> bool:
    """零的突破: a word standing for a number, read in the indicator's own unit."""
    return isinstance(target, m.Comparison) and target.wording is not None and target.wording[0] is not None \
        and "突破" in target.wording[0]


@functools.lru_cache(maxsize=1)
def _growth_rate_name() -> re.Pattern[str]:
    words = "|".join(sorted(CHANGE_WORDS, key=len, reverse=True))
    return re.compile(rf"(?:{words})(?:率|幅|幅度|速度)$|增速$|年均(?:{words})")


def growth_rate(indicator: m.Indicator) -> bool:
    """Whether the indicator's values are themselves a rate of change (``GDP增长率``,
    ``研发经费增速``, ``…年均增长…``, in % or ‰): a mid-term review compares such a rate with its target
    directly and never compounds it."""
    return indicator.unit in ("%", "‰") and bool(_growth_rate_name().search(indicator.name))


def rule_years(rule: m.Rule, pack: m.PackDefinition) -> tuple[int, ...]:
    """The years a rule of ``pack`` is checked in (or summed over); empty when the pack lacks
    the period or target year the rule needs."""
    time = rule.time
    period = pack.period
    final = pack.target if pack.target is not None else period.end if period is not None else None
    if isinstance(time, m.TargetYear):
        return (time.year,)
    if isinstance(time, m.During):
        return tuple(range(time.start, time.end + 1))
    if isinstance(time, m.EveryYear) and time.last is not None:
        return tuple(range(final - time.last + 1, final + 1)) if final is not None else ()
    if isinstance(time, m.Cumulative) and time.until is not None:
        return tuple(range(period.start, time.until + 1)) if period is not None else ()
    if isinstance(time, (m.EveryYear, m.Cumulative)):
        return tuple(period.years) if period is not None else ()
    return (final,) if final is not None else ()


def _years(rule: m.Rule, pack: m.PackDefinition, diagnostics: list[Diagnostic]) -> tuple[int, ...]:
    years = rule_years(rule, pack)
    time = rule.time
    period = pack.period
    if isinstance(time, m.TargetYear) and period is not None and time.year not in period.years:
        diagnostics.append(Diagnostic(
            "QR114", tr("target year {year} is outside the pack's period {start}..{end}: the target never binds "
                        "(not-applicable)", year=time.year, start=period.start, end=period.end),
            time.span or rule.span, Severity.WARNING))
    elif isinstance(time, (m.During, m.Cumulative, m.EveryYear)) and years and period is not None \
            and not set(years) <= set(period.years):
        diagnostics.append(Diagnostic(
            "QR114", tr("years {first}..{last} reach outside the pack's period {start}..{end}", first=years[0],
                        last=years[-1], start=period.start, end=period.end),
            time.span or rule.span, Severity.WARNING))
    elif not years and isinstance(time, (m.EveryYear, m.Cumulative)):
        diagnostics.append(Diagnostic("QR115", tr("每年/累计 need the pack's 'period'"), time.span or rule.span,
                                      suggestion=tr("add e.g. 'period 2011..2015' to the pack")))
    elif not years:
        diagnostics.append(Diagnostic("QR115", tr("the rule has no year: give the pack a 'target' year or the rule a "
                                                  "time qualifier"), rule.span,
                                      suggestion=tr("add e.g. 'target 2015' to the pack")))
    return years


# ------------------------------------------------------------------------------------------
# Strictness (for overrides, comparison and the binding target)


def stricter(a: BoundRule, b: BoundRule) -> int | None:
    """+1 if ``a`` is stricter than ``b``, -1 if looser, 0 if equally strict, None if the two
    cannot be ordered (different measures, or intervals that neither contains)."""
    if a.measure is not b.measure:
        return None
    ia, ib = a.interval, b.interval
    if ia.excluded or ib.excluded:
        return 0 if ia == ib else None
    a_in_b = _within(ia, ib)
    b_in_a = _within(ib, ia)
    if a_in_b and b_in_a:
        return 0
    if a_in_b:
        return 1
    if b_in_a:
        return -1
    return None


def restates(child: BoundRule, parent: BoundRule) -> bool:
    """``child`` is a target on what ``parent`` also sets: the same indicator and time qualifier,
    for a region the parent's target covers (totals and ranks only cover their own region)."""
    return child.key == parent.key and (not extensive(child.indicator) or bool(set(child.regions) & set(parent.regions)))


def looser(child: BoundRule, parent: BoundRule) -> bool:
    """The child lets through something the parent does not (its interval is not inside the
    parent's, even if it is also narrower elsewhere), or demotes a binding target to an
    aspiration. Targets on different measures cannot be compared and are not looser."""
    if child.measure is not parent.measure:
        return False
    ci, pi = child.interval, parent.interval
    if ci.excluded or pi.excluded:
        lets_more = ci != pi
    else:
        lets_more = not _within(ci, pi)
    demoted = child.strength.warns and not parent.strength.warns
    return lets_more or demoted


def _same_target(a: BoundRule, b: BoundRule) -> bool:
    return a.measure is b.measure and a.interval == b.interval and a.strength is b.strength \
        and a.baseline == b.baseline


def _within(inner: Interval, outer: Interval) -> bool:
    """Every value allowed by ``inner`` is allowed by ``outer``."""
    if outer.lower is not None:
        if inner.lower is None:
            return False
        if inner.lower < outer.lower or (inner.lower == outer.lower and inner.lower_inclusive and not outer.lower_inclusive):
            return False
    if outer.upper is not None:
        if inner.upper is None:
            return False
        if inner.upper > outer.upper or (inner.upper == outer.upper and inner.upper_inclusive and not outer.upper_inclusive):
            return False
    return True


# ------------------------------------------------------------------------------------------
# Packs and lineage


@attrs.frozen
class Pack:
    """A pack with its lineage resolved: own rules bound to the catalogue, parents' rules
    inherited, overrides applied. ``rules`` are the enforced targets, ``recorded`` the ones kept
    only as a record (the other side of a contradiction)."""

    definition: m.PackDefinition
    parents: tuple[Pack, ...]
    rules: tuple[BoundRule, ...]
    recorded: tuple[BoundRule, ...]
    catalogue: Catalogue = attrs.field(repr=False, eq=False)
    diagnostics: tuple[Diagnostic, ...] = attrs.field(default=(), repr=False, eq=False)
    path: str | None = attrs.field(default=None, eq=False)

    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def name(self) -> str | None:
        return self.definition.name

    @property
    def region(self) -> str | None:
        return self.definition.region

    @property
    def level(self) -> m.Level | None:
        return self.definition.level

    @property
    def period(self) -> m.Period | None:
        return self.definition.period

    @property
    def own_rules(self) -> tuple[BoundRule, ...]:
        return tuple(r for r in self.rules if r.origin == self.id)

    @property
    def commitments(self) -> tuple[m.Commitment, ...]:
        return self.definition.commitments

    def lineage(self) -> list[Pack]:
        """This pack and every ancestor, nearest first, each once."""
        seen: dict[str, Pack] = {}
        queue: list[Pack] = [self]
        while queue:
            pack = queue.pop(0)
            if pack.id not in seen:
                seen[pack.id] = pack
                queue.extend(pack.parents)
        return list(seen.values())

    def to_dict(self) -> dict[str, Any]:
        """The JSON export (schema: ``schemas/pack-export.schema.json``)."""
        d = self.definition
        return {
            "schema": "qualityrules/pack-export/1",
            "pack": {
                "id": d.id, "name": d.name, "source": d.source, "issuer": d.issuer,
                "published": d.published, "region": d.region,
                "level": d.level.value if d.level else None,
                "period": [d.period.start, d.period.end] if d.period else None,
                "target_year": d.target, "extends": list(d.extends),
            },
            "rules": [r.to_dict(d.id) for r in self.rules] + [r.to_dict(d.id) for r in self.recorded],
            "commitments": [
                {"text": c.text, "citation": c.citation.text if c.citation else None} for c in d.commitments
            ],
        }


def _fraction_json(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _quantity_export(q: m.Quantity) -> dict[str, Any]:
    base = units.to_base(q.unit) if q.unit else Fraction(1)
    return {
        "written": format_model(q),
        "value": float(q.value),
        "unit": q.unit,
        "base_value": float(Fraction(q.value) * base),
        "base_unit": units.base_unit(q.unit) if q.unit else None,
    }


def _operator(target: Any) -> str:
    if isinstance(target, m.Comparison):
        return target.op.value
    if isinstance(target, m.Between):
        return "between"
    if isinstance(target, m.Approximately):
        return "approximately"
    return _operator(target.amount)


def _rule_export(rule: BoundRule, pack_id: str) -> dict[str, Any]:
    r = rule.rule
    target = r.target
    time: dict[str, Any] = {"kind": rule.kind, "years": list(rule.years)}
    if isinstance(target, m.Change):
        time["baseline"] = target.baseline
        time["change"] = target.direction.value
        time["baseline_from"] = rule.baseline_source
        time["change_form"] = change_form(rule)
        time["average_annual_rate"] = _quantity_export(rule.average_rate) if rule.average_rate else None
    approximate = target.amount if isinstance(target, m.Change) else target
    tolerance = None
    if isinstance(approximate, m.Approximately) and rule.tolerance is not None:
        sides = "both" if rule.interval.lower is not None and rule.interval.upper is not None \
            else "below" if rule.interval.lower is not None else "above"
        tolerance = {"written": format_model(rule.tolerance), "stated": approximate.tolerance is not None,
                     "sides": sides}
    return {
        "pack": pack_id,
        "origin": rule.origin,
        "region": rule.region,
        "applies_to": list(rule.regions),
        "level": rule.level.value if rule.level else None,
        "indicator": rule.indicator.name,
        "indicator_as_written": r.indicator,
        "indicator_unit": rule.indicator.unit,
        "direction": rule.indicator.direction.value,
        "measure": rule.measure.value,
        "operator": _operator(target),
        "values": [_quantity_export(q) for q in m.quantities(target)],
        "interval": {
            "lower": _fraction_json(rule.interval.lower), "upper": _fraction_json(rule.interval.upper),
            "lower_inclusive": rule.interval.lower_inclusive,
            "upper_inclusive": rule.interval.upper_inclusive, "excluded": rule.interval.excluded,
        },
        "time": time,
        "strength": r.strength.value,
        "enforced": rule.enforced,
        "unenforced_reason": r.unenforced,
        "override": r.override,
        "justification": r.justification,
        "citation": {"document": rule.document, "location": rule.citation},
        "text": rule.text,
        "line": r.span.line if r.span else None,
        "meaning": meaning(rule),
        "part": rule.part,
        "readings": list(rule.notes),
        "tolerance": tolerance,
        "set_in": rule.set_in,
        "indicator_definitions": [
            {"from": d.start, "to": d.end, "text": d.text} for d in rule.indicator.definitions],
    }


def change_form(rule: BoundRule) -> str | None:
    """relative (%), points (百分点 of a share) or absolute (the indicator's own unit)."""
    if rule.measure is Measure.RELATIVE_CHANGE:
        return "relative"
    if rule.measure is Measure.POINT_CHANGE:
        shares = rule.indicator.unit is not None and units.compatible(rule.indicator.unit, "%")
        return "points" if shares else "absolute"
    return None


_BOUND_WORDS = {(True, True): ("at least", "at most"), (False, False): ("more than", "less than")}


def _number(value: Fraction, factor: Fraction) -> str:
    scaled = value * factor
    decimal = Decimal(scaled.numerator) / Decimal(scaled.denominator)
    return format_number(decimal.quantize(Decimal("1.0000000000")) if scaled.denominator % 10 else decimal)


def meaning(rule: BoundRule) -> str:
    """What the rule requires, in plain words: ``at least 95%, in 2025; binding``,
    ``a fall of at least 18% against 2015, in 2020; expected``."""
    interval = rule.interval
    if rule.measure is Measure.VALUE:
        factor, unit = rule.rule_factor, rule.rule_unit or rule.indicator.unit or ""
    elif rule.measure is Measure.RELATIVE_CHANGE:
        factor, unit = Fraction(1), "%"
    else:
        factor, unit = Fraction(1), " percentage points" if change_form(rule) == "points" else (rule.indicator.unit or "")
    shown = {key: None if value is None else _number(value, factor) + unit
             for key, value in (("lower", interval.lower), ("upper", interval.upper))}
    low, high = shown["lower"], shown["upper"]
    if interval.excluded:
        bound = f"anything but {low}"
    elif low is not None and high is not None and low == high:
        bound = f"exactly {low}"
    elif low is not None and high is not None:
        ends = "inclusive" if interval.lower_inclusive and interval.upper_inclusive else "exclusive"
        bound = f"between {low} and {high} {ends}"
    elif low is not None:
        bound = f"{'at least' if interval.lower_inclusive else 'more than'} {low}"
    elif high is not None:
        bound = f"{'at most' if interval.upper_inclusive else 'less than'} {high}"
    else:
        bound = "any value"
    target = rule.rule.target
    approximate = target.amount if isinstance(target, m.Change) else target
    if isinstance(approximate, m.Approximately):
        centre = approximate.quantity
        bound = f"about {format_number(centre.value)}{centre.unit or unit} ({bound})"
    if isinstance(target, m.Change):
        size = "rise" if target.direction is m.ChangeDirection.UP else "fall"
        article = "an absolute" if change_form(rule) == "points" else "a"
        since = "the year before" if rule.year_on_year else str(rule.baseline)
        bound = f"{article} {size} of {bound} against {since}"
        if rule.average_rate is not None and rule.baseline is not None and rule.years:
            rate = rule.average_rate
            words = bound.split(" of ", 1)[1].split(" ")[0:2] if " of " in bound else []
            comparison = " ".join(words[:2]) if words[:1] in (["at"], ["more"], ["less"]) else ""
            bound = (f"average annual {'growth' if size == 'rise' else 'fall'} of {comparison + ' ' if comparison else ''}"
                     f"{format_number(rate.value)}{rate.unit or ''} over {rule.baseline + 1}-{rule.years[-1]}, i.e. "
                     + bound)
    years = rule.years
    span = f"{years[0]}-{years[-1]}" if years else "?"
    when = {"every-year": f"in every year {span}", "cumulative": f"summed over {span}"}.get(
        rule.kind, f"in {years[0]}" if years else "in no year")
    if rule.kind == "every-year" and len(years) == 1:
        when = f"in {years[0]}"
    return f"{bound}, {when}; {rule.strength.value}"


def shipped_pack_ids() -> list[str]:
    return sorted(p.stem for p in (rules_dir() / "packs").glob("*.qr"))


def search_folders(search: Sequence[str | Path] | str | Path) -> list[Path]:
    """The public ``search=`` parameters: folders of packs (one folder may be given alone)."""
    folders = [search] if isinstance(search, (str, Path)) else list(search) if isinstance(search, Iterable) else None
    if folders is None or not all(isinstance(f, (str, Path)) for f in folders):
        refuse(tr("search must be folders of packs, not {value}", value=shown(search)))
    return [Path(f) for f in folders]


def pack_ids(search: Sequence[str | Path] = ()) -> dict[str, Path]:
    """Every pack id an ``extends`` or a command can name, with its file: the ``search``
    directories first (an id found there hides a shipped pack of the same id), then the shipped packs."""
    found: dict[str, Path] = {}
    for directory in [*search_folders(search), rules_dir() / "packs"]:
        for path in sorted(directory.glob("*.qr")) if directory.is_dir() else ():
            found.setdefault(path.stem, path)
    return found


@attrs.frozen
class _Resolved:
    """A pack resolved from a file by id (a parent), kept while its lineage's files are unchanged:
    an editor relints a child on every keystroke without parsing its parents again."""

    pack: Pack
    catalogue: Catalogue
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[tuple[Path, int, int], ...]

    def current(self) -> bool:
        return _signature([p for p, _, _ in self.files]) == self.files


_RESOLVED: dict[tuple[Path, tuple[Path, ...]], _Resolved] = {}


@attrs.define
class _Loader:
    """Loads packs by id or path, following ``extends``; detects cycles; collects diagnostics."""

    catalogue: Catalogue
    search: list[Path]
    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    done: dict[str, Pack | None] = attrs.field(factory=dict)
    stack: list[tuple[str, m.PackDefinition]] = attrs.field(factory=list)

    def locate(self, pack_id: str) -> Path | None:
        for directory in self.search:
            candidate = directory / f"{pack_id}.qr"
            if _is_file(candidate):
                return candidate
        return None

    def known_ids(self) -> list[str]:
        return sorted({p.stem for d in self.search if d.is_dir() for p in d.glob("*.qr")})

    def load_id(self, pack_id: str, referrer: m.PackDefinition | None) -> Pack | None:
        if pack_id in self.done:
            return self.done[pack_id]
        path = self.locate(pack_id)
        if path is None:
            span = _extends_span(referrer, pack_id) if referrer else None
            self.diagnostics.append(Diagnostic(
                "QR103", tr("unknown pack '{id}'", id=pack_id), span,
                suggestion=did_you_mean(pack_id, self.known_ids())
                or tr("packs: {ids}", ids=", ".join(self.known_ids()))))
            return None
        key = (path.resolve(), tuple(self.search))
        cached = _RESOLVED.get(key)
        open_ids = {pid for pid, _ in self.stack}
        if cached is not None and cached.catalogue is self.catalogue and cached.current() \
                and not open_ids & {p.id for p in cached.pack.lineage()}:
            self.diagnostics.extend(cached.diagnostics)
            for pack in cached.pack.lineage():
                self.done.setdefault(pack.id, pack)
            return cached.pack
        start = len(self.diagnostics)
        loaded = self.load_path(path)
        found = self.diagnostics[start:]
        if loaded is not None and not any(d.severity is Severity.ERROR for d in found):
            files = [Path(p.path) for p in loaded.lineage() if p.path]
            _RESOLVED[key] = _Resolved(loaded, self.catalogue, tuple(found), _signature(files))
            while len(_RESOLVED) > 64:
                _RESOLVED.pop(next(iter(_RESOLVED)))
        return loaded

    def load_path(self, path: Path) -> Pack | None:
        text, problem = read_rule_text(path)
        if problem:
            self.diagnostics.append(problem)
            return None
        assert text is not None
        rule_file, found = self.parse(text, str(path))
        return self.load_parsed(rule_file, found, str(path), path)

    def load_text(self, text: str, source: str) -> Pack | None:
        rule_file, found = self.parse(text, source)
        return self.load_parsed(rule_file, found, source)

    def parse(self, text: str, source: str) -> tuple[m.RuleFile, tuple[Diagnostic, ...]]:
        """Parse with the catalogue's names, so an unspaced sentence splits at a known name."""
        return parse_text(text, source=source, names=self.catalogue.knows)

    def load_parsed(self, rule_file: m.RuleFile, found: Sequence[Diagnostic], source: str,
                    path: Path | None = None) -> Pack | None:
        self.diagnostics.extend(found)
        if any(d.severity is Severity.ERROR for d in found):
            return None
        if len(rule_file.packs) != 1 or rule_file.indicators:
            self.diagnostics.append(Diagnostic(
                "QR116", tr("{source} declares {packs} packs and {indicators} indicators; a pack file holds exactly "
                            "one pack", source=source, packs=len(rule_file.packs), indicators=len(rule_file.indicators)),
                None, suggestion=tr("put indicators in the catalogue and one pack per file")))
            return None
        definition = rule_file.packs[0]
        # <id>.qr, or a variant of it named <id>.<anything>.qr (haibin-2025.reviewed.qr)
        if path is not None and definition.id != path.stem and not path.stem.startswith(definition.id + "."):
            self.diagnostics.append(Diagnostic(
                "QR118", tr("pack '{id}' is in the file {name}: a pack file is named after its pack id, so that "
                            "'extends' finds it", id=definition.id, name=path.name), _header_span(definition),
                suggestion=tr("rename the file to {id}.qr, or the pack to '{stem}'", id=definition.id, stem=path.stem)))
            return None
        return self.resolve(definition, source)

    def resolve(self, definition: m.PackDefinition, source: str | None) -> Pack | None:
        if definition.id in self.done:
            earlier = self.done[definition.id]
            if earlier is not None and source is not None and earlier.path is not None \
                    and Path(earlier.path).resolve() != Path(source).resolve():
                self.diagnostics.append(Diagnostic(
                    "QR119", tr("two files declare the pack '{id}': {path} and {source}", id=definition.id,
                                path=earlier.path, source=source),
                    _header_span(definition), suggestion=tr("give each pack its own id (and file name)")))
                return None
            return earlier
        if any(pid == definition.id for pid, _ in self.stack):  # a file whose pack id is already open
            self._cycle_at(self.stack[-1][1], definition.id)
            return None
        self.stack.append((definition.id, definition))
        try:
            parents = []
            for parent_id in definition.extends:
                if any(pid == parent_id for pid, _ in self.stack):
                    self._cycle_at(definition, parent_id)
                    continue
                parent = self.load_id(parent_id, definition)
                if parent is not None:
                    parents.append(parent)
            pack = _assemble(definition, tuple(parents), self.catalogue, self.diagnostics, source)
        finally:
            self.stack.pop()
        self.done[definition.id] = pack
        return pack

    def _cycle_at(self, child: m.PackDefinition, parent_id: str) -> None:
        """Report the cycle closed by ``child`` extending ``parent_id``, at every link's extends."""
        ids = [pid for pid, _ in self.stack]
        cycle = ids[ids.index(parent_id):] + [parent_id]
        definitions = dict(self.stack)
        links = [_extends_span(definitions[a], b) for a, b in zip(cycle[:-1], cycle[1:], strict=True)]
        locations = " and ".join(f"{s.source.name}:{s.line}:{s.column}" for s in links if s is not None)
        self.diagnostics.append(Diagnostic(
            "QR104", tr("cyclic extends: {cycle}{where}", cycle=" -> ".join(cycle),
                        where=tr(" (at {locations})", locations=locations) if locations else ""),
            _extends_span(child, parent_id), suggestion=tr("a pack may only extend packs of levels above it")))


def _extends_span(definition: m.PackDefinition | None, parent_id: str) -> m.Span | None:
    if definition is None or definition.span is None:
        return None
    header = definition.span.text.split("\n", 1)[0]
    index = header.find(parent_id, header.find("extends"))
    if index < 0:
        return definition.span
    start = definition.span.start + index
    return span_of(definition.span.source, start, start + len(parent_id))


def _assemble(definition: m.PackDefinition, parents: tuple[Pack, ...], catalogue: Catalogue,
              diagnostics: list[Diagnostic], source: str | None) -> Pack:
    for key, label in (("region", "region"), ("level", "level")):
        if getattr(definition, key) is None:
            diagnostics.append(Diagnostic("QR115", tr("pack '{id}' has no '{label}'", id=definition.id, label=label),
                                          _header_span(definition),
                                          suggestion=tr("add a '{label}' line to the pack", label=label)))
    own: list[BoundRule] = []
    recorded: list[BoundRule] = []
    for written in definition.rules:
        for part in read_statement(written, definition, catalogue.lookup, catalogue.suggest, diagnostics):
            bound = _bind(part, written, definition, diagnostics)
            if bound is not None:
                _check_definitions(bound, diagnostics)
                _check_summable(bound, diagnostics)
                (own if bound.enforced else recorded).append(bound)
    _check_own_conflicts(own, recorded, diagnostics)
    child_regions = tuple(dict.fromkeys(r for r in (definition.region, *definition.scope) if r))
    inherited = [
        p if extensive(p.indicator) else attrs.evolve(p, regions=tuple(dict.fromkeys((*p.regions, *child_regions))))
        for p in _inherit(parents)
    ]
    effective: list[BoundRule] = []
    overridden: set[int] = set()
    by_key: dict[tuple[str, str, tuple[int, ...]], list[int]] = {}  # restating needs the same key
    for i, p in enumerate(inherited):
        by_key.setdefault(p.key, []).append(i)
    for rule in own:
        matches = [i for i in by_key.get(rule.key, ()) if restates(rule, inherited[i])]
        if not matches:
            if rule.rule.override:
                diagnostics.append(Diagnostic(
                    "QR107", tr("'override' but no parent target on {name} applies to {regions} in the same years",
                                name=rule.indicator.name, regions="/".join(rule.regions) or tr("this region")),
                    name_span(rule.rule), Severity.WARNING, suggestion=tr("drop 'override'")))
            effective.append(rule)
            continue
        if not rule.rule.override:
            parent = inherited[matches[0]]
            if all(_same_target(rule, inherited[i]) for i in matches):
                overridden.update(matches)  # a plain restatement: the child's citation now binds
                effective.append(rule)
                continue
            diagnostics.append(Diagnostic(
                "QR105", tr("{name} is already a target of parent pack '{parent}' ({where}); mark this rule "
                            "'override' to replace it", name=rule.indicator.name, parent=parent.origin,
                            where=_where(parent.rule.span)),
                name_span(rule.rule), suggestion=tr("start the line with 'override'")))
            effective.append(rule)
            continue
        for index in matches:
            parent = inherited[index]
            if looser(rule, parent) and rule.rule.justification is None:
                diagnostics.append(Diagnostic(
                    "QR106", tr("override of {name} is looser than '{parent}' ({target} at {where})",
                                name=rule.indicator.name, parent=parent.origin, target=parent.text,
                                where=_where(parent.rule.span)), name_span(rule.rule),
                    suggestion=tr('add because "…" stating why, or tighten the target')))
            overridden.add(index)
        effective.append(rule)
    kept = [p for i, p in enumerate(inherited) if i not in overridden]
    _check_looser_than_inherited(effective, kept, diagnostics)
    return Pack(definition, parents, tuple(kept + effective), tuple(recorded), catalogue,
                tuple(d for d in diagnostics if d.severity is Severity.WARNING), source)


def _check_looser_than_inherited(own: list[BoundRule], inherited: list[BoundRule],
                                 diagnostics: list[Diagnostic]) -> None:
    """A child target for other years than an inherited one, but looser in a year both cover:
    the inherited target still binds there, so the child's is weaker than it reads."""
    by_indicator: dict[int, list[BoundRule]] = {}
    for parent in inherited:
        by_indicator.setdefault(id(parent.indicator), []).append(parent)
    for rule in own:
        for parent in by_indicator.get(id(rule.indicator), ()):
            if not set(rule.regions) & set(parent.regions):
                continue
            shared = sorted(set(rule.years) & set(parent.years))
            yearly = "cumulative" not in (rule.kind, parent.kind)  # a sum is not a yearly level
            if shared and yearly and parent.key != rule.key and looser(rule, parent):
                diagnostics.append(Diagnostic(
                    "QR117", tr("{name} in {year} is looser here than the inherited '{target}' from '{parent}', "
                                "which still binds", name=rule.indicator.name, year=shared[0],
                                target=parent.statement, parent=parent.origin),
                    name_span(rule.rule), Severity.WARNING,
                    suggestion=tr("tighten the target or make it an override of the inherited one")))
                break


def _header_span(definition: m.PackDefinition) -> m.Span | None:
    if definition.span is None:
        return None
    span = definition.span
    return span_of(span.source, span.start, span.start + len(span.text.split("\n", 1)[0]))


def _where(span: m.Span | None) -> str:
    return f"{span.source.name}:{span.line}" if span else tr("unknown location")


def _inherit(parents: Iterable[Pack]) -> list[BoundRule]:
    """Every enforced rule of every parent, each origin rule once, in a parent-order-independent
    order (by origin pack id, then by position in its file)."""
    seen: dict[tuple[str, int, int], BoundRule] = {}
    for parent in parents:
        for rule in parent.rules:
            position = rule.rule.span.start if rule.rule.span else id(rule)
            seen.setdefault((rule.origin, position, rule.part), rule)
    return [seen[k] for k in sorted(seen)]


def _check_definitions(rule: BoundRule, diagnostics: list[Diagnostic]) -> None:
    """A target set under one definition of its statistic and checked in years of another."""
    changed = next((rule.definition_caveat(year) for year in rule.years if rule.definition_caveat(year)), None)
    if changed is not None:
        diagnostics.append(Diagnostic(
            "QR124", tr("{name} changed its definition: {changed}", name=rule.indicator.name, changed=changed), name_span(rule.rule), Severity.WARNING,
            suggestion=tr("results for those years carry this caveat; restate the target under the new definition to "
                          "check it on its own terms")))


def _check_summable(rule: BoundRule, diagnostics: list[Diagnostic]) -> None:
    """QR125: a running total (累计, a sum over the years) of a statistic whose yearly values do
    not add up — a share, rate, concentration, index or per-head value. Summing five years of
    95 % gives 475 %, which would pass a target of 95 % whatever the years held."""
    if rule.kind != "cumulative" or rule.measure is not Measure.VALUE or rule.indicator.unit is None \
            or extensive(rule.indicator):
        return
    diagnostics.append(Diagnostic(
        "QR125", tr("{name} ({unit}) does not add up over years: a running total of it means nothing",
                    name=rule.indicator.name, unit=rule.indicator.unit), rule.rule.span,
        suggestion=tr("state the level to reach in the final year (到{year}年 …), or a change "
                      "(较{base}年提高…); 累计 sums yearly counts or amounts", year=rule.years[-1],
                      base=rule.years[0] - 1)))


def _check_own_conflicts(own: list[BoundRule], recorded: list[BoundRule], diagnostics: list[Diagnostic]) -> None:
    by_key: dict[tuple[str, str, tuple[int, ...]], BoundRule] = {}
    for rule in own:
        first = by_key.setdefault(rule.key, rule)
        if first is not rule and (first.interval != rule.interval or first.measure is not rule.measure):
            diagnostics.append(Diagnostic(
                "QR109", tr("{name} has two different enforced targets in this pack (the other at {where})",
                            name=rule.indicator.name, where=_where(first.rule.span)), name_span(rule.rule),
                suggestion=tr('keep one and mark the other unenforced "reason"')))
    for rule in recorded:
        enforced = by_key.get(rule.key)
        if enforced is not None and (enforced.interval != rule.interval or enforced.measure is not rule.measure):
            diagnostics.append(Diagnostic(
                "QR108", tr("contradiction: {name} is stated as '{stated}' here and enforced as '{enforced}' ({where}); "
                            "reason: {reason}", name=rule.indicator.name, stated=rule.statement,
                            enforced=enforced.statement, where=_where(enforced.rule.span),
                            reason=rule.rule.unenforced), name_span(rule.rule), Severity.WARNING))


# ------------------------------------------------------------------------------------------
# Entry points


def load_pack(id_or_path: str | Path, *, search: Sequence[str | Path] = (),
              catalogue: CatalogueLike = None) -> Pack:
    """A pack by id (looked up in ``search``, then among the shipped packs) or a pack file by
    path, with its lineage; ``catalogue``: see :func:`as_catalogue`."""
    pack, diagnostics = _load(id_or_path, search, as_catalogue(catalogue))
    raise_errors(diagnostics)
    assert pack is not None
    return pack


def _loader(search: Sequence[str | Path], catalogue: Catalogue | None) -> _Loader:
    """A loader looking in ``search`` and then the shipped packs, with the given or shipped catalogue."""
    cat, cat_diagnostics = (catalogue, ()) if catalogue else _cached_catalogue(tuple(catalogue_files()))
    loader = _Loader(cat, [*search_folders(search), rules_dir() / "packs"])
    loader.diagnostics.extend(cat_diagnostics)
    return loader


def _load(id_or_path: str | Path, search: Sequence[str | Path] = (),
          catalogue: Catalogue | None = None) -> tuple[Pack | None, list[Diagnostic]]:
    path = Path(id_or_path)
    is_path = _is_path(id_or_path)
    loader = _loader([*search_folders(search), *([path.parent] if is_path else [])], catalogue)
    pack = loader.load_path(path) if is_path else loader.load_id(str(id_or_path), None)
    return pack, loader.diagnostics


def load_packs(*packs: Pack | str | Path, search: Sequence[str | Path] = (),
               catalogue: CatalogueLike = None) -> list[Pack]:
    """Several packs (ids, paths, or :class:`Pack` objects, returned as they are), in the order
    given, the ids and paths through one loader, so a shared ancestor is read and resolved once."""
    named = [x for x in packs if not isinstance(x, Pack)]
    paths = [Path(x) for x in named if _is_path(x)]
    loader = _loader([*search_folders(search), *(p.parent for p in paths)], as_catalogue(catalogue))
    loaded = [loader.load_path(Path(x)) if _is_path(x) else loader.load_id(str(x), None) for x in named]
    raise_errors(loader.diagnostics)
    found = iter(loaded)
    result = [x if isinstance(x, Pack) else next(found) for x in packs]
    return [p for p in result if p is not None]


def _is_path(id_or_path: str | Path) -> bool:
    path = Path(id_or_path)
    return path.suffix == ".qr" or _is_file(path) or "/" in str(id_or_path)


def _is_file(path: Path) -> bool:
    """``path.is_file()``; False for a name no file can have (too long for the system)."""
    try:
        return path.is_file()
    except OSError:
        return False


def resolve_text(text: str, *, source: str = "<string>", search: Sequence[str | Path] = (),
                 catalogue: CatalogueLike = None) -> Pack:
    """Parse and resolve pack text (its parents come from ``search`` or the shipped packs)."""
    loader = _loader(search, as_catalogue(catalogue))
    pack = loader.load_text(text, source)
    raise_errors(loader.diagnostics)
    assert pack is not None
    return pack


def lint_file(path: str | Path, *, search: Sequence[str | Path] = (), catalogue: CatalogueLike = None
              ) -> list[Diagnostic]:
    """Every diagnostic for a pack or catalogue file: syntax, catalogue, units, lineage; less the
    warnings its ``# noqa: CODE reason`` comments silence (see :mod:`.suppressions`)."""
    path = Path(path)
    text, problem = read_rule_text(path)
    if problem:
        return [problem]
    assert text is not None
    return lint_text(text, str(path), search=search, catalogue=catalogue)


def lint_text(text: str, source: str, *, search: Sequence[str | Path] = (), catalogue: CatalogueLike = None,
              parsed: tuple[m.RuleFile, Sequence[Diagnostic]] | None = None) -> list[Diagnostic]:
    """:func:`lint_file` of ``text`` as if it were the file ``source`` (an editor's unsaved buffer);
    ``parsed``: ``parse_text(text, source=source)`` if the caller has it already."""
    from .suppressions import apply_suppressions

    path = Path(source)
    own, broken = _catalogue_for_lint(catalogue)
    known = (own or _cached_catalogue(tuple(catalogue_files()))[0]).knows  # names for the sentence reader
    rule_file, diagnostics = parsed if parsed is not None else parse_text(text, source=source, names=known)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return apply_suppressions(diagnostics, m.Source(source, text), complete=False)
    if rule_file.indicators and not rule_file.packs:
        found = _lint_catalogue(rule_file.indicators, path, catalogue)
        own_file = [d for d in found if d.file in (source, None)]
    else:
        if broken:  # the catalogues themselves do not load: say so instead of raising
            return [*broken, *apply_suppressions(diagnostics, m.Source(source, text), complete=False)]
        loader = _loader([*search_folders(search), path.parent], own)
        loader.load_parsed(rule_file, diagnostics, source, path if path.suffix == ".qr" else None)
        found = loader.diagnostics
        own_file = [d for d in found if d.file in (source, None)]
        diagnostics = ()
    other = [d for d in found if d.file not in (source, None) and d.severity is Severity.ERROR]
    return apply_suppressions([*own_file, *diagnostics], m.Source(source, text)) + other


def _catalogue_for_lint(catalogue: CatalogueLike) -> tuple[Catalogue | None, list[Diagnostic]]:
    """The catalogue ``catalogue=`` names, and the errors of its files if they do not load."""
    if catalogue is None or isinstance(catalogue, Catalogue):
        return catalogue, []
    paths = [catalogue] if isinstance(catalogue, (str, Path)) else list(catalogue)
    built, found = extended_catalogue(paths)
    return built, [d for d in found if d.severity is Severity.ERROR]


def _lint_catalogue(indicators: Sequence[m.Indicator], path: Path, catalogue: CatalogueLike) -> list[Diagnostic]:
    """A catalogue file's diagnostics: one of the shipped files is checked together with the
    others; an author's own file as an extension of the shipped catalogue (and of any other
    catalogue files given)."""
    shipped = catalogue_files()
    if any(_same_file(path, p) for p in shipped):
        _, found = _catalogue_with_diagnostics([p for p in shipped if not _same_file(path, p)], extra=indicators)
        return found
    if isinstance(catalogue, Catalogue):
        base, found = catalogue, []
    else:
        extra = [] if catalogue is None else [catalogue] if isinstance(catalogue, (str, Path)) else list(catalogue)
        base, found = extended_catalogue([p for p in extra if not _same_file(path, Path(p))])
        found = [d for d in found if d.severity is Severity.ERROR]
    _, more = base.extended(indicators)
    return [*found, *more]


def _same_file(a: str | Path, b: str | Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()
