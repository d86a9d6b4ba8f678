"""Where the grammar and the shipped rules live: inside the installed package (the wheel maps
the top-level ``grammar/`` and ``rules/`` there) or, in a source checkout, at the repository root."""

from __future__ import annotations

import functools
from pathlib import Path


@functools.cache
def data_dir(name: str) -> Path:
    """The directory ``grammar`` or ``rules``, wherever this installation keeps it."""
    packaged = Path(__file__).resolve().parent / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"qualityrules installation is missing its {name!r} directory")


def grammar_path(file: str = "qr.lark") -> Path:
    return data_dir("grammar") / file


def rules_dir() -> Path:
    return data_dir("rules")
