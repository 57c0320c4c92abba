"""Exceptions whose messages are written for the user, and the exit codes they map to."""

from __future__ import annotations

import re
from enum import IntEnum
from typing import NamedTuple

# What must not reach a terminal raw, beyond the C0 controls (each use says which of those it
# allows): DEL and C1 controls (ESC and CSI start terminal commands), and the characters that
# reorder or break a line on screen (bidi marks, embeddings, overrides and isolates; line and
# paragraph separators). A fragment of a regular expression character class.
TERMINAL_UNSAFE = r"\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
# In a message, tab and newline too: a message is one line.
_UNSAFE = re.compile(rf"[\x00-\x1f{TERMINAL_UNSAFE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control or bidi character written as an escape (`\\x1b`, `\\u202e`): safe on one line."""
    return _UNSAFE.sub(_escape, text)


class ExitCode(IntEnum):
    """The documented exit statuses of pakaz."""

    OK = 0
    ERROR = 1  # a data problem, or something not found
    USAGE = 2  # an unknown option or a bad option value
    INTERRUPTED = 130  # Ctrl-C


class PakazError(Exception):
    """An error with a message fit to show the user as it is."""

    exit_code: ExitCode = ExitCode.ERROR


class UsageError(PakazError):
    """A bad option value: the user must change the command line."""

    exit_code = ExitCode.USAGE


class NotFoundError(PakazError):
    """A record or source that the user asked for does not exist."""


class Problem(NamedTuple):
    """One thing wrong in a KB file, located by file and 1-based line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        # File names and messages can quote KB text: never let it drive the terminal.
        text = f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"
        return printable(text)


class KBError(PakazError):
    """The knowledge base cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0])
        more = len(problems) - 1
        hint = f" (and {more} more problem{'s' if more > 1 else ''}; run 'pakaz validate' to list them)" if more else ""
        super().__init__(first + hint)
