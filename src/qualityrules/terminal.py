"""Text for a terminal: display width (a CJK character takes two columns), tables whose columns
shrink and wrap to fit a width, long lines wrapped with a hanging indent, and colour.

The one place that knows about terminal width: the report's and comparison's text views lay out
their tables with :func:`table`, and the command line passes every text output through :func:`fit`
with the width from :func:`output_width`, so no line is wider than the terminal.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from typing import TextIO

from .errors import _display_width as display_width

__all__ = ["display_width", "output_width", "fit", "table", "wrap", "colour_enabled", "paint"]

def output_width(stream: TextIO | None = None) -> int | None:
    """The width to fit text to: ``COLUMNS`` when set, else the terminal's when ``stream`` (default
    standard output) is one; None (no limit) when writing to a file or a pipe."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    stream = stream or sys.stdout
    if hasattr(stream, "isatty") and stream.isatty():
        return shutil.get_terminal_size().columns
    return None


def wrap(text: str, width: int) -> list[str]:
    """``text`` cut into pieces of at most ``width`` display columns, at the last space that fits
    (Chinese text, which has none, breaks between any two characters)."""
    width = max(width, 2)
    pieces: list[str] = []
    while display_width(text) > width:
        used, cut = 0, 0
        for index, ch in enumerate(text):
            used += display_width(ch)
            if used > width:
                break
            cut = index + 1
        space = text.rfind(" ", 0, cut + 1)
        if space > 0:
            cut = space
        cut = max(cut, 1)
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip(" ")
    pieces.append(text)
    return pieces


def fit(text: str, width: int | None) -> str:
    """Every line of ``text`` no wider than ``width``: a longer one continues on the next lines,
    indented four columns deeper than it."""
    if width is None:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        if display_width(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        if len(indent) + 4 > width // 2:
            indent = ""
        first, *rest = wrap(line, width)
        out.append(first)
        follow = indent + "    "
        for piece in wrap(" ".join(rest), width - len(follow)) if rest else ():
            out.append(follow + piece)
    return "\n".join(out)


_SHORT = 10


def table(rows: Sequence[Sequence[str]], width: int | None = None, indent: str = "  ", gap: str = "  ") -> list[str]:
    """Rows as aligned columns (CJK-aware). With ``width``, columns give up room in proportion to
    how much they can (a number or a word of Latin letters is never broken; Chinese text breaks
    between any two characters) until a line fits, and their cells wrap inside their column."""
    if not rows:
        return []
    count = len(rows[0])
    widths = [max(display_width(row[c]) for row in rows) for c in range(count)]
    if width is not None:
        room = width - len(indent) - len(gap) * (count - 1)
        floors = [max([_unbreakable(row[c]) for row in rows] + [1]) for c in range(count)]
        excess = sum(widths) - room
        slack: list[int] = [max(0, w - f) for w, f in zip(widths, floors, strict=True)]
        spare = sum(slack)
        if excess > 0 and spare:
            cut = [min(s, -(-excess * s // spare)) for s in slack]  # ceiling of the proportional share
            widths = [w - c for w, c in zip(widths, cut, strict=True)]
    lines: list[str] = []
    for row in rows:
        cells = [wrap(cell, widths[c]) if display_width(cell) > widths[c] else [cell] for c, cell in enumerate(row)]
        for part in range(max(len(c) for c in cells)):
            texts = [cell[part] if part < len(cell) else "" for cell in cells]
            padded = [t + " " * (widths[c] - display_width(t)) for c, t in enumerate(texts)]
            lines.append((indent + gap.join(padded)).rstrip())
    return lines


def _unbreakable(cell: str) -> int:
    """The width a cell cannot go below: all of it when it is short (a mark, a year, a value),
    else its widest word without Chinese characters (Chinese text may break anywhere, so it asks
    for two characters)."""
    if display_width(cell) <= _SHORT:
        return display_width(cell)
    words = [w for w in cell.split(" ") if w]
    return max((4 if display_width(w) > len(w) else display_width(w) for w in words), default=1)


_STYLES = {"error": "1;31", "warning": "1;33", "fail": "31", "warn": "33", "pass": "32", "bold": "1", "dim": "2"}


def colour_enabled(stream: TextIO | None = None, choice: str = "auto") -> bool:
    """Colour when asked (``always``), never with ``never`` or ``NO_COLOR`` set (https://no-color.org),
    else when ``stream`` is a terminal."""
    if choice == "never" or (choice == "auto" and os.environ.get("NO_COLOR")):
        return False
    if choice == "always":
        return True
    stream = stream or sys.stdout
    return bool(hasattr(stream, "isatty") and stream.isatty()) and os.environ.get("TERM") != "dumb"


def paint(text: str, style: str, enabled: bool) -> str:
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if enabled and text else text
