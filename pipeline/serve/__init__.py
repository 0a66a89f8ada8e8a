"""``it2en serve``: a long-running HTTP service (LibreTranslate's API, native endpoints,
jobs and the web page) whose batched inference pools the work of concurrent requests
(:mod:`.batcher`), with documents kept as jobs in a folder (:mod:`.jobs`), on FastAPI
(:mod:`.app`)."""

from __future__ import annotations

from .app import ServeSettings, create_app, load_keys
from .batcher import Batcher, Busy
from .jobs import JobStore

__all__ = ["Batcher", "Busy", "JobStore", "ServeSettings", "create_app", "load_keys"]
