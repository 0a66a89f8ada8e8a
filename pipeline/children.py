"""Calls made in child processes of their own, so that no input can hold up or crash
whoever makes them: parsers and PDF writers work in long stretches of C code (lxml,
PDFium) during which the interpreter neither switches threads nor runs a signal handler,
and a hostile or enormous file can keep them there for minutes, or crash them outright.

While a child works, the caller waits in slices of half a second: a stop event (the first
SIGTERM of a batch run) is seen within that, and a call not done within the time-out is
that input's failure in one line; either way the children are stopped and started anew,
so a child stuck in one input never serves another.

A child that crashes fails every call then in it (``concurrent.futures`` answers each with
``BrokenProcessPool``, where ``multiprocessing.Pool`` would never answer them). As the
crash may be a neighbour's, each such call is made again in a child of its own: one that
crashes there too is the culprit and fails in one line; its neighbours come through.
Children are spawned (never forked from a process that holds models and threads) on first
use and kept. In a daemonic process, which may have no children, calls are made in the
process itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from .errors import InputError, Stopped

__all__ = ["Children"]

log = logging.getLogger("it2en.io")

T = TypeVar("T")
C = TypeVar("C", bound="Children")

_SLICE = 0.5
"""Seconds between two looks at the stop event while a child works."""


class Children:
    """``workers`` child processes that each make one call at a time: ``role`` names them
    and ``act`` what they do to an input ("reader", "read"); ``crashed`` is the failure of
    an input that crashes a child twice. ``timeout`` seconds at most per call (None: no
    limit); ``stop``, once set, ends the wait with :class:`~pipeline.errors.Stopped`."""

    def __init__(
        self,
        role: str,
        act: str,
        crashed: str,
        *,
        workers: int = 1,
        timeout: float | None = None,
        stop: threading.Event | None = None,
    ):
        self.role, self.act, self.crashed = role, act, crashed
        self.workers, self.timeout, self.stop = max(1, workers), timeout, stop
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def call(self, name: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` made in a child for the input ``name``;
        :class:`~pipeline.errors.InputError` where it takes longer than the time-out or
        crashes its child twice (the second time alone), and whatever ``fn`` raises."""
        if multiprocessing.current_process().daemon:
            return fn(*args, **kwargs)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        pool, future = self._submitted(fn, args, kwargs)
        try:
            return self._waited(pool, future, deadline, name)
        except BrokenProcessPool:
            self._forget(pool)
        if self._stopping():
            raise self._stopped(name)
        log.warning(
            "a %s ended under %s (a crash, or another file given up): it is %s again by one of its own",
            self.role, name or "a file", self.act,
        )  # fmt: skip
        alone = _spawned(1)
        try:
            return self._waited(alone, alone.submit(fn, *args, **kwargs), deadline, name)
        except BrokenProcessPool:
            raise InputError(self.crashed) from None
        finally:
            _kill(alone)

    def close(self) -> None:
        """Stop the children."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            _kill(pool)

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submitted(
        self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[ProcessPoolExecutor, Future[T]]:
        """The call handed to the shared children, started anew where they had crashed
        before it came (a crash then is not this call's)."""
        pool = self._started()
        try:
            return pool, pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            self._forget(pool)
        pool = self._started()
        return pool, pool.submit(fn, *args, **kwargs)

    def _waited(self, pool: ProcessPoolExecutor, future: Future[T], deadline: float | None, name: str) -> T:
        """The call's result, waited for in slices; on a stop or past the deadline the
        children of ``pool`` are stopped (a child stuck in C code hears nothing else)."""
        while True:
            try:
                return future.result(_SLICE)
            except FutureTimeout:
                pass
            if self._stopping():
                self._restart(pool)
                raise self._stopped(name)
            if deadline is not None and time.monotonic() > deadline:
                self._restart(pool)
                problem = f"not {self.act} within {self.timeout:g} s"
                raise InputError(f"{problem}: given up (its {self.role} was stopped)")

    def _stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def _stopped(self, name: str) -> Stopped:
        return Stopped(f"stopped while {name or 'a file'} was being {self.act}")

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = _spawned(self.workers)
            return self._pool

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        """Let go of ``pool``, where it is still the shared one: the next call starts new
        children."""
        with self._lock:
            if self._pool is pool:
                self._pool = None

    def _restart(self, pool: ProcessPoolExecutor) -> None:
        """Stop ``pool``'s children, stuck or not, so that the next call starts new ones
        (a neighbour's call then in them is made again by a child of its own)."""
        log.warning("a %s was stopped; the next file starts a new one", self.role)
        self._forget(pool)
        _kill(pool)


def _spawned(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop ``pool`` now: its children killed (``shutdown`` alone waits for a stuck one's
    call to end, which may be never), its pending calls cancelled."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
