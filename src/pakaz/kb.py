"""Find the knowledge base, load it from YAML (or from a cache of it), and check its references."""

from __future__ import annotations

import binascii
import functools
import gc
import marshal
import os
import sys
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
CACHE_FORMAT = 3


@dataclass(frozen=True)
class KB:
    """The whole knowledge base, validated."""

    root: str
    meta: Meta
    sources: tuple[Source, ...]
    sectors: tuple[Sector, ...]
    events: tuple[Event, ...]
    agreements: tuple[Agreement, ...]
    indicators: tuple[Indicator, ...]
    errata: tuple[Erratum, ...]
    # Per collection, the folded search text of every record joined by a separator,
    # when the KB came from the cache (search splits it only when it runs). Derived
    # data: two KBs with the same records are equal whether or not they have it.
    folded: dict[str, str] | None = field(default=None, compare=False, repr=False)


def bundled_dir() -> Path:
    """The KB that ships inside the package (a real folder in a wheel, a link in a checkout)."""
    import pakaz

    return Path(next(iter(pakaz.__path__))) / "data"


def load(root: str | os.PathLike[str] | None = None, *, use_cache: bool = True) -> KB:
    """Load and validate the KB in `root` (the bundled KB when None); raise KBError if invalid."""
    directory = _check_dir(Path(root) if root is not None else bundled_dir())
    fingerprint = _fingerprint(directory)
    cache = _cache_path(directory) if use_cache and _cache_enabled() else None
    kb = _read_cache(cache, fingerprint, str(directory)) if cache is not None else None
    if kb is None:
        kb, problems = parse_dir(directory)
        if kb is None:
            raise KBError(problems)
        if cache is not None:
            _write_cache(cache, fingerprint, kb)
    # The KB lives as long as the process and holds no cycles: keep the garbage
    # collector from rescanning its (at 100,000 records, millions of) objects.
    gc.freeze()
    return kb


def _check_dir(directory: Path) -> Path:
    shown = str(directory)
    try:
        os.stat(directory)
    except FileNotFoundError:
        pass  # reported below
    except OSError as e:  # a loop of symbolic links, no permission, a name too long: not a traceback
        raise KBError([Problem(shown, 0, f"cannot open the KB directory: {e.strerror or e}")]) from None
    if not directory.exists():
        raise KBError(
            [Problem(shown, 0, "KB directory not found; pass --data DIR (or set PAKAZ_DATA) to a KB directory")]
        )
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
        try:
            os.lstat(path)
        except FileNotFoundError:
            problems.append(Problem(shown, 0, f"missing collection file; a KB directory holds {', '.join(FILES)}"))
            continue
        except OSError:
            pass  # a directory that cannot be searched, a name too long, ...: read() says which
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
    # Collections that did not load whole: references into them are not checked,
    # so that one broken file is reported once, not once per record that cites it.
    incomplete: set[str] = set()
    for collection in COLLECTIONS:
        name = collection + ".yaml"
        if name not in raw:
            incomplete.add(collection)
            continue
        shown = str(directory / name)
        items = raw[name]
        if not isinstance(items, list):
            incomplete.add(collection)
            problems.append(
                Problem(shown, getattr(items, "line", 1), "expected a list of records (each starting with '- id:')")
            )
            continue
        lines: list[int] = getattr(items, "item_lines", [1] * len(items))
        for item, line in zip(items, lines):
            record, found = parse_record(collection, item, shown, line)
            problems.extend(found)
            if record is None:
                incomplete.add(collection)
                continue
            if record.id in where:
                first_file, first_line = where[record.id]
                problems.append(
                    Problem(shown, line, f"duplicate id '{record.id}' (first used at {first_file}:{first_line})")
                )
                continue
            where[record.id] = (shown, line)
            parsed[collection].append(record)

    problems.extend(_check_references(parsed, where, incomplete))
    if problems or meta is None:
        return None, problems
    kb = KB(str(directory), meta, *(tuple(parsed[c]) for c in COLLECTIONS))  # type: ignore[arg-type]
    return kb, []


def _check_references(
    parsed: dict[str, list[Any]], where: dict[str, tuple[str, int]], incomplete: AbstractSet[str] = frozenset()
) -> list[Problem]:
    problems: list[Problem] = []
    source_ids = {s.id for s in parsed["sources"]}
    sector_ids = {s.id for s in parsed["sectors"]}
    event_ids = {e.id for e in parsed["events"]}
    fact_ids = {r.id for c in ("events", "agreements", "indicators") for r in parsed[c]}

    def report(record: Any, message: str) -> None:
        file, line = where[record.id]
        problems.append(Problem(file, line, message))

    # "Did you mean" compares with every id (up to tens of microseconds each): a budget keeps
    # a KB with 100,000 broken references among 10,000 ids from taking hours to check.
    budget = 100_000

    def hint(value: str, choices: set[str]) -> str:
        nonlocal budget
        if len(choices) > budget:
            return ""
        budget -= len(choices)
        return suggest(value, choices)

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
                if source not in source_ids and "sources" not in incomplete:
                    report(record, f"unknown source '{source}'{hint(source, source_ids)}; add it to sources.yaml")
            for sector in getattr(record, "sectors", ()):
                if sector not in sector_ids and "sectors" not in incomplete:
                    report(record, f"unknown sector '{sector}'{hint(sector, sector_ids)}; see sectors.yaml")
            if collection == "errata":
                for ref in record.records:
                    if ref not in fact_ids and not incomplete & {"events", "agreements", "indicators"}:
                        report(record, f"erratum refers to unknown record '{ref}'{hint(ref, fact_ids)}")
                continue
            if record.verification in ("corrected", "disputed"):
                if not record.notes:
                    report(record, f"a {record.verification} record needs notes saying what each source says")
                if record.id not in errata_records and "errata" not in incomplete:
                    report(record, f"a {record.verification} record must be listed in the records of an erratum")
    for event in parsed["events"]:
        if event.end_date and event.date and event.end_date < event.date[: len(event.end_date)]:
            report(event, f"end_date {event.end_date} is before date {event.date}")
        if event.end_date and not event.date:
            report(event, "an undated event cannot have an end_date")
    for agreement in parsed["agreements"]:
        if agreement.event and agreement.event not in event_ids and "events" not in incomplete:
            report(agreement, f"unknown event '{agreement.event}'{hint(agreement.event, event_ids)}")
    return problems


