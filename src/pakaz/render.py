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

from pakaz.dates import date_span
from pakaz.errors import TERMINAL_UNSAFE, UsageError
from pakaz.model import JSON_UNSAFE, json_safe, plain, suggest


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
    # The table's columns in order of importance to a reader: on a narrow terminal the last go first.
    priority: tuple[str, ...] = ()
    # What a table shows besides `rows` (the unit of a value, why a search hit matched), row by row;
    # never in a machine format.
    extra: tuple[dict[str, Any], ...] = ()

    def shown_rows(self) -> list[dict[str, Any]]:
        if not self.extra:
            return self.rows
        return [{**extra, **row} for row, extra in zip(self.rows, self.extra)]


class Style(NamedTuple):
    """How a table is drawn: terminal width and whether to colour."""

    width: int = 100
    color: bool = False


to_row = plain  # a record as the plain data every format prints


def select(listing: Listing, fields: Sequence[str] | None) -> Listing:
    """Restrict and order the columns (and machine keys) to `fields`; unknown ones are a usage error."""
    if not fields:
        return listing
    known = list(listing.fields) or (list(listing.rows[0]) if listing.rows else list(listing.columns))
    known += [c for c in listing.columns if c not in known]
    for field in fields:
        if field not in known:
            alias = FIELD_ALIASES.get(field.lower())
            hint = f" (did you mean '{alias}'?)" if alias in known else suggest(field, known)
            raise UsageError(f"Invalid value for '--fields': unknown field '{field}'{hint}. Valid: {', '.join(known)}")
    rows = [{f: row.get(f) for f in fields} for row in listing.rows]
    # The table still reads the whole record: a value is shown in its unit even when `unit` is not picked.
    extra = tuple({**extra, **row} for row, extra in zip(listing.rows, listing.extra or [{}] * len(listing.rows)))
    return listing._replace(
        rows=rows, columns=tuple(fields), table_columns=tuple(fields), fit=False, priority=(), extra=extra
    )


# Words people use for a field, from tables and from other tools.
FIELD_ALIASES = {"checked": "verification", "status": "verification", "until": "end_date", "name": "label"}


# --- machine formats ------------------------------------------------------------------

_TSV_SPECIAL = re.compile(r"[\\\t\n\r]")
_TSV_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_CONTROL = re.compile(rf"[\x00-\x08\x0b-\x1f{TERMINAL_UNSAFE}]")
# CSV quotes tab, CR and LF (they round-trip); every other control is shown as in tsv.
_CSV_CONTROL = re.compile(rf"[\x00-\x08\x0b\x0c\x0e-\x1f{TERMINAL_UNSAFE}]")


def yaml_text(data: Any) -> str:
    """`data` as YAML; all-ASCII with escapes if its text holds bidi marks, which would reorder lines."""
    import yaml

    text = str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000))
    if JSON_UNSAFE.search(text):
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
    if text.isprintable() and "\\" not in text:  # no tab, newline, control or bidi mark: the common case
        return text
    text = _TSV_SPECIAL.sub(lambda m: _TSV_ESCAPES[m.group()], text)
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


class Column(NamedTuple):
    """How a table column is drawn. `least` decides whether it is shown at all, so that the
    columns a command shows depend on the terminal's width alone, never on the content."""

    least: int  # the narrowest it is drawn
    most: int  # the widest it grows to
    prose: bool = False  # shares the room left once the short columns have theirs
    right: bool = False  # numbers are right-aligned
    cut: bool = False  # one line, shortened with … (ids, URLs): a wrapped id cannot be copied
    many: bool = False  # a list: grows after the prose has room


