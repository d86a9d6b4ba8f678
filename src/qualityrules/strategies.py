"""Hypothesis strategies for rule packs and their data.

For compliance test suites: generate rules, packs (with lineage), indicator tables, raw records,
and data guaranteed to pass every enforced target of a pack — or to fail one given target::

    from hypothesis import given
    import qualityrules
    from qualityrules import strategies as qst

    PACK = qualityrules.load_pack("longgang-2015")

    @given(qst.compliant_data(PACK))
    def test_everything_passes(table):
        ...

This module imports hypothesis (the ``strategies`` extra) and pandas; ``import qualityrules``
never imports it. Every strategy follows hypothesis's conventions: options are keyword-only and
checked when the strategy is created, bad options raise
:class:`hypothesis.errors.InvalidArgument`.

Data tables are :class:`pandas.DataFrame` in long form with the columns ``region``, ``year``,
``indicator`` (the catalogue's canonical name) and ``value`` (``float64``, in the indicator's
catalogue unit). "Guaranteed" means: for the value each float counts at (its shortest decimal,
as the evaluator reads it: :func:`qualityrules.tables.decimals.value_of`), checked with exact
fractions, *and* for the ``float64`` value checked against the ``float64`` bounds, as a plain
numpy evaluator does. Targets with a zero-width range (``== 0.47``) can
only be met in the ``float64`` sense.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .errors import optional_dependencies
from .language import model as m
from .language.text import normalize
from .language.units import to_base
from .tables.decimals import value_of

with optional_dependencies("qualityrules.strategies"):
    import hypothesis.strategies as st
    from hypothesis import reject
    from hypothesis.errors import InvalidArgument

if TYPE_CHECKING:
    import pandas as pd

    from .packs.resolve import BoundRule, Catalogue, Pack

__all__ = [
    "quantities", "indicator_names", "texts", "rules", "packs", "indicator_tables", "records",
    "compliant_data", "violating_data",
]

T = TypeVar("T")

# ------------------------------------------------------------------------------------------
# Argument checking (hypothesis style: eager, InvalidArgument)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidArgument(message)


def _check_type(value: object, types: type | tuple[type, ...], name: str) -> None:
    if not isinstance(value, types):
        wanted = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
        raise InvalidArgument(f"{name}={value!r} must be {wanted}, not {type(value).__name__}")


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, Fraction, str)):
        raise InvalidArgument(f"{name}={value!r} must be a number")
    try:
        result = Decimal(value) if not isinstance(value, Fraction) else Decimal(value.numerator) / value.denominator
    except ArithmeticError:
        raise InvalidArgument(f"{name}={value!r} is not a number") from None
    _check(result.is_finite(), f"{name}={value!r} must be finite")
    return result


def _check_years(min_year: int, max_year: int) -> None:
    for name, year in (("min_year", min_year), ("max_year", max_year)):
        _check_type(year, int, name)
        _check(1000 <= year <= 9999, f"{name}={year} must be a four-digit year")
    _check(min_year <= max_year, f"min_year={min_year} is after max_year={max_year}")


def _check_size(min_size: int, max_size: int, what: str) -> None:
    _check_type(min_size, int, f"min_{what}")
    _check_type(max_size, int, f"max_{what}")
    _check(0 <= min_size <= max_size, f"need 0 <= min_{what}={min_size} <= max_{what}={max_size}")


# ------------------------------------------------------------------------------------------
# Text the language can carry

# Simplified characters of the kind indicator names use (each is its own NFKC and simplified
# form; names are normalised by the parser, so anything else would not round-trip).
_CJK = (
    "质量安全率产品企业工程服务标准环境水空气达排放检测合格名牌区市省国家发展指数覆盖年均浓度能耗增加"
    "值比重新技术创建示范城市管理体系认证建设项目医疗教育食品药农业工商消费者满意度优良天数污染治理"
)
_NAME_CHARS = _CJK + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.()/_-%"
# Free text (citations, reasons, metadata) keeps its script: traditional characters, CJK
# punctuation, spaces and any one or two of the three quote styles are fine.
_TEXT_CHARS = (
    _CJK + "龍崗區質量強標準 abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    ".,;:()[]/-+*&%#!?'〔〕、，。：；（）《》—·…\"“”「」"
)
_QUOTE_STYLES = (('"', '"'), ("“", "”"), ("「", "」"))
def _name_ok(name: str) -> bool:
    return name == name.strip() and normalize(name) == name


def indicator_names(*, min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[str]:
    """Names of indicators, regions and sections: simplified Chinese, ASCII letters, digits and
    ``.()/_-%``, sometimes with an inner space (then they are written quoted)."""
    _check_size(min_size, max_size, "size")
    _check(min_size >= 1, "min_size must be at least 1")
    base = st.text(st.sampled_from(_NAME_CHARS), min_size=min_size, max_size=max_size)
    spaced = st.tuples(base, base).map(" ".join).filter(lambda s: len(s) <= max_size + 1 + max_size)
    return st.one_of(base, spaced).filter(_name_ok)


def _text_ok(text: str) -> bool:
    return not all(left in text or right in text for left, right in _QUOTE_STYLES)


def texts(*, min_size: int = 0, max_size: int = 24) -> st.SearchStrategy[str]:
    """Free text for citations, reasons and pack metadata: never a newline, never all three
    quote styles at once (one of them must be free to quote it)."""
    _check_size(min_size, max_size, "size")
    return st.text(st.sampled_from(_TEXT_CHARS), min_size=min_size, max_size=max_size).filter(_text_ok)


# ------------------------------------------------------------------------------------------
# Quantities


def _unit_spellings() -> tuple[str, ...]:
    from .language.units import grammar_spellings

    return grammar_spellings()


def quantities(*, units: Sequence[str | None] | None = None, min_value: object = 0,
               max_value: object = 10**6, places: int = 2) -> st.SearchStrategy[m.Quantity]:
    """:class:`~qualityrules.language.model.Quantity` objects: a value in ``[min_value, max_value]`` with at
    most ``places`` decimal places, and a unit spelling from ``units`` (``None`` in the list
    means no unit; default: every spelling of the grammar)."""
    low, high = _decimal(min_value, "min_value"), _decimal(max_value, "max_value")
    _check(low <= high, f"min_value={min_value!r} is above max_value={max_value!r}")
    _check_type(places, int, "places")
    _check(0 <= places <= 9, f"places={places} must be between 0 and 9")
    known = _unit_spellings()
    if units is None:
        choices: tuple[str | None, ...] = (*known, None)
    else:
        _check(not isinstance(units, str), f"units={units!r} must be a sequence of spellings, not a string")
        choices = tuple(units)
        _check(bool(choices), "units must not be empty")
        for unit in choices:
            _check(unit is None or unit in known, f"unknown unit {unit!r}; the grammar knows: {', '.join(known)}")
    scale = 10**places
    first = math.ceil(low * scale)
    last = math.floor(high * scale)
    _check(first <= last, f"no number with {places} decimal places lies in [{low}, {high}]")
    numbers = st.integers(first, last).map(lambda n: Decimal(n).scaleb(-places))
    return st.builds(m.Quantity, numbers, st.sampled_from(choices))


# ------------------------------------------------------------------------------------------
# Rules

_SHARE_UNITS = ("%", "‰")


@attrs.frozen
class _Subject:
    """An indicator a rule may be written about: its name and the units the rule may use."""

    name: str
    units: tuple[str | None, ...]
    shares: bool          # a change in 百分点 is allowed
    low: Decimal
    high: Decimal
    summable: bool = True  # a running total (累计) of it means something (QR125)


def _subjects(catalogue: Catalogue | None, indicators: Sequence[str] | None) -> list[_Subject] | None:
    if catalogue is None and indicators is None:
        return None
    if catalogue is None:
        assert indicators is not None
        return [_Subject(name, (*_unit_spellings(), None), True, Decimal(0), Decimal(10**4))
                for name in indicators]
    chosen: list[m.Indicator] = []
    if indicators is None:
        chosen = list(catalogue.indicators)
    else:
        for name in indicators:
            indicator = catalogue.lookup(name)
            if indicator is None:
                hint = catalogue.suggest(name)
                raise InvalidArgument(f"indicator {name!r} is not in the catalogue" + (f" ({hint})" if hint else ""))
            chosen.append(indicator)
    _check(bool(chosen), "the catalogue has no indicators")
    return [_subject_of(indicator) for indicator in chosen]


def _subject_of(indicator: m.Indicator) -> _Subject:
    from .language import units
    from .packs.reading import extensive

    if indicator.unit is None:
        return _Subject(indicator.name, (None,), False, Decimal(0), Decimal(10**4))
    spellings = tuple(u for u in _unit_spellings() if units.compatible(u, indicator.unit)
                      and u not in units.POINT_SPELLINGS)
    share = units.compatible("%", indicator.unit)
    high = Decimal(100) if indicator.unit == "%" else Decimal(10**4)
    # Prefer the catalogue's own unit: it is what packs write.
    return _Subject(indicator.name, (indicator.unit, *spellings), share, Decimal(0), high, extensive(indicator))


def _free_subjects() -> st.SearchStrategy[_Subject]:
    def subject(name: str, unit: str | None) -> _Subject:
        return _Subject(name, (unit,), True, Decimal(0), Decimal(10**4))

    return st.builds(subject, indicator_names(), st.sampled_from((*_unit_spellings(), None)))


def _quantity(draw: Callable[[st.SearchStrategy[Any]], Any], subject: _Subject, *,
              units: Sequence[str | None] | None = None, low: Decimal | None = None,
              high: Decimal | None = None) -> m.Quantity:
    unit = draw(st.sampled_from(tuple(units) if units is not None else subject.units))
    lo = subject.low if low is None else low
    hi = subject.high if high is None else high
    places = draw(st.sampled_from((0, 0, 1, 2)))
    scale = 10**places
    n = draw(st.integers(math.ceil(lo * scale), max(math.ceil(lo * scale), math.floor(hi * scale))))
    return m.Quantity(Decimal(n).scaleb(-places), unit)


def _amount(draw: Callable[[st.SearchStrategy[Any]], Any], subject: _Subject,
            units: Sequence[str | None] | None, *, allow_ne: bool = True) -> m.Comparison | m.Between | m.Approximately:
    kind = draw(st.sampled_from(("comparison", "between", "approximately")))
    if kind == "comparison":
        ops = tuple(m.Comparator) if allow_ne else tuple(c for c in m.Comparator if c is not m.Comparator.NE)
        return m.Comparison(draw(st.sampled_from(ops)), _quantity(draw, subject, units=units))
    if kind == "between":
        unit = draw(st.sampled_from(tuple(units) if units is not None else subject.units))
        a = _quantity(draw, subject, units=(unit,))
        b = _quantity(draw, subject, units=(unit,))
        low, high = (a, b) if a.value <= b.value else (b, a)
        return m.Between(low, high)
    quantity = _quantity(draw, subject, units=units)
    tolerance = None
    if draw(st.booleans()):
        relative = draw(st.booleans())
        tolerance = _quantity(draw, subject, units=("%",) if relative else (quantity.unit,),
                              low=Decimal(0), high=Decimal(20) if relative else None)
    return m.Approximately(quantity, tolerance)


@attrs.frozen
class _RuleOptions:
    min_year: int
    max_year: int
    changes: bool = True
    every_year: bool = True
    cumulative: bool = True
    clauses: bool = True
    overrides: bool = True
    written: bool = False  # forms a rule line may have but a resolvable pack may not (bare numbers, lists, rows)


@st.composite
def _change(draw: Callable[[st.SearchStrategy[Any]], Any], subject: _Subject,
            options: _RuleOptions, target_year: int | None, amount_kinds: bool = True) -> m.Change:
    from .language import units

    point = subject.shares and draw(st.booleans())
    change_units: tuple[str | None, ...] = (draw(st.sampled_from(units.POINT_SPELLINGS)),) if point else ("%",)
    last = (target_year or options.max_year) - 1
    since = draw(st.sampled_from(("year", "year", "plan", "previous", "average")))
    baseline = draw(st.integers(min(options.min_year, last), last)) if last >= 1000 else 1000
    direction = draw(st.sampled_from(tuple(m.ChangeDirection)))
    change_subject = attrs.evolve(subject, low=Decimal(0), high=Decimal(50))
    if amount_kinds:
        amount = _amount(draw, change_subject, change_units)
    else:
        amount = m.Comparison(draw(st.sampled_from((m.Comparator.GE, m.Comparator.LE))),
                              _quantity(draw, change_subject, units=change_units))
    return m.Change(baseline if since in ("year", "average") else None, direction, amount,
                    previous_year=since == "previous", average_annual=since == "average" and not point)


@st.composite
def _target(draw: Callable[[st.SearchStrategy[Any]], Any], subject: _Subject,
            options: _RuleOptions, target_year: int | None) -> m.Target:
    kinds = ["value"] * 3 + (["change"] if options.changes else []) + (["written"] if options.written else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "value":
        return _amount(draw, subject, None)
    if kind == "change":
        change: m.Change = draw(_change(subject, options, target_year))
        return change
    form = draw(st.sampled_from(("bare", "respectively", "respectively-change", "row")))
    if form == "bare":
        return m.Comparison(m.Comparator.EQ, _quantity(draw, subject), bare=True)
    if form == "respectively":
        op = draw(st.sampled_from(tuple(m.Comparator)))
        bare = op is m.Comparator.EQ and draw(st.booleans())
        count = draw(st.integers(2, 4))
        unit = draw(st.sampled_from(subject.units))
        return m.Respectively(tuple(m.Comparison(op, _quantity(draw, subject, units=(unit,)), bare=bare)
                                    for _ in range(count)))
    if form == "respectively-change":
        first = draw(_change(subject, options, target_year, amount_kinds=False))
        others = [attrs.evolve(first, amount=attrs.evolve(first.amount, quantity=_quantity(
            draw, attrs.evolve(subject, low=Decimal(0), high=Decimal(50)), units=(first.amount.quantity.unit,))))
            for _ in range(draw(st.integers(1, 3)))]
        return m.Respectively((first, *others))
    cells: list[m.TableCell] = []
    for _ in range(draw(st.integers(1, 3))):
        cell = draw(st.sampled_from(("empty", "value", "bare", "total")))
        if cell == "empty":
            cells.append(None)
        elif cell == "bare":
            cells.append(m.Comparison(m.Comparator.EQ, _quantity(draw, subject), bare=True))
        elif cell == "total":
            cells.append(m.Total(_quantity(draw, subject)))
        else:
            cells.append(_amount(draw, subject, None, allow_ne=False))
    return m.TableRow(tuple(cells))


@st.composite
def _time(draw: Callable[[st.SearchStrategy[Any]], Any], options: _RuleOptions,
          years: Sequence[int] | None) -> m.Time | None:
    kinds = ["none", "year"] + (["every"] if options.every_year else []) + (["cumulative"] if options.cumulative else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "year":
        year = draw(st.sampled_from(tuple(years))) if years else draw(st.integers(options.min_year, options.max_year))
        return m.TargetYear(year)
    if kind == "every":
        if years and draw(st.booleans()):
            return m.EveryYear(last=draw(st.integers(1, len(years))))
        return m.EveryYear()
    if kind == "cumulative":
        if years and draw(st.booleans()):
            return m.Cumulative(until=draw(st.sampled_from(tuple(years))))
        if not years and options.written and draw(st.booleans()):
            start = draw(st.sampled_from((2006, 2011, 2016, 2021, 2026)))
            return m.During(start, start + 4, total=draw(st.booleans()))
        return m.Cumulative()
    return None


@st.composite
def _rule(draw: Callable[[st.SearchStrategy[Any]], Any], subjects: Sequence[_Subject] | None,
          options: _RuleOptions, years: Sequence[int] | None = None,
          enforced: bool | None = None, default_year: int | None = None) -> m.Rule:
    subject = draw(st.sampled_from(tuple(subjects)) if subjects is not None else _free_subjects())
    time = draw(_time(options, years))
    # A change's baseline comes before the year it is checked in (the pack's target year when
    # the rule names none).
    target_year = time.year if isinstance(time, m.TargetYear) else (
        default_year if default_year is not None else max(years) if years else None)
    target = draw(_target(subject, options, target_year))
    if not subject.summable and (isinstance(time, m.Cumulative) or (isinstance(time, m.During) and time.total)):
        time = None  # a running total of a share or rate means nothing (QR125)
    if isinstance(target, m.Change) and isinstance(time, (m.Cumulative, m.During)):
        time = None  # 累计 before a change says the change is over the period: it is no time qualifier
    if isinstance(target, m.Change) and target.average_annual and not isinstance(time, (m.TargetYear, type(None))):
        time = None  # a yearly rate compounds to one target year
    strength = draw(st.sampled_from(tuple(m.Strength)))
    citation = justification = unenforced = None
    override = False
    if options.clauses:
        citation = draw(st.none() | texts().map(m.Citation))
        justification = draw(st.none() | texts())
        if enforced is None:
            unenforced = draw(st.none() | texts())
        elif not enforced:
            unenforced = draw(texts())
    if options.overrides:
        override = draw(st.booleans())
    each = options.written and not isinstance(target, m.Respectively) and draw(st.booleans())
    return m.Rule(subject.name, target, time, strength, citation, override, justification, unenforced, each)


def rules(*, catalogue: Catalogue | None = None, indicators: Sequence[str] | None = None,
          min_year: int = 2000, max_year: int = 2035, changes: bool = True,
          every_year: bool = True, cumulative: bool = True, clauses: bool = True,
          overrides: bool = True, written: bool = True) -> st.SearchStrategy[m.Rule]:
    """:class:`~qualityrules.language.model.Rule` objects of every target kind: comparisons with every
    :class:`~qualityrules.language.model.Comparator`, ranges, approximate targets with and without a
    tolerance, changes up and down in % and 个百分点 (against a year, the pack's baseline, the
    previous year, or as a yearly rate); target years between ``min_year`` and ``max_year``,
    每年 (also 连续N年), 累计 (also to a year), plan periods; every strength; citations,
    ``override``, ``because`` and ``unenforced`` clauses (unless ``clauses``/``overrides`` are
    false). With ``written`` (the default), also the forms of printed plans that only the
    resolver gives a meaning: bare numbers, 均 and 分别 over several values, table rows.

    With a ``catalogue`` (or a list of ``indicators``), rules name those indicators and use units
    compatible with them; otherwise indicator names and units are arbitrary. Every generated rule
    formats to text that parses back to an equal rule.
    """
    _check_years(min_year, max_year)
    for flag, name in ((changes, "changes"), (every_year, "every_year"), (cumulative, "cumulative"),
                       (clauses, "clauses"), (overrides, "overrides"), (written, "written")):
        _check_type(flag, bool, name)
    if catalogue is not None:
        from .packs.resolve import Catalogue as _Catalogue

        _check_type(catalogue, _Catalogue, "catalogue")
    if indicators is not None:
        _check(not isinstance(indicators, str), "indicators must be a sequence of names, not a string")
        indicators = list(indicators)
        _check(bool(indicators), "indicators must not be empty")
        if catalogue is None:
            for name in indicators:
                _check_type(name, str, "indicators[...]")
                _check(_name_ok(name), f"indicator name {name!r} cannot be written in the language")
    subjects = _subjects(catalogue, indicators)
    _check_type(written, bool, "written")
    options = _RuleOptions(min_year, max_year, changes, every_year, cumulative, clauses, overrides, written)
    return _rule(subjects, options)


# ------------------------------------------------------------------------------------------
# Packs


def _pack_ids() -> st.SearchStrategy[str]:
    word = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=2, max_size=8)
    tail = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), min_size=1, max_size=5)
    return st.builds(lambda a, b: f"{a}-{b}", word, tail)  # the "-" keeps ids apart from every keyword


def _load_parents(parents: Sequence[Pack | str] | None, catalogue: Catalogue) -> tuple[Pack, ...]:
    if parents is None:
        return ()
    _check(not isinstance(parents, str), "parents must be a sequence of packs or pack ids, not a string")
    from .errors import QualityRulesError
    from .packs.resolve import Pack as _Pack
    from .packs.resolve import load_pack

    loaded: list[Pack] = []
    for parent in parents:
        if isinstance(parent, str):
            try:
                loaded.append(load_pack(parent, catalogue=catalogue))
            except QualityRulesError as error:
                raise InvalidArgument(f"parent pack {parent!r} cannot be loaded: {error.diagnostic.message}") from None
        else:
            _check_type(parent, _Pack, "parents[...]")
            loaded.append(parent)
    return tuple(loaded)


def _rule_key(rule: m.Rule, definition: m.PackDefinition, catalogue: Catalogue) -> tuple[str, str, tuple[int, ...]]:
    """``BoundRule.key`` of ``rule`` once bound in ``definition``."""
    from .packs.resolve import rule_years

    indicator = catalogue.lookup(rule.indicator)
    time = rule.time
    kind = "every-year" if isinstance(time, m.EveryYear) else "cumulative" if isinstance(time, m.Cumulative) \
        else "target-year"
    return indicator.name if indicator else rule.indicator, kind, rule_years(rule, definition)


def _round_in(value: Fraction, up: bool, places: int = 6) -> Decimal:
    scale = 10**places
    n = math.ceil(value * scale) if up else math.floor(value * scale)
    return Decimal(n).scaleb(-places)


@st.composite
def _stricter_target(draw: Callable[[st.SearchStrategy[Any]], Any], parent: BoundRule) -> m.Target | None:
    """A target no looser than ``parent``'s, written in the indicator's unit (or % / 个百分点)."""
    from .packs.resolve import Measure

    interval = parent.interval
    target = parent.rule.target
    if interval.excluded or (interval.lower is None and interval.upper is None):
        return target
    if parent.measure is Measure.VALUE:
        unit = parent.indicator.unit
        factor = Fraction(1)
    elif parent.measure is Measure.RELATIVE_CHANGE:
        unit, factor = "%", Fraction(1)
    else:
        from .language import units

        if parent.indicator.unit is None:
            return None
        unit, factor = "个百分点", units.factor(parent.indicator.unit, "个百分点")
    lower = None if interval.lower is None else interval.lower * factor
    upper = None if interval.upper is None else interval.upper * factor
    step = Decimal(draw(st.integers(0, 10)))
    amount: m.Comparison | m.Between
    if lower is not None and upper is not None and lower == upper:
        if Fraction(_round_in(lower, True)) != lower:
            return target
        amount = m.Comparison(m.Comparator.EQ, m.Quantity(_round_in(lower, True), unit))
    elif upper is None:
        assert lower is not None
        low = _round_in(lower, True) + step
        op = m.Comparator.GT if not interval.lower_inclusive and Fraction(low) == lower else m.Comparator.GE
        amount = m.Comparison(op, m.Quantity(low, unit))
    elif lower is None:
        high = _round_in(upper, False) - step
        op = m.Comparator.LT if not interval.upper_inclusive and Fraction(high) == upper else m.Comparator.LE
        amount = m.Comparison(op, m.Quantity(high, unit))
    else:
        low, high = _round_in(lower, True), _round_in(upper, False)
        tiny = Decimal("0.000001")
        if not interval.lower_inclusive and Fraction(low) == lower:
            low += tiny
        if not interval.upper_inclusive and Fraction(high) == upper:
            high -= tiny
        if low > high:
            return target
        shrink = (high - low) * Decimal(draw(st.integers(0, 4))) / 10
        low, high = low + shrink, high - shrink
        amount = m.Between(m.Quantity(low.normalize(), unit), m.Quantity(high.normalize(), unit))
    if isinstance(target, m.Change):
        return m.Change(target.baseline, target.direction, amount)
    return amount


@st.composite
def _reviews(draw: Callable[[st.SearchStrategy[Any]], Any]) -> m.Review:
    """A pack's ``review`` line: a method and boundaries that can classify (0 <= at-risk <= on-track)."""
    method = draw(st.sampled_from(list(m.ReviewMethod)))
    bounds = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1.5"), places=2)
    on_track = draw(st.none() | bounds)
    ceiling = on_track if on_track is not None else m.REVIEW_DEFAULTS[method][0]
    below = st.decimals(min_value=Decimal(0), max_value=ceiling, places=2)
    # the method's default at-risk boundary applies when none is written: only below on-track
    written = on_track is not None and on_track < m.REVIEW_DEFAULTS[method][1]
    at_risk = draw(below if written else st.none() | below)
    return m.Review(method, on_track, at_risk)


