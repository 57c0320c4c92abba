"""JSON Schemas of the KB files, generated from the field rules in `model.SCHEMAS`, and the field descriptions.

`python -m pakaz.schema` writes them to data/schema/ (`--check` only compares). Editors that
understand JSON Schema in YAML (the YAML language server) use them through the
`# yaml-language-server: $schema=...` line at the top of each KB file.

The schemas are written for two readers of the same file. pakaz reads every scalar as
text, so a date, a year or a value is a string there; an editor reads YAML 1.2, where an
unquoted `2023` is an integer and `72356176470.59` a number. Both must validate, so
`year` and `value` accept either, and a date accepts a string or a bare year. Only
keywords that mean the same in draft-07 are used: the YAML language server implements
draft-07.
"""

from __future__ import annotations

import copy
import inspect
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pakaz import model

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# What each collection is, and what each field means: shown by editors on hover, and
# reused as table and column descriptions in the Datasette metadata of `pakaz export`.
COLLECTIONS: dict[str, str] = {
    "meta": "The knowledge base's own version, date, title and licence.",
    "sources": "The documents the facts rest on.",
    "sectors": "The sector vocabulary.",
    "events": "Things that happened on a date.",
    "agreements": "Signed documents: agreements, MoUs, treaties, declarations, ...",
    "indicators": "Numbers: one value for one country (or the pair) and one year.",
    "envoys": "Ambassadors and charges d'affaires of each country in the other, as terms of office.",
    "errata": "Places where the source article was wrong or unsupported.",
    "synonyms": "Words that search treats as one: a query with any term of a group finds the others.",
}

_FACT = {
    "id": "Unique id across the whole KB: a lowercase slug, stable once published.",
    "sources": "Ids of the sources (sources.yaml) the record rests on; at least one.",
    "verification": (
        "confirmed: an official source, a primary document, a dataset or an established outlet reporting it "
        "states it; reported: only a source of lesser weight does (a single secondary report, a repost, a "
        "mirror, an encyclopedia, a blog); article-only: only the article does; corrected: the article was "
        "wrong and this is the corrected value; disputed: sources disagree."
    ),
    "notes": "Provenance remarks; required for corrected and disputed records.",
}
_STEP = "Date it {}: YYYY, YYYY-MM or YYYY-MM-DD; not before the signing date."

