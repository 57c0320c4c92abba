"""The on-disk cache of parsed knowledge bases: never stale, checked on every read, never required.

A cache file holds, after a checksum, a small marshal header (the fingerprint of the
KB files, the KB's meta, and per collection its key columns and offsets) followed by
two raw regions per collection: one marshal blob per record, and each record as
`--format jsonl` prints it. The file is memory-mapped, so a command reads the header
and only the records it returns; filters run on the key columns (ids, dates,
sectors, ...) without building records. marshal cannot run code (no pickle is ever
used), and what it reads is checked before use.

The folded search text lives in a second file, read only by `search` and `--query`.
"""

from __future__ import annotations

import binascii
import contextlib
import gc
import marshal
import os
import re
import sys
from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from pathlib import Path
from typing import Any

from pakaz.errors import KBError, Problem

FORMAT = 8
KEY_FIELDS = {
    "events": ("id", "date", "end_date", "sectors", "verification"),
    "agreements": ("id", "date", "sectors", "type", "verification"),
    "indicators": ("id", "name", "country", "year", "verification"),
    "envoys": ("id", "post", "start", "end", "verification"),
}
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), tuple})
_HEADER = 12  # crc32 of the rest (4 bytes), then the length of the marshal header (8 bytes)


def usable_dir() -> Path | None:
    """The cache directory to use: None if the cache is turned off, has nowhere to go, or is not
    trusted (then said once)."""
    if os.environ.get("PAKAZ_NO_CACHE", "") not in ("", "0"):
        return None
    directory = cache_dir()
    if directory is None:
        return None
    try:
        why = _foreign(os.stat(directory))
    except OSError:
        why = None  # not there yet: it is created with this user's umask
    if why:
        _say_once(f"pakaz: not using the cache in {directory}: {why}; fix that, or set PAKAZ_CACHE_DIR")
        return None
    return directory


def _foreign(info: os.stat_result) -> str | None:
    """Why a cache directory or file cannot be trusted (as pip does), or None.

    Whoever can write to it could make pakaz print what they like, so it must be this user's
    and writable by no one else.
    """
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return "it belongs to another user"
    if info.st_mode & 0o022:
        return "other users can write to it"
    return None


_said: set[str] = set()


def _say_once(message: str) -> None:
    if message not in _said:
        _said.add(message)
        sys.stderr.write(message.encode("ascii", "backslashreplace").decode("ascii") + "\n")


