"""The parsed-KB cache: never stale, never trusted blindly, never required; and the piped path stays lean."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import MINI, copy_kb, pakaz_env
from pakaz import kb as kbmod
from pakaz.kb import load
from pakaz.store import Found, Table


def cache_files(cache: Path) -> list[Path]:
    """The cache files: one database per KB directory."""
    return sorted(cache.glob("kb-*.sqlite"))


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    return copy_kb(tmp_path / "kb")


def titles(kb: kbmod.KB) -> list[str]:
    return [e.title for e in kb.events]


def test_second_load_comes_from_the_cache_without_yaml(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load(kb_dir)

    def no_yaml(*args: object, **kwargs: object) -> None:
        raise AssertionError("the YAML was parsed although a valid cache exists")

    monkeypatch.setattr(kbmod, "parse_dir", no_yaml)
    assert load(kb_dir) == first


def test_cached_kb_equals_parsed_kb_including_search_index(kb_dir: Path) -> None:
    parsed = load(kb_dir, use_cache=False)
    load(kb_dir)  # writes the cache
    cached = load(kb_dir)
    assert cached == parsed
    assert isinstance(cached.events, Table) and isinstance(parsed.events, tuple)
    folded = " ".join(r[0] for r in cached.db.rows("SELECT folded FROM pakaz_search WHERE collection = 'events'"))
    assert "türkiye" not in folded and "turkiye" in folded


def test_cached_records_behave_like_a_tuple_of_records(kb_dir: Path) -> None:
    parsed = load(kb_dir, use_cache=False)
    load(kb_dir)
    cached = load(kb_dir).events
    assert len(cached) == len(parsed.events)
    assert cached[0] == parsed.events[0] and cached[-1] == parsed.events[-1]
    assert cached[1:3] == list(parsed.events[1:3])
    assert list(cached) == list(parsed.events)
    with pytest.raises(IndexError):
        cached[len(parsed.events)]
    assert cached.index(parsed.events[2]) == 2 and parsed.events[2] in cached


def test_cached_json_lines_equal_the_rendered_ones(kb_dir: Path) -> None:
    from pakaz import query, views
    from pakaz.render import Format, render

    load(kb_dir)
    for kb in (load(kb_dir), load(kb_dir, use_cache=False)):  # the cache, or a database in memory
        found = query.timeline(kb, since="1995")
        assert isinstance(found, Found)
        assert found.json_lines() == render(views.events(list(found)), Format.jsonl)


def edit_title(kb_dir: Path, new: str) -> None:
    path = kb_dir / "events.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("An embassy opens", new), encoding="utf-8")


def test_editing_a_file_invalidates_even_with_the_same_size_and_mtime(kb_dir: Path) -> None:
    load(kb_dir)
    path = kb_dir / "events.yaml"
    before = path.stat()
    edit_title(kb_dir, "An embassy OPENS")  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old modification time
    assert "An embassy OPENS" in titles(load(kb_dir))


def test_touching_a_file_invalidates(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load(kb_dir)
    time.sleep(0.01)
    (kb_dir / "sectors.yaml").touch()
    called = []
    real = kbmod.parse_dir
    monkeypatch.setattr(kbmod, "parse_dir", lambda d: called.append(d) or real(d))
    load(kb_dir)
    assert called, "a touched KB file must be re-read"


def test_replacing_a_file_invalidates(kb_dir: Path, tmp_path: Path) -> None:
    load(kb_dir)
    replacement = tmp_path / "events.yaml"
    replacement.write_text((kb_dir / "events.yaml").read_text(encoding="utf-8").replace("An embassy opens", "Swapped"))
    os.replace(replacement, kb_dir / "events.yaml")
    assert "Swapped" in titles(load(kb_dir))


def test_another_pakaz_version_invalidates(kb_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load(kb_dir)
    import pakaz

    monkeypatch.setattr(pakaz, "__version__", "999.0")
    called = []
    real = kbmod.parse_dir
    monkeypatch.setattr(kbmod, "parse_dir", lambda d: called.append(d) or real(d))
    load(kb_dir)
    assert called, "a cache written by another pakaz version must not be used"


def test_a_kb_that_became_invalid_is_reported_not_served(kb_dir: Path) -> None:
    load(kb_dir)
    edit_title(kb_dir, "An embassy opens\n  setcor: oops")
    with pytest.raises(kbmod.KBError, match="unknown field 'setcor'"):
        load(kb_dir)


def _flip_middle(b: bytes) -> bytes:
    middle = len(b) // 2
    return b[:middle] + bytes(x ^ 0xFF for x in b[middle : middle + 4096]) + b[middle + 4096 :]


def _other_database(b: bytes) -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        other = Path(directory) / "other.db"
        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE pakaz_info (key TEXT, value TEXT)")
            db.execute("INSERT INTO pakaz_info VALUES ('schema', 'x')")
        return other.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b[:4096], id="truncated-to-its-first-page"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b"\x00garbage" * 100, id="garbage"),
        pytest.param(_other_database, id="another-database"),
        pytest.param(lambda b: b[:100] + bytes(reversed(b[100:200])) + b[200:], id="flipped-bytes"),
        pytest.param(_flip_middle, id="damaged-pages"),
    ],
)
def test_corrupt_cache_is_ignored_and_rebuilt(kb_dir: Path, _isolated_env: Path, damage) -> None:  # type: ignore[no-untyped-def]
    from pakaz import query

    good = load(kb_dir)
    answers = [e.id for e in query.timeline(good, query="visit")]
    (path,) = cache_files(_isolated_env)
    path.write_bytes(damage(path.read_bytes()))
    again = load(kb_dir)
    assert [e.id for e in query.timeline(again, query="visit")] == answers  # never a wrong answer
    assert again == good
    assert load(kb_dir) == good  # and the rebuilt cache is good again
    assert cache_files(_isolated_env)


def _set(path: Path, sql: str) -> None:
    """Change a cache file as someone who can write the cache could (it is then no longer immutable)."""
    with sqlite3.connect(path) as db:
        db.execute(sql)


@pytest.mark.parametrize(
    "stored",
    ["null", '{"id": 1}', "[1, 2, 3]", "not json", '{"id": "x", "title": {"nested": true}}'],
)
def test_a_stored_record_that_is_not_what_pakaz_writes_is_a_miss_answered_from_the_yaml(
    kb_dir: Path, _isolated_env: Path, stored: str
) -> None:
    good = kbmod.parse_dir(kb_dir)[0]
    assert good is not None
    load(kb_dir)
    (path,) = cache_files(_isolated_env)
    _set(path, f"UPDATE pakaz_sources SET json = '{stored}' WHERE pos = 0")
    kb = load(kb_dir)
    assert list(kb.sources) == list(good.sources)  # never an error, never a wrong answer
    assert not path.exists()  # and the next run writes a good one
    assert list(load(kb_dir).sources) == list(good.sources)


def test_stored_text_with_raw_control_characters_is_never_printed(kb_dir: Path, _isolated_env: Path) -> None:
    from pakaz import query

    load(kb_dir)
    (path,) = cache_files(_isolated_env)
    _set(path, "UPDATE pakaz_events SET json = replace(json, 'An embassy', 'An' || char(27) || '[31m') WHERE pos = 2")
    found = query.timeline(load(kb_dir))
    assert found.json_lines() is None  # type: ignore[attr-defined]


def test_a_pickle_in_place_of_the_cache_is_never_unpickled(kb_dir: Path, _isolated_env: Path, tmp_path: Path) -> None:
    import pickle

    good = load(kb_dir)
    (path,) = cache_files(_isolated_env)
    marker = tmp_path / "ran"

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    path.write_bytes(pickle.dumps(Boom()))
    assert load(kb_dir) == good
    assert not marker.exists()


def test_read_only_cache_directory_works_without_caching(
    kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "ro-cache"
    cache.mkdir()
    cache.chmod(0o500)
    monkeypatch.setenv("PAKAZ_CACHE_DIR", str(cache))
    try:
        if os.access(cache, os.W_OK):
            pytest.skip("running as a user who can write to a read-only directory (root)")
        assert titles(load(kb_dir)) == titles(load(kb_dir, use_cache=False))
        assert list(cache.iterdir()) == []
    finally:
        cache.chmod(0o700)


def test_cache_directory_that_cannot_exist_works_without_caching(
    kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("PAKAZ_CACHE_DIR", str(blocker / "cache"))
    assert titles(load(kb_dir)) == titles(load(kb_dir, use_cache=False))


def test_cache_write_is_atomic(kb_dir: Path, _isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = load(kb_dir)
    (path,) = cache_files(_isolated_env)
    before = path.read_bytes()
    edit_title(kb_dir, "Edited")

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(kbmod.os, "replace", fail)
    assert "Edited" in titles(load(kb_dir))  # the failed write does not fail the command
    assert path.read_bytes() == before  # and leaves the old cache whole
    assert [p.name for p in _isolated_env.iterdir() if p.name.startswith(".tmp")] == []
    assert good != load(kb_dir)


def test_concurrent_processes_share_one_cache_safely(tmp_path: Path) -> None:
    kb_dir = copy_kb(tmp_path / "kb")
    cache = tmp_path / "cache"
    env = pakaz_env(cache)
    argv = [sys.executable, "-m", "pakaz", "--data", str(kb_dir), "timeline", "--format", "jsonl"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(6)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6
    assert len({out for out, _ in outputs}) == 1
    assert all(err == b"" for _, err in outputs)
    assert len(cache_files(cache)) == 1
    assert [p.name for p in cache.iterdir() if p.name.startswith(".tmp")] == []
    again = subprocess.run(argv, capture_output=True, env=env, timeout=120)
    assert again.stdout == outputs[0][0]


def test_two_kb_directories_do_not_share_a_cache(tmp_path: Path) -> None:
    a = copy_kb(tmp_path / "a")
    b = copy_kb(tmp_path / "b")
    edit_title(b, "Only in b")
    assert "Only in b" not in titles(load(a))
    assert "Only in b" in titles(load(b))
    assert "Only in b" not in titles(load(a))


# --- what the piped path imports -----------------------------------------------------

PROBE = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["pakaz", *sys.argv[2:]]
from pakaz.cli import main
main()
"""


