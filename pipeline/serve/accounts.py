"""What the service keeps per key for DeepL's API (:mod:`.api.deepl`): stored glossaries
(``/v2/glossaries``) and the characters translated against a quota (``/v2/usage``).

Both live in the jobs folder (``glossaries/`` and ``usage.json``), written atomically, so
they outlive a restart; each key sees only its own (a service without keys has one
shared account). Glossaries are bounded: at most :data:`MAX_GLOSSARIES` per key, each of
at most :data:`~pipeline.serve.glossaries.MAX_REQUEST_TERMS` entries.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..outputs import atomic_output
from ..terms import Glossary, Term, read_glossary
from .glossaries import MAX_REQUEST_TERMS
from .refusals import Refused

__all__ = ["LANGUAGES", "MAX_GLOSSARIES", "GlossaryStore", "StoredGlossary", "Usage"]

MAX_GLOSSARIES = 100
"""Glossaries one key may store."""
LANGUAGES = ("it", "en")
"""The languages a stored glossary may map between (either way)."""
_OPEN = "open"
"""The account of a service without keys."""


@dataclass(frozen=True)
class StoredGlossary:
    """A stored glossary's description, as DeepL's ``GlossaryInfo`` reads it."""

    glossary_id: str
    name: str
    source_lang: str
    target_lang: str
    creation_time: str
    entry_count: int
    ready: bool = True

    def info(self) -> dict[str, Any]:
        return asdict(self)


class GlossaryStore:
    """Glossaries by key (its hash, ``owner``) under ``root``."""

    def __init__(self, root: Path):
        self.root = root

    def create(
        self, owner: str | None, name: str, source_lang: str, target_lang: str, entries: bytes, kind: str
    ) -> StoredGlossary:
        """A new glossary of ``entries`` (``kind`` ``tsv`` or ``csv``); 400 for a bad
        one, 400 past :data:`MAX_GLOSSARIES`."""
        pair = (source_lang.lower(), target_lang.lower())
        if pair[0] == pair[1] or not set(pair) <= set(LANGUAGES):
            raise Refused(400, f"Unsupported glossary language pair {source_lang}->{target_lang} (it<->en)")
        if not name.strip():
            raise Refused(400, "Invalid request: glossary name must not be empty")
        try:
            glossary = read_glossary(entries, f"entries.{kind}")
        except InputError as exc:
            raise Refused(400, f"Invalid glossary entries: {exc}") from None
        if len(glossary) > MAX_REQUEST_TERMS:
            raise Refused(400, f"Invalid glossary entries: {len(glossary)} entries, most {MAX_REQUEST_TERMS}")
        folder = self._folder(owner)
        if len(list(folder.glob("*.json"))) >= MAX_GLOSSARIES:
            raise Refused(400, f"Too many glossaries: at most {MAX_GLOSSARIES} per key (delete one first)")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
        made = StoredGlossary(secrets.token_hex(16), name.strip(), pair[0], pair[1], stamp, len(glossary))
        rows = [[t.source, t.target] for t in glossary.terms]
        with atomic_output(folder / f"{made.glossary_id}.json") as stream:
            json.dump({"info": made.info(), "entries": rows}, stream, ensure_ascii=False)
        return made

    def all(self, owner: str | None) -> list[StoredGlossary]:
        """The key's glossaries, oldest first."""
        found = [self._read(path)[0] for path in self._folder(owner).glob("*.json")]
        return sorted(found, key=lambda g: g.creation_time)

    def get(self, owner: str | None, glossary_id: str) -> tuple[StoredGlossary, list[tuple[str, str]]]:
        """A glossary of the key and its entries; 404 when it has none of that id."""
        path = self._folder(owner) / f"{glossary_id}.json"
        if not (len(glossary_id) == 32 and glossary_id.isalnum() and path.is_file()):
            raise Refused(404, "Glossary not found")
        return self._read(path)

    def glossary(self, owner: str | None, glossary_id: str, source: str, target: str) -> Glossary:
        """The stored glossary as the pipeline follows it (Italian to English; an
        English→Italian one turned round); 400 when its languages are not the request's."""
        info, rows = self.get(owner, glossary_id)
        if (info.source_lang, info.target_lang) != (source, target):
            raise Refused(
                400,
                f"Glossary {glossary_id} is {info.source_lang}->{info.target_lang}, "
                f"the request {source}->{target}",
            )
        made = Glossary(tuple(Term(s, t, f"glossary {info.name}") for s, t in rows))
        return made.reversed if source == "en" else made

    def delete(self, owner: str | None, glossary_id: str) -> None:
        """Remove a glossary of the key; 404 when it has none of that id."""
        self.get(owner, glossary_id)
        (self._folder(owner) / f"{glossary_id}.json").unlink(missing_ok=True)

    def _folder(self, owner: str | None) -> Path:
        folder = self.root / (owner or _OPEN)
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @staticmethod
    def _read(path: Path) -> tuple[StoredGlossary, list[tuple[str, str]]]:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StoredGlossary(**data["info"]), [(s, t) for s, t in data["entries"]]


class Usage:
    """Characters translated per key, against ``quota`` each (0: no limit), kept in the
    file at ``path``."""

    UNLIMITED = 1_000_000_000_000
    """The limit told when there is none (what DeepL's own unlimited plans report)."""

    def __init__(self, path: Path, quota: int):
        self.path, self.quota = path, quota
        self._lock = threading.Lock()
        try:
            self._counts: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._counts = {}

    def count(self, owner: str | None) -> int:
        return self._counts.get(owner or _OPEN, 0)

    def limit(self) -> int:
        return self.quota or self.UNLIMITED

    def charge(self, owner: str | None, characters: int) -> None:
        """Count ``characters`` against the key; 456 (DeepL's "quota exceeded") when
        they would take it past its quota, counting nothing."""
        with self._lock:
            used = self.count(owner)
            if self.quota and used + characters > self.quota:
                raise Refused(456, f"Quota exceeded: {used} of {self.quota} characters used")
            self._counts[owner or _OPEN] = used + characters
            with atomic_output(self.path) as stream:
                json.dump(self._counts, stream)
