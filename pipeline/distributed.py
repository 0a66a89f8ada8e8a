"""Scale out on Ray Data: the same pipeline, one copy per worker actor, across a cluster.

Input files become a Ray dataset of files, read by the same reader as on one machine
(:func:`pipeline.io.read_bytes`: a row per document, a JSONL file split into a row per
line, ids by the one rule of :mod:`pipeline.io`); rows flow through ``map_batches`` into
:class:`_Worker`, a callable class whose actors each load the models once and run
:meth:`Pipeline.process_many` on their batches. Every row comes back
as either a record (exactly what ``summarize --format jsonl`` prints) or an error record.
The driver streams the results, in input order, and writes them into JSONL shards.

Inputs and output may be local folders or anything pyarrow's filesystems know (``s3://``,
``gs://``, ...; credentials and endpoint from the usual environment variables).

Fault tolerance: a worker that dies (or the node it ran on) has its actor restarted and
its unfinished batch re-run by Ray (``max_restarts`` / ``max_task_retries``). Results
reach the driver only from finished batches, and only the driver writes, each shard
whole under its final name (a local file by an atomic rename; an object store publishes
an object only when its upload completes), so a retried batch never produces duplicates,
a lost one never leaves holes, and a reader never sees part of a shard.

Resuming: after each full records shard the driver writes :data:`PROGRESS` next to the
shards (last, replacing the one before): the job's identity (the records' settings by the
one identity rule of :mod:`pipeline.identity`, the shard size, and each input file's
name, size and modification time), how many shards of each kind are complete, and the
last input row they cover (rows are numbered by file, then by position in the file).
Re-running the same command after the driver died skips those rows, so no row is worked
twice, and writes the rest under the names an uninterrupted run would have used; the
output is byte for byte that of an uninterrupted run. A changed input or setting makes
the job start over (the old shards are removed), as the batch runner redoes changed
documents.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from .config import PipelineConfig
from .engines import Seq2SeqEngine
from .errors import ConfigError, MissingResource, reason
from .identity import record_identity
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
PROGRESS = "_it2en-progress.json"
"""The job's progress, next to its shards (see the module docstring)."""


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
    """Records per output shard file (the driver holds one shard's lines at a time), and
    so how often the progress is written."""
    engines: Callable[[], Mapping[str, Seq2SeqEngine]] | None = None
    """Library use: makes each worker's engines by role instead of loading the configured
    models, as ``Pipeline(engines=...)`` (pickled to the workers; a benchmark's fake engine,
    another runtime)."""

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
    skipped: int = 0
    """Rows an earlier run had written (resuming); counted in ``processed`` and ``failed``."""
    restarts: int = 0
    """Worker actors Ray restarted during the job (a process or node lost): each re-ran
    the batch it had not finished."""


class _Worker:
    """One actor: loads the models once, then turns batches of documents into records."""

    def __init__(
        self,
        config: dict[str, Any],
        summarize: bool,
        engines: Callable[[], Mapping[str, Seq2SeqEngine]] | None,
    ):
        import ray

        self.pipeline = Pipeline(PipelineConfig(**config), engines=engines() if engines is not None else None)
        self.summarize = summarize
        context = ray.get_runtime_context()
        # An incarnation after a restart says so in its rows, for the end-of-run count.
        self.restart = context.get_actor_id() if context.was_current_actor_reconstructed else ""

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        items = [_from_row(*row) for row in zip(*(batch[c] for c in _ROW), strict=True)]
        outcomes = list(self.pipeline.process_many(items, summarize=self.summarize))
        return {
            "id": [o.id or "" for o in outcomes],
            "kind": ["error" if isinstance(o, Failure) else "record" for o in outcomes],
            "payload": [json.dumps(o.to_dict(), ensure_ascii=False) for o in outcomes],
            "file": list(batch["file"]),
            "row": list(batch["row"]),
            "restart": [self.restart] * len(outcomes),
        }


_ROW = ("ok", "id", "origin", "text", "layout")
"""The columns of a document row: a Document (``ok``) or a Failure (``text`` its reason);
``layout`` is an HTML, DOCX or PDF document's layout, pickled (rows go between it2en's
own processes only), or empty. Besides them, ``file`` and ``row`` number the row (the
input file's place in the listing, the row's place in its file) for resuming."""


def _to_row(item: Document | Failure, file: int, row: int) -> dict[str, Any]:
    key = {"file": file, "row": row}
    if isinstance(item, Document):
        layout = pickle.dumps(item.layout) if item.layout is not None else b""
        return {"ok": True, "id": item.id, "origin": item.origin, "text": item.text, "layout": layout, **key}
    return {
        "ok": False,
        "id": item.id or "",
        "origin": item.origin,
        "text": item.reason,
        "layout": b"",
        **key,
    }


def _from_row(ok: Any, doc_id: Any, origin: Any, text: Any, layout: Any) -> Document | Failure:
    if ok:
        shape = pickle.loads(bytes(layout)) if layout else None
        return Document(id=str(doc_id), text=str(text), origin=str(origin), layout=shape)
    return Failure(str(doc_id) or None, str(origin), str(text))


