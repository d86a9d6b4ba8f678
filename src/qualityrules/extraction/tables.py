"""Targets in table rows: a task table whose 主要目标 column holds sentences (read as prose, cited
by its row, ``附件 序号8``), or an indicator table (指标 | 单位 | 2020年 | 2025年 | 属性), whose
cells give the name, unit, target, and 约束性/预期性, with or without a header row."""

from __future__ import annotations

import re
from decimal import Decimal

from ..i18n import tr
from ..language.units import grammar_spellings
from .reading import PlanText
from .structure import Block, Row
from .targets import CLASSIFIED_UNITS, Compact, Context, Finding, Review, Value, per_value, read_prose

__all__ = ["row_targets"]

_ATTRIBUTE = re.compile(r"^(约束性|预期性|约束|预期)$")
_CELL_VALUE = re.compile(
    r"^(?P<op>[<>≤≥]=?|不低于|不少于|不高于|不超过|达到|超过|低于|高于)?\s*(?P<num>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>%|‰|[\u4e00-\u9fff/]{0,6}?)?\s*(?P<suf>以上|以下|以内|左右)?$")
_RANGE_CELL = re.compile(r"^(?P<low>\d+(?:\.\d+)?)(?P<unit1>%|‰)?[-—–~～至](?P<num>\d+(?:\.\d+)?)(?P<unit>%|‰)?$")
_CUMULATIVE_CELL = re.compile(r"^[〔\[(](?P<num>\d+(?:\.\d+)?)[〕\])]$")
_UNIT_IN_NAME = re.compile(r"[(（](?P<unit>%|‰|[^()（）]{1,8})[)）]$")
_YEAR_HEADER = re.compile(r"(\d{4})")
_FOOTNOTE_AFTER = re.compile(r"\s*[*†‡§※]+$")
_MAGNITUDES = {"万": Decimal(10) ** 4, "亿": Decimal(10) ** 8, "千": Decimal(1000), "": Decimal(1)}


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
    columns = _target_columns(row, name_column, context)
    if len(columns) > 1:  # 2023年 | 2024年 | 2025年: a target for each year
        return [finding for column, year in columns
                for finding in _cell_targets(plan, block, row, texts, context, name, unit, attribute, name_column,
                                             column, year)]
    target_column, year = columns[0] if columns else (None, None)
    return _cell_targets(plan, block, row, texts, context, name, unit, attribute, name_column, target_column, year)


