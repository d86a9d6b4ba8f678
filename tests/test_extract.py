"""``qualityrules.extract`` and ``qualityrules extract``: reading plan texts in every encoding and
script they come in, the kinds of target sentence plans write, the numbers that are not targets,
review comments, catalogue binding, the draft's validity, the CLI, and hostile input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityrules
from qualityrules.cli.main import main
from qualityrules.errors import DataError, QualityRulesError, Severity
from qualityrules.extraction.draft import Candidate
from qualityrules.language import model as m
from qualityrules.language.format import format_file
from qualityrules.language.parse import parse_rule_text, parse_text

GOALS = "二、主要目标\n"


def lines(text: str, **options: object) -> list[str]:
    """The drafted statements (without their citations) for a plan text."""
    options = {"region": "某市", "level": "city", "period": "2021..2025", **options}
    draft = qualityrules.extract(text, **options)  # type: ignore[arg-type]
    return [c.line.split(" cite ")[0] for c in draft.candidates]


def reviews(text: str, **options: object) -> set[str]:
    options = {"region": "某市", "level": "city", "period": "2021..2025", **options}
    return {r.code for r in qualityrules.extract(text, **options).reviews}  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# Reading


PLAN = GOALS + "到2025年，制造业产品质量合格率达到94%以上，每万人口高价值发明专利拥有量达到12件。\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_plan_bytes_in_every_encoding_read_the_same(encoding: str) -> None:
    expected = lines(PLAN)
    draft = qualityrules.extract(PLAN.encode(encoding), region="某市", level="city", period="2021..2025")
    assert [c.line.split(" cite ")[0] for c in draft.candidates] == expected
    assert expected == ["到2025年 制造业产品质量合格率 达到94%以上", "到2025年 每万人口高价值发明专利拥有量 达到12件/万人"]


def test_traditional_script_reads_as_simplified_and_is_quoted_as_printed() -> None:
    draft = qualityrules.extract(GOALS + "製造業產品質量合格率達到94%以上，有效註冊商標總量力爭達到7萬件。",
                                 region="某市", level="city", period="2021..2025")
    assert [c.line.split(" cite ")[0] for c in draft.candidates] == [
        "制造业产品质量合格率 达到94%以上", "力争 有效注册商标总量 达到7万件"]
    assert draft.candidates[1].phrase == "有效註冊商標總量力爭達到7萬件"
    assert "有效註冊商標總量力爭達到7萬件" in draft.text


def test_undecodable_bytes_are_a_located_data_error() -> None:
    with pytest.raises(DataError) as caught:
        qualityrules.extract(b"\x81\x30\xff\xff\x00 plan")
    assert caught.value.code == "QR202"
    with pytest.raises(DataError):
        qualityrules.extract("目标\ud800达到90%")


def test_a_file_plan_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(PLAN.encode("gb18030"))
    assert len(qualityrules.extract(path, region="某市", level="city").candidates) == 2
    with pytest.raises(QualityRulesError) as caught:
        qualityrules.extract(tmp_path / "missing.txt")
    assert caught.value.code == "QR201"


# ------------------------------------------------------------------------------------------
# Structure and citations


def test_headings_run_into_the_text_give_the_sections_a_citation_names() -> None:
    text = ("关于质量强市的实施意见一、总体要求坚持质量第一。二、主要目标到2025年，质量水平提升。（一）产品质量。"
            "制造业产品质量合格率达到95%以上。（二）工程质量。大中型工程项目一次验收合格率达到100%。三、重点任务（一）"
            "强化标准。1.制修订地方标准。新增地方标准20项。")
    draft = qualityrules.extract(text, region="某市", level="city")
    assert [c.section for c in draft.candidates] == ["二(一)", "二(二)", "三(一)1"]
    assert draft.period == (2021, 2025)


def test_a_sentence_broken_across_lines_reads_as_one() -> None:
    text = GOALS + "普遍推行产品质量认证，达到国际先进水平的优等品率大幅度提高，国家重点产品可比性跟踪监督\n\n" \
        "抽查合格率稳定在 92% 以上，形成一批名牌产品。"
    draft = qualityrules.extract(text, region="某市", level="city", period="2011..2015")
    assert draft.candidates[0].indicator == "国家重点产品可比性跟踪监督抽查合格率"
    assert draft.candidates[0].phrase == "国家重点产品可比性跟踪监督抽查合格率稳定在 92% 以上"


def test_task_table_rows_are_cited_by_their_number() -> None:
    text = ("附件\n序号\t主要任务\t主要目标\t牵头部门\n1\t提升产品质量\t重点产品市场抽检合格率达到92%以上。\t区市场监管局\n"
            "2\t控制工业废水\t工业废水95%达标排放。\t区环保局\n")
    draft = qualityrules.extract(text, region="某区", level="district", period="2011..2015")
    assert [(c.section, c.line.split(" cite ")[0]) for c in draft.candidates] == [
        ("附件 序号1", "重点产品市场抽检合格率 达到92%以上"), ("附件 序号2", "工业废水达标排放率 >= 95%")]


def test_every_citation_names_the_document_the_section_and_the_verbatim_phrase() -> None:
    text = "某某市人民政府文件\n某政发〔2023〕5号\n" + GOALS + "(一)产品质量。制造业产品质量合格率达到 95% 以上。"
    draft = qualityrules.extract(text, level="city", period="2023..2025")
    assert draft.candidates[0].rule is not None
    citation = draft.candidates[0].rule.citation
    assert citation is not None and citation.text == "某政发〔2023〕5号 二(一): 制造业产品质量合格率达到 95% 以上"


def test_candidates_carry_their_span_in_the_plan_and_a_confidence() -> None:
    text = GOALS + "到2025年，PM2.5年均浓度控制在33微克/立方米以下，城镇调查失业率5.5%左右。"
    draft = qualityrules.extract(text, region="某市", level="city")
    for candidate in draft.candidates:
        assert candidate.span.text == candidate.phrase
        assert candidate.span.line == 2
        assert 0 < candidate.confidence <= 1
    assert draft.candidates[0].confidence > draft.candidates[1].confidence  # 左右 is doubtful


# ------------------------------------------------------------------------------------------
# The kinds of target sentence


def test_several_targets_in_one_sentence_and_a_verb_carried_through_a_list() -> None:
    assert lines(GOALS + "“十三五”期间，争取培育中国世界名牌产品2―3个，中国名牌产品30个以上，广东省名牌产品50个以上。",
                 period="2016..2020") == [
        "争取 累计 新增中国世界名牌产品 2-3个", "争取 累计 新增中国名牌产品 30个以上", "争取 累计 新增广东省名牌产品 50个以上"]


def test_a_name_carried_over_from_the_clause_before() -> None:
    assert lines(GOALS + "到2015年，实现知名品牌生产企业超1000亿元1家，超100亿元5家以上，超亿元企业500家以上。",
                 period="2011..2015") == [
        "到2015年 超1000亿元名牌企业 >= 1家", "到2015年 超100亿元名牌企业 5家以上", "到2015年 超1亿元名牌企业 500家以上"]


def test_a_shared_value_and_values_paired_by_fenbie() -> None:
    assert lines(GOALS + "农产品质量安全例行监测合格率和食品抽检合格率均达到98%以上。") == [
        "农产品质量安全例行监测合格率 达到98%以上", "食品抽检合格率 达到98%以上"]
    assert lines(GOALS + "著名商标、省名牌产品(工业类)和地理标志保护产品分别达到2800个、2000个和80个。") == [
        "著名商标 达到2800个", "省名牌产品(工业类) 达到2000个", "地理标志保护产品 达到80个"]
    assert "QR512" in reviews(GOALS + "农产品质量安全例行监测合格率和食品抽检合格率均达到98%以上。")


def test_magnitudes_denominators_and_a_han_for_inclusive() -> None:
    assert lines(GOALS + "市场主体总量达到1.96万户，有效注册商标总量达到7萬件，制造业产品质量合格率达到95%（含）以上，"
                 "每万人口发明专利拥有量达到12件。") == [
        "市场主体总量 达到1.96万户", "有效注册商标总量 达到7万件", "制造业产品质量合格率 达到95%以上",
        "每万人口发明专利拥有量 达到12件/万人"]


def test_a_denominator_that_is_not_people_is_not_read_as_per_person() -> None:
    draft = qualityrules.extract(GOALS + "每万家市场主体拥有有效发明专利20件，每千人口拥有执业医师3.2人。",
                                 region="某市", level="city", period="2021..2025")
    assert all(c.rule is None for c in draft.candidates) and len(draft.candidates) == 2
    assert {r.message for r in draft.reviews if r.code == "QR514"} == {
        "the unit '件/万家' is not a unit of the rule language yet", "the unit '人/千人' is not a unit of the rule language yet"}


def test_time_qualifiers() -> None:
    assert lines(GOALS + "到2023年，游客满意度达到85%以上。\n每年采用国际标准的产品不少于30个；累计培育标杆企业100家；"
                 "万元GDP水耗较2020年下降15%。") == [
        "到2023年 游客满意度 达到85%以上", "每年 采用国际标准的产品 不少于30个", "累计 培育标杆企业 >= 100家",
        "万元GDP水耗 较2020年下降15%"]


def test_strength_words_and_table_attributes() -> None:
    assert lines(GOALS + "力争新增省级以上质量奖获奖企业2家；确保竣工验收合格率达到100%。", period="2024..2024") == [
        "力争 新增省级以上质量奖获奖企业 >= 2家", "确保 竣工验收合格率 达到100%"]
    table = "专栏1 主要指标\n序号\t指标\t单位\t2020年\t2025年\t属性\n1\t消费品抽查合格率\t%\t91\t≥93\t约束性\n" \
            "2\t新产品产值率\t%\t28\t35以上\t预期性\n"
    assert lines(GOALS + table) == ["到2025年 消费品抽查合格率 >= 93%", "力争 到2025年 新产品产值率 35%以上"]


def test_a_table_laid_out_with_spaces_and_cells_in_words() -> None:
    table = ("专栏1  主要指标\n指标名称        单位    基期值(2020年)    目标值(2025年)    属性\n"
             "制造业产品质量合格率    %    93.2    94以上    约束性\n"
             "单位地区生产总值能耗    —    —    降低13.5%    约束性\n"
             "品牌价值评价企业数    家    12    30    预期性\n")
    assert lines(GOALS + table) == ["到2025年 制造业产品质量合格率 94%以上", "单位地区生产总值能耗 较2020年降低13.5%",
                                    "力争 到2025年 品牌价值评价企业数 >= 30家"]


def test_a_header_less_row_takes_its_last_number_as_the_target_never_the_base() -> None:
    """基期值 | 目标值 without a header: the target is the last cell holding a number, in whatever form
    (a range, a footnote mark after it); the base value before it is not the target."""
    assert lines(GOALS + "城市生活垃圾回收利用率(%) | 30 | 35-40 | 预期性\n森林覆盖率(%) | 40.1 | 41.5* | 约束性\n"
                 "森林蓄积量(%) | 40.1 | 41.5① | 约束性\n空气质量优良天数比率(%)② | 85 | 88 | 约束性\n") == [
        "力争 城市生活垃圾回收利用率 35-40%", "森林覆盖率 >= 41.5%", "森林蓄积量 >= 41.5%", "空气质量优良天数比率 >= 88%"]


def test_a_change_without_a_baseline_year_is_read_against_the_year_before_the_plan() -> None:
    assert lines(GOALS + "单位GDP二氧化碳排放降低18%。") == ["单位GDP二氧化碳排放 较2020年降低18%"]
    assert "QR513" in reviews(GOALS + "单位GDP二氧化碳排放降低18%。")


def test_doubtful_readings_are_marked_for_review() -> None:
    text = GOALS + "工业废水达标排放率90%，城镇调查失业率5.5%左右，单位GDP能耗降低13.5%。"
    draft = qualityrules.extract(text, region="某市", level="city", period="2021..2025")
    assert {"QR510", "QR511", "QR513"} <= {r.code for r in draft.reviews}
    assert "# review: QR510" in draft.text and "# review: QR511" in draft.text
    assert lines(text)[0] == "工业废水达标排放率 >= 90%"


def test_targets_the_language_cannot_write_yet_are_kept_as_commitments_for_review() -> None:
    text = GOALS + "研发经费投入年均增长7%以上，全市质量提升培训活动达到50场次以上，能耗比上年下降3%。"
    draft = qualityrules.extract(text, region="某市", level="city", period="2021..2025")
    assert all(c.rule is None for c in draft.candidates) and len(draft.candidates) == 3
    assert [line.split(" cite ")[0].strip() for line in draft.text.splitlines() if "commitment" in line] == [
        'commitment "研发经费投入年均增长7%以上"', 'commitment "质量提升培训活动达到50场次以上"',
        'commitment "能耗比上年下降3%"']
    assert {"QR514", "QR520"} <= {r.code for r in draft.reviews}


@pytest.mark.parametrize("sentence", [
    "根据《质量发展纲要（2011—2020年）》和粤府〔2010〕84号文件，制定本方案。",  # document numbers, titles
    "2020年，全市生产总值达1.75万亿元，五年增长84.21%。",  # a baseline fact
    "全省形成了“三大高地”的发展格局，落实“四个最严”要求，推进“一带一路”建设。",  # slogans
    "本意见自2023年5月12日起施行，联系电话：0779-1234567。",  # dates, phone numbers
    "完善12个质量分指数，调查全市168座水库。",  # counts of what exists
    "超过国务院《质量发展纲要》提出的80和75的目标要求。",  # another document's targets
    "组织召开第十四届中国国际人才交流大会和3.15国际消费者权益日活动。",  # ordinals, days
    "生产性服务业顾客满意度已达到85%。",  # already reached
    "近年来，全市产品质量合格率达到93.5%，常住人口1768万人。",  # facts of recent years
])
def test_numbers_that_are_not_targets_are_left_out(sentence: str) -> None:
    assert lines(GOALS + sentence, period="2021..2025") == []


def test_a_bare_total_outside_the_goals_is_a_fact_a_bare_rate_is_a_target() -> None:
    tasks = "三、重点任务\n（一）提升工程质量。"
    assert lines(tasks + "全市常住人口1768万人，建筑节能专项验收合格率100%。") == ["建筑节能专项验收合格率 == 100%"]


def test_a_rank_among_peers() -> None:
    assert lines(GOALS + "制造业质量竞争力指数保持全国前10位，质量工作考核进入全省前三名。") == [
        "每年 制造业质量竞争力指数全国排名 <= 10位", "质量工作考核全省排名 <= 3位"]


def test_han_after_the_suffix() -> None:
    assert lines(GOALS + "制造业产品质量合格率94%以上（含），顾客满意度90分（含90分）以上。") == [
        "制造业产品质量合格率 94%以上", "顾客满意度 90分以上"]


def test_bu_han_excludes_the_number_and_is_no_target_of_its_own() -> None:
    """90%以上(不含90%) is above 90 %: it read as 90 % or more, and the 90% inside the brackets as a
    second target '(不含)比例 >= 90%'."""
    assert lines(GOALS + "投诉处理满意率90%以上(不含90%)，重大事故起数控制在5起以下（不含），A率95%(不含)。") == [
        "投诉处理满意率 90%以上(不含)", "重大事故起数 控制在5起以下(不含)"]


def test_an_indicator_table_under_a_category_column_merged_over_its_rows() -> None:
    table = ("表1　主要指标\n类别\t序号\t指标名称\t2020年\t2025年\t属性\n"
             "产品质量\t1\t制造业产品质量合格率（%）\t93.1\t＞94\t约束性\n"
             "\t2\t食品抽检合格率（%）\t98.2\t≥98.5\t约束性\n"
             "品牌\t3\t每万人口高价值发明专利拥有量（件）\t3.1\t6\t预期性\n"
             "\t4\t市场主体总量（万户）\t85.2\t120\t预期性\n"
             "\t5\t单位地区生产总值能耗降低（%）\t—\t〔13.5〕\t约束性\n"
             "\t6\t全员劳动生产率增长（%）\t—\t年均6以上\t预期性\n")
    draft = qualityrules.extract(GOALS + table, region="某市", level="city", period="2021..2025")
    assert [(c.section, c.line.split(" cite ")[0]) for c in draft.candidates] == [
        ("二 表1 序号1", "到2025年 制造业产品质量合格率 > 94%"),
        ("二 表1 序号2", "到2025年 食品抽检合格率 >= 98.5%"),
        ("二 表1 序号3", "力争 到2025年 每万人口高价值发明专利拥有量 >= 6件/万人"),
        ("二 表1 序号4", "力争 到2025年 市场主体总量 >= 120万户"),
        ("二 表1 序号5", "单位地区生产总值能耗 较2020年降低13.5%"),
        ("二 表1 序号6", 'commitment "6 | 全员劳动生产率增长（%） | — | 年均6以上 | 预期性"')]
    assert draft.candidates[3].rule is not None and first_value(draft.candidates[3]) == 1200000


def first_value(candidate: Candidate) -> object:
    assert candidate.rule is not None
    return next(iter(m.quantities(candidate.rule.target))).value


@pytest.mark.parametrize("table", [
    "序号\t指标\t2025年\t属性\n1\t规模以上工业企业质量管理\t90\t约束性\n\t体系认证率（%）\t\t\n",
    "类别\t序号\t指标\t2025年\t属性\n产品\t1\t规模以上工业企业质量管理\t90\t约束性\n\t\t体系认证率（%）\t\t\n",
])
def test_a_row_continued_after_a_page_break_is_still_one_row(table: str) -> None:
    assert lines(GOALS + table) == ["到2025年 规模以上工业企业质量管理体系认证率 >= 90%"]


def test_signs_denominators_and_units_with_a_classifier_in_prose() -> None:
    assert lines(GOALS + "消费投诉按期办结率≥98%，食品安全抽检量保持在每千人5批次以上，"
                 "企业开办时间压缩至1个工作日以内，审批时限缩短至3个工作日。") == [
        "消费投诉按期办结率 >= 98%", "食品安全抽检量 保持在5批次/千人以上", "企业开办时间 降至1工作日以内",
        "审批时限 降至3工作日"]


def test_fenbie_with_a_change_and_with_verbs_that_share_their_object() -> None:
    assert lines(GOALS + "单位地区生产总值能耗和二氧化碳排放分别下降13%、14%，"
                 "主导和参与制修订国家标准、行业标准分别达到200项、300项。") == [
        "单位地区生产总值能耗 较2020年下降13%", "单位地区生产总值二氧化碳排放 较2020年下降14%",
        "累计 主导和参与制修订国家标准 达到200项", "累计 主导和参与制修订行业标准 达到300项"]


def test_fenbie_before_a_baseline_pairs_every_value_with_the_change() -> None:
    """分别比2020年下降14%、18%: both values are falls against 2020 (the second was read as the level
    at most 18 % of both names)."""
    assert lines(GOALS + "单位地区生产总值能耗、二氧化碳排放分别比2020年下降14%、18%。") == [
        "单位地区生产总值能耗 较2020年下降14%", "单位地区生产总值二氧化碳排放 较2020年下降18%"]


def test_a_strength_word_after_the_subject_holds_in_its_clause_only() -> None:
    assert lines(GOALS + "中国质量奖力争实现零的突破，认证企业达到300家；力争到2025年，A率达到90%，B率达到80%。") == [
        "力争 中国质量奖 >= 1", "认证企业 达到300家", "力争 到2025年 A率 达到90%", "力争 到2025年 B率 达到80%"]


def test_chinese_numerals_ending_a_list_and_a_magnitude_that_names_a_denominator() -> None:
    assert lines(GOALS + "新增中国驰名商标两件、省级名牌产品二十个，坚持两个毫不动摇，特种设备万台死亡率控制在0.15以下。") == [
        "累计 中国驰名商标 >= 两件", "累计 省级名牌产品 >= 二十个", "特种设备万台死亡率 控制在0.15以下"]


def test_per_part_and_decimal_chinese_numerals_in_prose() -> None:
    """百分之九十五 (95 %), 千分之五 (5 ‰) and 八十五点五 (85.5) are read with their value and unit,
    written as the plan prints them (the rule language reads them too); 百分之九十五% is no
    reading to guess at, and a slogan's numeral stays out."""
    assert lines(GOALS + "城市生活污水处理率达到八十五点五%，工业废水达标排放率达到百分之九十五以上，"
                 "重点产品抽检合格率保持在百分之百，万元GDP能耗比2020年下降百分之十五，事故死亡率控制在千分之五以内，"
                 "森林覆盖率达到百分之四十%，建设三大高地。") == [
        "城市生活污水处理率 达到八十五点五%", "工业废水达标排放率 达到百分之九十五以上", "重点产品抽检合格率 == 100%",
        "万元GDP能耗 较2020年下降百分之十五", "事故死亡率 控制在千分之五以内"]


