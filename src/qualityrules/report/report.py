"""The compliance report: verdicts, values, thresholds and margins derived (vectorised, lazily)
from the engine's pass/unknown matrices; views as pandas, JSON (``schemas/report.schema.json``),
CSV, Markdown and a terminal table; ``explain`` for one verdict.

Two granularities:

* **results**: one row per (region, rule, year) the rule is checked in — a target-year rule in
  its year, an every-year rule in each year of the period, a cumulative rule at the end of the
  period (the sum). Years outside a rule's time qualifier are not-applicable and not listed.
* **targets**: one row per (region, rule): the rule's verdict over its years — fail (or warn)
  if any year fails, else unknown if any year is unknown, else pass. Counts, the text table and
  the exit code use these.

Verdicts: ``pass``, ``fail`` (binding target missed), ``warn`` (aspiration — 力争/争取 — missed),
``unknown`` (missing, implausible or undecidable data; ``reason`` says why when data was set
aside), ``pending`` (a review as of a year: the target's year lies after it; its assessment says
how it is going), ``not-applicable`` (the target does not bind the region in that year: a
province's total is not a district's target, a region outside the pack's area, a year outside the
packs' periods — the rule is :mod:`qualityrules.packs.applicability`). Margins are signed
(positive = on the compliant side) and in the unit the rule is written in.

:attr:`Report.warnings` are the report-level warnings (regions outside the pack's area, values
set aside as implausible, and the loader's warnings); every view shows them.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from ..engine.assessment import STATUSES, Assessment, assess
from ..engine.evaluation import Evaluation
from ..engine.exact import near_margins
from ..engine.plan import RELATIVE_CHANGE, VALUE
from ..errors import Diagnostic, did_you_mean, optional_dependencies, refuse, shown
from ..i18n import tr
from ..language import model as m
from ..language.text import normalize
from ..packs.resolve import BoundRule, Measure, Pack
from ..tables.decimals import one_float_off
from ..terminal import display_width as _width
from ..terminal import table as terminal_table
from . import review as rv
from .rows import Indexed, Rows, dumps, floats, kinds

__all__ = ["Report", "VERDICTS", "SCHEMA_ID", "target_text", "display_unit"]

SCHEMA_ID = "qualityrules/report/1"
PASS, FAIL, WARN, UNKNOWN, PENDING, NOT_APPLICABLE = "pass", "fail", "warn", "unknown", "pending", "not-applicable"
VERDICTS = (PASS, FAIL, WARN, UNKNOWN, PENDING, NOT_APPLICABLE)
# Internal codes, ordered so that a period's verdict is the maximum over its years (an every-year
# target that passed so far and has later years ahead is pending; one failed year fails it).
_NA, _PASS, _PENDING, _UNKNOWN, _FAIL = 0, 1, 2, 3, 4

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _verdict(code: int, aspiration: bool) -> str:
    if code == _FAIL:
        return WARN if aspiration else FAIL
    return {_NA: NOT_APPLICABLE, _PASS: PASS, _PENDING: PENDING, _UNKNOWN: UNKNOWN}[code]


class Report:
    """The outcome of :func:`qualityrules.evaluate`. Everything is computed on first use."""

    def __init__(self, evaluation: Evaluation, *, regions: Sequence[str] | None = None,
                 years: Sequence[int] | None = None, as_of: int | None = None,
                 review: m.Review | None = None) -> None:
        self.evaluation = evaluation
        self.plan = evaluation.plan
        self.pack = evaluation.plan.pack
        self.obs = evaluation.obs
        self.requested_regions = list(regions) if regions else None
        self.requested_years = list(years) if years else None
        self.as_of = as_of
        self.review = review or m.Review()

    @functools.cached_property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The report-level warnings: what loading the data noticed, then the run's (regions
        outside the pack's area, implausible values). Gathered on first use: looking for the
        infinities of float columns reads every value once more."""
        return (*self.evaluation.data.warnings, *self.evaluation.warnings)

    # ---------------------------------------------------------------- matrices

    @functools.cached_property
    def codes(self) -> npt.NDArray[np.int8]:
        """``[region, atom]`` codes in :attr:`atoms` order (NA, PASS, PENDING, UNKNOWN, FAIL)."""
        ev = self.evaluation
        codes = np.full(ev.passed.shape, _FAIL, dtype=np.int8)   # pass and unknown never overlap
        codes -= ev.passed.view(np.int8) * np.int8(_FAIL - _PASS)
        codes -= ev.unknown.view(np.int8) * np.int8(_FAIL - _UNKNOWN)
        if self.assessment is not None:
            codes[:, self.assessment.columns] = _PENDING
        bound = self._bound
        if bound is not None:   # the applicability rule: regions and years in force
            codes[~bound] = _NA
        return codes

    @functools.cached_property
    def _bound(self) -> npt.NDArray[np.bool_] | None:
        """``[region, atom]``: the atom's rule binds the region in the atom's year (the
        applicability rule); None when every atom binds every region."""
        ev, atoms = self.evaluation, self.atoms
        in_force = self.plan.in_force[atoms]
        if ev.applicable.all() and in_force.all():
            return None
        return np.asarray(ev.applicable[:, self.plan.atom_rule[atoms]] & in_force[None, :], dtype=bool)

    @functools.cached_property
    def _binding(self) -> npt.NDArray[np.bool_]:
        """``[region, atom]``: the atom binds the region and no stricter atom on the same indicator,
        year and measure binds it too (one step per such pair of atoms, never per region)."""
        bound = self._bound
        result = np.ones(self.codes.shape, dtype=bool) if bound is None else bound.copy()
        column = {int(a): c for c, a in enumerate(self.atoms.tolist())}
        for looser, stricter in self.plan.stricter.tolist():
            if looser in column and stricter in column:
                result[:, column[looser]] &= self.codes[:, column[stricter]] == _NA
        return result

    @property
    def atoms(self) -> IntArray:
        return self.evaluation.atoms

    @functools.cached_property
    def assessment(self) -> Assessment | None:
        """The mid-term review of the targets due after :attr:`as_of` (None without ``as_of``)."""
        if self.as_of is None:
            return None
        return assess(self.evaluation, self.as_of, self.review)

    @functools.cached_property
    def _assessed(self) -> dict[int, int]:
        """Column (position in :attr:`atoms`) → its index among the assessed atoms."""
        if self.assessment is None:
            return {}
        return {int(c): k for k, c in enumerate(self.assessment.columns.tolist())}

    def _failed_years(self, r: int, rule: int) -> list[int]:
        """Years (up to the as-of year) in which an every-year rule failed for region ``r``."""
        years = self.plan.atom_year[self.atoms]
        return [int(years[c]) for c in self._columns_by_rule[rule].tolist()
                if int(self.codes[r, c]) == _FAIL]

    def _assessment_fields(self, r: int, column: int) -> dict[str, Any] | None:
        k = self._assessed.get(column)
        if k is None or self.assessment is None or int(self.codes[r, column]) != _PENDING:
            return None
        rule = int(self.plan.atom_rule[self.atoms[column]])
        return rv.cell_fields(self.assessment, self.plan, r, k, self._failed_years(r, rule))

    @functools.cached_property
    def reviewed(self) -> npt.NDArray[np.bool_]:
        """``[region, k]``: the k-th assessed atom binds the region in its year (its verdict is
        pending; else not-applicable by the applicability rule, and not reviewed)."""
        a = self.assessment
        if a is None:
            return np.zeros((len(self.obs.regions), 0), dtype=bool)
        return np.asarray(self.codes[:, a.columns] == _PENDING, dtype=bool)

    @functools.cached_property
    def _review_status(self) -> npt.NDArray[np.int8]:
        """``[region, rule]``: the worst status over the rule's assessed years that bind the region
        (-1: none, or n/a)."""
        result = np.full((len(self.obs.regions), len(self.plan.rules)), -1, dtype=np.int8)
        a = self.assessment
        if a is None or not len(a.atoms):
            return result
        status = np.where(self.reviewed, a.status, np.int8(-1))
        rules = self.plan.atom_rule[a.atoms]
        for rule in np.unique(rules).tolist():       # one step per rule, not per region
            result[:, rule] = status[:, rules == rule].max(axis=1)
        return result

    def review_counts(self, by: str = "region") -> dict[str, dict[str, int]]:
        """Review statuses of the targets due after the as-of year, counted per ``region`` or
        ``level``; empty without ``as_of``."""
        if by not in ("region", "level"):
            refuse(tr("by must be one of {choices}, not {value}", choices="level, region", value=shown(by)))
        status = self._review_status
        tallies = [(status == code) for code in range(len(STATUSES))]
        if by == "region":
            per_region = list(zip(*(tally.sum(axis=1).tolist() for tally in tallies), strict=True))
            reviewed: list[bool] = np.asarray((status >= 0).any(axis=1)).tolist()
            return {region: dict(zip(STATUSES, counts, strict=True))
                    for region, counts, shown in zip(self.obs.regions, per_region, reviewed, strict=True) if shown}
        counts: dict[str, dict[str, int]] = {}
        for level in dict.fromkeys(_level(rule) for rule in self.plan.rules):
            rules = [k for k, rule in enumerate(self.plan.rules) if _level(rule) == level]
            if (status[:, rules] >= 0).any():
                counts[level] = {name: int(tallies[code][:, rules].sum()) for code, name in enumerate(STATUSES)}
        return counts

    def review_summary(self) -> dict[str, int]:
        """Review statuses of the (region, target) pairs due after the as-of year, over all regions
        (every status 0 without ``as_of``)."""
        status = self._review_status
        counts = np.bincount(status[status >= 0].astype(np.int64), minlength=len(STATUSES)).tolist()
        return dict(zip(STATUSES, counts, strict=True))

    def _target_assessment(self, r: int, rule: int) -> dict[str, Any] | None:
        """The assessment of the rule's worst assessed year for region ``r`` (None if none)."""
        a = self.assessment
        if a is None:
            return None
        assessed = [c for c in self._columns_by_rule[rule].tolist()
                    if c in self._assessed and int(self.codes[r, c]) == _PENDING]
        if not assessed:
            return None
        worst = max(assessed, key=lambda c: (int(a.status[r, self._assessed[c]]), c))   # among equals, the last year
        return self._assessment_fields(r, worst)

    @functools.cached_property
    def _columns_by_rule(self) -> list[IntArray]:
        """For each rule, the columns (positions in :attr:`atoms`) of its evaluated atoms, by year."""
        atoms = self.atoms
        rule_of = self.plan.atom_rule[atoms]
        order = np.lexsort((self.plan.atom_year[atoms], rule_of))
        bounds = np.searchsorted(rule_of[order], np.arange(len(self.plan.rules) + 1))
        return [order[bounds[k]:bounds[k + 1]].astype(np.int64) for k in range(len(self.plan.rules))]

    @functools.cached_property
    def _measures(self) -> dict[str, FloatArray]:
        """value, threshold, margin, relative margin per ``[region, atom]``, in the rule's unit."""
        ev, plan, atoms = self.evaluation, self.plan, self.atoms
        x_lo, x_hi = ev.x_lo, ev.x_hi
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.where(np.isfinite(x_lo), x_lo, x_hi)
            x = np.where(np.isfinite(x), x, np.nan)
            lo, hi = plan.lo[atoms], plan.hi[atoms]
            excluded = plan.excluded[atoms]
            below, above = x - lo, hi - x
            factor = plan.factor[atoms]
            exact = ev.exact
            decided = np.zeros(x.shape, dtype=bool)
            if exact is not None:
                decided[exact.rows, exact.columns] = True
            below, above = below * factor, above * factor
            near_margins(plan, atoms, x, below, above, decided)   # close to a bound: exact margins
            below, above = below / factor, above / factor
            margin = np.where(np.isneginf(lo), above, np.where(np.isposinf(hi), below, np.minimum(below, above)))
            threshold = np.where(np.isneginf(lo), hi, np.where(
                np.isposinf(hi), lo, np.where(x < lo, lo, np.where(x > hi, hi, np.where(below <= above, lo, hi)))))
            margin = np.where(excluded, np.abs(x - lo), margin)
            threshold = np.where(excluded, lo, threshold)
            margin = margin * factor
            threshold = threshold * factor
            if exact is not None:     # cells decided exactly carry their exact margins
                b, a = exact.below, exact.above
                chosen = np.where(np.isnan(b), a, np.where(np.isnan(a), b, np.minimum(b, a)))
                margin[exact.rows, exact.columns] = np.where(excluded[exact.columns], np.abs(b), chosen)
            relative = margin / np.abs(threshold)
            relative = np.where(np.isfinite(relative), relative, np.nan)
            undecided = self.codes <= _UNKNOWN   # unknown, or not applicable: no margin
            margin = np.where(undecided & (self.codes != _PASS), np.nan, margin)
            relative = np.where(undecided & (self.codes != _PASS), np.nan, relative)
            value = np.where(self.codes == _NA, np.nan, x * factor)
        return {"value": value, "threshold": threshold, "margin": margin, "relative_margin": relative}

    @functools.cached_property
    def outcomes(self) -> npt.NDArray[np.int8]:
        """``[region, rule]`` codes: the worst over the rule's evaluated years (NA if none)."""
        regions = len(self.obs.regions)
        result = np.zeros((regions, len(self.plan.rules)), dtype=np.int8)
        for k, columns in enumerate(self._columns_by_rule):
            if len(columns):
                result[:, k] = self.codes[:, columns].max(axis=1)
        return result

    @functools.cached_property
    def _deciding(self) -> IntArray:
        """``[region, rule]``: the column that decides the rule's verdict (its worst year, and
        among equally bad years the smallest margin); -1 when the rule has no evaluated year."""
        margin = self._measures["margin"]
        result = np.full((len(self.obs.regions), len(self.plan.rules)), -1, dtype=np.int64)
        for k, columns in enumerate(self._columns_by_rule):
            if not len(columns):
                continue
            codes = self.codes[:, columns]
            worst = codes.max(axis=1, keepdims=True)
            score = np.where(codes == worst, np.nan_to_num(margin[:, columns], nan=np.inf), np.inf)
            best = np.argmin(score, axis=1)
            tied = np.all(score == np.inf, axis=1)
            best = np.where(tied, np.argmax(codes == worst, axis=1), best)
            result[:, k] = columns[best]
        return result

    # ---------------------------------------------------------------- verdict queries

    @property
    def failed(self) -> bool:
        """Some binding target failed."""
        return bool(((self.outcomes == _FAIL) & ~self._aspiration_rule[None, :]).any())

    @property
    def warned(self) -> bool:
        """Some aspiration (力争/争取) was missed."""
        return bool(((self.outcomes == _FAIL) & self._aspiration_rule[None, :]).any())

    @property
    def has_unknown(self) -> bool:
        return bool((self.outcomes == _UNKNOWN).any())

    @functools.cached_property
    def _aspiration_rule(self) -> npt.NDArray[np.bool_]:
        return np.array([r.strength.warns for r in self.plan.rules], dtype=bool)

    def exit_code(self, fail_on: str | None = None) -> int:
        """0 if no binding target failed; 1 if one did (or, with ``fail_on="warn"``, an aspiration
        was missed; with ``fail_on="unknown"``, also if a verdict is unknown)."""
        if fail_on not in (None, "warn", "unknown"):
            refuse(tr("fail_on must be None, 'warn' or 'unknown', not {value}", value=shown(fail_on)))
        if self.failed:
            return 1
        if fail_on in ("warn", "unknown") and self.warned:
            return 1
        if fail_on == "unknown" and self.has_unknown:
            return 1
        return 0

    def verdict(self, region: str, year: int, indicator: str) -> str:
        """The verdict of the target that binds ``region`` on ``indicator`` in ``year`` (the one
        :func:`qualityrules.binding` names: the strictest in force there); ``not-applicable`` when
        none binds. :meth:`verdicts` lists every target on the indicator. QR101 for an indicator
        not in the catalogue, QR301 for a region not in the data or a year the report does not
        check (with suggestions)."""
        r, columns, chosen = self._query(region, year, indicator)
        if chosen is None:
            return NOT_APPLICABLE
        return self._verdict_at(r, chosen)

    def verdicts(self, region: str, year: int, indicator: str) -> list[dict[str, Any]]:
        """Every target on ``indicator`` checked in ``year``, for ``region``: origin, level,
        target, rule, verdict, and ``binding`` (True for the one :meth:`verdict` answers for),
        the binding one first."""
        r, columns, chosen = self._query(region, year, indicator)
        rows = []
        for column in sorted(columns, key=lambda c: c != chosen):
            k = int(self.plan.atom_rule[self.atoms[column]])
            fields = self._rule_field_cache[k]
            rows.append({"region": self.obs.regions[r], "year": int(year), "origin": fields["origin"],
                         "level": fields["level"], "target": fields["target"], "rule": fields["rule"],
                         "verdict": self._verdict_at(r, column), "binding": column == chosen})
        return rows

    def _verdict_at(self, r: int, column: int) -> str:
        rule = int(self.plan.atom_rule[self.atoms[column]])
        return _verdict(int(self.codes[r, column]), bool(self._aspiration_rule[rule]))

    def _query(self, region: str, year: int | None, indicator: str, *, every_year: bool = False
               ) -> tuple[int, list[int], int | None]:
        """(region index, the columns of the targets on ``indicator`` checked in ``year``, the
        column of the one that binds or None), raising QR101/QR301 for what the report cannot
        answer."""
        from ..errors import UnknownIndicatorError, UsageError
        from ..packs.comparison import strongest

        if not isinstance(region, str):
            refuse(tr("region must be a string, not {value}", value=shown(region)))
        if not isinstance(indicator, str):
            refuse(tr("indicator must be a string, not {value}", value=shown(indicator)))
        if year is None and not every_year:     # a verdict is of one year (None would answer for any one)
            refuse(tr("year must be a year such as 2015, not {value}", value=shown(year)))
        if year is not None:
            ok = isinstance(year, (int, np.integer)) and not isinstance(year, bool)
            ok = ok or (isinstance(year, str) and year.strip().isdigit())
            if not ok:
                refuse(tr("year must be a year such as 2015, not {value}", value=shown(year)))
            year = int(year)
        found = self.pack.catalogue.lookup(indicator)
        if found is None:
            raise UnknownIndicatorError(Diagnostic(
                "QR101", tr("unknown indicator '{name}'", name=indicator),
                suggestion=self.pack.catalogue.suggest(indicator) or tr("see rules/catalogue.qr for the indicators")))
        r = self.obs.region_index(region)
        if r is None:
            raise UsageError(Diagnostic(
                "QR301", tr("region '{region}' is not in the report ({origin})", region=region, origin=self.obs.origin),
                suggestion=did_you_mean(normalize(region), self.obs.region_keys)
                or tr("regions in the report: {regions}", regions=", ".join(self.obs.regions[:20]))))
        years = self._report_years
        if year is not None and int(year) not in years:
            raise UsageError(Diagnostic(
                "QR301", tr("no target of {id} is checked in {year} in this report", id=self.pack.id, year=year),
                suggestion=tr("years checked: {years}", years=", ".join(map(str, years)) or tr("none"))))
        columns = [int(c) for k, rule in enumerate(self.plan.rules) if rule.indicator.name == found.name
                   for c in self._columns_by_rule[k].tolist()
                   if year is None or int(self.plan.atom_year[self.atoms[c]]) == int(year)]
        in_force = [c for c in columns if self.codes[r, c] != _NA]
        rule_at = {id(self.plan.rules[int(self.plan.atom_rule[self.atoms[c]])]): c for c in in_force}
        winner = strongest(self.pack, [self.plan.rules[int(self.plan.atom_rule[self.atoms[c]])] for c in in_force])
        return r, columns, None if winner is None else rule_at[id(winner)]

    @functools.cached_property
    def _report_years(self) -> list[int]:
        """The years in which some target is checked (in force) in this report."""
        atoms = self.atoms
        return sorted({int(y) for y in self.plan.atom_year[atoms[self.plan.in_force[atoms]]].tolist()})

    # ---------------------------------------------------------------- rows

    def _rule_fields(self, k: int) -> dict[str, Any]:
        rule = self.plan.rules[k]
        return {
            "pack": self.pack.id,
            "origin": rule.origin,
            "level": _level_value(rule),
            "section": self.plan.sections[k],
            "indicator": rule.indicator.name,
            "kind": rule.kind,
            "measure": rule.measure.value,
            "baseline_year": rule.baseline,
            "rounding": rounding_text(rule),
            "strength": rule.strength.value,
            "target": target_text(rule),
            "summed_years": [rule.years[0], rule.years[-1]] if rule.kind == "cumulative" and rule.years else None,
            "unit": display_unit(rule),
            "citation": rule.citation,
            "document": rule.document,
            "rule": rule.text,
        }

    @functools.cached_property
    def _rule_field_cache(self) -> list[dict[str, Any]]:
        return [self._rule_fields(k) for k in range(len(self.plan.rules))]

    def results(self) -> list[dict[str, Any]]:
        """One dict per (region, rule, year) checked, ordered by region, rule, year."""
        return self._result_rows.dicts()

    @functools.cached_property
    def _reasons(self) -> tuple[list[str | None], IntArray] | None:
        """Why an unknown verdict's data was set aside (implausible values it reads, in any year it
        sums or as its baseline): the reasons (None first) and, per ``[region, column]``, which;
        None when nothing was set aside."""
        doubts = self.evaluation.doubts
        if not doubts:
            return None
        plan, obs, atoms = self.plan, self.obs, self.atoms
        texts: dict[str | None, int] = {None: 0}
        which = np.zeros(self.codes.shape, dtype=np.int64)
        obs_year = {int(y): n for n, y in enumerate(obs.years.tolist())}
        reads = np.concatenate([plan.atom_sum_years[atoms], plan.atom_baseline[atoms][:, None]], axis=1)
        for doubt in doubts:
            text = texts.setdefault(f"{doubt.reason} ({doubt.diagnostic.code})", len(texts))
            mine = np.flatnonzero(np.array([plan.indicators[int(i)] for i in plan.atom_indicator[atoms]], dtype=object)
                                  == obs.indicators[doubt.indicator])
            for slot in range(reads.shape[1]):   # one step per year an atom reads, never per region
                for column in mine.tolist():
                    y = int(reads[column, slot])
                    n = obs_year.get(int(plan.years[y])) if y >= 0 else None
                    if n is not None:
                        hit = doubt.cells[:, n] & (self.codes[:, column] == _UNKNOWN)
                        which[hit, column] = text
        return list(texts), which

    def _add_reasons(self, by_row: dict[str, list[Any] | Indexed], by_key: dict[str, list[Any]], r: IntArray,
                     column: IntArray) -> None:
        """The ``reason`` of rows at ``(r, column)`` (a column past the last: no deciding year, None):
        a field of every kind of row when no data was set aside (None), else one per row."""
        reasons = self._reasons
        if reasons is None:
            by_key["reason"] = [None] * (len(next(iter(by_key.values()))) if by_key else 0)
            return
        texts, which = reasons
        inside = column < which.shape[1]
        by_row["reason"] = Indexed(texts, np.where(inside, which[r, np.minimum(column, which.shape[1] - 1)], 0))

    def targets(self) -> list[dict[str, Any]]:
        """One dict per (region, rule): the verdict over the rule's years and the deciding year."""
        return self._target_rows.dicts()

    def _caveat(self, k: int, year: int) -> str | None:
        """Definitions over time: the statistic was defined otherwise when the target was set than
        in ``year`` (the verdict stands; the caveat says what it compares)."""
        return self.plan.rules[k].definition_caveat(year)

    @functools.cached_property
    def _measure_tables(self) -> dict[str, tuple[list[Any], IntArray]]:
        """Each measure's distinct values (None where not finite, and a None last) and, per
        ``[region, atom]``, which of them: the result rows and the target rows index one table."""
        tables = {}
        for name in ("value", "threshold", "margin", "relative_margin"):
            matrix = self._measures[name]
            column = floats(matrix.reshape(-1))
            tables[name] = ([*column.table, None], column.index.reshape(matrix.shape))
        return tables

    @functools.cached_property
    def _region_names(self) -> list[str]:
        """The regions, one list for the result and the target rows (their JSON encodes it once)."""
        return list(self.obs.regions)

    @functools.cached_property
    def _result_rows(self) -> Rows:
        """:meth:`results` as columns indexed out of the ``[region, atom]`` matrices. A row's kind
        (its place in a region's rows — rule and year —, verdict and censoring mark) fixes all its
        fields but the region and the numbers."""
        regions = len(self.obs.regions)
        place_column = np.concatenate([np.zeros(0, np.int64), *self._columns_by_rule])
        place_rule = np.repeat(np.arange(len(self.plan.rules)), [len(c) for c in self._columns_by_rule])
        r = np.repeat(np.arange(regions), len(place_column))
        place = np.tile(np.arange(len(place_column)), regions)
        column, rule = place_column[place], place_rule[place]
        cell = r * len(self.atoms) + column   # the rows' cells of the [region, atom] matrices, flattened
        verdict, censored = self._verdict_code(self.codes.reshape(-1)[cell], rule), self._censored.reshape(-1)[cell]
        binding = self._binding.reshape(-1)[cell].view(np.int8)
        key, of_kind = kinds(place, verdict, censored, binding)
        years = self.plan.atom_year[self.atoms][column[of_kind]].tolist()
        by_key = {
            "year": years,
            **self._rule_fields_of(rule[of_kind]),
            "caveat": [self._caveat(k, year) for k, year in zip(rule[of_kind].tolist(), years, strict=True)],
            "verdict": _VERDICT_NAMES[verdict[of_kind]].tolist(),
            "censored": _CENSORED_MARKS[censored[of_kind]].tolist(),
            "binding": [bool(b) for b in binding[of_kind].tolist()],
        }
        by_row: dict[str, list[Any] | Indexed] = {
            "region": Indexed(self._region_names, r),
            **{name: Indexed(table, which.reshape(-1)[cell]) for name, (table, which) in self._measure_tables.items()},
        }
        self._add_reasons(by_row, by_key, r, column)
        by_row["assessment"] = self._assessments(r, column, np.isin(column, self._assessed_columns),
                                                 self._assessment_fields)
        names = ["region", "year", *self._rule_field_cache_names, "caveat", "verdict", "value", "censored",
                 "threshold", "margin", "relative_margin", "binding", "reason", "assessment"]
        return Rows(names, key, by_row, by_key)

    @functools.cached_property
    def _target_rows(self) -> Rows:
        """:meth:`targets` as columns: the deciding column of each (region, rule) indexes the
        ``[region, atom]`` matrices. A row's kind (rule, verdict, deciding year, censoring mark)
        fixes all its fields but the region, the numbers and the verdicts of each year."""
        regions, checked = len(self.obs.regions), np.array(self._checked_rules, dtype=np.int64)
        r, place = np.repeat(np.arange(regions), len(checked)), np.tile(np.arange(len(checked)), regions)
        rule = checked[place]
        column = self._deciding[r, rule]
        decided = column >= 0
        column = np.where(decided, column, len(self.atoms))   # past the last column: no deciding year
        verdict = self._verdict_code(self.outcomes[r, rule], rule)
        cell = r * len(self.atoms) + np.minimum(column, len(self.atoms) - 1)   # flattened [region, atom]
        censored = np.where(decided, self._censored.reshape(-1)[cell], 0)
        key, of_kind = kinds(place, verdict, column, censored)
        years = [*self.plan.atom_year[self.atoms].tolist(), None]
        checked_years = [[years[c] for c in self._columns_by_rule[k].tolist()] for k in rule[of_kind].tolist()]
        by_key = {
            **self._rule_fields_of(rule[of_kind]),
            "caveat": [next((c for c in (self._caveat(k, y) for y in checked) if c), None)
                       for k, checked in zip(rule[of_kind].tolist(), checked_years, strict=True)],
            "years": checked_years,
            "verdict": _VERDICT_NAMES[verdict[of_kind]].tolist(),
            "year": [years[c] for c in column[of_kind].tolist()],
            "censored": _CENSORED_MARKS[censored[of_kind]].tolist(),
        }
        by_row: dict[str, list[Any] | Indexed] = {
            "region": Indexed(self._region_names, r),
            **{name: Indexed(table, np.where(decided, which.reshape(-1)[cell], len(table) - 1))
               for name, (table, which) in self._measure_tables.items()},
            "year_verdicts": self._year_verdicts(checked, regions),
        }
        self._add_reasons(by_row, by_key, r, column)
        assessed_rules = self.plan.atom_rule[self.atoms][self._assessed_columns]
        by_row["assessment"] = self._assessments(r, rule, np.isin(rule, assessed_rules), self._target_assessment)
        names = ["region", *self._rule_field_cache_names, "caveat", "years", "verdict", "year", "value", "threshold",
                 "margin", "relative_margin", "censored", "reason", "year_verdicts", "assessment"]
        return Rows(names, key, by_row, by_key)

    def _assessments(self, r: IntArray, where: IntArray, reached: npt.NDArray[np.bool_],
                     fields: Callable[[int, int], dict[str, Any] | None]) -> Indexed:
        """The review of each row: ``fields(region, where)`` for the rows a review ``reached``
        (entry 0, None, for the others: every row without ``as_of``)."""
        values: list[dict[str, Any] | None] = [None]
        index = np.zeros(len(r), dtype=np.int64)
        for i in np.flatnonzero(reached).tolist():
            found = fields(int(r[i]), int(where[i]))
            if found:
                values.append(found)
                index[i] = len(values) - 1
        return Indexed(values, index)

    @functools.cached_property
    def _assessed_columns(self) -> IntArray:
        return np.array(sorted(self._assessed), dtype=np.int64)

    def _year_verdicts(self, checked: IntArray, regions: int) -> Indexed:
        """Per (region, checked rule): the verdict of each year, for rules checked in more than one
        year (else None); each distinct combination of verdicts is one dict."""
        table: list[dict[str, str] | None] = [None]
        index = np.zeros((regions, len(checked)), dtype=np.int64)
        for j, k in enumerate(checked.tolist()):
            columns = self._columns_by_rule[k]
            if len(columns) > 1:
                codes = self._verdict_code(self.codes[:, columns], np.full(len(columns), k))
                which, of_kind = kinds(*codes.T)
                labels = [str(y) for y in self.plan.atom_year[self.atoms][columns].tolist()]
                index[:, j] = len(table) + which
                table.extend(dict(zip(labels, _VERDICT_NAMES[c].tolist(), strict=True)) for c in codes[of_kind])
        return Indexed(table, index.reshape(-1))

    @functools.cached_property
    def _rule_field_cache_names(self) -> list[str]:
        return list(self._rule_fields(0)) if self.plan.rules else []

    def _rule_fields_of(self, rules: IntArray) -> dict[str, list[Any]]:
        """The fields of a row that are its rule's own, for the rules ``rules``."""
        every = self._rule_field_cache
        return {name: [every[k][name] for k in rules.tolist()] for name in self._rule_field_cache_names}

    def _verdict_code(self, codes: npt.NDArray[np.int8], rule: IntArray) -> IntArray:
        """Positions in ``_VERDICT_NAMES`` of ``codes`` of the rules ``rule``."""
        return codes.astype(np.int64) * 2 + self._aspiration_rule[rule]

    @functools.cached_property
    def _censored(self) -> npt.NDArray[np.int8]:
        """``[region, atom]``: position in ``_CENSORED_MARKS`` (``<``/``≤``/``>``/``≥`` where the
        value is a censored bound; 0, no mark, where it is not)."""
        ev = self.evaluation
        x_lo, x_hi = ev.x_lo, ev.x_hi
        marks = np.zeros(x_lo.shape, dtype=np.int8)
        if x_hi is x_lo:
            return marks
        lower = np.isneginf(x_lo) & np.isfinite(x_hi)
        upper = np.isposinf(x_hi) & np.isfinite(x_lo)
        marks[lower] = np.where(ev.x_hi_open[lower], 1, 2)
        marks[upper] = np.where(ev.x_lo_open[upper], 3, 4)
        return marks

    # ---------------------------------------------------------------- counts

    def counts(self, by: str = "pack") -> dict[str, dict[str, int]]:
        """Target verdicts counted per ``pack`` (the origin pack of each rule), ``section`` or
        ``level``; a target that does not bind a region counts as not-applicable there."""
        keys = {"pack": lambda k: self.plan.rules[k].origin,
                "section": lambda k: self.plan.sections[k] or "-",
                "level": lambda k: _level(self.plan.rules[k])}
        if by not in keys:
            refuse(tr("by must be one of {choices}, not {value}", choices=", ".join(sorted(keys)), value=shown(by)))
        key_of: Callable[[int], str] = keys[by]
        counts: dict[str, dict[str, int]] = {}
        for k, frequency in zip(self._checked_rules, self._outcome_counts, strict=True):
            bucket = counts.setdefault(key_of(k), dict.fromkeys(VERDICTS, 0))
            aspiration = bool(self._aspiration_rule[k])
            for code, n in enumerate(frequency):
                if n:
                    bucket[_verdict(code, aspiration)] += n
        return counts

    @functools.cached_property
    def _outcome_counts(self) -> list[list[int]]:
        """Per checked rule, how many regions have each outcome code (counted once for every way
        of grouping the counts)."""
        return [np.bincount(self.outcomes[:, k], minlength=_FAIL + 1).tolist() for k in self._checked_rules]

    @functools.cached_property
    def _checked_rules(self) -> list[int]:
        """Rules with at least one year checked (all of them unless years were restricted)."""
        return [k for k, columns in enumerate(self._columns_by_rule) if len(columns)]

    def summary(self) -> dict[str, int]:
        """Totals over every (region, rule) target."""
        return _summary(self.counts("pack"))

    @functools.cached_property
    def missing_indicators(self) -> list[str]:
        """Indicators that targets binding the data's regions read, and the data lacks entirely."""
        have = set(self.obs.indicators)
        binding = [True] * len(self.plan.rules)
        if len(self.obs.regions):
            binding = [bool((self.codes[:, columns] != _NA).any()) for columns in self._columns_by_rule]
        wanted = dict.fromkeys(rule.indicator.name for rule, used in zip(self.plan.rules, binding, strict=True) if used)
        return [name for name in wanted if name not in have]

    # ---------------------------------------------------------------- views

    @optional_dependencies("Report.to_frame()")
    def to_frame(self, level: str = "results") -> Any:
        """A pandas DataFrame of :meth:`results` (or, with ``level="targets"``, :meth:`targets`)."""
        import pandas as pd

        if level not in ("results", "targets"):
            refuse(tr("level must be 'results' or 'targets', not {value}", value=shown(level)))
        rows = self.results() if level == "results" else self.targets()
        columns = list(_RESULT_COLUMNS if level == "results" else _TARGET_COLUMNS)
        if self.as_of is not None:
            rows = [{**row, **_review_columns(row)} for row in rows]
            columns += _REVIEW_COLUMNS
        frame = pd.DataFrame(rows, columns=columns)
        for name in ("value", "threshold", "margin", "relative_margin"):
            frame[name] = frame[name].astype("float64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {**self._document(), "targets": self.targets(), "results": self.results()}

    def _document(self) -> dict[str, Any]:
        """The JSON document up to its rows."""
        pack = self.pack
        period = pack.period
        counts = {by: self.counts(by) for by in ("pack", "section", "level")}
        return {
            "schema": SCHEMA_ID,
            "pack": {"id": pack.id, "name": pack.name, "source": pack.definition.source, "region": pack.region,
                     "level": _level_value(pack),
                     "period": [period.start, period.end] if period else None,
                     "scope": list(pack.definition.scope)},
            "data": {"origin": self.obs.origin, "regions": list(self.obs.regions),
                     "years": [int(y) for y in self.obs.years], "indicators": list(self.obs.indicators),
                     "missing_indicators": self.missing_indicators},
            "options": {"regions": self.requested_regions, "years": self.requested_years, "as_of": self.as_of},
            "warnings": [w.to_dict() for w in self.warnings],
            "summary": {**_summary(counts["pack"]), "exit_code": self.exit_code()},
            "counts": counts,
            "review": self._review_dict(),
        }

    def _review_dict(self) -> dict[str, Any] | None:
        if self.as_of is None:
            return None
        on_track, at_risk = self.review.thresholds
        return {"as_of": self.as_of, "method": self.review.method.value, "on_track": float(on_track),
                "at_risk": float(at_risk), "summary": self.review_summary(), "regions": self.review_counts("region")}

    def to_json(self, indent: int | None = 2) -> str:
        """JSON following ``schemas/report.schema.json``: ``json.dumps(self.to_dict())``, written
        from the rows' columns (see :mod:`qualityrules.report.rows`)."""
        if indent is not None and (isinstance(indent, bool) or not isinstance(indent, int) or not 0 <= indent <= 100):
            refuse(tr("indent must be None or a number of spaces (0 to 100), not {value}", value=shown(indent)))
        return dumps({**self._document(), "targets": self._target_rows, "results": self._result_rows}, indent)

    def to_csv(self) -> str:
        """The results, one row per (region, rule, year), as CSV (UTF-8). Report warnings come
        first as comment lines starting with ``#`` (``pandas.read_csv(..., comment="#")``). A
        text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (a region,
        indicator or citation that a spreadsheet would run as a formula) is written with a ``'``
        before it (``'=HYPERLINK(…)``), the usual guard against CSV injection; numbers are written
        as they are (a margin ``-1.5``), and so is text that is a plain number."""
        out = io.StringIO()
        for warning in self.warnings:
            out.write("".join(f"# {line}\n" for line in warning.render().splitlines()))
        columns = list(_RESULT_COLUMNS) + (_REVIEW_COLUMNS if self.as_of is not None else [])
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in self.results():
            if self.as_of is not None:
                row = {**row, **_review_columns(row)}
            writer.writerow({k: _csv_cell(row[k]) for k in columns})
        return out.getvalue()

    def to_markdown(self) -> str:
        """Summary, counts per level, and one table of targets per region."""
        lines = [f"# {self.pack.id}: {self.pack.name or ''}".rstrip(), "",
                 f"Data: {self.obs.describe()}", ""]
        if self.warnings:
            lines += ["## Warnings", "", *(f"- {_md(w.render())}" for w in self.warnings), ""]
        summary = self.summary()
        lines += ["| targets | " + " | ".join(VERDICTS) + " |", "|---" * (len(VERDICTS) + 1) + "|",
                  f"| {summary['targets']} | " + " | ".join(str(summary[v]) for v in VERDICTS) + " |", ""]
        lines += ["| level | " + " | ".join(VERDICTS) + " |", "|---" * (len(VERDICTS) + 1) + "|"]
        for level, bucket in self.counts("level").items():
            lines.append(f"| {level} | " + " | ".join(str(bucket[v]) for v in VERDICTS) + " |")
        by_region = _group(self.targets(), "region")
        for region, rows in by_region.items():
            lines += ["", f"## {region}", "",
                      "| verdict | indicator | target | year | value | margin | level | origin | citation |",
                      "|---|---|---|---|---|---|---|---|---|"]
            for row in rows:
                lines.append("| " + " | ".join(_md(c) for c in (
                    row["verdict"], row["indicator"], row["target"], _years_text(row), _value_text(row),
                    _margin_text(row), row["level"] or "", row["origin"], row["citation"] or "")) + " |")
            caveats = [f"> caveat — {_md(row['indicator'])}: {_md(row['caveat'])}" for row in rows if row["caveat"]]
            if caveats:
                lines += ["", *caveats]
            pending = [row for row in rows if row.get("assessment")]
            if pending:
                lines += ["", f"Review as of {self.as_of} (targets due later):", "",
                          "| " + " | ".join(("status",) + rv.TABLE_HEADER[1:]) + " |",
                          "|---" * len(rv.TABLE_HEADER) + "|"]
                lines += ["| " + " | ".join(_md(c) for c in rv.table_cells(row)) + " |"
                          for row in sorted(pending, key=_review_order)]
        if self.missing_indicators:
            lines += ["", "Not in the data: " + ", ".join(self.missing_indicators)]
        review = self._review_summary_line()
        if review:
            lines += ["", review]
        return "\n".join(lines) + "\n"

    def _review_summary_line(self) -> str | None:
        review = self._review_dict()
        if review is None:
            return None
        return (f"review as of {self.as_of} ({review['method']}: on track ≥ {review['on_track']:g}, "
                f"at risk ≥ {review['at_risk']:g}): " + (", ".join(
                    f"{n} {status}" for status, n in review["summary"].items() if n) or "no target due later"))

    def to_text(self, *, width: int | None = None) -> str:
        """A table for the terminal: one line per target, grouped by region, then the totals."""
        if width is not None and (isinstance(width, bool) or not isinstance(width, int)):
            refuse(tr("width must be a number of columns, not {value}", value=shown(width)))
        head = f"{self.pack.id}"
        if self.pack.name:
            head += f"  {self.pack.name}"
        if self.pack.definition.source:
            head += f" ({self.pack.definition.source})"
        lines = [head, f"data: {self.obs.describe()}"]
        lines += [line for w in self.warnings for line in w.render().splitlines()]
        if self.requested_years:
            lines.append("years: " + ", ".join(str(y) for y in self.requested_years))
        tables = self._region_tables(width)
        summary = self.summary()
        after = ["", f"{summary['targets']} target(s) x region(s): " + ", ".join(
            f"{summary[v]} {v}" for v in VERDICTS if summary[v])]
        levels = self.counts("level")
        if len(levels) > 1:
            after.append("by level: " + "; ".join(
                f"{level} " + ", ".join(f"{n} {v}" for v, n in bucket.items() if n) for level, bucket in levels.items()))
        if self.missing_indicators:
            after.append(f"{len(self.missing_indicators)} indicator(s) of the pack are not in the data: "
                         + ", ".join(self.missing_indicators[:8]) + (" …" if len(self.missing_indicators) > 8 else ""))
        review = self._review_summary_line()
        if review:
            after.append(review)
        # the tables' pieces joined with the other lines in one go: the text is copied once
        return "".join(["\n".join(lines), *tables, *(f"\n{line}" for line in after), "\n"])

    def _region_tables(self, width: int | None) -> list[str]:
        """Per region: a blank line, its name and a table of its targets, worst first, then the
        caveats of its targets; targets that do not bind it, and those whose indicator the data
        lacks, only counted; a region outside the pack's area, one line. The text as pieces, a line
        break before each line. Built for every region at once: each column is its distinct cells
        and which one each line shows, each region's column widths are maxima over its lines, and
        each distinct padded cell is made once."""
        rows = self._target_rows
        if not len(rows):
            return []
        region = rows.by_row["region"]
        assert isinstance(region, Indexed)
        names, r, key = region.table, region.index, rows.key
        kinds = [dict(zip(rows.by_key, fields, strict=True)) for fields in zip(*rows.by_key.values(), strict=True)]
        missing = set(self.missing_indicators)
        absent = np.array([k["verdict"] == UNKNOWN and k["indicator"] in missing for k in kinds], dtype=bool)
        elsewhere = np.array([k["verdict"] == NOT_APPLICABLE for k in kinds], dtype=bool)
        due_later = np.array([k["verdict"] == PENDING for k in kinds], dtype=bool)
        shown = np.flatnonzero((~absent & ~elsewhere & ~due_later)[key])
        worse = np.array([_ORDER[k["verdict"]] for k in kinds], dtype=np.int64)[key[shown]]
        shown = shown[np.argsort(r[shown] * len(_ORDER) + worse, kind="stable")]   # by region, worst first
        # the table's lines: the header of each region, then its rows, region by region
        header = ("", "indicator", "target", "year", "value", "margin", "level")
        starts = np.concatenate([np.zeros(1, np.int64), np.cumsum(np.bincount(r[shown], minlength=len(names)) + 1)])
        at_region = np.repeat(np.arange(len(names)), np.diff(starts))
        # every column as its distinct cells and, per line, which one: a header line takes cell 0;
        # the line of a row its kind's cell, or (value, margin) the cell of its numbers
        by_place = np.arange(len(at_region)) - at_region   # the place in ``shown`` of a row's line, plus one
        by_place[starts[:-1]] = 0
        by_kind = np.concatenate([np.zeros(1, np.int64), 1 + key[shown]])[by_place]
        kind_cells = [(_MARK[k["verdict"]], k["indicator"], k["target"], _years_text(k), k["level"] or "")
                      for k in kinds]
        (values, value_of), (margins, margin_of) = self._value_cells(rows, shown), self._margin_cells(rows, shown)
        columns: list[tuple[list[str], IntArray]] = [
            *(([header[c], *(cells[c] for cells in kind_cells)], by_kind) for c in range(4)),
            (["value", *values], np.concatenate([np.zeros(1, np.int64), 1 + value_of])[by_place]),
            (["margin", *margins], np.concatenate([np.zeros(1, np.int64), 1 + margin_of])[by_place]),
            (["level", *(cells[4] for cells in kind_cells)], by_kind),
        ]
        widths = np.stack([np.array(_widths(texts), dtype=np.int64)[which] for texts, which in columns], axis=1)
        region_widths = np.maximum.reduceat(widths, starts[:-1], axis=0)
        too_wide = (width is not None) & (2 + region_widths.sum(axis=1) + 2 * (len(columns) - 1) > (width or 0))
        absent_count = np.bincount(r[absent[key]], minlength=len(names))
        elsewhere_count = np.bincount(r[elsewhere[key]], minlength=len(names))
        reviewed = self._reviewed_by_region(rows)
        outside = set(self.evaluation.outside)
        targets_count = np.bincount(r, minlength=len(names)).tolist()
        caveat = np.array([bool(k["caveat"]) and k["verdict"] != NOT_APPLICABLE for k in kinds], dtype=bool)
        caveats: dict[int, list[str]] = {}   # in the order of the region's rows
        with_caveat = np.flatnonzero(caveat[key])
        for i, k in zip(r[with_caveat].tolist(), key[with_caveat].tolist(), strict=True):
            caveats.setdefault(i, []).append(f"  caveat: {kinds[k]['indicator']}: {kinds[k]['caveat']}")
        # most regions are a name and their table, as the grid of pieces has them: the others'
        # lines are written here, as one piece in place of their table
        special = outside | set(caveats) | set(reviewed) | \
            set(np.flatnonzero(too_wide | (absent_count > 0) | (elsewhere_count > 0)).tolist())
        cells = _pieces(columns, region_widths[at_region] - widths)
        bounds = starts.tolist()
        heads = [f"\n\n{name}" for name in names]
        hidden = np.diff(starts) == 1   # a header and no row: no table
        for i in special:
            start, end = bounds[i], bounds[i + 1]
            if i in outside:
                heads[i] += (f"\n  {_MARK[NOT_APPLICABLE]}  {targets_count[i]} target(s): outside the pack's area, "
                             "nothing checked (see warning QR240)")
                hidden[i] = True
                continue
            if end - start == 1:   # a header and no row: no table
                lines = []
            elif too_wide[i]:   # columns shrink to fit: the table as the narrow layout makes it
                unpadded = [np.array(texts, dtype=object)[which[start:end]].tolist() for texts, which in columns]
                lines = _aligned(list(zip(*unpadded, strict=True)), width)
            else:
                lines = ["".join(line).removeprefix("\n") for line in cells[start:end].tolist()]
            lines += caveats.get(i, [])
            if absent_count[i]:
                lines.append(f"  {_MARK[UNKNOWN]}  {absent_count[i]} more target(s): indicator not in the data")
            if i in reviewed:
                lines += self._review_table(reviewed[i], missing, width)
            if elsewhere_count[i]:
                lines.append(f"  {_MARK[NOT_APPLICABLE]}  {elsewhere_count[i]} target(s) do not bind {names[i]} "
                             "(totals of other regions, or not in force in the years checked)")
            heads[i] += "".join(f"\n{line}" for line in lines)
            hidden[i] = True
        cells[hidden[at_region]] = ""
        grid = np.empty((len(at_region), len(columns) + 1), dtype=object)
        grid[:, 0] = ""
        grid[starts[:-1], 0] = np.array(heads, dtype=object)
        grid[:, 1:] = cells
        return grid.ravel().tolist()

    def _reviewed_by_region(self, rows: Rows) -> dict[int, list[dict[str, Any]]]:
        """The target rows a review as of a year reaches (due later), by region."""
        assessment, region = rows.by_row["assessment"], rows.by_row["region"]
        assert isinstance(assessment, Indexed) and isinstance(region, Indexed)
        reached = np.flatnonzero(assessment.index > 0)   # entry 0 of the table is "no assessment"
        by_region: dict[int, list[dict[str, Any]]] = {}
        for r, row in zip(region.index[reached].tolist(), rows.dicts(reached), strict=True):
            by_region.setdefault(r, []).append(row)
        return by_region

    def _review_table(self, pending: list[dict[str, Any]], missing: set[str], width: int | None) -> list[str]:
        """A region's targets due after the as-of year: how each is going, worst first."""
        shown = [row for row in pending if row["indicator"] not in missing]
        lines = [f"  review as of {self.as_of}: {len(pending)} target(s) due later"]
        if shown:
            lines += _aligned([rv.TABLE_HEADER] + [rv.table_cells(row) for row in sorted(shown, key=_review_order)],
                              width)
        if len(shown) < len(pending):
            lines.append(f"  ?  {len(pending) - len(shown)} more target(s) due later: indicator not in the data")
        return lines

    def _value_cells(self, rows: Rows, shown: IntArray) -> tuple[list[str], IntArray]:
        """The value column of the text table for rows ``shown``: its distinct cells (the censoring
        mark and the number) and which one each row shows."""
        value = rows.by_row["value"]
        assert isinstance(value, Indexed)
        marks = list(dict.fromkeys(rows.by_key["censored"]))
        mark = np.array([marks.index(m) for m in rows.by_key["censored"]], dtype=np.int64)[rows.key[shown]]
        which, some = kinds(mark, value.index[shown])
        return [(marks[m] or "") + _num(value.table[v]) if value.table[v] is not None else "—"
                for m, v in zip(mark[some].tolist(), value.index[shown[some]].tolist(), strict=True)], which

    def _margin_cells(self, rows: Rows, shown: IntArray) -> tuple[list[str], IntArray]:
        """The margin column of the text table for rows ``shown``: its distinct cells (signed, and
        relative in brackets) and which one each row shows."""
        margin, relative = rows.by_row["margin"], rows.by_row["relative_margin"]
        assert isinstance(margin, Indexed) and isinstance(relative, Indexed)
        which, some = kinds(margin.index[shown], relative.index[shown])
        return ["" if margin.table[m] is None else _signed(margin.table[m]) + (
            "" if relative.table[x] is None else f" ({_percent(relative.table[x])})")
            for m, x in zip(margin.index[shown[some]].tolist(), relative.index[shown[some]].tolist(), strict=True)], which

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<Report {self.pack.id}: {len(self.obs.regions)} region(s), "
                + ", ".join(f"{s[v]} {v}" for v in VERDICTS if s[v]) + ">")

    # ---------------------------------------------------------------- explain

    def explain(self, region: str, year: int | None, indicator: str, *, others: bool = False) -> str:
        """How the verdict for ``indicator`` in ``region`` and ``year`` came about: the target that
        binds (the one :meth:`verdict` answers for), its text and citation, the data used and the
        arithmetic; with ``others``, every other target on the indicator that year too (less
        strict, or not binding the region, and why). ``year=None`` explains every year checked.
        QR101/QR301 like :meth:`verdict`."""
        if year is None:
            r, columns, _ = self._query(region, None, indicator, every_year=True)
            years = sorted({int(self.plan.atom_year[self.atoms[c]]) for c in columns})
            if not years:
                return f"{self.obs.regions[r]} {indicator}: no target of {self.pack.id} is checked on it (not-applicable)"
            return "\n\n".join(self.explain(region, y, indicator, others=others) for y in years)
        r, columns, chosen = self._query(region, year, indicator)
        name = self.pack.catalogue.lookup(indicator).name  # type: ignore[union-attr]  # _query checked it
        where = f"{self.obs.regions[r]} {year} {name}"
        if not columns:
            return f"{where}: no target of {self.pack.id} on {name} is checked in {year} (not-applicable)"
        if chosen is None:
            return "\n\n".join([f"{where}: NOT-APPLICABLE  (no target of {self.pack.id} on {name} binds "
                                 f"{self.obs.regions[r]} in {year}; each target says why)",
                                 *(self._explain_one(r, c) for c in columns)])
        text = self._explain_one(r, chosen)
        rest = [c for c in columns if c != chosen]
        if others:
            return "\n\n".join([text, *(self._explain_one(r, c) for c in rest)])
        if rest:
            text += (f"\n  others:   {len(rest)} other target(s) on {name} in {year}: " + "; ".join(
                f"{self._rule_field_cache[int(self.plan.atom_rule[self.atoms[c]])]['target']} "
                f"({self.plan.rules[int(self.plan.atom_rule[self.atoms[c]])].origin}: {self._verdict_at(r, c)})"
                for c in rest) + " — explain(..., others=True) explains them")
        return text

    def _explain_one(self, r: int, column: int) -> str:
        plan, obs = self.plan, self.obs
        atom = int(self.atoms[column])
        k = int(plan.atom_rule[atom])
        rule = plan.rules[k]
        aspiration = bool(self._aspiration_rule[k])
        verdict = _verdict(int(self.codes[r, column]), aspiration)
        year = int(plan.atom_year[atom])
        unit = display_unit(rule)
        level = _level(rule)
        stricter_too = verdict != NOT_APPLICABLE and not bool(self._binding[r, column])
        lines = [f"{obs.regions[r]} {year} {rule.indicator.name}: {verdict.upper()}"
                 f"  ({rule.strength.value}, {level} target of {rule.origin}"
                 + ("; a stricter target on the same indicator also applies" if stricter_too else "")
                 + ")",
                 f"  rule:     {rule.text}",
                 f"  citation: {_citation(rule)}"]
        if verdict == NOT_APPLICABLE:
            lines.append(f"  scope:    {self._not_binding(r, atom)}")
            return "\n".join(lines)
        if int(self.codes[r, column]) == _PENDING:
            return "\n".join(lines + self._review_lines(r, column))
        read = self._data_lines(r, atom)
        lines += [f"  data:     {read[0]}", *(f"            {line}" for line in read[1:])]
        lines.append(f"  check:    {self._arithmetic(r, column, rule, unit, verdict)}")
        caveat = self._caveat(k, year)
        if caveat:
            lines.append(f"  caveat:   {caveat}")
        if rule.kind == "every-year":
            outcome = _verdict(int(self.outcomes[r, k]), aspiration)
            lines.append(f"  period:   every year {rule.years[0]}–{rule.years[-1]} must pass; over the years "
                         f"checked the target is {outcome.upper()}")
        return "\n".join(lines)

    def _review_lines(self, r: int, column: int) -> list[str]:
        """The assessment of a target due after the as-of year, with the values it read."""
        assert self.assessment is not None
        k = self._assessed[column]
        atom = int(self.atoms[column])
        rule = int(self.plan.atom_rule[atom])
        i = self.obs.indicator_index(self.plan.rules[rule].indicator.name)
        read: list[tuple[int, float]] = []
        if i is not None:
            values, upper = self.obs.values[i].lo[r], self.obs.values[i].hi[r]
            exact = np.isfinite(values) & (values == upper)
            read = [(int(year), float(value)) for year, value, ok in
                    zip(self.obs.years.tolist(), values.tolist(), exact.tolist(), strict=True) if ok]
        lines = rv.explain_lines(self.assessment, self.plan, r, k, self._failed_years(r, rule), read)
        return [*lines, f"  source:   {self.obs.origin}, data up to {self.as_of}"]

    def _not_binding(self, r: int, atom: int) -> str:
        """Why an atom does not bind a region (the applicability rule, in words)."""
        from ..packs.applicability import in_force_years

        plan, pack, region = self.plan, self.pack, self.obs.regions[r]
        k = int(plan.atom_rule[atom])
        rule = plan.rules[k]
        home = " or ".join(dict.fromkeys(x for x in (pack.region, *pack.definition.scope) if x)) or "-"
        if r in self.evaluation.outside:
            return (f"{region} is not {home} or part of it (region hierarchy, scope), so {pack.id} "
                    "does not speak for it")
        if not self.evaluation.applicable[r, k]:
            return (f"a total (or rank) of {', '.join(rule.regions) or '-'}: it binds that region only, "
                    f"not {region}")
        start, end = in_force_years(pack, rule)
        return (f"in force {start}–{end} (while {pack.id} and {rule.origin} are both in force), "
                f"not in {int(plan.atom_year[atom])}")

    def _data_lines(self, r: int, atom: int) -> list[str]:
        plan, obs = self.plan, self.obs
        rule = plan.rules[int(plan.atom_rule[atom])]
        name = rule.indicator.name
        i = obs.indicator_index(name)
        wanted = [int(plan.years[y]) for y in plan.atom_sum_years[atom] if y >= 0]
        baseline = int(plan.years[plan.atom_baseline[atom]]) if plan.atom_baseline[atom] >= 0 else None
        if baseline is not None:
            wanted = [baseline, *wanted]
        if i is None:
            return [f"{name} is not in the data ({obs.origin})"]
        lines = []
        given = self.evaluation.data
        for year in wanted:
            y = obs.year_index(year)
            cell = given.cell(r, y, i) if y is not None else None
            text = "missing" if cell is None else f"{cell} {obs.units[i] or ''}".rstrip()
            doubt = next((d for d in self.evaluation.doubts if d.indicator == i and y is not None and d.cells[r, y]),
                         None)
            if doubt is not None:
                text += f", set aside: {doubt.reason} ({doubt.diagnostic.code})"
            note = obs.notes.get((r, y, i)) if y is not None else None
            label = " (baseline)" if year == baseline else ""
            lines.append(f"{name} {year}{label} = {text}" + (f"   [{note}]" if note else ""))
        lines.append(f"source: {obs.origin}")
        return lines

    def _terms(self, r: int, atom: int) -> list[str]:
        """The values an atom reads (each year summed), as written in the indicator's unit."""
        plan, obs = self.plan, self.obs
        i = obs.indicator_index(plan.rules[int(plan.atom_rule[atom])].indicator.name)
        terms = []
        for y in plan.atom_sum_years[atom].tolist():
            if y < 0:
                continue
            year = obs.year_index(int(plan.years[y]))
            cell = obs.cell(r, year, i) if year is not None and i is not None else None
            terms.append("?" if cell is None else str(cell))
        return terms

    def _arithmetic(self, r: int, column: int, rule: BoundRule, unit: str, verdict: str) -> str:
        ev, plan = self.evaluation, self.plan
        atom = int(self.atoms[column])
        measures = self._measures
        x_lo, x_hi = float(ev.x_lo[r, column]), float(ev.x_hi[r, column])
        factor = float(plan.factor[atom])
        if math.isnan(x_lo) or math.isnan(x_hi):
            reason = "a value is missing"
            if plan.atom_measure[atom] != VALUE:
                reason += " (or the baseline is missing, censored, or not positive)"
            return f"{reason} → {verdict}"
        steps = []
        terms = self._terms(r, atom)
        if len(terms) > 1:
            total = _interval_text(x_lo * factor, x_hi * factor, False, False) if plan.atom_measure[atom] == VALUE \
                else "v"
            steps.append(f"sum of {len(terms)} years: " + " + ".join(terms) + f" = {total}")
        if plan.atom_measure[atom] != VALUE:
            b = _num(float(ev.baseline[r, column]))
            v = terms[0] if len(terms) == 1 else "v"
            down = plan.atom_sign[atom] < 0
            word = "decrease" if down else "increase"
            difference = f"{b} − {v}" if down else f"{v} − {b}"
            if plan.atom_measure[atom] == RELATIVE_CHANGE:
                steps.append(f"{word} = ({difference}) / {b} × 100")
            else:
                steps.append(f"{word} = {difference}")
        value_text = _interval_text(x_lo * factor, x_hi * factor, bool(ev.x_lo_open[r, column]),
                                    bool(ev.x_hi_open[r, column]))
        if x_lo == x_hi and _looks_on_a_bound(x_lo, (float(plan.lo[atom]), float(plan.hi[atom])), bool(plan.plain[atom])):
            value_text = repr(x_lo * factor)     # every digit: 94.99999999999997 is not on 95, though it prints so
        rounding = rule.rounding
        measured = float(ev.measured[r, column])
        rounded = rounding is not None and rounding.method is m.RoundingMethod.ROUND_THEN_COMPARE \
            and not math.isnan(measured)
        if plan.atom_measure[atom] != VALUE:
            steps[-1] += f" = {_num(measured * factor) if rounded else value_text} {unit}".rstrip()
        if rounded and rounding is not None:
            steps.append(f"rounded half to even to a multiple of {format(rounding.step.normalize(), 'f')} "
                         f"(GB/T 8170-2008, 修约值比较法, declared by {rule.rounding_by}): "
                         f"{_num(measured * factor)} → {value_text} {unit}".rstrip())
        steps.append(f"{value_text} {unit} against {target_text(rule)}".replace("  ", " "))
        if rounding is not None and not rounded:
            steps[-1] += f" (compared in full: GB/T 8170-2008 全数值比较法, declared by {rule.rounding_by})"
        margin = float(measures["margin"][r, column])
        relative = float(measures["relative_margin"][r, column])
        if not math.isnan(margin):
            steps.append(f"margin {_signed(margin)} {unit}".rstrip()
                         + (f" ({_percent(relative)})" if not math.isnan(relative) else ""))
        elif x_lo != x_hi:
            steps.append("the censored value's bound does not decide")
        return "; ".join(steps) + f" → {verdict}"


