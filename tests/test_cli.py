"""Commands through CliRunner: the output contract of every listing, exit codes, messages, help, completion."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.main import get_command
from typer.testing import Result

from conftest import FIXTURES, MINI
from pakaz import cli as pakaz_cli

Cli = Callable[..., Result]
Runner = Callable[..., "subprocess.CompletedProcess[str]"]

# Every listing command, with arguments that give rows on the mini KB.
LISTINGS: dict[str, tuple[str, ...]] = {
    "timeline": ("timeline",),
    "agreements": ("agreements",),
    "indicators": ("indicators",),
    "envoys": ("envoys",),
    "search": ("search", "visit"),
    "sources": ("sources",),
    "sectors": ("sectors",),
    "errata": ("errata",),
}
# The same commands with a filter that matches nothing (None: the command has no filter).
EMPTY: dict[str, tuple[str, ...] | None] = {
    "timeline": ("timeline", "--since", "2090"),
    "agreements": ("agreements", "--since", "2090"),
    "indicators": ("indicators", "--year", "2090"),
    "envoys": ("envoys", "--as-of", "1990"),
    "search": ("search", "nothing-matches-this"),
    "sources": None,
    "sectors": None,
    "errata": None,
}
FORMATS = ("table", "tsv", "csv", "json", "jsonl", "yaml", "markdown")
# Two fields every listing has, in an order that is not the default one.
PICK = {
    "timeline": ("title", "id"),
    "agreements": ("title", "id"),
    "indicators": ("value", "id"),
    "envoys": ("person", "id"),
    "search": ("title", "collection"),
    "sources": ("title", "id"),
    "sectors": ("label", "id"),
    "errata": ("claim", "id"),
}
TABLE = {"COLUMNS": "100"}


def parse(fmt: str, text: str, header: bool = True) -> list[dict[str, Any]]:
    """Read a machine format back into rows with a real parser."""
    if fmt == "json":
        data = json.loads(text)
        assert isinstance(data, list)
        return data
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines()]
    if fmt == "yaml":
        data = yaml.safe_load(text)
        assert isinstance(data, list)
        return data
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    if fmt == "tsv":
        lines = text.splitlines()
        names = lines[0].split("\t")
        assert all(len(line.split("\t")) == len(names) for line in lines)
        return [dict(zip(names, line.split("\t"), strict=True)) for line in lines[1:]]
    raise AssertionError(fmt)


# --- every format × every listing command ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", LISTINGS)
def test_every_listing_renders_in_every_format(cli: Cli, command: str, fmt: str) -> None:
    result = cli(*LISTINGS[command], "--format", fmt, env=TABLE)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip()
    if fmt in ("json", "jsonl", "yaml", "csv", "tsv"):
        rows = parse(fmt, result.stdout)
        assert len(rows) >= 1
        assert all("id" in row for row in rows)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", LISTINGS)
def test_fields_pick_and_order_columns_in_every_format(cli: Cli, command: str, fmt: str) -> None:
    fields = PICK[command]
    result = cli(*LISTINGS[command], "--format", fmt, "--fields", ",".join(fields), env=TABLE)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    if fmt == "table":
        assert out.splitlines()[0].split() == list(fields)
    elif fmt == "markdown":
        assert out.splitlines()[0] == "| " + " | ".join(fields) + " |"
    else:
        assert all(list(row) == list(fields) for row in parse(fmt, out))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", LISTINGS)
def test_no_ansi_escape_unless_a_coloured_table(cli: Cli, command: str, fmt: str) -> None:
    result = cli("--color", "always", *LISTINGS[command], "--format", fmt, env={"FORCE_COLOR": "1", **TABLE})
    assert result.exit_code == 0
    assert ("\x1b" in result.stdout) == (fmt == "table")


@pytest.mark.parametrize("command", LISTINGS)
def test_unknown_field_is_a_usage_error_with_suggestion(cli: Cli, command: str) -> None:
    result = cli(*LISTINGS[command], "--fields", "id,idd")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown field 'idd' (did you mean 'id'?)" in result.stderr


@pytest.mark.parametrize("command", [c for c, args in EMPTY.items() if args])
def test_unknown_field_is_refused_even_when_nothing_matches(cli: Cli, command: str) -> None:
    result = cli(*EMPTY[command] or (), "--fields", "id,idd")  # type: ignore[misc]
    assert result.exit_code == 2
    assert "unknown field 'idd'" in result.stderr


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", [c for c, args in EMPTY.items() if args])
def test_empty_result_prints_only_the_header_or_an_empty_list(cli: Cli, command: str, fmt: str) -> None:
    args = EMPTY[command]
    assert args is not None
    result = cli(*args, "--format", fmt)
    assert result.exit_code == 0
    assert result.stderr == ""  # not a terminal: no note
    # tsv, csv and markdown: the header a non-empty result starts with, so that readers learn the columns.
    header_lines = {"tsv": 1, "csv": 1, "markdown": 2}.get(fmt, 0)
    full = cli(*LISTINGS[command], "--format", fmt).stdout if header_lines else ""
    expected = "".join(full.splitlines(keepends=True)[:header_lines])
    assert result.stdout == ("[]\n" if fmt in ("json", "yaml") else expected)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", LISTINGS)
def test_every_listing_of_an_empty_kb(cli: Cli, command: str, fmt: str) -> None:
    args = LISTINGS[command]
    result = cli(*args, "--format", fmt, "--fields", "id", data=FIXTURES / "empty")
    assert (result.exit_code, result.stderr) == (0, "")
    # CliRunner reads stdout in text mode, which turns csv's CRLF into LF.
    expected = {"json": "[]\n", "yaml": "[]\n", "tsv": "id\n", "csv": "id\n", "markdown": "| id |\n|---|\n"}
    assert result.stdout == expected.get(fmt, "")


def test_empty_result_in_auto_format_prints_the_header(cli: Cli) -> None:
    result = cli("timeline", "--since", "2090")
    assert (result.exit_code, result.stdout, result.stderr) == (0, cli("timeline").stdout.splitlines()[0] + "\n", "")
    assert cli("timeline", "--since", "2090", "--no-header").stdout == ""


def test_empty_csv_reads_as_zero_rows_with_the_columns(cli: Cli) -> None:
    reader = csv.DictReader(io.StringIO(cli("agreements", "--since", "2090", "-f", "csv").stdout, newline=""))
    assert list(reader) == []
    assert reader.fieldnames == [
        "id",
        "date",
        "type",
        "title",
        "sectors",
        "parties",
        "status",
        "verification",
        "sources",
    ]


def test_limit_zero_is_an_empty_result(cli: Cli) -> None:
    assert cli("timeline", "--limit", "0", "-f", "json").stdout == "[]\n"


# --- the output contract in detail ------------------------------------------------------------------------


def test_auto_is_tsv_when_not_a_terminal(cli: Cli) -> None:
    assert cli("agreements").stdout == cli("agreements", "--format", "tsv").stdout
    assert (
        cli("agreements").stdout.splitlines()[0]
        == "id\tdate\ttype\ttitle\tsectors\tparties\tstatus\tverification\tsources"
    )


def test_explicit_format_wins_over_auto(cli: Cli) -> None:
    out = cli("agreements", "-f", "table", env=TABLE).stdout
    assert out.splitlines()[0].split() == ["date", "type", "title", "sectors", "verification"]  # ids from 102 columns


@pytest.mark.parametrize("fmt", ["tsv", "csv", "markdown"])
def test_no_header_drops_the_header(cli: Cli, fmt: str) -> None:
    with_header = cli("agreements", "-f", fmt).stdout.splitlines()
    without = cli("agreements", "-f", fmt, "--no-header").stdout.splitlines()
    assert without == with_header[len(with_header) - 2 :]
    assert without[0].lstrip("| ").startswith("defence-mou")


def test_keys_are_the_kb_field_names_in_every_format(cli: Cli) -> None:
    tsv_columns = cli("timeline", "-f", "tsv").stdout.splitlines()[0].split("\t")
    json_keys = list(json.loads(cli("timeline", "-f", "json").stdout)[0])
    assert json_keys == [
        "id", "date", "end_date", "type", "title", "summary", "sectors", "actors", "place", "sources",
        "verification", "notes",
    ]  # fmt: skip
    assert set(tsv_columns) <= set(json_keys)
    assert list(yaml.safe_load(cli("timeline", "-f", "yaml").stdout)[0]) == json_keys
    assert list(json.loads(cli("timeline", "-f", "jsonl").stdout.splitlines()[0])) == json_keys


def test_json_types(cli: Cli) -> None:
    events = json.loads(cli("timeline", "-f", "json").stdout)
    assert [e["date"] for e in events] == ["1995", "1995-03-01", "1995-07-02", "2024-07-11", None]
    assert events[2]["sources"] == ["article", "gov-record"]
    indicators = json.loads(cli("indicators", "-f", "json").stdout)
    assert all(isinstance(i["value"], (int, float)) and not isinstance(i["value"], bool) for i in indicators)
    assert indicators[0]["value"] == 78810000000


def test_lists_are_joined_by_semicolons_and_nothing_is_truncated(cli: Cli) -> None:
    rows = parse("tsv", cli("timeline", "--fields", "id,sectors,sources,summary").stdout)
    july = next(r for r in rows if r["id"] == "july-event")
    assert july == {
        "id": "july-event",
        "sectors": "diplomacy;trade",
        "sources": "article;gov-record",
        "summary": "Text with [citation needed] brackets.",
    }
    rows = parse("csv", cli("agreements", "-f", "csv").stdout)
    assert rows[1]["parties"] == "Buyer Ltd;Seller Co"


def test_values_with_tabs_and_newlines_stay_on_their_line(cli: Cli, kb_variant: Callable[..., Path]) -> None:
    kb = kb_variant(
        {"events.yaml": [("summary: In March.", 'summary: "In\\tMarch.\\nSecond line,\\r\\n\\"third\\"."')]}
    )
    tsv = cli("timeline", "--fields", "id,summary", "--no-header", data=kb).stdout
    assert 'march-event\tIn\\tMarch.\\nSecond line,\\r\\n"third".\n' in tsv
    assert len(tsv.splitlines()) == 5
    # Result.stdout turns CRLF into LF; the bytes are what was written.
    rows = parse("csv", cli("timeline", "--fields", "id,summary", "-f", "csv", data=kb).stdout_bytes.decode())
    assert rows[1] == {"id": "march-event", "summary": 'In\tMarch.\nSecond line,\r\n"third".'}


@pytest.mark.parametrize("fmt", FORMATS)
def test_kb_text_is_printed_as_written(cli: Cli, fmt: str) -> None:
    result = cli("timeline", "-q", "citation", "--fields", "id,summary", "-f", fmt, env=TABLE)
    # Markdown escapes the brackets, so that a renderer shows them as written instead of making a link.
    written = (
        "Text with \\[citation needed\\] brackets." if fmt == "markdown" else "Text with [citation needed] brackets."
    )
    assert written in result.stdout


def test_show_prints_kb_text_as_written(cli: Cli) -> None:
    assert "Text with [citation needed] brackets." in cli("show", "july-event", "-f", "table", env=TABLE).stdout


# --- colour ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "env", "coloured"),
    [
        ((), {}, False),  # not a terminal
        (("--color", "always"), {}, True),
        (("--color", "never"), {"FORCE_COLOR": "1"}, False),
        ((), {"FORCE_COLOR": "1"}, True),
        ((), {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (("--color", "auto"), {"NO_COLOR": "1"}, False),
    ],
)
def test_colour_of_tables(cli: Cli, options: tuple[str, ...], env: dict[str, str], coloured: bool) -> None:
    result = cli(*options, "agreements", "-f", "table", env={**env, **TABLE})
    assert result.exit_code == 0
    assert ("\x1b[" in result.stdout) == coloured


def test_force_color_does_not_turn_a_pipe_into_a_table(cli: Cli) -> None:
    result = cli("agreements", env={"FORCE_COLOR": "1"})
    assert result.stdout.startswith("id\tdate\t")
    assert "\x1b" not in result.stdout


def test_bad_color_value_is_a_usage_error(cli: Cli) -> None:
    assert cli("--color", "sometimes", "timeline").exit_code == 2


# --- filters on the command line ----------------------------------------------------------------------------


def ids_of(result: Result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)]


def test_timeline_options(cli: Cli) -> None:
    assert ids_of(cli("timeline", "--since", "1995-06", "-f", "json")) == ["year-event", "july-event", "energy-visit"]
    assert ids_of(cli("timeline", "--since", "1995", "--until", "1995-06", "-f", "json")) == [
        "year-event",
        "march-event",
    ]
    assert ids_of(cli("timeline", "--sector", "defense", "-f", "json")) == ["undated-event"]
    assert ids_of(cli("timeline", "-s", "trade", "-s", "Military", "-f", "json")) == ["july-event", "undated-event"]
    assert ids_of(cli("timeline", "--query", "turkiye", "-f", "json")) == ["year-event"]
    assert ids_of(cli("timeline", "--reverse", "--limit", "2", "-f", "json")) == ["energy-visit", "july-event"]
    assert ids_of(cli("timeline", "--verification", "corrected", "-f", "json")) == ["energy-visit"]


def test_agreements_options(cli: Cli) -> None:
    assert ids_of(cli("agreements", "--type", "mou", "-f", "json")) == ["defence-mou"]
    assert ids_of(cli("agreements", "--sector", "gas", "-f", "json")) == ["lng-deal"]
    assert ids_of(cli("agreements", "--since", "2017", "-f", "json")) == ["lng-deal"]
    assert ids_of(cli("agreements", "--until", "2016", "-f", "json")) == ["defence-mou"]
    assert ids_of(cli("agreements", "--query", "cargo", "-f", "json")) == ["lng-deal"]
    assert ids_of(cli("agreements", "--limit", "1", "-f", "json")) == ["defence-mou"]


@pytest.mark.parametrize("country", ["PAK", "PK", "pakistan", "Pakistan"])
def test_indicators_country_names(cli: Cli, country: str) -> None:
    assert ids_of(cli("indicators", "--country", country, "-f", "json")) == ["gdp-pak-2023", "ict-share-pak-2019"]


def test_indicators_options(cli: Cli) -> None:
    assert ids_of(cli("indicators", "--country", "AZE", "--year", "2023", "-f", "json")) == ["gdp-aze-2023"]
    assert ids_of(cli("indicators", "--name", "gdp", "--since", "2023", "-f", "json")) == [
        "gdp-aze-2023",
        "gdp-pak-2023",
    ]
    assert ids_of(cli("indicators", "--until", "2019", "-f", "json")) == ["ict-share-pak-2019"]


def test_indicators_chart(cli: Cli) -> None:
    result = cli("indicators", "--name", "gdp", "--chart", env={"COLUMNS": "60"})
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "GDP (current US$) (gdp)",
        "AZE 2022 ██████▌                       $78.81 bn",
        "AZE 2023 ██████                        $72.36 bn",
        "PAK 2023 ▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒▒ $338.37 bn  corrected",
        "▒ disputed or corrected   ░ part of a year",
        "",
    ]


@pytest.mark.parametrize(
    ("args", "value", "closest"),
    [
        (("timeline", "--sector", "enrgy"), "enrgy", "energy"),
        (("agreements", "--sector", "defnce"), "defnce", "defence"),
        (("agreements", "--type", "memo"), "memo", "mou"),
        (("indicators", "--country", "AZR"), "AZR", "AZE"),
        (("indicators", "--name", "gpd"), "gpd", "gdp"),
    ],
)
def test_unknown_value_exits_2_with_suggestion_and_choices(
    cli: Cli, args: tuple[str, ...], value: str, closest: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    message = result.stderr
    assert message.startswith("Error: Invalid value for ")
    assert f"'{value}'" in message
    match = re.search(r"did you mean '([^']+)'", message, re.IGNORECASE)
    assert match and match.group(1) == closest
    assert "Valid: " in message and closest in message.split("Valid: ")[1]


def test_unknown_sector_lists_every_sector(cli: Cli) -> None:
    assert cli("timeline", "--sector", "space").stderr == (
        "Error: Invalid value for '--sector': unknown sector 'space'. Valid: defence, diplomacy, energy, trade\n"
    )


@pytest.mark.parametrize(
    ("since", "until", "named"),
    [
        ("2024-13", None, "2024-13"),
        ("2024-02-30", None, "2024-02-30"),
        ("yesterday", None, "yesterday"),
        (None, "2023-02-29", "2023-02-29"),
        ("2024", "2023", "--since 2024"),
    ],
)
@pytest.mark.parametrize("command", ["timeline", "agreements", "indicators"])
def test_invalid_dates_exit_2(cli: Cli, command: str, since: str | None, until: str | None, named: str) -> None:
    args = [command] + (["--since", since] if since else []) + (["--until", until] if until else [])
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and named in result.stderr


# --- show, sources ID, sectors, errata, search, cite, overview ---------------------------------------------------


@pytest.mark.parametrize(
    "record_id", ["july-event", "lng-deal", "gdp-pak-2023", "erratum-gdp-unit", "gov-record", "energy"]
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_show_any_record_in_any_format(cli: Cli, record_id: str, fmt: str) -> None:
    result = cli("show", record_id, "-f", fmt, env=TABLE)
    assert result.exit_code == 0
    assert record_id in result.stdout
    if fmt in ("json", "yaml"):
        data = json.loads(result.stdout) if fmt == "json" else yaml.safe_load(result.stdout)
        assert data["id"] == record_id


def test_show_unknown_id_suggests_the_closest(cli: Cli) -> None:
    result = cli("show", "gdp-pak-2032")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: No record with id 'gdp-pak-2032'. Did you mean 'gdp-pak-2023'")


def test_sources_lists_cited_by_counts(cli: Cli) -> None:
    rows = parse("tsv", cli("sources").stdout)
    # By publisher: Example News, Ministry of Examples, Unknown
    assert [(r["id"], r["cited_by"]) for r in rows] == [("news-report", "3"), ("gov-record", "9"), ("article", "5")]
    assert json.loads(cli("sources", "-f", "json").stdout)[1]["cited_by"] == 9
    rows = parse("tsv", cli("sources", "--sort", "file").stdout)
    assert [r["id"] for r in rows] == ["article", "gov-record", "news-report"]
    rows = parse("tsv", cli("sources", "--sort", "cited", "-n", "2").stdout)
    assert [r["id"] for r in rows] == ["gov-record", "article"]
    result = cli("sources", "--sort", "colour")
    assert result.exit_code == 2 and result.stderr.startswith("Error: ")


def test_sources_id_shows_the_source_and_what_cites_it(cli: Cli) -> None:
    out = cli("sources", "news-report", "-f", "table", env=TABLE).stdout
    assert "A news report: with a colon" in out
    assert "Cited by 3 records:" in out
    assert "energy-visit" in out and "lng-deal" in out and "envoy-charge" in out
    data = json.loads(cli("sources", "news-report", "-f", "json").stdout)
    assert [c["id"] for c in data["cited_by"]] == ["energy-visit", "lng-deal", "envoy-charge"]


def test_sources_id_of_something_else(cli: Cli) -> None:
    result = cli("sources", "july-event")
    assert result.exit_code == 1
    assert "not a source" in result.stderr


def test_sectors_show_aliases_and_counts(cli: Cli) -> None:
    rows = json.loads(cli("sectors", "-f", "json").stdout)
    assert [(r["id"], r["aliases"], r["events"], r["agreements"]) for r in rows] == [
        ("diplomacy", ["diplomatic"], 4, 0),
        ("energy", ["oil", "gas"], 1, 1),
        ("defence", ["defense", "military"], 1, 1),
        ("trade", [], 1, 0),
    ]


def test_errata(cli: Cli) -> None:
    [row] = json.loads(cli("errata", "-f", "json").stdout)
    assert row["id"] == "erratum-gdp-unit"
    assert row["records"] == ["gdp-pak-2023", "energy-visit"]
    assert row["status"] == "contradicted"


def test_search_shows_the_collection_and_best_first(cli: Cli) -> None:
    rows = json.loads(cli("search", "lng", "-f", "json").stdout)
    assert [(r["collection"], r["id"]) for r in rows] == [("agreements", "lng-deal"), ("events", "energy-visit")]
    rows = json.loads(cli("search", "military", "-f", "json").stdout)
    assert {r["collection"] for r in rows} == {"sectors", "agreements", "events"}
    assert [r["collection"] for r in rows][-1] == "sectors"  # facts first


@pytest.mark.parametrize("text", ["turkiye", "TURKIYE", "Türkiye", "türkiye 1995"])
def test_search_ignores_case_and_accents(cli: Cli, text: str) -> None:
    assert ids_of(cli("search", text, "-f", "json"))[:1] == ["year-event"]


def test_search_ranks_records_with_every_word_first(cli: Cli) -> None:
    assert ids_of(cli("search", "visit türkiye", "-f", "json")) == ["year-event", "energy-visit"]
    assert ids_of(cli("search", "visit mars venus", "-f", "json")) == []


def test_cite_styles(cli: Cli) -> None:
    text = cli("cite", "lng-deal")
    assert text.exit_code == 0
    assert text.stdout == "Example News. “A news report: with a colon”. 2020. https://news.example.com/report?id=1.\n"
    items = json.loads(cli("cite", "gdp-pak-2023", "--style", "csl-json").stdout)
    assert [(i["id"], i["URL"], i["issued"]) for i in items] == [
        ("gov-record", "https://example.org/record", {"date-parts": [[2024, 7, 12]]})
    ]
    bib = cli("cite", "july-event", "--style", "bibtex").stdout
    assert bib.startswith("@article{article,\n") and "\n@online{gov-record,\n" in bib
    assert bib.count("\n@") == 1


def test_cite_unknown_id_and_bad_style(cli: Cli) -> None:
    assert cli("cite", "nope").exit_code == 1
    assert cli("cite", "lng-deal", "--style", "no-such-style-at-all").exit_code == 2


def test_overview(cli: Cli) -> None:
    table = cli("overview", env=TABLE)
    assert table.exit_code == 0
    assert table.stdout.startswith("Pakistan–Azerbaijan relations\n")
    data = json.loads(cli("overview", "-f", "json").stdout)
    assert data["kb"]["version"] == "0.9.0"
    assert yaml.safe_load(cli("overview", "-f", "yaml").stdout) == data
    assert cli("overview", "-f", "markdown").stdout.startswith("## Pakistan–Azerbaijan relations\n")


# --- help ----------------------------------------------------------------------------------------------------------


COMMANDS = sorted(get_command(pakaz_cli.app).commands)  # type: ignore[attr-defined]


def test_every_command_is_covered() -> None:
    # A new command must be added here, and get tests of its own (the help test below covers it already).
    assert sorted([*LISTINGS, "show", "cite", "overview", "validate", "export"]) == COMMANDS
    assert "envoys" in LISTINGS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(cli: Cli, command: str) -> None:
    result = cli(command, "--help", data=None, env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert f"pakaz {command}" in result.stdout
    assert "Example" in result.stdout


def test_main_help_documents_exit_codes(cli: Cli) -> None:
    result = cli("--help", data=None, env={"COLUMNS": "200"})
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    assert (
        "Exit codes: 0 success (also an empty result), 1 data problem or not found, 2 usage error, 130 interrupted."
        in flat
    )
    for command in COMMANDS:
        assert command in result.stdout


def test_short_help_option(cli: Cli) -> None:
    assert cli("timeline", "-h", data=None).exit_code == 0


# --- completion ------------------------------------------------------------------------------------------------------


@pytest.fixture
def ctx() -> typer.Context:
    context = typer.Context(get_command(pakaz_cli.app))
    context.params = {"data": str(MINI)}
    return context


def test_complete_sector(ctx: typer.Context) -> None:
    # Ids first, then the aliases --sector accepts as well.
    assert pakaz_cli.complete_sector(ctx, "d") == ["diplomacy", "defence", "diplomatic", "defense"]
    assert pakaz_cli.complete_sector(ctx, "") == [
        "diplomacy", "energy", "defence", "trade", "diplomatic", "oil", "gas", "defense", "military",
    ]  # fmt: skip
    assert pakaz_cli.complete_sector(ctx, "mil") == ["military"]
    assert pakaz_cli.complete_sector(ctx, "x") == []


def test_complete_sector_offers_the_bundled_aliases() -> None:
    context = typer.Context(get_command(pakaz_cli.app))
    assert "military" in pakaz_cli.complete_sector(context, "mil")
    assert "lng" in pakaz_cli.complete_sector(context, "l")


def test_complete_type() -> None:
    assert pakaz_cli.complete_type("m") == ["mou", "memorandum", "memorandum-of-understanding", "mous"]
    assert pakaz_cli.complete_type("c") == ["convention", "contract"]
    assert pakaz_cli.complete_type("prog") == ["programme", "program"]


def test_complete_country() -> None:
    assert pakaz_cli.complete_country("P") == ["PAK", "PAK-AZE", "Pk", "Pakistan"]
    # Shells keep only candidates that start with the typed word; the option accepts any case.
    assert pakaz_cli.complete_country("a") == ["aze", "az", "azerbaijan"]
    assert pakaz_cli.complete_country("pak-") == ["pak-aze"]
    assert pakaz_cli.complete_country("b") == ["bilateral", "both"]
    assert pakaz_cli.complete_country("") == [
        "PAK", "AZE", "PAK-AZE", "pk", "pakistan", "az", "azerbaijan", "bilateral", "both",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("option", "complete", "typed"),
    [("--sector", "complete_sector", ""), ("--type", "complete_type", ""), ("--country", "complete_country", "")],
)
def test_every_completed_word_is_accepted(cli: Cli, ctx: typer.Context, option: str, complete: str, typed: str) -> None:
    function = getattr(pakaz_cli, complete)
    words = function(ctx, typed) if complete == "complete_sector" else function(typed)
    command = {"--sector": "timeline", "--type": "agreements", "--country": "indicators"}[option]
    for word in words:
        assert cli(command, option, word, "-f", "json").exit_code == 0, word


def test_complete_name(ctx: typer.Context) -> None:
    assert pakaz_cli.complete_name(ctx, "") == ["gdp", "ict-share-of-gdp"]
    assert pakaz_cli.complete_name(ctx, "i") == ["ict-share-of-gdp"]


def test_complete_show_id(ctx: typer.Context) -> None:
    assert pakaz_cli.complete_id(ctx, "gdp-a") == ["gdp-aze-2023", "gdp-aze-2022"]
    assert pakaz_cli.complete_id(ctx, "news") == ["news-report"]


def test_completion_uses_pakaz_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAKAZ_DATA", str(MINI))
    context = typer.Context(get_command(pakaz_cli.app))
    assert pakaz_cli.complete_sector(context, "en") == ["energy"]


def test_completion_never_fails(tmp_path: Path) -> None:
    context = typer.Context(get_command(pakaz_cli.app))
    context.params = {"data": str(tmp_path / "missing")}
    assert pakaz_cli.complete_sector(context, "") == []
    assert pakaz_cli.complete_id(context, "") == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["timeline", "--frmat", "json"], "No such option: --frmat"),
        (["timeline", "-f", "jsn"], "'jsn' is not one of"),
        (["timelin"], "Did you mean 'timeline'?"),
        (["show"], "Missing argument 'ID'"),
        (["timeline", "--limit", "-1"], "--limit"),
        (["indicators", "--year", "soon"], "--year"),
        (["--color", "sometimes", "timeline"], "'sometimes' is not one of"),
    ],
)
def test_usage_errors_are_one_line_with_a_pointer_to_help(run: Runner, args: list[str], expected: str) -> None:
    result = run("--data", str(MINI), *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and expected in lines[0]
    assert "--help'" in lines[0]


def test_no_command_prints_the_help(run: Runner) -> None:
    result = run()
    assert result.returncode == 0
    assert "Usage: pakaz" in result.stdout and "timeline" in result.stdout


def test_search_verification_option(cli: Cli) -> None:
    result = cli("search", "gdp", "visit", "--verification", "corrected", "-f", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {r["id"] for r in rows} == {"energy-visit", "gdp-pak-2023"}
    assert {r["verification"] for r in rows} == {"corrected"}
    assert cli("search", "visit", "--verification", "wrong").exit_code == 2


# --- terminal-view fixes: global options anywhere, --limit everywhere, ids in any case -----------


@pytest.mark.parametrize(
    "args",
    [
        ["agreements", "--color", "never", "-f", "table"],
        ["agreements", "-f", "table", "--color=never"],
        ["timeline", "--no-pager", "-f", "table"],
    ],
)
def test_a_global_option_after_the_command_is_accepted(cli: Cli, args: list[str]) -> None:
    result = cli(*args, env=TABLE)
    assert result.exit_code == 0, result.stderr
    assert "verification" in result.stdout.splitlines()[0]


def test_hoisting_global_options_leaves_the_rest_in_place() -> None:
    from pakaz.cli import hoist_global_options

    assert hoist_global_options(["timeline", "--color", "never", "-n", "2"]) == [
        "--color",
        "never",
        "timeline",
        "-n",
        "2",
    ]
    assert hoist_global_options(["--data", "kb", "show", "x", "--no-pager"]) == [
        "--data",
        "kb",
        "--no-pager",
        "show",
        "x",
    ]
    assert hoist_global_options(["search", "--", "--color"]) == ["search", "--", "--color"]
    assert hoist_global_options(["--version"]) == ["--version"]


@pytest.mark.parametrize("command", ["errata", "sources", "sectors"])
def test_every_listing_takes_limit(cli: Cli, command: str) -> None:
    every = parse("tsv", cli(command).stdout)
    assert every
    assert parse("tsv", cli(command, "--limit", "1").stdout) == every[:1]
    assert parse("tsv", cli(command, "-n", "0").stdout) == []


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_overview_refuses_row_formats(cli: Cli, fmt: str) -> None:
    result = cli("overview", "-f", fmt)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: Invalid value for '--format': the overview has no")
    assert len(result.stderr.splitlines()) == 1


def test_show_finds_an_id_in_any_case(cli: Cli) -> None:
    lower = cli("show", "gdp-pak-2023", "-f", "json")
    upper = cli("show", "GDP-PAK-2023", "-f", "json")
    assert upper.exit_code == 0 and upper.stdout == lower.stdout
    assert cli("sources", "GOV-RECORD", "-f", "json").exit_code == 0
    missing = cli("show", "NO-SUCH-ID")
    assert missing.exit_code == 1 and "No record with id 'NO-SUCH-ID'" in missing.stderr


def test_fields_checked_points_to_verification(cli: Cli) -> None:
    result = cli("timeline", "--fields", "date,checked")
    assert result.exit_code == 2
    assert "did you mean 'verification'?" in result.stderr


def test_values_are_shown_in_their_unit_without_unit_in_fields(cli: Cli) -> None:
    out = cli("indicators", "--fields", "id,value", "-f", "table", env=TABLE).stdout
    assert "$338.37 bn" in out and "1.2 %" in out
    assert parse("tsv", cli("indicators", "--fields", "id,value").stdout)[-1]["value"] == "1.2"


def test_timeline_type_and_year(cli: Cli) -> None:
    every = parse("tsv", cli("timeline").stdout)
    visits = parse("tsv", cli("timeline", "--type", "visit").stdout)
    assert visits and [r["id"] for r in visits] == [r["id"] for r in every if r["type"] == "visit"]
    in_1995 = parse("tsv", cli("timeline", "--year", "1995").stdout)
    assert in_1995 and all(r["date"].startswith("1995") for r in in_1995)
    both = parse("tsv", cli("timeline", "--year", "1995", "--year", "2024").stdout)
    assert len(both) > len(in_1995)
    bad = cli("timeline", "--type", "vist")
    assert bad.exit_code == 2 and "Did you mean 'visit'?" in bad.stderr


def test_agreements_year(cli: Cli) -> None:
    found = parse("tsv", cli("agreements", "--year", "2023").stdout)
    assert [r["id"] for r in found] == ["lng-deal"]
    assert parse("tsv", cli("agreements", "-y", "1900").stdout) == []
    assert cli("agreements", "--year", "abc").exit_code == 2