def test_a_running_total_and_a_sum_over_the_period() -> None:
    assert lines(GOALS + "团体标准累计达到150项。每年培育质量标杆企业10家，累计达到50家。") == [
        "团体标准 达到150项", "每年 培育质量标杆企业 >= 10家", "累计 培育质量标杆企业 达到50家"]
    assert lines(GOALS + "新增认证企业20家，累计达到120家，累计创建示范项目超过30个。", period="2024..2024") == [
        "新增认证企业 >= 20家", "认证企业 达到120家", "示范项目 超过30个"]
    assert "QR518" in reviews(GOALS + "团体标准累计达到150项。")


def test_an_average_per_year_is_neither_a_total_nor_each_year() -> None:
    """年均新增就业5万人 is 5万 a year on average (25万 over five years): it was drafted as a total of
    at least 5万 over the period. The language cannot write it: a commitment for review."""
    draft = qualityrules.extract(GOALS + "年均新增就业5万人，PM2.5年均浓度控制在35微克/立方米以下。", region="某市",
                                 level="city", period="2021..2025")
    assert [c.rule is None for c in draft.candidates] == [True, False]
    assert "QR520" in {r.code for r in draft.candidates[0].reviews}


def test_a_goal_titled_like_an_achievement_is_not_the_past() -> None:
    text = "一、工作目标\n（一）品牌建设成效明显。知名品牌达到50个。\n二、发展成效\n知名品牌达到30个。"
    assert lines(text) == ["知名品牌 达到50个"]


