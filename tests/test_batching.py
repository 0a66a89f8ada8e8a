"""Batch planning and order restoration, with plain functions instead of a model."""

from __future__ import annotations

import random

import pytest

from pipeline.batching import plan_batches, run_batched


def test_batches_respect_token_budget_and_count_cap():
    rng = random.Random(0)
    lengths = [rng.randint(1, 60) for _ in range(500)]
    batches = plan_batches(lengths, max_tokens=256, max_size=8)
    assert sorted(i for b in batches for i in b) == list(range(500))
    for batch in batches:
        assert len(batch) <= 8
        assert len(batch) * max(lengths[i] for i in batch) <= 256


def test_batches_are_length_sorted_longest_first():
    lengths = [3, 50, 7, 50, 1, 20]
    batches = plan_batches(lengths, max_tokens=100, max_size=2)
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)


def test_item_longer_than_budget_gets_its_own_batch():
    assert plan_batches([500, 2, 2], max_tokens=100, max_size=10) == [[0], [1, 2]]


def test_invalid_limits_are_rejected():
    with pytest.raises(ValueError):
        plan_batches([1], max_tokens=0, max_size=1)


def test_run_batched_restores_order_and_generates_each_text_once():
    calls: list[list[str]] = []

    def generate(texts):
        calls.append(list(texts))
        return [t[::-1] for t in texts]

    texts = ["ciao", "buongiorno a tutti", "ciao", "sera", "buongiorno a tutti", "x"]
    out = run_batched(texts, lambda ts: [len(t) for t in ts], generate, max_tokens=40, max_size=2)
    assert out == [t[::-1] for t in texts]
    generated = [t for batch in calls for t in batch]
    assert sorted(generated) == sorted(set(texts))
    assert all(len(batch) <= 2 for batch in calls)


def test_run_batched_reports_progress_in_unique_texts():
    seen = []
    run_batched(
        ["a", "b", "a", "c"],
        lambda ts: [1] * len(ts),
        lambda ts: list(ts),
        max_tokens=2,
        max_size=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(2, 3), (3, 3)]


def test_run_batched_rejects_an_engine_that_loses_outputs():
    with pytest.raises(RuntimeError):
        run_batched(["a", "b"], lambda ts: [1] * len(ts), lambda ts: ["x"], max_tokens=9, max_size=9)
