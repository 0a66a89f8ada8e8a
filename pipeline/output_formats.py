"""The output formats: one registry, used by every front end (``translate``/``summarize``,
``batch``), of each format's name, file suffixes, kind (text or bytes) and the renderer of
one document.

``translate``/``summarize`` frame several documents in one output (a JSON array, a blank
line between Markdown reports, ``==> id <==`` headers in text); ``batch`` writes one file
per document and format. Both render each document through :data:`OUTPUT_FORMATS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .formats import format_of, translated_file, translated_pdf, writable
from .render import render_markdown, render_text
from .report import render_html
from .types import Result

__all__ = ["OUTPUT_FORMATS", "OutputFormat", "document_files", "format_for_suffix"]


@dataclass(frozen=True)
class OutputFormat:
    """One output format."""

    name: str
    suffixes: tuple[str, ...]
    """File suffixes that choose it (``-o name.md``); the first names its files."""
    binary: bool
    render: Callable[[Result], str | bytes]
    """One document in this format."""
    one_per_file: bool = False
    """A whole file holds one document (the HTML report, the translated document)."""
    only: str | None = None
    """The input format it is made of alone (``pdf``: the translated PDF); other
    documents have no file of it."""

    def bytes_of(self, result: Result) -> bytes:
        """One document in this format, as the bytes of its file (text as UTF-8)."""
        made = self.render(result)
        return made if isinstance(made, bytes) else made.encode("utf-8")


def _json(result: Result) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _jsonl(result: Result) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"


OUTPUT_FORMATS: dict[str, OutputFormat] = {
    "text": OutputFormat("text", (".txt",), False, lambda r: render_text(r, header=False)),
    "md": OutputFormat("md", (".md",), False, render_markdown),
    "json": OutputFormat("json", (".json",), False, _json),
    "jsonl": OutputFormat("jsonl", (".jsonl",), False, _jsonl),
    "html": OutputFormat("html", (".html", ".htm"), False, render_html, one_per_file=True),
    "document": OutputFormat("document", (), True, translated_file, one_per_file=True),
    "pdf": OutputFormat("pdf", (".en.pdf", ".pdf"), True, translated_pdf, one_per_file=True, only="pdf"),
}
"""Every output format by name; ``document`` is the translated copy of a file written back
as it came (named by its input's suffix), ``pdf`` the translated PDF of a PDF input."""


def format_for_suffix(suffix: str) -> str | None:
    """The format a file suffix (any case) chooses, or None."""
    lowered = suffix.lower()
    return next((f.name for f in OUTPUT_FORMATS.values() if lowered in f.suffixes), None)


def document_files(name: str, result: Result, formats: Iterable[str]) -> list[tuple[str, bytes]]:
    """Every output file of one document as ``(file name, bytes)``, made in memory (an
    error here, encoding included, is the document's own, and nothing of it is written):
    ``name`` plus each format's suffix (a format made of one input format alone only for
    such a document), and ``name.en.<suffix>`` for the translated page or Word file where
    the input was one."""
    files = [
        (f"{name}{OUTPUT_FORMATS[fmt].suffixes[0]}", OUTPUT_FORMATS[fmt].bytes_of(result))
        for fmt in formats
        if OUTPUT_FORMATS[fmt].only in (None, result.layout.format if result.layout else None)
    ]
    if result.layout is not None and writable(result.layout):
        files.append(
            (
                f"{name}.en.{_copy_suffix(result.origin, result.layout.format)}",
                OUTPUT_FORMATS["document"].bytes_of(result),
            )
        )
    return files


def _copy_suffix(origin: str, fmt: str) -> str:
    """The suffix of a translated copy: its input's own (``xlf``, ``htm``; lower case)
    where the input's name ``origin`` has a suffix of the copy's format ``fmt``, else the
    format's name."""
    return origin.rsplit(".", 1)[-1].lower() if format_of(origin) == fmt else fmt