@dataclass(frozen=True)
class _Listed:
    """An input file: how Ray names it, where it is, how it2en names it, and what
    identifies its content (size, modification time)."""

    ray_path: str
    uri: str
    file: InputFile
    size: int
    mtime_ns: int


class _Reader:
    """Turns a file row (``path``, ``bytes``) into document rows numbered by file and row,
    leaving out the rows up to ``through`` (written by an earlier run)."""

    def __init__(self, listed: Sequence[_Listed], through: tuple[int, int] | None, main_article: bool):
        self.files = {entry.ray_path: (index, entry.file) for index, entry in enumerate(listed)}
        self.through, self.main_article = through, main_article

    def __call__(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        path = str(row["path"])
        index, file = self.files.get(path) or self.files[os.path.abspath(path)]
        items = read_bytes(bytes(row["bytes"]), file, main_article=self.main_article)
        rows = (_to_row(item, index, n) for n, item in enumerate(items))
        return [r for r in rows if self.through is None or (r["file"], r["row"]) > self.through]


def _list_inputs(inputs: Sequence[str], output: str) -> list[_Listed]:
    """Every input file, in the order of the single-machine runners: local files as
    :func:`pipeline.io.discover_inputs` lists them, files under a remote prefix sorted by
    path (named by their path below it)."""
    listed = []
    exclude = output if "://" not in output else None
    for file in discover_inputs([i for i in inputs if "://" not in i], DEFAULT_GLOBS, exclude=exclude):
        path = os.path.abspath(file.path)
        info = os.stat(path)
        listed.append(_Listed(path, path, file, info.st_size, info.st_mtime_ns))
    for uri in (i for i in inputs if "://" in i):
        from pyarrow import fs as pafs

        filesystem, base = pafs.FileSystem.from_uri(uri)
        scheme = uri.split("://", 1)[0]
        top = filesystem.get_file_info(base)
        if top.type == pafs.FileType.File:
            infos = [top]
        elif top.type == pafs.FileType.Directory:
            infos = sorted(
                filesystem.get_file_info(pafs.FileSelector(base, recursive=True)), key=lambda i: i.path
            )
        else:
            raise ConfigError(f"{uri}: input not found")
        for info in infos:
            if info.type != pafs.FileType.File:
                continue
            if info is top:
                file = named_input(f"{scheme}://{info.path}")
            else:
                found = found_input(
                    f"{scheme}://{info.path}", PurePosixPath(info.path).relative_to(base), DEFAULT_GLOBS
                )
                if found is None:  # hidden, or another suffix
                    continue
                file = found
            mtime = info.mtime_ns or 0
            listed.append(_Listed(info.path, f"{scheme}://{info.path}", file, info.size or 0, mtime))
    return listed


class _Output:
    """The output folder: local (each file by an atomic rename) or on a filesystem pyarrow
    knows (an object is published whole when its upload completes)."""

    def __init__(self, output: str):
        self.local: Path | None = None
        if "://" in output:
            from pyarrow import fs as pafs

            self.fs, self.base = pafs.FileSystem.from_uri(output)
            self.fs.create_dir(self.base, recursive=True)
        else:
            self.local = Path(output)
            self.local.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, text: str) -> None:
        if self.local is not None:
            with atomic_output(self.local / name) as stream:
                stream.write(text)
        else:
            with self.fs.open_output_stream(f"{self.base}/{name}") as stream:
                stream.write(text.encode("utf-8"))

    def read(self, name: str) -> str | None:
        try:
            if self.local is not None:
                return (self.local / name).read_text(encoding="utf-8")
            with self.fs.open_input_stream(f"{self.base}/{name}") as stream:
                return bytes(stream.read()).decode("utf-8")
        except OSError:  # none yet (not found), or unreadable
            return None

    def names(self) -> list[str]:
        if self.local is not None:
            return sorted(p.name for p in self.local.iterdir() if p.is_file())
        from pyarrow import fs as pafs

        infos = self.fs.get_file_info(pafs.FileSelector(self.base, allow_not_found=True))
        return sorted(PurePosixPath(i.path).name for i in infos if i.type == pafs.FileType.File)

    def remove(self, name: str) -> None:
        if self.local is not None:
            (self.local / name).unlink(missing_ok=True)
        else:
            self.fs.delete_file(f"{self.base}/{name}")


@dataclass
class _Progress:
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
    def read(cls, output: _Output) -> _Progress | None:
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

    def write(self, output: _Output) -> None:
        output.write(PROGRESS, json.dumps(asdict(self), indent=1) + "\n")


