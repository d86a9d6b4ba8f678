"""Compile a resolved :class:`~qualityrules.packs.resolve.Pack` once into flat numpy arrays.

The unit of evaluation is an *atom*: one rule checked in one year. A target-year rule has one
atom (its year), an every-year rule one per year of the period, a cumulative rule one (at the
end of the period, summing every year of it). Each atom records the indicator it reads, the
years whose values it sums (one year unless cumulative), the baseline year of a change target,
and the target as a float interval in the measure's unit.

Bounds are exact fractions in the rule model; here they are rounded once to the nearest float64,
and comparisons are made in float64 (a data value written ``0.47`` meets a threshold written
``0.47``). ``lo_closed``/``hi_closed`` turn an excluded bound into the adjacent float, so that
for an exact value ``x > t`` is ``x >= nextafter(t, inf)`` and every check is two closed
comparisons. Where that float decision is the exact one (``plain``), a value one float off a
bound counts as on it (a computation that meant the bound: ``741 * (100 / 780)``), so the closed
bounds move out (or, excluded, in) by one more float, and the statutory verdict costs no pass
over the values more.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

import attrs
import numpy as np
import numpy.typing as npt

from ..language.model import RoundingMethod
from ..packs.applicability import checked_years, years_in_force
from ..packs.resolve import BoundRule, Measure, Pack, stricter
from ..tables.decimals import short_decimal

__all__ = ["Plan", "compile_pack", "VALUE", "RELATIVE_CHANGE", "POINT_CHANGE"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

VALUE, RELATIVE_CHANGE, POINT_CHANGE = 0, 1, 2
_MEASURE_CODE = {Measure.VALUE: VALUE, Measure.RELATIVE_CHANGE: RELATIVE_CHANGE,
                 Measure.POINT_CHANGE: POINT_CHANGE}


@attrs.frozen(eq=False)
class Plan:
    """A pack compiled for evaluation. Per-atom arrays have length ``len(atom_rule)``."""

    pack: Pack
    rules: tuple[BoundRule, ...]
    sections: tuple[str | None, ...]          # per rule: the section of its origin pack
    indicators: tuple[str, ...]               # distinct indicator names the rules read
    years: IntArray                           # distinct years the atoms read (sorted)
    atom_rule: IntArray
    atom_year: IntArray                       # the year the atom is reported in
    atom_indicator: IntArray                  # index into ``indicators``
    atom_sum_years: IntArray                  # [atoms, k] indices into ``years``, -1 padded
    atom_baseline: IntArray                   # index into ``years``, -1 when not a change
    atom_measure: npt.NDArray[np.int8]
    atom_sign: FloatArray                     # +1 for an increase, -1 for a decrease
    lo: FloatArray                            # -inf when unbounded below
    hi: FloatArray                            # +inf when unbounded above
    lo_inclusive: BoolArray
    hi_inclusive: BoolArray
    excluded: BoolArray                       # != : the interval is the forbidden value
    lo_closed: FloatArray                     # the bounds as closed float bounds (see _closed)
    hi_closed: FloatArray
    simple: BoolArray                         # one year's value (no sum, no baseline): the fast path
    plain: BoolArray                          # simple, short bounds, no rounding first:
                                              # the float decision is the exact one
    factor: FloatArray                        # measure unit -> the unit the rule is written in
    aspiration: BoolArray
    in_force: BoolArray                       # the pack and the rule's origin are in force in the atom's year
    stricter: IntArray                        # [pairs, 2]: atom [k, 1] is strictly stricter than atom [k, 0]
                                              # (same indicator, year and measure; sums apart)

    @property
    def n_atoms(self) -> int:
        return len(self.atom_rule)


def _simple(sum_years: IntArray, measure: npt.NDArray[np.int8]) -> BoolArray:
    """Atoms that compare one year's value (no sum, no baseline): the fast path."""
    single = (sum_years[:, 1:] < 0).all(axis=1) if sum_years.shape[1] > 1 else np.ones(len(measure), dtype=bool)
    return np.asarray(single & (measure == VALUE), dtype=bool)


def _on_floats(rule: BoundRule) -> bool:
    """Whether a one-year value of ``rule`` is decided exactly by comparing floats: its bounds are
    decimals of at most 15 digits (see :mod:`~qualityrules.tables.decimals`) and no rounding is
    declared to come first."""
    rounding = rule.rounding
    return all(b is None or short_decimal(b) for b in (rule.interval.lower, rule.interval.upper)) \
        and (rounding is None or rounding.method is not RoundingMethod.ROUND_THEN_COMPARE)


def _closed(bound: FloatArray, inclusive: BoolArray, plain: BoolArray, outward: float) -> FloatArray:
    """A bound as the closed float bound a value must reach (``outward``: -inf for a lower bound,
    inf for an upper one). An excluded bound is the float after it. Where the float decision is
    the exact one (``plain``), the float next to the bound counts as on it
    (:func:`~qualityrules.tables.decimals.one_float_off`): an included bound takes it in, an
    excluded one keeps it out."""
    inward = -outward
    next_in = np.nextafter(bound, inward)
    closed: FloatArray = np.where(inclusive, np.where(plain, np.nextafter(bound, outward), bound),
                                  np.where(plain, np.nextafter(next_in, inward), next_in))
    return closed


# A compiled plan per live pack object (packs are immutable; the plan dies with its pack).
_PLANS: dict[int, tuple[weakref.ref[Pack], Plan]] = {}


