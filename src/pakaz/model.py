"""Typed, immutable records of the knowledge base, and the field rules that parse raw YAML into them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from pakaz.dates import check_partial
from pakaz.errors import TERMINAL_UNSAFE, Problem

VERIFICATION = ("confirmed", "reported", "article-only", "corrected", "disputed")
EVENT_TYPES = (
    "recognition", "diplomatic-relations", "embassy", "ambassador", "visit", "summit",
    "meeting", "statement", "un", "exercise", "flight", "culture", "institution",
    "anniversary", "policy", "other",
)  # fmt: skip
AGREEMENT_TYPES = (
    "mou", "agreement", "protocol", "treaty", "convention", "contract", "declaration",
    "programme", "statement", "amendment", "batch",
)  # fmt: skip
# The latest known step of a document's life; the dates of each step are fields of their own.
AGREEMENT_STATUS = ("announced", "signed", "ratified", "in-force", "ended")
SOURCE_KINDS = (
    "article", "official", "news", "document", "dataset", "reference", "archive", "analysis", "blog",
)  # fmt: skip
ENVOY_POSTS = ("pak-to-aze", "aze-to-pak")
ENVOY_ROLES = ("ambassador", "charge-d-affaires")
UNITS = ("USD", "percent", "people", "count")
COUNTRIES = ("PAK", "AZE", "PAK-AZE")
REPORTERS = ("PAK", "AZE")  # whose statistics a bilateral figure is
ERRATUM_STATUS = ("contradicted", "unsupported", "misattributed", "imprecise", "disputed")

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
# re.ASCII: `\d` must not match other scripts' digits ("١٢٣"), which int() would silently convert.
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?", re.ASCII)
_MAX_NUMBER_CHARS = 100  # far beyond any real figure; int() of thousands of digits is slow or refused
# Not valid anywhere in a URL (RFC 3986), and what lets a URL break out of BibTeX, Markdown or HTML:
# braces, pipes, backslashes, carets, backquotes, angle brackets, quotes, controls and bidi marks.
_NOT_IN_URL = r"{}|\\^`<>\"\x00-\x20" + TERMINAL_UNSAFE
_URL_PATTERN = rf"https?://[^\s/$.?#{_NOT_IN_URL}][^\s{_NOT_IN_URL}]*"
_url_checks: list[re.Pattern[str]] = []  # compiled when a URL is first checked: not on a cached run


def _url_patterns() -> list[re.Pattern[str]]:
    """(what may not be in a URL, what a URL is)."""
    if not _url_checks:
        _url_checks.extend((re.compile(f"[{_NOT_IN_URL}]"), re.compile(_URL_PATTERN)))
    return _url_checks


# Bounds far above any real record, so that a hostile KB cannot make a command run for minutes.
MAX_LINE = 500  # a title, a label, a name
MAX_TEXT = 5_000  # a summary, a note
MAX_URL = 2_000
MAX_ITEMS = 200  # sources, sectors, actors, ... of one record
_LANG = re.compile(r"[a-z]{2,3}")


class Meta(NamedTuple):
    version: str
    date: str
    title: str
    licence: str | None


class Source(NamedTuple):
    id: str
    title: str
    # True when `title` was written for the KB (descriptive, rebuilt, translated), not the published headline.
    title_supplied: bool
    authors: tuple[str, ...]
    publisher: str
    kind: str
    url: str | None
    # Where the text was read when that is not `url`: a repost, a mirror, another edition.
    via: str | None
    published: str | None
    language: str | None
    notes: str | None


class Sector(NamedTuple):
    id: str
    label: str
    aliases: tuple[str, ...]
    description: str | None


class Event(NamedTuple):
    id: str
    date: str | None
    end_date: str | None
    type: str
    title: str
    summary: str
    sectors: tuple[str, ...]
    actors: tuple[str, ...]
    place: str | None
    sources: tuple[str, ...]
    verification: str
    notes: str | None


class Agreement(NamedTuple):
    id: str
    date: str | None
    title: str
    type: str
    sectors: tuple[str, ...]
    parties: tuple[str, ...]
    signatories: tuple[str, ...]
    place: str | None
    status: str | None
    ratified: str | None
    in_force: str | None
    ended: str | None
    documents: int | None  # with type batch: how many documents the batch holds
    summary: str
    event: str | None
    sources: tuple[str, ...]
    verification: str
    notes: str | None


class Indicator(NamedTuple):
    id: str
    name: str
    label: str
    country: str
    year: int
    period: str | None
    value: int | float
    unit: str
    reporter: str | None
    sources: tuple[str, ...]
    verification: str
    notes: str | None


class Envoy(NamedTuple):
    """One person's term as one country's envoy in the other."""

    id: str
    person: str
    post: str
    role: str
    start: str | None
    end: str | None
    seen: str | None
    sources: tuple[str, ...]
    verification: str
    notes: str | None


class Erratum(NamedTuple):
    id: str
    claim: str
    finding: str
    status: str
    records: tuple[str, ...]
    sources: tuple[str, ...]
    notes: str | None


class Synonym(NamedTuple):
    """Words that `search` treats as one: a query with any of them finds records with any other."""

    id: str
    terms: tuple[str, ...]
    notes: str | None


Record = Source | Sector | Event | Agreement | Indicator | Envoy | Erratum | Synonym
Fact = Event | Agreement | Indicator | Envoy

# --- field rules -----------------------------------------------------------------
# A rule turns a raw value (str, None, Seq or Map from safeyaml) into a typed
# value, or returns an error message. Raising is reserved for programming errors.


class Invalid(NamedTuple):
    message: str


Rule = Callable[[Any], Any]


def _describe(raw: Any) -> str:
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, dict):
        return "a mapping"
    return "empty" if raw is None else f"'{_clip(raw)}'"


def _clip(text: str, width: int = 60) -> str:
    """`text` shortened for quoting in a one-line message."""
    return text if len(text) <= width else text[: width - 1] + "…"


def text(raw: Any) -> Any:
    if isinstance(raw, str) and raw.strip():
        if len(raw) > MAX_TEXT:
            return Invalid(f"text of {len(raw):,} characters is too long; write at most {MAX_TEXT:,}")
        return raw
    return Invalid(f"expected text, found {_describe(raw)}")


def line(raw: Any) -> Any:
    value = text(raw)
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        return Invalid("must be a single line")
    if isinstance(value, str) and len(value) > MAX_LINE:
        return Invalid(f"a line of {len(value):,} characters is too long; write at most {MAX_LINE:,}")
    return value


def slug(raw: Any) -> Any:
    if isinstance(raw, str) and SLUG.fullmatch(raw):
        return raw
    return Invalid(f"expected a lowercase slug like 'gdp-pak-2023' ([a-z0-9-]), found {_describe(raw)}")


def date(raw: Any) -> Any:
    if not isinstance(raw, str) or len(raw) > 10:
        return Invalid(f"expected a date (YYYY, YYYY-MM or YYYY-MM-DD), found {_describe(raw)}")
    why = check_partial(raw)
    return Invalid(why) if why else raw


def url(raw: Any) -> Any:
    if isinstance(raw, str) and len(raw) > MAX_URL:
        return Invalid(f"a URL of {len(raw):,} characters is too long; write at most {MAX_URL:,}")
    forbidden, url_pattern = _url_patterns()
    if isinstance(raw, str) and raw.startswith(("http://", "https://")):
        bad = forbidden.search(raw)
        if bad:
            return Invalid(f"'{ascii(bad.group())[1:-1]}' is not valid in a URL; percent-encode it")
    if isinstance(raw, str) and url_pattern.fullmatch(raw):
        return raw
    return Invalid(f"expected an http(s) URL, found {_describe(raw)}")


def language(raw: Any) -> Any:
    if isinstance(raw, str) and _LANG.fullmatch(raw):
        return raw
    return Invalid(f"expected an ISO 639-1 language code like 'en', found {_describe(raw)}")


def year(raw: Any) -> Any:
    if isinstance(raw, str) and re.fullmatch(r"[12][0-9]{3}", raw):
        return int(raw)
    return Invalid(f"expected a four-digit year, found {_describe(raw)}")


def number(raw: Any) -> Any:
    if isinstance(raw, str) and len(raw) > _MAX_NUMBER_CHARS:
        return Invalid(f"a number of {len(raw)} characters is too long; write at most {_MAX_NUMBER_CHARS}")
    if isinstance(raw, str) and _NUMBER.fullmatch(raw):
        if not ("." in raw or "e" in raw or "E" in raw):
            return int(raw)
        value = float(raw)
        # Never store something other than what the author wrote: 1e999 is not infinity, 1e-999 not 0.
        if not math.isfinite(value):
            return Invalid(f"'{raw}' is too large for a number; check the exponent")
        if value == 0 and raw.split("e")[0].split("E")[0].strip("-0."):
            return Invalid(f"'{raw}' is too small to be told apart from 0; check the exponent")
        return value
    if isinstance(raw, str) and re.fullmatch(r"-?0[0-9]+(\.[0-9]+)?", raw):
        return Invalid(f"'{raw}' has a leading zero, which YAML 1.1 reads as octal; write it without")
    return Invalid(f"expected a plain number like 72356176470.59, found {_describe(raw)}")


def flag(raw: Any) -> Any:
    if raw in ("true", "false"):
        return raw == "true"
    return Invalid(f"expected true or false, found {_describe(raw)}")


def count(raw: Any) -> Any:
    if isinstance(raw, str) and re.fullmatch(r"[1-9][0-9]{0,5}", raw):
        return int(raw)
    return Invalid(f"expected a whole number of documents like 15, found {_describe(raw)}")


def one_of(choices: tuple[str, ...]) -> Rule:
    def rule(raw: Any) -> Any:
        if isinstance(raw, str) and raw in choices:
            return raw
        return Invalid(f"expected one of {', '.join(choices)}; found {_describe(raw)}{suggest(raw, choices)}")

    return rule


def list_of(item: Rule, *, nonempty: bool = False) -> Rule:
    def rule(raw: Any) -> Any:
        if raw is None and not nonempty:
            return ()
        if not isinstance(raw, list):
            return Invalid(f"expected a list, found {_describe(raw)}")
        if nonempty and not raw:
            return Invalid("expected at least one item")
        if len(raw) > MAX_ITEMS:
            return Invalid(f"a list of {len(raw):,} items is too long; give at most {MAX_ITEMS}")
        values = []
        seen = set()
        for element in raw:
            value = item(element)
            if isinstance(value, Invalid):
                return value
            if value in seen:  # a reference listed twice would be counted twice
                return Invalid(f"'{_clip(str(value))}' is listed twice")
            seen.add(value)
            values.append(value)
        return tuple(values)

    return rule


def suggest(raw: Any, choices: Any) -> str:
    """A ' (did you mean ...?)' suffix, or nothing."""
    if not isinstance(raw, str) or len(raw) > 200:  # a long value is no typo, and costs time to compare
        return ""
    import difflib  # only on the error path: it costs startup time

    close = difflib.get_close_matches(raw.lower(), list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)"


class Field(NamedTuple):
    name: str
    rule: Rule
    required: bool


def F(name: str, rule: Rule, required: bool = True) -> Field:  # a capital: it reads as a table
    return Field(name, rule, required)


_FACT_TAIL = (
    F("sources", list_of(slug, nonempty=True)),
    F("verification", one_of(VERIFICATION)),
    F("notes", text, False),
)

SCHEMAS: dict[str, tuple[type, tuple[Field, ...]]] = {
    "sources": (Source, (
        F("id", slug), F("title", line), F("title_supplied", flag, False), F("authors", list_of(line), False),
        F("publisher", line), F("kind", one_of(SOURCE_KINDS)), F("url", url, False), F("via", url, False),
        F("published", date, False), F("language", language, False), F("notes", text, False),
    )),
    "sectors": (Sector, (
        F("id", slug), F("label", line), F("aliases", list_of(slug), False),
        F("description", text, False),
    )),
    "events": (Event, (
        F("id", slug), F("date", date), F("end_date", date, False), F("type", one_of(EVENT_TYPES)),
        F("title", line), F("summary", text), F("sectors", list_of(slug, nonempty=True)),
        F("actors", list_of(line), False), F("place", line, False), *_FACT_TAIL,
    )),
    "agreements": (Agreement, (
        F("id", slug), F("date", date), F("title", line), F("type", one_of(AGREEMENT_TYPES)),
        F("sectors", list_of(slug, nonempty=True)), F("parties", list_of(line, nonempty=True)),
        F("signatories", list_of(line), False), F("place", line, False),
        F("status", one_of(AGREEMENT_STATUS), False), F("ratified", date, False),
        F("in_force", date, False), F("ended", date, False), F("documents", count, False),
        F("summary", text), F("event", slug, False), *_FACT_TAIL,
    )),
    "indicators": (Indicator, (
        F("id", slug), F("name", slug), F("label", line), F("country", one_of(COUNTRIES)),
        F("year", year), F("period", line, False), F("value", number), F("unit", one_of(UNITS)),
        F("reporter", one_of(REPORTERS), False), *_FACT_TAIL,
    )),
    "envoys": (Envoy, (
        F("id", slug), F("person", line), F("post", one_of(ENVOY_POSTS)), F("role", one_of(ENVOY_ROLES)),
        F("start", date), F("end", date, False), F("seen", date, False), *_FACT_TAIL,
    )),
    "errata": (Erratum, (
        F("id", slug), F("claim", text), F("finding", text), F("status", one_of(ERRATUM_STATUS)),
        F("records", list_of(slug), False), F("sources", list_of(slug, nonempty=True)),
        F("notes", text, False),
    )),
    "synonyms": (Synonym, (
        F("id", slug), F("terms", list_of(line, nonempty=True)), F("notes", text, False),
    )),
}  # fmt: skip

# `date` may be null (an undated record) but the key must be there.
NULLABLE = frozenset({"date", "start"})


def parse_record(collection: str, raw: Any, file: str, line: int) -> tuple[Any, list[Problem]]:
    """Parse one raw mapping into its record type; returns (record or None, problems)."""
    cls, fields = SCHEMAS[collection]
    if not isinstance(raw, dict):
        return None, [Problem(file, line, f"expected a mapping of fields, found {_describe(raw)}")]
    key_lines: dict[str, int] = getattr(raw, "key_lines", {})
    problems: list[Problem] = []
    names = [f.name for f in fields]
    for key in raw:
        if key not in names:
            hint = suggest(key, names)
            problems.append(Problem(file, key_lines.get(key, line), f"unknown field '{_clip(key)}'{hint}"))
    values: dict[str, Any] = {}
    for f in fields:
        here = key_lines.get(f.name, line)
        if f.name not in raw:
            if f.required:
                problems.append(Problem(file, line, f"missing required field '{f.name}'"))
            values[f.name] = _EMPTY.get(f.name)
            continue
        value = raw[f.name]
        if value is None and (not f.required or f.name in NULLABLE):
            values[f.name] = _EMPTY.get(f.name)
            continue
        parsed = f.rule(value)
        if isinstance(parsed, Invalid):
            problems.append(Problem(file, here, f"field '{f.name}': {parsed.message}"))
            parsed = None
        values[f.name] = parsed
    if problems:
        return None, problems
    return cls(**values), []


_LIST_FIELDS = (
    "sources", "sectors", "actors", "parties", "signatories", "aliases", "records", "authors", "terms",
)  # fmt: skip
# What an optional field that is left out means: no items, not set, or None.
_EMPTY: dict[str, Any] = {**{name: () for name in _LIST_FIELDS}, "title_supplied": False}


def parse_meta(raw: Any, file: str) -> tuple[Meta | None, list[Problem]]:
    if not isinstance(raw, dict):
        return None, [Problem(file, getattr(raw, "line", 1), "expected a mapping with version and date")]
    key_lines: dict[str, int] = getattr(raw, "key_lines", {})
    problems = []
    for key in raw:
        if key not in Meta._fields:
            problems.append(
                Problem(file, key_lines.get(key, 1), f"unknown field '{_clip(key)}'{suggest(key, Meta._fields)}")
            )
    values: dict[str, Any] = {}
    for name, rule, required in (
        ("version", line, True),
        ("date", date, True),
        ("title", line, True),
        ("licence", line, False),
    ):
        if raw.get(name) is None:
            if required:
                problems.append(Problem(file, getattr(raw, "line", 1), f"missing required field '{name}'"))
            values[name] = None
            continue
        parsed = rule(raw[name])
        if isinstance(parsed, Invalid):
            problems.append(Problem(file, key_lines.get(name, 1), f"field '{name}': {parsed.message}"))
        values[name] = parsed
    if problems:
        return None, problems
    return Meta(**values), []


# --- records as plain data ----------------------------------------------------------

# json.dumps escapes only C0 controls; C1 controls (CSI, OSC) drive terminals too, and bidi marks
# reorder what the screen shows. Escaped as \uXXXX they still decode to the same text.
JSON_UNSAFE = re.compile(rf"[{TERMINAL_UNSAFE}]")


def json_safe(text: str) -> str:
    """JSON text with the characters that drive or reorder a terminal written as \\u escapes."""
    if text.isascii() and "\x7f" not in text:  # the common case, checked in C
        return text
    return JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def plain(record: Any, **extra: Any) -> dict[str, Any]:
    """A record as a plain dict of its KB fields (tuples become lists), plus `extra` keys."""
    row = {k: list(v) if type(v) is tuple else v for k, v in zip(record._fields, record)}
    row.update(extra)
    return row


_encode = None


def json_text(record: Any) -> str:
    """A record as one line of JSON: what `--format jsonl` prints for it, and how the database stores it."""
    global _encode
    if _encode is None:
        import json

        _encode = json.JSONEncoder(ensure_ascii=False).encode
    return json_safe(_encode(plain(record)))


_JSON_SCALARS = (str, int, float, bool, type(None))


def from_json(cls: Any, data: Any) -> Any:
    """The record of type `cls` that `json_text` wrote as `data` (decoded); None if it is not one."""
    if type(data) is not dict or tuple(data) != cls._fields:
        return None
    values = []
    for value in data.values():
        if type(value) is list:
            if not all(type(v) is str for v in value):
                return None
            value = tuple(value)
        elif type(value) not in _JSON_SCALARS:
            return None
        values.append(value)
    return tuple.__new__(cls, values)
