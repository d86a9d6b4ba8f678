"""Mid-term review (中期评估): from the data up to an as-of year, how every target whose year lies
later is going — vectorised over regions x atoms like :mod:`.evaluation` (one step per atom
group, never one per region). The method, its thresholds and its anchors are documented in
``docs/midterm-review.rst``.

For each region and each atom reported after the as-of year:

* **level targets** (a value, or a change against a baseline year; the level ``较2015年下降18.5%``
  asks for is baseline x (1 - 0.185), ``提高5个百分点`` baseline + 5): from the base year ``s``
  (the baseline year of a change, else the first year with a value from the year before the
  origin pack's period starts) to the latest year ``t`` with a value, the observed average
  annual change; to the target level ``L`` in the target year ``Y``, the required one (from
  ``s``) and the one now needed (from ``t``); the anticipated value at ``Y``. Compound
  (``(v_t/v_s)^(1/(t-s)) - 1``) for values and relative changes; linear (per year) for
  百分点 changes and, said so, where compound growth is undefined (a value or ``L`` not
  positive). A growth-rate indicator (its values are rates already) compares its mean observed
  rate with the target directly.
* **cumulative targets**: the running sum ``S`` over the ``e`` elapsed years of the ``N``-year
  period; observed mean flow ``S/e`` against the required ``L/N`` (their ratio is the running sum
  over the pro-rata share, 时间过半、任务过半); anticipated total ``S·N/e``.
* **every-year targets**: a year failed so far puts the target off track; otherwise the latest
  value must meet it and the projection must still meet it in the year assessed.

Status: achieved (the latest value, or the running sum, already meets the target), on track /
at risk / off track by the progress ratio against the review's boundaries, insufficient data
(with its reason). The ratio is observed ÷ required annual change (Eurostat, Open SDG) or, with
the ``projection`` method, projected ÷ required progress (UNSD); when the base year already met
the target (so nothing was "required" from it) the change needed from the latest year is the
reference. Ratios within a few ulps of a boundary are re-decided exactly (rational arithmetic,
exact roots where they exist, else 80 significant digits).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from decimal import Context, Decimal, localcontext
from fractions import Fraction
from typing import Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from ..language import model as m
from ..packs.resolve import Interval, Measure, Pack, growth_rate
from ..tables.observations import Observations
from .evaluation import Evaluation, _decide
from .plan import POINT_CHANGE, RELATIVE_CHANGE, VALUE, Plan

__all__ = ["Assessment", "assess", "paths", "STATUSES", "PATHS", "Reason",
           "ACHIEVED", "ON_TRACK", "INSUFFICIENT", "AT_RISK", "OFF_TRACK", "COMPOUND", "LINEAR", "FLOW", "RATE"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Statuses, ordered so that a target's status over several assessed years is the worst (maximum).
ACHIEVED, ON_TRACK, INSUFFICIENT, AT_RISK, OFF_TRACK = 0, 1, 2, 3, 4
STATUSES = ("achieved", "on-track", "insufficient-data", "at-risk", "off-track")

# How the annual change is measured.
COMPOUND, LINEAR, FLOW, RATE = 0, 1, 2, 3
PATHS = ("compound", "linear", "flow", "rate")


class Reason(enum.IntEnum):
    """Why a status is what it is, beyond the ratio (0: nothing to add)."""

    NONE = 0
    NOT_IN_DATA = 1          # the indicator is not in the data
    FEW_YEARS = 2            # fewer than 2 years with a value from the base year to the as-of year
    NO_BASELINE = 3          # the baseline year of a change has no value
    BASELINE_NOT_POSITIVE = 4  # a relative change of a baseline <= 0 is undefined
    CENSORED = 5             # a value used is censored (<3, ≥98): no trend from a bound
    LINEAR_FALLBACK = 6      # compound growth undefined (a value or the target <= 0): linear
    BASE_PAST_TARGET = 7     # the base year already met the target: reference = change needed now
    MISSING_YEAR = 8         # a year of a running sum has no value
    FAILED_YEARS = 9         # an every-year target already failed in a year so far
    PROJECTED_MISS = 10      # an every-year target met now, but the projection misses it
    EXCEEDED = 11            # a running sum already above the target's upper bound
    PROJECTED_EXCEED = 12    # a running sum in range now, projected above the upper bound
    NOT_ASSESSABLE = 13      # a ≠ target (no path leads to it), or a sum target not above 0
    NOT_STARTED = 14         # the cumulative period has not begun by the as-of year


_TIE = 1e-9            # relative distance of a ratio to a boundary that triggers the exact re-check
_DIGITS = 80           # precision of the re-check when a root is irrational
_EQUAL = Decimal("1e-60")


@attrs.frozen(eq=False)
class Assessment:
    """The review of the atoms reported after ``as_of``. Per-cell arrays are ``[region, k]`` for
    the ``k``-th assessed atom (``atoms[k]``, at column ``columns[k]`` of the evaluation). Levels
    are in the indicator's unit; annual changes are fractions per year (compound: 0.05 = +5 %/yr),
    the indicator's unit per year (linear, flow) or the rate itself (rate)."""

    as_of: int
    review: m.Review
    columns: IntArray
    atoms: IntArray
    due: IntArray                  # per atom: the year it is due (the target year)
    status: npt.NDArray[np.int8]
    reason: npt.NDArray[np.int8]
    path: npt.NDArray[np.int8]
    base_year: IntArray            # -1 when none (cumulative: the period's first year)
    latest_year: IntArray          # -1 when none (cumulative: the last elapsed year)
    base_value: FloatArray         # v_s (cumulative: NaN)
    latest_value: FloatArray       # v_t (cumulative: the running sum S)
    target_value: FloatArray       # L, the level (or total) to reach
    anticipated: FloatArray        # the value (or total) the observed change leads to in the target year
    observed: FloatArray
    required: FloatArray           # from the base year (cumulative: L/N)
    needed: FloatArray             # from the latest year to the target year
    growth_ratio: FloatArray       # observed ÷ required (or ÷ needed when the base already met it)
    projected_ratio: FloatArray    # (anticipated - reference) ÷ (L - reference)
    elapsed: IntArray              # per atom: cumulative period years up to as_of (else 0)
    period: IntArray               # per atom: cumulative period length (else 0)

    @property
    def ratio(self) -> FloatArray:
        """The ratio the review's method classifies."""
        return self.projected_ratio if self.review.method is m.ReviewMethod.PROJECTION else self.growth_ratio


