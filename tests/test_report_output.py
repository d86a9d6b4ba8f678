"""The report's JSON and text, byte for byte: pinned on small reports (``tests/fixtures/report/``,
written by the row-by-row implementation before the vectorised one replaced it), the rows and
text tables equal to what the row-by-row code builds, and the fast JSON writer equal to
``json.dumps(report.to_dict())`` for any indent.

A change that means to alter the output rewrites the pinned files with
``.venv/bin/python tests/test_report_output.py`` and shows the difference in its commit (checked
by hand on a small report, or written by the row-by-row definitions below).
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
    _CENSORED_MARKS,
    _MARK,
    _ORDER,
    Report,
    _aligned,
    _margin_text,
    _pieces,
    _review_order,
    _value_text,
    _verdict,
    _years_text,
)
from qualityrules.report.rows import Indexed, Rows, dumps, floats, kinds

ROOT = Path(__file__).resolve().parents[1]
PINNED = Path(__file__).parent / "fixtures" / "report"


def _reports() -> dict[str, Callable[[], Report]]:
    return {
        "mixed": lambda: evaluate(make_pack(BODY, scope="乙区"), data()),   # 甲区's pack speaks for 乙区 too
        # a path relative to the repository (the tests run there): the report names it
        "longgang": lambda: evaluate("longgang-2015", Path("examples") / "demo" / "longgang-2011-2015.csv"),
        "scoped-year": lambda: evaluate(make_pack(BODY, scope="甲区"), data(), year=2013),
        "lineage": lambda: evaluate(
            make_pack("override 达标率 >= 95%\n每年 企业数 不少于10家", parent="达标率 >= 90%\n事故 <= 1起", pack_id="t-2016"),
            {"region": ["甲区", "甲区", "省", "乙区"], "year": [2015, 2014, 2015, 2015],
             "达标率": [92.5, None, 91, 97], "企业数": [10, 12, None, 9], "事故": [0, 2, 1, None]},
            hierarchy={"乙区": "甲区"}),   # 省 lies outside 甲区: the district's pack says nothing of it
        "review": lambda: evaluate(parse_pack(REVIEW_PACK), {
            "region": ["甲市"] * 7 + ["乙市"] * 7, "year": [2015, 2016, 2017, 2018, 2015, 2016, 2017] * 2,
            "indicator": ["人均图书馆藏量"] * 4 + ["空气质量优良天数比例"] * 3 + ["人均图书馆藏量"] * 4
            + ["空气质量优良天数比例"] * 3,
            "value": [100, 110, 121, 133.1, 91, 92, 93, 100, 101, 99, 100, 91, 85, None]}, as_of=2017),
        # the district, two of its streets and a district outside it (QR240); a share above 100 %
        # and a negative count set aside (QR242, QR243: unknown with a reason); the air-quality
        # target set under the API and checked under the AQI (a caveat)
        "trust": lambda: evaluate("longgang-2015", {
            "region": ["龙岗区", "龙岗区", "横岗街道", "布吉街道", "福田区"], "year": [2014, 2015, 2015, 2015, 2015],
            "工业废水达标排放率": [97, 150, 90, 96, 99], "获得质量管理体系认证的规模以上工业企业": [700, -3, 12, 5, 5],
            "空气质量优良天数比例": [97, 98.5, 99, None, 99]}),
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


def _region_tables(report: Report, width: int | None) -> list[str]:
    """The lines of the text view's region tables (its pieces put a line break before each line)."""
    return "".join(report._region_tables(width)).split("\n")[1:]


def _region_tables_row_by_row(report: Report, width: int | None) -> list[str]:
    """The text view's region tables as the row-by-row code built them, from ``targets()``."""
    header = ("", "indicator", "target", "year", "value", "margin", "level")
    missing = set(report.missing_indicators)
    outside = {report.obs.regions[r] for r in report.evaluation.outside}
    lines: list[str] = []
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in report.targets():
        groups.setdefault(row["region"], []).append(row)
    for region, rows in groups.items():
        if region in outside:
            lines += ["", region, f"  {_MARK['not-applicable']}  {len(rows)} target(s): outside the pack's area, "
                      "nothing checked (see warning QR240)"]
            continue
        absent = [row for row in rows if row["verdict"] == "unknown" and row["indicator"] in missing]
        elsewhere = [row for row in rows if row["verdict"] == "not-applicable"]
        pending = [row for row in rows if row.get("assessment")]
        table = [header, *((_MARK[row["verdict"]], row["indicator"], row["target"], _years_text(row),
                            _value_text(row), _margin_text(row), row["level"] or "")
                           for row in sorted(rows, key=lambda r: _ORDER[r["verdict"]])
                           if row not in absent and row not in elsewhere and row["verdict"] != "pending")]
        lines += ["", region, *(_aligned(table, width) if len(table) > 1 else [])]
        lines += [f"  caveat: {row['indicator']}: {row['caveat']}" for row in rows
                  if row["caveat"] and row["verdict"] != "not-applicable"]
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
                         "(totals of other regions, or not in force in the years checked)")
    return lines


