"""Plausibility: data values that cannot be what the indicator measures are set aside, never
silently passed or failed.

Three kinds of doubt, each a data warning naming the indicator and its cells, with the likely fix:

* **QR241** — a share (an indicator in % or ‰ that is not a change rate) whose values in the
  data all lie in [0, 1] while the pack's targets on it are tens of percent (every bound ≥ 5 %):
  the column was almost certainly written as fractions (0.95 for 95 %). Every value of it is
  set aside. So is a single value in (0, 1] among values of tens of percent, when its multiple by
  100 lies among theirs (0.96 among 95, 97, 98 %; :func:`_fractions_among`): a genuine share of
  1 % or less is not set aside — not in a column of small shares, nor under small targets.
* **QR242** — a share above 100 % or below 0 %: the value is set aside.
* **QR243** — a negative value of a quantity that cannot be negative: a count, persons or a
  rank, or a magnitude whose unit says so (a concentration 微克/立方米, an intensity
  吨标准煤/万元; :func:`qualityrules.language.units.value_kind`): the value is set aside.
* **QR245** — a count, persons or a rank that is not a whole number of its base unit (3.601 件:
  a European thousands separator, or a value in 千件): the value is set aside. Only pure counts:
  an intensity per person or per 10,000 (件/万人) is fractional by nature.

A value set aside reads as missing, so every verdict that needs it is ``unknown``; the report
gives the reason (``reason`` in rows, and ``explain``). Censored values are judged by their
finite end (``≥120`` is above 100 %; ``<150`` is not); only an exact value can be a non-whole
count. Everything is vectorised per indicator: one pass over its ``[region, year]`` values.
"""

from __future__ import annotations

import math
import weakref

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import Diagnostic, Severity
from ..i18n import Text, tr
from ..language import units
from ..tables.decimals import any_not_whole, not_whole
from ..tables.observations import Observations, Values
from .plan import VALUE, Plan

