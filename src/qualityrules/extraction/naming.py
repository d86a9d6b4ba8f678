"""Binding a target's words to the indicator catalogue, and proposing the indicators it lacks.

A finding offers several names made from the text's own words (``工业废水达标排放比例``,
``获得…认证的规模以上工业企业``); the first that *is* a catalogue name or alias binds — compared
after the normalisation every catalogue lookup uses, and without the function words plans add or
drop (的, 和, 、, quotes). Close names are only suggested, never bound: 城镇登记失业率 and
城镇调查失业率 are different statistics. A target no name of which is in the catalogue gets a
proposed indicator (unit and direction from the text) for the author to review.
"""

from __future__ import annotations

import difflib
import functools
import re

import attrs

from ..language import model as m
from ..language.text import normalize
from ..language.units import POINT_SPELLINGS, grammar_spellings
from ..packs.resolve import Catalogue
from .targets import Finding

__all__ = ["Binding", "CatalogueIndex", "match_key", "proposed_indicator", "guess_direction"]

_FUNCTION_WORDS = re.compile(r"[\s的、和及与,，“”\"'《》·]")
_LOWER_IS_BETTER = re.compile(
    r"失业率|事故|死亡|伤亡|发生率|发病率|能耗|水耗|物耗|排放|浓度|污染|超标|不合格|投诉|劣|周期|时长|耗时|用时|"
    r"噪声|PM2\.5|PM10|细颗粒物|可吸入颗粒物|成本|差错|逾期|积压|重度|下降率|降低率|赤字|负债率|不良|时限|"
    r"(开办|办理|审批|办结|登记|通关|等待|处理|响应)时间")


def match_key(name: str) -> str:
    """How names are compared when binding: normalised, without white space and function words."""
    return _FUNCTION_WORDS.sub("", normalize(name))


@attrs.frozen
class Binding:
    indicator: m.Indicator | None       # bound: the catalogue's indicator
    name: str                           # the name the draft writes
    matched: str | None = None          # which of the text's names matched
    suggestions: tuple[str, ...] = ()   # close catalogue names (for the review comment)


class CatalogueIndex:
    """The catalogue's names and aliases by :func:`match_key`; a key two indicators share binds
    neither."""

    def __init__(self, catalogue: Catalogue) -> None:
        index: dict[str, m.Indicator | None] = {}
        for indicator in catalogue.indicators:
            for name in (indicator.name, *indicator.aliases):
                key = match_key(name)
                if key in index and index[key] is not indicator:
                    index[key] = None
                else:
                    index[key] = indicator
        self.catalogue = catalogue
        self.index = index
        self.keys = {key: indicator.name for key, indicator in index.items() if indicator is not None}
        self.by_bigram: dict[str, set[str]] = {}
        for key in self.keys:
            for i in range(len(key) - 1):
                self.by_bigram.setdefault(key[i:i + 2], set()).add(key)
        self.suggested: dict[str, tuple[str, ...]] = {}

    def bind(self, finding: Finding) -> Binding:
        for name in finding.names:
            indicator = self.index.get(match_key(name))
            if indicator is not None:
                return Binding(indicator, indicator.name, name)
        return Binding(None, _clean(finding.subject), None, self.suggest(finding))

    def suggest(self, finding: Finding) -> tuple[str, ...]:
        """Close catalogue names (difflib's ratio ≥ 0.6) among those sharing two characters in a
        row with the text's name."""
        found: dict[str, None] = {}
        for name in finding.names[:3]:
            for close in self.close(match_key(name)):
                found.setdefault(close)
        return tuple(found)[:3]

    def close(self, key: str) -> tuple[str, ...]:
        if key not in self.suggested:
            near = {k for i in range(len(key) - 1) for k in self.by_bigram.get(key[i:i + 2], ())}
            close = difflib.get_close_matches(key, sorted(near), n=3, cutoff=0.6)
            self.suggested[key] = tuple(self.keys[c] for c in close)
        return self.suggested[key]


def _clean(name: str) -> str:
    """A proposed name: the text's words without quotes or white space."""
    return re.sub(r"[\s“”\"'《》]", "", name)


def guess_direction(name: str, target: m.Target | None) -> m.Direction:
    """Which way the indicator gets better: from the target's bound when it has one (以下 → lower),
    else from the name (能耗, 浓度, 失业率 … are lower-is-better)."""
    if isinstance(target, m.Comparison) and target.op.direction:
        return m.Direction.HIGHER if target.op.direction > 0 else m.Direction.LOWER
    if isinstance(target, m.Change):
        return m.Direction.HIGHER if target.direction is m.ChangeDirection.UP else m.Direction.LOWER
    if isinstance(target, m.Comparison) and target.quantity.unit == "位":
        return m.Direction.LOWER
    return m.Direction.LOWER if _LOWER_IS_BETTER.search(name) else m.Direction.HIGHER


def proposed_unit(finding: Finding) -> str | None:
    """The unit to propose for a new indicator: as written, magnitude included when the language
    has the combined spelling (``6万元`` → 万元, ``3万家`` → 家)."""
    unit = finding.value.unit
    if unit is None or unit in POINT_SPELLINGS or "较" in finding.target:
        return "%" if "较" in finding.target else unit
    magnitude = re.search(r"(万亿|亿|万|千)" + re.escape(unit) + "$", finding.value.written)
    if magnitude and magnitude.group(1) + unit in _spellings():
        return magnitude.group(1) + unit
    return unit


@functools.lru_cache(maxsize=1)
def _spellings() -> frozenset[str]:
    return frozenset(grammar_spellings())


def proposed_indicator(name: str, finding: Finding, target: m.Target | None, description: str) -> m.Indicator:
    unit = proposed_unit(finding)
    if isinstance(target, m.Change):
        # a change in 百分点 is a change of a share (%); a relative change does not state the level's unit
        points = any(q.unit in POINT_SPELLINGS for q in m.quantities(target))
        unit = "%" if points else None
    return m.Indicator(name, unit, guess_direction(name, target), description=description)
