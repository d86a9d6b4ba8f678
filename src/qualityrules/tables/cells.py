"""The text of a cell, read the same way in indicator tables and raw records.

A cell is a number as statistical bulletins print it: ``95``, ``95.5%``, ``1,234.5``, ``3万``,
``1.75万亿元``, ``5千万`` (5×10⁷), censored (``<3``, ``≥95``, ``98以上``, ``超过98``), or "no data" (``—``, ``NA``,
``暂无``). Footnote markers after a value (``94¹``, ``94①``, ``94*``, ``94a)``) are recognised
*before* NFKC, which would turn ``¹`` and ``①`` into a digit: the value reads 94 and the marker is
reported as a warning, never merged into ``941``.

Every number is kept as the exact decimal written (:class:`fractions.Fraction`); the float stored
is its correctly rounded value. Numbers outside the float range (``1e999``, a 400-digit integer)
are errors, and exponent-length input (``1e1000000000``) is rejected from its length, never
expanded. :func:`parse_column` parses a whole column: each distinct text once, plain decimals in
one vectorised cast.
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import did_you_mean
from ..i18n import Text, tr
from ..language import model as m
from ..language import units
from ..language.text import FOOTNOTE_MARKS, lone_surrogate, normalize, surrogate_message
from .decimals import exact_text, terminates, value_of

__all__ = [
    "Cell", "CellError", "MISSING_CELLS", "TOTAL_ROWS", "is_total", "MAGNITUDES", "parse_cell", "parse_unit",
    "parse_year", "ParsedColumn", "parse_column", "is_missing", "column_magnitude", "FLOAT_MAX_DIGITS", "Refusal",
    "NoCharacter",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Array = npt.NDArray[Any]

#: Cells that mean "no value" in statistical tables (compared after NFKC, case-folded).
MISSING_CELLS = frozenset({"", "-", "--", "—", "——", "–", "―", "na", "n/a", "nan", "null", "none", "…",
                           "……", "...", "..", "/", "x", "×", "无", "暂无", "缺失", "不详", "#n/a"})

#: Region cells that mark a totals row of a statistical table, not a region (compared after
#: normalisation, case-folded, white space removed: ``合　计`` and ``合計`` are ``合计``). Only a cell
#: that is exactly such a word: ``合计村`` is a region's name.
TOTAL_ROWS = frozenset({"合计", "总计", "小计", "共计", "总合计", "全市合计", "全省合计", "全区合计", "全县合计",
                        "全国合计", "全市总计", "全省总计", "全区总计", "全县总计", "全国总计", "total", "subtotal",
                        "grandtotal"})


def is_total(text: str) -> bool:
    """Whether a region cell marks a totals row (:data:`TOTAL_ROWS`). Every such word ends in 计
    or 'total', whatever its script, width or case: a cell ending otherwise (nearly every region's
    name) is not normalised again."""
    last = text.rstrip()[-1:]
    return last != "" and last in "计計lLｌＬ" and "".join(normalize(text).split()).lower() in TOTAL_ROWS


#: Magnitude words and their factors, longest first; ``5万`` is 50,000 of the column's unit,
#: unless the unit itself starts with a magnitude word (see :func:`column_magnitude`). The
#: language's words (:data:`units.MAGNITUDES`), and 十, 百 or 千 before 万 or 亿 as cells print
#: them (``5千万`` = 5×10⁷, ``1.2百亿``; a rule reads ``5千万元`` as 5 千 万元, the same amount).
MAGNITUDES: dict[str, int] = dict(sorted(
    {**{word: int(factor) for word, factor in units.MAGNITUDES.items()},
     **{small + large: factor * int(units.MAGNITUDES[large])
        for small, factor in (("十", 10), ("百", 100), ("千", 1000)) for large in ("万", "亿")}}.items(),
    key=lambda item: -len(item[0])))

#: Significant digits a float holds for every decimal: a decimal with at most this many
#: significant digits is recovered exactly from its float (``repr``).
FLOAT_MAX_DIGITS = 15

_MAX_DIGITS = 400            # digits in one number: beyond that it cannot be a statistic
_MAX_EXPONENT_DIGITS = 6     # exponent digits: 1e1000000000 is out of range from its length alone

# Footnote markers written after a value, before NFKC: superscript digits, circled or
# parenthesised numbers, */†/‡/§/#/※, a letter or number in brackets (a) (1) [1] a).
_MARKS = FOOTNOTE_MARKS
_MARK_DIGIT = re.compile(f"[{_MARKS}]")   # NFKC makes these digits: never read as part of a number
_DIGIT_MARKS = r"[\u00b9\u00b2\u00b3\u2070-\u207e]+|[\u2460-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]+"
_FOOTNOTE = re.compile(
    rf"\s*(?:{_DIGIT_MARKS}|[*†‡§#※]+|[(（][A-Za-z0-9]{{1,2}}[)）]|\[[A-Za-z0-9]{{1,2}}\]|［[A-Za-z0-9]{{1,2}}］"
    r"|[A-Za-z]\))$")
# After a name, only the marks no name holds: a name may end in a bracketed letter or digit
# (某区(2)), a station's in # (1#)
_NAME_FOOTNOTE = re.compile(rf"\s*(?:{_DIGIT_MARKS}|[*†‡§※]+)$")
_NUMBER = re.compile(r"[+-]?(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?)([0-9]+))?")
_THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
_SPLIT_DIGITS = re.compile(r"[0-9]\s+[0-9.]")


class CellError(ValueError):
    """A cell that is not a value; the message says why."""

    def __init__(self, message: Text) -> None:
        super().__init__(message)
        self.message = message


@attrs.frozen
class Cell:
    """One value: the interval ``lo..hi`` (equal for an exact value; ``-inf``/``inf`` on the open
    side of a censored one), whether each end is excluded, the unit written in the cell, ``given``
    — the value as written when it is not the shortest decimal of its float (more than 15
    significant digits), else None — and the magnitude word's factor (``3万``: 10000, already in
    ``lo``/``hi``). ``footnote``: a marker written after the value and not read."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    unit: str | None = None
    given: Fraction | None = None
    magnitude: int = 1
    footnote: str | None = attrs.field(default=None, eq=False)

    @property
    def exact(self) -> bool:
        return self.lo == self.hi and not (self.lo_open or self.hi_open)

    @property
    def censored(self) -> bool:
        return not self.exact

    def __str__(self) -> str:
        if self.given is not None:
            return exact_text(self.given)
        if self.exact:
            return _number(self.lo)
        if math.isinf(self.lo):
            return ("<" if self.hi_open else "≤") + _number(self.hi)
        if math.isinf(self.hi):
            return (">" if self.lo_open else "≥") + _number(self.lo)
        return f"{_number(self.lo)}..{_number(self.hi)}"


