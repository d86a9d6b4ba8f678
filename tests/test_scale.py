"""Work grows linearly with the size of a pack: counted, not timed (calls made, characters of
the file scanned) on generated packs of N and 4N rules. And the fast paths behind that equal the
plain definitions they replace."""

from __future__ import annotations

import gc
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from generated_packs import big_pack
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedEOF, UnexpectedInput

from qualityrules.errors import span_of
from qualityrules.language import model as m
from qualityrules.language import parse
from qualityrules.language.format import format_file
from qualityrules.language.parse import parse_text
from qualityrules.language.reader import Reading, read_line
from qualityrules.language.text import NormalizedText, normalize_with_offsets
from qualityrules.packs.resolve import lint_file, load_pack
from qualityrules.resources import rules_dir

SMALL, LARGE = 150, 600


class ScanCountingText(str):
    """A file's text that adds up how many of its characters its searching methods and slices
    look at (rescanning the file for every span, the old ``span_of``, shows up here)."""

    scanned = 0

    def _region(self, start: Any = None, end: Any = None) -> tuple[int, int]:
        begin, stop, _ = slice(start, end).indices(len(self))
        return begin, max(begin, stop)

    def _add(self, characters: int) -> None:
        ScanCountingText.scanned += characters

    def count(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        begin, stop = self._region(start, end)
        self._add(stop - begin)
        return super().count(sub, start, end)

    def find(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        begin, stop = self._region(start, end)
        found = super().find(sub, start, end)
        self._add((found + len(sub) if found >= 0 else stop) - begin)
        return found

    def rfind(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        begin, stop = self._region(start, end)
        found = super().rfind(sub, start, end)
        self._add(stop - (found if found >= 0 else begin))
        return found

    def index(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        found = self.find(sub, start, end)
        return found if found >= 0 else super().index(sub, start, end)

    def rindex(self, sub: str, start: Any = None, end: Any = None) -> int:  # type: ignore[override]
        found = self.rfind(sub, start, end)
        return found if found >= 0 else super().rindex(sub, start, end)

    def splitlines(self, keepends: bool = False) -> list[str]:
        self._add(len(self))
        return super().splitlines(keepends)

    def split(self, sep: Any = None, maxsplit: int = -1) -> list[str]:  # type: ignore[override]
        self._add(len(self))
        return super().split(sep, maxsplit)

    def __getitem__(self, key: Any) -> str:  # type: ignore[override]
        if isinstance(key, slice):
            begin, stop = self._region(key.start, key.stop)
            self._add(stop - begin)
        return super().__getitem__(key)


class CopyCountingText(ScanCountingText):
    """A :class:`ScanCountingText` whose slices and sums are such texts too: a text made of its
    pieces (a line replaced in it) is counted again as it is made and again as it is read."""

    def __getitem__(self, key: Any) -> str:  # type: ignore[override]
        found = super().__getitem__(key)
        return CopyCountingText(found) if isinstance(key, slice) else found

    def __add__(self, other: str) -> str:
        self._add(len(self) + len(other))
        return CopyCountingText(str.__add__(self, other))

    def __radd__(self, other: str) -> str:
        self._add(len(self) + len(other))
        return CopyCountingText(str.__add__(other, self))


def _calls(work: Callable[[], object]) -> int:
    """Python and builtin function calls made by ``work``."""
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    directory = tmp_path_factory.mktemp("packs")
    paths = {}
    for rules in (SMALL, LARGE):
        paths[rules] = directory / f"scale-{rules}.qr"
        paths[rules].write_text(big_pack(rules, pack_id=f"scale-{rules}"), encoding="utf-8")
    lint_file(paths[SMALL])  # caches filled, lexer states compiled: fixed costs paid before counting
    return paths


def test_generated_packs_lint_clean(packs: dict[int, Path]) -> None:
    for path in packs.values():
        assert lint_file(path) == []
    assert len(load_pack(packs[LARGE]).rules) == LARGE


@pytest.mark.slow
@pytest.mark.parametrize("operation", ["lint", "fmt", "load and export"])
def test_calls_grow_linearly_with_the_number_of_rules(packs: dict[int, Path], operation: str) -> None:
    def run(path: Path) -> Callable[[], object]:
        if operation == "lint":
            return lambda: lint_file(path)
        if operation == "fmt":
            return lambda: format_file(parse_text(path.read_text(encoding="utf-8"))[0])
        return lambda: load_pack(path).to_dict()

    small, large = _calls(run(packs[SMALL])), _calls(run(packs[LARGE]))
    assert large <= 4.4 * small, (small, large)


@pytest.mark.slow
def test_calls_grow_linearly_when_a_large_pack_extends_a_large_pack(tmp_path: Path) -> None:
    calls = {}
    for rules in (SMALL, LARGE):
        folder = tmp_path / str(rules)
        folder.mkdir()
        (folder / "parent.qr").write_text(big_pack(rules, pack_id="parent"), encoding="utf-8")
        child = folder / "child.qr"
        child.write_text(big_pack(rules, pack_id="child", extends="parent"), encoding="utf-8")
        assert lint_file(child) == [] and len(load_pack(child).rules) == rules
        calls[rules] = _calls(lambda child=child: lint_file(child))  # type: ignore[misc]
    assert calls[LARGE] <= 4.4 * calls[SMALL], calls


def test_parsing_and_linting_scan_the_file_a_bounded_number_of_times(packs: dict[int, Path]) -> None:
    scanned = {}
    for rules, path in packs.items():
        text = ScanCountingText(path.read_text(encoding="utf-8"))
        ScanCountingText.scanned = 0
        rule_file, diagnostics = parse_text(text, source=str(path))
        assert rule_file.source is not None and rule_file.source.text is text
        assert sum(len(s.rules) for p in rule_file.packs for s in p.sections) == rules and not diagnostics
        for rule in (r for p in rule_file.packs for s in p.sections for r in s.rules):
            assert rule.span is not None
            shown = rule.span.source.line_text(rule.span.line)  # what rendering a diagnostic reads
            assert shown.strip().startswith("到")
        scanned[rules] = ScanCountingText.scanned
        assert scanned[rules] <= 4 * len(text), (rules, scanned[rules], len(text))
    assert scanned[LARGE] <= 4.4 * scanned[SMALL]


def test_reading_a_pack_printed_without_spaces_copies_its_text_a_bounded_number_of_times(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Packs printed without a space (most lines read by the sentence reader): the characters of
    the text looked at or copied, counted deterministically, grow with the text, not with the
    text times the lines read (a copy of the text for every line read made 10,000 rules take 5 s)."""
    reads = 0

    def counted(*arguments: Any) -> Reading | None:
        nonlocal reads
        reads += 1
        return read_line(*arguments)

    monkeypatch.setattr(parse, "read_line", counted)
    scanned, sizes = {}, {}
    for rules in (SMALL, LARGE):
        normalized = normalize_with_offsets(big_pack(rules, dense=True))
        text = CopyCountingText(normalized.text)
        reads, ScanCountingText.scanned = 0, 0
        built, diagnostics = parse._parse_recovering(NormalizedText(text, normalized.origin, normalized.original_length),
                                                     m.Source("<dense>", normalized.text), "start", None)
        assert not diagnostics and sum(len(s.rules) for p in built.packs for s in p.sections) == rules
        assert reads > rules / 2   # most lines were read
        scanned[rules], sizes[rules] = ScanCountingText.scanned, len(text)
        # each character: read by the lexer (its tokens), the line found, read and lexed again: about 4
        assert scanned[rules] <= 8 * len(text), (rules, scanned[rules], len(text))
    assert scanned[LARGE] / sizes[LARGE] <= 1.1 * scanned[SMALL] / sizes[SMALL], (scanned, sizes)


def test_errors_deep_in_a_pack_printed_without_spaces_are_where_they_are_written() -> None:
    """After hundreds of lines the reader rewrote (each a character longer), an error in a line it
    rewrote and a syntax error in one it could not read are shown where they are written."""
    from qualityrules.terminal import display_width

    lines = big_pack(LARGE, dense=True).split("\n")
    read = next(k for k, line in enumerate(lines) if "第550条" in line)
    lines[read] += 'cite"又一条"'   # read (a space after the name), then built: cite is given twice
    (twice,) = parse_text("\n".join(lines), source="dense.qr")[1]
    column = lines[read].rindex("cite") + 1
    assert (twice.code, twice.line, twice.column, twice.span.end_line, twice.span.end_column) == \
        ("QR013", read + 1, column, read + 1, len(lines[read]) + 1)
    caret = twice.render().splitlines()[2]
    assert caret.endswith("| " + " " * display_width(lines[read][:column - 1]) + "^" * display_width('cite"又一条"'))
    broken = next(k for k, line in enumerate(lines) if "第580条" in line)
    lines[broken] = lines[broken].replace("cite", "cite cite")   # unreadable: a syntax error
    (unexpected,) = parse_text("\n".join(lines), source="dense.qr")[1]
    column = lines[broken].index("cite cite") + len("cite ") + 1
    assert (unexpected.code, unexpected.line, unexpected.column, unexpected.span.end_column) == \
        ("QR002", broken + 1, column, column + len("cite"))


def test_parsing_pauses_the_garbage_collector_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """While a file is parsed the cyclic collector is off (its passes over the parse's objects were
    a fifth of the time); after it, it is as the caller left it, also when the parse fails."""
    seen: list[bool] = []
    span = parse._Builder._span

    def spanning(self: parse._Builder, start: int, end: int) -> m.Span:   # called at every reduction
        seen.append(gc.isenabled())
        return span(self, start, end)

    monkeypatch.setattr(parse._Builder, "_span", spanning)
    text = big_pack(3)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            parse_text(text)
            with pytest.raises(ValueError):
                with parse.collector_paused():
                    raise ValueError
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
    assert seen and not any(seen)


def _broken(text: str, every: int) -> str:
    """``text`` with every ``every``-th rule line broken (a doubled word the grammar rejects)."""
    lines = text.split("\n")
    return "\n".join(line.replace("cite", "cite cite") if "cite" in line and k % every == 0 else line
                     for k, line in enumerate(lines))


@pytest.mark.slow
def test_recovering_from_syntax_errors_grows_linearly(tmp_path: Path) -> None:
    """Every broken line is reported, and the parse goes on from the line before it instead of
    from the start of the file."""
    calls, errors = {}, {}
    for rules in (SMALL, LARGE):
        text = _broken(big_pack(rules), 1)
        errors[rules] = len(parse_text(text)[1])
        calls[rules] = _calls(lambda text=text: parse_text(text))  # type: ignore[misc]
    assert errors == {SMALL: SMALL, LARGE: LARGE}
    assert calls[LARGE] <= 4.4 * calls[SMALL], calls


def test_recovering_from_a_file_of_broken_lines_grows_linearly() -> None:
    """A file none of whose lines is a rule (a CSV linted by mistake): each broken line is blanked,
    the blank lines run into one line break before the next, and the parse resumes before that
    run every time; the run is read as one slice of the text written out, not joined line by line
    (which made 4,000 such lines take 20 s)."""
    calls, errors = {}, {}
    for lines in (SMALL, LARGE):
        text = "".join(f"region{k},2015,96\n" for k in range(lines))
        errors[lines] = len(parse_text(text)[1])
        calls[lines] = _calls(lambda text=text: parse_text(text))  # type: ignore[misc]
    assert errors == {SMALL: SMALL, LARGE: LARGE}
    assert calls[LARGE] <= 4.4 * calls[SMALL], calls


def _blanking_by_copying(text: NormalizedText, offset: int) -> NormalizedText | None:
    """The definition of blanking the line at ``offset``: the text copied with the line's
    characters spaces, every offset mapped as it was; None when there is nothing to blank."""
    now = text.text
    start = now.rfind("\n", 0, offset) + 1
    end = len(now) if now.find("\n", offset) < 0 else now.find("\n", offset)
    blanked = now[:start] + " " * (end - start) + now[end:]
    if (start > 0 and now[start:end].strip() == "") or blanked == now:
        return None
    return NormalizedText(blanked, tuple(text.original_offset(i) for i in range(len(now))), text.original_length)


def _reparsing_from_the_start(text: str) -> tuple[Any, tuple[Any, ...]]:
    """The definition of recovery: after each syntax error, read the line with the sentence
    reader (once) or else blank it, each by copying the text, and parse the whole text again from
    the start with a new builder."""
    original = m.Source("<string>", text)
    current, found, readings, read_lines = normalize_with_offsets(text), [], {}, set()
    for _ in range(2 * text.count("\n") + 3):
        view = parse._ReadText.of(current)   # no line read in it: the text as it is
        builder = None if found else parse._Builder(original, view, dict(readings))
        context = parse._BUILDER.set(builder)
        try:
            built = parse._parser().parse(current.text, start="start")
        except UnexpectedInput as error:
            now = current.text
            offset = parse._error_offset(error, now)
            line_start = now.rfind("\n", 0, offset) + 1
            line_end = len(now) if now.find("\n", offset) < 0 else now.find("\n", offset)
            if line_start not in read_lines and parse._TargetLines("start")(view, line_start):
                read_lines.add(line_start)
                reading = read_line(now[line_start:line_end], parse._parses)
                if reading is not None:
                    current = _apply_by_copying(current, line_start, line_end, reading)
                    readings[line_start + reading.name_start] = reading
                    continue
            found.append(parse._syntax_diagnostic(error, view, original, parse._TargetLines("start")))
            blanked = _blanking_by_copying(current, offset)
            if isinstance(error, UnexpectedEOF) or blanked is None:
                break
            current = blanked
            continue
        finally:
            parse._BUILDER.reset(context)
        if found or builder is None:
            break
        return built.value, tuple(builder.diagnostics)
    return None, tuple(found)


# Damage: a string inserted, or (None) the next space of the line taken out, as plans print
# their sentences (which the sentence reader then reads).
_DAMAGE = ["cite cite", "{", "}", "\"", ">= >=", "到到2015年", "#", "\n}\n", "％％", "区 {", "~", "unit", None]


def _damaged(lines: list[str], data: st.DataObject, least: int, most: int, damages: list[str | None]) -> str:
    """The lines, ``least`` to ``most`` times damaged at a drawn place (None: a space removed), joined."""
    for _ in range(data.draw(st.integers(least, most))):
        k = data.draw(st.integers(0, len(lines) - 1))
        at = data.draw(st.integers(0, len(lines[k])))
        damage = data.draw(st.sampled_from(damages))
        if damage is None:
            space = lines[k].find(" ", at)
            lines[k] = lines[k] if space < 0 else lines[k][:space] + lines[k][space + 1:]
        else:
            lines[k] = lines[k][:at] + damage + lines[k][at:]
    return "\n".join(lines)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(p.name for p in rules_dir().rglob("*.qr"))), st.data())
def test_recovery_reports_what_reparsing_from_the_start_reports(name: str, data: st.DataObject) -> None:
    text = next(rules_dir().rglob(name)).read_text(encoding="utf-8")
    broken = _damaged(text.split("\n"), data, 1, 6, _DAMAGE)
    built, diagnostics = parse._parse_recovering(normalize_with_offsets(broken), m.Source("<string>", broken),
                                                 "start", None)
    assert (built, diagnostics) == _reparsing_from_the_start(broken)


# Damage for packs printed without spaces: clauses glued on, targets made unreadable or doubled.
# (杜绝…每年 parses as written, an eliminated name and a time word: it is not read.)
_GLUED_DAMAGE = ['cite"附"', " cite ", "达到", "以上", "很好", "杜绝", "“", "”", "95%", "# 注", "到2015年", "每年",
                 "\n        杜绝重大安全事故每年\n", None]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 120), st.data())
def test_recovery_of_packs_printed_without_spaces_reports_what_reparsing_from_the_start_reports(
        rules: int, data: st.DataObject) -> None:
    """Generated packs, each rule line printed with or without spaces (those read ahead, before
    the parse reaches them, see ``_parse_recovering``), then damaged: the model (its spans and
    readings) and every diagnostic are those of failing on each line and reparsing from the start."""
    dense, spaced = big_pack(rules, dense=True).split("\n"), big_pack(rules).split("\n")
    lines = [data.draw(st.sampled_from((d, s))) for d, s in zip(dense, spaced, strict=True)]
    text = _damaged(lines, data, 0, 4, _GLUED_DAMAGE + _DAMAGE)
    built, diagnostics = parse._parse_recovering(normalize_with_offsets(text), m.Source("<string>", text), "start", None)
    expected = _reparsing_from_the_start(text)
    assert (built, diagnostics) == expected
    assert _wordings(built) == _wordings(expected[0])   # how each rule was printed: not compared by ==


def _wordings(built: m.RuleFile | None) -> list[tuple[Any, ...]]:
    return [] if built is None else [(r.span, r.joined, r.target_at, r.name_note) for p in built.packs
                                     for s in p.sections for r in s.rules]


def test_a_pack_printed_without_spaces_is_read_ahead_not_failed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every line of a clean pack printed without spaces that the sentence reader reads is read
    before the parse reaches it once the first has been read (a pack printed with spaces never
    looks for such lines): the parse fails once, so it resumes once (each line read cost a failed
    parse of it and a resumed one, which built the rule before it again)."""
    resumed = 0
    restore = parse._Resumable.restore

    def counted(self: Any, builder: Any) -> Any:
        nonlocal resumed
        resumed += 1
        return restore(self, builder)

    monkeypatch.setattr(parse._Resumable, "restore", counted)
    # 杜绝重大安全事故每年 prints its name to the end of the line too, but parses as written (an
    # eliminated name and a time word): it is not read
    text = big_pack(SMALL, dense=True).replace("部分 {\n", "部分 {\n        杜绝重大安全事故每年\n", 1)
    built, diagnostics = parse_text(text)
    rules = [r for p in built.packs for s in p.sections for r in s.rules]
    assert not diagnostics and len(rules) == SMALL + 1 and resumed == 1
    assert sum(1 for r in rules if r.joined or r.target_at is not None) > SMALL / 2
    assert rules[0].indicator == "重大安全事故每年" and not rules[0].joined
    expected = _reparsing_from_the_start(text)[0]
    assert built == expected and _wordings(built) == _wordings(expected)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.data())
def test_parses_answers_as_a_parse_that_builds(rules: int, data: st.DataObject) -> None:
    """``_parses`` (the parse table alone) accepts exactly the lines a full parse accepts: the
    readings the sentence reader tries, as written and damaged."""
    tried: list[str] = []

    def recorded(line: str) -> bool:
        tried.append(line)
        return parse._parses(line)

    line = data.draw(st.sampled_from(big_pack(rules, dense=data.draw(st.booleans())).split("\n")))
    at = data.draw(st.integers(0, len(line)))
    damage = data.draw(st.sampled_from([d for d in _GLUED_DAMAGE + _DAMAGE if d is not None] + [""]))
    line = line[:at] + damage + line[at:]
    read_line(line, recorded)
    for text in (line, *tried):
        context = parse._BUILDER.set(None)
        try:
            parse._parser().parse(text, start="single_rule")
            accepted = True
        except UnexpectedInput:
            accepted = False
        finally:
            parse._BUILDER.reset(context)
        assert parse._parses(text) is accepted, text


def _apply_by_copying(text: NormalizedText, line_start: int, line_end: int, reading: Reading) -> NormalizedText:
    """The definition of ``parse._apply``: a map of every character to its original offset,
    copied with the read line's entries mapped through the reading (what it did until the copy,
    once per line read, made reading a file printed without spaces quadratic)."""
    origin = tuple(text.original_offset(i) for i in range(len(text.text)))
    line_origin = tuple(origin[line_start + i] if line_start + i < len(origin) else text.original_length
                        for i in reading.origin)
    return NormalizedText(text.text[:line_start] + reading.text + text.text[line_end:],
                          origin[:line_start] + line_origin + origin[line_end:], text.original_length)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(p.name for p in rules_dir().rglob("*.qr"))), st.data())
def test_lines_read_map_offsets_as_copying_the_map_does(name: str, data: st.DataObject) -> None:
    """Lines printed without a space, read in any order: every offset of the text maps to the
    original as the map copied at each reading says."""
    text = next(rules_dir().rglob(name)).read_text(encoding="utf-8")
    lines = text.split("\n")
    joined = []
    for k in data.draw(st.lists(st.integers(0, len(lines) - 1), max_size=12, unique=True)):
        indent = len(lines[k]) - len(lines[k].lstrip())
        space = lines[k].find(" ", indent)
        if space > 0:
            lines[k] = lines[k][:space] + lines[k][space + 1:]
            joined.append(k)
    fast = slow = normalize_with_offsets("\n".join(lines))
    for k in data.draw(st.permutations(joined)):
        start = sum(len(line) + 1 for line in fast.text.split("\n")[:k])
        end = start + len(fast.text.split("\n")[k])
        reading = read_line(fast.text[start:end], parse._parses)
        if reading is not None:
            fast, slow = parse._apply(fast, start, end, reading), _apply_by_copying(slow, start, end, reading)
            assert fast.text == slow.text
    assert [fast.original_offset(i) for i in range(len(fast.text) + 2)] == \
        [slow.original_offset(i) for i in range(len(slow.text) + 2)]


def _normalize_per_character(text: str) -> tuple[str, list[int]]:
    """The definition: NFKC of each character, then traditional → simplified (length kept); a
    footnote mark (①) after a digit, a share sign, a Chinese character or a closing bracket is a space."""
    from qualityrules.language.text import FOOTNOTE_MARKS, _simplify

    marks = re.compile(f"[{FOOTNOTE_MARKS}]")
    pieces, origin = [], []
    for index, ch in enumerate(text):
        before = text[index - 1] if index else ""
        glued = bool(marks.match(ch)) and (bool(re.match(r"[0-9０-９%％‰\u3400-\u9fff)）\]】〕]", before))
                                           or bool(marks.match(before)) and pieces[-1] == " ")  # a run of marks
        folded = " " if glued else unicodedata.normalize("NFKC", ch) if ord(ch) > 127 else ch
        pieces.append(folded)
        origin.extend([index] * len(folded))
    folded_text = "".join(pieces)
    return _simplify(folded_text), origin


_TEXT = st.text(alphabet=st.sampled_from(list(
    "ab 1.%\n\r\t龙岗區質量达标率％＞＝９５①㎡½ﬁ\u3000\u0301e\u00e9\u212b年以上")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_normalize_with_offsets_is_nfkc_per_character(text: str) -> None:
    normalized = normalize_with_offsets(text)
    expected_text, origin = _normalize_per_character(text)
    assert normalized.text == expected_text
    assert [normalized.original_offset(i) for i in range(len(expected_text) + 2)] == \
        [*origin, len(text), len(text)]


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.data())
def test_span_of_and_line_text_count_lines_as_written(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    source = m.Source("f.qr", text)
    span = span_of(source, start, end)
    assert (span.line, span.column) == (text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start))
    assert (span.end_line, span.end_column) == (text.count("\n", 0, end) + 1, end - text.rfind("\n", 0, end))
    lines = text.split("\n")
    for number in range(0, len(lines) + 2):
        expected = lines[number - 1].removesuffix("\r") if 0 < number <= len(lines) else ""
        assert source.line_text(number) == expected
