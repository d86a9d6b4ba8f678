"""Finding the quantitative targets in a plan's blocks.

A block's text is read without white space (``万元 GDP 能耗 0.47 吨标准煤`` reads as printed
without the spaces), split into sentences and clauses, and every number is classified: a year or
date, a document number, an ordinal, part of a name (``PM2.5``, ``超1000亿元名牌企业``), a baseline
fact (``2015年…达1.75万亿元``), a count of tasks or slogans (``三大高地``), a denominator
(``每万人口``), or a target. For a target the clause gives the indicator's words, the comparator
words around the number, and the sentence the time and strength words that govern it (carried
from clause to clause, as plans write them).

What a comparator, suffix, strength or change word *means* is the language's business: this
module only finds where they are (their lists come from :mod:`qualityrules.language.parse`), and
the draft writer hands the words to the language's parser.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from decimal import Decimal

import attrs

from ..i18n import Text, tr
from ..language.grammar import grammar_terminals
from ..language.numerals import PER_PART_UNITS, chinese_decimal
from ..language.parse import (
    CHANGE_WORDS,
    COMPARATOR_WORDS,
    STRENGTH_WORDS,
    SUFFIX_WORDS,
    SYMBOLS,
)
from ..language.units import POINT_SPELLINGS, grammar_spellings
from ..packs.reading import split_list
from .reading import PlanText
from .structure import Block

__all__ = ["Finding", "Value", "Review", "find_targets", "Context", "Compact", "five_year_plan_end", "per_value",
           "CLASSIFIED_UNITS"]


# ------------------------------------------------------------------------------------------
# Words of plans that are not words of the rule language (each maps to what the draft writes)

# Verbs introducing a level that the language writes with another word.
EXTRA_PREFIXES: dict[str, str] = {
    "实现": "达到", "保持": "保持在", "稳定": "稳定在", "提高至": "提高至", "提升到": "提升到",
    "上升到": "提高到", "上升至": "提高到", "增至": "增加到", "增长到": "增加到", "增加至": "增加到",
    "达到了": "达到", "下降至": "降至", "降低至": "降至", "降到": "降至", "缩短至": "降至",
    "缩短到": "降至", "压缩至": "降至", "压缩到": "降至", "缩减至": "降至", "缩减到": "降至", "减少到": "降至", "减少至": "降至", "压减到": "降至", "控制到": "控制在",
    "超": "超过", "突破": "超过", "多达": "达到", "约": "约", "大约": "约", "近": "约",
}
# Units plans use that the language cannot write yet: the target is found and reported, and the
# draft keeps it as a commitment for review (QR514).
EXTRA_UNITS = ("个月", "台件", "台套", "场次", "班次", "家次", "户次", "场", "期", "轮", "万户", "万家", "万辆", "万件", "万个", "亿人次", "万人次", "万千瓦", "千瓦时",
               "元/人", "万元/人", "美元/人", "平方米/人", "立方米/人", "张/千人", "人/千人", "床/千人",
               "岁", "辆", "张", "床", "倍", "分贝", "千瓦", "公斤/人", "册", "处", "支", "艘", "架",
               "间", "栋", "株", "头", "只", "吨/年", "毫克/立方米")
# Words for a fall by so much (办理时限压缩50%) that the language writes 下降.
EXTRA_CHANGE_WORDS = {"压缩": "下降", "压减": "下降", "缩短": "下降", "缩减": "下降", "削减": "下降"}
# Verbs before a number that set no bound of their own (the 以上/以下 after it does)
_REACH_WORDS = ("达到", "达", "实现", "保持在", "保持", "稳定在", "稳定", "维持在", "控制在", "提高到", "提高至", "提升到",
                "提升至", "增加到", "降至", "降到", "下降到", "下降至")
# Comparison signs printed before a number (``≥98%``); = and ≠ do not occur in plans' prose.
_SYMBOLS = tuple(sign for sign in SYMBOLS if sign not in ("=", "==", "!=", "≠"))
# A unit printed with the classifier 个 (``7个工作日``), and the unit the language writes.
CLASSIFIED_UNITS = {"个工作日": "工作日", "个小时": "小时"}
# Verbs after which a count names things produced during the plan (a flow, summed: 累计).
FLOW_VERBS = ("组织完成", "组织", "主导或参与制修订", "新制修订", "新制定", "新发布", "新培育", "新认定", "制修订", "新增",
              "新建", "培育", "培训", "育成", "引进",
              "制定", "制订", "修订", "研制", "完成", "争创", "创", "推动", "发布", "认定",
              "评定", "主导", "参与")
# Verbs after which a count names things held at the end (a stock, checked in the target year).
STOCK_VERBS = ("创建", "建设", "建立", "建成", "设立", "打造", "形成", "产生", "拥有", "有", "扶持",
               "获得", "达到", "实现", "在", "将", "使", "让", "支持")  # 落户 is part of a name
LEAD_VERBS = tuple(sorted(FLOW_VERBS + STOCK_VERBS, key=len, reverse=True))
# Verbs that start the predicate of a noun phrase: "规模以上工业企业|获得…认证".
PREDICATE_VERBS = ("获得", "通过", "开展", "实施", "实行", "推行", "采用", "参与", "纳入", "按照", "按",
                   "达到", "达", "落户", "提升", "应用", "使用", "执行", "完成", "建成", "接受", "覆盖",
                   "取得", "进入", "入选", "实现", "具备", "开展")
# Words that open a clause without belonging to the indicator's name.
LEAD_WORDS = ("其中", "同时", "并且", "并", "且", "以及", "此外", "另外", "还要", "要", "必须", "应当",
              "应", "努力", "力争", "争取", "确保", "基本", "进一步", "持续", "继续", "逐步", "稳步",
              "全市", "全省", "全区", "全县", "全国", "我市", "我省", "我区", "我县", "本市", "本省",
              "本区", "本县", "辖区内", "辖区", "各地", "本地", "城乡", "使", "让", "促进",
              "和", "及", "与", "、", "实现", "达到", "将", "在", "通过", "全年", "当年",
              "每年", "年均", "累计", "期间", "以后", "以来", "末", "底", "前")
_TASK_NOUNS = ("任务", "措施", "举措", "行动", "实事", "方面", "环节", "领域", "原则", "理念", "要求",
               "战略", "大类", "大", "最", "个一", "位一体", "体系", "中心任务", "专项行动", "重点工作")
_PAST_WORDS = ("已", "已经", "先后", "曾经", "近年来", "五年来", "十年来", "截至", "截止", "目前", "现有", "以来")
_CN_COUNT_UNITS = ("批次", "个", "家", "名", "项", "件", "所", "座", "条", "款", "部", "种", "台", "套",
                   "户", "篇", "本", "人")


@functools.lru_cache(maxsize=1)
def _units() -> tuple[str, ...]:
    return tuple(sorted({*grammar_spellings(), *EXTRA_UNITS, *CLASSIFIED_UNITS}, key=len, reverse=True))


def _alternatives(words: object) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))  # type: ignore[call-overload]


@functools.lru_cache(maxsize=1)
def _value_pattern() -> re.Pattern[str]:
    prefixes = _alternatives({*COMPARATOR_WORDS, *EXTRA_PREFIXES, *_SYMBOLS})
    units = _alternatives(_units())
    suffixes = _alternatives({*SUFFIX_WORDS, "左右", "之内", "之上"})
    number = r"\d+(?:,\d{3})*(?:\.\d+)?"
    terminals = grammar_terminals()
    cn, per_part = terminals["CN_NUMBER"], terminals["PER_PART"]
    return re.compile(
        rf"(?P<pre>{prefixes})?(?P<fill>全年的)?(?P<per>每(?:十万|万|千|百)(?:人口|人|户|家|台))?(?P<pp>{per_part})?"
        rf"(?:(?P<num>{number})(?P<mag>万亿|亿|万|千)?|(?P<cn>{cn}))(?P<unit>{units})?"
        rf"(?:(?P<sep>[-―—–~至])(?:(?P<num2>{number})(?P<mag2>万亿|亿|万|千)?|(?P<cn2>{cn}))(?P<unit2>{units})?)?"
        rf"(?:\((?P<not1>不)?含[^)]{{0,6}}\))?(?P<suf>{suffixes})?(?:\((?P<not2>不)?含[^)]{{0,6}}\))?")


_TIME = re.compile(
    r"(?<![较比与])(?P<to>到|至|截至|截止到|于|在)?(?P<year>\d{4})年(?P<end>底|末|前|年底)?"
    r"|(?<![较比与“\"])(?P<fyp>[“\"]?十(?P<fypn>[一二三四五六七])五[”\"]?)(?P<fyp_when>期间|时期|期末|末期|末|规划期)?"
    r"|(?P<span>\d{4}\s*[-—―–~至]\s*\d{4}\s*年)"
    r"|(?P<every>每年|年年|逐年|连续(?:\d+|[一二三四五六七八九十]+)年)|(?P<total>累计)|(?P<whole>全年)|(?P<annual>年均)")
_BASELINE = re.compile(r"(?P<cmp>较|比|相比|与)(?:(?P<year>\d{4})年|[“\"]?十(?P<base_fyp>[一二三四五六七])五[”\"]?(?:期末|末))"
                       r"(?:相比|比)?(?P<adverb>累计|大幅|分别)?")
_QUOTED = re.compile(r"“[^”]{0,12}”|\"[^\"]{0,12}\"|《[^》]*》|〔[^〕]*〕|\[[^\]]*\]")
_DOC_NUMBER = re.compile(r"[〔\[(]\d{4}[〕\])]\d+号")
_NOT_A_TARGET_AFTER = re.compile(r"号|届|周年|中全会|次会议|次全会|月\d|月份|日|点\d|:\d|大[\u4e00-\u9fff]{2}|多年|余年|年代|年来|年间|年内")
_STRENGTH = re.compile(_alternatives({w for w in STRENGTH_WORDS if not w.isascii()}))


@attrs.frozen
class Review:
    """Why a reading needs a person's look: a code (QR5xx) and a sentence."""

    code: str
    message: Text


