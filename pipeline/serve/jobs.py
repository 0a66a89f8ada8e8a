"""Jobs: one document translated (and summarized) in the background, for the web page and
for any client that would rather not hold a request open for a 40-page PDF.

A job lives in a folder of its own under the jobs folder, named by its id (128 random
bits, never listed): ``job.json`` (its state), the input as uploaded, and when it is done
``report.html``, ``result.json`` and the English copy. Every file is written atomically,
and a job's folder appears complete or not at all, so a service killed at any moment
restarts with every job it had accepted: those queued or running are run again (the
output cache, shared with the service, hands back every model output the first run
made, so nothing is translated twice). Finished jobs are removed ``keep_hours`` after they
finished, and the oldest first whenever the folder holds more than ``max_jobs_mb``.

Jobs run one at a time per job thread; their model calls take turns with the
interactive requests on the service's one worker (see :mod:`pipeline.serve.batcher`).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, It2enError, Stopped
from ..failures import failure_of
from ..output_formats import OUTPUT_FORMATS, document_files
from ..outputs import atomic_output, safe_name
from ..pipeline import Pipeline
from ..segmenting import paragraph_count
from ..terms import Glossary, Term
from ..types import Document, Failure, Result
from ..uploads import read_upload

__all__ = ["TASKS", "JobRecord", "JobRunner", "JobStore", "check_task", "valid_job_id"]

log = logging.getLogger("it2en.serve")

TASKS = ("translate", "summarize")
STATE_FILE = "job.json"
GLOSSARY_FILE = "glossary.json"
_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_SAVE_EVERY = 1.0
"""Seconds between writes of a running job's progress (the page reads it from memory)."""


def valid_job_id(text: str) -> bool:
    """Whether ``text`` has the shape of a job id (so it can name a folder safely)."""
    return _ID.fullmatch(text) is not None


