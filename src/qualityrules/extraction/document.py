"""What a plan says about itself (document number, title, issuer's region and level, period) and
every target it states, block by block."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import attrs

from ..language import model as m
from .reading import PlanText
from .structure import Block, blocks
from .tables import row_targets
from .targets import Context, Finding, find_targets, five_year_plan_end

__all__ = ["PlanFacts", "plan_facts", "read_targets"]

_DOC_NUMBER = re.compile(r"(?<![(（《])([\u4e00-\u9fff]{1,12})[〔\[【(（](\d{4})[〕\]】)）](\d{1,4})号")
_TITLE_WORDS = re.compile(r"(意见|规划|方案|纲要|计划|通知|办法|决定|要点|细则|实施意见|行动计划)$")
_TITLE_PREFIX = re.compile(r"^(信息名称|标题|名称|文件名称|索引名称)\s*[:：]\s*")
_REGION_UNIT = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:自治区|省|市|区|县|州|盟)")
_FYP = re.compile(r"十([一二三四五六七])五")
_SPAN = re.compile(r"(\d{4})\s*[-—―–~至]\s*(\d{4})\s*年")
_NOT_A_REGION = ("全", "我", "本", "各", "该", "辖")  # 全省质量…, 我市…: the region the text is about, unnamed
_LEVELS = {"省": m.Level.PROVINCE, "自治区": m.Level.PROVINCE, "市": m.Level.CITY, "州": m.Level.CITY,
           "盟": m.Level.CITY, "区": m.Level.DISTRICT, "县": m.Level.DISTRICT}


@attrs.frozen
class PlanFacts:
    """Header facts of a plan; ``guessed`` names those read by heuristics (period, region …)."""

    document: str | None
    title: str | None
    region: str | None
    level: m.Level | None
    period: tuple[int, int] | None
    published: str | None
    guessed: tuple[str, ...] = ()

    source_name: str = "<plan>"

    @property
    def reference(self) -> str:
        """How a citation names the document: its number, else its title, else its file name."""
        if self.document or self.title:
            return self.document or self.title or ""
        stem = Path(self.source_name).stem
        return stem if self.source_name != "<plan>" and stem else "(untitled plan)"


def plan_facts(plan: PlanText, found_blocks: list[Block]) -> PlanFacts:
    text = plan.text
    head_end = next((b.start for b in found_blocks if b.section and not b.section.startswith(("(", "附"))),
                    min(len(text), 3000))
    head = text[:max(head_end, 200)]
    number = _DOC_NUMBER.search(head)
    document = f"{number.group(1)}〔{number.group(2)}〕{number.group(3)}号" if number else None
    title = _title(head)
    region, level = _region(title, head)
    published = _published(text)
    period = _period(title, text, found_blocks, published)
    guessed = tuple(k for k, v in (("region", region), ("level", level), ("period", period)) if v is not None)
    return PlanFacts(document, title, region, level, period, published, guessed, plan.source.name)


def _title(head: str) -> str | None:
    """The plan's title: a short line ending with 意见/规划/方案…; for a notice that issues a plan
    (关于印发《X》的通知) the plan's own title X."""
    found = []
    for raw in head.splitlines()[:60]:
        line = _TITLE_PREFIX.sub("", raw.strip())
        if "当前位置" in line or "。" in line or not 6 <= len(line) <= 60:
            continue
        issued = re.search(r"关于印发《?(.+?)》?的通知$", line)
        if issued:
            return issued.group(1)
        if _TITLE_WORDS.search(re.sub(r"[(（]\d{4}\s*[-—―–~至]\s*\d{4}\s*年?[)）]$", "", line)):
            found.append(line)  # …质量发展规划（2021—2025年）
    return next((t for t in found if not t.endswith("通知")), found[0] if found else None)


