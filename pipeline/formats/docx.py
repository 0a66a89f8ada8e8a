"""Word files (``.docx``): paragraphs, headings, list items, table cells, headers and
footers in; the same file with that text translated out, every style kept.

Read with python-docx. Blocks are the body's paragraphs in order: tables cell by cell,
row by row (nested tables too), content controls and text boxes in place; then each
section's headers and footers (a header linked to the previous section's is read once),
then footnotes, endnotes and comments. A paragraph's runs, hyperlinks included, are read
as one text. Writing shares a paragraph's translation out among its runs
(:mod:`.inline`), so each keeps its formatting and each hyperlink its link and its text;
a picture or a field in a run stays. A paragraph whose translation equals its text is
left exactly as it was. Not read (and so left as they are): tracked insertions, fields'
results, the legacy (VML) copy of a text box, charts and SmartArt text.

A ``.docx`` is a zip archive: it is checked before python-docx opens it, so a file that is
not a zip, an encrypted (password-protected) document, or an archive that would unpack
to more than :data:`MAX_UNPACKED_BYTES` (a zip bomb) is refused with one line.
"""

from __future__ import annotations

import io
import zipfile
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import InputError
from ..types import SegmentKind
from . import BlockTranslation, Layout
from .inline import share_out

__all__ = ["MAX_UNPACKED_BYTES", "read", "write"]

MAX_UNPACKED_BYTES = 512 * 1024 * 1024
"""Most bytes the parts of a ``.docx`` may unpack to."""
_MAX_RATIO = 200
"""Most a large part may grow when unpacked (Word's XML compresses about 10 times)."""
_BIG_PART = 16 * 1024 * 1024
"""Parts up to this size unpacked are never refused for their ratio."""
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_NOTES = {"footnotes": "footnote", "endnotes": "endnote", "comments": "comment"}
"""Parts of notes and comments read after the body, and the element of each entry."""
_TEXT_TAGS = frozenset(
    f"{_W}{name}" for name in ("rPr", "t", "tab", "br", "cr", "noBreakHyphen", "softHyphen", "ptab")
)
"""What a run holds that python-docx's ``Run.text`` reads and writes."""
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_NOT_TEXT = frozenset(
    {*(f"{_W}{name}" for name in ("pPr", "del", "moveFrom", "txbxContent", "fldSimple")), _MC_FALLBACK}
)
"""What in a paragraph holds no text of its own to translate (see :func:`_runs`)."""


