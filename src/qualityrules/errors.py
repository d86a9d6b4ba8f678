"""Diagnostics: structured first (code, span, expected, suggestion), pretty second.

Every code is stable and documented in ``docs/diagnostics.md``; ``CODES`` is the single list of
them (a test checks the docs against it).
"""

from __future__ import annotations

import bisect
import contextlib
import difflib
import enum
import functools
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

import attrs

from .i18n import Text, render, tr
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
    "QR014": "target without a number of its own: not checkable",
    "QR015": "table row without a readable layout",
    "QR040": "invalid rounding step (GB/T 8170)",
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
    "QR113": "change in a unit that does not fit the indicator",
    "QR114": "target year outside the pack's period",
    "QR115": "missing required pack metadata",
    "QR116": "pack file must contain exactly one pack",
    "QR117": "target looser than an inherited one that binds in the same year",
    "QR118": "pack id differs from its file name",
    "QR119": "two files declare one pack id",
    "QR120": "number without a comparator word",
    "QR121": "flow indicator checked in a single year",
    "QR122": "change without a baseline year",
    "QR123": "several indicators in one target line that cannot be told apart",
    "QR124": "statistic defined differently when the target was set and when it is checked",
    "QR125": "running total of a statistic that does not add up over years",
    "QR126": "target that no value of the indicator can meet",
    # authoring: catalogues of one's own, suppressions
    "QR160": "suppression without a reason",
    "QR161": "unused suppression",
    "QR162": "suppression that cannot apply",
    "QR163": "catalogue redefines an indicator without 'override'",
    "QR164": "'override indicator' with nothing to override",
    # mid-term review
    "QR180": "review boundaries that cannot classify",
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
    "QR215": "records without a region or a date, in no region-year",
    "QR216": "a totals row (合计, 小计) left out: not a region",
    "QR217": "merged cells of a sheet read as their value in each row",
    "QR218": "a value given twice with the same value, read once",
    "QR219": "hidden rows or columns of a sheet read as data",
    "QR220": "no sheet named: the first visible one read, though others hold cells",
    "QR221": "a row with words but no value and no region, year or indicator left out (a note)",
    "QR240": "regions in the data outside the pack's area (not-applicable)",
    "QR241": "a share written as fractions of 1 (a column, or a value among percentages)",
    "QR242": "a share above 100 % or below 0",
    "QR243": "a negative count or quantity (a concentration, an intensity, a volume)",
    "QR244": "a lone surrogate in a name or value (not a character)",
    "QR245": "a count that is not a whole number",
    # command line
    "QR301": "invalid command-line usage",
    "QR302": "the output file cannot be written",
    "QR303": "invalid argument to a Python function",
    "QR310": "invalid project configuration",
    "QR311": "optional dependency not installed",
    "QR312": "file already exists",
    "QR313": "unknown diagnostic code",
    "QR330": "as-of year that is not a year",
    "QR331": "invalid review method or boundaries",
    # extract: readings of a plan's text a person must review (warnings, located in the plan)
    "QR510": "a bare number: no comparator word in the text",
    "QR511": "an approximate target (左右, 约, 近)",
    "QR512": "a value shared by several names, or a name carried from another clause",
    "QR513": "a change without a stated baseline year",
    "QR514": "a unit the rule language cannot write yet",
    "QR515": "an indicator not in the catalogue (proposed)",
    "QR516": "plan facts read from the text or missing (period, region, level)",
    "QR517": "two statements of one target disagree",
    "QR518": "a time qualifier read from the verb or the words (累计, 每年, 连续N年)",
    "QR519": "a target read from words without a number, or a starting value left out",
    "QR520": "a target the rule language cannot express yet",
    "QR521": "the text's unit differs from the catalogue indicator's",
    "QR522": "a restated parent target: marked override, or kept unenforced when looser",
    "QR523": "bound through an alias whose indicator names another region",
    "QR524": "a figure in the plan's measures (保障措施), kept as a commitment",
}


