"""Dynamic batching across requests: the texts of every request waiting are pooled into the
pipeline's own length-sorted, token-budgeted batches, and each answer goes back to its own
request, in order.

One worker thread owns the pipeline (models are not shared between threads). Requests
put their texts in a bounded queue and wait on a future. The worker takes the first job,
waits up to ``max_wait`` for company, takes every job of the same kind then waiting (up to
``max_texts`` texts), translates all their texts in one :meth:`Pipeline.translate` call
(which deduplicates, sorts by length and batches by tokens) and answers each job with its
own slice. Pooling never changes an answer: a text's translation does not depend on the
other texts of its batch with greedy search (beam search may differ in the last digits of
a score, never in the chosen words, on both engines; see the engines page). A job whose
client went away before the worker took it is dropped unworked.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from ..errors import MissingResource

__all__ = ["Batcher", "Busy", "Job"]


log = logging.getLogger("it2en.serve")


class Busy(MissingResource):
    """The queue is full: the service has more work than it admits (503, Retry-After)."""


@dataclass
class Job:
    """One request's work: ``kind`` (``it-en``, ``en-it``, or ``document``) and its
    texts, answered through ``future``."""

    kind: str
    texts: Sequence[str]
    future: Future[Any] = field(default_factory=Future)
    call: Callable[[], Any] | None = None
    """For a ``document`` job: the whole work, run alone on the worker."""


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
        on_batch: Callable[[str, int, int], None] | None = None,
    ):
        """``translate(kind, texts)`` does the model work; ``on_batch(kind, requests,
        texts)`` is told of each pooled call (for the metrics)."""
        self._translate = translate
        self.max_wait, self.max_texts = max_wait, max_texts
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=max_queue)
        self._on_batch = on_batch
        self._thread = threading.Thread(target=self._run, name="it2en-batcher", daemon=True)
        self._held: Job | None = None
        self._thread.start()

    @property
    def depth(self) -> int:
        """Jobs waiting."""
        return self._queue.qsize()

    @property
    def saturated(self) -> bool:
        return self._queue.full()

    def submit(self, job: Job) -> Future[Any]:
        """Queue ``job``; :class:`Busy` when the queue is full."""
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise Busy("the service is busy: too many requests waiting") from None
        return job.future

    def close(self) -> None:
        """Finish the jobs queued, then stop the worker."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            job = self._held or self._queue.get()
            self._held = None
            if job is _STOP:
                return
            jobs = [job] if job.call is not None else self._gather(job)
            live = [j for j in jobs if j.future.set_running_or_notify_cancel()]  # clients still there
            if live:
                self._answer(live)

    def _gather(self, first: Job) -> list[Job]:
        """``first`` and the jobs of its kind that arrive within ``max_wait``, up to
        ``max_texts`` texts; a job of another kind is held for the next round."""
        jobs, count = [first], len(first.texts)
        deadline = time.monotonic() + self.max_wait
        while count < self.max_texts:
            try:
                job = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if job is _STOP or job.kind != first.kind or job.call is not None:
                self._held = job  # the next round's first job (or the stop)
                break
            jobs.append(job)
            count += len(job.texts)
        return jobs

    def _answer(self, jobs: list[Job]) -> None:
        """Do the work of ``jobs`` (one document, or texts of one kind pooled) and answer
        each; a failure is the requests', never the worker's."""
        try:
            if jobs[0].call is not None:
                answers = [jobs[0].call()]
            else:
                texts = [text for job in jobs for text in job.texts]
                if self._on_batch is not None:
                    self._on_batch(jobs[0].kind, len(jobs), len(texts))
                outputs = iter(self._translate(jobs[0].kind, texts))
                answers = [[next(outputs) for _ in job.texts] for job in jobs]
        except Exception as exc:
            log.warning("a call for %d request(s) failed: %s", len(jobs), exc)
            for job in jobs:
                job.future.set_exception(exc)
            return
        for job, answer in zip(jobs, answers, strict=True):
            job.future.set_result(answer)
