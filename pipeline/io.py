"""Reading documents and writing outputs.

Inputs are found by :func:`discover_inputs` (files, folders, globs, standard input) and
read by :func:`read_documents`, with one rule for what a document is called (the README's
"Inputs and ids"):

* a file named as an input: its name without suffix (``notizia`` for ``notizia.txt``);
* a file found in a folder: its path below that folder without suffix (``2026/notizia``);
  folders are walked recursively in sorted order (a folder's files, then its
  subfolders), hidden files and folders (``.name``) are skipped, and names are matched
  against the globs in any case;
* standard input: the first 12 hex digits of its text's SHA-256;
* a JSONL record: its ``id``, else the file's id and the line number (``notizie-7``).

Readers never raise for a bad document: they yield a :class:`Failure` naming the input and
the problem in its place, so one bad file or JSONL line never costs the others. JSONL is
read line by line, never whole. Only regular files are read (a FIFO would block, a device
never ends), and none larger than a limit, checked before reading. Names and ids that are
not valid Unicode (file names with undecodable bytes, escaped lone surrogates in JSON) are
made printable with backslash escapes, so that every name can be written as UTF-8.
HTML, DOCX and PDF files are read by :mod:`pipeline.formats` into a document whose
``layout`` maps its text back to the original. Outputs are written by
:mod:`pipeline.outputs`.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import BinaryIO, Literal, get_args

from .errors import InputError
from .files import open_regular, too_large
from .formats import DOCUMENT_SUFFIXES, FormatName, Layout, format_of, read_format
from .readers import Readers
from .text import decode_text, normalize_text, printable
from .types import Document, Failure

__all__ = [
    "DEFAULT_GLOBS",
    "EMPTY_NAME",
    "INPUT_KINDS",
    "MAX_INPUT_BYTES",
    "STDIN",
    "InputFile",
    "discover_inputs",
    "found_input",
    "input_id",
    "input_kind",
    "named_input",
    "open_regular",
    "parse_jsonl_line",
    "read_bytes",
    "read_documents",
    "takes",
    "too_large",
]

InputKind = Literal["text", "jsonl", FormatName]
"""How an input is read: as text, as JSONL records, or by a format's reader."""
INPUT_KINDS: tuple[InputKind, ...] = get_args(InputKind)
DEFAULT_GLOBS = ("*.txt", "*.md", "*.jsonl", *(f"*{suffix}" for suffix in DOCUMENT_SUFFIXES))
"""The files taken from folders unless other globs are given."""
STDIN = "-"
MAX_INPUT_BYTES = 256 * 1024 * 1024
"""Largest input file read (a JSONL file is read line by line and may be larger; no line
may be): far beyond any document, and a sparse or runaway file is refused unread."""


@dataclass(frozen=True)
class InputFile:
    """One input to read: a path (``-`` for standard input), how to read it, and the id
    its document gets (for JSONL, the prefix of ids made for records without one)."""

    path: str
    kind: InputKind
    id: str


def input_kind(name: str, input_format: str = "auto") -> InputKind:
    """How to read input ``name``: ``input_format`` when it is not ``auto``, else by its
    suffix in any case: JSONL for ``*.jsonl``, HTML, DOCX or PDF for theirs, text for
    everything else."""
    if input_format in INPUT_KINDS:
        return input_format  # type: ignore[return-value]
    if name.lower().endswith(".jsonl"):
        return "jsonl"
    return format_of(name) or "text"


def discover_inputs(
    inputs: Sequence[str | Path],
    globs: Sequence[str] = DEFAULT_GLOBS,
    *,
    input_format: str = "auto",
    exclude: str | Path | None = None,
) -> Iterator[InputFile]:
    """Every input file of ``inputs`` (files, folders, ``-``) in order, folders walked as
    the module docstring says; ``exclude`` is a folder never entered (a run's own output
    folder). A path that is not a folder is passed on as it is: reading reports it."""
    skip = os.path.realpath(exclude) if exclude is not None else None
    for item in inputs:
        root = Path(item)
        if str(item) in (STDIN, "") or not root.is_dir():  # "" is no name, not "."
            yield named_input(str(item), input_format)
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(
                d for d in dirs if not d.startswith(".") and os.path.realpath(Path(folder) / d) != skip
            )
            for file_name in sorted(files):
                file = Path(folder) / file_name
                found = found_input(str(file), file.relative_to(root), globs, input_format)
                if found is not None:
                    yield found


