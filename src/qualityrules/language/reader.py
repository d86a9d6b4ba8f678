"""The sentence reader: a target line as a plan prints it, with no space between the indicator
and the target (``制造业产品质量合格率达到95%以上``), or with the number inside a verb phrase
(``工业废水90%达标排放``), made readable for the grammar.

The grammar reads a NAME up to the next white space, so an unspaced sentence is one long name.
When a line does not parse, the reader looks for where the name ends and the target begins, by
these rules, in order:

1. the catalogue, when the caller has one: the longest catalogue name or alias the line starts
   with, if the rest of the line reads as a target;
2. the principled boundary: the first place where the rest of the line reads as a target (a
   comparator word, a number, a change, a time or strength word, 均/分别 …). The rest must read
   to the end of the line, so a number inside a name (``PM2.5年均浓度``, ``超1000亿元名牌企业``,
   ``每千人口拥有3岁以下婴幼儿托位数``) stays in the name;
3. a number inside a verb phrase: ``工业废水90%达标排放`` reads as the indicator ``工业废水达标排放``
   with the target ``90%`` (``target_at`` says where the number was printed, for ``fmt``).

Readings are tried with the real parser (``parses``), so the reader never accepts what the
grammar would not. It is pure text work: Lark stays in :mod:`.parse`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import attrs

from .grammar import grammar_terminals, terminal

__all__ = ["Reading", "glued_lines", "read_line", "unreadable_comparison"]

_SPACE = "[ \t\u3000]*"


@attrs.frozen
class Reading:
    """A line rewritten for the parser. ``origin[i]`` is the index in the original line of the
    rewritten character ``i`` (an inserted space maps to the character after it)."""

    text: str
    origin: tuple[int, ...]
    name_start: int               # where the name starts in ``text``
    joined: bool                  # a space was inserted between the name and the target
    target_at: int | None = None  # the target was printed inside the name, before this index


def _lead() -> re.Pattern[str]:
    """Words that may stand before the name: override, time and strength words, 杜绝."""
    words = terminal("TARGET_YEAR", "PLAN_PERIOD", "EVERY_YEAR", "RUNNING_YEARS", "CUMULATIVE", "STRENGTH", "ZERO_VERB")
    return re.compile(f"(?:override(?=[ \t\u3000])|by{_SPACE}\\d{{4}}|{words.pattern}){_SPACE}")


def _target_start() -> re.Pattern[str]:
    """Where the rest of a line may begin once the name has ended."""
    return terminal(
        "TARGET_YEAR", "PLAN_PERIOD", "EVERY_YEAR", "RUNNING_YEARS", "CUMULATIVE", "STRENGTH", "_PAUSE", "_MODAL", "EACH",
        "CMP_PREFIX", "EXACT_ZERO", "WHOLE", "QUALITATIVE", "APPROX_PREFIX", "BASELINE", "CHANGE_WORD",
        "CHANGE_ADVERB", "DOUBLING", "RESPECTIVELY", "NUMBER", "CN_NUMBER")


def _embedded_quantity() -> re.Pattern[str]:
    """A number printed inside a verb phrase: ``90%``, ``1个以上``, ``85%以上`` (not a digit glued
    to letters, as in ``PM2.5``)."""
    t = grammar_terminals()
    number = f"(?:{t['NUMBER']}{t['MAGNITUDE']}?|{t['CN_NUMBER']})"
    return re.compile(f"(?<![A-Za-z0-9.]){number}{t['UNIT']}?{t['INCLUSION']}?{t['CMP_SUFFIX']}?{t['INCLUSION']}?")


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(name: str) -> re.Pattern[str]:
    """The pattern ``name``, compiled on first use: a text no line of which needs reading
    compiles none (compiling them costs a lint milliseconds)."""
    found = _PATTERNS.get(name)
    if found is None:
        found = _PATTERNS[name] = {"lead": _lead, "start": _target_start, "embedded": _embedded_quantity,
                                   "name": lambda: re.compile(grammar_terminals()["NAME"]), "glued": _glued}[name]()
    return found


def _name(line: str) -> re.Match[str] | None:
    """The name as the line prints it: the NAME after the lead words."""
    position = len(line) - len(line.lstrip(" \t\u3000"))
    while (lead := _pattern("lead").match(line, position)) and lead.end() > position:
        position = lead.end()
    return _pattern("name").match(line, position)


def _glued() -> re.Pattern[str]:
    """A line whose name (after its lead words, as :func:`_name` finds them) runs on to the end of
    the line, a comment, a quote or a clause: no target follows it as printed."""
    lead, name = _pattern("lead").pattern, _pattern("name").pattern
    # After a newline (re would try ^ at every character; the first line has no line end before
    # it). What a lookahead matched is not given back, so the lead words and the name are matched
    # once each, as _name does, not tried again shorter at every character of a line that fails.
    return re.compile(f"\n{_SPACE}(?=(?P<lead>(?:{lead})*))(?P=lead)(?=(?P<name>{name}))(?P=name)"
                      f"{_SPACE}(?:$|#|[\"“「]|(?:cite|because|unenforced)\\b)", re.MULTILINE)


def glued_lines(text: str) -> set[int]:
    """Where the words start of the lines of ``text`` that print their target inside their name
    (``…达到11家以上cite"…"``). A hint only, found in one pass over the text (the parser says
    whether such a line parses): it lets the parse read those lines before it reaches them,
    instead of failing on each first."""
    return {found.start("lead") for found in _pattern("glued").finditer(text)}


def read_line(line: str, parses: Callable[[str], bool],
              known: Callable[[str], bool] | None = None) -> Reading | None:
    """A reading of ``line`` that ``parses`` accepts, or None (the line stays as it is)."""
    name = _name(line)
    if name is None:
        return None
    start, end = name.span()
    token = line[start:end]

    def split(cut: int) -> Reading | None:
        text = line[:start + cut] + " " + line[start + cut:]
        if not parses(text):
            return None
        origin = (*range(start + cut), start + cut, *range(start + cut, len(line)))
        return Reading(text, origin, start, True)

    # Where the target may start, found as they are tried (most lines read at the first)
    starts: Iterable[int] = (cut for cut in range(1, len(token)) if _pattern("start").match(token, cut))
    if known is not None:
        starts = list(starts)
        for cut in sorted((c for c in starts if known(token[:c])), reverse=True):
            if reading := split(cut):
                return reading
    for cut in starts:
        if reading := split(cut):
            return reading
    return _verb_phrase(line, start, end, parses)


def _verb_phrase(line: str, start: int, end: int, parses: Callable[[str], bool]) -> Reading | None:
    """``工业废水90%达标排放`` -> ``工业废水达标排放 90%`` (the number moved after the name)."""
    token = line[start:end]
    if not re.fullmatch(r"(?:[ \t\u3000]+(?:cite|because|unenforced)\b.*|[ \t\u3000]*(?:#.*)?)", line[end:]):
        return None  # the whole target is inside the phrase; what follows it may only be clauses
    quoted = [q.span() for q in re.finditer("“[^”]*”", token)]
    for quantity in _pattern("embedded").finditer(token):
        i, j = quantity.span()
        if i == 0 or j >= len(token) or any(a <= i < b for a, b in quoted):
            continue
        text = line[:start] + token[:i] + token[j:] + " " + token[i:j] + line[end:]
        if parses(text):
            origin = (*range(start + i), *range(start + j, end), start + i, *range(start + i, start + j),
                      *range(end, len(line)))
            return Reading(text, origin, start, False, i)
    return None


def unreadable_comparison(line: str) -> re.Match[str] | None:
    """A comparator word followed by words, not a number: a requirement set elsewhere
    (``达到国家和省环境保护部门的要求``) or a share of another quantity
    (``达到年度国际标准制修订数的50%``). Not a number of its own, so not checkable."""
    words = terminal("CMP_PREFIX").pattern
    found = re.search(f"(?:{words})(?![ \t\u3000]*[-+\\d零〇一二两三四五六七八九十百千万])[^\\s,;]+", line)
    if found is None:
        return None
    rest = found.group(0)
    return found if not re.search(r"\d", rest) or re.search(r"的[ \t\u3000]*\d", rest) else None
