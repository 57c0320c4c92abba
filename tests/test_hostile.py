"""Hostile and broken input: KBs pakaz did not write, odd terminals and environments, odd arguments.

Whatever goes wrong ends in one line on stderr naming FILE:LINE (or the option) with the
documented exit status: never a traceback, a hang, code execution or a corrupted terminal.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from conftest import MINI, pakaz_env
from pakaz import kb as kb_module
from pakaz import model, safeyaml
from pakaz.cache import cache_dir, cache_path
from pakaz.errors import KBError, Problem, printable
from pakaz.kb import parse_dir
from pakaz.safeyaml import YAMLProblem

Cli = Callable[..., Result]

# What must never reach a terminal raw: C0 controls other than tab and newline, DEL, C1
# controls, bidi marks/embeddings/overrides/isolates, line and paragraph separators.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def unsafe_in(text: str) -> list[str]:
    return sorted(set(UNSAFE.findall(text)))


def make_kb(
    where: Path,
    replace: Mapping[str, str | bytes] | None = None,
    append: Mapping[str, str] | None = None,
    remove: tuple[str, ...] = (),
) -> Path:
    """A copy of the mini KB with whole files replaced, text appended, or files removed."""
    shutil.copytree(MINI, where)
    for name, content in (replace or {}).items():
        if isinstance(content, bytes):
            (where / name).write_bytes(content)
        else:
            (where / name).write_text(content, encoding="utf-8")
    for name, text in (append or {}).items():
        with open(where / name, "a", encoding="utf-8") as f:
            f.write(text)
    for name in remove:
        (where / name).unlink()
    return where


def problems(directory: Path) -> list[str]:
    """Every problem of a KB directory, as printed, with the directory shortened to KB."""
    kb, found = parse_dir(directory)
    assert kb is None, "expected problems"
    return [str(p).replace(str(directory), "KB") for p in found]


def one_error_line(result: Result) -> str:
    """The single line a failed command wrote to stderr (asserting there is exactly one)."""
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    return lines[0]


# --- 1. not YAML, not UTF-8, empty, wrong shape ----------------------------------------------------


UNREADABLE = {
    "unclosed-flow": ("events.yaml", b"- id: [unclosed\n  date: x\n", "KB/events.yaml:2: invalid YAML: "),
    "tab-indent": ("events.yaml", b"- id: a\n\tdate: x\n", "KB/events.yaml:2: invalid YAML: "),
    "latin-1": ("events.yaml", b"- id: a\n  title: caf\xe9\n", "KB/events.yaml:2: not UTF-8 text (byte 0xe9); save"),
    "utf-16": (
        "events.yaml",
        "- id: a\n".encode("utf-16"),
        "KB/events.yaml:1: is UTF-16 text, not UTF-8; save the file",
    ),
    "empty": ("events.yaml", b"", "KB/events.yaml: file is empty; write [] for an empty collection"),
    "comment-only": (
        "events.yaml",
        b"# a comment\n\n",
        "KB/events.yaml: file is empty; write [] for an empty collection",
    ),
    "empty-document": ("meta.yaml", b"---\n...\n", "KB/meta.yaml: file is empty; write a mapping"),
    "two-documents": (
        "events.yaml",
        b"- id: a\n---\n- id: b\n",
        "KB/events.yaml:2: a second YAML document ('---') is not allowed; a KB file holds one",
    ),
    "mapping-at-top": (
        "events.yaml",
        b"id: not-a-list\n",
        "KB/events.yaml:1: expected a list of records (each starting",
    ),
    "scalar-at-top": (
        "events.yaml",
        b"just some text\n",
        "KB/events.yaml:1: expected a list of records (each starting",
    ),
    "scalar-record": (
        "events.yaml",
        b"- just text\n",
        "KB/events.yaml:1: expected a mapping of fields, found 'just text'",
    ),
    "meta-is-a-list": ("meta.yaml", b"- version\n- date\n", "KB/meta.yaml:1: expected a mapping with version and date"),
    "raw-escape": (
        "events.yaml",
        b"- id: a\n  title: x\x1b[2Jy\n",
        "KB/events.yaml:2: a raw control character (U+001B) is not allowed in YAML; "
        'remove it, or write it as an escape in a double-quoted string, e.g. "\\x1b"',
    ),
    "raw-nul": (
        "events.yaml",
        b"- id: a\n\n  title: \x00\n",
        "KB/events.yaml:3: a raw control character (U+0000) is not",
    ),
    "yaml-2.0": ("events.yaml", b"%YAML 2.0\n---\n- id: a\n", "KB/events.yaml:1: invalid YAML: "),
}


@pytest.mark.parametrize(("name", "content", "expected"), list(UNREADABLE.values()), ids=list(UNREADABLE))
def test_unreadable_yaml_is_one_located_problem(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    found = problems(make_kb(tmp_path / "kb", replace={name: content}))
    assert any(p.startswith(expected) for p in found), found


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path, cli: Cli) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(MINI, kb)
    for path in kb.iterdir():
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = cli("validate", str(kb), data=None)
    assert result.exit_code == 0, result.stderr
    assert "5 events" in result.stdout


def test_lone_surrogates_are_a_problem_not_a_crash() -> None:
    with pytest.raises(YAMLProblem, match=r"^f:2: not UTF-8 text \(U\+D800\)"):
        safeyaml.parse("- a\n- b\ud800\n", "f")


# --- 2. YAML that tries to do more than hold data ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '- !!python/object/apply:os.system ["touch PWNED"]\n',
            "tags are not allowed (found '!!python/object/apply:os.system')",
        ),
        ("- !!python/name:os.system\n", "tags are not allowed (found '!!python/name:os.system')"),
        ('- {id: !!python/object/new:os.system ["touch PWNED"]}\n', "tags are not allowed"),
        ("- !<tag:yaml.org,2002:python/object/apply:os.system> [touch PWNED]\n", "tags are not allowed"),
        (
            "%TAG !py! tag:yaml.org,2002:python/\n---\n- !py!object/apply:os.system [touch PWNED]\n",
            "tags are not allowed",
        ),
        ("- {id: a, date: !!timestamp 2024-01-01}\n", "tags are not allowed (found '!!timestamp')"),
        ("- {id: a, value: !!float 1}\n", "tags are not allowed (found '!!float')"),
        ("- {id: a, title: !!binary aGVsbG8=}\n", "tags are not allowed (found '!!binary')"),
        ("- !record {id: a}\n", "tags are not allowed (found '!record')"),
        ("- !!set {a, b}\n", "tags are not allowed (found '!!set')"),
        ("- &first {id: a}\n", "anchors (&first) are not allowed; write the value out"),
        ("- id: &x a\n", "anchors (&x) are not allowed"),
        ("- *nowhere\n", "aliases (*nowhere) are not allowed; write the value out"),
        ("- {<<: {id: a}}\n", "merge keys (<<) are not allowed; write the fields out"),
        ("- ? [a, b]\n  : c\n", "mapping keys must be plain text, not a list or a mapping"),
        ("- {? {a: b} : c}\n", "mapping keys must be plain text, not a list or a mapping"),
    ],
)
def test_yaml_beyond_plain_data_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(YAMLProblem) as info:
        safeyaml.parse(text, "f")
    assert expected in str(info.value.problem)
    assert not (tmp_path / "PWNED").exists()


def test_an_alias_is_refused_at_its_anchor_line(tmp_path: Path) -> None:
    text = "- id: a\n  title: x\n- &b {id: b}\n- *b\n"
    assert problems(make_kb(tmp_path / "kb", replace={"events.yaml": text}))[0] == (
        "KB/events.yaml:3: anchors (&b) are not allowed; write the value out"
    )


def test_a_quoted_merge_key_is_only_a_key(tmp_path: Path) -> None:
    text = '- {id: a, "<<": b}\n'
    assert "unknown field '<<'" in "\n".join(problems(make_kb(tmp_path / "kb", replace={"events.yaml": text})))


# The "billion laughs": 10 levels of 10 aliases each, 10**10 strings once expanded.
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)
)


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path, cli: Cli) -> None:
    start = time.perf_counter()
    with pytest.raises(YAMLProblem, match=r"^f:1: anchors \(&a\) are not allowed"):
        safeyaml.parse(BILLION_LAUGHS, "f")
    kb = make_kb(tmp_path / "kb", replace={"events.yaml": "- " + BILLION_LAUGHS.replace("\n", "\n  ")})
    for command in (("validate",), ("timeline", "-f", "json"), ("timeline", "-f", "yaml"), ("overview",)):
        result = cli(*command, data=kb)
        assert result.exit_code == 1
        assert "events.yaml:1: anchors (&a) are not allowed" in result.stderr
    assert time.perf_counter() - start < 10


def test_duplicate_keys_are_reported_with_both_lines(tmp_path: Path) -> None:
    text = (
        (MINI / "events.yaml")
        .read_text(encoding="utf-8")
        .replace("  title: An embassy opens\n", "  title: An embassy opens\n  title: An embassy closes\n")
    )
    found = problems(make_kb(tmp_path / "kb", replace={"events.yaml": text}))
    assert found == ["KB/events.yaml:23: duplicate key 'title' (first given on line 22); keep one"]


def test_duplicate_keys_inside_a_flow_mapping(tmp_path: Path) -> None:
    with_duplicates = "- {id: a, id: b, sectors: [x], sectors: {y: z}}\n"
    data, found = safeyaml.parse(with_duplicates, "f")
    assert data == [{"id": "a", "sectors": ["x"]}]
    assert [p.message for p in found] == [
        "duplicate key 'id' (first given on line 1); keep one",
        "duplicate key 'sectors' (first given on line 1); keep one",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        "{a: " * 50_000,
        "- " * 50_000 + "x\n",
        "".join(" " * i + "a:\n" for i in range(3000)),
        "".join(" " * i + "- \n" for i in range(3000)),
    ],
    ids=["open-brackets", "balanced-brackets", "flow-mappings", "block-sequences", "block-mappings", "indented-items"],
)
@pytest.mark.parametrize("parser", ["C", "Python"])
def test_deep_nesting_is_refused_without_recursion(monkeypatch: pytest.MonkeyPatch, text: str, parser: str) -> None:
    if parser == "C" and not hasattr(yaml, "CBaseLoader"):
        pytest.skip("PyYAML was built without libyaml")
    loader = yaml.CBaseLoader if parser == "C" else yaml.BaseLoader
    monkeypatch.setattr(safeyaml, "_loader_class", lambda: loader)
    start = time.perf_counter()
    with pytest.raises(YAMLProblem) as info:
        safeyaml.parse(text, "f")
    message = info.value.problem.message
    assert "nesting deeper than 32 levels" in message or "exceeded maximum nesting depth" in message, message
    assert time.perf_counter() - start < 10


def test_nesting_up_to_the_limit_is_data() -> None:
    data, _ = safeyaml.parse("[" * 32 + "x" + "]" * 32, "f")
    for _ in range(31):
        data = data[0]
    assert data == ["x"]


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safeyaml, "MAX_BYTES", 2000)  # larger than every file of the mini KB
    kb = make_kb(tmp_path / "kb", append={"sources.yaml": "# padding\n" * 200})
    assert problems(kb) == [
        "KB/sources.yaml: file is larger than 0 MiB, the limit for a KB file; check that it is the right file"
    ]


def test_huge_values_and_keys_are_quoted_short(tmp_path: Path) -> None:
    long_value = "x" * 100_000
    text = f"- id: a\n  {'x' * 1000}: 1\n  verification: {long_value}\n"  # YAML keys stop at 1024 characters
    found = problems(make_kb(tmp_path / "kb", replace={"events.yaml": text}))
    assert all(len(p) < 300 for p in found), [len(p) for p in found]
    assert f"unknown field '{'x' * 59}…'" in found[0]


# --- 3. YAML 1.1 surprises in values ------------------------------------------------------------


def test_yaml_11_lookalikes_stay_as_written(tmp_path: Path, cli: Cli) -> None:
    event = """- id: norway-event
  date: 2024-07-12
  type: visit
  title: NO
  summary: on
  sectors: [diplomacy]
  actors: [yes, Off, y, n, ~no, 1:30, 0755, 0x1F, .inf, 2001-12-14t21:59:43.10-05:00]
  place: 1_000
  sources: [article]
  verification: article-only
