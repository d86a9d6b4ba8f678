"""Tables in: every file and in-memory table the user holds, as one kind of object.

A :class:`Table` has headers, numbers its rows 1-based as a spreadsheet shows them (the header is
row 1 unless a title row precedes it), points at a cell for a diagnostic (a caret under the cell
in the file), and yields its columns in :class:`Batch` es, streamed, so a large file is never
read whole. Indicator tables (:mod:`.observations`) and raw records (:mod:`.record_chunks`) both
read through it; this module decides, once for both:

* the **encoding**: declared, or a byte-order mark, or UTF-8 when the text is valid UTF-8, or else
  charset-normalizer's guess among GB18030, Big5 and UTF-16 from the head of the file (from the
  first non-ASCII bytes on, so a file that is ASCII for a while is still detected); bytes that do
  not decode are an error at their line and column (QR202);
* the **delimiter** (``,`` tab ``;`` ``|``): the one that splits the head's rows most consistently;
* **quoting**: a quote that opens a field and is never closed is an error at the line where it
  opens (QR210), never a silent swallowing of the rows after it;
* the **header row**: the first row that names the wanted columns, else the first with at least
  two names (rows above it — a title — are skipped with a warning), or ``header_row=``;
* **Excel**: the first visible worksheet unless one is named (a hidden sheet is never read
  unasked; other visible sheets holding cells are named, QR220); a cell formatted as a
  percentage (0.96 shown as ``96%``) reads ``96%``; a formula's value is read only when it was
  calculated (QR206); hidden rows and columns are read, and said (QR219).

In-memory tables are in :mod:`.frames`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..errors import DataError, Diagnostic, Severity, UsageError, did_you_mean, refuse, shown
from ..i18n import Text, tr
from ..language import model as m

__all__ = [
    "Table", "Batch", "open_file", "detect_encoding", "read_text", "Excerpt", "column_letters",
    "HeaderTest", "DELIMITERS", "totals_left_out", "is_workbook", "no_sheets",
]

Array = npt.NDArray[Any]
HeaderTest = Callable[[Sequence[str]], bool]

DELIMITERS = ",\t;|"
_HEAD = 1 << 16          # bytes of the head analysed for encoding, delimiter and header
_BLOCK = 1 << 20         # bytes read at a time while streaming
_SEARCH_ROWS = 30        # rows searched for the header
_CHECKPOINT = 1 << 23    # bytes between remembered line starts (to point at a cell quickly)


@attrs.frozen
class Excerpt(m.Source):
    """One line of a large file, numbered as in the file (a caret without reading the file whole)."""

    first_line: int = 1

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        index = line - self.first_line
        return lines[index] if 0 <= index < len(lines) else ""


def excerpt_span(name: str, line: int, text: str, start: int, end: int) -> m.Span:
    """A span over ``text[start:end]``, ``text`` being line ``line`` of file ``name``."""
    end = max(end, start + 1)
    return m.Span(Excerpt(name, text, first_line=line), start, end, line, start + 1, line, end + 1)


def column_letters(column: int) -> str:
    """``A`` for column 0, ``AA`` for column 26: how a spreadsheet names a column."""
    letters = ""
    number = column + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Batch:
    """Rows ``offset .. offset + n`` of a table: raw columns (numpy arrays, pyarrow arrays,
    pandas objects) by column index. A *deferred* batch reads its columns when they are first
    asked for, in the thread that asks (a Parquet row group is decoded by the thread that scans it)."""

    def __init__(self, columns: dict[int, Any] | Callable[[], dict[int, Any]], n: int, offset: int) -> None:
        self._columns = columns
        self.n = n
        self.offset = offset

    @property
    def deferred(self) -> bool:
        return callable(self._columns)

    @property
    def columns(self) -> dict[int, Any]:
        if callable(self._columns):
            self._columns = self._columns()
        return self._columns


class Table:
    """Headers, row numbering, cell locations and batches of one table (file or in memory)."""

    name: str = "<data>"
    path: str | None = None
    headers: list[str]
    header_row: int = 1
    spreadsheet: bool = False       # cells are named like C7 (an Excel sheet)

    def __init__(self) -> None:
        self.warnings: list[Diagnostic] = []

    @property
    def rows(self) -> int | None:
        """The number of data rows, when known without reading the table."""
        return None

    def position(self) -> tuple[int | None, int] | None:
        """How far reading has come, as (done, total) in the table's own unit (bytes, rows)."""
        return None

    def batches(self, columns: Sequence[int] | None = None, rows: int | None = None,
                dictionary: Sequence[int] = ()) -> Iterator[Batch]:
        """Batches of the columns ``columns`` (all when None), of about ``rows`` rows; text
        columns in ``dictionary`` may come dictionary-encoded."""
        raise NotImplementedError

    def row_number(self, row: int) -> int:
        """The spreadsheet row number of data row ``row`` (0-based)."""
        return self.header_row + 1 + row

    def locate(self, row: int | None, column: int | None) -> m.Span | None:
        """The span of a cell (``row`` None: the header)."""
        return None

    def where(self, row: int | None, column: int | None) -> str:
        """How a message names a cell: ``row 7, column '达标率'`` (``cell C7`` in a sheet)."""
        line = self.header_row if row is None else self.row_number(row)
        if self.spreadsheet and column is not None:
            return tr("cell {letters}{line}", letters=column_letters(column), line=line)
        if column is not None and column < len(self.headers):
            return tr("row {line} (header), column '{column}'", line=line, column=self.headers[column]) \
                if row is None else tr("row {line}, column '{column}'", line=line, column=self.headers[column])
        return tr("row {line} (header)", line=line) if row is None else tr("row {line}", line=line)

    def diagnostic(self, code: str, message: str, row: int | None = None, column: int | None = None,
                   suggestion: str | None = None, severity: Severity = Severity.ERROR) -> Diagnostic:
        text = tr("{where}: {message}", where=self.where(row, column), message=message) \
            if (row is not None or column is not None) else message
        if self.path is None and not self.name.startswith("<"):
            text = tr("{name}: {message}", name=self.name, message=text)
        return Diagnostic(code, text, self.locate(row, column), severity=severity, suggestion=suggestion)

    def fail(self, code: str, message: str, row: int | None = None, column: int | None = None,
             suggestion: str | None = None) -> DataError:
        return DataError(self.diagnostic(code, message, row, column, suggestion))

    def warn(self, code: str, message: str, row: int | None = None, column: int | None = None,
             suggestion: str | None = None) -> None:
        self.warnings.append(self.diagnostic(code, message, row, column, suggestion, Severity.WARNING))


def totals_left_out(table: Table, row: int, column: int, word: str, count: int) -> Diagnostic:
    """QR216 for ``count`` rows whose region cell (in ``column``) marks a totals row (合计, 小计:
    :func:`.cells.is_total`), shown at the first one (``row``, its cell ``word`` as written): a
    total of the rows above is no region of its own, so the rows are left out. Indicator tables
    and records say it alike."""
    message = tr("'{word}' marks a totals row, not a region: the row is left out", word=word) if count == 1 \
        else tr("'{word}' marks a totals row, not a region: the row is left out, as are {more} more totals "
                "row(s)", word=word, more=count - 1)
    return table.diagnostic(
        "QR216", message, row, column, severity=Severity.WARNING,
        suggestion=tr("nothing to do if it totals the rows above; if its values are a region's own, write "
                      "that region's name (e.g. the city's) instead"))