def test_bare_counts_in_the_tasks_are_targets_unless_they_describe_the_region() -> None:
    tasks = "二、重点任务\n（一）品牌培育工程。"
    assert lines(tasks + "实施质量攻关项目40项，区域品牌授权使用企业2.5万家，全市常住人口1768万人。") == [
        "实施质量攻关项目 >= 40项", "区域品牌授权使用企业 >= 2.5万家"]


def test_no_accident_in_words() -> None:
    assert lines(GOALS + "无重大质量安全事故，全年不发生重大产品质量安全事故和区域性食品安全事件。") == [
        "重大质量安全事故 零事故", "重大产品质量安全事故 零事故", "区域性食品安全事件 零事故"]


def test_a_level_and_a_change_on_one_indicator_are_both_drafted() -> None:
    draft = qualityrules.extract(GOALS + "制造业产品质量合格率达到94.5%，较2020年提高1.8个百分点以上。",
                                 region="某市", level="city", period="2021..2025")
    assert [c.line.split(" cite ")[0] for c in draft.candidates] == [
        "制造业产品质量合格率 达到94.5%", "制造业产品质量合格率 较2020年提高1.8个百分点以上"]
    assert draft.candidates[1].rule is not None and draft.candidates[1].rule.unenforced is not None
    assert not [d for d in draft.lint if d.severity is Severity.ERROR]


