"""Reading a written target line against the catalogue: which indicators it names, what each one
must meet, in which years, against which baseline. The parser keeps what is written; here it
gets its meaning, and every reading that is a choice is said out loud — as a note carried into
the export and ``explain``, or as a diagnostic when the author has to decide.

The readings, documented in ``docs/verdicts/wording.inc``:

* **Several indicators** (``A和B均达到98%``, ``A、B分别降低13.5%、18%``, ``A、B合格率94%``): the
  phrase is first looked up whole; else split at 、和及与 into catalogue names, sharing a common
  beginning or end (``年主营业务超过1000亿元、500亿元的名牌企业`` names ``…超过1000亿元的名牌企业``
  and ``…超过500亿元的名牌企业``). Without 均 or 分别, a phrase of several totals (counts, money)
  is refused: the sum and each are different targets.
* **A bare number** (``工业废水达标排放率 90%``) is refused with a fix-it from the indicator's
  direction, except where its reading is not a choice: a count after a flow verb
  (``创建…2个``: at least 2, added over the period), a number inside a verb phrase
  (``工业废水90%达标排放``: at least 90 %, by the direction), a table's target cell (the level to
  reach, by the direction), ``100%`` of a share that is better higher, ``0`` of one better lower,
  and any number on an indicator whose direction is ``exact``.
* **Flows** (a name beginning with a flow verb — 新增, 培育, 创建, 制定/制修订 … — or a catalogue
  ``flow``): without a time word, the total over the plan period; checked in one target year
  without 累计 or 每年, it warns (QR121) with both fixes and is checked in that year as written.
* **Changes without a baseline year** are against the pack's ``baseline`` (default: the year
  before the period starts; QR122 says which was used); 比上年/同比 against the previous year;
  年均增长7% over n years is a rise of (1.07ⁿ − 1) × 100 % against the baseline.
* **Table rows** ``name(unit) | 基期值 | 目标值 | 年均/累计 | 属性``: the target cell in the target
  year; the 年均/累计 cell — for a name ending in a change word (下降, 增长 …) a change (〔18〕
  over the period, a plain value per year compounded), else 〔x〕 is the period's sum for a flow
  and the change of a level, and a plain value holds every year.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import TypeVar

import attrs

from ..errors import Diagnostic, Severity, span_of
from ..i18n import Text, tr
from ..language import model as m
from ..language import units
from ..language.format import format_model, format_number
from ..language.grammar import terminal
from ..language.parse import CHANGE_WORDS
from ..language.text import normalize_with_offsets, quote

__all__ = ["Part", "read_statement", "extensive", "FLOW_VERBS", "plan_baseline", "name_span"]

_T = TypeVar("_T", bound=attrs.AttrsInstance)

# Verbs that say a count was added during the period (创建…2个: at least 2 new ones).
FLOW_VERBS = re.compile(r"^(新增|新培育|培育|创建|新创建|新建成|制定|新制定|制订|修订|制修订|制\(修\)订|主导制定|"
                        r"主导制修订|主导制\(修\)订|主导研制|研制|培训|育成|引进|新认定|新获)")

# Words before a statistic that name the plan's own region (我省, 全市 …) or the action that
# produces it (建设1个以上X): looked through when the name as written is not in the catalogue.
_OWN_REGION = re.compile(r"^(我省|我市|我区|我县|全省|全市|全区|全县|全国|本省|本市|本区|本地)")
_ACTION_VERBS = re.compile(r"^(建设|建成|打造|形成|组织|完成|开展|推动|拥有|获得)")

# Dimensions whose targets belong to one region: totals that grow with the size of a region (a
# province's 3万家 is not a district's target) and ranks among peers (广东省 first among provinces
# says nothing of a district's place). Shares, concentrations, intensities, per-capita rates,
# indices, scores and durations bind every region below the one that set them.
_EXTENSIVE_DIMENSIONS = frozenset({
    "[count]", "[currency]", "[us_currency]", "[person]", "[length]", "[length]**2", "[length]**3",
    "[mass]", "[coal_equivalent]", "[rank]", "[electric_energy]", "[power]",
})


# A per-head value is intensive whatever its unit says: 人均GDP in 万元, 每万人口发明专利拥有量 in 件.
_PER_HEAD = re.compile(r"人均|户均|每(?:[0-9一二两三四五六七八九十百千万]+)?(?:人|户|名)")


def extensive(indicator: m.Indicator) -> bool:
    """Whether a target on the indicator belongs to its own region only (a total over the region,
    or its rank among peers), so a parent's target does not apply to a child region's data. A
    per-head value (人均, 户均, 每万人口…) is not, though its unit counts money or things."""
    return _extensive(indicator.name, indicator.unit)


@functools.lru_cache(maxsize=4096)   # asked per rule on every evaluation: the unit lookup is not free
def _extensive(name: str, unit: str | None) -> bool:
    return unit is not None and units.dimension(unit) in _EXTENSIVE_DIMENSIONS and not _PER_HEAD.search(name)


@attrs.frozen
class Part:
    """One checkable target of a written line: a simple rule (one indicator, a comparison, range,
    approximate value or change, one time qualifier) and how it was read."""

    rule: m.Rule
    indicator: m.Indicator
    index: int = 0                            # position among the parts of its line
    notes: tuple[str, ...] = ()               # readings that were a choice, in plain words
    baseline_source: str | None = None        # written | pack | period | previous-year
    year_on_year: bool = False                # every year against the year before it
    average_rate: m.Quantity | None = None    # 年均: the yearly rate the change was computed from


Lookup = Callable[[str], m.Indicator | None]


def plan_baseline(pack: m.PackDefinition) -> tuple[int | None, str]:
    """The year a change without a written baseline is measured against, and where it comes from."""
    if pack.baseline is not None:
        return pack.baseline, "pack"
    if pack.period is not None:
        return pack.period.start - 1, "period"
    return None, "period"


def read_statement(rule: m.Rule, pack: m.PackDefinition, lookup: Lookup, suggest: Callable[[str], Text | None],
                   diagnostics: list[Diagnostic]) -> list[Part]:
    """The parts of a written line, each bound to its catalogue indicator (empty after an error)."""
    reader = _Reader(rule, pack, lookup, suggest, diagnostics)
    return reader.parts()


@attrs.define
class _Reader:
    rule: m.Rule
    pack: m.PackDefinition
    lookup: Lookup
    suggest: Callable[[str], Text | None]
    diagnostics: list[Diagnostic]

    def _error(self, code: str, message: Text, suggestion: Text | None = None,
               severity: Severity = Severity.ERROR, span: m.Span | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span or self.rule.span, severity, suggestion=suggestion))

    # -- which indicators
    def parts(self) -> list[Part]:
        target = self.rule.target
        if isinstance(target, m.Qualitative):
            return []  # the parser has said it is not checkable
        named = self._indicators()
        if not named:
            return []
        if isinstance(target, m.Respectively):
            if len(target.targets) != len(named):
                self._error("QR123", tr("{indicators} indicators but {values} values after 分别", indicators=len(named),
                                       values=len(target.targets)),
                            suggestion=tr("give one value per indicator, in the same order"))
                return []
            pairs: list[tuple[str, m.Indicator, m.Target]] = [
                (written, indicator, t) for (written, indicator), t in zip(named, target.targets, strict=True)]
        else:
            pairs = [(written, indicator, target) for written, indicator in named]
        parts: list[Part] = []
        for written, indicator, each in pairs:
            for part in self._read(written, indicator, each):
                parts.append(_changed(part, index=len(parts)))
        return parts

    def _indicators(self) -> list[tuple[str, m.Indicator]]:
        phrase = self.rule.indicator
        found = self._one(phrase)
        if found is not None:
            return [found]
        names = split_list(phrase)
        if len(names) > 1:
            distributed = _distribute(names, self.lookup)
            if distributed is not None:
                listed = isinstance(self.rule.target, m.Respectively) or self.rule.each
                if not listed and any(extensive(i) for _, i in distributed):
                    joined = "、".join(n for n, _ in distributed)
                    self._error("QR123", tr("'{phrase}' names several totals ({joined}): their sum and each of them "
                                            "are different targets", phrase=phrase, joined=joined),
                                suggestion=tr("write 均 before the target if each must reach it, or add '{phrase}' to "
                                              "the catalogue as one indicator for the total", phrase=phrase))
                    return []
                return distributed
        self._unknown(phrase)
        return []

    def _one(self, written: str) -> tuple[str, m.Indicator] | None:
        """A name as written, or without words that are not the statistic's: the plan's own region
        at its start (我省产品质量监督抽查合格率), a flow or action verb (创建国家技术标准创新基地,
        建设…试点), a change word at the end of a table row's name (…浓度下降). Only an exact
        catalogue name binds; a near miss stays unknown."""
        indicator = self.lookup(written)
        if indicator is not None:
            return written, indicator
        name = written
        region = _OWN_REGION.match(name)
        if region is not None and len(name) > region.end():
            name = name[region.end():]
            indicator = self.lookup(name)
            if indicator is not None:
                return written, indicator
        for verbs in (FLOW_VERBS, _ACTION_VERBS):
            verb = verbs.match(name)
            if verb is not None and len(name) > verb.end():
                indicator = self.lookup(name[verb.end():])
                if indicator is not None:
                    return written, indicator
        if isinstance(self.rule.target, m.TableRow):
            stripped = _change_word_at_end(written)
            if stripped is not None:
                indicator = self.lookup(stripped[0])
                if indicator is not None:
                    return written, indicator
        return None

    def _unknown(self, phrase: str) -> None:
        hint = self.suggest(phrase)
        if _numberless(self.rule.target):
            commitment = _quoted(format_model(self.rule))
            hint = tr("{hint}; if no statistic measures it, write it as commitment {commitment}", hint=hint,
                      commitment=commitment) if hint else \
                tr("if no statistic measures it, write it as commitment {commitment}", commitment=commitment)
        self._error("QR101", tr("unknown indicator '{name}'", name=phrase), hint
                    or tr("add it to a catalogue of your own (--catalogue FILE) with its unit and direction"),
                    span=_name_span(self.rule, phrase))

    # -- what each must meet
    def _read(self, written: str, indicator: m.Indicator, target: m.Target) -> list[Part]:
        rule = _changed(self.rule, indicator=written, target=target, each=False)
        if isinstance(target, m.TableRow):
            return self._table_row(rule, indicator, target)
        notes: list[str] = []
        if isinstance(target, m.Comparison) and target.bare:
            read = self._bare(rule, indicator, target, notes)
            if read is None:
                return []
            rule = attrs.evolve(rule, target=read)
        return [self._timed(rule, indicator, notes)]

    def _bare(self, rule: m.Rule, indicator: m.Indicator, target: m.Comparison, notes: list[str],
              table: bool = False) -> m.Comparison | None:
        """What a number without a comparator word means on this indicator, or None (reported)."""
        q = target.quantity
        if q.unit is not None and indicator.unit is not None and not units.compatible(q.unit, indicator.unit):
            return target  # the unit is wrong whatever the comparison (QR102 says so)
        shown = format_model(q)
        direction = indicator.direction
        by_direction = {m.Direction.HIGHER: m.Comparator.GE, m.Direction.LOWER: m.Comparator.LE,
                        m.Direction.EXACT: m.Comparator.EQ}[direction]
        if direction is m.Direction.EXACT:
            return attrs.evolve(target, bare=False)
        if _flow_verb(rule.indicator) and extensive(indicator):
            notes.append(f"a count after '{_flow_verb(rule.indicator)}' reads as at least {shown}")
            return attrs.evolve(target, op=m.Comparator.GE, bare=False)
        if table:
            notes.append(f"the table's target cell {shown} reads as the level to reach "
                         f"({'at least' if by_direction is m.Comparator.GE else 'at most'})")
            return attrs.evolve(target, op=by_direction, bare=False)
        if rule.target_at:
            notes.append(f"the number {shown} inside the verb phrase reads as "
                         f"{'at least' if by_direction is m.Comparator.GE else 'at most'} "
                         f"({indicator.name} is better {direction.value})")
            return attrs.evolve(target, op=by_direction, bare=False)
        if _at_the_end(q, indicator):
            return attrs.evolve(target, bare=False)  # 100% of a share better higher, 0 of one better lower
        number = format_number(q.value) + (q.unit or "")
        fix = f"达到{number}以上" if direction is m.Direction.HIGHER else f"{number}以下"
        if direction is m.Direction.HIGHER:
            hint = tr("write '{fix}' ({name} is better higher), or '== {number}' for exactly", fix=fix,
                      name=indicator.name, number=number)
        elif direction is m.Direction.LOWER:
            hint = tr("write '{fix}' ({name} is better lower), or '== {number}' for exactly", fix=fix,
                      name=indicator.name, number=number)
        else:
            hint = tr("write '{fix}' ({name} is better exact), or '== {number}' for exactly", fix=fix,
                      name=indicator.name, number=number)
        self._error("QR120", tr("'{written}' has no comparator word: does {name} have to reach it, stay under it, or "
                                "equal it?", written=q.written or number, name=indicator.name),
                    span=target.span, suggestion=hint)
        return None

    def _table_row(self, rule: m.Rule, indicator: m.Indicator, row: m.TableRow) -> list[Part]:
        base, aim, period = _columns(row.cells)
        notes: list[str] = []
        if base is not None:
            notes.append(f"基期值 {_cell_text(base)} is the value before the period (not checked)")
        parts: list[Part] = []
        if aim is not None and not isinstance(aim, m.Total):
            target = aim
            if isinstance(aim, m.Comparison) and aim.bare:
                read = self._bare(rule, indicator, aim, notes, table=True)
                if read is None:
                    return []
                target = read
            parts.append(self._timed(attrs.evolve(rule, target=target), indicator, list(notes)))
        if period is not None:
            part = self._period_cell(rule, indicator, period, list(notes))
            if part is None:
                return []
            parts.append(part)
        if not parts:
            self._error("QR015", tr("the table row has no target: its target and 年均/累计 cells are empty"),
                        span=row.span)
        return parts

    def _period_cell(self, rule: m.Rule, indicator: m.Indicator, cell: m.TableCell,
                     notes: list[str]) -> Part | None:
        """The 年均/累计 cell: 〔x〕 over the whole period, a plain value per year."""
        changing = _change_word_at_end(rule.indicator)
        if isinstance(cell, m.Total):
            amount = m.Comparison(m.Comparator.GE, cell.quantity, span=cell.span)
            if changing is not None:
                notes.append(f"〔{format_model(cell.quantity)}〕 is the {changing[1].value == 'up' and 'rise' or 'fall'} "
                             "over the period")
                change = m.Change(None, changing[1], amount, span=cell.span)
                return self._timed(attrs.evolve(rule, target=change, time=None), indicator, notes)
            if indicator.flow or _flow_verb(rule.indicator):
                notes.append(f"〔{format_model(cell.quantity)}〕 is the total added over the period")
                return self._timed(attrs.evolve(rule, target=amount, time=m.Cumulative()), indicator, notes)
            up = indicator.direction is not m.Direction.LOWER
            notes.append(f"〔{format_model(cell.quantity)}〕 is the {'rise' if up else 'fall'} of the level over "
                         "the period")
            change = m.Change(None, m.ChangeDirection.UP if up else m.ChangeDirection.DOWN, amount, span=cell.span)
            return self._timed(attrs.evolve(rule, target=change, time=None), indicator, notes)
        assert cell is not None
        if changing is not None:
            amount_cell: m.Comparison | m.Between | m.Approximately = cell
            if isinstance(cell, m.Comparison) and cell.bare:
                amount_cell = attrs.evolve(cell, op=m.Comparator.GE, bare=False)
            notes.append("the 年均 cell is a yearly rate, compounded over the period")
            change = m.Change(None, changing[1], amount_cell, average_annual=True, span=cell.span)
            return self._timed(attrs.evolve(rule, target=change, time=None), indicator, notes)
        target = cell
        if isinstance(cell, m.Comparison) and cell.bare:
            read = self._bare(rule, indicator, cell, notes, table=True)
            if read is None:
                return None
            target = read
        notes.append("the 年均 cell holds in every year of the period")
        return self._timed(attrs.evolve(rule, target=target, time=m.EveryYear()), indicator, notes)

    # -- when, and against what
    def _timed(self, rule: m.Rule, indicator: m.Indicator, notes: list[str]) -> Part:
        """The rule's time as read for its indicator, and its change's baseline."""
        time = rule.time
        verb = _flow_verb(rule.indicator)
        flow = (verb is not None or indicator.flow) and extensive(indicator) and not isinstance(rule.target, m.Change)
        period = self.pack.period
        several_years = period is not None and period.end > period.start
        what = f"'{verb}' counts what is added" if verb else f"{indicator.name} counts what is added each year"
        if flow and time is None and several_years:   # a flow verb or the catalogue's flag: the same reading
            notes.append(f"{what}: the total over the period")
            time = m.Cumulative(wording=None, span=None)
        elif flow and isinstance(time, m.TargetYear) and period is not None and time.year in period.years \
                and period.end > period.start:
            fix = tr("write '到{year}年 累计' for the total added by {year}, or '每年' for the amount added in every "
                     "year", year=time.year)
            if verb:
                self._error("QR121", tr("'{verb}' counts what is added; checked in {year} alone", verb=verb,
                                        year=time.year), severity=Severity.WARNING, span=time.span, suggestion=fix)
            else:
                self._error("QR121", tr("{name} counts what is added each year; checked in {year} alone",
                                        name=indicator.name, year=time.year),
                            severity=Severity.WARNING, span=time.span, suggestion=fix)
        if isinstance(time, m.During):
            time = attrs.evolve(time, total=time.total or flow)
        rule = _changed(rule, time=time)
        target = rule.target
        if not isinstance(target, m.Change):
            self._unattainable(target, indicator)
            return Part(rule, indicator, notes=tuple(notes))
        return self._change(rule, indicator, target, notes)

    def _unattainable(self, target: m.Target, indicator: m.Indicator) -> None:
        """QR126 for a value target that no value the indicator can take meets: a share above
        100 % (1000 ‰) or below 0, a count or another quantity never negative below 0 (a typo:
        ``>= 950%`` for 95 %). Every verdict on it would be a fail the data cannot change."""
        kind = units.value_kind(indicator.name, indicator.unit)
        if kind is None:
            return
        unit, full = kind.unit, kind.highest

        def value(quantity: m.Quantity) -> Decimal | Fraction | None:
            """In the indicator's unit, exact (a Decimal compares exactly with 0 and 100)."""
            if quantity.unit is None or quantity.unit == unit:    # (unit: the indicator's own)
                return quantity.value
            if not units.known(quantity.unit) or not units.compatible(quantity.unit, unit):
                return None
            return Fraction(quantity.value) * units.factor(quantity.unit, unit)

        def above(x: Decimal | Fraction | None, strict: bool) -> bool:
            return x is not None and full is not None and (x >= full if strict else x > full)

        def below(x: Decimal | Fraction | None, strict: bool) -> bool:
            return x is not None and (x <= 0 if strict else x < 0)

        if isinstance(target, m.Comparison):
            x, op = value(target.quantity), target.op
            none = (op in (m.Comparator.GE, m.Comparator.GT) and above(x, op is m.Comparator.GT)) \
                or (op in (m.Comparator.LE, m.Comparator.LT) and below(x, op is m.Comparator.LT)) \
                or (op is m.Comparator.EQ and (above(x, False) or below(x, False)))
        elif isinstance(target, m.Between):
            none = above(value(target.low), False) or below(value(target.high), False)
        else:
            return
        if none:
            what = tr("a share lies between 0 and {full:g} {unit}", full=full, unit=unit) if full is not None \
                else tr("a count ({unit}) is never negative", unit=unit) if kind.whole \
                else tr("a value in {unit} is never negative", unit=unit)
            self._error("QR126", tr("no value of {name} can meet this target: {what}", name=indicator.name, what=what),
                        severity=Severity.WARNING, span=target.span,
                        suggestion=tr("check the number (a digit too many, a change written as a level?)"))

    def _change(self, rule: m.Rule, indicator: m.Indicator, change: m.Change, notes: list[str]) -> Part:
        checked = _check_year(rule, self.pack)
        source = "written"
        year_on_year = False
        baseline = change.baseline
        if change.previous_year:
            source = "previous-year"
            if isinstance(rule.time, m.EveryYear | m.During):
                year_on_year = True
            elif checked is not None:
                baseline = checked - 1
        elif baseline is None:
            baseline, source = plan_baseline(self.pack)
            if baseline is None:
                self._error("QR122", tr("a change without a baseline year needs the pack's 'baseline' or 'period'"),
                            span=change.span, suggestion=tr("add e.g. 'baseline 2015' to the pack, or write '较2015年'"))
            elif source == "period":
                self._error("QR122", tr("no baseline year written: read against {baseline}, the year before the "
                                        "period starts", baseline=baseline), severity=Severity.WARNING, span=change.span,
                            suggestion=tr("write '较{baseline}年' here, or 'baseline {baseline}' in the pack header",
                                          baseline=baseline))
        rate = None
        amount = change.amount
        if change.average_annual:
            if baseline is None or checked is None or year_on_year or not isinstance(rule.time, m.TargetYear | None):
                self._error("QR122", tr("年均 (a yearly rate) needs one target year and a baseline year"),
                            span=change.span, suggestion=tr("write it for the target year, e.g. '到2030年 …年均增长7%'"))
            elif checked > baseline:
                rate = next(iter(m.quantities(amount)))
                amount = _compounded(amount, checked - baseline, change.direction is m.ChangeDirection.UP)
                notes.append(f"年均 {format_model(rate)} over {checked - baseline} years is a "
                             f"{'rise' if change.direction is m.ChangeDirection.UP else 'fall'} of "
                             f"{_describe_amount(amount)} against {baseline}")
        derived = attrs.evolve(change, baseline=None if year_on_year else baseline, amount=amount,
                               previous_year=year_on_year, average_annual=False)
        return Part(attrs.evolve(rule, target=derived), indicator, notes=tuple(notes), baseline_source=source,
                    year_on_year=year_on_year, average_rate=rate)