def footnote_marker(table: Table, position: int, row: int, count: int, marker: str, read: str) -> Diagnostic:
    """QR212 for a column (at ``position``) whose cells carry a footnote marker in ``count`` rows,
    shown at the first one (``marker``, the number or name ``read``): records' numbers, and the
    region names of records and indicator tables alike."""
    message = tr("footnote marker '{marker}' after the value ignored: read {value}", marker=marker, value=read) \
        if count == 1 else tr("footnote marker '{marker}' after the value ignored: read {value} (and in {more} more "
                              "cell(s) of the column)", marker=marker, value=read, more=count - 1)
    return table.diagnostic("QR212", message, row, position, severity=Severity.WARNING,
                            suggestion=tr("move footnotes to a note column"))


def open_file(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
              header_row: int | None = None, wanted: HeaderTest | None = None) -> Table:
    """A file as a :class:`Table`: ``.csv``/``.tsv``/``.txt`` (any other suffix is read as CSV),
    ``.xlsx``/``.xlsm``, ``.parquet``/``.feather``/``.arrow``. ``wanted`` says whether a row
    looks like the header (it names a column the caller needs)."""
    if not isinstance(path, (str, Path)):
        refuse(tr("a path must be a str or a Path, not {value}", value=shown(path)))
    path = Path(path)
    suffix = path.suffix.lower()
    if header_row is not None and (not isinstance(header_row, int) or isinstance(header_row, bool)
                                   or header_row < 1):
        raise UsageError(Diagnostic("QR301", tr("header_row must be a row number from 1, not {value}", value=repr(header_row)),
                                    suggestion=tr("header_row=2 when a title row is above the header")))
    if is_workbook(path):
        return ExcelTable(path, sheet, header_row, wanted)
    if suffix == ".xls":
        raise DataError(Diagnostic("QR203", tr("{path}: the old .xls format is not supported", path=path),
                                   suggestion=tr("save the sheet as .xlsx or .csv")))
    if sheet is not None:
        raise no_sheets(sheet, str(path))
    if suffix in (".parquet", ".pq", ".feather", ".arrow"):
        return ArrowFileTable(path)
    return CsvTable(path, encoding, header_row, wanted)


def is_workbook(path: str | Path) -> bool:
    """Is ``path`` an Excel workbook, the only data file with sheets (``.xlsx``, ``.xlsm``)?"""
    return Path(path).suffix.lower() in (".xlsx", ".xlsm")


def no_sheets(sheet: str, data: str | Text) -> UsageError:
    """QR301: a sheet was named for data without sheets (a CSV or Parquet file, a table in
    memory), where it would be ignored."""
    return UsageError(Diagnostic(
        "QR301", tr("sheet '{sheet}' was named, but the data has no sheets ({data}): only an Excel workbook "
                    "(.xlsx, .xlsm) has", sheet=sheet, data=data),
        suggestion=tr("leave out the sheet (--sheet, sheet=): a CSV or Parquet file, or a table in memory, is one "
                      "table; or give the .xlsx workbook")))


def _skipped_above(header_row: int, title: str) -> Text:
    """QR211's message: the rows above ``header_row`` (counted from 1) were skipped; what they said."""
    if header_row == 2:
        return tr("row 1 above the header (row 2) skipped: '{title}'", title=title[:80])
    return tr("rows 1–{last} above the header (row {header}) skipped: '{title}'", last=header_row - 1,
              header=header_row, title=title[:80])


def _missing_file(path: Path) -> DataError:
    return DataError(Diagnostic("QR201", tr("no such file: {path}", path=path)))


# ------------------------------------------------------------------------------------------
# Encodings


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CANDIDATES = ["gb18030", "big5", "utf_16_le", "utf_16_be"]


def _codec(name: str) -> str:
    """The canonical name of a text encoding; QR202 for an unknown one, or a codec that does not
    turn bytes into text (``rot13``, ``base64``, ``zlib``: Python's codecs for other things)."""
    try:
        codec = codecs.lookup(name)
    except LookupError:
        codec = None
    # (_is_text_encoding is how Python's own str.encode and bytes.decode tell the two kinds apart)
    if codec is None or not getattr(codec, "_is_text_encoding", True) or codec.name in _NOT_FOR_FILES:
        raise DataError(Diagnostic("QR202", tr("unknown encoding '{name}'", name=name),
                                   suggestion=tr("use utf-8, utf-8-sig, gb18030, big5 or utf-16")))
    return codec.name


# Text encodings that encode no file's bytes: names for the internet's domain names, and one that
# decodes nothing at all
_NOT_FOR_FILES = frozenset({"idna", "punycode", "undefined"})


_UTF8_EVIDENCE = 8      # non-ASCII characters decoded as UTF-8 before a bad byte: the text is UTF-8


