"""How a mid-term review (:mod:`qualityrules.engine.assessment`) reads in a report: one cell's
fields (JSON/CSV), its reason in words, its explanation (years used, arithmetic, class
boundaries), and numbers written without scientific notation.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from ..engine.assessment import (
    COMPOUND,
    FLOW,
    INSUFFICIENT,
    LINEAR,
    PATHS,
    RATE,
    STATUSES,
    Assessment,
    Reason,
)
from ..engine.plan import VALUE, Plan
from ..language import model as m
from ..packs.resolve import BoundRule, Measure

__all__ = ["STATUS_LABELS", "STATUS_MARKS", "REVIEW_TERMS", "cell_fields", "reason_text", "explain_lines",
           "plain", "change_text", "level_unit", "status_term"]

STATUS_LABELS = {"achieved": "提前实现 achieved", "on-track": "符合预期 on track", "at-risk": "滞后 at risk",
                 "off-track": "严重滞后 off track", "insufficient-data": "数据不足 insufficient data"}
STATUS_MARKS = {"achieved": "✓", "on-track": "↗", "at-risk": "⚠", "off-track": "✗", "insufficient-data": "?"}
# The words of Chinese mid-term reviews, by status (on track splits at a ratio of 1).
REVIEW_TERMS = {"achieved": "提前实现", "faster": "快于预期", "on-track": "基本符合预期", "at-risk": "滞后",
                "off-track": "严重滞后", "insufficient-data": "数据不足"}


def status_term(status: str, ratio: float | None) -> str:
    """The Chinese review term: 快于预期 for an on-track ratio of 1 or more, else by status."""
    if status == "on-track" and ratio is not None and ratio >= 1:
        return REVIEW_TERMS["faster"]
    return REVIEW_TERMS[status]


def level_unit(rule: BoundRule) -> str:
    """The unit levels are shown in: the rule's unit for a value target, else the indicator's."""
    if rule.measure is Measure.VALUE:
        return rule.rule_unit or rule.indicator.unit or ""
    return rule.indicator.unit or ""


def _factor(plan: Plan, atom: int) -> float:
    return float(plan.factor[atom]) if int(plan.atom_measure[atom]) == VALUE else 1.0


def _number(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def cell_fields(assessment: Assessment, plan: Plan, r: int, k: int, failed_years: list[int]) -> dict[str, Any]:
    """The JSON fields of one assessed cell (region ``r``, ``k``-th assessed atom)."""
    a = assessment
    atom = int(a.atoms[k])
    rule = plan.rules[int(plan.atom_rule[atom])]
    factor = _factor(plan, atom)
    path = int(a.path[r, k])
    unit = level_unit(rule)
    rate_scale = 100.0 if path == COMPOUND else factor

    def level(x: float) -> float | None:
        return _number(x * factor)

    status = STATUSES[int(a.status[r, k])]
    ratio = None if status in ("insufficient-data", "achieved") else _number(float(a.ratio[r, k]))
    fields: dict[str, Any] = {
        "as_of": a.as_of,
        "status": status,
        "term": status_term(status, ratio),
        "reason": reason_text(a, plan, r, k, failed_years),
        "method": a.review.method.value,
        "path": PATHS[path],
        "base_year": _year(a.base_year[r, k]),
        "base_value": level(a.base_value[r, k]),
        "latest_year": _year(a.latest_year[r, k]),
        "latest_value": level(a.latest_value[r, k]),
        "target_year": int(plan.atom_year[atom]),
        "target_value": level(a.target_value[r, k]),
        "anticipated": level(a.anticipated[r, k]),
        "observed": _number(a.observed[r, k] * rate_scale),
        "required": _number(a.required[r, k] * rate_scale),
        "needed": _number(a.needed[r, k] * rate_scale),
        "change_unit": _change_unit(path, unit),
        "ratio": ratio,
        "growth_ratio": _number(a.growth_ratio[r, k]),
        "projected_ratio": _number(a.projected_ratio[r, k]),
        "unit": unit,
        "failed_years": failed_years if rule.kind == "every-year" else None,
        "pro_rata": None,
        "elapsed_years": None,
    }
    if rule.kind == "cumulative":
        elapsed, period = int(a.elapsed[k]), int(a.period[k])
        fields["elapsed_years"] = list(rule.years[:elapsed])
        fields["pro_rata"] = level(a.target_value[r, k] * elapsed / period) if period else None
    return fields


def _year(x: Any) -> int | None:
    return int(x) if int(x) >= 0 else None


def _change_unit(path: int, unit: str) -> str:
    if path == COMPOUND:
        return "%/yr"
    if path == RATE:
        return unit
    return f"{unit}/yr" if unit else "/yr"


_REASONS = {
    Reason.NOT_IN_DATA: "the indicator is not in the data",
    Reason.FEW_YEARS: "fewer than 2 years with a value up to {as_of}{only}",
    Reason.NO_BASELINE: "no value for the baseline year {baseline}",
    Reason.BASELINE_NOT_POSITIVE: "the baseline is not positive: a relative change of it is undefined",
    Reason.CENSORED: "a value used is censored (only a bound is known): no trend can be read from it",
    Reason.LINEAR_FALLBACK: "compound growth is undefined (a value or the target is not positive): "
                            "linear change per year used instead",
    Reason.BASE_PAST_TARGET: "the base year {base} already met the target: progress is measured against "
                             "the change needed from {latest}",
    Reason.MISSING_YEAR: "a year of the running sum has no value",
    Reason.FAILED_YEARS: "failed in {failed}",
    Reason.PROJECTED_MISS: "met in {latest}, but the observed trend misses the target by {year}",
    Reason.EXCEEDED: "the running sum already exceeds the target's upper bound",
    Reason.PROJECTED_EXCEED: "in range now, but the observed yearly flow takes the sum past the upper bound",
    Reason.NOT_ASSESSABLE: "no path of change leads to this target (≠, or a sum target not above 0)",
    Reason.NOT_STARTED: "the period has not begun by {as_of}",
}


def reason_text(assessment: Assessment, plan: Plan, r: int, k: int, failed_years: list[int]) -> str | None:
    """Why the cell's status is what it is, beyond its ratio; None when the ratio says it all."""
    a = assessment
    reason = Reason(int(a.reason[r, k]))
    if reason is Reason.NONE:
        return None
    atom = int(a.atoms[k])
    rule = plan.rules[int(plan.atom_rule[atom])]
    base = _year(a.base_year[r, k])
    return _REASONS[reason].format(
        base=base if base is not None else "the base year", as_of=a.as_of, baseline=rule.baseline,
        latest=_year(a.latest_year[r, k]), year=int(plan.atom_year[atom]),
        failed=", ".join(str(y) for y in failed_years),
        only=f" (only {_year(a.latest_year[r, k])})" if _year(a.latest_year[r, k]) is not None else "")