# ------------------------------------------------------------------------------------------
# Helpers


def _changed(instance: _T, **changes: object) -> _T:
    """``attrs.evolve(instance, **changes)``, or ``instance`` itself when every change is the value
    it already holds (the usual line, read as written: no copy of its rule per step)."""
    for name, value in changes.items():
        if getattr(instance, name) is not value:
            return attrs.evolve(instance, **changes)  # type: ignore[misc]  # the attrs plugin does not follow the bound
    return instance


def _check_year(rule: m.Rule, pack: m.PackDefinition) -> int | None:
    time = rule.time
    if isinstance(time, m.TargetYear):
        return time.year
    if pack.target is not None:
        return pack.target
    return pack.period.end if pack.period is not None else None


def _compounded(amount: m.Comparison | m.Between | m.Approximately, years: int, up: bool
                ) -> m.Comparison | m.Between | m.Approximately:
    """The change over ``years`` that a yearly one amounts to. A rate in % compounds: a rise of 7%
    a year over 5 years is a rise of 40.2551730700%, a fall of 3% a year a fall of 14.1266%
    (1 − 0.97⁵, not 1.03⁵ − 1). Percentage points add up: 0.1个百分点 a year is 0.5 over 5 years."""
    def grow(q: m.Quantity) -> m.Quantity:
        if q.unit != "%":
            return m.Quantity(q.value * years, q.unit, span=q.span)
        rate = Fraction(q.value) / 100
        total = (1 + rate) ** years - 1 if up else 1 - (1 - rate) ** years
        with localcontext() as context:
            context.prec = 200
            value = (Decimal(total.numerator) / Decimal(total.denominator) * 100).normalize()
        return m.Quantity(value, q.unit, span=q.span)

    if isinstance(amount, m.Comparison):
        return attrs.evolve(amount, quantity=grow(amount.quantity), wording=None)
    if isinstance(amount, m.Between):
        return attrs.evolve(amount, low=grow(amount.low), high=grow(amount.high), wording=None)
    return attrs.evolve(amount, quantity=grow(amount.quantity), wording=None)


