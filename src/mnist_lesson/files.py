"""Atomic file writes: a file is either the old one or the complete new one (introduced in lesson 01)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_open(path):
    """Open a temporary file beside path for binary writing; rename it over path only on success (lesson 01)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        # Whatever stopped the write (an error, Ctrl-C), no half-written file may stay behind.
        Path(tmp_name).unlink(missing_ok=True)
        raise
