"""The JSON Schemas in data/schema: generated from the field rules, and in agreement with `pakaz validate`."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MINI, ROOT
from pakaz import model, schema
from pakaz.kb import FILES, parse_dir
from pakaz.safeyaml import read

DATA = ROOT / "data"
SCHEMA_DIR = DATA / "schema"
COLLECTIONS = [name.removesuffix(".yaml") for name in FILES]


def _ecma_pattern(validator: Any, pattern: str, instance: Any, _schema: Any) -> Any:
    # JSON Schema patterns are ECMA-262 regular expressions, in which `$` matches only at
    # the very end of the text; Python's `$` also matches before a final newline, which
    # would let a folded `title: >` (ending in "\n") through. Editors use ECMA semantics.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    if validator.is_type(instance, "string") and not re.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _ecma_pattern})


def _schema_for(collection: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{collection}.schema.json").read_text(encoding="utf-8"))
    return loaded


def _errors(collection: str, data: Any) -> list[str]:
    return [e.message for e in Validator(_schema_for(collection)).iter_errors(data)]


# --- YAML as an editor reads it ----------------------------------------------------------


class Yaml12Loader(yaml.SafeLoader):
    """The YAML 1.2 core schema, as the YAML language server types scalars: no dates, no `yes`."""


Yaml12Loader.yaml_implicit_resolvers = {}
_CORE_RESOLVERS = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
]
for _tag, _regexp, _first in _CORE_RESOLVERS:
    Yaml12Loader.add_implicit_resolver(_tag, re.compile(_regexp), _first)


def _core_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)  # 1.2: a leading zero is not octal


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _core_int)


def _as_editor_reads(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Yaml12Loader)  # a SafeLoader subclass


def _as_pakaz_reads(path: Path) -> Any:
    data, problems = read(str(path))
    assert not problems
    return data


# --- the files ---------------------------------------------------------------------------


def test_committed_schemas_equal_the_generator_output() -> None:
    assert schema.stale(SCHEMA_DIR) == [], "data/schema is out of date: run 'python -m pakaz.schema'"
    assert sorted(p.name for p in SCHEMA_DIR.iterdir()) == sorted(schema.schemas())


def test_check_mode_reports_a_drifted_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert schema.main([str(tmp_path)]) == 0
    assert schema.main([str(tmp_path), "--check"]) == 0
    (tmp_path / "events.schema.json").write_text("{}\n", encoding="utf-8")
    assert schema.main([str(tmp_path), "--check"]) == 1
    assert "events.schema.json is out of date; run 'python -m pakaz.schema'" in capsys.readouterr().err


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_schema_is_valid_in_draft_2020_12_and_draft_07(collection: str) -> None:
    loaded = _schema_for(collection)
    assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(loaded)
    jsonschema.Draft7Validator.check_schema(loaded)  # what the YAML language server implements


# Keywords whose meaning is the same in draft-07 and 2020-12 (no $defs, no prefixItems, ...).
PORTABLE = {
    "$schema", "title", "description", "type", "properties", "required", "additionalProperties",
    "items", "minItems", "uniqueItems", "enum", "pattern", "minimum", "maximum", "maxLength",
}  # fmt: skip


def _keywords(node: Any, inside_properties: bool = False) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_keywords(n) for n in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set() if inside_properties else set(node)
    for key, value in node.items():
        if key == "enum":
            continue
        found |= _keywords(value, inside_properties=key == "properties" and not inside_properties)
    return found


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_schema_uses_only_keywords_an_editor_understands(collection: str) -> None:
    assert _keywords(_schema_for(collection)) <= PORTABLE


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_each_kb_file_names_its_schema_on_its_first_line(collection: str) -> None:
    path = DATA / f"{collection}.yaml"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == f"# yaml-language-server: $schema=schema/{collection}.schema.json"
    assert (path.parent / first.split("$schema=")[1]).is_file()  # relative to the YAML file, as editors resolve it


@pytest.mark.parametrize("collection", model.SCHEMAS)
def test_schema_follows_the_field_rules(collection: str) -> None:
    items = _schema_for(collection)["items"]
    _cls, fields = model.SCHEMAS[collection]
    assert list(items["properties"]) == [f.name for f in fields]
    assert items["required"] == [f.name for f in fields if f.required]
    assert items["additionalProperties"] is False
    for f in fields:
        assert items["properties"][f.name]["description"], f"no description for {collection}.{f.name}"


def test_enums_come_from_the_vocabularies() -> None:
    events = _schema_for("events")["items"]["properties"]
    assert events["type"]["enum"] == list(model.EVENT_TYPES)
    assert events["verification"]["enum"] == list(model.VERIFICATION)
    status = _schema_for("agreements")["items"]["properties"]["status"]
    assert status["enum"] == [*model.AGREEMENT_STATUS, None]  # optional: null means absent


def test_an_unknown_rule_is_an_error_not_a_silent_gap() -> None:
    def shout(raw: Any) -> Any:
        return raw

    with pytest.raises(ValueError, match="no JSON Schema for the field rule"):
        schema.rule_schema(shout)


# --- the KB validates, read either way -----------------------------------------------------


@pytest.mark.parametrize("kb", [DATA, MINI], ids=["bundled", "mini"])
@pytest.mark.parametrize("collection", COLLECTIONS)
def test_kb_validates_as_pakaz_reads_it(kb: Path, collection: str) -> None:
    assert _errors(collection, _as_pakaz_reads(kb / f"{collection}.yaml")) == []


@pytest.mark.parametrize("kb", [DATA, MINI], ids=["bundled", "mini"])
@pytest.mark.parametrize("collection", COLLECTIONS)
def test_kb_validates_as_an_editor_reads_it(kb: Path, collection: str) -> None:
    data = _as_editor_reads(kb / f"{collection}.yaml")
    assert _errors(collection, data) == []


def test_the_editor_view_really_has_numbers() -> None:
    # Guards the test above: it would prove nothing if the loader read everything as text.
    gdp = next(r for r in _as_editor_reads(MINI / "indicators.yaml") if r["id"] == "gdp-aze-2023")
    assert gdp["year"] == 2023
    assert gdp["value"] == 72356176470.59
    assert _as_pakaz_reads(MINI / "indicators.yaml")[1]["year"] == "2023"


# --- agreement with `pakaz validate` on variants of the mini KB -----------------------------

# (id, file, edits, what pakaz says): each variant is rejected by `pakaz validate` for a reason
# a schema can see, and so must be rejected by the schema.
REJECTED = [
    (
        "missing-field",
        "agreements.yaml",
        [("  summary: Military cooperation.\n", "")],
        "missing required field 'summary'",
    ),
    ("missing-date-key", "events.yaml", [('  date: "1995-03-01"\n', "")], "missing required field 'date'"),
    ("null-required", "events.yaml", [("  summary: In March.", "  summary:")], "field 'summary': expected text"),
    ("blank-text", "events.yaml", [("  summary: In March.", '  summary: "  "')], "field 'summary': expected text"),
    (
        "list-for-text",
        "events.yaml",
        [("title: An embassy opens", "title: [An, embassy]")],
        "expected text, found a list",
    ),
    ("text-for-list", "events.yaml", [("  sectors: [defence]", "  sectors: defence")], "expected a list"),
    ("empty-list", "events.yaml", [("  sectors: [defence]", "  sectors: []")], "expected at least one item"),
    ("mapping-for-text", "sources.yaml", [("publisher: Unknown", "publisher: {name: Unknown}")], "found a mapping"),
    ("multi-line-title", "events.yaml", [("title: An embassy opens", "title: >\n    An embassy opens")], "single line"),
    ("unknown-key", "events.yaml", [("  summary: Ongoing.", "  summary: Ongoing.\n  sumary: typo")], "unknown field"),
    ("unknown-meta-key", "meta.yaml", [("title: Fixture", "titel: x\ntitle: Fixture")], "unknown field 'titel'"),
    ("missing-meta-version", "meta.yaml", [('version: "0.9.0"\n', "")], "missing required field 'version'"),
    ("bad-event-type", "events.yaml", [("type: embassy", "type: embasy")], "expected one of"),
    (
        "bad-verification",
        "agreements.yaml",
        [("verification: article-only", "verification: article")],
        "expected one of",
    ),
    ("bad-status", "agreements.yaml", [("status: signed", "status: Signed")], "expected one of"),
    ("bad-unit", "indicators.yaml", [("value: 1.2\n  unit: percent", "value: 1.2\n  unit: pct")], "expected one of"),
    (
        "bad-country",
        "indicators.yaml",
        [("country: PAK\n  year: 2019", "country: PK\n  year: 2019")],
        "expected one of",
    ),
    ("bad-kind", "sources.yaml", [("kind: news", "kind: podcast")], "expected one of"),
    ("bad-errata-status", "errata.yaml", [("status: contradicted", "status: wrong")], "expected one of"),
    ("bad-slug-id", "events.yaml", [("id: march-event", "id: March_Event")], "expected a lowercase slug"),
    (
        "bad-slug-in-list",
        "events.yaml",
        [
            (
                "sources: [gov-record]\n  verification: confirmed\n- id: energy",
                "sources: [Gov Record]\n  verification: confirmed\n- id: energy",
            )
        ],
        "slug",
    ),
    (
        "bad-slug-alias",
        "sectors.yaml",
        [("aliases: [diplomatic]", "aliases: [Diplomatic]")],
        "expected a lowercase slug",
    ),
    ("bad-date-shape", "events.yaml", [('date: "1995-03-01"', 'date: "1995/03/01"')], "is not a date"),
    ("bad-date-month", "events.yaml", [('date: "1995-03-01"', 'date: "1995-13"')], "has no month 13"),
    ("bad-date-words", "events.yaml", [('date: "1995-03-01"', "date: March 1995")], "is not a date"),
    ("bad-year-zero", "events.yaml", [('date: "1995-03-01"', 'date: "0000"')], "has year 0000"),
    ("bad-published", "sources.yaml", [('published: "2020"', 'published: "20-20"')], "is not a date"),
    ("bad-year", "indicators.yaml", [("year: 2019", "year: 19")], "expected a four-digit year"),
    ("bad-fiscal-year", "indicators.yaml", [("year: 2019", "year: 2019-20")], "expected a four-digit year"),
    ("bad-value-words", "indicators.yaml", [("value: 1.2", "value: 1.2 percent")], "expected a plain number"),
    (
        "bad-value-comma",
        "indicators.yaml",
        [("value: 78810000000", "value: 78,810,000,000")],
        "expected a plain number",
    ),
    ("bad-value-octal", "indicators.yaml", [("value: 1.2", "value: 012")], "leading zero"),
    (
        "bad-url",
        "sources.yaml",
        [("url: https://example.org/record", "url: example.org/record")],
        "expected an http(s) URL",
    ),
    ("bad-language", "sources.yaml", [("kind: article", "kind: article\n  language: English")], "ISO 639-1"),
    ("not-a-list", "errata.yaml", [("- id: erratum-gdp-unit", "erratum:\n  id: erratum-gdp-unit")], "expected a list"),
    (
        "not-a-mapping",
        "errata.yaml",
        [("- id: erratum-gdp-unit", "- just text\n- id: erratum-gdp-unit")],
        "expected a mapping",
    ),
]


# YAML 1.2 reads an unquoted 012 as the integer 12: an editor cannot see the leading zero.
EDITOR_BLIND = {"bad-value-octal"}


@pytest.mark.parametrize(("file", "edits", "said"), [case[1:] for case in REJECTED], ids=[c[0] for c in REJECTED])
def test_what_pakaz_rejects_the_schema_rejects(
    kb_variant: Callable[..., Path], request: pytest.FixtureRequest, file: str, edits: list[tuple[str, str]], said: str
) -> None:
    directory = kb_variant({file: edits})
    kb, problems = parse_dir(directory)
    assert kb is None
    assert any(said in p.message for p in problems), problems
    collection = file.removesuffix(".yaml")
    assert _errors(collection, _as_pakaz_reads(directory / file)), "the schema accepts what pakaz rejects"
    if request.node.callspec.id not in EDITOR_BLIND:
        assert _errors(collection, _as_editor_reads(directory / file)), "an editor's reading passes the schema"


# Variants `pakaz validate` accepts: the schema must accept them too, read either way.
ACCEPTED = [
    ("unquoted-year-date", "events.yaml", [('date: "1995"', "date: 1995")]),
    ("unquoted-full-date", "events.yaml", [('date: "1995-03-01"', "date: 1995-03-01")]),
    ("unquoted-month-date", "events.yaml", [('date: "1995-03-01"', "date: 1995-03")]),
    ("null-optional", "events.yaml", [("  place: Baku, Azerbaijan", "  place: null")]),
    ("null-optional-list", "sectors.yaml", [("aliases: [diplomatic]", "aliases:")]),
    ("empty-optional-list", "sectors.yaml", [("aliases: [diplomatic]", "aliases: []")]),
    ("quoted-year", "indicators.yaml", [("year: 2019", 'year: "2019"')]),
    ("quoted-value", "indicators.yaml", [("value: 1.2", 'value: "1.2"')]),
    ("exponent-value", "indicators.yaml", [("value: 1.2", "value: 1.2e3")]),
    ("negative-value", "indicators.yaml", [("value: 1.2", "value: -1.2")]),
    ("norwegian", "sources.yaml", [("kind: article", "kind: article\n  language: no")]),
    ("literal-summary", "events.yaml", [("summary: In March.", "summary: |\n    In March.\n    Two lines.")]),
    ("optional-status-absent", "agreements.yaml", [("  status: signed\n", "")]),
]  # fmt: skip


@pytest.mark.parametrize(("file", "edits"), [case[1:] for case in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_what_pakaz_accepts_the_schema_accepts(
    kb_variant: Callable[..., Path], file: str, edits: list[tuple[str, str]]
) -> None:
    directory = kb_variant({file: edits})
    kb, problems = parse_dir(directory)
    assert kb is not None, problems
    collection = file.removesuffix(".yaml")
    assert _errors(collection, _as_pakaz_reads(directory / file)) == []
    assert _errors(collection, _as_editor_reads(directory / file)) == []


# --- each scalar rule and its schema, on generated text -------------------------------------

EXACT = [model.text, model.line, model.slug, model.url, model.language, model.year]


@functools.cache
def _validator(rule: Callable[[Any], Any]) -> Any:
    return Validator(schema.rule_schema(rule))


def _accepts(rule: Callable[[Any], Any], value: str) -> bool:
    return bool(_validator(rule).is_valid(value))


def _examples(rule: Callable[[Any], Any]) -> st.SearchStrategy[str]:
    pattern = schema.rule_schema(rule)["pattern"]
    return st.one_of(st.text(max_size=12), st.from_regex(pattern, fullmatch=True).map(str))


@pytest.mark.parametrize("rule", EXACT, ids=lambda r: r.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_string_rule_and_schema_agree(rule: Callable[[Any], Any], data: st.DataObject) -> None:
    value = data.draw(_examples(rule))
    assert (not isinstance(rule(value), model.Invalid)) == _accepts(rule, value), repr(value)


# One way only for these: the schema cannot know that February has no 30th, nor that
# 1e999 overflows; `pakaz validate` does.
ONE_WAY = [model.date, model.number]


@pytest.mark.parametrize("rule", ONE_WAY, ids=lambda r: r.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_what_a_rule_accepts_its_schema_accepts(rule: Callable[[Any], Any], data: st.DataObject) -> None:
    value = data.draw(_examples(rule))
    if not isinstance(rule(value), model.Invalid):
        assert _accepts(rule, value), repr(value)


@pytest.mark.parametrize("text", ["1e999", "1" * 101, "2024-02-30"])
def test_what_only_pakaz_validate_catches(text: str) -> None:
    rule = model.date if "-" in text else model.number
    assert isinstance(rule(text), model.Invalid)
    assert _accepts(rule, text) == (text != "1" * 101)  # the length limit is in the schema too
