"""Batching as pure functions: deduplicate, sort by length, cut by a token budget, restore order.

No torch here. :func:`run_batched` takes the engine's two callables, so a unit test can
drive it with plain Python functions and check order, budget and deduplication exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from .errors import BatchTooLarge

__all__ = ["ProgressFn", "plan_batches", "run_batched"]

log = logging.getLogger("it2en.batching")

T = TypeVar("T")
"""What an engine's generate returns per text: a string, or a (string, score) pair."""

ProgressFn = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each batch, in texts."""


def plan_batches(lengths: Sequence[int], max_tokens: int, max_size: int) -> list[list[int]]:
    """Group indices into batches, longest first.

    A batch costs ``rows × longest row`` padded tokens; each batch stays within
    ``max_tokens`` (an item longer than the budget alone gets a batch of its own) and holds
    at most ``max_size`` items. Sorting by length keeps padding, and so wasted work, small;
    longest first makes an out-of-memory failure show up on the first batch.
    """
    if max_tokens < 1 or max_size < 1:
        raise ValueError("max_tokens and max_size must be positive")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in order:
        length = max(1, lengths[index])
        width = max(longest, length)
        if current and (len(current) >= max_size or width * (len(current) + 1) > max_tokens):
            batches.append(current)
            current, width = [], length
        current.append(index)
        longest = width
    if current:
        batches.append(current)
    return batches


def run_batched(
    texts: Sequence[str],
    count_tokens: Callable[[Sequence[str]], list[int]],
    generate: Callable[[Sequence[str]], list[T]],
    *,
    max_tokens: int,
    max_size: int,
    progress: ProgressFn | None = None,
) -> list[T]:
    """Outputs for ``texts`` in their order, each distinct text generated exactly once."""
    unique = list(dict.fromkeys(texts))
    if not unique:
        return []
    lengths = count_tokens(unique)
    outputs: dict[str, T] = {}
    done = 0
    for batch in plan_batches(lengths, max_tokens, max_size):
        inputs = [unique[i] for i in batch]
        outputs.update(zip(inputs, _generate_halving(generate, inputs), strict=True))
        done += len(inputs)
        if progress is not None:
            progress(done, len(unique))
    return [outputs[text] for text in texts]


def _generate_halving(generate: Callable[[Sequence[str]], list[T]], inputs: list[str]) -> list[T]:
    """``generate(inputs)``; on :class:`BatchTooLarge`, each half on its own."""
    try:
        results = generate(inputs)
    except BatchTooLarge:
        if len(inputs) == 1:
            raise
        half = len(inputs) // 2
        log.warning("a batch of %d did not fit in memory; retrying it in halves", len(inputs))
        return _generate_halving(generate, inputs[:half]) + _generate_halving(generate, inputs[half:])
    if len(results) != len(inputs):
        raise RuntimeError(f"engine returned {len(results)} outputs for {len(inputs)} inputs")
    return results
