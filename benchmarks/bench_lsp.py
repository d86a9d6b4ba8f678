"""Language server latency: from an edit (``textDocument/didChange``) to the diagnostics arriving
(``textDocument/publishDiagnostics``), for a pack of N rules that extends a shipped pack, with the
server (``qualityrules lsp``) in its own process driven by a real LSP client over stdio.

Baseline, in this process on the same text: the analysis alone (``Project.diagnose``, what the
server runs on each change), so the ratio shows what the protocol adds. Rounds interleave the
two after a warm-up; medians are printed. Target: diagnostics within 200 ms for 100 rules.

    python benchmarks/bench_lsp.py [--rules 100] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities, make_test_lsp_client

from qualityrules.lsp.analysis import Project
from qualityrules.packs.resolve import load_catalogue, load_pack

ROOT = Path(__file__).resolve().parents[1]


def pack_text(rules: int) -> str:
    """A district pack extending guangdong-2015: ``rules`` targets, one per (indicator, year),
    on indicators with a % unit that the parent does not set (so it lints clean)."""
    parent = {r.indicator.name for r in load_pack("guangdong-2015").rules}
    names = [i.name for i in load_catalogue().indicators
             if i.unit == "%" and i.name not in parent and i.definition is None]
    lines = []
    for n in range(rules):
        name = names[n % len(names)]
        year = 2011 + (n // len(names)) % 5
        lines.append(f"        到{year}年 {name} 达到{60 + n % 30}%以上  cite \"第{n + 1}条\"")
    assert len({(line.split()[0], line.split()[1]) for line in lines}) == rules, "not enough indicators"
    return ("pack bench-2015 extends guangdong-2015 {\n    region 甲区\n    level  district\n"
            "    period 2011..2015\n\n    section 目标 {\n" + "\n".join(lines) + "\n    }\n}\n")


async def measure(text: str, path: Path, rounds: int) -> tuple[list[float], list[float], int]:
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "qualityrules", "lsp")
    await client.initialize_session(types.InitializeParams(capabilities=client_capabilities("visual-studio-code"),
                                                           root_uri=path.parent.as_uri()))
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="qualityrules", version=1, text=text)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    project = Project()
    project.diagnose(text, str(path))  # warm the in-process baseline too
    server: list[float] = []
    direct: list[float] = []
    for version in range(2, rounds + 2):
        edited = text.replace("达到60%", f"达到{60 + version % 2}%")  # a real edit each round
        start = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)]))
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        server.append(time.perf_counter() - start)
        start = time.perf_counter()
        found = project.diagnose(edited, str(path))
        direct.append(time.perf_counter() - start)
    count = len(client.diagnostics.get(uri, []))
    assert count == len(found), (count, len(found))  # both see the same diagnostics
    await client.shutdown_session()
    return server, direct, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    text = pack_text(args.rules)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench-2015.qr"
        path.write_text(text, encoding="utf-8")
        server, direct, count = asyncio.run(measure(text, path, args.rounds))
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("pygls", "lark", "qualityrules"))
    print(f"qualityrules lsp: didChange -> publishDiagnostics, {args.rules}-rule pack extending guangdong-2015")
    print(f"python {platform.python_version()}, {versions}, {os.cpu_count()} cores; "
          f"{args.rounds} rounds after a warm-up, interleaved; {count} diagnostic(s) each time")
    base = statistics.median(direct)
    for label, times in (("analysis in process (baseline)", direct), ("server, edit to diagnostics", server)):
        median = statistics.median(times)
        print(f"  {label:<32}{median * 1000:7.1f} ms  {median / base:5.2f}x   (max {max(times) * 1000:.1f} ms)")
    print("target: < 200 ms")


if __name__ == "__main__":
    main()