def read(data: bytes) -> Layout:
    """The layout of a Word file (:class:`InputError` for one that cannot be used)."""
    doc = _open(data)
    pieces = [(_text(p), where, kind) for p, where, kind in _paragraphs(doc, _Styles(doc))]
    return Layout.of("docx", pieces, data)


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The Word file of ``layout`` with its blocks replaced by ``translations``."""
    doc = _open(layout.data)
    places = {where: p for p, where, _ in _paragraphs(doc, None)}
    for block, translation in zip(layout.blocks, translations, strict=True):
        if block.where not in places:
            raise ValueError(f"{block.where} is not a place of this document")
        _put(places[block.where], translation)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _open(data: bytes) -> Any:
    """python-docx's document for ``data``, after the archive checks. Its footnotes part
    is read as XML (python-docx has no class of its own for it), so it can be edited."""
    import docx
    from docx.opc.constants import CONTENT_TYPE
    from docx.opc.part import PartFactory, XmlPart

    for content_type in (CONTENT_TYPE.WML_FOOTNOTES, CONTENT_TYPE.WML_ENDNOTES, CONTENT_TYPE.WML_COMMENTS):
        PartFactory.part_type_for.setdefault(content_type, XmlPart)

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
        main = _main_part(archive)
        if main is None or main not in archive.namelist():
            raise InputError("not a .docx file (no main document part in the archive)")
        bad = archive.testzip()
        if bad is not None:
            raise InputError(f"damaged .docx file (part {bad} is corrupt)")
    return docx.Document(io.BytesIO(data))


def _text(paragraph: Any) -> str:
    """A paragraph's text, stripped: its runs' (:func:`_runs`) as python-docx reads a run."""
    return "".join(run.text for run in _runs(paragraph)).strip()


class _Styles:
    """The names of a document's paragraph styles, read once (python-docx's
    ``Paragraph.style`` scans every style for every paragraph: minutes for a file of
    thousands of each), and the kind of block each paragraph's style makes it."""

    def __init__(self, doc: Any):
        from docx.opc.constants import RELATIONSHIP_TYPE
        from docx.styles import BabelFish

        self.names: dict[str, str] = {}
        self.default = ""
        part = next(
            (r.target_part for r in doc.part.rels.values() if r.reltype == RELATIONSHIP_TYPE.STYLES), None
        )
        element = getattr(part, "element", None)  # none: every paragraph is plain text
        for style in element.iterchildren(f"{_W}style") if element is not None else ():
            if style.get(f"{_W}type", "paragraph") != "paragraph":
                continue
            named = style.find(f"{_W}name")
            name = BabelFish.internal2ui(named.get(f"{_W}val", "")) if named is not None else ""
            self.names[style.get(f"{_W}styleId", "")] = name
            if style.get(f"{_W}default") in ("1", "true", "on"):
                self.default = name

    def kind(self, paragraph: Any) -> SegmentKind:
        """A heading, a list item, a quote or text, by the paragraph's style and numbering."""
        properties = paragraph.pPr
        style_id = properties.pStyle.val if properties is not None and properties.pStyle is not None else None
        style = self.names.get(style_id, self.default) if style_id is not None else self.default
        if style.startswith(("Heading", "Title", "Subtitle")):
            return "heading"
        if style.startswith("List") or (properties is not None and properties.numPr is not None):
            return "list_item"
        return "quote" if "Quote" in style else "text"


def _main_part(archive: zipfile.ZipFile) -> str | None:
    """The name of the package's main document part, as its relationships name it
    (``word/document.xml`` by convention, not by rule)."""
    from lxml import etree

    try:
        rels = etree.fromstring(archive.read("_rels/.rels"))
    except (KeyError, etree.XMLSyntaxError):
        return None
    for rel in rels:
        if rel.get("Type", "").endswith("/officeDocument") and rel.get("TargetMode") != "External":
            return str(rel.get("Target", "")).lstrip("/")
    return None


def _paragraphs(doc: Any, styles: _Styles | None) -> Iterator[tuple[Any, str, SegmentKind]]:
    """Every paragraph of the document in reading order, with its place and, given the
    document's ``styles``, its kind (else text)."""
    yield from _flow(doc, doc.element.body, "", styles)
    seen: set[int] = set()
    for number, section in enumerate(doc.sections, start=1):
        for name in ("header", "first_page_header", "even_page_header", "footer", "first_page_footer",
                     "even_page_footer"):  # fmt: skip
            part = getattr(section, name)
            if part.is_linked_to_previous or id(part._element) in seen:
                continue
            seen.add(id(part._element))
            yield from _flow(part, part._element, f"section {number} {name.replace('_', ' ')} ", styles)
    yield from _notes(doc)


