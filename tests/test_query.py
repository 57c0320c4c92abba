"""Query functions on the mini fixture KB: filters, date overlap, aliases, search ranking, usage counts."""

from __future__ import annotations

import pytest

from pakaz import query
from pakaz.errors import NotFoundError, UsageError
from pakaz.kb import KB
from pakaz.model import Event, Source


def ids(records: list[object]) -> list[str]:
    return [r.id for r in records]  # type: ignore[attr-defined]


# --- timeline ------------------------------------------------------------------------------


def test_timeline_is_chronological_with_undated_last(mini: KB) -> None:
    assert ids(query.timeline(mini)) == ["year-event", "march-event", "july-event", "energy-visit", "undated-event"]


def test_timeline_reverse_is_newest_first_and_keeps_undated_last(mini: KB) -> None:
    assert ids(query.timeline(mini, reverse=True)) == [
        "energy-visit", "july-event", "march-event", "year-event", "undated-event",
    ]  # fmt: skip
    assert ids(query.timeline(mini, reverse=True, limit=2)) == ["energy-visit", "july-event"]


def test_timeline_limit(mini: KB) -> None:
    assert ids(query.timeline(mini, limit=2)) == ["year-event", "march-event"]
    assert query.timeline(mini, limit=0) == []


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        # A year-only date covers the whole year, so it overlaps a window that starts mid-year.
        ("1995-06", None, ["year-event", "july-event", "energy-visit"]),
        (None, "1995-06", ["year-event", "march-event"]),
        ("1995-07-02", "1995-07-02", ["year-event", "july-event"]),
        ("1995-03", "1995-03", ["year-event", "march-event"]),
        ("1995-03-02", "1995-07-01", ["year-event"]),
        ("1996", None, ["energy-visit"]),
        # A multi-day event overlaps a window that touches either of its days.
        ("2024-07-12", None, ["energy-visit"]),
        (None, "2024-07-11", ["year-event", "march-event", "july-event", "energy-visit"]),
        ("2024-07-13", None, []),
        ("2024", "2024", ["energy-visit"]),
    ],
)
def test_timeline_date_filters_keep_overlapping_ranges(
    mini: KB, since: str | None, until: str | None, expected: list[str]
) -> None:
    assert ids(query.timeline(mini, since=since, until=until)) == expected


def test_undated_records_are_left_out_whenever_a_date_filter_is_given(mini: KB) -> None:
    assert "undated-event" in ids(query.timeline(mini))
    assert "undated-event" not in ids(query.timeline(mini, since="1000"))
    assert "undated-event" not in ids(query.timeline(mini, until="9999"))


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("2024-13", None, "Invalid value for '--since': '2024-13' has no month 13"),
        (None, "2024-02-30", "Invalid value for '--until': '2024-02-30' is not a day of 2024-02 (it has 29 days)"),
        ("yesterday", None, "Invalid value for '--since': 'yesterday' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("2024", "2023-12-31", "'--since 2024' is after '--until 2023-12-31'; swap them"),
    ],
)
def test_bad_date_filters_are_usage_errors(mini: KB, since: str | None, until: str | None, message: str) -> None:
    with pytest.raises(UsageError) as info:
        query.timeline(mini, since=since, until=until)
    assert str(info.value) == message
    assert info.value.exit_code == 2


def test_same_partial_date_for_since_and_until_is_fine(mini: KB) -> None:
    assert ids(query.timeline(mini, since="1995", until="1995")) == ["year-event", "march-event", "july-event"]


@pytest.mark.parametrize("value", ["defence", "defense", "DEFENSE", "Military", " defence "])
def test_sector_filter_accepts_ids_and_aliases_in_any_case(mini: KB, value: str) -> None:
    assert ids(query.timeline(mini, sectors=[value])) == ["undated-event"]


def test_sector_filter_is_repeatable_and_means_any(mini: KB) -> None:
    assert ids(query.timeline(mini, sectors=["trade", "defense"])) == ["july-event", "undated-event"]


