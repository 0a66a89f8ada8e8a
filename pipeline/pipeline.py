"""The pipeline: segment, translate, summarize, ground and back-translate, in batches.

Documents are taken in chunks (``docs_per_chunk``); inside a chunk every stage pools the
work of all documents, so a short document never runs in a batch of its own. Models load
on first use and stay loaded.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from itertools import islice
from pathlib import Path

from .batching import ProgressFn, run_batched
from .config import PipelineConfig
from .engine import Seq2SeqEngine, TorchSeq2Seq
from .errors import It2enError
from .models import load_model, resolve_device, resolve_dtype
from .segmenting import segment_document, split_sentences
from .summarize import ground_points, summarize_many
from .types import Document, Failure, Point, Result, Segment, Summary

__all__ = ["DocumentInput", "Pipeline", "ProgressCallback"]

log = logging.getLogger(__name__)

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
        engines: dict[str, Seq2SeqEngine] | None = None,
    ):
        """``engines`` may supply ready engines by role (translator, summarizer,
        back-translator) instead of loading the configured models."""
        self.config = config or PipelineConfig()
        self._progress = progress
        self._engines: dict[str, Seq2SeqEngine] = dict(engines or {})

    @classmethod
    def from_config(cls, path: str | Path, **overrides: object) -> Pipeline:
        """A pipeline configured by a TOML preset, with optional field overrides."""
        return cls(PipelineConfig.from_file(path, **overrides))

    # -- models -------------------------------------------------------------------------

    @cached_property
    def _device_and_dtype(self) -> tuple[object, object]:
        device = resolve_device(self.config.device)
        return device, resolve_dtype(self.config.precision, device)

    def engine(self, role: str) -> Seq2SeqEngine:
        """The engine for ``role``, loading its model on first use."""
        if role not in self._engines:
            name = {
                "translator": self.config.translator,
                "summarizer": self.config.summarizer,
                "back-translator": self.config.back_translator,
            }[role]
            device, dtype = self._device_and_dtype
            loaded = load_model(
                role,
                name,
                models_dir=self.config.models_dir,
                offline=self.config.offline,
                device=device,
                dtype=dtype,  # type: ignore[arg-type]
            )
            limit = self.config.max_input_tokens if role != "summarizer" else None
            self._engines[role] = TorchSeq2Seq(loaded, self.config.num_beams, limit)
        return self._engines[role]

    # -- public API ---------------------------------------------------------------------

    def translate(self, texts: Sequence[str]) -> list[str]:
        """English translations of Italian texts, in the same order, layout kept."""
        docs = [Document(id=str(i), text=t) for i, t in enumerate(texts)]
        results = self._run_chunk(docs, summarize=False)
        for outcome in results:
            if isinstance(outcome, Failure):
                raise It2enError(outcome.message())
        return [r.translation for r in results]  # type: ignore[union-attr]

    def process(self, text: str, id: str | None = None, *, summarize: bool = True) -> Result:
        """Translate and summarize one document; raise if it cannot be processed."""
        doc = Document(id=id or content_id(text), text=text)
        outcome = self._run_chunk([doc], summarize=summarize)[0]
        if isinstance(outcome, Failure):
            raise It2enError(outcome.message())
        return outcome

    def process_many(
        self, docs: Iterable[DocumentInput | Failure], *, summarize: bool = True
    ) -> Iterator[Result | Failure]:
        """Results in input order, batched across documents, one chunk in memory at a time.

        A document that cannot be processed yields a :class:`Failure` in its place;
        failures already present in the input (from a reader) pass through in order.
        """
        items = iter(docs)
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
        translator = self.engine("translator")
        outcomes: list[Result | Failure | None] = []
        texts: dict[int, str] = {}
        for i, item in enumerate(chunk):
            if isinstance(item, Failure):
                outcomes.append(item)
            elif not item.text.strip():
                outcomes.append(Failure(item.id, item.origin, "document is empty"))
            else:
                texts[i] = item.text
                outcomes.append(None)
        segmented, per_doc = self._translate_texts("translate", translator, texts, "it")
        summaries = self._summaries(chunk, segmented, per_doc) if summarize else {}
        models = {"translator": translator.name}
        if summarize:
            models["summarizer"] = self.engine("summarizer").name
            if self.config.italian_summary:
                models["back_translator"] = self.engine("back-translator").name
        for i, segs in segmented.items():
            doc = chunk[i]
            assert isinstance(doc, Document)
            outcomes[i] = Result(
                id=doc.id,
                source=doc.text,
                segments=tuple(segs),
                translations=tuple(per_doc[i]),
                translation=reassemble(doc.text, segs, per_doc[i]),
                models=models,
                summary=summaries.get(i),
                origin=doc.origin,
            )
        return [o for o in outcomes if o is not None]

    def _summaries(
        self,
        chunk: list[Document | Failure],
        segmented: dict[int, list[Segment]],
        translations: dict[int, list[str]],
    ) -> dict[int, Summary]:
        """English summary, grounded points and Italian rendering for each document."""
        short = {i for i, segs in segmented.items() if len(segs) < self.config.summary_min_sentences}
        long_docs = [i for i in segmented if i not in short]
        summarizer = self.engine("summarizer") if long_docs else None
        made = (
            summarize_many(
                [translations[i] for i in long_docs],
                summarizer,  # type: ignore[arg-type]
                max_tokens=self.config.max_batch_tokens,
                max_size=self.config.batch_size,
                progress=self._stage_progress("summarize"),
            )
            if summarizer
            else []
        )
        english = {i: made[k].text for k, i in enumerate(long_docs)}
        points_en: dict[int, list[str]] = {}
        for i in long_docs:
            spans = split_sentences(english[i], "en")
            points_en[i] = [english[i][s:e] for s, e in spans] or [english[i]]
        italian: dict[int, list[str | None]] = {i: [None] * len(p) for i, p in points_en.items()}
        if self.config.italian_summary and long_docs:
            flat = [p for i in long_docs for p in points_en[i]]
            point_segments, outputs = self._translate_texts(
                "back-translate", self.engine("back-translator"), dict(enumerate(flat)), "en"
            )
            rendered = iter(reassemble(flat[k], point_segments[k], outputs[k]) for k in range(len(flat)))
            italian = {i: [next(rendered) for _ in points_en[i]] for i in long_docs}
        summaries: dict[int, Summary] = {}
        for k, i in enumerate(long_docs):
            sources = ground_points(points_en[i], translations[i])
            points = tuple(
                Point(en, it, src) for en, it, src in zip(points_en[i], italian[i], sources, strict=True)
            )
            summaries[i] = Summary(
                en=" ".join(points_en[i]),
                it=" ".join(p for p in italian[i] if p) if self.config.italian_summary else None,
                kind="hierarchical" if made[k].hierarchical else "abstractive",
                points=points,
            )
        for i in short:
            doc = chunk[i]
            assert isinstance(doc, Document)
            segs = segmented[i]
            points = tuple(
                Point(en, seg.text if self.config.italian_summary else None, (seg.index,))
                for seg, en in zip(segs, translations[i], strict=True)
            )
            summaries[i] = Summary(
                en=" ".join(translations[i]),
                it=" ".join(s.text for s in segs) if self.config.italian_summary else None,
                kind="translation",
                points=points,
            )
        return summaries

    def _translate_texts(
        self, stage: str, engine: Seq2SeqEngine, texts: dict[int, str], language: str
    ) -> tuple[dict[int, list[Segment]], dict[int, list[str]]]:
        """Segment every text, translate all segments in one pooled batched run, and
        return each text's segments and their translations."""
        segmented = {
            i: segment_document(text, engine.count_tokens, engine.max_input_tokens, language)
            for i, text in texts.items()
        }
        outputs = iter(
            run_batched(
                [s.text for segs in segmented.values() for s in segs],
                engine.count_tokens,
                engine.generate,
                max_tokens=self.config.max_batch_tokens,
                max_size=self.config.batch_size,
                progress=self._stage_progress(stage),
            )
        )
        return segmented, {i: [next(outputs) for _ in segs] for i, segs in segmented.items()}

    def _stage_progress(self, stage: str) -> ProgressFn | None:
        callback = self._progress
        if callback is None:
            return None
        return lambda done, total: callback(stage, done, total)


def reassemble(
    text: str,
    segments: Sequence[Segment],
    outputs: Sequence[str],
    start: int = 0,
    end: int | None = None,
) -> str:
    """``text[start:end]`` with each segment replaced by its output and everything between
    segments (spaces, line breaks, Markdown markers, code) copied verbatim."""
    parts: list[str] = []
    position = start
    for segment, output in zip(segments, outputs, strict=True):
        parts.append(text[position : segment.start])
        parts.append(output)
        position = segment.end
    parts.append(text[position:end])
    return "".join(parts)


def content_id(text: str) -> str:
    """A short stable id for a document without a name (stdin, bare strings)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _as_document(item: DocumentInput | Failure) -> Document | Failure:
    if isinstance(item, (Document, Failure)):
        return item
    if isinstance(item, str):
        return Document(id=content_id(item), text=item)
    doc_id, text = item
    return Document(id=str(doc_id), text=text)


def _failure_from_exception(doc: Document, exc: Exception) -> Failure:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return Failure(doc.id, doc.origin, f"processing failed ({type(exc).__name__}: {detail})")
