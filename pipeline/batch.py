"""Unattended, resumable batch runs: only new or changed documents, never a lost result.

Layout of an output folder::

    OUT_DIR/<name>.json        the record of one document (as ``summarize --format json``)
    OUT_DIR/<name>.md          the Markdown report, with ``formats=("json", "md")``
    OUT_DIR/errors.jsonl       this run's failures: {"id", "input", "reason", "time"}
    OUT_DIR/.it2en/manifest.jsonl   per document: input hash, settings, model identities, outputs
    OUT_DIR/.it2en/lock        held (flock) while a run works on OUT_DIR

Crash safety: each output file is written atomically (temp file, fsync, rename) and only
then is the document's manifest line appended and fsynced. A run killed at any point
leaves complete files only; the next run redoes exactly the documents without a manifest
line (rewriting their files atomically, so nothing is ever duplicated) and skips the rest.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePath
from typing import IO, Any, NamedTuple

from .config import PipelineConfig
from .ct2 import resolve_backend
from .errors import ConfigError, It2enError
from .io import TEMP_SUFFIX, atomic_output, printable, read_documents
from .models import model_identity
from .pipeline import Pipeline
from .render import render_markdown
from .types import Document, Failure, Result

__all__ = [
    "BatchOptions",
    "BatchReport",
    "OutDirLocked",
    "PlannedDocument",
    "discover_inputs",
    "run_batch",
    "safe_name",
]

log = logging.getLogger(__name__)

OUTPUT_FORMATS = ("json", "md")
DEFAULT_GLOBS = ("*.txt", "*.md")
_STATE = ".it2en"
_RESERVED = frozenset({"errors", _STATE})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 120


class OutDirLocked(It2enError):
    """Another run holds the output folder's lock."""


@dataclass(frozen=True)
class BatchOptions:
    """What a batch run reads and writes; model and batching settings live in PipelineConfig."""

    out_dir: Path
    formats: tuple[str, ...] = ("json",)
    """Files per document: ``json`` (always needed for resume) and optionally ``md``."""
    summarize: bool = True
    """False: translation only."""
    force: bool = False
    """Redo every document, even unchanged ones."""
    globs: tuple[str, ...] = DEFAULT_GLOBS
    """File patterns taken from folder inputs, recursively."""
    input_format: str = "auto"
    encoding: str = "utf-8"

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in OUTPUT_FORMATS]
        if unknown or "json" not in self.formats:
            raise ConfigError(f"formats must include json and be among {', '.join(OUTPUT_FORMATS)}")


