"""The one input layer on messy files and odd containers: every example of issue 10 is a located
error or the right value, in the indicator path and the records path alike."""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import catalogue, make_pack

import qualityrules
from qualityrules.errors import QualityRulesError, Severity, UsageError
from qualityrules.language.text import normalize
from qualityrules.packs.resolve import Catalogue, resolve_text
from qualityrules.tables.cells import TOTAL_ROWS, Cell, CellError, is_total, parse_cell, parse_column
from qualityrules.tables.observations import Observations, load

CAT = catalogue()

MONEY = """\
indicator 收入 {
    unit 万元
    direction higher
}
indicator 总量 {
    unit 万亿元
    direction higher
}
indicator 达标率 {
    unit %
    direction higher
}
"""


def money_catalogue() -> Catalogue:
    from qualityrules.language.parse import parse_text

    rule_file, diagnostics = parse_text(MONEY, source="<money>")
    assert not diagnostics
    built, problems = Catalogue.build(rule_file.indicators)
    assert not problems
    return built


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def cell(obs: Observations, region: str, year: int, indicator: str) -> Cell | None:
    r, y, i = obs.region_index(region), obs.year_index(year), obs.indicator_index(indicator)
    assert r is not None and y is not None and i is not None
    return obs.cell(r, y, i)


def error_of(call: Any) -> QualityRulesError:
    with pytest.raises(QualityRulesError) as raised:
        call()
    return raised.value


# ------------------------------------------------------------------------------------------
# Quoting


NOTE_CSV = ('region,year,达标率,备注\n甲区,2015,96,"ok"\n乙区,2015,97,"see p. 3\n丙区,2015,90,x\n'
            '丁区,2015,91,y\n')


def test_an_unterminated_quote_is_a_located_error_not_lost_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", NOTE_CSV)
    d = error_of(lambda: load(path, CAT)).diagnostic
    assert d.code == "QR210" and (d.file, d.line, d.column) == (str(path), 3, len("乙区,2015,97,") + 1)
    assert '"see p. 3' in d.render()


def test_an_unterminated_quote_in_a_column_records_do_not_read(tmp_path: Path) -> None:
    path = write(tmp_path, "wastewater.csv", "district,sample_date,volume,compliant,note\n"
                 "龙岗区,2015-01-01,1,true,ok\n龙岗区,2015-01-02,2,false,\"oops\n福田区,2015-01-03,3,false,x\n")
    d = error_of(lambda: qualityrules.compute_indicators("longgang-2015", [path])).diagnostic
    assert d.code == "QR210" and d.line == 3


def test_quoted_line_breaks_and_blank_rows_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", 'region,year,达标率,备注\n甲区,2014,95,"two\nlines"\n\n乙区,2015,9x,\n')
    d = error_of(lambda: load(path, CAT)).diagnostic
    # the record with two lines is row 2, the blank line row 3: the bad cell is row 4, on line 5
    assert d.code == "QR206" and "row 4, column '达标率'" in d.message and (d.line, d.column) == (5, 9)
    assert cell(load(write(tmp_path, "ok.csv", 'region,year,达标率,备注\n甲区,2014,95,"two\nlines"\n\n'), CAT),
                "甲区", 2014, "达标率") == Cell(95, 95)


def test_a_quote_inside_a_cell_is_text(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", 'region,year,达标率,备注\n甲区,2015,96,"a ""quoted"" word"\n乙区,2015,97,5"\n')
    obs = load(path, CAT)
    assert cell(obs, "乙区", 2015, "达标率") == Cell(97, 97)


@pytest.mark.parametrize(("text", "regions"), [
    ("region,year,达标率\n", ()),                                  # a header and no rows
    ("region,year,达标率\n,,\n甲区,2015,96\n", ("甲区",)),        # an empty row holds nothing
    ("region,year,达标率\n   \n甲区,2015,96", ("甲区",)),          # white space, no final line break
    ('"region","year","达标率"\r\n"甲区","2015","96"\r\n', ("甲区",)),
])
def test_edges_of_a_csv_file(text: str, regions: tuple[str, ...], tmp_path: Path) -> None:
    assert load(write(tmp_path, "t.csv", text), CAT).regions == regions


def test_a_file_without_a_header_is_an_error(tmp_path: Path) -> None:
    for text in ("", "\n\n\n"):
        assert error_of(lambda t=text: load(write(tmp_path, "t.csv", t), CAT)).diagnostic.code == "QR203"


def test_more_cells_than_the_header_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "region,year,达标率\n甲区,2015,96\n乙区,2015,9,6\n")
    d = error_of(lambda: load(path, CAT)).diagnostic
    assert d.code == "QR203" and d.line == 3 and "the header has 3" in d.message


# ------------------------------------------------------------------------------------------
# Cells: footnotes, magnitudes, separators, ranges


@pytest.mark.parametrize("text", ["94¹", "94①", "94*", "94a)", "94 (1)", "94⁽¹⁾", "94［1］", "94†", "94²³"])
def test_footnote_markers_never_become_digits(text: str) -> None:
    parsed = parse_cell(text)
    assert parsed is not None and parsed.lo == 94 and parsed.footnote is not None


@pytest.mark.parametrize("text", ["94a", "9¹4", "941x"])
def test_other_trailing_text_is_an_error(text: str) -> None:
    with pytest.raises(CellError):
        parse_cell(text)


def test_footnote_in_a_table_reads_the_value_and_warns_naming_the_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "region,year,达标率\n甲区,2015,94¹\n乙区,2015,94①\n丙区,2015,94*\n丁区,2015,94a)\n")
    obs = load(path, CAT)
    assert [cell(obs, r, 2015, "达标率") for r in ("甲区", "乙区", "丙区", "丁区")] == [Cell(94, 94)] * 4
    warnings = [w for w in obs.warnings if w.code == "QR212"]
    assert len(warnings) == 4 and all(w.severity is Severity.WARNING for w in warnings)
    assert warnings[0].line == 2 and "row 2, column '达标率'" in warnings[0].message and "'¹'" in warnings[0].message
    report = qualityrules.evaluate(make_pack("达标率 >= 95%"), path)
    assert report.verdict("甲区", 2015, "达标率") == "fail"          # 94, not 941


def test_footnote_in_records_reads_the_value(tmp_path: Path) -> None:
    path = write(tmp_path, "wastewater.csv", "district,sample_date,volume,compliant\n龙岗区,2015-01-01,94¹,true\n"
                 "龙岗区,2015-01-02,6,false\n")
    table = qualityrules.compute_indicators("longgang-2015", [path])
    assert table.get("工业废水达标排放率", "龙岗区", 2015) == 94.0
    assert [w.code for w in table.warnings] == ["QR212"]


