"""Formatted files (HTML, Word, PDF) parsed in processes of their own, so that no file can
hold up whoever reads it: a parser works in long stretches of C code (lxml, PDFium)
during which the interpreter neither switches threads nor runs a signal handler, and a
hostile or enormous file can keep it there for minutes.

While a reader process parses, the caller waits in slices of half a second: a stop event
(the first SIGTERM of a batch run) is seen within that, and a file not parsed within the
time-out is the document's failure in one line; either way the pool is stopped and
started anew, so a reader stuck in a file never serves another. The processes are
spawned (never forked from a process that holds models and threads) on first use.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from multiprocessing.pool import Pool

from .errors import InputError, Stopped
from .formats import FormatName, read_format
from .layouts import Layout

__all__ = ["Readers"]

log = logging.getLogger("it2en.io")

_SLICE = 0.5
"""Seconds between two looks at the stop event while a file is parsed."""


class Readers:
    """A pool of ``workers`` reader processes; ``timeout`` seconds at most per file (None:
    no limit); ``stop``, once set, ends the wait with :class:`~pipeline.errors.Stopped`."""

    def __init__(self, workers: int = 1, timeout: float | None = None, stop: threading.Event | None = None):
        self.workers, self.timeout, self.stop = max(1, workers), timeout, stop
        self._pool: Pool | None = None
        self._lock = threading.Lock()

    def parse(self, fmt: FormatName, data: bytes, *, main_article: bool = False, name: str = "") -> Layout:
        """The layout of a file of ``fmt`` (:func:`pipeline.formats.read_format`, in a
        reader process); :class:`~pipeline.errors.InputError` for a file that cannot be
        used or is not parsed in time."""
        pool = self._started()
        pending = pool.apply_async(read_format, (fmt, data), {"main_article": main_article, "name": name})
        deadline = time.monotonic() + self.timeout if self.timeout is not None else None
        while True:
            try:
                return pending.get(_SLICE)
            except multiprocessing.TimeoutError:
                pass
            if self.stop is not None and self.stop.is_set():
                self._restart(pool)
                raise Stopped(f"stopped while reading {name or 'a file'}")
            if deadline is not None and time.monotonic() > deadline:
                self._restart(pool)
                raise InputError(f"not read within {self.timeout:g} s: given up (its reader was stopped)")

    def close(self) -> None:
        """Stop the reader processes."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()

    def __enter__(self) -> Readers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _started(self) -> Pool:
        with self._lock:
            if self._pool is None:
                self._pool = multiprocessing.get_context("spawn").Pool(self.workers)
            return self._pool

    def _restart(self, pool: Pool) -> None:
        """Stop ``pool`` (its processes, stuck or not) so that the next file starts a new one."""
        log.warning("a document reader was stopped; the next file starts a new one")
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.terminate()
