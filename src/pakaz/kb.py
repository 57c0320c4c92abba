"""Find the knowledge base, load it from YAML (or from a cache of it), and check its references."""

from __future__ import annotations

import binascii
import gc
import marshal
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

from pakaz.errors import KBError, Problem
from pakaz.model import (
    Agreement,
    Erratum,
    Event,
    Indicator,
    Meta,
    Sector,
    Source,
    parse_meta,
    parse_record,
    suggest,
)

COLLECTIONS = ("sources", "sectors", "events", "agreements", "indicators", "errata")
FILES = ("meta.yaml", *(c + ".yaml" for c in COLLECTIONS))
CACHE_FORMAT = 1


class KB(NamedTuple):
    """The whole knowledge base, validated."""

    root: str
    meta: Meta
    sources: tuple[Source, ...]
    sectors: tuple[Sector, ...]
    events: tuple[Event, ...]
    agreements: tuple[Agreement, ...]
    indicators: tuple[Indicator, ...]
    errata: tuple[Erratum, ...]


def bundled_dir() -> Path:
    """The KB that ships inside the package (a real folder in a wheel, a link in a checkout)."""
    import pakaz

    return Path(next(iter(pakaz.__path__))) / "data"


def load(root: str | os.PathLike[str] | None = None, *, use_cache: bool = True) -> KB:
    """Load and validate the KB in `root` (the bundled KB when None); raise KBError if invalid."""
    directory = _check_dir(Path(root) if root is not None else bundled_dir())
    fingerprint = _fingerprint(directory)
    cache = _cache_path(directory) if use_cache and _cache_enabled() else None
    if cache is not None:
        cached = _read_cache(cache, fingerprint, str(directory))
        if cached is not None:
            return cached
    kb, problems = parse_dir(directory)
    if kb is None:
        raise KBError(problems)
    if cache is not None:
        _write_cache(cache, fingerprint, kb)
    return kb


def _check_dir(directory: Path) -> Path:
    shown = str(directory)
    if not directory.exists():
        raise KBError([Problem(shown, 0, "KB directory not found; pass --data DIR (or set PAKAZ_DATA) to a KB directory")])
    if not directory.is_dir():
        raise KBError([Problem(shown, 0, "is a file, not a KB directory; pass the directory that holds meta.yaml")])
    return directory


def parse_dir(directory: Path) -> tuple[KB | None, list[Problem]]:
    """Parse and check every file of a KB directory; return (KB or None, all problems)."""
    from pakaz.safeyaml import YAMLProblem, read

    problems: list[Problem] = []
    raw: dict[str, Any] = {}
    for name in FILES:
        path = directory / name
        shown = str(path)
        if not path.exists() and not path.is_symlink():
            problems.append(Problem(shown, 0, f"missing collection file; a KB directory holds {', '.join(FILES)}"))
            continue
        try:
            data, soft = read(str(path), shown)
        except YAMLProblem as e:
            problems.append(e.problem)
            continue
        except RecursionError:
            problems.append(Problem(shown, 0, "nesting is too deep"))
            continue
        problems.extend(soft)
        if data is None:
            empty = "a mapping" if name == "meta.yaml" else "[] for an empty collection"
            problems.append(Problem(shown, 0, f"file is empty; write {empty}"))
            continue
        raw[name] = data

    meta = None
    if "meta.yaml" in raw:
        meta, found = parse_meta(raw["meta.yaml"], str(directory / "meta.yaml"))
        problems.extend(found)

    parsed: dict[str, list[Any]] = {c: [] for c in COLLECTIONS}
    where: dict[str, tuple[str, int]] = {}
    for collection in COLLECTIONS:
        name = collection + ".yaml"
        if name not in raw:
            continue
        shown = str(directory / name)
        items = raw[name]
        if not isinstance(items, list):
            problems.append(Problem(shown, getattr(items, "line", 1), "expected a list of records (each starting with '- id:')"))
            continue
        lines: list[int] = getattr(items, "item_lines", [1] * len(items))
        for item, line in zip(items, lines):
            record, found = parse_record(collection, item, shown, line)
            problems.extend(found)
            if record is None:
                continue
            if record.id in where:
                first_file, first_line = where[record.id]
                problems.append(Problem(shown, line, f"duplicate id '{record.id}' (first used at {first_file}:{first_line})"))
                continue
            where[record.id] = (shown, line)
            parsed[collection].append(record)

    problems.extend(_check_references(parsed, where))
    if problems or meta is None:
        return None, problems
    kb = KB(str(directory), meta, *(tuple(parsed[c]) for c in COLLECTIONS))
    return kb, []


