"""Chinese and English: every translatable message of the source has a Chinese translation with
the same fields; the language comes from --lang, the configuration or the locale; messages, the
diagnostic frame, CLI help and argparse's own words print in Chinese; a Text is its English string."""

from __future__ import annotations

import ast
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import qualityrules
from qualityrules import i18n
from qualityrules.errors import Diagnostic, did_you_mean
from qualityrules.i18n import Text, language_of_locale, tr

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "qualityrules"
SCRIPT = shutil.which("qualityrules", path=str(Path(sys.executable).parent))
CATALOG = i18n.catalog_path("zh")


def source_messages() -> set[str]:
    """Every template passed to ``tr(...)`` in the package (what ``pybabel extract -k tr`` finds)."""
    found = {message for _, _, message, _, _ in extract_from_dir(str(PACKAGE), keywords={"tr": None},
                                                                 method_map=[("**.py", "python")])}
    assert len(found) > 150
    return found


def catalog() -> dict[str, str]:
    with CATALOG.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and not m.fuzzy}


def fields(template: str) -> set[str]:
    return set(re.findall(r"\{(\w*)\}", template.replace("{{", "").replace("}}", ""))) | set(
        re.findall(r"%\(\w+\)[sr]|%[sr]", template))


def test_every_message_has_a_chinese_translation_with_the_same_fields() -> None:
    translations = catalog()
    missing = sorted(source_messages() - {k for k, v in translations.items() if v})
    assert not missing, f"translate these in {CATALOG.relative_to(ROOT)}: {missing}"
    for message in source_messages():
        assert fields(translations[message]) == fields(message), message
        assert translations[message] != message or not re.search(r"[a-z]{3}", re.sub(r"\{\w+\}|%\S+", "", message)) \
            or message.startswith(("pip install", "qualityrules explain")), message


def test_the_catalog_has_no_stale_entries() -> None:
    assert set(catalog()) <= source_messages()


def test_text_is_its_english_string_and_renders_chinese() -> None:
    message = tr("unknown indicator '{name}'", name="工业废水达标拍放率")
    assert message == "unknown indicator '工业废水达标拍放率'" and isinstance(message, str)
    assert message.render("zh") == "未知指标“工业废水达标拍放率”"
    nested = tr("help: {suggestion}", suggestion=did_you_mean("工业废水达标拍放率", ["工业废水达标排放率"]))
    assert nested.render("zh") == "提示：是否想写 '工业废水达标排放率'？"
    assert pickle.loads(pickle.dumps(message)).render("zh") == message.render("zh")
    assert Text("{{literal}} {x}", x=1) == "{literal} 1"


def test_diagnostics_render_in_either_language() -> None:
    with pytest.raises(qualityrules.QualityRulesError) as caught:
        qualityrules.parse_pack("pack a-2015 {\n    region 甲区\n    level district\n    target 2015\n"
                                "    section s {\n        工业废水达标拍放率 >= 95%\n    }\n}\n")
    d = caught.value.diagnostic
    assert "error[QR101]: unknown indicator" in d.render("en")
    zh = d.render("zh")
    assert "错误[QR101]: 未知指标“工业废水达标拍放率”" in zh and "提示：是否想写" in zh
    assert d.to_dict("zh")["message"] == "未知指标“工业废水达标拍放率”"
    assert Diagnostic("QR101", "plain text stays as written").render("zh").endswith("plain text stays as written")


@pytest.mark.parametrize(("value", "expected"), [
    ("zh_CN.UTF-8", "zh"), ("zh_TW.Big5", "zh"), ("zh", "zh"), ("zh-Hans", "zh"), ("en_US.UTF-8", "en"),
    ("de_DE", "en"), ("C", None), ("POSIX", None), ("", None), (None, None), ("zh_CN:en_US", "zh"),
])
def test_language_of_locale(value: str | None, expected: str | None) -> None:
    assert language_of_locale(value) == expected


