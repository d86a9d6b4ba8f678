"""Messages in Chinese and English, with standard gettext catalogs.

A translatable message is written ``tr("unknown indicator '{name}'", name=x)``: a :class:`Text`, which
*is* its English string (so code comparing messages keeps working) and also carries its template
and arguments, so it renders in Chinese when asked (``text.render("zh")``). The templates are
extracted by Babel (``pybabel extract -k tr``) into ``locale/qualityrules.pot``; the Chinese
translations live in ``locale/zh/LC_MESSAGES/qualityrules.po``. Building the wheel compiles each
``.po`` to ``.mo`` (``hatch_build.py``); a source checkout compiles its ``.po`` in memory on first
use (with Babel, a test dependency), so an edited translation shows at once.

The language: :func:`use` (``--lang``, or the project config), else the locale as gettext reads
it (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, then ``LANGUAGE``: ``zh_CN.UTF-8`` → Chinese), else English.

This module imports nothing from the package (the build hook loads it by path).
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, overload

__all__ = ["LANGUAGES", "Text", "tr", "use", "using", "language", "translate", "render", "compile_catalog",
           "catalog_path", "language_of_locale"]

DOMAIN = "qualityrules"
LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_chosen: list[str | None] = [None]  # set by use(); a list so the module keeps no rebinding globals


def use(lang: str | None) -> None:
    """Render messages in ``lang`` (``"zh"`` or ``"en"``) from now on; ``None`` goes back to the locale."""
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    _chosen[0] = lang


@contextlib.contextmanager
def using(lang: str | None) -> Iterator[None]:
    """Messages in ``lang`` inside the ``with`` block (``None``: as before it)."""
    previous = _chosen[0]
    use(lang or previous)
    try:
        yield
    finally:
        _chosen[0] = previous


def language_of_locale(value: str | None) -> str | None:
    """``zh_CN.UTF-8``, ``zh_TW``, ``zh`` → ``"zh"``; ``en_US.UTF-8`` → ``"en"``; ``C``/``POSIX``/empty → None."""
    if not value:
        return None
    first = value.split(":")[0].split(".")[0].split("@")[0].strip().lower()
    if first in ("", "c", "posix"):
        return None
    base = first.replace("-", "_").split("_")[0]
    return base if base in LANGUAGES else "en"


def language() -> str:
    """The language messages render in now."""
    if _chosen[0] is not None:
        return _chosen[0]
    # As gettext does: the first of LC_ALL, LC_MESSAGES, LANG that is set is the locale; LANGUAGE
    # (a list of preferences) counts unless that locale is C/POSIX.
    locale = next((os.environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(v)), "")
    from_locale = language_of_locale(locale)
    if from_locale is None:
        return "en"
    return language_of_locale(os.environ.get("LANGUAGE")) or from_locale


def catalog_path(lang: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def compile_catalog(po_text: bytes) -> bytes:
    """A ``.po`` catalog compiled to ``.mo`` bytes (Babel); fuzzy entries are left out."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(po_text))
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


@functools.cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    po, mo = catalog_path(lang), catalog_path(lang, ".mo")
    if po.is_file():  # a source checkout: the catalog as it is now
        try:
            return gettext.GNUTranslations(io.BytesIO(compile_catalog(po.read_bytes())))
        except ModuleNotFoundError:  # no Babel here: a compiled catalog if one was built, else English
            pass
    if mo.is_file():
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    return gettext.NullTranslations()


def translate(template: str, lang: str | None = None) -> str:
    """``template`` in ``lang`` (default: the current language); untranslated ones stay English."""
    lang = lang or language()
    return template if lang == "en" else _translations(lang).gettext(template)


class Text(str):
    """A message: its English text (the ``str`` value), its gettext ``template`` and ``args``."""

    template: str
    args: dict[str, Any]

    def __new__(cls, template: str, /, **args: Any) -> Text:
        self = super().__new__(cls, _format(template, args, "en"))
        self.template = template
        self.args = args
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.template, tuple(self.args.items())))

    def render(self, lang: str | None = None) -> str:
        lang = lang or language()
        if lang == "en":
            return str.__str__(self)
        try:
            return _format(translate(self.template, lang), self.args, lang)
        except (KeyError, IndexError, ValueError):  # a translation whose fields do not match: never lose the message
            return str.__str__(self)


def _rebuild(template: str, args: Iterable[tuple[str, Any]]) -> Text:
    return Text(template, **dict(args))


def tr(template: str, /, **args: Any) -> Text:
    """A translatable message; ``{name}`` fields are filled from ``args`` (Text arguments render
    in the same language; a literal brace is written ``{{`` or ``}}``)."""
    return Text(template, **args)


@overload
def render(text: str, lang: str | None = None) -> str: ...
@overload
def render(text: None, lang: str | None = None) -> None: ...
def render(text: str | None, lang: str | None = None) -> str | None:
    """Any message in ``lang``: a :class:`Text` is translated, a plain ``str`` stays as written."""
    if text is None:
        return None
    return text.render(lang) if isinstance(text, Text) else text


def _format(template: str, args: dict[str, Any], lang: str) -> str:
    # Always str.format, so a template writes a literal brace as {{ or }} whether or not it has fields.
    return template.format(**{k: (v.render(lang) if isinstance(v, Text) else v) for k, v in args.items()})
