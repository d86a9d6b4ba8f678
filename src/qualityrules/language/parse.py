"""Text -> model. The only module that touches Lark; it maps Lark's exceptions to ours.

The LALR parser's tables are computed from the grammar when the package is built (an artefact
next to the grammar, see :mod:`qualityrules.resources`), or on first use when the grammar changed
since, and then kept in the user's cache. Parsing builds the model as the parser reduces (no parse
tree), so it is one pass, linear in the size of the text.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import functools
import gc
import importlib
import io
import pickle
import re
import sys
import types
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import attrs
import lark
from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.grammar import Rule as LarkRule
from lark.grammar import Terminal
from lark.lexer import LexerState, LineCounter, PatternStr
from lark.parsers import lalr_analysis
from lark.parsers.lalr_analysis import Action
from lark.parsers.lalr_parser_state import ParseConf, ParserState
from lark.utils import TextSlice

from ..errors import Diagnostic, Severity, did_you_mean, raise_errors, span_of
from ..i18n import Text, tr
from ..resources import Artefact, digest, load_artefact
from . import grammar, units
from . import model as m
from .numerals import PER_PART_UNITS, chinese_decimal
from .reader import Reading, glued_lines, read_line, unreadable_comparison
from .text import NormalizedText, lone_surrogate, normalize_with_offsets, quotable, quote, surrogate_message
from .units import grammar_spellings

__all__ = ["parse_text", "parse_rule_text", "GRAMMAR_TO_MODEL", "COMPARATOR_WORDS", "SUFFIX_WORDS"]

# ------------------------------------------------------------------------------------------
# Statutory meaning of the comparator words (the law's reading: 以上/以下/以内 and 不低于-style
# words include the number; 超过/高于/低于/不满/逾 exclude it). ``None`` = needs a suffix word.

COMPARATOR_WORDS: dict[str, m.Comparator | None] = {
    "不低于": m.Comparator.GE, "不少于": m.Comparator.GE, "不小于": m.Comparator.GE,
    "大于等于": m.Comparator.GE, "达到": m.Comparator.GE, "至少": m.Comparator.GE,
    "超过": m.Comparator.GT, "高于": m.Comparator.GT, "大于": m.Comparator.GT,
    "多于": m.Comparator.GT, "逾": m.Comparator.GT,
    "不高于": m.Comparator.LE, "不超过": m.Comparator.LE, "不大于": m.Comparator.LE,
    "不多于": m.Comparator.LE, "小于等于": m.Comparator.LE, "至多": m.Comparator.LE,
    "低于": m.Comparator.LT, "不满": m.Comparator.LT, "少于": m.Comparator.LT,
    "小于": m.Comparator.LT, "不足": m.Comparator.LT,
    "达": m.Comparator.GE, "实现": m.Comparator.GE, "超": m.Comparator.GT, "突破": m.Comparator.GT,
    **dict.fromkeys(["提高到", "提升到", "提高至", "提升至", "增加到", "增加至", "增长到", "增长至",
                     "上升到", "上升至", "增至"], m.Comparator.GE),
    **dict.fromkeys(["降至", "降到", "降低到", "降低至", "下降到", "下降至", "减少到", "减少至",
                     "缩短到", "缩短至", "压缩到", "压缩至"], m.Comparator.LE),
    "等于": m.Comparator.EQ, "为": m.Comparator.EQ,
    "控制在": None, "保持在": None, "维持在": None, "稳定在": None, "在": None, "保持": None, "维持": None,
}
SUFFIX_WORDS: dict[str, m.Comparator] = {
    "以上": m.Comparator.GE, "及以上": m.Comparator.GE,
    "以下": m.Comparator.LE, "及以下": m.Comparator.LE, "以内": m.Comparator.LE,
}
SYMBOLS: dict[str, m.Comparator] = {
    ">=": m.Comparator.GE, "≥": m.Comparator.GE, ">": m.Comparator.GT,
    "<=": m.Comparator.LE, "≤": m.Comparator.LE, "<": m.Comparator.LT,
    "==": m.Comparator.EQ, "=": m.Comparator.EQ, "!=": m.Comparator.NE, "≠": m.Comparator.NE,
}
# Words that, besides a comparison, say the level must hold in every year of the period.
EVERY_YEAR_COMPARATOR_WORDS = frozenset({"稳定在"})
# Words that may stand before "N左右" ("达10家左右": reaches about 10).
APPROXIMATE_PREFIX_WORDS = frozenset({"达", "达到", "为", "等于", "保持在", "维持在", "稳定在", "控制在", "保持", "维持"})
STRENGTH_WORDS: dict[str, m.Strength] = {
    "力争": m.Strength.ASPIRATION, "争取": m.Strength.ASPIRATION, "争创": m.Strength.ASPIRATION,
    "aspire": m.Strength.ASPIRATION,
    "确保": m.Strength.BINDING, "must": m.Strength.BINDING, "约束性": m.Strength.BINDING,
    "预期性": m.Strength.EXPECTED, "expected": m.Strength.EXPECTED,
}
CHANGE_WORDS: dict[str, m.ChangeDirection] = {
    **dict.fromkeys(["提升", "提高", "增长", "增加", "上升"], m.ChangeDirection.UP),
    **dict.fromkeys(["下降", "降低", "减少", "缩短", "压缩", "削减"], m.ChangeDirection.DOWN),
}
# Words before a change word that make its amount a yearly rate, compounded (年均增长7%).
AVERAGE_ANNUAL_WORDS = frozenset({"年均", "年平均", "平均每年"})
DOUBLING_WORDS: dict[str, Decimal] = {"翻一番": Decimal(100), "翻两番": Decimal(300)}
MAGNITUDES: dict[str, Decimal] = {word: Decimal(int(value)) for word, value in units.MAGNITUDES.items()}

# Every grammar rule and the model class it builds (or fills, for pack/indicator entries).
GRAMMAR_TO_MODEL: dict[str, type] = {
    "start": m.RuleFile,
    "single_rule": m.Rule,
    "pack": m.PackDefinition,
    "extends": m.PackDefinition,
    "meta_name": m.PackDefinition,
    "meta_source": m.PackDefinition,
    "meta_issuer": m.PackDefinition,
    "meta_published": m.PackDefinition,
    "meta_region": m.PackDefinition,
    "meta_level": m.PackDefinition,
    "meta_period": m.Period,
    "meta_target": m.PackDefinition,
    "meta_baseline": m.PackDefinition,
    "meta_tolerance": m.PackDefinition,
    "meta_review": m.Review,
    "meta_scope": m.PackDefinition,
    "meta_note": m.PackDefinition,
    "meta_rounding": m.PackDefinition,
    "rounding": m.Rounding,
    "section": m.Section,
    "commitment": m.Commitment,
    "rule": m.Rule,
    "lead_target_year": m.TargetYear,
    "lead_plan_period": m.During,
    "lead_every_year": m.EveryYear,
    "lead_cumulative": m.Cumulative,
    "lead_strength": m.Strength,
    "target_year": m.TargetYear,
    "plan_period": m.During,
    "every_year": m.EveryYear,
    "cumulative": m.Cumulative,
    "strength": m.Strength,
    "tail_strength": m.Strength,
    "name": str,
    "comparison": m.Comparison,
    "between": m.Between,
    "approximately": m.Approximately,
    "tolerance": m.Quantity,
    "change": m.Change,
    "respectively": m.Respectively,
    "value_list": m.Respectively,
    "table_row": m.TableRow,
    "table_cell": m.TableRow,
    "qualitative": m.Qualitative,
    "eliminated": m.Comparison,
    "quantity": m.Quantity,
    "citation": m.Citation,
    "justification": m.Rule,
    "unenforced": m.Rule,
    "indicator": m.Indicator,
    "indicator_unit": m.Indicator,
    "indicator_direction": m.Direction,
    "indicator_alias": m.Indicator,
    "indicator_description": m.Indicator,
    "indicator_flow": m.Indicator,
    "indicator_see_also": m.CrossReference,
    "indicator_not": m.CrossReference,
    "indicator_definition": m.DatedDefinition,
    "indicator_rounding": m.Indicator,
    "record_table": m.RecordDefinition,
    "record_region": m.RecordDefinition,
    "record_date": m.RecordDefinition,
    "record_year": m.RecordDefinition,
    "record_value": m.RecordDefinition,
    "record_min": m.RecordDefinition,
    "record_column": m.RecordDefinition,
    "arithmetic_sum": m.Arithmetic,
    "arithmetic_product": m.Arithmetic,
    "constant": m.Constant,
    "aggregate": m.Aggregate,
    "where": m.Aggregate,
    "any_of": m.AnyOf,
    "all_of": m.AllOf,
    "not_": m.Not,
    "column_test": m.ColumnTest,
    "literal": m.ColumnTest,
    "column": str,
}

# What to call a terminal when telling a user what was expected.
# What a terminal is, for "expected: …" (the English words are translatable; words of the rule
# language itself are shown as written).
_TERMINAL_NAMES: dict[str, str] = {
    "NAME": tr("an indicator name"), "STRING": tr('a "quoted text"'), "NUMBER": tr("a number"),
    "CN_NUMBER": tr("a Chinese numeral"), "PER_PART": "百分之/千分之", "UNIT": tr("a unit"), "MAGNITUDE": "万/亿",
    "CMP_PREFIX": tr("a comparator word (达到, 不低于, 低于, …)"), "CMP_SUFFIX": "以上/以下/以内",
    "SYMBOL_OP": tr("a comparison (>=, <, …)"), "RANGE_SEP": tr("a range (30-40)"),
    "TARGET_YEAR": tr("a target year (到2015年)"), "EVERY_YEAR": "每年", "CUMULATIVE": "累计",
    "STRENGTH": "力争/争取", "BASELINE": tr("a baseline (较2015年)"), "CHANGE_WORD": "提高/下降",
    "EXACT_ZERO": "零事故", "APPROX_PREFIX": "约", "APPROX_SUFFIX": "左右", "DOUBLING": "翻一番",
    "PACK_ID": tr("a pack id (lower-case ascii, e.g. longgang-2015)"), "YEAR": tr("a four-digit year"),
    "LEVEL": tr("nation, province, city or district"), "DIRECTION": tr("higher, lower or exact"),
    "AGGREGATE": tr("an aggregate (sum, count, mean, min, max, share, wmean)"), "IDENT": tr("a column name"),
    "BOOLEAN": "true/false", "_NL": tr("end of line"), "$END": tr("end of input"), "OVERRIDE": "override",
    "FILLER": "全年的", "ADD_OP": tr("+ or -"), "MUL_OP": tr("* or /"),
    "PLAN_PERIOD": tr("a plan period (“十四五”末)"), "ZERO_VERB": "杜绝", "INCLUSION": "(含)",
    "WHOLE": "全覆盖", "QUALITATIVE": "逐年提高", "EACH": "均", "RESPECTIVELY": "分别",
    "LIST_SEP": "、", "CELL_SEP": tr("| (a table cell)"), "EMPTY_CELL": tr("- (an empty cell)"),
    "TOTAL_OPEN": "〔", "TOTAL_CLOSE": "〕",
    "ROUNDING_METHOD": tr("修约值比较法 or 全数值比较法 (round-then-compare, full-value)"),
}


# How the parser is built. All tokens reach the reductions (``keep_all_tokens``) so that a node's
# span runs from its first token to its last, keywords and line ends included; the reductions
# then drop the tokens the grammar does not keep (anonymous keywords, punctuation, ``_NL``).
_PARSER_OPTIONS: dict[str, Any] = {
    "parser": "lalr", "lexer": "contextual", "keep_all_tokens": True, "maybe_placeholders": False,
    "start": ["start", "single_rule"],
}
_PARSER_FORMAT = 5  # bump when the artefact's layout changes


def parser_artefact() -> Artefact:
    """The parser as a build artefact (computing its tables takes ~0.15 s), keyed by the grammar,
    the parser options, the builder's rule methods (the reductions the parser calls) and the
    versions of Lark, Python and its regular expression engine that pickle it."""
    grammar_text = grammar.grammar_text()
    methods = " ".join(sorted(name for name in vars(_Builder) if name.startswith("rule_")))
    key = digest("parser", str(_PARSER_FORMAT), grammar_text, repr(sorted(_PARSER_OPTIONS.items())), methods,
                 lark.__version__, repr(sys.version_info[:2]), str(_SRE.MAGIC))
    return Artefact("parser.artefact", key, functools.partial(_parser_bytes, grammar_text))


def _parser_bytes(grammar_text: str) -> bytes:
    """The parser with its reductions attached, pickled: unpickling it takes a quarter of the time
    ``Lark.load`` takes to rebuild the same objects from Lark's own saved form."""
    compiled = Lark(grammar_text, parser=None, lexer="basic", start=_PARSER_OPTIONS["start"])
    terminals = [symbol for rule in compiled.rules for symbol in rule.expansion if isinstance(symbol, Terminal)]
    dropped = frozenset(symbol.name for symbol in terminals if symbol.filter_out)
    both = dropped & {symbol.name for symbol in terminals if not symbol.filter_out}
    if both:  # the reductions drop tokens by name: a name kept somewhere must be kept everywhere
        raise ValueError(f"grammar: {', '.join(sorted(both))} is written as a quoted word in one rule and "
                         "named in another; name it everywhere")
    saved = io.BytesIO()
    Lark(grammar_text, **_PARSER_OPTIONS).save(saved)
    saved.seek(0)
    # Lark.load takes no transformer; _load is what Lark's own cache calls with one.
    parser = Lark.__new__(Lark)._load(saved, transformer=_Reductions(dropped))
    reduced = [arg for actions in parser.parser.parser._parse_table.states.values() for action, arg in actions.values()
               if action is lalr_analysis.Reduce]
    if len(set(parser.rules)) != len(parser.rules) or {id(rule) for rule in reduced} - {id(r) for r in parser.rules}:
        raise ValueError("grammar: the parser's rules are not one object each")  # pragma: no cover - Lark's layout
    for rule in parser.rules:
        rule.__class__ = _Rule
    lexer = parser.parser.lexer   # the contextual lexer: one basic lexer per set of terminals a state allows
    for basic in {id(b): b for b in [*lexer.lexers.values(), lexer.root_lexer]}.values():
        basic._scanner = basic._build_scanner()   # compiled now, pickled as the code _sre runs (_ParserPickler)
    pickled = io.BytesIO()
    _ParserPickler(pickled, protocol=pickle.HIGHEST_PROTOCOL).dump(parser)
    return pickled.getvalue()