def _clean(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _results_row_by_row(report: Report) -> list[dict[str, Any]]:
    """``results()`` as the row-by-row code built it: one dict per (region, rule, year)."""
    measures = {name: values.tolist() for name, values in report._measures.items()}
    codes = report.codes.tolist()
    censored = _CENSORED_MARKS[report._censored].tolist()
    years = report.plan.atom_year[report.atoms].tolist()
    binding = report._binding.tolist()
    reasons = report._reasons
    rows: list[dict[str, Any]] = []
    for r, region in enumerate(report.obs.regions):
        for k, columns in enumerate(report._columns_by_rule):
            fields = report._rule_field_cache[k]
            aspiration = bool(report._aspiration_rule[k])
            for column in columns.tolist():
                rows.append({
                    "region": region, "year": years[column], **fields,
                    "caveat": report._caveat(k, years[column]),
                    "verdict": _verdict(codes[r][column], aspiration),
                    "value": _clean(measures["value"][r][column]),
                    "censored": censored[r][column],
                    "threshold": _clean(measures["threshold"][r][column]),
                    "margin": _clean(measures["margin"][r][column]),
                    "relative_margin": _clean(measures["relative_margin"][r][column]),
                    "binding": binding[r][column],
                    "reason": reasons[0][reasons[1][r, column]] if reasons is not None else None,
                    "assessment": report._assessment_fields(r, column) if report._assessed else None,
                })
    return rows


def _targets_row_by_row(report: Report) -> list[dict[str, Any]]:
    """``targets()`` as the row-by-row code built it: one dict per (region, rule)."""
    measures = {name: values.tolist() for name, values in report._measures.items()}
    censored = _CENSORED_MARKS[report._censored].tolist()
    codes = report.codes.tolist()
    outcomes = report.outcomes.tolist()
    deciding = report._deciding.tolist()
    years = report.plan.atom_year[report.atoms].tolist()
    reasons = report._reasons
    rows: list[dict[str, Any]] = []
    for r, region in enumerate(report.obs.regions):
        for k in report._checked_rules:
            columns = report._columns_by_rule[k]
            column = deciding[r][k]
            checked = [years[c] for c in columns.tolist()]
            row = {"region": region, **report._rule_field_cache[k],
                   "caveat": next((c for c in (report._caveat(k, y) for y in checked) if c), None),
                   "years": checked,
                   "verdict": _verdict(outcomes[r][k], bool(report._aspiration_rule[k])),
                   "year": years[column] if column >= 0 else None}
            for name in ("value", "threshold", "margin", "relative_margin"):
                row[name] = _clean(measures[name][r][column]) if column >= 0 else None
            row["censored"] = censored[r][column] if column >= 0 else None
            row["reason"] = reasons[0][reasons[1][r, column]] if reasons is not None and column >= 0 else None
            row["year_verdicts"] = {str(years[c]): _verdict(codes[r][c], bool(report._aspiration_rule[k]))
                                    for c in columns.tolist()} if len(columns) > 1 else None
            row["assessment"] = report._target_assessment(r, k) if report._assessed else None
            rows.append(row)
    return rows


def _items(rows: list[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    """Rows as (field, value) pairs in order: equal when the dicts are equal field for field and in
    the same order (which the JSON shows)."""
    return [list(row.items()) for row in rows]


@pytest.mark.parametrize("name", sorted(_reports()))
def test_rows_are_the_row_by_row_rows(name: str) -> None:
    report = _reports()[name]()
    assert _items(report.results()) == _items(_results_row_by_row(report))
    assert _items(report.targets()) == _items(_targets_row_by_row(report))


@pytest.mark.parametrize("name", sorted(_reports()))
def test_text_tables_at_any_width_are_the_row_by_row_tables(name: str) -> None:
    report = _reports()[name]()
    for width in (None, 12, 40, 60, 75, 90, 120, 400):
        assert _region_tables(report, width) == _region_tables_row_by_row(report, width), width


_SHIPPED = {"longgang-2015": ["龙岗区", "横岗街道", "福田区"], "guangdong-2015": ["广东省", "深圳市"],
            "nation-2020": ["全国", "广东省"]}


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(_SHIPPED)), st.data())
def test_rows_and_tables_of_generated_reports_are_the_row_by_row_ones(pack_id: str, data: st.DataObject) -> None:
    """Shipped packs on generated tables (values on and near the bounds, missing values, regions
    inside and outside the pack's area), some cells made implausible (set aside: a reason), some
    reports reviewed as of a year."""
    from qualityrules import load_pack, strategies

    pack = load_pack(pack_id)
    table = data.draw(strategies.indicator_tables(pack, regions=_SHIPPED[pack_id], missing=True))
    names = sorted(set(table["indicator"]))
    for name in data.draw(st.lists(st.sampled_from(names), max_size=2, unique=True)) if names else []:
        table.loc[table["indicator"] == name, "value"] *= data.draw(st.sampled_from([-1, 0.01, 1000]))
    as_of = data.draw(st.none() | st.sampled_from(sorted({int(y) for y in table["year"]} or {2015})))
    report = evaluate(pack, table, as_of=as_of)
    assert _items(report.results()) == _items(_results_row_by_row(report))
    assert _items(report.targets()) == _items(_targets_row_by_row(report))
    for width in (None, 60):
        assert _region_tables(report, width) == _region_tables_row_by_row(report, width)
    assert report.to_json() == json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


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


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([None, 2]), st.sampled_from([6, 40, 400]))
def test_many_rows_are_written_as_json_dumps_writes_their_dicts(seed: int, indent: int | None, distinct: int) -> None:
    """Rows enough for fields of more than a few values to be written into the kinds' texts (a
    value of ``distinct`` values and a margin that follows from it and the kind) while the kinds
    stay few, and a region of many values written as a piece of every row; with 400 values the
    kinds would be too many and the value stays a piece of every row."""
    rng = np.random.default_rng(seed)
    count = 3000
    key = rng.integers(0, 3, count)
    value = rng.integers(0, distinct, count)
    values = [None, -0.0, *np.round(rng.normal(90, 5, distinct - 2), 2).tolist()]
    margins = np.unique(key * distinct + value, return_inverse=True)[1].reshape(-1)
    margin_table = [float(m) / 7 for m in range(int(margins.max()) + 1)]
    by_row: dict[str, list[Any] | Indexed] = {
        "region": Indexed([f"区{r:04d}" if r % 97 else 'a "b", c' for r in range(count // 4)],
                          np.repeat(np.arange(count // 4), 4)[:count]),
        "value": Indexed(values, value), "margin": Indexed(margin_table, margins),
        "note": [None if r % 5 else {"row": r} for r in range(count)],
        "reason": Indexed([None, "set aside"], (value == 1).astype(np.int64))}
    by_key = {"rule": ["甲", "乙 \"丙\"", None], "years": [[2014, 2015], [2015], []]}
    rows = Rows(["region", "rule", "value", "years", "margin", "reason", "note"], key, by_row, by_key)
    key_of, of_kind, by_kind = rows._written_kinds()
    for name, per_kind in by_kind.items():   # a field written into the kinds' texts: the same in each kind
        field = rows.by_row[name]
        assert isinstance(field, Indexed) and np.array_equal(field.index, per_kind[key_of])
    told_apart = value if distinct < 400 else value == 1   # by the value itself, or only by the reason
    assert len(of_kind) == len(set(zip(key.tolist(), told_apart.tolist(), strict=True)))
    assert dumps({"rows": rows}, indent) == json.dumps({"rows": rows.dicts()}, ensure_ascii=False, indent=indent)


def test_json_of_a_report_whose_values_are_written_into_the_kinds_is_json_dumps_of_to_dict() -> None:
    """A report of 600 districts (as benchmarks/bench_scale.py writes for 100,000) whose values take
    a dozen decimals each: the values, their margins and thresholds are written into the kinds'
    texts (the kinds stay under a sixteenth of the rows), the regions as pieces of every row."""
    from generated_packs import SCALE_REPORT_PACK

    from qualityrules.packs.resolve import resolve_text

    pack = resolve_text(SCALE_REPORT_PACK, source="<test>")
    rng = np.random.default_rng(7)
    regions = [f"区{r:04d}" for r in range(600)]
    table: dict[str, Any] = {"region": np.repeat(regions, 2), "year": np.tile([2014, 2015], 600)}
    for name, centre in {"工业废水达标排放率": 95.0, "万元GDP能耗": 0.47, "空气质量优良天数比例": 90.0}.items():
        values = np.round(centre * (1 + rng.integers(-6, 6, 1200) / 100), 2)   # a dozen values each
        values[rng.random(1200) < 0.05] = np.nan
        values[rng.random(1200) < 0.03] = 150.0 if centre > 1 else -1.0        # set aside: a reason
        table[name] = values
    report = evaluate(pack, table, hierarchy=dict.fromkeys(regions, "全市"))
    for rows in (report._result_rows, report._target_rows):
        values = rows.by_row["value"]
        assert isinstance(values, Indexed) and 16 < len(values.table) <= len(rows) // 16
        key, some_row, by_kind = rows._written_kinds()
        assert np.array_equal(values.index, values.index[some_row][key]) and "value" in by_kind   # in the kind
    text = report.to_json()
    assert text == json.dumps(report.to_dict(), ensure_ascii=False, indent=2)
    assert json.loads(text)["results"] == report.results()


def test_kinds_of_parts_whose_combined_code_is_beyond_an_int64() -> None:
    rows = [(10**12, 3, 10**12, 5), (0, 0, 0, 0), (10**12, 3, 10**12, 5), (1, 2, 10**12, 0), (10**12, 0, 1, 5)]
    number, some_row = kinds(*(np.array(part, dtype=np.int64) for part in zip(*rows, strict=True)))
    distinct = sorted(set(rows))
    assert number.tolist() == [distinct.index(row) for row in rows]
    assert [rows[i] for i in some_row.tolist()] == distinct


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from([0, 7, 10**6])), max_size=40))
def test_kinds_number_combinations_in_order_of_their_codes(rows: list[tuple[int, int, int]]) -> None:
    """Both ways of numbering kinds (a table of the possible combinations, or a hash table when they are
    many more than the rows, as a code of 10**6 makes them): numbers in the order of the
    combinations' codes, and a row of each kind that has its codes."""
    parts = [np.array([row[j] for row in rows], dtype=np.int64) for j in range(3)]
    number, some_row = kinds(*parts)
    distinct = sorted(set(rows))
    assert number.tolist() == [distinct.index(row) for row in rows]
    assert [rows[i] for i in some_row.tolist()] == distinct


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", " ", "a", "a ", "区\u3000", "\u3000", "b c"]), min_size=3, max_size=3),
                min_size=1, max_size=6), st.data())
