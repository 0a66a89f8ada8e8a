"""``batch``: folders, files and JSONL into an output folder, for cron and schedulers."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..batch import BatchOptions, BatchReport, PlannedDocument, run_batch
from ..config import PipelineConfig
from ..errors import ConfigError, OutDirLocked
from ..io import DEFAULT_GLOBS
from ..outputs import atomic_output
from ..pipeline import Pipeline
from ..text import one_line
from .documents import check_encoding, check_file_name
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
    TranslateOnlyOpt,
    shared_options,
)
from .signals import stop_on_signals

__all__ = ["batch"]

log = logging.getLogger("it2en.cli")


class LogFormat(str, Enum):
    text = "text"
    json = "json"


OutOpt = Annotated[Path, typer.Option("--out", metavar="DIR", help="Output folder (created if missing).")]
GlobOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--glob",
        metavar="PATTERN",
        help=f"File pattern taken from folders, repeatable [default: {', '.join(DEFAULT_GLOBS)}].",
    ),
]
FormatsOpt = Annotated[
    str,
    typer.Option(
        metavar="FORMATS",
        help="Files per document: json, plus md, html, pdf (a PDF's translated copy): json,md,html,pdf.",
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Redo every document, even unchanged ones.")]
ReportOpt = Annotated[
    Path | None, typer.Option(metavar="FILE", help="Also write the end-of-run counts as JSON.")
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="List what would be processed.")]
LogFormatOpt = Annotated[LogFormat, typer.Option(help="stderr log lines as text or JSON.")]


@shared_options("config", "translator", *SUMMARY, *RUNTIME, "docs_per_chunk", *GLOSSARY)
def batch(
    inputs: Inputs,
    out: OutOpt,
    flags: ModelFlags,
    logs: LogFlags,
    glob: GlobOpt = None,
    formats: FormatsOpt = "json",
    translate_only: TranslateOnlyOpt = False,
    force: ForceOpt = False,
    report: ReportOpt = None,
    dry_run: DryRunOpt = False,
    log_format: LogFormatOpt = LogFormat.text,
    input_format: InputFormatOpt = InputFormat.auto,
    encoding: EncodingOpt = "utf-8",
    main_article: MainArticleOpt = False,
    document_timeout: DocumentTimeoutOpt = 300.0,
) -> None:
    """Process folders, files and JSONL into OUT_DIR, only what is new or changed, for
    cron and schedulers: resumable after a crash, locked against concurrent runs.

    Example: it2en batch inbox/ --out results/ --formats json,md --offline
    """
    with errors_mapped(logs, log_format.value, default_level=logging.INFO):
        cfg = flags.load()
        check_encoding(encoding)
        if out.exists() and not out.is_dir():
            raise ConfigError(f"--out {out} is a file; give a folder")
        check_file_name("--report", report)
        options = BatchOptions(
            out_dir=out,
            formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
            summarize=not translate_only,
            force=force,
            globs=tuple(glob or DEFAULT_GLOBS),
            input_format=input_format.value,
            encoding=encoding,
            main_article=main_article,
            document_timeout=document_timeout,
        )
        result = BatchReport()
        try:
            stopped_by = _run(cfg, inputs, options, dry_run, not logs.quiet, result)
        except OutDirLocked:
            raise
        except BaseException:  # a crash still leaves its counts, marked crashed
            _write_report(report, result, crashed=True)
            raise
        _write_report(report, result)
        if stopped_by is not None:
            raise typer.Exit(stopped_by)
        if result.failed:
            raise typer.Exit(EXIT_FAILED_DOCUMENTS)


def _write_report(path: Path | None, result: BatchReport, *, crashed: bool = False) -> None:
    """``--report``: the end-of-run counts as JSON. After a crash a failure to write it is
    logged, so that the crash's own error is the one reported."""
    if path is None:
        return
    try:
        with atomic_output(path) as stream:
            stream.write(json.dumps(result.to_dict(), indent=2) + "\n")
    except OSError as exc:
        if not crashed:
            raise
        log.warning("the report %s could not be written: %s", path, exc.strerror or exc)


def _run(
    config: PipelineConfig,
    inputs: list[str],
    options: BatchOptions,
    dry_run: bool,
    show_progress: bool,
    result: BatchReport,
) -> int | None:
    """The run, with progress bars on a terminal and signals caught, filling ``result``;
    the exit code of the signal that stopped it (None: none did). The end-of-run line is
    logged however the run ends, but for a folder locked by another run (which never
    started)."""
    started = time.monotonic()

    def aborted() -> None:
        result.interrupted = True
        result.elapsed_s = time.monotonic() - started
        _log_finished(result)

    with (
        progress_bars(show_progress and sys.stderr.isatty()) as progress,
        stop_on_signals(
            [signal.SIGINT, signal.SIGTERM],
            "stopping after the model batch in progress; the rest resumes on the next run",
            aborted,
        ) as stop,
    ):
        try:
            run_batch(
                Pipeline(config, progress=progress),
                inputs,
                options,
                stop=stop.event,
                dry_run=dry_run,
                on_planned=_print_planned,
                report=result,
            )
        except BaseException as exc:
            if not isinstance(exc, OutDirLocked):
                result.crashed = True
                _log_finished(result)
            raise
    _log_finished(result)
    return stop.exit_code


def _print_planned(item: PlannedDocument) -> None:
    """A dry run's line for a document it would process: reason, output name, input."""
    typer.echo(f"{item.reason}\t{item.name}\t{one_line(item.document.origin)}")


def _log_finished(result: BatchReport) -> None:
    """The end-of-run line, always logged (a JSON log line carries the counts)."""
    log.info("%s", result.line(), extra={"fields": {"event": "batch_finished", **result.to_dict()}})
