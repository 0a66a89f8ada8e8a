"""A document's failure made from the exception that caused it, the one way every stage
and front end makes it: the document fails alone, in one line; and when the exception is
not one its data can cause (:func:`pipeline.errors.is_internal`: a bug of it2en's or of
a library), it is told loudly too, its traceback logged at error level and kept in the
failure, for the batch runner's ``crash-*.txt`` and the end-of-run count."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import TypeVar

from .errors import is_internal, reason
from .types import Failure, Result

__all__ = ["failure_of", "made_or_failure"]

log = logging.getLogger("it2en.pipeline")
T = TypeVar("T")


def failure_of(doc_id: str | None, origin: str, exc: Exception, doing: str) -> Failure:
    """The failure of document ``doc_id`` by ``exc``, raised while ``doing`` (``processing
    failed``, ``its outputs could not be made``)."""
    message = f"{doing} ({type(exc).__name__}: {reason(exc)})"
    if not is_internal(exc):
        log.debug("document %s: %s", doc_id, doing, exc_info=exc)
        return Failure(doc_id, origin, message)
    log.error("document %s failed because of an internal error (please report it)", doc_id, exc_info=exc)
    return Failure(doc_id, origin, message, trace="".join(traceback.format_exception(exc)))


def made_or_failure(result: Result, make: Callable[[], T]) -> T | Failure:
    """What ``make()`` makes of ``result`` (its outputs), or the document's failure when
    anything raises: made from the document's own data, it is never the run's failure."""
    try:
        return make()
    except Exception as exc:
        return failure_of(result.id, result.origin, exc, "its outputs could not be made")
