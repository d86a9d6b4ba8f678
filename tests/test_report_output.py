"""The report's JSON and text, byte for byte: pinned on small reports (``tests/fixtures/report/``,
written by the row-by-row implementation before the vectorised one replaced it), and the fast JSON
writer equal to ``json.dumps(report.to_dict())`` for any indent.

A change that means to alter the output rewrites the pinned files with
``.venv/bin/python tests/test_report_output.py`` and shows the difference in its commit.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import make_pack
from test_report import BODY, data
from test_review import PACK_TEXT as REVIEW_PACK

from qualityrules import evaluate, parse_pack
from qualityrules.report import review as rv
from qualityrules.report.report import (
    _MARK,
    _ORDER,
    Report,
    _aligned,
    _margin_text,
    _review_order,
    _value_text,
    _years_text,
)
from qualityrules.report.rows import Indexed, Rows, dumps, floats

ROOT = Path(__file__).resolve().parents[1]
PINNED = Path(__file__).parent / "fixtures" / "report"


def _reports() -> dict[str, Callable[[], Report]]:
    return {
        "mixed": lambda: evaluate(make_pack(BODY), data()),
        # a path relative to the repository (the tests run there): the report names it
        "longgang": lambda: evaluate("longgang-2015", Path("examples") / "demo" / "longgang-2011-2015.csv"),
        "scoped-year": lambda: evaluate(make_pack(BODY, scope="甲区"), data(), year=2013),
        "lineage": lambda: evaluate(
            make_pack("override 达标率 >= 95%\n每年 企业数 不少于10家", parent="达标率 >= 90%\n事故 <= 1起", pack_id="t-2016"),
            {"region": ["甲区", "甲区", "省", "乙区"], "year": [2015, 2014, 2015, 2015],
             "达标率": [92.5, None, 91, 97], "企业数": [10, 12, None, 9], "事故": [0, 2, 1, None]}),
        "review": lambda: evaluate(parse_pack(REVIEW_PACK), {
            "region": ["甲市"] * 7 + ["乙市"] * 7, "year": [2015, 2016, 2017, 2018, 2015, 2016, 2017] * 2,
            "indicator": ["发明专利拥有量"] * 4 + ["空气质量优良天数比例"] * 3 + ["发明专利拥有量"] * 4
            + ["空气质量优良天数比例"] * 3,
            "value": [100, 110, 121, 133.1, 91, 92, 93, 100, 101, 99, 100, 91, 85, None]}, as_of=2017),
    }




@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def _outputs(report: Report) -> dict[str, str]:
    return {"json": report.to_json(), "txt": report.to_text()}


@pytest.mark.parametrize("name", sorted(_reports()))
def test_output_is_the_pinned_output(name: str) -> None:
    report = _reports()[name]()
    for suffix, text in _outputs(report).items():
        pinned = (PINNED / f"{name}.{suffix}").read_text(encoding="utf-8")
        assert text == pinned, f"{name}.{suffix} differs from the pinned output"


@pytest.mark.parametrize("name", sorted(_reports()))
@pytest.mark.parametrize("indent", [2, None, 0, 4])
def test_json_is_json_dumps_of_to_dict(name: str, indent: int | None) -> None:
    report = _reports()[name]()
    assert report.to_json(indent=indent) == json.dumps(report.to_dict(), ensure_ascii=False, indent=indent)


def _region_tables_row_by_row(report: Report, width: int | None) -> list[str]:
    """The text view's region tables as the row-by-row code built them, from ``targets()``."""
    header = ("", "indicator", "target", "year", "value", "margin", "level")
    missing = set(report.missing_indicators)
    lines: list[str] = []
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in report.targets():
        groups.setdefault(row["region"], []).append(row)
    for region, rows in groups.items():
        absent = [row for row in rows if row["verdict"] == "unknown" and row["indicator"] in missing]
        elsewhere = [row for row in rows if row["verdict"] == "not-applicable"]
        pending = [row for row in rows if row.get("assessment")]
        table = [header, *((_MARK[row["verdict"]], row["indicator"], row["target"], _years_text(row),
                            _value_text(row), _margin_text(row), row["level"] or "")
                           for row in sorted(rows, key=lambda r: _ORDER[r["verdict"]])
                           if row not in absent and row not in elsewhere and row["verdict"] != "pending")]
        lines += ["", region, *(_aligned(table, width) if len(table) > 1 else [])]
        if absent:
            lines.append(f"  {_MARK['unknown']}  {len(absent)} more target(s): indicator not in the data")
        if pending:
            shown = [row for row in pending if row["indicator"] not in missing]
            lines.append(f"  review as of {report.as_of}: {len(pending)} target(s) due later")
            if shown:
                lines += _aligned([rv.TABLE_HEADER] + [rv.table_cells(row) for row in sorted(shown, key=_review_order)],
                                  width)
            if len(shown) < len(pending):
                lines.append(f"  ?  {len(pending) - len(shown)} more target(s) due later: indicator not in the data")
        if elsewhere:
            lines.append(f"  {_MARK['not-applicable']}  {len(elsewhere)} target(s) do not bind {region} "
                         "(totals of other regions, or outside the pack's scope)")
    return lines