def test_a_statement_made_in_the_text_and_in_a_table_takes_the_tables_strength() -> None:
    text = (GOALS + "市场主体总量达到120万户。\n专栏1 主要指标\n序号\t指标\t2025年\t属性\n"
            "1\t市场主体总量（万户）\t120\t预期性\n")
    draft = qualityrules.extract(text, region="某市", level="city", period="2021..2025")
    assert [(c.section, c.line.split(" cite ")[0]) for c in draft.candidates] == [
        ("二; 二 专栏1 序号1", "力争 市场主体总量 达到120万户")]
    assert "QR517" in {r.code for r in draft.candidates[0].reviews}


def test_a_phrase_holding_every_quote_style_is_still_writable() -> None:
    draft = qualityrules.extract('一、95%“三大高地”"」', region="某市", level="city", period="2021..2025")
    assert not [d for d in draft.lint if d.severity is Severity.ERROR]


def test_a_title_ending_with_its_period_names_the_document() -> None:
    draft = qualityrules.extract("柳岸区“十四五”质量发展规划（2021—2025年）\n一、发展目标\n消费者满意度达到82分。")
    assert draft.facts.title == "柳岸区“十四五”质量发展规划(2021—2025年)"
    assert draft.candidates[0].line.split(" cite ")[1].startswith('"柳岸区“十四五”质量发展规划(2021—2025年) 一:')


