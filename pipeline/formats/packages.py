"""Office packages (ODF's ``.odt``, ``.ods``, ``.odp``; OOXML's ``.pptx``, ``.xlsx``): zip
archives of XML parts, read into blocks paragraph by paragraph and written back with only
the text of those paragraphs changed, every other byte of the archive as it was.

One engine for them all, each format a :class:`Dialect`: which parts hold text, which
elements are paragraphs, and how a paragraph holds its text.

* **Mixed content** (ODF): a paragraph's text is its own and its inline elements' text
  and tails (``text:span``, ``text:a``...); whitespace is collapsed as ODF says; a space
  run (``text:s``), a tab or a line break reads as whitespace and stays an element; every
  other element inside a paragraph (a field, a note, a frame, a bookmark, a tracked change
  mark) is a code: kept where it is, its own content not part of the paragraph (a note's
  or a frame's paragraphs are blocks of their own).
* **Text elements** (OOXML): a paragraph's text is the text of its text elements
  (DrawingML's ``a:t``, SpreadsheetML's ``t``) in order, whitespace as it is; a line break
  (``a:br``) reads as one and stays; a field (``a:fld``) or a phonetic run is a code.

A paragraph's translation is shared out among its text runs (:func:`.inline.share_out`),
so every span, link and run keeps its formatting and its place. What no paragraph holds
(numbers, dates and formulas of a spreadsheet, styles, pictures, settings) is never
touched; a part without a changed paragraph is copied byte for byte, and so is the
archive's order, each member's compression, and ODF's first, uncompressed ``mimetype``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..layouts import BlockTranslation, FormatName, Layout
from ..types import SegmentKind
from .inline import share_out

__all__ = ["Dialect", "open_archive", "parse", "read", "repack", "serialized", "write"]

MAX_UNPACKED_BYTES = 512 * 1024 * 1024
"""Most bytes the parts of a package may unpack to (a zip bomb is refused)."""
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_AROUND_BREAKS = re.compile(r"[ \t]*\n[ \t]*")
_FILE_NAME = re.compile(r"[^\s/\\]+\.[A-Za-z0-9]{2,4}")
_DECLARATION = re.compile(rb"(\xef\xbb\xbf)?\s*<\?xml[^>]*\?>\s*")


@dataclass(frozen=True)
class Dialect:
    """How one kind of package holds its text (see the module docstring)."""

    format: FormatName
    required: str
    """The part every package of this kind has (``content.xml``, ``ppt/presentation.xml``)."""
    parts: Callable[[Sequence[str]], list[str]]
    """The parts to read, in reading order, from the archive's member names."""
    paragraphs: frozenset[str]
    """Clark names (``{namespace}local``) of the paragraph elements."""
    mixed: bool
    """Mixed content (ODF) rather than text elements (OOXML)."""
    inline: frozenset[str] = frozenset()
    """Mixed content: the inline elements whose text is the paragraph's."""
    text_elements: frozenset[str] = frozenset()
    """Text elements: the elements whose text is the paragraph's."""
    spaces: dict[str, Callable[[Any], str]] = field(default_factory=dict)
    """Elements that read as whitespace (a space run, a tab, a line break) and stay."""
    skipped: frozenset[str] = frozenset()
    """Elements whose content is never read: deleted text, fields, phonetic runs."""
    wanted: Callable[[Any], bool] = lambda paragraph: True
    """Whether a paragraph is text to translate (a spreadsheet's string cells are, its
    numbers and formulas are not)."""
    kind: Callable[[Any], SegmentKind] = lambda paragraph: "text"
    names: Callable[[str], str] = lambda part: part
    """A part's name as a block's place says it (``slide 3``)."""
    described: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Attributes that are text (alt text): the names of those of each element (Clark
    name), read after the part's paragraphs."""


