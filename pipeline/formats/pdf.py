"""PDF files: the text layer in reading order, as paragraphs, page by page (and the
paragraphs' places, which :mod:`.pdf_out` writes the translation back into).

Read with PDFium (pypdfium2), one page at a time, so a file of thousands of pages never
holds more than one page's objects. PDFium gives each page's text in content order with
its own word spacing (producers that place each letter alone, or split words, read as
words), line by line with each line's box (a line split where a wide gap parts its
words: table cells, columns read as one line). Lines are joined into paragraphs: a paragraph
ends where the step to the next line is wider than the page's usual line pitch (so
double-spaced text is not one paragraph per line), or after a sentence's end where the
next line is indented (LaTeX) or the line stops well short of the column's edge, or
after a short line without a sentence's end before a capital (a heading); never
after a line ending in a hyphen, and the hyphenated word is mended (PDFium marks such
hyphens; a ``-`` between two letters at a line break is taken as one too). A paragraph
that runs over a page or a column break goes on as one. Lines that repeat in the top or
bottom margin of most pages (running headers and footers, digits ignored) are read once,
after the paragraphs (where they are on every page is kept for :mod:`.pdf_out`), and bare
page numbers are dropped, unless they are all a page holds. Each paragraph is a block whose
place is the page where it starts.

A PDF without a text layer (a scan) is refused saying that OCR is needed; an encrypted,
truncated or damaged one with one line saying so.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, cast

from ..errors import InputError
from ..layouts import BlockTranslation
from ..types import SegmentKind
from . import Layout

__all__ = ["Line", "Paragraph", "opened", "read", "structure", "write"]

_PAGE_NUMBER = re.compile(r"^\W*(?:(?:pag(?:ina|\.)?|p\.|page)\s*)?\d+(?:\s*(?:di|/|of)\s*\d+)?\W*$", re.I)
_HYPHENS = ("\x02", "\xad", "\ufffe")
"""How PDFium marks a hyphen that breaks a word at the end of a line."""
_REPEATED = 0.6
"""Share of pages a top or bottom line must appear on to count as a running header/footer."""
_JOINED_HYPHEN = re.compile(f"[{''.join(_HYPHENS)}](?=\\w)")
_GAP = 1.35
"""A step to the next line this many times the page's usual line pitch ends a paragraph."""
_WORD = re.compile(r"[^\W\d_]")
"""A letter: a line without one is a bare number."""
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’»)\]]*$")