def test_a_footnote_marker_after_a_region_name_is_ignored_and_said(tmp_path: Path) -> None:
    """深圳市* (a yearbook's note on the region) is 深圳市, as 94* is 94: never another region,
    outside the pack's area, whose failing value would become not-applicable. Indicator tables
    and records alike, the marker read before normalising (① is a digit after NFKC)."""
    path = write(tmp_path, "t.csv", "region,year,达标率\n甲区*,2015,94\n乙区①,2015,96\n乙区,2014,97\n")
    obs = load(path, CAT)
    assert sorted(obs.regions) == ["乙区", "甲区"] and cell(obs, "乙区", 2015, "达标率") == Cell(96, 96)
    [w] = [w for w in obs.warnings if w.code == "QR212"]
    assert (w.line, w.column) == (2, 1) and "'*' after the value ignored: read 甲区 (and in 1 more" in w.message
    report = qualityrules.evaluate(make_pack("达标率 >= 95%", scope="甲区"), path)
    assert report.verdict("甲区", 2015, "达标率") == "fail"
    kept = load(write(tmp_path, "k.csv", "region,year,达标率\n丙区(2),2015,94\n1#,2015,96\n0A),2015,97\n"), CAT)
    assert sorted(kept.regions) == ["0A)", "1#", "丙区(2)"]      # a name may end so: no marker after a name
    assert not [w for w in kept.warnings if w.code == "QR212"]
    records = "district,sample_date,volume,compliant\n龙岗区①,2015-01-01,1,true\n龙岗区,2015-01-02,1,false\n"
    for form in ([write(tmp_path, "wastewater.csv", records)],
                 {"wastewater": pd.read_csv(write(tmp_path, "w.csv", records)).astype({"district": "category"})}):
        table = qualityrules.compute_indicators("longgang-2015", form)
        assert table.get("工业废水达标排放率", "龙岗区", 2015) == 50.0
        [w] = [w for w in table.warnings if w.code == "QR212"]
        assert w.line == 2 and "'①' after the value ignored: read 龙岗区" in w.message


@pytest.mark.parametrize(("header", "text", "indicator", "expected"), [
    ("收入(万元)", "5万", "收入", 5.0),                 # the cell's 万 is the column's 万
    ("收入(万元)", "3亿", "收入", 30000.0),             # 3亿元 = 30000万元
    ("收入", "5万", "收入", 5.0),                       # the catalogue's unit is the column's
    ("收入(元)", "5万", "收入", 5.0),                   # 5万元
    ("收入(万元)", "5万元", "收入", 5.0),               # a unit in the cell wins
    ("总量(万亿元)", "2.5万亿", "总量", 2.5),
    ("总量", "2.5万亿", "总量", 2.5),
    ("总量(亿元)", "25000", "总量", 2.5),
    ("收入(万元)", "5千万", "收入", 5000.0),            # 十, 百 or 千 before 万 or 亿: 5×10⁷ 元
    ("收入(万元)", "5千万元", "收入", 5000.0),          # the same amount, with its unit
    ("收入(元)", "1.2百万", "收入", 120.0),             # 1,200,000元 = 120万元 (the catalogue's unit)
    ("总量(万亿元)", "3千亿", "总量", 0.3),
    ("收入(百万元)", "3", "收入", 300.0),               # a column in 百万元
])
def test_magnitude_words_meet_the_column_unit(header: str, text: str, indicator: str, expected: float) -> None:
    obs = load({"region": ["甲区"], "year": [2015], header: [text]}, money_catalogue())
    assert cell(obs, "甲区", 2015, indicator) == Cell(expected, expected)
    assert not obs.exact


def test_a_total_in_magnitude_words_fails_when_below_the_target() -> None:
    text = ("pack m-2015 {\n    region 甲区\n    level district\n    period 2015..2015\n    section s {\n"
            "        总量 >= 3万亿元\n        收入 <= 40000万元\n    }\n}\n")
    pack = resolve_text(text, catalogue=money_catalogue())
    report = qualityrules.evaluate(pack, {"region": ["甲区"], "year": [2015], "总量(万亿元)": ["2.5万亿"],
                                          "收入(万元)": ["5万"]})
    assert report.verdict("甲区", 2015, "总量") == "fail" and report.verdict("甲区", 2015, "收入") == "pass"


@pytest.mark.parametrize(("text", "value"), [("1,234.5", 1234.5), ("1,234,567", 1234567.0), ("１，２３４", 1234.0)])
def test_thousands_separators_in_both_paths(text: str, value: float, tmp_path: Path) -> None:
    assert parse_cell(text) == Cell(value, value)
    path = write(tmp_path, "wastewater.csv", f'district,sample_date,volume,compliant\n龙岗区,2015-01-01,"{text}",true\n'
                 '龙岗区,2015-01-02,"1,000",false\n')
    table = qualityrules.compute_indicators("longgang-2015", [path])
    assert table.get("工业废水达标排放率", "龙岗区", 2015) == pytest.approx(100 * value / (value + 1000))


@pytest.mark.parametrize("text", ["1,5", "1,23", "1 234", "12,34,567"])
def test_misplaced_separators_are_errors(text: str) -> None:
    with pytest.raises(CellError):
        parse_cell(text)