@attrs.frozen
class Value:
    """A number as written, its exact value (magnitude applied) and unit spelling."""

    written: str
    number: Decimal
    unit: str | None


@attrs.frozen
class Finding:
    """One target read from the text, before it is bound to the catalogue and written."""

    block: Block
    subject: str                       # the indicator's words, as the clause gives them
    names: tuple[str, ...]             # names to look up in the catalogue, best first
    target: str                        # the target as the language reads it (达到92%以上, 较2015年下降18.5%)
    value: Value
    time: tuple[str, int | None]       # ("year", 2015) | ("every", None) | ("total", None) | ("default", None)
    strength_word: str | None          # 力争 / 争取 / 确保 …, or 约束性/预期性 from a table
    start: int                         # normalised offsets of the quoted phrase
    end: int
    reviews: tuple[Review, ...] = ()
    expressible: bool = True           # the language can write the target today
    confidence: float = 0.9
    pieces: tuple[tuple[int, int], ...] = ()   # the quoted phrase, as normalised ranges


@attrs.frozen
class Context:
    """What the whole document tells every clause: the plan period and its target year."""

    period: tuple[int, int] | None
    target_year: int | None


class Compact:
    """Text without white space, each character mapped to its normalised offset."""

    def __init__(self, text: str, ranges: list[tuple[int, int]]) -> None:
        chars: list[str] = []
        index: list[int] = []
        for start, end in ranges:
            for position in range(start, end):
                ch = text[position]
                if not ch.isspace():
                    chars.append(ch)
                    index.append(position)
        self.text = "".join(chars)
        self.index = index
        self.pieces = tuple(ranges)
        self.masked = _masked(self.text, 0, len(self.text))

    def start(self, i: int) -> int:
        return self.index[i] if i < len(self.index) else (self.index[-1] + 1 if self.index else 0)

    def end(self, i: int) -> int:
        return self.index[i - 1] + 1 if i > 0 else self.start(0)

    def ranges(self, i: int, j: int) -> tuple[tuple[int, int], ...]:
        """The normalised ranges holding compact characters ``i:j`` (one range unless the
        phrase crosses from one piece of a table cell to the next)."""
        if j <= i:
            return ()
        low, high = self.index[i], self.index[j - 1] + 1
        out = [(max(a, low), min(b, high)) for a, b in self.pieces if a < high and low < b]
        return tuple(out)


# ------------------------------------------------------------------------------------------
# Entry point


def find_targets(plan: PlanText, block: Block, context: Context) -> list[Finding]:
    """Every target of a paragraph (table rows: :func:`.tables.row_targets`)."""
    if block.baseline:
        return []
    compact = Compact(plan.text, [(block.start, block.end)])
    return list(read_prose(plan, block, compact, context))


def read_prose(plan: PlanText, block: Block, compact: Compact, context: Context,
               strength: str | None = None) -> Iterator[Finding]:
    """The targets of a text, sentence by sentence. A year named in a sentence holds in the
    sentences after it, except that one named inside an item of a list (①…；②…) ends with the
    item; a sentence with no words for what it counts (``2025年，达到60家左右``) counts what the
    sentence before named last."""
    text = compact.text
    paragraph_year: tuple[str, int | None, str | None] | None = None
    year_before_list: tuple[str, int | None, str | None] | None = None
    in_list = False
    subject: str | None = None
    for start, end in _sentences(text):
        if _list_item(plan, compact, start):
            if in_list:
                paragraph_year = year_before_list
            else:
                year_before_list, in_list = paragraph_year, True
        reader = _SentenceReader(plan, block, compact, context, start, end, paragraph_year, strength, subject)
        yield from reader.read()
        paragraph_year = reader.carried_year
        subject = reader.subjects[-1] if reader.subjects else subject


_LIST_MARK = re.compile(r"[(（]?[一二三四五六七八九十\d]{1,2}[)）]|[一二三四五六七八九十]是|\d{1,2}[.、]")


def _list_item(plan: PlanText, compact: Compact, start: int) -> bool:
    """Whether the sentence at ``start`` opens an item of a list: ①, (1), 1., 一是."""
    if start >= len(compact.index):
        return False
    first, _ = plan.original(compact.index[start], compact.index[start] + 1)
    if plan.source.text[first:first + 1] in "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳":
        return True
    return bool(_LIST_MARK.match(compact.text, start))


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for match in re.finditer(r"[。;!?]", text):
        if match.start() > start:
            yield start, match.start()
        start = match.end()
    if start < len(text):
        yield start, len(text)


# ------------------------------------------------------------------------------------------
# One sentence


@attrs.define
class _Clause:
    start: int
    end: int


@attrs.define
class _Match:
    """A number in a clause with the words around it."""

    start: int
    end: int
    value: Value
    high: Value | None
    pre: str | None
    fill: bool
    suffix: str | None
    number_start: int
    per: str | None = None          # 每千人 written between the comparator and the number


