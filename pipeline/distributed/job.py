"""The Ray job: its options, its worker actors, and the driver that sizes the job to the
cluster (:mod:`.placement`), streams the workers' results into the journal
(:mod:`.journal`), tells its progress every minute and stops a job that makes none,
naming what it waits for."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..config import PipelineConfig
from ..engines import Seq2SeqEngine
from ..errors import ConfigError, MissingResource, reason
from ..io import DEFAULT_GLOBS, EMPTY_NAME
from ..pipeline import Pipeline
from ..terms import Glossary, Term, configured_glossary
from ..types import Failure, RunCounts
from .journal import job_identity, resumed, write_shards
from .listing import ROW, Listed, Reader, from_row, list_inputs
from .placement import READ_CPUS, Node, actor_cpus, check_gpus
from .session import ray_session
from .storage import HINT, Output, storage_problem

__all__ = ["DistributedOptions", "DistributedReport", "run_distributed"]

log = logging.getLogger("it2en.distributed")

INSTALL_HINT = "it2en ray needs Ray Data: pip install 'it2en[ray]'"
ProgressFn = Callable[[int, float], None]
"""``progress(rows, rows_per_s)``: told after every batch of results (the CLI's bar)."""


@dataclass(frozen=True)
class DistributedOptions:
    """How the job is spread: workers, GPU shares, batch size, and what to run."""

    address: str | None = None
    """Ray cluster address (``auto``, ``ray://host:10001``); None: ``RAY_ADDRESS`` where set,
    else a new local Ray."""
    workers: int = 1
    """Actors, each with its own copy of the models."""
    gpus_per_worker: float = 0.0
    """GPU share of each actor (0 on CPU clusters; 0.5 puts two actors on one GPU)."""
    cpus_per_worker: float = 1.0
    """CPUs each actor runs threads on; Ray reserves that many for it, or less where the
    cluster's nodes need it (:mod:`.placement`)."""
    summarize: bool = True
    main_article: bool = False
    """Of HTML pages, only the main article."""
    records_per_shard: int = 1000
    """Records per output shard file (the driver holds one shard's lines at a time), and
    so how often the progress is written."""
    stall_minutes: float = 10.0
    """A job that writes no row for this long is stopped (exit 5), naming what it waits
    for; its journal is kept, so running it again resumes."""
    worker_env: tuple[str, ...] = ()
    """Environment variables of the driver given to every task and actor of the job
    (object storage credentials, an endpoint): their values are visible to the cluster."""
    engines: Callable[[], Mapping[str, Seq2SeqEngine]] | None = None
    """Library use: makes each worker's engines by role instead of loading the configured
    models, as ``Pipeline(engines=...)`` (pickled to the workers; a benchmark's fake engine,
    another runtime)."""
    progress: ProgressFn | None = None

    def __post_init__(self) -> None:
        if self.workers < 1 or self.records_per_shard < 1:
            raise ConfigError("workers and records-per-shard must be positive")
        if self.gpus_per_worker < 0:
            raise ConfigError("gpus-per-worker must not be negative")
        if self.cpus_per_worker <= 0:
            raise ConfigError("cpus-per-worker must be positive")
        if self.stall_minutes <= 0:
            raise ConfigError("stall-minutes must be positive")
        missing = [name for name in self.worker_env if name not in os.environ]
        if missing:
            raise ConfigError(f"worker-env: not set in this environment: {', '.join(missing)}")


@dataclass
class DistributedReport(RunCounts):
    """What the job did (``skipped``: rows an earlier run had written, counted in
    ``processed`` and ``failed`` too)."""

    shards: int = 0
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
        terms: tuple[Term, ...] = (),
    ):
        import ray

        made = engines() if engines is not None else None
        self.pipeline = Pipeline(PipelineConfig(**config), engines=made, glossary=Glossary(terms))
        self.summarize = summarize
        context = ray.get_runtime_context()
        # An incarnation after a restart says so in its rows, for the end-of-run count.
        self.restart = context.get_actor_id() if context.was_current_actor_reconstructed else ""

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        items = [from_row(*row) for row in zip(*(batch[c] for c in ROW), strict=True)]
        outcomes = list(self.pipeline.process_many(items, summarize=self.summarize))
        return {
            "id": [o.id or "" for o in outcomes],
            "kind": ["error" if isinstance(o, Failure) else "record" for o in outcomes],
            "payload": [json.dumps(o.to_dict(), ensure_ascii=False) for o in outcomes],
            "file": list(batch["file"]),
            "row": list(batch["row"]),
            "restart": [self.restart] * len(outcomes),
        }


