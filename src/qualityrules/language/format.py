"""Model -> canonical text. ``parse(format(x)) == x`` for every model object, and formatting is
idempotent. Wording the author chose (达到…以上, 3万家, 左右) is kept when the model carries it;
objects without wording (built in code or by strategies) get the canonical symbolic form.
Comments in a file are kept: whole-line comments before the statement that followed them,
end-of-line comments after their statement."""

from __future__ import annotations

import collections
from decimal import Decimal
from functools import singledispatch

import attrs

from ..errors import QualityRulesError, refuse, shown
from ..errors import _display_width as _width
from ..i18n import tr
from . import model as m
from .grammar import terminal
from .parse import leading_words, parse_rule_text, reserved_words, unit_note
from .text import quote

__all__ = ["format_model", "format_file", "format_number", "rule_body"]

INDENT = "    "
_CLAUSE_COLUMN_LIMIT = 56


def format_number(value: Decimal) -> str:
    """``Decimal('67500.00')`` -> ``67500``; ``Decimal('0.470')`` -> ``0.47``; never exponent form."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def format_name(name: str) -> str:
    # A bare name must survive the lexer as one NAME token: no keyword, no start that a
    # higher-priority terminal would take, and no trailing unit note like "(%)" (all read off the
    # grammar by ``parse``).
    if terminal("NAME").fullmatch(name) and name not in reserved_words() and not leading_words().match(name) \
            and unit_note(name)[1] is None:
        return name
    return quote(name)


def format_column(name: str) -> str:
    # A column written bare is the grammar's IDENT (compiled on first use: its CJK range takes
    # milliseconds to compile, and most runs format no column).
    return name if terminal("IDENT").fullmatch(name) and name not in reserved_words() else quote(name)


@singledispatch
def format_model(obj: object) -> str:
    """Canonical text of any model object."""
    refuse(tr("format_model() takes a model object (a Rule, a PackDefinition, …), not {value}", value=shown(obj)))


@format_model.register
def _(q: m.Quantity) -> str:
    if q.written is not None:
        return q.written
    return format_number(q.value) + (q.unit or "")


@format_model.register
def _(c: m.Comparison) -> str:
    if c.wording is not None:
        prefix, suffix = c.wording
        if prefix is not None and terminal("EXACT_ZERO", "WHOLE", "ZERO_VERB").fullmatch(prefix):
            return prefix
        return f"{prefix or ''}{format_model(c.quantity)}{suffix or ''}"
    if c.bare:
        return format_model(c.quantity)
    return f"{c.op.value} {format_model(c.quantity)}"


@format_model.register
def _(b: m.Between) -> str:
    if b.wording is not None:
        return f"{format_model(b.low)}{b.wording}{format_model(b.high)}"
    return f"between {format_model(b.low)} and {format_model(b.high)}"


@format_model.register
def _(a: m.Approximately) -> str:
    word = a.wording or "约"
    if word.endswith("左右"):
        text = f"{word.removesuffix('左右')}{format_model(a.quantity)}左右"
    else:
        text = f"{word}{' ' if word.isascii() else ''}{format_model(a.quantity)}"
    if a.tolerance is not None:
        text += f" ±{format_model(a.tolerance)}"
    return text


def _change_head(c: m.Change) -> str:
    """The words before a change's amount: 较2015年下降, 比上年提高, 年均增长, 下降."""
    if c.wording is not None:
        return c.wording
    since = f"较{c.baseline}年" if c.baseline is not None else "比上年" if c.previous_year else ""
    return since + ("年均" if c.average_annual else "") + ("提高" if c.direction is m.ChangeDirection.UP else "下降")


def _amount(amount: m.Comparison | m.Between | m.Approximately) -> str:
    if isinstance(amount, m.Comparison) and amount.op is m.Comparator.GE and amount.wording is None:
        return format_model(amount.quantity)  # a bare amount reads "at least"
    body = format_model(amount)
    return " " + body if body[:1] in "=<>!≥≤≠b" else body