class _SentenceReader:
    """Reads one sentence clause by clause. Time words (到2015年, “十一五”期间) and strength words
    (力争, 争取, 确保) hold to the end of the sentence; 每年 and 累计 hold in their clause; a verb
    (培育, 新增) and the noun of a name (``知名品牌生产企业``) carry to the clauses that omit them."""

    def __init__(self, plan: PlanText, block: Block, compact: Compact, context: Context, start: int, end: int,
                 paragraph_year: tuple[str, int | None, str | None] | None, strength: str | None,
                 subject_before: str | None = None) -> None:
        self.plan = plan
        self.block = block
        self.compact = compact
        self.text = compact.text
        self.context = context
        self.start = start
        self.end = end
        self.carried_year = paragraph_year
        self.sentence_time: tuple[str, int | None, str | None] | None = paragraph_year
        self.clause_time: tuple[str, int | None, str | None] | None = None
        self.strength: str | None = strength
        self.clause_strength = False  # the strength word holds in the current clause only
        self.lead_verb: str | None = None
        self.head: str | None = None
        self.subjects: list[str] = []
        self.past = False
        self.not_targets = False
        self.topic: str | None = None
        self.previous = ""  # the last clause without a number
        self.subject_before = subject_before  # the name the sentence before counted last
        self.pending: list[Finding] = []

    @property
    def time(self) -> tuple[str, int | None, str | None] | None:
        return self.clause_time or self.sentence_time

    # -- clauses
    def clauses(self) -> list[_Clause]:
        text = self.text
        cuts = [self.start]
        for position in range(self.start, self.end):
            if text[position] in ",:" and not self._thousands(position):
                cuts.append(position + 1)
        cuts.append(self.end + 1)
        out = []
        for a, b in zip(cuts, cuts[1:], strict=False):
            out.extend(self._split_after_values(a, b - 1))
        return [c for c in out if c.end > c.start]

    def _thousands(self, position: int) -> bool:
        """``1,500`` printed with an ascii comma is one number; a Chinese comma always separates."""
        text = self.text
        if not (0 < position < len(text) - 3 and text[position - 1].isdigit()
                and text[position + 1:position + 4].isdigit()):
            return False
        if position + 4 < len(text) and text[position + 4].isdigit():
            return False
        original, _ = self.plan.original(self.compact.start(position), self.compact.start(position) + 1)
        return self.plan.source.text[original:original + 1] == ","

    def _split_after_values(self, start: int, end: int) -> list[_Clause]:
        """``…达10家左右、超500亿元的名牌企业达20家左右``: a 、 right after a target starts a new
        clause (names listed before a shared value, or values listed after 分别, do not)."""
        pieces = []
        cursor = start
        for match in re.finditer("、", self.text[start:end]):
            position = start + match.start()
            before = self.text[max(cursor, position - 24):position]
            if _ends_with_target(before) and _VALUE_ANYWHERE.search(self.text, position + 1, end) \
                    and not self.text[position + 1:position + 2].isdigit():
                pieces.append(_Clause(cursor, position))
                cursor = position + 1
        pieces.append(_Clause(cursor, end))
        return pieces

    # -- reading
    def read(self) -> Iterator[Finding]:
        sentence = self.text[self.start:self.end]
        if any(word in sentence for word in _PAST_WORDS) and not re.search(r"到\d{4}年", sentence):
            self.past = True
        for clause in self.clauses():
            yield from self._clause(clause)

    def _clause(self, clause: _Clause) -> Iterator[Finding]:
        """A strength word after the clause's subject (``A力争达到…``) holds in that clause only;
        one before it (``力争到2025年，A…，B…``) holds to the end of the sentence."""
        sentence_strength = self.strength
        self.clause_strength = False
        yield from self._clause_targets(clause)
        if self.clause_strength:
            self.strength = sentence_strength

    def _clause_targets(self, clause: _Clause) -> Iterator[Finding]:
        text = self.text
        self.clause_time = None
        self.not_targets = False
        masked = self.compact.masked
        times = [t for t in _TIME.finditer(text, clause.start, clause.end)
                 if not (t.group("year") and _inside_title(text, t.start()))]
        matches = [m for m in self._values(masked, clause) if not _overlaps(m, times)]
        first_value = matches[0].start if matches else clause.end
        for time in times:
            if time.start() < first_value:
                self._take_time(time, clause)
        self._take_strength(clause.start, first_value)
        if not matches:
            yield from self._wording_targets(clause)
            self._remember_verb(clause)
            self.topic = _topic_of(text[clause.start:clause.end])
            self.previous = text[clause.start:clause.end]
            return
        groups = _respectively(text, matches)
        cursor = clause.start
        index = 0
        while index < len(matches):
            match = matches[index]
            following = matches[index + 1] if index + 1 < len(matches) else None
            if following is not None and self._qualifier(match, following):
                index += 1  # part of the next target's name (超1000亿元…1家)
                continue
            group = groups.get(index)
            if group:
                yield from self._respective(cursor, [matches[i] for i in group], clause)
                cursor = matches[group[-1]].end
                index = group[-1] + 1
                continue
            right_end, next_cursor = self._right_end(cursor, match, following, clause)
            found = self._target(cursor, match, right_end, clause)
            if found is not None:
                yield found
            yield from self.pending
            self.pending.clear()
            cursor = next_cursor
            index += 1

    def _right_end(self, cursor: int, match: _Match, following: _Match | None, clause: _Clause) -> tuple[int, int]:
        """Where the words after a number end, and where the next target's words start. Between
        two numbers, ``新增4-5个全球知名品牌和20个以上…`` gives 全球知名品牌 to the first (it had no
        name before its number) and splits at the conjunction; otherwise the words belong to the
        second (``…达到6万元,城镇登记失业率…``)."""
        if following is None:
            return clause.end, clause.end
        if self._qualifier(match, following):
            return following.start, following.start
        between = self.text[match.end:following.start]
        named_before = bool(_subject(self.text[cursor:match.start])[0])
        conjunction = None
        for found in re.finditer(r"以及|和|及|与|、", between):
            conjunction = found
        if not named_before and conjunction is not None and conjunction.end() == len(between):
            return match.end + conjunction.start(), match.end + conjunction.end()
        return match.end, match.end

    # -- numbers
    def _values(self, masked: str, clause: _Clause) -> Iterator[_Match]:
        pattern = _value_pattern()
        position = clause.start
        while position < clause.end:
            match = pattern.search(masked, position, clause.end)
            if match is None:
                return
            position = max(match.end(), match.start() + 1)
            found = self._read_match(match, clause)
            if found is not None:
                yield found

    def _read_match(self, match: re.Match[str], clause: _Clause) -> _Match | None:
        text = self.text
        per_part = match.group("pp")     # 百分之九十五: 95 %, written so in the rule
        if per_part and (match.group("unit") or match.group("mag")):
            return None                   # 百分之九十五% or 百分之5万: no reading of it is safe
        number_start = match.start("pp") if per_part else match.start("num") if match.group("num") else match.start("cn")
        before = text[max(clause.start, number_start - 1):number_start]
        unit = PER_PART_UNITS[per_part] if per_part else match.group("unit") or match.group("unit2")
        if before and (before.isascii() and before.isalnum() or before in "./第每"):
            return None  # PM2.5, ISO9001, GB/T19004, 第26届, 每万人口
        digits_end = match.end("num") if match.group("num") else match.end("cn")
        if before == "前" and (text[digits_end:digits_end + 1] in ("位", "名", "强") or digits_end == clause.end):
            return self._rank(match, number_start)  # 保持全国前10位, 位居全市前三: a rank
        if match.group("cn") and not per_part and not self._counted(match, clause):
            return None
        if not unit and not match.group("pre") and not match.group("suf"):
            return None  # a bare number: a list number, a code, a year without 年
        if match.group("num") and re.fullmatch(r"\d{4}", match.group("num")) and (unit or "") in ("", "年"):
            return None
        after = text[match.end():match.end() + 3]
        if _NOT_A_TARGET_AFTER.match(text, match.end()) or (unit == "年" and re.match(r"[底末前度来内间]", after)):
            return None
        if unit in ("日", "天") and re.search(r"\d+月$", text[clause.start:number_start]):
            return None  # a date: 3月21日
        end_of_first = next(match.end(g) for g in ("unit", "mag", "num", "cn") if match.group(g))
        value = _value(match.group("num"), match.group("mag"), match.group("cn"), match.group("unit") or unit,
                       text[number_start:end_of_first])
        if value is None:
            return None
        if value.unit in CLASSIFIED_UNITS:  # 7个工作日 is 7工作日
            unit = CLASSIFIED_UNITS[value.unit]
            value = attrs.evolve(value, unit=unit, written=value.written.replace("个" + unit, unit))
        high = None
        if match.group("sep") and (match.group("num2") or match.group("cn2")):
            end_of_second = next(match.end(g) for g in ("unit2", "mag2", "num2", "cn2") if match.group(g))
            high = _value(match.group("num2"), match.group("mag2"), match.group("cn2"), unit,
                          text[match.end("sep"):end_of_second])
            if high is not None and match.group("sep") == "至" and not unit:
                high = None
        suffix = match.group("suf")
        if match.group("not1") or match.group("not2"):  # 90%以上(不含90%): above 90 %, 90 % itself excluded
            if suffix not in ("以上", "以下", "以内") or high is not None \
                    or match.group("pre") not in (None, *_REACH_WORDS):
                return None  # (不含) with no bound to exclude from: no reading of it is safe
            suffix += "(不含)"
        return _Match(match.start(), match.end(), value, high, match.group("pre"), bool(match.group("fill")),
                      suffix, number_start, match.group("per"))

    def _rank(self, match: re.Match[str], number_start: int) -> _Match | None:
        digits = match.group("num") or match.group("cn")
        value = _value(match.group("num"), None, match.group("cn"), "位", f"{digits}位")
        if value is None:
            return None
        end = number_start + len(digits)
        end += 1 if self.text[end:end + 1] in ("位", "名", "强") else 0
        return _Match(match.start(), end, attrs.evolve(value, written=f"{value.number}位"), None, "前", False, None,
                      number_start)

    def _counted(self, match: re.Match[str], clause: _Clause) -> bool:
        """A Chinese numeral counts things only before a counting unit and a noun that is not a
        slogan or a list of tasks (``三大高地``, ``四个最严``, ``十项任务``)."""
        unit = match.group("unit")
        rest = self.text[match.end():clause.end]
        if unit in ("%", "‰"):     # 九十五%: a share, no slogan
            return _numeral(match.group("cn"))
        if unit not in _CN_COUNT_UNITS or match.group("cn") == "一" or (match.group("cn") == "两" and rest[:1] not in "、和及"):
            return False  # 一批, 一站式, 两个毫不动摇; but 新增驰名商标两件
        if match.group("cn") in ("十", "百", "千", "万", "亿") and not match.group("pre") and re.search(r"\d", rest):
            return False  # 特种设备万台死亡率控制在0.15以下: the denominator of a name, its value follows
        before = self.text[clause.start:match.start()]
        if not rest and not match.group("pre") and not match.group("suf") and not any(
                verb in before for verb in (*FLOW_VERBS, "建设", "建成", "创建", "打造")):
            return False
        if rest.startswith(_TASK_NOUNS) or re.match(r"[一二三四五六七八九十]", rest):
            return False
        return _numeral(match.group("cn"))

    def _qualifier(self, match: _Match, following: _Match) -> bool:
        """``超1000亿元1家``, ``年主营业务收入超1000亿元的名牌企业达10家``, ``超过1000亿元、500亿元的名牌
        企业分别达到10家、20家``: money amounts after 超 that name the firms, followed by their count."""
        before = self.text[max(0, match.number_start - 3):match.number_start]
        money = match.value.unit in ("元", "万元", "亿元", "万亿元", "美元", "亿美元", "万美元")
        if not money:
            return False
        listed = self.text[following.start - 1:following.start] in ("、", "和") and following.value.unit == match.value.unit
        counted = following.value.unit not in (None, "%") and following.value.unit != match.value.unit
        after_over = before.endswith(("超", "超过", "逾")) or match.pre in ("超过", "超", "逾")
        return (after_over or self._listed_after_over(match)) and (counted or listed)

    def _listed_after_over(self, match: _Match) -> bool:
        window = self.text[max(0, match.number_start - 30):match.number_start]
        return bool(re.search(r"(超过?|逾)\d+(\.\d+)?(万亿|亿|万)?元[、和]$", window))

    # -- context words
    def _take_time(self, time: re.Match[str], clause: _Clause) -> None:
        if time.group("year"):
            year = int(time.group("year"))
            period = self.context.period
            if not time.group("to") and period and year < period[0]:
                self.past = True  # 2015年, 全市生产总值达1.75万亿元 (a fact from before the plan)
                return
            self.sentence_time = self.carried_year = ("year", year, time.group(0))
        elif time.group("fyp"):
            when = time.group("fyp_when") or ""
            end = five_year_plan_end(time.group("fypn"))
            if when in ("期末", "末期", "末"):
                self.sentence_time = self.carried_year = ("year", end, time.group(0))
            elif when in ("期间", "时期", "规划期"):
                self.sentence_time = ("period", end, time.group(0))
        elif time.group("every"):
            self.clause_time = ("every", None, time.group(0))
        elif time.group("total"):
            after = self.text[time.end():time.end() + 4]
            period = self.context.period
            if period is not None and period[0] == period[1] and (after.startswith("达") or _starts_with_verb(after)):
                self.clause_time = ("stock", None, "累计")  # a one-year plan's 累计 counts from before the year
            elif after.startswith("达"):
                # …累计达到N: a sum over the period when a counting verb governs it (每年培育10家，累计达到
                # 50家) in a plan of several years; otherwise the running total held at the end
                # (团体标准累计达到150项; 新增20家，累计达到120家 in a one-year plan)
                subject = _strip_lead(self.text[clause.start:time.start()])
                carried = not subject and self.lead_verb in FLOW_VERBS  # 每年培育10家，累计达到50家
                flow = carried or (_verb_at_start(subject) or "") in FLOW_VERBS
                self.clause_time = ("total", None, "累计") if flow else ("stock", None, "累计")
            elif _starts_with_verb(after):
                self.clause_time = ("total", None, "累计")
        elif time.group("whole"):
            self.clause_time = ("whole", None, time.group(0))
        elif time.group("annual"):
            after = self.text[time.end():time.end() + 4]
            if _starts_with_verb(after) or after[:1].isdigit():
                self.clause_time = ("annual", None, "年均")  # 年均新增就业5万人: an average per year

    def _take_strength(self, start: int, end: int) -> None:
        for match in _STRENGTH.finditer(self.text, start, end):
            self.strength = match.group(0)
            if _strip_lead(self.text[start:match.start()]):
                self.clause_strength = True

    def _remember_verb(self, clause: _Clause) -> None:
        """A clause that ends with a counting verb lends it to the next ones (培育…, …)."""
        words = _strip_lead(self.text[clause.start:clause.end])
        verb = next((v for v in FLOW_VERBS if words.startswith(v)), None)
        if verb:
            self.lead_verb = verb

    # -- one target
    def _target(self, cursor: int, match: _Match, right_end: int, clause: _Clause) -> Finding | None:
        text = self.text
        left = text[cursor:match.start]
        right = _strip_trailing(text[match.end:right_end]) if right_end == clause.end else text[match.end:right_end]
        change = _change_before(left)
        if change is not None:
            left = left[:change[0]]
            if change[1] in ("增加", "增长") and change[2] is None \
                    and match.value.unit not in (None, "%", "‰", *POINT_SPELLINGS):
                change = None  # 增加12项: items added during the plan, a flow
                left = left + "新增"
        left, starting_value = _drop_from(left)
        if self.past or re.search(r"(已|已经|先后)(达到|达|为|超过|突破)?$", left):
            return None
        if match.pre == "前":
            return self._ranked(cursor, match, clause)
        if re.search(r"(提出|规定|下达)的?$", left) or re.match(r"的?(目标|要求|任务)(要求)?$", right):
            return None  # another document's target, quoted: 超过国务院《纲要》提出的80…的目标要求
        if re.search(r"每(万|千|百|十万)?(人口|人|户|辆)?$", left) and match.value.unit in (None, "万人", "人"):
            return None  # a denominator: 每万人口
        if self.not_targets or re.search(_NON_TARGET_VERBS + "$", _PLACE_AT_END.sub("", _strip_lead(left))):
            self.not_targets = True  # 完善12个质量分指数, 调查全市168座水库: counts of what exists
            return None
        if re.search(r"(达到|达|为|相当于)[^,]{2,}的$", left) and match.value.unit in ("%", "‰"):
            return self._not_expressible(cursor, match, clause, "QR520", tr(
                "'{written}' of another quantity (…的N%) cannot be written in the rule language yet",
                written=match.value.written))
        shared = re.search(r"(均|都)(达到|达|为|保持在|稳定在|不低于|不少于|超过|高于|低于|控制在)?$", left)
        left = _STRENGTH.sub("", left)
        subject, lead = _subject(left)
        if shared and len(_conjuncts(subject)) > 1:
            return self._shared(subject, cursor, match, clause)
        if lead is not None:
            self.lead_verb = lead
        elif subject:
            own = next((v for v in LEAD_VERBS if subject.startswith(v) and len(subject) > len(v) + 1), None)
            subset = left.lstrip(",、").startswith("其中")  # 培育…15个, 其中省级品牌不少于5个
            if own or (match.pre is not None and not subset):
                self.lead_verb = own  # a new statement; a bare list item (中国名牌产品30个以上) keeps the verb
        if _DATE_WORDS.search(subject + right):
            return None
        strength_in_right = _STRENGTH.search(right)
        if strength_in_right:
            self.strength = strength_in_right.group(0)
            right = right[:strength_in_right.start()] + right[strength_in_right.end():]
        percent = match.value.unit in ("%", "‰")
        names, display = self._names(subject, right, percent, match)
        if not display or not names:
            return None  # no words name what the number counts
        if self._a_stated_fact(match, lead, display, left):
            return None
        if self.time is not None and self.time[0] == "stock":  # 新增认证企业20家，累计达到120家: all 认证企业
            verb = next((v for v in FLOW_VERBS if display.startswith(v) and len(display) > len(v) + 1), None)
            if verb is not None:
                display = display[len(verb):]
                names = (display, *names)
        topic_note = None
        elided = _elided_object(subject, self.previous)
        if elided:  # 推动企业全面实施卓越绩效管理，实施企业比例达到30%
            names = (elided, *names)
            topic_note = Review("QR512", tr("'{subject}' read as {elided}: the object is carried from the clause "
                                            "before", subject=subject, elided=elided))
            display = elided
        elif self.topic and _GENERIC_METRIC.match(subject):
            names = (self.topic + subject, *names)
            display = self.topic + subject
            topic_note = Review("QR512", tr("'{subject}' read as {display}: the topic is carried from the clause "
                                            "before", subject=subject, display=display))
        elif not subject and not right.removeprefix("的"):
            topic_note = Review("QR512", tr("no words name what '{written}' counts: read as {display}, named before",
                                            written=match.value.written, display=display))
        match = attrs.evolve(match, value=per_value(match.value, match.per or subject or right))
        target, reviews, expressible = _target_words(match, change, self.context)
        if self.time is not None and self.time[0] == "annual" and change is None:
            reviews.append(Review("QR520", tr("'年均{written}' (an average per year, neither each year nor the total) "
                                              "cannot be written in the rule language yet", written=match.value.written)))
            expressible = False
        if self.time is not None and (self.time[2] or "").startswith("连续"):
            reviews.append(Review("QR518", tr("'{time}' read as every year of the plan period", time=self.time[2])))
        if topic_note:
            reviews.insert(0, topic_note)
        if (self.lead_verb or _verb_at_start(names[0])) in ("创建", "建设", "建立") and match.value.unit not in (None, "%", "‰"):
            reviews.append(Review("QR518", tr("'{verb}' may count what is created during the plan (累计) or what exists at its end: read as held in "
                                  "the target year", verb=self.lead_verb or _verb_at_start(names[0]))))
        time, time_word = self._time_for(match, names, change)
        flow = time[0] == "total"
        if flow and time_word is None:
            verb = self.lead_verb or next((v for v in FLOW_VERBS if any(n.startswith(v) for n in names)), "")
            reviews.append(Review("QR518", tr("'{verb}' counts what is added during the plan: read as 累计 over the "
                                              "period (a stock would be checked in the target year)", verb=verb)))
        year = self.sentence_time
        period = self.context.period
        if flow and year is not None and year[0] == "year" and period is not None and year[1] != period[1]:
            reviews.append(Review("QR518", tr("'{words}' with a total: the draft sums over the plan period {start}..{end}, not to {year}: check "
                                  "the period (--period)", words=year[2], start=period[0], end=period[1], year=year[1])))
        if self.time is not None and self.time[0] == "stock":
            reviews.append(Review("QR518", tr("'累计达到' read as the running total held in the target year, not a sum of "
                                              "what is added during the plan")))
        if starting_value:
            reviews.append(Review("QR519", tr("'{starting_value}' is the starting value the sentence gives, not a "
                                              "target", starting_value=starting_value)))
        confidence = 0.9 if subject else 0.8
        confidence -= 0.15 * len([r for r in reviews if r.code in ("QR510", "QR511", "QR512", "QR513", "QR518")])
        start = self._phrase_start(cursor, clause, subject)
        end = right_end if right and right_end > match.end else match.end
        self.subjects.append(display)
        return Finding(self.block, display, names, target, match.value, time, self.strength,
                       self.compact.start(start), self.compact.end(end), tuple(reviews), expressible,
                       round(max(0.1, confidence), 2), self.compact.ranges(start, end))

    def _ranked(self, cursor: int, match: _Match, clause: _Clause) -> Finding | None:
        """``制造业质量竞争力指数保持全国前10位``: a rank among peers, at most 10."""
        left = self.text[cursor:match.start]
        place = re.search(r"(保持|稳定|稳居|位居|居于|居|进入|跻身|位列|排名|排在)?(全国|全省|全市|同类城市|副省级城市|"
                          r"中部地区|西部地区|国内)?(城市)?前$", left)
        if place is None:
            return None
        subject, _ = _subject(_STRENGTH.sub("", left[:place.start()]))
        if not subject:
            return None
        scope = place.group(2) or ""
        names = _unique([f"{subject}{scope}排名", f"{subject}排名"])
        every = bool(place.group(1) and place.group(1).startswith(("保持", "稳定", "稳居")))
        time: tuple[str, int | None] = ("every", None) if every else (
            ("year", self.time[1]) if self.time is not None and self.time[0] == "year" else ("default", None))
        start = self._phrase_start(cursor, clause, subject)
        return Finding(self.block, names[0], names, f"<= {match.value.written}", match.value, time,
                       self.strength, self.compact.start(start), self.compact.end(match.end),
                       (Review("QR519", tr("'前{written}' read as a rank of at most {number} ({scope})", written=match.value.written,
                                  number=match.value.number, scope=scope or tr("among peers"))),), True, 0.6, self.compact.ranges(start, match.end))

    def _a_stated_fact(self, match: _Match, lead: str | None, name: str, left: str) -> bool:
        """A number with no comparator word, time word or counting verb, and not a rate, is a
        fact the text states, not a target: outside the goals (``全市常住人口1768万人``), and in the
        tasks when it describes the region (``全市…``) rather than an item of work (``实施质量攻关
        项目40项``, ``区域品牌授权使用企业2.5万家``)."""
        bare = match.pre is None and match.suffix is None and match.high is None
        governed = self.time is not None or lead is not None or self.lead_verb is not None
        if not bare or governed or _RATE_NAME.search(name) or self.block.goals:
            return False
        if self.block.tasks:
            words = left.lstrip(",、")
            acting = _verb_at_start(_strip_lead(words)) or _strip_lead(words).startswith(PREDICATE_VERBS)
            return bool(_REGION_WORD.match(words)) and not acting
        return True

    def _shared(self, subject: str, cursor: int, match: _Match, clause: _Clause) -> Finding | None:
        """``A和B均达到98%以上``: one target per name, the value shared (yielded through
        :attr:`pending`, the first returned)."""
        parts = _distribute_head(_conjuncts(subject))
        found = []
        for part in parts:
            names, display = self._names(part, "", match.value.unit in ("%", "‰"), match)
            if not names or not display:
                continue
            target, reviews, expressible = _target_words(match, None, self.context)
            reviews.insert(0, Review("QR512", tr("'{written}' is shared by {count} names ({names}): read for {display}",
                                                written=match.value.written, count=len(parts), names="、".join(parts),
                                                display=display)))
            time, _ = self._time_for(match, names, None)
            start = self._phrase_start(cursor, clause, subject)
            found.append(Finding(self.block, display, names, target, match.value, time, self.strength,
                                 self.compact.start(start), self.compact.end(match.end), tuple(reviews),
                                 expressible, 0.7, self.compact.ranges(start, match.end)))
            self.subjects.append(display)
        self.pending.extend(found[1:])
        return found[0] if found else None

    def _not_expressible(self, cursor: int, match: _Match, clause: _Clause, code: str, message: Text) -> Finding:
        subject, _ = _subject(_STRENGTH.sub("", self.text[cursor:match.start]))
        start = self._phrase_start(cursor, clause, subject)
        return Finding(self.block, subject or match.value.written, (subject,), match.value.written, match.value,
                       ("default", None), self.strength, self.compact.start(start), self.compact.end(match.end),
                       (Review(code, message),), False, 0.3, self.compact.ranges(start, match.end))

    def _phrase_start(self, cursor: int, clause: _Clause, subject: str) -> int:
        text = self.text
        start = cursor
        while start < clause.end and text[start] in "、,和及":
            start += 1
        if subject:
            found = text.find(subject[:2], start, clause.end)
            if found >= 0:
                start = found
        return start

    def _names(self, subject: str, right: str, percent: bool, match: _Match) -> tuple[tuple[str, ...], str]:
        """Names to look up in the catalogue, best first, and the name to propose when none is
        there. The words of the clause are rearranged only as the language of plans does:
        ``700家规模以上工业企业获得…认证`` is ``获得…认证的规模以上工业企业``, ``工业废水95%达标排放``
        is the 比例 of 工业废水 达标排放, ``超100亿元5家`` counts 超100亿元 firms of the noun before."""
        lead = self.lead_verb
        possessive = right.startswith("的")
        predicate = right.removeprefix("的")
        noun, verb_phrase = _split_predicate(predicate)
        names: list[str] = []
        if subject and not predicate:
            display = subject
            qualifier = _QUALIFIER_FRONT.match(subject)
            behind = _QUALIFIER_BEHIND.search(subject)
            if qualifier and self.head:
                rest = subject[qualifier.end():].removeprefix("的")
                display = qualifier.group(0) + (self.head if not rest or self.head.endswith(rest) else rest)
                names += [subject, display]
            elif behind:
                self.head = subject[:behind.start()]
                names += [subject, behind.group(0) + self.head]
            elif qualifier:
                self.head = subject[qualifier.end():].removeprefix("的") or self.head
                names.append(subject)
            else:
                names.append(subject)
            bare = _drop_verb(subject)
            if bare != subject and _verb_at_start(subject) in STOCK_VERBS:
                display = bare  # 建成省级以上质检中心3个: the centres are counted, not the building
            causative = re.match(r"(推动|带动|促进|引导|鼓励|督促)", subject)
            if causative and (percent or match.pre) and len(subject) > causative.end() + 1:
                display = subject[causative.end():]  # 推动…认证覆盖率提高到92%: the rate is named, not the push
                names.insert(0, display)
            if lead in FLOW_VERBS and bare == subject:
                names.insert(0, lead + subject)  # 培育A 2-3个, B 30个以上: B is 培育B
            names.append(bare)
            if percent or match.fill:
                names += [subject + "比例", subject + "率"]
            if match.value.unit in ("批次", "人次") and not subject.endswith(match.value.unit):
                names.append(subject + match.value.unit)
                if not subject.endswith(("率", "量", "数", "度")):
                    display = subject + match.value.unit
            names += [subject[cut:] for cut in _verb_positions(subject)]
            names += _heads(subject)
            return _unique(names), display
        if not subject and predicate:
            if verb_phrase:
                names += [f"{verb_phrase}的{noun}", f"{lead or ''}{verb_phrase}的{noun}", f"{noun}{verb_phrase}"]
            if lead in FLOW_VERBS:
                names.append(lead + predicate)
            names += [predicate, noun] + _heads(predicate)
            if percent:
                names += [predicate + "比例", predicate + "率"]
            if verb_phrase:
                display = f"{verb_phrase}的{noun}" if not percent else f"{noun}{verb_phrase}比例"
            elif lead in FLOW_VERBS:
                display = lead + predicate
            else:
                display = predicate + ("比例" if percent and possessive else "")
            return _unique(names), display
        if subject and predicate:
            if possessive:
                if verb_phrase:
                    names.append(f"{verb_phrase}的{subject}{noun}比例")
                names += [f"{subject}{predicate}比例", f"{subject}的{predicate}", f"{subject}{predicate}"]
                display = (f"{verb_phrase}的{subject}{noun}比例" if verb_phrase and percent
                           else f"{subject}{predicate}" + ("比例" if percent else ""))
            else:
                names += [f"{subject}{predicate}比例", f"{subject}{predicate}率", f"{subject}{predicate}"]
                if verb_phrase:
                    names.append(f"{verb_phrase}的{subject}")
                names.append(subject)
                display = f"{subject}{predicate}" + ("比例" if percent else "")
            return _unique(names), display
        if self.subjects:  # no words at all (…,其中…): the value of the clause before's subject
            return (self.subjects[-1],), self.subjects[-1]
        counted = _object_of(self.previous) if lead else None
        if counted:  # 培育县长质量奖企业，到2027年累计培育6家: what the clause before names
            return _unique([counted, lead + counted if lead else counted]), counted
        if self.subject_before:  # …达到45家；2025年，达到60家左右
            return (self.subject_before,), self.subject_before
        return (), ""

    def _time_for(self, match: _Match, names: tuple[str, ...],
                  change: tuple[int, str, int | None, str | None] | None) -> tuple[tuple[str, int | None], str | None]:
        time = self.time
        if change is not None:
            if time is not None and time[0] == "year":
                return ("year", time[1]), time[2]
            return ("default", None), None
        if time is not None and time[0] == "every":
            return ("every", None), time[2] if time[2] and time[2].startswith("连续") else "每年"
        if match.pre in ("稳定", "稳定在") and match.suffix == "左右":
            return ("every", None), "每年"  # 稳定在1100家左右: about that level in every year, as 稳定在…以上
        if time is not None and time[0] == "total":
            return ("total", None), "累计"
        if time is not None and time[0] == "stock":
            year = self.sentence_time
            return (("year", year[1]), year[2]) if year is not None and year[0] == "year" else (("default", None), None)
        period = self.context.period
        single_year = period is not None and period[0] == period[1]
        counted = match.value.unit not in ("%", "‰", None)
        verb = self.lead_verb or _verb_at_start(names[0] if names else "")
        activity = verb == "在" and any(n.startswith("开展") for n in names[:1])  # 在百家企业开展…
        flow = counted and (verb in FLOW_VERBS or activity or any(_verb_at_start(n) in FLOW_VERBS for n in names))
        if flow and not single_year:
            return ("total", None), None
        if time is not None and time[0] == "period" and not counted:
            return ("every", None), "每年"
        if time is not None and time[0] == "year":
            return ("year", time[1]), time[2]
        return ("default", None), None

    # -- several values in one statement
    def _respective(self, cursor: int, matches: list[_Match], clause: _Clause) -> Iterator[Finding]:
        """``A、B分别达到X、Y``: the names pair with the values in order; one name with several
        values refers back to the clauses before (``…抽检覆盖率分别达到4.5、1.6``)."""
        left = re.sub(r"分别$", "", self.text[cursor:matches[0].start])
        change = _change_before(left)  # A和B分别下降13%、14%
        if change is not None:
            left = re.sub(r"分别$", "", left[:change[0]])
            change = (change[0], change[1], change[2], None if change[3] == "分别" else change[3])
        subject, lead = _subject(left)
        if lead:
            self.lead_verb = lead
        subject = re.sub(r"分别$", "", subject)
        parts = _conjuncts(subject)
        listed = _QUALIFIER_LIST.search(subject)
        if listed:  # 年主营业务超过1000亿元、500亿元的名牌企业: one name per amount
            items = re.split("、|和|及", listed.group(0))
            if len(items) == len(matches):
                parts = [subject[:listed.start()] + item + subject[listed.end():] for item in items]
        previous = self.subjects[-len(matches):] if len(self.subjects) >= len(matches) else []
        if len(parts) == 1 and len(previous) == len(matches) and all(_topic(p) for p in previous):
            parts = [_topic(p) + subject for p in previous]
        paired = len(parts) == len(matches)
        if paired:
            parts = _distribute_head(_distribute_verb(parts))
        start = self._phrase_start(cursor, clause, subject)
        for index, match in enumerate(matches):
            shared = attrs.evolve(match, pre=match.pre or matches[0].pre, suffix=match.suffix or matches[-1].suffix)
            name = parts[index] if paired else subject
            names, display = self._names(name, "", shared.value.unit in ("%", "‰"), shared)
            if not names or not display:
                continue
            target, reviews, expressible = _target_words(shared, change, self.context)
            if paired:
                reviews.insert(0, Review("QR512", tr("'分别' pairs names and values in order: {display} ← {written}",
                                                     display=display, written=match.value.written)))
            else:
                reviews.insert(0, Review("QR512", tr("{values} values for {names} name(s) after '分别': which value belongs to which?",
                                                    values=len(matches), names=len(parts))))
                expressible = False
            time, _ = self._time_for(shared, names, change)
            yield Finding(self.block, display, names, target, match.value, time, self.strength,
                          self.compact.start(start), self.compact.end(matches[-1].end), tuple(reviews),
                          expressible, 0.6, self.compact.ranges(start, matches[-1].end))
        self.subjects.extend(parts if paired else [subject])

    # -- words without a number
    def _wording_targets(self, clause: _Clause) -> Iterator[Finding]:
        text = self.text[clause.start:clause.end]
        quotes = [i for i, ch in enumerate(text) if ch in "“”\""]
        text = "".join(" " if ch in "“”\"" else ch for ch in text).replace(" ", "") if quotes else text
        for pattern, build in _WORDING:
            match = pattern.search(text)
            if not match or (build == "standard" and not self.block.goals):
                continue
            subjects: list[str | None] = [None]
            if build in ("zero", "eliminate"):  # 不发生重大质量安全事故和区域性食品安全事件: each of them
                parts = re.split(r"以及|和|及", match.group("subject"))
                if len(parts) > 1 and all(p.endswith(("事故", "事件", "案件")) for p in parts):
                    subjects = list(parts)
            for subject in subjects:
                found = _wording_finding(self, clause, match, build, subject)
                if found is not None:
                    yield found
            return


