"""Keep the `--help` blocks of README.md equal to what the commands print.

A help block is a fenced code block whose first line is `$ pakaz <command> --help`
(or `$ pakaz --help`); the rest of the block is that help as printed 100 columns wide.

    python docs/readme_help.py            # rewrite the blocks in README.md that are out of date
    python docs/readme_help.py --check    # exit 1 if any is (what tests/test_docs.py checks)
    python docs/readme_help.py --print    # print a block for every command, to paste into README.md
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

README = Path(__file__).resolve().parent.parent / "README.md"
WIDTH = 100
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_PROMPT = re.compile(r"^\$ pakaz((?: [a-z][a-z-]*)*) --help$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Block(NamedTuple):
    """One help block of a Markdown text: lines [start, end) hold the help after the prompt."""

    command: tuple[str, ...]  # () for `pakaz --help`
    start: int
    end: int
    text: str


def help_blocks(markdown: str) -> Iterator[Block]:
    """Every fenced block that starts with `$ pakaz ... --help`, in order."""
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening.group(1)
        close = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(fence)), len(lines))
        prompt = _PROMPT.match(lines[i + 1]) if i + 1 < close else None
        if prompt:
            command = tuple(prompt.group(1).split())
            yield Block(command, i + 2, close, "\n".join(lines[i + 2 : close]))
        i = close + 1


def help_text(command: tuple[str, ...]) -> str:
    """`pakaz COMMAND --help` as printed 100 columns wide, without trailing spaces or colour."""
    from typer.testing import CliRunner

    from pakaz.cli import app

    env = {"COLUMNS": str(WIDTH), "TERMINAL_WIDTH": str(WIDTH), "NO_COLOR": "1", "FORCE_COLOR": None}
    result = CliRunner().invoke(app, [*command, "--help"], env=env, prog_name="pakaz", catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"pakaz {' '.join(command)} --help failed ({result.exit_code}): {result.stderr}")
    lines = [line.rstrip() for line in _ANSI.sub("", result.stdout).split("\n")]
    return "\n".join(lines).strip("\n")


def commands() -> list[tuple[str, ...]]:
    """Every command of pakaz, as help blocks name them."""
    from pakaz.cli import app

    names = [c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands if c.callback]
    return [(name,) for name in names]


def refresh(markdown: str) -> tuple[str, list[tuple[str, ...]]]:
    """The Markdown with every help block replaced by the real help, and the commands whose block changed."""
    lines = markdown.split("\n")
    changed = []
    for block in reversed(list(help_blocks(markdown))):
        fresh = help_text(block.command)
        if block.text != fresh:
            lines[block.start : block.end] = fresh.split("\n")
            changed.append(block.command)
    return "\n".join(lines), changed[::-1]


def block_for(command: tuple[str, ...]) -> str:
    return "```console\n" + f"$ pakaz {' '.join((*command, '--help'))}\n" + help_text(command) + "\n```\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Refresh the --help blocks of README.md.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only report blocks that are out of date")
    mode.add_argument("--print", action="store_true", help="print a help block for every command")
    parser.add_argument("--readme", type=Path, default=README, help="default: README.md")
    args = parser.parse_args(argv)
    if args.print:
        sys.stdout.write("\n".join(block_for(c) for c in [(), *commands()]))
        return 0
    text = args.readme.read_text(encoding="utf-8")
    fresh, changed = refresh(text)
    documented = {b.command for b in help_blocks(text)}
    missing = [c for c in commands() if c not in documented]
    for command in missing:
        sys.stderr.write(f"{args.readme.name} has no '$ pakaz {command[0]} --help' block (see --print)\n")
    for command in changed:
        verb = "is out of date" if args.check else "updated"
        sys.stderr.write(f"{args.readme.name}: '$ pakaz {' '.join((*command, '--help'))}' {verb}\n")
    if args.check:
        return 1 if changed or missing else 0
    if changed:
        args.readme.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