"""
    kb = make_kb(
        tmp_path / "kb",
        append={"events.yaml": event},
        replace={"meta.yaml": 'version: 1.10\ndate: "2026"\ntitle: Off\n'},
    )
    shown = json.loads(cli("show", "norway-event", "-f", "json", data=kb).stdout)
    assert (shown["date"], shown["title"], shown["summary"], shown["place"]) == ("2024-07-12", "NO", "on", "1_000")
    assert shown["actors"] == [
        "yes",
        "Off",
        "y",
        "n",
        "~no",
        "1:30",
        "0755",
        "0x1F",
        ".inf",
        "2001-12-14t21:59:43.10-05:00",
    ]
    assert cli("validate", data=kb).stdout.startswith(f"OK: {kb}: knowledge base 1.10 (2026)")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("value", "1:30", "field 'value': expected a plain number like 72356176470.59, found '1:30'"),
        ("value", "0755", "field 'value': '0755' has a leading zero, which YAML 1.1 reads as octal; write it without"),
        ("value", "0x1F", "found '0x1F'"),
        ("value", "0o17", "found '0o17'"),
        ("value", "1_000", "found '1_000'"),
        ("value", "+12", "found '+12'"),
        ("value", ".inf", "found '.inf'"),
        ("value", ".NaN", "found '.NaN'"),
        ("value", "1e999", "field 'value': '1e999' is too large for a number; check the exponent"),
        ("value", "-1.5e400", "'-1.5e400' is too large for a number"),
        ("value", "1e-400", "field 'value': '1e-400' is too small to be told apart from 0; check the exponent"),
        ("value", "1" + "0" * 5000, "field 'value': a number of 5001 characters is too long; write at most 100"),
        ("value", "١٢٣", "field 'value': expected a plain number like 72356176470.59, found '١٢٣'"),
        ("value", "１２３", "found '１２３'"),
        ("value", "yes", "found 'yes'"),
        ("value", "72.36 billion", "found '72.36 billion'"),
        ("year", "٢٠٢٣", "field 'year': expected a four-digit year, found '٢٠٢٣'"),
        ("year", "2023.0", "found '2023.0'"),
        ("year", "0999", "found '0999'"),
        ("country", "NO", "field 'country': expected one of PAK, AZE, PAK-AZE; found 'NO'"),
    ],
)
def test_numbers_are_kept_exactly_or_reported(tmp_path: Path, field: str, value: str, expected: str) -> None:
    record = {"id": "odd", "name": "gdp", "label": "L", "country": "PAK", "year": "2023", "value": "1"}
    record.update({"unit": "USD", "sources": "[article]", "verification": "confirmed", field: value})
    text = "- " + "\n  ".join(f"{k}: {v}" for k, v in record.items()) + "\n"
    found = problems(make_kb(tmp_path / "kb", append={"indicators.yaml": text}))
    assert len(found) == 1 and found[0].startswith("KB/indicators.yaml:"), found
    assert expected in found[0]


@pytest.mark.parametrize(
    ("value", "kept"),
    [("0", 0), ("-0.0", -0.0), ("1e-300", 1e-300), ("72356176470.59", 72356176470.59), ("9" * 100, int("9" * 100))],
)
def test_plain_numbers_keep_their_value(value: str, kept: float) -> None:
    parsed = model.number(value)
    assert parsed == kept and type(parsed) is type(kept)


@pytest.mark.parametrize(
    "value",
    [
        "2024-02-30",
        "2023-02-29",
        "2024-13",
        "0000",
        "2024-7-12",
        "２０２４",
        "2024-0７",
        "2001-12-14t21:59:43.10-05:00",
    ],
)
def test_impossible_and_foreign_dates_are_reported(tmp_path: Path, value: str) -> None:
    text = (MINI / "events.yaml").read_text(encoding="utf-8").replace('date: "1995-03-01"', f'date: "{value}"')
    found = problems(make_kb(tmp_path / "kb", replace={"events.yaml": text}))
    assert len(found) == 1 and found[0].startswith("KB/events.yaml:20: field 'date': "), found


# --- 4. wrong records: every command fails cleanly with FILE:LINE --------------------------------


def _edit(name: str, old: str, new: str) -> dict[str, tuple[str, str]]:
    return {name: (old, new)}


BROKEN: dict[str, tuple[dict[str, tuple[str, str]], str]] = {
    "missing-field": (
        _edit("events.yaml", "  title: An embassy opens\n", ""),
        "events.yaml:19: missing required field 'title'",
    ),
    "mistyped-field": (
        _edit("events.yaml", "sectors: [defence]", "sectors: defence"),
        "events.yaml:42: field 'sectors': expected a list",
    ),
    "unknown-key": (
        _edit("events.yaml", "  title: An embassy opens", "  titel: An embassy opens"),
        "events.yaml:22: unknown field 'titel'",
    ),
    "impossible-date": (
        _edit("events.yaml", '"1995-03-01"', '"1995-02-29"'),
        "events.yaml:20: field 'date': '1995-02-29' is not a day",
    ),
    "duplicate-id": (
        _edit("sources.yaml", "- id: news-report", "- id: july-event"),
        "duplicate id 'july-event' (first used at",
    ),
    "missing-source": (
        _edit("agreements.yaml", "sources: [news-report]", "sources: [news-reprot]"),
        "agreements.yaml:1: unknown source 'news-reprot'",
    ),
    "missing-sector": (
        _edit("events.yaml", "sectors: [defence]", "sectors: [defense-ministry]"),
        "events.yaml:37: unknown sector 'defense-ministry'",
    ),
    "non-numeric": (
        _edit("indicators.yaml", "value: 1.2", "value: 1.2 percent"),
        "indicators.yaml:34: field 'value': expected a plain number",
    ),
    "huge-number": (
        _edit("indicators.yaml", "value: 1.2", "value: 1" + "0" * 5000),
        "indicators.yaml:34: field 'value': a number of 5001",
    ),
    "bad-yaml": (_edit("sectors.yaml", "  label: Trade", "  label: [Trade"), "sectors.yaml:12: invalid YAML"),
}


def _broken_kb(where: Path, case: str) -> Path:
    edits, _ = BROKEN[case]
    kb = make_kb(where)
    for name, (old, new) in edits.items():
        text = (kb / name).read_text(encoding="utf-8")
        assert text.count(old) == 1, (name, old)
        (kb / name).write_text(text.replace(old, new), encoding="utf-8")
    return kb


# Arguments that make each command load the KB; a command added without an entry here fails the test below.
COMMAND_ARGS: dict[str, list[str]] = {
    "timeline": [],
    "agreements": ["--sector", "energy"],
    "indicators": ["--chart"],
    "envoys": ["--as-of", "now"],
    "search": ["visit"],
    "sources": ["article"],
    "sectors": ["-f", "json"],
    "errata": ["-f", "table"],
    "show": ["july-event"],
    "cite": ["july-event", "--style", "bibtex"],
    "overview": [],
    "export": ["{tmp}/out.db"],
}


def test_every_command_is_covered() -> None:
    import typer.main

    from pakaz.cli import app

    assert sorted(typer.main.get_command(app).commands) == sorted([*COMMAND_ARGS, "validate"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_every_command_fails_cleanly_on_a_broken_kb(tmp_path: Path, cli: Cli, case: str) -> None:
    kb = _broken_kb(tmp_path / "kb", case)
    expected = BROKEN[case][1]
    for command, args in COMMAND_ARGS.items():
        result = cli(command, *[a.replace("{tmp}", str(tmp_path)) for a in args], data=kb)
        assert result.exit_code == 1, (command, result.stdout, result.stderr)
        line = one_error_line(result)
        assert re.match(rf"Error: {re.escape(str(kb))}/\w+\.yaml:\d+: ", line), line
        assert expected in line, (command, line)
    assert not (tmp_path / "out.db").exists()
    result = cli("validate", data=kb)
    assert result.exit_code == 1 and result.stdout == ""
    assert any(expected in line for line in result.stderr.splitlines()), result.stderr


def test_many_broken_references_are_checked_in_seconds(tmp_path: Path) -> None:
    """Each "did you mean" scans every id: a budget keeps 2,000 x 2,000 scans from taking minutes."""
    sources = "".join(f"- id: source-{i:05d}\n  title: T\n  publisher: P\n  kind: news\n" for i in range(2000))
    events = "".join(
        f"- id: event-{i:05d}\n  date: null\n  type: visit\n  title: T\n  summary: S\n  sectors: [trade]\n"
        f"  sources: [sourec-{i:05d}]\n  verification: article-only\n"
        for i in range(2000)
    )
    kb = make_kb(tmp_path / "kb", append={"sources.yaml": sources, "events.yaml": events})
    start = time.perf_counter()
    found = problems(kb)
    assert time.perf_counter() - start < 30
    assert len(found) == 2000
    assert "unknown source 'sourec-00000' (did you mean 'source-00000'" in found[0]
    assert found[-1].endswith("unknown source 'sourec-01999'; add it to sources.yaml")


# --- 5. files and paths -----------------------------------------------------------------------


def test_missing_kb_directory(cli: Cli, tmp_path: Path) -> None:
    line = one_error_line(cli("timeline", data=tmp_path / "nowhere"))
    assert (
        line
        == f"Error: {tmp_path}/nowhere: KB directory not found; pass --data DIR (or set PAKAZ_DATA) to a KB directory"
    )


def test_a_file_where_the_kb_directory_should_be(cli: Cli) -> None:
    line = one_error_line(cli("timeline", data=MINI / "events.yaml"))
    assert line.endswith("events.yaml: is a file, not a KB directory; pass the directory that holds meta.yaml")


def test_a_kb_directory_that_is_a_symlink_loop(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    line = one_error_line(cli("timeline", data=tmp_path / "loop"))
    assert line.startswith(f"Error: {tmp_path}/loop: cannot open the KB directory: ")


def test_a_kb_path_too_long_for_the_system(cli: Cli, tmp_path: Path) -> None:
    line = one_error_line(cli("timeline", data=tmp_path / ("a" * 5000)))
    assert "cannot open the KB directory" in line


def test_missing_collection_file(cli: Cli, tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb", remove=("sectors.yaml",))
    assert one_error_line(cli("sectors", data=kb)).startswith(f"Error: {kb}/sectors.yaml: missing collection file; ")


def test_a_directory_where_a_file_should_be(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb", remove=("errata.yaml",))
    (kb / "errata.yaml").mkdir()
    assert problems(kb)[0] == "KB/errata.yaml: is a directory, expected a YAML file"


def test_a_symlink_loop_where_a_file_should_be(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb", remove=("errata.yaml",))
    (kb / "errata.yaml").symlink_to("errata.yaml")
    assert problems(kb)[0] == "KB/errata.yaml: is a loop of symbolic links; make it point to a real file"


def test_a_dangling_symlink_where_a_file_should_be(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb", remove=("errata.yaml",))
    (kb / "errata.yaml").symlink_to("gone.yaml")
    assert problems(kb)[0] == "KB/errata.yaml: is a symbolic link to a file that does not exist; fix or remove the link"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_an_unreadable_file(tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    (kb / "errata.yaml").chmod(0)
    try:
        assert (
            problems(kb)[0]
            == "KB/errata.yaml: permission denied: cannot read the file; check its permissions (chmod a+r)"
        )
    finally:
        (kb / "errata.yaml").chmod(0o644)


def test_permission_denied_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as the chmod test, but also where the tests run as root."""
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("errata.yaml"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    kb = make_kb(tmp_path / "kb")
    monkeypatch.setattr(os, "open", refuse)
    assert (
        problems(kb)[0] == "KB/errata.yaml: permission denied: cannot read the file; check its permissions (chmod a+r)"
    )


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "/dev/null"])
def test_a_device_or_fifo_is_refused_without_reading(tmp_path: Path, special: str) -> None:
    kb = make_kb(tmp_path / "kb", remove=("events.yaml",))
    if special == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(kb / "events.yaml")  # opening it for reading would wait for a writer forever
    elif not os.path.exists(special):
        pytest.skip(f"no {special} here")
    else:
        (kb / "events.yaml").symlink_to(special)
    script = f"from pathlib import Path; from pakaz.kb import parse_dir; print(parse_dir(Path({str(kb)!r}))[1][0])"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (
        result.stdout
        == f"{kb}/events.yaml: is not a regular file (a device, FIFO or socket); point it at a YAML file\n"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_the_cache_directory_does_not_hang(_isolated_env: Path, tmp_path: Path) -> None:
    kb = make_kb(tmp_path / "kb")
    cache = cache_path(kb, cache_dir())  # the same file the process will look for: same PAKAZ_CACHE_DIR
    cache.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(cache)
    result = pakaz(["--data", str(kb), "timeline"], _isolated_env, timeout=60)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.startswith(b"id\tdate")


# --- 6. text that attacks the terminal or the renderer -----------------------------------------

EVIL_YAML = (
    r'"[bold]B[/] [/] [link=https://evil.example]L[/link] [citation needed] \e[2J\e[1;1H \e]0;TITLE\a '
    r"\e]8;;https://evil.example\e\\X\e]8;;\e\\ \e]52;c;cHduZWQ=\a \0\b\x7f\N\x9b31m "
    r'\u202eRTL\u202c \u2066\u061c\u200f\L\P end"'
)
EVIL: str = yaml.safe_load(EVIL_YAML)
EVIL_SHOWN = "\\x1b[2J\\x1b[1;1H \\x1b]0;TITLE\\x07"  # how a terminal shows part of it


def evil_kb(where: Path) -> Path:
    e = EVIL_YAML
    return make_kb(
        where,
        replace={"meta.yaml": f'version: "0.9.0"\ndate: "2026-01-02"\ntitle: {e}\n'},
        append={
            "sources.yaml": f"- id: evil-src\n  title: {e}\n  publisher: {e}\n  kind: news\n"
            # A URL with control characters is refused by validate (tests/test_attacks.py); this one
            # carries what is valid in a URL and still means something to a careless renderer.
            f'  url: "https://evil.example/%1B]52;c;cHduZWQ=%07?[bold]x[/]"\n  notes: {e}\n',
            "sectors.yaml": f"- id: evil\n  label: {e}\n  description: {e}\n",
            "events.yaml": f'- id: evil-event\n  date: "2025-01-01"\n  type: recognition\n  title: {e}\n'
            f"  summary: {e}\n  sectors: [evil]\n  actors: [{e}]\n  place: {e}\n  sources: [evil-src]\n"
            f"  verification: article-only\n  notes: {e}\n",
            "agreements.yaml": f'- id: evil-agreement\n  date: "2025"\n  title: {e}\n  type: mou\n  sectors: [evil]\n'
            f"  parties: [{e}]\n  signatories: [{e}]\n  place: {e}\n  summary: {e}\n  sources: [evil-src]\n"
            "  verification: article-only\n",
            "indicators.yaml": f"- id: evil-ind\n  name: gdp\n  label: {e}\n  country: PAK\n  year: 2025\n"
            f"  period: {e}\n  value: 5\n  unit: USD\n  sources: [evil-src]\n  verification: article-only\n",
            "errata.yaml": f"- id: evil-erratum\n  claim: {e}\n  finding: {e}\n  status: disputed\n"
            f"  records: [evil-event]\n  sources: [article, evil-src]\n  notes: {e}\n",
        },
    )


@pytest.fixture(scope="module")
def evil(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return evil_kb(tmp_path_factory.mktemp("evil") / "kb")


FORMATS = ["table", "tsv", "csv", "json", "jsonl", "yaml", "markdown"]
LISTINGS = [
    ["timeline"], ["agreements"], ["indicators"], ["search", "evil"], ["sources"], ["sectors"], ["errata"],
    ["sources", "evil-src"], ["show", "evil-event"], ["show", "evil-agreement"], ["show", "evil-ind"],
    ["show", "evil-src"], ["show", "evil"], ["show", "evil-erratum"], ["overview"],
]  # fmt: skip


def _texts(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [t for v in data.values() for t in _texts(v)]
    if isinstance(data, list):
        return [t for v in data for t in _texts(v)]
    return []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", LISTINGS, ids=" ".join)
def test_kb_text_never_drives_the_terminal(evil: Path, cli: Cli, command: list[str], fmt: str) -> None:
    result = cli(*command, "-f", fmt, data=evil, env={"COLUMNS": "1000"})
    if command == ["overview"] and fmt in ("tsv", "csv"):  # sections, not rows: refused
        assert result.exit_code == 2 and result.stdout == ""
        return
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert unsafe_in(out.replace("\r\n", "\n") if fmt == "csv" else out) == []
    assert result.stderr == ""
    if fmt in ("json", "jsonl"):
        data = [json.loads(line) for line in out.splitlines()] if fmt == "jsonl" else json.loads(out)
        assert EVIL in _texts(data)  # carried exactly, only escaped
    elif fmt == "yaml":
        assert EVIL in _texts(yaml.safe_load(out))
    elif fmt == "markdown" and command != ["overview"]:
        # Markdown escapes backslashes and brackets, so that a renderer shows the text as written.
        assert EVIL_SHOWN.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]") in out
        assert "\\[bold\\]B\\[/\\] \\[/\\] \\[link=https://evil.example\\]L\\[/link\\]" in out
    else:
        assert EVIL_SHOWN in out
        assert "[bold]B[/] [/] [link=https://evil.example]L[/link]" in out
    if fmt == "csv" and command != ["overview"]:
        rows = list(csv.reader(io.StringIO(out, newline="")))
        assert len({len(row) for row in rows}) == 1  # quoting kept every row whole


@pytest.mark.parametrize(
    "command",
    [["indicators", "--chart"], ["cite", "evil-event"], ["cite", "evil-event", "--style", "bibtex"]],
    ids=" ".join,
)
def test_charts_and_citations_never_drive_the_terminal(evil: Path, cli: Cli, command: list[str]) -> None:
    result = cli(*command, data=evil, env={"COLUMNS": "1000"})
    assert result.exit_code == 0, result.stderr
    assert unsafe_in(result.stdout) == []
    assert "x1b" in result.stdout


def test_csl_json_carries_kb_text_exactly(evil: Path, cli: Cli) -> None:
    out = cli("cite", "evil-event", "--style", "csl-json", data=evil).stdout
    assert unsafe_in(out) == []
    assert EVIL in _texts(json.loads(out))


def test_validate_ok_line_and_version_escape_kb_text(tmp_path: Path, cli: Cli) -> None:
    kb = make_kb(tmp_path / "kb", replace={"meta.yaml": 'version: "1\\e]0;x\\a"\ndate: "2026"\ntitle: t\n'})
    result = cli("validate", data=kb)
    assert result.exit_code == 0 and unsafe_in(result.stdout) == []
    assert "knowledge base 1\\x1b]0;x\\x07 (2026)" in result.stdout
    version = cli("--version", data=kb)
    assert unsafe_in(version.stdout) == [] and "1\\x1b]0;x\\x07" in version.stdout


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('- id: a\n  "\\e]0;pwned\\a\\u202e": 1\n', "unknown field '\\x1b]0;pwned\\x07\\u202e'"),
        ("- !<tag:%1b[2J%07> x\n", "tags are not allowed (found 'tag:\\x1b[2J\\x07')"),
        ('- {id: a, verification: "\\e[2Jconfirmed\\x9b"}\n', "found '\\x1b[2Jconfirmed\\x9b'"),
        ('- {id: "\\e[31mred"}\n', "expected a lowercase slug like 'gdp-pak-2023' ([a-z0-9-]), found '\\x1b[31mred'"),
        ("- !<tag:%E2%80%AEevil> x\n", "tags are not allowed (found 'tag:\\u202eevil')"),
        ('- {id: a, "long\\nkey": 1}\n', "unknown field 'long\\x0akey'"),
    ],
)
def test_kb_text_quoted_in_errors_is_escaped(tmp_path: Path, cli: Cli, text: str, shown: str) -> None:
    kb = make_kb(tmp_path / "kb", replace={"events.yaml": text})
    result = cli("validate", data=kb)
    assert result.exit_code == 1 and unsafe_in(result.stderr) == []
    assert shown in result.stderr
    line = one_error_line(cli("timeline", data=kb))
    assert unsafe_in(line) == [] and "events.yaml:" in line