def detect_encoding(head: bytes, *, complete: bool = False) -> tuple[str, int]:
    """``(encoding, length of the byte-order mark)`` of a file starting with ``head`` (the whole
    file when ``complete``): a BOM; UTF-16 when NUL bytes are many, on one side; UTF-8 when the head is
    valid UTF-8, or is for many characters before a bad byte (refused where it is); else
    charset-normalizer's choice among GB18030, Big5 and UTF-16."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    sample = head
    window = head[:4096]
    if b"\x00" in window:
        # UTF-16 puts a NUL beside every ASCII character (delimiters, digits, line ends): many of
        # them, on one side; a stray NUL in other text is a bad cell, refused where it is
        even, odd = window[0::2].count(0), window[1::2].count(0)
        if max(even, odd) * 8 >= len(window) // 2:
            return ("utf-16-le" if odd >= even else "utf-16-be"), 0
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8", 0
    except UnicodeDecodeError as error:
        if sum(1 for c in head[:error.start].decode("utf-8") if c > "\x7f") >= _UTF8_EVIDENCE:
            # UTF-8 text with a bad byte (another encoding's text is hardly ever valid UTF-8 for
            # as many characters): refused where the byte is, never decoded as GB18030 from the start
            return "utf-8", 0
        first = re.search(rb"[\x80-\xff]", head)
        sample = head[max(0, (first.start() if first else error.start) - 256):]
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=_CANDIDATES, preemptive_behaviour=False).best()
    if best is not None and best.encoding:
        return codecs.lookup(best.encoding).name, 0
    return "gb18030", 0


def _declared(encoding: str, head: bytes) -> tuple[str, int]:
    """A declared encoding and the length of the byte-order mark the file starts with (a BOM of
    that encoding is not text)."""
    name = _codec(encoding)
    if name in ("utf-8", "utf-8-sig"):
        return "utf-8", 3 if head.startswith(codecs.BOM_UTF8) else 0
    if name == "utf-16":
        if head.startswith(codecs.BOM_UTF16_BE):
            return "utf-16-be", 2
        return "utf-16-le", 2 if head.startswith(codecs.BOM_UTF16_LE) else 0
    for bom, bom_name in _BOMS:
        if name == bom_name and head.startswith(bom):
            return name, len(bom)
    return name, 0


def _head(path: Path) -> tuple[bytes, bool]:
    """The first bytes of a file (extended so that at least ``_HEAD`` bytes from the first
    non-ASCII byte are included, when there is one soon enough) and whether that is all of it."""
    try:
        with open(path, "rb") as f:
            head = f.read(_HEAD)
            if len(head) == _HEAD and not re.search(rb"[\x80-\xff]", head):
                # ASCII so far: look further for the first non-ASCII bytes (a header in English,
                # Chinese names later), reading block by block
                for _ in range(64):
                    block = f.read(_HEAD)
                    if not block:
                        break
                    found = re.search(rb"[\x80-\xff]", block)
                    head += block
                    if found is not None:
                        head += f.read(_HEAD)
                        break
            complete = not f.read(1)
    except FileNotFoundError:
        raise _missing_file(path) from None
    except IsADirectoryError:
        raise DataError(Diagnostic("QR201", tr("{path} is a directory, not a table file", path=path))) from None
    except (OSError, ValueError) as error:     # ValueError: a NUL byte in the name
        raise DataError(Diagnostic("QR201", tr("cannot read {path}: {reason}", path=path,
                                               reason=getattr(error, "strerror", None) or str(error)))) from None
    return head, complete


def _decode_error(path: Path, encoding: str, text_before: str, raw: bytes, error: UnicodeDecodeError,
                  first_line: int, byte_offset: int) -> DataError:
    """QR202 at the line and column of the first byte that does not decode."""
    lines = text_before.split("\n")
    line = first_line + len(lines) - 1
    shown = lines[-1] + raw[error.start:error.start + 40].decode(encoding, errors="replace").split("\n", 1)[0]
    column = len(lines[-1])
    return DataError(Diagnostic(
        "QR202", tr("{path} is not valid {encoding} ({reason} at byte {byte})", path=path, encoding=encoding,
                    reason=error.reason, byte=byte_offset + error.start),
        excerpt_span(str(path), line, shown, column, column + 1),
        suggestion=tr("declare the file's encoding (--encoding gb18030, big5, utf-16) or save it as UTF-8")))


def read_text(path: str | Path, encoding: str | None = None) -> str:
    """A small text file's content in its declared or detected encoding (QR202 with line and
    column for bytes that do not decode)."""
    path = Path(path)
    head, complete = _head(path)
    raw = head if complete else path.read_bytes()
    name, bom = _declared(encoding, head) if encoding else detect_encoding(head, complete=complete)
    try:
        return raw[bom:].decode(name)
    except UnicodeDecodeError as error:
        before = raw[bom:bom + error.start].decode(name, errors="replace")
        raise _decode_error(path, name, before, raw[bom:], error, 1, bom) from None


# ------------------------------------------------------------------------------------------
# CSV


@attrs.define
class _Record:
    start: int          # offset in the head text
    end: int            # offset just past its line break
    line: int           # physical line where it starts (1-based)
    text: str           # the record's text without its line break


def _records(text: str, complete: bool) -> list[_Record]:
    """Physical records of the head text (quote-aware line breaks); the last one only when it
    is complete (followed by a line break, or the end of the file)."""
    out: list[_Record] = []
    start, line, in_quote, i = 0, 1, False, 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            if in_quote and i + 1 < n and text[i + 1] == '"':
                i += 2
                continue
            in_quote = not in_quote if (in_quote or i == start or text[i - 1] in DELIMITERS) else in_quote
        elif ch == "\n" and not in_quote:
            out.append(_Record(start, i + 1, line, text[start:i].rstrip("\r")))
            line += text.count("\n", start, i + 1)
            start = i + 1
        i += 1
    if complete and start < n and not in_quote:
        out.append(_Record(start, n, line, text[start:].rstrip("\r")))
    return out


def _fields(text: str, delimiter: str) -> list[str]:
    """The cells of one record's text (which may hold quoted line breaks)."""
    limit = csv.field_size_limit()
    if len(text) <= limit:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    else:    # a field as long as its record: the csv module's limit is process-wide, so raised only meanwhile
        csv.field_size_limit(len(text))
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        finally:
            csv.field_size_limit(limit)
    return [cell for row in rows for cell in row] if len(rows) > 1 else (rows[0] if rows else [])


