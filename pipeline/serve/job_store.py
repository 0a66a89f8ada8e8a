"""The jobs folder: each job's state and files, written atomically, and the rules that keep
the folder bounded.

A job lives in a folder of its own, named by its id (128 random bits, never listed):
``job.json`` (its state), the input as uploaded, its own glossary if it was sent one, and
when it is done ``report.html``, ``result.json`` and the English copy. A job's folder
appears complete or not at all. Finished jobs are removed ``keep_hours`` after they
finished, and the oldest first whenever the folder holds more than ``max_jobs_mb``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..outputs import atomic_output
from ..terms import Glossary, Term

__all__ = ["GLOSSARY_FILE", "STATE_FILE", "JobRecord", "JobStore", "valid_job_id"]

log = logging.getLogger("it2en.serve")

STATE_FILE = "job.json"
GLOSSARY_FILE = "glossary.json"
_ID = re.compile(r"[A-Za-z0-9_-]{22}")


def valid_job_id(text: str) -> bool:
    """Whether ``text`` has the shape of a job id (so it can name a folder safely)."""
    return _ID.fullmatch(text) is not None


@dataclass
class JobRecord:
    """A job's state, as ``job.json`` holds it."""

    id: str
    task: str
    name: str
    """The input's file name as uploaded (``text.txt`` for pasted text)."""
    input: str
    """The input's file in the job's folder."""
    owner: str | None
    """The hash of the key that made the job (None: the service has no keys)."""
    created: float
    state: str = "queued"
    """``queued``, ``running``, ``done`` or ``failed``."""
    stage: str | None = None
    done: int = 0
    total: int = 0
    reason: str | None = None
    started: float | None = None
    finished: float | None = None
    files: dict[str, str] = field(default_factory=dict)
    """``report``, ``result`` and ``document``: file names in the job's folder."""
    extent: str = ""
    """The document's size as a person counts it (``12 pages``, ``1,200 paragraphs``),
    once it is read."""
    glossary: str | None = None
    """The job's own glossary file in its folder (JSON terms), when it was sent one."""
    secret: str | None = None
    """DeepL's ``document_key``: what a DeepL client shows to follow and fetch the job."""

    def public(self, keep_seconds: float) -> dict[str, Any]:
        """What a caller is told: the state, progress, reason, links and expiry (never
        the owner)."""
        data: dict[str, Any] = {
            "id": self.id,
            "task": self.task,
            "name": self.name,
            "state": self.state,
            "created": _iso(self.created),
        }
        if self.extent:
            data["extent"] = self.extent
        if self.state == "running":
            percent = 100 * self.done // self.total if self.total else None
            data.update(stage=self.stage, done=self.done, total=self.total, percent=percent)
        if self.reason:
            data["reason"] = self.reason
        if self.finished is not None:
            data["finished"] = _iso(self.finished)
            data["expires"] = _iso(self.finished + keep_seconds)
        if self.files:
            data["files"] = {role: f"/v1/jobs/{self.id}/{name}" for role, name in self.files.items()}
        return data


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class JobStore:
    """The jobs folder: each job's files, written atomically, and the rules that keep it
    bounded."""

    def __init__(self, root: Path, *, keep_hours: float = 24.0, max_mb: float = 1024.0):
        self.root = root
        self.keep_seconds = keep_hours * 3600
        self.max_bytes = int(max_mb * 1024 * 1024)
        root.mkdir(parents=True, exist_ok=True)

    def create(
        self,
        task: str,
        name: str,
        data: bytes,
        owner: str | None,
        glossary: Glossary | None = None,
        secret: str | None = None,
    ) -> JobRecord:
        """A new queued job holding ``data`` and its own ``glossary``, if any (its folder
        complete before it appears); ``secret``, DeepL's document key."""
        job_id = secrets.token_urlsafe(16)
        suffix = Path(name).suffix.lower()
        record = JobRecord(job_id, task, name, f"input{suffix}", owner, time.time(), secret=secret)
        work = self.root / f".new-{job_id}"
        work.mkdir()
        with atomic_output(work / record.input, binary=True) as stream:
            stream.write(data)
        if glossary:
            record.glossary = GLOSSARY_FILE
            with atomic_output(work / GLOSSARY_FILE) as stream:
                json.dump([[t.source, t.target, list(t.forbidden)] for t in glossary.terms], stream)
        self._write_state(work, record)
        os.replace(work, self.root / job_id)
        return record

    def get(self, job_id: str) -> JobRecord | None:
        """The job ``job_id``, or None (unknown, removed, or not a job id)."""
        if not valid_job_id(job_id):
            return None
        try:
            data = json.loads((self.root / job_id / STATE_FILE).read_text(encoding="utf-8"))
            return JobRecord(**data)
        except (OSError, ValueError, TypeError):
            return None

    def save(self, record: JobRecord) -> None:
        """Write ``record`` (nothing when its job has been removed meanwhile)."""
        folder = self.root / record.id
        if folder.is_dir():
            self._write_state(folder, record)

    def _write_state(self, folder: Path, record: JobRecord) -> None:
        with atomic_output(folder / STATE_FILE) as stream:
            json.dump(asdict(record), stream)

    def path(self, record: JobRecord, name: str) -> Path:
        return self.root / record.id / name

    def glossary(self, record: JobRecord) -> Glossary | None:
        """The job's own glossary, if it was sent one."""
        if record.glossary is None:
            return None
        rows = json.loads(self.path(record, record.glossary).read_text(encoding="utf-8"))
        return Glossary(tuple(Term(source, target, "glossary", tuple(bad)) for source, target, bad in rows))

    def write(self, record: JobRecord, files: dict[str, tuple[str, bytes]]) -> None:
        """Write a finished job's files (role -> (file name, bytes)), each atomically
        (nothing when the job has been removed meanwhile)."""
        if not (self.root / record.id).is_dir():
            return
        for name, content in files.values():
            with atomic_output(self.path(record, name), binary=True) as stream:
                stream.write(content)

    def remove(self, job_id: str) -> None:
        if valid_job_id(job_id):
            shutil.rmtree(self.root / job_id, ignore_errors=True)

    def expired(self, record: JobRecord, now: float | None = None) -> bool:
        return record.finished is not None and record.finished + self.keep_seconds <= (now or time.time())

    def records(self) -> list[JobRecord]:
        """Every job in the folder, oldest first."""
        found = (self.get(entry.name) for entry in self.root.iterdir() if valid_job_id(entry.name))
        return sorted((r for r in found if r is not None), key=lambda r: r.created)

    def sweep(self) -> list[str]:
        """Remove finished jobs past ``keep_hours``, then the oldest finished ones while
        the folder holds more than ``max_jobs_mb``; the ids removed. Jobs queued or
        running are never removed."""
        now, removed = time.time(), []
        finished = [r for r in self.records() if r.finished is not None]
        for record in finished:
            if self.expired(record, now):
                self.remove(record.id)
                removed.append(record.id)
        kept = [r for r in finished if r.id not in removed]
        sizes = {r.id: _size(self.root / r.id) for r in kept}
        total = sum(sizes.values())
        for record in sorted(kept, key=lambda r: r.finished or 0):
            if total <= self.max_bytes:
                break
            self.remove(record.id)
            removed.append(record.id)
            total -= sizes[record.id]
        for entry in self.root.glob(".new-*"):  # a creation cut short by a crash
            if now - entry.stat().st_mtime > 3600:
                shutil.rmtree(entry, ignore_errors=True)
        if removed:
            log.info("jobs: removed %d finished job(s) past their keeping time or size", len(removed))
        return removed


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
