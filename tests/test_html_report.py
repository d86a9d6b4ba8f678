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
    rows = re.findall(r'<tr class="v-([a-z-]+)" data-verdict="([a-z-]+)">', page)
    assert len(rows) == 47
    assert collections.Counter(v for v, _ in rows) == {"unknown": 22, "not-applicable": 15, "pass": 7, "fail": 3}
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