@dataclass
class Line:
    """One line of a page as PDFium reads it, with its box (PDF points, y upwards), its
    page and its first and last characters in the page's text (-1: not known)."""

    top: float
    bottom: float
    left: float
    right: float
    text: str
    page: int = 0
    first: int = -1
    last: int = -1
    cell: bool = False
    """A piece of a line that a wide gap parted (a table's cell)."""

    @property
    def height(self) -> float:
        return max(self.top - self.bottom, 1.0)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph as read: its text and the lines it was read from, over one page or
    more; or a running header's or footer's line, read once, with the line it is on
    every page (its text that of its first, digits aside)."""

    text: str
    lines: tuple[Line, ...]
    running: str = ""
    """``header`` or ``footer`` for a running line."""

    @property
    def where(self) -> str:
        """Its place: the page it starts on, or what running line it is."""
        return f"running {self.running}" if self.running else f"page {self.lines[0].page + 1}"


@dataclass
class _Page:
    lines: list[Line]
    height: float
    rotated: bool
    """Turned a quarter (90 or 270 degrees): its top is not at the top of its box."""


def read(data: bytes) -> Layout:
    """The layout of a PDF's text layer (:class:`InputError` for one that cannot be used);
    the file is kept in it, for :mod:`.pdf_out` to write the translated copy."""
    document = opened(data)
    try:
        paragraphs = structure(document)
    finally:
        document.close()
    pieces = [(p.text, p.where, "text") for p in paragraphs]
    return Layout.of("pdf", cast("list[tuple[str, str, SegmentKind]]", pieces), data)


def opened(data: bytes) -> Any:
    """The PDFium document of ``data``; :class:`InputError` for a file that is not a
    usable PDF."""
    import pypdfium2 as pdfium

    if b"%PDF-" not in data[:1024]:  # where PDF readers look for it: junk may come first
        raise InputError("not a PDF file (no %PDF header in its first 1024 bytes)")
    if b"%%EOF" not in data.rstrip(b"\x00 \t\r\n\f")[-2048:]:  # padding after the end is common
        raise InputError("truncated PDF file (no end-of-file marker)")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InputError("password-protected (encrypted) PDF") from None
        raise InputError(f"damaged PDF file ({str(exc).strip()[:120]})") from None


def structure(document: Any) -> list[Paragraph]:
    """The paragraphs of an open document, in reading order, each with its lines (one
    running over a page break is one), then its running headers and footers, each once;
    :class:`InputError` for a document without text."""
    pages = [_read_page(document, index) for index in range(len(document))]
    if not any(line.text.strip() for page in pages for line in page.lines):
        raise InputError("no text layer (a scanned PDF?): OCR is needed first")
    running = _running_lines(pages)
    found: list[Paragraph] = []
    furniture: dict[str, list[Line]] = {}  # each running line's key: where it is on each page
    for page in pages:
        kept = _trimmed(page, running)
        inside = {id(line) for line in kept}
        for line in page.lines:  # running lines with words (not bare page numbers)
            if id(line) not in inside and _key(line.text) in running and _WORD.search(line.text):
                furniture.setdefault(_key(line.text), []).append(line)
        for k, paragraph in enumerate(_paragraphs(kept)):
            if k == 0 and found and _continues(found[-1].text, paragraph.text):  # over a page break
                before = found[-1]
                found[-1] = Paragraph(_join(before.text, paragraph.text), before.lines + paragraph.lines)
            else:
                found.append(paragraph)
    for lines in furniture.values():
        top = lines[0].bottom > pages[lines[0].page].height / 2
        found.append(Paragraph(" ".join(lines[0].text.split()), tuple(lines), "header" if top else "footer"))
    return found


def _read_page(document: object, index: int) -> _Page:
    """The text lines of one page in content order, as PDFium spaces them (its own word
    spacing, not boxes joined by hand: some producers place every letter on its own)."""
    page = document[index]  # type: ignore[index]
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        exact = len(text) == textpage.count_chars()  # one character per index: boxes can be read
        lines: list[Line] = []
        position = 0
        for raw in text.split("\r\n"):
            visible = [i for i, char in enumerate(raw) if not char.isspace()]
            if visible:
                if exact:
                    cells = _cells(textpage, position, visible)
                    for start, end in cells:
                        first, last = position + start, position + end
                        left, bottom, _, top = textpage.get_charbox(first, loose=True)
                        _, bottom2, right, top2 = textpage.get_charbox(last, loose=True)
                        box = (max(top, top2), min(bottom, bottom2), left, right)
                        text = _mended(raw[start : end + 1])
                        lines.append(Line(*box, text, index, first, last, cell=len(cells) > 1))
                else:  # characters outside the BMP: no boxes, lines as they come
                    y = -len(lines) * 12.0
                    lines.append(Line(y + 10, y, 0.0, 0.0, _mended(raw), index))
            position += len(raw) + 2
        return _Page(lines, float(page.get_height()), page.get_rotation() in (90, 270))
    finally:
        textpage.close()
        page.close()


def _cells(textpage: Any, position: int, visible: list[int]) -> list[tuple[int, int]]:
    """A line's pieces (first and last of its ``visible`` characters, counted from the
    line's ``position`` in the page's text) split where a gap wider than the letters are
    high parts them: the cells of a table row, or columns PDFium read as one line (not
    in an invisible OCR layer, whose gaps are the OCR's guesses)."""
    import pypdfium2.raw as pdfium_c

    obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, position + visible[0])
    if obj and pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
        return [(visible[0], visible[-1])]  # an OCR layer: its words' places are the OCR's guesses
    boxes = [textpage.get_charbox(position + i, loose=True) for i in visible]
    height = max(top - bottom for _, bottom, _, top in boxes) or 1.0
    pieces, start = [], 0
    for k in range(1, len(visible)):
        if boxes[k][0] - boxes[k - 1][2] > 0.8 * height:
            pieces.append((visible[start], visible[k - 1]))
            start = k
    pieces.append((visible[start], visible[-1]))
    return pieces


def _mended(line: str) -> str:
    """A line with the words PDFium already joined across a line break mended: it keeps
    its hyphen mark between the two halves (``appro\\ufffevato``)."""
    return _JOINED_HYPHEN.sub("", line)


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.split()).casefold())


