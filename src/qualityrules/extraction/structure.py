"""A plan's numbered structure: headings (第一章, 一、, (一), 1., (1), ①, 附件, 专栏) with the section
label a citation gives them (``二(一)``, ``三(二)1``, ``附件 序号8``), paragraphs joined across the
line breaks a PDF or web copy leaves inside sentences, headings found where they run into the
text, and tables (tab- or ``|``-separated rows, or one cell per line) split into rows.

Everything here works on the normalised text (:attr:`PlanText.text`); offsets are normalised
offsets, mapped back to the printed text only when a candidate is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import attrs

from .reading import PlanText

__all__ = ["Block", "Row", "Heading", "blocks", "CN_DIGITS", "chinese_ordinal"]

CN_DIGITS = "零〇一二两三四五六七八九十百"
_CN = f"[{CN_DIGITS}]+"

# Heading markers by rank (a smaller rank encloses a larger one). GB/T 9704 numbers 一、 (一) 1.
# (1); plans add chapters, sections and articles above and circled numbers below.
_MARKERS: tuple[tuple[int, str, re.Pattern[str]], ...] = (
    (0, "chapter", re.compile(rf"第({_CN}|\d+)章")),
    (0, "division", re.compile(rf"第({_CN}|\d+)部分")),
    (1, "part", re.compile(rf"第({_CN}|\d+)节")),
    (2, "cn", re.compile(rf"({_CN})[、.](?![\d{CN_DIGITS}])")),
    (3, "cn-paren", re.compile(rf"\(({_CN})\)")),
    (4, "digit", re.compile(r"(\d{1,2})[.、](?!\d)")),
    (5, "digit-paren", re.compile(r"\((\d{1,2})\)")),
    (7, "article", re.compile(rf"第({_CN}|\d+)条")),
)
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ANNEX = re.compile(r"(附件|附表|附录)\s*(\d*|[一二三四五六七八九十]*)\s*[:：]?")
_PANEL = re.compile(r"(专栏|表)\s*(\d+)")
_SENTENCE_END = "。;!?:"
_BASELINE_TITLES = re.compile(r"发展基础|现状|基本情况|回顾|成就|成效|取得的|面临的?形势|发展环境|背景|进展|基础条件|"
                              r"存在的?问题|机遇与挑战|机遇和挑战")
_TARGET_TITLES = re.compile(r"目标|指标")
_TASK_TITLES = re.compile(r"任务|重点工作|工作重点|主要工作|行动|工程|举措")
_MEASURE_TITLES = re.compile(r"保障措施|保障机制|组织实施|组织领导|工作要求|组织保障|考核评价|监督考核|工作机制")


def chinese_ordinal(text: str) -> int | None:
    """The value of a heading number (``二十三`` → 23, ``12`` → 12), None when it is not one."""
    if text.isdigit():
        return int(text)
    digits = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
    if text in digits:
        return digits[text]
    tens, _, ones = text.partition("十")
    if "十" not in text or (tens and tens not in digits) or (ones and ones not in digits):
        return None
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


@attrs.frozen
class Heading:
    rank: int
    kind: str
    number: int
    label: str      # as a citation writes it: 二, (一), 1, (1), ①, 第三章, 附件1, 专栏2
    title: str


@attrs.frozen
class Row:
    """A table row: per column the pieces of text in it (normalised offsets; a cell broken by a
    page break has several), and the header of each column (empty when the table has none)."""

    cells: tuple[tuple[tuple[int, int], ...], ...]
    header: tuple[str, ...]

    def column(self, *words: str) -> int | None:
        """The first column whose header contains one of ``words``."""
        for index, name in enumerate(self.header):
            if any(word in name for word in words):
                return index
        return None


@attrs.frozen
class Block:
    """A paragraph (``row`` is None) or a table row, with the section it belongs to."""

    start: int
    end: int
    section: str
    titles: tuple[str, ...]
    row: Row | None = None
    group: str = ""         # the two outer levels (``二(一)``, ``附件``): a section of the draft pack
    group_title: str = ""   # the title of the innermost of those levels

    @property
    def baseline(self) -> bool:
        """In a part that describes the past (发展基础, 现状, 成就): its figures are facts. Under a
        part about targets, a title such as ``品牌建设成效明显`` names a goal, not the past."""
        for title in self.titles:
            if _BASELINE_TITLES.search(title):
                return True
            if _TARGET_TITLES.search(title):
                return False
        return False

    @property
    def measures(self) -> bool:
        """In a part about how the plan is run (保障措施, 组织实施): its figures are working rules."""
        return any(_MEASURE_TITLES.search(t) for t in self.titles)

    @property
    def tasks(self) -> bool:
        """In a part about what the plan will do (重点任务, 重点工作, …行动, …工程)."""
        return any(_TASK_TITLES.search(t) for t in self.titles) and not self.measures

    @property
    def goals(self) -> bool:
        """In a part about targets (主要目标, 工作目标, 主要指标)."""
        return any(_TARGET_TITLES.search(t) for t in self.titles)


@attrs.define
class _Outline:
    """The headings open at the current point, and the last number seen of each kind."""

    open: list[Heading] = attrs.field(factory=list)
    last: dict[str, int] = attrs.field(factory=dict)
    annex: str = ""

    def accepts(self, kind: str, number: int, at_line_start: bool) -> bool:
        last = self.last.get(kind, 0)
        if number == 1 or number == last + 1:
            return True
        if at_line_start and kind not in self.last:
            return True  # an excerpt that starts at 四、
        return at_line_start and last < number <= last + 2

    def enter(self, heading: Heading) -> None:
        self.open = [h for h in self.open if h.rank < heading.rank] + [heading]
        self.last[heading.kind] = heading.number

    def enter_annex(self, label: str) -> None:
        self.open, self.last, self.annex = [], {}, label

    @property
    def label(self) -> str:
        body = "".join(h.label for h in self.open if h.kind != "panel")
        panels = " ".join(h.label for h in self.open if h.kind == "panel")
        return " ".join(p for p in (self.annex, body, panels) if p)

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(h.title for h in self.open if h.title)

    def block(self, start: int, end: int, row: Row | None = None, section: str | None = None) -> Block:
        outer = [h for h in self.open if h.kind != "panel"][:2]
        group = " ".join(p for p in (self.annex, "".join(h.label for h in outer)) if p)
        title = next((h.title for h in reversed(outer) if h.title), "")
        return Block(start, end, self.label if section is None else section, self.titles, row, group, title)


def blocks(plan: PlanText) -> list[Block]:
    """The plan's paragraphs and table rows in reading order, each with its section."""
    text = plan.text
    outline = _Outline()
    found: list[Block] = []
    lines = _lines(text)
    index = 0
    while index < len(lines):
        start, end = lines[index]
        line = text[start:end].strip()
        annex = _ANNEX.match(line)
        if annex and (len(line) <= 40 or annex.end() == len(line)) and not _is_reference(line):
            outline.enter_annex(annex.group(1) + annex.group(2))
            index += 1
            continue
        table, index_after = _table_at(text, lines, index)
        if not table:
            table, index_after = _column_table_at(text, lines, index)
        if table:
            found.extend(_row_blocks(text, table, outline))
            index = index_after
            continue
        paragraph_end, index = _paragraph(text, lines, index)
        found.extend(_prose_blocks(plan, start, paragraph_end, outline))
    return found