def _region(title: str | None, head: str) -> tuple[str | None, m.Level | None]:
    for text in (title or "", head):
        if "国务院" in text[:40] or text.startswith(("全国", "国家")):
            return "全国", m.Level.NATION
        for chain in re.finditer(r"((?:[\u4e00-\u9fff]{1,6}?(?:自治区|省|市|区|县|州|盟))+)"
                                 r"(人民政府|委员会|办公室|市场|质量|\d{4}|[“\"]?十[一二三四五六七]五)", text):
            units = [u for u in _REGION_UNIT.findall(chain.group(1)) if not u.startswith(_NOT_A_REGION)]
            if units:
                region = units[-1]
                suffix = next(s for s in ("自治区", "省", "市", "区", "县", "州", "盟") if region.endswith(s))
                return region, _LEVELS[suffix]
    return None, None


def _period(title: str | None, text: str, found_blocks: list[Block], published: str | None
            ) -> tuple[int, int] | None:
    """The plan period: from the title (``(2011-2020年)``, ``“十四五”``, ``2016年…方案``), else from
    the part about targets (a span ``(2022—2024年)``, then the years it aims at: ``到2025年``, then
    ``“十三五”末``), else from the years the whole text aims at."""
    if title:
        from_title = _period_in(title, by_target_years=False)
        if from_title:
            return from_title
    goal_text = "".join(text[b.start:b.end] for b in found_blocks if b.goals)
    for scope in (goal_text, text):
        found = _period_in(scope, by_target_years=True, published=published)
        if found:
            return found
    return None


def _period_in(text: str, *, by_target_years: bool, published: str | None = None) -> tuple[int, int] | None:
    span = _SPAN.search(text)
    if span and int(span.group(1)) <= int(span.group(2)) and (not by_target_years or "《" not in text[
            max(0, span.start() - 20):span.start()]):
        return int(span.group(1)), int(span.group(2))
    fyps = Counter(_FYP.findall(text))
    if not by_target_years:
        if fyps:
            end = five_year_plan_end(fyps.most_common(1)[0][0])
            return end - 4, end
        year = re.search(r"(\d{4})年", text)
        return (int(year.group(1)), int(year.group(1))) if year else None
    years = Counter(int(y) for y in re.findall(r"(?:到|至)\s*(\d{4})\s*年", text))
    if fyps and (not years or sum(fyps.values()) >= max(years.values())):
        end = five_year_plan_end(fyps.most_common(1)[0][0])
        return end - 4, end
    if not years:
        return None
    most = max(years.values())
    end = next(y for y in years if years[y] == most)  # a tie goes to the year named first
    start = end - 4 if end % 5 == 0 else end
    if published is not None and start < int(published[:4]) <= end:
        start = int(published[:4])  # a plan issued mid-cycle runs from its year of issue
    return start, end


def _published(text: str) -> str | None:
    for pattern in (r"(?:发布日期|日期|印发日期)\s*[:：]\s*(\d{4})-(\d{1,2})-(\d{1,2})",
                    r"[(（](\d{4})年(\d{1,2})月(\d{1,2})日[)）]", r"(\d{4})年(\d{1,2})月(\d{1,2})日印发",
                    r"(?m)^\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*$"):
        found = re.search(pattern, text)
        if found:
            return f"{int(found.group(1)):04d}-{int(found.group(2)):02d}-{int(found.group(3)):02d}"
    return None


def read_targets(plan: PlanText, found_blocks: list[Block], period: tuple[int, int] | None,
                 target_year: int | None) -> list[Finding]:
    """Every target of the plan, in reading order."""
    context = Context(period, target_year)
    out: list[Finding] = []
    for block in found_blocks:
        if block.baseline:
            continue
        out.extend(row_targets(plan, block, context) if block.row is not None
                   else find_targets(plan, block, context))
    return out


def read_blocks(plan: PlanText) -> list[Block]:
    return [b for b in blocks(plan) if plan.text[b.start:b.end].strip()]