def run(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    assert SCRIPT is not None
    base = {k: v for k, v in os.environ.items() if k not in ("LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "COLUMNS")}
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, cwd=cwd, env={**base, **env}, timeout=300)


@pytest.fixture()
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "t-2015.qr"
    path.write_text("pack t-2015 {\n    region 龙岗区\n    level  district\n    target 2015\n\n    section 环境 {\n"
                    "        工业废水达标拍放率 >= 95%\n        万元GDP能耗 <= 0.5\n    }\n}\n", encoding="utf-8")
    return path


def test_lang_zh_locale_prints_chinese(bad: Path) -> None:
    result = run("lint", str(bad), LANG="zh_CN.UTF-8")
    assert result.returncode == 1
    assert "错误[QR101]: 未知指标“工业废水达标拍放率”" in result.stdout
    assert "警告[QR111]: 0.5 没有单位；按 吨标准煤/万元 理解" in result.stdout
    assert "1 个文件：1 个错误，1 个警告" in result.stdout
    english = run("lint", str(bad), LANG="zh_CN.UTF-8", LC_ALL="C.UTF-8")  # LC_ALL wins over LANG
    assert "error[QR101]: unknown indicator" in english.stdout


def test_lang_option_beats_configuration_beats_locale(bad: Path) -> None:
    (bad.parent / "qualityrules.toml").write_text('language = "zh"\n', encoding="utf-8")
    assert "错误[QR101]" in run("lint", str(bad), cwd=bad.parent, LANG="en_US.UTF-8").stdout
    assert "error[QR101]" in run("lint", "--lang", "en", str(bad), cwd=bad.parent, LANG="zh_CN.UTF-8").stdout
    (bad.parent / "qualityrules.toml").unlink()
    assert "error[QR101]" in run("lint", str(bad), cwd=bad.parent, LANG="en_US.UTF-8").stdout
    assert "错误[QR101]" in run("lint", "--lang", "zh", str(bad), cwd=bad.parent).stdout


def test_help_and_argparse_errors_in_chinese() -> None:
    help_text = run("--lang", "zh", "check", "--help").stdout
    assert help_text.startswith("用法：qualityrules check")
    assert "用规则包检查指标数据表" in help_text and "项目选项" in help_text and "显示本帮助并退出" in help_text
    assert "options" not in help_text.split("\n")[0]
    top = run("--help", LANG="zh_CN.UTF-8").stdout
    assert "命令" in top and "用规则包的目标检查统计数据" in top
    missing = run("check", LANG="zh_CN.UTF-8")
    assert missing.returncode == 2 and "错误[QR301]: 缺少以下参数：pack, data" in missing.stderr
    english = run("check", LANG="C.UTF-8")
    assert "error[QR301]: the following arguments are required: pack, data" in english.stderr


def test_lsp_messages_follow_the_editor_language(tmp_path: Path) -> None:
    from qualityrules.lsp.analysis import Project

    text = "pack t-2015 {\n    region 甲区\n    level district\n    target 2015\n    section s {\n" \
           "        工业废水达标拍放率 >= 95%\n    }\n}\n"
    found = Project().diagnose(text, str(tmp_path / "t-2015.qr"))
    with i18n.using("zh"):
        assert [d.to_dict()["message"] for d in found] == ["未知指标“工业废水达标拍放率”"]
    with i18n.using("en"):
        assert [d.to_dict()["message"] for d in found] == ["unknown indicator '工业废水达标拍放率'"]


def test_a_broken_translation_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    message = tr("unknown indicator '{name}'", name="x")
    monkeypatch.setattr(i18n, "translate", lambda template, lang=None: "未知指标“{nosuch}”")
    assert message.render("zh") == "unknown indicator 'x'"



# The parts of the package whose messages are all translatable (folders, or files, relative to
# src/qualityrules), checked by test_every_message_is_a_tr_call. report/html.py, report/review.py
# and report/rows.py are not in it yet (no Diagnostic of their own, but the review's and the rows'
# reasons are English): whoever converts one of them adds it here (NOT_YET_TRANSLATED: a part of
# a folder listed here that is not done yet).
TRANSLATED = ("language", "packs", "extraction", "cli", "lsp", "engine", "records", "tables", "report/report.py",
              "__init__.py", "errors.py", "config.py", "strategies.py")
NOT_YET_TRANSLATED: tuple[str, ...] = ()

# Calls that carry a message, by name: the argument positions and keywords that hold one, and
# the folder where the name means that call (the model has a Review of its own).
MESSAGE_CHANNELS: dict[str, tuple[set[int], set[str], str]] = {
    "Diagnostic": ({1}, {"message", "suggestion"}, ""),
    "_error": ({1}, {"message", "suggestion"}, ""),      # the parser's and the statement reader's helper
    "refuse": ({0, 1}, {"message", "suggestion"}, ""),
    "Review": ({1}, {"message"}, "extraction/"),         # extract's readings for a person to review
    "_doubt": ({4, 5, 6}, {"reason", "message", "suggestion"}, "engine/"),  # plausibility's set-aside values
    "diagnostic": ({1, 4}, {"message", "suggestion"}, "tables/"),  # a table's messages, where it names the cell
    "fail": ({1, 4}, {"message", "suggestion"}, "tables/"),
    "warn": ({1, 4}, {"message", "suggestion"}, "tables/"),
    "_wrong_type": ({1, 2}, {"message", "suggestion"}, "tables/"),  # QR207 of a record column
    "add": ({1, 4}, {"message", "suggestion"}, "tables/"),          # a table's problems, at most MAX_DIAGNOSTICS
}


def _covered(path: Path) -> bool:
    relative = path.relative_to(PACKAGE).as_posix()
    inside = lambda parts: any(relative == p or relative.startswith(p + "/") for p in parts)  # noqa: E731
    return inside(TRANSLATED) and not inside(NOT_YET_TRANSLATED)


class _Messages:
    """The message arguments of one module that are not surely a Text."""

    def __init__(self, tree: ast.Module, text_functions: set[str], folder: str) -> None:
        self.tree = tree
        self.folder = folder
        self.text_functions = text_functions | {"tr"}
        self.annotations: dict[str, list[str]] = {}   # a name or attribute → its annotations in the module
        for node in ast.walk(tree):
            if isinstance(node, ast.arg) and node.annotation is not None:
                self.annotations.setdefault(node.arg, []).append(ast.unparse(node.annotation))
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name | ast.Attribute):
                name = node.target.id if isinstance(node.target, ast.Name) else node.target.attr
                self.annotations.setdefault(name, []).append(ast.unparse(node.annotation))

    def untranslated(self) -> list[tuple[int, str]]:
        found = []
        for scope in [self.tree, *(n for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef))]:
            for node in self._own_nodes(scope):
                if not isinstance(node, ast.Call) or isinstance(node.func, ast.Attribute) and \
                        isinstance(node.func.value, ast.Name) and node.func.value.id == "types":  # LSP's own
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else \
                    node.func.attr if isinstance(node.func, ast.Attribute) else ""
                if name not in MESSAGE_CHANNELS or not self.folder.startswith(MESSAGE_CHANNELS[name][2]):
                    continue
                positions, keywords, _ = MESSAGE_CHANNELS[name]
                messages = [a for i, a in enumerate(node.args) if i in positions]
                messages += [k.value for k in node.keywords if k.arg in keywords]
                found += [(m.lineno, ast.unparse(m)) for m in messages if not self.is_text(m, scope)]
        return found

    @staticmethod
    def _own_nodes(scope: ast.AST) -> list[ast.AST]:
        """The nodes of ``scope`` outside the functions nested in it."""
        out, todo = [], list(ast.iter_child_nodes(scope))
        while todo:
            node = todo.pop()
            if not isinstance(node, ast.FunctionDef):
                out.append(node)
                todo.extend(ast.iter_child_nodes(node))
        return out

    def is_text(self, node: ast.expr, scope: ast.AST) -> bool:
        """Surely a Text (or None): a tr(...) call or a call of a function declared to return one, a
        name annotated Text or only ever assigned such values (in its function, else in the module),
        a loop variable or an item of something annotated with Text, a parameter of a message
        channel (its callers are checked), or a choice (``a or b``, ``a if c else b``) between such."""
        if isinstance(node, ast.Constant):
            return node.value is None
        if isinstance(node, ast.Call):
            func = node.func
            return (func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute)
                    else "") in self.text_functions
        if isinstance(node, ast.BoolOp):
            return all(self.is_text(v, scope) for v in node.values)
        if isinstance(node, ast.IfExp):
            return self.is_text(node.body, scope) and self.is_text(node.orelse, scope)
        if isinstance(node, ast.Subscript):
            named = node.value.id if isinstance(node.value, ast.Name) else \
                node.value.attr if isinstance(node.value, ast.Attribute) else ""
            return any("Text" in a for a in self.annotations.get(named, []))
        if not isinstance(node, ast.Name):
            return False
        if isinstance(scope, ast.FunctionDef) and scope.name in MESSAGE_CHANNELS and \
                node.id in {a.arg for a in scope.args.args}:
            return True
        bound = self._bound_text(node, scope)
        if bound is None and scope is not self.tree:
            bound = self._bound_text(node, self.tree)
        return bool(bound)

    def _bound_text(self, node: ast.Name, scope: ast.AST) -> bool | None:
        """Whether every binding of ``node`` in ``scope`` is to a Text (None: it has none there)."""
        bound = None
        for other in self._own_nodes(scope):
            if isinstance(other, ast.arg) and other.arg == node.id or \
                    isinstance(other, ast.AnnAssign) and isinstance(other.target, ast.Name) and other.target.id == node.id:
                bound = True
                annotation = other.annotation
                if annotation is None or "Text" not in ast.unparse(annotation):
                    return False
            elif isinstance(other, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id for t in other.targets):
                bound = True
                if not self.is_text(other.value, scope):
                    return False
            elif isinstance(other, ast.For | ast.comprehension) and any(
                    isinstance(t, ast.Name) and t.id == node.id for t in ast.walk(other.target)):
                bound = True
                source = other.iter
                named = source.id if isinstance(source, ast.Name) else source.attr if isinstance(
                    source, ast.Attribute) else ""
                if not any("Text" in a for a in self.annotations.get(named, [])):
                    return False
        return bound


