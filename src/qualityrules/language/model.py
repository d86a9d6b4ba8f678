"""The syntax model: what a rule file says, as frozen attrs classes.

Every class here is produced from exactly one grammar rule (see ``parse.GRAMMAR_TO_MODEL``).
Source spans and the author's wording are kept for diagnostics and formatting but are excluded
from equality, hashing and repr, so ``parse(format(x)) == x`` compares meaning, not layout.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "Source", "Span", "Comparator", "Strength", "Level", "Direction", "ChangeDirection",
    "AggregateFunction", "Quantity", "Comparison", "Between", "Approximately", "Change",
    "TargetYear", "EveryYear", "Cumulative", "Citation", "Rule", "Commitment", "Section",
    "Period", "ReviewMethod", "Review", "PackDefinition", "ColumnTest", "AllOf", "AnyOf", "Not", "Aggregate", "Arithmetic",
    "Constant", "RecordDefinition", "Indicator", "RuleFile", "Target", "Time", "Condition",
    "Expression", "quantities", "Rounding", "RoundingMethod",
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
    BINDING = "binding"
    ASPIRATION = "aspiration"


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
    """``value OP quantity``; ``wording`` keeps the Chinese prefix/suffix words as written."""

    op: Comparator
    quantity: Quantity
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
    change, in ``%`` (relative) or 百分点 (absolute points)."""

    baseline: int
    direction: ChangeDirection
    amount: Comparison | Between | Approximately
    wording: str | None = _wording()
    span: Span | None = _span()


Target = Comparison | Between | Approximately | Change


def quantities(target: Target) -> Iterator[Quantity]:
    """The quantities a target states, in reading order (a change's amount included)."""
    if isinstance(target, Change):
        yield from quantities(target.amount)
    elif isinstance(target, Comparison):
        yield target.quantity
    elif isinstance(target, Between):
        yield target.low
        yield target.high
    else:
        yield target.quantity


@attrs.frozen
class TargetYear:
    year: int
    wording: str | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class EveryYear:
    """Every year of the pack's period must meet the target."""

    wording: str | None = _wording()
    span: Span | None = _span()


@attrs.frozen
class Cumulative:
    """The sum over the pack's period must meet the target."""

    wording: str | None = _wording()
    span: Span | None = _span()


Time = TargetYear | EveryYear | Cumulative


@attrs.frozen
class Citation:
    text: str
    span: Span | None = _span()


@attrs.frozen
class Rule:
    indicator: str
    target: Target
    time: Time | None = None
    strength: Strength = Strength.BINDING
    citation: Citation | None = None
    override: bool = False
    justification: str | None = None
    unenforced: str | None = None
    strength_word: str | None = _wording()
    time_first: bool | None = _wording()  # the author put the time qualifier before the name
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

    def problem(self) -> str | None:
        """Why the boundaries cannot classify (None when they can): they must be finite, with
        ``0 <= at_risk <= on_track`` and ``on_track > 0``."""
        on_track, at_risk = self.thresholds
        if not (on_track.is_finite() and at_risk.is_finite()):
            return "review boundaries must be finite numbers"
        if at_risk < 0:
            return f"at-risk boundary {at_risk} is negative (a negative ratio means moving away from the target)"
        if on_track <= 0:
            return f"on-track boundary {on_track} must be above 0"
        if at_risk > on_track:
            return f"at-risk boundary {at_risk} is above the on-track boundary {on_track}"
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
    span: Span | None = _span()


@attrs.frozen
class Indicator:
    name: str
    unit: str | None = None
    direction: Direction = Direction.HIGHER
    aliases: tuple[str, ...] = ()
    description: str | None = None
    definition: RecordDefinition | None = None
    rounding: Rounding | None = None
    override: bool = False  # replaces the indicator of this name in the catalogue being extended
    span: Span | None = _span()


@attrs.frozen
class RuleFile:
    """Everything one ``.qr`` file declares."""

    packs: tuple[PackDefinition, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    source: Source | None = attrs.field(default=None, eq=False, repr=False)
