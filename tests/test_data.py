"""Data in: wide and long forms from every supported container and file format, names through
the catalogue's aliases, censored cells, units, and diagnostics with file, line, column, caret."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from reference import catalogue

from qualityrules.errors import DataError, QualityRulesError, UnitError, UnknownIndicatorError
from qualityrules.tables.observations import Cell, Observations, concat, load, parse_cell

ROOT = Path(__file__).resolve().parents[1]
CAT = catalogue()
WIDE_CSV = "region,year,达标率,企业数,产值(万元)\n甲区,2014,95.5,12,\"1,000,000\"\n甲区,2015,<90,13,2000000\n乙区,2015,≥98,—,\n"


def value(obs: Observations, region: str, year: int, indicator: str) -> Cell | None:
    r, y, i = obs.region_index(region), obs.year_index(year), obs.indicator_index(indicator)
    assert r is not None and y is not None and i is not None
    return obs.cell(r, y, i)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------------------------------
# Cells


@pytest.mark.parametrize(("text", "expected"), [
    ("95", Cell(95, 95)), ("95.5%", Cell(95.5, 95.5, unit="%")), ("1,234", Cell(1234, 1234)),
    ("3万", Cell(30000, 30000, magnitude=10 ** 4)), ("6.75万批次", Cell(67500, 67500, unit="批次", magnitude=10 ** 4)),
    ("1.75万亿元", Cell(1.75, 1.75, unit="万亿元")), ("0.47吨标准煤/万元", Cell(0.47, 0.47, unit="吨标准煤/万元")),
    ("<3", Cell(-math.inf, 3, hi_open=True)), ("＜３", Cell(-math.inf, 3, hi_open=True)),
    ("≤3", Cell(-math.inf, 3)), ("<=3", Cell(-math.inf, 3)), ("3以下", Cell(-math.inf, 3)),
    ("3以内", Cell(-math.inf, 3)), ("不足3", Cell(-math.inf, 3, hi_open=True)), ("低于3", Cell(-math.inf, 3, hi_open=True)),
    ("≥95", Cell(95, math.inf)), (">=95%", Cell(95, math.inf, unit="%")), ("95以上", Cell(95, math.inf)),
    ("95%以上", Cell(95, math.inf, unit="%")), (">95", Cell(95, math.inf, lo_open=True)),
    ("超过95", Cell(95, math.inf, lo_open=True)), ("超過95", Cell(95, math.inf, lo_open=True)),
    ("不低于95", Cell(95, math.inf)), ("  96  ", Cell(96, 96)), ("-1.5", Cell(-1.5, -1.5)),
])
def test_cells(text: str, expected: Cell) -> None:
    assert parse_cell(text) == expected


@pytest.mark.parametrize("text", ["", " ", "-", "—", "NA", "n/a", "NaN", "…", "/", "x", "暂无"])
def test_no_data_cells(text: str) -> None:
    assert parse_cell(text) is None


@pytest.mark.parametrize("text", ["abc", "95pct", "≠3", ">95以下", "1.2.3"])
def test_bad_cells(text: str) -> None:
    with pytest.raises(ValueError):
        parse_cell(text)


# ------------------------------------------------------------------------------------------
# Containers and layouts


def _check_wide(obs: Observations) -> None:
    assert obs.regions == ("甲区", "乙区")
    assert obs.years.tolist() == [2014, 2015]
    assert set(obs.indicators) == {"达标率", "企业数", "产值"}
    assert value(obs, "甲区", 2014, "达标率") == Cell(95.5, 95.5)
    assert value(obs, "甲区", 2015, "达标率") == Cell(-math.inf, 90, hi_open=True)
    assert value(obs, "乙区", 2015, "达标率") == Cell(98, math.inf)
    assert value(obs, "乙区", 2015, "企业数") is None
    assert value(obs, "甲区", 2014, "产值") == Cell(100, 100)          # 1,000,000 万元 = 100 亿元
    assert value(obs, "乙区", 2014, "达标率") is None                  # no row at all


def test_wide_csv(tmp_path: Path) -> None:
    _check_wide(load(write(tmp_path, "t.csv", WIDE_CSV), CAT))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    _check_wide(load(write(tmp_path, "t.csv", WIDE_CSV, encoding), CAT))


def test_declared_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", WIDE_CSV, "gb18030")
    _check_wide(load(path, CAT, encoding="gb18030"))
    with pytest.raises(DataError) as raised:
        load(path, CAT, encoding="utf-8")
    diagnostic = raised.value.diagnostic
    assert diagnostic.code == "QR202" and diagnostic.line == 1 and "gb18030" in (diagnostic.suggestion or "")


def test_tab_and_semicolon_separated(tmp_path: Path) -> None:
    _check_wide(load(write(tmp_path, "t.tsv", WIDE_CSV.replace(",", "\t").replace('"1\t000\t000"', "1000000")), CAT))


def test_xlsx(tmp_path: Path) -> None:
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(["地区", "年份", "达标率", "企业数", "产值（万元）"])
    sheet.append(["甲区", 2014, 95.5, 12, 1000000])
    sheet.append(["甲区", "2015年", "<90", 13, 2000000])
    sheet.append(["乙区", 2015.0, "≥98", "—", None])
    path = tmp_path / "t.xlsx"
    book.save(path)
    _check_wide(load(path, CAT))
    _check_wide(load(path, CAT, sheet="数据"))
    with pytest.raises(DataError) as raised:
        load(path, CAT, sheet="Sheet9")
    assert "数据" in (raised.value.diagnostic.suggestion or "")


def _frame_data() -> dict[str, Any]:
    return {"region": ["甲区", "甲区", "乙区"], "year": [2014, 2015, 2015], "达标率": ["95.5", "<90", "≥98"],
            "企业数": [12.0, 13.0, None], "产值(万元)": [1000000.0, 2000000.0, None]}


def test_pandas(tmp_path: Path) -> None:
    import pandas as pd
    frame = pd.DataFrame(_frame_data())
    _check_wide(load(frame, CAT))
    _check_wide(load(frame.set_index(["region", "year"]), CAT))
    frame["企业数"] = frame["企业数"].astype("Int64")
    _check_wide(load(frame, CAT))


def test_polars() -> None:
    import polars as pl
    _check_wide(load(pl.DataFrame(_frame_data()), CAT))


def test_arrow_and_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(_frame_data())
    _check_wide(load(table, CAT))
    pq.write_table(table, tmp_path / "t.parquet")
    _check_wide(load(tmp_path / "t.parquet", CAT))


def test_dict_of_numpy_arrays() -> None:
    data = {"region": np.array(["甲区", "甲区", "乙区"]), "year": np.array([2014, 2015, 2015]),
            "达标率": np.array(["95.5", "<90", "≥98"], dtype=object), "企业数": np.array([12, 13, np.nan]),
            "产值(万元)": np.array([1e6, 2e6, np.nan])}
    _check_wide(load(data, CAT))


def test_long_form_with_units_and_citations() -> None:
    data = {"region": ["甲区", "甲区", "甲区"], "year": [2015, 2015, 2014], "indicator": ["產值", "达标率", "产值"],
            "value": [1.75, "≥95", 17000], "unit": ["万亿元", "%", "亿元"], "citation": ["统计公报", None, "年鉴"]}
    obs = load(data, CAT)
    assert value(obs, "甲区", 2015, "产值") == Cell(17500, 17500)
    assert value(obs, "甲区", 2015, "达标率") == Cell(95, math.inf)
    assert obs.notes[(0, 1, obs.indicator_index("产值"))] == "统计公报"


def test_shipped_baselines_load_in_long_form() -> None:
    obs = load(ROOT / "examples" / "baselines" / "shenzhen-2015.csv", __import__("qualityrules").load_catalogue())
    assert obs.regions == ("深圳市",) and obs.years.tolist() == [2015]
    gdp = obs.indicator_index("GDP")
    assert gdp is not None and obs.units[gdp] == "万亿元"
    assert obs.cell(0, 0, gdp) == Cell(1.75, 1.75)
    assert "1.75万亿元" in obs.notes[(0, 0, gdp)]
    books = obs.indicator_index("人均图书馆藏量")
    assert books is not None and obs.units[books] == "本/人" and obs.cell(0, 0, books) == Cell(2.3, 2.3)


def test_names_are_normalised_like_rules() -> None:
    data = {"地区": ["甲區"], "年度": [2015], "達標率": [96], "ＰＭ": [None]}
    with pytest.raises(UnknownIndicatorError):
        load(data, CAT)
    obs = load(data, CAT, ignore_columns=["ＰＭ"])
    assert obs.regions == ("甲區",) and obs.region_index("甲区") == 0
    assert obs.indicators == ("达标率",)
    assert load({"region": ["甲区"], "year": [2015], "排放达标率": [96]}, CAT).indicators == ("达标率",)


def test_note_columns_are_ignored_in_wide_form() -> None:
    obs = load({"region": ["甲区"], "year": [2015], "达标率": [96], "备注": ["合成数据"], "note": ["x"]}, CAT)
    assert obs.indicators == ("达标率",)


def test_identical_repeats_merge_and_partial_rows_combine() -> None:
    obs = load({"region": ["甲区", "甲区"], "year": [2015, 2015], "达标率": [96, 96], "企业数": [None, 5]}, CAT)
    assert value(obs, "甲区", 2015, "达标率") == Cell(96, 96) and value(obs, "甲区", 2015, "企业数") == Cell(5, 5)


def test_concat_merges_files(tmp_path: Path) -> None:
    a = load({"region": ["甲区"], "year": [2014], "达标率": [95]}, CAT)
    b = load({"region": ["乙区"], "year": [2015], "企业数": ["<3"]}, CAT)
    both = concat([a, b])
    assert both.regions == ("甲区", "乙区") and both.years.tolist() == [2014, 2015]
    assert value(both, "甲区", 2014, "达标率") == Cell(95, 95)
    assert value(both, "乙区", 2015, "企业数") == Cell(-math.inf, 3, hi_open=True)
    with pytest.raises(DataError):
        concat([a, load({"region": ["甲区"], "year": [2014], "达标率": [96]}, CAT)])


# ------------------------------------------------------------------------------------------
# Diagnostics: code, file, line, column, caret, suggestion


def _error(tmp_path: Path, text: str, **options: Any) -> QualityRulesError:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(QualityRulesError) as raised:
        load(path, CAT, **options)
    return raised.value


def test_unparseable_value_points_at_the_cell(tmp_path: Path) -> None:
    error = _error(tmp_path, "region,year,达标率\n甲区,2015,96\n甲区,2016,9x6\n")
    d = error.diagnostic
    assert isinstance(error, DataError) and d.code == "QR206"
    assert (d.file, d.line, d.column) == (str(tmp_path / "bad.csv"), 3, len("甲区,2016,") + 1)
    rendered = d.render()
    assert "甲区,2016,9x6" in rendered and "^^^" in rendered


def test_quoted_cells_are_located(tmp_path: Path) -> None:
    d = _error(tmp_path, 'region,year,达标率\n"甲区",2015,"9,6%"\n').diagnostic
    assert d.code == "QR206" and (d.line, d.column) == (2, len('"甲区",2015,"') + 1)


def test_unknown_indicator_suggests_a_name(tmp_path: Path) -> None:
    error = _error(tmp_path, "region,year,达表率\n甲区,2015,96\n")
    assert isinstance(error, UnknownIndicatorError)
    d = error.diagnostic
    assert d.code == "QR204" and (d.line, d.column) == (1, 13) and "达标率" in (d.suggestion or "")


def test_unknown_indicator_in_long_form(tmp_path: Path) -> None:
    d = _error(tmp_path, "region,year,indicator,value\n甲区,2015,达标率,96\n甲区,2015,企业术,3\n").diagnostic
    assert d.code == "QR204" and (d.line, d.column) == (3, len("甲区,2015,") + 1) and "企业数" in (d.suggestion or "")


def test_incompatible_unit_in_header_or_column(tmp_path: Path) -> None:
    error = _error(tmp_path, "region,year,产值(吨)\n甲区,2015,3\n")
    assert isinstance(error, UnitError) and error.code == "QR205" and "亿元" in error.diagnostic.message
    d = _error(tmp_path, "region,year,indicator,value,unit\n甲区,2015,产值,3,吨\n").diagnostic
    assert d.code == "QR205" and (d.line, d.column) == (2, len("甲区,2015,产值,3,") + 1)
    d = _error(tmp_path, "region,year,indicator,value,unit\n甲区,2015,产值,3,元元\n").diagnostic
    assert d.code == "QR205" and "unknown unit" in d.message and (d.line, d.column) == (2, len("甲区,2015,产值,3,") + 1)
    d = _error(tmp_path, "region,year,达标率\n甲区,2015,3万元\n").diagnostic
    assert d.code == "QR205" and (d.line, d.column) == (2, len("甲区,2015,") + 1)


def test_structure_errors(tmp_path: Path) -> None:
    d = _error(tmp_path, "place,year,达标率\n甲区,2015,96\n").diagnostic
    assert d.code == "QR203" and "region" in d.message
    d = _error(tmp_path, "region,year,达标率\n甲区,2015,96,1\n").diagnostic
    assert d.code == "QR203" and d.line == 2 and "3" in d.message
    d = _error(tmp_path, "region,year,达标率\n甲区,二〇一五,96\n").diagnostic
    assert d.code == "QR203" and (d.line, d.column) == (2, len("甲区,") + 1)
    d = _error(tmp_path, "region,year,达标率\n甲区,2015,96\n甲区,2015,97\n").diagnostic
    assert d.code == "QR203" and d.line == 3 and "twice" in d.message
    d = _error(tmp_path, "region,year,达标率,達標率\n甲区,2015,96,96\n").diagnostic
    assert d.code == "QR203" and "two columns" in d.message
    d = _error(tmp_path, "").diagnostic
    assert d.code == "QR203"


def test_several_errors_are_reported_at_once(tmp_path: Path) -> None:
    error = _error(tmp_path, "region,year,达标率\n甲区,2015,z\n乙区,2015,y\n")
    assert [(d.code, d.line) for d in error.diagnostics] == [("QR206", 2), ("QR206", 3)]


def test_missing_file_and_bad_workbook(tmp_path: Path) -> None:
    with pytest.raises(DataError) as raised:
        load(tmp_path / "nope.csv", CAT)
    assert raised.value.code == "QR201"
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(DataError) as raised:
        load(tmp_path / "bad.xlsx", CAT)
    assert raised.value.code == "QR203"


def test_frame_errors_name_row_and_column() -> None:
    import pandas as pd
    with pytest.raises(DataError) as raised:
        load(pd.DataFrame({"region": ["甲区", "乙区"], "year": [2015, 2015], "达标率": ["96", "abc"]}), CAT)
    d = raised.value.diagnostic
    assert d.code == "QR206" and "row 3" in d.message and "达标率" in d.message and "^" in d.render()


def test_unsupported_input_type() -> None:
    with pytest.raises(DataError):
        load(42, CAT)


def test_numeric_region_codes_read_as_text() -> None:
    import pandas as pd
    obs = load(pd.DataFrame({"region": [440307, 440304], "year": [2015, 2015], "达标率": [96, 97]}), CAT)
    assert obs.regions == ("440304", "440307")      # integer codes, in their order
