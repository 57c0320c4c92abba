"""Citations of the sources behind a record: plain text, BibTeX and CSL-JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from pakaz.kb import KB
from pakaz.model import Record, Source
from pakaz.render import json_safe, visible

STYLES = ("text", "bibtex", "csl-json")
_CSL_TYPES = {
    "article": "article-newspaper", "news": "article-newspaper", "official": "webpage", "document": "document",
    "dataset": "dataset", "reference": "entry-encyclopedia", "archive": "webpage", "analysis": "article-magazine",
    "blog": "post-weblog",
}  # fmt: skip


def shown_title(source: Source) -> str:
    """The title as a citation prints it: a title the KB supplied is bracketed, never passed off as a headline."""
    return f"[{source.title}]" if source.title_supplied else source.title


def _read_at(source: Source) -> str | None:
    return f"Read at {source.via}" if source.via else None


def sources_of(kb: KB, record: Record) -> list[Source]:
    """The sources a record cites (a source cites itself)."""
    if isinstance(record, Source):
        return [record]
    by_id = {s.id: s for s in kb.sources}
    return [by_id[s] for s in getattr(record, "sources", ()) if s in by_id]


def cite(kb: KB, record: Record, style: str) -> str:
    sources = sources_of(kb, record)
    if style == "bibtex":
        return "\n".join(bibtex(s) for s in sources)
    if style == "csl-json":
        return json_safe(json.dumps([csl(s) for s in sources], ensure_ascii=False, indent=2)) + "\n"
    from pakaz.detail import citation_line

    return "".join(f"{visible(citation_line(s))}\n" for s in sources)


def _date_parts(date: str) -> list[int]:
    return [int(p) for p in date.split("-")]


def csl(source: Source) -> dict[str, Any]:
    """A CSL-JSON item (the format Zotero and pandoc read)."""
    item: dict[str, Any] = {
        "id": source.id,
        "type": _CSL_TYPES.get(source.kind, "webpage"),
        "title": shown_title(source),
        "publisher": source.publisher,
        "container-title": source.publisher,
    }
    if source.authors:
        item["author"] = [{"literal": name} for name in source.authors]
    if source.url:
        item["URL"] = source.url
    if source.published:
        item["issued"] = {"date-parts": [_date_parts(source.published)]}
    if source.language:
        item["language"] = source.language
    note = "; ".join(n for n in (_read_at(source), source.notes) if n)
    if note:
        item["note"] = note
    return item


_BIB_SPECIAL = re.compile(r"([\\{}&%$#_^~])")


def _bib_escape(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        c = m.group(1)
        return {"\\": r"\textbackslash{}", "^": r"\^{}", "~": r"\~{}"}.get(c, "\\" + c)

    return _BIB_SPECIAL.sub(repl, visible(text))  # visible first: its backslashes get escaped too


def bibtex(source: Source) -> str:
    """A BibTeX @misc entry (biblatex reads `url` and `urldate`-less entries as well)."""
    fields = [
        ("title", "{" + _bib_escape(shown_title(source)) + "}"),
        ("publisher", _bib_escape(source.publisher)),
        ("howpublished", _bib_escape(source.publisher)),
    ]
    if source.published:
        parts = source.published.split("-")
        fields.append(("year", parts[0]))
        if len(parts) > 1:
            fields.append(("month", str(int(parts[1]))))
        fields.append(("date", source.published))
    if source.url:
        fields.append(("url", visible(source.url)))
    if source.authors:
        # Braced: a name is a name, never split into first and last by BibTeX.
        fields.insert(0, ("author", " and ".join("{" + _bib_escape(a) + "}" for a in source.authors)))
    note = "; ".join(n for n in (_read_at(source), source.notes) if n)
    if note:
        fields.append(("note", _bib_escape(note)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{source.id},\n{body}\n}}\n"
