"""A compliance report as one self-contained HTML file: ``qualityrules check … --format html``.

Everything is inline — CSS, and an SVG chart per indicator of the data's values over the years
against each level's target — with no script, no font download and no other request, so the
file opens offline and can be mailed or archived as it is. Text is UTF-8 with a font stack that
covers simplified Chinese on Windows, macOS and Linux.

At the top, an overview per region: verdict counts (and, in a review as of a year, the review's
statuses), failures and off-track targets first, each linking to its row. A review adds, per
region, a table of the targets due later and, on the charts, the projected path (dashed) and the
path required to reach the target (dotted); cumulative targets get a chart of their running sum
against the pro-rata path.

>>> import qualityrules, pandas as pd
>>> from qualityrules.report.html import render_html
>>> data = pd.DataFrame({"region": ["龙岗区"], "year": [2015], "indicator": ["工业废水达标排放率"], "value": [96.5]})
>>> page = render_html(qualityrules.evaluate("longgang-2015", data, region="龙岗区"))
>>> page.startswith("<!DOCTYPE html>") and "工业废水达标排放率" in page and "<svg" in page
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from ..engine.assessment import STATUSES as _STATUSES
from .report import _ORDER, _group, _level_value, _merged_citation, target_text
from .review import STATUS_LABELS, STATUS_MARKS, plain, table_cells

__all__ = ["render_html", "VERDICT_LABELS", "LEVEL_COLOURS"]

VERDICT_LABELS = {
    "pass": "达标 pass", "fail": "未达标 fail", "warn": "未达预期 warn", "unknown": "未知 unknown",
    "pending": "未到期 pending", "not-applicable": "不适用 n/a",
}
_VERDICT_MARK = {"pass": "✓", "fail": "✗", "warn": "!", "unknown": "?", "pending": "◷", "not-applicable": "–"}
_STATUS_CLASS = {"achieved": "pass", "on-track": "pass", "at-risk": "warn", "off-track": "fail",
                 "insufficient-data": "unknown"}
# What the overview lists first: failures, then off-track targets, then missed aspirations and risks.
_ATTENTION = {"fail": 0, "off-track": 1, "warn": 2, "at-risk": 3}
LEVEL_COLOURS = {"nation": "#b2182b", "province": "#ef8a62", "city": "#2166ac", "district": "#1b7837",
                 None: "#666666"}
_LEVEL_NAMES = {"nation": "国家 nation", "province": "省 province", "city": "市 city",
                "district": "区 district", None: "—"}

_CSS = """
:root { color-scheme: light; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
       "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Hiragino Sans GB", sans-serif;
       margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1a1a1a; line-height: 1.5; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: .25rem; margin-top: 2.5rem; }
