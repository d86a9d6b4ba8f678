"""Diagnostics: structured first (code, span, expected, suggestion), pretty second.

Every code is stable and documented in ``docs/diagnostics.md``; ``CODES`` is the single list of
them (a test checks the docs against it).
"""

from __future__ import annotations

import bisect
import difflib
import enum
from collections.abc import Iterable, Sequence

import attrs

from .language.model import Source, Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


CODES: dict[str, str] = {
    # syntax (parse stage)
    "QR001": "unexpected character",
    "QR002": "unexpected token",
    "QR003": "unexpected end of input",
    "QR004": "unknown unit",
    "QR005": "comparator words point in opposite directions",
    "QR006": "comparator word needs a direction word",
    "QR007": "metadata field given twice",
    "QR008": "invalid number",
    "QR009": "invalid period or year",
    "QR010": "range whose low end is above its high end",
    "QR011": "more than one time qualifier or strength word",
    "QR012": "invalid record definition",
    "QR013": "clause given twice",
    # resolve stage: catalogue, units, packs, lineage
    "QR101": "unknown indicator",
    "QR102": "unit incompatible with the indicator's unit",
    "QR103": "unknown pack",
    "QR104": "cyclic extends",
    "QR105": "silent redefinition of a target",
    "QR106": "override looser than the parent target without a justification",
    "QR107": "override with nothing to override",
    "QR108": "contradictory values recorded for one target",
    "QR109": "conflicting enforced targets in one pack",
    "QR110": "approximate target without a stated tolerance",
    "QR111": "number without a unit for an indicator that has one",
    "QR112": "indicator or alias defined twice in the catalogue",
    "QR113": "change target needs % or 百分点",
    "QR114": "target year outside the pack's period",
    "QR115": "missing required pack metadata",
    "QR116": "pack file must contain exactly one pack",
    "QR117": "target looser than an inherited one that binds in the same year",
    # files and data
    "QR201": "file cannot be read",
    "QR202": "text is not valid in the declared or detected encoding",
    "QR203": "malformed data",
    "QR204": "unknown column or indicator in data",
    "QR205": "unit in data incompatible with the rule's unit",
    "QR206": "unparseable value in data",
    "QR207": "record column of the wrong type for its use",
    "QR208": "invalid region hierarchy",
    "QR209": "records that match no table of the pack",
    "QR210": "quoted cell that is never closed",
    "QR211": "rows above the header skipped",
    "QR212": "footnote marker after a value ignored",
    "QR213": "two record columns of one name",
    "QR214": "infinity in a float column read as unknown",
    # command line
    "QR301": "invalid command-line usage",
}


@attrs.frozen
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    severity: Severity = Severity.ERROR
    expected: tuple[str, ...] = ()
    suggestion: str | None = None

    @property
    def file(self) -> str | None:
        return self.span.source.name if self.span else None

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def render(self) -> str:
        """Compiler-style text: ``file:line:col: error[QR101]: message``, the source line, a caret."""
        where = f"{self.file}:{self.line}:{self.column}: " if self.span else ""
        out = [f"{where}{self.severity.value}[{self.code}]: {self.message}"]
        if self.span is not None:
            text = self.span.source.line_text(self.span.line)
            width = (
                self.span.end_column - self.span.column
                if self.span.end_line == self.span.line
                else len(text) - self.span.column + 1
            )
            out.append(f"  {self.span.line:>4} | {text}")
            out.append("       | " + _display_pad(text[: self.span.column - 1]) + "^" * max(1, _display_width(text[self.span.column - 1:self.span.column - 1 + max(width, 1)])))
        if self.expected:
            out.append("  expected: " + ", ".join(self.expected))
        if self.suggestion:
            out.append(f"  help: {self.suggestion}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "expected": list(self.expected),
            "suggestion": self.suggestion,
        }


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _display_pad(text: str) -> str:
    return "".join("\t" if ch == "\t" else " " * _display_width(ch) for ch in text)


class QualityRulesError(Exception):
    """Base of every error a user can cause; carries one or more :class:`Diagnostic`."""

    def __init__(self, diagnostics: Diagnostic | Sequence[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = (
            (diagnostics,) if isinstance(diagnostics, Diagnostic) else tuple(diagnostics)
        )
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    def __reduce__(self) -> tuple[type[QualityRulesError], tuple[tuple[Diagnostic, ...]]]:
        # Picklable with its diagnostics (Dask workers and process pools send errors back).
        return (type(self), (self.diagnostics,))

    @property
    def diagnostic(self) -> Diagnostic:
        return self.diagnostics[0]

    @property
    def code(self) -> str:
        return self.diagnostic.code

    @property
    def span(self) -> Span | None:
        return self.diagnostic.span

    @property
    def suggestion(self) -> str | None:
        return self.diagnostic.suggestion


class RuleSyntaxError(QualityRulesError):
    """Rule text that does not parse (QR0xx)."""


class UnitError(QualityRulesError):
    """Unknown unit, or units that cannot be compared (QR004, QR102, QR205)."""


class UnknownIndicatorError(QualityRulesError):
    """An indicator that is not in the catalogue (QR101, QR204)."""


class PackError(QualityRulesError):
    """Pack lineage problems: unknown or cyclic ``extends``, redefinitions (QR1xx)."""


class DataError(QualityRulesError):
    """Unreadable or malformed data (QR2xx)."""


class UsageError(QualityRulesError):
    """Invalid command-line usage (QR301)."""


_ERROR_CLASS_BY_CODE: dict[str, type[QualityRulesError]] = {
    "QR004": UnitError, "QR102": UnitError, "QR113": UnitError, "QR205": UnitError,
    "QR101": UnknownIndicatorError, "QR204": UnknownIndicatorError,
    "QR301": UsageError,
}


def error_class(code: str) -> type[QualityRulesError]:
    if code in _ERROR_CLASS_BY_CODE:
        return _ERROR_CLASS_BY_CODE[code]
    if code.startswith("QR0"):
        return RuleSyntaxError
    if code.startswith("QR1"):
        return PackError
    if code.startswith("QR2"):
        return DataError
    return QualityRulesError


def raise_errors(diagnostics: Iterable[Diagnostic]) -> None:
    """Raise the errors among ``diagnostics`` (if any), typed by the first one's code."""
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise error_class(errors[0].code)(errors)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.5)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def span_of(source: Source, start: int, end: int) -> Span:
    """A span over ``source.text[start:end]`` with 1-based line and column numbers (a bisection
    of the source's line starts, so a file's many spans cost time linear in its size)."""
    starts = source.line_starts()
    line = bisect.bisect_right(starts, start)
    end_line = bisect.bisect_right(starts, end)
    return Span(source, start, end, line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1)
