"""Fixture corpora: rule lines written from the source documents' own phrasing, with results
pinned by hand (tests/fixtures/corpus_valid.tsv), and malformed lines with the diagnostic code
and caret position they must produce (tests/fixtures/corpus_invalid.tsv). The column layouts
are described at the top of each file.

Where the parser disagrees with a hand-worked expectation and the parser is wrong, the line is
listed in KNOWN_GAPS below (a strict xfail, so the test turns red once it is fixed) and in
rules/PARSER-NOTES.md.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest

import qualityrules
from qualityrules.language import model as m

FIXTURES = Path(__file__).parent / "fixtures"

VALID_COLUMNS = ["text", "op", "values", "unit", "time", "strength", "kind"]
INVALID_COLUMNS = ["text", "code", "line", "column", "suggestion"]

# Resolve-stage lines are wrapped into this pack; "{rule}" marks where the line goes.
PACK_WRAPPER = """\
pack corpus-check {
    name      "fixture corpus"
    region    深圳市
    level     city
    period    2016..2020
    target    2020

    section 语料 {
        {rule}
    }
}
"""

# Lines whose hand-worked expectation the parser does not meet (yet), with the reason. Each
# is a strict xfail and has an entry in rules/PARSER-NOTES.md.
KNOWN_GAPS: dict[str, str] = {}


class Row(NamedTuple):
    number: int  # 1-based line number in the TSV file
    fields: dict[str, str]


def _read(name: str, columns: list[str]) -> list[Row]:
    """Rows of a corpus file: '#' lines and blank lines skipped, the header checked."""
    rows: list[Row] = []
    header_seen = False
    path = FIXTURES / name
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if not header_seen:
            assert cells == columns, f"{name}:{number}: header {cells} != {columns}"
            header_seen = True
            continue
        required = len(columns) - (1 if columns is INVALID_COLUMNS else 0)  # suggestion is optional
        assert required <= len(cells) <= len(columns), f"{name}:{number}: {len(cells)} columns"
        cells += [""] * (len(columns) - len(cells))
        rows.append(Row(number, dict(zip(columns, cells, strict=True))))
    return rows


VALID = _read("corpus_valid.tsv", VALID_COLUMNS)
INVALID = _read("corpus_invalid.tsv", INVALID_COLUMNS)


def _params(rows: list[Row]) -> list[object]:
    params = []
    for row in rows:
        text = row.fields["text"]
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[text])] if text in KNOWN_GAPS else []
        params.append(pytest.param(row, id=f"L{row.number}", marks=marks))
    return params


def test_corpus_sizes() -> None:
    assert len(VALID) >= 150
    assert len(INVALID) >= 40


def test_corpus_lines_are_unique_and_gaps_are_in_the_corpus() -> None:
    texts = [row.fields["text"] for row in VALID + INVALID]
    assert len(texts) == len(set(texts))
    assert set(KNOWN_GAPS) <= set(texts)


# ------------------------------------------------------------------------------------------
# Valid lines: pinned parse results


def _pinned(rule: m.Rule) -> dict[str, str]:
    """The pinned columns, computed from a parsed rule."""
    target = rule.target
    if isinstance(target, m.Change):
        since = "previous" if target.previous_year else "-" if target.baseline is None else target.baseline
        kind = f"change-{target.direction.value}:{since}"
        amount = target.amount
    else:
        kind = "value"
        amount = target
    quantities: list[m.Quantity] = []
    if isinstance(amount, m.Comparison):
        op = amount.op.value
        quantities = [amount.quantity]
        values = [amount.quantity.value]
    elif isinstance(amount, m.Between):
        op = "between"
        quantities = [amount.low, amount.high]
        values = [amount.low.value, amount.high.value]
    else:
        op = "approximately"
        quantities = [amount.quantity] + ([amount.tolerance] if amount.tolerance else [])
        values = [amount.quantity.value, amount.tolerance.value if amount.tolerance else None]
    units = [q.unit or "-" for q in quantities]
    time = rule.time
    if time is None:
        when = "-"
    elif isinstance(time, m.TargetYear):
        when = f"target:{time.year}"
    elif isinstance(time, m.EveryYear):
        when = "every"
    else:
        when = "cumulative"
    return {
        "op": op,
        "values": "|".join("" if v is None else _decimal_text(v) for v in values),
        "unit": units[0] if len(set(units)) == 1 else "|".join(units),
        "time": when,
        "strength": rule.strength.value,
        "kind": kind,
    }


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def _same_values(actual: str, expected: str) -> bool:
    """Values compared as numbers: Decimal('67500.00') is the pinned '67500'."""
    a, e = actual.split("|"), expected.split("|")
    return len(a) == len(e) and all(
        (x == y == "") or (x != "" and y != "" and Decimal(x) == Decimal(y)) for x, y in zip(a, e, strict=True))


@pytest.mark.parametrize("row", _params(VALID))
def test_valid_line_parses_to_its_pinned_result(row: Row) -> None:
    expected = {key: row.fields[key] for key in VALID_COLUMNS[1:]}
    rule = qualityrules.parse_rule(row.fields["text"])
    actual = _pinned(rule)
    assert _same_values(actual["values"], expected["values"]), (actual, expected)
    actual["values"] = expected["values"]
    assert actual == expected


@pytest.mark.parametrize("row", _params(VALID))
def test_valid_line_round_trips_through_the_formatter(row: Row) -> None:
    rule = qualityrules.parse_rule(row.fields["text"])
    text = qualityrules.format_model(rule)
    again = qualityrules.parse_rule(text)
    assert again == rule, text
    assert qualityrules.format_model(again) == text


# ------------------------------------------------------------------------------------------
# Invalid lines: code and caret position


def _wrapped(text: str) -> tuple[str, int, int]:
    """The pack text around a rule line, and the rule's first line and column offset in it."""
    prefix = PACK_WRAPPER[: PACK_WRAPPER.index("{rule}")]
    line = prefix.count("\n") + 1
    column_offset = len(prefix) - (prefix.rfind("\n") + 1)
    return PACK_WRAPPER.replace("{rule}", text), line, column_offset


def test_the_wrapper_resolves_with_a_good_rule() -> None:
    text, line, offset = _wrapped("工业废水达标排放率 >= 95%")
    pack = qualityrules.parse_pack(text)
    (bound,) = pack.rules
    assert bound.indicator.name == "工业废水达标排放率"
    assert bound.rule.span is not None
    assert (bound.rule.span.line, bound.rule.span.column) == (line, offset + 1)


@pytest.mark.parametrize("row", _params(INVALID))
def test_invalid_line_reports_its_code_and_position(row: Row) -> None:
    text = row.fields["text"]
    code = row.fields["code"]
    line, column = int(row.fields["line"]), int(row.fields["column"])
    if code.startswith("QR1"):  # resolve stage: inside a pack
        pack_text, first_line, column_offset = _wrapped(text)
        with pytest.raises(qualityrules.QualityRulesError) as caught:
            qualityrules.parse_pack(pack_text, source="corpus.qr")
        line, column = first_line + line - 1, column + (column_offset if line == 1 else 0)
    else:
        with pytest.raises(qualityrules.QualityRulesError) as caught:
            qualityrules.parse_rule(text)
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == code, diagnostic.render()
    assert (diagnostic.line, diagnostic.column) == (line, column), diagnostic.render()
    assert "Traceback" not in diagnostic.render()
    if row.fields["suggestion"]:
        assert diagnostic.suggestion is not None, diagnostic.render()
        assert f"'{row.fields['suggestion']}'" in diagnostic.suggestion, diagnostic.render()
