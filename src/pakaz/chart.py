"""Horizontal bar charts of indicator values (`pakaz indicators --chart`)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from pakaz.model import Indicator
from pakaz.render import Style, _console, _text, human_number, visible, wrap

COUNTRY_STYLE = {"PAK": "green", "AZE": "cyan", "PAK-AZE": "yellow"}
_EIGHTHS = " ▏▎▍▌▋▊▉"
DOUBTFUL = ("disputed", "corrected")
DOUBTFUL_BAR = "▒"  # a value the sources dispute, or one the KB corrected
PART_BAR = "░"  # a value for part of a year: not comparable with whole years


def bar(value: float, largest: float, width: int, fill: str = "█") -> str:
    """A bar of `width` cells at most, drawn to an eighth of a cell (whole cells for a marked bar)."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = round(min(value, largest) / largest * width * 8)
    full, rest = divmod(eighths, 8)
    if fill != "█":
        return fill * max(1, full + (rest >= 4))
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def part_year(indicator: Indicator) -> bool:
    """A value for some months of a year (`January-October 2020`), not a calendar or fiscal year."""
    return bool(indicator.period) and not str(indicator.period).startswith("FY")


def scale(unit: str, group: Sequence[Indicator]) -> float:
    """What a full bar stands for: 100 % for percentages, else the largest value of the block."""
    if unit == "percent":
        return 100.0
    return max(abs(i.value) for i in group)


def render_chart(records: Sequence[Indicator], style: Style) -> str:
    """One block per indicator and unit, one run of bars per country; bars in a block share one scale."""
    if not records:
        return ""
    console = _console(style)
    ordered = sorted(records, key=lambda i: (i.name, i.unit, i.country, i.year, i.id))
    for (name, unit), group_iter in groupby(ordered, key=lambda i: (i.name, i.unit)):
        group = list(group_iter)
        largest = scale(unit, group)
        labels = [f"{i.country} {i.year if part_year(i) else i.period or i.year}" for i in group]
        values = [human_number(i.value, unit) for i in group]
        notes = [
            ", ".join(
                ([i.verification] if i.verification in DOUBTFUL else []) + ([str(i.period)] if part_year(i) else [])
            )
            for i in group
        ]
        label_width = max(map(len, labels))
        value_width = max(map(len, values))
        note_width = max(map(len, notes))
        room = style.width - label_width - value_width - 3
        notes_inline = bool(note_width) and room - note_width - 2 >= 10  # else each note has a line of its own
        bar_width = room - (note_width + 2 if notes_inline else 0)
        stacked = bar_width < 4  # too narrow: the bar goes under its label and value
        if stacked:
            bar_width = max(1, style.width - 2)
        full = f" (bars to {human_number(largest, unit)})" if unit == "percent" else ""
        for piece in wrap(visible(f"{group[0].label} ({name}){full}"), max(8, style.width)):
            console.print(_text(piece, "bold"), soft_wrap=True)
        previous = None
        for indicator, label, shown, note in zip(group, labels, values, notes):
            if previous is not None and indicator.country != previous and len(group) > 8:
                console.print()  # a long series per country reads as its own run
            previous = indicator.country
            fill = DOUBTFUL_BAR if indicator.verification in DOUBTFUL else PART_BAR if part_year(indicator) else "█"
            drawn = bar(indicator.value, largest, bar_width, fill)
            colour = COUNTRY_STYLE.get(indicator.country, "")
            if stacked:
                console.print(_text(f"{label} {shown}"), soft_wrap=True)
                line = _text("  ")
                line.append(drawn, style=colour)
                console.print(line, soft_wrap=True)
            else:
                line = _text(f"{label:<{label_width}} ")
                line.append(drawn, style=colour)
                line.append(" " * (bar_width - len(drawn)) + f" {shown:>{value_width}}")
                if note and notes_inline:
                    line.append(f"  {visible(note)}", style="dim")
                console.print(line, soft_wrap=True)
            if note and not notes_inline:
                for piece in wrap(visible(note), max(8, style.width - 2)):
                    console.print(_text("  " + piece, "dim"), soft_wrap=True)
        if any(notes):
            legend = f"{DOUBTFUL_BAR} disputed or corrected   {PART_BAR} part of a year"
            narrow = len(legend) > style.width
            pieces = [line for part in legend.split("   ") for line in wrap(part, max(8, style.width))]
            for piece in pieces if narrow else [legend]:
                console.print(_text(piece, "dim"), soft_wrap=True)
        console.print()
    return str(console.file.getvalue())
