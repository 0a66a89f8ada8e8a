"""Typed records that flow through the pipeline.

``Document`` goes in; ``Segment`` is a piece of it with exact character offsets; ``Result``
comes out and turns itself into the JSON record with :meth:`Result.to_dict`. All records
are frozen: a stage makes new records instead of patching old ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast, get_args

from .errors import ConfigError

if TYPE_CHECKING:
    from .layouts import Layout

__all__ = [
    "FLAGS",
    "FOLLOW_METHODS",
    "ROLES",
    "Document",
    "Failure",
    "Flag",
    "FlagName",
    "FollowMethod",
    "Point",
    "Result",
    "ReviewEntry",
    "Role",
    "RunCounts",
    "Segment",
    "SegmentKind",
    "Summary",
    "SummaryKind",
    "as_role",
    "role_key",
]

Role = Literal["translator", "summarizer", "back-translator"]
"""The job a model does in the pipeline: Italian→English, English summaries,
English→Italian for the Italian summary. Spelled as the CLI flags are."""

ROLES: tuple[Role, ...] = get_args(Role)


def as_role(name: str) -> Role:
    """``name`` as a :data:`Role` (``back_translator`` is accepted for ``back-translator``);
    anything else is a :class:`ConfigError` listing the roles."""
    role = name.replace("_", "-")
    if role not in ROLES:
        raise ConfigError(f"unknown model role {name!r} (roles: {', '.join(ROLES)})")
    return cast(Role, role)


def role_key(role: Role) -> str:
    """The role's name as a config field and a JSON key: ``back_translator``."""
    return role.replace("-", "_")


SegmentKind = Literal["text", "heading", "list_item", "quote"]
"""The block a segment belongs to; Markdown markers stay in the gaps between segments."""

SummaryKind = Literal["abstractive", "hierarchical", "translation"]
"""How the summary was made: one summarizer pass, windows summarized and combined, or
(for documents too short to summarize) the translation itself."""


@dataclass(frozen=True)
class Document:
    """One input document.

    ``origin`` says where it came from (a path, ``path:line`` for JSONL, ``<stdin>``) so
    that errors can name it.
    """

    id: str
    text: str
    origin: str = ""
    layout: Layout | None = None
    """For an HTML, DOCX or PDF file: its blocks and where each came from (``text`` is
    ``layout.text``); None for plain text."""

    @classmethod
    def from_text(cls, text: str, origin: str = "") -> Document:
        """A document without a name (standard input, a bare string): its id is the first
        12 hex digits of the SHA-256 of its text, stable across runs."""
        return cls(id=hashlib.sha256(text.encode("utf-8")).hexdigest()[:12], text=text, origin=origin)


@dataclass(frozen=True)
class Segment:
    """A translatable span of a document: ``document.text[start:end] == text``.

    Everything between two segments (spaces, line breaks, Markdown markers, code blocks)
    is copied verbatim into the translation, which is how layout survives.
    """

    index: int
    paragraph: int
    start: int
    end: int
    text: str
    kind: SegmentKind = "text"
    where: str | None = None
    """For a formatted document: the place in the original file (an element path, a
    paragraph, a page) the segment comes from."""


FlagName = Literal[
    "untranslated",
    "numbers",
    "names",
    "repetition",
    "length",
    "low_confidence",
    "term",
    "unsupported",
    "ungrounded",
]
"""A check that found something a reader should look at (README, "Trust signals")."""

FLAGS: tuple[FlagName, ...] = get_args(FlagName)

FollowMethod = Literal["inline", "placeholder", "none"]
"""How a translator is made to follow a glossary (:mod:`pipeline.terms.follow`); ``none``
checks the terms without following them."""

FOLLOW_METHODS: tuple[FollowMethod, ...] = get_args(FollowMethod)


@dataclass(frozen=True)
class Flag:
    """A reason to check a segment or a summary point: the check, and what it found."""

    name: FlagName
    detail: str


@dataclass(frozen=True)
class Point:
    """One sentence of the English summary, its Italian rendering, the indices of the
    segments it rests on, and what the checks found in it."""

    en: str
    it: str | None
    source_segments: tuple[int, ...]
    flags: tuple[Flag, ...] = ()
    it_score: float | None = None
    """The back-translator's mean log-probability per token of ``it`` (None: not scored)."""


@dataclass(frozen=True)
class Summary:
    """The bilingual summary of one document."""

    en: str
    it: str | None
    kind: SummaryKind
    points: tuple[Point, ...]


