"""Parsing: statutory comparator words, numbers, units, time, strength, normalisation, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

import qualityrules
from qualityrules.errors import RuleSyntaxError
from qualityrules.language import model as m
from qualityrules.language.numerals import chinese_decimal, chinese_numeral
from qualityrules.language.parse import COMPARATOR_WORDS, SUFFIX_WORDS, parse_text

GE, GT, LE, LT, EQ, NE = (m.Comparator.GE, m.Comparator.GT, m.Comparator.LE, m.Comparator.LT,
                          m.Comparator.EQ, m.Comparator.NE)

# The statute: these include the number ...
INCLUSIVE = {"以上": GE, "以下": LE, "以内": LE, "不低于": GE, "不少于": GE, "不高于": LE,
             "不超过": LE, "达到": GE}
# ... and these exclude it.
EXCLUSIVE = {"超过": GT, "高于": GT, "低于": LT, "不满": LT, "逾": GT}


@pytest.mark.parametrize(("word", "op"), sorted({**INCLUSIVE, **EXCLUSIVE}.items()))
def test_statutory_word_table(word: str, op: m.Comparator) -> None:
    table = {**COMPARATOR_WORDS, **SUFFIX_WORDS}
    assert table[word] is op
    assert op.inclusive is (word in INCLUSIVE)


@pytest.mark.parametrize(("line", "op", "value", "unit"), [
    ("饮用水源水质达标率 达到95%以上", GE, "95", "%"),
    ("PM2.5年均浓度 控制在33微克/立方米以下", LE, "33", "微克/立方米"),
    ("万元GDP水耗 低于21立方米/万元", LT, "21", "立方米/万元"),
    ("空气质量优良天数比例 超过全年的98%", GT, "98", "%"),
    ("万元GDP能耗 控制在0.47吨标准煤/万元以内", LE, "0.47", "吨标准煤/万元"),
    ("产品质量抽查合格率 不低于95%", GE, "95", "%"),
    ("中国名牌产品 不少于30个", GE, "30", "个"),
    ("投诉处理时限 不超过15工作日", LE, "15", "工作日"),
    ("噪声超标率 不高于5%", LE, "5", "%"),
    ("检验检测机构 不满10家", LT, "10", "家"),
    ("服务业增加值 逾1.75万亿元", GT, "1.75", "万亿元"),
    ("研发投入占比 高于4%", GT, "4", "%"),
    ("名牌产品 30个以上", GE, "30", "个"),
    ("事故率 5‰以下", LE, "5", "‰"),
])
def test_statutory_words_in_document_phrases(line: str, op: m.Comparator, value: str, unit: str) -> None:
    rule = qualityrules.parse_rule(line)
    assert isinstance(rule.target, m.Comparison)
    assert rule.target.op is op
    assert rule.target.quantity.value == Decimal(value)
    assert rule.target.quantity.unit == unit


@pytest.mark.parametrize(("line", "value", "unit"), [
    ("企业 3万家", "30000", "家"),
    ("检验批次 6.75万批次", "67500", "批次"),
    ("增加值 1.75万亿元", "1.75", "万亿元"),
    ("示范企业 五家", "5", "家"),
    ("示范企业 百家", "100", "家"),
    ("技术人员 千名", "1000", "名"),
    ("项目 两个", "2", "个"),
    ("标准 十五项", "15", "项"),
    ("标准 1,200项", "1200", "项"),
    ("工业废水达标排放率 ９５％", "95", "%"),
])
def test_numbers_with_magnitudes_and_chinese_numerals(line: str, value: str, unit: str) -> None:
    rule = qualityrules.parse_rule(line)
    assert isinstance(rule.target, m.Comparison)
    assert rule.target.op is EQ
    assert rule.target.quantity.value == Decimal(value)
    assert rule.target.quantity.unit == unit


@pytest.mark.parametrize(("text", "value"), [
    ("五", 5), ("十", 10), ("十五", 15), ("二十", 20), ("百", 100), ("一百零五", 105),
    ("三千五百", 3500), ("两万", 20000), ("万", 10000), ("一亿两千万", 120000000), ("二〇一五", 2015),
])
def test_chinese_numerals(text: str, value: int) -> None:
    assert chinese_numeral(text) == value


@pytest.mark.parametrize("text", ["五五十", "十百"])
def test_malformed_chinese_numerals(text: str) -> None:
    with pytest.raises(ValueError):
        chinese_numeral(text)


@pytest.mark.parametrize(("line", "op", "value", "unit"), [
    ("到2020年 工业废水达标排放率 达到百分之九十五以上", GE, "95", "%"),
    ("到2020年 工业废水达标排放率达到百分之九十五以上", GE, "95", "%"),      # glued: read as the spaced line
    ("到2020年 工业废水达标排放率 达到百分之百", GE, "100", "%"),
    ("到2020年 工业废水达标排放率 不低于百分之95", GE, "95", "%"),
    ("到2020年 城市生活污水处理率 达到百分之八十五点五", GE, "85.5", "%"),
    ("到2020年 城市生活污水处理率 达到八十五点五%", GE, "85.5", "%"),
    ("到2020年 事故死亡率 不超过千分之五", LE, "5", "‰"),
    ("到2020年 指数 达到九十点", GE, "90", "点"),          # 点 with no digit after it is the unit
    ("到2020年 指数 达到九十点五点", GE, "90.5", "点"),
])
def test_per_part_and_decimal_chinese_numerals(line: str, op: m.Comparator, value: str, unit: str) -> None:
    """百分之九十五 is 95 % (千分之五 5 ‰) and 八十五点五 is 85.5, as plans print them; before, the
    glued line read '…达到百分之' as the indicator's name and 95 as a number with no unit."""
    rule = qualityrules.parse_rule(line)
    assert isinstance(rule.target, m.Comparison)
    assert (rule.target.op, rule.target.quantity.value, rule.target.quantity.unit) == (op, Decimal(value), unit)
    assert rule.indicator in ("工业废水达标排放率", "城市生活污水处理率", "事故死亡率", "指数")
    assert qualityrules.parse_rule(qualityrules.format_model(rule)) == rule


