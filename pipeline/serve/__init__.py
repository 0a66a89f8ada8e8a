"""``it2en serve``: a long-running HTTP service (LibreTranslate's API, native endpoints,
jobs and the web page) whose batched inference pools the work of concurrent requests
(:mod:`.batcher`), with documents kept as jobs in a folder (:mod:`.jobs`), on FastAPI
(:mod:`.app`), run by uvicorn with time-outs for slow clients (:mod:`.server`)."""

from __future__ import annotations

from ..settings import ServeSettings
from .access import load_keys
from .app import create_app
from .batcher import Batcher, Busy
from .job_store import JobStore
from .server import serve

__all__ = ["Batcher", "Busy", "JobStore", "ServeSettings", "create_app", "load_keys", "serve"]
