"""A Dask DataFrame says what the same pandas DataFrame says: the same verdicts, and the same
warnings and errors — codes, counts, messages and the rows they point at, numbered in the whole
table — for any partitioning, in the records path (``backend="dask"``: partitions scanned on
workers) and the indicator path (partitions read one after the other)."""

from __future__ import annotations

import json
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import make_pack
from test_records import INDICATORS, as_dict, same

import qualityrules
from qualityrules.errors import Diagnostic, QualityRulesError
from qualityrules.records.compute import compute_indicators

pytestmark = pytest.mark.slow


def shown(diagnostics: Any, rename: tuple[str, str] = ("", "")) -> list[tuple[Any, ...]]:
    """What a user sees of each diagnostic: code, severity, message, where and the line shown
    (``rename``: a table's name in the one path and its name in the other)."""
    def text(value: Any) -> str:
        return str(value).replace(*rename) if rename[0] else str(value)

    out = []
    for d in diagnostics:
        assert isinstance(d, Diagnostic)
        span = None if d.span is None else (text(d.file), d.line, d.column, d.span.end_column,
                                             text(d.span.source.line_text(d.line or 1)))
        out.append((d.code, d.severity, text(d.message), text(d.suggestion), span))
    return out


def outcome(call: Any, rename: tuple[str, str] = ("", "")) -> tuple[str, Any, list[tuple[Any, ...]]]:
    """("ok", result, warnings) or ("error", error type, diagnostics)."""
    try:
        result = call()
    except QualityRulesError as error:
        return "error", type(error), shown(error.diagnostics, rename)
    return "ok", result, shown(result.warnings, rename)


# ------------------------------------------------------------------------------------------
# Records: hostile cells in every column the plan reads, totals rows

REGIONS = st.sampled_from(["龙岗区", "福田区", "南山区", None, "合计", "小　计"])      # (totals rows: QR216)
FLOATS = st.one_of(st.sampled_from([float("inf"), -float("inf"), float("nan"), -0.0, 5e-324]),
                   st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False))
# numbers written as text: separators, magnitudes, footnote markers (warned), missing words;
# and cells that are refused (text, a censored value, a unit)
TEXTS = st.one_of(st.sampled_from(["2¹", "7①", "5²", "1,234.5", "3万", "", "—", "无", None]),
                  st.integers(0, 500).map(str),
                  st.sampled_from(["abc", ">3", "98以上", "5吨"]))
DATES = st.one_of(st.none(), st.sampled_from(["2014-03-01", "2015-07-31", "2015-12-31"]))


@st.composite
def records_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 30))
    refused_allowed = draw(st.integers(0, 3)) == 0
    texts = TEXTS if refused_allowed else TEXTS.filter(lambda t: t not in ("abc", ">3", "98以上", "5吨"))
    v_as_text = draw(st.integers(0, 2)) > 0
    dates = [draw(DATES) for _ in range(n)]
    if refused_allowed and draw(st.booleans()):
        dates[draw(st.integers(0, n - 1))] = "2015-02-30"        # no such day: refused
    return pd.DataFrame({
        "地区": pd.Series([draw(REGIONS) for _ in range(n)], dtype=object),
        "日期": pd.Series(dates, dtype=object),
        "v": pd.Series([draw(texts) for _ in range(n)], dtype=object) if v_as_text
        else pd.Series([draw(FLOATS) for _ in range(n)], dtype="float64"),
        "a": pd.Series([draw(FLOATS) for _ in range(n)], dtype="float64"),
        "ok": pd.Series([draw(st.sampled_from([True, False, None])) for _ in range(n)], dtype="boolean"),
        "grade": pd.Series([draw(st.sampled_from(["合格", "不合格", None])) for _ in range(n)], dtype=object),
    })


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records_frames(), st.integers(1, 6), st.integers(1, 8))
def test_records_from_dask_say_what_pandas_says(data: pd.DataFrame, npartitions: int, chunk_rows: int) -> None:
    frame = dd.from_pandas(data, npartitions=min(npartitions, len(data)))
    by_pandas = outcome(lambda: compute_indicators(INDICATORS, {"t": data}))
    chunked = outcome(lambda: compute_indicators(INDICATORS, {"t": data}, chunk_rows=chunk_rows, threads=2))
    assert chunked[0] == by_pandas[0]        # (a refused chunk's error is the first of its own)
    if by_pandas[0] == "ok":
        assert same(as_dict(chunked[1]), as_dict(by_pandas[1])) and chunked[2] == by_pandas[2]
    by_dask = outcome(lambda: compute_indicators(INDICATORS, {"t": frame}, backend="dask", scheduler="synchronous"))
    # the in-memory path over the same partitions, read one after the other on the client
    streamed = outcome(lambda: compute_indicators(INDICATORS, {"t": frame}))
    assert by_dask[0] == by_pandas[0] == streamed[0]
    if by_pandas[0] == "ok":
        assert same(as_dict(by_dask[1]), as_dict(by_pandas[1]))
        assert by_dask[2] == by_pandas[2] == streamed[2]
    else:
        # The first partition holding an error is refused, as the in-memory path refuses the
        # first of its chunks holding one: the error of the whole table when it is whole.
        assert by_dask[1:] == streamed[1:]
        if frame.npartitions == 1:
            assert by_dask[1:] == by_pandas[1:]