def _field_spans(text: str, delimiter: str) -> list[tuple[int, int]]:
    """(start, end) of each field of one record's text (inside the quotes of a quoted field)."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == '"':
            j = i + 1
            while j < n:
                if text[j] == '"':
                    if j + 1 < n and text[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            spans.append((i + 1, j))
            i = j + 1
            while i < n and text[i] != delimiter:
                i += 1
        else:
            j = text.find(delimiter, i)
            j = n if j < 0 else j
            spans.append((i, j))
            i = j
        if i < n and text[i] == delimiter:
            i += 1
            continue
        return spans


def _sniff_delimiter(records: list[_Record]) -> str:
    """The delimiter that splits the head's non-blank rows into the same number (> 1) of fields
    most often (a title row does not count against it)."""
    best, best_score = ",", (-1, 0)
    sample = [r.text for r in records if r.text.strip()][:50]
    for delimiter in DELIMITERS:
        counts = [len(_fields(text, delimiter)) for text in sample]
        if not counts:
            continue
        width = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (counts.count(width) if width > 1 else 0, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


class _Stream(io.RawIOBase):
    """The data part of a CSV file as UTF-8 for pyarrow, checked on the way: bytes that do not
    decode (QR202) and a quote that opens a field and never closes (QR210) stop the read with a
    located error. It also records what pyarrow's row count does not show — blank rows and
    rows spanning several lines — so data rows are numbered as a spreadsheet numbers them."""

    def __init__(self, table: CsvTable) -> None:
        super().__init__()
        self.table = table
        self.file = open(table.path_obj, "rb")  # noqa: SIM115 - closed by close()
        self.file.seek(table.data_offset)
        self.utf8 = table.encoding == "utf-8"
        self.decoder = codecs.getincrementaldecoder(table.encoding)()
        self.offset = table.data_offset
        self.pending = b""
        self.error: DataError | None = None
        self.done = False
        # scanner state
        self.in_quote = False
        self.prev = "\n"
        self.carry = ""
        self.line = table.data_line        # physical line at the scan position
        self.record = 0                    # physical data records before the scan position
        self.open_line = 0
        self.open_text = ""
        self.open_column = 0
        self.quoted_lines = 0
        self.open_record = 0
        self.blank: list[int] = []         # physical indices of blank records
        self.extra: list[tuple[int, int]] = []   # (physical index, extra lines) of multi-line records
        self.last_checkpoint = table.data_offset

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.file.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while len(self.pending) < len(view) and not self.done:
            self._fill()
        size = min(len(view), len(self.pending))
        view[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size

    def _fill(self) -> None:
        raw = self.file.read(_BLOCK)
        final = not raw
        try:
            text = self.decoder.decode(raw, final=final)
        except UnicodeDecodeError as error:
            before = self.carry + (raw[:error.start].decode(self.table.encoding, errors="replace") if error.start else "")
            self.error = _decode_error(self.table.path_obj, self.table.encoding, before[before.rfind("\n") + 1:],
                                       raw, error, self.line + before.count("\n"), self.offset)
            raise self.error from None
        if self.offset - self.last_checkpoint >= _CHECKPOINT and self.table.ascii_compatible:
            cut = raw.find(b"\n")      # a line break byte is never part of a character here
            if cut >= 0:
                self.table.checkpoints.append((self.line + 1, self.offset + cut + 1))
                self.last_checkpoint = self.offset
        self.offset += len(raw)
        self.table.read_bytes = self.offset
        if self.table.carriage_returns:
            text = text.replace("\r", "\n")
        self._scan(text, final)
        if final:
            self.done = True
            if self.in_quote:
                self.error = self.table.unterminated(self.open_line, self.open_text, self.open_column)
                raise self.error
        self.pending += raw if self.utf8 and not self.table.carriage_returns else text.encode("utf-8")

    def _scan(self, text: str, final: bool) -> None:
        """Follow the quoting of ``text`` (the next decoded piece): count lines and records,
        note blank records and records spanning lines. A quote opens a quoted field only at the
        start of a field; inside one, a doubled quote is a quote and a single one closes it."""
        text = self.carry + text
        if not final and text.endswith('"'):      # a quote or the first of a doubled one: wait
            self.carry, text = '"', text[:-1]
        else:
            self.carry = ""
        if not text:
            return
        delimiter = self.table.delimiter
        pos, n = 0, len(text)
        while True:
            q = text.find('"', pos)
            end = n if q < 0 else q
            breaks = text.count("\n", pos, end)
            if self.in_quote:
                self.quoted_lines += breaks
            elif breaks:
                self._blanks(text, pos, end)
                self.record += breaks
            self.line += breaks
            if q < 0:
                break
            if not self.in_quote:
                before = text[q - 1] if q > 0 else self.prev
                if before in (delimiter, "\n", "\r"):
                    self.in_quote = True
                    self.open_line, self.open_record, self.quoted_lines = self.line, self.record, 0
                    line_start = text.rfind("\n", 0, q) + 1
                    line_end = text.find("\n", q)
                    self.open_text = text[line_start:n if line_end < 0 else line_end].rstrip("\r")
                    self.open_column = q - line_start
                pos = q + 1
            elif q + 1 < n and text[q + 1] == '"':
                pos = q + 2
            else:
                self.in_quote = False
                if self.quoted_lines:
                    self.extra.append((self.open_record, self.quoted_lines))
                pos = q + 1
        self.prev = text[-1]

    _BLANK = re.compile(r"\n(?=[ \t]*\r?\n)")
    _LEADING_BLANK = re.compile(r"[ \t]*\r?\n")

    def _blanks(self, text: str, pos: int, end: int) -> None:
        """Record blank physical records in ``text[pos:end]`` (outside quotes)."""
        if self.prev == "\n" and pos == 0 and self._LEADING_BLANK.match(text, pos, end):
            self.blank.append(self.record)
        chunk_has_blank = any(s in text[pos:end] for s in ("\n\n", "\n\r\n", "\n ", "\n\t"))
        if not chunk_has_blank:
            return
        for found in self._BLANK.finditer(text, pos, end):
            self.blank.append(self.record + text.count("\n", pos, found.start()) + 1)


class CsvTable(Table):
    """A delimited text file, streamed with pyarrow's CSV reader after the head is analysed."""

    def __init__(self, path: Path, encoding: str | None = None, header_row: int | None = None,
                 wanted: HeaderTest | None = None, delimiter: str | None = None) -> None:
        super().__init__()
        self.path_obj = path
        self.path = self.name = str(path)
        head, complete = _head(path)
        if encoding:
            self.encoding, bom = _declared(encoding, head)
        else:
            self.encoding, bom = detect_encoding(head, complete=complete)
        self.ascii_compatible = not self.encoding.startswith("utf-16") and not self.encoding.startswith("utf-32")
        decoder = codecs.getincrementaldecoder(self.encoding)()
        body = head[bom:]
        try:
            text = decoder.decode(body, final=complete)
        except UnicodeDecodeError as error:
            before = body[:error.start].decode(self.encoding, errors="replace")
            raise _decode_error(path, self.encoding, before[before.rfind("\n") + 1:], body, error,
                                before.count("\n") + 1, bom) from None
        # Lines broken by CR alone (Excel for Mac's "CSV (Macintosh)"): read as line breaks, one
        # character for one, so that offsets and columns stay those of the file
        self.carriage_returns = "\r" in text and "\n" not in text
        if self.carriage_returns:
            text = text.replace("\r", "\n")
        records = _records(text, complete)
        if not any(r.text.strip() for r in records) and complete:
            if text.strip() and not records:
                raise self.unterminated(1, text.split("\n", 1)[0], max(text.find('"'), 0))
            raise DataError(Diagnostic("QR203", tr("{path} is empty: no header row", path=path),
                                       suggestion=tr("the first row names the columns: region,year,…")))
        self.delimiter = delimiter or _sniff_delimiter(records)
        header = self._header(records, header_row, wanted)
        record = records[header]
        self.header_row = header + 1
        self.header_line = record.line
        self.header_text = record.text
        self.headers = [h.strip().lstrip("\ufeff") for h in _fields(record.text, self.delimiter)]
        self.data_offset = bom + len(text[:record.end].encode(self.encoding))
        self.data_line = record.line + record.text.count("\n") + 1
        self.checkpoints: list[tuple[int, int]] = [(self.data_line, self.data_offset)]
        self.size = path.stat().st_size
        self.bytes_per_row = max(16, (record.end - record.start) * 2)
        self._blank = np.zeros(0, np.int64)
        self._extra_at = np.zeros(0, np.int64)
        self._extra_lines = np.zeros(0, np.int64)
        self._invalid: list[str] = []
        self.read_bytes = self.data_offset
        skipped = [r for r in records[:header] if r.text.strip()]
        if skipped:
            title = " / ".join(", ".join(f for f in _fields(r.text, self.delimiter) if f.strip()) for r in skipped)
            first = skipped[0]
            self.warnings.append(Diagnostic(
                "QR211", _skipped_above(header + 1, title), excerpt_span(self.name, first.line, first.text, 0,
                                                                         len(first.text)),
                Severity.WARNING, suggestion=tr("pass header_row={row} to say so, or delete the title rows",
                                                row=header + 1)))

    def _header(self, records: list[_Record], header_row: int | None, wanted: HeaderTest | None) -> int:
        if header_row is not None:
            if header_row > len(records):
                raise UsageError(Diagnostic("QR301", tr("header_row={row}, but the start of {path} has {count} row(s)",
                                               row=header_row, path=self.path, count=len(records))))
            if not records[header_row - 1].text.strip():
                raise DataError(Diagnostic(
                    "QR203", tr("{path}: row {row}, named as the header, is empty", path=self.path, row=header_row),
                    excerpt_span(self.name, records[header_row - 1].line, "", 0, 0)))
            return header_row - 1
        candidates = records[:_SEARCH_ROWS]
        rows = [[f.strip() for f in _fields(r.text, self.delimiter)] for r in candidates]
        if wanted is not None:
            for index, fields in enumerate(rows):
                if wanted(fields):
                    return index
        for index, fields in enumerate(rows):
            named = [f for f in fields if f]
            if len(named) >= 2 or (len(fields) == 1 and named):
                return index
        return next((i for i, fields in enumerate(rows) if any(fields)), 0)

    def unterminated(self, line: int, text: str, column: int = 0) -> DataError:
        shown = text.split("\n", 1)[0]
        return DataError(Diagnostic(
            "QR210", tr("this quote opens a cell that is never closed: every row after it would be read as part of "
                        "one cell"), excerpt_span(self.name, line, shown, column, column + 1),
            suggestion=tr('close the quote (a quote inside a quoted cell is written twice: "")')))

    # -- rows

    def _physical(self, row: int) -> int:
        if not len(self._blank):
            return row
        shifted = self._blank - np.arange(len(self._blank))
        return row + int(np.searchsorted(shifted, row, side="right"))

    def row_number(self, row: int) -> int:
        return self.header_row + 1 + self._physical(row)

    def line_of(self, row: int) -> int:
        physical = self._physical(row)
        extra = int(self._extra_lines[self._extra_at < physical].sum()) if len(self._extra_at) else 0
        return self.data_line + physical + extra

    def line_text(self, line: int) -> str:
        """The text of physical line ``line`` (read from the nearest remembered line start)."""
        start_line, offset = max((c for c in self.checkpoints if c[0] <= line), default=(1, 0))
        if line < self.data_line:
            start_line, offset = 1, 0
        with open(self.path_obj, "rb") as f:
            f.seek(offset)
            reader = io.TextIOWrapper(f, encoding=self.encoding if offset else self.encoding, errors="replace",
                                      newline="")
            for number, text in enumerate(reader, start_line):
                if number == line:
                    return text.rstrip("\r\n").lstrip("\ufeff")
        return ""

    def locate(self, row: int | None, column: int | None) -> m.Span | None:
        line = self.header_line if row is None else self.line_of(row)
        text = self.header_text.split("\n", 1)[0] if row is None else self.line_text(line)
        spans = _field_spans(text, self.delimiter)
        start, end = spans[column] if column is not None and column < len(spans) else (0, len(text))
        return excerpt_span(self.name, line, text, start, end)

    # -- batches

    def batches(self, columns: Sequence[int] | None = None, rows: int | None = None,
                dictionary: Sequence[int] = ()) -> Iterator[Batch]:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        names = [f"c{j}" for j in range(len(self.headers))]
        wanted = list(range(len(self.headers))) if columns is None else list(columns)
        types = {names[j]: pa.dictionary(pa.int32(), pa.string()) if j in dictionary else pa.string()
                 for j in wanted}
        block = max(1 << 14, min(1 << 26, (rows or 1 << 20) * self.bytes_per_row)) if rows else 1 << 24
        stream = _Stream(self)

        def invalid(row: Any) -> str:
            if not row.text.strip():
                return "skip"               # a row of white space: a blank row
            self._invalid.append(row.text)
            return "error"

        offset = 0
        try:
            reader = pcsv.open_csv(
                stream, read_options=pcsv.ReadOptions(column_names=names, block_size=block, use_threads=True),
                parse_options=pcsv.ParseOptions(delimiter=self.delimiter, newlines_in_values=True,
                                                invalid_row_handler=invalid),
                convert_options=pcsv.ConvertOptions(include_columns=[names[j] for j in wanted], column_types=types,
                                                    strings_can_be_null=False, quoted_strings_can_be_null=False))
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    break
                self._sync(stream)
                columns_of = {j: batch.column(k) for k, j in enumerate(wanted)}
                if rows and batch.num_rows > rows:
                    for start in range(0, batch.num_rows, rows):
                        stop = min(start + rows, batch.num_rows)
                        yield Batch({j: c.slice(start, stop - start) for j, c in columns_of.items()}, stop - start,
                                    offset + start)
                else:
                    yield Batch(columns_of, batch.num_rows, offset)
                offset += batch.num_rows
            self._sync(stream)
        except DataError:
            raise
        except (pa.ArrowInvalid, OSError, ValueError, UnicodeDecodeError) as error:
            if stream.error is not None:
                raise stream.error from None
            if "Empty CSV file" in str(error):      # a header and no rows: a table of no rows
                return
            raise self._parse_error(str(error)) from None
        finally:
            stream.close()
        if stream.error is not None:
            raise stream.error

    def _sync(self, stream: _Stream) -> None:
        self._blank = np.array(stream.blank, dtype=np.int64)
        if stream.extra:
            self._extra_at = np.array([e[0] for e in stream.extra], dtype=np.int64)
            self._extra_lines = np.array([e[1] for e in stream.extra], dtype=np.int64)

    def position(self) -> tuple[int | None, int] | None:
        return self.read_bytes, self.size

    def _parse_error(self, message: str) -> DataError:
        expected = re.search(r"Expected (\d+) columns?, got (\d+)", message)
        if expected is not None and self._invalid:
            text = self._invalid[-1].split("\n", 1)[0].rstrip("\r")
            line = self._find_line(text)
            cells = tr("the row has {cells} cell(s), the header has {header}", cells=expected.group(2),
                       header=expected.group(1))
            return DataError(Diagnostic(
                "QR203", cells if line else tr("{name}: {message}", name=self.path, message=cells),
                excerpt_span(self.name, line, text, 0, len(text)) if line else None,
                suggestion=tr("quote cells that contain the delimiter, and give every row as many cells as the header")))
        return DataError(Diagnostic("QR203", tr("{path}: malformed CSV: {reason}", path=self.path,
                                                reason=message.splitlines()[0]),
                                    suggestion=tr("check the delimiter, the quoting and the number of cells per row")))

    def _find_line(self, text: str) -> int | None:
        with open(self.path_obj, encoding=self.encoding, errors="replace", newline="") as f:
            for number, line in enumerate(f, 1):
                if number >= self.data_line and line.rstrip("\r\n").lstrip("\ufeff") == text:
                    return number
        return None