@attrs.frozen
class Diagnostic:
    """One problem found. ``message``, ``suggestion`` and ``expected`` are plain strings or
    :class:`~qualityrules.i18n.Text` (a message that also renders in Chinese: ``tr(template, **args)``);
    either way they compare as their English text."""

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

    def render(self, lang: str | None = None, *, width: int | None = None) -> str:
        """Compiler-style text: ``file:line:col: error[QR101]: message``, the source line, a caret;
        in ``lang`` (default: the current language, see :mod:`qualityrules.i18n`). With ``width``,
        a source line wider than that shows only the part around the caret."""
        where = f"{self.file}:{self.line}:{self.column}: " if self.span else ""
        label = render(tr("error") if self.severity is Severity.ERROR else tr("warning"), lang)
        out = [f"{where}{label}[{self.code}]: {render(self.message, lang)}"]
        if self.span is not None:
            text = self.span.source.line_text(self.span.line)
            width_of_span = (
                self.span.end_column - self.span.column
                if self.span.end_line == self.span.line
                else len(text) - self.span.column + 1
            )
            start = self.span.column - 1
            marked = text[start:start + max(width_of_span, 1)]
            before = text[:start]
            if width is not None:
                before, text = _window(before, text[start:], width - len("  9999 | "), _display_width(marked))
            out.append(f"  {self.span.line:>4} | {_visible(text)}")
            out.append("       | " + _display_pad(_visible(before)) + "^" * max(1, _display_width(_visible(marked))))
        if self.expected:
            out.append("  " + render(tr("expected: {items}", items=", ".join(
                render(e, lang) or "" for e in self.expected)), lang))
        if self.suggestion:
            out.append("  " + render(tr("help: {suggestion}", suggestion=render(self.suggestion, lang)), lang))
        return _visible("\n".join(out))

    def to_dict(self, lang: str | None = None) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": render(self.message, lang),
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "end_line": self.span.end_line if self.span else None,
            "end_column": self.span.end_column if self.span else None,
            "expected": [render(e, lang) for e in self.expected],
            "suggestion": render(self.suggestion, lang),
        }


def _visible(text: str) -> str:
    """``text`` with lone surrogates (no characters; they cannot be printed) escaped as ``\\udxxx``."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def _window(before: str, rest: str, room: int, marked_width: int) -> tuple[str, str]:
    """(text before the caret, whole line) cut to about ``room`` display columns around the caret."""
    if _display_width(before) + _display_width(rest) <= room:
        return before, before + rest
    keep_before = max(0, min(_display_width(before), room // 3))
    shown_before = before
    if _display_width(before) > keep_before:
        shown_before = "…" + _tail(before, keep_before - 1)
    tail_room = max(marked_width, room - _display_width(shown_before))
    shown_rest = rest if _display_width(rest) <= tail_room else _head(rest, tail_room - 1) + "…"
    return shown_before, shown_before + shown_rest


def _head(text: str, room: int) -> str:
    out, used = [], 0
    for ch in text:
        used += _display_width(ch)
        if used > room:
            break
        out.append(ch)
    return "".join(out)


def _tail(text: str, room: int) -> str:
    return _head(text[::-1], room)[::-1]


def _display_width(text: str) -> int:
    """Terminal columns ``text`` takes: two for a wide (CJK) character, one for any other."""
    return len(text) if text.isascii() else _wide_text_width(text)


@functools.lru_cache(maxsize=65536)
def _wide_text_width(text: str) -> int:
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
    """Invalid usage (QR3xx): command-line arguments, project configuration, a missing extra, an
    output file that cannot be written (QR302), an argument of a Python function (QR303)."""


# The extra of ``pyproject.toml`` that brings each optional dependency.
EXTRAS: dict[str, str] = {
    "pandas": "pandas", "pyarrow": "arrow", "polars": "polars", "openpyxl": "excel", "dask": "dask",
    "hypothesis": "strategies", "pygls": "lsp", "lsprotocol": "lsp",
}


@contextlib.contextmanager
def optional_dependencies(feature: str) -> Iterator[None]:
    """Inside it (or on a function it decorates), an optional dependency that is not installed is
    a :class:`UsageError` naming the extra to install (QR311), not a bare ModuleNotFoundError."""
    try:
        yield
    except ModuleNotFoundError as error:
        root = (error.name or "").split(".")[0]
        if root not in EXTRAS:
            raise
        raise missing_extra(EXTRAS[root], feature) from error


def missing_extra(extra: str, feature: str) -> UsageError:
    """The error for a feature whose optional dependency is not installed (raise it ``from`` the
    ModuleNotFoundError)."""
    return UsageError(Diagnostic(
        "QR311", tr("{feature} needs the optional dependencies of the '{extra}' extra", feature=feature, extra=extra),
        suggestion=tr("pip install 'qualityrules[{extra}]'", extra=extra)))


_ERROR_CLASS_BY_CODE: dict[str, type[QualityRulesError]] = {
    "QR004": UnitError, "QR102": UnitError, "QR113": UnitError, "QR205": UnitError,
    "QR101": UnknownIndicatorError, "QR204": UnknownIndicatorError,
    "QR301": UsageError, "QR302": UsageError, "QR303": UsageError,
    "QR330": UsageError, "QR331": UsageError,
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
    if code.startswith("QR3"):
        return UsageError
    return QualityRulesError


def raise_errors(diagnostics: Iterable[Diagnostic]) -> None:
    """Raise the errors among ``diagnostics`` (if any), typed by the first one's code."""
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        raise error_class(errors[0].code)(errors)


