"""``ray``: a corpus on a Ray cluster (or a local Ray), written as JSONL shards."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from .errors import EXIT_FAILED_DOCUMENTS, errors_mapped
from .options import RUNTIME, SUMMARY, LogFlags, MainArticleOpt, ModelFlags, shared_options

__all__ = ["ray"]

log = logging.getLogger("it2en.cli")


@shared_options("config", "translator", *SUMMARY, *RUNTIME, "docs_per_chunk")
def ray(
    input: Annotated[
        str, typer.Argument(help="A JSONL or text file, or a folder of them; s3:// and gs:// too.")
    ],
    output_dir: Annotated[
        str, typer.Argument(help="Folder for the JSONL shards; s3:// and gs:// too. A re-run resumes.")
    ],
    flags: ModelFlags,
    logs: LogFlags,
    address: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Ray cluster address [default: start a local Ray].")
    ] = None,
    workers: Annotated[int, typer.Option(metavar="N", help="Worker actors, each with its own models.")] = 1,
    gpus_per_worker: Annotated[
        float, typer.Option(metavar="GPUS", help="GPU share per worker (0 on CPU clusters).")
    ] = 0.0,
    cpus_per_worker: Annotated[
        float, typer.Option(metavar="CPUS", help="CPUs reserved per worker (its threads).")
    ] = 1.0,
    records_per_shard: Annotated[
        int, typer.Option(metavar="N", help="Records per part-*.jsonl shard (and per resume point).")
    ] = 1000,
    translate_only: Annotated[bool, typer.Option("--translate-only", help="Translation alone.")] = False,
    main_article: MainArticleOpt = False,
) -> None:
    """Translate and summarize a corpus on a Ray cluster (or a local Ray): part-*.jsonl
    shards hold the records of summarize --format jsonl, errors-*.jsonl the failures.

    Running the same command again after the driver died resumes: the shards complete
    are kept and the rows they cover are not worked again.

    Example: it2en ray s3://bucket/corpus/ s3://bucket/out/ --address auto --workers 8 --gpus-per-worker 0.5
    """
    with errors_mapped(logs, default_level=logging.INFO):
        from ..distributed import DistributedOptions, run_distributed

        if not logs.verbose and not logs.debug:
            for name in ("ray", "ray.data"):  # their per-stage INFO lines
                logging.getLogger(name).setLevel(logging.WARNING)
            # The notice that a cluster started here has token authentication on, on
            # every run (--verbose shows it). One line of Ray's C++ core about actor
            # restarts remains: its log level can only be set with a variable whose
            # setting Ray itself announces on stderr.
            logging.getLogger("ray._private.authentication").setLevel(logging.ERROR)
        options = DistributedOptions(
            address=address,
            workers=workers,
            gpus_per_worker=gpus_per_worker,
            cpus_per_worker=cpus_per_worker,
            summarize=not translate_only,
            main_article=main_article,
            records_per_shard=records_per_shard,
        )
        report = run_distributed([input], output_dir, flags.load(), options)
        log.info(
            "ray: %d processed, %d failed, %d shard(s) in %s%s%s",
            report.processed,
            report.failed,
            report.shards,
            output_dir,
            f" ({report.skipped} rows written by an earlier run)" if report.skipped else "",
            f"; {report.restarts} worker(s) lost and restarted, their batches re-run"
            if report.restarts
            else "",
        )
        if report.failed:
            raise typer.Exit(EXIT_FAILED_DOCUMENTS)
