"""Output formats: one renderer per format, each turning a listing into a string.

The only module that imports rich, and only inside the table renderers, so that
piped output never pays for it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, NamedTuple

from pakaz.errors import UsageError
from pakaz.model import suggest


class Format(str, Enum):
    """`--format` values. `auto` is `table` on a terminal and `tsv` otherwise."""

    auto = "auto"
    table = "table"
    tsv = "tsv"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    yaml = "yaml"
    markdown = "markdown"


LIST_SEPARATOR = ";"  # joins list values (sectors, sources, ...) in tsv, csv and markdown


class Listing(NamedTuple):
    """Rows for one command: `rows` hold every field; `columns` are the default tabular columns."""

    kind: str
    rows: list[dict[str, Any]]
    columns: tuple[str, ...]
    table_columns: tuple[str, ...]
    title: str = ""
    fields: tuple[str, ...] = ()  # every key a row can have, so that --fields is checked even with no rows
    fit: bool = True  # drop table columns on a narrow terminal; never the ones picked with --fields


class Style(NamedTuple):
    """How a table is drawn: terminal width and whether to colour."""

    width: int = 100
    color: bool = False


def to_row(record: Any, **extra: Any) -> dict[str, Any]:
    """A record as a plain dict of its KB fields (tuples become lists), plus `extra` keys."""
    row = {k: list(v) if type(v) is tuple else v for k, v in zip(record._fields, record)}
    row.update(extra)
    return row


def select(listing: Listing, fields: Sequence[str] | None) -> Listing:
    """Restrict and order the columns (and machine keys) to `fields`; unknown ones are a usage error."""
    if not fields:
        return listing
    known = list(listing.fields) or (list(listing.rows[0]) if listing.rows else list(listing.columns))
    known += [c for c in listing.columns if c not in known]
    for field in fields:
        if field not in known:
            hint = suggest(field, known)
            raise UsageError(f"Invalid value for '--fields': unknown field '{field}'{hint}. Valid: {', '.join(known)}")
    rows = [{f: row.get(f) for f in fields} for row in listing.rows]
    return listing._replace(rows=rows, columns=tuple(fields), table_columns=tuple(fields), fit=False)


# --- machine formats ------------------------------------------------------------------

_TSV_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# CSV quotes tab, CR and LF (they round-trip); every other control is shown as in tsv.
_CSV_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
# json.dumps escapes only C0 controls; C1 controls (CSI, OSC) drive terminals too, and bidi marks
# reorder what the screen shows. Escaped as \uXXXX they still decode to the same text.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_safe(text: str) -> str:
    """JSON text with the characters that drive or reorder a terminal written as \\u escapes."""
    if text.isascii() and "\x7f" not in text:  # the common case, checked in C
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def yaml_text(data: Any) -> str:
    """`data` as YAML; all-ASCII with escapes if its text holds bidi marks, which would reorder lines."""
    import yaml

    text = str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000))
    if _JSON_UNSAFE.search(text):
        text = str(yaml.safe_dump(data, allow_unicode=False, sort_keys=False, width=1000))
    return text


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_plain(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _escape(m: re.Match[str]) -> str:
    return f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"


def visible(text: str) -> str:
    """Show control and bidirectional-override characters as escapes instead of obeying them."""
    return _CONTROL.sub(_escape, text)


def _tsv_cell(value: Any) -> str:
    text = _plain(value)
    text = re.sub(r"[\\\t\n\r]", lambda m: _TSV_ESCAPES[m.group()], text)
    return visible(text)


def render_tsv(listing: Listing, header: bool = True) -> str:
    # Linear TSV: no quoting, so a cell may begin with `"`; read it with quoting off (README).
    # An empty result is its header line alone, which every reader takes as zero rows with these columns.
    lines = ["\t".join(listing.columns)] if header else []
    lines += ["\t".join(_tsv_cell(row.get(c)) for c in listing.columns) for row in listing.rows]
    return "".join(line + "\n" for line in lines)


# A spreadsheet runs a cell that begins with one of these as a formula (=HYPERLINK(...), @SUM(...)).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\x00")


def _csv_cell(value: Any, defuse: bool) -> str:
    text = _CSV_CONTROL.sub(_escape, _plain(value))
    # OWASP's advice (ASVS 1.2.10): a text cell that a spreadsheet would run gets a leading
    # apostrophe, which spreadsheets take as "this is text". Numbers (-5) stay numbers.
    if defuse and text.startswith(_FORMULA_START) and not isinstance(value, (int, float)):
        return "'" + text
    return text


def render_csv(listing: Listing, header: bool = True) -> str:
    import csv
    import os

    # PAKAZ_CSV_FORMULAS=keep writes every value exactly, as csvkit and sqlite-utils do.
    defuse = os.environ.get("PAKAZ_CSV_FORMULAS", "") != "keep"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    if header:
        writer.writerow(listing.columns)
    for row in listing.rows:
        writer.writerow([_csv_cell(row.get(c), defuse) for c in listing.columns])
    return out.getvalue()


def render_json(listing: Listing, header: bool = True) -> str:
    import json

    return json_safe(json.dumps(listing.rows, ensure_ascii=False, indent=2)) + "\n"


def render_jsonl(listing: Listing, header: bool = True) -> str:
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: json.dumps(**options) builds one per call
    return json_safe("".join([encode(row) + "\n" for row in listing.rows]))


def render_yaml(listing: Listing, header: bool = True) -> str:
    if not listing.rows:
        return "[]\n"
    return yaml_text(listing.rows)


# Markdown is rendered to HTML: KB text must not become tags (<script>, <img onerror>), entities,
# links or images. HTML special characters become entities, link and emphasis syntax is escaped.
_MD_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\\": "\\\\", "|": "\\|", "[": "\\[", "]": "\\]", "*": "\\*", "`": "\\`"}
)


def _md_cell(value: Any) -> str:
    text = visible(_plain(value).replace("\r\n", "\n"))
    return text.translate(_MD_ESCAPES).replace("\n", "<br>")


def render_markdown(listing: Listing, header: bool = True) -> str:
    lines = []
    if header:
        lines.append("| " + " | ".join(listing.columns) + " |")
        lines.append("|" + "|".join("---" for _ in listing.columns) + "|")
    lines += ["| " + " | ".join(_md_cell(row.get(c)) for c in listing.columns) + " |" for row in listing.rows]
    return "".join(line + "\n" for line in lines)


# --- human formats ----------------------------------------------------------------------

VERIFICATION_STYLE = {
    "confirmed": "green", "reported": "cyan", "article-only": "yellow", "corrected": "red", "disputed": "magenta",
}  # fmt: skip


def human_number(value: float | int, unit: str) -> str:
    """A value as a person reads it: `$72.36 bn`, `3.2 %`, `50,000`."""

    def short(x: float) -> str:
        return f"{x:,.2f}".rstrip("0").rstrip(".")

    if unit == "USD":
        magnitude = abs(value)
        if magnitude >= 1e9:
            return f"${short(value / 1e9)} bn"
        if magnitude >= 1e6:
            return f"${short(value / 1e6)} m"
        return f"${short(value)}"
    if unit == "percent":
        return f"{short(value)} %"
    return short(value)


def date_span(start: str, end: str) -> str:
    """`2024-07-11–12`, `2025-01-23–02-01` or `1995–1996`: the end without what it shares with the start."""
    if len(start) == len(end) == 10 and start[:7] == end[:7]:
        return f"{start}–{end[8:]}"
    if len(start) == len(end) and len(start) > 4 and start[:4] == end[:4]:
        return f"{start}–{end[5:]}"
    return f"{start}–{end}"


def display(column: str, row: dict[str, Any]) -> str:
    """The text a person sees in a table cell for `column`."""
    value = row.get(column)
    if column == "value" and isinstance(value, (int, float)) and isinstance(row.get("unit"), str):
        return human_number(value, row["unit"])
    if column == "date" and row.get("end_date") and "end_date" not in row.get("_shown", ()):
        return date_span(str(value), str(row["end_date"]))
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    return _plain(value)


class _Buffer(io.StringIO):
    """Collects a rendering; its encoding, stdout's, tells rich to draw ASCII boxes where Unicode cannot be shown."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        import sys

        return getattr(sys.stdout, "encoding", None) or "utf-8"


