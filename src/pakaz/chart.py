"""Horizontal bar charts of indicator values (`pakaz indicators --chart`)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from pakaz.model import Indicator
from pakaz.render import Style, _console, _text, human_number

COUNTRY_STYLE = {"PAK": "green", "AZE": "cyan", "PAK-AZE": "yellow"}
_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, largest: float, width: int) -> str:
    """A bar of `width` cells at most, drawn to an eighth of a cell."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = round(value / largest * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def render_chart(records: Sequence[Indicator], style: Style) -> str:
    """One block per indicator and unit; bars in a block share one scale."""
    if not records:
        return ""
    console = _console(style)
    ordered = sorted(records, key=lambda i: (i.name, i.unit, i.year, i.country))
    for (name, unit), group_iter in groupby(ordered, key=lambda i: (i.name, i.unit)):
        group = list(group_iter)
        largest = max(abs(i.value) for i in group)
        labels = [f"{i.country} {i.period or i.year}" for i in group]
        values = [human_number(i.value, unit) for i in group]
        label_width = max(map(len, labels))
        value_width = max(map(len, values))
        bar_width = max(10, style.width - label_width - value_width - 4)
        console.print(_text(f"{group[0].label} ({name})", "bold"))
        for indicator, label, shown in zip(group, labels, values):
            line = _text(f"{label:<{label_width}} ")
            line.append(bar(indicator.value, largest, bar_width), style=COUNTRY_STYLE.get(indicator.country, ""))
            line.append(f" {shown}")
            console.print(line)
        console.print()
    return str(console.file.getvalue())
