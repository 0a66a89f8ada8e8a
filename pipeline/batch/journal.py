"""The batch state that survives a run: the manifest of finished documents and the lock.

The manifest is a journal, one JSON line per finished document, appended and fsynced
after its outputs are written; the lock is an ``flock`` held while a run works on the
output folder.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from ..errors import OutDirLocked
from ..outputs import atomic_output, naming

__all__ = ["Lock", "Manifest", "Recorded"]

log = logging.getLogger("it2en.batch")


class Recorded(NamedTuple):
    """What a skip decision needs of a finished document, kept small: a run over a
    100,000-document JSONL holds one of these per document, never the documents."""

    name: str
    input_hash: str
    settings: str
    outputs: tuple[str, ...]
    line: int


class Manifest:
    """Journal of finished documents: one JSON line each, appended and fsynced.

    The last line of a killed run may be cut short; it is ignored on load. Later lines
    win; :meth:`compact` rewrites the file with the winning lines only, streaming it.
    """

    def __init__(self, path: Path):
        self.path = path
        self.done: dict[str, Recorded] = {}
        self._interned: dict[str, str] = {}
        self._lines = 0
        self._ends_cleanly = True
        if path.exists():
            with path.open("rb") as stream:
                for line in stream:
                    self._lines += 1
                    self._ends_cleanly = line.endswith(b"\n")
                    try:
                        self._index(json.loads(line.decode("utf-8")))
                    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
                        log.warning("ignoring a damaged manifest line in %s (line %d)", path, self._lines)
        self._stream: IO[str] | None = None

    def _index(self, entry: dict[str, Any]) -> None:
        settings = json.dumps(entry["settings"], sort_keys=True)
        settings = self._interned.setdefault(settings, settings)
        outputs = tuple(self._interned.setdefault(o, o) for o in entry["outputs"])
        self.done[entry["key"]] = Recorded(entry["name"], entry["input_hash"], settings, outputs, self._lines)

    def forget(self, key: str) -> None:
        """Drop ``key``'s record (its document now goes by another key); compaction
        removes its line."""
        self.done.pop(key, None)

    def owners(self) -> dict[str, str]:
        """Output name (case-folded) → document key, for every recorded document."""
        return {d.name.casefold(): key for key, d in self.done.items()}

    def append(self, entry: dict[str, Any]) -> None:
        with naming(self.path):
            if self._stream is None:
                self._stream = self.path.open("a", encoding="utf-8")
                if not self._ends_cleanly:  # a killed run's cut line: end it, never extend it
                    self._stream.write("\n")
                    self._ends_cleanly = True
            self._stream.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self._stream.flush()
            os.fsync(self._stream.fileno())
        self._lines += 1
        self._index(entry)

    def compact(self) -> None:
        """Rewrite the journal keeping each document's last line (atomically)."""
        self.close()
        if not self.path.exists():
            return
        keep = {d.line for d in self.done.values()}
        with self.path.open("rb") as source, atomic_output(self.path) as target:
            for number, line in enumerate(source, start=1):
                if number in keep:  # kept lines were decoded once already
                    target.write(line.decode("utf-8").rstrip("\n") + "\n")

    def records(self) -> Iterator[dict[str, Any]]:
        """Every readable line of the journal, in order (after :meth:`compact`, one per
        document), read as a stream."""
        if not self.path.exists():
            return
        with self.path.open("rb") as stream:
            for line in stream:
                try:
                    yield json.loads(line.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    continue

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class Lock:
    """An exclusive, non-blocking lock on OUT_DIR/.it2en/lock, released when the process
    ends, however it ends (filelock: ``flock`` on POSIX, ``msvcrt`` locking on Windows).
    The holder writes its pid beside it (``lock.pid``) for the message of a run that
    finds the folder in use."""

    def __init__(self, state_dir: Path):
        self.path = state_dir / "lock"
        self._pid = state_dir / "lock.pid"
        self._lock: Any = None

    def __enter__(self) -> Lock:
        from filelock import FileLock, Timeout

        lock = FileLock(self.path, timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            try:
                holder = self._pid.read_text(encoding="utf-8").strip() or "unknown"
            except OSError:
                holder = "unknown"
            raise OutDirLocked(
                f"{self.path.parent.parent} is in use by another it2en batch run (pid {holder})"
            ) from None
        self._lock = lock
        with naming(self._pid):
            self._pid.write_text(str(os.getpid()), encoding="utf-8")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