def run_distributed(
    inputs: Sequence[str], output_dir: str | Path, config: PipelineConfig, options: DistributedOptions
) -> DistributedReport:
    """Process every document of ``inputs`` on Ray; write ``part-NNNNN.jsonl`` shards of
    records and ``errors-NNNNN.jsonl`` shards of failures into ``output_dir`` (a folder, or
    a URI such as ``s3://bucket/out/``), resuming a job an earlier run left unfinished.
    A cluster that cannot run the job, storage that refuses, or a job that stalls is a
    :class:`~pipeline.errors.MissingResource` in one line."""
    if any(not str(item) for item in inputs):  # abspath("") would be the working folder
        raise ConfigError(EMPTY_NAME)
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise MissingResource(f"{INSTALL_HINT} ({reason(exc)})") from None
    output = str(output_dir)
    listed = list_inputs(inputs, output)
    if not listed:
        expected = ", ".join(glob.removeprefix("*") for glob in DEFAULT_GLOBS)
        raise ConfigError(f"no input files found (expected {expected})")
    store = Output(output)
    glossary = configured_glossary(config)  # read here, shipped to the workers as terms
    identity = job_identity(
        config, options.summarize, options.main_article, options.records_per_shard, listed, glossary
    )
    progress = resumed(store, identity)
    if progress.done:
        log.info("ray: %s already holds this job's complete output", output)
        done = progress.processed + progress.failed
        return DistributedReport(progress.processed, progress.failed, done, shards=progress.part)
    with ray_session(ray, options.address) as threads:
        results = _results(ray, listed, progress.through, config, options, glossary)
        watch = _Watch(ray, options, listed, threads)
        counts = write_shards(watch.batches(results), store, options.records_per_shard, progress)
    restarts = len(watch.restarted)
    return DistributedReport(
        counts.processed,
        counts.failed,
        counts.skipped,
        counts.internal,
        shards=counts.shards,
        restarts=restarts,
    )


def _results(
    ray: Any, listed: Sequence[Listed], through: tuple[int, int] | None, config: PipelineConfig,
    options: DistributedOptions, glossary: Glossary,
) -> Iterable[dict[str, Any]]:  # fmt: skip
    """The workers' outputs for the rows after ``through``, in input order: files read
    and parsed by light tasks, documents through a pool of :class:`_Worker` actors sized
    to the cluster's nodes."""
    nodes = [
        Node(n["Resources"].get("CPU", 0.0), n["Resources"].get("GPU", 0.0))
        for n in ray.nodes()
        if n["Alive"]
    ]
    check_gpus(nodes, options.workers, options.gpus_per_worker)
    cpus = actor_cpus(nodes, options.workers, options.cpus_per_worker)
    env = (
        {"env_vars": {name: os.environ[name] for name in options.worker_env}} if options.worker_env else None
    )
    light = {"num_cpus": READ_CPUS, "runtime_env": env}
    files = ray.data.read_binary_files([entry.uri for entry in listed], include_paths=True, **light)
    reader = Reader(listed, through, options.main_article)
    documents = _in_chunks(files.flat_map(reader, **light), config.docs_per_chunk)
    # As many threads as the CPUs asked for each actor, not the whole node's.
    worker_config = replace(
        config,
        threads=config.threads or max(1, int(options.cpus_per_worker)),
        glossary_files=(),  # the driver's paths: the workers get the terms
        glossary_keep=(),
    )
    processed = documents.map_batches(
        _Worker,
        fn_constructor_kwargs={
            "config": asdict(worker_config),
            "summarize": options.summarize,
            "engines": options.engines,
            "terms": glossary.terms,
        },
        batch_size=config.docs_per_chunk,
        # A fixed pool; Ray Data restarts dead actors and retries their batches by default
        # (max_restarts = max_task_retries = -1 for actor pools).
        compute=ray.data.ActorPoolStrategy(size=options.workers),
        num_cpus=cpus,
        num_gpus=options.gpus_per_worker or None,
        runtime_env=env,
        batch_format="numpy",
    )
    return processed.iter_batches(batch_size=config.docs_per_chunk, batch_format="numpy")  # type: ignore[no-any-return]


def _in_chunks(documents: Any, rows: int) -> Any:
    """``documents`` in blocks of ``rows`` rows, so that one large JSONL file feeds every
    actor. Ray Data's streaming repartition offers no resource option, and its tasks take
    a whole CPU, which :mod:`.placement` does not keep free; its tasks are given a read's
    share instead. Where a Ray version does not let that be set, the rows stay in a block
    per input file (one large file then feeds one actor at a time), never stranded."""
    chunked = documents.repartition(target_num_rows_per_block=rows)
    args = getattr(getattr(getattr(chunked, "_logical_plan", None), "dag", None), "ray_remote_args", None)
    if not isinstance(args, dict):
        log.warning("ray: this Ray version's repartition cannot be given a share of a CPU: a block per file")
        return documents
    args["num_cpus"] = READ_CPUS
    return chunked


