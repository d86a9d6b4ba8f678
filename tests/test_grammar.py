"""The grammar, the rule→model table and the unit list stay in step."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from lark import Lark, Token, Tree

from qualityrules.language import grammar, parse, units
from qualityrules.language import model as m
from qualityrules.language.text import normalize_with_offsets
from qualityrules.resources import grammar_path, rules_dir


def test_every_grammar_rule_maps_to_a_model_class() -> None:
    rules = parse.grammar_rule_names()
    assert rules == set(parse.GRAMMAR_TO_MODEL), (
        f"unmapped: {rules - set(parse.GRAMMAR_TO_MODEL)}; stale: {set(parse.GRAMMAR_TO_MODEL) - rules}")


def test_every_mapped_rule_has_a_builder_and_a_model_type() -> None:
    for rule, target in parse.GRAMMAR_TO_MODEL.items():
        assert callable(getattr(parse._Builder, "rule_" + rule, None)), rule
        assert target is str or target.__module__ == m.__name__, rule


def test_parser_is_lalr_and_built_once() -> None:
    lark = parse._parser()
    assert lark.options.parser == "lalr"
    assert parse._parser() is lark


def _shipped_texts() -> list[tuple[str, str]]:
    """Every shipped rule file (start rule ``start``) and every corpus line (``single_rule``)."""
    texts = [("start", p.read_text(encoding="utf-8")) for p in sorted(rules_dir().rglob("*.qr"))]
    corpus = (Path(__file__).parent / "fixtures" / "corpus_valid.tsv").read_text(encoding="utf-8")
    lines = [line.split("\t")[0] for line in corpus.splitlines() if line and not line.startswith("#")][1:]
    return texts + [("single_rule", line) for line in lines]


def test_node_positions_are_lark_propagated_positions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser reduces straight to the model and finds each node's extent itself; it must be
    the extent Lark's ``propagate_positions`` gives the same node of a parse tree (first token to
    last, dropped keywords and line ends included), node for node in reduction order."""
    reference = Lark(grammar.grammar_text(), parser="lalr", lexer="contextual",
                     propagate_positions=True, maybe_placeholders=False, start=["start", "single_rule"])
    reduced: list[tuple[int, int]] = []

    class Recorded(parse._Built):
        __slots__ = ()

        def __init__(self, value: object, start: int, end: int) -> None:
            super().__init__(value, start, end)
            reduced.append((start, end))

    monkeypatch.setattr(parse, "_Built", Recorded)
    for start, text in _shipped_texts():
        normalized = normalize_with_offsets(text).text
        reduced.clear()
        parse._parser().parse(normalized, start=start)
        tree = reference.parse(normalized, start=start)
        expected = [(0, 0) if node.meta.empty else (node.meta.start_pos, node.meta.end_pos)
                    for node in _post_order(tree)]
        assert reduced == expected, text[:80]
    assert len(_shipped_texts()) > 100


def _post_order(tree: Tree[Token]) -> list[Tree[Token]]:
    nodes = []
    for child in tree.children:
        if isinstance(child, Tree):
            nodes.extend(_post_order(child))
    return [*nodes, tree]


def test_grammar_unit_spellings_all_defined_for_pint() -> None:
    # every spelling the lexer accepts is a pint unit expression of our definitions file
    registry = units.registry()
    for spelling in units.grammar_spellings():
        registry.parse_units(spelling)


def test_every_defined_alias_is_reachable_from_the_grammar() -> None:
    spellings = set(units.grammar_spellings())
    compound_parts = {part for s in spellings for part in s.split("/")}
    missing = [a for a in units.defined_spellings() if a not in spellings and a not in compound_parts]
    assert missing == []


def test_unit_spellings_are_sorted_longest_first_where_prefixes_collide() -> None:
    spellings = units.grammar_spellings()
    for i, short in enumerate(spellings):
        for long in spellings[i + 1:]:
            assert not long.startswith(short) or long == short, f"{long!r} is shadowed by {short!r}"


