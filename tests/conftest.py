"""Shared fixtures: the mini fixture KB, KB variants built from it, and ways to run pakaz."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pakaz.cli import app
from pakaz.kb import KB, load

TESTS = Path(__file__).parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
MINI = FIXTURES / "mini"
PAKAZ_SCRIPT = Path(sys.executable).parent / "pakaz"  # the console script next to this interpreter

# Everything in the environment that changes what pakaz prints.
PAKAZ_ENV = ("PAKAZ_DATA", "PAKAZ_NO_CACHE", "NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS", "LINES", "CLICOLOR_FORCE")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own cache directory and none of the caller's colour or KB settings."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("PAKAZ_CACHE_DIR", str(cache))
    for name in PAKAZ_ENV:
        monkeypatch.delenv(name, raising=False)
    return cache


@pytest.fixture(scope="session")
def mini() -> KB:
    """The mini fixture KB, loaded without a cache."""
    return load(MINI, use_cache=False)


def copy_kb(dest: Path, source: Path = MINI, edits: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> Path:
    """Copy a fixture KB to `dest` and apply (old, new) text replacements per file; each old must occur once."""
    shutil.copytree(source, dest)
    for name, replacements in (edits or {}).items():
        path = dest / name
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return dest


@pytest.fixture
def kb_variant(tmp_path: Path) -> Callable[..., Path]:
    """Build a copy of the mini KB with some text edits: `kb_variant({"events.yaml": [(old, new)]})`."""
    count = 0

    def build(edits: Mapping[str, Sequence[tuple[str, str]]] | None = None, source: Path = MINI) -> Path:
        nonlocal count
        count += 1
        return copy_kb(tmp_path / f"kb{count}", source, edits)

    return build


BIG_EVENTS = 3000


@pytest.fixture(scope="session")
def big_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini KB with thousands of generated events: output far larger than a pipe buffer."""
    dest = copy_kb(tmp_path_factory.mktemp("big") / "kb")
    lines = []
    for i in range(BIG_EVENTS):
        lines.append(
            f"- id: generated-{i:05d}\n"
            f'  date: "{1991 + i % 30}-{1 + i % 12:02d}-{1 + i % 28:02d}"\n'
            "  type: meeting\n"
            f"  title: Generated meeting number {i}, long enough to fill a pipe buffer quickly\n"
            f"  summary: Summary of meeting {i}.\n"
            "  sectors: [diplomacy]\n"
            "  sources: [gov-record]\n"
            "  verification: confirmed\n"
        )
    with open(dest / "events.yaml", "a", encoding="utf-8") as f:
        f.write("".join(lines))
    return dest


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run pakaz in-process against the mini KB (unless --data is given): `cli("timeline", "-f", "json")`."""
    runner = CliRunner()

    def invoke(*args: str, data: Path | None = MINI, env: Mapping[str, str] | None = None) -> Result:
        argv = (["--data", str(data)] if data is not None else []) + list(args)
        return runner.invoke(app, argv, env=dict(env or {}), catch_exceptions=False)

    return invoke


def pakaz_env(cache: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a pakaz subprocess: its own cache, no colour settings."""
    env = {k: v for k, v in os.environ.items() if k not in PAKAZ_ENV}
    env["PAKAZ_CACHE_DIR"] = str(cache)
    env.update(extra)
    return env


@pytest.fixture
def run(_isolated_env: Path) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """Run `python -m pakaz ARGS` as a real process with a temporary cache; returns the completed process.

    `script=True` runs the installed `pakaz` console script instead (shell completion needs its name).
    """

    def call(
        *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None, script: bool = False
    ) -> subprocess.CompletedProcess[str]:
        command = [str(PAKAZ_SCRIPT)] if script else [sys.executable, "-m", "pakaz"]
        return subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=pakaz_env(_isolated_env, **dict(env or {})),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )

    yield call
