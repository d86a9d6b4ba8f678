"""The grammar's text and its terminals, for every module that needs the language's words.

``grammar/qr.lark`` is the one description of the language; its UNIT terminal is filled in from
``grammar/units.txt`` (the one list of unit spellings). The parser, the sentence reader, the
formatter and the Pygments lexer all read their word lists from here, so a word added to the
grammar is known everywhere at once.
"""

from __future__ import annotations

import functools
import re

from ..resources import grammar_path
from .units import unit_pattern

__all__ = ["grammar_text", "grammar_terminals", "terminal"]


@functools.lru_cache(maxsize=1)
def grammar_text() -> str:
    """``grammar/qr.lark`` with its UNIT terminal filled in from ``units.txt``."""
    grammar = grammar_path("qr.lark").read_text(encoding="utf-8")
    if "@UNITS@" not in grammar:  # pragma: no cover - guarded by tests on the shipped grammar
        raise RuntimeError("grammar/qr.lark has no @UNITS@ placeholder in its UNIT terminal")
    return grammar.replace("@UNITS@", unit_pattern())


@functools.lru_cache(maxsize=1)
def grammar_terminals() -> dict[str, str]:
    """The grammar's terminals as Python regular expressions (literals escaped), by name."""
    found: dict[str, str] = {}
    for match in re.finditer(r"^([A-Z_]+)(?:\.-?\d+)?:[ \t]*(.+?)[ \t]*$", grammar_text(), flags=re.MULTILINE):
        name, body = match.groups()
        alternatives = []
        for piece in re.findall(r'/((?:[^/\\]|\\.)*)/|"((?:[^"\\]|\\.)*)"', body):
            regex, literal = piece
            # Groups become non-capturing so callers that count groups count only their own.
            pattern = re.sub(r"(?<!\\)\((?!\?)", "(?:", regex.replace("\\/", "/")) if regex else re.escape(literal)
            alternatives.append(pattern)
        found[name] = "(?:" + "|".join(alternatives) + ")"
    return found


@functools.cache
def terminal(*names: str) -> re.Pattern[str]:
    """One compiled pattern matching any of the named terminals."""
    terminals = grammar_terminals()
    return re.compile("|".join(terminals[name] for name in names))