def _flow(
    parent: Any, element: Any, prefix: str, styles: _Styles | None
) -> Iterator[tuple[Any, str, SegmentKind]]:
    """The paragraphs under ``element`` (a body, a header, a cell, a note): its own, those
    of its tables (cell by cell, nested tables too), of its content controls, and of the
    text boxes anchored in its paragraphs. ``styles``: what tells a heading or a list
    item (None where the part has none to tell by, as notes and comments, or where the
    kind is not wanted)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    paragraphs = tables = boxes = 0
    pending = deque(element.iterchildren())
    while pending:
        child = pending.popleft()
        if child.tag == f"{_W}p":
            paragraphs += 1
            paragraph = Paragraph(child, parent)
            yield paragraph, f"{prefix}paragraph {paragraphs}", styles.kind(child) if styles else "text"
            for box in child.iter(f"{_W}txbxContent"):
                if not any(a.tag == _MC_FALLBACK for a in box.iterancestors()):  # Word shows the choice
                    boxes += 1
                    yield from _flow(parent, box, f"{prefix}text box {boxes} ", styles)
        elif child.tag == f"{_W}tbl":
            tables += 1
            table = Table(child, parent)
            for r, row in enumerate(_rows(table), start=1):
                for c, cell in enumerate(row.cells, start=1):
                    if cell._tc.getparent() is not row._tr:  # a merged cell, read where it starts
                        continue
                    yield from _flow(cell, cell._tc, f"{prefix}table {tables} row {r} cell {c} ", styles)
        elif child.tag == f"{_W}sdt":  # a content control: its content in place
            pending.extendleft(
                reversed([c for content in child.iterchildren(f"{_W}sdtContent") for c in content])
            )


def _rows(table: Any) -> Iterator[Any]:
    """A table's rows in order, those wrapped in content controls (``w:sdt`` around
    ``w:tr``, as forms and templates make them) included."""
    from docx.table import _Row

    pending = deque(table._tbl.iterchildren())
    while pending:
        child = pending.popleft()
        if child.tag == f"{_W}tr":
            yield _Row(child, table)
        elif child.tag == f"{_W}sdt":
            pending.extendleft(
                reversed([c for content in child.iterchildren(f"{_W}sdtContent") for c in content])
            )


def _notes(doc: Any) -> Iterator[tuple[Any, str, SegmentKind]]:
    """The paragraphs of the footnotes, endnotes and comments, where the document has them."""
    for rel in doc.part.rels.values():
        kind = rel.reltype.removeprefix(_RELATIONSHIPS)
        if kind not in _NOTES or rel.is_external or not hasattr(rel.target_part, "element"):
            continue
        part = rel.target_part
        for note in part.element.iterchildren(f"{_W}{_NOTES[kind]}"):
            if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            yield from _flow(part, note, f"{_NOTES[kind]} {note.get(f'{_W}id')} ", None)


def _put(paragraph: Any, translation: BlockTranslation) -> None:
    """``translation`` in place of the paragraph's text, shared out among its runs
    (:func:`.inline.share_out`), those inside hyperlinks included, so that every run keeps
    its formatting and every link its text; untouched when unchanged."""
    if translation.text == _text(paragraph):
        return
    runs = _runs(paragraph)
    if not runs:
        paragraph.add_run(translation.text)
        return
    texts = share_out(
        [run.text for run in runs], translation.text, collapse=False, anchors=translation.anchors
    )
    for run, text in zip(runs, texts, strict=True):
        if text != run.text:
            _set_text(run, text)


def _set_text(run: Any, text: str) -> None:
    """``text`` in place of a run's text; what else the run holds (a picture, a field
    character, a note reference) stays where it was."""
    if all(child.tag in _TEXT_TAGS for child in run._r.iterchildren()):
        run.text = text
        return
    written = False
    for child in list(run._r.iterchildren()):
        if child.tag in _TEXT_TAGS and child.tag != f"{_W}rPr":
            if not written:
                child.addprevious(_text_element(text))
                written = True
            run._r.remove(child)
    if not written:
        run._r.append(_text_element(text))


def _text_element(text: str) -> Any:
    """A ``<w:t xml:space="preserve">`` holding ``text``."""
    from docx.oxml import OxmlElement

    element = OxmlElement("w:t")
    element.text = text
    element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return element


def _runs(paragraph: Any) -> list[Any]:
    """The runs of a paragraph whose text it shows, in document order: its own, those in
    hyperlinks, in tracked insertions and moves (``w:ins``, ``w:moveTo``), smart tags,
    custom XML and inline content controls at any depth; not deleted or moved-away text,
    text boxes (blocks of their own), a simple field's result or a drawing's fallback
    copy (:data:`_NOT_TEXT`)."""
    from docx.text.run import Run

    found = []
    pending = list(reversed(list(paragraph._p)))
    while pending:
        element = pending.pop()
        if element.tag == f"{_W}r":
            found.append(Run(element, paragraph))
        elif element.tag not in _NOT_TEXT:
            pending.extend(reversed(list(element)))
    return found
