"""Resolve: bind rules to the indicator catalogue, check units, load packs with their lineage,
apply inheritance and overrides. Produces :class:`Pack`, what the planner and evaluator consume.

Every function here collects diagnostics instead of stopping at the first; the public loaders
raise a :class:`~qualityrules.errors.QualityRulesError` carrying all errors found.
"""

from __future__ import annotations

import enum
import functools
import pickle
import re
import sys
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from ..errors import Diagnostic, Severity, did_you_mean, raise_errors, span_of
from ..i18n import tr
from ..language import model as m
from ..language import units
from ..language.format import format_model, format_number, rule_body
from ..language.parse import parse_text
from ..language.text import normalize, normalize_with_offsets
from ..resources import Artefact, code_fingerprint, digest, load_artefact, rules_dir

__all__ = [
    "Catalogue", "BoundRule", "Pack", "Interval", "Measure", "load_catalogue", "load_pack",
    "resolve_text", "lint_file", "shipped_pack_ids", "DEFAULT_APPROX_TOLERANCE", "extended_catalogue",
    "as_catalogue", "CatalogueLike",
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

    def names(self) -> list[str]:
        return sorted(self._index)

    def suggest(self, name: str) -> str | None:
        return did_you_mean(normalize(name), self._index)

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
    except OSError as error:
        return None, Diagnostic("QR201", tr("cannot read {path}: {reason}", path=str(path),
                                            reason=error.strerror or str(error)))


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
    """The shipped catalogue extended by the catalogue files ``extra`` (see :meth:`Catalogue.extended`)."""
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
    paths = [catalogue] if isinstance(catalogue, (str, Path)) else list(catalogue)
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

    @property
    def kind(self) -> str:
        time = self.rule.time
        if isinstance(time, m.EveryYear):
            return "every-year"
        if isinstance(time, m.Cumulative):
            return "cumulative"
        return "target-year"

    @property
    def key(self) -> tuple[str, str, tuple[int, ...]]:
        """Identity for inheritance: the same indicator and time qualifier."""
        return (self.indicator.name, self.kind, self.years)

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
        return format_model(self.rule)

    @property
    def statement(self) -> str:
        """The rule without its citation and other clauses."""
        return rule_body(self.rule)

    def to_dict(self, pack_id: str | None = None) -> dict[str, Any]:
        return _rule_export(self, pack_id or self.origin)


def _quantity_in(q: m.Quantity, unit: str | None) -> Fraction:
    value = Fraction(q.value)
    if q.unit is None or unit is None or q.unit == unit:
        return value
    return value * units.factor(q.unit, unit)


def _interval(target: m.Comparison | m.Between | m.Approximately, unit: str | None,
              default_tolerance: m.Quantity) -> Interval:
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
    tolerance = target.tolerance or default_tolerance
    if tolerance.unit == "%":
        width = abs(centre) * Fraction(tolerance.value) / 100
    else:
        width = _quantity_in(tolerance, unit)
    return Interval(centre - width, centre + width)


def _bind(rule: m.Rule, pack: m.PackDefinition, catalogue: Catalogue,
          diagnostics: list[Diagnostic]) -> BoundRule | None:
    indicator = catalogue.lookup(rule.indicator)
    if indicator is None:
        diagnostics.append(Diagnostic(
            "QR101", tr("unknown indicator '{name}'", name=rule.indicator), _name_span(rule),
            suggestion=catalogue.suggest(rule.indicator)
            or tr("add it to a catalogue of your own (--catalogue FILE) with its unit and direction")))
        return None
    tolerance = pack.tolerance or DEFAULT_APPROX_TOLERANCE
    target = rule.target
    if isinstance(target, m.Change):
        in_points = next((q for q in m.quantities(target) if q.unit in ("百分点", "个百分点")), None)
        points = in_points is not None
        if in_points is not None and (indicator.unit is None or not units.compatible("%", indicator.unit)):
            diagnostics.append(Diagnostic(
                "QR113", tr("'{name}' is measured in {unit}; a change in 百分点 only applies to shares (%, ‰)",
                            name=indicator.name, unit=indicator.unit or tr("no unit")), in_points.span or rule.span,
                suggestion=tr("state the change in % (relative) instead")))
            return None
        measure = Measure.POINT_CHANGE if points else Measure.RELATIVE_CHANGE
        rule_unit = indicator.unit if points else "%"
        interval = _interval(target.amount, rule_unit, tolerance)
        factor, baseline = Fraction(1), target.baseline
    else:
        if not _check_value_units(rule, indicator, pack, diagnostics):
            return None
        measure, baseline = Measure.VALUE, None
        rule_unit = next((q.unit for q in m.quantities(target) if q.unit), None)
        interval = _interval(target, indicator.unit, tolerance)
        factor = units.factor(indicator.unit, rule_unit) if rule_unit and indicator.unit else Fraction(1)
    years = _years(rule, pack, diagnostics)
    regions = tuple(dict.fromkeys(r for r in (pack.region, *pack.scope) if r))
    rounding, rounding_by = (pack.rounding, f"pack {pack.id}") if pack.rounding is not None else \
        (indicator.rounding, f"indicator {indicator.name}") if indicator.rounding is not None else (None, None)
    return BoundRule(rule, indicator, pack.id, pack.level, pack.region, pack.source, years, measure,
                     interval, baseline, rule_unit, factor, regions, rounding, rounding_by)


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
        elif q.unit is None and indicator.unit is not None and q.value != 0:
            number = format_number(q.value)
            diagnostics.append(Diagnostic(
                "QR111", tr("{number} has no unit; read as {unit}", number=number, unit=indicator.unit),
                q.span or rule.span, Severity.WARNING,
                suggestion=tr("write {number}{unit}", number=number, unit=indicator.unit)))
    if isinstance(rule.target, m.Approximately) and rule.target.tolerance is None and pack.tolerance is None:
        diagnostics.append(Diagnostic(
            "QR110", tr("approximate target without a tolerance; using ±{tolerance}%",
                        tolerance=DEFAULT_APPROX_TOLERANCE.value),
            rule.target.span or rule.span, Severity.WARNING,
            suggestion=tr("add '±2家' after the target or 'tolerance 10%' to the pack")))
    return usable


# Dimensions whose targets belong to one region: totals that grow with the size of a region (a
# province's 3万家 is not a district's target) and ranks among peers (广东省 first among provinces
# says nothing of a district's place). Shares, concentrations, intensities, per-capita rates,
# indices, scores and durations bind every region below the one that set them.
_EXTENSIVE_DIMENSIONS = frozenset({
    "[count]", "[currency]", "[us_currency]", "[person]", "[length]", "[length]**2", "[length]**3",
    "[mass]", "[coal_equivalent]", "[rank]",
})


def extensive(indicator: m.Indicator) -> bool:
    """Whether a target on the indicator belongs to its own region only (a total over the region,
    or its rank among peers), so a parent's target does not apply to a child region's data."""
    return indicator.unit is not None and units.dimension(indicator.unit) in _EXTENSIVE_DIMENSIONS


@functools.lru_cache(maxsize=1)
def _growth_rate_name() -> re.Pattern[str]:
    from ..language.parse import CHANGE_WORDS

    words = "|".join(sorted(CHANGE_WORDS, key=len, reverse=True))
    return re.compile(rf"(?:{words})(?:率|幅|幅度|速度)$|增速$|年均(?:{words})")


def growth_rate(indicator: m.Indicator) -> bool:
    """Whether the indicator's values are themselves a rate of change (``GDP增长率``,
    ``研发经费增速``, ``…年均增长…``, in % or ‰): a mid-term review compares such a rate with its target
    directly and never compounds it."""
    return indicator.unit in ("%", "‰") and bool(_growth_rate_name().search(indicator.name))


def _name_span(rule: m.Rule) -> m.Span | None:
    """The span of the indicator name inside the rule (found in the normalised text, so a
    traditional-script or full-width name is found too)."""
    if rule.span is None:
        return None

    normalized = normalize_with_offsets(rule.span.text)
    index = normalized.text.find(rule.indicator)
    if index < 0:
        return rule.span
    start = rule.span.start + normalized.original_offset(index)
    end = rule.span.start + normalized.original_offset(index + len(rule.indicator))
    return span_of(rule.span.source, start, end)


def rule_years(rule: m.Rule, pack: m.PackDefinition) -> tuple[int, ...]:
    """The years a rule of ``pack`` is checked in (or summed over); empty when the pack lacks
    the period or target year the rule needs."""
    time = rule.time
    period = pack.period
    if isinstance(time, m.TargetYear):
        return (time.year,)
    if isinstance(time, (m.EveryYear, m.Cumulative)):
        return tuple(period.years) if period is not None else ()
    if pack.target is not None:
        return (pack.target,)
    return (period.end,) if period is not None else ()


def _years(rule: m.Rule, pack: m.PackDefinition, diagnostics: list[Diagnostic]) -> tuple[int, ...]:
    years = rule_years(rule, pack)
    time = rule.time
    period = pack.period
    if isinstance(time, m.TargetYear) and period is not None and time.year not in period.years:
        diagnostics.append(Diagnostic(
            "QR114", tr("target year {year} is outside the pack's period {start}..{end}: the target never binds "
                        "(not-applicable)", year=time.year, start=period.start, end=period.end),
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
    demoted = child.strength is m.Strength.ASPIRATION and parent.strength is m.Strength.BINDING
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
    }


def shipped_pack_ids() -> list[str]:
    return sorted(p.stem for p in (rules_dir() / "packs").glob("*.qr"))


def pack_ids(search: Sequence[str | Path] = ()) -> dict[str, Path]:
    """Every pack id an ``extends`` or a command can name, with its file: the ``search``
    directories first (an id found there hides a shipped pack of the same id), then the shipped packs."""
    found: dict[str, Path] = {}
    for directory in [*(Path(s) for s in search), rules_dir() / "packs"]:
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
            if candidate.is_file():
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
        return self.load_text(text, str(path))

    def load_text(self, text: str, source: str) -> Pack | None:
        rule_file, found = parse_text(text, source=source)
        return self.load_parsed(rule_file, found, source)

    def load_parsed(self, rule_file: m.RuleFile, found: Sequence[Diagnostic], source: str) -> Pack | None:
        self.diagnostics.extend(found)
        if any(d.severity is Severity.ERROR for d in found):
            return None
        if len(rule_file.packs) != 1 or rule_file.indicators:
            self.diagnostics.append(Diagnostic(
                "QR116", tr("{source} declares {packs} packs and {indicators} indicators; a pack file holds exactly "
                            "one pack", source=source, packs=len(rule_file.packs), indicators=len(rule_file.indicators)),
                None, suggestion=tr("put indicators in the catalogue and one pack per file")))
            return None
        return self.resolve(rule_file.packs[0], source)

    def resolve(self, definition: m.PackDefinition, source: str | None) -> Pack | None:
        if definition.id in self.done:
            return self.done[definition.id]
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
        bound = _bind(written, definition, catalogue, diagnostics)
        if bound is not None:
            (own if bound.enforced else recorded).append(bound)
    _check_own_conflicts(own, recorded, diagnostics)
    child_regions = tuple(dict.fromkeys(r for r in (definition.region, *definition.scope) if r))
    inherited = [
        p if extensive(p.indicator) else attrs.evolve(p, regions=tuple(dict.fromkeys((*p.regions, *child_regions))))
        for p in _inherit(parents)
    ]
    effective: list[BoundRule] = []
    overridden: set[int] = set()
    for rule in own:
        matches = [i for i, p in enumerate(inherited) if restates(rule, p)]
        if not matches:
            if rule.rule.override:
                diagnostics.append(Diagnostic(
                    "QR107", tr("'override' but no parent target on {name} applies to {regions} in the same years",
                                name=rule.indicator.name, regions="/".join(rule.regions) or tr("this region")),
                    _name_span(rule.rule), Severity.WARNING, suggestion=tr("drop 'override'")))
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
                _name_span(rule.rule), suggestion=tr("start the line with 'override'")))
            effective.append(rule)
            continue
        for index in matches:
            parent = inherited[index]
            if looser(rule, parent) and rule.rule.justification is None:
                diagnostics.append(Diagnostic(
                    "QR106", tr("override of {name} is looser than '{parent}' ({target} at {where})",
                                name=rule.indicator.name, parent=parent.origin, target=parent.text,
                                where=_where(parent.rule.span)), _name_span(rule.rule),
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
    for rule in own:
        for parent in inherited:
            if parent.indicator is not rule.indicator or not set(rule.regions) & set(parent.regions):
                continue
            shared = sorted(set(rule.years) & set(parent.years))
            yearly = "cumulative" not in (rule.kind, parent.kind)  # a sum is not a yearly level
            if shared and yearly and parent.key != rule.key and looser(rule, parent):
                diagnostics.append(Diagnostic(
                    "QR117", tr("{name} in {year} is looser here than the inherited '{target}' from '{parent}', "
                                "which still binds", name=rule.indicator.name, year=shared[0],
                                target=parent.statement, parent=parent.origin),
                    _name_span(rule.rule), Severity.WARNING,
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
    seen: dict[tuple[str, int], BoundRule] = {}
    for parent in parents:
        for rule in parent.rules:
            position = rule.rule.span.start if rule.rule.span else id(rule)
            seen.setdefault((rule.origin, position), rule)
    return [seen[k] for k in sorted(seen)]


def _check_own_conflicts(own: list[BoundRule], recorded: list[BoundRule], diagnostics: list[Diagnostic]) -> None:
    by_key: dict[tuple[str, str, tuple[int, ...]], BoundRule] = {}
    for rule in own:
        first = by_key.setdefault(rule.key, rule)
        if first is not rule and (first.interval != rule.interval or first.measure is not rule.measure):
            diagnostics.append(Diagnostic(
                "QR109", tr("{name} has two different enforced targets in this pack (the other at {where})",
                            name=rule.indicator.name, where=_where(first.rule.span)), _name_span(rule.rule),
                suggestion=tr('keep one and mark the other unenforced "reason"')))
    for rule in recorded:
        enforced = by_key.get(rule.key)
        if enforced is not None and (enforced.interval != rule.interval or enforced.measure is not rule.measure):
            diagnostics.append(Diagnostic(
                "QR108", tr("contradiction: {name} is stated as '{stated}' here and enforced as '{enforced}' ({where}); "
                            "reason: {reason}", name=rule.indicator.name, stated=rule.statement,
                            enforced=enforced.statement, where=_where(enforced.rule.span),
                            reason=rule.rule.unenforced), _name_span(rule.rule), Severity.WARNING))


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
    loader = _Loader(cat, [*(Path(s) for s in search), rules_dir() / "packs"])
    loader.diagnostics.extend(cat_diagnostics)
    return loader


def _load(id_or_path: str | Path, search: Sequence[str | Path] = (),
          catalogue: Catalogue | None = None) -> tuple[Pack | None, list[Diagnostic]]:
    path = Path(id_or_path)
    is_path = _is_path(id_or_path)
    loader = _loader([*search, *([path.parent] if is_path else [])], catalogue)
    pack = loader.load_path(path) if is_path else loader.load_id(str(id_or_path), None)
    return pack, loader.diagnostics


def load_packs(*packs: Pack | str | Path, search: Sequence[str | Path] = (),
               catalogue: CatalogueLike = None) -> list[Pack]:
    """Several packs (ids, paths, or :class:`Pack` objects, returned as they are), in the order
    given, the ids and paths through one loader, so a shared ancestor is read and resolved once."""
    named = [x for x in packs if not isinstance(x, Pack)]
    paths = [Path(x) for x in named if _is_path(x)]
    loader = _loader([*search, *(p.parent for p in paths)], as_catalogue(catalogue))
    loaded = [loader.load_path(Path(x)) if _is_path(x) else loader.load_id(str(x), None) for x in named]
    raise_errors(loader.diagnostics)
    found = iter(loaded)
    result = [x if isinstance(x, Pack) else next(found) for x in packs]
    return [p for p in result if p is not None]


def _is_path(id_or_path: str | Path) -> bool:
    path = Path(id_or_path)
    return path.suffix == ".qr" or path.is_file() or "/" in str(id_or_path)


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
    rule_file, diagnostics = parsed if parsed is not None else parse_text(text, source=source)
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return apply_suppressions(diagnostics, m.Source(source, text), complete=False)
    if rule_file.indicators and not rule_file.packs:
        found = _lint_catalogue(rule_file.indicators, path, catalogue)
        own_file = [d for d in found if d.file in (source, None)]
    else:
        own, broken = _catalogue_for_lint(catalogue)
        if broken:  # the catalogues themselves do not load: say so instead of raising
            return [*broken, *apply_suppressions(diagnostics, m.Source(source, text), complete=False)]
        loader = _loader([*search, path.parent], own)
        loader.load_parsed(rule_file, diagnostics, source)
        found = loader.diagnostics
        own_file = [d for d in found if d.file in (source, None)]
        diagnostics = ()
    other = [d for d in found if d not in own_file and d.severity is Severity.ERROR]
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
