"""Values count at the decimal they were given: the shortest-decimal convention.

A float counts as the shortest decimal that round-trips to it (``repr``): ``0.1`` is 1/10, not the
binary fraction nearest to it, and ``7.1 + 4.3`` is exactly ``11.4``. A text cell keeps the digits
it was written with. (A float whose shortest decimal needs 16 or 17 digits — the result of a
computation such as ``0.1 + 0.2`` — counts at its exact binary value: :func:`value_of`; except
that one year's value one float off a short bound counts as on it: :func:`one_float_off`.) Why float comparisons are nevertheless exact on the fast path: rounding to
the nearest float is monotone, two distinct decimals of at most 15 significant digits never round
to the same float (``DBL_DIG`` = 15), so for a value ``d`` and a threshold ``t`` of at most 15
digits, ``d >= t`` exactly when ``float(d) >= float(t)`` (and ``d > t`` exactly when
``float(d) > float(t)``). Arithmetic (sums, differences, ratios, unit conversion) needs the
decimals themselves: :func:`decimal_parts` finds them vectorised, as integers ``M`` with
``d = M / 10**k``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

__all__ = ["DIGITS", "value_of", "decimal_parts", "decimal_digits", "short_decimal", "one_float_off", "not_whole",
           "any_not_whole", "scale_array", "exact_text"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DIGITS = 15                      # significant digits that always survive decimal -> float -> decimal
_LIMIT = 10.0 ** DIGITS
_MAX_SCALE = 22                  # 10**k is an exact float up to k = 22
_TWO53 = float(2 ** 53)
# _POWERS[j + 330] is float(10**j), correctly rounded (int / int is; C's pow need not be)
_POWERS = np.array([1 / 10 ** -j if j < 0 else float(10 ** j) if j <= 308 else np.inf for j in range(-330, 310)])


def terminates(denominator: int) -> bool:
    """Whether a fraction of this (reduced) denominator is a finite decimal (2**a · 5**b): what
    every float reads as (its decimal or its binary value) has such a denominator, so a value of
    any other one (a rate of 1/3) needs no comparison to know it is not its float."""
    rest = denominator >> ((denominator & -denominator).bit_length() - 1)
    while rest % 5 == 0:
        rest //= 5
    return rest == 1


def value_of(x: float) -> Fraction:
    """The exact value a float counts at: its shortest decimal when that has at most 15
    significant digits, none beyond the 22nd decimal place and magnitude below 10**15 (any value
    typed, printed or read from text with at most 15 digits; exactly the values
    :func:`decimal_parts` finds), else its exact binary value (a float from a computation such as
    ``0.1 + 0.2``). The two readings never disagree on a comparison with a bound of at most 15
    digits; they differ only in arithmetic."""
    x = float(x)
    if x == 0 or abs(x) >= _LIMIT:
        return Fraction(x)
    text = repr(x)
    sign, digits, exponent = Decimal(text).normalize().as_tuple()
    if len(digits) <= DIGITS and isinstance(exponent, int) and exponent >= -_MAX_SCALE:
        return Fraction(text)
    return Fraction(x)


def one_float_off(x: float, bound: float) -> bool:
    """Whether ``x`` is the float next to ``bound`` (a bound of at most 15 significant digits):
    such a value of one year counts as on the bound. No number written with at most 15 digits
    lies that close to another (their floats are at least four apart), so it is a computation
    that meant the bound and missed it by its last rounding (``741 * (100 / 780)`` is
    ``94.99999999999999``; ``0.1 + 0.2`` is ``0.30000000000000004``): it gets the statutory
    verdict, not the one its rounding error would give."""
    return x != bound and (x == np.nextafter(bound, np.inf) or x == np.nextafter(bound, -np.inf))


def not_whole(x: FloatArray, factor: float = 1.0) -> IntArray:
    """The flat positions (C order) of the finite values of ``x * factor`` that are not whole
    numbers; a value within 2**-40 of its size of one is whole (a unit conversion's rounding:
    3.601 千件 is 3600.9999999999995 件). ``x`` is read in blocks that fit the CPU cache, through
    scratch kept per thread (a fresh array as large as a column costs more to touch than the
    test itself): four passes over a block, none of them stopped by NaN (``fmax`` skips it); the
    rest looks only at a block holding a value that is not whole."""
    flat = x.reshape(-1)
    scaled, rest, _ = _scratch()
    found: list[IntArray] = []
    for start in range(0, len(flat), _WHOLE_BLOCK):
        part = flat[start:start + _WHOLE_BLOCK]
        n = len(part)
        if factor != 1.0:
            part = np.multiply(part, factor, out=scaled[:n])
        d = np.subtract(part, np.rint(part, out=rest[:n]), out=rest[:n])
        if not np.fmax.reduce(np.abs(d, out=d), initial=0.0) > 0:        # every value whole (or NaN, ±inf)
            continue
        with np.errstate(invalid="ignore"):
            hit = np.flatnonzero(d > np.abs(part) * 2.0**-40)                # NaN, ±inf: False
        if len(hit):
            found.append(hit + start)
    return np.concatenate(found) if found else np.empty(0, np.intp)


def any_not_whole(x: FloatArray, skip: BoolArray, factor: float = 1.0) -> bool:
    """Whether some value of ``x * factor`` (``[rows, columns]``) outside ``skip`` (its NaN or
    infinite cells, shaped as ``x``) is not exactly a whole number: the quick test, two passes a
    block; :func:`not_whole` then looks again with a conversion's rounding allowed for."""
    rows, width = x.shape
    step = max(1, _WHOLE_BLOCK // max(width, 1))
    scaled, rest, flags = _scratch()
    for start in range(0, rows, step):
        part = x[start:start + step]
        n = part.size
        if factor != 1.0:
            part = np.multiply(part, factor, out=scaled[:n].reshape(part.shape))
        hit = np.not_equal(np.rint(part, out=rest[:n].reshape(part.shape)), part, out=flags[:n].reshape(part.shape))
        if np.greater(hit, skip[start:start + step], out=hit).any():      # not whole, and not NaN or ±inf
            return True
    return False


_WHOLE_BLOCK = 1 << 15           # values tested at a time (256 KiB of scratch a buffer)
_SCRATCH = threading.local()


def _scratch() -> tuple[FloatArray, FloatArray, BoolArray]:
    """Two float buffers and one of booleans, of ``_WHOLE_BLOCK`` values each, this thread's own."""
    found: tuple[FloatArray, FloatArray, BoolArray] | None = getattr(_SCRATCH, "buffers", None)
    if found is None:
        found = _SCRATCH.buffers = (np.empty(_WHOLE_BLOCK), np.empty(_WHOLE_BLOCK), np.empty(_WHOLE_BLOCK, dtype=bool))
    return found


def short_decimal(value: Fraction) -> bool:
    """``value`` is a decimal of at most 15 significant digits (so it is the shortest decimal of
    the float nearest to it, and float comparisons against it are exact)."""
    if value == 0:
        return True
    f = float(value)
    if not np.isfinite(f) or abs(f) < 2.3e-308:      # overflow or subnormal: no guarantee
        return False
    digits = repr(f).split("e")[0].replace("-", "").replace(".", "").strip("0")
    return len(digits) <= DIGITS and Fraction(repr(f)) == value


def decimal_parts(x: FloatArray, *, minimal: bool = True) -> tuple[IntArray, IntArray, BoolArray]:
    """``(M, k, ok)``: where ``ok``, the shortest decimal of ``x`` is exactly ``M / 10**k`` with
    ``|M| < 10**15`` (or an integer below 2**53 with ``k = 0``); ``k`` is the fewest decimals
    when ``minimal``. Elsewhere (NaN, ±inf, more than 15 significant digits, |x| beyond 2**53 or
    a digit beyond the 22nd decimal place) ``ok`` is False and ``M``, ``k`` are 0.

    One test per value: with ``j = floor(log10|x|)``, a decimal of at most 15 digits has its last
    digit at or above ``10**(j-14)``, so ``M = rint(x * 10**(14-j))`` finds it (the product's
    error is below 0.2) and ``M / 10**k == x`` (a correctly rounded division of exact floats)
    confirms it; a confirmed ``M`` of at most 15 digits is *the* shortest decimal, since no other
    decimal of at most 15 digits rounds to the same float."""
    shape = np.shape(x)
    x = np.asarray(x, dtype=np.float64).ravel()
    m, k, ok = decimal_digits(x)
    whole = ~ok & (np.abs(x) < _TWO53) & (x == np.rint(x))       # integers between 1e15 and 2**53
    if whole.any():
        m[whole], k[whole], ok[whole] = x[whole], 0, True
    m[~ok] = 0
    k[~ok] = 0
    digits = m.astype(np.int64)
    k[digits == 0] = 0
    if minimal:
        _strip_zeros(digits, k)
    return digits.reshape(shape), k.reshape(shape), ok.reshape(shape)


_PIECE = 16384


def decimal_digits(x: FloatArray) -> tuple[FloatArray, IntArray, BoolArray]:
    """The fast core of :func:`decimal_parts` for a 1-d array: ``M`` (as integral floats) and
    ``k`` where ``ok``; integers from 1e15 to 2**53 are not ``ok`` here (their binary value is
    their decimal anyway), and ``M``, ``k`` are unspecified where not ``ok``."""
    m = np.empty(x.shape, dtype=np.float64)
    k = np.empty(x.shape, dtype=np.int64)
    ok = np.empty(x.shape, dtype=bool)
    for start in range(0, len(x), _PIECE):       # pieces that stay in the CPU cache
        stop = start + _PIECE
        _classify(x[start:stop], m[start:stop], k[start:stop], ok[start:stop])
    return m, k, ok


def _classify(x: FloatArray, m: FloatArray, k: IntArray, ok: BoolArray) -> None:
    """:func:`decimal_parts` on one piece, in place: ``m`` the candidate digits, ``k`` the scale."""
    with np.errstate(invalid="ignore", over="ignore"):
        a = np.abs(x)
        # floor(log2 a) from the exponent bits, then floor(log10 a) is j or j + 1
        j = (a.view(np.int64) >> 52) - 1023            # within -1023..1024: no clipping needed
        j *= 1233
        j >>= 12                                         # -309..308
        j += a >= _POWERS.take(j + 331)
        np.subtract(DIGITS - 1, j, out=k)
        np.maximum(k, 0, out=k)
        np.minimum(k, _MAX_SCALE, out=k)
        power = _POWERS.take(k + 330)
        np.multiply(x, power, out=m)
        np.rint(m, out=m)
        np.less(np.abs(m), _LIMIT, out=ok)
        np.divide(m, power, out=a)
        ok &= a == x


def _strip_zeros(m: IntArray, k: IntArray) -> None:
    """Remove trailing decimal zeros in place: ``(1697645000, 8)`` -> ``(1697645, 5)`` (at most
    15 zeros, stripped 8, 4, 2 and 1 at a time)."""
    for places in (8, 4, 2, 1):
        power = 10 ** places
        strip = (k >= places) & (m % power == 0)
        np.floor_divide(m, power, out=m, where=strip)
        np.subtract(k, places, out=k, where=strip)


def scale_array(values: FloatArray, factor: Fraction,
                exact: Mapping[int, Fraction] | None = None) -> tuple[FloatArray, dict[int, Fraction]]:
    """``values * factor`` for a 1-d array, each result the float nearest to the exact product of
    the value's decimal (its shortest decimal, or ``exact[i]`` where given) and ``factor``: a cell
    ``0.0006`` in 亿元 is exactly 6 in 万元, not ``0.0006 * 10000 = 5.999999999999999``.

    Returns the scaled values and the exact values of the cells whose exact product is not the
    shortest decimal of its float (the new ``exact`` map): none for a power-of-ten factor on
    values of at most 15 digits; every such cell for a factor like 1/15 (亩 -> 公顷)."""
    exact = dict(exact or {})
    if factor == 1:
        return values, exact
    values = np.asarray(values, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    m, k, ok = decimal_parts(values)
    for index in exact:
        ok[index] = False
    numerator, denominator = factor.numerator, factor.denominator
    power_of_ten = _power_of_ten(factor)
    with np.errstate(invalid="ignore", over="ignore"):
        if power_of_ten is not None:
            shift = power_of_ten - k               # result = M * 10**shift
            fits = ok & (np.abs(shift) <= _MAX_SCALE)
            up = fits & (shift >= 0)
            down = fits & (shift < 0)
            out[up] = m[up] * _POWERS[shift[up] + 330]
            out[down] = m[down] / _POWERS[-shift[down] + 330]
            done = up | down
        else:
            top = m.astype(np.float64) * numerator
            bottom = _POWERS[k + 330] * denominator
            done = ok & (np.abs(top) < _TWO53) & (bottom < _TWO53)
            out[done] = top[done] / bottom[done]
    missing = np.isnan(values)
    done |= missing
    new: dict[int, Fraction] = {}
    for index in np.flatnonzero(~done).tolist():       # rare: long decimals, huge or tiny values
        value = float(values[index])
        if not np.isfinite(value) and index not in exact:
            out[index] = value * float(factor)
            continue
        product = exact.get(index, value_of(value) if np.isfinite(value) else Fraction(0)) * factor
        out[index] = float(product)
        if product != value_of(out[index]):
            new[index] = product
    if power_of_ten is None:                            # a non-decimal factor: keep the exact products
        for index in np.flatnonzero(ok & done & ~missing).tolist():
            product = Fraction(int(m[index]), 10 ** int(k[index])) * factor
            if product != value_of(out[index]):
                new[index] = product
    return out, new


def _power_of_ten(factor: Fraction) -> int | None:
    """``j`` when ``factor == 10**j``, else None."""
    n, d = factor.numerator, factor.denominator
    if n == 1 and d > 0 and str(d).strip("0") == "1":
        return -(len(str(d)) - 1)
    if d == 1 and n > 0 and str(n).strip("0") == "1":
        return len(str(n)) - 1
    return None


def exact_text(value: Fraction) -> str:
    """An exact value for people: its decimal digits when it has a finite decimal expansion of
    at most 30 digits (``0.95``, ``11.4``), else ``≈0.3333333333 (1/3)``."""
    d = value.denominator
    twos = (d & -d).bit_length() - 1
    rest = d >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest == 1:
        places = max(twos, fives)
        digits = str(abs(value.numerator) * 10 ** places // d).rjust(places + 1, "0")
        if len(digits) <= 30:
            whole, fraction = digits[: len(digits) - places], digits[len(digits) - places:].rstrip("0")
            return ("-" if value < 0 else "") + whole + ("." + fraction if fraction else "")
    return f"≈{float(value):.10g} ({value})"
