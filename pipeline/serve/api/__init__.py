"""The service's routes, a router per concern: LibreTranslate's API
(:mod:`.libretranslate`), DeepL's API v2 (:mod:`.deepl`), whole documents
(:mod:`.documents`), jobs (:mod:`.jobs`), the web page (:mod:`.page`) and operations
(:mod:`.operations`). Each route declares who may
call it and what it reads as dependencies (:mod:`pipeline.serve.access`) and reaches the
service's state through :func:`service_of`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..service import Service

__all__ = ["Served", "service_of"]


def service_of(request: Request) -> Service:
    """The app's :class:`~pipeline.serve.service.Service`."""
    service: Service = request.app.state.service
    return service


Served = Annotated[Service, Depends(service_of)]