def _describe_amount(amount: m.Comparison | m.Between | m.Approximately) -> str:
    if isinstance(amount, m.Comparison):
        words = {m.Comparator.GE: "at least", m.Comparator.GT: "more than", m.Comparator.LE: "at most",
                 m.Comparator.LT: "less than", m.Comparator.EQ: "exactly", m.Comparator.NE: "other than"}
        return f"{words[amount.op]} {format_model(amount.quantity)}"
    if isinstance(amount, m.Between):
        return f"between {format_model(amount.low)} and {format_model(amount.high)}"
    return f"about {format_model(amount.quantity)}"


def _flow_verb(name: str) -> str | None:
    verb = FLOW_VERBS.match(name)
    return verb.group(0) if verb else None


def _columns(cells: tuple[m.TableCell, ...]) -> tuple[m.TableCell, m.TableCell, m.TableCell]:
    """A table row's value cells as (基期值, 目标值, 年均/累计): three in that order; two are the base
    value and the target (``| 80 | 90 | 约束性``: 2020年 | 2025年); one is the target. A period total
    (〔18〕) is only ever the 年均/累计 cell, wherever fewer columns put it."""
    values = list(cells)
    if len(values) >= 3:
        return values[0], values[1], values[2]
    base = values[0] if len(values) == 2 else None
    aim = values[-1] if values else None
    if isinstance(aim, m.Total):
        return base, None, aim
    return base, aim, None


