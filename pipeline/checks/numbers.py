"""Numbers, amounts, dates and times as values, read with Italian or English conventions.

A text becomes the set of numeric values it states, so that ``4,7`` (Italian) and ``4.7``
(English), ``1.200`` and ``1,200``, ``3 milioni`` and ``3 million``, ``15.03.2026`` and
``March 15, 2026``, ``18.30`` and ``6:30 p.m.`` compare equal. A date or a time is its
parts (``15.03.2026`` is 15, 3 and 2026), so every way of writing it gives the same set.

The source is read one way, by its language's conventions (:func:`stated`); the text it
is compared with is read every plausible way (:func:`readable`), so a number is reported
missing only when no reading of the other text has it: a wrong flag costs a reader as
much as a missed one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

__all__ = ["missing_numbers", "readable", "stated"]

_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*")
_SCALES = {
    "it": {
        "mila": 1e3,
        "milione": 1e6,
        "milioni": 1e6,
        "mln": 1e6,
        "miliardo": 1e9,
        "miliardi": 1e9,
        "mld": 1e9,
    },
    "en": {
        "thousand": 1e3,
        "k": 1e3,
        "million": 1e6,
        "millions": 1e6,
        "m": 1e6,
        "mn": 1e6,
        "billion": 1e9,
        "billions": 1e9,
        "bn": 1e9,
        "trillion": 1e12,
    },
}
_MONTHS = {
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "en": "january february march april may june july august september october november december",
}
_MONTH_NUMBER = {
    **{name: i + 1 for lang in _MONTHS.values() for i, name in enumerate(lang.split())},
    **{name[:3]: i + 1 for i, name in enumerate(_MONTHS["en"].split())},
    "sept": 9,
}
_WORDS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty",
    "it": "zero uno due tre quattro cinque sei sette otto nove dieci undici dodici tredici "
    "quattordici quindici sedici diciassette diciotto diciannove venti",
}
_TENS = {
    "en": "twenty thirty forty fifty sixty seventy eighty ninety",
    "it": "venti trenta quaranta cinquanta sessanta settanta ottanta novanta",
}
_ORDINALS = "first second third fourth fifth sixth seventh eighth ninth tenth"
_WORD_VALUES = {
    **{word: i for lang in _WORDS.values() for i, word in enumerate(lang.split())},
    **{word: (i + 2) * 10 for lang in _TENS.values() for i, word in enumerate(lang.split())},
    **{word: i + 1 for i, word in enumerate(_ORDINALS.split())},
    "hundred": 100,
    "cento": 100,
    "thousand": 1000,
    "mille": 1000,
    "dozen": 12,
    "half": 0.5,
    "mezzo": 0.5,
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_NEAR = 40
"""Characters looked at on either side of a number for its scale word, its clock suffix
or its month: every check reads a bounded window, so a text's check is linear in its
length (the longest such word is ten letters)."""
_PM = re.compile(r"(?::\d{2})?\s*p\.?\s?m\b", re.IGNORECASE)
_AM = re.compile(r"(?::\d{2})?\s*a\.?\s?m\b", re.IGNORECASE)


def stated(text: str, language: str) -> dict[float, str]:
    """The values ``text`` states, read by the conventions of ``language`` (``it``/``en``),
    each with the words that state it (for messages)."""
    values: dict[float, str] = {}
    for match, readings in _numbers(text, language, lenient=False):
        for value in readings:
            values.setdefault(value, match)
    return values


@lru_cache(maxsize=8)
def readable(text: str) -> frozenset[float]:
    """Every value a reader could take from ``text`` under either language's conventions:
    ``1,200`` is 1200 and 1.2; ``18.30`` is 18.3, and the time 18:30; ``6 pm`` is 18; number
    words up to twenty, tens and ordinals count too (``two``, ``venti``, ``third``).
    Remembered for the last few texts: every summary point is checked against the same
    whole translation, which is read once."""
    values: set[float] = set()
    for language in ("it", "en"):
        for _, readings in _numbers(text, language, lenient=True):
            values.update(readings)
    for word in _WORD.findall(text.lower()):
        value = _WORD_VALUES.get(word)
        if value is not None:
            values.add(float(value))
    return frozenset(values)


def missing_numbers(source: str, source_language: str, target: str) -> list[str]:
    """The numbers of ``source`` that no reading of ``target`` states, as written in the
    source (duplicates removed, in order)."""
    available = readable(target)
    missing: dict[str, None] = {}
    for value, written in stated(source, source_language).items():
        if not any(abs(value - other) <= 1e-6 * max(1.0, abs(value)) for other in available):
            missing[written] = None
    return list(missing)


def _numbers(text: str, language: str, lenient: bool) -> Iterator[tuple[str, set[float]]]:
    """``(written form, values)`` for every number of ``text``: the values are the one
    reading by ``language``'s conventions, or with ``lenient`` every plausible one."""
    lowered = text.lower()
    for match in _NUMBER.finditer(text):
        written = match.group()
        readings = _readings(written, language, lenient)
        after = lowered[match.end() : match.end() + _NEAR]
        scale = _scale(after, language, lenient)
        if scale:  # "3 milioni" states 3,000,000; a reader may also take the 3 alone
            scaled = {round(v * scale, 6) for v in readings if v < 1000}
            readings = readings | scaled if lenient else scaled or readings
        readings |= _clock(written, after)
        month = _month_near(lowered, match.start(), match.end())
        if month:
            readings.add(float(month))
        yield written, readings