def _number(x: float) -> str:
    return f"{x:.15g}"


def is_missing(value: Any) -> bool:
    """None, NaN, pandas' NA/NaT: no value. A signalling ``Decimal('sNaN')`` is not missing: it
    is refused where it is (QR206)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, Decimal):
        return value.is_qnan()
    return type(value).__name__ in ("NAType", "NaTType")


@functools.lru_cache(maxsize=1)
def _words() -> tuple[tuple[tuple[str, m.Comparator], ...], tuple[tuple[str, m.Comparator], ...]]:
    """Comparator words a bulletin may print around a number, longest first (the language's own
    statutory table: 以上/以下/不低于 include the number, 超过/低于/不足 exclude it)."""
    from ..language.parse import COMPARATOR_WORDS, SUFFIX_WORDS, SYMBOLS

    prefixes = {w: op for w, op in COMPARATOR_WORDS.items() if op is not None}
    prefixes.update(SYMBOLS)
    return (tuple(sorted(prefixes.items(), key=lambda kv: -len(kv[0]))),
            tuple(sorted(SUFFIX_WORDS.items(), key=lambda kv: -len(kv[0]))))


@functools.lru_cache(maxsize=1)
def _unit_spellings() -> tuple[str, ...]:
    return tuple(sorted(set(units.grammar_spellings()), key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def _unit_set() -> frozenset[str]:
    return frozenset(_unit_spellings())


def _fold(text: str) -> str:
    """NFKC + simplified script, thousands separators and white space removed; digits split by
    white space (``1 234``) are an error rather than silently joined."""
    # (the minus sign U+2212 of typeset tables, which NFKC keeps, is a minus)
    folded = normalize(text).replace("\u2212", "-") if not text.isascii() else text.strip()
    folded = _THOUSANDS.sub("", folded)
    if _SPLIT_DIGITS.search(folded):
        raise CellError(tr("'{text}' is not one number (digits separated by a space)", text=text.strip()))
    return "".join(folded.split())


def parse_unit(text: str) -> str | None:
    """A unit spelling as the language writes it (``%``, ``万元``, ``吨标准煤/万元``, or a magnitude
    word and one: ``百万元``, ``千万元``), or None for an empty cell. Raises :class:`CellError` for
    an unknown spelling."""
    refused = _refusal_of_text(text)
    if refused is not None:
        raise CellError(refused)
    folded = "".join(normalize(text).split())
    if folded.lower() in MISSING_CELLS:
        return None
    if folded in _unit_set() or units.known(folded):
        return folded
    hint = did_you_mean(folded, _unit_spellings())
    raise CellError(tr("unknown unit '{unit}'; {hint}", unit=text.strip(), hint=hint) if hint
                    else tr("unknown unit '{unit}'", unit=text.strip()))


def column_magnitude(unit: str | None) -> tuple[int, str] | None:
    """``(10000, "元")`` for ``万元``: a unit that is a magnitude word times another unit. A cell
    ``5万`` in a ``万元`` column is 5 万元 (the magnitude word meets the column's own), ``3亿`` is
    30000 万元."""
    if unit is None:
        return None
    for word, factor in MAGNITUDES.items():
        if unit.startswith(word) and unit[len(word):] in _unit_set():
            rest = unit[len(word):]
            if units.compatible(rest, unit) and units.factor(unit, rest) == factor:
                return factor, rest
    return None


def _exact_number(match: re.Match[str], text: str) -> Fraction:
    """The exact value of a matched decimal, bounded before it is computed: more than
    ``_MAX_DIGITS`` digits or an exponent beyond the float range is an error, never expanded."""
    whole, fraction, bare, sign, exponent = match.groups()
    digits = (whole or "") + (fraction or bare or "")
    significant = digits.lstrip("0")
    if len(digits) > _MAX_DIGITS:
        raise CellError(tr("'{text}' has {count} digits: not a number a float can hold", text=text.strip(),
                           count=len(digits)))
    power = 0
    if exponent is not None:
        if len(exponent.lstrip("0")) > _MAX_EXPONENT_DIGITS:
            raise CellError(_beyond_range(text.strip()))
        power = int(exponent) * (-1 if sign == "-" else 1)
    if significant:
        # decimal exponent of the leading digit: the number is about 10^magnitude
        magnitude = len(whole.lstrip("0")) - 1 if whole and whole.lstrip("0") else \
            -(len(digits) - len(significant) - len(whole or "")) - 1
        if magnitude + power > 308:
            raise CellError(_beyond_range(text.strip()))
        if magnitude + power < -340:
            raise CellError(_too_small(text.strip()))
    return Fraction(match.group())


@functools.lru_cache(maxsize=65536)
def parse_cell(text: str) -> Cell | None:
    """Parse a cell as printed: ``95``, ``95.0%``, ``1,234``, ``3万``, ``<3``, ``≥95``, ``95以上``,
    ``不足3``, ``0.47吨标准煤/万元``, ``94¹`` (a footnote marker, kept in ``footnote``); ``None``
    for an empty or "no data" cell (``-``, ``—``, ``NA``). Raises :class:`CellError` when the text
    is not a value."""
    raw = text.strip()
    if raw.lower() in MISSING_CELLS or normalize(raw).lower() in MISSING_CELLS:
        return None
    marker = _FOOTNOTE.search(raw)
    if marker is not None and marker.start() > 0:
        try:
            found = _parse_value(raw[:marker.start()], text)
        except CellError:
            found = None
        if found is not None:
            return attrs.evolve(found, footnote=marker.group().strip())
    return _parse_value(raw, text)


def name_footnote(name: str) -> tuple[str, str] | None:
    """A name cell (a region) that ends in a footnote marker no name holds (``深圳市*``, ``龙岗区①``,
    ``福田区¹``): the name without it and the marker; None when it has none, or is nothing else."""
    marker = _NAME_FOOTNOTE.search(name)
    if marker is None or not name[:marker.start()].strip():
        return None
    return name[:marker.start()].rstrip(), marker.group().strip()


def _parse_value(body: str, text: str) -> Cell:
    if _MARK_DIGIT.search(body):
        raise CellError(tr("'{text}' is not a number (a superscript or circled digit is a footnote mark, not a "
                           "digit)", text=text.strip()))
    s = _fold(body)
    prefixes, suffixes = _words()
    op: m.Comparator | None = None
    found = next((pair for pair in prefixes if s.startswith(pair[0])), None)
    if found is not None:
        prefix, op = found
        s = s[len(prefix):]
    number = _NUMBER.match(s)
    if number is None:
        raise CellError(tr("'{text}' is not a number", text=text.strip()))
    value = _exact_number(number, text)
    rest = s[number.end():]
    suffix_op: m.Comparator | None = None
    for word, suffix in suffixes:
        if rest.endswith(word):
            suffix_op = suffix
            rest = rest[: -len(word)]
            break
    unit: str | None = None
    magnitude = 1
    if rest:
        if rest in _unit_set():
            unit = rest
        else:
            word = next((w for w in MAGNITUDES if rest.startswith(w)), "")
            tail = rest[len(word):]
            if not word or not (tail == "" or tail in _unit_set()):
                looks_like_unit = not (rest[0].isdigit() or rest[0] in ",.")
                raise CellError(tr("'{text}' is not a number with a unit (unknown unit '{unit}')", text=text.strip(),
                                   unit=rest) if looks_like_unit else tr("'{text}' is not a number", text=text.strip()))
            magnitude = MAGNITUDES[word]
            value *= magnitude
            unit = tail or None
    if op is not None and suffix_op is not None and op is not suffix_op:
        if op.direction != suffix_op.direction or op.direction == 0:
            raise CellError(tr("'{text}': the words before and after the number disagree", text=text.strip()))
    op = suffix_op or op
    x = float(value)
    if math.isinf(x):
        raise CellError(_beyond_range(text.strip()))
    given = None if _round_trips(value, x) else value
    if op is None or op is m.Comparator.EQ:
        return Cell(x, x, unit=unit, given=given, magnitude=magnitude)
    if op is m.Comparator.NE:
        raise CellError(tr("'{text}' does not state a value", text=text.strip()))
    if given is not None and Fraction(x) != value:
        # A censored bound with more digits than a float holds: widen it to the next float
        # outward (closed), so the interval still holds every value the cell allows.
        if op.direction > 0:
            return Cell(x if Fraction(x) < value else math.nextafter(x, -math.inf), math.inf, unit=unit,
                        magnitude=magnitude)
        return Cell(-math.inf, x if Fraction(x) > value else math.nextafter(x, math.inf), unit=unit,
                    magnitude=magnitude)
    if op.direction > 0:
        return Cell(x, math.inf, lo_open=not op.inclusive, unit=unit, magnitude=magnitude)
    return Cell(-math.inf, x, hi_open=not op.inclusive, unit=unit, magnitude=magnitude)


# ------------------------------------------------------------------------------------------
# Years


# ``2015.0`` as text too: pandas writes a year column holding an empty cell as floats
_YEAR = re.compile(r"^(\d{4})(?:\.0+|年度?)?$")


def parse_year(value: Any) -> int | None:
    """A year from a cell: 2015, 2015.0, ``"2015"``, ``"2015.0"``, ``"2015年"``, ``"2015年度"``, a
    date; None if not one."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    if isinstance(value, (int, np.integer)):
        return int(value) if 1000 <= value <= 9999 else None
    if isinstance(value, (float, np.floating)):
        return int(value) if float(value).is_integer() and 1000 <= value <= 9999 else None
    if hasattr(value, "year") and isinstance(value.year, int):  # date / datetime cells
        return int(value.year)
    match = _YEAR.match(normalize(str(value)))
    return int(match.group(1)) if match else None


# ------------------------------------------------------------------------------------------
# Columns


class Refusal(Text):
    """Why a cell is not a value (a message), reported as ``code``: QR206 unless a subclass says."""

    code = "QR206"

    @classmethod
    def of(cls, message: Text) -> Refusal:
        return cls(message.template, **message.args)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self).of, (Text(self.template, **self.args),))


