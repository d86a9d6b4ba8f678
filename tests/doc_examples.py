"""Helpers shared by the tests that run the documentation's examples."""

from __future__ import annotations

from pathlib import Path


def written_files(example: str, directory: Path) -> list[Path]:
    """The files of a documentation example made of several (``# file: a/x.qr`` then its text),
    written under ``directory``."""
    paths = []
    for part in example.split("# file: ")[1:]:
        name, body = part.split("\n", 1)
        paths.append(directory / name.strip())
        paths[-1].parent.mkdir(parents=True, exist_ok=True)
        paths[-1].write_text(body, encoding="utf-8")
    return paths
