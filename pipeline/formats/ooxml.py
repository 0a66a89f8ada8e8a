"""Office Open XML beyond Word: the dialects of :mod:`.packages` for PowerPoint
presentations and Excel workbooks (the registry of :mod:`pipeline.formats` names them).

PowerPoint: every paragraph (``a:p``) of the slides (text frames, tables, grouped
shapes), the notes pages and SmartArt's data parts, its runs' text (``a:t``) in order,
line breaks kept; fields (a slide number, a date) left as they are; a picture's or a
shape's alt text (its description and title).

Excel: the shared strings (a string cell's text, rich text runs included), the inline
strings of the worksheets, hidden ones too (translated, still hidden), and the comments;
phonetic runs left out. Numbers, dates, booleans and formulas are never strings there,
so they are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from .packages import Dialect, numbered

__all__ = ["PPTX", "XLSX"]

_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"


def _slides(names: Sequence[str]) -> list[str]:
    return [
        *numbered(r"ppt/slides/slide(\d+)\.xml")(names),
        *numbered(r"ppt/notesSlides/notesSlide(\d+)\.xml")(names),
        *numbered(r"ppt/diagrams/data(\d+)\.xml")(names),
    ]


def _sheets(names: Sequence[str]) -> list[str]:
    shared = ["xl/sharedStrings.xml"] if "xl/sharedStrings.xml" in names else []
    return [
        *shared,
        *numbered(r"xl/worksheets/sheet(\d+)\.xml")(names),
        *numbered(r"xl/comments(\d+)\.xml")(names),
    ]


def _slide_place(part: str) -> str:
    name = part.rsplit("/", 1)[-1].removesuffix(".xml")
    for prefix, label in (("notesSlide", "notes"), ("slide", "slide"), ("data", "diagram")):
        if name.startswith(prefix):
            return f"{label} {name[len(prefix) :]}"
    return part


def _sheet_place(part: str) -> str:
    name = part.rsplit("/", 1)[-1].removesuffix(".xml")
    if name == "sharedStrings":
        return "shared strings"
    for prefix in ("sheet", "comments"):
        if name.startswith(prefix):
            return f"{prefix} {name[len(prefix) :]}"
    return part


PPTX = Dialect(
    "pptx",
    "ppt/presentation.xml",
    _slides,
    frozenset({f"{_A}p"}),
    mixed=False,
    text_elements=frozenset({f"{_A}t"}),
    spaces={f"{_A}br": lambda element: "\n"},
    skipped=frozenset({f"{_A}fld"}),
    described={f"{_P}cNvPr": ("descr", "title")},
    names=_slide_place,
)
XLSX = Dialect(
    "xlsx",
    "xl/workbook.xml",
    _sheets,
    frozenset({f"{_S}si", f"{_S}is", f"{_S}text"}),
    mixed=False,
    text_elements=frozenset({f"{_S}t"}),
    skipped=frozenset({f"{_S}rPh"}),
    names=_sheet_place,
)
