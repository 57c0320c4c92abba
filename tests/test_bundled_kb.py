"""Properties of the bundled KB in data/: it validates, every reference resolves, grades follow their
sources, one spelling per outlet, and the GDP series equals the dataset it was copied from."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from typer.testing import Result

from conftest import FIXTURES
from pakaz import query
from pakaz.errors import Problem
from pakaz.kb import KB, bundled_dir, parse_dir
from pakaz.model import Source

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


def facts(kb: KB) -> list[Any]:
    return [*kb.events, *kb.agreements, *kb.indicators, *kb.envoys]


def test_bundled_kb_validates(parsed: tuple[KB | None, list[Problem]]) -> None:
    found, problems = parsed
    assert [str(p) for p in problems] == []
    assert found is not None


def test_bundled_kb_validates_through_the_cli(cli: Cli) -> None:
    result = cli("validate", data=None)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("OK: ")


def test_bundled_kb_is_not_empty(kb: KB) -> None:
    assert kb.events and kb.agreements and kb.indicators and kb.envoys and kb.sources and kb.sectors


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


def test_errata_view_lists_every_corrected_record(kb: KB, cli: Cli) -> None:
    result = cli("errata", "--format", "json", data=None)
    assert result.exit_code == 0, result.stderr
    listed = {record for erratum in json.loads(result.stdout) for record in erratum["records"]}
    needing = {r.id for r in facts(kb) if r.verification == "corrected"}
    assert sorted(needing - listed) == []


def test_corrected_and_disputed_records_say_why(kb: KB) -> None:
    assert [r.id for r in facts(kb) if r.verification in ("corrected", "disputed") and not r.notes] == []


def test_every_erratum_cites_the_article(kb: KB) -> None:
    assert [e.id for e in kb.errata if "article" not in e.sources] == []


def _stands_alone(source: Source) -> bool:
    """Whether a source can carry a `confirmed` grade: not the article, a blog or forum, nor an encyclopedia
    or its mirror. (A wire report read in a newspaper that printed it counts: its outlet reported it.)"""
    return source.kind not in ("article", "blog", "reference") and (source.url or source.via) is not None


def test_a_confirmed_fact_rests_on_a_source_that_stands_alone(kb: KB) -> None:
    by_id = {s.id: s for s in kb.sources}
    weak = [
        r.id for r in facts(kb) if r.verification == "confirmed" and not any(_stands_alone(by_id[s]) for s in r.sources)
    ]
    assert weak == []


def test_a_source_read_on_a_copy_says_where(kb: KB) -> None:
    assert [s.id for s in kb.sources if s.url is None and s.via is None and s.kind != "article"] == []


def _outlet_key(name: str) -> str:
    name = re.sub(r"\(.*?\)", "", name.casefold())
    return re.sub(r"[^a-z0-9]+", "", re.sub(r"^the ", "", name.strip()))


def test_one_spelling_per_outlet(kb: KB) -> None:
    spellings: dict[str, set[str]] = {}
    for source in kb.sources:
        spellings.setdefault(_outlet_key(source.publisher), set()).add(source.publisher)
    assert {k: v for k, v in spellings.items() if len(v) > 1} == {}
    # Variants that the rule above cannot see, found in KB 1.0.
    variants = {"The News", "Trend News Agency", "Azertag", "Associated Press of Pakistan (APP)", "APP"}
    assert sorted({s.publisher for s in kb.sources} & variants) == []


def test_one_source_per_url(kb: KB) -> None:
    urls = Counter(s.url for s in kb.sources if s.url)
    assert [u for u, n in urls.items() if n > 1] == []


def test_a_title_written_for_the_kb_is_marked_as_supplied(kb: KB) -> None:
    # Notes that say the title was rebuilt, described or translated belong to supplied titles only.
    hint = re.compile(r"title (was )?(reconstructed|rebuilt|descriptive|translated|supplied)|descriptive title", re.I)
    assert [s.id for s in kb.sources if s.notes and hint.search(s.notes) and not s.title_supplied] == []


def test_the_source_article_names_its_outlet(kb: KB) -> None:
    article = next(s for s in kb.sources if s.id == "article")
    assert article.publisher == "Strategic Foresight for Asia"
    assert article.url is not None and article.url.startswith("https://strafasia.com/")


GDP_FILE = FIXTURES / "gdp" / "gdp-aze-pak.csv"


def test_gdp_series_is_complete_and_equals_the_dataset(kb: KB) -> None:
    with GDP_FILE.open(newline="", encoding="utf-8") as f:
        expected = {(row["Country Code"], int(row["Year"])): float(row["Value"]) for row in csv.DictReader(f)}
    assert len(expected) == 64  # AZE and PAK, 1992-2023
    found = {(i.country, i.year): i.value for i in kb.indicators if i.name == "gdp"}
    assert found == expected
    for indicator in kb.indicators:
        if indicator.name == "gdp" and indicator.country == "PAK":
            # The World Bank files Pakistan's July-June fiscal year under the year it ends.
            assert indicator.period == f"FY{indicator.year - 1}-{indicator.year % 100:02d}", indicator.id


def test_one_label_per_indicator_name(kb: KB) -> None:
    labels: dict[str, set[str]] = {}
    for indicator in kb.indicators:
        labels.setdefault(indicator.name, set()).add(indicator.label)
    assert {n: v for n, v in labels.items() if len(v) > 1} == {}


def test_no_two_indicators_hold_the_same_measure(kb: KB) -> None:
    keys = Counter((i.name, i.country, i.year, i.period, i.reporter) for i in kb.indicators)
    assert [k for k, n in keys.items() if n > 1] == []


def test_no_two_terms_of_a_post_start_together(kb: KB) -> None:
    # "Who was the envoy on day D" must have one answer per post.
    starts = Counter((e.post, e.start) for e in kb.envoys if e.start)
    assert [k for k, n in starts.items() if n > 1] == []
