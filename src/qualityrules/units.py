"""Units: the spellings of the language, loaded into an empty pint registry with exact
(``Fraction``) magnitudes from ``grammar/units.txt``. pint is imported on first use only."""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import Any

from .resources import grammar_path


@functools.lru_cache(maxsize=1)
def registry() -> Any:
    """The pint registry holding exactly the language's units (built once, in milliseconds)."""
    import pint

    units = pint.UnitRegistry(None, non_int_type=Fraction, autoconvert_offset_to_baseunit=False)
    units.load_definitions(str(grammar_path("units.txt")))
    return units


@functools.lru_cache(maxsize=1)
def grammar_spellings() -> tuple[str, ...]:
    """The unit spellings the grammar's UNIT terminal accepts, longest first."""
    grammar = grammar_path("qr.lark").read_text(encoding="utf-8")
    match = re.search(r"^UNIT: /(.*)/$", grammar, flags=re.MULTILINE)
    if match is None:  # pragma: no cover - guarded by tests on the shipped grammar
        raise RuntimeError("grammar has no UNIT terminal")
    return tuple(spelling.replace("\\/", "/") for spelling in match.group(1).split("|"))


def defined_spellings() -> tuple[str, ...]:
    """Every alias that ``units.txt`` defines (Chinese spellings, %, ‰)."""
    spellings: list[str] = []
    for line in grammar_path("units.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            spellings.extend(part.strip() for part in line.split("=")[2:])
    return tuple(spellings)


@functools.lru_cache(maxsize=None)
def _parsed(spelling: str) -> Any:
    return registry().parse_units(spelling)


@functools.lru_cache(maxsize=None)
def dimension(spelling: str) -> str:
    """A readable name for the unit's physical dimension, e.g. ``[currency]``."""
    return _format_powers(dict(_parsed(spelling).dimensionality.items())) or "dimensionless"


def compatible(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    return dimension(a) == dimension(b)


@functools.lru_cache(maxsize=None)
def factor(from_unit: str, to_unit: str) -> Fraction:
    """Exact factor that turns a value in ``from_unit`` into ``to_unit`` (units must be compatible)."""
    if from_unit == to_unit:
        return Fraction(1)
    units = registry()
    magnitude = units.Quantity(Fraction(1), _parsed(from_unit)).to(_parsed(to_unit)).magnitude
    return Fraction(magnitude)


@functools.lru_cache(maxsize=None)
def base_unit(spelling: str) -> str:
    """The base (SI-like) unit of ``spelling`` as pint writes it, e.g. ``yuan``, ``kilogram / meter ** 3``."""
    units = registry()
    base = units.Quantity(Fraction(1), _parsed(spelling)).to_base_units()
    return _format_powers(dict(base.units._units.items())) or "1"


@functools.lru_cache(maxsize=None)
def to_base(spelling: str) -> Fraction:
    """Exact factor from ``spelling`` to its base unit."""
    units = registry()
    return Fraction(units.Quantity(Fraction(1), _parsed(spelling)).to_base_units().magnitude)


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
