"""E-books (EPUB 2 and 3): every content document through the HTML path, the table of
contents and the book's titles, written back into a copy of the package that stays valid.

The package is found as a reading system finds it: ``META-INF/container.xml`` names the
package document (the OPF), whose manifest and spine name the content documents. Read,
in this order:

* the book's titles (``dc:title`` in the OPF's metadata; authors, identifiers, dates and
  the rest are left as they are);
* the XHTML content documents in spine order, then those outside the spine (EPUB 3's
  navigation document often is), each read as :mod:`.html` reads a page: block elements'
  runs with their inline markup, ``alt`` and ``title`` attributes; but parsed and written
  as XML, so a document stays well-formed XHTML with its namespaces, doctype and
  ``epub:type`` attributes. HTML's named entities (``&nbsp;``, ``&egrave;``) are read as
  the characters they stand for;
* EPUB 2's NCX: the book's title and every navigation label (authors left).

Written: the parts that hold a changed block, re-serialised; every other member copied
byte for byte, in the same order and compression (:func:`.packages.repack`), so the first,
uncompressed ``mimetype`` and the container stay what a reading system checks. A book
whose content is encrypted (DRM: ``META-INF/encryption.xml`` naming a part read here) is
refused in one line; obfuscated fonts alone are fine. SVG content documents, images and
their text are not read.

Why by hand over lxml rather than ebooklib: ebooklib rewrites the whole package on
writing (the OPF, the NCX and the navigation document regenerated from its model, member
order and compression its own), where a translated copy should differ from its source in
its text alone; the container, OPF and NCX formats are small and stable.
"""

from __future__ import annotations

import html as html_text
import logging
import posixpath
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ..errors import InputError
from ..layouts import BlockTranslation, Layout
from ..types import SegmentKind
from . import html
from .packages import open_archive, parse, repack, serialized

__all__ = ["read", "write"]

log = logging.getLogger("it2en.formats")

_CONTAINER = "META-INF/container.xml"
_ENCRYPTION = "META-INF/encryption.xml"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_NCX = "{http://www.daisy.org/z3986/2005/ncx/}"
_XHTML_TYPES = frozenset({"application/xhtml+xml", "text/html"})
_NCX_TYPE = "application/x-dtbncx+xml"
_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


@dataclass(frozen=True)
class _Book:
    """Where a book's text is: its package document and the parts to read, in order."""

    package: str
    documents: list[str]
    """XHTML content documents: spine order, then the manifest's others."""
    ncx: str | None