# ------------------------------------------------------------------------------------------
# Text helpers


_RESULT_COLUMNS = ("region", "year", "pack", "origin", "level", "section", "indicator", "kind", "measure",
                   "baseline_year", "rounding", "strength", "verdict", "value", "censored", "threshold", "target", "margin",
                   "relative_margin", "unit", "binding", "citation", "document", "rule", "caveat", "reason")
_TARGET_COLUMNS = ("region", "pack", "origin", "level", "section", "indicator", "kind", "measure", "baseline_year",
                   "rounding", "strength", "verdict", "years", "year", "value", "censored", "threshold", "target", "margin",
                   "relative_margin", "unit", "year_verdicts", "citation", "document", "rule", "caveat", "reason")
_MARK = {PASS: "✓ pass", FAIL: "✗ FAIL", WARN: "! warn", UNKNOWN: "? unknown", PENDING: "◷ pending",
         NOT_APPLICABLE: "- n/a"}
_ORDER = {FAIL: 0, WARN: 1, UNKNOWN: 2, PENDING: 3, PASS: 4, NOT_APPLICABLE: 5}
# Review columns of CSV and data frames (with as_of): the assessment of a pending target.
_REVIEW_FIELDS = ("status", "term", "reason", "method", "path", "base_year", "base_value", "latest_year",
                  "latest_value", "target_value", "anticipated", "observed", "required", "needed", "change_unit",
                  "ratio", "pro_rata", "failed_years")
