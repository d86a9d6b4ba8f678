"""Units: the spellings of the language, defined for pint in ``grammar/units.txt`` and loaded
into an empty pint registry with exact (``Fraction``) magnitudes.

What the rest of the package needs from pint is small and fixed — for each spelling the grammar
accepts, its dimension, its exact factor to the base unit and the base unit's name — so that
table is derived from pint when the package is built (an artefact next to the grammar, see
:mod:`qualityrules.resources`), or on first use when the definitions changed since, and then kept
in the user's cache. A ``qualityrules lint`` does not pay pint's ~0.2 s import.
"""

from __future__ import annotations

import functools
import json
import re
from fractions import Fraction
from typing import Any

import attrs

from ..resources import Artefact, digest, grammar_path, load_artefact

_TABLE_FORMAT = 1  # bump when the table's layout or meaning changes


@functools.lru_cache(maxsize=1)
def registry() -> Any:
    """The pint registry holding exactly the language's units (built once, in milliseconds)."""
    import pint

    units: Any = pint.UnitRegistry(None, non_int_type=Fraction, autoconvert_offset_to_baseunit=False)
    units.load_definitions(str(grammar_path("units.txt")))
    return units


# Magnitude words a unit name may start with (万户 = 10000 户): the grammar's MAGNITUDE terminal.
MAGNITUDES: dict[str, Fraction] = {
    "百": Fraction(100), "千": Fraction(1000), "万": Fraction(10**4), "亿": Fraction(10**8),
    "万亿": Fraction(10**12),
}


@functools.lru_cache(maxsize=1)
def defined_spellings() -> tuple[str, ...]:
    """Every spelling ``units.txt`` defines (Chinese words, %, ‰, ratios), in file order."""
    spellings: list[str] = []
    for line in grammar_path("units.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            spellings.extend(part.strip() for part in line.split("=")[2:])
    return tuple(spellings)


@functools.lru_cache(maxsize=1)
def grammar_spellings() -> tuple[str, ...]:
    """The unit spellings the grammar's UNIT terminal accepts, longest first (so ``万元/人`` is
    tried before ``万元``)."""
    return tuple(sorted(dict.fromkeys(defined_spellings()), key=len, reverse=True))


def unit_pattern() -> str:
    """The UNIT terminal's regular expression, as written between ``/…/`` in a Lark grammar."""
    return "|".join(re.escape(s).replace("/", "\\/") for s in grammar_spellings())


@functools.lru_cache(maxsize=1)
def _spelling_set() -> frozenset[str]:
    return frozenset(defined_spellings())


def split_magnitude(spelling: str) -> tuple[Fraction, str]:
    """``万户`` -> (10000, ``户``); a defined spelling (``万元``) is never split."""
    if spelling in _spelling_set():
        return Fraction(1), spelling
    for word in sorted(MAGNITUDES, key=len, reverse=True):
        rest = spelling[len(word):]
        if spelling.startswith(word) and rest in _spelling_set():
            return MAGNITUDES[word], rest
    return Fraction(1), spelling


def known(spelling: str) -> bool:
    """A unit the language can compare: a defined spelling, or a magnitude word and one."""
    return split_magnitude(spelling)[1] in _spelling_set()


def _format_powers(powers: dict[str, Any]) -> str:
    """``{"kilogram": 1, "meter": -3}`` -> ``kilogram/meter**3`` (pint's own formatter cannot
    format Fraction exponents on every Python version)."""
    def term(name: str, power: Any) -> str:
        power = abs(Fraction(power))
        return name if power == 1 else f"{name}**{power}"

    numerator = "*".join(term(n, p) for n, p in sorted(powers.items()) if p > 0)
    denominator = "*".join(term(n, p) for n, p in sorted(powers.items()) if p < 0)
    if not denominator:
        return numerator
    return f"{numerator or '1'}/{denominator}"


def derive_table() -> dict[str, tuple[str, Fraction, str]]:
    """From pint: spelling -> (dimension, exact factor to base unit, base unit)."""
    units = registry()
    table: dict[str, tuple[str, Fraction, str]] = {}
    for spelling in grammar_spellings():
        parsed = units.parse_units(spelling)
        base = units.Quantity(Fraction(1), parsed).to_base_units()
        dimension = _format_powers(dict(parsed.dimensionality.items())) or "dimensionless"
        table[spelling] = (dimension, Fraction(base.magnitude), _format_powers(dict(base.units._units.items())) or "1")
    return table


def unit_table_artefact() -> Artefact:
    """The unit table as a build artefact, keyed by the unit definitions and the spellings the
    grammar accepts (the two things it is derived from)."""
    key = digest("units", str(_TABLE_FORMAT), grammar_path("units.txt").read_bytes(), "|".join(grammar_spellings()))
    return Artefact("units.artefact", key, _table_bytes)


def _table_bytes() -> bytes:
    table = derive_table()
    return json.dumps({k: [d, str(f), b] for k, (d, f, b) in table.items()}, ensure_ascii=False,
                      sort_keys=True).encode("utf-8")


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, Fraction, str]]:
    raw = json.loads(load_artefact(unit_table_artefact()))
    return {k: (d, Fraction(f), b) for k, (d, f, b) in raw.items()}