def test_page_numbers_of_a_pdf_copy_inside_a_sentence() -> None:
    text = (GOALS + "1.开展质量攻关。组织实施质量攻关项目30项，推动规模以上工业企业质量管理体系认证\n"
            "\n— 2 —\n\n覆盖率提高到92%。\n- 3 -\n")
    draft = qualityrules.extract(text, region="某市", level="city", period="2023..2023")
    assert [(c.section, c.line.split(" cite ")[0], c.phrase) for c in draft.candidates] == [
        ("二1", "组织实施质量攻关项目 >= 30项", "组织实施质量攻关项目30项"),
        ("二1", "规模以上工业企业质量管理体系认证覆盖率 提高到92%", "推动规模以上工业企业质量管理体系认证覆盖率提高到92%")]


def test_the_lines_of_the_web_page_around_a_plan_are_not_read() -> None:
    text = ("当前位置：首页 > 政务公开 > 规划计划\n【字体：大 中 小】 【打印】 【关闭】\n"
            "发布时间：2022-03-15 10:30  来源：市市场监管局  浏览次数：3562次\n某市质量发展“十四五”规划\n"
            "一、主要目标\n到2025年，制造业产品质量合格率达到95%。\n扫一扫在手机打开当前页\n"
            "网站标识码：4401000012  ICP备案号：粤ICP备05012345号-1  技术支持：某某公司\n")
    draft = qualityrules.extract(text, region="某市", level="city")
    assert [c.line.split(" cite ")[0] for c in draft.candidates] == ["到2025年 制造业产品质量合格率 达到95%"]
    assert draft.facts.title == "某市质量发展“十四五”规划"


