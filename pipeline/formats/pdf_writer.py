"""The translated PDF (:func:`.pdf_out.rewrite`) made in a process of its own, so that a
file whose data crashes PDFium ends its own PDF copy, in one line, and not the run, the
service or the library's caller. Reading is kept apart the same way
(:mod:`pipeline.readers`); writing works on PDFium's objects through raw pointers, where
a hostile file can do most harm.

One writer process, spawned (never forked from a process that holds models and threads)
on first use and kept for the next file; a crashed one is replaced. Its warnings (pages
left as they were, English running on) are told again here, in the caller's logs. In a
daemonic process, which may have no children, the copy is made in the process itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import InputError
from .pdf_fallback import FONTS_VARIABLE

__all__ = ["rewritten"]

log = logging.getLogger("it2en.formats")

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def rewritten(data: bytes, texts: Sequence[str]) -> bytes:
    """The PDF ``data`` with its paragraphs' text replaced by ``texts``, made in the
    writer process; :class:`InputError` where the file cannot be rewritten, or crashed
    the writer."""
    fonts = os.environ.get(FONTS_VARIABLE)  # as the caller sees it now, not as at the spawn
    if multiprocessing.current_process().daemon:
        out, told = _rewrite(data, list(texts), fonts)
    else:
        pool = _started()
        try:
            out, told = pool.submit(_rewrite, data, list(texts), fonts).result()
        except BrokenProcessPool:
            _forget(pool)
            raise InputError("its PDF copy crashed the PDF writer (PDFium): none written") from None
    for message in told:
        log.warning("%s", message)
    return out


def _started() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _forget(pool: ProcessPoolExecutor) -> None:
    """Let go of a broken pool: the next file starts a new writer."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


class _Told(logging.Handler):
    """The writer's warnings, kept to be told in the caller's process."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _rewrite(data: bytes, texts: list[str], fonts: str | None) -> tuple[bytes, list[str]]:
    """:func:`.pdf_out.rewrite` with the fallback fonts the caller looks in, and the
    warnings it gave."""
    from .pdf_out import rewrite

    if fonts is None:
        os.environ.pop(FONTS_VARIABLE, None)
    else:
        os.environ[FONTS_VARIABLE] = fonts
    logger = logging.getLogger("it2en.formats")
    told, propagate = _Told(), logger.propagate
    logger.addHandler(told)
    logger.propagate = False  # told once, by the caller
    try:
        return rewrite(data, texts), told.messages
    finally:
        logger.removeHandler(told)
        logger.propagate = propagate
