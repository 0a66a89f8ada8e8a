"""The HTTP service: LibreTranslate's and DeepL's APIs as their clients call them, native endpoints for
whole documents, jobs and the web page that uses them, health, readiness and Prometheus
metrics, on FastAPI.

Every model call goes through one :class:`~pipeline.serve.batcher.Batcher`, which pools
the texts of concurrent requests into the pipeline's batches; whole documents run on a
bounded pool of threads and send it one model batch at a time, behind any request
someone is waiting on, so the event loop only ever routes requests. Limits are checked
before any work, and before the body is read where the head tells: its size (413), the
key (403); then the characters of a request (400, LibreTranslate's wording), the request
rate per key or address (429), a full queue (503 with ``Retry-After``), a request that
waits too long (503). Every answer that is not a success is ``{"error": "..."}``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from ..pipeline import Pipeline
from ..settings import ServeSettings
from . import schema
from .api import deepl, documents, jobs, libretranslate, operations, page
from .guard import Guard
from .refusals import install_handlers
from .service import Service

__all__ = ["create_app"]


def create_app(pipeline: Pipeline, settings: ServeSettings | None = None) -> Any:
    """The ASGI app serving ``pipeline`` (whose models should be loaded already: the app
    reports ready from the start); see :class:`~pipeline.serve.service.Service` for
    what it sets up."""
    settings = settings or ServeSettings()
    service = Service(pipeline, settings)
    error = {
        "description": "Refused, with LibreTranslate's one-line reason",
        "content": {"application/json": {"schema": schema.ERROR}},
    }

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()  # the requests already queued are answered first; jobs resume later

    app = FastAPI(
        lifespan=lifespan,
        title="it2en",
        summary="Italian↔English translation and bilingual summaries",
        version="1",
        responses={status: error for status in (400, 403, 404, 408, 413, 429, 500, 503)},
    )
    app.state.service = service
    for api in (libretranslate, deepl, documents, jobs, page, operations):
        app.include_router(api.router)
    install_handlers(app)
    app.add_middleware(Guard, service=service)
    # Outside the guard, so that its refusals too can be read by a page on another site.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        max_age=600,
    )
    return app