__all__ = ["Doubt", "Screen", "screen", "plausible_bounds", "FRACTION_TARGETS", "FRACTION_COLUMN"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

FRACTION_TARGETS = 5.0      # % : targets whose every bound is at least this are "tens of percent"
FRACTION_COLUMN = 10.0      # % : the lowest of a column's other values, for one in (0, 1] to read as a fraction
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
    """``obs`` with implausible values set aside (NaN), and the doubts found: :class:`Screen`
    over every column at once."""
    return Screen(plan, obs).result()


class Screen:
    """The plausibility screen of one evaluation, column by column. :meth:`values` screens an
    indicator when the engine first reads it, so that its values are still in the CPU cache
    for the comparisons that follow (screening every column first, then comparing, reads the
    whole table twice from memory); :meth:`result` screens the rest.

    The data's ranges per indicator decide which columns can be in doubt
    (:meth:`~qualityrules.tables.observations.Observations.ranges`, computed once per data);
    cells are looked at only in a column that is, and only that indicator's values are copied.
    ``obs`` is returned as it is (not copied) when nothing is in doubt."""

    def __init__(self, plan: Plan, obs: Observations) -> None:
        self.plan, self.obs = plan, obs
        self._screened: dict[int, Values] = {}
        self._doubts: dict[int, tuple[Doubt, ...]] = {}

    def values(self, i: int) -> Values:
        """Indicator ``i``'s values, the implausible ones set aside."""
        found = self._screened.get(i)
        if found is None:
            doubts = _doubts_in(self.plan, self.obs, i)
            found = self.obs.values[i]
            if doubts:
                self._doubts[i] = doubts
                found = found.set_aside(np.logical_or.reduce([d.cells for d in doubts]))
            self._screened[i] = found
        return found

    def can_follow(self, i: int) -> units.ValueKind | None:
        """Indicator ``i``'s kind when :meth:`after` can screen it, following its first
        comparison, else None: when it is not screened yet, holds exact values (not censored) and
        is a magnitude never negative or a count, its screen needs no ranges before the
        comparison (a share's does, and they tell the engine that the column holds no infinity)."""
        if i in self._screened or self.obs.values[i].censored:
            return None
        kind = units.value_kind(self.obs.indicators[i], self.obs.units[i])
        return kind if kind is not None and kind.highest is None else None

    def after(self, i: int, kind: units.ValueKind, x: FloatArray, unknown: BoolArray) -> Values | None:
        """Indicator ``i`` (of ``kind``, :meth:`can_follow`) screened after its comparison over
        every cell (``x``, its values, and ``unknown``, those that are NaN or infinite): None when
        no value is in doubt (nothing to compare again: one pass for the lowest value and, for a
        count, two for wholeness); else its values with the doubtful ones set aside."""
        if not np.fmin.reduce(x, axis=None, initial=np.inf) < 0 and \
                not (kind.whole and any_not_whole(x, unknown, float(units.to_base(kind.unit)))):
            self._screened[i] = self.obs.values[i]
            return None
        found = self.values(i)
        return None if found is self.obs.values[i] else found

    def result(self) -> tuple[Observations, tuple[Doubt, ...]]:
        """The observations with every doubtful value set aside, and the doubts (by indicator)."""
        for i in range(len(self.obs.indicators)):
            self.values(i)
        if not self._doubts:
            return self.obs, ()
        kept = tuple(self._screened[i] for i in range(len(self.obs.indicators)))
        return attrs.evolve(self.obs, values=kept), tuple(d for i in sorted(self._doubts) for d in self._doubts[i])


def _doubts_in(plan: Plan, obs: Observations, i: int) -> tuple[Doubt, ...]:
    """What in indicator ``i``'s values is implausible, if anything."""
    kind = units.value_kind(obs.indicators[i], obs.units[i])
    if kind is None or not obs.n_regions:
        return ()
    lowest, highest, highest_lo, lowest_hi = obs.ranges(i)
    name, unit, values = obs.indicators[i], kind.unit, obs.values[i]
    if kind.highest is None:   # never negative; a count is whole too
        found = []
        if lowest_hi < 0:
            what = tr("a count ({unit}) cannot be negative", unit=unit) if kind.whole \
                else tr("a value in {unit} cannot be negative", unit=unit)
            found.append(_doubt(obs, i, (values.hi < 0) & _finite(values), "QR243",
                                tr("a negative count") if kind.whole else tr("a negative value"), what,
                                tr("correct the cells (a change given instead of a level?)")))
        if kind.whole:
            cells = _not_whole(values, float(units.to_base(unit)))
            if cells is not None:
                found.append(_doubt(obs, i, cells, "QR245", tr("a count not whole"),
                                    tr("a count ({unit}) is a whole number", unit=unit),
                                    tr("correct the cells (a thousands separator read as a decimal point, 3.601 "
                                       "for 3,601? a value in thousands?)")))
        return tuple(found)
    full = kind.highest
    whole, example = f"{full:g}", f"{0.95 * full:g}"
    tens = _lowest_value_bounds(plan).get(name, 0.0) * 100.0 / full >= FRACTION_TARGETS
    if tens and lowest >= 0 and 0 < highest <= 1:
        # every bound of the value targets on it is at least 5 %, and every value is in [0, 1]
        return (_doubt(obs, i, ~np.isnan(values.lo) & _finite(values), "QR241", tr("written as fractions of 1"),
                       tr("every value lies between 0 and 1 while the targets on it are tens of {unit} "
                          "— fractions written for percentages (0.95 for {example} {unit})", unit=unit, example=example),
                       tr("multiply the column by {factor}, or give it in {unit}", factor=whole, unit=unit)),)
    found = []
    if tens and lowest <= 1 < highest:     # some values in [0, 1] among larger ones (NaN compares False)
        among = _fractions_among(values, highest, full)
        if among is not None:
            cells, low = among
            found.append(_doubt(obs, i, cells, "QR241", tr("written as a fraction of 1"),
                                tr("a value between 0 and 1 among values from {low} to {high} {unit}, while the "
                                   "targets on it are tens of {unit} — a fraction written for a percentage (0.95 for "
                                   "{example} {unit})", low=f"{low:g}", high=f"{highest:g}", unit=unit, example=example),
                                tr("multiply the cells by {factor}, or give them in {unit}", factor=whole, unit=unit)))
    if highest_lo > full * (1 + _SLACK) or lowest_hi < 0:
        cells = ((values.lo > full * (1 + _SLACK)) | (values.hi < 0)) & _finite(values)   # NaN compares False
        found.append(_doubt(obs, i, cells, "QR242", tr("a share outside 0–{full} {unit}", full=whole, unit=unit),
                            tr("a share cannot be above {full} {unit} or below 0", full=whole, unit=unit),
                            tr("correct the cells (a typo, a count or an amount in a share column?)")))
    return tuple(found)


def _fractions_among(values: Values, highest: float, full: float) -> tuple[BoolArray, float] | None:
    """The values of a share column (whole ``full``: 100 %, 1000 ‰) that read as fractions of 1
    among the others, and the lowest of the others; None when there are none. The others are its
    values above 1 (a censored value by its finite ends); when all of them are at least
    :data:`FRACTION_COLUMN` of the whole, a value in (0, 1] whose multiple by ``full`` lies within
    :data:`FRACTION_TARGETS` of their range (lowest to ``highest``) is a fraction (0.96 among 95,
    97, 98 %). A genuine small share stays: all the others are at least ten times it, and its
    multiple lands among them. Two passes over the column (three for a censored one)."""
    lo, hi = values.lo, values.hi
    if values.censored:       # a censored value by its finite ends
        lo, hi = np.where(np.isfinite(lo), lo, hi), np.where(np.isfinite(hi), hi, lo)
    low = float(np.fmin.reduce(np.where(lo > 1, lo, np.nan), axis=None, initial=np.nan))
    if not low >= FRACTION_COLUMN * full / 100:    # (NaN: no other value)
        return None
    slack = FRACTION_TARGETS * full / 100
    cells = (lo >= (low - slack) / full) & (hi <= min(1.0, (highest + slack) / full))   # ±inf and NaN fall outside
    return (cells, low) if cells.any() else None


def _not_whole(values: Values, factor: float) -> BoolArray | None:
    """The exact values that are not a whole number of the base unit (``factor`` of it each: 3.5
    万人 is 35,000 persons; :func:`~qualityrules.tables.decimals.not_whole`), None when there are
    none."""
    x = values.lo
    if values.censored:
        x = np.where(values.lo == values.hi, x, np.nan)   # an interval is no count to be whole
    found = not_whole(x, factor)
    if not len(found):
        return None
    cells = np.zeros(x.shape, dtype=bool)
    cells.flat[found] = True
    return cells


def _finite(values: Values) -> BoolArray | bool:
    """The cells that hold a value: an infinity of a float column is no value (read as unknown,
    QR214), never in doubt. Looked for only in a column in doubt."""
    return np.isfinite(values.lo) if values.floats else True


def plausible_bounds(name: str, unit: str | None) -> tuple[float | None, float | None, bool]:
    """The values an indicator can plausibly take, as (lowest, highest, whole), None where
    unbounded: 0–100 for a share in % (0–1000 in ‰), at least 0 and whole for a count, at least 0
    for a magnitude never negative, anything otherwise."""
    kind = units.value_kind(name, unit)
    if kind is None:
        return None, None, False
    return 0.0, kind.highest, kind.whole


_BOUNDS: weakref.WeakKeyDictionary[Plan, dict[str, float]] = weakref.WeakKeyDictionary()


def _lowest_value_bounds(plan: Plan) -> dict[str, float]:
    """Per indicator, the smallest finite bound of the plan's value targets on it (in its unit),
    computed once per plan."""
    found = _BOUNDS.get(plan)
    if found is None:
        found = {}
        for a in np.flatnonzero(plan.atom_measure == VALUE).tolist():   # every atom bounds one side at least
            name = plan.indicators[int(plan.atom_indicator[a])]
            found[name] = min(found.get(name, math.inf), *(b for b in (plan.lo[a], plan.hi[a]) if math.isfinite(b)))
        _BOUNDS[plan] = found
    return found


def _doubt(obs: Observations, i: int, cells: BoolArray, code: str, reason: Text, message: Text,
           suggestion: Text) -> Doubt:
    where = np.argwhere(cells)
    shown = ", ".join(f"{obs.regions[r]} {int(obs.years[y])}" for r, y in where[:_SHOWN].tolist())
    cells_shown = tr("{shown} and {more} more", shown=shown, more=len(where) - _SHOWN) \
        if len(where) > _SHOWN else shown
    diagnostic = Diagnostic(code, tr("{indicator} ({origin}: {cells}): {message}; "
                                     "{count} value(s) set aside, their verdicts are unknown",
                                     indicator=obs.indicators[i], origin=obs.origin, cells=cells_shown,
                                     message=message, count=len(where)),
                            severity=Severity.WARNING, suggestion=suggestion)
    return Doubt(i, np.asarray(cells, dtype=bool), reason, diagnostic)