def refuse(message: str, suggestion: str | None = None) -> NoReturn:
    """QR303: an argument of a public function has the wrong type or value (a user error, so a
    :class:`UsageError` rather than a ``TypeError`` from deep inside)."""
    raise UsageError(Diagnostic("QR303", message, suggestion=suggestion))


def shown(value: object) -> str:
    """``value`` for a message: its type and a short repr."""
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '…' if len(text) > 40 else text}"


def did_you_mean(word: str, candidates: Iterable[str]) -> Text | None:
    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.5)
    if not close:
        return None
    quoted = [f"'{c}'" for c in close]
    if len(quoted) == 1:
        return tr("did you mean {a}?", a=quoted[0])
    if len(quoted) == 2:
        return tr("did you mean {a} or {b}?", a=quoted[0], b=quoted[1])
    return tr("did you mean {a} or {b} or {c}?", a=quoted[0], b=quoted[1], c=quoted[2])


def span_of(source: Source, start: int, end: int) -> Span:
    """A span over ``source.text[start:end]`` with 1-based line and column numbers (a bisection
    of the source's line starts, so a file's many spans cost time linear in its size)."""
    starts = source.line_starts()
    line = bisect.bisect_right(starts, start)
    end_line = line if line == len(starts) or end < starts[line] else bisect.bisect_right(starts, end, line)
    return Span(source, start, end, line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1)


def write_file(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to the file ``path`` (``-o``, :meth:`Draft.write`, …); QR302 when it cannot be."""
    if not isinstance(path, (str, Path)):
        refuse(tr("a path must be a str or a Path, not {value}", value=shown(path)))
    target = Path(path)
    problem: tuple[str, Text] | None = None   # (why, what to do)
    try:
        folder, parent = target.is_dir(), target.parent.is_dir()
    except OSError:     # a name too long for the system: writing says so
        folder, parent = False, True
    if folder:
        problem = tr("is a directory"), tr("name a file inside it, e.g. {example}", example=target / "report.txt")
    elif not parent:
        problem = (tr("its folder {folder} does not exist", folder=target.parent),
                   tr("create it first (mkdir -p {folder})", folder=target.parent))
    if problem is None:
        try:
            target.write_text(text, encoding="utf-8", errors="backslashreplace")
            return
        except OSError as error:
            problem = error.strerror or str(error), tr("choose a file you may write")
    raise UsageError(Diagnostic("QR302", tr("cannot write {path}: {reason}", path=path, reason=problem[0]),
                                suggestion=problem[1]))
