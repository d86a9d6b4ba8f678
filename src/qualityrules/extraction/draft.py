"""Writing the draft: every target as a rule in the language's canonical form, parsed by the
language's own parser before it is written, citing ``文号 section: verbatim phrase``; doubtful
readings marked ``# review:``; unknown indicators proposed in a catalogue file; and the draft
linted with that catalogue until it has no error (a restatement of a parent's target becomes an
``override``; one looser than the parent is kept ``unenforced`` for the author to decide).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import Diagnostic, PackError, Severity, UsageError, did_you_mean, span_of, write_file
from ..i18n import Text, render, tr
from ..language import model as m
from ..language import units
from ..language.format import format_model, format_name
from ..language.parse import parse_text
from ..language.text import quotable, quote
from ..packs.resolve import Catalogue, lint_text, load_catalogue, shipped_pack_ids
from .document import PlanFacts, plan_facts, read_blocks, read_targets
from .naming import Binding, CatalogueIndex, guess_direction, proposed_indicator
from .reading import PAGE_NUMBER, PlanText
from .targets import Finding

if TYPE_CHECKING:
    from .comparison import DraftComparison

__all__ = ["Candidate", "Draft", "extract_plan"]

_ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_REGION_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,4}?(省|自治区|市)(?=[\u4e00-\u9fff]{2})")


@attrs.frozen
class Candidate:
    """One target the text states, as drafted. ``rule`` is None when the draft keeps it as a
    commitment for review (the language cannot write it yet)."""

    indicator: str
    bound: bool
    suggestions: tuple[str, ...]
    rule: m.Rule | None
    line: str
    section: str
    phrase: str
    span: m.Span
    confidence: float
    reviews: tuple[Diagnostic, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "indicator": self.indicator, "bound": self.bound, "suggestions": list(self.suggestions),
            "line": self.line, "section": self.section, "phrase": self.phrase,
            "line_in_plan": self.span.line, "column": self.span.column,
            "start": self.span.start, "end": self.span.end, "confidence": self.confidence,
            "reviews": [{"code": d.code, "message": d.message} for d in self.reviews],
        }


@attrs.frozen
class Draft:
    """A drafted pack and what it is made of."""

    pack_id: str
    text: str                               # the pack file
    catalogue_text: str                     # proposed catalogue entries ('' when none)
    proposed: tuple[m.Indicator, ...]
    candidates: tuple[Candidate, ...]
    facts: PlanFacts
    period: tuple[int, int] | None
    reviews: tuple[Diagnostic, ...]         # every QR5xx note, located in the plan
    lint: tuple[Diagnostic, ...]            # the draft linted with its proposed catalogue

    @property
    def rules(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.rule is not None)

    def diff(self, pack: Any) -> DraftComparison:
        """Compare with an existing pack (object, shipped id or path): what the text states that
        the pack lacks, what both state differently, and what the pack states that the text
        does not say (as far as extract could read it)."""
        from .comparison import compare_draft

        return compare_draft(self.pack_id, self.text, self.proposed, pack)

    def summary(self) -> str:
        """One paragraph: how many targets, bound or proposed, kept for review, and the lint."""
        rules = self.rules
        bound = sum(c.bound for c in rules)
        kept = len(self.candidates) - len(rules)
        codes: dict[str, int] = {}
        for review in self.reviews:
            codes[review.code] = codes.get(review.code, 0) + 1
        errors = sum(d.severity is Severity.ERROR for d in self.lint)
        warnings = len(self.lint) - errors
        lines = [tr("{count} target(s) drafted: {bound} bound to the catalogue, {unbound} on {proposed} proposed "
                    "indicator(s); {kept} kept as commitments for review", count=len(rules), bound=bound,
                    unbound=len(rules) - bound, proposed=len(self.proposed), kept=kept),
                 tr("{count} reading(s) to review: {codes}", count=len(self.reviews),
                    codes=", ".join(f"{code} ×{count}" for code, count in sorted(codes.items())) or tr("none")),
                 tr("lint of the draft with its proposed catalogue: {errors} error(s), {warnings} warning(s)",
                    errors=errors, warnings=warnings)]
        return "".join(render(line) + "\n" for line in lines)

    def write(self, path: str | Path) -> tuple[Path, Path | None]:
        """Write the pack to ``path`` and the proposed catalogue next to it
        (``<stem>.catalogue.qr``); returns both paths."""
        write_file(path, self.text)
        path = Path(path)
        if not self.catalogue_text:
            return path, None
        catalogue = catalogue_path(path)
        write_file(catalogue, self.catalogue_text)
        return path, catalogue


def catalogue_path(pack_path: Path) -> Path:
    return pack_path.with_name(pack_path.stem + ".catalogue.qr")


# ------------------------------------------------------------------------------------------
# Entry point


def extract_plan(plan: PlanText, *, pack_id: str | None = None, region: str | None = None,
                 level: str | m.Level | None = None, period: tuple[int, int] | str | None = None,
                 extends: Sequence[str] = (), catalogue: Catalogue | None = None,
                 search: Sequence[str | Path] = ()) -> Draft:
    """Draft a pack from a plan's text. Arguments given here win over what the text says."""
    blocks = read_blocks(plan)
    facts = plan_facts(plan, blocks)
    chosen_period = _period(period) if period is not None else facts.period
    chosen_level = m.Level(level) if isinstance(level, str) else level or facts.level
    chosen_region = region or facts.region
    if pack_id is not None and not _ID.fullmatch(pack_id):
        raise UsageError(Diagnostic("QR301", tr("'{id}' is not a pack id", id=pack_id),
                                    suggestion=tr("use lower-case ascii words joined by '-', e.g. longgang-2015")))
    chosen_id = pack_id or f"draft-{chosen_period[1] if chosen_period else 'plan'}"
    parents, search_folders = _parents(extends, search)
    findings = read_targets(plan, blocks, chosen_period, chosen_period[1] if chosen_period else None)
    base = catalogue or load_catalogue()
    writer = _Writer(plan, facts, base, chosen_period, chosen_region)
    for finding in findings:
        writer.add(finding)
    guessed = [key for key in facts.guessed
               if (key == "period" and period is None) or (key == "region" and region is None)
               or (key == "level" and level is None)]
    header_reviews = [tr("{key} read from the text: {value}", key=key, value=value) for key, value in (
        ("period", f"{chosen_period[0]}..{chosen_period[1]}" if chosen_period else None),
        ("region", chosen_region), ("level", chosen_level.value if chosen_level else None)) if key in guessed and value]
    missing = [key for key, value in (("period", chosen_period), ("region", chosen_region),
                                      ("level", chosen_level)) if value is None]
    header_reviews += [tr("{key} not found in the text: give --{key}", key=key) for key in missing]
    definition = m.PackDefinition(
        chosen_id, parents, name=facts.title, source=facts.reference, published=facts.published,
        region=chosen_region or "待定", level=chosen_level or m.Level.CITY,
        period=m.Period(*chosen_period) if chosen_period else None,
        target=chosen_period[1] if chosen_period else None)
    return writer.finish(definition, header_reviews, search_folders)


