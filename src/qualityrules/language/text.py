"""Text normalisation shared by rules and data: NFKC, then traditional -> simplified script.

Rules and data column names go through the same function, so ``工業廢水達標排放率`` in a CSV header
matches ``工业废水达标排放率`` in a pack, and ``９５％`` reads as ``95%``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

import attrs

from ..i18n import Text, tr


@functools.lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@attrs.frozen
class NormalizedText:
    """Normalised text plus, for every normalised character, its offset in the original (``None``
    when every character stayed where it was, the usual case)."""

    text: str
    origin: tuple[int, ...] | None
    original_length: int

    def original_offset(self, offset: int) -> int:
        if self.origin is None:
            return min(offset, self.original_length)
        if offset >= len(self.origin):
            return self.original_length
        return self.origin[offset]


def _simplify(text: str) -> str:
    converted: str = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    # A phrase conversion changed the length: convert character by character to keep offsets.
    return "".join(_converter().convert(ch) for ch in text)


#: Footnote marks NFKC would make digits or letters: superscript digits, circled and parenthesised
#: numbers and letters (``¹``, ``①``, ``⑴``, ``ⓐ``, ``❶``, ``㉑``).
FOOTNOTE_MARKS = "\u00b9\u00b2\u00b3\u2070-\u207e\u2460-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf"
# Such a mark printed against a number, a share sign, a Chinese word or a closing bracket is a
# footnote (``41.5①``, ``比率(%)①``, ``覆盖率¹``), never part of what it follows; after a Latin
# letter it is an exponent (``km²``), and at the start of a line or after punctuation a list number.
_GLUED_MARK = re.compile(f"(?<=[0-9\uff10-\uff19%\uff05\u2030\u3400-\u9fff)\uff09\\]\u3011\u3015])[{FOOTNOTE_MARKS}]+")


def normalize_with_offsets(text: str) -> NormalizedText:
    """NFKC (character by character) and traditional→simplified, keeping a map back to original
    offsets for diagnostics. Each distinct character is normalised once; the offset map is only
    needed when NFKC expands a character (``①`` stays one, ``㎡`` becomes ``m2``). A footnote mark
    glued to what it annotates (``41.5①``: see ``_GLUED_MARK``) becomes a space: NFKC would make it
    a digit of the number or of the name (41.51, 比率(%)1)."""
    text = _GLUED_MARK.sub(lambda found: " " * len(found.group(0)), text)
    folded_as = {ch: folded for ch in set(text)
                 if ord(ch) > 127 and (folded := unicodedata.normalize("NFKC", ch)) != ch}
    folded_text = _alternatives(folded_as).sub(lambda match: folded_as[match[0]], text) if folded_as else text
    origin: tuple[int, ...] | None = None
    expanding = {ch: folded for ch, folded in folded_as.items() if len(folded) != 1}
    if expanding:
        offsets: list[int] = []
        done = 0
        for match in _alternatives(expanding).finditer(text):
            offsets.extend(range(done, match.start()))
            offsets.extend([match.start()] * len(expanding[match[0]]))
            done = match.end()
        offsets.extend(range(done, len(text)))
        origin = tuple(offsets)
    return NormalizedText(_simplify(folded_text) if _has_cjk(folded_text) else folded_text, origin, len(text))


def _alternatives(words: dict[str, str]) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, words)))


_CJK = re.compile("[\u3400-\u9fff]")


def _has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def lone_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate in ``text`` (a code point that is not a character:
    bytes decoded with ``errors="surrogateescape"``, or a UTF-16 pair cut in two), else None."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None


def surrogate_message(text: str, index: int) -> Text:
    """What to say about the lone surrogate at ``index`` of ``text``."""
    code = f"U+{ord(text[index]):04X}"
    return tr("{code} is a lone surrogate, not a character (the text was decoded with the wrong encoding, or cut "
              "inside a UTF-16 pair)", code=code)


@functools.lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Normalised form of a name: NFKC, simplified script, invisible characters and surrounding
    white space removed. A lone surrogate is a :class:`~qualityrules.errors.DataError` (QR244):
    it is no character, so no name can contain it (readers report it where it is written, before
    this)."""
    bad = lone_surrogate(text)
    if bad is not None:
        from ..errors import DataError, Diagnostic

        raise DataError(Diagnostic("QR244", tr("'{text}': {problem}", text=text.encode("utf-8", "backslashreplace").decode(),
                                               problem=surrogate_message(text, bad)),
                                   suggestion=tr("read the file with its real encoding (UTF-8, GB18030)")))
    folded = visible(unicodedata.normalize("NFKC", text))
    return _simplify(folded) if _has_cjk(folded) else folded


def visible(text: str) -> str:
    """``text`` without invisible characters (see ``_INVISIBLE``) and surrounding white space: a
    name as it shows."""
    return (text if text.isascii() else _INVISIBLE.sub("", text)).strip()


# Characters that show nothing and mean nothing in a name (zero-width spaces and joiners, direction
# marks, the BOM, a soft hyphen), which text pasted from web pages and documents carries: 龙岗区 with
# a zero-width space after it is 龙岗区. NFKC keeps them; white space they are not.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def quotable(text: str) -> str:
    """A quote that holds every quote style the language has cannot be written: its corner
    brackets 「」 become the white ones 『』, which the language reads as text (the only change
    ever made to a verbatim phrase; a full-width ＂ would not do: the language's normalisation
    turns it back into ")."""
    if all(any(q in text for q in pair) for pair in ('"', "“”", "「」")):
        return text.replace("「", "『").replace("」", "』")
    return text


def quote(text: str) -> str:
    """Quote free text with the first quote style it does not contain."""
    for left, right in (('"', '"'), ("“", "”"), ("「", "」")):
        if left not in text and right not in text:
            return f"{left}{text}{right}"
    raise ValueError(f"text contains every quote style and cannot be written: {text!r}")
