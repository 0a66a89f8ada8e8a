"""Calibrating the trust checks on a reference set: a segment is *bad* when its chrF
falls below a threshold; each check's precision and recall against that label, and the
``min_score_translator`` and length band that maximise F1."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from ..checks import length_ratio
from ..types import Failure, Result
from .records import Calibration, CheckQuality, ReferenceItem, SegmentScore

__all__ = ["calibrate"]


def calibrate(
    items: Sequence[ReferenceItem],
    results: Sequence[Result | Failure],
    segments: Sequence[SegmentScore],
    bad_below: float | None,
) -> Calibration:
    chrfs = sorted(s.chrf for s in segments)
    threshold = bad_below if bad_below is not None else chrfs[int(0.1 * (len(chrfs) - 1))]
    bad = [s.chrf < threshold for s in segments]
    flags: dict[str, list[bool]] = {}
    scores: list[float | None] = []
    ratios: list[float | None] = []
    for item, result, segment in zip(items, results, segments, strict=True):
        names: set[str] = {f.name for fs in result.flags for f in fs} if isinstance(result, Result) else set()
        for name in names:
            flags.setdefault(name, [False] * len(segments))
        for name, column in flags.items():
            column[len(scores)] = name in names
        known = [s for s in result.scores if s is not None] if isinstance(result, Result) else []
        scores.append(min(known) if known else None)
        ratios.append(length_ratio(item.source, segment.hypothesis))
    checks = [_quality(name, column, bad) for name, column in sorted(flags.items())]
    min_score = _best_threshold(scores, bad) if any(bad) else None  # nothing to find: no advice
    band = _best_band(ratios, bad) if any(bad) else None
    if min_score is not None:
        checks.append(
            _quality(
                f"score < {min_score:.3f} (calibrated)",
                [s is not None and s < min_score for s in scores],
                bad,
            )
        )
    if band is not None:
        low, high = band
        checks.append(
            _quality(
                f"length outside {low:.2f}-{high:.2f} (calibrated)",
                [r is not None and not low <= r <= high for r in ratios],
                bad,
            )
        )
    return Calibration(threshold, sum(bad), len(bad), tuple(checks), min_score, band)


def _quality(name: str, predicted: Sequence[bool], bad: Sequence[bool]) -> CheckQuality:
    hits = sum(p and b for p, b in zip(predicted, bad, strict=True))
    return _quality_of(name, hits, sum(predicted), sum(bad))


def _f1(hits: int, flagged: int, bad: int) -> float:
    return _quality_of("", hits, flagged, bad).f1


def _quality_of(name: str, hits: int, flagged: int, bad: int) -> CheckQuality:
    """A check that flagged ``flagged`` segments, ``hits`` of them among ``bad`` bad ones."""
    return CheckQuality(name, flagged, hits / flagged if flagged else 0.0, hits / bad if bad else 0.0)


def _best_threshold(scores: Sequence[float | None], bad: Sequence[bool]) -> float | None:
    """The score threshold (flag below it) with the best F1, just above a seen score: one
    sweep over the scores in order, so a set of any size costs its sort."""
    pairs = sorted((s, b) for s, b in zip(scores, bad, strict=True) if s is not None)
    total, best = sum(bad), None
    flagged = hits = 0
    for k, (value, is_bad) in enumerate(pairs):
        flagged, hits = flagged + 1, hits + is_bad
        if k + 1 < len(pairs) and pairs[k + 1][0] == value:
            continue  # a threshold flags every segment of a score, or none
        f1 = _f1(hits, flagged, total)
        if best is None or f1 > best[0]:
            best = (f1, value + 1e-6)
    return best[1] if best is not None else None


_MOST_ENDS = 64
"""Candidate ends of the length band on each side: every seen ratio up to this many, else
this many spread evenly over them (the search costs their product)."""


def _best_band(ratios: Sequence[float | None], bad: Sequence[bool]) -> tuple[float, float] | None:
    """The length band (flag outside it) with the best F1, its ends among seen ratios;
    each band is counted from sorted ratios and running counts of the bad ones."""
    ordered = sorted((r, b) for r, b in zip(ratios, bad, strict=True) if r is not None)
    if not ordered:
        return None
    values = [r for r, _ in ordered]
    before = [0]  # bad segments among the first k ratios
    for _, is_bad in ordered:
        before.append(before[-1] + is_bad)
    seen, total, n = sorted(set(values)), sum(bad), len(values)
    lows = [seen[0] - 1e-6, *(r + 1e-6 for r in _spread(seen[: len(seen) // 2 + 1]))]
    highs = [seen[-1] + 1e-6, *(r - 1e-6 for r in _spread(seen[len(seen) // 2 :]))]
    best: tuple[float, tuple[float, float]] | None = None
    for low in lows:
        below = bisect.bisect_left(values, low)
        for high in highs:
            if low >= high:
                continue
            above = bisect.bisect_right(values, high)
            f1 = _f1(before[below] + before[n] - before[above], below + n - above, total)
            if best is None or f1 > best[0]:
                best = (f1, (low, high))
    return best[1] if best is not None else None


def _spread(values: list[float]) -> list[float]:
    """``values``, or :data:`_MOST_ENDS` of them spread evenly when there are more."""
    if len(values) <= _MOST_ENDS:
        return values
    return [values[round(k * (len(values) - 1) / (_MOST_ENDS - 1))] for k in range(_MOST_ENDS)]
