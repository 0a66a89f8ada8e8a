"""A PDF's translation written back into its pages: each paragraph's English set where its
Italian was, everything else of the file left as it is.

The paragraphs are those :mod:`.pdf` reads (lines joined by pitch, indents and columns,
continued over page breaks, a table's cells each alone, running headers and footers once),
found again in the same file. For each, PDFium (pypdfium2, BSD/Apache) gives the text
objects its characters were drawn by; those objects go (an object that also draws text
it2en did not translate, or one inside a form XObject, stays, and so does its Italian),
and the English is set in their place as new text objects, in the size and colour of the
object that drew most of it (:mod:`.pdf_layout` says where: its column, smaller where
longer, running on below rather than lost). A paragraph over two pages is shared between
them by the length of its Italian on each; a running line's English is repeated on every
page with that page's numbers. A page whose English would run off it is set smaller as a
whole; an invisible OCR layer over a scan gets its English drawn on white where it was.

The text is set in the paragraph's own font where it holds every character of the
English, else in the PDF standard font closest to it, else in an embedded TrueType font
of the machine (:mod:`.pdf_fonts`). Images, vector art, annotations, form fields, page
sizes and rotation are kept; links are moved with their words (:mod:`.pdf_links`); the
outline's titles and the metadata title are put in English (:mod:`.pdf_outline`). Text
on a page drawn turned (not horizontal) is left as it is, and pages that are only
pictures (scans), each with a warning. A PDF encrypted against changes is refused.
"""

from __future__ import annotations

import ctypes
import io
import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import partial
from typing import Any

from ..errors import InputError
from .pdf import Line, Paragraph, opened, structure
from .pdf_fonts import Fonts, address
from .pdf_layout import Box, Part, Row, Style, overlap, page_laid_out
from .pdf_links import covering, move
from .pdf_outline import English, retitled

__all__ = ["rewrite"]

log = logging.getLogger("it2en.formats")

_MOST_OBJECTS = 2000
"""A page with more objects than this (a drawing, a map) has its lines' paths ignored."""
_PAGE_SHRINKS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
"""How much smaller a whole page's English is set, in turn, where it would run off the
page at its size."""


def rewrite(data: bytes, texts: Sequence[str]) -> bytes:
    """The PDF ``data`` with its paragraphs' text replaced by ``texts`` (one per
    paragraph :mod:`.pdf` reads, in order)."""
    document = opened(data)
    font = Fonts(document, texts)
    try:
        _check_changeable(document)
        paragraphs = structure(document)
        if len(paragraphs) != len(texts):
            raise ValueError(f"{len(texts)} translations for {len(paragraphs)} paragraphs")
        parts: dict[int, list[Part]] = defaultdict(list)
        lines: dict[int, list[Line]] = defaultdict(list)
        for paragraph, text in zip(paragraphs, texts, strict=True):
            for page, part in _shared(paragraph, text):
                parts[page].append(part)
                lines[page] += part.lines
        written = sum(
            _rewrite_page(document, number, on_page, font, lines[number]) for number, on_page in parts.items()
        )
        if not written and font.refused:  # nothing could be set: the copy fails, saying why
            raise InputError(font.refused[0])
        _tell_scans(document, set(parts))
        out = io.BytesIO()
        document.save(out)
        titled = document.get_metadata_value("Title") or next(iter(document.get_toc(max_depth=1)), None)
    finally:
        font.close()
        document.close()
    if not titled:
        return out.getvalue()
    return retitled(out.getvalue(), English([p.text for p in paragraphs], texts))


def _tell_scans(document: Any, written: set[int]) -> None:
    """A warning naming the pages left as they are for having no text, only pictures
    (scanned pages: OCR would be needed to translate them)."""
    import pypdfium2.raw as pdfium_c

    scans = []
    for number in sorted(set(range(len(document))) - written):
        page = document[number]
        textpage = page.get_textpage()
        try:
            kinds = {
                pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page.raw, i))
                for i in range(pdfium_c.FPDFPage_CountObjects(page.raw))
            }
            if textpage.count_chars() == 0 and pdfium_c.FPDF_PAGEOBJ_IMAGE in kinds:
                scans.append(str(number + 1))
        finally:
            textpage.close()
            page.close()
    if scans:
        log.warning("page(s) %s: no text, only pictures (scans?): left as they are", ", ".join(scans))


def _check_changeable(document: Any) -> None:
    """An :class:`InputError` for a PDF whose owner forbids changing it (encrypted with
    permissions that leave out modifying its contents): it can be read and translated,
    but not rewritten."""
    import pypdfium2.raw as pdfium_c

    modify = 1 << 3  # bit 4 of the permissions
    encrypted = pdfium_c.FPDF_GetSecurityHandlerRevision(document.raw) != -1
    if encrypted and not pdfium_c.FPDF_GetDocPermissions(document.raw) & modify:
        raise InputError("encrypted against changes (its owner's permissions forbid modifying it)")