def test_table_pieces_are_the_padded_lines_stripped(lines: list[list[str]], data: st.DataObject) -> None:
    """Each line as the pieces put it: two spaces before each cell, each but the last padded, the
    white space at the end removed (blank cells at the end, a cell ending in an ideographic space)."""
    padding = np.array(data.draw(st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3),
                                          min_size=len(lines), max_size=len(lines))), dtype=np.int64)
    pairs = sorted({(line[0], line[1]) for line in lines})   # the first two columns show one list's cells (a kind's)
    which = np.array([pairs.index((line[0], line[1])) for line in lines], dtype=np.int64)
    last = sorted({line[2] for line in lines})
    columns = [([pair[0] for pair in pairs], which), ([pair[1] for pair in pairs], which),
               (last, np.array([last.index(line[2]) for line in lines], dtype=np.int64))]
    expected = ["".join(f"  {cell}" + " " * int(pad) * (c < 2) for c, (cell, pad) in enumerate(zip(line, row, strict=True)))
                .rstrip() for line, row in zip(lines, padding, strict=True)]
    assert "".join(_pieces(columns, padding).ravel().tolist()).split("\n")[1:] == expected


def test_floats_keep_negative_zero_and_drop_what_is_not_finite() -> None:
    column = floats(np.array([0.0, -0.0, np.nan, 1.5, np.inf, 0.0, -np.inf]))
    assert column.values() == [0.0, -0.0, None, 1.5, None, 0.0, None]
    assert [math.copysign(1, v) for v in column.values()[:2]] == [1, -1]


