"""The shipped packs: counts against the inventories, lint, export, the longgang contradiction,
the guangdong-2015 → longgang-2015 comparison, and the lineage checks on modified copies."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

import qualityrules
from qualityrules.cli import main
from qualityrules.errors import Severity
from qualityrules.packs import comparison
from qualityrules.packs.comparison import DiffKind
from qualityrules.resources import rules_dir

ROOT = Path(__file__).resolve().parents[1]
PACKS = rules_dir() / "packs"
INVENTORY = rules_dir() / "inventory"
SHIPPED = qualityrules.shipped_packs()
_ROW = re.compile(r"^\|\s*(?P<section>[^|]+?)\s*\|\s*(?P<targets>[^|]+?)\s*\|\s*(?P<commitments>[^|]+?)\s*\|\s*$")
_TOTALS = re.compile(r"Total targets: \*\*(\d+)\*\* \((\d+) enforced, (\d+) unenforced\); commitments: \*\*(\d+)\*\*")


def inventory_counts(pack_id: str) -> tuple[dict[str, tuple[int, int]], tuple[int, int], tuple[int, int, int, int]]:
    """The "## Counts" table of ``rules/inventory/<pack_id>.md``: per section (targets,
    commitments), the table's total row, and the closing "Total targets" sentence."""
    text = (INVENTORY / f"{pack_id}.md").read_text(encoding="utf-8")
    assert text.count("## Counts") == 1, f"{pack_id}.md needs exactly one '## Counts' section"
    counts = text.split("## Counts", 1)[1]
    sections: dict[str, tuple[int, int]] = {}
    total: tuple[int, int] | None = None
    for line in counts.splitlines():
        match = _ROW.match(line)
        if not match or set(match["targets"]) <= set("-: ") or match["section"] == "pack section":
            continue
        numbers = (int(match["targets"].strip("*")), int(match["commitments"].strip("*")))
        if match["section"].strip("*") == "total":
            total = numbers
        else:
            assert match["section"] not in sections, f"section {match['section']} listed twice"
            sections[match["section"]] = numbers
    sentence = _TOTALS.search(counts)
    assert total is not None and sentence is not None, f"{pack_id}.md: no total row or 'Total targets' sentence"
    return sections, total, (int(sentence[1]), int(sentence[2]), int(sentence[3]), int(sentence[4]))


def test_every_shipped_pack_has_an_inventory() -> None:
    assert SHIPPED == sorted(p.stem for p in INVENTORY.glob("*.md"))
    assert len(SHIPPED) == 6


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_counts_match_the_inventory(pack_id: str) -> None:
    sections, total, (targets, enforced, unenforced, commitments) = inventory_counts(pack_id)
    definition = qualityrules.load_pack(pack_id).definition
    in_pack: dict[str, tuple[int, int]] = {}
    for section in definition.sections:
        rules, promises = in_pack.get(section.name, (0, 0))
        in_pack[section.name] = (rules + len(section.rules), promises + len(section.commitments))
    assert in_pack == sections
    assert total == (len(definition.rules), len(definition.commitments))
    assert sum(t for t, _ in sections.values()) == total[0] and sum(c for _, c in sections.values()) == total[1]
    recorded = sum(rule.unenforced is not None for rule in definition.rules)
    assert (targets, enforced, unenforced, commitments) == (
        len(definition.rules), len(definition.rules) - recorded, recorded, len(definition.commitments))


def test_pinned_totals() -> None:
    """The inventories themselves, pinned: a changed count has to change here too."""
    assert {pid: inventory_counts(pid)[1] for pid in SHIPPED} == {
        "guangdong-2015": (22, 14), "longgang-2015": (33, 24), "nation-2020": (2, 0),
        "shenzhen-2010": (12, 16), "shenzhen-2016": (23, 26), "shenzhen-2020": (37, 18),
    }


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_lints_clean_apart_from_contradictions_and_exports(pack_id: str) -> None:
    found = qualityrules.lint(PACKS / f"{pack_id}.qr")
    # QR124: 空气质量优良天数比例 was defined by the API when 2010/2011 plans set it, by the AQI
    # in 2015 when it is checked; the verdicts carry that caveat.
    # reviewed in the packs with '# noqa: QR124 …', so lint leaves them out; the pack keeps them
    own = [d.span.text for d in qualityrules.load_pack(pack_id).diagnostics
           if d.code == "QR124" and d.span is not None and d.file == str(PACKS / f"{pack_id}.qr")]
    assert own == (["空气质量优良天数比例"] if pack_id in ("guangdong-2015", "longgang-2015") else [])
    assert [d.render() for d in found if d.code not in ("QR108", "QR124")] == []
    assert all(d.severity is Severity.WARNING for d in found)
    schema = json.loads((ROOT / "schemas" / "pack-export.schema.json").read_text(encoding="utf-8"))
    exported = json.loads(json.dumps(qualityrules.load_pack(pack_id).to_dict(), ensure_ascii=False))
    jsonschema.validate(exported, schema)
    assert exported["pack"]["id"] == pack_id and exported["rules"]


