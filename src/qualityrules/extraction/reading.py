"""Reading a plan's plain text: bytes in UTF-8 (with or without BOM), UTF-16 with a BOM, or
GB18030; then the language's normalisation (NFKC, traditional → simplified) with a map back to
the original characters, so every candidate quotes and locates the text as printed."""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from ..errors import DataError, Diagnostic
from ..i18n import tr
from ..language import model as m
from ..language.text import NormalizedText, normalize_with_offsets

__all__ = ["PlanText", "read_plan", "plan_from_text", "decode_plan", "PAGE_NUMBER", "WEB_PAGE_LINE"]

# A page number on a line of its own, as a PDF copy leaves them between the lines of a sentence
# (``— 2 —``, ``- 12 -``, ``第3页 共10页``): read as a blank line, left out of quoted phrases.
PAGE_NUMBER = re.compile(r"(?m)^[ \t\u3000]*(?:[-—－–―]{1,2}[ \t\u3000]*\d{1,4}[ \t\u3000]*[-—－–―]{1,2}|"
                         r"第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?)[ \t\u3000]*$")


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


# A line of a web page around the document (the counter of views, the print and close buttons,
# the site's registration and contact lines): read as a blank line, its numbers are not the plan's.
WEB_PAGE_LINE = re.compile(r"(?m)^.*(?:浏览次数|阅读次数|浏览量|阅读量|点击数|点击量|访问量|访问次数|字体:|\[打印\]|"
                           r"【打印】|【关闭】|分享到|扫一扫|网站标识码|ICP备|备案号|主办单位|承办单位|技术支持|版权所有|"
                           r"当前位置).*$")


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
        "QR202", tr("{name} is not a plan text in {tried} ({reason} at byte {start})", name=name, tried=tried,
                    reason=error.reason, start=error.start),
        suggestion=tr("save the plan as UTF-8 or GB18030 plain text (copy the text out of a PDF or web page first)")))


def read_plan(path: str | Path) -> PlanText:
    """A plan text file, decoded (see :func:`decode_plan`) and normalised."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(Diagnostic("QR201", tr("no such file: {path}", path=path))) from None
    except OSError as error:
        raise DataError(Diagnostic("QR201", tr("cannot read {path}: {reason}", path=path, reason=error.strerror))) from None
    text, encoding = decode_plan(data, str(path))
    return plan_from_text(text, str(path), encoding)


def plan_from_text(text: str, name: str = "<plan>", encoding: str = "str") -> PlanText:
    """A plan given as a string. Line ends are unified (``\\r\\n`` → ``\\n``) before anything
    else, so spans count lines as an editor does."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise DataError(Diagnostic("QR202", tr("{name} holds a character that is not text (a lone surrogate at offset "
                                               "{start})", name=name, start=error.start), suggestion=tr("decode the plan's bytes as UTF-8 or GB18030, or pass the bytes"))) from None
    unified = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", " ")
    normalized = normalize_with_offsets(unified)
    blanked = normalized.text
    for furniture in (PAGE_NUMBER, WEB_PAGE_LINE):
        blanked = furniture.sub(lambda found: " " * len(found.group(0)), blanked)
    return PlanText(m.Source(name, unified), attrs.evolve(normalized, text=blanked), encoding)
