"""A compliance test suite written with qualityrules.strategies.

The code under test is ``flagged``: the part of a (fictional) statistics dashboard that turns a
table of indicator values into the set of indicators to flag red. The properties: data that
meets every target of the city's plan raises no flag; data that misses one target flags that
target's indicator; and pack files the team writes survive ``fmt`` unchanged.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings

import qualityrules
from qualityrules import strategies as qst

PACK = qualityrules.load_pack("shenzhen-2020")


def flagged(table: pd.DataFrame) -> set[str]:
    """The dashboard's rule: flag every indicator with a missed target (binding or aspiration)."""
    report = qualityrules.evaluate(PACK, table)
    return {row["indicator"] for row in report.targets() if row["verdict"] in ("fail", "warn")}


@settings(max_examples=25, deadline=None)
@given(qst.compliant_data(PACK))
def test_data_meeting_every_target_raises_no_flag(table: pd.DataFrame) -> None:
    assert flagged(table) == set()


@settings(max_examples=25, deadline=None)
@given(qst.violating_data(PACK))
def test_a_missed_target_flags_its_indicator(table: pd.DataFrame) -> None:
    indicator, kind, years, origin = table.attrs["violated"]
    assert indicator in flagged(table)


@settings(max_examples=25, deadline=None)
@given(qst.violating_data(PACK, rule="万元GDP水耗"))
def test_the_water_target_is_checked_against_2015(table: pd.DataFrame) -> None:
    # 万元GDP水耗 较2015年 下降18.5%: the strategy writes a 2015 baseline and a 2020 value.
    assert set(table.loc[table["indicator"] == "万元GDP水耗", "year"]) == {2015, 2020}
    assert "万元GDP水耗" in flagged(table)


@settings(max_examples=25, deadline=None)
@given(qst.packs(parents=["shenzhen-2020"], max_rules=4))
def test_our_district_packs_format_stably(definition: qualityrules.PackDefinition) -> None:
    text = qualityrules.format_model(definition)
    pack = qualityrules.parse_pack(text)
    assert qualityrules.format_model(pack.definition) == text