# ------------------------------------------------------------------------------------------
# Helpers on words


_VALUE_ANYWHERE = re.compile(r"\d|[一二三四五六七八九十百千][个家名项件]")
_MONEY = r"(?:\d+(?:\.\d+)?)?(?:万亿|亿|万|千)?(?:元|美元)"
_QUALIFIER_FRONT = re.compile(rf"^(?:年主营业务(?:收入)?)?(?:超过?|逾){_MONEY}")
_QUALIFIER_BEHIND = re.compile(rf"(?:年主营业务(?:收入)?)?(?:超过?|逾){_MONEY}$")
_QUALIFIER_LIST = re.compile(r"\d+(\.\d+)?(万亿|亿|万)?元?(、\d+(\.\d+)?(万亿|亿|万)?元)+")
_RATE_NAME = re.compile(r"(率|比例|比重|指数|满意度|占比|浓度|能耗|水耗)$")
_PER = re.compile(r"每(十万|万|千|百)(人口|人|户|家|台)")


def per_value(value: Value, words: str) -> Value:
    """A count per so many people, households or firms (``每万人口…12件``, ``每千人5批次``) in the
    unit that says so: 件/万人, 批次/千人 (others, such as 件/万户, are not units of the language yet
    and are kept for review)."""
    per = _PER.search(words)
    if per is None or value.unit not in _CN_COUNT_UNITS + ("项", "件"):
        return value
    denominator = per.group(1) + ("人" if per.group(2) in ("人", "人口") else per.group(2))
    return attrs.evolve(value, unit=f"{value.unit}/{denominator}", written=f"{value.written}/{denominator}")
