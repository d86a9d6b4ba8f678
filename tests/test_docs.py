"""The documentation stays true: the Sphinx site builds with -W, its doctests and the docstrings'
doctests pass, the language reference covers every keyword and terminal of the grammar, every
diagnostic code is documented with an example that really reports it, every rule example parses
and highlights, and the compliance suite in the strategies guide passes."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pygments.token import Error

import qualityrules
from qualityrules.errors import CODES, Severity
from qualityrules.language.lexer import QualityRulesLexer, grammar_terminals
from qualityrules.language.parse import parse_text

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in [*DOCS.rglob("*.rst"), *DOCS.rglob("*.inc")]   # .inc: sections included by a page
               if p.parent != DOCS / "packs")  # packs/ is build output
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def code_blocks(path: Path, language: str = "qualityrules") -> list[str]:
    """The bodies of ``.. code-block:: <language>`` directives, dedented."""
    blocks = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if line.strip() != f".. code-block:: {language}":
            continue
        indent = len(line) - len(line.lstrip())
        body: list[str] = []
        for following in lines[index + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        text = "\n".join(body).strip("\n")
        margin = min(len(x) - len(x.lstrip()) for x in text.splitlines() if x.strip())
        blocks.append("\n".join(x[margin:] for x in text.splitlines()) + "\n")
    return blocks


# ------------------------------------------------------------------------------------------
# The build


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-b", "html", str(DOCS),
         str(tmp_path / "html")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    html = (tmp_path / "html" / "api.html").read_text(encoding="utf-8")
    for name in qualityrules.__all__:
        assert f'id="qualityrules.{name}"' in html, f"{name} is missing from the API reference"
    assert 'id="qualityrules.strategies.compliant_data"' in html
    assert "highlight-qualityrules" in (tmp_path / "html" / "language.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------
# Doctests


@pytest.mark.parametrize("page", [p for p in PAGES if ">>> " in p.read_text(encoding="utf-8")],
                         ids=lambda p: p.name)
def test_page_doctests(page: Path) -> None:
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS, encoding="utf-8",
                              verbose=False, report=True)
    assert result.attempted > 0
    assert result.failed == 0


def modules_with_doctests() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(qualityrules.__path__, "qualityrules."):
        spec = importlib.util.find_spec(info.name)
        if spec and spec.origin and ">>> " in Path(spec.origin).read_text(encoding="utf-8"):
            names.append(info.name)
    return ["qualityrules", *names]


@pytest.mark.parametrize("name", modules_with_doctests())
def test_docstring_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False, report=True)
    assert result.failed == 0 and result.attempted > 0


def test_the_compliance_suite_of_the_strategies_guide_passes() -> None:
    spec = importlib.util.spec_from_file_location("docs_compliance_example", DOCS / "examples" / "test_compliance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [getattr(module, name) for name in dir(module) if name.startswith("test_")]
    assert len(tests) >= 3
    for test in tests:
        test()


# ------------------------------------------------------------------------------------------
# The language reference against the grammar


GRAMMAR = (ROOT / "grammar" / "qr.lark").read_text(encoding="utf-8")
REFERENCE = (DOCS / "language.rst").read_text(encoding="utf-8")


def grammar_keywords() -> set[str]:
    rules = GRAMMAR.split("// ---------------------------------------------------------------- terminals")[0]
    literals = set(re.findall(r'"([^"]+)"', "\n".join(line.split("//")[0] for line in rules.splitlines())))
    return {word for word in literals if word.strip("{}(),.")}


def word_terminals() -> dict[str, list[str]]:
    """Terminals that are a list of literal words (comparators, qualifiers, units …)."""
    found = {}
    for name, pattern in grammar_terminals().items():
        if name in ("UNIT",):
            continue  # the units page is generated from grammar/units.txt
        body = re.sub(r"\(\?=[^)]*\)", "", pattern)
        body = body.removeprefix("(?:").removesuffix(")")
        words = [w.replace("\\", "") for w in body.split("|")]
        if all(re.fullmatch(r"[\w\u4e00-\u9fff-]+", w) for w in words):
            found[name] = words
    return found


@pytest.mark.parametrize("keyword", sorted(grammar_keywords()))
def test_every_keyword_is_in_the_language_reference(keyword: str) -> None:
    assert f"``{keyword}``" in REFERENCE or f"``{keyword} " in REFERENCE, keyword


@pytest.mark.parametrize("terminal", sorted(grammar_terminals()))
def test_every_terminal_is_in_the_language_reference(terminal: str) -> None:
    assert f"``{terminal}``" in REFERENCE, terminal


@pytest.mark.parametrize("terminal", sorted(word_terminals()))
def test_every_word_of_a_terminal_is_in_the_language_reference(terminal: str) -> None:
    missing = [w for w in word_terminals()[terminal] if w not in REFERENCE]
    assert not missing, f"{terminal}: {missing}"


def test_the_word_terminals_are_recognised() -> None:
    assert {"CMP_PREFIX", "CMP_SUFFIX", "STRENGTH", "CHANGE_WORD", "LEVEL", "AGGREGATE"} <= set(word_terminals())
    assert "不低于" in word_terminals()["CMP_PREFIX"]


# ------------------------------------------------------------------------------------------
# Diagnostics


DIAGNOSTICS = (DOCS / "diagnostics.rst").read_text(encoding="utf-8")


def diagnostic_sections() -> dict[str, str]:
    parts = re.split(r"^\.\. _(qr\d{3}):\n", DIAGNOSTICS, flags=re.MULTILINE)
    return {parts[i].upper(): parts[i + 1] for i in range(1, len(parts), 2)}


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_documented_with_its_fix(code: str) -> None:
    section = diagnostic_sections().get(code)
    assert section is not None, f"{code} has no section in docs/diagnostics.rst"
    assert section.lstrip().startswith(f"{code} — ")
    assert "**Fix:**" in section
    assert "code-block::" in section, f"{code} has no example"


def test_no_section_documents_a_code_that_does_not_exist() -> None:
    assert set(diagnostic_sections()) <= set(CODES)


def test_the_markdown_stub_points_to_the_reference() -> None:
    assert "diagnostics.rst" in (DOCS / "diagnostics.md").read_text(encoding="utf-8")


def section_examples() -> list[tuple[str, str]]:
    found = []
    for code, section in diagnostic_sections().items():
        match = re.search(r"\.\. code-block:: qualityrules\n\n((?:   .*\n|\n)+)", section)
        if match:
            text = "\n".join(line[3:] for line in match.group(1).rstrip("\n").splitlines()) + "\n"
            found.append((code, text))
    return found


@pytest.mark.parametrize(("code", "text"), section_examples(), ids=[c for c, _ in section_examples()])
def test_each_diagnostic_example_reports_its_code(code: str, text: str, tmp_path: Path) -> None:
    if "# file: " in text:  # several files (e.g. two folders), loaded together as `compare` does
        paths = []
        for part in text.split("# file: ")[1:]:
            name, body = part.split("\n", 1)
            paths.append(tmp_path / name.strip())
            paths[-1].parent.mkdir(parents=True, exist_ok=True)
            paths[-1].write_text(body, encoding="utf-8")
        with pytest.raises(qualityrules.QualityRulesError) as caught:
            qualityrules.compare(*paths)
        assert code in [d.code for d in caught.value.diagnostics]
        return
    name = "demo-2015.qr" if text.startswith("pack") else "extra-catalogue.qr"
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert code in [d.code for d in qualityrules.lint(path)]


def test_rule_and_pack_codes_all_have_a_checked_example() -> None:
    checked = {code for code, _ in section_examples()}
    wanted = {code for code in CODES if code.startswith(("QR0", "QR1"))}
    assert wanted <= checked, sorted(wanted - checked)


# ------------------------------------------------------------------------------------------
# Rule examples


ALL_BLOCKS = [(page, block) for page in PAGES for block in code_blocks(page)]


@pytest.mark.parametrize(("page", "block"), ALL_BLOCKS, ids=[f"{p.name}-{i}" for i, (p, _) in enumerate(ALL_BLOCKS)])
def test_every_rule_example_highlights(page: Path, block: str) -> None:
    tokens = list(QualityRulesLexer().get_tokens(block))
    assert not [value for kind, value in tokens if kind is Error]


@pytest.mark.parametrize(("page", "block"), [(p, b) for p, b in ALL_BLOCKS if p.name != "diagnostics.rst"],
                         ids=lambda x: x.name if isinstance(x, Path) else "")
def test_every_rule_example_parses(page: Path, block: str) -> None:
    if block.lstrip().startswith(("pack ", "indicator ", "override indicator ")):
        _, diagnostics = parse_text(block, source=page.name)
        assert not [d.render() for d in diagnostics if d.severity is Severity.ERROR]
        return
    for line in block.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if line and not line.startswith("commitment"):
            qualityrules.parse_rule(line)


def test_rule_examples_use_the_rule_language_lexer() -> None:
    """Rule examples are marked ``qualityrules`` (so they highlight), not left as plain literals."""
    for page in PAGES:
        for block in code_blocks(page, "text") + code_blocks(page, "none"):
            assert not re.search(r"(达到|以上|以下|>=)\s*\d", block) or "[override]" in block, page.name
