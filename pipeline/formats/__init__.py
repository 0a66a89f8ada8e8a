"""Documents as they arrive: HTML pages, Word files and PDFs, read into the plain text the
pipeline translates, with a map back to where each piece came from.

A reader turns a file's bytes into a :class:`Layout`: the document's text, one block per
paragraph, heading, list item, table cell, caption or attribute, blocks separated by a
blank line (so no segment ever spans two), and for each block its place in the original
(an element path, a paragraph index, a page). Segments then point back to that place
(:func:`locate`), and for HTML and DOCX the translated blocks are written into a copy of
the original file (:func:`write_translated`), every tag, attribute and style kept.

Each format has a module of its own (:mod:`.html`, :mod:`.docx`, :mod:`.pdf`) with one
``read(data) -> Layout`` and, where a translated file makes sense, one
``write(layout, translations) -> bytes``. A file a reader cannot use raises
:class:`~pipeline.errors.InputError` with a one-line reason.
"""

from __future__ import annotations

import bisect
import importlib
import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..errors import InputError, reason
from ..layouts import WRITABLE_FORMATS, Block, BlockTranslation, FormatName, Layout
from ..segmenting import reassemble
from ..types import Result, Segment

__all__ = [
    "DOCUMENT_SUFFIXES",
    "WRITABLE_FORMATS",
    "Block",
    "BlockTranslation",
    "FormatName",
    "Layout",
    "block_translations",
    "format_of",
    "locate",
    "read_format",
    "translated_file",
    "translated_pdf",
    "writable",
    "write_translated",
]

log = logging.getLogger("it2en.formats")

DOCUMENT_SUFFIXES: dict[str, FormatName] = {
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pdf": "pdf",
    ".srt": "srt",
    ".vtt": "vtt",
    ".xlf": "xliff",
    ".xliff": "xliff",
    ".odt": "odt",
    ".ods": "ods",
    ".odp": "odp",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
    ".epub": "epub",
}
"""File suffixes (any case) read by a format reader rather than as plain text."""


def format_of(name: str) -> FormatName | None:
    """The format of a file named ``name`` by its suffix (any case), or None for text."""
    lowered = name.lower()
    return next((fmt for suffix, fmt in DOCUMENT_SUFFIXES.items() if lowered.endswith(suffix)), None)


def read_format(fmt: FormatName, data: bytes, *, main_article: bool = False, name: str = "") -> Layout:
    """The layout of a file of format ``fmt``; :class:`InputError` when it cannot be used.
    ``main_article``: of an HTML page, only its main article (:func:`.html.read`), its
    warnings naming the file ``name``."""
    options = {"main_article": True, "name": name or "the page"} if main_article and fmt == "html" else {}
    try:
        return _module(fmt).read(data, **options)
    except InputError:
        raise
    except Exception as exc:  # a parser's own error on a corrupt file: one line, never a traceback
        log.debug("reading a %s file failed", fmt, exc_info=True)
        raise InputError(f"not a readable {fmt.upper()} file ({reason(exc)})") from None


def writable(layout: Layout | None) -> bool:
    """Whether a translated copy of the original file can be written for ``layout``."""
    return layout is not None and layout.format in WRITABLE_FORMATS


def write_translated(layout: Layout, translations: Sequence[str | BlockTranslation]) -> bytes:
    """The original file with each block replaced by its translation (one per block; a
    plain string is a translation without segment anchors)."""
    if len(translations) != len(layout.blocks):
        raise ValueError("one translation per block is needed")
    if not layout.blocks:  # nothing was translated: the file as it is, byte for byte
        return layout.data
    blocks = [t if isinstance(t, BlockTranslation) else BlockTranslation(t) for t in translations]
    return _module(layout.format).write(layout, blocks)


def translated_file(result: Result) -> bytes:
    """The original file of ``result`` (an HTML or DOCX input) with its text translated."""
    if result.layout is None or not writable(result.layout):
        raise ValueError(f"{result.id}: no translated file can be written for this input")
    return _translated(result, result.layout)