_DATE_WORDS = re.compile(r"\d+年\d+月|\d+月\d+日|印发|主题词|抄送|联系电话|邮编")
_NON_TARGET_VERBS = "(完善|加强|整合|清理|围绕|聚焦|瞄准|面向|立足|依托|结合|针对|参照|涉及|包括|包含|分为|下设|测量|调查|梳理|编制|修改)"
_LOCATIVE = re.compile(r"^在[^在]{1,30}?(?=建立|建设|设立|开展|推行|实施|培育|打造|创建|形成|新增|引进)")
_REGION_WORD = re.compile(r"(全市|全省|全区|全县|全国|我市|我省|我区|我县|本市|本省|本区|本县|辖区)")
_PLACE_AT_END = re.compile(r"(全市|全省|全区|全县|我市|我省|我区|辖区|全国)$")


def _ends_with_target(text: str) -> bool:
    return bool(re.search(r"\d", text)) and bool(
        re.search(r"(\d|[一二三四五六七八九十百千])(%|‰|[\u4e00-\u9fff]{0,3})(以上|以下|以内|左右)?$", text))


def _inside_title(text: str, position: int) -> bool:
    """Inside 《…》 (a document's title) or “…”: its years are not the plan's (titles are short:
    only the 80 characters around are looked at)."""
    low, high = max(0, position - 80), min(len(text), position + 80)
    opened = max(text.rfind("《", low, position), text.rfind("“", low, position))
    closed = max(text.rfind("》", low, position), text.rfind("”", low, position))
    return opened > closed and (text.find("》", position, high) >= 0 or text.find("”", position, high) >= 0)


