"""A slow, obviously-correct scalar evaluator: the specification the numpy engine is tested against.

One Python loop per region, rule and year; exact rational arithmetic (``Fraction``); every case
written out. It reads long-form records ``(region, year, indicator, raw value, unit)`` itself, so
the data loader is under test too.

The conventions it shares with the engine (documented in ``qualityrules.engine.exact`` and
``docs/verdicts/exactness.inc``): a value counts at its decimal (a text cell at its digits, a
float at :func:`qualityrules.tables.decimals.value_of`); a value in another unit is converted
exactly; cumulative sums add the period's years; a relative change is ``(v - b) / b * 100``
(negated for a decrease) and needs an exact, positive baseline; everything is compared with the
exact bounds.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from qualityrules.language import units
from qualityrules.language.model import Change, ChangeDirection, Strength
from qualityrules.language.text import normalize
from qualityrules.packs.resolve import BoundRule, Measure, Pack
from qualityrules.tables.decimals import value_of

Record = tuple[str, int, str, Any, "str | None"]


@dataclass(frozen=True)
class Value:
    """What a datum tells: the true value lies between lo and hi (ends excluded when open)."""

    lo: Fraction | float          # a Fraction, or ±inf for the open side of a censored value
    hi: Fraction | float
    lo_open: bool = False
    hi_open: bool = False

    @property
    def exact(self) -> bool:
        return self.lo == self.hi and not self.lo_open and not self.hi_open


_CENSORED = re.compile(r"^(<=|>=|≤|≥|<|>)?\s*([0-9]+(?:\.[0-9]+)?)\s*(以上|以下)?$")


def read_value(raw: Any, unit: str | None, indicator_unit: str | None) -> Value | None:
    """A raw cell as a :class:`Value` in the indicator's unit (None when missing)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw == "":
        return None
    factor = Fraction(1) if unit is None or unit == indicator_unit else units.factor(unit, indicator_unit)

    def convert(x: Fraction) -> Fraction:
        return x * factor

    if isinstance(raw, (int, float)):
        exact = convert(Fraction(raw) if isinstance(raw, int) else value_of(raw))
        return Value(exact, exact)
    match = _CENSORED.match(str(raw).strip())
    assert match, f"the reference reads numbers and <x ≤x >x ≥x x以上 x以下, not {raw!r}"
    symbol, number, word = match.groups()
    x = convert(Fraction(number))
    if symbol is None and word is None:
        return Value(x, x)
    if symbol in ("<",):
        return Value(-math.inf, x, hi_open=True)
    if symbol in ("<=", "≤") or word == "以下":
        return Value(-math.inf, x)
    if symbol in (">",):
        return Value(x, math.inf, lo_open=True)
    return Value(x, math.inf)  # >=, ≥, 以上


def plausible(pack: Pack, table: dict[tuple[str, int, str], Value]) -> dict[tuple[str, int, str], Value]:
    """The table without implausible values (they read as missing): a share (%) above 100 or
    below 0, a negative count (家, 起) or energy intensity (吨标准煤/万元) or index (点), a count that is
    not a whole number, and every value of a share whose values all lie in [0, 1] (one above 0)
    while every bound of the pack's value targets on it is at least 5 % — or, under such targets,
    a value in (0, 1] that times 100 lies among the others (all at least 10 %) give or take 5
    points."""
    def ends(v: Value) -> list[float]:
        return [x for x in (v.lo, v.hi) if math.isfinite(x)]

    kept = dict(table)
    for name in {key[2] for key in table}:
        indicator = pack.catalogue.lookup(name)
        values = {key: v for key, v in table.items() if key[2] == name}
        if indicator.unit == "%":
            bounds = [float(b) for r in pack.rules if r.indicator.name == name and r.measure is Measure.VALUE
                      for b in (r.interval.lower, r.interval.upper) if b is not None]
            everything = [x for v in values.values() for x in ends(v)]
            tens = bool(bounds) and min(bounds) >= 5
            if tens and everything and 0 <= min(everything) and 0 < max(everything) <= 1:
                bad = list(values)
            else:
                bad = [key for key, v in values.items()
                       if (math.isfinite(v.lo) and v.lo > 100 * (1 + 1e-9)) or (math.isfinite(v.hi) and v.hi < 0)]
                # a value in (0, 1] among others all at least 10 %, landing within 5 points of their
                # range when multiplied by 100: a fraction (each value by its finite ends)
                others = [min(ends(v)) for v in values.values() if ends(v) and min(ends(v)) > 1]
                if tens and others and float(min(others)) >= 10:
                    low, high = (float(min(others)) - 5) / 100, min(1.0, (float(max(everything)) + 5) / 100)
                    bad += [key for key, v in values.items() if ends(v) and float(min(ends(v))) >= low
                            and float(max(ends(v))) <= high]
        elif indicator.unit in ("家", "起"):
            bad = [key for key, v in values.items() if math.isfinite(v.hi) and v.hi < 0
                   or v.exact and math.isfinite(v.lo) and Fraction(v.lo).denominator != 1]
        elif indicator.unit in ("吨标准煤/万元", "点"):
            bad = [key for key, v in values.items() if math.isfinite(v.hi) and v.hi < 0]
        else:
            bad = []
        for key in bad:
            del kept[key]
    return kept