@pytest.mark.parametrize("name", sorted(_reports()))
def test_text_tables_at_any_width_are_the_row_by_row_tables(name: str) -> None:
    report = _reports()[name]()
    for width in (None, 12, 40, 60, 75, 90, 120, 400):
        assert report._region_tables(width) == _region_tables_row_by_row(report, width), width


_SCALARS = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True)
            | st.text(alphabet=st.sampled_from(list('a", \\\n\t%{}[]:区≥—\x00\u2028')), max_size=6))
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                     | st.dictionaries(st.text(alphabet='ab", %区', max_size=3) | st.integers(0, 3), inner,
                                       max_size=4), max_leaves=25)


@settings(max_examples=200, deadline=None)
@given(_JSON, st.sampled_from([None, 0, 1, 2, 4]))
def test_dumps_is_json_dumps(value: object, indent: int | None) -> None:
    assert dumps(value, indent) == json.dumps(value, ensure_ascii=False, indent=indent)


@settings(max_examples=100, deadline=None)
@given(st.data(), st.sampled_from([None, 0, 2]))
def test_rows_are_written_as_json_dumps_writes_their_dicts(data: st.DataObject, indent: int | None) -> None:
    kinds = data.draw(st.integers(1, 4))
    count = data.draw(st.integers(0, 12))
    key = np.array(data.draw(st.lists(st.integers(0, kinds - 1), min_size=count, max_size=count)), dtype=np.int64)
    names = data.draw(st.lists(st.text(alphabet='ab"%区', min_size=1, max_size=3), min_size=1, max_size=6,
                               unique=True))
    fixed = data.draw(st.sets(st.sampled_from(names)))
    by_key = {name: data.draw(st.lists(_JSON, min_size=kinds, max_size=kinds)) for name in names if name in fixed}
    by_row: dict[str, list[Any] | Indexed] = {}
    for name in names:
        if name in fixed:
            continue
        if data.draw(st.booleans()):
            by_row[name] = data.draw(st.lists(_JSON, min_size=count, max_size=count))
        else:
            table = data.draw(st.lists(_SCALARS, min_size=1, max_size=4))
            index = data.draw(st.lists(st.integers(0, len(table) - 1), min_size=count, max_size=count))
            by_row[name] = Indexed(table, np.array(index, dtype=np.int64))
    rows = Rows(names, key, by_row, by_key)
    assert dumps({"rows": rows}, indent) == json.dumps({"rows": rows.dicts()}, ensure_ascii=False, indent=indent)


def test_floats_keep_negative_zero_and_drop_what_is_not_finite() -> None:
    column = floats(np.array([0.0, -0.0, np.nan, 1.5, np.inf, 0.0, -np.inf]))
    assert column.values() == [0.0, -0.0, None, 1.5, None, 0.0, None]
    assert [math.copysign(1, v) for v in column.values()[:2]] == [1, -1]


def test_report_without_regions_or_checked_years() -> None:
    report = evaluate(make_pack(BODY), data(), year=2012)
    empty = evaluate(make_pack("达标率 >= 95%"), {"region": ["甲区"], "year": [2015], "达标率": [96]}, regions=[])
    all_due_later = evaluate(parse_pack(REVIEW_PACK), {"region": ["甲市"] * 2, "year": [2016, 2017],
                                                       "发明专利拥有量": [110, 121]}, as_of=2017)
    for each in (report, empty, all_due_later):
        assert each.to_json() == json.dumps(each.to_dict(), ensure_ascii=False, indent=2)
        assert each._region_tables(None) == _region_tables_row_by_row(each, None)


if __name__ == "__main__":  # rewrite the pinned outputs
    sys.path.insert(0, str(Path(__file__).parent))
    os.chdir(ROOT)
    PINNED.mkdir(parents=True, exist_ok=True)
    for report_name, make in _reports().items():
        for output_suffix, output in _outputs(make()).items():
            (PINNED / f"{report_name}.{output_suffix}").write_text(output, encoding="utf-8")
            print(f"wrote {PINNED / f'{report_name}.{output_suffix}'}")
