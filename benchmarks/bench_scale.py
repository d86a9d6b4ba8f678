"""Scale: linting a 10,000-rule pack, and writing the report of 100,000 regions as JSON and text.

* ``qualityrules lint`` of generated packs of 1,000 and 10,000 rules (tests/generated_packs.py:
  every rule a valid target, so every line is parsed, built and resolved), and of 1,000 and
  10,000 rules printed without a space (``到1901年主要工业产品采标率不低于12%cite"…"``: the sentence
  reader reads most lines), each run a fresh process, median wall and CPU time, and the
  10,000/1,000 ratios (10 when the work is linear);
* ``Report.to_json()`` and ``Report.to_text()`` of a 3-rule pack (two target-year rules and one
  every-year rule over two years: 400,000 result rows and 300,000 target rows) checked on 100,000
  regions (districts of the pack's city, as ``hierarchy=`` says), each timed on a fresh Report of the same evaluation (nothing cached); for scale, one
  run of ``json.dumps(report.to_dict(), ensure_ascii=False, indent=2)`` — the same text, built by
  the standard library from the row dicts, checked equal to to_json's first.

Rounds are interleaved, after a warm-up; medians are printed with the targets.

    python benchmarks/bench_scale.py [--runs N] [--regions N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import qualityrules
from qualityrules.packs.resolve import resolve_text
from qualityrules.report.report import Report

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from generated_packs import SCALE_REPORT_PACK, big_pack  # noqa: E402  (test helpers shared with tests)

CENTRES = {"工业废水达标排放率": 95.0, "万元GDP能耗": 0.47, "空气质量优良天数比例": 90.0}


def run(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of ``command`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.returncode == 0 and " 0 error(s)" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(work: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of ``work()`` in this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def data(regions: int) -> dict[str, Any]:
    rng = np.random.default_rng(20240601)
    rows = regions * 2
    table: dict[str, Any] = {"region": np.repeat(np.array([f"区{r:06d}" for r in range(regions)]), 2),
                             "year": np.tile(np.array([2014, 2015]), regions)}
    for name, centre in CENTRES.items():
        values = np.round(centre + rng.normal(0, centre * 0.04, rows), 2)
        values[rng.random(rows) < 0.02] = np.nan
        values[rng.random(rows) < 0.05] = centre          # exactly on the threshold
        table[name] = values
    return table


def medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in samples), statistics.median(c for _, c in samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--regions", type=int, default=100_000)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, numpy {np.__version__}, qualityrules {qualityrules.__version__}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; medians of {args.runs} rounds")
    script = shutil.which("qualityrules", path=str(Path(sys.executable).parent)) or "qualityrules"

    with tempfile.TemporaryDirectory() as folder:
        packs: dict[tuple[int, bool], Path] = {}
        sizes: dict[tuple[int, bool], int] = {}
        for dense in (False, True):
            for rules in (1_000, 10_000):
                name = f"{'dense' if dense else 'scale'}-{rules}"
                packs[rules, dense] = Path(folder) / f"{name}.qr"
                packs[rules, dense].write_text(big_pack(rules, pack_id=name, dense=dense), encoding="utf-8")
                sizes[rules, dense] = packs[rules, dense].stat().st_size
        lint: dict[tuple[int, bool], list[tuple[float, float]]] = {key: [] for key in packs}
        base: list[tuple[float, float]] = []
        run([script, "lint", str(packs[1_000, False])])    # warm-up: user cache and OS file cache
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            base.append((time.perf_counter() - start, 0.0))
            for key, path in packs.items():
                lint[key].append(run([script, "lint", str(path)]))
    print(f"\nqualityrules lint (fresh process each run; python -c pass: {medians(base)[0] * 1000:.0f} ms)")
    for dense in (False, True):
        for rules in (1_000, 10_000):
            wall, cpu = medians(lint[rules, dense])
            print(f"  {rules:>6,} rules{' without spaces' if dense else '               '} "
                  f"({sizes[rules, dense] / 1e6:.2f} MB)  wall {wall:6.2f} s  cpu {cpu:6.2f} s")
        ratio = medians(lint[10_000, dense])[1] / medians(lint[1_000, dense])[1]
        print(f"  10,000 / 1,000 rules{' without spaces' if dense else ''} (cpu): {ratio:.1f}x   "
              "target: 10,000 rules < 2 s")

    pack = resolve_text(SCALE_REPORT_PACK, source="<bench>")
    inside = {f"区{r:06d}": "全市" for r in range(args.regions)}   # the regions are districts of 全市
    evaluation = qualityrules.evaluate(pack, data(args.regions), hierarchy=inside).evaluation
    report = Report(evaluation)
    verdicts = report.summary()
    assert verdicts["pass"] and verdicts["fail"] and verdicts["unknown"], verdicts   # a report with values
    print(f"\nreport of {args.regions:,} regions: {len(report.results()):,} result rows, "
          f"{len(report.targets()):,} target rows ({verdicts['pass']:,} targets pass, {verdicts['fail']:,} fail, "
          f"{verdicts['unknown']:,} unknown)")
    standard: list[str] = []
    baseline = timed(lambda: standard.append(json.dumps(Report(evaluation).to_dict(), ensure_ascii=False, indent=2)))
    assert Report(evaluation).to_json() == standard[0], "to_json differs from json.dumps(to_dict())"
    works: dict[str, Callable[[], Any]] = {
        "to_json()": lambda: Report(evaluation).to_json(),
        "to_text()": lambda: Report(evaluation).to_text(),
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in works}
    for work in works.values():
        work()
    for _ in range(args.runs):
        for name, work in works.items():
            samples[name].append(timed(work))
    for name in works:
        wall, cpu = medians(samples[name])
        print(f"  {name:<33} wall {wall:6.2f} s  cpu {cpu:6.2f} s   target < 1 s")
    print(f"  {'json.dumps(to_dict(), indent=2)':<33} wall {baseline[0]:6.2f} s  cpu {baseline[1]:6.2f} s   "
          "(one run: the same text, by the standard library from the row dicts)")


if __name__ == "__main__":
    main()
