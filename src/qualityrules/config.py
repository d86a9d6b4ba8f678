"""Project configuration: ``[tool.qualityrules]`` in ``pyproject.toml``, or a ``qualityrules.toml``
(the same keys at its top level), found upward from the working directory.

.. code-block:: toml

   [tool.qualityrules]
   packs = ["packs"]                    # directories searched for packs (ids and ``extends``)
   catalogues = ["catalogue/own.qr"]    # extra indicator catalogues extending the shipped one
   region = "坪山区"                     # defaults: ``check --region``, ``new --region``
   level = "district"                   # default of ``new --level``
   language = "zh"                      # zh or en (``--lang`` wins; then this; then the locale)

   [tool.qualityrules.lint]
   select = ["QR1"]                     # codes or prefixes reported (default: every code)
   ignore = ["QR108"]                   # codes or prefixes never reported

Paths are relative to the file they are written in. A key the program does not know is an error
(``QR310``) with the file, line and column, so a misspelt key never silently does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from .errors import Diagnostic, UsageError, did_you_mean, span_of
from .i18n import LANGUAGES, tr
from .language.model import Level, Source

__all__ = ["Config", "find_config", "read_config", "CONFIG_FILES"]

CONFIG_FILES = ("qualityrules.toml", "pyproject.toml")
_KEYS = {"packs", "catalogues", "region", "level", "language", "lint"}
_LINT_KEYS = {"select", "ignore"}


@attrs.frozen
class Config:
    """The settings in force; the defaults when no configuration file was found."""

    path: Path | None = None
    packs: tuple[Path, ...] = ()
    catalogues: tuple[Path, ...] = ()
    region: str | None = None
    level: str | None = None
    language: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def find_config(start: str | Path | None = None) -> Config:
    """The configuration of the project ``start`` (default: the working directory) is in: the
    nearest ``qualityrules.toml``, or ``pyproject.toml`` with a ``[tool.qualityrules]`` table."""
    directory = Path(start or Path.cwd()).resolve()
    for folder in (directory, *directory.parents):
        own = folder / "qualityrules.toml"
        if own.is_file():
            return read_config(own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return read_config(pyproject)
    return Config()


def _has_tool_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return False     # no configuration of ours that we could read
    if "qualityrules" not in text:   # a file that never names us: not parsed (nor TOML's parser imported)
        return False
    try:
        data = _parse(path, text)
    except UsageError:  # broken TOML: ours to report only if it was meant to configure us
        return "tool.qualityrules" in text
    return isinstance(data.get("tool"), dict) and "qualityrules" in data["tool"]


def _parse(path: Path, text: str | None = None) -> dict[str, Any]:
    """The TOML of ``path`` (whose ``text`` the caller may have read already)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the declared dependency for Python 3.10
        import tomli as tomllib
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(Diagnostic("QR310", tr("cannot read {path}: {reason}", path=str(path),
                                                    reason=str(error)))) from None
    try:
        return dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        line, column = getattr(error, "lineno", None), getattr(error, "colno", None)
        span = _span_at(path, text, line, column) if line and column else None
        raise UsageError(Diagnostic("QR310", tr("{path} is not valid TOML: {reason}", path=str(path),
                                                reason=str(error).split(" (at line")[0]), span)) from None


def read_config(path: str | Path) -> Config:
    """The settings of one configuration file (``pyproject.toml``: its ``[tool.qualityrules]`` table)."""
    path = Path(path).resolve()
    data = _parse(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("qualityrules", {})
        prefix = "tool.qualityrules."
    else:
        table = data
        prefix = ""
    text = path.read_text(encoding="utf-8-sig")
    problems: list[Diagnostic] = []
    _check_keys(table, _KEYS, prefix, path, text, problems)
    lint = table.get("lint", {})
    if not isinstance(lint, dict):
        problems.append(_bad(path, text, prefix + "lint", tr("a table")))
        lint = {}
    _check_keys(lint, _LINT_KEYS, prefix + "lint.", path, text, problems)
    base = path.parent
    config = Config(
        path=path,
        packs=tuple(base / p for p in _strings(table, "packs", prefix, path, text, problems)),
        catalogues=tuple(base / p for p in _strings(table, "catalogues", prefix, path, text, problems)),
        region=_string(table, "region", prefix, path, text, problems),
        level=_choice(table, "level", [lv.value for lv in Level], prefix, path, text, problems),
        language=_choice(table, "language", list(LANGUAGES), prefix, path, text, problems),
        select=tuple(_strings(lint, "select", prefix + "lint.", path, text, problems)),
        ignore=tuple(_strings(lint, "ignore", prefix + "lint.", path, text, problems)),
    )
    if problems:
        raise UsageError(problems)
    return config


def _check_keys(table: dict[str, Any], known: set[str], prefix: str, path: Path, text: str,
                problems: list[Diagnostic]) -> None:
    for key in table:
        if key not in known:
            problems.append(Diagnostic(
                "QR310", tr("unknown setting '{key}' in {path}", key=prefix + key, path=path.name),
                _key_span(path, text, key),
                suggestion=did_you_mean(key, sorted(known)) or tr("known settings: {keys}", keys=", ".join(sorted(known)))))


def _bad(path: Path, text: str, key: str, wanted: str) -> Diagnostic:
    return Diagnostic("QR310", tr("setting '{key}' must be {wanted}", key=key, wanted=wanted),
                      _key_span(path, text, key.rsplit(".", 1)[-1]))


def _strings(table: dict[str, Any], key: str, prefix: str, path: Path, text: str,
             problems: list[Diagnostic]) -> Sequence[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(_bad(path, text, prefix + key, tr("a list of strings")))
        return []
    return value


def _string(table: dict[str, Any], key: str, prefix: str, path: Path, text: str,
            problems: list[Diagnostic]) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        problems.append(_bad(path, text, prefix + key, tr("a string")))
        return None
    return value


def _choice(table: dict[str, Any], key: str, choices: list[str], prefix: str, path: Path, text: str,
            problems: list[Diagnostic]) -> str | None:
    value = _string(table, key, prefix, path, text, problems)
    if value is not None and value not in choices:
        problems.append(_bad(path, text, prefix + key, tr("one of {choices}", choices=", ".join(choices))))
        return None
    return value


def _key_span(path: Path, text: str, key: str) -> Any:
    """Where ``key =`` (or the table ``[... key]``) is written, for the caret."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith((key + " ", key + "=", f'"{key}"')) or stripped.rstrip("]").endswith("." + key):
            column = len(line) - len(stripped) + 1
            return _span_at(path, text, number, column, len(key))
    return None


def _span_at(path: Path, text: str, line: int, column: int, length: int = 1) -> Any:
    offsets = [0]
    for chunk in text.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(chunk))
    start = min(offsets[min(line - 1, len(offsets) - 1)] + column - 1, len(text))
    return span_of(Source(str(path), text), start, min(start + length, len(text)))
