"""The HTML compliance report: one self-contained file (no script, no request), every target in
the status table, a chart per indicator with data against each level's target, Chinese text
escaped and rendered — checked in headless Chromium (installed by .ci/run) the way a person
sees it."""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import qualityrules
from qualityrules.report.html import render_html

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "docs" / "examples" / "longgang-demo.csv"
MIDTERM = ROOT / "examples" / "demo" / "shenzhen-2015-2018.csv"
LONGGANG = ROOT / "examples" / "demo" / "longgang-2011-2015.csv"


@pytest.fixture(scope="module")
def report() -> qualityrules.Report:
    return qualityrules.evaluate("longgang-2015", DEMO, region="龙岗区")


@pytest.fixture(scope="module")
def page(report: qualityrules.Report) -> str:
    return render_html(report)


def test_the_page_is_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page and '<html lang="zh-CN">' in page
    for forbidden in ("<script", "http://", "https://", "src=", "@import", "url(", "<link", "<iframe"):
        assert forbidden not in page, forbidden


def test_every_target_has_a_row_with_its_verdict(report: qualityrules.Report, page: str) -> None:
    rows = re.findall(r'<tr class="v-([a-z-]+)" data-verdict="([a-z-]+)" id="t-\d+-\d+">', page)
    assert len(rows) == 47
    assert collections.Counter(v for v, _ in rows) == {"unknown": 24, "not-applicable": 13, "pass": 7, "fail": 3}
    assert all(v == d for v, d in rows)


def test_each_indicator_with_data_has_a_chart_against_each_level(report: qualityrules.Report, page: str) -> None:
    charted = set(re.findall(r'class="chart" data-indicator="([^"]+)"', page))
    with_data = {"工业废水达标排放率", "饮用水源水质达标率", "空气质量优良天数比例", "国家重点产品可比性跟踪监督抽查合格率",
                 "万元GDP能耗", "万元GDP水耗", "扶持提升绩效的重点企业", "城镇生活污水处理率", "发明专利年授权量",
                 "重大工程质量事故"}
    assert charted == with_data
    water = page.split('data-indicator="工业废水达标排放率"', 1)[1].split("</svg>", 1)[0]
    assert len(re.findall(r'<circle class="value"', water)) == 5          # 2011..2015
    assert {"district", "province"} <= set(re.findall(r'data-level="([a-z]+)"', water))


@pytest.fixture(scope="module")
def review() -> qualityrules.Report:
    return qualityrules.evaluate("shenzhen-2020", MIDTERM, as_of=2018)


@pytest.fixture(scope="module")
def review_page(review: qualityrules.Report) -> str:
    return render_html(review)


def test_the_overview_counts_each_region_and_links_failures_first() -> None:
    report = qualityrules.evaluate("longgang-2015", LONGGANG)
    page = render_html(report)
    overview = page.split('<section class="overview"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr data-region="([^"]+)">(.*?)</tr>', overview)
    failures = {region: [row["verdict"] for row in report.targets() if row["region"] == region].count("fail")
                for region in report.obs.regions}
    shown = [region for region, _ in rows]
    assert sorted(shown) == sorted(report.obs.regions) and len(set(failures.values())) > 1
    assert [failures[region] for region in shown] == sorted(failures.values(), reverse=True)   # most failures first
    ids = set(re.findall(r'<tr [^>]*id="(t-\d+-\d+)"', page))
    for region, cells in rows:
        verdicts = [row["verdict"] for row in report.targets() if row["region"] == region]
        counts = re.findall(r'<td class="count">(\d*)</td>', cells)
        assert [int(c or 0) for c in counts] == [verdicts.count(v) for v in ("pass", "fail", "warn", "unknown",
                                                                             "not-applicable")]
        links = re.findall(r'<a href="#(t-\d+-\d+)" class="[^"]+" data-state="([a-z-]+)">', cells)
        assert len(links) == verdicts.count("fail") + verdicts.count("warn")
        assert [state for _, state in links] == sorted((state for _, state in links), key=["fail", "warn"].index)
        assert {target for target, _ in links} <= ids
    linked = re.search(r'href="#(t-\d+-\d+)" class="v-fail"', overview)
    assert linked is not None
    row = page.split(f'id="{linked.group(1)}"', 1)[0].rsplit("<tr", 1)[1]   # the row the link goes to
    assert 'data-verdict="fail"' in row


def test_cumulative_targets_are_labelled_with_the_years_they_sum(page: str) -> None:
    assert "2011–2015 累计" in page and "2015–2015 累计" not in page


def test_margins_are_never_in_scientific_notation() -> None:
    data = {"region": ["龙岗区"] * 2, "year": [2015] * 2, "indicator": ["发明专利年授权量", "万元GDP能耗"],
            "value": [3600 * 20, 0.4699999]}
    page = render_html(qualityrules.evaluate("longgang-2015", data, region="龙岗区"))
    cells = re.findall(r'<td class="num">([^<]*)</td>', page)
    assert cells and not [c for c in cells if re.search(r"\de[+-]?\d", c)], cells
    assert "+68400 (+1900%)" in cells and "+0.0000001 (+0.0000213%)" in cells   # were +1.9e+03%, 1e-07


