// The VS Code client of the qualityrules language server: starts `qualityrules lsp` (configurable)
// for .qr files and passes it the editor's language and the extra pack directories and catalogues.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("qualityrules");
  const [command, ...args] = config.get("server.command", ["qualityrules", "lsp"]);
  const serverOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "qualityrules" }, { scheme: "untitled", language: "qualityrules" }],
    initializationOptions: {
      language: config.get("language", "") || (vscode.env.language.startsWith("zh") ? "zh" : "en"),
      packs: config.get("packs", []),
      catalogues: config.get("catalogues", []),
    },
  };
  client = new LanguageClient("qualityrules", "qualityrules", serverOptions, clientOptions);
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
