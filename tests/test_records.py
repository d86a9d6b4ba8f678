"""Indicators from raw records: the engine against a naive per-group computation, chunking and
threading invariance, files (CSV, Parquet), hierarchies, min_records and error diagnostics."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityrules
from qualityrules.cli import main
from qualityrules.errors import DataError, QualityRulesError, RuleSyntaxError, Severity
from qualityrules.language import model as m
from qualityrules.language.parse import parse_text
from qualityrules.language.text import normalize
from qualityrules.records.compute import compute_indicators
from qualityrules.records.hierarchy import Hierarchy
from qualityrules.records.plan import Compare, compile_plan
from qualityrules.records.scan import Limbs
from qualityrules.tables.cells import is_total
from qualityrules.tables.decimals import value_of

CATALOGUE = """\
indicator 达标率 {
    unit %
    direction higher
    from t
    region 地区
    date 日期
    value 100 * sum(v where ok) / sum(v)
}
indicator 优良比例 {
    unit %
    direction higher
    from t
    region 地区
    date 日期
    value 100 * share(where a <= 100)
}
indicator 均值 {
    unit 微克/立方米
    direction lower
    from t
    region 地区
    date 日期
    value mean(a)
    min_records 3
}
indicator 加权均值 {
    unit 微克/立方米
    direction lower
    from t
    region 地区
    date 日期
    value wmean(a, v)
}
indicator 极差 {
    unit 微克/立方米
    direction lower
    from t
    region 地区
    date 日期
    value max(a) - min(a where not ok)
}
indicator 计数 {
    unit 个
    direction higher
    from t
    region 地区
    date 日期
    value count(v where a > 50 or grade == "合格") + count() - count(a)
}
indicator 否定 {
    unit 个
    direction higher
    from t
    region 地区
    date 日期
    value sum(v where not (a <= 100 and ok)) + sum(v where grade != "合格")
}
"""


def indicators(text: str = CATALOGUE) -> list[m.Indicator]:
    rule_file, diagnostics = parse_text(text, source="test-catalogue.qr")
    assert not [d for d in diagnostics if d.severity.value == "error"], diagnostics
    return list(rule_file.indicators)


INDICATORS = indicators()


# ------------------------------------------------------------------------------------------
# A naive reference: rows one by one, exact rational arithmetic, three-valued conditions


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _holds(condition: m.Condition, row: dict[str, Any]) -> bool | None:
    if isinstance(condition, m.ColumnTest):
        value = row[condition.column]
        if _missing(value):
            return None
        literal = condition.literal
        if isinstance(literal, bool):
            left: Any = bool(value)
        elif isinstance(literal, str):
            left = normalize(str(value))
        else:
            left, literal = value_of(value), Fraction(literal)
        return {"==": left == literal, "!=": left != literal, "<": left < literal, "<=": left <= literal,
                ">": left > literal, ">=": left >= literal}[condition.op.value]
    if isinstance(condition, m.Not):
        inner = _holds(condition.part, row)
        return None if inner is None else not inner
    results = [_holds(p, row) for p in condition.parts]
    if isinstance(condition, m.AllOf):
        return False if False in results else None if None in results else True
    return True if True in results else None if None in results else False


def _divide(a: Fraction | int, b: Fraction | int) -> Fraction | None:
    return None if b == 0 else Fraction(a) / Fraction(b)


def _aggregate(agg: m.Aggregate, rows: list[dict[str, Any]]) -> Fraction | None:
    """Exact, every record at the value it counts at (its short decimal, else its binary value)."""
    kept = [r for r in rows if agg.where is None or _holds(agg.where, r) is True]
    f = m.AggregateFunction
    if agg.function is f.SHARE:
        return _divide(len(kept), len(rows))
    if agg.function is f.COUNT:
        return Fraction(len(kept) if agg.column is None else sum(not _missing(r[agg.column]) for r in kept))
    if agg.function is f.WMEAN:
        pairs = [(r[agg.column], r[agg.weight]) for r in kept  # type: ignore[index]
                 if not _missing(r[agg.column]) and not _missing(r[agg.weight])]  # type: ignore[index]
        return _divide(sum((value_of(x) * value_of(w) for x, w in pairs), Fraction(0)),
                       sum((value_of(w) for _, w in pairs), Fraction(0)))
    values = [value_of(r[agg.column]) for r in kept if not _missing(r[agg.column])]  # type: ignore[index]
    if agg.function is f.SUM:
        return sum(values, Fraction(0))
    if agg.function is f.MEAN:
        return _divide(sum(values, Fraction(0)), len(values))
    if not values:
        return None
    return min(values) if agg.function is f.MIN else max(values)


def _exact(expression: m.Expression, rows: list[dict[str, Any]]) -> Fraction | None:
    if isinstance(expression, m.Constant):
        return Fraction(expression.value)
    if isinstance(expression, m.Aggregate):
        return _aggregate(expression, rows)
    left, right = _exact(expression.left, rows), _exact(expression.right, rows)
    if left is None or right is None:
        return None
    if expression.op == "/":
        return _divide(left, right)
    return {"+": left + right, "-": left - right, "*": left * right}[expression.op]


def _value(expression: m.Expression, rows: list[dict[str, Any]]) -> float:
    """The float nearest to the exact value (NaN when unknown)."""
    exact = _exact(expression, rows)
    if exact is None:
        return math.nan
    try:
        return float(exact)
    except OverflowError:       # beyond float64: the nearest float is ±inf
        return math.inf if exact > 0 else -math.inf


def _measured(expression: m.Expression) -> set[str]:
    """Columns an expression reads as measurements: aggregated, weights, compared in conditions
    with a number or true/false."""
    def tested(condition: m.Condition) -> set[str]:
        if isinstance(condition, m.ColumnTest):
            return set() if isinstance(condition.literal, str) else {condition.column}
        if isinstance(condition, m.Not):
            return tested(condition.part)
        return set().union(*(tested(p) for p in condition.parts))

    if isinstance(expression, m.Aggregate):
        found = {c for c in (expression.column, expression.weight) if c}
        return found | (tested(expression.where) if expression.where is not None else set())
    if isinstance(expression, m.Arithmetic):
        return _measured(expression.left) | _measured(expression.right)
    return set()


def naive(records: list[dict[str, Any]], catalogue: list[m.Indicator],
          parents: dict[str, str] | None = None) -> dict[tuple[str, str, int], tuple[float, int]]:
    """Per indicator, region (and its ancestors) and year: the exact value correctly rounded and
    the rows; unknown (NaN) where a column the indicator measures holds ±inf (QR214). A totals row
    (合计) is no record (QR216)."""
    out: dict[tuple[str, str, int], tuple[float, int]] = {}
    for indicator in catalogue:
        definition = indicator.definition
        assert definition is not None
        groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for row in records:
            region, day = row[definition.region_column], row[definition.date_column]  # type: ignore[index]
            if region is None or day is None or is_total(region):
                continue
            region = normalize(region)
            chain = [region]
            while parents and chain[-1] in parents:
                chain.append(parents[chain[-1]])
            for name in chain:
                groups.setdefault((name, day.year), []).append(row)
        measured = _measured(definition.value)
        for (region, year), rows in groups.items():
            value = _value(definition.value, rows)
            if definition.min_records and len(rows) < definition.min_records:
                value = math.nan
            if any(isinstance(r[c], float) and math.isinf(r[c]) for r in rows for c in measured):
                value = math.nan
            out[(indicator.name, region, year)] = (value, len(rows))
    return out


def as_dict(table: Any) -> dict[tuple[str, str, int], tuple[float, int]]:
    return {(i, r, int(y)): (float(v), int(n)) for i, r, y, v, n in
            zip(table.indicator, table.region, table.year, table.value, table.records, strict=True)}


def same(a: dict[Any, tuple[float, int]], b: dict[Any, tuple[float, int]]) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        (x, n), (y, k) = a[key], b[key]
        if n != k or not (x == y or (math.isnan(x) and math.isnan(y))):
            return False
    return True


# ------------------------------------------------------------------------------------------
# Generated records

REGIONS = ["龙岗区", "龍崗區", "福田区", "南山区", None, "合 计"]
FLOATS = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 0.1, 0.2, 0.3, 1e-300, 5e-324, 2.0 ** 60, float("nan"), float("inf"), -float("inf")]),
    st.integers(0, 300).map(float),
)
ROW = st.fixed_dictionaries({
    "地区": st.sampled_from(REGIONS),
    "日期": st.one_of(st.none(), st.dates(dt.date(2013, 12, 25), dt.date(2016, 1, 5))),
    "v": FLOATS,
    "a": FLOATS,
    "ok": st.one_of(st.none(), st.booleans()),
    "grade": st.sampled_from(["合格", "不合格", None]),
})


def frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame({
        "地区": pd.Series([r["地区"] for r in records], dtype="str"),
        "日期": pd.Series(pd.to_datetime([r["日期"] for r in records]), dtype="datetime64[s]"),
        "v": pd.Series([r["v"] for r in records], dtype="float64"),
        "a": pd.Series([r["a"] for r in records], dtype="float64"),
        "ok": pd.Series([r["ok"] for r in records], dtype="boolean"),
        "grade": pd.Series([r["grade"] for r in records], dtype="str"),
    })


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, max_size=60), st.integers(1, 25))
def test_engine_equals_naive_and_chunking_does_not_matter(records: list[dict[str, Any]], rows: int) -> None:
    expected = naive(records, INDICATORS)
    data = frame(records)
    table = compute_indicators(INDICATORS, {"t": data}, threads=1)
    whole = as_dict(table)
    assert same(whole, expected)
    chunks = compute_indicators(INDICATORS, {"t": data}, chunk_rows=rows, threads=2)
    assert same(as_dict(chunks), whole)
    # rows without a region or a date: the first of them (spreadsheet rows from 2) and how many;
    # a totals row is none of them, but said apart (QR216)
    unassigned = {column: (rows_of[0] + 2, len(rows_of))
                  for column in ("地区", "日期") for rows_of in [[i for i, r in enumerate(records)
                                                                 if r[column] is None and r["地区"] != "合 计"]]
                  if rows_of}
    assert unassigned_said(table) == unassigned
    totals = [i + 2 for i, r in enumerate(records) if r["地区"] == "合 计"]
    assert totals_said(table) == ({"地区": (totals[0], len(totals))} if totals else {})
    assert table.unassigned.get("t", 0) == sum(r["地区"] != "合 计" and None in (r["地区"], r["日期"]) for r in records)
    assert [(w.code, w.message, w.line, w.column) for w in chunks.warnings] == \
        [(w.code, w.message, w.line, w.column) for w in table.warnings]
    batches = pa.Table.from_pandas(data, preserve_index=False).to_batches(max_chunksize=rows)
    assert same(as_dict(compute_indicators(INDICATORS, {"t": batches})), whole)


@settings(max_examples=40, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=40), st.data())
def test_row_order_and_hierarchy_roll_up(records: list[dict[str, Any]], data: st.DataObject) -> None:
    parents = {"龙岗区": "深圳市", "福田区": "深圳市", "深圳市": "广东省"}
    shuffled = data.draw(st.permutations(records))
    expected = naive(records, INDICATORS, parents)
    got = as_dict(compute_indicators(INDICATORS, {"t": frame(shuffled)}, hierarchy=parents))
    assert same(got, expected)


def test_large_chunked_run_is_bit_identical_across_threads_and_chunks() -> None:
    rng = np.random.default_rng(7)
    n = 300_000
    data = {
        "地区": pd.Categorical.from_codes(rng.integers(0, 3, n), ["甲", "乙", "丙"]),
        "日期": (np.datetime64("2014-01-01") + rng.integers(0, 900, n)).astype("datetime64[D]"),
        "v": rng.gamma(2.0, 10.0, n) * rng.choice([1, 1e-9, 1e9], n),
        "a": np.where(rng.random(n) < 0.05, np.nan, rng.normal(80, 30, n)),
        "ok": rng.random(n) < 0.8,
        "grade": np.array(["合格", "不合格"], dtype=object)[rng.integers(0, 2, n)],
    }
    data["地区"] = pd.Series(data["地区"])
    one = compute_indicators(INDICATORS, {"t": data}, threads=1)
    many = compute_indicators(INDICATORS, {"t": data}, threads=2, chunk_rows=77_777)
    assert np.array_equal(one.value, many.value, equal_nan=True)
    assert np.array_equal(one.records, many.records)
    # the same records with plain integer region codes (used as they are), as Arrow record batches
    # and as a Dask DataFrame in uneven partitions: the very same values, bit for bit
    import dask.dataframe as dd
    import pyarrow as pa

    codes = {**data, "地区": np.asarray(data["地区"].cat.codes, dtype=np.int8)}
    by_code = compute_indicators(INDICATORS, {"t": codes}, threads=2, chunk_rows=50_001)
    arrow = pa.Table.from_pydict({k: v for k, v in codes.items()}).to_batches(max_chunksize=123_457)
    by_arrow = compute_indicators(INDICATORS, {"t": arrow}, threads=1)
    by_dask = compute_indicators(INDICATORS, {"t": dd.from_pandas(pd.DataFrame(codes), npartitions=7)},
                                 backend="dask", scheduler="synchronous")
    names = {"甲": "0", "乙": "1", "丙": "2"}
    expected = {(i, names[r], int(y)): (float(v), int(n)) for i, r, y, v, n in
                zip(one.indicator, one.region, one.year, one.value, one.records, strict=True)}
    for other in (by_code, by_arrow, by_dask):
        got = {(i, r, int(y)): (float(v), int(n)) for i, r, y, v, n in
               zip(other.indicator, other.region, other.year, other.value, other.records, strict=True)}
        assert got.keys() == expected.keys()
        assert all(got[k][1] == expected[k][1] and (got[k][0] == expected[k][0] or (got[k][0] != got[k][0]
                   and expected[k][0] != expected[k][0])) for k in expected)      # bit for bit, NaN as NaN
    # one group by exact rational arithmetic, every record at the value it counts at: the whole
    # formula 100 * a / b exact, then correctly rounded
    group = (np.asarray(data["地区"]) == "甲") & (data["日期"].astype("datetime64[Y]") == np.datetime64("2015", "Y"))
    v, ok = data["v"][group], data["ok"][group]
    compliant = sum(map(value_of, v[ok].tolist()), Fraction(0))
    total = sum(map(value_of, v.tolist()), Fraction(0))
    assert one.get("达标率", "甲", 2015) == float(100 * compliant / total)


# ------------------------------------------------------------------------------------------
# Semantics in plain cases


def wastewater() -> pd.DataFrame:
    return pd.DataFrame({
        "district": ["龙岗区", "龙岗区", "龙岗区", "福田区", "龍崗區", None],
        "sample_date": pd.to_datetime(["2015-01-05", "2015-03-01", "2015-12-31", "2015-02-01",
                                       "2016-01-01", "2015-05-05"]),
        "volume": [100.0, 50.0, np.nan, 10.0, 20.0, 999.0],
        "compliant": [True, False, True, None, True, True],
    })


def test_shipped_definitions_on_a_small_table() -> None:
    pack = qualityrules.load_pack("longgang-2015")
    table = compute_indicators(pack, {"wastewater": wastewater()})
    # NaN volume is excluded from both sums; a null flag is not compliant; 龍崗區 is 龙岗区.
    assert table.get("工业废水达标排放率", "龙岗区", 2015) == pytest.approx(100 * 100 / 150)
    assert table.get("工业废水达标排放率", "福田区", 2015) == 0.0
    assert table.get("工业废水达标排放率", "龙岗区", 2016) == 100.0
    assert table.unassigned["wastewater"] == 1
    assert table.rows_read["wastewater"] == 6
    frame_ = table.to_pandas()
    assert list(frame_.columns) == ["region", "year", "indicator", "value", "unit", "records", "min_records",
                                    "sufficient"]
    assert set(frame_.unit) == {"%"}


def test_nan_measurement_is_not_a_compliant_sample() -> None:
    air = pd.DataFrame({"district": ["甲"] * 4, "day": pd.date_range("2015-01-01", periods=4),
                        "aqi": [50.0, np.nan, 150.0, 100.0], "pm25": [10.0, 20.0, np.nan, 30.0]})
    catalogue = qualityrules.load_catalogue()
    wanted = [catalogue.lookup("空气质量优良天数比例"), catalogue.lookup("PM2.5年均浓度")]
    table = compute_indicators([i for i in wanted if i], {"air_daily": air})
    assert table.get("空气质量优良天数比例", "甲", 2015) == 50.0       # 2 of 4 days, NaN day counted
    assert table.get("PM2.5年均浓度", "甲", 2015) == 20.0              # mean of present values


def test_an_infinity_in_a_records_column_is_unknown_with_a_located_warning(tmp_path: Path) -> None:
    """±inf in a measured column is no measurement: QR214 names the column, the first row (as a
    spreadsheet counts them) and how many there are; the indicators reading the column are unknown
    in the region-years of those rows and above them, never a pass or a fail, whatever the
    chunking, threads or input form; other region-years and indicators keep their values."""
    pack = qualityrules.load_pack("longgang-2015")
    rate = "工业废水达标排放率"
    data = pd.DataFrame({
        "district": ["龙岗区", "龙岗区", "龙岗区", "福田区", "福田区", "福田区"],
        "sample_date": ["2015-01-05", "2015-03-01", "2014-02-01", "2015-02-01", "2015-06-01", "2014-01-01"],
        "volume": [100.0, np.inf, 50.0, -np.inf, 10.0, 40.0],
        "compliant": [True, True, True, False, True, False],
    })
    tree = {"龙岗区": "深圳市", "福田区": "深圳市"}
    parquet = tmp_path / "wastewater.parquet"
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), parquet, row_group_size=2)
    for source, options in ((data, {}), (data, {"chunk_rows": 1, "threads": 2}),
                            ({k: data[k].to_numpy() for k in data}, {}), (parquet, {"threads": 2})):
        table = compute_indicators(pack, {"wastewater": source}, hierarchy=tree, **options)
        for region in ("龙岗区", "福田区", "深圳市"):
            assert math.isnan(table.get(rate, region, 2015))
        assert (table.get(rate, "龙岗区", 2014), table.get(rate, "福田区", 2014)) == (100.0, 0.0)
        assert table.get(rate, "深圳市", 2014) == pytest.approx(100 * 50 / 90)
        (warning,) = [w for w in table.warnings if w.code == "QR214"]
        assert warning.severity is Severity.WARNING and warning.line == 3
        assert "row 3, column 'volume'" in warning.message and "inf is not a measurement" in warning.message
        assert "the first of 2 ±inf values" in warning.message and rate in warning.message
        assert warning.file == (str(parquet) if source is parquet else "records 'wastewater'")
    import dask.dataframe as dd

    by_dask = compute_indicators(pack, {"wastewater": dd.from_pandas(data, npartitions=3)}, hierarchy=tree,
                                 backend="dask", scheduler="synchronous")
    assert math.isnan(by_dask.get(rate, "深圳市", 2015)) and by_dask.get(rate, "龙岗区", 2014) == 100.0
    report = qualityrules.check_records(pack, {"wastewater": data})
    assert report.verdict("龙岗区", 2015, rate) == "unknown"                 # 100 % otherwise: a pass
    assert any(w.code == "QR214" for w in report.warnings)
    # a flag read from a float column (甲), a column only compared in a condition (乙)
    rows = [{"地区": region, "日期": dt.date(2015, 1, d), "v": 1.0, "a": a, "ok": True, "grade": "合格"}
            for region in ("甲", "乙") for d, a in ((1, 50.0), (2, 50.0 if region == "甲" else -math.inf))]
    flags = frame(rows).assign(ok=[1.0, math.inf, 1.0, 1.0])
    table = compute_indicators(INDICATORS, {"t": flags})
    assert math.isnan(table.get("达标率", "甲", 2015)) and table.get("优良比例", "甲", 2015) == 100.0
    assert table.get("达标率", "乙", 2015) == 100.0 and math.isnan(table.get("优良比例", "乙", 2015))
    found = {w.message.split("column '")[1].split("'")[0]: w.line for w in table.warnings if w.code == "QR214"}
    assert found == {"ok": 3, "a": 5}
    # a CSV cell reading inf is no number at all: an error at the cell
    csv_path = tmp_path / "wastewater.csv"
    data.to_csv(csv_path, index=False)
    with pytest.raises(DataError) as error:
        compute_indicators(pack, [csv_path])
    assert error.value.diagnostic.code == "QR206" and error.value.diagnostic.line == 3


def test_a_value_its_unit_cannot_hold_is_unknown_with_a_located_warning(tmp_path: Path) -> None:
    """A volume, a concentration or an AQI below 0 (the catalogue declares ``column volume 立方米``,
    ``column pm25 微克/立方米``, ``column aqi 点``), or a count of batches that is not whole, is no
    measurement: the indicators reading the column are unknown in the region-years of those rows and
    above them, never a pass or a fail computed from it (before, 100/−100/100 m³ with the first
    compliant was 100 %, a pass, and a mean PM2.5 of 10 passed ≤ 28); a warning names the first
    such cell (QR243, QR245) and counts the others. The same for every input form, chunking,
    threads and Dask, bit for bit."""
    import dask.dataframe as dd
    import polars as pl

    pack = qualityrules.load_pack("longgang-2015")
    rate, good, pm25 = "工业废水达标排放率", "空气质量优良天数比例", "PM2.5年均浓度"
    water = pd.DataFrame({
        "district": ["龙岗区", "龙岗区", "龙岗区", "福田区", "福田区", "龙岗区", "福田区"],
        "sample_date": ["2015-01-05", "2015-03-01", "2015-04-01", "2015-02-01", "2015-06-01", "2014-01-01",
                        "2015-07-01"],
        "volume": [100.0, -100.0, 100.0, 10.0, 10.0, 50.0, -0.5],
        "compliant": [True, False, False, True, True, True, False],
    })
    air = pd.DataFrame({"district": ["福田区", "福田区", "福田区", "龙岗区"],
                        "day": ["2020-03-01", "2020-06-01", "2020-09-01", "2020-03-01"],
                        "pm25": [-50.0, 40.0, 40.0, 30.0], "aqi": [-20.0, -300.0, 150.0, 50.0]})
    tree = {"龙岗区": "深圳市", "福田区": "深圳市"}
    folder = tmp_path / "parquet"
    folder.mkdir()
    for name, data in (("wastewater", water), ("air_daily", air)):
        pq.write_table(pa.Table.from_pandas(data, preserve_index=False), folder / f"{name}.parquet", row_group_size=2)
        data.to_csv(tmp_path / f"{name}.csv", index=False)

    def computed(records: dict[str, Any], **options: Any) -> Any:
        return compute_indicators(pack.catalogue.indicators, records, hierarchy=tree, **options)

    def told(table: Any) -> list[tuple[str, int | None, str]]:
        return [(w.code, w.line, str(w.message)[str(w.message).index("row "):]) for w in table.warnings
                if w.code in ("QR243", "QR245")]

    frames = {"wastewater": water, "air_daily": air}
    first = computed(frames, threads=1)
    assert math.isnan(first.get(rate, "龙岗区", 2015)) and math.isnan(first.get(rate, "深圳市", 2015))
    assert math.isnan(first.get(rate, "福田区", 2015))                       # −0.5 m³ too
    assert first.get(rate, "龙岗区", 2014) == 100.0                           # other years keep their values
    assert math.isnan(first.get(pm25, "福田区", 2020)) and first.get(pm25, "龙岗区", 2020) == 30.0
    assert math.isnan(first.get(good, "福田区", 2020)) and first.get(good, "龙岗区", 2020) == 100.0
    assert told(first) == [
        ("QR243", 3, "row 3, column 'volume': -100: a value in 立方米 cannot be negative; the first of 2 such values "
                     "in the column: 工业废水达标排放率 unknown for their regions and years"),
        ("QR243", 2, "row 2, column 'aqi': -20: a value in 点 cannot be negative; the first of 2 such values in the "
                     "column: 空气质量优良天数比例 unknown for their regions and years"),
        ("QR243", 2, "row 2, column 'pm25': -50: a value in 微克/立方米 cannot be negative; PM2.5年均浓度 unknown "
                     "for its region and year")]
    row = first.for_evaluation()[0]
    sources = {(r, i, y): note for r, i, y, note in zip(row["region"], row["indicator"], row["year"], row["source"],
                                                         strict=True)}
    assert sources[("深圳市", rate, 2015)] == "6 records (a negative value in 'volume': unknown)"
    forms: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (frames, {"chunk_rows": 1, "threads": 2}),
        ({k: pl.from_pandas(v) for k, v in frames.items()}, {}),
        ({k: pa.Table.from_pandas(v, preserve_index=False) for k, v in frames.items()}, {"chunk_rows": 3}),
        ({k: {c: v[c].to_numpy() for c in v} for k, v in frames.items()}, {}),
        ({k: folder / f"{k}.parquet" for k in frames}, {"threads": 2}),
        ({k: tmp_path / f"{k}.csv" for k in frames}, {"chunk_rows": 2}),
        ({k: dd.from_pandas(v, npartitions=3) for k, v in frames.items()}, {"backend": "dask",
                                                                         "scheduler": "synchronous"}),
    ]
    for records, options in forms:
        table = computed(records, **options)
        assert table.region == first.region and table.indicator == first.indicator
        assert np.array_equal(table.value, first.value, equal_nan=True)
        assert told(table) == told(first), records
    report = qualityrules.check_records(pack, frames, hierarchy=tree)
    assert report.verdict("龙岗区", 2015, rate) == "unknown" and not report.failed
    assert "QR243" in [w.code for w in report.warnings]
    # a count of batches that is not whole (a thousands separator read as a decimal point)
    batches = pd.DataFrame({"district": ["龙岗区", "龙岗区"], "date": ["2015-01-01", "2015-02-01"],
                            "passed": [3.601, 2.0], "batches": [4.0, 2.0]})
    counted = compute_indicators(pack.catalogue.indicators, {"inspections": batches})
    assert math.isnan(counted.get("重点产品市场抽检合格率", "龙岗区", 2015))
    assert [(w.code, w.line) for w in counted.warnings] == [("QR245", 2)]
    assert "3.601: a count (批次) is a whole number" in str(counted.warnings[0].message)


def _said(table: Any, code: str, rows: Callable[[str], int]) -> dict[str, tuple[int, int]]:
    """What the warnings of ``code`` say of each column: (line, how many rows, read by ``rows``)."""
    said = {}
    for warning in table.warnings:
        if warning.code == code:
            assert warning.severity is Severity.WARNING
            where = re.search(r"row (\d+), column '([^']*)'", warning.message)
            assert where is not None and warning.line == int(where.group(1))
            said[where.group(2)] = (warning.line, rows(warning.message))
    return said


def unassigned_said(table: Any) -> dict[str, tuple[int, int]]:
    """What QR215 says of each column: (line, rows without a region or date)."""
    return _said(table, "QR215", lambda message: int(many.group(1))
                 if (many := re.search(r"the first of (\d+) rows", message)) else 1)


def totals_said(table: Any) -> dict[str, tuple[int, int]]:
    """What QR216 says of each column: (line, totals rows)."""
    return _said(table, "QR216", lambda message: int(more.group(1)) + 1
                 if (more := re.search(r"as are (\d+) more totals row", message)) else 1)


def test_rows_without_a_region_or_a_date_are_located_in_a_warning(tmp_path: Path) -> None:
    """A record with no region (null, NaN, empty, a "no data" word) or no date (null, NaT, an
    empty cell) counts in no region-year: never silently, QR215 names the column, the first such
    row as a spreadsheet numbers it and how many there are, in every input form and for any
    chunking, threads or Dask partitioning; the other rows' values are those of the records
    without them, and a region outside the pack's area is no such row (QR240 says so)."""
    pack = qualityrules.load_pack("longgang-2015")
    rate = "工业废水达标排放率"
    data = pd.DataFrame({
        "district": pd.Series(["龙岗区", np.nan, "龙岗区", "—", "福田区", "龙岗区", ""], dtype=object),
        "sample_date": pd.to_datetime(["2015-01-05", "2015-03-01", None, "2015-02-01", "2015-06-01", None,
                                       "2015-04-01"]),
        "volume": [100.0, 30.0, 50.0, 40.0, 10.0, 20.0, 5.0],
        "compliant": [True, False, False, False, True, False, False],
    })
    kept = data.iloc[[0, 4]]
    expected = as_dict(compute_indicators(pack, {"wastewater": kept}))
    assert compute_indicators(pack, {"wastewater": kept}).warnings == ()
    said = {"district": (3, 3), "sample_date": (4, 2)}
    parquet = tmp_path / "wastewater.parquet"
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), parquet, row_group_size=2)
    import dask.dataframe as dd

    for source, options in ((data, {}), (data, {"chunk_rows": 1, "threads": 2}), (data, {"chunk_rows": 3}),
                            ({k: data[k].to_numpy() for k in data}, {}), (parquet, {"threads": 2}),
                            (parquet, {"chunk_rows": 1}), (dd.from_pandas(data, npartitions=3), {"backend": "dask"})):
        table = compute_indicators(pack, {"wastewater": source}, **options)
        assert same(as_dict(table), expected) and table.unassigned == {"wastewater": 5}
        assert unassigned_said(table) == said, (source, options)
        assert [w.file for w in table.warnings] == [str(parquet) if source is parquet else "records 'wastewater'"] * 2
    region, date = compute_indicators(pack, {"wastewater": data}).warnings
    assert "no region, the first of 3 rows without one: they count in no region and year" in region.message
    assert region.suggestion == "fill in the region, or remove the rows if they are not records"
    assert "no date, the first of 2 rows without one" in date.message and "fill in the date" in str(date.suggestion)
    # one row: said as one; the Chinese message
    (one,) = compute_indicators(pack, {"wastewater": data.iloc[[0, 1, 4]]}).warnings
    assert "row 3, column 'district': no region: the row counts in no region and year" in one.message
    assert "第3行，列“district”：没有地区：该行不计入任何地区和年份，因而不计入任何指标值" in one.render("zh")
    # a CSV: an empty date cell, at its row as the spreadsheet shows it, with its caret
    csv_path = tmp_path / "wastewater.csv"
    csv_path.write_text("district,sample_date,volume,compliant\n龙岗区,2015-01-05,100,true\n"
                        "福田区,2015-06-01,10,true\n龙岗区,,50,false\n", encoding="utf-8")
    table = compute_indicators(pack, [csv_path])
    (warning,) = table.warnings
    assert (warning.code, warning.file, warning.line, warning.column) == ("QR215", str(csv_path), 4, 5)
    assert "row 4, column 'sample_date': no date: the row counts" in warning.message
    assert same(as_dict(table), expected)
    # a Parquet file with a null region, in check_records' report and on the command line
    nulls = tmp_path / "records" / "wastewater.parquet"
    nulls.parent.mkdir()
    pq.write_table(pa.table({"district": pa.array(["龙岗区", None, "龙岗区"]),
                             "sample_date": pa.array([dt.date(2015, 1, 5)] * 3),
                             "volume": [100.0, 30.0, 10.0], "compliant": [True, False, True]}), nulls)
    report = qualityrules.check_records(pack, {"wastewater": nulls})
    (warning,) = [w for w in report.warnings if w.code == "QR215"]
    assert warning.line == 3 and warning.file == str(nulls) and "column 'district': no region" in warning.message
    assert report.verdict("龙岗区", 2015, rate) == "pass"             # 100 %: the row without a region is in none
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(["check", "longgang-2015", str(nulls), "-q", "--color", "never"]) == 0
    assert f"{nulls}:3:1: warning[QR215]: row 3, column 'district': no region" in err.getvalue()