@dataclass
class JobRecord:
    """A job's state, as ``job.json`` holds it."""

    id: str
    task: str
    name: str
    """The input's file name as uploaded (``text.txt`` for pasted text)."""
    input: str
    """The input's file in the job's folder."""
    owner: str | None
    """The hash of the key that made the job (None: the service has no keys)."""
    created: float
    state: str = "queued"
    """``queued``, ``running``, ``done`` or ``failed``."""
    stage: str | None = None
    done: int = 0
    total: int = 0
    reason: str | None = None
    started: float | None = None
    finished: float | None = None
    files: dict[str, str] = field(default_factory=dict)
    """``report``, ``result`` and ``document``: file names in the job's folder."""
    extent: str = ""
    """The document's size as a person counts it (``12 pages``, ``1,200 paragraphs``),
    once it is read."""
    glossary: str | None = None
    """The job's own glossary file in its folder (JSON terms), when it was sent one."""
    secret: str | None = None
    """DeepL's ``document_key``: what a DeepL client shows to follow and fetch the job."""

    def public(self, keep_seconds: float) -> dict[str, Any]:
        """What a caller is told: the state, progress, reason, links and expiry (never
        the owner)."""
        data: dict[str, Any] = {
            "id": self.id,
            "task": self.task,
            "name": self.name,
            "state": self.state,
            "created": _iso(self.created),
        }
        if self.extent:
            data["extent"] = self.extent
        if self.state == "running":
            percent = 100 * self.done // self.total if self.total else None
            data.update(stage=self.stage, done=self.done, total=self.total, percent=percent)
        if self.reason:
            data["reason"] = self.reason
        if self.finished is not None:
            data["finished"] = _iso(self.finished)
            data["expires"] = _iso(self.finished + keep_seconds)
        if self.files:
            data["files"] = {role: f"/v1/jobs/{self.id}/{name}" for role, name in self.files.items()}
        return data


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class JobStore:
    """The jobs folder: each job's files, written atomically, and the rules that keep it
    bounded."""

    def __init__(self, root: Path, *, keep_hours: float = 24.0, max_mb: float = 1024.0):
        self.root = root
        self.keep_seconds = keep_hours * 3600
        self.max_bytes = int(max_mb * 1024 * 1024)
        root.mkdir(parents=True, exist_ok=True)

    def create(
        self,
        task: str,
        name: str,
        data: bytes,
        owner: str | None,
        glossary: Glossary | None = None,
        secret: str | None = None,
    ) -> JobRecord:
        """A new queued job holding ``data`` and its own ``glossary``, if any (its folder
        complete before it appears); ``secret``, DeepL's document key."""
        job_id = secrets.token_urlsafe(16)
        suffix = Path(name).suffix.lower()
        record = JobRecord(job_id, task, name, f"input{suffix}", owner, time.time(), secret=secret)
        work = self.root / f".new-{job_id}"
        work.mkdir()
        with atomic_output(work / record.input, binary=True) as stream:
            stream.write(data)
        if glossary:
            record.glossary = GLOSSARY_FILE
            with atomic_output(work / GLOSSARY_FILE) as stream:
                json.dump([[t.source, t.target, list(t.forbidden)] for t in glossary.terms], stream)
        self._write_state(work, record)
        os.replace(work, self.root / job_id)
        return record

    def get(self, job_id: str) -> JobRecord | None:
        """The job ``job_id``, or None (unknown, removed, or not a job id)."""
        if not valid_job_id(job_id):
            return None
        try:
            data = json.loads((self.root / job_id / STATE_FILE).read_text(encoding="utf-8"))
            return JobRecord(**data)
        except (OSError, ValueError, TypeError):
            return None

    def save(self, record: JobRecord) -> None:
        """Write ``record`` (nothing when its job has been removed meanwhile)."""
        folder = self.root / record.id
        if folder.is_dir():
            self._write_state(folder, record)

    def _write_state(self, folder: Path, record: JobRecord) -> None:
        with atomic_output(folder / STATE_FILE) as stream:
            json.dump(asdict(record), stream)

    def path(self, record: JobRecord, name: str) -> Path:
        return self.root / record.id / name

    def glossary(self, record: JobRecord) -> Glossary | None:
        """The job's own glossary, if it was sent one."""
        if record.glossary is None:
            return None
        rows = json.loads(self.path(record, record.glossary).read_text(encoding="utf-8"))
        return Glossary(tuple(Term(source, target, "glossary", tuple(bad)) for source, target, bad in rows))

    def write(self, record: JobRecord, files: dict[str, tuple[str, bytes]]) -> None:
        """Write a finished job's files (role -> (file name, bytes)), each atomically
        (nothing when the job has been removed meanwhile)."""
        if not (self.root / record.id).is_dir():
            return
        for name, content in files.values():
            with atomic_output(self.path(record, name), binary=True) as stream:
                stream.write(content)

    def remove(self, job_id: str) -> None:
        if valid_job_id(job_id):
            shutil.rmtree(self.root / job_id, ignore_errors=True)

    def expired(self, record: JobRecord, now: float | None = None) -> bool:
        return record.finished is not None and record.finished + self.keep_seconds <= (now or time.time())

    def records(self) -> list[JobRecord]:
        """Every job in the folder, oldest first."""
        found = (self.get(entry.name) for entry in self.root.iterdir() if valid_job_id(entry.name))
        return sorted((r for r in found if r is not None), key=lambda r: r.created)

    def sweep(self) -> list[str]:
        """Remove finished jobs past ``keep_hours``, then the oldest finished ones while
        the folder holds more than ``max_jobs_mb``; the ids removed. Jobs queued or
        running are never removed."""
        now, removed = time.time(), []
        finished = [r for r in self.records() if r.finished is not None]
        for record in finished:
            if self.expired(record, now):
                self.remove(record.id)
                removed.append(record.id)
        kept = [r for r in finished if r.id not in removed]
        sizes = {r.id: _size(self.root / r.id) for r in kept}
        total = sum(sizes.values())
        for record in sorted(kept, key=lambda r: r.finished or 0):
            if total <= self.max_bytes:
                break
            self.remove(record.id)
            removed.append(record.id)
            total -= sizes[record.id]
        for entry in self.root.glob(".new-*"):  # a creation cut short by a crash
            if now - entry.stat().st_mtime > 3600:
                shutil.rmtree(entry, ignore_errors=True)
        if removed:
            log.info("jobs: removed %d finished job(s) past their keeping time or size", len(removed))
        return removed


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


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
