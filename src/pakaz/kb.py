"""Find the knowledge base, load it from YAML (or from its cached database), and check its references."""

from __future__ import annotations

import gc
import os
import sqlite3
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from pakaz import cache, store
from pakaz.cache import cache_dir as cache_dir
from pakaz.errors import KBError, Problem
from pakaz.model import (
    Agreement,
    Envoy,
    Erratum,
    Event,
    Indicator,
    Meta,
    Sector,
    Source,
    Synonym,
    parse_meta,
    parse_record,
    suggest,
)

COLLECTIONS = store.COLLECTIONS
FILES = ("meta.yaml", *(c + ".yaml" for c in COLLECTIONS))
FACT_COLLECTIONS = ("events", "agreements", "indicators", "envoys")
# Collections added after KB 1.0: a KB directory without their file has none of them.
OPTIONAL_FILES = frozenset({"envoys.yaml", "synonyms.yaml"})


class KB:
    """The whole knowledge base, validated.

    Each collection is a sequence of typed records: a tuple when the KB was parsed from YAML,
    a `store.Table` (same interface, records built on first access) when it came from the
    cache. `db` is its database, which queries run on: the cache file, or one built in memory.
    Two KBs are equal when their records are, wherever they came from.
    """

    # A plain class, not a dataclass: importing dataclasses costs a millisecond on every run.
    FIELDS = ("root", "meta", *COLLECTIONS)
    __slots__ = (*FIELDS, "derived")

    root: str
    meta: Meta
    sources: Sequence[Source]
    sectors: Sequence[Sector]
    events: Sequence[Event]
    agreements: Sequence[Agreement]
    indicators: Sequence[Indicator]
    envoys: Sequence[Envoy]
    errata: Sequence[Erratum]
    synonyms: Sequence[Synonym]
    # Data derived from this KB on demand (its database), kept as long as the KB is.
    derived: dict[str, Any]

    def __init__(
        self,
        root: str,
        meta: Meta,
        sources: Sequence[Source],
        sectors: Sequence[Sector],
        events: Sequence[Event],
        agreements: Sequence[Agreement],
        indicators: Sequence[Indicator],
        envoys: Sequence[Envoy],
        errata: Sequence[Erratum],
        synonyms: Sequence[Synonym] = (),
        derived: dict[str, Any] | None = None,
    ) -> None:
        self.root, self.meta, self.sources, self.sectors = root, meta, sources, sectors
        self.events, self.agreements, self.indicators, self.envoys = events, agreements, indicators, envoys
        self.errata, self.synonyms = errata, synonyms
        self.derived = {} if derived is None else derived

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KB) and all(getattr(self, f) == getattr(other, f) for f in self.FIELDS)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"KB({self.root!r}, {self.meta!r})"

    def replace(self, **changes: Any) -> KB:
        """A copy with some collections replaced (its database is built anew when needed)."""
        return KB(**{f: changes.get(f, getattr(self, f)) for f in self.FIELDS})

    @property
    def db(self) -> store.Database:
        """The database of this KB: its cache file, or (parsed from YAML) one built in memory."""
        db = self.derived.get("db")
        if db is None:
            db = self.derived["db"] = store.Database(store.in_memory(self))
        return db


def bundled_dir() -> Path:
    """The KB that ships inside the package (a real folder in a wheel, a link in a checkout)."""
    import pakaz

    return Path(next(iter(pakaz.__path__))) / "data"


def load(root: str | os.PathLike[str] | None = None, *, use_cache: bool = True) -> KB:
    """Load and validate the KB in `root` (the bundled KB when None); raise KBError if invalid."""
    directory = check_dir(Path(root) if root is not None else bundled_dir())
    expected = cache.fingerprint(directory, FILES)
    base = cache.usable_dir() if use_cache else None
    path = cache.cache_path(directory, base) if base is not None else None
    kb = _read_cache(path, expected, directory) if path is not None else None
    if kb is None and path is not None:
        # Parallel first runs: one builds the cache while the others wait for it, rather than
        # each parsing the whole KB at once (at a million records, that is out of memory).
        with cache.build_lock(path) as building:
            if not building:
                kb = _read_cache(path, expected, directory)  # the other run has just written it
            if kb is None:
                parsed = _parse(directory)
                info = {"fingerprint": expected}
                if cache.write(path, lambda c: store.build(c, parsed, info=info), str(directory)):
                    kb = _read_cache(path, expected, directory)
                if kb is None:  # the cache directory cannot be written: work from memory
                    kb = parsed
    if kb is None:
        kb = _parse(directory)
    # The KB lives as long as the process and holds no cycles: keep the garbage
    # collector from rescanning its (at 100,000 records, millions of) objects.
    gc.freeze()
    return kb


