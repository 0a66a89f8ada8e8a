"""The HTTP service: LibreTranslate's API as its clients call it, native endpoints for
whole documents, jobs and the web page that uses them, health, readiness and Prometheus
metrics, on FastAPI.

Every model call goes through one :class:`~pipeline.serve.batcher.Batcher`, which pools
the texts of concurrent requests into the pipeline's batches; whole documents (``/v1/...``,
``format=html``, jobs) run on threads of their own and send it one model batch at a time,
behind any request someone is waiting on. Limits are checked before any work: the size of
a body (413), the characters of a request (400, LibreTranslate's wording), the key (403),
the request rate per key or address (429), a full queue (503 with ``Retry-After``), a
request that waits too long (503).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response

from ..checks.language import italian_probability
from ..config import user_cache_dir
from ..engines import Seq2SeqEngine
from ..errors import InputError, It2enError, reason
from ..io import InputFile, input_kind, read_bytes
from ..pipeline import Pipeline
from ..report import render_html
from ..types import Document, Failure
from .batcher import Batcher, Busy, Job, WorkerEngine
from .jobs import JobRecord, JobRunner, JobStore, check_task, job_kind_problem, upload_name

__all__ = ["ServeSettings", "create_app", "load_keys"]

log = logging.getLogger("it2en.serve")
access = logging.getLogger("it2en.access")

LANGUAGES = {"it": "Italian", "en": "English"}
DOCUMENT_LIMIT_FACTOR = 20
"""A whole document (``/v1/...``) may hold this many times ``char_limit`` characters
(100,000 with the default): the limit is for one request's sentences."""
_PAIRS = {("it", "en"): "it-en", ("en", "it"): "en-it"}
MAX_DOCUMENTS = 8
"""Whole documents of ``/v1/translate``, ``/v1/summarize`` and ``format=html`` in progress at
most; past it, 503 with Retry-After (jobs wait in their own queue instead)."""
_MEDIA = {".html": "text/html", ".json": "application/json", ".txt": "text/plain"}


@dataclass(frozen=True)
class ServeSettings:
    """The service's limits and behaviour (``[server]`` in the config, and flags)."""

    max_batch_wait_ms: float = 25.0
    """How long the worker waits for company before a pooled call."""
    max_batch_texts: int = 256
    char_limit: int = 5000
    """Most characters of one request's text (LibreTranslate's ``--char-limit``)."""
    max_body_bytes: int = 2 * 1024 * 1024
    max_queue: int = 1024
    """Requests waiting at most; past it, 503 with Retry-After."""
    req_limit: int = 0
    """Requests per minute per key or address (0: no limit)."""
    request_timeout: float = 120.0
    key_hashes: tuple[str, ...] = ()
    """SHA-256 of the accepted API keys (none: no key needed)."""
    jobs_dir: str = ""
    """The jobs folder (empty: ``jobs`` under the user cache folder)."""
    keep_hours: float = 24.0
    """How long a finished job's results are kept."""
    max_jobs_mb: float = 1024.0
    """Most megabytes the jobs folder holds; past it, the oldest finished jobs go."""
    max_upload_bytes: int = 50 * 1024 * 1024
    """Largest document a job takes (the page's uploads)."""
    job_workers: int = 1
    """Jobs run at a time."""

    def jobs_folder(self) -> Path:
        return Path(self.jobs_dir) if self.jobs_dir else user_cache_dir() / "jobs"