def test_a_hostile_file_name_is_escaped(tmp_path: Path, cli: Cli) -> None:
    kb = make_kb(tmp_path / "kb\u202e\x1b[2J", replace={"events.yaml": "- x\n"})
    result = cli("validate", data=kb)
    assert result.exit_code == 1 and unsafe_in(result.stderr) == []
    assert "kb\\u202e\\x1b[2J/events.yaml:1: expected a mapping of fields" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["show", "\x1b[2J\x1b]0;x\x07"],
        ["sources", "\u202eevil"],
        ["timeline", "--sector", "\x1b]52;c;cHduZWQ=\x07"],
        ["timeline", "--fields", "id,\x1b[2J"],
        ["agreements", "--type", "\x9b31m"],
        ["indicators", "--country", "\x1b[2J"],
        ["timeline", "--since", "\x1b[2J"],
    ],
)
def test_arguments_quoted_in_errors_are_escaped(cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code in (1, 2)
    assert unsafe_in(one_error_line(result)) == []


def test_problem_and_printable() -> None:
    assert printable("plain Bakı text") == "plain Bakı text"
    assert printable("a\tb\nc\x1b\x9b\u202e\u2028") == "a\\x09b\\x0ac\\x1b\\x9b\\u202e\\u2028"
    assert str(Problem("f\x1b", 2, "m\x07")) == "f\\x1b:2: m\\x07"
    assert str(KBError([Problem("f", 0, "\x1b[2J"), Problem("g", 1, "x")])).startswith(
        "f: \\x1b[2J (and 1 more problem"
    )


# --- 7. environments ---------------------------------------------------------------------------


def pakaz(
    args: list[str], cache: Path, env: Mapping[str, str] | None = None, shell: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m pakaz ARGS` (inside `shell`, a bash line with {cmd} for the command, if given)."""
    command = [sys.executable, "-m", "pakaz", *args]
    if shell is not None:
        import shlex

        command = ["bash", "-c", shell.format(cmd=shlex.join(command))]
    return subprocess.run(
        command, capture_output=True, env=pakaz_env(cache, **dict(env or {})), timeout=timeout, stdin=subprocess.DEVNULL
    )


@pytest.mark.parametrize(
    "env",
    [
        {"PYTHONIOENCODING": "ascii"},
        {"PYTHONIOENCODING": "latin-1"},
        {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "PYTHONIOENCODING": ""},
    ],
    ids=["ascii", "latin-1", "C-locale"],
)
@pytest.mark.parametrize(
    "args",
    [["timeline", "-f", "table"], ["show", "year-event", "-f", "table"], ["overview"], ["indicators", "--chart"],
     ["search", "turkiye"], ["sources", "gov-record", "-f", "table"], ["cite", "july-event"],
     ["timeline", "-f", "yaml"]],
    ids=" ".join,
)  # fmt: skip
def test_stdout_that_cannot_show_unicode(_isolated_env: Path, env: dict[str, str], args: list[str]) -> None:
    result = pakaz(["--data", str(MINI), *args], _isolated_env, env={**env, "COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert result.stdout
    if env.get("PYTHONIOENCODING") == "ascii":
        out = result.stdout.decode("ascii")  # nothing but ASCII, and no lines of \u2500
        assert "\\u2500" not in out and "\\u2501" not in out


@pytest.mark.parametrize(
    ("env", "shown"),
    [
        ({"PYTHONIOENCODING": "ascii"}, "t\\xfcrkiye-\\u202e"),
        ({"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}, "t\\udcc3\\udcbcrkiye-"),
    ],
    ids=["ascii", "C-locale"],
)
def test_unicode_arguments_with_an_ascii_terminal(_isolated_env: Path, env: dict[str, str], shown: str) -> None:
    result = pakaz(["--data", str(MINI), "show", "türkiye-\u202e"], _isolated_env, env=env)
    assert result.returncode == 1
    assert result.stderr.decode("ascii").startswith(f"Error: No record with id '{shown}")


@pytest.mark.parametrize("columns", ["1", "20", "1000", "0", "-5", "wide"])
@pytest.mark.parametrize(
    "args",
    [["timeline", "-f", "table"], ["show", "july-event", "-f", "table"], ["overview"], ["indicators", "--chart"],
     ["errata", "-f", "table"], ["sources", "gov-record", "-f", "table"], ["search", "visit", "-f", "table"]],
    ids=" ".join,
)  # fmt: skip
def test_narrow_and_wide_terminals(cli: Cli, columns: str, args: list[str]) -> None:
    result = cli(*args, env={"COLUMNS": columns})
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()
    if columns == "20":
        # A URL is never broken (it could no longer be clicked or copied): the terminal wraps it softly.
        lines = [line for line in result.stdout.splitlines() if not line.strip().startswith("https://")]
        assert max(len(line) for line in lines) <= 20


def test_term_dumb_has_no_escape_codes(cli: Cli) -> None:
    for args in (["timeline", "-f", "table"], ["overview"], ["indicators", "--chart"], ["show", "july-event"]):
        result = cli(*args, env={"TERM": "dumb"})
        assert result.exit_code == 0 and "\x1b" not in result.stdout


def test_stdout_closed(_isolated_env: Path) -> None:
    result = pakaz(["--data", str(MINI), "timeline"], _isolated_env, shell="{cmd} >&-")
    assert result.returncode == 1
    assert result.stderr == b"Error: standard output is closed; redirect it to a file or to /dev/null instead\n"


def test_stderr_closed_still_exits_with_the_status(_isolated_env: Path, tmp_path: Path) -> None:
    result = pakaz(["--data", str(tmp_path / "nowhere"), "timeline"], _isolated_env, shell="{cmd} 2>&-")
    assert result.returncode == 1 and result.stdout == b""
    result = pakaz(["--data", str(MINI), "timeline"], _isolated_env, shell="{cmd} 2>&-")
    assert result.returncode == 0 and result.stdout.startswith(b"id\tdate")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize(
    "args", [["timeline"], ["overview"], ["validate"], ["show", "july-event", "-f", "json"]], ids=" ".join
)
def test_a_full_disk(_isolated_env: Path, args: list[str]) -> None:
    result = pakaz(["--data", str(MINI), *args], _isolated_env, shell="{cmd} > /dev/full")
    assert result.returncode == 1
    assert result.stderr == b"Error: cannot write the output: No space left on device\n"


def test_a_reader_that_closes_early(_isolated_env: Path, tmp_path: Path) -> None:
    events = "".join(
        f'- id: e{i}\n  date: "2001"\n  type: visit\n  title: {"t" * 200}\n  summary: s\n  sectors: [trade]\n'
        "  sources: [article]\n  verification: article-only\n"
        for i in range(2000)
    )
    kb = make_kb(tmp_path / "kb", append={"events.yaml": events})
    for fmt in ("json", "table", "csv"):
        result = pakaz(
            ["--data", str(kb), "timeline", "-f", fmt], _isolated_env, shell="{cmd} | head -c 100 >/dev/null"
        )
        assert result.returncode == 0 and result.stderr == b"", result.stderr


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="needs /proc to see when pakaz is loading")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["INT", "TERM", "HUP"])
def test_ctrl_c_while_loading_exits_130_quietly(_isolated_env: Path, tmp_path: Path, signum: int) -> None:
    # SIGTERM (kill) and SIGHUP (a closed terminal) end a run as Ctrl-C does, with the same clean-up.
    events = "".join(
        f'- id: e{i}\n  date: "2001"\n  type: visit\n  title: T\n  summary: S\n  sectors: [trade]\n'
        "  sources: [article]\n  verification: article-only\n"
        for i in range(40_000)
    )
    kb = make_kb(tmp_path / "kb", append={"events.yaml": events})
    process = subprocess.Popen(
        [sys.executable, "-m", "pakaz", "--data", str(kb), "timeline"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=pakaz_env(_isolated_env),  # a first run: it parses, and would write the cache
    )
    try:
        deadline = time.monotonic() + 60
        # The YAML parser is imported when the KB starts loading: well inside the command.
        while "_yaml" not in Path(f"/proc/{process.pid}/maps").read_text() and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.1)
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert (process.returncode, out, err) == (130, b"", b"\nInterrupted.\n")
    assert [p.name for p in _isolated_env.glob(".tmp-*")] == []  # no half-written cache left behind


# --- 8. arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["timeline", "--limit", "0"], 0),
        (["timeline", "--limit", str(10**30)], 0),
        (["timeline", "--limit", "-1"], 2),
        (["timeline", "--limit", "many"], 2),
        (["timeline", "--limit", ""], 2),
        (["indicators", "--year", "0"], 2),
        (["indicators", "--year", str(10**30)], 2),
        (["timeline", "--since", "0000"], 2),
        (["timeline", "--since", "99999"], 2),
        (["timeline", "--until", "0000-00-00"], 2),
        (["timeline", "--since", "2024-02-30"], 2),
        (["timeline", "--since", ""], 2),
        (["timeline", "--since", "２０２０"], 2),
        (["timeline", "--until", "٢٠٢٠"], 2),
        (["timeline", "--since", "2020", "--until", "2019"], 2),
        (["timeline", "--since", "9999-12-31"], 0),
        (["timeline", "--query", ""], 0),
        (["timeline", "--query", "x" * 100_000], 0),
        (["search", ""], 2),
        (["search", "   "], 2),
        (["search", "x" * 100_000], 0),
        (["timeline", "--fields", "nope"], 2),
        (["timeline", "--fields", ""], 2),
        (["timeline", "--fields", " , "], 2),
        (["show", ""], 1),
        (["show", "x" * 10_000], 1),
        (["show", "../../../etc/passwd"], 1),
        (["timeline", "--format", "html"], 2),
        (["cite", "july-event", "--style", "no-such-style"], 2),
    ],
)
def test_extreme_arguments(cli: Cli, args: list[str], status: int) -> None:
    result = cli(*args)
    assert result.exit_code == status, result.stderr
    assert "Traceback" not in result.stderr
    if status == 1 or (status == 2 and "Usage:" not in result.stderr):
        one_error_line(result)


@pytest.mark.parametrize("text", [".*(", "[bold]", "(?i)visit", "\\", "a|b", "%s%n", "{0}"])
def test_query_text_is_plain_text_never_a_pattern(tmp_path: Path, cli: Cli, text: str) -> None:
    quoted = text.replace("\\", "\\\\")
    event = (
        f'- id: literal-event\n  date: "2001"\n  type: visit\n  title: "Has {quoted} inside"\n'
        "  summary: S\n  sectors: [trade]\n  sources: [article]\n  verification: article-only\n"
    )
    kb = make_kb(tmp_path / "kb", append={"events.yaml": event})
    for args in (["timeline", "--query", text], ["search", text]):
        result = cli(*args, "-f", "json", data=kb)
        assert result.exit_code == 0, result.stderr
        # Punctuation is never syntax: the record with the text is found, and no other (a pattern
        # such as a|b or .* would match others; (?i)visit is the word visit).
        found = [r["id"] for r in json.loads(result.stdout)]
        if text == "(?i)visit":
            assert "literal-event" in found
        else:
            assert found == ["literal-event"]


# --- fuzzing: the loader and the validator never fail with anything but a clean problem ----------

YAMLISH = st.text(
    alphabet=st.sampled_from(list("-:[]{},&*!|>'\"#%@`?~ \t\r\n\\.0123456789aeiouxyzAEN_\u00e9\u202e\x85\ufeff")),
    max_size=200,
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30),
    st.sampled_from(["NO", "on", "1:30", "0755", "2024-07-12", "~", "<<", "!!str", "&a", "*a", "1e999", "١٢"]),
)  # fmt: skip
FIELD_NAMES = sorted({f.name for _cls, fields in model.SCHEMAS.values() for f in fields} | {"version", "date", "title"})
DATA = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8)), children, max_size=6),
    ),
    max_leaves=25,
)
RECORDS = st.lists(st.dictionaries(st.sampled_from(FIELD_NAMES), DATA, max_size=12), max_size=4)


