"""The installed wheel: built from this tree, installed into a fresh venv, run from outside the source tree."""

from __future__ import annotations

import re
import subprocess
import sys
import venv
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import ROOT, pakaz_env

VERSION_LINE = re.compile(r"pakaz (\S+) \(knowledge base (\S+), (\d{4}-\d{2}-\d{2})\)\n")


class Installed(NamedTuple):
    python: Path
    pakaz: Path
    elsewhere: Path  # a working directory outside the source tree
    cache: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    [wheel] = dist.glob("pakaz-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, capture_output=True, timeout=600
    )
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return Installed(python, env_dir / "bin" / "pakaz", elsewhere, base / "cache")


def run(installed: Installed, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=installed.elsewhere,
        env=pakaz_env(installed.cache),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_installed_package_is_the_wheel_not_the_checkout(installed: Installed) -> None:
    result = run(
        installed, str(installed.python), "-c", "import pakaz, pathlib; print(pathlib.Path(pakaz.__file__).parent)"
    )
    package = Path(result.stdout.strip())
    assert package.is_relative_to(installed.python.parent.parent)
    assert (package / "data").is_dir() and not (package / "data").is_symlink()
    assert (package / "data" / "meta.yaml").is_file()


def test_installed_timeline_prints_the_bundled_kb(installed: Installed) -> None:
    result = run(installed, str(installed.pakaz), "timeline")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "id\tdate\tend_date\ttype\ttitle\tsectors\tverification\tsources"
    assert len(lines) > 1


def test_installed_bundled_kb_validates(installed: Installed) -> None:
    result = run(installed, str(installed.pakaz), "validate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: ")


def test_installed_python_m_pakaz_version(installed: Installed) -> None:
    result = run(installed, str(installed.python), "-m", "pakaz", "--version")
    assert result.returncode == 0
    match = VERSION_LINE.fullmatch(result.stdout)
    assert match, result.stdout
    from importlib.metadata import version

    assert match.group(1) == version("pakaz")