def test_a_verb_repeated_with_a_number_counts_the_object_of_the_clause_before() -> None:
    text = ("三、重点任务\n（一）实施质量强企行动。①开展企业首席质量官培训，每年培训100人次以上；②培育县长质量奖企业，"
            "到2024年累计培育6家；③推动中小企业开展对标达标，达标企业比例提高到40%。")
    assert lines(text, period="2023..2025") == [
        "每年 企业首席质量官培训 100人次以上", "累计 县长质量奖企业 >= 6家", "达标企业比例 提高到40%"]
    assert "QR512" in reviews(text, period="2023..2025")


def test_a_sentence_without_a_name_counts_what_the_sentence_before_named() -> None:
    assert lines(GOALS + "到2023年，区内检验检测机构达到45家；2025年，达到60家左右。") == [
        "到2023年 区内检验检测机构 达到45家", "到2025年 区内检验检测机构 达到60家左右"]


def test_a_list_run_into_a_paragraph_ends_with_it() -> None:
    text = (GOALS + "到2025年：（1）产品质量方面，抽查合格率达到95%；（2）服务质量方面，满意度达到85分。\n"
            "到2027年，认证率达到90%以上，质量发展水平位居全市前三。\n")
    draft = qualityrules.extract(text, region="某县", level="district", period="2023..2025")
    assert [(c.section, c.line.split(" cite ")[0]) for c in draft.candidates] == [
        ("二(1)", "抽查合格率 达到95%"), ("二(2)", "满意度 达到85分"), ("二", "到2027年 认证率 达到90%以上"),
        ("二", "到2027年 质量发展水平全市排名 <= 3位")]


def test_zero_stated_of_a_rate_or_a_count_of_accidents() -> None:
    assert lines(GOALS + "重大质量安全事故发生率为零，安全生产事故死亡人数为零。") == [
        "重大质量安全事故发生率 零事故", "安全生产事故死亡人数 零事故"]


def test_steady_by_the_plans_last_year_holds_in_every_year() -> None:
    assert lines(GOALS + "到2020年，制造业产品质量合格率稳定在95%以上，到2019年，A率稳定在90%以上。",
                 period="2018..2020") == ["制造业产品质量合格率 稳定在95%以上", "到2019年 A率 稳定在90%以上"]


def test_a_total_to_a_year_past_the_plan_period_is_marked() -> None:
    draft = qualityrules.extract(GOALS + "到2027年累计培育质量标杆企业6家。", region="某市", level="city",
                                 period="2023..2025")
    assert any(r.code == "QR518" and "2027" in r.message for r in draft.candidates[0].reviews)


