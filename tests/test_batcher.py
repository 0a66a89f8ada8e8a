"""The service's worker without a server or a model: interactive requests ahead of a
document's batches, a stop that never leaves a caller waiting, a full queue."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from pipeline.serve.batcher import BACKGROUND, Batcher, Busy, Job, WorkerEngine


class Recorder:
    """A translate function that records its calls and can be held at a gate."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, kind: str, texts: list[str]) -> list[str]:
        self.gate.wait(10)
        self.calls.append((kind, list(texts)))
        return [t.upper() for t in texts]


class Engine:
    name, max_input_tokens = "fake", 64

    def __init__(self, order: list[str]) -> None:
        self.order = order
        self.thread: str | None = None

    def count_tokens(self, texts):
        return [len(t.split()) for t in texts]

    def generate(self, texts):
        self.thread = threading.current_thread().name
        self.order.append("document")
        return [t[::-1] for t in texts]


def test_interactive_requests_go_before_a_documents_waiting_batches():
    recorder = Recorder()
    batcher = Batcher(recorder, max_wait=0.0)
    try:
        recorder.gate.clear()  # the worker is busy with a first request
        first = batcher.submit(Job("it-en", ["uno"]))
        time.sleep(0.05)
        order: list[str] = []
        engine = WorkerEngine(Engine(order), batcher)
        document = threading.Thread(target=lambda: order.append(str(engine.generate(["abc"]))))
        document.start()  # its batch waits behind the busy worker
        time.sleep(0.05)
        later = [batcher.submit(Job("it-en", [f"frase {n}"])) for n in range(3)]
        recorder.gate.set()
        document.join(10)
        assert first.result(10) == ["UNO"]
        assert [f.result(10) for f in later] == [[f"FRASE {n}"] for n in range(3)]
        # The three requests that came after the document's batch were answered before it.
        assert [texts for _, texts in recorder.calls] == [["uno"], ["frase 0", "frase 1", "frase 2"]]
        assert order == ["document", "['cba']"]
        assert engine._engine.thread == "it2en-batcher"  # the model ran on the worker  # type: ignore[attr-defined]
    finally:
        batcher.close()


def test_closing_answers_requests_and_refuses_waiting_batches():
    recorder = Recorder()
    batcher = Batcher(recorder, max_wait=0.0)
    recorder.gate.clear()
    accepted = [batcher.submit(Job("it-en", [str(n)])) for n in range(3)]
    time.sleep(0.05)
    waiting = batcher.submit(Job("call", (), call=lambda: "never", priority=BACKGROUND))
    closer = threading.Thread(target=batcher.close)
    closer.start()
    time.sleep(0.05)
    recorder.gate.set()
    closer.join(10)
    assert [f.result(1) for f in accepted] == [["0"], ["1"], ["2"]]
    with pytest.raises(Busy):
        waiting.result(1)
    with pytest.raises(Busy):
        batcher.submit(Job("it-en", ["dopo"]))


def test_a_full_queue_refuses_requests_but_not_a_documents_batch():
    recorder = Recorder()
    batcher = Batcher(recorder, max_wait=0.0, max_queue=2)
    try:
        recorder.gate.clear()
        batcher.submit(Job("it-en", ["a"]))
        time.sleep(0.05)  # taken by the worker
        batcher.submit(Job("it-en", ["b"]))
        batcher.submit(Job("it-en", ["c"]))
        with pytest.raises(Busy):
            batcher.submit(Job("it-en", ["d"]))
        batcher.submit(Job("call", (), call=lambda: None, priority=BACKGROUND))  # a document goes on
    finally:
        recorder.gate.set()
        batcher.close()


def test_worker_engine_keeps_the_engines_interface(tmp_path: Path):
    batcher = Batcher(Recorder(), max_wait=0.0)
    try:
        engine = WorkerEngine(Engine([]), batcher)
        assert (engine.name, engine.max_input_tokens) == ("fake", 64)
        assert engine.count_tokens(["a b", "c"]) == [2, 1]
        assert not hasattr(engine, "generate_scored")  # only where the engine has one
    finally:
        batcher.close()
