"""Chinese and English: every translatable message of the source has a Chinese translation with
the same fields; the language comes from --lang, the configuration or the locale; messages, the
diagnostic frame, CLI help and argparse's own words print in Chinese; a Text is its English string."""

from __future__ import annotations

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
