"""Split a document into translatable segments with exact character offsets.

Three levels, each keeping offsets into the original text:

1. **Blocks and lines.** Blank lines separate paragraphs (a document without any blank
   line is read as one paragraph per line, as news feeds are written). Markdown headings,
   list items and block quotes are blocks of their own; their markers stay in the gaps
   between segments and are copied to the output untouched, as are fenced code blocks and
   horizontal rules. A sentence never crosses a line break, so line breaks survive.
2. **Sentences**, found by `sentencex` (Wikimedia's maintained splitter; see README for
   the comparison with pysbd), plus one Italian repair: a "sentence" that starts with a
   lower-case letter continues the previous one (``Alfa S.p.A. ha chiuso``).
3. **Long sentences** over the model's input limit are cut at clause boundaries
   (``, ; :`` and dashes), and pieces still too long into windows of whole words (a single
   over-long "word" into character windows). Nothing is ever dropped.

:func:`reassemble` is the way back: the text with each segment replaced by its output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import sentencex

from .types import Segment, SegmentKind

__all__ = [
    "TokenCounter",
    "paragraph_count",
    "reassemble",
    "segment_document",
    "split_long",
    "split_sentences",
]

TokenCounter = Callable[[Sequence[str]], list[int]]
Phrases = Callable[[str], Sequence[tuple[int, int]]]
"""The spans of a text that a cut must not fall inside (a glossary's terms)."""
"""Tokens a model sees for each text, special tokens included."""

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MARKERS: tuple[tuple[SegmentKind, re.Pattern[str]], ...] = (
    ("heading", re.compile(r"^\s{0,3}#{1,6}[ \t]+")),
    ("list_item", re.compile(r"^\s*(?:[-*+•]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")),
    ("quote", re.compile(r"^\s{0,3}(?:>[ \t]?)+")),
)
_CLAUSE_CHARS = frozenset(",;:)]»”")
_DASHES = frozenset({"-", "–", "—"})
# split_long's penalties: each window costs one unit, a cut inside a clause costs more than
# an extra window would, and a half-empty window a fraction (which evens windows out).
_WINDOW = 1.0
_BAD_CUT = 1.5
_WORD = re.compile(r"\S+")
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    paragraph: int
    kind: SegmentKind


SPLIT_WINDOW = 20_000
"""Characters handed to the sentence splitter at once (see :func:`_boundaries`)."""


def segment_document(
    text: str,
    count_tokens: TokenCounter,
    max_tokens: int,
    language: str = "it",
    phrases: Phrases | None = None,
) -> list[Segment]:
    """All segments of ``text`` in document order.

    Each segment's text is ``text[start:end]`` and no segment has more than
    ``max_tokens`` tokens by ``count_tokens``; an over-long sentence is not cut inside a
    span ``phrases`` gives (unless the span alone is over-long).
    """
    spans: list[tuple[int, int, _Line]] = []
    for line in _lines(text):
        for s, e in split_sentences(text[line.start : line.end], language):
            spans.append((line.start + s, line.start + e, line))
    counts = count_tokens([text[s:e] for s, e, _ in spans]) if spans else []
    segments: list[Segment] = []
    for (start, end, line), count in zip(spans, counts, strict=True):
        pieces = (
            [(start, end)]
            if count <= max_tokens
            else [
                (start + s, start + e)
                for s, e in split_long(text[start:end], count_tokens, max_tokens, phrases)
            ]
        )
        for s, e in pieces:
            segments.append(Segment(len(segments), line.paragraph, s, e, text[s:e], line.kind))
    return segments


def paragraph_count(text: str) -> int:
    """How many paragraphs ``text`` has, as segmentation counts them (a heading, a list
    item and a block of lines between blank lines are one each)."""
    lines = _lines(text)
    return lines[-1].paragraph + 1 if lines else 0


def _lines(text: str) -> list[_Line]:
    """Translatable line spans (marker and surrounding blanks excluded) with paragraphs."""
    raw: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        raw.append((pos, line))
        pos += len(line) + 1
    one_per_line = _BLANK_LINE.search(text.strip()) is None
    lines: list[_Line] = []
    paragraph = -1
    new_block = True
    in_fence = False
    for offset, line in raw:
        if _FENCE.match(line):
            in_fence, new_block = not in_fence, True
            continue
        if in_fence or not line.strip() or _RULE.match(line) or _TABLE_RULE.match(line):
            new_block = True
            continue
        kind: SegmentKind = "text"
        body = 0
        for marker_kind, pattern in _MARKERS:
            match = pattern.match(line)
            if match and line[match.end() :].strip():
                kind, body = marker_kind, match.end()
                break
        previous = lines[-1].kind if lines else None
        if new_block or one_per_line or kind in ("heading", "list_item") or previous != kind:
            paragraph += 1
        new_block = kind == "heading"
        stripped = line[body:].rstrip()
        lead = len(stripped) - len(stripped.lstrip())
        lines.append(_Line(offset + body + lead, offset + len(stripped) + body, paragraph, kind))
    return lines


def split_sentences(text: str, language: str = "it") -> list[tuple[int, int]]:
    """Sentence spans of ``text`` as ``(start, end)``, surrounding whitespace excluded."""
    spans: list[tuple[int, int]] = []
    for start, end in _boundaries(text, language):
        chunk = text[start:end]
        stripped = chunk.strip()
        if not stripped:
            continue
        start += len(chunk) - len(chunk.lstrip())
        end = start + len(stripped)
        if spans and _continues(stripped):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return _cover(text, spans)


def _boundaries(text: str, language: str, window: int = SPLIT_WINDOW) -> Iterator[tuple[int, int]]:
    """sentencex's sentence boundaries of ``text``, found ``window`` characters at a time:
    its time grows with the square of the text it is given, and a 5 MB single-line file
    must not take hours. Each window's last sentence may run on, so the next window starts
    there; a window holding one sentence only is cut at its last space."""
    position = 0
    while position < len(text):
        stop = min(len(text), position + window)
        found = [
            (position + b["start_index"], position + b["end_index"])
            for b in sentencex.get_sentence_boundaries(language, text[position:stop])
        ]
        if stop == len(text):
            yield from found
            return
        if len(found) > 1:
            yield from found[:-1]
            position = found[-1][0]
            continue
        cut = text.rfind(" ", position + 1, stop)
        cut = stop if cut <= position else cut
        yield position, cut
        position = cut


def _continues(sentence: str) -> bool:
    """A sentence opening in lower case is the tail of a false split (``S.p.A. ha``)."""
    first = next((c for c in sentence if c.isalnum()), "")
    return first.islower()


def _cover(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Guarantee that no non-blank text falls outside the spans, whatever the splitter did."""
    covered: list[tuple[int, int]] = []
    pos = 0
    for start, end in spans:
        if text[pos:start].strip():
            covered.append(_strip_span(text, pos, start))
        covered.append((start, end))
        pos = end
    if text[pos:].strip():
        covered.append(_strip_span(text, pos, len(text)))
    return covered


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    return start + lead, start + len(chunk.rstrip())


def split_long(
    text: str, count_tokens: TokenCounter, max_tokens: int, phrases: Phrases | None = None
) -> list[tuple[int, int]]:
    """Cut an over-long sentence into spans of at most ``max_tokens`` tokens.

    Cuts fall between words, preferably at clause boundaries (after ``, ; : )`` or before
    a dash), never inside a span of ``phrases`` (a term: its words are one unit); among
    the cuttings with the fewest bad cuts, windows of even length win, so a sentence
    never ends in a stray one-word piece. A single word (or term) too long for a window
    is cut into character windows. The spans cover every non-blank character, in order.
    """
    overhead = count_tokens([""])[0]
    words = _joined([(m.start(), m.end()) for m in _WORD.finditer(text)], phrases(text) if phrases else ())
    units: list[tuple[int, int]] = []
    costs: list[int] = []
    word_counts = count_tokens([text[s:e] for s, e in words]) if words else []
    for (s, e), count in zip(words, word_counts, strict=True):
        if count <= max_tokens:
            units.append((s, e))
            costs.append(count - overhead)
        else:
            pieces = _fit(text, s, e, count_tokens, max_tokens)
            units.extend(pieces)
            costs.extend(c - overhead for c in count_tokens([text[a:b] for a, b in pieces]))
    if not units:
        return []
    clause_end = [
        text[e - 1] in _CLAUSE_CHARS
        or (k + 1 < len(units) and text[units[k + 1][0] : units[k + 1][1]] in _DASHES)
        for k, (_, e) in enumerate(units)
    ]
    back = _cut_points(costs, clause_end, max_tokens - overhead)
    windows: list[tuple[int, int]] = []
    j = len(units)
    while j > 0:
        i = back[j]
        windows.append((units[i][0], units[j - 1][1]))
        j = i
    windows.reverse()
    # Counting parts and adding them up is exact for SentencePiece and close for byte-level
    # BPE; check the real counts and cut again wherever the sum was optimistic.
    out: list[tuple[int, int]] = []
    for (s, e), count in zip(windows, count_tokens([text[s:e] for s, e in windows]), strict=True):
        out.extend([(s, e)] if count <= max_tokens else _fit(text, s, e, count_tokens, max_tokens))
    return out


def _joined(words: list[tuple[int, int]], phrases: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """``words`` with those that a phrase spans made one unit."""
    joined: list[tuple[int, int]] = []
    ends = iter(sorted(phrases))
    phrase = next(ends, None)
    for start, end in words:
        while phrase is not None and phrase[1] <= start:
            phrase = next(ends, None)
        inside = phrase is not None and phrase[0] < start < phrase[1]  # not the phrase's first word
        if inside and joined:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _cut_points(costs: Sequence[int], clause_end: Sequence[bool], capacity: int) -> list[int]:
    """Where each window starts in the best cutting of units of ``costs`` into windows of
    at most ``capacity``: ``back[j]`` is the start of the window that ends before unit j.

    Dynamic programming over unit ends, each step vectorised over the window's possible
    starts (found by bisection on the running cost), so the time grows with the units
    times the units per window, in numpy rather than Python.
    """
    import numpy as np

    prefix = np.concatenate([[0], np.cumsum(np.asarray(costs, dtype=np.int64))])
    best = np.full(len(costs) + 1, np.inf)
    best[0] = 0.0
    back = [0] * (len(costs) + 1)
    for j in range(1, len(costs) + 1):
        # Starts i whose window units[i:j] fits; a unit too big alone still gets its own.
        first = min(int(np.searchsorted(prefix, prefix[j] - capacity, side="left")), j - 1)
        used = prefix[j] - prefix[first:j]
        bad_cut = 0.0 if j == len(costs) or clause_end[j - 1] else _BAD_CUT
        penalty = best[first:j] + _WINDOW + bad_cut + ((capacity - used) / capacity) ** 2
        last = len(penalty) - 1 - int(np.argmin(penalty[::-1]))  # ties: the latest start
        best[j], back[j] = penalty[last], first + last
    return back


def _fit(
    text: str, start: int, end: int, count_tokens: TokenCounter, max_tokens: int
) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` until every part really fits: at the last word boundary
    that fits, or mid-word (bisecting by characters) when one word alone is too long."""
    if count_tokens([text[start:end]])[0] <= max_tokens:
        return [(start, end)]
    chunk = text[start:end]
    middle = len(chunk) // 2
    cut = chunk.rfind(" ", 0, middle + 1)
    if cut <= 0:
        cut = chunk.find(" ", middle)
    if cut <= 0:
        cut = max(1, middle)
        head, tail = (start, start + cut), (start + cut, end)
    else:
        head, tail = _strip_span(text, start, start + cut), _strip_span(text, start + cut, end)
    return _fit(text, *head, count_tokens, max_tokens) + _fit(text, *tail, count_tokens, max_tokens)


def reassemble(
    text: str,
    segments: Sequence[Segment],
    outputs: Sequence[str],
    start: int = 0,
    end: int | None = None,
) -> str:
    """``text[start:end]`` with each segment replaced by its output and everything between
    segments (spaces, line breaks, Markdown markers, code) copied verbatim."""
    parts: list[str] = []
    position = start
    for segment, output in zip(segments, outputs, strict=True):
        parts.append(text[position : segment.start])
        parts.append(output)
        position = segment.end
    parts.append(text[position:end])
    return "".join(parts)
