"""The service's settings, written once: each field of :class:`ServeSettings` is a key of a
config file's ``[server]`` section and a flag of ``it2en serve`` (``char_limit``,
``--char-limit``), with its type, default and help taken from here by both.

A leaf module (it imports nothing of it2en's but the errors), so that reading a config
file checks the ``[server]`` section without loading the service.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["ServeSettings", "setting_help", "setting_type"]

_MIB = 1024 * 1024


def _setting(default: Any, help: str, metavar: str, shown: str | None = None, path: bool = False) -> Any:
    """A settings field: ``help`` for ``--help`` and the docs, ``metavar`` for the flag,
    ``shown`` the default as a person reads it (else the default itself), ``path``: a
    folder or file, taken from the config file's folder when it starts with ``./``."""
    return field(default=default, metadata={"help": help, "metavar": metavar, "shown": shown, "path": path})


@dataclass(frozen=True)
class ServeSettings:
    """How ``it2en serve`` listens, what it accepts and how it pools work (``[server]`` in
    the config file, and flags of the same names, a flag winning)."""

    host: str = _setting("127.0.0.1", "Address to listen on.", "HOST")
    port: int = _setting(5000, "Port to listen on.", "PORT")
    api_keys: str = _setting(
        "", "Accepted keys, one a line (or sha256:HEX); none: no key needed.", "FILE", "none", path=True
    )
    char_limit: int = _setting(5000, "Most characters per request, 0: none.", "N")
    """Most characters of one request's text (LibreTranslate's ``--char-limit``)."""
    max_body_bytes: int = _setting(2 * _MIB, "Largest request body but uploads.", "N", "2 MiB")
    max_upload_bytes: int = _setting(50 * _MIB, "Largest uploaded document.", "N", "50 MiB")
    req_limit: int = _setting(0, "Requests a minute per key or address, 0: none.", "N")
    char_quota: int = _setting(0, "Characters each key may translate (DeepL's usage), 0: no limit.", "N")
    request_timeout: float = _setting(120.0, "Longest a request may take, in seconds.", "S")
    header_timeout: float = _setting(10.0, "Seconds a client has to send a request's head.", "S")
    body_timeout: float = _setting(60.0, "Seconds a client has to send a request's body.", "S")
    max_connections: int = _setting(1000, "Open connections at most, then 503.", "N")
    cors_origins: tuple[str, ...] = _setting(
        ("*",), "Web sites whose pages may call the API (repeat the flag), *: any.", "ORIGIN", "*"
    )
    max_batch_wait_ms: float = _setting(25.0, "How long a request waits for company, in ms.", "MS")
    max_batch_texts: int = _setting(256, "Most texts pooled into one call, 1: none.", "N")
    max_queue: int = _setting(1024, "Requests waiting at most, then 503.", "N")
    max_documents: int = _setting(8, "Whole documents read or translated at once, then 503.", "N")
    """Also the threads that read, render and write documents, off the event loop."""
    drain_seconds: float = _setting(30.0, "On SIGTERM, time to finish what was accepted.", "S")
    jobs_dir: str = _setting(
        "", "Where jobs and their results are kept.", "DIR", "jobs in the user cache folder", path=True
    )
    keep_hours: float = _setting(24.0, "Hours a finished job's results are kept.", "H")
    max_jobs_mb: float = _setting(1024.0, "Most megabytes the jobs folder holds.", "MB")
    job_workers: int = _setting(1, "Jobs run at a time.", "N")

    def __post_init__(self) -> None:
        for item in fields(self):
            check(item.name, getattr(self, item.name), prefix="")

    @classmethod
    def from_table(cls, where: Path, table: Any) -> dict[str, Any]:
        """The checked values of a config file's ``[server]`` table (``where`` names the
        file in messages; relative folders are taken from its folder)."""
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: server must be a section ([server])")
        known = {item.name: item for item in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in known:
                raise ConfigError(f"{where}: unknown key server.{key} (known: {', '.join(known)})")
            if isinstance(value, list):
                value = tuple(value)
            try:
                check(key, value, prefix="server.")
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            if known[key].metadata["path"] and value.startswith(("./", "../")):
                value = str((where.parent / value).resolve())
            values[key] = float(value) if setting_type(key) is float else value
        return values

    def given(self, **flags: Any) -> ServeSettings:
        """A copy with every flag that was given (not None) applied, checked."""
        chosen = {name: tuple(v) if isinstance(v, list) else v for name, v in flags.items() if v is not None}
        for name, value in chosen.items():
            check(name, value, prefix="--")
        return replace(self, **chosen)  # type: ignore[arg-type]


def setting_type(name: str) -> type:
    """The Python type of setting ``name`` (``tuple`` for a list of strings)."""
    hint = typing.get_type_hints(ServeSettings)[name]
    return typing.get_origin(hint) or hint


def setting_help(name: str) -> str:
    """The help of setting ``name`` with its default, as ``--help`` shows it."""
    item = next(f for f in fields(ServeSettings) if f.name == name)
    default = item.metadata["shown"] or (
        f"{item.default:g}" if isinstance(item.default, float) else item.default
    )
    return f"{item.metadata['help']} [default: {default}]"


def check(name: str, value: Any, *, prefix: str) -> None:
    """:class:`ConfigError` unless ``value`` fits setting ``name`` (called ``prefix +
    name`` in the message: a TOML key or a flag): a string, a list of strings, or a
    number >= 0 of the field's type."""
    kind = setting_type(name)
    called = f"{prefix}{name.replace('_', '-')}" if prefix == "--" else f"{prefix}{name}"
    if kind is str:
        ok, wanted = isinstance(value, str), "a string"
    elif kind is tuple:
        ok, wanted = isinstance(value, tuple) and all(isinstance(v, str) for v in value), "a list of strings"
    else:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = number and (kind is float or isinstance(value, int)) and value >= 0 and value == value
        ok = ok and value != float("inf")
        wanted = f"a number >= 0 of type {kind.__name__}"
    if not ok:
        raise ConfigError(f"{called} must be {wanted}, got {value!r}")
