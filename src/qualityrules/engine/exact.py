"""Exact re-decision: a value exactly at a threshold gets the statutory verdict whatever arithmetic
produced it.

The engine decides in float64; this module re-decides, with exact integer or rational arithmetic,
only the cells whose float decision could differ from the exact one. Every value counts at its
decimal (:mod:`qualityrules.tables.decimals`): the shortest decimal of its float, or
``Observations.exact`` where the value given is not that decimal.

* A one-year value against a bound of at most 15 significant digits needs no re-check: the float
  comparison (with ``nextafter`` for strict bounds) is then exact (see the decimals module), so
  only cells with an exact override are re-decided.
* Everything else — a relative change ``(v - b) / b * 100``, a change in points ``v - b``, a sum
  over years, a bound that is not a short decimal (a unit conversion by 1/15, a tolerance), a
  cell with an exact override — is re-decided where the float result lies within a bound on its
  rounding error of a threshold. The exact quantity is a fraction ``N / D`` of integers built from
  the decimals' digits (int64 when it provably fits, else Python integers); the threshold ``p/q``
  is compared as ``N*q`` against ``p*D``.
* Declared GB/T 8170 rounding (修约值比较法): the compared quantity is first rounded, half to
  even, to a multiple of the declared step; the integer multiple ``n`` is compared with the
  integer bounds the target allows, and ``n`` is computed exactly where the float quotient is
  close to a half.

Re-decided cells carry their exact values into the report: ``x_lo``/``x_hi`` become the floats
nearest to the exact quantities, and their margins the floats nearest to the exact margins.

What keeps the re-check cheap beside the float decisions (``benchmarks/bench_exact.py``): the
cells are screened a piece of rows at a time, in the CPU cache; the cells to re-decide are grouped
by the indicator they read and re-decided in batches (one gather per indicator for their values);
and their decimals are read at one scale wherever one fits, so that the exact quantities are int64
arithmetic on whole arrays under one bound on their size.
"""

from __future__ import annotations

import functools
import weakref
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..language.model import RoundingMethod
from ..packs.resolve import BoundRule, Interval, Measure
from ..tables.decimals import decimal_parts, one_float_off, short_decimal, value_of
from ..tables.observations import Observations
from .plan import POINT_CHANGE, RELATIVE_CHANGE, VALUE, Plan

