"""Who may call, how often, and what they asked: the service's keys, its rate limiter,
and the request's parameters, as FastAPI dependencies every API route declares (one
place, as LibreTranslate's one ``@access_check``).

Parameters are read as LibreTranslate reads them (its ``request.values``): the query
string, then a form or a JSON body over it, so a client that sends everything in the
query string (deep-translator) and one that sends JSON (libretranslatepy) both work.
Every text of a request is checked at admission: a lone surrogate or any other text that
is not Unicode is a 400 naming the field, before the request meets another.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from ..errors import InputError
from .refusals import Refused

__all__ = [
    "Authorised",
    "Caller",
    "Identified",
    "Keys",
    "Parameters",
    "RateLimiter",
    "load_keys",
    "presented_key",
]

MAX_FORM_FIELDS = 100
"""Fields of a form at most (a form of thousands of fields is parsed for nothing)."""


def load_keys(path: Path) -> tuple[str, ...]:
    """The hashes of the keys in ``path``: one a line, either the key itself or
    ``sha256:HEX`` (so the file need not hold the keys); the keys themselves are not
    kept."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the API keys ({exc})") from None
    hashes = []
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            hashes.append(line[7:].lower() if line.startswith("sha256:") else _hash(line))
    if not hashes:
        raise InputError(f"{path}: no API key in the file")
    return tuple(hashes)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Keys:
    """The accepted keys' hashes (none: no key needed), compared in constant time."""

    def __init__(self, hashes: tuple[str, ...]):
        self.hashes = hashes

    @property
    def required(self) -> bool:
        return bool(self.hashes)

    def owner(self, key: str | None) -> str | None:
        """The hash of ``key`` (None when the service has no keys); 403 when keys are
        required and this one is missing or wrong."""
        if not self.hashes:
            return None
        digest = _hash(key or "")
        if not key or not any(hmac.compare_digest(digest, known) for known in self.hashes):
            raise Refused(403, "Invalid API key")
        return digest


def presented_key(authorization: str, values: dict[str, Any]) -> str | None:
    """The key a request presents: ``Authorization: Bearer KEY`` or DeepL's
    ``Authorization: DeepL-Auth-Key KEY``, else ``api_key`` or DeepL's ``auth_key``."""
    scheme, _, given = authorization.strip().partition(" ")
    if scheme.lower() in ("bearer", "deepl-auth-key") and given.strip():
        return given.strip()
    key = values.get("api_key") or values.get("auth_key")
    return key if isinstance(key, str) and key else None


class RateLimiter:
    """At most ``per_minute`` requests per caller in any minute (0: no limit); callers
    idle for a minute are forgotten, so the table holds only those seen lately."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}
        self._swept = time.monotonic()

    def admit(self, who: str) -> None:
        """Count a request of ``who``; 429 with Retry-After past the limit."""
        if not self.per_minute:
            return
        now = time.monotonic()
        if now - self._swept > 60:
            self._seen = {k: w for k, w in self._seen.items() if w and now - w[-1] <= 60}
            self._swept = now
        window = self._seen.setdefault(who, deque())
        while window and now - window[0] > 60:
            window.popleft()
        if len(window) >= self.per_minute:
            raise Refused(
                429, f"Too many requests: limited to {self.per_minute} per minute", {"Retry-After": "60"}
            )
        window.append(now)

    def __len__(self) -> int:
        return len(self._seen)


async def parameters(request: Request) -> dict[str, Any]:
    """The request's parameters: the query string, then a JSON body or a form over it
    (an uploaded file stays an upload); 400 for a body that is not what it says, or for
    text that is not Unicode."""
    values: dict[str, Any] = _multi(request.query_params)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        values.update(_json_object(await request.body()))
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form(max_files=2, max_fields=MAX_FORM_FIELDS)
        values.update(_multi(form))
    check_unicode(values)
    return values


Parameters = Annotated[dict[str, Any], Depends(parameters)]


def _multi(items: Any) -> dict[str, Any]:
    """A multi-dict as a dict: a key given once is its value, given more a list."""
    found: dict[str, Any] = {}
    for key in items:
        values = items.getlist(key)
        found[key] = values if len(values) > 1 else values[0]
    return found


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise Refused(400, "Invalid request: the body is not JSON (or is nested too deeply)") from None
    if not isinstance(data, dict):
        raise Refused(400, "Invalid request: expected a JSON object")
    return data


def check_unicode(values: dict[str, Any]) -> None:
    """400 naming the field when any text in ``values`` (a string, or strings in lists
    and objects at any depth) cannot be written as UTF-8: a lone surrogate (``\\ud800``
    in JSON) is no character, and no model or log line can take it."""
    pending: list[tuple[str, Any]] = list(values.items())
    while pending:
        field, value = pending.pop()
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, dict):
            texts = [str(k) for k in value]
            pending.extend((field, v) for v in value.values())
        elif isinstance(value, list):
            texts = []
            pending.extend((field, v) for v in value)
        else:
            continue
        for text in (field, *texts):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                name = field.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
                where = f"a lone surrogate at {exc.start}"
                raise Refused(
                    400, f"Invalid request: {name} holds text that is not Unicode ({where})"
                ) from None


@dataclass(frozen=True)
class Caller:
    """Who is calling: ``owner`` the hash of its key (None when the service has no keys),
    ``who`` what its rate is counted by (the key's hash, else its address)."""

    owner: str | None
    who: str


async def identified(request: Request, values: Parameters) -> Caller:
    """The caller, its key checked (403): for reading and deleting what it made."""
    service = request.app.state.service
    owner = service.keys.owner(presented_key(request.headers.get("authorization", ""), values))
    return Caller(owner, owner or (request.client.host if request.client else "-"))


async def authorised(caller: Annotated[Caller, Depends(identified)], request: Request) -> Caller:
    """The caller of a route that makes work, its key checked (403) and its rate counted
    (429); a page following its job is not counted."""
    request.app.state.service.limiter.admit(caller.who)
    return caller


Identified = Annotated[Caller, Depends(identified)]
Authorised = Annotated[Caller, Depends(authorised)]
