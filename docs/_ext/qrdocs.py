"""Sphinx directives that build reference tables from the code, so the docs cannot drift:

- ``qr-comparator-words``: the statutory comparator words (``parse.COMPARATOR_WORDS``,
  ``SUFFIX_WORDS``) and symbols, with their meaning.
- ``qr-units``: every unit of ``grammar/units.txt`` with its spellings and definition.
- ``qr-cli``: ``--help`` of the command and of each subcommand.
- ``qr-diagnostic-index``: a table of every code in ``errors.CODES`` linking to its section.
- ``qr-lazy-api``: autodoc entries for the public names ``qualityrules`` loads on first use.

It also registers the rule language's Pygments lexer (the package's entry point does the same
once installed) so ``.. code-block:: qualityrules`` highlights in any checkout.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class _Generated(SphinxDirective):
    """Renders reStructuredText produced by :meth:`lines`."""

    has_content = False

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(StringList(self.lines(), source="<qrdocs>"), self.content_offset, container)
        return list(container.children)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], widths: str = "auto") -> list[str]:
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in (header, *rows):
        out.append("   * - " + (row[0] or "\\ "))
        out.extend("     - " + (cell or "\\ ") for cell in row[1:])
    out.append("")
    return out


_MEANING = {">=": "at least (includes the number)", ">": "more than (excludes it)",
            "<=": "at most (includes the number)", "<": "less than (excludes it)",
            "==": "exactly", "!=": "anything but"}


class ComparatorWords(_Generated):
    def lines(self) -> list[str]:
        from qualityrules.language.parse import COMPARATOR_WORDS, SUFFIX_WORDS, SYMBOLS

        rows = []
        for word, op in COMPARATOR_WORDS.items():
            meaning = _MEANING[op.value] if op else "needs 以上/以下/以内 to say which way"
            rows.append((f"``{word}``", "prefix", f"``{op.value}``" if op else "—", meaning))
        for word, op in SUFFIX_WORDS.items():
            rows.append((f"``{word}``", "suffix", f"``{op.value}``", _MEANING[op.value]))
        for word, op in SYMBOLS.items():
            rows.append((f"``{word}``", "symbol", f"``{op.value}``", _MEANING[op.value]))
        return _table(("Word", "Position", "Comparator", "Meaning"), rows, "20 12 14 54")


class Units(_Generated):
    def lines(self) -> list[str]:
        from qualityrules.resources import grammar_path

        out: list[str] = []
        rows: list[tuple[str, ...]] = []
        group = ""

        def flush() -> None:
            if rows:
                out.extend([f"**{group}**" if group else "", "", *_table(("Spellings", "Name", "Definition"), rows,
                                                                        "30 25 45")])
                rows.clear()

        for raw in grammar_path("units.txt").read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith("# ---"):
                flush()
                group = line.removeprefix("# ---").strip()
                continue
            line = line.split("#", 1)[0].strip()
            if "=" not in line:
                continue
            name, definition, *spellings = (part.strip() for part in line.split("="))
            rows.append((" ".join(f"``{s}``" for s in spellings), f"``{name}``", f"``{definition}``"))
        flush()
        return out


class CommandLine(_Generated):
    def lines(self) -> list[str]:
        import argparse

        from qualityrules.cli.main import build_parser

        parser = build_parser()
        out = ["``qualityrules --help``::", "", *("   " + line for line in _help(parser).splitlines()), ""]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out.extend([f".. rubric:: qualityrules {name}", "", "::", "",
                                *("   " + line for line in _help(sub).splitlines()), ""])
        return out


def _help(parser: Any) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        parser.print_help()
    return buffer.getvalue().rstrip()


class LazyApi(_Generated):
    """autodoc entries for the public names ``qualityrules`` loads on first use (its module
    ``__getattr__``), which ``automodule`` does not see."""

    def lines(self) -> list[str]:
        import inspect

        import qualityrules

        out: list[str] = []
        for name in qualityrules.__all__:
            if name in vars(qualityrules):
                continue
            obj = getattr(qualityrules, name)
            kind = "autoclass" if inspect.isclass(obj) else "autofunction" if callable(obj) else "autodata"
            out += [f".. {kind}:: qualityrules.{name}", *(["   :members:"] if kind == "autoclass" else []), ""]
        return out


class DiagnosticIndex(_Generated):
    def lines(self) -> list[str]:
        from qualityrules.errors import CODES

        rows = [(f":ref:`{code} <{code.lower()}>`", text) for code, text in CODES.items()]
        return _table(("Code", "Meaning"), rows, "15 85")




def setup(app: Sphinx) -> dict[str, Any]:
    from qualityrules.language.lexer import QualityRulesLexer

    app.add_lexer("qualityrules", QualityRulesLexer)
    app.add_directive("qr-comparator-words", ComparatorWords)
    app.add_directive("qr-units", Units)
    app.add_directive("qr-cli", CommandLine)
    app.add_directive("qr-diagnostic-index", DiagnosticIndex)
    app.add_directive("qr-lazy-api", LazyApi)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