# --- cache ----------------------------------------------------------------------
# The parsed KB is kept as marshal data of plain tuples and strings: loading it is
# many times faster than YAML, and marshal cannot run code (no pickle).

_TYPES: tuple[Any, ...] = (Source, Sector, Event, Agreement, Indicator, Erratum)


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


# Each collection is stored column by column. A column of text becomes one string
# joined by a separator (unmarshalled as a single object, split in C); a column of
# lists becomes one string with a second separator; anything else, or any text that
# contains a separator, is stored as a plain tuple. At 100,000 records this loads
# several times faster than a tuple per record.
_REC = "\x1e"
_ITEM = "\x1f"
_NONE = "\x00"


def _encode_column(values: list[Any]) -> tuple[str, Any]:
    types = set(map(type, values))
    if types <= {str, type(None)}:
        texts = [_NONE if v is None else v for v in values]
        if not any(_REC in t or (t == _NONE and v is not None) for t, v in zip(texts, values)):
            return ("s" if None in values else "S", _REC.join(texts))
    elif types == {tuple}:
        items = [i for v in values for i in v]
        if all(type(i) is str and i and _REC not in i and _ITEM not in i for i in items):
            return ("t", _REC.join(_ITEM.join(v) for v in values))
    return ("r", tuple(values))


def _plain_value(value: Any) -> bool:
    # Only what a record can hold: marshal can also build code objects, which pakaz
    # never runs, but a cache that holds one is not ours and is rebuilt.
    kind = type(value)
    if kind is tuple:
        return all(type(v) is str for v in value)
    return kind in (str, int, float, type(None))


def _decode_column(kind: str, data: Any, count: int) -> list[Any]:
    if kind == "r":
        if type(data) is not tuple or len(data) != count or not all(map(_plain_value, data)):
            raise ValueError("bad column")
        return list(data)
    if type(data) is not str:
        raise ValueError("bad column")
    parts = data.split(_REC) if count else []
    if len(parts) != count:
        raise ValueError("bad column")
    if kind == "S":
        return parts
    if kind == "s":
        return [None if p == _NONE else p for p in parts]
    if kind == "t":
        seen: dict[str, tuple[str, ...]] = {}  # lists repeat (sectors, sources): share them
        out = []
        for p in parts:
            value = seen.get(p)
            if value is None:
                value = seen[p] = tuple(p.split(_ITEM)) if p else ()
            out.append(value)
        return out
    raise ValueError("bad column kind")


def _encode_collection(records: tuple[Any, ...], fields: tuple[str, ...]) -> tuple[Any, ...]:
    from pakaz.textfold import FOLDED_SEPARATOR, fold, searchable_text

    columns = [_encode_column([r[i] for r in records]) for i in range(len(fields))]
    folded = [fold(searchable_text(r)) for r in records]
    joined = FOLDED_SEPARATOR.join(folded) if not any(FOLDED_SEPARATOR in t for t in folded) else None
    return (len(records), tuple(columns), joined)


def _decode_collection(cls: Any, data: Any) -> tuple[Any, ...]:
    count, columns, _ = data
    if type(count) is not int or type(columns) is not tuple or len(columns) != len(cls._fields):
        raise ValueError("bad collection")
    decoded = [_decode_column(kind, payload, count) for kind, payload in columns]
    make = functools.partial(tuple.__new__, cls)  # C all the way: no Python call per record
    return tuple(map(make, zip(*decoded)))


def _read_cache(path: Path, fingerprint: tuple[Any, ...], root: str) -> KB | None:
    import stat

    try:
        # Non-blocking, and regular files only: a FIFO in a shared cache directory must not hang pakaz.
        with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            blob = f.read()
    except OSError:
        return None
    enabled = gc.isenabled()
    gc.disable()  # building many small objects; the collector would only slow it down
    try:
        data = marshal.loads(blob)
        if type(data) is not tuple or len(data) != 3 or data[0] != fingerprint:
            return None
        meta = Meta._make(data[1])
        collections = data[2]
        if type(collections) is not tuple or len(collections) != len(_TYPES):
            return None
        records = [_decode_collection(cls, payload) for cls, payload in zip(_TYPES, collections)]
        folded = {c: payload[2] for c, payload in zip(COLLECTIONS, collections) if type(payload[2]) is str}
        return KB(root, meta, *records, folded=folded)  # type: ignore[arg-type, misc]
    except (ValueError, EOFError, TypeError, IndexError):
        return None  # corrupt, truncated or from another format: rebuild from the YAML
    finally:
        if enabled:
            gc.enable()


def _write_cache(path: Path, fingerprint: tuple[Any, ...], kb: KB) -> None:
    collections = tuple(_encode_collection(getattr(kb, c), cls._fields) for c, cls in zip(COLLECTIONS, _TYPES))
    blob = marshal.dumps((fingerprint, tuple(kb.meta), collections))
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
