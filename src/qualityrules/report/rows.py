"""A report's rows kept as columns, and the report's JSON written from them.

A report of 100,000 regions has hundreds of thousands of rows, and most of a row — the pack,
indicator, target, citation, rule text — is the same for every row of one rule. :class:`Rows`
keeps those fields once per rule and the others once per row, so rows are built by indexing
arrays. :func:`dumps` writes what ``json.dumps(value, ensure_ascii=False, indent=indent)`` writes,
column by column: a column of numbers or of strings is encoded by one call of the C encoder (which
``json.dumps`` itself only uses without an indent), each rule's fixed fields once per rule.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Rows", "Indexed", "floats", "dumps", "kinds"]

IntArray = npt.NDArray[np.int64]


class Indexed:
    """A column whose row i holds ``table[index[i]]``: each distinct value kept, and encoded, once."""

    def __init__(self, table: list[Any], index: IntArray) -> None:
        self.table, self.index = table, index

    def __len__(self) -> int:
        return len(self.index)

    def values(self) -> list[Any]:
        """The value of every row (a list or dict is one object per row)."""
        if any(issubclass(kind, (list, dict)) for kind in set(map(type, self.table))):
            return [v.copy() if isinstance(v, (list, dict)) else v for v in map(self.table.__getitem__, self.index.tolist())]
        return _objects(self.table)[self.index].tolist()  # type: ignore[no-any-return]

    def encoded(self, indent: int | None, level: int, before: str = "", after: str = "") -> list[str]:
        """Each row's value as ``json.dumps`` writes it ``level`` deep, between ``before`` and ``after``."""
        return _objects(_encoded(self.table, indent, level, before, after))[self.index].tolist()  # type: ignore[no-any-return]


def floats(values: npt.NDArray[np.float64]) -> Indexed:
    """A float column, None where a value is not finite; equal values (bit for bit: -0.0 is not
    0.0) stored once."""
    table, index = np.unique(np.ascontiguousarray(values, dtype=np.float64).view(np.int64), return_inverse=True)
    numbers = table.view(np.float64)
    out: list[Any] = numbers.tolist()
    for i in np.flatnonzero(~np.isfinite(numbers)).tolist():
        out[i] = None
    return Indexed(out, index.reshape(-1))


def _objects(values: list[Any]) -> npt.NDArray[np.object_]:
    """``values`` as a one-dimensional object array (a list value stays one element)."""
    array = np.empty(len(values), dtype=object)
    if any(issubclass(kind, (list, tuple)) for kind in set(map(type, values))):
        for i, v in enumerate(values):
            array[i] = v
    else:
        array[:] = values
    return array


