"""`pakaz overview`: one screen that answers "what is this relationship?"."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pakaz.dates import date_span, first_day
from pakaz.kb import KB
from pakaz.model import VERIFICATION, Envoy, Event, Indicator, json_safe
from pakaz.query import envoys, timeline, verification_counts
from pakaz.render import Format, Style, _console, _text, human_number, visible, yaml_text

MILESTONE_TYPES = ("recognition", "diplomatic-relations")
HEADLINE_INDICATORS = ("gdp", "trade-turnover", "tourist-arrivals")
LATEST = 6


def _event(e: Event) -> dict[str, Any]:
    return {"id": e.id, "date": e.date, "end_date": e.end_date, "title": e.title, "verification": e.verification}


POST_NAMES = {"pak-to-aze": "Pakistan's in Baku", "aze-to-pak": "Azerbaijan's in Islamabad"}


def _envoy(e: Envoy) -> dict[str, Any]:
    return {
        "id": e.id, "post": e.post, "person": e.person, "role": e.role, "start": e.start, "seen": e.seen,
        "verification": e.verification,
    }  # fmt: skip


def _current_envoys(kb: KB) -> list[Envoy]:
    """The latest holder of each post whose term has no known end."""
    latest: dict[str, Envoy] = {}
    for e in envoys(kb):
        if e.start is not None and (e.post not in latest or first_day(e.start) > first_day(latest[e.post].start or "")):
            latest[e.post] = e
    return [e for e in latest.values() if e.end is None]


def _latest_per_country(kb: KB, name: str) -> list[Indicator]:
    latest: dict[str, Indicator] = {}
    for i in kb.indicators:
        if i.name == name and (i.country not in latest or i.year > latest[i.country].year):
            latest[i.country] = i
    return [latest[c] for c in sorted(latest)]


def build(kb: KB) -> dict[str, Any]:
    """The overview as plain data (the same keys in every format)."""
    events = timeline(kb)
    sectors = {s.id: s.label for s in kb.sectors}
    by_sector = Counter(s for a in kb.agreements for s in a.sectors)
    indicators = [i for name in HEADLINE_INDICATORS for i in _latest_per_country(kb, name)]
    counts = verification_counts(kb)
    return {
        "kb": {"version": kb.meta.version, "date": kb.meta.date, "title": kb.meta.title},
        "milestones": [_event(e) for e in events if e.type in MILESTONE_TYPES],
        "embassies": [_event(e) for e in events if e.type == "embassy"],
        "envoys": [_envoy(e) for e in _current_envoys(kb)],
        "agreements_by_sector": [
            {"sector": s, "label": sectors.get(s, s), "agreements": n} for s, n in by_sector.most_common()
        ],
        "agreements_total": len(kb.agreements),
        "latest_events": [_event(e) for e in [e for e in events if e.date][-LATEST:][::-1]],
        "indicators": [
            {
                "id": i.id,
                "name": i.name,
                "label": i.label,
                "country": i.country,
                "year": i.year,
                "period": i.period,
                "value": i.value,
                "unit": i.unit,
                "verification": i.verification,
            }
            for i in indicators
        ],
        "verification": {v: counts.get(v, 0) for v in VERIFICATION},
        "errata": len(kb.errata),
    }


def _when(e: dict[str, Any]) -> str:
    return date_span(str(e["date"]), e.get("end_date")) if e["date"] else "undated"


def render_overview(data: dict[str, Any], fmt: Format, style: Style) -> str:
    if fmt is Format.json or fmt is Format.jsonl:
        return json_safe(json.dumps(data, ensure_ascii=False, indent=None if fmt is Format.jsonl else 2)) + "\n"
    if fmt is Format.yaml:
        return yaml_text(data)
    if fmt is Format.table:
        return _screen(data, style)
    lines = _sections(data)
    out = []
    for heading, body in lines:  # markdown and the other text formats
        out.append(f"## {heading}\n")
        out.extend(f"- {visible(line.strip())}" for line in body)
        out.append("")
    return "\n".join(out) + "\n"


def _envoy_line(e: dict[str, Any]) -> str:
    role = "chargé d'affaires" if e["role"] == "charge-d-affaires" else e["role"]
    seen = f" (last seen {e['seen']})" if e.get("seen") else ""
    return f"  {POST_NAMES.get(e['post'], e['post'])}: {e['person']}, {role} since {e['start']}{seen}"


def _sections(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    kb = data["kb"]
    facts = data["verification"]
    total = sum(facts.values())
    sections: list[tuple[str, list[str]]] = [
        ("Pakistan–Azerbaijan relations", [f"{kb['title']}, version {kb['version']} ({kb['date']})"]),
        ("Recognition and diplomatic relations", [f"  {_when(e)}  {e['title']}" for e in data["milestones"]]),
        ("Embassies", [f"  {_when(e)}  {e['title']}" for e in data["embassies"]]),
        ("Envoys now (pakaz envoys)", [_envoy_line(e) for e in data["envoys"]]),
        (
            f"Agreements by sector ({data['agreements_total']} agreements; one may cover several sectors)",
            [f"  {s['agreements']:>3}  {s['label']}" for s in data["agreements_by_sector"]],
        ),
        ("Latest events", [f"  {_when(e)}  {e['title']}" for e in data["latest_events"]]),
        (
            "Headline indicators",
            [
                f"  {i['label']}, {i['country']} {i['period'] or i['year']}: {human_number(i['value'], i['unit'])}"
                for i in data["indicators"]
            ],
        ),
        (
            "How sure the facts are",
            [f"  {n:>3}  {status}" for status, n in facts.items()]
            + [f"  {total:>3}  facts in all; {data['errata']} errata of the source article (pakaz errata)"],
        ),
    ]
    return [(h, body or ["  (none recorded)"]) for h, body in sections]


def _screen(data: dict[str, Any], style: Style) -> str:
    """The overview for a terminal: one screen of 100×45, one line per item, each section
    naming the command that shows the rest."""
    from pakaz.render import shorten, wrap

    console = _console(style)
    width = style.width
    dated = [*data["milestones"], *data["embassies"], *data["latest_events"]]
    date_width = max([len(_when(e)) for e in dated] or [10])

    def heading(title: str, more: str = "") -> None:
        if len(title) + len(more) + 4 > width:  # a narrow terminal: wrapped, plain
            for piece in wrap(title + (f" ({more})" if more else ""), max(10, width)):
                console.print(_text(piece, "bold underline"), soft_wrap=True)
            return
        line = _text(title, "bold underline")
        if more:
            line.append(f"  ({more})", style="dim")
        console.print(line, soft_wrap=True)

    def item(text: str, lead: str = "") -> None:
        # An event's title is cut to one line (`pakaz show` has it whole); other lines wrap.
        if lead and width - 2 - len(lead) < 20:
            text, lead = f"{lead.strip()} {text}", ""
        if lead:
            console.print(_text("  " + lead + shorten(visible(text), max(10, width - 2 - len(lead)))), soft_wrap=True)
            return
        for n, piece in enumerate(wrap(visible(text), max(8, width - 4))):
            console.print(_text(("  " if n == 0 else "    ") + piece), soft_wrap=True)

    def flow(parts: list[str]) -> None:
        # Items separated by " · ", a line break only between items.
        line = ""
        for part in (visible(p) for p in parts):
            if line and len(line) + 3 + len(part) > width - 2:
                console.print(_text("  " + line), soft_wrap=True)
                line = ""
            line = f"{line} · {part}" if line else part
        if line:
            for piece in wrap(line, max(8, width - 2)):
                console.print(_text("  " + piece), soft_wrap=True)

    def events(found: list[dict[str, Any]]) -> None:
        for e in found or []:
            item(e["title"], lead=f"{_when(e):<{date_width}}  ")
        if not found:
            item("(none recorded)")

    kb = data["kb"]
    heading("Pakistan–Azerbaijan relations")
    item(f"{kb['title']}, version {kb['version']} ({kb['date']})")
    console.print()
    heading("Recognition and diplomatic relations")
    events(data["milestones"])
    console.print()
    heading("Embassies")
    events(data["embassies"])
    console.print()
    heading("Envoys now", "pakaz envoys")
    for e in data["envoys"] or []:
        item(_envoy_line(e).strip())
    if not data["envoys"]:
        item("(none recorded)")
    console.print()
    heading(f"Agreements by sector ({data['agreements_total']}; one may cover several)", "pakaz sectors")
    flow([f"{s['agreements']} {s['label']}" for s in data["agreements_by_sector"]] or ["(none recorded)"])
    console.print()
    heading("Latest events", "pakaz timeline -r")
    events(data["latest_events"])
    console.print()
    heading("Headline indicators", "pakaz indicators")
    for i in data["indicators"]:
        item(f"{i['label']}, {i['country']} {i['period'] or i['year']}: {human_number(i['value'], i['unit'])}")
    if not data["indicators"]:
        item("(none recorded)")
    console.print()
    facts = data["verification"]
    heading("How sure the facts are", "pakaz errata")
    flow(
        [f"{n} {status}" for status, n in facts.items()]
        + [f"{sum(facts.values())} facts in all; {data['errata']} errata of the source article"]
    )
    return str(console.file.getvalue())