def _change_word_at_end(name: str) -> tuple[str, m.ChangeDirection] | None:
    for word, direction in CHANGE_WORDS.items():
        if name.endswith(word) and len(name) > len(word):
            return name[: -len(word)], direction
    return None


def _at_the_end(q: m.Quantity, indicator: m.Indicator) -> bool:
    """100% of a share that is better higher, or 0 of anything better lower: == and the
    direction's bound say the same."""
    if indicator.direction is m.Direction.LOWER and q.value == 0:
        return True
    if indicator.direction is m.Direction.HIGHER and q.unit is not None and indicator.unit is not None \
            and units.compatible(q.unit, "%") and units.compatible(indicator.unit, "%"):
        return Fraction(q.value) * units.to_base(q.unit) == 1
    return False


_SEPARATORS = re.compile("、|和|及|与")


def split_list(phrase: str, joins: Callable[[str, int], bool] | None = None) -> list[str]:
    """``A、B和C`` -> [A, B, C], never inside brackets or quotes (``近岸海域水质优良(一、二类)比例``
    is one name). ``joins(part so far, index)`` keeps the separator at ``index`` inside the part
    (extract: verbs sharing their object, 和 inside a word)."""
    parts: list[str] = []
    depth = 0
    current = ""
    for index, ch in enumerate(phrase):
        depth += ch in "(（“" and 1 or ch in ")）”" and -1 or 0
        if depth == 0 and _SEPARATORS.match(phrase, index) and not (joins and joins(current, index)):
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p for p in parts if p]


