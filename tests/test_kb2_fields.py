"""The fields of KB 2.0: the `reported` grade, supplied titles, authors and `via`, agreement steps and
batches, trade reporters, envoys as terms of office, and duplicates in lists."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from pakaz import query
from pakaz.detail import citation_line
from pakaz.errors import UsageError
from pakaz.export import export
from pakaz.kb import KB, load, parse_dir
from pakaz.model import Invalid, count, flag, list_of, slug

Variant = Callable[..., Path]
Cli = Callable[..., Result]


def messages(kb: Path) -> list[str]:
    _, problems = parse_dir(kb)
    return [p.message for p in problems]


# --- field rules ---------------------------------------------------------------------------------


def test_flag_reads_true_and_false_only() -> None:
    assert flag("true") is True
    assert flag("false") is False
    for raw in ("yes", "True", "1", None, ["true"]):
        assert isinstance(flag(raw), Invalid), raw


def test_count_is_a_positive_whole_number() -> None:
    assert count("15") == 15
    for raw in ("0", "-1", "1.5", "015", "1e3", "1234567", None):
        assert isinstance(count(raw), Invalid), raw


def test_a_list_rejects_an_item_given_twice() -> None:
    assert list_of(slug)(["a", "b"]) == ("a", "b")
    assert list_of(slug)(["investment", "trade", "investment"]) == Invalid("'investment' is listed twice")


def test_a_reference_listed_twice_is_reported_with_its_line(kb_variant: Variant) -> None:
    kb = kb_variant({"agreements.yaml": [("  sectors: [energy]", "  sectors: [energy, energy]")]})
    _, problems = parse_dir(kb)
    assert [(Path(p.file).name, p.line, p.message) for p in problems] == [
        ("agreements.yaml", 5, "field 'sectors': 'energy' is listed twice")
    ]


# --- sources ---------------------------------------------------------------------------------------


def test_source_fields_default_to_a_published_headline(mini: KB) -> None:
    source = mini.sources[1]
    assert (source.title_supplied, source.authors, source.via) == (False, (), None)


def test_supplied_title_authors_and_via_are_read(kb_variant: Variant) -> None:
    kb = kb_variant(
        {
            "sources.yaml": [
                (
                    "  title: An official record\n",
                    "  title: An official record\n  title_supplied: true\n  authors: [A. Writer, B. Writer]\n"
                    "  via: https://mirror.example.net/record\n",
                )
            ]
        }
    )
    source = load(kb, use_cache=False).sources[1]
    assert source.title_supplied is True
    assert source.authors == ("A. Writer", "B. Writer")
    assert source.via == "https://mirror.example.net/record"
    # A title the KB wrote is never printed as a headline.
    assert citation_line(source).startswith("Ministry of Examples. [An official record]. ")


def test_bad_source_fields_are_reported(kb_variant: Variant) -> None:
    kb = kb_variant(
        {"sources.yaml": [("  title: An official record\n", "  title: An official record\n  title_supplied: yes\n")]}
    )
    assert messages(kb) == ["field 'title_supplied': expected true or false, found 'yes'"]
    kb = kb_variant({"sources.yaml": [("  kind: official", "  kind: official\n  via: not a url")]})
    assert messages(kb) == ["field 'via': expected an http(s) URL, found 'not a url'"]


# --- grades ------------------------------------------------------------------------------------------


def test_reported_is_a_grade(kb_variant: Variant, cli: Cli) -> None:
    kb = kb_variant(
        {
            "events.yaml": [
                (
                    "  sources: [gov-record]\n  verification: confirmed",
                    "  sources: [gov-record]\n  verification: reported",
                )
            ]
        }
    )
    result = cli("timeline", "--verification", "reported", "-f", "jsonl", data=kb)
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["march-event"]


def test_a_dispute_needs_notes_but_no_erratum(kb_variant: Variant) -> None:
    kb = kb_variant(
        {
            "agreements.yaml": [
                (
                    "  sources: [news-report]\n  verification: confirmed",
                    "  sources: [news-report]\n  verification: disputed",
                )
            ]
        }
    )
    assert messages(kb) == ["a disputed record needs notes saying what each source says"]
    kb = kb_variant(
        {
            "agreements.yaml": [
                (
                    "  sources: [news-report]\n  verification: confirmed",
                    "  sources: [news-report]\n  verification: disputed\n  notes: One source says July, another June.",
                )
            ]
        }
    )
    assert messages(kb) == []


def test_a_correction_still_needs_an_erratum(kb_variant: Variant) -> None:
    kb = kb_variant(
        {
            "agreements.yaml": [
                (
                    "  sources: [news-report]\n  verification: confirmed",
                    "  sources: [news-report]\n  verification: corrected\n  notes: The article said oil.",
                )
            ]
        }
    )
    assert messages(kb) == ["a corrected record must be listed in the records of an erratum"]


# --- agreements: life cycle and batches -----------------------------------------------------------------


def test_agreement_steps_are_read_and_checked(kb_variant: Variant) -> None:
    kb = kb_variant(
        {"agreements.yaml": [("  status: signed\n", '  status: ended\n  in_force: "2023-09"\n  ended: "2025"\n')]}
    )
    deal = load(kb, use_cache=False).agreements[0]
    assert (deal.status, deal.in_force, deal.ended, deal.ratified) == ("ended", "2023-09", "2025", None)
    kb = kb_variant({"agreements.yaml": [("  status: signed\n", '  status: in-force\n  in_force: "2023-06-30"\n')]})
    assert messages(kb) == ["in_force 2023-06-30 is before the signing date 2023-07-24"]
    # A step known to the year only is not before a signing day in the same year.
    kb = kb_variant({"agreements.yaml": [("  status: signed\n", '  status: ratified\n  ratified: "2023"\n')]})
    assert messages(kb) == []


def test_a_batch_has_a_count_and_only_a_batch_has_one(kb_variant: Variant) -> None:
    kb = kb_variant({"agreements.yaml": [("  type: agreement\n", '  type: batch\n  documents: "15"\n')]})
    assert load(kb, use_cache=False).agreements[0].documents == 15
    kb = kb_variant({"agreements.yaml": [("  type: agreement\n", "  type: batch\n")]})
    assert messages(kb) == ["a batch record needs its number of documents, and only a batch record has one"]
    kb = kb_variant({"agreements.yaml": [("  type: agreement\n", '  type: agreement\n  documents: "3"\n')]})
    assert messages(kb) == ["a batch record needs its number of documents, and only a batch record has one"]


def test_an_old_status_value_gets_the_new_vocabulary(kb_variant: Variant) -> None:
    kb = kb_variant({"agreements.yaml": [("  status: signed", "  status: reported")]})
    assert messages(kb) == [
        "field 'status': expected one of announced, signed, ratified, in-force, ended; found 'reported'"
    ]


# --- indicators: whose statistics ------------------------------------------------------------------------


def test_reporter_says_whose_statistics(kb_variant: Variant, cli: Cli) -> None:
    kb = kb_variant({"indicators.yaml": [("- id: gdp-pak-2023\n", "- id: gdp-pak-2023\n  reporter: PAK\n")]})
    rows = json.loads(cli("indicators", "--name", "gdp", "--year", "2023", "-c", "PAK", "-f", "json", data=kb).stdout)
    assert [r["reporter"] for r in rows] == ["PAK"]
    kb = kb_variant({"indicators.yaml": [("- id: gdp-pak-2023\n", "- id: gdp-pak-2023\n  reporter: both\n")]})
    assert messages(kb) == ["field 'reporter': expected one of PAK, AZE; found 'both'"]


# --- envoys ----------------------------------------------------------------------------------------------


def ids(records: object) -> list[str]:
    return [r.id for r in records]  # type: ignore[attr-defined]


def test_envoys_are_listed_by_post_and_start(mini: KB) -> None:
    assert ids(query.envoys(mini)) == ["envoy-charge", "envoy-first", "envoy-second"]
    assert ids(query.envoys(mini, posts=["pakistan"])) == ["envoy-first", "envoy-second"]
    assert ids(query.envoys(mini, posts=["AZE-to-PAK"])) == ["envoy-charge"]
    assert ids(query.envoys(mini, verification=["reported"])) == ["envoy-charge"]


def test_as_of_finds_who_held_each_post(mini: KB) -> None:
    # A term without an end runs until the next holder of the same post starts.
    assert ids(query.envoys(mini, as_of="2011-05")) == ["envoy-charge", "envoy-first"]
    assert ids(query.envoys(mini, as_of="2011-09")) == ["envoy-first"]
    assert ids(query.envoys(mini, as_of="2020-06-22")) == ["envoy-first"]
    assert ids(query.envoys(mini, as_of="2020-06-23")) == ["envoy-second"]
    assert ids(query.envoys(mini, as_of="2031")) == ["envoy-second"]
    assert ids(query.envoys(mini, as_of="1990")) == []


def test_bad_envoy_filters_are_usage_errors(mini: KB) -> None:
    with pytest.raises(UsageError, match="unknown post 'turkey'"):
        query.envoys(mini, posts=["turkey"])
    with pytest.raises(UsageError, match="--as-of"):
        query.envoys(mini, as_of="2024-13")


def test_envoys_command(cli: Cli) -> None:
    result = cli("envoys", "--post", "pakistan", "--as-of", "now", "-f", "json")
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["person"], row["post"], row["start"], row["seen"]) == (
        "Second Envoy",
        "pak-to-aze",
        "2020-06-23",
        "2024-07-12",
    )
    bad = cli("envoys", "--as-of", "yesterday")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: Invalid value for '--as-of'")


def test_envoy_dates_are_checked(kb_variant: Variant) -> None:
    kb = kb_variant({"envoys.yaml": [('  end: "2011-08"', '  end: "2010"')]})
    assert messages(kb) == ["end 2010 is before start 2011-03"]
    kb = kb_variant({"envoys.yaml": [('  seen: "2024-07-12"', '  seen: "2019"')]})
    assert messages(kb) == ["seen 2019 is before start 2020-06-23"]


def test_a_kb_without_envoys_file_has_no_envoys(tmp_path: Path, kb_variant: Variant) -> None:
    kb = kb_variant()
    (kb / "envoys.yaml").unlink()
    assert load(kb, use_cache=False).envoys == ()


def test_envoys_are_exported(mini: KB, tmp_path: Path) -> None:
    export(mini, str(tmp_path / "kb.db"), with_metadata=False)
    db = sqlite3.connect(tmp_path / "kb.db")
    assert db.execute('SELECT id, post, start, "end" FROM envoys ORDER BY id').fetchall() == [
        ("envoy-charge", "aze-to-pak", "2011-03", "2011-08"),
        ("envoy-first", "pak-to-aze", "1995-03", None),
        ("envoy-second", "pak-to-aze", "2020-06-23", None),
    ]
    assert db.execute("SELECT COUNT(*) FROM envoy_sources").fetchone() == (3,)
    assert db.execute("SELECT DISTINCT typeof(title_supplied) FROM sources").fetchall() == [("integer",)]


def _supplied_kb(kb_variant: Variant) -> Path:
    return kb_variant(
        {
            "sources.yaml": [
                (
                    "  title: An official record\n",
                    "  title: An official record\n  title_supplied: true\n  authors: [A. Writer]\n"
                    "  via: https://mirror.example.net/record\n",
                )
            ]
        }
    )


def test_citations_bracket_a_supplied_title_and_name_authors_and_copies(kb_variant: Variant, cli: Cli) -> None:
    kb = _supplied_kb(kb_variant)
    text = cli("cite", "gov-record", data=kb).stdout
    assert text == (
        "Ministry of Examples. [An official record]. 2024-07-12. https://example.org/record. "
        "Read at https://mirror.example.net/record.\n"
    )
    bib = cli("cite", "gov-record", "--style", "bibtex", data=kb).stdout
    assert "  title = {{[An official record]}},\n" in bib
    assert "  author = {{A. Writer}},\n" in bib
    assert "  note = {Read at https://mirror.example.net/record}\n" in bib
    [item] = json.loads(cli("cite", "gov-record", "--style", "csl-json", data=kb).stdout)
    assert item["title"] == "[An official record]"
    assert item["author"] == [{"literal": "A. Writer"}]
    assert item["note"] == "Read at https://mirror.example.net/record"
    # A published headline is printed as it is.
    [plain] = json.loads(cli("cite", "news-report", "--style", "csl-json", data=kb).stdout)
    assert plain["title"] == "A news report: with a colon"


def test_overview_names_the_envoys_in_office(mini: KB) -> None:
    from pakaz.overview import build

    data = build(mini)
    assert [(e["post"], e["person"]) for e in data["envoys"]] == [("pak-to-aze", "Second Envoy")]


def test_an_envoy_known_only_from_a_sighting_is_in_office_then(kb_variant: Variant) -> None:
    kb = kb_variant({"envoys.yaml": [('  start: "2011-03"\n', "  start: null\n")]})
    loaded = load(kb, use_cache=False)
    assert ids(query.envoys(loaded)) == ["envoy-charge", "envoy-first", "envoy-second"]  # ordered by its end
    assert ids(query.envoys(loaded, as_of="2011-05")) == ["envoy-first"]