def assess(evaluation: Evaluation, as_of: int, review: m.Review) -> Assessment:
    """Review every atom of ``evaluation`` reported after ``as_of`` from its observations (which
    must not extend past ``as_of``: see :meth:`~qualityrules.tables.observations.Observations.until`)."""
    plan, obs = evaluation.plan, evaluation.obs
    due = np.flatnonzero(plan.atom_year[evaluation.atoms] > as_of).astype(np.int64)
    kinds = np.array([plan.rules[k].kind for k in plan.atom_rule[evaluation.atoms[due]]], dtype=object)
    # level targets first, then sums: each group's arrays are side by side, no interleaving copy
    columns = np.concatenate([due[kinds != "cumulative"], due[kinds == "cumulative"]])
    atoms = evaluation.atoms[columns]
    known = obs._indicator_index
    ind = np.array([known.get(plan.indicators[i], -1) for i in plan.atom_indicator[atoms]], dtype=np.int64)
    cumulative = np.array([plan.rules[k].kind == "cumulative" for k in plan.atom_rule[atoms]], dtype=bool)
    regions = len(obs.regions)
    parts = []
    level = np.flatnonzero(~cumulative)
    if len(level):
        every_year = np.array([plan.rules[k].kind == "every-year" for k in plan.atom_rule[atoms[level]]], dtype=bool)
        failed = _failed_so_far(evaluation, columns[level], as_of)
        parts.append(_Cells.stacked([   # one step per block of rows (cache-sized), not per region
            _levels(plan, _Cube.of(obs, ind[level], rows), atoms[level], as_of, review, failed[rows], every_year,
                    ind[level] < 0) for rows in _row_blocks(regions)], len(level)))
    sums = np.flatnonzero(cumulative)
    if len(sums):
        parts.append(_Cells.stacked([
            _sums(plan, _Cube.of(obs, ind[sums], rows), atoms[sums], as_of, review, ind[sums] < 0)
            for rows in _row_blocks(regions)], len(sums)))
    cells = _Cells.joined(parts, regions)
    return Assessment(as_of, review, columns, atoms, plan.atom_year[atoms], **attrs.asdict(cells, recurse=False))


# ------------------------------------------------------------------------------------------
# Containers


@attrs.define
class _Cells:
    status: npt.NDArray[np.int8]
    reason: npt.NDArray[np.int8]
    path: npt.NDArray[np.int8]
    base_year: IntArray
    latest_year: IntArray
    base_value: FloatArray
    latest_value: FloatArray
    target_value: FloatArray
    anticipated: FloatArray
    observed: FloatArray
    required: FloatArray
    needed: FloatArray
    growth_ratio: FloatArray
    projected_ratio: FloatArray
    elapsed: IntArray
    period: IntArray

    @classmethod
    def stacked(cls, blocks: list[_Cells], atoms: int) -> _Cells:
        """Blocks of rows one under the other (per-atom arrays from the first)."""
        if len(blocks) == 1:
            return blocks[0]
        if not blocks:
            return cls.joined([], 0, atoms)
        return cls(**{field.name: getattr(blocks[0], field.name) if field.name in ("elapsed", "period")
                      else np.concatenate([getattr(b, field.name) for b in blocks], axis=0)
                      for field in attrs.fields(cls)})

    @classmethod
    def joined(cls, parts: list[_Cells], regions: int, atoms: int = 0) -> _Cells:
        """The groups' cells side by side (per-cell arrays along atoms, per-atom arrays too)."""
        if len(parts) == 1:
            return parts[0]
        if not parts:
            empty: dict[str, Any] = {}
            for field in attrs.fields(cls):
                per_atom = field.name in ("elapsed", "period")
                dtype = np.int8 if field.name in ("status", "reason", "path") else \
                    np.int64 if field.name in ("base_year", "latest_year", "elapsed", "period") else np.float64
                empty[field.name] = np.zeros(atoms if per_atom else (regions, atoms), dtype=dtype)
            return cls(**empty)
        return cls(**{field.name: np.concatenate([getattr(p, field.name) for p in parts],
                                                 axis=0 if field.name in ("elapsed", "period") else 1)
                      for field in attrs.fields(cls)})


