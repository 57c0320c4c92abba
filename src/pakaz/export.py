"""Export the KB to a SQLite database, with a Datasette metadata.json beside it.

One table per collection, keyed by id; list fields become link tables with foreign
keys; titles and summaries get a full-text index (FTS5, the `<table>_fts` naming that
Datasette detects). Both files are written to temporary files in their own directory
and moved into place with os.replace, so a failed export leaves the old files as they were.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pakaz import model
from pakaz.errors import PakazError
from pakaz.files import sweep_stale
from pakaz.kb import KB
from pakaz.model import Agreement, Event
from pakaz.render import json_safe
from pakaz.schema import COLLECTIONS, FIELDS

# Bumped when a table or column changes meaning; stored as the database's user_version.
SCHEMA_VERSION = 2
METADATA_NAME = "metadata.json"


class ExportError(PakazError):
    """The database or its metadata cannot be written where the user asked."""


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


class Summary(NamedTuple):
    """What an export wrote: the files and the number of rows of each collection table."""

    database: Path
    metadata: Path | None
    counts: dict[str, int]


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
    ),
    Table(
        "events",
        COLLECTIONS["events"],
        (
            _field("events", "id", "TEXT PRIMARY KEY"),
            _field("events", "date", "TEXT"),
            _field("events", "end_date", "TEXT"),
            _field("events", "type", "TEXT NOT NULL " + _one_of("type", model.EVENT_TYPES)),
            _field("events", "title", "TEXT NOT NULL"),
            _field("events", "summary", "TEXT NOT NULL"),
            _field("events", "place", "TEXT"),
            _field("events", "verification", "TEXT NOT NULL " + _VERIFICATION),
            _field("events", "notes", "TEXT"),
        ),
        label_column="title",
        sort="date",
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
            _field("agreements", "id", "TEXT PRIMARY KEY"),
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
            Column(
                "event",
                "TEXT REFERENCES events(id)",
                FIELDS["agreements"]["event"] + " Null when that event is not in this export.",
            ),
            _field("agreements", "verification", "TEXT NOT NULL " + _VERIFICATION),
            _field("agreements", "notes", "TEXT"),
        ),
        label_column="title",
        sort="date",
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
            _field("indicators", "value", "REAL NOT NULL"),
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

_LICENCE_URLS = {
    "CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC BY-SA 4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC0 1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}


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


# --- selection ---------------------------------------------------------------------------


def selection_text(
    since: str | None, until: str | None, sectors: Sequence[str], verification: Sequence[str]
) -> str | None:
    """The filters as command-line options, or None when there is none."""
    parts = []
    if since is not None:
        parts.append(f"--since {since}")
    if until is not None:
        parts.append(f"--until {until}")
    parts += [f"--sector {s}" for s in sectors]
    parts += [f"--verification {v}" for v in verification]
    return " ".join(parts) or None


# --- writing -------------------------------------------------------------------------------


def export(
    kb: KB,
    path: str | os.PathLike[str],
    *,
    since: str | None = None,
    until: str | None = None,
    sectors: Sequence[str] = (),
    verification: Sequence[str] = (),
    metadata: str | os.PathLike[str] | None = None,
    with_metadata: bool = True,
    force: bool = False,
) -> Summary:
    """Write `kb` to the SQLite database at `path`, and Datasette metadata beside it.

    The filters select events (by date range, as `timeline`) and agreements (by signing
    date, as `agreements`); indicators, sources, sectors and errata are exported whole.
    `metadata` is where the metadata goes (default: metadata.json in the database's
    directory). Existing files are replaced atomically, but only a SQLite database and a
    metadata file that pakaz wrote, unless `force`; never a link, a device or anything in
    /dev or /proc. Raises ExportError.
    """
    from pakaz import query

    database = Path(path)
    meta_path = (Path(metadata) if metadata is not None else database.parent / METADATA_NAME) if with_metadata else None
    _check_target(database, _is_database, "a SQLite database", force)
    if meta_path is not None:
        _check_target(meta_path, _is_our_metadata, "a metadata file written by pakaz", force)
        if _same_file(meta_path, database):
            raise ExportError(f"the database and its metadata cannot both be {shown(database)}")
    for directory in {database.parent, *((meta_path.parent,) if meta_path else ())}:
        sweep_stale(directory, ".pakaz-*.tmp")  # what exports killed while writing left behind
    events = query.timeline(kb, since=since, until=until, sectors=sectors, verification=verification)
    agreements = query.agreements(kb, since=since, until=until, sectors=sectors, verification=verification)
    selection = selection_text(since, until, sectors, verification)

    # Both files are complete before either replaces anything.
    staged: list[tuple[Path, Path]] = []
    current = database  # the file being written, for error messages
    try:
        db_temp = _temp_beside(database)
        staged.append((db_temp, database))
        counts = _write_database(db_temp, kb, events, agreements, selection)
        if meta_path is not None:
            current = meta_path
            meta_temp = _temp_beside(meta_path)
            staged.append((meta_temp, meta_path))
            document = json.dumps(datasette_metadata(kb, database, selection), indent=2, ensure_ascii=False)
            _write_text(meta_temp, json_safe(document))  # KB text must not carry bidi marks or C1 codes
        for temp, target in staged:
            current = target
            _replace(temp, target)
    except PermissionError:
        raise ExportError(f"cannot write {shown(current)}: permission denied") from None
    except OSError as e:
        raise ExportError(f"cannot write {shown(current)}: {e.strerror or e}") from None
    except sqlite3.OperationalError as e:  # disk full, I/O error
        raise ExportError(f"cannot write {shown(current)}: {e}") from None
    finally:
        for temp, _target in staged:
            temp.unlink(missing_ok=True)  # nothing left behind when it failed; a no-op when it was moved
    return Summary(database, meta_path, counts)


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")
        f.flush()
        os.fsync(f.fileno())


def shown(path: str | os.PathLike[str]) -> str:
    """A path as it can be printed: undecodable bytes as escapes, never a traceback."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