def _parents(extends: Sequence[str], search: Sequence[str | Path]) -> tuple[tuple[str, ...], list[str | Path]]:
    """Parent pack ids, and where to look for them: a parent given as a path is read for its id
    and its folder searched."""
    ids: list[str] = []
    folders: list[str | Path] = list(search)
    for parent in extends:
        path = Path(parent)
        if parent.endswith(".qr") or "/" in parent:
            if not path.is_file():
                raise UsageError(Diagnostic("QR201", tr("no such pack file: {parent}", parent=parent)))
            rule_file, _ = parse_text(path.read_text(encoding="utf-8-sig"), source=str(path))
            if len(rule_file.packs) != 1:
                raise UsageError(Diagnostic("QR116", tr("{parent} does not hold exactly one pack", parent=parent)))
            ids.append(rule_file.packs[0].id)
            folders.append(path.parent)
        elif _ID.fullmatch(parent):
            known = {*shipped_pack_ids(), *(p.stem for f in folders if Path(f).is_dir() for p in Path(f).glob("*.qr"))}
            if parent not in known:
                raise PackError(Diagnostic("QR103", tr("unknown pack '{id}'", id=parent),
                                           suggestion=did_you_mean(parent, known) or tr(
                                               "shipped packs: {ids}", ids=", ".join(sorted(shipped_pack_ids())))))
            ids.append(parent)
        else:
            raise UsageError(Diagnostic("QR301", tr("'{parent}' is neither a pack id nor a .qr file", parent=parent)))
    return tuple(ids), folders


