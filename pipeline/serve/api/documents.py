"""Whole documents answered in the request (``/v1/translate``, ``/v1/summarize``): JSON
``{"text", "id"}`` or a multipart ``file`` (with a ``glossary`` of the request's own, as
:mod:`..glossaries` reads it), read, processed and rendered on the documents' threads,
never on the event loop; the record ``--format json`` gives, or with ``format=html`` the
report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ...errors import InputError
from ...pipeline import Pipeline
from ...report import render_html
from ...types import Document, Failure
from ...uploads import read_upload, upload_name
from .. import schema
from ..access import Authorised, Parameters
from ..glossaries import request_glossary
from ..refusals import Refused
from ..service import Service, public
from . import Served

__all__ = ["DOCUMENT_LIMIT_FACTOR", "router"]

router = APIRouter()
DOCUMENT_LIMIT_FACTOR = 20
"""A whole document may hold this many times ``char_limit`` characters (100,000 with the
default): the limit is for one request's sentences."""


@router.post(
    "/v1/translate",
    openapi_extra=schema.body(schema.DOCUMENT, schema.UPLOAD),
    responses=schema.RECORD_OR_REPORT,
)
async def v1_translate(values: Parameters, caller: Authorised, service: Served) -> Response:
    """One document (JSON ``{"text", "id"}`` or a multipart ``file``) translated: the
    record ``--format json`` gives; ``format=html`` for the HTML report."""
    return await _document(service, values, summarize=False)


@router.post(
    "/v1/summarize",
    openapi_extra=schema.body(schema.DOCUMENT, schema.UPLOAD),
    responses=schema.RECORD_OR_REPORT,
)
async def v1_summarize(values: Parameters, caller: Authorised, service: Served) -> Response:
    """One document translated and summarized in both languages (the record ``it2en
    summarize --format json`` gives); ``format=html`` for the HTML report."""
    return await _document(service, values, summarize=True)


async def _document(service: Service, values: dict[str, Any], summarize: bool) -> Response:
    upload = values.get("file")
    if upload is not None and hasattr(upload, "read"):
        name = upload_name(getattr(upload, "filename", None), "document.txt")
        raw: bytes | None = await upload.read()
        given = None
    else:
        given, raw, name = values.get("text"), None, str(values.get("id") or "document")
        if not isinstance(given, str) or not given.strip():
            raise Refused(400, "Invalid request: missing text")
    html = str(values.get("format") or "json") == "html"
    glossary = await request_glossary(values.get("glossary"), english_source=False)
    most = service.settings.char_limit * DOCUMENT_LIMIT_FACTOR

    def whole(sibling: Pipeline) -> Response:
        document = (
            read_upload(name, raw, readers=service.readers) if raw is not None else Document(name, str(given))
        )
        if service.settings.char_limit > 0 and len(document.text) > most:
            raise InputError(f"Invalid request: document ({len(document.text)}) exceeds {most} characters")
        [outcome] = sibling.process_many([document], summarize=summarize)
        if isinstance(outcome, Failure):
            raise InputError(outcome.reason)
        if html:
            return HTMLResponse(render_html(public(outcome)))
        return JSONResponse(public(outcome).to_dict())  # rendered here, off the event loop

    return await service.document(whole, glossary)