@dataclass(frozen=True)
class ReviewEntry:
    """One thing a reader should check: a flag on a segment or on a summary point."""

    flag: FlagName
    detail: str
    segment: int | None = None
    """The flagged segment's index (None: a summary point)."""
    point: int | None = None
    """The flagged summary point's index (None: a segment)."""
    where: str | None = None
    """The segment's place in the original file (``page 2``), where it has one."""

    @property
    def label(self) -> str:
        """How a reader finds it: ``Sentence 3`` (with its place in the original file when
        it has one: ``Sentence 3, page 2``) or ``Summary point 1``."""
        if self.segment is None:
            return f"Summary point {(self.point or 0) + 1}"
        return f"Sentence {self.segment + 1}" + (f", {self.where}" if self.where else "")

    @property
    def anchor(self) -> str:
        """Its element's id in the HTML report: ``s3`` for sentence 3, ``p1`` for point 1."""
        return f"s{self.segment + 1}" if self.segment is not None else f"p{(self.point or 0) + 1}"

    def to_dict(self) -> dict[str, Any]:
        """The entry in a record's ``review`` list: ``segment`` or ``point``, ``flag``,
        ``detail``."""
        place = {"segment": self.segment} if self.segment is not None else {"point": self.point}
        return {**place, "flag": self.flag, "detail": self.detail}


@dataclass(frozen=True)
class Failure:
    """A document that could not be processed; the others carry on without it."""

    id: str | None
    origin: str
    reason: str
    trace: str = ""
    """For a failure by an internal error (a fault of it2en's, not of the document's
    data: :func:`pipeline.errors.is_internal`), its traceback; else empty."""

    @property
    def internal(self) -> bool:
        return bool(self.trace)

    def message(self) -> str:
        """One line naming the input and the problem."""
        name = self.origin or self.id or "<input>"
        return f"{name}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """The record written to error logs (``internal`` for an internal error)."""
        record: dict[str, Any] = {"id": self.id, "input": self.origin, "reason": self.reason}
        if self.internal:
            record["internal"] = True
        return record


@dataclass(frozen=True)
class Result:
    """The outcome for one document: translation, and summary when one was asked for."""

    id: str
    source: str
    segments: tuple[Segment, ...]
    translations: tuple[str, ...]
    translation: str
    models: dict[str, str]
    summary: Summary | None = None
    origin: str = ""
    scores: tuple[float | None, ...] = ()
    """Per segment: the translator's mean log-probability per token (None: the engine
    gives none)."""
    flags: tuple[tuple[Flag, ...], ...] = ()
    """Per segment: what the checks found."""
    layout: Layout | None = None
    """The document's layout when it came from an HTML, DOCX or PDF file."""

    def segment_flags(self, index: int) -> tuple[Flag, ...]:
        """The flags of segment ``index`` (none when the checks did not run)."""
        return self.flags[index] if index < len(self.flags) else ()

    def review(self) -> list[ReviewEntry]:
        """What a reader should check, segments first, then summary points: one entry per
        flag, naming the segment or point and the reason."""
        entries = [
            ReviewEntry(flag.name, flag.detail, segment=index, where=self.segments[index].where)
            for index in range(len(self.segments))
            for flag in self.segment_flags(index)
        ]
        points = self.summary.points if self.summary is not None else ()
        entries += [
            ReviewEntry(flag.name, flag.detail, point=index)
            for index, point in enumerate(points)
            for flag in point.flags
        ]
        return entries

    def to_dict(self) -> dict[str, Any]:
        """The JSON record documented in the README (one line of ``--format jsonl``)."""
        record: dict[str, Any] = {
            "id": self.id,
            "source": self.source,
            "translation": self.translation,
            "segments": [
                {
                    "source": seg.text,
                    "translation": tr,
                    "paragraph": seg.paragraph,
                    "kind": seg.kind,
                    "start": seg.start,
                    "end": seg.end,
                    "score": self._score(i),
                    "flags": [flag.name for flag in self.segment_flags(i)],
                    **({"where": seg.where} if seg.where is not None else {}),
                }
                for i, (seg, tr) in enumerate(zip(self.segments, self.translations, strict=True))
            ],
        }
        if self.summary is not None:
            record["summary"] = self.summary.en
            record["summary_it"] = self.summary.it
            record["summary_kind"] = self.summary.kind
            record["points"] = [
                {
                    "en": p.en,
                    "it": p.it,
                    "source_segments": list(p.source_segments),
                    "flags": [flag.name for flag in p.flags],
                    "it_score": None if p.it_score is None else round(p.it_score, 4),
                }
                for p in self.summary.points
            ]
        if self.layout is not None:
            record["format"] = self.layout.format
        record["review"] = [entry.to_dict() for entry in self.review()]
        record["models"] = dict(self.models)
        return record

    def _score(self, index: int) -> float | None:
        score = self.scores[index] if index < len(self.scores) else None
        return None if score is None else round(score, 4)


@dataclass
class RunCounts:
    """What a run over many documents did, as every runner counts it (the batch runner,
    the distributed runner): documents processed, failed, and skipped as already done by
    an earlier run; of the failed, those by an internal error (a fault of it2en's)."""

    processed: int = 0
    failed: int = 0
    skipped: int = 0
    internal: int = 0

    def internal_note(self) -> str:
        """What the end-of-run line says of internal errors (nothing when none)."""
        if not self.internal:
            return ""
        return f"; {self.internal} failed because of an internal error: please report it"
