"""Where a translated PDF page's English goes (:mod:`.pdf_out`): each paragraph's part
on the page is set in its column from where its Italian started, wrapped to the column,
in its size where it fits, else smaller (down to 70 %, on the same pitch), else running
on below, pushing the paragraphs below it down and passing under pictures; a one-line
paragraph may run on to the right, up to what is beside it; a word wider than its
column is cut into rows of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Any

from .pdf import Line
from .pdf_fonts import Fonts

__all__ = ["Box", "Part", "Row", "Style", "overlap", "page_laid_out"]

Row = tuple[float, float, float, str]
"""A row of English as set: its x, baseline, size and text."""

_SMALLEST = 0.7
"""The smallest share of its original size a paragraph's English is set in to fit its
place (it runs on below it after that)."""


@dataclass
class Part:
    """The piece of a paragraph on one page: its lines there and its share of the text
    (``running``: of a running header or footer, which one)."""

    lines: list[Line]
    text: str = ""
    running: str = ""


@dataclass(frozen=True)
class Box:
    """A rectangle of the page (PDF points, y upwards)."""

    left: float
    bottom: float
    right: float
    top: float
    picture: bool = False
    """An image or a form object: it stays where it is, the English goes round it."""

    def across(self, left: float, right: float) -> bool:
        """Whether it shares some of the span from ``left`` to ``right``."""
        return self.left < right and self.right > left


@dataclass(frozen=True)
class Style:
    """How a paragraph's English is drawn: the size it was drawn at (scaled by its
    object's matrix), its colour, whether it was upright, and its font."""

    size: float
    colour: tuple[int, int, int, int]
    upright: bool
    font: str
    """The font it is set in (a key of :class:`.pdf_fonts.Fonts`)."""
    hidden: bool = False
    """The Italian was an invisible layer (a scan's OCR): the English is drawn, in
    black, on white over the scan where the paragraph was."""


def page_laid_out(
    placed: list[tuple[Part, Style]], font: Fonts, fixed: list[Box], edge: float, shrink: float
) -> tuple[dict[int, list[Row]], int]:
    """Each placed part's rows, laid out down the page (English that runs longer pushes
    the paragraphs below it down), all ``shrink`` times their size; and how many run on
    below their place."""
    ends: list[Box] = []  # each paragraph set so far: from its own top to where its English ends
    rows: dict[int, list[Row]] = {}
    longer = 0
    for k in sorted(range(len(placed)), key=lambda k: -placed[k][0].lines[0].top):
        part, style = placed[k]
        rows[k], ran_on = _laid_out(part, style, partial(font.width, style.font), fixed, ends, edge, shrink)
        longer += ran_on
        if rows[k]:
            left, right = min(r[0] for r in rows[k]), max(line.right for line in part.lines)
            ends.append(Box(left, rows[k][-1][1] - 0.3 * rows[k][-1][2], right, part.lines[0].top))
    return rows, longer


