"""pakaz as users install and use it: `pipx install .`, `uv tool install .`, and shell completion.

The tool installs need pipx or uv: the ones not on PATH are installed into a temporary
virtual environment from the package index; a test skips, saying why, when that fails.
Completion is checked through Typer's protocol for bash, zsh and fish, and in the real
shells where they are installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from conftest import ROOT, pakaz_env

TOOLS = ("pipx", "uv")
PAKAZ = Path(sys.executable).with_name("pakaz")  # the console script of this environment


@pytest.fixture(scope="session")
def tool_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """Each tool's executable, or why it cannot be had."""
    found: dict[str, Path | str] = {}
    missing = []
    for name in TOOLS:
        where = shutil.which(name)
        if where:
            found[name] = Path(where)
        else:
            missing.append(name)
    if missing:
        venv = tmp_path_factory.mktemp("tools")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
        try:
            done = subprocess.run(
                [str(bin_dir / "python"), "-m", "pip", "install", "-q", *missing],
                capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            why = done.stderr.strip().splitlines()[-1:] if done.returncode else []
        except subprocess.TimeoutExpired:
            why = ["pip install timed out"]
        for name in missing:
            executable = bin_dir / name
            found[name] = (
                executable if executable.exists() else f"{name} is not on PATH and 'pip install {name}' failed: {why}"
            )
    return found


def _tool(tool_paths: Mapping[str, Path | str], name: str) -> Path:
    found = tool_paths[name]
    if isinstance(found, str):
        pytest.skip(found)
    return found


def _run(
    argv: list[str | Path], env: Mapping[str, str], cwd: Path, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, encoding="utf-8", env=dict(env), cwd=cwd,
        stdin=subprocess.DEVNULL, timeout=timeout,
    )  # fmt: skip


def _check_installed(pakaz: Path, python: Path, tmp_path: Path, cache: Path) -> None:
    """The installed `pakaz` works from anywhere, with the KB inside it."""
    assert pakaz.exists(), f"no {pakaz}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = pakaz_env(cache)
    env.pop("PYTHONPATH", None)
    version = _run([pakaz, "--version"], env, elsewhere)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("pakaz ") and "knowledge base" in version.stdout, version.stdout
    listing = _run([pakaz, "timeline", "-n", "2", "-f", "json"], env, elsewhere)
    assert listing.returncode == 0, listing.stderr
    assert [set(r) >= {"id", "date", "title"} for r in json.loads(listing.stdout)] == [True, True]
    exported = _run([pakaz, "export", "kb.db"], env, elsewhere)
    assert exported.returncode == 0, exported.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["kb.db", "kb.metadata.json"]
    # The tool's own environment, not this checkout, provides the code.
    where = _run([python, "-c", "import pakaz; print(pakaz.__file__)"], env, elsewhere)
    assert where.returncode == 0, where.stderr
    assert not Path(where.stdout.strip()).resolve().is_relative_to(ROOT.resolve()), where.stdout


def test_pipx_install(tool_paths: Mapping[str, Path | str], tmp_path: Path, _isolated_env: Path) -> None:
    pipx = _tool(tool_paths, "pipx")
    env = {
        **pakaz_env(_isolated_env),
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
    }
    done = _run([pipx, "install", "--python", sys.executable, ROOT], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    _check_installed(
        tmp_path / "bin" / "pakaz", tmp_path / "pipx" / "venvs" / "pakaz" / "bin" / "python", tmp_path, _isolated_env
    )


def test_uv_tool_install(tool_paths: Mapping[str, Path | str], tmp_path: Path, _isolated_env: Path) -> None:
    uv = _tool(tool_paths, "uv")
    env = {
        **pakaz_env(_isolated_env),
        "UV_TOOL_DIR": str(tmp_path / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",  # use this Python; fetch no interpreter
    }
    done = _run([uv, "tool", "install", "--python", sys.executable, ROOT], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    _check_installed(
        tmp_path / "bin" / "pakaz", tmp_path / "tools" / "pakaz" / "bin" / "python", tmp_path, _isolated_env
    )


# --- shell completion --------------------------------------------------------------------------

SHELLS = ("bash", "zsh", "fish")


def _completion_env(cache: Path, home: Path, **extra: str) -> dict[str, str]:
    env = pakaz_env(cache, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), **extra)
    env["PATH"] = f"{PAKAZ.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def home(tmp_path: Path) -> Path:
    directory = tmp_path / "home"
    directory.mkdir()
    return directory


def _complete(shell: str, words: str, cache: Path, home: Path) -> str:
    """What pakaz answers to `shell` asking for completions of the command line `words`."""
    protocol = {
        "bash": {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))},
        "zsh": {"_TYPER_COMPLETE_ARGS": words},
        "fish": {"_TYPER_COMPLETE_ARGS": words, "_TYPER_COMPLETE_FISH_ACTION": "get-args"},
    }[shell]
    env = _completion_env(cache, home, _PAKAZ_COMPLETE=f"complete_{shell}", **protocol)
    done = _run([PAKAZ], env, home)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_answers_commands_and_kb_values(shell: str, _isolated_env: Path, home: Path) -> None:
    assert "export" in _complete(shell, "pakaz exp", _isolated_env, home)
    assert "energy" in _complete(shell, "pakaz timeline --sector en", _isolated_env, home)
    assert "gdp-pak-2023" in _complete(shell, "pakaz show gdp-pak", _isolated_env, home)


# (file written by --install-completion, a line it must contain) for each shell, under HOME.
INSTALLED = {
    "bash": (".bash_completions/pakaz.sh", "complete -o default -F _pakaz_completion pakaz"),
    "zsh": (".zfunc/_pakaz", "compdef _pakaz_completion pakaz"),
    "fish": (".config/fish/completions/pakaz.fish", "complete --command pakaz"),
}


@pytest.mark.parametrize("shell", SHELLS)
def test_install_completion_writes_the_shell_script(shell: str, _isolated_env: Path, home: Path) -> None:
    # Typer's switch to name the shell instead of detecting the one pakaz runs in.
    env = _completion_env(_isolated_env, home, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    done = _run([PAKAZ, "--install-completion", shell], env, home)
    assert done.returncode == 0, done.stderr
    script, line = INSTALLED[shell]
    assert line in (home / script).read_text(encoding="utf-8")
    assert "_PAKAZ_COMPLETE=complete_" + shell in (home / script).read_text(encoding="utf-8")
    shown = _run([PAKAZ, "--show-completion", shell], env, home)
    assert line in shown.stdout


def _shell(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def test_bash_completes_for_real(_isolated_env: Path, home: Path) -> None:
    bash = _shell("bash")
    env = _completion_env(_isolated_env, home)
    # Run from bash, `pakaz --install-completion` detects bash; `; true` keeps bash from exec'ing it.
    install = _run([bash, "--norc", "--noprofile", "-c", "pakaz --install-completion; true"], env, home)
    assert install.returncode == 0, install.stderr
    assert "source" in (home / ".bashrc").read_text(encoding="utf-8")
    script = (
        "source ~/.bash_completions/pakaz.sh; COMP_WORDS=(pakaz timeline --sector en); COMP_CWORD=3; "
        '_pakaz_completion pakaz; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = _run([bash, "--norc", "--noprofile", "-c", script], env, home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["energy", "environment"]  # a sector and an alias (of climate)


def test_zsh_registers_the_completion(_isolated_env: Path, home: Path) -> None:
    zsh = _shell("zsh")
    env = _completion_env(_isolated_env, home)
    install = _run([zsh, "-f", "-c", "pakaz --install-completion; true"], env, home)
    assert install.returncode == 0, install.stderr
    done = _run([zsh, "-f", "-c", "source ~/.zshrc; print -r -- ${_comps[pakaz]}"], env, home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "_pakaz"


def test_fish_completes_for_real(_isolated_env: Path, home: Path) -> None:
    fish = _shell("fish")
    env = _completion_env(_isolated_env, home)
    install = _run([fish, "--no-config", "-c", "pakaz --install-completion"], env, home)
    assert install.returncode == 0, install.stderr
    done = _run([fish, "-c", 'complete -C "pakaz timeline --sector en"'], env, home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["energy", "environment"]  # a sector and an alias (of climate)