class NoCharacter(Refusal):
    """A cell holding a lone surrogate: no character, text decoded with the wrong encoding."""

    code = "QR244"


def _refusal_of_text(text: str) -> Refusal | None:
    index = lone_surrogate(text)
    return None if index is None else NoCharacter.of(surrogate_message(text, index))


@attrs.define
class ParsedColumn:
    """A column's cells: ``lo``/``hi`` floats (NaN = no value; ``hi is lo`` when nothing is
    censored, and then the open flags are None), the unit written in each cell (None when none
    is), each cell's magnitude word factor (None when none has one), exact decimals of cells
    whose float is not their exact value (row -> Fraction), footnote markers (row -> marker) and
    errors (row -> message, at most ``limit``; a :class:`Refusal` carries its code)."""

    lo: FloatArray
    hi: FloatArray
    lo_open: BoolArray | None = None
    hi_open: BoolArray | None = None
    units: Array | None = None
    magnitudes: npt.NDArray[np.int64] | None = None
    exact: dict[int, Fraction] = attrs.field(factory=dict)
    footnotes: dict[int, str] = attrs.field(factory=dict)
    errors: dict[int, Text] = attrs.field(factory=dict)
    floats: bool = False        # numbers given as floats, taken as they are (±inf not looked for)

    @property
    def censored(self) -> bool:
        return self.lo_open is not None