# ------------------------------------------------------------------------------------------
# Excel


class ExcelTable(Table):
    """A worksheet of an ``.xlsx`` workbook, read row by row (openpyxl, read-only). A cell
    formatted as a percentage holds a fraction (0.96 shown as 96 %): it reads ``96%``."""

    spreadsheet = True

    def __init__(self, path: Path, sheet: str | None, header_row: int | None, wanted: HeaderTest | None) -> None:
        super().__init__()
        try:
            import openpyxl
        except ImportError:  # pragma: no cover - optional dependency
            raise DataError(Diagnostic("QR201", tr("reading {path} needs openpyxl", path=path),
                                       suggestion=tr('pip install "qualityrules[excel]"'))) from None
        self.path_obj = path
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except FileNotFoundError:
            raise _missing_file(path) from None
        except Exception as error:  # openpyxl raises many types for a broken file
            raise DataError(Diagnostic("QR203", tr("{path} is not a readable .xlsx workbook ({reason})", path=path,
                                                          reason=error))) from None
        try:
            if sheet is not None and sheet not in book.sheetnames:
                raise DataError(Diagnostic("QR203", tr("{path} has no sheet '{sheet}'", path=path, sheet=sheet),
                                           suggestion=did_you_mean(sheet, book.sheetnames)
                                           or tr("sheets: {sheets}", sheets=", ".join(book.sheetnames))))
            worksheet, beside = (book[sheet], []) if sheet is not None else _first_visible(book, path)
            self.title = worksheet.title
            others = [name for name in book.sheetnames if name != worksheet.title]
            xml = _sheet_xml(path, getattr(worksheet, "_worksheet_path", None))
            uncalculated = _uncalculated(xml, b"<f" in xml and _recalculated(path))
            rows: list[tuple[int, list[Any]]] = []
            for cells in worksheet.iter_rows():
                values = [_excel_value(c) for c in cells]
                if any(map(_holds, values)):
                    number = next((c.row for c in cells if getattr(c, "row", None)), None)
                    rows.append((number or (rows[-1][0] + 1 if rows else 1), values))
        finally:
            book.close()
        self.path = str(path)
        self.name = f"{path}[{self.title}]"
        if not rows:
            raise DataError(Diagnostic("QR203", tr("{name} is empty", name=self.name),
                                       suggestion=tr("name the sheet that holds the table (sheet=…, --sheet); the "
                                                     "workbook's other sheets: {sheets}",
                                                     sheets=", ".join(beside or others))
                                       if sheet is None and others else tr("the first row names the columns")))
        header = self._header(rows, header_row, wanted)
        self.header_row, names = rows[header]
        body = rows[header + 1:]
        filled = _fill_merged(body, _merged_down(xml, self.header_row))
        # the columns up to the last one holding anything, header or value: a value right of the
        # last header is a column without a header (refused where it matters), never dropped
        width = max([_filled_width(names)] + [_filled_width(values) for _, values in body])
        self.headers = ["" if h is None else str(h).strip() for h in names[:width]]
        self.headers += [""] * (width - len(self.headers))
        self.row_lines = [n for n, _ in body]
        self.columns = [np.array([r[j] if j < len(r) else None for _, r in body], dtype=object) for j in range(width)]
        shown = sorted(cell for cell in uncalculated if cell[0] >= self.header_row and cell[1] < width)
        if shown:       # openpyxl reads such a cell as empty, or as the stale value: neither is its value
            row, column, formula, stored = shown[0]
            values = next((values for number, values in rows if number == row), [])
            also = tr(", as do {count} more cell(s)", count=len(shown) - 1) if len(shown) > 1 else ""
            message = tr("cell {letters}{line} holds the formula {formula}, whose value was never calculated "
                         "(the file was written by a program that does not calculate formulas){more}",
                         letters=column_letters(column), line=row, formula=formula, more=also) if not stored \
                else tr("cell {letters}{line} holds the formula {formula}, whose stored value {value} was never "
                        "calculated: the workbook asks to be recalculated when opened (as files written by pandas "
                        "or XlsxWriter do, with 0 stored for every formula){more}",
                        letters=column_letters(column), line=row, formula=formula,
                        value=render(values[column] if column < len(values) else None), more=also)
            raise DataError(Diagnostic(
                "QR206", message,
                rendered_span(self.name, row, ["" if v is None else str(v) for v in values], column) if values else None,
                suggestion=tr("open and save the workbook in Excel, WPS or LibreOffice (which calculate the formulas "
                              "and store their values), or write the values")))
        hidden_rows, hidden_columns = _hidden(xml)
        # hidden columns are said when read (batches): a table's reader reads only the columns it needs
        self._hidden_columns = [j for j in hidden_columns if j < width and any(_holds(v) for v in self.columns[j])]
        skipped = [values for number, values in rows[:header]]
        if skipped:
            title = " / ".join(", ".join(str(v) for v in values if _holds(v))
                               for values in skipped)
            cells = ["" if v is None else str(v) for v in rows[0][1]]
            self.warnings.append(Diagnostic(
                "QR211", _skipped_above(self.header_row, title),
                rendered_span(self.name, rows[0][0], cells, None), Severity.WARNING,
                suggestion=tr("pass header_row={row} to say so, or delete the title rows", row=self.header_row)))
        if filled:
            (first, last, column), top = filled[0]
            value, more = top[column], len(filled) - 1
            span = rendered_span(self.name, first, ["" if v is None else str(v) for v in top], column)
            where = f"{column_letters(column)}{first}:{column_letters(column)}{last}"
            self.warnings.append(Diagnostic(
                "QR217", tr("cells {cells} are merged: read as {value} in each of their {count} rows{more}", cells=where,
                            value=render(value), count=last - first + 1,
                            more=tr(", as are the cells of {more} more merged range(s)", more=more) if more else ""),
                span, Severity.WARNING,
                suggestion=tr("nothing to do if the merged cell is each row's own value (a region, a year); "
                              "otherwise unmerge the cells and write each row's value")))
        hidden = [(number, values) for number, values in body if number in hidden_rows]
        if hidden:
            first, values = hidden[0]
            self.warnings.append(Diagnostic(
                "QR219", tr("row {row} is hidden: read as data{more}", row=first,
                            more=tr(", as are {count} more hidden row(s)", count=len(hidden) - 1)
                            if len(hidden) > 1 else ""),
                rendered_span(self.name, first, ["" if v is None else str(v) for v in values], None), Severity.WARNING,
                suggestion=_HIDDEN_SUGGESTION))
        if beside:
            self.warnings.append(Diagnostic(
                "QR220", tr("{path}: no sheet was named: read '{sheet}', the first visible sheet, though {count} "
                            "more visible sheet(s) hold cells", path=path, sheet=self.title, count=len(beside)),
                None, Severity.WARNING,
                suggestion=tr("name the sheet that holds the table (sheet=…, --sheet); the workbook's other sheets: "
                              "{sheets}", sheets=", ".join(beside))))

    def _header(self, rows: list[tuple[int, list[Any]]], header_row: int | None, wanted: HeaderTest | None) -> int:
        if header_row is not None:
            found = next((k for k, (number, _) in enumerate(rows) if number == header_row), None)
            if found is None:
                raise DataError(Diagnostic("QR203", tr("{path}: row {row}, named as the header, is empty",
                                                          path=self.name, row=header_row)))
            return found
        texts = [["" if v is None else str(v).strip() for v in values] for _, values in rows[:_SEARCH_ROWS]]
        if wanted is not None:
            for index, fields in enumerate(texts):
                if wanted(fields):
                    return index
        return next((i for i, fields in enumerate(texts) if sum(1 for f in fields if f) >= 2), 0)

    @property
    def rows(self) -> int:
        return len(self.row_lines)

    def row_number(self, row: int) -> int:
        return self.row_lines[row]

    def batches(self, columns: Sequence[int] | None = None, rows: int | None = None,
                dictionary: Sequence[int] = ()) -> Iterator[Batch]:
        wanted = range(len(self.headers)) if columns is None else columns
        read = [j for j in self._hidden_columns if j in wanted]
        if read:
            self._hidden_columns = []       # said once
            self.warn("QR219", tr("column '{name}' is hidden: read as data{more}", name=self.headers[read[0]],
                                  more=tr(", as are {count} more hidden column(s)", count=len(read) - 1)
                                  if len(read) > 1 else ""), None, read[0], suggestion=_HIDDEN_SUGGESTION)
        yield Batch({j: self.columns[j] for j in wanted}, len(self.row_lines), 0)

    def locate(self, row: int | None, column: int | None) -> m.Span | None:
        cells = list(self.headers) if row is None else [render(c[row]) for c in self.columns]
        return rendered_span(self.name, self.header_row if row is None else self.row_lines[row], cells, column)


