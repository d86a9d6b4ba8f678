"""The strategies keep their promises: compliant data passes every enforced target, violating data
fails its target in 100 % of examples (checked by an independent reference below, in float64 as
a numpy evaluator sees it and exactly for the decimals the values are written as), tables and
records have the promised shape, and bad arguments raise InvalidArgument eagerly."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import qualityrules
from qualityrules import strategies as qst
from qualityrules.engine.exact import rounding_step
from qualityrules.language import model as m
from qualityrules.language.format import format_model
from qualityrules.packs.applicability import binds
from qualityrules.packs.resolve import BoundRule, Interval, Measure

PACK_IDS = qualityrules.shipped_packs()
PACKS = {pack_id: qualityrules.load_pack(pack_id) for pack_id in PACK_IDS}
CATALOGUE = qualityrules.load_catalogue()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------------------
# An independent reference: what a rule says about one region's values


def inside(interval: Interval, value: float, exact: bool) -> bool:
    """float64 comparison against float64 bounds, and (if ``exact``) the same for the decimal
    the value is written as, against the exact bounds."""
    def check(x: Any, lower: Any, upper: Any) -> bool:
        ok = (lower is None or x > lower or (interval.lower_inclusive and x == lower)) and \
             (upper is None or x < upper or (interval.upper_inclusive and x == upper))
        return bool(ok) != interval.excluded

    as_float = check(value, None if interval.lower is None else float(interval.lower),
                     None if interval.upper is None else float(interval.upper))
    if not exact:
        return as_float
    return as_float and check(Fraction(Decimal(repr(value))), interval.lower, interval.upper)


def rounded(rule: BoundRule, value: float | Fraction) -> float:
    """The compared quantity as a declared round-then-compare rounding makes it (GB/T 8170-2008:
    half to even, once, to a multiple of the step; computed here from the exact decimal)."""
    step = rounding_step(rule)
    if step is None:
        return float(value)
    q = (Fraction(Decimal(repr(value))) if isinstance(value, float) else value) / step
    n = math.floor(q)
    if q - n > Fraction(1, 2) or (q - n == Fraction(1, 2) and n % 2):
        n += 1
    return float(n * step)


def outcome(rule: BoundRule, table: pd.DataFrame, region: str) -> bool | None:
    """True pass, False fail, None unknown (a needed value is missing)."""
    rows = table[(table["region"] == region) & (table["indicator"] == rule.indicator.name)]
    values = {int(y): float(v) for y, v in zip(rows["year"], rows["value"], strict=True) if not math.isnan(v)}
    interval = rule.interval
    point = interval.lower is not None and interval.lower == interval.upper
    if any(y not in values for y in rule.years):
        return None
    if rule.measure is not Measure.VALUE:
        assert rule.baseline is not None
        if rule.baseline not in values:
            return None
        target = rule.rule.target
        assert isinstance(target, m.Change)
        sign = 1 if target.direction is m.ChangeDirection.UP else -1
        base = values[rule.baseline]
        results = []
        for year in rule.years:
            change = sign * (values[year] - base)
            if rule.measure is Measure.RELATIVE_CHANGE:
                change = change / base * 100
            if rounding_step(rule) is not None:
                exact_value, exact_base = (Fraction(Decimal(repr(v))) for v in (values[year], base))
                exact_change = sign * (exact_value - exact_base)
                if rule.measure is Measure.RELATIVE_CHANGE:
                    exact_change = exact_change / exact_base * 100
                change = rounded(rule, exact_change)
            results.append(inside(interval, change, exact=False))
        return all(results)
    if rule.kind == "cumulative":
        parts = [values[y] for y in rule.years]
        total = sum(parts)
        exact = sum((Fraction(Decimal(repr(p))) for p in parts), Fraction(0))
        if rounding_step(rule) is not None:
            total = rounded(rule, exact)
            return inside(interval, total, exact=not point)
        ok = inside(interval, total, exact=False) and (point or inside(interval, float(exact), exact=False))
        return ok and inside(interval, math.fsum(parts), exact=False)
    return all(inside(interval, rounded(rule, values[y]), exact=not point) for y in rule.years)


def applies(rule: BoundRule, region: str, pack: qualityrules.Pack) -> bool:
    """The evaluator's rule (qualityrules.packs.applicability) in some year the rule is checked in,
    so the strategies are checked against it."""
    return any(binds(pack, rule, region, year) for year in rule.years)


def regions_of(pack: qualityrules.Pack) -> list[str]:
    return list(dict.fromkeys(r for rule in pack.rules for r in rule.regions)) or [pack.region or "全区"]


def assert_all_pass(pack: qualityrules.Pack, table: pd.DataFrame, skip_indicator: str | None = None) -> None:
    for region in regions_of(pack):
        for rule in pack.rules:
            if rule.enforced and applies(rule, region, pack) and rule.indicator.name != skip_indicator:
                assert outcome(rule, table, region) is True, (region, rule.text)


def violated_rule(pack: qualityrules.Pack, table: pd.DataFrame) -> BoundRule:
    name, kind, years, origin = table.attrs["violated"]
    matches = [r for r in pack.rules if (r.indicator.name, r.kind, r.years, r.origin) == (name, kind, years, origin)]
    assert len(matches) == 1
    return matches[0]


# ------------------------------------------------------------------------------------------
# Compliant and violating data on the shipped packs


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_compliant_data_passes_every_enforced_target(pack_id: str) -> None:
    pack = PACKS[pack_id]

    @SETTINGS
    @given(qst.compliant_data(pack))
    def check(table: pd.DataFrame) -> None:
        assert list(table.columns) == ["region", "year", "indicator", "value"]
        assert not table["value"].isna().any()
        assert_all_pass(pack, table)

    check()


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_violating_data_fails_its_target_every_time(pack_id: str) -> None:
    pack = PACKS[pack_id]

    @SETTINGS
    @given(qst.violating_data(pack))
    def check(table: pd.DataFrame) -> None:
        rule = violated_rule(pack, table)
        for region in regions_of(pack):
            if applies(rule, region, pack):
                assert outcome(rule, table, region) is False, (region, rule.text)
        assert_all_pass(pack, table, skip_indicator=rule.indicator.name)

    check()


@SETTINGS
@given(st.data())
def test_every_target_of_a_shipped_pack_can_be_violated(data: st.DataObject) -> None:
    pack = PACKS[data.draw(st.sampled_from(PACK_IDS))]
    in_force = [r for r in pack.rules if r.enforced and any(applies(r, region, pack) for region in regions_of(pack))]
    rule = data.draw(st.sampled_from(in_force))
    table = data.draw(qst.violating_data(pack, rule=rule))
    assert violated_rule(pack, table) == rule
    assert any(outcome(rule, table, region) is False for region in regions_of(pack) if applies(rule, region, pack))


@SETTINGS
@given(st.data())
def test_generated_packs_get_compliant_and_violating_data(data: st.DataObject) -> None:
    definition = data.draw(qst.packs(parents=data.draw(st.sampled_from([(), ("guangdong-2015",)])), min_rules=1))
    pack = qualityrules.parse_pack(format_model(definition))
    # a target in force somewhere (a child period outside the parent's leaves the inherited ones out)
    assume(any(r.enforced and any(applies(r, region, pack) for region in regions_of(pack)) for r in pack.rules))
    try:
        compliant = data.draw(qst.compliant_data(pack))
    except InvalidArgument:
        # packs() can still combine a cumulative upper bound with yearly lower bounds on one
        # indicator that no value in the strategy's range meets; compliant_data says so (its
        # contract), and such packs are not what this property is about.
        reject()
    assert_all_pass(pack, compliant)
    try:
        table = data.draw(qst.violating_data(pack))
    except InvalidArgument as error:
        # every target in force fails only on implausible data (≥ 0家), or no decimal meets the
        # other targets exactly while one fails (a point target such as == 1亩 in 平方公里)
        assert "can fail" in str(error) or "meets its" in str(error)
        reject()
    rule = violated_rule(pack, table)
    assert all(outcome(rule, table, region) is False for region in regions_of(pack) if applies(rule, region, pack))


def test_violating_data_names_its_rule_by_indicator() -> None:
    pack = PACKS["longgang-2015"]

    @SETTINGS
    @given(qst.violating_data(pack, rule="万元GDP水耗"))
    def check(table: pd.DataFrame) -> None:
        rule = violated_rule(pack, table)
        assert rule.indicator.name == "万元GDP水耗"
        assert outcome(rule, table, "龙岗区") is False

    check()


# ------------------------------------------------------------------------------------------
# The same promises, checked by the evaluator itself


OTHER_REGION = "某街道"   # outside every pack's area: nothing binds it


def verdicts(report: Any, rule: BoundRule) -> set[str]:
    return {row["verdict"] for row in report.targets()
            if row["rule"] == rule.text and row["origin"] == rule.origin and row["kind"] == rule.kind}


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_the_evaluator_passes_compliant_data(pack_id: str) -> None:
    pack = PACKS[pack_id]

    @SETTINGS
    @given(qst.compliant_data(pack, regions=[*regions_of(pack), OTHER_REGION]))
    def check(table: pd.DataFrame) -> None:
        report = qualityrules.evaluate(pack, table)
        bad = [(row["region"], row["rule"], row["verdict"]) for row in report.targets()
               if row["verdict"] not in ("pass", "not-applicable")]
        assert not bad
        assert not report.failed

    check()


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_the_evaluator_fails_violating_data(pack_id: str) -> None:
    pack = PACKS[pack_id]

    @SETTINGS
    @given(qst.violating_data(pack, regions=[*regions_of(pack), OTHER_REGION]))
    def check(table: pd.DataFrame) -> None:
        rule = violated_rule(pack, table)
        report = qualityrules.evaluate(pack, table)
        found = verdicts(report, rule) - {"not-applicable"}
        assert found == {"warn" if rule.strength is m.Strength.ASPIRATION else "fail"}, (rule.text, found)
        others = [row for row in report.targets() if row["indicator"] != rule.indicator.name]
        assert all(row["verdict"] in ("pass", "not-applicable") for row in others)

    check()


@SETTINGS
@given(st.data())
def test_the_evaluator_agrees_on_generated_packs(data: st.DataObject) -> None:
    definition = data.draw(qst.packs(min_rules=1))
    pack = qualityrules.parse_pack(format_model(definition))
    region = [*regions_of(pack), OTHER_REGION]
    try:
        compliant = data.draw(qst.compliant_data(pack, regions=region))
        table = data.draw(qst.violating_data(pack, regions=region))
    except InvalidArgument:
        # packs() may draw targets no plausible data meets (a 累计 share above 100 % a year) or
        # only implausible data fails (a count of at least 0); the strategies say so (their contract)
        reject()
    report = qualityrules.evaluate(pack, compliant)
    assert all(row["verdict"] in ("pass", "not-applicable") for row in report.targets())
    rule = violated_rule(pack, table)
    found = verdicts(qualityrules.evaluate(pack, table), rule) - {"not-applicable"}
    assert found and found <= {"fail", "warn"}


# ------------------------------------------------------------------------------------------
# Indicator tables and records


@SETTINGS
@given(qst.indicator_tables(PACKS["shenzhen-2020"], regions=["甲", "乙"], years=[2019, 2020], missing=True))
def test_indicator_tables_cover_regions_years_and_indicators(table: pd.DataFrame) -> None:
    pack = PACKS["shenzhen-2020"]
    assert set(table["region"]) <= {"甲", "乙"}
    assert set(table["year"]) <= {2019, 2020}
    assert set(table["indicator"]) <= {r.indicator.name for r in pack.rules}
    assert table["value"].dtype == "float64"
    assert not table.duplicated(["region", "year", "indicator"]).any()


@settings(max_examples=30, deadline=None)
@given(qst.indicator_tables(PACKS["longgang-2015"]))
def test_indicator_tables_without_missing_are_complete(table: pd.DataFrame) -> None:
    pack = PACKS["longgang-2015"]
    years = {y for rule in pack.rules for y in (*rule.years, *([rule.baseline] if rule.baseline else []))}
    expected = {(r, y, rule.indicator.name) for rule in pack.rules for y in years for r in ["龙岗区"]}   # its region
    assert set(zip(table["region"], table["year"], table["indicator"], strict=True)) == expected
    assert not table["value"].isna().any()


RECORD_INDICATORS = [i.name for i in CATALOGUE.indicators if i.definition is not None]


@pytest.mark.parametrize("name", RECORD_INDICATORS)
def test_records_have_the_columns_the_definition_reads(name: str) -> None:
    indicator = CATALOGUE.lookup(name)
    assert indicator is not None and indicator.definition is not None
    definition = indicator.definition

    @settings(max_examples=20, deadline=None)
    @given(qst.records(name, regions=["甲区"], years=[2015], min_rows=1))
    def check(frame: pd.DataFrame) -> None:
        assert definition.region_column in frame.columns
        assert set(frame[definition.region_column]) == {"甲区"}
        if definition.date_column is not None:
            assert set(frame[definition.date_column].dt.year) == {2015}
        else:
            assert set(frame[definition.year_column or "year"]) == {2015}
        for column in qst._columns(definition.value):
            assert column in frame.columns

    check()


@pytest.mark.parametrize("name", RECORD_INDICATORS)
def test_records_feed_the_records_engine(name: str) -> None:
    indicator = CATALOGUE.lookup(name)
    assert indicator is not None and indicator.definition is not None
    table_name = indicator.definition.table

    @settings(max_examples=15, deadline=None)
    @given(qst.records(indicator, regions=["甲区", "乙区"], years=[2015, 2016], min_rows=1))
    def check(frame: pd.DataFrame) -> None:
        table = qualityrules.compute_indicators([indicator], {table_name: frame})
        assert int(table.records.sum()) == len(frame)   # every generated record lands in a group

    check()


# ------------------------------------------------------------------------------------------
# Arguments are checked eagerly


BAD_CALLS = [
    lambda: qst.quantities(min_value=5, max_value=1),
    lambda: qst.quantities(units=["furlong"]),
    lambda: qst.quantities(units="%"),
    lambda: qst.quantities(places=12),
    lambda: qst.rules(min_year=2030, max_year=2000),
    lambda: qst.rules(catalogue=CATALOGUE, indicators=["没有这个指标"]),
    lambda: qst.rules(indicators=[]),
    lambda: qst.rules(changes="yes"),
    lambda: qst.packs(min_rules=5, max_rules=2),
    lambda: qst.packs(parents=["no-such-pack"]),
    lambda: qst.packs(parents="guangdong-2015"),
    lambda: qst.compliant_data("longgang-2015"),
    lambda: qst.compliant_data(PACKS["longgang-2015"], regions="龙岗区"),
    lambda: qst.violating_data(PACKS["longgang-2015"], rule="没有这个指标"),
    lambda: qst.indicator_tables(PACKS["longgang-2015"], years=2015),
    lambda: qst.records("万元GDP水耗"),
    lambda: qst.records(CATALOGUE.lookup("PM2.5年均浓度"), max_rows=-1),
    lambda: qst.texts(min_size=3, max_size=2),
]


@pytest.mark.parametrize("call", BAD_CALLS)
def test_bad_arguments_raise_invalid_argument_at_once(call: Any) -> None:
    with pytest.raises(InvalidArgument):
        call()


def test_contradictory_targets_are_reported_eagerly() -> None:
    pack = qualityrules.parse_pack(
        'pack gen-contradiction {\n    region 甲区\n    level district\n    period 2011..2015\n'
        '    section 环境 {\n        每年 工业废水达标排放率 >= 95%\n        到2015年 工业废水达标排放率 <= 90%\n    }\n}\n')
    with pytest.raises(InvalidArgument, match="工业废水达标排放率"):
        qst.compliant_data(pack)


def test_importing_qualityrules_does_not_import_the_strategies() -> None:
    import subprocess
    import sys

    code = "import sys, qualityrules; print('hypothesis' in sys.modules, 'qualityrules.strategies' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_a_point_target_no_decimal_meets_gets_no_compliant_data() -> None:
    """== 1亩 on an indicator in 平方公里 is 1/1500 km², which no decimal (so no value a table
    holds) equals: compliant_data refuses rather than draw 0.000667, which the engine fails."""
    pack = qualityrules.parse_pack("pack aa-0 {\n    region 0\n    level nation\n    period 2000..2000\n    section s {\n"
                                   "        前海桂湾综合商务先导区面积 == 1亩\n    }\n}\n")

    @settings(max_examples=5, deadline=None)
    @given(qst.compliant_data(pack, regions=["0"]))
    def draw(table: pd.DataFrame) -> None:
        raise AssertionError(f"drew {table.to_dict('records')}")

    with pytest.raises(InvalidArgument, match="no float64 value of 前海桂湾综合商务先导区面积 in 2000 meets its targets"):
        draw()
    exact = qualityrules.parse_pack("pack aa-0 {\n    region 0\n    level nation\n    period 2000..2000\n    section s {\n"
                                    "        前海桂湾综合商务先导区面积 == 15亩\n    }\n}\n")    # 0.01 km²: a decimal meets it

    @settings(max_examples=5, deadline=None)
    @given(qst.compliant_data(exact, regions=["0"]))
    def meets(table: pd.DataFrame) -> None:
        assert_all_pass(exact, table)

    meets()


def test_violating_data_for_a_yearly_rate_no_decimal_lands_on_is_unsatisfiable_not_wrong() -> None:
    # 年均 1 % over 8 years is a change of 8.28567056280801 %: from a base of 19 (or any listed)
    # no value of at most 15 digits lands on it exactly. The strategy drew 20.574277406933522,
    # whose float change is 8.28567056280801 but whose exact one is not, and the engine passed it.
    from hypothesis.errors import Unsatisfiable

    pack = qualityrules.parse_pack("pack t {\n  region 甲市\n  level city\n  period 2000..2003\n"
                                   "  section 质量 {\n    到2003年 获得质量管理体系认证的规模以上工业企业 较1995年年均提高 != 1%\n  }\n}\n")
    rule = pack.rules[0]

    @settings(max_examples=20, deadline=None, database=None)
    @given(qst.violating_data(pack, regions=["甲市"]))
    def check(table: pd.DataFrame) -> None:
        assert verdicts(qualityrules.evaluate(pack, table), rule) - {"not-applicable"} == {"fail"}

    try:
        check()
    except Unsatisfiable:
        pass