def test_a_totals_row_of_records_is_no_region(tmp_path: Path) -> None:
    """A records row whose region cell is a totals word (合计, 小计: the last line of an export) is
    no region, as in an indicator table: it counts in no region-year (the values are those without
    it), QR216 shows the first such row, at its cell, with how many — not QR215, even for its empty
    date — in every input form and for any chunking, threads or Dask partitioning; check_records
    has no region 合计 (no QR240) and the verdicts without the row."""
    pack = qualityrules.load_pack("longgang-2015")
    rate = "工业废水达标排放率"
    lines = ["district,sample_date,volume,compliant", "龙岗区,2015-01-05,100,true", "龙岗区,2015-03-01,30,false",
             "龙岗区,,50,true", "龙岗区,2014-06-01,20,true", "合　计,,200,"]
    path, kept = tmp_path / "wastewater.csv", tmp_path / "kept.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kept.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    expected = as_dict(compute_indicators(pack, {"wastewater": kept}))
    assert expected[(rate, "龙岗区", 2015)] == (100 * 100 / 130, 2)
    for options in ({}, {"chunk_rows": 1}, {"chunk_rows": 2, "threads": 2}, {"threads": 2}):
        table = compute_indicators(pack, [path], **options)
        assert same(as_dict(table), expected) and table.unassigned == {"wastewater": 1}, options
        region, date = table.warnings
        assert (region.code, region.severity, region.file, region.line, region.column) == \
            ("QR216", Severity.WARNING, str(path), 6, 1)
        assert region.message == "row 6, column 'district': '合　计' marks a totals row, not a region: the row is left out"
        assert region.span is not None and region.span.end_column == 4      # the caret under the cell
        assert (date.code, date.line) == ("QR215", 4) and "no date: the row counts" in date.message
    # two totals rows, the first of them said, with the count: every input form, any chunking
    data = pd.read_csv(path, dtype={"district": "str"}).assign(sample_date=lambda d: pd.to_datetime(d.sample_date))
    data = pd.concat([data.iloc[:1].assign(district="小计"), data], ignore_index=True)
    said = {"district": (2, 2)}
    categorical = data.assign(district=pd.Categorical(data["district"], categories=["总计", "龙岗区", "小计", "合　计"]))
    parquet = tmp_path / "wastewater.parquet"
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), parquet, row_group_size=2)
    xlsx = tmp_path / "wastewater.xlsx"
    data.to_excel(xlsx, index=False)
    import dask.dataframe as dd
    import polars as pl

    polars = pl.from_pandas(data).with_columns(pl.col("district").cast(pl.Categorical))     # (unsigned codes)
    for source, options in ((data, {}), (data, {"chunk_rows": 1, "threads": 2}), (data, {"chunk_rows": 2}),
                            (categorical, {}), (categorical, {"chunk_rows": 2, "threads": 2}),
                            (polars, {}), (polars, {"chunk_rows": 2}),
                            (pa.Table.from_pandas(categorical, preserve_index=False), {"chunk_rows": 3}),
                            ({k: data[k].to_numpy() for k in data}, {"chunk_rows": 1}),
                            (pa.Table.from_pandas(data, preserve_index=False), {}), (parquet, {"threads": 2}),
                            (parquet, {"chunk_rows": 1}),
                            (dd.from_pandas(data, npartitions=3), {"backend": "dask"}),
                            (dd.from_pandas(data, npartitions=7), {"backend": "dask"})):
        table = compute_indicators(pack, {"wastewater": source}, **options)
        assert same(as_dict(table), expected), (source, options)
        assert totals_said(table) == said and unassigned_said(table) == {"sample_date": (5, 1)}, (source, options)
        assert table.unassigned == {"wastewater": 1}
    table = compute_indicators(pack, {"wastewater": xlsx}, chunk_rows=2)      # a sheet names the cell
    assert same(as_dict(table), expected)
    assert [(w.code, w.line) for w in table.warnings] == [("QR216", 2), ("QR215", 5)] and table.warnings[0].column == 1
    assert table.warnings[0].message == "cell A2: '小计' marks a totals row, not a region: the row is left out, as are 1 " \
        "more totals row(s)"
    # check_records: no region 合计 (QR240), the verdicts of the records without the totals rows
    report = qualityrules.check_records(pack, {"wastewater": data})
    assert sorted(w.code for w in report.warnings) == ["QR215", "QR216"]
    assert report.results() == qualityrules.check_records(pack, {"wastewater": data[~data.district.map(is_total)]}
                                                          ).results()
    assert report.verdict("龙岗区", 2015, rate) == "fail"
    # integer region codes are never totals; a column of numbers and words is text
    mixed = data.assign(district=pd.Series([7, 7, 7, 7, 7, "合计"], dtype=object))
    table = compute_indicators(pack, {"wastewater": mixed})
    assert set(table.region) == {"7"} and totals_said(table) == {"district": (7, 1)}


