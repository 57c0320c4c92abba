"""One record in full (`pakaz show`, `pakaz sources ID`): its fields, its resolved sources, what cites it."""

from __future__ import annotations

import json
from typing import Any

from pakaz.kb import KB
from pakaz.model import Record, Source, json_safe
from pakaz.query import citing, collection_of, headline
from pakaz.render import (
    Format,
    Listing,
    Style,
    _console,
    _text,
    display,
    render,
    to_row,
    visible,
    yaml_text,
)


def detail_row(kb: KB, record: Record) -> dict[str, Any]:
    """The record's own fields plus `kind`, `resolved_sources` and, for a source, `cited_by`."""
    by_id = {s.id: s for s in kb.sources}
    row = {"collection": collection_of(record), **to_row(record)}
    if isinstance(record, Source):
        row["cited_by"] = [
            {"collection": collection_of(r), "id": r.id, "title": headline(r)} for r in citing(kb, record.id)
        ]
    else:
        row["resolved_sources"] = [to_row(by_id[s]) for s in getattr(record, "sources", ()) if s in by_id]
    return row


def citation_line(source: Source) -> str:
    """A one-line human citation: publisher, title, date, URL."""
    # A title the KB supplied is no headline: bracketed, as bibliographies mark it.
    parts = [source.publisher, f"[{source.title}]" if source.title_supplied else f"“{source.title}”"]
    if source.published:
        parts.append(source.published)
    if source.url:
        parts.append(source.url)
    if source.via:
        parts.append(f"Read at {source.via}")
    return ". ".join(parts) + "."


def render_detail(kb: KB, record: Record, fmt: Format, style: Style) -> str:
    row = detail_row(kb, record)
    if fmt is Format.json:
        return json_safe(json.dumps(row, ensure_ascii=False, indent=2)) + "\n"
    if fmt is Format.jsonl:
        return json_safe(json.dumps(row, ensure_ascii=False)) + "\n"
    if fmt is Format.yaml:
        return yaml_text(row)
    if fmt is not Format.table:
        flat = [
            {
                "field": k,
                "value": v if not isinstance(v, list) or not v or not isinstance(v[0], dict) else [d["id"] for d in v],
            }
            for k, v in row.items()
        ]
        return render(Listing("record", flat, ("field", "value"), ("field", "value")), fmt)
    return _detail_table(kb, record, row, style)


_UNBROKEN = frozenset({"url", "via"})  # a URL broken over lines can no longer be clicked or copied


def _detail_table(kb: KB, record: Record, row: dict[str, Any], style: Style) -> str:
    from rich.cells import cell_len

    from pakaz.render import VERIFICATION_STYLE, wrap

    console = _console(style)
    console.print(_text(f"{row['collection'].rstrip('s')} {record.id}", "bold"), soft_wrap=True)
    skip = {"collection", "id", "resolved_sources", "cited_by", "end_date"}
    shown = [(f, v) for f, v in row.items() if f not in skip and v not in (None, [], "")]
    label_width = max((cell_len(f) for f, _ in shown), default=0)
    room = style.width - label_width - 2
    stacked = room < 20  # too narrow for two columns: each label above its value
    for field, value in shown:
        text = visible(display(field, row))
        cell_style = VERIFICATION_STYLE.get(str(value), "") if field == "verification" else ""
        lines = [text] if field in _UNBROKEN else wrap(text, max(8, style.width - 2) if stacked else room)
        if stacked:
            console.print(_text(field, "bold"), soft_wrap=True)
        for n, piece in enumerate(lines):
            line = _text("")
            if stacked:
                line.append("  ")
            else:
                line.append(f"{field if n == 0 else '':<{label_width}}  ", style="bold" if n == 0 else "")
            line.append(piece, style=cell_style)
            console.print(line, soft_wrap=True)
    if isinstance(record, Source):
        cited = row["cited_by"]
        console.print(_text(f"\nCited by {len(cited)} record{'s' if len(cited) != 1 else ''}:", "bold"))
        for item in cited:
            mark = visible(f"  {item['collection']:<11} {item['id']}  ")
            if style.width - len(mark) < 20:  # narrow: what it is, then its title under it
                for piece in wrap(visible(f"{item['collection']} {item['id']}"), max(8, style.width - 2)):
                    console.print(_text("  " + piece), soft_wrap=True)
                for piece in wrap(visible(item["title"]), max(8, style.width - 4)):
                    console.print(_text("    " + piece), soft_wrap=True)
                continue
            for n, piece in enumerate(wrap(visible(item["title"]), style.width - len(mark))):
                console.print(_text((mark if n == 0 else " " * 14) + piece), soft_wrap=True)
    else:
        console.print(_text("\nSources:", "bold"))
        by_id = {s.id: s for s in kb.sources}
        for n, source_id in enumerate(getattr(record, "sources", ()), 1):
            source = by_id.get(source_id)
            if source is None:
                continue
            # The citation wraps under its number; the URL has a line of its own and is never broken.
            mark = f"{n:>3}. "
            indent = " " * len(mark)
            text = citation_line(source._replace(url=None)).removesuffix(".") + f". [{source.id}]"
            for i, piece in enumerate(wrap(visible(text), max(8, style.width - len(mark)))):
                console.print(_text((mark if i == 0 else indent) + piece), soft_wrap=True)
            if source.url:
                console.print(_text(indent + visible(source.url), "underline" if style.color else ""), soft_wrap=True)
    return str(console.file.getvalue())