def test_longgang_records_its_contradiction() -> None:
    pack = qualityrules.load_pack("longgang-2015")
    enforced = [r for r in pack.rules if r.indicator.name == "工业废水达标排放率"]
    recorded = [r for r in pack.recorded if r.indicator.name == "工业废水达标排放率"]
    assert [(r.origin, r.interval.lower, r.citation) for r in enforced] == [
        ("longgang-2015", 95, "深龙府〔2011〕15号 附件 序号8: 工业废水95%达标排放")]
    assert [(r.interval.lower, r.enforced) for r in recorded] == [(90, False)]
    assert recorded[0].rule.unenforced is not None and "95%" in recorded[0].rule.unenforced
    # the pack keeps the warning; lint leaves it out because the line carries a reviewed '# noqa: QR108 reason'
    assert [d.code for d in pack.diagnostics if d.code != "QR124"] == ["QR108"]  # QR124: see above
    assert "工业废水达标排放率" in next(d.message for d in pack.diagnostics if d.code == "QR108")
    assert [d.code for d in qualityrules.lint(PACKS / "longgang-2015.qr") if d.code != "QR124"] == []
    line = next(d.line for d in pack.diagnostics if d.code == "QR108")
    assert line is not None and "# noqa: QR108 " in (PACKS / "longgang-2015.qr").read_text(encoding="utf-8").splitlines()[line - 1]
    # the comparison lists it as a contradiction, the 力争 restatement only as recorded
    kinds = {r.recorded.indicator: r.contradiction for r in qualityrules.compare(pack).recorded}
    assert kinds == {"工业废水达标排放率": True, "大中型工程项目一次性验收合格率": False}


# ------------------------------------------------------------------------------------------
# guangdong-2015 against longgang-2015

# indicator -> (guangdong threshold, longgang threshold, verdict)
PINNED = {
    "重点产品市场抽检合格率": ("≥ 90% (2015)", "≥ 92% (2015)", ("longgang-2015",)),
    "国家重点产品可比性跟踪监督抽查合格率": ("≥ 90% (每年 2011–2015)", "≥ 92% (每年 2011–2015)", ("longgang-2015",)),
    "饮用水源水质达标率": ("≥ 95% (2015)", "≥ 98% (2015)", ("longgang-2015",)),
    "空气质量优良天数比例": ("> 95% (2015)", "> 98% (2015)", ("longgang-2015",)),
    "工业废水达标排放率": ("≥ 95% (2015)", "≥ 95% (2015)", ("guangdong-2015", "longgang-2015")),
    "主要工业产品采标率": ("≥ 85% (2015)", "≥ 85% (2015)", ("guangdong-2015", "longgang-2015")),
    # a province-wide total and a district total: not one target made stricter or looser
    "获得质量管理体系认证的规模以上工业企业": ("≥ 3万家 (2015)", "≥ 700家 (2015)", ()),
    "地理标志保护产品": ("≥ 80个 (2015)", "力争 ≥ 1个 (2015)", ()),
}


@pytest.fixture(scope="module")
def gd_lg() -> comparison.PackComparison:
    return qualityrules.compare("guangdong-2015", "longgang-2015")


@pytest.mark.parametrize("indicator", sorted(PINNED))
def test_diff_pins_shared_thresholds(gd_lg: comparison.PackComparison, indicator: str) -> None:
    province, district, stricter = PINNED[indicator]
    row = gd_lg.row(indicator)
    enforced = {pid: [t.describe() for t in row.cell(pid) if t.enforced] for pid in gd_lg.pack_ids}
    assert enforced == {"guangdong-2015": [province], "longgang-2015": [district]}
    assert gd_lg.stricter(indicator) == stricter
    assert row in gd_lg.shared()


