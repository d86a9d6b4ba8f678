"""A compliance report as one self-contained HTML file: ``qualityrules check … --format html``.

Everything is inline — CSS, and an SVG chart per indicator of the data's values over the years
against each level's target — with no script, no font download and no other request, so the
file opens offline and can be mailed or archived as it is. Text is UTF-8 with a font stack that
covers simplified Chinese on Windows, macOS and Linux.

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

from .report import _ORDER, _group, _level_value, _merged_citation, target_text

__all__ = ["render_html", "VERDICT_LABELS", "LEVEL_COLOURS"]

VERDICT_LABELS = {
    "pass": "达标 pass", "fail": "未达标 fail", "warn": "未达预期 warn", "unknown": "未知 unknown",
    "not-applicable": "不适用 n/a",
}
_VERDICT_MARK = {"pass": "✓", "fail": "✗", "warn": "!", "unknown": "?", "not-applicable": "–"}
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
.verdict { font-weight: 700; white-space: nowrap; }
.v-pass { background: #e7f4e8; color: #1b5e20; }
.v-fail { background: #fde8e8; color: #b71c1c; }
.v-warn { background: #fff4e0; color: #8a5300; }
.v-unknown { background: #eef0f3; color: #455a64; }
.v-not-applicable { background: #fafafa; color: #888; }
.citation { color: #555; font-size: .85rem; }
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
    if report.warnings:
        out += ['<ul class="warnings" aria-label="warnings">',
                *(f'<li data-code="{w.code}"><pre>{escape(w.render())}</pre></li>' for w in report.warnings), "</ul>"]
    out.append("</header>")
    table = _target_table(report)
    for number, (region, rows) in enumerate(_group(targets, "region").items()):
        out += _region_section(report, table, region, rows, number)
    out += [f"<footer>qualityrules · {escape(pack.id)} · 每行一个目标 one row per target; "
            "图中实线为数据, 虚线为各级目标 solid: data, dashed: each level's target</footer>",
            "</body>", "</html>", ""]
    return "\n".join(out)


def _region_section(report: Any, table: _Targets, region: str, rows: list[dict[str, Any]], number: int) -> list[str]:
    out = [f'<section class="region" id="region-{number}">', f"<h2>{escape(region)}</h2>",
           f'<table class="status" id="status-{number}">',
           "<thead><tr><th>状态 status</th><th>指标 indicator</th><th>目标 target</th><th>层级 level</th>"
           "<th>年份 year</th><th>数值 value</th><th>差距 margin</th><th>依据 citation</th></tr></thead>", "<tbody>"]
    for row in sorted(rows, key=lambda r: _ORDER[r["verdict"]]):
        verdict = row["verdict"]
        years = row["years"] or []
        year_text = str(row["year"]) if row["year"] is not None else (
            f"{years[0]}–{years[-1]}" if len(years) > 1 else "".join(str(y) for y in years))
        if row["kind"] == "cumulative" and years:
            year_text = f"{years[0]}–{years[-1]} 累计"
        elif row["kind"] == "every-year" and len(years) > 1:
            year_text = f"{years[0]}–{years[-1]} 每年" + (f" ({row['year']})" if row["year"] is not None else "")
        citation = _merged_citation(row.get("document"), row.get("citation"), " ")
        out.append(
            f'<tr class="v-{verdict}" data-verdict="{verdict}">'
            f'<td class="verdict">{_VERDICT_MARK.get(verdict, "")} {escape(VERDICT_LABELS.get(verdict, verdict))}</td>'
            f"<td>{escape(row['indicator'])}</td><td>{escape(str(row['target']))}</td>"
            f"<td>{escape(_LEVEL_NAMES.get(row['level'], row['level'] or '—'))}<br>"
            f'<span class="citation">{escape(row["origin"])}</span></td>'
            f"<td>{escape(year_text)}</td>"
            f'<td class="num">{escape(_value_text(row))}</td><td class="num">{escape(_margin_text(row))}</td>'
            f'<td class="citation">{escape(citation)}</td></tr>')
    out += ["</tbody>", "</table>"]
    charts = [chart for chart in (_indicator_chart(report, table, region, name) for name in _indicators(rows)) if chart]
    if charts:
        out += ["<h3>数值与各级目标 values against each level's target</h3>", '<div class="charts">', *charts, "</div>"]
    out.append("</section>")
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
        text += f" ({'+' if relative > 0 else ''}{relative * 100:.3g}%)"
    return text


def _number(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


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


def _indicator_chart(report: Any, lineage: _Targets, region: str, indicator: str) -> str | None:
    points = _series(report, region, indicator)
    if not points:
        return None  # nothing to plot: the table says "unknown"
    targets = _level_targets(lineage, region, indicator)
    years = sorted({y for y, _ in points} | {y for _, ys, _, _ in targets for y in ys})
    values = [v for _, v in points] + [b for _, _, lo, hi in targets for b in (lo, hi) if b is not None]
    entry = report.pack.catalogue.lookup(indicator)
    unit = next((r.indicator.unit for r, _, _, _ in targets), None) or (entry.unit if entry else None)
    low, high = _nice_range(min(values), max(values))
    width, height, left, right, top, bottom = 520, 230, 56, 16, 14, 30
    first, last = years[0] - 0.5, years[-1] + 0.5

    def x(year: float) -> float:
        return left + (year - first) / (last - first) * (width - left - right)

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * (height - top - bottom)

    label = f"{indicator} ({region})"
    svg = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}" '
           f'class="chart" data-indicator="{escape(indicator)}">']
    for tick in _ticks(low, high):
        svg.append(f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eee"/>')
        svg.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{escape(_number(tick))}</text>')
    step = max(1, math.ceil(len(years) / 10))
    for year in years[::step]:
        svg.append(f'<text x="{x(year):.1f}" y="{height - 10}" text-anchor="middle">{year}</text>')
    svg.append(f'<line x1="{left}" x2="{width - right}" y1="{height - bottom}" y2="{height - bottom}" stroke="#999"/>')
    levels: dict[str | None, None] = {}
    for rule, rule_years, lower, upper in targets:
        level = _level_value(rule)
        levels[level] = None
        colour = LEVEL_COLOURS.get(level, "#666")
        for bound in (b for b in (lower, upper) if b is not None):
            start = x(min(rule_years) - 0.35) if rule_years else left
            end = x(max(rule_years) + 0.35) if rule_years else width - right
            title = escape(f"{_LEVEL_NAMES.get(level)} {rule.origin}: {rule.text}")
            svg.append(f'<line class="target" data-level="{level or ""}" x1="{start:.1f}" x2="{end:.1f}" '
                       f'y1="{y(bound):.1f}" y2="{y(bound):.1f}" stroke="{colour}" stroke-width="2" '
                       f'stroke-dasharray="6 3"><title>{title}</title></line>')
    path = " ".join(f"{x(yr):.1f},{y(v):.1f}" for yr, v in points)
    svg.append(f'<polyline class="values" points="{path}" fill="none" stroke="#222" stroke-width="2"/>')
    for yr, v in points:
        svg.append(f'<circle class="value" cx="{x(yr):.1f}" cy="{y(v):.1f}" r="3.5" fill="#222">'
                   f"<title>{yr}: {escape(_number(v))} {escape(unit or '')}</title></circle>")
    svg.append("</svg>")
    legend = ['<div class="legend">', '<span class="swatch" style="background:#222"></span>数据 data']
    legend += [f'<span class="swatch" style="background:{LEVEL_COLOURS.get(level, "#666")}"></span>'
               f"{escape(_LEVEL_NAMES.get(level, str(level)))}" for level in levels]
    legend.append("</div>")
    rows = "".join(
        f"<tr><td>{escape(_LEVEL_NAMES.get(_level_value(r), '—'))}</td>"
        f"<td>{escape(r.origin)}</td><td>{escape(target_text(r))}</td>"
        f"<td>{escape(_years(ys))}</td></tr>" for r, ys, _, _ in targets)
    table = ("<table><thead><tr><th>层级 level</th><th>规则包 pack</th><th>目标 target</th><th>年份 years</th></tr>"
             f"</thead><tbody>{rows}</tbody></table>") if targets else ""
    caption = escape(indicator) + (f" <small>({escape(unit)})</small>" if unit else "")
    return f"<figure><figcaption>{caption}</figcaption>{''.join(svg)}{''.join(legend)}{table}</figure>"


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