# A plain decimal: pyarrow's cast (fast_float) rounds it exactly as Fraction -> float does.
_PLAIN = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$"
_TINY = 2.2250738585072014e-308


def parse_column(values: Any, limit: int = 20, *, exact: bool = True) -> ParsedColumn:
    """Parse a column of cells (a numpy array of any dtype, a list, or a pyarrow array).

    Numbers stay as they are (NaN is no value; ±inf is an error; integers beyond 2**53 keep their
    exact value); text is read as :func:`parse_cell` reads it: plain decimals in one vectorised
    cast, every other distinct text once. ``exact``: find the cells whose float is not their
    decimal (more than 15 significant digits) and keep their exact value."""
    import pyarrow as pa

    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return _numeric_column(values, limit)
    if isinstance(values, np.ndarray) and values.dtype.kind == "b":
        nan = np.full(len(values), np.nan)
        parsed = ParsedColumn(nan, nan)
        for row in range(min(len(values), limit)):
            parsed.errors[row] = _not_a_value(values[row])
        return parsed
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        chunk = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if pa.types.is_floating(chunk.type) or pa.types.is_integer(chunk.type) or pa.types.is_decimal(chunk.type):
            return _arrow_numbers(chunk, limit)
    if _is_temporal(values):
        values = dates_as_text(values)
    arrow = _as_arrow_text(values)
    if arrow is not None:
        return _text_column(arrow, limit, exact)
    return _object_column(np.asarray(values, dtype=object), limit)