__all__ = ["refine", "ExactCells", "AtomBounds", "atom_bounds", "near_margins"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Int8Array = npt.NDArray[np.int8]

_EPS = 2.0 ** -52
_SAFE = float(2 ** 62)


@attrs.frozen(eq=False)
class ExactCells:
    """Cells of a block decided exactly: positions and exact margins (floats nearest to the exact
    ``value - lower bound`` and ``upper bound - value``, in the rule's unit; NaN when unbounded)."""

    rows: IntArray
    columns: IntArray
    below: FloatArray
    above: FloatArray


@attrs.frozen(eq=False)
class AtomBounds:
    """Per atom of a plan: exact bounds (None when unbounded), whether float comparison against
    them is already exact for a one-year value (both are decimals of at most 15 digits), the
    GB/T 8170 rounding step in the measure's unit of a round-then-compare target (else None),
    and the factor from the measure's unit to the rule's (1 for a change)."""

    lower: tuple[Fraction | None, ...]
    upper: tuple[Fraction | None, ...]
    short: BoolArray
    step: tuple[Fraction | None, ...]
    rounded: BoolArray
    integers: tuple[IntArray, IntArray, IntArray, IntArray, BoolArray]   # p, q of lower and upper; all fit int64
    factor: tuple[Fraction, ...]
    factor_integers: tuple[IntArray, IntArray, BoolArray]                # its numerator, denominator; both fit
    plain: BoolArray      # a one-year value, short bounds, no rounding: the float decision is the exact one

    @staticmethod
    def integer_bounds(lower: tuple[Fraction | None, ...],
                       upper: tuple[Fraction | None, ...]) -> tuple[IntArray, IntArray, IntArray, IntArray, BoolArray]:
        """Numerators and denominators of the bounds per atom (0/1 where unbounded) as int64, and
        per atom whether they fit in 2**40 (so products with quantities below 2**22 fit)."""
        arrays, small = _small_integers([[0 if b is None else b.numerator for b in lower],
                                         [1 if b is None else b.denominator for b in lower],
                                         [0 if b is None else b.numerator for b in upper],
                                         [1 if b is None else b.denominator for b in upper]])
        return arrays[0], arrays[1], arrays[2], arrays[3], small


def _small_integers(parts: list[list[int]]) -> tuple[list[IntArray], BoolArray]:
    """Lists of integers per atom as int64 arrays (0 where an atom's do not all fit in 2**40),
    and per atom whether they fit."""
    small = np.array([all(abs(v) < 2 ** 40 for v in values) for values in zip(*parts, strict=True)], dtype=bool)
    return [np.array([v if ok else 0 for v, ok in zip(values, small, strict=True)], dtype=np.int64)
            for values in parts], small


@functools.lru_cache(maxsize=64)
def _rule_bounds(interval: Interval) -> tuple[Fraction | None, Fraction | None, bool]:
    short = all(b is None or short_decimal(b) for b in (interval.lower, interval.upper))
    return interval.lower, interval.upper, short


def rounding_step(rule: BoundRule) -> Fraction | None:
    """The rounding step of a round-then-compare rule in the measure's unit (the declared step
    is in the unit the compared quantity is written in: the rule's unit, % or 百分点)."""
    rounding = rule.rounding
    if rounding is None or rounding.method is not RoundingMethod.ROUND_THEN_COMPARE:
        return None
    factor = rule.rule_factor if rule.measure is Measure.VALUE else Fraction(1)
    return Fraction(rounding.step) / factor


_BOUNDS: weakref.WeakKeyDictionary[Plan, AtomBounds] = weakref.WeakKeyDictionary()


def atom_bounds(plan: Plan) -> AtomBounds:
    """The exact bounds of every atom (cached for the life of the plan)."""
    cached = _BOUNDS.get(plan)
    if cached is None:
        per_rule = [_rule_bounds(rule.interval) for rule in plan.rules]
        steps = [rounding_step(rule) for rule in plan.rules]
        rules = plan.atom_rule.tolist()
        lower = tuple(per_rule[r][0] for r in rules)
        upper = tuple(per_rule[r][1] for r in rules)
        factors = [rule.rule_factor if rule.measure is Measure.VALUE else Fraction(1) for rule in plan.rules]
        factor = tuple(factors[r] for r in rules)
        (numerators, denominators), fits = _small_integers([[f.numerator for f in factor],
                                                            [f.denominator for f in factor]])
        cached = _BOUNDS[plan] = AtomBounds(
            lower, upper, np.array([per_rule[r][2] for r in rules], dtype=bool), tuple(steps[r] for r in rules),
            np.array([steps[r] is not None for r in rules], dtype=bool), AtomBounds.integer_bounds(lower, upper),
            factor, (numerators, denominators, fits), plan.plain)
    return cached


# ------------------------------------------------------------------------------------------
# Which cells to re-decide


@attrs.frozen(eq=False)
class _Band:
    """How :func:`_error_band` bounds the rounding error in some atoms' columns: ``a |x| + c |b|
    + d`` per column, ``b`` the baseline (``c`` only for the columns ``points`` of changes in
    points, ``d`` None when 0 everywhere), and for the columns of each measure of which some
    atom sums years (``sums``: that measure, its columns, ``s`` per column) a term ``s * Σ|v|``
    for the values summed: in place of the rest for a value, added to it for a change in points,
    added divided by ``|b| / 100`` for a relative change."""

    a: FloatArray
    points: IntArray
    c: FloatArray             # [len(points)]
    d: FloatArray | None
    sums: tuple[tuple[int, IntArray, FloatArray], ...]     # (measure, columns, s)


def _band(plan: Plan, atoms: IntArray, summed: bool, times: float = 1.0) -> _Band:
    """The terms of the error band of ``atoms`` (``summed``: the magnitudes of sums are known),
    multiplied by ``times``, a power of two (so the band they give is exactly the band times it).

    The inputs are within half an ulp of their decimals and each operation rounds once: a value
    is off by at most 12 eps |x|; a change in points ``v - b`` by 16 eps (|x| + 2 |b|); a relative
    change ``(v - b) / b * 100``, as ``100 |v| / |b| <= |x| + 100``, by 16 eps (|x| + 200); a sum of
    ``w`` years by 4 (w + 2) eps Σ|v| (each generous by a factor of several). Written per column
    as ``a |x| + c |b| + d``, e.g. 16 eps |x| + 32 eps |b|: the coefficients are powers of two
    times small integers, so (short of underflow) the floats are those of the formulas as written."""
    measure = plan.atom_measure[atoms]
    width = (plan.atom_sum_years[atoms] >= 0).sum(axis=1).astype(np.float64)
    sums = []
    for kind in np.unique(measure[width > 1]).tolist() if summed else ():
        columns = np.flatnonzero(measure == kind)
        sums.append((kind, columns, 4 * (width[columns] + 2) * _EPS * times))
    a = np.where(measure == VALUE, 12 * _EPS, 16 * _EPS) * times
    points = np.flatnonzero(measure == POINT_CHANGE)
    d = np.where(measure == RELATIVE_CHANGE, 16 * _EPS * 200, 0.0) * times
    return _Band(a, points, np.full(len(points), 32 * _EPS * times), d if d.any() else None, tuple(sums))


def _error_band(terms: _Band, x: FloatArray, baseline: FloatArray | None, magnitude: FloatArray | None,
                out: FloatArray | None = None, scratch: FloatArray | None = None) -> FloatArray:
    """An upper bound on ``|float result - exact quantity|`` per cell of columns ``x`` (see
    :func:`_band`), into ``out`` if given; ``magnitude`` is, for sums over years, the sum of the
    absolute values summed (NaN elsewhere). Whole rows at a time: the terms are per column."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        band = np.abs(x, out=out)
        band *= terms.a
        if len(terms.points) == len(terms.a):
            assert baseline is not None
            b = np.abs(baseline, out=scratch)
            b *= terms.c
            band += b
        elif len(terms.points):
            assert baseline is not None
            band[:, terms.points] += np.abs(baseline[:, terms.points]) * terms.c
        if terms.d is not None:
            band += terms.d
        for kind, columns, s in terms.sums:      # Σ decimals vs float sum
            assert magnitude is not None
            size = magnitude[:, columns]
            summed = s * np.where(np.isnan(size), np.abs(x[:, columns]), size)
            if kind == VALUE:
                band[:, columns] = summed
            elif kind == POINT_CHANGE:
                band[:, columns] += summed
            else:
                assert baseline is not None
                band[:, columns] += 100 * summed / np.abs(baseline[:, columns])
    return band


# ------------------------------------------------------------------------------------------
# Exact quantities


@attrs.frozen(eq=False)
class _Inputs:
    """Where each cell's quantity comes from: its row, the indicator it reads (its position in
    the observations), the year positions of the values it sums (entries ``starts[c]:starts[c +
    1]``, of cell ``cell_of[e]``) and of its baseline (-2: none); -1 where the indicator or the
    year is absent from the data. ``base`` is the float baseline the engine used (NaN where it
    used none: no baseline, one that is not an exact value, or a relative change's that is not
    positive)."""

    rows: IntArray
    indicator: IntArray       # [cells]
    starts: IntArray          # [cells + 1]
    cell_of: IntArray         # [entries]
    years: IntArray           # [entries]
    baseline: IntArray        # [cells]
    base: FloatArray          # [cells]
    measure: npt.NDArray[np.int8]
    sign: FloatArray

    def reads(self, c: int) -> list[tuple[int, int, int]]:
        """The (row, year, indicator) positions cell ``c`` reads, its baseline's among them."""
        r, i = int(self.rows[c]), int(self.indicator[c])
        years = self.years[self.starts[c]:self.starts[c + 1]].tolist()
        if self.baseline[c] >= 0:
            years.append(int(self.baseline[c]))
        return [(r, y, i) for y in years if y >= 0]

    def subset(self, cells: IntArray) -> _Inputs:
        widths = np.diff(self.starts)[cells]
        starts = np.r_[0, np.cumsum(widths)]
        cell_of = np.repeat(np.arange(len(cells)), widths)
        picked = self.starts[cells][cell_of] + np.arange(int(starts[-1])) - starts[:-1][cell_of]
        return _Inputs(self.rows[cells], self.indicator[cells], starts, cell_of, self.years[picked],
                       self.baseline[cells], self.base[cells], self.measure[cells], self.sign[cells])


def _inputs(plan: Plan, atoms: IntArray, rows: IntArray, columns: IntArray, base: FloatArray, ind_pos: IntArray,
            year_pos: IntArray) -> _Inputs:
    """The inputs of the cells (rows, columns) of a block of ``atoms`` (``base``: the baselines
    the engine used): from per-column arrays (one row an atom), taken per cell."""
    ip = ind_pos[plan.atom_indicator[atoms]]
    base_year = plan.atom_baseline[atoms]
    baseline = np.where(base_year >= 0, np.where(ip >= 0, year_pos[np.maximum(base_year, 0)], -1), -2)
    sum_years = plan.atom_sum_years[atoms]
    years = np.where((sum_years >= 0) & (ip[:, None] >= 0), year_pos[sum_years], -1)
    widths = (sum_years >= 0).sum(axis=1)
    if sum_years.shape[1] == 1 or not (widths > 1)[columns].any():          # one year a cell: one entry a cell
        starts = np.arange(len(rows) + 1)
        cell_of, entries = starts[:-1], years[:, 0][columns]
    else:
        widths = widths[columns]
        starts = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(widths, out=starts[1:])
        cell_of = np.repeat(np.arange(len(rows)), widths)
        entries = years[columns[cell_of], np.arange(len(cell_of)) - starts[cell_of]]
    return _Inputs(rows, ip[columns], starts, cell_of, entries, baseline[columns], base,
                   plan.atom_measure[atoms][columns], plan.atom_sign[atoms][columns])