def _period(period: tuple[int, int] | str) -> tuple[int, int]:
    if isinstance(period, str):
        match = re.fullmatch(r"\s*(\d{4})\s*(?:\.\.|-|–|—|~|至)\s*(\d{4})\s*", period)
        if not match:
            raise UsageError(Diagnostic("QR301", tr("'{period}' is not a period", period=period), suggestion=tr("write e.g. 2021..2025")))
        start, end = int(match.group(1)), int(match.group(2))
    elif isinstance(period, (tuple, list)) and len(period) == 2 \
            and all(isinstance(y, int) and not isinstance(y, bool) for y in period):
        start, end = period
    else:
        raise UsageError(Diagnostic("QR301", tr("'{period}' is not a period", period=period),
                                    suggestion=tr("write e.g. 2021..2025")))
    if start > end:
        raise UsageError(Diagnostic("QR301", tr("period {start}..{end} ends before it starts", start=start, end=end),
                                    suggestion=tr("write {end}..{start}", end=end, start=start)))
    return start, end


# ------------------------------------------------------------------------------------------
# Drafting each target


@attrs.define
class _Entry:
    """A drafted line with what it was drafted from."""

    finding: Finding
    binding: Binding
    rule: m.Rule | None
    sections: list[str]
    phrase: str
    group: str
    notes: list[tuple[str, Text]]       # (code, message)
    proposed: m.Indicator | None = None