@attrs.frozen
class _Cube:
    """The values an assessment reads, year-major: ``[year, region, k]`` for the k-th atom's
    indicator, each year's plane contiguous (the steps below go year by year, a handful of planes)."""

    years: IntArray
    values: FloatArray        # lower end for a censored value
    present: BoolArray
    exact: BoolArray
    upper: FloatArray         # upper end (``values`` itself for exact data)

    @classmethod
    def of(cls, obs: Observations, ind: IntArray, rows: slice) -> _Cube:
        """The observations of indicators ``ind`` (-1: not in the data) for regions ``rows``."""
        spots = np.maximum(ind, 0)
        n_rows = len(range(*rows.indices(len(obs.regions))))
        chosen = [obs.values[i] if obs.values else None for i in spots.tolist()]

        def gather(part: str, fill: Any) -> npt.NDArray[Any]:
            """``[year, region, k]`` of each chosen indicator's ``part`` (``fill`` where it has none)."""
            out = np.empty((len(obs.years), n_rows, len(ind)), dtype=type(fill))
            for k, column in enumerate(chosen):
                array = None if column is None else getattr(column, part)
                out[:, :, k] = fill if array is None else array[rows].T
            return out

        values = gather("lo", np.nan)
        present = ~np.isnan(values)
        if (ind < 0).any():
            present[:, :, ind < 0] = False
        if not any(v is not None and v.censored for v in chosen):
            return cls(obs.years, values, present, present, values)
        upper = gather("hi", np.nan)
        exact = present & (values == upper) & ~gather("lo_open", False) & ~gather("hi_open", False)
        return cls(obs.years, values, present, exact, upper)


_ROWS = 2048   # regions per block: a block's [region, atom] temporaries stay in the CPU cache


def _row_blocks(regions: int) -> list[slice]:
    return [slice(start, min(start + _ROWS, regions)) for start in range(0, regions, _ROWS)] or [slice(0, 0)]


def _failed_so_far(evaluation: Evaluation, columns: IntArray, as_of: int) -> BoolArray:
    """``[region, k]``: an earlier year (up to ``as_of``) of the k-th assessed atom's rule failed."""
    plan = evaluation.plan
    atoms = evaluation.atoms
    rule_of = plan.atom_rule[atoms]
    past = plan.atom_year[atoms] <= as_of
    failed = np.zeros((len(evaluation.obs.regions), len(columns)), dtype=bool)
    by_rule: dict[int, BoolArray] = {}
    for k, column in enumerate(columns.tolist()):      # one step per assessed atom, not per region
        rule = int(rule_of[column])
        if rule not in by_rule:
            earlier = np.flatnonzero(past & (rule_of == rule))
            by_rule[rule] = (~evaluation.passed[:, earlier] & ~evaluation.unknown[:, earlier]).any(axis=1) \
                if len(earlier) else np.zeros(len(evaluation.obs.regions), dtype=bool)
        failed[:, k] = by_rule[rule]
    return failed


def _base_years(plan: Plan, atoms: IntArray) -> IntArray:
    """Per atom, the first year the review reads: a change's baseline year; else the year before
    the origin pack's period starts (a plan's starting point); else no limit."""
    start_of: dict[str, int] = {}
    for pack in plan.pack.lineage():
        start_of[pack.id] = _period_start(pack)
    result = np.empty(len(atoms), dtype=np.int64)
    for k, atom in enumerate(atoms.tolist()):
        rule = plan.rules[int(plan.atom_rule[atom])]
        result[k] = rule.baseline if rule.baseline is not None else start_of.get(rule.origin, np.iinfo(np.int64).min)
    return result


def _period_start(pack: Pack) -> int:
    period = pack.period
    return period.start - 1 if period is not None else int(np.iinfo(np.int64).min)


# ------------------------------------------------------------------------------------------
# Level targets: a value, or a change against a baseline year, in a later year


