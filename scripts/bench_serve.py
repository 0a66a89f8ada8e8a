#!/usr/bin/env python3
"""The service under load: requests/s and latency of ``it2en serve`` with dynamic
batching on and off, against the offline throughput of the same sentences.

Models: the full-size random-weight opus-mt-it-en of ``scripts/bench.py`` (``real_models``),
its outputs forced to 1.1x the source's length (random weights never end a sentence), on
CTranslate2 int8 with beam 4, the default CPU settings. The app runs in a process of its
own on uvicorn (as ``it2en serve`` does; until 2026-12-02 it ran in the clients' process,
sharing their interpreter), on 127.0.0.1 and a free port; clients are threads of this
process in a closed loop (each sends its
next request when the last one is answered), one news sentence per request, at
concurrency 1, 8 and 32. "Batching off" is the same service taking one request at a time
(``max_batch_texts=1``), as a per-request service does. "During a document": 8 clients
again while a 40-page document (1,000 sentences) runs as a job, started before them and
deleted after them, so its model batches take turns with theirs. Usage::

    python scripts/bench_serve.py --quick --json scripts/results/serve.json
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import resource
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import BEAMS, sentences, translation_length  # noqa: E402
from real_models import build_marian  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_child(config: Any, settings: Any, port: int, warm: list[str]) -> None:
    """The service in a process of its own, run as ``it2en serve`` runs it
    (:func:`pipeline.serve.serve`): the engine with its forced output lengths."""
    from dataclasses import replace

    from pipeline import Pipeline, build_engine
    from pipeline.serve import create_app
    from pipeline.serve import serve as run

    engine = build_engine(config, "translator", forced_length=translation_length)
    pipeline = Pipeline(config, engines={"translator": engine})
    pipeline.translate(warm)  # warm, as the offline run
    settings = replace(settings, host="127.0.0.1", port=port)
    run(create_app(pipeline, settings), settings)


def serve(config: Any, settings: Any, warm: list[str]) -> tuple[str, Any]:
    """The service in a child process on a free port, the clients' interpreter apart from
    its own: its URL and the process."""
    import multiprocessing

    port = free_port()
    child = multiprocessing.get_context("spawn").Process(
        target=_serve_child, args=(config, settings, port, warm)
    )
    child.start()
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5):
                return url, child
        except OSError:
            if not child.is_alive():
                raise SystemExit("the service did not start") from None
            time.sleep(0.2)


def load(url: str, texts: list[str], concurrency: int) -> dict[str, float]:
    """``concurrency`` clients in a closed loop over ``texts``: requests/s, p50 and p99 ms."""
    pending = iter(texts)
    lock = threading.Lock()
    latencies: list[float] = []

    def client() -> None:
        while True:
            with lock:
                text = next(pending, None)
            if text is None:
                return
            body = json.dumps({"q": text, "source": "it", "target": "en"}).encode()
            request = urllib.request.Request(url + "/translate", body, {"content-type": "application/json"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=600) as response:
                json.loads(response.read())
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(client) for _ in range(concurrency)]:
            future.result()
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "requests_per_s": len(latencies) / seconds,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
    }


def during_document(url: str, document: str, texts: list[str], concurrency: int) -> dict[str, Any]:
    """:func:`load` while ``document`` runs as a job (started first, deleted after): the
    one-sentence requests' figures, and whether the document was still running after."""

    def call(path: str, body: dict[str, Any] | None = None, method: str = "GET") -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"content-type": "application/json"} if data else {}
        request = urllib.request.Request(url + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    job = call("/v1/jobs", {"text": document, "task": "translate"}, "POST")
    while not ((s := call(job["status_url"]))["state"] == "running" and s.get("done")):
        if s["state"] in ("done", "failed"):
            raise SystemExit(f"the document ended before the clients started: {s}")
        time.sleep(0.2)
    measured: dict[str, Any] = dict(load(url, texts, concurrency))
    after = call(job["status_url"])
    measured["document_running_after"] = after["state"] == "running"
    measured["document_done_after"] = f"{after.get('done')}/{after.get('total')}"
    call(job["status_url"], method="DELETE")
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two requests per client (minutes on 2 cores)")
    parser.add_argument("--translator", type=Path, help="a real Marian model folder")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    from pipeline import Pipeline, PipelineConfig, build_engine
    from pipeline.serve import ServeSettings

    work = Path(tempfile.mkdtemp(prefix="it2en-bench-serve-"))
    translator = args.translator or work / "opus-mt-it-en-random"
    if not translator.exists():
        print(f"building {translator.name} ...", file=sys.stderr, flush=True)
        translator.mkdir(parents=True)
        build_marian(translator)
    config = PipelineConfig(
        translator=str(translator),
        device="cpu",
        num_beams=BEAMS,
        cache_dir=str(work / "cache"),
        models_dir=str(work),
    )
    engine = build_engine(config, "translator", forced_length=translation_length)
    per_client = 2 if args.quick else 6
    counts = {concurrency: max(16, per_client * concurrency) for concurrency in (1, 8, 32)}
    texts = sentences(sum(counts.values()) + 8, seed=7)
    results: dict[str, Any] = {"beams": BEAMS, "requests": counts}

    offline = Pipeline(config, engines={"translator": engine})
    offline.translate(texts[-8:])  # warm: the first batches of a process are slower
    started = time.perf_counter()
    offline.translate(texts[: counts[32]])
    results["offline_sentences_per_s"] = counts[32] / (time.perf_counter() - started)

    for name, settings in (  # each its own jobs folder, so its own output cache
        ("on", ServeSettings(jobs_dir=str(work / "jobs-on"))),
        ("off", ServeSettings(max_batch_wait_ms=0, max_batch_texts=1, jobs_dir=str(work / "jobs-off"))),
    ):
        url, child = serve(config, settings, texts[-8:])
        levels = (1, 8, 32) if name == "on" else (32,)
        for concurrency in levels:
            offset = sum(counts[c] for c in (1, 8, 32) if c < concurrency)
            measured = load(url, texts[offset : offset + counts[concurrency]], concurrency)
            results[f"{name}_{concurrency}"] = measured
            print(f"batching {name}, {concurrency} clients: {measured}", file=sys.stderr, flush=True)
        if name == "on":
            pages = sentences(1000, seed=11)
            document = "\n\n".join(" ".join(pages[i : i + 5]) for i in range(0, len(pages), 5))
            measured = during_document(url, document, sentences(counts[8], seed=13), 8)
            results["on_8_during_document"] = measured
            print(f"8 clients during a 40-page document: {measured}", file=sys.stderr, flush=True)
        child.terminate()  # SIGTERM: the service drains and exits
        child.join(120)
    on, off = results["on_32"], results["off_32"]
    results["speedup_32"] = on["requests_per_s"] / off["requests_per_s"]
    results["efficiency_32"] = on["requests_per_s"] / results["offline_sentences_per_s"]
    results["p99_ms_32_on"], results["p99_ms_32_off"] = on["p99_ms"], off["p99_ms"]
    results["p99_ms_8_alone"] = results["on_8"]["p99_ms"]
    results["p99_ms_8_during_document"] = results["on_8_during_document"]["p99_ms"]
    # The service's own peak (the largest child waited for), and the whole benchmark's.
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    results["peak_rss_mb_clients"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({k: v for k, v in results.items() if not isinstance(v, dict)}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