def test_a_condition_on_a_text_column_holding_a_totals_word_is_a_condition() -> None:
    """Only the region column of a grouping reads 合计 as a totals row: a condition on another
    text column compares its cells as written (a category of 合计 records is a category)."""
    catalogue = indicators("".join(
        f"indicator {name} {{\n    unit 个\n    direction higher\n    from t\n    region 地区\n"
        f"    date 日期\n    value count(where 类别 {op} \"合计\")\n}}\n" for name, op in (("合计类", "=="), ("其他类", "!="))))
    data = pd.DataFrame({"地区": ["甲", "甲", "乙", "甲", "合计"],
                         "日期": pd.to_datetime(["2015-01-01", "2015-02-01", "2015-03-01", "2015-04-01", "2015-12-31"]),
                         "类别": ["合计", "其他", "合计", "合 计", "合计"]})
    # (合 计 is not 合计 to a condition: cells compare as written, a region cell is read as a totals word)
    expected = {("合计类", "甲", 2015): (1.0, 3), ("合计类", "乙", 2015): (1.0, 1),
                ("其他类", "甲", 2015): (2.0, 3), ("其他类", "乙", 2015): (0.0, 1)}
    for source, options in ((data, {}), (data, {"chunk_rows": 1, "threads": 2}),
                            (data.assign(类别=data["类别"].astype("category")), {"chunk_rows": 2})):
        table = compute_indicators(catalogue, {"t": source}, **options)
        assert same(as_dict(table), expected), options
        assert totals_said(table) == {"地区": (6, 1)} and [w.code for w in table.warnings] == ["QR216"]


