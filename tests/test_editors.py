"""editors/vscode: the TextMate grammar is generated from the grammar's word lists and kept in
step with them; the extension's manifest points at files that exist."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from qualityrules.language.lexer import grammar_terminals

ROOT = Path(__file__).resolve().parents[1]
VSCODE = ROOT / "editors" / "vscode"


def generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_grammar", VSCODE / "make_grammar.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_textmate_grammar_is_the_generated_one() -> None:
    committed = (VSCODE / "syntaxes" / "qualityrules.tmLanguage.json").read_text(encoding="utf-8")
    assert committed == generator().text(), "run: python editors/vscode/make_grammar.py"


def _python(pattern: str) -> str:
    return re.sub(r"\\x\{([0-9a-fA-F]{4})\}", r"\\u\1", pattern)


def _patterns(node: Any) -> list[tuple[str, str]]:
    found = []
    if isinstance(node, dict):
        if "match" in node:
            found.append((node.get("name", ""), node["match"]))
        for value in node.values():
            found.extend(_patterns(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_patterns(value))
    return found


def test_every_word_of_the_comparator_and_qualifier_terminals_is_highlighted() -> None:
    grammar = json.loads((VSCODE / "syntaxes" / "qualityrules.tmLanguage.json").read_text(encoding="utf-8"))
    by_scope = dict(_patterns(grammar["repository"]["words"]))
    for terminal in ("CMP_PREFIX", "CMP_SUFFIX", "CHANGE_WORD", "STRENGTH", "EVERY_YEAR", "LEVEL", "AGGREGATE"):
        body = re.sub(r"\(\?=[^)]*\)", "", grammar_terminals()[terminal]).removeprefix("(?:").removesuffix(")")
        for word in body.split("|"):
            word = word.replace("\\", "")
            # followed by a digit, as a word with a lookahead (达 in 达9…) is only a comparator there
            hits = [scope for scope, pattern in by_scope.items()
                    if (m := re.match(_python(pattern), word + "9")) is not None and m.end() == len(word)]
            assert hits, f"{terminal} word {word!r} is not highlighted"


def test_the_patterns_compile_and_colour_a_shipped_rule() -> None:
    grammar = json.loads((VSCODE / "syntaxes" / "qualityrules.tmLanguage.json").read_text(encoding="utf-8"))
    patterns = [(scope, re.compile(_python(p))) for scope, p in _patterns(grammar)]
    line = '        override 工业废水达标排放率 达到95%以上   cite "附件 序号8"  # 注释'
    scopes = {scope for scope, regex in patterns for _ in regex.finditer(line) if scope}
    assert {"keyword.operator.word.qualityrules", "comment.line.number-sign.qualityrules",
            "string.quoted.double.qualityrules", "keyword.other.qualityrules"} <= scopes
    keyword = next(regex for scope, regex in patterns if scope == "keyword.other.qualityrules")
    assert {"override", "cite", "because", "unenforced", "extends"} <= {
        m.group(0) for m in keyword.finditer("override cite because unenforced extends")}


def test_the_manifest_points_at_real_files() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    contributes = manifest["contributes"]
    assert contributes["languages"][0]["extensions"] == [".qr"]
    assert (VSCODE / contributes["languages"][0]["configuration"]).is_file()
    assert (VSCODE / contributes["grammars"][0]["path"]).is_file()
    assert (VSCODE / manifest["main"]).is_file()
    assert contributes["configuration"]["properties"]["qualityrules.server.command"]["default"] == ["qualityrules", "lsp"]
    json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    assert not (VSCODE / "node_modules").exists()
