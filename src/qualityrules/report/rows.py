"""A report's rows kept as columns, and the report's JSON written from them.

A report of 100,000 regions has hundreds of thousands of rows, and most of a row — the pack,
indicator, target, citation, rule text — is the same for every row of one rule. :class:`Rows`
keeps those fields once per rule and the others once per row, so rows are built by indexing
arrays. :func:`dumps` writes what ``json.dumps(value, ensure_ascii=False, indent=indent)`` writes,
column by column: a column of numbers is encoded by one call of the C encoder (which
``json.dumps`` itself only uses without an indent), a column of strings by its string encoder,
each rule's fixed fields once per rule. Rows
are written by kinds told apart by the fields of few values too (a value rounded to two decimals
and the margins that follow from it), as long as the kinds stay few: a row is then two pieces,
its region and its kind's text, and the document is joined from them once.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Hashable, Sequence
from json.encoder import encode_basestring
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


def floats(values: npt.NDArray[np.float64]) -> Indexed:
    """A float column, None where a value is not finite; equal values (bit for bit: -0.0 is not
    0.0) stored once, in the order they first occur."""
    bits, index = _distinct(np.ascontiguousarray(values, dtype=np.float64).reshape(-1).view(np.int64))
    numbers = bits.view(np.float64)
    out: list[Any] = numbers.tolist()
    for i in np.flatnonzero(~np.isfinite(numbers)).tolist():
        out[i] = None
    return Indexed(out, index)


def _distinct(codes: IntArray) -> tuple[IntArray, IntArray]:
    """The distinct values of ``codes`` in the order they first occur, found by Arrow's hash table
    (no sort), and the place of each code's value among them."""
    import pyarrow as pa

    encoded = pa.array(codes).dictionary_encode()
    return encoded.dictionary.to_numpy(), encoded.indices.to_numpy().astype(np.int64)


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

    def _write(self, indent: int | None, level: int, out: list[str], memo: _Memo) -> None:
        """Append what ``json.dumps(self.dicts())`` writes ``level`` deep, without building the
        dicts: for each kind of row, the text between its per-row fields is written once; the
        rows are these texts and the encoded per-row fields, interleaved."""
        if not len(self.key):
            out.append("[]")
            return
        separator, first, last = _breaks(indent, level + 1)
        field_separator, first_field, last_field = _breaks(indent, level + 2)
        key, of_kind, by_kind = self._written_kinds()
        kind_of = self.key[of_kind]   # each written kind's kind
        of_key = {name: _encoded(values, indent, level + 2) for name, values in self.by_key.items()}
        of_written = {name: _chosen(_encoded(self._table(name), indent, level + 2), which)
                      for name, which in by_kind.items()}
        varying = [name for name in self.names if name not in of_key and name not in of_written]
        # The text before each varying field and after the last, in parts each one text or one per
        # written kind; the texts between them joined for each kind first (a few), then chosen for
        # each written kind once.
        segments: list[list[str | list[str]]] = [[]]
        run = [separator + "{" + first_field] * (len(next(iter(of_key.values()))) if of_key else 1)
        for number, name in enumerate(self.names):
            head = (field_separator if number else "") + json.dumps(name, ensure_ascii=False) + ": "
            run = [text + head for text in run]
            if name in of_key:
                run = [text + value for text, value in zip(run, of_key[name], strict=True)]
                continue
            segments[-1].append(_chosen(run, kind_of))
            run = [""] * len(run)
            if name in of_written:
                segments[-1].append(of_written[name])
            else:
                segments.append([])
        segments[-1].append(_chosen([text + last_field + "}" for text in run], kind_of))
        texts = [_joined(parts, len(of_kind)) for parts in segments]
        # A text that is the same in every kind is written with the field before or after it (each
        # distinct value of the field once), not as a piece of every row.
        before, after, kept = [""] * len(varying), [""] * len(varying), []
        for i, text in enumerate(texts):
            if isinstance(text, str) and i > 0 and isinstance(self.by_row[varying[i - 1]], Indexed):
                after[i - 1] = text
            elif isinstance(text, str) and i < len(varying) and isinstance(self.by_row[varying[i]], Indexed):
                before[i] = text
            else:
                kept.append(i)
        # the pieces row by row: a column of the grid per kept text and per varying field, filled
        # by numpy (each distinct piece one object, referenced by its rows), read out row-major
        grid = np.empty((len(key), len(kept) + len(varying)), dtype=object)
        j = 0
        for i, text in enumerate(texts):
            if i in kept:
                grid[:, j] = text if isinstance(text, str) else _objects(text)[key]
                j += 1
            if i < len(varying):
                values = self.by_row[varying[i]]
                if isinstance(values, Indexed):
                    # a table two sets of rows share (the regions) encoded once
                    known = (id(values.table), level, before[i], after[i])
                    if known not in memo:
                        memo[known] = _objects(_encoded(values.table, indent, level + 2, before[i], after[i]))
                    grid[:, j] = memo[known][values.index]
                else:
                    grid[:, j] = _objects(_encoded(values, indent, level + 2))
                j += 1
        grid[0, 0] = grid[0, 0][len(separator):]   # the first row has no separator before it
        out.append("[" + first)
        out += grid.ravel().tolist()   # the document is copied once, at the end
        out.append(last + "]")

    def _written_kinds(self) -> tuple[IntArray, IntArray, dict[str, IntArray]]:
        """The kinds the rows are written by, a row of each, and the per-row fields that are the
        same in every row of a kind, each with its value's place in the field's table, per kind:
        as one value per kind they are written into the kind's text, not as pieces of every row.
        The kinds are told apart further by per-row fields: a field of a few values (a reason, the
        verdicts of each year) always; then others, fewest values first (a value rounded to two
        decimals, whose margins follow from it), as long as the kinds stay a small part of the rows
        (each kind's text is written once, whole). A field they are told apart by, or found the
        same in each kind, stays so as they are told apart further (checked once)."""
        indexed = sorted(((name, values) for name, values in self.by_row.items() if isinstance(values, Indexed)),
                         key=lambda item: len(item[1].table))
        few = [(name, values) for name, values in indexed if len(values.table) <= 16]
        key, some_row = kinds(self.key, *(values.index for _, values in few))
        same = [name for name, _ in few]
        limit = len(self.key) // 16
        for name, values in indexed[len(few):]:
            if len(values.table) > limit:
                break
            if _per_kind(values.index, key, some_row) is None:   # else it already is the same in each kind
                folded, of_folded = kinds(key, values.index)
                if len(of_folded) > limit:
                    break
                key, some_row = folded, of_folded
            same.append(name)
        by_kind = {name: values.index[some_row] for name, values in indexed if name in same}
        for name, values in indexed:   # the fields not looked at yet: a threshold set by the rule …
            per_kind = None if name in same else _per_kind(values.index, key, some_row)
            if per_kind is not None:
                by_kind[name] = per_kind
        return key, some_row, by_kind

    def _table(self, name: str) -> list[Any]:
        values = self.by_row[name]
        assert isinstance(values, Indexed)
        return values.table