_REVIEW_COLUMNS = [f"review_{name}" for name in _REVIEW_FIELDS]
# Worst first: off track, at risk, insufficient data, on track, achieved.
_REVIEW_RANK = {"off-track": 0, "at-risk": 1, "insufficient-data": 2, "on-track": 3, "achieved": 4}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _csv_cell(value: Any) -> Any:
    """A cell of the CSV view: empty for None; a text a spreadsheet would read as a formula with
    ``'`` before it (OWASP's guard against CSV injection); anything else as it is."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _review_columns(row: dict[str, Any]) -> dict[str, Any]:
    assessment = row.get("assessment") or {}
    flat = {f"review_{name}": assessment.get(name) for name in _REVIEW_FIELDS}
    years = flat["review_failed_years"]
    flat["review_failed_years"] = " ".join(map(str, years)) if years else None
    return flat


def _review_order(row: dict[str, Any]) -> int:
    return _REVIEW_RANK[row["assessment"]["status"]]


def display_unit(rule: BoundRule) -> str:
    """The unit margins and values are reported in: the rule's own unit; % for a relative
    change; 百分点 for a change of a share in points."""
    if rule.measure is Measure.RELATIVE_CHANGE:
        return "%"
    if rule.measure is Measure.POINT_CHANGE:
        return "百分点" if rule.indicator.unit == "%" else (rule.indicator.unit or "")
    return rule.rule_unit or rule.indicator.unit or ""


def rounding_text(rule: BoundRule) -> str | None:
    """The declared GB/T 8170-2008 rounding, e.g. ``0.1 修约值比较法 (pack longgang-2015)``."""
    if rule.rounding is None:
        return None
    step = format(rule.rounding.step.normalize(), "f")
    return f"{step} {rule.rounding.method.value} ({rule.rounding_by})"


def target_text(rule: BoundRule) -> str:
    """The target as a comparison in the rule's unit, e.g. ``≥ 95 %``, ``< 21 立方米/万元``,
    ``30–40 家``, ``decrease ≥ 18.5 %``."""
    interval = rule.interval
    factor = rule.rule_factor if rule.measure is Measure.VALUE else Fraction(1)
    unit = display_unit(rule)

    def q(x: Fraction) -> str:
        return _fraction(x * factor)

    if interval.excluded and interval.lower is not None:
        text = f"≠ {q(interval.lower)}"
    elif interval.lower is not None and interval.upper is not None:
        text = f"= {q(interval.lower)}" if interval.lower == interval.upper else \
            f"{q(interval.lower)}–{q(interval.upper)}"
    elif interval.lower is not None:
        text = f"{'≥' if interval.lower_inclusive else '>'} {q(interval.lower)}"
    elif interval.upper is not None:
        text = f"{'≤' if interval.upper_inclusive else '<'} {q(interval.upper)}"
    else:  # pragma: no cover - every target bounds something
        text = "any"
    if unit:
        text += f" {unit}"
    if rule.measure is not Measure.VALUE:
        word = "decrease" if rule.change_sign < 0 else "increase"
        text = f"{word} vs {rule.baseline} {text}"
    if rule.kind == "cumulative":
        text = f"sum {text}"
    return text


def _level_value(owner: BoundRule | Pack) -> str | None:
    """The level's name (``city``), or None when the rule or pack states none."""
    return owner.level.value if owner.level is not None else None