def cache_dir() -> Path | None:
    """Where parsed KBs are cached: $PAKAZ_CACHE_DIR, else $XDG_CACHE_HOME/pakaz, else ~/.cache/pakaz.

    None when there is nowhere sensible: the XDG base directory specification says to ignore a
    relative XDG_CACHE_HOME (it would put the cache wherever pakaz runs, even inside the KB), and
    a home directory that does not exist is not created.
    """
    explicit = os.environ.get("PAKAZ_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "pakaz"
    home = os.path.expanduser("~")
    if not os.path.isabs(home) or not os.path.isdir(home):
        return None
    return Path(home) / ".cache" / "pakaz"


def cache_path(directory: Path, base: Path) -> Path:
    """The cache file of the KB in `directory`, in the cache directory `base`."""
    # A short name per KB directory; a clash costs a rebuild, never stale data,
    # because the fingerprint inside names each file by device and inode.
    real = os.fsencode(os.path.realpath(directory))
    return base / f"kb-{binascii.crc32(real):08x}-{len(real)}.marshal"


def search_path(path: Path) -> Path:
    return path.with_suffix(".search.marshal")


def fingerprint(directory: Path, files: Sequence[str]) -> tuple[Any, ...]:
    """What the cache must match: this format, pakaz and Python, and each file's identity and stat."""
    from pakaz import __version__

    stats: list[Any] = [FORMAT, __version__, sys.version]
    for name in files:
        try:
            st = os.stat(directory / name)
        except OSError:
            stats.append((name, None))
            continue
        stats.append((name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev))
    return tuple(stats)


# --- records built on demand ----------------------------------------------------------


def column(records: Sequence[Any], name: str) -> Sequence[Any]:
    """One field of every record, in order; from the cache's key columns when it has them."""
    if isinstance(records, CachedRecords):
        return records.column(name)
    return [getattr(r, name) for r in records]


class Selection(Sequence[Any]):
    """Some records of a collection, by position: built only when read.

    A query returns one of these; `--format jsonl` of whole records can then be
    answered from the cache's stored lines without building a single record.
    """

    def __init__(self, records: Sequence[Any], positions: list[int]) -> None:
        self.records = records
        self.positions = positions
        self._built: list[Any] | None = None

    def _all(self) -> list[Any]:
        if self._built is None:
            records, positions = self.records, self.positions
            self._built = (
                records.take(positions) if isinstance(records, CachedRecords) else [records[i] for i in positions]
            )
        return self._built

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Selection({self._all()!r})"


def select(records: Sequence[Any], positions: list[int]) -> Selection:
    """The records at these positions, in that order, built when first read."""
    return Selection(records, positions)


def take(records: Sequence[Any], positions: Sequence[int]) -> list[Any]:
    """The records at these positions, in that order, built now."""
    if isinstance(records, CachedRecords):
        return records.take(positions)
    return [records[i] for i in positions]


def stored_json_lines(collection: Sequence[Any], records: Sequence[Any]) -> str | None:
    """`records` (taken from `collection`) as `--format jsonl` prints them, if the cache has them."""
    if not isinstance(collection, CachedRecords):
        return None
    if isinstance(records, Selection) and records.records is collection:
        return collection.lines_at(records.positions)
    return collection.json_lines(records)


class CachedRecords(Sequence[Any]):
    """The records of one collection in a mapped cache file; a record is built when first asked for."""

    def __init__(
        self,
        cls: Any,
        data: memoryview,
        rows: array[int],
        lines: array[int],
        keys: dict[str, tuple[Any, ...]],
    ) -> None:
        self._cls = cls
        self._data = data
        self._rows = rows  # absolute offsets: record i is data[rows[i]:rows[i + 1]]
        self._lines = lines  # likewise for its JSON line
        self._keys = keys
        self._built: list[Any] = [None] * (len(rows) - 1)
        self._position: dict[int, int] = {}  # id(record) -> index, for the records built so far
        # Where the records come from if a stored one turns out damaged (the collection parsed from
        # the YAML): a cache that fails a check is a miss, never an error.
        self.fallback: Callable[[], Sequence[Any]] | None = None
        self._damaged = False

    def __len__(self) -> int:
        return len(self._built)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        record = self._built[index]
        if record is None:
            index = range(len(self))[index]  # IndexError as a tuple gives it; negative indexes
            row = marshal.loads(self._data[self._rows[index] : self._rows[index + 1]])
            # The file's checksum matched; this guards only against a forged cache.
            if type(row) is not tuple or len(row) != len(self._cls._fields) or not set(map(type, row)) <= _PLAIN_TYPES:
                return self._replace_damaged()[index]
            record = self._built[index] = tuple.__new__(self._cls, row)
            self._position[id(record)] = index
        return record

    def _replace_damaged(self) -> list[Any]:
        """Every record from the fallback, once a stored record fails its check."""
        if self.fallback is None:
            message = "the KB cache is damaged; delete it (see PAKAZ_CACHE_DIR) and run again"
            raise KBError([Problem(str(cache_dir() or ""), 0, message)])
        records = list(self.fallback())
        if len(records) != len(self._built):
            raise KBError([Problem(str(cache_dir() or ""), 0, "the KB changed while it was read; run again")])
        self._built = records
        self._position = {}
        self._damaged = True  # its stored lines are not to be believed either
        return records

    def take(self, positions: Sequence[int]) -> list[Any]:
        """The records at these positions (the loop of __getitem__, inlined: it runs per record)."""
        built, data, rows, cls, loads = self._built, self._data, self._rows, self._cls, marshal.loads
        width, position = len(cls._fields), self._position
        out = []
        for i in positions:
            record = built[i]
            if record is None:
                row = loads(data[rows[i] : rows[i + 1]])
                if type(row) is not tuple or len(row) != width or not set(map(type, row)) <= _PLAIN_TYPES:
                    return [self[i] for i in positions]  # let __getitem__ report the damage
                record = built[i] = tuple.__new__(cls, row)
                position[id(record)] = i
            out.append(record)
        return out

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def column(self, name: str) -> Sequence[Any]:
        keys = self._keys.get(name)
        return keys if keys is not None else [getattr(r, name) for r in self]

    def lines_at(self, positions: Sequence[int]) -> str | None:
        """The stored JSON Lines of the records at these positions, or None if they cannot be trusted."""
        if self._damaged:
            return None
        lines, data = self._lines, self._data
        return _checked_lines(b"".join([data[lines[i] : lines[i + 1]] for i in positions]))

    def json_lines(self, records: Sequence[Any]) -> str | None:
        """The stored JSON Lines of these records (built by this collection), or None."""
        if self._damaged:
            return None
        parts = []
        lines, data, built = self._lines, self._data, self._built
        for record in records:
            index = self._position.get(id(record))
            if index is None or built[index] is not record:
                return None
            parts.append(data[lines[index] : lines[index + 1]])
        return _checked_lines(b"".join(parts))


# What pakaz's JSON Lines never hold unescaped: a stored line that does was not written by pakaz.
_UNSAFE_LINE = re.compile(
    rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]"
)