def _is_temporal(values: Any) -> bool:
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "Mm"
    import pyarrow as pa

    return isinstance(values, (pa.Array, pa.ChunkedArray)) and pa.types.is_temporal(values.type)


def dates_as_text(values: Any) -> Array:
    """A column of dates, times or durations (numpy or Arrow) as their text, missing as None: no
    value, and never the bare integers numpy and Arrow give for a year beyond Python's 9999."""
    if not isinstance(values, np.ndarray):
        values = values.to_numpy(zero_copy_only=False)
    if values.dtype.kind not in "Mm":       # Arrow times of day: Python objects already
        return np.asarray(values, dtype=object)
    text: Array = values.astype(str).astype(object)
    text[np.isnat(values)] = None
    return text


def _arrow_numbers(chunk: Any, limit: int) -> ParsedColumn:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_decimal(chunk.type):
        return _object_column(np.asarray(chunk.to_pylist(), dtype=object), limit)
    if pa.types.is_integer(chunk.type) and not chunk.null_count:
        return _numeric_column(chunk.to_numpy(zero_copy_only=False), limit)
    if pa.types.is_integer(chunk.type):
        parsed = _numeric_column(pc.fill_null(chunk, 0).to_numpy(zero_copy_only=False), limit)
        missing = chunk.is_null().to_numpy(zero_copy_only=False)
        lo = parsed.lo.copy()
        lo[missing] = np.nan
        parsed.lo = parsed.hi = lo
        return parsed
    floats = chunk.cast(pa.float64())
    numbers = floats.to_numpy(zero_copy_only=False) if not floats.null_count else \
        pc.fill_null(floats, np.nan).to_numpy(zero_copy_only=False)
    return _numeric_column(numbers, limit)