def kinds(*parts: IntArray) -> tuple[IntArray, IntArray]:
    """Number the distinct combinations of ``parts`` (non-negative codes, one per row), in the
    order of their codes: each row's number, and a row of each number. When the combinations
    possible are not many more than the rows, they are marked in a table of all of them; else
    they are found by hashing, and only they are sorted (no sort of the rows)."""
    combined = np.zeros(len(parts[0]), dtype=np.int64)
    possible = 1
    for part in parts:
        base = int(part.max(initial=0)) + 1
        if possible * base > 2**63 - 1:   # the combinations so far numbered first: the code stays an int64
            combined, _ = kinds(combined)
            possible = int(combined.max(initial=-1)) + 1
        combined *= base   # in place: no new array per part
        combined += part
        possible *= base
    if possible > 4 * len(combined) + 1024:
        distinct, index = _distinct(combined)
        rank = np.empty(len(distinct), dtype=np.int64)
        rank[np.argsort(distinct)] = np.arange(len(distinct))
        number = rank[index]
    else:
        seen = np.zeros(possible, dtype=bool)
        seen[combined] = True
        number = np.cumsum(seen, dtype=np.int64)[combined] - 1
    some_row = np.zeros(int(number.max(initial=-1)) + 1, dtype=np.int64)
    some_row[number] = np.arange(len(combined))
    return number, some_row


def _per_kind(index: IntArray, key: IntArray, some_row: IntArray) -> IntArray | None:
    """``index`` of each kind (``key``, with ``some_row`` of each) when it is the same in every
    row of the kind, else None."""
    per_kind = index[some_row]
    head = slice(0, 1024)   # most fields differ within the first rows of a kind already
    if np.array_equal(index[head], per_kind[key[head]]) and np.array_equal(index, per_kind[key]):
        return per_kind
    return None


