"""A translated PDF's outline (its bookmarks) and its metadata title (the document
information's and the XMP ``dc:title``) in English (:mod:`.pdf_out`).

A bookmark's title is nearly always a heading's text, and a document's title its first
heading's: each is given the English of the paragraph whose Italian it repeats (case and
spacing aside, and with or without the heading's number: ``Introduzione`` is the
bookmark of ``1 Introduzione``). A title no paragraph repeats stays as it is. PDFium
cannot write either, so they are written with pypdf (BSD) as an incremental update: the
file PDFium saved is kept byte for byte and the changed objects are added after it.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["English", "retitled"]

log = logging.getLogger("it2en.formats")

_NUMBER = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.)\s+")
"""A heading's number: ``1``, ``2.3``, ``4.``, ``IV.``."""


class English:
    """The English of each paragraph by its Italian, to look titles up in."""

    def __init__(self, italian: Sequence[str], english: Sequence[str]):
        self._found: dict[str, str] = {}
        for source, target in zip(italian, english, strict=True):
            self._found.setdefault(_key(source), target)
            unnumbered = _NUMBER.sub("", source)
            if unnumbered != source:  # the bookmark of "1 Introduzione" may read "Introduzione"
                self._found.setdefault(_key(unnumbered), _NUMBER.sub("", target))

    def get(self, title: str) -> str | None:
        """The English of a title that repeats a paragraph, else None."""
        return self._found.get(_key(title))


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def retitled(data: bytes, english: English) -> bytes:
    """The PDF ``data`` with the outline's titles and the metadata title that repeat a
    paragraph in English (``data`` itself where there are none). The titles are an extra
    to a copy already made: where pypdf cannot update the file (encrypted, or built in a
    way it cannot follow) they are left as they were, with a warning, and the copy
    stands."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            log.warning("the PDF is encrypted: its bookmarks and title are left as they were")
            return data
        return _retitled(reader, data, english)
    except Exception as exc:  # the file's own structure: never the copy's failure
        log.warning(
            "the PDF's bookmarks and title are left as they were: pypdf cannot update this file (%s: %s)",
            type(exc).__name__, str(exc)[:120],
        )  # fmt: skip
        return data


def _retitled(reader: Any, data: bytes, english: English) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(reader, incremental=True)
    changed = 0
    for item in _outline(writer.root_object.get("/Outlines")):
        title = english.get(str(item.get("/Title", "")))
        if title:
            item[NameObject("/Title")] = TextStringObject(title)
            changed += 1
    info: Mapping[str, Any] = writer.metadata or {}
    title = english.get(str(info.get("/Title", "")))
    if title:
        writer.add_metadata({"/Title": title})
        changed += 1
    changed += _xmp_retitled(writer, english)
    if not changed:
        return data
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _xmp_retitled(writer: Any, english: English) -> bool:
    """Whether the XMP metadata's title (``dc:title``, in each of its languages) repeats
    a paragraph and was given its English. XMP that cannot be read is left as it is: the
    copy does not depend on it."""
    from pypdf.errors import PyPdfError

    try:
        xmp = writer.xmp_metadata
        titles = (xmp.dc_title if xmp is not None else None) or {}
    except (PyPdfError, ValueError, SyntaxError) as exc:  # malformed XML, a broken stream
        log.warning("the PDF's XMP metadata cannot be read (%s): its title is left as it was", exc)
        return False
    retitled = {language: english.get(text) or text for language, text in titles.items()}
    if retitled == titles:
        return False
    xmp.dc_title = retitled
    writer.xmp_metadata = xmp
    return True


def _outline(root: Any) -> list[Any]:
    """Every item of an outline tree (``/First`` children, ``/Next`` siblings), each once
    even where a broken file links them in a loop."""
    items: list[Any] = []
    seen: set[int] = set()
    pending = [root.get_object().get("/First")] if root is not None else []
    while pending:
        node = pending.pop()
        while node is not None:
            item, key = node.get_object(), getattr(node, "idnum", id(node))
            if not isinstance(item, Mapping) or key in seen:
                break
            seen.add(key)
            items.append(item)
            pending.append(item.get("/First"))
            node = item.get("/Next")
    return items
