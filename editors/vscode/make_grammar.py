"""Writes ``syntaxes/qualityrules.tmLanguage.json``, the TextMate grammar of ``.qr`` files, from the
rule language's own word lists: the terminals and keywords of ``grammar/qr.lark`` (read through
``qualityrules.language.lexer.grammar_terminals``). ``tests/test_editors.py`` regenerates it and
checks the committed file is the same, so the editor highlights the words the parser knows.

    python editors/vscode/make_grammar.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from qualityrules.language.lexer import grammar_terminals
from qualityrules.resources import grammar_path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "syntaxes" / "qualityrules.tmLanguage.json"

# Terminals by the scope they are coloured with (editor themes know these scope names).
SCOPES: dict[str, tuple[str, ...]] = {
    "keyword.other.time.qualityrules": ("TARGET_YEAR", "EVERY_YEAR", "CUMULATIVE", "BASELINE"),
    "storage.modifier.strength.qualityrules": ("STRENGTH",),
    "keyword.operator.word.qualityrules": ("CMP_PREFIX", "CMP_SUFFIX", "FILLER", "EXACT_ZERO", "APPROX_PREFIX",
                                           "APPROX_SUFFIX", "CHANGE_WORD", "CHANGE_ADVERB", "DOUBLING"),
    "keyword.operator.comparison.qualityrules": ("SYMBOL_OP",),
    "constant.language.qualityrules": ("LEVEL", "DIRECTION", "BOOLEAN"),
    "support.function.aggregate.qualityrules": ("AGGREGATE",),
}


def keywords() -> list[str]:
    """The grammar's ascii keywords (quoted literals in its rules), longest first."""
    text = grammar_path("qr.lark").read_text(encoding="utf-8")
    rules = text.split("// ---------------------------------------------------------------- terminals")[0]
    literals = set(re.findall(r'"([a-z_]+)"', "\n".join(line.split("//")[0] for line in rules.splitlines())))
    return sorted(literals | {"override"}, key=lambda w: (-len(w), w))


def oniguruma(pattern: str) -> str:
    """A Python regular expression as TextMate's Oniguruma writes it (``\\uXXXX`` → ``\\x{XXXX}``)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", r"\\x{\1}", pattern)


def grammar() -> dict[str, Any]:
    t = {name: oniguruma(pattern) for name, pattern in grammar_terminals().items()}
    words = [{"match": "|".join(t[name] for name in names), "name": scope} for scope, names in SCOPES.items()]
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "qualityrules",
        "scopeName": "source.qualityrules",
        "fileTypes": ["qr"],
        "patterns": [
            {"include": "#comment"}, {"include": "#string"}, {"include": "#header"}, {"include": "#keyword"},
            {"include": "#quantity"}, {"include": "#words"},
        ],
        "repository": {
            "comment": {"match": t["COMMENT"], "name": "comment.line.number-sign.qualityrules"},
            "string": {"match": t["STRING"], "name": "string.quoted.double.qualityrules"},
            "header": {"patterns": [
                {"match": r"\b(pack)\s+(" + t["PACK_ID"] + ")",
                 "captures": {"1": {"name": "keyword.control.qualityrules"},
                              "2": {"name": "entity.name.namespace.qualityrules"}}},
                {"match": r"\b(extends)\s+((?:" + t["PACK_ID"] + r"\s*,?\s*)+)",
                 "captures": {"1": {"name": "keyword.control.qualityrules"},
                              "2": {"name": "entity.name.namespace.qualityrules"}}},
                {"match": r"\b(section|indicator)\s+(" + t["STRING"] + "|" + t["NAME"] + ")",
                 "captures": {"1": {"name": "keyword.control.qualityrules"},
                              "2": {"name": "entity.name.section.qualityrules"}}},
            ]},
            "keyword": {"match": r"\b(?:" + "|".join(keywords()) + r")\b", "name": "keyword.other.qualityrules"},
            "quantity": {"match": "(" + t["NUMBER"] + ")(" + t["MAGNITUDE"] + ")?(" + t["UNIT"] + ")?|("
                         + t["CN_NUMBER"] + ")(" + t["UNIT"] + ")",
                         "captures": {"1": {"name": "constant.numeric.qualityrules"},
                                      "2": {"name": "constant.numeric.magnitude.qualityrules"},
                                      "3": {"name": "support.type.unit.qualityrules"},
                                      "4": {"name": "constant.numeric.qualityrules"},
                                      "5": {"name": "support.type.unit.qualityrules"}}},
            "words": {"patterns": words},
        },
    }


def text() -> str:
    return json.dumps(grammar(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(text(), encoding="utf-8")
    print(f"wrote {OUTPUT}")
