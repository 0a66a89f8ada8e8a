"""The ``it2en`` command: parse options, call the library, render, map errors to exit codes.

This is the only module that prints, installs log handlers or shows progress bars.

Exit codes: 0 success; 1 one or more documents failed (the others were still written);
2 usage or configuration error; 3 a model could not be loaded; 4 the batch output folder
is locked by another run; 128 + N stopped by signal N (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import codecs
import json
import logging
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from . import __version__
from .batch import DEFAULT_GLOBS, BatchOptions, BatchReport, OutDirLocked, PlannedDocument, run_batch
from .config import PipelineConfig
from .errors import ConfigError, InputError, It2enError, ModelLoadError
from .io import atomic_output, one_line, read_documents
from .models import download_model
from .pipeline import Pipeline, ProgressCallback
from .render import render_markdown, render_text
from .types import Failure, Result

EXIT_FAILED_DOCUMENTS = 1
EXIT_USAGE = 2
EXIT_MODEL = 3
EXIT_LOCKED = 4
EXIT_INTERNAL = 5
"""A crash or an environment failure (disk full, read-only output): never the exit code
of failed documents, so a scheduler sees it."""
EXIT_INTERRUPTED = 128 + signal.SIGINT
_EXIT_CODES: tuple[tuple[type[It2enError], int], ...] = (  # checked in order, subclasses too
    (ConfigError, EXIT_USAGE),
    (ModelLoadError, EXIT_MODEL),
    (InputError, EXIT_FAILED_DOCUMENTS),
    (OutDirLocked, EXIT_LOCKED),
)

log = logging.getLogger("it2en")

app = typer.Typer(
    name="it2en",
    help="Translate Italian documents into English and summarize them in both languages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
models_app = typer.Typer(help="Manage local copies of the models.", no_args_is_help=True)
app.add_typer(models_app, name="models")


class OutputFormat(str, Enum):
    text = "text"
    md = "md"
    json = "json"
    jsonl = "jsonl"


class InputFormat(str, Enum):
    auto = "auto"
    text = "text"
    jsonl = "jsonl"


_CONFIG_FIELDS = frozenset(f.name for f in fields(PipelineConfig))
_SUFFIX_FORMATS = {".txt": "text", ".md": "md", ".json": "json", ".jsonl": "jsonl"}

# Options shared by every command that runs models, declared once.
Inputs = Annotated[
    list[str],
    typer.Argument(
        metavar="INPUT...", help="Italian .txt/.md files, .jsonl files of {id, text}, or - for stdin."
    ),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", metavar="FILE", help="TOML preset (see configs/).")
]
TranslatorOpt = Annotated[
    str | None, typer.Option(metavar="MODEL", help="Italian→English model: hub id or folder.")
]
SummarizerOpt = Annotated[
    str | None, typer.Option(metavar="MODEL", help="Summarizer model: hub id or folder.")
]
BackOpt = Annotated[
    str | None, typer.Option(metavar="MODEL", help="English→Italian model: hub id or folder.")
]
ModelsDirOpt = Annotated[str | None, typer.Option("--models-dir", metavar="DIR", help="Local model store.")]
OfflineOpt = Annotated[bool | None, typer.Option("--offline", help="Never use the network.")]
DeviceOpt = Annotated[str | None, typer.Option(metavar="DEVICE", help="auto, cpu, cuda or cuda:N.")]
PrecisionOpt = Annotated[
    str | None, typer.Option(metavar="PRECISION", help="auto, fp32, fp16, bf16 (half: CUDA only) or int8.")
]
BackendOpt = Annotated[
    str | None,
    typer.Option(
        metavar="BACKEND", help="Inference engine: auto (ctranslate2 when installed), torch, ctranslate2."
    ),
]
ThreadsOpt = Annotated[
    int | None, typer.Option("--threads", metavar="N", help="CPU threads (0: the CPUs this process may use).")
]
BeamsOpt = Annotated[int | None, typer.Option("--num-beams", metavar="N", help="Beam width (1 = greedy).")]
BatchOpt = Annotated[
    int | None,
    typer.Option("--batch-size", metavar="N", help="Most segments per batch (0: 16 on CPU, 64 on CUDA)."),
]
TokensOpt = Annotated[
    int | None, typer.Option("--max-batch-tokens", metavar="N", help="Most padded input tokens per batch.")
]
FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format [default: by -o suffix; md on a terminal; else jsonl/text].",
    ),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", metavar="FILE", help="Output file (default stdout).")
]
InputFormatOpt = Annotated[InputFormat, typer.Option("--input-format", help="How to read INPUT.")]
EncodingOpt = Annotated[str, typer.Option(metavar="ENCODING", help="Encoding of text inputs.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="More log detail on stderr.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
ItalianOpt = Annotated[
    bool | None,
    typer.Option("--italian-summary/--no-italian-summary", help="Render the summary in Italian too."),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"it2en {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Translate Italian documents into English and summarize them in both languages."""


