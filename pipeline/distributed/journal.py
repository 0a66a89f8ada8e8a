"""The job's journal: what a run wrote and how a later run goes on from it.

Only the driver writes, each shard whole under its final name (:mod:`.storage`), so a
retried batch never produces duplicates and a reader never sees part of a shard. After
each full records shard the driver writes :data:`PROGRESS` next to the shards (last,
replacing the one before): the job's identity (the records' settings by the one identity
rule of :mod:`pipeline.identity`, the shard size, and each input file's name, size and
modification time), how many shards of each kind are complete, and the last input row
they cover. Re-running the same command after the driver died skips those rows and
writes the rest under the names an uninterrupted run would have used: the output is
byte for byte that of an uninterrupted run. A changed input or setting starts over (the
old shards removed), as the batch runner redoes changed documents.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ..config import PipelineConfig
from ..identity import record_identity
from ..terms import Glossary
from ..types import RunCounts
from .listing import Listed
from .storage import Output

__all__ = ["PROGRESS", "Progress", "ShardWriter", "job_identity", "resumed", "write_shards"]

log = logging.getLogger("it2en.distributed")

PROGRESS = "_it2en-progress.json"
"""The job's progress, next to its shards (see the module docstring)."""


@dataclass
class Progress:
    """What :data:`PROGRESS` holds: the job's identity, the shards complete, the last
    input row (file, row) they cover, the counts so far, and whether the job is done."""

    identity: str
    part: int = 0
    errors: int = 0
    through: tuple[int, int] | None = None
    processed: int = 0
    failed: int = 0
    done: bool = False

    @classmethod
    def read(cls, output: Output) -> Progress | None:
        """The progress in ``output``, or None (none, or not readable as one)."""
        text = output.read(PROGRESS)
        try:
            data = json.loads(text) if text else None
            if not isinstance(data, dict):
                return None
            file, row = data["through"] if data.get("through") else (None, None)
            through = (int(file), int(row)) if file is not None and row is not None else None
            counts = [int(data[key]) for key in ("part", "errors", "processed", "failed")]
            return cls(
                str(data["identity"]), counts[0], counts[1], through, counts[2], counts[3], bool(data["done"])
            )
        except (ValueError, KeyError, TypeError):
            return None

    def write(self, output: Output) -> None:
        output.write(PROGRESS, json.dumps(asdict(self), indent=1) + "\n")


def job_identity(
    config: PipelineConfig,
    summarize: bool,
    main_article: bool,
    records_per_shard: int,
    listed: Sequence[Listed],
    glossary: Glossary | None = None,
) -> str:
    """The identity of a job's output: the records' settings, the glossary (its terms and
    how they are followed), the shard size, and each input file's name, size and
    modification time."""
    identity = {
        "records": record_identity(config, summarize, main_article),
        "glossary": [config.glossary_method, glossary.digest()] if glossary else None,
        "records_per_shard": records_per_shard,
        "inputs": [[entry.uri, entry.file.id, entry.size, entry.mtime_ns] for entry in listed],
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def resumed(store: Output, identity: str) -> Progress:
    """The progress to go on from: the earlier run's when it did this same job, else a
    fresh one (the earlier run's shards removed, so none is left over)."""
    earlier = Progress.read(store)
    if earlier is not None and earlier.identity == identity:
        if not earlier.done:
            log.warning(
                "ray: resuming: %d records and %d failures are written already",
                earlier.processed,
                earlier.failed,
            )
        return earlier
    stale = [n for n in store.names() if n.startswith(("part-", "errors-")) and n.endswith(".jsonl")]
    if earlier is not None or stale:
        log.warning("ray: the inputs or settings changed since the output was written: starting over")
    for name in stale:
        store.remove(name)
    return Progress(identity)


@dataclass
class ShardCounts(RunCounts):
    """What the driver wrote: records, failures, shards, and the rows an earlier run had
    written (``skipped``, counted in ``processed`` and ``failed`` too)."""

    shards: int = 0


def write_shards(
    batches: Iterable[dict[str, Any]], store: Output, records_per_shard: int, progress: Progress
) -> ShardCounts:
    """Stream the workers' outputs, in order, into record and error shards; after each
    full records shard, the errors so far go into a shard too and the progress is
    written (so a later run resumes from there)."""
    earlier = progress.processed + progress.failed
    counts = ShardCounts(processed=progress.processed, failed=progress.failed, skipped=earlier)
    records = ShardWriter(store, "part", records_per_shard, progress.part)
    errors = ShardWriter(store, "errors", None, progress.errors)
    last: tuple[int, int] | None = progress.through

    def checkpoint(done: bool) -> None:
        records.flush()
        errors.flush()
        progress.part, progress.errors, progress.through = records.count, errors.count, last
        progress.processed, progress.failed, progress.done = counts.processed, counts.failed, done
        progress.write(store)

    for batch in batches:
        for kind, payload, file, row in zip(
            batch["kind"], batch["payload"], batch["file"], batch["row"], strict=True
        ):
            last = (int(file), int(row))
            if kind == "record":
                records.write(str(payload))
                counts.processed += 1
            else:
                errors.write(str(payload))
                counts.failed += 1
                failure = json.loads(str(payload))
                counts.internal += bool(failure.get("internal"))
                log.error("%s: %s", failure["input"], failure["reason"])
            if records.full:
                checkpoint(done=False)
    checkpoint(done=True)
    counts.shards = records.count
    return counts


class ShardWriter:
    """Lines into ``<prefix>-00000.jsonl``, ``-00001``…, numbered on from ``start``, each
    shard written whole; :attr:`full` once ``limit`` lines wait (None: no limit)."""

    def __init__(self, store: Output, prefix: str, limit: int | None, start: int):
        self.store, self.prefix, self.limit = store, prefix, limit
        self.count = start
        self._lines: list[str] = []

    @property
    def full(self) -> bool:
        return self.limit is not None and len(self._lines) >= self.limit

    def write(self, line: str) -> None:
        self._lines.append(line)

    def flush(self) -> None:
        if not self._lines:
            return
        self.store.write(f"{self.prefix}-{self.count:05d}.jsonl", "\n".join(self._lines) + "\n")
        self.count += 1
        self._lines = []
