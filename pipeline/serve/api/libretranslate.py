"""LibreTranslate's API, as its clients (libretranslatepy, deep-translator, CMS plugins,
browser extensions) call it: ``/translate``, ``/detect``, ``/languages``,
``/frontend/settings``, ``/translate_file`` and ``/download_file``, with its parameters,
answers and error wording."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from ...checks.language import italian_probability
from ...uploads import UPLOAD_SUFFIXES
from .. import schema
from ..access import Authorised, Parameters
from ..glossaries import request_glossary
from ..refusals import Refused
from ..service import PAIRS
from . import Served
from .jobs import new_job

__all__ = ["router"]

router = APIRouter()
LANGUAGES = {"it": "Italian", "en": "English"}
FORMATS = ("text", "html")


@router.get("/languages")
async def languages() -> list[dict[str, Any]]:
    """The languages, each with what it translates to (LibreTranslate's format)."""
    return [
        {"code": code, "name": name, "targets": [t for (s, t) in PAIRS if s == code]}
        for code, name in LANGUAGES.items()
    ]


@router.get("/frontend/settings")
async def frontend_settings(service: Served) -> dict[str, Any]:
    """What a LibreTranslate front end (and the web page) asks before it starts."""
    settings = service.settings
    return {
        "charLimit": settings.char_limit,
        "frontendTimeout": int(settings.request_timeout * 1000),
        "apiKeys": service.keys.required,
        "keyRequired": service.keys.required,
        "suggestions": False,
        "filesTranslation": True,
        "supportedFilesFormat": list(UPLOAD_SUFFIXES),
        "maxUploadBytes": settings.max_upload_bytes,
        "apis": {"libretranslate": "/", "deepl": "/v2/"},
        "language": {
            "source": {"code": "it", "name": "Italian"},
            "target": {"code": "en", "name": "English"},
        },
    }


@router.post("/detect", openapi_extra=schema.body(schema.DETECT))
async def detect(values: Parameters, caller: Authorised) -> list[dict[str, Any]]:
    """The language of ``q``: Italian or English, with a confidence in percent."""
    q = values.get("q")
    if not isinstance(q, str) or not q:
        raise Refused(400, "Invalid request: missing q parameter")
    italian = italian_probability(q)
    language, confidence = ("it", italian) if italian >= 0.5 else ("en", 1 - italian)
    return [{"confidence": round(100 * confidence, 1), "language": language}]


@router.post("/translate", openapi_extra=schema.body(schema.TRANSLATE))
async def translate(values: Parameters, caller: Authorised, service: Served) -> dict[str, Any]:
    """Translate ``q`` (a string, or a list of strings) from ``source`` (it, en or
    auto) to ``target``; ``format`` text or html; ``alternatives`` 0..10."""
    q = values.get("q")
    texts = [q] if isinstance(q, str) else q
    if not q or not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise Refused(400, "Invalid request: missing q parameter")
    limit, characters = service.settings.char_limit, sum(map(len, texts))
    if limit > 0 and characters > limit:
        raise Refused(400, f"Invalid request: request ({characters}) exceeds text limit ({limit})")
    text_format = str(values.get("format") or "text")
    if text_format not in FORMATS:
        raise Refused(400, f"Invalid request: {text_format[:40]} format is not supported (text, html)")
    wanted = _alternatives(values.get("alternatives"))
    if wanted and text_format == "html":
        raise Refused(400, "Invalid request: alternatives are for format text")
    source, target = str(values.get("source") or "auto").lower(), str(values.get("target") or "en").lower()
    detected = None
    if source == "auto":
        italian = italian_probability(" ".join(texts))
        source = "it" if italian >= 0.5 else "en"
        detected = {"confidence": round(100 * max(italian, 1 - italian), 1), "language": source}
    if (source, target) not in PAIRS:
        raise Refused(400, f"Invalid request: {source[:20]}→{target[:20]} is not offered (it→en, en→it)")
    kind = PAIRS[source, target]
    italian_target = kind == "en-it"
    glossary = await request_glossary(values.get("glossary"), english_source=italian_target)
    pipeline = service.pipeline if glossary is None else service.pipeline.following(glossary)
    if text_format == "html":  # a whole document's work, off the worker's interactive queue
        outputs = await service.document(lambda p: p.translate_html(texts, italian=italian_target), glossary)
    elif glossary is not None:  # its own terms: not pooled with other requests' texts
        outputs = await service.on_worker(lambda: pipeline.translate_as(kind, texts))
    else:
        outputs = await service.translate(kind, texts)
    answer: dict[str, Any] = {"translatedText": outputs[0] if isinstance(q, str) else outputs}
    if detected is not None:
        answer["detectedLanguage"] = detected if isinstance(q, str) else [detected] * len(texts)
    if wanted:
        others = await service.on_worker(
            lambda: pipeline.translate_alternatives(texts, wanted, italian=italian_target)
        )
        answer["alternatives"] = others[0] if isinstance(q, str) else others
    return answer


def _alternatives(value: Any) -> int:
    """LibreTranslate's ``alternatives``: how many other translations to give (0..10),
    a whole number or its digits; anything else is a 400."""
    if value is None or value == "":
        return 0
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 4:
        value = int(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= schema.MAX_ALTERNATIVES:
        raise Refused(
            400, f"Invalid request: alternatives must be a number from 0 to {schema.MAX_ALTERNATIVES}"
        )
    return value


@router.post("/translate_file", openapi_extra=schema.body(None, schema.FILE))
async def translate_file(
    request: Request, values: Parameters, caller: Authorised, service: Served
) -> dict[str, str]:
    """LibreTranslate's: a multipart ``file`` from ``source`` it (or auto) to ``target``
    en, translated as a job; answers ``translatedFileUrl`` once the English copy is
    ready."""
    source, target = str(values.get("source") or "it").lower(), str(values.get("target") or "en").lower()
    if source not in ("it", "auto") or target != "en":
        raise Refused(400, f"Invalid request: files are translated it→en, not {source[:20]}→{target[:20]}")
    record = await new_job(service, values, "translate", caller.owner, text_allowed=False)
    deadline = time.monotonic() + service.settings.request_timeout
    while (current := service.runner.get(record.id)) is not None and current.state in ("queued", "running"):
        if time.monotonic() > deadline:
            timeout = service.settings.request_timeout
            raise Refused(503, f"the file took longer than {timeout:g} s", {"Retry-After": "5"})
        await asyncio.sleep(0.1)
    if current is None or current.state != "done":
        raise Refused(400, current.reason if current and current.reason else "the file was not translated")
    url = f"{str(request.base_url).rstrip('/')}/download_file/{record.id}/{current.files['document']}"
    return {"translatedFileUrl": url}


@router.get("/download_file/{job_id}/{name}", responses=schema.FILES)
async def download_file(job_id: str, name: str, service: Served) -> FileResponse:
    """The English copy ``/translate_file`` made (its URL, holding the 128-bit job id,
    is what grants it, as LibreTranslate's download links do)."""
    record = service.runner.get(job_id)
    if record is None or service.store.expired(record) or name != record.files.get("document"):
        raise Refused(404, "no such file: it was never made, or it expired")
    return FileResponse(
        service.store.path(record, name), media_type="application/octet-stream", filename=name
    )