def test_cached_unit_table_equals_pint() -> None:
    assert units._table() == units.derive_table()


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("万亿元", "亿元", Fraction(10000)),
    ("亿元", "万元", Fraction(10000)),
    ("亩", "平方米", Fraction(2000, 3)),
    ("毫克/立方米", "微克/立方米", Fraction(1000)),
    ("公里", "米", Fraction(1000)),
    ("万吨标准煤", "吨标准煤", Fraction(10000)),
    ("‰", "%", Fraction(1, 10)),
    ("个百分点", "%", Fraction(1)),
    ("件/万人", "批次/千人", Fraction(1, 10)),
])
def test_conversions_are_exact(a: str, b: str, expected: Fraction) -> None:
    assert units.factor(a, b) == expected
    assert units.factor(b, a) == 1 / expected


@pytest.mark.parametrize(("a", "b"), [("家", "元"), ("%", "家"), ("吨标准煤/万元", "立方米/万元"),
                                      ("美元", "元"), ("人", "个"), ("微克/立方米", "%")])
def test_incompatible_units(a: str, b: str) -> None:
    assert not units.compatible(a, b)
    with pytest.raises(ValueError):
        units.factor(a, b)


def test_the_unit_terminal_is_built_from_units_txt_only() -> None:
    raw = grammar_path("qr.lark").read_text(encoding="utf-8")
    assert "UNIT: /@UNITS@/" in raw and "万元" not in raw.split("UNIT:")[1].split("\n")[0]
    terminal = next(t for t in parse._parser().terminals if t.name == "UNIT")
    import re

    for spelling in units.defined_spellings():
        assert re.fullmatch(terminal.pattern.to_regexp(), spelling), spelling


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("人均可支配收入 达到5万元/人", "5", "万元/人"),
    ("人均预期寿命 达到79岁", "79", "岁"),
    ("国家标准平均制定周期 缩短至18个月以内", "18", "个月"),
    ("粮食综合生产能力 6.5亿吨以上", "650000000", "吨"),
    ("新增城镇就业 1200万人以上", "1200", "万人"),
])
def test_units_the_real_plans_need(text: str, value: str, unit: str) -> None:
    from decimal import Decimal

    rule = parse.parse_rule_text(text)
    assert isinstance(rule.target, m.Comparison)
    assert rule.target.quantity.value == Decimal(value) and rule.target.quantity.unit == unit


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("万户", "户", Fraction(10000)), ("亿吨", "万吨", Fraction(10000)), ("万亩", "亩", Fraction(10000)),
    ("年", "个月", Fraction(12)), ("岁", "个月", Fraction(12)), ("万元/人", "元/人", Fraction(10000)),
])
def test_magnitude_words_before_a_unit_and_durations_convert_exactly(a: str, b: str, expected: Fraction) -> None:
    assert units.known(a) and units.factor(a, b) == expected


def test_the_word_tables_are_the_grammars_words() -> None:
    """Every comparator, strength and change word the grammar lexes has a meaning, and no table
    holds a word the grammar cannot produce."""
    import re

    from qualityrules.language.grammar import grammar_terminals

    def words(terminal: str) -> set[str]:
        body = re.sub(r"\(\?=[^)]*\)", "", grammar_terminals()[terminal])
        return set(body.removeprefix("(?:").removesuffix(")").replace("\\", "").split("|"))

    assert words("CMP_PREFIX") == set(parse.COMPARATOR_WORDS)
    assert words("STRENGTH") == set(parse.STRENGTH_WORDS)
    assert words("CHANGE_WORD") == set(parse.CHANGE_WORDS)
    assert parse.AVERAGE_ANNUAL_WORDS <= words("CHANGE_ADVERB")
    assert set(parse.DOUBLING_WORDS) == words("DOUBLING")