def test_a_region_outside_the_pack_is_not_a_row_without_a_region() -> None:
    pack = qualityrules.load_pack("longgang-2015")
    data = pd.DataFrame({"district": ["龙岗区", "福田区"], "sample_date": ["2015-01-05", "2015-02-01"],
                         "volume": [1.0, 2.0], "compliant": [True, True]})
    assert compute_indicators(pack, {"wastewater": data}).warnings == ()
    report = qualityrules.check_records(pack, {"wastewater": data})
    assert [w.code for w in report.warnings] == ["QR240"]


def test_min_records_makes_the_value_unknown_and_flags_it() -> None:
    rows = [{"地区": "甲", "日期": dt.date(2015, 1, d), "v": 1.0, "a": float(d), "ok": True, "grade": "合格"}
            for d in (1, 2)]
    table = compute_indicators(INDICATORS, {"t": frame(rows)})
    index = table.indicator.index("均值")
    assert math.isnan(table.value[index])
    assert not table.sufficient[index] and table.records[index] == 2 and table.min_records[index] == 3
    assert table.rows()[index]["value"] is None


def test_hierarchy_from_rows_and_errors() -> None:
    tree = Hierarchy([("龙城站", "龙岗区", "深圳市", "广东省"), ("福田站", "福田区", "深圳市")])
    assert tree.ancestors("龙城站") == ["龙岗区", "深圳市", "广东省"]
    with pytest.raises(DataError) as cycle:
        Hierarchy({"甲": "乙", "乙": "甲"})
    assert cycle.value.code == "QR208"
    with pytest.raises(DataError) as twice:
        Hierarchy([("甲", "乙"), ("甲", "丙")])
    assert "two parents" in str(twice.value)


