"""Reading a plan's plain text: bytes in UTF-8 (with or without BOM), UTF-16 with a BOM, or
GB18030; then the language's normalisation (NFKC, traditional → simplified) with a map back to
the original characters, so every candidate quotes and locates the text as printed."""

from __future__ import annotations

from pathlib import Path

import attrs

from ..errors import DataError, Diagnostic
from ..language import model as m
from ..language.text import NormalizedText, normalize_with_offsets

__all__ = ["PlanText", "read_plan", "plan_from_text", "decode_plan"]


@attrs.frozen
class PlanText:
    """A plan as printed (``source``) and normalised (``normalized``, same length or longer,
    each character mapped back to its original offset)."""

    source: m.Source
    normalized: NormalizedText
    encoding: str

    @property
    def text(self) -> str:
        """The normalised text every reader of the extraction stage works on."""
        return self.normalized.text

    def original(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the normalised range ``start:end``."""
        first = self.normalized.original_offset(start)
        last = self.normalized.original_offset(end - 1) + 1 if end > start else first
        return first, max(first, last)


def decode_plan(data: bytes, name: str) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was read in: a BOM decides; otherwise UTF-8, and
    failing that GB18030 (which also reads GBK and GB2312)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise _undecodable(name, "utf-16", error) from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        if b"\x00" in data:
            raise _undecodable(name, "utf-8", utf8_error) from None
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise _undecodable(name, "utf-8 or gb18030", utf8_error) from None


def _undecodable(name: str, tried: str, error: UnicodeDecodeError) -> DataError:
    return DataError(Diagnostic(
        "QR202", f"{name} is not a plan text in {tried} ({error.reason} at byte {error.start})",
        suggestion="save the plan as UTF-8 or GB18030 plain text (copy the text out of a PDF or "
                   "web page first)"))


def read_plan(path: str | Path) -> PlanText:
    """A plan text file, decoded (see :func:`decode_plan`) and normalised."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(Diagnostic("QR201", f"no such file: {path}")) from None
    except OSError as error:
        raise DataError(Diagnostic("QR201", f"cannot read {path}: {error.strerror}")) from None
    text, encoding = decode_plan(data, str(path))
    return plan_from_text(text, str(path), encoding)


def plan_from_text(text: str, name: str = "<plan>", encoding: str = "str") -> PlanText:
    """A plan given as a string. Line ends are unified (``\\r\\n`` → ``\\n``) before anything
    else, so spans count lines as an editor does."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DataError(Diagnostic("QR202", f"{name} holds a character that is not text (a lone surrogate "
                                   f"at offset {error.start})", suggestion="decode the plan's bytes as UTF-8 or "
                                   "GB18030, or pass the bytes")) from None
    unified = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", " ")
    return PlanText(m.Source(name, unified), normalize_with_offsets(unified), encoding)
