"""A region hierarchy (child -> parent) read from a file, for rolling record states up to every
ancestor. The structure itself, shared with the applicability rule, is
:class:`qualityrules.packs.regions.Hierarchy`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..packs import regions


class Hierarchy(regions.Hierarchy):
    __doc__ = regions.Hierarchy.__doc__

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