def test_diff_pairs_and_differences(gd_lg: comparison.PackComparison) -> None:
    assert gd_lg.pairs == (("guangdong-2015", "longgang-2015", "extends"),)
    kinds = {(d.kind, d.indicator) for d in gd_lg.differences}
    tightened = {i for k, i in kinds if k is DiffKind.TIGHTENED}
    assert tightened == {"重点产品市场抽检合格率", "国家重点产品可比性跟踪监督抽查合格率", "饮用水源水质达标率",
                         "空气质量优良天数比例"}
    assert not {k for k, _ in kinds} & {DiffKind.LOOSENED, DiffKind.DROPPED, DiffKind.CHANGED}
    # the district's own totals are added for 龙岗区; the province's stay in force for 广东省
    assert (DiffKind.ADDED, "获得质量管理体系认证的规模以上工业企业") in kinds
    assert (DiffKind.ADDED, "竣工验收合格率") in kinds
    # the district restates 大中型工程项目一次性验收合格率 only as 力争 (recorded): the province's binds
    row = gd_lg.row("大中型工程项目一次性验收合格率")
    held = [(t.origin, t.enforced, t.strength.value) for t in row.cell("longgang-2015")]
    assert held == [("guangdong-2015", True, "binding"), ("longgang-2015", False, "aspiration")]


def test_binding_across_the_lineage() -> None:
    b = qualityrules.binding("longgang-2015", "工业废水达标排放率", 2015)
    assert b is not None and (b.origin, b.level, b.document) == ("longgang-2015", qualityrules.Level.DISTRICT,
                                                                   "深龙府〔2011〕15号")
    inherited = qualityrules.binding("longgang-2015", "大中型工程项目一次性验收合格率", 2015)
    assert inherited is not None and inherited.origin == "guangdong-2015"
    assert inherited.citation is not None and inherited.citation.startswith("粤府〔2010〕84号 二(三)")
    district = qualityrules.binding("longgang-2015", "获得质量管理体系认证的规模以上工业企业", 2015)
    province = qualityrules.binding("guangdong-2015", "获得质量管理体系认证的规模以上工业企业", 2015)
    assert district is not None and district.rule.interval.lower == 700
    assert province is not None and (province.origin, province.rule.interval.lower) == ("guangdong-2015", 30000)
    # 广东省 lies outside longgang-2015's area: the district's pack does not answer for it
    assert qualityrules.binding("longgang-2015", "获得质量管理体系认证的规模以上工业企业", 2015, region="广东省") is None
    national = qualityrules.binding("shenzhen-2020", "生产性服务业顾客满意度", 2020)
    assert national is not None and (national.origin, national.rule.interval.lower) == ("shenzhen-2020", 85)
    # shenzhen-2016 inherits that 2020 target, but a 2016 work plan is not in force in 2020
    assert qualityrules.binding("shenzhen-2016", "生产性服务业顾客满意度", 2020) is None
    # every year 2006..2010 at least 90%, and 95% in 2010: in 2010 the 95% binds
    both = qualityrules.binding("shenzhen-2010", "重点产品质量监督抽查产值合格率", 2010)
    assert both is not None and both.rule.interval.lower == 95 and [o.rule.interval.lower for o in both.others] == [90]
    earlier = qualityrules.binding("shenzhen-2010", "重点产品质量监督抽查产值合格率", 2008)
    assert earlier is not None and earlier.rule.interval.lower == 90 and earlier.others == ()
    assert qualityrules.binding("longgang-2015", "工业废水达标排放率", 2012) is None
    with pytest.raises(qualityrules.UnknownIndicatorError) as caught:
        qualityrules.binding("longgang-2015", "工业废水排放达标", 2015)
    assert caught.value.suggestion is not None and "工业废水达标排放率" in caught.value.suggestion