@pytest.mark.parametrize("line", ["工业废水达标排放率 达到百分之九十五%", "工业废水达标排放率 达到百分之",
                                  "工业废水达标排放率 达到八十五点十%"])
def test_malformed_per_part_quantities_are_located_errors(line: str) -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        qualityrules.parse_rule(line)
    assert all(d.span is not None for d in caught.value.diagnostics)


def test_chinese_decimals() -> None:
    assert chinese_decimal("八十五点五") == Decimal("85.5") and chinese_decimal("零点零五") == Decimal("0.05")
    assert chinese_decimal("十五") == 15
    for malformed in ("八十五点", "八十五点十", "点五"):
        with pytest.raises(ValueError):
            chinese_decimal(malformed)


def test_symbolic_and_full_width_comparators_agree() -> None:
    forms = ["工业废水达标排放率 >= 95%", "工业废水达标排放率 ≥ 95%", "工业废水达标排放率 ＞＝ ９５％",
             "工业废水达标排放率 >=95 %", "工業廢水達標排放率 不低於95%"]
    rules = [qualityrules.parse_rule(f) for f in forms]
    assert all(r == rules[0] for r in rules), rules


@pytest.mark.parametrize("line", ["森林覆盖率 达到41.5%①", "森林覆盖率①达到41.5%", "森林覆盖率¹ 达到41.5%",
                                  "森林覆盖率(%)② | 40.1 | 41.5 | 约束性", "森林覆盖率(%) | 40.1 | 41.5¹ | 约束性",
                                  "森林覆盖率(%) | 40.1 | 41.5⑴ | 约束性"])
def test_a_footnote_mark_glued_to_a_number_or_a_name_is_no_digit(line: str) -> None:
    """NFKC makes ① and ¹ the digit 1: printed against a number or a name they are footnote marks,
    not a digit of 41.5 (41.51) or of the name (森林覆盖率1)."""
    rule = qualityrules.parse_rule(line)
    assert rule.indicator == "森林覆盖率"
    assert {q.value for q in m.quantities(rule.target)} >= {Decimal("41.5")}
    assert Decimal("41.51") not in {q.value for q in m.quantities(rule.target)}
    assert qualityrules.parse_rule("x² >= 1").indicator == "x2"  # after a letter: an exponent


@pytest.mark.parametrize(("line", "op"), [("x > 1", GT), ("x ＞ 1", GT), ("x < 1", LT), ("x ＜ 1", LT),
                                          ("x <= 1", LE), ("x ≤ 1", LE), ("x == 1", EQ), ("x != 1", NE),
                                          ("x ≠ 1", NE)])
def test_symbolic_comparators(line: str, op: m.Comparator) -> None:
    rule = qualityrules.parse_rule(line)
    assert isinstance(rule.target, m.Comparison) and rule.target.op is op


