"""`qualityrules lint` of one pack file, each run a fresh process, as a user starts it.

Three kinds of run, interleaved round by round after a warm-up, medians printed:

* ``python -c pass``: the interpreter's own start-up, the floor;
* lint with the user cache warm (the normal case: the parsed catalogue kept in
  ``$XDG_CACHE_HOME/qualityrules`` by an earlier run);
* lint with an empty cache directory (the very first run on a machine): the parser tables and
  the unit table then come from the installation (computed when it was built), the catalogue
  is parsed.

Wall time is what the targets are about; CPU time (user + system of the child) is printed too,
since on a shared machine it moves less than wall time does.

    python benchmarks/bench_lint.py [PACK] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"warm": 0.25, "cold": 0.5}


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pack", nargs="?", default=str(ROOT / "rules" / "packs" / "longgang-2015.qr"))
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    script = shutil.which("qualityrules", path=str(Path(sys.executable).parent)) or "qualityrules"
    lint = [script, "lint", args.pack]
    times: dict[str, list[tuple[float, float]]] = {"baseline": [], "warm": [], "cold": []}
    with tempfile.TemporaryDirectory() as warm_cache:
        warm_env = {**os.environ, "XDG_CACHE_HOME": warm_cache}
        run(lint, warm_env)  # warm-up: fills this cache, loads the files into the OS cache
        for _ in range(args.runs):
            times["baseline"].append(run([sys.executable, "-c", "pass"], warm_env))
            times["warm"].append(run(lint, warm_env))
            with tempfile.TemporaryDirectory() as empty_cache:
                times["cold"].append(run(lint, {**os.environ, "XDG_CACHE_HOME": empty_cache}))
    base = statistics.median(wall for wall, _ in times["baseline"])
    print(f"qualityrules lint {Path(args.pack).name}: {args.runs} interleaved rounds, medians "
          f"(Python {platform.python_version()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f})")
    print(f"  {'':34}{'wall':>9}  {'cpu':>9}  {'wall/baseline':>13}  {'target':>8}")
    labels = {"baseline": "python -c pass (baseline)", "warm": "lint, user cache warm",
              "cold": "lint, empty user cache (first run)"}
    for kind, label in labels.items():
        wall = statistics.median(w for w, _ in times[kind])
        cpu = statistics.median(c for _, c in times[kind])
        target = f"< {TARGETS[kind] * 1000:.0f} ms" if kind in TARGETS else ""
        print(f"  {label:<34}{wall * 1000:6.1f} ms  {cpu * 1000:6.1f} ms  {wall / base:12.2f}x  {target:>8}")


if __name__ == "__main__":
    main()
