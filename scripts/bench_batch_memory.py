#!/usr/bin/env python3
"""Peak memory of ``it2en batch`` as the input grows: it must stay flat.

Builds (or reuses) the tiny models, writes JSONL files of many short Italian documents made
from ``scripts/data/corpus_it.txt`` (fixed seed), runs ``it2en batch --translate-only`` on
each in its own subprocess, and prints documents, seconds, documents/s and peak RSS.

Usage::

    python scripts/bench_batch_memory.py                   # 2,000 and 20,000 documents
    python scripts/bench_batch_memory.py --docs 2000 100000 --models /tmp/tiny

A second pass over the largest file (everything skipped) is timed too: the cost of a
scheduled run that finds nothing new.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_tiny_models import CORPUS, build  # noqa: E402


def write_jsonl(path: Path, count: int, seed: int = 7) -> None:
    """``count`` documents of one to three corpus sentences each, mostly distinct."""
    rng = random.Random(seed)
    sentences = [s.strip() + "." for s in CORPUS.read_text(encoding="utf-8").split(".") if s.strip()]
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            text = " ".join(rng.choice(sentences) for _ in range(rng.randint(1, 3)))
            out.write(json.dumps({"id": f"doc-{i}", "text": text}, ensure_ascii=False) + "\n")


def run(models: Path, jsonl: Path, out_dir: Path) -> tuple[float, float, dict]:
    """Seconds and peak RSS (MB) of one batch run in a fresh process, and its report."""
    report = out_dir.parent / f"{out_dir.name}.report.json"
    cmd = [
        sys.executable,
        "-m",
        "pipeline",
        "batch",
        str(jsonl),
        "--out",
        str(out_dir),
        "--translate-only",
        "--translator",
        str(models / "translator"),
        "--device",
        "cpu",
        "--num-beams",
        "1",
        "--backend",
        "torch",
        "--models-dir",
        str(out_dir.parent / "store"),
        "--quiet",
        "--report",
        str(report),
    ]
    # A wrapper process per run, so each peak is that run's own (ru_maxrss of children
    # is a running maximum over all of them).
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe, *cmd], check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    peak = int(done.stdout.split()[-1])
    return elapsed, peak / 1024, json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--models", type=Path, help="tiny models folder (built if missing)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="it2en-bench-batch-"))
    models = args.models or work / "models"
    if not (models / "translator").is_dir():
        print(f"building tiny models in {models} ...", file=sys.stderr)
        build(models)
    rows = []
    for count in sorted(args.docs):
        jsonl = work / f"docs-{count}.jsonl"
        write_jsonl(jsonl, count)
        elapsed, rss, report = run(models, jsonl, work / f"out-{count}")
        rows.append(
            {
                "docs": count,
                "seconds": elapsed,
                "docs_per_s": count / elapsed,
                "peak_rss_mb": rss,
                "processed": report["processed"],
            }
        )
    largest = max(args.docs)
    elapsed, rss, report = run(models, work / f"docs-{largest}.jsonl", work / f"out-{largest}")
    rows.append(
        {
            "docs": largest,
            "seconds": elapsed,
            "docs_per_s": largest / elapsed,
            "peak_rss_mb": rss,
            "processed": report["processed"],
            "rerun": True,
        }
    )
    print(f"{'documents':>10} {'run':>8} {'seconds':>9} {'docs/s':>9} {'peak RSS MB':>12}")
    for row in rows:
        rss = f"{row['peak_rss_mb']:.0f}"
        kind = "re-run" if row.get("rerun") else "first"
        print(f"{row['docs']:>10} {kind:>8} {row['seconds']:>9.1f} {row['docs_per_s']:>9.0f} {rss:>12}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
