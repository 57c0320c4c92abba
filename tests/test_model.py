"""Field rules and record parsing: raw YAML text in, typed records or located problems out."""

from __future__ import annotations

from typing import Any

import pytest

from pakaz import model
from pakaz.dates import check_partial, first_day, last_day
from pakaz.errors import Problem
from pakaz.model import Agreement, Event, Indicator, Invalid, parse_meta, parse_record


def _event(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": "an-event",
        "date": "2024-07-11",
        "type": "visit",
        "title": "A visit",
        "summary": "Someone visited.",
        "sectors": ["diplomacy"],
        "sources": ["article"],
        "verification": "confirmed",
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not _DROP}


_DROP = object()


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1995", "1995-10", "1995-10-12", "2024-02-29", "2000-02-29", "0001-01-01"])
def test_valid_partial_dates(text: str) -> None:
    assert check_partial(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-02-30", "'2024-02-30' is not a day of 2024-02 (it has 29 days)"),
        ("2023-02-29", "'2023-02-29' is not a day of 2023-02 (it has 28 days)"),
        ("2024-04-31", "'2024-04-31' is not a day of 2024-04 (it has 30 days)"),
        ("2024-13", "'2024-13' has no month 13"),
        ("2024-00", "'2024-00' has no month 00"),
        ("0000", "'0000' has year 0000"),
        ("yesterday", "'yesterday' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("95", "'95' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("1995-1-2", "'1995-1-2' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("1995/10/12", "'1995/10/12' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("1995-10-12T00:00", "'1995-10-12T00:00' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
    ],
)
def test_impossible_dates_are_explained(text: str, message: str) -> None:
    assert check_partial(text) == message


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("1995", "1995-01-01", "1995-12-31"),
        ("1995-06", "1995-06-01", "1995-06-30"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        ("2023-02", "2023-02-01", "2023-02-28"),
        ("1995-07-02", "1995-07-02", "1995-07-02"),
    ],
)
def test_a_partial_date_covers_a_range_of_days(text: str, first: str, last: str) -> None:
    assert (first_day(text), last_day(text)) == (first, last)


# --- field rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [("72356176470.59", 72356176470.59), ("78810000000", 78810000000), ("-3.5", -3.5), ("0", 0), ("1e3", 1000.0)],
)
def test_number_reads_plain_numbers(raw: str, value: float) -> None:
    parsed = model.number(raw)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0755", "'0755' has a leading zero, which YAML 1.1 reads as octal; write it without"),
        ("1:30", "expected a plain number like 72356176470.59, found '1:30'"),
        ("72.36 billion", "expected a plain number like 72356176470.59, found '72.36 billion'"),
        ("1,000", "expected a plain number like 72356176470.59, found '1,000'"),
        ("1_000", "expected a plain number like 72356176470.59, found '1_000'"),
        (".inf", "expected a plain number like 72356176470.59, found '.inf'"),
        ("nan", "expected a plain number like 72356176470.59, found 'nan'"),
        (None, "expected a plain number like 72356176470.59, found empty"),
        (["1"], "expected a plain number like 72356176470.59, found a list"),
    ],
)
def test_number_refuses_anything_else(raw: Any, message: str) -> None:
    assert model.number(raw) == Invalid(message)


def test_year_is_an_integer() -> None:
    assert model.year("2023") == 2023
    assert model.year("23") == Invalid("expected a four-digit year, found '23'")
    assert model.year("2023.0") == Invalid("expected a four-digit year, found '2023.0'")


def test_text_rules() -> None:
    assert model.text("Some text\nover two lines") == "Some text\nover two lines"
    assert model.text("   ") == Invalid("expected text, found '   '")
    assert model.text({"a": "b"}) == Invalid("expected text, found a mapping")
    assert model.line("One line") == "One line"
    assert model.line("Two\nlines") == Invalid("must be a single line")


def test_slug_rule() -> None:
    assert model.slug("gdp-pak-2023") == "gdp-pak-2023"
    for bad in ("GDP", "gdp_pak", "-gdp", "gdp pak", ""):
        assert isinstance(model.slug(bad), Invalid), bad


def test_url_rule() -> None:
    assert model.url("https://example.org/a?b=c#d") == "https://example.org/a?b=c#d"
    for bad in ("ftp://example.org", "example.org", "https://"):
        assert model.url(bad) == Invalid(f"expected an http(s) URL, found '{bad}'")
    # A character that is not valid in a URL is named, with what to do.
    assert model.url("https://exa mple.org") == Invalid("' ' is not valid in a URL; percent-encode it")


def test_language_rule() -> None:
    # `no` (Norwegian) is the classic YAML 1.1 victim: it must stay the text "no".
    assert model.language("no") == "no"
    assert model.language("en") == "en"
    assert isinstance(model.language("English"), Invalid)


def test_vocabulary_rule_suggests_the_closest_value() -> None:
    rule = model.one_of(model.VERIFICATION)
    assert rule("confirmed") == "confirmed"
    assert rule("confirmd") == Invalid(
        "expected one of confirmed, reported, article-only, corrected, disputed; "
        "found 'confirmd' (did you mean 'confirmed'?)"
    )
    assert rule("Confirmed") == Invalid(
        "expected one of confirmed, reported, article-only, corrected, disputed; "
        "found 'Confirmed' (did you mean 'confirmed'?)"
    )


