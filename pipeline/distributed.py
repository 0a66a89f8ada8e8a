"""Scale out on Ray Data: the same pipeline, one copy per worker actor, across a cluster.

Input files become a Ray dataset (a row per JSONL line, a row per text file); rows flow
through ``map_batches`` into :class:`_Worker`, a callable class whose actors each load the
models once and run :meth:`Pipeline.process_many` on their batches. Every row comes back
as either a record (exactly what ``summarize --format jsonl`` prints) or an error record.
The driver streams the results, in input order, and writes them into JSONL shards.

Fault tolerance: a worker that dies has its actor restarted and its unfinished batch
re-run by Ray (``max_restarts`` / ``max_task_retries``). Results reach the driver only
from finished batches, and only the driver writes, each shard atomically, so a retried
batch never produces duplicates and a lost one never leaves holes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from .config import PipelineConfig
from .errors import ConfigError
from .io import atomic_output, decode_text, one_line, parse_jsonl_line
from .pipeline import Pipeline, content_id
from .types import Document, Failure

__all__ = ["DistributedOptions", "DistributedReport", "run_distributed"]

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
INSTALL_HINT = "it2en ray needs Ray Data: pip install 'it2en[ray]'"


@dataclass(frozen=True)
class DistributedOptions:
    """How the job is spread: workers, GPU shares, batch size, and what to run."""

    address: str | None = None
    """Ray cluster address (``auto``, ``ray://host:10001``); None starts a local Ray."""
    workers: int = 1
    """Actors, each with its own copy of the models."""
    gpus_per_worker: float = 0.0
    """GPU share of each actor (0 on CPU clusters; 0.5 puts two actors on one GPU)."""
    cpus_per_worker: float = 1.0
    """CPUs Ray reserves for each actor; on CPU the actor runs that many threads (unless
    the config sets ``threads``)."""
    docs_per_batch: int = 64
    """Documents handed to an actor at once (pooled into shared batches there)."""
    summarize: bool = True
    records_per_shard: int = 1000
    """Records per output shard file (the driver holds one shard's lines at a time)."""

    def __post_init__(self) -> None:
        if self.workers < 1 or self.docs_per_batch < 1 or self.records_per_shard < 1:
            raise ConfigError("workers, docs-per-batch and records-per-shard must be positive")
        if self.gpus_per_worker < 0:
            raise ConfigError("gpus-per-worker must not be negative")
        if self.cpus_per_worker <= 0:
            raise ConfigError("cpus-per-worker must be positive")


@dataclass
class DistributedReport:
    processed: int = 0
    failed: int = 0
    shards: int = 0


class _Worker:
    """One actor: loads the models once, then turns batches of rows into records."""

    def __init__(self, config: dict[str, Any], summarize: bool):
        self.pipeline = Pipeline(PipelineConfig(**config))
        self.summarize = summarize

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        items = [_row_to_document(row_id, path, data) for row_id, path, data in _rows(batch)]
        outcomes = list(self.pipeline.process_many(items, summarize=self.summarize))
        return {
            "id": [o.id or "" for o in outcomes],
            "kind": ["error" if isinstance(o, Failure) else "record" for o in outcomes],
            "payload": [json.dumps(o.to_dict(), ensure_ascii=False) for o in outcomes],
        }


def _rows(batch: dict[str, Any]) -> Iterator[tuple[int, str, Any]]:
    """``(row, path, data)`` of a batch: a JSONL line from the ``text`` column or a whole
    file from the ``bytes`` column (a union of both readers has both, one of them null)."""
    texts, blobs = batch.get("text"), batch.get("bytes")
    for index, path in enumerate(batch["path"]):
        blob = blobs[index] if blobs is not None else None
        data = blob if isinstance(blob, (bytes, bytearray)) else texts[index] if texts is not None else None
        yield index, str(path), data


def _row_to_document(index: int, path: str, data: Any) -> Document | Failure:
    """A JSONL line (str) or a whole text file (bytes) as a Document, or a Failure."""
    stem = PurePosixPath(path).stem
    if isinstance(data, (bytes, bytearray)):
        try:
            text = decode_text(bytes(data))
        except Exception as exc:
            return Failure(stem, path, str(exc))
        return Document(id=stem, text=text, origin=path)
    if data is None:
        return Failure(stem, path, "no content")
    line = str(data)
    # Ray's rows carry no line number; the line's start names it instead.
    start = line.strip()
    where = f"{path} (line {one_line(start[:40] + ('…' if len(start) > 40 else ''))!r})"
    return parse_jsonl_line(line, where, f"{stem}-{content_id(line)}")


def _split_inputs(inputs: Sequence[str]) -> tuple[list[str], list[str]]:
    """JSONL paths and text-file paths; local folders are listed, remote URIs (s3://,
    gs://) are passed to Ray, which lists them with pyarrow/fsspec."""
    jsonl: list[str] = []
    text: list[str] = []
    for item in inputs:
        path = Path(item)
        if "://" not in item and path.is_dir():
            for file in sorted(path.rglob("*")):
                if file.suffix.lower() == ".jsonl":
                    jsonl.append(str(file))
                elif file.suffix.lower() in TEXT_SUFFIXES:
                    text.append(str(file))
        elif item.lower().endswith(".jsonl") or ("://" in item and not item.lower().endswith(TEXT_SUFFIXES)):
            jsonl.append(item)
        else:
            text.append(item)
    return jsonl, text


def run_distributed(
    inputs: Sequence[str], output_dir: str | Path, config: PipelineConfig, options: DistributedOptions
) -> DistributedReport:
    """Process every document of ``inputs`` on Ray; write ``part-NNNNN.jsonl`` shards of
    records and ``errors-NNNNN.jsonl`` shards of failures into ``output_dir``."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    jsonl, text = _split_inputs(inputs)
    if not jsonl and not text:
        raise ConfigError("no input files found (expected .jsonl, .txt or .md)")
    if not ray.is_initialized():
        ray.init(address=options.address, logging_level=logging.WARNING, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    # Shards in input order: the same order as a single-machine run, for a small cost.
    context.execution_options.preserve_order = True
    # Ray Data logs its plan and progress at INFO (every few seconds in a pipe); it2en
    # reports the outcome itself.
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    datasets = []
    if jsonl:
        datasets.append(ray.data.read_text(jsonl, include_paths=True, drop_empty_lines=True))
    if text:
        datasets.append(ray.data.read_binary_files(text, include_paths=True))
    dataset = datasets[0] if len(datasets) == 1 else datasets[0].union(*datasets[1:])
    # As many threads as the CPUs asked for each actor, not the whole node's.
    worker_config = replace(config, threads=config.threads or max(1, int(options.cpus_per_worker)))
    actor_cpus = _actor_cpus(options, ray.cluster_resources().get("CPU", 0.0))
    results = dataset.map_batches(
        _Worker,
        fn_constructor_kwargs={"config": asdict(worker_config), "summarize": options.summarize},
        batch_size=options.docs_per_batch,
        # A fixed pool; Ray Data restarts dead actors and retries their batches by default
        # (max_restarts = max_task_retries = -1 for actor pools).
        compute=ray.data.ActorPoolStrategy(size=options.workers),
        num_cpus=actor_cpus,
        num_gpus=options.gpus_per_worker or None,
        batch_format="numpy",
    )
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = DistributedReport()
    with (
        _ShardWriter(out, "part", options.records_per_shard) as records,
        _ShardWriter(out, "errors", options.records_per_shard) as errors,
    ):
        for batch in results.iter_batches(batch_size=options.docs_per_batch, batch_format="numpy"):
            for kind, payload in zip(batch["kind"], batch["payload"], strict=True):
                if kind == "record":
                    records.write(str(payload))
                    report.processed += 1
                else:
                    errors.write(str(payload))
                    report.failed += 1
                    failure = json.loads(str(payload))
                    log.error("%s: %s", failure["input"], failure["reason"])
    report.shards = records.count
    return report


_READ_CPUS = 1.0
"""CPU that Ray Data's read tasks need next to the actors: reserve it all to the actors
and the reads wait for ever, and so does the job."""


def _actor_cpus(options: DistributedOptions, cluster_cpus: float) -> float:
    """CPUs to reserve per actor so that the pool and the read tasks fit on the cluster
    together: ``cpus_per_worker``, or less when the cluster is too small (the actors still
    run their configured threads). An unknown size (0) is taken as large enough."""
    wanted = options.workers * options.cpus_per_worker
    if not cluster_cpus or wanted + _READ_CPUS <= cluster_cpus:
        return options.cpus_per_worker
    share = (cluster_cpus - _READ_CPUS) / options.workers
    if share < 0.01:
        raise ConfigError(
            f"ray: the cluster has {cluster_cpus:g} CPUs; {options.workers} workers and the reading "
            f"need more than {_READ_CPUS:g}: use a bigger cluster"
        )
    log.warning(
        "ray: %d workers x %g CPUs and the reading need %g CPUs, the cluster has %g: "
        "reserving %.2f per worker",
        options.workers,
        options.cpus_per_worker,
        wanted + _READ_CPUS,
        cluster_cpus,
        share,
    )
    return share


class _ShardWriter:
    """Writes lines into ``<prefix>-00000.jsonl``, ``-00001``… of at most ``limit`` lines,
    each shard atomically."""

    def __init__(self, folder: Path, prefix: str, limit: int):
        self.folder, self.prefix, self.limit = folder, prefix, limit
        self.count = 0
        self._lines: list[str] = []

    def __enter__(self) -> _ShardWriter:
        return self

    def write(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= self.limit:
            self._flush()

    def _flush(self) -> None:
        if not self._lines:
            return
        with atomic_output(self.folder / f"{self.prefix}-{self.count:05d}.jsonl") as stream:
            stream.write("\n".join(self._lines) + "\n")
        self.count += 1
        self._lines = []

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self._flush()