@format_model.register
def _(c: m.Change) -> str:
    if c.wording is not None and c.wording.endswith(("翻一番", "翻两番")):
        return c.wording
    return _change_head(c) + _amount(c.amount)


@format_model.register
def _(r: m.Respectively) -> str:
    first = r.targets[0]
    if isinstance(first, m.Change):
        amounts = [t.amount for t in r.targets if isinstance(t, m.Change)]
        head = r.wording if r.wording is not None else "分别" + _change_head(attrs.evolve(first, wording=None))
        if r.wording is None and not all(isinstance(a, m.Comparison) and a.op is m.Comparator.GE for a in amounts):
            head += f" {amounts[0].op.value} " if isinstance(amounts[0], m.Comparison) else ""
        quantities = [a.quantity for a in amounts if isinstance(a, m.Comparison)]
        suffix = None
    else:
        comparisons = [t for t in r.targets if isinstance(t, m.Comparison)]
        quantities = [c.quantity for c in comparisons]
        suffix = first.wording[1] if first.wording else None
        if r.wording is not None:
            head = r.wording
        else:
            head = "分别" + ("" if first.bare else f" {first.op.value} ")
    separators = list(r.separators or ()) + ["、"] * len(quantities)
    body = "".join(format_model(q) + (separators[i] if i + 1 < len(quantities) else "")
                   for i, q in enumerate(quantities))
    return f"{head}{body}{suffix or ''}"


@format_model.register
def _(t: m.Total) -> str:
    left, right = (t.wording[0], t.wording[1:]) if t.wording else ("〔", "〕")
    return f"{left}{format_model(t.quantity)}{right}"


def _cell(cell: m.TableCell) -> str:
    return "-" if cell is None else format_model(cell)


@format_model.register
def _(row: m.TableRow) -> str:
    return " ".join(f"| {_cell(cell)}" for cell in row.cells)


@format_model.register
def _(q: m.Qualitative) -> str:
    return q.word


@format_model.register
def _(t: m.TargetYear) -> str:
    return t.wording or f"到{t.year}年"


@format_model.register
def _(t: m.EveryYear) -> str:
    if t.wording and t.wording != "稳定在":
        return t.wording
    return f"连续{t.last}年" if t.last is not None else "每年"


@format_model.register
def _(t: m.Cumulative) -> str:
    return t.wording or (f"到{t.until}年 累计" if t.until is not None else "累计")


_PLAN_NUMBERS = "一二三四五"


@format_model.register
def _(t: m.During) -> str:
    if t.wording is not None:
        return t.wording
    word = f"“十{_PLAN_NUMBERS[(t.start - 2006) // 5]}五”期间"
    return word + (" 累计" if t.total else "")


@format_model.register
def _(c: m.Citation) -> str:
    return f"cite {quote(c.text)}"


_STRENGTH_WORD = {m.Strength.ASPIRATION: "力争", m.Strength.EXPECTED: "预期性"}
_TABLE_STRENGTH_WORDS = ("约束性", "预期性")


def rule_body(rule: m.Rule) -> str:
    """A rule without its clauses (cite, because, unenforced): what it requires, laid out as the
    author wrote it (name and target joined or spaced, a number inside a verb phrase, a table row)."""
    parts: list[str] = []
    if rule.override:
        parts.append("override")
    word = rule.strength_word or (_STRENGTH_WORD[rule.strength] if rule.strength is not m.Strength.BINDING else None)
    in_row = isinstance(rule.target, m.TableRow) and word in _TABLE_STRENGTH_WORDS  # the 属性 column
    if word is not None and not in_row:
        parts.append(word)
    implied_by_wording = (
        isinstance(rule.time, m.EveryYear)
        and isinstance(rule.target, m.Comparison)
        and rule.target.wording is not None
        and rule.target.wording[0] == "稳定在"
    )
    time = format_model(rule.time) if rule.time is not None and not implied_by_wording else None
    if time and rule.time_first:
        parts.append(time)
    name_written = rule.name_note is not None and format_name(rule.indicator) == rule.indicator
    shown = rule.target if rule.name_note is None or name_written else \
        m.map_quantities(rule.target, lambda q: attrs.evolve(q, written=None))  # no note: units in the numbers
    target = format_model(shown) + (f" | {word}" if in_row else "")
    if rule.each:
        target = "均" + target
    name = rule.indicator + (rule.name_note or "")
    if rule.target_at is not None and 0 <= rule.target_at <= len(rule.indicator) and (time is None or rule.time_first):
        parts.append(name[:rule.target_at] + target + name[rule.target_at:])
        return " ".join(parts)
    written = name if name_written else format_name(rule.indicator)
    if rule.joined and written == name:
        rest = [time] if time and not rule.time_first else []
        joined = written + "".join([*rest, target])
        if _reads_as(joined, rule):  # printed as the plan prints it, if it reads back the same
            parts.append(joined)
            return " ".join(parts)
    parts.append(written)
    if time and not rule.time_first:
        parts.append(time)
    parts.append(target)
    return " ".join(parts)