def _checked_lines(raw: bytes) -> str | None:
    """Stored JSON Lines as text, if they are what pakaz writes: no raw controls, valid UTF-8, one per line."""
    if _UNSAFE_LINE.search(raw) or (raw and not raw.endswith(b"\n")):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --- reading ----------------------------------------------------------------------------


def max_size(expected: tuple[Any, ...]) -> int:
    """The largest cache file a KB of this fingerprint can have: anything larger is not one of ours.

    A cache holds each record twice (a marshal row and a JSON line) plus key columns: about 4
    times the YAML. The bound is generous, and checked before a single byte is read, so that a
    planted 20 GB file costs nothing.
    """
    kb_bytes = sum(entry[1] for entry in expected if type(entry) is tuple and len(entry) > 1 and type(entry[1]) is int)
    return 32 * kb_bytes + (1 << 20)


def _map(path: Path, limit: int | None = None) -> memoryview | None:
    import mmap
    import stat

    try:
        # Non-blocking, and regular files only: a FIFO in a shared cache directory must not hang pakaz.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size < _HEADER:
            return None
        if limit is not None and info.st_size > limit:
            return None
        if _foreign(info):
            return None  # a file another user could have written: rebuilt, never believed
        return memoryview(mmap.mmap(fd, 0, access=mmap.ACCESS_READ))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


def _unseal(data: memoryview | None, expected: tuple[Any, ...]) -> tuple[Any, int] | None:
    """The header of a file written by `_seal` for this fingerprint, and where its regions start."""
    if data is None or binascii.crc32(data[4:]).to_bytes(4, "little") != data[:4]:
        return None
    size = int.from_bytes(data[4:_HEADER], "little")
    if size > len(data) - _HEADER:
        return None
    collecting = gc.isenabled()
    gc.disable()  # many small objects and no cycles: the collector would only cost time
    try:
        content = marshal.loads(data[_HEADER : _HEADER + size])
    except (ValueError, EOFError, TypeError, MemoryError, OverflowError, RecursionError):
        return None  # whatever the file holds, a cache that fails a check is a miss
    finally:
        if collecting:
            gc.enable()
    if type(content) is not tuple or len(content) != 2 or content[0] != expected:
        return None
    return content[1], _HEADER + size


def read(path: Path, expected: tuple[Any, ...], types: Sequence[Any]) -> tuple[Any, list[CachedRecords]] | None:
    """The meta row and the collections of a cache file, or None if it is missing, stale or damaged."""
    data = _map(path, max_size(expected))
    sealed = _unseal(data, expected)
    if data is None or sealed is None:
        return None
    try:
        (meta_row, collections), start = sealed
        if type(collections) is not tuple or len(collections) != len(types):
            return None
        return meta_row, [_collection(cls, data, start, c) for cls, c in zip(types, collections)]
    except (ValueError, TypeError, MemoryError, OverflowError):
        return None  # not what this version writes (or another of its files): rebuild from the YAML


def _offsets(raw: Any, start: int, end: int) -> array[int]:
    offsets = array("q")
    if type(raw) is not bytes:
        raise ValueError("bad offsets")
    offsets.frombytes(raw)
    # Their order is not checked (100,000 comparisons on every run): the checksum matched,
    # and a forged order only yields records that fail their own check.
    if not offsets or offsets[0] < start or offsets[-1] > end:
        raise ValueError("bad offsets")
    return offsets


def _collection(cls: Any, data: memoryview, start: int, header: Any) -> CachedRecords:
    raw_rows, raw_lines, keys = header
    rows, lines = _offsets(raw_rows, start, len(data)), _offsets(raw_lines, start, len(data))
    count = len(rows) - 1
    if len(lines) != count + 1 or type(keys) is not dict:
        raise ValueError("bad collection")
    for name, values in keys.items():
        if name not in cls._fields or type(values) is not tuple or len(values) != count:
            raise ValueError("bad key column")
        kinds = set(map(type, values))  # checked in C: this runs on every command
        if not kinds <= _PLAIN_TYPES:
            raise ValueError("bad key value")
        if tuple in kinds:
            items = chain.from_iterable(values if kinds == {tuple} else (v for v in values if type(v) is tuple))
            if not set(map(type, items)) <= {str}:
                raise ValueError("bad key value")
    return CachedRecords(cls, data, rows, lines, keys)


def read_folded(path: Path, expected: tuple[Any, ...]) -> dict[str, str] | None:
    """The folded search text per collection, from the search file, or None."""
    data = _map(path, max_size(expected))
    sealed = _unseal(data, expected)
    if sealed is None:
        return None
    payload = sealed[0]
    if type(payload) is not dict or not all(type(k) is str and type(v) is str for k, v in payload.items()):
        return None
    return payload


# --- writing ----------------------------------------------------------------------------


BUILD_WAIT = 600  # seconds to wait for another run's build before parsing the YAML here too


