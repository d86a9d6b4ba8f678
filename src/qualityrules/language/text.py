"""Text normalisation shared by rules and data: NFKC, then traditional -> simplified script.

Rules and data column names go through the same function, so ``工業廢水達標排放率`` in a CSV header
matches ``工业废水达标排放率`` in a pack, and ``９５％`` reads as ``95%``.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

import attrs


@functools.lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@attrs.frozen
class NormalizedText:
    """Normalised text plus, for every normalised character, its offset in the original."""

    text: str
    origin: tuple[int, ...]
    original_length: int

    def original_offset(self, offset: int) -> int:
        if offset >= len(self.origin):
            return self.original_length
        return self.origin[offset]


def _simplify(text: str) -> str:
    converted: str = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    # A phrase conversion changed the length: convert character by character to keep offsets.
    return "".join(_converter().convert(ch) for ch in text)


def normalize_with_offsets(text: str) -> NormalizedText:
    """NFKC and traditional→simplified, keeping a map back to original offsets for diagnostics."""
    pieces: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        pieces.append(folded)
        origin.extend([index] * len(folded))
    folded_text = "".join(pieces)
    return NormalizedText(_simplify(folded_text) if _has_cjk(folded_text) else folded_text,
                          tuple(origin), len(text))


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


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


def surrogate_message(text: str, index: int) -> str:
    """What to say about the lone surrogate at ``index`` of ``text``."""
    return (f"U+{ord(text[index]):04X} is a lone surrogate, not a character (the text was decoded with the "
            "wrong encoding, or cut inside a UTF-16 pair)")


@functools.lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Normalised form of a name: NFKC, simplified script, surrounding white space removed. A
    lone surrogate is a :class:`~qualityrules.errors.DataError` (QR244): it is no character, so
    no name can contain it (readers report it where it is written, before this)."""
    bad = lone_surrogate(text)
    if bad is not None:
        from ..errors import DataError, Diagnostic

        raise DataError(Diagnostic("QR244", f"'{text.encode('utf-8', 'backslashreplace').decode()}': "
                                   + surrogate_message(text, bad),
                                   suggestion="read the file with its real encoding (UTF-8, GB18030)"))
    folded = unicodedata.normalize("NFKC", text).strip()
    return _simplify(folded) if _has_cjk(folded) else folded