def imported_modules(tmp_path: Path, *args: str) -> set[str]:
    import json

    out = tmp_path / "modules.json"
    env = pakaz_env(tmp_path / "cache")
    for _ in range(2):  # the first run writes the cache; the second is the one measured
        result = subprocess.run(
            [sys.executable, "-c", PROBE, str(out), *args], capture_output=True, env=env, timeout=120
        )
        assert result.returncode == 0, result.stderr
    return set(json.loads(out.read_text()))


@pytest.mark.parametrize(
    "args",
    [
        ("timeline", "--format", "tsv"),
        ("agreements", "--sector", "energy", "--format", "json"),
        ("indicators", "--country", "PAK", "--format", "jsonl"),
        ("search", "summit", "--format", "tsv"),
    ],
)
def test_piped_path_imports_neither_rich_nor_yaml_nor_pydantic(tmp_path: Path, args: tuple[str, ...]) -> None:
    modules = imported_modules(tmp_path, "--data", str(MINI), *args)
    assert "pakaz.cli" in modules  # the probe really ran pakaz
    heavy = {m.split(".")[0] for m in modules} & {"rich", "yaml", "pydantic", "importlib_metadata"}
    assert heavy == set()
    assert "importlib.metadata" not in modules or not (Path(kbmod.__file__).parent / "_version.py").exists()


