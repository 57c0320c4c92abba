"""Turn query results into listings: which fields each command shows by default."""

from __future__ import annotations

from collections.abc import Sequence

from pakaz.model import Agreement, Erratum, Event, Indicator, Source
from pakaz.query import Hit, SectorUsage
from pakaz.render import Listing, to_row

EVENT_COLUMNS = ("id", "date", "end_date", "type", "title", "sectors", "verification", "sources")
AGREEMENT_COLUMNS = ("id", "date", "type", "title", "sectors", "parties", "status", "verification", "sources")
INDICATOR_COLUMNS = ("id", "name", "country", "year", "period", "value", "unit", "verification", "sources")


def events(records: Sequence[Event]) -> Listing:
    return Listing(
        "events",
        [to_row(r) for r in records],
        EVENT_COLUMNS,
        ("date", "title", "type", "sectors", "verification", "id"),
    )


def agreements(records: Sequence[Agreement]) -> Listing:
    return Listing(
        "agreements",
        [to_row(r) for r in records],
        AGREEMENT_COLUMNS,
        ("date", "type", "title", "sectors", "verification", "id"),
    )


def indicators(records: Sequence[Indicator]) -> Listing:
    return Listing(
        "indicators",
        [to_row(r) for r in records],
        INDICATOR_COLUMNS,
        ("label", "country", "year", "period", "value", "verification", "id"),
    )


def hits(found: Sequence[Hit]) -> Listing:
    rows = []
    for hit in found:
        record = hit.record
        title = getattr(record, "title", None) or getattr(record, "label", None) or getattr(record, "claim", "")
        rows.append(
            {
                "collection": hit.collection,
                "id": record.id,
                "date": getattr(record, "date", None),
                "title": title,
                "verification": getattr(record, "verification", None),
                "score": hit.score,
            }
        )
    return Listing("results", rows, ("collection", "id", "date", "title", "verification", "score"), ("collection", "date", "title", "verification", "id"))


def sources(usage: Sequence[tuple[Source, int]]) -> Listing:
    rows = [to_row(s, cited_by=n) for s, n in usage]
    return Listing(
        "sources",
        rows,
        ("id", "kind", "publisher", "title", "published", "url", "cited_by"),
        ("id", "publisher", "title", "published", "cited_by"),
    )


def sectors(usage: Sequence[SectorUsage]) -> Listing:
    rows = [to_row(u.sector, events=u.events, agreements=u.agreements) for u in usage]
    return Listing("sectors", rows, ("id", "label", "aliases", "events", "agreements"), ("id", "label", "aliases", "events", "agreements"))


def errata(records: Sequence[Erratum]) -> Listing:
    return Listing(
        "errata",
        [to_row(r) for r in records],
        ("id", "status", "claim", "finding", "records", "sources"),
        ("status", "claim", "finding", "records"),
    )