def test_hierarchy_file_delimiter_and_encoding(tmp_path: Path) -> None:
    semicolons = tmp_path / "regions.csv"
    semicolons.write_text("station;district;city\n龙城站;龙岗区;深圳市\n福田站;福田区;深圳市\n", encoding="utf-16")
    assert Hierarchy.read(semicolons).ancestors("龙城站") == ["龙岗区", "深圳市"]
    undecodable = tmp_path / "bad.csv"
    undecodable.write_bytes(b"\xef\xbb\xbfchild,parent\n\xff\xfe,x\n")
    with pytest.raises(DataError) as error:
        Hierarchy.read(undecodable)
    assert error.value.code == "QR202" and error.value.diagnostic.line == 2


def test_plan_fuses_shared_aggregates() -> None:
    plan = compile_plan(INDICATORS)
    assert len(plan.groupings) == 1
    passes = plan.groupings[0].passes
    # 6 distinct conditions + 2 measured columns = 8 bits: more than one pass holds, each bit once
    bits = [b for p in passes for b in p.bits]
    assert len(passes) == 2 and all(len(p.bits) <= 6 for p in passes)
    assert len({b for b in bits if not isinstance(b, str)}) == len([b for b in bits if not isinstance(b, str)]) == 6
    for p in passes:
        assert len(p.sums) == len(set(p.sums))
    assert plan.schema("t") == {"地区": "region", "日期": "date", "ok": "flag", "v": "number", "a": "number",
                                "grade": "text"}
    shipped = compile_plan(qualityrules.load_pack("shenzhen-2020"))
    assert all(len(g.passes) == 1 for g in shipped.groupings)


def test_schema_and_read_kinds_agree_text_over_number() -> None:
    from qualityrules.records.plan import read_kinds

    text = """\
indicator 总和 {
    unit 个
    direction higher
    from t
    region 地区
    date 日期
    value sum(g)
}
indicator 比例 {
    unit %
    direction higher
    from t
    region 站点
    date 日期
    value 100 * share(where g == "x")
}
"""
    plan = compile_plan(indicators(text))
    assert len(plan.groupings) == 2
    assert plan.schema("t")["g"] == read_kinds(plan, "t")["g"] == "text"
    assert plan.schema("t") == read_kinds(plan, "t")
    assert [g.columns()["g"] for g in plan.groupings] == ["number", "text"]


def test_equal_conditions_share_one_bit() -> None:
    text = CATALOGUE.replace("value 100 * share(where a <= 100)", "value 100 * share(where not (a > 100))")
    assert compile_plan(indicators(text)).groupings == compile_plan(INDICATORS).groupings
    assert Compare("a", "<=", 100.0) in {b for p in compile_plan(INDICATORS).groupings[0].passes for b in p.bits}


def test_limbs_are_exact_and_order_independent() -> None:
    values = [0.1, 0.2, 0.3, 1e16, -1e16, 5e-324, 2.0 ** 900]
    forward, backward = Limbs((1,)), Limbs((1,))
    from qualityrules.records.scan import _window_sums

    for order, acc in ((values, forward), (values[::-1], backward)):
        for v in order:
            _window_sums(np.zeros(1, np.intp), np.array([v]), 1, acc)
    assert forward.exact() == backward.exact()
    (n,), e = forward.exact()
    assert Fraction(n) * Fraction(2) ** e == sum(map(Fraction, values), Fraction(0))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e280, max_value=1e280), min_size=1,
                max_size=300), st.integers(-300, 250), st.sampled_from(["as drawn", "positive", "negative"]),
       st.data())
def test_window_sums_are_exact_on_any_values(values: list[float], exponent: int, sign: str,
                                             data: st.DataObject) -> None:
    from qualityrules.records.scan import _window_sums

    x = np.array(values) if sign == "as drawn" else np.abs(values) * (1 if sign == "positive" else -1)
    if sign != "as drawn":       # one sign, a narrow range: the two-slice shortcut
        x = x / np.maximum(np.abs(x).max(), 1e-300) * 0.5 + (1.0 if sign == "positive" else -1.0)
        x = x * 2.0 ** exponent
    code = np.array(data.draw(st.lists(st.integers(0, 3), min_size=len(x), max_size=len(x))))
    missing = np.array(data.draw(st.lists(st.booleans(), min_size=len(x), max_size=len(x))))
    x = np.where(missing, np.nan, x)
    code = np.where(missing, 4, code)            # missing rows sit in a bin that is never read
    acc = Limbs((5,))
    _window_sums(code, x, 5, acc)
    sums, e = acc.exact()
    for b in range(4):
        assert Fraction(sums[b]) * Fraction(2) ** e == sum(map(Fraction, x[code == b].tolist()), Fraction(0))


SPECIAL = st.sampled_from([math.nan, math.inf, -math.inf, 0.1 + 0.2, 1e280, 5e-324])
CELL = st.one_of(st.builds(lambda digits, places: digits / 10 ** places, st.integers(-10 ** 17, 10 ** 17),
                           st.integers(0, 6)),
                 SPECIAL, st.floats(allow_nan=False, allow_infinity=False, min_value=-1e280, max_value=1e280))
# a block of one kind: decimals of one scale (a few of them special), or anything
BLOCK = st.one_of(
    st.integers(0, 6).flatmap(lambda places: st.lists(st.tuples(st.one_of(
        st.integers(-10 ** 6, 10 ** 6).map(lambda digits: digits / 10 ** places), SPECIAL), st.integers(0, 3)),
        max_size=40)),
    st.lists(st.tuples(CELL, st.integers(0, 3)), max_size=40))


@settings(max_examples=200, deadline=None)
@given(st.lists(BLOCK, min_size=1, max_size=6), st.booleans())
def test_block_sums_are_exact_whatever_the_scales_of_successive_blocks(blocks: list[list[tuple[float, int]]],
                                                                       one_sign: bool) -> None:
    """Blocks of a column summed one after the other, as the scan does (the scale of the previous
    block tried first, the bins' row counts carried by the sum's bincount when they fit): every
    bin's sum is the exact sum of its records' decimals and every bin's count its rows, whether a
    block is of the previous block's scale, of more or fewer places, of both signs, too large for
    one float sum, or not short decimals at all."""
    from qualityrules.records.scan import ExactSum, _Scale, _Scratch, _sum_block

    scale, acc, expected = _Scale(), ExactSum((8,)), [Fraction(0)] * 4
    counts, expected_counts = np.zeros(8, np.int64), np.zeros(8, np.int64)
    for block in blocks:
        x = np.array([abs(v) if one_sign else v for v, _ in block], np.float64)
        present = np.isfinite(x)
        code = np.array([g for _, g in block], np.intp) * 2 + present   # missing rows: bins never read
        if not _sum_block(code, x, present, None, 8, acc, _Scratch(max(len(x), 1)), scale, counts):
            counts += np.bincount(code, minlength=8)
        expected_counts += np.bincount(code, minlength=8)
        for value, group in zip(x.tolist(), code.tolist(), strict=True):
            if math.isfinite(value):
                expected[group // 2] += value_of(value)
    numerators, denominator = acc.exact()
    assert [Fraction(n, denominator) for n in numerators[1::2]] == expected
    assert counts.tolist() == expected_counts.tolist()


# ------------------------------------------------------------------------------------------
# Files


def test_csv_and_parquet_files_give_the_in_memory_result(tmp_path: Path) -> None:
    pack = qualityrules.load_pack("longgang-2015")
    data = wastewater()
    expected = as_dict(compute_indicators(pack, {"wastewater": data}))
    csv_path = tmp_path / "wastewater.csv"
    data.to_csv(csv_path, index=False)
    assert same(as_dict(compute_indicators(pack, [csv_path])), expected)
    assert same(as_dict(compute_indicators(pack, [csv_path], chunk_rows=2)), expected)
    gbk = tmp_path / "wastewater-gbk.csv"
    gbk.write_bytes(csv_path.read_text(encoding="utf-8").encode("gb18030"))
    assert same(as_dict(compute_indicators(pack, {"wastewater": gbk})), expected)
    parquet = tmp_path / "wastewater.parquet"
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), parquet, row_group_size=2)
    # row groups read and scanned by one thread or by two, or (larger than chunk_rows) read in pieces
    for options in ({}, {"threads": 1}, {"threads": 2}, {"threads": 2, "chunk_rows": 1}):
        assert same(as_dict(compute_indicators(pack, str(parquet), **options)), expected)