# ------------------------------------------------------------------------------------------
# Words and numbers


def plain(x: float | None, digits: int = 4) -> str:
    """``x`` to ``digits`` significant digits (integers whole), never in scientific notation:
    ``1900``, ``0.00012``, ``-3.5``."""
    if x is None or math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    exponent = math.floor(math.log10(abs(x)))
    places = max(0, digits - 1 - exponent)
    text = format(Decimal(repr(x)).quantize(Decimal(1).scaleb(-places)), "f") if places else str(round(x))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _signed(x: float | None, digits: int = 3) -> str:
    if x is None or math.isnan(x):
        return "—"
    return ("+" if x > 0 else "") + plain(x, digits)


def _operator(x: float) -> str:
    return "−" if x < 0 else "+"


def change_text(x: float | None, unit: str) -> str:
    """An annual change with its unit: ``+5.2 %/yr``, ``-0.4 百分点/yr``."""
    return f"{_signed(x)} {unit}".rstrip()


def explain_lines(assessment: Assessment, plan: Plan, r: int, k: int, failed_years: list[int],
                  region_years: list[tuple[int, float]]) -> list[str]:
    """The review of one cell in words: years used, arithmetic and the method's class boundaries.
    ``region_years`` are the (year, value) pairs the review could read, in the indicator's unit."""
    a = assessment
    fields = cell_fields(a, plan, r, k, failed_years)
    atom = int(a.atoms[k])
    rule = plan.rules[int(plan.atom_rule[atom])]
    unit = fields["unit"]
    path = int(a.path[r, k])
    on_track, at_risk = a.review.thresholds
    method = a.review.method
    lines = [f"  review:   as of {a.as_of}, the target's year {fields['target_year']} lies ahead → "
             f"{fields['status'].upper()} ({fields['term']})"]
    factor = _factor(plan, atom)
    shown = ", ".join(f"{year}: {plain(value * factor, 10)}" for year, value in region_years) or "none"
    lines.append(f"  read:     {shown} {unit}".rstrip())
    base, latest, year = fields["base_year"], fields["latest_year"], fields["target_year"]
    lv, bv, goal, ahead = fields["latest_value"], fields["base_value"], fields["target_value"], fields["anticipated"]
    if rule.kind == "cumulative":
        elapsed = fields["elapsed_years"] or []
        period = int(a.period[k])
        lines.append(f"  years:    period {rule.years[0]}–{rule.years[-1]} ({period} years), {len(elapsed)} elapsed "
                     f"by {a.as_of}" + (f" ({elapsed[0]}–{elapsed[-1]})" if elapsed else ""))
        if lv is not None and elapsed:
            lines.append(f"  running:  sum {plain(lv, 10)} {unit}; pro-rata share {plain(goal, 10)} × {len(elapsed)}/{period}"
                         f" = {plain(fields['pro_rata'], 10)} (时间过半、任务过半: "
                         f"{'yes' if lv >= (fields['pro_rata'] or 0) else 'no'})")
            lines.append(f"  flow:     observed {plain(lv, 10)} / {len(elapsed)} = {plain(fields['observed'], 10)} {unit}/yr;"
                         f" required {plain(goal, 10)} / {period} = {plain(fields['required'], 10)} {unit}/yr;"
                         f" needed from now {plain(fields['needed'], 10)} {unit}/yr")
            lines.append(f"  projects: {plain(lv, 10)} × {period}/{len(elapsed)} = {plain(ahead, 6)} {unit} by {year}")
    elif base is not None and latest is not None:
        lines.append(f"  years:    base {base} = {plain(bv, 10)}, latest {latest} = {plain(lv, 10)}, "
                     f"target {year} = {plain(goal, 10)} {unit}".rstrip())
        if rule.measure is not Measure.VALUE:
            lines.append(f"  target:   {_target_level_text(rule, bv)}")
        if path == COMPOUND:
            lines.append(f"  observed: ({plain(lv, 10)} / {plain(bv, 10)})^(1/{latest - base}) − 1 = "
                         f"{change_text(fields['observed'], '%/yr')}")
            lines.append(f"  required: ({plain(goal, 10)} / {plain(bv, 10)})^(1/{year - base}) − 1 = "
                         f"{change_text(fields['required'], '%/yr')}")
            lines.append(f"  needed:   ({plain(goal, 10)} / {plain(lv, 10)})^(1/{year - latest}) − 1 = "
                         f"{change_text(fields['needed'], '%/yr')} from {latest}")
            lines.append(f"  projects: {plain(lv, 10)} × (1 {_operator(fields['observed'])} "
                         f"{plain(abs(fields['observed']), 3)}%)^{year - latest} = {plain(ahead, 6)} {unit} by {year}")
        elif path == LINEAR:
            per = fields["change_unit"]
            lines.append(f"  observed: ({plain(lv, 10)} − {plain(bv, 10)}) / {latest - base} = {change_text(fields['observed'], per)}")
            lines.append(f"  required: ({plain(goal, 10)} − {plain(bv, 10)}) / {year - base} = {change_text(fields['required'], per)}")
            lines.append(f"  needed:   ({plain(goal, 10)} − {plain(lv, 10)}) / {year - latest} = "
                         f"{change_text(fields['needed'], per)} from {latest}")
            lines.append(f"  projects: {plain(lv, 10)} {_operator(fields['observed'])} "
                         f"{plain(abs(fields['observed']), 6)} × {year - latest} = {plain(ahead, 6)} {unit} by {year}")
        elif path == RATE:
            lines.append(f"  observed: mean rate {base}–{latest} = {plain(fields['observed'], 10)} {unit}, compared "
                         f"directly with the target rate {plain(goal, 10)} {unit} (a rate is never compounded)")
    if fields["reason"]:
        lines.append(f"  note:     {fields['reason']}")
    ratio_name = ("projected ÷ required progress (UNSD)" if method is m.ReviewMethod.PROJECTION
                  else "observed ÷ required annual change (Eurostat, Open SDG)")
    if path == FLOW:
        ratio_name = "observed ÷ required mean yearly flow (= running sum ÷ pro-rata share)"
    if fields["ratio"] is not None and int(a.status[r, k]) != INSUFFICIENT:
        lines.append(f"  ratio:    {ratio_name} = {plain(fields['ratio'], 4)}")
    lines.append(f"  classes:  achieved = met now; on track ≥ {on_track}; at risk {at_risk}–{on_track}; "
                 f"off track < {at_risk} (negative: moving away); insufficient data = fewer than 2 years "
                 f"or a value missing or censored; method {method.value}")
    return lines


