"""Generic properties of the bundled KB in data/ (never its content: that is the data writers' business)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from typer.testing import Result

from pakaz import query
from pakaz.errors import Problem
from pakaz.kb import KB, bundled_dir, parse_dir

Cli = Callable[..., Result]
HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]")


@pytest.fixture(scope="module")
def parsed() -> tuple[KB | None, list[Problem]]:
    return parse_dir(bundled_dir())


@pytest.fixture(scope="module")
def kb(parsed: tuple[KB | None, list[Problem]]) -> KB:
    found, problems = parsed
    if found is None:
        pytest.fail(f"the bundled KB does not validate ({len(problems)} problems; first: {problems[0]})")
    return found


def facts(kb: KB) -> list[object]:
    return [*kb.events, *kb.agreements, *kb.indicators]


def test_bundled_kb_validates(parsed: tuple[KB | None, list[Problem]]) -> None:
    found, problems = parsed
    assert [str(p) for p in problems] == []
    assert found is not None


def test_bundled_kb_validates_through_the_cli(cli: Cli) -> None:
    result = cli("validate", data=None)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("OK: ")


def test_bundled_kb_is_not_empty(kb: KB) -> None:
    assert kb.events and kb.agreements and kb.indicators and kb.sources and kb.sectors


def test_every_source_is_cited(kb: KB) -> None:
    assert [s.id for s, n in query.source_usage(kb) if n == 0] == []


def test_every_record_source_resolves(kb: KB) -> None:
    known = {s.id for s in kb.sources}
    unresolved = [(r.id, s) for r in [*facts(kb), *kb.errata] for s in r.sources if s not in known]  # type: ignore[attr-defined]
    assert unresolved == []


def test_every_reference_between_records_resolves(kb: KB) -> None:
    fact_ids = {r.id for r in facts(kb)}  # type: ignore[attr-defined]
    event_ids = {e.id for e in kb.events}
    assert [(e.id, r) for e in kb.errata for r in e.records if r not in fact_ids] == []
    assert [(a.id, a.event) for a in kb.agreements if a.event and a.event not in event_ids] == []
    sector_ids = {s.id for s in kb.sectors}
    assert [(r.id, s) for r in [*kb.events, *kb.agreements] for s in r.sectors if s not in sector_ids] == []


def test_every_url_is_well_formed(kb: KB) -> None:
    bad = []
    for source in kb.sources:
        if source.url is None:
            continue
        url = source.url
        parts = urlsplit(url)
        ok = (
            parts.scheme in ("http", "https")
            and parts.hostname is not None
            and HOST.fullmatch(parts.hostname) is not None
            and not re.search(r"[\s\"<>\\^`{|}]", url)
            and not url.endswith((".", ",", ";"))
        )
        if ok:
            try:
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                ok = False
        if not ok:
            bad.append((source.id, url))
    assert bad == []


def test_no_two_records_share_date_and_title(kb: KB) -> None:
    keys = Counter((r.date, r.title.casefold().strip()) for r in [*kb.events, *kb.agreements])
    assert [key for key, n in keys.items() if n > 1] == []


def test_ids_are_unique_across_collections(kb: KB) -> None:
    every = [r.id for r in query.all_records(kb)]
    assert [i for i, n in Counter(every).items() if n > 1] == []


def test_errata_view_lists_every_corrected_and_disputed_record(kb: KB, cli: Cli) -> None:
    result = cli("errata", "--format", "json", data=None)
    assert result.exit_code == 0, result.stderr
    listed = {record for erratum in json.loads(result.stdout) for record in erratum["records"]}
    needing = {r.id for r in facts(kb) if r.verification in ("corrected", "disputed")}  # type: ignore[attr-defined]
    assert sorted(needing - listed) == []


def test_corrected_and_disputed_records_say_why(kb: KB) -> None:
    assert [r.id for r in facts(kb) if r.verification in ("corrected", "disputed") and not r.notes] == []  # type: ignore[attr-defined]


def test_every_listing_command_runs_on_the_bundled_kb(cli: Cli) -> None:
    for args in (
        ("timeline",),
        ("agreements",),
        ("indicators",),
        ("sources",),
        ("sectors",),
        ("errata",),
        ("overview",),
    ):
        result = cli(*args, "--format", "json", data=None)
        assert result.exit_code == 0, (args, result.stderr)
        json.loads(result.stdout)
