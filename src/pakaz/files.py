"""The temporary files pakaz writes beside a cache or an export, and removing those a killed run left."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

STALE_AFTER = 3600  # seconds: a write takes seconds; a temporary this old belongs to a run that was killed


def sweep_stale(directory: Path, pattern: str) -> None:
    """Remove the regular files matching `pattern` in `directory` that are older than STALE_AFTER."""
    now = time.time()
    try:
        candidates = list(directory.glob(pattern))
    except OSError:
        return
    for temp in candidates:
        try:
            info = temp.lstat()
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_AFTER:
                os.unlink(temp)
        except OSError:
            continue
