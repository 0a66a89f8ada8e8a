"""``it2en serve``: a long-running HTTP service (LibreTranslate's API and native endpoints)
whose batched inference pools the work of concurrent requests (:mod:`.batcher`, :mod:`.app`)."""

from __future__ import annotations

from .app import ServeSettings, create_app, load_keys
from .batcher import Batcher, Busy

__all__ = ["Batcher", "Busy", "ServeSettings", "create_app", "load_keys"]
