"""What a person sees at a real terminal: a pseudo-terminal of 80, 100 and 160 columns.

Every listing fits the width, keeps its most important columns, breaks no word and shows
the same columns whatever the content (the bundled KB, and one of long titles and ids);
long output goes through the pager, never in a pipe.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from collections.abc import Mapping
from pathlib import Path

import pytest

from conftest import MINI, PAKAZ_SCRIPT, copy_kb, pakaz_env

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WIDTHS = (80, 100, 160)


def terminal(args: list[str], cache: Path, columns: int, lines: int = 45, env: Mapping[str, str] | None = None) -> str:
    """What `pakaz ARGS` prints to a pseudo-terminal of this size (its own size: no $COLUMNS)."""
    environment = pakaz_env(cache, TERM="xterm-256color")
    for name in ("COLUMNS", "LINES", "PAGER", "PAKAZ_PAGER", "LESS"):
        environment.pop(name, None)
    environment.update(env or {})
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))  # sized before it starts
    process = subprocess.Popen(
        [str(PAKAZ_SCRIPT), *args], stdin=slave, stdout=slave, stderr=slave, env=environment, start_new_session=True
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            chunk = os.read(master, 65536)
        except OSError:  # every writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    output = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    assert process.wait(timeout=60) == 0, output
    return output


def plain(text: str) -> str:
    return ANSI.sub("", text)


def cells(text: str) -> int:
    """Columns of the terminal that `text` takes (combining marks take none, wide letters two)."""
    from rich.cells import cell_len

    return cell_len(text)


def cut(line: str, start: int, end: int | None) -> str:
    """The part of `line` between two terminal columns."""
    out, at = [], 0
    for char in line:
        if at >= start and (end is None or at < end):
            out.append(char)
        at += cells(char)
    return "".join(out)


@pytest.fixture(scope="module")
def long_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini KB with ids of 60 characters and more and titles of 150, with hyphenated words."""
    dest = tmp_path_factory.mktemp("long") / "kb"
    copy_kb(dest)
    suffix = "-with-a-very-long-descriptive-suffix-for-scripts"
    ids = ["july-event", "energy-visit", "lng-deal", "gov-record", "news-report", "gdp-pak-2023", "envoy-charge"]
    titles = {
        "A meeting in July 1995": "Second Azerbaijan-Türkiye-Pakistan trilateral meeting of foreign ministers, "
        "held in Baku with observers from the Organisation of Islamic Cooperation, on energy-transit corridors",
        "LNG framework agreement": "Framework agreement on liquefied-natural-gas supplies between SOCAR and "
        "Pakistan LNG Limited, with an annex on Azerbaijan-Pakistan price-review arrangements",
        "An official record": "An official record of the Ministry of Foreign Affairs of the Republic of Azerbaijan "
        "on Azerbaijan-Pakistan inter-parliamentary friendship groups",
        "label: GDP (current US$)": "label: Gross domestic product at current prices in United States dollars, "
        "World Bank national-accounts data",
        "person: A Chargé": "person: Chargé d'affaires ad interim Muhammad-Ali Khan-Durrani-Azerbaijanophile",
    }
    for path in dest.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for old in ids:
            text = re.sub(rf"\b{re.escape(old)}\b", old + suffix, text)
        for old, new in titles.items():
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return dest


# Each listing: the command, a column always filled on a record's first line (where a record
# starts), and a prose column to read back whole.
LISTINGS = {
    "timeline": (["timeline"], "verification", "title"),
    "agreements": (["agreements"], "verification", "title"),
    "indicators": (["indicators"], "country", "label"),
    "envoys": (["envoys"], "post", "person"),
    "sources": (["sources"], "cited_by", "title"),
    "sectors": (["sectors"], "id", "label"),
    "errata": (["errata"], "status", "claim"),
    "search": (["search", "a"], "kind", "title"),
}