def test_a_table_of_yearly_targets_gives_a_target_for_each_year_of_the_plan() -> None:
    table = ("序号\t指标\t单位\t2022年现状\t2023年\t2024年\t2025年\t2035年\n"
             "1\t制造业产品质量合格率\t%\t93.2\t93.5\t94\t94.5\t96\n"
             "2\t企业开办时间\t个工作日\t3\t2\t1.5\t1以内\t0.5\n")
    assert lines(GOALS + table, period="2023..2025") == [
        "到2023年 制造业产品质量合格率 >= 93.5%", "到2024年 制造业产品质量合格率 >= 94%",
        "到2025年 制造业产品质量合格率 >= 94.5%", "到2023年 企业开办时间 <= 2工作日",
        "到2024年 企业开办时间 <= 1.5工作日", "到2025年 企业开办时间 1工作日以内"]


def test_a_fall_by_a_share_and_a_change_against_the_end_of_a_five_year_plan() -> None:
    assert lines(GOALS + "办理时限压缩50%以上，特种设备安全事故起数较“十三五”末下降10%，A率比“十二五”期末提高5个百分点。") == [
        "办理时限 较2020年下降50%以上", "特种设备安全事故起数 较2020年下降10%", "A率 较2015年提高5个百分点"]
    assert "QR513" in reviews(GOALS + "办理时限压缩50%以上。")
    assert lines(GOALS + "重度污染天数比例削减10%。") == ["重度污染天数比例 较2020年下降10%"]


def test_first_place_in_the_province_city_or_district() -> None:
    assert lines(GOALS + "质量工作考核力争保持全市第一，制造业质量竞争力指数位居全省首位。") == [
        "力争 每年 质量工作考核全市排名 <= 1位", "制造业质量竞争力指数全省排名 <= 1位"]


# ------------------------------------------------------------------------------------------
# The catalogue


def test_names_and_aliases_bind_near_matches_are_only_suggested() -> None:
    draft = qualityrules.extract(GOALS + "工业废水95%达标排放，城镇调查失业率控制在5.5%以内。",
                                 region="某市", level="city", period="2021..2025")
    bound, unknown = draft.candidates
    assert (bound.indicator, bound.bound) == ("工业废水达标排放率", True)
    assert (unknown.indicator, unknown.bound) == ("城镇调查失业率", False)
    assert "城镇登记失业率" in unknown.suggestions
    assert [i.name for i in draft.proposed] == ["城镇调查失业率"]
    assert draft.proposed[0].unit == "%" and draft.proposed[0].direction.value == "lower"
    assert "indicator 城镇调查失业率" in draft.catalogue_text


def test_a_unit_the_catalogue_states_more_fully_is_completed_and_noted() -> None:
    draft = qualityrules.extract(GOALS + "万元GDP能耗0.47吨标准煤，万元GDP水耗低于21立方米。",
                                 region="某区", level="district", period="2011..2015")
    assert [c.line.split(" cite ")[0] for c in draft.candidates] == [
        "万元GDP能耗 <= 0.47吨标准煤/万元", "万元GDP水耗 低于21立方米/万元"]
    assert "QR521" in {r.code for r in draft.reviews}


# ------------------------------------------------------------------------------------------
# The draft


def test_every_drafted_rule_parses_alone_and_the_draft_is_in_canonical_form() -> None:
    text = (Path(__file__).parent / "fixtures" / "plans" / "province-2025.txt").read_text(encoding="utf-8")
    draft = qualityrules.extract(text)
    for candidate in draft.rules:
        assert parse_rule_text(candidate.line).indicator == candidate.indicator
    rule_file, diagnostics = parse_text(draft.text, source="draft.qr")
    assert not [d for d in diagnostics if d.severity is Severity.ERROR]
    assert format_file(rule_file) == draft.text
    assert not [d for d in draft.lint if d.severity is Severity.ERROR]


def test_extends_marks_restatements_override_and_keeps_looser_ones_unenforced() -> None:
    text = (Path(__file__).parent / "fixtures" / "sources" / "001_b39b41736306a56a.txt").read_text(encoding="utf-8")
    draft = qualityrules.extract(text, extends="guangdong-2015")
    assert "pack draft-2015 extends guangdong-2015" in draft.text
    assert "override 重点产品市场抽检合格率 达到92%以上" in draft.text
    assert not [d for d in draft.lint if d.severity is Severity.ERROR]
    looser = qualityrules.extract(GOALS + "重点产品市场抽检合格率达到85%以上。", extends="guangdong-2015",
                                  region="某区", level="district", period="2011..2015")
    assert looser.candidates[0].rule is not None and looser.candidates[0].rule.unenforced is not None
    assert "QR522" in {r.code for r in looser.reviews}
    assert not [d for d in looser.lint if d.severity is Severity.ERROR]