def _package_trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))}


def _untranslated(trees: dict[Path, ast.Module]) -> list[str]:
    text_functions = {node.name for tree in trees.values() for node in ast.walk(tree)
                      if isinstance(node, ast.FunctionDef) and node.returns is not None
                      and re.fullmatch(r"Text( \| None)?", ast.unparse(node.returns))}
    return [f"{path.relative_to(PACKAGE)}:{line}: {source}" for path, tree in trees.items() if _covered(path)
            for line, source in _Messages(tree, text_functions, path.relative_to(PACKAGE).as_posix()).untranslated()]


def test_every_message_is_a_tr_call() -> None:
    """In the translated parts of the package, every message and suggestion given to a Diagnostic
    (or to a helper that makes one) is a tr(...) call or a value known to hold one, so that it
    renders in Chinese; a plain or f-string would stay English."""
    trees = _package_trees()
    assert sum(_covered(p) for p in trees) > 40
    assert not _untranslated(trees), "write these with tr(...):\n" + "\n".join(_untranslated(trees))


@pytest.mark.parametrize("message", [
    'f"unknown indicator {name}"', '"unknown indicator"', '"unknown " + tr("indicator")', "str(tr('x'))",
    "note", "hint or 'see the catalogue'",
])
def test_the_message_check_finds_untranslated_messages(message: str) -> None:
    source = (f"def check(name, hint):\n    note = 'plain'\n"
              f"    return Diagnostic('QR101', {message}, suggestion=tr('add it'))\n")
    path = PACKAGE / "packs" / "example.py"
    found = _untranslated({path: ast.parse(source)})
    assert found == [f"{Path('packs', 'example.py')}:3: {ast.unparse(ast.parse(message).body[0].value)}"]  # type: ignore[attr-defined]


def test_the_message_check_accepts_translated_messages() -> None:
    source = ("def check(name: str, hint: Text | None, notes: list[tuple[str, Text]]):\n"
              "    chosen = tr('a') if name else tr('b')\n"
              "    out = [Diagnostic('QR101', tr('unknown {name}', name=name), suggestion=hint or chosen)]\n"
              "    out += [Diagnostic(code, message) for code, message in notes]\n"
              "    return out\n")
    assert _untranslated({PACKAGE / "packs" / "example.py": ast.parse(source)}) == []
