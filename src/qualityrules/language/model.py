"""The syntax model: what a rule file says, as frozen attrs classes.

Every class here is produced from exactly one grammar rule (see ``parse.GRAMMAR_TO_MODEL``).
Source spans and the author's wording are kept for diagnostics and formatting but are excluded
from equality, hashing and repr, so ``parse(format(x)) == x`` compares meaning, not layout.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from ..i18n import Text, tr

__all__ = [
    "Source", "Span", "Comparator", "Strength", "Level", "Direction", "ChangeDirection",
    "AggregateFunction", "Quantity", "Comparison", "Between", "Approximately", "Change",
    "Respectively", "Total", "TableRow", "Qualitative", "TargetYear", "EveryYear", "Cumulative",
    "During", "Citation", "Rule", "Commitment", "Section", "Period", "ReviewMethod", "Review",
    "PackDefinition", "ColumnTest", "AllOf", "AnyOf", "Not", "Aggregate", "Arithmetic", "Constant",
    "RecordDefinition", "CrossReference", "DatedDefinition", "Indicator", "RuleFile", "Target",
    "Time", "Condition", "Expression", "quantities", "map_quantities", "Rounding", "RoundingMethod",
]


@attrs.frozen
class Source:
    """A text that was parsed: its display name (usually a path) and its original content."""

    name: str
    text: str = attrs.field(repr=False)
    # Where each line starts, computed on first use and then shared by every span of the text:
    # locating an offset is a bisection, not a scan from the start of the file.
    _line_starts: list[int] | None = attrs.field(default=None, init=False, eq=False, repr=False)

    def line_starts(self) -> list[int]:
        """The offset at which each line begins (lines end at ``\\n``)."""
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            at = find("\n")
            while at != -1:
                starts.append(at + 1)
                at = find("\n", at + 1)
            object.__setattr__(self, "_line_starts", starts)
            return starts
        return self._line_starts

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) without its line ending; empty outside the text."""
        starts = self.line_starts()
        if not 0 < line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1]:end].removesuffix("\r")


@attrs.frozen
class Span:
    """A region of a :class:`Source`; lines and columns are 1-based, offsets 0-based."""

    source: Source = attrs.field(repr=False)
    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def text(self) -> str:
        return self.source.text[self.start:self.end]


def _span() -> Any:
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


def _wording() -> Any:
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


class Comparator(enum.Enum):
    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"
    EQ = "=="
    NE = "!="

    @property
    def direction(self) -> int:
        """+1 for lower bounds, -1 for upper bounds, 0 for (in)equality."""
        return {"GE": 1, "GT": 1, "LE": -1, "LT": -1}.get(self.name, 0)

    @property
    def inclusive(self) -> bool:
        return self in (Comparator.GE, Comparator.LE, Comparator.EQ)


class Strength(enum.Enum):
    """How a target binds: ``binding`` (约束性, 确保, the default) fails when missed; an
    ``aspiration`` (力争, 争取, 争创) and an ``expected`` target (预期性) warn."""

    BINDING = "binding"
    ASPIRATION = "aspiration"
    EXPECTED = "expected"

    @property
    def warns(self) -> bool:
        """A miss warns instead of failing."""
        return self is not Strength.BINDING


class Level(enum.Enum):
    NATION = "nation"
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


class Direction(enum.Enum):
    """Which way an indicator gets better."""

    HIGHER = "higher"
    LOWER = "lower"
    EXACT = "exact"


class ChangeDirection(enum.Enum):
    UP = "up"
    DOWN = "down"


class AggregateFunction(enum.Enum):
    SUM = "sum"
    COUNT = "count"
    MEAN = "mean"
    MIN = "min"
    MAX = "max"
    SHARE = "share"
    WMEAN = "wmean"


