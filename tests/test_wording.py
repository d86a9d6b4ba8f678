"""How the words of a plan are read (issue 9 item 5, issue 11): sentences as printed, bare numbers,
左右, flows, changes without a baseline, several indicators, words without numbers, colloquial
numerals, numbers out of range, pack ids and files. Each reading is pinned with its diagnostic."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qualityrules
from qualityrules.language import model as m
from qualityrules.language.numerals import chinese_numeral
from qualityrules.packs.resolve import Catalogue, load_catalogue, resolve_text

CATALOGUE_TEXT = """
indicator 制造业产品质量合格率 {
    unit %
    direction higher
}
indicator 城镇调查失业率 {
    unit %
    direction lower
    not 城镇登记失业率 "调查失业率来自劳动力调查, 登记失业率来自失业登记"
}
indicator 居民消费价格涨幅 {
    unit %
    direction exact
}
indicator 名牌企业 {
    unit 家
    direction higher
}
indicator 国家级质检中心 {
    unit 个
    direction higher
}
indicator 新增国家标准 {
    unit 项
    direction higher
    flow
}
indicator 万元GDP能耗 {
    unit 吨标准煤/万元
    direction lower
}
indicator PM2.5年均浓度 {
    unit 微克/立方米
    direction lower
}
indicator 农产品抽检合格率 {
    unit %
    direction higher
}
indicator 食品抽检合格率 {
    unit %
    direction higher
}
indicator 年主营业务超过1000亿元的名牌企业 {
    unit 家
    direction higher
}
indicator 年主营业务超过500亿元的名牌企业 {
    unit 家
    direction higher
}
indicator 人均预期寿命 {
    unit 岁
    direction higher
}
indicator 标准化试点项目 {
    unit 个
    direction higher
    flow
}
"""


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.qr"
    path.write_text(CATALOGUE_TEXT, encoding="utf-8")
    return load_catalogue([path])  # on its own, not extending the shipped one


def pack(body: str, *, period: str = "2021..2025", target: str = "2025", extra: str = "") -> str:
    return (f"pack words-2025 {{\n    region 甲省\n    level province\n    period {period}\n    target {target}\n"
            f"{extra}\n    section 目标 {{\n        {body}\n    }}\n}}\n")


def resolved(catalogue: Catalogue, body: str, **options: str) -> qualityrules.Pack:
    return resolve_text(pack(body, **options), catalogue=catalogue)


def codes(catalogue: Catalogue, body: str, **options: str) -> list[str]:
    try:
        found = resolved(catalogue, body, **options).diagnostics
    except qualityrules.QualityRulesError as error:
        found = error.diagnostics
    return [d.code for d in found]


# ------------------------------------------------------------------------------------------
# Sentences as printed


@pytest.mark.parametrize("line", [
    "制造业产品质量合格率达到94%以上",
    "制造业产品质量合格率 达到94%以上",
    "到2025年,全省制造业产品质量合格率达到94%以上",
    "到 2025 年 制造业产品质量合格率 达到94%以上",
    "制造業產品質量合格率達到９４％以上",
    "制造业产品质量合格率要达到94%以上。",
    "制造业产品质量合格率达到94%以上(含)",
])
def test_printed_sentences_read_as_the_spaced_form(catalogue: Catalogue, line: str) -> None:
    (rule,) = resolved(catalogue, line).rules
    assert (rule.indicator.name, rule.interval.lower, rule.interval.lower_inclusive, rule.years) == \
        ("制造业产品质量合格率", 94, True, (2025,))


def test_names_with_digits_and_comparator_words_stay_whole(catalogue: Catalogue) -> None:
    (pm,) = resolved(catalogue, "PM2.5年均浓度控制在35微克/立方米以下").rules
    assert (pm.indicator.name, pm.interval.upper) == ("PM2.5年均浓度", 35)
    (big,) = resolved(catalogue, "年主营业务超过1000亿元的名牌企业达到10家").rules
    assert (big.indicator.name, big.interval.lower) == ("年主营业务超过1000亿元的名牌企业", 10)


def test_the_catalogue_decides_where_a_known_name_ends(catalogue: Catalogue) -> None:
    """Without the catalogue the first readable boundary wins; with it, the longest known name."""
    catalogue_text = CATALOGUE_TEXT + "\nindicator 名牌企业实现 {\n    unit 家\n    direction higher\n}\n"
    path = Path(__file__).parent / "_unused.qr"
    assert not path.exists()
    from qualityrules.language.parse import parse_rule_text

    plain = parse_rule_text("名牌企业实现10家")
    assert plain.indicator == "名牌企业"  # 实现 before a number is a comparator word
    knows = {"名牌企业实现"}.__contains__
    assert parse_rule_text("名牌企业实现10家", names=knows).indicator == "名牌企业实现"
    assert "名牌企业实现" in catalogue_text


def test_a_number_inside_a_verb_phrase(catalogue: Catalogue) -> None:
    text = CATALOGUE_TEXT + "\nindicator 工业废水达标排放率 {\n    unit %\n    direction higher\n    alias 工业废水达标排放\n}\n"
    from qualityrules.language.parse import parse_text
    from qualityrules.packs.resolve import Catalogue as Cat

    rule_file, _ = parse_text(text)
    local, _ = Cat.build(rule_file.indicators)
    (rule,) = resolve_text(pack("工业废水90%达标排放"), catalogue=local).rules
    assert (rule.indicator.name, rule.interval.lower, rule.notes) == (
        "工业废水达标排放率", 90, ("the number 90% inside the verb phrase reads as at least (工业废水达标排放率 is "
                                  "better higher)",))
    assert qualityrules.format_model(rule.statement_rule) == "工业废水90%达标排放"


# ------------------------------------------------------------------------------------------
# Bare numbers, 左右, flows, changes


def test_a_bare_number_is_refused_with_a_fix_from_the_direction(catalogue: Catalogue) -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        resolved(catalogue, "制造业产品质量合格率 90%")
    (error,) = caught.value.diagnostics
    assert (error.code, error.span.text if error.span else None) == ("QR120", "90%")
    assert error.suggestion is not None and "'达到90%以上'" in error.suggestion
    with pytest.raises(qualityrules.QualityRulesError) as lower:
        resolved(catalogue, "万元GDP能耗 0.47吨标准煤/万元")
    assert lower.value.diagnostics[0].suggestion.startswith("write '0.47吨标准煤/万元以下'")  # type: ignore[union-attr]


@pytest.mark.parametrize(("line", "interval"), [
    ("制造业产品质量合格率 100%", (100, 100)),            # 100% of a share better higher: == and >= agree
    ("城镇调查失业率 0%", (0, 0)),                           # 0 of one better lower
    ("居民消费价格涨幅 3%", (3, 3)),                         # an exact indicator
    ("新增国家标准 300项", (300, None)),                     # a flow verb: at least, over the period
])
def test_a_bare_number_where_its_reading_is_no_choice(catalogue: Catalogue, line: str,
                                                      interval: tuple[int, int | None]) -> None:
    (rule,) = resolved(catalogue, line).rules
    assert (rule.interval.lower, rule.interval.upper) == interval


def test_approximately_is_one_sided_unless_a_band_is_written_or_the_direction_is_exact(catalogue: Catalogue) -> None:
    (unemployment,) = resolved(catalogue, "城镇调查失业率5.5%左右").rules
    assert (unemployment.interval.lower, unemployment.interval.upper) == (None, Fraction("6.05"))
    (band,) = resolved(catalogue, "城镇调查失业率 5.5%左右 ±0.5个百分点").rules
    assert (band.interval.lower, band.interval.upper) == (5, 6)
    (relative,) = resolved(catalogue, "城镇调查失业率 5.5%左右 ±10%").rules  # ±10% of 5.5%
    assert (relative.interval.lower, relative.interval.upper) == (Fraction("4.95"), Fraction("6.05"))
    (prices,) = resolved(catalogue, "居民消费价格涨幅2%左右").rules
    assert (prices.interval.lower, prices.interval.upper) == (Fraction("1.8"), Fraction("2.2"))
    (firms,) = resolved(catalogue, "名牌企业 10家左右").rules
    assert (firms.interval.lower, firms.interval.upper) == (9, None)
    assert firms.to_dict()["tolerance"] == {"written": "10%", "stated": False, "sides": "below"}


def test_flows(catalogue: Catalogue) -> None:
    (total,) = resolved(catalogue, "新增国家标准 300项以上").rules
    assert (total.kind, total.years) == ("cumulative", (2021, 2022, 2023, 2024, 2025))
    assert codes(catalogue, "到2025年 新增国家标准 300项以上") == ["QR121"]
    assert codes(catalogue, "到2025年 累计 新增国家标准 300项以上") == []
    (running,) = resolved(catalogue, "到2023年 累计 新增国家标准 100项以上").rules
    assert (running.kind, running.years) == ("cumulative", (2021, 2022, 2023))
    (yearly,) = resolved(catalogue, "每年 新增国家标准 50项以上").rules
    assert yearly.kind == "every-year"


def test_a_flow_flagged_in_the_catalogue_reads_as_one_named_with_a_flow_verb(catalogue: Catalogue) -> None:
    """No flow verb in the name, only the catalogue's ``flow``: still the total over the period
    when no year is written, and QR121 for one target year."""
    (total,) = resolved(catalogue, "标准化试点项目 达到30个以上").rules
    assert (total.kind, total.years) == ("cumulative", (2021, 2022, 2023, 2024, 2025))
    assert "标准化试点项目 counts what is added each year: the total over the period" in total.to_dict()["readings"]
    assert codes(catalogue, "到2025年 标准化试点项目 达到30个以上") == ["QR121"]
    (one_year,) = resolved(catalogue, "标准化试点项目 达到30个以上", period="2025..2025").rules
    assert (one_year.kind, one_year.years) == ("target-year", (2025,))


def test_changes(catalogue: Catalogue) -> None:
    assert codes(catalogue, "万元GDP能耗 下降13.5%") == ["QR122"]
    assert codes(catalogue, "万元GDP能耗 下降13.5%", extra="    baseline 2020\n") == []
    (fall,) = resolved(catalogue, "万元GDP能耗下降13.5%").rules
    assert (fall.baseline, fall.baseline_source, fall.interval.lower) == (2020, "period", Fraction("13.5"))
    (yearly,) = resolved(catalogue, "每年 万元GDP能耗 比上年下降3%").rules
    assert (yearly.baseline, yearly.year_on_year, yearly.to_dict()["time"]["baseline_from"]) == (None, True, "previous-year")
    (one,) = resolved(catalogue, "到2024年 万元GDP能耗 比上年下降3%").rules
    assert (one.baseline, one.years) == (2023, (2024,))
    (growth,) = resolved(catalogue, "名牌企业年均增长7%以上", extra="    baseline 2020\n").rules
    assert growth.interval.lower == Fraction("40.2551730700")  # (1.07**5 - 1) * 100 over 2021..2025
    # a yearly fall compounds on what is left: 1 - 0.97**5, not 1.03**5 - 1 (which asks 1.8 points more)
    (yearly_fall,) = resolved(catalogue, "万元GDP能耗年均下降3%", extra="    baseline 2020\n").rules
    assert yearly_fall.interval.lower == (1 - Fraction(97, 100) ** 5) * 100
    # percentage points add up, they do not compound
    (points,) = resolved(catalogue, "食品抽检合格率年均提高0.1个百分点", extra="    baseline 2020\n").rules
    assert (points.measure.value, points.interval.lower) == ("point-change", Fraction("0.5"))
    (older,) = resolved(catalogue, "人均预期寿命提高1岁").rules
    assert (older.measure.value, older.interval.lower, older.to_dict()["time"]["change_form"]) == (
        "point-change", 1, "absolute")
    assert codes(catalogue, "人均预期寿命 提高1家") == ["QR113"]


def test_several_indicators_in_one_line(catalogue: Catalogue) -> None:
    both = resolved(catalogue, "农产品抽检合格率和食品抽检合格率均达到98%以上")
    assert [(r.indicator.name, r.interval.lower, r.part) for r in both.rules] == [
        ("农产品抽检合格率", 98, 0), ("食品抽检合格率", 98, 1)]
    assert len({r.text for r in both.rules}) == 1  # one line, one citation
    shared = resolved(catalogue, "年主营业务超过1000亿元、500亿元的名牌企业分别达到10家、20家")
    assert [(r.indicator.name, r.interval.lower) for r in shared.rules] == [
        ("年主营业务超过1000亿元的名牌企业", 10), ("年主营业务超过500亿元的名牌企业", 20)]
    assert codes(catalogue, "农产品抽检合格率、食品抽检合格率分别达到98%") == ["QR123"]
    totals = codes(catalogue, "年主营业务超过1000亿元的名牌企业和年主营业务超过500亿元的名牌企业 达到30家")
    assert totals == ["QR123"]


@pytest.mark.parametrize("line", ["制造业产品质量合格率逐年提高", "制造业产品质量合格率保持全国前列",
                                  "制造业产品质量合格率达到国家要求", "制造业产品质量合格率持续改善"])
def test_words_without_a_number_are_not_checkable(catalogue: Catalogue, line: str) -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        resolved(catalogue, line)
    error = caught.value.diagnostics[0]
    assert error.code == "QR014" and error.span is not None and "commitment" in (error.suggestion or "")


def test_a_look_alike_statistic_is_suggested_with_the_catalogue_note_and_never_bound(catalogue: Catalogue) -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        resolved(catalogue, "城镇调查失业律 5.5%以下")
    error = caught.value.diagnostics[0]
    assert error.code == "QR101"
    assert "城镇调查失业率 is not 城镇登记失业率: 调查失业率来自劳动力调查" in (error.suggestion or "")


# ------------------------------------------------------------------------------------------
# Numbers


@pytest.mark.parametrize(("text", "value"), [
    ("一百二", 120), ("三千五", 3500), ("两万五", 25000), ("十万零五", 100005), ("一亿五", 150000000),
    ("百", 100), ("千", 1000), ("十五", 15), ("一百零二", 102), ("二〇一五", 2015), ("一万亿", 10**12),
])
def test_colloquial_numerals(text: str, value: int) -> None:
    assert chinese_numeral(text) == value


@pytest.mark.parametrize("text", ["五万三万", "万万", "三五", "百千", "二三十", "亿亿"])
def test_malformed_numerals_are_errors(text: str) -> None:
    with pytest.raises(ValueError):
        chinese_numeral(text)
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        qualityrules.parse_rule(f"名牌企业 达到{text}家")
    assert caught.value.diagnostics[0].code == "QR008"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_formal_numerals_read_as_cn2an_reads_them(n: int) -> None:
    written = cn2an.an2cn(n)
    if len(written) == 2 and all(ch not in "十百千万亿" for ch in written):
        return  # two digits side by side are a range in plans; cn2an writes none
    assert chinese_numeral(written) == n
    try:
        assert cn2an.cn2an(written, "normal") == n
    except (ValueError, KeyError):    # cn2an writes 一亿一千 for 100,001,000 but does not read it back (0.5.x)
        assert re.search("[亿万][一二三四五六七八九][千百十]", written)    # a group after 亿/万 with no 零


@pytest.mark.parametrize(("written", "number"), [("一亿一千", 100_001_000), ("一千亿一千", 100_000_001_000)])
def test_a_numeral_cn2an_writes_but_does_not_read_reads_as_written(written: str, number: int) -> None:
    assert cn2an.an2cn(number) == written and chinese_numeral(written) == number


@pytest.mark.parametrize("line", ["名牌企业 达到1" + "0" * 400 + "家", "名牌企业 达到0." + "0" * 400 + "1家"])
def test_numbers_beyond_float_range_are_located_errors(line: str) -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        qualityrules.parse_rule(line)
    error = caught.value.diagnostics[0]
    assert error.code == "QR008" and error.span is not None and error.span.column == 8


def test_an_exponent_is_not_a_number() -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        qualityrules.parse_rule("名牌企业 达到1e999家")
    assert caught.value.diagnostics[0].span is not None


def test_a_negative_pack_tolerance_is_an_error(catalogue: Catalogue) -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        resolved(catalogue, "名牌企业 10家左右", extra="    tolerance -10%\n")
    assert [d.code for d in caught.value.diagnostics] == ["QR008"]


# ------------------------------------------------------------------------------------------
# Pack ids and files


def test_a_pack_file_is_named_after_its_id(tmp_path: Path) -> None:
    text = pack("工业废水达标排放率 >= 95%").replace("words-2025", "other-2025")
    (tmp_path / "words-2025.qr").write_text(text, encoding="utf-8")
    found = qualityrules.lint(tmp_path / "words-2025.qr")
    assert [d.code for d in found] == ["QR118"] and "other-2025.qr" in (found[0].suggestion or "")


def test_two_files_declaring_one_id_are_an_error_naming_both(tmp_path: Path) -> None:
    for folder, value in (("a", "95%"), ("b", "90%")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "words-2025.qr").write_text(pack(f"工业废水达标排放率 >= {value}"), encoding="utf-8")
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        qualityrules.compare(tmp_path / "a" / "words-2025.qr", tmp_path / "b" / "words-2025.qr")
    (error,) = [d for d in caught.value.diagnostics if d.code == "QR119"]
    assert str(tmp_path / "a" / "words-2025.qr") in error.message and str(tmp_path / "b") in error.message


def test_units_in_a_table_row_and_expected_strength(catalogue: Catalogue) -> None:
    rules = resolved(catalogue, "城镇调查失业率(%) | 5.2 | - | <5.5 | 预期性").rules
    assert [(r.kind, r.interval.upper, r.strength) for r in rules] == [("every-year", Fraction("5.5"),
                                                                       m.Strength.EXPECTED)]
    (older,) = resolved(catalogue, "人均预期寿命(岁) | 77.3* | - | 〔1〕 | 预期性").rules
    assert (older.measure.value, older.interval.lower, older.baseline) == ("point-change", 1, 2020)
    assert Decimal(1) == older.rule.target.amount.quantity.value  # type: ignore[union-attr]


def test_a_table_row_of_fewer_columns_reads_base_then_target(catalogue: Catalogue) -> None:
    """Two value cells are 基期值 | 目标值 (a table of 2020年 | 2025年 columns): the second is the target,
    in the target year; one is the target; a period total is the 年均/累计 cell wherever it stands."""
    (rule,) = resolved(catalogue, "制造业产品质量合格率(%) | 93.2 | 95 | 约束性").rules
    assert (rule.kind, rule.years, rule.interval.lower) == ("target-year", (2025,), 95)
    (rule,) = resolved(catalogue, "城镇调查失业率(%) | 5.2 | 5.5-6 | 预期性").rules
    assert (rule.kind, rule.interval.lower, rule.interval.upper) == ("target-year", 5.5, 6)
    (rule,) = resolved(catalogue, "制造业产品质量合格率(%) | 95 | 约束性").rules
    assert (rule.kind, rule.years, rule.interval.lower) == ("target-year", (2025,), 95)
    (rule,) = resolved(catalogue, "新增国家标准(项) | 12 | 〔30〕 | 预期性").rules
    assert (rule.kind, rule.interval.lower) == ("cumulative", 30)


_PIECES = ["工业废水达标排放率", "万元GDP能耗", "达到", "以上", "以下", "左右", "±", "分别", "均", "、", "和", "|", "〔",
           "〕", "-", "约束性", "预期性", "较2015年", "比上年", "年均", "增长", "下降", "提高到", "缩短至", "累计",
           "每年", "到2025年", "“十四五”期间", "十三五末", "连续5年", "杜绝", "全覆盖", "零的突破", "逐年提高", "(含)",
           "(不含)", "95%", "1.5", "三千五", "五万三万", "1e999", "1" + "0" * 400, "万户", "亿吨", "个月", "岁", "元/人",
           "。", ",", "要", "%", "(%)", "新增", "培育", "创建", "*", ">=", "<", "==", "为", "在", "突破", " ", "#x",
           '"q"', "“三品一标”"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8).map("".join))
def test_any_run_of_the_languages_words_reads_or_is_a_located_error(line: str) -> None:
    """Hostile lines: never a crash, every error located, and what reads formats back to itself."""
    try:
        rule = qualityrules.parse_rule(line)
    except qualityrules.QualityRulesError as error:
        assert all(d.span is not None for d in error.diagnostics), [d.render() for d in error.diagnostics]
        return
    text = qualityrules.format_model(rule)
    assert qualityrules.parse_rule(text) == rule, text
    assert qualityrules.format_model(qualityrules.parse_rule(text)) == text
    pack_text = pack(line)
    try:
        resolved_pack = qualityrules.parse_pack(pack_text, source="words-2025.qr")
    except qualityrules.QualityRulesError as error:
        assert all(d.span is not None for d in error.diagnostics), [d.render() for d in error.diagnostics]
        return
    for bound in resolved_pack.rules:
        assert bound.to_dict()["meaning"]


@pytest.mark.parametrize(("line", "strength"), [
    ("万元GDP能耗降低13.5%（约束性）", m.Strength.BINDING),
    ("食品抽检合格率达到98%（预期性）", m.Strength.EXPECTED),
    ("食品抽检合格率 达到98% (预期性)", m.Strength.EXPECTED),
])
def test_a_strength_in_brackets_after_the_target(catalogue: Catalogue, line: str, strength: m.Strength) -> None:
    """Outlines print a target's kind after it in brackets: it is the target's strength, not part of a name."""
    (rule,) = resolved(catalogue, line, extra="    baseline 2020\n").rules
    assert rule.strength is strength and rule.indicator.name in ("万元GDP能耗", "食品抽检合格率")


@pytest.mark.parametrize("line", ['"十四五"期间新增国家标准10项以上', "2021—2025年新增国家标准10项以上",
                                  "2021年至2025年 新增国家标准 10项以上", "“十四五”时期新增国家标准10项以上"])
def test_a_plan_period_written_with_plain_quotes_or_as_its_years(catalogue: Catalogue, line: str) -> None:
    (rule,) = resolved(catalogue, line).rules
    assert (rule.kind, rule.years, rule.interval.lower) == ("cumulative", (2021, 2022, 2023, 2024, 2025), 10)


def test_a_period_that_ends_before_it_starts_is_an_error(catalogue: Catalogue) -> None:
    assert "QR009" in codes(catalogue, "2025—2021年新增国家标准10项以上")


def test_keep_without_zai_is_a_comparator_word(catalogue: Catalogue) -> None:
    """保持/维持 before a number is 保持在: the suffix says which way; without one it is QR006,
    never a name that swallowed the verb (QR101)."""
    (rule,) = resolved(catalogue, "食品抽检合格率保持98%以上").rules
    assert (rule.indicator.name, rule.interval.lower, rule.interval.upper) == ("食品抽检合格率", 98, None)
    assert codes(catalogue, "食品抽检合格率维持98%") == ["QR006"]


def test_a_second_clause_after_a_comma_is_refused_with_the_fix(catalogue: Catalogue) -> None:
    with pytest.raises(qualityrules.QualityRulesError) as raised:
        resolved(catalogue, "到2025年 食品抽检合格率 达到98%以上，农产品抽检合格率 达到97%以上")
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "QR002" and "one target per line" in str(diagnostic.suggestion)


@pytest.mark.parametrize(("body", "expected"), [
    ("制造业产品质量合格率 达到950%以上", ["QR126"]),          # a share above 100 %: a digit too many
    ("制造业产品质量合格率 > 100%", ["QR126"]),
    ("制造业产品质量合格率 达到100%", []),                   # reachable, exactly
    ("制造业产品质量合格率 95%-105%", []),                     # part of the range is reachable
    ("制造业产品质量合格率 101%-105%", ["QR126"]),
    ("制造业产品质量合格率 >= 1200‰", ["QR126"]),             # in another unit of a share: 120 %
    ("制造业产品质量合格率 < 0%", ["QR126"]),
    ("名牌企业 不超过-3家", ["QR126"]),                      # a count is never negative
    ("名牌企业 达到300家以上", []),
    ("居民消费价格涨幅 < 150%", []),                         # a change rate, not a share: any value
    ("PM2.5年均浓度 <= -5微克/立方米", ["QR126"]),            # a concentration is never negative
])
def test_a_target_no_value_can_meet_is_a_warning(catalogue: Catalogue, body: str, expected: list[str]) -> None:
    """QR126: a value target outside what the indicator's values can be (a share outside 0–100 %,
    a negative count) would fail every region whatever its data; the resolver says so."""
    assert codes(catalogue, f"到2025年 {body}") == expected