def test_ranges_approximately_and_exact() -> None:
    r = qualityrules.parse_rule("世界名牌产品 2―3个").target
    assert r == m.Between(m.Quantity(2, "个"), m.Quantity(3, "个"))
    r = qualityrules.parse_rule("企业 30-40 家").target
    assert r == m.Between(m.Quantity(30, "家"), m.Quantity(40, "家"))
    r = qualityrules.parse_rule("企业 between 30家 and 40家").target
    assert r == m.Between(m.Quantity(30, "家"), m.Quantity(40, "家"))
    a = qualityrules.parse_rule("机构 10家左右 ±2家").target
    assert a == m.Approximately(m.Quantity(10, "家"), m.Quantity(2, "家"))
    a = qualityrules.parse_rule("机构 约10家").target
    assert a == m.Approximately(m.Quantity(10, "家"), None)
    z = qualityrules.parse_rule("重特大质量安全事故 零事故").target
    assert z == m.Comparison(EQ, m.Quantity(0, None))


def test_changes_against_a_baseline() -> None:
    c = qualityrules.parse_rule("万元GDP能耗 较2015年下降18.5%").target
    assert c == m.Change(2015, m.ChangeDirection.DOWN, m.Comparison(GE, m.Quantity(Decimal("18.5"), "%")))
    c = qualityrules.parse_rule("研发投入占比 比2015年提高5个百分点").target
    assert c == m.Change(2015, m.ChangeDirection.UP, m.Comparison(GE, m.Quantity(5, "个百分点")))
    c = qualityrules.parse_rule("发明专利 较2010年翻一番").target
    assert c == m.Change(2010, m.ChangeDirection.UP, m.Comparison(GE, m.Quantity(100, "%")))
    c = qualityrules.parse_rule("能耗 较2015年下降不超过5%").target
    assert isinstance(c, m.Change) and c.amount == m.Comparison(LE, m.Quantity(5, "%"))


def test_xuejian_is_a_fall_not_part_of_the_name() -> None:
    """削减 (cut by) is a change word of environmental plans: '重度污染天数比例削减10%' was the level
    at most 10 % of an indicator named '…削减'."""
    r = qualityrules.parse_rule("主要污染物排放总量削减10%")
    assert r.indicator == "主要污染物排放总量"
    assert r.target == m.Change(None, m.ChangeDirection.DOWN, m.Comparison(GE, m.Quantity(10, "%")))


def test_time_qualifiers_and_strength() -> None:
    r = qualityrules.parse_rule("到2015年 重点行业采标率 达到85%")
    assert r.time == m.TargetYear(2015)
    r = qualityrules.parse_rule("重点行业采标率 2010年底 达到85%")
    assert r.time == m.TargetYear(2010)
    r = qualityrules.parse_rule("抽查合格率 每年 >= 95%")
    assert r.time == m.EveryYear()
    r = qualityrules.parse_rule("抽查合格率 稳定在95%以上")
    assert r.time == m.EveryYear() and isinstance(r.target, m.Comparison) and r.target.op is GE
    r = qualityrules.parse_rule("名牌产品 累计 30个以上")
    assert r.time == m.Cumulative()
    r = qualityrules.parse_rule("力争 名牌产品 30个以上")
    assert r.strength is m.Strength.ASPIRATION
    r = qualityrules.parse_rule("名牌产品 争取达到30个")
    assert r.strength is m.Strength.ASPIRATION
    r = qualityrules.parse_rule("名牌产品 确保达到30个")
    assert r.strength is m.Strength.BINDING


def test_clauses() -> None:
    r = qualityrules.parse_rule('override 废水 >= 90% because "理由" cite "附件 序号8"')
    assert r.override and r.justification == "理由" and r.citation == m.Citation("附件 序号8")
    r = qualityrules.parse_rule('废水 >= 90% unenforced "执行正文"')
    assert r.unenforced == "执行正文"


def test_quoted_names_may_collide_with_keywords_and_hold_spaces() -> None:
    assert qualityrules.parse_rule('"cite" >= 1个').indicator == "cite"
    assert qualityrules.parse_rule('"工业废水 达标排放率" >= 95%').indicator == "工业废水 达标排放率"
    assert qualityrules.parse_rule('「每年新增企业」 >= 1家').indicator == "每年新增企业"


def test_citation_keeps_original_script() -> None:
    r = qualityrules.parse_rule('工業廢水達標排放率 >= 95% cite "粵府〔2010〕84號 二(四)"')
    assert r.indicator == "工业废水达标排放率"
    assert r.citation == m.Citation("粵府〔2010〕84號 二(四)")


def test_spans_are_excluded_from_equality_but_point_into_the_source() -> None:
    a = qualityrules.parse_rule("x >= 95%")
    b = qualityrules.parse_rule("x   >=   95 %")
    assert a == b and hash(a) == hash(b)
    assert a.span is not None and a.span.line == 1 and a.span.column == 1
    assert b.target.span is not None and b.target.span.text == ">=   95 %"