def _levels(plan: Plan, cube: _Cube, atoms: IntArray, as_of: int, review: m.Review, failed: BoolArray,
            every_year: BoolArray, absent: BoolArray) -> _Cells:
    years = cube.years
    n_years = len(years)
    regions = cube.values.shape[1]
    start = _base_years(plan, atoms)
    measure = plan.atom_measure[atoms]
    change = measure != VALUE
    relative = measure == RELATIVE_CHANGE
    points = measure == POINT_CHANGE
    sign = plan.atom_sign[atoms]
    target_year = plan.atom_year[atoms]
    rate = np.array([growth_rate(plan.rules[int(plan.atom_rule[a])].indicator) for a in atoms.tolist()], dtype=bool)
    window = (years[:, None] >= start[None, :]) & (years[:, None] <= as_of)
    shape = (regions, len(atoms))
    # first (base) and last (latest) year with a value, read year by year
    v_s, v_t, v_t_hi = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    exact_s, exact_t, has = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
    s_year, t_year = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
    count = np.zeros(shape, dtype=np.int64)
    rate_sum = np.zeros(shape) if rate.any() else None
    for y in range(n_years):     # one step per year up to as_of (a plan's few years), not per region
        seen = cube.present[y] & window[y]
        first = seen & ~has
        np.copyto(v_s, cube.values[y], where=first)
        np.copyto(exact_s, cube.exact[y], where=first)
        np.copyto(s_year, years[y], where=first)
        np.copyto(v_t, cube.values[y], where=seen)
        np.copyto(v_t_hi, cube.upper[y], where=seen)
        np.copyto(exact_t, cube.exact[y], where=seen)
        np.copyto(t_year, years[y], where=seen)
        has |= seen
        count += seen
        if rate_sum is not None:
            np.add(rate_sum, cube.values[y], out=rate_sum, where=seen)
    baseline_missing = change & ~(has & (s_year == start))
    b = np.where(change & ~baseline_missing & exact_s, v_s, np.nan)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        b = np.where(relative & ~(b > 0), np.nan, b)
        now = _measure_of(v_t, b, relative, change, sign)
        lo_open = np.zeros(now.shape, dtype=bool)
        met, _ = _decide(plan, atoms, np.where(change, now, v_t), np.where(change, now, v_t_hi), lo_open,
                         lo_open)
        met &= has & (exact_t | ~change)   # a change from a censored latest value is not known
        lo, hi = plan.lo[atoms], plan.hi[atoms]
        below = (now < lo) | ((now == lo) & ~plan.lo_inclusive[atoms])
        above = (now > hi) | ((now == hi) & ~plan.hi_inclusive[atoms])
        # the bound to reach: the one the value is short of; inside, the lower one if there is one
        bound = np.where(below, lo, np.where(above | ~np.isfinite(lo), hi, lo))
        target = _level_of(bound, b, relative, change, sign)
        direction = np.where(below, 1.0, -1.0) * np.where(change, sign, 1.0)
        span_seen = (t_year - s_year).astype(np.float64)
        span_base = (target_year - s_year).astype(np.float64)
        span_now = (target_year - t_year).astype(np.float64)
        compound = ~points & ~rate & (v_s > 0) & (v_t > 0) & (target > 0)
        # compound growth through logarithms, shared: two logs and four exponentials per cell
        log_seen = np.log(v_t / v_s)
        log_goal = np.log(target / v_s)
        g_obs = np.expm1(log_seen / span_seen)
        g_req = np.expm1(log_goal / span_base)
        g_need = np.expm1((log_goal - log_seen) / span_now)
        d_obs = (v_t - v_s) / span_seen
        d_req = (target - v_s) / span_base
        d_need = (target - v_t) / span_now
        observed = np.where(compound, g_obs, d_obs)
        required = np.where(compound, g_req, d_req)
        needed = np.where(compound, g_need, d_need)
        anticipated = np.where(compound, v_t * np.exp(log_seen * (span_now / span_seen)), v_t + d_obs * span_now)
        rate_ok = np.zeros(observed.shape, dtype=bool)
        if rate.any():       # a rate's mean is compared with the target rate directly
            assert rate_sum is not None
            mean_rate = rate_sum / count
            rate_ok = rate & (target > 0) & ((direction > 0) | (mean_rate > 0))
            observed = np.where(rate_ok, mean_rate, observed)
            required = np.where(rate_ok, target, required)
            needed = np.where(rate_ok, target, needed)
            anticipated = np.where(rate_ok, mean_rate, anticipated)
        base_past = ~rate_ok & (required * direction <= 0)
        reference = np.where(base_past, needed, required)
        growth = _ratio(observed, reference, direction)
        start_value = np.where(base_past, v_t, v_s)
        projected = _ratio(anticipated - start_value, target - start_value, direction)
        if rate_ok.any():
            growth = np.where(rate_ok & (direction < 0), _ratio(target, observed, np.ones_like(direction)), growth)
            projected = np.where(rate_ok, growth, projected)
        anticipated_measure = _measure_of(anticipated, b, relative, change, sign)
        holds, _ = _decide(plan, atoms, anticipated_measure, anticipated_measure, lo_open, lo_open)
    path = np.broadcast_to(np.where(compound, COMPOUND, np.where(rate_ok, RATE, LINEAR)).astype(np.int8),
                           (regions, len(atoms)))
    # A change now, or a projection, exactly on a bound is decided exactly (float arithmetic may
    # land either side of it): the value as given, the baseline as given, exact roots where rational.
    readable = has & exact_t & exact_s & ~(change & np.isnan(b))
    for decided_here, quantity, projecting in ((met, now, False), (holds, anticipated_measure, True)):
        candidates = readable & (np.broadcast_to(every_year, readable.shape) & (count >= 2) & (path != RATE)
                                 if projecting else change)
        ties = candidates & _on_a_bound(quantity, plan.lo[atoms], plan.hi[atoms])
        for r, k in np.argwhere(ties).tolist():      # only the cells at a tie
            decided_here[r, k] = _exact_inside(plan, int(atoms[k]), cube, r, k, int(s_year[r, k]), int(t_year[r, k]),
                                               int(target_year[k]), int(path[r, k]) if projecting else -1)
    ratio = projected if review.method is m.ReviewMethod.PROJECTION else growth
    by_ratio = _classify(ratio, review)
    excluded = np.broadcast_to(plan.excluded[atoms], (regions, len(atoms)))
    every = np.broadcast_to(every_year, (regions, len(atoms)))
    steps: list[tuple[BoolArray, int, Reason]] = [
        (np.broadcast_to(absent, (regions, len(atoms))), INSUFFICIENT, Reason.NOT_IN_DATA),
        (every & failed, OFF_TRACK, Reason.FAILED_YEARS),
        (change & baseline_missing, INSUFFICIENT, Reason.NO_BASELINE),
        (change & ~exact_s, INSUFFICIENT, Reason.CENSORED),
        (relative & np.isnan(b), INSUFFICIENT, Reason.BASELINE_NOT_POSITIVE),
        (~has, INSUFFICIENT, Reason.FEW_YEARS),
        (met & ~every, ACHIEVED, Reason.NONE),
        (~exact_t, INSUFFICIENT, Reason.CENSORED),
        (np.less(count, 2), INSUFFICIENT, Reason.FEW_YEARS),
        (~exact_s, INSUFFICIENT, Reason.CENSORED),
        (excluded, INSUFFICIENT, Reason.NOT_ASSESSABLE),
        (every & met & holds, ON_TRACK, Reason.NONE),
        (every & met, AT_RISK, Reason.PROJECTED_MISS),
    ]
    status, reason, decided = _first_step(steps, by_ratio)
    reason = np.where((status == ACHIEVED) & ~exact_t, np.int8(Reason.CENSORED), reason).astype(np.int8)
    trend = exact_s & exact_t & has       # no trend, projection or ratio from a bound
    for values in (observed, required, needed, anticipated, growth, projected):
        values[~trend] = np.nan
    fallback = ~compound & ~points & ~rate_ok
    reason = np.where(decided & (reason == Reason.NONE) & base_past, Reason.BASE_PAST_TARGET, reason)
    reason = np.where(decided & (reason == Reason.NONE) & fallback, Reason.LINEAR_FALLBACK, reason).astype(np.int8)
    ties = decided & _near_boundary(ratio, review)
    if ties.any():
        exact_status = _recheck_levels(plan, cube, atoms, np.argwhere(ties), window, direction, s_year, t_year, b,
                                       bound, base_past, path, target_year, review)
        status[ties] = exact_status
    return _Cells(status=status, reason=reason, path=np.ascontiguousarray(path), base_year=np.where(has, s_year, -1),
                  latest_year=np.where(has, t_year, -1), base_value=v_s, latest_value=v_t,
                  target_value=np.broadcast_to(target, shape).copy(), anticipated=anticipated, observed=observed,
                  required=required, needed=needed, growth_ratio=growth, projected_ratio=projected,
                  elapsed=np.zeros(shape[1], dtype=np.int64), period=np.zeros(shape[1], dtype=np.int64))


