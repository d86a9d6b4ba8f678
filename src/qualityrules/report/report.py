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
``unknown`` (missing or undecidable data), ``not-applicable`` (the target does not bind the region:
a province's total is not a district's target; regions outside a declared ``scope``). A region the
pack names nowhere is checked as the pack's own region (see :meth:`qualityrules.engine.plan.Plan.applicable`).
Margins are signed (positive = on the compliant side) and in the unit the rule is written in.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from ..engine.evaluation import Evaluation
from ..engine.exact import near_margins
from ..engine.plan import RELATIVE_CHANGE, VALUE
from ..errors import optional_dependencies
from ..language import model as m
from ..language.text import normalize
from ..packs.resolve import BoundRule, Measure, Pack
from ..terminal import table as terminal_table

__all__ = ["Report", "VERDICTS", "SCHEMA_ID", "target_text", "display_unit"]

SCHEMA_ID = "qualityrules/report/1"
PASS, FAIL, WARN, UNKNOWN, NOT_APPLICABLE = "pass", "fail", "warn", "unknown", "not-applicable"
VERDICTS = (PASS, FAIL, WARN, UNKNOWN, NOT_APPLICABLE)
# Internal codes, ordered so that a period's verdict is the maximum over its years.
_NA, _PASS, _UNKNOWN, _FAIL = 0, 1, 2, 3

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _verdict(code: int, aspiration: bool) -> str:
    if code == _FAIL:
        return WARN if aspiration else FAIL
    return {_NA: NOT_APPLICABLE, _PASS: PASS, _UNKNOWN: UNKNOWN}[code]


