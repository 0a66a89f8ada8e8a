"""Scale out on Ray Data: the same pipeline, one copy per worker actor, across a cluster.

Input files become a Ray dataset of files, read by the same reader as on one machine
(:func:`pipeline.io.read_bytes`: a row per document, a JSONL file split into a row per
line, ids by the one rule of :mod:`pipeline.io`); rows flow through ``map_batches`` into
:class:`_Worker`, a callable class whose actors each load the models once and run
:meth:`Pipeline.process_many` on their batches. Every row comes back
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
import os
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from .config import PipelineConfig
from .errors import ConfigError, MissingResource, reason
from .io import (
    DEFAULT_GLOBS,
    EMPTY_NAME,
    InputFile,
    discover_inputs,
    found_input,
    named_input,
    read_bytes,
)
from .outputs import atomic_output
from .pipeline import Pipeline
from .types import Document, Failure

__all__ = ["DistributedOptions", "DistributedReport", "run_distributed"]

log = logging.getLogger("it2en.distributed")

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
    summarize: bool = True
    main_article: bool = False
    """Of HTML pages, only the main article."""
    records_per_shard: int = 1000
    """Records per output shard file (the driver holds one shard's lines at a time)."""

    def __post_init__(self) -> None:
        if self.workers < 1 or self.records_per_shard < 1:
            raise ConfigError("workers and records-per-shard must be positive")
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
    """One actor: loads the models once, then turns batches of documents into records."""

    def __init__(self, config: dict[str, Any], summarize: bool):
        self.pipeline = Pipeline(PipelineConfig(**config))
        self.summarize = summarize

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        items = [_from_row(*row) for row in zip(*(batch[c] for c in _ROW), strict=True)]
        outcomes = list(self.pipeline.process_many(items, summarize=self.summarize))
        return {
            "id": [o.id or "" for o in outcomes],
            "kind": ["error" if isinstance(o, Failure) else "record" for o in outcomes],
            "payload": [json.dumps(o.to_dict(), ensure_ascii=False) for o in outcomes],
        }


_ROW = ("ok", "id", "origin", "text", "layout")
"""The columns of a document row: a Document (``ok``) or a Failure (``text`` its reason);
``layout`` is an HTML, DOCX or PDF document's layout, pickled (rows go between it2en's
own processes only), or empty."""


def _to_row(item: Document | Failure) -> dict[str, Any]:
    if isinstance(item, Document):
        layout = pickle.dumps(item.layout) if item.layout is not None else b""
        return {"ok": True, "id": item.id, "origin": item.origin, "text": item.text, "layout": layout}
    return {"ok": False, "id": item.id or "", "origin": item.origin, "text": item.reason, "layout": b""}


def _from_row(ok: Any, doc_id: Any, origin: Any, text: Any, layout: Any) -> Document | Failure:
    if ok:
        shape = pickle.loads(bytes(layout)) if layout else None
        return Document(id=str(doc_id), text=str(text), origin=str(origin), layout=shape)
    return Failure(str(doc_id) or None, str(origin), str(text))


class _Reader:
    """Turns a file row (``path``, ``bytes``) into document rows, naming each file as
    :func:`pipeline.io.discover_inputs` would: local files were listed on the driver;
    files under a remote prefix (s3://, gs://) are named by their path below it."""

    def __init__(
        self, local: dict[str, InputFile], prefixes: list[str], globs: Sequence[str], main_article: bool
    ):
        self.local, self.prefixes, self.globs, self.main_article = local, prefixes, globs, main_article

    def __call__(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        path = str(row["path"])
        file = self.local.get(os.path.abspath(path)) or self._remote(path)
        if file is None:  # under a remote prefix but not a document (hidden, other suffix)
            return []
        items = read_bytes(bytes(row["bytes"]), file, main_article=self.main_article)
        return [_to_row(item) for item in items]

    def _remote(self, path: str) -> InputFile | None:
        posix = PurePosixPath(path)
        for prefix in self.prefixes:
            if posix.is_relative_to(prefix) and posix != PurePosixPath(prefix):
                return found_input(path, posix.relative_to(prefix), self.globs)
        return named_input(path)


def _remote_prefix(uri: str) -> str:
    """A remote URI as Ray names the paths below it: without its scheme."""
    return uri.split("://", 1)[1].rstrip("/")


def run_distributed(
    inputs: Sequence[str], output_dir: str | Path, config: PipelineConfig, options: DistributedOptions
) -> DistributedReport:
    """Process every document of ``inputs`` on Ray; write ``part-NNNNN.jsonl`` shards of
    records and ``errors-NNNNN.jsonl`` shards of failures into ``output_dir``."""
    if any(not str(item) for item in inputs):  # abspath("") would be the working folder
        raise ConfigError(EMPTY_NAME)
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise MissingResource(f"{INSTALL_HINT} ({reason(exc)})") from None
    remote = [item for item in inputs if "://" in item]
    local = {
        os.path.abspath(file.path): file
        for file in discover_inputs([i for i in inputs if "://" not in i], DEFAULT_GLOBS, exclude=output_dir)
    }
    if not local and not remote:
        raise ConfigError("no input files found (expected .jsonl, .txt, .md, .html, .docx or .pdf)")
    if not ray.is_initialized():
        ray.init(address=options.address, logging_level=logging.WARNING, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    # Shards in input order: the same order as a single-machine run, for a small cost.
    context.execution_options.preserve_order = True
    # Ray Data logs its plan and progress at INFO (every few seconds in a pipe); it2en
    # reports the outcome itself.
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    files = ray.data.read_binary_files([*local, *remote], include_paths=True)
    reader = _Reader(local, [_remote_prefix(uri) for uri in remote], DEFAULT_GLOBS, options.main_article)
    # A block per chunk of documents, so that one large JSONL file feeds every actor.
    documents = files.flat_map(reader).repartition(target_num_rows_per_block=config.docs_per_chunk)
    results = _processed(ray, documents, config, options)
    return _write_shards(
        results.iter_batches(batch_size=config.docs_per_chunk, batch_format="numpy"), output_dir, options
    )


def _processed(ray: Any, documents: Any, config: PipelineConfig, options: DistributedOptions) -> Any:
    """``documents`` (a dataset of document rows) through a pool of :class:`_Worker` actors."""
    # As many threads as the CPUs asked for each actor, not the whole node's.
    worker_config = replace(config, threads=config.threads or max(1, int(options.cpus_per_worker)))
    return documents.map_batches(
        _Worker,
        fn_constructor_kwargs={"config": asdict(worker_config), "summarize": options.summarize},
        batch_size=config.docs_per_chunk,
        # A fixed pool; Ray Data restarts dead actors and retries their batches by default
        # (max_restarts = max_task_retries = -1 for actor pools).
        compute=ray.data.ActorPoolStrategy(size=options.workers),
        num_cpus=_actor_cpus(options, ray.cluster_resources().get("CPU", 0.0)),
        num_gpus=options.gpus_per_worker or None,
        batch_format="numpy",
    )


def _write_shards(
    batches: Iterable[dict[str, Any]], output_dir: str | Path, options: DistributedOptions
) -> DistributedReport:
    """Stream the workers' outputs, in order, into record and error shards."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = DistributedReport()
    with (
        _ShardWriter(out, "part", options.records_per_shard) as records,
        _ShardWriter(out, "errors", options.records_per_shard) as errors,
    ):
        for batch in batches:
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
        raise MissingResource(
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
