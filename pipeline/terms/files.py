"""Glossary files in the formats people already have: TSV and CSV (DeepL's glossary
entry formats: ``source<TAB>target`` a line; CSV's optional third and fourth columns the
languages, ``it`` and ``en``) and TBX (ISO 30042: TBX-Basic's ``martif`` with
``termEntry``/``langSet``/``tig``, and TBX 2019's ``tbx`` with
``conceptEntry``/``langSec``/``termSec``).

In a TBX entry, each Italian term (synonyms and deprecated forms too: found in a text,
each is rendered the preferred way) maps to the entry's first English term that is not
deprecated; the deprecated or superseded English terms are kept as the term's forbidden
renderings. Languages other than Italian and English are passed over (termbases are
multilingual); an entry without both is passed over too.

A file that cannot be used raises :class:`~pipeline.errors.InputError` in one line
naming the file, the line and the problem: an empty side, a line that is not two
columns, one source given two targets, a language set with no or a malformed language.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, InputError
from ..files import open_regular
from .glossary import Glossary, Term

if TYPE_CHECKING:
    from ..config import PipelineConfig

__all__ = ["MAX_GLOSSARY_BYTES", "configured_glossary", "load_glossary", "parse_glossary", "read_glossary"]

MAX_GLOSSARY_BYTES = 10 * 1024 * 1024
"""Largest glossary file read (DeepL's own limit for one glossary)."""
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_DEPRECATED = ("deprecated", "superseded", "notrecommended", "forbidden", "rejected")


def load_glossary(paths: Iterable[str | Path], keep: Iterable[str] = ()) -> Glossary:
    """The glossary of the files at ``paths`` (by suffix: ``.tbx``, ``.csv``, anything
    else TSV) and the do-not-translate terms ``keep``; a source given two targets across
    files is refused like one within a file."""
    terms: list[Term] = []
    for path in map(Path, paths):
        try:
            with open_regular(path, "glossary", MAX_GLOSSARY_BYTES, "a glossary file") as handle:
                data = handle.read()
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        terms += parse_glossary(data, str(path), _kind(path.name))
    terms += [Term(word.strip(), word.strip(), "--keep") for word in keep if word.strip()]
    return Glossary(tuple(_unique(terms)))


def read_glossary(data: bytes, name: str) -> Glossary:
    """The glossary of one file's bytes, its kind by ``name``'s suffix (``.tbx``,
    ``.csv``, anything else TSV): a glossary sent with a request."""
    return Glossary(tuple(_unique(parse_glossary(data, name, _kind(name)))))


def configured_glossary(config: PipelineConfig) -> Glossary:
    """The glossary of ``config``'s files and terms; a file that cannot be used is a
    :class:`~pipeline.errors.ConfigError` (the run cannot start) naming its file and line."""
    try:
        return load_glossary(config.glossary_files, config.glossary_keep)
    except InputError as exc:
        raise ConfigError(f"glossary {exc}") from None


def parse_glossary(data: bytes, name: str, kind: str = "tsv") -> list[Term]:
    """The terms of a glossary file's bytes (``kind``: ``tsv``, ``csv`` or ``tbx``),
    named ``name`` in messages."""
    if kind == "tbx":
        return _tbx(data, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{name}:{line}: not UTF-8 text") from None
    rows = csv.reader(io.StringIO(text, newline="")) if kind == "csv" else _tab_rows(text)
    terms = []
    try:
        for number, row in enumerate(rows, start=1):
            if not any(cell.strip() for cell in row):
                continue
            terms.append(_entry(row, f"{name}:{number}", kind))
    except csv.Error as exc:
        raise InputError(f"{name}: not CSV ({exc})") from None
    if not terms:
        raise InputError(f"{name}: no entries")
    return terms


def _kind(name: str) -> str:
    lowered = name.lower()
    return "tbx" if lowered.endswith(".tbx") else "csv" if lowered.endswith(".csv") else "tsv"


def _tab_rows(text: str) -> Iterable[list[str]]:
    for line in text.splitlines():
        yield line.split("\t")


def _entry(row: list[str], where: str, kind: str) -> Term:
    """One TSV or CSV line's term: two columns (CSV: or four, the last two ``it`` and
    ``en``)."""
    cells = [cell.strip() for cell in row]
    if kind == "csv" and len(cells) == 4:
        languages = (cells[2].lower().split("-")[0], cells[3].lower().split("-")[0])
        if languages != ("it", "en"):
            raise InputError(f"{where}: languages {cells[2]}->{cells[3]}, expected it->en")
        cells = cells[:2]
    if len(cells) != 2:
        expected = "source,target" if kind == "csv" else "source<TAB>target"
        raise InputError(f"{where}: {len(cells)} columns, expected {expected}")
    source, target = cells
    if not source or not target:
        raise InputError(f"{where}: empty {'source' if not source else 'target'}")
    return Term(" ".join(source.split()), " ".join(target.split()), where)


def _tbx(data: bytes, name: str) -> list[Term]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"{name}:{exc.lineno}: not well-formed XML ({exc.msg})") from None
    if etree.QName(root).localname not in ("martif", "tbx"):
        raise InputError(f"{name}: not a TBX file (its root is <{etree.QName(root).localname}>)")
    terms: list[Term] = []
    for entry in root.iter("{*}termEntry", "{*}conceptEntry"):
        italian: list[str] = []
        english: list[tuple[str, bool]] = []
        for language in entry.iter("{*}langSet", "{*}langSec"):
            code = language.get("{http://www.w3.org/XML/1998/namespace}lang") or language.get("lang") or ""
            if not _LANGUAGE.fullmatch(code):
                shown = f"language {code!r}" if code else "no language (xml:lang)"
                raise InputError(f"{name}:{language.sourceline}: a language set with {shown}")
            base = code.lower().replace("_", "-").split("-")[0]
            for written, deprecated in _terms_of(language, name):
                if base == "it":
                    italian.append(written)
                elif base == "en":
                    english.append((written, deprecated))
        preferred = [t for t, deprecated in english if not deprecated]
        if italian and preferred:
            forbidden = tuple(t for t, deprecated in english if deprecated)
            where = f"{name}:{entry.sourceline}"
            terms += [Term(source, preferred[0], where, forbidden) for source in dict.fromkeys(italian)]
    if not terms:
        raise InputError(f"{name}: no entry has both an Italian and an English term")
    return terms


def _terms_of(language: Any, name: str) -> list[tuple[str, bool]]:
    """A language set's terms, each with whether its status deprecates it."""
    found = []
    for group in language.iter("{*}tig", "{*}ntig", "{*}termSec"):
        term = next(group.iter("{*}term"), None)
        written = " ".join("".join(term.itertext()).split()) if term is not None else ""
        if not written:
            raise InputError(f"{name}:{group.sourceline}: an empty term")
        status = " ".join(
            (note.text or "").lower()
            for note in group.iter("{*}termNote")
            if note.get("type") in ("administrativeStatus", "normativeAuthorization")
        )
        found.append((written, any(word in status for word in _DEPRECATED)))
    return found


def _unique(terms: list[Term]) -> list[Term]:
    """``terms`` with repeats dropped; a source given two targets refused, naming both
    places."""
    seen: dict[str, Term] = {}
    unique = []
    for term in terms:
        key = " ".join(term.source.split()).casefold()
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = term
            unique.append(term)
        elif earlier.target != term.target:
            raise InputError(
                f"{term.origin}: {term.source!r} has two targets: {earlier.target!r} "
                f"({earlier.origin}) and {term.target!r}"
            )
    return unique
