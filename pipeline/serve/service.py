"""The service's state, one object per app: the pipeline, the worker that pools every
model call (:mod:`.batcher`), the jobs, the keys, the rate limiter, the metrics, the
reader processes that parse uploads (:mod:`pipeline.readers`), and the bounded pool of threads
where documents are processed and rendered, so that no document work ever runs on the
event loop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from ..config import user_cache_dir
from ..engines import Seq2SeqEngine
from ..engines.hub import model_label
from ..pipeline import Pipeline
from ..readers import Readers
from ..settings import ServeSettings
from ..terms import Glossary
from ..types import Result
from ..uploads import read_upload
from .access import Keys, RateLimiter, load_keys
from .accounts import GlossaryStore, Usage
from .batcher import Batcher, Job, WorkerEngine
from .job_store import JobStore
from .jobs import JobRunner
from .metrics import Metrics
from .refusals import Refused, refusal

__all__ = ["PAIRS", "Service", "public"]

log = logging.getLogger("it2en.serve")
T = TypeVar("T")

PAIRS = {("it", "en"): "it-en", ("en", "it"): "en-it"}
"""The language pairs offered, and the worker's name for each."""


def public(result: Result) -> Result:
    """``result`` as the service answers it: each model named as people elsewhere know it
    (a hub id, or a local folder's name), never by a path of the server's."""
    return replace(result, models={role: model_label(name) for role, name in result.models.items()})


def jobs_folder(settings: ServeSettings) -> Path:
    """The jobs folder: ``jobs_dir``, else ``jobs`` in the user cache folder."""
    return Path(settings.jobs_dir) if settings.jobs_dir else user_cache_dir() / "jobs"


class Service:
    """Everything the routes share (``app.state.service``)."""

    def __init__(self, pipeline: Pipeline, settings: ServeSettings):
        """Unless its config names an output cache, ``pipeline`` is given one in the jobs
        folder, so a job run again after a restart reuses every model output of its first
        run. A keys file that cannot be read is an :class:`~pipeline.errors.InputError`."""
        self.pipeline, self.settings = pipeline, settings
        self.keys = Keys(load_keys(Path(settings.api_keys)) if settings.api_keys else ())
        self.limiter = RateLimiter(settings.req_limit)
        self.metrics = Metrics()
        self.store = JobStore(
            jobs_folder(settings), keep_hours=settings.keep_hours, max_mb=settings.max_jobs_mb
        )
        self.glossaries = GlossaryStore(self.store.root / "glossaries")
        self.usage = Usage(self.store.root / "usage.json", settings.char_quota)
        if pipeline.config.output_cache.lower() in ("", "none"):
            pipeline.use_output_cache(self.store.root / "outputs.sqlite")
        self.batcher = Batcher(
            self._translate,
            max_wait=settings.max_batch_wait_ms / 1000,
            max_texts=settings.max_batch_texts,
            max_queue=settings.max_queue,
            on_batch=self._pooled,
        )
        self.readers = Readers(min(settings.max_documents, os.cpu_count() or 1), settings.request_timeout)
        """Uploads are parsed in processes of their own: a parser holds the interpreter
        while its C code runs, which would freeze the event loop as long."""
        self.runner = JobRunner(
            self.store,
            lambda progress: pipeline.sibling(self._on_worker, progress=progress),
            read=functools.partial(read_upload, readers=self.readers),
            publish=public,
            workers=settings.job_workers,
        )
        self._documents = ThreadPoolExecutor(settings.max_documents, thread_name_prefix="it2en-document")
        self._in_progress = 0
        self._lock = threading.Lock()

    async def translate(self, kind: str, texts: Sequence[str]) -> list[str]:
        """``texts`` translated (``kind`` ``it-en`` or ``en-it``), pooled with every
        other request's on the worker."""
        return await self.answer(self._submit(Job(kind, texts)))  # type: ignore[no-any-return]

    async def on_worker(self, call: Callable[[], T]) -> T:
        """``call()`` run alone on the worker as interactive work (alternatives)."""
        return await self.answer(self._submit(Job("call", (), call=call)))  # type: ignore[no-any-return]

    async def document(self, work: Callable[[Pipeline], T], glossary: Glossary | None = None) -> T:
        """``work(pipeline)`` for a whole document (reading, processing, rendering) on the
        documents' thread pool, with a pipeline whose model calls go to the worker one
        batch at a time (following the request's ``glossary`` too, if any); 503 when
        ``max_documents`` are in progress already."""
        with self._lock:
            if self._in_progress >= self.settings.max_documents:
                raise Refused(
                    503, "the service is busy: too many documents in progress", {"Retry-After": "5"}
                )
            self._in_progress += 1
        try:
            own = self.pipeline if glossary is None else self.pipeline.following(glossary)
            sibling = own.sibling(self._on_worker)
            loop = asyncio.get_running_loop()
            return await self.answer(loop.run_in_executor(self._documents, work, sibling))
        finally:
            with self._lock:
                self._in_progress -= 1

    async def off_loop(self, work: Callable[[], T]) -> T:
        """``work()`` (a file to write or read, a record to render) on the documents'
        thread pool, not on the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._documents, work)

    async def answer(self, work: Awaitable[T]) -> T:
        """``work``'s result within ``request_timeout``; its failure as the refusal a
        client is told (:func:`.refusals.refusal`)."""
        try:
            return await asyncio.wait_for(work, self.settings.request_timeout)
        except Exception as exc:
            raise refusal(exc, self.settings.request_timeout) from None

    def close(self) -> None:
        """Stop the jobs (they resume at the next start), answer the requests queued,
        stop the worker and the documents' threads."""
        self.runner.close()
        self.batcher.close()
        self._documents.shutdown(wait=False, cancel_futures=True)
        self.readers.close()

    async def _submit(self, job: Job) -> Any:
        """``job`` queued and its answer awaited (Busy when the queue is full)."""
        self.metrics.queue.set(self.batcher.depth)
        return await asyncio.wrap_future(self.batcher.submit(job))

    def _translate(self, kind: str, texts: list[str]) -> list[str]:
        out = self.pipeline.translate_as(kind, texts)
        self.metrics.texts.labels(kind).inc(len(texts))
        self.metrics.characters.labels(kind).inc(sum(map(len, texts)))
        return out

    def _pooled(self, requests: int, texts: int) -> None:
        self.metrics.batch_requests.observe(requests)
        self.metrics.batch_texts.observe(texts)

    def _on_worker(self, engine: Seq2SeqEngine) -> Seq2SeqEngine:
        return WorkerEngine(engine, self.batcher)
