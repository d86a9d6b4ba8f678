"""What the language server knows about a document, without any LSP plumbing (so it can be
tested and timed directly): diagnostics, hover text, completions, definitions, formatting and
quick fixes. Positions are 0-based (line, code point column); the server converts them to and
from the editor's encoding.

Diagnostics survive syntax errors: the lines the parser rejects are blanked (same length, so
every other position stays put) and the rest of the file is linted as usual, so one bad line
does not hide the unknown indicators or loose overrides elsewhere in the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from ..errors import Diagnostic, Severity
from ..i18n import render, tr
from ..language import model as m

__all__ = ["Project", "Completion", "Fix", "Location"]

_SYNTAX_PREFIX = "QR0"


@attrs.frozen
class Completion:
    label: str
    kind: str  # indicator, alias, comparator, unit, pack, keyword
    detail: str = ""
    insert: str | None = None


@attrs.frozen
class Location:
    path: Path
    line: int  # 0-based
    column: int
    end_line: int
    end_column: int


@attrs.frozen
class Fix:
    """A quick fix: replace ``(line, column)``–``(end_line, end_column)`` with ``text``."""

    title: str
    code: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@attrs.define
class Project:
    """The settings a document is analysed with: pack directories, extra catalogues, lint selection."""

    search: list[Path] = attrs.field(factory=list)
    catalogues: list[Path] = attrs.field(factory=list)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    # ------------------------------------------------------------------ helpers

    def catalogue(self) -> Any:
        from ..packs.resolve import extended_catalogue

        return extended_catalogue(self.catalogues)[0]

    def _search(self, path: Path) -> list[Path]:
        return [*self.search, path.parent]

    def _repaired(self, text: str, source: str) -> tuple[str, list[Diagnostic], Any]:
        """``text`` with every line the parser rejects blanked, those syntax diagnostics, and the
        parse of the repaired text (``parse_text``'s result)."""
        from ..language.parse import parse_text

        syntax: list[Diagnostic] = []
        parsed = parse_text(text, source=source)
        for _ in range(text.count("\n") + 2):
            errors = [d for d in parsed[1] if d.severity is Severity.ERROR and d.code.startswith(_SYNTAX_PREFIX)]
            if not errors:
                break
            syntax.extend(e for e in errors if e not in syntax)
            lines = text.split("\n")
            for error in errors:
                index = (error.line or len(lines)) - 1
                if 0 <= index < len(lines):
                    lines[index] = " " * len(lines[index])
            repaired = "\n".join(lines)
            if repaired == text:
                break
            text = repaired
            parsed = parse_text(text, source=source)
        return text, syntax, parsed

    def resolved(self, text: str, source: str) -> Any:
        """The document's pack, resolved as far as it goes (None if it does not resolve)."""
        from ..errors import QualityRulesError
        from ..packs.resolve import resolve_text

        repaired, _, _ = self._repaired(text, source)
        try:
            return resolve_text(repaired, source=source, search=self._search(Path(source)),
                                catalogue=self.catalogues or None)
        except QualityRulesError:
            return None

    # ------------------------------------------------------------------ diagnostics

    def diagnose(self, text: str, source: str) -> list[Diagnostic]:
        """Every lint diagnostic of the document as it is now (unsaved text included)."""
        from ..packs.resolve import lint_text
        from ..packs.suppressions import select

        repaired, syntax, parsed = self._repaired(text, source)
        found = lint_text(repaired, source, search=self._search(Path(source)), catalogue=self.catalogues or None,
                          parsed=parsed)
        if syntax:
            found = [*syntax, *(d for d in found if not d.code.startswith(_SYNTAX_PREFIX))]
            found = [_in_text(d, text) for d in found]
        return select(found, self.select, self.ignore)

    # ------------------------------------------------------------------ hover

    def hover(self, text: str, source: str, line: int, column: int) -> str | None:
        """Markdown about what is under the cursor: an indicator (definition, unit, direction, the
        parent's binding target with its citation), a pack id after ``extends``, a comparator word or a unit."""
        word = _word_at(text, line, column)
        pack_id = _pack_id_at(text, line, column)
        if pack_id is not None:
            return self._pack_hover(pack_id, Path(source))
        rule = _rule_at(text, source, line)
        catalogue = self.catalogue()
        if rule is not None and _on_name(rule, text, line, column):
            indicator = catalogue.lookup(rule.indicator)
            if indicator is not None:
                return self._indicator_hover(indicator, rule, text, source)
        if word is not None:
            known = catalogue.lookup(word)
            if known is not None:
                return self._indicator_hover(known, None, text, source)
        return _word_hover(text, line, column)

    def _indicator_hover(self, indicator: m.Indicator, rule: m.Rule | None, text: str, source: str) -> str:
        from ..language.format import format_model

        direction = {m.Direction.HIGHER: tr("higher is better"), m.Direction.LOWER: tr("lower is better"),
                     m.Direction.EXACT: tr("an exact value is required")}[indicator.direction]
        out = [f"**{indicator.name}**", "",
               render(tr("unit: {unit}; {direction}", unit=indicator.unit or "—", direction=direction))]
        if indicator.aliases:
            out.append(render(tr("also written: {aliases}", aliases="、".join(indicator.aliases))))
        if indicator.description:
            out += ["", indicator.description]
        if indicator.definition is not None:
            out += ["", "```qualityrules", format_model(indicator).rstrip(), "```"]
        if rule is not None:
            out += self._parent_targets(indicator, rule, text, source)
        return "\n".join(out)

    def _parent_targets(self, indicator: m.Indicator, rule: m.Rule, text: str, source: str) -> list[str]:
        from ..packs.comparison import binding
        from ..packs.resolve import rule_years

        pack = self.resolved(text, source)
        if pack is None or not pack.parents:
            return []
        years = rule_years(rule, pack.definition)
        lines: list[str] = []
        for parent in pack.parents:
            for year in sorted(set(years))[-1:]:
                found = binding(parent, indicator.name, year)  # as the parent states it, for its own region
                if found is None:
                    continue
                t = found.threshold
                lines.append("- " + render(tr("{parent} binds {target} in {year} (from {origin}, {level}); cite: {cite}",
                                              parent=parent.id, target=t.describe(), year=year, origin=t.origin,
                                              level=t.level.value if t.level else "—",
                                              cite=" ".join(x for x in (t.document, t.citation) if x) or "—")))
        return ["", render(tr("Parent targets:")), *lines] if lines else []

    def _pack_hover(self, pack_id: str, path: Path) -> str | None:
        from ..errors import QualityRulesError
        from ..packs.resolve import load_pack

        try:
            pack = load_pack(pack_id, search=self._search(path), catalogue=self.catalogues or None)
        except QualityRulesError:
            return None
        period = f"{pack.period.start}..{pack.period.end}" if pack.period else "—"
        return "\n".join([f"**{pack.id}** {pack.name or ''}".rstrip(), "",
                          render(tr("{level}, {region}, {period}; {count} target(s) in force; {source}",
                                    level=pack.level.value if pack.level else "—", region=pack.region or "—",
                                    period=period, count=len(pack.rules), source=pack.definition.source or "—"))])

    # ------------------------------------------------------------------ completion

    def complete(self, text: str, source: str, line: int, column: int) -> list[Completion]:
        from ..language.parse import COMPARATOR_WORDS, SUFFIX_WORDS, SYMBOLS
        from ..language.units import grammar_spellings
        from ..packs.resolve import pack_ids

        before = text.split("\n")[line][:column] if line < len(text.split("\n")) else ""
        if re.search(r"\bextends\s+(?:[a-z0-9-]+\s*,\s*)*[a-z0-9-]*$", before):
            return [Completion(pid, "pack", str(path)) for pid, path in pack_ids(self._search(Path(source))).items()]
        if re.fullmatch(r"\s*(?:override\s+)?\S*", before):
            catalogue = self.catalogue()
            items = []
            for indicator in catalogue.indicators:
                detail = f"{indicator.unit or '—'}, {indicator.direction.value}"
                items.append(Completion(indicator.name, "indicator", detail))
                items.extend(Completion(alias, "alias", render(tr("alias of {name}", name=indicator.name)), alias)
                             for alias in indicator.aliases)
            items.append(Completion("override", "keyword", render(tr("replace an inherited target"))))
            return items
        words = [Completion(w, "comparator", op.value if op else render(tr("needs 以上/以下/以内")))
                 for w, op in COMPARATOR_WORDS.items()]
        words += [Completion(w, "comparator", op.value) for w, op in SUFFIX_WORDS.items()]
        words += [Completion(w, "comparator", op.value) for w, op in SYMBOLS.items()]
        if re.search(r"\d$", before):
            words = [Completion(u, "unit", _unit_detail(u)) for u in grammar_spellings()] + words
        words += [Completion(k, "keyword", "") for k in ("cite", "because", "unenforced")]
        return words

    # ------------------------------------------------------------------ definition

    def definition(self, text: str, source: str, line: int, column: int) -> Location | None:
        from ..packs.resolve import pack_ids

        pack_id = _pack_id_at(text, line, column)
        if pack_id is not None:
            path = pack_ids(self._search(Path(source))).get(pack_id)
            if path is None:
                return None
            return _header_location(path, rf"pack\s+{re.escape(pack_id)}\b")
        rule = _rule_at(text, source, line)
        name = rule.indicator if rule is not None and _on_name(rule, text, line, column) else _word_at(text, line, column)
        if name is None:
            return None
        indicator = self.catalogue().lookup(name)
        if indicator is None or indicator.span is None:
            return None
        span = indicator.span
        return Location(Path(span.source.name), span.line - 1, span.column - 1, span.line - 1,
                        span.column - 1 + len(span.source.line_text(span.line).strip()))

    # ------------------------------------------------------------------ formatting

    def format(self, text: str, source: str) -> str | None:
        """The canonical form (``qualityrules fmt``), or None while the file has syntax errors."""
        from ..language.format import format_file
        from ..language.parse import parse_text

        rule_file, found = parse_text(text, source=source)
        if any(d.severity is Severity.ERROR for d in found):
            return None
        return format_file(rule_file)

    # ------------------------------------------------------------------ quick fixes

    def fixes(self, text: str, source: str, diagnostics: Sequence[Diagnostic]) -> list[Fix]:
        lines = text.split("\n")
        out: list[Fix] = []
        catalogue = None
        for d in diagnostics:
            if d.span is None or d.line is None:
                continue
            row = d.line - 1
            line_text = lines[row] if row < len(lines) else ""
            if d.code == "QR101":
                catalogue = catalogue or self.catalogue()
                word = d.span.text
                for candidate in difflib.get_close_matches(word, [i.name for i in catalogue.indicators], n=3,
                                                           cutoff=0.5):
                    out.append(Fix(render(tr("replace with '{name}'", name=candidate)), d.code, row,
                                   d.span.column - 1, d.span.end_line - 1, d.span.end_column - 1, candidate))
            if d.code in ("QR105", "QR117"):
                indent = len(line_text) - len(line_text.lstrip())
                out.append(Fix(render(tr("mark the rule 'override'")), d.code, row, indent, row, indent, "override "))
            if d.code == "QR106":
                end = _before_comment(line_text)
                out.append(Fix(render(tr("add because \"…\" (the reason the override is looser)")), d.code, row, end,
                               row, end, ' because "…"'))
            if d.severity is Severity.WARNING:
                end = len(line_text.rstrip())
                existing = re.search(r"#\s*noqa\s*[:：]\s*((?:QR\d{3}[\s,，]*)+)", line_text)
                if existing:  # add the code to the suppression already on the line
                    at = existing.end(1)
                    out.append(Fix(render(tr("suppress {code} on this line (give the reason)", code=d.code)), d.code,
                                   row, at, row, at, f"{d.code} " if line_text[at - 1:at].isspace() else f" {d.code} "))
                else:
                    out.append(Fix(render(tr("suppress {code} on this line (give the reason)", code=d.code)), d.code,
                                   row, end, row, end, f"  # noqa: {d.code} "))  # QR160 until a reason follows
        return out


def _in_text(d: Diagnostic, text: str) -> Diagnostic:
    """``d`` with its span over the document's own text (a repaired copy has blank lines)."""
    if d.span is None or d.span.source.text == text:
        return d
    source = m.Source(d.span.source.name, text)
    return attrs.evolve(d, span=attrs.evolve(d.span, source=source))


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[:line]) + column


