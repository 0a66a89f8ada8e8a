"""One document handed over as a file (a service's upload, a page's drop): the one rule
for what such a file may be, what it is called, and how it is read, for every front end
that takes one (the service's ``/v1`` endpoints, its jobs, LibreTranslate's
``/translate_file``, the web page's list of accepted files).

A file is read exactly as the command line reads a file of the same name (by its suffix;
any name that is not a known format is text). JSONL, a file of many documents, is the
batch runner's and is refused here, in the same words everywhere.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .formats import DOCUMENT_SUFFIXES
from .io import MAX_INPUT_BYTES, InputFile, input_kind, read_bytes
from .readers import Readers
from .text import printable
from .types import Document, Failure

__all__ = ["UPLOAD_SUFFIXES", "check_upload", "read_upload", "upload_name"]

UPLOAD_SUFFIXES: tuple[str, ...] = (".txt", ".md", *DOCUMENT_SUFFIXES)
"""The suffixes a front end names when it says which files it takes (any other name is
read as text, as the command line reads it)."""


def upload_name(name: str | None, fallback: str) -> str:
    """A printable base name for an uploaded file (any folders a client sent dropped;
    ``fallback`` when nothing is left)."""
    base = printable(Path((name or "").replace("\\", "/")).name.strip())
    return base or fallback


def check_upload(name: str, data: bytes) -> None:
    """:class:`InputError` naming the file when ``data`` cannot be one document: a JSONL
    file, or an empty one (found without parsing it, so a job can refuse it at once)."""
    if input_kind(name) == "jsonl":
        listed = ", ".join(UPLOAD_SUFFIXES)
        raise InputError(f"{name}: one document is taken ({listed}), not JSONL")
    if not data:
        raise InputError(f"{name}: the file is empty")


def read_upload(
    name: str, data: bytes, max_bytes: int = MAX_INPUT_BYTES, readers: Readers | None = None
) -> Document:
    """The one document of file ``name`` holding ``data``, read as the command line reads
    it (its layout kept for HTML, Word and PDF), formatted files parsed by ``readers``
    where given (:mod:`pipeline.readers`); :class:`InputError` with the file's name and
    the reason when it cannot be. Parsing may take seconds: call it off an event loop."""
    check_upload(name, data)
    file = InputFile(name, input_kind(name), Path(name).stem or "document")
    found = next(read_bytes(data, file, max_bytes=max_bytes, readers=readers))
    if isinstance(found, Failure):
        raise InputError(f"{name}: {found.reason}")
    return found