def found_input(
    path: str, relative: PurePath, globs: Sequence[str], input_format: str = "auto"
) -> InputFile | None:
    """The input a file found under a folder is (None: not one): not hidden, nor under a
    hidden folder, matching one of ``globs``, and named by its path below the folder. The
    one rule for local folders and for prefixes on object storage (``ray``)."""
    if any(part.startswith(".") for part in relative.parts[:-1]) or not takes(relative.name, globs):
        return None
    return InputFile(path, input_kind(path, input_format), input_id(relative))


def input_id(relative: PurePath) -> str:
    """The id of a file found in a folder: its path below the folder, without suffix."""
    return printable(relative.with_suffix("").as_posix())


def takes(file_name: str, globs: Sequence[str]) -> bool:
    """Whether a file found in a folder is an input: not hidden, and matching one of
    ``globs`` in any case (``A.TXT`` matches ``*.txt``)."""
    folded = PurePath(file_name.casefold())
    return not file_name.startswith(".") and any(folded.match(g.casefold()) for g in globs)


EMPTY_NAME = "an empty input name (a shell variable that was not set?)"
"""Why an input named ``""`` is refused (``Path("")`` is the working folder)."""


def named_input(name: str, input_format: str = "auto") -> InputFile:
    """A file or ``-`` given as an input by name: named by its file name without suffix."""
    file_id = "stdin" if name == STDIN else printable(Path(name).stem)
    return InputFile(name, input_kind(name, input_format), file_id)


def read_documents(
    inputs: Sequence[str | Path | InputFile],
    *,
    input_format: str = "auto",
    encoding: str = "utf-8",
    stdin: BinaryIO | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
    main_article: bool = False,
    readers: Readers | None = None,
) -> Iterator[Document | Failure]:
    """Documents from files (text, Markdown, JSONL, HTML, DOCX, PDF) or ``-`` (standard
    input), in order.

    A path is read as one file (a folder is a failure: :func:`discover_inputs` walks
    folders); ``input_format`` ``auto`` goes by suffix (:func:`input_kind`). A file or a
    JSONL line over ``max_bytes`` is a failure, found before reading. ``main_article``:
    of an HTML page, only the main article (:func:`pipeline.formats.html.read`).
    ``readers``: formatted files are parsed in these reader processes, with their time
    limit and stop event (:mod:`pipeline.readers`).
    """
    options = _Reading(encoding, max_bytes, main_article, readers)
    for item in inputs:
        file = item if isinstance(item, InputFile) else named_input(str(item), input_format)
        yield from _read_file(file, options, stdin)


@dataclass(frozen=True)
class _Reading:
    """How inputs are read: the text encoding, the size limit, the HTML article option,
    and the reader processes formatted files are parsed in (None: in this process)."""

    encoding: str = "utf-8"
    max_bytes: int = MAX_INPUT_BYTES
    main_article: bool = False
    readers: Readers | None = None

    def parse(self, kind: InputKind, data: bytes, name: str) -> tuple[str, Layout | None]:
        """The text of a whole file of ``kind`` (not JSONL) named ``name`` in messages, and
        its layout if it has one."""
        if kind == "text":
            return decode_text(data, self.encoding), None
        fmt: FormatName = kind  # type: ignore[assignment]
        if self.readers is not None:
            layout = self.readers.parse(fmt, data, main_article=self.main_article, name=name)
        else:
            layout = read_format(fmt, data, main_article=self.main_article, name=name)
        return layout.text, layout


def _read_file(file: InputFile, options: _Reading, stdin: BinaryIO | None) -> Iterator[Document | Failure]:
    """The documents of one input file (one, or one per JSONL line)."""
    is_stdin = file.path == STDIN
    origin = "<stdin>" if is_stdin else printable(file.path)
    if not file.path:
        yield Failure(None, "''", EMPTY_NAME)
        return
    try:
        stream = (
            (stdin or sys.stdin.buffer)
            if is_stdin
            else open_regular(Path(file.path), file.kind, options.max_bytes)
        )
    except InputError as exc:
        yield Failure(None, origin, str(exc))
        return
    except OSError as exc:
        yield Failure(None, origin, f"cannot open ({exc.strerror or exc})")
        return
    try:
        yield from _read_stream(stream, file, origin, options)
    finally:
        if not is_stdin:
            stream.close()


