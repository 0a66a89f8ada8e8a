"""Word files (``.docx``): paragraphs, headings, list items, table cells, headers and
footers in; the same file with that text translated out, every style kept.

Read with python-docx. Blocks are the body's paragraphs and tables in order (a table cell
by cell, row by row, nested tables too), then each section's headers and footers (a
header linked to the previous section's is read once), then footnotes. A paragraph's
runs are merged into one text. Writing a translated paragraph keeps its paragraph style
and gives the text the formatting of its first run (later runs are emptied); a paragraph
whose translation equals its text is left exactly as it was, runs and all.

A ``.docx`` is a zip archive: it is checked before python-docx opens it, so a file that is
not a zip, an encrypted (password-protected) document, or an archive that would unpack
to more than :data:`MAX_UNPACKED_BYTES` (a zip bomb) is refused with one line.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import InputError
from ..types import SegmentKind
from . import Layout

__all__ = ["MAX_UNPACKED_BYTES", "read", "write"]

MAX_UNPACKED_BYTES = 512 * 1024 * 1024
"""Most bytes the parts of a ``.docx`` may unpack to."""
_MAX_RATIO = 200
"""Most a large part may grow when unpacked (Word's XML compresses about 10 times)."""
_BIG_PART = 16 * 1024 * 1024
"""Parts up to this size unpacked are never refused for their ratio."""
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"


def read(data: bytes) -> Layout:
    """The layout of a Word file (:class:`InputError` for one that cannot be used)."""
    doc = _open(data)
    pieces = [(p.text.strip(), where, kind) for p, where, kind in _paragraphs(doc)]
    return Layout.of("docx", pieces, data)


def write(layout: Layout, translations: Sequence[str]) -> bytes:
    """The Word file of ``layout`` with its blocks replaced by ``translations``."""
    doc = _open(layout.data)
    filled = [p for p, _, _ in _paragraphs(doc) if p.text.strip()]
    if len(filled) != len(translations):
        raise ValueError("the document no longer has the blocks it was read with")
    for paragraph, translation in zip(filled, translations, strict=True):
        _put(paragraph, translation)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _open(data: bytes) -> Any:
    """python-docx's document for ``data``, after the archive checks. Its footnotes part
    is read as XML (python-docx has no class of its own for it), so it can be edited."""
    import docx
    from docx.opc.constants import CONTENT_TYPE
    from docx.opc.part import PartFactory, XmlPart

    PartFactory.part_type_for.setdefault(CONTENT_TYPE.WML_FOOTNOTES, XmlPart)

    if data.startswith(_OLE):
        raise InputError("a password-protected (encrypted) Word file or an old .doc, expected .docx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError("not a .docx file (not a zip archive)") from None
    with archive:
        members = archive.infolist()
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UNPACKED_BYTES or any(
            m.file_size > _BIG_PART and m.file_size > _MAX_RATIO * max(m.compress_size, 1) for m in members
        ):
            raise InputError(f"archive would unpack to {unpacked:,} bytes: refused as a possible zip bomb")
        if "word/document.xml" not in archive.namelist():
            raise InputError("not a .docx file (no word/document.xml in the archive)")
        bad = archive.testzip()
        if bad is not None:
            raise InputError(f"damaged .docx file (part {bad} is corrupt)")
    return docx.Document(io.BytesIO(data))


def _paragraphs(doc: Any) -> Iterator[tuple[Any, str, SegmentKind]]:
    """Every paragraph of the document in reading order, with its place and kind."""
    yield from _flow(doc, doc.element.body, "")
    seen: set[int] = set()
    for number, section in enumerate(doc.sections, start=1):
        for name in ("header", "first_page_header", "even_page_header", "footer", "first_page_footer",
                     "even_page_footer"):  # fmt: skip
            part = getattr(section, name)
            if part.is_linked_to_previous or id(part._element) in seen:
                continue
            seen.add(id(part._element))
            yield from _flow(part, part._element, f"section {number} {name.replace('_', ' ')} ")
    yield from _footnotes(doc)


def _flow(parent: Any, element: Any, prefix: str) -> Iterator[tuple[Any, str, SegmentKind]]:
    """The paragraphs and tables directly under ``element`` (a body, a header, a cell)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    paragraphs = tables = 0
    for child in element.iterchildren():
        if child.tag == f"{_W}p":
            paragraphs += 1
            paragraph = Paragraph(child, parent)
            yield paragraph, f"{prefix}paragraph {paragraphs}", _kind(paragraph)
        elif child.tag == f"{_W}tbl":
            tables += 1
            table = Table(child, parent)
            for r, row in enumerate(table.rows, start=1):
                for c, cell in enumerate(row.cells, start=1):
                    if cell._tc.getparent() is not row._tr:  # a merged cell, read where it starts
                        continue
                    yield from _flow(cell, cell._tc, f"{prefix}table {tables} row {r} cell {c} ")


def _footnotes(doc: Any) -> Iterator[tuple[Any, str, SegmentKind]]:
    """The paragraphs of the footnotes part, where the document has one."""
    from docx.text.paragraph import Paragraph

    for rel in doc.part.rels.values():
        if rel.reltype == _FOOTNOTES and not rel.is_external and hasattr(rel.target_part, "element"):
            part = rel.target_part
            for note in part.element.iterchildren(f"{_W}footnote"):
                if note.get(f"{_W}type") in ("separator", "continuationSeparator"):
                    continue
                for number, child in enumerate(note.iterchildren(f"{_W}p"), start=1):
                    yield Paragraph(child, part), f"footnote {note.get(f'{_W}id')} paragraph {number}", "text"


def _kind(paragraph: Any) -> SegmentKind:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    if style.startswith(("Heading", "Title", "Subtitle")):
        return "heading"
    if style.startswith("List") or (paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None):
        return "list_item"
    return "quote" if "Quote" in style else "text"


def _put(paragraph: Any, translation: str) -> None:
    """``translation`` in place of the paragraph's text: in its first run that holds text
    (so with that run's formatting), the other runs emptied; untouched when unchanged."""
    if translation == paragraph.text.strip():
        return
    runs = [run for run in paragraph.iter_inner_content() if hasattr(run, "text")]
    texts = [run for run in _runs(runs) if run.text]
    if not texts:
        paragraph.add_run(translation)
        return
    lead = paragraph.text[: len(paragraph.text) - len(paragraph.text.lstrip())]
    texts[0].text = lead + translation
    for run in texts[1:]:
        run.text = ""


def _runs(items: list[Any]) -> Iterator[Any]:
    """The runs of a paragraph's content, those inside hyperlinks included."""
    for item in items:
        if hasattr(item, "runs"):  # a hyperlink
            yield from item.runs
        else:
            yield item
