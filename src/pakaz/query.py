"""Pure functions from a KB and filters to the records a command shows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from pakaz.dates import check_partial, first_day, last_day
from pakaz.errors import NotFoundError, UsageError
from pakaz.kb import KB
from pakaz.model import (
    AGREEMENT_TYPES,
    ENVOY_POSTS,
    EVENT_TYPES,
    Agreement,
    Envoy,
    Erratum,
    Event,
    Indicator,
    Record,
    Sector,
    Source,
)
from pakaz.store import SEARCHED, UNDATED, Found
from pakaz.textfold import fold

if TYPE_CHECKING:
    from pakaz.fulltext import Hit

COUNTRY_ALIASES = {
    "pak": "PAK", "pk": "PAK", "pakistan": "PAK",
    "aze": "AZE", "az": "AZE", "azerbaijan": "AZE",
    "pak-aze": "PAK-AZE", "bilateral": "PAK-AZE", "both": "PAK-AZE",
}  # fmt: skip
TYPE_ALIASES = {"memorandum": "mou", "memorandum-of-understanding": "mou", "program": "programme", "mous": "mou"}


class DateWindow(NamedTuple):
    """A filter's day range; None means open on that side."""

    since: str | None
    until: str | None

    @property
    def active(self) -> bool:
        return self.since is not None or self.until is not None


def date_window(since: str | None, until: str | None) -> DateWindow:
    """Check `--since`/`--until` values and turn them into a day range."""
    for option, value in (("--since", since), ("--until", until)):
        if value is not None:
            why = check_partial(value)
            if why:
                raise UsageError(f"Invalid value for '{option}': {why}")
    window = DateWindow(first_day(since) if since else None, last_day(until) if until else None)
    if window.since and window.until and window.since > window.until:
        raise UsageError(f"'--since {since}' is after '--until {until}'; swap them")
    return window


