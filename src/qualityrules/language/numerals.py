"""Chinese numerals as plans print them, formal and colloquial.

Formal: ``十五`` 15, ``三千五百`` 3500, ``一亿两千万`` 120000000, ``十万零五`` 100005, ``百`` 100.
Colloquial: a last digit right after a unit counts in the next lower unit — ``一百二`` 120,
``三千五`` 3500, ``两万五`` 25000, ``一亿五`` 150000000 (after ``零`` it counts as itself:
``一百零二`` 102). Digits alone are read digit by digit (``二〇一五`` 2015), except two side by side,
which plans use for a range (``三五家`` is "three to five"). Anything else — ``五万三万``, ``万万``,
``百千``, ``二三十`` — is malformed and raises :class:`ValueError` saying why.

cn2an (PyPI) was considered: it reads ``三五`` as 35 and rejects ``百`` alone, both common in
plans, and costs a quarter of a second to import; the test suite checks this reader against it
on formal numerals instead (``tests/test_numerals.py``).
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["chinese_numeral", "chinese_decimal", "PER_PART_UNITS"]

#: 百分之九十五 is 95 %, 千分之五 5 ‰ (the grammar's PER_PART).
PER_PART_UNITS = {"百分之": "%", "千分之": "‰"}

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_LARGE_UNITS = (("亿", 10**8), ("万", 10**4))


def chinese_numeral(text: str) -> int:
    """The value of a Chinese numeral; :class:`ValueError` for a malformed one."""
    if not text:
        raise ValueError("no numeral")
    unknown = [ch for ch in text if ch not in _DIGITS and ch not in _SMALL_UNITS and ch not in dict(_LARGE_UNITS)]
    if unknown:
        raise ValueError(f"'{unknown[0]}' is not a numeral character")
    if all(ch in _DIGITS for ch in text):
        if len(text) == 2:
            raise ValueError("two digits side by side mean a range; write e.g. 3-5")
        return int("".join(str(_DIGITS[ch]) for ch in text))
    return _grouped(text, 0)


def _grouped(text: str, level: int) -> int:
    """A numeral below the large unit ``_LARGE_UNITS[level - 1]`` (any size at level 0)."""
    for index in range(level, len(_LARGE_UNITS)):
        unit, size = _LARGE_UNITS[index]
        if unit not in text:
            continue
        at = text.index(unit)
        head, tail = text[:at], text[at + 1:]
        if unit in tail:
            raise ValueError(f"'{unit}' appears twice")
        # 亿 may follow a number of 万 (一万亿); 万 may only follow a number below 万.
        multiplier = 1 if head == "" else _grouped(head, index + 1) if index + 1 < len(_LARGE_UNITS) else _section(head)
        if multiplier == 0:
            raise ValueError(f"nothing counted before '{unit}'")
        return multiplier * size + _remainder(tail, size, index + 1)
    return _section(text)


def _remainder(tail: str, size: int, level: int) -> int:
    """What follows a large unit: nothing, ``零…``, a colloquial last digit (两万五), or a
    number below the unit."""
    if tail == "":
        return 0
    if tail[0] in "零〇":
        rest = tail.lstrip("零〇")
        if rest == "":
            raise ValueError("a numeral cannot end with 零")
        value = _grouped(rest, level)
        if value * 10 >= size:
            raise ValueError(f"'{tail}' is too large to follow 零")
        return value
    if len(tail) == 1 and tail in _DIGITS:
        return _DIGITS[tail] * size // 10
    value = _grouped(tail, level)
    if value >= size:
        raise ValueError(f"'{tail}' is too large for its place")
    return value


def _section(text: str) -> int:
    """A numeral below 10000: digits with 千, 百, 十 in decreasing order, 零 for skipped places."""
    total = 0
    digit: int | None = None
    last_unit = 10**4
    after_zero = False
    for ch in text:
        if ch in _DIGITS:
            value = _DIGITS[ch]
            if value == 0:
                if digit is not None:
                    raise ValueError("零 right after a digit")
                after_zero = True
                continue
            if digit is not None:
                raise ValueError("two digits in a row")
            digit = value
        else:
            unit = _SMALL_UNITS[ch]
            if unit >= last_unit:
                raise ValueError(f"'{ch}' out of order")
            if digit is None and (total or after_zero):
                raise ValueError(f"no digit before '{ch}'")
            total += (1 if digit is None else digit) * unit
            digit, last_unit, after_zero = None, unit, False
    if digit is not None:
        # 一百二 = 120: a last digit right after a unit counts in the next lower unit.
        total += digit if after_zero or last_unit == 10**4 or last_unit == 10 else digit * last_unit // 10
    return total


def chinese_decimal(text: str) -> Decimal:
    """A Chinese numeral with decimals, as the grammar's CN_NUMBER takes it: ``八十五点五`` is
    85.5 (the digits after 点 read one by one); :class:`ValueError` for a malformed one."""
    whole, point, decimals = text.partition("点")
    value = Decimal(chinese_numeral(whole))
    if not point:
        return value
    if not decimals or any(ch not in _DIGITS for ch in decimals):
        raise ValueError("only digits follow 点")
    return value + Decimal("0." + "".join(str(_DIGITS[ch]) for ch in decimals))