_HIDDEN_SUGGESTION = tr("nothing to do if the hidden cells are data of the table; otherwise delete them or move them "
                        "to another sheet (hiding does not leave them out)")
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_FORMULA = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_MERGED_RANGE = re.compile(rb'<mergeCell ref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"')


def _first_visible(book: Any, path: Path) -> tuple[Any, list[str]]:
    """The worksheet read when none is named: the first visible one (a hidden sheet holds what
    its author chose not to show, never read unasked; the first rather than the active one, which
    is where the workbook was last looked at), and the names of the other visible worksheets
    holding cells, any of which could be the table instead."""
    visible = [sheet for sheet in book.worksheets if sheet.sheet_state == "visible"]
    if not book.worksheets:     # chart sheets only
        raise DataError(Diagnostic("QR203", tr("{path} has no worksheet", path=path)))
    if not visible:
        raise DataError(Diagnostic("QR203", tr("{path} shows no worksheet: every one is hidden", path=path),
                                   suggestion=tr("name the sheet that holds the table (sheet=…, --sheet); the "
                                                 "workbook's other sheets: {sheets}",
                                                 sheets=", ".join(sheet.title for sheet in book.worksheets))))
    holding = _holding_cells(path, [getattr(sheet, "_worksheet_path", None) for sheet in visible[1:]])
    return visible[0], [sheet.title for sheet, held in zip(visible[1:], holding, strict=True) if held]