def _level(rule: BoundRule) -> str:
    return _level_value(rule) or "-"


def _merged_citation(document: str | None, location: str | None, separator: str = " — ") -> str:
    """Document and location as one citation, the document once when the location already
    starts with it; empty when there is neither."""
    if location and document and location.startswith(document):
        return location
    return separator.join(x for x in (document, location) if x)


def _citation(rule: BoundRule) -> str:
    return _merged_citation(rule.document, rule.citation) or "-"


def _fraction(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    return _num(float(x))


def _num(x: float) -> str:
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:.10g}"


def _looks_on_a_bound(x: float, bounds: tuple[float, float], plain: bool) -> bool:
    """Whether ``x`` prints as a bound it is not on (a computed value a few floats off it; one
    float off counts as on it where the float decision is the exact one)."""
    return any(x != b and _num(x) == _num(b) and not (plain and one_float_off(x, b)) for b in bounds)


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + _num(x)


def _percent(x: float) -> str:
    if x == 0:
        return "0%"
    return f"{x * 100:+.0f}%" if abs(x) >= 1 else f"{x * 100:+.3g}%"


_VERDICT_NAMES = np.array([_verdict(code, aspiration) for code in range(_FAIL + 1) for aspiration in (False, True)],
                          dtype=object)
_CENSORED_MARKS = np.array([None, "<", "≤", ">", "≥"], dtype=object)