def test_table_path_does_import_rich(tmp_path: Path) -> None:
    """The probe can see rich when it is imported: the test above is not vacuous."""
    modules = imported_modules(tmp_path, "--data", str(MINI), "timeline", "--format", "table")
    assert "rich" in modules


def test_first_run_parses_yaml_and_later_runs_do_not(tmp_path: Path) -> None:
    import json

    kb_dir = copy_kb(tmp_path / "kb")
    out = tmp_path / "modules.json"
    env = pakaz_env(tmp_path / "cache")
    argv = [sys.executable, "-c", PROBE, str(out), "--data", str(kb_dir), "timeline", "--format", "tsv"]
    subprocess.run(argv, check=True, capture_output=True, env=env, timeout=120)
    assert "yaml" in json.loads(out.read_text())
    subprocess.run(argv, check=True, capture_output=True, env=env, timeout=120)
    assert "yaml" not in json.loads(out.read_text())
    shutil.rmtree(tmp_path / "cache")
    subprocess.run(argv, check=True, capture_output=True, env=env, timeout=120)
    assert "yaml" in json.loads(out.read_text())


@pytest.mark.parametrize(
    "args",
    [
        ("timeline", "--format", "jsonl"),
        ("timeline", "--since", "1995-06", "--reverse", "--limit", "2", "--format", "jsonl"),
        ("agreements", "--sector", "energy", "--format", "jsonl"),
        ("indicators", "--country", "AZE", "--format", "jsonl"),
        ("search", "visit", "--format", "jsonl"),
        ("timeline", "--query", "turkiye", "--format", "tsv"),
    ],
)
def test_answers_from_the_cache_equal_answers_from_the_yaml(tmp_path: Path, args: tuple[str, ...]) -> None:
    argv = [sys.executable, "-m", "pakaz", "--data", str(MINI), *args]
    fresh = subprocess.run(argv, capture_output=True, env=pakaz_env(tmp_path / "c", PAKAZ_NO_CACHE="1"), timeout=120)
    env = pakaz_env(tmp_path / "cache")
    subprocess.run(argv, check=True, capture_output=True, env=env, timeout=120)  # writes the cache
    cached = subprocess.run(argv, capture_output=True, env=env, timeout=120)
    assert cache_files(tmp_path / "cache")
    assert (cached.returncode, cached.stdout, cached.stderr) == (fresh.returncode, fresh.stdout, fresh.stderr)
    assert fresh.stdout


