"""Jobs: one document translated (and summarized) in the background, for the web page and
for any client that would rather not hold a request open for a 40-page PDF.

Each job is kept in the jobs folder (:mod:`.job_store`), so a service killed at any
moment restarts with every job it had accepted: those queued or running are run again
(the output cache, shared with the service, hands back every model output the first run
made, so nothing is translated twice).

Jobs run one at a time per job thread; their model calls take turns with the
interactive requests on the service's one worker (see :mod:`pipeline.serve.batcher`).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError, It2enError, Stopped
from ..failures import failure_of
from ..output_formats import OUTPUT_FORMATS, document_files
from ..outputs import safe_name
from ..pipeline import Pipeline
from ..segmenting import paragraph_count
from ..types import Document, Failure, Result
from ..uploads import read_upload
from .job_store import JobRecord, JobStore

__all__ = ["TASKS", "JobRunner", "check_task", "extent", "result_files"]

log = logging.getLogger("it2en.serve")

TASKS = ("translate", "summarize")
_SAVE_EVERY = 1.0
"""Seconds between writes of a running job's progress (the page reads it from memory)."""


class JobRunner:
    """The job threads: run each job queued, record its progress and its result."""

    def __init__(
        self,
        store: JobStore,
        pipeline: Callable[[Callable[[str, int, int], None]], Pipeline],
        *,
        read: Callable[[str, bytes], Document] = read_upload,
        publish: Callable[[Result], Result] = lambda result: result,
        workers: int = 1,
    ):
        """``pipeline(progress)`` gives the pipeline a job runs in (one per job: see
        :meth:`Pipeline.sibling`); ``read(name, data)`` reads its upload
        (:func:`~pipeline.uploads.read_upload`, or the service's reader processes);
        ``publish(result)`` is what of a result its files show."""
        self.store = store
        self._pipeline, self._read, self._publish = pipeline, read, publish
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._live: dict[str, JobRecord] = {}
        self._stops: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"it2en-job-{n}", daemon=True)
            for n in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()
        self._closing = threading.Event()
        store.sweep()
        interval = max(0.5, min(60.0, store.keep_seconds / 10))
        threading.Thread(target=self._sweep, args=(interval,), name="it2en-job-sweeper", daemon=True).start()
        for record in store.records():  # accepted before a restart: run again
            if record.state in ("queued", "running"):
                log.info("jobs: resuming job %s (%s)", record.id, record.name)
                self._queue.put(record.id)

    def submit(self, record: JobRecord) -> None:
        self._queue.put(record.id)

    def get(self, job_id: str) -> JobRecord | None:
        """The job's state: live progress while it runs, else what its folder holds."""
        with self._lock:
            live = self._live.get(job_id)
        return live if live is not None else self.store.get(job_id)

    def delete(self, job_id: str) -> None:
        """Stop the job (after its model batch in progress) and remove it."""
        with self._lock:
            stop = self._stops.get(job_id)
        if stop is not None:
            stop.set()
        self.store.remove(job_id)

    def close(self, timeout: float = 30.0) -> None:
        """Stop every job after its model batch in progress (they stay queued or running
        on disk and run again at the next start), and end the threads."""
        self._closing.set()
        with self._lock:
            for stop in self._stops.values():
                stop.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)

    def _sweep(self, interval: float) -> None:
        while not self._closing.wait(interval):
            try:
                self.store.sweep()
            except OSError as exc:
                log.warning("jobs: cannot clean the jobs folder: %s", exc)

    def _run(self) -> None:
        while (job_id := self._queue.get()) is not None:
            record = self.store.get(job_id)
            if record is None or record.state not in ("queued", "running"):
                continue  # deleted while queued
            stop = threading.Event()
            with self._lock:
                self._live[job_id], self._stops[job_id] = record, stop
            try:
                self._work(record, stop)
            except Stopped:
                log.info("jobs: job %s stopped; it runs again at the next start", job_id)
            except Exception as exc:  # the document's own failure, whatever raised it (a bug loudly)
                failure = failure_of(job_id, record.name, exc, "the job failed")
                self._finish(record, "failed", reason=f"{record.name}: {failure.reason}")
            finally:
                with self._lock:
                    self._live.pop(job_id, None)
                    self._stops.pop(job_id, None)

    def _work(self, record: JobRecord, stop: threading.Event) -> None:
        record.state, record.started, record.stage = "running", time.time(), "reading"
        self.store.save(record)
        try:
            doc = self._read(record.name, self.store.path(record, record.input).read_bytes())
        except InputError as exc:  # its message names the file
            self._finish(record, "failed", reason=str(exc))
            return
        record.extent = extent(doc)
        saved = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            record.stage, record.done, record.total = stage, done, total
            if time.monotonic() - saved[0] >= _SAVE_EVERY:
                saved[0] = time.monotonic()
                self.store.save(record)

        pipeline = self._pipeline(progress)
        own = self.store.glossary(record)
        if own is not None:
            pipeline = pipeline.following(own)
        [outcome] = pipeline.process_many([doc], summarize=record.task == "summarize", stop=stop)
        if isinstance(outcome, Failure):
            self._finish(record, "failed", reason=f"{record.name}: {outcome.reason}")
            return
        record.stage, record.done, record.total = "writing", 0, 0
        files = result_files(safe_name(Path(record.name).stem or "document"), self._publish(outcome))
        self.store.write(record, files)
        self._finish(record, "done", files={role: name for role, (name, _) in files.items()})

    def _finish(self, record: JobRecord, state: str, **changes: Any) -> None:
        for key, value in changes.items():  # files and reason before the state that shows them
            setattr(record, key, value)
        record.finished = time.time()
        record.state, record.stage = state, None
        self.store.save(record)
        log.info("jobs: job %s %s%s", record.id, state, f": {record.reason}" if record.reason else "")
        self.store.sweep()  # the folder's size bound holds after each result