def test_unknown_sector_suggests_and_lists_choices(mini: KB) -> None:
    with pytest.raises(UsageError) as info:
        query.timeline(mini, sectors=["enrgy"])
    assert str(info.value) == (
        "Invalid value for '--sector': unknown sector 'enrgy'. Did you mean 'energy'? "
        "Valid: defence, diplomacy, energy, trade"
    )


def test_query_needs_every_word(mini: KB) -> None:
    assert ids(query.timeline(mini, query="visit")) == ["year-event", "energy-visit"]
    assert ids(query.timeline(mini, query="visit türkiye")) == ["year-event"]
    assert ids(query.timeline(mini, query="visit nowhere")) == []


def test_query_is_case_and_accent_insensitive(mini: KB) -> None:
    for text in ("turkiye", "TURKIYE", "Türkiye", "TÜRKİYE"):
        assert ids(query.timeline(mini, query=text)) == ["year-event"], text


def test_query_looks_in_lists_and_text_fields(mini: KB) -> None:
    assert ids(query.timeline(mini, query="someone else")) == ["july-event"]  # actors
    assert ids(query.timeline(mini, query="baku")) == ["july-event"]  # place
    assert ids(query.timeline(mini, query="lng")) == ["energy-visit"]  # summary


def test_query_does_not_look_in_references(mini: KB) -> None:
    # "gov-record" is a source id cited by july-event; a reference is not the record's text.
    assert ids(query.timeline(mini, query="gov-record")) == []


def test_verification_filter(mini: KB) -> None:
    assert ids(query.timeline(mini, verification=["corrected"])) == ["energy-visit"]
    assert ids(query.timeline(mini, verification=["corrected", "article-only"])) == [
        "year-event", "energy-visit", "undated-event",
    ]  # fmt: skip


# --- agreements ---------------------------------------------------------------------------


def test_agreements_in_order_of_signing(mini: KB) -> None:
    assert ids(query.agreements(mini)) == ["defence-mou", "lng-deal"]


@pytest.mark.parametrize("value", ["mou", "MoU", "memorandum", "memorandum-of-understanding"])
def test_agreement_type_filter_accepts_aliases(mini: KB, value: str) -> None:
    assert ids(query.agreements(mini, types=[value])) == ["defence-mou"]


def test_agreement_filters(mini: KB) -> None:
    assert ids(query.agreements(mini, sectors=["gas"])) == ["lng-deal"]
    assert ids(query.agreements(mini, since="2016-12-31")) == ["defence-mou", "lng-deal"]
    assert ids(query.agreements(mini, until="2016-01")) == ["defence-mou"]
    assert ids(query.agreements(mini, query="cargo")) == ["lng-deal"]
    assert ids(query.agreements(mini, query="pakistan")) == ["defence-mou"]  # parties
    assert ids(query.agreements(mini, limit=1)) == ["defence-mou"]


def test_unknown_agreement_type(mini: KB) -> None:
    with pytest.raises(UsageError) as info:
        query.agreements(mini, types=["memo"])
    assert str(info.value).startswith(
        "Invalid value for '--type': unknown type 'memo'. Did you mean 'mou'? Valid: mou,"
    )


# --- indicators --------------------------------------------------------------------------------


def test_indicators_ordered_by_name_year_country(mini: KB) -> None:
    assert ids(query.indicators(mini)) == ["gdp-aze-2022", "gdp-aze-2023", "gdp-pak-2023", "ict-share-pak-2019"]


@pytest.mark.parametrize("value", ["PAK", "PK", "pak", "pakistan", "Pakistan", "PAKISTAN"])
def test_country_names_for_pakistan(mini: KB, value: str) -> None:
    assert ids(query.indicators(mini, countries=[value])) == ["gdp-pak-2023", "ict-share-pak-2019"]


@pytest.mark.parametrize("value", ["AZE", "AZ", "aze", "azerbaijan", "Azerbaijan"])
def test_country_names_for_azerbaijan(mini: KB, value: str) -> None:
    assert ids(query.indicators(mini, countries=[value])) == ["gdp-aze-2022", "gdp-aze-2023"]