def _measure_of(level: FloatArray, b: FloatArray, relative: BoolArray, change: BoolArray,
                sign: FloatArray) -> FloatArray:
    """The quantity a target compares for a level: the level itself, or its change since the
    baseline (in %, or in the unit), signed by the change's direction (computed on the change
    columns only)."""
    if not change.any():
        return level
    result = level.copy()
    c = np.flatnonzero(change)
    difference = sign[c] * (level[:, c] - b[:, c])
    result[:, c] = np.where(relative[c], difference / b[:, c] * 100.0, difference)
    return result


def _level_of(bound: FloatArray, b: FloatArray, relative: BoolArray, change: BoolArray,
              sign: FloatArray) -> FloatArray:
    """The level at which the compared quantity equals ``bound`` (inverse of :func:`_measure_of`)."""
    if not change.any():
        return bound
    result = bound.copy()
    c = np.flatnonzero(change)
    result[:, c] = np.where(relative[c], b[:, c] * (1 + sign[c] * bound[:, c] / 100.0), b[:, c] + sign[c] * bound[:, c])
    return result


def _ratio(numerator: FloatArray, denominator: FloatArray, direction: FloatArray) -> FloatArray:
    """``numerator / denominator``; where nothing more was needed (denominator 0), +inf if the
    numerator moves the right way and -inf if it does not move or moves away."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.asarray(numerator / denominator, dtype=np.float64)
    zero = np.broadcast_to(denominator == 0, ratio.shape)
    if zero.any():
        moving = np.broadcast_to(numerator * direction, ratio.shape)[zero]
        ratio[zero] = np.where(moving > 0, np.inf, -np.inf)
    return ratio


def _classify(ratio: FloatArray, review: m.Review) -> npt.NDArray[np.int8]:
    on_track, at_risk = (float(x) for x in review.thresholds)
    return np.where(ratio >= on_track, ON_TRACK, np.where(ratio >= at_risk, AT_RISK, OFF_TRACK)).astype(np.int8)


def _near_boundary(ratio: FloatArray, review: m.Review) -> BoolArray:
    near = np.zeros(ratio.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        for boundary in (float(x) for x in review.thresholds):
            near |= np.abs(ratio - boundary) <= _TIE * max(1.0, abs(boundary))
    return near


def _first_step(steps: list[tuple[BoolArray, int, Reason]],
                by_ratio: npt.NDArray[np.int8]) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8], BoolArray]:
    """Status and reason from the first step that applies (else the ratio's class), and where
    the ratio decided."""
    conditions = [condition for condition, _, _ in steps]
    status = np.select(conditions, [np.int8(s) for _, s, _ in steps], default=by_ratio).astype(np.int8)
    reason = np.select(conditions, [np.int8(r) for _, _, r in steps], default=np.int8(Reason.NONE)).astype(np.int8)
    decided = ~np.logical_or.reduce(conditions) if conditions else np.ones(status.shape, dtype=bool)
    return status, reason, np.asarray(decided, dtype=bool)


# ------------------------------------------------------------------------------------------
# Cumulative targets: a sum over the period


def _sums(plan: Plan, cube: _Cube, atoms: IntArray, as_of: int, review: m.Review, absent: BoolArray) -> _Cells:
    years = cube.years
    period_years = [plan.years[plan.atom_sum_years[a][plan.atom_sum_years[a] >= 0]] for a in atoms.tolist()]
    elapsed = np.array([int((p <= as_of).sum()) for p in period_years], dtype=np.int64)
    length = np.array([len(p) for p in period_years], dtype=np.int64)
    inside = np.stack([np.isin(years, p[p <= as_of]) for p in period_years], axis=1) if len(years) \
        else np.zeros((0, len(atoms)), dtype=bool)
    shape = (cube.values.shape[1], len(atoms))
    total, got = np.zeros(shape), np.zeros(shape, dtype=np.int64)
    censored = np.zeros(shape, dtype=bool)
    for y in range(len(years)):      # one step per year up to as_of, not per region
        seen = cube.present[y] & inside[y]
        np.add(total, cube.values[y], out=total, where=seen)
        got += seen
        censored |= seen & ~cube.exact[y]
    complete = np.equal(got, elapsed)
    lo, hi = plan.lo[atoms], plan.hi[atoms]
    with np.errstate(invalid="ignore", divide="ignore"):
        has_lower = np.isfinite(lo)
        exceeded = (total > hi) | ((total == hi) & ~plan.hi_inclusive[atoms])
        lower_met = has_lower & ((total > lo) | ((total == lo) & plan.lo_inclusive[atoms]))
        target = np.where(has_lower, lo, hi)
        observed = total / elapsed
        required = target / length
        anticipated = total * length / elapsed
        needed = (target - total) / (length - elapsed)
        above = (anticipated > hi) | ((anticipated == hi) & ~plan.hi_inclusive[atoms])
        budget = _ratio(required, observed, np.ones(total.shape))     # ≤ targets: allowed ÷ observed flow
        ratio = np.where(has_lower, _ratio(observed, required, np.ones(total.shape)), budget)
    steps: list[tuple[BoolArray, int, Reason]] = [
        (np.broadcast_to(absent, total.shape), INSUFFICIENT, Reason.NOT_IN_DATA),
        (np.broadcast_to(elapsed == 0, total.shape), INSUFFICIENT, Reason.NOT_STARTED),
        (~complete, INSUFFICIENT, Reason.MISSING_YEAR),
        (censored, INSUFFICIENT, Reason.CENSORED),
        (exceeded, OFF_TRACK, Reason.EXCEEDED),
        (lower_met & ~above, ACHIEVED, Reason.NONE),
        (lower_met, AT_RISK, Reason.PROJECTED_EXCEED),
        (np.broadcast_to(elapsed < 2, total.shape), INSUFFICIENT, Reason.FEW_YEARS),
        (np.broadcast_to(plan.excluded[atoms] | ~(target > 0), total.shape), INSUFFICIENT, Reason.NOT_ASSESSABLE),
    ]
    status, reason, decided = _first_step(steps, _classify(ratio, review))
    ties = decided & _near_boundary(ratio, review)
    if ties.any():
        status[ties] = _recheck_sums(plan, cube, atoms, inside, np.argwhere(ties), has_lower, elapsed, length, review)
    first_year = np.array([int(p[0]) if len(p) else -1 for p in period_years], dtype=np.int64)
    last_year = np.array([int(p[p <= as_of][-1]) if (p <= as_of).any() else -1 for p in period_years],
                         dtype=np.int64)
    return _Cells(status=status, reason=reason, path=np.full(shape, FLOW, dtype=np.int8),
                  base_year=np.repeat(first_year[None, :], shape[0], axis=0),
                  latest_year=np.repeat(last_year[None, :], shape[0], axis=0),
                  base_value=np.full(shape, np.nan), latest_value=np.where(complete, total, np.nan),
                  target_value=np.repeat(target[None, :], shape[0], axis=0), anticipated=anticipated,
                  observed=observed, required=np.repeat(required[None, :], shape[0], axis=0), needed=needed,
                  growth_ratio=ratio, projected_ratio=ratio.copy(), elapsed=elapsed, period=length)


# ------------------------------------------------------------------------------------------
# Exact re-check of ratios within a few ulps of a class boundary


def _exact(x: float) -> Fraction:
    """A float as the shortest decimal that round-trips (the value as the data gave it)."""
    return Fraction(Decimal(repr(float(x))))


def _root(q: Fraction, n: int) -> Fraction | None:
    """The exact positive n-th root of ``q > 0`` when it is rational, else None."""
    if n == 1:
        return q
    parts = []
    for whole in (q.numerator, q.denominator):
        guess = round(whole ** (1.0 / n)) if whole < 2 ** 1000 else _iroot(whole, n)
        root = next((c for c in (guess - 1, guess, guess + 1) if c >= 0 and c ** n == whole), None)
        if root is None:
            return None
        parts.append(root)
    return Fraction(parts[0], parts[1])


def _iroot(whole: int, n: int) -> int:
    """floor(whole ** (1/n)) for big integers (Newton's method)."""
    x = 1 << ((whole.bit_length() + n - 1) // n)
    while True:
        y = ((n - 1) * x + whole // x ** (n - 1)) // n
        if y >= x:
            return x
        x = y


_Number = Fraction | Decimal


def _decimal(x: _Number) -> Decimal:
    if isinstance(x, Decimal):
        return x
    context = Context(prec=_DIGITS)
    return context.divide(Decimal(x.numerator), Decimal(x.denominator))


def _power(q: Fraction, numerator: int, denominator: int) -> _Number:
    """``q ** (numerator/denominator)`` for q > 0: exact when the root is rational."""
    root = _root(q, denominator)
    if root is not None:
        return root ** numerator
    context = Context(prec=_DIGITS)
    return context.power(_decimal(q), context.divide(Decimal(numerator), Decimal(denominator)))


def _class_of(ratio: _Number, review: m.Review) -> int:
    """The ratio's class; a ratio equal to a boundary (exactly, or to 60 digits when a root is
    irrational) belongs to the better class."""
    on_track, at_risk = review.thresholds
    if _at_least(ratio, on_track):
        return ON_TRACK
    return AT_RISK if _at_least(ratio, at_risk) else OFF_TRACK


def _at_least(ratio: _Number, boundary: Decimal) -> bool:
    if isinstance(ratio, Fraction):
        return ratio >= Fraction(boundary)
    return ratio - boundary >= -_EQUAL


def _exactly(formula: Callable[..., Any], *parts: _Number) -> _Number:
    """``formula(*parts)`` in Fractions when every part is one, else in 80-digit Decimals."""
    if all(isinstance(p, Fraction) for p in parts):
        return cast(Fraction, formula(*parts))
    with localcontext(Context(prec=_DIGITS)):
        return cast(Decimal, formula(*(_decimal(p) for p in parts)))


def _exact_bound(plan: Plan, atom: int, upper: bool) -> Fraction:
    interval = plan.rules[int(plan.atom_rule[atom])].interval
    bound = interval.upper if upper else interval.lower
    assert bound is not None
    return bound


def _on_a_bound(x: FloatArray, lo: FloatArray, hi: FloatArray) -> BoolArray:
    """Cells whose float ``x`` lies within a few ulps of a finite bound of their target."""
    near = np.zeros(x.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        for bound in (lo, hi):
            finite = np.isfinite(bound)
            near |= finite & (np.abs(x - np.where(finite, bound, 0.0)) <= _TIE * np.maximum(1.0, np.abs(bound)))
    return near


def _exact_inside(plan: Plan, atom: int, cube: _Cube, r: int, k: int, base_year: int, latest_year: int,
                  target_year: int, path: int) -> bool:
    """Whether the latest value (``path`` -1), or its projection to ``target_year`` along ``path``
    (compound or linear),
    meets the atom's target, in exact arithmetic: the values and the baseline as given, exact
    roots where rational (else 80 digits, a difference below 1e-60 counting as equality)."""
    rule = plan.rules[int(plan.atom_rule[atom])]
    years = cube.years.tolist()
    v_s = _exact(cube.values[years.index(base_year), r, k])
    v_t = _exact(cube.values[years.index(latest_year), r, k])
    level: _Number = v_t
    if path == COMPOUND:
        level = _exactly(lambda v, growth: v * growth, v_t,
                         _power(v_t / v_s, target_year - latest_year, latest_year - base_year))
    elif path == LINEAR:
        level = v_t + (v_t - v_s) * Fraction(target_year - latest_year, latest_year - base_year)
    measure = level
    if rule.measure is not Measure.VALUE:
        difference = _exactly(lambda x, b: rule.change_sign * (x - b), level, v_s)
        measure = difference if rule.measure is Measure.POINT_CHANGE else _exactly(lambda d, b: d / b * 100,
                                                                                   difference, v_s)
    return _contains(rule.interval, measure)


def _contains(interval: Interval, x: _Number) -> bool:
    if isinstance(x, Decimal):     # irrational: equal to a bound when within 60 digits of it
        close = [bound for bound in (interval.lower, interval.upper)
                 if bound is not None and abs(x - _decimal(bound)) < _EQUAL]
        x = close[0] if close else Fraction(x)
    return interval.contains(x)


def _recheck_levels(plan: Plan, cube: _Cube, atoms: IntArray, cells: IntArray, window: BoolArray,
                    direction: FloatArray, base_year: IntArray, latest_year: IntArray,
                    b: FloatArray, bound: FloatArray, base_past: BoolArray, path: npt.NDArray[np.int8],
                    target_year: IntArray, review: m.Review) -> list[int]:
    """The exact class of level-target cells whose float ratio lies on a boundary."""
    statuses = []
    for r, k in cells.tolist():         # only the cells at a tie
        atom = int(atoms[k])
        measure = int(plan.atom_measure[atom])
        s_year, t_year, year = int(base_year[r, k]), int(latest_year[r, k]), int(target_year[k])
        s, t = int(np.searchsorted(cube.years, s_year)), int(np.searchsorted(cube.years, t_year))
        v_s, v_t = _exact(cube.values[s, r, k]), _exact(cube.values[t, r, k])
        upper = bool(bound[r, k] == plan.hi[atom]) and not bool(bound[r, k] == plan.lo[atom])
        q = _exact_bound(plan, atom, upper)
        sign = int(plan.atom_sign[atom])
        if measure == VALUE:
            target = q
        elif measure == RELATIVE_CHANGE:
            target = _exact(b[r, k]) * (1 + sign * q / 100)
        else:
            target = _exact(b[r, k]) + sign * q
        ref_value, ref_year = (v_t, t_year) if base_past[r, k] else (v_s, s_year)
        if int(path[r, k]) == RATE:
            rates = [_exact(v) for v in cube.values[cube.present[:, r, k] & window[:, k], r, k].tolist()]
            mean = sum(rates, Fraction(0)) / len(rates)
            ratio: _Number = mean / target if direction[r, k] > 0 else target / mean
        elif int(path[r, k]) == COMPOUND:
            x = _power(v_t / v_s, 1, t_year - s_year)          # observed growth factor
            y = _power(target / ref_value, 1, year - ref_year)  # required (or needed) factor
            if review.method is m.ReviewMethod.PROJECTION:
                growth = _power(v_t / v_s, year - t_year, t_year - s_year)
                ratio = _exactly(lambda a, v, ref, goal: (v * a - ref) / (goal - ref), growth, v_t, ref_value, target)
            else:
                ratio = _exactly(lambda x, y: (x - 1) / (y - 1), x, y)
        else:
            observed = (v_t - v_s) / (t_year - s_year)
            required = (target - ref_value) / (year - ref_year)
            ratio = observed / required if review.method is m.ReviewMethod.GROWTH else \
                (v_t + observed * (year - t_year) - ref_value) / (target - ref_value)
        statuses.append(_class_of(ratio, review))
    return statuses


def _recheck_sums(plan: Plan, cube: _Cube, atoms: IntArray, inside: BoolArray, cells: IntArray,
                  has_lower: BoolArray, elapsed: IntArray, length: IntArray, review: m.Review) -> list[int]:
    statuses = []
    for r, k in cells.tolist():         # only the cells at a tie
        atom = int(atoms[k])
        total = sum((_exact(v) for v in cube.values[inside[:, k] & cube.present[:, r, k], r, k].tolist()),
                    Fraction(0))
        lower = bool(has_lower[k])
        target = _exact_bound(plan, atom, upper=not lower)
        e, n = int(elapsed[k]), int(length[k])
        # a budget (≤ only) with nothing spent yet has an infinite ratio: never at a tie
        ratio = total * n / (e * target) if lower else target * e / (total * n)
        statuses.append(_class_of(ratio, review))
    return statuses


# ------------------------------------------------------------------------------------------
# Paths (for charts): the projection and the requirement year by year


def paths(assessment: Assessment, r: int, k: int) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """The projected path (from the latest year, at the observed change) and the required path
    (from the base year, or from the latest year when the base already met the target) of a
    level target's cell, as (year, value) in the indicator's unit; empty when there is none."""
    a = assessment
    path = int(a.path[r, k])
    s, t = int(a.base_year[r, k]), int(a.latest_year[r, k])
    v_s, v_t, goal = float(a.base_value[r, k]), float(a.latest_value[r, k]), float(a.target_value[r, k])
    observed = float(a.observed[r, k])
    year = int(a.due[k])
    if path not in (COMPOUND, LINEAR) or s < 0 or t < 0 or not all(
            math.isfinite(x) for x in (v_s, v_t, goal, observed)):
        return [], []

    def step(start: float, rate: float, n: int) -> float:
        return start * (1 + rate) ** n if path == COMPOUND else start + rate * n

    projected = [(y, step(v_t, observed, y - t)) for y in range(t, year + 1)]
    if (goal - v_s) * (goal - v_t) > 0:
        required, origin, v_0 = float(a.required[r, k]), s, v_s
    else:
        required, origin, v_0 = float(a.needed[r, k]), t, v_t
    return projected, [(y, step(v_0, required, y - origin)) for y in range(origin, year + 1)]