def read(data: bytes) -> Layout:
    """The layout of an EPUB: titles, content documents, then the NCX's labels."""
    archive = open_archive(data, "epub", _CONTAINER)
    book = _book(archive)
    pieces = [piece for _, _, piece in _places(archive, book)]
    return Layout.of("epub", pieces, data)


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The EPUB of ``layout`` with each block holding its translation; a part without a
    changed block copied as it was."""
    archive = open_archive(layout.data, "epub", _CONTAINER)
    book = _book(archive)
    wanted = {
        block.where: translation
        for block, translation in zip(layout.blocks, translations, strict=True)
        if translation.text != layout.text[block.start : block.end]
    }
    roots: dict[str, Any] = {}
    placed: dict[str, list[tuple[str, BlockTranslation]]] = {}
    for part, holder, (_, where, _) in _places(archive, book):
        translation = wanted.get(where)
        if translation is None:
            continue
        roots[part] = holder.getroottree().getroot()
        if part in book.documents:
            placed.setdefault(part, []).append((where.removeprefix(f"{part} "), translation))
        else:  # a title of the package document, a label of the NCX: an element holding text alone
            holder.text = translation.text
    for part, pieces in placed.items():
        html.put(roots[part], pieces)
    changed = {part: serialized(root, archive.read(part)) for part, root in roots.items()}
    return repack(archive, changed)


def _book(archive: zipfile.ZipFile) -> _Book:
    """The package document and the parts holding the book's text (:class:`InputError`
    for a package that names none, or whose text is encrypted)."""
    container = parse(archive.read(_CONTAINER), _CONTAINER)
    rootfile = next(
        (
            element.get("full-path")
            for element in container.iter("{*}rootfile")
            if element.get("media-type", "application/oebps-package+xml") == "application/oebps-package+xml"
            and element.get("full-path")
        ),
        None,
    )
    if rootfile is None or rootfile not in archive.namelist():
        raise InputError(f"not an EPUB book ({_CONTAINER} names no package document in the archive)")
    package = parse(archive.read(rootfile), rootfile)
    folder = posixpath.dirname(rootfile)
    items: dict[str, tuple[str, str]] = {}
    for item in package.iter(f"{_OPF}item"):
        href = item.get("href")
        if item.get("id") and href:
            items[item.get("id")] = (_member(folder, href), item.get("media-type", ""))
    spine = package.find(f"{_OPF}spine")
    order = [ref.get("idref") for ref in (spine if spine is not None else []) if ref.tag == f"{_OPF}itemref"]
    documents: list[str] = []
    for ident in [*order, *items]:
        part, media = items.get(ident, ("", ""))
        if media in _XHTML_TYPES and part not in documents:
            if part in archive.namelist():
                documents.append(part)
            else:
                log.warning("%s lists %s, which is not in the archive: left out", rootfile, part)
    # The spine's toc names the NCX; in a book that forgot to, it is found as reading
    # systems find it: by its media type, or its suffix where that is wrong too.
    named = spine.get("toc", "") if spine is not None else ""
    tables = [items[named]] if named in items else [*items.values()]
    ncx = next(
        (
            part
            for part, media in tables
            if (media == _NCX_TYPE or part.endswith(".ncx")) and part in archive.namelist()
        ),
        None,
    )
    book = _Book(rootfile, documents, ncx)
    _refuse_encrypted(archive, book)
    return book


def _member(folder: str, href: str) -> str:
    """The archive member an OPF ``href`` (relative to the OPF's folder, percent-encoded,
    perhaps with a fragment) names."""
    return posixpath.normpath(posixpath.join(folder, unquote(href.split("#", 1)[0])))


def _refuse_encrypted(archive: zipfile.ZipFile, book: _Book) -> None:
    if _ENCRYPTION not in archive.namelist():
        return
    encryption = parse(archive.read(_ENCRYPTION), _ENCRYPTION)
    encrypted = {unquote(ref.get("URI", "")) for ref in encryption.iter("{*}CipherReference")}
    ours = encrypted & {book.package, *book.documents, *([book.ncx] if book.ncx else [])}
    if ours:
        more = f" and {len(ours) - 1} more parts" if len(ours) > 1 else ""
        raise InputError(
            f"its text is encrypted (DRM: {sorted(ours)[0]}{more}): only a book without DRM can be translated"
        )


def _places(archive: zipfile.ZipFile, book: _Book) -> Iterator[tuple[str, Any, tuple[str, str, SegmentKind]]]:
    """``(part, holder, (text, place, kind))`` for every piece of the book's text, in
    reading order; a place is the part's name, a space and the element's path in it. The
    holder is a content document's root, or the element holding a title or a label."""
    package = parse(archive.read(book.package), book.package)
    tree = package.getroottree()
    for title in package.iter(f"{_DC}title"):
        yield book.package, title, (title.text or "", f"{book.package} {tree.getpath(title)}", "heading")
    for part in book.documents:
        root = _document(archive.read(part), part)
        for text, where, kind in html.pieces(root):
            yield part, root, (text, f"{part} {where}", kind)
    if book.ncx is not None:
        ncx = parse(archive.read(book.ncx), book.ncx)
        tree = ncx.getroottree()
        for label in ncx.iter(f"{_NCX}text"):
            parent = label.getparent()
            if parent is not None and parent.tag == f"{_NCX}docAuthor":
                continue
            role: SegmentKind = (
                "heading" if parent is not None and parent.tag == f"{_NCX}docTitle" else "list_item"
            )
            yield book.ncx, label, (label.text or "", f"{book.ncx} {tree.getpath(label)}", role)


def _document(data: bytes, part: str) -> Any:
    """The root of XHTML content document ``part``, HTML's named entities read as the
    characters they stand for (XML knows only five, and an EPUB 2 document may use any
    that its XHTML doctype declares)."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 documents are left to the parser
        data = _ENTITY.sub(_character_reference, data)
    return parse(data, part)


def _character_reference(found: re.Match[bytes]) -> bytes:
    name = found.group(1)
    if name in _XML_ENTITIES:
        return found.group()
    character = html_text.unescape(f"&{name.decode('ascii')};")
    if len(character) != 1 or character.startswith("&"):
        return found.group()  # not HTML's: the document's own DTD may declare it
    return f"&#{ord(character)};".encode("ascii")
