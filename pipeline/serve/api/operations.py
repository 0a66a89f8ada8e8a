"""What an operator and an orchestrator ask: alive (``/healthz``), ready (``/readyz``:
models loaded, queue not full), and Prometheus metrics (``/metrics``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from . import Served

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready (the queue is full)"}})
async def readyz(service: Served) -> JSONResponse:
    """Ready: models loaded, queue not saturated."""
    if service.batcher.saturated:
        return JSONResponse({"status": "saturated"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", response_class=PlainTextResponse)
async def prometheus(service: Served) -> PlainTextResponse:
    """Prometheus metrics."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    service.metrics.queue.set(service.batcher.depth)
    return PlainTextResponse(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)
