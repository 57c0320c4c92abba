"""Draw the terminal pictures in docs/ from the real pakaz commands on the bundled KB.

    python docs/screenshots.py          # rewrite the SVG files that changed
    python docs/screenshots.py --check  # exit 1 if any is out of date (what tests/test_docs.py checks)

Each command runs through the real CLI as a 100-column colour terminal would show it,
and rich turns its output into an SVG. Everything that could vary is fixed (width,
title, the SVG's ids), so the same KB and the same rich give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import sys
from pathlib import Path
from typing import NamedTuple

DOCS = Path(__file__).resolve().parent
WIDTH = 100
# What a colour terminal 100 columns wide gives the program; the rest of the caller's
# environment that changes output (NO_COLOR, PAKAZ_DATA, ...) is removed.
ENV: dict[str, str | None] = {
    "COLUMNS": str(WIDTH),
    "LINES": "50",
    "TERM": "xterm-256color",
    "NO_COLOR": None,
    "FORCE_COLOR": None,
    "PAKAZ_DATA": None,
}


class Shot(NamedTuple):
    file: str
    command: tuple[str, ...]  # what the reader would type after `pakaz`


SHOTS = (
    Shot("overview.svg", ("overview",)),
    Shot("timeline.svg", ("timeline", "--since", "2025")),
    Shot("agreements-energy.svg", ("agreements", "--sector", "energy")),
    Shot("indicators-chart.svg", ("indicators", "--name", "gdp", "--chart")),
    Shot("show.svg", ("show", "gdp-pak-2023")),
)

# At a terminal the default format is a table and colour is on; under the runner stdout
# is not a terminal, so both are asked for explicitly.
_AS_A_TERMINAL = {
    "timeline": ("--format", "table"),
    "agreements": ("--format", "table"),
    "show": ("--format", "table"),
}

_STAMP = re.compile(r"^<!-- docs/screenshots\.py: rich (\S+); output sha256 ([0-9a-f]+) -->\n")


def terminal_output(command: tuple[str, ...]) -> str:
    """What `pakaz COMMAND` prints at a 100-column colour terminal, with its ANSI codes."""
    from typer.testing import CliRunner

    from pakaz.cli import app

    argv = ["--color", "always", *command, *_AS_A_TERMINAL.get(command[0], ())]
    result = CliRunner().invoke(app, argv, env=ENV, prog_name="pakaz", catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"pakaz {' '.join(command)} failed ({result.exit_code}): {result.stderr}")
    return result.stdout


def svg(shot: Shot) -> str:
    """The SVG picture of one command: its prompt line, then its output."""
    from rich.console import Console
    from rich.text import Text

    output = terminal_output(shot.command)
    console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    console.print(Text("$ pakaz " + " ".join(shot.command), style="bold"))
    console.print(Text.from_ansi(output), end="", soft_wrap=True)
    stem = shot.file.removesuffix(".svg")
    drawing = console.export_svg(title="pakaz " + " ".join(shot.command), unique_id=f"pakaz-{stem}")
    digest = hashlib.sha256(output.encode("utf-8")).hexdigest()
    return f"<!-- docs/screenshots.py: rich {_rich_version()}; output sha256 {digest} -->\n{drawing}"


def _rich_version() -> str:
    from importlib.metadata import version

    return version("rich")


def stamp(text: str) -> tuple[str, str] | None:
    """(rich version, output digest) recorded at the top of a picture, if any."""
    m = _STAMP.match(text)
    return (m.group(1), m.group(2)) if m else None


def out_of_date(directory: Path = DOCS) -> list[str]:
    """Names of the pictures in `directory` that differ from what the commands print now."""
    stale = []
    for shot in SHOTS:
        path = directory / shot.file
        if not path.is_file() or not up_to_date(path.read_text(encoding="utf-8"), svg(shot)):
            stale.append(shot.file)
    return stale


def up_to_date(old: str, fresh: str) -> bool:
    """Whether a picture drawn earlier still shows what `fresh` shows."""
    if old == fresh:
        return True
    # Drawn by another version of rich, the picture's frame may differ while what it
    # shows does not: then the recorded digest of the command's output decides.
    old_stamp, new_stamp = stamp(old), stamp(fresh)
    if old_stamp is None or new_stamp is None or old_stamp[0] == new_stamp[0]:
        return False
    return old_stamp[1] == new_stamp[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the terminal pictures in docs/.")
    parser.add_argument("--check", action="store_true", help="only report pictures that are out of date")
    args = parser.parse_args(argv)
    stale = out_of_date()
    for name in stale:
        if args.check:
            sys.stderr.write(f"docs/{name} is out of date; run 'python docs/screenshots.py'\n")
        else:
            shot = next(s for s in SHOTS if s.file == name)
            (DOCS / name).write_text(svg(shot), encoding="utf-8")
            sys.stderr.write(f"wrote docs/{name}\n")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