@functools.lru_cache(maxsize=1024)  # a pack writes few spellings; each is read for every rule that uses it
def _entry(spelling: str) -> tuple[str, Fraction, str]:
    magnitude, unit = split_magnitude(spelling)
    try:
        dimension, factor, base = _table()[unit]
    except KeyError:
        raise KeyError(f"unknown unit spelling {spelling!r}") from None
    return dimension, factor * magnitude, base


def dimension(spelling: str) -> str:
    """A readable name for the unit's physical dimension, e.g. ``[currency]``."""
    return _entry(spelling)[0]


# Words of an indicator name that make it a change (a rate that may exceed 100 % or be negative,
# or a difference of levels) rather than a level: a share of a whole, an amount.
_CHANGE_WORDS = ("增长", "增速", "增幅", "下降", "降低", "提高", "提升", "变化", "变动")
# Pure counts: whole numbers of things, persons or places, never negative.
_COUNT_DIMENSIONS = frozenset({"[count]", "[person]", "[rank]"})
# Dimensions of magnitudes that are never negative: amounts of matter, space, energy, time, things
# and people, and index points (AQI, 质量指数, 竞争力指数: levels on a scale that starts at 0).
# A unit whose numerator is made of these only (a concentration 微克/立方米, an intensity
# 吨标准煤/万元 or 立方米/万元, 件/万人) measures something never negative whatever it is divided by.
# Money is not among them: an amount of money may be a balance (利润, 差额) and be negative; nor
# are a score (分, which may be net of deductions), a sound level (分贝, a logarithm) or anything
# else without a unit saying so.
_NONNEGATIVE_DIMENSIONS = _COUNT_DIMENSIONS | frozenset({
    "[length]", "[mass]", "[coal_equivalent]", "[power]", "[electric_energy]", "[time]", "[duration]",
    "[working_time]", "[index]"})


@attrs.frozen
class ValueKind:
    """What an indicator's values can be: at least 0, at most ``highest`` (100 % or 1000 ‰ for a
    share; None: unbounded), and whole numbers of the base unit when ``whole`` (a count).
    ``unit`` is the indicator's, for messages."""

    unit: str
    highest: float | None = None
    whole: bool = False

    @property
    def share(self) -> bool:
        return self.highest is not None


def _numerator_dimensions(spelling: str) -> list[str]:
    """``[mass]/[length]**3`` -> ``["[mass]"]``; ``1/[person]`` -> ``[]``."""
    numerator = dimension(spelling).split("/", 1)[0]
    return [term.split("**", 1)[0] for term in numerator.split("*") if term.startswith("[")]


@functools.lru_cache(maxsize=4096)
def value_kind(name: str, unit: str | None) -> ValueKind | None:
    """What an indicator's values can be (see :class:`ValueKind`): a share for % or ‰, a whole
    count for a count, persons or a rank, a value at least 0 for a unit whose numerator is a
    magnitude never negative (``_NONNEGATIVE_DIMENSIONS``); None otherwise. A share or an amount
    whose name says it is a change (``下降``, ``增长`` …) may be negative: None. A count is a count
    whatever its name (扶持提升绩效的重点企业 counts enterprises)."""
    if unit is None or unit not in ("%", "‰") and not known(unit):
        return None
    if unit not in ("%", "‰") and dimension(unit) in _COUNT_DIMENSIONS:
        return ValueKind(unit, whole=True)
    if any(word in name for word in _CHANGE_WORDS):
        return None
    if unit in ("%", "‰"):
        return ValueKind(unit, 100.0 if unit == "%" else 1000.0)
    numerator = _numerator_dimensions(unit)
    if numerator and all(d in _NONNEGATIVE_DIMENSIONS for d in numerator):
        return ValueKind(unit)
    return None


#: Percentage points: the difference of two percentages (``提高5个百分点``), which the unit table
#: reads as % so that a change in points converts; a level is never written in them.
POINT_SPELLINGS = ("百分点", "个百分点")


def compatible(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    return dimension(a) == dimension(b)


def factor(from_unit: str, to_unit: str) -> Fraction:
    """Exact factor that turns a value in ``from_unit`` into ``to_unit`` (units must be compatible)."""
    if from_unit == to_unit:
        return Fraction(1)
    if not compatible(from_unit, to_unit):
        raise ValueError(f"{from_unit} and {to_unit} are not compatible")
    return _entry(from_unit)[1] / _entry(to_unit)[1]


def base_unit(spelling: str) -> str:
    """The base unit of ``spelling`` as pint names it, e.g. ``yuan``, ``kilogram/meter**3``."""
    return _entry(spelling)[2]


def to_base(spelling: str) -> Fraction:
    """Exact factor from ``spelling`` to its base unit."""
    return _entry(spelling)[1]