def _running_lines(pages: list[_Page]) -> set[str]:
    """The lines that recur at the top or the bottom of most pages (of two or more):
    running headers and footers. A line counts only in the page's margins (its top or
    bottom sixth; a bare page number before or after it aside), never on a turned page,
    and never when it is all the page holds."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        if page.rotated or len(page.lines) < 2:
            continue
        worded = [line for line in page.lines if _WORD.search(line.text)]  # a bare number may come first
        ends = (worded[0], worded[-1]) if worded else ()
        margins = [line for line in ends if line.bottom > page.height * 5 / 6 or line.top < page.height / 6]
        counts.update({_key(line.text) for line in margins})
    return {key for key, count in counts.items() if count >= _REPEATED * len(pages) and key.strip()}


def _trimmed(page: _Page, running: set[str]) -> list[Line]:
    """The page's lines without running headers and footers and bare page numbers at
    either end (a number alone on its line: not a table's or a contents line's last
    cell); a page that holds nothing else keeps them."""
    lines = page.lines

    def furniture(line: Line) -> bool:
        return _key(line.text) in running or (_PAGE_NUMBER.match(line.text) is not None and not line.cell)

    start, end = 0, len(lines)
    while start < end and furniture(lines[start]):
        start += 1
    while end > start and furniture(lines[end - 1]):
        end -= 1
    return lines[start:end] or lines


def _paragraphs(lines: list[Line]) -> list[Paragraph]:
    """Lines joined into paragraphs. A paragraph ends where the gap to the next line is
    wider than the page's usual line pitch, where the next line starts further in (a
    first-line indent) or the line stops well short of the column's right edge, after
    the end of a sentence; never after a line that ends in a hyphen."""
    pitch = _pitch(lines)
    lefts = Counter(round(line.left) for line in lines)
    margin = lefts.most_common(1)[0][0] if lefts else 0
    rights = sorted(line.right for line in lines)
    edge = rights[int(len(rights) * 0.9)] if rights else 0.0
    paragraphs: list[Paragraph] = []
    current, members = "", list[Line]()
    previous: Line | None = None
    for line in lines:
        text = " ".join(line.text.split()) if not line.text.rstrip().endswith(_HYPHENS) else line.text.strip()
        if not text:
            continue
        if previous is not None and current and _breaks(previous, line, current, pitch, margin, edge):
            paragraphs.append(Paragraph(" ".join(current.split()), tuple(members)))
            current, members = "", []
        current = _join(current, text)
        members.append(line)
        previous = line
    if current:
        paragraphs.append(Paragraph(" ".join(current.split()), tuple(members)))
    return paragraphs


def _breaks(previous: Line, line: Line, text: str, pitch: float, margin: float, edge: float) -> bool:
    """Whether a paragraph ends between ``previous`` and ``line`` (``text``: the paragraph
    so far): a wide step, a first-line indent or a short line after a sentence's end, or
    a short line without one before a capital (a heading and its text)."""
    if _hyphenated(text):
        return False
    step = previous.bottom - line.bottom
    if (previous.cell or line.cell) and abs(line.left - previous.left) > line.height:
        return True  # a table's next cell, or its next row
    if step <= 0:  # back up the page: a new column or a new frame
        return not _continues(text, line.text.strip())
    if step > pitch * _GAP:
        return True
    short = edge - previous.right > 0.15 * max(edge - margin, 1.0)
    if not _SENTENCE_END.search(text):  # a heading: a short line without a full stop, a capital next
        return short and _capitalised(line.text) and not text.endswith((",", "-", "–"))
    indented = line.left - margin > 0.6 * line.height and abs(previous.left - margin) < 0.3 * line.height
    return indented or short


def _capitalised(text: str) -> bool:
    """Whether ``text`` starts as a sentence does: a capital, then small letters (``Il``,
    or ``I cittadini``), not a run of capitals (a line of text set all in capitals)."""
    words = text.split()[:2]
    if not words or not words[0][:1].isupper():
        return False
    rest = [c for c in words[0][1:] if c.isalpha()]
    if rest:
        return any(c.islower() for c in rest)
    return len(words) > 1 and words[1][:1].islower()


def _pitch(lines: list[Line]) -> float:
    """The usual distance from one line to the next on this page (the median step), or
    1.5 line heights when there are too few lines to tell."""
    steps = sorted(a.bottom - b.bottom for a, b in pairwise(lines) if 0 < a.bottom - b.bottom < 4 * a.height)
    if len(steps) < 2:
        return 1.5 * max((line.height for line in lines), default=12.0)
    return steps[len(steps) // 2]


def _hyphenated(text: str) -> bool:
    """Whether ``text`` ends in a word cut by a hyphen (PDFium's mark, or ``-`` after a
    letter): the line after it goes on with that word."""
    return text.endswith(_HYPHENS) or re.search(r"\w-$", text) is not None


def _continues(text: str, following: str) -> bool:
    """Whether ``following`` goes on with ``text`` (which has not ended its sentence, and
    the next line starts lower-case or ``text`` was cut by a hyphen)."""
    if not text or not following:
        return False
    if _hyphenated(text):
        return True
    return not _SENTENCE_END.search(text) and following[:1].islower()


def _join(text: str, line: str) -> str:
    """``line`` appended to ``text``, mending a word hyphenated across the break."""
    if not text:
        return line
    if text.endswith(_HYPHENS):
        return text[:-1] + line
    if re.search(r"\w-$", text) and line[:1].islower():
        return text[:-1] + line
    return f"{text} {line}"


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The PDF of ``layout`` with each paragraph's translation set where it was
    (:mod:`.pdf_out`, in a writer process of its own: :mod:`.pdf_writer`)."""
    from .pdf_writer import rewritten

    return rewritten(layout.data, [t.text for t in translations])
