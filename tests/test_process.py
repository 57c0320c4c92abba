"""What only a real process shows: pipes closed early, a pseudo-terminal, environment variables, exit codes."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import BIG_EVENTS, MINI, pakaz_env

Run = Callable[..., "subprocess.CompletedProcess[str]"]


class Terminal(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def run_in_terminal(args: list[str], cache: Path, columns: int = 100, **env: str) -> Terminal:
    """Run `python -m pakaz ARGS` with stdout on a pseudo-terminal of `columns` columns (stderr is a pipe)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    environment = pakaz_env(cache, **{"TERM": "xterm-256color", **env})
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "pakaz", *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=environment,
        )
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                process.kill()
                raise AssertionError("pakaz wrote nothing to the terminal for 60 s")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end of the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    process.stderr.close()
    returncode = process.wait(timeout=60)
    # The terminal turns each "\n" into "\r\n".
    return Terminal(returncode, b"".join(chunks).decode().replace("\r\n", "\n"), stderr)


@pytest.fixture
def terminal(_isolated_env: Path) -> Callable[..., Terminal]:
    def call(*args: str, columns: int = 100, **env: str) -> Terminal:
        return run_in_terminal(list(args), _isolated_env, columns, **env)

    return call


# --- pipes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["auto", "json", "jsonl", "csv"])
def test_pipe_closed_early_ends_quietly(big_kb: Path, _isolated_env: Path, fmt: str) -> None:
    """`pakaz timeline | head -1`: the reader stops after one line; pakaz must exit 0 with nothing on stderr."""
    pakaz = subprocess.Popen(
        [sys.executable, "-m", "pakaz", "--data", str(big_kb), "timeline", "--format", fmt],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=pakaz_env(_isolated_env),
    )
    assert pakaz.stdout is not None
    head = subprocess.run(["head", "-1"], stdin=pakaz.stdout, capture_output=True, timeout=120)
    pakaz.stdout.close()  # only head holds the read end now: when it exits, the pipe is closed
    _, stderr = pakaz.communicate(timeout=120)
    assert head.returncode == 0
    assert len(head.stdout.splitlines()) == 1
    assert stderr == b""
    assert pakaz.returncode == 0


def test_big_kb_output_is_larger_than_a_pipe_buffer(big_kb: Path, run: Run) -> None:
    # Guards the test above: with a small output the pipe would never close early.
    result = run("--data", str(big_kb), "timeline")
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == BIG_EVENTS + 5 + 1
    assert len(result.stdout.encode()) > 4 * 65536


def test_pipe_gets_tsv(run: Run) -> None:
    result = run("--data", str(MINI), "agreements")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == "id\tdate\ttype\ttitle\tsectors\tparties\tstatus\tverification\tsources"
    assert "\x1b" not in result.stdout


def test_shell_pipe_to_head(big_kb: Path, _isolated_env: Path) -> None:
    script = f'"{sys.executable}" -m pakaz --data "{big_kb}" timeline | head -1; echo "status=${{PIPESTATUS[0]}}"'
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=pakaz_env(_isolated_env), timeout=120
    )
    assert result.stdout == "id\tdate\tend_date\ttype\ttitle\tsectors\tverification\tsources\nstatus=0\n"
    assert result.stderr == ""


# --- a terminal ------------------------------------------------------------------------------------------------


def test_auto_is_a_table_on_a_terminal(terminal: Callable[..., Terminal]) -> None:
    result = terminal("--data", str(MINI), "agreements", NO_COLOR="1")
    assert result.returncode == 0
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[0].split() == ["date", "type", "title", "sectors", "verification"]
    assert set(lines[1]) == {"─"}
    assert "\t" not in result.stdout
    assert result.stderr == ""


def test_explicit_format_wins_on_a_terminal(terminal: Callable[..., Terminal]) -> None:
    result = terminal("--data", str(MINI), "agreements", "-f", "tsv")
    assert result.stdout.splitlines()[0].startswith("id\tdate\ttype\t")
    assert "\x1b" not in result.stdout


def test_table_fits_the_terminal(terminal: Callable[..., Terminal]) -> None:
    result = terminal("--data", str(MINI), "timeline", columns=60, NO_COLOR="1")
    assert result.returncode == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 60
    assert "energy-visit" in result.stdout  # ids stay whole


