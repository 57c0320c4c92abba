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
    "article": "article-newspaper", "news": "article-newspaper", "official": "webpage",
    "dataset": "dataset", "reference": "entry-encyclopedia", "archive": "webpage", "analysis": "article-magazine",
}  # fmt: skip


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
        "title": source.title,
        "publisher": source.publisher,
        "container-title": source.publisher,
    }
    if source.url:
        item["URL"] = source.url
    if source.published:
        item["issued"] = {"date-parts": [_date_parts(source.published)]}
    if source.language:
        item["language"] = source.language
    if source.notes:
        item["note"] = source.notes
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
        ("title", "{" + _bib_escape(source.title) + "}"),
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
    if source.notes:
        fields.append(("note", _bib_escape(source.notes)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{source.id},\n{body}\n}}\n"
