"""Terminology: glossaries and do-not-translate terms that every translation follows.

:mod:`~pipeline.terms.glossary` holds the terms and finds them in a text as a reader of
Italian would; :mod:`~pipeline.terms.files` reads them from TSV, CSV and TBX files;
:mod:`~pipeline.terms.follow` changes a segment so that a translator follows them. The
``term`` check (:mod:`pipeline.checks`) says where a translation did not. docs/terminology.md
has the rules, the methods and what was measured.
"""

from __future__ import annotations

from .files import MAX_GLOSSARY_BYTES, configured_glossary, load_glossary, parse_glossary, read_glossary
from .follow import Prepared, prepare
from .glossary import Glossary, Match, Term

__all__ = [
    "MAX_GLOSSARY_BYTES",
    "Glossary",
    "Match",
    "Prepared",
    "Term",
    "configured_glossary",
    "load_glossary",
    "parse_glossary",
    "prepare",
    "read_glossary",
]