def _clean(found: list[Problem]) -> None:
    for problem in found:
        assert isinstance(problem, Problem)
        assert printable(str(problem)) == str(problem)  # nothing that could drive a terminal


@settings(max_examples=200, deadline=None)
@given(text=YAMLISH)
def test_fuzz_parse_text(text: str) -> None:
    try:
        data, soft = safeyaml.parse(text, "f")
    except YAMLProblem as e:
        _clean([e.problem])
    else:
        _clean(soft)
        assert data is None or isinstance(data, (str, list, dict))


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=200))
def test_fuzz_read_bytes(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "f.yaml"
    path.write_bytes(raw)
    try:
        safeyaml.read(str(path))
    except YAMLProblem as e:
        _clean([e.problem])


_FUZZ_FILES = [
    "events.yaml",
    "agreements.yaml",
    "indicators.yaml",
    "sources.yaml",
    "sectors.yaml",
    "errata.yaml",
    "meta.yaml",
]


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(_FUZZ_FILES),
    content=st.one_of(
        YAMLISH,
        DATA.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
        DATA.map(lambda d: yaml.safe_dump(d, default_flow_style=True)),
        RECORDS.map(lambda d: yaml.safe_dump(d, allow_unicode=True, sort_keys=False)),
    ),
)
def test_fuzz_validate_a_kb_file(tmp_path_factory: pytest.TempPathFactory, name: str, content: str) -> None:
    kb = make_kb(tmp_path_factory.mktemp("fuzz") / "kb", replace={name: content})
    result, found = parse_dir(kb)
    _clean(found)
    assert (result is None) == bool(found)
    if result is None:  # every command reports the first problem in one line
        with pytest.raises(KBError) as info:
            kb_module.load(kb, use_cache=False)
        assert printable(str(info.value)) == str(info.value)