def _chosen(texts: list[str], which: IntArray) -> str | list[str]:
    """``texts[which[k]]`` for each kind k: one text when it is the same for every kind."""
    if all(text == texts[0] for text in texts):
        return texts[0]
    if bool((which == which[0]).all()):
        return texts[int(which[0])]
    return _objects(texts)[which].tolist()  # type: ignore[no-any-return]


def _joined(parts: list[str | list[str]], count: int) -> str | list[str]:
    """The concatenation of ``parts`` (each one text, or one per kind) for each of ``count``
    kinds: one text when every part is one."""
    if all(isinstance(part, str) for part in parts):
        return "".join(parts)   # type: ignore[arg-type]
    return ["".join(texts) for texts in zip(*(itertools.repeat(part, count) if isinstance(part, str) else part
                                             for part in parts), strict=True)]


def dumps(value: Any, indent: int | None = None, level: int = 0) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=indent)`` for ``value`` nested ``level``
    deep, where value may hold :class:`Rows` (written as the list of their dicts)."""
    out: list[str] = []
    _write(value, indent, level, out, {})
    return "".join(out)


_Memo = dict[tuple[int, int, str, str], npt.NDArray[np.object_]]   # encoded tables, by table (alive meanwhile)


def _write(value: Any, indent: int | None, level: int, out: list[str], memo: _Memo) -> None:
    if isinstance(value, Rows):
        value._write(indent, level, out, memo)
    elif isinstance(value, dict) and value and all(type(key) is str for key in value):
        separator, first, last = _breaks(indent, level + 1)
        out.append("{" + first)
        for number, (key, item) in enumerate(value.items()):
            out.append((separator if number else "") + json.dumps(key, ensure_ascii=False) + ": ")
            _write(item, indent, level + 1, out, memo)
        out.append(last + "}")
    elif isinstance(value, (list, tuple)) and value:
        separator, first, last = _breaks(indent, level + 1)
        flat = _flat(list(value))
        if flat is not None:   # the C encoder's text, its items moved apart
            text, quote = flat
            items = text.replace(quote + ", " + quote, quote + separator + quote)
        else:
            items = separator.join(_encoded(list(value), indent, level + 1))
        out.append("[" + first + items + last + "]")
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
    ``after``); a column of strings item by item by the C encoder of strings, one of numbers in
    one call of the C encoder, other values each once."""
    if not values:
        return []
    if set(map(type, values)) == {str}:   # each by the C encoder of strings (no text to cut)
        return [f"{before}{text}{after}" for text in map(encode_basestring, values)]
    flat = _flat(values)
    if flat is not None:   # the C encoder's text cut into its items (and before, after glued on)
        text, quote = flat
        return (before + text.replace(quote + ", " + quote, quote + after + "\0" + before + quote) + after).split("\0")
    cache: dict[Hashable, str] = {}
    out = []
    for value in values:
        key = _frozen(value)
        known = cache.get(key) if key is not None else None
        if known is None:
            known = dumps(value, indent, level)
            if key is not None:
                cache[key] = known
        out.append(f"{before}{known}{after}")
    return out


def _flat(values: list[Any]) -> tuple[str, str] | None:
    """A column of numbers (true, false and null among them) or of strings as ``json.dumps``
    writes it, by one call of the C encoder: the text of its items, separated by ``, ``, and the
    quote around each item ('"' for strings, else ''); None for other values. The separator never
    occurs inside an item (a quote inside an encoded string is escaped), nor does a NUL character
    (the encoder escapes every control character), which therefore can cut the text."""
    kinds = set(map(type, values))
    if kinds <= {float, type(None)} or kinds <= {int, type(None)} or kinds <= {bool, type(None)}:
        return json.dumps(values)[1:-1], ""
    if kinds == {str}:
        return json.dumps(values, ensure_ascii=False)[1:-1], '"'
    return None


def _nested(value: Any, indent: int | None, level: int) -> str:
    """What ``dumps`` does not take apart (a scalar, an empty container, a dict with keys that
    are not strings), by ``json.dumps`` itself, its lines moved ``level`` deep."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return text.replace("\n", "\n" + " " * (indent * level)) if indent is not None and level else text


def _frozen(value: Any) -> Hashable | None:
    """A hashable stand-in for a scalar or a flat list or dict of strings and ints (so equal
    values are encoded once); None when there is none."""
    if type(value) is float:     # -0.0 == 0.0, but json.dumps writes them apart
        return (float, value, math.copysign(1.0, value))
    if value is None or type(value) in (str, int, bool):
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
