"""Loading a KB: `pakaz validate`, the problems it reports, YAML 1.1 safety, choosing a KB, cache basics."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import MINI
from pakaz.errors import KBError
from pakaz.kb import cache_dir, load, parse_dir

Variant = Callable[..., Path]
Cli = Callable[..., Result]


def problems_of(result: Result, kb: Path) -> list[str]:
    """The problem lines `validate` wrote to stderr, with the KB path shortened to KB."""
    return [line.replace(str(kb), "KB") for line in result.stderr.splitlines()]


# --- validate: success ---------------------------------------------------------------------


def test_validate_ok_prints_one_summary_line(cli: Cli) -> None:
    result = cli("validate", str(MINI), data=None)
    assert result.exit_code == 0
    assert result.stdout == (
        f"OK: {MINI}: knowledge base 0.9.0 (2026-01-02): "
        "5 events, 2 agreements, 4 indicators, 3 envoys, 3 sources, 4 sectors, 1 errata\n"
    )
    assert result.stderr == ""


def test_validate_defaults_to_data_option(cli: Cli) -> None:
    result = cli("validate")  # the fixture passes --data MINI
    assert result.exit_code == 0
    assert result.stdout.startswith(f"OK: {MINI}: ")


def test_validate_defaults_to_pakaz_data_env(cli: Cli) -> None:
    result = cli("validate", data=None, env={"PAKAZ_DATA": str(MINI)})
    assert result.exit_code == 0
    assert result.stdout.startswith(f"OK: {MINI}: ")


# --- validate: one test per kind of problem ----------------------------------------------------


def check_problems(cli: Cli, kb: Path, expected: list[str]) -> None:
    result = cli("validate", str(kb), data=None)
    assert result.exit_code == 1
    assert result.stdout == ""
    n = len(expected)
    assert problems_of(result, kb) == [*expected, f"{n} problem{'s' if n != 1 else ''} found in KB"]


def test_validate_reports_yaml_syntax_error(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"sources.yaml": [("  title: The article", "  title: [The article")]})
    result = cli("validate", str(kb), data=None)
    assert result.exit_code == 1
    assert problems_of(result, kb)[0] == "KB/sources.yaml:3: invalid YAML: did not find expected ',' or ']'"


def test_yaml_syntax_error_is_the_only_problem_reported(cli: Cli, kb_variant: Variant) -> None:
    # A file that does not parse must not also produce "unknown record" errors in the files that refer to it.
    kb = kb_variant({"events.yaml": [("  title: An embassy opens", "  title: [An embassy opens")]})
    check_problems(cli, kb, ["KB/events.yaml:23: invalid YAML: did not find expected ',' or ']'"])


def test_validate_reports_missing_required_field(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"events.yaml": [("  title: An embassy opens\n", "")]})
    check_problems(cli, kb, ["KB/events.yaml:19: missing required field 'title'"])


def test_validate_reports_wrong_type(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"indicators.yaml": [("year: 2022", "year: [2022]")], "events.yaml": [("[defence]", "defence")]})
    check_problems(
        cli,
        kb,
        [
            "KB/events.yaml:42: field 'sectors': expected a list, found 'defence'",
            "KB/indicators.yaml:24: field 'year': expected a four-digit year, found a list",
        ],
    )


def test_validate_reports_unknown_key_with_suggestion(cli: Cli, kb_variant: Variant) -> None:
    edit = ("  sectors: [diplomacy]\n  sources: [gov-record]", "  setcor: [diplomacy]\n  sources: [gov-record]")
    kb = kb_variant({"events.yaml": [edit]})
    check_problems(
        cli,
        kb,
        [
            "KB/events.yaml:24: unknown field 'setcor' (did you mean 'sectors'?)",
            "KB/events.yaml:19: missing required field 'sectors'",
        ],
    )


def test_validate_reports_impossible_day(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"events.yaml": [('date: "1995-03-01"', 'date: "2024-02-30"')]})
    check_problems(cli, kb, ["KB/events.yaml:20: field 'date': '2024-02-30' is not a day of 2024-02 (it has 29 days)"])


def test_validate_reports_impossible_month(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"agreements.yaml": [('date: "2016"', 'date: "2024-13"')]})
    check_problems(cli, kb, ["KB/agreements.yaml:12: field 'date': '2024-13' has no month 13"])


def test_validate_reports_duplicate_id_across_collections(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"agreements.yaml": [("id: lng-deal", "id: july-event")]})
    check_problems(cli, kb, ["KB/agreements.yaml:1: duplicate id 'july-event' (first used at KB/events.yaml:9)"])


def test_validate_reports_unknown_source(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"agreements.yaml": [("sources: [news-report]", "sources: [news-reprot]")]})
    check_problems(
        cli,
        kb,
        ["KB/agreements.yaml:1: unknown source 'news-reprot' (did you mean 'news-report'?); add it to sources.yaml"],
    )


def test_validate_reports_unknown_sector(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"agreements.yaml": [("sectors: [energy]", "sectors: [enrgy]")]})
    check_problems(cli, kb, ["KB/agreements.yaml:1: unknown sector 'enrgy' (did you mean 'energy'?); see sectors.yaml"])


def test_validate_reports_bad_vocabulary_value(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"agreements.yaml": [("verification: confirmed", "verification: confirmd")]})
    check_problems(
        cli,
        kb,
        [
            "KB/agreements.yaml:10: field 'verification': expected one of confirmed, reported, article-only, "
            "corrected, disputed; found 'confirmd' (did you mean 'confirmed'?)"
        ],
    )


def test_validate_reports_non_numeric_value(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"indicators.yaml": [("value: 1.2", "value: 1.2 percent")]})
    check_problems(
        cli,
        kb,
        ["KB/indicators.yaml:34: field 'value': expected a plain number like 72356176470.59, found '1.2 percent'"],
    )


def test_validate_reports_every_problem_at_once(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant(
        {
            "events.yaml": [('date: "1995-03-01"', 'date: "2024-13"')],
            "agreements.yaml": [("sectors: [energy]", "sectors: [enrgy]")],
            "indicators.yaml": [("value: 1.2", "value: lots")],
        }
    )
    result = cli("validate", str(kb), data=None)
    assert result.exit_code == 1
    lines = problems_of(result, kb)
    assert lines[-1] == "3 problems found in KB"
    assert [line.split(": ")[0] for line in lines[:-1]] == [
        "KB/events.yaml:20",
        "KB/indicators.yaml:34",
        "KB/agreements.yaml:1",
    ]


def test_validate_reports_missing_directory(cli: Cli, tmp_path: Path) -> None:
    result = cli("validate", str(tmp_path / "nowhere"), data=None)
    assert result.exit_code == 1
    assert "nowhere" in result.stderr and "not found" in result.stderr


def test_other_commands_refuse_an_invalid_kb(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"events.yaml": [('date: "1995-03-01"', 'date: "2024-13"')]})
    result = cli("timeline", data=kb)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {kb}/events.yaml:20: field 'date': '2024-13' has no month 13\n"


# --- YAML 1.1 never guesses -----------------------------------------------------------------


def test_yaml_11_values_stay_text(kb_variant: Variant) -> None:
    kb = load(
        kb_variant(
            {
                "meta.yaml": [('version: "0.9.0"', "version: 1.10")],
                "events.yaml": [
                    ('date: "1995-07-02"', "date: 1995-07-02"),
                    ('date: "1995-03-01"', "date: 1995-03"),
                    ("title: An embassy opens", "title: NO"),
                    ("place: Baku, Azerbaijan", "place: on"),
                    ("title: Energy visit", "title: 1:30"),
                ],
                "indicators.yaml": [("year: 2019\n", "year: 2019\n  period: 0755\n")],
                "sources.yaml": [("kind: official", "kind: official\n  language: no")],
            }
        ),
        use_cache=False,
    )
    assert kb.meta.version == "1.10"
    events = {e.id: e for e in kb.events}
    assert events["july-event"].date == "1995-07-02"
    assert events["july-event"].place == "on"
    assert events["march-event"].date == "1995-03"
    assert events["march-event"].title == "NO"
    assert events["energy-visit"].title == "1:30"
    assert {i.id: i for i in kb.indicators}["ict-share-pak-2019"].period == "0755"
    assert {s.id: s for s in kb.sources}["gov-record"].language == "no"


def test_yaml_11_number_guesses_are_refused_not_converted(kb_variant: Variant) -> None:
    kb = kb_variant({"indicators.yaml": [("value: 1.2", "value: 1:30"), ("value: 78810000000", "value: 0755")]})
    _, problems = parse_dir(kb)
    assert [p.message for p in problems] == [
        "field 'value': '0755' has a leading zero, which YAML 1.1 reads as octal; write it without",
        "field 'value': expected a plain number like 72356176470.59, found '1:30'",
    ]


def test_yaml_11_booleans_are_not_vocabulary(kb_variant: Variant) -> None:
    kb = kb_variant({"agreements.yaml": [("status: signed", "status: yes")]})
    _, problems = parse_dir(kb)
    assert [p.message for p in problems] == [
        "field 'status': expected one of announced, signed, ratified, in-force, ended; found 'yes'"
    ]


# --- choosing a KB ------------------------------------------------------------------------------


def test_data_option_selects_the_kb(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"events.yaml": [("title: An embassy opens", "title: A different embassy")]})
    result = cli("timeline", "--fields", "title", "--no-header", "--query", "embassy", data=kb)
    assert result.stdout == "A different embassy\n"


def test_pakaz_data_env_selects_the_kb(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"events.yaml": [("title: An embassy opens", "title: A different embassy")]})
    args = ("timeline", "--fields", "title", "--no-header", "--query", "embassy")
    assert cli(*args, data=None, env={"PAKAZ_DATA": str(kb)}).stdout == "A different embassy\n"
    # An explicit --data wins over the environment.
    assert cli(*args, data=MINI, env={"PAKAZ_DATA": str(kb)}).stdout == "An embassy opens\n"


def test_version_names_tool_and_kb(cli: Cli) -> None:
    result = cli("--version", data=None, env={"PAKAZ_DATA": str(MINI)})
    assert result.exit_code == 0
    assert result.stdout == f"pakaz {version('pakaz')} (knowledge base 0.9.0, 2026-01-02)\n"


def test_version_follows_data_option(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"meta.yaml": [('version: "0.9.0"', 'version: "7.7.7"')]})
    result = cli("--version", data=kb)
    assert result.exit_code == 0
    assert result.stdout == f"pakaz {version('pakaz')} (knowledge base 7.7.7, 2026-01-02)\n"


# --- cache basics ---------------------------------------------------------------------------------


def test_cache_is_written_where_pakaz_cache_dir_says(_isolated_env: Path) -> None:
    assert cache_dir() == _isolated_env
    first = load(MINI)
    # The KB's database; the lock that parallel first runs take, and which KB directory it is of.
    names = sorted("".join(p.suffixes) for p in _isolated_env.iterdir())
    assert names == [".lock", ".path", ".sqlite"]
    assert load(MINI) == first


def test_cache_can_be_turned_off(_isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAKAZ_NO_CACHE", "1")
    load(MINI)
    assert list(_isolated_env.iterdir()) == []


def test_edited_kb_is_reloaded_not_served_from_cache(kb_variant: Variant) -> None:
    kb = kb_variant()
    assert load(kb).events[0].title == "A visit in 1995 to Türkiye"
    path = kb / "events.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("to Türkiye", "to Turkey"), encoding="utf-8")
    assert load(kb).events[0].title == "A visit in 1995 to Turkey"


def test_cached_invalid_kb_is_impossible(kb_variant: Variant) -> None:
    kb = kb_variant()
    load(kb)
    path = kb / "events.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('"1995-03-01"', '"1995-02-30"'), encoding="utf-8")
    with pytest.raises(KBError):
        load(kb)