def read_bytes(
    data: bytes,
    file: InputFile,
    *,
    encoding: str = "utf-8",
    max_bytes: int = MAX_INPUT_BYTES,
    main_article: bool = False,
    readers: Readers | None = None,
) -> Iterator[Document | Failure]:
    """The documents of input ``file`` whose bytes are already in memory (a file that Ray
    read from a cluster's storage), read exactly as :func:`read_documents` reads files."""
    if file.kind != "jsonl" and len(data) > max_bytes:  # as open_regular: refused before parsing
        yield Failure(None, printable(file.path), too_large("input", max_bytes, len(data)))
        return
    options = _Reading(encoding, max_bytes, main_article, readers)
    yield from _read_stream(io.BytesIO(data), file, printable(file.path), options)


def _read_stream(
    stream: BinaryIO, file: InputFile, origin: str, options: _Reading
) -> Iterator[Document | Failure]:
    doc_id = None if file.path == STDIN else file.id
    if file.kind == "jsonl":
        yield from _read_jsonl(stream, origin, file.id, options.encoding, options.max_bytes)
    else:
        yield _read_whole(stream, origin, doc_id, file.kind, options)


def _read_whole(
    stream: BinaryIO, origin: str, doc_id: str | None, kind: InputKind, options: _Reading
) -> Document | Failure:
    """The whole stream (at most ``options.max_bytes``) as one document of ``kind`` named
    ``doc_id`` (None: by its content); a file that cannot be read is its failure."""
    try:
        data = stream.read(options.max_bytes + 1)
        if len(data) > options.max_bytes:
            raise InputError(too_large("input", options.max_bytes))
        text, layout = options.parse(kind, data, origin)
    except InputError as exc:
        return Failure(None, origin, str(exc))
    except OSError as exc:
        return Failure(None, origin, f"cannot read ({exc.strerror or exc})")
    if doc_id is None:
        return replace(Document.from_text(text, origin=origin), layout=layout)
    return Document(id=doc_id, text=text, origin=origin, layout=layout)


def _lines(stream: BinaryIO, max_bytes: int) -> Iterator[bytes | None]:
    """The lines of ``stream`` ended by ``\\n``, ``\\r\\n`` or a lone ``\\r``, read in
    bounded pieces; ``None`` in place of a line longer than ``max_bytes``."""
    pending = b""
    dropped = False  # the line in progress was too long and is being skipped
    while chunk := stream.read(1 << 16):
        data = pending + chunk
        held = b"\r" if data.endswith(b"\r") else b""  # may be the first half of \r\n
        *complete, pending = (
            data[: len(data) - len(held)].replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        )
        for line in complete:
            yield None if dropped or len(line) > max_bytes else line
            dropped = False
        if len(pending) > max_bytes:
            dropped, pending = True, b""
        pending += held
    if pending.rstrip(b"\r") or dropped:
        yield None if dropped else pending.rstrip(b"\r")


def _read_jsonl(
    stream: BinaryIO, origin: str, file_id: str, encoding: str, max_bytes: int
) -> Iterator[Document | Failure]:
    for number, raw in enumerate(_lines(stream, max_bytes), start=1):
        where = f"{origin}:{number}"
        if raw is None:
            yield Failure(None, where, too_large("line", max_bytes))
            continue
        if not raw.strip():
            continue
        try:
            line = decode_text(raw, encoding)
        except InputError as exc:
            yield Failure(None, where, str(exc))
            continue
        yield parse_jsonl_line(line, where, f"{file_id}-{number}")


def parse_jsonl_line(line: str, where: str, fallback_id: str) -> Document | Failure:
    """One ``{"id": ..., "text": ...}`` line as a Document, or a Failure naming ``where``.

    A missing or unusable id (not a string or integer) becomes ``fallback_id``.
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return Failure(None, where, f"malformed JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:  # [[[[... thousands deep: the parser's stack, not ours
        return Failure(None, where, "malformed JSON (nested too deeply)")
    except ValueError as exc:  # a number past Python's digit limit, say
        return Failure(None, where, f"malformed JSON ({exc})")
    if not isinstance(record, dict):
        return Failure(None, where, 'expected a JSON object {"id": ..., "text": ...}')
    raw_id = record.get("id")
    usable_id = isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id)
    doc_id = printable(str(raw_id)) if usable_id else fallback_id
    text = record.get("text")
    if not isinstance(text, str):
        kind = type(text).__name__
        got = "missing" if text is None else f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"
        return Failure(doc_id, where, f'"text" must be a string, got {got}')
    if printable(text) != text:
        position = next(i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff")
        return Failure(
            doc_id, where, f'"text" is not valid Unicode (a lone surrogate at character {position})'
        )
    return Document(id=doc_id, text=normalize_text(text), origin=where)
