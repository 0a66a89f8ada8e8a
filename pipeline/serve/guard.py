"""The guard every request passes before any route: its body is judged before it is read,
counted as it arrives and cut at the limit, and timed; its answer is logged and counted.

* A body whose Content-Length is over the limit (uploads: ``max_upload_bytes``, anything
  else ``max_body_bytes``) is refused (413) before a byte of it is read; a body without a
  length (chunked) is counted as it arrives and refused at the limit, so a request never
  holds more than the limit in memory, whatever it sends.
* A key sent in the ``Authorization`` header or the query string is checked before the
  body too (403); a key sent in the body is checked once the (bounded) body is read.
* A body that takes longer than ``body_timeout`` to arrive is refused (408); the head's
  own time-out is the server's (:mod:`.server`). Any answer given before the body was
  read whole closes the connection, so the rest of a flood is never read.
* An error no route handled is a 500 in LibreTranslate's shape, logged with an incident
  number, never a plain-text page.
* One access line per request on stderr (method, path with control characters escaped,
  status, milliseconds), and the metrics by route, never by the path asked for (any URL a
  scanner tries would be a time series of its own, kept for ever).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qs

from .access import presented_key
from .refusals import Refused, refusal

__all__ = ["UPLOAD_ROUTES", "Guard"]

access = logging.getLogger("it2en.access")

UPLOAD_ROUTES = frozenset({"/v1/jobs", "/translate_file", "/v1/translate", "/v1/summarize"})
"""Where a multipart body may be a document (bounded by ``max_upload_bytes``)."""
KEYED_PATHS = ("/translate", "/detect", "/v1/")
"""The routes that take a key (``/translate_file`` included); the page, health and
metrics take none, so a stale header never refuses a probe."""
Scope = dict[str, Any]


class Guard:
    """The ASGI middleware described in the module docstring, around ``app``."""

    def __init__(self, app: Any, service: Any):
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [0]
        body = _Body(receive, self.limit(scope), self.service.settings.body_timeout)
        length, chunked = _header(scope, b"content-length"), _header(scope, b"transfer-encoding")
        body.whole = not chunked and length in ("", "0")  # no body to read

        async def answered(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                if not body.whole:  # answered before the body was read: the rest never will be
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        try:
            self._before_body(scope)
            await self.app(scope, body.receive, answered)
        except Exception as exc:
            if status[0]:  # the answer had begun: nothing more can be said
                raise
            refused = refusal(exc, self.service.settings.request_timeout)
            await refused.response(scope.get("path", ""))(scope, receive, answered)
        finally:
            self._log(scope, status[0] or 500, time.perf_counter() - started)

    def limit(self, scope: Scope) -> int:
        """The largest body this request may have."""
        settings = self.service.settings
        kind = _header(scope, b"content-type").split(";")[0].strip().lower()
        upload = scope["path"] in UPLOAD_ROUTES and kind == "multipart/form-data"
        return settings.max_upload_bytes if upload else settings.max_body_bytes

    def _before_body(self, scope: Scope) -> None:
        """413 from the Content-Length, 403 from a key in the head, before the body."""
        length = _header(scope, b"content-length")
        limit = self.limit(scope)
        if length.isdigit() and int(length) > limit:
            raise Refused(413, _too_large(limit))
        authorization = _header(scope, b"authorization")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        keys = self.service.keys
        keyed = scope["path"].startswith(KEYED_PATHS) and scope["method"] != "OPTIONS"
        if keyed and keys.required and (authorization or "api_key" in query):
            keys.owner(presented_key(authorization, {k: v[0] for k, v in query.items()}))

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "other"
        metrics = self.service.metrics
        metrics.requests.labels(route, str(status)).inc()
        metrics.latency.labels(route).observe(seconds)
        path = json.dumps(scope["path"], ensure_ascii=True)[1:-1]  # no control character reaches a log line
        client = scope["client"][0] if scope.get("client") else "-"
        fields = {"event": "request", "client": client, "method": scope["method"], "path": path}
        access.info(
            "%s %s %s %d %.1f ms",
            client,
            scope["method"],
            path,
            status,
            1000 * seconds,
            extra={"fields": {**fields, "status": status, "ms": round(1000 * seconds, 1)}},
        )


class _Body:
    """A request's body as the app receives it: counted (413 past ``limit``) and timed
    (408 past ``seconds``) while it arrives; once it is whole, the server's own
    ``receive`` (which then only tells of a disconnection)."""

    def __init__(self, receive: Any, limit: int, seconds: float):
        self._receive, self.limit, self.seconds = receive, limit, seconds
        self.deadline = time.monotonic() + seconds
        self.received, self.whole = 0, False

    async def receive(self) -> Any:
        if self.whole:
            return await self._receive()
        try:
            message = await asyncio.wait_for(self._receive(), max(0.0, self.deadline - time.monotonic()))
        except asyncio.TimeoutError:
            raise Refused(408, f"the request body took longer than {self.seconds:g} s to arrive") from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise Refused(413, _too_large(self.limit))
            self.whole = not message.get("more_body", False)
        return message


def _too_large(limit: int) -> str:
    return f"request body exceeds {limit / 1048576:.3g} MB"


def _header(scope: Scope, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in scope["headers"] if k == name), "")
