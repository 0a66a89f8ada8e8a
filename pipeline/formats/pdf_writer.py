"""The translated PDF (:func:`.pdf_out.rewrite`) made in a process of its own
(:class:`pipeline.children.Children`), so that a file whose data crashes PDFium ends its
own PDF copy, in one line, and not the run, the service or the library's caller; a copy
that was in the writer when another file crashed it is made again. Reading is kept apart
the same way (:mod:`pipeline.readers`); writing works on PDFium's objects through raw
pointers, where a hostile file can do most harm.

One writer process, spawned on first use and kept for the next file; a crashed one is
replaced. Its warnings (pages left as they were, English running on) are told again
here, in the caller's logs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from ..children import Children
from .pdf_fallback import FONTS_VARIABLE

__all__ = ["rewritten"]

log = logging.getLogger("it2en.formats")

WRITER = Children("PDF writer", "written", "its PDF copy crashed the PDF writer (PDFium) twice: none written")
"""The writer process, shared by every caller in this process."""


def rewritten(data: bytes, texts: Sequence[str]) -> bytes:
    """The PDF ``data`` with its paragraphs' text replaced by ``texts``, made in the
    writer process; :class:`~pipeline.errors.InputError` where the file cannot be
    rewritten, or crashes the writer twice."""
    fonts = os.environ.get(FONTS_VARIABLE)  # as the caller sees it now, not as at the spawn
    out, told = WRITER.call("a PDF copy", _rewrite, data, list(texts), fonts)
    for message in told:
        log.warning("%s", message)
    return out


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