def _distribute(names: list[str], lookup: Lookup) -> list[tuple[str, m.Indicator]] | None:
    """Catalogue names for ``A、B、C``, each whole or sharing the beginning of the first and the
    end of the last (``主要工业产品、日用消费品质量…合格率``)."""
    direct = [lookup(n) for n in names]
    if all(direct):
        return [(n, i) for n, i in zip(names, direct, strict=True) if i is not None]
    first, last = names[0], names[-1]
    for a in range(len(first) - 1, -1, -1):  # the longest shared beginning first
        for b in range(1, len(last) + 1):
            head, tail = first[:a], last[b:]
            full = [head + first[a:] + tail] + [head + n + tail for n in names[1:-1]] + [head + last[:b] + tail]
            found = [lookup(n) for n in full]
            if all(found):
                return [(n, i) for n, i in zip(full, found, strict=True) if i is not None]
    return None


def _numberless(target: m.Target) -> bool:
    if isinstance(target, m.Comparison) and target.wording and target.wording[0] is not None:
        return bool(terminal("EXACT_ZERO", "WHOLE", "ZERO_VERB").fullmatch(target.wording[0]))
    return False


def _cell_text(cell: m.TableCell) -> str:
    return "-" if cell is None else format_model(cell)


def _quoted(text: str) -> str:
    try:
        return quote(text)
    except ValueError:
        return '"…"'


def _name_span(rule: m.Rule, name: str | None = None) -> m.Span | None:
    """The span of the indicator name inside the rule (found in the normalised text, so a
    traditional-script or full-width name is found too); the rule's span when it is not there."""
    if rule.span is None:
        return None
    name = rule.indicator if name is None else name
    normalized = normalize_with_offsets(rule.span.text)
    index = normalized.text.find(name)
    if index < 0:
        return rule.span
    start = rule.span.start + normalized.original_offset(index)
    end = rule.span.start + normalized.original_offset(index + len(name))
    return span_of(rule.span.source, start, end)


name_span = _name_span