def read(dialect: Dialect, data: bytes) -> Layout:
    """The layout of a package of ``dialect``: a block per paragraph with text."""
    archive = open_archive(data, dialect.format, dialect.required)
    pieces: list[tuple[str, str, SegmentKind]] = []
    for part in dialect.parts(archive.namelist()):
        root = parse(archive.read(part), part)
        for number, paragraph in enumerate(_paragraphs(root, dialect), start=1):
            text = _text(paragraph, dialect)
            pieces.append((text, f"{dialect.names(part)} paragraph {number}", dialect.kind(paragraph)))
        for where, (element, name) in _descriptions(root, part, dialect).items():
            pieces.append((" ".join(element.get(name).split()), where, "text"))
    return Layout.of(dialect.format, pieces, data)


def write(dialect: Dialect, layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The package of ``layout`` with each paragraph holding its translation; a part
    without a changed paragraph is copied as it was."""
    archive = open_archive(layout.data, dialect.format, dialect.required)
    wanted = {
        block.where: translation
        for block, translation in zip(layout.blocks, translations, strict=True)
        if translation.text != layout.text[block.start : block.end]
    }
    changed: dict[str, bytes] = {}
    for part in dialect.parts(archive.namelist()):
        root = parse(archive.read(part), part)
        touched = False
        for number, paragraph in enumerate(_paragraphs(root, dialect), start=1):
            translation = wanted.get(f"{dialect.names(part)} paragraph {number}")
            if translation is not None:
                _put(paragraph, translation, dialect)
                touched = True
        for where, (element, name) in _descriptions(root, part, dialect).items():
            if where in wanted:
                element.set(name, wanted[where].text)
                touched = True
        if touched:
            changed[part] = serialized(root, archive.read(part))
    return repack(archive, changed)


def repack(archive: zipfile.ZipFile, changed: dict[str, bytes]) -> bytes:
    """``archive`` with the members named in ``changed`` holding their new bytes; every
    other member copied as it was, in the same order and with the same compression (an
    ODF or EPUB's first, uncompressed ``mimetype`` stays first and uncompressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for member in archive.infolist():
            copy.writestr(member, changed.get(member.filename, archive.read(member)), member.compress_type)
    return out.getvalue()


def open_archive(data: bytes, fmt: str, required: str) -> zipfile.ZipFile:
    """The archive of a ``.fmt`` file, checked: a zip, not encrypted, not a zip bomb, with
    its ``required`` member (:class:`InputError` in one line otherwise)."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"a password-protected (encrypted) or old binary file, expected {fmt.upper()}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(f"not a .{fmt} file (not a zip archive)") from None
    unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputError(f"archive would unpack to {unpacked:,} bytes: refused as a possible zip bomb")
    if required not in archive.namelist():
        raise InputError(f"not a .{fmt} file (no {required} in the archive)")
    bad = archive.testzip()
    if bad is not None:
        raise InputError(f"damaged .{fmt} file (part {bad} is corrupt)")
    return archive


def parse(data: bytes, part: str) -> Any:
    """The root element of XML part ``part`` (:class:`InputError` if it is not
    well-formed); entities are never resolved and nothing is fetched."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"part {part} is not well-formed XML ({exc})") from None


def serialized(root: Any, original: bytes) -> bytes:
    """A changed XML part in its own encoding, opening as ``original`` did: its byte-order
    mark and XML declaration byte for byte (lxml would spell a declaration its own way,
    and add ``standalone='no'`` where there was none), its doctype, and the line end
    after its root if it had one."""
    from lxml import etree

    tree = root.getroottree()
    opening = _DECLARATION.match(original)
    head = opening.group() if opening else b""
    encoding = tree.docinfo.encoding or "UTF-8"
    info = tree.docinfo
    public, system = info.public_id, info.system_url
    if not (public or system) or encoding.lower().startswith("utf-16"):
        body = bytes(etree.tostring(tree, xml_declaration=False, encoding=encoding))
    else:
        # Given an XHTML 1.0 doctype, libxml2 writes the document its HTML-compatible way
        # and adds a <meta http-equiv> it did not have: written without the doctype's
        # identifiers, which are then put back.
        info.public_id = info.system_url = None
        try:
            body = bytes(etree.tostring(tree, xml_declaration=False, encoding=encoding))
        finally:
            info.public_id, info.system_url = public, system
        ids = f' PUBLIC "{public}" "{system or ""}"' if public else f' SYSTEM "{system}"'
        bare = f"<!DOCTYPE {info.root_name}".encode(encoding)
        body = body.replace(bare, bare + ids.encode(encoding), 1)
    return head + body + (b"\n" if original.endswith(b"\n") else b"")


def _descriptions(root: Any, part: str, dialect: Dialect) -> dict[str, tuple[Any, str]]:
    """The attributes of a part that are text, by place: ``(element, attribute name)``.
    A description that is a file's name (PowerPoint's default for a picture) is not."""
    found: dict[str, tuple[Any, str]] = {}
    if not dialect.described:
        return found  # (iter() of no names is every element)
    for element in root.iter(*dialect.described):
        for name in dialect.described[element.tag]:
            value = element.get(name, "")
            if value.strip() and not _FILE_NAME.match(value.strip()):
                found[f"{dialect.names(part)} {name} {len(found) + 1}"] = (element, name)
    return found


def _paragraphs(root: Any, dialect: Dialect) -> Iterator[Any]:
    """The paragraphs of a part in document order, those inside skipped elements left out."""
    for element in root.iter(*dialect.paragraphs):
        if dialect.wanted(element) and not any(a.tag in dialect.skipped for a in element.iterancestors()):
            yield element


@dataclass(frozen=True)
class _Slot:
    """Where a run of a paragraph's text is: ``node``'s ``text`` or ``tail``; or, fixed,
    an element that reads as ``value`` (whitespace) and stays."""

    node: Any
    side: str
    value: str
    fixed: bool = False


def _slots(paragraph: Any, dialect: Dialect) -> list[_Slot]:
    if dialect.mixed:
        return _mixed(paragraph, dialect)
    found: list[_Slot] = []
    for element in paragraph.iter():
        if element.tag in dialect.text_elements and not _inside_skipped(element, paragraph, dialect):
            found.append(_Slot(element, "text", element.text or ""))
        elif element.tag in dialect.spaces:
            found.append(_Slot(element, "", dialect.spaces[element.tag](element), fixed=True))
    return found


def _inside_skipped(element: Any, paragraph: Any, dialect: Dialect) -> bool:
    for ancestor in element.iterancestors():
        if ancestor is paragraph:
            return False
        if ancestor.tag in dialect.skipped:
            return True
    return False


def _mixed(element: Any, dialect: Dialect) -> list[_Slot]:
    found = [_Slot(element, "text", element.text or "")]
    for child in element:
        if child.tag in dialect.inline:
            found += _mixed(child, dialect)
        elif child.tag in dialect.spaces:
            found.append(_Slot(child, "", dialect.spaces[child.tag](child), fixed=True))
        found.append(_Slot(child, "tail", child.tail or ""))
    return found


def _text(paragraph: Any, dialect: Dialect) -> str:
    text = "".join(slot.value for slot in _slots(paragraph, dialect))
    if dialect.mixed:
        return " ".join(text.split())
    return _AROUND_BREAKS.sub("\n", text).strip()


def _put(paragraph: Any, translation: BlockTranslation, dialect: Dialect) -> None:
    """``translation`` in place of the paragraph's text, shared out among its runs."""
    slots = _slots(paragraph, dialect)
    if not slots:
        return
    texts = share_out(
        [slot.value for slot in slots],
        translation.text,
        collapse=dialect.mixed,
        anchors=translation.anchors,
        fixed=[slot.fixed for slot in slots],
    )
    for slot, text in zip(slots, texts, strict=True):
        if slot.fixed or text == slot.value:
            continue
        setattr(slot.node, slot.side, text or None)
        if not dialect.mixed and text != text.strip():
            slot.node.set(_XML_SPACE, "preserve")  # OOXML drops edge spaces it is not told to keep


def numbered(pattern: str) -> Callable[[Sequence[str]], list[str]]:
    """The members whose names match ``pattern`` (a group of digits in it), in the order
    of that number (``slide2`` before ``slide10``)."""
    compiled = re.compile(pattern)

    def parts(names: Sequence[str]) -> list[str]:
        found = [(int(m.group(1)), name) for name in names if (m := compiled.fullmatch(name))]
        return [name for _, name in sorted(found)]

    return parts
