"""The summary stage: bilingual summaries of translated documents, each point grounded
in the segments it rests on.

:func:`summarize_documents` runs the whole stage. A document with few sentences keeps its
translation as its summary. Longer ones are summarized: a text longer than the
summarizer's context is cut at sentence boundaries into windows; the windows of all
documents are summarized together in batches; each document's partial summaries are
joined and summarized again, round after round, until one window holds it. The summary
is split into points, each point grounded in the segments that share its words, and the
points are rendered in Italian by the callable the caller gives.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from .batching import ProgressFn, run_batched
from .segmenting import split_long, split_sentences
from .types import Point, Segment, Summary

if TYPE_CHECKING:
    from .engines import Seq2SeqEngine

__all__ = ["Translated", "ground_points", "pack_windows", "summarize_documents", "summarize_many"]

RenderItalian = Callable[[Sequence[str]], list[tuple[str, float | None]]]
"""English texts in, their Italian renderings out, in order, each with the renderer's
score (or None)."""

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


class Translated(NamedTuple):
    """A translated document, as the summary stage reads it."""

    source: str
    segments: Sequence[Segment]
    translations: Sequence[str]
    """One per segment."""
    english: str
    """The whole translation, layout kept."""


class Draft(NamedTuple):
    """A summarizer's output for one text, and whether it needed several rounds."""

    text: str
    hierarchical: bool


def summarize_documents(
    documents: Sequence[Translated],
    summarizer: Callable[[], Seq2SeqEngine],
    render_italian: RenderItalian | None,
    *,
    min_sentences: int,
    max_tokens: int,
    max_size: int,
    progress: ProgressFn | None = None,
) -> list[Summary]:
    """The bilingual summary of each document, in order.

    Documents with fewer than ``min_sentences`` segments keep their translation as the
    summary (one point per segment); the others are summarized together in batches by the
    engine ``summarizer()`` returns (called only when one is needed, so a run of short
    documents never loads it). ``render_italian`` None: no Italian summary.
    """
    summaries: dict[int, Summary] = {}
    long: list[int] = []
    for i, doc in enumerate(documents):
        if len(doc.segments) >= min_sentences:
            long.append(i)
        else:
            summaries[i] = _translation_as_summary(doc, italian=render_italian is not None)
    if long:
        drafts = summarize_many(
            [documents[i].translations for i in long],
            summarizer(),
            max_tokens=max_tokens,
            max_size=max_size,
            progress=progress,
        )
        made = _bilingual(drafts, [documents[i] for i in long], render_italian)
        summaries.update(zip(long, made, strict=True))
    return [summaries[i] for i in range(len(documents))]


def _translation_as_summary(doc: Translated, italian: bool) -> Summary:
    """A short document's summary: its translation, a point per segment."""
    points = tuple(  # a blank translation (an emoji-only line, say) makes no point
        Point(en, seg.text if italian else None, (seg.index,))
        for seg, en in zip(doc.segments, doc.translations, strict=True)
        if en.strip()
    )
    it = doc.source.strip() if italian else None
    return Summary(en=doc.english.strip(), it=it, kind="translation", points=points)


def _bilingual(
    drafts: Sequence[Draft], documents: Sequence[Translated], render_italian: RenderItalian | None
) -> list[Summary]:
    """Each draft split into points, grounded in its document's segments, and rendered in
    Italian (all documents' points in one call)."""
    points_en = [[d.text[s:e] for s, e in split_sentences(d.text, "en")] for d in drafts]
    flat = [p for points in points_en for p in points]
    rendered = iter(render_italian(flat) if render_italian is not None else [(None, None)] * len(flat))
    summaries = []
    for draft, points, doc in zip(drafts, points_en, documents, strict=True):
        points_it = [next(rendered) for _ in points]
        grounded = ground_points(points, doc.translations)
        summaries.append(
            Summary(
                en=" ".join(points),
                it=" ".join(p for p, _ in points_it if p) if render_italian is not None else None,
                kind="hierarchical" if draft.hierarchical else "abstractive",
                points=tuple(
                    Point(en, it, sources, it_score=score)
                    for en, (it, score), sources in zip(points, points_it, grounded, strict=True)
                ),
            )
        )
    return summaries


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
) -> list[Draft]:
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
    return [Draft(final[i], rounds[i] > 1) for i in range(len(texts))]


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
    no word with any segment gets none. Segments are found through an index from word to
    segments, so a long document's points cost what their words occur, not its length
    times theirs.
    """
    segment_words = [_content_words(s) for s in segments]
    where: dict[str, list[int]] = {}
    for i, found in enumerate(segment_words):
        for word in found:
            where.setdefault(word, []).append(i)
    grounded: list[tuple[int, ...]] = []
    for point in points:
        uncovered = _content_words(point)
        chosen: list[int] = []
        while uncovered and len(chosen) < max_sources:
            shared = Counter(i for word in uncovered for i in where.get(word, ()))
            best = max(shared, key=lambda i: (shared[i], -i), default=None)  # the first of the best
            if best is None or best in chosen:
                break
            gain = shared[best]
            if gain == 0 or (chosen and gain < 2 and gain < len(uncovered)):
                break
            chosen.append(best)
            uncovered -= segment_words[best]
        grounded.append(tuple(sorted(chosen)))
    return grounded
