"""The tables of a KB database, as `pakaz export` writes them and Datasette shows them: their columns,
their descriptions, and the rows of a KB.

One table per collection, keyed by id; list fields become link tables with foreign keys;
titles and summaries of events and agreements get a full-text index (FTS5, the
`<table>_fts` naming that Datasette detects).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from pakaz import model
from pakaz.dates import first_day
from pakaz.model import Agreement, Event
from pakaz.schema import COLLECTIONS, FIELDS


class Column(NamedTuple):
    name: str
    decl: str  # type and constraints, as in CREATE TABLE
    description: str


class Table(NamedTuple):
    name: str
    description: str
    columns: tuple[Column, ...]
    constraints: tuple[str, ...] = ()
    label_column: str | None = None
    sort: str | None = None
    facets: tuple[Any, ...] = ()
    hidden: bool = False  # from Datasette's lists of tables: a link table, read through its owner


def _one_of(column: str, choices: Iterable[str]) -> str:
    return f"CHECK ({column} IN ({', '.join(repr(c) for c in choices)}))"


def _field(collection: str, name: str, decl: str) -> Column:
    return Column(name, decl, FIELDS[collection][name])


def _link(
    name: str, description: str, owner: str, owner_table: str, other: str, other_table: str | None, other_text: str
) -> Table:
    """A table linking each record of `owner_table` to one value (another table's id, or text)."""
    references = f" REFERENCES {other_table}(id)" if other_table else ""
    return Table(
        name,
        description,
        (
            Column(owner, f"TEXT NOT NULL REFERENCES {owner_table}(id)", f"Id of the row in {owner_table}."),
            Column(other, f"TEXT NOT NULL{references}", other_text),
        ),
        (f"PRIMARY KEY ({owner}, {other})",),
        hidden=True,
    )


def _ordered(name: str, description: str, owner: str, owner_table: str, value: str, value_text: str) -> Table:
    """A table holding a list of text of each record of `owner_table`, in KB order."""
    return Table(
        name,
        description,
        (
            Column(owner, f"TEXT NOT NULL REFERENCES {owner_table}(id)", f"Id of the row in {owner_table}."),
            Column("position", "INTEGER NOT NULL", "Position in the record's list, from 1."),
            Column(value, "TEXT NOT NULL", value_text),
        ),
        (f"PRIMARY KEY ({owner}, position)",),
        hidden=True,
    )


def _sources_of(name: str, owner: str, owner_table: str) -> Table:
    return _link(
        name,
        f"The sources each row of {owner_table} rests on.",
        owner,
        owner_table,
        "source_id",
        "sources",
        "Id of the source.",
    )


def _sectors_of(name: str, owner: str, owner_table: str) -> Table:
    return _link(
        name,
        f"The sectors of each row of {owner_table}.",
        owner,
        owner_table,
        "sector_id",
        "sectors",
        "Id of the sector.",
    )


_VERIFICATION = _one_of("verification", model.VERIFICATION)
_SECTORS_ARRAY = (
    "The sector ids as a JSON array, for faceting (the link table holds the same);"
    " the rows are in order of date, undated last, as `pakaz timeline` lists them."
)

TABLES: tuple[Table, ...] = (
    Table(
        "meta",
        "The exported knowledge base: its version and date, and which records were selected.",
        (
            _field("meta", "version", "TEXT NOT NULL"),
            _field("meta", "date", "TEXT NOT NULL"),
            _field("meta", "title", "TEXT NOT NULL"),
            _field("meta", "licence", "TEXT"),
            Column("pakaz_version", "TEXT NOT NULL", "Version of pakaz that wrote this database."),
            Column("selection", "TEXT", "The filters that selected events and agreements; null for the whole KB."),
        ),
    ),
    Table(
        "sources",
        COLLECTIONS["sources"],
        (
            _field("sources", "id", "TEXT PRIMARY KEY"),
            _field("sources", "title", "TEXT NOT NULL"),
            _field("sources", "title_supplied", "INTEGER NOT NULL CHECK (title_supplied IN (0, 1))"),
            _field("sources", "publisher", "TEXT NOT NULL"),
            _field("sources", "kind", "TEXT NOT NULL " + _one_of("kind", model.SOURCE_KINDS)),
            _field("sources", "url", "TEXT"),
            _field("sources", "via", "TEXT"),
            _field("sources", "published", "TEXT"),
            _field("sources", "language", "TEXT"),
            _field("sources", "notes", "TEXT"),
        ),
        label_column="title",
    ),
    _ordered("source_authors", "The authors of each source, as bylined.", "source_id", "sources", "author", "Name."),
    Table(
        "sectors",
        COLLECTIONS["sectors"],
        (
            _field("sectors", "id", "TEXT PRIMARY KEY"),
            _field("sectors", "label", "TEXT NOT NULL"),
            _field("sectors", "description", "TEXT"),
        ),
        label_column="label",
    ),
    Table(
        "sector_aliases",
        "Words accepted for a sector by --sector.",
        (
            Column("alias", "TEXT PRIMARY KEY", "The alias, lowercase."),
            Column("sector_id", "TEXT NOT NULL REFERENCES sectors(id)", "Id of the sector it stands for."),
        ),
        hidden=True,
    ),
    Table(
        "events",
        COLLECTIONS["events"],
        (
            _field("events", "id", "TEXT NOT NULL UNIQUE"),
            _field("events", "date", "TEXT"),
            _field("events", "end_date", "TEXT"),
            _field("events", "type", "TEXT NOT NULL " + _one_of("type", model.EVENT_TYPES)),
            _field("events", "title", "TEXT NOT NULL"),
            _field("events", "summary", "TEXT NOT NULL"),
            Column("sectors", "TEXT NOT NULL", _SECTORS_ARRAY),
            _field("events", "place", "TEXT"),
            _field("events", "verification", "TEXT NOT NULL " + _VERIFICATION),
            _field("events", "notes", "TEXT"),
        ),
        label_column="title",
        facets=({"array": "sectors"}, "type", "verification"),
    ),
    _sectors_of("event_sectors", "event_id", "events"),
    _sources_of("event_sources", "event_id", "events"),
    _ordered(
        "event_actors", "The people or bodies involved in each event.", "event_id", "events", "actor", "Person or body."
    ),
    Table(
        "agreements",
        COLLECTIONS["agreements"],
        (
            _field("agreements", "id", "TEXT NOT NULL UNIQUE"),
            _field("agreements", "date", "TEXT"),
            _field("agreements", "title", "TEXT NOT NULL"),
            _field("agreements", "type", "TEXT NOT NULL " + _one_of("type", model.AGREEMENT_TYPES)),
            _field("agreements", "place", "TEXT"),
            _field("agreements", "status", "TEXT " + _one_of("status", model.AGREEMENT_STATUS)),
            _field("agreements", "ratified", "TEXT"),
            _field("agreements", "in_force", "TEXT"),
            _field("agreements", "ended", "TEXT"),
            _field("agreements", "documents", "INTEGER"),
            _field("agreements", "summary", "TEXT NOT NULL"),
            Column("sectors", "TEXT NOT NULL", _SECTORS_ARRAY),
            Column(
                "event",
                "TEXT REFERENCES events(id)",
                FIELDS["agreements"]["event"] + " Null when that event is not in this export.",
            ),
            _field("agreements", "verification", "TEXT NOT NULL " + _VERIFICATION),
            _field("agreements", "notes", "TEXT"),
        ),
        label_column="title",
        facets=({"array": "sectors"}, "type", "verification"),
    ),
    _sectors_of("agreement_sectors", "agreement_id", "agreements"),
    _sources_of("agreement_sources", "agreement_id", "agreements"),
    _ordered(
        "agreement_parties",
        "The signing states or bodies of each agreement.",
        "agreement_id",
        "agreements",
        "party",
        "State or body.",
    ),
    _ordered(
        "agreement_signatories",
        "The people who signed each agreement.",
        "agreement_id",
        "agreements",
        "signatory",
        "Person who signed.",
    ),
    Table(
        "indicators",
        COLLECTIONS["indicators"],
        (
            _field("indicators", "id", "TEXT PRIMARY KEY"),
            _field("indicators", "name", "TEXT NOT NULL"),
            _field("indicators", "label", "TEXT NOT NULL"),
            _field("indicators", "country", "TEXT NOT NULL " + _one_of("country", model.COUNTRIES)),
            _field("indicators", "year", "INTEGER NOT NULL"),
            _field("indicators", "period", "TEXT"),
            _field("indicators", "value", "NUMERIC NOT NULL"),
            _field("indicators", "unit", "TEXT NOT NULL " + _one_of("unit", model.UNITS)),
            _field("indicators", "reporter", "TEXT " + _one_of("reporter", model.REPORTERS)),
            _field("indicators", "verification", "TEXT NOT NULL " + _VERIFICATION),
            _field("indicators", "notes", "TEXT"),
        ),
        label_column="id",
        sort="name",
    ),
    _sources_of("indicator_sources", "indicator_id", "indicators"),
    Table(
        "envoys",
        COLLECTIONS["envoys"],
        (
            _field("envoys", "id", "TEXT PRIMARY KEY"),
            _field("envoys", "person", "TEXT NOT NULL"),
            _field("envoys", "post", "TEXT NOT NULL " + _one_of("post", model.ENVOY_POSTS)),
            _field("envoys", "role", "TEXT NOT NULL " + _one_of("role", model.ENVOY_ROLES)),
            _field("envoys", "start", "TEXT"),
            _field("envoys", "end", "TEXT"),
            _field("envoys", "seen", "TEXT"),
            _field("envoys", "verification", "TEXT NOT NULL " + _VERIFICATION),
            _field("envoys", "notes", "TEXT"),
        ),
        label_column="person",
        sort="start",
    ),
    _sources_of("envoy_sources", "envoy_id", "envoys"),
    Table(
        "errata",
        COLLECTIONS["errata"],
        (
            _field("errata", "id", "TEXT PRIMARY KEY"),
            _field("errata", "claim", "TEXT NOT NULL"),
            _field("errata", "finding", "TEXT NOT NULL"),
            _field("errata", "status", "TEXT NOT NULL " + _one_of("status", model.ERRATUM_STATUS)),
            _field("errata", "notes", "TEXT"),
        ),
        label_column="id",
    ),
    _sources_of("erratum_sources", "erratum_id", "errata"),
    Table(
        "erratum_records",
        "The records that hold the corrected value of each erratum: one of event_id, agreement_id, indicator_id,"
        " envoy_id.",
        (
            Column("erratum_id", "TEXT NOT NULL REFERENCES errata(id)", "Id of the erratum."),
            Column("event_id", "TEXT REFERENCES events(id)", "Id of the event, when the record is an event."),
            Column("agreement_id", "TEXT REFERENCES agreements(id)", "Id of the agreement, when it is one."),
            Column("indicator_id", "TEXT REFERENCES indicators(id)", "Id of the indicator, when it is one."),
            Column("envoy_id", "TEXT REFERENCES envoys(id)", "Id of the envoy's term, when it is one."),
        ),
        (
            "CHECK ((event_id IS NOT NULL) + (agreement_id IS NOT NULL) + (indicator_id IS NOT NULL)"
            " + (envoy_id IS NOT NULL) = 1)",
        ),
        hidden=True,
    ),
)

_TABLE = {t.name: t for t in TABLES}

# (table, indexed columns) for the joins from the other side of each link.
INDEXES = (
    ("sector_aliases", "sector_id"),
    ("event_sectors", "sector_id"),
    ("event_sources", "source_id"),
    ("agreements", "event"),
    ("agreement_sectors", "sector_id"),
    ("agreement_sources", "source_id"),
    ("indicators", "name, country, year"),
    ("indicator_sources", "source_id"),
    ("envoy_sources", "source_id"),
    ("erratum_sources", "source_id"),
    ("erratum_records", "erratum_id"),
    ("erratum_records", "event_id"),
    ("erratum_records", "agreement_id"),
    ("erratum_records", "indicator_id"),
    ("erratum_records", "envoy_id"),
)

# Full-text search: `<table>_fts` with content=[<table>] is what Datasette looks for.
FTS = (("events", ("title", "summary")), ("agreements", ("title", "summary")))


def create_statements() -> list[str]:
    """The SQL that creates every table, index and full-text index of an export."""
    statements = []
    for table in TABLES:
        lines = [f"  {c.name} {c.decl}" for c in table.columns] + [f"  {c}" for c in table.constraints]
        statements.append(f"CREATE TABLE {table.name} (\n" + ",\n".join(lines) + "\n)")
    for table_name, indexed in INDEXES:
        suffix = indexed.replace(", ", "_")
        statements.append(f"CREATE INDEX idx_{table_name}_{suffix} ON {table_name} ({indexed})")
    # Accents are ignored in search, as in `pakaz search` (turkiye finds Türkiye); SQLite
    # before 3.27 knows only remove_diacritics 1, which misses some letters.
    diacritics = 2 if sqlite3.sqlite_version_info >= (3, 27) else 1
    for table_name, searched in FTS:
        statements.append(
            f"CREATE VIRTUAL TABLE {table_name}_fts USING fts5({', '.join(searched)}, content=[{table_name}], "
            f"tokenize='unicode61 remove_diacritics {diacritics}')"
        )
    return statements


def insert(connection: sqlite3.Connection, table: str, rows: Iterable[Sequence[Any]]) -> None:
    rows = list(rows)
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)