COLUMNS: dict[str, Column] = {
    "id": Column(22, 60, cut=True),
    "url": Column(24, 60, cut=True),
    "date": Column(13, 16),
    "published": Column(10, 10),
    "start": Column(10, 10),
    "end": Column(10, 10),
    "seen": Column(10, 10),
    "end_date": Column(10, 10),
    "year": Column(4, 4, right=True),
    "period": Column(9, 20, many=True),
    "value": Column(10, 12, right=True),
    "unit": Column(7, 8),
    "country": Column(7, 7),
    "verification": Column(12, 12),
    "type": Column(11, 12),
    "kind": Column(10, 10),
    "status": Column(13, 13),
    "post": Column(10, 10),
    "role": Column(10, 17, many=True),
    "match": Column(20, 70, prose=True),  # a search hit's words in context
    "cited_by": Column(8, 8, right=True),
    "events": Column(6, 6, right=True),
    "agreements": Column(10, 10, right=True),
    "score": Column(5, 5, right=True),
    "sectors": Column(10, 24, many=True),
    "parties": Column(10, 24, many=True),
    "aliases": Column(12, 30, many=True),
    "records": Column(14, 32, many=True),
    "sources": Column(14, 32, many=True),
    "title": Column(28, 90, prose=True),
    "claim": Column(20, 70, prose=True),
    "finding": Column(20, 70, prose=True),
    "summary": Column(20, 90, prose=True),
    "notes": Column(20, 90, prose=True),
    "description": Column(20, 70, prose=True),
    "label": Column(14, 40, prose=True),
    "person": Column(12, 30, prose=True),
    "publisher": Column(14, 28, prose=True),
}
_OTHER = Column(8, 30, prose=True)  # a field picked with --fields that no listing shows by default
GAP = 2  # spaces between columns
CARDS_BELOW = 70  # narrower than this, one block per record reads better than columns
_COMFORTABLE = 48  # prose grows to this before the id may grow to its full width
_LONG_WORD = 18
_DATE_LABELS = {"start": "start", "end": "end", "seen": "seen", "end_date": "until", "published": "published"}


def column_spec(name: str) -> Column:
    return COLUMNS.get(name, _OTHER)


def choose_columns(priority: Sequence[str], width: int) -> list[str]:
    """The columns shown at `width`: each in order of importance, while its narrowest fits."""
    chosen: list[str] = []
    used = -GAP
    for name in priority:
        need = column_spec(name).least + GAP
        if used + need <= width:
            chosen.append(name)
            used += need
    return chosen