def _gather(obs: Observations, side: str, rows: IntArray, indicator: IntArray, years: IntArray,
            grouped: bool = False) -> FloatArray:
    """``obs.values[indicator].lo[rows, years]`` (or ``.hi``) per entry, NaN where ``years`` is
    negative: one gather per run of entries reading one indicator (``grouped``: the entries are
    grouped by indicator already; else they are grouped first, with a stable radix sort)."""
    at: IntArray | None = None if years.min(initial=0) >= 0 else np.flatnonzero(years >= 0)
    key = indicator if at is None else indicator[at]
    if not grouped and (key[1:] < key[:-1]).any():
        order = np.argsort(key.astype(np.int16) if obs.shape[2] <= 2 ** 15 else key, kind="stable")
        at, key = (order if at is None else at[order]), key[order]
    at_rows, at_years = (rows, years) if at is None else (rows[at], years[at])
    edges = [0, *(np.flatnonzero(key[1:] != key[:-1]) + 1).tolist(), len(key)]
    found = np.empty(len(key))
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        if stop > start:
            found[start:stop] = getattr(obs.values[int(key[start])], side)[at_rows[start:stop], at_years[start:stop]]
    if at is None:
        return found
    out = np.full(len(rows), np.nan)
    out[at] = found
    return out


def _exact_values(obs: Observations, rows: IntArray, indicator: IntArray, years: IntArray,
                  side: str) -> list[Fraction | None]:
    """Exact values of cells (row, year, indicator) of the ``side`` ends; None where missing or
    infinite."""
    values = _gather(obs, side, rows, indicator, years)
    out: list[Fraction | None] = []
    for r, y, i, x in zip(rows.tolist(), years.tolist(), indicator.tolist(), values.tolist(), strict=True):
        if not np.isfinite(x):
            out.append(None)
            continue
        given = obs.exact.get((r, y, i)) if obs.exact else None
        out.append(given if given is not None else value_of(x))
    return out


def _quantity_fractions(obs: Observations, inputs: _Inputs, side: str) -> list[Fraction | None]:
    """The exact quantity of each cell (raw: before a decrease's sign flip), in Python fractions."""
    cells = len(inputs.rows)
    cell_of = inputs.cell_of
    values = _exact_values(obs, inputs.rows[cell_of], inputs.indicator[cell_of], inputs.years, side)
    base = _exact_values(obs, inputs.rows, inputs.indicator, inputs.baseline, "lo")
    out: list[Fraction | None] = []
    starts = inputs.starts.tolist()
    for c in range(cells):
        entries = values[starts[c]:starts[c + 1]]
        total: Fraction | None
        if len(entries) == 1:                 # a value of one year (no Fraction(0) + value to compute)
            total = entries[0]
        else:
            total = None if None in entries else sum([e for e in entries if e is not None], Fraction(0))
        measure = int(inputs.measure[c])
        if total is None or measure == VALUE:
            out.append(total)
            continue
        b = base[c]
        if b is None or (measure == RELATIVE_CHANGE and b <= 0):
            out.append(None)
        elif measure == RELATIVE_CHANGE:
            out.append((total - b) / b * 100)
        else:
            out.append(total - b)
    return out


def _quantity_integers(obs: Observations, inputs: _Inputs,
                       values: FloatArray) -> tuple[Any, Any, BoolArray, int | None]:
    """The exact quantity of each cell as ``N / D`` (raw: before a decrease's sign flip), from
    the floats it sums (``values``, one per entry) and its baseline, for the cells whose inputs
    are all decimals of at most 15 digits with no exact override (``ok``): int64 arrays where
    every intermediate provably fits, with a bound on ``|N|`` and ``|D|`` there, else arrays of
    Python integers (and no bound)."""
    cells = len(inputs.rows)
    one_each = len(values) == cells        # every cell reads one year: no sums to reduce
    starts = inputs.starts[:-1]
    base = inputs.base
    m, k, ok_entry, scale_v = _decimals(values)
    mb, kb, ok_b, scale_b = _decimals(base)          # 0 where there is no baseline (NaN)
    relative = inputs.measure == RELATIVE_CHANGE
    # a change needs its baseline (the engine's: positive for a relative change, NaN if not)
    ok = (ok_entry if one_each else np.logical_and.reduceat(ok_entry, starts)) & (ok_b | (inputs.measure == VALUE))
    if obs.exact:
        keys = set(obs.exact)
        for c in np.flatnonzero(ok).tolist():
            if any(key in keys for key in inputs.reads(c)):
                ok[c] = False
    # Everything at one scale when the values and the baselines each have one: |N| / 100 is then
    # at most the widest sum of the largest |M| plus the largest baseline, with no per-cell scale.
    size = None
    shift: Any
    shift_b: Any
    if scale_v is not None and scale_b is not None:
        scale = max(scale_v, scale_b)
        shift, shift_b = scale - scale_v, scale - scale_b
        size = _magnitude(m) * int(np.max(np.diff(inputs.starts), initial=1)) * 10 ** shift + \
            _magnitude(mb) * 10 ** shift_b
    largest: int | None = None
    if size is not None and scale <= 18 and size < _FITS:
        powers: Any = _INT_POWERS
        largest = max(100 * size, 10 ** scale)
        denominators: Any = powers[scale]
    else:       # a scale per cell: the most places among its values and baseline
        k_v = k if k is not None else np.where(ok_entry, scale_v or 0, 0)     # scale_v is given without k
        k_b = kb if kb is not None else np.where(ok_b, scale_b or 0, 0)
        scales = np.maximum(k_v if one_each else np.maximum.reduceat(k_v, starts), k_b)
        shift = (scales if one_each else scales[inputs.cell_of]) - k_v
        shift_b = scales - k_b
        # Does everything fit in int64? Bound each intermediate in floating point, generously.
        with np.errstate(over="ignore", invalid="ignore"):
            sizes = np.abs(m) * _POWERS_OF_TEN[np.minimum(shift, 40)]
            sizes = (sizes if one_each else np.add.reduceat(sizes, starts)) + \
                np.abs(mb) * _POWERS_OF_TEN[np.minimum(shift_b, 40)]
            fits = (sizes < _FITS) & (scales <= 18)
        if bool(fits.all() or fits[ok].all()):
            powers = _INT_POWERS     # the cells not ok may wrap around: they are never read
        else:                       # Python integers: no overflow
            powers = np.array([10 ** e for e in range(64)], dtype=object)
            m, mb = m.astype(object), mb.astype(object)
        top = len(powers) - 1
        shift, shift_b, denominators = np.minimum(shift, top), np.minimum(shift_b, top), powers[np.minimum(scales, top)]
    terms = m * powers[shift] if np.any(shift) else m
    b = mb * powers[shift_b] if np.any(shift_b) else mb          # 0 where there is no baseline
    total = terms if one_each else np.add.reduceat(terms, starts) if cells else terms[:0]
    numerator = total - b
    numerator = np.where(relative, numerator * 100, numerator)
    denominator = np.where(relative & (b > 0), b, denominators)
    if largest is None and powers is _INT_POWERS:
        largest = max(_magnitude(numerator[ok]), _magnitude(denominator[ok]))
    return numerator, denominator, ok, largest


