"""The language server end to end: ``qualityrules lsp`` in a subprocess driven by a real LSP client
(pytest-lsp), on a shipped pack and on a broken one: diagnostics on open and on change (one bad line
does not hide the others), hover, completion, go to definition, formatting and quick fixes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = Path(__file__).resolve().parents[1]
LONGGANG = ROOT / "rules" / "packs" / "longgang-2015.qr"

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

BROKEN = """\
pack pingshan-2015 extends guangdong-2015 {
    region 坪山区
    level  district
    period 2011..2015
    target 2015

    section 环境 {
        工业废水达标拍放率 >= 96%
        饮用水源水质达标率 >= >= 98%
        工业废水达标排放率 达到90%以上
        override 城镇生活污水处理率 达到60%以上
        万元GDP能耗 <= 0.5
    }
}
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "qualityrules", "lsp"]),
                    scope="module")
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=ROOT.as_uri(), locale="en"))
    yield
    await lsp_client.shutdown_session()


async def _open(client: LanguageClient, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="qualityrules", version=1, text=text)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return uri


def _at(text: str, needle: str, offset: int = 0) -> types.Position:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return types.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


async def test_shipped_pack_has_no_diagnostics_and_hovers(client: LanguageClient) -> None:
    text = LONGGANG.read_text(encoding="utf-8")
    uri = await _open(client, LONGGANG, text)
    assert [d.code for d in client.diagnostics[uri]] == []   # its one contradiction is a reviewed noqa

    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=_at(text, "override 主要工业产品采标率", 12)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    value = hover.contents.value
    assert "**主要工业产品采标率**" in value and "unit: %" in value and "higher is better" in value
    assert "guangdong-2015 binds" in value and "粤府〔2010〕84号" in value   # the parent's target and its cite

    on_parent = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=_at(text, "extends guangdong-2015", 10)))
    assert on_parent is not None and "province" in on_parent.contents.value  # type: ignore[union-attr]


async def test_completion_offers_indicators_comparators_units_and_pack_ids(client: LanguageClient) -> None:
    text = LONGGANG.read_text(encoding="utf-8")
    uri = LONGGANG.as_uri()

    async def labels(position: types.Position) -> set[str]:
        found = await client.text_document_completion_async(types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position))
        assert found is not None
        items = found.items if isinstance(found, types.CompletionList) else found
        return {item.label for item in items}

    rule_start = _at(text, "        到2015年 发明专利年授权量", 8)
    start = await labels(rule_start)
    assert {"工业废水达标排放率", "废水达标排放率", "override"} <= start        # names, aliases, keyword
    after_name = await labels(_at(text, "超过3600件"))
    assert {"不低于", "以上", ">="} <= after_name and "工业废水达标排放率" not in after_name
    after_number = await labels(_at(text, "超过3600件", 6))
    assert {"件", "万元", "%"} <= after_number
    header = text.index("extends guangdong-2015") + len("extends ")
    packs = await labels(_at(text, "extends guangdong-2015", len("extends ")))
    assert {"guangdong-2015", "nation-2020", "shenzhen-2016"} <= packs and header > 0


async def test_definition_of_parent_and_indicator(client: LanguageClient) -> None:
    text = LONGGANG.read_text(encoding="utf-8")
    uri = LONGGANG.as_uri()
    parent = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=_at(text, "extends guangdong-2015", 12)))
    assert isinstance(parent, types.Location) and parent.uri.endswith("/rules/packs/guangdong-2015.qr")
    target = Path(parent.uri.removeprefix("file://")).read_text(encoding="utf-8").splitlines()[parent.range.start.line]
    assert target.startswith("pack guangdong-2015")

    indicator = await client.text_document_definition_async(types.DefinitionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=_at(text, "override 主要工业产品采标率", 12)))
    assert isinstance(indicator, types.Location) and indicator.uri.endswith("/rules/catalogue.qr")
    line = (ROOT / "rules" / "catalogue.qr").read_text(encoding="utf-8").splitlines()[indicator.range.start.line]
    assert line == "indicator 主要工业产品采标率 {"