def _masked(text: str, start: int, end: int) -> str:
    """``text`` with quoted slogans, titles and document numbers blanked (same length)."""
    chars = list(text)
    for pattern in (_QUOTED, _DOC_NUMBER):
        for match in pattern.finditer(text, start, end):
            for i in range(match.start(), match.end()):
                chars[i] = "□"
    return "".join(chars)


def _overlaps(match: _Match, times: list[re.Match[str]]) -> bool:
    return any(t.start() < match.end and match.number_start < t.end() for t in times)


def _numeral(text: str) -> bool:
    """Is ``text`` a well-formed Chinese numeral (decimals after 点 allowed)?"""
    try:
        chinese_decimal(text)
    except (ValueError, KeyError):
        return False
    return True


def _value(number: str | None, magnitude: str | None, cn: str | None, unit: str | None, written: str) -> Value | None:
    if number is not None:
        value = Decimal(number.replace(",", ""))
        if magnitude:
            value *= {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": Decimal(10) ** 4,
                      "千": Decimal(1000)}[magnitude]
    elif cn is not None:
        try:
            value = chinese_decimal(cn)
        except (ValueError, KeyError):
            return None
    else:
        return None
    return Value(written, value, unit)


def _strip_lead(text: str) -> str:
    """``到2015年,力争全市…`` → ``…``: time, strength, place and link words before a name."""
    position = 0
    while position < len(text):
        locative = _LOCATIVE.match(text[position:]) if text.startswith("在", position) else None
        if locative is not None and position + locative.end() < len(text):
            position += locative.end()  # 在…等领域建立…: the place, then the verb
            continue
        match = _TIME.match(text, position) or _lead_words().match(text, position)
        if match is None or match.end() == position:
            break
        position = match.end()
    return text[position:]


@functools.lru_cache(maxsize=1)
def _lead_words() -> re.Pattern[str]:
    return re.compile(_alternatives(LEAD_WORDS))


def _strip_trailing(text: str) -> str:
    """Words after a target that are not part of a name: 等, a quoted programme (``的“…计划”``)."""
    text = re.sub(r"的?“[^”]*”$", "", text)
    return re.sub(r"(等|左右|的目标|为目标|目标)$", "", text)


def _subject(left: str) -> tuple[str, str | None]:
    """The indicator's words before a number, and the verb that introduces a count (``培育`` in
    ``培育5家…``, ``在`` in ``在百家企业开展…``) when the words end with one."""
    text = _strip_lead(left)
    text = re.sub(r"(连续(\d+|[一二三四五六七八九十]+)年|每年|年均|累计)$", "", text)
    text = re.sub(r"(达到|达|为|实现|保持|稳定|维持|均|都|全部|总数|分别|要|应|需|将|必须)+$", "", text)
    for verb in LEAD_VERBS:
        if text.endswith(verb):
            head = _strip_lead(text[: -len(verb)])
            head = re.sub(r"(组织|全面|大力|积极)$", "", head)
            if head in FLOW_VERBS:
                return "", head  # 完成在十个行业开展…: 完成 says what is counted
            if not head or head in LEAD_VERBS or head in ("企事业单位", "企业", "各地"):
                return "", verb
            return head, verb
    return text, None