FIELDS: dict[str, dict[str, str]] = {
    "meta": {
        "version": "Version of the KB; bumped with every data change.",
        "date": "Date of this version of the KB.",
        "title": "Title of the KB.",
        "licence": "Licence of the compilation.",
    },
    "sources": {
        "id": _FACT["id"],
        "title": "The headline or title as published; or, with title_supplied, one the KB wrote.",
        "title_supplied": "true when the title is not the published headline (descriptive, rebuilt or translated).",
        "authors": "The authors as bylined.",
        "publisher": "The original outlet or institution, one spelling per outlet.",
        "kind": "article, official, news, document, dataset, reference, archive, analysis or blog.",
        "url": "http(s) URL of the document at its original outlet.",
        "via": "http(s) URL where the text was read when that is not url: a repost, a mirror, another edition.",
        "published": "Publication date: YYYY, YYYY-MM or YYYY-MM-DD.",
        "language": "ISO 639-1 language code, e.g. en, az, ru, ur.",
        "notes": "Remarks: mirror, re-post, reconstructed title, ...",
    },
    "sectors": {
        "id": _FACT["id"],
        "label": "Human label of the sector.",
        "aliases": "Lowercase words accepted for this sector by --sector.",
        "description": "What the sector covers.",
    },
    "events": {
        "id": _FACT["id"],
        "date": "When it happened: YYYY, YYYY-MM or YYYY-MM-DD; null when undated.",
        "end_date": "Last day of an event that lasted more than a day; not before date.",
        "type": "Kind of event: visit, summit, meeting, embassy, ...",
        "title": "Short title, one line.",
        "summary": "One to three sentences, in the KB's own words.",
        "sectors": "Ids of the sectors (sectors.yaml) the event belongs to; at least one.",
        "actors": "People or bodies involved.",
        "place": "Where it happened, e.g. Baku, Azerbaijan.",
        "sources": _FACT["sources"],
        "verification": _FACT["verification"],
        "notes": _FACT["notes"],
    },
    "agreements": {
        "id": _FACT["id"],
        "date": "Signing date: YYYY, YYYY-MM or YYYY-MM-DD; null when unknown.",
        "title": "Title of the document.",
        "type": "Kind of document: mou, agreement, protocol, treaty, ...",
        "sectors": "Ids of the sectors (sectors.yaml) the document belongs to; at least one.",
        "parties": "The signing states or bodies.",
        "signatories": "The people who signed.",
        "place": "Where it was signed.",
        "status": "The latest known step: announced, signed, ratified, in-force or ended.",
        "ratified": _STEP.format("was ratified"),
        "in_force": _STEP.format("entered into force"),
        "ended": _STEP.format("ended (expired, terminated or replaced)"),
        "documents": "With type batch: how many documents the batch holds.",
        "summary": "What the document is about, in the KB's own words.",
        "event": "Id of the event (events.yaml) during which it was signed.",
        "sources": _FACT["sources"],
        "verification": _FACT["verification"],
        "notes": _FACT["notes"],
    },
    "indicators": {
        "id": _FACT["id"],
        "name": "Slug naming the measure, e.g. gdp, trade-turnover.",
        "label": "Human label of the measure, e.g. GDP (current US$).",
        "country": "PAK, AZE, or PAK-AZE for a bilateral figure.",
        "year": "The year; for a fiscal year, the year it ends.",
        "period": "Label of the period, e.g. FY2020-21.",
        "value": "A plain number in unit (72356176470.59, not 72.36 billion).",
        "unit": "USD, percent, people or count.",
        "reporter": "Whose statistics the value is: PAK or AZE (for bilateral figures that differ by side).",
        "sources": _FACT["sources"],
        "verification": _FACT["verification"],
        "notes": _FACT["notes"],
    },
    "envoys": {
        "id": _FACT["id"],
        "person": "Name of the envoy.",
        "post": "pak-to-aze (Pakistan's envoy in Azerbaijan) or aze-to-pak (Azerbaijan's in Pakistan).",
        "role": "ambassador or charge-d-affaires.",
        "start": "First known day in office: YYYY, YYYY-MM or YYYY-MM-DD; null when unknown.",
        "end": "Last day in office, when a source gives it.",
        "seen": "The latest date a source shows the envoy in office.",
        "sources": _FACT["sources"],
        "verification": _FACT["verification"],
        "notes": _FACT["notes"],
    },
    "errata": {
        "id": _FACT["id"],
        "claim": "What the article said.",
        "finding": "What the sources say, in the KB's own words.",
        "status": "contradicted, unsupported, misattributed, imprecise or disputed.",
        "records": "Ids of the events, agreements, indicators and envoys that hold the corrected value.",
        "sources": "Ids of the sources: article, plus the sources of the finding.",
        "notes": _FACT["notes"],
    },
    "synonyms": {
        "id": "Unique id of the group: a lowercase slug.",
        "terms": "The words or phrases of the group, as people type them; each in one group only.",
        "notes": "Why these words go together.",
    },
}

# parse_meta's rules, which model.SCHEMAS does not list: (name, rule, required).
META_FIELDS: tuple[tuple[str, Callable[[Any], Any], bool], ...] = (
    ("version", model.line, True),
    ("date", model.date, True),
    ("title", model.line, True),
    ("licence", model.line, False),
)

_DAY = r"^(?!0000)[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"


def _ascii(pattern: str) -> str:
    # model compiles with re.ASCII; in a schema, [0-9] says so to every regex engine.
    return pattern.replace(r"\d", "[0-9]")


# Each scalar rule as a schema with a type list, so that "null" can be added to it.
# Patterns are anchored with ^...$ (ECMA-262: $ is the end of the text).
_SCALARS: dict[Callable[[Any], Any], dict[str, Any]] = {
    model.text: {"type": ["string"], "pattern": r"\S"},
    model.line: {"type": ["string"], "pattern": r"^[^\n\r]*\S[^\n\r]*$"},
    model.slug: {"type": ["string"], "pattern": f"^{model.SLUG.pattern}$"},
    # An unquoted 1995 is an integer to a YAML 1.2 reader and the text "1995" to pakaz.
    model.date: {"type": ["string", "integer"], "pattern": _DAY, "minimum": 1, "maximum": 9999},
    model.url: {"type": ["string"], "pattern": f"^{model._URL_PATTERN}$"},
    model.language: {"type": ["string"], "pattern": f"^{model._LANG.pattern}$"},
    model.year: {"type": ["string", "integer"], "pattern": "^[12][0-9]{3}$", "minimum": 1000, "maximum": 2999},
    # pakaz reads the text "true"; an editor reading YAML 1.2 sees the boolean.
    model.flag: {"type": ["string", "boolean"], "enum": ["true", "false", True, False]},
    model.count: {"type": ["string", "integer"], "pattern": "^[1-9][0-9]{0,5}$", "minimum": 1, "maximum": 999999},
    model.number: {
        "type": ["string", "number"],
        "pattern": f"^{_ascii(model._NUMBER.pattern)}$",
        "maxLength": model._MAX_NUMBER_CHARS,
    },
}