@dataclass
class BatchReport:
    """Counts and timing of one run; ``to_dict`` is what ``--report`` writes."""

    processed: int = 0
    skipped: int = 0
    failed: int = 0
    elapsed_s: float = 0.0
    interrupted: bool = False
    crashed: bool = False
    """The run stopped on an error that was not a document's (disk full, a bug)."""
    dry_run: bool = False
    out_dir: str = ""

    @property
    def docs_per_s(self) -> float:
        return self.processed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def line(self) -> str:
        """The one-line end-of-run summary."""
        if self.dry_run:
            counts = f"{self.processed} to process, {self.skipped} skipped, {self.failed} unreadable"
            return f"batch (dry run): {counts}"
        state = " (crashed)" if self.crashed else " (interrupted)" if self.interrupted else ""
        return (
            f"batch{state}: {self.processed} processed, {self.skipped} skipped, {self.failed} failed "
            f"in {self.elapsed_s:.1f}s ({self.docs_per_s:.2f} docs/s)"
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["docs_per_s"] = round(self.docs_per_s, 4)
        data["elapsed_s"] = round(self.elapsed_s, 3)
        return data


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


def safe_name(doc_id: str) -> str:
    """A file name for ``doc_id`` that cannot leave the output folder.

    Path separators, ``..``, leading dots and every character outside ``[A-Za-z0-9._-]``
    become ``_``; long names are cut and suffixed with a hash of the full id.
    """
    name = _UNSAFE.sub("_", doc_id).strip("._") or "doc"
    if len(name) > _MAX_NAME:
        name = f"{name[:_MAX_NAME]}-{_digest(doc_id)[:8]}"
    return name


def discover_inputs(
    inputs: Sequence[str], globs: Sequence[str], exclude: Path | None = None
) -> Iterator[tuple[str, str | None]]:
    """``(path, id)`` for every input file: folders are walked recursively in sorted order,
    keeping files matching ``globs`` in any case (``A.TXT`` matches ``*.txt``) and skipping
    hidden folders and the folder ``exclude`` (the output folder: a run never reads its
    own outputs); a file under a folder gets its relative path (without suffix) as id,
    other inputs ``None`` (the reader decides)."""
    patterns = [g.casefold() for g in globs]
    skip = os.path.realpath(exclude) if exclude is not None else None
    for item in inputs:
        path = Path(item)
        if item == "-" or not path.is_dir():
            yield item, None
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(
                d for d in dirs if not d.startswith(".") and os.path.realpath(Path(root) / d) != skip
            )
            for name in sorted(files):
                file = Path(root) / name
                if any(PurePath(str(file).casefold()).match(g) for g in patterns):
                    yield str(file), printable(file.relative_to(path).with_suffix("").as_posix())


class _Done(NamedTuple):
    """What a skip decision needs of a finished document, kept small: a run over a
    100,000-document JSONL holds one of these per document, never the documents."""

    name: str
    input_hash: str
    settings: str
    outputs: tuple[str, ...]
    line: int


class _Manifest:
    """Journal of finished documents: one JSON line each, appended and fsynced.

    The last line of a killed run may be cut short; it is ignored on load. Later lines
    win; :meth:`compact` rewrites the file with the winning lines only, streaming it.
    """

    def __init__(self, path: Path):
        self.path = path
        self.done: dict[str, _Done] = {}
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
        self.done[entry["key"]] = _Done(entry["name"], entry["input_hash"], settings, outputs, self._lines)

    def forget(self, key: str) -> None:
        """Drop ``key``'s record (its document now goes by another key); compaction
        removes its line."""
        self.done.pop(key, None)

    def owners(self) -> dict[str, str]:
        """Output name (case-folded) → document key, for every recorded document."""
        return {d.name.casefold(): key for key, d in self.done.items()}

    def append(self, entry: dict[str, Any]) -> None:
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

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


class _Lock:
    """An exclusive, non-blocking flock on OUT_DIR/.it2en/lock; released when the process
    ends, however it ends."""

    def __init__(self, state_dir: Path):
        self.path = state_dir / "lock"
        self._fd: int | None = None

    def __enter__(self) -> _Lock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise OutDirLocked(
                    f"{self.path.parent.parent} is in use by another it2en batch run (pid {holder})"
                ) from None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def settings_fingerprint(config: PipelineConfig, options: BatchOptions) -> dict[str, Any]:
    """Everything that shapes a document's outputs: a change to any of it redoes the document."""
    roles = {"translator": config.translator}
    if options.summarize:
        roles["summarizer"] = config.summarizer
        if config.italian_summary:
            roles["back_translator"] = config.back_translator
    return {
        "models": {role: model_identity(name, config.models_dir) for role, name in roles.items()},
        "summarize": options.summarize,
        "backend": resolve_backend(config.backend),
        "precision": config.precision,
        "formats": sorted(options.formats),
        "num_beams": config.num_beams,
        "max_input_tokens": config.max_input_tokens,
        "summary_min_sentences": config.summary_min_sentences if options.summarize else None,
        "italian_summary": config.italian_summary if options.summarize else None,
    }


class _Planner:
    """Turns the input stream into documents to process, skipping finished ones and giving
    each a stable, contained, collision-free output name."""

    def __init__(self, manifest: _Manifest, out_dir: Path, settings: dict[str, Any], force: bool):
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
        input_hash = _digest(doc.text)
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
        moved = self.manifest.done.get(owner) if owner is not None and _gone(owner) else None
        if moved is not None:  # its input was moved or renamed: the same document
            self.manifest.forget(owner)
            self.owners[name.casefold()] = key
            return self._adopt(doc, key, input_hash, moved)
        if name.casefold() in _RESERVED or (owner is not None and owner != key):
            name = f"{name[:_MAX_NAME]}-{_digest(key)[:8]}"
        self.owners[name.casefold()] = key
        return PlannedDocument(doc, key, name, input_hash, "forced" if self.force else "new")

    def _adopt(self, doc: Document, key: str, input_hash: str, moved: _Done) -> PlannedDocument:
        """The plan for a document found under a new key whose old record is ``moved``:
        its outputs kept when nothing changed, else redone under the same name."""
        complete = all((self.out_dir / f).is_file() for f in moved.outputs)
        unchanged = moved.input_hash == input_hash and moved.settings == self.settings_key and complete
        if unchanged and not self.force:
            return PlannedDocument(doc, key, moved.name, input_hash, "moved", moved.outputs)
        return PlannedDocument(doc, key, moved.name, input_hash, "forced" if self.force else "changed")


def _gone(key: str) -> bool:
    """Whether the input a manifest key names (a path, or ``path#id`` for JSONL) no longer
    exists. Standard input never is."""
    return not key.startswith("<stdin>") and not any(os.path.exists(p) for p in (key, key.split("#", 1)[0]))


def run_batch(
    pipeline: Pipeline,
    inputs: Sequence[str],
    options: BatchOptions,
    *,
    stop: threading.Event | None = None,
    dry_run: bool = False,
    on_planned: Callable[[PlannedDocument], None] | None = None,
    report: BatchReport | None = None,
) -> BatchReport:
    """Process every new or changed document of ``inputs`` into ``options.out_dir``.

    ``stop``, when set (by a signal handler, say), ends the run after the documents
    already taken are written. ``dry_run`` writes nothing: each document that would be
    processed is passed to ``on_planned`` instead. ``report`` is filled in as the run goes
    (and returned), so a caller still has the counts when the run raises. Raises
    :class:`OutDirLocked` when another run holds the folder.
    """
    started = time.monotonic()
    report = report if report is not None else BatchReport()
    report.out_dir, report.dry_run = str(options.out_dir), dry_run
    settings = settings_fingerprint(pipeline.config, options)
    try:
        if dry_run:
            _plan_only(inputs, options, settings, report, on_planned)
        else:
            _run_locked(pipeline, inputs, options, settings, report, stop)
    finally:
        report.elapsed_s = time.monotonic() - started
    return report


def _plan_only(
    inputs: Sequence[str],
    options: BatchOptions,
    settings: dict[str, Any],
    report: BatchReport,
    on_planned: Callable[[PlannedDocument], None] | None,
) -> None:
    """A dry run: count and pass on what would be processed; write nothing."""
    state_dir = Path(options.out_dir) / _STATE
    planner = _Planner(
        _Manifest(state_dir / "manifest.jsonl"), Path(options.out_dir), settings, options.force
    )
    for item in _documents(inputs, options, report, errors=None):
        planned = planner.plan(*item)
        if planned is None or planned.reason == "moved":
            report.skipped += 1
            continue
        report.processed += 1
        if on_planned is not None:
            on_planned(planned)


def _run_locked(
    pipeline: Pipeline,
    inputs: Sequence[str],
    options: BatchOptions,
    settings: dict[str, Any],
    report: BatchReport,
    stop: threading.Event | None,
) -> None:
    """Take the output folder's lock, clear a killed run's temporary files, process, and
    compact the manifest."""
    out_dir = Path(options.out_dir)
    state_dir = out_dir / _STATE
    state_dir.mkdir(parents=True, exist_ok=True)
    with _Lock(state_dir):
        # Temporary files of a run killed mid-write: with the lock, no one else writes.
        for stale in (*out_dir.glob(f".*{TEMP_SUFFIX}"), *state_dir.glob(f".*{TEMP_SUFFIX}")):
            stale.unlink(missing_ok=True)
        manifest = _Manifest(state_dir / "manifest.jsonl")
        try:
            planner = _Planner(manifest, out_dir, settings, options.force)
            _process(pipeline, inputs, options, planner, manifest, report, stop)
        finally:
            manifest.close()
        manifest.compact()


def _process(
    pipeline: Pipeline,
    inputs: Sequence[str],
    options: BatchOptions,
    planner: _Planner,
    manifest: _Manifest,
    report: BatchReport,
    stop: threading.Event | None,
) -> None:
    """Run the planned documents through the pipeline; write and record each result."""
    out_dir = Path(options.out_dir)
    with (out_dir / "errors.jsonl").open("w", encoding="utf-8") as errors:
        pending: deque[PlannedDocument] = deque()

        def to_process() -> Iterator[Document]:
            for item in _documents(inputs, options, report, errors):
                if stop is not None and stop.is_set():
                    report.interrupted = True
                    return
                planned = planner.plan(*item)
                if planned is not None and planned.reason == "moved":
                    manifest.append(_record(planned, planner.settings, list(planned.current)))
                if planned is None or planned.reason == "moved":
                    report.skipped += 1
                    continue
                pending.append(planned)
                yield planned.document

        for outcome in pipeline.process_many(to_process(), summarize=options.summarize):
            planned = pending.popleft()
            if isinstance(outcome, Failure):
                _record_failure(errors, outcome, report)
                continue
            outputs = _write_outputs(out_dir, planned.name, outcome, options.formats)
            manifest.append(_record(planned, planner.settings, outputs))
            report.processed += 1


def _record(planned: PlannedDocument, settings: dict[str, Any], outputs: list[str]) -> dict[str, Any]:
    """The manifest line of a finished document."""
    return {
        "key": planned.key,
        "id": planned.document.id,
        "name": planned.name,
        "input": planned.document.origin,
        "input_hash": planned.input_hash,
        "settings": settings,
        "outputs": outputs,
        "finished": _now(),
    }


def _documents(
    inputs: Sequence[str], options: BatchOptions, report: BatchReport, errors: IO[str] | None
) -> Iterator[tuple[Document, str]]:
    """``(document, key)`` pairs, streamed; unreadable inputs go to the error log."""
    for path, doc_id in discover_inputs(inputs, options.globs, exclude=Path(options.out_dir)):
        is_jsonl = options.input_format == "jsonl" or (
            options.input_format == "auto" and path.lower().endswith(".jsonl")
        )
        # realpath, unlike Path.resolve, never raises (a symlink loop fails when read).
        source = "<stdin>" if path == "-" else printable(os.path.realpath(path))
        for item in read_documents([path], input_format=options.input_format, encoding=options.encoding):
            if isinstance(item, Failure):
                _record_failure(errors, item, report)
                continue
            if doc_id is not None and not is_jsonl:  # a JSONL record keeps its own id
                item = Document(id=doc_id, text=item.text, origin=item.origin)
            yield item, f"{source}#{item.id}" if is_jsonl or path == "-" else source


def _write_outputs(out_dir: Path, name: str, result: Result, formats: Iterable[str]) -> list[str]:
    written = []
    for fmt in formats:
        filename = f"{name}.{fmt}"
        target = out_dir / filename
        if target.resolve().parent != out_dir.resolve():  # safe_name makes this impossible
            raise It2enError(f"refusing to write {target} outside {out_dir}")
        with atomic_output(target) as stream:
            if fmt == "json":
                stream.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
            else:
                stream.write(render_markdown(result))
        written.append(filename)
    return written


def _record_failure(errors: IO[str] | None, failure: Failure, report: BatchReport) -> None:
    """Count and log a failure, and append it to the run's error log (none in a dry run)."""
    if errors is not None:
        record = {**failure.to_dict(), "time": _now()}
        errors.write(json.dumps(record, ensure_ascii=False) + "\n")
        errors.flush()
        os.fsync(errors.fileno())
    report.failed += 1
    log.error("%s", failure.message())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
