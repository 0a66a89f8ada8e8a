"""The records of a formatted document (a page, an office file, a PDF, subtitles...):
its text in blocks, each with its place in the original file, and the original kept for
the formats that are written back (:mod:`pipeline.formats` reads and writes them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import InputError
from .types import SegmentKind

__all__ = ["BLOCK_SEPARATOR", "WRITABLE_FORMATS", "Block", "BlockTranslation", "FormatName", "Layout"]

FormatName = Literal[
    "html", "docx", "pdf", "srt", "vtt", "xliff", "odt", "ods", "odp", "pptx", "xlsx", "epub"
]
WRITABLE_FORMATS: tuple[FormatName, ...] = (
    "html",
    "docx",
    "srt",
    "vtt",
    "xliff",
    "odt",
    "ods",
    "odp",
    "pptx",
    "xlsx",
    "epub",
)
"""Formats of which a translated copy of the original file is written."""
BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Block:
    """One translatable piece of a formatted document: ``layout.text[start:end]``."""

    start: int
    end: int
    where: str
    """Its place in the original: ``/html/body/p[2]``, ``paragraph 7``, ``page 3``..."""
    kind: SegmentKind = "text"


@dataclass(frozen=True)
class Layout:
    """A formatted document read for translation: its text, its blocks, and (for formats
    that are written back) the original bytes."""

    format: FormatName
    text: str
    blocks: tuple[Block, ...]
    data: bytes = b""
    """The original file, kept where a translated copy is written (HTML, DOCX)."""

    @classmethod
    def of(cls, fmt: FormatName, pieces: Sequence[tuple[str, str, SegmentKind]], data: bytes = b"") -> Layout:
        """A layout from ``(text, where, kind)`` pieces in document order; empty pieces are
        left out. A page or a Word file with none has nothing to translate (its translated
        copy is the file itself); a PDF with none is an :class:`InputError`."""
        parts: list[str] = []
        blocks: list[Block] = []
        position = 0
        for text, where, kind in pieces:
            if not text.strip():
                continue
            if parts:
                parts.append(BLOCK_SEPARATOR)
                position += len(BLOCK_SEPARATOR)
            parts.append(text)
            blocks.append(Block(position, position + len(text), where, kind))
            position += len(text)
        if not blocks and fmt not in WRITABLE_FORMATS:
            raise InputError(f"no text found in this {fmt.upper()} file")
        return cls(fmt, "".join(parts), tuple(blocks), data)


@dataclass(frozen=True)
class BlockTranslation:
    """A block's translation, with where its segments begin and end in it: ``anchors``
    pairs a position of the block's text with its place in ``text``, so that inline
    markup is placed by sentence, not guessed over the whole block."""

    text: str
    anchors: tuple[tuple[int, int], ...] = ()
    review: bool = False
    """The trust checks flagged a sentence of it (a format that can say so does: XLIFF's
    target state)."""