def test_diff_against_the_pack_the_text_was_encoded_in() -> None:
    text = (Path(__file__).parent / "fixtures" / "sources" / "003_d1ba5b3161bba1b9.txt").read_text(encoding="utf-8")
    comparison = qualityrules.extract(text).diff("shenzhen-2016")
    assert len(comparison.same) == 19
    pack_only = [r.indicator.name for r in comparison.pack_only]
    assert "建设工程抽检情况社会通报次数" in pack_only  # 每季度向社会通报: no number in the text
    report = comparison.to_text()
    assert "the pack states, the text does not say" in report
    assert json.loads(comparison.to_json())["pack"] == "shenzhen-2016"


def test_a_text_without_targets_gives_an_empty_draft_that_lints() -> None:
    draft = qualityrules.extract("关于加强质量工作的通知\n各单位要高度重视质量工作。", region="某市", level="city",
                                 period="2024..2024")
    assert draft.candidates == () and not [d for d in draft.lint if d.severity is Severity.ERROR]
    assert "0 target(s) drafted" in draft.summary()


# ------------------------------------------------------------------------------------------
# Command line


SOURCE = Path(__file__).parent / "fixtures" / "sources" / "001_b39b41736306a56a.txt"


def test_cli_writes_the_draft_and_its_catalogue_and_they_lint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "longgang-draft.qr"
    assert main(["extract", str(SOURCE), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out} and {tmp_path / 'longgang-draft.catalogue.qr'}" in printed
    assert "pack longgang-draft {" in out.read_text(encoding="utf-8")  # the id follows the file name
    assert main(["lint", str(out), str(tmp_path / "longgang-draft.catalogue.qr")]) == 0
    assert "0 error(s)" in capsys.readouterr().out
    assert main(["lint", str(out)]) == 1  # without its catalogue the proposed indicators are unknown


def test_cli_json_and_diff(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(SOURCE), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pack"] == "draft-2015" and len(data["candidates"]) == 35
    assert {"line", "section", "phrase", "line_in_plan", "confidence", "reviews"} <= set(data["candidates"][0])
    assert main(["extract", str(SOURCE), "--diff", "longgang-2015"]) == 0
    assert "the text states, the pack lacks" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "code"), [
    (["extract", "missing-plan.txt"], "QR201"),
    (["extract", str(SOURCE), "--period", "2015..2011"], "QR301"),
    (["extract", str(SOURCE), "--id", "Not An Id"], "QR301"),
    (["extract", str(SOURCE), "-o", "/"], "QR301"),
    (["extract", str(SOURCE), "--extends", "no-such-pack"], "QR103"),
])
def test_cli_user_errors_exit_2_without_a_traceback(argv: list[str], code: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"[{code}]" in err and "Traceback" not in err


def test_the_console_script_runs_extract(tmp_path: Path) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_bytes(PLAN.encode("gb18030"))
    script = Path(sys.executable).with_name("qualityrules")
    result = subprocess.run([str(script), "extract", str(plan), "--region", "某市", "--level", "city"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "制造业产品质量合格率 达到94%以上" in result.stdout
    assert "2 target(s) drafted" in result.stderr


# ------------------------------------------------------------------------------------------
# Hostile input: any text gives a draft that parses and lints, or a located user error


_PIECES = st.sampled_from([
    "一、", "（二）", "3.", "（1）", "①", "附件", "序号\t指标\t目标值\n", "\t", "\n", "。", "，", "、", "；", "：",
    "到2025年", "每年", "累计", "力争", "争取", "确保", "较2020年", "下降", "提高", "分别", "均", "其中", "全市",
    "达到", "不低于", "超过", "以上", "以下", "左右", "(含)", "约", "近", "稳定在", "控制在",
    "95%", "3万家", "1.96万户", "7萬件", "五家", "百家", "2―3个", "30-40家", "0.47吨标准煤", "28微克/立方米",
    "4.5批次/千人", "每万人口", "12件", "零事故", "全部达到国家标准", "保持全国第一", "“三大高地”",
    "制造业产品质量合格率", "工业废水", "达标排放", "重点产品市场抽检合格率", "培育", "新增", "企业", "标准",
    "粤府〔2010〕84号", "2011年3月21日", "PM2.5", "GB/T19004", "\"", "“", "」", "#", "{", "}", "\\", "cite",
    "≥", "表1", "类别\t序号\t指标名称\t2025年\t属性\n", "\t2\t", "〔18〕", "年均", "万台", "两件", "二十个",
    "不发生", "无", "压缩至", "7个工作日", "每千人", "（万户）", "「", "预期性", "约束性",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=40))
def test_any_text_gives_a_draft_that_lints_or_a_located_error(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        draft = qualityrules.extract(text, region="某市", level="city", period="2021..2025")
    except QualityRulesError as error:
        assert error.code.startswith("QR")
        return
    assert not [d.render() for d in draft.lint if d.severity is Severity.ERROR]
    for candidate in draft.rules:
        parse_rule_text(candidate.line)
    assert all(re.fullmatch(r"QR5\d\d", r.code) for r in draft.reviews)