def test_parquet_row_groups_scanned_in_parallel_report_the_first_error(tmp_path: Path) -> None:
    """Row groups are decoded and scanned by several threads, yet an error is the one a reader
    going row by row would meet first, naming its file row."""
    dates = ["2015-01-01"] * 40
    dates[23], dates[37] = "tomorrow", "yesterday"
    data = pd.DataFrame({"district": ["龙岗区"] * 40, "sample_date": dates, "volume": [1.0] * 40,
                         "compliant": [True] * 40})
    path = tmp_path / "wastewater.parquet"
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), path, row_group_size=3)
    for threads in (1, 2):
        with pytest.raises(DataError) as error:
            compute_indicators(qualityrules.load_pack("longgang-2015"), [path], threads=threads)
        assert error.value.diagnostic.line == 25 and "'tomorrow'" in error.value.diagnostic.message


def test_a_slow_parquet_row_group_does_not_hold_up_the_workers(tmp_path: Path, monkeypatch: Any) -> None:
    """While one worker scans a slow row group, the other goes on with the next ones (it does not
    wait for the oldest to finish), each freeing its columns once scanned; states still merge in
    file order, to the result of one thread."""
    import threading

    from qualityrules.records import compute

    pack = qualityrules.load_pack("longgang-2015")
    data = wastewater().dropna(subset=["district"])
    path = tmp_path / "wastewater.parquet"
    pq.write_table(pa.Table.from_pandas(data, preserve_index=False), path, row_group_size=1)
    expected = as_dict(compute_indicators(pack, [path], threads=1))
    last = threading.Event()        # the last row group is scanned: only then may the first finish
    scanned = []
    original = compute.scan_chunk

    def scan(grouping: Any, chunk: Any, *args: Any) -> Any:
        if chunk.offset == 0:
            assert last.wait(timeout=10), "the other worker waited for the first row group"
        state = original(grouping, chunk, *args)
        scanned.append(chunk)
        if chunk.offset == len(data) - 1:
            last.set()
        return state

    monkeypatch.setattr(compute, "scan_chunk", scan)
    assert same(as_dict(compute_indicators(pack, [path], threads=2)), expected)
    assert len(scanned) == len(data) and not any(chunk.deferred or chunk._batch.columns for chunk in scanned)