def load_keys(path: Path) -> tuple[str, ...]:
    """The hashes of the keys in ``path``: one a line, either the key itself or
    ``sha256:HEX`` (so the file need not hold the keys); the keys themselves are not
    kept."""
    hashes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            hashes.append(line[7:].lower() if line.startswith("sha256:") else _hash(line))
    if not hashes:
        raise InputError(f"{path}: no API key in the file")
    return tuple(hashes)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class _Refused(Exception):
    """A request refused with a status and LibreTranslate's ``{"error": ...}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}


class _Metrics:
    """The Prometheus metrics of one app (its own registry)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        self.requests = Counter(
            "it2en_requests",
            "Requests by endpoint and status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "it2en_request_seconds", "Request latency", ["endpoint"], registry=self.registry
        )
        self.batch_requests = Histogram(
            "it2en_batch_requests",
            "Requests pooled into one model call",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=self.registry,
        )
        self.batch_texts = Histogram(
            "it2en_batch_texts",
            "Texts in one pooled model call",
            buckets=(1, 4, 16, 64, 256, 1024),
            registry=self.registry,
        )
        self.texts = Counter("it2en_texts", "Texts translated", ["pair"], registry=self.registry)
        self.characters = Counter(
            "it2en_characters", "Characters translated", ["pair"], registry=self.registry
        )
        self.queue = Gauge("it2en_queue_depth", "Requests waiting for the worker", registry=self.registry)