@app.command()
def translate(
    inputs: Inputs,
    config: ConfigOpt = None,
    translator: TranslatorOpt = None,
    models_dir: ModelsDirOpt = None,
    offline: OfflineOpt = None,
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
    backend: BackendOpt = None,
    num_beams: BeamsOpt = None,
    batch_size: BatchOpt = None,
    max_batch_tokens: TokensOpt = None,
    threads: ThreadsOpt = None,
    output_format: FormatOpt = None,
    output: OutputOpt = None,
    input_format: InputFormatOpt = InputFormat.auto,
    encoding: EncodingOpt = "utf-8",
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Translate Italian documents into English, keeping their layout.

    Example: it2en translate notizia.txt -o notizia.en.txt
    """
    with _errors_mapped(debug, quiet, verbose):
        _run(locals(), summarize=False)


@app.command()
def summarize(
    inputs: Inputs,
    config: ConfigOpt = None,
    translator: TranslatorOpt = None,
    summarizer: SummarizerOpt = None,
    back_translator: BackOpt = None,
    models_dir: ModelsDirOpt = None,
    offline: OfflineOpt = None,
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
    backend: BackendOpt = None,
    num_beams: BeamsOpt = None,
    batch_size: BatchOpt = None,
    max_batch_tokens: TokensOpt = None,
    threads: ThreadsOpt = None,
    italian_summary: ItalianOpt = None,
    output_format: FormatOpt = None,
    output: OutputOpt = None,
    input_format: InputFormatOpt = InputFormat.auto,
    encoding: EncodingOpt = "utf-8",
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Translate and summarize: English summary points grounded in the Italian source,
    the Italian summary, and the full translation.

    Example: it2en summarize notizia.txt --format json -o notizia.json
    """
    with _errors_mapped(debug, quiet, verbose):
        _run(locals(), summarize=True)


class LogFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
def batch(
    inputs: Inputs,
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Output folder (created if missing).")],
    glob: Annotated[
        list[str] | None,
        typer.Option(
            "--glob",
            metavar="PATTERN",
            help="File pattern taken from folders, repeatable [default: *.txt, *.md].",
        ),
    ] = None,
    formats: Annotated[
        str, typer.Option(metavar="FORMATS", help="Files per document: json, or json,md.")
    ] = "json",
    translate_only: Annotated[bool, typer.Option("--translate-only", help="Translation alone.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Redo every document, even unchanged ones.")] = False,
    docs_per_chunk: Annotated[
        int | None, typer.Option("--chunk-docs", metavar="N", help="Documents held and batched together.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Also write the end-of-run counts as JSON.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be processed.")] = False,
    log_format: Annotated[LogFormat, typer.Option(help="stderr log lines as text or JSON.")] = LogFormat.text,
    config: ConfigOpt = None,
    translator: TranslatorOpt = None,
    summarizer: SummarizerOpt = None,
    back_translator: BackOpt = None,
    models_dir: ModelsDirOpt = None,
    offline: OfflineOpt = None,
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
    backend: BackendOpt = None,
    num_beams: BeamsOpt = None,
    batch_size: BatchOpt = None,
    max_batch_tokens: TokensOpt = None,
    threads: ThreadsOpt = None,
    italian_summary: ItalianOpt = None,
    input_format: InputFormatOpt = InputFormat.auto,
    encoding: EncodingOpt = "utf-8",
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Process folders, files and JSONL into OUT_DIR, only what is new or changed, for
    cron and schedulers: resumable after a crash, locked against concurrent runs.

    Example: it2en batch inbox/ --out results/ --formats json,md --offline
    """
    options = locals()
    with _errors_mapped(debug, quiet, verbose, log_format.value, default_level=logging.INFO):
        overrides = {k: v for k, v in options.items() if k in _CONFIG_FIELDS}
        cfg = PipelineConfig.from_file(config, **overrides)
        _check_encoding(encoding)
        batch_options = BatchOptions(
            out_dir=out,
            formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
            summarize=not translate_only,
            force=force,
            globs=tuple(glob or DEFAULT_GLOBS),
            input_format=input_format.value,
            encoding=encoding,
        )

        def planned(item: PlannedDocument) -> None:
            typer.echo(f"{item.reason}\t{item.name}\t{one_line(item.document.origin)}")

        stop = threading.Event()
        with (
            _progress(enabled=not quiet and sys.stderr.isatty()) as progress,
            _stop_on_signals(stop) as caught,
        ):
            result = BatchReport()
            try:
                run_batch(
                    Pipeline(cfg, progress=progress),
                    inputs,
                    batch_options,
                    stop=stop,
                    dry_run=dry_run,
                    on_planned=planned,
                    report=result,
                )
            except BaseException as exc:
                if not isinstance(exc, OutDirLocked):  # a locked folder was never started
                    result.crashed = True
                    log.info(
                        "%s", result.line(), extra={"fields": {"event": "batch_finished", **result.to_dict()}}
                    )
                raise
        log.info("%s", result.line(), extra={"fields": {"event": "batch_finished", **result.to_dict()}})
        if report is not None:
            with atomic_output(report) as stream:
                stream.write(json.dumps(result.to_dict(), indent=2) + "\n")
        if caught:
            raise typer.Exit(128 + caught[0])
        if result.failed:
            raise typer.Exit(EXIT_FAILED_DOCUMENTS)


@app.command("ray")
def ray_command(
    input: Annotated[
        str, typer.Argument(help="A JSONL file, or a folder of JSONL/text files; s3:// and gs:// too.")
    ],
    output_dir: Annotated[Path, typer.Argument(help="Folder for the JSONL shards.")],
    address: Annotated[
        str | None, typer.Option(help="Ray cluster address [default: start a local Ray].")
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker actors, each with its own models.")] = 1,
    gpus_per_worker: Annotated[float, typer.Option(help="GPU share per worker (0 on CPU clusters).")] = 0.0,
    cpus_per_worker: Annotated[float, typer.Option(help="CPUs reserved per worker (its threads).")] = 1.0,
    docs_per_batch: Annotated[int, typer.Option(help="Documents handed to a worker at once.")] = 64,
    translate_only: Annotated[bool, typer.Option("--translate-only", help="Translation alone.")] = False,
    config: ConfigOpt = None,
    translator: TranslatorOpt = None,
    summarizer: SummarizerOpt = None,
    back_translator: BackOpt = None,
    models_dir: ModelsDirOpt = None,
    offline: OfflineOpt = None,
    device: DeviceOpt = None,
    precision: PrecisionOpt = None,
    backend: BackendOpt = None,
    num_beams: BeamsOpt = None,
    batch_size: BatchOpt = None,
    max_batch_tokens: TokensOpt = None,
    threads: ThreadsOpt = None,
    italian_summary: ItalianOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Translate and summarize a corpus on a Ray cluster (or a local Ray): part-*.jsonl
    shards hold the records of summarize --format jsonl, errors-*.jsonl the failures.

    Example: it2en ray s3://bucket/corpus/ results/ --address auto --workers 8 --gpus-per-worker 0.5
    """
    options = locals()
    with _errors_mapped(debug, quiet, verbose, default_level=logging.INFO):
        from .distributed import DistributedOptions, run_distributed

        if not verbose and not debug:
            for name in ("ray", "ray.data"):  # their per-stage INFO lines
                logging.getLogger(name).setLevel(logging.WARNING)

        overrides = {k: v for k, v in options.items() if k in _CONFIG_FIELDS}
        cfg = PipelineConfig.from_file(config, **overrides)
        report = run_distributed(
            [input],
            output_dir,
            cfg,
            DistributedOptions(
                address=address,
                workers=workers,
                gpus_per_worker=gpus_per_worker,
                cpus_per_worker=cpus_per_worker,
                docs_per_batch=docs_per_batch,
                summarize=not translate_only,
            ),
        )
        log.info(
            "ray: %d processed, %d failed, %d shard(s) in %s",
            report.processed,
            report.failed,
            report.shards,
            output_dir,
        )
        if report.failed:
            raise typer.Exit(EXIT_FAILED_DOCUMENTS)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """On the first SIGINT or SIGTERM set ``stop`` (the run finishes the documents it holds
    and exits); on a second, abort at once. Yields the list of signals caught."""
    caught: list[int] = []

    def handle(signum: int, frame: object) -> None:
        caught.append(signum)
        if stop.is_set():
            log.error("%s again: stopping now", signal.Signals(signum).name)
            raise SystemExit(128 + signum)
        stop.set()
        log.warning("%s: finishing the documents in progress, then stopping", signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _stop_on_sigterm() -> Iterator[threading.Event]:
    """The first SIGTERM sets the yielded event: the command stops after the document in
    progress, through every ``finally`` (an output file's temporary copy is removed), with
    exit code 143. A signal is never raised inside the models' code, which may catch it
    and go on. A second SIGTERM stops at once."""
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            raise SystemExit(128 + signum)
        stop.set()
        log.error("%s: stopping after the document in progress", signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, handle)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)


@models_app.command("download")
def models_download(
    directory: Annotated[
        str | None, typer.Option("--dir", help="Model store to fill [default: config's, models/].")
    ] = None,
    config: ConfigOpt = None,
    translator: TranslatorOpt = None,
    summarizer: SummarizerOpt = None,
    back_translator: BackOpt = None,
    offline: OfflineOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Save the configured models into the local store for offline and scheduled use,
    then print the config lines that point at them.

    Example: it2en models download --dir models/ > configs/local.toml
    """
    with _errors_mapped(debug, quiet, verbose):
        cfg = PipelineConfig.from_file(
            config,
            translator=translator,
            summarizer=summarizer,
            back_translator=back_translator,
            models_dir=directory,
            offline=offline,
        )
        lines = ["[models]"]
        for role, key in (
            ("translator", "translator"),
            ("summarizer", "summarizer"),
            ("back-translator", "back_translator"),
        ):
            name = getattr(cfg, key)
            folder, saved = download_model(role, name, models_dir=cfg.models_dir, offline=cfg.offline)
            log.info("%s %s: %s", "saved" if saved else "already local", name, folder)
            lines.append(f"{key} = {json.dumps(str(folder))}")
        lines.append("offline = true")
        typer.echo("\n".join(lines))


def _run(options: dict[str, Any], *, summarize: bool) -> None:
    """Read, process and write every document; exit 1 if any failed.

    ``options`` are the command's parameters: those named like PipelineConfig fields
    override the config file, the rest say what to read and how to write.
    """
    overrides = {k: v for k, v in options.items() if k in _CONFIG_FIELDS}
    cfg = PipelineConfig.from_file(options["config"], **overrides)
    inputs: list[str] = options["inputs"]
    input_format: InputFormat = options["input_format"]
    output: Path | None = options["output"]
    documents = read_documents(inputs, input_format=input_format.value, encoding=options["encoding"])
    fmt = _choose_format(options["output_format"], output, summarize)
    # Several documents (more than one input, or any JSONL) get headers and a JSON array.
    several = (
        len(inputs) > 1
        or input_format == InputFormat.jsonl
        or any(i.lower().endswith(".jsonl") for i in inputs)
    )
    _check_output(output, options["encoding"])
    failures: list[Failure] = []
    with (
        _stop_on_sigterm() as terminated,
        _progress(enabled=not options["quiet"] and sys.stderr.isatty()) as progress,
    ):
        pipeline = Pipeline(cfg, progress=progress)
        try:
            with atomic_output(output) as stream:
                records: list[dict[str, object]] = []
                written = 0
                for outcome in pipeline.process_many(documents, summarize=summarize):
                    if terminated.is_set():
                        raise SystemExit(128 + signal.SIGTERM)
                    if isinstance(outcome, Failure):
                        failures.append(outcome)
                        log.error("%s", outcome.message())
                        continue
                    written += 1
                    if fmt == "json":
                        records.append(outcome.to_dict())
                    else:
                        stream.write(_render(outcome, fmt, several, first=written == 1))
                        stream.flush()
                if fmt == "json":  # always an array: its shape never depends on the count
                    stream.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
                if output is not None and written == 0:
                    raise _NothingWritten
        except _NothingWritten:
            log.warning("no document succeeded; %s left as it was", output)
    if failures:
        log.warning("%d document(s) failed", len(failures))
        raise typer.Exit(EXIT_FAILED_DOCUMENTS)


def _check_output(output: Path | None, encoding: str) -> None:
    """Usage errors found before any work: an output path that is a folder, an unknown
    input encoding."""
    if output is not None and output.is_dir():
        raise ConfigError(f"-o {output} is a folder; give a file name")
    _check_encoding(encoding)


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(f"--encoding {encoding!r} is not a known encoding") from None


class _NothingWritten(Exception):
    """Raised inside an output file's atomic write to discard it: no document succeeded,
    and an earlier run's output must not be replaced by an empty one."""


def _render(result: Result, fmt: str, several: bool, first: bool) -> str:
    """One document in ``fmt``; documents after the first are set apart by a blank line."""
    if fmt == "jsonl":
        return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"
    separator = "" if first else "\n"
    if fmt == "md":
        return separator + render_markdown(result)
    return separator + render_text(result, header=several)


def _choose_format(explicit: OutputFormat | None, output: Path | None, summarize: bool) -> str:
    """Explicit flag; else the output file's suffix; else Markdown on a terminal; else
    JSONL for summaries and plain text for translations."""
    if explicit is not None:
        return explicit.value
    if output is not None and str(output) != "-":
        return _SUFFIX_FORMATS.get(output.suffix.lower(), "jsonl" if summarize else "text")
    if sys.stdout.isatty():
        return "md"
    return "jsonl" if summarize else "text"


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A progress callback drawing one tqdm bar per stage on stderr, or None."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None or bar.total != total or done < bar.n:
            if bar is not None:
                bar.close()
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="seg", leave=False, file=sys.stderr)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.close()


@contextmanager
def _errors_mapped(
    debug: bool, quiet: bool, verbose: bool, log_format: str = "text", default_level: int = logging.WARNING
) -> Iterator[None]:
    """Set up logging, then turn library errors into one stderr line and an exit code."""
    _setup_logging(debug, quiet, verbose, log_format, default_level)
    try:
        with warnings.catch_warnings():
            if not debug:
                # Third-party hints (tokenizer extras, deprecations) are not for our users.
                warnings.simplefilter("ignore")
            yield
    except It2enError as exc:
        if debug:
            raise
        log.error("%s", exc)
        code = next((code for kind, code in _EXIT_CODES if isinstance(exc, kind)), EXIT_FAILED_DOCUMENTS)
        raise typer.Exit(code) from None
    except KeyboardInterrupt:
        log.error("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (typer.Exit, typer.Abort):
        raise
    except OSError as exc:
        if debug:
            raise
        where = f" {exc.filename}" if exc.filename else ""
        log.error("cannot write or read%s: %s", where, exc.strerror or exc)
        raise typer.Exit(EXIT_INTERNAL) from None
    except Exception as exc:
        if debug:
            raise
        log.error("internal error: %s: %s (run with --debug for the traceback)", type(exc).__name__, exc)
        raise typer.Exit(EXIT_INTERNAL) from None


class _TextFormatter(logging.Formatter):
    """``it2en: error: message`` — one line per record."""

    def format(self, record: logging.LogRecord) -> str:
        return f"it2en: {record.levelname.lower()}: {record.getMessage()}"


class _JsonFormatter(logging.Formatter):
    """One JSON object per record, for schedulers and log collectors; extra ``fields``
    given to a log call are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        return json.dumps(data, ensure_ascii=False)


def _setup_logging(debug: bool, quiet: bool, verbose: bool, log_format: str, default_level: int) -> None:
    if debug:
        level = logging.DEBUG
    elif quiet:
        level = logging.ERROR
    else:
        level = logging.INFO if verbose else default_level
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter())
    for logger in (logging.getLogger("pipeline"), log):
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    if not debug:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
