"""Partial ISO 8601 dates (`1995`, `1995-10`, `1995-10-12`) and the day ranges they cover."""

from __future__ import annotations

import re

_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)  # ASCII: "２０２０" is no date
FORMAT_HINT = "use YYYY, YYYY-MM or YYYY-MM-DD"
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    """Gregorian month length (the calendar module costs startup time)."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else _DAYS[month - 1]


def check_partial(text: str) -> str | None:
    """Return why `text` is not a valid partial date, or None when it is."""
    m = _PARTIAL.fullmatch(text)
    if not m:
        return f"'{text}' is not a date ({FORMAT_HINT})"
    year, month, day = m.groups()
    if int(year) < 1:
        return f"'{text}' has year 0000"
    if month is not None and not 1 <= int(month) <= 12:
        return f"'{text}' has no month {month}"
    if day is not None:
        last = days_in_month(int(year), int(month))
        if not 1 <= int(day) <= last:
            return f"'{text}' is not a day of {year}-{month} (it has {last} days)"
    return None


def first_day(text: str) -> str:
    """The first day covered by a valid partial date, as YYYY-MM-DD."""
    if len(text) == 4:
        return text + "-01-01"
    if len(text) == 7:
        return text + "-01"
    return text


def last_day(text: str) -> str:
    """The last day covered by a valid partial date, as YYYY-MM-DD."""
    if len(text) == 4:
        return text + "-12-31"
    if len(text) == 7:
        year, month = int(text[:4]), int(text[5:7])
        return f"{text}-{days_in_month(year, month):02d}"
    return text


def date_span(start: str, end: str | None = None) -> str:
    """How every human view writes a date or a range: `2024-07-11–12`, `2025-01-23–02-01`,
    `1995–1996`; the end leaves out what it shares with the start."""
    if not end or end == start:
        return start
    if len(start) == len(end) == 10 and start[:7] == end[:7]:
        return f"{start}–{end[8:]}"
    if len(start) == len(end) and len(start) > 4 and start[:4] == end[:4]:
        return f"{start}–{end[5:]}"
    return f"{start}–{end}"