@pytest.mark.parametrize(("line", "code", "column"), [
    ("x >= 95座位", "QR004", 8),
    ("x >= 5 公亩", "QR004", 8),
    ("x 低于33以上", "QR005", 3),
    ("x 控制在33", "QR006", 3),
    ("x 40-30家", "QR010", 3),
    ("x 到2015年 每年 >= 1个", "QR011", 10),
    ("x 较2015年下降5", "QR113", 11),
    ("x >=", "QR003", 5),
    ("x >= 95% cite", "QR003", 14),
    ("x ?? 95%", "QR002", 3),
    ("x >= 95% ;", "QR001", 10),
])
def test_rule_errors_have_code_and_position(line: str, code: str, column: int) -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        qualityrules.parse_rule(line)
    diagnostic = caught.value.diagnostic
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == (code, 1, column), diagnostic.render()
    assert "^" in diagnostic.render()
    expected_class = qualityrules.UnitError if code in ("QR004", "QR113") else RuleSyntaxError
    assert isinstance(caught.value, expected_class)


def test_unknown_unit_suggests_a_known_one() -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        qualityrules.parse_rule("浓度 <= 33微克/立方")
    assert caught.value.code == "QR004"
    assert caught.value.suggestion is not None and "微克/立方米" in caught.value.suggestion


def test_a_file_reports_every_broken_line() -> None:
    text = ("pack p {\n    region 龙岗区\n    level district\n    target 2015\n"
            "    section s {\n        a >= 1个\n        b >=\n        c 控制在3\n        d ?? 4\n"
            "        e <= 5个\n    }\n}\n")
    rule_file, diagnostics = parse_text(text, source="many.qr")
    assert [(d.code, d.line) for d in diagnostics] == [("QR002", 7), ("QR002", 9)]
    assert rule_file.packs == ()
    # once the syntax is fixed the semantic error on line 8 is reported too
    fixed = text.replace("b >=\n", "b >= 2个\n").replace("d ?? 4", "d >= 4个")
    _, diagnostics = parse_text(fixed, source="many.qr")
    assert [(d.code, d.line) for d in diagnostics] == [("QR006", 8)]


def test_duplicate_metadata_and_bad_period() -> None:
    text = "pack p {\n    region a\n    region b\n    period 2015..2011\n}\n"
    _, diagnostics = parse_text(text)
    assert sorted(d.code for d in diagnostics) == ["QR007", "QR009"]


def test_record_definitions() -> None:
    text = """indicator 工业废水达标排放率 {
    unit %
    direction higher
    from wastewater
    region district
    date sample_date
    value 100 * sum(volume where compliant and not (flag == "bad" or volume < 0)) / sum(volume)
    min_records 30
}
"""
    rule_file, diagnostics = parse_text(text)
    assert diagnostics == ()
    definition = rule_file.indicators[0].definition
    assert definition is not None
    assert (definition.table, definition.region_column, definition.date_column, definition.min_records) == (
        "wastewater", "district", "sample_date", 30)
    value = definition.value
    assert isinstance(value, m.Arithmetic) and value.op == "/"
    numerator = value.left
    assert isinstance(numerator, m.Arithmetic) and numerator.left == m.Constant(100)
    agg = numerator.right
    assert isinstance(agg, m.Aggregate) and agg.function is m.AggregateFunction.SUM
    assert agg.where == m.AllOf((m.ColumnTest("compliant"), m.Not(m.AnyOf((
        m.ColumnTest("flag", EQ, "bad"), m.ColumnTest("volume", LT, Decimal(0)))))))


@pytest.mark.parametrize(("value", "message"), [
    ("sum()", "sum() takes 1 column(s)"),
    ("share(aqi)", "share() takes 0 column(s)"),
    ("wmean(x)", "wmean() takes 2 column(s)"),
])
def test_bad_aggregates(value: str, message: str) -> None:
    text = f"indicator x {{\n    from t\n    value {value}\n}}\n"
    _, diagnostics = parse_text(text)
    assert diagnostics and diagnostics[0].code == "QR012" and message in diagnostics[0].message


@pytest.mark.parametrize("name", ["overridex", "override", "每年新增企业", "力争指标", "2015年产值", "cite", "争创奖项"])
def test_names_that_start_like_a_keyword_round_trip_quoted(name: str) -> None:
    rule = m.Rule(name, m.Comparison(GE, m.Quantity(5, "%")))
    text = qualityrules.format_model(rule)
    assert text.startswith(("\"", "“", "「")) and qualityrules.parse_rule(text) == rule