def _drop_from(left: str) -> tuple[str, str | None]:
    """``由2015年的85%提高到…``: the starting value is not a target."""
    match = re.search(r"(从|由)(\d{4}年的?)?(\d+(\.\d+)?%?)", left)
    if match:
        return left[:match.start()], match.group(3)
    return left, None


def _drop_verb(name: str) -> str:
    """``创建国家级和省级标准化示范区`` → ``国家级和省级标准化示范区``."""
    verb = _verb_at_start(name)
    return re.sub(r"^(全面|大力|积极)", "", name[len(verb):]) if verb else name


_FUNCTION_VERBS = ("有", "在", "将", "使", "让")


def _verb_at_start(name: str) -> str | None:
    """The longest counting verb a name starts with (创建 before 创; not 有 of 有效…)."""
    return next((v for v in LEAD_VERBS if name.startswith(v) and len(name) > len(v) + 1
                 and v not in _FUNCTION_VERBS), None)


def _starts_with_verb(text: str) -> bool:
    return text.startswith(LEAD_VERBS) or text.startswith(PREDICATE_VERBS) or text.startswith(
        ("下降", "降低", "减少", "提高", "提升", "增长", "增加"))


def _split_predicate(predicate: str) -> tuple[str, str]:
    """``规模以上工业企业获得各类管理体系认证`` → (``规模以上工业企业``, ``获得各类管理体系认证``);
    a verb followed by 的 modifies the noun (``具有…水平的行业标杆企业``) and does not split it."""
    last_de = predicate.rfind("的")
    best = None
    for verb in PREDICATE_VERBS:
        position = predicate.find(verb, 1)
        while position > 0:
            if position > last_de:
                best = position if best is None else min(best, position)
                break
            position = predicate.find(verb, position + 1)
    if best is None:
        return predicate, ""
    noun = re.sub(r"(全面|大力|积极|普遍|广泛|深入|都|均)$", "", predicate[:best])
    return noun, predicate[best:]


def _verb_positions(subject: str) -> list[int]:
    """Where a verb starts inside a name (``企事业单位主导或参与制修订…``): the name may begin
    there once the actor is dropped."""
    return sorted({p for verb in ("主导", "参与", "采用", "获得", "通过", "开展", "推行", "实行", "建立", "建设",
                                  "创建", "打造", "形成")
                   if (p := subject.find(verb)) > 0})


def _heads(name: str) -> list[str]:
    """The name without a leading clause (``落户龙岗的…委员会`` → ``…委员会``) and the first of a
    list of names (``A、B、C`` → ``A``): less specific, tried last."""
    out = []
    first = name.split("、")[0] if "、" in name else None
    for candidate in (name, first):
        if candidate and "的" in candidate[:-1]:
            out.append(candidate[candidate.index("的") + 1:])
    if first:
        out.append(first)
    return out


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in names if len(n) >= 2))


def _conjuncts(subject: str) -> list[str]:
    """``A、B和C`` → [A, B, C], not splitting inside brackets, nor between verbs that share
    their object (``主导和参与制修订A、B`` → [主导和参与制修订A, B]), nor at a 和 inside a word."""
    def joins(current: str, index: int) -> bool:
        return current in LEAD_VERBS or current in PREDICATE_VERBS or (
            subject[index] != "、" and (index == 0 or _inside_word(subject, index)))

    return split_list(subject, joins)


_TOPIC = re.compile(r"^(?P<topic>[\u4e00-\u9fffA-Za-z0-9]{2,10}?)(质量|水平)?(全面|明显|显著|进一步|稳步|持续|大幅|不断)"
                    r"(提升|提高|改善|增强)$")
_GENERIC_METRIC = re.compile(r"^(顾客|群众|公众|用户|社会)?(满意度|满意率|合格率|覆盖率|普及率|达标率|知晓率)$")


def _elided_object(subject: str, previous: str) -> str | None:
    """``实施企业比例`` after a clause ``…全面实施卓越绩效管理``: the verb's object is left out."""
    verb = next((v for v in PREDICATE_VERBS if len(v) == 2 and subject.startswith(v)), None)
    if verb is None or not _RATE_NAME.search(subject):
        return None
    at = previous.rfind(verb)
    obj = previous[at + len(verb):] if at >= 0 else ""
    if not 2 <= len(obj) <= 12 or re.search(r"[\d,、]", obj):
        return None
    return verb + obj + subject[len(verb):]


def _object_of(clause: str) -> str | None:
    """``①开展企业首席质量官培训`` → ``企业首席质量官培训``: the object of a clause that starts with a
    verb and states no number, for the clause after it that repeats the verb with a number."""
    words = _strip_lead(re.sub(r"^[(（]?\d{1,2}[)）.、]?", "", clause))
    verb = next((v for v in (*LEAD_VERBS, *PREDICATE_VERBS) if words.startswith(v)), None)
    counted = _strip_lead(words[len(verb):]) if verb else ""
    return counted if 2 <= len(counted) <= 16 and not re.search(r"[\d,、:]", counted) else None


def _topic_of(clause: str) -> str | None:
    """``生产性服务业质量全面提升`` → ``生产性服务业``: the topic a following generic measure
    (``顾客满意度达到85以上``) belongs to."""
    match = _TOPIC.match(_strip_lead(clause))
    return match.group("topic") if match else None


def _inside_word(text: str, index: int) -> bool:
    """与 in 参与, 及 in 涉及/普及/及时, 和 in 和谐: not a conjunction."""
    before, after = text[index - 1:index], text[index + 1:index + 2]
    return (text[index] == "与" and before in "参给赋") or (text[index] == "及" and (before in "涉普" or after == "时")) \
        or (text[index] == "和" and after in "谐平")


_MEASURE_END = re.compile(r"(率|度|量|数|比例|比重|指数|总量|面积|浓度|能耗|水耗|收入|产值|增加值)$")


_PER_OUTPUT = re.compile(r"^(单位|万元)(地区生产总值|国内生产总值|GDP|工业增加值)")


def _distribute_head(parts: list[str]) -> list[str]:
    """``生产性服务业和生活性服务业顾客满意度`` → both 顾客满意度: the measure the last name ends
    with goes to earlier names that stop where the last one continues."""
    per_output = _PER_OUTPUT.match(parts[0])
    if per_output:  # 单位GDP能耗和二氧化碳排放: both per unit of GDP
        parts = [parts[0]] + [p if _PER_OUTPUT.match(p) or p.startswith("每") else per_output.group(0) + p
                              for p in parts[1:]]
    last = parts[-1]
    if not _MEASURE_END.search(last):
        return parts
    out = []
    for part in parts[:-1]:
        at = last.find(part[-2:]) if len(part) >= 2 and not _MEASURE_END.search(part) else -1
        out.append(part + last[at + 2:] if at >= 0 and at + 2 < len(last) else part)
    return [*out, last]


def _distribute_verb(parts: list[str]) -> list[str]:
    """``主导或参与制修订国家标准、行业标准`` → the verb phrase of the first name goes with the rest."""
    verb = re.match(r"^((?:主导|参与)(?:[或和与及](?:主导|参与))?(?:制修订|制定|修订)?|制修订|新增|培育|新建|建成|建设|创建|"
                    r"引进|制定|制订)", parts[0])
    if not verb:
        return parts
    return [parts[0]] + [p if p.startswith(verb.group(0)) or _verb_at_start(p) else verb.group(0) + p
                         for p in parts[1:]]


def _topic(subject: str) -> str:
    """The first noun of an earlier subject (``食品生产、流通…抽查批次`` → ``食品``)."""
    match = re.match(r"(?:在)?(.+?)(生产|流通|经营|环节|的|质量|抽查|抽检)", subject)
    return match.group(1) if match else ""


# 分别 before a baseline and a change word (分别比2020年下降14%、18%): the values after it pair too
_FENBIE_BASELINE = re.compile(rf"分别(?:{_BASELINE.pattern})[\u4e00-\u9fff]{{0,4}}$")


def _respectively(text: str, matches: list[_Match]) -> dict[int, list[int]]:
    """Groups of values after 分别 (``分别达到2800个、2000个、50个和80个``), by first index."""
    groups: dict[int, list[int]] = {}
    index = 0
    while index < len(matches):
        match = matches[index]
        if "分别" in text[max(0, match.start - 6):match.start + 2] \
                or _FENBIE_BASELINE.search(text, max(0, match.start - 20), match.start):
            group = [index]
            while index + 1 < len(matches) and re.fullmatch(r"[、和及,]?", text[matches[index].end:matches[index + 1].start]):
                index += 1
                group.append(index)
            if len(group) > 1:
                groups[group[0]] = group
        index += 1
    return groups


def _change_before(left: str) -> tuple[int, str, int | None, str | None] | None:
    """A change word right before the number (``较2015年提升``, ``下降``, ``累计降低``): its start
    in ``left``, the word, the baseline year (-1: year on year or average annual) and the adverb."""
    words = _alternatives({*CHANGE_WORDS, *EXTRA_CHANGE_WORDS})
    relative = re.search(rf"(比上年|同比|较上年|年均)({words})$", left)
    if relative:
        return relative.start(), relative.group(0), -1, None
    match = re.search(rf"(?:{_BASELINE.pattern})?(?P<pre_adverb>累计|大幅|分别)?(?P<word>{words})(了)?$", left)
    if not match:
        return None
    year = int(match.group("year")) if match.group("year") else (
        five_year_plan_end(match.group("base_fyp")) if match.group("base_fyp") else None)  # 较“十三五”末: 2020
    word = EXTRA_CHANGE_WORDS.get(match.group("word"), match.group("word"))
    return match.start(), word, year, match.group("adverb") or match.group("pre_adverb")


