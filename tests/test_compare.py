"""Properties of strictness, inheritance and comparison, on small packs generated as text.

The generators here write rule text (symbolic and Chinese comparator words) so that the
parser, the resolver and the comparison are exercised together: a target and a tightened
version of it, a parent and a child that never loosens it, two parents listed in either order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import Value, plausible
from test_resolve import CATALOGUE  # the same small catalogue as the resolver's tests

import qualityrules
from qualityrules.packs import resolve
from qualityrules.packs.comparison import DiffKind, order

Draw = Callable[[st.SearchStrategy[Any]], Any]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])



class Subject(NamedTuple):
    indicator: str
    unit: str
    scale: int       # values are n / scale
    top: int         # largest n
    extensive: bool  # a total over the region (stays with its region when inherited)


SUBJECTS = (
    Subject("工业废水达标排放率", "%", 100, 10000, False),
    Subject("万元GDP能耗", "吨标准煤/万元", 100, 300, False),
    Subject("名牌产品", "个", 1, 500, True),
)
INTENSIVE = tuple(s for s in SUBJECTS if not s.extensive)


class Target(NamedTuple):
    """``op`` is one of >= > <= < == between; ``high`` only for between."""

    op: str
    low: Fraction
    high: Fraction | None = None


SPELLINGS = {
    ">=": (">= {q}", "≥{q}", "达到{q}以上", "不低于{q}", "不少于{q}"),
    ">": ("> {q}", "超过{q}", "高于{q}"),
    "<=": ("<= {q}", "≤{q}", "不超过{q}", "控制在{q}以下"),
    "<": ("< {q}", "低于{q}"),
    "==": ("== {q}",),
}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> resolve.Catalogue:
    path = tmp_path_factory.mktemp("catalogue") / "catalogue.qr"
    path.write_text(CATALOGUE, encoding="utf-8")
    return resolve.load_catalogue([path])


def number(value: Fraction) -> str:
    text = f"{value.numerator / value.denominator:.2f}".rstrip("0").rstrip(".")
    assert Fraction(text) == value, (text, value)
    return text


def spell(draw: Draw, subject: Subject, target: Target) -> str:
    if target.op == "between":
        assert target.high is not None
        form = draw(st.sampled_from(("{a}-{b}{u}", "{a}{u}-{b}{u}", "between {a}{u} and {b}{u}")))
        return form.format(a=number(target.low), b=number(target.high), u=subject.unit)
    template = draw(st.sampled_from(SPELLINGS[target.op]))
    return template.format(q=number(target.low) + subject.unit)


def values(subject: Subject, *, low: int = 0) -> st.SearchStrategy[Fraction]:
    return st.integers(low, subject.top).map(lambda n: Fraction(n, subject.scale))


@st.composite
def targets(draw: Draw, subject: Subject) -> Target:
    op = draw(st.sampled_from((">=", ">", "<=", "<", "==", "between")))
    low = draw(values(subject))
    if op == "between":
        return Target(op, low, draw(values(subject).filter(lambda v: v >= low)))
    if op == "<" and low == 0:
        op = "<="
    if op == ">" and low * subject.scale == subject.top:
        op = ">="  # never "> 100%" (no share meets it: QR126)
    return Target(op, low)


def tighten(draw: Draw, subject: Subject, target: Target) -> Target:
    """A target that allows a subset of what ``target`` allows, by construction (not via
    resolve.stricter, which the properties check). Works on integers n = value * scale."""
    scale, top = subject.scale, subject.top

    def make(op: str, *ns: int) -> Target:
        return Target(op, *(Fraction(n, scale) for n in ns))

    n = int(target.low * scale)
    if target.op in (">=", ">"):
        op = draw(st.sampled_from((">=", ">", "==", "between")))
        least = n + (1 if target.op == ">" and op != ">" else 0)
        most = top - (1 if op == ">" else 0)  # never "> 100%" (no share meets it: QR126)
        if least > most:
            return target
        w = draw(st.integers(least, most))
        return make(op, w, draw(st.integers(w, top))) if op == "between" else make(op, w)
    if target.op in ("<=", "<"):
        op = draw(st.sampled_from(("<=", "<", "==", "between")))
        most = n - (1 if target.op == "<" and op != "<" else 0)
        least = 1 if op == "<" else 0  # never "< 0"
        if most < least:
            return target
        w = draw(st.integers(least, most))
        return make(op, draw(st.integers(0, w)), w) if op == "between" else make(op, w)
    if target.op == "==":
        return target
    assert target.high is not None
    a = draw(st.integers(n, int(target.high * scale)))
    b = draw(st.integers(a, int(target.high * scale)))
    return make("==", a) if a == b else make("between", a, b)


def pack_text(pack_id: str, lines: list[str], *, extends: str = "", level: str = "district",
              region: str = "龙岗区") -> str:
    header = f"pack {pack_id}" + (f" extends {extends}" if extends else "") + " {"
    body = "".join(f"        {line}\n" for line in lines)
    return (f"{header}\n    region {region}\n    level {level}\n    period 2011..2015\n    target 2015\n\n"
            f"    section s {{\n{body}    }}\n}}\n")


TIMES = ("", "到2014年 ", "每年 ", "累计 ")


def times(subject: Subject) -> st.SearchStrategy[str]:
    """The time qualifiers a target on ``subject`` may have: 累计 sums yearly values, so only a
    total adds up over years (QR125 refuses a running total of a rate or an intensity)."""
    return st.sampled_from(TIMES if subject.extensive else tuple(t for t in TIMES if t != "累计 "))


def samples(*rules: resolve.BoundRule) -> Iterator[Fraction]:
    """Values around every bound of the rules, and the bounds themselves."""
    eps = Fraction(1, 1000)
    for rule in rules:
        for bound in (rule.interval.lower, rule.interval.upper):
            if bound is not None:
                yield from (bound - eps, bound, bound + eps)
    yield Fraction(-1)
    yield Fraction(10 ** 6)


# ------------------------------------------------------------------------------------------
# Tightening a threshold never turns a fail into a pass


@st.composite
def tightened_pairs(draw: Draw) -> tuple[Subject, str, str]:
    subject = draw(st.sampled_from(SUBJECTS))
    loose = draw(targets(subject))
    tight = tighten(draw, subject, loose)
    return subject, spell(draw, subject, loose), spell(draw, subject, tight)


@SETTINGS
@given(tightened_pairs())
def test_tightening_never_turns_a_fail_into_a_pass(catalogue: resolve.Catalogue,
                                                   case: tuple[Subject, str, str]) -> None:
    subject, loose_text, tight_text = case
    pack = resolve.resolve_text(pack_text("t", [f"{subject.indicator} 到2014年 {loose_text}",
                                                f"{subject.indicator} {tight_text}"]), catalogue=catalogue)
    loose, tight = pack.rules
    assert resolve.stricter(tight, loose) in (0, 1)
    assert not resolve.looser(tight, loose)
    for x in samples(loose, tight):
        assert not (tight.interval.contains(x) and not loose.interval.contains(x)), (loose_text, tight_text, x)


@SETTINGS
@given(tightened_pairs(), st.data())
def test_tightening_never_turns_a_fail_into_a_pass_in_the_evaluator(
        catalogue: resolve.Catalogue, case: tuple[Subject, str, str], data: st.DataObject) -> None:
    evaluate = qualityrules.evaluate
    subject, loose_text, tight_text = case
    verdicts = []
    loose_pack = resolve.resolve_text(pack_text("t", [f"{subject.indicator} {loose_text}"]), catalogue=catalogue)
    tight_pack = resolve.resolve_text(pack_text("t", [f"{subject.indicator} {tight_text}"]), catalogue=catalogue)
    xs = [float(x) for x in samples(*loose_pack.rules, *tight_pack.rules)]
    xs.append(float(data.draw(values(subject))))
    name = subject.indicator
    table = {"region": [f"r{i}" for i in range(len(xs))], "year": [2015] * len(xs), name: xs}
    streets = {f"r{i}": "龙岗区" for i in range(len(xs))}   # parts of the packs' region: its rates bind them
    for pack in (loose_pack, tight_pack):
        if subject.extensive:   # a total binds the pack's own region only: one table per value
            verdicts.append([evaluate(pack, {"region": ["龙岗区"], "year": [2015], name: [x]}).verdict("龙岗区", 2015, name)
                             for x in xs])
        else:
            report = evaluate(pack, table, hierarchy=streets)
            verdicts.append([report.verdict(f"r{i}", 2015, name) for i in range(len(xs))])
    # a share outside 0–100 %, a negative count or intensity, a count not whole is set aside: unknown
    # (QR242, QR243, QR245); so is, under a pack's targets of tens of percent, a share in (0, 1] among
    # larger ones, a fraction written for a percentage (QR241, as the reference evaluator has it)
    implausible = [(subject.unit == "%" and not 0 <= x <= 100) or (subject.unit != "%" and x < 0)
                   or (subject.unit == "个" and not x.is_integer()) for x in xs]
    cells = [(f"r{i}", 2015, name) for i in range(len(xs))]
    for pack, vs in zip((loose_pack, tight_pack), verdicts, strict=True):
        kept = plausible(pack, {c: Value(Fraction(x), Fraction(x)) for c, x in zip(cells, xs, strict=True)}) \
            if subject.unit == "%" and not subject.extensive else None
        set_aside = [bad or (kept is not None and c not in kept) for c, bad in zip(cells, implausible, strict=True)]
        assert [v == "unknown" for v in vs] == set_aside   # every plausible row is checked
        assert {v for v, bad in zip(vs, set_aside, strict=True) if not bad} <= {"pass", "fail"}
    for x, before, after in zip(xs, *verdicts, strict=True):
        assert not (before == "fail" and after == "pass"), (loose_text, tight_text, x)


# ------------------------------------------------------------------------------------------
# A child never looser than its parent passes only where the parent passes


class Family(NamedTuple):
    parent: str
    child: str


@st.composite
def families(draw: Draw) -> Family:
    """A province pack and a district pack extending it: on each of the parent's targets the
    district either inherits, restates, or overrides with a tightened target; it may add targets
    on other indicators."""
    subjects = draw(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=3, unique=True))
    parent_lines, child_lines = [], []
    for subject in subjects:
        time = draw(times(subject))
        target = draw(targets(subject))
        parent_lines.append(f"{subject.indicator} {time}{spell(draw, subject, target)}")
        action = draw(st.sampled_from(("inherit", "restate", "tighten")))
        if action == "restate":
            child_lines.append(parent_lines[-1])
        elif action == "tighten":
            tighter = spell(draw, subject, tighten(draw, subject, target))
            child_lines.append(f"{'' if subject.extensive else 'override '}{subject.indicator} {time}{tighter}")
    # targets of its own on indicators the parent leaves alone (on the parent's indicators, a
    # looser target for another year would make the child looser in that year)
    others = [s for s in SUBJECTS if s not in subjects]
    for subject in draw(st.lists(st.sampled_from(others), max_size=2, unique=True)) if others else ():
        child_lines.append(f"{subject.indicator} 到2013年 {spell(draw, subject, draw(targets(subject)))}")
    return Family(pack_text("province", parent_lines, level="province", region="广东省"),
                  pack_text("district", child_lines, extends="province"))


def load_family(family: Family, catalogue: resolve.Catalogue, directory: Path) -> tuple[resolve.Pack, resolve.Pack]:
    (directory / "province.qr").write_text(family.parent, encoding="utf-8")
    parent = resolve.load_pack(directory / "province.qr", catalogue=catalogue)
    child = resolve.resolve_text(family.child, search=[directory], catalogue=catalogue)
    return parent, child


@SETTINGS
@given(families())
def test_a_child_never_looser_passes_only_where_the_parent_passes(catalogue: resolve.Catalogue,
                                                                  family: Family) -> None:
    with tempfile.TemporaryDirectory() as directory:
        parent, child = load_family(family, catalogue, Path(directory))
    assert [d.code for d in child.diagnostics] == []  # loads, with no QR107/QR117 or other warning
    for p in parent.rules:
        if p.indicator.name not in {s.indicator for s in INTENSIVE}:
            continue
        held = [c for c in child.rules if c.key == p.key and "龙岗区" in c.regions]
        assert len(held) == 1, (family, p.key)
        for x in samples(p, held[0]):
            assert not (held[0].interval.contains(x) and not p.interval.contains(x)), (family, x)
        b = qualityrules.binding(child, p.indicator.name, p.years[-1])
        assert b is not None and resolve.stricter(b.rule, p) in (0, 1)
    result = qualityrules.compare(parent, child)
    kinds = {d.kind for d in result.differences}
    assert not kinds & {DiffKind.LOOSENED, DiffKind.DROPPED, DiffKind.CHANGED}, result.to_text()
    for row in result.rows:
        if not row.extensive and row.cell("province") and row.cell("district"):
            assert "district" in row.strictest, result.to_text()


# ------------------------------------------------------------------------------------------
# compare(a, a) reports no differences


@SETTINGS
@given(families())
def test_compare_a_pack_with_itself(catalogue: resolve.Catalogue, family: Family) -> None:
    with tempfile.TemporaryDirectory() as directory:
        parent, child = load_family(family, catalogue, Path(directory))
        again = resolve.resolve_text(family.child, search=[directory], catalogue=catalogue)
    for pack, same in ((child, child), (child, again), (parent, parent)):
        result = qualityrules.compare(pack, same)
        assert result.differences == () and result.pairs == ()
        assert result.pack_ids == (pack.id,)
        assert result.to_dict()["differences"] == []
        result.to_text()
        result.to_markdown()
    # and the child relative to the parent only ever adds or tightens
    assert all(d.kind in (DiffKind.ADDED, DiffKind.TIGHTENED) for d in qualityrules.compare(parent, child).differences)


# ------------------------------------------------------------------------------------------
# Inheritance does not depend on the order parents are listed in


class TwoParents(NamedTuple):
    first: str
    second: str
    child_lines: list[str]


@st.composite
def two_parents(draw: Draw) -> TwoParents:
    keys: dict[tuple[str, str], bool] = {}   # (indicator, time) -> intensive
    texts = []
    for pack_id, level, region in (("pa", "province", "广东省"), ("pb", "city", "深圳市")):
        lines = []
        for subject in draw(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=3, unique=True)):
            time = draw(times(subject))
            lines.append(f"{subject.indicator} {time}{spell(draw, subject, draw(targets(subject)))}")
            keys[(subject.indicator, time)] = not subject.extensive
        texts.append(pack_text(pack_id, lines, level=level, region=region))
    child_lines = []
    for subject in draw(st.lists(st.sampled_from(SUBJECTS), max_size=3, unique=True)):
        time = draw(times(subject))
        target = spell(draw, subject, draw(targets(subject)))
        if keys.get((subject.indicator, time)):
            child_lines.append(f'override {subject.indicator} {time}{target} because "测试: 任意值"')
        else:
            child_lines.append(f"{subject.indicator} {time}{target}")
    return TwoParents(texts[0], texts[1], child_lines)


def effective(pack: resolve.Pack) -> list[tuple[Any, ...]]:
    return [(r.origin, r.rule, r.regions, r.years, r.interval, r.strength) for r in (*pack.rules, *pack.recorded)]


@SETTINGS
@given(two_parents())
def test_inheritance_is_independent_of_parent_order(catalogue: resolve.Catalogue, case: TwoParents) -> None:
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "pa.qr").write_text(case.first, encoding="utf-8")
        (Path(directory) / "pb.qr").write_text(case.second, encoding="utf-8")
        ab = resolve.resolve_text(pack_text("c", case.child_lines, extends="pa, pb"), search=[directory],
                                  catalogue=catalogue)
        ba = resolve.resolve_text(pack_text("c", case.child_lines, extends="pb, pa"), search=[directory],
                                  catalogue=catalogue)
    assert effective(ab) == effective(ba)
    assert sorted(d.code for d in ab.diagnostics) == sorted(d.code for d in ba.diagnostics)
    assert {p.id for p in ab.lineage()} == {p.id for p in ba.lineage()} == {"c", "pa", "pb"}
    def by_id(pack: resolve.Pack) -> list[resolve.Pack]:
        return sorted(pack.parents, key=lambda p: p.id)

    one, other = qualityrules.compare(*by_id(ab), ab), qualityrules.compare(*by_id(ba), ba)
    assert [d.to_dict() for d in one.differences] == [d.to_dict() for d in other.differences]
    assert [r.to_dict() for r in one.rows] == [r.to_dict() for r in other.rows]
    for indicator in {r.indicator.name for r in ab.rules}:
        for year in range(2011, 2016):
            x, y = qualityrules.binding(ab, indicator, year), qualityrules.binding(ba, indicator, year)
            assert (x and x.to_dict()) == (y and y.to_dict())


# ------------------------------------------------------------------------------------------
# Unit checks of the comparison's edge cases


def test_order_breaks_ties_by_strength(catalogue: resolve.Catalogue) -> None:
    pack = resolve.resolve_text(pack_text("t", ["力争 工业废水达标排放率 到2014年 >= 90%",
                                                "工业废水达标排放率 每年 >= 90%"]), catalogue=catalogue)
    aspiration, binding = pack.rules
    assert order(binding, aspiration) == 1 and order(aspiration, binding) == -1
    assert qualityrules.binding(pack, "工业废水达标排放率", 2014).rule is binding  # type: ignore[union-attr]


def test_totals_of_different_regions_are_not_compared(catalogue: resolve.Catalogue, tmp_path: Path) -> None:
    (tmp_path / "province.qr").write_text(
        pack_text("province", ["名牌产品 >= 100个", "工业废水达标排放率 >= 90%"], level="province", region="广东省"),
        encoding="utf-8")
    child = resolve.resolve_text(pack_text("district", ["名牌产品 >= 5个", "override 工业废水达标排放率 >= 80%"
                                                        ' because "测试"'], extends="province"),
                                 search=[tmp_path], catalogue=catalogue)
    result = qualityrules.compare(resolve.load_pack(tmp_path / "province.qr", catalogue=catalogue), child)
    assert result.stricter("名牌产品") == ()
    assert result.row("名牌产品").reason() == "totals for different regions"
    assert result.stricter("工业废水达标排放率") == ("province",)
    kinds = {(d.kind, d.indicator) for d in result.differences}
    assert kinds == {(DiffKind.ADDED, "名牌产品"), (DiffKind.LOOSENED, "工业废水达标排放率")}
    assert "because 测试" in result.to_text()


def test_unrelated_packs_are_compared_side_by_side(catalogue: resolve.Catalogue) -> None:
    a = resolve.resolve_text(pack_text("a", ["工业废水达标排放率 >= 90%", "万元GDP能耗 <= 0.5吨标准煤/万元"]),
                             catalogue=catalogue)
    b = resolve.resolve_text(pack_text("b", ["工业废水达标排放率 85%-100%", "名牌产品 >= 3个"]), catalogue=catalogue)
    result = qualityrules.compare(a, b)
    assert result.pairs == (("a", "b", "compared"),)
    kinds = sorted((d.kind.value, d.indicator) for d in result.differences)
    assert kinds == [("added", "名牌产品"), ("changed", "工业废水达标排放率"), ("dropped", "万元GDP能耗")]
    assert result.row("工业废水达标排放率").reason() == "overlapping ranges"
    changed = next(d for d in result.differences if d.kind is DiffKind.CHANGED)
    assert changed.admits_rejected and "lets through values the parent rejects" in changed.describe()


def test_a_range_inside_an_excluded_value_admits_nothing_the_parent_rejects(catalogue: resolve.Catalogue) -> None:
    a = resolve.resolve_text(pack_text("a", ["工业废水达标排放率 != 50%"]), catalogue=catalogue)
    b = resolve.resolve_text(pack_text("b", ["工业废水达标排放率 >= 60%"]), catalogue=catalogue)
    c = resolve.resolve_text(pack_text("c", ["工业废水达标排放率 >= 40%"]), catalogue=catalogue)
    for child, admits in ((b, False), (c, True)):
        changed = next(d for d in qualityrules.compare(a, child).differences if d.kind is DiffKind.CHANGED)
        assert changed.admits_rejected is admits
        assert ("lets through values the parent rejects" in changed.describe()) is admits
    back = next(d for d in qualityrules.compare(b, a).differences if d.kind is DiffKind.CHANGED)
    assert back.admits_rejected


def test_two_different_packs_with_one_id_are_refused(catalogue: resolve.Catalogue) -> None:
    a = resolve.resolve_text(pack_text("a", ["工业废水达标排放率 >= 90%"]), catalogue=catalogue)
    b = resolve.resolve_text(pack_text("a", ["工业废水达标排放率 >= 95%"]), catalogue=catalogue)
    with pytest.raises(qualityrules.UsageError):
        qualityrules.compare(a, b)
    with pytest.raises(qualityrules.UsageError):
        qualityrules.compare()


def test_an_override_admitting_values_the_parent_rejects_is_qr106(catalogue: resolve.Catalogue,
                                                                  tmp_path: Path) -> None:
    (tmp_path / "province.qr").write_text(
        pack_text("province", ["工业废水达标排放率 >= 90%"], level="province", region="广东省"), encoding="utf-8")
    with pytest.raises(qualityrules.PackError) as caught:
        resolve.resolve_text(pack_text("district", ["override 工业废水达标排放率 85%-100%"], extends="province"),
                             search=[tmp_path], catalogue=catalogue)
    assert caught.value.code == "QR106"
