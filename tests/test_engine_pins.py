"""Behaviours of the engine that mutation testing found unpinned (a mutant survived every other
test): each test fails when the behaviour changes. See tools/mutate_engine.py."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

import qualityrules
from qualityrules.engine.evaluation import run
from qualityrules.engine.plan import compile_pack
from qualityrules.language.parse import parse_text
from qualityrules.packs import resolve
from qualityrules.records.scan import Limbs, _window_sums
from qualityrules.tables.observations import load

CATALOGUE = """
indicator 甲率 {
    unit %
    direction higher
}
indicator 乙率 {
    unit %
    direction higher
}
indicator 丙量 {
    unit 万元
    direction higher
}
"""


def _catalogue() -> resolve.Catalogue:
    rule_file, _ = parse_text(CATALOGUE)
    catalogue, problems = resolve.Catalogue.build(rule_file.indicators)
    assert not problems
    return catalogue


def _pack(body: str, head: str = "    period 2011..2015\n    target 2015\n") -> resolve.Pack:
    # the regions of the data are the pack's scope: every target, totals too, binds each of them
    # (the pins are about the engine's arithmetic; which regions a target binds is test_applicability's)
    return resolve.resolve_text("pack t-2015 {\n    region 全区\n    scope 甲, 乙, 丙, 丁\n    level district\n" + head
                                + "    section s {\n" + body + "\n    }\n}\n", catalogue=_catalogue())


def _report(pack: resolve.Pack, data: dict[str, Any]) -> Any:
    return qualityrules.evaluate(pack, data)


def test_one_change_indicator_wholly_absent_while_another_is_present() -> None:
    """Two change atoms in one compound step: the absent indicator's atom must read nothing
    (unknown, value NaN), not another column (a wrong value) or 0 (a fail)."""
    pack = _pack("        到2015年 甲率 较2011年提高10%\n        到2015年 乙率 较2011年提高10%\n"
                 "        累计 丙量 达到100万元")
    data = {"region": ["甲", "甲"], "year": [2011, 2015], "乙率": [50.0, 55.0]}
    report = _report(pack, data)
    rows = {r["indicator"]: r for r in report.results()}
    assert rows["甲率"]["verdict"] == "unknown" and rows["甲率"]["value"] is None
    assert rows["乙率"]["verdict"] == "pass" and rows["乙率"]["value"] == 10.0
    assert rows["丙量"]["verdict"] == "unknown"
    ev = report.evaluation
    column = [k for k, atom in enumerate(ev.atoms.tolist())
              if ev.plan.rules[ev.plan.atom_rule[atom]].indicator.name == "甲率"][0]
    assert math.isnan(ev.x_lo[0, column]) and bool(ev.unknown[0, column]) and not bool(ev.passed[0, column])


def test_censored_values_in_a_sum_keep_their_open_and_closed_ends() -> None:
    pack = _pack("        累计 丙量 达到100万元")
    data = {"region": ["甲"] * 5 + ["乙"] * 5 + ["丙"] * 5, "year": list(range(2011, 2016)) * 3,
            "丙量": ["20", "20", "20", "20", "≥20", "20", "20", "20", "20", ">19", "20", "20", "20", "20", "<20"]}
    report = _report(pack, data)
    rows = {r["region"]: r for r in report.results()}
    assert rows["甲"]["verdict"] == "pass" and rows["甲"]["censored"] == "≥" and rows["甲"]["value"] == 100.0
    assert rows["乙"]["verdict"] == "unknown" and rows["乙"]["censored"] == ">" and rows["乙"]["value"] == 99.0
    assert rows["丙"]["verdict"] == "fail" and rows["丙"]["censored"] == "<" and rows["丙"]["value"] == 100.0
    assert rows["丙"]["margin"] is not None


def test_a_censored_value_in_a_change_flips_its_ends_for_a_decrease() -> None:
    pack = _pack("        到2015年 甲率 较2011年下降10%")
    data = {"region": ["甲", "甲", "乙", "乙"], "year": [2011, 2015, 2011, 2015], "甲率": [50.0, "<45", 50.0, ">45"]}
    report = _report(pack, data)
    rows = {r["region"]: r for r in report.results()}
    assert rows["甲"]["verdict"] == "pass" and rows["甲"]["censored"] == ">"      # decrease > 10 %
    assert rows["乙"]["verdict"] == "fail" and rows["乙"]["censored"] == "<"


def test_sums_of_unequal_length_pad_with_nothing() -> None:
    """A one-year change and a five-year sum in one compound step: the change must not read the
    padding years (here censored, which would make it unknown)."""
    pack = _pack("        到2015年 甲率 较2011年提高10%\n        累计 丙量 达到100万元")
    data = {"region": ["甲"] * 5, "year": list(range(2011, 2016)),
            "甲率": [50.0, "<1", "<1", "<1", 55.0], "丙量": [20, 20, 20, 20, 20]}
    report = _report(pack, data)
    rows = {r["indicator"]: r["verdict"] for r in report.results()}
    assert rows == {"甲率": "pass", "丙量": "pass"}


def test_a_target_year_before_the_period_end_is_where_plain_rules_are_checked() -> None:
    pack = _pack("        甲率 >= 90%", head="    period 2011..2015\n    target 2013\n")
    assert pack.rules[0].years == (2013,)
    report = _report(pack, {"region": ["甲", "甲"], "year": [2013, 2015], "甲率": [95, 50]})
    assert [(r["year"], r["verdict"]) for r in report.results()] == [(2013, "pass")]


def test_a_pack_without_a_target_year_checks_plain_rules_in_the_period_end() -> None:
    pack = _pack("        甲率 >= 90%", head="    period 2011..2015\n")
    assert pack.rules[0].years == (2015,)
    report = _report(pack, {"region": ["甲", "甲"], "year": [2013, 2015], "甲率": [95, 50]})
    assert [(r["year"], r["verdict"]) for r in report.results()] == [(2015, "fail")]


def test_a_level_and_a_change_target_cannot_be_ordered_and_both_bind(tmp_path: Any) -> None:
    (tmp_path / "p-2015.qr").write_text("pack p-2015 {\n    region 全市\n    level city\n    period 2011..2015\n"
                                        "    target 2015\n    section s {\n        每年 甲率 >= 90%\n    }\n}\n",
                                        encoding="utf-8")
    pack = resolve.resolve_text("pack c-2015 extends p-2015 {\n    region 全区\n    level district\n"
                                "    period 2011..2015\n    target 2015\n    section s {\n"
                                "        到2015年 甲率 较2011年提高10%\n    }\n}\n", search=(tmp_path,), catalogue=_catalogue())
    level = next(r for r in pack.rules if r.measure is resolve.Measure.VALUE)
    change = next(r for r in pack.rules if r.measure is not resolve.Measure.VALUE)
    assert resolve.stricter(level, change) is None and resolve.stricter(change, level) is None
    plan = compile_pack(pack)
    assert not len(plan.stricter)   # neither is stricter: both bind
    report = _report(pack, {"region": ["全区", "全区"], "year": [2011, 2015], "甲率": [80.0, 91.0]})
    in_2015 = [r for r in report.results() if r["year"] == 2015]
    assert sorted((r["measure"], r["verdict"], r["binding"]) for r in in_2015) == \
        [("relative-change", "pass", True), ("value", "pass", True)]


def test_exact_sums_carry_into_a_new_top_limb() -> None:
    """Sums of large magnitudes overflow the top 32-bit limb: the carry makes a new one."""
    values = [2.0 ** 62, 2.0 ** 62, 2.0 ** 62, 3.0, 2.0 ** 62 - 2.0 ** 10]
    acc = Limbs((1,))
    for _ in range(64):
        _window_sums(np.zeros(len(values), np.intp), np.array(values), 1, acc)
    numbers, exponent = acc.exact()
    assert Fraction(numbers[0]) * Fraction(2) ** exponent == 64 * sum(map(Fraction, values))
    assert numbers[0] * 2 ** exponent >= 2 ** 70            # beyond two 32-bit limbs: carried upwards
    records = {"district": ["龙岗区"] * 4, "sample_date": ["2015-01-01"] * 4,
               "volume": [9.0e18, 9.0e18, 9.0e18, 1.0], "compliant": [True, True, False, True]}
    table = qualityrules.compute_indicators("longgang-2015", {"wastewater": records})
    value = table.get("工业废水达标排放率", "龙岗区", 2015)
    assert value == float(Fraction(100) * (Fraction(18 * 10 ** 18) + 1) / (Fraction(27 * 10 ** 18) + 1))


def test_explain_shows_the_baseline_year_and_the_change_arithmetic() -> None:
    pack = _pack("        到2015年 甲率 较2011年下降10%")
    report = _report(pack, {"region": ["甲", "甲"], "year": [2011, 2015], "甲率": [50.0, 45.0]})
    lines = report.explain("甲", 2015, "甲率").splitlines()
    assert lines[0] == "甲 2015 甲率: PASS  (binding, district target of t-2015)"
    assert lines[3] == "  data:     甲率 2011 (baseline) = 50 %"
    assert lines[4] == "            甲率 2015 = 45 %"
    assert lines[6] == ("  check:    decrease = (50 − 45) / 50 × 100 = 10 %; 10 % against decrease vs 2011 ≥ 10 %; "
                        "margin 0 % (0%) → pass")
    points = _pack("        到2015年 甲率 较2011年提高5个百分点")
    text = _report(points, {"region": ["甲", "甲"], "year": [2011, 2015], "甲率": [50.0, 54.0]}).explain("甲", 2015, "甲率")
    assert "increase = 54 − 50 = 4 百分点; 4 百分点 against increase vs 2011 ≥ 5 百分点; margin -1 百分点" in text


def test_the_engine_never_writes_into_the_observations() -> None:
    pack = _pack("        甲率 >= 90%\n        到2015年 乙率 较2011年提高10%")
    obs = load({"region": ["甲", "甲"], "year": [2011, 2015], "甲率": [90.0, 90.0], "乙率": [50.0, 55.0]},
               pack.catalogue)
    before = obs.lo.copy()
    run(compile_pack(pack), obs)
    assert np.array_equal(before, obs.lo)


def test_round_then_compare_on_censored_values_of_a_decrease() -> None:
    """A decrease flips a censored value's ends; the end rounded exactly near a half must be the
    flipped one: ≤90.5 from 100 is a decrease of at least 9.5, which rounds (half to even) to 10."""
    pack = _pack("        到2015年 甲率 较2011年下降10%",
                 head="    period 2011..2015\n    target 2015\n    rounding 1 修约值比较法\n")
    regions = ["甲", "乙", "丙", "丁"]
    data = {"region": [r for r in regions for _ in (0, 1)], "year": [2011, 2015] * 4,
            "甲率": [100, "≤90.5", 100, "<90.5", 100, "≥90.5", 100, "≤91.5"]}
    report = _report(pack, data)
    assert [report.verdict(r, 2015, "甲率") for r in regions] == ["pass", "pass", "unknown", "unknown"]


def test_round_then_compare_is_exact_where_the_float_quotient_misses_the_half() -> None:
    """0.15 / 0.1 is 1.4999999999999998 in floats; 0.15 is exactly half way, and half to even
    rounds it to 0.2 (and 0.25 to 0.2, 0.35 to 0.4)."""
    pack = _pack("        甲率 >= 0.2%\n        乙率 >= 0.4%", head="    target 2015\n    rounding 0.1 修约值比较法\n")
    assert 0.15 / 0.1 != 1.5
    report = _report(pack, {"region": ["甲", "乙", "丙"], "year": [2015] * 3,
                            "甲率": [0.15, 0.25, 0.1499999], "乙率": [0.35, 0.45, 0.3500001]})
    assert [report.verdict(r, 2015, "甲率") for r in ("甲", "乙", "丙")] == ["pass", "pass", "fail"]
    assert [report.verdict(r, 2015, "乙率") for r in ("甲", "乙", "丙")] == ["pass", "pass", "pass"]
    values = {(row["region"], row["indicator"]): row["value"] for row in report.results()}
    assert values[("甲", "甲率")] == 0.2 and values[("乙", "乙率")] == 0.4 and values[("丙", "甲率")] == 0.1
