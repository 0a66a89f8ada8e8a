"""Inline markup through translation: a block's text is held in *pieces* (the text and
tails of an HTML paragraph's ``<b>``, ``<a>``, ``<sup>``...; the runs of a Word paragraph,
those inside hyperlinks included), and its translation must be shared out among the same
pieces so that no element, link or style is lost.

The block's text as it was read is the pieces joined (whitespace collapsed for HTML,
surrounding space stripped). Every boundary between two pieces is a position in that
text, and :func:`share_out` maps each one to a position in the translation, in order:

1. at a sentence boundary the pipeline knows exactly where it goes (``anchors``: each
   segment's start and end in the source and in the translation);
2. inside a word or a run of words the translation kept (names, figures, a copied
   sentence), by the word itself;
3. elsewhere by its relative place between the nearest known positions, moved to the
   nearest word boundary of the translation, so that a link or a bold phrase covers whole
   words.

So a copy keeps every piece exactly as it was, and any translation keeps every piece, its
text changed. Nothing of the translation is lost or repeated: the pieces joined are the
translation.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from difflib import SequenceMatcher

__all__ = ["Anchor", "share_out", "visible_text"]

Anchor = tuple[int, int]
"""A position in a block's source text and the position it has in its translation."""

_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_+")
"""Words, numbers and signs: ``governo1`` (a word and its footnote) is two tokens."""
_SPACE = re.compile(r"\s")
_MAX_TOKENS = 3000
"""Blocks with more tokens than this are aligned by the anchors and proportion alone
(word matching costs about the square of the length)."""


def share_out(
    pieces: Sequence[str],
    translation: str,
    *,
    collapse: bool,
    anchors: Sequence[Anchor] = (),
    fixed: Sequence[bool] = (),
) -> list[str]:
    """The text of each piece once the block's text becomes ``translation``.

    ``collapse``: the block's text was read with runs of whitespace as one space (HTML).
    The whitespace before the first and after the last visible character stays where it
    was, so indentation and line ends of the file are kept. ``fixed`` pieces (code) keep
    their text; the part of the translation placed on one goes to the piece before it
    (or after it) unless it is that same text, so no word of the translation is lost."""
    positions = _visible_positions(pieces, collapse)
    source = visible_text(pieces, collapse=collapse)
    body = translation.strip()
    cut = len(translation) - len(translation.lstrip())
    mapped = _map_positions(source, body, positions, [(s, t - cut) for s, t in anchors])
    texts = [body[mapped[i] : mapped[i + 1]] for i in range(len(pieces))]
    filled = [i for i, piece in enumerate(pieces) if piece.strip()]
    if not filled:
        return texts
    first, last = filled[0], filled[-1]
    texts[:first] = pieces[:first]  # the space before the text, and after it, as it was
    texts[last + 1 :] = pieces[last + 1 :]
    texts[first] = pieces[first][: len(pieces[first]) - len(pieces[first].lstrip())] + texts[first]
    texts[last] += pieces[last][len(pieces[last].rstrip()) :]
    return _keep_fixed(pieces, texts, fixed, collapse)


def _keep_fixed(pieces: Sequence[str], texts: list[str], fixed: Sequence[bool], collapse: bool) -> list[str]:
    """``texts`` with each fixed piece's own text back, and what the translation had put
    there (when it differs) moved to the nearest piece that can change."""
    free = [i for i in range(len(pieces)) if not (fixed and fixed[i])]
    for i in (i for i in range(len(pieces)) if fixed and fixed[i]):
        placed, texts[i] = texts[i], pieces[i]
        before = [j for j in free if j < i]
        after = [j for j in free if j > i]
        if visible_text([placed], collapse=collapse) not in (
            "",
            visible_text([pieces[i]], collapse=collapse),
        ):
            # words moved next to the fixed piece stay words of their own
            if before:
                texts[before[-1]] += placed if placed[-1:].isspace() else placed + " "
            elif after:
                texts[after[0]] = (placed if placed[:1].isspace() else " " + placed) + texts[after[0]]
        # the spaces that set the fixed piece apart stay (``di <code>ls</code> codice``)
        if before and before[-1] == i - 1 and pieces[i - 1][-1:].isspace() and texts[i - 1].strip():
            texts[i - 1] = texts[i - 1].rstrip() + pieces[i - 1][len(pieces[i - 1].rstrip()) :]
        if after and after[0] == i + 1 and pieces[i + 1][:1].isspace() and texts[i + 1].strip():
            texts[i + 1] = (
                pieces[i + 1][: len(pieces[i + 1]) - len(pieces[i + 1].lstrip())] + texts[i + 1].lstrip()
            )
    return texts


def visible_text(pieces: Sequence[str], *, collapse: bool) -> str:
    """The block's text as read from ``pieces``: joined, surrounding space stripped, and
    with ``collapse`` runs of whitespace as one space (as a browser shows HTML)."""
    text = "".join(pieces)
    return (re.sub(r"\s+", " ", text) if collapse else text).strip()


