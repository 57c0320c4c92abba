"""The SQLite database of a KB: the tables `export` writes, and the private tables commands query.

Each collection has a private table `pakaz_<collection>`: a row per record in KB order
(`pos`), the key columns that filters and orders use (id, first and last day, kind,
verification, country, year), and the record as one line of JSON, from which a record is
built only when it is printed. `pakaz_record_sectors` links records to sectors, `pakaz_search` is
the full-text index behind `search` and `--query` (an ordinary table, scanned, where this
SQLite has no FTS5), and `pakaz_info` says what the database was built from.

This module knows no output format: it stores records as `model.json_text` writes them.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pakaz.dates import first_day, last_day
from pakaz.errors import TERMINAL_UNSAFE, KBError, Problem
from pakaz.model import from_json, json_text
from pakaz.textfold import fold

# Bumped when a table or column changes meaning; stored as the database's user_version.
SCHEMA_VERSION = 3
COLLECTIONS = ("sources", "sectors", "events", "agreements", "indicators", "envoys", "errata", "synonyms")
# Facts first: among equally good matches, an event is a better answer than the source behind it.
SEARCHED = ("events", "agreements", "indicators", "envoys", "errata", "sectors", "sources")
FACTS = SEARCHED[:4]  # the collections whose records carry a verification status
SEARCH_COLUMNS = ("title", "summary", "notes", "other", "folded")
# Where highlighted words begin and end in a snippet: private-use characters, removed from KB text.
MARK, END = "\ue000", "\ue001"
# The first day of an undated record: after every date, so that date order puts it last (as
# `timeline` does) and an index gives that order; its last day stays null, so no window holds it.
UNDATED = "9999-99-99"


def has_fts5() -> bool:
    """Whether this Python's SQLite can build a full-text index (a few builds cannot)."""
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(a)")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def private_tables() -> list[str]:
    """The names of the tables only pakaz reads."""
    return [*(f"pakaz_{c}" for c in COLLECTIONS), "pakaz_record_sectors", "pakaz_info", "pakaz_search"]


