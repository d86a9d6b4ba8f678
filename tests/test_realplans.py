"""Real target sentences from plans that are not among the five sources (``fixtures/realplans/``,
copied from the shared real-plans corpus, dev half): each sentence, near-verbatim (the document's
words with spaces added) and as printed, is put in a pack for its plan period, resolved against
the catalogue an author would write for them (``dev-catalogue.qr``), and its meaning compared with
the machine-readable expectation written for it (``dev-expected.json``): every part's indicator,
measure, interval (in the indicator's unit, or the change's), years, time kind, baseline, strength.

An outcome is ``right`` (that meaning), ``rejected`` (a located error: the author must rewrite it)
or ``wrong`` (it resolves to another meaning — the outcome that must not happen). A sentence with
no numeric target is right when it is rejected. Where the year of the expected meaning is printed
only at the start of the document's sentence (``context`` in the expectation), the text alone
cannot carry it; such outcomes are counted apart.

Run ``python tests/test_realplans.py`` to print the rates.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import qualityrules
from qualityrules.language.text import normalize
from qualityrules.packs.resolve import BoundRule, Catalogue, load_catalogue, resolve_text

FIXTURES = Path(__file__).parent / "fixtures" / "realplans"


def rows() -> list[dict[str, str]]:
    with (FIXTURES / "dev.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


EXPECTED: dict[str, dict[str, Any]] = json.loads((FIXTURES / "dev-expected.json").read_text(encoding="utf-8"))
CATALOGUE: Catalogue = load_catalogue([FIXTURES / "dev-catalogue.qr"])  # on its own, not extending the shipped one


def pack_text(line: str, plan_period: str, pack_id: str) -> str:
    start, end, target = map(int, re.fullmatch(r"(\d{4})-(\d{4}), target year (\d{4})", plan_period).groups())
    return (f"pack {pack_id} {{\n    region 测试地区\n    level  province\n    period {start}..{end}\n"
            f"    target {target}\n\n    section 目标 {{\n        {line}\n    }}\n}}\n")


def _fraction(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


def _matches(bound: BoundRule, want: dict[str, Any]) -> bool:
    interval = bound.interval
    change = None if bound.change_sign == 0 else ("up" if bound.change_sign > 0 else "down")
    found = {
        "indicator": bound.indicator.name, "measure": bound.measure.value, "years": list(bound.years),
        "kind": bound.kind, "strength": bound.strength.value, "lower": interval.lower, "upper": interval.upper,
        "lower_inclusive": interval.lower_inclusive, "upper_inclusive": interval.upper_inclusive,
        "change": change, "baseline": bound.baseline,
    }
    for key, value in want.items():
        if key == "indicator":
            if normalize(value) != found[key]:
                return False
        elif key in ("lower", "upper"):
            if _fraction(value) != found[key]:
                return False
        elif found[key] != value:
            return False
    return not interval.excluded


def outcome(row: dict[str, str], column: str, line: str | None = None) -> str:
    """right, rejected or wrong, for one form of one sentence (or ``line`` in its place)."""
    expected = EXPECTED[row["id"]]
    text = pack_text(row[column] if line is None else line, row["plan_period"], f"dev-{row['id']}")
    try:
        pack = resolve_text(text, source=f"dev-{row['id']}.qr", catalogue=CATALOGUE)
    except qualityrules.QualityRulesError as error:
        assert error.diagnostics and all(d.span is not None for d in error.diagnostics), error
        return "right" if expected.get("reject") else "rejected"
    if expected.get("reject"):
        return "wrong"
    wanted = expected["rules"]
    bound = list(pack.rules)
    if len(bound) != len(wanted):
        return "wrong"
    unmatched = list(bound)
    for want in wanted:
        hit = next((b for b in unmatched if _matches(b, want)), None)
        if hit is None:
            return "wrong"
        unmatched.remove(hit)
    return "right"


def _form(column: str) -> str:
    return "near" if column == "near_verbatim" else "verbatim"


def score() -> dict[str, dict[str, list[str]]]:
    """For each form: ids by outcome (``wrong`` split into context and not)."""
    result: dict[str, dict[str, list[str]]] = {}
    for column in ("near_verbatim", "verbatim"):
        found: dict[str, list[str]] = {"right": [], "rejected": [], "wrong": [], "wrong-context": []}
        for row in rows():
            got = outcome(row, column)
            if got == "wrong" and _form(column) in EXPECTED[row["id"]].get("context", {}):
                got = "wrong-context"
            found[got].append(row["id"])
        result[_form(column)] = found
    return result


def test_every_sentence_has_an_expectation() -> None:
    assert sorted(EXPECTED, key=int) == sorted((r["id"] for r in rows()), key=int)
    assert len(rows()) == 89


@pytest.mark.parametrize("column", ["near_verbatim", "verbatim"])
@pytest.mark.parametrize("row", rows(), ids=lambda r: r["id"])
def test_sentence_is_right_or_rejected(row: dict[str, str], column: str) -> None:
    """Never a wrong meaning. Where the form drops words the meaning needs (the year that opens the
    document's sentence, a table's 属性 column), it reads as the words it has — and, with those
    words put back, it reads right."""
    context = EXPECTED[row["id"]].get("context", {}).get(_form(column))
    if context is None:
        assert outcome(row, column) != "wrong", (row["id"], row[column])
    else:
        assert outcome(row, column) == "wrong", (row["id"], "the form reads right without its context")
        assert outcome(row, column, context["prefix"] + row[column]) == "right", (row["id"], context["why"])


def test_the_rates_meet_the_bar() -> None:
    result = score()
    total = len(rows())
    assert len(result["near"]["right"]) >= 0.85 * total, result["near"]
    assert len(result["verbatim"]["right"]) >= 0.60 * total, result["verbatim"]
    assert result["near"]["wrong"] == [] and result["verbatim"]["wrong"] == []


if __name__ == "__main__":
    results = score()
    count = len(rows())
    for form, found in results.items():
        print(f"{form:9} right {len(found['right'])}/{count} = {len(found['right']) / count:.1%}; "
              f"rejected {len(found['rejected'])} {found['rejected']}; wrong {len(found['wrong'])} {found['wrong']}; "
              f"wrong only for context the form drops (the sentence's opening year, a 属性 column) "
              f"{len(found['wrong-context'])} "
              f"{found['wrong-context']}")
    sys.exit(0)
