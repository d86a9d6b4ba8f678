"""The engine: a compiled :class:`~qualityrules.engine.plan.Plan` against :class:`~qualityrules.tables.observations.Observations`,
vectorised over regions x atoms (atom = one rule in one year) with no Python loop per row or per
region-year. Inputs are never mutated.

Semantics, for the quantity an atom compares (a year's value, a sum over the period, or a change
against a baseline year) and the atom's target interval:

* exact value: pass if inside the interval, fail if outside, unknown if missing (NaN);
* censored value (an interval such as ``<3``): pass if the whole interval is inside the target,
  fail if none of it is, unknown otherwise (the bound decides only when it can);
* cumulative: the sum over the period's years, in year order; any missing year makes it unknown;
* change: ``(v - b) / b * 100`` (relative, in %) or ``v - b`` (points), negated for a decrease;
  the baseline must be an exact value (and positive for a relative change), else unknown;
* ``!=``: pass if the value cannot be the forbidden one, fail if it must be.

Verdict strings, every-year aggregation, strength (aspiration -> warn) and margins are derived
from the pass/unknown matrices by :mod:`qualityrules.report.report`, lazily. The front door,
:func:`qualityrules.evaluate`, loads the data, runs the engine and builds the report.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import Diagnostic
from ..packs.applicability import outside_warning, regions_bound
from ..packs.regions import Hierarchy, HierarchyLike, as_hierarchy
from ..resources import cores, second_core
from ..tables.observations import Observations
from .exact import ExactCells, refine
from .plan import RELATIVE_CHANGE, VALUE, Plan
from .plausibility import Doubt, Screen

__all__ = ["Block", "Evaluation", "run"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@attrs.frozen(eq=False)
class Block:
    """Results for some atoms (columns) over every region (rows). ``x_lo``/``x_hi`` hold the
    quantity compared, in the measure's unit (the indicator's unit for values); for exact data
    ``x_hi is x_lo`` and the open flags are None."""

    atoms: IntArray
    passed: BoolArray
    unknown: BoolArray
    x_lo: FloatArray
    x_hi: FloatArray
    x_lo_open: BoolArray | None = None
    x_hi_open: BoolArray | None = None
    baseline: FloatArray | None = None   # the baseline value used by change atoms (NaN otherwise)
    magnitude: FloatArray | None = None  # Σ|values| summed over years (cumulative atoms; for the exact re-check)
    exact: ExactCells | None = None      # cells re-decided exactly, with their exact margins
    measured: FloatArray | None = None   # x_lo before declared rounding (blocks with round-then-compare atoms)


def _joined(name: str, fill: float | None = None) -> functools.cached_property[npt.NDArray[Any]]:
    """A cached property: the blocks' ``name`` arrays side by side, in atom order (``fill`` for a
    block that has none, e.g. the open flags of exact data)."""

    def join(self: Evaluation) -> npt.NDArray[Any]:
        parts = [getattr(block, name) for block in self.blocks]
        if fill is not None:
            parts = [np.full(block.passed.shape, fill) if part is None else part
                     for part, block in zip(parts, self.blocks, strict=True)]
        return _concat(parts, self.obs.n_regions)

    return functools.cached_property(join)


@attrs.frozen(eq=False)
class Evaluation:
    """The engine's output: blocks of columns; the properties join them in one atom order.
    ``obs`` are the observations evaluated (implausible values set aside), ``data`` the ones
    given; ``warnings`` are the report-level warnings of the run (regions outside the pack's
    area, implausible values)."""

    plan: Plan
    obs: Observations
    blocks: tuple[Block, ...]
    applicable: BoolArray    # [region, rule]: the rule binds the region (else not-applicable)
    data: Observations
    hierarchy: Hierarchy     # the region hierarchy the applicability rule used
    outside: frozenset[int] = frozenset()   # regions outside the pack's area (no target binds them)
    doubts: tuple[Doubt, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()

    passed = _joined("passed")
    unknown = _joined("unknown")
    x_lo = _joined("x_lo")
    x_lo_open = _joined("x_lo_open", fill=False)
    x_hi_open = _joined("x_hi_open", fill=False)
    baseline = _joined("baseline", fill=np.nan)
    measured = _joined("measured", fill=np.nan)   # the value before GB/T 8170 rounding (NaN: not rounded)

    @functools.cached_property
    def atoms(self) -> IntArray:
        return np.concatenate([b.atoms for b in self.blocks]) if self.blocks else np.zeros(0, dtype=np.int64)

    @functools.cached_property
    def exact(self) -> ExactCells | None:
        """The cells decided exactly (see :mod:`qualityrules.engine.exact`), in joined columns."""
        parts, offset = [], 0
        for block in self.blocks:
            if block.exact is not None:
                parts.append(attrs.evolve(block.exact, columns=block.exact.columns + offset))
            offset += len(block.atoms)
        if not parts:
            return None
        return ExactCells(*(np.concatenate([getattr(p, name) for p in parts])
                            for name in ("rows", "columns", "below", "above")))

    @functools.cached_property
    def x_hi(self) -> FloatArray:
        if all(b.x_hi is b.x_lo for b in self.blocks):
            return self.x_lo
        return _concat([b.x_hi for b in self.blocks], self.obs.n_regions)


def _concat(parts: list[npt.NDArray[Any]], rows: int) -> npt.NDArray[Any]:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros((rows, 0))
    return np.concatenate(parts, axis=1)


# ------------------------------------------------------------------------------------------
# The engine


def run(plan: Plan, data: Observations, *, years: Collection[int] | None = None,
        hierarchy: HierarchyLike | None = None) -> Evaluation:
    """Evaluate every atom of ``plan`` (or those reported in ``years``) for every region of
    ``data``, after setting implausible values aside; which targets bind which regions comes from
    :func:`qualityrules.packs.applicability.regions_bound` (with ``hierarchy``)."""
    screening = Screen(plan, data)
    tree = as_hierarchy(hierarchy)
    named = isinstance(data.labels, tuple)   # else integer codes, compared as integers
    bound = regions_bound(plan.pack, data.labels, hierarchy=tree, keys=data.region_keys if named else None)
    n_years = len(data.years)
    known = data._indicator_index
    ind_pos = np.array([known.get(name, -1) for name in plan.indicators], dtype=np.int64)
    year_pos = np.searchsorted(data.years, plan.years)
    found = year_pos < n_years
    found[found] = data.years[year_pos[found]] == plan.years[found]
    year_pos = np.where(found, year_pos, -1)
    selected = np.ones(plan.n_atoms, dtype=bool) if years is None else np.isin(plan.atom_year, list(years))
    blocks: list[Block] = []
    simple = np.flatnonzero(selected & plan.simple)
    if len(simple):      # screened column by column as they are compared
        blocks.extend(_simple(plan, data, screening, simple, ind_pos, year_pos))
    obs, doubts = screening.result()
    warnings = [doubt.diagnostic for doubt in doubts]
    outside = np.flatnonzero(~bound.inside)
    if len(outside):
        warnings.insert(0, outside_warning(plan.pack, data.labels[outside] if not named else
                                           [data.regions[r] for r in outside.tolist()], tree,
                                           keys=[data.region_keys[r] for r in outside.tolist()] if named else None))
    compound = np.flatnonzero(selected & ~plan.simple)
    if len(compound):
        blocks.append(_compound(plan, obs, compound, ind_pos, year_pos))
    if obs.exact or not plan.plain[selected].all():    # else every float decision is the exact one already
        blocks = [refine(plan, obs, block, ind_pos, year_pos) for block in blocks]   # exact near thresholds
    return Evaluation(plan, obs, tuple(blocks), bound.binds, data, tree, frozenset(outside.tolist()), doubts,
                      tuple(warnings))


def _missing_block(atoms: IntArray, regions: int) -> Block:
    shape = (regions, len(atoms))
    nan = np.full(shape, np.nan)
    return Block(atoms, np.zeros(shape, dtype=bool), np.ones(shape, dtype=bool), nan, nan)


def _simple(plan: Plan, obs: Observations, screening: Screen, atoms: IntArray, ind_pos: IntArray,
            year_pos: IntArray) -> list[Block]:
    """Atoms comparing one year's value, rule by rule on the indicator's ``[region, year]``
    values where they lie (``screening``'s: implausible values set aside): a rule checked in
    consecutive years reads a slice (a view), so a table with one row per region-year is
    compared column by column without a copy."""
    regions = obs.n_regions
    ip = ind_pos[plan.atom_indicator[atoms]]
    yp = year_pos[plan.atom_sum_years[atoms, 0]]
    present = (ip >= 0) & (yp >= 0)
    blocks = []
    if not present.all():
        blocks.append(_missing_block(atoms[~present], regions))
        atoms, ip, yp = atoms[present], ip[present], yp[present]
        if not len(atoms):
            return blocks
    rule = plan.atom_rule[atoms]
    order = np.lexsort((yp, rule, ip))
    atoms, ip, yp, rule = atoms[order], ip[order], yp[order], rule[order]
    edges = np.flatnonzero((ip[1:] != ip[:-1]) | (rule[1:] != rule[:-1])) + 1
    starts, stops = [0, *edges.tolist()], [*edges.tolist(), len(atoms)]
    first = yp[starts].tolist()
    last = yp[np.array(stops) - 1].tolist()
    indicators = ip[starts].tolist()
    head = atoms[starts]
    lows, highs, excluded = plan.lo_closed[head].tolist(), plan.hi_closed[head].tolist(), plan.excluded[head].tolist()
    # Every block's matrices are parts of buffers allocated once per block width (fresh memory
    # costs as much to touch as comparing into it): [run, region, year] for runs of one width.
    widths = [b - a for a, b in zip(starts, stops, strict=True)]
    slot: list[int] = []
    count: dict[int, int] = {}
    for width in widths:
        slot.append(count.get(width, 0))
        count[width] = slot[-1] + 1
    n_years = len(obs.years)
    passed_buffers = {w: np.empty((c, regions, w), dtype=bool) for w, c in count.items()}
    unknown_buffers = {w: np.empty((c, regions, w), dtype=bool) for w, c in count.items()}
    found: list[Block | None] = [None] * len(starts)

    def compare(runs: range) -> None:
        """The blocks of ``runs`` into ``found`` (their own slots: the two halves share nothing
        they write but their own cells of the buffers)."""
        scratch = {w: np.empty((regions, w), dtype=bool) for w in count}
        for k in runs:
            start, stop, width, i = starts[k], stops[k], widths[k], indicators[k]
            every_year = width == n_years and first[k] == 0 and last[k] == n_years - 1
            later = screening.can_follow(i) if every_year else None    # its kind: screened after comparing
            values = obs.values[i] if later else screening.values(i)
            columns: Any = slice(first[k], last[k] + 1) if last[k] - first[k] + 1 == width else yp[start:stop]
            x = values.lo[:, columns]
            if values.lo_open is None:
                passed, unknown = passed_buffers[width][slot[k]], unknown_buffers[width][slot[k]]
                _within(x, lows[k], highs[k], excluded[k], passed, unknown, scratch[width], obs.known_finite(i))
                if later:    # screened now, while its values are in the CPU cache; compared again if in doubt
                    screened = screening.after(i, later, x, unknown)
                    if screened is not None:
                        x = screened.lo
                        _within(x, lows[k], highs[k], excluded[k], passed, unknown, scratch[width], False)
                found[k] = Block(atoms[start:stop], passed, unknown, x, x)
                continue
            assert values.lo_open is not None and values.hi_open is not None
            x_hi, lo_open, hi_open = values.hi[:, columns], values.lo_open[:, columns], values.hi_open[:, columns]
            passed, unknown = _decide(plan, atoms[start:stop], x, x_hi, lo_open, hi_open)
            found[k] = Block(atoms[start:stop], passed, unknown, x, x_hi, lo_open, hi_open)

    half = _second_half(indicators, widths, regions)
    if half is None:
        compare(range(len(starts)))
    else:     # the second half on the other core (numpy releases the GIL while it compares)
        other = second_core().submit(compare, range(half, len(starts)))
        compare(range(half))
        other.result()
    blocks.extend(block for block in found if block is not None)
    return blocks


_PARALLEL_VALUES = 1 << 20   # values compared in one call before a second core is worth its start
_PARALLEL_RUN = 1 << 18      # values a rule compares, on average, before two threads gain more than they wait


def _second_half(indicators: list[int], widths: list[int], regions: int) -> int | None:
    """Where the runs split into two halves of about equal work, at a change of indicator (an
    indicator is screened by one thread), when the work is large enough and a second core is
    there; else None. Many small runs stay on one thread: between its numpy calls each thread
    needs the GIL back, and waiting for it (a wake-up per call) costs more than a pass over a
    rule of 60,000 values (measured: 60,000 rows x 60 rules take 1.3x longer on two threads,
    600,000 rows 0.63x)."""
    total = regions * sum(widths)
    if total < _PARALLEL_VALUES or total < _PARALLEL_RUN * len(widths) or len(widths) < 2 or cores() < 2:
        return None
    done, half = 0, 0
    while half < len(widths) and 2 * done < total:
        done += regions * widths[half]
        half += 1
    while 0 < half < len(widths) and indicators[half] == indicators[half - 1]:
        half += 1
    return half if 0 < half < len(widths) else None


_BLOCK = 1 << 17   # values compared at a time: every pass over a block reads it from the CPU cache


def _within(x: FloatArray, lo: float, hi: float, excluded: bool, passed: BoolArray, unknown: BoolArray,
            scratch: BoolArray, finite: bool) -> None:
    """:func:`_within_block` over blocks of rows small enough for the passes after the first to
    read their values from the CPU cache (one block for tables up to ``_BLOCK`` values a rule)."""
    rows, width = x.shape
    step = _BLOCK // width if width else rows
    if rows <= step:
        _within_block(x, lo, hi, excluded, passed, unknown, scratch, finite)
        return
    for start in range(0, rows, step):      # one step per block of rows, not per row
        stop = min(start + step, rows)
        _within_block(x[start:stop], lo, hi, excluded, passed[start:stop], unknown[start:stop],
                      scratch[:stop - start], finite)


def _within_block(x: FloatArray, lo: float, hi: float, excluded: bool, passed: BoolArray, unknown: BoolArray,
                  scratch: BoolArray, finite: bool) -> None:
    """Into ``passed``: ``lo <= x <= hi`` (closed float bounds); into ``unknown``: ``x`` is not
    finite — NaN (missing) or ±inf (a float column holding an infinity: doubtful, never pass or
    fail). For ``!=`` (``excluded``) the value passes outside ``[lo, hi]`` (the forbidden value).
    ``finite``: the column is known to hold no infinity (:meth:`Observations.known_finite`), so
    a value is unknown when NaN, and NaN fails every comparison: one pass over the values per
    bound plus one for ``isnan``, as hand-written numpy needs. Otherwise ``isfinite`` (which
    costs what ``isnan`` does) and two passes over the booleans."""
    if finite:
        _compare(x, lo, hi, passed, scratch)
        np.isnan(x, out=unknown)
        if excluded:
            np.logical_not(passed, out=passed)
            np.logical_and(passed, np.logical_not(unknown, out=scratch), out=passed)
        return
    known = np.isfinite(x, out=unknown)          # known for now; negated at the end
    _compare(x, lo, hi, passed, scratch)
    passed &= known                               # an infinity passes a one-sided bound
    if excluded:
        np.logical_not(passed, out=passed)
        passed &= known
    np.logical_not(known, out=unknown)


def _compare(x: FloatArray, lo: float, hi: float, passed: BoolArray, scratch: BoolArray) -> None:
    """Into ``passed``: ``lo <= x <= hi``, a bound of ±inf not compared (NaN fails)."""
    if lo != -np.inf:
        np.greater_equal(x, lo, out=passed)
        if hi != np.inf:
            passed &= np.less_equal(x, hi, out=scratch)
    elif hi != np.inf:
        np.less_equal(x, hi, out=passed)
    else:
        np.logical_not(np.isnan(x, out=passed), out=passed)


def _compound(plan: Plan, obs: Observations, atoms: IntArray, ind_pos: IntArray, year_pos: IntArray) -> Block:
    """Sums over years (cumulative) and changes against a baseline year."""
    regions = obs.n_regions
    censored = obs.censored
    ip = ind_pos[plan.atom_indicator[atoms]]
    sum_years = plan.atom_sum_years[atoms]
    acc_lo: FloatArray | None = None
    acc_hi: FloatArray | None = None
    magnitude: FloatArray | None = None
    summed = np.flatnonzero(sum_years[:, 1:].max(axis=1, initial=-1) >= 0) if sum_years.shape[1] > 1 \
        else np.zeros(0, dtype=np.int64)
    lo_open = np.zeros((regions, len(atoms)), dtype=bool)
    hi_open = np.zeros((regions, len(atoms)), dtype=bool)
    # acc_* are fresh arrays (gathers, sums), never views of the observations: safe to write.
    for k in range(sum_years.shape[1]):       # one step per year of the longest period
        used = sum_years[:, k] >= 0
        if not used.any():
            break
        v_lo, v_hi, o_lo, o_hi = _read(obs, np.where(used, sum_years[:, k], 0), ip, year_pos)
        padding = np.flatnonzero(~used)
        if len(padding):
            v_lo[:, padding] = 0.0
            v_hi[:, padding] = 0.0
            o_lo[:, padding] = False
            o_hi[:, padding] = False
        if len(summed):      # sums over years: Σ|v| bounds their rounding error (for the exact re-check)
            size = np.abs(v_lo[:, summed]) if not censored else np.fmax(_finite_size(v_lo[:, summed]),
                                                                      _finite_size(v_hi[:, summed]))
            magnitude = size if magnitude is None else magnitude + size
        acc_lo = v_lo if acc_lo is None else acc_lo + v_lo
        acc_hi = v_hi if acc_hi is None else acc_hi + v_hi
        lo_open |= o_lo
        hi_open |= o_hi
    assert acc_lo is not None and acc_hi is not None
    baseline: FloatArray | None = None
    change = np.flatnonzero(plan.atom_measure[atoms] != VALUE)
    if len(change):
        base_years = plan.atom_baseline[atoms[change]]
        b_lo, b_hi, b_lo_open, b_hi_open = _read(obs, base_years, ip[change], year_pos)
        b = np.where((b_lo == b_hi) & ~b_lo_open & ~b_hi_open, b_lo, np.nan)   # an exact baseline only
        relative = plan.atom_measure[atoms[change]] == RELATIVE_CHANGE
        b = np.where(relative & ~(b > 0), np.nan, b)
        v_lo, v_hi = acc_lo[:, change], acc_hi[:, change]
        d_lo, d_hi = v_lo - b, v_hi - b
        with np.errstate(invalid="ignore", divide="ignore"):
            x_lo = np.where(relative, d_lo / b * 100.0, d_lo)
            x_hi = np.where(relative, d_hi / b * 100.0, d_hi)
        down = plan.atom_sign[atoms[change]] < 0
        c_lo_open, c_hi_open = lo_open[:, change], hi_open[:, change]
        acc_lo[:, change] = np.where(down, -x_hi, x_lo)
        acc_hi[:, change] = np.where(down, -x_lo, x_hi)
        lo_open[:, change] = np.where(down, c_hi_open, c_lo_open)
        hi_open[:, change] = np.where(down, c_lo_open, c_hi_open)
        baseline = np.full((regions, len(atoms)), np.nan)
        baseline[:, change] = b
    passed, unknown = _decide(plan, atoms, acc_lo, acc_hi, lo_open, hi_open)
    if magnitude is not None:     # Σ|v| of the sums (NaN: one year, the quantity is its own size)
        full = np.full(acc_lo.shape, np.nan)
        full[:, summed] = magnitude
        magnitude = full
    if not censored:
        doubtful = ~np.isfinite(acc_lo)       # an infinity in a float column: unknown, as in _within
        unknown |= doubtful
        passed &= ~doubtful
        return Block(atoms, passed, unknown, acc_lo, acc_hi, None, None, baseline, magnitude)
    return Block(atoms, passed, unknown, acc_lo, acc_hi, lo_open, hi_open, baseline, magnitude)


def _finite_size(values: FloatArray) -> FloatArray:
    return np.abs(np.where(np.isinf(values), 0.0, values))


def _read(obs: Observations, plan_years: IntArray, ip: IntArray,
          year_pos: IntArray) -> tuple[FloatArray, FloatArray, BoolArray, BoolArray]:
    """Values (as intervals, fresh arrays) at ``plan_years`` x ``ip`` per column; NaN where
    absent. One gather per indicator read, not per atom."""
    yp = year_pos[plan_years]
    ok = (yp >= 0) & (ip >= 0)
    shape = (obs.n_regions, len(ip))
    lo = np.full(shape, np.nan)
    hi = np.full(shape, np.nan)
    lo_open = np.zeros(shape, dtype=bool)
    hi_open = np.zeros(shape, dtype=bool)
    for indicator in np.unique(ip[ok]).tolist():
        columns = np.flatnonzero(ok & (ip == indicator))
        values = obs.values[indicator]
        lo[:, columns] = values.lo[:, yp[columns]]
        hi[:, columns] = values.hi[:, yp[columns]]
        if values.lo_open is not None and values.hi_open is not None:
            lo_open[:, columns] = values.lo_open[:, yp[columns]]
            hi_open[:, columns] = values.hi_open[:, yp[columns]]
    return lo, hi, lo_open, hi_open


def _decide(plan: Plan, atoms: IntArray, x_lo: FloatArray, x_hi: FloatArray, x_lo_open: BoolArray,
            x_hi_open: BoolArray) -> tuple[BoolArray, BoolArray]:
    """(passed, unknown) for quantities known only as intervals ``x_lo..x_hi`` (ends excluded
    where flagged): inside the target -> pass; disjoint from it -> fail; else unknown."""
    lo, hi = plan.lo[atoms], plan.hi[atoms]
    lo_inc, hi_inc = plan.lo_inclusive[atoms], plan.hi_inclusive[atoms]
    inside = (x_lo > lo) | ((x_lo == lo) & (lo_inc | x_lo_open))
    inside &= (x_hi < hi) | ((x_hi == hi) & (hi_inc | x_hi_open))
    outside = (x_hi < lo) | ((x_hi == lo) & (x_hi_open | ~lo_inc))
    outside |= (x_lo > hi) | ((x_lo == hi) & (x_lo_open | ~hi_inc))
    excluded = plan.excluded[atoms]
    passed = np.where(excluded, outside, inside)
    failed = np.where(excluded, inside, outside)
    return passed, ~(passed | failed)
