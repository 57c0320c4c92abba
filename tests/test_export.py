"""`pakaz export`: the SQLite database and its Datasette metadata, checked with sqlite3 and json."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from conftest import ROOT
from pakaz import export as export_module
from pakaz import query, store
from pakaz.errors import UsageError
from pakaz.export import ExportError, export
from pakaz.kb import KB, load

Cli = Callable[..., Result]

COLLECTIONS = ("events", "agreements", "indicators", "sources", "sectors", "errata")

# Where each list field of a record lives: (collection, field) -> (link table, owner column, value column).
LIST_TABLES = {
    ("events", "sectors"): ("event_sectors", "event_id", "sector_id"),
    ("events", "sources"): ("event_sources", "event_id", "source_id"),
    ("events", "actors"): ("event_actors", "event_id", "actor"),
    ("agreements", "sectors"): ("agreement_sectors", "agreement_id", "sector_id"),
    ("agreements", "sources"): ("agreement_sources", "agreement_id", "source_id"),
    ("agreements", "parties"): ("agreement_parties", "agreement_id", "party"),
    ("agreements", "signatories"): ("agreement_signatories", "agreement_id", "signatory"),
    ("indicators", "sources"): ("indicator_sources", "indicator_id", "source_id"),
    ("envoys", "sources"): ("envoy_sources", "envoy_id", "source_id"),
    ("sources", "authors"): ("source_authors", "source_id", "author"),
    ("sectors", "aliases"): ("sector_aliases", "sector_id", "alias"),
    ("errata", "sources"): ("erratum_sources", "erratum_id", "source_id"),
}
ORDERED = {"event_actors", "agreement_parties", "agreement_signatories", "source_authors"}


@pytest.fixture
def connect() -> Iterator[Callable[[Path], sqlite3.Connection]]:
    opened: list[sqlite3.Connection] = []

    def open_db(path: Path) -> sqlite3.Connection:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        opened.append(connection)
        return connection

    yield open_db
    for connection in opened:
        connection.close()


@pytest.fixture
def exported(mini: KB, tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]) -> sqlite3.Connection:
    export(mini, tmp_path / "mini.db")
    return connect(tmp_path / "mini.db")


def _columns(db: sqlite3.Connection, table: str) -> dict[str, tuple[str, bool, int]]:
    """name -> (declared type, not null, position in the primary key)."""
    return {row[1]: (row[2], bool(row[3]), row[5]) for row in db.execute(f"PRAGMA table_info({table})")}


def _foreign_keys(db: sqlite3.Connection, table: str) -> set[tuple[str, str, str]]:
    return {(row[3], row[2], row[4]) for row in db.execute(f"PRAGMA foreign_key_list({table})")}


def _count(db: sqlite3.Connection, sql: str, *args: Any) -> int:
    value: int = db.execute(sql, args).fetchone()[0]
    return value


# --- schema ------------------------------------------------------------------------------------


def test_one_table_per_collection_keyed_by_id(exported: sqlite3.Connection) -> None:
    for collection in COLLECTIONS:
        columns = _columns(exported, collection)
        if collection in ("events", "agreements"):
            # Rowid tables whose rows are in timeline order, so that Datasette lists them so; the id
            # is unique and what every link refers to.
            assert columns["id"] == ("TEXT", True, 0), collection
            indexes = exported.execute(f"PRAGMA index_list({collection})").fetchall()
            assert any(unique and exported.execute(f"PRAGMA index_info({name})").fetchall()[0][2] == "id"
                       for _seq, name, unique, *_rest in indexes), collection  # fmt: skip
        else:
            assert columns["id"] == ("TEXT", False, 1), collection  # a PRIMARY KEY; pakaz ids are never null
            assert [c for c, (_t, _n, pk) in columns.items() if pk] == ["id"]


def test_events_and_agreements_are_stored_in_timeline_order_undated_last(
    exported: sqlite3.Connection, mini: KB
) -> None:
    stored = [r[0] for r in exported.execute("SELECT id FROM events ORDER BY rowid")]
    assert stored == [e.id for e in query.timeline(mini)]
    assert stored[-1] == "undated-event"
    stored = [r[0] for r in exported.execute("SELECT id FROM agreements ORDER BY rowid")]
    assert stored == [a.id for a in query.agreements(mini)]


def test_columns_have_proper_types(exported: sqlite3.Connection) -> None:
    indicators = _columns(exported, "indicators")
    assert indicators["year"][:2] == ("INTEGER", True)
    assert indicators["value"][:2] == ("NUMERIC", True)  # REAL would turn 78810000000 into 78810000000.0
    assert indicators["period"][:2] == ("TEXT", False)
    events = _columns(exported, "events")
    assert events["title"][:2] == ("TEXT", True)
    assert events["date"][:2] == ("TEXT", False)  # partial ISO dates stay text: "1995", "1995-07"
    types = dict(exported.execute("SELECT id, typeof(year) || ' ' || typeof(value) FROM indicators"))
    assert types["gdp-aze-2022"] == "integer integer"  # a whole number stays whole
    assert types["gdp-aze-2023"] == "integer real"
    value = exported.execute("SELECT value FROM indicators WHERE id = 'gdp-aze-2022'").fetchone()[0]
    assert value == 78810000000 and isinstance(value, int)
    assert json.loads(exported.execute("SELECT sectors FROM events WHERE id = 'energy-visit'").fetchone()[0]) == [
        "energy",
        "diplomacy",
    ]


def test_every_field_of_every_record_has_a_column_or_a_link_table(exported: sqlite3.Connection, mini: KB) -> None:
    for collection in COLLECTIONS:
        record = getattr(mini, collection)[0]
        columns = set(_columns(exported, collection))
        lists = {field for (c, field) in LIST_TABLES if c == collection}
        if collection == "errata":
            lists.add("records")  # erratum_records, checked below
        assert columns | lists == set(record._fields), collection
        # Sectors are both a link table and a JSON array, for Datasette's facets.
        assert columns & lists == ({"sectors"} if collection in ("events", "agreements") else set())


def test_link_tables_have_foreign_keys(exported: sqlite3.Connection) -> None:
    assert _foreign_keys(exported, "event_sectors") == {("event_id", "events", "id"), ("sector_id", "sectors", "id")}
    assert _foreign_keys(exported, "agreement_sources") == {
        ("agreement_id", "agreements", "id"),
        ("source_id", "sources", "id"),
    }
    assert _foreign_keys(exported, "agreements") == {("event", "events", "id")}
    assert _foreign_keys(exported, "sector_aliases") == {("sector_id", "sectors", "id")}
    assert _foreign_keys(exported, "erratum_records") == {
        ("erratum_id", "errata", "id"),
        ("event_id", "events", "id"),
        ("agreement_id", "agreements", "id"),
        ("indicator_id", "indicators", "id"),
        ("envoy_id", "envoys", "id"),
    }
    for table, owner, _value in LIST_TABLES.values():
        assert owner in {fk[0] for fk in _foreign_keys(exported, table)}, table


def test_foreign_key_check_passes(exported: sqlite3.Connection) -> None:
    assert exported.execute("PRAGMA foreign_key_check").fetchall() == []
    assert exported.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_vocabularies_are_checked_by_the_database(mini: KB, tmp_path: Path) -> None:
    export(mini, tmp_path / "mini.db")
    with sqlite3.connect(tmp_path / "mini.db") as db, pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("UPDATE events SET verification = 'probably' WHERE id = 'march-event'")


# --- contents ---------------------------------------------------------------------------------


def test_row_counts_equal_the_kb(exported: sqlite3.Connection, mini: KB) -> None:
    for collection in COLLECTIONS:
        assert _count(exported, f"SELECT count(*) FROM {collection}") == len(getattr(mini, collection)), collection
    for (collection, field), (table, _owner, _value) in LIST_TABLES.items():
        expected = sum(len(getattr(r, field)) for r in getattr(mini, collection))
        assert _count(exported, f"SELECT count(*) FROM {table}") == expected, table
    assert _count(exported, "SELECT count(*) FROM erratum_records") == sum(len(e.records) for e in mini.errata)


def test_the_bundled_kb_exports_whole(tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]) -> None:
    kb = load()
    summary = export(kb, tmp_path / "pakaz.db")
    db = connect(tmp_path / "pakaz.db")
    for collection in COLLECTIONS:
        assert _count(db, f"SELECT count(*) FROM {collection}") == len(getattr(kb, collection)) > 0
        assert summary.counts[collection] == len(getattr(kb, collection))
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_records_read_back_from_the_database_equal_the_kb(exported: sqlite3.Connection, mini: KB) -> None:
    for collection in COLLECTIONS:
        for record in getattr(mini, collection):
            row = exported.execute(f"SELECT * FROM {collection} WHERE id = ?", (record.id,)).fetchone()
            names = [d[0] for d in exported.execute(f"SELECT * FROM {collection} LIMIT 0").description]
            values = dict(zip(names, row, strict=True))
            for field in record._fields:
                expected = getattr(record, field)
                if (collection, field) in LIST_TABLES:
                    table, owner, value = LIST_TABLES[collection, field]
                    order = "position" if table in ORDERED else value
                    sql = f"SELECT {value} FROM {table} WHERE {owner} = ? ORDER BY {order}"
                    got = [v for (v,) in exported.execute(sql, (record.id,))]
                    assert got == (list(expected) if table in ORDERED else sorted(expected)), (record.id, field)
                elif field == "records":
                    sql = "SELECT coalesce(event_id, agreement_id, indicator_id) FROM erratum_records"
                    sql += " WHERE erratum_id = ?"
                    got = exported.execute(sql, (record.id,)).fetchall()
                    assert sorted(g for (g,) in got) == sorted(expected)
                else:
                    assert values[field] == expected, (record.id, field)


def test_join_events_in_a_sector_through_the_link_table(exported: sqlite3.Connection, mini: KB) -> None:
    rows = exported.execute(
        "SELECT e.id FROM events e JOIN event_sectors s ON s.event_id = e.id WHERE s.sector_id = 'energy' ORDER BY e.id"
    ).fetchall()
    assert [r[0] for r in rows] == sorted(e.id for e in query.timeline(mini, sectors=["energy"])) == ["energy-visit"]
    by_sector = exported.execute(
        "SELECT x.label, count(*) FROM sectors x JOIN event_sectors s ON s.sector_id = x.id GROUP BY x.id ORDER BY x.id"
    ).fetchall()
    assert by_sector == [("Defence", 1), ("Diplomacy", 4), ("Energy", 1), ("Trade", 1)]


def test_agreements_link_to_their_event_and_errata_to_their_records(exported: sqlite3.Connection) -> None:
    signed_at = exported.execute(
        "SELECT e.title FROM agreements a JOIN events e ON e.id = a.event WHERE a.id = 'defence-mou'"
    ).fetchone()
    assert signed_at == ("Energy visit",)
    rows = exported.execute(
        "SELECT event_id, agreement_id, indicator_id FROM erratum_records ORDER BY rowid"
    ).fetchall()
    assert rows == [(None, None, "gdp-pak-2023"), ("energy-visit", None, None)]


def test_full_text_search_over_titles_and_summaries(exported: sqlite3.Connection) -> None:
    def search(table: str, text: str) -> list[str]:
        sql = f"SELECT t.id FROM {table}_fts f JOIN {table} t ON t.rowid = f.rowid WHERE f.{table}_fts MATCH ?"
        sql += " ORDER BY t.id"
        return [r[0] for r in exported.execute(sql, (text,))]

    assert search("events", "turkiye") == ["year-event"]  # accents ignored, as in pakaz search
    assert search("events", "lng") == ["energy-visit"]  # a word of the summary
    assert search("events", "embassy") == ["march-event"]
    assert search("agreements", "cargo") == ["lng-deal"]
    assert search("agreements", "title:defence") == ["defence-mou"]


def test_meta_table(exported: sqlite3.Connection) -> None:
    from pakaz import __version__

    assert exported.execute("SELECT version, date, title, licence, pakaz_version, selection FROM meta").fetchall() == [
        ("0.9.0", "2026-01-02", "Fixture KB for tests", None, __version__, None)
    ]
    assert exported.execute("PRAGMA user_version").fetchone() == (export_module.SCHEMA_VERSION,)


# --- filters -------------------------------------------------------------------------------------


def test_filters_select_events_and_agreements(
    mini: KB, tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]
) -> None:
    summary = export(mini, tmp_path / "energy.db", sectors=["gas"], since="2020")
    db = connect(tmp_path / "energy.db")
    assert [r[0] for r in db.execute("SELECT id FROM events")] == ["energy-visit"]
    assert [r[0] for r in db.execute("SELECT id FROM agreements")] == ["lng-deal"]
    for whole in ("indicators", "sources", "sectors", "errata"):
        assert _count(db, f"SELECT count(*) FROM {whole}") == len(getattr(mini, whole)), whole
    assert summary.counts == {
        "events": 1, "agreements": 1, "indicators": 4, "envoys": 3, "sources": 3, "sectors": 4, "errata": 1,
    }  # fmt: skip
    assert db.execute("SELECT selection FROM meta").fetchone() == ("--since 2020 --sector gas",)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_verification_filter(mini: KB, tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]) -> None:
    export(mini, tmp_path / "checked.db", verification=["confirmed"])
    db = connect(tmp_path / "checked.db")
    assert {r[0] for r in db.execute("SELECT verification FROM events UNION SELECT verification FROM agreements")} == {
        "confirmed"
    }
    assert _count(db, "SELECT count(*) FROM events") == 2


def test_links_to_records_left_out_are_dropped(
    mini: KB, tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]
) -> None:
    # defence-mou was signed during energy-visit, which is not in the defence sector.
    export(mini, tmp_path / "defence.db", sectors=["defence"])
    db = connect(tmp_path / "defence.db")
    assert db.execute("SELECT id, event FROM agreements").fetchall() == [("defence-mou", None)]
    assert db.execute("SELECT event_id, indicator_id FROM erratum_records").fetchall() == [(None, "gdp-pak-2023")]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_bad_filter_values_are_usage_errors(mini: KB, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Did you mean 'energy'"):
        export(mini, tmp_path / "x.db", sectors=["enrgy"])
    with pytest.raises(UsageError, match="--since"):
        export(mini, tmp_path / "x.db", since="2020-13")
    assert list(tmp_path.iterdir()) == []


# --- Datasette metadata -----------------------------------------------------------------------------


def test_metadata_has_the_keys_datasette_reads(tmp_path: Path) -> None:
    kb = load()
    export(kb, tmp_path / "pakaz.db")
    metadata = json.loads((tmp_path / "pakaz.metadata.json").read_text(encoding="utf-8"))
    assert metadata["title"] == kb.meta.title
    assert kb.meta.version in metadata["description"]
    assert metadata["license"] == kb.meta.licence
    assert metadata["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata["source"] == f"pakaz knowledge base {kb.meta.version} ({kb.meta.date})"
    assert list(metadata["databases"]) == ["pakaz"]  # Datasette names a database after its file's stem
    assert metadata["databases"]["pakaz"]["description"] == metadata["description"]  # the database page's


def test_metadata_describes_every_table_and_column(
    mini: KB, tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]
) -> None:
    export(mini, tmp_path / "mini.db")
    document = json.loads((tmp_path / "mini.metadata.json").read_text(encoding="utf-8"))
    tables = document["databases"]["mini"]["tables"]
    db = connect(tmp_path / "mini.db")
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    real = [n for n in names if "_fts" not in n and not n.startswith("pakaz_")]
    for table in real:
        assert tables[table]["description"], table
        assert list(tables[table]["columns"]) == list(_columns(db, table)), table
        assert all(tables[table]["columns"].values()), table
    # What pakaz itself queries, the full-text indexes and the link tables are hidden from the lists of
    # tables: what is left is what a reader browses.
    shown = {n for n in names if not tables.get(n, {}).get("hidden") and not n.startswith("events_fts_")
             and not n.startswith("agreements_fts_") and not n.startswith("pakaz_search_")}  # fmt: skip
    assert shown == {"meta", "sources", "sectors", "events", "agreements", "indicators", "envoys", "errata"}
    assert all(tables[n]["hidden"] for n in names if n.startswith("pakaz_") and n in tables)
    assert tables["events"]["facets"] == [{"array": "sectors"}, "type", "verification"]
    assert "sort" not in tables["events"]  # rowid order is timeline order: undated last
    assert tables["sources"]["label_column"] == "title"
    assert tables["events_fts"]["hidden"] is True
    assert "license" not in document  # mini has none


def test_metadata_elsewhere_or_not_at_all(mini: KB, tmp_path: Path) -> None:
    (tmp_path / "meta").mkdir()
    summary = export(mini, tmp_path / "a.db", metadata=tmp_path / "meta" / "datasette.json")
    assert summary.metadata == tmp_path / "meta" / "datasette.json"
    assert list(json.loads(summary.metadata.read_text(encoding="utf-8"))["databases"]) == ["a"]
    assert not (tmp_path / "a.metadata.json").exists()
    summary = export(mini, tmp_path / "b.db", with_metadata=False)
    assert summary.metadata is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "b.db", "meta"]


# --- replacing files atomically ----------------------------------------------------------------------


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_re_export_replaces_the_file(mini: KB, tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]) -> None:
    target = tmp_path / "kb.db"
    export(mini, target)
    first_inode = target.stat().st_ino
    export(mini, target, sectors=["energy"])
    assert target.stat().st_ino != first_inode  # a new file moved into place, not the old one rewritten
    assert _count(connect(target), "SELECT count(*) FROM events") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.db", "kb.metadata.json"]


@pytest.mark.parametrize("where", ["build", "datasette_metadata", "_replace"])
def test_a_failed_export_leaves_the_old_files_intact(
    mini: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    export(mini, tmp_path / "kb.db")
    before = _snapshot(tmp_path)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(store if where == "build" else export_module, where, boom)
    with pytest.raises(RuntimeError, match="injected failure"):
        export(mini, tmp_path / "kb.db", sectors=["energy"])
    assert _snapshot(tmp_path) == before  # same files, same bytes, no temporary left behind
    with sqlite3.connect(tmp_path / "kb.db") as db:
        assert _count(db, "SELECT count(*) FROM events") == len(mini.events)


def test_a_write_error_is_an_export_error_and_leaves_nothing(
    mini: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export(mini, tmp_path / "kb.db")
    before = _snapshot(tmp_path)

    def full(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "build", full)
    with pytest.raises(ExportError, match=r"^cannot write .*kb\.db: database or disk is full$"):
        export(mini, tmp_path / "kb.db", sectors=["energy"])
    assert _snapshot(tmp_path) == before


def test_the_whole_kb_is_the_database_every_command_queries(
    tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]
) -> None:
    kb = load(ROOT / "tests" / "fixtures" / "mini")
    export(kb, tmp_path / "kb.db")
    exported, queried = connect(tmp_path / "kb.db"), kb.db.connection
    for table in ("events", "agreements", "indicators", "sources", "pakaz_events", "pakaz_search"):
        assert (
            exported.execute(f"SELECT * FROM {table}").fetchall()
            == queried.execute(f"SELECT * FROM {table}").fetchall()
        )
    # Except what only a cache holds: what it was built from.
    assert exported.execute("SELECT count(*) FROM pakaz_info WHERE key = 'fingerprint'").fetchone()[0] == 0


def test_permissions_of_a_replaced_file_are_kept(mini: KB, tmp_path: Path) -> None:
    target = tmp_path / "kb.db"
    export(mini, target)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    target.chmod(0o640)
    export(mini, target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


# --- errors ----------------------------------------------------------------------------------------------


def test_path_is_a_directory(mini: KB, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"is a directory; give a file name, e\.g\. .*pakaz\.db$"):
        export(mini, tmp_path)


def test_directory_does_not_exist(mini: KB, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"^cannot write .*x\.db: directory .*missing does not exist$"):
        export(mini, tmp_path / "missing" / "x.db")


def test_metadata_path_is_a_directory(mini: KB, tmp_path: Path) -> None:
    (tmp_path / "x.metadata.json").mkdir()
    with pytest.raises(ExportError, match=r"metadata\.json is a directory"):
        export(mini, tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()


def test_not_a_regular_file(mini: KB, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.db")
    with pytest.raises(ExportError, match="exists and is not a regular file"):
        export(mini, tmp_path / "pipe.db")


def test_permission_denied_is_an_export_error(mini: KB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(target: Path) -> Path:
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(export_module, "_temp_beside", denied)
    with pytest.raises(ExportError, match=r"^cannot write .*x\.db: permission denied$"):
        export(mini, tmp_path / "x.db")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write to a read-only directory")
def test_unwritable_directory(mini: KB, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="permission denied"):
            export(mini, locked / "x.db")
    finally:
        locked.chmod(0o755)


# --- the command ----------------------------------------------------------------------------------------


def test_export_command(cli: Cli, tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]) -> None:
    target = tmp_path / "out.db"
    result = cli("export", str(target), "--sector", "energy", "-V", "corrected")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # the data went to the file
    assert result.stderr.splitlines() == [
        f"Wrote {target}: 1 events, 0 agreements, 4 indicators, 3 envoys, 3 sources, 4 sectors, 1 errata",
        f"Publish it with: datasette {target} -m {tmp_path / 'out.metadata.json'}",
    ]
    assert [r[0] for r in connect(target).execute("SELECT id FROM events")] == ["energy-visit"]


def test_export_command_errors_are_one_line_and_exit_1(cli: Cli, tmp_path: Path) -> None:
    result = cli("export", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path} is a directory; give a file name, e.g. {tmp_path / 'pakaz.db'}\n"
    result = cli("export", str(tmp_path / "x.db"), "--sector", "enrgy")
    assert result.exit_code == 2


def test_export_command_metadata_options(cli: Cli, tmp_path: Path) -> None:
    result = cli("export", str(tmp_path / "a.db"), "--no-metadata")
    assert result.exit_code == 0, result.stderr
    assert len(result.stderr.splitlines()) == 1
    result = cli("export", str(tmp_path / "b.db"), "--metadata", str(tmp_path / "b.json"))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "b.db", "b.json"]


def test_module_has_no_cli_dependencies() -> None:
    source = (ROOT / "src" / "pakaz" / "export.py").read_text(encoding="utf-8")
    assert "typer" not in source
    assert "print(" not in source and "sys.stderr" not in source  # errors are raised, never printed


# --- one metadata file for several databases -------------------------------------------------------


def test_metadata_merges_into_a_datasette_metadata_file_keeping_other_databases(mini: KB, tmp_path: Path) -> None:
    shared = tmp_path / "metadata.json"
    other = {"title": "Our data", "databases": {"prices": {"description": "Prices", "tables": {"p": {"hidden": True}}}}}
    shared.write_text(json.dumps(other), encoding="utf-8")
    export(mini, tmp_path / "kb.db", metadata=shared)
    document = json.loads(shared.read_text(encoding="utf-8"))
    assert document["databases"]["prices"] == other["databases"]["prices"]  # kept as it was
    assert document["title"] == "Our data"  # the file's own title is not ours to replace
    assert document["databases"]["kb"]["tables"]["events"]["facets"]
    assert document["databases"]["kb"]["source"].startswith("pakaz knowledge base")
    export(mini, tmp_path / "kb2.db", metadata=shared)  # a second export adds its own entry
    assert set(json.loads(shared.read_text(encoding="utf-8"))["databases"]) == {"prices", "kb", "kb2"}


def test_an_unrelated_file_is_never_replaced_by_metadata(mini: KB, tmp_path: Path) -> None:
    for text in ('{"name": "my-package", "version": "1.0"}', "not json at all", "[1, 2]"):
        target = tmp_path / "package.json"
        target.write_text(text, encoding="utf-8")
        with pytest.raises(ExportError, match="exists and is not a Datasette metadata file"):
            export(mini, tmp_path / "kb.db", metadata=target)
        assert target.read_text(encoding="utf-8") == text
    export(mini, tmp_path / "kb.db", metadata=target, force=True)  # unless asked to
    assert json.loads(target.read_text(encoding="utf-8"))["databases"]["kb"]