async def test_broken_pack_diagnostics_survive_a_bad_line_and_follow_changes(client: LanguageClient,
                                                                            tmp_path: Path) -> None:
    path = tmp_path / "pingshan-2015.qr"
    uri = await _open(client, path, BROKEN)
    found = {(d.code, d.range.start.line) for d in client.diagnostics[uri]}
    # the syntax error on line 9 does not hide the unknown indicator, the silent redefinition,
    # the looser override or the missing unit on the other lines
    assert {("QR101", 7), ("QR002", 8), ("QR105", 9), ("QR106", 10), ("QR111", 11)} <= found
    qr101 = next(d for d in client.diagnostics[uri] if d.code == "QR101")
    assert (qr101.range.start.character, qr101.range.end.character) == (8, 17)   # the name, in UTF-16 units

    fixed = BROKEN.replace(">= >= 98%", ">= 98%")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    codes = [d.code for d in client.diagnostics[uri]]
    assert "QR002" not in codes and {"QR101", "QR105", "QR106", "QR111"} <= set(codes)

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=7, character=0), end=types.Position(line=11, character=0)),
        context=types.CodeActionContext(diagnostics=list(client.diagnostics[uri]))))
    assert actions is not None
    edits = {a.title: a.edit.changes[uri][0] for a in actions  # type: ignore[union-attr]
             if isinstance(a, types.CodeAction) and a.edit and a.edit.changes}
    rename = edits["replace with '工业废水达标排放率'"]
    assert (rename.range.start.line, rename.range.start.character, rename.new_text) == (7, 8, "工业废水达标排放率")
    override = edits["mark the rule 'override'"]
    assert (override.range.start.line, override.range.start.character, override.new_text) == (9, 8, "override ")
    because = edits['add because "…" (the reason the override is looser)']
    assert because.range.start.line == 10 and because.new_text == ' because "…"'
    noqa = edits["suppress QR111 on this line (give the reason)"]
    assert noqa.range.start.line == 11 and noqa.new_text == "  # noqa: QR111 "

    # applying the fixes (and writing the reason) clears the diagnostics they were for
    lines = fixed.split("\n")
    lines[7] = lines[7].replace("工业废水达标拍放率", "工业废水达标排放率")
    lines[9] = "        override " + lines[9].strip()
    lines[10] = lines[10] + ' because "本区污水管网在建"'
    lines[11] = lines[11] + "  # noqa: QR111 单位同原文, 按吨标准煤/万元理解"
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="\n".join(lines))]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    after = {(d.code, d.range.start.line) for d in client.diagnostics[uri]}
    assert not after & {("QR101", 7), ("QR105", 9), ("QR106", 10), ("QR111", 11)}, after
    assert ("QR106", 9) in after   # the restated line, now an override, is looser than the parent's


async def test_formatting_returns_the_canonical_form(client: LanguageClient, tmp_path: Path) -> None:
    from qualityrules.language.format import format_file
    from qualityrules.language.parse import parse_text

    messy = LONGGANG.read_text(encoding="utf-8").replace("    region    龙岗区", "  region   龙岗区")
    path = tmp_path / "longgang-2015.qr"
    uri = await _open(client, path, messy)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=uri), options=types.FormattingOptions(tab_size=4,
                                                                                            insert_spaces=True)))
    assert edits is not None and len(edits) == 1
    assert edits[0].new_text == format_file(parse_text(messy, source=str(path))[0])
    assert edits[0].new_text == LONGGANG.read_text(encoding="utf-8")
    broken = await _open(client, tmp_path / "broken.qr", BROKEN)
    none = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=broken), options=types.FormattingOptions(tab_size=4,
                                                                                               insert_spaces=True)))
    assert not none  # a file with syntax errors is left alone


PROJECT = Path(__file__).resolve().parent / "fixtures" / "lsp-project"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "qualityrules", "lsp"]),
                    scope="module")
async def chinese_client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), root_uri=PROJECT.as_uri(), locale="zh-cn"))
    yield
    await lsp_client.shutdown_session()


async def test_workspace_configuration_and_editor_language(chinese_client: LanguageClient) -> None:
    pack = PROJECT / "packs" / "pingshan-2020.qr"
    text = pack.read_text(encoding="utf-8")
    uri = await _open(chinese_client, pack, text)
    found = [(d.code, d.message.split("\n")[0]) for d in chinese_client.diagnostics[uri]]
    # the own indicator is known through the workspace's qualityrules.toml; messages are Chinese
    assert found == [("QR101", "未知指标“辖区黑臭水体消除率”")], found
    hover = await chinese_client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=_at(text, "辖区黑臭水体消除比例", 2)))
    assert hover is not None and "单位：%；越高越好" in hover.contents.value  # type: ignore[union-attr]
