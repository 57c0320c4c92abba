"""Search finds what people mean: a set of everyday queries against the bundled KB, with recall
among the first five facts (the set is tests/fixtures/search/queries.json; the benchmark reports it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pakaz import query
from pakaz.fulltext import FACTS
from pakaz.kb import KB, load

QUERIES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "fixtures" / "search" / "queries.json").read_text(encoding="utf-8")
)
# The queries the issue that asked for this search found wanting, each with the record meant.
EXAMPLES = ("gas", "turkey summit", "fighter jets", "free trade agreement", "when did pakistan recognise azerbaijan")


@pytest.fixture(scope="module")
def bundled() -> KB:
    return load()


def first_facts(kb: KB, text: str, n: int = 5) -> list[str]:
    return [h.record.id for h in query.search(kb, text) if h.collection in FACTS][:n]


def recall_at_5(kb: KB) -> tuple[float, list[str]]:
    """The share of queries with a record they mean among the first five facts, and the misses."""
    missed = [q["query"] for q in QUERIES if not set(q["means"]) & set(first_facts(kb, q["query"]))]
    return 1 - len(missed) / len(QUERIES), missed


def test_the_set_is_large_enough_and_names_real_records(bundled: KB) -> None:
    assert len(QUERIES) >= 30
    known = {i for collection in FACTS for i in query.ids(bundled, collection)}
    for q in QUERIES:
        assert q["means"] and set(q["means"]) <= known, q


def test_recall_among_the_first_five_facts(bundled: KB) -> None:
    recall, missed = recall_at_5(bundled)
    assert recall >= 0.95, f"recall@5 {recall:.2f}; missed: {missed}"


@pytest.mark.parametrize("text", EXAMPLES)
def test_the_examples_that_used_to_fail_find_their_record(bundled: KB, text: str) -> None:
    [means] = [q["means"] for q in QUERIES if q["query"] == text]
    assert set(means) & set(first_facts(bundled, text))


def test_facts_come_before_sources(bundled: KB) -> None:
    hits = query.search(bundled, "aliyev")
    kinds = [h.collection in FACTS for h in hits]
    assert kinds == sorted(kinds, reverse=True)  # every fact, then the rest
    assert any(not k for k in kinds)  # and the sources are still found


def test_every_hit_says_why_it_matched(bundled: KB) -> None:
    from pakaz.fulltext import marked_words

    for text in ("fighter jets", "Şuşa", "lng cargo"):
        hits = query.search(bundled, text, limit=10)
        assert hits, text
        assert all(marked_words(h.snippet) for h in hits[:3]), [h.snippet for h in hits[:3]]
