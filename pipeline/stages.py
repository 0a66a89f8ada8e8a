"""One call of a pipeline and its stages: segment, translate (pooled, deduplicated,
length-sorted, token-budgeted), summarize, ground, back-translate, check.

Every call of :class:`~pipeline.pipeline.Pipeline` makes a :class:`Call` of its own,
which holds what belongs to that call alone (the roles of its job, its stop event), so
that one pipeline may serve several calls at once on several threads, or a stopped run
and then another, without one call seeing another's state.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .batching import ProgressFn, run_batched
from .checks import CheckSettings, check_result
from .config import PipelineConfig
from .engines import Seq2SeqEngine, scored_generate
from .errors import It2enError, Stopped
from .failures import failure_of
from .formats import locate, writable
from .identity import job_roles
from .models import Models
from .segmenting import reassemble, segment_document
from .summarize import Translated, summarize_documents
from .terms import Glossary, Prepared, prepare
from .types import Document, Failure, FollowMethod, Result, Role, Segment, Summary, role_key

__all__ = ["Call", "ProgressCallback", "Setup"]

log = logging.getLogger("it2en.pipeline")

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stages: translate, summarize, back-translate."""


@dataclass(frozen=True)
class Setup:
    """What every call of one pipeline shares: its config, models, batch limits, checks,
    glossary and progress callback (``progress(stage, done, total)``)."""

    config: PipelineConfig
    models: Models
    batch_size: int
    summary_tokens: int
    checks: CheckSettings
    progress: ProgressCallback | None = None
    glossary: Glossary = field(default_factory=Glossary)
    """The terms every Italian→English translation follows (English→Italian: reversed)."""
    follow: FollowMethod = "inline"


