"""The OpenAPI description of the bodies the routes read themselves (JSON, a form, or a
multipart upload, as LibreTranslate's clients send them) and of their answers, so that
``/openapi.json`` documents every request and refusal, and the fuzzing tests generate
requests from it."""

from __future__ import annotations

from typing import Any

__all__ = ["DETECT", "DOCUMENT", "ERROR", "FILE", "FILES", "JOB", "JOB_UPLOAD", "MAX_ALTERNATIVES",
           "RECORD_OR_REPORT", "TRANSLATE", "UPLOAD", "body"]  # fmt: skip

MAX_ALTERNATIVES = 10
"""LibreTranslate's most alternatives."""
STRING = {"type": "string"}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
RECORD_OR_REPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The JSON record, or with format=html the report",
        "content": {"application/json": {}, "text/html": {}},
    }
}
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file",
        "content": {
            t: {} for t in ("text/html", "application/json", "text/plain", "application/octet-stream")
        },
    }
}
KEY = {
    "api_key": {
        "type": "string",
        "description": "The key, when the service has keys (or Authorization: Bearer).",
    }
}
DETECT = {
    "type": "object",
    "required": ["q"],
    "properties": {"q": {"type": "string", "minLength": 1}, **KEY},
}
GLOSSARY = {
    "description": "The request's own terms: {source: target} (a target equal to its source is never "
    "translated), or source<TAB>target lines; in a form, a TSV, CSV or TBX file",
    "oneOf": [{"type": "object", "additionalProperties": STRING}, STRING],
}
TRANSLATE = {
    "type": "object",
    "required": ["q"],
    "properties": {
        "q": {
            "oneOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": STRING, "minItems": 1}]
        },
        "source": {"type": "string", "enum": ["it", "en", "auto"]},
        "target": {"type": "string", "enum": ["en", "it"]},
        "format": {"type": "string", "enum": ["text", "html"]},
        "alternatives": {"type": "integer", "minimum": 0, "maximum": MAX_ALTERNATIVES},
        "glossary": GLOSSARY,
        **KEY,
    },
}
DOCUMENT = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": STRING,
        "id": STRING,
        "format": {"type": "string", "enum": ["json", "html"]},
        "glossary": GLOSSARY,
    },
}
BINARY = {"type": "string", "format": "binary"}
UPLOAD = {"type": "object", "required": ["file"], "properties": {"file": BINARY, "glossary": BINARY}}
TASK = {"type": "string", "enum": ["translate", "summarize"]}
JOB = {
    "type": "object",
    "required": ["text"],
    "properties": {"text": STRING, "task": TASK, "glossary": GLOSSARY},
}
JOB_UPLOAD = {
    "type": "object",
    "required": ["file"],
    "properties": {"file": BINARY, "task": TASK, "glossary": BINARY, **KEY},
}
FILE = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": BINARY,
        "glossary": BINARY,
        "source": {"type": "string", "enum": ["it", "auto"]},
        "target": {"type": "string", "enum": ["en"]},
        **KEY,
    },
}


DEEPL_ERROR = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
DEEPL_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": "Refused, with DeepL's one-line reason",
        "content": {"application/json": {"schema": DEEPL_ERROR}},
    }
    for status in (400, 403, 404, 408, 413, 429, 456, 500, 503)
}
_DEEPL_LANGUAGE = {"type": "string", "enum": ["IT", "EN"]}
_DEEPL_TARGET = {"type": "string", "enum": ["EN", "EN-GB", "EN-US", "IT"]}
DEEPL_TRANSLATE = {
    "type": "object",
    "required": ["text", "target_lang"],
    "properties": {
        "text": {"oneOf": [STRING, {"type": "array", "items": STRING, "minItems": 1}]},
        "source_lang": _DEEPL_LANGUAGE,
        "target_lang": _DEEPL_TARGET,
        "tag_handling": {"type": "string", "enum": ["html", "xml"]},
        "ignore_tags": STRING,
        "glossary_id": STRING,
        "formality": {"type": "string", "enum": ["default", "prefer_more", "prefer_less"]},
        "split_sentences": STRING,
        "preserve_formatting": {"type": "boolean"},
        "context": STRING,
        "auth_key": STRING,
    },
}
DEEPL_GLOSSARY = {
    "type": "object",
    "required": ["name", "source_lang", "target_lang", "entries"],
    "properties": {
        "name": STRING,
        "source_lang": {"type": "string", "enum": ["it", "en"]},
        "target_lang": {"type": "string", "enum": ["it", "en"]},
        "entries": STRING,
        "entries_format": {"type": "string", "enum": ["tsv", "csv"]},
    },
}
DEEPL_DOCUMENT = {
    "type": "object",
    "required": ["file", "target_lang"],
    "properties": {
        "file": BINARY,
        "source_lang": _DEEPL_LANGUAGE,
        "target_lang": _DEEPL_TARGET,
        "glossary_id": STRING,
        "output_format": STRING,
    },
}
DEEPL_DOCUMENT_KEY = {"type": "object", "required": ["document_key"], "properties": {"document_key": STRING}}


def body(fields: dict[str, Any] | None, upload: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI request body for a route that reads its body itself: ``fields`` as JSON
    or a form, ``upload`` as multipart (the routes accept each as LibreTranslate's
    clients send them)."""
    content: dict[str, Any] = {}
    if fields is not None:
        content["application/json"] = {"schema": fields}
        content["application/x-www-form-urlencoded"] = {"schema": fields}
    if upload is not None:
        content["multipart/form-data"] = {"schema": upload}
    return {"requestBody": {"required": True, "content": content}}