def five_year_plan_end(numeral: str) -> int:
    """十一五 → 2010, 十二五 → 2015, 十三五 → 2020, 十四五 → 2025, 十五五 → 2030."""
    return 2005 + 5 * ("一二三四五六七".index(numeral) + 1)


def _target_words(match: _Match, change: tuple[int, str, int | None, str | None] | None,
                  context: Context) -> tuple[str, list[Review], bool]:
    """The target as the language writes it, reviews of doubtful readings, and whether the
    language can write it at all today."""
    reviews: list[Review] = []
    value, high = match.value, match.high
    expressible = value.unit is None or value.unit in grammar_spellings()
    if not expressible:
        reviews.append(Review("QR514", tr("the unit '{unit}' is not a unit of the rule language yet", unit=value.unit)))
    written = value.written if high is None else f"{value.written}-{high.written}"
    if high is not None and high.unit and not written.endswith(high.unit):
        written += high.unit
    suffix = {"之内": "以内", "之上": "以上"}.get(match.suffix or "", match.suffix)
    pre = EXTRA_PREFIXES.get(match.pre, match.pre) if match.pre else None
    pre = pre or None
    if pre in _SYMBOLS:
        return f"{pre} {written}", reviews, expressible
    if change is not None:
        return _change_words(change, pre, written, suffix, value, reviews, expressible, context)
    if pre == "约":
        reviews.append(Review("QR511", tr("'{pre}{written}' is approximate: check the tolerance and whether only one "
                                          "side binds", pre=match.pre, written=written)))
        return f"约{written}", reviews, expressible
    if suffix == "左右":
        reviews.append(Review("QR511", tr("'{written}左右' is approximate: check the tolerance and whether only one "
                                          "side binds", written=written)))
        lead = pre if pre in ("达", "达到", "为", "等于", "保持在", "维持在", "稳定在", "控制在") else ""
        return f"{lead}{written}左右", reviews, expressible
    if high is not None:
        return written, reviews, expressible
    if pre is None and suffix is None:
        reviews.append(Review("QR510", tr("'{written}' has no comparator word", written=written)))
        return written, reviews, expressible
    if pre in ("保持在", "稳定在", "维持在", "控制在") and suffix is None:
        if value.number == 100 and value.unit == "%":
            return "== 100%", reviews, expressible
        side = "以下" if pre == "控制在" else "以上"
        reading = f"{pre}{written}{side}"
        reviews.append(Review("QR510", tr("'{before}{written}' says no 以上/以下: read as {reading}", before=match.pre,
                                          written=written, reading=reading)))
        return reading, reviews, expressible
    return f"{pre or ''}{'全年的' if match.fill and pre else ''}{written}{suffix or ''}", reviews, expressible


def _change_words(change: tuple[int, str, int | None, str | None], pre: str | None, written: str,
                  suffix: str | None, value: Value, reviews: list[Review], expressible: bool,
                  context: Context) -> tuple[str, list[Review], bool]:
    _, word, year, adverb = change
    if year == -1:
        reviews.append(Review("QR520", tr("'{word}{written}' (a change year on year, or an average annual change) "
                                          "cannot be written in the rule language yet", word=word, written=written)))
        return f"{word}{written}", reviews, False
    if value.unit not in ("%", *POINT_SPELLINGS):
        reviews.append(Review("QR520", tr("a change of {written} in the indicator's own unit cannot be written in the "
                                          "rule language yet", written=written)))
        return f"{word}{written}", reviews, False
    if year is None:
        if context.period is None:
            reviews.append(Review("QR513", tr("'{word}{written}' states no baseline year and the plan period is "
                                              "unknown: give --period", word=word, written=written)))
            return f"{word}{written}", reviews, False
        year = context.period[0] - 1
        reviews.append(Review("QR513", tr("'{word}{written}' states no baseline year: read against {year}, the year "
                                          "before the plan starts", word=word, written=written, year=year)))
    return f"较{year}年{adverb or ''}{word}{pre or ''}{written}{suffix or ''}", reviews, expressible


# ------------------------------------------------------------------------------------------
# Targets stated in words (全部达到, 零事故, 全国第一, 全覆盖)


_WORDING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<subject>.+?)(实现|做到)?(零事故|零死亡|零伤亡|零发生)$"), "zero"),
    (re.compile(r"^(?P<subject>.+?(事故|死亡|伤亡|案件|事件)(发生率|发生数|起数|人数)?)(数)?(为零|降为零|保持为零|实现为零)$"),
     "zero"),
    (re.compile(r"^(?P<lead>.*?)杜绝(?P<subject>.+?事故)$"), "eliminate"),
    (re.compile(r"^(?:全年|每年|确保|力争|全市|全省|全区|全县|做到|基本)*(?:无|不发生|未发生|没有发生)"
                r"(?P<subject>[^,]+?(事故|事件|案件))$"), "zero"),
    (re.compile(r"^(?P<subject>.+?)全部达到(?P<what>.+)$"), "all"),
    (re.compile(r"^(?P<subject>.+?)(继续)?(?P<hold>保持|稳居|位居|位列|争创|进入)?(?P<scope>全国|全省|全市|全区)(第一|首位)$"),
     "first"),
    (re.compile(r"^(?P<subject>.+?)达(?:到)?(?P<what>[^的]{2,8})标准$"), "standard"),
    (re.compile(r"^(?P<subject>.+?)(较|比)(?P<year>\d{4})年(?P<word>翻一番|翻两番)$"), "double"),
    (re.compile(r"^(?P<subject>.+?)实现零的突破$"), "breakthrough"),
    (re.compile(r"^所有(?P<subject>[^要应须]{2,10}?)(?P<what>(实行|实现|达到|完成|纳入|建立|通过)[^要应须]{2,20})$"), "every-one"),
)


def _wording_finding(reader: _SentenceReader, clause: _Clause, match: re.Match[str], build: str,
                     subject_words: str | None = None) -> Finding | None:
    words = subject_words if subject_words is not None else match.group("subject")
    subject = re.sub(r"^(实现|确保)", "", _strip_lead(_STRENGTH.sub("", words)))
    if not subject or len(subject) > 30 or reader.past:
        return None
    explained: dict[str, Text] = {"zero": tr("no number: '零事故' read as == 0"),
                 "eliminate": tr("no number: '杜绝…' read as == 0 in every year"),
                 "all": tr("no number: '全部达到' read as 100%"), "first": tr("no number: '全国第一' read as rank 1"),
                 "standard": tr("no number: '达…标准' read as 100% compliance"),
                 "every-one": tr("no number: '所有…' read as 100%"),
                 "double": tr("'翻一番/翻两番' read as a rise of 100%/300% against the baseline year"),
                 "breakthrough": tr("no number: '实现零的突破' read as at least 1")}
    if build in ("zero", "eliminate"):
        ends = bool(re.search(r"(事故|事件|案件|死亡|伤亡)(发生率|发生数|起数|人数)?$", subject))
        names: tuple[str, ...] = _unique([subject, subject if ends else subject + "事故"])
        target, value = "零事故", Value("0", Decimal(0), None)
    elif build == "all":
        what = match.group("what")
        standard = re.sub(r"(标准|要求)$", "", what)
        names = _unique([f"{subject}达到{what}比例", f"{subject}{standard}达标率", f"{subject}达标率"])
        target, value = "== 100%", Value("100%", Decimal(100), "%")
    elif build == "double":
        names = (subject,)
        target = f"较{match.group('year')}年{match.group('word')}"
        value = Value(match.group("word"), Decimal(100 if match.group("word") == "翻一番" else 300), "%")
    elif build == "breakthrough":
        names = (subject,)
        target, value = ">= 1", Value("1", Decimal(1), None)
    elif build == "every-one":
        what = match.group("what")
        names = _unique([f"{what}的{subject}比例", f"{subject}{what}比例", f"{subject}{what}率"])
        target, value = "== 100%", Value("100%", Decimal(100), "%")
    elif build == "first":
        names = (f"{subject}{match.group('scope')}排名", f"{subject}排名")
        target, value = "<= 1位", Value("1位", Decimal(1), "位")
    else:
        what = match.group("what")
        names = _unique([f"{subject}{what}达标率", f"{subject}达标率"])
        target, value = "== 100%", Value("100%", Decimal(100), "%")
    time: tuple[str, int | None] = ("default", None)
    current = reader.time
    held = build == "first" and match.group("hold") in ("保持", "稳居")  # 保持全国第一: every year
    if build == "eliminate" or held or (current is not None and current[0] in ("every", "period")):
        time = ("every", None)
    elif current is not None and current[0] == "year":
        time = ("year", current[1])
    start = clause.start  # the whole clause: 所有供水水库…, 杜绝重特大事故
    while start < clause.end and reader.text[start] in "、,和及":
        start += 1
    return Finding(reader.block, names[-1] if build in ("zero", "eliminate") else names[0], names, target, value,
                   time, reader.strength, reader.compact.start(start), reader.compact.end(clause.end),
                   (Review("QR519", explained[build]),), True, 0.5, reader.compact.ranges(start, clause.end))
