"""Turn query results into listings: which fields each command shows by default."""

from __future__ import annotations

from collections.abc import Sequence

from pakaz.model import Agreement, Envoy, Erratum, Event, Indicator, Sector, Source
from pakaz.query import Hit, SectorUsage, headline
from pakaz.render import Listing, to_row

EVENT_COLUMNS = ("id", "date", "end_date", "type", "title", "sectors", "verification", "sources")
AGREEMENT_COLUMNS = ("id", "date", "type", "title", "sectors", "parties", "status", "verification", "sources")
INDICATOR_COLUMNS = ("id", "name", "country", "year", "period", "value", "unit", "verification", "sources")
ENVOY_COLUMNS = ("id", "person", "post", "role", "start", "end", "seen", "verification", "sources")


def events(records: Sequence[Event]) -> Listing:
    return Listing(
        "events",
        [to_row(r) for r in records],
        EVENT_COLUMNS,
        ("date", "title", "type", "sectors", "verification", "id"),
        fields=Event._fields,
    )


def agreements(records: Sequence[Agreement]) -> Listing:
    return Listing(
        "agreements",
        [to_row(r) for r in records],
        AGREEMENT_COLUMNS,
        ("date", "type", "title", "sectors", "verification", "id"),
        fields=Agreement._fields,
    )


def indicators(records: Sequence[Indicator]) -> Listing:
    return Listing(
        "indicators",
        [to_row(r) for r in records],
        INDICATOR_COLUMNS,
        ("label", "country", "year", "period", "value", "verification", "id"),
        fields=Indicator._fields,
    )


def envoys(records: Sequence[Envoy]) -> Listing:
    return Listing(
        "envoys",
        [to_row(r) for r in records],
        ENVOY_COLUMNS,
        ("post", "person", "role", "start", "end", "seen", "verification", "id"),
        fields=Envoy._fields,
    )


def hits(found: Sequence[Hit]) -> Listing:
    rows = []
    for hit in found:
        record = hit.record
        title = headline(record)
        rows.append(
            {
                "collection": hit.collection,
                "id": record.id,
                "date": getattr(record, "date", None) or getattr(record, "start", None),
                "title": title,
                "verification": getattr(record, "verification", None),
                "score": hit.score,
            }
        )
    columns = ("collection", "id", "date", "title", "verification", "score")
    return Listing("results", rows, columns, ("collection", "date", "title", "verification", "id"), fields=columns)


def sources(usage: Sequence[tuple[Source, int]]) -> Listing:
    rows = [to_row(s, cited_by=n) for s, n in usage]
    return Listing(
        "sources",
        rows,
        ("id", "kind", "publisher", "title", "published", "url", "cited_by"),
        ("id", "publisher", "title", "published", "cited_by"),
        fields=(*Source._fields, "cited_by"),
    )


def sectors(usage: Sequence[SectorUsage]) -> Listing:
    rows = [to_row(u.sector, events=u.events, agreements=u.agreements) for u in usage]
    columns = ("id", "label", "aliases", "events", "agreements")
    return Listing("sectors", rows, columns, columns, fields=(*Sector._fields, "events", "agreements"))


def errata(records: Sequence[Erratum]) -> Listing:
    return Listing(
        "errata",
        [to_row(r) for r in records],
        ("id", "status", "claim", "finding", "records", "sources"),
        ("status", "claim", "finding", "records"),
        fields=Erratum._fields,
    )