def extent(doc: Document) -> str:
    """A document's size as a person counts it: a PDF's pages, else its paragraphs."""
    if doc.layout is not None and doc.layout.format == "pdf":
        pages = len(
            {block.where.split(" ")[1] for block in doc.layout.blocks if block.where.startswith("page ")}
        )
        return f"{pages:,} page{'s' * (pages != 1)}"
    paragraphs = len(doc.layout.blocks) if doc.layout is not None else paragraph_count(doc.text)
    return f"{paragraphs:,} paragraph{'s' * (paragraphs != 1)}"


def result_files(stem: str, result: Result) -> dict[str, tuple[str, bytes]]:
    """A finished job's files by role: the HTML report, the JSON record, and the English
    copy (the translated page, Word file or PDF where the input was one, else the text; a
    PDF whose English its font cannot write comes back as text, saying why)."""
    try:
        copy = document_files(stem, result, ("pdf",))
    except Exception as exc:  # the PDF copy alone is lost: its data's reason, else a bug, loudly
        name = result.origin or stem
        if not isinstance(exc, InputError):
            log.error("%s: writing the translated PDF failed: the English copy is text", name, exc_info=exc)
        else:
            log.warning("%s: no translated PDF (%s): the English copy is text", name, exc)
        copy = []
    english = copy[0] if copy else (f"{stem}.en.txt", (result.translation + "\n").encode("utf-8"))
    return {
        "report": ("report.html", OUTPUT_FORMATS["html"].bytes_of(result)),
        "result": ("result.json", OUTPUT_FORMATS["json"].bytes_of(result)),
        "document": english,
    }


def check_task(task: object) -> str:
    """``task`` when it is one of :data:`TASKS`; else an :class:`It2enError`."""
    if task not in TASKS:
        raise It2enError(f"task must be translate or summarize, not {task!r}")
    return str(task)
