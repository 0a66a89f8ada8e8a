"""A glossary and where its terms occur in a text.

A term is found as a reader of Italian would find it: as whole words (``Entrate`` is
not found in ``Entratelle``), in any case unless the glossary writes it in capitals
(``TARI`` is an acronym; ``tari`` is not it), with any run of spaces between its words and
either apostrophe (``'`` or ``’``) where it has one; after an elided article or
preposition (``dell'Agenzia delle Entrate``, ``l'INPS``) it is found without it, and the
article or a plural ending around it are never part of it. The longest term wins where
two overlap (``Agenzia delle Entrate`` before ``Agenzia``), and nothing is found inside a
URL, an e-mail address or code between backticks.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

__all__ = ["Glossary", "Match", "Term"]

_UNTOUCHABLE = re.compile(r"(?:https?://|ftp://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|`[^`\n]*`")
"""URLs, e-mail addresses and inline code: never the place of a term."""
_APOSTROPHES = "'’"


@dataclass(frozen=True)
class Term:
    """One entry: an Italian ``source`` and its English ``target`` (the same text: a term
    never translated), with where it was read (``file:line``) for messages."""

    source: str
    target: str
    origin: str = ""
    forbidden: tuple[str, ...] = ()
    """English renderings the termbase forbids (TBX's deprecated terms): noted."""

    @property
    def keep(self) -> bool:
        """A do-not-translate term: its target is its source."""
        return self.source == self.target

    @property
    def exact_case(self) -> bool:
        """Found only as written: a term the glossary writes in capitals (an acronym)."""
        letters = [c for c in self.source if c.isalpha()]
        return len(letters) > 1 and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class Match:
    """Where ``term`` occurs in a text: ``text[start:end]`` is the form written there."""

    start: int
    end: int
    term: Term


@dataclass(frozen=True)
class Glossary:
    """Terms by their source, at most one target each (:mod:`pipeline.terms.files`
    refuses a file that gives two)."""

    terms: tuple[Term, ...] = ()
    _exact: dict[str, Term] = field(init=False, repr=False, compare=False, default_factory=dict)
    _any_case: dict[str, Term] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        for term in self.terms:  # capitals-only terms by their form, the others by any case
            index = self._exact if term.exact_case else self._any_case
            index.setdefault(_spaced(term.source) if term.exact_case else _folded(term.source), term)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]], keep: Iterable[str] = (), origin: str = "") -> Glossary:
        """A glossary of ``(source, target)`` pairs and do-not-translate terms ``keep``."""
        made = [Term(s, t, origin) for s, t in pairs] + [Term(k, k, origin) for k in keep]
        return cls(tuple(made))

    def merged(self, other: Glossary) -> Glossary:
        """This glossary and ``other``'s terms it does not have (this one wins)."""
        known = {_folded(t.source) for t in self.terms}
        return Glossary(self.terms + tuple(t for t in other.terms if _folded(t.source) not in known))

    @cached_property
    def reversed(self) -> Glossary:
        """The English→Italian glossary (each target to its source, the first where
        several sources share one), for the Italian rendering of a summary."""
        return Glossary(tuple(Term(t.target, t.source, t.origin) for t in self.terms))

    def digest(self, terms: Sequence[Term] | None = None) -> str:
        """A stable digest of the glossary's terms (or of ``terms``): what a cache or a
        batch record keys on, so that a changed term redoes exactly what it touches."""
        chosen = sorted((t.source, t.target) for t in (self.terms if terms is None else terms))
        return hashlib.sha256(json.dumps(chosen, ensure_ascii=False).encode()).hexdigest()[:16]

    def find(self, text: str) -> list[Match]:
        """The occurrences of the glossary's terms in ``text``, left to right, the
        longest where two overlap (none inside a URL, an e-mail address or code)."""
        if not self.terms or not text:
            return []
        blocked = [m.span() for m in _UNTOUCHABLE.finditer(text)]
        found = []
        for match in self._pattern.finditer(text):
            start, end = match.span()
            if any(s < end and start < e for s, e in blocked):
                continue
            term = self._term_of(match.group())
            if term is not None:
                found.append(Match(start, end, term))
        return found

    def used_in(self, text: str) -> tuple[Term, ...]:
        """The terms that occur in ``text``, each once, in the glossary's order."""
        used = {id(m.term) for m in self.find(text)}
        return tuple(t for t in self.terms if id(t) in used)

    def unfollowed(self, source: str, translation: str) -> list[str]:
        """What ``translation`` of ``source`` did not follow, one phrase each: a term
        found in the source more often than its target is in the translation (a
        do-not-translate term: its form as written, to the letter), and a rendering the
        termbase forbids that the translation uses."""
        missed = []
        for (expected, _, term), wanted, found in self._tally(source, translation):
            if found < wanted:
                missed.append(
                    f"{expected!r} not kept as written"
                    if term.keep
                    else f"{term.source!r} not rendered {expected!r}"
                )
            missed += [
                f"{bad!r} is a forbidden rendering of {term.source!r}"
                for bad in term.forbidden
                if _count(bad, translation, False)
            ]
        return missed

    def followed(self, source: str, translation: str) -> tuple[int, int]:
        """How many term occurrences ``source`` holds, and how many of them
        ``translation`` follows (the WMT terminology task's exact-match accuracy counts)."""
        tally = self._tally(source, translation)
        return sum(wanted for _, wanted, _ in tally), sum(min(w, f) for _, w, f in tally)

    def _tally(self, source: str, translation: str) -> list[tuple[tuple[str, bool, Term], int, int]]:
        """For each rendering ``source``'s terms ask for (``(expected, exact case,
        term)``): how often it is asked for, and how often ``translation`` has it."""
        wanted: Counter[tuple[str, bool, Term]] = Counter()
        for match in self.find(source):
            term = match.term
            if term.keep:
                wanted[(_spaced(source[match.start : match.end]), True, term)] += 1
            else:
                wanted[(term.target, Term(term.target, term.target).exact_case, term)] += 1
        return [(key, count, _count(key[0], translation, key[1])) for key, count in wanted.items()]

    def _term_of(self, written: str) -> Term | None:
        """The term a found form stands for (a capitals-only term only as written)."""
        normal = _spaced(written)
        return self._exact.get(normal) or self._any_case.get(_folded(normal))

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        sources = sorted({t.source for t in self.terms}, key=lambda s: (-len(s), s))
        alternatives = "|".join(_pattern_of(s) for s in sources)
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _pattern_of(source: str) -> str:
    """A term as a pattern: any run of spaces between its words, either apostrophe."""
    parts = []
    for word in source.split():
        parts.append("".join(f"[{_APOSTROPHES}]" if c in _APOSTROPHES else re.escape(c) for c in word))
    return r"\s+".join(parts)


def _count(expected: str, text: str, exact: bool) -> int:
    """How often ``expected`` occurs in ``text`` as whole words (any case unless
    ``exact``)."""
    pattern = rf"(?<!\w){_pattern_of(expected)}(?!\w)"
    return len(re.findall(pattern, text, flags=0 if exact else re.IGNORECASE))


def _spaced(text: str) -> str:
    """A form with single spaces and straight apostrophes (how terms are indexed)."""
    return " ".join(text.split()).replace("’", "'")


def _folded(text: str) -> str:
    return _spaced(text).casefold()
