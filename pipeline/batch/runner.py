"""Running a batch: read, plan, process, write each result and record it, in that order."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import IO, Any

from ..errors import It2enError, Stopped, reason
from ..failures import made_or_failure
from ..io import STDIN, discover_inputs, read_documents
from ..output_formats import document_files
from ..outputs import TEMP_SUFFIX, atomic_output, naming, safe_name
from ..pipeline import Pipeline
from ..readers import Readers
from ..report import document_title, render_index
from ..terms import Glossary
from ..text import printable
from ..types import Document, Failure, Result, RunCounts
from .journal import Lock, Manifest
from .options import BatchOptions
from .planner import RUN_FILES, STATE_DIR, PlannedDocument, Planner, input_gone, settings_fingerprint

__all__ = ["BatchReport", "run_batch"]

log = logging.getLogger("it2en.batch")


@dataclass
class BatchReport(RunCounts):
    """Counts and timing of one run (``skipped``: documents unchanged since an earlier
    run); ``to_dict`` is what ``--report`` writes."""

    elapsed_s: float = 0.0
    interrupted: bool = False
    crashed: bool = False
    """The run stopped on an error that was not a document's (disk full, a bug)."""
    dry_run: bool = False
    out_dir: str = ""
    flagged: int = 0
    """Documents processed with at least one flag (see ``review.jsonl``)."""
    flags: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per flag: the documents, segments and summary points that carry it."""

    def count_flags(self, result: Result) -> None:
        """Add ``result``'s flags to the counts."""
        review = result.review()
        self.flagged += bool(review)
        for name in sorted({entry.flag for entry in review}):
            counts = self.flags.setdefault(name, {"documents": 0, "segments": 0, "points": 0})
            counts["documents"] += 1
            counts["segments"] += sum(1 for e in review if e.flag == name and e.segment is not None)
            counts["points"] += sum(1 for e in review if e.flag == name and e.point is not None)

    @property
    def docs_per_s(self) -> float:
        return self.processed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def line(self) -> str:
        """The one-line end-of-run summary."""
        if self.dry_run:
            counts = f"{self.processed} to process, {self.skipped} skipped, {self.failed} unreadable"
            return f"batch (dry run): {counts}"
        state = " (crashed)" if self.crashed else " (interrupted)" if self.interrupted else ""
        counts = f"{self.processed} processed, {self.skipped} skipped, {self.failed} failed"
        flagged = f"; {self.flagged} to check (review.jsonl)" if self.flagged else ""
        crashes = f"{self.internal_note()} (crash-*.txt)" if self.internal else ""
        rate = f"{self.elapsed_s:.1f}s ({self.docs_per_s:.2f} docs/s)"
        return f"batch{state}: {counts} in {rate}{flagged}{crashes}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["docs_per_s"] = round(self.docs_per_s, 4)
        data["elapsed_s"] = round(self.elapsed_s, 3)
        return data


def run_batch(
    pipeline: Pipeline,
    inputs: Sequence[str],
    options: BatchOptions,
    *,
    stop: threading.Event | None = None,
    dry_run: bool = False,
    on_planned: Callable[[PlannedDocument], None] | None = None,
    report: BatchReport | None = None,
) -> BatchReport:
    """Process every new or changed document of ``inputs`` into ``options.out_dir``.

    ``stop``, when set (by a signal handler, say), ends the run after the documents
    already taken are written. ``dry_run`` writes nothing: each document that would be
    processed is passed to ``on_planned`` instead. ``report`` is filled in as the run goes
    (and returned), so a caller still has the counts when the run raises. Raises
    :class:`OutDirLocked` when another run holds the folder.
    """
    started = time.monotonic()
    report = report if report is not None else BatchReport()
    report.out_dir, report.dry_run = str(options.out_dir), dry_run
    settings = settings_fingerprint(pipeline.config, options)
    try:
        if dry_run:
            _plan_only(pipeline, inputs, options, settings, report, on_planned)
        else:
            _run_locked(pipeline, inputs, options, settings, report, stop)
    finally:
        report.elapsed_s = time.monotonic() - started
    return report


def _plan_only(
    pipeline: Pipeline,
    inputs: Sequence[str],
    options: BatchOptions,
    settings: dict[str, Any],
    report: BatchReport,
    on_planned: Callable[[PlannedDocument], None] | None,
) -> None:
    """A dry run: count and pass on what would be processed; write nothing."""
    state_dir = Path(options.out_dir) / STATE_DIR
    manifest = Manifest(state_dir / "manifest.jsonl")
    planner = Planner(manifest, Path(options.out_dir), settings, options.force, *_terms(pipeline))
    for item in _documents(inputs, options, report, errors=None):
        planned = planner.plan(*item)
        if planned is None or planned.reason == "moved":
            report.skipped += 1
            continue
        report.processed += 1
        if on_planned is not None:
            on_planned(planned)


