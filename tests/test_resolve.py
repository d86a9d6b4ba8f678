"""Resolve: catalogue binding, units, lineage, overrides, contradictions, cycles."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import qualityrules
from qualityrules.errors import Severity
from qualityrules.packs import resolve

CATALOGUE = """\
indicator 工业废水达标排放率 {
    unit %
    direction higher
    alias 废水达标排放率
}
indicator 万元GDP能耗 {
    unit 吨标准煤/万元
    direction lower
}
indicator 名牌产品 {
    unit 个
    direction higher
}
indicator GDP {
    unit 亿元
    direction higher
}
"""


def pack(pack_id: str, body: str, *, extends: str = "", level: str = "city", region: str = "深圳市",
         period: str = "2011..2015", target: str = "2015") -> str:
    header = f"pack {pack_id}" + (f" extends {extends}" if extends else "") + " {"
    return (f"{header}\n    region {region}\n    level {level}\n    period {period}\n    target {target}\n\n"
            f"    section s {{\n" + "".join(f"        {line}\n" for line in body.strip().splitlines())
            + "    }\n}\n")


@pytest.fixture()
def catalogue(tmp_path: Path) -> resolve.Catalogue:
    path = tmp_path / "catalogue.qr"
    path.write_text(CATALOGUE, encoding="utf-8")
    return resolve.load_catalogue([path])


def write(directory: Path, pack_id: str, text: str) -> Path:
    path = directory / f"{pack_id}.qr"
    path.write_text(text, encoding="utf-8")
    return path


def codes(path: Path, catalogue: resolve.Catalogue) -> list[str]:
    _, diagnostics = resolve._load(path, catalogue=catalogue)
    return [d.code for d in diagnostics]


def test_binding_thresholds_in_the_indicators_unit(catalogue: resolve.Catalogue) -> None:
    p = resolve.resolve_text(pack("a", "GDP 达到1.75万亿元\n万元GDP能耗 低于0.47吨标准煤/万元\n废水达标排放率 95%以上"),
                             catalogue=catalogue)
    gdp, energy, water = p.rules
    assert gdp.indicator.name == "GDP" and gdp.interval.lower == Fraction(17500) and gdp.interval.lower_inclusive
    assert gdp.rule_factor == Fraction(1, 10000)  # 亿元 -> 万亿元 for margins in the rule's unit
    assert energy.interval.upper == Fraction(47, 100) and not energy.interval.upper_inclusive
    assert water.indicator.name == "工业废水达标排放率" and water.years == (2015,)


def test_unknown_indicator_suggests(catalogue: resolve.Catalogue) -> None:
    with pytest.raises(qualityrules.UnknownIndicatorError) as caught:
        resolve.resolve_text(pack("a", "工业废水达标排放 >= 95%"), catalogue=catalogue, source="a.qr")
    d = caught.value.diagnostic
    assert d.code == "QR101" and d.suggestion is not None and "工业废水达标排放率" in d.suggestion
    assert (d.file, d.line, d.column) == ("a.qr", 8, 9)


def test_unit_mismatch_is_an_error(catalogue: resolve.Catalogue) -> None:
    with pytest.raises(qualityrules.UnitError) as caught:
        resolve.resolve_text(pack("a", "名牌产品 >= 30万元"), catalogue=catalogue)
    assert caught.value.code == "QR102" and caught.value.suggestion == "write the target in 个"


def test_points_change_needs_a_share(catalogue: resolve.Catalogue) -> None:
    with pytest.raises(qualityrules.UnitError) as caught:
        resolve.resolve_text(pack("a", "GDP 较2010年提高5个百分点"), catalogue=catalogue)
    assert caught.value.code == "QR113"
    ok = resolve.resolve_text(pack("a", "工业废水达标排放率 较2010年提高5个百分点"), catalogue=catalogue)
    assert ok.rules[0].measure is resolve.Measure.POINT_CHANGE and ok.rules[0].interval.lower == 5


def test_every_year_and_cumulative_years(catalogue: resolve.Catalogue) -> None:
    p = resolve.resolve_text(pack("a", "工业废水达标排放率 每年 >= 95%\n名牌产品 累计 30个以上\n名牌产品 到2013年 >= 5个"),
                             catalogue=catalogue)
    assert [r.years for r in p.rules] == [(2011, 2012, 2013, 2014, 2015)] * 2 + [(2013,)]
    assert [r.kind for r in p.rules] == ["every-year", "cumulative", "target-year"]


def test_approximately_uses_stated_or_default_tolerance(catalogue: resolve.Catalogue) -> None:
    p = resolve.resolve_text(pack("a", "名牌产品 10个左右 ±2个\n名牌产品 到2014年 约20个"), catalogue=catalogue)
    stated, default = p.rules
    assert (stated.interval.lower, stated.interval.upper) == (8, 12)  # an explicit ± band: both sides
    # 名牌产品 is better higher: 约20个 is "no fewer than 18", with no ceiling.
    assert (default.interval.lower, default.interval.upper) == (18, None)
    assert [d.code for d in p.diagnostics] == ["QR110"]


def test_inheritance_override_and_looser_check(tmp_path: Path, catalogue: resolve.Catalogue) -> None:
    write(tmp_path, "province", pack("province", "工业废水达标排放率 >= 95%\n名牌产品 >= 10个", level="province",
                                     region="广东省"))
    child = write(tmp_path, "district", pack("district", "override 工业废水达标排放率 >= 98%", extends="province",
                                             level="district", region="龙岗区"))
    p = resolve.load_pack(child, catalogue=catalogue)
    by_indicator = {r.indicator.name: r for r in p.rules}
    assert by_indicator["工业废水达标排放率"].origin == "district"
    assert by_indicator["名牌产品"].origin == "province"
    assert len(p.rules) == 2

    looser = write(tmp_path, "loose", pack("loose", "override 工业废水达标排放率 >= 90%", extends="province"))
    assert codes(looser, catalogue) == ["QR106"]
    justified = write(tmp_path, "justified", pack(
        "justified", 'override 工业废水达标排放率 >= 90% because "工业结构不同"', extends="province"))
    assert codes(justified, catalogue) == []
    silent = write(tmp_path, "silent", pack("silent", "工业废水达标排放率 >= 98%", extends="province"))
    with pytest.raises(qualityrules.PackError) as caught:
        resolve.load_pack(silent, catalogue=catalogue)
    assert caught.value.code == "QR105" and "province.qr" in caught.value.diagnostic.message
    orphan = write(tmp_path, "orphan", pack("orphan", "override GDP >= 1亿元", extends="province"))
    assert codes(orphan, catalogue) == ["QR107"]


def test_inheritance_does_not_depend_on_parent_order(tmp_path: Path, catalogue: resolve.Catalogue) -> None:
    write(tmp_path, "p1", pack("p1", "工业废水达标排放率 >= 95%", level="province", region="广东省"))
    write(tmp_path, "p2", pack("p2", "名牌产品 >= 10个\n工业废水达标排放率 到2014年 >= 90%", region="深圳市"))
    a = resolve.load_pack(write(tmp_path, "a", pack("a", "GDP >= 1亿元", extends="p1, p2")), catalogue=catalogue)
    b = resolve.load_pack(write(tmp_path, "b", pack("b", "GDP >= 1亿元", extends="p2, p1")), catalogue=catalogue)
    inherited_a = [(r.origin, r.rule) for r in a.rules if r.origin != "a"]
    inherited_b = [(r.origin, r.rule) for r in b.rules if r.origin != "b"]
    assert inherited_a == inherited_b and len(inherited_a) == 3


def test_diamond_lineage_inherits_each_rule_once(tmp_path: Path, catalogue: resolve.Catalogue) -> None:
    write(tmp_path, "nation", pack("nation", "工业废水达标排放率 >= 90%", level="nation", region="全国"))
    write(tmp_path, "province", pack("province", "名牌产品 >= 10个", extends="nation", level="province", region="广东省"))
    write(tmp_path, "city", pack("city", "GDP >= 1亿元", extends="nation, province"))
    p = resolve.load_pack(tmp_path / "city.qr", catalogue=catalogue)
    assert sorted(r.origin for r in p.rules) == ["city", "nation", "province"]
    assert [x.id for x in p.lineage()] == ["city", "nation", "province"]


def test_cyclic_extends_names_both_locations(tmp_path: Path, catalogue: resolve.Catalogue) -> None:
    write(tmp_path, "a", pack("a", "GDP >= 1亿元", extends="b"))
    write(tmp_path, "b", pack("b", "名牌产品 >= 1个", extends="a"))
    with pytest.raises(qualityrules.PackError) as caught:
        resolve.load_pack(tmp_path / "a.qr", catalogue=catalogue)
    d = caught.value.diagnostic
    assert d.code == "QR104" and "a -> b -> a" in d.message
    assert "a.qr:1" in d.message and "b.qr:1" in d.message
    assert d.line == 1 and d.column is not None


def test_unknown_parent_suggests(tmp_path: Path, catalogue: resolve.Catalogue) -> None:
    write(tmp_path, "province-2015", pack("province-2015", "GDP >= 1亿元", level="province", region="广东省"))
    child = write(tmp_path, "c", pack("c", "名牌产品 >= 1个", extends="provnce-2015"))
    with pytest.raises(qualityrules.PackError) as caught:
        resolve.load_pack(child, catalogue=catalogue)
    d = caught.value.diagnostic
    assert d.code == "QR103" and d.suggestion is not None and "province-2015" in d.suggestion
    assert (d.line, d.column) == (1, 16)


def test_contradiction_recorded_and_conflict_rejected(tmp_path: Path, catalogue: resolve.Catalogue) -> None:
    text = pack("a", '工业废水达标排放率 >= 95% cite "附件 序号8"\n'
                     '工业废水达标排放率 >= 90% unenforced "正文写90%, 执行附件的95%" cite "二(四)"')
    p = resolve.resolve_text(text, catalogue=catalogue)
    assert len(p.rules) == 1 and len(p.recorded) == 1
    assert [(d.code, d.severity) for d in p.diagnostics] == [("QR108", Severity.WARNING)]
    conflict = pack("a", "工业废水达标排放率 >= 95%\n工业废水达标排放率 >= 90%")
    with pytest.raises(qualityrules.PackError) as caught:
        resolve.resolve_text(conflict, catalogue=catalogue)
    assert caught.value.code == "QR109"


def test_stricter_by_direction(catalogue: resolve.Catalogue) -> None:
    p = resolve.resolve_text(pack("a", "工业废水达标排放率 >= 95%\n工业废水达标排放率 到2014年 > 95%\n"
                                       "万元GDP能耗 到2013年 <= 0.5吨标准煤/万元\n万元GDP能耗 到2012年 <= 0.4吨标准煤/万元\n"
                                       "名牌产品 到2011年 10-20个\n名牌产品 到2012年 12-15个"), catalogue=catalogue)
    ge, gt, le5, le4, wide, narrow = p.rules
    assert resolve.stricter(gt, ge) == 1 and resolve.stricter(ge, gt) == -1
    assert resolve.stricter(le4, le5) == 1 and resolve.stricter(le5, le4) == -1
    assert resolve.stricter(narrow, wide) == 1 and resolve.stricter(ge, ge) == 0


def test_missing_metadata(catalogue: resolve.Catalogue) -> None:
    with pytest.raises(qualityrules.PackError) as caught:
        resolve.resolve_text("pack a {\n    section s {\n        GDP >= 1亿元\n    }\n}\n", catalogue=catalogue)
    assert {d.code for d in caught.value.diagnostics} == {"QR115"}


def test_catalogue_duplicates_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.qr"
    path.write_text("indicator a {\n    unit %\n    alias b\n}\nindicator b {\n    unit %\n}\n", encoding="utf-8")
    with pytest.raises(qualityrules.PackError) as caught:
        resolve.load_catalogue([path])
    assert caught.value.code == "QR112" and caught.value.diagnostic.line == 5


def test_unreadable_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.qr"
    bad.write_bytes("pack 质量".encode("gb18030"))
    assert [d.code for d in qualityrules.lint(bad)] == ["QR202"]
    assert [d.code for d in qualityrules.lint(tmp_path / "missing.qr")] == ["QR201"]


def test_own_target_looser_than_an_inherited_one_in_the_same_year_warns(tmp_path: Path,
                                                                          catalogue: resolve.Catalogue) -> None:
    write(tmp_path, "province", pack("province", "工业废水达标排放率 每年 >= 95%", level="province", region="广东省"))
    child = write(tmp_path, "c", pack("c", "工业废水达标排放率 到2013年 >= 90%", extends="province", region="龙岗区",
                                      level="district"))
    p = resolve.load_pack(child, catalogue=catalogue)
    assert [d.code for d in p.diagnostics] == ["QR117"]
    assert "2013" in p.diagnostics[0].message and len(p.rules) == 2  # both stay in force
    stricter_child = write(tmp_path, "d", pack("d", "工业废水达标排放率 到2013年 >= 97%", extends="province",
                                               region="龙岗区", level="district"))
    assert resolve.load_pack(stricter_child, catalogue=catalogue).diagnostics == ()


def test_override_admitting_values_outside_the_parent_is_looser(tmp_path: Path,
                                                                 catalogue: resolve.Catalogue) -> None:
    write(tmp_path, "province", pack("province", "工业废水达标排放率 90%-99%", level="province", region="广东省"))
    child = write(tmp_path, "c", pack("c", "override 工业废水达标排放率 95%-100%", extends="province"))
    assert codes(child, catalogue) == ["QR106"]  # narrower at the bottom, but lets 100% through


def test_totals_and_ranks_stay_with_their_region_rates_flow_down() -> None:
    district = qualityrules.load_pack("longgang-2015")
    by_name = {(r.indicator.name, r.origin): r for r in district.rules}
    assert by_name[("中国名牌产品总数全国排名", "guangdong-2015")].regions == ("广东省",)       # a rank
    assert by_name[("获得质量管理体系认证的规模以上工业企业", "guangdong-2015")].regions == ("广东省",)  # a total
    rate = by_name[("大中型工程项目一次性验收合格率", "guangdong-2015")]
    assert set(rate.regions) == {"广东省", "龙岗区"}
