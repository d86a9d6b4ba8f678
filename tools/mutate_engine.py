"""Mutation testing of the engine (not part of CI): which behaviours does no test pin?

Each mutant changes one operator or constant of an engine module (a comparison flipped or
loosened, + and - swapped, ``and``/``or`` swapped, ``not``/``~`` dropped, a number moved by one,
True/False swapped). The mutated module is written into a scratch copy of the repository (``git
archive HEAD``), and the tests run against that copy; a mutant that makes a test fail is killed,
one that passes every test *survives* — a behaviour no test pins.

Two test sets are run, so that one pass gives the score before and after the tests written for
the survivors: ``--before`` (default: the engine's and report's tests as they were) and
``--after`` (added on top, for mutants the first set did not kill).

Run (from the repository root):

    python tools/mutate_engine.py --sample 40 --seed 1
    python tools/mutate_engine.py src/qualityrules/engine/evaluation.py --sample 0   # every mutant

It prints one line per mutant and the mutation scores (killed / mutants) before and after.
"""

from __future__ import annotations

import argparse
import ast
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["src/qualityrules/engine/evaluation.py", "src/qualityrules/engine/exact.py",
           "src/qualityrules/engine/plan.py"]
BEFORE = ["tests/test_evaluate.py", "tests/test_report.py"]
AFTER = ["tests/test_engine_pins.py", "tests/test_exact.py"]

_SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.And: ast.Or, ast.Or: ast.And,
    ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


def mutation_sites(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """(node, description) for every place one mutation can be made; docstrings are skipped."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) in _SWAPS:
                    yield node, f"line {node.lineno}: {type(op).__name__} -> {_SWAPS[type(op)].__name__}"
        elif isinstance(node, (ast.BinOp, ast.BoolOp)) and type(node.op) in _SWAPS:
            yield node, f"line {node.lineno}: {type(node.op).__name__} -> {_SWAPS[type(node.op)].__name__}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
            yield node, f"line {node.lineno}: drop {type(node.op).__name__}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield node, f"line {node.lineno}: {node.value} -> {not node.value}"
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            yield node, f"line {node.lineno}: {node.value} -> {node.value + 1}"


class _Mutate(ast.NodeTransformer):
    def __init__(self, target: ast.AST) -> None:
        self.target = target

    def visit(self, node: ast.AST) -> ast.AST:
        if node is not self.target:
            return super().visit(node)
        if isinstance(node, ast.Compare):
            node.ops = [_SWAPS[type(op)]() if type(op) in _SWAPS else op for op in node.ops][:1] + node.ops[1:]
        elif isinstance(node, (ast.BinOp, ast.BoolOp)):
            node.op = _SWAPS[type(node.op)]()
        elif isinstance(node, ast.UnaryOp):
            return node.operand
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            node.value = not node.value
        elif isinstance(node, ast.Constant):
            node.value = node.value + 1
        return node


def site_count(path: Path) -> int:
    return sum(1 for _ in mutation_sites(ast.parse(path.read_text(encoding="utf-8"))))


def mutant(path: Path, index: int) -> tuple[str, str]:
    """(description, mutated source) of the ``index``-th site of the module at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    node, description = next(site for k, site in enumerate(mutation_sites(tree)) if k == index)
    _Mutate(node).visit(tree)
    return description, ast.unparse(tree)


def killed(copy: Path, tests: list[str], timeout: float) -> bool:
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", *tests]
    try:
        result = subprocess.run(command, cwd=copy, env={"PYTHONPATH": str(copy / "src"), "PATH": "/usr/bin:/bin"},
                                capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return True            # a hang is a detected change too
    return result.returncode != 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("targets", nargs="*", default=TARGETS)
    parser.add_argument("--sample", type=int, default=40, help="mutants to draw at random (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    pool = [(target, index) for target in args.targets for index in range(site_count(ROOT / target))]
    picked = pool if not args.sample else random.Random(args.seed).sample(pool, min(args.sample, len(pool)))
    chosen = [(target, *mutant(ROOT / target, index)) for target, index in picked]
    print(f"{len(pool)} mutants in {', '.join(args.targets)}; running {len(chosen)}", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="mutants-"))
    try:
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
        before = after = 0
        for number, (target, description, source) in enumerate(chosen, 1):
            original = (scratch / target).read_text(encoding="utf-8")
            (scratch / target).write_text(source, encoding="utf-8")
            start = time.perf_counter()
            try:
                first = killed(scratch, BEFORE, args.timeout)
                second = first or killed(scratch, AFTER, args.timeout)
            finally:
                (scratch / target).write_text(original, encoding="utf-8")
            before += first
            after += second
            verdict = "killed" if first else "killed by the new tests" if second else "SURVIVED"
            print(f"[{number}/{len(chosen)}] {target} {description}: {verdict} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
        print(f"mutation score before: {before}/{len(chosen)} killed; after: {after}/{len(chosen)} killed")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