def _shared(paragraph: Paragraph, text: str) -> list[tuple[int, Part]]:
    """The paragraph's parts by page, each given a share of ``text``'s words in
    proportion to the Italian characters it held; a running line's English on each of
    its pages, with that page's numbers."""
    if paragraph.running:
        return [
            (line.page, Part([line], _numbered(text, paragraph.text, line.text), paragraph.running))
            for line in paragraph.lines
        ]
    pages: dict[int, Part] = {}
    for line in paragraph.lines:
        pages.setdefault(line.page, Part([])).lines.append(line)
    words = text.split()
    sizes = [sum(len(line.text) for line in part.lines) for part in pages.values()]
    total, taken, seen = max(sum(sizes), 1), 0, 0
    for part, size in zip(pages.values(), sizes, strict=True):
        seen += size
        upto = len(words) if seen >= total else round(len(words) * seen / total)
        part.text, taken = " ".join(words[taken:upto]), upto
    return list(pages.items())


def _numbered(english: str, first: str, italian: str) -> str:
    """The English of a running line's ``first`` occurrence for another, ``italian``
    (``Pagina 3 di 9`` after ``Pagina 1 di 9``): the numbers it has in the first's
    place given this one's, in order (as it is where the English does not keep them)."""
    ours, theirs = re.findall(r"\d+", first), re.findall(r"\d+", italian)
    if ours == theirs or re.findall(r"\d+", english) != ours:
        return english
    numbers = iter(theirs)
    return re.sub(r"\d+", lambda _: next(numbers), english)


def _rewrite_page(document: Any, number: int, parts: list[Part], font: Fonts, around: list[Line]) -> int:
    """Remove the text objects of ``parts`` from page ``number`` and set their English
    (``around``: every line of text the page holds, which the English must not cover),
    moving the links over them; how many parts were set."""
    import pypdfium2.raw as pdfium_c

    page = document[number]
    textpage = page.get_textpage()
    try:
        placed = _taken(page, number, textpage, parts, font)
        links = covering(page, textpage, [part.lines for part, _ in placed])
        text = [Box(line.left, line.bottom, line.right, line.top) for line in around]
        # what the text lies on (a scan, a shaded box, an underline) is no obstacle to its English
        fixed = [*text, *(p for p in _pictures(page) if not any(overlap(p, box) for box in text))]
        low, low_edge, high, _ = page.get_mediabox()  # the right edge: as far in as the left one, or more
        edge = max([high - (min(line.left for line in around) - low), *(box.right for box in fixed)])
        for shrink in _PAGE_SHRINKS:
            rows, longer = page_laid_out(placed, font, fixed, edge, shrink)
            if all(row[1] - 0.25 * row[2] >= low_edge for part_rows in rows.values() for row in part_rows):
                break
        if longer:
            log.warning(
                "page %d: the English of %d paragraph(s) runs longer than its place: it goes on below%s",
                number + 1,
                longer,
                f" (the page's English set at {shrink:.0%} of its size)" if shrink < 1 else "",
            )
        for k, (part, style) in enumerate(placed):  # under all the English: none covers another's
            if style.hidden and rows[k]:
                _whited(page, part.lines, rows[k], partial(font.width, style.font))
        order = {"header": 0, "": 1, "footer": 2}  # drawn in reading order, as it is read back
        for k in sorted(range(len(placed)), key=lambda k: order[placed[k][0].running]):
            style = placed[k][1]
            for x, y, size, line in rows[k]:
                font.draw(page, style.font, line, x, y, size, style.colour)
        for link in links:
            part, style = placed[link.paragraph]
            move(page, link, part.text, rows[link.paragraph], partial(font.width, style.font))
        pdfium_c.FPDFPage_GenerateContent(page.raw)
        return len(placed)
    finally:
        textpage.close()
        page.close()