@pytest.mark.parametrize(
    ("options", "env", "coloured"),
    [
        ((), {}, True),
        ((), {"NO_COLOR": "1"}, False),
        ((), {"TERM": "dumb"}, False),
        (("--color", "never"), {}, False),
        (("--color", "always"), {"TERM": "dumb"}, True),
    ],
)
def test_colour_on_a_terminal(
    terminal: Callable[..., Terminal], options: tuple[str, ...], env: dict[str, str], coloured: bool
) -> None:
    result = terminal(*options, "--data", str(MINI), "agreements", **env)
    assert result.returncode == 0
    assert ("\x1b[" in result.stdout) == coloured


def test_empty_result_on_a_terminal_notes_it_on_stderr(terminal: Callable[..., Terminal]) -> None:
    result = terminal("--data", str(MINI), "timeline", "--since", "2090")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "No events match.\n"


def test_kb_text_as_written_on_a_terminal(terminal: Callable[..., Terminal]) -> None:
    result = terminal("--data", str(MINI), "timeline", "-q", "citation", "--fields", "id,summary")
    assert "Text with [citation needed] brackets." in result.stdout


# --- environment, exit codes, streams -------------------------------------------------------------------------


def test_pakaz_data_in_the_environment(run: Run) -> None:
    result = run("validate", env={"PAKAZ_DATA": str(MINI)})
    assert result.returncode == 0
    assert result.stdout.startswith(f"OK: {MINI}: knowledge base 0.9.0 (2026-01-02): ")


def test_exit_codes_and_streams(run: Run, tmp_path: Path) -> None:
    ok = run("--data", str(MINI), "timeline", "-f", "json")
    assert (ok.returncode, ok.stderr) == (0, "")
    not_found = run("--data", str(MINI), "show", "nope")
    assert (not_found.returncode, not_found.stdout) == (1, "")
    assert not_found.stderr.startswith("Error: No record with id 'nope'.")
    usage = run("--data", str(MINI), "timeline", "--sector", "enrgy")
    assert (usage.returncode, usage.stdout) == (2, "")
    assert "did you mean 'energy'?" in usage.stderr.lower()
    unknown_option = run("--data", str(MINI), "timeline", "--bogus")
    assert unknown_option.returncode == 2
    no_kb = run("--data", str(tmp_path / "missing"), "timeline")
    assert (no_kb.returncode, no_kb.stdout) == (1, "")
    assert "Traceback" not in no_kb.stderr


def test_validate_in_a_process(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "kb"
    broken.mkdir()
    for name in os.listdir(MINI):
        (broken / name).write_bytes((MINI / name).read_bytes())
    events = broken / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace('"1995-03-01"', '"2024-13"'), encoding="utf-8")
    result = run("validate", str(broken))
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        result.stderr
        == f"{broken}/events.yaml:20: field 'date': '2024-13' has no month 13\n1 problem found in {broken}\n"
    )


def test_python_m_pakaz_version(run: Run) -> None:
    from importlib.metadata import version

    result = run("--version", env={"PAKAZ_DATA": str(MINI)})
    assert result.returncode == 0
    assert result.stdout == f"pakaz {version('pakaz')} (knowledge base 0.9.0, 2026-01-02)\n"


def test_cache_goes_where_pakaz_cache_dir_says(run: Run, tmp_path: Path) -> None:
    cache = tmp_path / "my-cache"
    assert run("--data", str(MINI), "sectors", env={"PAKAZ_CACHE_DIR": str(cache)}).returncode == 0
    assert sorted("".join(p.suffixes) for p in cache.iterdir()) == [".lock", ".path", ".sqlite"]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("pakaz timeline --sector en", ["energy"]),
        # Aliases are offered too, spelled with the prefix as typed, so that shells keep them.
        ("pakaz agreements --type m", ["mou", "memorandum", "memorandum-of-understanding", "mous"]),
        ("pakaz indicators --country P", ["PAK", "PAK-AZE", "Pk", "Pakistan"]),
        ("pakaz indicators --name g", ["gdp"]),
        ("pakaz show gdp-a", ["gdp-aze-2023", "gdp-aze-2022"]),
    ],
)
def test_shell_completion_request(run: Run, words: str, expected: list[str]) -> None:
    env = {
        "_PAKAZ_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
        "PAKAZ_DATA": str(MINI),
    }
    result = run(env=env, script=True)
    assert result.returncode == 0
    assert result.stdout.split() == expected


def test_shell_completion_reads_data_option(run: Run) -> None:
    words = f"pakaz --data {MINI} timeline --sector d"
    env = {"_PAKAZ_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": "5"}
    assert run(env=env, script=True).stdout.split() == ["diplomacy", "defence", "diplomatic", "defense"]