def _job_identity(config: PipelineConfig, options: DistributedOptions, listed: Sequence[_Listed]) -> str:
    """The identity of a job's output: the records' settings, the shard size, and each
    input file's name, size and modification time."""
    identity = {
        "records": record_identity(config, options.summarize, options.main_article),
        "records_per_shard": options.records_per_shard,
        "inputs": [[entry.uri, entry.file.id, entry.size, entry.mtime_ns] for entry in listed],
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def run_distributed(
    inputs: Sequence[str], output_dir: str | Path, config: PipelineConfig, options: DistributedOptions
) -> DistributedReport:
    """Process every document of ``inputs`` on Ray; write ``part-NNNNN.jsonl`` shards of
    records and ``errors-NNNNN.jsonl`` shards of failures into ``output_dir`` (a folder, or
    a URI such as ``s3://bucket/out/``), resuming a job an earlier run left unfinished."""
    if any(not str(item) for item in inputs):  # abspath("") would be the working folder
        raise ConfigError(EMPTY_NAME)
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise MissingResource(f"{INSTALL_HINT} ({reason(exc)})") from None
    output = str(output_dir)
    listed = _list_inputs(inputs, output)
    if not listed:
        raise ConfigError("no input files found (expected .jsonl, .txt, .md, .html, .docx or .pdf)")
    store = _Output(output)
    progress = _resumed(store, _job_identity(config, options, listed))
    if progress.done:
        log.info("ray: %s already holds this job's complete output", output)
        done = progress.processed + progress.failed
        return DistributedReport(progress.processed, progress.failed, progress.part, skipped=done)
    if not ray.is_initialized():
        ray.init(address=options.address, logging_level=logging.WARNING, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    # Shards in input order: the same order as a single-machine run, for a small cost.
    context.execution_options.preserve_order = True
    # Ray Data logs its plan and progress at INFO (every few seconds in a pipe); it2en
    # reports the outcome itself.
    context.enable_progress_bars = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    files = ray.data.read_binary_files([entry.uri for entry in listed], include_paths=True)
    reader = _Reader(listed, progress.through, options.main_article)
    # A block per chunk of documents, so that one large JSONL file feeds every actor.
    documents = files.flat_map(reader).repartition(target_num_rows_per_block=config.docs_per_chunk)
    results = _processed(ray, documents, config, options)
    return _write_shards(
        results.iter_batches(batch_size=config.docs_per_chunk, batch_format="numpy"), store, options, progress
    )


def _resumed(store: _Output, identity: str) -> _Progress:
    """The progress to go on from: the earlier run's when it did this same job, else a
    fresh one (the earlier run's shards removed, so none is left over)."""
    earlier = _Progress.read(store)
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
    return _Progress(identity)


def _processed(ray: Any, documents: Any, config: PipelineConfig, options: DistributedOptions) -> Any:
    """``documents`` (a dataset of document rows) through a pool of :class:`_Worker` actors."""
    # As many threads as the CPUs asked for each actor, not the whole node's.
    worker_config = replace(config, threads=config.threads or max(1, int(options.cpus_per_worker)))
    return documents.map_batches(
        _Worker,
        fn_constructor_kwargs={
            "config": asdict(worker_config),
            "summarize": options.summarize,
            "engines": options.engines,
        },
        batch_size=config.docs_per_chunk,
        # A fixed pool; Ray Data restarts dead actors and retries their batches by default
        # (max_restarts = max_task_retries = -1 for actor pools).
        compute=ray.data.ActorPoolStrategy(size=options.workers),
        num_cpus=_actor_cpus(options, ray.cluster_resources().get("CPU", 0.0)),
        num_gpus=options.gpus_per_worker or None,
        batch_format="numpy",
    )


def _write_shards(
    batches: Iterable[dict[str, Any]], store: _Output, options: DistributedOptions, progress: _Progress
) -> DistributedReport:
    """Stream the workers' outputs, in order, into record and error shards; after each
    full records shard, the errors so far go into a shard too and the progress is
    written (so a later run resumes from there)."""
    earlier = progress.processed + progress.failed
    report = DistributedReport(progress.processed, progress.failed, progress.part, skipped=earlier)
    records = _ShardWriter(store, "part", options.records_per_shard, progress.part)
    errors = _ShardWriter(store, "errors", None, progress.errors)
    last: tuple[int, int] | None = progress.through
    restarted: set[str] = set()

    def checkpoint(done: bool) -> None:
        records.flush()
        errors.flush()
        progress.part, progress.errors, progress.through = records.count, errors.count, last
        progress.processed, progress.failed, progress.done = report.processed, report.failed, done
        progress.write(store)

    for batch in batches:
        restarted.update(str(actor) for actor in batch["restart"] if actor)
        for kind, payload, file, row in zip(
            batch["kind"], batch["payload"], batch["file"], batch["row"], strict=True
        ):
            last = (int(file), int(row))
            if kind == "record":
                records.write(str(payload))
                report.processed += 1
            else:
                errors.write(str(payload))
                report.failed += 1
                failure = json.loads(str(payload))
                log.error("%s: %s", failure["input"], failure["reason"])
            if records.full:
                checkpoint(done=False)
    checkpoint(done=True)
    report.shards, report.restarts = records.count, len(restarted)
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
    """Lines into ``<prefix>-00000.jsonl``, ``-00001``…, numbered on from ``start``, each
    shard written whole; :attr:`full` once ``limit`` lines wait (None: no limit)."""

    def __init__(self, store: _Output, prefix: str, limit: int | None, start: int):
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
