"""Plausibility: data values that cannot be what the indicator measures are set aside, never
silently passed or failed.

Three kinds of doubt, each a data warning naming the indicator and its cells, with the likely fix:

* **QR241** — a share (an indicator in % or ‰ that is not a change rate) whose values in the
  data all lie in [0, 1] while the pack's targets on it are tens of percent (every bound ≥ 5 %):
  the column was almost certainly written as fractions (0.95 for 95 %). Every value of it is
  set aside.
* **QR242** — a share above 100 % or below 0 %: the value is set aside.
* **QR243** — a negative count, number of persons or rank: the value is set aside.

A value set aside reads as missing, so every verdict that needs it is ``unknown``; the report
gives the reason (``reason`` in rows, and ``explain``). Censored values are judged by their
finite end (``≥120`` is above 100 %; ``<150`` is not). Everything is vectorised per indicator:
one pass over its ``[region, year]`` slice.
"""

from __future__ import annotations

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import Diagnostic, Severity
from ..language import units
from ..tables.observations import Observations
from .plan import VALUE, Plan

__all__ = ["Doubt", "screen"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

# Words of an indicator name that make a % indicator a change rate (which may exceed 100 % or be
# negative) rather than a share of a whole.
_CHANGE_WORDS = ("增长", "增速", "增幅", "下降", "降低", "提高", "提升", "变化", "变动")
_COUNT_DIMENSIONS = frozenset({"[count]", "[person]", "[rank]"})
_FRACTION_TARGETS = 5.0     # % : targets whose every bound is at least this are "tens of percent"
_SLACK = 1e-9               # relative: 100 % reached through a unit conversion is not above 100 %
_SHOWN = 5


@attrs.frozen(eq=False)
class Doubt:
    """Cells of one indicator set aside, and why."""

    indicator: int          # index into the observations' indicators
    cells: BoolArray        # [region, year]
    reason: str             # short, for rows: "a share above 100 %"
    diagnostic: Diagnostic


def screen(plan: Plan, obs: Observations) -> tuple[Observations, tuple[Doubt, ...]]:
    """``obs`` with implausible values set aside (NaN), and the doubts found. ``obs`` is returned
    as it is (not copied) when nothing is in doubt."""
    doubts: list[Doubt] = []
    catalogue = plan.pack.catalogue
    for i, name in enumerate(obs.indicators):
        indicator = catalogue.lookup(name)
        unit = obs.units[i] or (indicator.unit if indicator is not None else None)
        if unit is None:
            continue
        lo, hi = obs.lo[:, :, i], obs.hi[:, :, i]
        if unit in ("%", "‰") and not any(word in name for word in _CHANGE_WORDS):
            full = 100.0 if unit == "%" else 1000.0
            fraction = _fractions(plan, name, lo, hi, full)
            if fraction is not None:
                doubts.append(_doubt(obs, i, fraction, "QR241", "written as fractions of 1",
                                     f"every value lies between 0 and 1 while the targets on it are tens of {unit} "
                                     f"— fractions written for percentages (0.95 for 95 {unit})",
                                     f"multiply the column by {full:g}, or give it in {unit}"))
                continue
            above = _finite(lo) > full * (1 + _SLACK)
            below = _finite(hi, np.inf) < 0
            if above.any() or below.any():
                doubts.append(_doubt(obs, i, above | below, "QR242", f"a share outside 0–{full:g} {unit}",
                                     f"a share cannot be above {full:g} {unit} or below 0",
                                     "correct the cells (a typo, a count or an amount in a share column?)"))
        elif units.dimension(unit) in _COUNT_DIMENSIONS:
            negative = _finite(hi, np.inf) < 0
            if negative.any():
                doubts.append(_doubt(obs, i, negative, "QR243", "a negative count",
                                     f"a count ({unit}) cannot be negative",
                                     "correct the cells (a change given instead of a level?)"))
    if not doubts:
        return obs, ()
    lo = obs.lo.copy()
    for doubt in doubts:
        lo[:, :, doubt.indicator][doubt.cells] = np.nan
    if not obs.censored:
        return attrs.evolve(obs, lo=lo, hi=lo), tuple(doubts)
    hi = obs.hi.copy()
    for doubt in doubts:
        hi[:, :, doubt.indicator][doubt.cells] = np.nan
    return attrs.evolve(obs, lo=lo, hi=hi), tuple(doubts)


def _finite(x: FloatArray, fill: float = -np.inf) -> FloatArray:
    """``x`` with NaN and the infinite end of censored values replaced by ``fill`` (never in doubt)."""
    return np.where(np.isfinite(x), x, fill)


def _fractions(plan: Plan, name: str, lo: FloatArray, hi: FloatArray, full: float) -> BoolArray | None:
    """The present cells, when every value lies in [0, 1], one is above 0, and every bound of the
    pack's value targets on the indicator is at least 5 % (else None)."""
    if name not in plan.indicators:
        return None
    wanted = np.flatnonzero((plan.atom_measure == VALUE) & (plan.atom_indicator == plan.indicators.index(name)))
    if not len(wanted):
        return None
    bounds = np.concatenate([plan.lo[wanted], plan.hi[wanted]])
    bounds = bounds[np.isfinite(bounds)] * (100.0 / full)
    if not len(bounds) or bounds.min() < _FRACTION_TARGETS:
        return None
    present = ~np.isnan(lo)
    if not present.any():
        return None
    values = np.concatenate([lo[present & np.isfinite(lo)], hi[present & np.isfinite(hi)]])
    if not len(values) or values.min() < 0 or values.max() > 1 or values.max() == 0:
        return None
    return np.asarray(present, dtype=bool)


def _doubt(obs: Observations, i: int, cells: BoolArray, code: str, reason: str, message: str,
           suggestion: str) -> Doubt:
    where = np.argwhere(cells)
    shown = ", ".join(f"{obs.regions[r]} {int(obs.years[y])}" for r, y in where[:_SHOWN].tolist())
    more = f" and {len(where) - _SHOWN} more" if len(where) > _SHOWN else ""
    diagnostic = Diagnostic(code, f"{obs.indicators[i]} ({obs.origin}: {shown}{more}): {message}; "
                            f"{len(where)} value(s) set aside, their verdicts are unknown",
                            severity=Severity.WARNING, suggestion=suggestion)
    return Doubt(i, np.asarray(cells, dtype=bool), reason, diagnostic)
