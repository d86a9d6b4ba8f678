"""A region hierarchy (child -> parent) read from a file, for rolling record states up to every
ancestor. The structure itself, shared with the applicability rule, is
:class:`qualityrules.packs.regions.Hierarchy`."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataError
from ..i18n import Text, tr
from ..language.text import normalize
from ..packs import regions

if TYPE_CHECKING:
    from ..tables.source import Table

# A cell no region is named by: a number with decimals or a percentage (95.5, 96%, 3.2‰).
_MEASUREMENT = re.compile(r"[+-]?(?:\d*\.\d+|\d+(?:\.\d+)?\s*[%‰％])")
_YEAR = re.compile(r"(?:19|20)\d\d年?")


class Hierarchy(regions.Hierarchy):
    __doc__ = regions.Hierarchy.__doc__

    @classmethod
    def read(cls, path: str | Path) -> Hierarchy:
        """A hierarchy from a CSV file: columns ``child,parent``, or one column per level from the
        finest to the coarsest (``station,district,city,province``). A data table given instead
        (a year, indicator or value column, years as columns, measurements in the cells) is
        refused at its first sign (QR208), never read as levels."""
        from ..tables.source import open_file

        table = open_file(path)
        header = _data_header(table.headers)
        if header is not None:
            raise _data_table(table, None, *header)
        rows: list[list[Any]] = []
        for batch in table.batches():
            columns = [batch.columns[j].to_pylist() for j in range(len(table.headers))]
            for j, column in enumerate(columns):
                found = next((r for r, v in enumerate(column) if _measurement(v)), None)
                if found is not None:
                    raise _data_table(table, len(rows) + found, j,
                                      tr("'{value}' is a measurement, not a region's name", value=column[found]))
            rows.extend(list(row) for row in zip(*columns, strict=True))
        return cls([row for row in rows if any(str(v).strip() for v in row if v is not None)])


def _data_header(headers: list[str]) -> tuple[int, Text] | None:
    """The first header of a data table's (a year, indicator, value or unit column, a year
    across, an indicator of the shipped catalogue), with what it says; None when every header may
    name a level of regions."""
    from ..packs.resolve import load_catalogue
    from ..tables.observations import INDICATOR_COLUMNS, UNIT_COLUMNS, VALUE_COLUMNS, YEAR_COLUMNS

    catalogue = load_catalogue()
    for j, header in enumerate(headers):
        key = normalize(header).strip().lower()
        if key in YEAR_COLUMNS | INDICATOR_COLUMNS | VALUE_COLUMNS | UNIT_COLUMNS:
            return j, tr("the column '{header}' is a data table's, not a level of regions", header=header)
        if _YEAR.fullmatch(key):
            return j, tr("the column '{header}' is a year, not a level of regions", header=header)
        if header.strip() and header in catalogue:
            return j, tr("the column '{header}' is an indicator, not a level of regions", header=header)
    return None


def _measurement(value: Any) -> bool:
    """Is a cell a measurement (a number with decimals, a percentage), which no region is named?
    A whole number may be a region's code (440307)."""
    if isinstance(value, float):
        return math.isfinite(value) and not value.is_integer()
    return isinstance(value, str) and _MEASUREMENT.fullmatch(value.strip()) is not None


def _data_table(table: Table, row: int | None, column: int, what: Text) -> DataError:
    """QR208 at a cell (``row`` None: the header) showing that a hierarchy file is a data table."""
    return table.fail("QR208", tr("this looks like a data table, not a region hierarchy: {what}", what=what),
                      row, column,
                      tr("give the hierarchy as columns child,parent, or one column per level from the finest "
                         "(station,district,city,province); the data table is given as data, not as the hierarchy "
                         "(--hierarchy, hierarchy=)"))
