"""Arbitrary text into the parser and loaders: only QualityRulesError may come out."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityrules
from qualityrules.language.parse import parse_text
from qualityrules.packs import resolve

PIECES = [
    "pack", "p", "extends", "{", "}", "\n", " ", "section", "s", "region", "龙岗区", "level", "district",
    "period", "2011..2015", "target", "2015", "工业废水达标排放率", "名牌产品", ">=", "≥", "<", "==", "!=",
    "达到", "以上", "以下", "控制在", "超过", "低于", "不满", "逾", "95", "９５", "％", "%", "万", "亿元", "家",
    "个", "五", "百", "左右", "±", "约", "-", "―", "至", "较2015年", "下降", "提高", "个百分点", "翻一番",
    "每年", "累计", "到2015年", "力争", "争取", "cite", '"附件"', "because", "unenforced", "override",
    "commitment", "indicator", "unit", "direction", "higher", "alias", "from", "value", "sum(", "share(",
    "where", "and", "or", "not", ")", "(", "*", "/", "min_records", "0", "#", "零事故", "1.75", ",",
    "工業廢水", "“", "”", "「", "」", "\t", "\r\n", "\u3000", "\x00", "..", "by", "between",
]
fragments = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
texts = st.one_of(st.text(max_size=200), fragments)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_parse_text_only_returns_diagnostics(text: str) -> None:
    parse_text(text)  # never raises, even for user errors


@settings(max_examples=300, deadline=None)
@given(texts)
def test_parse_rule_raises_only_our_errors(text: str) -> None:
    try:
        qualityrules.parse_rule(text)
    except qualityrules.QualityRulesError as error:
        assert error.diagnostics and error.code.startswith("QR")
        for diagnostic in error.diagnostics:
            diagnostic.render()


@settings(max_examples=200, deadline=None)
@given(st.one_of(fragments.map(lambda body: f"pack p {{\n    region r\n    level city\n    target 2015\n"
                                            f"    section s {{\n        {body}\n    }}\n}}\n"), texts))
def test_resolve_raises_only_our_errors(text: str) -> None:
    try:
        qualityrules.parse_pack(text)
    except qualityrules.QualityRulesError as error:
        assert error.diagnostics


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_lint_of_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.qr"
    path.write_bytes(data)
    for diagnostic in qualityrules.lint(path):
        assert diagnostic.code.startswith("QR")
    try:
        resolve.load_pack(path)
    except qualityrules.QualityRulesError:
        pass