def _holding_cells(path: Path, members: Sequence[str | None]) -> list[bool]:
    """Whether each sheet (its part ``member`` of the workbook's zip) holds a cell value, read up
    to its first value only: a sheet holding data shows one in its first kilobytes. An unreadable
    sheet is taken as holding some, so that it is named rather than passed over."""
    import zipfile

    def holds(archive: zipfile.ZipFile, member: str | None) -> bool:
        if member is None:
            return True
        tail = b""
        with archive.open(member) as part:
            while block := part.read(1 << 16):
                text = tail + block
                if b"<v>" in text or b"<is>" in text:       # a value, or an inline string
                    return True
                tail = text[-3:]
        return False

    try:
        with zipfile.ZipFile(path) as archive:
            return [holds(archive, member) for member in members]
    except (OSError, KeyError, zipfile.BadZipFile):
        return [True] * len(members)


_OFFICE_DOCUMENT = re.compile(rb'<Relationship\b[^>]*?\bTarget="/?([^"]+)"[^>]*?/officeDocument"|'
                              rb'<Relationship\b[^>]*?/officeDocument"[^>]*?\bTarget="/?([^"]+)"')
_FULL_CALCULATION = re.compile(rb'<(?:\w+:)?calcPr\b[^>]*?\bfullCalcOnLoad="(?:1|true)"')


