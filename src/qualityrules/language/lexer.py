"""A Pygments lexer for the rule language (``.qr`` files), registered as the ``pygments.lexers``
entry point ``qualityrules`` so Sphinx (``.. code-block:: qualityrules``) and ``pygmentize``
find it. Only Pygments is imported here; ``import qualityrules`` never imports this module.

The word lists come from the grammar's terminals; a test checks that every shipped pack, every
documentation example and every generated pack lexes without an error token.

>>> from qualityrules.language.lexer import QualityRulesLexer
>>> [t for _, t in QualityRulesLexer().get_tokens("PM2.5年均浓度 控制在33微克/立方米以下\\n")
...  if t.strip()]
['PM2.5年均浓度', '控制在', '33', '微克/立方米', '以下']
"""

from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, default, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from .grammar import grammar_terminals

__all__ = ["QualityRulesLexer", "grammar_terminals"]


_T = grammar_terminals()
_SPACE = r"[ \t\u3000]"
_NAME = _T["NAME"]
_STRING = _T["STRING"]
_TIME = "(?:" + "|".join((_T["TARGET_YEAR"], _T["PLAN_PERIOD"], _T["EVERY_YEAR"], _T["RUNNING_YEARS"], _T["CUMULATIVE"],
                          "by" + _SPACE + r"+\d{4}")) + ")"
_STRENGTH = _T["STRENGTH"]
_QUALIFIER = f"(?:{_TIME}|{_STRENGTH})"
_UNIT = _T["UNIT"]
_AGGREGATES = ("sum", "count", "mean", "min", "max", "share", "wmean")
_META = ("name", "source", "issuer", "published", "region", "level", "period", "target", "tolerance",
         "review", "scope", "note", "unit", "direction", "alias", "description", "from", "date", "year", "value",
         "min_records", "column", "rounding")


class QualityRulesLexer(RegexLexer):  # type: ignore[misc]  # pygments is untyped
    """Rule packs, indicator catalogues and single rules of the qualityrules language."""

    name = "qualityrules"
    aliases = ["qualityrules", "qr"]
    filenames = ["*.qr"]
    mimetypes = ["text/x-qualityrules"]
    flags = re.MULTILINE | re.UNICODE

    tokens = {
        "root": [
            (r"\n", Whitespace),
            # Block openers and metadata lines: a keyword at the start of a line.
            (r"^(" + _SPACE + r"*)(pack)(" + _SPACE + r"+)([a-z][a-z0-9]*(?:-[a-z0-9]+)*)",
             bygroups(Whitespace, Keyword, Whitespace, Name.Namespace)),
            (r"(extends)(" + _SPACE + r"+)", bygroups(Keyword, Whitespace), "pack-ids"),
            (r"^(" + _SPACE + r"*)(section|indicator)(" + _SPACE + r"+)(" + _STRING + "|" + _NAME + ")",
             bygroups(Whitespace, Keyword, Whitespace, Name.Class)),
            (r"^(" + _SPACE + r"*)(commitment)\b", bygroups(Whitespace, Keyword)),
            (r"^(" + _SPACE + r"*)(" + "|".join(_META) + r")(?=" + _SPACE + ")",
             bygroups(Whitespace, Keyword.Declaration), "meta"),
            # A rule line: [override] [qualifiers] NAME, then the target and its clauses.
            (r"^(" + _SPACE + r"*)(override" + _SPACE + r"+)?((?:" + _QUALIFIER + _SPACE + r"+)*)("
             + _STRING + "|" + _NAME + r")(?=" + _SPACE + ")",
             bygroups(Whitespace, Keyword, Keyword.Pseudo, Name.Variable)),
            (_SPACE + r"+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (_STRING, String),
            (r"[{}]", Punctuation),
            (r"\.\.", Punctuation),
            (r"[,(),]", Punctuation),
            (words(("cite", "because", "unenforced", "between", "and", "or", "not", "where", "override"),
                   suffix=r"\b"), Keyword),
            (words(("true", "false"), suffix=r"\b"), Keyword.Constant),
            (words(_AGGREGATES, suffix=r"(?=\()"), Name.Builtin),
            (_TIME, Keyword.Pseudo),
            (_STRENGTH, Keyword.Pseudo),
            (_T["BASELINE"], Keyword.Pseudo),
            ("|".join((_T["CHANGE_WORD"], _T["DOUBLING"], _T["CHANGE_ADVERB"])), Operator.Word),
            ("|".join((_T["EXACT_ZERO"], _T["FILLER"], _T["APPROX_SUFFIX"], _T["APPROX_PREFIX"])), Operator.Word),
            (_T["CMP_PREFIX"], Operator.Word),
            (_T["CMP_SUFFIX"], Operator.Word),
            (_T["SYMBOL_OP"] + "|±", Operator),
            ("(" + _T["NUMBER"] + ")(" + _T["MAGNITUDE"] + ")?(" + _UNIT + ")?", bygroups(Number, Number, Keyword.Type)),
            ("(" + _T["CN_NUMBER"] + ")(" + _UNIT + ")", bygroups(Number, Keyword.Type)),
            (_T["RANGE_SEP"], Operator),
            (r"[*/+-]", Operator),
            (_NAME, Name),
            (r".", Text),
        ],
        "pack-ids": [
            (r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", Name.Namespace),
            (r",", Punctuation),
            (_SPACE + r"+", Whitespace),
            default("#pop"),
        ],
        "meta": [
            (r"\n", Whitespace, "#pop"),
            (_SPACE + r"+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (_STRING, String),
            (r"(nation|province|city|district|higher|lower|exact|growth|projection|on-track|at-risk)\b",
             Keyword.Constant),
            (_T["ROUNDING_METHOD"], Keyword.Constant),
            (r"\d{4}\.\.\d{4}", Number),
            (words(_AGGREGATES, suffix=r"(?=\()"), Name.Builtin),
            (words(("where", "and", "or", "not"), suffix=r"\b"), Keyword),
            (words(("true", "false"), suffix=r"\b"), Keyword.Constant),
            ("(" + _T["NUMBER"] + ")(" + _UNIT + ")?", bygroups(Number, Keyword.Type)),
            (_UNIT + r"(?=\s)", Keyword.Type),
            (r">=|<=|==|!=|[<>=]", Operator),
            (r"[*/+-]", Operator),
            (r"[,()]", Punctuation),
            (r"[^\s\"“”「」#,()*/+<>=!-]+", Name),
            (r".", Text),
        ],
    }
