"""Where parsed KBs are cached, and when a cached one may be used: never stale, never required.

A cache file is the KB's SQLite database (see `store`), one per KB directory, written to a
temporary file and moved into place, so that a reader sees the old file or the new one. It
is used only if it belongs to this user, is writable by no one else, and was built from
files of exactly the size, time and identity the KB files have now, by this pakaz and this
Python; anything else is a miss, and the cache is built again.
"""

from __future__ import annotations

import binascii
import contextlib
import json
import os
import sqlite3
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

FORMAT = 9


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
    return base / f"kb-{binascii.crc32(real):08x}-{len(real)}.sqlite"


def fingerprint(directory: Path, files: Sequence[str]) -> str:
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
    return json.dumps(stats)


def max_size(expected: str) -> int:
    """The largest cache file the KB of this fingerprint can have: anything larger is not one of ours.

    The database holds each record about four times (its table, its JSON, its search text and
    index); the bound is generous, and checked before the file is opened.
    """
    kb_bytes: int = sum(entry[1] for entry in json.loads(expected)[3:] if entry[1] is not None)
    return 64 * kb_bytes + (16 << 20)


def open_cached(path: Path, expected: str) -> sqlite3.Connection | None:
    """The cache file at `path`, opened read-only, if it may be read at all; else None (a miss)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    # Regular files only (a link, a FIFO in a shared directory must not be followed or hang pakaz),
    # of this user and writable by no one else, and of a plausible size.
    if not stat.S_ISREG(info.st_mode) or _foreign(info) or info.st_size > max_size(expected):
        return None
    from urllib.parse import quote

    try:
        # immutable: the file is never written in place (a new one replaces it), so no locks are needed.
        uri = "file:" + quote(os.fsencode(os.path.abspath(path))) + "?mode=ro&immutable=1"  # any bytes
        return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=0.2)
    except (sqlite3.Error, ValueError):
        return None


def discard(path: Path) -> None:
    """Remove a cache file that failed a check, so that the next run writes a good one."""
    with contextlib.suppress(OSError):
        path.unlink()


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


def _evict_orphans(directory: Path) -> None:
    """Remove the caches of KB directories that no longer exist, and those of older pakaz versions."""
    for note in directory.glob("kb-*.path"):
        try:
            with open(note, "rb") as f:
                kb_dir = os.fsdecode(f.read(8192))
            if os.path.isabs(kb_dir) and not os.path.isdir(kb_dir):
                stem = note.with_suffix("")
                for suffix in (".sqlite", ".lock", ".path"):
                    with contextlib.suppress(OSError):
                        stem.with_name(stem.name + suffix).unlink()
        except OSError:
            continue
    for old in directory.glob("kb-*.marshal"):  # the binary format earlier versions of pakaz wrote
        with contextlib.suppress(OSError):
            old.unlink()


def write(path: Path, fill: Callable[[sqlite3.Connection], Any], kb_dir: str = "") -> bool:
    """Build a cache file with `fill` and move it into place; False (and nothing left behind) if the
    cache directory cannot be written: read-only, full, or gone."""
    import tempfile

    from pakaz.files import sweep_stale

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale(path.parent, ".tmp-*.sqlite")  # what runs killed while writing left behind
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".sqlite")
        os.close(fd)
    except OSError:
        return False
    try:
        connection = sqlite3.connect(tmp, isolation_level=None)
        try:
            # A private temporary until it is moved into place: no journal, no syncs on the way.
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            fill(connection)
        finally:
            connection.close()
        os.replace(tmp, path)  # atomic: a reader sees the old file or the new one
    except (OSError, sqlite3.Error):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return False
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if kb_dir:
        # Which KB this cache is of, so that a later run can remove it once that KB is gone.
        with contextlib.suppress(OSError):
            fd, note = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".sqlite")
            with os.fdopen(fd, "wb") as f:
                f.write(os.fsencode(os.path.realpath(kb_dir)))
            os.replace(note, path.with_suffix(".path"))
            _evict_orphans(path.parent)
    return True
