"""Round trips on generated rules and packs: ``parse(format(x)) == x``, ``fmt`` is idempotent,
generated packs resolve, and the inheritance laws hold for generated children."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualityrules
from qualityrules import strategies as qst
from qualityrules.errors import Severity
from qualityrules.language import model as m
from qualityrules.language.format import format_model
from qualityrules.language.parse import parse_rule_text, parse_text
from qualityrules.packs.resolve import extensive, looser

CATALOGUE = qualityrules.load_catalogue()
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse_one_pack(text: str) -> m.PackDefinition:
    rule_file, diagnostics = parse_text(text)
    errors = [d.render() for d in diagnostics if d.severity is Severity.ERROR]
    assert not errors, "\n".join(errors) + "\n" + text
    assert len(rule_file.packs) == 1
    return rule_file.packs[0]


@settings(max_examples=300, deadline=None)
@given(qst.rules())
def test_any_rule_round_trips(rule: m.Rule) -> None:
    text = format_model(rule)
    parsed = parse_rule_text(text)
    assert parsed == rule, text
    assert format_model(parsed) == text


@settings(max_examples=150, deadline=None)
@given(qst.rules(catalogue=CATALOGUE))
def test_catalogue_rule_round_trips(rule: m.Rule) -> None:
    text = format_model(rule)
    assert parse_rule_text(text) == rule, text
    assert rule.indicator in CATALOGUE


@settings(max_examples=200, deadline=None)
@given(qst.quantities())
def test_quantity_round_trips(quantity: m.Quantity) -> None:
    rule = parse_rule_text(f"x >= {format_model(quantity)}")
    assert isinstance(rule.target, m.Comparison)
    assert rule.target.quantity == quantity


@SLOW
@given(qst.packs())
def test_pack_round_trips_and_resolves(definition: m.PackDefinition) -> None:
    text = format_model(definition)
    assert parse_one_pack(text) == definition, text
    again = format_model(parse_one_pack(text))
    assert again == text  # fmt is idempotent
    pack = qualityrules.parse_pack(text)
    assert pack.definition == definition
    assert len(pack.rules) == sum(1 for r in definition.rules if r.unenforced is None)


def check_inheritance(child: qualityrules.Pack) -> None:
    """Every parent target the child does not restate for its regions is inherited unchanged; a
    restated one is replaced, and an override without ``because`` is never looser than what it
    replaces (a parent's totals bind the parent's region only, so a child cannot restate them)."""
    own = child.own_rules
    effective = {(r.origin, r.key, r.text) for r in child.rules}
    for parent in child.parents:
        for inherited in parent.rules:
            applies_here = not extensive(inherited.indicator)
            restating = [o for o in own if o.key == inherited.key
                         and (applies_here or set(o.regions) & set(inherited.regions))]
            if restating:
                assert (inherited.origin, inherited.key, inherited.text) not in effective
                for rule in restating:
                    if rule.rule.justification is None:
                        assert not looser(rule, inherited), (rule.text, inherited.text)
            else:
                assert (inherited.origin, inherited.key, inherited.text) in effective


@SLOW
@given(qst.packs(parents=["guangdong-2015"], min_rules=1))
def test_child_of_a_shipped_pack_obeys_the_inheritance_laws(definition: m.PackDefinition) -> None:
    text = format_model(definition)
    assert parse_one_pack(text) == definition
    child = qualityrules.parse_pack(text)
    assert [p.id for p in child.parents] == ["guangdong-2015"]
    check_inheritance(child)


@SLOW
@given(st.data())
def test_generated_lineage_resolves(data: st.DataObject) -> None:
    parent_definition = data.draw(qst.packs(min_rules=1))
    parent_text = format_model(parent_definition)
    parent = qualityrules.parse_pack(parent_text)
    child_definition = data.draw(qst.packs(parents=[parent], min_rules=1))
    assert child_definition.extends == (parent.id,)
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / f"{parent.id}.qr").write_text(parent_text, encoding="utf-8")
        child = qualityrules.parse_pack(format_model(child_definition), search=(directory,))
    check_inheritance(child)
