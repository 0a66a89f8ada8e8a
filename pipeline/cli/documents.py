"""``translate`` and ``summarize``: documents in, translations (and summaries) out."""

from __future__ import annotations

import codecs
import json
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import ConfigError, Stopped
from ..failures import made_or_failure
from ..formats import DOCUMENT_SUFFIXES, WRITABLE_FORMATS
from ..io import InputFile, discover_inputs, read_documents
from ..output_formats import OUTPUT_FORMATS, format_for_suffix
from ..outputs import atomic_output
from ..pipeline import Pipeline
from ..readers import Readers
from ..render import render_text
from ..types import Failure, Result, RunCounts
from .errors import EXIT_FAILED_DOCUMENTS, errors_mapped
from .logs import progress_bars
from .options import (
    GLOSSARY,
    RUNTIME,
    SUMMARY,
    DocumentTimeoutOpt,
    EncodingOpt,
    InputFormat,
    InputFormatOpt,
    Inputs,
    LogFlags,
    MainArticleOpt,
    ModelFlags,
    shared_options,
)
from .signals import Stop, stop_on_signals

__all__ = ["check_encoding", "check_file_name", "summarize", "translate"]

log = logging.getLogger("it2en.cli")


class OutputFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"
    jsonl = "jsonl"
    html = "html"
    document = "document"
    pdf = "pdf"


FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format; document: the translated file itself (HTML, Word, ...); pdf: a PDF's "
        "translated copy [default: by -o suffix (translate: the input's own suffix gives document, "
        ".pdf gives pdf); md on a terminal; else jsonl/text].",
    ),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", metavar="FILE", help="Output file (default stdout).")
]


@dataclass(frozen=True)
class _Request:
    """What to read and how to write it, besides the pipeline's settings."""

    inputs: list[str]
    output_format: OutputFormat | None
    output: Path | None
    input_format: InputFormat
    encoding: str
    summarize: bool
    main_article: bool = False
    document_timeout: float = 300.0


def _document_command(summarize: bool, help_text: str) -> Callable[..., None]:
    """The ``translate`` (``summarize`` False) or ``summarize`` command: the same options
    and body; ``summarize`` adds the summary's models and settings."""

    def command(
        inputs: Inputs,
        flags: ModelFlags,
        logs: LogFlags,
        output_format: FormatOpt = None,
        output: OutputOpt = None,
        input_format: InputFormatOpt = InputFormat.auto,
        encoding: EncodingOpt = "utf-8",
        main_article: MainArticleOpt = False,
        document_timeout: DocumentTimeoutOpt = 300.0,
    ) -> None:
        with errors_mapped(logs):
            request = _Request(
                inputs,
                output_format,
                output,
                input_format,
                encoding,
                summarize,
                main_article,
                document_timeout,
            )
            _run(request, flags, logs)

    command.__doc__ = help_text
    models = ("translator", *SUMMARY) if summarize else ("translator",)
    return shared_options("config", *models, *RUNTIME, "docs_per_chunk", *GLOSSARY)(command)


translate = _document_command(
    False,
    """Translate Italian documents into English, keeping their layout.

    Example: it2en translate notizia.txt -o notizia.en.txt
    """,
)
summarize = _document_command(
    True,
    """Translate and summarize: English summary points grounded in the Italian source,
    the Italian summary, and the full translation.

    Example: it2en summarize notizia.txt --format json -o notizia.json
    """,
)


def _run(request: _Request, flags: ModelFlags, logs: LogFlags) -> None:
    """Read, process and write every document; exit 1 if any failed."""
    cfg = flags.load()
    files = list(discover_inputs(request.inputs, input_format=request.input_format.value))
    fmt, several = _checked_format(request, files)
    failures: list[Failure] = []
    with (
        stop_on_signals([signal.SIGTERM], "stopping after the document in progress") as stop,
        progress_bars(not logs.quiet and sys.stderr.isatty()) as progress,
        Readers(1, request.document_timeout, stop.event)
        if request.document_timeout
        else nullcontext() as readers,
    ):
        documents = read_documents(
            files, encoding=request.encoding, main_article=request.main_article, readers=readers
        )
        outcomes = Pipeline(cfg, progress=progress).process_many(documents, summarize=request.summarize)
        try:
            with atomic_output(request.output, binary=OUTPUT_FORMATS[fmt].binary) as stream:
                written = _write_all(outcomes, stream, fmt, several, failures, stop)
                if request.output is not None and written == 0:
                    raise _NothingWritten
        except _NothingWritten:
            log.warning("no document succeeded; %s left as it was", request.output)
        except Stopped:  # while a file was read: as after a document
            raise SystemExit(stop.exit_code) from None
    if failures:
        counts = RunCounts(failed=len(failures), internal=sum(f.internal for f in failures))
        log.warning("%d document(s) failed%s", counts.failed, counts.internal_note())
        raise typer.Exit(EXIT_FAILED_DOCUMENTS)