def test_diff_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "guangdong-2015", "longgang-2015"]) == 0
    text = capsys.readouterr().out
    block = text.split("  饮用水源水质达标率 ", 1)[1].split("\n  ", 3)
    assert "guangdong-2015" in block[1] and "≥ 95%" in block[1]
    assert block[2].startswith(" * longgang-2015") and "≥ 98%" in block[2]
    assert "→ stricter: longgang-2015" in block[3].splitlines()[0]
    assert "tightened 饮用水源水质达标率: ≥ 95% (2015) → ≥ 98% (2015)" in text
    assert "工业废水达标排放率 (contradiction)" in text

    assert main(["diff", "guangdong-2015", "longgang-2015", "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "| 饮用水源水质达标率 | % | ≥ 95% (2015) | **≥ 98% (2015)** | stricter: longgang-2015 |" in md

    assert main(["diff", "longgang-2015", "guangdong-2015", "--format", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["pairs"] == [{"parent": "guangdong-2015", "child": "longgang-2015", "relation": "extends"}]
    row = next(r for r in exported["indicators"] if r["indicator"] == "饮用水源水质达标率")
    assert row["strictest"] == ["longgang-2015"]
    assert [t["interval"]["lower"] for t in row["thresholds"]["guangdong-2015"]] == [95.0]


def test_diff_of_a_pack_with_itself_is_empty(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "longgang-2015", "longgang-2015", "--format", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["differences"] == [] and exported["pairs"] == []


@pytest.mark.parametrize("args", [["diff", "guangdong-2015", "longgang-2016"], ["diff", "guangdong-2015"],
                                  ["diff", "a", "b", "--format", "csv"]])
def test_diff_user_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse usage errors
        code = int(str(exit_.code))
    assert code == 2
    err = capsys.readouterr().err
    assert "QR" in err and "Traceback" not in err


def test_unknown_pack_in_diff_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "guangdong-2015", "longgang-2016"]) == 2
    err = capsys.readouterr().err
    assert "QR103" in err and "longgang-2015" in err


# ------------------------------------------------------------------------------------------
# Modified copies of shipped packs


def copy_with(tmp_path: Path, pack_id: str, old: str, new: str) -> Path:
    text = (PACKS / f"{pack_id}.qr").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found once in {pack_id}"
    path = tmp_path / f"{pack_id}.qr"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


LOOSENED = ("override 饮用水源水质达标率 达到98%以上", "override 饮用水源水质达标率 达到90%以上")


def test_loosened_copy_triggers_qr106(tmp_path: Path) -> None:
    path = copy_with(tmp_path, "longgang-2015", *LOOSENED)
    with pytest.raises(qualityrules.PackError) as caught:
        qualityrules.load_pack(path, search=(PACKS,))
    errors = [d for d in caught.value.diagnostics if d.severity is Severity.ERROR]
    assert [d.code for d in errors] == ["QR106"]
    d = errors[0]
    assert "饮用水源水质达标率" in d.message and "guangdong-2015" in d.message
    assert d.file == str(path) and d.line == 56 and d.suggestion is not None and "because" in d.suggestion
    assert "QR106" in [d.code for d in qualityrules.lint(path)]


def test_justified_loosening_loads_and_shows_as_loosened(tmp_path: Path) -> None:
    old, new = LOOSENED
    path = copy_with(tmp_path, "longgang-2015", old, new + ' because "水源地条件不同 (测试)"')
    pack = qualityrules.load_pack(path, search=(PACKS,))
    result = qualityrules.compare("guangdong-2015", pack)
    loosened = [d for d in result.differences if d.kind is DiffKind.LOOSENED]
    assert [(d.indicator, d.justification) for d in loosened] == [("饮用水源水质达标率", "水源地条件不同 (测试)")]
    assert result.stricter("饮用水源水质达标率") == ("guangdong-2015",)


def test_cyclic_copy_triggers_qr104(tmp_path: Path) -> None:
    copy_with(tmp_path, "guangdong-2015", "pack guangdong-2015 extends nation-2020 {",
              "pack guangdong-2015 extends longgang-2015 {")
    child = copy_with(tmp_path, "longgang-2015", "# 深圳市龙岗区", "# (copy) 深圳市龙岗区")
    with pytest.raises(qualityrules.PackError) as caught:
        qualityrules.load_pack(child, search=(tmp_path,))
    d = caught.value.diagnostic
    assert d.code == "QR104"
    assert "longgang-2015 -> guangdong-2015 -> longgang-2015" in d.message
    assert "guangdong-2015.qr:" in d.message and "longgang-2015.qr:" in d.message


# ------------------------------------------------------------------------------------------
# Generated documentation pages (docs/_ext/packpages.py)


def packpages() -> ModuleType:
    spec = importlib.util.spec_from_file_location("packpages", ROOT / "docs" / "_ext" / "packpages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def section_of(page: str, heading: str) -> str:
    """The text of one ``-``-underlined section of a generated page."""
    start = page.index(f"\n{heading}\n{'-' * 3}")
    rest = page[start + len(heading) + 2:]
    following = re.search(r"\n[^\n]+\n-{3,}\n", rest)
    return rest[:following.start()] if following else rest


def test_generated_pack_pages(tmp_path: Path) -> None:
    paths = packpages().generate(tmp_path)
    assert sorted(p.name for p in paths) == sorted([f"{p}.rst" for p in SHIPPED] + ["comparison.rst", "index.rst"])
    page = (tmp_path / "longgang-2015.rst").read_text(encoding="utf-8")
    assert page.startswith(".. This page is generated")
    assert "深龙府〔2011〕15号" in page and ":doc:`nation-2020` → :doc:`guangdong-2015` → :doc:`longgang-2015`" in page
    # an own target: as written, operator, value, unit, time, strength, citation
    assert ("   * - 饮用水源水质达标率\n     - 达到98%以上\n     - ≥\n     - 98\n     - %\n     - 2015\n"
            "     - binding, override\n     - 深龙府〔2011〕15号 二(四); 附件 序号9: 饮用水源水质达标率98%以上\n") in page
    assert "   * - 培育行业标杆企业\n     - 达到五家\n     - ≥\n     - 5\n     - 家\n     - 累计 2011–2015\n" in page
    targets = section_of(page, "Targets")
    assert targets.count("\n   * - ") - targets.count("   * - Indicator") == 33
    inherited = section_of(page, "Inherited targets")
    assert ("   * - 获得质量管理体系认证的规模以上工业企业\n     - ≥ 3万家\n     - 2015\n     - binding\n"
            "     - :doc:`guangdong-2015` (province)\n     - 广东省\n") in inherited
    assert ":doc:`nation-2020` (nation)" in inherited
    changes = section_of(page, "Changes against the parents")
    assert "   * - tightened\n     - 饮用水源水质达标率\n     - :doc:`guangdong-2015`\n     - ≥ 95% (2015)\n" in changes
    assert section_of(page, "Commitments").count("\n- **") == 24
    contradictions = section_of(page, "Contradictions and recorded targets")
    assert "- **Contradiction** — 工业废水达标排放率: states ≥ 90% (2015)" in contradictions
    assert "enforced instead: ≥ 95% (2015) (深龙府〔2011〕15号 附件 序号8" in contradictions

    table = (tmp_path / "comparison.rst").read_text(encoding="utf-8")
    row = table.split("   * - 饮用水源水质达标率\n", 1)[1].split("   * - ", 1)[0]
    assert row == ("     - %\n     - —\n     - guangdong-2015: ≥ 95% (2015)\n     - —\n"
                   "     - longgang-2015: **≥ 98% (2015)** ★\n     - —\n")
    totals = table.split("   * - 获得质量管理体系认证的规模以上工业企业\n", 1)[1].split("   * - ", 1)[0]
    assert "★" not in totals and "totals for different regions" in totals
    index = (tmp_path / "index.rst").read_text(encoding="utf-8")
    assert all(f"   {p}\n" in index for p in SHIPPED) and "   comparison\n" in index

    # a second run leaves unchanged pages alone and removes pages of packs no longer shipped
    stamps = {p: p.stat().st_mtime_ns for p in paths}
    (tmp_path / "gone-2000.rst").write_text("stale", encoding="utf-8")
    again = packpages().generate(tmp_path)
    assert {p: p.stat().st_mtime_ns for p in again} == stamps
    assert not (tmp_path / "gone-2000.rst").exists()


@pytest.mark.slow
def test_sphinx_builds_the_pages_without_warnings(tmp_path: Path) -> None:
    build = pytest.importorskip("sphinx.cmd.build")
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'docs' / '_ext')!r})\nproject = 'packs'\n"
        "extensions = []\nextensions.append('packpages')\n", encoding="utf-8")
    (source / "index.rst").write_text("Docs\n====\n\n.. toctree::\n\n   packs/index\n", encoding="utf-8")
    status = build.build_main(["-W", "-q", "-b", "html", str(source), str(tmp_path / "html")])
    assert status == 0
    html = (tmp_path / "html" / "packs" / "longgang-2015.html").read_text(encoding="utf-8")
    assert "工业废水达标排放率" in html and "guangdong-2015.html" in html


def test_the_national_service_satisfaction_floors_bind_in_2015() -> None:
    """The 纲要 (国发〔2012〕9号) sets 生产性/生活性服务业顾客满意度 80 and 75 到2015年: they bind
    广东省 and 龙岗区 in 2015, and shenzhen-2020's 85/80 for 2020 are its own targets, not overrides."""
    for pack, region in (("guangdong-2015", "广东省"), ("longgang-2015", "龙岗区")):
        for indicator, floor in (("生产性服务业顾客满意度", 80), ("生活性服务业顾客满意度", 75)):
            found = qualityrules.binding(pack, indicator, 2015, region=region)
            assert found is not None and found.origin == "nation-2020", (pack, indicator)
            assert found.rule.interval.lower == floor
    shenzhen = qualityrules.load_pack("shenzhen-2020")
    own = [r for r in shenzhen.own_rules if r.indicator.name.endswith("服务业顾客满意度")]
    assert [(r.years, r.rule.override) for r in own] == [((2020,), False), ((2020,), False)]
    assert not [d for d in qualityrules.lint(PACKS / "shenzhen-2020.qr") if d.code == "QR107"]