def _cell_targets(plan: PlanText, block: Block, row: Row, texts: list[str], context: Context, name: str,
                  unit: str | None, attribute: str | None, name_column: int, target_column: int | None,
                  year: int | None) -> list[Finding]:
    """The target one cell of an indicator row states (the row's name, unit and attribute given)."""
    header = row.header
    cumulative_column = row.column("累计") if header else None
    reviews: list[Review] = []
    cell = texts[target_column] if target_column is not None and target_column < len(texts) else ""
    if (not cell or cell in "-—–/") and cumulative_column is not None and cumulative_column < len(texts):
        cell = texts[cumulative_column]
        year = None
    if not cell or cell in "-—–/":
        # No column says which cell is the target: the last one holding a number (基期值 | 目标值),
        # whatever its form (35-40, 41.5*): a cell before it is the base value, never the target.
        numbered = [t for i, t in enumerate(texts) if i != name_column and re.search(r"\d", t)]
        cell = _FOOTNOTE_AFTER.sub("", numbered[-1]) if numbered else ""
    unit = CLASSIFIED_UNITS.get(unit or "", unit)  # (个工作日): 工作日
    if unit is not None and unit not in grammar_spellings() and unit[:1] in _MAGNITUDES \
            and unit[1:] in grammar_spellings():
        magnitude, unit = unit[:1], unit[1:]  # (万户): the cells count in 万 户, written 120万户
    else:
        magnitude = ""
    if cell.startswith("年均"):
        return [_average_annual(block, name, cell, attribute)]
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
            reviews.append(Review("QR513", tr("〔{number}〕 states no baseline year: read against {baseline}, the year "
                                              "before the plan starts", number=number, baseline=baseline)))
            target = f"较{baseline}年{change.group(1)}{written}"
            name = name[:change.start()]
            time = ("default", None)
        else:
            reviews.append(Review("QR518", tr("〔{number}〕 is a total over the plan period: read as 累计", number=number)))
            reviews.append(Review("QR510", tr("'〔{number}〕' has no comparator word", number=number)))
            target = written
            time = ("total", None)
        value = Value(written, Decimal(number), unit)
    elif (span := _RANGE_CELL.match(cell.replace(" ", ""))) and span.group("unit1") in (None, span.group("unit")) \
            and not magnitude:
        cell_unit = span.group("unit") or unit  # 35-40 under (%): between 35 % and 40 %
        written = f"{span.group('num')}{cell_unit or ''}"
        value = Value(written, Decimal(span.group("num")), cell_unit or None)
        target = f"{span.group('low')}-{written}"
    else:
        match = _CELL_VALUE.match(cell.replace(" ", ""))
        if not match:  # a cell in words (降低13.5%, 达到95%以上): the name and the cell read as a sentence
            column = target_column if target_column is not None else texts.index(cell) if cell in texts else None
            if column is None or column == name_column or column >= len(row.cells) or not cell:
                return []  # no cell under the target column (a row shorter than its header)
            pieces = [*row.cells[name_column], *row.cells[column]]
            return list(read_prose(plan, block, Compact(plan.text, pieces), context, strength=_strength(attribute)))
        number = match.group("num")
        cell_unit = match.group("unit") or unit
        scaled = magnitude if not match.group("unit") else ""
        written = f"{number}{scaled}{cell_unit or ''}"
        op = match.group("op")
        suffix = match.group("suf")
        value = per_value(Value(written, Decimal(number) * _MAGNITUDES.get(scaled, 1), cell_unit or None), name)
        written = value.written
        if op:
            symbol = {"<": "<", ">": ">", "≤": "<=", "≥": ">=", "<=": "<=", ">=": ">="}.get(op)
            target = f"{symbol} {written}" if symbol else f"{op}{written}"
        elif suffix == "左右":
            reviews.append(Review("QR511", tr("'{written}左右' is approximate: check the tolerance and whether only one "
                                              "side binds", written=written)))
            target = f"{written}左右"
        elif suffix:
            target = f"{written}{suffix}"
        else:
            reviews.append(Review("QR510", tr("'{written}' has no comparator word", written=written)))
            target = written
        if change and not suffix and not op:
            return []
    expressible = value.unit is None or value.unit in grammar_spellings()
    if not expressible:
        reviews.append(Review("QR514", tr("the unit '{unit}' is not a unit of the rule language yet", unit=value.unit)))
    strength = _strength(attribute)
    start = block.start
    end = block.end
    return [Finding(block, name, (name,), target, value, time, strength, start, end, tuple(reviews), expressible, 0.8)]


def _average_annual(block: Block, name: str, cell: str, attribute: str | None) -> Finding:
    """``全员劳动生产率增长(%) | 年均6以上``: an average annual change, which the rule language cannot
    write yet; kept as a commitment for review."""
    number = re.search(r"\d+(?:\.\d+)?", cell)
    value = Value(cell, Decimal(number.group(0)) if number else Decimal(0), "%")
    review = Review("QR520", tr("'{cell}' (an average annual change) cannot be written in the rule language yet",
                                cell=cell))
    return Finding(block, name, (name,), cell, value, ("default", None), _strength(attribute), block.start, block.end,
                   (review,), False, 0.3)


def _strength(attribute: str | None) -> str | None:
    if attribute is None:
        return None
    word = attribute.replace(" ", "")
    return word if word.endswith("性") else word + "性"


def _target_columns(row: Row, name_column: int, context: Context) -> list[tuple[int, int | None]]:
    """The columns holding targets, with their years: the 目标 column; or the year columns of the
    plan period (a table of yearly targets has several; a column of a year before the period, or
    headed 基期/现状, holds a fact); or, when the period is unknown, the latest year column."""
    if not row.header:
        return []
    explicit = row.column("目标值", "目标")
    if explicit is not None:
        year_in = re.search(r"(\d{4})", row.header[explicit])
        return [(explicit, int(year_in.group(1)) if year_in else None)]
    years = sorted((int(m.group(1)), i) for i, h in enumerate(row.header)
                   if (m := _YEAR_HEADER.search(h)) and i != name_column and not re.search("基|现状|实际|完成", h))
    period = context.period
    within: list[tuple[int, int | None]] = [(column, year) for year, column in years
                                            if period is not None and period[0] <= year <= period[1]]
    if within:
        return within
    return [(years[-1][1], years[-1][0])] if years else []