@pytest.mark.parametrize(("value", "closest"), [("pakistn", "PAK"), ("AZR", "AZE"), ("azr", "AZE")])
def test_unknown_country_suggests_the_closest_code(mini: KB, value: str, closest: str) -> None:
    with pytest.raises(UsageError) as info:
        query.indicators(mini, countries=[value])
    assert str(info.value) == (
        f"Invalid value for '--country': unknown country '{value}'. Did you mean '{closest}'? Valid: PAK, AZE, PAK-AZE"
    )


def test_indicator_filters(mini: KB) -> None:
    assert ids(query.indicators(mini, names=["gdp"], years=[2023])) == ["gdp-aze-2023", "gdp-pak-2023"]
    assert ids(query.indicators(mini, names=["GDP"], countries=["az"])) == ["gdp-aze-2022", "gdp-aze-2023"]
    assert ids(query.indicators(mini, years=[2019, 2022])) == ["gdp-aze-2022", "ict-share-pak-2019"]
    assert ids(query.indicators(mini, since="2023-06")) == ["gdp-aze-2023", "gdp-pak-2023"]
    assert ids(query.indicators(mini, until="2022")) == ["gdp-aze-2022", "ict-share-pak-2019"]


def test_unknown_indicator_name(mini: KB) -> None:
    with pytest.raises(UsageError) as info:
        query.indicators(mini, names=["gpd"])
    assert str(info.value) == (
        "Invalid value for '--name': unknown name 'gpd'. Did you mean 'gdp'? Valid: gdp, ict-share-of-gdp"
    )


# --- search -------------------------------------------------------------------------------------


def test_search_ranks_a_title_match_above_a_summary_match(mini: KB) -> None:
    hits = query.search(mini, "lng")
    # lng-deal has LNG in its title, energy-visit in its summary: bm25 weighs a title more.
    assert [(h.collection, h.record.id) for h in hits] == [("agreements", "lng-deal"), ("events", "energy-visit")]
    assert hits[0].score > hits[1].score


def test_search_is_accent_insensitive_both_ways(mini: KB) -> None:
    assert [h.record.id for h in query.search(mini, "turkiye")] == ["year-event"]
    assert [h.record.id for h in query.search(mini, "TÜRKİYE 1995")][:1] == ["year-event"]
    assert [e.id for e in query.timeline(mini, query="TÜRKİYE 1995")] == ["year-event"]  # --query needs both


def test_search_ranks_records_with_more_of_the_words_first(mini: KB) -> None:
    hits = query.search(mini, "energy visit")
    assert hits[0].record.id == "energy-visit" and hits[0].matched == 2
    assert all(h.matched == 1 for h in hits[1:]) and "year-event" in {h.record.id for h in hits}
    # A word no record has does not hide the records with the others.
    assert [h.record.id for h in query.search(mini, "visit nowhere")] == ["year-event", "energy-visit"]


def test_search_needs_half_of_the_words(mini: KB) -> None:
    # Three words: a record needs two of them.
    assert [h.record.id for h in query.search(mini, "energy visit nowhere")] == ["energy-visit"]
    assert query.search(mini, "nowhere nothing visit") == []


def test_search_drops_the_words_of_a_question(mini: KB) -> None:
    assert [h.record.id for h in query.search(mini, "when was the LNG deal")][:1] == ["lng-deal"]
    # A query of stop words only is searched for as it is, and never fails.
    assert [h.record.id for h in query.search(mini, "in 1995")] == ["year-event", "july-event"]
    assert query.search(mini, "the of and") == []


def test_search_covers_every_collection(mini: KB) -> None:
    found = {(h.collection, h.record.id) for h in query.search(mini, "example")}
    assert found == {("sources", "gov-record"), ("sources", "news-report")}
    found = {(h.collection, h.record.id) for h in query.search(mini, "billion")}
    assert found == {("errata", "erratum-gdp-unit"), ("indicators", "gdp-pak-2023")}
    # A sector's aliases are synonyms: military is defence, so the defence event is found too.
    found = {(h.collection, h.record.id) for h in query.search(mini, "military")}
    assert found == {("sectors", "defence"), ("agreements", "defence-mou"), ("events", "undated-event")}