def test_list_rule() -> None:
    rule = model.list_of(model.slug, nonempty=True)
    assert rule(["a", "b"]) == ("a", "b")
    assert rule([]) == Invalid("expected at least one item")
    assert rule("energy") == Invalid("expected a list, found 'energy'")
    assert rule(["ok", "Not Ok"]) == Invalid(
        "expected a lowercase slug like 'gdp-pak-2023' ([a-z0-9-]), found 'Not Ok'"
    )
    assert model.list_of(model.slug)(None) == ()


def test_suggest() -> None:
    assert model.suggest("setcor", ["id", "sectors", "sources"]) == " (did you mean 'sectors'?)"
    assert model.suggest("zzzzzz", ["id", "sectors", "sources"]) == ""
    assert model.suggest(None, ["id"]) == ""


# --- records --------------------------------------------------------------------------------


def test_parse_event() -> None:
    record, problems = parse_record("events", _event(actors=["A", "B"]), "events.yaml", 1)
    assert problems == []
    assert record == Event(
        id="an-event", date="2024-07-11", end_date=None, type="visit", title="A visit", summary="Someone visited.",
        sectors=("diplomacy",), actors=("A", "B"), place=None, sources=("article",), verification="confirmed",
        notes=None,
    )  # fmt: skip


def test_records_are_immutable() -> None:
    record, _ = parse_record("events", _event(), "events.yaml", 1)
    with pytest.raises(AttributeError):
        record.title = "Changed"


def test_a_null_date_means_undated_but_the_key_is_required() -> None:
    record, problems = parse_record("events", _event(date=None), "events.yaml", 1)
    assert problems == [] and record.date is None
    record, problems = parse_record("events", _event(date=_DROP), "events.yaml", 4)
    assert record is None
    assert problems == [Problem("events.yaml", 4, "missing required field 'date'")]


def test_unknown_field_is_located_and_gets_a_suggestion() -> None:
    raw = _event(sectors=_DROP, setcor=["diplomacy"])
    record, problems = parse_record("events", raw, "events.yaml", 7)
    assert record is None
    assert [str(p) for p in problems] == [
        "events.yaml:7: unknown field 'setcor' (did you mean 'sectors'?)",
        "events.yaml:7: missing required field 'sectors'",
    ]


def test_every_problem_of_a_record_is_reported() -> None:
    raw = _event(date="2024-02-30", type="meating", sectors="diplomacy", verification="yes")
    _, problems = parse_record("events", raw, "events.yaml", 1)
    assert [p.message for p in problems] == [
        "field 'date': '2024-02-30' is not a day of 2024-02 (it has 29 days)",
        "field 'type': expected one of recognition, diplomatic-relations, embassy, ambassador, visit, summit, "
        "meeting, statement, un, exercise, flight, culture, institution, anniversary, policy, other; "
        "found 'meating' (did you mean 'meeting'?)",
        "field 'sectors': expected a list, found 'diplomacy'",
        "field 'verification': expected one of confirmed, reported, article-only, corrected, disputed; found 'yes'",
    ]


def test_a_record_must_be_a_mapping() -> None:
    assert parse_record("events", "just text", "events.yaml", 3) == (
        None,
        [Problem("events.yaml", 3, "expected a mapping of fields, found 'just text'")],
    )


def test_parse_indicator_converts_year_and_value() -> None:
    raw = {
        "id": "gdp-aze-2023", "name": "gdp", "label": "GDP", "country": "AZE", "year": "2023",
        "value": "72356176470.59", "unit": "USD", "sources": ["wb"], "verification": "confirmed",
    }  # fmt: skip
    record, problems = parse_record("indicators", raw, "indicators.yaml", 1)
    assert problems == []
    assert isinstance(record, Indicator)
    assert (record.year, record.value) == (2023, 72356176470.59)


def test_parse_agreement_optional_lists_default_to_empty() -> None:
    raw = {
        "id": "a-mou", "date": "2016", "title": "An MoU", "type": "mou", "sectors": ["defence"],
        "parties": ["Pakistan", "Azerbaijan"], "summary": "Cooperation.", "sources": ["article"],
        "verification": "article-only",
    }  # fmt: skip
    record, problems = parse_record("agreements", raw, "agreements.yaml", 1)
    assert problems == []
    assert isinstance(record, Agreement)
    assert (record.signatories, record.status, record.event) == ((), None, None)


def test_parse_meta() -> None:
    meta, problems = parse_meta({"version": "1.0", "date": "2026-01-02", "title": "KB"}, "meta.yaml")
    assert problems == [] and meta == model.Meta("1.0", "2026-01-02", "KB", None)
    meta, problems = parse_meta({"version": "1.0", "date": "2026-13", "title": "KB", "licnce": "x"}, "meta.yaml")
    assert meta is None
    assert [p.message for p in problems] == [
        "unknown field 'licnce' (did you mean 'licence'?)",
        "field 'date': '2026-13' has no month 13",
    ]