class Report:
    """The outcome of :func:`qualityrules.evaluate`. Everything is computed on first use."""

    def __init__(self, evaluation: Evaluation, *, regions: Sequence[str] | None = None,
                 years: Sequence[int] | None = None) -> None:
        self.evaluation = evaluation
        self.plan = evaluation.plan
        self.pack = evaluation.plan.pack
        self.obs = evaluation.obs
        self.requested_regions = list(regions) if regions else None
        self.requested_years = list(years) if years else None

    # ---------------------------------------------------------------- matrices

    @functools.cached_property
    def codes(self) -> npt.NDArray[np.int8]:
        """``[region, atom]`` codes in :attr:`atoms` order (NA, PASS, UNKNOWN, FAIL)."""
        ev = self.evaluation
        codes = np.full(ev.passed.shape, _FAIL, dtype=np.int8)   # pass and unknown never overlap
        codes -= ev.passed.view(np.int8) * np.int8(_FAIL - _PASS)
        codes -= ev.unknown.view(np.int8) * np.int8(_FAIL - _UNKNOWN)
        if not ev.applicable.all():
            codes[~ev.applicable[:, self.plan.atom_rule[self.atoms]]] = _NA
        return codes

    @property
    def atoms(self) -> IntArray:
        return self.evaluation.atoms

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
        return np.array([r.strength is m.Strength.ASPIRATION for r in self.plan.rules], dtype=bool)

    def exit_code(self, fail_on: str | None = None) -> int:
        """0 if no binding target failed; 1 if one did (or, with ``fail_on="warn"``, an aspiration
        was missed; with ``fail_on="unknown"``, also if a verdict is unknown)."""
        if self.failed:
            return 1
        if fail_on in ("warn", "unknown") and self.warned:
            return 1
        if fail_on == "unknown" and self.has_unknown:
            return 1
        return 0

    def verdict(self, region: str, year: int, indicator: str) -> str:
        """The verdict of the (first) rule on ``indicator`` checked in ``year`` for ``region``;
        ``not-applicable`` when no rule on it is checked that year."""
        found = self._find(region, year, indicator)
        if not found:
            return NOT_APPLICABLE
        r, column = found[0]
        rule = int(self.plan.atom_rule[self.atoms[column]])
        return _verdict(int(self.codes[r, column]), bool(self._aspiration_rule[rule]))

    def _find(self, region: str, year: int | None, indicator: str) -> list[tuple[int, int]]:
        r = self.obs.region_index(region)
        if r is None:
            return []
        found = self.pack.catalogue.lookup(indicator)
        name = found.name if found is not None else normalize(indicator)
        hits = []
        for k, rule in enumerate(self.plan.rules):
            if rule.indicator.name != name:
                continue
            for column in self._columns_by_rule[k]:
                if year is None or int(self.plan.atom_year[self.atoms[column]]) == int(year):
                    hits.append((r, int(column)))
        return hits

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
        measures = self._measure_lists
        codes = self.codes.tolist()
        censored = self._censored_marks
        atoms = self.atoms
        years = self.plan.atom_year[atoms].tolist()
        binding = self.plan.binding[atoms].tolist()
        rows: list[dict[str, Any]] = []
        for r, region in enumerate(self.obs.regions):
            for k, columns in enumerate(self._columns_by_rule):
                fields = self._rule_field_cache[k]
                aspiration = bool(self._aspiration_rule[k])
                for column in columns.tolist():
                    rows.append({
                        "region": region, "year": years[column], **fields,
                        "verdict": _verdict(codes[r][column], aspiration),
                        "value": _clean(measures["value"][r][column]),
                        "censored": censored[r][column],
                        "threshold": _clean(measures["threshold"][r][column]),
                        "margin": _clean(measures["margin"][r][column]),
                        "relative_margin": _clean(measures["relative_margin"][r][column]),
                        "binding": binding[column],
                    })
        return rows

    def targets(self) -> list[dict[str, Any]]:
        """One dict per (region, rule): the verdict over the rule's years and the deciding year."""
        measures = self._measure_lists
        censored = self._censored_marks
        codes = self.codes.tolist()
        outcomes = self.outcomes.tolist()
        deciding = self._deciding.tolist()
        years = self.plan.atom_year[self.atoms].tolist()
        rows: list[dict[str, Any]] = []
        for r, region in enumerate(self.obs.regions):
            for k in self._checked_rules:
                columns = self._columns_by_rule[k]
                column = deciding[r][k]
                checked = [years[c] for c in columns.tolist()]
                row = {"region": region, **self._rule_field_cache[k],
                       "years": checked,
                       "verdict": _verdict(outcomes[r][k], bool(self._aspiration_rule[k])),
                       "year": years[column] if column >= 0 else None}
                for name in ("value", "threshold", "margin", "relative_margin"):
                    row[name] = _clean(measures[name][r][column]) if column >= 0 else None
                row["censored"] = censored[r][column] if column >= 0 else None
                row["year_verdicts"] = {str(years[c]): _verdict(codes[r][c], bool(self._aspiration_rule[k]))
                                        for c in columns.tolist()} if len(columns) > 1 else None
                rows.append(row)
        return rows

    @functools.cached_property
    def _measure_lists(self) -> dict[str, list[list[float]]]:
        """:attr:`_measures` as nested lists, for building rows."""
        return {k: v.tolist() for k, v in self._measures.items()}

    @functools.cached_property
    def _censored_marks(self) -> list[list[str | None]]:
        ev = self.evaluation
        x_lo, x_hi = ev.x_lo, ev.x_hi
        if x_hi is x_lo:
            return [[None] * x_lo.shape[1] for _ in range(x_lo.shape[0])]
        lo_open, hi_open = ev.x_lo_open, ev.x_hi_open
        marks = np.full(x_lo.shape, None, dtype=object)
        lower = np.isneginf(x_lo) & np.isfinite(x_hi)
        upper = np.isposinf(x_hi) & np.isfinite(x_lo)
        marks[lower] = np.where(hi_open[lower], "<", "≤")
        marks[upper] = np.where(lo_open[upper], ">", "≥")
        result: list[list[str | None]] = marks.tolist()
        return result

    # ---------------------------------------------------------------- counts

    def counts(self, by: str = "pack") -> dict[str, dict[str, int]]:
        """Target verdicts counted per ``pack`` (the origin pack of each rule), ``section`` or
        ``level``; a target that does not bind a region counts as not-applicable there."""
        keys = {"pack": lambda k: self.plan.rules[k].origin,
                "section": lambda k: self.plan.sections[k] or "-",
                "level": lambda k: _level(self.plan.rules[k])}
        if by not in keys:
            raise ValueError(f"by must be one of {sorted(keys)}")
        key_of: Callable[[int], str] = keys[by]
        counts: dict[str, dict[str, int]] = {}
        outcomes = self.outcomes
        for k in self._checked_rules:
            bucket = counts.setdefault(key_of(k), dict.fromkeys(VERDICTS, 0))
            aspiration = bool(self._aspiration_rule[k])
            values, frequency = np.unique(outcomes[:, k], return_counts=True)
            for code, n in zip(values.tolist(), frequency.tolist(), strict=True):
                bucket[_verdict(code, aspiration)] += n
        return counts

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
            applicable: npt.NDArray[np.bool_] = np.asarray(self.evaluation.applicable.any(axis=0))
            binding = [bool(x) for x in applicable.tolist()]
        wanted = dict.fromkeys(rule.indicator.name for rule, used in zip(self.plan.rules, binding, strict=True) if used)
        return [name for name in wanted if name not in have]

    # ---------------------------------------------------------------- views

    @optional_dependencies("Report.to_frame()")
    def to_frame(self, level: str = "results") -> Any:
        """A pandas DataFrame of :meth:`results` (or, with ``level="targets"``, :meth:`targets`)."""
        import pandas as pd

        rows = self.results() if level == "results" else self.targets()
        columns = _RESULT_COLUMNS if level == "results" else _TARGET_COLUMNS
        frame = pd.DataFrame(rows, columns=list(columns))
        for name in ("value", "threshold", "margin", "relative_margin"):
            frame[name] = frame[name].astype("float64")
        return frame

    def to_dict(self) -> dict[str, Any]:
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
            "options": {"regions": self.requested_regions, "years": self.requested_years},
            "summary": {**_summary(counts["pack"]), "exit_code": self.exit_code()},
            "counts": counts,
            "targets": self.targets(),
            "results": self.results(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """JSON following ``schemas/report.schema.json``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_csv(self) -> str:
        """The results, one row per (region, rule, year), as CSV (UTF-8)."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(_RESULT_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in self.results():
            writer.writerow({k: "" if row[k] is None else row[k] for k in _RESULT_COLUMNS})
        return out.getvalue()

    def to_markdown(self) -> str:
        """Summary, counts per level, and one table of targets per region."""
        lines = [f"# {self.pack.id}: {self.pack.name or ''}".rstrip(), "",
                 f"Data: {self.obs.describe()}", ""]
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
        if self.missing_indicators:
            lines += ["", "Not in the data: " + ", ".join(self.missing_indicators)]
        return "\n".join(lines) + "\n"

    def to_text(self, *, width: int | None = None) -> str:
        """A table for the terminal: one line per target, grouped by region, then the totals."""
        head = f"{self.pack.id}"
        if self.pack.name:
            head += f"  {self.pack.name}"
        if self.pack.definition.source:
            head += f" ({self.pack.definition.source})"
        lines = [head, f"data: {self.obs.describe()}"]
        if self.requested_years:
            lines.append("years: " + ", ".join(str(y) for y in self.requested_years))
        header = ("", "indicator", "target", "year", "value", "margin", "level")
        missing = set(self.missing_indicators)
        for region, rows in _group(self.targets(), "region").items():
            table: list[tuple[str, ...]] = [header]
            absent = [row for row in rows if row["verdict"] == UNKNOWN and row["indicator"] in missing]
            elsewhere = [row for row in rows if row["verdict"] == NOT_APPLICABLE]
            for row in sorted(rows, key=lambda r: _ORDER[r["verdict"]]):
                if row["verdict"] == NOT_APPLICABLE or (row["verdict"] == UNKNOWN and row["indicator"] in missing):
                    continue
                table.append((_MARK[row["verdict"]], row["indicator"], row["target"], _years_text(row),
                              _value_text(row), _margin_text(row), row["level"] or ""))
            lines += ["", region, *_aligned(table, width)]
            if absent:
                lines.append(f"  {_MARK[UNKNOWN]}  {len(absent)} more target(s): indicator not in the data")
            if elsewhere:
                lines.append(f"  {_MARK[NOT_APPLICABLE]}  {len(elsewhere)} target(s) do not bind {region} "
                             "(totals of other regions, or outside the pack's scope)")
        summary = self.summary()
        lines += ["", f"{summary['targets']} target(s) x region(s): " + ", ".join(
            f"{summary[v]} {v}" for v in VERDICTS if summary[v])]
        levels = self.counts("level")
        if len(levels) > 1:
            lines.append("by level: " + "; ".join(
                f"{level} " + ", ".join(f"{n} {v}" for v, n in bucket.items() if n) for level, bucket in levels.items()))
        if self.missing_indicators:
            lines.append(f"{len(self.missing_indicators)} indicator(s) of the pack are not in the data: "
                         + ", ".join(self.missing_indicators[:8]) + (" …" if len(self.missing_indicators) > 8 else ""))
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<Report {self.pack.id}: {len(self.obs.regions)} region(s), "
                + ", ".join(f"{s[v]} {v}" for v in VERDICTS if s[v]) + ">")

    # ---------------------------------------------------------------- explain

    def explain(self, region: str, year: int | None, indicator: str) -> str:
        """How the verdict for ``indicator`` in ``region`` and ``year`` came about: the rule's
        text and citation, the data used and the arithmetic. ``year=None`` explains every year."""
        hits = self._find(region, year, indicator)
        if not hits:
            where = f"{region} {year}" if year is not None else region
            if self.obs.region_index(region) is None:
                return f"{region}: not in the data ({self.obs.origin}); regions: " + ", ".join(self.obs.regions)
            return f"{where} {indicator}: no target of {self.pack.id} is checked there (not-applicable)"
        return "\n\n".join(self._explain_one(r, column) for r, column in hits)

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
        lines = [f"{obs.regions[r]} {year} {rule.indicator.name}: {verdict.upper()}"
                 f"  ({rule.strength.value}, {level} target of {rule.origin}"
                 + ("" if bool(plan.binding[atom]) else "; a stricter target on the same indicator also applies")
                 + ")",
                 f"  rule:     {rule.text}",
                 f"  citation: {_citation(rule)}"]
        if not self.evaluation.applicable[r, k]:
            where = ", ".join(rule.regions) or "-"
            lines.append(f"  scope:    the target binds {where}, not {obs.regions[r]}"
                         + (" (a total of that region)" if rule.origin != self.pack.id else "")
                         + (f"; the pack's scope is {', '.join(self.pack.definition.scope)}"
                            if self.pack.definition.scope else ""))
            return "\n".join(lines)
        read = self._data_lines(r, atom)
        lines += [f"  data:     {read[0]}", *(f"            {line}" for line in read[1:])]
        lines.append(f"  check:    {self._arithmetic(r, column, rule, unit, verdict)}")
        if rule.kind == "every-year":
            outcome = _verdict(int(self.outcomes[r, k]), aspiration)
            lines.append(f"  period:   every year {rule.years[0]}–{rule.years[-1]} must pass; over the years "
                         f"checked the target is {outcome.upper()}")
        return "\n".join(lines)

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
        for year in wanted:
            y = obs.year_index(year)
            cell = obs.cell(r, y, i) if y is not None else None
            text = "missing" if cell is None else f"{cell} {obs.units[i] or ''}".rstrip()
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
                   "relative_margin", "unit", "binding", "citation", "document", "rule")
_TARGET_COLUMNS = ("region", "pack", "origin", "level", "section", "indicator", "kind", "measure", "baseline_year",
                   "rounding", "strength", "verdict", "years", "year", "value", "censored", "threshold", "target", "margin",
                   "relative_margin", "unit", "year_verdicts", "citation", "document", "rule")
_MARK = {PASS: "✓ pass", FAIL: "✗ FAIL", WARN: "! warn", UNKNOWN: "? unknown", NOT_APPLICABLE: "- n/a"}
_ORDER = {FAIL: 0, WARN: 1, UNKNOWN: 2, PASS: 3, NOT_APPLICABLE: 4}


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


def _signed(x: float) -> str:
    return ("+" if x > 0 else "") + _num(x)


def _percent(x: float) -> str:
    if x == 0:
        return "0%"
    return f"{x * 100:+.0f}%" if abs(x) >= 1 else f"{x * 100:+.3g}%"


def _clean(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


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
