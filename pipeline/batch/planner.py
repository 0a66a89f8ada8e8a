"""Deciding what a batch run does with each document: skip it, process it, or adopt the
outputs it left under another path, and under which output name."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..identity import record_identity
from ..outputs import safe_name
from ..terms import Glossary
from ..types import Document
from .journal import Manifest, Recorded

if TYPE_CHECKING:
    from ..config import PipelineConfig
    from .options import BatchOptions

__all__ = [
    "RUN_FILES",
    "STATE_DIR",
    "PlannedDocument",
    "Planner",
    "digest",
    "input_gone",
    "settings_fingerprint",
]

STATE_DIR = ".it2en"
RUN_FILES = {"errors": "errors.jsonl", "review": "review.jsonl", "index": "index.html"}
"""The files a run writes beside the documents' outputs; no document's output is named
like one (their stems are reserved)."""
_RESERVED = frozenset({*(Path(name).stem for name in RUN_FILES.values()), STATE_DIR})
_MAX_NAME = 120


@dataclass(frozen=True)
class PlannedDocument:
    """A document the run will process, and why."""

    document: Document
    key: str
    name: str
    input_hash: str
    reason: str
    """``new``, ``changed``, ``forced``, or ``moved``: the same text, recorded before under
    a path that no longer exists, whose outputs (``current``) are kept as they are."""
    current: tuple[str, ...] = ()


def settings_fingerprint(config: PipelineConfig, options: BatchOptions) -> dict[str, Any]:
    """Everything that shapes a document's outputs: a change to any of it redoes the document."""
    return {
        **record_identity(config, options.summarize, options.main_article),
        "formats": sorted(options.formats),
    }


class Planner:
    """Turns the input stream into documents to process, skipping finished ones and giving
    each a stable, contained, collision-free output name."""

    def __init__(
        self,
        manifest: Manifest,
        out_dir: Path,
        settings: dict[str, Any],
        force: bool,
        glossary: Glossary | None = None,
        follow: str = "inline",
    ):
        """``glossary``: the terms the run follows by the method ``follow``; a document's
        own terms (those that occur in it) and the method are part of its identity, so
        that a changed term redoes exactly the documents it occurs in."""
        self.glossary, self.follow = glossary or Glossary(), follow
        self.manifest = manifest
        self.out_dir = out_dir
        self.settings = settings
        self.settings_key = json.dumps(settings, sort_keys=True)
        self.force = force
        self.owners = manifest.owners()
        self.seen_keys: set[str] = set()

    def plan(self, doc: Document, key: str) -> PlannedDocument | None:
        """The plan for ``doc``, or None when it is finished and unchanged."""
        if key in self.seen_keys:  # the same id twice in one JSONL: keep both
            key = f"{key}@{doc.origin}"
        self.seen_keys.add(key)
        # A file that is written back is the same only if its bytes are: markup shapes its
        # translated copy too. Everything else is the same if its text is.
        layout = doc.layout
        input_hash = (
            digest(doc.text) if layout is None or not layout.data else hashlib.sha256(layout.data).hexdigest()
        )
        if used := self.glossary.used_in(doc.text):
            input_hash += f"+terms:{self.follow}:{self.glossary.digest(used)}"
        done = self.manifest.done.get(key)
        if done is not None:
            unchanged = done.input_hash == input_hash and done.settings == self.settings_key
            complete = all((self.out_dir / f).is_file() for f in done.outputs)
            if unchanged and complete and not self.force:
                return None
            reason = "forced" if self.force else "changed"
            return PlannedDocument(doc, key, done.name, input_hash, reason)
        name = safe_name(doc.id)
        owner = self.owners.get(name.casefold())
        moved = self.manifest.done.get(owner) if owner is not None and input_gone(owner) else None
        if owner is not None and moved is not None:  # its input was moved or renamed: the same document
            self.manifest.forget(owner)
            self.owners[name.casefold()] = key
            return self._adopt(doc, key, input_hash, moved)
        if name.casefold() in _RESERVED or (owner is not None and owner != key):
            name = f"{name[:_MAX_NAME]}-{digest(key)[:8]}"
        self.owners[name.casefold()] = key
        return PlannedDocument(doc, key, name, input_hash, "forced" if self.force else "new")

    def _adopt(self, doc: Document, key: str, input_hash: str, moved: Recorded) -> PlannedDocument:
        """The plan for a document found under a new key whose old record is ``moved``:
        its outputs kept when nothing changed, else redone under the same name."""
        complete = all((self.out_dir / f).is_file() for f in moved.outputs)
        unchanged = moved.input_hash == input_hash and moved.settings == self.settings_key and complete
        if unchanged and not self.force:
            return PlannedDocument(doc, key, moved.name, input_hash, "moved", moved.outputs)
        return PlannedDocument(doc, key, moved.name, input_hash, "forced" if self.force else "changed")


def input_gone(key: str) -> bool:
    """Whether the input a manifest key names (a path, or ``path#id`` for JSONL) no longer
    exists. Standard input never is."""
    return not key.startswith("<stdin>") and not any(os.path.exists(p) for p in (key, key.split("#", 1)[0]))


def digest(text: str) -> str:
    """The SHA-256 of ``text`` in hex (lone surrogates allowed)."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