def _record_rows(
    table: str, records: Iterable[Any], adjust: Callable[[Any], dict[str, Any]] | None = None
) -> Iterator[tuple[Any, ...]]:
    """Rows of a collection table: its columns are the records' own field names."""
    names = [c.name for c in _TABLE[table].columns]
    for record in records:
        values = record._asdict()
        if adjust is not None:
            values.update(adjust(record))
        yield tuple(values[name] for name in names)


def _links(owner_id: str, values: Iterable[str]) -> Iterator[tuple[str, str]]:
    # A list may name the same sector or source twice; a link is there or not.
    yield from ((owner_id, v) for v in dict.fromkeys(values))


def _positions(owner_id: str, values: Iterable[str]) -> Iterator[tuple[str, int, str]]:
    yield from ((owner_id, i, v) for i, v in enumerate(values, 1))


def _chronological(record: Any) -> tuple[bool, str, str]:
    return (record.date is None, first_day(record.date or ""), record.id)


def _sectors_json(record: Any) -> dict[str, Any]:
    return {"sectors": json.dumps(list(record.sectors))}


def insert_rows(
    connection: sqlite3.Connection,
    kb: Any,
    events: Sequence[Event],
    agreements: Sequence[Agreement],
    selection: str | None,
) -> dict[str, int]:
    from pakaz import __version__

    meta = kb.meta
    insert(connection, "meta", [(meta.version, meta.date, meta.title, meta.licence, __version__, selection)])
    insert(
        connection, "sources", _record_rows("sources", kb.sources, lambda s: {"title_supplied": int(s.title_supplied)})
    )
    insert(connection, "source_authors", (row for s in kb.sources for row in _positions(s.id, s.authors)))
    insert(connection, "sectors", _record_rows("sectors", kb.sectors))
    insert(connection, "sector_aliases", ((alias, s.id) for s in kb.sectors for alias in dict.fromkeys(s.aliases)))

    # Rows in timeline order, undated last: a rowid table shows them so by default.
    events = sorted(events, key=_chronological)
    agreements = sorted(agreements, key=_chronological)
    insert(connection, "events", _record_rows("events", events, _sectors_json))
    insert(connection, "event_sectors", (link for e in events for link in _links(e.id, e.sectors)))
    insert(connection, "event_sources", (link for e in events for link in _links(e.id, e.sources)))
    insert(connection, "event_actors", (row for e in events for row in _positions(e.id, e.actors)))

    event_ids = {e.id for e in events}
    insert(
        connection,
        "agreements",
        _record_rows(
            "agreements",
            agreements,
            lambda a: {"event": a.event if a.event in event_ids else None, **_sectors_json(a)},
        ),
    )
    insert(connection, "agreement_sectors", (link for a in agreements for link in _links(a.id, a.sectors)))
    insert(connection, "agreement_sources", (link for a in agreements for link in _links(a.id, a.sources)))
    insert(connection, "agreement_parties", (row for a in agreements for row in _positions(a.id, a.parties)))
    insert(connection, "agreement_signatories", (row for a in agreements for row in _positions(a.id, a.signatories)))

    insert(connection, "indicators", _record_rows("indicators", kb.indicators))
    insert(connection, "indicator_sources", (link for i in kb.indicators for link in _links(i.id, i.sources)))

    insert(connection, "envoys", _record_rows("envoys", kb.envoys))
    insert(connection, "envoy_sources", (link for e in kb.envoys for link in _links(e.id, e.sources)))

    insert(connection, "errata", _record_rows("errata", kb.errata))
    insert(connection, "erratum_sources", (link for e in kb.errata for link in _links(e.id, e.sources)))
    exported = {
        **{e.id: "event" for e in events},
        **{a.id: "agreement" for a in agreements},
        **{i.id: "indicator" for i in kb.indicators},
        **{e.id: "envoy" for e in kb.envoys},
    }
    insert(
        connection,
        "erratum_records",
        (
            (e.id, *(ref if exported[ref] == kind else None for kind in ("event", "agreement", "indicator", "envoy")))
            for e in kb.errata
            for ref in dict.fromkeys(e.records)
            if ref in exported  # a record left out by the filters
        ),
    )
    return {
        "events": len(events),
        "agreements": len(agreements),
        "indicators": len(kb.indicators),
        "envoys": len(kb.envoys),
        "sources": len(kb.sources),
        "sectors": len(kb.sectors),
        "errata": len(kb.errata),
    }
