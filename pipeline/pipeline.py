"""The pipeline: segment, translate, summarize, ground and back-translate, in batches.

Documents are taken in chunks (``docs_per_chunk``); inside a chunk every stage pools the
work of all documents, so a short document never runs in a batch of its own. Models load
on first use and stay loaded.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from itertools import islice
from pathlib import Path

from .batching import ProgressFn, run_batched
from .cache import CachedEngine, OutputCache
from .checks import CheckSettings, check_result
from .config import PipelineConfig
from .engines import Seq2SeqEngine, build_engine, scored_generate
from .engines.runtime import resolve_backend
from .errors import It2enError, ModelLoadError, Stopped, reason
from .formats import locate, writable
from .identity import job_roles, role_identity
from .segmenting import reassemble, segment_document
from .summarize import Translated, summarize_documents
from .types import Document, Failure, Result, Role, Segment, Summary, as_role, role_key

__all__ = ["DocumentInput", "Pipeline", "ProgressCallback"]

log = logging.getLogger("it2en.pipeline")

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stages: translate, summarize, back-translate."""

DocumentInput = Document | str | tuple[str, str]
"""What :meth:`Pipeline.process_many` accepts: a Document, a text, or ``(id, text)``."""


class Pipeline:
    """Italian documents in, translations and bilingual summaries out.

    >>> p = Pipeline(PipelineConfig(device="cpu"))      # doctest: +SKIP
    >>> p.translate(["Il gatto dorme.", "Piove."])       # doctest: +SKIP
    ['The cat is sleeping.', "It's raining."]
    """

    def __init__(
        self,
        config: PipelineConfig | None = None,
        *,
        progress: ProgressCallback | None = None,
        engines: Mapping[Role | str, Seq2SeqEngine] | None = None,
    ):
        """``engines`` may supply ready engines by role (translator, summarizer,
        back-translator) instead of loading the configured models: any object with the
        :class:`~pipeline.engines.Seq2SeqEngine` methods. An unknown role is a
        :class:`~pipeline.errors.ConfigError`."""
        self.config = config or PipelineConfig()
        self._progress = progress
        self._engines: dict[Role, Seq2SeqEngine] = {as_role(r): e for r, e in (engines or {}).items()}
        self._supplied = frozenset(self._engines)
        self._job_roles: list[Role] = ["translator"]
        """The roles of the job in progress (set by :meth:`process_many`)."""
        self._stop: threading.Event | None = None
        self._namespaces: dict[Role, str] = {}
        self._loading = threading.Lock()
        self._lender: tuple[Pipeline, Callable[[Seq2SeqEngine], Seq2SeqEngine]] | None = None
        """For a :meth:`sibling`: the pipeline whose engines it uses, and their wrapper."""

    @classmethod
    def from_config(cls, path: str | Path, **overrides: object) -> Pipeline:
        """A pipeline configured by a TOML preset, with optional field overrides."""
        return cls(PipelineConfig.from_file(path, **overrides))

    # -- models -------------------------------------------------------------------------

    @cached_property
    def _device_type(self) -> str:
        """``cpu`` or ``cuda``: what the batch limits are chosen for."""
        from .engines.runtime import device_of

        return device_of(self.config.device, resolve_backend(self.config.backend))[0]

    @cached_property
    def _batch_size(self) -> int:
        return self.config.batch_size_for(self._device_type)

    def _model_name(self, role: Role) -> str:
        """The loaded engine's name for ``role``, else the configured model (not loaded:
        a chunk of short documents never needs the summarizer)."""
        if role in self._engines:
            return self._engines[role].name
        return self.config.model_for(role)

    def engine(self, role: Role | str) -> Seq2SeqEngine:
        """The engine for ``role``, loading its model on first use. When it cannot be
        loaded, the other models of the job in progress are tried too, so that one
        :class:`ModelLoadError` names every model missing (one fix, not one per run)."""
        role = as_role(role)
        with self._loading:  # a sibling's thread may ask at the same time
            if role not in self._engines and self._lender is not None:
                lender, wrap = self._lender
                self._engines[role] = wrap(lender.engine(role))
            elif role not in self._engines:
                try:
                    self._engines[role] = build_engine(self.config, role)
                except ModelLoadError as exc:
                    raise self._every_missing(role, exc) from exc
        return self._engines[role]

    def _every_missing(self, failed: Role, error: ModelLoadError) -> ModelLoadError:
        """``error``, joined by the errors of the job's other models that fail to load
        as well (those that load are kept)."""
        messages = [str(error)]
        for role in self._job_roles:
            if role != failed and role not in self._engines:
                try:
                    self._engines[role] = build_engine(self.config, role)
                except ModelLoadError as other:
                    messages.append(str(other))
        return error if len(messages) == 1 else ModelLoadError("; ".join(messages))

    def use_output_cache(self, path: str | Path) -> None:
        """Reuse model outputs across runs from the SQLite file at ``path`` (the config's
        ``output_cache`` does the same from the start)."""
        self._output_cache = OutputCache(path, self.config.cache_max_entries)

    @cached_property
    def _output_cache(self) -> OutputCache | None:
        path = self.config.output_cache
        if not path or path.lower() == "none":
            return None
        return OutputCache(path, self.config.cache_max_entries)

    def _served(self, role: Role) -> Seq2SeqEngine:
        """The engine for ``role`` as the stages use it: through the output cache, when
        there is one, so an input seen in an earlier run is never sent to the model."""
        engine = self.engine(role)
        cache = self._output_cache
        if cache is None:
            return engine
        if role not in self._namespaces:  # once: the model's identity walks its folder
            owner = self._lender[0] if self._lender is not None else self
            self._namespaces[role] = owner._namespace(role)
        return CachedEngine(engine, cache, self._namespaces[role])

    def _namespace(self, role: Role) -> str:
        """What shapes ``role``'s outputs besides the input (:mod:`pipeline.identity`); for
        an engine given by the caller, its name and the decoding settings."""
        config = self.config
        if role in self._supplied:
            engine = f"engine {self._engines[role].name}"
            return json.dumps([role, engine, config.num_beams, config.input_limit_for(role)])
        return role_identity(config, role).key()

    def sibling(
        self, wrap: Callable[[Seq2SeqEngine], Seq2SeqEngine], *, progress: ProgressCallback | None = None
    ) -> Pipeline:
        """A pipeline of this one's config, models and output cache, each model's engine
        wrapped by ``wrap``, with its own ``progress``: one document's work on another
        thread (the service runs a document's model calls on its worker this way). Its
        outputs are this pipeline's, so both read and fill the same cache entries. A model
        is loaded (by this pipeline, once) when the other first needs it."""
        other = Pipeline(self.config, progress=progress)
        other.__dict__["_output_cache"] = self._output_cache  # the same object, not a second connection
        other._namespaces = self._namespaces
        other._lender = (self, wrap)
        return other

    # -- public API ---------------------------------------------------------------------

    def translate(self, texts: Sequence[str]) -> list[str]:
        """English translations of Italian texts, in the same order, layout kept.

        All texts are segmented and translated in one pooled, batched run; blank texts
        come back unchanged.
        """
        return [
            text for text, _ in self._translate_strings("translate", self._served("translator"), texts, "it")
        ]

    def translate_to_italian(self, texts: Sequence[str]) -> list[str]:
        """Italian translations of English texts by the back-translator, in the same order,
        layout kept (the second language pair: the service's en→it)."""
        engine = self._served("back-translator")
        return [text for text, _ in self._translate_strings("back-translate", engine, texts, "en")]

    def translate_html(self, fragments: Sequence[str], *, italian: bool = False) -> list[str]:
        """HTML fragments (LibreTranslate's ``format=html``) with their text translated
        and every tag kept, en→it by the back-translator with ``italian``; a fragment
        without markup is translated as text (:mod:`pipeline.formats.fragment`)."""
        from .formats.fragment import translate_fragments

        role: Role = "back-translator" if italian else "translator"
        stage, language = ("back-translate", "en") if italian else ("translate", "it")
        engine = self._served(role)
        return translate_fragments(
            fragments, lambda texts: self._translate_texts(stage, engine, texts, language, scored=False)[:2]
        )

    def translate_alternatives(
        self, texts: Sequence[str], n: int, *, italian: bool = False
    ) -> list[list[str]]:
        """Up to ``n`` translations of each text other than :meth:`translate`'s (en→it by
        the back-translator with ``italian``), best first: each segment's hypotheses from a
        beam search at least ``n + 1`` wide, alternative *k* of a text made of each
        segment's *k*-th hypothesis (its best where it has fewer). An engine without
        ``generate_alternatives`` gives none."""
        role: Role = "back-translator" if italian else "translator"
        engine = self.engine(role)
        alternatives = getattr(engine, "generate_alternatives", None)
        found: list[list[str]] = [[] for _ in texts]
        if alternatives is None:
            return found
        todo = {i: text for i, text in enumerate(texts) if text.strip()}
        # One segmentation for the chosen translations (as translate() makes them) and
        # for the hypotheses.
        stage, language = ("back-translate", "en") if italian else ("translate", "it")
        segmented, outputs, _ = self._translate_texts(stage, self._served(role), todo, language, scored=False)
        hypotheses = iter(
            run_batched(
                [s.text for segs in segmented.values() for s in segs],
                engine.count_tokens,
                lambda batch: alternatives(batch, n + 1),
                max_tokens=self.config.max_batch_tokens,
                max_size=self._batch_size,
            )
        )
        for i, segs in segmented.items():
            chosen = reassemble(todo[i], segs, outputs[i])
            rows = [next(hypotheses) for _ in segs]
            for k in range(max(len(row) for row in rows)):
                text = reassemble(todo[i], segs, [row[k] if k < len(row) else row[0] for row in rows])
                if text != chosen and text not in found[i] and len(found[i]) < n:
                    found[i].append(text)
        return found

    def process(self, text: str, id: str | None = None, *, summarize: bool = True) -> Result:
        """Translate and summarize one document; raise if it cannot be processed."""
        doc = Document(id=id, text=text) if id else Document.from_text(text)
        outcome = self._run_chunk([doc], summarize=summarize)[0]
        if isinstance(outcome, Failure):
            raise It2enError(outcome.message())
        return outcome

    def process_many(
        self,
        docs: Iterable[DocumentInput | Failure],
        *,
        summarize: bool = True,
        stop: threading.Event | None = None,
    ) -> Iterator[Result | Failure]:
        """Results in input order, batched across documents, one chunk in memory at a time.

        A document that cannot be processed yields a :class:`Failure` in its place;
        failures already present in the input (from a reader) pass through in order.
        ``stop``, once set, ends the work after the model batch in progress by raising
        :class:`~pipeline.errors.Stopped` (the results already yielded stand).
        """
        items = iter(docs)
        self._job_roles = job_roles(self.config, summarize)
        self._stop = stop
        while chunk := list(islice(items, self.config.docs_per_chunk)):
            yield from self._run_chunk([_as_document(d) for d in chunk], summarize=summarize)

    # -- stages -------------------------------------------------------------------------

    def _run_chunk(self, chunk: list[Document | Failure], *, summarize: bool) -> list[Result | Failure]:
        """Process a chunk; if a model error hits a pooled batch, retry document by
        document so one bad document costs only its own result."""
        try:
            return self._process(chunk, summarize)
        except It2enError:
            raise
        except Exception as exc:
            docs = [d for d in chunk if isinstance(d, Document)]
            if len(docs) <= 1:
                if not docs:
                    raise
                log.debug("document %s failed", docs[0].id, exc_info=True)
                return [_failure_from_exception(d, exc) if isinstance(d, Document) else d for d in chunk]
            log.warning("a batch failed; retrying its %d documents one by one", len(docs))
            return [r for item in chunk for r in self._run_chunk([item], summarize=summarize)]

    def _process(self, chunk: list[Document | Failure], summarize: bool) -> list[Result | Failure]:
        texts = {
            i: item.text for i, item in enumerate(chunk) if isinstance(item, Document) and item.text.strip()
        }
        segmented: dict[int, list[Segment]] = {}
        translations: dict[int, list[str]] = {}
        scores: dict[int, list[float | None]] = {}
        if texts:  # a chunk of failures alone never loads a model
            segmented, translations, scores = self._translate_texts(
                "translate", self._served("translator"), texts, "it", scored=self._scored
            )
        english = {i: reassemble(texts[i], segmented[i], translations[i]) for i in texts}
        summaries = self._summaries(texts, segmented, translations, english) if summarize else {}
        models = self._models(summarize)
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
                outcomes.append(self._checked(result))
            elif writable(item.layout):  # a page or a Word file with nothing to translate
                log.warning("%s: no text to translate: its translated copy is the file as it is", item.origin)
                empty = Result(item.id, "", (), (), "", models, origin=item.origin, layout=item.layout)
                outcomes.append(empty)
            else:
                outcomes.append(Failure(item.id, item.origin, "document is empty"))
        return outcomes

    def _models(self, summarize: bool) -> dict[str, str]:
        """The models a result names, by role: those its job used."""
        return {role_key(role): self._model_name(role) for role in job_roles(self.config, summarize)}

    def _checked(self, result: Result) -> Result:
        """``result`` with what the configured checks find (:mod:`pipeline.checks`)."""
        return check_result(result, self._check_settings)

    @cached_property
    def _check_settings(self) -> CheckSettings:
        return CheckSettings.from_config(self.config)

    @property
    def _scored(self) -> bool:
        """Whether outputs need scores: only the ``low_confidence`` check reads them (on
        the torch engine they cost a teacher-forced pass)."""
        return "low_confidence" in self._check_settings.enabled

    def _summaries(
        self,
        texts: dict[int, str],
        segmented: dict[int, list[Segment]],
        translations: dict[int, list[str]],
        english: dict[int, str],
    ) -> dict[int, Summary]:
        """The summary stage (:mod:`pipeline.summarize`) over the chunk's documents, keyed
        like ``texts``; the Italian summary through the back-translator."""

        def render_italian(points: Sequence[str]) -> list[tuple[str, float | None]]:
            engine = self._served("back-translator")
            return self._translate_strings("back-translate", engine, points, "en", scored=self._scored)

        keys = list(texts)
        made = summarize_documents(
            [Translated(texts[i], segmented[i], translations[i], english[i]) for i in keys],
            lambda: self._served("summarizer"),
            render_italian if self.config.italian_summary else None,
            min_sentences=self.config.summary_min_sentences,
            max_tokens=self.config.summary_batch_tokens_for(self._device_type),
            max_size=self._batch_size,
            progress=self._stage_progress("summarize"),
        )
        return dict(zip(keys, made, strict=True))

    def _translate_strings(
        self, stage: str, engine: Seq2SeqEngine, texts: Sequence[str], language: str, *, scored: bool = False
    ) -> list[tuple[str, float | None]]:
        """Translations of whole texts (segmented, pooled, reassembled; blank ones
        unchanged), each with the mean score of its segments when ``scored``."""
        todo = {i: text for i, text in enumerate(texts) if text.strip()}
        segmented, outputs, scores = self._translate_texts(stage, engine, todo, language, scored=scored)
        translated: list[tuple[str, float | None]] = [(text, None) for text in texts]
        for i, text in todo.items():
            known = [s for s in scores[i] if s is not None]
            mean = sum(known) / len(known) if known and len(known) == len(scores[i]) else None
            translated[i] = (reassemble(text, segmented[i], outputs[i]), mean)
        return translated

    def _translate_texts(
        self, stage: str, engine: Seq2SeqEngine, texts: dict[int, str], language: str, *, scored: bool
    ) -> tuple[dict[int, list[Segment]], dict[int, list[str]], dict[int, list[float | None]]]:
        """Segment every text, translate all segments in one pooled batched run, and
        return each text's segments, their translations and (``scored``, when the engine
        gives them) their scores."""
        segmented = {
            i: segment_document(text, engine.count_tokens, engine.max_input_tokens, language)
            for i, text in texts.items()
        }
        outputs = iter(
            run_batched(
                [s.text for segs in segmented.values() for s in segs],
                engine.count_tokens,
                scored_generate(engine, scored),
                max_tokens=self.config.max_batch_tokens,
                max_size=self._batch_size,
                progress=self._stage_progress(stage),
            )
        )
        pairs = {i: [next(outputs) for _ in segs] for i, segs in segmented.items()}
        translations = {i: [text for text, _ in row] for i, row in pairs.items()}
        return segmented, translations, {i: [score for _, score in row] for i, row in pairs.items()}

    def _stage_progress(self, stage: str) -> ProgressFn:
        """Called after every model batch: reports progress, and raises
        :class:`~pipeline.errors.Stopped` once the stop event of :meth:`process_many` is set."""
        callback, stop = self._progress, self._stop

        def after_batch(done: int, total: int) -> None:
            if callback is not None:
                callback(stage, done, total)
            if stop is not None and stop.is_set():
                raise Stopped(f"stopped during {stage}")

        return after_batch


def _as_document(item: DocumentInput | Failure) -> Document | Failure:
    if isinstance(item, (Document, Failure)):
        return item
    if isinstance(item, str):
        return Document.from_text(item)
    doc_id, text = item
    return Document(id=str(doc_id), text=text)


def _failure_from_exception(doc: Document, exc: Exception) -> Failure:
    return Failure(doc.id, doc.origin, f"processing failed ({type(exc).__name__}: {reason(exc)})")