def test_report_without_regions_or_checked_years() -> None:
    report = evaluate(make_pack(BODY), data(), year=2012)
    empty = evaluate(make_pack("达标率 >= 95%"), {"region": ["甲区"], "year": [2015], "达标率": [96]}, regions=[])
    all_due_later = evaluate(parse_pack(REVIEW_PACK), {"region": ["甲市"] * 2, "year": [2016, 2017],
                                                       "人均图书馆藏量": [110, 121]}, as_of=2017)
    for each in (report, empty, all_due_later):
        assert each.to_json() == json.dumps(each.to_dict(), ensure_ascii=False, indent=2)
        assert _region_tables(each, None) == _region_tables_row_by_row(each, None)


if __name__ == "__main__":  # rewrite the pinned outputs
    sys.path.insert(0, str(Path(__file__).parent))
    os.chdir(ROOT)
    PINNED.mkdir(parents=True, exist_ok=True)
    for report_name, make in _reports().items():
        for output_suffix, output in _outputs(make()).items():
            (PINNED / f"{report_name}.{output_suffix}").write_text(output, encoding="utf-8")
            print(f"wrote {PINNED / f'{report_name}.{output_suffix}'}")


def test_dumps_writes_minus_zero_apart_from_zero() -> None:
    # Equal values are encoded once: -0.0 == 0.0 made '[false, 0.0, -0.0]' come out as '[false, 0.0, 0.0]'.
    for value in ([False, 0.0, -0.0], [None, -0.0, 0.0, "x"], {"a": [True, -0.0]}):
        assert dumps(value) == json.dumps(value, ensure_ascii=False)
