"""The web page (``GET /``): one self-contained file, no outside resources, with its
icon."""

from __future__ import annotations

import functools

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

__all__ = ["router"]

router = APIRouter()
_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
    'fill="#0a58a8"/><path d="M6 9h9M10.5 9v14M17 23l4.5-14 4.5 14M18.6 18h5.8" stroke="#fff" '
    'stroke-width="2.6" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>'
)
"""The page's icon: "IA" (Italian→English, it2en) in white on the page's blue."""


@router.get("/", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    """The web page: drop a document or paste text, follow the job, read the report."""
    return HTMLResponse(_page_html(), headers={"Cache-Control": "no-cache"})


@router.get("/favicon.ico", responses={200: {"content": {"image/svg+xml": {}}}})
async def favicon() -> Response:
    """The page's icon (browsers ask for it at this address)."""
    return Response(_ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@functools.cache
def _page_html() -> str:
    """The web page (``serve/page.html``)."""
    from importlib.resources import files

    return files("pipeline.serve").joinpath("page.html").read_text(encoding="utf-8")
