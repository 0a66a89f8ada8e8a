"""Trust signals: the checks that flag segments and summary points a reader should check.

Each check is cheap enough to run on every segment and never changes a translation; what
it finds is a :class:`~pipeline.types.Flag` with a one-line reason. Segment checks:
``untranslated``, ``numbers``, ``names``, ``repetition``, ``length``, ``low_confidence``,
``term`` (a glossary term not followed). Summary point checks: ``unsupported`` (a number
or name the document's translation does not have), ``ungrounded`` (no source segment),
and ``numbers`` and ``term`` on the Italian rendering.
The README's "Trust signals" documents each with an example.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, cast

from ..terms import Glossary
from ..types import FLAGS, Flag, FlagName, Point, Result
from .language import italian_probability
from .names import missing_names, names
from .numbers import missing_numbers

if TYPE_CHECKING:
    from ..config import PipelineConfig

__all__ = ["CheckSettings", "check_points", "check_result", "check_segment", "length_ratio"]

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+")
_MIN_LENGTH_CHECKED = 20
"""Source characters (spaces aside) below which length ratios are too noisy to judge."""


@dataclass(frozen=True)
class CheckSettings:
    """Which checks run, and their thresholds (``[checks]`` in the config)."""

    enabled: frozenset[FlagName] = frozenset(FLAGS)
    min_score: float = -1.5
    """``low_confidence`` below this mean log-probability per token of the translator."""
    min_score_italian: float = -1.5
    """``low_confidence`` of a point whose Italian rendering scores below this."""
    length_ratio: tuple[float, float] = (0.4, 2.5)
    """``length`` outside this band of translation to source characters."""
    glossary: Glossary = field(default_factory=Glossary)
    """The terms ``term`` checks (the pipeline's glossary)."""

    @classmethod
    def from_config(cls, config: PipelineConfig, glossary: Glossary | None = None) -> CheckSettings:
        """The settings of ``config``'s ``[checks]``, checking ``glossary``'s terms."""
        return cls(
            glossary=glossary or Glossary(),
            enabled=frozenset(cast("tuple[FlagName, ...]", config.checks)),
            min_score=config.min_score_translator,
            min_score_italian=config.min_score_back_translator,
            length_ratio=(config.length_ratio_min, config.length_ratio_max),
        )


def check_result(result: Result, settings: CheckSettings) -> Result:
    """``result`` with what the enabled checks find in its segments and summary points
    (earlier flags replaced); unchanged when no check is enabled."""
    if not settings.enabled:
        return result
    flags = tuple(
        check_segment(segment.text, translation, score, settings)
        for segment, translation, score in zip(
            result.segments, result.translations, result.scores or [None] * len(result.segments), strict=True
        )
    )
    summary = result.summary
    if summary is not None:
        summary = replace(summary, points=check_points(summary.points, result.translation, settings))
    return replace(result, flags=flags, summary=summary)


def check_segment(
    source: str, translation: str, score: float | None, settings: CheckSettings
) -> tuple[Flag, ...]:
    """What the enabled checks find in one translated segment."""
    on = settings.enabled
    flags: list[Flag] = []
    if "untranslated" in on and (reason := _untranslated(source, translation)):
        flags.append(Flag("untranslated", reason))
    if "numbers" in on and (missing := missing_numbers(source, "it", translation)):
        flags.append(Flag("numbers", f"{', '.join(missing)} not in the translation"))
    if "names" in on and (lost := _not_terms(missing_names(source, translation), settings.glossary)):
        flags.append(Flag("names", f"{', '.join(lost)} not in the translation"))
    if "repetition" in on and (loop := _loop(translation)) and not _loop(source):
        flags.append(Flag("repetition", f"repeats {loop!r}"))
    if "length" in on and (ratio := length_ratio(source, translation)) is not None:
        low, high = settings.length_ratio
        if not low <= ratio <= high:
            flags.append(Flag("length", f"{ratio:.2f} times the source's length"))
    if "low_confidence" in on and score is not None and score < settings.min_score:
        flags.append(Flag("low_confidence", f"score {score:.2f} below {settings.min_score:g}"))
    if "term" in on and settings.glossary and (missed := settings.glossary.unfollowed(source, translation)):
        flags.append(Flag("term", "; ".join(missed)))
    return tuple(flags)


def check_points(points: Sequence[Point], translation: str, settings: CheckSettings) -> tuple[Point, ...]:
    """The summary ``points`` with what the enabled checks find in each: a number or name
    that the document's ``translation`` lacks, no source segment, an Italian rendering that
    lost a number of its English point, an Italian rendering the back-translator was
    unsure of."""
    on = settings.enabled
    checked = []
    for point in points:
        flags: list[Flag] = []
        if "unsupported" in on:
            invented = missing_numbers(point.en, "en", translation)
            invented += missing_names(point.en, translation, loose=True)
            if invented:
                flags.append(Flag("unsupported", f"{', '.join(invented)} not in the document"))
        if "ungrounded" in on and not point.source_segments:
            flags.append(Flag("ungrounded", "rests on no sentence of the document"))
        if "numbers" in on and point.it and (missing := missing_numbers(point.en, "en", point.it)):
            flags.append(Flag("numbers", f"{', '.join(missing)} not in the Italian rendering"))
        reverse = settings.glossary.reversed
        if "term" in on and point.it and reverse and (missed := reverse.unfollowed(point.en, point.it)):
            flags.append(Flag("term", f"in the Italian rendering: {'; '.join(missed)}"))
        low = settings.min_score_italian
        if "low_confidence" in on and point.it_score is not None and point.it_score < low:
            flags.append(
                Flag("low_confidence", f"Italian rendering scores {point.it_score:.2f}, below {low:g}")
            )
        checked.append(replace(point, flags=tuple(flags)))
    return tuple(checked)


def _not_terms(names: list[str], glossary: Glossary) -> list[str]:
    """The ``names`` that hold no glossary term: a term's rendering is the ``term``
    check's to judge, not the ``names`` check's."""
    return [name for name in names if not glossary.find(name)]


def _untranslated(source: str, translation: str) -> str | None:
    """Why ``translation`` is still Italian, if it is: the source repeated (when the
    source is Italian: an English quotation is rightly copied), or Italian by the language
    identifier. Names, numbers and URLs do not count either way."""
    words = _content_words(translation)
    if not words:
        return None
    if words == _content_words(source) and italian_probability(source) > 0.5:
        return "the translation repeats the Italian source"
    if len(words) >= 3 and italian_probability(translation) >= 0.9:
        return "the translation is Italian"
    return None


def _content_words(text: str) -> list[str]:
    """The lower-cased words of ``text`` without its names, numbers and URLs."""
    text = _URL.sub(" ", text)
    proper = {part.casefold() for name in names(text) for part in name.split()}
    return [w for w in (m.group().casefold() for m in _WORD.finditer(text)) if w not in proper]


def _loop(text: str) -> str | None:
    """A phrase of one to six words repeated back to back (four times for one word, three
    for longer phrases): how a decoder stuck in a loop writes."""
    words = [w.casefold() for w in _WORD.findall(text)]
    for size in range(1, 7):
        needed = 4 if size == 1 else 3
        for start in range(len(words) - size * needed + 1):
            phrase = words[start : start + size]
            if all(words[start + k * size : start + (k + 1) * size] == phrase for k in range(1, needed)):
                return " ".join(phrase)
    return None


def length_ratio(source: str, translation: str) -> float | None:
    """Characters of ``translation`` per character of ``source``, spaces aside (what the
    ``length`` check bounds); None for a source too short to judge."""
    source_length = len("".join(source.split()))
    if source_length < _MIN_LENGTH_CHECKED:
        return None
    return len("".join(translation.split())) / source_length