class Call:
    """One call's stages over ``setup``: its ``roles`` (the models its job uses, named
    together when they cannot be loaded) and its ``stop`` event."""

    def __init__(self, setup: Setup, roles: Sequence[Role], stop: threading.Event | None = None):
        self.setup, self.roles, self.stop = setup, tuple(roles), stop

    def served(self, role: Role) -> Seq2SeqEngine:
        return self.setup.models.served(role, self.roles)

    def chunk(self, chunk: list[Document | Failure], *, summarize: bool) -> list[Result | Failure]:
        """A chunk of documents processed; if a batch fails, each document again alone,
        so that one bad document costs only its own result. A failure whose exception is
        not one a document's data can cause is logged with its traceback and marked
        internal (:mod:`pipeline.failures`)."""
        try:
            return self._process(chunk, summarize)
        except It2enError:
            raise
        except Exception as exc:
            docs = [d for d in chunk if isinstance(d, Document)]
            if len(docs) <= 1:
                if not docs:
                    raise
                failed = "processing failed"
                return [
                    failure_of(d.id, d.origin, exc, failed) if isinstance(d, Document) else d for d in chunk
                ]
            log.warning("a batch failed; retrying its %d documents one by one", len(docs))
            return [r for item in chunk for r in self.chunk([item], summarize=summarize)]

    def _process(self, chunk: list[Document | Failure], summarize: bool) -> list[Result | Failure]:
        texts = {
            i: item.text for i, item in enumerate(chunk) if isinstance(item, Document) and item.text.strip()
        }
        segmented: dict[int, list[Segment]] = {}
        translations: dict[int, list[str]] = {}
        scores: dict[int, list[float | None]] = {}
        scored = "low_confidence" in self.setup.checks.enabled  # only that check reads scores
        if texts:  # a chunk of failures alone never loads a model
            segmented, translations, scores = self.translate_texts(
                "translate", self.served("translator"), texts, "it", scored=scored
            )
        english = {i: reassemble(texts[i], segmented[i], translations[i]) for i in texts}
        summaries = self._summaries(texts, segmented, translations, english, scored) if summarize else {}
        models = {
            role_key(role): self.setup.models.name(role) for role in job_roles(self.setup.config, summarize)
        }
        outcomes: list[Result | Failure] = []
        for i, item in enumerate(chunk):
            if isinstance(item, Failure):
                outcomes.append(item)
            elif i in texts:
                result = Result(
                    id=item.id,
                    source=item.text,
                    segments=tuple(locate(segmented[i], item.layout)),
                    translations=tuple(translations[i]),
                    translation=english[i],
                    models=models,
                    summary=summaries.get(i),
                    origin=item.origin,
                    scores=tuple(scores[i]),
                    layout=item.layout,
                )
                outcomes.append(check_result(result, self.setup.checks))
            elif writable(item.layout):  # a page or a Word file with nothing to translate
                log.warning("%s: no text to translate: its translated copy is the file as it is", item.origin)
                outcomes.append(
                    Result(item.id, "", (), (), "", models, origin=item.origin, layout=item.layout)
                )
            else:
                outcomes.append(Failure(item.id, item.origin, "document is empty"))
        return outcomes

    def _summaries(
        self,
        texts: dict[int, str],
        segmented: dict[int, list[Segment]],
        translations: dict[int, list[str]],
        english: dict[int, str],
        scored: bool,
    ) -> dict[int, Summary]:
        """The summary stage (:mod:`pipeline.summarize`) over the chunk's documents, keyed
        like ``texts``; the Italian summary through the back-translator."""

        def render_italian(points: Sequence[str]) -> list[tuple[str, float | None]]:
            engine = self.served("back-translator")
            return self.translate_strings("back-translate", engine, points, "en", scored=scored)

        keys = list(texts)
        made = summarize_documents(
            [Translated(texts[i], segmented[i], translations[i], english[i]) for i in keys],
            lambda: self.served("summarizer"),
            render_italian if self.setup.config.italian_summary else None,
            min_sentences=self.setup.config.summary_min_sentences,
            max_tokens=self.setup.summary_tokens,
            max_size=self.setup.batch_size,
            progress=self.stage_progress("summarize"),
        )
        return dict(zip(keys, made, strict=True))

    def translate_strings(
        self, stage: str, engine: Seq2SeqEngine, texts: Sequence[str], language: str, *, scored: bool = False
    ) -> list[tuple[str, float | None]]:
        """Translations of whole texts (segmented, pooled, reassembled; blank ones
        unchanged), each with the mean score of its segments when ``scored``."""
        todo = {i: text for i, text in enumerate(texts) if text.strip()}
        segmented, outputs, scores = self.translate_texts(stage, engine, todo, language, scored=scored)
        translated: list[tuple[str, float | None]] = [(text, None) for text in texts]
        for i, text in todo.items():
            known = [s for s in scores[i] if s is not None]
            mean = sum(known) / len(known) if known and len(known) == len(scores[i]) else None
            translated[i] = (reassemble(text, segmented[i], outputs[i]), mean)
        return translated

    def translate_texts(
        self, stage: str, engine: Seq2SeqEngine, texts: dict[int, str], language: str, *, scored: bool
    ) -> tuple[dict[int, list[Segment]], dict[int, list[str]], dict[int, list[float | None]]]:
        """Segment every text, translate all segments in one pooled batched run, and
        return each text's segments, their translations and (``scored``, when the engine
        gives them) their scores."""
        glossary, known = self._glossary(language), dict[str, Prepared]()

        def terms(text: str) -> list[tuple[int, int]]:  # no cut inside a term
            return [(m.start, m.end) for m in glossary.find(text)]

        def as_read(parts: Sequence[str]) -> list[int]:  # sentences measured as the model reads them
            return engine.count_tokens([self._prepared(part, language, known).text for part in parts])

        segmented = {
            i: segment_document(
                text,
                as_read if glossary else engine.count_tokens,
                engine.max_input_tokens,
                language,
                terms if glossary else None,
            )
            for i, text in texts.items()
        }
        prepared = self.followed([s for segs in segmented.values() for s in segs], language, known)
        outputs = iter(
            run_batched(
                [p.text for p in prepared],
                engine.count_tokens,
                scored_generate(engine, scored),
                max_tokens=self.setup.config.max_batch_tokens,
                max_size=self.setup.batch_size,
                progress=self.stage_progress(stage),
            )
        )
        finished = ((p.finish(text), score) for p, (text, score) in zip(prepared, outputs, strict=True))
        pairs = {i: [next(finished) for _ in segs] for i, segs in segmented.items()}
        translations = {i: [text for text, _ in row] for i, row in pairs.items()}
        return segmented, translations, {i: [score for _, score in row] for i, row in pairs.items()}

    def followed(
        self, segments: Sequence[Segment], language: str, known: dict[str, Prepared] | None = None
    ) -> list[Prepared]:
        """Each segment of :meth:`translate_texts` as the engine reads it, the glossary
        followed (reversed for an English source); those segments were cut to fit the
        engine's input limit as read, so each fits. ``known``: texts prepared already."""
        known = {} if known is None else known
        return [self._prepared(segment.text, language, known) for segment in segments]

    def _prepared(self, text: str, language: str, known: dict[str, Prepared]) -> Prepared:
        """``text`` changed for the model by the glossary, once per text of a call."""
        if text not in known:
            known[text] = prepare(text, self._glossary(language), self.setup.follow)
        return known[text]

    def _glossary(self, language: str) -> Glossary:
        """The glossary for a source in ``language``: reversed for English."""
        return self.setup.glossary if language == "it" else self.setup.glossary.reversed

    def stage_progress(self, stage: str) -> ProgressFn:
        """Called after every model batch: reports progress, and raises
        :class:`~pipeline.errors.Stopped` once this call's stop event is set."""
        callback, stop = self.setup.progress, self.stop

        def after_batch(done: int, total: int) -> None:
            if callback is not None:
                callback(stage, done, total)
            if stop is not None and stop.is_set():
                raise Stopped(f"stopped during {stage}")

        return after_batch
