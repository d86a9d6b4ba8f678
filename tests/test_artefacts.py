"""Artefacts derived from the sources (parser tables, unit table, parsed catalogue): a stale or
damaged file is recomputed, never used; what is loaded equals a fresh computation; a cache
directory that cannot be written only costs time."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from qualityrules import resources
from qualityrules.language import parse, units
from qualityrules.packs import resolve
from qualityrules.resources import Artefact, load_artefact, read_artefact, write_artefact


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user cache directory for this test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "qualityrules"


class Counting:
    """An artefact's computation that counts how often it ran."""

    def __init__(self, payload: bytes) -> None:
        self.payload, self.runs = payload, 0

    def __call__(self) -> bytes:
        self.runs += 1
        return self.payload


def test_written_artefact_reads_back_under_its_key_only(tmp_path: Path) -> None:
    path = tmp_path / "a.artefact"
    assert write_artefact(path, "k1", b"payload\nwith lines\n")
    assert read_artefact(path, "k1") == b"payload\nwith lines\n"
    assert read_artefact(path, "k2") is None
    assert read_artefact(tmp_path / "missing.artefact", "k1") is None


@pytest.mark.parametrize("damage", [
    lambda data: data[:-1],                                  # truncated payload
    lambda data: data[:-1] + bytes([data[-1] ^ 1]),          # one bit flipped in the payload
    lambda data: data[:30],                                  # cut inside the header
    lambda data: b"",                                        # empty file
    lambda data: data.replace(b"artefact 1", b"artefact 9"),  # another format
    lambda data: b"garbage" + data,
])
def test_damaged_artefact_is_not_read(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "a.artefact"
    write_artefact(path, "key", b"0123456789" * 10)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert read_artefact(path, "key") is None


def test_load_computes_once_then_reads_the_cache(cache: Path) -> None:
    build = Counting(b"derived")
    artefact = Artefact("thing.artefact", "key-1", build)
    assert load_artefact(artefact, packaged=False) == b"derived"
    assert load_artefact(artefact, packaged=False) == b"derived"
    assert build.runs == 1
    cached = artefact.cache_file()
    assert cached is not None and cached.parent == cache and cached.is_file()


def test_stale_or_damaged_cache_is_recomputed(cache: Path) -> None:
    old = Artefact("thing.artefact", "key-old", Counting(b"old"), cache_name="thing.artefact")
    load_artefact(old, packaged=False)
    build = Counting(b"new")
    new = Artefact("thing.artefact", "key-new", build, cache_name="thing.artefact")
    assert load_artefact(new, packaged=False) == b"new"          # stale: another key
    cached = new.cache_file()
    assert cached is not None
    cached.write_bytes(cached.read_bytes()[:-2] + b"XX")          # damaged
    assert load_artefact(new, packaged=False) == b"new"
    assert build.runs == 2
    assert read_artefact(cached, "key-new") == b"new"             # and stored whole again


@pytest.mark.parametrize("where", ["under a file", "missing", "no home"])
def test_unwritable_or_missing_cache_directory_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               where: str) -> None:
    monkeypatch.chdir(tmp_path)
    if where == "under a file":  # cannot be created, even by root
        (tmp_path / "file").write_text("not a directory")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file" / "xdg"))
    elif where == "missing":
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "does" / "not" / "exist"))
    else:  # a relative XDG_CACHE_HOME is ignored; with no home either there is no cache
        monkeypatch.setenv("XDG_CACHE_HOME", "relative")
        monkeypatch.setattr(resources.os.path, "expanduser", lambda path: path)
    build = Counting(b"derived")
    artefact = Artefact("thing.artefact", "key", build)
    assert load_artefact(artefact, packaged=False) == b"derived"
    assert load_artefact(artefact, packaged=False) == b"derived"
    assert build.runs == (1 if where == "missing" else 2)
    assert list(tmp_path.iterdir()) == ([tmp_path / "file"] if where == "under a file" else
                                        [tmp_path / "does"] if where == "missing" else [])


