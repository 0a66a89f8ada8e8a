"""``serve``: the HTTP service, its models loaded before it listens."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from ..config import server_settings
from ..errors import MissingResource
from .errors import errors_mapped
from .options import RUNTIME, SUMMARY, LogFlags, ModelFlags, shared_options

__all__ = ["serve"]

log = logging.getLogger("it2en.cli")


@shared_options("config", "translator", *SUMMARY, *RUNTIME)
def serve(
    flags: ModelFlags,
    logs: LogFlags,
    host: Annotated[str, typer.Option(metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 5000,
    max_batch_wait_ms: Annotated[
        float | None, typer.Option(metavar="MS", help="How long a request waits for company [default: 25].")
    ] = None,
    max_batch_texts: Annotated[
        int | None, typer.Option(metavar="N", help="Most texts pooled into one call, 1: none [default: 256].")
    ] = None,
    char_limit: Annotated[
        int | None, typer.Option(metavar="N", help="Most characters per request, 0: none [default: 5000].")
    ] = None,
    max_body_bytes: Annotated[
        int | None, typer.Option(metavar="N", help="Largest request body [default: 2 MiB].")
    ] = None,
    max_queue: Annotated[
        int | None, typer.Option(metavar="N", help="Requests waiting at most, then 503 [default: 1024].")
    ] = None,
    req_limit: Annotated[
        int | None,
        typer.Option(metavar="N", help="Requests a minute per key or address, 0: none [default: 0]."),
    ] = None,
    request_timeout: Annotated[
        float | None, typer.Option(metavar="S", help="Longest a request may take [default: 120].")
    ] = None,
    api_keys: Annotated[
        Path | None,
        typer.Option("--api-keys", metavar="FILE", help="Accepted keys, one a line (or sha256:HEX)."),
    ] = None,
    drain_seconds: Annotated[
        float | None,
        typer.Option(metavar="S", help="On SIGTERM, time to finish what was accepted [default: 30]."),
    ] = None,
    jobs_dir: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Where jobs and their results are kept [default: user cache]."),
    ] = None,
    keep_hours: Annotated[
        float | None, typer.Option(metavar="H", help="Hours a finished job's results are kept [default: 24].")
    ] = None,
    max_jobs_mb: Annotated[
        float | None, typer.Option(metavar="MB", help="Most the jobs folder holds [default: 1024].")
    ] = None,
    max_upload_bytes: Annotated[
        int | None, typer.Option(metavar="N", help="Largest document a job takes [default: 50 MiB].")
    ] = None,
    job_workers: Annotated[
        int | None, typer.Option(metavar="N", help="Jobs run at a time [default: 1].")
    ] = None,
    log_format: Annotated[
        str, typer.Option(metavar="<text|json>", help="stderr log lines as text or JSON.")
    ] = "text",
) -> None:
    """Serve translation over HTTP: a web page at / (drop a document, read its bilingual
    report, take the English copy), LibreTranslate's API (/translate, /languages, /detect),
    /v1/translate and /v1/summarize for whole documents, /v1/jobs, /healthz, /readyz,
    /metrics, with the texts of concurrent requests pooled into shared batches.

    Example: it2en serve --port 5000 --config cpu
    """
    with errors_mapped(logs, log_format, default_level=logging.INFO):
        try:
            import uvicorn

            from ..serve import ServeSettings, create_app, load_keys
        except ImportError as exc:
            raise MissingResource(
                f"it2en serve needs its extra: pip install 'it2en[serve]' ({exc})"
            ) from None
        from ..pipeline import Pipeline

        pipeline = Pipeline(flags.load())
        for role in ("translator", "back-translator", "summarizer"):  # ready means loaded
            pipeline.engine(role)
        given = {
            "max_batch_wait_ms": max_batch_wait_ms,
            "max_batch_texts": max_batch_texts,
            "char_limit": char_limit,
            "max_body_bytes": max_body_bytes,
            "max_queue": max_queue,
            "req_limit": req_limit,
            "request_timeout": request_timeout,
            "drain_seconds": drain_seconds,
            "jobs_dir": str(jobs_dir) if jobs_dir is not None else None,
            "keep_hours": keep_hours,
            "max_jobs_mb": max_jobs_mb,
            "max_upload_bytes": max_upload_bytes,
            "job_workers": job_workers,
        }
        limits = {  # flag > [server] of the config > default
            **(server_settings(flags.config) if flags.config is not None else {}),
            **{key: value for key, value in given.items() if value is not None},
        }
        drain = float(limits.pop("drain_seconds", 30.0))
        settings = ServeSettings(**limits, key_hashes=load_keys(api_keys) if api_keys is not None else ())
        if not settings.key_hashes and host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("serving on %s without --api-keys: anyone who can reach it may use it", host)
        config = uvicorn.Config(
            create_app(pipeline, settings),
            host=host,
            port=port,
            log_config=None,  # it2en's own stderr logging
            access_log=False,  # the app logs each request itself
            timeout_graceful_shutdown=int(drain),
        )
        log.info("it2en serve: ready on http://%s:%d", host, port)
        uvicorn.Server(config).run()