def _reads_as(body: str, rule: m.Rule) -> bool:
    """Whether ``body``, a line printed without a space after the name, reads back as ``rule``'s
    name and target (a word dropped between them, such as 要, can make it read otherwise)."""
    try:
        again = parse_rule_text(body)
    except QualityRulesError:
        return False
    return again.indicator == rule.indicator and again.target == rule.target


def _rule_clauses(rule: m.Rule) -> str:
    parts: list[str] = []
    if rule.citation is not None:
        parts.append(format_model(rule.citation))
    if rule.justification is not None:
        parts.append(f"because {quote(rule.justification)}")
    if rule.unenforced is not None:
        parts.append(f"unenforced {quote(rule.unenforced)}")
    return " ".join(parts)


@format_model.register
def _(rule: m.Rule) -> str:
    clauses = _rule_clauses(rule)
    return rule_body(rule) + (" " + clauses if clauses else "")


@format_model.register
def _(c: m.Commitment) -> str:
    text = f"commitment {quote(c.text)}"
    return text + (" " + format_model(c.citation) if c.citation else "")




def _section_lines(section: m.Section) -> list[tuple[object, str]]:
    bodies: list[tuple[m.Rule | m.Commitment, str, str]] = []
    for entry in section.entries:
        if isinstance(entry, m.Rule):
            bodies.append((entry, rule_body(entry), _rule_clauses(entry)))
        else:
            bodies.append((entry, f"commitment {quote(entry.text)}",
                           format_model(entry.citation) if entry.citation else ""))
    widths = [_width(body) for _, body, clauses in bodies if clauses and _width(body) <= _CLAUSE_COLUMN_LIMIT]
    column = max(widths, default=0)
    lines: list[tuple[object, str]] = [(section, f"{INDENT}section {format_name(section.name)} {{")]
    for owner, body, clauses in bodies:
        pad = " " * max(1, column - _width(body) + 2) if clauses else ""
        lines.append((owner, f"{INDENT * 2}{body}{pad}{clauses}".rstrip()))
    lines.append((None, f"{INDENT}}}"))
    return lines


def _pack_lines(pack: m.PackDefinition) -> list[tuple[object, str]]:
    header = f"pack {pack.id}"
    if pack.extends:
        header += " extends " + ", ".join(pack.extends)
    lines: list[tuple[object, str]] = [(pack, header + " {")]
    meta: list[tuple[str, str]] = []
    for key in ("name", "source", "issuer", "published"):
        value = getattr(pack, key)
        if value is not None:
            meta.append((key, quote(value)))
    if pack.region is not None:
        meta.append(("region", format_name(pack.region)))
    if pack.level is not None:
        meta.append(("level", pack.level.value))
    if pack.period is not None:
        meta.append(("period", f"{pack.period.start}..{pack.period.end}"))
    if pack.target is not None:
        meta.append(("target", str(pack.target)))
    if pack.tolerance is not None:
        meta.append(("tolerance", format_model(pack.tolerance)))
    if pack.rounding is not None:
        meta.append(("rounding", format_model(pack.rounding)))
    if pack.review is not None:
        meta.append(("review", format_review(pack.review)))
    if pack.scope:
        meta.append(("scope", ", ".join(format_name(s) for s in pack.scope)))
    meta.extend(("note", quote(note)) for note in pack.notes)
    for key, value in meta:
        lines.append(((pack, key), f"{INDENT}{key:<9} {value}"))
    for section in pack.sections:
        lines.append((None, ""))
        lines.extend(_section_lines(section))
    lines.append((None, "}"))
    return lines