def _checked_format(request: _Request, files: list[InputFile]) -> tuple[str, bool]:
    """The output format and whether there are several documents; a usage error for a
    format that cannot hold them, found before any work."""
    fmt = _choose_format(request.output_format, request.output, request.summarize, files)
    several = len(files) > 1 or any(f.kind == "jsonl" for f in files)  # headers, a JSON array
    check_file_name("-o", request.output)
    if fmt == "html" and several:
        raise ConfigError(
            "--format html is one page per document: give one input, or use batch --formats json,html"
        )
    if fmt == "document" and (several or not files or files[0].kind not in WRITABLE_FORMATS):
        raise ConfigError(
            "--format document writes one translated HTML or DOCX file: give one such input, "
            "or use batch, which writes one per document"
        )
    if fmt == "pdf" and (several or not files or files[0].kind != "pdf"):
        raise ConfigError("--format pdf writes the translated copy of one PDF: give one PDF input")
    check_encoding(request.encoding)
    return fmt, several


def _write_all(
    outcomes: Iterator[Result | Failure],
    stream: Any,
    fmt: str,
    several: bool,
    failures: list[Failure],
    stop: Stop,
) -> int:
    """Each outcome written as it comes (JSON gathered into one array at the end), each
    failure kept in ``failures``; how many were written."""
    records: list[dict[str, object]] = []
    written = 0
    for outcome in outcomes:
        if stop.event.is_set():  # through every finally: the temporary copy goes
            raise SystemExit(stop.exit_code)
        first = written == 0
        made = (
            outcome
            if isinstance(outcome, Failure)
            else made_or_failure(outcome, partial(_made, outcome, fmt, several, first))
        )
        if isinstance(made, Failure):
            failures.append(made)
            log.error("%s", made.message())
            continue
        written += 1
        if isinstance(made, dict):
            records.append(made)
        else:
            stream.write(made)
            stream.flush()
    if fmt == "json":  # always an array: its shape never depends on the count
        stream.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    return written


def check_file_name(flag: str, path: Path | None) -> None:
    """An output file option naming a folder is a usage error, found before any work."""
    if path is not None and path.is_dir():
        raise ConfigError(f"{flag} {path} is a folder; give a file name")


def check_encoding(encoding: str) -> None:
    """An unknown ``--encoding`` is a usage error, found before any work."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(f"--encoding {encoding!r} is not a known encoding") from None


class _NothingWritten(Exception):
    """Raised inside an output file's atomic write to discard it: no document succeeded,
    and an earlier run's output must not be replaced by an empty one."""


def _made(result: Result, fmt: str, several: bool, first: bool) -> dict[str, object] | str | bytes:
    """What is written of ``result``: its record (JSON, gathered into one array), else
    its rendering."""
    return result.to_dict() if fmt == "json" else _render(result, fmt, several, first)


def _render(result: Result, fmt: str, several: bool, first: bool) -> str | bytes:
    """One document in ``fmt`` (:data:`~pipeline.output_formats.OUTPUT_FORMATS`), framed
    for an output of several: a text header, and a blank line before every Markdown or
    text document after the first. Text that could not be written as UTF-8 fails here,
    not half-way through the output."""
    if fmt == "text" and several:
        made: str | bytes = render_text(result, header=True)
    else:
        made = OUTPUT_FORMATS[fmt].render(result)
    if isinstance(made, bytes):
        return made
    if fmt in ("md", "text") and not first:
        made = "\n" + made
    made.encode("utf-8")
    return made


def _choose_format(
    explicit: OutputFormat | None, output: Path | None, summarize: bool, files: list[InputFile]
) -> str:
    """Explicit flag; else the output file's suffix (for ``translate`` of one HTML or DOCX
    file, its own suffix means the translated file); else Markdown on a terminal; else
    JSONL for summaries and plain text for translations."""
    if explicit is not None:
        return explicit.value
    if output is not None and str(output) != "-":
        suffix = output.suffix.lower()
        own = not summarize and len(files) == 1 and files[0].kind in WRITABLE_FORMATS
        if own and DOCUMENT_SUFFIXES.get(suffix) == files[0].kind:
            return "document"
        return format_for_suffix(suffix) or ("jsonl" if summarize else "text")
    if sys.stdout.isatty():
        return "md"
    return "jsonl" if summarize else "text"
