"""Cold `qualityrules lint` of one pack file, wall time, each run a fresh process.

Prints the median of N runs (a) with the user cache warm (the normal case: parser tables and
the unit table cached in ~/.cache/qualityrules), (b) with an empty cache directory (the very
first run on a machine), and the bare interpreter start-up as the baseline, in one process.

    python benchmarks/bench_lint.py [PACK] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pack", nargs="?", default=str(ROOT / "rules" / "packs" / "longgang-2015.qr"))
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("qualityrules", path=str(Path(sys.executable).parent)) or "qualityrules"
    lint = [script, "lint", args.pack]
    env = dict(os.environ)
    wall(lint, env)  # make sure the user cache exists
    warm = [wall(lint, env) for _ in range(args.runs)]
    empty = []
    for _ in range(max(3, args.runs // 3)):
        with tempfile.TemporaryDirectory() as cache:
            empty.append(wall(lint, {**env, "XDG_CACHE_HOME": cache}))
    bare = [wall([sys.executable, "-c", "pass"], env) for _ in range(args.runs)]
    base = statistics.median(bare)
    print(f"qualityrules lint {Path(args.pack).name}  ({args.runs} runs, median wall time)")
    print(f"  python -c pass (baseline)     {base * 1000:7.1f} ms   1.00x")
    for label, times in (("lint, user cache warm", warm), ("lint, empty cache (first run)", empty)):
        median = statistics.median(times)
        print(f"  {label:<30}{median * 1000:7.1f} ms  {median / base:5.2f}x   (max {max(times) * 1000:.1f} ms)")
    print("target: < 500 ms")


if __name__ == "__main__":
    main()
