"""Renderers with exact expected strings: every format, tables on a fixed-width console, show, cite, chart."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
import yaml

from pakaz import query, views
from pakaz.chart import bar, render_chart
from pakaz.cite import cite, sources_of
from pakaz.detail import render_detail
from pakaz.errors import UsageError
from pakaz.kb import KB
from pakaz.overview import build, render_overview
from pakaz.render import (
    MACHINE,
    Format,
    Listing,
    Style,
    date_span,
    human_number,
    render,
    render_csv,
    render_json,
    render_jsonl,
    render_markdown,
    render_table,
    render_tsv,
    render_yaml,
    select,
    visible,
)

PLAIN = Style(width=100, color=False)
TRICKY_ROW = {
    "id": "tricky",
    "text": 'tab\there, "quoted", comma, back\\slash',
    "lines": "line one\nline two\r\nline three",
    "list": ["a", "b;c"],
    "none": None,
    "number": 72356176470.59,
}
TRICKY = Listing("tricky", [TRICKY_ROW], tuple(TRICKY_ROW), tuple(TRICKY_ROW))


def table_lines(text: str) -> list[str]:
    """A rendered table as lines without the padding rich leaves at their ends."""
    return [line.rstrip() for line in text.splitlines()]


@pytest.fixture(scope="module")
def agreements(mini: KB) -> Listing:
    return views.agreements(query.agreements(mini))


# --- machine formats: exact output ----------------------------------------------------------------


def test_tsv(agreements: Listing) -> None:
    assert render_tsv(agreements) == (
        "id\tdate\ttype\ttitle\tsectors\tparties\tstatus\tverification\tsources\n"
        "defence-mou\t2016\tmou\tDefence cooperation MoU\tdefence\tPakistan;Azerbaijan\t\tarticle-only\tarticle\n"
        "lng-deal\t2023-07-24\tagreement\tLNG framework agreement\tenergy\tBuyer Ltd;Seller Co\tsigned\tconfirmed\t"
        "news-report\n"
    )


def test_tsv_without_header(agreements: Listing) -> None:
    assert render_tsv(agreements, header=False).splitlines()[0].startswith("defence-mou\t2016\t")
    assert len(render_tsv(agreements, header=False).splitlines()) == 2


def test_tsv_escapes_what_would_break_a_line() -> None:
    assert render_tsv(TRICKY) == (
        "id\ttext\tlines\tlist\tnone\tnumber\n"
        'tricky\ttab\\there, "quoted", comma, back\\\\slash\t'
        "line one\\nline two\\r\\nline three\ta;b;c\t\t72356176470.59\n"
    )


def test_csv(agreements: Listing) -> None:
    assert render_csv(agreements) == (
        "id,date,type,title,sectors,parties,status,verification,sources\r\n"
        "defence-mou,2016,mou,Defence cooperation MoU,defence,Pakistan;Azerbaijan,,article-only,article\r\n"
        "lng-deal,2023-07-24,agreement,LNG framework agreement,energy,Buyer Ltd;Seller Co,signed,confirmed,"
        "news-report\r\n"
    )


def test_csv_follows_rfc_4180_and_parses_back() -> None:
    text = render_csv(TRICKY)
    assert text.endswith("\r\n")
    assert '"tab\there, ""quoted"", comma, back\\slash"' in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [
        ["id", "text", "lines", "list", "none", "number"],
        ["tricky", TRICKY_ROW["text"], TRICKY_ROW["lines"], "a;b;c", "", "72356176470.59"],
    ]


def test_json(agreements: Listing) -> None:
    data = json.loads(render_json(agreements))
    assert isinstance(data, list) and [r["id"] for r in data] == ["defence-mou", "lng-deal"]
    assert data[0] == {
        "id": "defence-mou", "date": "2016", "title": "Defence cooperation MoU", "type": "mou",
        "sectors": ["defence"], "parties": ["Pakistan", "Azerbaijan"], "signatories": [], "place": None,
        "status": None, "ratified": None, "in_force": None, "ended": None, "documents": None,
        "summary": "Military cooperation.", "event": "energy-visit", "sources": ["article"],
        "verification": "article-only", "notes": None,
    }  # fmt: skip


def test_json_keeps_types(mini: KB) -> None:
    events = json.loads(render_json(views.events(query.timeline(mini))))
    assert [e["date"] for e in events] == ["1995", "1995-03-01", "1995-07-02", "2024-07-11", None]
    assert events[2]["sources"] == ["article", "gov-record"]
    indicators = json.loads(render_json(views.indicators(query.indicators(mini))))
    assert [i["value"] for i in indicators] == [78810000000, 72356176470.59, 338368455317.88, 1.2]
    assert [i["year"] for i in indicators] == [2022, 2023, 2023, 2019]


def test_jsonl_is_one_record_per_line(agreements: Listing) -> None:
    lines = render_jsonl(agreements).splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["defence-mou", "lng-deal"]
    assert json.loads(lines[0]) == json.loads(render_json(agreements))[0]


def test_jsonl_survives_newlines_in_values() -> None:
    lines = render_jsonl(TRICKY).splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == TRICKY_ROW


def test_yaml_parses_back_with_dates_as_strings(agreements: Listing) -> None:
    text = render_yaml(agreements)
    assert "date: '2016'" in text
    assert yaml.safe_load(text) == json.loads(render_json(agreements))


def test_markdown(agreements: Listing) -> None:
    assert render_markdown(agreements) == (
        "| id | date | type | title | sectors | parties | status | verification | sources |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        "| defence-mou | 2016 | mou | Defence cooperation MoU | defence | Pakistan;Azerbaijan |  | article-only "
        "| article |\n"
        "| lng-deal | 2023-07-24 | agreement | LNG framework agreement | energy | Buyer Ltd;Seller Co | signed "
        "| confirmed | news-report |\n"
    )


def test_markdown_escapes_pipes_and_newlines() -> None:
    listing = Listing("x", [{"a": "x | y", "b": "one\ntwo"}], ("a", "b"), ("a", "b"))
    assert render_markdown(listing, header=False) == "| x \\| y | one<br>two |\n"


@pytest.mark.parametrize("fmt", [f for f in Format if f not in (Format.auto, Format.table)])
def test_every_machine_format_has_a_renderer(fmt: Format) -> None:
    assert fmt in MACHINE


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (Format.table, ""),
        (Format.tsv, "id\tdate\tend_date\ttype\ttitle\tsectors\tverification\tsources\n"),
        (Format.csv, "id,date,end_date,type,title,sectors,verification,sources\r\n"),
        (Format.json, "[]\n"),
        (Format.jsonl, ""),
        (Format.yaml, "[]\n"),
        (
            Format.markdown,
            "| id | date | end_date | type | title | sectors | verification | sources |\n"
            "|---|---|---|---|---|---|---|---|\n",
        ),
    ],
)
def test_empty_listing(fmt: Format, expected: str) -> None:
    # The header alone: a reader learns the columns and zero rows instead of failing on no data.
    empty = views.events([])
    assert render(empty, fmt, style=PLAIN) == expected


@pytest.mark.parametrize("fmt", [Format.tsv, Format.csv, Format.markdown])
def test_empty_listing_without_header_is_empty(fmt: Format) -> None:
    assert render(views.events([]), fmt, header=False) == ""


def test_empty_listing_header_follows_fields() -> None:
    assert render(select(views.events([]), ["title", "id"]), Format.tsv) == "title\tid\n"


QUOTED = Listing(
    "quotes",
    [
        {"id": "a", "title": '"Quoted" headline, then more'},
        {"id": "b", "title": '"unbalanced'},
        {"id": "c", "title": '"'},
    ],
    ("id", "title"),
    ("id", "title"),
)


def test_tsv_cells_beginning_with_a_quote_read_back_with_quoting_off() -> None:
    text = render(QUOTED, Format.tsv)
    assert text == 'id\ttitle\na\t"Quoted" headline, then more\nb\t"unbalanced\nc\t"\n'
    # As the README says to read it:
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows == QUOTED.rows
    # What the README warns about: the default reader takes the quotes for quoting.
    assert list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t")) != QUOTED.rows


def test_tsv_reads_back_with_pandas_as_the_readme_says() -> None:
    pd = pytest.importorskip("pandas", reason="pandas is not installed")
    frame = pd.read_csv(
        io.StringIO(render(QUOTED, Format.tsv)), sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False
    )
    assert frame.to_dict("records") == QUOTED.rows
    empty = pd.read_csv(io.StringIO(render(views.events([]), Format.tsv)), sep="\t", quoting=csv.QUOTE_NONE)
    assert (len(empty), list(empty.columns)) == (0, list(views.events([]).columns))
    empty_csv = pd.read_csv(io.StringIO(render(views.events([]), Format.csv)))
    assert (len(empty_csv), list(empty_csv.columns)) == (0, list(views.events([]).columns))


def test_auto_must_be_resolved_first(agreements: Listing) -> None:
    with pytest.raises(ValueError):
        render(agreements, Format.auto)


# --- select (--fields) ------------------------------------------------------------------------------


def test_select_picks_and_orders_fields_in_every_format(agreements: Listing) -> None:
    picked = select(agreements, ["title", "id", "summary"])
    assert render_tsv(picked) == (
        "title\tid\tsummary\n"
        "Defence cooperation MoU\tdefence-mou\tMilitary cooperation.\n"
        "LNG framework agreement\tlng-deal\tOne cargo a month.\n"
    )
    assert list(json.loads(render_json(picked))[0]) == ["title", "id", "summary"]
    assert list(yaml.safe_load(render_yaml(picked))[0]) == ["title", "id", "summary"]
    assert table_lines(render_table(picked, PLAIN))[0].split() == ["title", "id", "summary"]


def test_select_unknown_field_suggests(agreements: Listing) -> None:
    with pytest.raises(UsageError) as info:
        select(agreements, ["id", "titel"])
    assert str(info.value).startswith("Invalid value for '--fields': unknown field 'titel' (did you mean 'title'?).")
    assert info.value.exit_code == 2


def test_select_checks_fields_even_when_nothing_matched() -> None:
    empty = views.events([])
    assert select(empty, ["summary"]).rows == []
    with pytest.raises(UsageError):
        select(empty, ["bogus"])


# --- tables ---------------------------------------------------------------------------------------------


WIDE = Style(width=120, color=False)


def test_table_exact(agreements: Listing) -> None:
    assert table_lines(render_table(agreements, WIDE)) == [
        "date        type       title                    sectors  verification  id",
        "──────────────────────────────────────────────────────────────────────────────────",
        "2016        mou        Defence cooperation MoU  defence  article-only  defence-mou",
        "2023-07-24  agreement  LNG framework agreement  energy   confirmed     lng-deal",
    ]


def test_table_of_events_shows_date_spans(mini: KB) -> None:
    lines = table_lines(render_table(views.events(query.timeline(mini)), WIDE))
    assert lines[0].split() == ["date", "title", "type", "sectors", "verification", "id"]
    assert (
        lines[5]
        == "2024-07-11–12  Energy visit                visit      energy, diplomacy  corrected     energy-visit"
    )
    assert (
        lines[6]
        == "               An undated position         statement  defence            article-only  undated-event"
    )


def test_table_of_indicators_shows_human_numbers(mini: KB) -> None:
    lines = table_lines(render_table(views.indicators(query.indicators(mini)), PLAIN))
    assert lines[4] == "GDP (current US$)  PAK      2023          $338.37 bn  corrected     gdp-pak-2023"
    assert lines[5] == "ICT share of GDP   PAK      2019               1.2 %  confirmed     ict-share-pak-2019"


def test_table_shows_values_in_their_unit_whatever_the_fields_picked(mini: KB) -> None:
    picked = select(views.indicators(query.indicators(mini)), ["id", "value"])
    lines = table_lines(render_table(picked, PLAIN))
    assert lines[2:] == [
        "gdp-aze-2022         $78.81 bn",
        "gdp-aze-2023         $72.36 bn",
        "gdp-pak-2023        $338.37 bn",
        "ict-share-pak-2019       1.2 %",
    ]
    assert [row["value"] for row in picked.rows][-1] == 1.2  # the machine formats keep the number


def test_fields_named_as_a_table_header_says_which_field_is_meant(mini: KB) -> None:
    with pytest.raises(UsageError, match="unknown field 'checked' \\(did you mean 'verification'\\?\\)"):
        select(views.events(query.timeline(mini)), ["date", "checked"])


def test_table_keeps_every_field_picked_even_when_narrow(agreements: Listing) -> None:
    picked = select(agreements, ["id", "sources", "parties", "sectors", "status"])
    header = table_lines(render_table(picked, Style(width=60)))[0]
    assert header.split() == ["id", "sources", "parties", "sectors", "status"]


def test_narrow_table_with_long_ids_keeps_titles_and_whole_dates(mini: KB) -> None:
    # The bundled KB has ids of 40 characters and more; a 60-column terminal must still show each title.
    events = [e._replace(id=f"{e.id}-with-a-long-descriptive-suffix") for e in query.timeline(mini)]
    out = render_table(views.events(events), Style(width=60))
    words = set(out.split())
    for event in events:
        assert set(event.title.split()) <= words, event.title
        assert event.date is None or event.date in out
        assert event.id in out


def test_search_table_always_shows_the_collection(mini: KB) -> None:
    hits = [
        h._replace(record=h.record._replace(id=f"{h.record.id}-with-a-long-suffix"))
        for h in query.search(mini, "gdp visit lng")
    ]
    lines = table_lines(render_table(views.hits(hits), Style(width=80)))
    assert lines[0].split()[:2] == ["kind", "date"]
    assert lines[2].split()[0] in ("event", "agreement", "indicator", "envoy", "erratum", "source", "sector")


def test_table_prints_kb_text_as_written() -> None:
    text = "[citation needed] [bold]not bold[/bold] [/] a[b]c :smile:"
    listing = Listing("x", [{"t": text}], ("t",), ("t",))
    assert table_lines(render_table(listing, PLAIN)) == ["t", "─" * len(text), text]


def test_table_neutralises_control_characters() -> None:
    listing = Listing("x", [{"t": "red \x1b[31mALERT\x1b[0m \u202eevil"}], ("t",), ("t",))
    out = render_table(listing, PLAIN)
    assert "\x1b" not in out and "\u202e" not in out
    assert "red \\x1b[31mALERT\\x1b[0m \\u202eevil" in out


def test_table_colour_only_when_asked(agreements: Listing) -> None:
    assert "\x1b[" not in render_table(agreements, Style(width=100, color=False))
    coloured = render_table(agreements, Style(width=100, color=True))
    assert "\x1b[33marticle-only\x1b[0m" in coloured


# --- small display helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (72356176470.59, "USD", "$72.36 bn"),
        (338368455317.88, "USD", "$338.37 bn"),
        (-2500000, "USD", "$-2.5 m"),
        (950, "USD", "$950"),
        (1.2, "percent", "1.2 %"),
        (50000, "people", "50,000"),
        (3, "count", "3"),
    ],
)
def test_human_number(value: float, unit: str, shown: str) -> None:
    assert human_number(value, unit) == shown


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        ("2024-07-11", "2024-07-12", "2024-07-11–12"),
        ("2025-01-23", "2025-02-01", "2025-01-23–02-01"),
        ("2024-12-30", "2025-01-02", "2024-12-30–2025-01-02"),
        ("1995", "1996", "1995–1996"),
    ],
)
def test_date_span(start: str, end: str, shown: str) -> None:
    assert date_span(start, end) == shown


def test_visible() -> None:
    assert visible("plain Türkiye text") == "plain Türkiye text"
    assert visible("bell\x07 esc\x1b del\x7f rlo\u202e") == "bell\\x07 esc\\x1b del\\x7f rlo\\u202e"


# --- show, cite, chart, overview ------------------------------------------------------------------------


def test_show_table(mini: KB) -> None:
    out = render_detail(mini, query.find(mini, "july-event"), Format.table, Style(width=100))
    assert table_lines(out) == [
        "event july-event",
        "date          1995-07-02",
        "type          meeting",
        "title         A meeting in July 1995",
        "summary       Text with [citation needed] brackets.",
        "sectors       diplomacy, trade",
        "actors        Someone, Someone Else",
        "place         Baku, Azerbaijan",
        "sources       article, gov-record",
        "verification  confirmed",
        "",
        "Sources:",
        "  1. Unknown. “The article”. [article]",
        "  2. Ministry of Examples. “An official record”. 2024-07-12. [gov-record]",
        "     https://example.org/record",
    ]


def test_show_never_breaks_a_url(mini: KB) -> None:
    # A URL broken over lines can no longer be clicked or copied: it has a line of its own, whole,
    # even when wider than the terminal (which then wraps it softly, as one line).
    long_url = "https://example.org/" + "a-very-long-path-segment/" * 6
    source = mini.sources[1]._replace(url=long_url)
    kb = mini.replace(sources=(mini.sources[0], source, *mini.sources[2:]))
    for record_id in ("july-event", source.id):
        lines = table_lines(render_detail(kb, query.find(kb, record_id), Format.table, Style(width=60)))
        assert any(line.strip().endswith(long_url) for line in lines), record_id
        assert not any(line.strip().startswith("a-very") for line in lines)


def test_show_table_wraps_long_citations_under_their_text(mini: KB) -> None:
    out = render_detail(mini, query.find(mini, "july-event"), Format.table, Style(width=50))
    lines = table_lines(out)
    start = lines.index("Sources:")
    assert lines[start + 1].startswith("  1. ")
    continuation = [line for line in lines[start + 1 :] if line and not line.lstrip()[:2].rstrip(".").isdigit()]
    assert continuation and all(line.startswith("     ") for line in continuation)


def test_show_source_lists_what_cites_it(mini: KB) -> None:
    out = render_detail(mini, query.find(mini, "news-report"), Format.table, Style(width=100))
    assert table_lines(out)[-4:] == [
        "Cited by 3 records:",
        "  events      energy-visit  Energy visit",
        "  agreements  lng-deal  LNG framework agreement",
        "  envoys      envoy-charge  A Chargé",
    ]


def test_show_json_resolves_sources(mini: KB) -> None:
    data = json.loads(render_detail(mini, query.find(mini, "gdp-pak-2023"), Format.json, PLAIN))
    assert data["collection"] == "indicators"
    assert data["value"] == 338368455317.88
    assert data["sources"] == ["gov-record"]
    assert [s["url"] for s in data["resolved_sources"]] == ["https://example.org/record"]
    source = json.loads(render_detail(mini, query.find(mini, "article"), Format.json, PLAIN))
    assert [c["id"] for c in source["cited_by"]] == [
        "year-event", "july-event", "undated-event", "defence-mou", "erratum-gdp-unit",
    ]  # fmt: skip


def _cite(kb: KB, record_id: str, style: str) -> str:
    return cite(sources_of(kb, [query.find(kb, record_id)]), style)


def test_cite_text(mini: KB) -> None:
    assert _cite(mini, "july-event", "text") == (
        "Unknown. “The article”.\nMinistry of Examples. “An official record”. 2024-07-12. https://example.org/record.\n"
    )


def test_cite_csl_json(mini: KB) -> None:
    items = json.loads(_cite(mini, "july-event", "csl-json"))
    assert [item["id"] for item in items] == ["article", "gov-record"]
    record = items[1]
    assert record == {
        "id": "gov-record",
        "type": "webpage",
        "title": "An official record",
        "container-title": "Ministry of Examples",
        "issued": {"date-parts": [[2024, 7, 12]]},
        "URL": "https://example.org/record",
    }
    assert "URL" not in items[0] and "issued" not in items[0]  # the article has neither


def test_cite_csl_json_partial_date(mini: KB) -> None:
    [item] = json.loads(_cite(mini, "news-report", "csl-json"))
    assert item["issued"] == {"date-parts": [[2020]]}
    assert item["type"] == "article-newspaper"
    assert item["container-title"] == "Example News" and "publisher" not in item


def test_cite_bibtex(mini: KB) -> None:
    assert _cite(mini, "gov-record", "bibtex") == (
        "@online{gov-record,\n"
        "  title = {{An official record}},\n"
        "  organization = {Ministry of Examples},\n"
        "  date = {2024-07-12},\n"
        "  year = {2024},\n"
        "  month = jul,\n"
        "  key = {Ministry of Examples},\n"
        "  url = {https://example.org/record}\n"
        "}\n"
    )


def bibtex_entries(text: str) -> dict[str, tuple[str, dict[str, str]]]:
    """A small BibTeX reader: entry key -> (entry type, {field: value without the outer braces})."""
    entries: dict[str, tuple[str, dict[str, str]]] = {}
    for chunk in text.split("\n@")[0:]:
        kind, _, body = chunk.lstrip("@").partition("{")
        key, _, rest = body.partition(",\n")
        fields: dict[str, str] = {}
        for line in rest.strip().removesuffix("}").strip().splitlines():
            name, _, value = line.strip().rstrip(",").partition(" = ")
            if name == "month":
                assert value.isalpha(), line  # a macro, not a braced value
            else:
                assert value.startswith("{") and value.endswith("}"), line
                value = value[1:-1]
            fields[name] = value
        entries[key] = (kind, fields)
    return entries


def test_cite_bibtex_one_entry_per_source_with_escaped_text(mini: KB) -> None:
    entries = bibtex_entries(_cite(mini, "july-event", "bibtex"))
    assert list(entries) == ["article", "gov-record"]
    assert entries["article"] == (
        "article",
        {"title": "{The article}", "journal": "Unknown", "entrysubtype": "magazine", "key": "Unknown"},
    )
    assert entries["gov-record"][1]["url"] == "https://example.org/record"
    source = mini.sources[0]._replace(title="R&D 100% of $5 {x}", publisher="A_B")
    from pakaz.cite import bibtex

    _, fields = bibtex_entries(bibtex(source))["article"]
    assert fields["title"] == r"{R\&D 100\% of \$5 \textbraceleft{}x\textbraceright{}}"
    assert fields["journal"] == r"A\_B"


def test_bar() -> None:
    assert bar(10, 10, 8) == "████████"
    assert bar(5, 10, 8) == "████"
    assert bar(1, 10, 8) == "▊"
    assert bar(0, 10, 8) == ""
    assert bar(-3, 10, 8) == ""


def test_chart(mini: KB) -> None:
    out = render_chart(query.indicators(mini), Style(width=60))
    assert table_lines(out) == [
        "GDP (current US$) (gdp)",
        "AZE 2022 ██████▌                       $78.81 bn",
        "AZE 2023 ██████                        $72.36 bn",
        "PAK 2023 ▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒ $338.37 bn  corrected",
        "▒ disputed or corrected   ░ part of a year",
        "",
        "ICT share of GDP (ict-share-of-gdp) (bars to 100 %)",
        "PAK 2019 ▌                                            1.2 %",
        "",
    ]
    assert max(len(line) for line in out.splitlines()) <= 60


def test_chart_draws_percentages_against_100_and_marks_part_years(mini: KB) -> None:
    gdp = next(i for i in query.indicators(mini) if i.id == "gdp-aze-2023")
    share = gdp._replace(id="share", name="share", unit="percent", value=50.0, verification="confirmed")
    part = gdp._replace(id="part", name="share", unit="percent", value=25.0, year=2024, period="January-June 2024")
    disputed = gdp._replace(id="doubt", name="share", unit="percent", value=10.0, year=2025, verification="disputed")
    lines = table_lines(render_chart([share, part, disputed], Style(width=70)))
    bars = [line.split()[2] for line in lines[1:4]]
    assert lines[0].endswith("(bars to 100 %)")
    # 70 columns less the label, the value and the note leave bars 36 cells long: 50 % is half of them
    assert bars[0] == "█" * 18
    assert set(bars[1]) == {"░"} and lines[2].endswith("January-June 2024")
    assert set(bars[2]) == {"▒"} and lines[3].endswith("disputed")
    assert lines[4] == "▒ disputed or corrected   ░ part of a year"


def test_chart_of_nothing_is_empty() -> None:
    assert render_chart([], Style()) == ""


def test_overview_data(mini: KB) -> None:
    data: dict[str, Any] = build(mini)
    assert data["kb"] == {"version": "0.9.0", "date": "2026-01-02", "title": "Fixture KB for tests"}
    assert [e["id"] for e in data["embassies"]] == ["march-event"]
    assert [e["id"] for e in data["latest_events"]] == ["energy-visit", "july-event", "march-event", "year-event"]
    assert data["agreements_by_sector"] == [
        {"sector": "energy", "label": "Energy", "agreements": 1},
        {"sector": "defence", "label": "Defence", "agreements": 1},
    ]
    assert [i["id"] for i in data["indicators"]] == ["gdp-aze-2023", "gdp-pak-2023"]
    assert data["verification"] == {"confirmed": 8, "reported": 1, "article-only": 3, "corrected": 2, "disputed": 0}
    assert data["errata"] == 1
    assert json.loads(render_overview(data, Format.json, PLAIN)) == data
    assert yaml.safe_load(render_overview(data, Format.yaml, PLAIN)) == data


def test_overview_table(mini: KB) -> None:
    lines = table_lines(render_overview(build(mini), Format.table, Style(width=100)))
    assert lines[:2] == ["Pakistan–Azerbaijan relations", "  Fixture KB for tests, version 0.9.0 (2026-01-02)"]
    # One way of writing dates everywhere, padded so that the titles line up
    assert "  2024-07-11–12  Energy visit" in lines
    assert "  1995           A visit in 1995 to Türkiye" in lines
    assert "  1995-03-01     An embassy opens" in lines
    assert "  GDP (current US$), PAK 2023: $338.37 bn" in lines
    assert "  14 facts in all; 1 errata of the source article" in lines
    assert "Latest events  (pakaz timeline -r)" in lines
    assert "\x1b" not in "".join(lines)


def test_overview_markdown_writes_dates_as_the_tables_do(mini: KB) -> None:
    out = render_overview(build(mini), Format.markdown, PLAIN)
    assert "- 2024-07-11–12  Energy visit\n" in out
    assert " – " not in out
