"""Benchmark pakaz as whole processes: startup, and scale on generated knowledge bases.

Run from the repository, with pakaz installed in the current interpreter:

    python benchmarks/bench.py                 # startup + 1k/10k/100k, 15 runs each, search quality
    python benchmarks/bench.py --runs 5 --sizes 1000,10000

Standard library only. Every figure is the median of interleaved runs (A B A B ...),
so a comparison holds when the machine's speed drifts. Peak memory is each child's
own maximum resident set size (from wait4), not the benchmark's.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

WORDS = [
    "trade",
    "energy",
    "visit",
    "summit",
    "pipeline",
    "caravan",
    "agreement",
    "ministry",
    "cooperation",
    "delegation",
    "embassy",
    "exercise",
    "investment",
    "tourism",
    "culture",
    "scholarship",
    "railway",
    "customs",
    "minerals",
    "justice",
]
SECTORS = ("diplomacy", "energy", "trade", "defence", "culture", "tourism", "transport", "law")


def run(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run one process to completion; return (wall seconds, peak RSS in MiB, exit status)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    while proc.stdout.read(1 << 16):  # a real pipe reader, as in `pakaz ... | jq`
        pass
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


class Series:
    """Runs of several commands in turn; medians per command."""

    def __init__(self) -> None:
        self.walls: dict[str, list[float]] = {}
        self.peaks: dict[str, list[float]] = {}
        self.failures: dict[str, int] = {}

    def add(self, name: str, argv: Sequence[str], env: dict[str, str], ok: Sequence[int] = (0,)) -> None:
        wall, peak, code = run(argv, env)
        self.walls.setdefault(name, []).append(wall)
        self.peaks.setdefault(name, []).append(peak)
        if code not in ok:
            self.failures[name] = self.failures.get(name, 0) + 1

    def wall(self, name: str) -> float:
        return statistics.median(self.walls[name])

    def peak(self, name: str) -> float:
        return max(self.peaks[name])

    def ratio(self, a: str, b: str) -> float:
        """Median of the pairwise ratios a/b (pairs are adjacent runs)."""
        return statistics.median(x / y for x, y in zip(self.walls[a], self.walls[b]))


def generate_kb(directory: Path, size: int, seed: int = 7) -> None:
    """A valid KB with `size` events (and a few sources), written as YAML."""
    rng = random.Random(seed)
    directory.mkdir(parents=True)
    (directory / "meta.yaml").write_text('version: "0.0.1"\ndate: "2026-01-01"\ntitle: Generated benchmark KB\n')
    sources = [f"src-{i}" for i in range(20)]
    with open(directory / "sources.yaml", "w", encoding="utf-8") as f:
        for s in sources:
            f.write(
                f"- id: {s}\n  title: Source {s}\n  publisher: Bench\n  kind: news\n  url: https://example.org/{s}\n"
            )
    with open(directory / "sectors.yaml", "w", encoding="utf-8") as f:
        for s in SECTORS:
            f.write(f"- id: {s}\n  label: {s.title()}\n")
    for name in ("agreements", "indicators", "errata"):
        (directory / f"{name}.yaml").write_text("[]\n")
    with open(directory / "events.yaml", "w", encoding="utf-8") as f:
        for i in range(size):
            year = rng.randint(1991, 2026)
            precision = rng.random()
            if precision < 0.1:
                date = f"{year}"
            elif precision < 0.3:
                date = f"{year}-{rng.randint(1, 12):02d}"
            else:
                date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            title = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()
            if i % 100 == 0:
                title += " Multani caravanserai"  # a word one event in a hundred has, for `search`
            summary = " ".join(rng.choice(WORDS) for _ in range(24)).capitalize() + "."
            sectors = ", ".join(sorted(set(rng.sample(SECTORS, rng.randint(1, 3)))))
            cited = ", ".join(sorted(set(rng.sample(sources, rng.randint(1, 2)))))
            f.write(
                f'- id: event-{i}\n  date: "{date}"\n  type: visit\n  title: {title} {i}\n'
                f"  summary: {summary}\n  sectors: [{sectors}]\n  place: Baku, Azerbaijan\n"
                f"  sources: [{cited}]\n  verification: confirmed\n"
            )


# The yardstick for a warm query: read the rows from the exported database, write each as JSON.
BARE_SQLITE = """
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cursor = db.execute("SELECT * FROM events WHERE date >= ? ORDER BY rowid", ("2020",))
names = [d[0] for d in cursor.description]
write = sys.stdout.write
for row in cursor:
    write(json.dumps(dict(zip(names, row)), ensure_ascii=False) + "\\n")