def _visible_positions(pieces: Sequence[str], collapse: bool) -> list[int]:
    """Where each piece starts in the visible text, and where the last ends: ``len(pieces)
    + 1`` positions, never decreasing."""
    raw = "".join(pieces)
    lead = len(raw) - len(raw.lstrip())
    visible = len(visible_text(pieces, collapse=collapse))
    positions, offset, column, in_space = [], 0, 0, True  # leading space is not counted
    for piece in pieces:
        positions.append(min(column, visible))
        for char in piece:
            offset += 1
            if offset <= lead:
                continue
            if _SPACE.match(char) and collapse:
                if not in_space:
                    column += 1
                in_space = True
            else:
                column += 1
                in_space = False
    positions.append(visible)
    return positions


def _map_positions(source: str, target: str, positions: list[int], anchors: Sequence[Anchor]) -> list[int]:
    """Each position of ``source`` mapped into ``target``, in order (see the module)."""
    if source == target:
        return positions
    points = _known_points(source, target, anchors)
    sources = [s for s, _ in points]
    starts, ends = _word_edges(target)
    mapped: list[int] = []
    for k, position in enumerate(positions):
        i = bisect.bisect_left(sources, position)
        if i < len(points) and sources[i] == position:
            value = points[i][1]
        else:
            (s0, t0), (s1, t1) = points[i - 1], points[i]
            estimate = t0 + (position - s0) * (t1 - t0) / max(s1 - s0, 1)
            edges = ends if _ends_word(source, position) else starts
            value = _nearest(edges, estimate, t0, t1)
        if mapped:
            value = max(value, mapped[-1])
            if value == mapped[-1] and source[positions[k - 1] : position].strip():
                # a piece that had words keeps at least one (a link is never emptied)
                later = bisect.bisect_right(ends, value)
                value = ends[later] if later < len(ends) else value
        mapped.append(min(value, len(target)))
    return mapped


def _known_points(source: str, target: str, anchors: Sequence[Anchor]) -> list[Anchor]:
    """The positions whose place in ``target`` is known, in order of both texts: the ends,
    the segment ``anchors``, and the shared words that agree with them."""
    hard = {0: 0, len(source): len(target)}
    for s, t in anchors:
        if 0 <= s <= len(source) and 0 <= t <= len(target):
            hard.setdefault(s, t)
    fixed: list[Anchor] = []
    for s, t in sorted(hard.items()):  # an anchor out of order with an earlier one is left out
        if not fixed or t >= fixed[-1][1]:
            fixed.append((s, t))
    points = dict(fixed)
    sources = [s for s, _ in fixed]
    for s, t in _word_anchors(source, target):
        i = bisect.bisect_left(sources, s)
        if s not in points and 0 < i < len(fixed) and fixed[i - 1][1] <= t <= fixed[i][1]:
            points[s] = t
    return sorted(points.items())


def _word_anchors(source: str, target: str) -> list[Anchor]:
    """Positions inside the words that ``source`` and ``target`` share, in order: each
    character of a word kept by the translation knows where it went."""
    a = [(m.start(), m.group()) for m in _TOKEN.finditer(source)]
    b = [(m.start(), m.group()) for m in _TOKEN.finditer(target)]
    if not a or not b or len(a) > _MAX_TOKENS or len(b) > _MAX_TOKENS:
        return []
    matcher = SequenceMatcher(None, [w for _, w in a], [w for _, w in b], autojunk=False)
    found: list[Anchor] = []
    for i, j, size in matcher.get_matching_blocks():
        if size == 0 or (size == 1 and len(a[i][1]) < 3 and not a[i][1].isdigit()):
            continue  # one short common word ("a", "e", ",") says nothing about the place
        for k in range(size):
            (s, word), (t, _) = a[i + k], b[j + k]
            found += [(s + n, t + n) for n in range(len(word) + 1)]
    return found


def _word_edges(text: str) -> tuple[list[int], list[int]]:
    """Where the words of ``text`` start (after a space), and where they end: before a
    space, or before the punctuation that follows them (``books|.``)."""
    starts = [m.start() for m in re.finditer(r"\S+", text)]
    ends = {m.end() for m in re.finditer(r"\S+", text)} | {m.end() for m in re.finditer(r"\w+", text)}
    return starts, sorted(ends)


def _ends_word(text: str, position: int) -> bool:
    """Whether a boundary at ``position`` closes a word (``<b>word</b>``) rather than
    opening one."""
    if position == 0 or text[position - 1].isspace():
        return False
    return (
        position == len(text)
        or text[position].isspace()
        or (text[position - 1].isalnum() and not text[position].isalnum())
    )


def _nearest(edges: list[int], estimate: float, low: int, high: int) -> int:
    """The edge within ``[low, high]`` closest to ``estimate``; the estimate rounded when
    there is none."""
    i = bisect.bisect_left(edges, estimate)
    candidates = [e for e in edges[max(0, i - 1) : i + 1] if low <= e <= high]
    if not candidates:
        return min(max(round(estimate), low), high)
    return min(candidates, key=lambda e: abs(e - estimate))