def _numeric_column(values: Array, limit: int) -> ParsedColumn:
    if values.dtype.kind == "f":
        # Floats are taken as they are (not read again: this is the fast path). ±inf is left in
        # place: the engine reads any non-finite value as unknown, and Observations.warnings
        # names such cells. A narrower float counts at its own shortest decimal (float32 0.1 is
        # 0.1, not 0.100000001…).
        lo: FloatArray = values if values.dtype == np.float64 else values.astype(str).astype(np.float64)
        return ParsedColumn(lo, lo, floats=True)
    lo = values.astype(np.float64)
    parsed = ParsedColumn(lo, lo)
    if len(values) and values.dtype.itemsize >= 8:
        big = np.flatnonzero(np.abs(lo) > 2.0 ** 53)
        for row in big.tolist():
            number = Fraction(int(values[row]))
            if Fraction(lo[row]) != number:
                parsed.exact[row] = number
    return parsed


def _as_arrow_text(values: Any) -> Any:
    """A pyarrow string array of ``values`` when they are text (or nulls); None otherwise."""
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        chunk = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.cast(chunk.type.value_type)
        if pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
            return chunk
        if pa.types.is_null(chunk.type):
            return chunk.cast(pa.string())
        return None
    try:
        if isinstance(values, np.ndarray) and values.dtype.kind == "U":
            return pa.array(values, type=pa.string())
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError, OverflowError):
        return None     # mixed objects, text that is no UTF-8 (a lone surrogate), huge integers, complex: cell by cell
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type) or pa.types.is_null(array.type)):
        return None
    if array.null_count and isinstance(values, np.ndarray) and values.dtype.kind == "O":
        # Arrow reads any Decimal NaN as null; a signalling one must be refused, not missing
        nulls = values[array.is_null().to_numpy(zero_copy_only=False)]
        if any(isinstance(v, Decimal) and v.is_snan() for v in nulls.tolist()):
            return None
    return array if not pa.types.is_null(array.type) else array.cast(pa.string())


