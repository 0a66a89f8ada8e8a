"""What the CLI shows on stderr: log lines (text or JSON) and progress bars.

The library only logs, under the ``it2en`` logger; this module installs the one handler,
for the length of a command, and removes it after (the library's logger is left as found,
so a program that runs a command in-process keeps its own logging).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from ..pipeline import ProgressCallback

__all__ = ["LOGGER", "logging_to_stderr", "progress_bars"]

LOGGER = "it2en"
"""The logger of the library and the CLI."""


class _TextFormatter(logging.Formatter):
    """``it2en: error: message``: one line per record."""

    def format(self, record: logging.LogRecord) -> str:
        return f"it2en: {record.levelname.lower()}: {record.getMessage()}"


class _JsonFormatter(logging.Formatter):
    """One JSON object per record, for schedulers and log collectors; extra ``fields``
    given to a log call are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        return json.dumps(data, ensure_ascii=False)


@contextmanager
def logging_to_stderr(level: int, log_format: str = "text", debug: bool = False) -> Iterator[None]:
    """Send the ``it2en`` logger's records at ``level`` and above to stderr, as text or
    JSON lines, while the block runs; quiet transformers' and huggingface_hub's own
    logging and progress bars unless ``debug``."""
    logger = logging.getLogger(LOGGER)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter() if log_format == "json" else _TextFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    if not debug:
        from huggingface_hub.utils import logging as hub_logging
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        hub_logging.set_verbosity_error()  # its "Retrying in 8s" lines
    try:
        yield
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved


@contextmanager
def progress_bars(enabled: bool) -> Iterator[ProgressCallback | None]:
    """A progress callback drawing one tqdm bar per stage on stderr, or None."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None or bar.total != total or done < bar.n:
            if bar is not None:
                bar.close()
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="seg", leave=False, file=sys.stderr)
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.close()