class _Watch:
    """The results taken on a thread of their own, so that the driver can tell its
    progress every minute (rows, rows/s, workers alive) and stop a job that has written
    no row for ``stall_minutes``; a worker's storage failure becomes one line."""

    LINE_SECONDS = 60.0

    def __init__(
        self, ray: Any, options: DistributedOptions, listed: Sequence[Listed], threads: list[threading.Thread]
    ):
        """The thread that takes the results is added to ``threads`` (to be waited for)."""
        self.ray, self.options, self.listed, self.threads = ray, options, listed, threads
        self.restarted: set[str] = set()

    def batches(self, source: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        pending: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=4)
        abandoned = threading.Event()  # the driver stopped taking: the taker ends too

        def offer(item: tuple[str, Any]) -> None:
            while not abandoned.is_set():
                with contextlib.suppress(queue.Full):
                    pending.put(item, timeout=0.5)
                    return

        def pump() -> None:
            try:
                for batch in source:
                    offer(("batch", batch))
                    if abandoned.is_set():
                        return
                offer(("end", None))
            except BaseException as exc:  # handed to the driver's thread, which raises it
                offer(("error", exc))

        taker = threading.Thread(target=pump, name="it2en-ray-results", daemon=True)
        self.threads.append(taker)
        taker.start()
        try:
            yield from self._taken(pending)
        finally:
            abandoned.set()

    def _taken(self, pending: queue.Queue[tuple[str, Any]]) -> Iterator[dict[str, Any]]:
        """The batches the taker hands over, telling progress and watching for a stall."""
        started = last_row = last_line = time.monotonic()
        rows, stall = 0, 60 * self.options.stall_minutes
        while True:
            try:
                kind, item = pending.get(timeout=min(5.0, stall))
            except queue.Empty:
                kind, item = "wait", None
            now = time.monotonic()
            if kind == "end":
                return
            if kind == "error":
                raise self._failure(item) from None
            if kind == "batch":
                rows, last_row = rows + len(item["kind"]), now
                self.restarted.update(str(actor) for actor in item["restart"] if actor)
                if self.options.progress is not None:
                    self.options.progress(rows, rows / max(now - started, 1e-9))
                yield item
            if now - last_line >= self.LINE_SECONDS:
                last_line = now
                log.info("ray: %d rows done, %.2f rows/s, %s", rows, rows / (now - started), self._workers())
            if now - last_row >= stall:
                raise MissingResource(self._stalled(rows))

    def _workers(self) -> str:
        try:
            from ray._private import state

            alive = sum(
                1
                for actor in state.actors().values()
                if actor.get("State") == "ALIVE" and "MapWorker" in str(actor.get("ActorClassName"))
            )
        except Exception:  # Ray's own view, where this version gives it
            return f"{self.options.workers} workers asked"
        return f"{alive} of {self.options.workers} workers alive"

    def _stalled(self, rows: int) -> str:
        """The one line of a stopped job: how long, and what Ray says it waits for."""
        free = self.ray.available_resources()
        total = self.ray.cluster_resources()
        have = ", ".join(f"{k} {free.get(k, 0):g}/{total[k]:g} free" for k in ("CPU", "GPU") if k in total)
        minutes = self.options.stall_minutes
        return (
            f"ray: no row written for {minutes:g} min ({rows} rows this run; {self._workers()}); {have}; "
            f"waiting for {_pending(self.ray)}; stopped: the journal is kept, run the command again to "
            "resume (--stall-minutes sets the limit)"
        )

    def _failure(self, exc: BaseException) -> BaseException:
        """A worker's storage failure as one line; anything else as it came."""
        problem = storage_problem(exc)
        if problem is None:
            return exc
        uri = next(
            (e.uri for e in self.listed if "://" in e.uri and e.uri.split("/", 3)[-1] in problem),
            next((e.uri for e in self.listed if "://" in e.uri), "the input"),
        )
        return MissingResource(f"ray: a worker could not read {uri}: {problem}; {HINT}")


def _pending(ray: Any) -> str:
    """The resources Ray's scheduler has tasks and actors waiting for, from its own view."""
    try:
        from ray.autoscaler.v2.sdk import get_cluster_status

        status = get_cluster_status(ray.get_runtime_context().gcs_address)
        wanted = [
            f"{request.bundle} x {request.count}"
            for demand in status.resource_demands.ray_task_actor_demand
            for request in demand.bundles_by_count
        ]
    except Exception:  # not every Ray version tells
        return "resources Ray does not report"
    return "; ".join(wanted) or "nothing Ray reports (a task that does not end?)"