def translated_pdf(result: Result) -> bytes:
    """The PDF of ``result`` (a PDF input) with each paragraph's translation set where it
    was (:mod:`.pdf_out`): asked for by name, as a PDF is rewritten, not edited."""
    if result.layout is None or result.layout.format != "pdf" or not result.layout.data:
        raise ValueError(f"{result.id}: a translated PDF is made only of a PDF input")
    return _translated(result, result.layout)


def _translated(result: Result, layout: Layout) -> bytes:
    translations = block_translations(layout, result.segments, result.translations)
    flagged = _flagged_blocks(layout, result)
    return write_translated(
        layout,
        [replace(t, review=b.start in flagged) for b, t in zip(layout.blocks, translations, strict=True)],
    )


def _flagged_blocks(layout: Layout, result: Result) -> set[int]:
    """Where the blocks start that hold a sentence the trust checks flagged."""
    starts = [block.start for block in layout.blocks]
    return {
        layout.blocks[max(0, bisect.bisect_right(starts, segment.start) - 1)].start
        for index, segment in enumerate(result.segments)
        if result.segment_flags(index)
    }


def locate(segments: Sequence[Segment], layout: Layout | None) -> list[Segment]:
    """``segments`` of ``layout.text`` with the place and kind of the block each lies in."""
    if layout is None:
        return list(segments)
    starts = [block.start for block in layout.blocks]
    located = []
    for segment in segments:
        block = layout.blocks[max(0, bisect.bisect_right(starts, segment.start) - 1)]
        located.append(replace(segment, where=block.where, kind=block.kind))
    return located


def block_translations(
    layout: Layout, segments: Sequence[Segment], outputs: Sequence[str]
) -> list[BlockTranslation]:
    """Each block's translation: its text with the segments inside it (segments of
    ``layout.text``, never spanning two blocks) replaced by their ``outputs``, anchored at
    each segment's ends."""
    starts = [segment.start for segment in segments]
    translated = []
    for block in layout.blocks:
        first, last = bisect.bisect_left(starts, block.start), bisect.bisect_left(starts, block.end)
        inside, written = segments[first:last], outputs[first:last]
        text = reassemble(layout.text, inside, written, block.start, block.end)
        anchors: list[tuple[int, int]] = []
        shift = 0  # how much longer the translation is than the source so far
        for segment, output in zip(inside, written, strict=True):
            start, end = segment.start - block.start, segment.end - block.start
            anchors += [(start, start + shift), (end, start + shift + len(output))]
            shift += len(output) - (end - start)
        translated.append(BlockTranslation(text, tuple(anchors)))
    return translated


_FAMILIES: dict[str, tuple[str, str, str | None]] = {
    "srt": ("subtitles", "subtitles", None),
    "vtt": ("subtitles", "subtitles", None),
    "odt": ("packages", "odf", "ODT"),
    "ods": ("packages", "odf", "ODS"),
    "odp": ("packages", "odf", "ODP"),
    "pptx": ("packages", "ooxml", "PPTX"),
    "xlsx": ("packages", "ooxml", "XLSX"),
}
"""Formats read and written by a module they share: that module, and the module and
name of what tells it the format (none: the format's name itself)."""


class _Family:
    """A format of a shared module (:data:`_FAMILIES`): the module's ``read`` and
    ``write`` with the format's own first argument."""

    def __init__(self, module: Any, first: Any):
        self.module, self.first = module, first

    def read(self, data: bytes, **options: Any) -> Layout:
        return self.module.read(self.first, data)  # type: ignore[no-any-return]

    def write(self, layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
        return self.module.write(self.first, layout, translations)  # type: ignore[no-any-return]


def _module(fmt: FormatName) -> Any:
    """What reads and writes format ``fmt``: its module, or its family's (imported on
    first use: a parser stays unloaded for plain text)."""
    if fmt not in _FAMILIES:
        return importlib.import_module(f".{fmt}", __name__)
    shared, holder, name = _FAMILIES[fmt]
    first = fmt if name is None else getattr(importlib.import_module(f".{holder}", __name__), name)
    return _Family(importlib.import_module(f".{shared}", __name__), first)