# The columns each listing shows at each width, in order: the most important always.
EXPECTED = {
    ("timeline", 80): ["date", "title", "type", "verification"],
    ("timeline", 100): ["date", "title", "type", "sectors", "verification"],
    ("timeline", 160): ["date", "title", "type", "sectors", "verification", "id"],
    ("agreements", 80): ["date", "type", "title", "verification"],
    ("agreements", 100): ["date", "type", "title", "sectors", "verification"],
    ("agreements", 160): ["date", "type", "title", "sectors", "verification", "id"],
    ("indicators", 80): ["label", "country", "year", "period", "value", "verification"],
    ("indicators", 100): ["label", "country", "year", "period", "value", "verification", "id"],
    ("indicators", 160): ["label", "country", "year", "period", "value", "verification", "id"],
    ("envoys", 80): ["post", "person", "role", "start", "end", "verification"],
    ("envoys", 100): ["post", "person", "role", "start", "end", "seen", "verification"],
    ("envoys", 160): ["post", "person", "role", "start", "end", "seen", "verification", "id"],
    ("sources", 80): ["publisher", "title", "published", "cited_by"],
    ("sources", 100): ["publisher", "title", "published", "cited_by", "id"],
    ("sources", 160): ["publisher", "title", "published", "cited_by", "id", "url"],
    ("sectors", 80): ["id", "label", "events", "agreements", "aliases"],
    ("sectors", 100): ["id", "label", "events", "agreements", "aliases"],
    ("sectors", 160): ["id", "label", "events", "agreements", "aliases"],
    ("errata", 80): ["status", "claim", "finding", "records"],
    ("errata", 100): ["status", "claim", "finding", "records", "id"],
    ("errata", 160): ["status", "claim", "finding", "records", "id"],
    ("search", 80): ["kind", "date", "title", "match"],  # why it matched, before how sure
    ("search", 100): ["kind", "date", "title", "match", "verification"],
    ("search", 160): ["kind", "date", "title", "match", "verification", "id"],
}


def _records(args: list[str], data: Path | None, cache: Path) -> list[dict[str, object]]:
    command = [str(PAKAZ_SCRIPT), *(["--data", str(data)] if data else []), *args, "-f", "json"]
    done = subprocess.run(command, capture_output=True, text=True, env=pakaz_env(cache), check=True)
    records: list[dict[str, object]] = json.loads(done.stdout)
    return records


def _columns(header: str) -> list[tuple[str, int]]:
    return [(m.group(), cells(header[: m.start()])) for m in re.finditer(r"\S+", header)]


def _read_back(out: str, anchor: str, prose: str) -> list[str]:
    """The text of the prose column, record by record, as a reader joins its wrapped lines."""
    lines = out.split("\n")
    columns = _columns(lines[0])
    names = [n for n, _ in columns]
    starts = dict(columns)
    i = names.index(prose)
    prose_start, prose_end = starts[prose], (columns[i + 1][1] if i + 1 < len(columns) else None)
    j = names.index(anchor)
    anchor_start, anchor_end = starts[anchor], (columns[j + 1][1] if j + 1 < len(columns) else None)
    texts: list[list[str]] = []
    for line in lines[2:]:
        if not line.strip():
            continue
        if cut(line, anchor_start, anchor_end).strip():
            texts.append([])
        texts[-1].append(cut(line, prose_start, prose_end).strip())
    joined = []
    for pieces in texts:
        text = ""
        for piece in (p for p in pieces if p):
            broken_at_hyphen = re.search(r"[^\W\d_][-–/]$", text) and re.match(r"[^\W\d_]", piece)
            text += piece if not text or broken_at_hyphen else " " + piece
        joined.append(text)
    return joined


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("name", list(LISTINGS))
@pytest.mark.parametrize("kb", ["bundled", "long"])
def test_listing_fits_keeps_its_columns_and_breaks_no_word(
    _isolated_env: Path, long_kb: Path, kb: str, name: str, columns: int
) -> None:
    args, anchor, prose = LISTINGS[name]
    data = long_kb if kb == "long" else None
    out = plain(terminal([*(["--data", str(data)] if data else []), "--no-pager", *args], _isolated_env, columns))
    lines = out.rstrip("\n").split("\n")
    assert max(map(cells, lines)) <= columns, "\n".join(line for line in lines if cells(line) > columns)
    assert [n for n, _ in _columns(lines[0])] == EXPECTED[(name, columns)]
    records = _records(args, data, _isolated_env)
    titles = [" ".join(str(r.get(prose) if name != "search" else r["title"]).split()) for r in records]
    # A line that ends in a hyphen after a letter reads as one word: the KB's "Azerbaijan- History" too.
    assert list(map(_joined, _read_back(out, anchor, prose))) == list(map(_joined, titles))
    # And in every column, every word on the screen is a word of the records, or a part of one
    # that ends at a hyphen: none is cut anywhere else. Numbers and shortened ids (…) aside.
    allowed = _words(records)
    broken = [
        token
        for line in lines[2:]
        for token in line.split()
        if not re.search(r"[\d$%…]", token)
        and token not in allowed
        and token.rstrip(",") not in allowed
        and not any(token in word for word in allowed if len(word) > columns // 5)  # wider than any column
    ]
    assert broken == []


_HYPHEN = re.compile(r"(?<=[^\W\d_][-–/])(?=[^\W\d_])")


def _words(records: list[dict[str, object]]) -> set[str]:
    from pakaz import model
    from pakaz.views import KIND

    texts: list[str] = [*KIND.values(), "bn", "m"]
    for cls in (model.Event, model.Agreement, model.Indicator, model.Envoy, model.Source, model.Erratum, model.Sector):
        texts += cls._fields
    for record in records:
        for value in record.values():
            texts += value if isinstance(value, list) else [str(value)]
    words = set()
    for text in texts:
        for word in str(text).split():
            pieces = _HYPHEN.split(word)
            words.update("".join(pieces[i:j]) for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1))
    return words


