"""Summaries of English text of any length, and the segments each summary point rests on.

A text longer than the summarizer's context is cut at sentence boundaries into windows;
the windows of all documents are summarized together in batches; each document's partial
summaries are joined and summarized again, round after round, until one window holds it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .batching import ProgressFn, run_batched
from .engine import Seq2SeqEngine
from .segmenting import split_long

__all__ = ["DocumentSummary", "ground_points", "pack_windows", "summarize_many"]

_MAX_ROUNDS = 6
_TOKEN = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    """
    the and for that with this from have has had was were are been will would which who whom
    whose what when where while their there they them then than its his her our your not but
    also into over under about after before said says more most other some such only very can
    could should may might must one two any all each
    """.split()
)


@dataclass(frozen=True)
class DocumentSummary:
    """A summarizer's output for one text, and whether it needed several rounds."""

    text: str
    hierarchical: bool


def pack_windows(sentences: Sequence[str], engine: Seq2SeqEngine, limit: int | None = None) -> list[str]:
    """Join consecutive sentences into windows of at most ``limit`` tokens (default: the
    engine's input limit). A sentence too long alone is split by :func:`split_long`."""
    limit = limit or engine.max_input_tokens
    units: list[str] = []
    for sentence, count in zip(sentences, engine.count_tokens(sentences) if sentences else [], strict=True):
        if count <= limit:
            units.append(sentence)
        else:
            units.extend(sentence[s:e] for s, e in split_long(sentence, engine.count_tokens, limit))
    overhead = engine.count_tokens([""])[0]
    windows: list[str] = []
    current: list[str] = []
    used = overhead
    for unit, count in zip(units, engine.count_tokens(units) if units else [], strict=True):
        cost = count - overhead + 1  # +1 for the joining space
        if current and used + cost > limit:
            windows.append(" ".join(current))
            current, used = [], overhead
        current.append(unit)
        used += cost
    if current:
        windows.append(" ".join(current))
    return windows


def summarize_many(
    texts: Sequence[Sequence[str]],
    engine: Seq2SeqEngine,
    *,
    max_tokens: int,
    max_size: int,
    progress: ProgressFn | None = None,
) -> list[DocumentSummary]:
    """One summary per document, given each document as its list of sentences.

    All windows of all documents in a round go through one batched call, so short and
    long documents share batches sorted by length.
    """
    pending = {i: list(sentences) for i, sentences in enumerate(texts)}
    rounds = {i: 0 for i in pending}
    final: dict[int, str] = {}
    while pending:
        windows = {i: pack_windows(sentences, engine) for i, sentences in pending.items()}
        flat = [w for i in windows for w in windows[i]]
        outputs = iter(
            run_batched(
                flat,
                engine.count_tokens,
                engine.generate,
                max_tokens=max_tokens,
                max_size=max_size,
                progress=progress,
            )
        )
        for i, doc_windows in windows.items():
            partials = [next(outputs) for _ in doc_windows]
            rounds[i] += 1
            if len(partials) == 1 or rounds[i] >= _MAX_ROUNDS:
                final[i] = " ".join(partials)
                del pending[i]
            else:
                pending[i] = partials
    return [DocumentSummary(final[i], rounds[i] > 1) for i in range(len(texts))]


def _content_words(text: str) -> set[str]:
    return {
        w
        for w in (m.group().lower() for m in _TOKEN.finditer(text))
        if (len(w) > 2 or w.isdigit()) and w not in _STOPWORDS
    }


def ground_points(
    points: Sequence[str], segments: Sequence[str], max_sources: int = 3
) -> list[tuple[int, ...]]:
    """For each point, the indices of the segments that together cover most of its words.

    Greedy set cover over content words: take the segment sharing the most still-uncovered
    words with the point, repeat while a segment adds at least two words (or the last one
    left), up to ``max_sources``. Indices are returned in document order; a point sharing
    no word with any segment gets none.
    """
    segment_words = [_content_words(s) for s in segments]
    grounded: list[tuple[int, ...]] = []
    for point in points:
        uncovered = _content_words(point)
        chosen: list[int] = []
        while uncovered and len(chosen) < max_sources:
            best = max(
                range(len(segments)),
                key=lambda i: (len(uncovered & segment_words[i]), -i),
                default=None,
            )
            if best is None or best in chosen:
                break
            gain = len(uncovered & segment_words[best])
            if gain == 0 or (chosen and gain < 2 and gain < len(uncovered)):
                break
            chosen.append(best)
            uncovered -= segment_words[best]
        grounded.append(tuple(sorted(chosen)))
    return grounded