def test_search_needs_a_word(mini: KB) -> None:
    with pytest.raises(UsageError):
        query.search(mini, "   ")


# --- find, sources, sectors, errata ----------------------------------------------------------------


def test_find_any_record(mini: KB) -> None:
    assert isinstance(query.find(mini, "july-event"), Event)
    assert isinstance(query.find(mini, "gov-record"), Source)


def test_find_unknown_id_suggests_closest(mini: KB) -> None:
    with pytest.raises(NotFoundError) as info:
        query.find(mini, "july-evnt")
    message = str(info.value)
    assert message.startswith("No record with id 'july-evnt'. Did you mean 'july-event' or ")
    assert message.endswith("? Try 'pakaz search july-evnt'.")
    assert info.value.exit_code == 1


def test_citing_and_source_usage(mini: KB) -> None:
    assert ids(query.citing(mini, "news-report")) == ["energy-visit", "lng-deal", "envoy-charge"]
    usage = [(s.id, n) for s, n in query.source_usage(mini, "file")]
    assert usage == [("article", 5), ("gov-record", 9), ("news-report", 3)]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("publisher", ["news-report", "gov-record", "article"]),  # Example News, Ministry of Examples, Unknown
        ("published", ["gov-record", "news-report", "article"]),  # newest first, undated last
        ("cited", ["gov-record", "article", "news-report"]),
        ("title", ["news-report", "gov-record", "article"]),  # A news..., An official..., The article
        ("id", ["article", "gov-record", "news-report"]),
        ("file", ["article", "gov-record", "news-report"]),
    ],
)
def test_sources_are_sorted_for_a_reader(mini: KB, sort: str, order: list[str]) -> None:
    assert [s.id for s, _ in query.source_usage(mini, sort)] == order


def test_unknown_source_sort_is_a_usage_error(mini: KB) -> None:
    with pytest.raises(UsageError, match="--sort"):
        query.source_usage(mini, "date")


def test_timeline_by_event_type_and_year(mini: KB) -> None:
    every = query.timeline(mini)
    kinds = {e.type for e in every}
    kind = sorted(kinds)[0]
    assert [e.id for e in query.timeline(mini, types=[kind.upper()])] == [e.id for e in every if e.type == kind]
    with pytest.raises(UsageError, match=r"Valid: .*visit"):
        query.timeline(mini, types=["visti"])
    year = int(next(e.date for e in every if e.date)[:4])
    found = query.timeline(mini, years=[year])
    assert found and all(e.date and (e.date[:4] <= str(year) <= (e.end_date or e.date)[:4]) for e in found)
    assert len(found) < len(every)
    agreements = query.agreements(mini, years=[year])
    assert all(a.date and a.date.startswith(str(year)) for a in agreements)
    assert len(query.timeline(mini, years=[1066])) == 0


def test_sector_usage(mini: KB) -> None:
    assert [(u.sector.id, u.events, u.agreements) for u in query.sector_usage(mini)] == [
        ("diplomacy", 4, 0), ("energy", 1, 1), ("defence", 1, 1), ("trade", 1, 0),
    ]  # fmt: skip


def test_errata_and_verification_counts(mini: KB) -> None:
    assert ids(query.errata(mini)) == ["erratum-gdp-unit"]
    assert query.verification_counts(mini) == {"confirmed": 8, "reported": 1, "article-only": 3, "corrected": 2}


def test_collection_of(mini: KB) -> None:
    assert [query.collection_of(r) for r in (mini.events[0], mini.sources[0], mini.errata[0])] == [
        "events", "sources", "errata",
    ]  # fmt: skip


def test_search_by_verification_keeps_only_facts_with_that_status(mini: KB) -> None:
    everything = query.search(mini, "gdp visit")
    assert {h.collection for h in everything} > {"events", "indicators"}
    corrected = query.search(mini, "gdp visit", verification=["corrected"])
    assert corrected and {h.record.verification for h in corrected} == {"corrected"}  # type: ignore[union-attr]
    assert {h.record.id for h in corrected} == {
        h.record.id for h in everything if getattr(h.record, "verification", None) == "corrected"
    }
