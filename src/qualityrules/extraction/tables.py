"""Targets in table rows: a task table whose 主要目标 column holds sentences (read as prose, cited
by its row, ``附件 序号8``), or an indicator table (指标 | 单位 | 2020年 | 2025年 | 属性), whose
cells give the name, unit, target, and 约束性/预期性, with or without a header row."""

from __future__ import annotations

import re
from decimal import Decimal

from ..language.units import grammar_spellings
from .reading import PlanText
from .structure import Block, Row
from .targets import Compact, Context, Finding, Review, Value, read_prose

__all__ = ["row_targets"]

_ATTRIBUTE = re.compile(r"^(约束性|预期性|约束|预期)$")
_CELL_VALUE = re.compile(
    r"^(?P<op>[<>≤≥]=?|不低于|不少于|不高于|不超过|达到|超过|低于|高于)?\s*(?P<num>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>%|‰|[\u4e00-\u9fff/]{0,6}?)?\s*(?P<suf>以上|以下|以内|左右)?$")
_CUMULATIVE_CELL = re.compile(r"^[〔\[(](?P<num>\d+(?:\.\d+)?)[〕\])]$")
_UNIT_IN_NAME = re.compile(r"[(（](?P<unit>%|‰|[^()（）]{1,8})[)）]$")
_YEAR_HEADER = re.compile(r"(\d{4})")


def row_targets(plan: PlanText, block: Block, context: Context) -> list[Finding]:
    row = block.row
    assert row is not None
    target_column = row.column("主要目标", "目标值", "目标", "工作目标")
    if target_column is not None and _prose(plan, row, target_column):
        compact = Compact(plan.text, list(row.cells[target_column]))
        return list(read_prose(plan, block, compact, context))
    texts = [_cell_text(plan, cells) for cells in row.cells]
    return _indicator_row(plan, block, row, texts, context)


def _cell_text(plan: PlanText, pieces: tuple[tuple[int, int], ...]) -> str:
    return "".join(plan.text[a:b] for a, b in pieces).strip()


def _prose(plan: PlanText, row: Row, column: int) -> bool:
    if column >= len(row.cells):
        return False
    text = _cell_text(plan, row.cells[column])
    return len(text) >= 12 and bool(re.search(r"[\u4e00-\u9fff]{4}", text))


