"""A persistent cache of model outputs, so a scheduled job never translates a sentence twice.

One SQLite file (WAL journal: one writer and any number of readers at once). An entry is
keyed by a namespace (the model's identity and every setting that shapes its output) and
the exact input text, and holds the output and its score. The cache is bounded: past
``max_entries``, the least recently used entries go. A file that is not a readable cache
(a crash of the disk, another program's file) is set aside with a warning and a new one
started: a cache can cost a recomputation, never a run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .engines import scored_generate

__all__ = ["DEFAULT_MAX_ENTRIES", "CachedEngine", "OutputCache"]

log = logging.getLogger("it2en.cache")
R = TypeVar("R")

DEFAULT_MAX_ENTRIES = 2_000_000
"""About 1 GB of news sentences with their translations."""
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS outputs (key BLOB PRIMARY KEY, output TEXT NOT NULL, score REAL, "
    "used INTEGER NOT NULL) WITHOUT ROWID"
)
_CHUNK = 500  # keys per query (SQLite caps the number of parameters)


class OutputCache:
    """Outputs by ``(namespace, input text)``, in the SQLite file at ``path``."""

    def __init__(self, path: str | Path, max_entries: int = DEFAULT_MAX_ENTRIES):
        self.path = Path(path)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._db = self._open()
        self._count = self._query("SELECT COUNT(*) FROM outputs", [])[0][0]

    def get(self, namespace: str, texts: Sequence[str]) -> dict[str, tuple[str, float | None]]:
        """The cached ``(output, score)`` of each of ``texts`` that has one."""
        keys = {_key(namespace, text): text for text in dict.fromkeys(texts)}
        found: dict[str, tuple[str, float | None]] = {}
        with self._lock:
            for chunk in _chunks(list(keys)):
                marks = ",".join("?" * len(chunk))
                rows = self._query(f"SELECT key, output, score FROM outputs WHERE key IN ({marks})", chunk)
                found.update({keys[key]: (output, score) for key, output, score in rows})
                if rows:  # mark them used: the least recently used go first
                    used = ",".join("?" * len(rows))
                    self._execute(
                        f"UPDATE outputs SET used = ? WHERE key IN ({used})", [_now(), *[r[0] for r in rows]]
                    )
        return found

    def put(self, namespace: str, items: Sequence[tuple[str, str, float | None]]) -> None:
        """Store ``(input text, output, score)`` items, then evict past the bound."""
        if not items:
            return
        now = _now()
        rows = [(_key(namespace, text), output, score, now) for text, output, score in items]
        with self._lock:
            self._execute("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?)", rows, many=True)
            self._count += len(rows)
            if self._count > self.max_entries:  # counted exactly only when it may be over
                total = self._query("SELECT COUNT(*) FROM outputs", [])[0][0]
                if total > self.max_entries:
                    self._execute(
                        "DELETE FROM outputs WHERE key IN (SELECT key FROM outputs ORDER BY used LIMIT ?)",
                        [total - self.max_entries],
                    )
                self._count = min(total, self.max_entries)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _open(self) -> sqlite3.Connection:
        """The connection to a working cache at ``path``; a broken file is set aside."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return _connect(self.path)
        except sqlite3.DatabaseError as exc:
            self._set_aside(exc)
            return _connect(self.path)

    def _set_aside(self, exc: Exception) -> None:
        aside = self.path.with_name(f"{self.path.name}.broken-{int(time.time())}")
        log.warning("cache %s is unusable (%s): moved to %s, starting a new one", self.path, exc, aside)
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                os.replace(source, f"{aside}{suffix}")

    def _query(self, sql: str, parameters: Sequence[object]) -> list[tuple[Any, ...]]:
        return self._run(lambda db: db.execute(sql, parameters).fetchall())

    def _execute(self, sql: str, parameters: Sequence[object], many: bool = False) -> None:
        def run(db: sqlite3.Connection) -> None:
            with db:
                if many:
                    db.executemany(sql, parameters)  # type: ignore[arg-type]
                else:
                    db.execute(sql, parameters)

        self._run(run)

    def _run(self, action: Callable[[sqlite3.Connection], R]) -> R:
        """``action(connection)``; if the file turns out broken mid-run, set it aside and
        go on with a new, empty cache."""
        try:
            return action(self._db)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            self._db.close()
            self._set_aside(exc)
            self._db = _connect(self.path)
            self._count = 0
            return action(self._db)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level="DEFERRED")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(_SCHEMA)
    # A file that is not a cache (or an older table) fails here, cheaply.
    db.execute("SELECT key, output, score, used FROM outputs LIMIT 1").fetchone()
    return db


def _key(namespace: str, text: str) -> bytes:
    return hashlib.sha256(f"{namespace}\0{text}".encode("utf-8", "surrogatepass")).digest()


def _chunks(items: list[bytes]) -> list[list[bytes]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _now() -> int:
    return time.time_ns()


class CachedEngine:
    """An engine whose outputs go through an :class:`OutputCache`: inputs found there are
    not sent to the engine. Everything else (name, limits, token counts) is the engine's."""

    def __init__(self, engine: Any, cache: OutputCache, namespace: str):
        self.engine = engine
        self.name: str = engine.name
        self.max_input_tokens: int = engine.max_input_tokens
        self.count_tokens = engine.count_tokens
        self._cache = cache
        self._namespace = namespace

    def generate(self, texts: Sequence[str]) -> list[str]:
        """The engine's outputs, from the cache where it has them."""
        return [output for output, _ in self._through_cache(texts, scored=False)]

    def generate_scored(self, texts: Sequence[str]) -> list[tuple[str, float | None]]:
        """The engine's outputs with their scores, from the cache where it has them."""
        return self._through_cache(texts, scored=True)

    def _through_cache(self, texts: Sequence[str], scored: bool) -> list[tuple[str, float | None]]:
        """One entry per input text whatever asked for it: an output made without its
        score serves every request that needs no score; one that needs a score takes an
        entry that has it (an engine that gives none takes any), else the output is made
        again with its score, and the entry replaced."""
        known = self._cache.get(self._namespace, texts)
        if scored and hasattr(self.engine, "generate_scored"):
            known = {text: made for text, made in known.items() if made[1] is not None}
        todo = [text for text in dict.fromkeys(texts) if text not in known]
        if todo:
            made = scored_generate(self.engine, scored)(todo)
            self._cache.put(
                self._namespace,
                [(text, output, score) for text, (output, score) in zip(todo, made, strict=True)],
            )
            known.update(zip(todo, made, strict=True))
        return [known[text] for text in texts]