"""
FACTS = ("events", "agreements", "indicators", "envoys")


def search_recall(pakaz_cmd: Sequence[str], env: dict[str, str]) -> tuple[float, list[str], int]:
    """Recall among the first five facts of `pakaz search`, over the committed query set."""
    queries = json.loads((Path(__file__).parents[1] / "tests" / "fixtures" / "search" / "queries.json").read_text())
    missed = []
    for entry in queries:
        done = subprocess.run([*pakaz_cmd, "search", "--format", "json", "--", entry["query"]], env=env,
                              capture_output=True, text=True, check=True)  # fmt: skip
        facts = [hit["id"] for hit in json.loads(done.stdout) if hit["collection"] in FACTS][:5]
        if not set(entry["means"]) & set(facts):
            missed.append(entry["query"])
    return 1 - len(missed) / len(queries), missed, len(queries)


def pakaz_argv() -> list[str]:
    script = Path(sys.executable).with_name("pakaz")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pakaz"]


def fmt_row(cells: Sequence[object], widths: Sequence[int]) -> str:
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    parser.add_argument("--sizes", default="1000,10000,100000", help="generated KB sizes (events)")
    parser.add_argument("--cold-runs", type=int, default=3, help="first-run measurements per size (default 3)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]

    import pakaz

    # Users get compiled bytecode from pip; make sure the measured runs do too.
    compileall.compile_dir(next(iter(pakaz.__path__)), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="pakaz-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PAKAZ_DATA", "PAKAZ_NO_CACHE")}
    env["PAKAZ_CACHE_DIR"] = str(work / "cache")
    env["COLUMNS"] = "100"
    pakaz_cmd = pakaz_argv()
    py = sys.executable

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
    shown = "pakaz (console script)" if len(pakaz_cmd) == 1 else "python -m pakaz"
    print(f"python {platform.python_version()}; pakaz {pakaz.__version__}; command: {shown}")
    print(f"runs: {args.runs} per command, interleaved; figures are medians\n")

    # --- startup -------------------------------------------------------------------------
    startup = Series()
    complete_env = dict(env, _PAKAZ_COMPLETE="complete_bash", COMP_WORDS="pakaz timeline --sector en", COMP_CWORD="3")
    commands = {
        "python -c pass": ([py, "-c", "pass"], env),
        'python -c "import typer"': ([py, "-c", "import typer"], env),
        "pakaz timeline --format tsv": ([*pakaz_cmd, "timeline", "--format", "tsv"], env),
        "pakaz --help": ([*pakaz_cmd, "--help"], env),
        "completion (--sector en<TAB>)": ([*pakaz_cmd], complete_env),
    }
    run(commands["pakaz timeline --format tsv"][0], env)  # warm the KB cache once
    for _ in range(args.runs):
        for name, (cmd, cmd_env) in commands.items():
            startup.add(name, cmd, cmd_env)
    base = 'python -c "import typer"'
    print("Startup (bundled KB, output to a pipe)")
    widths = (32, 10, 10, 10, 8)
    print(fmt_row(("command", "median ms", "peak MiB", "÷ typer", "target"), widths))
    targets = {"pakaz timeline --format tsv": 1.25, "pakaz --help": 2.0, "completion (--sector en<TAB>)": 2.0}
    verdicts = []
    for name in commands:
        ratio = startup.ratio(name, base)
        target = targets.get(name)
        mark = "" if target is None else (f"≤{target:.2f} ok" if ratio <= target else f"≤{target:.2f} FAIL")
        if target is not None:
            verdicts.append(ratio <= target)
        print(
            fmt_row(
                (name, f"{startup.wall(name) * 1000:.0f}", f"{startup.peak(name):.0f}", f"{ratio:.2f}", mark), widths
            )
        )
    for name, n in startup.failures.items():
        print(f"  note: {name} exited non-zero in {n} runs")

    # --- scale ---------------------------------------------------------------------------
    print("\nScale (generated KBs of N events; `timeline --since 2020 --format jsonl` keeps about 19%;")
    print("`search caravanserai` matches 1%; first run = no cache; C yaml = yaml.load with CSafeLoader;")
    print("sqlite = a bare script reading the same rows from the exported database and writing each with json.dumps)")
    widths2 = (8, 11, 11, 10, 10, 10, 10, 9, 10, 8, 8)
    header = ("events", "first run", "C yaml", "first÷yaml", "first MiB", "timeline", "search", "peak MiB", "sqlite",
              "tl÷sqlite", "µs/rec")  # fmt: skip
    print(fmt_row(header, widths2))
    per_record: list[float] = []
    for size in sizes:
        kb = work / f"kb-{size}"
        generate_kb(kb, size)
        runs = max(3, args.runs if size <= 10000 else args.runs // 3)
        cold = Series()
        timeline_cmd = [*pakaz_cmd, "--data", str(kb), "timeline", "--since", "2020", "--format", "jsonl"]
        yaml_cmd = [
            py,
            "-c",
            f"import yaml; yaml.load(open({str(kb / 'events.yaml')!r}, 'rb'), Loader=yaml.CSafeLoader)",
        ]
        for _ in range(args.cold_runs):
            shutil.rmtree(work / "cache", ignore_errors=True)
            cold.add("first", timeline_cmd, env)
            cold.add("yaml", yaml_cmd, env)
        database = work / f"kb-{size}.db"
        subprocess.run([*pakaz_cmd, "--data", str(kb), "export", str(database), "--no-metadata"], env=env,
                       check=True, capture_output=True)  # fmt: skip
        warm = Series()
        search_cmd = [*pakaz_cmd, "--data", str(kb), "search", "caravanserai", "--format", "tsv"]
        bare_cmd = [py, "-c", BARE_SQLITE, str(database)]
        for _ in range(runs):
            warm.add("timeline", timeline_cmd, env)
            warm.add("search", search_cmd, env)
            warm.add("sqlite", bare_cmd, env)
        first, parse = cold.wall("first"), cold.wall("yaml")
        tl, se, bare = warm.wall("timeline"), warm.wall("search"), warm.wall("sqlite")
        peak = max(warm.peak("timeline"), warm.peak("search"))
        first_peak = cold.peak("first")
        per_record.append(tl / size * 1e6)
        cells = (size, f"{first * 1000:.0f} ms", f"{parse * 1000:.0f} ms", f"{first / parse:.2f}", f"{first_peak:.0f}",
                 f"{tl * 1000:.0f} ms", f"{se * 1000:.0f} ms", f"{peak:.0f}", f"{bare * 1000:.0f} ms",
                 f"{warm.ratio('timeline', 'sqlite'):.2f}", f"{tl / size * 1e6:.1f}")  # fmt: skip
        print(fmt_row(cells, widths2))
        if size >= 100000:
            checks = {
                f"timeline {tl:.2f}s ≤0.25": tl <= 0.25,
                f"search {se:.2f}s ≤0.25": se <= 0.25,
                f"warm peak {peak:.0f} MiB ≤80": peak <= 80,
                f"timeline ÷ sqlite {warm.ratio('timeline', 'sqlite'):.2f} ≤1.0": warm.ratio("timeline", "sqlite")
                <= 1.0,
                f"first run ÷ C yaml {first / parse:.2f} ≤1.0": first <= parse,
                f"first run peak {first_peak:.0f} MiB ≤400": first_peak <= 400,
            }
            verdicts += checks.values()
            print(f"  targets at {size}: " + "; ".join(f"{k} {'ok' if v else 'FAIL'}" for k, v in checks.items()))
        for series in (cold, warm):
            for name, n in series.failures.items():
                print(f"  note: {name} exited non-zero in {n} runs at {size}")
    if len(sizes) >= 2:
        print(
            "\nGrowth: warm timeline time per record by size: "
            + ", ".join(f"{s}: {p:.1f} µs" for s, p in zip(sizes, per_record))
            + " (flat or falling = linear or better; fixed startup cost dominates small KBs)"
        )
    recall, missed, total = search_recall(pakaz_cmd, env)
    print(f"\nSearch quality: {total} everyday queries (tests/fixtures/search/queries.json) against the bundled KB;")
    print(f"recall among the first five facts: {recall:.2f} ({total - len(missed)} of {total})")
    for text in missed:
        print(f"  missed: {text}")
    shutil.rmtree(work, ignore_errors=True)
    print("\nall targets met" if all(verdicts) else "\nsome targets missed")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
