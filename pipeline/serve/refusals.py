"""What a client is told when its request is not answered: LibreTranslate's
``{"error": "..."}`` with a status, for every refusal the service makes and for every
error its framework raises (404, 405, a malformed form), so no client ever meets another
shape of error, a plain-text page or a traceback.

:func:`refusal` is the one mapping from a failure to what a client is told, shared by
pooled requests, documents and jobs' admission.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..errors import It2enError
from .batcher import Busy

__all__ = ["DEEPL_PREFIX", "Refused", "install_handlers", "refusal", "shaped"]

DEEPL_PREFIX = "/v2/"
"""Where DeepL's API lives (:mod:`.api.deepl`): its refusals are ``{"message": ...}``."""

log = logging.getLogger("it2en.serve")


class Refused(Exception):
    """A request refused with a status and a one-line reason (``{"error": reason}``)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}

    def response(self, path: str = "") -> JSONResponse:
        """The answer: ``{"error": reason}``, or DeepL's ``{"message": reason}`` on its
        API's paths (``/v2/...``), so that each API's clients read refusals their way."""
        return JSONResponse(shaped(str(self), path), status_code=self.status, headers=self.headers)


def shaped(reason: str, path: str) -> dict[str, str]:
    """A refusal's body for a request to ``path``: DeepL's shape under ``/v2/``."""
    return {"message": reason} if path.startswith(DEEPL_PREFIX) else {"error": reason}


def refusal(exc: BaseException, timeout: float) -> Refused:
    """What a client is told of ``exc``, the failure of its own work: 503 (too slow, or
    busy) with Retry-After, 400 for a problem of the request's own data (the one line the
    command line prints), and for anything else a 500 that quotes nothing (an unexpected
    error may hold any text) but an incident number, logged loudly with its traceback."""
    if isinstance(exc, Refused):
        return exc
    if isinstance(exc, asyncio.TimeoutError):
        return Refused(503, f"the request took longer than {timeout:g} s", {"Retry-After": "5"})
    if isinstance(exc, Busy):
        return Refused(503, str(exc), {"Retry-After": "1"})
    if isinstance(exc, It2enError):
        return Refused(400, str(exc))
    incident = secrets.token_hex(4)
    log.error("incident %s: a request failed unexpectedly", incident, exc_info=exc)
    return Refused(500, f"the service failed on this request (incident {incident}, logged)")


def install_handlers(app: FastAPI) -> None:
    """Every error of ``app``'s routes answered as ``{"error": ...}``: refusals, the
    framework's own (404, 405, a form over its limits) and validation errors (400). An
    unexpected exception is answered by the guard (:mod:`.guard`), outside the routes."""

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        return refusal(exc, 0).response(request.url.path)

    async def framework(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        headers: dict[str, Any] = dict(exc.headers or {})
        body = shaped(str(exc.detail), request.url.path)
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        where = ".".join(str(part) for part in errors[0].get("loc", ())) if errors else "the request"
        what = errors[0].get("msg", "invalid") if errors else "invalid"
        return JSONResponse(shaped(f"Invalid request: {where}: {what}", request.url.path), status_code=400)

    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(HTTPException, framework)
    app.add_exception_handler(RequestValidationError, invalid)
