"""Formatted files (HTML, Word, PDF) parsed in processes of their own
(:class:`pipeline.children.Children`), so that no file can hold up or crash whoever reads
it: a file not parsed within the time-out, or one that crashes its reader twice, is the
document's failure in one line, and a stop event (the first SIGTERM of a batch run) is
heard within half a second while a file is parsed.
"""

from __future__ import annotations

import threading

from .children import Children
from .formats import FormatName, read_format
from .layouts import Layout

__all__ = ["Readers"]


class Readers(Children):
    """``workers`` reader processes; ``timeout`` seconds at most per file (None: no
    limit); ``stop``, once set, ends the wait with :class:`~pipeline.errors.Stopped`."""

    def __init__(self, workers: int = 1, timeout: float | None = None, stop: threading.Event | None = None):
        super().__init__(
            "reader", "read", "it crashed its reader twice (lxml, PDFium): not read",
            workers=workers, timeout=timeout, stop=stop,
        )  # fmt: skip

    def parse(self, fmt: FormatName, data: bytes, *, main_article: bool = False, name: str = "") -> Layout:
        """The layout of a file of ``fmt`` (:func:`pipeline.formats.read_format`, in a
        reader process); :class:`~pipeline.errors.InputError` for a file that cannot be
        used, is not parsed in time, or crashes its reader."""
        return self.call(name, read_format, fmt, data, main_article=main_article, name=name)