_SQLITE_MAGIC = b"SQLite format 3\x00"
_SYSTEM_DIRS = ("/dev", "/proc", "/sys")


def _is_database(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(len(_SQLITE_MAGIC))
    return head in (b"", _SQLITE_MAGIC)  # an empty file holds nothing to lose


def _is_our_metadata(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            document = json.loads(f.read(4 << 20))
    except (ValueError, OSError):
        return False
    source = document.get("source") if isinstance(document, dict) else None
    return isinstance(source, str) and source.startswith("pakaz knowledge base")


def _check_target(target: Path, ours: Callable[[Path], bool], what: str, force: bool) -> None:
    """Refuse, before anything is written, a target that must not be replaced."""
    name = shown(target)
    try:
        # Both where the name points and what it names: /dev/stdout is a link into /proc.
        places = (os.path.realpath(target), os.path.abspath(target))
        if any(p == d or p.startswith(d + "/") for p in places for d in _SYSTEM_DIRS):
            raise ExportError(f"{name} is a system path; write the export to an ordinary file")
        try:
            info = os.lstat(target)
        except (FileNotFoundError, NotADirectoryError):
            info = None
        if info is not None:
            if stat.S_ISLNK(info.st_mode):
                raise ExportError(f"{name} is a symbolic link; pakaz replaces no links: give the file it points to")
            if stat.S_ISDIR(info.st_mode):
                raise ExportError(f"{name} is a directory; give a file name, e.g. {shown(target / 'pakaz.db')}")
            if not stat.S_ISREG(info.st_mode):
                raise ExportError(f"{name} exists and is not a regular file; give another file name")
            if not force and not ours(target):
                raise ExportError(f"{name} exists and is not {what}; give another name, or --force to replace it")
        parent = target.parent
        if parent.exists() and not parent.is_dir():
            raise ExportError(f"cannot write {name}: {shown(parent)} is a file, not a directory")
        if not parent.is_dir():
            raise ExportError(f"cannot write {name}: directory {shown(parent)} does not exist")
    except OSError as e:  # a name too long, a loop of links, no permission to look
        raise ExportError(f"cannot write {name}: {e.strerror or e}") from None


def _same_file(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def _temp_beside(target: Path) -> Path:
    """Create an empty file in target's directory (same filesystem, so os.replace is atomic)."""
    while True:
        # A short name: one derived from a 250-byte target name would be too long for the filesystem.
        candidate = target.with_name(f".pakaz-{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
        except FileExistsError:
            continue
        os.close(fd)
        return candidate


def _replace(temp: Path, target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):  # keep the permissions of the file it replaces
        os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))
    os.replace(temp, target)


def _write_database(
    path: Path, kb: KB, events: Sequence[Event], agreements: Sequence[Agreement], selection: str | None
) -> dict[str, int]:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # The file is a private temporary until it is moved into place: no journal needed.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute("BEGIN")
        for statement in create_statements():
            connection.execute(statement)
        counts = _insert(connection, kb, events, agreements, selection)
        for table_name, _columns in FTS:
            connection.execute(f"INSERT INTO {table_name}_fts({table_name}_fts) VALUES ('rebuild')")
        problems = connection.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise AssertionError(f"export broke its own foreign keys: {problems[:5]}")
        connection.execute("COMMIT")
    finally:
        connection.close()
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
    return counts


def _rows(connection: sqlite3.Connection, table: str, rows: Iterable[Sequence[Any]]) -> None:
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


def _insert(
    connection: sqlite3.Connection,
    kb: KB,
    events: Sequence[Event],
    agreements: Sequence[Agreement],
    selection: str | None,
) -> dict[str, int]:
    from pakaz import __version__

    meta = kb.meta
    _rows(connection, "meta", [(meta.version, meta.date, meta.title, meta.licence, __version__, selection)])
    _rows(
        connection, "sources", _record_rows("sources", kb.sources, lambda s: {"title_supplied": int(s.title_supplied)})
    )
    _rows(connection, "source_authors", (row for s in kb.sources for row in _positions(s.id, s.authors)))
    _rows(connection, "sectors", _record_rows("sectors", kb.sectors))
    _rows(connection, "sector_aliases", ((alias, s.id) for s in kb.sectors for alias in dict.fromkeys(s.aliases)))

    _rows(connection, "events", _record_rows("events", events))
    _rows(connection, "event_sectors", (link for e in events for link in _links(e.id, e.sectors)))
    _rows(connection, "event_sources", (link for e in events for link in _links(e.id, e.sources)))
    _rows(connection, "event_actors", (row for e in events for row in _positions(e.id, e.actors)))

    event_ids = {e.id for e in events}
    _rows(
        connection,
        "agreements",
        _record_rows("agreements", agreements, lambda a: {"event": a.event if a.event in event_ids else None}),
    )
    _rows(connection, "agreement_sectors", (link for a in agreements for link in _links(a.id, a.sectors)))
    _rows(connection, "agreement_sources", (link for a in agreements for link in _links(a.id, a.sources)))
    _rows(connection, "agreement_parties", (row for a in agreements for row in _positions(a.id, a.parties)))
    _rows(connection, "agreement_signatories", (row for a in agreements for row in _positions(a.id, a.signatories)))

    _rows(connection, "indicators", _record_rows("indicators", kb.indicators, lambda i: {"value": float(i.value)}))
    _rows(connection, "indicator_sources", (link for i in kb.indicators for link in _links(i.id, i.sources)))

    _rows(connection, "envoys", _record_rows("envoys", kb.envoys))
    _rows(connection, "envoy_sources", (link for e in kb.envoys for link in _links(e.id, e.sources)))

    _rows(connection, "errata", _record_rows("errata", kb.errata))
    _rows(connection, "erratum_sources", (link for e in kb.errata for link in _links(e.id, e.sources)))
    exported = {
        **{e.id: "event" for e in events},
        **{a.id: "agreement" for a in agreements},
        **{i.id: "indicator" for i in kb.indicators},
        **{e.id: "envoy" for e in kb.envoys},
    }
    _rows(
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


# --- Datasette metadata ----------------------------------------------------------------------


def datasette_metadata(kb: KB, database: Path, selection: str | None = None) -> dict[str, Any]:
    """Datasette's metadata.json for an export: title, description, licence, source, tables and columns."""
    from pakaz import __version__

    meta = kb.meta
    description = (
        f"Facts about Pakistan-Azerbaijan relations, each with its source: events, agreements, indicators, "
        f"sources, sectors and errata of the pakaz knowledge base {meta.version} ({meta.date}), "
        f"exported by pakaz {__version__}."
    )
    if selection:
        description += f" Events and agreements selected with {selection}; the other tables are whole."
    document: dict[str, Any] = {"title": meta.title, "description": description}
    if meta.licence:
        document["license"] = meta.licence
        url = next((u for name, u in _LICENCE_URLS.items() if meta.licence.startswith(name)), None)
        if url:
            document["license_url"] = url
    document["source"] = f"pakaz knowledge base {meta.version} ({meta.date})"
    source_url = _project_url()
    if source_url:
        document["source_url"] = source_url
    tables: dict[str, Any] = {}
    for table in TABLES:
        entry: dict[str, Any] = {"description": table.description}
        if table.label_column:
            entry["label_column"] = table.label_column
        if table.sort:
            entry["sort"] = table.sort
        entry["columns"] = {c.name: c.description for c in table.columns}
        tables[table.name] = entry
    for table_name, _columns in FTS:
        tables[f"{table_name}_fts"] = {
            "description": f"Full-text index of the titles and summaries of {table_name}.",
            "hidden": True,
        }
    # Datasette names a database after its file name without the extension.
    document["databases"] = {database.stem: {"tables": tables}}
    return document


def _project_url() -> str | None:
    """The project's home or source URL from its package metadata, if it declares one."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("pakaz").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    by_label = {}
    for entry in urls:
        label, _, url = entry.partition(",")
        by_label[label.strip().lower()] = url.strip()
    return by_label.get("source") or by_label.get("homepage") or by_label.get("repository")