@format_model.register
def _(section: m.Section) -> str:
    return "\n".join(line.removeprefix(INDENT) for _, line in _section_lines(section))


@format_model.register
def _(pack: m.PackDefinition) -> str:
    return "\n".join(line for _, line in _pack_lines(pack)) + "\n"


@format_model.register
def _(test: m.ColumnTest) -> str:
    if test.op is m.Comparator.EQ and test.literal is True:
        return format_column(test.column)
    if isinstance(test.literal, bool):
        literal = "true" if test.literal else "false"
    elif isinstance(test.literal, Decimal):
        literal = format_number(test.literal)
    else:
        literal = quote(test.literal)
    return f"{format_column(test.column)} {test.op.value} {literal}"


def _condition(cond: m.Condition, parent: str) -> str:
    if isinstance(cond, m.AnyOf):
        text = " or ".join(_condition(p, "or") for p in cond.parts)
        return f"({text})" if parent in ("and", "not") else text
    if isinstance(cond, m.AllOf):
        text = " and ".join(_condition(p, "and") for p in cond.parts)
        return f"({text})" if parent == "not" else text
    if isinstance(cond, m.Not):
        return "not " + _condition(cond.part, "not")
    return format_model(cond)


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def _expression(expr: m.Expression, context: int = 0, right_side: bool = False) -> str:
    if isinstance(expr, m.Constant):
        return format_number(expr.value)
    if isinstance(expr, m.Aggregate):
        args = [format_column(c) for c in (expr.column, expr.weight) if c is not None]
        inner = ", ".join(args)
        if expr.where is not None:
            inner += (" " if inner else "") + "where " + _condition(expr.where, "")
        return f"{expr.function.value}({inner})"
    level = _PRECEDENCE[expr.op]
    text = f"{_expression(expr.left, level)} {expr.op} {_expression(expr.right, level, True)}"
    needs_parens = level < context or (right_side and level == context)
    return f"({text})" if needs_parens else text


@format_model.register(m.Aggregate)
@format_model.register(m.Arithmetic)
@format_model.register(m.Constant)
def _(expr: m.Expression) -> str:
    return _expression(expr)


@format_model.register(m.AllOf)
@format_model.register(m.AnyOf)
@format_model.register(m.Not)
def _(cond: m.Condition) -> str:
    return _condition(cond, "")


def _indicator_lines(ind: m.Indicator) -> list[tuple[object, str]]:
    head = "override indicator" if ind.override else "indicator"
    lines: list[tuple[object, str]] = [(ind, f"{head} {format_name(ind.name)} {{")]
    entries: list[tuple[str, str]] = []
    if ind.unit is not None:
        entries.append(("unit", ind.unit))
    entries.append(("direction", ind.direction.value))
    if ind.aliases:
        entries.append(("alias", ", ".join(format_name(a) for a in ind.aliases)))
    if ind.description is not None:
        entries.append(("description", quote(ind.description)))
    if ind.flow:
        entries.append(("flow", ""))
    for reference in ind.references:
        names = ", ".join(format_name(n) for n in reference.names)
        entries.append((reference.kind, names + (f" {quote(reference.note)}" if reference.note is not None else "")))
    for dated in ind.definitions:
        years = f"{dated.start if dated.start is not None else ''}..{dated.end if dated.end is not None else ''}"
        entries.append(("definition", f"{years} {quote(dated.text)}"))
    d = ind.definition
    if d is not None:
        entries.append(("from", format_column(d.table)))
        if d.region_column != "region":
            entries.append(("region", format_column(d.region_column)))
        if d.date_column is not None:
            entries.append(("date", format_column(d.date_column)))
        if d.year_column is not None:
            entries.append(("year", format_column(d.year_column)))
        entries.extend(("column", f"{format_column(column)} {unit}") for column, unit in d.column_units)
        entries.append(("value", _expression(d.value)))
        if d.min_records is not None:
            entries.append(("min_records", str(d.min_records)))
    if ind.rounding is not None:
        entries.append(("rounding", format_model(ind.rounding)))
    lines.extend(((ind, key), f"{INDENT}{key:<11} {value}".rstrip()) for key, value in entries)
    lines.append((None, "}"))
    return lines