def compile_pack(pack: Pack) -> Plan:
    """The pack's plan, compiled on first use and cached for the life of the pack object."""
    cached = _PLANS.get(id(pack))
    if cached is not None and cached[0]() is pack:
        return cached[1]
    plan = _compile(pack)
    key = id(pack)
    plans = _PLANS  # bound here: module globals may be gone when a pack dies at shutdown

    def forget(_ref: weakref.ref[Pack]) -> None:
        plans.pop(key, None)

    _PLANS[key] = (weakref.ref(pack, forget), plan)
    return plan


def _sections(pack: Pack) -> dict[int, str]:
    found: dict[int, str] = {}
    for member in pack.lineage():
        for section in member.definition.sections:
            for rule in section.rules:
                found.setdefault(id(rule), section.name)
    return found


def _compile(pack: Pack) -> Plan:
    rules = tuple(pack.rules)
    section_of = _sections(pack)
    indicators: dict[str, int] = {}
    rows: list[tuple[int, int, int, tuple[int, ...], int | None]] = []
    for r, rule in enumerate(rules):
        i = indicators.setdefault(rule.indicator.name, len(indicators))
        for year, summed in checked_years(rule):
            # 比上年 in every year: each year against the one before it.
            rows.append((r, year, i, summed, year - 1 if rule.year_on_year else rule.baseline))
    years_used = sorted({y for _, _, _, summed, _ in rows for y in summed}
                        | {b for *_, b in rows if b is not None})
    year_code = {y: k for k, y in enumerate(years_used)}
    n = len(rows)
    width = max((len(summed) for _, _, _, summed, _ in rows), default=1)
    sum_years = np.full((n, width), -1, dtype=np.int64)
    for a, (_, _, _, summed, _) in enumerate(rows):
        sum_years[a, :len(summed)] = [year_code[y] for y in summed]
    atom_rule = np.array([row[0] for row in rows], dtype=np.int64)
    per_rule = [rules[row[0]] for row in rows]
    lo = np.array([_bound(b.interval.lower, -np.inf) for b in per_rule], dtype=np.float64)
    hi = np.array([_bound(b.interval.upper, np.inf) for b in per_rule], dtype=np.float64)
    lo_inclusive = np.array([b.interval.lower is None or b.interval.lower_inclusive for b in per_rule], dtype=bool)
    hi_inclusive = np.array([b.interval.upper is None or b.interval.upper_inclusive for b in per_rule], dtype=bool)
    atom_year = np.array([row[1] for row in rows], dtype=np.int64)
    atom_indicator = np.array([row[2] for row in rows], dtype=np.int64)
    measure = np.array([_MEASURE_CODE[b.measure] for b in per_rule], dtype=np.int8)
    on_floats = [_on_floats(rule) for rule in rules]
    simple = _simple(sum_years, measure)
    plain = simple & np.array([on_floats[row[0]] for row in rows], dtype=bool)
    plan = Plan(
        pack=pack,
        rules=rules,
        sections=tuple(section_of.get(id(b.statement_rule)) for b in rules),
        indicators=tuple(indicators),
        years=np.array(years_used, dtype=np.int64),
        atom_rule=atom_rule,
        atom_year=atom_year,
        atom_indicator=atom_indicator,
        atom_sum_years=sum_years,
        atom_baseline=np.array([-1 if b is None else year_code[b] for *_, b in rows], dtype=np.int64),
        atom_measure=measure,
        atom_sign=np.array([-1.0 if b.change_sign < 0 else 1.0 for b in per_rule], dtype=np.float64),
        lo=lo,
        hi=hi,
        lo_inclusive=lo_inclusive,
        hi_inclusive=hi_inclusive,
        excluded=np.array([b.interval.excluded for b in per_rule], dtype=bool),
        lo_closed=_closed(lo, lo_inclusive, plain, -np.inf),
        hi_closed=_closed(hi, hi_inclusive, plain, np.inf),
        simple=simple,
        plain=plain,
        factor=np.array([float(b.rule_factor) if b.measure is Measure.VALUE else 1.0 for b in per_rule]),
        aspiration=np.array([b.strength.warns for b in per_rule], dtype=bool),
        in_force=years_in_force(pack, rules, atom_rule, atom_year),
        stricter=_stricter(per_rule, atom_indicator, atom_year, measure),
    )
    return plan


def _bound(value: object, default: float) -> float:
    return default if value is None else float(value)  # type: ignore[arg-type]


def _stricter(rules: list[BoundRule], indicator: IntArray, year: IntArray,
              measure: npt.NDArray[np.int8]) -> IntArray:
    """Pairs of atoms (a, b) on the same indicator, year and measure (sums apart) where b is
    strictly stricter than a (e.g. a district target for the final year over an inherited
    every-year rule): where b binds a region, a is not the binding target there."""
    pairs: list[tuple[int, int]] = []
    groups: dict[tuple[int, int, int, bool], list[int]] = {}
    for a in range(len(rules)):
        key = (int(indicator[a]), int(year[a]), int(measure[a]), rules[a].kind == "cumulative")
        groups.setdefault(key, []).append(a)
    for members in _crowded(groups.values()):
        pairs.extend((a, b) for a in members for b in members if b != a and stricter(rules[b], rules[a]) == 1)
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _crowded(groups: Iterable[list[int]]) -> Iterable[list[int]]:
    return (g for g in groups if len(g) > 1)
