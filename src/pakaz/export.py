"""Export the KB's database to a file, with Datasette metadata beside it.

The database is the one every command queries (see `store` and `tables`): copied whole with
`VACUUM INTO` when no filter is given, built by the same code when filters select events and
agreements, so that the export and the cache cannot drift apart. Both files are written to
temporary files in their own directory and moved into place with os.replace, so a failed
export leaves the old files as they were.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pakaz import store
from pakaz.errors import PakazError
from pakaz.files import sweep_stale
from pakaz.kb import KB
from pakaz.model import Agreement, Event, json_safe
from pakaz.tables import FTS, TABLES

SCHEMA_VERSION = store.SCHEMA_VERSION
METADATA_SUFFIX = ".metadata.json"  # pakaz.db -> pakaz.metadata.json
# The top-level keys of a Datasette metadata file: a file with others is not one, and is not merged into.
_DATASETTE_KEYS = frozenset(
    {"title", "description", "description_html", "license", "license_url", "source", "source_url", "about",
     "about_url", "databases", "plugins", "extra_css_urls", "extra_js_urls", "allow", "allow_sql", "permissions",
     "settings", "queries"}
)  # fmt: skip


class ExportError(PakazError):
    """The database or its metadata cannot be written where the user asked."""


class Summary(NamedTuple):
    """What an export wrote: the files and the number of rows of each collection table."""

    database: Path
    metadata: Path | None
    counts: dict[str, int]


_LICENCE_URLS = {
    "CC BY 4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC BY-SA 4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC0 1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}


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
    `metadata` is where the metadata goes (default: FILE.metadata.json beside FILE.db); an
    existing Datasette metadata file there keeps its other databases' entries. Existing files
    are replaced atomically, but only a SQLite database and a Datasette metadata file, unless
    `force`; never a link, a device or anything in /dev or /proc. Raises ExportError.
    """
    from pakaz import query

    database = Path(path)
    meta_path = (Path(metadata) if metadata is not None else metadata_path(database)) if with_metadata else None
    _check_target(database, _is_database, "a SQLite database", force)
    if meta_path is not None:
        _check_target(meta_path, _is_datasette_metadata, "a Datasette metadata file", force)
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
            ours = datasette_metadata(kb, database, selection)
            document = json.dumps(_merged(meta_path, ours, force), indent=2, ensure_ascii=False)
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


def metadata_path(database: Path) -> Path:
    """Where the metadata of a database goes by default: named after it, so that two exports in
    one directory never overwrite each other's."""
    return database.with_name(database.stem + METADATA_SUFFIX)


def _read_metadata(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read(4 << 20))
    except (ValueError, OSError):
        return None


def _is_datasette_metadata(path: Path) -> bool:
    """A file to write into: empty, or a JSON object with only Datasette's metadata keys."""
    try:
        if os.path.getsize(path) == 0:
            return True
    except OSError:
        return False
    document = _read_metadata(path)
    return isinstance(document, dict) and set(document) <= _DATASETTE_KEYS


def _is_ours(document: dict[str, Any]) -> bool:
    source = document.get("source")
    return isinstance(source, str) and source.startswith("pakaz knowledge base")


def _merged(path: Path, ours: dict[str, Any], force: bool) -> dict[str, Any]:
    """Our metadata merged into the Datasette metadata file at `path`: its other databases' entries
    are kept; its top-level title and description too, unless pakaz wrote them."""
    existing = _read_metadata(path) if path.exists() else None
    if not isinstance(existing, dict) or not existing or (force and not set(existing) <= _DATASETTE_KEYS):
        return ours
    databases = existing.get("databases")
    merged = dict(existing) if not _is_ours(existing) else {**existing, **ours}
    merged["databases"] = {**(databases if isinstance(databases, dict) else {}), **ours["databases"]}
    return merged


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
    if selection is None:
        # The whole KB: its database as it is, copied page by page.
        kb.db.rows("VACUUM INTO ?", (os.fspath(path),))
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute("DELETE FROM pakaz_info WHERE key = 'fingerprint'")  # the cache's, not the export's
            counts = {c: connection.execute(f"SELECT count(*) FROM pakaz_{c}").fetchone()[0] for c in _COUNTED}
        finally:
            connection.close()
    else:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            # The file is a private temporary until it is moved into place: no journal needed.
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            connection.execute("PRAGMA foreign_keys = ON")
            counts = store.build(connection, kb, events=events, agreements=agreements, selection=selection)
        finally:
            connection.close()
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
    return counts


_COUNTED = ("events", "agreements", "indicators", "envoys", "sources", "sectors", "errata")


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
        if table.facets:
            entry["facets"] = list(table.facets)
        if table.hidden:
            entry["hidden"] = True
        entry["columns"] = {c.name: c.description for c in table.columns}
        tables[table.name] = entry
    for table_name, _columns in FTS:
        tables[f"{table_name}_fts"] = {
            "description": f"Full-text index of the titles and summaries of {table_name}.",
            "hidden": True,
        }
    for name in store.private_tables():
        tables[name] = {"description": "What pakaz itself queries: not for reading.", "hidden": True}
    # Datasette names a database after its file name without the extension.
    entry = {key: document[key] for key in ("description", "license", "license_url", "source", "source_url")
             if key in document}  # fmt: skip
    document["databases"] = {database.stem: {**entry, "tables": tables}}
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
