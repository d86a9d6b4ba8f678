"""A region hierarchy (child -> parent), for rolling record states up to every ancestor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataError, Diagnostic
from ..language.text import normalize

if TYPE_CHECKING:

    pass



class Hierarchy:
    """Which region each region belongs to (station → district → city → province), given as a
    child → parent mapping, or as rows of names from the finest level to the coarsest
    (``[("龙城站", "龙岗区", "深圳市", "广东省"), …]``). Names are normalised like rule text."""

    def __init__(self, parents: Mapping[str, str] | Iterable[Sequence[Any]]) -> None:
        pairs: list[tuple[str, str]] = []
        if isinstance(parents, Mapping):
            pairs = [(str(k), str(v)) for k, v in parents.items()]
        else:
            for row in parents:
                names = [str(x) for x in row if x is not None and str(x).strip()]
                pairs.extend(zip(names, names[1:], strict=False))
        self.parent: dict[str, str] = {}
        problems: list[Diagnostic] = []
        for child, parent in pairs:
            child, parent = normalize(child), normalize(parent)
            known = self.parent.setdefault(child, parent)
            if known != parent:
                problems.append(Diagnostic("QR208", f"region '{child}' has two parents: '{known}' and '{parent}'",
                                           suggestion="give each region one parent"))
        for region in self.parent:
            chain = [region]
            while chain[-1] in self.parent:
                chain.append(self.parent[chain[-1]])
                if chain[-1] in chain[:-1]:
                    problems.append(Diagnostic("QR208", "region hierarchy has a cycle: " + " → ".join(chain),
                                               suggestion="a region cannot contain itself"))
                    break
            if problems:
                break
        if problems:
            raise DataError(problems)

    @classmethod
    def read(cls, path: str | Path) -> Hierarchy:
        """A hierarchy from a CSV file: columns ``child,parent``, or one column per level from the
        finest to the coarsest (``station,district,city,province``)."""
        from ..tables.source import open_file

        table = open_file(path)
        rows: list[list[Any]] = []
        for batch in table.batches():
            columns = [batch.columns[j].to_pylist() for j in range(len(table.headers))]
            rows.extend(list(row) for row in zip(*columns, strict=True))
        return cls([row for row in rows if any(str(v).strip() for v in row if v is not None)])

    def ancestors(self, region: str) -> list[str]:
        out = []
        while region in self.parent:
            region = self.parent[region]
            out.append(region)
        return out
