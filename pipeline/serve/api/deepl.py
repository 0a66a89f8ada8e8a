"""DeepL's API v2, so that every DeepL integration can point at it2en by changing its
server URL: ``/v2/translate``, ``/v2/document``, ``/v2/glossaries``, ``/v2/languages``,
``/v2/glossary-language-pairs`` and ``/v2/usage``, for Italian→English (and
English→Italian by the back-translator), on the same worker, batching, limits, keys and
jobs as LibreTranslate's API.

A key is sent as DeepL's clients send it (``Authorization: DeepL-Auth-Key KEY``, or the
legacy ``auth_key`` field) and checked against the service's keys; refusals are
DeepL's ``{"message": ...}`` with DeepL's statuses (400, 403, 404, 413, 429, 456 when a
key's ``--char-quota`` is spent, 503), so the clients' own error and retry logic works
unchanged. What is accepted and ignored, and what is refused, is in docs/serve.md
("Coming from DeepL").
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from ...checks.language import italian_probability
from ...formats import format_of
from ...terms import Glossary
from .. import schema
from ..access import Authorised, Identified, Parameters
from ..accounts import LANGUAGES
from ..job_store import JobRecord
from ..refusals import Refused
from ..service import PAIRS, Service
from . import Served
from .jobs import job_of, new_job

__all__ = ["router"]

router = APIRouter(prefix="/v2", responses=schema.DEEPL_ERRORS)

_TARGETS = {"EN": "en", "EN-GB": "en", "EN-US": "en", "IT": "it"}
_SOURCES = {"EN": "en", "IT": "it"}
_FORMALITY = ("default", "prefer_more", "prefer_less")
_NAMES = {"en": "English", "it": "Italian"}
_STATES = {"queued": "queued", "running": "translating", "done": "done", "failed": "error"}


def _texts(values: dict[str, Any]) -> list[str]:
    """The request's ``text``: one or several (repeated in a form, a list in JSON)."""
    given = values.get("text")
    texts = [given] if isinstance(given, str) else given
    if not texts or not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise Refused(400, "Parameter 'text' not specified.")
    return texts


def _pair(values: dict[str, Any], texts: list[str]) -> tuple[str, str]:
    """``(source, target)`` of a request: its languages (a missing source detected from
    ``texts``), 400 for one it2en does not offer."""
    target = _TARGETS.get(str(values.get("target_lang") or "").upper())
    if target is None:
        raise Refused(400, "Value for 'target_lang' not supported.")
    given = values.get("source_lang")
    if given:
        source = _SOURCES.get(str(given).upper())
        if source is None:
            raise Refused(400, "Value for 'source_lang' not supported.")
    else:
        source = "it" if italian_probability(" ".join(texts)) >= 0.5 else "en"
    if source == target:
        raise Refused(400, f"source_lang and target_lang are both {source.upper()}: nothing to translate")
    formality = str(values.get("formality") or "default").lower()
    if formality not in _FORMALITY:
        raise Refused(400, "'formality' is not supported for given 'target_lang'.")
    return source, target


def _stored(
    service: Service, owner: str | None, values: dict[str, Any], pair: tuple[str, str]
) -> Glossary | None:
    """The stored glossary ``glossary_id`` names (the key's own), turned to the
    pipeline's Italian→English sense; None when none is named."""
    glossary_id = values.get("glossary_id")
    if not glossary_id:
        return None
    if not values.get("source_lang"):
        raise Refused(400, "source_lang is required if using a glossary")
    return service.glossaries.glossary(owner, str(glossary_id), *pair)


def _ignoring(texts: list[str], tags: Any) -> tuple[list[str], list[str]]:
    """``texts`` with each of the ``ignore_tags`` (a comma-separated list) marked
    ``translate="no"``, which the HTML path keeps as written; and the tags marked."""
    names = [t.strip() for t in str(tags or "").split(",") if re.fullmatch(r"[A-Za-z][\w.-]*", t.strip())]
    for name in names:
        opening = re.compile(rf"<{re.escape(name)}(?=[\s/>])", re.IGNORECASE)
        texts = [opening.sub(lambda m: f'{m.group()} translate="no"', text) for text in texts]
    return texts, names


def _unmarked(texts: list[str], names: list[str]) -> list[str]:
    """``texts`` without the marks :func:`_ignoring` added."""
    for name in names:
        marked = re.compile(rf'(<{re.escape(name)}) translate="no"', re.IGNORECASE)
        texts = [marked.sub(r"\1", text) for text in texts]
    return texts


