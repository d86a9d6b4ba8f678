"""Recall and precision of ``extract`` drafts, printed the same way by every test that measures them."""

from __future__ import annotations

from typing import NamedTuple


class Score(NamedTuple):
    name: str
    expected: int       # targets the reference states
    found: int          # of those, drafted exactly right
    proposed: int       # rules the draft proposes
    real: int           # of those, targets of the reference (right number at the right place)
    exact: int          # of those, exactly right
    missed: list[str]
    unreal: list[str]


def report(scores: list[Score], unreal_label: str) -> tuple[float, float]:
    """Print one line per reference and the totals; return (recall, precision)."""
    print()
    for s in scores:
        print(f"{s.name:40} recall {s.found}/{s.expected}  precision {s.real}/{s.proposed} (exact {s.exact})")
        print("".join(f"    missed: {line}\n" for line in s.missed), end="")
        print("".join(f"    {unreal_label}: {line}\n" for line in s.unreal), end="")
    expected, found = sum(s.expected for s in scores), sum(s.found for s in scores)
    proposed, real, exact = (sum(s.proposed for s in scores), sum(s.real for s in scores),
                             sum(s.exact for s in scores))
    print(f"TOTAL recall {found}/{expected} = {found / expected:.1%}; precision {real}/{proposed} = "
          f"{real / proposed:.1%} (exact {exact}/{proposed} = {exact / proposed:.1%})")
    return found / expected, real / proposed