def rule_schema(rule: Callable[[Any], Any]) -> dict[str, Any]:
    """The JSON Schema of one field rule of `model`; ValueError for a rule it does not know."""
    if rule in _SCALARS:
        return copy.deepcopy(_SCALARS[rule])
    made_by = rule.__qualname__.split(".<locals>.")[0]
    captured = inspect.getclosurevars(rule).nonlocals
    if made_by == "one_of":
        return {"type": ["string"], "enum": list(captured["choices"])}
    if made_by == "list_of":
        schema: dict[str, Any] = {
            "type": ["array"],
            "items": _compact(rule_schema(captured["item"])),
            "uniqueItems": True,
        }
        if captured["nonempty"]:
            schema["minItems"] = 1
        return schema
    raise ValueError(f"no JSON Schema for the field rule {rule.__qualname__}; teach pakaz.schema about it")


def _compact(schema: dict[str, Any]) -> dict[str, Any]:
    if len(schema["type"]) == 1:
        schema["type"] = schema["type"][0]
    return schema


def _property(rule: Callable[[Any], Any], description: str, nullable: bool) -> dict[str, Any]:
    schema = {"description": description, **rule_schema(rule)}
    if nullable:
        schema["type"].append("null")
        if "enum" in schema:
            schema["enum"].append(None)
    return _compact(schema)


def _object(
    collection: str, fields: Iterable[tuple[str, Callable[[Any], Any], bool]], nullable: frozenset[str]
) -> dict[str, Any]:
    fields = list(fields)
    return {
        "type": "object",
        "properties": {
            name: _property(rule, FIELDS[collection][name], nullable=not required or name in nullable)
            for name, rule, required in fields
        },
        "required": [name for name, _rule, required in fields if required],
        "additionalProperties": False,
    }


def collection_schema(collection: str) -> dict[str, Any]:
    """The JSON Schema of one KB file: `collection` is a key of model.SCHEMAS, or "meta"."""
    header = {"$schema": DRAFT, "title": f"pakaz KB: {collection}.yaml", "description": COLLECTIONS[collection]}
    if collection == "meta":
        # parse_meta treats a null value as a missing one: required fields are never null.
        return {**header, **_object("meta", META_FIELDS, frozenset())}
    _cls, fields = model.SCHEMAS[collection]
    return {
        **header,
        "type": "array",
        "items": _object(collection, ((f.name, f.rule, f.required) for f in fields), model.NULLABLE),
    }


def schemas() -> dict[str, str]:
    """File name -> JSON text of every schema, as written to data/schema/."""
    names = ["meta", *model.SCHEMAS]
    return {f"{c}.schema.json": json.dumps(collection_schema(c), indent=2, ensure_ascii=False) + "\n" for c in names}


def stale(directory: Path) -> list[str]:
    """Names of the schema files in `directory` that are missing or differ from `schemas()`."""
    out = []
    for name, text in schemas().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            out.append(name)
    return out


def write(directory: Path) -> list[str]:
    """Write every schema into `directory`; returns the names of the files that changed."""
    changed = stale(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in schemas().items():
        if name in changed:
            (directory / name).write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    import argparse

    import pakaz

    bundled_schemas = Path(next(iter(pakaz.__path__))) / "data" / "schema"  # as kb.bundled_dir() finds the KB
    parser = argparse.ArgumentParser(
        prog="python -m pakaz.schema", description="Write the JSON Schemas of the KB files."
    )
    parser.add_argument("directory", nargs="?", type=Path, default=bundled_schemas, help="default: data/schema")
    parser.add_argument("--check", action="store_true", help="only report out-of-date files (exit 1 if any)")
    args = parser.parse_args(argv)
    if args.check:
        out_of_date = stale(args.directory)
        for name in out_of_date:
            sys.stderr.write(f"{args.directory / name} is out of date; run 'python -m pakaz.schema'\n")
        return 1 if out_of_date else 0
    for name in write(args.directory):
        sys.stderr.write(f"wrote {args.directory.resolve() / name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