def private_statements(fts: bool) -> list[str]:
    statements = [
        f"CREATE TABLE pakaz_{name} (pos INTEGER PRIMARY KEY, id TEXT NOT NULL, lo TEXT, hi TEXT, kind TEXT,"
        f" verification TEXT, country TEXT, year INTEGER, json TEXT NOT NULL)"
        for name in COLLECTIONS
    ]
    statements += [f"CREATE UNIQUE INDEX pakaz_{name}_id ON pakaz_{name} (id)" for name in COLLECTIONS]
    # Walked in date order; `hi` in the index lets a --since filter skip rows without reading them.
    statements += [f"CREATE INDEX pakaz_{name}_lo ON pakaz_{name} (lo, id, hi)" for name in ("events", "agreements")]
    statements.append(
        "CREATE TABLE pakaz_record_sectors (collection TEXT NOT NULL, sector TEXT NOT NULL, pos INTEGER NOT NULL,"
        " PRIMARY KEY (collection, sector, pos)) WITHOUT ROWID"
    )
    statements.append("CREATE TABLE pakaz_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    columns = ", ".join(SEARCH_COLUMNS)
    if fts:
        # Porter stems English (summits finds summit); remove_diacritics 2 folds accents (Türkiye, turkiye).
        # The `folded` column holds pakaz's own folding (Əliyev as aliyev, Şuşa and Shusha as susa).
        statements.append(
            f"CREATE VIRTUAL TABLE pakaz_search USING fts5(collection UNINDEXED, pos UNINDEXED, {columns},"
            " tokenize='porter unicode61 remove_diacritics 2')"
        )
    else:
        statements.append(f"CREATE TABLE pakaz_search (collection TEXT, pos INTEGER, {columns})")
    return statements


# --- building ---------------------------------------------------------------------------


def _keys(collection: str, record: Any) -> tuple[Any, ...]:
    """(lo, hi, kind, verification, country, year) of a record: what filters and orders use."""
    if collection == "events":
        date = record.date
        return (
            first_day(date) if date else UNDATED,
            last_day(record.end_date or date) if date else None,
            record.type,
            record.verification,
            None,
            None,
        )
    if collection == "agreements":
        date = record.date
        lo, hi = (first_day(date), last_day(date)) if date else (UNDATED, None)
        return lo, hi, record.type, record.verification, None, None
    if collection == "indicators":
        year = f"{record.year:04d}"
        return f"{year}-01-01", f"{year}-12-31", record.name, record.verification, record.country, record.year
    if collection == "envoys":
        return None, None, record.post, record.verification, None, None
    return None, None, None, None, None, None


_POSTS = {"pak-to-aze": "Pakistan's envoy to Azerbaijan", "aze-to-pak": "Azerbaijan's envoy to Pakistan"}
_COUNTRIES = {"PAK": "Pakistan", "AZE": "Azerbaijan", "PAK-AZE": "Pakistan Azerbaijan bilateral"}


def search_text(collection: str, record: Any, sector_words: dict[str, str]) -> tuple[str, str, str, str]:
    """(title, summary, notes, other) of a record, as search reads them: its words, not its references."""

    def join(*parts: Any) -> str:
        out: list[str] = []
        for part in parts:
            if isinstance(part, tuple):
                out.extend(part)
            elif part is not None and part != "":
                out.append(str(part))
        return "\n".join(out)

    if collection == "events":
        sectors = [sector_words.get(s, s) for s in record.sectors]
        return (
            record.title,
            record.summary,
            record.notes or "",
            join(record.place, record.actors, record.type, *sectors),
        )
    if collection == "agreements":
        sectors = [sector_words.get(s, s) for s in record.sectors]
        other = join(record.place, record.parties, record.signatories, record.type, record.status, *sectors)
        return record.title, record.summary, record.notes or "", other
    if collection == "indicators":
        summary = join(record.name.replace("-", " "), _COUNTRIES.get(record.country), record.period)
        return record.label, summary, record.notes or "", join(record.country, record.year, record.unit)
    if collection == "envoys":
        return record.person, join(record.role.replace("-", " "), _POSTS.get(record.post)), record.notes or "", ""
    if collection == "errata":
        return record.claim, record.finding, record.notes or "", record.status
    if collection == "sectors":
        return record.label, record.description or "", "", join(record.id, record.aliases)
    if collection == "sources":
        other = join(record.authors, record.kind, record.published)
        return record.title, record.publisher, record.notes or "", other
    return "", "", "", ""


def sector_text(kb: Any) -> dict[str, str]:
    """What a record's sector ids read as in search: the id and the label's words."""
    words = {}
    for sector in kb.sectors:
        label = sector.label.split()
        words[sector.id] = " ".join(label if sector.id in map(str.casefold, label) else [sector.id, *label])
    return words


def _unmarked(text: str) -> str:
    return text.replace(MARK, " ").replace(END, " ") if MARK in text or END in text else text


def build(
    connection: sqlite3.Connection,
    kb: Any,
    *,
    events: Sequence[Any] | None = None,
    agreements: Sequence[Any] | None = None,
    selection: str | None = None,
    info: dict[str, str] | None = None,
) -> dict[str, int]:
    """Create every table of `kb` in the empty database `connection`; return the rows per collection.

    `events` and `agreements` are what an export selected (default: all); `info` is stored in
    `pakaz_info` (a cache stores what it must match there).
    """
    from pakaz import tables

    fts = has_fts5()
    chosen = {
        "events": kb.events if events is None else events,
        "agreements": kb.agreements if agreements is None else agreements,
    }
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.execute("BEGIN")
    for statement in [*tables.create_statements(), *private_statements(fts)]:
        connection.execute(statement)
    counts = tables.insert_rows(connection, kb, chosen["events"], chosen["agreements"], selection)
    for table_name, _columns in tables.FTS:
        connection.execute(f"INSERT INTO {table_name}_fts({table_name}_fts) VALUES ('rebuild')")

    sector_words = sector_text(kb)
    for collection in COLLECTIONS:
        records = chosen.get(collection, getattr(kb, collection))
        connection.executemany(
            f"INSERT INTO pakaz_{collection} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((pos, r.id, *_keys(collection, r), json_text(r)) for pos, r in enumerate(records)),
        )
        if collection in ("events", "agreements"):
            connection.executemany(
                "INSERT OR IGNORE INTO pakaz_record_sectors VALUES (?, ?, ?)",
                ((collection, s, pos) for pos, r in enumerate(records) for s in r.sectors),
            )
        if collection in SEARCHED:
            connection.executemany(
                "INSERT INTO pakaz_search VALUES (?, ?, ?, ?, ?, ?, ?)",
                (_search_row(collection, pos, r, sector_words) for pos, r in enumerate(records)),
            )
    stored = {"schema": str(SCHEMA_VERSION), "fts5": "1" if fts else "0", **(info or {})}
    connection.executemany("INSERT INTO pakaz_info VALUES (?, ?)", stored.items())
    problems = connection.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise AssertionError(f"the database broke its own foreign keys: {problems[:5]}")
    connection.execute("COMMIT")
    return counts


def _search_row(collection: str, pos: int, record: Any, sector_words: dict[str, str]) -> tuple[Any, ...]:
    texts = [_unmarked(t) for t in search_text(collection, record, sector_words)]
    # The folded text also holds the id's words: an id is found, if only by its weakest column.
    return (collection, pos, *texts, fold("\n".join([*texts, record.id.replace("-", " ")])))


# --- reading ----------------------------------------------------------------------------


class Database:
    """An open KB database; if it turns out damaged, the one `recover` builds takes its place, once."""

    def __init__(self, connection: sqlite3.Connection, recover: Callable[[], sqlite3.Connection] | None = None) -> None:
        self.connection = connection
        self._recover = recover
        self._info: dict[str, str] | None = None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one statement (all SQL takes parameters; names come only from this program)."""
        try:
            return self.connection.execute(sql, params).fetchall()
        except sqlite3.DatabaseError:
            if self._recover is None:
                raise
        self.replace()
        return self.connection.execute(sql, params).fetchall()

    def replace(self) -> None:
        """Answer from the database `recover` builds from now on (the cache failed a check)."""
        if self._recover is None:
            message = "the KB database is damaged; delete the cache (see PAKAZ_CACHE_DIR) and run again"
            raise KBError([Problem("", 0, message)])
        recover, self._recover = self._recover, None
        self.connection = recover()
        self._info = None

    def info(self, key: str) -> str | None:
        if self._info is None:
            self._info = dict(self.rows("SELECT key, value FROM pakaz_info"))
        return self._info.get(key)

    @property
    def fts(self) -> bool:
        return self.info("fts5") == "1"

    def record(self, cls: Any, text: Any) -> Any:
        """The record stored as `text`; a stored record that fails its check means a damaged cache."""
        try:
            record = from_json(cls, json.loads(text))
        except (TypeError, ValueError, RecursionError):
            record = None
        if record is None:
            raise DamagedRecord
        return record


class DamagedRecord(Exception):
    """A stored record is not what pakaz writes: the cache is to be replaced."""


class Table(Sequence[Any]):
    """The records of one collection in a database, each built when first read."""

    def __init__(self, db: Database, collection: str, cls: Any, count: int) -> None:
        self.db = db
        self.collection = collection
        self.cls = cls
        self._built: list[Any] = [None] * count

    def __len__(self) -> int:
        return len(self._built)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = range(len(self))[index]  # IndexError as a tuple gives it; negative indexes
        record = self._built[index]
        if record is None:
            try:
                record = self._fetch(index)
            except DamagedRecord:
                self._damaged()
                record = self._fetch(index)
            self._built[index] = record
        return record

    def _fetch(self, pos: int) -> Any:
        found = self.db.rows(f"SELECT json FROM pakaz_{self.collection} WHERE pos = ?", (pos,))
        if len(found) != 1:  # a record the database says it has, missing: not what pakaz wrote
            raise DamagedRecord
        return self.db.record(self.cls, found[0][0])

    def _damaged(self) -> None:
        """A stored record failed its check: read everything from the recovered database instead."""
        self.db.replace()
        self._built = [None] * len(self._built)

    def take(self, rows: Sequence[tuple[int, Any]]) -> list[Any]:
        """The records of (pos, json) rows a query returned, in that order."""
        built, make = self._built, self.db.record
        out = []
        try:
            for pos, text in rows:
                if not 0 <= pos < len(built):
                    raise DamagedRecord
                record = built[pos]
                if record is None:
                    record = built[pos] = make(self.cls, text)
                out.append(record)
        except DamagedRecord:
            self._damaged()
            return [self[pos] for pos, _text in rows]
        return out

    def __iter__(self) -> Iterator[Any]:
        if any(r is None for r in self._built):
            self.take(self.db.rows(f"SELECT pos, json FROM pakaz_{self.collection} ORDER BY pos"))
        return iter(self._built)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Table({self.collection!r}, {len(self)} records)"


# What pakaz's JSON never holds unescaped: stored text that does was not written by pakaz.
_UNSAFE_LINE = re.compile(rf"[\x00-\x09\x0b-\x1f{TERMINAL_UNSAFE}]")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F)) + b"\n"


def _as_written(text: str) -> bool:
    """Whether stored JSON Lines are what pakaz writes: no raw control, bidi or separator character."""
    if text.isascii():  # the common case, and ten times faster to check as bytes
        return not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return _UNSAFE_LINE.search(text) is None


class Found(Sequence[Any]):
    """The records a query selects, in order, fetched when first read.

    `json_lines` gives them as `--format jsonl` prints them, straight from the database: the
    query then runs once, inside SQLite, and no record is built.
    """

    def __init__(self, records: Sequence[Any], db: Database, sql: str, params: Sequence[Any]) -> None:
        self.records = records
        self.db = db
        self.sql = sql  # selects (pos, json), in order
        self.params = list(params)
        self._rows: list[tuple[int, str]] | None = None
        self._built: list[Any] | None = None

    @property
    def rows(self) -> list[tuple[int, str]]:
        if self._rows is None:
            self._rows = self.db.rows(self.sql, self.params)
        return self._rows

    def _all(self) -> list[Any]:
        if self._built is None:
            records = self.records
            if isinstance(records, Table):
                self._built = records.take(self.rows)
            else:
                self._built = [records[pos] for pos, _text in self.rows]
        return self._built

    def json_lines(self) -> str | None:
        """The records as `--format jsonl` prints them; None if the stored text is not what pakaz
        writes (then the records are built, and checked, instead)."""
        if self._rows is not None:
            text = "".join([text + "\n" for _pos, text in self._rows])
        else:
            [(joined,)] = self.db.rows(f"SELECT group_concat(json, char(10)) FROM ({self.sql})", self.params)
            text = joined + "\n" if joined else ""
        return text if _as_written(text) else None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Found({self._all()!r})"


def in_memory(kb: Any) -> sqlite3.Connection:
    """A database of `kb` in memory: for a KB parsed from YAML with no cache to read."""
    connection = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    build(connection, kb)
    return connection