@attrs.frozen
class _PackOptions:
    min_rules: int
    max_rules: int
    min_year: int
    max_year: int
    commitments: bool


def _roundings() -> st.SearchStrategy[m.Rounding]:
    """Declared GB/T 8170-2008 roundings: a step of 10**n, 2 * 10**n or 5 * 10**n and a method
    (written in Chinese or English)."""
    steps = st.builds(lambda digit, exponent: Decimal(digit).scaleb(exponent),
                      st.sampled_from([1, 2, 5]), st.integers(-3, 3))
    methods = st.sampled_from([(method, word) for method in m.RoundingMethod
                               for word in (method.value, method.english)])
    return st.builds(lambda step, method: m.Rounding(step, method[0], wording=method[1]), steps, methods)


@st.composite
def _pack(draw: Callable[[st.SearchStrategy[Any]], Any], catalogue: Catalogue,
          parents: tuple[Pack, ...], options: _PackOptions) -> m.PackDefinition:
    pack_id = draw(_pack_ids().filter(lambda s: s not in {p.id for p in parents}))
    parent_periods = [p.period for p in parents if p.period is not None]
    if parent_periods and draw(st.booleans()):
        period = m.Period(parent_periods[0].start, parent_periods[0].end)
    else:
        start = draw(st.integers(options.min_year, options.max_year))
        end = draw(st.integers(start, min(options.max_year, start + 5)))
        period = m.Period(start, end)
    target = draw(st.none() | st.sampled_from(tuple(period.years)))
    deepest = max((p.level.rank for p in parents if p.level is not None), default=-1)
    levels = [level for level in m.Level if level.rank > deepest] or list(m.Level)
    definition = m.PackDefinition(
        pack_id, tuple(p.id for p in parents),
        name=draw(st.none() | texts()), source=draw(st.none() | texts()),
        issuer=draw(st.none() | texts()), published=draw(st.none() | texts(max_size=10)),
        region=draw(indicator_names(max_size=6)), level=draw(st.sampled_from(levels)),
        period=period, target=target,
        tolerance=draw(st.none() | quantities(units=("%",), min_value=Decimal("0.1"), max_value=20, places=1)),
        rounding=draw(st.none() | _roundings()),
        review=draw(st.none() | _reviews()),
        scope=tuple(draw(st.lists(indicator_names(max_size=6), max_size=2))),
        notes=tuple(draw(st.lists(texts(), max_size=2))),
    )
    from .packs.resolve import Measure, restates

    child_regions = tuple(r for r in (definition.region, *definition.scope) if r)
    inherited: dict[tuple[str, str, tuple[int, ...]], list[BoundRule]] = {}
    restatable: set[tuple[str, str, tuple[int, ...]]] = set()
    for parent in parents:
        for bound in parent.rules:
            inherited.setdefault(bound.key, []).append(bound)
            # A parent's total (count, money, …) binds the parent's region only; a rate binds
            # every region below it too, so only the latter can be overridden here.
            if restates(attrs.evolve(bound, regions=child_regions), bound):
                restatable.add(bound.key)
    parent_indicators = {key[0] for key in inherited}
    subjects = [_subject_of(i) for i in catalogue.indicators if i.name not in parent_indicators]
    _check(bool(subjects), "every catalogue indicator is already a target of the parents")
    rule_options = _RuleOptions(period.start - 5, period.end, clauses=True, overrides=False)
    used: set[tuple[str, str, tuple[int, ...]]] = set()
    own: list[m.Rule] = []
    count = draw(st.integers(options.min_rules, options.max_rules))
    # Overrides of inherited targets whose key this pack can restate.
    overridable = [bounds for key, bounds in inherited.items()
                   if key in restatable and (key[1] == "target-year" or key[2] == tuple(period.years))]
    if overridable and count:
        for bounds in draw(st.lists(st.sampled_from(overridable), max_size=min(count, 3), unique_by=id)):
            parent_rule = bounds[0]
            time: m.Time | None = (m.TargetYear(parent_rule.years[0]) if parent_rule.kind == "target-year"
                                   else parent_rule.rule.time)
            stricter = len(bounds) == 1 and draw(st.booleans())
            new_target = draw(_stricter_target(parent_rule)) if stricter else None
            justification = None
            if new_target is None:
                subject = _subject_of(parent_rule.indicator)
                year = parent_rule.years[-1] if parent_rule.years else period.end
                if parent_rule.measure is Measure.VALUE:
                    new_target = _amount(draw, subject, None, allow_ne=False)
                else:
                    new_target = draw(_target(attrs.evolve(subject, low=Decimal(0), high=Decimal(50)),
                                              attrs.evolve(rule_options, changes=True), year)
                                      .filter(lambda t: isinstance(t, m.Change) and not _exact_amount(t.amount)))
                justification = draw(texts(min_size=1))
            # Without a reason the override may not demote a binding target to an aspiration.
            strength = draw(st.sampled_from(tuple(m.Strength))) if justification else parent_rule.strength
            rule = m.Rule(parent_rule.rule.indicator, new_target, time, strength,
                          draw(st.none() | texts().map(m.Citation)), True, justification)
            used.add(_rule_key(rule, definition, catalogue))
            own.append(rule)
    while len(own) < count:
        rule = draw(_rule(subjects, rule_options, tuple(period.years), enforced=draw(st.booleans()),
                          default_year=target if target is not None else period.end))
        if isinstance(rule.target, m.Change) and not isinstance(rule.time, (m.TargetYear, type(None))):
            continue  # a change is checked in a year, not summed or held over a period
        if isinstance(rule.target, m.Change) and _exact_amount(rule.target.amount):
            continue  # "== 3.67%" as a change often has no float64 solution at all
        if rule.unenforced is not None:
            own.append(rule)
            continue
        key = _rule_key(rule, definition, catalogue)
        if key in inherited or any(k[0] == key[0] for k in used):
            continue
        used.add(key)
        own.append(rule)
    own = draw(st.permutations(own)) if own else own
    sections: list[m.Section] = []
    remaining = list(own)
    while remaining or not sections:
        size = draw(st.integers(0 if not remaining else 1, max(1, len(remaining))))
        entries: list[m.Rule | m.Commitment] = list(remaining[:size])
        remaining = remaining[size:]
        if options.commitments and draw(st.booleans()):
            entries.append(m.Commitment(draw(texts()), draw(st.none() | texts().map(m.Citation))))
        sections.append(m.Section(draw(indicator_names(max_size=8)), tuple(entries)))
        if not remaining:
            break
    return attrs.evolve(definition, sections=tuple(sections))


