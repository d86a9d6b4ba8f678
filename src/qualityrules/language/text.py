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


@functools.lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Normalised form of a name: NFKC, simplified script, surrounding white space removed."""
    folded = unicodedata.normalize("NFKC", text).strip()
    return _simplify(folded) if _has_cjk(folded) else folded


def quote(text: str) -> str:
    """Quote free text with the first quote style it does not contain."""
    for left, right in (('"', '"'), ("“", "”"), ("「", "」")):
        if left not in text and right not in text:
            return f"{left}{text}{right}"
    raise ValueError(f"text contains every quote style and cannot be written: {text!r}")
