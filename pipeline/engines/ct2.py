"""The CTranslate2 engine: the same models, converted once, run by a faster runtime.

A conversion (:mod:`pipeline.engines.conversion`) keeps the model's decoding settings and
a checked copy of its tokenizer (:mod:`pipeline.engines.tokens`), so once a model is
converted this engine imports neither transformers nor torch: both engines still see the
same tokens, and decoding settings are mapped by :mod:`pipeline.engines.decoding`, so both
engines search the same way.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import BatchTooLarge
from .conversion import Conversion, converted, target_vocabulary
from .decoding import CT2Search, ct2_search
from .hf import HFEngine, input_limit
from .hub import from_pretrained
from .runtime import ModelSpec
from .tokens import HFCodec, TextCodec, load_tokenizer

__all__ = ["CT2Seq2Seq"]

log = logging.getLogger("it2en.engines")


class CT2Seq2Seq(HFEngine):
    """A converted seq2seq model run with ``ctranslate2.Translator.translate_batch``.

    Decoding settings come from the model's own generation config (beam width overridden),
    searched as the torch engine does (see :mod:`pipeline.engines.decoding`).
    """

    def __init__(self, spec: ModelSpec):
        """Load the model of ``spec``, converting it on first use."""
        import ctranslate2

        role, name, runtime = spec.role, spec.name, spec.runtime
        kind = runtime.compute_type
        quantization = "int8" if kind.startswith("int8") else kind
        conversion = converted(role, name, runtime, quantization)
        folder = conversion.folder
        self._codec = _codec(spec, conversion)
        self._workers = workers(runtime.device, runtime.threads)
        self._translator = ctranslate2.Translator(
            str(folder),
            device=runtime.device,
            device_index=runtime.index,
            compute_type=kind,
            inter_threads=self._workers,
            intra_threads=max(1, runtime.threads // self._workers),
        )
        self.name = name
        self._forced_length = spec.forced_length
        self.max_input_tokens = input_limit(
            self._codec.model_max_length, conversion.max_positions, spec.max_input_tokens
        )
        self._search = ct2_search(
            conversion.search, runtime.num_beams, self._codec.token, target_vocabulary(folder), name=name
        )
        log.info(
            "loaded %s %s from %s with CTranslate2 on %s (%s, %d threads, %d batch workers)",
            role,
            name,
            folder,
            runtime.device,
            kind,
            runtime.threads,
            self._workers,
        )

    def _outputs(self, texts: Sequence[str], scored: bool) -> tuple[list[list[int]], list[float | None]]:
        """Output token ids without a forced first token or the end token, as the torch
        engine's, and their scores: always, whatever ``scored`` asks, since CTranslate2
        returns them with the outputs at no cost (the interface's "when scored or free")."""
        tokens = self._codec.tokens(texts)
        longest = max(len(t) for t in tokens)
        self._check_length(longest)
        search: CT2Search = self._search
        if self._forced_length is not None:
            search = search.forced_length(self._forced_length(longest))
        _return_freed_memory(self)
        try:
            results = self._translate(tokens, search)
        except RuntimeError as exc:
            if "out of memory" in str(exc).lower():
                raise BatchTooLarge(str(exc)) from exc
            raise
        chosen = [search.best_scored(r.hypotheses, r.scores) for r in results]
        return [self._codec.ids(tokens) for tokens, _ in chosen], [score for _, score in chosen]

    def _translate(self, tokens: list[list[str]], search: CT2Search) -> list[Any]:
        """``translate_batch`` on ``tokens``, dealt out to the batch workers (row 0 to
        the first, row 1 to the second, ...: the rows come sorted by length, so each
        share is as long and as wide as the others) that run at the same time, the
        results back in order. On a CPU, two workers each running half a batch beat one
        worker on the whole: CTranslate2's per-hypothesis steps over the vocabulary
        (softmax, best-k) run on one thread, so the other threads idle during them
        (docs/performance.md, "Beside the peers")."""
        shares = min(self._workers, len(tokens))
        if shares == 1:
            return list(
                self._translator.translate_batch(tokens, search.target_prefix(len(tokens)), **search.options)
            )
        parts = [tokens[share::shares] for share in range(shares)]
        pending = [
            self._translator.translate_batch(
                part, search.target_prefix(len(part)), asynchronous=True, **search.options
            )
            for part in parts
        ]
        results: list[Any] = [None] * len(tokens)
        for share, part in enumerate(pending):
            results[share::shares] = [result.result() for result in part]
        return results

    def _hypotheses(self, texts: Sequence[str], n: int) -> list[list[list[int]]]:
        tokens = self._codec.tokens(texts)
        self._check_length(max(len(t) for t in tokens))
        search, options = self._search, dict(self._search.options)
        options["beam_size"] = max(options["beam_size"], n)
        options["num_hypotheses"] = max(options["num_hypotheses"], n)
        results = self._translator.translate_batch(tokens, search.target_prefix(len(tokens)), **options)
        return [[self._codec.ids(h) for h in search.ranked(r.hypotheses, r.scores)[:n]] for r in results]


def workers(device: str, threads: int) -> int:
    """Batch workers for a model: two on a CPU with at least two threads (each with half
    of them), one on a GPU (one stream is busy with a batch of its own). Throughput over
    latency: a lone sentence runs on half the threads (on 2 cores, 432 against 273 ms a
    sentence at beam 4), while whole documents and pooled requests run about 1.2-1.5x
    faster (docs/performance.md, "Beside the peers")."""
    return 2 if device == "cpu" and threads >= 2 else 1


def _codec(spec: ModelSpec, conversion: Conversion) -> TextCodec:
    """The conversion's tokenizer copy, or, where it has none, the model's tokenizer
    loaded through transformers."""
    if conversion.tokenizer is not None:
        return load_tokenizer(conversion.folder, conversion.tokenizer)
    from transformers import AutoTokenizer

    def load(source: str, kwargs: dict[str, Any]) -> Any:
        return AutoTokenizer.from_pretrained(source, **kwargs)

    runtime = spec.runtime
    tokenizer, _ = from_pretrained(
        spec.role, spec.name, models_dir=runtime.models_dir, offline=runtime.offline, load=load
    )
    return HFCodec(tokenizer)


@functools.cache
def _trimmer() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, where the C library is glibc."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        return None


_last_user: list[int] = [0]


def _return_freed_memory(engine: object) -> None:
    """Before ``engine`` runs a batch after another model did, hand the memory the other
    one's batches freed back to the system. CTranslate2's CPU buffers come from malloc, and
    glibc keeps what a beam search frees for later: reused by the next batch of the same
    model, but the next model's buffers have other shapes and pile up beside them (over a
    whole job, 150 to 250 MB more resident; README, Performance). Trimming after every
    batch would cost 5 to 8 % of the translation speed (pages freed, then faulted back in);
    at a change of model it costs nothing measurable."""
    if _last_user[0] == id(engine):
        return
    _last_user[0] = id(engine)
    trim = _trimmer()
    if trim is not None:
        trim(0)
