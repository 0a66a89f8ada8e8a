"""Links of a translated PDF page (:mod:`.pdf_out`) moved with the text they cover: a
link annotation over a paragraph's Italian is put over the same words of its English.

The words are found by what the link covered: where the English keeps that text as it
was (an address, a name, a number), the link goes exactly over it; else over the words
at the same share of the paragraph (a link over the third quarter of the Italian goes
over the third quarter of the English). Its rectangle takes in every row those words
are set on, and its quad points (what readers click and highlight) mark each row's piece.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .pdf import Line
from .pdf_layout import Row

__all__ = ["Covering", "covering", "move", "span"]


@dataclass(frozen=True)
class Covering:
    """A link over (part of) a paragraph: its annotation's index on the page, the
    paragraph's index, the share of the paragraph's characters before the link and up
    to its end, and the text under it."""

    annotation: int
    paragraph: int
    start: float
    end: float
    text: str


def covering(page: Any, textpage: Any, paragraphs: Sequence[Sequence[Line]]) -> list[Covering]:
    """The links of ``page`` over the paragraphs (each given by its lines on the page)."""
    import pypdfium2.raw as pdfium_c

    links = []
    for index in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
        annotation = pdfium_c.FPDFPage_GetAnnot(page.raw, index)
        rect = pdfium_c.FS_RECTF()
        is_link = pdfium_c.FPDFAnnot_GetSubtype(annotation) == pdfium_c.FPDF_ANNOT_LINK
        if is_link and pdfium_c.FPDFAnnot_GetRect(annotation, ctypes.byref(rect)):
            box = (min(rect.left, rect.right), min(rect.top, rect.bottom))
            links.append((index, (*box, max(rect.left, rect.right), max(rect.top, rect.bottom))))
        pdfium_c.FPDFPage_CloseAnnot(annotation)
    if not links:
        return []
    found = []
    for number, lines in enumerate(paragraphs):
        chars = [i for line in lines for i in range(line.first, line.last + 1)]
        centres = [_centre(textpage.get_charbox(i)) for i in chars]
        for index, (left, bottom, right, top) in links:
            inside = [n for n, (x, y) in enumerate(centres) if left <= x <= right and bottom <= y <= top]
            if inside:
                first, last = chars[inside[0]], chars[inside[-1]]
                text = textpage.get_text_range(first, last - first + 1)
                share = (inside[0] / len(chars), (inside[-1] + 1) / len(chars))
                found.append(Covering(index, number, *share, text))
    return found


def _centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    left, bottom, right, top = box
    return (left + right) / 2, (bottom + top) / 2


def span(link: Covering, text: str) -> tuple[int, int]:
    """Where in the paragraph's English ``text`` the link's words are: the text it
    covered where the English keeps it, else the words at the same share."""
    kept = " ".join(link.text.split())
    if kept and (found := text.find(kept)) >= 0:
        return found, found + len(kept)
    start, end = round(link.start * len(text)), round(link.end * len(text))
    while 0 < start < len(text) and text[start - 1] != " ":  # out to whole words
        start -= 1
    while 0 < end < len(text) and text[end] != " ":
        end += 1
    return start, max(end, start + 1)


def move(
    page: Any, link: Covering, text: str, rows: Sequence[Row], width: Callable[[str, float], float]
) -> None:
    """Put ``link`` over its words of the English ``text``, set in ``rows``
    (``width``: how wide a piece of a row is at a size)."""
    import pypdfium2.raw as pdfium_c

    start, end = span(link, text)
    quads, offset = [], 0
    for x, y, size, row in rows:
        low, high = max(start, offset) - offset, min(end, offset + len(row)) - offset
        if low < high:
            before = row[:low]
            left = x + width(before.rstrip(), size) + (width(" ", size) if before.endswith(" ") else 0.0)
            right = x + width(row[:high].rstrip(), size)
            quads.append((left, y - 0.25 * size, right, y + 0.85 * size))
        offset += len(row) + 1
    if not quads:
        return
    annotation = pdfium_c.FPDFPage_GetAnnot(page.raw, link.annotation)
    try:
        bounds = (
            min(q[0] for q in quads),
            max(q[3] for q in quads),
            max(q[2] for q in quads),
            min(q[1] for q in quads),
        )
        pdfium_c.FPDFAnnot_SetRect(annotation, ctypes.byref(pdfium_c.FS_RECTF(*bounds)))
        if pdfium_c.FPDFAnnot_HasAttachmentPoints(annotation):
            had = pdfium_c.FPDFAnnot_CountAttachmentPoints(annotation)
            for k in range(max(had, len(quads))):  # points it had beyond the rows repeat the last row
                left, bottom, right, top = quads[min(k, len(quads) - 1)]
                quad = pdfium_c.FS_QUADPOINTSF(left, top, right, top, left, bottom, right, bottom)
                if k < had:
                    pdfium_c.FPDFAnnot_SetAttachmentPoints(annotation, k, ctypes.byref(quad))
                else:
                    pdfium_c.FPDFAnnot_AppendAttachmentPoints(annotation, ctypes.byref(quad))
    finally:
        pdfium_c.FPDFPage_CloseAnnot(annotation)