def _pieces(columns: list[tuple[list[str], IntArray]], padding: IntArray) -> npt.NDArray[np.object_]:
    """``[line, column]``: the lines of a table as pieces, each column its distinct cells and which
    one each line shows. Two spaces before each cell (and a line break before the first), each but
    the last followed by ``padding[line, column]`` spaces. A line ends at its last cell that is not
    blank, without that cell's trailing white space (as ``rstrip`` would end it). Each distinct
    piece of a column is made once."""
    blank = np.stack([np.array([not text.rstrip() for text in texts], dtype=bool)[which]
                      for texts, which in columns], axis=1)
    end = blank.shape[1] - 1 - np.argmin(blank[:, ::-1], axis=1)   # the first cell not blank from the right
    end[blank.all(axis=1)] = -1
    pieces = np.empty(blank.shape, dtype=object)
    for c, (texts, which) in enumerate(columns):
        place = np.sign(c - end) + 1   # 0: before the line's end, 1: its end, 2: after it
        pad = np.where(place == 0, padding[:, c], 0)
        number, some = kinds(which, pad, place)
        lead = "\n  " if c == 0 else "  "
        made = [lead + texts[w] + " " * p if at == 0 else lead + texts[w].rstrip() if at == 1 else lead[:-2]
                for w, p, at in zip(which[some].tolist(), pad[some].tolist(), place[some].tolist(), strict=True)]
        pieces[:, c] = np.array(made, dtype=object)[number]
    return pieces