def _text_column(array: Any, limit: int, exact: bool) -> ParsedColumn:
    """Text cells: one cast for the plain decimals, :func:`parse_cell` for each distinct other
    text (missing words, censored values, units, separators, footnotes, long decimals)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    array = pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    lo = np.full(n, np.nan)
    null = array.is_null().to_numpy(zero_copy_only=False) if array.null_count else np.zeros(n, dtype=bool)
    try:
        numbers = pc.cast(array, pa.float64())
        plain = ~null
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        matched = pc.fill_null(pc.match_substring_regex(array, _PLAIN), False)
        plain = matched.to_numpy(zero_copy_only=False)
        numbers = pc.cast(pc.if_else(matched, array, pa.scalar(None, array.type)), pa.float64())
    cast = numbers.to_numpy(zero_copy_only=False) if not numbers.null_count else \
        pc.fill_null(numbers, np.nan).to_numpy(zero_copy_only=False)
    # What the cast turns into NaN, ±inf, 0 or a subnormal, and (for exact values) decimals too
    # long for their float, is read by the full parser.
    with np.errstate(invalid="ignore"):
        odd = ~np.isfinite(cast) | (np.abs(cast) < _TINY)
    slow = (~plain | odd) & ~null
    if exact:
        long_text = pc.fill_null(pc.greater(pc.utf8_length(array), FLOAT_MAX_DIGITS), False).to_numpy(
            zero_copy_only=False)
        slow |= long_text & ~null & plain
    fast = plain & ~slow
    if fast.all():
        return ParsedColumn(cast, cast)
    lo[fast] = cast[fast]
    parsed = ParsedColumn(lo, lo)
    rows = np.flatnonzero(slow)
    if not len(rows):
        return parsed
    encoded = array.take(pa.array(rows)).dictionary_encode()
    texts = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    cells: list[Cell | Text | None] = []
    for text in texts:
        try:
            cells.append(parse_cell(text))
        except CellError as problem:
            cells.append(problem.message)
    d_lo = np.array([c.lo if isinstance(c, Cell) else np.nan for c in cells], dtype=np.float64)
    d_hi = np.array([c.hi if isinstance(c, Cell) else np.nan for c in cells], dtype=np.float64)
    lo[rows] = d_lo[codes]
    if _any_censored(d_lo, d_hi):
        hi = lo.copy()
        hi[rows] = d_hi[codes]
        lo_open = np.zeros(n, dtype=bool)
        hi_open = np.zeros(n, dtype=bool)
        lo_open[rows] = np.array([isinstance(c, Cell) and c.lo_open for c in cells], dtype=bool)[codes]
        hi_open[rows] = np.array([isinstance(c, Cell) and c.hi_open for c in cells], dtype=bool)[codes]
        parsed.hi, parsed.lo_open, parsed.hi_open = hi, lo_open, hi_open
    unit_of = [c.unit if isinstance(c, Cell) else None for c in cells]
    if any(u is not None for u in unit_of):
        parsed.units = np.full(n, None, dtype=object)
        parsed.units[rows] = np.array(unit_of, dtype=object)[codes]
    magnitude = np.array([c.magnitude if isinstance(c, Cell) else 1 for c in cells], dtype=np.int64)
    if (magnitude != 1).any():
        parsed.magnitudes = np.ones(n, dtype=np.int64)
        parsed.magnitudes[rows] = magnitude[codes]
    notable = [k for k, c in enumerate(cells) if isinstance(c, Text)
               or (isinstance(c, Cell) and (c.footnote is not None or c.given is not None))]
    if notable:
        hit = np.isin(codes, notable)
        for row, code in zip(rows[hit].tolist(), codes[hit].tolist(), strict=True):
            cell = cells[code]
            if isinstance(cell, Text):
                if len(parsed.errors) < limit:
                    parsed.errors[row] = cell
                continue
            assert cell is not None
            if cell.footnote is not None:
                parsed.footnotes[row] = cell.footnote
            if cell.given is not None:
                parsed.exact[row] = cell.given
    return parsed


def _any_censored(lo: FloatArray, hi: FloatArray) -> bool:
    """Does any cell hold an interval (a censored value has an infinite end)?"""
    return bool(np.isinf(lo).any() or np.isinf(hi).any())


def _round_trips(number: Fraction, stored: float) -> bool:
    """Does ``stored`` (the float nearest ``number``) count at ``number``
    (:func:`~.decimals.value_of`, the shortest-decimal convention)? Then no exact value is kept."""
    return terminates(number.denominator) and value_of(stored) == number


_UNHASHABLE = object()


def _object_column(values: Array, limit: int) -> ParsedColumn:
    """Mixed Python objects (numbers, text, None): each distinct value parsed once."""
    n = len(values)
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    lo_open = np.zeros(n, dtype=bool)
    hi_open = np.zeros(n, dtype=bool)
    unit_of = np.full(n, None, dtype=object)
    magnitude = np.ones(n, dtype=np.int64)
    parsed = ParsedColumn(lo, hi)
    seen: dict[Any, Cell | Text | None] = {}
    for row, value in enumerate(values.tolist()):
        key: Any = (type(value), value) if not is_missing(value) else None
        try:
            cell = seen.get(key, "") if key is not None else None
        except TypeError:      # unhashable (a list, a signalling Decimal NaN): parsed every time
            key, cell = _UNHASHABLE, ""
        if cell == "":
            cell = _object_cell(value)
            if key is not _UNHASHABLE:
                seen[key] = cell
        if cell is None:
            continue
        if isinstance(cell, str):
            assert isinstance(cell, Text)     # the message; the "" meaning "not seen yet" was replaced above
            if len(parsed.errors) < limit:
                parsed.errors[row] = cell
            continue
        lo[row], hi[row], lo_open[row], hi_open[row] = cell.lo, cell.hi, cell.lo_open, cell.hi_open
        unit_of[row] = cell.unit
        magnitude[row] = cell.magnitude
        if cell.footnote is not None:
            parsed.footnotes[row] = cell.footnote
        if cell.given is not None:
            parsed.exact[row] = cell.given
    if _any_censored(lo, hi):
        parsed.lo_open, parsed.hi_open = lo_open, hi_open
    else:
        parsed.hi = lo
    if any(u is not None for u in unit_of.tolist()):
        parsed.units = unit_of
    if (magnitude != 1).any():
        parsed.magnitudes = magnitude
    return parsed


def _object_cell(value: Any) -> Cell | Text | None:
    """A cell from one Python object, or the error message."""
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return _not_a_value(value)
    if isinstance(value, (int, np.integer)):
        try:
            x = float(value)
        except OverflowError:   # an int beyond the float range (10**400)
            x = math.inf
        if math.isinf(x):
            return _beyond_range(_shown(value))
        return Cell(x, x, given=None if _round_trips(Fraction(int(value)), x) else Fraction(int(value)))
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            return _not_finite(value)
        return Cell(float(value), float(value))
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (str, bytes)):  # Decimal, Fraction
        if isinstance(value, Decimal) and value.is_finite() and value and not -340 <= value.adjusted() <= 308:
            # judged from the exponent, never expanded (Decimal('1e1000000000') has a billion digits)
            return _beyond_range(value) if value.adjusted() > 0 else _too_small(value)
        try:
            exact = Fraction(value)
        except (ValueError, OverflowError):
            return _not_finite(value)
        try:
            x = float(exact)
        except OverflowError:
            x = math.inf
        if math.isinf(x):
            return _beyond_range(_shown(value))
        return Cell(x, x, given=None if _round_trips(exact, x) else exact)
    refused = _refusal_of_text(str(value))
    if refused is not None:
        return refused
    try:
        return parse_cell(str(value))
    except CellError as error:
        return error.message



def _not_a_value(value: Any) -> Text:
    return tr("'{value}' is not a value", value=value)


def _not_finite(value: Any) -> Text:
    return tr("'{value}' is not a finite value", value=value)


def _beyond_range(value: Any) -> Text:
    return tr("'{value}' is beyond the range of numbers (about ±1.8e308)", value=value)


def _too_small(value: Any) -> Text:
    return tr("'{value}' is too small to hold (below about 1e-308)", value=value)


def _shown(value: Any) -> str:
    """A number as a message shows it: a long one cut in the middle (never 400 digits)."""
    text = str(value)
    return text if len(text) <= 40 else tr("{start}…{end} ({count} characters)", start=text[:20], end=text[-10:],
                                          count=len(text))