def _joined(text: str) -> str:
    return re.sub(r"([^\W\d_][-–/]) ", r"\1", text)


def test_long_ids_are_shortened_never_wrapped(_isolated_env: Path, long_kb: Path) -> None:
    out = plain(terminal(["--data", str(long_kb), "--no-pager", "indicators"], _isolated_env, 100))
    shortened = [line.split()[-1] for line in out.split("\n") if "…" in line]
    assert len(shortened) == 1 and shortened[0].startswith("gdp-pak-2023-with-")
    assert "gdp-aze-2023" in out
    wide = plain(terminal(["--data", str(long_kb), "--no-pager", "timeline"], _isolated_env, 240))
    assert "energy-visit-with-a-very-long-descriptive-suffix-for-scripts" in wide  # whole where there is room


def test_cards_below_70_columns_label_their_dates(_isolated_env: Path) -> None:
    out = plain(terminal(["--data", str(MINI), "--no-pager", "envoys"], _isolated_env, 60))
    assert "start 2020-06-23" in out
    assert "seen 2024-07-12" in out
    assert max(map(cells, out.split("\n"))) <= 60


def test_bare_pakaz_prints_its_help_once(_isolated_env: Path) -> None:
    out = plain(terminal([], _isolated_env, 100))
    assert out.count("Usage:") == 1
    assert "timeline" in out


# --- the pager -------------------------------------------------------------------------------------------

RECORDER = """\
import sys
data = sys.stdin.buffer.read()
with open(sys.argv[1], "ab") as f:
    f.write(data)
sys.stdout.buffer.write(data)
"""


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[str, Path]:
    """A pager that records what it was given (and shows it), and the file it records to."""
    script = tmp_path / "pager.py"
    script.write_text(RECORDER, encoding="utf-8")
    log = tmp_path / "paged"
    return f"{sys.executable} {script} {log}", log


def test_long_output_goes_through_the_pager_with_its_colour(_isolated_env: Path, recorder: tuple[str, Path]) -> None:
    command, log = recorder
    out = terminal(["timeline"], _isolated_env, 100, lines=24, env={"PAKAZ_PAGER": command})
    paged = log.read_text(encoding="utf-8")
    assert paged.count("\n") > 24
    assert "\x1b[" in paged  # colour survives the pager
    assert "Pakistan recognises" in plain(out)  # and the pager showed it


def test_pager_falls_back_to_PAGER(_isolated_env: Path, recorder: tuple[str, Path]) -> None:
    command, log = recorder
    terminal(["search", "aliyev"], _isolated_env, 100, lines=24, env={"PAGER": command})
    assert "aliyev" in log.read_text(encoding="utf-8").lower()


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--no-pager", "timeline"], {}),
        (["timeline", "--no-pager"], {}),
        (["timeline"], {"PAKAZ_PAGER": ""}),  # an empty PAKAZ_PAGER turns it off, whatever PAGER says
        (["sectors", "-n", "3"], {}),  # shorter than the screen
    ],
)
def test_no_pager(_isolated_env: Path, recorder: tuple[str, Path], args: list[str], env: dict[str, str]) -> None:
    command, log = recorder
    settings = {"PAKAZ_PAGER": command, "PAGER": command, **env}
    if "PAKAZ_PAGER" in env:
        settings["PAGER"] = command
    out = plain(terminal(args, _isolated_env, 100, lines=24, env=settings))
    assert not log.exists()
    assert out.strip()


def test_a_pipe_never_pages(_isolated_env: Path, recorder: tuple[str, Path]) -> None:
    command, log = recorder
    done = subprocess.run(
        [str(PAKAZ_SCRIPT), "timeline"],
        capture_output=True,
        text=True,
        env=pakaz_env(_isolated_env, PAKAZ_PAGER=command, PAGER=command, LINES="5"),
        check=True,
    )
    assert not log.exists()
    assert done.stdout.startswith("id\tdate\t")


def test_a_missing_pager_prints_straight(_isolated_env: Path) -> None:
    out = plain(terminal(["timeline"], _isolated_env, 100, lines=24, env={"PAKAZ_PAGER": "no-such-pager-here -X"}))
    assert out.startswith("date ") and out.count("\n") > 24


def test_a_pager_that_quits_early_ends_the_run_quietly(_isolated_env: Path) -> None:
    # The reader saw enough: no error, no traceback, exit 0 (terminal() checks the status).
    out = plain(terminal(["timeline"], _isolated_env, 100, lines=24, env={"PAKAZ_PAGER": "head -n 2"}))
    assert out.split("\n")[0].startswith("date ")
    assert "Error" not in out and "Traceback" not in out
    assert out.count("\n") <= 3
