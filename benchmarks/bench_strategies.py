"""Time per example of the data strategies on the shipped packs.

Prints milliseconds per example for ``compliant_data`` and ``violating_data`` on every shipped
pack, and the ratio against a baseline run in the same process: hypothesis drawing a plain table
of as many floats (``st.lists(st.floats(...))`` turned into the same DataFrame shape). The issue's
target is under 50 ms per example for a shipped pack.

    python benchmarks/bench_strategies.py [examples]
"""

from __future__ import annotations

import sys
import time
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import qualityrules
from qualityrules import strategies as qst


def per_example_ms(strategy: st.SearchStrategy[Any], examples: int) -> float:
    count = 0

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(_: Any) -> None:
        nonlocal count
        count += 1

    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000 / max(count, 1)


def table_rows(pack: qualityrules.Pack) -> int:
    sample: list[int] = []

    @settings(max_examples=1, database=None, phases=[Phase.generate], deadline=None)
    @given(qst.compliant_data(pack))
    def size(table: pd.DataFrame) -> None:
        sample.append(len(table))

    size()
    return sample[0]


def baseline(rows: int) -> st.SearchStrategy[pd.DataFrame]:
    values = st.lists(st.floats(0, 1000, allow_nan=False), min_size=rows, max_size=rows)
    return values.map(lambda v: pd.DataFrame({"region": ["r"] * rows, "year": [2015] * rows,
                                              "indicator": ["i"] * rows, "value": v}))


def main() -> None:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    print(f"{'pack':<16} {'rules':>5} {'rows':>5} {'compliant ms':>13} {'violating ms':>13} "
          f"{'baseline ms':>12} {'ratio':>6}")
    worst = 0.0
    for pack_id in qualityrules.shipped_packs():
        pack = qualityrules.load_pack(pack_id)
        rows = table_rows(pack)
        compliant = per_example_ms(qst.compliant_data(pack), examples)
        violating = per_example_ms(qst.violating_data(pack), examples)
        base = per_example_ms(baseline(rows), examples)
        worst = max(worst, compliant, violating)
        print(f"{pack_id:<16} {len(pack.rules):>5} {rows:>5} {compliant:>13.2f} {violating:>13.2f} "
              f"{base:>12.2f} {max(compliant, violating) / base:>6.1f}")
    print(f"slowest: {worst:.2f} ms per example (target < 50 ms)")


if __name__ == "__main__":
    main()
