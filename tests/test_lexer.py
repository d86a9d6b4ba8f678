"""The Pygments lexer: registered as an entry point, and every shipped file and every generated
pack lexes without an error token, giving back exactly the text it was given."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error, Keyword, Name, Number, Operator

from qualityrules import strategies as qst
from qualityrules.language import model as m
from qualityrules.language.format import format_model
from qualityrules.language.lexer import QualityRulesLexer

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "rules").rglob("*.qr"))


def lex(text: str) -> list[tuple[object, str]]:
    tokens = list(QualityRulesLexer().get_tokens(text))
    assert "".join(value for _, value in tokens) == (text if text.endswith("\n") else text + "\n")
    assert not [value for kind, value in tokens if kind is Error]
    return tokens


def test_the_lexer_is_registered_with_pygments() -> None:
    assert isinstance(get_lexer_by_name("qualityrules"), QualityRulesLexer)
    assert isinstance(get_lexer_for_filename("longgang-2015.qr"), QualityRulesLexer)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_lex_cleanly(path: Path) -> None:
    lex(path.read_text(encoding="utf-8"))


def test_a_rule_line_is_split_into_its_parts() -> None:
    tokens = [(kind, value) for kind, value in lex("override 争取 到2015年 广东省名牌产品 达到40个以上 cite \"附件\"\n")
              if value.strip()]
    assert tokens[:3] == [(Keyword, "override "), (Keyword.Pseudo, "争取 到2015年 "), (Name.Variable, "广东省名牌产品")]
    assert (Operator.Word, "达到") in tokens and (Number, "40") in tokens and (Keyword.Type, "个") in tokens
    assert (Operator.Word, "以上") in tokens


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(qst.packs())
def test_generated_packs_lex_cleanly(definition: m.PackDefinition) -> None:
    lex(format_model(definition))
