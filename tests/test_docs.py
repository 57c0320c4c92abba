"""The README and docs/ against the real program: help blocks, the Quick start line, the pictures."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_{name}", DOCS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # NamedTuple classes need their module registered
    spec.loader.exec_module(module)
    return module


readme_help = _load("readme_help")
screenshots = _load("screenshots")

BLOCKS = list(readme_help.help_blocks(README.read_text(encoding="utf-8")))


# --- help blocks --------------------------------------------------------------------------------


@pytest.mark.parametrize("block", BLOCKS, ids=[" ".join(b.command) or "pakaz" for b in BLOCKS])
def test_readme_help_block_is_the_real_help(block: object) -> None:
    command, text = block.command, block.text  # type: ignore[attr-defined]
    assert text == readme_help.help_text(command), (
        f"README.md's '$ pakaz {' '.join((*command, '--help'))}' block is out of date: run 'python docs/readme_help.py'"
    )


@pytest.mark.parametrize("command", readme_help.commands(), ids=lambda c: c[0])
def test_every_command_has_a_help_block_in_the_readme(command: tuple[str, ...]) -> None:
    documented = {b.command for b in BLOCKS}
    assert command in documented, (
        f"README.md has no fenced block starting with '$ pakaz {command[0]} --help'; "
        "'python docs/readme_help.py --print' prints one"
    )


def test_help_text_is_what_the_command_prints_at_100_columns() -> None:
    text = readme_help.help_text(("export",))
    lines = text.split("\n")
    assert lines[0] == "Usage: pakaz export [OPTIONS] {FILE.db}"  # plain help: the output is not a terminal
    assert "Write the KB to a SQLite database" in text
    assert max(len(line) for line in lines) <= 100
    assert "╭" not in text
    assert "\x1b" not in text
    assert all(line == line.rstrip() for line in lines)


MARKDOWN = """# Title

```console
$ pakaz sectors --help
stale help
of two lines
```

Some text with `$ pakaz sectors --help` inline, and another block:

```sh
$ pakaz sectors -f json
```

````console
$ pakaz --help
old
````
"""


def _outside_blocks(markdown: str) -> list[str]:
    lines, kept, previous = markdown.split("\n"), [], 0
    for block in readme_help.help_blocks(markdown):
        kept += lines[previous : block.start]
        previous = block.end
    return kept + lines[previous:]


def test_refresh_replaces_only_the_content_of_help_blocks() -> None:
    fresh, changed = readme_help.refresh(MARKDOWN)
    assert changed == [("sectors",), ()]
    assert [b.command for b in readme_help.help_blocks(fresh)] == [("sectors",), ()]
    for block in readme_help.help_blocks(fresh):
        assert block.text == readme_help.help_text(block.command)
    assert _outside_blocks(fresh) == _outside_blocks(MARKDOWN)  # everything else stays as it was
    assert readme_help.refresh(fresh) == (fresh, [])


def test_generator_check_mode_and_in_place_update(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(MARKDOWN, encoding="utf-8")
    assert readme_help.main(["--check", "--readme", str(readme)]) == 1
    assert readme.read_text(encoding="utf-8") == MARKDOWN
    assert readme_help.main(["--readme", str(readme)]) == 0
    err = capsys.readouterr().err
    assert "README.md: '$ pakaz sectors --help' updated" in err
    assert "README.md has no '$ pakaz timeline --help' block" in err
    printed = tmp_path / "all.md"
    assert readme_help.main(["--print"]) == 0
    printed.write_text(capsys.readouterr().out, encoding="utf-8")
    assert readme_help.main(["--check", "--readme", str(printed)]) == 0  # every command, all current


# --- Quick start ----------------------------------------------------------------------------------


def test_quick_start_second_line_is_what_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.M | re.S)
    assert section, "README.md has no '## Quick start' section"
    block = re.search(r"^```[^\n]*\n(.*?)^```", section.group(1), re.M | re.S)
    assert block, "the Quick start section has no code block"
    lines = block.group(1).splitlines()
    assert len(lines) >= 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert lines[1] in ci, f"the second Quick start line is not a line of .ci/run: {lines[1]!r}"


# --- pictures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("shot", screenshots.SHOTS, ids=lambda s: s.file)
def test_picture_is_up_to_date(shot: object) -> None:
    name = shot.file  # type: ignore[attr-defined]
    path = DOCS / name
    assert path.is_file(), f"docs/{name} is missing: run 'python docs/screenshots.py'"
    old = path.read_text(encoding="utf-8")
    assert screenshots.up_to_date(old, screenshots.svg(shot)), (
        f"docs/{name} is out of date: run 'python docs/screenshots.py'"
    )


def test_pictures_are_deterministic_and_show_the_real_output() -> None:
    shot = next(s for s in screenshots.SHOTS if s.file == "timeline.svg")
    first, second = screenshots.svg(shot), screenshots.svg(shot)
    assert first == second
    assert 'class="rich-terminal"' in first
    assert "pakaz-timeline-" in first  # the fixed unique_id
    assert "pakaz&#160;timeline&#160;--since&#160;2025" in first  # the title and the prompt line
    assert "Lachin" in first  # an event of 2025 from the bundled KB (its id is shortened at 100 columns)
    output = screenshots.terminal_output(shot.command)
    assert "\x1b[" in output  # drawn in colour, as at a terminal
    assert max(len(re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in output.splitlines()) == 100


def test_a_stale_or_missing_picture_is_reported(tmp_path: Path) -> None:
    assert screenshots.out_of_date(tmp_path) == [s.file for s in screenshots.SHOTS]
    shot = screenshots.SHOTS[0]
    fresh = screenshots.svg(shot)
    (tmp_path / shot.file).write_text(fresh, encoding="utf-8")
    assert shot.file not in screenshots.out_of_date(tmp_path)
    (tmp_path / shot.file).write_text(fresh.replace("2026", "2027"), encoding="utf-8")
    assert shot.file in screenshots.out_of_date(tmp_path)


def test_a_picture_from_another_rich_passes_when_the_output_is_the_same() -> None:
    shot = screenshots.SHOTS[0]
    fresh = screenshots.svg(shot)
    version, digest = screenshots.stamp(fresh)
    other_rich = fresh.replace(f"rich {version};", "rich 0.0.1;", 1).replace("rich-terminal", "rich-term")
    assert screenshots.up_to_date(other_rich, fresh)
    assert not screenshots.up_to_date(other_rich.replace(digest, "0" * 64), fresh)


# --- README and reference ---------------------------------------------------------------------------


def test_readme_is_for_the_first_hour_and_the_details_are_in_docs() -> None:
    readme = README.read_text(encoding="utf-8")
    reference = (DOCS / "reference.md").read_text(encoding="utf-8")
    before_help = readme[: readme.index("## Command reference")]
    assert len(before_help.encode("utf-8")) < 20_000
    for heading in ("## Quick start", "## Installation", "## Commands", "## Output formats", "## Exit codes"):
        assert heading in readme
    for heading in (
        "## The machine-readable contract",
        "## Security",
        "## Export to SQLite and Datasette",
        "## Editing the KB in an editor",
    ):
        assert heading in reference
    assert "## Security" not in readme and "docs/reference.md" in readme


@pytest.mark.parametrize("document", ["README.md", "docs/reference.md"])
def test_relative_links_lead_somewhere(document: str) -> None:
    path = ROOT / document
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (path.parent / target).exists(), f"{document} links to {target}, which does not exist"