@attrs.frozen
class Quantity:
    """A number with an optional unit spelling; ``value`` is exact and already scaled by any
    magnitude word (``3万家`` is ``30000`` 家, ``1.75万亿元`` is ``1.75`` 万亿元)."""

    value: Decimal = attrs.field(converter=Decimal)
    unit: str | None = None
    written: str | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class Comparison:
    """``value OP quantity``; ``wording`` keeps the Chinese prefix/suffix words as written.
    ``bare``: no comparator word or symbol was written (``90%``, ``2个``); the op is then ``==``
    as written, and the resolver decides what the indicator lets it mean (or reports it)."""

    op: Comparator
    quantity: Quantity
    bare: bool = False
    wording: tuple[str | None, str | None] | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class Between:
    """Inclusive range ``low <= value <= high``."""

    low: Quantity
    high: Quantity
    wording: str | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class Approximately:
    """``value`` within ``tolerance`` of ``quantity``; a ``%`` tolerance is relative, any other
    unit is absolute. ``None`` means the pack's default tolerance."""

    quantity: Quantity
    tolerance: Quantity | None = None
    wording: str | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class Change:
    """A change against the value of ``baseline`` year; ``amount`` bounds the size of the
    change, in ``%`` (relative), 百分点 (points of a share) or the indicator's own unit
    (absolute: ``增加12项``, ``提高1岁``).

    ``baseline`` is None when the text names no year: then it is the previous year if
    ``previous_year`` (比上年, 同比), else the pack's baseline. ``average_annual`` (年均增长7%):
    the amount is a yearly rate, compounded over the years from the baseline."""

    baseline: int | None
    direction: ChangeDirection
    amount: Comparison | Between | Approximately
    previous_year: bool = False
    average_annual: bool = False
    wording: str | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class Respectively:
    """``A、B分别达到2800个、2000个``: one target per indicator of the rule's name, in order."""

    targets: tuple[Comparison | Change, ...]
    wording: str | None = _wording()              # the words before the first number (分别达到)
    separators: tuple[str, ...] | None = _wording()  # between the numbers, as written (、, 和)
    span: Span | None = _span()


@attrs.frozen
class Total:
    """A table cell ``〔18〕``: the total over the plan period (a change of a level, or a sum of
    a flow), as the 年均/累计 column of an indicator table prints it."""

    quantity: Quantity
    wording: str | None = _wording()  # the brackets, e.g. "〔〕"
    span: Span | None = _span()


TableCell = Comparison | Between | Approximately | Total | None


@attrs.frozen
class TableRow:
    """A row of a plan's indicator table, ``name(unit) | 基期值 | 目标值 | 年均/累计 | 属性``,
    pasted as printed. ``cells`` are the value cells in order (``None`` for an empty ``-``);
    the 属性 cell is the rule's strength. Read by position: one cell is the target value; two
    are the baseline value and the target; three add the 年均/累计 cell."""

    cells: tuple[TableCell, ...]
    span: Span | None = _span()


@attrs.frozen
class Qualitative:
    """A target without a number (逐年提高, 基本消除, 全国前列): kept so the resolver can say
    where it is and what to write instead; it is never checked."""

    word: str
    span: Span | None = _span()


Target = Comparison | Between | Approximately | Change | Respectively | TableRow | Qualitative


def quantities(target: Target | Total | None) -> Iterator[Quantity]:
    """The quantities a target states, in reading order (a change's amount included)."""
    if isinstance(target, Change):
        yield from quantities(target.amount)
    elif isinstance(target, Comparison):
        yield target.quantity
    elif isinstance(target, Between):
        yield target.low
        yield target.high
    elif isinstance(target, Respectively):
        for part in target.targets:
            yield from quantities(part)
    elif isinstance(target, TableRow):
        for cell in target.cells:
            yield from quantities(cell)
    elif isinstance(target, (Approximately, Total)):
        yield target.quantity


def map_quantities(target: Any, change: Callable[[Quantity], Quantity]) -> Any:
    """``target`` (or a table cell) with ``change`` applied to every quantity it states."""
    if isinstance(target, Comparison):
        return attrs.evolve(target, quantity=change(target.quantity))
    if isinstance(target, Between):
        return attrs.evolve(target, low=change(target.low), high=change(target.high))
    if isinstance(target, Approximately):
        tolerance = None if target.tolerance is None else change(target.tolerance)
        return attrs.evolve(target, quantity=change(target.quantity), tolerance=tolerance)
    if isinstance(target, Total):
        return attrs.evolve(target, quantity=change(target.quantity))
    if isinstance(target, Change):
        return attrs.evolve(target, amount=map_quantities(target.amount, change))
    if isinstance(target, Respectively):
        return attrs.evolve(target, targets=tuple(map_quantities(t, change) for t in target.targets))
    if isinstance(target, TableRow):
        return attrs.evolve(target, cells=tuple(None if c is None else map_quantities(c, change) for c in target.cells))
    return target


@attrs.frozen
class TargetYear:
    year: int
    wording: str | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class EveryYear:
    """Every year of the pack's period must meet the target; with ``last`` (连续5年), every year of
    the ``last`` years that end in the pack's target year."""

    last: int | None = None
    wording: str | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class Cumulative:
    """The sum over the pack's period must meet the target; with ``until`` (到2025年累计), the
    sum from the period's first year to ``until``."""

    until: int | None = None
    wording: str | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class During:
    """A named plan period (“十四五”期间 = 2021..2025): every year of it, or its sum for a flow;
    ``total`` (“十四五”期间累计): its sum."""

    start: int
    end: int
    total: bool = False
    wording: str | None = _wording()
    span: Span | None = _span()


