"""Jobs: one document translated (and summarized) in the background, followed by its id
(``/v1/jobs``); what the web page and LibreTranslate's ``/translate_file`` use. A job is
seen only with the key that made it; its files are served from the jobs folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse

from ...errors import It2enError
from ...terms import Glossary
from ...uploads import check_upload, upload_name
from .. import schema
from ..access import Authorised, Identified, Parameters
from ..glossaries import request_glossary
from ..job_store import JobRecord
from ..jobs import check_task
from ..refusals import Refused
from ..service import Service
from . import Served

__all__ = ["new_job", "router"]

router = APIRouter()
_MEDIA = {".html": "text/html", ".json": "application/json", ".txt": "text/plain"}


async def new_job(
    service: Service,
    values: dict[str, Any],
    task: str,
    owner: str | None,
    *,
    text_allowed: bool,
    glossary: Glossary | None = None,
    secret: str | None = None,
) -> JobRecord:
    """A queued job for the request's ``file`` (or, ``text_allowed``, its ``text``) and
    its own ``glossary`` (given, else the request's field), if any; 400 for a missing,
    empty or unsupported one. ``secret``: DeepL's document key."""
    upload = values.get("file")
    if upload is not None and hasattr(upload, "read"):
        name = upload_name(getattr(upload, "filename", None), "document.txt")
        raw = await upload.read()
    elif not text_allowed:
        raise Refused(400, "Invalid request: missing file parameter")
    else:
        text = values.get("text")
        if not isinstance(text, str) or not text.strip():
            raise Refused(400, "Invalid request: missing text or file")
        name, raw = upload_name(str(values.get("name") or ""), "text.txt"), text.encode("utf-8")
    try:
        check_upload(name, raw)
    except It2enError as exc:
        raise Refused(400, str(exc)) from None
    glossary = glossary or await request_glossary(values.get("glossary"), english_source=False)
    record = await service.off_loop(lambda: service.store.create(task, name, raw, owner, glossary, secret))
    service.runner.submit(record)
    return record


@router.post("/v1/jobs", status_code=202, openapi_extra=schema.body(schema.JOB, schema.JOB_UPLOAD))
async def create_job(values: Parameters, caller: Authorised, service: Served) -> JSONResponse:
    """A job for one document: multipart ``file`` (or JSON/form ``text``) and ``task``
    (translate or summarize); answers its id and where to follow it."""
    try:
        task = check_task(values.get("task") or "translate")
    except It2enError as exc:
        raise Refused(400, f"Invalid request: {exc}") from None
    record = await new_job(service, values, task, caller.owner, text_allowed=True)
    url = f"/v1/jobs/{record.id}"
    return JSONResponse({"id": record.id, "status_url": url}, status_code=202, headers={"Location": url})


def job_of(service: Service, caller: Identified, job_id: str) -> JobRecord:
    """The job ``job_id`` if the caller's key made it (404 otherwise, the same for a job
    of another key as for none, so ids cannot be probed)."""
    record = service.runner.get(job_id)
    if record is None or (service.keys.required and record.owner != caller.owner):
        raise Refused(404, "no such job: it was deleted, or its results expired, or it never was")
    if service.store.expired(record):
        service.store.remove(job_id)
        raise Refused(404, "this job's results have expired and were removed")
    return record


@router.get("/v1/jobs/{job_id}")
async def job_state(job_id: str, caller: Identified, service: Served) -> dict[str, Any]:
    """The job's state: queued, running (stage, done, total and the unit a person counts
    in), done (links to its files, and when they expire) or failed (the one-line
    reason)."""
    return job_of(service, caller, job_id).public(service.store.keep_seconds)


@router.get("/v1/jobs/{job_id}/{name}", responses=schema.FILES)
async def job_file(job_id: str, name: str, caller: Identified, service: Served) -> FileResponse:
    """One file of a finished job: report.html, result.json, or the English copy."""
    record = job_of(service, caller, job_id)
    if name not in record.files.values():
        raise Refused(404, f"no file {name[:80]!r} in this job")
    role = next(r for r, n in record.files.items() if n == name)
    download = f"{Path(record.name).stem or 'document'}.{name}" if role != "document" else name
    return FileResponse(
        service.store.path(record, name),
        media_type=_MEDIA.get(Path(name).suffix) or "application/octet-stream",
        filename=download,
        content_disposition_type="inline" if role == "report" else "attachment",
    )


@router.delete("/v1/jobs/{job_id}")
async def delete_job(job_id: str, caller: Identified, service: Served) -> dict[str, str]:
    """Stop the job if it runs, and remove it with its files."""
    job_of(service, caller, job_id)
    service.runner.delete(job_id)
    return {"deleted": job_id}