def _recalculated(path: Path) -> bool:
    """Whether a workbook asks to be recalculated when opened (``fullCalcOnLoad`` in the ``calcPr``
    of its workbook part), read from its XML: openpyxl's ``calculation.fullCalcOnLoad`` is true
    when the attribute is absent, as it is in every workbook Excel saves."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            found = _OFFICE_DOCUMENT.search(archive.read("_rels/.rels"))
            part = (found.group(1) or found.group(2)).decode() if found else "xl/workbook.xml"
            return _FULL_CALCULATION.search(archive.read(part)) is not None
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def _sheet_xml(path: Path, member: str | None) -> bytes:
    """The XML of a sheet (its part ``member`` of the workbook's zip; empty when unreadable).
    openpyxl's read-only mode reads neither the cells whose formula has no value nor merged
    cells: they are looked for here."""
    import zipfile

    if member is None:
        return b""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(member)
    except (OSError, KeyError, zipfile.BadZipFile):
        return b""


def _column_number(letters: bytes) -> int:
    """``b"B"`` -> 1: a column's letters as its index from 0."""
    column = 0
    for letter in letters.decode():
        column = column * 26 + ord(letter) - 64
    return column - 1


def _uncalculated(xml: bytes, recalculated: bool) -> list[tuple[int, int, str, bool]]:
    """Cells of a sheet holding a formula without a calculated value, as (row, column from 0,
    formula, whether a value is stored): openpyxl reads a formula without a stored value as empty.
    In a workbook flagged to be recalculated when opened (``recalculated``: ``fullCalcOnLoad`` in
    its ``calcPr``), a stored value is no calculated one either: XlsxWriter, pandas' engine, stores
    0 for every formula and sets the flag, so every formula cell is one. Only a sheet with a
    formula at all is looked through."""
    from xml.sax.saxutils import unescape

    if b"<f" not in xml:
        return []
    found = []
    masters: dict[bytes, str] = {}      # a shared formula's cell by its si (the first cell of its range)
    for match in _FORMULA_CELL.finditer(xml):
        inner = match.group(3) or b""
        formula = _FORMULA.search(inner)
        if formula is None:
            continue
        shared = re.search(rb'\bsi="([0-9]+)"', formula.group(1))
        text = unescape((formula.group(2) or b"").decode("utf-8"))
        if shared is not None and text:
            masters[shared.group(1)] = match.group(1).decode() + match.group(2).decode()
        stored = re.search(rb"<v>[^<]", inner) is not None      # not <v/>, <v></v> nor none
        if stored and not recalculated:
            continue
        # a cell of a shared formula writes no text of its own: it is named by the cell that does
        shown = "=" + text if text or shared is None else tr("(shared with cell {cell})", cell=masters.get(
            shared.group(1), "?"))
        found.append((int(match.group(2)), _column_number(match.group(1)), shown, stored))
    return found


_ROW_HIDDEN = re.compile(rb'<row\b[^>]*?\br="([0-9]+)"[^>]*?\bhidden="(?:1|true)"|'
                         rb'<row\b[^>]*?\bhidden="(?:1|true)"[^>]*?\br="([0-9]+)"')
_COLUMN_TAG = re.compile(rb"<col\b([^>]*)>")


def _hidden(xml: bytes) -> tuple[set[int], list[int]]:
    """The hidden rows of a sheet (their numbers) and its hidden columns (from 0): hidden by
    hand, by a filter or by a collapsed outline, the sheet does not show them."""
    if b'hidden="' not in xml:
        return set(), []
    rows = {int(match.group(1) or match.group(2)) for match in _ROW_HIDDEN.finditer(xml)}
    columns: list[int] = []
    head = xml[:xml.find(b"<sheetData")]        # <cols> comes before the cells
    for match in _COLUMN_TAG.finditer(head):
        attributes = match.group(1)
        bounds = [re.search(rb'\b%s="([0-9]+)"' % name, attributes) for name in (b"min", b"max")]
        if re.search(rb'\bhidden="(?:1|true)"', attributes) and bounds[0] and bounds[1]:
            columns.extend(range(int(bounds[0].group(1)) - 1, int(bounds[1].group(1))))
    return rows, sorted(columns)


def _merged_down(xml: bytes, header_row: int) -> list[tuple[int, int, int]]:
    """The merged ranges of a sheet's body (below ``header_row``) that span rows of one column,
    as (first row, last row, column from 0), in order. (A range spanning columns too, or the
    header's, is not one value per row: left as openpyxl reads it, its top-left cell.)"""
    found = []
    for match in _MERGED_RANGE.finditer(xml):
        first, last = int(match.group(2)), int(match.group(4))
        column = _column_number(match.group(1))
        if last > first > header_row and _column_number(match.group(3)) == column:
            found.append((first, last, column))
    return sorted(found)


def _fill_merged(body: list[tuple[int, list[Any]]], merged: list[tuple[int, int, int]]
                 ) -> list[tuple[tuple[int, int, int], list[Any]]]:
    """Each row of a merged range holds its top-left cell's value, as the sheet shows it (a
    region or a year merged over its rows); the ranges filled, each with its first row."""
    rows = dict(body)
    filled = []
    for first, last, column in merged:
        top = rows.get(first)
        if top is None or column >= len(top) or not _holds(top[column]):
            continue
        for number in range(first + 1, last + 1):
            values = rows.get(number)
            if values is None:       # a row holding nothing else is no row of the table
                continue
            if len(values) <= column:
                values.extend([None] * (column + 1 - len(values)))
            if not _holds(values[column]):
                values[column] = top[column]
        filled.append(((first, last, column), top))
    return filled


def _filled_width(values: Sequence[Any]) -> int:
    """One past the last cell of a row holding more than white space."""
    return next((j + 1 for j in range(len(values) - 1, -1, -1) if _holds(values[j])), 0)


def _holds(value: Any) -> bool:
    """Whether a sheet's cell holds more than white space."""
    return value is not None and bool(str(value).strip())


def _excel_value(cell: Any) -> Any:
    """A cell's value; a number formatted as a percentage as the text it shows (``96%``), exact."""
    value = getattr(cell, "value", None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number_format = getattr(cell, "number_format", None) or ""
        if "%" in re.sub(r'"[^"]*"|\\.', "", number_format):
            return f"{Decimal(repr(value)) * 100}%"
    return value


def render(value: Any) -> str:
    """A cell value as text for a rendered row."""
    from .cells import is_missing

    if is_missing(value):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bytes):        # UTF-8 text, as a numpy bytes column is read (see prepare)
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def rendered_span(name: str, line: int, cells: Sequence[str], column: int | None) -> m.Span:
    """A row of a table without text (a sheet, a DataFrame) rendered as ``a, b, c`` at its row
    number, with the span over one cell."""
    rendered = ", ".join(cells)
    if column is None or column >= len(cells):
        return excerpt_span(name, line, rendered, 0, len(rendered))
    start = sum(len(c) + 2 for c in cells[:column])
    return excerpt_span(name, line, rendered, start, start + max(len(cells[column]), 1))


# ------------------------------------------------------------------------------------------
# Parquet, Feather, Arrow IPC


class ArrowFileTable(Table):
    """A Parquet file (read row group by row group) or a Feather/Arrow IPC file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        import pyarrow as pa

        self.path_obj = path
        self.path = self.name = str(path)
        self.parquet = path.suffix.lower() in (".parquet", ".pq")
        if not path.exists():
            raise _missing_file(path)
        try:
            if self.parquet:
                import pyarrow.parquet as pq

                self.file = pq.ParquetFile(path, pre_buffer=False)   # pre-buffering holds whole row groups
                self._readers = threading.local()
                schema = self.file.schema_arrow
                self._rows = self.file.metadata.num_rows
            else:
                import pyarrow.feather as feather

                self.table = feather.read_table(path, memory_map=True)
                schema = self.table.schema
                self._rows = self.table.num_rows
        except (pa.ArrowInvalid, OSError) as error:
            raise DataError(Diagnostic("QR203", tr("{path} cannot be read as {kind} ({reason})", path=path,
                                                   kind="Parquet" if self.parquet else "Arrow",
                                                   reason=error))) from None
        self.headers = [str(n) for n in schema.names]
        self._cache: tuple[int, Any] | None = None

    @property
    def rows(self) -> int:
        return int(self._rows)

    def batches(self, columns: Sequence[int] | None = None, rows: int | None = None,
                dictionary: Sequence[int] = ()) -> Iterator[Batch]:
        wanted = list(range(len(self.headers))) if columns is None else list(columns)
        names = [self.headers[j] for j in wanted]
        offset = 0
        if self.parquet:
            # A row group of at most ``rows`` rows is one deferred batch: the threads that scan
            # the row groups decode them too, each only the columns wanted. A larger row group is
            # read here in batches of ``rows``.
            limit = rows or 1 << 20
            for group in range(self.file.num_row_groups):
                count = self.file.metadata.row_group(group).num_rows
                if count <= limit:
                    yield Batch(functools.partial(self._row_group, group, names, wanted), count, offset)
                else:
                    with self._reading():
                        pieces = list(self.file.iter_batches(batch_size=limit, row_groups=[group], columns=names,
                                                             use_threads=False))
                    for batch in pieces:
                        yield Batch({j: batch.column(k) for k, j in enumerate(wanted)}, batch.num_rows, offset)
                        offset += batch.num_rows
                    continue
                offset += count
            return
        with self._reading():
            batches = self.table.select(names).to_batches(max_chunksize=rows)
        for batch in batches:
            yield Batch({j: batch.column(k) for k, j in enumerate(wanted)}, batch.num_rows, offset)
            offset += batch.num_rows

    def _row_group(self, group: int, names: list[str], wanted: list[int]) -> dict[int, Any]:
        """The wanted columns of one row group, decoded in the calling thread by its own reader of
        the file (a Parquet reader is not shared between threads)."""
        import pyarrow.parquet as pq

        with self._reading():
            reader = getattr(self._readers, "file", None)
            if reader is None:
                reader = self._readers.file = pq.ParquetFile(self.path_obj, metadata=self.file.metadata,
                                                             pre_buffer=False)
            table = reader.read_row_group(group, columns=names, use_threads=False)
        columns = [table.column(k) for k in range(len(wanted))]
        return {j: c.chunk(0) if c.num_chunks == 1 else c.combine_chunks() for j, c in zip(wanted, columns, strict=True)}

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A file that cannot be decoded is QR203, naming the file."""
        import pyarrow as pa

        try:
            yield
        except (pa.ArrowInvalid, OSError) as error:
            raise DataError(Diagnostic("QR203", tr("{path}: cannot read ({reason})", path=self.path, reason=error))) from None

    def locate(self, row: int | None, column: int | None) -> m.Span | None:
        if row is None:
            return rendered_span(self.name, 1, self.headers, column)
        if self.parquet:
            groups, first = self._group_of(row)
            values = self.file.read_row_groups(groups).slice(row - first, 1).to_pylist()[0] if groups else {}
        else:
            values = self.table.slice(row, 1).to_pylist()[0]
        cells = [render(values.get(h)) for h in self.headers]
        return rendered_span(self.name, self.row_number(row), cells, column)

    def _group_of(self, row: int) -> tuple[list[int], int]:
        first = 0
        for group in range(self.file.num_row_groups):
            count = self.file.metadata.row_group(group).num_rows
            if row < first + count:
                return [group], first
            first += count
        return [], first