def packs(*, catalogue: Catalogue | None = None, parents: Sequence[Pack | str] | None = None,
          min_rules: int = 0, max_rules: int = 8, min_year: int = 2000, max_year: int = 2030,
          commitments: bool = True) -> st.SearchStrategy[m.PackDefinition]:
    """:class:`~qualityrules.language.model.PackDefinition` objects whose formatted text
    ``qualityrules.parse_pack(text, catalogue=catalogue)`` resolves without errors (``catalogue``
    default: the shipped one; parents given by id are loaded with it too).

    With ``parents`` (resolved :class:`~qualityrules.Pack` objects or shipped pack ids) the pack
    ``extends`` them: it may share their period, restates some inherited targets with
    ``override`` — either no looser than the parent's, or with a ``because`` — and adds targets
    of its own for other indicators. To resolve a child of a generated parent, write the
    parent's text to ``<dir>/<id>.qr`` and pass ``search=(dir,)``.
    """
    _check_size(min_rules, max_rules, "rules")
    _check_years(min_year, max_year)
    _check_type(commitments, bool, "commitments")
    if catalogue is None:
        from .packs.resolve import load_catalogue

        catalogue = load_catalogue()
    else:
        from .packs.resolve import Catalogue as _Catalogue

        _check_type(catalogue, _Catalogue, "catalogue")
    loaded = _load_parents(parents, catalogue)
    return _pack(catalogue, loaded, _PackOptions(min_rules, max_rules, min_year, max_year, commitments))