def test_packaged_artefact_is_used_when_its_key_matches(cache: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    grammar = tmp_path / "grammar"
    grammar.mkdir()
    monkeypatch.setattr(resources, "grammar_path", lambda file="qr.lark": grammar / file)
    write_artefact(grammar / "thing.artefact", "key", b"built with the package")
    build = Counting(b"computed")
    assert load_artefact(Artefact("thing.artefact", "key", build)) == b"built with the package"
    assert build.runs == 0 and not cache.exists()
    # the package's copy is stale (the grammar changed since it was built): computed and cached
    assert load_artefact(Artefact("thing.artefact", "other key", build)) == b"computed"
    assert build.runs == 1 and read_artefact(grammar / "thing.artefact", "key") == b"built with the package"


def test_unit_table_from_an_empty_cache_equals_pint(cache: Path) -> None:
    units._table.cache_clear()
    try:
        assert units._table() == units.derive_table()
    finally:
        units._table.cache_clear()


def test_shipped_unit_table_artefact_equals_pint_when_current() -> None:
    """The copy the build put next to the grammar (if it is current) holds pint's table."""
    artefact = units.unit_table_artefact()
    payload = read_artefact(resources.grammar_path(artefact.name), artefact.key) or load_artefact(artefact)
    assert payload == artefact.build()


def test_parser_artefact_key_follows_grammar_lark_and_the_builder(monkeypatch: pytest.MonkeyPatch) -> None:
    key = parse.parser_artefact().key
    monkeypatch.setattr(parse.lark, "__version__", "0.0.0")
    assert parse.parser_artefact().key != key
    monkeypatch.undo()
    # the pickled parser holds a reduction for each rule with a builder method: a new one is a new parser
    monkeypatch.setattr(parse._Builder, "rule_extra", parse._Builder.rule_name, raising=False)
    assert parse.parser_artefact().key != key


def test_parser_from_an_empty_cache_parses_like_the_shipped_one(cache: Path) -> None:
    text = (resources.rules_dir() / "packs" / "longgang-2015.qr").read_text(encoding="utf-8")
    expected = parse.parse_text(text)
    parse._parser.cache_clear()
    try:
        dropped = pickle.loads(load_artefact(parse.parser_artefact(), packaged=False)).options.transformer.dropped
        assert "_NL" in dropped and "NAME" not in dropped
        assert parse.parse_text(text) == expected
    finally:
        parse._parser.cache_clear()


def test_cached_catalogue_equals_a_fresh_parse(cache: Path) -> None:
    files = tuple(resolve.catalogue_files())
    fresh, fresh_diagnostics = resolve._catalogue_with_diagnostics(files)
    artefact = resolve._catalogue_artefact(files)
    resolve._cached_catalogue.cache_clear()
    try:
        first = resolve._cached_catalogue(files)   # computes and stores
        cached = artefact.cache_file()
        assert cached is not None and read_artefact(cached, artefact.key) is not None
        resolve._cached_catalogue.cache_clear()
        second = resolve._cached_catalogue(files)  # reads the stored one
    finally:
        resolve._cached_catalogue.cache_clear()
    for catalogue, diagnostics in (first, second):
        assert catalogue == fresh and catalogue.names() == fresh.names()
        assert list(diagnostics) == fresh_diagnostics
        assert [i.span for i in catalogue.indicators] == [i.span for i in fresh.indicators]


def test_catalogue_key_follows_the_text(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.qr"
    path.write_text("indicator 甲 {\n    unit %\n}\n", encoding="utf-8")
    key = resolve._catalogue_artefact((path,)).key
    path.write_text("indicator 乙 {\n    unit %\n}\n", encoding="utf-8")
    assert resolve._catalogue_artefact((path,)).key != key
    indicators = pickle.loads(resolve._catalogue_artefact((path,)).build())[0].indicators
    assert [i.name for i in indicators] == ["乙"]


def test_parser_tables_refuse_a_token_kept_in_one_rule_and_dropped_in_another() -> None:
    """The reductions drop tokens by terminal name, so a grammar writing one terminal both as a
    quoted word (dropped) and by its name (kept) cannot be built rather than parsed wrongly."""
    grammar = 'start: "go" item+\nitem: GO WORD\nGO: "go"\nWORD: /[a-z]+/\n%ignore " "\n'
    with pytest.raises(ValueError, match="GO"):
        parse._parser_bytes(grammar.replace("start:", "single_rule: WORD\nstart:"))
    shipped = pickle.loads(parse._parser_bytes((resources.grammar_path("qr.lark")).read_text(encoding="utf-8")))
    assert "_NL" in shipped.options.transformer.dropped