def satisfies(v: Value, rule: BoundRule) -> bool | None:
    """True: every possible value meets the target; False: none does; None: it depends."""
    iv = rule.interval
    lo: Fraction | float = -math.inf if iv.lower is None else iv.lower
    hi: Fraction | float = math.inf if iv.upper is None else iv.upper
    lo_inc = iv.lower is None or iv.lower_inclusive
    hi_inc = iv.upper is None or iv.upper_inclusive
    if v.exact:
        x = v.lo
        above = x > lo or (lo_inc and x == lo)
        below = x < hi or (hi_inc and x == hi)
        inside = above and below
        return (not inside) if iv.excluded else inside
    # Censored: compare the whole interval of possible values with the target interval.
    all_above = v.lo > lo or (v.lo == lo and (lo_inc or v.lo_open))
    all_below = v.hi < hi or (v.hi == hi and (hi_inc or v.hi_open))
    all_inside = all_above and all_below
    none_above = v.hi < lo or (v.hi == lo and (v.hi_open or not lo_inc))
    none_below = v.lo > hi or (v.lo == hi and (v.lo_open or not hi_inc))
    none_inside = none_above or none_below
    if iv.excluded:
        all_inside, none_inside = none_inside, all_inside
    if all_inside:
        return True
    if none_inside:
        return False
    return None


def _quantity(rule: BoundRule, table: dict[tuple[str, int, str], Value], region: str, year: int) -> Value | None:
    """The quantity the rule compares in ``year``: the value, the period's sum, or the change."""
    name = rule.indicator.name
    if rule.kind == "cumulative":
        total: Value | None = None
        for y in rule.years:
            v = table.get((region, y, name))
            if v is None:
                return None
            total = v if total is None else Value(total.lo + v.lo, total.hi + v.hi,
                                                  total.lo_open or v.lo_open, total.hi_open or v.hi_open)
        quantity = total
    else:
        quantity = table.get((region, year, name))
    if quantity is None or rule.measure is Measure.VALUE:
        return quantity
    base = table.get((region, rule.baseline, name)) if rule.baseline is not None else None
    if base is None or not base.exact:
        return None
    b = base.lo
    relative = rule.measure is Measure.RELATIVE_CHANGE
    if relative and not b > 0:
        return None

    def change(v: Fraction | float) -> Fraction | float:
        return (v - b) / b * 100 if relative else v - b

    target = rule.rule.target
    assert isinstance(target, Change)
    if target.direction is ChangeDirection.DOWN:
        return Value(-change(quantity.hi), -change(quantity.lo), quantity.hi_open, quantity.lo_open)
    return Value(change(quantity.lo), change(quantity.hi), quantity.lo_open, quantity.hi_open)


def _checked_years(rule: BoundRule) -> list[int]:
    if rule.kind == "cumulative":
        return [rule.years[-1]] if rule.years else []
    return list(rule.years)


def reference(pack: Pack, records: Iterable[Record], parents: dict[str, str] | None = None
              ) -> tuple[dict[tuple[str, int, int], tuple[str, float | None]], dict[tuple[str, int], str]]:
    """``(cells, targets)``: cells[(region, rule index, year)] = (verdict, value in the rule's unit);
    targets[(region, rule index)] = the verdict over the rule's years. ``parents``: child → parent
    regions (the hierarchy given to ``evaluate``)."""
    table: dict[tuple[str, int, str], Value] = {}
    regions: list[str] = []
    for region, year, indicator_name, raw, unit in records:
        indicator = pack.catalogue.lookup(indicator_name)
        assert indicator is not None
        if region not in regions:
            regions.append(region)
        value = read_value(raw, unit, indicator.unit)
        if value is not None:
            table[(region, int(year), indicator.name)] = value
    table = plausible(pack, table)
    cells: dict[tuple[str, int, int], tuple[str, float | None]] = {}
    targets: dict[tuple[str, int], str] = {}
    for region in regions:
        for k, rule in enumerate(pack.rules):
            verdicts = []
            for year in _checked_years(rule):
                if not binds(pack, rule, region, year, parents or {}):
                    verdict, value = "not-applicable", None
                else:
                    quantity = _quantity(rule, table, region, year)
                    decided = None if quantity is None else satisfies(quantity, rule)
                    if decided is None:
                        verdict = "unknown"
                    elif decided:
                        verdict = "pass"
                    else:
                        verdict = "warn" if rule.strength is Strength.ASPIRATION else "fail"
                    value = None
                    if quantity is not None:
                        end = quantity.lo if math.isfinite(quantity.lo) else quantity.hi
                        factor = rule.rule_factor if rule.measure is Measure.VALUE else Fraction(1)
                        value = float(end * factor) if math.isfinite(end) else None
                cells[(region, k, year)] = (verdict, value)
                verdicts.append(verdict)
            if verdicts:
                targets[(region, k)] = _period_verdict(verdicts)
    return cells, targets