@contextlib.contextmanager
def build_lock(path: Path) -> Iterator[bool]:
    """Hold the right to build the cache at `path`: yields True at once if no other run is building
    it, else waits for that run to finish and yields False (then read what it wrote). Without a
    lock (no fcntl, or the directory cannot be written) it yields True: build, as before.
    """
    try:
        import fcntl
    except ImportError:  # not on this system: every run builds, as before
        yield True
        return
    import time

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        yield True
        return
    try:
        waited = False
        deadline = time.monotonic() + BUILD_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    break  # a build that takes this long, or a stuck one: go ahead without the lock
                waited = True
                time.sleep(0.05)
            except OSError:
                break  # a filesystem without locks
        yield not waited
    finally:
        os.close(fd)  # releases the lock


def discard(path: Path) -> None:
    """Remove a cache file that failed a check, so that the next run writes a good one."""
    for file in (path, search_path(path)):
        with contextlib.suppress(OSError):
            file.unlink()


def _evict_orphans(directory: Path) -> None:
    """Remove the caches of KB directories that no longer exist."""
    for note in directory.glob("kb-*.path"):
        try:
            with open(note, "rb") as f:
                kb_dir = os.fsdecode(f.read(8192))
            if os.path.isabs(kb_dir) and not os.path.isdir(kb_dir):
                stem = note.with_suffix("")
                for suffix in (".marshal", ".search.marshal", ".lock", ".path"):
                    with contextlib.suppress(OSError):
                        stem.with_name(stem.name + suffix).unlink()
        except OSError:
            continue


def write(
    path: Path, expected: tuple[Any, ...], meta: Any, collections: dict[str, Sequence[Any]], kb_dir: str = ""
) -> None:
    """Write the cache files of a parsed KB (quietly nothing if the cache directory is not writable)."""
    from pakaz.files import sweep_stale
    from pakaz.render import Listing, render_jsonl, to_row
    from pakaz.textfold import FOLDED_SEPARATOR, fold, searchable_text

    sweep_stale(path.parent, ".tmp-*.marshal")  # what runs killed while writing left behind

    folded = {}
    for name, records in collections.items():
        texts = [fold(searchable_text(r)) for r in records]
        if not any(FOLDED_SEPARATOR in t for t in texts):
            folded[name] = FOLDED_SEPARATOR.join(texts)
    # The search file first: whoever sees the new main file finds a matching search file.
    _write_atomic(search_path(path), _seal(expected, folded, []))

    regions: list[bytes] = []
    headers = []
    position = 0  # relative to the start of the regions; made absolute below
    for name, records in collections.items():
        rows = [marshal.dumps(tuple(r)) for r in records]
        lines = [render_jsonl(Listing(name, [to_row(r)], (), ())).encode("utf-8") for r in records]
        offsets = []
        for blobs in (rows, lines):
            marks = [position]
            for blob in blobs:
                position += len(blob)
                marks.append(position)
            offsets.append(marks)
            regions.extend(blobs)
        # Equal values made one object, so that marshal writes each once and reads back references.
        same: dict[Any, Any] = {}
        keys = {k: tuple(same.setdefault(v, v) for v in column(records, k)) for k in KEY_FIELDS.get(name, ("id",))}
        headers.append((offsets[0], offsets[1], keys))

    def encode(shift: int) -> tuple[Any, ...]:
        return tuple(
            (array("q", [m + shift for m in r]).tobytes(), array("q", [m + shift for m in j]).tobytes(), k)
            for r, j, k in headers
        )

    # The header holds absolute offsets, which depend on its own length: settle it in two passes.
    start = _HEADER + len(marshal.dumps((expected, (tuple(meta), encode(0)))))
    body = (expected, (tuple(meta), encode(start)))
    if _HEADER + len(marshal.dumps(body)) != start:  # a larger shift needed more bytes: settle again
        start = _HEADER + len(marshal.dumps(body))
        body = (expected, (tuple(meta), encode(start)))
    _write_atomic(path, _seal_body(marshal.dumps(body), regions))
    if kb_dir:
        # Which KB this cache is of, so that a later run can remove it once that KB is gone.
        _write_atomic(path.with_suffix(".path"), os.fsencode(os.path.realpath(kb_dir)))
        with contextlib.suppress(OSError):
            _evict_orphans(path.parent)


def _seal(expected: tuple[Any, ...], payload: Any, regions: list[bytes]) -> bytes:
    return _seal_body(marshal.dumps((expected, payload)), regions)


def _seal_body(header: bytes, regions: list[bytes]) -> bytes:
    rest = len(header).to_bytes(8, "little") + header + b"".join(regions)
    return binascii.crc32(rest).to_bytes(4, "little") + rest


def _write_atomic(path: Path, blob: bytes) -> None:
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".marshal")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
            os.replace(tmp, path)  # atomic: a reader sees the old file or the new one
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only or missing cache directory: work without caching
