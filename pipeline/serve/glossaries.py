"""A request's own glossary (the ``glossary`` field of ``/translate``, ``/v1/translate``
and ``/v1/summarize``): an object of ``{"source": "target"}`` entries, a TSV text in
DeepL's entries format (``source<TAB>target`` a line), or, in a multipart form, a TSV,
CSV or TBX file. An entry whose target is its source is a do-not-translate term.

The terms run in the request's direction: for an English→Italian request they map
English to Italian. A glossary that cannot be used is a 400 naming the problem.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..terms import Glossary, Term, read_glossary
from .refusals import Refused

__all__ = ["MAX_REQUEST_TERMS", "request_glossary"]

MAX_REQUEST_TERMS = 5000
"""Most entries in one request's glossary (a larger one belongs in the config)."""
_MAX_BYTES = 1 << 20


async def request_glossary(value: Any, english_source: bool) -> Glossary | None:
    """The glossary a request sent as ``value`` (None: none), turned to the pipeline's
    Italian→English sense for an ``english_source`` request."""
    if value is None or value == "" or value == {}:
        return None
    try:
        glossary = await _read(value)
    except InputError as exc:
        raise Refused(400, f"Invalid request: glossary {exc}") from None
    if len(glossary) > MAX_REQUEST_TERMS:
        raise Refused(400, f"Invalid request: glossary has {len(glossary)} entries, most {MAX_REQUEST_TERMS}")
    return glossary.reversed if english_source else glossary


async def _read(value: Any) -> Glossary:
    if hasattr(value, "read"):  # a multipart file
        name = str(getattr(value, "filename", None) or "glossary.tsv")
        data = await value.read(_MAX_BYTES + 1)
        return read_glossary(_bounded(data), name.rsplit("/", 1)[-1])
    if isinstance(value, str):
        return read_glossary(_bounded(value.encode("utf-8")), "glossary")
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        if len(value) > MAX_REQUEST_TERMS:
            raise InputError(f"has {len(value)} entries, most {MAX_REQUEST_TERMS}")
        terms = []
        for source, target in value.items():
            if not source.strip() or not target.strip():
                raise InputError(
                    f"entry {source[:40]!r}: an empty {'source' if not source.strip() else 'target'}"
                )
            terms.append(Term(" ".join(source.split()), " ".join(target.split()), "glossary"))
        return Glossary(tuple(terms))
    raise InputError("must be an object of source: target entries or a TSV text")


def _bounded(data: bytes) -> bytes:
    if len(data) > _MAX_BYTES:
        raise InputError(f"is larger than {_MAX_BYTES // 1024} KB")
    return data