def _taken(page: Any, number: int, textpage: Any, parts: list[Part], font: Fonts) -> list[tuple[Part, Style]]:
    """The parts whose Italian goes, with the style their English is set in (that of the
    object drawing most of their characters); their text objects removed from the page.
    A part stays as it is where one of its objects also draws text that is not
    translated (or that of a part that stays), sits inside a form XObject, or draws
    turned."""
    import pypdfium2.raw as pdfium_c

    owner, pointers = _owners(textpage)
    translated = {i for part in parts for line in part.lines for i in range(line.first, line.last + 1)}
    chars: dict[int, set[int]] = defaultdict(set)  # each object's characters
    for index, at in owner.items():
        chars[at].add(index)
    top = {
        address(pdfium_c.FPDFPage_GetObject(page.raw, i))
        for i in range(pdfium_c.FPDFPage_CountObjects(page.raw))
    }
    removable = {at for at, drawn in chars.items() if drawn <= translated and at in top}
    drawn = [
        Counter(owner[i] for line in part.lines for i in range(line.first, line.last + 1) if i in owner)
        for part in parts
    ]
    styles: dict[int, Style] = {}
    for k, part in enumerate(parts):
        if drawn[k] and all(a in removable for a in drawn[k]) and all(line.first >= 0 for line in part.lines):
            most = pointers[drawn[k].most_common(1)[0][0]]
            chosen = font.choose(most, part.text)
            style = _style(most, chosen) if chosen else None
            if style and style.upright:
                styles[k] = style
    staying = {a for k in range(len(parts)) if k not in styles for a in drawn[k]}
    while shared := [k for k in styles if staying & drawn[k].keys()]:  # an object drawing both stays
        for k in shared:
            del styles[k]
            staying |= drawn[k].keys()
    for at in {a for k in styles for a in drawn[k]}:
        if pdfium_c.FPDFPage_RemoveObject(page.raw, pointers[at]):
            pdfium_c.FPDFPageObj_Destroy(pointers[at])
    if len(styles) < len(parts):
        log.warning(
            "page %d: %d paragraph(s) left in the original: drawn turned, inside a form object, "
            "with text that is not translated, or with English no font found can write",
            number + 1,
            len(parts) - len(styles),
        )
    return [(parts[k], style) for k, style in sorted(styles.items())]


def _owners(textpage: Any) -> tuple[dict[int, int], dict[int, Any]]:
    """The text object (by address) that draws each character of the page (spaces aside:
    a line's box ends at its last letter), and the objects by address."""
    import pypdfium2.raw as pdfium_c

    owner: dict[int, int] = {}
    objects: dict[int, Any] = {}
    for index in range(textpage.count_chars()):
        obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, index)
        if obj and not chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index)).isspace():
            owner[index] = address(obj)
            objects.setdefault(owner[index], obj)
    return owner, objects


def _style(obj: Any, font: str) -> Style:
    """The size (as drawn: the font size scaled by the object's matrix), colour and
    orientation of the text an object draws, set in ``font``."""
    import pypdfium2.raw as pdfium_c

    size = ctypes.c_float(12.0)
    pdfium_c.FPDFTextObj_GetFontSize(obj, ctypes.byref(size))
    matrix = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(matrix))
    scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c)) or 1.0
    rgba = [ctypes.c_uint(0) for _ in range(4)]
    if not pdfium_c.FPDFPageObj_GetFillColor(obj, *(ctypes.byref(c) for c in rgba)):
        rgba = [ctypes.c_uint(v) for v in (0, 0, 0, 255)]
    upright = abs(matrix.b) < 1e-6 and abs(matrix.c) < 1e-6 and matrix.a > 0 and matrix.d > 0
    red, green, blue, alpha = (c.value for c in rgba)
    if pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
        return Style(max(size.value * scale, 1.0), (0, 0, 0, 255), upright, font, hidden=True)
    return Style(max(size.value * scale, 1.0), (red, green, blue, alpha), upright, font)


def _whited(page: Any, lines: Sequence[Line], rows: Sequence[Row], width: Any) -> None:
    """A white box over where a paragraph's Italian and English are (on a scan, under
    its English)."""
    import pypdfium2.raw as pdfium_c

    left = min([*(line.left for line in lines), *(row[0] for row in rows)])
    right = max([*(line.right for line in lines), *(row[0] + width(row[3], row[2]) for row in rows)])
    top = max([*(line.top for line in lines), *(row[1] + 0.85 * row[2] for row in rows)])
    bottom = min([*(line.bottom for line in lines), *(row[1] - 0.25 * row[2] for row in rows)])
    box = pdfium_c.FPDFPageObj_CreateNewRect(left - 1, bottom - 1, right - left + 2, top - bottom + 2)
    pdfium_c.FPDFPageObj_SetFillColor(box, 255, 255, 255, 255)
    pdfium_c.FPDFPath_SetDrawMode(box, pdfium_c.FPDF_FILLMODE_WINDING, False)
    pdfium_c.FPDFPage_InsertObject(page.raw, box)


def _pictures(page: Any) -> list[Box]:
    """The boxes of the page's images and form objects (the English never runs into
    them, but where it must run on), and of its rules (thin lines: a table's grid, which
    keep each cell's English in its cell), as long as the page has few enough objects."""
    import pypdfium2.raw as pdfium_c

    boxes = []
    count = pdfium_c.FPDFPage_CountObjects(page.raw)
    kinds = (pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM)
    for index in range(count):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind in kinds or (kind == pdfium_c.FPDF_PAGEOBJ_PATH and count <= _MOST_OBJECTS):
            edges = [ctypes.c_float(0.0) for _ in range(4)]
            if pdfium_c.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in edges)):
                left, bottom, right, top = (v.value for v in edges)
                if kind in kinds:
                    boxes.append(Box(left, bottom, right, top, picture=True))
                elif min(right - left, top - bottom) <= 2.0:
                    boxes.append(Box(left, bottom, right, top))
    return boxes