def _word_at(text: str, line: int, column: int) -> str | None:
    lines = text.split("\n")
    if line >= len(lines):
        return None
    row = lines[line]
    stop = set(" \t\u3000\"“”「」{}#<>=!≥≤≠,;±")
    start = column
    while start > 0 and row[start - 1] not in stop:
        start -= 1
    end = column
    while end < len(row) and row[end] not in stop:
        end += 1
    return row[start:end] or None


def _pack_id_at(text: str, line: int, column: int) -> str | None:
    lines = text.split("\n")
    if line >= len(lines):
        return None
    row = lines[line]
    match = re.search(r"\bextends\s+", row)
    if match is None or column < match.end():
        return None
    for pid in re.finditer(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", row[match.end():]):
        if match.end() + pid.start() <= column <= match.end() + pid.end():
            return pid.group(0)
    return None


def _rule_at(text: str, source: str, line: int) -> m.Rule | None:
    from ..language.parse import parse_rule_text

    lines = text.split("\n")
    if line >= len(lines):
        return None
    body = re.sub(r"\s#.*$", "", lines[line]).strip()
    if not body or body.split()[0] in ("pack", "section", "indicator", "name", "source", "region", "level",
                                       "period", "target", "tolerance", "scope", "note", "issuer", "published",
                                       "commitment", "}"):
        return None
    try:
        return parse_rule_text(body)
    except Exception:  # a line that is not a rule (yet): nothing to say about it
        return None


def _on_name(rule: m.Rule, text: str, line: int, column: int) -> bool:
    word = _word_at(text, line, column)
    if word is None:
        return False
    from ..language.text import normalize

    return normalize(word) == rule.indicator or rule.indicator.startswith(normalize(word))


def _word_hover(text: str, line: int, column: int) -> str | None:
    """A comparator word, a suffix word or a unit under the cursor, with its meaning."""
    from ..language.parse import COMPARATOR_WORDS, SUFFIX_WORDS
    from ..language.units import grammar_spellings

    row = text.split("\n")[line] if line < len(text.split("\n")) else ""
    meanings = {">=": tr("at least (includes the number)"), ">": tr("more than (excludes the number)"),
                "<=": tr("at most (includes the number)"), "<": tr("less than (excludes the number)"),
                "==": tr("exactly"), "!=": tr("anything but")}
    candidates: list[tuple[str, str]] = []
    for word, op in [*COMPARATOR_WORDS.items(), *SUFFIX_WORDS.items()]:
        meaning = render(meanings[op.value]) if op else render(tr("needs 以上, 以下 or 以内 to say which way"))
        candidates.append((word, f"**{word}** `{op.value if op else '?'}`: {meaning}"))
    candidates += [(unit, f"**{unit}**: {_unit_detail(unit)}") for unit in grammar_spellings()]
    best: tuple[int, str] | None = None
    for word, description in candidates:
        for match in re.finditer(re.escape(word), row):
            if match.start() <= column < match.end() and (best is None or len(word) > best[0]):
                best = (len(word), description)
    return best[1] if best else None


def _unit_detail(unit: str) -> str:
    from ..language import units

    try:
        return f"{units.dimension(unit)}, = {units.to_base(unit)} {units.base_unit(unit)}"
    except Exception:  # a spelling the unit table cannot describe
        return ""


def _before_comment(line: str) -> int:
    from ..language.format import _comments

    found = _comments(line)
    if 1 in found:
        return len(line[: line.index(found[1][0])].rstrip())
    return len(line.rstrip())


def _header_location(path: Path, pattern: str) -> Location:
    text = path.read_text(encoding="utf-8-sig")
    match = re.search(pattern, text)
    if match is None:
        return Location(path, 0, 0, 0, 0)
    line = text.count("\n", 0, match.start())
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1)
    return Location(path, line, column, line, column + len(match.group(0)))
