"""The service run by uvicorn, with what uvicorn alone leaves open to a slow client: a
connection that has not sent a whole request head ``header_timeout`` seconds after it
opened (or after its last answer) is closed, so clients that trickle their headers
(slowloris) cannot hold the service's connections; heads are bounded in size by h11, and
connections in number by ``max_connections`` (past it a new connection is answered 503 in
LibreTranslate's shape and closed). Bodies have their own time-out in the app
(:mod:`.guard`)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..settings import ServeSettings

__all__ = ["serve", "uvicorn_config"]

log = logging.getLogger("it2en.serve")


_FULL = json.dumps({"error": "the service is busy: too many connections"}).encode()
_FULL_ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n"
    b"connection: close\r\ncontent-length: " + str(len(_FULL)).encode() + b"\r\n\r\n" + _FULL
)


class _TimedHead(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's head, and a bound on
    connections."""

    header_timeout = 10.0
    max_connections = 1000

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        if self.max_connections and len(self.connections) > self.max_connections:
            transport.write(_FULL_ANSWER)
            transport.close()
            return
        self._await_head()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE and self._head_timer is not None:
            self._head_timer.cancel()  # the head is in
            self._head_timer = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_late)

    def _head_late(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.info("closed a connection from %s: no request head within %g s", client, self.header_timeout)
            self.transport.close()


def uvicorn_config(app: Any, settings: ServeSettings, **options: Any) -> Any:
    """uvicorn's configuration for ``app`` under ``settings`` (its own logging off: the
    app logs each request)."""
    import uvicorn

    bounds = {"header_timeout": settings.header_timeout, "max_connections": settings.max_connections}
    protocol = type("TimedHead", (_TimedHead,), bounds)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=protocol,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.drain_seconds),
        **options,
    )


def serve(app: Any, settings: ServeSettings) -> None:
    """Run ``app`` until SIGTERM or Ctrl-C (what was accepted is answered first, within
    ``drain_seconds``)."""
    import uvicorn

    uvicorn.Server(uvicorn_config(app, settings)).run()
