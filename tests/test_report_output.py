"""The report's JSON and text, byte for byte: pinned on small reports (``tests/fixtures/report/``,
written by the row-by-row implementation before the vectorised one replaced it), and the fast JSON
writer equal to ``json.dumps(report.to_dict())`` for any indent.

A change that means to alter the output rewrites the pinned files with
``.venv/bin/python tests/test_report_output.py`` and shows the difference in its commit.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from reference import make_pack
from test_report import BODY, data

from qualityrules import evaluate
from qualityrules.report.report import Report

ROOT = Path(__file__).resolve().parents[1]
PINNED = Path(__file__).parent / "fixtures" / "report"


def _reports() -> dict[str, Callable[[], Report]]:
    return {
        "mixed": lambda: evaluate(make_pack(BODY), data()),
        "longgang": lambda: evaluate("longgang-2015", ROOT / "examples" / "demo" / "longgang-2011-2015.csv"),
        "scoped-year": lambda: evaluate(make_pack(BODY, scope="甲区"), data(), year=2013),
        "lineage": lambda: evaluate(
            make_pack("override 达标率 >= 95%\n每年 企业数 不少于10家", parent="达标率 >= 90%\n事故 <= 1起", pack_id="t-2016"),
            {"region": ["甲区", "甲区", "省", "乙区"], "year": [2015, 2014, 2015, 2015],
             "达标率": [92.5, None, 91, 97], "企业数": [10, 12, None, 9], "事故": [0, 2, 1, None]}),
    }


def _outputs(report: Report) -> dict[str, str]:
    return {"json": report.to_json(), "txt": report.to_text()}


@pytest.mark.parametrize("name", sorted(_reports()))
def test_output_is_the_pinned_output(name: str) -> None:
    report = _reports()[name]()
    for suffix, text in _outputs(report).items():
        pinned = (PINNED / f"{name}.{suffix}").read_text(encoding="utf-8")
        assert text == pinned, f"{name}.{suffix} differs from the pinned output"


@pytest.mark.parametrize("name", sorted(_reports()))
@pytest.mark.parametrize("indent", [2, None, 0, 4])
def test_json_is_json_dumps_of_to_dict(name: str, indent: int | None) -> None:
    report = _reports()[name]()
    assert report.to_json(indent=indent) == json.dumps(report.to_dict(), ensure_ascii=False, indent=indent)


if __name__ == "__main__":  # rewrite the pinned outputs
    sys.path.insert(0, str(Path(__file__).parent))
    PINNED.mkdir(parents=True, exist_ok=True)
    for report_name, make in _reports().items():
        for output_suffix, output in _outputs(make()).items():
            (PINNED / f"{report_name}.{output_suffix}").write_text(output, encoding="utf-8")
            print(f"wrote {PINNED / f'{report_name}.{output_suffix}'}")