def _target_level_text(rule: BoundRule, baseline: float | None) -> str:
    target = rule.rule.target
    assert isinstance(target, m.Change)
    down = rule.change_sign < 0
    bound = rule.interval.lower if rule.interval.lower is not None else rule.interval.upper
    amount = plain(float(bound) if bound is not None else math.nan, 6)
    if rule.measure is Measure.RELATIVE_CHANGE:
        return (f"level = baseline {plain(baseline, 10)} × (1 {'−' if down else '+'} {amount}%) "
                f"(较{rule.baseline}年{'下降' if down else '提高'}{amount}%)")
    return f"level = baseline {plain(baseline, 10)} {'−' if down else '+'} {amount} {rule.indicator.unit or ''}".rstrip()


# ------------------------------------------------------------------------------------------
# Table cells (text, Markdown, HTML)


TABLE_HEADER = ("", "indicator", "target", "year", "latest", "projected", "change/yr seen | required",
                "ratio", "needed/yr", "note")


def table_cells(row: dict[str, Any]) -> tuple[str, ...]:
    """One target's review as the cells of :data:`TABLE_HEADER` (``row`` from ``Report.targets``)."""
    a = row["assessment"]
    status = a["status"]
    unit = a["unit"]
    cumulative = row["kind"] == "cumulative"
    if a["latest_value"] is None:
        latest = "—"
    elif cumulative:
        elapsed = a["elapsed_years"] or []
        latest = f"sum {plain(a['latest_value'])}" + (f" ({elapsed[0]}–{elapsed[-1]})" if elapsed else "")
    else:
        latest = f"{plain(a['latest_value'])} ({a['latest_year']})"
    projected = "—" if a["anticipated"] is None or status in ("insufficient-data", "achieved") else \
        f"{plain(a['anticipated'])} {unit}".rstrip()
    if status == "insufficient-data" or a["observed"] is None:
        change = ""
    elif status == "achieved":
        change = f"{change_text(a['observed'], a['change_unit'])} | —"
    else:
        change = f"{change_text(a['observed'], a['change_unit'])} | {change_text(a['required'], a['change_unit'])}"
    ratio = "" if a["ratio"] is None else plain(a["ratio"], 3)
    needed = "" if status in ("achieved", "insufficient-data") or a["needed"] is None else \
        change_text(a["needed"], a["change_unit"])
    return (f"{STATUS_MARKS[status]} {status}", row["indicator"], row["target"], str(a["target_year"]), latest,
            projected, change, ratio, needed, a["reason"] or "")
