"""One record in full (`pakaz show`, `pakaz sources ID`): its fields, its resolved sources, what cites it."""

from __future__ import annotations

import json
from typing import Any

from pakaz.kb import KB
from pakaz.model import Record, Source
from pakaz.query import citing, collection_of, headline
from pakaz.render import Format, Listing, Style, _console, _text, display, json_safe, render, to_row, yaml_text


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


def _detail_table(kb: KB, record: Record, row: dict[str, Any], style: Style) -> str:
    from rich.table import Table
    from rich.text import Text

    from pakaz.render import VERIFICATION_STYLE

    console = _console(style)
    console.print(_text(f"{row['collection'].rstrip('s')} {record.id}", "bold"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    skip = {"collection", "id", "resolved_sources", "cited_by", "end_date"}
    for field, value in row.items():
        if field in skip or value in (None, [], ""):
            continue
        cell_style = VERIFICATION_STYLE.get(str(value), "") if field == "verification" else ""
        grid.add_row(Text(field), _text(display(field, row), cell_style))
    console.print(grid)
    if isinstance(record, Source):
        cited = row["cited_by"]
        console.print(_text(f"\nCited by {len(cited)} record{'s' if len(cited) != 1 else ''}:", "bold"))
        for item in cited:
            console.print(_text(f"  {item['collection']:<11} {item['id']}  {item['title']}"))
    else:
        console.print(_text("\nSources:", "bold"))
        by_id = {s.id: s for s in kb.sources}
        cited = Table.grid(padding=(0, 1), pad_edge=True)  # a hanging indent: wrapped lines stay under the text
        cited.add_column(no_wrap=True)
        cited.add_column(overflow="fold")
        for n, source_id in enumerate(getattr(record, "sources", ()), 1):
            source = by_id.get(source_id)
            if source is not None:
                cited.add_row(_text(f" {n}."), _text(f"{citation_line(source)} [{source.id}]"))
        console.print(cited)
    return str(console.file.getvalue())