def _magnitude(m: IntArray) -> int:
    """The largest ``|m|`` (0 for none)."""
    return max(int(np.max(m, initial=0)), -int(np.min(m, initial=0)))


_FITS = _SAFE / 2e5   # |N| / 100 below this: N, and its products with bounds below 2**40, fit in int64


def _decimals(values: FloatArray) -> tuple[IntArray, IntArray | None, BoolArray, int | None]:
    """:func:`decimal_parts` of gathered values ``(M, k, ok)``, with ``k`` None and the scale
    given when every value found has the same. One scale for all of them is tried first (the
    places a sample of them needs; the few it does not fit go through :func:`decimal_parts`):
    three passes instead of a dozen when the values are, as usual, decimals of a few places."""
    sample = values[:: max(1, len(values) // 64)][:64]
    sample = sample[np.isfinite(sample), None]
    # the places of each: the fewest (up to 15) at which it is a decimal of at most 15 digits
    with np.errstate(invalid="ignore", over="ignore"):
        whole = np.rint(sample * _POWERS_OF_TEN[:16])
        fits = (np.abs(whole) < 1e15) & (whole / _POWERS_OF_TEN[:16] == sample)
    found = fits.any(axis=1)
    if not found.any():
        if not len(sample) and not np.isfinite(values).any():     # nothing to read (e.g. no baselines)
            return np.zeros(len(values), dtype=np.int64), None, np.zeros(len(values), dtype=bool), 0
        return (*decimal_parts(values), None)
    scale = int(fits[found].argmax(axis=1).max())
    power = _POWERS_OF_TEN[scale]
    with np.errstate(invalid="ignore", over="ignore"):
        whole = np.rint(values * power)
        fitted = whole / power == values
        # at most 15 digits: every value's when the largest has (rint is within 0.5 of it)
        largest = max(abs(float(np.fmax.reduce(values, initial=0.0))), abs(float(np.fmin.reduce(values, initial=0.0))))
        if not largest * power + 1 < 1e15:
            fitted &= np.abs(whole) < 1e15
    if fitted.all():
        return whole.astype(np.int64), None, fitted, scale
    m = np.where(fitted, whole, 0).astype(np.int64)
    rest = np.flatnonzero(~fitted)
    rest = rest[np.isfinite(values[rest])]
    if not len(rest):
        return m, None, fitted, scale
    m_rest, k_rest, fitted[rest] = decimal_parts(values[rest])
    # the few the sample missed (more places): all at the most places when every M still fits
    top = max(scale, int(np.max(k_rest, initial=0)))
    if top <= 18 and _magnitude(m) * 10 ** (top - scale) < 2 ** 62 and _magnitude(m_rest) * 10 ** top < 2 ** 62:
        if top > scale:
            m *= _INT_POWERS[top - scale]
        m[rest] = m_rest * _INT_POWERS[top - k_rest]
        return m, None, fitted, top
    k = np.where(fitted, scale, 0)
    m[rest], k[rest] = m_rest, k_rest
    return m, k, fitted, None


_POWERS_OF_TEN = 10.0 ** np.arange(41)
_INT_POWERS = np.array([10 ** e for e in range(19)], dtype=np.int64)


def _to_float(numerator: Any, denominator: Any, largest: int | None = None) -> FloatArray:
    """The floats nearest to ``N / D`` (Python's integer true division rounds correctly);
    ``largest``: a bound on their magnitudes if known."""
    if numerator.dtype != object and (largest if largest is not None else
                                      max(_magnitude(numerator), _magnitude(denominator))) <= 2 ** 53:
        return np.asarray(numerator.astype(np.float64) / denominator.astype(np.float64), dtype=np.float64)
    return np.array([int(n) / int(d) for n, d in zip(numerator.tolist(), denominator.tolist(), strict=True)],
                    dtype=np.float64)


# ------------------------------------------------------------------------------------------
# The re-decision


@attrs.frozen(eq=False)
class _Side:
    """One side (the lower or the upper ends of the values) of the checked cells, raw (before a
    decrease's flip): the float nearest to the exact quantity (NaN when an input is missing or
    infinite), and the exact quantity as ``numerator / denominator`` where ``ok`` (both at most
    ``largest`` in magnitude there; None: Python integers), else in ``fractions``."""

    value: FloatArray
    numerator: Any
    denominator: Any
    ok: BoolArray
    largest: int | None
    fractions: dict[int, Fraction | None]

    def exact(self, c: int) -> Fraction | None:
        if self.ok[c]:
            return Fraction(int(self.numerator[c]), int(self.denominator[c]))
        return self.fractions.get(c)


def _side(obs: Observations, inputs: _Inputs, side: str, grouped: bool = False) -> _Side:
    """The ``side`` of the cells of ``inputs`` (``grouped``: they are grouped by indicator)."""
    one_each = len(inputs.years) == len(inputs.rows)
    rows, indicator = (inputs.rows, inputs.indicator) if one_each else \
        (inputs.rows[inputs.cell_of], inputs.indicator[inputs.cell_of])
    values = _gather(obs, side, rows, indicator, inputs.years, grouped)
    numerator, denominator, ok, largest = _quantity_integers(obs, inputs, values)
    every = bool(ok.all())
    value = np.full(len(ok), np.nan)
    if every:
        value = _to_float(numerator, denominator, largest)
    elif ok.any():
        idx = np.flatnonzero(ok)
        value[idx] = _to_float(numerator[idx], denominator[idx], largest)
    fractions: dict[int, Fraction | None] = {}
    if not every:           # the others in Python fractions
        rest = np.flatnonzero(~ok)
        for c, exact in zip(rest.tolist(), _quantity_fractions(obs, inputs.subset(rest), side), strict=True):
            fractions[c] = exact
            if exact is not None:
                value[c] = float(exact)
    return _Side(value, numerator, denominator, ok, largest, fractions)


def _signs(side: _Side, atom: IntArray, bounds: AtomBounds, upper: bool, flip: Int8Array,
           bound_size: int | None) -> Int8Array:
    """sign(flip * raw quantity - b) per cell, where b is the atom's lower (or upper) bound
    (``flip`` is -1 for a decrease, which compares ``-raw``; ``bound_size``: the largest
    numerator or denominator of the bounds, None when one exceeds 2**40); 0 where there is no
    bound or no exact value."""
    out = np.zeros(len(atom), dtype=np.int8)
    numerators, denominators = bounds.integers[2:4] if upper else bounds.integers[0:2]
    exact_bounds = bounds.upper if upper else bounds.lower
    every = bool(side.ok.all())
    idx = np.arange(len(atom)) if every else np.flatnonzero(side.ok)
    if len(idx):
        a = atom if every else atom[idx]
        n, d = (side.numerator, side.denominator) if every else (side.numerator[idx], side.denominator[idx])
        if side.largest is not None and bound_size is not None and side.largest * bound_size < _SAFE:
            p, q = numerators[a], denominators[a]
        else:                 # Python integers
            p = np.array([0 if exact_bounds[x] is None else exact_bounds[x].numerator for x in a.tolist()],
                         dtype=object)
            q = np.array([1 if exact_bounds[x] is None else exact_bounds[x].denominator for x in a.tolist()],
                         dtype=object)
            n, d = n.astype(object), d.astype(object)
        left, right = n * (flip if every else flip[idx]) * q, d * p       # D > 0 and q > 0
        signs = np.greater(left, right).view(np.int8) - np.less(left, right).view(np.int8)
        if every:
            out = signs
        else:
            out[idx] = signs
    for c, exact in side.fractions.items():
        bound = exact_bounds[int(atom[c])]
        if exact is None or bound is None:
            continue
        # sign(flip·n/d - p/q) with d, q > 0, in integers (Fraction's operators cost ten times more)
        left, right = int(flip[c]) * exact.numerator * bound.denominator, bound.numerator * exact.denominator
        out[c] = (left > right) - (left < right)
    return out


def refine(plan: Plan, obs: Observations, block: Any, ind_pos: IntArray, year_pos: IntArray) -> Any:
    """``block`` (an :class:`~qualityrules.engine.evaluation.Block`) with the cells whose float
    decision could be wrong re-decided exactly: a new block, the input is not modified."""
    atoms = block.atoms
    if not len(atoms) or not block.passed.size:
        return block
    bounds = atom_bounds(plan)
    if bounds.plain[atoms].all() and not obs.exact:    # every decision of the block is already exact
        return block
    block = _redecide(plan, obs, block, bounds, ind_pos, year_pos)
    if bounds.rounded[atoms].any():
        block = _round_then_compare(plan, obs, block, bounds, ind_pos, year_pos)
    return block


_PIECE = 1 << 16   # cells screened at a time: the temporaries of a piece stay in the CPU cache


def _candidates(plan: Plan, obs: Observations, block: Any, bounds: AtomBounds, trusted: BoolArray,
                ind_pos: IntArray, year_pos: IntArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """The cells to re-decide, as flat (row-major) positions in the block, their error bands (0
    when no column of the block needs one) and baselines (NaN where none): in columns whose
    float decision is not trusted, cells near enough to a bound that the float decision could be
    wrong, or that the float margin (whose error is the band) could show wrong digits — within
    ``_MARGIN_BANDS`` bands of it; and cells reading a value with an exact override. Screened a
    piece of rows at a time, into buffers that stay in the CPU cache."""
    atoms = block.atoms
    regions, width = block.passed.shape
    bounds_given = [bound for bound in (plan.lo[atoms], plan.hi[atoms]) if np.isfinite(bound).any()]
    slack = [4 * _EPS * np.abs(bound) for bound in bounds_given]
    screened = not trusted.all()
    ends = (block.x_lo, block.x_hi) if obs.censored and block.x_hi is not block.x_lo else (block.x_lo,)
    overridden = _overridden(plan, obs, atoms, ind_pos, year_pos, block.passed.shape) if obs.exact else None
    rounded = bounds.rounded[atoms]
    wide_terms = _band(plan, atoms, block.magnitude is not None, _MARGIN_BANDS)
    step = max(1, _PIECE // width)
    wide, distance = np.empty((min(step, regions), width)), np.empty((min(step, regions), width))
    check, near = np.zeros(wide.shape, dtype=bool), np.empty(wide.shape, dtype=bool)
    found: list[IntArray] = []
    bands: list[FloatArray] = []
    bases: list[FloatArray] = []
    for start in range(0, regions, step):
        part = slice(start, start + step)
        rows = min(step, regions - start)
        if rows < len(check):       # the last piece
            wide, distance, check, near = wide[:rows], distance[:rows], check[:rows], near[:rows]
        check[...] = False
        if screened:
            x = np.where(np.isfinite(block.x_lo[part]), block.x_lo[part], block.x_hi[part]) if obs.censored \
                else block.x_lo[part]
            _error_band(wide_terms, x, None if block.baseline is None else block.baseline[part],
                        None if block.magnitude is None else block.magnitude[part], out=wide, scratch=distance)
            with np.errstate(invalid="ignore"):
                for end in ends:        # |x - bound| <= wide: false for an infinite bound (NaN) and NaN
                    for bound, allowance in zip(bounds_given, slack, strict=True):
                        np.subtract(end[part], bound, out=distance)
                        np.abs(distance, out=distance)
                        distance -= allowance
                        check |= np.less_equal(distance, wide, out=near)
            if trusted.any():
                check[:, trusted] = False
        if overridden is not None:
            check |= overridden[part]
            check[:, rounded] = False
        cells = np.flatnonzero(check)
        found.append(cells + start * width)
        bands.append(wide.reshape(-1)[cells] / _MARGIN_BANDS if screened else np.zeros(len(cells)))
        bases.append(block.baseline[part].reshape(-1)[cells] if block.baseline is not None
                     else np.full(len(cells), np.nan))
    return np.concatenate(found), np.concatenate(bands), np.concatenate(bases)


_BATCH = 1 << 15   # cells re-decided at a time: their arrays (a few dozen) stay in the CPU cache


def _redecide(plan: Plan, obs: Observations, block: Any, bounds: AtomBounds, ind_pos: IntArray,
              year_pos: IntArray) -> Any:
    atoms = block.atoms
    trusted = plan.simple[atoms] & bounds.short[atoms]      # float comparison is exact here
    trusted |= bounds.rounded[atoms]                         # rounded first: see _round_then_compare
    if trusted.all() and not obs.exact:       # every decision of the block is already exact
        return block
    flat, band, base = _candidates(plan, obs, block, bounds, trusted, ind_pos, year_pos)
    if not len(flat):
        return block
    # The block's matrices are the engine's own (fresh sums, comparisons); a one-year value
    # may be a view of the observations and is copied before it changes.
    censored = obs.censored and block.x_hi is not block.x_lo
    x_lo = block.x_lo if block.x_lo.base is None else block.x_lo.copy()
    x_hi = (block.x_hi if block.x_hi.base is None else block.x_hi.copy()) if censored else x_lo
    out = attrs.evolve(block, x_lo=x_lo, x_hi=x_hi)
    # The cells grouped by the indicator they read, one-year cells before sums, in row order
    # within: a batch reads few indicators (one gather each, see _gather) along their values in
    # memory order, its one-year cells read one value each, and its masks by column come in runs
    # (numpy's where costs several times more on a mask that alternates than on runs).
    width = len(atoms)
    summing = (plan.atom_sum_years[atoms][:, 1:] >= 0).any(axis=1)
    keys = 2 * (obs.shape[2] + 1)
    key = (ind_pos[plan.atom_indicator[atoms]] + 1 + keys // 2 * summing)[flat - flat // width * width]
    order = np.argsort(key.astype(np.uint8 if keys <= 2 ** 8 else np.int16 if keys <= 2 ** 15 else np.int64),
                       kind="stable")     # a radix sort for small keys
    flat, band, base = flat[order], band[order], base[order]
    parts = [_redecide_cells(plan, obs, block, out, bounds, ind_pos, year_pos, flat[start:start + _BATCH],
                             band[start:start + _BATCH], base[start:start + _BATCH])
             for start in range(0, len(flat), _BATCH)]
    if not any(len(part.rows) for part in parts):       # every input missing: nothing changed
        return block
    cells = ExactCells(*(np.concatenate([getattr(part, name) for part in parts])
                         for name in ("rows", "columns", "below", "above")))
    return attrs.evolve(out, exact=cells)


def _redecide_cells(plan: Plan, obs: Observations, block: Any, out: Any, bounds: AtomBounds, ind_pos: IntArray,
                    year_pos: IntArray, flat: IntArray, cell_band: FloatArray, base: FloatArray) -> ExactCells:
    """Re-decide the cells at ``flat`` (positions in the row-major block, grouped by indicator)
    of ``block`` exactly (``cell_band``, ``base``: their error bands and baselines), writing the
    verdicts and exact values into ``out``'s matrices; their exact margins."""
    atoms = block.atoms
    width = len(atoms)
    rows = flat // width
    columns = flat - rows * width
    inputs = _inputs(plan, atoms, rows, columns, base, ind_pos, year_pos)
    atom = atoms[columns]
    lower, upper = plan.lo[atom], plan.hi[atom]
    has_lower, has_upper = np.isfinite(lower), np.isfinite(upper)
    any_lower, any_upper = bool(has_lower.any()), bool(has_upper.any())
    censored = obs.censored and block.x_hi is not block.x_lo
    raw_lo = _side(obs, inputs, "lo", grouped=True)
    raw_hi = _side(obs, inputs, "hi", grouped=True) if censored else raw_lo
    # A decrease compares -raw: its lower end is minus the raw upper end, and
    # sign(-r - t) = -sign(r - (-t)).
    flip = np.where(plan.atom_sign[atoms] < 0, -1, 1).astype(np.int8)[columns]
    down = flip < 0
    none = np.zeros(len(atom), dtype=np.int8)

    small = bool(bounds.integers[4][atoms].all())
    sizes = [max(_magnitude(bounds.integers[i][atoms]), _magnitude(bounds.integers[i + 1][atoms])) if small else None
             for i in (0, 2)]

    def compared(side: _Side) -> tuple[FloatArray, Int8Array, Int8Array]:
        """The quantity compared (``raw`` negated for a decrease) and its signs against the bounds."""
        return (flip * side.value, _signs(side, atom, bounds, False, flip, sizes[0]) if any_lower else none,
                _signs(side, atom, bounds, True, flip, sizes[1]) if any_upper else none)

    x_lo, s_lo_lower, s_lo_upper = compared(raw_lo)
    x_hi, s_hi_lower, s_hi_upper = x_lo, s_lo_lower, s_lo_upper      # exact data: one value
    if censored:
        hi_x, hi_lower, hi_upper = compared(raw_hi)
        x_lo, x_hi = np.where(down, hi_x, x_lo), np.where(down, x_lo, hi_x)
        s_lo_lower, s_hi_lower = np.where(down, hi_lower, s_lo_lower), np.where(down, s_lo_lower, hi_lower)
        s_lo_upper, s_hi_upper = np.where(down, hi_upper, s_lo_upper), np.where(down, s_lo_upper, hi_upper)
        # An infinite end (a censored value's open side) is exact as the float path has it.
        for value, signs_lower, signs_upper, given in ((x_lo, s_lo_lower, s_lo_upper, block.x_lo[rows, columns]),
                                                       (x_hi, s_hi_lower, s_hi_upper, block.x_hi[rows, columns])):
            infinite = np.isinf(given)
            value[infinite] = given[infinite]
            signs_lower[infinite] = np.sign(given[infinite])
            signs_upper[infinite] = np.sign(given[infinite])
    known = ~np.isnan(x_lo) & ~np.isnan(x_hi) if censored else ~np.isnan(x_lo)
    keep = np.flatnonzero(known)
    if len(keep) < len(known):
        flat, rows, columns, atom = (a[keep] for a in (flat, rows, columns, atom))
        cell_band, lower, upper, x_lo, x_hi = (a[keep] for a in (cell_band, lower, upper, x_lo, x_hi))
        has_lower, has_upper = has_lower[keep], has_upper[keep]
        s_lo_lower, s_hi_lower, s_lo_upper, s_hi_upper = (s[keep] for s in (s_lo_lower, s_hi_lower, s_lo_upper,
                                                                             s_hi_upper))
    lo_inc, hi_inc = plan.lo_inclusive[atom], plan.hi_inclusive[atom]
    excluded = plan.excluded[atom]
    if censored:
        lo_open = block.x_lo_open[rows, columns] if block.x_lo_open is not None else np.zeros(len(rows), dtype=bool)
        hi_open = block.x_hi_open[rows, columns] if block.x_hi_open is not None else np.zeros(len(rows), dtype=bool)
        inside = ~has_lower | (s_lo_lower > 0) | ((s_lo_lower == 0) & (lo_inc | lo_open))
        outside = has_lower & ((s_hi_lower < 0) | ((s_hi_lower == 0) & (hi_open | ~lo_inc)))
        if any_upper:
            inside &= ~has_upper | (s_hi_upper < 0) | ((s_hi_upper == 0) & (hi_inc | hi_open))
            outside |= has_upper & ((s_lo_upper > 0) | ((s_lo_upper == 0) & (lo_open | ~hi_inc)))
        passed = np.where(excluded, outside, inside)
        _put(out.passed, flat, passed)
        _put(out.unknown, flat, ~(passed | np.where(excluded, inside, outside)))
    else:       # one exact value: inside the target or outside it, never unknown
        inside = ~has_lower | (s_lo_lower > 0) | ((s_lo_lower == 0) & lo_inc)
        if any_upper:
            inside &= ~has_upper | (s_lo_upper < 0) | ((s_lo_upper == 0) & hi_inc)
        _put(out.passed, flat, inside != excluded)
        _put(out.unknown, flat, False)
    _put(out.x_lo, flat, x_lo)
    if censored:
        _put(out.x_hi, flat, x_hi)
    # Margins: from the lower end when it is finite (as the report reads it), else the upper;
    # 0 on a bound, else the float difference, or the exact one close to the bound.
    use_lo = np.isfinite(x_lo)
    s_lower = np.where(use_lo, s_lo_lower, s_hi_lower) if censored else s_lo_lower
    s_upper = np.where(use_lo, s_lo_upper, s_hi_upper) if censored else s_lo_upper
    value = np.where(use_lo, x_lo, x_hi) if censored else x_lo
    below = np.full(len(rows), np.nan)
    above = np.full(len(rows), np.nan)
    for bounded, exists, bound, signs, margins, is_upper in ((any_lower, has_lower, lower, s_lower, below, False),
                                                             (any_upper, has_upper, upper, s_upper, above, True)):
        if not bounded:
            continue
        margins[exists] = 0.0
        off = np.flatnonzero(exists & (signs != 0))        # off the bound
        v, b = value[off], bound[off]
        with np.errstate(invalid="ignore"):
            difference = (b - v) if is_upper else (v - b)
            margins[off] = difference * plan.factor[atom[off]]
            close = np.abs(difference) <= (cell_band[off] + 4 * _EPS * np.abs(v)) * _MARGIN_BANDS
        members = off[close]
        for side in (raw_lo, raw_hi) if raw_hi is not raw_lo else (raw_lo,):
            chosen = members if raw_hi is raw_lo else \
                members[(side is raw_lo) == (use_lo[members] != down[keep[members]])]
            if len(chosen):
                margins[chosen] = _exact_differences(plan, bounds, side, keep[chosen], down[keep[chosen]],
                                                     atom[chosen], is_upper)
    return ExactCells(rows, columns, below, above)


def _put(array: npt.NDArray[Any], flat: IntArray, values: Any) -> None:
    """``array.flat[flat] = values`` (a view's reshape when the array is contiguous)."""
    if array.flags.c_contiguous:
        array.reshape(-1)[flat] = values
    else:
        np.put(array, flat, values)


_MARGIN_BANDS = 2.0 ** 34   # a float margin this many error bands from its bound is right to 10 digits


def _exact_differences(plan: Plan, bounds: AtomBounds, side: _Side, cells: IntArray, down: BoolArray,
                       atom: IntArray, upper: bool) -> FloatArray:
    """The floats nearest to ``(X - lower) * factor`` (or ``(upper - X) * factor``) for the given
    cells, ``X`` being the side's exact quantity (negated for a decrease) and ``factor`` the rule's
    unit factor: one vectorised integer computation over all the cells' atoms."""
    out = np.full(len(cells), np.nan)
    exact_bounds = bounds.upper if upper else bounds.lower
    sign = -1 if upper else 1
    ok = side.ok[cells]
    if ok.any():
        a = atom[ok]
        n, d = side.numerator[cells[ok]], side.denominator[cells[ok]]
        p, q = (part[a] for part in (bounds.integers[2:4] if upper else bounds.integers[0:2]))
        fn, fd = bounds.factor_integers[0][a], bounds.factor_integers[1][a]
        largest = max(_magnitude(part) for part in (p, q, fn, fd))
        if n.dtype == object or not (bounds.integers[4][a].all() and bounds.factor_integers[2][a].all()) or \
                max(_magnitude(n), _magnitude(d)) * largest * largest >= _SAFE / 4:
            chosen = a.tolist()
            given = [b if (b := exact_bounds[x]) is not None else Fraction(0) for x in chosen]   # close to one
            p = np.array([b.numerator for b in given], dtype=object)
            q = np.array([b.denominator for b in given], dtype=object)
            fn = np.array([bounds.factor[x].numerator for x in chosen], dtype=object)
            fd = np.array([bounds.factor[x].denominator for x in chosen], dtype=object)
            n, d = n.astype(object), d.astype(object)
        flip = np.where(down[ok], -1, 1)
        out[ok] = _to_float(sign * (flip * n * q - p * d) * fn, d * q * fd)
    for k in np.flatnonzero(~ok).tolist():
        exact = side.exact(int(cells[k]))
        bound = exact_bounds[int(atom[k])]
        if exact is not None and bound is not None:
            out[k] = float(sign * ((-exact if down[k] else exact) - bound) * bounds.factor[int(atom[k])])
    return out


def near_margins(plan: Plan, atoms: IntArray, x: FloatArray, below: FloatArray, above: FloatArray,
                 skip: BoolArray) -> None:
    """Exact margins, in place, for one-year values close to a bound but not on it (the float
    difference of two nearby floats carries their representation error into visible digits):
    ``(value - lower) * factor`` and ``(upper - value) * factor`` from the value's decimal."""
    bounds = atom_bounds(plan)
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(plan.lo[atoms]), np.abs(plan.hi[atoms]))
        scale = np.where(np.isfinite(scale), scale, np.fmin(np.abs(plan.lo[atoms]), np.abs(plan.hi[atoms])))
        close = ((np.abs(below) <= 2.0 ** -20 * scale) & (below != 0)) | ((np.abs(above) <= 2.0 ** -20 * scale)
                                                                           & (above != 0))
    close &= ~skip & np.isfinite(x) & plan.simple[atoms]
    for r, c in zip(*np.nonzero(close), strict=True):
        a = int(atoms[c])
        rule = plan.rules[int(plan.atom_rule[a])]
        factor = rule.rule_factor if plan.atom_measure[a] == VALUE else Fraction(1)
        lower, upper = bounds.lower[a], bounds.upper[a]
        value = value_of(float(x[r, c]))
        if plan.plain[a]:       # one float off a bound: on it (the closed bounds say so too)
            value = next((b for b in (lower, upper) if b is not None and one_float_off(float(x[r, c]), float(b))),
                         value)
        if lower is not None:
            below[r, c] = float((value - lower) * factor)
        if upper is not None:
            above[r, c] = float((upper - value) * factor)


def _overridden(plan: Plan, obs: Observations, atoms: IntArray, ind_pos: IntArray, year_pos: IntArray,
                shape: tuple[int, ...]) -> BoolArray:
    """Cells whose atom reads a value with an exact override (it differs from its float)."""
    n_ind = obs.shape[2]
    found = np.zeros(shape, dtype=bool)
    ip = ind_pos[plan.atom_indicator[atoms]]
    reads: dict[int, list[int]] = {}
    for column, atom in enumerate(atoms.tolist()):
        if ip[column] < 0:
            continue
        years = [y for y in plan.atom_sum_years[atom].tolist() if y >= 0]
        if plan.atom_baseline[atom] >= 0:
            years.append(int(plan.atom_baseline[atom]))
        for y in years:
            if year_pos[y] >= 0:
                reads.setdefault(int(year_pos[y]) * n_ind + int(ip[column]), []).append(column)
    for (r, y, i) in obs.exact:
        for column in reads.get(y * n_ind + i, ()):
            found[r, column] = True
    return found


# ------------------------------------------------------------------------------------------
# Declared rounding (GB/T 8170-2008, 修约值比较法)


def _round_half_even(value: Fraction) -> int:
    floor = value.numerator // value.denominator
    rest = value - floor
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2):
        return floor + 1
    return floor


def _integer_bounds(lower: Fraction | None, upper: Fraction | None, lower_inclusive: bool, upper_inclusive: bool,
                    step: Fraction) -> tuple[float, float]:
    """The multiples ``n`` of ``step`` with ``n * step`` inside the target: ``n_lo <= n <= n_hi``."""
    n_lo, n_hi = -np.inf, np.inf
    if lower is not None:
        q = lower / step
        n_lo = float(-((-q.numerator) // q.denominator) if lower_inclusive or q.denominator != 1 else q.numerator + 1)
    if upper is not None:
        q = upper / step
        n_hi = float(q.numerator // q.denominator if upper_inclusive or q.denominator != 1 else q.numerator - 1)
    return n_lo, n_hi


def _round_then_compare(plan: Plan, obs: Observations, block: Any, bounds: AtomBounds, ind_pos: IntArray,
                        year_pos: IntArray) -> Any:
    """Round-then-compare columns: the compared quantity is rounded half to even, once, to a
    multiple ``n`` of the step, and ``n`` is compared with the integer bounds of the target; ``n``
    is computed exactly where the float quotient lies close to a half."""
    atoms = block.atoms
    columns = np.flatnonzero(bounds.rounded[atoms])
    atom = atoms[columns]
    steps = [bounds.step[a] for a in atom.tolist()]
    step = np.array([float(st) for st in steps if st is not None])
    limits = np.array([_integer_bounds(bounds.lower[a], bounds.upper[a], bool(plan.lo_inclusive[a]),
                                       bool(plan.hi_inclusive[a]), st)
                       for a, st in zip(atom.tolist(), steps, strict=True)]).reshape(-1, 2)
    n_lo, n_hi = limits[:, 0], limits[:, 1]
    censored = obs.censored and block.x_hi is not block.x_lo
    band = _error_band(_band(plan, atom, block.magnitude is not None), np.where(np.isfinite(block.x_lo[:, columns]), block.x_lo[:, columns],
                                           block.x_hi[:, columns]),
                       None if block.baseline is None else block.baseline[:, columns],
                       None if block.magnitude is None else block.magnitude[:, columns])
    multiples = []
    for end, x in enumerate((block.x_lo[:, columns], block.x_hi[:, columns]) if censored else (block.x_lo[:, columns],)):
        with np.errstate(invalid="ignore"):
            q = x / step
            n = np.rint(q)
            tolerance = (band + 2 * _EPS * np.abs(x)) / step + 8 * _EPS * np.abs(q)
            near = np.isfinite(q) & (np.abs(q - np.floor(q) - 0.5) <= tolerance)
        rows, cols = np.nonzero(near)
        if len(rows):
            base = block.baseline[rows, columns[cols]] if block.baseline is not None else np.full(len(rows), np.nan)
            inputs = _inputs(plan, atoms, rows, columns[cols], base, ind_pos, year_pos)
            down = inputs.sign < 0
            raw = [_side(obs, inputs, "lo"), _side(obs, inputs, "hi") if censored else None]
            for c in range(len(rows)):
                side = raw[(end if not down[c] else 1 - end) if censored else 0]
                value = side.exact(c) if side is not None else None
                if value is None:
                    continue
                value = -value if down[c] else value
                n[rows[c], cols[c]] = _round_half_even(value / steps[int(cols[c])])
        multiples.append(n)
    lower_n = multiples[0]
    upper_n = multiples[-1]
    known = ~np.isnan(lower_n) & ~np.isnan(upper_n)
    inside = (lower_n >= n_lo) & (upper_n <= n_hi)
    outside = (upper_n < n_lo) | (lower_n > n_hi)
    excluded = plan.excluded[atom]
    passed = np.where(excluded, outside, inside) & known
    failed = np.where(excluded, inside, outside) & known
    new_passed, new_unknown = block.passed.copy(), block.unknown.copy()
    new_passed[:, columns] = passed
    new_unknown[:, columns] = ~(passed | failed)
    measured = block.x_lo.copy()
    new_lo = block.x_lo.copy()
    numerators = np.array([st.numerator for st in steps if st is not None], dtype=np.float64)
    denominators = np.array([st.denominator for st in steps if st is not None], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        new_lo[:, columns] = np.where(np.isfinite(lower_n), lower_n * numerators / denominators, block.x_lo[:, columns])
        new_hi = new_lo
        if censored:
            new_hi = block.x_hi.copy()
            new_hi[:, columns] = np.where(np.isfinite(upper_n), upper_n * numerators / denominators,
                                          block.x_hi[:, columns])
    margins = _rounded_margins(plan, atom, bounds, steps, np.where(np.isfinite(lower_n), lower_n, upper_n))
    rows, cols = np.nonzero(np.isfinite(np.where(np.isfinite(lower_n), lower_n, upper_n)))
    cells = ExactCells(rows, columns[cols], margins[0][rows, cols], margins[1][rows, cols])
    if block.exact is not None:     # cells of other columns decided exactly keep their margins
        keep = ~np.isin(block.exact.columns, columns)
        cells = ExactCells(*(np.concatenate([getattr(block.exact, name)[keep], getattr(cells, name)])
                             for name in ("rows", "columns", "below", "above")))
    return attrs.evolve(block, passed=new_passed, unknown=new_unknown, x_lo=new_lo, x_hi=new_hi, exact=cells,
                        measured=measured)


def _rounded_margins(plan: Plan, atom: IntArray, bounds: AtomBounds, steps: list[Fraction | None],
                     n: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Exact margins ``n * step - lower`` and ``upper - n * step`` in the rule's unit, as the
    floats nearest to them (integer numerators when they fit in a float exactly, else fractions)."""
    below = np.full(n.shape, np.nan)
    above = np.full(n.shape, np.nan)
    for c, a in enumerate(atom.tolist()):
        step = steps[c]
        assert step is not None
        rule = plan.rules[int(plan.atom_rule[a])]
        factor = rule.rule_factor if rule.measure is Measure.VALUE else Fraction(1)
        for bound, out, sign in ((bounds.lower[a], below, 1), (bounds.upper[a], above, -1)):
            if bound is None:
                continue
            # sign * (n * step - bound) * factor = (n * p - b) / d with integers p, b, d
            d = step.denominator * bound.denominator * factor.denominator
            p = sign * step.numerator * bound.denominator * factor.numerator
            b = sign * bound.numerator * step.denominator * factor.numerator
            column = n[:, c]
            finite = np.isfinite(column)
            if abs(p) * float(np.max(np.abs(column[finite]), initial=0)) + abs(b) < 2 ** 53 and d < 2 ** 53:
                out[:, c] = (column * p - b) / d
            else:
                out[finite, c] = [float(Fraction(int(k) * p - b, d)) for k in column[finite].tolist()]
    return below, above
