"""Writing outputs: atomically, under names that cannot leave their folder.

Records, reports, translated documents and the batch manifest are written through
:func:`atomic_output`: a temporary file beside the target, flushed and fsynced, renamed
over it only when the writing succeeded, so a crash or a full disk never leaves half a
file where a whole one was. :func:`safe_name` names output files and conversion folders.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

__all__ = ["TEMP_SUFFIX", "atomic_output", "naming", "remove_temporary_files", "safe_name"]

TEMP_SUFFIX = ".it2en-tmp"
"""Suffix of atomic_output's temporary files (hidden, next to their target)."""
_PENDING: set[str] = set()
"""Temporary files being written by atomic_output now (for remove_temporary_files)."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_STDOUT = "-"


def safe_name(text: str, max_length: int = 120) -> str:
    """A file name for ``text`` (a document id, a model name) that cannot leave its folder.

    Path separators, ``..``, leading dots and every character outside ``[A-Za-z0-9._-]``
    become ``_``; names over ``max_length`` are cut and suffixed with a hash of the whole.
    """
    name = _UNSAFE.sub("_", text).strip("._") or "doc"
    if len(name) > max_length:
        digest = hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
        name = f"{name[:max_length]}-{digest[:8]}"
    return name


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def naming(path: str | Path) -> Iterator[None]:
    """Give ``path`` to an OSError raised inside that names no file: a write or fsync that
    meets a full disk or a failing device names none, and "No space left on device" alone
    does not say which output could not be written."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None or exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc


@contextmanager
def atomic_output(path: str | Path | None, *, binary: bool = False) -> Iterator[Any]:
    """A text (``binary``: bytes) stream for ``path`` that replaces the file only when the
    block succeeds: a temporary file in the target folder, flushed and fsynced, then
    renamed over the target. ``None`` or ``-`` means standard output, written as it comes."""
    if path is None or str(path) == _STDOUT:
        out: Any = sys.stdout.buffer if binary else sys.stdout
        yield out
        out.flush()
        return
    target = Path(path)
    with naming(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    _PENDING.add(tmp)
    try:
        with naming(target):
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
            text: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": "\n"}
            with os.fdopen(fd, "wb" if binary else "w", **text) as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        _PENDING.discard(tmp)


def remove_temporary_files() -> None:
    """Remove the temporary files of every atomic_output still being written: for a
    process about to end without unwinding (a second stop signal), so that it leaves no
    hidden partial file behind."""
    for tmp in list(_PENDING):
        with suppress(OSError):
            os.unlink(tmp)