class Rows:
    """Rows with fields ``names`` (in order). ``key[i]`` says which of a few kinds row i is (its
    rule, year, verdict …): a field in ``by_key`` has one value per kind; a field in ``by_row``
    one value per row, as a list or :class:`Indexed`."""

    def __init__(self, names: Sequence[str], key: IntArray, by_row: dict[str, list[Any] | Indexed],
                 by_key: dict[str, list[Any]]) -> None:
        assert set(names) == set(by_row) | set(by_key) and not set(by_row) & set(by_key)
        assert all(len(values) == len(key) for values in by_row.values())
        self.names, self.key, self.by_row, self.by_key = list(names), key, by_row, by_key

    def __len__(self) -> int:
        return len(self.key)

    def column(self, name: str, rows: IntArray | None = None) -> list[Any]:
        """The field's value in every row, or in ``rows`` (a list or dict value is one object per row)."""
        if name in self.by_key:
            return Indexed(self.by_key[name], self.key if rows is None else self.key[rows]).values()
        values = self.by_row[name]
        if isinstance(values, Indexed):
            return values.values() if rows is None else Indexed(values.table, values.index[rows]).values()
        return values if rows is None else [values[i] for i in rows.tolist()]

    def dicts(self, rows: IntArray | None = None) -> list[dict[str, Any]]:
        """One dict per row (or per row of ``rows``), fields in order."""
        names = self.names
        return [dict(zip(names, values, strict=True))
                for values in zip(*(self.column(name, rows) for name in names), strict=True)]

    def _write(self, indent: int | None, level: int, out: list[str]) -> None:
        """Append what ``json.dumps(self.dicts())`` writes ``level`` deep, without building the
        dicts: for each kind of row, the text between its per-row fields is written once; the
        rows are these texts and the encoded per-row fields, interleaved."""
        if not len(self.key):
            out.append("[]")
            return
        separator, first, last = _breaks(indent, level + 1)
        field_separator, first_field, last_field = _breaks(indent, level + 2)
        key, of_kind = self._written_kinds()
        kind_of = self.key[of_kind].tolist()   # each written kind's kind
        fixed = {name: [encoded[k] for k in kind_of]
                 for name, encoded in ((name, _encoded(values, indent, level + 2)) for name, values in self.by_key.items())}
        fixed.update((name, _encoded(values, indent, level + 2)) for name, values in self._by_kind(key, of_kind).items())
        varying = [name for name in self.names if name not in fixed]
        texts: list[list[str]] = []   # per kind: the text before each varying field, and after the last
        for k in range(len(of_kind)):
            between, pending = [], separator + "{" + first_field
            for number, name in enumerate(self.names):
                pending += (field_separator if number else "") + json.dumps(name, ensure_ascii=False) + ": "
                if name in fixed:
                    pending += fixed[name][k]
                else:
                    between.append(pending)
                    pending = ""
            between.append(pending + last_field + "}")
            texts.append(between)
        # A text that is the same in every kind is written with the field before or after it (each
        # distinct value of the field once), not as a piece of every row.
        before, after, kept = [""] * len(varying), [""] * len(varying), []
        for i in range(len(varying) + 1):
            text = texts[0][i]
            same = all(between[i] == text for between in texts)
            if same and i > 0 and isinstance(self.by_row[varying[i - 1]], Indexed):
                after[i - 1] = text
            elif same and i < len(varying) and isinstance(self.by_row[varying[i]], Indexed):
                before[i] = text
            else:
                kept.append(i)
        columns: list[list[str]] = []
        for i in range(len(varying) + 1):
            if i in kept:
                columns.append(_objects([between[i] for between in texts])[key].tolist())
            if i < len(varying):
                columns.append(self._encoded_column(varying[i], indent, level + 2, before[i], after[i]))
        columns[0][0] = columns[0][0][len(separator):]   # the first row has no separator before it
        out.append("[" + first)
        # the pieces row by row, appended, not joined: the document is copied once, at the end
        out.extend(itertools.chain.from_iterable(zip(*columns, strict=True)))
        out.append(last + "]")

    def _written_kinds(self) -> tuple[IntArray, IntArray]:
        """The kinds the rows are written by, and a row of each: their kinds told apart further by
        the per-row fields that take a few values (a reason, the verdicts of each year), which are
        then written into each kind's text instead of as pieces of every row."""
        few = [values.index for values in self.by_row.values() if isinstance(values, Indexed) and len(values.table) <= 16]
        return kinds(self.key, *few)

    def _by_kind(self, key: IntArray, some_row: IntArray) -> dict[str, list[Any]]:
        """The per-row fields that are the same in every row of a kind (``key``, with ``some_row``
        of each): a threshold set by the rule, an assessment that is None in every row. As one
        value per kind they are written into the kind's text, not as pieces of every row."""
        found = {}
        head = slice(0, 1024)   # most fields differ within the first rows of a kind already
        for name, values in self.by_row.items():
            if isinstance(values, Indexed):
                per_kind = values.index[some_row]
                if np.array_equal(values.index[head], per_kind[key[head]]) and np.array_equal(values.index, per_kind[key]):
                    found[name] = [values.table[i] for i in per_kind.tolist()]
        return found

    def _encoded_column(self, name: str, indent: int | None, level: int, before: str = "", after: str = "") -> list[str]:
        values = self.by_row[name]
        if isinstance(values, Indexed):
            return values.encoded(indent, level, before, after)
        assert not before and not after   # only a column of few values takes a text in
        return _encoded(values, indent, level)


