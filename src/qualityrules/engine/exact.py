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
from ..tables.decimals import decimal_parts, short_decimal, value_of
from ..tables.observations import Observations
from .plan import POINT_CHANGE, RELATIVE_CHANGE, VALUE, Plan

__all__ = ["refine", "ExactCells", "AtomBounds", "atom_bounds", "near_margins"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

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
    them is already exact for a one-year value (both are decimals of at most 15 digits), and the
    GB/T 8170 rounding step in the measure's unit of a round-then-compare target (else None)."""

    lower: tuple[Fraction | None, ...]
    upper: tuple[Fraction | None, ...]
    short: BoolArray
    step: tuple[Fraction | None, ...]
    rounded: BoolArray
    integers: tuple[IntArray, IntArray, IntArray, IntArray, BoolArray]   # p, q of lower and upper; all fit int64

    @staticmethod
    def integer_bounds(lower: tuple[Fraction | None, ...],
                       upper: tuple[Fraction | None, ...]) -> tuple[IntArray, IntArray, IntArray, IntArray, BoolArray]:
        """Numerators and denominators of the bounds per atom (0/1 where unbounded) as int64, and
        per atom whether they fit in 2**40 (so products with quantities below 2**22 fit)."""
        parts = [[0 if b is None else b.numerator for b in lower], [1 if b is None else b.denominator for b in lower],
                 [0 if b is None else b.numerator for b in upper], [1 if b is None else b.denominator for b in upper]]
        small = np.array([all(abs(v) < 2 ** 40 for v in values) for values in zip(*parts, strict=True)], dtype=bool)
        arrays = [np.array([v if ok else 0 for v, ok in zip(values, small, strict=True)], dtype=np.int64)
                  for values in parts]
        return arrays[0], arrays[1], arrays[2], arrays[3], small


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
        cached = _BOUNDS[plan] = AtomBounds(
            lower, upper, np.array([per_rule[r][2] for r in rules], dtype=bool), tuple(steps[r] for r in rules),
            np.array([steps[r] is not None for r in rules], dtype=bool), AtomBounds.integer_bounds(lower, upper))
    return cached


# ------------------------------------------------------------------------------------------
# Which cells to re-decide


def _near(x: FloatArray, bound: FloatArray, band: FloatArray) -> BoolArray:
    """``|x - bound| <= band`` (false for an infinite bound, and for NaN)."""
    finite = np.isfinite(bound)
    if not finite.any():
        return np.zeros(x.shape, dtype=bool)
    every = bool(finite.all())
    columns = slice(None) if every else np.flatnonzero(finite)
    with np.errstate(invalid="ignore"):
        distance = np.subtract(x if every else x[:, columns], bound[columns])
        np.abs(distance, out=distance)
        distance -= 4 * _EPS * np.abs(bound[columns])
        near = distance <= (band if every else band[:, columns])
    if every:
        return near
    out = np.zeros(x.shape, dtype=bool)
    out[:, columns] = near
    return out


def _error_band(plan: Plan, atoms: IntArray, x: FloatArray, baseline: FloatArray | None,
                magnitude: FloatArray | None) -> FloatArray:
    """An upper bound on ``|float result - exact quantity|`` per cell (generous by a factor of
    several): the inputs are within half an ulp of their decimals and each operation rounds once.
    ``magnitude`` is, for sums over years, the sum of the absolute values summed (NaN elsewhere).
    Computed column group by column group (values, changes in points, relative changes)."""
    measure = plan.atom_measure[atoms]
    width = (plan.atom_sum_years[atoms] >= 0).sum(axis=1).astype(np.float64)
    band = np.empty(x.shape)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        for kind in np.unique(measure).tolist():
            columns = np.flatnonzero(measure == kind)
            every = len(columns) == len(atoms)
            ax = np.abs(x if every else x[:, columns])
            summed = None
            if magnitude is not None and (width[columns] > 1).any():
                size = magnitude if every else magnitude[:, columns]
                summed = 4 * (width[columns] + 2) * _EPS * np.where(np.isnan(size), ax, size)   # Σ decimals vs float sum
            if kind == VALUE:
                part = 12 * _EPS * ax if summed is None else summed
            else:
                assert baseline is not None
                b = np.abs(baseline if every else baseline[:, columns])
                if kind == POINT_CHANGE:
                    part = 16 * _EPS * (ax + 2 * b)
                    if summed is not None:
                        part += summed
                else:   # (v - b) / b * 100: 100 |v| / |b| <= |x| + 100, so the error is ~ eps (|x| + 200)
                    part = 16 * _EPS * (ax + 200)
                    if summed is not None:
                        part += 100 * summed / b
            if every:
                return np.asarray(part, dtype=np.float64)
            band[:, columns] = part
    return band


# ------------------------------------------------------------------------------------------
# Exact quantities


@attrs.frozen(eq=False)
class _Inputs:
    """Where each cell's quantity comes from: its row, the flat (year, indicator) positions of
    the values it sums (entries ``starts[c]:starts[c + 1]``, -1 when absent from the data) and of
    its baseline (-1: absent, -2: none)."""

    rows: IntArray
    starts: IntArray          # [cells + 1]
    summed: IntArray          # [entries]
    baseline: IntArray        # [cells]
    measure: npt.NDArray[np.int8]
    sign: FloatArray

    @property
    def cell_of(self) -> IntArray:
        return np.repeat(np.arange(len(self.rows)), np.diff(self.starts))

    def entries(self, c: int) -> list[int]:
        return self.summed[self.starts[c]:self.starts[c + 1]].tolist()  # type: ignore[no-any-return]

    def subset(self, cells: IntArray) -> _Inputs:
        widths = np.diff(self.starts)[cells]
        starts = np.r_[0, np.cumsum(widths)]
        picked = np.repeat(self.starts[cells], widths) + np.arange(int(starts[-1])) - np.repeat(starts[:-1], widths)
        return _Inputs(self.rows[cells], starts, self.summed[picked], self.baseline[cells], self.measure[cells],
                       self.sign[cells])


def _inputs(plan: Plan, obs: Observations, atoms: IntArray, rows: IntArray, columns: IntArray,
            ind_pos: IntArray, year_pos: IntArray) -> _Inputs:
    n_ind = obs.shape[2]
    atom = atoms[columns]
    ip = ind_pos[plan.atom_indicator[atom]]
    widths = (plan.atom_sum_years >= 0).sum(axis=1)[atom]
    starts = np.r_[0, np.cumsum(widths)]
    cell_of = np.repeat(np.arange(len(atom)), widths)
    slot = np.arange(int(starts[-1])) - starts[:-1][cell_of]
    yp = year_pos[plan.atom_sum_years[atom[cell_of], slot]]
    entry_ip = ip[cell_of]
    summed = np.where((yp >= 0) & (entry_ip >= 0), yp * n_ind + entry_ip, -1)
    base_year = plan.atom_baseline[atom]
    by = np.where(base_year >= 0, year_pos[np.maximum(base_year, 0)], -1)
    baseline = np.where(base_year >= 0, np.where((by >= 0) & (ip >= 0), by * n_ind + ip, -1), -2)
    return _Inputs(rows, starts, summed, baseline, plan.atom_measure[atom], plan.atom_sign[atom])


def _exact_values(obs: Observations, rows: IntArray, flat: IntArray, side: str) -> list[Fraction | None]:
    """Exact values of cells (row, flat position) of the ``side`` cube; None where missing or
    infinite."""
    cube = (obs.lo if side == "lo" else obs.hi).reshape(obs.shape[0], -1)
    values = cube[rows, np.maximum(flat, 0)]
    n_ind = obs.shape[2]
    out: list[Fraction | None] = []
    for r, f, x in zip(rows.tolist(), flat.tolist(), values.tolist(), strict=True):
        if f < 0 or not np.isfinite(x):
            out.append(None)
            continue
        given = obs.exact.get((r, f // n_ind, f % n_ind)) if obs.exact else None
        out.append(given if given is not None else value_of(x))
    return out


def _quantity_fractions(obs: Observations, inputs: _Inputs, side: str) -> list[Fraction | None]:
    """The exact quantity of each cell (raw: before a decrease's sign flip), in Python fractions."""
    cells = len(inputs.rows)
    values = _exact_values(obs, inputs.rows[inputs.cell_of], inputs.summed, side)
    base = _exact_values(obs, inputs.rows, inputs.baseline, "lo")
    out: list[Fraction | None] = []
    for c in range(cells):
        total: Fraction | None = Fraction(0)
        for value in values[int(inputs.starts[c]):int(inputs.starts[c + 1])]:
            if value is None or total is None:
                total = None
                continue
            total += value
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


def _quantity_integers(obs: Observations, inputs: _Inputs, side: str) -> tuple[Any, Any, BoolArray]:
    """The exact quantity of each cell as ``N / D`` (raw: before a decrease's sign flip), for the
    cells whose inputs are all decimals of at most 15 digits with no exact override: int64 arrays
    where every intermediate provably fits, else arrays of Python integers. ``ok`` marks them."""
    cube = (obs.lo if side == "lo" else obs.hi).reshape(obs.shape[0], -1)
    base_cube = obs.lo.reshape(obs.shape[0], -1)
    rows, flat = inputs.rows, inputs.summed
    cells = len(rows)
    cell_of = inputs.cell_of          # one entry per value summed: one for a one-year atom
    width = cube.shape[1]
    values = np.where(flat >= 0, cube.ravel().take(rows[cell_of] * width + np.maximum(flat, 0)), np.nan)
    starts = inputs.starts[:-1]
    m, k, ok_entry = _decimals(values)
    needs_base = inputs.measure != VALUE
    has_base = inputs.baseline >= 0
    base = np.where(has_base, base_cube.ravel().take(rows * width + np.maximum(inputs.baseline, 0)), np.nan)
    mb, kb, ok_b = _decimals(base)
    one_each = len(cell_of) == cells        # every cell reads one year: no sums to reduce
    ok = (ok_entry if one_each else np.logical_and.reduceat(ok_entry, starts)) & (ok_b | ~needs_base)
    ok &= ~((inputs.measure == RELATIVE_CHANGE) & ~(base > 0))
    if obs.exact:
        n_ind = obs.shape[2]
        keys = set(obs.exact)
        for c in np.flatnonzero(ok).tolist():
            r = int(rows[c])
            flats = [f for f in inputs.entries(c) if f >= 0] + ([int(inputs.baseline[c])] if needs_base[c] else [])
            if any((r, f // n_ind, f % n_ind) in keys for f in flats):
                ok[c] = False
    kb = np.where(needs_base & ok_b, kb, 0)
    scale = np.maximum(k if one_each else np.maximum.reduceat(k, starts), kb)
    shift = scale[cell_of] - k
    shift_b = scale - kb
    # Does everything fit in int64? Bound each intermediate in floating point, generously.
    with np.errstate(over="ignore", invalid="ignore"):
        size = np.abs(m) * _POWERS_OF_TEN[np.minimum(shift, 40)]
        size = (size if one_each else np.add.reduceat(size, starts)) + np.abs(mb) * _POWERS_OF_TEN[np.minimum(shift_b, 40)]
        fits = (size * 200 < _SAFE / 1e3) & (scale <= 18)
    use = ok[cell_of]
    if bool(np.all(fits[ok])):
        terms = np.where(use, m, 0) * _INT_POWERS[np.where(use, shift, 0)]
        b = np.where(ok & needs_base, mb, 0) * _INT_POWERS[np.where(ok, shift_b, 0)]
        denominator = _INT_POWERS[np.where(ok, scale, 0)]
    else:                       # Python integers: no overflow
        ten = np.array([10 ** e for e in range(64)], dtype=object)
        terms = np.where(use, m.astype(object), 0) * ten[np.where(use, shift, 0)]
        b = np.where(ok & needs_base, mb.astype(object), 0) * ten[np.where(ok, shift_b, 0)]
        denominator = ten[np.where(ok, scale, 0)]
    total = terms if one_each else np.add.reduceat(terms, starts) if cells else terms[:0]
    measure = inputs.measure
    numerator = np.where(measure == VALUE, total, total - b)
    numerator = np.where(measure == RELATIVE_CHANGE, numerator * 100, numerator)
    denominator = np.where(measure == RELATIVE_CHANGE, np.where(ok & (b != 0), b, 1), denominator)
    return numerator, denominator, ok


def _decimals(values: FloatArray) -> tuple[IntArray, IntArray, BoolArray]:
    """:func:`decimal_parts` of gathered values, first trying one scale for all of them (the
    places a sample of them needs): three passes instead of a dozen when the values are, as
    usual, decimals of a few places."""
    finite = values[np.isfinite(values)]
    if len(finite):
        _, places, ok = decimal_parts(finite[:: max(1, len(finite) // 32)][:32])
        scale = int(places.max()) if ok.all() else -1
        if 0 <= scale <= 15:
            power = _POWERS_OF_TEN[scale]
            with np.errstate(invalid="ignore", over="ignore"):
                whole = np.rint(values * power)
                ok_all = (np.abs(whole) < 1e15) & (whole / power == values)
            if ok_all[np.isfinite(values)].all():
                m = np.where(ok_all, whole, 0).astype(np.int64)
                return m, np.where(ok_all, scale, 0), ok_all
    return decimal_parts(values)


_POWERS_OF_TEN = 10.0 ** np.arange(41)
_INT_POWERS = np.array([10 ** e for e in range(19)], dtype=np.int64)


def _to_float(numerator: Any, denominator: Any) -> FloatArray:
    """The floats nearest to ``N / D`` (Python's integer true division rounds correctly)."""
    if numerator.dtype != object and np.all(np.abs(numerator) <= 2 ** 53) and np.all(np.abs(denominator) <= 2 ** 53):
        return np.asarray(numerator.astype(np.float64) / denominator.astype(np.float64), dtype=np.float64)
    return np.array([int(n) / int(d) for n, d in zip(numerator.tolist(), denominator.tolist(), strict=True)],
                    dtype=np.float64)


# ------------------------------------------------------------------------------------------
# The re-decision


@attrs.frozen(eq=False)
class _Side:
    """One side (the ``lo`` or ``hi`` cube) of the checked cells, raw (before a decrease's flip):
    the float nearest to the exact quantity (NaN when an input is missing or infinite), and the
    exact quantity as ``numerator / denominator`` where ``ok``, else in ``fractions``."""

    value: FloatArray
    numerator: Any
    denominator: Any
    ok: BoolArray
    fractions: dict[int, Fraction | None]

    def exact(self, c: int) -> Fraction | None:
        if self.ok[c]:
            return Fraction(int(self.numerator[c]), int(self.denominator[c]))
        return self.fractions.get(c)


def _side(obs: Observations, inputs: _Inputs, side: str) -> _Side:
    numerator, denominator, ok = _quantity_integers(obs, inputs, side)
    value = np.full(len(ok), np.nan)
    idx = np.flatnonzero(ok)
    if len(idx):
        value[idx] = _to_float(numerator[idx], denominator[idx])
    fractions: dict[int, Fraction | None] = {}
    rest = np.flatnonzero(~ok)
    if len(rest):
        for c, exact in zip(rest.tolist(), _quantity_fractions(obs, inputs.subset(rest), side), strict=True):
            fractions[c] = exact
            if exact is not None:
                value[c] = float(exact)
    return _Side(value, numerator, denominator, ok, fractions)


def _signs(side: _Side, atom: IntArray, bounds: AtomBounds, upper: bool, negate: BoolArray) -> IntArray:
    """sign(raw quantity - b) per cell, where b is the atom's lower (or upper) bound, negated
    where ``negate`` (a decrease compares ``-raw`` with the bound); 0 where there is no bound or
    no exact value."""
    out = np.zeros(len(atom), dtype=np.int64)
    numerators, denominators = bounds.integers[2:4] if upper else bounds.integers[0:2]
    exact_bounds = bounds.upper if upper else bounds.lower
    every = bool(side.ok.all())
    idx = np.arange(len(atom)) if every else np.flatnonzero(side.ok)
    if len(idx):
        a = atom if every else atom[idx]
        n, d = (side.numerator, side.denominator) if every else (side.numerator[idx], side.denominator[idx])
        small = bounds.integers[4][a]
        p, q = numerators[a], denominators[a]
        if n.dtype != object and small.all() and \
                float(np.max(np.abs(n), initial=0)) * float(np.max(np.abs(q), initial=0)) < _SAFE and \
                float(np.max(np.abs(d), initial=0)) * float(np.max(np.abs(p), initial=0)) < _SAFE:
            pass
        else:                 # Python integers
            p = np.array([0 if exact_bounds[x] is None else exact_bounds[x].numerator for x in a.tolist()],
                         dtype=object)
            q = np.array([1 if exact_bounds[x] is None else exact_bounds[x].denominator for x in a.tolist()],
                         dtype=object)
            n, d = n.astype(object), d.astype(object)
        left, right = n * q, d * np.where(negate if every else negate[idx], -p, p)
        signs = (left > right).astype(np.int64) - (left < right).astype(np.int64)
        if every:
            out = signs
        else:
            out[idx] = signs
    for c, exact in side.fractions.items():
        bound = exact_bounds[int(atom[c])]
        if exact is None or bound is None:
            continue
        raw = -bound if negate[c] else bound
        out[c] = (exact > raw) - (exact < raw)
    return out


def refine(plan: Plan, obs: Observations, block: Any, ind_pos: IntArray, year_pos: IntArray) -> Any:
    """``block`` (an :class:`~qualityrules.engine.evaluation.Block`) with the cells whose float
    decision could be wrong re-decided exactly: a new block, the input is not modified."""
    atoms = block.atoms
    if not len(atoms) or not block.passed.size:
        return block
    bounds = atom_bounds(plan)
    block = _redecide(plan, obs, block, bounds, ind_pos, year_pos)
    if bounds.rounded[atoms].any():
        block = _round_then_compare(plan, obs, block, bounds, ind_pos, year_pos)
    return block


def _redecide(plan: Plan, obs: Observations, block: Any, bounds: AtomBounds, ind_pos: IntArray,
              year_pos: IntArray) -> Any:
    atoms = block.atoms
    lo, hi = plan.lo[atoms], plan.hi[atoms]
    trusted = plan.simple[atoms] & bounds.short[atoms]      # float comparison is exact here
    trusted |= bounds.rounded[atoms]                         # rounded first: see _round_then_compare
    if trusted.all() and not obs.exact:       # every decision of the block is already exact
        return block
    check = np.zeros(block.passed.shape, dtype=bool)
    band: FloatArray | None = None
    if not trusted.all():
        x = np.where(np.isfinite(block.x_lo), block.x_lo, block.x_hi) if obs.censored else block.x_lo
        band = _error_band(plan, atoms, x, block.baseline, block.magnitude)
        # Near enough that the float decision could be wrong, or that the float margin (whose
        # error is the band) could show wrong digits: within 2**34 bands of a bound.
        wide = np.multiply(band, _MARGIN_BANDS)
        for end in (block.x_lo, block.x_hi) if obs.censored and block.x_hi is not block.x_lo else (block.x_lo,):
            check |= _near(end, lo, wide)
            if np.isfinite(hi).any():
                check |= _near(end, hi, wide)
        check[:, trusted] = False
    if obs.exact:
        check |= _overridden(plan, obs, atoms, ind_pos, year_pos, check.shape)
        check[:, bounds.rounded[atoms]] = False
    rows, columns = np.nonzero(check)
    if not len(rows):
        return block
    inputs = _inputs(plan, obs, atoms, rows, columns, ind_pos, year_pos)
    atom = atoms[columns]
    down = inputs.sign < 0
    raw_lo = _side(obs, inputs, "lo")
    censored = obs.censored and block.x_hi is not block.x_lo
    raw_hi = _side(obs, inputs, "hi") if censored else raw_lo
    # A decrease compares -raw: its lower end is minus the raw upper end, and
    # sign(-r - t) = -sign(r - (-t)).
    flip = np.where(down, -1, 1)
    signs = {id(side): (_signs(side, atom, bounds, False, down), _signs(side, atom, bounds, True, down))
             for side in (raw_lo, raw_hi)}
    ends = []
    for mine, other in ((raw_lo, raw_hi), (raw_hi, raw_lo)):
        source_lower = np.where(down, signs[id(other)][0], signs[id(mine)][0])
        source_upper = np.where(down, signs[id(other)][1], signs[id(mine)][1])
        value = np.where(down, -other.value, mine.value)
        ends.append((value, flip * source_lower, flip * source_upper))
    (x_lo, s_lo_lower, s_lo_upper), (x_hi, s_hi_lower, s_hi_upper) = ends
    # An infinite end (a censored value's open side) is exact as the float path has it.
    ends_given = ((x_lo, s_lo_lower, s_lo_upper, block.x_lo[rows, columns]),
                  (x_hi, s_hi_lower, s_hi_upper, block.x_hi[rows, columns])) if censored else ()
    for value, signs_lower, signs_upper, given in ends_given:
        infinite = np.isinf(given)
        value[infinite] = given[infinite]
        signs_lower[infinite] = np.sign(given[infinite]).astype(np.int64)
        signs_upper[infinite] = np.sign(given[infinite]).astype(np.int64)
    known = ~np.isnan(x_lo) & ~np.isnan(x_hi)
    keep = np.flatnonzero(known)
    if not len(keep):
        return block
    rows, columns, atom = rows[keep], columns[keep], atom[keep]
    cell_band = band[rows, columns] if band is not None else np.zeros(len(rows))
    x_lo, x_hi = x_lo[keep], x_hi[keep]
    s_lo_lower, s_hi_lower, s_lo_upper, s_hi_upper = (s[keep] for s in (s_lo_lower, s_hi_lower, s_lo_upper,
                                                                         s_hi_upper))
    lo_open = block.x_lo_open[rows, columns] if block.x_lo_open is not None else np.zeros(len(rows), dtype=bool)
    hi_open = block.x_hi_open[rows, columns] if block.x_hi_open is not None else np.zeros(len(rows), dtype=bool)
    lo_inc, hi_inc = plan.lo_inclusive[atom], plan.hi_inclusive[atom]
    has_lower, has_upper = np.isfinite(plan.lo[atom]), np.isfinite(plan.hi[atom])
    inside = ~has_lower | (s_lo_lower > 0) | ((s_lo_lower == 0) & (lo_inc | lo_open))
    inside &= ~has_upper | (s_hi_upper < 0) | ((s_hi_upper == 0) & (hi_inc | hi_open))
    outside = has_lower & ((s_hi_lower < 0) | ((s_hi_lower == 0) & (hi_open | ~lo_inc)))
    outside |= has_upper & ((s_lo_upper > 0) | ((s_lo_upper == 0) & (lo_open | ~hi_inc)))
    excluded = plan.excluded[atom]
    passed = np.where(excluded, outside, inside)
    failed = np.where(excluded, inside, outside)
    # The block's matrices are the engine's own (fresh sums, comparisons); a one-year value
    # may be a view of the observations and is copied before it changes.
    new_passed, new_unknown = block.passed, block.unknown
    new_lo = block.x_lo if block.x_lo.base is None else block.x_lo.copy()
    new_passed[rows, columns] = passed
    new_unknown[rows, columns] = ~(passed | failed)
    new_lo[rows, columns] = x_lo
    new_hi = new_lo             # exact data: one array for both ends
    if censored:
        new_hi = block.x_hi if block.x_hi.base is None else block.x_hi.copy()
        new_hi[rows, columns] = x_hi
    # Margins: from the lower end when it is finite (as the report reads it), else the upper.
    use_lo = np.isfinite(x_lo)
    s_lower = np.where(use_lo, s_lo_lower, s_hi_lower)
    s_upper = np.where(use_lo, s_lo_upper, s_hi_upper)
    value = np.where(use_lo, x_lo, x_hi)
    factor = plan.factor[atom]
    with np.errstate(invalid="ignore"):
        below = np.where(has_lower, np.where(s_lower == 0, 0.0, (value - plan.lo[atom]) * factor), np.nan)
        above = np.where(has_upper, np.where(s_upper == 0, 0.0, (plan.hi[atom] - value) * factor), np.nan)
    # Near a bound but not on it: the margin from the exact value (vectorised per atom).
    with np.errstate(invalid="ignore"):
        wide = (cell_band + 4 * _EPS * np.abs(value)) * _MARGIN_BANDS
        close_lower = has_lower & (s_lower != 0) & (np.abs(value - plan.lo[atom]) <= wide)
        close_upper = has_upper & (s_upper != 0) & (np.abs(plan.hi[atom] - value) <= wide)
    for close, out, upper in ((close_lower, below, False), (close_upper, above, True)):
        members = np.flatnonzero(close)
        for side in (raw_lo, raw_hi) if raw_hi is not raw_lo else (raw_lo,):
            chosen = members if raw_hi is raw_lo else \
                members[(side is raw_lo) == (use_lo[members] != down[keep[members]])]
            if len(chosen):
                out[chosen] = _exact_differences(plan, bounds, side, keep[chosen], down[keep[chosen]], atom[chosen],
                                                 upper)
    cells = ExactCells(rows, columns, below, above)
    return attrs.evolve(block, passed=new_passed, unknown=new_unknown, x_lo=new_lo, x_hi=new_hi, exact=cells)


_MARGIN_BANDS = 2.0 ** 34   # a float margin this many error bands from its bound is right to 10 digits


def _exact_differences(plan: Plan, bounds: AtomBounds, side: _Side, cells: IntArray, down: BoolArray,
                       atom: IntArray, upper: bool) -> FloatArray:
    """The floats nearest to ``(X - lower) * factor`` (or ``(upper - X) * factor``) for the given
    cells, ``X`` being the side's exact quantity (negated for a decrease) and ``factor`` the rule's
    unit factor: one vectorised integer computation over all the cells' atoms."""
    out = np.full(len(cells), np.nan)
    exact_bounds = bounds.upper if upper else bounds.lower
    sign = -1 if upper else 1
    chosen = np.unique(atom)
    lookup = {a: (exact_bounds[a], plan.rules[int(plan.atom_rule[a])].rule_factor
                  if plan.atom_measure[a] == VALUE else Fraction(1)) for a in chosen.tolist()}
    ok = side.ok[cells]
    if ok.any():
        where = np.searchsorted(chosen, atom[ok])
        parts = [[lookup[a][0].numerator for a in chosen.tolist()],
                 [lookup[a][0].denominator for a in chosen.tolist()],
                 [lookup[a][1].numerator for a in chosen.tolist()], [lookup[a][1].denominator for a in chosen.tolist()]]
        n, d = side.numerator[cells[ok]], side.denominator[cells[ok]]
        largest = float(max(abs(v) for values in parts for v in values))
        if n.dtype != object and max(float(np.max(np.abs(n), initial=0)), float(np.max(np.abs(d), initial=0))) \
                * largest * largest < _SAFE / 4:
            p, q, fn, fd = (np.array(values, dtype=np.int64)[where] for values in parts)
        else:
            p, q, fn, fd = (np.array(values, dtype=object)[where] for values in parts)
            n, d = n.astype(object), d.astype(object)
        flip = np.where(down[ok], -1, 1)
        out[ok] = _to_float(sign * (flip * n * q - p * d) * fn, d * q * fd)
    for k in np.flatnonzero(~ok).tolist():
        exact = side.exact(int(cells[k]))
        bound, factor = lookup[int(atom[k])]
        if exact is not None and bound is not None:
            out[k] = float(sign * ((-exact if down[k] else exact) - bound) * factor)
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
        value = value_of(float(x[r, c]))
        lower, upper = bounds.lower[a], bounds.upper[a]
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
    band = _error_band(plan, atom, np.where(np.isfinite(block.x_lo[:, columns]), block.x_lo[:, columns],
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
            inputs = _inputs(plan, obs, atoms, rows, columns[cols], ind_pos, year_pos)
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
