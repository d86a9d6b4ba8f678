"""A region hierarchy (child -> parent) read from a file, for rolling record states up to every
ancestor. The structure itself, shared with the applicability rule, is
:class:`qualityrules.packs.regions.Hierarchy`."""

from __future__ import annotations

from pathlib import Path

from ..packs import regions


class Hierarchy(regions.Hierarchy):
    __doc__ = regions.Hierarchy.__doc__

    @classmethod
    def read(cls, path: str | Path) -> Hierarchy:
        """A hierarchy from a CSV file: columns ``child,parent``, or one column per level from the
        finest to the coarsest (``station,district,city,province``)."""
        import csv
        import io

        from ..tables.observations import read_text
        from ..tables.record_chunks import guess_delimiter

        text = read_text(Path(path))
        delimiter = guess_delimiter(text.split("\n", 1)[0].rstrip("\r"))
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        return cls([row for row in rows[1:] if row])
