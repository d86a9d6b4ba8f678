"""Large rule packs for scale checks (tests count work on them; ``benchmarks/bench_scale.py`` times
them): every rule a valid target on a shipped catalogue indicator, in its unit and direction, one
rule per (indicator, year), so linting finds nothing to report and every line is parsed, built and
resolved."""

from __future__ import annotations

import itertools

from qualityrules.language.model import Direction
from qualityrules.packs.reading import FLOW_VERBS
from qualityrules.packs.resolve import load_catalogue

FIRST_YEAR = 1901

# Ways to write a lower bound and an upper bound (the comparator word forms the language offers).
_AT_LEAST = (">= {n}{u}", "达到{n}{u}以上", "不低于{n}{u}", "超过{n}{u}", "≥{n}{u}")
_AT_MOST = ("<= {n}{u}", "控制在{n}{u}以下", "不高于{n}{u}", "低于{n}{u}", "≤{n}{u}")


def big_pack(rules: int, *, pack_id: str = "scale-test", extends: str | None = None, dense: bool = False) -> str:
    """A pack of ``rules`` rules in sections of 100, each with a target year and a citation (a
    pack that ``extends`` another generated one restates each of its targets). ``dense``: each
    rule printed without a space (``到1901年主要工业产品采标率不低于12%cite"…"``), as plans print
    their sentences, so the sentence reader reads most lines."""
    # Flows (新增…, 培育…) checked in one year warn (QR121); they are left out so the pack lints clean.
    # Printed without a space, 到1901年前海… reads as "before 1901" (年前): such names are left out too.
    indicators = [i for i in load_catalogue().indicators
                  if i.direction is not Direction.EXACT and not i.flow and not FLOW_VERBS.match(i.name)
                  and not (dense and i.name.startswith("前"))]
    years = rules // len(indicators) + 1
    lines = [
        f"pack {pack_id}{f' extends {extends}' if extends else ''} {{",
        '    name   "规模测试"',
        '    source "测试〔2024〕1号"',
        "    region 测试市",
        "    level  city",
        f"    period {FIRST_YEAR}..{FIRST_YEAR + years - 1}",
    ]
    pairs = itertools.islice(((i, y) for y in range(years) for i in indicators), rules)
    for k, (indicator, year) in enumerate(pairs):
        if k % 100 == 0:
            if k:
                lines.append("    }")
            lines.append(f"    section 第{k // 100 + 1}部分 {{")
        forms = _AT_MOST if indicator.direction is Direction.LOWER else _AT_LEAST
        target = forms[k % len(forms)].format(n=10 + k % 90, u=indicator.unit or "")
        statement = f"到{FIRST_YEAR + year}年 {indicator.name} {target}"
        citation = f'"测试〔2024〕1号 第{k + 1}条"'
        lines.append(f"        {statement.replace(' ', '')}cite{citation}" if dense else f"        {statement}  cite {citation}")
    if rules:
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


# The pack of the report benchmark (benchmarks/bench_scale.py) and of its output test
SCALE_REPORT_PACK = """pack scale-report {
    region 全市
    level  city
    period 2014..2015
    target 2015
    section 环境 {
        到2015年 工业废水达标排放率 >= 95%                 cite "一(一)"
        到2015年 万元GDP能耗 <= 0.47 吨标准煤/万元          cite "一(二)"
        每年 空气质量优良天数比例 达到90%以上               cite "一(三)"
    }
}
"""