@router.post("/translate", openapi_extra=schema.body(schema.DEEPL_TRANSLATE))
async def translate(values: Parameters, caller: Authorised, service: Served) -> dict[str, Any]:
    """DeepL's ``/v2/translate``: ``text`` (one or several), ``source_lang`` (IT, EN or
    absent: detected), ``target_lang`` (EN, EN-GB, EN-US, IT), ``tag_handling`` (html,
    xml) with ``ignore_tags``, ``glossary_id``, ``formality`` (default and prefer_*);
    ``split_sentences``, ``preserve_formatting``, ``context`` and the tag lists but
    ``ignore_tags`` are accepted and change nothing."""
    texts = _texts(values)
    source, target = _pair(values, texts)
    characters = sum(map(len, texts))
    limit = service.settings.char_limit
    if limit > 0 and characters > limit:
        raise Refused(413, f"Request too large: {characters} characters, most {limit}")
    glossary = _stored(service, caller.owner, values, (source, target))
    pipeline = service.pipeline if glossary is None else service.pipeline.following(glossary)
    italian = target == "it"
    tags = str(values.get("tag_handling") or "")
    if tags and tags not in ("html", "xml"):
        raise Refused(400, "Value for 'tag_handling' not supported.")
    service.usage.charge(caller.owner, characters)
    if tags:
        marked, names = _ignoring(texts, values.get("ignore_tags"))
        made = await service.document(lambda p: p.translate_html(marked, italian=italian), glossary)
        outputs = _unmarked(made, names)
    elif glossary is not None:
        outputs = await service.on_worker(lambda: pipeline.translate_as(PAIRS[source, target], texts))
    else:
        outputs = await service.translate(PAIRS[source, target], texts)
    return {
        "translations": [
            {"detected_source_language": source.upper(), "text": text, "billed_characters": len(original)}
            for text, original in zip(outputs, texts, strict=True)
        ]
    }


@router.api_route("/languages", methods=["GET", "POST"])
async def languages(values: Parameters, caller: Identified) -> list[dict[str, Any]]:
    """The source languages (``type=source``, the default) or the target ones."""
    if str(values.get("type") or "source").lower() == "target":
        return [
            {"language": "EN-GB", "name": "English (British)", "supports_formality": False},
            {"language": "EN-US", "name": "English (American)", "supports_formality": False},
            {"language": "IT", "name": "Italian", "supports_formality": False},
        ]
    return [{"language": code.upper(), "name": _NAMES[code]} for code in ("en", "it")]


@router.api_route("/usage", methods=["GET", "POST"])
async def usage(caller: Identified, service: Served) -> dict[str, int]:
    """The characters the key translated, and its quota (``--char-quota``)."""
    return {"character_count": service.usage.count(caller.owner), "character_limit": service.usage.limit()}


@router.get("/glossary-language-pairs")
async def glossary_language_pairs(caller: Identified) -> dict[str, Any]:
    """The pairs a glossary may map: Italian to English and back."""
    pairs = [{"source_lang": a, "target_lang": b} for a in LANGUAGES for b in LANGUAGES if a != b]
    return {"supported_languages": pairs}


@router.post("/glossaries", status_code=201, openapi_extra=schema.body(schema.DEEPL_GLOSSARY))
async def create_glossary(values: Parameters, caller: Authorised, service: Served) -> dict[str, Any]:
    """A stored glossary: ``name``, ``source_lang``, ``target_lang``, ``entries`` (TSV,
    or CSV with ``entries_format=csv``)."""
    kind = str(values.get("entries_format") or "tsv").lower()
    if kind not in ("tsv", "csv"):
        raise Refused(400, "Value for 'entries_format' not supported (tsv, csv).")
    entries = values.get("entries")
    if not isinstance(entries, str) or not entries.strip():
        raise Refused(400, "Parameter 'entries' not specified.")
    name, source, target = (str(values.get(k) or "") for k in ("name", "source_lang", "target_lang"))
    made = await service.off_loop(
        lambda: service.glossaries.create(caller.owner, name, source, target, entries.encode("utf-8"), kind)
    )
    return made.info()


@router.get("/glossaries")
async def list_glossaries(caller: Identified, service: Served) -> dict[str, Any]:
    """The key's glossaries."""
    return {"glossaries": [g.info() for g in service.glossaries.all(caller.owner)]}


