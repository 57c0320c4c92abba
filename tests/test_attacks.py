"""Attacks and faults beyond the hostile-input suite: URLs that break out of citations, references
counted twice, exports that would overwrite what they should not, names and environments that
crashed, search words and fields without bounds, signals, and Azerbaijani spellings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from conftest import MINI, pakaz_env
from pakaz import query
from pakaz.cache import cache_dir
from pakaz.errors import UsageError
from pakaz.fulltext import Term, terms
from pakaz.kb import load, parse_dir
from pakaz.textfold import MAX_WORDS, fold

Variant = Callable[..., Path]
Cli = Callable[..., Result]
Run = Callable[..., subprocess.CompletedProcess[str]]


def messages(kb: Path) -> list[str]:
    _, problems = parse_dir(kb)
    return [p.message for p in problems]


# --- 1. KB text that would change the structure of a citation ---------------------------------------


INJECTION = "https://example.org/x}}@misc{pwned,title={Injected},author={Mallory},year={2099}}%"


def test_a_url_that_would_close_a_bibtex_field_is_rejected_with_its_line(kb_variant: Variant, cli: Cli) -> None:
    kb = kb_variant({"sources.yaml": [("url: https://example.org/record", f"url: {INJECTION}")]})
    result = cli("validate", str(kb), data=None)
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first == f"{kb}/sources.yaml:9: field 'url': '}}' is not valid in a URL; percent-encode it"
    # Every command refuses the KB, so the URL never reaches a citation.
    assert cli("cite", "gov-record", "--style", "bibtex", data=kb).exit_code == 1


@pytest.mark.parametrize("char", ["{", "}", "|", "\\", "^", "`", "<", ">", '"', " ", "\x1b", "\x85", "\u202e"])
def test_characters_that_are_not_valid_in_a_url_are_rejected(kb_variant: Variant, char: str) -> None:
    escaped = json.dumps("https://example.org/a" + char + "b")
    kb = kb_variant({"sources.yaml": [("url: https://example.org/record", f"url: {escaped}")]})
    [message] = messages(kb)
    assert message.startswith("field 'url': ") and "is not valid in a URL" in message


def test_a_url_in_another_script_is_valid(kb_variant: Variant) -> None:
    kb = kb_variant({"sources.yaml": [("url: https://example.org/record", "url: https://example.org/präsident")]})
    assert messages(kb) == []


# --- 2. A reference listed twice counts twice --------------------------------------------------------


def test_a_source_listed_twice_is_refused_so_nothing_counts_it_twice(kb_variant: Variant, cli: Cli) -> None:
    kb = kb_variant(
        {
            "events.yaml": [
                (
                    "  sources: [article]\n  verification: article-only\n- id: july",
                    "  sources: [article, article]\n  verification: article-only\n- id: july",
                )
            ]
        }
    )
    result = cli("sources", data=kb)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {kb}/events.yaml:7: field 'sources': 'article' is listed twice\n"


# --- 3 and 4. Export: what it may replace, and file names -------------------------------------------------


def export(cli: Cli, *args: str) -> Result:
    return cli("export", *args, data=MINI)


def test_export_refuses_to_replace_a_file_that_is_not_a_database(cli: Cli, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    result = export(cli, str(notes), "--no-metadata")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {notes} exists and is not a SQLite database; give another name, or --force to replace it\n",
    )
    assert notes.read_text() == "my notes\n"
    assert export(cli, str(notes), "--no-metadata", "--force").exit_code == 0
    assert notes.read_bytes().startswith(b"SQLite format 3\x00")


def test_export_replaces_its_own_database_and_metadata(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "kb.db"
    assert export(cli, str(target)).exit_code == 0
    result = export(cli, str(target))
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "kb.metadata.json").read_text())["source"].startswith("pakaz knowledge base")


def test_export_refuses_to_replace_a_file_that_is_not_datasette_metadata(cli: Cli, tmp_path: Path) -> None:
    other = tmp_path / "kb.metadata.json"
    other.write_text('{"name": "notes", "items": [1, 2]}\n')
    result = export(cli, str(tmp_path / "kb.db"))
    assert result.exit_code == 1
    assert "kb.metadata.json exists and is not a Datasette metadata file" in result.stderr
    assert other.read_text() == '{"name": "notes", "items": [1, 2]}\n'
    assert not (tmp_path / "kb.db").exists()  # nothing written when one target is refused


def test_export_keeps_the_other_databases_of_a_shared_metadata_file(cli: Cli, tmp_path: Path) -> None:
    shared = tmp_path / "metadata.json"
    shared.write_text('{"databases": {"other": {"title": "Other"}}}\n')
    result = export(cli, str(tmp_path / "kb.db"), "--metadata", str(shared))
    assert result.exit_code == 0, result.stderr
    assert json.loads(shared.read_text())["databases"]["other"] == {"title": "Other"}


def test_export_never_replaces_a_link_or_a_system_path(cli: Cli, tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    assert export(cli, str(real), "--no-metadata").exit_code == 0
    link = tmp_path / "link.db"
    link.symlink_to(real)
    for target, why in ((link, "is a symbolic link"), (Path("/dev/stdout"), "is a system path")):
        result = export(cli, str(target), "--no-metadata", "--force")
        assert result.exit_code == 1
        assert why in result.stderr
    assert link.is_symlink()


def test_export_names_that_crashed(cli: Cli, tmp_path: Path, run: Run) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    result = export(cli, str(file / "x.db"), "--no-metadata")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot write {file}/x.db: {file} is a file, not a directory\n",
    )
    long = tmp_path / ("a" * 300 + ".db")
    result = export(cli, str(long), "--no-metadata")
    assert result.exit_code == 1 and result.stderr.endswith(": File name too long\n")
    # 250 bytes is a legal name; the temporary file beside it must be too.
    assert export(cli, str(tmp_path / ("b" * 247 + ".db")), "--no-metadata").exit_code == 0
    # An undecodable name and an escape sequence are printed as escapes (a real process: bytes in argv).
    done = run("export", os.fsdecode(bytes(tmp_path) + b"/\xff\x1b[31m.db"), "--no-metadata", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"Wrote {tmp_path}/\\xff\\x1b[31m.db: ")
    # A name that starts with '-' is suggested in a form that datasette cannot read as an option.
    done = run("export", "--", "-x.db", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "Publish it with: datasette ./-x.db -m ./-x.metadata.json"


def test_metadata_carries_no_raw_bidi_or_control_characters(cli: Cli, kb_variant: Variant, tmp_path: Path) -> None:
    kb = kb_variant({"meta.yaml": [("title: Fixture KB for tests", 'title: "\\u202eevil\\x9b Fixture KB for tests"')]})
    assert cli("export", str(tmp_path / "kb.db"), data=kb).exit_code == 0
    raw = (tmp_path / "kb.metadata.json").read_text(encoding="utf-8")
    assert "\u202e" not in raw and "\x9b" not in raw
    assert json.loads(raw)["title"].startswith("\u202eevil\x9b")


def test_export_sweeps_temporaries_of_killed_runs(cli: Cli, tmp_path: Path) -> None:
    old = tmp_path / ".pakaz-0badcafe.tmp"
    new = tmp_path / ".pakaz-00c0ffee.tmp"
    old.write_text("left by a killed run")
    new.write_text("another export at work")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert export(cli, str(tmp_path / "kb.db"), "--no-metadata").exit_code == 0
    assert not old.exists() and new.exists()


# --- 6. Search words ---------------------------------------------------------------------------------------


def test_repeated_search_words_count_once_and_their_number_is_bounded() -> None:
    kb = load(MINI)
    assert terms(kb, "Aliyev aliyev ALIYEV visit") == [Term((("aliyev",),), False), Term((("visit",),), True)]
    assert len(terms(kb, " ".join(["aliyev"] * 10_000))) == 1
    with pytest.raises(UsageError, match=f"at most {MAX_WORDS}"):
        terms(kb, " ".join(f"w{i}" for i in range(MAX_WORDS + 1)))


def test_ten_thousand_copies_of_a_word_search_as_one(cli: Cli) -> None:
    once = cli("search", "visit", "-f", "json").stdout
    assert cli("search", *["visit"] * 10_000, "-f", "json").stdout == once


# --- 7. Field sizes and list lengths ------------------------------------------------------------------------


def test_a_huge_field_and_a_huge_list_are_refused(kb_variant: Variant) -> None:
    kb = kb_variant({"events.yaml": [("  summary: In March.", "  summary: " + "x" * 5_000_001)]})
    started = time.monotonic()
    assert messages(kb) == ["field 'summary': text of 5,000,001 characters is too long; write at most 5,000"]
    assert time.monotonic() - started < 30
    refs = ", ".join(f"s{i}" for i in range(100_000))
    kb = kb_variant(
        {
            "events.yaml": [
                (
                    "  sources: [gov-record]\n  verification: confirmed\n- id: energy",
                    f"  sources: [{refs}]\n  verification: confirmed\n- id: energy",
                )
            ]
        }
    )
    assert messages(kb) == ["field 'sources': a list of 100,000 items is too long; give at most 200"]


def test_a_title_is_one_short_line(kb_variant: Variant) -> None:
    kb = kb_variant({"events.yaml": [("  title: An embassy opens", "  title: " + "An embassy opens " * 40)]})
    [message] = messages(kb)
    assert message.startswith("field 'title': a line of 679 characters") and message.endswith("write at most 500")


# --- 8. Signals ------------------------------------------------------------------------------------------------


# SIGTERM and SIGHUP during a load: tests/test_hostile.py, test_ctrl_c_while_loading_exits_130_quietly.


def test_the_cache_sweeps_temporaries_of_killed_runs(_isolated_env: Path) -> None:
    _isolated_env.mkdir(parents=True, exist_ok=True)
    old = _isolated_env / ".tmp-killed.sqlite"
    old.write_bytes(b"partial")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    load(MINI)  # no cache yet: it is written, and the directory swept
    assert not old.exists()


# --- 9. An empty path -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("--data", "", "timeline"), ("--data", "", "--version"), ("validate", "")])
def test_an_empty_path_is_a_usage_error(run: Run, args: tuple[str, ...]) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("Error: Invalid value for ") and "the path is empty" in line


# --- 11. The cache directory from the environment ----------------------------------------------------------------


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PAKAZ_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", ".")
    assert cache_dir() == tmp_path / ".cache" / "pakaz"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "pakaz"


def test_a_missing_home_means_no_cache(run: Run, tmp_path: Path) -> None:
    home = tmp_path / "nonexistent"
    env = {k: v for k, v in os.environ.items() if k not in ("PAKAZ_CACHE_DIR", "XDG_CACHE_HOME")}
    env["HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "pakaz", "--data", str(MINI), "timeline"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not home.exists()
    assert list(tmp_path.iterdir()) == []  # and nothing written where it ran


# --- 13. Azerbaijani letters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "typed"),
    [("Əliyev", "aliyev"), ("Aliyev", "Əliyev"), ("Şuşa", "shusha"), ("Shusha", "Şuşa"), ("Bakı", "baki"),
     ("Gəncə", "ganca"), ("Çingiz", "chingiz"), ("Ağdam", "agdam"), ("Göygöl", "goygol"), ("Türkiye", "turkiye")],
)  # fmt: skip
def test_azerbaijani_letters_fold_as_they_are_romanised(written: str, typed: str) -> None:
    assert fold(typed) in fold(written)


def test_search_finds_aliyev_spelled_in_azerbaijani(cli: Cli, kb_variant: Variant) -> None:
    kb = kb_variant({"events.yaml": [("title: An embassy opens", "title: Aliyev opens an embassy in Shusha")]})
    for typed in ("aliyev", "Əliyev", "ƏLİYEV", "Şuşa"):
        found = [json.loads(line)["id"] for line in cli("search", typed, "-f", "jsonl", data=kb).stdout.splitlines()]
        assert found == ["march-event"], typed
    assert [e.id for e in query.timeline(load(kb, use_cache=False), query="Şuşa")] == ["march-event"]


# --- 5. Planted or damaged cache files ---------------------------------------------------------------------


def _cache_file(cache: Path) -> Path:
    [path] = list(cache.glob("kb-*.sqlite"))
    return path


def test_a_cache_file_larger_than_its_kb_could_make_is_not_read(_isolated_env: Path, cli: Cli) -> None:
    expected = cli("timeline", "-f", "json").stdout
    path = _cache_file(_isolated_env)
    with open(path, "r+b") as f:  # 20 GB, sparse: costs nothing to make
        f.truncate(20 << 30)
    started = time.monotonic()
    assert cli("timeline", "-f", "json").stdout == expected
    assert time.monotonic() - started < 10
    assert path.stat().st_size < 1 << 30  # replaced by a good one


def test_a_garbage_file_in_place_of_the_cache_is_a_miss(_isolated_env: Path, cli: Cli) -> None:
    expected = cli("timeline", "-f", "json").stdout
    path = _cache_file(_isolated_env)
    # SQLite's magic and a header claiming a page size and page count far beyond the file.
    path.write_bytes(b"SQLite format 3\x00" + b"\xff\xff" + b"\x01\x01\x00\x40\x20\x20" + b"\xff" * 80)
    assert cli("timeline", "-f", "json").stdout == expected
    assert cli("search", "visit", "-f", "json").exit_code == 0


def test_another_kbs_cache_copied_over_this_one_is_a_miss(_isolated_env: Path, tmp_path: Path, cli: Cli) -> None:
    import shutil

    expected = cli("search", "visit", "-f", "json").stdout
    path = _cache_file(_isolated_env)
    other = tmp_path / "other"
    shutil.copytree(MINI, other)
    edited = (other / "events.yaml").read_text(encoding="utf-8").replace("Energy visit", "Another visit")
    (other / "events.yaml").write_text(edited, encoding="utf-8")
    load(other)
    [other_cache] = [p for p in _isolated_env.glob("kb-*.sqlite") if p != path]
    shutil.copyfile(other_cache, path)  # built from other files: its fingerprint says so
    result = cli("search", "visit", "-f", "json")
    assert (result.exit_code, result.stdout) == (0, expected)


def test_stored_lines_with_raw_controls_are_not_printed(_isolated_env: Path, cli: Cli) -> None:
    import sqlite3

    expected = cli("timeline", "-f", "jsonl").stdout
    path = _cache_file(_isolated_env)
    with sqlite3.connect(path) as db:  # a forged line that drives the terminal
        db.execute("UPDATE pakaz_events SET json = replace(json, 'An embassy', 'An' || char(27) || '[31m')")
    out = cli("timeline", "-f", "jsonl").stdout
    assert "\x1b" not in out
    assert out == expected


def test_every_statement_takes_its_values_as_parameters() -> None:
    # No user value is ever formatted into SQL: the only names in f-strings are this program's own.
    import re

    for module in ("query", "fulltext", "store", "kb", "export", "cache"):
        source = (Path(__file__).parents[1] / "src" / "pakaz" / f"{module}.py").read_text(encoding="utf-8")
        for statement in re.findall(r'f"(?:SELECT|INSERT|UPDATE|DELETE|CREATE)[^"]*"', source):
            for name in re.findall(r"\{([^}]*)\}", statement):
                assert name in _SQL_NAMES, (module, statement, name)


# The expressions allowed inside SQL f-strings: table and column names, placeholders, weights.
_SQL_NAMES = {
    "self.collection", "_table(collection)", "collection", "name", "table_name", "where", "order", "matched",
    "self.sql",
    "_WEIGHTS", "', '.join('?' * len(verification))", "marks", "', '.join(searched)", "diacritics",
    "table.name", "indexed", "suffix", "columns", "', '.join('?' * len(chosen))", "c", "table", "column",
    "' + '.join(conditions)", "' + '.join(in_title)", "' OR '.join(conditions)",
}  # fmt: skip


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="needs POSIX owners")
def test_a_cache_directory_others_can_write_is_not_trusted(run: Run, tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    cache.chmod(0o777)
    done = run("--data", str(MINI), "timeline", env={"PAKAZ_CACHE_DIR": str(cache)})
    assert done.returncode == 0
    assert (
        done.stderr
        == f"pakaz: not using the cache in {cache}: other users can write to it; fix that, or set PAKAZ_CACHE_DIR\n"
    )
    assert list(cache.iterdir()) == []
    assert done.stdout == run("--data", str(MINI), "timeline").stdout


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give files away")
def test_a_cache_file_of_another_user_is_rebuilt_not_believed(_isolated_env: Path, cli: Cli) -> None:
    cli("timeline")
    path = _cache_file(_isolated_env)
    os.chown(path, 65534, 65534)
    assert cli("timeline", "-f", "json").exit_code == 0
    assert path.stat().st_uid == os.geteuid()  # replaced by this user's own


# --- 8. Caches of deleted KBs ------------------------------------------------------------------------------


def test_the_cache_of_a_deleted_kb_is_evicted(_isolated_env: Path, tmp_path: Path) -> None:
    import shutil

    gone = tmp_path / "gone"
    shutil.copytree(MINI, gone)
    load(gone)
    assert len(list(_isolated_env.glob("kb-*.path"))) == 1
    shutil.rmtree(gone)
    load(MINI)  # another KB's first run writes its cache, and sweeps
    notes = list(_isolated_env.glob("kb-*.path"))
    assert [os.fsdecode(n.read_bytes()) for n in notes] == [os.path.realpath(MINI)]
    assert len(list(_isolated_env.glob("kb-*.sqlite"))) == 1


# --- 10. Parallel first runs --------------------------------------------------------------------------------


def test_parallel_first_runs_parse_the_kb_once(_isolated_env: Path, tmp_path: Path) -> None:
    import shutil

    kb = tmp_path / "kb"
    shutil.copytree(MINI, kb)
    events = "".join(
        f'- id: p{i}\n  date: "2001"\n  type: visit\n  title: T {i}\n  summary: S\n  sectors: [trade]\n'
        "  sources: [article]\n  verification: article-only\n"
        for i in range(20_000)
    )
    with open(kb / "events.yaml", "a", encoding="utf-8") as f:
        f.write(events)
    log = tmp_path / "parses.log"
    # Each process counts its own YAML parses in the log, then runs pakaz as the console script does.
    script = (
        "import sys, pakaz.kb as k\n"
        "real = k.parse_dir\n"
        "def counted(d):\n"
        f"    open({str(log)!r}, 'a').write('parse\\n')\n"
        "    return real(d)\n"
        "k.parse_dir = counted\n"
        "sys.argv = ['pakaz', '--data', sys.argv[1], 'timeline', '-f', 'jsonl']\n"
        "from pakaz.__main__ import run\n"
        "run()\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(kb)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=pakaz_env(_isolated_env),
        )
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0] * 6, [o[1] for o in outputs]
    assert len({out for out, _err in outputs}) == 1
    assert log.read_text().count("parse") == 1


# --- 12. Output read by browsers and spreadsheets ----------------------------------------------------------


def _kb_with_title(kb_variant: Variant, title: str) -> Path:
    return kb_variant({"events.yaml": [("title: An embassy opens", f"title: {json.dumps(title)}")]})


def test_markdown_cells_cannot_carry_html_or_links(kb_variant: Variant, cli: Cli) -> None:
    kb = _kb_with_title(
        kb_variant, "<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3))"
    )
    out = cli("timeline", "-f", "markdown", "--fields", "id,title", data=kb).stdout
    row = next(line for line in out.splitlines() if "march-event" in line)
    assert row == (
        "| march-event | &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; "
        "\\[click\\](javascript:alert(3)) |"
    )
    assert "<" not in row and "](" not in row.replace("\\](", "")


@pytest.mark.parametrize("title", ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_csv_text_cells_that_a_spreadsheet_would_run_are_defused(kb_variant: Variant, cli: Cli, title: str) -> None:
    import csv
    import io

    kb = _kb_with_title(kb_variant, title)
    out = cli("timeline", "-f", "csv", "--fields", "id,title", data=kb).stdout
    rows = {r["id"]: r["title"] for r in csv.DictReader(io.StringIO(out, newline=""))}
    assert rows["march-event"] == "'" + title
    # The switch writes the value exactly, for scripts that want it so.
    raw = cli("timeline", "-f", "csv", "--fields", "id,title", data=kb, env={"PAKAZ_CSV_FORMULAS": "keep"}).stdout
    kept = {r["id"]: r["title"] for r in csv.DictReader(io.StringIO(raw, newline=""))}["march-event"]
    assert kept == title


def test_csv_numbers_stay_numbers(cli: Cli, kb_variant: Variant) -> None:
    import csv
    import io

    kb = kb_variant({"indicators.yaml": [("value: 1.2", "value: -1.2")]})
    out = cli("indicators", "-f", "csv", "--fields", "id,value", "--no-header", data=kb).stdout
    values = {row[0]: row[1] for row in csv.reader(io.StringIO(out, newline=""))}
    assert values["ict-share-pak-2019"] == "-1.2"  # a negative number is not a formula