def _terms(pipeline: Pipeline) -> tuple[Glossary, str]:
    """The glossary a run follows and how (part of each document's identity)."""
    return pipeline.glossary, pipeline.config.glossary_method


def _run_locked(
    pipeline: Pipeline,
    inputs: Sequence[str],
    options: BatchOptions,
    settings: dict[str, Any],
    report: BatchReport,
    stop: threading.Event | None,
) -> None:
    """Take the output folder's lock, clear a killed run's temporary files, process, and
    compact the manifest."""
    out_dir = Path(options.out_dir)
    state_dir = out_dir / STATE_DIR
    state_dir.mkdir(parents=True, exist_ok=True)
    with Lock(state_dir):
        # Temporary files of a run killed mid-write: with the lock, no one else writes.
        for stale in (*out_dir.glob(f".*{TEMP_SUFFIX}"), *state_dir.glob(f".*{TEMP_SUFFIX}")):
            stale.unlink(missing_ok=True)
        manifest = Manifest(state_dir / "manifest.jsonl")
        if not pipeline.config.output_cache:  # a feed repeats itself: reuse earlier outputs
            pipeline.use_output_cache(state_dir / "outputs.sqlite")
        try:
            planner = Planner(manifest, out_dir, settings, options.force, *_terms(pipeline))
            _process(pipeline, inputs, options, planner, manifest, report, stop)
        finally:
            manifest.close()
        manifest.compact()
        if "html" in options.formats:
            _write_index(out_dir, manifest)


def _process(
    pipeline: Pipeline,
    inputs: Sequence[str],
    options: BatchOptions,
    planner: Planner,
    manifest: Manifest,
    report: BatchReport,
    stop: threading.Event | None,
) -> None:
    """Run the planned documents through the pipeline; write and record each result."""
    out_dir = Path(options.out_dir)
    with (
        (out_dir / RUN_FILES["errors"]).open("w", encoding="utf-8") as errors,
        (out_dir / RUN_FILES["review"]).open("w", encoding="utf-8") as review,
    ):
        pending: deque[PlannedDocument] = deque()

        def to_process() -> Iterator[Document]:
            for item in _documents(inputs, options, report, errors, stop):
                if stop is not None and stop.is_set():
                    report.interrupted = True
                    return
                planned = planner.plan(*item)
                if planned is not None and planned.reason == "moved":
                    manifest.append(_record(planned, planner.settings, list(planned.current)))
                if planned is None or planned.reason == "moved":
                    report.skipped += 1
                    continue
                pending.append(planned)
                yield planned.document

        outcomes = pipeline.process_many(to_process(), summarize=options.summarize, stop=stop)
        try:
            for outcome in outcomes:
                planned = pending.popleft()
                if isinstance(outcome, Failure):
                    _record_failure(errors, outcome, report)
                    continue
                made = made_or_failure(outcome, partial(_made, planned.name, outcome, options.formats))
                if isinstance(made, Failure):
                    _record_failure(errors, made, report)
                    continue
                files, entries, about = made
                outputs = _write_files(out_dir, files)
                _append(review, entries)
                manifest.append(_record(planned, planner.settings, outputs, about))
                report.processed += 1
                report.count_flags(outcome)
        except Stopped:  # after the model batch in progress: the chunk's others resume next run
            report.interrupted = True


def _made(
    name: str, result: Result, formats: Sequence[str]
) -> tuple[list[tuple[str, bytes]], list[dict[str, Any]], dict[str, Any]]:
    """Everything made from a document's own data, before anything is written: its
    files, its review entries, what the index shows of it."""
    files = document_files(name, result, formats)
    record = {"id": result.id, "output": f"{name}.json"}
    return files, [{**record, **e.to_dict()} for e in result.review()], _about(result)