def _indicator_row(plan: PlanText, block: Block, row: Row, texts: list[str], context: Context) -> list[Finding]:
    """One target from an indicator row, if its cells hold one."""
    header = row.header
    attribute = next((t for t in texts if _ATTRIBUTE.match(t.replace(" ", ""))), None)
    name_column = row.column("指标名称", "指标", "名称", "项目") if header else None
    if name_column is None:
        name_column = next((i for i, t in enumerate(texts) if re.search(r"[\u4e00-\u9fff]{2}", t)
                            and not _ATTRIBUTE.match(t) and not t.isdigit()), None)
    if name_column is None or name_column >= len(texts):
        return []
    name = texts[name_column].replace(" ", "")
    unit_column = row.column("单位") if header else None
    unit = texts[unit_column].replace(" ", "") if unit_column is not None and unit_column < len(texts) else None
    if unit is not None and not re.search(r"[\u4e00-\u9fff%‰]", unit):
        unit = None  # —, -, / : no unit
    in_name = _UNIT_IN_NAME.search(name)
    if in_name:
        unit = unit or in_name.group("unit")
        name = name[:in_name.start()]
    if not header and attribute is None and not any(_CELL_VALUE.match(t) and re.match(r"[<>≤≥]", t)
                                                    for t in texts):
        return []  # a header-less row without 约束性/预期性 or a comparator is not an indicator row
    target_column, year = _target_column(row, texts, name_column)
    cumulative_column = row.column("累计") if header else None
    reviews: list[Review] = []
    cell = texts[target_column] if target_column is not None and target_column < len(texts) else ""
    if (not cell or cell in "-—–/") and cumulative_column is not None and cumulative_column < len(texts):
        cell = texts[cumulative_column]
        year = None
    if not cell or cell in "-—–/":
        candidates = [t for i, t in enumerate(texts) if i != name_column and (_CUMULATIVE_CELL.match(t)
                                                                             or _CELL_VALUE.match(t))]
        cell = candidates[-1] if candidates else ""
    cumulative = _CUMULATIVE_CELL.match(cell.replace(" ", ""))
    target: str
    time: tuple[str, int | None] = ("year", year) if year else ("default", None)
    change = re.search(r"(下降|降低|减少|提高|提升|增长|增加)$", name)
    if cumulative:
        number = cumulative.group("num")
        written = f"{number}{unit or ''}"
        if change:
            baseline = context.period[0] - 1 if context.period else None
            if baseline is None:
                return []
            reviews.append(Review("QR513", f"〔{number}〕 states no baseline year: read against {baseline}, "
                                  "the year before the plan starts"))
            target = f"较{baseline}年{change.group(1)}{written}"
            name = name[:change.start()]
            time = ("default", None)
        else:
            reviews.append(Review("QR518", f"〔{number}〕 is a total over the plan period: read as 累计"))
            target = written
            time = ("total", None)
        value = Value(written, Decimal(number), unit)
    else:
        match = _CELL_VALUE.match(cell.replace(" ", ""))
        if not match:  # a cell in words (降低13.5%, 达到95%以上): the name and the cell read as a sentence
            column = target_column if target_column is not None else texts.index(cell) if cell in texts else None
            if column is None or column == name_column:
                return []
            pieces = [*row.cells[name_column], *row.cells[column]]
            return list(read_prose(plan, block, Compact(plan.text, pieces), context, strength=_strength(attribute)))
        number = match.group("num")
        cell_unit = match.group("unit") or unit
        written = f"{number}{cell_unit or ''}"
        op = match.group("op")
        suffix = match.group("suf")
        value = Value(written, Decimal(number), cell_unit or None)
        if op:
            symbol = {"<": "<", ">": ">", "≤": "<=", "≥": ">=", "<=": "<=", ">=": ">="}.get(op)
            target = f"{symbol} {written}" if symbol else f"{op}{written}"
        elif suffix == "左右":
            reviews.append(Review("QR511", f"'{written}左右' is approximate: check the tolerance and whether "
                                  "only one side binds"))
            target = f"{written}左右"
        elif suffix:
            target = f"{written}{suffix}"
        else:
            reviews.append(Review("QR510", f"'{written}' has no comparator word"))
            target = written
        if change and not suffix and not op:
            return []
    expressible = value.unit is None or value.unit in grammar_spellings()
    if not expressible:
        reviews.append(Review("QR514", f"the unit '{value.unit}' is not a unit of the rule language yet"))
    strength = _strength(attribute)
    start = block.start
    end = block.end
    return [Finding(block, name, (name,), target, value, time, strength, start, end, tuple(reviews), expressible, 0.8)]


def _strength(attribute: str | None) -> str | None:
    if attribute is None:
        return None
    word = attribute.replace(" ", "")
    return word if word.endswith("性") else word + "性"


def _target_column(row: Row, texts: list[str], name_column: int) -> tuple[int | None, int | None]:
    """The column holding the target: the 目标 column, or the latest year column."""
    if not row.header:
        return None, None
    explicit = row.column("目标值", "目标")
    years = [(int(m.group(1)), i) for i, h in enumerate(row.header)
             if (m := _YEAR_HEADER.search(h)) and i != name_column and not re.search("基|现状|实际|完成", h)]
    if explicit is not None:
        year_in = re.search(r"(\d{4})", row.header[explicit])
        return explicit, int(year_in.group(1)) if year_in else None
    if years:
        year, column = max(years)
        return column, year
    return None, None