# ------------------------------------------------------------------------------------------
# Numbers that are right both as decimals and as float64


@attrs.frozen
class _Range:
    """``lo (<|<=) x (<|<=) hi`` minus ``holes``; ``None`` is unbounded. With a ``step``, only its
    multiples (a count: whole numbers of the base unit, else the screen sets it aside)."""

    lo: Fraction | None = None
    hi: Fraction | None = None
    lo_inc: bool = True
    hi_inc: bool = True
    holes: frozenset[Fraction] = frozenset()
    step: Fraction | None = None

    @classmethod
    def of(cls, interval: Any) -> _Range:
        if interval.excluded:
            assert interval.lower == interval.upper and interval.lower is not None
            return cls(holes=frozenset({interval.lower}))
        return cls(interval.lower, interval.upper, interval.lower_inclusive, interval.upper_inclusive)

    def __and__(self, other: _Range) -> _Range:
        lo, lo_inc = self.lo, self.lo_inc
        if other.lo is not None and (lo is None or other.lo > lo or (other.lo == lo and not other.lo_inc)):
            lo, lo_inc = other.lo, other.lo_inc
        hi, hi_inc = self.hi, self.hi_inc
        if other.hi is not None and (hi is None or other.hi < hi or (other.hi == hi and not other.hi_inc)):
            hi, hi_inc = other.hi, other.hi_inc
        return _Range(lo, hi, lo_inc, hi_inc, self.holes | other.holes, self.step or other.step)

    @property
    def point(self) -> bool:
        return self.lo is not None and self.lo == self.hi and not self.empty

    @property
    def empty(self) -> bool:
        if self.lo is None or self.hi is None:
            return False
        if self.lo > self.hi:
            return True
        return self.lo == self.hi and (not (self.lo_inc and self.hi_inc) or self.lo in self.holes)

    def contains(self, x: Fraction) -> bool:
        if self.lo is not None and not (x > self.lo or (self.lo_inc and x == self.lo)):
            return False
        if self.hi is not None and not (x < self.hi or (self.hi_inc and x == self.hi)):
            return False
        return x not in self.holes and (self.step is None or (x / self.step).denominator == 1)

    def contains_float(self, x: float) -> bool:
        if math.isnan(x) or math.isinf(x):
            return False
        if self.lo is not None:
            lo = float(self.lo)
            if not (x > lo or (self.lo_inc and x == lo)):
                return False
        if self.hi is not None:
            hi = float(self.hi)
            if not (x < hi or (self.hi_inc and x == hi)):
                return False
        return all(x != float(h) for h in self.holes)

    def holds(self, value: float, exact: Fraction | None = None) -> bool:
        """``value`` meets the range as float64 and exactly (the engine decides at the decimal
        a value is given: ``== 1亩`` in 平方公里 is 1/1500, which no decimal meets)."""
        exact = value_of(value) if exact is None else exact
        return self.contains_float(value) and self.contains(exact)

    def fails(self, value: float, exact: Fraction | None = None) -> bool:
        exact = value_of(value) if exact is None else exact
        single = bool(self.holes) and self.lo is None and self.hi is None
        return not self.contains_float(value) and (single or not self.contains(exact))

    def complement(self) -> list[_Range]:
        pieces: list[_Range] = []
        if self.lo is not None:
            pieces.append(_Range(None, self.lo, hi_inc=not self.lo_inc))
        if self.hi is not None:
            pieces.append(_Range(self.hi, None, lo_inc=not self.hi_inc))
        pieces.extend(_Range(h, h) for h in sorted(self.holes))
        return [p for p in pieces if not p.empty]


