"""Proper names and acronyms, and whether a translation kept them.

A name is a capitalised word that does not start a sentence (``Meloni``, ``Torino``,
``Istat``), or an all-capital word of two letters or more anywhere (``ANSA``, ``UE``).
Consecutive capitalised words form one name (``Regno Unito``, ``Guardia di Finanza``).
Italian nouns that are capitalised as institutions but translated as common nouns
(``Comune``, ``Procura``) are not names. A name is kept when the translation has it,
ignoring case and accents, or one of its usual English forms (``Milano`` → ``Milan``,
``UE`` → ``EU``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache

__all__ = ["missing_names", "names"]

_NAME = re.compile(r"[^\W\d_]+", re.UNICODE)  # elisions split: l'Istat -> l, Istat
_CONNECTORS = frozenset("di del della dei degli delle d de da van von la le".split())
_OPENERS = " \t\u00a0\"'«»“”‘’()[]—–-"  # between a sentence's end and its first word

# Capitalised Italian nouns that translations render as common nouns: not names.
_TRANSLATED = frozenset(
    """
    comune regione provincia governo parlamento senato camera ministero ministro ministra
    presidente presidenza premier consiglio stato repubblica costituzione corte tribunale
    procura procuratore questura prefettura prefetto polizia carabinieri guardia finanza
    vigili fuoco protezione civile esercito marina aeronautica papa chiesa santo santa
    commissione banca università ospedale sindaco assessore giunta municipio capitale
    natale pasqua capodanno ferragosto nord sud est ovest centro via piazza corso viale
    signor signora dottor dottore professore onorevole
    """.split()
)
_EXONYMS: dict[str, tuple[str, ...]] = {
    "italia": ("italy",),
    "roma": ("rome",),
    "milano": ("milan",),
    "napoli": ("naples",),
    "torino": ("turin",),
    "firenze": ("florence",),
    "venezia": ("venice",),
    "genova": ("genoa",),
    "padova": ("padua",),
    "mantova": ("mantua",),
    "siracusa": ("syracuse",),
    "sicilia": ("sicily",),
    "sardegna": ("sardinia",),
    "toscana": ("tuscany",),
    "lombardia": ("lombardy",),
    "piemonte": ("piedmont",),
    "puglia": ("apulia",),
    "alto adige": ("south tyrol",),
    "francia": ("france",),
    "germania": ("germany",),
    "spagna": ("spain",),
    "grecia": ("greece",),
    "svizzera": ("switzerland",),
    "regno unito": ("united kingdom", "uk", "britain"),
    "inghilterra": ("england",),
    "scozia": ("scotland",),
    "irlanda": ("ireland",),
    "stati uniti": ("united states", "us", "usa", "america"),
    "cina": ("china",),
    "giappone": ("japan",),
    "ucraina": ("ukraine",),
    "europa": ("europe",),
    "turchia": ("turkey", "türkiye"),
    "egitto": ("egypt",),
    "libia": ("libya",),
    "marocco": ("morocco",),
    "polonia": ("poland",),
    "belgio": ("belgium",),
    "olanda": ("netherlands", "holland"),
    "paesi bassi": ("netherlands",),
    "svezia": ("sweden",),
    "norvegia": ("norway",),
    "danimarca": ("denmark",),
    "finlandia": ("finland",),
    "portogallo": ("portugal",),
    "bruxelles": ("brussels",),
    "londra": ("london",),
    "parigi": ("paris",),
    "berlino": ("berlin",),
    "mosca": ("moscow",),
    "pechino": ("beijing",),
    "ginevra": ("geneva",),
    "lisbona": ("lisbon",),
    "atene": ("athens",),
    "varsavia": ("warsaw",),
    "kiev": ("kyiv", "kiev"),
    "israele": ("israel",),
    "gerusalemme": ("jerusalem",),
    "siria": ("syria",),
    "brasile": ("brazil",),
    "messico": ("mexico",),
    "vaticano": ("vatican",),
    "tevere": ("tiber",),
    "alpi": ("alps",),
    "appennini": ("apennines",),
    "mediterraneo": ("mediterranean",),
    "adriatico": ("adriatic",),
    "tirreno": ("tyrrhenian",),
    "vesuvio": ("vesuvius",),
    "unione europea": ("european union", "eu"),
    "ue": ("eu",),
    "onu": ("un", "united nations"),
    "pil": ("gdp",),
    "bce": ("ecb",),
    "oms": ("who",),
    "fmi": ("imf",),
    "ocse": ("oecd",),
    "iva": ("vat",),
    "usa": ("us", "usa", "united states"),
    "francesco": ("francis",),
    "benedetto": ("benedict",),
    "giovanni paolo": ("john paul",),
    "leone": ("leo",),
    "pietro": ("peter",),
}


def names(text: str) -> list[str]:
    """The names and acronyms of ``text`` in order, each once."""
    found: dict[str, None] = {}
    words = list(_NAME.finditer(text))
    i = 0
    while i < len(words):
        if not _is_name(words[i].group(), text, words[i].start()):
            i += 1
            continue
        end = _phrase_end(text, words, i)
        phrase = [w.group() for w in words[i:end]]
        name = " ".join(phrase)
        if name.isupper() or any(_fold(p) not in _TRANSLATED | _CONNECTORS for p in phrase):
            found[name] = None
        i = end
    return list(found)


def _phrase_end(text: str, words: list[re.Match[str]], i: int) -> int:
    """Where the name starting at ``words[i]`` ends: it goes on over the capitalised
    words that follow, and over a connector between two of them (``Guardia di Finanza``)."""
    end = i + 1
    while end < len(words) and _adjacent(text, words[end - 1].end(), words[end].start()):
        word = words[end].group()
        bridge = word.lower() in _CONNECTORS and end + 1 < len(words) and words[end + 1].group()[0].isupper()
        if not (word[0].isupper() or bridge):
            break
        end += 1
    return end


def missing_names(source: str, target: str, *, loose: bool = False) -> list[str]:
    """The names of ``source`` that ``target`` does not keep (see the module docstring).
    ``loose``: a word of ``target`` starting with the same four letters keeps a name of
    five letters or more (``Italian`` and ``Italy``), for texts in the same language."""
    haystack, stems = _haystack(target, loose)
    return [name for name in names(source) if not _kept(name, haystack, stems)]


@lru_cache(maxsize=8)
def _haystack(target: str, loose: bool) -> tuple[str, frozenset[str]]:
    """``target``'s folded words between spaces, and with ``loose`` their four-letter
    stems; remembered for the last few texts, as every summary point is checked against
    the same whole translation."""
    haystack = f" {_words(target)} "
    stems = frozenset(word[:4] for word in haystack.split() if len(word) >= 4) if loose else frozenset()
    return haystack, stems


def _kept(name: str, haystack: str, stems: Collection[str] = ()) -> bool:
    folded = _fold(name)
    forms = (folded, *_EXONYMS.get(folded, ()))
    if any(f" {_words(form)} " in haystack for form in forms):
        return True
    if " " not in name and len(folded) >= 5 and folded[:4] in stems:
        return True
    # A phrase is kept when each of its names is, even if the phrase is not kept whole
    # (``Procura di Milano`` → ``Milan prosecutors``): connectors and translated nouns aside.
    parts = [p for p in name.split() if p.lower() not in _CONNECTORS and _fold(p) not in _TRANSLATED]
    return " " in name and bool(parts) and all(_kept(p, haystack, stems) for p in parts)


def _is_name(word: str, text: str, start: int) -> bool:
    if len(word) < 2 or not word[0].isupper():
        return False
    if word.isupper():
        return True  # an acronym, even at a sentence start
    before = text[max(0, start - 40) : start].rstrip(_OPENERS)
    return not (before == "" or before[-1] in ".!?:;…\n")


def _adjacent(text: str, end: int, start: int) -> bool:
    return text[end:start] in (" ", "\u00a0")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def _words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", _fold(text)))
