"""The service's jobs folder without a server or a model (pipeline.serve.jobs.JobStore):
a job's folder appears whole, ids are checked, expired and oversize jobs go oldest
first, never a running one."""

from __future__ import annotations

import json
import os
import time

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")
from pipeline.serve.job_store import JobStore, valid_job_id


def test_a_job_folder_appears_whole_and_ids_are_checked(tmp_path):
    store = JobStore(tmp_path)
    record = store.create("translate", "nota.txt", b"Ciao.", None)
    assert valid_job_id(record.id)
    assert len(record.id) == 22
    assert (tmp_path / record.id / "input.txt").read_bytes() == b"Ciao."
    assert json.loads((tmp_path / record.id / "job.json").read_text())["state"] == "queued"
    assert not list(tmp_path.glob(".new-*"))
    assert store.get(record.id) == record
    for probe in ("../etc", "A" * 22, "", record.id + "/"):
        assert store.get(probe) is None


def test_expired_and_oversize_jobs_are_removed_oldest_first(tmp_path):
    store = JobStore(tmp_path, keep_hours=1.0, max_mb=0.003)  # about 3 KB: two finished jobs
    now = time.time()
    made = []
    for n in range(4):
        record = store.create("translate", f"n{n}.txt", b"x" * 900, None)
        record.state, record.finished = "done", now - 10 + n
        store.save(record)
        made.append(record)
    running = store.create("translate", "running.txt", b"x" * 5000, None)
    old = made[0]
    old.finished = now - 2 * 3600  # past keep_hours
    store.save(old)
    removed = store.sweep()
    assert removed == [old.id, made[1].id]  # the expired one, then the oldest while over the size
    assert store.get(made[3].id) is not None
    assert store.get(running.id) is not None  # never a running one
    stale = tmp_path / ".new-cut-short"
    stale.mkdir()
    os.utime(stale, (now - 7200, now - 7200))
    store.sweep()
    assert not stale.exists()