Time = TargetYear | EveryYear | Cumulative | During


@attrs.frozen
class Citation:
    text: str
    span: Span | None = _span()


@attrs.frozen
class Rule:
    """One target line. ``indicator`` is the name as written (normalised): one catalogue name,
    or several joined by 、/和 (``A和B均达到98%``, ``A、B分别降低13.5%、18%``) that the resolver
    binds one by one. ``each`` (均): the same target holds for every indicator named."""

    indicator: str
    target: Target
    time: Time | None = None
    strength: Strength = Strength.BINDING
    citation: Citation | None = None
    override: bool = False
    justification: str | None = None
    unenforced: str | None = None
    each: bool = False
    strength_word: str | None = _wording()
    time_first: bool | None = _wording()  # the author put the time qualifier before the name
    joined: bool | None = _wording()      # printed without a space between name and target
    target_at: int | None = _wording()    # the target was printed inside the name, before this index
    name_note: str | None = _wording()    # a unit note printed after the name, e.g. "(%)"
    span: Span | None = _span()


@attrs.frozen
class Commitment:
    """A non-numeric commitment: listed so the pack says what it cannot check."""

    text: str
    citation: Citation | None = None
    span: Span | None = _span()


@attrs.frozen
class Section:
    name: str
    entries: tuple[Rule | Commitment, ...] = ()
    span: Span | None = _span()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(entry for entry in self.entries if isinstance(entry, Rule))

    @property
    def commitments(self) -> tuple[Commitment, ...]:
        return tuple(entry for entry in self.entries if isinstance(entry, Commitment))


class RoundingMethod(enum.Enum):
    """GB/T 8170-2008's two ways to compare a measured value with a limit."""

    ROUND_THEN_COMPARE = "修约值比较法"   # round the value to the step first, then compare
    FULL_VALUE = "全数值比较法"           # compare the value as measured

    @property
    def english(self) -> str:
        return "round-then-compare" if self is RoundingMethod.ROUND_THEN_COMPARE else "full-value"


@attrs.frozen
class Rounding:
    """A declared precision: values are rounded half to even, once, to a multiple of ``step``
    (in the unit the compared quantity is written in) and compared by ``method``."""

    step: Decimal = attrs.field(converter=Decimal)
    method: RoundingMethod
    wording: str | None = _wording()   # the method as written (Chinese or English)
    span: Span | None = _span()


@attrs.frozen
class Period:
    start: int
    end: int
    span: Span | None = _span()

    @property
    def years(self) -> range:
        return range(self.start, self.end + 1)


class ReviewMethod(enum.Enum):
    """How a mid-term review measures progress (see docs/midterm-review.rst)."""

    GROWTH = "growth"            # observed ÷ required average annual change (Eurostat, Open SDG)
    PROJECTION = "projection"    # projected ÷ required progress to the target year (UNSD)


# Each method's published class boundaries: (on track from, at risk from).
REVIEW_DEFAULTS: dict[ReviewMethod, tuple[Decimal, Decimal]] = {
    ReviewMethod.GROWTH: (Decimal("0.95"), Decimal("0.6")),
    ReviewMethod.PROJECTION: (Decimal("0.95"), Decimal("0.10")),
}


@attrs.frozen
class Review:
    """A pack's (or a call's) mid-term review method and class boundaries: progress ratio
    ``>= on_track`` is on track, ``>= at_risk`` at risk, below it off track. ``None`` takes the
    method's published boundary."""

    method: ReviewMethod = ReviewMethod.GROWTH
    on_track: Decimal | None = None
    at_risk: Decimal | None = None
    span: Span | None = _span()

    @property
    def thresholds(self) -> tuple[Decimal, Decimal]:
        """(on track from, at risk from), defaults filled in."""
        on_track, at_risk = REVIEW_DEFAULTS[self.method]
        return (on_track if self.on_track is None else self.on_track,
                at_risk if self.at_risk is None else self.at_risk)

    def problem(self) -> Text | None:
        """Why the boundaries cannot classify (None when they can): they must be finite, with
        ``0 <= at_risk <= on_track`` and ``on_track > 0``."""
        on_track, at_risk = self.thresholds
        if not (on_track.is_finite() and at_risk.is_finite()):
            return tr("review boundaries must be finite numbers")
        if at_risk < 0:
            return tr("at-risk boundary {at_risk} is negative (a negative ratio means moving away from the target)",
                      at_risk=at_risk)
        if on_track <= 0:
            return tr("on-track boundary {on_track} must be above 0", on_track=on_track)
        if at_risk > on_track:
            return tr("at-risk boundary {at_risk} is above the on-track boundary {on_track}", at_risk=at_risk,
                      on_track=on_track)
        return None