def _unknown(option: str, value: str, choices: Sequence[str]) -> UsageError:
    import difflib  # only on the error path: it costs startup time

    lowered = {c.lower(): c for c in choices}  # compare in one case: 'azr' should find 'AZE'
    close = [lowered[c] for c in difflib.get_close_matches(value.lower(), list(lowered), n=3, cutoff=0.5)]
    hint = (" Did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else ""
    return UsageError(
        f"Invalid value for '{option}': unknown {option.lstrip('-')} '{value}'.{hint} Valid: {', '.join(choices)}"
    )


def resolve_sectors(kb: KB, values: Iterable[str]) -> set[str]:
    """Sector ids for `--sector` values, accepting ids and aliases in any case."""
    lookup: dict[str, str] = {}
    for sector in kb.sectors:
        lookup[sector.id] = sector.id
        for alias in sector.aliases:
            lookup[alias] = sector.id
    resolved = set()
    for value in values:
        key = value.strip().lower()
        if key not in lookup:
            raise _unknown("--sector", value, sorted(s.id for s in kb.sectors))
        resolved.add(lookup[key])
    return resolved


def _resolve_vocabulary(
    option: str, values: Iterable[str], choices: Sequence[str], aliases: dict[str, str]
) -> set[str]:
    """Vocabulary values for an option, in any case and by alias; an unknown one is a usage error."""
    resolved = set()
    for value in values:
        key = value.strip().lower()
        key = aliases.get(key, key)
        if key not in choices:
            raise _unknown(option, value, choices)
        resolved.add(key)
    return resolved


def resolve_types(values: Iterable[str]) -> set[str]:
    """Agreement types for `agreements --type`."""
    return _resolve_vocabulary("--type", values, AGREEMENT_TYPES, TYPE_ALIASES)


EVENT_TYPE_ALIASES = {"visits": "visit", "meetings": "meeting", "statements": "statement", "summits": "summit"}


def resolve_event_types(values: Iterable[str]) -> set[str]:
    """Event types for `timeline --type`, in any case."""
    return _resolve_vocabulary("--type", values, EVENT_TYPES, EVENT_TYPE_ALIASES)


def resolve_countries(values: Iterable[str]) -> set[str]:
    resolved = set()
    for value in values:
        key = value.strip().lower()
        if key not in COUNTRY_ALIASES:
            raise _unknown("--country", value, ["PAK", "AZE", "PAK-AZE"])
        resolved.add(COUNTRY_ALIASES[key])
    return resolved


def resolve_names(kb: KB, values: Iterable[str]) -> set[str]:
    known = indicator_names(kb)
    resolved = set()
    for value in values:
        key = value.strip().lower()
        if key not in known:
            raise _unknown("--name", value, known)
        resolved.add(key)
    return resolved


def indicator_names(kb: KB) -> list[str]:
    return [name for (name,) in kb.db.rows("SELECT DISTINCT kind FROM pakaz_indicators ORDER BY kind")]


def ids(kb: KB, collection: str) -> list[str]:
    """The ids of a collection, in KB order."""
    return [i for (i,) in kb.db.rows(f"SELECT id FROM pakaz_{_table(collection)} ORDER BY pos")]


def _table(collection: str) -> str:
    if collection not in SEARCH_ORDER:
        raise ValueError(f"no collection {collection!r}")
    return collection  # a name of this program's, never the user's


class _Where:
    """The conditions of one query, with their parameters: every user value is a parameter."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.params: list[Any] = []

    def add(self, condition: str, *params: Any) -> None:
        self.sql.append(condition)
        self.params.extend(params)

    def one_of(self, column: str, values: Iterable[Any]) -> None:
        chosen = sorted(values)
        if chosen:
            self.add(f"{column} IN ({', '.join('?' * len(chosen))})", *chosen)

    def window(self, window: DateWindow) -> None:
        """Records whose span (first day of the date to last day of the end date) overlaps the window;
        an undated record overlaps no window."""
        if window.since is not None:
            self.add("hi >= ?", window.since)
        if window.until is not None:
            self.add("lo <= ?", window.until)

    def years(self, years: Iterable[int]) -> None:
        wanted = sorted(set(years))
        if wanted:
            self.add(
                "(" + " OR ".join("(lo <= ? AND hi >= ?)" for _ in wanted) + ")",
                *(d for y in wanted for d in (f"{y:04d}-12-31", f"{y:04d}-01-01")),
            )

    def sectors(self, collection: str, sectors: set[str]) -> None:
        if sectors:
            marks = ", ".join("?" * len(sectors))
            self.add(
                f"pos IN (SELECT pos FROM pakaz_record_sectors WHERE collection = ? AND sector IN ({marks}))",
                collection,
                *sorted(sectors),
            )

    def text(self, kb: KB, collection: str, query: str | None) -> None:
        """Records containing every word of `query` (or a synonym of it)."""
        if query is not None and query.strip():  # an empty --query filters nothing
            from pakaz import fulltext

            condition, params = fulltext.containing(kb, collection, query)
            self.add(condition, *params)

    def __str__(self) -> str:
        return " WHERE " + " AND ".join(self.sql) if self.sql else ""


def _found(kb: KB, collection: str, where: _Where, order: str, limit: int | None) -> Found:
    sql = f"SELECT pos, json FROM pakaz_{_table(collection)}{where} ORDER BY {order}"
    params = list(where.params)
    if limit is not None:
        sql += " LIMIT ?"
        params.append(min(limit, 2**62))  # SQLite's integers are 64-bit
    return Found(getattr(kb, collection), kb.db, sql, params)


def _dated(
    kb: KB,
    collection: str,
    since: str | None,
    until: str | None,
    sectors: Iterable[str],
    kinds: set[str],
    verification: Iterable[str],
    years: Iterable[int],
    query: str | None,
) -> _Where:
    """The conditions the filters of `timeline` and `agreements` share."""
    where = _Where()
    where.window(date_window(since, until))
    where.sectors(collection, resolve_sectors(kb, sectors))
    where.one_of("kind", kinds)
    where.one_of("verification", verification)
    where.years(years)
    where.text(kb, collection, query)
    return where


def timeline(
    kb: KB,
    *,
    since: str | None = None,
    until: str | None = None,
    sectors: Iterable[str] = (),
    query: str | None = None,
    verification: Iterable[str] = (),
    types: Iterable[str] = (),
    years: Iterable[int] = (),
    reverse: bool = False,
    limit: int | None = None,
) -> Sequence[Event]:
    """Events in chronological order (a partial date counts from its first day; undated last), filtered."""
    kinds = resolve_event_types(types)
    where = _dated(kb, "events", since, until, sectors, kinds, verification, years, query)
    # Undated events sort last (their first day is UNDATED); newest first, they still come last.
    order = f"lo = '{UNDATED}', lo DESC, id DESC" if reverse else "lo, id"
    return _found(kb, "events", where, order, limit)


def agreements(
    kb: KB,
    *,
    since: str | None = None,
    until: str | None = None,
    sectors: Iterable[str] = (),
    types: Iterable[str] = (),
    query: str | None = None,
    verification: Iterable[str] = (),
    years: Iterable[int] = (),
    limit: int | None = None,
) -> Sequence[Agreement]:
    """Agreements, MoUs, treaties and declarations in order of signing, filtered."""
    kinds = resolve_types(types)
    where = _dated(kb, "agreements", since, until, sectors, kinds, verification, years, query)
    return _found(kb, "agreements", where, "lo, id", limit)


def indicators(
    kb: KB,
    *,
    countries: Iterable[str] = (),
    names: Iterable[str] = (),
    years: Iterable[int] = (),
    since: str | None = None,
    until: str | None = None,
    verification: Iterable[str] = (),
    limit: int | None = None,
) -> Sequence[Indicator]:
    """Indicator values ordered by name, year and country, filtered."""
    where = _Where()
    where.window(date_window(since, until))
    where.one_of("country", resolve_countries(countries))
    where.one_of("kind", resolve_names(kb, names))
    where.one_of("year", set(years))
    where.one_of("verification", verification)
    return _found(kb, "indicators", where, "kind, year, country, id", limit)


def _limit(records: list[Any], limit: int | None) -> list[Any]:
    return records if limit is None else records[:limit]


COLLECTION_OF: dict[type, str] = {
    Event: "events", Agreement: "agreements", Indicator: "indicators", Envoy: "envoys",
    Source: "sources", Sector: "sectors", Erratum: "errata",
}  # fmt: skip


def collection_of(record: Record) -> str:
    """The collection (KB file name without .yaml) a record belongs to."""
    return COLLECTION_OF[type(record)]


def all_records(kb: KB) -> Iterable[Record]:
    yield from kb.events
    yield from kb.agreements
    yield from kb.indicators
    yield from kb.envoys
    yield from kb.errata
    yield from kb.sources
    yield from kb.sectors


SEARCH_ORDER = SEARCHED  # find() looks for an id in the collections search covers, facts first


def search(kb: KB, text: str, *, verification: Iterable[str] = (), limit: int | None = None) -> list[Hit]:
    """Records of every kind matching the words of `text`, best first (see `fulltext.search`).

    With `verification`, only facts with that status.
    """
    from pakaz import fulltext

    return fulltext.search(kb, text, verification=set(verification), limit=limit)


def headline(record: Record) -> str:
    """The one line that names a record: its title, label, claim or person."""
    for name in ("title", "label", "person", "claim"):
        value = getattr(record, name, None)
        if value:
            return str(value)
    return ""


def _newest_first(date: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in date)


def find(kb: KB, record_id: str) -> Record:
    """The record with this id in any collection, or NotFoundError with the closest ids."""
    try:
        record_id.encode("utf-8")
    except UnicodeEncodeError:  # an id that is not text (undecodable bytes in argv) is no record's
        pass
    else:
        for collection in SEARCH_ORDER:
            found = kb.db.rows(f"SELECT pos FROM pakaz_{_table(collection)} WHERE id = ?", (record_id,))
            if found:
                return getattr(kb, collection)[found[0][0]]  # type: ignore[no-any-return]
    all_ids = [i for collection in SEARCH_ORDER for i in ids(kb, collection)]
    import difflib  # only on the error path: it costs startup time

    close = difflib.get_close_matches(record_id.lower(), all_ids, n=3, cutoff=0.5)
    hint = (" Did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else ""
    raise NotFoundError(f"No record with id '{record_id}'.{hint} Try 'pakaz search {record_id}'.")


def citing(kb: KB, source_id: str) -> list[Record]:
    """Every record that cites a source."""
    return [r for r in all_records(kb) if source_id in getattr(r, "sources", ())]


SOURCE_SORTS = ("publisher", "title", "published", "cited", "id", "file")


def source_usage(kb: KB, sort: str = "publisher") -> list[tuple[Source, int]]:
    """Each source with how many records cite it, sorted by `sort` (one of SOURCE_SORTS).

    `publisher` (the default) groups a bibliography by outlet, oldest first within each;
    `published` is newest first, undated last; `cited` is most cited first; `file` is KB order.
    """
    counts = Counter(s for r in all_records(kb) for s in getattr(r, "sources", ()))
    usage = [(s, counts[s.id]) for s in kb.sources]
    if sort not in SOURCE_SORTS:
        raise _unknown("--sort", sort, SOURCE_SORTS)
    keys: dict[str, Any] = {
        "publisher": lambda u: (fold(u[0].publisher), u[0].published or "9999", fold(u[0].title), u[0].id),
        "title": lambda u: (fold(u[0].title), u[0].id),
        "published": lambda u: (u[0].published is None, _newest_first(u[0].published or ""), u[0].id),
        "cited": lambda u: (-u[1], fold(u[0].publisher), u[0].id),
        "id": lambda u: u[0].id,
    }
    if sort != "file":
        usage.sort(key=keys[sort])
    return usage


class SectorUsage(NamedTuple):
    sector: Sector
    events: int
    agreements: int


def sector_usage(kb: KB) -> list[SectorUsage]:
    """Each sector with its number of events and agreements."""
    events = Counter(s for e in kb.events for s in e.sectors)
    agreements_ = Counter(s for a in kb.agreements for s in a.sectors)
    return [SectorUsage(s, events[s.id], agreements_[s.id]) for s in kb.sectors]


def errata(kb: KB) -> list[Erratum]:
    """Every place the source article was wrong or unsupported, in KB order."""
    return list(kb.errata)


def verification_counts(kb: KB) -> Counter[str]:
    return Counter(r.verification for c in (kb.events, kb.agreements, kb.indicators, kb.envoys) for r in c)


POST_ALIASES = {
    "pak-to-aze": "pak-to-aze", "pakistan": "pak-to-aze", "pak": "pak-to-aze", "pk": "pak-to-aze",
    "aze-to-pak": "aze-to-pak", "azerbaijan": "aze-to-pak", "aze": "aze-to-pak", "az": "aze-to-pak",
}  # fmt: skip


def resolve_posts(values: Iterable[str]) -> set[str]:
    """Posts for `--post` values: a post id, or the sending country (`pakistan` is Pakistan's envoy in Baku)."""
    resolved = set()
    for value in values:
        key = value.strip().lower()
        if key not in POST_ALIASES:
            raise _unknown("--post", value, ENVOY_POSTS)
        resolved.add(POST_ALIASES[key])
    return resolved


def envoys(
    kb: KB,
    *,
    posts: Iterable[str] = (),
    as_of: str | None = None,
    verification: Iterable[str] = (),
    limit: int | None = None,
) -> list[Envoy]:
    """Envoys by post and term, oldest first; with `as_of`, those in office on that date.

    A term runs from `start` to `end`; with no `end`, it runs until the next holder of the same
    post starts, and the latest holder with no end is taken to be in office still. A term whose
    start is unknown is known only on the day (or month) it was `seen`.
    """
    wanted = resolve_posts(posts)
    statuses = set(verification)
    records = [
        e for e in kb.envoys if (not wanted or e.post in wanted) and (not statuses or e.verification in statuses)
    ]
    records.sort(key=lambda e: (e.post, _known(e) is None, first_day(_known(e) or ""), e.id))
    if as_of is not None:
        why = check_partial(as_of)
        if why:
            raise UsageError(f"Invalid value for '--as-of': {why}")
        day = last_day(as_of)
        records = [e for e in records if _in_office(e, day, records)]
    return _limit(records, limit)


def _known(envoy: Envoy) -> str | None:
    """The earliest date the envoy is known to have been in office."""
    return envoy.start or envoy.seen or envoy.end


def _in_office(envoy: Envoy, day: str, all_envoys: Sequence[Envoy]) -> bool:
    if envoy.start is None:
        return envoy.seen is not None and first_day(envoy.seen) <= day <= last_day(envoy.seen)
    if first_day(envoy.start) > day:
        return False
    if envoy.end is not None:
        return last_day(envoy.end) >= day
    successors = [
        e.start for e in all_envoys if e.post == envoy.post and e.start and first_day(e.start) > first_day(envoy.start)
    ]
    return not successors or min(first_day(s) for s in successors) > day