def _is_reference(line: str) -> bool:
    """``附件：龙岗区…分解表`` listed at the end of the body names the annex, it does not open it;
    the annex itself starts with a line holding little more than 附件."""
    match = _ANNEX.match(line)
    rest = line[match.end():].strip() if match else ""
    return bool(rest) and not (match and match.group(2))


def _lines(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for piece in text.split("\n"):
        out.append((start, start + len(piece)))
        start += len(piece) + 1
    return out


# ------------------------------------------------------------------------------------------
# Paragraphs


def _paragraph(text: str, lines: list[tuple[int, int]], index: int) -> tuple[int, int]:
    """Join a line with the next ones while it stops mid-sentence (a page or web-copy break):
    returns the end offset of the paragraph and the index of the next line."""
    start, end = lines[index]
    index += 1
    while index < len(lines):
        current = text[start:end].rstrip()
        if len(current.strip()) < 15 or current.endswith(tuple(_SENTENCE_END)) or (
                _starts_heading(current) and not re.search(r"[。,;:]", current)):
            break  # a heading alone on its line ends there; one followed by its text may run on
        following = index
        while following < len(lines) and not text[lines[following][0]:lines[following][1]].strip():
            following += 1
        if following >= len(lines):
            break
        nxt = text[lines[following][0]:lines[following][1]].strip()
        if not nxt or _starts_heading(nxt) or _cells(nxt) or _ANNEX.match(nxt) or _PANEL.match(current.strip()) \
                or _COLUMN_HEADER.match(nxt.replace(" ", "")):
            break
        end = lines[following][1]
        index = following + 1
    return end, index


def _starts_heading(line: str) -> bool:
    stripped = line.strip()
    return any(p.match(stripped) for _, _, p in _MARKERS) or stripped[:1] in _CIRCLED


def _prose_blocks(plan: PlanText, start: int, end: int, outline: _Outline) -> Iterator[Block]:
    """Split a paragraph at the headings inside it (at its start, or right after a sentence
    ends: headings copied from web pages run into the text)."""
    text = plan.text
    cursor = start
    position = start
    keywords = _keyword_headings(text, start, end)
    inline_items = False  # (1)…；(2)… inside the paragraph: a list that ends with it
    while position < end:
        position = _skip_space(text, position, end)
        heading = _heading_at(plan, position, end, outline,
                              at_line_start=position == _skip_space(text, start, end) or position in keywords)
        if heading is not None:
            marker_end, found = heading
            if position > cursor:
                yield outline.block(cursor, position)
            child = _child_marker(text, marker_end, end, found.rank)
            if child is not None:  # 三、重点任务（一）实施…: a heading run into its first sub-heading
                found = attrs.evolve(found, title=text[marker_end:child].strip())
            outline.enter(found)
            inline_items |= found.rank >= 5 and position > _skip_space(text, start, end)
            cursor = position = child if child is not None else marker_end
            continue
        next_end = _next_sentence_end(text, position, end)
        keyword = min((k for k in keywords if position < k < next_end), default=None)
        if keyword is not None:
            position = keyword
            continue
        if next_end >= end:
            break
        position = next_end
    if _skip_space(text, cursor, end) < end:
        yield outline.block(cursor, end)
    if inline_items:
        outline.open = [h for h in outline.open if h.rank < 5]


_HEADING_WORDS = ("总体要求|指导思想|基本原则|主要目标|发展目标|工作目标|总体目标|目标任务|重点任务|主要任务|工作任务|"
                  "重点工作|保障措施|组织实施|工作要求|发展基础|发展现状|实施步骤|工作措施|任务分工|实施范围|工作原则")
_KEYWORD_HEADING = re.compile(rf"(?:[{CN_DIGITS}]+、|\([{CN_DIGITS}]+\))(?={_HEADING_WORDS})")


def _keyword_headings(text: str, start: int, end: int) -> set[int]:
    """Where a heading begins that runs on from a title with no punctuation at all
    (``…的实施意见一、总体要求…``): a marker right before a word only headings use."""
    return {m.start() for m in _KEYWORD_HEADING.finditer(text, start, end)}


def _skip_space(text: str, position: int, end: int) -> int:
    while position < end and text[position].isspace():
        position += 1
    return position


def _next_sentence_end(text: str, position: int, end: int) -> int:
    while position < end and text[position] not in _SENTENCE_END:
        position += 1
    return position + 1


def _heading_at(plan: PlanText, position: int, end: int, outline: _Outline,
                at_line_start: bool) -> tuple[int, Heading] | None:
    text = plan.text
    first, _ = plan.original(position, position + 1)
    circled = plan.source.text[first:first + 1]
    if circled and circled in _CIRCLED:
        if not at_line_start or any(h.kind == "panel" for h in outline.open):
            return None  # ①…；②… inside a paragraph list items, not headings
        number = _CIRCLED.index(circled) + 1
        width = _normalised_width(plan, position)
        if outline.accepts("circled", number, at_line_start):
            return position + width, Heading(6, "circled", number, circled, _title(text, position + width, end))
        return None
    panel = _PANEL.match(text, position, end)
    if panel and at_line_start and (panel.group(1) == "专栏" or _table_title(text, panel.end(), end)):
        label = panel.group(1) + panel.group(2)
        return panel.end(), Heading(8, "panel", int(panel.group(2)), label, _title(text, panel.end(), end))
    in_panel = any(h.kind == "panel" for h in outline.open)
    for rank, kind, pattern in _MARKERS:
        match = pattern.match(text, position, end)
        if not match:
            continue
        if in_panel and rank > 3:
            return None  # 1. 2. inside a 专栏 box list its items; the box is the citation
        ordinal = chinese_ordinal(match.group(1))
        if ordinal is None or ordinal == 0 or not outline.accepts(kind, ordinal, at_line_start):
            return None
        if kind in ("digit", "digit-paren") and _looks_like_quantity(text, match.end(), end):
            return None
        label = {"cn": match.group(1), "cn-paren": f"({match.group(1)})", "digit": match.group(1),
                 "digit-paren": f"({match.group(1)})"}.get(kind, match.group(0))
        return match.end(), Heading(rank, kind, ordinal, label, _title(text, match.end(), end))
    return None


def _table_title(text: str, start: int, end: int) -> bool:
    """``表1 “十四五”时期…主要指标`` on a line of its own titles a table (cited ``表1``); ``表1`` in a
    sentence (``达到表1的要求``) does not."""
    rest = text[start:end].strip()
    return 0 < len(rest) <= 40 and not any(mark in rest for mark in "。;,")


def _normalised_width(plan: PlanText, position: int) -> int:
    """How many normalised characters one printed character at ``position`` became (① → 1)."""
    normalized = plan.normalized
    first = normalized.original_offset(position)
    width = 1
    while position + width < len(normalized.text) and normalized.original_offset(position + width) == first:
        width += 1
    return width


def _looks_like_quantity(text: str, after: int, end: int) -> bool:
    """``1、2个`` or ``3.5%`` are numbers, not item numbers."""
    return after < end and (text[after].isdigit() or text[after] in "%‰")


def _title(text: str, start: int, end: int) -> str:
    """A heading's words: up to the end of its first clause, a year (``主要目标到2025年``) or a
    sub-heading run into it, if short."""
    stop = start
    while stop < end and text[stop] not in "。;:\n," and stop - start <= 40:
        if re.match(r"(到|至)?\d{4}年|\((一|1)\)|1[.、]", text[stop:stop + 6]) and stop > start:
            break
        stop += 1
    title = text[start:stop].strip()
    return title if len(title) <= 30 else ""


def _child_marker(text: str, start: int, end: int, rank: int) -> int | None:
    """Where a first sub-heading ((一), 1., (1)) starts within a heading's short title, if it does."""
    limit = min(end, start + 25)
    for position in range(start + 2, limit):
        if text[position] in "。;:,!?\n":
            return None
        for child_rank, _, pattern in _MARKERS:
            if child_rank <= rank or child_rank > 5:
                continue
            match = pattern.match(text, position, end)
            if match and chinese_ordinal(match.group(1)) == 1:
                return position
    return None


# ------------------------------------------------------------------------------------------
# Tables


_WIDE_SPACE = re.compile(r"[ \u3000]{2,}")


def _cells(line: str) -> list[str]:
    """The cells of a table line: three or more fields separated by tabs, ``|``, or runs of two
    or more spaces (a table laid out with spaces); a line of a few thousand characters is a
    whole document on one line, not a row."""
    if len(line) > 3000:
        return []
    if line.count("\t") >= 2:
        return [c.strip() for c in line.strip("\n").split("\t")]
    if line.count("|") >= 2:
        return [c.strip() for c in line.strip().strip("|").split("|")]
    spaced = _WIDE_SPACE.split(line.strip())
    if len(spaced) >= 3 and all(len(cell) <= 30 for cell in spaced):
        return spaced
    return []


_HEADER_WORDS = re.compile(r"序号|指标|目标|单位|属性|名称|任务|措施|类别|年|基期|现状|预期|约束|备注|累计|牵头")


def _table_at(text: str, lines: list[tuple[int, int]], index: int
              ) -> tuple[list[tuple[list[tuple[int, int]], bool]], int]:
    """Rows of a table starting at line ``index`` (cell offsets, and whether the row continues
    the one before: an empty first cell after a page break), and the index after the table."""
    rows: list[tuple[list[tuple[int, int]], bool]] = []
    position = index
    width = 0
    while position < len(lines):
        start, end = lines[position]
        line = text[start:end]
        if not line.strip():
            ahead = position + 1
            while ahead < len(lines) and not text[lines[ahead][0]:lines[ahead][1]].strip():
                ahead += 1
            if rows and ahead < len(lines) and _cells(text[lines[ahead][0]:lines[ahead][1]]):
                position = ahead
                continue
            break
        cells = _cells(line)
        if not cells:
            break
        offsets = _cell_offsets(text, start, end)
        width = max(width, len(offsets))
        continues = bool(rows) and not offsets[0][1] > offsets[0][0]
        rows.append((offsets, continues))
        position += 1
    if len(rows) < 2 and not (rows and _HEADER_WORDS.search(text[lines[index][0]:lines[index][1]])):
        return [], index
    return rows, position


_COLUMN_HEADER = re.compile(r"^(序号|指标|指标名称|主要指标|项目|单位|计量单位|属性|指标属性|类型|目标值|基期值|"
                            r"现状值|\d{4}年(目标|目标值|基期|现状)?|备注|累计)$")


def _column_table_at(text: str, lines: list[tuple[int, int]], index: int
                     ) -> tuple[list[tuple[list[tuple[int, int]], bool]], int]:
    """A table copied from a web page one cell per line: a header of three or more short
    header words (序号, 指标, 2025年, 属性 …), then its rows cell by cell."""
    cells: list[tuple[int, int]] = []
    position = index
    while position < len(lines):  # the header
        start, end = lines[position]
        word = text[start:end].strip().replace(" ", "")
        if not word:
            position += 1
            continue
        if not _COLUMN_HEADER.match(word):
            break
        left = len(text[start:end]) - len(text[start:end].lstrip())
        cells.append((start + left, start + left + len(text[start:end].strip())))
        position += 1
    width = len(cells)
    if width < 3 or not text[cells[0][0]:cells[0][1]].startswith(("序号", "指标", "项目")):
        return [], index
    rows: list[tuple[list[tuple[int, int]], bool]] = [(cells, False)]
    numbered = text[cells[0][0]:cells[0][1]] == "序号"
    current: list[tuple[int, int]] = []
    while position < len(lines):
        start, end = lines[position]
        raw = text[start:end]
        word = raw.strip()
        if not word:
            position += 1
            continue
        if len(word) > 40 or (not current and numbered and not word.isdigit()):
            break
        left = len(raw) - len(raw.lstrip())
        current.append((start + left, start + left + len(word)))
        position += 1
        if len(current) == width:
            rows.append((current, False))
            current = []
    if current or len(rows) < 2:
        position -= len(current)
    return (rows, position) if len(rows) >= 2 else ([], index)


def _cell_offsets(text: str, start: int, end: int) -> list[tuple[int, int]]:
    line = text[start:end]
    if line.count("\t") < 2 and line.count("|") < 2:  # laid out with spaces
        return [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+(?: \S+)*", line)]
    separator = "\t" if line.count("\t") >= 2 else "|"
    out = []
    cursor = start
    pieces = line.split(separator)
    if separator == "|" and not pieces[0].strip():
        cursor += len(pieces[0]) + 1
        pieces = pieces[1:]
    if separator == "|" and pieces and not pieces[-1].strip():
        pieces = pieces[:-1]
    for piece in pieces:
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        out.append((cursor + left, cursor + max(left, right)))
        cursor += len(piece) + 1
    return out


def _row_blocks(text: str, table: list[tuple[list[tuple[int, int]], bool]], outline: _Outline) -> Iterator[Block]:
    header: tuple[str, ...] = ()
    merged: list[list[list[tuple[int, int]]]] = []
    for position, (cells, continues) in enumerate(table):
        words = [text[a:b] for a, b in cells]
        # a header is the first row, or the first row again (repeated after a page break)
        if (position == 0 and _is_header(words)) or (header and tuple(w.replace(" ", "") for w in words) == header):
            header = tuple(w.replace(" ", "") for w in words)
            continue
        if continues and merged and _continues(words, header, merged[-1]):
            previous = merged[-1]
            for column, cell in enumerate(cells):
                if cell[1] > cell[0]:
                    while len(previous) <= column:
                        previous.append([])
                    previous[column].append(cell)
            continue
        merged.append([[cell] if cell[1] > cell[0] else [] for cell in cells])
    label = outline.label
    number_column = _number_column(header)
    for columns in merged:
        pieces = [piece for column in columns for piece in column]
        if not pieces:
            continue
        numbered = columns[number_column] if number_column is not None and number_column < len(columns) else []
        first = "".join(text[a:b] for a, b in numbered).strip()
        row_label = f"序号{first}" if first.isdigit() else ""
        section = f"{label} {row_label}".strip()
        yield outline.block(pieces[0][0], pieces[-1][1], Row(tuple(tuple(column) for column in columns), header),
                            section)


def _number_column(header: tuple[str, ...]) -> int | None:
    """The 序号 column: the first, or the second after a category column (类别 | 序号 | 指标 …)."""
    return next((i for i, word in enumerate(header[:2]) if "序号" in word), None)


def _continues(words: list[str], header: tuple[str, ...], previous: list[list[tuple[int, int]]]) -> bool:
    """A row whose first cell is empty continues the row before (a cell broken by a page break)
    unless it is a full row of its own under a category cell merged over several rows
    (``经济发展 | 1 | …`` then `` | 2 | …``): it has its own 序号, or as many cells as the row before
    has filled, less the category."""
    number_column = _number_column(header)
    if number_column is not None and number_column < len(words):
        return not words[number_column].strip()
    filled = sum(1 for w in words if w.strip())
    before = sum(1 for column in previous if column)
    return filled < max(2, before - 1)


def _is_header(words: list[str]) -> bool:
    joined = [w.replace(" ", "") for w in words if w.strip()]
    if not joined:
        return False
    hits = sum(1 for w in joined if _HEADER_WORDS.search(w) and len(w) <= 12 and not re.search(r"\d+(\.\d+)?%", w))
    return hits >= max(2, len(joined) // 2) and not joined[0].isdigit()
