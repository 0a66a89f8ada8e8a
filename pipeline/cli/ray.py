"""``ray``: a corpus on a Ray cluster (or a local Ray), written as JSONL shards."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from .errors import EXIT_FAILED_DOCUMENTS, errors_mapped
from .options import (
    GLOSSARY,
    RUNTIME,
    SUMMARY,
    LogFlags,
    MainArticleOpt,
    ModelFlags,
    TranslateOnlyOpt,
    shared_options,
)

__all__ = ["ray"]

log = logging.getLogger("it2en.cli")


InputArg = Annotated[
    str, typer.Argument(help="A JSONL or text file, or a folder of them; s3:// and gs:// too.")
]
OutputArg = Annotated[
    str, typer.Argument(help="Folder for the JSONL shards; s3:// and gs:// too. A re-run resumes.")
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS", help="Ray cluster address [default: $RAY_ADDRESS, else start a local Ray]."
    ),
]
WorkersOpt = Annotated[int, typer.Option(metavar="N", help="Worker actors, each with its own models.")]
GpusOpt = Annotated[float, typer.Option(metavar="GPUS", help="GPU share per worker (0 on CPU clusters).")]
CpusOpt = Annotated[
    float,
    typer.Option(metavar="CPUS", help="CPUs per worker (its threads; less is reserved where nodes need it)."),
]
ShardOpt = Annotated[
    int, typer.Option(metavar="N", help="Records per part-*.jsonl shard (and per resume point).")
]
StallOpt = Annotated[
    float, typer.Option(metavar="MIN", help="Stop a job that writes no row for this long (it resumes).")
]
WorkerEnvOpt = Annotated[
    list[str] | None,
    typer.Option(
        metavar="NAME",
        help="Give the workers this variable of this shell (repeat; AWS_ACCESS_KEY_ID...): "
        "its value is visible to the cluster.",
    ),
]


@shared_options("config", "translator", *SUMMARY, *RUNTIME, "docs_per_chunk", *GLOSSARY)
def ray(
    input: InputArg,
    output_dir: OutputArg,
    flags: ModelFlags,
    logs: LogFlags,
    address: AddressOpt = None,
    workers: WorkersOpt = 1,
    gpus_per_worker: GpusOpt = 0.0,
    cpus_per_worker: CpusOpt = 1.0,
    records_per_shard: ShardOpt = 1000,
    stall_minutes: StallOpt = 10.0,
    worker_env: WorkerEnvOpt = None,
    translate_only: TranslateOnlyOpt = False,
    main_article: MainArticleOpt = False,
) -> None:
    """Translate and summarize a corpus on a Ray cluster (or a local Ray): part-*.jsonl
    shards hold the records of summarize --format jsonl, errors-*.jsonl the failures.

    Running the same command again after the driver died, or after a stall, resumes: the
    shards complete are kept and the rows they cover are not worked again.

    Example: it2en ray s3://bucket/corpus/ s3://bucket/out/ --address auto --workers 8 --gpus-per-worker 0.5
    """
    with errors_mapped(logs, default_level=logging.INFO), _bar(not logs.quiet and sys.stderr.isatty()) as bar:
        from ..distributed import DistributedOptions, run_distributed

        if not logs.verbose and not logs.debug:
            _quiet_ray()
        options = DistributedOptions(
            address=address,
            workers=workers,
            gpus_per_worker=gpus_per_worker,
            cpus_per_worker=cpus_per_worker,
            summarize=not translate_only,
            main_article=main_article,
            records_per_shard=records_per_shard,
            stall_minutes=stall_minutes,
            worker_env=tuple(worker_env or ()),
            progress=bar,
        )
        report = run_distributed([input], output_dir, flags.load(), options)
        log.info("%s", _last_line(report, output_dir))
        if report.failed:
            raise typer.Exit(EXIT_FAILED_DOCUMENTS)


def _quiet_ray() -> None:
    """Ray's own INFO lines left out (--verbose shows them)."""
    for name in ("ray", "ray.data"):  # their per-stage INFO lines
        logging.getLogger(name).setLevel(logging.WARNING)
    # The notice that a cluster started here has token authentication on, on every run.
    # One line of Ray's C++ core about actor restarts remains: its log level can only be
    # set with a variable whose setting Ray itself announces on stderr.
    logging.getLogger("ray._private.authentication").setLevel(logging.ERROR)


def _last_line(report: Any, output_dir: str) -> str:
    """The end-of-run line: counts, where, rows of an earlier run, workers lost."""
    earlier = f" ({report.skipped} rows written by an earlier run)" if report.skipped else ""
    lost = (
        f"; {report.restarts} worker(s) lost and restarted, their batches re-run" if report.restarts else ""
    )
    counts = f"{report.processed} processed, {report.failed} failed, {report.shards} shard(s)"
    return f"ray: {counts} in {output_dir}{earlier}{lost}{report.internal_note()}"


@contextmanager
def _bar(enabled: bool) -> Iterator[Any]:
    """A progress callback drawing the rows done and their rate on stderr, or None."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(desc="ray", unit="row", leave=False, file=sys.stderr)

    def update(rows: int, rate: float) -> None:
        bar.update(rows - bar.n)

    try:
        yield update
    finally:
        bar.close()
