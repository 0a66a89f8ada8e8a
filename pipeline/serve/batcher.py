"""Dynamic batching across requests: the texts of every request waiting are pooled into the
pipeline's own length-sorted, token-budgeted batches, and each answer goes back to its own
request, in order; whole documents share the same worker, one model batch at a time.

One worker thread owns the models (they are not shared between threads). Work waits in
one priority queue:

* **interactive** (``/translate`` texts): the worker takes the first job, waits up to
  ``max_wait`` for company, takes every job of the same kind then waiting (up to
  ``max_texts`` texts), translates all their texts in one :meth:`Pipeline.translate` call
  (which deduplicates, sorts by length and batches by tokens) and answers each job with
  its own slice;
* **background** (a document's model calls, made by :class:`WorkerEngine` from the thread
  that runs the document): one call is one model batch, and the worker takes it only when
  no interactive job waits. A one-sentence request therefore waits for at most one batch of
  a document in progress, however long the document.

Pooling never changes an answer, nor whose failure a failure is: a pooled call that
fails is run again request by request, so one request's bad text fails that request
alone; and a text's translation does not depend on the other texts of its batch with
greedy search (beam search may differ in the last digits of a score, never in the chosen
words, on both engines; see the engines page). A job whose client went away before the
worker took it is dropped unworked.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..engines import Seq2SeqEngine
from ..errors import MissingResource

__all__ = ["BACKGROUND", "INTERACTIVE", "Batcher", "Busy", "Job", "WorkerEngine"]

log = logging.getLogger("it2en.serve")

INTERACTIVE, BACKGROUND = 0, 2
"""Job priorities: a request someone is waiting on, and a document's model batch."""
_LAST = 1
"""The stop's priority: after every interactive job, before any background one."""
T = TypeVar("T")


class Busy(MissingResource):
    """The queue is full, or the service is stopping (503, Retry-After)."""


@dataclass
class Job:
    """One unit of the worker's work: texts of ``kind`` (``it-en`` or ``en-it``) to
    translate, or a ``call`` run alone; answered through ``future``."""

    kind: str
    texts: Sequence[str]
    future: Future[Any] = field(default_factory=Future)
    call: Callable[[], Any] | None = None
    priority: int = INTERACTIVE


_STOP = Job("stop", ())
"""Put in the queue by :meth:`Batcher.close`: the worker ends when it reaches it."""


class Batcher:
    """The worker thread and its queue (see the module docstring)."""

    def __init__(
        self,
        translate: Callable[[str, list[str]], list[str]],
        *,
        max_wait: float = 0.01,
        max_texts: int = 256,
        max_queue: int = 1024,
        on_batch: Callable[[int, int], None] | None = None,
    ):
        """``translate(kind, texts)`` does the model work; ``on_batch(requests,
        texts)`` is told of each pooled call (for the metrics); at most ``max_queue``
        interactive jobs wait."""
        self._translate = translate
        self.max_wait, self.max_texts, self.max_queue = max_wait, max_texts, max_queue
        self._queue: queue.PriorityQueue[tuple[int, int, Job]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._on_batch = on_batch
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="it2en-batcher", daemon=True)
        self._thread.start()

    @property
    def depth(self) -> int:
        """Jobs waiting."""
        return self._queue.qsize()

    @property
    def saturated(self) -> bool:
        return self._queue.qsize() >= self.max_queue

    def submit(self, job: Job) -> Future[Any]:
        """Queue ``job``; :class:`Busy` when too many interactive jobs wait, or once the
        batcher is closing."""
        if self._closed:
            raise Busy("the service is stopping")
        if job.priority == INTERACTIVE and self.saturated:
            raise Busy("the service is busy: too many requests waiting")
        self._queue.put((job.priority, next(self._order), job))
        return job.future

    def call(self, work: Callable[[], T]) -> T:
        """``work()`` run on the worker as background work, its result or its exception
        returned here (the calling thread waits)."""
        future = self.submit(Job("call", (), call=work, priority=BACKGROUND))
        return future.result()

    def close(self) -> None:
        """Answer the interactive jobs queued, refuse the rest (background calls get
        :class:`Busy`), then stop the worker."""
        self._closed = True
        self._queue.put((_LAST, next(self._order), _STOP))
        self._thread.join()
        while True:
            try:
                _, _, job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(Busy("the service is stopping"))

    def _run(self) -> None:
        while True:
            _, _, job = self._queue.get()
            if job is _STOP:
                return
            jobs = [job] if job.call is not None else self._gather(job)
            live = [j for j in jobs if j.future.set_running_or_notify_cancel()]  # clients still there
            if live:
                self._answer(live)

    def _gather(self, first: Job) -> list[Job]:
        """``first`` and the jobs of its kind that arrive within ``max_wait``, up to
        ``max_texts`` texts; any other job goes back to its place in the queue and ends
        the wait (the worker has something to do)."""
        jobs, count = [first], len(first.texts)
        deadline = time.monotonic() + self.max_wait
        while count < self.max_texts:
            try:
                entry = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            job = entry[2]
            if job is _STOP or job.kind != first.kind or job.call is not None:
                self._queue.put(entry)
                break
            jobs.append(job)
            count += len(job.texts)
        return jobs

    def _answer(self, jobs: list[Job]) -> None:
        """Do the work of ``jobs`` (one call, or texts of one kind pooled) and answer
        each. When a pooled call fails, each request is run again alone, so that a
        failure caused by one request's texts is that request's alone and its message
        (which may quote its text) reaches no other client."""
        try:
            if jobs[0].call is not None:
                answers = [jobs[0].call()]
            else:
                texts = [text for job in jobs for text in job.texts]
                if self._on_batch is not None:
                    self._on_batch(len(jobs), len(texts))
                outputs = iter(self._translate(jobs[0].kind, texts))
                answers = [[next(outputs) for _ in job.texts] for job in jobs]
        except Exception as exc:
            if len(jobs) > 1:
                log.warning("a call pooling %d requests failed; answering each alone", len(jobs))
                for job in jobs:
                    self._answer([job])
                return
            jobs[0].future.set_exception(exc)
            return
        for job, answer in zip(jobs, answers, strict=True):
            job.future.set_result(answer)


class WorkerEngine:
    """An engine whose every call runs on the :class:`Batcher`'s worker as background
    work: what a document's pipeline uses, so its model batches take turns with the
    interactive requests instead of holding the models for the whole document."""

    def __init__(self, engine: Seq2SeqEngine, batcher: Batcher):
        self._engine, self._batcher = engine, batcher
        self.name = engine.name
        self.max_input_tokens = engine.max_input_tokens
        if hasattr(engine, "generate_scored"):
            self.generate_scored = self._generate_scored

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        # The tokenizer too is the worker's alone (a fast tokenizer is not safe to share).
        return self._batcher.call(lambda: self._engine.count_tokens(texts))

    def generate(self, texts: Sequence[str]) -> list[str]:
        return self._batcher.call(lambda: self._engine.generate(texts))

    def _generate_scored(self, texts: Sequence[str]) -> list[tuple[str, float | None]]:
        generate = self._engine.generate_scored  # type: ignore[attr-defined]
        return self._batcher.call(lambda: generate(texts))