def create_app(pipeline: Pipeline, settings: ServeSettings | None = None) -> Any:
    """The ASGI app serving ``pipeline`` (whose models should be loaded already: the app
    reports ready from the start). Unless its config names an output cache, ``pipeline``
    is given one in the jobs folder, so a job run again after a restart reuses every model
    output of its first run."""
    settings = settings or ServeSettings()
    metrics = _Metrics()
    store = JobStore(settings.jobs_folder(), keep_hours=settings.keep_hours, max_mb=settings.max_jobs_mb)
    if pipeline.config.output_cache.lower() in ("", "none"):
        pipeline.use_output_cache(store.root / "outputs.sqlite")

    def translate(kind: str, texts: list[str]) -> list[str]:
        out = pipeline.translate(texts) if kind == "it-en" else pipeline.translate_to_italian(texts)
        metrics.texts.labels(kind).inc(len(texts))
        metrics.characters.labels(kind).inc(sum(map(len, texts)))
        return out

    def pooled(kind: str, requests: int, texts: int) -> None:
        metrics.batch_requests.observe(requests)
        metrics.batch_texts.observe(texts)

    batcher = Batcher(
        translate,
        max_wait=settings.max_batch_wait_ms / 1000,
        max_texts=settings.max_batch_texts,
        max_queue=settings.max_queue,
        on_batch=pooled,
    )

    def on_worker(engine: Seq2SeqEngine) -> Seq2SeqEngine:
        return WorkerEngine(engine, batcher)

    runner = JobRunner(
        store, lambda progress: pipeline.sibling(on_worker, progress=progress), workers=settings.job_workers
    )
    error = {
        "description": "Refused, with LibreTranslate's one-line reason",
        "content": {"application/json": {"schema": _ERROR}},
    }
    app = FastAPI(
        title="it2en",
        summary="Italian↔English translation and bilingual summaries",
        version="1",
        responses={status: error for status in (400, 403, 404, 413, 429, 500, 503)},
    )
    app.state.batcher, app.state.jobs = batcher, runner
    recent: dict[str, deque[float]] = defaultdict(deque)
    documents = [0]  # whole documents in progress (MAX_DOCUMENTS)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        endpoint = request.url.path
        try:
            length = int(request.headers.get("content-length") or 0)
            if length > body_limit(request):
                raise _Refused(413, f"request body exceeds {body_limit(request):,} bytes")
            response = await call_next(request)
        except _Refused as refused:
            response = JSONResponse(
                {"error": str(refused)}, status_code=refused.status, headers=refused.headers
            )
        seconds = time.perf_counter() - started
        # Metrics by route (/v1/jobs/{job_id}), never by the path asked for: any URL a
        # scanner tries would be a time series of its own, kept for ever.
        route = getattr(request.scope.get("route"), "path", None) or "other"
        metrics.requests.labels(route, str(response.status_code)).inc()
        metrics.latency.labels(route).observe(seconds)
        endpoint = json.dumps(endpoint, ensure_ascii=True)[1:-1]  # no control character reaches a log line
        client = request.client.host if request.client else "-"
        access.info(
            "%s %s %s %d %.1f ms",
            client,
            request.method,
            endpoint,
            response.status_code,
            1000 * seconds,
            extra={
                "fields": {
                    "event": "request",
                    "client": client,
                    "method": request.method,
                    "path": endpoint,
                    "status": response.status_code,
                    "ms": round(1000 * seconds, 1),
                }
            },
        )
        return response

    @app.exception_handler(_Refused)
    async def refused(request: Request, exc: _Refused) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=exc.headers)

    def body_limit(request: Request) -> int:
        """The largest body a request may have: a job's upload, or any other request."""
        upload = request.url.path in ("/v1/jobs", "/translate_file") and request.method == "POST"
        return settings.max_upload_bytes if upload else settings.max_body_bytes

    async def fields(request: Request) -> dict[str, Any]:
        """The request's parameters: a JSON body or a form (LibreTranslate's clients send
        both); an uploaded file stays an upload."""
        body = await request.body()
        if len(body) > body_limit(request):
            raise _Refused(413, f"request body exceeds {body_limit(request):,} bytes")
        if "application/json" in request.headers.get("content-type", ""):
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                raise _Refused(400, "Invalid request: the body is not JSON") from None
            if not isinstance(data, dict):
                raise _Refused(400, "Invalid request: expected a JSON object")
            return data
        form = await request.form()
        found: dict[str, Any] = {}
        for key in form:
            values = form.getlist(key)
            found[key] = values if len(values) > 1 else values[0]
        return found

    def key_of(request: Request, data: dict[str, Any]) -> str | None:
        """The hash of the caller's key (None when the service has no keys); 403 when
        keys are required and this one is missing or wrong."""
        header = request.headers.get("authorization", "")
        key = header[7:] if header.lower().startswith("bearer ") else str(data.get("api_key") or "")
        if not settings.key_hashes:
            return None
        digest = _hash(key)
        if not key or not any(hmac.compare_digest(digest, known) for known in settings.key_hashes):
            raise _Refused(403, "Invalid API key")
        return digest

    def authorised(request: Request, data: dict[str, Any]) -> str:
        """The caller's identity for the rate limit (its key's hash, else its address);
        403 when keys are required and this one is missing or wrong, 429 past the rate."""
        who = key_of(request, data) or (request.client.host if request.client else "-")
        if settings.req_limit:
            now, window = time.monotonic(), recent[who]
            while window and now - window[0] > 60:
                window.popleft()
            if len(window) >= settings.req_limit:
                raise _Refused(
                    429,
                    f"Too many requests: limited to {settings.req_limit} per minute",
                    {"Retry-After": "60"},
                )
            window.append(now)
        return who

    async def answer(work: Awaitable[Any]) -> Any:
        """``work``'s result within ``request_timeout``, its failure as the refusal a
        client is told: 503 too slow or busy, 400 the request's own, 500 anything else."""
        try:
            return await asyncio.wait_for(work, settings.request_timeout)
        except asyncio.TimeoutError:
            raise _Refused(
                503, f"the request took longer than {settings.request_timeout:g} s", {"Retry-After": "5"}
            ) from None
        except Busy as exc:
            raise _Refused(503, str(exc), {"Retry-After": "1"}) from None
        except It2enError as exc:
            raise _Refused(400, str(exc)) from None
        except Exception as exc:
            log.debug("request failed", exc_info=True)
            raise _Refused(500, f"translation failed ({reason(exc)})") from None

    async def run(job: Job) -> Any:
        """Queue ``job`` and wait for its answer (503 when busy or too slow)."""
        metrics.queue.set(batcher.depth)
        try:
            future = batcher.submit(job)
        except Busy as exc:
            raise _Refused(503, str(exc), {"Retry-After": "1"}) from None
        return await answer(asyncio.wrap_future(future))

    async def in_thread(work: Callable[[Pipeline], Any]) -> Any:
        """``work(pipeline)`` for a whole document, on a thread of its own with a pipeline
        whose model calls go to the worker one batch at a time (503 when MAX_DOCUMENTS run
        already, or too slow)."""
        if documents[0] >= MAX_DOCUMENTS:
            raise _Refused(503, "the service is busy: too many documents in progress", {"Retry-After": "5"})
        documents[0] += 1
        try:
            return await answer(asyncio.to_thread(work, pipeline.sibling(on_worker)))
        finally:
            documents[0] -= 1

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Alive."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"description": "Not ready (the queue is full)"}})
    async def readyz() -> JSONResponse:
        """Ready: models loaded, queue not saturated."""
        if batcher.saturated:
            return JSONResponse({"status": "saturated"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus() -> PlainTextResponse:
        """Prometheus metrics."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        metrics.queue.set(batcher.depth)
        return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/languages")
    async def languages() -> list[dict[str, Any]]:
        """The languages, each with what it translates to (LibreTranslate's format)."""
        return [
            {"code": code, "name": name, "targets": [t for (s, t) in _PAIRS if s == code]}
            for code, name in LANGUAGES.items()
        ]

    @app.get("/frontend/settings")
    async def frontend_settings() -> dict[str, Any]:
        """What a LibreTranslate front end asks before it starts."""
        return {
            "charLimit": settings.char_limit,
            "frontendTimeout": int(settings.request_timeout * 1000),
            "apiKeys": bool(settings.key_hashes),
            "keyRequired": bool(settings.key_hashes),
            "suggestions": False,
            "filesTranslation": True,
            "supportedFilesFormat": [".txt", ".md", ".html", ".docx", ".pdf"],
            "language": {
                "source": {"code": "it", "name": "Italian"},
                "target": {"code": "en", "name": "English"},
            },
        }

    @app.post("/detect", openapi_extra=_body(_DETECT))
    async def detect(request: Request) -> list[dict[str, Any]]:
        """The language of ``q``: Italian or English, with a confidence in percent."""
        data = await fields(request)
        authorised(request, data)
        q = data.get("q")
        if not isinstance(q, str) or not q:
            raise _Refused(400, "Invalid request: missing q parameter")
        italian = italian_probability(q)
        language, confidence = ("it", italian) if italian >= 0.5 else ("en", 1 - italian)
        return [{"confidence": round(100 * confidence, 1), "language": language}]

    @app.post("/translate", openapi_extra=_body(_TRANSLATE))
    async def translate_endpoint(request: Request) -> dict[str, Any]:
        """Translate ``q`` (a string, or a list of strings) from ``source`` (it, en or
        auto) to ``target``; ``format`` text or html."""
        data = await fields(request)
        authorised(request, data)
        q = data.get("q")
        texts = [q] if isinstance(q, str) else q
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise _Refused(400, "Invalid request: missing q parameter")
        characters = sum(map(len, texts))
        if settings.char_limit > 0 and characters > settings.char_limit:
            raise _Refused(
                400, f"Invalid request: request ({characters}) exceeds text limit ({settings.char_limit})"
            )
        source, target = str(data.get("source") or "auto").lower(), str(data.get("target") or "en").lower()
        detected = None
        if source == "auto":
            italian = italian_probability(" ".join(texts))
            source = "it" if italian >= 0.5 else "en"
            detected = {"confidence": round(100 * max(italian, 1 - italian), 1), "language": source}
        if (source, target) not in _PAIRS:
            raise _Refused(400, f"Invalid request: {source}→{target} is not offered (it→en, en→it)")
        html = str(data.get("format") or "text") == "html"
        kind = _PAIRS[source, target]
        if html:  # a whole document's work
            outputs = await in_thread(lambda p: [_html_fragment(p, kind, t) for t in texts])
        else:
            outputs = await run(Job(kind, texts))
        answer: dict[str, Any] = {"translatedText": outputs[0] if isinstance(q, str) else outputs}
        if detected is not None:
            answer["detectedLanguage"] = detected if isinstance(q, str) else [detected] * len(texts)
        wanted = _alternatives(data.get("alternatives"))
        if wanted:
            if html:
                raise _Refused(400, "Invalid request: alternatives are for format text")
            italian = kind == "en-it"
            others = await run(
                Job(
                    "call",
                    texts,
                    call=lambda: pipeline.translate_alternatives(texts, wanted, italian=italian),
                )
            )
            answer["alternatives"] = others[0] if isinstance(q, str) else others
        return answer

    async def document(request: Request, summarize: bool) -> Response:
        data = await fields(request)
        authorised(request, data)
        upload = data.get("file")
        if upload is not None and hasattr(upload, "read"):
            name = upload_name(getattr(upload, "filename", None), "document.txt")
            raw = await upload.read()
            items = list(read_bytes(raw, InputFile(name, input_kind(name), Path(name).stem)))
            doc = items[0] if items else Failure(None, name, "no document in the file")
            if isinstance(doc, Failure):
                raise _Refused(400, f"{name}: {doc.reason}")
            text, doc_id, layout = doc.text, doc.id, doc.layout
        else:
            given = data.get("text")
            if not isinstance(given, str) or not given.strip():
                raise _Refused(400, "Invalid request: missing text")
            text, doc_id, layout = given, str(data.get("id") or "document"), None
        most = settings.char_limit * DOCUMENT_LIMIT_FACTOR
        if settings.char_limit > 0 and len(text) > most:
            raise _Refused(400, f"Invalid request: document ({len(text)}) exceeds {most} characters")

        def whole(sibling: Pipeline) -> Any:
            document = Document(str(doc_id or "document"), text, layout=layout)
            [outcome] = sibling.process_many([document], summarize=summarize)
            if isinstance(outcome, Failure):
                raise InputError(outcome.reason)
            return outcome

        result = await in_thread(whole)
        if str(request.query_params.get("format") or data.get("format") or "json") == "html":
            return HTMLResponse(render_html(result))
        return JSONResponse(result.to_dict())

    @app.post("/v1/translate", openapi_extra=_body(_DOCUMENT, _UPLOAD), responses=_RECORD_OR_REPORT)
    async def v1_translate(request: Request) -> Response:
        """One document (JSON ``{"text", "id"}`` or a multipart ``file``) translated: the
        record ``--format json`` gives; ``?format=html`` for the HTML report."""
        return await document(request, summarize=False)

    @app.post("/v1/summarize", openapi_extra=_body(_DOCUMENT, _UPLOAD), responses=_RECORD_OR_REPORT)
    async def v1_summarize(request: Request) -> Response:
        """One document translated and summarized in both languages (the record ``it2en
        summarize --format json`` gives); ``?format=html`` for the HTML report."""
        return await document(request, summarize=True)

    def job_of(request: Request, job_id: str) -> JobRecord:
        """The job ``job_id`` if the caller's key made it (404 otherwise, the same for a
        job of another key as for none, so ids cannot be probed)."""
        owner = key_of(request, {})
        record = runner.get(job_id)
        if record is None or (settings.key_hashes and record.owner != owner):
            raise _Refused(404, "no such job: it was deleted, or its results expired, or it never was")
        if store.expired(record):
            store.remove(job_id)
            raise _Refused(404, "this job's results have expired and were removed")
        return record

    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        """The web page: drop a document or paste text, follow the job, read the report."""
        return HTMLResponse(_page_html(), headers={"Cache-Control": "no-cache"})

    @app.post("/v1/jobs", status_code=202, openapi_extra=_body(_JOB, _JOB_UPLOAD))
    async def create_job(request: Request) -> JSONResponse:
        """A job for one document: multipart ``file`` (or JSON/form ``text``) and ``task``
        (translate or summarize); answers its id and where to follow it."""
        data = await fields(request)
        who = authorised(request, data)
        owner = who if settings.key_hashes else None  # the key's hash
        try:
            task = check_task(data.get("task") or "translate")
        except It2enError as exc:
            raise _Refused(400, f"Invalid request: {exc}") from None
        record = await new_job(data, task, owner, text_allowed=True)
        url = f"/v1/jobs/{record.id}"
        return JSONResponse({"id": record.id, "status_url": url}, status_code=202, headers={"Location": url})

    async def new_job(data: dict[str, Any], task: str, owner: str | None, *, text_allowed: bool) -> JobRecord:
        """A queued job for the request's ``file`` (or, ``text_allowed``, its ``text``);
        400 for a missing, empty or unsupported one."""
        upload = data.get("file")
        if upload is not None and hasattr(upload, "read"):
            name = upload_name(getattr(upload, "filename", None), "document.txt")
            raw = await upload.read()
        elif not text_allowed:
            raise _Refused(400, "Invalid request: missing file parameter")
        else:
            text = data.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _Refused(400, "Invalid request: missing text or file")
            name, raw = upload_name(str(data.get("name") or ""), "text.txt"), text.encode("utf-8")
        problem = job_kind_problem(name)
        if problem is not None:
            raise _Refused(400, problem)
        if not raw:
            raise _Refused(400, f"{name}: the file is empty")
        record = await asyncio.to_thread(store.create, task, name, raw, owner)
        runner.submit(record)
        return record

    @app.post("/translate_file", openapi_extra=_body(None, _FILE))
    async def translate_file(request: Request) -> dict[str, str]:
        """LibreTranslate's: a multipart ``file`` (.txt, .md, .html, .docx, .pdf) from
        ``source`` it (or auto) to ``target`` en, translated as a job; answers
        ``translatedFileUrl`` once the English copy is ready."""
        data = await fields(request)
        who = authorised(request, data)
        source, target = str(data.get("source") or "it").lower(), str(data.get("target") or "en").lower()
        if source not in ("it", "auto") or target != "en":
            raise _Refused(400, f"Invalid request: files are translated it→en, not {source}→{target}")
        record = await new_job(data, "translate", who if settings.key_hashes else None, text_allowed=False)
        deadline = time.monotonic() + settings.request_timeout
        while (current := runner.get(record.id)) is not None and current.state in ("queued", "running"):
            if time.monotonic() > deadline:
                raise _Refused(
                    503, f"the file took longer than {settings.request_timeout:g} s", {"Retry-After": "5"}
                )
            await asyncio.sleep(0.1)
        if current is None or current.state != "done":
            raise _Refused(
                400, current.reason if current and current.reason else "the file was not translated"
            )
        url = f"{str(request.base_url).rstrip('/')}/download_file/{record.id}/{current.files['document']}"
        return {"translatedFileUrl": url}

    @app.get("/download_file/{job_id}/{name}", responses=_FILES)
    async def download_file(job_id: str, name: str) -> Response:
        """The English copy ``/translate_file`` made (its URL, holding the 128-bit job
        id, is what grants it, as LibreTranslate's download links do)."""
        record = runner.get(job_id)
        if record is None or store.expired(record) or name != record.files.get("document"):
            raise _Refused(404, "no such file: it was never made, or it expired")
        return FileResponse(store.path(record, name), media_type="application/octet-stream", filename=name)

    @app.get("/v1/jobs/{job_id}")
    async def job_state(request: Request, job_id: str) -> dict[str, Any]:
        """The job's state: queued, running (stage, done, total), done (links to its
        files, and when they expire) or failed (the one-line reason)."""
        return job_of(request, job_id).public(store.keep_seconds)

    @app.get("/v1/jobs/{job_id}/{name}", responses=_FILES)
    async def job_file(request: Request, job_id: str, name: str) -> Response:
        """One file of a finished job: report.html, result.json, or the English copy."""
        record = job_of(request, job_id)
        if name not in record.files.values():
            raise _Refused(404, f"no file {name!r} in this job")
        role = next(r for r, n in record.files.items() if n == name)
        media = _MEDIA.get(Path(name).suffix) or "application/octet-stream"
        download = f"{Path(record.name).stem or 'document'}.{name}" if role != "document" else name
        disposition = "inline" if role == "report" else "attachment"
        return FileResponse(
            store.path(record, name),
            media_type=media,
            filename=download,
            content_disposition_type=disposition,
        )

    @app.delete("/v1/jobs/{job_id}")
    async def delete_job(request: Request, job_id: str) -> dict[str, str]:
        """Stop the job if it runs, and remove it with its files."""
        job_of(request, job_id)
        runner.delete(job_id)
        return {"deleted": job_id}

    @app.on_event("shutdown")
    def finish() -> None:  # the requests already queued are answered first; jobs resume later
        runner.close()
        batcher.close()

    return app


MAX_ALTERNATIVES = 10
_STRING = {"type": "string"}
_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
_RECORD_OR_REPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The JSON record, or with format=html the report",
        "content": {"application/json": {}, "text/html": {}},
    }
}
_FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file",
        "content": {
            t: {} for t in ("text/html", "application/json", "text/plain", "application/octet-stream")
        },
    }
}
_KEY = {
    "api_key": {
        "type": "string",
        "description": "The key, when the service has keys (or Authorization: Bearer).",
    }
}
_DETECT = {
    "type": "object",
    "required": ["q"],
    "properties": {"q": {"type": "string", "minLength": 1}, **_KEY},
}
_TRANSLATE = {
    "type": "object",
    "required": ["q"],
    "properties": {
        "q": {"oneOf": [_STRING, {"type": "array", "items": _STRING}]},
        "source": {"type": "string", "enum": ["it", "en", "auto"]},
        "target": {"type": "string", "enum": ["en", "it"]},
        "format": {"type": "string", "enum": ["text", "html"]},
        "alternatives": {"type": "integer", "minimum": 0, "maximum": MAX_ALTERNATIVES},
        **_KEY,
    },
}
_DOCUMENT = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": _STRING, "id": _STRING, "format": {"type": "string", "enum": ["json", "html"]}},
}
_BINARY = {"type": "string", "format": "binary"}
_UPLOAD = {"type": "object", "required": ["file"], "properties": {"file": _BINARY}}
_TASK = {"type": "string", "enum": ["translate", "summarize"]}
_JOB = {"type": "object", "required": ["text"], "properties": {"text": _STRING, "task": _TASK}}
_JOB_UPLOAD = {"type": "object", "required": ["file"], "properties": {"file": _BINARY, "task": _TASK, **_KEY}}
_FILE = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": _BINARY,
        "source": {"type": "string", "enum": ["it", "auto"]},
        "target": {"type": "string", "enum": ["en"]},
        **_KEY,
    },
}


