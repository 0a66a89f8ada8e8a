"""Making a translator follow a glossary: each term of a segment is changed before the
model reads it, and (for placeholders) the target written in after it has written.

Two methods (and ``none``: terms checked, not followed), the same on every engine (they
work on the text the engine reads and writes, never inside it):

* ``inline`` (the default): the term's target written into the source in its place (``Il
  parere della Italian Revenue Agency è arrivato``): a translation model copies a phrase
  in the target language it meets in its input, as it copies a name, and it still reads
  the words as words, so the sentence around them is translated knowing what they mean.
* ``placeholder``: a made-up name in its place (``Zxqa``), which the model copies as it
  copies any unknown name, and which is then replaced by the target. The sentence around
  it is translated without knowing the term's meaning (an article may come out wrong),
  and a model that drops or inflects the name loses the term.

A do-not-translate term is left as it is written in the text by ``inline`` (it is
already its own target) and hidden behind a placeholder by ``placeholder``.

Whether a term was followed is the ``term`` check's to say (:mod:`pipeline.checks`),
whichever method ran. docs/terminology.md has what was measured.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count

from ..types import FollowMethod
from .glossary import Glossary, Match

__all__ = ["Prepared", "prepare"]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Prepared:
    """A segment as the model reads it, and the placeholders to write back."""

    text: str
    placeholders: tuple[tuple[str, str], ...] = ()
    """``(placeholder, what replaces it)`` in the order they occur."""

    def finish(self, output: str) -> str:
        """The model's ``output`` with each placeholder replaced by its target (a
        placeholder the model lost stays lost: the ``term`` check says so)."""
        for placeholder, target in self.placeholders:
            output = re.sub(rf"(?<!\w){placeholder}(?!\w)", target.replace("\\", r"\\"), output, flags=re.I)
        return output


def prepare(text: str, glossary: Glossary, method: FollowMethod = "inline") -> Prepared:
    """``text`` with its glossary terms changed for the model by ``method``."""
    matches = glossary.find(text) if method != "none" else []
    if not matches:
        return Prepared(text)
    if method == "placeholder":
        return _with_placeholders(text, matches)
    return Prepared(_replaced(text, matches, lambda match, _: _target(text, match)))


def _with_placeholders(text: str, matches: list[Match]) -> Prepared:
    names = _names(text.casefold())
    written = [(next(names), _target(text, match)) for match in matches]
    return Prepared(_replaced(text, matches, lambda _, number: written[number][0]), tuple(written))


def _names(taken: str) -> Iterator[str]:
    """Made-up names that ``taken`` does not hold: ``Zxqa``, ``Zxqb``, ... ``Zxqaa``."""
    for number in count():
        letters = ""
        while True:
            number, rest = divmod(number, len(_LETTERS))
            letters = _LETTERS[rest] + letters
            if number == 0:
                break
            number -= 1
        if f"zxq{letters}" not in taken:
            yield f"Zxq{letters}"


def _replaced(text: str, matches: list[Match], by: Callable[[Match, int], str]) -> str:
    parts, last = [], 0
    for number, match in enumerate(matches):
        parts += [text[last : match.start], by(match, number)]
        last = match.end
    return "".join([*parts, text[last:]])


def _target(text: str, match: Match) -> str:
    """What a found term becomes: the form written in the text for a do-not-translate
    term; else the target, capitalised where the text capitalised a term the glossary
    writes in lower case (at the start of a sentence)."""
    written = text[match.start : match.end]
    term = match.term
    if term.keep:
        return written
    target = term.target
    if written[:1].isupper() and term.source[:1].islower() and target[:1].islower():
        return target[:1].upper() + target[1:]
    return target
