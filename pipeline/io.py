"""Reading documents and writing outputs.

Readers never raise for a bad document: they yield a :class:`Failure` naming the input and
the problem in its place, so one bad file or JSONL line never costs the others. JSONL is
read line by line, never whole. Files are written atomically: a temporary file in the
target folder, flushed and fsynced, then renamed over the target.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from .errors import InputError
from .pipeline import content_id
from .types import Document, Failure

__all__ = [
    "INPUT_FORMATS",
    "TEMP_SUFFIX",
    "atomic_output",
    "decode_text",
    "parse_jsonl_line",
    "read_documents",
]

INPUT_FORMATS = ("auto", "text", "jsonl")
TEMP_SUFFIX = ".it2en-tmp"
"""Suffix of atomic_output's temporary files (hidden, next to their target)."""
STDIN = "-"
_SNIFF = 8192


def read_documents(
    inputs: Sequence[str | Path],
    *,
    input_format: str = "auto",
    encoding: str = "utf-8",
    stdin: BinaryIO | None = None,
) -> Iterator[Document | Failure]:
    """Documents from files (``.txt``/``.md``/``.jsonl``) or ``-`` (standard input), in order.

    ``input_format`` ``auto`` reads ``*.jsonl`` as JSONL and everything else as text.
    """
    for item in inputs:
        name = str(item)
        is_stdin = name == STDIN
        origin = "<stdin>" if is_stdin else name
        fmt = input_format
        if fmt == "auto":
            fmt = "jsonl" if name.lower().endswith(".jsonl") else "text"
        try:
            if is_stdin:
                stream = stdin if stdin is not None else sys.stdin.buffer
            else:
                path = Path(name)
                if path.is_dir():
                    raise InputError("is a directory, expected a .txt, .md or .jsonl file")
                stream = path.open("rb")
        except InputError as exc:
            yield Failure(None, origin, str(exc))
            continue
        except OSError as exc:
            yield Failure(None, origin, f"cannot open ({exc.strerror or exc})")
            continue
        try:
            if fmt == "jsonl":
                stem = "stdin" if is_stdin else Path(name).stem
                yield from _read_jsonl(stream, origin, stem, encoding)
            else:
                yield _read_text(stream, origin, is_stdin, encoding)
        finally:
            if not is_stdin:
                stream.close()


def _read_text(stream: BinaryIO, origin: str, is_stdin: bool, encoding: str) -> Document | Failure:
    try:
        text = decode_text(stream.read(), encoding)
    except InputError as exc:
        return Failure(None, origin, str(exc))
    except OSError as exc:
        return Failure(None, origin, f"cannot read ({exc.strerror or exc})")
    doc_id = content_id(text) if is_stdin else Path(origin).stem
    return Document(id=doc_id, text=text, origin=origin)


def _read_jsonl(stream: BinaryIO, origin: str, stem: str, encoding: str) -> Iterator[Document | Failure]:
    for number, raw in enumerate(stream, start=1):
        where = f"{origin}:{number}"
        if not raw.strip():
            continue
        try:
            line = decode_text(raw, encoding)
        except InputError as exc:
            yield Failure(None, where, str(exc))
            continue
        yield parse_jsonl_line(line, where, f"{stem}-{number}")


def parse_jsonl_line(line: str, where: str, fallback_id: str) -> Document | Failure:
    """One ``{"id": ..., "text": ...}`` line as a Document, or a Failure naming ``where``.

    A missing or unusable id (not a string or integer) becomes ``fallback_id``.
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return Failure(None, where, f"malformed JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(record, dict):
        return Failure(None, where, 'expected a JSON object {"id": ..., "text": ...}')
    raw_id = record.get("id")
    usable_id = isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id)
    doc_id = str(raw_id) if usable_id else fallback_id
    text = record.get("text")
    if not isinstance(text, str):
        got = "missing" if text is None else f"a {type(text).__name__}"
        return Failure(doc_id, where, f'"text" must be a string, got {got}')
    return Document(id=doc_id, text=text, origin=where)


def decode_text(data: bytes, encoding: str = "utf-8") -> str:
    """Bytes to text with newlines normalised to ``\\n``.

    A UTF-8 or UTF-16 byte-order mark is honoured. Raises :class:`InputError` for binary
    data (NUL bytes) and for bytes invalid in ``encoding``, naming the byte offset.
    """
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and codec in ("utf-8", "utf-16"):
        codec = "utf-16"
    elif data.startswith(codecs.BOM_UTF8) and codec == "utf-8":
        codec = "utf-8-sig"
    elif b"\x00" in data[:_SNIFF] and not codec.startswith(("utf-16", "utf-32")):
        raise InputError("binary file (contains NUL bytes), expected text")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not valid {encoding} at byte {exc.start} (use --encoding to read another encoding)"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_output(path: str | Path | None) -> Iterator[TextIO]:
    """A text stream for ``path`` that replaces the file only when the block succeeds.

    ``None`` or ``-`` means standard output, written as it comes.
    """
    if path is None or str(path) == STDIN:
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