def test_search_index_of_an_edited_kb_is_not_reused_within_a_process(kb_dir: Path) -> None:
    from pakaz import query

    load(kb_dir)
    assert [h.record.id for h in query.search(load(kb_dir), "embassy")] == ["march-event"]
    edit_title(kb_dir, "A consulate opens")
    load(kb_dir)  # rewrites the cache, with the same file names
    edited = load(kb_dir)
    assert [h.record.id for h in query.search(edited, "consulate")] == ["march-event"]


def test_jsonl_of_a_query_is_answered_without_building_records(kb_dir: Path) -> None:
    from pakaz import query

    load(kb_dir)
    kb = load(kb_dir)
    found = query.timeline(kb, since="1995")
    assert isinstance(found, Found) and found.json_lines()
    assert isinstance(kb.events, Table)
    assert kb.events._built == [None] * len(kb.events)  # the lines came from the file, no record was built


# --- faults of the database engine ----------------------------------------------------------------------


def test_a_full_disk_while_writing_the_cache_is_answered_from_the_yaml(
    kb_dir: Path, _isolated_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pakaz import store

    expected = titles(load(kb_dir, use_cache=False))
    real = store.build

    def full(connection: sqlite3.Connection, kb: kbmod.KB, **kwargs: object) -> object:
        if kwargs.get("info"):  # the cache, not the in-memory database
            raise sqlite3.OperationalError("database or disk is full")
        return real(connection, kb, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "build", full)
    kb = load(kb_dir)
    assert titles(kb) == expected
    from pakaz import query

    assert [e.id for e in query.timeline(kb, query="embassy")] == ["march-event"]
    assert cache_files(_isolated_env) == []
    assert [p.name for p in _isolated_env.iterdir() if p.name.startswith(".tmp")] == []  # nothing half-written
    assert capsys.readouterr().err == ""


def test_a_cache_file_locked_by_another_process_is_read_or_replaced(kb_dir: Path, _isolated_env: Path) -> None:
    from pakaz import query

    good = [e.id for e in query.timeline(load(kb_dir))]
    (path,) = cache_files(_isolated_env)
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a write
        assert [e.id for e in query.timeline(load(kb_dir))] == good
    finally:
        holder.close()


def test_search_without_fts5_still_works_and_says_so_once(
    kb_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pakaz import fulltext, query, store

    monkeypatch.setattr(store, "has_fts5", lambda: False)
    monkeypatch.setattr(fulltext, "_warned", False)
    kb = load(kb_dir, use_cache=False)
    assert not kb.db.fts
    assert [h.record.id for h in query.search(kb, "embassy")] == ["march-event"]
    assert [h.record.id for h in query.search(kb, "TURKİYE 1995")][:1] == ["year-event"]
    assert [e.id for e in query.timeline(kb, query="turkiye")] == ["year-event"]
    query.search(kb, '"NEAR" OR -x*')  # words, never syntax: it must not raise
    assert capsys.readouterr().err.count("no FTS5") == 1


def test_no_input_makes_a_full_text_query_fail(kb_dir: Path) -> None:
    from pakaz import query

    kb = load(kb_dir)
    for text in ('"', "*", "-", "NEAR", "AND OR NOT", 'a"b', "x*", "^y", "col:umn", "NEAR(a b)", "'; DROP TABLE x; --"):
        query.search(kb, text)
        list(query.timeline(kb, query=text))


def test_caches_of_the_old_binary_format_are_removed(kb_dir: Path, _isolated_env: Path) -> None:
    _isolated_env.mkdir(parents=True, exist_ok=True)
    old = [_isolated_env / "kb-0000abcd-20.marshal", _isolated_env / "kb-0000abcd-20.search.marshal"]
    for path in old:
        path.write_bytes(b"an earlier pakaz's cache")
    load(kb_dir)  # writes this KB's database, and tidies the directory
    assert not any(path.exists() for path in old)
    assert len(cache_files(_isolated_env)) == 1


def test_a_cache_directory_whose_name_is_not_text_is_used(
    kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Path(os.fsdecode(bytes(tmp_path) + b"/cache-\xff-?#%"))
    monkeypatch.setenv("PAKAZ_CACHE_DIR", str(cache))
    load(kb_dir)
    assert isinstance(load(kb_dir).events, Table)  # the second load came from the database file


def test_a_record_missing_from_the_database_is_a_miss_answered_from_the_yaml(kb_dir: Path, _isolated_env: Path) -> None:
    good = kbmod.parse_dir(kb_dir)[0]
    assert good is not None
    load(kb_dir)
    (path,) = cache_files(_isolated_env)
    _set(path, "DELETE FROM pakaz_events WHERE pos = 1")
    kb = load(kb_dir)
    assert kb.events[1] == good.events[1]
    assert list(kb.events) == list(good.events)