def test_records_warnings_from_late_partitions_keep_their_rows() -> None:
    data = pd.DataFrame({"地区": ["龙岗区"] * 6, "日期": ["2015-01-01"] * 6,
                         "v": ["1", "2", "3", "4¹", "5", "6②"], "a": [1.0, 2, 3, 4, 5, -np.inf],
                         "ok": [True] * 6, "grade": ["合格"] * 6})
    got = compute_indicators(INDICATORS, {"t": dd.from_pandas(data, npartitions=3)}, backend="dask",
                             scheduler="synchronous")
    footnote, infinite = got.warnings
    assert footnote.code == "QR212" and "row 5, column 'v'" in footnote.message and "1 more cell" in footnote.message
    assert infinite.code == "QR214" and "row 7, column 'a'" in infinite.message and infinite.line == 7
    assert np.isnan(got.value[list(got.indicator).index("均值")])     # the value is unknown, and said why


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_diagnostics_travel_from_other_threads_and_processes(scheduler: str) -> None:
    data = pd.DataFrame({"地区": ["龙岗区"] * 6, "日期": ["2015-01-01"] * 6, "v": ["1", "2", "3¹", "4", "5", "6"],
                         "a": [1.0, np.inf, 3, 4, 5, 6], "ok": [True] * 6, "grade": ["合格"] * 6})
    frame = dd.from_pandas(data, npartitions=3)
    expected = outcome(lambda: compute_indicators(INDICATORS, {"t": data}))
    got = outcome(lambda: compute_indicators(INDICATORS, {"t": frame}, backend="dask", scheduler=scheduler))
    assert got[0] == "ok" and got[2] == expected[2] and [w[0] for w in got[2]] == ["QR212", "QR214"]
    data.loc[4, "日期"] = "2015-13-01"
    refused = outcome(lambda: compute_indicators(INDICATORS, {"t": dd.from_pandas(data, npartitions=3)},
                                                 backend="dask", scheduler=scheduler))
    assert refused[1:] == outcome(lambda: compute_indicators(INDICATORS, {"t": data}))[1:]
    assert "row 6, column '日期'" in refused[2][0][2]


def test_a_dask_frame_with_a_named_index_reads_it_as_a_column_as_pandas_does() -> None:
    data = pd.DataFrame({"地区": ["龙岗区", "福田区"], "日期": ["2015-01-01"] * 2, "v": [1.0, 2.0], "a": [3.0, 4.0],
                         "ok": [True, False], "grade": ["合格"] * 2}).set_index("地区")
    expected = as_dict(compute_indicators(INDICATORS, {"t": data}))
    frame = dd.from_pandas(data, npartitions=2)
    assert same(as_dict(compute_indicators(INDICATORS, {"t": frame})), expected)
    assert same(as_dict(compute_indicators(INDICATORS, {"t": frame}, backend="dask", scheduler="synchronous")),
                expected)


# ------------------------------------------------------------------------------------------
# Indicator tables: shares above 100 %, negative counts, ±inf, footnotes, duplicates, empty keys, totals rows

PACK = make_pack("达标率 >= 95%\n企业数 >= 10家\n事故 <= 3起")
SHARES = st.one_of(st.sampled_from([float("inf"), -float("inf"), float("nan"), 120.0, -3.0, 95.0, 0.95]),
                   st.floats(0, 100, allow_nan=False))
COUNTS = st.one_of(st.sampled_from(["12", "3¹", "-5", "", "—", "1,200", "≥10", "<3", "9②"]),
                   st.integers(-2, 30).map(str))


@st.composite
def indicator_frames(draw: st.DrawFn) -> pd.DataFrame:
    keys = draw(st.lists(st.tuples(st.sampled_from(["甲区", "乙区", "丙区", "丁区", "戊区"]),
                                   st.sampled_from([2013, 2014, 2015])), min_size=1, max_size=15, unique=True))
    n = len(keys)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):      # now and then a key given twice, empty or a total
        keys[draw(st.integers(0, n - 1))] = draw(st.sampled_from([keys[0], (None, 2015), ("合计", 2014)]))
    return pd.DataFrame({
        "region": pd.Series([r for r, _ in keys], dtype=object),
        "year": [y for _, y in keys],
        "达标率": [draw(SHARES) for _ in range(n)],
        "企业数": pd.Series([draw(COUNTS) for _ in range(n)], dtype=object),
        "事故": [draw(st.sampled_from([0, 1, 5, -1])) for _ in range(n)],
    })


def verdicts(report: Any) -> str:
    return json.dumps(report.results(), default=str, ensure_ascii=False).replace("<dask.DataFrame>",
                                                                                  "<pandas.DataFrame>")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(indicator_frames(), st.integers(1, 6))
def test_indicator_tables_from_dask_say_what_pandas_says(data: pd.DataFrame, npartitions: int) -> None:
    frame = dd.from_pandas(data, npartitions=min(npartitions, len(data)))
    by_pandas = outcome(lambda: qualityrules.evaluate(PACK, data))
    by_dask = outcome(lambda: qualityrules.evaluate(PACK, frame), ("<dask.DataFrame>", "<pandas.DataFrame>"))
    assert by_dask[0] == by_pandas[0]
    if by_pandas[0] == "ok":
        assert verdicts(by_dask[1]) == verdicts(by_pandas[1])
        assert by_dask[2] == by_pandas[2]
    else:
        assert by_dask[1:] == by_pandas[1:]