@format_model.register
def _(rounding: m.Rounding) -> str:
    """``0.1 修约值比较法`` (the method as the author wrote it, Chinese or English)."""
    method = rounding.wording if rounding.wording in (rounding.method.value, rounding.method.english) \
        else rounding.method.value
    return f"{format_number(rounding.step)} {method}"


@format_model.register
def _(ind: m.Indicator) -> str:
    return "\n".join(line for _, line in _indicator_lines(ind)) + "\n"


@format_model.register
def _(rule_file: m.RuleFile) -> str:
    return format_file(rule_file)


def format_file(rule_file: m.RuleFile) -> str:
    """A whole file, keeping the comments of its source (if it was parsed from text)."""
    lines: list[tuple[object, str]] = []
    for index, pack in enumerate(rule_file.packs):
        if index:
            lines.append((None, ""))
        lines.extend(_pack_lines(pack))
    for index, ind in enumerate(rule_file.indicators):
        if index or rule_file.packs:
            lines.append((None, ""))
        lines.extend(_indicator_lines(ind))
    if rule_file.source is None:
        return "\n".join(text for _, text in lines) + "\n"
    return _with_comments(lines, rule_file.source.text)


def _statement_line(owner: object) -> int | None:
    target = owner[0] if isinstance(owner, tuple) else owner
    span = getattr(target, "span", None)
    if span is None:
        return None
    if isinstance(owner, tuple):  # a metadata entry: find its line inside the pack's span
        key = owner[1]
        source = span.source
        for line in range(span.line, span.end_line + 1):  # from the top: metadata comes first
            text = source.line_text(line).strip()
            if text.startswith(key + " ") or text == key:
                return line
        return None
    return int(span.line)


def _comments(text: str) -> dict[int, tuple[str, bool]]:
    """Comments by 1-based line: (comment text, whether it is the whole line)."""
    found: dict[int, tuple[str, bool]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line:  # most lines: no character-by-character scan
            continue
        quote_close: str | None = None
        for index, ch in enumerate(line):
            if quote_close:
                if ch == quote_close:
                    quote_close = None
            elif ch in '"“「':
                quote_close = {'"': '"', "“": "”", "「": "」"}[ch]
            elif ch == "#":
                found[number] = (line[index:].rstrip(), line[:index].strip() == "")
                break
    return found


def _with_comments(lines: list[tuple[object, str]], source_text: str) -> str:
    comments = _comments(source_text)
    pending = collections.deque(sorted(n for n, (_, whole) in comments.items() if whole))  # whole-line, in order
    placed_tails: set[int] = set()
    out: list[str] = []
    for owner, text in lines:
        line_number = _statement_line(owner) if owner is not None else None
        if line_number is not None:
            indent = text[: len(text) - len(text.lstrip())]
            while pending and pending[0] < line_number:
                out.append(indent + comments[pending.popleft()][0])
            if line_number in comments and not comments[line_number][1]:
                text = f"{text}  {comments[line_number][0]}"
                placed_tails.add(line_number)
        out.append(text)
    unplaced = set(pending)
    trailing = [comments[n][0] for n in sorted(comments)
                if n in unplaced or (not comments[n][1] and n not in placed_tails)]
    return "\n".join(out + trailing) + "\n"


def format_review(review: m.Review) -> str:
    """``growth on-track 0.95 at-risk 0.6``: the method, then the boundaries the author set."""
    parts = [review.method.value]
    for word, bound in (("on-track", review.on_track), ("at-risk", review.at_risk)):
        if bound is not None:
            parts.append(f"{word} {format_number(bound)}")
    return " ".join(parts)
