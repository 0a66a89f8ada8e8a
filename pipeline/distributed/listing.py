"""The job's inputs: every input file listed on the driver (local folders as the
single-machine runners list them, or anything pyarrow's filesystems know), numbered by
file, and each file's documents as rows numbered by their place in it, so that a re-run
can leave out the rows an earlier run wrote."""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ..errors import ConfigError
from ..io import DEFAULT_GLOBS, InputFile, discover_inputs, found_input, named_input, read_bytes
from ..types import Document, Failure
from .storage import storage_errors

__all__ = ["ROW", "Listed", "Reader", "from_row", "list_inputs"]

ROW = ("ok", "id", "origin", "text", "layout")
"""The columns of a document row: a Document (``ok``) or a Failure (``text`` its reason);
``layout`` is an HTML, DOCX or PDF document's layout, pickled (rows go between it2en's
own processes only), or empty. Besides them, ``file`` and ``row`` number the row (the
input file's place in the listing, the row's place in its file) for resuming."""


@dataclass(frozen=True)
class Listed:
    """An input file: how Ray names it, where it is, how it2en names it, and what
    identifies its content (size, modification time)."""

    ray_path: str
    uri: str
    file: InputFile
    size: int
    mtime_ns: int


def list_inputs(inputs: Sequence[str], output: str) -> list[Listed]:
    """Every input file, in the order of the single-machine runners: local files as
    :func:`pipeline.io.discover_inputs` lists them, files under a remote prefix sorted by
    path (named by their path below it). A remote input the driver may not list is a
    :class:`~pipeline.errors.MissingResource` in one line."""
    listed = []
    exclude = output if "://" not in output else None
    for file in discover_inputs([i for i in inputs if "://" not in i], DEFAULT_GLOBS, exclude=exclude):
        path = os.path.abspath(file.path)
        info = os.stat(path)
        listed.append(Listed(path, path, file, info.st_size, info.st_mtime_ns))
    for uri in (i for i in inputs if "://" in i):
        with storage_errors("the driver", uri):
            listed += _remote(uri)
    return listed


def _remote(uri: str) -> list[Listed]:
    """The files under the remote ``uri`` (a file, or a prefix listed recursively)."""
    from pyarrow import fs as pafs

    filesystem, base = pafs.FileSystem.from_uri(uri)
    scheme = uri.split("://", 1)[0]
    top = filesystem.get_file_info(base)
    if top.type == pafs.FileType.File:
        infos = [top]
    elif top.type == pafs.FileType.Directory:
        infos = sorted(
            filesystem.get_file_info(pafs.FileSelector(base, recursive=True)), key=lambda i: i.path
        )
    else:
        raise ConfigError(f"{uri}: input not found")
    listed = []
    for info in infos:
        if info.type != pafs.FileType.File:
            continue
        if info is top:
            file = named_input(f"{scheme}://{info.path}")
        else:
            found = found_input(
                f"{scheme}://{info.path}", PurePosixPath(info.path).relative_to(base), DEFAULT_GLOBS
            )
            if found is None:  # hidden, or another suffix
                continue
            file = found
        listed.append(Listed(info.path, f"{scheme}://{info.path}", file, info.size or 0, info.mtime_ns or 0))
    return listed


def _to_row(item: Document | Failure, file: int, row: int) -> dict[str, Any]:
    key = {"file": file, "row": row}
    if isinstance(item, Document):
        layout = pickle.dumps(item.layout) if item.layout is not None else b""
        return {"ok": True, "id": item.id, "origin": item.origin, "text": item.text, "layout": layout, **key}
    return {
        "ok": False,
        "id": item.id or "",
        "origin": item.origin,
        "text": item.reason,
        "layout": b"",
        **key,
    }


def from_row(ok: Any, doc_id: Any, origin: Any, text: Any, layout: Any) -> Document | Failure:
    """The document (or failure) of a row's :data:`ROW` columns."""
    if ok:
        shape = pickle.loads(bytes(layout)) if layout else None
        return Document(id=str(doc_id), text=str(text), origin=str(origin), layout=shape)
    return Failure(str(doc_id) or None, str(origin), str(text))


class Reader:
    """Turns a file row (``path``, ``bytes``) into document rows numbered by file and row,
    leaving out the rows up to ``through`` (written by an earlier run)."""

    def __init__(self, listed: Sequence[Listed], through: tuple[int, int] | None, main_article: bool):
        self.files = {entry.ray_path: (index, entry.file) for index, entry in enumerate(listed)}
        self.through, self.main_article = through, main_article

    def __call__(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        path = str(row["path"])
        index, file = self.files.get(path) or self.files[os.path.abspath(path)]
        items = read_bytes(bytes(row["bytes"]), file, main_article=self.main_article)
        rows = (_to_row(item, index, n) for n, item in enumerate(items))
        return [r for r in rows if self.through is None or (r["file"], r["row"]) > self.through]