class _Rule(LarkRule):
    """A rule of the loaded parser, equal to itself only. Lark's rules hash and compare in Python,
    and the parser does both at every reduction (it looks up the rule's callback, and asserts that
    the rule is not the end state): a tenth of the time of parsing. The loaded parser holds each
    rule as one object (checked when it is built), so identity is equality, and C compares it."""

    __slots__ = ()
    __hash__ = object.__hash__
    __eq__ = object.__eq__


class _ParserPickler(pickle.Pickler):
    """Pickles by reference what the parser holds that must stay one object: modules (its lexers
    keep the ``re`` module) and the LALR actions ``Shift`` and ``Reduce``, which it compares by
    identity. A compiled regular expression (the lexers' scanners, a hundred alternations of the
    grammar's terminals) is pickled as what ``re.compile`` hands ``_sre.compile``: compiling them
    from their text, in Python, took longer than the rest of a small file's lint."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.ModuleType):
            return importlib.import_module, (obj.__name__,)
        if isinstance(obj, Action):
            return getattr, (lalr_analysis, obj.name)
        if isinstance(obj, re.Pattern):
            arguments = _sre_arguments(obj)
            return NotImplemented if arguments is None else (_compiled, arguments)
        return NotImplemented


# The regular expression engine: a private module, so the parser artefact is keyed by its code
# format (_SRE.MAGIC), and a pattern is rebuilt from its code only when that gives the same pattern.
_SRE: Any = importlib.import_module("_sre")


def _compiled(*arguments: Any) -> re.Pattern[str]:
    """A regular expression from what ``_sre_arguments`` found (by name: a C function cannot be
    pickled as one)."""
    pattern: re.Pattern[str] = _SRE.compile(*arguments)
    return pattern


def _sre_arguments(pattern: re.Pattern[str]) -> tuple[Any, ...] | None:
    """The arguments ``re.compile`` gives ``_sre.compile`` for ``pattern``: its text parsed and
    turned into the engine's code (``re.compile`` without its last step); None when re's private
    compiler is not laid out as in Python 3.10 to 3.13 (the pattern is then pickled as its text,
    and compiled when the parser is loaded)."""
    try:
        compiler: Any = importlib.import_module("re._compiler")   # Python 3.11 and later
        parser = compiler._parser
    except ImportError:
        compiler = importlib.import_module("sre_compile")           # Python 3.10
        parser = compiler.sre_parse
    try:
        parsed = parser.parse(pattern.pattern, pattern.flags)
        names = parsed.state.groupdict
        groups: list[str | None] = [None] * parsed.state.groups
        for name, number in names.items():
            groups[number] = name
        code = [int(op) for op in compiler._code(parsed, pattern.flags)]   # its opcodes are named ints
        arguments = (pattern.pattern, pattern.flags | parsed.state.flags, code, parsed.state.groups - 1, names,
                     tuple(groups))
        return arguments if _SRE.compile(*arguments) == pattern else None
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - another layout of re's internals
        return None


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    """The parser, unpickled from the artefact; parsing returns the model directly (the
    reductions call :class:`_Builder`'s methods as the parser reduces, no tree is built)."""
    parser: Lark = pickle.loads(load_artefact(parser_artefact()))
    return parser


class _Built:
    """A reduced node: the model object built for it and where it lies in the normalised text."""

    __slots__ = ("value", "start", "end")

    def __init__(self, value: Any, start: int, end: int) -> None:
        self.value, self.start, self.end = value, start, end


# The builder of the parse under way in this thread or task (None while recovering from a syntax
# error: those attempts only look for the next error, their model is thrown away).
_BUILDER: contextvars.ContextVar[_Builder | None] = contextvars.ContextVar("qualityrules_builder", default=None)


class _Reductions:
    """Lark's callbacks, one per grammar rule that has a :class:`_Builder` method ``rule_<name>``."""

    def __init__(self, dropped: frozenset[str]) -> None:
        self.dropped = dropped

    def __getattr__(self, name: str) -> Callable[[list[Any]], _Built]:
        method = getattr(_Builder, "rule_" + name, None) if not name.startswith("_") else None
        if method is None:  # Lark also asks for terminal callbacks and __default__: there are none
            raise AttributeError(name)
        # a partial of a module function, not a closure, so that the parser holding it pickles
        return functools.partial(_reduce, method, self.dropped)


def _reduce(method: Callable[[_Builder, m.Span, list[Any]], Any], dropped: frozenset[str],
            children: list[Any]) -> _Built:
    """The reduction of a grammar rule: the span of the node (first to last token), the kept
    children (tokens of a ``dropped`` terminal left out), and the builder ``method``'s result."""
    if children:
        first, last = children[0], children[-1]
        start = first.start if type(first) is _Built else first.start_pos
        end = last.end if type(last) is _Built else last.end_pos
    else:
        start = end = 0
    builder = _BUILDER.get()
    if builder is None:
        return _Built(None, start, end)
    kept = [c.value if type(c) is _Built else c for c in children
            if type(c) is _Built or c.type not in dropped]
    return _Built(method(builder, builder._span(start, end), kept), start, end)


def grammar_rule_names() -> set[str]:
    """Names of the grammar's rules that reach the model (inlined ``_rules`` excluded)."""
    return {rule.origin.name for rule in _parser().rules if not str(rule.origin.name).startswith("_")}


# ------------------------------------------------------------------------------------------
# Public entry points


def parse_text(text: str, *, source: str = "<string>", names: Callable[[str], bool] | None = None
               ) -> tuple[m.RuleFile, tuple[Diagnostic, ...]]:
    """Parse a whole ``.qr`` file. Returns the model and every diagnostic found (syntax errors
    recovered line by line, then semantic checks); raises nothing for user errors. ``names``
    tells whether a (normalised) text is a catalogue name or alias: the sentence reader then
    prefers the longest one where a line prints name and target without a space."""
    original = m.Source(source, text)
    surrogate = _surrogate(original)
    if surrogate is not None:
        return m.RuleFile(source=original), (surrogate,)
    normalized = normalize_with_offsets(text)
    with collector_paused():
        built, diagnostics = _parse_recovering(normalized, original, "start", names)
    if built is None:
        return m.RuleFile(source=original), diagnostics
    assert isinstance(built, m.RuleFile)
    return attrs.evolve(built, source=original), diagnostics


def parse_rule_text(text: str, *, source: str = "<rule>", names: Callable[[str], bool] | None = None) -> m.Rule:
    """Parse one rule line; raises :class:`~qualityrules.errors.RuleSyntaxError` on errors."""
    original = m.Source(source, text)
    raise_errors([d for d in (_surrogate(original),) if d is not None])
    normalized = normalize_with_offsets(text)
    rule, diagnostics = _parse_recovering(normalized, original, "single_rule", names, recover=False)
    raise_errors(diagnostics)
    assert isinstance(rule, m.Rule)
    return rule


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a file is parsed (or a pack resolved). A
    parse allocates objects that stay alive (tokens, spans, the model: about 30 a rule), and every
    collection they set off scans the survivors again, a fifth of the time of parsing a large pack
    for no garbage found. The few cycles dropped meanwhile are collected once the collector runs
    again; a collector the caller had turned off stays off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def valid_rounding_step(step: Decimal) -> bool:
    """GB/T 8170-2008 rounds to 10**n units, or to 0.5 or 0.2 of them: a positive step whose
    digits are one 1, 2 or 5 (``0.1``, ``0.5``, ``2``, ``50``)."""
    if not step.is_finite() or step <= 0:
        return False
    digits = step.normalize().as_tuple().digits
    return len(digits) == 1 and digits[0] in (1, 2, 5)


def _surrogate(original: m.Source) -> Diagnostic | None:
    """QR001 at the first lone surrogate of the text: no character, so nothing can be read past it."""
    index = lone_surrogate(original.text)
    if index is None:
        return None
    return Diagnostic("QR001", surrogate_message(original.text, index), span_of(original, index, index + 1),
                      suggestion=tr("save the rule file as UTF-8 (or read it with its real encoding)"))


def _parse_recovering(normalized: NormalizedText, original: m.Source, start: str,
                      names: Callable[[str], bool] | None, *, recover: bool = True
                      ) -> tuple[Any, tuple[Diagnostic, ...]]:
    """Parse and build the model with its semantic diagnostics. On a syntax error in a target
    line, let the sentence reader find where the name ends and try again; otherwise blank the
    offending line and try again, so one run reports every broken line (bounded by the number of
    lines), and return no model but the syntax errors.

    Trying again is parsing a text that equals the old one up to the line: the parse resumes from
    the parser's state before the line end that precedes the line (kept at every line end, see
    :class:`_Resumable`), so the work stays linear in the text. A line that prints its target
    inside its name is read before the parse reaches it, when the parse would fail on it
    (``read_ahead``): the same reading, without the failure."""
    current = _ReadText.of(normalized)
    diagnostics: list[Diagnostic] = []
    readings: dict[int, Reading] = {}
    read_lines: set[int] = set()
    target_line = _TargetLines(start)
    # A parse that may still succeed builds the model as it goes, with the readings so far.
    builder = _Builder(original, current, readings)
    line_ends: list[int] = []  # offsets of the line-end tokens fed so far, in order
    states: list[_Resumable] = []  # the parse before each of them
    resume: tuple[int, ParserState[Any]] | None = None
    # Where lines that print their target inside their name start their words: looked for once a
    # line has been read (a pack printed with spaces never compiles the reader's patterns).
    glued: set[int] | None = None

    def read(line_start: int, line_end: int) -> bool:
        """Let the sentence reader read a target line the parse fails on (once): whether it did."""
        nonlocal current, glued
        if line_start in read_lines or not target_line(current, line_start):
            return False
        read_lines.add(line_start)
        reading = read_line(current.part(line_start, line_end), _parses, names)
        if reading is None:
            return False
        current = builder.normalized = _apply(current, line_start, line_end, reading)
        readings[line_start + reading.name_start] = reading
        if glued is None:
            glued = glued_lines(normalized.text)
        return True

    def read_ahead(lexer: Any, state: ParserState[Any], newline: Token) -> bool:
        """Read the line after ``newline`` (fed next) before the parse reaches it, when it prints
        its target inside its name and the parse would fail on it (:func:`_error_ahead`): the
        parse then goes on with the line as read, as it would once it had failed on it and
        resumed before ``newline``, without failing, resuming, and building the rule before it
        again (most lines of a plan printed without spaces)."""
        if glued is None or current.unread(newline.end_pos or 0) not in glued:
            return False
        line_start, line_end = current.line_bounds(newline.end_pos or 0)
        if line_start in read_lines:
            return False
        error = _error_ahead(current, lexer, state, newline)
        return error is not None and current.line_bounds(_error_offset(error, current))[0] == line_start \
            and read(line_start, line_end)

    for _ in range(2 * normalized.text.count("\n") + 3):
        builder.normalized = current
        context = _BUILDER.set(None if diagnostics else builder)
        try:
            parser = _parser().parse_interactive("", start=start)
            if resume is not None:
                parser.parser_state = resume[1]
            state, last, lexer = parser.parser_state, None, parser.lexer_thread.lexer
            tokens = current.tokens(lexer, state, 0 if resume is None else resume[0])
            while (token := next(tokens, None)) is not None:
                if token.type == "_NL":
                    line_ends.append(token.start_pos or 0)
                    states.append(_Resumable(state, builder))
                    if read_ahead(lexer, state, token):
                        # the text changed after the line end (a reading keeps the indentation and
                        # the first character of its line, so the line end is the same token)
                        state.feed_token(token)
                        last, tokens = token, current.tokens(lexer, state, token.end_pos or 0)
                        continue
                state.feed_token(token)
                last = token
            built: Any = state.feed_token(_end(last), True)
        except UnexpectedInput as error:
            offset = _error_offset(error, current)
            line_start, line_end = current.line_bounds(offset)
            kept = bisect.bisect_left(line_ends, line_start)  # line ends before the line
            del line_ends[kept:], states[kept:]
            resume = (line_ends.pop(), states.pop().restore(builder)) if kept else None
            if not kept:
                builder.diagnostics.clear()
            if read(line_start, line_end):
                continue
            diagnostics.append(_syntax_diagnostic(error, current, original, target_line))
            if not recover or isinstance(error, UnexpectedEOF):
                return None, tuple(diagnostics)
            blanked = _blank_line(current, offset)
            if blanked is None:
                return None, tuple(diagnostics)
            current = blanked
            continue
        finally:
            _BUILDER.reset(context)
        if diagnostics:
            return None, tuple(diagnostics)
        return built.value, tuple(builder.diagnostics)
    return None, tuple(diagnostics)


def _end(last: Token | None) -> Token:
    """The end of the input, after the ``last`` token."""
    return Token.new_borrow_pos("$END", "", last) if last else Token("$END", "", 0)


def _error_ahead(text: _ReadText, lexer: Any, state: ParserState[Any], newline: Token) -> UnexpectedInput | None:
    """The syntax error, if any, that the parse at ``state`` meets from ``newline`` (fed next)
    through the line after it and its line end, found by the parse table alone (nothing built,
    ``state`` unchanged; the builder raises no syntax error, so the error is the parse's own)."""
    trial: ParserState[Any] = ParserState(_recognizer(state.parse_conf.start), state.lexer,
                                          list(state.state_stack), list(state.value_stack))
    last = None
    try:
        for last in text.tokens(lexer, trial, newline.start_pos or 0):
            trial.feed_token(last)
            if last.type == "_NL" and last.start_pos != newline.start_pos:
                return None
        trial.feed_token(_end(last), True)
    except UnexpectedInput as error:
        return error
    return None


class _Resumable:
    """The parse at a line end, to resume from after a later line changed: the parser's state
    (its stacks copied, the values on them shared), the lists of Lark's inlined rules on the
    value stack with their lengths (Lark builds left-recursive ones by appending to the list of
    the node below, so a parse that went on has lengthened them), and how many semantic
    diagnostics the builder had found."""

    __slots__ = ("state", "lists", "diagnostics")

    def __init__(self, state: ParserState[Any], builder: _Builder) -> None:
        self.state = state.copy(deepcopy_values=False)
        self.lists = [(value.children, len(value.children)) for value in state.value_stack
                      if isinstance(value, lark.Tree)]
        self.diagnostics = len(builder.diagnostics)

    def restore(self, builder: _Builder) -> ParserState[Any]:
        """The state to resume from, its values and the builder's diagnostics as they were."""
        for children, length in self.lists:
            del children[length:]
        del builder.diagnostics[self.diagnostics:]
        return self.state.copy(deepcopy_values=False)


def _parses(line: str) -> bool:
    """Whether ``line`` parses as a target line. Nothing is built: the tokens go through the
    parse table alone (:func:`_recognizer`)."""
    state: ParserState[Any] = ParserState(_recognizer("single_rule"), None)  # type: ignore[arg-type]
    last = None
    try:
        for last in _lexed(_parser().parser.lexer, state, line, 0, 0):
            state.feed_token(last)
        state.feed_token(_end(last), True)
    except UnexpectedInput:
        return False
    return True


def _recognizer(start: str) -> ParseConf[Any]:
    """The parse table with no callbacks: Lark then reduces to plain lists of the children, so a
    parse that only asks whether a text parses skips the model and Lark's tree building (and as
    no reduction raises a syntax error, the answer is the parse's own)."""
    return ParseConf(_parser().parser.parser.parser.parse_table, {}, start)


def _apply(text: NormalizedText | _ReadText, line_start: int, line_end: int, reading: Reading) -> _ReadText:
    """``text`` with one line replaced by its reading, offsets mapped through the reading."""
    text = _ReadText.of(text) if isinstance(text, NormalizedText) else text
    start = text.unread(line_start)   # where the line stands in the text as normalised
    line = _ReadLine(line_start, line_start + len(reading.text), start, start + line_end - line_start, reading.origin,
                     reading.text)
    return text.replaced(line, len(reading.text) - (line_end - line_start))


def _blank_line(text: _ReadText, offset: int) -> _ReadText | None:
    """``text`` with the line at ``offset`` blanked (its offsets as they were), or None when there
    is nothing left to blank."""
    start, end = text.line_bounds(offset)
    line = text.part(start, end)
    blank = " " * (end - start)
    if (start > 0 and line.strip() == "") or blank == line:
        return None
    at = bisect.bisect_right(text.starts, start, 0, text.count) - 1
    if at >= 0 and text.lines[at].start == start:   # a line read before: blanked, still mapped through its reading
        return text.replaced(attrs.evolve(text.lines[at], text=blank), 0, at)
    unread = text.unread(start)
    return text.replaced(_ReadLine(start, end, unread, unread + end - start, tuple(range(end - start)), blank), 0)


@attrs.frozen
class _ReadLine:
    """A line the sentence reader rewrote (or the recovery blanked): where it lies in the text
    (``start``, ``end``), where the line stood in the text as normalised (``unread_start``,
    ``unread_end``), for each of its characters the index in that line it comes from
    (:attr:`Reading.origin`), and its ``text``."""

    start: int
    end: int
    unread_start: int
    unread_end: int
    origin: tuple[int, ...]
    text: str = attrs.field(repr=False)


_FEW_LINES = 64   # lines read in a part joined piece by piece; more: the text written out, sliced


class _ReadText:
    """A normalised text some of whose lines the sentence reader rewrote (or the recovery blanked),
    not written out: the text as normalised (``unread_text``), the first ``count`` of the rewritten
    ``lines`` in order (with their ``starts``), and the text's ``length``. Reading a line costs
    the line, not a copy of the text (which made reading a file printed without spaces quadratic):
    the parse lexes the lines read from their own strings and the rest from the text as normalised
    (:meth:`tokens`), the recovery looks at one line (:meth:`line_bounds`, :meth:`part`), and an
    offset maps through a bisection of the lines. The lists are shared with the texts made from
    this one by reading a later line, so that reading one costs no copy of them; each text sees its
    own ``count`` (a text made from this one is used instead of it, never beside it)."""

    def __init__(self, unread_text: NormalizedText, lines: list[_ReadLine], starts: list[int], count: int,
                 length: int) -> None:
        self.unread_text, self.lines, self.starts, self.count, self.length = unread_text, lines, starts, count, length
        self.original_length = unread_text.original_length
        self._from: tuple[str, _ReadLine, int] | None = None   # the text it was made from, when written out
        if not count:   # no line read (a pack printed with spaces): the builder's offsets map as normalised
            self.original_offset = unread_text.original_offset  # type: ignore[method-assign]

    @classmethod
    def of(cls, text: NormalizedText) -> _ReadText:
        return cls(text, [], [], 0, len(text.text))

    def __len__(self) -> int:
        return self.length

    def replaced(self, line: _ReadLine, grown: int, at: int | None = None) -> _ReadText:
        """This text with ``line`` in it (instead of the line read at ``at``), ``grown`` longer."""
        lines, starts, count = self.lines, self.starts, self.count
        after = bisect.bisect_right(starts, line.start, 0, count) if at is None else at
        if at is None and after == count == len(lines):   # after every line read so far (the parse goes forward)
            lines.append(line)
            starts.append(line.start)
        elif at is not None and at == count - 1 == len(lines) - 1:   # the last line read, blanked
            lines[at] = line
        else:   # the lines read after it move by what the line added
            lines = [*lines[:after], line, *(attrs.evolve(moved, start=moved.start + grown, end=moved.end + grown)
                                             for moved in lines[after + (at is not None):count])]
            starts = [moved.start for moved in lines]
        made = _ReadText(self.unread_text, lines, starts, len(lines), self.length + grown)
        if "text" in self.__dict__:
            made._from = (self.text, line, grown)
        return made

    @functools.cached_property
    def text(self) -> str:
        """The text, written out (a syntax error's diagnostic reads it): from the text it was made
        from when that was written out (one copy, as a blanked line costs), else piece by piece."""
        if self._from is not None:
            before, line, grown = self._from
            return before[:line.start] + line.text + before[line.end - grown:]
        return self._joined(0, self.length, 0) if self.count else self.unread_text.text

    def unread(self, offset: int) -> int:
        """Where ``offset`` stands in the text as normalised."""
        if not self.count:      # no line read (a pack printed with spaces): the text as normalised
            return offset
        at = bisect.bisect_right(self.starts, offset, 0, self.count) - 1
        if at < 0:
            return offset
        line = self.lines[at]
        if offset < line.end:
            return line.unread_start + line.origin[offset - line.start]
        return offset - line.end + line.unread_end

    def original_offset(self, offset: int) -> int:
        return self.unread_text.original_offset(self.unread(offset))

    def part(self, start: int, end: int) -> str:
        """``text[start:end]``, from the lines read and the text as normalised between them (or
        from the text written out, when it is or when the part spans many lines read: a file of
        broken lines, each blanked, resumes before the first, and joining the part line by line
        made the recovery quadratic)."""
        if not self.count:
            return self.unread_text.text[start:end]
        end = min(end, self.length)
        at = max(0, bisect.bisect_right(self.starts, start, 0, self.count) - 1)
        if "text" in self.__dict__ or bisect.bisect_left(self.starts, end, at, self.count) - at > _FEW_LINES:
            return self.text[start:end]
        return self._joined(start, end, at)

    def _joined(self, start: int, end: int, at: int) -> str:
        """``text[start:end]`` piece by piece, from line read ``at`` on."""
        pieces = []
        while start < end:
            line = self.lines[at] if at < self.count else None
            if line is not None and start >= line.end:
                at += 1
            elif line is not None and start >= line.start:
                pieces.append(line.text[start - line.start:min(end, line.end) - line.start])
                start = min(end, line.end)
            else:   # between two lines read: as normalised
                stop = end if line is None else min(end, line.start)
                unread = self.unread(start)
                pieces.append(self.unread_text.text[unread:unread + stop - start])
                start = stop
        return "".join(pieces)

    def line_bounds(self, offset: int) -> tuple[int, int]:
        """Where the line holding ``offset`` starts and ends (before its newline). A line read
        holds no newline and stands between two (or an end of the text)."""
        at = bisect.bisect_right(self.starts, offset, 0, self.count) - 1
        if at >= 0 and offset <= self.lines[at].end:
            return self.lines[at].start, self.lines[at].end
        shift = 0 if at < 0 else self.lines[at].end - self.lines[at].unread_end   # between lines read: as normalised
        text, unread = self.unread_text.text, offset - shift
        after = self.starts[at + 1] if at + 1 < self.count else self.length
        newline = text.find("\n", unread, after - shift)
        return text.rfind("\n", 0 if at < 0 else self.lines[at].unread_end, unread) + 1 + shift, \
            after if newline < 0 else newline + shift

    def tokens(self, lexer: Any, state: ParserState[Any], start: int) -> Iterator[Token]:
        """The tokens from ``start`` on, their offsets in this text: up to the end of the last line
        read and the white space and comments after it, lexed from that part written out; after
        it, from the text as normalised. No token crosses from one to the other."""
        if not self.count:      # no line read: the lexer's own iterator (no generator per token)
            return _lexed(lexer, state, self.unread_text.text, start, 0)
        return self._tokens(lexer, state, start)

    def _tokens(self, lexer: Any, state: ParserState[Any], start: int) -> Iterator[Token]:
        last = self.lines[self.count - 1]
        shift = last.end - last.unread_end
        if start < last.end:
            # up to the first character after the line that no newline, space or comment token takes
            after = _SPACE_AND_COMMENTS.match(self.unread_text.text, last.unread_end)
            assert after is not None   # it matches nothing as well
            cut = after.end() + shift
            yield from _lexed(lexer, state, self.part(start, cut), 0, start)
            start = cut
        yield from _lexed(lexer, state, self.unread_text.text, start - shift, shift)


_SPACE_AND_COMMENTS = re.compile(r"(?:\s|#[^\n]*)*")


def _lexed(lexer: Any, state: ParserState[Any], text: str, start: int, shift: int) -> Iterator[Token]:
    """The tokens of ``text`` from ``start`` on, by Lark's contextual lexer following the parser's
    ``state``, moved ``shift`` further (a lexing error too)."""
    counter = LineCounter("\n")  # type: ignore[no-untyped-call]
    counter.char_pos = start
    tokens: Iterator[Token] = lexer.lex(LexerState(TextSlice(text, 0, len(text)), counter), state)
    # (unmoved, the lexer's own iterator: every token of a pack printed with spaces goes through here)
    return _moved_tokens(tokens, shift) if shift else tokens


def _moved_tokens(tokens: Iterator[Token], shift: int) -> Iterator[Token]:
    try:
        for token in tokens:     # (moved here, not by a call per token: most tokens of a read text pass)
            token.start_pos = (token.start_pos or 0) + shift
            token.end_pos = (token.end_pos or 0) + shift
            yield token
    except UnexpectedInput as error:
        if isinstance(error, UnexpectedToken):
            error.token = _moved(error.token, shift)
        if error.pos_in_stream is not None:
            error.pos_in_stream += shift
        raise


def _moved(token: Token, shift: int) -> Token:
    token.start_pos = (token.start_pos or 0) + shift
    token.end_pos = (token.end_pos or 0) + shift
    return token


_SECTION_OPEN = re.compile(r"^[ \t\u3000]*section\b.*\{[ \t\u3000]*(#.*)?$")
_BLOCK_CLOSE = re.compile(r"^[ \t\u3000]*\}")
_NOT_A_TARGET = re.compile(r"^[ \t\u3000]*(commitment\b|#|$)")


class _TargetLines:
    """Whether the line at an offset is a target line: the whole input of a single rule, or a line
    inside a ``section { … }`` block that is not a commitment, comment or brace. The blocks are
    followed from the line asked about last (the recovery asks about lines further on in a text
    that changes only from there on), so a file is read once, not once per broken line."""

    def __init__(self, start: str) -> None:
        self.start = start
        self.followed = 0      # the lines before this offset have been followed
        self.inside = False    # whether the line at ``followed`` is inside a section block

    def __call__(self, text: _ReadText, line_start: int) -> bool:
        line = text.part(*text.line_bounds(line_start))
        if _NOT_A_TARGET.match(line) or _BLOCK_CLOSE.match(line):
            return False
        if self.start == "single_rule":
            return True
        if line_start < self.followed:
            self.followed, self.inside = 0, False
        for previous in text.part(self.followed, line_start).splitlines():
            if _SECTION_OPEN.match(previous):
                self.inside = True
            elif _BLOCK_CLOSE.match(previous):
                self.inside = False
        self.followed = line_start
        return self.inside


def _error_offset(error: UnexpectedInput, text: str | _ReadText) -> int:
    pos = getattr(error, "pos_in_stream", None)
    if isinstance(error, UnexpectedToken) and error.token.start_pos is not None:
        pos = error.token.start_pos
        if error.token.type == "_NL":  # the problem is on the line the newline ends
            pos = max(0, pos - 1)
    return len(text) if pos is None else int(pos)


def _syntax_diagnostic(
    error: UnexpectedInput, normalized: _ReadText, original: m.Source, target_line: Callable[[_ReadText, int], bool]
) -> Diagnostic:
    text = normalized.text
    offset = _error_offset(error, text)
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = len(text) if text.find("\n", line_start) < 0 else text.find("\n", line_start)
    unreadable = unreadable_comparison(text[line_start:line_end]) \
        if target_line(normalized, line_start) else None
    if unreadable is not None:
        statement = text[line_start:line_end].split(" cite ")[0].strip()
        return Diagnostic(
            "QR014", tr("not checkable: '{unreadable}' states no number of its own", unreadable=unreadable.group(0)),
            _span(original, normalized, line_start + unreadable.start(), line_start + unreadable.end()),
            suggestion=tr("write it as commitment {statement}, or give the number it stands for",
                          statement=quote(quotable(statement))))
    if isinstance(error, UnexpectedEOF):
        span = _span(original, normalized, len(text), len(text))
        expected = _expected_names(error.expected)
        return Diagnostic("QR003", tr("unexpected end of input"), span, expected=expected,
                          suggestion=tr("is a closing '}}' missing?") if "'}'" in expected else None)
    if isinstance(error, UnexpectedCharacters):
        allowed = set(error.allowed or ())
        word = _word_at(text, offset)
        span = _span(original, normalized, offset, offset + max(1, len(word)))
        if "UNIT" in allowed and _looks_like_unit(word):
            unit_word = _unit_like(word)
            span = _span(original, normalized, offset, offset + len(unit_word))
            return Diagnostic("QR004", tr("unknown unit '{unit}'", unit=unit_word), span,
                              expected=(tr("a unit"),),
                              suggestion=did_you_mean(unit_word, grammar_spellings()) or _SEE_UNITS)
        expected = _expected_names(allowed)
        return Diagnostic("QR001", tr("unexpected character '{character}'", character=text[offset]) if offset < len(text)
                          else tr("unexpected character"), span, expected=expected,
                          suggestion=_keyword_suggestion(word, allowed))
    assert isinstance(error, UnexpectedToken)
    token = error.token
    if token.type == "$END":
        span = _span(original, normalized, len(text.rstrip()), len(text.rstrip()))
        return Diagnostic("QR003", tr("unexpected end of input"), span,
                          expected=_expected_names(error.expected))
    unknown_unit = _unknown_unit_at(text, offset, set(error.expected))
    if unknown_unit is not None:
        unit_start, unit_text = unknown_unit
        return Diagnostic("QR004", tr("unknown unit '{unit}'", unit=unit_text),
                          _span(original, normalized, unit_start, unit_start + len(unit_text)),
                          expected=(tr("a unit"),),
                          suggestion=did_you_mean(unit_text, grammar_spellings()) or _SEE_UNITS)
    end = offset + 1 if token.type == "_NL" else max(offset + 1, token.end_pos or offset + len(str(token)))
    span = _span(original, normalized, offset, end)
    shown = tr("unexpected end of line") if token.type == "_NL" else tr("unexpected '{token}'", token=str(token))
    expected = _expected_names(error.expected)
    suggestion = _keyword_suggestion(str(token), set(error.expected))
    if suggestion is None and str(token) in (",", ";") and "_NL" in error.expected:
        # a complete target, then the next clause of the sentence (…95%以上，B达到…)
        suggestion = tr("one target per line: put what follows on a line of its own (repeating a shared 到YYYY年)")
    return Diagnostic("QR002", shown, span, expected=expected, suggestion=suggestion)


_SEE_UNITS = tr("see grammar/units.txt for the units the language knows")


def _unknown_unit_at(text: str, offset: int, expected: set[str]) -> tuple[int, str] | None:
    """An unknown unit written right after a number: either the lexer found no unit at all
    (``5 公亩``) or a known unit followed by more letters (``95座位`` lexes ``座`` then ``位``)."""
    start = offset
    while start > 0 and not text[start - 1].isspace() and not text[start - 1].isdigit() \
            and text[start - 1] not in "%‰=<>≥≤≠":
        start -= 1
    after_quantity = bool(expected & {"CMP_SUFFIX", "APPROX_SUFFIX", "RANGE_SEP"})
    glued_to_unit = start < offset and text[start:offset] in grammar_spellings()
    if not after_quantity or not (glued_to_unit or "UNIT" in expected):
        return None
    word = _unit_like(_word_at(text, start))
    if not _looks_like_unit(word) or word in grammar_spellings():
        return None
    return start, word


def _looks_like_unit(word: str) -> bool:
    """Unit spellings are Chinese words (or %/‰); stray punctuation and ascii are syntax errors."""
    return bool(word) and word[0].isalpha() and not word.isascii()


def _word_at(text: str, offset: int) -> str:
    end = offset
    while end < len(text) and not text[end].isspace() and text[end] not in '"{}#':
        end += 1
    return text[offset:end]


def _unit_like(word: str) -> str:
    """The leading part of ``word`` that was meant as a unit: up to a comparator suffix word."""
    for cut in range(1, len(word) + 1):
        if any(word[cut:].startswith(suffix) for suffix in (*SUFFIX_WORDS, "左右")):
            return word[:cut]
    return word


def _keyword_suggestion(word: str, allowed: set[str]) -> Text | None:
    literals = {name.lower() for name in allowed} & reserved_words()
    return did_you_mean(word, literals) if word and literals else None


@functools.lru_cache(maxsize=1)
def reserved_words() -> frozenset[str]:
    """The grammar's ascii keywords (``cite``, ``override``, ``min_records``, …)."""
    return frozenset(t.pattern.value for t in _parser().terminals
                     if isinstance(t.pattern, PatternStr) and t.pattern.value.isascii()
                     and t.pattern.value.replace("_", "").isalpha())


@functools.lru_cache(maxsize=1)
def leading_words() -> re.Pattern[str]:
    """The terminals that outrank NAME: a bare name starting with one of them would lex as that
    word followed by a shorter name (``每年新增…`` is ``每年`` + ``新增…``)."""
    return re.compile("|".join(f"(?:{t.pattern.to_regexp()})" for t in _parser().terminals if t.priority > 0))


def _expected_names(terminals: Any) -> tuple[str, ...]:
    names = set()
    literal = _literal_terminals()
    for terminal in terminals or ():
        if terminal in _TERMINAL_NAMES:
            names.add(_TERMINAL_NAMES[terminal])
        elif terminal in literal:  # a keyword or punctuation, by what it is written as
            names.add(f"'{literal[terminal]}'")
    return tuple(sorted(names))


@functools.lru_cache(maxsize=1)
def _literal_terminals() -> dict[str, str]:
    """Terminals that are one literal string (keywords, punctuation), by name: Lark names some of
    them itself (``__ANON_0``), so the names are read off the parser, not written here."""
    return {t.name: t.pattern.value for t in _parser().terminals if isinstance(t.pattern, PatternStr)}


def _span(original: m.Source, normalized: NormalizedText | _ReadText, start: int, end: int) -> m.Span:
    first = normalized.original_offset(start)
    return span_of(original, first, max(first + 1, normalized.original_offset(end)))


# ------------------------------------------------------------------------------------------
# Tree -> model


@attrs.frozen
class _Field:
    """A ``key value`` entry of a pack or indicator block, before the block is assembled."""

    key: str
    value: Any
    span: m.Span


@attrs.frozen
class _StrengthMark:
    strength: m.Strength
    word: str
    span: m.Span


@attrs.frozen
class _Clause:
    key: str
    text: str
    span: m.Span


@attrs.frozen
class _Literal:
    value: Decimal | str | bool


class _Name(str):
    """A rule's indicator name with where it starts in the parsed text (to find the reader's
    layout of the line) and whether it was quoted (a quoted name keeps a trailing "(%)")."""

    start: int
    quoted: bool

    def __new__(cls, text: str, start: int, quoted: bool) -> _Name:
        name = super().__new__(cls, text)
        name.start = start
        name.quoted = quoted
        return name


@attrs.frozen
class _ValueList:
    """``达到2800个、2000个和80个``: the numbers, what separates them, and the comparison each gets."""

    quantities: tuple[m.Quantity, ...]
    separators: tuple[str, ...]
    template: m.Comparison
    prefix_text: str


@attrs.frozen
class _Row:
    row: m.TableRow
    strengths: tuple[_StrengthMark, ...]


class _EmptyCell:
    """A table cell written ``-``."""


_TARGETS = (m.Comparison, m.Between, m.Approximately, m.Change, m.Respectively, m.TableRow, m.Qualitative)
_TIMES = (m.TargetYear, m.EveryYear, m.Cumulative, m.During)


class _Builder:
    """Builds model objects bottom-up; one method per grammar rule (see ``GRAMMAR_TO_MODEL``)."""

    def __init__(self, original: m.Source, normalized: _ReadText,
                 readings: dict[int, Reading] | None = None) -> None:
        self.original = original
        self.normalized = normalized
        self.readings = readings if readings is not None else {}
        self.diagnostics: list[Diagnostic] = []

    # -- plumbing
    def _span(self, start: int, end: int) -> m.Span:
        return _span(self.original, self.normalized, start, end)

    def _token_span(self, token: Token) -> m.Span:
        return self._span(token.start_pos or 0, token.end_pos or 0)

    def _error(self, code: str, message: Text, span: m.Span | None, suggestion: Text | None = None,
               severity: Severity = Severity.ERROR) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, severity, suggestion=suggestion))

    def _string(self, token: Token) -> str:
        """A quoted string's content as originally written (free text keeps its script)."""
        start = self.normalized.original_offset(token.start_pos or 0)
        end = max(start + 1, self.normalized.original_offset(token.end_pos or 0))
        return self.original.text[start:end][1:-1]   # what the token's span holds

    def _normalized_string(self, token: Token) -> str:
        return str(token)[1:-1].strip()

    # -- files
    def rule_start(self, span: m.Span, children: list[Any]) -> m.RuleFile:
        packs = tuple(c for c in children if isinstance(c, m.PackDefinition))
        indicators = tuple(c for c in children if isinstance(c, m.Indicator))
        return m.RuleFile(packs, indicators)

    def rule_single_rule(self, span: m.Span, children: list[Any]) -> m.Rule:
        rule = children[0]
        assert isinstance(rule, m.Rule)
        return rule

    # -- packs
    def rule_pack(self, span: m.Span, children: list[Any]) -> m.PackDefinition:
        pack_id = str(children[0])
        extends: tuple[str, ...] = ()
        fields: dict[str, Any] = {}
        notes: list[str] = []
        scope: list[str] = []
        sections: list[m.Section] = []
        for child in children[1:]:
            if isinstance(child, m.Section):
                sections.append(child)
            elif isinstance(child, tuple):
                extends = child
            elif isinstance(child, m.Period):
                self._set_once(fields, _Field("period", child, child.span or span))
            elif isinstance(child, _Field) and child.key == "note":
                notes.append(child.value)
            elif isinstance(child, _Field) and child.key == "scope":
                scope.extend(child.value)
            elif isinstance(child, _Field):
                self._set_once(fields, child)
        pack = m.PackDefinition(pack_id, extends, notes=tuple(notes), scope=tuple(scope),
                                sections=tuple(sections), span=span, **fields)
        if pack.period and pack.target is not None and pack.target not in pack.period.years:
            self._error("QR009", tr("target year {target} is outside the period {start}..{end}", target=pack.target,
                                    start=pack.period.start, end=pack.period.end), pack.period.span)
        return pack

    def _set_once(self, fields: dict[str, Any], entry: _Field) -> None:
        if entry.key in fields:
            self._error("QR007", tr("'{key}' is given twice", key=entry.key), entry.span,
                        suggestion=tr("keep one of them"))
        fields[entry.key] = entry.value

    def rule_extends(self, span: m.Span, children: list[Token]) -> tuple[str, ...]:
        return tuple(str(c) for c in children)

    def rule_meta_name(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("name", self._string(c[0]), span)

    def rule_meta_source(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("source", self._string(c[0]), span)

    def rule_meta_issuer(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("issuer", self._string(c[0]), span)

    def rule_meta_published(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("published", self._string(c[0]), span)

    def rule_meta_region(self, span: m.Span, c: list[Any]) -> _Field:
        return _Field("region", str(c[0]), span)

    def rule_meta_level(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("level", m.Level(str(c[0])), span)

    def rule_meta_period(self, span: m.Span, c: list[Token]) -> m.Period:
        start, end = int(c[0]), int(c[1])
        if start > end:
            self._error("QR009", tr("period {start}..{end} ends before it starts", start=start, end=end), span,
                        suggestion=tr("write {end}..{start}", end=end, start=start))
        return m.Period(start, end, span=span)

    def rule_meta_target(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("target", int(c[0]), span)

    def rule_meta_baseline(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("baseline", int(c[0]), span)

    def rule_meta_tolerance(self, span: m.Span, c: list[Any]) -> _Field:
        if c[0].value < 0:
            self._error("QR008", tr("a tolerance cannot be negative"), span,
                        suggestion=tr("write {number}{unit}", number=format(-c[0].value, "f"), unit=c[0].unit or ""))
        return _Field("tolerance", c[0], span)

    def rule_meta_review(self, span: m.Span, c: list[Token]) -> _Field:
        method = m.ReviewMethod.GROWTH
        bounds: dict[str, Decimal] = {}
        for index, token in enumerate(c):
            if token.type == "REVIEW_METHOD":
                method = m.ReviewMethod(str(token))
            elif token.type == "REVIEW_CLASS":
                key = str(token)
                if key in bounds:
                    self._error("QR007", tr("'review {key}' is given twice", key=key), self._token_span(token),
                                suggestion=tr("keep one of them"))
                bounds[key] = Decimal(str(c[index + 1]).replace(",", ""))
        review = m.Review(method, bounds.get("on-track"), bounds.get("at-risk"), span=span)
        problem = review.problem()
        if problem:
            self._error("QR180", problem, span, suggestion=tr("keep 0 <= at-risk <= on-track, e.g. 'review growth "
                                                              "on-track 0.95 at-risk 0.6'"))
        return _Field("review", review, span)

    def rule_meta_scope(self, span: m.Span, c: list[Any]) -> _Field:
        return _Field("scope", tuple(str(x) for x in c), span)

    def rule_meta_note(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("note", self._string(c[0]), span)

    def rule_meta_rounding(self, span: m.Span, c: list[Any]) -> _Field:
        return _Field("rounding", c[0], span)

    rule_indicator_rounding = rule_meta_rounding

    def rule_rounding(self, span: m.Span, c: list[Token]) -> m.Rounding:
        text = str(c[0]).replace(",", "")
        step = Decimal(text)
        method = str(c[1])
        chosen = m.RoundingMethod.FULL_VALUE if method in ("全数值比较法", "full-value") \
            else m.RoundingMethod.ROUND_THEN_COMPARE
        if not valid_rounding_step(step):
            self._error("QR040", tr("rounding step {text} is not a power of ten times 1, 2 or 5 (GB/T 8170-2008)",
                                    text=text),
                        self._token_span(c[0]), suggestion=tr("write e.g. 'rounding 0.1', 'rounding 0.5' or 'rounding "
                                                              "1'"))
            step = Decimal(1)
        return m.Rounding(step, chosen, wording=method, span=span)

    def rule_section(self, span: m.Span, c: list[Any]) -> m.Section:
        return m.Section(str(c[0]), tuple(c[1:]), span=span)

    def rule_commitment(self, span: m.Span, c: list[Any]) -> m.Commitment:
        citation = c[1] if len(c) > 1 else None
        return m.Commitment(self._string(c[0]), citation, span=span)

    # -- rules
    def rule_rule(self, span: m.Span, children: list[Any]) -> m.Rule:
        override = each = False
        times: list[m.Time] = []
        time_index = name_index = target_index = -1
        strengths: list[_StrengthMark] = []
        clauses: dict[str, _Clause] = {}
        citation: m.Citation | None = None
        for index, child in enumerate(children):   # one pass: a pack has thousands of rules
            if isinstance(child, Token):
                if child.type == "EACH":
                    each = True
                elif index == 0 and child.type == "OVERRIDE":
                    override = True
            elif isinstance(child, _TIMES):
                times.append(child)
                if time_index < 0:
                    time_index = index
            elif isinstance(child, _StrengthMark):
                strengths.append(child)
            elif isinstance(child, _Name):
                if name_index < 0:
                    name_index = index
            elif isinstance(child, m.Citation):
                if citation is not None:
                    self._error("QR013", tr("'cite' is given twice"), child.span)
                citation = child
            elif isinstance(child, _Clause):
                if child.key in clauses:
                    self._error("QR013", tr("'{key}' is given twice", key=child.key), child.span)
                clauses[child.key] = child
            elif target_index < 0 and isinstance(child, (*_TARGETS, _Row)):
                target_index = index
        assert name_index >= 0 and target_index >= 0  # the grammar's rule has both
        name: _Name = children[name_index]
        target: Any = children[target_index]
        if isinstance(target, _Row):
            strengths.extend(target.strengths)
            target = target.row
        zero_first = target_index < name_index  # 杜绝 X
        time, target = self._time(times, target)
        for extra_strength in strengths[1:]:
            self._error("QR011", tr("a rule takes one strength word"), extra_strength.span)
        if time is None and isinstance(target, m.Comparison) and target.wording \
                and target.wording[0] in EVERY_YEAR_COMPARATOR_WORDS:
            time = m.EveryYear(wording=target.wording[0], span=target.span)
        indicator, note = unit_note(str(name)) if not name.quoted else (str(name), None)
        if note is not None:
            target = _with_unit(target, note[0], note[1])
        if isinstance(target, m.Qualitative):
            self._not_checkable(target, indicator)
        reading = self.readings.get(name.start)
        strength = strengths[0] if strengths else None
        return m.Rule(
            indicator, target, time,
            strength.strength if strength else m.Strength.BINDING,
            citation, override,
            clauses["because"].text if "because" in clauses else None,
            clauses["unenforced"].text if "unenforced" in clauses else None,
            each,
            strength_word=strength.word if strength else None,
            time_first=bool(times) and time_index < name_index,
            joined=bool(reading and reading.joined),
            target_at=0 if zero_first else reading.target_at if reading else None,
            name_note=note[2] if note else None,
            span=span,
        )

    def _time(self, times: list[m.Time], target: Any) -> tuple[m.Time | None, Any]:
        """One time qualifier from the words written: 到2025年 + 累计 is a running total to 2025;
        累计 before a change (累计降低17%) says the change is over the whole period."""
        if isinstance(target, m.Change) and any(isinstance(t, m.Cumulative) for t in times):
            word = next(t for t in times if isinstance(t, m.Cumulative))
            times = [t for t in times if t is not word]
            if target.wording is not None and not target.average_annual:
                target = attrs.evolve(target, wording=(word.wording or "累计") + target.wording)
        if len(times) == 2:
            total = next((t for t in times if isinstance(t, m.Cumulative) and t.until is None), None)
            year = next((t for t in times if isinstance(t, m.TargetYear)), None)
            during = next((t for t in times if isinstance(t, m.During) and not t.total), None)
            if total is not None and year is not None:
                first, second = times
                wording = f"{first.wording or ''} {second.wording or ''}".strip()
                return m.Cumulative(year.year, wording=wording, span=total.span), target
            if total is not None and during is not None:
                return attrs.evolve(during, total=True, wording=f"{during.wording} {total.wording}"), target
        for extra in times[1:]:
            self._error("QR011", tr("a rule takes one time qualifier"), extra.span,
                        suggestion=tr("split it into one rule per time qualifier"))
        return (times[0] if times else None), target

    def _not_checkable(self, target: m.Qualitative, indicator: str) -> None:
        trend = CHANGE_WORDS.get(target.word[-2:]) if target.word.startswith("逐年") else None
        if trend is not None:
            word = "提高" if trend is m.ChangeDirection.UP else "下降"
            hint = tr("for a rise in every year write '每年 {indicator} 比上年{word} >0%'; or keep it as "
                      "commitment {commitment}", indicator=indicator, word=word,
                      commitment=_quoted(indicator + target.word))
        else:
            hint = tr("write it as commitment {statement}, or give the number it stands for",
                      statement=_quoted(indicator + target.word))
        self._error("QR014", tr("not checkable: '{word}' states no number", word=target.word), target.span, suggestion=hint)

    def rule_target_year(self, span: m.Span, c: list[Token]) -> m.TargetYear:
        word = str(c[0])
        year = re.search(r"\d{4}", word)
        assert year is not None
        return m.TargetYear(int(year.group(0)), wording=word if c[0].type == "TARGET_YEAR" else f"by {word}",
                            span=span)

    def rule_plan_period(self, span: m.Span, c: list[Token]) -> m.TargetYear | m.During:
        word = str(c[0])
        years = [int(y) for y in re.findall(r"\d{4}", word)]
        if years:
            if years[1] < years[0]:
                self._error("QR009", tr("'{word}' ends before it starts", word=word), span)
            return m.During(years[0], max(years), wording=word, span=span)
        number = re.search("十([一二三四五])五", word)
        assert number is not None
        start = 2006 + 5 * ("一二三四五".index(number.group(1)))
        if re.search("末", word):
            return m.TargetYear(start + 4, wording=word, span=span)
        return m.During(start, start + 4, wording=word, span=span)

    def rule_every_year(self, span: m.Span, c: list[Token]) -> m.EveryYear:
        word = str(c[0])
        count = re.fullmatch(r"连续(.+)年", word)
        if count is None:
            return m.EveryYear(wording=word, span=span)
        digits = count.group(1)
        last = int(digits) if digits.isdigit() else self._chinese_number(digits, span)
        if last < 1:
            self._error("QR009", tr("'{word}' names no year", word=word), span)
        return m.EveryYear(int(last) or 1, wording=word, span=span)

    def rule_cumulative(self, span: m.Span, c: list[Token]) -> m.Cumulative:
        return m.Cumulative(wording=str(c[0]), span=span)

    def rule_strength(self, span: m.Span, c: list[Token]) -> _StrengthMark:
        return _StrengthMark(STRENGTH_WORDS[str(c[0])], str(c[0]), span)

    rule_lead_target_year = rule_target_year
    rule_lead_plan_period = rule_plan_period
    rule_lead_every_year = rule_every_year
    rule_lead_cumulative = rule_cumulative
    rule_lead_strength = rule_strength
    rule_tail_strength = rule_strength

    def rule_name(self, span: m.Span, c: list[Token]) -> _Name:
        token = c[0]
        if token.type == "STRING":
            return _Name(self._normalized_string(token), token.start_pos or 0, True)
        return _Name(str(token), token.start_pos or 0, False)

    def rule_comparison(self, span: m.Span, c: list[Any]) -> m.Comparison:
        tokens = {t.type: t for t in c if isinstance(t, Token)}
        if "EXACT_ZERO" in tokens:
            zero = m.Quantity(0, None, written="0", span=span)
            return m.Comparison(m.Comparator.EQ, zero, wording=(str(tokens["EXACT_ZERO"]), None), span=span)
        if "WHOLE" in tokens:
            word = str(tokens["WHOLE"])
            quantity = m.Quantity(1, None, written="1", span=span) if "突破" in word \
                else m.Quantity(100, "%", written="100%", span=span)
            return m.Comparison(m.Comparator.GE, quantity, wording=(word, None), span=span)
        quantity = next(x for x in c if isinstance(x, m.Quantity))
        if "SYMBOL_OP" in tokens:
            return m.Comparison(SYMBOLS[str(tokens["SYMBOL_OP"])], quantity, span=span)
        prefix = str(tokens["CMP_PREFIX"]) if "CMP_PREFIX" in tokens else None
        after = [t for t in c if isinstance(t, Token) and t.type in ("CMP_SUFFIX", "INCLUSION")]
        suffix_word = str(tokens["CMP_SUFFIX"]) if "CMP_SUFFIX" in tokens else None
        if "FILLER" in tokens and prefix:
            prefix = prefix + str(tokens["FILLER"])
        op = self._combine(prefix, suffix_word, span)
        exclusive = [t for t in after if t.type == "INCLUSION" and str(t).startswith("(不")]
        if exclusive and op.direction == 0:
            self._error("QR005", tr("'{exclusive}' needs 以上 or 以下 to say which end it excludes", exclusive=exclusive[0]), span)
        elif exclusive:
            op = m.Comparator.GT if op.direction > 0 else m.Comparator.LT
        suffix = "".join(str(t) for t in after) or None
        wording = (prefix, suffix) if prefix or suffix else None
        return m.Comparison(op, quantity, bare=prefix is None and suffix_word is None, wording=wording, span=span)

    def _combine(self, prefix: str | None, suffix: str | None, span: m.Span) -> m.Comparator:
        prefix_op = COMPARATOR_WORDS[prefix.removesuffix("全年的")] if prefix else None
        suffix_op = SUFFIX_WORDS[suffix] if suffix else None
        if prefix is not None and prefix_op is None and suffix_op is None:
            self._error("QR006", tr("'{prefix}' needs 以上, 以下 or 以内 to say which way", prefix=prefix), span,
                        suggestion=tr("write e.g. '{prefix}…以下' for an upper limit", prefix=prefix))
            return m.Comparator.LE
        if prefix_op is m.Comparator.EQ and suffix_op is not None:
            return suffix_op  # "为99%以上": the suffix says which way
        if prefix_op and suffix_op and prefix_op.direction != suffix_op.direction:
            self._error("QR005", tr("'{prefix}' and '{suffix}' point in opposite directions", prefix=prefix,
                                    suffix=suffix), span,
                        suggestion=tr("drop '{suffix}'", suffix=suffix))
        return prefix_op or suffix_op or m.Comparator.EQ

    def rule_between(self, span: m.Span, c: list[Any]) -> m.Between:
        low, high = [x for x in c if isinstance(x, m.Quantity)]
        if low.unit is None and high.unit is not None:
            low = attrs.evolve(low, unit=high.unit)
        if high.unit is None and low.unit is not None:
            high = attrs.evolve(high, unit=low.unit)
        if _in_same_unit(low, high) > high.value:
            self._error("QR010", tr("range {low}–{high} runs backwards", low=low.value, high=high.value), span,
                        suggestion=tr("write {high}-{low}", high=high.value, low=low.value))
        separator = next((str(t) for t in c if isinstance(t, Token) and t.type == "RANGE_SEP"), None)
        return m.Between(low, high, wording=separator, span=span)

    def rule_approximately(self, span: m.Span, c: list[Any]) -> m.Approximately:
        quantity = next(x for x in c if isinstance(x, m.Quantity))
        tolerance = next((x for x in c if isinstance(x, _Field)), None)
        words = [t for t in c if isinstance(t, Token)]
        prefix = next((str(t) for t in words if t.type == "CMP_PREFIX"), "")
        if prefix and prefix not in APPROXIMATE_PREFIX_WORDS:
            self._error("QR005", tr("'{prefix}' and '左右' contradict: a bound is not an approximate value",
                                    prefix=prefix), span,
                        suggestion=tr("drop '{prefix}' or '左右'", prefix=prefix))
        word = prefix + "".join(str(t) for t in words if t.type != "CMP_PREFIX")
        return m.Approximately(quantity, tolerance.value if tolerance else None, wording=word, span=span)

    def rule_tolerance(self, span: m.Span, c: list[Any]) -> _Field:
        quantity = c[0]
        if quantity.value < 0:
            self._error("QR008", tr("a tolerance cannot be negative"), span)
        return _Field("tolerance", quantity, span)

    def rule_change(self, span: m.Span, c: list[Any]) -> m.Change:
        tokens = [t for t in c if isinstance(t, Token)]
        baseline, previous, baseline_word = self._baseline(tokens)
        adverb = next((str(t) for t in tokens if t.type == "CHANGE_ADVERB"), "")
        word = next(t for t in tokens if t.type in ("CHANGE_WORD", "DOUBLING"))
        if word.type == "DOUBLING":
            amount: Any = m.Comparison(m.Comparator.GE, m.Quantity(DOUBLING_WORDS[str(word)], "%"), span=span)
            return m.Change(baseline, m.ChangeDirection.UP, amount, previous,
                            wording=f"{baseline_word}{word}", span=span)
        amount = c[-1]
        return m.Change(baseline, CHANGE_WORDS[str(word)], self._at_least(amount, span), previous,
                        adverb in AVERAGE_ANNUAL_WORDS, wording=f"{baseline_word}{adverb}{word}", span=span)

    def _baseline(self, tokens: list[Token]) -> tuple[int | None, bool, str]:
        """The baseline a change is measured against: a year (较2015年), the previous year
        (比上年, 同比) or, when none is written, None (the pack's baseline)."""
        token = next((t for t in tokens if t.type == "BASELINE"), None)
        if token is None:
            return None, False, ""
        year = re.search(r"\d{4}", str(token))
        return (int(year.group(0)) if year else None), year is None, str(token)

    def _at_least(self, amount: Any, span: m.Span) -> Any:
        """A bare change amount means "by at least" (下降18.5% is a fall of 18.5 % or more); an
        amount without a unit says nothing measurable (QR113)."""
        if isinstance(amount, m.Comparison) and amount.bare:
            amount = attrs.evolve(amount, op=m.Comparator.GE, bare=False)
        for quantity in m.quantities(amount):
            if quantity.unit is None:
                self._error("QR113", tr("a change needs a unit: % (relative), 百分点 (points of a share) or the "
                                        "indicator's own unit"), quantity.span or span,
                            suggestion=tr("write e.g. '下降18.5%', '提高5个百分点' or '增加12项'"))
        return amount

    def rule_respectively(self, span: m.Span, c: list[Any]) -> m.Respectively:
        values: _ValueList = c[-1]
        tokens = [t for t in c if isinstance(t, Token)]
        head = "".join(str(t) for t in tokens)
        word = next((t for t in tokens if t.type == "CHANGE_WORD"), None)
        if word is None:
            targets: tuple[Any, ...] = tuple(
                attrs.evolve(values.template, quantity=q, span=q.span) for q in values.quantities)
            return m.Respectively(targets, wording=head + values.prefix_text, separators=values.separators,
                                  span=span)
        baseline, previous, _ = self._baseline(tokens)
        adverb = next((str(t) for t in tokens if t.type == "CHANGE_ADVERB"), "")
        changes = tuple(
            m.Change(baseline, CHANGE_WORDS[str(word)],
                     self._at_least(attrs.evolve(values.template, quantity=q, span=q.span), span),
                     previous, adverb in AVERAGE_ANNUAL_WORDS, span=q.span)
            for q in values.quantities)
        return m.Respectively(changes, wording=head + values.prefix_text, separators=values.separators, span=span)

    def rule_value_list(self, span: m.Span, c: list[Any]) -> _ValueList:
        quantities = tuple(x for x in c if isinstance(x, m.Quantity))
        tokens = [t for t in c if isinstance(t, Token)]
        separators = tuple(str(t) for t in tokens if t.type == "LIST_SEP")
        symbol = next((str(t) for t in tokens if t.type == "SYMBOL_OP"), None)
        prefix = "".join(str(t) for t in tokens if t.type in ("CMP_PREFIX", "FILLER")) or None
        suffix = next((str(t) for t in tokens if t.type == "CMP_SUFFIX"), None)
        if symbol is not None:
            template = m.Comparison(SYMBOLS[symbol], quantities[0])
            prefix_text = f" {symbol} "
        else:
            op = self._combine(prefix, suffix, span)
            bare = prefix is None and suffix is None
            template = m.Comparison(op, quantities[0], bare=bare,
                                    wording=None if bare else (prefix, suffix))
            prefix_text = prefix or ""
        return _ValueList(quantities, separators, template, prefix_text)

    def rule_table_row(self, span: m.Span, c: list[Any]) -> _Row:
        cells = [x for x in c if not isinstance(x, (Token, _StrengthMark))]
        strengths = tuple(x for x in c if isinstance(x, _StrengthMark))
        values = tuple(None if isinstance(x, _EmptyCell) else x for x in cells)
        if not values or len(values) > 3:
            self._error("QR015", tr("a table row has {count} value cells; read are one (the target), two (基期值 | 目标值) "
                                    "or three (基期值 | 目标值 | 年均/累计), then 约束性/预期性", count=len(values)), span,
                        suggestion=tr("keep the columns 基期值 | 目标值 | 年均/累计 | 属性 and write '-' for an empty one"))
        return _Row(m.TableRow(values, span=span), strengths)

    def rule_table_cell(self, span: m.Span, c: list[Any]) -> Any:
        first = c[0]
        if isinstance(first, Token) and first.type == "EMPTY_CELL":
            return _EmptyCell()
        if isinstance(first, Token) and first.type == "STRENGTH":
            return _StrengthMark(STRENGTH_WORDS[str(first)], str(first), span)
        if isinstance(first, Token) and first.type == "TOTAL_OPEN":
            return m.Total(c[1], wording=str(first) + str(c[2]), span=span)
        return first

    def rule_qualitative(self, span: m.Span, c: list[Token]) -> m.Qualitative:
        return m.Qualitative(str(c[0]), span=span)

    def rule_eliminated(self, span: m.Span, c: list[Token]) -> m.Comparison:
        zero = m.Quantity(0, None, written="0", span=span)
        return m.Comparison(m.Comparator.EQ, zero, wording=(str(c[0]), None), span=span)

    def rule_quantity(self, span: m.Span, c: list[Token]) -> m.Quantity:
        number = c[0]
        words = {t.type: t for t in reversed(c[1:])}   # the first UNIT and MAGNITUDE written
        unit = str(words["UNIT"]) if "UNIT" in words else None
        if number.type == "PER_PART":                   # 百分之九十五: 95 %
            number, unit = c[1], PER_PART_UNITS[str(c[0])]
        magnitude = str(words["MAGNITUDE"]) if "MAGNITUDE" in words else None
        if number.type == "CN_NUMBER":
            value = self._chinese_number(str(number), self._token_span(number))
        else:
            value = Decimal(str(number).replace(",", ""))
        if magnitude:
            value *= MAGNITUDES[magnitude]
        written = self.normalized.part(c[0].start_pos or 0, c[-1].end_pos or 0)
        if not _representable(value):
            self._error("QR008", tr("{text} is beyond the range of numbers the engine can compare (about 1e-300 to "
                                    "1e300)", text=written), span)
            value = Decimal(0)
        return m.Quantity(value, unit, written=written, span=span)

    def _chinese_number(self, text: str, span: m.Span) -> Decimal:
        try:
            return chinese_decimal(text)
        except ValueError as error:
            self._error("QR008", tr("'{text}' is not a Chinese numeral: {error}", text=text, error=error), span)
            return Decimal(0)

    def rule_citation(self, span: m.Span, c: list[Token]) -> m.Citation:
        return m.Citation(self._string(c[0]), span=span)

    def rule_justification(self, span: m.Span, c: list[Token]) -> _Clause:
        return _Clause("because", self._string(c[0]), span)

    def rule_unenforced(self, span: m.Span, c: list[Token]) -> _Clause:
        return _Clause("unenforced", self._string(c[0]), span)

    # -- indicator catalogue
    def rule_indicator(self, span: m.Span, c: list[Any]) -> m.Indicator:
        override = isinstance(c[0], Token) and c[0].type == "OVERRIDE"
        if override:
            c = c[1:]
        name = c[0]
        fields: dict[str, Any] = {}
        record: dict[str, Any] = {}
        aliases: list[str] = []
        repeated: dict[str, list[Any]] = {"references": [], "definitions": [], "record_column": []}
        for entry in c[1:]:
            if entry.key == "aliases":
                aliases.extend(entry.value)
            elif entry.key in repeated:
                repeated[entry.key].extend(entry.value)
            elif entry.key.startswith("record_"):
                self._set_once(record, attrs.evolve(entry, key=entry.key.removeprefix("record_")))
            else:
                self._set_once(fields, entry)
        definition = None
        if record:
            if "table" not in record or "value" not in record:
                missing = "from" if "table" not in record else "value"
                self._error("QR012", tr("record definition of '{name}' has no '{missing}' line", name=name,
                                        missing=missing), span,
                            suggestion=tr("a record definition needs both 'from TABLE' and 'value EXPR'"))
            else:
                definition = m.RecordDefinition(
                    record["table"], record["value"], record.get("region", "region"),
                    record.get("date"), record.get("year"), record.get("min"),
                    tuple(repeated["record_column"]), span=span)
                if definition.date_column and definition.year_column:
                    self._error("QR012", tr("give either 'date' or 'year', not both"), span)
        columns = [column for column, _ in repeated["record_column"]]
        for column in {c for c in columns if columns.count(c) > 1}:
            self._error("QR012", tr("the unit of column '{column}' is given twice", column=column), span)
        definitions = sorted(repeated["definitions"], key=lambda d: -10**9 if d.start is None else d.start)
        for before, after in zip(definitions, definitions[1:], strict=False):
            if before.end is None or after.start is None or after.start <= before.end:
                self._error("QR009", tr("the definitions of '{name}' overlap: give each its own years (e.g. ..2012 "
                                        "and 2013..)", name=name), after.span)
        return m.Indicator(str(name), aliases=tuple(str(a) for a in aliases), definition=definition,
                           references=tuple(repeated["references"]), definitions=tuple(definitions),
                           override=override, span=span, **fields)

    def rule_indicator_unit(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("unit", "".join(str(t) for t in c), span)

    def rule_indicator_flow(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("flow", True, span)

    def _reference(self, kind: str, span: m.Span, c: list[Any]) -> _Field:
        names = tuple(str(x) for x in c if isinstance(x, _Name))
        note = next((self._string(t) for t in c if isinstance(t, Token) and t.type == "STRING"), None)
        return _Field("references", (m.CrossReference(kind, names, note, span=span),), span)

    def rule_indicator_see_also(self, span: m.Span, c: list[Any]) -> _Field:
        return self._reference("see-also", span, c)

    def rule_indicator_not(self, span: m.Span, c: list[Any]) -> _Field:
        return self._reference("not", span, c)

    def rule_indicator_definition(self, span: m.Span, c: list[Token]) -> _Field:
        years = [t for t in c if t.type == "YEAR"]
        text = self._string(c[-1])
        first_is_start = bool(years) and self.normalized.part(years[0].end_pos or 0, c[-1].start_pos or 0).lstrip() \
            .startswith("..")
        start = int(years[0]) if first_is_start else None
        end = int(years[-1]) if years and (len(years) == 2 or not first_is_start) else None
        if start is not None and end is not None and start > end:
            self._error("QR009", tr("definition years {start}..{end} end before they start", start=start, end=end), span)
        return _Field("definitions", (m.DatedDefinition(start, end, text, span=span),), span)

    def rule_indicator_direction(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("direction", m.Direction(str(c[0])), span)

    def rule_indicator_alias(self, span: m.Span, c: list[str]) -> _Field:
        return _Field("aliases", tuple(str(x) for x in c), span)

    def rule_indicator_description(self, span: m.Span, c: list[Token]) -> _Field:
        return _Field("description", self._string(c[0]), span)

    def rule_record_table(self, span: m.Span, c: list[str]) -> _Field:
        return _Field("record_table", c[0], span)

    def rule_record_region(self, span: m.Span, c: list[str]) -> _Field:
        return _Field("record_region", c[0], span)

    def rule_record_date(self, span: m.Span, c: list[str]) -> _Field:
        return _Field("record_date", c[0], span)

    def rule_record_year(self, span: m.Span, c: list[str]) -> _Field:
        return _Field("record_year", c[0], span)

    def rule_record_value(self, span: m.Span, c: list[Any]) -> _Field:
        return _Field("record_value", c[0], span)

    def rule_record_min(self, span: m.Span, c: list[Token]) -> _Field:
        text = str(c[0]).replace(",", "")
        if not text.isdigit() or int(text) < 1:
            self._error("QR012", tr("min_records must be a positive whole number, not {value}", value=c[0]), span)
            return _Field("record_min", None, span)
        return _Field("record_min", int(text), span)

    def rule_record_column(self, span: m.Span, c: list[Any]) -> _Field:
        return _Field("record_column", ((str(c[0]), "".join(str(t) for t in c[1:])),), span)

    # -- expressions over records
    def _arithmetic(self, span: m.Span, c: list[Any]) -> m.Arithmetic:
        return m.Arithmetic(str(c[1]), c[0], c[2], span=span)

    rule_arithmetic_sum = _arithmetic
    rule_arithmetic_product = _arithmetic

    def rule_constant(self, span: m.Span, c: list[Token]) -> m.Constant:
        return m.Constant(Decimal(str(c[0]).replace(",", "")), span=span)

    def rule_aggregate(self, span: m.Span, c: list[Any]) -> m.Aggregate:
        function = m.AggregateFunction(str(c[0]))
        columns = [x for x in c[1:] if isinstance(x, str) and not isinstance(x, Token)]
        where = next((x.value for x in c[1:] if isinstance(x, _Field)), None)
        arity = _AGGREGATE_COLUMNS[function]
        if len(columns) not in arity:
            counts = sorted(arity)
            wanted = str(counts[0]) if len(counts) == 1 else tr("{first} or {second}", first=counts[0],
                                                                second=counts[1])
            self._error("QR012", tr("{function}() takes {wanted} column(s), not {count}", function=function.value,
                                    wanted=wanted, count=len(columns)),
                        span, suggestion=tr("write e.g. {example}", example=_AGGREGATE_EXAMPLES[function]))
        if function is m.AggregateFunction.SHARE and where is None:
            self._error("QR012", tr("share() needs a condition: share(where aqi <= 100)"), span)
        return m.Aggregate(function, columns[0] if columns else None,
                           columns[1] if len(columns) > 1 else None, where, span=span)

    def rule_where(self, span: m.Span, c: list[Any]) -> _Field:
        return _Field("where", c[0], span)

    def rule_any_of(self, span: m.Span, c: list[Any]) -> m.AnyOf:
        return m.AnyOf(_flatten(m.AnyOf, c), span=span)

    def rule_all_of(self, span: m.Span, c: list[Any]) -> m.AllOf:
        return m.AllOf(_flatten(m.AllOf, c), span=span)

    def rule_not_(self, span: m.Span, c: list[Any]) -> m.Not:
        return m.Not(c[0], span=span)

    def rule_column_test(self, span: m.Span, c: list[Any]) -> m.ColumnTest:
        if len(c) == 1:
            return m.ColumnTest(c[0], span=span)
        return m.ColumnTest(c[0], SYMBOLS[str(c[1])], c[2].value, span=span)

    def rule_literal(self, span: m.Span, c: list[Token]) -> _Literal:
        token = c[0]
        if token.type == "NUMBER":
            return _Literal(Decimal(str(token).replace(",", "")))
        if token.type == "BOOLEAN":
            return _Literal(str(token) == "true")
        return _Literal(self._normalized_string(token))

    def rule_column(self, span: m.Span, c: list[Token]) -> str:
        token = c[0]
        return self._normalized_string(token) if token.type == "STRING" else str(token)


_AGGREGATE_COLUMNS: dict[m.AggregateFunction, frozenset[int]] = {
    m.AggregateFunction.SUM: frozenset({1}), m.AggregateFunction.MEAN: frozenset({1}),
    m.AggregateFunction.MIN: frozenset({1}), m.AggregateFunction.MAX: frozenset({1}),
    m.AggregateFunction.COUNT: frozenset({0, 1}), m.AggregateFunction.SHARE: frozenset({0}),
    m.AggregateFunction.WMEAN: frozenset({2}),
}
_AGGREGATE_EXAMPLES: dict[m.AggregateFunction, str] = {
    m.AggregateFunction.SUM: "sum(volume)", m.AggregateFunction.MEAN: "mean(pm25)",
    m.AggregateFunction.MIN: "min(pm25)", m.AggregateFunction.MAX: "max(pm25)",
    m.AggregateFunction.COUNT: "count(), count(column)",
    m.AggregateFunction.SHARE: "share(where aqi <= 100)",
    m.AggregateFunction.WMEAN: "wmean(concentration, volume)",
}


def _in_same_unit(low: m.Quantity, high: m.Quantity) -> Decimal:
    """``low`` expressed in ``high``'s unit (as is when the units cannot be compared)."""
    if low.unit is None or high.unit is None or low.unit == high.unit or not units.compatible(low.unit, high.unit):
        return low.value
    scale = units.factor(low.unit, high.unit)
    return low.value * Decimal(scale.numerator) / Decimal(scale.denominator)


def _flatten(kind: type[m.AllOf] | type[m.AnyOf], parts: list[Any]) -> tuple[Any, ...]:
    flat: list[Any] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, kind) else [part])
    return tuple(flat)


def _representable(value: Decimal) -> bool:
    """A number the engine can hold in float64 without turning it into 0 or infinity."""
    magnitude = abs(value)
    return magnitude == 0 or Decimal("1e-300") <= magnitude <= Decimal("1e300")


_NOTE_RE: re.Pattern[str] | None = None


def unit_note(name: str) -> tuple[str, tuple[Decimal, str, str] | None]:
    """``比率(%)`` -> (``比率``, (1, ``%``, ``(%)``)); ``面积(亿亩)`` -> (``面积``, (10**8, ``亩``,
    ``(亿亩)``)): a unit printed after a table-row name applies to its numbers without one."""
    global _NOTE_RE
    if _NOTE_RE is None:
        terminals = grammar.grammar_terminals()
        _NOTE_RE = re.compile(f"\\(({terminals['MAGNITUDE']})?({terminals['UNIT']})\\)$")
    note = _NOTE_RE.search(name)
    if note is None or note.start() == 0:
        return name, None
    magnitude = MAGNITUDES[note.group(1)] if note.group(1) else Decimal(1)
    return name[:note.start()], (magnitude, note.group(2), note.group(0))


def _with_unit(target: Any, magnitude: Decimal, unit: str) -> Any:
    """``target`` with ``unit`` (scaled by ``magnitude``) given to every quantity written without
    one; a word's number (零的突破, 全覆盖, 零事故) stays in the indicator's own terms."""
    word = target.wording[0] if isinstance(target, m.Comparison) and target.wording else None
    if word is not None and grammar.terminal("EXACT_ZERO", "WHOLE", "ZERO_VERB").fullmatch(word):
        return target

    def fill(q: m.Quantity) -> m.Quantity:
        return q if q.unit is not None else attrs.evolve(q, value=q.value * magnitude, unit=unit)

    return m.map_quantities(target, fill)


def _quoted(text: str) -> str:
    try:
        return quote(text)
    except ValueError:
        return "\"…\""