@pytest.mark.parametrize("text", ["1e999", "1" * 400, "-1e309", "1e1000000000", "9" * 5000, "1e-1000000000"])
def test_numbers_beyond_the_float_range_are_located_errors_and_never_hang(text: str, tmp_path: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(CellError):
        parse_cell(text)
    path = write(tmp_path, "t.csv", f"region,year,达标率\n甲区,2015,{text}\n")
    d = error_of(lambda: load(path, CAT)).diagnostic
    assert d.code == "QR206" and (d.line, d.column) == (2, len("甲区,2015,") + 1)
    records = write(tmp_path, "wastewater.csv", f"district,sample_date,volume,compliant\n龙岗区,2015-01-01,{text},true\n")
    assert error_of(lambda: qualityrules.compute_indicators("longgang-2015", [records])).diagnostic.line == 2
    assert time.perf_counter() - start < 30        # bounded: the exponent is never expanded


def test_an_infinity_in_a_float_column_is_unknown_with_a_warning() -> None:
    table = {"region": ["甲区", "乙区", "丙区"], "year": [2015] * 3, "达标率": np.array([np.inf, -np.inf, 96.0]),
             "企业数": np.array([np.inf, 5.0, 5.0])}
    pack = make_pack("达标率 >= 95%\n企业数 <= 10家\n产值 累计 <= 10亿元", scope="乙区, 丙区")   # its totals bind each
    report = qualityrules.evaluate(pack, table)
    assert [report.verdict(r, 2015, "达标率") for r in ("甲区", "乙区", "丙区")] == ["unknown", "unknown", "pass"]
    assert report.verdict("甲区", 2015, "企业数") == "unknown"
    warnings = [w for w in report.obs.warnings if w.code == "QR214"]
    assert len(warnings) == 2 and all(w.severity is Severity.WARNING for w in warnings)
    assert "达标率: 甲区 2015 is inf" in warnings[0].message and "(and 1 more cell(s))" in warnings[0].message
    assert "row 2, column '达标率'" in warnings[0].message and warnings[0].span is not None
    years = list(range(2011, 2016))
    summed = qualityrules.evaluate(pack, {"region": ["甲区"] * 5, "year": years, "产值": [1.0, 1.0, 1.0, 1.0, -np.inf]})
    assert summed.verdict("甲区", 2015, "产值") == "unknown"             # a sum with -inf is not <= 10
    finite = qualityrules.evaluate(pack, {"region": ["甲区"] * 5, "year": years, "产值": [1.0] * 5})
    assert finite.verdict("甲区", 2015, "产值") == "pass"


@pytest.mark.parametrize("rule", ["达标率 >= 95%", "达标率 <= 95%", "达标率 > 95%", "达标率 90-98%", "达标率 != 95%",
                                  "产值 >= 1亿元", "产值 != 1亿元", "产值 1-2亿元"])
def test_an_infinity_is_unknown_under_every_comparison(rule: str) -> None:
    """Whether or not the column's ranges were looked at (a share is screened for plausibility,
    which shows its infinities for free; an amount is not), ±inf is unknown, NaN unknown, and a
    finite value decided: the fast path (NaN only) is taken only for a column known finite."""
    name = rule.split()[0]
    column = np.array([np.inf, -np.inf, np.nan, 96.0 if name == "达标率" else 1.5])
    report = qualityrules.evaluate(make_pack(rule, scope="乙区, 丙区, 丁区"),
                                   {"region": ["甲区", "乙区", "丙区", "丁区"], "year": [2015] * 4, name: column})
    verdicts = [report.verdict(r, 2015, name) for r in ("甲区", "乙区", "丙区", "丁区")]
    assert verdicts[:3] == ["unknown"] * 3
    assert verdicts[3] == ("fail" if rule in ("达标率 <= 95%",) else "pass")
    finite = qualityrules.evaluate(make_pack(rule, scope="乙区"),
                                   {"region": ["甲区", "乙区"], "year": [2015] * 2, name: column[2:]})
    assert [finite.verdict(r, 2015, name) for r in ("甲区", "乙区")] == verdicts[2:]


def test_long_decimals_keep_their_exact_value() -> None:
    text = "95.000000000000000001"
    obs = load({"region": ["甲区"], "year": [2015], "达标率": [text]}, CAT)
    assert cell(obs, "甲区", 2015, "达标率") == Cell(95.0, 95.0, given=Fraction(text))
    assert obs.exact == {(0, 0, 0): Fraction(text)}
    converted = load({"region": ["甲区"], "year": [2015], "收入(亿元)": ["0.000100000000000000000001"]},
                     money_catalogue())
    assert converted.exact == {(0, 0, 0): Fraction("0.000100000000000000000001") * 10000}
    assert float(converted.values[0].lo[0, 0]) == 1.0


def test_records_and_indicator_cells_read_alike() -> None:
    texts = ["1,234.5", "3万", "—", "", "12", "0.5", "暂无", " 7 "]
    parsed = parse_column(np.array(texts, dtype=object))
    assert parsed.lo.tolist()[:2] == [1234.5, 30000.0] and math.isnan(parsed.lo[2]) and parsed.lo[7] == 7.0
    records = qualityrules.compute_indicators("longgang-2015", {"wastewater": pd.DataFrame({
        "district": ["龙岗区"] * len(texts), "sample_date": pd.date_range("2015-01-01", periods=len(texts)),
        "volume": texts, "compliant": [True] * len(texts)})})
    assert records.get("工业废水达标排放率", "龙岗区", 2015) == 100.0


def test_a_censored_value_in_records_is_an_error() -> None:
    d = error_of(lambda: qualityrules.compute_indicators("longgang-2015", {"wastewater": pd.DataFrame({
        "district": ["龙岗区"] * 2, "sample_date": ["2015-01-01", "2015-01-02"], "volume": ["3", "<3"],
        "compliant": [True, True]})})).diagnostic
    assert d.code == "QR206" and "row 3, column 'volume'" in d.message and "censored" in d.message


# ------------------------------------------------------------------------------------------
# Censored values of one key from two files


def test_two_files_with_different_censored_words_conflict(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", "region,year,达标率\n龙岗区,2015,98以上\n")
    b = write(tmp_path, "b.csv", "region,year,达标率\n龙岗区,2015,超过98\n")
    d = error_of(lambda: load([a, b], CAT)).diagnostic
    assert d.code == "QR203" and (d.file, d.line, d.column) == (str(b), 2, len("龙岗区,2015,") + 1)
    assert "'≥98' in" in d.message and str(a) in d.message and "'>98'" in d.message
    assert load([a, write(tmp_path, "c.csv", "region,year,达标率\n龙岗区,2015,98及以上\n")], CAT).cell(0, 0, 0) \
        == Cell(98, math.inf)                                                # the same value twice is fine


def test_censored_repeats_within_one_table_conflict(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "region,year,达标率\n龙岗区,2015,98以上\n龙岗区,2015,超过98\n")
    d = error_of(lambda: load(path, CAT)).diagnostic
    assert d.code == "QR203" and d.line == 3 and "twice" in d.message


def test_a_row_given_twice_with_the_same_values_is_read_once_and_said(tmp_path: Path) -> None:
    """Nothing is merged unseen: a row pasted twice is read once, with QR218 at the copy (the
    first such value, and how many more), in a wide table, a long one, and across files."""
    path = write(tmp_path, "t.csv", "region,year,达标率,企业数\n龙岗区,2015,96,88\n福田区,2015,90,\n龙岗区,2015,96,88\n")
    obs = load(path, CAT)
    assert obs.cell(obs.region_index("龙岗区"), 0, 0) == Cell(96, 96)
    [w] = [w for w in obs.warnings if w.code == "QR218"]
    assert w.severity is Severity.WARNING and (w.file, w.line, w.column) == (str(path), 4, len("龙岗区,2015,") + 1)
    assert "龙岗区 2015 达标率 is given twice with the same value (also in row 2)" in w.message
    assert "1 more value(s)" in w.message                                   # 企业数 of the same rows
    long = {"region": ["龙岗区"] * 3, "year": [2015] * 3, "indicator": ["达标率", "企业数", "达标率"], "value": [96, 88, 96]}
    [w] = [w for w in load(long, CAT).warnings if w.code == "QR218"]
    assert w.line == 4 and "(also in row 2): read once" in w.message and "more" not in w.message
    first = write(tmp_path, "s.csv", "region,year,达标率\n龙岗区,2015,96\n")
    other = write(tmp_path, "u.csv", "region,year,达标率\n龙岗区,2014,95\n龙岗区,2015,96\n")
    [w] = [w for w in load([first, other], CAT).warnings if w.code == "QR218"]
    assert (w.file, w.line) == (str(other), 3) and f"in {first} (row 2" in w.message
    assert not [w for w in load({"region": ["龙岗区", "龙岗区"], "year": [2014, 2015], "达标率": [96, 96]},
                                CAT).warnings if w.code == "QR218"]     # one value a year: nothing given twice


def test_records_and_data_given_for_one_cell_must_agree() -> None:
    pack = qualityrules.load_pack("longgang-2015")
    records = {"wastewater": pd.DataFrame({"district": ["龙岗区"], "sample_date": ["2015-01-01"], "volume": [1.0],
                                           "compliant": [True]})}
    data = {"region": ["龙岗区"], "year": [2015], "工业废水达标排放率": ["≥99"]}
    d = error_of(lambda: qualityrules.check_records(pack, records, data=data)).diagnostic
    assert d.code == "QR203" and "given twice" in d.message


# ------------------------------------------------------------------------------------------
# Containers


def test_a_masked_array_mask_means_missing() -> None:
    values = np.ma.masked_array([99.0, 90.0], mask=[True, False])
    report = qualityrules.evaluate(make_pack("达标率 >= 95%", scope="乙区"), {"region": ["甲区", "乙区"],
                                                                            "year": [2015, 2015], "达标率": values})
    assert report.verdict("甲区", 2015, "达标率") == "unknown" and report.verdict("乙区", 2015, "达标率") == "fail"
    regions = np.ma.masked_array(np.array([1, 2]), mask=[False, True])
    d = error_of(lambda: load({"region": regions, "year": [2015, 2015], "达标率": [96, 97]}, CAT)).diagnostic
    assert d.code == "QR203" and "region is empty" in d.message and "row 3" in d.message


def test_polars_lazyframe_dataframe_and_arrow_streams() -> None:
    import polars as pl
    import pyarrow as pa

    data = {"region": ["甲区", "乙区"], "year": [2015, 2015], "达标率": [96.0, None]}
    expected = load(data, CAT)
    for source in (pl.DataFrame(data).lazy(), pl.DataFrame(data), pa.table(data),
                   pa.RecordBatchReader.from_batches(pa.table(data).schema, pa.table(data).to_batches(max_chunksize=1))):
        obs = load(source, CAT)
        assert obs.regions == expected.regions
        assert np.array_equal(obs.values[0].lo, expected.values[0].lo, equal_nan=True)
    report = qualityrules.evaluate(make_pack("达标率 >= 95%"), pl.DataFrame(data).lazy())
    assert report.verdict("甲区", 2015, "达标率") == "pass"


def test_dask_dataframe_for_indicators_and_records() -> None:
    import dask.dataframe as dd

    frame = dd.from_pandas(pd.DataFrame({"region": ["甲区", "乙区", "丙区"], "year": [2015] * 3,
                                         "达标率": [96.0, 90.0, None]}), npartitions=2)
    obs = load(frame, CAT)
    assert cell(obs, "乙区", 2015, "达标率") == Cell(90, 90)
    records = dd.from_pandas(pd.DataFrame({"district": ["龙岗区"] * 4, "sample_date": pd.date_range("2015-01-01", periods=4),
                                           "volume": [1.0, 2.0, 3.0, 4.0], "compliant": [True, False, True, True]}),
                             npartitions=2)
    table = qualityrules.compute_indicators("longgang-2015", {"wastewater": records})
    assert table.get("工业废水达标排放率", "龙岗区", 2015) == 80.0


def test_integer_region_codes_are_used_as_they_are() -> None:
    codes = np.arange(5, dtype=np.int32).repeat(2)
    obs = load({"region": codes, "year": np.tile([2014, 2015], 5), "达标率": np.arange(10.0)}, CAT)
    assert obs.regions == ("0", "1", "2", "3", "4") and np.shares_memory(obs.values[0].lo, np.arange(10.0)) is False
    assert cell(obs, "3", 2015, "达标率") == Cell(7, 7)
    sparse = load({"region": np.array([440307, 440304, 440307]), "year": [2014, 2014, 2015], "达标率": [1, 2, 3]}, CAT)
    assert sparse.regions == ("440304", "440307") and cell(sparse, "440307", 2015, "达标率") == Cell(3, 3)


def test_a_records_frame_with_two_columns_of_one_name_is_located() -> None:
    frame = pd.DataFrame([["龙岗区", "2015-01-01", 1.0, True, "福田区"]],
                         columns=["district", "sample_date", "volume", "compliant", "district"])
    error = error_of(lambda: qualityrules.compute_indicators("longgang-2015", {"wastewater": frame}))
    d = error.diagnostic
    assert d.code == "QR213" and "two columns named 'district'" in d.message and d.column is not None
    near = pd.DataFrame([["龙岗区", "2015-01-01", 1.0, True, "福田区"]],
                        columns=["district", "sample_date", "volume", "compliant", "ＤＩＳＴＲＩＣＴ".lower()])
    assert error_of(lambda: qualityrules.compute_indicators("longgang-2015", {"wastewater": near})).code == "QR213"


@pytest.mark.parametrize("rows", [-5, 0, 2.5, True])
def test_chunk_rows_must_be_a_positive_count(rows: Any) -> None:
    frame = pd.DataFrame({"district": ["龙岗区"], "sample_date": ["2015-01-01"], "volume": [1.0], "compliant": [True]})
    with pytest.raises(UsageError) as raised:
        qualityrules.compute_indicators("longgang-2015", {"wastewater": frame}, chunk_rows=rows)
    assert raised.value.code == "QR301"


@pytest.mark.parametrize("threads", [0, -1, 2.5, True])
def test_threads_must_be_a_positive_count(threads: Any) -> None:
    """threads=0 read as every core and threads=-1 as one, without a word: refused, as chunk_rows
    of 0 is (None, the default, is every core)."""
    frame = pd.DataFrame({"district": ["龙岗区"], "sample_date": ["2015-01-01"], "volume": [1.0], "compliant": [True]})
    for call in (qualityrules.compute_indicators, qualityrules.check_records):
        with pytest.raises(UsageError) as raised:
            call("longgang-2015", {"wastewater": frame}, threads=threads)
        assert raised.value.code == "QR303"


# ------------------------------------------------------------------------------------------
# Files: encodings, header rows, Excel formats, streaming


TRADITIONAL = "地區,年份,達標率,備註\n龍崗區,2015,96.5,統計年鑑\n福田區,2015,97,資料來源：統計局\n羅湖區,2014,94,暫無\n"


@pytest.mark.parametrize("encoding", ["big5", "gb18030", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_encodings_are_detected(encoding: str, tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", TRADITIONAL, encoding)
    obs = load(path, CAT)
    assert obs.regions == ("龍崗區", "福田區", "羅湖區") and cell(obs, "龙岗区", 2015, "达标率") == Cell(96.5, 96.5)


def test_a_file_ascii_at_first_is_still_detected(tmp_path: Path) -> None:
    rows = "".join(f"r{k},2015,95\n" for k in range(20000))          # > 64 KB of ASCII before any Chinese
    path = write(tmp_path, "t.csv", "region,year,达标率\n".replace("达标率", "rate") + rows + "龙岗区,2015,96\n",
                 "gb18030")
    obs = load(path, CAT, ignore_columns=["rate"])
    assert "龙岗区" in obs.regions


@pytest.mark.parametrize("name", ["rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri", "idna", "punycode",
                                  "undefined", "no-such-encoding"])
def test_an_encoding_that_reads_no_text_file_is_refused(name: str, tmp_path: Path) -> None:
    """Python's codecs include some for other things than text (``rot13`` turns text into text,
    ``zlib`` bytes into bytes): as an encoding they are QR202, not a TypeError from deep inside."""
    path = write(tmp_path, "t.csv", "region,year,达标率\n甲区,2015,96\n")
    d = error_of(lambda: load(path, CAT, encoding=name)).diagnostic
    assert d.code == "QR202" and f"'{name}'" in d.message and "gb18030" in (d.suggestion or "")
    assert "甲区" in load(path, CAT, encoding="utf-8").regions


@pytest.mark.parametrize(("text", "line", "column"), [
    ("region,year,达标率(百分点)\n甲区,2015,0.5\n", 1, 13),                          # the header's unit
    ("region,year,达标率\n甲区,2015,96\n乙区,2015,2个百分点\n", 3, 9),              # a cell's
    ("region,year,indicator,value,unit\n甲区,2015,达标率,0.5,百分点\n", 2, 17)])   # a unit column's
def test_percentage_points_are_no_level_of_a_share(text: str, line: int, column: int, tmp_path: Path) -> None:
    """百分点 is the difference of two percentages (a statistical table's year-on-year column):
    the unit table reads it as % so that a change in points converts, but a level is never
    given in it: QR205 where it is written, not a value of 0.5 % that fails."""
    d = error_of(lambda: load(write(tmp_path, "t.csv", text), CAT)).diagnostic
    assert d.code == "QR205" and (d.line, d.column) == (line, column)
    assert "percentage points" in d.message and "not a level of 达标率" in d.message
    assert d.suggestion == "give 达标率 in %"


@pytest.mark.parametrize("text", ["region,year,达标率(百分比)\n甲区,2015,96\n",
                                  "region,year,indicator,value,unit\n甲区,2015,达标率,96,百分比\n"])
def test_baifenbi_is_percent(text: str, tmp_path: Path) -> None:
    """百分比 ("percentage"), as a statistical table heads a share column, is %: not an unknown
    unit whose suggestion is 百分点 (which would then be refused as a change)."""
    obs = load(write(tmp_path, "t.csv", text), CAT)
    assert obs.units == ("%",) and obs.lo[0, 0, 0] == 96


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("region,year,达标率\n甲区,2015,96\n注：数据来源于统计局,,\n", 3, 1, "'注：数据来源于统计局': a note?"),
    ("region,year,达标率\n甲区,2015,96\n乙区,,\n丙区,,\n", 3, 1, "as are 1 more such row(s)"),
    ("region,year,达标率\n甲区,2015,96\n,2015,\n", 3, 2, "no region and no value"),
    ("region,year,indicator,value\n甲区,2015,达标率,96\n甲区,2015,,\n", 3, 1, "no indicator and no value"),
])
def test_a_note_row_is_left_out_and_said(text: str, line: int, column: int, words: str, tmp_path: Path) -> None:
    """A row with words in a key column but no year (region, indicator) and no value — a note
    under the table, a region listed without its year — is left out with QR221 at the first,
    not dropped unseen; an empty row and a totals row say nothing more."""
    obs = load(write(tmp_path, "t.csv", text), CAT)
    [warning] = obs.warnings
    assert warning.code == "QR221" and (warning.span.line, warning.span.column) == (line, column)
    assert words in warning.message and obs.regions == ("甲区",)
    quiet = load(write(tmp_path, "q.csv", "region,year,达标率\n甲区,2015,96\n,,\n合计,2015,\n"), CAT)
    assert [w.code for w in quiet.warnings] == ["QR216"]


@pytest.mark.parametrize("mark", ["，", "；", "、"])
def test_a_table_typed_with_full_width_separators_is_told_so(mark: str, tmp_path: Path) -> None:
    """A table typed with full-width commas between its cells (no delimiter a reader splits on)
    is one column: QR203 at the header naming the separator, not "no region column"."""
    path = write(tmp_path, "t.csv", f"region{mark}year{mark}达标率\n甲区{mark}2015{mark}96\n")
    d = error_of(lambda: load(path, CAT)).diagnostic
    assert d.code == "QR203" and d.line == 1 and f"separated by '{mark}'" in d.message
    assert f"replace every '{mark}'" in (d.suggestion or "")


def test_bytes_that_do_not_decode_are_located(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("region,year,达标率\n甲区,2015,96\n".encode() + b"\xff\xfe,2015,96\n")
    d = error_of(lambda: load(path, CAT, encoding="utf-8")).diagnostic
    assert d.code == "QR202" and d.line == 3


def test_a_title_row_above_the_header_is_skipped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "2015年各区质量指标,,\nregion,year,达标率\n甲区,2015,9x\n")
    d = error_of(lambda: load(path, CAT)).diagnostic
    assert d.code == "QR206" and "row 3, column '达标率'" in d.message and d.line == 3
    path = write(tmp_path, "t.csv", "2015年各区质量指标,,\nregion,year,达标率\n甲区,2015,96\n")
    obs = load(path, CAT)
    assert cell(obs, "甲区", 2015, "达标率") == Cell(96, 96)
    assert [w.code for w in obs.warnings] == ["QR211"] and obs.warnings[0].line == 1
    assert load(path, CAT, header_row=2).regions == ("甲区",)
    with pytest.raises(QualityRulesError):
        load(path, CAT, header_row=1)      # row 1 is not the header: no region column


def test_a_totals_row_is_left_out_with_a_warning_not_read_as_a_region(tmp_path: Path) -> None:
    """A region cell that is exactly a totals word (合计, 總計, 小　计, Total), in a CSV, a pandas
    table (wide or long) or a Dask table, is no region: the row is left out, QR216 shows the first
    one at its row and counts the others, and nothing else changes — not the other regions' values,
    not an empty year in a totals row (no error), not a region whose name holds the word (合计村)."""
    path = write(tmp_path, "t.csv", "region,year,达标率\n甲区,2015,96\n合 计,2015,96\n甲区,2014,90\n總計,2014,\n"
                                    "合计村,2014,91\n")
    obs = load(path, CAT)
    assert obs.regions == ("甲区", "合计村") and cell(obs, "甲区", 2015, "达标率") == Cell(96, 96)
    (warning,) = obs.warnings
    assert (warning.code, warning.severity, warning.line, warning.column) == ("QR216", Severity.WARNING, 3, 1)
    assert warning.message == ("row 3, column 'region': '合 计' marks a totals row, not a region: the row is left "
                               "out, as are 1 more totals row(s)")
    assert warning.span is not None and warning.span.end_column == 4              # under the cell, 3 characters
    assert "“合 计”表示合计行，不是地区" in warning.render("zh")
    wide = pd.DataFrame({"region": ["甲区", "小　计", "Total", "乙区"], "year": [2015, 2015, None, 2015],
                         "达标率": [96.0, 90.0, 93.0, 90.0]})
    long = pd.DataFrame({"地区": ["甲区", "乙区", "合計"], "年份": [2015] * 3, "指标": ["达标率"] * 3,
                         "数值": [96, 90, 93]})
    import dask.dataframe as dd

    for data, line, more in ((wide, 3, 1), (dd.from_pandas(wide, npartitions=3), 3, 1), (long, 4, 0)):
        obs = load(data, CAT)
        assert obs.regions == ("甲区", "乙区") and cell(obs, "乙区", 2015, "达标率") == Cell(90, 90)
        (warning,) = obs.warnings
        assert warning.code == "QR216" and warning.line == line
        assert ("as are 1 more" in warning.message) == bool(more)
    # the words in any script, width, case or spacing; only the whole cell
    assert [is_total(w) for w in ("合计", "總計", " 小　计 ", "ＴＯＴＡＬ", "Grand Total", "全市合计", "合计村", "全市",
                                  "合计(1)", "")] == [True] * 6 + [False] * 4
    assert all(normalize(w)[-1] in "计l" for w in TOTAL_ROWS)       # is_total's first test holds for every word
    # an empty region is no totals row: refused when the row holds values, as before
    d = error_of(lambda: load(pd.DataFrame({"region": ["甲区", " "], "year": [2015] * 2, "达标率": [96, 90]}),
                              CAT)).diagnostic
    assert d.code == "QR203" and "the region is empty" in d.message
    # evaluate: the totals row is no not-applicable region (QR240), and the verdicts are those without it
    pack = qualityrules.load_pack("longgang-2015")
    rows = pd.DataFrame({"region": ["龙岗区", "合计"], "year": [2015] * 2, "工业废水达标排放率": [96, 80]})
    report = qualityrules.evaluate(pack, rows)
    assert [w.code for w in report.warnings] == ["QR216"]
    assert report.results() == qualityrules.evaluate(pack, rows.iloc[:1]).results()


def test_the_check_command_takes_a_header_row(tmp_path: Path, capsys: Any) -> None:
    from qualityrules.cli import main

    path = write(tmp_path, "t.csv", "2015年,,\nregion,year,工业废水达标排放率\n龙岗区,2015,96\n")
    assert main(["check", "longgang-2015", str(path), "--region", "龙岗区", "--header-row", "2"]) in (0, 1)
    assert "96" in capsys.readouterr().out
    assert main(["check", "longgang-2015", str(path), "--header-row", "0"]) == 2
    assert "QR301" in capsys.readouterr().err


def test_xlsx_title_row_and_percent_format(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2015年各区质量指标"])
    sheet.append(["地区", "年份", "达标率", "收入(万元)"])
    sheet.append(["甲区", 2015, 0.96, 12])
    sheet.append(["乙区", 2015, 0.955, "5万"])
    sheet["C3"].number_format = "0%"
    sheet["C4"].number_format = "0.0%"
    sheet["D3"].number_format = "0.0%"        # a percentage where the indicator is money: an error
    path = tmp_path / "t.xlsx"
    book.save(path)
    d = error_of(lambda: load(path, money_catalogue())).diagnostic
    assert d.code == "QR205" and "cell D3" in d.message
    sheet["D3"].number_format = "General"
    book.save(path)
    obs = load(path, money_catalogue())
    assert cell(obs, "甲区", 2015, "达标率") == Cell(96, 96) and cell(obs, "乙区", 2015, "达标率") == Cell(95.5, 95.5)
    assert cell(obs, "乙区", 2015, "收入") == Cell(5, 5)
    assert [w.code for w in obs.warnings] == ["QR211"]
    report = qualityrules.evaluate(make_pack("达标率 >= 95%"), path, ignore_columns=["收入(万元)"])
    assert report.verdict("甲区", 2015, "达标率") == "pass"


def test_a_large_csv_is_streamed_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import qualityrules.tables.source as source

    rng = np.random.default_rng(3)
    n = 20000
    frame = pd.DataFrame({"region": [f"区{k % 997}" for k in range(n)], "year": 2000 + np.arange(n) // 997,
                          "达标率": np.round(rng.normal(95, 3, n), 2)})
    frame.loc[::7, "达标率"] = np.nan
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    seen: list[int] = []
    original = source.CsvTable.batches

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        for batch in original(self, *args, **kwargs):
            seen.append(batch.n)
            yield batch

    monkeypatch.setattr(source, "_BLOCK", 1 << 12)
    monkeypatch.setattr(source.CsvTable, "batches", counting)
    monkeypatch.setattr(source.CsvTable, "bytes_per_row", 16, raising=False)
    obs = load(path, CAT)
    expected = load(frame, CAT)
    assert obs.regions == expected.regions
    assert np.array_equal(obs.values[0].lo, expected.values[0].lo, equal_nan=True)
    assert sum(seen) == n


def test_parquet_feather_and_directories(tmp_path: Path) -> None:
    frame = pd.DataFrame({"region": ["甲区", "乙区"], "year": [2015, 2015], "达标率": ["96", "≥98"]})
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    frame.to_feather(tmp_path / "t.feather")
    for name in ("t.parquet", "t.feather"):
        obs = load(tmp_path / name, CAT)
        assert cell(obs, "乙区", 2015, "达标率") == Cell(98, math.inf)
    bad = pd.DataFrame({"region": ["甲区", "乙区"], "year": [2015, 2015], "达标率": ["96", "x9"]})
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    d = error_of(lambda: load(tmp_path / "bad.parquet", CAT)).diagnostic
    assert d.code == "QR206" and d.line == 3 and "row 3, column '达标率'" in d.message


# ------------------------------------------------------------------------------------------
# Row numbering


def test_rows_are_numbered_as_a_spreadsheet_in_every_path(tmp_path: Path) -> None:
    frame = pd.DataFrame({"region": ["甲区", "乙区"], "year": [2015, 2015], "达标率": ["96", "bad"]})
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    for source in (frame, path, frame.to_dict("list")):
        assert "row 3, column '达标率'" in error_of(lambda s=source: load(s, CAT)).diagnostic.message
    records = pd.DataFrame({"district": ["龙岗区", "龙岗区"], "sample_date": ["2015-01-01", "2015-01-02"],
                            "volume": ["1", "bad"], "compliant": [True, True]})
    records.to_csv(tmp_path / "wastewater.csv", index=False)
    for source in ({"wastewater": records}, [tmp_path / "wastewater.csv"]):
        message = error_of(lambda s=source: qualityrules.compute_indicators("longgang-2015", s)).diagnostic.message
        assert "row 3, column 'volume'" in message


def test_diagnostic_examples_in_the_docs(tmp_path: Path) -> None:
    """The QR210–QR213 examples of docs/diagnostics.rst are what the reader prints."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "diagnostics.rst").read_text(encoding="utf-8")
    data = tmp_path / "data.csv"
    shipped = qualityrules.load_catalogue()

    def quoted(diagnostic: Any) -> str:
        text = diagnostic.render().replace(str(data), "data.csv")
        return "\n".join("   " + line for line in text.splitlines())

    data.write_text('region,year,工业废水达标排放率\n龙岗区,2015,96\n福田区,2015,"96.5\n罗湖区,2015,94\n', encoding="utf-8")
    assert quoted(error_of(lambda: load(data, shipped)).diagnostic) in docs
    data.write_text("2015年各区质量指标,,\nregion,year,工业废水达标排放率\n龙岗区,2015,96\n", encoding="utf-8")
    assert quoted(load(data, shipped).warnings[0]) in docs
    data.write_text("region,year,工业废水达标排放率\n龙岗区,2015,94¹\n", encoding="utf-8")
    assert quoted(load(data, shipped).warnings[0]) in docs
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("region,year,工业废水达标排放率\n龙岗区,2015,98以上\n", encoding="utf-8")
    b.write_text("region,year,工业废水达标排放率\n龙岗区,2015,超过98\n", encoding="utf-8")
    conflict = error_of(lambda: load([a, b], shipped)).diagnostic.render()
    assert "\n".join("   " + line for line in conflict.replace(str(a), "a.csv").replace(str(b), "b.csv").splitlines()) \
        in docs
    frame = pd.DataFrame([["龙岗区", "2015-01-01", 1.0, True, "福田区"]],
                         columns=["district", "sample_date", "volume", "compliant", "district"])
    shown = error_of(lambda: qualityrules.compute_indicators("longgang-2015", {"wastewater": frame})).diagnostic.render()
    assert "\n".join("   " + line for line in shown.splitlines()) in docs, shown
    infinite = qualityrules.evaluate(make_pack("达标率 >= 95%"), {"region": ["甲区"], "year": [2015],
                                                                  "达标率": np.array([np.inf])})
    assert "\n".join("   " + line for line in infinite.obs.warnings[0].render().splitlines()) in docs


# ------------------------------------------------------------------------------------------
# The property: a table reads back the same from every file format as from memory


_NAMES = ["甲区", "乙區", "丙区,东", 'Dīng "区"', "戊区", "440307"]
_VALUE = st.one_of(
    st.none(),
    st.decimals(min_value=-1000, max_value=100000, places=3, allow_nan=False).map(float),
    st.sampled_from(["≥95", "<3", "98以上", "超过98", "1,234.5", "3万", "—", "96.5¹"]),
)


@st.composite
def tables(draw: st.DrawFn) -> dict[str, list[Any]]:
    regions = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=4, unique=True))
    years = draw(st.lists(st.integers(2011, 2020), min_size=1, max_size=3, unique=True))
    rows = [(r, y) for r in regions for y in years]
    rows = draw(st.permutations(rows))
    columns = draw(st.lists(st.sampled_from(["达标率", "企业数", "产值(万元)", "事故"]), min_size=1, max_size=3,
                            unique=True))
    table: dict[str, list[Any]] = {"region": [r for r, _ in rows], "year": [y for _, y in rows]}
    for name in columns:
        table[name] = draw(st.lists(_VALUE, min_size=len(rows), max_size=len(rows)))
    table["备注"] = draw(st.lists(st.sampled_from(["", "来源: 年鉴", 'a "quote", and\na line']), min_size=len(rows),
                                  max_size=len(rows)))
    return table


def _same(a: Observations, b: Observations) -> None:
    assert a.regions == b.regions and a.years.tolist() == b.years.tolist() and a.indicators == b.indicators
    for x, y in zip(a.values, b.values, strict=True):
        assert np.array_equal(x.lo, y.lo, equal_nan=True) and np.array_equal(x.hi, y.hi, equal_nan=True)
        assert (x.lo_open is None) == (y.lo_open is None)
        if x.lo_open is not None and y.lo_open is not None and x.hi_open is not None and y.hi_open is not None:
            present = ~np.isnan(x.lo)
            assert np.array_equal(x.lo_open[present], y.lo_open[present])
            assert np.array_equal(x.hi_open[present], y.hi_open[present])
    assert a.exact == b.exact


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables())
def test_files_read_back_as_the_in_memory_table(table: dict[str, list[Any]], tmp_path: Path) -> None:
    expected = load(table, CAT)
    frame = pd.DataFrame(table)
    for encoding in ("utf-8", "gb18030", "utf-8-sig"):
        path = tmp_path / f"t-{encoding}.csv"
        frame.to_csv(path, index=False, encoding=encoding)
        _same(load(path, CAT), expected)
    xlsx = tmp_path / "t.xlsx"
    frame.to_excel(xlsx, index=False)
    _same(load(xlsx, CAT), expected)
    parquet = tmp_path / "t.parquet"
    text = frame.copy()
    for name in text.columns[2:]:
        if text[name].map(lambda v: isinstance(v, str)).any():
            text[name] = text[name].map(lambda v: None if v is None or v != v else str(v))
    text.to_parquet(parquet, index=False)
    _same(load(parquet, CAT), expected)


HUGE_CELLS = [1e999, -1e999, 10 ** 400, -(10 ** 400), "1e999", "1e1000000000", "-1e-1000000000",
              Decimal("1e1000000000"), Decimal("-1e-1000000000"), np.float32("inf")]


@pytest.mark.parametrize("cell", HUGE_CELLS, ids=lambda c: f"{type(c).__name__}:{str(c)[:12]}")
@pytest.mark.parametrize("form", ["csv", "dict", "pandas", "long", "records dict", "records pandas", "records csv"])
def test_numbers_beyond_the_float_range_in_every_input_form(cell: Any, form: str, tmp_path: Path) -> None:
    """A number a float cannot hold, in a data cell of every form the reader takes: a located data
    error (QR2xx) where it is, or — an infinity already held in a float column — unknown with the
    QR214 warning naming the cell; never an OverflowError, a hang, a silent 0 or a verdict."""
    wastewater = "工业废水达标排放率"
    text = str(cell) if not isinstance(cell, float) else repr(cell)
    if form.startswith("records"):
        records: dict[str, Any] = {"district": ["龙岗区", "龙岗区"], "sample_date": ["2015-03-01", "2015-04-01"],
                                   "volume": [1.0, cell], "compliant": [True, False]}
        source: Any = records
        if form == "records pandas":
            source = pd.DataFrame({**records, "volume": pd.Series(records["volume"], dtype=object)})
        elif form == "records csv":
            source = tmp_path / "wastewater.csv"
            source.write_text(f"district,sample_date,volume,compliant\n龙岗区,2015-03-01,1.0,true\n"
                              f"龙岗区,2015-04-01,{text},false\n", encoding="utf-8")
        call: Any = lambda: qualityrules.check_records("longgang-2015", {"wastewater": source})  # noqa: E731
        line = 3
    else:
        data: Any = {"region": ["龙岗区", "龙岗区"], "year": [2014, 2015], wastewater: [96.0, cell]}
        if form == "pandas":
            data = pd.DataFrame({**data, wastewater: pd.Series(data[wastewater], dtype=object)})
        elif form == "long":
            data = {"region": data["region"], "year": data["year"], "indicator": [wastewater] * 2,
                    "value": data[wastewater]}
        elif form == "csv":
            data = tmp_path / "data.csv"
            data.write_text(f"region,year,{wastewater}\n龙岗区,2014,96\n龙岗区,2015,{text}\n", encoding="utf-8")
        call = lambda: qualityrules.evaluate("longgang-2015", data)  # noqa: E731
        line = 3
    try:
        report = call()
    except qualityrules.DataError as error:
        assert re.fullmatch(r"QR2\d\d", error.code) and error.span is not None and error.span.line == line, error
        return
    # only an infinity already held as a float is read: as unknown, with a warning at its cell
    assert isinstance(cell, (float, np.floating)) and math.isinf(cell) and form in ("dict", "long", "records dict",
                                                                                  "records pandas")
    assert report.verdict("龙岗区", 2015, wastewater) == "unknown"
    warning = next(w for w in report.warnings if w.code == "QR214")
    assert warning.span is not None and warning.span.line == line


def test_a_year_written_as_a_whole_float_is_that_year(tmp_path: Path) -> None:
    """pandas writes a year column that has an empty cell as floats: ``2015.0`` in the CSV is the
    year 2015, as the float 2015.0 is in memory; ``2015.5`` is no year."""
    path = write(tmp_path, "t.csv", "region,year,达标率\n甲区,2015.0,96\n乙区,,\n")
    obs = load(path, CAT)
    assert cell(obs, "甲区", 2015, "达标率") == Cell(96, 96)
    path = write(tmp_path, "u.csv", "region,year,达标率\n甲区,2015.5,96\n")
    assert "'2015.5' is not a year" in str(error_of(lambda: load(path, CAT)))


@pytest.mark.parametrize("kind", ["pyarrow", "polars", "pyarrow zoned"])
def test_a_year_column_of_arrow_dates_is_read_as_pandas_dates_are(kind: str) -> None:
    """Dates in the year column (a period's last day) give their year, from Arrow and polars as
    from pandas (was: '2015-12-31' is not a year); a zoned time stamp on the day it shows."""
    import polars as pl
    import pyarrow as pa

    days = [dt.date(2015, 12, 31), None, dt.date(2016, 1, 1)]
    if kind == "pyarrow zoned":
        beijing = dt.timezone(dt.timedelta(hours=8))
        days_array = pa.array([dt.datetime(2015, 12, 31, 23, 30, tzinfo=beijing), None,
                               dt.datetime(2016, 1, 1, 0, 30, tzinfo=beijing)], pa.timestamp("s", tz="Asia/Shanghai"))
        table: Any = pa.table({"region": ["甲区", "甲区", "甲区"], "year": days_array, "达标率": [96.0, None, 97.0]})
    else:
        table = pa.table({"region": ["甲区", "甲区", "甲区"], "year": pa.array(days), "达标率": [96.0, None, 97.0]})
    if kind == "polars":
        table = pl.from_arrow(table)
    expected = load({"region": ["甲区", "甲区", "甲区"], "year": pd.to_datetime(["2015-12-31", None, "2016-01-01"]),
                     "达标率": [96.0, None, 97.0]}, CAT)
    obs = load(table, CAT)
    assert cell(obs, "甲区", 2015, "达标率") == cell(expected, "甲区", 2015, "达标率") == Cell(96, 96)
    assert cell(obs, "甲区", 2016, "达标率") == Cell(97, 97)


def test_bytes_are_utf8_text_never_their_repr() -> None:
    """A numpy bytes column (HDF5, netCDF, older pipelines) or bytes objects are UTF-8 text: the
    region 甲区, not "b'\\xe7…'" (was: a region of that name, silently outside the pack's area);
    bytes that are no UTF-8 are refused where they are (QR244)."""
    for regions in (np.array(["甲区".encode()]), np.array(["甲区".encode()], dtype=object)):
        obs = load({"region": regions, "year": np.array([2015]), "达标率": np.array([96.0])}, CAT)
        assert cell(obs, "甲区", 2015, "达标率") == Cell(96, 96)
    error = error_of(lambda: load({"region": np.array([b"\xff\xfe"]), "year": [2015], "达标率": [96.0]}, CAT))
    assert error.diagnostic.code == "QR244" and (error.diagnostic.line, error.diagnostic.column) == (2, 1)


@pytest.mark.parametrize("form", ["wide", "long"])
def test_a_note_below_the_table_names_no_region(tmp_path: Path, form: str) -> None:
    """Statistical sheets end with a note (注：数据来源于统计局) in the first column and nothing
    else: the row is empty and left out, and so is the region its note would name (was: a region
    注：… with every target not-applicable, counted in the summary and QR240)."""
    if form == "wide":
        text = "region,year,达标率\n甲区,2015,96\n注：数据来源于统计局,,\n,2099,\n"
    else:
        text = "region,year,indicator,value\n甲区,2015,达标率,96\n注：数据来源于统计局,,,\n,2099,,\n"
    obs = load(write(tmp_path, "t.csv", text), CAT)
    assert list(obs.regions) == ["甲区"] and [int(y) for y in obs.years] == [2015]
    assert cell(obs, "甲区", 2015, "达标率") == Cell(96, 96)


def test_a_bad_byte_in_a_utf8_file_is_refused_where_it_is(tmp_path: Path) -> None:
    """A UTF-8 file with one bad byte (a cell pasted from elsewhere) is UTF-8 with an error at that
    byte's line (was: decoded as GB18030, refused at the header's Chinese with a misleading
    message); a GB18030 file is still read as GB18030."""
    path = tmp_path / "t.csv"
    path.write_bytes("region,year,达标率,备注\n甲区,2015,96,好\n".encode() + b"\xc3\x28,2016,90,\n")
    error = error_of(lambda: load(path, CAT))
    assert error.diagnostic.code == "QR202" and "utf-8" in error.diagnostic.message and error.diagnostic.line == 3
    path.write_bytes("region,year,达标率,备注\n甲区,2015,96,好\n乙区,2016,90,\n".encode("gb18030"))
    assert cell(load(path, CAT), "乙区", 2016, "达标率") == Cell(90, 90)


def test_lines_broken_by_carriage_returns_alone(tmp_path: Path) -> None:
    """Excel for Mac's "CSV (Macintosh)" breaks lines with CR alone: read as lines (was: the whole
    file one header row, refused as unknown indicators), rows and errors where a spreadsheet
    shows them, a quoted line break inside a cell kept."""
    text = 'region,year,达标率,备注\n甲区,2015,96,"a\nb"\n\n乙区,2015,97,\n'
    lf = load(write(tmp_path, "lf.csv", text), CAT)
    cr = load(write(tmp_path, "cr.csv", text.replace("\n", "\r")), CAT)
    assert list(cr.regions) == list(lf.regions) == ["甲区", "乙区"]
    assert cell(cr, "乙区", 2015, "达标率") == cell(lf, "乙区", 2015, "达标率") == Cell(97, 97)
    bad = write(tmp_path, "bad.csv", "region,year,达标率\r甲区,2015,96\r\r乙区,2015,abc\r")
    error = error_of(lambda: load(bad, CAT))
    assert (error.diagnostic.code, error.diagnostic.line, error.diagnostic.column) == ("QR206", 4, 9)


def test_invisible_characters_pasted_into_names_are_not_part_of_them() -> None:
    """A zero-width space, a direction mark or a BOM pasted after a region's or an indicator's name
    (copied from a web page) is not part of the name: 甲区\\u200b is 甲区 (was: another region)."""
    obs = load({"region": ["甲区\u200b", "\u200e乙区"], "year": [2015, 2015], "达标率\ufeff": [96.0, 97.0]}, CAT)
    assert cell(obs, "甲区", 2015, "达标率") == Cell(96, 96) and cell(obs, "乙区", 2015, "达标率") == Cell(97, 97)
    assert list(obs.regions) == ["甲区", "乙区"]         # shown as they show