def _readings(written: str, language: str, lenient: bool) -> set[float]:
    """The values of one written number (digits with ``.`` and ``,``)."""
    groups = re.split(r"[.,]", written)
    if len(groups) == 1:
        return {float(written)}
    conventions = ("it", "en") if lenient else (language,)
    values: set[float] = set()
    for convention in conventions:
        values |= _read(written, groups, convention)
    if lenient:
        values |= {float(g) for g in groups}  # a date, a time, a version: its parts
    return {round(v, 6) for v in values}


def _read(written: str, groups: list[str], language: str) -> set[float]:
    thousands, decimal = (".", ",") if language == "it" else (",", ".")
    if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2,4}", written):  # 15.03.2026: a date's parts
        return {float(g) for g in groups}
    if language == "it" and re.fullmatch(r"([01]?\d|2[0-3])\.[0-5]\d", written):  # 18.30: a time
        return {float(g) for g in groups}
    head, _, tail = written.partition(decimal)
    if re.fullmatch(rf"\d{{1,3}}(\{thousands}\d{{3}})+", head) and (not tail or tail.isdigit()):
        return {float(head.replace(thousands, "") + ("." + tail if tail else ""))}
    if head.isdigit() and tail.isdigit():
        return {float(f"{head}.{tail}")}
    if re.fullmatch(r"\d+[.,]\d+", written):  # the other convention's decimal point
        return {float(written.replace(",", "."))}
    return {float(g) for g in groups}


def _scale(after: str, language: str, lenient: bool) -> float | None:
    """The multiplier a scale word right after a number gives (``3 milioni``, ``$3bn``)."""
    word = re.match(r"\s?([^\W\d_]+)", after)
    if word is None:
        return None
    scales = {**_SCALES["it"], **_SCALES["en"]} if lenient else _SCALES[language]
    return scales.get(word.group(1))


def _clock(written: str, after: str) -> set[float]:
    """A 12-hour time's 24-hour hour: ``6:30 pm`` and ``6pm`` give 18."""
    hour = re.match(r"(\d{1,2})(?:[.:]\d{2})?$", written)
    if hour is None or not 1 <= int(hour.group(1)) <= 12:
        return set()
    if _PM.match(after):
        return {float(int(hour.group(1)) % 12 + 12)}
    if _AM.match(after):
        return {float(int(hour.group(1)) % 12)}
    return set()


def _month_near(lowered: str, start: int, end: int) -> int | None:
    """The month named next to a number (``15 marzo``, ``March 15``, ``marzo 2026``): a
    date's month is one of its numbers. A month name alone is not a number."""
    after = re.match(r"[\s,]+([^\W\d_]+)", lowered[end : end + _NEAR])
    if after and after.group(1) in _MONTH_NUMBER:
        return _MONTH_NUMBER[after.group(1)]
    before = re.search(r"([^\W\d_]+)\.?[\s,]+$", lowered[max(0, start - _NEAR) : start])
    if before and before.group(1) in _MONTH_NUMBER:
        return _MONTH_NUMBER[before.group(1)]
    return None
