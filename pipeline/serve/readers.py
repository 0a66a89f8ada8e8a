"""Uploaded documents read in processes of their own.

Parsing a large Word file or PDF holds the interpreter for seconds at a time (lxml and
PDFium run long stretches of C code without letting go of it), so read on a thread it
would still freeze the event loop for as long; in a process of its own it freezes
nothing. A reader that takes longer than its time-out (a hostile file that sends a
parser into a loop) is stopped and its pool started anew: the document fails with one
line, the service goes on. The processes are spawned (never forked from a process that
holds models and threads) on first use, and ``workers`` read at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from multiprocessing.pool import Pool

from ..errors import InputError
from ..types import Document
from ..uploads import read_upload

__all__ = ["Readers"]

log = logging.getLogger("it2en.serve")


class Readers:
    """A pool of ``workers`` reader processes (see the module docstring)."""

    def __init__(self, workers: int, timeout: float):
        self.workers, self.timeout = max(1, workers), timeout
        self._pool: Pool | None = None
        self._lock = threading.Lock()

    def read(self, name: str, data: bytes) -> Document:
        """The one document of the uploaded file ``name`` (:func:`pipeline.uploads.read_upload`,
        in a reader process); :class:`InputError` naming the file when it cannot be read,
        or not within the time-out. Blocks: call it from a thread, not the event loop."""
        pool = self._started()
        pending = pool.apply_async(read_upload, (name, data))
        try:
            return pending.get(self.timeout)
        except multiprocessing.TimeoutError:
            self._restart(pool)
            raise InputError(f"{name}: not read within {self.timeout:g} s (its reader was stopped)") from None

    def close(self) -> None:
        """Stop the reader processes."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()

    def _started(self) -> Pool:
        with self._lock:
            if self._pool is None:
                self._pool = multiprocessing.get_context("spawn").Pool(self.workers)
            return self._pool

    def _restart(self, pool: Pool) -> None:
        """Stop ``pool`` (its processes, hung or not) so the next read starts a new one."""
        log.warning("a document reader took too long: restarting the readers")
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.terminate()
