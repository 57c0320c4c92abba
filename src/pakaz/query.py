"""Pure functions from a KB and filters to the records a command shows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from pakaz.cache import column, select, take
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
from pakaz.textfold import fold, folded_texts, words

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


def _in_window(dates: Sequence[str | None], ends: Sequence[str | None] | None, window: DateWindow) -> Iterable[int]:
    """Positions, in order, of the records whose date range overlaps the window.

    A record spans from the first day of `date` to the last day of `end_date` (or of
    `date`); an undated record never overlaps an active window. A partial date's last
    day is on or after day D exactly when the date is on or after D cut to the same
    precision, and likewise for its first day: plain string comparisons, which matter
    when this runs 100,000 times.
    """
    if not window.active:
        return range(len(dates))
    since, until = window.since, window.until
    ends = ends or [None] * len(dates)
    return [
        i
        for i, (date, end) in enumerate(zip(dates, ends))
        if date is not None
        and (until is None or date <= until[: len(date)])
        and (since is None or (end or date) >= since[: len(end or date)])
    ]


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


def _in_years(dates: Sequence[str | None], ends: Sequence[str | None] | None, years: Iterable[int]) -> set[int] | None:
    """Positions of the records whose dates touch one of `years`; None when no year is asked for."""
    wanted = sorted(set(years))
    if not wanted:
        return None
    found: set[int] = set()
    for year in wanted:
        found.update(_in_window(dates, ends, DateWindow(f"{year:04d}-01-01", f"{year:04d}-12-31")))
    return found


def resolve_countries(values: Iterable[str]) -> set[str]:
    resolved = set()
    for value in values:
        key = value.strip().lower()
        if key not in COUNTRY_ALIASES:
            raise _unknown("--country", value, ["PAK", "AZE", "PAK-AZE"])
        resolved.add(COUNTRY_ALIASES[key])
    return resolved


def resolve_names(kb: KB, values: Iterable[str]) -> set[str]:
    known = sorted(set(column(kb.indicators, "name")))
    resolved = set()
    for value in values:
        key = value.strip().lower()
        if key not in known:
            raise _unknown("--name", value, known)
        resolved.add(key)
    return resolved


def _chronologically(positions: list[int], dates: Sequence[str | None], ids: Sequence[str]) -> list[int]:
    """Positions in date order (a partial date counts from its first day), undated last, then by id."""
    return sorted(positions, key=lambda i: (dates[i] is None, first_day(dates[i] or ""), ids[i]))


def _matching(kb: KB, collection: str, terms: list[str]) -> set[int] | None:
    """Positions of the records of `collection` that contain every term (None: no terms, all match)."""
    if not terms:
        return None
    return set(containing(folded_texts(kb, collection), terms))


def containing(texts: Sequence[str], terms: Sequence[str]) -> list[int]:
    """Positions of the texts that contain every term, one term at a time over the survivors."""
    positions = [i for i, text in enumerate(texts) if terms[0] in text]
    for term in terms[1:]:
        positions = [i for i in positions if term in texts[i]]
    return positions


def _limit(records: list[Any], limit: int | None) -> list[Any]:
    return records if limit is None else records[:limit]


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
    """Events in chronological order (undated last), filtered."""
    window = date_window(since, until)
    wanted = resolve_sectors(kb, sectors)
    kinds = resolve_event_types(types)
    statuses = set(verification)
    terms = words(query or "")
    matching = _matching(kb, "events", terms)
    events = kb.events
    dates, ends = column(events, "date"), column(events, "end_date")
    sectors_, checked = column(events, "sectors"), column(events, "verification")
    types_ = column(events, "type") if kinds else ()  # not a cached key: read only when asked for
    in_years = _in_years(dates, ends, years)
    positions = [
        i
        for i in _in_window(dates, ends, window)
        if (not wanted or wanted.intersection(sectors_[i]))
        and (not kinds or types_[i] in kinds)
        and (not statuses or checked[i] in statuses)
        and (matching is None or i in matching)
        and (in_years is None or i in in_years)
    ]
    positions = _chronologically(positions, dates, column(events, "id"))
    if reverse:  # newest first; undated events stay last, they are not the newest
        positions = [i for i in positions if dates[i] is not None][::-1] + [i for i in positions if dates[i] is None]
    return select(events, _limit(positions, limit))


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
    window = date_window(since, until)
    wanted = resolve_sectors(kb, sectors)
    kinds = resolve_types(types)
    statuses = set(verification)
    terms = words(query or "")
    matching = _matching(kb, "agreements", terms)
    records = kb.agreements
    dates, sectors_ = column(records, "date"), column(records, "sectors")
    types_, checked = column(records, "type"), column(records, "verification")
    in_years = _in_years(dates, None, years)
    positions = [
        i
        for i in _in_window(dates, None, window)
        if (not wanted or wanted.intersection(sectors_[i]))
        and (not kinds or types_[i] in kinds)
        and (not statuses or checked[i] in statuses)
        and (matching is None or i in matching)
        and (in_years is None or i in in_years)
    ]
    positions = _chronologically(positions, dates, column(records, "id"))
    return select(records, _limit(positions, limit))


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
) -> list[Indicator]:
    """Indicator values ordered by name, year and country, filtered."""
    window = date_window(since, until)
    wanted_countries = resolve_countries(countries)
    wanted_names = resolve_names(kb, names)
    wanted_years = set(years)
    statuses = set(verification)
    records = kb.indicators
    countries_, names_ = column(records, "country"), column(records, "name")
    years_, checked = column(records, "year"), column(records, "verification")
    positions = [
        i
        for i in _in_window([str(y) for y in years_], None, window)
        if (not wanted_countries or countries_[i] in wanted_countries)
        and (not wanted_names or names_[i] in wanted_names)
        and (not wanted_years or years_[i] in wanted_years)
        and (not statuses or checked[i] in statuses)
    ]
    found = take(records, positions)
    found.sort(key=lambda i: (i.name, i.year, i.country, i.id))
    return _limit(found, limit)


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


# Facts first: among equally good matches, an event is a better answer than the source behind it.
SEARCH_ORDER = ("events", "agreements", "indicators", "envoys", "errata", "sectors", "sources")
FACTS = SEARCH_ORDER[:4]  # the collections whose records carry a verification status


class Hit(NamedTuple):
    collection: str
    record: Record
    score: int


def search(kb: KB, text: str, *, verification: Iterable[str] = (), limit: int | None = None) -> list[Hit]:
    """Records of every kind in which every word of `text` occurs, best first.

    With `verification`, only facts (events, agreements, indicators) with that status.
    """
    terms = words(text)
    if not terms:
        raise UsageError("Invalid value for 'TEXT': give at least one word to search for")
    statuses = set(verification)
    hits = []
    for collection in FACTS if statuses else SEARCH_ORDER:
        records = getattr(kb, collection)
        positions = containing(folded_texts(kb, collection), terms)
        if statuses:
            checked = column(records, "verification")
            positions = [i for i in positions if checked[i] in statuses]
        for record in take(records, positions):
            title = fold(str(headline(record)))
            score = sum(3 if term in title else 1 for term in terms) + sum(2 for term in terms if term in record.id)
            hits.append(Hit(collection, record, score))
    rank = {name: i for i, name in enumerate(SEARCH_ORDER)}
    hits.sort(key=lambda h: (-h.score, rank[h.collection], _date_key(h.record), h.record.id))
    return _limit(hits, limit)


def headline(record: Record) -> str:
    """The one line that names a record: its title, label, claim or person."""
    for name in ("title", "label", "person", "claim"):
        value = getattr(record, name, None)
        if value:
            return str(value)
    return ""


def _newest_first(date: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in date)


def _date_key(record: Record) -> str:
    # Newer first among equal scores; undated after dated.
    date = getattr(record, "date", None)
    return "" if date is None else "".join(chr(0x10FFFF - ord(c)) for c in date)


def find(kb: KB, record_id: str) -> Record:
    """The record with this id in any collection, or NotFoundError with the closest ids."""
    all_ids: list[str] = []
    for collection in SEARCH_ORDER:
        records = getattr(kb, collection)
        ids = column(records, "id")
        if record_id in ids:
            return records[list(ids).index(record_id)]  # type: ignore[no-any-return]
        all_ids.extend(ids)
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
        e
        for e in take(kb.envoys, range(len(kb.envoys)))
        if (not wanted or e.post in wanted) and (not statuses or e.verification in statuses)
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