ANY = _Range()
NONNEGATIVE = _Range(Fraction(0), None)


def _meeting(rule: BoundRule) -> _Range:
    """The values of the quantity ``rule`` compares that meet it. Under a declared round-then-
    compare rounding (GB/T 8170-2008, 修约值比较法) a value meets it when its rounding does: ``n``
    multiples of the step inside the target are met by ``(n ± 1/2) * step``, a half included
    where it rounds (half to even) onto an inside multiple."""
    from .engine.exact import rounding_step

    r = _Range.of(rule.interval)
    step = rounding_step(rule)
    if step is None:
        return r
    _check(not r.holes, f"the target {rule.text!r} excludes one value under a round-then-compare rounding: "
                        "the data strategies do not draw for it")
    lo = hi = None
    lo_inc = hi_inc = True
    if r.lo is not None:
        q = r.lo / step
        n = -((-q.numerator) // q.denominator) if r.lo_inc or q.denominator != 1 else q.numerator + 1
        lo, lo_inc = (n - Fraction(1, 2)) * step, n % 2 == 0
    if r.hi is not None:
        q = r.hi / step
        n = q.numerator // q.denominator if r.hi_inc or q.denominator != 1 else q.numerator - 1
        hi, hi_inc = (n + Fraction(1, 2)) * step, n % 2 == 0
    return _Range(lo, hi, lo_inc, hi_inc)


def _bounds(r: _Range, natural: tuple[Fraction, Fraction]) -> tuple[Fraction, Fraction]:
    """Finite ends to draw from: the range's own, or natural ones where it is unbounded."""
    nat_lo, nat_hi = natural
    if r.lo is not None and r.hi is not None:
        return r.lo, r.hi
    if r.lo is None and r.hi is None:
        return nat_lo, nat_hi
    if r.lo is None:
        assert r.hi is not None
        lo = nat_lo if nat_lo < r.hi else r.hi - max(abs(r.hi), Fraction(1))
        return lo, r.hi
    hi = nat_hi if nat_hi > r.lo else r.lo + max(abs(r.lo), Fraction(1))
    return r.lo, hi


class _NoValue(Exception):
    """No float64 value meets the range (an empty or float-unrepresentable range)."""


_STEPS = 20


def _pick(draw: Callable[[st.SearchStrategy[Any]], Any], r: _Range, natural: tuple[Fraction, Fraction],
          *, check: Callable[[float], bool] | None = None, places: int = 2) -> float:
    """A float64 value in ``r`` (boundaries included, so inclusive bounds get tested),
    preferring ``natural`` where ``r`` is unbounded; ``check`` replaces ``r.holds``."""
    ok = check or r.holds
    if r.empty:
        raise _NoValue
    if r.point:
        assert r.lo is not None
        value = float(r.lo)
        if ok(value):
            return value
        raise _NoValue
    lo, hi = _bounds(r, natural)
    k = draw(st.integers(0, _STEPS))
    width = hi - lo
    candidates = [lo + width * k / _STEPS, lo + width * Fraction(2 * k + 1, 2 * _STEPS + 2), (lo + hi) / 2]
    # Enough decimal places to land inside narrow ranges (1元 ± 0.1% in 万亿元 is 1e-15 wide).
    finest = max(10, 4 - math.floor(math.log10(width))) if width > 0 else 10
    for candidate in candidates:
        if r.step is not None:      # multiples of the step only, the nearest on either side
            for multiple in (math.floor(candidate / r.step), math.ceil(candidate / r.step)):
                value = float(multiple * r.step)
                if ok(value):
                    return value
            continue
        for p in (*range(places, 10), *range(10, finest + 1, 3)):
            scale = 10**p
            value = float(Fraction(round(candidate * scale), scale))
            if ok(value):
                return value
    raise _NoValue


def _natural(indicator: m.Indicator, ranges: Iterable[_Range] = ()) -> tuple[Fraction, Fraction]:
    if indicator.unit == "%":
        return Fraction(0), Fraction(100)
    if indicator.unit == "‰":
        return Fraction(0), Fraction(1000)
    finite = [abs(b) for r in ranges for b in (r.lo, r.hi) if b is not None]
    return Fraction(0), max([Fraction(10), *(2 * b for b in finite)])


def _prefer(r: _Range, soft: _Range) -> _Range:
    both = r & soft
    return both if not both.empty else r


# ------------------------------------------------------------------------------------------
# Indicator-level plans for compliant and violating data


def _change_value(rule: BoundRule, base: float, measure: Fraction) -> Fraction:
    """The value in the target year that makes the change against ``base`` equal ``measure``."""
    from .packs.resolve import Measure

    sign = rule.change_sign
    b = value_of(base)
    if rule.measure is Measure.RELATIVE_CHANGE:
        return b + sign * b * measure / 100
    return b + sign * measure


def _change_measure(rule: BoundRule, base: float, value: float) -> tuple[float, Fraction] | None:
    """The change ``rule`` measures, as float64 and exactly (None when undefined)."""
    from .packs.resolve import Measure

    sign = rule.change_sign
    b, v = value_of(base), value_of(value)
    if rule.measure is Measure.RELATIVE_CHANGE:
        if base == 0:
            return None
        return sign * (value - base) / base * 100, sign * (v - b) / b * 100
    return sign * (value - base), sign * (v - b)


_BASES = (100.0, 1.0, 64.0, 10.0, 1000.0, 1024.0, *(float(b) for b in range(2, 400)))


def _exact_amount(amount: m.Comparison | m.Between | m.Approximately) -> bool:
    """Whether a change amount allows a single value only."""
    if isinstance(amount, m.Comparison):
        return amount.op is m.Comparator.EQ
    if isinstance(amount, m.Between):
        return amount.low.value == amount.high.value and amount.low.unit == amount.high.unit
    tolerance = amount.tolerance
    return tolerance is None and amount.quantity.value == 0 or tolerance is not None and (
        tolerance.value == 0 or tolerance.unit == "%" and amount.quantity.value == 0)


def _exact_change(rule: BoundRule, base: float, point: Fraction | None = None) -> float | None:
    """A value whose change against ``base`` is exactly ``point`` (default: the rule's exact
    target, ``== x%``) in float64 arithmetic and exactly at the decimals the engine reads — the
    exact value or a float next to it — or None (a 年均 1 % over 8 years is a change of
    8.28567056280801 %: no value of 15 digits meets it from a base of 19)."""
    if point is None:
        point = _meeting(rule).lo
    assert point is not None
    target = float(point)
    exact = float(_change_value(rule, base, point))
    below = above = exact
    for _ in range(16):
        for value in (below, above):
            measured = _change_measure(rule, base, value)
            if measured is not None and measured[0] == target and measured[1] == point:
                return value
        below, above = math.nextafter(below, -math.inf), math.nextafter(above, math.inf)
    return None


def _sum_checks(values: Sequence[float]) -> tuple[list[float], Fraction]:
    total = 0.0
    for v in values:
        total += v
    return [total, math.fsum(values)], sum((value_of(v) for v in values), Fraction(0))


def _split(draw: Callable[[st.SearchStrategy[Any]], Any], total: Fraction, caps: Sequence[_Range],
           r: _Range) -> list[float]:
    """Values for each year (within ``caps``, starting from their lower ends) summing to ``total``
    exactly and meeting ``r`` as float64 sums too."""
    lows = [c.lo if c.lo is not None else Fraction(0) for c in caps]
    rest = total - sum(lows, Fraction(0))
    integral = total.denominator == 1 and all(lo.denominator == 1 for lo in lows)
    shares: list[Fraction] = []
    for index, cap in enumerate(caps[:-1]):
        room = rest if cap.hi is None else min(rest, cap.hi - lows[index])
        k = draw(st.integers(0, 4))
        part = room * k / 4
        part = Fraction(math.floor(part)) if integral else Fraction(math.floor(part * 100), 100)
        part = max(Fraction(0), part)
        shares.append(part)
        rest -= part
    shares.append(rest)
    values = [lo + share for lo, share in zip(lows, shares, strict=True)]
    attempts = [values, [*lows[:-1], lows[-1] + total - sum(lows, Fraction(0))]]
    for attempt in attempts:
        floats = [float(v) for v in attempt]
        if not all(c.holds(f) for c, f in zip(caps, floats, strict=True)):
            continue
        sums, exact = _sum_checks(floats)
        if exact == total and all(r.contains_float(s) for s in sums) and (r.point or r.contains(exact)):
            return floats
    raise _NoValue


@attrs.frozen
class _Plan:
    """What the data of one indicator must satisfy."""

    indicator: m.Indicator
    per_year: dict[int, _Range]                     # value targets by year
    sums: list[tuple[tuple[int, ...], _Range]]      # cumulative targets
    changes: list[BoundRule]                        # change targets
    natural: tuple[Fraction, Fraction]
    plausible: _Range = ANY                         # the values the evaluator does not set aside
    preferred: _Range = NONNEGATIVE                 # soft: values it reads as they are

    @property
    def years(self) -> list[int]:
        years = set(self.per_year)
        for group, _ in self.sums:
            years.update(group)
        for rule in self.changes:
            years.update(rule.years)
            assert rule.baseline is not None
            years.add(rule.baseline)
        return sorted(years)


def _plausibility(indicator: m.Indicator) -> tuple[_Range, _Range]:
    """(the values the evaluator's plausibility screen keeps, the values to prefer): a share within
    0–100 % (0–1000 ‰), a count at least 0 and whole and a quantity never negative at least 0
    (else set aside); for a share, values above 1, since a column all of whose values lie in
    [0, 1] reads as fractions when its targets are tens of percent (and so may one such value
    among larger ones). See
    :mod:`qualityrules.engine.plausibility`."""
    from .engine.plausibility import plausible_bounds

    low, high, whole = plausible_bounds(indicator.name, indicator.unit)
    if low is None:
        return ANY, NONNEGATIVE
    assert indicator.unit is not None
    step = 1 / to_base(indicator.unit) if whole else None
    plausible = _Range(Fraction(low), None if high is None else Fraction(high), step=step)
    if high is None:
        return plausible, plausible
    return plausible, plausible & _Range(Fraction(1), None, lo_inc=False)


def _plans(rules: Iterable[BoundRule]) -> dict[str, _Plan]:
    from .packs.resolve import Measure

    by_indicator: dict[str, list[BoundRule]] = {}
    for rule in rules:
        by_indicator.setdefault(rule.indicator.name, []).append(rule)
    plans: dict[str, _Plan] = {}
    for name, group in by_indicator.items():
        plausible, preferred = _plausibility(group[0].indicator)
        per_year: dict[int, _Range] = {}
        sums: dict[tuple[int, ...], _Range] = {}
        changes: list[BoundRule] = []
        for rule in group:
            r = _meeting(rule)
            if rule.measure is not Measure.VALUE:
                _check(rule.baseline not in rule.years or r.contains(Fraction(0)),
                       f"the change target {rule.text!r} is checked in its own baseline year "
                       f"{rule.baseline}, where the change is 0")
                _check(not r.point or any(_exact_change(rule, b) is not None for b in _BASES),
                       f"the exact change target {rule.text!r} cannot be met in float64 arithmetic "
                       "((value - baseline) / baseline * 100 never lands on it); give it a tolerance")
                changes.append(rule)
            elif rule.kind == "cumulative":
                sums[rule.years] = sums.get(rule.years, ANY) & r
            else:
                for year in rule.years:
                    per_year[year] = per_year.get(year, plausible) & r
        for year, r in per_year.items():
            _check(not r.empty, f"no value of {name} in {year} meets every enforced target of the pack")
        for years, r in sums.items():
            _check(not r.empty, f"no total of {name} over {years[0]}..{years[-1]} meets every enforced target")
        groups = list(sums)
        for i, a in enumerate(groups):
            for b in groups[i + 1:]:
                _check(not set(a) & set(b), f"overlapping cumulative targets for {name} are not supported")
        indicator = group[0].indicator
        ranges = [*per_year.values(), *sums.values(), *(_meeting(r) for r in group)]
        plans[name] = _Plan(indicator, per_year, list(sums.items()), changes, _natural(indicator, ranges), plausible,
                            preferred)
    return plans


def _fill_change(draw: Callable[[st.SearchStrategy[Any]], Any], plan: _Plan, rule: BoundRule, base: float,
                 change: _Range, hard: _Range) -> float:
    """A value for the target year of a change target: within its other targets (``hard``),
    non-negative if that is possible, and with its change against ``base`` inside ``change``."""
    for own in dict.fromkeys((_prefer(hard, NONNEGATIVE), hard)):
        def meets(value: float, own: _Range = own) -> bool:
            measured = _change_measure(rule, base, value)
            return measured is not None and own.holds(value) and change.holds(*measured)

        try:
            if change.point:
                found = _exact_change(rule, base)
                if found is None or not own.holds(found):
                    raise _NoValue
                return found
            m_value = _pick(draw, change, _change_natural(rule), check=lambda x: True)
            value = float(_change_value(rule, base, value_of(m_value)))
            if meets(value):
                return value
            return _pick(draw, own & _image(rule, base, change), plan.natural, check=meets, places=4)
        except _NoValue:
            continue
    raise InvalidArgument(f"no value of {plan.indicator.name} in {rule.years[-1]} meets its change target "
                          "and its other targets together")


def _fill_plan(draw: Callable[[st.SearchStrategy[Any]], Any], plan: _Plan) -> dict[int, float]:
    """Values for every year the plan needs, meeting all of its targets."""
    values: dict[int, float] = {}
    soft = plan.preferred
    ranges = dict(plan.per_year)
    # Baselines first (positive, so relative changes are defined), then the years they fix.
    for rule in plan.changes:
        assert rule.baseline is not None
        base_range = _prefer(ranges.get(rule.baseline, plan.plausible), _Range(Fraction(0), None, lo_inc=False))
        if rule.baseline not in values:
            base = _pick(draw, base_range, _positive(plan.natural))
            exact = [r for r in plan.changes if r.baseline == rule.baseline and _meeting(r).point]
            if exact:  # an exact change: find a baseline for which float64 arithmetic can hit it
                candidates = (base, *_BASES)
                found = next((b for b in candidates
                              if base_range.holds(b) and all(_exact_change(r, b) is not None for r in exact)), None)
                if found is None:
                    reject()  # rare: no baseline tried lands exactly; draw another
                base = found
            values[rule.baseline] = base
    for rule in plan.changes:
        assert rule.baseline is not None
        change = _meeting(rule)
        base = values[rule.baseline]
        for year in rule.years:
            if year not in values:
                value = _fill_change(draw, plan, rule, base, change, ranges.get(year, plan.plausible))
                values[year] = value
                ranges[year] = _Range(Fraction(value), Fraction(value))
    for group, r in plan.sums:
        caps = [_prefer(ranges.get(y, plan.plausible), soft) if y not in values
                else _Range(value_of(values[y]), value_of(values[y])) for y in group]
        low = sum((c.lo if c.lo is not None else Fraction(0) for c in caps), Fraction(0))
        high = None if any(c.hi is None for c in caps) else sum((c.hi for c in caps if c.hi is not None), Fraction(0))
        feasible = r & _Range(low, high, step=plan.plausible.step)     # a sum of whole counts is whole
        try:
            total = _pick(draw, feasible, plan.natural, places=0 if low.denominator == 1 else 2)
            parts = _split(draw, value_of(total), caps, r)
        except _NoValue:
            raise InvalidArgument(f"no values of {plan.indicator.name} over {group[0]}..{group[-1]} meet "
                                  "its cumulative target and its yearly targets together") from None
        values.update(zip(group, parts, strict=True))
    for year, r in ranges.items():
        if year not in values:
            try:
                values[year] = _pick(draw, _prefer(r, soft), plan.natural)
            except _NoValue:
                raise InvalidArgument(f"no float64 value of {plan.indicator.name} in {year} meets its targets") from None
    return values


def _positive(natural: tuple[Fraction, Fraction]) -> tuple[Fraction, Fraction]:
    low, high = natural
    return (max(low, Fraction(1)), max(high, Fraction(2)))


def _change_natural(rule: BoundRule) -> tuple[Fraction, Fraction]:
    from .packs.resolve import Measure

    if rule.measure is Measure.RELATIVE_CHANGE:
        return Fraction(0), Fraction(50)
    return Fraction(0), Fraction(10)


def _image(rule: BoundRule, base: float, change: _Range) -> _Range:
    """Values in the target year whose change against ``base`` (> 0) lies in ``change``."""
    def f(x: Fraction | None) -> Fraction | None:
        return None if x is None else _change_value(rule, base, x)

    holes = frozenset(_change_value(rule, base, h) for h in change.holes)
    if rule.change_sign > 0:
        return _Range(f(change.lo), f(change.hi), change.lo_inc, change.hi_inc, holes)
    return _Range(f(change.hi), f(change.lo), change.hi_inc, change.lo_inc, holes)


def _violate(draw: Callable[[st.SearchStrategy[Any]], Any], rule: BoundRule, natural: tuple[Fraction, Fraction],
             in_force: Sequence[int]) -> dict[int, float]:
    """Values (for the rule's years and baseline) that fail ``rule`` in a year it is in force
    (``in_force``: the years it is checked in and binds)."""
    from .packs.resolve import Measure

    r = _meeting(rule)
    pieces = _failing_pieces(rule)
    _check(bool(pieces), f"the target {rule.text!r} cannot fail: every plausible value meets it")
    piece = draw(st.sampled_from(pieces))
    piece_natural = _outside_natural(piece, natural)
    plausible, preferred = _plausibility(rule.indicator)
    if rule.measure is not Measure.VALUE:
        assert rule.baseline is not None
        base = _pick(draw, _prefer(plausible & _Range(Fraction(0), None, lo_inc=False), preferred), _positive(natural))
        year = rule.years[-1]
        change = piece

        def fails(value: float) -> bool:
            measured = _change_measure(rule, base, value)
            return measured is not None and r.fails(*measured)

        if change.point:  # failing "!= x%" means landing exactly on x in float64
            assert change.lo is not None
            hole = change.lo
            found = next(((b, v) for b in (base, *_BASES) for v in [_exact_change(rule, b, hole)]
                          if v is not None and plausible.holds(b) and plausible.holds(v)), None)
            if found is None:
                reject()
            base, value = found
        else:
            m_value = _pick(draw, change, _outside_natural(change, _change_natural(rule)), check=lambda x: True)
            value = float(_change_value(rule, base, value_of(m_value)))
            if not (fails(value) and plausible.holds(value)):
                value = _pick(draw, _image(rule, base, change) & plausible, natural,
                              check=lambda v: fails(v) and plausible.holds(v), places=4)
        values = {rule.baseline: base, year: value}
        values.update({y: value for y in rule.years})
        return values
    if rule.kind == "cumulative":
        caps = [(NONNEGATIVE if (piece.hi is None or piece.hi > 0) else ANY) & plausible for _ in rule.years]
        low = caps[0].lo
        feasible = piece & _Range(low, None, step=plausible.step)       # a sum of whole counts is whole
        integral = all(b is None or b.denominator == 1 for b in (r.lo, r.hi))
        total = _pick(draw, feasible if not feasible.empty else piece, piece_natural,
                      places=0 if integral else 2, check=r.fails)
        if feasible.empty:
            caps = [plausible for _ in rule.years]
        parts = _split(draw, value_of(total), caps, piece)
        return dict(zip(rule.years, parts, strict=True))
    years = list(rule.years)
    if rule.kind == "every-year":
        failing = set(draw(st.lists(st.sampled_from(list(in_force)), min_size=1, max_size=len(in_force), unique=True)))
    else:
        failing = set(years)
    values = {}
    allowed = _prefer(piece, preferred)
    for year in years:
        if year in failing:
            values[year] = _pick(draw, allowed, piece_natural, check=lambda v: r.fails(v) and allowed.holds(v))
        else:
            values[year] = _pick(draw, _prefer(r & plausible, preferred), natural)
    return values


def _failing_pieces(rule: BoundRule) -> list[_Range]:
    """The ranges of the quantity a rule compares that fail it; for a value target only plausible
    values (an implausible one is set aside as unknown, it does not fail: a share target of at
    most 100 % cannot fail)."""
    from .packs.resolve import Measure

    pieces = _meeting(rule).complement()
    if rule.measure is not Measure.VALUE:
        return pieces
    plausible, _ = _plausibility(rule.indicator)
    if rule.kind == "cumulative" and plausible.hi is not None:   # a sum of plausible values
        plausible = _Range(plausible.lo, plausible.hi * len(rule.years))
    return [p & plausible for p in pieces if not (p & plausible).empty]


def _outside_natural(piece: _Range, natural: tuple[Fraction, Fraction]) -> tuple[Fraction, Fraction]:
    """Natural ends for a piece of a complement: up to the natural range's far side."""
    if piece.hi is not None and piece.lo is None:
        return (min(natural[0], piece.hi - max(abs(piece.hi), Fraction(1))), piece.hi)
    if piece.lo is not None and piece.hi is None:
        return (piece.lo, max(natural[1], piece.lo + max(abs(piece.lo), Fraction(1))))
    return natural


# ------------------------------------------------------------------------------------------
# Tables


def _frame(rows: list[tuple[str, int, str, float]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["region", "year", "indicator", "value"])
    return frame.astype({"region": object, "year": "int64", "indicator": object, "value": "float64"})


def _composite_table(
    function: Callable[[Callable[[st.SearchStrategy[Any]], Any]], pd.DataFrame],
) -> Callable[[], st.SearchStrategy[pd.DataFrame]]:
    """``st.composite`` for the table strategies; a draw that finds no float64 value (a rare
    corner of exact targets) is rejected rather than raised."""
    def guarded(draw: Callable[[st.SearchStrategy[Any]], Any]) -> pd.DataFrame:
        try:
            return function(draw)
        except _NoValue:
            reject()
            raise  # pragma: no cover - reject() raises

    return st.composite(guarded)


def _check_pack(pack: object) -> Pack:
    from .packs.resolve import Pack as _Pack

    _check_type(pack, _Pack, "pack")
    assert isinstance(pack, _Pack)
    return pack


def _applies(pack: Pack, regions: Sequence[str]) -> Callable[[BoundRule, str], bool]:
    """Whether a rule of ``pack`` binds a region in some year it is checked in, by the
    evaluator's own rule (:mod:`qualityrules.packs.applicability`), computed once for ``regions``."""
    from .packs.applicability import regions_bound

    matrix = regions_bound(pack, regions).binds
    row = {region: i for i, region in enumerate(regions)}
    column = {id(rule): k for k, rule in enumerate(pack.rules)}
    checked = {id(rule): bool(_years_in_force(pack, rule)) for rule in pack.rules}
    return lambda rule, region: checked[id(rule)] and bool(matrix[row[region], column[id(rule)]])


def _years_in_force(pack: Pack, rule: BoundRule) -> list[int]:
    """The years ``rule`` is checked in while it is in force under ``pack``."""
    from .packs.applicability import checked_years, in_force_years

    start, end = in_force_years(pack, rule)
    return [year for year, _ in checked_years(rule) if start <= year <= end]


def _regions(pack: Pack, regions: Sequence[str] | None) -> tuple[str, ...]:
    if regions is None:   # the regions the pack names: its area's roots (a parent's region lies outside it)
        return tuple(dict.fromkeys(r for r in (pack.region, *pack.definition.scope) if r)) or ("全区",)
    _check(not isinstance(regions, str), "regions must be a sequence of names, not a string")
    chosen = tuple(regions)
    _check(bool(chosen), "regions must not be empty")
    for region in chosen:
        _check_type(region, str, "regions[...]")
    _check(len(set(chosen)) == len(chosen), "regions must be distinct")
    return chosen


def _enforced(pack: Pack) -> list[BoundRule]:
    return [rule for rule in pack.rules if rule.enforced and rule.years]


def compliant_data(pack: Pack, *, regions: Sequence[str] | None = None) -> st.SearchStrategy[pd.DataFrame]:
    """Tables on which every enforced target of ``pack`` (its own and its ancestors', binding and
    aspirational) passes in every region it binds (default regions: the pack's region and scope;
    which targets bind which regions and years is :mod:`qualityrules.packs.applicability`'s
    rule — a parent's totals bind the parent's region only): each value target in its years, each cumulative
    target's sum (split across the years), each change against its baseline year's value.
    Raises :class:`~hypothesis.errors.InvalidArgument` when the pack's targets contradict each
    other so that no data can pass them all."""
    resolved = _check_pack(pack)
    chosen = _regions(resolved, regions)
    enforced = _enforced(resolved)
    applies = _applies(resolved, chosen)
    plans = {region: _plans([r for r in enforced if applies(r, region)]) for region in chosen}

    @_composite_table
    def build(draw: Callable[[st.SearchStrategy[Any]], Any]) -> pd.DataFrame:
        rows: list[tuple[str, int, str, float]] = []
        for region in chosen:
            for name, plan in plans[region].items():
                for year, value in sorted(_fill_plan(draw, plan).items()):
                    rows.append((region, year, name, value))
        return _frame(rows)

    return build()


def _select_rule(pack: Pack, rule: BoundRule | str | None) -> list[BoundRule]:
    enforced = _enforced(pack)
    _check(bool(enforced), f"pack {pack.id!r} has no enforced target to violate")
    if rule is None:
        return [r for r in enforced if _failing_pieces(r)]
    if isinstance(rule, str):
        from .language.text import normalize as _normalize

        indicator = pack.catalogue.lookup(rule)
        name = indicator.name if indicator else _normalize(rule)
        matches = [r for r in enforced if r.indicator.name == name]
        _check(bool(matches), f"pack {pack.id!r} has no enforced target for {rule!r}")
        _check(len(matches) == 1, f"{rule!r} has {len(matches)} enforced targets in {pack.id!r}; pass one of "
               f"pack.rules instead")
        return matches
    from .packs.resolve import BoundRule as _BoundRule

    _check_type(rule, (_BoundRule, str), "rule")
    _check(rule in enforced, f"rule {rule.text!r} is not an enforced target of pack {pack.id!r}")
    return [rule]


def violating_data(pack: Pack, *, rule: BoundRule | str | None = None,
                   regions: Sequence[str] | None = None) -> st.SearchStrategy[pd.DataFrame]:
    """Tables on which ``rule`` — an element of ``pack.rules``, an indicator name with a single
    target, or ``None`` for any target that can fail — fails in every region it applies to, while
    every target on the *other* indicators passes (and in the other regions, every target passes). Other targets on the same indicator may pass, fail or see
    missing data. The violated rule is recorded in ``table.attrs["violated"]`` as
    ``(indicator, kind, years, origin)``."""
    resolved = _check_pack(pack)
    chosen = _regions(resolved, regions)
    applies = _applies(resolved, chosen)
    candidates = [c for c in _select_rule(resolved, rule) if any(applies(c, region) for region in chosen)]
    _check(bool(candidates), f"no enforced target of {resolved.id!r} that can fail applies to {', '.join(chosen)}")
    for candidate in candidates:
        _check(bool(_failing_pieces(candidate)),
               f"the target {candidate.text!r} cannot fail: every plausible value meets it")
    enforced = _enforced(resolved)
    plans = {region: _plans([r for r in enforced if applies(r, region)]) for region in chosen}

    @_composite_table
    def build(draw: Callable[[st.SearchStrategy[Any]], Any]) -> pd.DataFrame:
        target = draw(st.sampled_from(candidates))
        natural = _natural(target.indicator, [_meeting(target)])
        rows: list[tuple[str, int, str, float]] = []
        for region in chosen:
            violated = applies(target, region)
            for name, plan in plans[region].items():
                if violated and name == target.indicator.name:
                    continue
                for year, value in sorted(_fill_plan(draw, plan).items()):
                    rows.append((region, year, name, value))
            if violated:
                for year, value in sorted(_violate(draw, target, natural, _years_in_force(resolved, target)).items()):
                    rows.append((region, year, target.indicator.name, value))
        frame = _frame(rows)
        frame.attrs["violated"] = (target.indicator.name, target.kind, target.years, target.origin)
        return frame

    return build()


def indicator_tables(pack: Pack, *, regions: Sequence[str] | None = None,
                     years: Sequence[int] | None = None, missing: bool = False) -> st.SearchStrategy[pd.DataFrame]:
    """Arbitrary tables for the indicators of ``pack``'s enforced targets: values on and near the
    targets' bounds (to exercise inclusive and exclusive comparisons) and elsewhere, for each
    region and year (default: every year a target or baseline needs). With ``missing``, some
    values are NaN and some rows are absent."""
    resolved = _check_pack(pack)
    chosen = _regions(resolved, regions)
    _check_type(missing, bool, "missing")
    plans = _plans_loose(_enforced(resolved))
    if years is None:
        all_years = sorted({y for plan in plans.values() for y in plan[1]})
    else:
        _check(not isinstance(years, (str, int)), "years must be a sequence of years")
        all_years = sorted(set(years))
        for year in all_years:
            _check_type(year, int, "years[...]")
    _check(bool(plans), f"pack {resolved.id!r} has no enforced targets")

    @_composite_table
    def build(draw: Callable[[st.SearchStrategy[Any]], Any]) -> pd.DataFrame:
        rows: list[tuple[str, int, str, float]] = []
        for region in chosen:
            for name, (specials, _, natural) in plans.items():
                for year in all_years:
                    if missing and draw(st.integers(0, 9)) == 0:
                        if draw(st.booleans()):
                            rows.append((region, year, name, math.nan))
                        continue
                    if specials and draw(st.booleans()):
                        value = draw(st.sampled_from(specials))
                    else:
                        value = _pick(draw, ANY, natural)
                    rows.append((region, year, name, value))
        return _frame(rows)

    return build()


def _plans_loose(rules: Iterable[BoundRule]) -> dict[str, tuple[tuple[float, ...], set[int], tuple[Fraction, Fraction]]]:
    """Per indicator: interesting values (bounds and their float neighbours), years, natural range."""
    from .packs.resolve import Measure

    found: dict[str, tuple[set[float], set[int], list[_Range], m.Indicator]] = {}
    for rule in rules:
        specials, years, ranges, _ = found.setdefault(rule.indicator.name, (set(), set(), [], rule.indicator))
        years.update(rule.years)
        if rule.baseline is not None:
            years.add(rule.baseline)
        r = _meeting(rule)
        ranges.append(r)
        if rule.measure is Measure.VALUE and rule.kind != "cumulative":
            for bound in (r.lo, r.hi, *r.holes):
                if bound is not None:
                    value = float(bound)
                    specials.update({value, math.nextafter(value, math.inf), math.nextafter(value, -math.inf)})
    return {name: (tuple(sorted(s)), y, _natural(ind, ranges)) for name, (s, y, ranges, ind) in found.items()}


# ------------------------------------------------------------------------------------------
# Raw records


def _columns(expression: m.Expression) -> dict[str, str]:
    """Column name -> kind ('number', 'bool', 'text:<literal>') the expression reads."""
    found: dict[str, str] = {}

    def condition(cond: m.Condition) -> None:
        if isinstance(cond, m.ColumnTest):
            if isinstance(cond.literal, bool):
                found.setdefault(cond.column, "bool")
            elif isinstance(cond.literal, Decimal):
                found.setdefault(cond.column, "number")
            else:
                found.setdefault(cond.column, "text:" + cond.literal)
        elif isinstance(cond, m.Not):
            condition(cond.part)
        else:
            for part in cond.parts:
                condition(part)

    def walk(expr: m.Expression) -> None:
        if isinstance(expr, m.Arithmetic):
            walk(expr.left)
            walk(expr.right)
        elif isinstance(expr, m.Aggregate):
            for column in (expr.column, expr.weight):
                if column is not None:
                    found[column] = "number"
            if expr.where is not None:
                condition(expr.where)

    walk(expression)
    return found


def records(definition: m.RecordDefinition | m.Indicator | str, *, regions: Sequence[str] = ("甲区", "乙区"),
            years: Sequence[int] = (2015, 2016), min_rows: int = 0, max_rows: int = 30,
            catalogue: Catalogue | None = None) -> st.SearchStrategy[pd.DataFrame]:
    """Raw records for an indicator computed from records: a row per record with the region
    column, the date column (dates within ``years``) or the year column, and every column the
    definition's expression reads — numbers (non-negative) for aggregated columns, booleans for
    bare conditions, the compared literal or another word for text conditions.

    ``definition`` is a :class:`~qualityrules.language.model.RecordDefinition`, an indicator that has one,
    or the name of such an indicator in ``catalogue`` (default: the shipped one)."""
    if isinstance(definition, str):
        from .packs.resolve import load_catalogue

        cat = catalogue if catalogue is not None else load_catalogue()
        indicator = cat.lookup(definition)
        _check(indicator is not None, f"indicator {definition!r} is not in the catalogue")
        assert indicator is not None
        definition = indicator
    if isinstance(definition, m.Indicator):
        _check(definition.definition is not None, f"indicator {definition.name!r} is not defined from records")
        assert definition.definition is not None
        definition = definition.definition
    _check_type(definition, m.RecordDefinition, "definition")
    _check_size(min_rows, max_rows, "rows")
    _check(not isinstance(regions, str) and bool(regions), "regions must be a non-empty sequence of names")
    _check(not isinstance(years, (str, int)) and bool(years), "years must be a non-empty sequence of years")
    for year in years:
        _check_type(year, int, "years[...]")
        _check(1 <= year <= 9999, f"year {year} out of range")
    region_names, year_list = tuple(regions), tuple(years)
    columns = _columns(definition.value)
    record_def = definition

    def cell(kind: str) -> st.SearchStrategy[Any]:
        if kind == "number":
            return st.integers(0, 10_000).map(lambda n: n / 100)
        if kind == "bool":
            return st.booleans()
        return st.sampled_from((kind.removeprefix("text:"), "其他"))

    row = st.fixed_dictionaries({
        "__region": st.sampled_from(region_names),
        "__year": st.sampled_from(year_list),
        "__day": st.integers(1, 365),
        **{name: cell(kind) for name, kind in columns.items()},
    })

    def to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
        import datetime

        import pandas as pd

        data: dict[str, list[Any]] = {record_def.region_column: [r["__region"] for r in rows]}
        if record_def.year_column is not None or record_def.date_column is None:
            data[record_def.year_column or "year"] = [r["__year"] for r in rows]
        if record_def.date_column is not None:
            data[record_def.date_column] = [
                datetime.date(r["__year"], 1, 1) + datetime.timedelta(days=min(r["__day"], 365) - 1) for r in rows
            ]
        for name in columns:
            data[name] = [r[name] for r in rows]
        frame = pd.DataFrame(data)
        if record_def.date_column is not None:
            frame[record_def.date_column] = pd.to_datetime(frame[record_def.date_column])
        return frame

    return st.lists(row, min_size=min_rows, max_size=max_rows).map(to_frame)