def _laid_out(
    part: Part, style: Style, width: Any, fixed: list[Box], ends: list[Box], edge: float, shrink: float
) -> tuple[list[Row], bool]:
    """Where each line of the part's English goes: ``(x, baseline, size, text)``, and
    whether it runs on below its place. Its place is its column (as wide as the widest
    text that shares its span) from its first line (or below the English set above it,
    if that ran longer) down to just above the next text or picture in that column
    (``fixed``); the English is set in the original size there, else smaller (on the
    same pitch), else it runs on below; all ``shrink`` times that where the page's
    English would run off it."""
    lines = part.lines
    left, right = min(line.left for line in lines), max(line.right for line in lines)
    column = [box for box in fixed if box.across(left, right)]
    if not style.hidden:  # on a scan, the English keeps to the Italian's place: what is beside is the scan
        widest = max([right, *(box.right for box in column if box.left >= left - 1 and not box.picture)])
        right = _reach(lines, widest, fixed, edge)
    steps = sorted(a.bottom - b.bottom for a, b in pairwise(lines) if a.bottom > b.bottom)
    pitch = steps[len(steps) // 2] if steps else style.size * 1.2
    top, bottom = lines[0].top, lines[-1].bottom
    above = [end.bottom for end in ends if end.across(left, right) and end.bottom < top + 0.5 < end.top]
    shift = top - min(above) + 0.3 * pitch if above else 0.0
    top, bottom = top - max(shift, 0.0), bottom - max(shift, 0.0)
    below = [box.top for box in column if box.top < lines[-1].bottom - 0.5]
    floor = max(below) + 0.5 * pitch + 0.3 * style.size if below else min(bottom, 36.0)
    words = part.text.split()
    scale = 1.0
    while True:
        size, step = style.size * scale * shrink, pitch * shrink  # the pitch kept: it reads as one
        first = top - 0.8 * size
        room = max(1, int((first - max(floor + 0.2 * size, 0.0)) / step + 1e-6) + 1)
        indents = [right - (lines[0].left if k == 0 else left) for k in range(room)]
        rows = _wrapped(words, indents, size, width)
        if len(rows) <= room or scale <= _SMALLEST:
            break
        scale = max(_SMALLEST, scale * 0.9)
    set_rows = [
        (lines[0].left if k == 0 else left, first - k * step, size, row) for k, row in enumerate(rows)
    ]
    return _round_pictures(set_rows, [box for box in column if box.picture], step), len(rows) > room


def _round_pictures(rows: list[Row], pictures: list[Box], step: float) -> list[Row]:
    """The rows moved down past the pictures of their column they would cover (English
    that runs on below its place goes on under a picture, never over it)."""
    moved: list[Row] = []
    drop = 0.0
    downwards = sorted(pictures, key=lambda box: -box.top)
    for x, y, size, row in rows:
        y -= drop
        for box in downwards:
            if y - 0.25 * size < box.top and y + 0.85 * size > box.bottom:
                below = box.bottom - 0.85 * size - 0.3 * step
                drop, y = drop + y - below, below
        moved.append((x, y, size, row))
    return moved


def _reach(lines: Sequence[Line], widest: float, fixed: list[Box], edge: float) -> float:
    """How far right a paragraph's English may run: its column's edge (``widest``: the
    widest text sharing its span), a paragraph of one line (a heading, a caption, a page
    number) to the page's right ``edge``; either only up to the next text or picture
    beside it (a table's next cell), never short of its own Italian."""
    right = max(line.right for line in lines)
    beside = [
        b.left - line.height
        for line in lines
        for b in fixed
        if b.bottom < line.top and b.top > line.bottom and b.left > line.right + 1
    ]
    return max(right, min([edge if len(lines) == 1 else widest, *beside]))


def overlap(one: Box, other: Box) -> bool:
    """Whether two boxes share some of the page."""
    return one.across(other.left, other.right) and one.bottom < other.top and one.top > other.bottom


def _wrapped(words: list[str], widths: list[float], size: float, width: Any) -> list[str]:
    """``words`` in rows no wider than ``widths`` (the last width for rows past them); a
    word wider than its row (a long address, a formula) is cut into rows of its own
    (:func:`_pieces`) rather than run on past its column, or the page's edge."""
    rows: list[str] = []
    current: list[str] = []
    used = 0.0
    space = width(" ", size)
    for word in words:
        limit = widths[min(len(rows), len(widths) - 1)]
        measure = width(word, size)
        if measure > limit:
            if current:
                rows.append(" ".join(current))
                current, used = [], 0.0
            *whole, word = _pieces(word, min(widths), size, width)
            rows.extend(whole)
            measure = width(word, size)
        extra = measure + (space if current else 0.0)
        if current and used + extra > limit + 0.01:
            rows.append(" ".join(current))
            current, used = [], 0.0
            extra = measure
        current.append(word)
        used += extra
    if current:
        rows.append(" ".join(current))
    return rows


_BREAKS = frozenset("/-_.,;:?&=#)")
"""Characters after which a word too wide for its row is cut in preference."""


def _pieces(word: str, limit: float, size: float, width: Any) -> list[str]:
    """``word`` cut into pieces no wider than ``limit``: each the longest start of what is
    left that fits, cut after its last :data:`_BREAKS` character where it has one (an
    address at a ``/``), else between letters; a piece holds a character at least."""
    pieces: list[str] = []
    while len(word) > 1 and width(word, size) > limit:
        low, high = 1, len(word) - 1  # the longest start that fits
        while low < high:
            middle = (low + high + 1) // 2
            if width(word[:middle], size) <= limit:
                low = middle
            else:
                high = middle - 1
        cut = max((k + 1 for k in range(low) if word[k] in _BREAKS), default=low)
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]
