"""PDF files (input only): the text layer in reading order, as paragraphs, page by page.

Read with PDFium (pypdfium2), one page at a time, so a file of thousands of pages never
holds more than one page's objects. PDFium gives the text as line boxes in content order;
lines are joined into paragraphs where the gap to the next line is no wider than a line,
a word hyphenated at a line's end is mended (PDFium marks such hyphens; a ``-`` between
two letters at a line break is taken as one too), and lines that repeat at the top or
the bottom of most pages (running headers and footers, digits ignored) and bare page
numbers are dropped. Each paragraph is a block whose place is its page.

A PDF without a text layer (a scan) is refused saying that OCR is needed; an encrypted,
truncated or damaged one with one line saying so.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..errors import InputError
from . import Layout

__all__ = ["read"]

_PAGE_NUMBER = re.compile(r"^\W*(?:(?:pag(?:ina|\.)?|p\.|page)\s*)?\d+(?:\s*(?:di|/|of)\s*\d+)?\W*$", re.I)
_HYPHENS = ("\x02", "\xad", "\ufffe")
"""How PDFium marks a hyphen that breaks a word at the end of a line."""
_REPEATED = 0.6
"""Share of pages a top or bottom line must appear on to count as a running header/footer."""


@dataclass
class _Line:
    top: float
    bottom: float
    text: str


def read(data: bytes) -> Layout:
    """The layout of a PDF's text layer (:class:`InputError` for one that cannot be used)."""
    import pypdfium2 as pdfium

    if not data.lstrip()[:5] == b"%PDF-":
        raise InputError("not a PDF file (no %PDF header)")
    if b"%%EOF" not in data[-2048:]:
        raise InputError("truncated PDF file (no end-of-file marker)")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InputError("password-protected (encrypted) PDF") from None
        raise InputError(f"damaged PDF file ({str(exc).strip()[:120]})") from None
    try:
        pages = [_page_lines(document, index) for index in range(len(document))]
    finally:
        document.close()
    if not any(line.text.strip() for lines in pages for line in lines):
        raise InputError("no text layer (a scanned PDF?): OCR is needed first")
    running = _running_lines(pages)
    pieces = []
    for number, lines in enumerate(pages, start=1):
        paragraphs = _paragraphs(_trimmed(lines, running))
        pieces += [(paragraph, f"page {number}", "text") for paragraph in paragraphs]
    return Layout.of("pdf", pieces)


def _page_lines(document: object, index: int) -> list[_Line]:
    """The text lines of one page, top to bottom as the content has them; boxes on the
    same line are merged."""
    page = document[index]  # type: ignore[index]
    textpage = page.get_textpage()
    try:
        lines: list[_Line] = []
        for number in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(number)
            text = textpage.get_text_bounded(left, bottom, right, top).replace("\r", "").replace("\n", " ")
            if lines and bottom < lines[-1].top and top > lines[-1].bottom and abs(top - lines[-1].top) < 2:
                lines[-1].text += " " + text
            else:
                lines.append(_Line(top, bottom, text))
        return lines
    finally:
        textpage.close()
        page.close()


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).casefold())


def _running_lines(pages: list[list[_Line]]) -> set[str]:
    """The first and last lines that recur on most pages (of two or more)."""
    if len(pages) < 2:
        return set()
    ends = [{_key(lines[0].text), _key(lines[-1].text)} for lines in pages if lines]
    counts = Counter(key for keys in ends for key in keys)
    return {key for key, count in counts.items() if count >= _REPEATED * len(pages) and key.strip()}


def _trimmed(lines: list[_Line], running: set[str]) -> list[_Line]:
    """``lines`` without running headers and footers and bare page numbers at either end."""
    start, end = 0, len(lines)
    while start < end and (_key(lines[start].text) in running or _PAGE_NUMBER.match(lines[start].text)):
        start += 1
    while end > start and (_key(lines[end - 1].text) in running or _PAGE_NUMBER.match(lines[end - 1].text)):
        end -= 1
    return lines[start:end]


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Lines joined into paragraphs: a gap wider than a line starts a new one."""
    paragraphs: list[str] = []
    current = ""
    previous: _Line | None = None
    for line in lines:
        text = " ".join(line.text.split()) if not line.text.endswith(_HYPHENS) else line.text.strip()
        if not text:
            continue
        height = max(line.top - line.bottom, 1.0)
        if previous is not None and previous.bottom - line.top > height:
            paragraphs.append(current)
            current = ""
        current = _join(current, text)
        previous = line
    if current:
        paragraphs.append(current)
    return [" ".join(p.split()) for p in paragraphs]


def _join(text: str, line: str) -> str:
    """``line`` appended to ``text``, mending a word hyphenated across the break."""
    if not text:
        return line
    if text.endswith(_HYPHENS):
        return text[:-1] + line
    if re.search(r"\w-$", text) and line[:1].islower():
        return text[:-1] + line
    return f"{text} {line}"
