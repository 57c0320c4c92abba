"""Turn query results into listings: which fields each command shows by default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pakaz.model import Agreement, Envoy, Erratum, Event, Indicator, Record, Sector, Source
from pakaz.query import SectorUsage, headline
from pakaz.render import Listing, to_row

if TYPE_CHECKING:
    from pakaz.fulltext import Hit

EVENT_COLUMNS = ("id", "date", "end_date", "type", "title", "sectors", "verification", "sources")
AGREEMENT_COLUMNS = ("id", "date", "type", "title", "sectors", "parties", "status", "verification", "sources")
INDICATOR_COLUMNS = ("id", "name", "country", "year", "period", "value", "unit", "verification", "sources")
ENVOY_COLUMNS = ("id", "person", "post", "role", "start", "end", "seen", "verification", "sources")


# Each table lists its columns in reading order, and then in order of importance: on a narrow
# terminal the least important go first, whatever the content. Ids are for scripts: last.


def events(records: Sequence[Event]) -> Listing:
    return Listing(
        "events",
        [to_row(r) for r in records],
        EVENT_COLUMNS,
        ("date", "title", "type", "sectors", "verification", "id"),
        fields=Event._fields,
        priority=("date", "title", "type", "verification", "sectors", "id"),
    )


def agreements(records: Sequence[Agreement]) -> Listing:
    return Listing(
        "agreements",
        [to_row(r) for r in records],
        AGREEMENT_COLUMNS,
        ("date", "type", "title", "sectors", "verification", "id"),
        fields=Agreement._fields,
        priority=("date", "title", "type", "verification", "sectors", "id"),
    )


def indicators(records: Sequence[Indicator]) -> Listing:
    return Listing(
        "indicators",
        [to_row(r) for r in records],
        INDICATOR_COLUMNS,
        ("label", "country", "year", "period", "value", "verification", "id"),
        fields=Indicator._fields,
        # what, where, when, how much, how sure
        priority=("label", "country", "year", "value", "verification", "period", "id"),
    )


def envoys(records: Sequence[Envoy]) -> Listing:
    return Listing(
        "envoys",
        [to_row(r) for r in records],
        ENVOY_COLUMNS,
        ("post", "person", "role", "start", "end", "seen", "verification", "id"),
        fields=Envoy._fields,
        priority=("post", "person", "start", "end", "verification", "role", "seen", "id"),
    )


KIND = {
    "events": "event", "agreements": "agreement", "indicators": "indicator", "envoys": "envoy",
    "errata": "erratum", "sectors": "sector", "sources": "source",
}  # fmt: skip


def _when(record: Record) -> str | None:
    """The date a hit is listed under: its date, an envoy's start, an indicator's year."""
    when = getattr(record, "date", None) or getattr(record, "start", None)
    year = getattr(record, "year", None)
    return when if when is not None or year is None else str(year)


def hits(found: Sequence[Hit]) -> Listing:
    from pakaz.fulltext import marked_words, plain

    rows = []
    extra = []
    for hit in found:
        record = hit.record
        rows.append(
            {
                "collection": hit.collection,
                "id": record.id,
                "date": _when(record),
                "title": headline(record),
                "verification": getattr(record, "verification", None),
                "score": hit.score,
                "matched": marked_words(hit.snippet),
                "snippet": plain(hit.snippet),
            }
        )
        # At a terminal a hit says what kind of record it is, and shows its matching words in context.
        extra.append({"kind": KIND.get(hit.collection, hit.collection), "match": hit.snippet})
    columns = ("collection", "id", "date", "title", "verification", "score", "snippet")
    return Listing(
        "results",
        rows,
        columns,
        ("kind", "date", "title", "match", "verification", "id"),
        fields=(*columns[:-1], "matched", "snippet"),
        priority=("title", "kind", "date", "match", "verification", "id"),
        extra=tuple(extra),
    )


def sources(usage: Sequence[tuple[Source, int]]) -> Listing:
    rows = [to_row(s, cited_by=n) for s, n in usage]
    return Listing(
        "sources",
        rows,
        ("id", "kind", "publisher", "title", "published", "url", "cited_by"),
        ("publisher", "title", "published", "cited_by", "id", "url"),
        fields=(*Source._fields, "cited_by"),
        priority=("publisher", "title", "published", "cited_by", "id", "url"),
    )


def sectors(usage: Sequence[SectorUsage]) -> Listing:
    rows = [to_row(u.sector, events=u.events, agreements=u.agreements) for u in usage]
    columns = ("id", "label", "aliases", "events", "agreements")
    return Listing(
        "sectors",
        rows,
        columns,
        ("id", "label", "events", "agreements", "aliases"),
        fields=(*Sector._fields, "events", "agreements"),
        # the id is what --sector takes
        priority=("id", "label", "events", "agreements", "aliases"),
    )


def errata(records: Sequence[Erratum]) -> Listing:
    return Listing(
        "errata",
        [to_row(r) for r in records],
        ("id", "status", "claim", "finding", "records", "sources"),
        ("status", "claim", "finding", "records", "id"),
        fields=Erratum._fields,
        priority=("claim", "finding", "status", "records", "id"),
    )