def _parse(directory: Path) -> KB:
    kb, problems = parse_dir(directory)
    if kb is None:
        raise KBError(problems)
    return kb


def check_dir(directory: Path) -> Path:
    """The directory, if it can be a KB directory; otherwise KBError saying what to do."""
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
    """Parse and check every file of a KB directory; return (KB or None, all problems).

    Each record is parsed as soon as the YAML parser has read it, so that the raw tree of a
    large file is never held whole: only the typed records are.
    """
    from pakaz.safeyaml import YAMLProblem, read

    problems: list[Problem] = []
    meta = None
    parsed: dict[str, list[Any]] = {c: [] for c in COLLECTIONS}
    where: dict[str, tuple[str, int]] = {}
    # Collections that did not load whole: references into them are not checked,
    # so that one broken file is reported once, not once per record that cites it.
    incomplete: set[str] = set()
    for name in FILES:
        path = directory / name
        shown = str(path)
        collection = name.removesuffix(".yaml")
        try:
            os.lstat(path)
        except FileNotFoundError:
            if name in OPTIONAL_FILES:
                continue
            required = ", ".join(f for f in FILES if f not in OPTIONAL_FILES)
            problems.append(Problem(shown, 0, f"missing collection file; a KB directory holds {required}"))
            incomplete.add(collection)
            continue
        except OSError:
            pass  # a directory that cannot be searched, a name too long, ...: read() says which

        # The problems of this file's records: dropped if the file turns out not to be plain YAML,
        # which is then its one problem.
        found_here: list[Problem] = []

        def take(
            item: Any,
            line: int,
            collection: str = collection,
            shown: str = shown,
            found_here: list[Problem] = found_here,
        ) -> None:
            record, found = parse_record(collection, item, shown, line)
            found_here.extend(found)
            if record is None:
                incomplete.add(collection)
                return
            if record.id in where:
                first_file, first_line = where[record.id]
                found_here.append(
                    Problem(shown, line, f"duplicate id '{record.id}' (first used at {first_file}:{first_line})")
                )
                return
            where[record.id] = (shown, line)
            parsed[collection].append(record)

        try:
            data, soft = read(str(path), shown, on_item=None if name == "meta.yaml" else take)
        except YAMLProblem as e:
            problems.append(e.problem)
            incomplete.add(collection)
            continue
        except RecursionError:
            problems.append(Problem(shown, 0, "nesting is too deep"))
            incomplete.add(collection)
            continue
        problems.extend(found_here)
        problems.extend(soft)
        if data is None:
            empty = "a mapping" if name == "meta.yaml" else "[] for an empty collection"
            problems.append(Problem(shown, 0, f"file is empty; write {empty}"))
            incomplete.add(collection)
            continue
        if name == "meta.yaml":
            meta, found = parse_meta(data, shown)
            problems.extend(found)
        elif not isinstance(data, list):
            incomplete.add(collection)
            problems.append(
                Problem(shown, getattr(data, "line", 1), "expected a list of records (each starting with '- id:')")
            )

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
    fact_ids = {r.id for c in FACT_COLLECTIONS for r in parsed[c]}

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

    from pakaz.textfold import fold

    terms: dict[str, str] = {}
    for group in parsed["synonyms"]:
        for term in group.terms:
            key = " ".join(fold(term).split())
            if terms.setdefault(key, group.id) != group.id:
                report(group, f"term '{term}' is already in synonym group '{terms[key]}'; keep it in one")

    errata_records = {r for e in parsed["errata"] for r in e.records}
    for collection in (*FACT_COLLECTIONS, "errata"):
        for record in parsed[collection]:
            for source in record.sources:
                if source not in source_ids and "sources" not in incomplete:
                    report(record, f"unknown source '{source}'{hint(source, source_ids)}; add it to sources.yaml")
            for sector in getattr(record, "sectors", ()):
                if sector not in sector_ids and "sectors" not in incomplete:
                    report(record, f"unknown sector '{sector}'{hint(sector, sector_ids)}; see sectors.yaml")
            if collection == "errata":
                for ref in record.records:
                    if ref not in fact_ids and not incomplete & set(FACT_COLLECTIONS):
                        report(record, f"erratum refers to unknown record '{ref}'{hint(ref, fact_ids)}")
                continue
            if record.verification in ("corrected", "disputed") and not record.notes:
                report(record, f"a {record.verification} record needs notes saying what each source says")
            # A correction is of the source article, so an erratum says what it got wrong; a dispute
            # between two sources need not involve the article.
            if record.verification == "corrected" and record.id not in errata_records and "errata" not in incomplete:
                report(record, "a corrected record must be listed in the records of an erratum")
    for event in parsed["events"]:
        if event.end_date and event.date and event.end_date < event.date[: len(event.end_date)]:
            report(event, f"end_date {event.end_date} is before date {event.date}")
        if event.end_date and not event.date:
            report(event, "an undated event cannot have an end_date")
    for agreement in parsed["agreements"]:
        if agreement.event and agreement.event not in event_ids and "events" not in incomplete:
            report(agreement, f"unknown event '{agreement.event}'{hint(agreement.event, event_ids)}")
        if (agreement.type == "batch") != (agreement.documents is not None):
            report(agreement, "a batch record needs its number of documents, and only a batch record has one")
        for step in ("ratified", "in_force", "ended"):
            when = getattr(agreement, step)
            if when and agreement.date and _before(when, agreement.date):
                report(agreement, f"{step} {when} is before the signing date {agreement.date}")
    for envoy in parsed["envoys"]:
        for step in ("end", "seen"):
            when = getattr(envoy, step)
            if when and envoy.start and _before(when, envoy.start):
                report(envoy, f"{step} {when} is before start {envoy.start}")
        if envoy.seen and envoy.end and _before(envoy.end, envoy.seen):
            report(envoy, f"seen {envoy.seen} is after end {envoy.end}")
    return problems