def kinds(*parts: IntArray) -> tuple[IntArray, IntArray]:
    """Number the distinct combinations of ``parts`` (non-negative codes, one per row), in the
    order of their codes: each row's number, and a row of each number. When the combinations
    possible are not many more than the rows, they are marked in a table of all of them (no sort)."""
    combined = np.zeros(len(parts[0]), dtype=np.int64)
    possible = 1
    for part in parts:
        base = int(part.max(initial=0)) + 1
        combined = combined * base + part
        possible *= base
    if possible > 4 * len(combined) + 1024:
        _, first, number = np.unique(combined, return_index=True, return_inverse=True)
        return number.reshape(-1), first
    seen = np.zeros(possible, dtype=bool)
    seen[combined] = True
    number = np.cumsum(seen, dtype=np.int64)[combined] - 1
    some_row = np.zeros(int(seen.sum()), dtype=np.int64)
    some_row[number] = np.arange(len(combined))
    return number, some_row


def dumps(value: Any, indent: int | None = None, level: int = 0) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=indent)`` for ``value`` nested ``level``
    deep, where value may hold :class:`Rows` (written as the list of their dicts)."""
    out: list[str] = []
    _write(value, indent, level, out)
    return "".join(out)


def _write(value: Any, indent: int | None, level: int, out: list[str]) -> None:
    if isinstance(value, Rows):
        value._write(indent, level, out)
    elif isinstance(value, dict) and value and all(type(key) is str for key in value):
        separator, first, last = _breaks(indent, level + 1)
        out.append("{" + first)
        for number, (key, item) in enumerate(value.items()):
            out.append((separator if number else "") + json.dumps(key, ensure_ascii=False) + ": ")
            _write(item, indent, level + 1, out)
        out.append(last + "}")
    elif isinstance(value, (list, tuple)) and value:
        separator, first, last = _breaks(indent, level + 1)
        out.append("[" + first + separator.join(_encoded(list(value), indent, level + 1)) + last + "]")
    else:
        out.append(_nested(value, indent, level))


def _breaks(indent: int | None, level: int) -> tuple[str, str, str]:
    """For a container whose items are ``level`` deep: what goes between two items, before the
    first and after the last (its closing bracket is one level up)."""
    if indent is None:
        return ", ", "", ""
    line = "\n" + " " * (indent * level)
    return "," + line, line, "\n" + " " * (indent * (level - 1))


def _encoded(values: list[Any], indent: int | None, level: int, before: str = "", after: str = "") -> list[str]:
    """Each of ``values`` as ``json.dumps`` writes it ``level`` deep (between ``before`` and
    ``after``); a column of numbers or of strings in one call of the C encoder, other values each
    once."""
    kinds = set(map(type, values))
    if not values:
        return []
    if kinds <= {float, type(None)} or kinds <= {int, type(None)} or kinds <= {bool, type(None)}:
        # numbers, true, false and null never contain ", ": the list encoded at once, then split
        numbers = json.dumps(values)[1:-1].split(", ")
        return [f"{before}{text}{after}" for text in numbers] if before or after else numbers
    if kinds == {str}:
        # inside an encoded string a quote is escaped, so '", "' only ever separates two strings
        return [f'{before}"{text}"{after}' for text in json.dumps(values, ensure_ascii=False)[2:-2].split('", "')]
    cache: dict[Hashable, str] = {}
    out = []
    for value in values:
        key = _frozen(value)
        text = cache.get(key) if key is not None else None
        if text is None:
            text = dumps(value, indent, level)
            if key is not None:
                cache[key] = text
        out.append(f"{before}{text}{after}")
    return out


def _nested(value: Any, indent: int | None, level: int) -> str:
    """What ``dumps`` does not take apart (a scalar, an empty container, a dict with keys that
    are not strings), by ``json.dumps`` itself, its lines moved ``level`` deep."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return text.replace("\n", "\n" + " " * (indent * level)) if indent is not None and level else text


def _frozen(value: Any) -> Hashable | None:
    """A hashable stand-in for a scalar or a flat list or dict of strings and ints (so equal
    values are encoded once); None when there is none."""
    if value is None or type(value) in (str, int, float, bool):
        return (type(value), value)
    if isinstance(value, dict):
        items: tuple[Any, ...] = tuple(value.items())
        flat = all(type(k) is str and type(v) in (str, int) for k, v in items)
    elif isinstance(value, list):
        items = tuple(value)
        flat = all(type(v) in (str, int) for v in items)
    else:
        return None
    return (type(value), items) if flat else None
