"""Opening a file the user named, safely, and the one wording of a file too large: a leaf
that the config reader and the document readers both use (it imports nothing of it2en's
but its errors)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import InputError

__all__ = ["open_regular", "too_large"]


def open_regular(path: Path, fmt: str, max_bytes: int, expected: str = "a document file") -> BinaryIO:
    """``path`` opened for reading, if it is a regular file (after symlinks) of at most
    ``max_bytes`` (but for JSONL, whose lines are checked one by one). Opened without
    blocking and checked on the open descriptor, so a FIFO can never block the run.
    Raises :class:`InputError` (saying ``expected``) or the OSError of a missing file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))  # OSError: missing, loop
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"is a directory, expected {expected}")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"not a regular file (a pipe, socket or device), expected {expected}")
        if fmt != "jsonl" and info.st_size > max_bytes:
            raise InputError(too_large("file", max_bytes, info.st_size))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def too_large(what: str, limit: int, size: int | None = None) -> str:
    """The one wording of an input over the size limit: ``file of 3,221,225,472 bytes
    exceeds the input limit of 268,435,456 bytes`` (the size where it is known)."""
    of = f" of {size:,} bytes" if size is not None else ""
    return f"{what}{of} exceeds the input limit of {limit:,} bytes"
