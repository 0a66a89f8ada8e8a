#!/usr/bin/env python3
"""Is the driver of ``it2en ray`` a bottleneck? Records per second through its result path.

Two measurements on this machine, with a fake engine so fast that the models cost nothing:

* ``driver_write``: the driver's own work on results (JSON parsing of error rows, shard
  buffering, shard and progress writes) on batches of real-sized records, without Ray;
* ``ray_fake_engine``: a whole ``run_distributed`` job on a local Ray, every worker's
  pipeline built with a copy engine (``DistributedOptions.engines``, as
  ``Pipeline(engines=...)``), so what is left is Ray Data's reading, transfer, ordering and
  the driver.

Against the per-worker rate of the real pipeline (``--per-worker``, documents/s of one
2-core worker; 0.28 from ``scripts/bench.py`` on the lean default path), each figure says at
how many workers the driver would start to limit throughput. Usage::

    python scripts/bench_ray_driver.py --documents 4000 --json driver.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SENTENCES = [
    "Il Consiglio comunale ha approvato ieri sera il bilancio di previsione per il prossimo anno.",
    "I lavori di ristrutturazione della scuola media partiranno a settembre e dureranno otto mesi.",
    "Secondo l'assessore, la nuova linea dell'autobus collegherà la stazione con l'ospedale.",
    "La biblioteca civica resterà chiusa per inventario dal 3 al 14 agosto.",
]


class CopyEngine:
    """A seq2seq engine that returns its inputs: the models cost nothing."""

    name = "copy"
    max_input_tokens = 512

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text.split()) + 1 for text in texts]

    def generate(self, texts: Sequence[str]) -> list[str]:
        return list(texts)


def copy_engines() -> dict[str, Any]:
    return {"translator": CopyEngine(), "summarizer": CopyEngine(), "back-translator": CopyEngine()}


def document(n: int) -> str:
    """A news-like document of 12 sentences (about 1,300 characters)."""
    return " ".join(f"{SENTENCES[(n + k) % len(SENTENCES)]}" for k in range(12)) + f" Numero {n}."


def driver_write(documents: int, workdir: Path) -> dict[str, float]:
    """Records/s of the driver's result path alone, on batches of real-sized records."""
    from pipeline import Pipeline, PipelineConfig
    from pipeline.distributed.journal import Progress, write_shards
    from pipeline.distributed.storage import Output

    pipeline = Pipeline(PipelineConfig(), engines=copy_engines())
    payload = json.dumps(pipeline.process(document(0), "d0").to_dict(), ensure_ascii=False)
    batches = [
        {
            "kind": ["record"] * 64,
            "payload": [payload] * 64,
            "file": [0] * 64,
            "row": list(range(start, start + 64)),
            "restart": [""] * 64,
        }
        for start in range(0, documents, 64)
    ]
    started = time.perf_counter()
    report = write_shards(batches, Output(str(workdir / "driver")), 1000, Progress("bench"))
    seconds = time.perf_counter() - started
    return {"records": report.processed, "seconds": seconds, "records_per_s": report.processed / seconds,
            "record_bytes": len(payload.encode())}  # fmt: skip


def ray_fake_engine(documents: int, workers: int, workdir: Path) -> dict[str, float]:
    """Records/s of a whole Ray job whose workers run the copy engine."""
    import ray

    from pipeline import PipelineConfig
    from pipeline.distributed import DistributedOptions, run_distributed

    corpus = workdir / f"corpus-{workers}.jsonl"
    lines = (json.dumps({"id": f"d{n}", "text": document(n)}, ensure_ascii=False) for n in range(documents))
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    options = DistributedOptions(workers=workers, engines=copy_engines)
    started = time.perf_counter()
    report = run_distributed([str(corpus)], workdir / f"out-{workers}", PipelineConfig(), options)
    seconds = time.perf_counter() - started
    return {"records": report.processed, "seconds": seconds, "records_per_s": report.processed / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=4000)
    parser.add_argument("--per-worker", type=float, default=0.28, help="documents/s of one real worker")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="it2en-bench-driver-"))
    results: dict[str, Any] = {"documents": args.documents, "per_worker_documents_per_s": args.per_worker}
    results["driver_write"] = driver_write(args.documents * 5, workdir)
    print(f"driver write path: {results['driver_write']}", file=sys.stderr, flush=True)
    results["ray_fake_engine_1"] = ray_fake_engine(args.documents, 1, workdir)
    print(f"ray, copy engine, 1 worker: {results['ray_fake_engine_1']}", file=sys.stderr, flush=True)
    for key in ("driver_write", "ray_fake_engine_1"):
        results[f"workers_before_limit_{key}"] = results[key]["records_per_s"] / args.per_worker
    print(json.dumps({k: v for k, v in results.items() if not isinstance(v, dict)}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