def _record(
    planned: PlannedDocument,
    settings: dict[str, Any],
    outputs: list[str],
    about: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest line of a finished document (``about``: what the index shows of it)."""
    return {
        **(about or {}),
        "key": planned.key,
        "id": planned.document.id,
        "name": planned.name,
        "input": planned.document.origin,
        "input_hash": planned.input_hash,
        "settings": settings,
        "outputs": outputs,
        "finished": _now(),
    }


def _documents(
    inputs: Sequence[str],
    options: BatchOptions,
    report: BatchReport,
    errors: IO[str] | None,
    stop: threading.Event | None = None,
) -> Iterator[tuple[Document, str]]:
    """``(document, key)`` pairs, streamed; unreadable inputs go to the error log. A
    formatted file is read in a reader process within ``options.document_timeout``, and a
    ``stop`` is seen within a second even while one is read (:mod:`pipeline.readers`)."""
    files = discover_inputs(inputs, options.globs, input_format=options.input_format, exclude=options.out_dir)
    timeout = options.document_timeout
    with Readers(1, timeout, stop) if timeout else contextlib.nullcontext() as readers:
        for file in files:
            # realpath, unlike Path.resolve, never raises (a symlink loop fails when read).
            source = "<stdin>" if file.path == STDIN else printable(os.path.realpath(file.path))
            read = read_documents(
                [file], encoding=options.encoding, main_article=options.main_article, readers=readers
            )
            for item in read:
                if isinstance(item, Failure):
                    _record_failure(errors, item, report)
                    continue
                yield item, f"{source}#{item.id}" if file.kind == "jsonl" or file.path == STDIN else source


def _about(result: Result) -> dict[str, Any]:
    """What the batch index shows of a document."""
    kind = result.summary.kind if result.summary is not None else None
    return {"title": document_title(result), "summary_kind": kind, "flags": len(result.review())}


def _write_index(out_dir: Path, manifest: Manifest) -> None:
    """``index.html``: every document of the folder that has a page, from every run, with
    the date it was done and whether its input has since been removed; the documents
    that failed in this run, with their reasons; the date of this run. Titles and ids are
    made printable first: a document's text can hold what UTF-8 cannot (a lone
    surrogate), and one such title must not stop the index of all the others."""
    entries = [
        {
            "title": printable(str(record.get("title") or record["name"])),
            "id": printable(str(record["id"])),
            "page": f"{record['name']}.html",
            "summary_kind": record.get("summary_kind"),
            "flags": record.get("flags", 0),
            "finished": str(record.get("finished", ""))[:10],
            "removed": input_gone(record["key"]),
        }
        for record in manifest.records()
        if f"{record['name']}.html" in record["outputs"]
    ]
    failures = [
        {"input": printable(str(e.get("input"))), "reason": printable(str(e.get("reason")))}
        for e in _read_jsonl(out_dir / RUN_FILES["errors"])
    ]
    title, run = f"it2en: {printable(out_dir.name)}", _now()
    try:
        page = render_index(entries, title, failures=failures, run=run)
    except Exception:  # one entry's data: find it, leave it out, show the rest
        shown = []
        for entry in entries:
            try:
                render_index([entry], title, failures=failures, run=run)
            except Exception as exc:
                log.warning("index.html leaves out %s: %s", entry["id"], reason(exc))
                continue
            shown.append(entry)
        page = render_index(shown, title, failures=failures, run=run)
    with atomic_output(out_dir / RUN_FILES["index"]) as stream:
        stream.write(page)


def _write_files(out_dir: Path, files: list[tuple[str, bytes]]) -> list[str]:
    """Write ``files`` into ``out_dir``, each atomically; their names. An error here is
    the environment's (a full disk, a read-only folder) and ends the run."""
    for filename, content in files:
        target = out_dir / filename
        if target.resolve().parent != out_dir.resolve():  # safe_name makes this impossible
            raise It2enError(f"refusing to write {target} outside {out_dir}")
        with atomic_output(target, binary=True) as stream:
            stream.write(content)
    return [filename for filename, _ in files]


def _record_failure(errors: IO[str] | None, failure: Failure, report: BatchReport) -> None:
    """Count and log a failure, and append it to the run's error log (none in a dry run);
    an internal error's traceback goes into a ``crash-*.txt`` beside that log."""
    record: dict[str, Any] = {**failure.to_dict(), "time": _now()}
    if failure.internal:
        report.internal += 1
        if errors is not None:
            crash = (
                Path(errors.name).parent
                / f"crash-{report.internal:04d}-{safe_name(failure.id or 'input')}.txt"
            )
            with atomic_output(crash) as stream:
                stream.write(f"{failure.message()}\n\n{failure.trace}")
            record["crash"] = crash.name
    if errors is not None:
        _append(errors, [record])
    report.failed += 1
    log.error("%s", failure.message())


def _append(stream: IO[str], records: list[dict[str, Any]]) -> None:
    """Append JSON lines to a run's log file, flushed and fsynced (nothing when empty)."""
    if records:
        with naming(stream.name):
            stream.write("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))
            stream.flush()
            os.fsync(stream.fileno())


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a run's JSON-lines log (none when it is missing)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