def _before(later: str, earlier: str) -> bool:
    """Whether partial date `later` certainly ends before `earlier` begins ("2024" is not before "2024-05")."""
    return later < earlier[: len(later)]


# --- cache ----------------------------------------------------------------------

_TYPES: tuple[Any, ...] = (Source, Sector, Event, Agreement, Indicator, Envoy, Erratum, Synonym)


def _read_cache(path: Path, expected: str, directory: Path) -> KB | None:
    """The KB from its cache file, if that was built from exactly these files; None is a miss."""
    connection = cache.open_cached(path, expected)
    if connection is None:
        return None
    try:
        info = dict(connection.execute("SELECT key, value FROM pakaz_info").fetchall())
        if info.get("fingerprint") != expected or info.get("schema") != str(store.SCHEMA_VERSION):
            connection.close()
            return None
        meta = Meta._make(connection.execute("SELECT version, date, title, licence FROM meta").fetchone())
        found = connection.execute(
            "SELECT "
            + ", ".join(f"(SELECT count(*) FROM pakaz_{c}), (SELECT max(pos) FROM pakaz_{c})" for c in COLLECTIONS)
        ).fetchone()
        counts = found[0::2]
        if any(last != (count - 1 if count else None) for count, last in zip(counts, found[1::2])):
            connection.close()  # records missing (or extra): not the database pakaz wrote
            return None
    except (sqlite3.DatabaseError, TypeError, ValueError):
        connection.close()  # not a database, damaged, or another version's: rebuilt from the YAML
        return None

    def recover() -> sqlite3.Connection:
        # A stored record failed its check, or a page could not be read: the file is not what
        # pakaz wrote. Answer from the YAML instead, and remove the file so that the next run
        # writes a good one.
        cache.discard(path)
        return store.in_memory(_parse(directory))

    db = store.Database(connection, recover)
    tables = [store.Table(db, c, cls, n) for c, cls, n in zip(COLLECTIONS, _TYPES, counts)]
    return KB(str(directory), meta, **dict(zip(COLLECTIONS, tables)), derived={"db": db})