def test_unparseable_date_points_at_the_csv_cell(tmp_path: Path) -> None:
    path = tmp_path / "wastewater.csv"
    path.write_text("district,sample_date,volume,compliant\n龙岗区,2015-01-01,1,true\n\n"
                    "龙岗区,2015-13-45,2,false\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        compute_indicators(qualityrules.load_pack("longgang-2015"), [path])
    diagnostic = error.value.diagnostic
    assert diagnostic.code == "QR206"
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == (str(path), 4, 5)
    assert "'2015-13-45'" in diagnostic.message and "row 4" in diagnostic.message   # as a spreadsheet counts
    assert "^^^^^^^^^^" in diagnostic.render()


def test_impossible_dates_are_errors_not_the_next_year() -> None:
    data = wastewater().assign(sample_date=["2015-01-01"] * 5 + ["2015-12-32"])
    with pytest.raises(DataError) as error:
        compute_indicators(qualityrules.load_pack("longgang-2015"), {"wastewater": data})
    assert error.value.code == "QR206" and "'2015-12-32'" in error.value.diagnostic.message
    assert "row 7, column 'sample_date'" in error.value.diagnostic.message     # the header is row 1


def test_unparseable_number_and_flag_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "wastewater.csv"
    path.write_text("district,sample_date,volume,compliant\n龙岗区,2015-01-01,1,true\n"
                    "龙岗区,2015-01-02,12吨,false\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        compute_indicators(qualityrules.load_pack("longgang-2015"), [path])
    assert (error.value.code, error.value.diagnostic.line) == ("QR206", 3)
    assert "'12吨'" in error.value.diagnostic.message
    path.write_text("district,sample_date,volume,compliant\n龙岗区,2015-01-01,1,也许\n", encoding="utf-8")
    with pytest.raises(DataError) as flag:
        compute_indicators(qualityrules.load_pack("longgang-2015"), [path])
    assert flag.value.code == "QR206" and flag.value.diagnostic.line == 2


@pytest.mark.parametrize("values", [[1, 2, 2], [1.0, 0.5, 0.5], [1, -1, -1]])
def test_a_number_flag_other_than_1_or_0_is_an_error_in_every_form(values: list[float], tmp_path: Path) -> None:
    """A 1=是/2=否 form's 2 is no true: a number column reads 1 and 0 only, as a text column reads
    '1' and '0' — in memory (numpy, pandas, Arrow) and from Parquet, never true for not being 0."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pack = qualityrules.load_pack("longgang-2015")
    table = {"district": ["龙岗区"] * 3, "sample_date": ["2015-03-01", "2015-06-01", "2015-09-01"],
             "volume": [100.0] * 3, "compliant": np.array(values)}
    pq.write_table(pa.table(table), tmp_path / "wastewater.parquet")
    for form in (table, pd.DataFrame(table), pa.table(table), tmp_path / "wastewater.parquet"):
        records = [form] if isinstance(form, Path) else {"wastewater": form}
        with pytest.raises(DataError) as error:
            compute_indicators(pack, records)
        assert (error.value.code, error.value.diagnostic.line) == ("QR206", 3), form
        assert f"cannot read {values[1]:g} as true/false" in error.value.diagnostic.message
    table["compliant"] = np.array([1, 0, 0])
    assert compute_indicators(pack, {"wastewater": table}).value[0] == pytest.approx(100 / 3)


def test_missing_column_suggests_the_near_name(tmp_path: Path) -> None:
    path = tmp_path / "wastewater.csv"
    path.write_text("district,sample_date,volumes,compliant\n龙岗区,2015-01-01,1,true\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        compute_indicators(qualityrules.load_pack("longgang-2015"), [path])
    assert error.value.code == "QR204"
    assert "'volume'" in error.value.diagnostic.message
    assert error.value.suggestion is not None and "volumes" in error.value.suggestion


def test_wrong_types_in_memory() -> None:
    pack = qualityrules.load_pack("longgang-2015")
    data = wastewater()
    data["sample_date"] = [20150101] * len(data)
    with pytest.raises(DataError) as error:
        compute_indicators(pack, {"wastewater": data})
    assert error.value.code == "QR207" and "sample_date" in error.value.diagnostic.message
    data = wastewater()
    data["volume"] = ["1", "2", "1,5", "4", "无", "6"]   # "无" is a missing cell, "1,5" is not a number
    with pytest.raises(DataError) as bad:
        compute_indicators(pack, {"wastewater": data})
    assert bad.value.code == "QR206" and "row 4" in bad.value.diagnostic.message


def test_parquet_text_date_error_names_the_row(tmp_path: Path) -> None:
    data = wastewater().assign(sample_date=["2015-01-01"] * 5 + ["tomorrow"])
    path = tmp_path / "wastewater.parquet"
    data.to_parquet(path, index=False)
    with pytest.raises(DataError) as error:
        compute_indicators(qualityrules.load_pack("longgang-2015"), [path])
    diagnostic = error.value.diagnostic
    assert diagnostic.code == "QR206" and diagnostic.file == str(path) and diagnostic.line == 7
    assert "row 7, column 'sample_date'" in diagnostic.message


def test_unmatched_record_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "wastwater.csv"
    path.write_text("x\n1\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        compute_indicators(qualityrules.load_pack("longgang-2015"), [path])
    assert error.value.code == "QR209" and "wastewater" in (error.value.suggestion or "")


def test_excel_records_and_overflowing_weights_are_errors(tmp_path: Path) -> None:
    pack = qualityrules.load_pack("longgang-2015")
    data = wastewater()
    path = tmp_path / "wastewater.xlsx"
    data.assign(sample_date=data["sample_date"].astype(str)).to_excel(path, index=False)
    assert same(as_dict(compute_indicators(pack, [path])), as_dict(compute_indicators(pack, {"wastewater": data})))
    with pytest.raises(DataError) as missing:
        compute_indicators(pack, [tmp_path / "missing" / "wastewater.xlsx"])
    assert missing.value.code == "QR201"
    rows = [{"地区": "甲", "日期": dt.date(2015, 1, 1), "v": 1e200, "a": 1e200, "ok": True, "grade": "合格"}]
    with pytest.raises(DataError) as overflow:
        compute_indicators(INDICATORS, {"t": frame(rows)})
    assert overflow.value.code == "QR206" and "weighted mean" in overflow.value.diagnostic.message


def test_ordering_a_flag_is_a_definition_error() -> None:
    text = CATALOGUE.replace("value 100 * sum(v where ok) / sum(v)", "value sum(v where ok > true)")
    with pytest.raises(RuleSyntaxError) as error:
        compile_plan(indicators(text))
    assert error.value.code == "QR012"


def test_errors_survive_pickling() -> None:
    import pickle

    error = DataError(qualityrules.Diagnostic("QR206", "bad"))
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, QualityRulesError) and again.code == "QR206"


# ------------------------------------------------------------------------------------------
# Command line and evaluation


def test_check_command_reads_record_files_next_to_indicator_data(tmp_path: Path, capsys: Any) -> None:
    from qualityrules.cli import main

    wastewater().to_csv(tmp_path / "wastewater.csv", index=False)
    air = pd.DataFrame({"district": ["龙岗区"] * 4, "day": pd.date_range("2015-01-01", periods=4),
                        "aqi": [50.0, 60.0, np.nan, 120.0], "pm25": [1.0, 2.0, 3.0, 4.0]})
    air.to_parquet(tmp_path / "air_daily.parquet", index=False)
    (tmp_path / "stats.csv").write_text("region,year,万元GDP能耗\n龙岗区,2015,0.45\n", encoding="utf-8")
    code = main(["check", "longgang-2015", str(tmp_path / "wastewater.csv"), str(tmp_path / "air_daily.parquet"),
                 str(tmp_path / "stats.csv"), "--region", "龙岗区", "--year", "2015", "--no-progress"])
    out = capsys.readouterr().out
    assert "stats.csv + records" in out
    assert re.search(r"FAIL\s+工业废水达标排放率\s.*66\.66666667", out)      # 100 of 150 m³ compliant
    assert re.search(r"FAIL\s+空气质量优良天数比例\s.*\b50\b", out)          # 2 of 4 days, the NaN day counted
    assert re.search(r"pass\s+万元GDP能耗", out)
    assert code == 1


def test_indicators_command_writes_csv_and_reports_progress(tmp_path: Path, capsys: Any) -> None:
    from qualityrules.cli import main

    wastewater().to_csv(tmp_path / "wastewater-2015.csv", index=False)
    (tmp_path / "tree.csv").write_text("child,parent\n龙岗区,深圳市\n福田区,深圳市\n", encoding="utf-8")
    assert main(["indicators", "longgang-2015", str(tmp_path / "wastewater-2015.csv"), "--hierarchy",
                 str(tmp_path / "tree.csv"), "--progress"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "region,year,indicator,value,unit,records,min_records,sufficient"
    assert "深圳市,2015,工业废水达标排放率,62.5,%,4,0,true" in lines
    assert "wastewater-2015.csv: 6 rows" in captured.err
    assert main(["indicators", "longgang-2015", str(tmp_path / "tree.csv")]) == 2
    assert "QR301" in capsys.readouterr().err


def test_check_records_below_min_records_is_unknown_never_fail() -> None:
    from qualityrules.packs.resolve import Catalogue, resolve_text

    catalogue, problems = Catalogue.build(INDICATORS)
    assert not problems
    pack = resolve_text("pack t-2015 {\n    region 甲\n    level district\n    period 2015..2015\n"
                        "    section s {\n        均值 <= 10微克/立方米\n        优良比例 >= 50%\n    }\n}\n",
                        catalogue=catalogue)
    rows = [{"地区": "甲", "日期": dt.date(2015, 1, d), "v": 1.0, "a": 99.0, "ok": True, "grade": "合格"}
            for d in (1, 2)]
    report = qualityrules.check_records(pack, {"t": frame(rows)})
    assert report.verdict("甲", 2015, "均值") == "unknown"        # mean 99 > 10, but only 2 < 3 records
    assert report.verdict("甲", 2015, "优良比例") == "pass"
    # the computed table goes straight into evaluate() too
    table = qualityrules.compute_indicators(pack, {"t": frame(rows)})
    direct = qualityrules.evaluate(pack, table)
    assert direct.verdict("甲", 2015, "均值") == "unknown" and direct.verdict("甲", 2015, "优良比例") == "pass"
    rows.append({"地区": "甲", "日期": dt.date(2015, 1, 3), "v": 1.0, "a": 99.0, "ok": True, "grade": "合格"})
    assert qualityrules.evaluate(pack, qualityrules.compute_indicators(pack, {"t": frame(rows)})).verdict(
        "甲", 2015, "均值") == "fail"                              # three records: the mean now decides


def test_indicators_schema_lists_the_columns_each_table_needs(capsys: Any) -> None:
    from qualityrules.cli import main

    assert main(["indicators", "longgang-2015", "--schema"]) == 0
    out = capsys.readouterr().out
    assert "wastewater  (工业废水达标排放率)" in out
    assert re.search(r"^    compliant\s+flag$", out, re.MULTILINE)
    assert re.search(r"^    sample_date\s+date$", out, re.MULTILINE)


def test_year_column_numeric_regions_and_text_years() -> None:
    by_year = indicators(CATALOGUE.replace("date 日期", "year 年份"))
    data = {"地区": np.array([101, 101, 102]), "年份": np.array(["2015年", "2015", None], dtype=object),
            "v": np.array([1.0, 2.0, 3.0]), "a": np.array([50.0, 150.0, np.nan]),
            "ok": np.array([True, False, True]), "grade": np.array(["合格", "不合格", "合格"], dtype=object)}
    table = compute_indicators(by_year, {"t": data}, hierarchy={101: "甲区", 102: "甲区"})
    assert table.get("优良比例", "101", 2015) == 50.0
    assert table.get("优良比例", "甲区", 2015) == 50.0 and table.unassigned["t"] == 1
    assert unassigned_said(table) == {"年份": (4, 1)} and "no year: the row counts" in table.warnings[0].message
    data["年份"] = np.array([2015.0, 2015.5, np.nan])
    with pytest.raises(DataError) as error:
        compute_indicators(by_year, {"t": data})
    assert error.value.code == "QR206" and "2015.5" in error.value.diagnostic.message


def test_record_years_are_read_like_indicator_data_years() -> None:
    by_year = indicators(CATALOGUE.replace("date 日期", "year 年份"))
    data = {"地区": np.array(["甲", "甲", "甲", "甲"]),
            "年份": np.array(["2015年度", "2015年", " 2015.0 ", "２０１６"], dtype=object),
            "v": np.ones(4), "a": np.array([50.0, 150.0, 50.0, 50.0]), "ok": np.ones(4, bool),
            "grade": np.array(["合格"] * 4, dtype=object)}
    table = compute_indicators(by_year, {"t": data})
    assert table.get("优良比例", "甲", 2015) == float(Fraction(200, 3)) and table.get("优良比例", "甲", 2016) == 100.0
    data["年份"] = np.array(["2015年度", "2015年末", None, "2015"], dtype=object)
    with pytest.raises(DataError) as error:
        compute_indicators(by_year, {"t": data})
    assert error.value.code == "QR206" and "2015年末" in error.value.diagnostic.message


def test_text_time_stamps_with_a_zone_are_read_on_the_day_written(tmp_path: Path) -> None:
    """ISO time stamps as monitoring systems export them — a zone offset, ``Z``, fractions of a
    second — are read on the day they write (the wall time in their own zone, as a zoned
    timestamp column is), in a CSV as in memory; a day that does not exist stays an error."""
    stamps = ["2015-12-31T23:30:00+08:00", "2016-01-01T00:30:00.250+0800", "2015-06-01T08:00:00Z",
              "2016-03-01 08:00:00", "2016-03-02T09:15:00-05"]
    data = {"地区": np.array(["甲"] * 5), "日期": np.array(stamps, dtype=object), "v": np.ones(5),
            "a": np.array([50.0, 150.0, 50.0, 50.0, 150.0]), "ok": np.ones(5, bool),
            "grade": np.array(["合格"] * 5, dtype=object)}
    table = compute_indicators(INDICATORS, {"t": data})
    assert table.get("优良比例", "甲", 2015) == 100.0 and table.get("优良比例", "甲", 2016) == float(Fraction(100, 3))
    path = tmp_path / "t.csv"
    path.write_text("地区,日期,v,a,ok,grade\n" + "".join(f"甲,{s},1,{a},true,合格\n" for s, a in
                                                       zip(stamps, data["a"].tolist(), strict=True)), encoding="utf-8")
    assert same(as_dict(compute_indicators(INDICATORS, {"t": path})), as_dict(table))
    for wrong in ("2015-02-30T08:00:00+08:00", "2015-12-31T23:30:00+25:00", "2015-12-31T23:30:00+08:61"):
        data["日期"] = np.array([wrong, *stamps[1:]], dtype=object)    # no day; no zone (at most ±14:00)
        with pytest.raises(DataError) as error:
            compute_indicators(INDICATORS, {"t": data})
        assert error.value.code == "QR206" and wrong in error.value.diagnostic.message


def test_time_zones_give_the_local_year_and_other_containers_work() -> None:
    import polars as pl

    stamps = pd.Series(pd.to_datetime(["2015-12-31T20:00:00Z", "2015-06-01T00:00:00Z"])).dt.tz_convert("Asia/Shanghai")
    data = pd.DataFrame({"地区": ["甲", "甲"], "日期": stamps, "v": [1.0, 2.0], "a": [1.0, 1.0], "ok": [True, True],
                         "grade": ["合格", "合格"]})
    table = compute_indicators(INDICATORS, {"t": data})
    assert {int(y) for y in table.year} == {2015, 2016}       # 20:00 UTC on 31 Dec is 2016 in Shenzhen
    rows = [{"地区": "甲", "日期": dt.date(2015, 1, 1), "v": 1.0, "a": 2.0, "ok": True, "grade": "合格"}]
    expected = as_dict(compute_indicators(INDICATORS, {"t": frame(rows)}))
    assert same(as_dict(compute_indicators(INDICATORS, {"t": pl.from_pandas(frame(rows))})), expected)
    assert same(as_dict(compute_indicators(INDICATORS, {"t": iter([frame(rows[:0]), frame(rows)])})), expected)
    assert len(compute_indicators(INDICATORS, {"t": frame([])})) == 0


def _many_conditions(count: int) -> list[m.Indicator]:
    terms = " + ".join(f"count(where a > {k})" for k in range(count))
    return indicators(f"indicator 多 {{\n    unit 个\n    direction higher\n    from t\n    region 地区\n"
                      f"    date 日期\n    value {terms}\n}}\n")


def test_an_indicator_of_more_than_eight_conditions_counts_every_one() -> None:
    # Its bits share one pass: the ninth and tenth were shifted out of a byte and never counted.
    a = np.random.default_rng(1).integers(0, 12, 5000).astype(float)
    data = {"地区": np.array(["甲"] * len(a)), "日期": np.array(["2020-01-01"] * len(a)), "a": a}
    table = compute_indicators(_many_conditions(10), {"t": data}, threads=1)
    assert table.value.tolist() == [float(sum(int((a > k).sum()) for k in range(10)))]


def test_bins_of_many_regions_and_bits_are_counted_in_wide_enough_integers() -> None:
    """A row's bin combines its region's number and its condition bits in the narrowest integers
    that hold every bin (bytes, two bytes, four bytes): with hundreds or thousands of regions and
    several bits, each row still counts in its own region's bin, whether the region cells have a
    gap (numbers through a lookup table) or not (used as they are)."""
    rng = np.random.default_rng(11)
    n = 2500
    for count, catalogue in ((300, INDICATORS), (3000, _many_conditions(10))):
        names = [f"区{k}" for k in range(count)]
        for gaps in (False, True):
            records = [{"地区": None if gaps and k % 97 == 0 else names[int(r)],
                        "日期": dt.date(2014, 1, 1) + dt.timedelta(days=int(d)),
                        "v": float(v), "a": float(a), "ok": bool(ok), "grade": "合格"}
                       for k, (r, d, v, a, ok) in enumerate(zip(
                           rng.integers(0, count, n), rng.integers(0, 1000, n), rng.integers(0, 50, n),
                           rng.integers(0, 12, n), rng.random(n) < 0.5, strict=True))]
            table = compute_indicators(catalogue, {"t": frame(records)}, threads=1)
            assert same(as_dict(table), naive(records, catalogue))


def test_an_indicator_of_too_many_conditions_is_refused_where_it_is_defined() -> None:
    data = {"地区": ["甲"], "日期": ["2020-01-01"], "a": [1.0]}
    with pytest.raises(RuleSyntaxError) as caught:
        compute_indicators(_many_conditions(13), {"t": data})
    diagnostic = caught.value.diagnostics[0]
    assert diagnostic.code == "QR012" and "13" in str(diagnostic.message) and diagnostic.span is not None


def test_the_extremes_of_a_long_column_split_over_two_cores_are_the_whole_columns(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from qualityrules.tables import record_chunks

    monkeypatch.setattr(record_chunks, "_PARALLEL_EXTREMES", 8)
    monkeypatch.setattr(record_chunks, "cores", lambda: 2)
    rng = np.random.default_rng(7)
    for n in (8, 9, 1000, 100_001):
        values = rng.integers(-10**12, 10**12, n)
        assert record_chunks._extremes(values) == (int(values.min()), int(values.max()))
    days = np.array(["2020-12-31", "2019-01-01", "2021-06-30"] * 40, "datetime64[D]")
    data = {"地区": np.array(["甲", "乙", "丙"] * 40), "日期": days, "v": np.arange(120.0), "ok": np.ones(120, bool),
            "a": np.full(120, 50.0), "grade": np.array(["合格"] * 120)}
    split = as_dict(compute_indicators(INDICATORS, {"t": data}, threads=1))
    monkeypatch.setattr(record_chunks, "cores", lambda: 1)
    assert same(split, as_dict(compute_indicators(INDICATORS, {"t": data}, threads=1)))
    assert {year for _, _, year in split} == {2019, 2020, 2021}


# ------------------------------------------------------------------------------------------
# Generated definitions: any expression the catalogue language allows, against the reference

NUMBER_TESTS = st.builds(lambda column, op, literal: f"{column} {op} {literal}", st.sampled_from(["a", "v"]),
                         st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
                         st.sampled_from(["0", "0.1", "0.3", "50", "100", "300", "-1"]))
TESTS = st.one_of(NUMBER_TESTS, st.sampled_from(["ok", "ok == true", "ok != true", "ok == false",
                                                  'grade == "合格"', 'grade != "合格"']))
CONDITIONS = st.recursive(TESTS, lambda inner: st.one_of(
    inner.map(lambda c: f"not ({c})"),
    st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})")),
    max_leaves=4)


@st.composite
def aggregates(draw: st.DrawFn) -> str:
    where = draw(st.one_of(st.none(), CONDITIONS))
    function = draw(st.sampled_from(["sum", "mean", "min", "max", "count", "share", "wmean"]))
    column = draw(st.sampled_from(["a", "v"]))
    if function == "share":
        return f"share(where {where or 'ok'})"
    if function == "count":
        argument = draw(st.sampled_from(["", column]))
        return f"count({argument}{' ' if argument and where else ''}{'where ' + where if where else ''})"
    arguments = f"{column}, {'v' if column == 'a' else 'a'}" if function == "wmean" else column
    return f"{function}({arguments}{' where ' + where if where else ''})"


EXPRESSIONS = st.recursive(aggregates(), lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
    inner.map(lambda e: f"100 * ({e})")), max_leaves=4)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EXPRESSIONS, min_size=1, max_size=4), st.lists(ROW, max_size=40), st.integers(1, 15), st.data())
def test_generated_definitions_equal_the_reference(values: list[str], records: list[dict[str, Any]],
                                                    rows: int, data: st.DataObject) -> None:
    """Every combination of aggregates, conditions and arithmetic (several indicators sharing the
    passes of one grouping, bits packed per pass, some with min_records) computes what a row-by-row
    exact reading does, in any row order, rolled up a hierarchy too."""
    catalogue = indicators("".join(
        f"indicator 生成{k} {{\n    unit 个\n    direction higher\n    from t\n    region 地区\n    date 日期\n"
        f"    value {value}\n" + (f"    min_records {k}\n" if k else "") + "}\n" for k, value in enumerate(values)))
    table = frame(records)
    assert same(as_dict(compute_indicators(catalogue, {"t": table}, threads=1)), naive(records, catalogue))
    parents = {"龙岗区": "深圳市", "福田区": "深圳市", "深圳市": "广东省"}
    shuffled = frame(data.draw(st.permutations(records)))
    assert same(as_dict(compute_indicators(catalogue, {"t": shuffled}, hierarchy=parents, chunk_rows=rows, threads=2)),
                naive(records, catalogue, parents))


def test_a_value_beyond_float64_is_infinite_and_unknown_with_its_cell_named() -> None:
    # 1 / 5e-324 = 2e323: this crashed with OverflowError (an internal error, a traceback)
    catalogue = indicators("indicator 比 {\n    unit 个\n    direction higher\n    from t\n    region 地区\n"
                           "    date 日期\n    value sum(a) / sum(v)\n}\n")
    records = [{"地区": "龙岗区", "日期": dt.date(2015, 3, 1), "v": 5e-324, "a": 1.0, "ok": None, "grade": None}]
    table = compute_indicators(catalogue, {"t": frame(records)}, threads=1)
    assert table.value.tolist() == [math.inf] and table.exact == {}
    from qualityrules.packs.resolve import Catalogue, resolve_text

    pack = resolve_text("pack t {\n    region 龙岗区\n    level district\n    period 2015..2015\n"
                        "    section s {\n        比 每年 >= 1个\n    }\n}\n", catalogue=Catalogue.build(catalogue)[0])
    report = qualityrules.check_records(pack, {"t": frame(records)})
    assert report.verdict("龙岗区", 2015, "比") == "unknown"
    assert any(w.code == "QR214" and "龙岗区 2015" in str(w.message) for w in report.warnings)


def test_a_column_has_one_unit() -> None:
    """``column NAME UNIT`` is read and written back; one column of a table declared in two units
    (by two definitions) or twice in one is QR012."""
    from qualityrules.language.format import format_model

    text = ("indicator 甲 {\n    unit 微克/立方米\n    direction lower\n    from t\n    region 地区\n    date 日期\n"
            "    column a 微克/立方米\n    value mean(a)\n}\n")
    (only,) = indicators(text)
    assert only.definition is not None and only.definition.column_units == (("a", "微克/立方米"),)
    assert format_model(indicators(format_model(only))[0]) == format_model(only)
    assert "    column      a 微克/立方米\n" in format_model(only)
    other = text.replace("甲", "乙").replace("column a 微克/立方米", "column a 毫克/立方米")
    with pytest.raises(RuleSyntaxError) as error:
        compile_plan(indicators(text + other))
    assert error.value.diagnostic.code == "QR012" and "column 'a' of t is in 毫克/立方米 for '乙'" in \
        str(error.value.diagnostic.message)
    twice = text.replace("    value", "    column a 微克/立方米\n    value")
    _, diagnostics = parse_text(twice, source="twice.qr")
    assert [d.code for d in diagnostics] == ["QR012"]