@attrs.frozen
class PackDefinition:
    """A pack as written in its file, before inheritance and catalogue binding."""

    id: str
    extends: tuple[str, ...] = ()
    name: str | None = None
    source: str | None = None
    issuer: str | None = None
    published: str | None = None
    region: str | None = None
    level: Level | None = None
    period: Period | None = None
    target: int | None = None
    baseline: int | None = None
    tolerance: Quantity | None = None
    rounding: Rounding | None = None
    review: Review | None = None
    scope: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    span: Span | None = _span()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for section in self.sections for rule in section.rules)

    @property
    def commitments(self) -> tuple[Commitment, ...]:
        return tuple(c for section in self.sections for c in section.commitments)


@attrs.frozen
class ColumnTest:
    """``column OP literal``; a bare column tests ``column == true``."""

    column: str
    op: Comparator = Comparator.EQ
    literal: Decimal | str | bool = True
    span: Span | None = _span()


@attrs.frozen
class AllOf:
    parts: tuple[Condition, ...]
    span: Span | None = _span()


@attrs.frozen
class AnyOf:
    parts: tuple[Condition, ...]
    span: Span | None = _span()


@attrs.frozen
class Not:
    part: Condition
    span: Span | None = _span()


Condition = ColumnTest | AllOf | AnyOf | Not


@attrs.frozen
class Aggregate:
    function: AggregateFunction
    column: str | None = None
    weight: str | None = None
    where: Condition | None = None
    span: Span | None = _span()


@attrs.frozen
class Arithmetic:
    op: str
    left: Expression
    right: Expression
    span: Span | None = _span()


@attrs.frozen
class Constant:
    value: Decimal = attrs.field(converter=Decimal)
    span: Span | None = _span()


Expression = Aggregate | Arithmetic | Constant


@attrs.frozen
class RecordDefinition:
    """How an indicator is computed from raw records, grouped by region and year."""

    table: str
    value: Expression
    region_column: str = "region"
    date_column: str | None = None
    year_column: str | None = None
    min_records: int | None = None
    # ``column volume 立方米``: the unit of a measured column, which says what it can hold (a
    # volume is never negative, a count is whole: :func:`~qualityrules.language.units.value_kind`)
    column_units: tuple[tuple[str, str], ...] = ()
    span: Span | None = _span()


@attrs.frozen
class CrossReference:
    """``see-also A, B "note"`` or ``not A "note"`` in a catalogue block: indicators that look
    alike, told apart in messages. A reference never binds a rule to the other indicator."""

    kind: str  # "see-also" or "not"
    names: tuple[str, ...]
    note: str | None = None
    span: Span | None = _span()


@attrs.frozen
class DatedDefinition:
    """``definition 2013.. "AQI ≤ 100 (HJ 633-2012)"``: how the statistic is defined in the
    years ``start``..``end`` (open ends: None)."""

    start: int | None
    end: int | None
    text: str
    span: Span | None = _span()

    def covers(self, year: int) -> bool:
        return (self.start is None or self.start <= year) and (self.end is None or year <= self.end)


@attrs.frozen
class Indicator:
    """A catalogue indicator. ``flow``: a yearly value is what was added that year (新增, 培育 …),
    so a target on it over a plan period is a sum."""

    name: str
    unit: str | None = None
    direction: Direction = Direction.HIGHER
    aliases: tuple[str, ...] = ()
    description: str | None = None
    definition: RecordDefinition | None = None
    flow: bool = False
    references: tuple[CrossReference, ...] = ()
    definitions: tuple[DatedDefinition, ...] = ()
    rounding: Rounding | None = None
    override: bool = False  # replaces the indicator of this name in the catalogue being extended
    span: Span | None = _span()

    def defined_as(self, year: int) -> DatedDefinition | None:
        """The dated definition in force in ``year`` (None when the catalogue gives none)."""
        return next((d for d in self.definitions if d.covers(year)), None)


@attrs.frozen
class RuleFile:
    """Everything one ``.qr`` file declares."""

    packs: tuple[PackDefinition, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    source: Source | None = attrs.field(default=None, eq=False, repr=False)
