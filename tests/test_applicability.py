"""One applicability rule (qualityrules.packs.applicability): a pack answers for its region, its
scope and the regions below them; there totals bind only the regions their pack names and rates
flow down; a region outside is not-applicable with a report warning; a target binds while the
pack applied and its own pack are in force. evaluate, binding, compare, explain and verdict agree
on every shipped pack x region x year x indicator."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import qualityrules
from qualityrules.errors import DataError, UsageError
from qualityrules.packs.applicability import binds, packs_in_force, regions_bound
from qualityrules.packs.regions import Hierarchy, as_hierarchy, shipped_hierarchy

CERTIFIED = "获得质量管理体系认证的规模以上工业企业"   # a count: 广东省 3万家, 龙岗区 700家
WASTEWATER = "工业废水达标排放率"                       # a share: 广东省 and 龙岗区 95%


def targets_of(report: qualityrules.Report, region: str, indicator: str) -> dict[str, str]:
    """origin pack -> verdict of the targets on ``indicator`` for ``region``."""
    return {row["origin"]: row["verdict"] for row in report.targets()
            if row["region"] == region and row["indicator"] == indicator}


# ------------------------------------------------------------------------------------------
# The wrong answers of issue 9, each with the right one


def test_a_district_total_is_not_checked_on_another_district() -> None:
    report = qualityrules.evaluate("longgang-2015", {"region": ["福田区"], "year": [2015], CERTIFIED: [500]})
    assert targets_of(report, "福田区", CERTIFIED) == {"longgang-2015": "not-applicable",
                                                       "guangdong-2015": "not-applicable"}
    assert report.summary()["fail"] == 0 and report.exit_code() == 0
    [warning] = report.warnings
    assert warning.code == "QR240" and warning.message.endswith(": 福田区")


def test_a_city_total_is_not_a_district_target_but_its_rates_are() -> None:
    data = {"region": ["龙岗区", "深圳市"], "year": [2020, 2020], "GDP": [5000, 27000],
            "研发经费支出占GDP比重": [4.0, 4.3]}
    report = qualityrules.evaluate("shenzhen-2020", data)
    assert report.verdict("龙岗区", 2020, "GDP") == "not-applicable"
    assert report.verdict("深圳市", 2020, "GDP") == "pass"                      # 2.7万亿 ≥ 2.6万亿
    assert report.verdict("龙岗区", 2020, "研发经费支出占GDP比重") == "fail"        # 4.0 < 4.25: the rate flows down
    assert report.verdict("深圳市", 2020, "研发经费支出占GDP比重") == "pass"
    assert report.warnings == ()                                                # 龙岗区 is part of 深圳市


def test_a_province_total_is_not_a_city_target() -> None:
    data = {"region": ["广东省", "深圳市"], "year": [2015, 2015], CERTIFIED: [31000, 20000]}
    report = qualityrules.evaluate("guangdong-2015", data)
    assert report.verdict("广东省", 2015, CERTIFIED) == "pass"
    assert report.verdict("深圳市", 2015, CERTIFIED) == "not-applicable"


def test_binding_and_evaluate_agree_on_a_region_outside_the_pack() -> None:
    report = qualityrules.evaluate("longgang-2015", {"region": ["福田区"], "year": [2015], WASTEWATER: [90]})
    assert report.verdict("福田区", 2015, WASTEWATER) == "not-applicable"
    assert qualityrules.binding("longgang-2015", WASTEWATER, 2015, region="福田区") is None
    assert "福田区 is not 龙岗区 or part of it" in report.explain("福田区", 2015, WASTEWATER)


def test_verdict_answers_for_the_target_that_binds() -> None:
    report = qualityrules.evaluate("longgang-2015", "examples/demo/longgang-2011-2015.csv")
    assert report.verdict("龙岗区", 2015, "地理标志保护产品") == "warn"   # the table says warn
    rows = report.verdicts("龙岗区", 2015, "地理标志保护产品")
    assert [(row["origin"], row["verdict"], row["binding"]) for row in rows] == [
        ("longgang-2015", "warn", True), ("guangdong-2015", "not-applicable", False)]
    explained = report.explain("龙岗区", 2015, "地理标志保护产品")
    assert explained.startswith("龙岗区 2015 地理标志保护产品: WARN") and "1 other target(s)" in explained
    assert report.explain("龙岗区", 2015, "地理标志保护产品", others=True).count("地理标志保护产品: ") == 2


# ------------------------------------------------------------------------------------------
# Regions: the hierarchy, streets, scope, a user's hierarchy


def test_streets_of_the_district_get_its_rates_not_its_totals() -> None:
    data = {"region": ["龙岗区", "横岗街道"], "year": [2015, 2015], CERTIFIED: [710, 120], WASTEWATER: [96, 93]}
    report = qualityrules.evaluate("longgang-2015", data)
    assert report.verdict("横岗街道", 2015, CERTIFIED) == "not-applicable"
    assert report.verdict("横岗街道", 2015, WASTEWATER) == "fail"
    assert report.verdict("龙岗区", 2015, CERTIFIED) == "pass"
    assert report.warnings == ()


def test_a_users_hierarchy_places_regions_the_shipped_one_does_not_know() -> None:
    data = {"region": ["龙岗区", "龙城站"], "year": [2015, 2015], WASTEWATER: [96, 90]}
    alone = qualityrules.evaluate("longgang-2015", data)
    assert alone.verdict("龙城站", 2015, WASTEWATER) == "not-applicable" and alone.warnings[0].code == "QR240"
    placed = qualityrules.evaluate("longgang-2015", data, hierarchy={"龙城站": "龙城街道"})
    assert placed.verdict("龙城站", 2015, WASTEWATER) == "fail" and placed.warnings == ()
    assert qualityrules.binding("longgang-2015", WASTEWATER, 2015, region="龙城站",
                                hierarchy={"龙城站": "龙城街道"}) is not None


def test_no_parent_in_a_mapping_is_no_parent_as_in_rows() -> None:
    """``{"龙城站": None}`` (or NaN, a pandas column's empty cell, or blank text) gives 龙城站 no
    parent, as a row's empty cell does; it was a parent region named 'None' or 'nan'."""
    for empty in (None, float("nan"), " ", ""):
        tree = Hierarchy({"龙城站": empty, "龙城街道": "龙岗区", empty if isinstance(empty, str) else "": "龙岗区"})
        assert tree.ancestors("龙城站") == [] and "None" not in tree.parent.values() and "nan" not in tree.parent.values()
        assert tree.parent == {"龙城街道": "龙岗区"}
        assert Hierarchy([("龙城站", empty, "龙城街道")]).ancestors("龙城站") == ["龙城街道"]


def test_a_hierarchy_file_is_read_like_the_command_reads_it(tmp_path: Any) -> None:
    tree = tmp_path / "stations.csv"
    tree.write_text("station,street\n龙城站,龙城街道\n", encoding="utf-8")
    data = {"region": ["龙城站"], "year": [2015], WASTEWATER: [90]}
    assert qualityrules.evaluate("longgang-2015", data, hierarchy=tree).verdict("龙城站", 2015, WASTEWATER) == "fail"
    assert qualityrules.evaluate("longgang-2015", data, hierarchy=str(tree)).warnings == ()


def test_a_users_hierarchy_wins_where_it_differs() -> None:
    tree = as_hierarchy({"龙岗区": "东莞市"})   # counterfactual, to see whose word counts
    assert tree.ancestors("横岗街道") == ["龙岗区", "东莞市", "广东省", "全国"]
    assert as_hierarchy(tree) is tree   # laid over the shipped one once


def test_the_shipped_hierarchy() -> None:
    tree = shipped_hierarchy()
    assert tree.ancestors("横岗街道") == ["龙岗区", "深圳市", "广东省", "全国"]
    assert len([r for r, p in tree.parent.items() if p == "全国"]) == 31
    assert len([r for r, p in tree.parent.items() if p == "广东省"]) == 21
    assert tree.within(["深圳市"]) >= {"深圳市", "福田区", "龙岗区", "横岗街道"}
    assert "广州市" not in tree.within(["深圳市"])


def test_scope_makes_a_total_bind_each_region_it_names() -> None:
    pack = qualityrules.parse_pack(
        "pack s-2015 {\n    region 深圳市\n    level city\n    period 2011..2015\n    target 2015\n"
        "    scope 福田区, 南山区\n    section s {\n        " + CERTIFIED + " 达到100家\n    }\n}\n")
    bound = regions_bound(pack, ["深圳市", "福田区", "南山区", "罗湖区", "广州市"])
    assert bound.binds[:, 0].tolist() == [True, True, True, False, False]
    assert bound.inside.tolist() == [True, True, True, True, False] and bound.outside == ("广州市",)


def test_traditional_script_and_full_width_region_names_are_the_same_region() -> None:
    report = qualityrules.evaluate("longgang-2015", {"region": ["龍崗區"], "year": [2015], WASTEWATER: [90]})
    assert report.verdict("龙岗区", 2015, WASTEWATER) == "fail" and report.warnings == ()


def test_a_misspelt_region_is_outside_with_a_warning_and_an_error_for_binding() -> None:
    report = qualityrules.evaluate("longgang-2015", {"region": ["龙冈区"], "year": [2015], WASTEWATER: [90]})
    assert report.verdict("龙冈区", 2015, WASTEWATER) == "not-applicable"
    assert report.warnings[0].code == "QR240" and not report.failed
    with pytest.raises(UsageError) as raised:
        qualityrules.binding("longgang-2015", WASTEWATER, 2015, region="龙冈区")
    assert raised.value.code == "QR301" and "龙岗区" in (raised.value.suggestion or "")


def test_a_hierarchy_with_a_cycle_or_two_parents_is_refused() -> None:
    with pytest.raises(DataError) as cycle:
        qualityrules.evaluate("longgang-2015", {"region": ["龙岗区"], "year": [2015]}, hierarchy={"深圳市": "龙岗区"})
    assert cycle.value.code == "QR208" and "cycle" in str(cycle.value)
    with pytest.raises(DataError):
        Hierarchy([("甲", "乙"), ("甲", "丙")])


# ------------------------------------------------------------------------------------------
# Years and packs in force


def test_a_pack_does_not_bind_after_its_period() -> None:
    report = qualityrules.evaluate("shenzhen-2016", {"region": ["深圳市"], "year": [2020], "GDP": [30000]})
    assert "GDP" not in {row["indicator"] for row in report.targets() if row["verdict"] != "not-applicable"}
    with pytest.raises(UsageError) as raised:
        qualityrules.evaluate("shenzhen-2016", {"region": ["深圳市"], "year": [2020], "GDP": [30000]}, year=2020)
    assert raised.value.suggestion == "years with targets: 2016"
    assert qualityrules.binding("shenzhen-2016", "GDP", 2020) is None
    assert qualityrules.binding("shenzhen-2020", "GDP", 2020) is not None


def test_an_inherited_every_year_target_binds_only_in_the_childs_years() -> None:
    parent = ("pack wide-2020 {\n    region 深圳市\n    level city\n    period 2011..2020\n    target 2020\n"
              "    section s {\n        每年 " + WASTEWATER + " 达到90%以上\n    }\n}\n")
    child = ("pack narrow-2015 extends wide-2020 {\n    region 龙岗区\n    level district\n    period 2011..2015\n"
             "    target 2015\n    section s {\n        " + CERTIFIED + " 达到10家\n    }\n}\n")

    def load(tmp: Any) -> qualityrules.Pack:
        (tmp / "wide-2020.qr").write_text(parent, encoding="utf-8")
        return qualityrules.parse_pack(child, search=(tmp,))

    import tempfile
    from pathlib import Path

    pack = load(Path(tempfile.mkdtemp()))
    rule = next(r for r in pack.rules if r.indicator.name == WASTEWATER)
    assert [y for y in range(2011, 2021) if binds(pack, rule, "龙岗区", y)] == list(range(2011, 2016))
    report = qualityrules.evaluate(pack, {"region": ["龙岗区"] * 2, "year": [2015, 2018], WASTEWATER: [91, 80]})
    assert report.verdict("龙岗区", 2015, WASTEWATER) == "pass"
    assert [row["verdict"] for row in report.results() if row["year"] == 2018] == ["not-applicable"]
    with pytest.raises(UsageError) as raised:   # narrow-2015 ended in 2015: nothing is checked in 2018
        report.verdict("龙岗区", 2018, WASTEWATER)
    assert raised.value.suggestion == "years checked: 2011, 2012, 2013, 2014, 2015"
    assert not report.failed


@pytest.mark.parametrize(("region", "year", "expected"), [
    ("深圳市", 2016, ["shenzhen-2016"]),      # both cover 2016; shenzhen-2016 extends shenzhen-2020
    ("深圳市", 2017, ["shenzhen-2020"]),
    ("龙岗区", 2016, ["shenzhen-2016"]),      # a district inside the city
    ("龙岗区", 2015, ["longgang-2015"]),      # longgang-2015 extends guangdong-2015 extends nation-2020
    ("深圳市", 2015, ["guangdong-2015"]),     # no city pack of 2015 is shipped
    ("福田区", 2015, ["guangdong-2015"]),
    ("深圳市", 2009, ["shenzhen-2010"]),
    ("广东省", 2018, ["nation-2020"]),
    ("广州市", 2025, []),
])
def test_packs_in_force(region: str, year: int, expected: list[str]) -> None:
    assert [p.id for p in packs_in_force(region, year)] == expected
    assert [p.id for p in qualityrules.packs_in_force(region, year)] == expected


def test_packs_in_force_side_by_side_when_neither_extends_the_other() -> None:
    found = [p.id for p in packs_in_force("深圳市", 2015, ["guangdong-2015", "nation-2020", "shenzhen-2010"])]
    assert found == ["guangdong-2015"]   # it extends nation-2020; shenzhen-2010 ended in 2010
    assert [p.id for p in packs_in_force("广东省", 2015, ["nation-2020"])] == ["nation-2020"]


# ------------------------------------------------------------------------------------------
# Every shipped pack x region x year x indicator: binding, evaluate and verdict agree


REGIONS = ["全国", "广东省", "深圳市", "龙岗区", "福田区", "横岗街道", "广州市"]


@pytest.mark.slow
@pytest.mark.parametrize("pack_id", qualityrules.shipped_packs())
def test_binding_and_evaluate_agree_everywhere(pack_id: str) -> None:
    pack = qualityrules.load_pack(pack_id)
    indicators = sorted({rule.indicator.name for rule in pack.rules})
    years = sorted({y for rule in pack.rules for y in rule.years} | {r.baseline for r in pack.rules if r.baseline})
    years = list(range(years[0] - 1, years[-1] + 2))
    rows = [(region, year, name) for region in REGIONS for year in years for name in indicators]
    data = {"region": [r[0] for r in rows], "year": [r[1] for r in rows], "indicator": [r[2] for r in rows],
            "value": [50.0] * len(rows)}
    report = qualityrules.evaluate(pack, data)
    checked = {row["year"] for row in report.results() if row["verdict"] != "not-applicable"}
    compared = 0
    for region in REGIONS:
        for year in years:
            for name in indicators:
                found = qualityrules.binding(pack, name, year, region=region)
                if year not in report._report_years:
                    assert found is None, (region, year, name)
                    continue
                verdicts = report.verdicts(region, year, name)
                chosen = [row for row in verdicts if row["binding"]]
                if found is None:
                    assert report.verdict(region, year, name) == "not-applicable", (region, year, name)
                    assert chosen == [] and all(row["verdict"] == "not-applicable" for row in verdicts)
                else:
                    assert len(chosen) == 1, (region, year, name)
                    assert (chosen[0]["origin"], chosen[0]["rule"]) == (found.origin, found.rule.text)
                    assert report.verdict(region, year, name) == chosen[0]["verdict"] != "not-applicable"
                    compared += 1
    assert compared > 0 and checked


def test_check_places_regions_with_hierarchy(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from qualityrules.cli import main

    data = tmp_path / "data.csv"
    data.write_text(f"region,year,{WASTEWATER}\n龙城站,2015,90\n", encoding="utf-8")
    tree = tmp_path / "tree.csv"
    tree.write_text("child,parent\n龙城站,龙城街道\n", encoding="utf-8")
    assert main(["check", "longgang-2015", str(data)]) == 0           # outside 龙岗区: nothing checked
    assert "warning[QR240]" in capsys.readouterr().out
    assert main(["check", "longgang-2015", str(data), "--hierarchy", str(tree)]) == 1   # a street's station: 90 < 95
    assert "QR240" not in capsys.readouterr().out


def test_integer_region_codes_are_placed_as_their_names_are() -> None:
    """Codes a user gives as regions are compared as integers (no string per region): the same
    area and the same totals as their names (a code's name is its digits; 012 is not 12)."""
    pack = qualityrules.parse_pack(
        "pack s-2015 {\n    region 深圳市\n    level city\n    period 2011..2015\n    target 2015\n"
        "    scope 福田区, 7\n    section s {\n        " + CERTIFIED + " 达到100家\n        " + WASTEWATER
        + " 达到95%以上\n    }\n}\n")
    tree = {"1": "深圳市", "2": "深圳市", "012": "深圳市"}
    codes = np.array([1, 2, 3, 7, 12, -1], dtype=np.int32)
    by_code = regions_bound(pack, codes, hierarchy=tree)
    by_name = regions_bound(pack, [str(c) for c in codes.tolist()], hierarchy=tree)
    assert by_code.binds.tolist() == by_name.binds.tolist()
    assert by_code.inside.tolist() == [True, True, False, True, False, False]
    assert by_code.binds[:, 0].tolist() == [False, False, False, True, False, False]   # the total: only 7
    assert by_code.outside == ("3", "12", "-1")
    report = qualityrules.evaluate(pack, {"region": codes, "year": [2015] * 6, WASTEWATER: [90.0] * 6}, hierarchy=tree)
    assert [report.verdict(str(c), 2015, WASTEWATER) for c in (1, 7)] == ["fail", "fail"]
    assert report.verdict("3", 2015, WASTEWATER) == "not-applicable"


@pytest.mark.parametrize("codes", [np.array([1, 10 ** 7]), np.array([2 ** 64 - 1, 1], dtype=np.uint64),
                                   np.array([1, -5], dtype=np.int8), np.array([1.0, 3.0])])
def test_sparse_huge_or_small_integer_codes_are_regions_named_by_their_digits(codes: Any) -> None:
    """Codes far apart (not a dense range), beyond int64, in a narrow type or as whole floats:
    each region is named by its digits and placed by the hierarchy (it crashed on sparse codes)."""
    names = [str(int(c)) for c in codes.tolist()]
    report = qualityrules.evaluate("longgang-2015", {"region": codes, "year": [2015, 2015], WASTEWATER: [96.0, 90.0]},
                                   hierarchy={names[0]: "龙岗区"})
    assert report.verdict(names[0], 2015, WASTEWATER) == "pass"
    assert report.verdict(names[1], 2015, WASTEWATER) == "not-applicable"
    assert [w.code for w in report.warnings] == ["QR240"] and names[1] in report.warnings[0].message


def test_the_outside_warning_names_the_nearest_pack_covering_each_region_once() -> None:
    regions = ["福田区", "南山区", "罗湖区", "盐田区", "宝安区", "光明区", "广州市", "北京市", "龙岗区"]
    report = qualityrules.evaluate("longgang-2015", {"region": regions, "year": [2015] * 9, WASTEWATER: [96.0] * 9})
    (warning,) = report.warnings
    assert warning.code == "QR240" and warning.message.startswith("8 region(s)")
    assert warning.suggestion is not None
    assert "guangdong-2015 (广东省) covers 福田区, 南山区, 罗湖区, 盐田区, 宝安区, …; nation-2020 (全国) covers 北京市;" \
        in str(warning.suggestion)          # 光明区 and 广州市 belong to the nearer pack, not to both
    codes = qualityrules.evaluate("longgang-2015", {"region": np.arange(12), "year": [2015] * 12, WASTEWATER: [96.0] * 12})
    assert codes.warnings[0].message.endswith("0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more")


@pytest.mark.parametrize(("text", "where", "said"), [
    (f"region,year,{WASTEWATER}\n龙岗区,2015,96\n龙岗区,2016,97\n", ":1:8:", "the column 'year' is a data table's"),
    (f"地区,{WASTEWATER}\n龙岗区,96.5\n", ":1:4:", f"the column '{WASTEWATER}' is an indicator"),
    ("region,x\n龙城站,龙岗区\n龙岗区,96.5%\n", ":3:5:", "'96.5%' is a measurement, not a region's name"),
    ("地区,2015,2016\n龙岗区,96,97\n", ":1:4:", "the column '2015' is a year"),
    ("region,indicator,value\n龙岗区,达标率,96\n", ":1:8:", "the column 'indicator' is a data table's"),
])
def test_a_data_table_given_as_the_hierarchy_is_refused(tmp_path: Any, capsys: pytest.CaptureFixture[str],
                                                        text: str, where: str, said: str) -> None:
    """A data table given as --hierarchy was read as levels of regions: 龙岗区 → 2015 → 96 (one
    year: silently; two: 'region 2015 has two parents'). Refused at its first sign (QR208)."""
    from qualityrules.cli import main
    from qualityrules.records.hierarchy import Hierarchy as FileHierarchy

    tree = tmp_path / "tree.csv"
    tree.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as raised:
        FileHierarchy.read(tree)
    assert raised.value.code == "QR208"
    rendered = str(raised.value)
    assert f"{tree}{where} error[QR208]" in rendered and "this looks like a data table, not a region hierarchy" in rendered
    assert said in rendered and "columns child,parent" in str(raised.value.diagnostic.suggestion)
    data = tmp_path / "data.csv"
    data.write_text(f"region,year,{WASTEWATER}\n龙岗区,2015,96\n", encoding="utf-8")
    assert main(["check", "longgang-2015", str(data), "--hierarchy", str(tree)]) == 2
    assert "error[QR208]" in capsys.readouterr().err


def test_hierarchies_with_codes_and_names_are_still_read(tmp_path: Any) -> None:
    from qualityrules.records.hierarchy import Hierarchy as FileHierarchy
    from qualityrules.resources import rules_dir

    tree = tmp_path / "tree.csv"
    tree.write_text("child,parent\n440307,440300\n龙城站,龙城街道\n", encoding="utf-8")
    assert FileHierarchy.read(tree).parent == {"440307": "440300", "龙城站": "龙城街道"}
    tree.write_text("station,district,city\n1.1号站,龙岗区,深圳市\n", encoding="utf-8")   # a name with a number in it
    assert FileHierarchy.read(tree).ancestors("1.1号站") == ["龙岗区", "深圳市"]
    assert FileHierarchy.read(rules_dir() / "regions.csv").parent == shipped_hierarchy().parent
