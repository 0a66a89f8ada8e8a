"""The pipeline: segment, translate, summarize, ground and back-translate, in batches.

Documents are taken in chunks (``docs_per_chunk``); inside a chunk every stage pools the
work of all documents, so a short document never runs in a batch of its own. Models load
on first use and stay loaded (:mod:`pipeline.models`); each call runs its stages with
state of its own (:mod:`pipeline.stages`), so one pipeline serves concurrent calls.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import cast

from .batching import run_batched
from .checks import CheckSettings
from .config import PipelineConfig
from .engines import Seq2SeqEngine
from .engines.runtime import resolve_backend
from .errors import It2enError
from .identity import job_roles
from .models import Models
from .segmenting import reassemble
from .stages import Call, ProgressCallback, Setup
from .terms import Glossary, configured_glossary
from .types import Document, Failure, FollowMethod, Result, Role, as_role

__all__ = ["DocumentInput", "Pipeline", "ProgressCallback"]

log = logging.getLogger("it2en.pipeline")

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
        glossary: Glossary | None = None,
    ):
        """``engines`` may supply ready engines by role (translator, summarizer,
        back-translator) instead of loading the configured models: any object with the
        :class:`~pipeline.engines.Seq2SeqEngine` methods. An unknown role is a
        :class:`~pipeline.errors.ConfigError`.

        ``glossary`` (:class:`~pipeline.terms.Glossary`) is followed by every
        translation, with the config's glossary files and terms (``glossary`` wins where
        both give a term); a glossary file that cannot be used is a
        :class:`~pipeline.errors.ConfigError` naming its file and line."""
        self.config = config or PipelineConfig()
        self._progress = progress
        self._models = Models(self.config, engines)
        self.glossary: Glossary = (glossary or Glossary()).merged(configured_glossary(self.config))
        """The terms this pipeline's translations follow."""

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

    def engine(self, role: Role | str) -> Seq2SeqEngine:
        """The engine for ``role``, loading its model on first use (:class:`Models`)."""
        return self._models.engine(as_role(role), (as_role(role),))

    def use_output_cache(self, path: str | Path) -> None:
        """Reuse model outputs across runs from the SQLite file at ``path`` (the config's
        ``output_cache`` does the same from the start)."""
        self._models.use_output_cache(path)

    def sibling(
        self, wrap: Callable[[Seq2SeqEngine], Seq2SeqEngine], *, progress: ProgressCallback | None = None
    ) -> Pipeline:
        """A pipeline of this one's config, models and output cache, each model's engine
        wrapped by ``wrap``, with its own ``progress``: one document's work on another
        thread (the service runs a document's model calls on its worker this way). Its
        outputs are this pipeline's, so both read and fill the same cache entries. A model
        is loaded (by this pipeline, once) when the other first needs it."""
        other = self._alike(self.glossary, progress)
        other._models = self._models.wrapped(wrap)
        return other

    def following(self, glossary: Glossary) -> Pipeline:
        """A pipeline of this one's config, models and output cache whose translations
        follow ``glossary`` as well as this one's (``glossary`` wins where both give a
        term): a request's own glossary in the service."""
        other = self._alike(glossary.merged(self.glossary), self._progress)
        other._models = self._models
        return other

    def _alike(self, glossary: Glossary, progress: ProgressCallback | None) -> Pipeline:
        """A pipeline of this one's config following ``glossary`` (its files not read again)."""
        other = Pipeline(replace(self.config, glossary_files=(), glossary_keep=()), progress=progress)
        other.config, other.glossary = self.config, glossary
        return other

    @cached_property
    def _setup(self) -> Setup:
        """What every call of this pipeline shares."""
        return Setup(
            self.config,
            self._models,
            self._batch_size,
            self.config.summary_batch_tokens_for(self._device_type),
            CheckSettings.from_config(self.config, self.glossary),
            self._progress,
            self.glossary,
            cast("FollowMethod", self.config.glossary_method),
        )

    def _call(self, roles: Sequence[Role], stop: threading.Event | None = None) -> Call:
        return Call(self._setup, roles, stop)

    # -- public API ---------------------------------------------------------------------

    def translate(self, texts: Sequence[str]) -> list[str]:
        """English translations of Italian texts, in the same order, layout kept.

        All texts are segmented and translated in one pooled, batched run; blank texts
        come back unchanged.
        """
        call = self._call(["translator"])
        return [
            text for text, _ in call.translate_strings("translate", call.served("translator"), texts, "it")
        ]

    def translate_to_italian(self, texts: Sequence[str]) -> list[str]:
        """Italian translations of English texts by the back-translator, in the same order,
        layout kept (the second language pair: the service's en→it)."""
        call = self._call(["back-translator"])
        engine = call.served("back-translator")
        return [text for text, _ in call.translate_strings("back-translate", engine, texts, "en")]

    def translate_as(self, pair: str, texts: Sequence[str]) -> list[str]:
        """:meth:`translate` for the ``pair`` ``it-en``, :meth:`translate_to_italian` for
        ``en-it`` (the service's two language pairs)."""
        return self.translate(texts) if pair == "it-en" else self.translate_to_italian(texts)

    def translate_html(self, fragments: Sequence[str], *, italian: bool = False) -> list[str]:
        """HTML fragments (LibreTranslate's ``format=html``) with their text translated
        and every tag kept, en→it by the back-translator with ``italian``; a fragment
        without markup is translated as text (:mod:`pipeline.formats.fragment`)."""
        from .formats.fragment import translate_fragments

        role: Role = "back-translator" if italian else "translator"
        stage, language = ("back-translate", "en") if italian else ("translate", "it")
        call = self._call([role])
        engine = call.served(role)
        return translate_fragments(
            fragments, lambda texts: call.translate_texts(stage, engine, texts, language, scored=False)[:2]
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
        call = self._call([role])
        engine = self._models.engine(role, call.roles)
        alternatives = getattr(engine, "generate_alternatives", None)
        found: list[list[str]] = [[] for _ in texts]
        if alternatives is None:
            return found
        todo = {i: text for i, text in enumerate(texts) if text.strip()}
        # One segmentation for the chosen translations (as translate() makes them) and
        # for the hypotheses.
        stage, language = ("back-translate", "en") if italian else ("translate", "it")
        segmented, outputs, _ = call.translate_texts(stage, call.served(role), todo, language, scored=False)
        prepared = call.followed([s for segs in segmented.values() for s in segs], language)
        made = run_batched(
            [p.text for p in prepared],
            engine.count_tokens,
            lambda batch: alternatives(batch, n + 1),
            max_tokens=self.config.max_batch_tokens,
            max_size=self._batch_size,
        )
        hypotheses = iter([p.finish(h) for h in row] for p, row in zip(prepared, made, strict=True))
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
        outcome = self._call(job_roles(self.config, summarize)).chunk([doc], summarize=summarize)[0]
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
        call = self._call(job_roles(self.config, summarize), stop)
        while chunk := list(islice(items, self.config.docs_per_chunk)):
            yield from call.chunk([_as_document(d) for d in chunk], summarize=summarize)


def _as_document(item: DocumentInput | Failure) -> Document | Failure:
    if isinstance(item, (Document, Failure)):
        return item
    if isinstance(item, str):
        return Document.from_text(item)
    doc_id, text = item
    return Document(id=str(doc_id), text=text)