def test_a_review_has_its_table_paths_and_running_sums(review: qualityrules.Report, review_page: str) -> None:
    rows = re.findall(r'<tr class="s-([a-z-]+)" data-status="([a-z-]+)" id="t-0-\d+(?:-review)?">', review_page)
    statuses = [row["assessment"]["status"] for row in review.targets() if row["assessment"]]
    assert collections.Counter(s for s, _ in rows) == collections.Counter(statuses)
    assert [s for s, _ in rows] == sorted((s for s, _ in rows), key=["off-track", "at-risk", "insufficient-data",
                                                                    "on-track", "achieved"].index)
    assert "中期评估 review as of 2018" in review_page
    projected = re.findall(r'<polyline class="projected" data-status="([a-z-]+)" points="([^"]+)"', review_page)
    required = re.findall(r'<polyline class="required" points="([^"]+)"', review_page)
    assert len(projected) >= 20 and len(required) >= 15
    assert all(len(points.split()) >= 2 for _, points in projected)
    sums = re.findall(r'class="chart sum" data-indicator="([^"]+)"', review_page)
    cumulative = {row["indicator"] for row in review.targets() if row["kind"] == "cumulative"}
    assert set(sums) == cumulative
    water = review_page.split('data-indicator="万元GDP水耗"', 1)[1].split("</svg>", 1)[0]
    assert len(re.findall(r'<circle class="value"', water)) == 4 and 'class="projected"' in water


def test_text_from_packs_and_data_is_escaped(tmp_path: Path) -> None:
    text = ('pack esc-2015 {\n    name "<b>名称</b> & co"\n    region 甲区\n    level district\n    target 2015\n'
            '    section 示例 {\n        工业废水达标排放率 >= 95% cite "<script>alert(1)</script>"\n    }\n}\n')
    pack = qualityrules.parse_pack(text)
    data = {"region": ["甲区"], "year": [2015], "indicator": ["工业废水达标排放率"], "value": [90.0]}
    page = render_html(qualityrules.evaluate(pack, data))
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;名称&lt;/b&gt; &amp; co" in page


@pytest.mark.slow
def test_check_writes_the_html_report(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = subprocess.run([sys.executable, "-m", "qualityrules", "check", "longgang-2015", str(DEMO),
                             "--region", "龙岗区", "--format", "html", "-o", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr   # 空气质量优良天数比例 misses its binding target
    assert "Traceback" not in result.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    counts = result.stderr.strip().split(": ", 1)[1]   # the counts docs/cli.rst quotes for this command
    assert f"   wrote report.html: {counts}\n" in (ROOT / "docs" / "cli.rst").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------
# In a browser


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("headless Chromium is not installed (.ci/run installs it)")
    pytest.skip("headless Chromium is not installed (apt-get install chromium fonts-wqy-microhei)")


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / "profile"
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, timeout=120)


@pytest.mark.slow
def test_chromium_shows_the_status_table_and_the_charts(page: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    result = run_chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", path.as_uri())
    dom = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")[-2000:]
    assert "<h2>龙岗区</h2>" in dom
    assert len(re.findall(r'<tr class="v-', dom)) == len(re.findall(r'<tr class="v-', page))
    assert dom.count("<svg") == page.count("<svg") >= 10
    log = result.stderr.decode("utf-8", "replace")
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    requests = [line for line in log.splitlines() if "net::ERR" in line and "file://" not in line]
    assert not requests, requests
    shot = tmp_path / "report.png"
    result = run_chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", path.as_uri())
    assert result.returncode == 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


# Measured in the browser by a script added to a copy of the page (the report itself has none):
# how many lines each indicator name takes, and the drawn size of each projected path.
_MEASURE = """<script>
const names = [...document.querySelectorAll("td.indicator span.name")].map(e => [e.textContent, e.getClientRects().length]);
const paths = [...document.querySelectorAll("polyline.projected")].map(e => { const b = e.getBBox(); return [b.width, b.height]; });
document.body.setAttribute("data-measure", JSON.stringify({names, paths}));
</script>"""


@pytest.mark.slow
def test_chromium_draws_the_projection_and_keeps_names_on_two_lines(review_page: str, page: str,
                                                                    tmp_path: Path) -> None:
    import html
    import json

    for name, source in (("review", review_page), ("plain", page)):
        path = tmp_path / f"{name}.html"
        path.write_text(source.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
        result = run_chromium(tmp_path, "--window-size=1280,1600", "--virtual-time-budget=5000", "--dump-dom",
                              path.as_uri())
        assert result.returncode == 0, result.stderr.decode("utf-8", "replace")[-2000:]
        dom = result.stdout.decode("utf-8")
        found = re.search(r'data-measure="([^"]+)"', dom)
        assert found, dom[-2000:]
        measured = json.loads(html.unescape(found.group(1)))
        assert measured["names"] and all(lines <= 2 for _, lines in measured["names"]), \
            [n for n in measured["names"] if n[1] > 2]
        if name == "review":
            assert len(measured["paths"]) >= 20
            assert all(width > 20 for width, _ in measured["paths"])     # drawn across the years ahead


@pytest.mark.slow
def test_chromium_renders_chinese_with_real_glyphs(tmp_path: Path) -> None:
    """The same text in Chinese and in unassigned code points must look different; without a CJK
    font both are rows of empty boxes."""
    shots = []
    for name, text in (("zh", "达标未达标龙岗区"), ("boxes", "\ue000\ue001\ue002\ue003\ue004\ue005\ue006\ue007")):
        html = tmp_path / f"{name}.html"
        css = qualityrules.report.html._CSS
        font = css.split("font-family:", 1)[1].split(";", 1)[0]
        html.write_text(f'<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><body style="font-family:{font};'
                        f'font-size:48px;margin:10px">{text}</body></html>', encoding="utf-8")
        shot = tmp_path / f"{name}.png"
        result = run_chromium(tmp_path, "--window-size=600,120", f"--screenshot={shot}", html.as_uri())
        assert result.returncode == 0
        shots.append(shot.read_bytes())
    assert shots[0] != shots[1]
