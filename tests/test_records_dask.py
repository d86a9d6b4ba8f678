"""The Dask backend over partitioned Parquet (local schedulers): identical to the in-memory engine
for any partitioning, errors from workers keep their diagnostics."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_records import INDICATORS, ROW, as_dict, frame, same

import qualityrules
from qualityrules.errors import DataError
from qualityrules.records.compute import compute_indicators, scan_table
from qualityrules.records.plan import compile_plan


def write_parts(data: pd.DataFrame, cuts: list[int], directory: Path) -> Path:
    """``data`` split at ``cuts`` into one Parquet file per part (one shared schema)."""
    schema = pa.Schema.from_pandas(data, preserve_index=False)
    directory.mkdir(parents=True, exist_ok=True)
    edges = [0, *sorted(set(cuts)), len(data)]
    for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
        part = pa.Table.from_pandas(data.iloc[a:b], schema=schema, preserve_index=False)
        pq.write_table(part, directory / f"part-{i:03d}.parquet")
    return directory


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(ROW, min_size=1, max_size=50), st.data())
def test_dask_equals_in_memory_for_any_partitioning(tmp_path_factory: Any, records: list[dict[str, Any]],
                                                    data: st.DataObject) -> None:
    table = frame(records)
    cuts = data.draw(st.lists(st.integers(1, max(1, len(records) - 1)), max_size=4))
    directory = write_parts(table, cuts, tmp_path_factory.mktemp("parts"))
    expected = as_dict(compute_indicators(INDICATORS, {"t": table}))
    got = compute_indicators(INDICATORS, {"t": directory}, backend="dask", scheduler="synchronous")
    assert same(as_dict(got), expected)


def test_threads_scheduler_and_dask_dataframe_input(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 20_000
    data = pd.DataFrame({
        "district": rng.choice(["龙岗区", "福田区", "南山区"], n),
        "sample_date": pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 800, n), "D"),
        "volume": np.where(rng.random(n) < 0.02, np.nan, rng.gamma(2.0, 10.0, n)),
        "compliant": rng.random(n) < 0.9,
    })
    pack = qualityrules.load_pack("longgang-2015")
    expected = compute_indicators(pack, {"wastewater": data})
    directory = write_parts(data, [5_000, 5_001, 12_345], tmp_path / "wastewater")
    threaded = compute_indicators(pack, {"wastewater": directory}, backend="dask", scheduler="threads")
    assert np.array_equal(threaded.value, expected.value) and np.array_equal(threaded.records, expected.records)
    frame_input = dd.from_pandas(data, npartitions=7)
    from_frame = compute_indicators(pack, {"wastewater": frame_input}, backend="dask", scheduler="synchronous")
    assert np.array_equal(from_frame.value, expected.value)
    # the hierarchy applies after the merge, the same way
    parents = {"龙岗区": "深圳市", "福田区": "深圳市", "南山区": "深圳市"}
    city = compute_indicators(pack, {"wastewater": directory}, backend="dask", scheduler="synchronous",
                              hierarchy=parents)
    rolled = city.get("工业废水达标排放率", "深圳市", 2015)
    assert rolled is not None
    assert rolled == compute_indicators(pack, {"wastewater": data}, hierarchy=parents).get(
        "工业废水达标排放率", "深圳市", 2015)
    in_2015 = data[(data["sample_date"].dt.year == 2015) & data["volume"].notna()]
    naive = 100 * in_2015.loc[in_2015["compliant"], "volume"].sum() / in_2015["volume"].sum()
    assert rolled == pytest.approx(naive, rel=1e-12)


def test_worker_errors_keep_their_diagnostics(tmp_path: Path) -> None:
    data = pd.DataFrame({"district": ["龙岗区"] * 4, "sample_date": ["2015-01-01", "2015-01-02", "2015-02-30",
                                                                    "2015-01-03"],
                         "volume": [1.0, 2.0, 3.0, 4.0], "compliant": [True, False, True, True]})
    directory = write_parts(data, [2], tmp_path / "wastewater")
    with pytest.raises(DataError) as error:
        compute_indicators(qualityrules.load_pack("longgang-2015"), {"wastewater": directory}, backend="dask",
                           scheduler="synchronous")
    assert error.value.code == "QR206"
    # the row of the whole dataset (the third record: row 4 under the header), not of its partition
    d = error.value.diagnostic
    assert "'2015-02-30'" in d.message and "row 4, column 'sample_date'" in d.message and d.line == 4


def test_missing_column_is_reported_before_any_work(tmp_path: Path) -> None:
    data = pd.DataFrame({"district": ["龙岗区"], "sample_date": ["2015-01-01"], "volume": [1.0]})
    directory = write_parts(data, [], tmp_path / "wastewater")
    with pytest.raises(DataError) as error:
        compute_indicators(qualityrules.load_pack("longgang-2015"), {"wastewater": directory}, backend="dask")
    assert error.value.code == "QR204" and "'compliant'" in error.value.diagnostic.message


def test_partial_states_pickle_for_remote_workers() -> None:
    plan = compile_plan(INDICATORS)
    rows = [{"地区": "甲", "日期": None, "v": 1.5, "a": 2.0, "ok": True, "grade": "合格"}]
    import datetime as dt

    rows.append({**rows[0], "日期": dt.date(2015, 3, 1)})
    states = scan_table(plan, "t", frame(rows))
    again = pickle.loads(pickle.dumps(states))
    (index,) = again
    assert again[index].regions == ["甲"] and again[index].unassigned == 1
    assert np.array_equal(again[index].counts[0], states[index].counts[0])


def test_dask_backend_rejects_csv_and_in_memory_records(tmp_path: Path) -> None:
    from qualityrules.errors import QualityRulesError

    data = pd.DataFrame({"district": ["龙岗区"], "sample_date": ["2015-01-01"], "volume": [1.0],
                         "compliant": [True]})
    path = tmp_path / "wastewater.csv"
    data.to_csv(path, index=False)
    pack = qualityrules.load_pack("longgang-2015")
    for records, named in (({"wastewater": path}, str(path)), ({"wastewater": data}, "DataFrame")):
        with pytest.raises(QualityRulesError) as error:
            compute_indicators(pack, records, backend="dask", scheduler="synchronous")
        assert error.value.code == "QR203" and named in error.value.diagnostic.message
        assert "--dask reads Parquet records" in (error.value.diagnostic.suggestion or "")