# Units of totals (counts, money) in the test catalogue: such a target binds the regions its pack names.
TOTAL_UNITS = {"家", "起", "亿元", "万亿元"}


def binds(pack: Pack, rule: BoundRule, region: str, year: int, parents: dict[str, str]) -> bool:
    """The pack answers for its region, its scope and the regions below them (``parents``); there
    a total binds only the regions its own pack names, any other target every region; and only in
    the years both the pack and the pack stating the rule are in force."""
    periods = {p.id: p.period for p in pack.lineage()}
    for period in (pack.period, periods[rule.origin]):
        if period is not None and not period.start <= year <= period.end:
            return False
    own = {normalize(r) for r in (pack.region, *pack.definition.scope) if r}
    chain = [normalize(region)]
    while chain[-1] in parents:
        chain.append(parents[chain[-1]])
    if not own & set(chain):
        return False
    if rule.indicator.unit in TOTAL_UNITS:
        return normalize(region) in {normalize(r) for r in rule.regions}
    return True


def _period_verdict(verdicts: list[str]) -> str:
    """All years must pass: a failing year decides; else a missing one makes it unknown."""
    for bad in ("fail", "warn"):
        if bad in verdicts:
            return bad
    if "unknown" in verdicts:
        return "unknown"
    if "pass" in verdicts:
        return "pass"
    return "not-applicable"


# ------------------------------------------------------------------------------------------
# A small catalogue and pack builder shared by the evaluator's tests

CATALOGUE = """\
indicator 达标率 {
    unit %
    direction higher
    alias 達標率, 排放达标率
}
indicator 企业数 {
    unit 家
    direction higher
}
indicator 产值 {
    unit 亿元
    direction higher
}
indicator 能耗 {
    unit 吨标准煤/万元
    direction lower
}
indicator 事故 {
    unit 起
    direction lower
}
indicator 指数 {
    unit 点
    direction higher
}
"""


@functools.lru_cache(maxsize=1)
def catalogue() -> Any:
    """The test catalogue, parsed once (a Catalogue is frozen, so sharing it is safe)."""
    from qualityrules.language.parse import parse_text
    from qualityrules.packs import resolve

    rule_file, diagnostics = parse_text(CATALOGUE, source="<test catalogue>")
    assert not diagnostics, diagnostics
    built, problems = resolve.Catalogue.build(rule_file.indicators)
    assert not problems, problems
    return built


def make_pack(body: str, *, period: str = "2011..2015", target: str | None = "2015", scope: str | None = None,
              pack_id: str = "t-2015", extra: str = "", cat: Any = None, parent: str | None = None,
              parent_period: str | None = None) -> Pack:
    """A pack around ``body`` (rule lines) for 甲区, resolved against the test catalogue;
    ``parent``: rule lines of a province pack (region 省, period ``parent_period``, default
    ``period``) it extends."""
    import hashlib
    import tempfile
    from pathlib import Path

    from qualityrules.packs.resolve import resolve_text

    search: list[Path] = []
    extends = ""
    if parent is not None:
        parent_id = "p" + hashlib.sha1(f"{parent}{parent_period or period}{target}".encode()).hexdigest()[:12]
        folder = Path(tempfile.gettempdir()) / "qualityrules-test-parents"
        folder.mkdir(exist_ok=True)
        text = "\n".join([f"pack {parent_id} {{", "    region 省", "    level province",
                          f"    period {parent_period or period}",
                          *([f"    target {target}"] if target else []), "    section 省级 {",
                          *[f"        {line}" for line in parent.strip().splitlines()], "    }", "}", ""])
        (folder / f"{parent_id}.qr").write_text(text, encoding="utf-8")
        search.append(folder)
        extends = f" extends {parent_id}"
    lines = [f"pack {pack_id}{extends} {{", "    name \"测试\"", "    region 甲区", "    level district",
             f"    period {period}"]
    if target:
        lines.append(f"    target {target}")
    if scope:
        lines.append(f"    scope {scope}")
    if extra:
        lines.append(f"    {extra}")
    lines.append("    section 测试 {")
    lines += [f"        {line}" for line in body.strip().splitlines()]
    lines += ["    }", "}", ""]
    return resolve_text("\n".join(lines), catalogue=cat if cat is not None else catalogue(), search=search)
