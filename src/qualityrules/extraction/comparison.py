"""``extract --diff PACK``: a draft against an existing pack. Both are resolved against the same
catalogue (the draft's proposed indicators added) and compared target by target on indicator and
time (kind and years): what the text states that the pack lacks, what both state differently,
and what the pack states that the draft did not find in the text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs

from ..errors import refuse, shown
from ..i18n import tr
from ..language import model as m
from ..packs.resolve import BoundRule, Pack, load_catalogue, load_pack, resolve_text

__all__ = ["DraftComparison", "compare_draft"]


@attrs.frozen
class DraftComparison:
    draft_id: str
    pack_id: str
    same: tuple[tuple[BoundRule, BoundRule], ...]          # (draft, pack)
    text_only: tuple[BoundRule, ...]                       # the text states, the pack lacks
    different: tuple[tuple[BoundRule, BoundRule], ...]     # stated differently (draft, pack)
    pack_only: tuple[BoundRule, ...]                       # the pack states, not found in the text

    def to_text(self) -> str:
        out = [f"draft {self.draft_id} against pack {self.pack_id}: {len(self.same)} target(s) the same, "
               f"{len(self.text_only)} only in the text, {len(self.different)} stated differently, "
               f"{len(self.pack_only)} only in the pack"]
        if self.text_only:
            out.append("\nthe text states, the pack lacks:")
            out += [f"  + {r.statement}    [{_place(r)}]" for r in self.text_only]
        if self.different:
            out.append("\nstated differently:")
            out += [f"  ~ {d.indicator.name}: text '{_body(d)}' [{_place(d)}]; pack '{_body(p)}' [{_place(p)}]"
                    for d, p in self.different]
        if self.pack_only:
            out.append("\nthe pack states, the text does not say (as far as extract could read it):")
            out += [f"  - {r.statement}    [{_place(r)}]" for r in self.pack_only]
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict[str, Any]:
        def rule(r: BoundRule) -> dict[str, Any]:
            return {"indicator": r.indicator.name, "rule": r.statement, "citation": r.citation}

        return {
            "draft": self.draft_id, "pack": self.pack_id,
            "same": [{"draft": rule(d), "pack": rule(p)} for d, p in self.same],
            "text_only": [rule(r) for r in self.text_only],
            "different": [{"draft": rule(d), "pack": rule(p)} for d, p in self.different],
            "pack_only": [rule(r) for r in self.pack_only],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


def _body(rule: BoundRule) -> str:
    return rule.statement.removeprefix(rule.indicator.name).strip() if rule.statement.startswith(
        rule.indicator.name) else rule.statement


def _place(rule: BoundRule) -> str:
    citation = rule.citation or ""
    head = citation.split(": ", 1)[0]
    return head.split(" ", 1)[1] if " " in head else head


def compare_draft(draft_id: str, draft_text: str, proposed: tuple[m.Indicator, ...],
                  pack: Pack | str | Path) -> DraftComparison:
    """Compare a draft (its id, text and proposed indicators) with ``pack`` (an object, id or path)."""
    if not isinstance(pack, (str, Path, Pack)):
        refuse(tr("a pack must be a shipped pack id, a .qr path or a Pack, not {value}", value=shown(pack)))
    if isinstance(pack, (str, Path)):
        catalogue, _ = load_catalogue().extended(proposed)  # the pack may use the proposed names
        existing = load_pack(pack, catalogue=catalogue)
    else:
        existing = pack
        catalogue, _ = existing.catalogue.extended(proposed)
    drafted = resolve_text(draft_text, source=f"{draft_id}.qr", catalogue=catalogue)
    mine = [*drafted.own_rules, *drafted.recorded]
    theirs = [*existing.own_rules, *existing.recorded]
    same: list[tuple[BoundRule, BoundRule]] = []
    different: list[tuple[BoundRule, BoundRule]] = []
    text_only: list[BoundRule] = []
    matched: set[int] = set()
    for rule in mine:
        equal = next((i for i, other in enumerate(theirs) if i not in matched and _same(rule, other)), None)
        if equal is not None:
            matched.add(equal)
            same.append((rule, theirs[equal]))
            continue
        related = next((i for i, other in enumerate(theirs) if i not in matched and rule.key == other.key), None)
        if related is not None:
            matched.add(related)
            different.append((rule, theirs[related]))
            continue
        text_only.append(rule)
    pack_only = tuple(r for i, r in enumerate(theirs) if i not in matched)
    return DraftComparison(draft_id, existing.id, tuple(same), tuple(text_only), tuple(different), pack_only)


def _same(a: BoundRule, b: BoundRule) -> bool:
    return a.key == b.key and a.measure is b.measure and a.interval == b.interval and a.baseline == b.baseline
