"""OpenDocument (ODF 1.2/1.3): the dialects of :mod:`.packages` for text documents,
spreadsheets and presentations (the registry of :mod:`pipeline.formats` names them).

Read: paragraphs and headings (``text:p``, ``text:h``) wherever they are (the body,
tables, lists, frames and text boxes, notes, comments, a text document's headers and
footers), spans and links inside them as part of their text. Left as they are: text
deleted under tracked changes, generated indexes (a table of contents is remade by the
application), fields, and a spreadsheet's numbers, dates, times and formulas (only its
string cells and comments are text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..types import SegmentKind
from .packages import Dialect

__all__ = ["ODP", "ODS", "ODT"]

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_SVG = "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}"
_PARAGRAPHS = frozenset({f"{_TEXT}p", f"{_TEXT}h", f"{_SVG}title", f"{_SVG}desc"})
"""Paragraphs and headings; a frame's or a shape's title and description (alt text)."""
_INLINE = frozenset(f"{_TEXT}{name}" for name in ("span", "a", "meta", "ruby-base"))
_SPACES = {
    f"{_TEXT}s": lambda element: " " * int(element.get(f"{_TEXT}c") or 1),
    f"{_TEXT}tab": lambda element: "\t",
    f"{_TEXT}line-break": lambda element: "\n",
}
_SKIPPED = frozenset({f"{_TEXT}tracked-changes", f"{_TEXT}index-body", f"{_TEXT}hidden-paragraph"})
_PLACES = {"content.xml": "body", "styles.xml": "headers and footers"}


def _parts(*names: str) -> Any:
    def parts(members: Sequence[str]) -> list[str]:
        return [name for name in names if name in members]

    return parts


def _kind(paragraph: Any) -> SegmentKind:
    if paragraph.tag == f"{_TEXT}h":
        return "heading"
    return "list_item" if paragraph.getparent().tag == f"{_TEXT}list-item" else "text"


def _string_cell(paragraph: Any) -> bool:
    """Whether a spreadsheet's paragraph is text: in a comment, or in a cell holding a
    string (not a number, date, time or boolean) that no formula computed."""
    for ancestor in paragraph.iterancestors():
        if ancestor.tag == f"{_OFFICE}annotation":
            return True
        if ancestor.tag in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
            kind = ancestor.get(f"{_OFFICE}value-type") or "string"
            return kind == "string" and ancestor.get(f"{_TABLE}formula") is None
    return True


def _place(part: str) -> str:
    return _PLACES.get(part, part)


_COMMON: dict[str, Any] = {
    "paragraphs": _PARAGRAPHS,
    "mixed": True,
    "inline": _INLINE,
    "spaces": _SPACES,
    "skipped": _SKIPPED,
    "kind": _kind,
    "names": _place,
}
ODT = Dialect("odt", "content.xml", _parts("content.xml", "styles.xml"), **_COMMON)
ODS = Dialect("ods", "content.xml", _parts("content.xml"), wanted=_string_cell, **_COMMON)
ODP = Dialect("odp", "content.xml", _parts("content.xml"), **{**_COMMON, "names": lambda part: "slides"})