class _Writer:
    def __init__(self, plan: PlanText, facts: PlanFacts, catalogue: Catalogue, period: tuple[int, int] | None,
                 region: str | None) -> None:
        self.plan = plan
        self.region = region
        self.facts = facts
        self.catalogue = catalogue
        self.index = CatalogueIndex(catalogue)
        self.period = period
        self.entries: list[_Entry] = []
        self.pending: list[tuple[_Entry, str | None]] = []
        self.by_name: dict[str, list[_Entry]] = {}
        self.proposed: dict[str, m.Indicator] = {}
        self.target_year = period[1] if period else None

    # -- one finding
    def add(self, finding: Finding) -> None:
        """Draft the rule text of one finding; it is parsed with the others in :meth:`finish`."""
        binding = self.index.bind(finding)
        notes = [(r.code, r.message) for r in finding.reviews]
        phrase = self.phrase(finding)
        section = finding.block.section or "正文"
        if finding.block.measures:
            notes.append(("QR524", tr("a figure in the plan's measures (保障措施, 组织实施): kept as a commitment, not a "
                                      "target")))
        text = self.rule_text(finding, binding, notes, section, phrase) \
            if finding.expressible and not finding.block.measures else None
        if binding.indicator is not None and binding.matched is not None:
            other = _REGION_PREFIX.match(binding.indicator.name)
            if other and other.group(0) not in binding.matched and other.group(0) != self.region:
                notes.append(("QR523", tr("'{matched}' is an alias of {name}: check that it is this plan's region",
                                          matched=binding.matched, name=binding.indicator.name)))
        self.pending.append((_Entry(finding, binding, None, [section], phrase, finding.block.group or "正文",
                                    notes), text))

    def drafted(self) -> None:
        """Parse every drafted rule at once with the language's parser (one grammar); a line it
        rejects is kept as a commitment with the parser's reason. Then propose the indicators
        the catalogue lacks and merge statements made twice."""
        rules = _parse_lines([text for _, text in self.pending])
        for (entry, text), parsed in zip(self.pending, rules, strict=True):
            if isinstance(parsed, m.Rule):
                entry.rule = parsed
            elif text is not None:
                entry.notes.append(("QR520", tr("the rule language cannot read '{text}' yet ({parsed})",
                                                text=text.split(' cite ')[0], parsed=parsed)))
            binding, finding = entry.binding, entry.finding
            if binding.indicator is None and entry.rule is not None:
                known = self.proposed.get(binding.name)
                entry.proposed = known or proposed_indicator(
                    binding.name, finding, entry.rule.target,
                    f"proposed by extract from {self.facts.reference} {entry.sections[0]}: {entry.phrase}")
                self.proposed.setdefault(binding.name, entry.proposed)
                near = f"; close catalogue names: {', '.join(binding.suggestions)}" if binding.suggestions else ""
                entry.notes.append(("QR515", tr("'{name}' is not in the catalogue: proposed with unit {unit}, direction {direction}{near}",
                                    name=binding.name, unit=entry.proposed.unit or tr("none"),
                                    direction=entry.proposed.direction.value, near=near)))
            self.merge(entry)
        self.pending.clear()

    def phrase(self, finding: Finding) -> str:
        row = finding.block.row
        if row is not None and not finding.pieces:  # an indicator row: its cells, as printed
            cells = ["".join(self.plan.source.text[slice(*self.plan.original(a, b))] for a, b in column)
                     for column in row.cells]
            return " | ".join(word for c in cells if (word := re.sub(r"\s+", " ", c).strip()))
        pieces = finding.pieces or ((finding.start, finding.end),)
        parts = []
        for start, end in pieces:
            first, last = self.plan.original(start, end)
            parts.append(self.plan.source.text[first:last])
        text = PAGE_NUMBER.sub("", "".join(parts))
        text = re.sub(r"\s*\n\s*", "", text)
        return quotable(re.sub(r"[ \t\u3000]+", " ", text).strip())

    def rule_text(self, finding: Finding, binding: Binding, notes: list[tuple[str, Text]], section: str,
                  phrase: str) -> str | None:
        indicator = binding.indicator
        target = finding.target
        value = finding.value
        if indicator is not None and indicator.unit is not None:
            adjusted = self.in_indicator_unit(finding, indicator, notes)
            if adjusted is None:
                return None
            target = adjusted
        if any(code == "QR510" for code, _ in notes) and re.match(r"[\d零〇一二两三四五六七八九十百千]", target):
            target = self.bare(target, value, indicator, binding.name)
            notes[:] = [(code, tr("{message}: read as {target} from the indicator's direction", message=message,
                                  target=target) if code == "QR510" else message) for code, message in notes]
        parts = []
        strength = {"预期性": "力争", "约束性": None}.get(finding.strength_word or "", finding.strength_word)
        if finding.strength_word == "预期性":
            notes.append(("QR520", tr("预期性 (expected) is written 力争: a missed target warns")))
        if strength:
            parts.append(strength)
        kind, year = finding.time
        # 稳定在 says every year of the plan; 到<the plan's last year> adds nothing to it
        steady_to_the_end = year == self.target_year and target.startswith("稳定在") and not target.endswith("左右")
        if kind == "year" and year is not None and not steady_to_the_end:
            parts.append(f"到{year}年")
        elif kind == "every" and not (target.startswith("稳定在") and not target.endswith("左右")):
            parts.append("每年")
        elif kind == "total":
            parts.append("累计")
        parts += [format_name(binding.name), target]
        cite = f"{self.facts.reference} {section}: {phrase}"
        return " ".join(parts) + f" cite {quote(cite)}"

    def in_indicator_unit(self, finding: Finding, indicator: m.Indicator, notes: list[tuple[str, Text]]) -> str | None:
        """The target in units the catalogue indicator accepts (``0.47吨标准煤`` for 吨标准煤/万元)."""
        target = finding.target
        unit = finding.value.unit
        wanted = indicator.unit
        assert wanted is not None
        if "较" in target or target in ("零事故",):
            return target
        if unit is None:
            notes.append(("QR521", tr("the text gives no unit; written in {name}'s unit {wanted}", name=indicator.name,
                                      wanted=wanted)))
            return re.sub(r"(\d+(?:\.\d+)?)(?!.*\d)", lambda mt: mt.group(1) + wanted, target, count=1)
        if unit not in units.grammar_spellings():
            notes.append(("QR514", tr("the unit '{unit}' is not a unit of the rule language yet", unit=unit)))
            return None
        if units.compatible(unit, wanted):
            return target
        if wanted.startswith(unit + "/"):
            notes.append(("QR521", tr("the text says {unit}; {name} is measured in {wanted}", unit=unit,
                                      name=indicator.name, wanted=wanted)))
            return target.replace(unit, wanted, 1)
        notes.append(("QR521", tr("the text's unit {unit} cannot be compared with {name}'s unit {wanted}", unit=unit,
                                  name=indicator.name, wanted=wanted)))
        return None

    def bare(self, target: str, value: object, indicator: m.Indicator | None, name: str) -> str:
        """A number without comparator words, read from the indicator's direction."""
        direction = indicator.direction if indicator is not None else guess_direction(name, None)
        if re.fullmatch(r"100(\.0+)?%|0(\.0+)?\D*", target) or direction is m.Direction.EXACT:
            return f"== {target}"
        return f"{'<=' if direction is m.Direction.LOWER else '>='} {target}"

    # -- duplicates and contradictions
    def merge(self, entry: _Entry) -> None:
        if entry.rule is None:
            self.entries.append(entry)
            return
        for other in self.by_name.setdefault(entry.binding.name, []):
            if other.rule is not None and _same_statement(other.rule, entry.rule, self.target_year):
                for section in entry.sections:
                    if section not in other.sections:
                        other.sections.append(section)
                self.merge_strength(other, entry)
                return  # the same statement made again: one rule citing both places
        self.entries.append(entry)
        self.by_name[entry.binding.name].append(entry)

    def merge_strength(self, kept: _Entry, again: _Entry) -> None:
        """One target stated twice, once with a strength word (力争, 确保, a table's 预期性) and once
        without (``达到94.5%`` in the text): the word says what the plain statement leaves open."""
        assert kept.rule is not None and again.rule is not None
        if kept.rule.strength is again.rule.strength:
            return
        worded = [e for e in (kept, again) if e.finding.strength_word]
        if len(worded) == 1:
            source = worded[0]
            assert source.rule is not None
            kept.rule = attrs.evolve(kept.rule, strength=source.rule.strength, strength_word=source.rule.strength_word)
        kept.notes.append(("QR517", tr("stated at {first} and {second} with different strengths ('{first_word}', '{second_word}'): "
                                       "written {strength}", first=kept.sections[0], second=again.sections[-1],
                                       first_word=kept.finding.strength_word or tr("none"),
                                       second_word=again.finding.strength_word or tr("none"),
                                       strength=kept.rule.strength.value)))

    # -- the file
    def finish(self, definition: m.PackDefinition, header_reviews: list[Text], search: Sequence[str | Path]) -> Draft:
        self.drafted()
        self.mark_contradictions()
        proposed = tuple(e.proposed for e in self.entries if e.proposed is not None)
        proposed = tuple({p.name: p for p in proposed}.values())
        catalogue, _ = self.catalogue.extended(proposed)
        text = ""
        lint: list[Diagnostic] = []
        for _ in range(3):
            pack = self.pack(definition)
            text = self.render(pack, header_reviews)
            lint = lint_text(text, source=f"{definition.id}.qr", catalogue=catalogue, search=search)
            if not self.repair(lint, text):
                break
        catalogue_text = _catalogue_text(proposed, self.facts)
        candidates, reviews = self.candidates()
        facts = tuple(Diagnostic("QR516", note, None, Severity.WARNING) for note in header_reviews)
        return Draft(definition.id, text, catalogue_text, proposed, candidates, self.facts, self.period,
                     facts + reviews, tuple(lint))

    def mark_contradictions(self) -> None:
        """Two enforced targets on one indicator and time that differ: the later statement (an
        annex or task table refines the body) is enforced, the earlier kept unenforced. A level
        and a change (``达到94.5%，较2020年提高1.8个百分点``) are two targets, not two readings, but a
        pack enforces one target per indicator and time: the change is kept unenforced."""
        seen: dict[tuple[str, str], _Entry] = {}
        for entry in self.entries:
            if entry.rule is None or entry.rule.unenforced is not None:
                continue
            key = (entry.binding.name, _time_key(entry.rule, self.target_year))
            earlier = seen.get(key)
            if earlier is not None and earlier.rule is not None:
                if isinstance(earlier.rule.target, m.Change) != isinstance(entry.rule.target, m.Change):
                    change, level = (earlier, entry) if isinstance(earlier.rule.target, m.Change) else (entry, earlier)
                    assert change.rule is not None and level.rule is not None
                    change.rule = attrs.evolve(change.rule, unenforced=f"review: a second target beside "
                                               f"{level.sections[0]}")
                    change.notes.append(("QR517", tr("{name} also has the target '{target}' ({sections}) in the same "
                                                     "year; a pack enforces one target per indicator and year: the "
                                                     "change is kept unenforced", name=entry.binding.name,
                                                     target=format_model(level.rule.target), sections=level.sections[0])))
                    seen[key] = level
                    continue
                message = tr("{name}: '{first}' ({first_section}) and '{second}' ({second_section}) disagree; the "
                             "later is enforced", name=entry.binding.name, first=format_model(earlier.rule.target),
                             first_section=earlier.sections[0], second=format_model(entry.rule.target),
                             second_section=entry.sections[0])
                earlier.rule = attrs.evolve(earlier.rule, unenforced=f"review: contradicts {entry.sections[0]}")
                earlier.notes.append(("QR517", message))
                entry.notes.append(("QR517", message))
            seen[key] = entry

    def pack(self, definition: m.PackDefinition) -> m.PackDefinition:
        groups: dict[str, list[m.Rule | m.Commitment]] = {}
        titles: dict[str, str] = {}
        for entry in self.entries:
            groups.setdefault(entry.group, []).append(self.statement(entry))
            titles.setdefault(entry.group, entry.finding.block.group_title)
        sections = tuple(m.Section(_section_name(group, titles[group]), tuple(items)) for group, items in groups.items())
        return attrs.evolve(definition, sections=sections)

    def statement(self, entry: _Entry) -> m.Rule | m.Commitment:
        cite = f"{self.facts.reference} {'; '.join(entry.sections)}: {entry.phrase}"
        if entry.rule is None:
            return m.Commitment(entry.phrase, m.Citation(f"{self.facts.reference} {entry.sections[0]}"))
        return attrs.evolve(entry.rule, citation=m.Citation(cite))

    def render(self, pack: m.PackDefinition, header_reviews: list[Text]) -> str:
        """The canonical text of the pack with ``# review:`` lines above the lines they concern
        (the formatter writes one line per section entry, in order)."""
        lines = format_model(pack).splitlines()
        out = [f"# Draft extracted from {self.plan.source.name} by `qualityrules extract`.",
               "# Every '# review:' line marks a reading a person must check; delete it once checked."]
        out += [f"# review: QR516 {note}" for note in header_reviews]
        notes = iter([e.notes for e in self.entries_in_order()])
        in_section = False
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("section ") and stripped.endswith("{"):
                in_section = True
                out.append(line)
                continue
            if in_section and stripped == "}":
                in_section = False
            elif in_section:
                indent = line[: len(line) - len(line.lstrip())]
                for code, message in next(notes):
                    out.append(f"{indent}# review: {code} {_one_line(message)}")
            out.append(line)
        return "\n".join(out) + "\n"

    def repair(self, lint: list[Diagnostic], text: str) -> bool:
        """Resolve what lint rejects: restating a parent's target needs ``override``; an
        override looser than the parent stays unenforced for the author to decide. True when
        something changed."""
        errors = [d for d in lint if d.severity is Severity.ERROR and d.span is not None]
        if not errors:
            return False
        by_line = _rule_lines(text, self.entries_in_order())
        changed = False
        for diagnostic in errors:
            assert diagnostic.span is not None
            entry = by_line.get(diagnostic.span.line)
            if entry is None or entry.rule is None:
                continue
            if diagnostic.code == "QR105":
                entry.rule = attrs.evolve(entry.rule, override=True)
                entry.notes.append(("QR522", tr("restates a parent pack's target on {name} with another value: marked "
                                                "override", name=entry.binding.name)))
            elif diagnostic.code == "QR106":
                entry.rule = attrs.evolve(entry.rule, unenforced="review: looser than the parent's target")
                entry.notes = [n for n in entry.notes if n[0] != "QR522"]
                parent = diagnostic.message.split(" (", 1)[0]  # without the parent's file and line
                entry.notes.append(("QR522", tr("{parent}: kept unenforced; tighten it, or state why with because",
                                                parent=parent)))
            else:
                entry.notes.append(("QR520", tr("kept as a commitment: {message}", message=diagnostic.message)))
                entry.rule = None
            changed = True
        return changed

    def entries_in_order(self) -> list[_Entry]:
        """The entries as the pack lists them: section by section, in reading order within each."""
        groups: dict[str, list[_Entry]] = {}
        for entry in self.entries:
            groups.setdefault(entry.group, []).append(entry)
        return [e for items in groups.values() for e in items]

    def candidates(self) -> tuple[tuple[Candidate, ...], tuple[Diagnostic, ...]]:
        out: list[Candidate] = []
        reviews: list[Diagnostic] = []
        for entry in self.entries_in_order():
            finding = entry.finding
            pieces = finding.pieces or ((finding.start, finding.end),)
            first, _ = self.plan.original(pieces[0][0], pieces[0][1])
            _, last = self.plan.original(pieces[-1][0], pieces[-1][1])
            span = span_of(self.plan.source, first, max(first + 1, last))
            notes = tuple(Diagnostic(code, message, span, Severity.WARNING) for code, message in entry.notes)
            reviews.extend(notes)
            statement = self.statement(entry)
            confidence = finding.confidence if entry.rule is not None else min(finding.confidence, 0.3)
            out.append(Candidate(entry.binding.name, entry.binding.indicator is not None, entry.binding.suggestions,
                                 statement if isinstance(statement, m.Rule) else None, format_model(statement),
                                 "; ".join(entry.sections), entry.phrase, span, confidence, notes))
        return tuple(out), tuple(reviews)