h3 { margin: 1.5rem 0 .5rem; font-size: 1.1rem; }
.meta { color: #555; margin: .1rem 0; }
.summary { display: flex; gap: .5rem; flex-wrap: wrap; margin: 1rem 0; padding: 0; list-style: none; }
.summary li { padding: .35rem .8rem; border-radius: 1rem; font-weight: 600; }
.warnings { margin: .5rem 0; padding: 0; list-style: none; }
.warnings pre { white-space: pre-wrap; background: #fff8e1; border-left: 4px solid #f0a000; padding: .4rem .6rem; margin: .3rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.indicator { min-width: 10em; }
td.nowrap { white-space: nowrap; }
.overview td { vertical-align: top; }
.overview th { white-space: nowrap; }
table.review { font-size: .85rem; }
table.review td.indicator { min-width: 12em; }
.overview .attention a { display: inline-block; margin: 0 .6rem .15rem 0; white-space: nowrap; }
.overview .count { text-align: right; font-variant-numeric: tabular-nums; }
.s-achieved, .s-on-track { background: #e7f4e8; color: #1b5e20; }
.s-at-risk { background: #fff4e0; color: #8a5300; }
.s-off-track { background: #fde8e8; color: #b71c1c; }
.s-insufficient-data { background: #eef0f3; color: #455a64; }
.verdict { font-weight: 700; white-space: nowrap; }
.v-pass { background: #e7f4e8; color: #1b5e20; }
.v-fail { background: #fde8e8; color: #b71c1c; }
.v-warn { background: #fff4e0; color: #8a5300; }
.v-unknown { background: #eef0f3; color: #455a64; }
.v-not-applicable { background: #fafafa; color: #888; }
.citation { color: #555; font-size: .85rem; }
.caveat { color: #8a5300; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1.25rem; }
figure { margin: 0; border: 1px solid #e3e3e3; border-radius: .5rem; padding: .75rem; }
figcaption { font-weight: 600; margin-bottom: .25rem; }
figure table { font-size: .8rem; margin-top: .5rem; }
svg text { font-family: inherit; font-size: 11px; fill: #333; }
.legend { font-size: .8rem; color: #444; }
.swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: .2rem; margin: 0 .25rem 0 .6rem;
          vertical-align: -1px; }
footer { margin: 3rem 0 1rem; color: #777; font-size: .8rem; }
"""


def render_html(report: Any) -> str:
    """The whole report of :func:`qualityrules.evaluate` as one HTML document."""
    pack = report.pack
    definition = pack.definition
    targets = report.targets()
    summary = report.summary()
    title = f"{pack.id} — {pack.name}" if pack.name else pack.id
    meta = [definition.source, pack.region, _LEVEL_NAMES.get(_level_value(pack)),
            f"{pack.period.start}–{pack.period.end}" if pack.period else None]
    out = [
        "<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)} · 合规报告 compliance report</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
        "<header>", f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{" · ".join(escape(str(m)) for m in meta if m)}</p>',
        f'<p class="meta">数据 data: {escape(report.obs.describe())}</p>',
        '<ul class="summary" aria-label="summary">',
        f'<li class="v-unknown">目标 targets: {summary["targets"]}</li>',
        *(f'<li class="v-{v}">{escape(VERDICT_LABELS[v])}: {summary[v]}</li>' for v in VERDICT_LABELS if summary.get(v)),
        "</ul>",
    ]
    if report.missing_indicators:
        out.append(f'<p class="meta">数据中没有 not in the data: {escape("、".join(report.missing_indicators))}</p>')
    if report.as_of is not None:
        out.append(f'<p class="meta">中期评估 review as of {report.as_of}: 只计{report.as_of}年及以前的数据, '
                   f"以后到期的目标给出进展评估 (only data up to {report.as_of} count; targets due later are "
                   f"assessed) · {escape(_review_rule(report))}</p>")
    if report.warnings:
        out += ['<ul class="warnings" aria-label="warnings">',
                *(f'<li data-code="{w.code}"><pre>{escape(w.render())}</pre></li>' for w in report.warnings), "</ul>"]
    out.append("</header>")
    grouped = _group(targets, "region")
    out += _overview(grouped)
    table = _target_table(report)
    for number, (region, rows) in enumerate(grouped.items()):
        out += _region_section(report, table, region, rows, number)
    out += [f"<footer>qualityrules · {escape(pack.id)} · 每行一个目标 one row per target; "
            "图中实线为数据, 虚线为各级目标 solid: data, dashed: each level's target"
            + ("; 评估: 长虚线为预计路径, 点线为所需路径 review: long dashes: projected path, dots: "
               "required path" if report.as_of is not None else "")
            + "</footer>", "</body>", "</html>", ""]
    return "\n".join(out)


def _review_rule(report: Any) -> str:
    on_track, at_risk = report.review.thresholds
    method = report.review.method.value
    name = "实际÷所需年均变化 observed ÷ required annual change" if method == "growth" else \
        "预计÷所需进展 projected ÷ required progress"
    return f"{name}: ≥ {on_track} on track, ≥ {at_risk} at risk, below off track"


def _row_id(number: int, index: int) -> str:
    return f"t-{number}-{index}"


def _state(row: dict[str, Any]) -> str:
    """A row's state for the overview: its verdict, or for a pending target its review status."""
    assessment = row.get("assessment")
    return str(assessment["status"]) if assessment and row["verdict"] == "pending" else str(row["verdict"])


def _overview(grouped: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Per region: verdict and review counts, and links to the failures and off-track targets first."""
    seen = {_state(row) for rows in grouped.values() for row in rows}
    verdicts = [v for v in VERDICT_LABELS if v != "pending" and v in seen]
    statuses = [s for s in STATUS_LABELS if s in seen]
    reviewed = bool(statuses)
    entries = []
    for number, (region, rows) in enumerate(grouped.items()):
        states = [_state(row) for row in rows]
        attention = sorted((i for i, state in enumerate(states) if state in _ATTENTION),
                           key=lambda i: (_ATTENTION[states[i]], i))
        entries.append((number, region, rows, states, attention))
    entries.sort(key=lambda e: (-sum(s in ("fail", "off-track") for s in e[3]), -len(e[4]), e[0]))
    head = "".join(f'<th class="v-{v}">{escape(VERDICT_LABELS[v])}</th>' for v in verdicts)
    if reviewed:
        head += "".join(f'<th class="s-{s}">{escape(STATUS_LABELS[s])}</th>' for s in statuses)
    out = ['<section class="overview" id="overview">', "<h2>概览 overview</h2>",
           '<table class="overview">', f"<thead><tr><th>地区 region</th>{head}"
           "<th>需关注 attention (未达标与严重滞后在前 failures and off-track first)</th></tr></thead>", "<tbody>"]
    for number, region, rows, states, attention in entries:
        cells = "".join(f'<td class="count">{states.count(v) or ""}</td>' for v in verdicts)
        if reviewed:
            cells += "".join(f'<td class="count">{states.count(s) or ""}</td>' for s in statuses)
        links = "".join(
            f'<a href="#{_row_id(number, i)}" class="{_attention_class(states[i])}" data-state="{states[i]}">'
            f"{_VERDICT_MARK.get(states[i]) or STATUS_MARKS[states[i]]} {escape(rows[i]['indicator'])}</a>"
            for i in attention)
        out.append(f'<tr data-region="{escape(region)}"><th><a href="#region-{number}">{escape(region)}</a></th>'
                   f'{cells}<td class="attention">{links or "—"}</td></tr>')
    out += ["</tbody>", "</table>", "</section>"]
    return out


def _attention_class(state: str) -> str:
    return f"v-{state}" if state in VERDICT_LABELS else f"s-{state}"


def _region_section(report: Any, table: _Targets, region: str, rows: list[dict[str, Any]], number: int) -> list[str]:
    out = [f'<section class="region" id="region-{number}">', f"<h2>{escape(region)}</h2>",
           f'<table class="status" id="status-{number}">',
           "<thead><tr><th>状态 status</th><th>指标 indicator</th><th>目标 target</th><th>层级 level</th>"
           "<th>年份 year</th><th>数值 value</th><th>差距 margin</th><th>依据 citation</th></tr></thead>", "<tbody>"]
    indexed = list(enumerate(rows))
    if all(row["verdict"] == "pending" for row in rows):
        out = out[:2]         # every target is due later: only the review table
    for index, row in sorted(indexed, key=lambda item: _ORDER[item[1]["verdict"]]):
        verdict = row["verdict"]
        if verdict == "pending":
            continue    # in the review table below
        citation = _merged_citation(row.get("document"), row.get("citation"), " ")
        out.append(
            f'<tr class="v-{verdict}" data-verdict="{verdict}" id="{_row_id(number, index)}">'
            f'<td class="verdict">{_VERDICT_MARK.get(verdict, "")} {escape(VERDICT_LABELS.get(verdict, verdict))}</td>'
            f'<td class="indicator"><span class="name">{escape(row["indicator"])}</span></td>'
            f'<td class="nowrap">{escape(str(row["target"]))}</td>'
            f"<td>{escape(_LEVEL_NAMES.get(row['level'], row['level'] or '—'))}<br>"
            f'<span class="citation">{escape(row["origin"])}</span></td>'
            f'<td class="nowrap">{escape(_year_text(row))}</td>'
            f'<td class="num">{escape(_value_text(row))}</td><td class="num">{escape(_margin_text(row))}</td>'
            f'<td class="citation">{escape(citation)}'
            + (f'<br><span class="caveat">口径变化 caveat: {escape(row["caveat"])}</span>' if row.get("caveat") else "")
            + "</td></tr>")
    if len(out) > 2:
        out += ["</tbody>", "</table>"]
    pending = [(index, row) for index, row in indexed if row.get("assessment")]
    if pending:
        out += _review_table(report, pending, number)
    charts = [chart for chart in (_indicator_chart(report, table, region, name) for name in _indicators(rows)) if chart]
    charts += _sum_charts(report, region, [row for _, row in pending])
    if charts:
        out += ["<h3>数值与各级目标 values against each level's target</h3>", '<div class="charts">', *charts, "</div>"]
    out.append("</section>")
    return out


def _year_text(row: dict[str, Any]) -> str:
    """The years a target row covers: ``2011–2015 累计`` (the years summed), ``2016–2020 每年 (2017)``
    (the deciding year of an every-year target), or its one year."""
    years = row["years"] or []
    if row["kind"] == "cumulative" and row.get("summed_years"):
        first, last = row["summed_years"]
        return f"{first}–{last} 累计"
    if row["kind"] == "every-year" and len(years) > 1:
        return f"{years[0]}–{years[-1]} 每年" + (f" ({row['year']})" if row["year"] is not None else "")
    if row["year"] is not None:
        return str(row["year"])
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else "".join(str(y) for y in years)


_REVIEW_HEADER = ("评估 status", "指标 indicator", "目标 target", "到期 due", "最新 latest", "预计 projected",
                  "年均变化 实际 | 所需 change/yr seen | required", "比值 ratio", "今后每年需 needed/yr")


def _review_table(report: Any, pending: list[tuple[int, dict[str, Any]]], number: int) -> list[str]:
    out = [f"<h3>中期评估 review as of {report.as_of}: 以后到期的目标 targets due later</h3>",
           f'<table class="review" id="review-{number}">',
           "<thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in _REVIEW_HEADER) + "</tr></thead>", "<tbody>"]
    rank = {status: n for n, status in enumerate(("off-track", "at-risk", "insufficient-data", "on-track", "achieved"))}
    for index, row in sorted(pending, key=lambda item: (rank[item[1]["assessment"]["status"]], item[0])):
        assessment = row["assessment"]
        status = assessment["status"]
        cells = table_cells(row)
        label = f"{STATUS_MARKS[status]} {STATUS_LABELS[status]}"
        term = assessment["term"]
        row_id = _row_id(number, index) + ("" if row["verdict"] == "pending" else "-review")
        out.append(
            f'<tr class="s-{status}" data-status="{status}" id="{row_id}">'
            f'<td class="verdict">{escape(label)}<br><span class="citation">{escape(term)}</span></td>'
            f'<td class="indicator"><span class="name">{escape(row["indicator"])}</span>'
            + (f'<br><span class="citation">{escape(cells[9])}</span>' if cells[9] else "") + "</td>"
            f'<td class="nowrap">{escape(str(row["target"]))}</td><td class="nowrap">{escape(_year_text(row))}</td>'
            + "".join(f'<td class="num">{escape(cell)}</td>' for cell in cells[4:9]) + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _indicators(rows: Iterable[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(row["indicator"] for row in rows if row["verdict"] != "not-applicable"))


def _value_text(row: dict[str, Any]) -> str:
    value = row.get("value")
    if value is None:
        return "—"
    mark = row.get("censored") or ""
    unit = row.get("unit") or ""
    return f"{mark}{_number(value)} {unit}".strip()


def _margin_text(row: dict[str, Any]) -> str:
    margin = row.get("margin")
    if margin is None:
        return "—"
    relative = row.get("relative_margin")
    text = ("+" if margin > 0 else "") + _number(margin)
    if relative is not None and math.isfinite(relative):
        text += f" ({'+' if relative > 0 else ''}{plain(relative * 100, 3)}%)"
    return text


def _number(x: float) -> str:
    """Six significant digits, never in scientific notation (``1900``, ``0.000123``)."""
    return plain(x, 6)


# ------------------------------------------------------------------------------------------
# Charts


def _series(report: Any, region: str, indicator: str) -> list[tuple[int, float]]:
    obs = report.obs
    r, i = obs.region_index(region), obs.indicator_index(indicator)
    if r is None or i is None:
        return []
    points = []
    for y, year in enumerate(obs.years):
        cell = obs.cell(r, y, i)
        if cell is None:
            continue
        value = cell.lo if math.isfinite(cell.lo) else cell.hi
        if math.isfinite(value):
            points.append((int(year), float(value)))
    return points


_Targets = dict[str, list[tuple[Any, frozenset[str] | None]]]


def _target_table(report: Any) -> _Targets:
    """indicator → [(rule, normalised regions it is limited to, or None)] for every enforced,
    non-cumulative value target of the lineage, in lineage order — built once per page."""
    from ..language.text import normalize
    from ..packs.resolve import Measure, extensive

    table: _Targets = {}
    for pack in report.pack.lineage():
        for rule in pack.own_rules:
            if rule.measure is not Measure.VALUE or rule.kind == "cumulative" or not rule.enforced:
                continue
            regions = frozenset(normalize(x) for x in rule.regions) \
                if extensive(rule.indicator) and rule.regions else None
            table.setdefault(rule.indicator.name, []).append((rule, regions))
    return table


def _level_targets(table: _Targets, region: str,
                   indicator: str) -> list[tuple[Any, list[int], float | None, float | None]]:
    """(rule, years, lower, upper) for every enforced value target on the indicator that some
    pack of the lineage states for ``region`` — the effective ones and those a child overrode
    (a parent's totals bind only the parent's own region)."""
    from ..language.text import normalize

    found = []
    seen: set[tuple[str, str, tuple[int, ...]]] = set()
    wanted = normalize(region)
    for rule, regions in table.get(indicator, ()):
        key = (rule.origin, rule.text, rule.years)
        if key in seen or (regions is not None and wanted not in regions):
            continue
        seen.add(key)
        interval = rule.interval
        lower = None if interval.lower is None else float(interval.lower)
        upper = None if interval.upper is None else float(interval.upper)
        found.append((rule, list(rule.years), lower, upper))
    return found


_STATUS_COLOURS = {"achieved": "#1b7837", "on-track": "#1b7837", "at-risk": "#d08000", "off-track": "#b2182b",
                   "insufficient-data": "#666666"}


def _review_paths(report: Any, region: str, indicator: str) -> list[tuple[str, Any, list[tuple[int, float]],
                                                                          list[tuple[int, float]]]]:
    """(status, rule, projected path, required path) of each level target on ``indicator`` due
    after the as-of year, for ``region`` (its last assessed year), in the indicator's unit."""
    from ..engine.assessment import paths

    a = report.assessment
    r = report.obs.region_index(region)
    if a is None or r is None:
        return []
    plan = report.plan
    last: dict[int, int] = {}
    for k, atom in enumerate(a.atoms.tolist()):
        rule = int(plan.atom_rule[atom])
        if plan.rules[rule].indicator.name == indicator and plan.rules[rule].kind != "cumulative" \
                and bool(report.reviewed[r, k]):
            last[rule] = k if rule not in last or a.due[k] >= a.due[last[rule]] else last[rule]
    found = []
    for rule, k in last.items():
        projected, required = paths(a, r, k)
        if projected:
            found.append((_STATUSES[int(a.status[r, k])], plan.rules[rule], projected, required))
    return found


def _indicator_chart(report: Any, lineage: _Targets, region: str, indicator: str) -> str | None:
    points = _series(report, region, indicator)
    if not points:
        return None  # nothing to plot: the table says "unknown"
    targets = _level_targets(lineage, region, indicator)
    reviews = _review_paths(report, region, indicator)
    drawn = [p for _, _, projected, required in reviews for p in projected + required]
    years = sorted({y for y, _ in points} | {y for _, ys, _, _ in targets for y in ys} | {y for y, _ in drawn})
    values = [v for _, v in points] + [b for _, _, lo, hi in targets for b in (lo, hi) if b is not None] \
        + [v for _, v in drawn]
    entry = report.pack.catalogue.lookup(indicator)
    unit = next((r.indicator.unit for r, _, _, _ in targets), None) or (entry.unit if entry else None)
    frame = _Frame(years, *_nice_range(min(values), max(values)))
    x, y = frame.x, frame.y
    svg = frame.open(f"{indicator} ({region})", "chart", indicator)
    levels: dict[str | None, None] = {}
    for rule, rule_years, lower, upper in targets:
        level = _level_value(rule)
        levels[level] = None
        colour = LEVEL_COLOURS.get(level, "#666")
        for bound in (b for b in (lower, upper) if b is not None):
            start = x(min(rule_years) - 0.35) if rule_years else frame.LEFT
            end = x(max(rule_years) + 0.35) if rule_years else frame.WIDTH - frame.RIGHT
            title = escape(f"{_LEVEL_NAMES.get(level)} {rule.origin}: {rule.text}")
            svg.append(f'<line class="target" data-level="{level or ""}" x1="{start:.1f}" x2="{end:.1f}" '
                       f'y1="{y(bound):.1f}" y2="{y(bound):.1f}" stroke="{colour}" stroke-width="2" '
                       f'stroke-dasharray="6 3"><title>{title}</title></line>')
    for status, rule, projected, required in reviews:
        colour = _STATUS_COLOURS[status]
        title = escape(f"{rule.origin}: {rule.text} — {STATUS_LABELS[status]}")
        needed, ahead = frame.line(required), frame.line(projected)
        if status != "achieved":     # nothing more is required of an achieved target
            svg.append(f'<polyline class="required" points="{needed}" fill="none" stroke="#555" stroke-width="1.5" '
                       f'stroke-dasharray="2 3"><title>所需路径 required path · {title}</title></polyline>')
        svg.append(f'<polyline class="projected" data-status="{status}" points="{ahead}" fill="none" '
                   f'stroke="{colour}" stroke-width="2" stroke-dasharray="8 4"><title>预计路径 projected path · '
                   f"{title}</title></polyline>")
        goal_year, goal = required[-1]
        svg.append(f'<rect class="goal" x="{x(goal_year) - 4:.1f}" y="{y(goal) - 4:.1f}" width="8" height="8" '
                   f'fill="none" stroke="{colour}" stroke-width="2"><title>{goal_year}: {escape(_number(goal))} '
                   f"{escape(unit or '')}</title></rect>")
    svg.append(f'<polyline class="values" points="{frame.line(points)}" fill="none" stroke="#222" stroke-width="2"/>')
    for yr, v in points:
        svg.append(f'<circle class="value" cx="{x(yr):.1f}" cy="{y(v):.1f}" r="3.5" fill="#222">'
                   f"<title>{yr}: {escape(_number(v))} {escape(unit or '')}</title></circle>")
    svg.append("</svg>")
    legend = ['<div class="legend">', '<span class="swatch" style="background:#222"></span>数据 data']
    legend += [f'<span class="swatch" style="background:{LEVEL_COLOURS.get(level, "#666")}"></span>'
               f"{escape(_LEVEL_NAMES.get(level, str(level)))}" for level in levels]
    if reviews:
        legend.append("<span>· 长虚线 预计 projected (--), 点线 所需 required (··), □ 目标 target</span>")
    legend.append("</div>")
    rows = "".join(
        f"<tr><td>{escape(_LEVEL_NAMES.get(_level_value(r), '—'))}</td>"
        f"<td>{escape(r.origin)}</td><td>{escape(target_text(r))}</td>"
        f"<td>{escape(_years(ys))}</td></tr>" for r, ys, _, _ in targets)
    table = ("<table><thead><tr><th>层级 level</th><th>规则包 pack</th><th>目标 target</th><th>年份 years</th></tr>"
             f"</thead><tbody>{rows}</tbody></table>") if targets else ""
    caption = escape(indicator) + (f" <small>({escape(unit)})</small>" if unit else "")
    return f"<figure><figcaption>{caption}</figcaption>{''.join(svg)}{''.join(legend)}{table}</figure>"


def _sum_charts(report: Any, region: str, pending: list[dict[str, Any]]) -> list[str]:
    """One chart per cumulative target due later: the running sum so far, the pro-rata path to
    the target (时间过半、任务过半) and the projection at the mean yearly flow."""
    charts = []
    for row in pending:
        assessment = row["assessment"]
        if row["kind"] != "cumulative" or assessment["latest_value"] is None or not row.get("summed_years"):
            continue
        first, last = row["summed_years"]
        elapsed = assessment["elapsed_years"] or []
        flows = dict(_series(report, region, row["indicator"]))
        running, total = [], 0.0
        for year in elapsed:
            total += flows.get(year, math.nan)
            running.append((year, total))
        goal = assessment["target_value"]
        period = last - first + 1
        pro_rata = [(first - 1, 0.0)] + [(year, goal * (year - first + 1) / period) for year in range(first, last + 1)]
        projected = [(elapsed[-1], assessment["latest_value"]), (last, assessment["anticipated"])] \
            if assessment["anticipated"] is not None else []
        charts.append(_running_chart(row, running, pro_rata, projected, goal))
    return charts


def _running_chart(row: dict[str, Any], running: list[tuple[int, float]], pro_rata: list[tuple[int, float]],
                   projected: list[tuple[int, float]], goal: float) -> str:
    status = row["assessment"]["status"]
    colour = _STATUS_COLOURS[status]
    points = running + pro_rata + projected
    frame = _Frame(sorted({yr for yr, _ in points}),
                   *_nice_range(min(0.0, *(v for _, v in points)), max(goal, *(v for _, v in points))))
    x, y, line = frame.x, frame.y, frame.line
    unit = row["assessment"]["unit"]
    svg = frame.open(f"{row['indicator']} 累计 ({row['region']})", "chart sum", row["indicator"])
    svg.append(f'<line class="target" x1="{frame.LEFT}" x2="{frame.WIDTH - frame.RIGHT}" y1="{y(goal):.1f}" '
               f'y2="{y(goal):.1f}" '
               f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="6 3"><title>{escape(str(row["target"]))}'
               "</title></line>")
    svg.append(f'<polyline class="required" points="{line(pro_rata)}" fill="none" stroke="#555" stroke-width="1.5" '
               'stroke-dasharray="2 3"><title>按时间进度 pro-rata path (时间过半、任务过半)</title></polyline>')
    if projected:
        svg.append(f'<polyline class="projected" data-status="{status}" points="{line(projected)}" fill="none" '
                   f'stroke="{colour}" stroke-width="2" stroke-dasharray="8 4"><title>预计 projected: '
                   f"{escape(_number(projected[-1][1]))} {escape(unit)}</title></polyline>")
    svg.append(f'<polyline class="values" points="{line(running)}" fill="none" stroke="#222" stroke-width="2"/>')
    for yr, v in running:
        svg.append(f'<circle class="value" cx="{x(yr):.1f}" cy="{y(v):.1f}" r="3.5" fill="#222">'
                   f"<title>{yr}: 累计 {escape(_number(v))} {escape(unit)}</title></circle>")
    svg.append("</svg>")
    caption = (f"{escape(row['indicator'])} <small>累计 running sum {escape(_year_text(row))} · "
               f"{escape(STATUS_LABELS[status])}</small>")
    legend = ('<div class="legend"><span class="swatch" style="background:#222"></span>累计 running sum'
              "<span> · 点线 按时间进度 pro-rata (··), 长虚线 预计 projected (--)</span></div>")
    return f"<figure><figcaption>{caption}</figcaption>{''.join(svg)}{legend}</figure>"


class _Frame:
    """A chart's canvas: years across, values up, with its grid, tick labels and year labels."""

    WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 520, 230, 56, 16, 14, 30

    def __init__(self, years: Sequence[int], low: float, high: float) -> None:
        self.years, self.low, self.high = list(years), low, high
        self.first, self.last = self.years[0] - 0.5, self.years[-1] + 0.5

    def x(self, year: float) -> float:
        return self.LEFT + (year - self.first) / (self.last - self.first) * (self.WIDTH - self.LEFT - self.RIGHT)

    def y(self, value: float) -> float:
        return self.TOP + (self.high - value) / (self.high - self.low) * (self.HEIGHT - self.TOP - self.BOTTOM)

    def line(self, series: Sequence[tuple[int, float]]) -> str:
        return " ".join(f"{self.x(yr):.1f},{self.y(v):.1f}" for yr, v in series)

    def open(self, label: str, kind: str, indicator: str) -> list[str]:
        """The ``<svg>`` start tag, the value grid with its labels, the year labels and the axis."""
        right, bottom = self.WIDTH - self.RIGHT, self.HEIGHT - self.BOTTOM
        svg = [f'<svg viewBox="0 0 {self.WIDTH} {self.HEIGHT}" width="100%" role="img" aria-label="{escape(label)}" '
               f'class="{kind}" data-indicator="{escape(indicator)}">']
        for tick in _ticks(self.low, self.high):
            svg.append(f'<line x1="{self.LEFT}" x2="{right}" y1="{self.y(tick):.1f}" y2="{self.y(tick):.1f}" '
                       'stroke="#eee"/>')
            svg.append(f'<text x="{self.LEFT - 6}" y="{self.y(tick) + 4:.1f}" text-anchor="end">'
                       f"{escape(_number(tick))}</text>")
        step = max(1, math.ceil(len(self.years) / 10))
        for year in self.years[::step]:
            svg.append(f'<text x="{self.x(year):.1f}" y="{self.HEIGHT - 10}" text-anchor="middle">{year}</text>')
        svg.append(f'<line x1="{self.LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#999"/>')
        return svg


def _years(years: Sequence[int]) -> str:
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else "".join(str(y) for y in years)


def _nice_range(low: float, high: float) -> tuple[float, float]:
    if low == high:
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.12
    low, high = low - pad, high + pad
    if low < 0 <= low + pad:
        low = 0.0
    return low, high


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.ceil(low / step) * step
    ticks = []
    value = start
    while value <= high + 1e-12 * abs(high):
        ticks.append(round(value, 10))
        value += step
    return ticks