def _console(style: Style) -> Any:
    from rich.console import Console

    return Console(
        file=_Buffer(),
        width=style.width,
        color_system="standard" if style.color else None,
        force_terminal=style.color,
        no_color=not style.color,
        highlight=False,
        markup=False,
        emoji=False,
        legacy_windows=False,
    )


def _text(value: str, style: str = "") -> Any:
    from rich.text import Text

    return Text(visible(value), style=style)


_PROSE_COLUMNS = frozenset(
    {"title", "summary", "claim", "finding", "label", "notes", "publisher", "description", "person"}
)
_CAP = {"sectors": 24, "aliases": 24, "parties": 24, "records": 32, "url": 40, "sources": 32}
# On a narrow terminal, columns go in this order until the prose has room; ids stay
# whole because people copy them into `pakaz show`.
_DROP_ORDER = ("sources", "parties", "aliases", "period", "published", "publisher", "records", "status",
               "score", "sectors", "type", "end_date", "role", "seen", "year", "country", "verification")  # fmt: skip
# Never dropped: `collection`, which says what kind of record a search result is.
_PROSE_ROOM = 26
_HEADERS = {"verification": "checked", "end_date": "until"}


def _layout(columns: list[str], rows: list[dict[str, Any]], width: int) -> tuple[list[str], bool]:
    """The columns that fit `width`, leaving each prose column room to be read, and
    whether even those leave the prose less than half its room (then: one block per record)."""

    def need(column: str) -> int:
        shown = [len(display(column, dict(row, _shown=columns))) for row in rows]
        widest = max([len(_HEADERS.get(column, column)), *shown])
        return min(widest, _CAP.get(column, widest)) + 3

    fixed = {c: need(c) for c in columns if c not in _PROSE_COLUMNS}
    droppable = [c for c in _DROP_ORDER if c in columns]

    def room(prose_each: int) -> int:
        prose = sum(1 for c in columns if c in _PROSE_COLUMNS)
        return width - sum(fixed[c] for c in columns if c in fixed) - prose_each * prose

    while droppable and room(_PROSE_ROOM) < 0:
        columns.remove(droppable.pop(0))
    return columns, room(_PROSE_ROOM // 2) < 0


def _render_stacked(columns: list[str], rows: list[dict[str, Any]], style: Style) -> str:
    """One block per record, for terminals too narrow for columns: short fields, then prose, then the id."""
    console = _console(style)
    short = [c for c in columns if c not in _PROSE_COLUMNS and c != "id"]
    for row in rows:
        shown = dict(row, _shown=columns)
        head = _text("")
        for i, column in enumerate(short):
            if i:
                head.append("  ")
            value = display(column, shown)
            head.append(visible(value), style=VERIFICATION_STYLE.get(value, "") if column == "verification" else "bold")
        if short:
            console.print(head)
        for column in columns:
            if column in _PROSE_COLUMNS:
                console.print(_text(display(column, shown)))
        if "id" in columns:
            console.print(_text(str(row.get("id", "")), "dim"))
        console.print()
    return str(console.file.getvalue())


def render_table(listing: Listing, style: Style) -> str:
    from rich import box
    from rich.table import Table

    if not listing.rows:
        return ""
    columns = list(listing.table_columns)
    if listing.fit:
        columns, too_narrow = _layout(columns, listing.rows, style.width)
        if too_narrow:
            # Blocks have room for every field the table would have shown.
            return _render_stacked(list(listing.table_columns), listing.rows, style)
    table = Table(
        box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title=listing.title or None, title_justify="left"
    )
    for column in columns:
        header = _HEADERS.get(column, column)
        numeric = column in ("value", "year", "cited_by", "events", "agreements", "score")
        # Prose columns share what is left once the short ones have their natural width.
        prose = column in _PROSE_COLUMNS
        table.add_column(
            header,
            justify="right" if numeric else "left",
            overflow="fold",
            no_wrap=column in ("id", "date", "verification", "value", "year", "country", "collection"),
            ratio=(4 if column in ("title", "claim", "label") else 3) if prose else None,
            min_width=12 if prose else None,
            max_width=_CAP.get(column),
        )
    for row in listing.rows:
        shown = dict(row, _shown=columns)
        cells = []
        for column in columns:
            cell_style = VERIFICATION_STYLE.get(row.get(column, ""), "") if column == "verification" else ""
            cells.append(_text(display(column, shown), cell_style))
        table.add_row(*cells)
    console = _console(style)
    console.print(table)
    return str(console.file.getvalue())


MACHINE: dict[Format, Callable[[Listing, bool], str]] = {
    Format.tsv: render_tsv,
    Format.csv: render_csv,
    Format.json: render_json,
    Format.jsonl: render_jsonl,
    Format.yaml: render_yaml,
    Format.markdown: render_markdown,
}


def render(listing: Listing, fmt: Format, *, header: bool = True, style: Style | None = None) -> str:
    """The whole output of a listing in `fmt` (never `auto`: the CLI resolves it first)."""
    if fmt is Format.table:
        return render_table(listing, style or Style())
    if fmt is Format.auto:
        raise ValueError("resolve Format.auto before rendering")
    return MACHINE[fmt](listing, header)