def _body(fields: dict[str, Any] | None, upload: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI request body for a route that reads its body itself: ``fields`` as JSON
    or a form, ``upload`` as multipart (the routes accept each as LibreTranslate's
    clients send them)."""
    content: dict[str, Any] = {}
    if fields is not None:
        content["application/json"] = {"schema": fields}
        content["application/x-www-form-urlencoded"] = {"schema": fields}
    if upload is not None:
        content["multipart/form-data"] = {"schema": upload}
    return {"requestBody": {"required": True, "content": content}}


def _alternatives(value: Any) -> int:
    """LibreTranslate's ``alternatives``: how many other translations to give (0..10);
    anything else is a 400."""
    try:
        wanted = int(value or 0)
    except (TypeError, ValueError):
        wanted = -1
    if not 0 <= wanted <= MAX_ALTERNATIVES:
        raise _Refused(400, f"Invalid request: alternatives must be a number from 0 to {MAX_ALTERNATIVES}")
    return wanted


def _html_fragment(pipeline: Pipeline, kind: str, fragment: str) -> str:
    """An HTML fragment with its text translated and every tag kept (LibreTranslate's
    ``format=html``): read and written back by the HTML format, then unwrapped from the
    page lxml wraps it in."""
    from lxml import html as lxml_html

    from ..formats import block_translations, read_format, write_translated
    from ..segmenting import segment_document

    try:
        layout = read_format("html", fragment.encode("utf-8"))
    except InputError:
        return fragment  # no markup, or no text: nothing to translate
    translate = pipeline.translate if kind == "it-en" else pipeline.translate_to_italian
    engine = pipeline.engine("translator" if kind == "it-en" else "back-translator")
    segments = segment_document(layout.text, engine.count_tokens, engine.max_input_tokens)
    outputs = translate([s.text for s in segments])
    page = write_translated(layout, block_translations(layout, segments, outputs)).decode("utf-8")
    body = lxml_html.document_fromstring(page).find("body")
    if body is None or "<body" in fragment.lower():
        return page
    return (body.text or "") + "".join(lxml_html.tostring(child, encoding="unicode") for child in body)


@functools.cache
def _page_html() -> str:
    """The web page (``serve/page.html``): self-contained, no outside resources."""
    from importlib.resources import files

    return files("pipeline.serve").joinpath("page.html").read_text(encoding="utf-8")
