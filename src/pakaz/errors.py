"""Exceptions whose messages are written for the user, and the exit codes they map to."""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple


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
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class KBError(PakazError):
    """The knowledge base cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0])
        more = len(problems) - 1
        hint = f" (and {more} more problem{'s' if more > 1 else ''}; run 'pakaz validate' to list them)" if more else ""
        super().__init__(first + hint)
