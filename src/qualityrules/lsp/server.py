"""The language server (``qualityrules lsp``), built on pygls: the LSP side of
:mod:`.analysis`. Messages are in the editor's language (``InitializeParams.locale``: ``zh-cn`` →
Chinese), else the project's, else the locale's.

pygls is the ``lsp`` extra; this module is only imported when the server starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import find_config
from ..errors import Diagnostic, QualityRulesError, Severity, missing_extra
from ..i18n import language_of_locale, render, use
from .analysis import Completion, Fix, Location, Project

try:
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer
    from pygls.uris import from_fs_path, to_fs_path
except ModuleNotFoundError as error:  # the extra is not installed
    raise missing_extra("lsp", "the language server") from error

__all__ = ["build_server", "serve"]

_KINDS = {
    "indicator": types.CompletionItemKind.Field, "alias": types.CompletionItemKind.Reference,
    "comparator": types.CompletionItemKind.Operator, "unit": types.CompletionItemKind.Unit,
    "pack": types.CompletionItemKind.Module, "keyword": types.CompletionItemKind.Keyword,
}


class QualityRulesServer(LanguageServer):
    def __init__(self, project: Project) -> None:
        super().__init__("qualityrules", "0.1.0", text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.project = project
        self.last: dict[str, list[Diagnostic]] = {}  # uri -> the diagnostics last published


def _text(server: QualityRulesServer, uri: str) -> tuple[Any, str, str]:
    document = server.workspace.get_text_document(uri)
    return document, document.source, to_fs_path(uri) or uri


def _position(document: Any, position: types.Position) -> tuple[int, int]:
    found = document.position_codec.position_from_client_units(document.lines, position)
    return found.line, found.character


def _client_range(document: Any, line: int, column: int, end_line: int, end_column: int) -> types.Range:
    lines = document.lines
    codec = document.position_codec
    return types.Range(start=codec.position_to_client_units(lines, types.Position(line=line, character=column)),
                       end=codec.position_to_client_units(lines, types.Position(line=end_line, character=end_column)))


def _lsp_diagnostic(document: Any, d: Diagnostic) -> types.Diagnostic:
    if d.span is not None:
        span = d.span
        end_column = span.end_column - 1 if (span.end_line, span.end_column) > (span.line, span.column) else span.column
        rng = _client_range(document, span.line - 1, span.column - 1, span.end_line - 1, end_column)
    else:
        rng = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    message = render(d.message) + (f"\n{render(d.suggestion)}" if d.suggestion else "")
    return types.Diagnostic(
        range=rng, message=message, code=d.code, source="qualityrules",
        severity=types.DiagnosticSeverity.Error if d.severity is Severity.ERROR else types.DiagnosticSeverity.Warning,
        data={"code": d.code})


def build_server(project: Project) -> QualityRulesServer:
    server = QualityRulesServer(project)

    @server.feature(types.INITIALIZE)
    def initialize(ls: QualityRulesServer, params: types.InitializeParams) -> None:
        chosen = language_of_locale((params.locale or "").replace("-", "_"))
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        if options.get("language") in ("zh", "en"):
            chosen = options["language"]
        if chosen is not None:
            use(chosen)
        for key, target in (("packs", ls.project.search), ("catalogues", ls.project.catalogues)):
            target.extend(Path(p) for p in options.get(key, ()) if isinstance(p, str))
        root = to_fs_path(params.root_uri) if params.root_uri else None
        if root:  # the workspace's project configuration, wherever the editor started the server
            try:
                config = find_config(root)
            except QualityRulesError as error:
                ls.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Error, message="\n".join(d.render() for d in error.diagnostics)))
                return
            ls.project.search.extend(p for p in config.packs if p not in ls.project.search)
            ls.project.catalogues.extend(p for p in config.catalogues if p not in ls.project.catalogues)
            ls.project.select = ls.project.select or config.select
            ls.project.ignore = ls.project.ignore or config.ignore
            if chosen is None and config.language:
                use(config.language)

    def publish(ls: QualityRulesServer, uri: str) -> None:
        document, text, path = _text(ls, uri)
        found = ls.project.diagnose(text, path)
        ls.last[uri] = found
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=[_lsp_diagnostic(document, d) for d in found]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: QualityRulesServer, params: types.DidOpenTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: QualityRulesServer, params: types.DidChangeTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: QualityRulesServer, params: types.DidSaveTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: QualityRulesServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.last.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: QualityRulesServer, params: types.HoverParams) -> types.Hover | None:
        document, text, path = _text(ls, params.text_document.uri)
        line, column = _position(document, params.position)
        found = ls.project.hover(text, path, line, column)
        if found is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found))

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=[" ", ","]))
    def completion(ls: QualityRulesServer, params: types.CompletionParams) -> types.CompletionList:
        document, text, path = _text(ls, params.text_document.uri)
        line, column = _position(document, params.position)
        items = [_completion_item(c) for c in ls.project.complete(text, path, line, column)]
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: QualityRulesServer, params: types.DefinitionParams) -> types.Location | None:
        document, text, path = _text(ls, params.text_document.uri)
        line, column = _position(document, params.position)
        found = ls.project.definition(text, path, line, column)
        return _location(found) if found is not None else None

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: QualityRulesServer, params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
        document, text, path = _text(ls, params.text_document.uri)
        formatted = ls.project.format(text, path)
        if formatted is None or formatted == text:
            return [] if formatted is not None else None
        lines = text.split("\n")
        whole = _client_range(document, 0, 0, len(lines) - 1, len(lines[-1]))
        return [types.TextEdit(range=whole, new_text=formatted)]

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: QualityRulesServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        document, text, path = _text(ls, uri)
        wanted = {(d.range.start.line, d.code) for d in params.context.diagnostics}
        ours = [d for d in ls.last.get(uri, []) if d.line is not None and (d.line - 1, d.code) in wanted]
        if not ours:  # the client may ask about a range without listing its diagnostics
            first, last = params.range.start.line, params.range.end.line
            ours = [d for d in ls.last.get(uri, []) if d.line is not None and first <= d.line - 1 <= last]
        return [_action(document, uri, fix, ours) for fix in ls.project.fixes(text, path, ours)]

    return server


def _completion_item(c: Completion) -> types.CompletionItem:
    return types.CompletionItem(label=c.label, kind=_KINDS[c.kind], detail=c.detail or None,
                                insert_text=c.insert)


def _location(found: Location) -> types.Location:
    return types.Location(uri=from_fs_path(str(found.path)) or str(found.path), range=types.Range(
        start=types.Position(line=found.line, character=found.column),
        end=types.Position(line=found.end_line, character=found.end_column)))


def _action(document: Any, uri: str, fix: Fix, diagnostics: Sequence[Diagnostic]) -> types.CodeAction:
    edit = types.TextEdit(range=_client_range(document, fix.line, fix.column, fix.end_line, fix.end_column),
                          new_text=fix.text)
    related = [_lsp_diagnostic(document, d) for d in diagnostics if d.code == fix.code and d.line == fix.line + 1]
    return types.CodeAction(title=fix.title, kind=types.CodeActionKind.QuickFix, diagnostics=related or None,
                            edit=types.WorkspaceEdit(changes={uri: [edit]}))


def serve(*, search: Sequence[Path] = (), catalogue: Sequence[Path] = (), config: Any = None) -> None:
    """Run the server on standard input and output until the editor closes it."""
    project = Project(list(search), list(catalogue), tuple(getattr(config, "select", ())),
                      tuple(getattr(config, "ignore", ())))
    build_server(project).start_io()