def _parse_lines(texts: list[str | None]) -> list[m.Rule | str | None]:
    """Each rule line parsed by the language's parser, all in one pass (a pack holding them); a
    line the parser rejects gives the parser's message instead."""
    header = ["pack batch {", "    section batch {"]
    lines = [f"        {text}" if text is not None else "" for text in texts]
    rule_file, diagnostics = parse_text("\n".join([*header, *lines, "    }", "}"]) + "\n", source="<draft>")
    problems = {d.line: d.message for d in diagnostics if d.severity is Severity.ERROR and d.line is not None}
    parsed: dict[int, m.Rule] = {}
    if rule_file.packs:
        for rule in rule_file.packs[0].rules:
            if rule.span is not None:
                parsed[rule.span.line] = attrs.evolve(rule, span=None)
    out: list[m.Rule | str | None] = []
    for index, text in enumerate(texts):
        line = len(header) + index + 1
        if text is None:
            out.append(None)
        elif line in problems or line not in parsed:
            out.append(problems.get(line, "not read"))
        else:
            out.append(parsed[line])
    return out


def _same_statement(a: m.Rule, b: m.Rule, target_year: int | None) -> bool:
    return a.target == b.target and _time_key(a, target_year) == _time_key(b, target_year)


def _time_key(rule: m.Rule, target_year: int | None) -> str:
    """到2015年 in a pack whose target year is 2015 says what no time qualifier says."""
    time = rule.time
    if isinstance(time, m.TargetYear):
        return "default" if time.year == target_year else f"year-{time.year}"
    return type(time).__name__ if time is not None else "default"


def _section_name(group: str, title: str) -> str:
    title = re.sub(r"[。.;:,\s“”\"]", "", title)
    return (group.replace(" ", "") + title) or "正文"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _rule_lines(text: str, entries: list[_Entry]) -> dict[int, _Entry]:
    """Line number of each entry's statement in the rendered text."""
    rule_file, _ = parse_text(text, source="<draft>")
    lines: dict[int, _Entry] = {}
    if not rule_file.packs:
        return lines
    statements = [s for section in rule_file.packs[0].sections for s in section.entries]
    for entry, statement in zip(entries, statements, strict=False):
        if statement.span is not None:
            lines[statement.span.line] = entry
    return lines


def _catalogue_text(proposed: tuple[m.Indicator, ...], facts: PlanFacts) -> str:
    if not proposed:
        return ""
    header = (f"# Indicators proposed by `qualityrules extract` for {facts.reference}: not in the catalogue.\n"
              "# Check each name, unit and direction; merge the ones the catalogue knows under another name.\n\n")
    return header + "\n".join(format_model(indicator) for indicator in proposed)