@router.get("/glossaries/{glossary_id}")
async def glossary_info(glossary_id: str, caller: Identified, service: Served) -> dict[str, Any]:
    """One glossary's description (404 for another key's or none)."""
    return service.glossaries.get(caller.owner, glossary_id)[0].info()


@router.get("/glossaries/{glossary_id}/entries")
async def glossary_entries(glossary_id: str, caller: Identified, service: Served) -> Response:
    """A glossary's entries as TSV (``text/tab-separated-values``)."""
    _, rows = service.glossaries.get(caller.owner, glossary_id)
    body = "".join(f"{source}\t{target}\n" for source, target in rows)
    return Response(body, media_type="text/tab-separated-values; charset=utf-8")


@router.delete("/glossaries/{glossary_id}", status_code=204)
async def delete_glossary(glossary_id: str, caller: Identified, service: Served) -> Response:
    """Remove a glossary of the key."""
    service.glossaries.delete(caller.owner, glossary_id)
    return Response(status_code=204)


@router.post("/document", openapi_extra=schema.body(None, schema.DEEPL_DOCUMENT))
async def upload_document(values: Parameters, caller: Authorised, service: Served) -> dict[str, str]:
    """A document to translate (multipart ``file``, ``target_lang``, ``source_lang``,
    ``glossary_id``; ``output_format`` only as the input's own): run as a job; answers
    ``document_id`` and ``document_key``. Documents are translated Italian→English."""
    upload = values.get("file")
    name = str(getattr(upload, "filename", "") or "")
    wanted = str(values.get("output_format") or "").lower().lstrip(".")
    if wanted and (format_of(f"x.{wanted}") or wanted) != (
        format_of(name) or name.rsplit(".", 1)[-1].lower()
    ):
        raise Refused(
            400, f"output_format {wanted[:20]} is not offered: a document comes back in its own format"
        )
    target = _TARGETS.get(str(values.get("target_lang") or "").upper())
    source = _SOURCES.get(str(values.get("source_lang") or "IT").upper())
    if (source, target) != ("it", "en"):
        raise Refused(400, "Documents are translated from IT to EN-GB or EN-US.")
    glossary = _stored(service, caller.owner, values, ("it", "en"))
    key = secrets.token_hex(32)
    record = await new_job(
        service, values, "translate", caller.owner, text_allowed=False, glossary=glossary, secret=key
    )
    return {"document_id": record.id, "document_key": key}


def _document(service: Service, caller: Identified, document_id: str, values: dict[str, Any]) -> JobRecord:
    """The DeepL document job ``document_id`` of the caller, its ``document_key``
    checked (404 for any mismatch, so ids cannot be probed)."""
    record = job_of(service, caller, document_id)
    key = values.get("document_key")
    if record.secret is None or not isinstance(key, str) or not secrets.compare_digest(key, record.secret):
        raise Refused(404, "Document not found")
    return record


@router.post("/document/{document_id}", openapi_extra=schema.body(schema.DEEPL_DOCUMENT_KEY))
async def document_status(
    document_id: str, values: Parameters, caller: Identified, service: Served
) -> dict[str, Any]:
    """A document's status: queued, translating, done (with ``billed_characters``) or
    error (with ``message``)."""
    record = _document(service, caller, document_id, values)
    answer: dict[str, Any] = {"document_id": record.id, "status": _STATES[record.state]}
    if record.state == "running":
        remaining = record.total - record.done if record.total else None
        answer["seconds_remaining"] = max(1, remaining or 1)
    if record.state == "done":
        answer["billed_characters"] = await service.off_loop(lambda: _characters(service, record))
    if record.state == "failed":
        answer["message"] = answer["error_message"] = record.reason or "the document could not be translated"
    return answer


def _characters(service: Service, record: JobRecord) -> int:
    """The characters a finished document's text holds (its record's source)."""
    name = record.files.get("result")
    if name is None:
        return 0
    return len(json.loads(service.store.path(record, name).read_text(encoding="utf-8")).get("source", ""))


@router.post("/document/{document_id}/result", openapi_extra=schema.body(schema.DEEPL_DOCUMENT_KEY))
async def document_result(
    document_id: str, values: Parameters, caller: Identified, service: Served
) -> FileResponse:
    """The translated document (503 until it is done, as DeepL answers)."""
    record = _document(service, caller, document_id, values)
    if record.state != "done":
        raise Refused(503, "Document not ready", {"Retry-After": "1"})
    name = record.files["document"]
    return FileResponse(
        service.store.path(record, name), media_type="application/octet-stream", filename=name
    )
