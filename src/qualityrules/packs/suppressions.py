"""Silencing reviewed warnings: ``# noqa: QR108 理由…`` at the end of the line a warning is on, and
``--select``/``--ignore`` (or ``[tool.qualityrules.lint]``) for whole codes.

A suppression names its codes and gives a reason; without a reason it silences nothing (QR160).
Only warnings can be silenced: an error stops the pack from loading whatever the linter shows,
so a suppression naming an error code, or a code that does not exist, is reported (QR162) and
so is a suppression that silenced nothing (QR161). ``--select``/``--ignore`` likewise filter
warnings only; errors are always reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from ..errors import CODES, Diagnostic, Severity, span_of
from ..i18n import tr
from ..language.format import _comments
from ..language.model import Source

__all__ = ["Suppression", "suppressions", "apply_suppressions", "select", "SUPPRESSION"]

# ``# noqa: QR108, QR117 reason`` (full-width colon and comma too)
SUPPRESSION = re.compile(r"#\s*noqa\b\s*[:：]?\s*(?P<codes>(?:QR\d{3}[\s,，]*)*)(?P<reason>.*)$", re.IGNORECASE)


@attrs.frozen
class Suppression:
    line: int
    codes: tuple[str, ...]
    reason: str
    start: int  # offset of the comment in the source text
    end: int


def suppressions(text: str) -> list[Suppression]:
    """Every ``# noqa`` comment of a rule file (comments only: never inside a quoted text)."""
    found = []
    line_starts = [0]
    for chunk in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(chunk))
    for line, (comment, _whole_line) in _comments(text).items():
        match = SUPPRESSION.match(comment)
        if match is None:
            continue
        codes = tuple(c.upper() for c in re.findall(r"QR\d{3}", match.group("codes"), flags=re.IGNORECASE))
        line_text = text[line_starts[line - 1]:line_starts[line]]
        start = line_starts[line - 1] + line_text.index(comment)
        found.append(Suppression(line, codes, match.group("reason").strip(" \t:：-—"), start, start + len(comment)))
    return found


def apply_suppressions(diagnostics: Sequence[Diagnostic], source: Source, *, complete: bool = True
                       ) -> list[Diagnostic]:
    """``diagnostics`` of the file ``source`` less the warnings its ``# noqa`` comments silence,
    plus a diagnostic for every suppression that is malformed, cannot apply or silenced nothing.
    ``complete=False``: the file was not fully checked (a syntax error stopped it), so a
    suppression that silenced nothing is not reported as unused."""
    kept = list(diagnostics)
    notes: list[Diagnostic] = []
    for item in suppressions(source.text):
        span = span_of(source, item.start, item.end)
        if not item.codes:
            notes.append(Diagnostic("QR162", tr("'# noqa' names no code"), span, Severity.WARNING,
                                    suggestion=tr("write '# noqa: QR108 <reason>'")))
            continue
        if not item.reason:
            notes.append(Diagnostic("QR160", tr("suppression of {codes} gives no reason; it silences nothing",
                                                codes=", ".join(item.codes)), span, Severity.WARNING,
                                    suggestion=tr("write the reason after the codes: '# noqa: {codes} <reason>'",
                                                  codes=", ".join(item.codes))))
            continue
        for code in item.codes:
            on_line = [d for d in kept if d.code == code and d.span is not None
                       and d.span.source.name == source.name and d.line == item.line]
            if code not in CODES or any(d.severity is Severity.ERROR for d in on_line):
                why = tr("unknown code") if code not in CODES else tr("errors cannot be silenced")
                notes.append(Diagnostic("QR162", tr("cannot suppress {code}: {why}", code=code, why=why), span,
                                        Severity.WARNING, suggestion=tr("fix the error instead")
                                        if code in CODES else None))
                continue
            if not on_line and complete:
                notes.append(Diagnostic("QR161", tr("unused suppression: no {code} on this line", code=code), span,
                                        Severity.WARNING, suggestion=tr("remove '{code}' from the comment", code=code)))
                continue
            if on_line:
                kept = [d for d in kept if not any(d is x for x in on_line)]
    return sorted([*kept, *notes], key=_position)


def _position(d: Diagnostic) -> tuple[str, int, int]:
    return (d.file or "", d.line or 0, d.column or 0)


def select(diagnostics: Iterable[Diagnostic], select: Sequence[str] = (),
           ignore: Sequence[str] = ()) -> list[Diagnostic]:
    """Warnings whose code starts with one of ``select`` (all when empty) and none of
    ``ignore``; errors are always kept."""
    def wanted(d: Diagnostic) -> bool:
        if d.severity is Severity.ERROR:
            return True
        chosen = not select or any(d.code.startswith(p.upper()) for p in select)
        return chosen and not any(d.code.startswith(p.upper()) for p in ignore)

    return [d for d in diagnostics if wanted(d)]