def _check_references(parsed: dict[str, list[Any]], where: dict[str, tuple[str, int]]) -> list[Problem]:
    problems: list[Problem] = []
    source_ids = {s.id for s in parsed["sources"]}
    sector_ids = {s.id for s in parsed["sectors"]}
    event_ids = {e.id for e in parsed["events"]}
    fact_ids = {r.id for c in ("events", "agreements", "indicators") for r in parsed[c]}

    def report(record: Any, message: str) -> None:
        file, line = where[record.id]
        problems.append(Problem(file, line, message))

    aliases: dict[str, str] = {}
    for sector in parsed["sectors"]:
        for alias in sector.aliases:
            if alias in sector_ids or aliases.get(alias, sector.id) != sector.id:
                report(sector, f"alias '{alias}' is already a sector id or another sector's alias")
            aliases[alias] = sector.id

    errata_records = {r for e in parsed["errata"] for r in e.records}
    for collection in ("events", "agreements", "indicators", "errata"):
        for record in parsed[collection]:
            for source in record.sources:
                if source not in source_ids:
                    report(record, f"unknown source '{source}'{suggest(source, source_ids)}; add it to sources.yaml")
            for sector in getattr(record, "sectors", ()):
                if sector not in sector_ids:
                    report(record, f"unknown sector '{sector}'{suggest(sector, sector_ids)}; see sectors.yaml")
            if collection == "errata":
                for ref in record.records:
                    if ref not in fact_ids:
                        report(record, f"erratum refers to unknown record '{ref}'{suggest(ref, fact_ids)}")
                continue
            if record.verification in ("corrected", "disputed"):
                if not record.notes:
                    report(record, f"a {record.verification} record needs notes saying what each source says")
                if record.id not in errata_records:
                    report(record, f"a {record.verification} record must be listed in the records of an erratum")
    for event in parsed["events"]:
        if event.end_date and event.date and event.end_date < event.date[: len(event.end_date)]:
            report(event, f"end_date {event.end_date} is before date {event.date}")
        if event.end_date and not event.date:
            report(event, "an undated event cannot have an end_date")
    for agreement in parsed["agreements"]:
        if agreement.event and agreement.event not in event_ids:
            report(agreement, f"unknown event '{agreement.event}'{suggest(agreement.event, event_ids)}")
    return problems


# --- cache ----------------------------------------------------------------------
# The parsed KB is kept as marshal data of plain tuples and strings: loading it is
# many times faster than YAML, and marshal cannot run code (no pickle).

_TYPES = (Source, Sector, Event, Agreement, Indicator, Erratum)


def _cache_enabled() -> bool:
    return os.environ.get("PAKAZ_NO_CACHE", "") in ("", "0")


def cache_dir() -> Path:
    """Where parsed KBs are cached: $PAKAZ_CACHE_DIR, else $XDG_CACHE_HOME/pakaz, else ~/.cache/pakaz."""
    explicit = os.environ.get("PAKAZ_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pakaz"


def _cache_path(directory: Path) -> Path:
    # A short name per KB directory; a clash costs a rebuild, never stale data,
    # because the fingerprint inside names each file by device and inode.
    real = os.fsencode(os.path.realpath(directory))
    return cache_dir() / f"kb-{binascii.crc32(real):08x}-{len(real)}.marshal"


def _fingerprint(directory: Path) -> tuple[Any, ...]:
    from pakaz import __version__

    stats: list[Any] = [CACHE_FORMAT, __version__, sys.version]
    for name in FILES:
        try:
            st = os.stat(directory / name)
        except OSError:
            stats.append((name, None))
            continue
        stats.append((name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev))
    return tuple(stats)


def _read_cache(path: Path, fingerprint: tuple[Any, ...], root: str) -> KB | None:
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return None
    enabled = gc.isenabled()
    gc.disable()  # building many small tuples; the collector would only slow it down
    try:
        data = marshal.loads(blob)
        if type(data) is not tuple or len(data) != 3 or data[0] != fingerprint:
            return None
        meta = Meta._make(data[1])
        collections = data[2]
        if type(collections) is not tuple or len(collections) != len(_TYPES):
            return None
        records = []
        for cls, rows in zip(_TYPES, collections):
            if type(rows) is not tuple:
                return None
            records.append(tuple(map(cls._make, rows)))
        return KB(root, meta, *records)
    except (ValueError, EOFError, TypeError, IndexError):
        return None
    finally:
        if enabled:
            gc.enable()


def _write_cache(path: Path, fingerprint: tuple[Any, ...], kb: KB) -> None:
    blob = marshal.dumps(
        (fingerprint, tuple(kb.meta), tuple(tuple(map(tuple, getattr(kb, c))) for c in COLLECTIONS))
    )
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".marshal")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)  # atomic: a reader sees the old file or the new one
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only or missing cache directory: work without caching