def _widths(cells: list[str]) -> list[int]:
    """The display width of each cell, each distinct cell measured once."""
    width = {cell: _width(cell) for cell in set(cells)}
    return [width[cell] for cell in cells]


def _interval_text(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    if lo == hi:
        return _num(lo)
    if math.isinf(lo):
        return ("<" if hi_open else "≤") + _num(hi)
    if math.isinf(hi):
        return (">" if lo_open else "≥") + _num(lo)
    return f"{_num(lo)}..{_num(hi)}"


def _years_text(row: dict[str, Any]) -> str:
    years = row.get("years") or []
    if len(years) > 1:
        span = f"{years[0]}–{years[-1]}"
        if row["kind"] == "every-year" and row["verdict"] not in (PASS, NOT_APPLICABLE) and row.get("year"):
            return f"{span} ({row['year']})"
        return span
    return str(years[0]) if years else ""


def _value_text(row: dict[str, Any]) -> str:
    value = row.get("value")
    if value is None:
        return "—"
    return (row.get("censored") or "") + _num(value)


def _margin_text(row: dict[str, Any]) -> str:
    margin = row.get("margin")
    if margin is None:
        return ""
    relative = row.get("relative_margin")
    return _signed(margin) + (f" ({_percent(relative)})" if relative is not None else "")


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _summary(by_pack: dict[str, dict[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(VERDICTS, 0)
    for bucket in by_pack.values():
        for verdict, n in bucket.items():
            total[verdict] += n
    return {"targets": sum(total.values()), **total}


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return groups


def _aligned(table: list[tuple[str, ...]], limit: int | None) -> list[str]:
    """Rows padded to aligned columns (CJK-aware), shrunk and wrapped to fit ``limit`` columns."""
    return terminal_table(table, limit)