def column_widths(
    columns: Sequence[str], natural: dict[str, int], width: int, longest_word: dict[str, int] | None = None
) -> dict[str, int]:
    """Widths that fill at most `width`: every column starts at its narrowest, then short
    columns grow to their content, prose to a comfortable width, lists and ids to theirs,
    and prose to its own."""
    specs = {c: column_spec(c) for c in columns}
    # A short column narrower than its room gives the rest to the prose: which columns are
    # shown never depends on the content, but how wide they are may.
    widths = {c: min(specs[c].least, max(natural.get(c, 0), 1)) for c in columns}
    spare = width - sum(widths.values()) - GAP * (len(columns) - 1)

    def grow(names: list[str], target: Callable[[str], int]) -> None:
        nonlocal spare
        while spare > 0:
            wanting = [c for c in names if widths[c] < target(c)]
            if not wanting:
                return
            share = max(1, spare // len(wanting))
            for c in wanting:
                step = min(share, target(c) - widths[c], spare)
                widths[c] += step
                spare -= step

    def goal(c: str) -> int:
        return min(natural.get(c, 0), specs[c].most)

    prose = [c for c in columns if specs[c].prose]
    words = longest_word or {}
    grow([c for c in columns if not (specs[c].prose or specs[c].cut or specs[c].many)], goal)
    wrapped = [c for c in columns if specs[c].prose or specs[c].many]
    # Then room for each word whole, where there is any (a word longer than _LONG_WORD may still fold).
    grow(wrapped, lambda c: min(words.get(c, 0), specs[c].most, _LONG_WORD))
    # A comfortable width in proportion to what the column can hold: a title before its publisher.
    grow(prose, lambda c: min(goal(c), _COMFORTABLE, specs[c].most * 3 // 5))
    grow([c for c in columns if specs[c].many], goal)
    grow([c for c in columns if specs[c].cut], goal)
    grow(prose, goal)
    grow(list(columns), lambda c: natural.get(c, 0))  # a wide terminal: all of it
    return widths


# A word may break after a hyphen, dash or slash between letters (`Azerbaijan-` / `Türkiye`),
# never inside a number or date (`2024-07-13`).
_BREAK_AFTER = re.compile(r"(?<=[^\W\d_][\-–/])(?=[^\W\d_])")


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells, broken at spaces or after hyphens and dashes;
    a word wider than the column is the one thing cut inside."""
    from rich.cells import cell_len

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            pieces = _BREAK_AFTER.split(word)
            for i, piece in enumerate(pieces):
                joint = " " if i == 0 and line else ""
                if cell_len(line + joint + piece) <= width:
                    line += joint + piece
                    continue
                if line:
                    lines.append(line)
                    line = ""
                while cell_len(piece) > width:  # no space or hyphen to break at
                    cut = width
                    while cut > 1 and cell_len(piece[:cut]) > width:
                        cut -= 1
                    lines.append(piece[:cut])
                    piece = piece[cut:]
                line = piece
        lines.append(line)
    return lines or [""]


def shorten(text: str, width: int) -> str:
    """`text` in one line of at most `width` cells, ending in … when cut."""
    from rich.cells import cell_len

    text = " ".join(text.split())
    if cell_len(text) <= width:
        return text
    while text and cell_len(text) > width - 1:
        text = text[:-1]
    return text + "…"


def _pad(text: str, width: int, right: bool) -> str:
    from rich.cells import cell_len

    room = max(0, width - cell_len(text))
    return " " * room + text if right else text + " " * room


def _cell_style(column: str, value: str) -> str:
    return VERIFICATION_STYLE.get(value, "") if column == "verification" else ""


# Where a highlighted word (a search hit's matching word) begins and ends in a cell's text.
HIGHLIGHT, HIGHLIGHT_END = "\ue000", "\ue001"
_HIGHLIGHTED = re.compile(f"{HIGHLIGHT}(.*?){HIGHLIGHT_END}")


def _unmark(text: str) -> tuple[str, frozenset[str]]:
    """A cell's text without its highlight marks, and the words they marked."""
    if HIGHLIGHT not in text:
        return text, frozenset()
    return text.replace(HIGHLIGHT, "").replace(HIGHLIGHT_END, ""), frozenset(_HIGHLIGHTED.findall(text))


def _marked(piece: str, marked: frozenset[str], style: str = "") -> Any:
    """A line of a cell, its highlighted words drawn in bold yellow (plain when colour is off)."""
    text = _text("", style)
    for part in re.split(r"(\s+)", piece):
        text.append(part, style="bold yellow" if part and part.strip(".,;:()'\"…") in marked else None)
    return text


def _render_cards(listing: Listing, rows: list[dict[str, Any]], style: Style) -> str:
    """One block per record, for terminals too narrow for columns: short fields (dates
    labelled), then prose, then the id."""
    console = _console(style)
    columns = list(listing.table_columns)
    short = [c for c in columns if not column_spec(c).prose and c != "id"]
    for row in rows:
        shown = dict(row, _shown=columns)
        parts = []
        for column in short:
            value = display(column, shown)
            if not value:
                continue
            label = _DATE_LABELS.get(column)
            parts.append((f"{label} {value}" if label else value, _cell_style(column, value) or "bold"))
        head_lines: list[list[tuple[str, str]]] = [[]]
        used = 0
        for text, part_style in parts:  # short fields flow over lines, never cut
            if head_lines[-1] and used + 2 + len(text) > style.width:
                head_lines.append([])
                used = 0
            head_lines[-1].append((text, part_style))
            used += len(text) + (2 if used else 0)
        for line_parts in head_lines:
            if len(line_parts) == 1 and len(line_parts[0][0]) > style.width:  # one field wider than the screen
                for piece in wrap(visible(line_parts[0][0]), style.width):
                    console.print(_text(piece, line_parts[0][1]), soft_wrap=True)
            elif line_parts:
                line = _text("")
                for i, (text, part_style) in enumerate(line_parts):
                    if i:
                        line.append("  ")
                    line.append(visible(text), style=part_style)
                console.print(line, soft_wrap=True)
        for column in columns:
            if column_spec(column).prose:
                prose, marked = _unmark(visible(display(column, shown)))
                for piece in wrap(prose, style.width):
                    console.print(_marked(piece, marked), soft_wrap=True)
        if "id" in columns:
            for piece in wrap(visible(str(row.get("id", ""))), style.width):  # whole where it fits
                console.print(_text(piece, "dim"), soft_wrap=True)
        console.print()
    return str(console.file.getvalue())


def render_table(listing: Listing, style: Style) -> str:
    """Columns in order of importance that fit the terminal, prose wrapped at spaces and hyphens."""
    from rich.cells import cell_len

    rows = listing.shown_rows()
    if not rows:
        return ""
    if listing.fit:
        if style.width < CARDS_BELOW:
            return _render_cards(listing, rows, style)
        order = listing.priority or listing.table_columns
        kept = set(choose_columns(order, style.width))
        columns = [c for c in listing.table_columns if c in kept]
    else:
        columns = list(listing.table_columns)
    cells = [{c: visible(display(c, dict(row, _shown=columns))) for c in columns} for row in rows]
    marks = []
    for cell in cells:
        marked: dict[str, frozenset[str]] = {}
        for c in columns:
            cell[c], marked[c] = _unmark(cell[c])
        marks.append(marked)
    natural = {c: max([cell_len(c), *(max(map(cell_len, cell[c].split("\n"))) for cell in cells)]) for c in columns}
    words = {
        c: max(
            (cell_len(piece) for cell in cells for piece in _BREAK_AFTER.split(cell[c]) for piece in piece.split()),
            default=0,
        )
        for c in columns
        if column_spec(c).prose or column_spec(c).many
    }
    if listing.fit:
        widths = column_widths(columns, natural, style.width, words)
    else:  # --fields: the columns asked for, each as wide as it needs, prose sharing what is left
        room = max(style.width, sum(column_spec(c).least + GAP for c in columns))
        widths = column_widths(columns, natural, room, words)
    console = _console(style)
    header = _text("")
    for i, column in enumerate(columns):
        spec = column_spec(column)
        header.append(
            _pad(shorten(column, widths[column]), widths[column], spec.right)
            + ("" if i == len(columns) - 1 else " " * GAP),
            style="bold",
        )
    header.rstrip()
    console.print(header, soft_wrap=True)
    rule = "─" if console.encoding.lower().startswith("utf") else "-"
    console.print(_text(rule * (sum(widths.values()) + GAP * (len(columns) - 1))), soft_wrap=True)
    for cell, marked in zip(cells, marks):
        wrapped = {
            c: [shorten(cell[c], widths[c])] if column_spec(c).cut else wrap(cell[c], widths[c]) for c in columns
        }
        for n in range(max(len(lines) for lines in wrapped.values())):
            line = _text("")
            for i, column in enumerate(columns):
                spec = column_spec(column)
                piece = wrapped[column][n] if n < len(wrapped[column]) else ""
                if i:
                    line.append(" " * GAP)
                padded = _pad(piece, widths[column], spec.right)
                if marked[column]:
                    line.append_text(_marked(padded, marked[column]))
                else:
                    line.append(padded, style=_cell_style(column, cell[column]))
            line.rstrip()
            console.print(line, soft_wrap=True)
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
