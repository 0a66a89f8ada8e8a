"""The CTranslate2 engine: the same models, converted once, run by a faster runtime.

Tokenization stays with the Hugging Face tokenizer (see :mod:`pipeline.engines.hf`), so
both engines see the same tokens; decoding settings are read and mapped by
:mod:`pipeline.engines.decoding`, so both engines search the same way; conversions are
cached by :mod:`pipeline.engines.conversion`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..errors import BatchTooLarge
from .conversion import converted, target_vocabulary
from .decoding import CT2Search, ct2_search, read_generation_config
from .hf import HFEngine, input_limit
from .hub import from_pretrained
from .runtime import ModelSpec

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
        from transformers import AutoConfig, AutoTokenizer

        def load(source: str, kwargs: dict[str, Any]) -> tuple[Any, Any, int | None]:
            positions = getattr(AutoConfig.from_pretrained(source, **kwargs), "max_position_embeddings", None)
            tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            return tokenizer, read_generation_config(source, kwargs), positions

        role, name, runtime = spec.role, spec.name, spec.runtime
        (self._tokenizer, generation, positions), source = from_pretrained(
            role, name, models_dir=runtime.models_dir, offline=runtime.offline, load=load
        )
        kind = runtime.compute_type
        quantization = "int8" if kind.startswith("int8") else kind
        folder = converted(role, name, source, runtime, quantization)
        self._translator = ctranslate2.Translator(
            str(folder),
            device=runtime.device,
            device_index=runtime.index,
            compute_type=kind,
            intra_threads=runtime.threads,
        )
        self.name = name
        self._forced_length = spec.forced_length
        self.max_input_tokens = input_limit(self._tokenizer, positions, spec.max_input_tokens)
        self._search = ct2_search(
            generation,
            runtime.num_beams,
            self._tokenizer.convert_ids_to_tokens,
            target_vocabulary(folder),
            name=name,
        )
        log.info(
            "loaded %s %s from %s with CTranslate2 on %s (%s, %d threads)",
            role,
            name,
            folder,
            runtime.device,
            kind,
            runtime.threads,
        )

    def _outputs(self, texts: Sequence[str], scored: bool) -> tuple[list[list[int]], list[float | None]]:
        """Output token ids without a forced first token or the end token, as the torch
        engine's, and their scores (CTranslate2 returns them at no cost)."""
        tokenizer = self._tokenizer
        encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
        tokens = [tokenizer.convert_ids_to_tokens(ids) for ids in encoded["input_ids"]]
        longest = max(len(t) for t in tokens)
        self._check_length(longest)
        search: CT2Search = self._search
        if self._forced_length is not None:
            search = search.forced_length(self._forced_length(longest))
        try:
            results = self._translator.translate_batch(
                tokens, search.target_prefix(len(tokens)), **search.options
            )
        except RuntimeError as exc:
            if "out of memory" in str(exc).lower():
                raise BatchTooLarge(str(exc)) from exc
            raise
        chosen = [search.best_scored(r.hypotheses, r.scores) for r in results]
        return [tokenizer.convert_tokens_to_ids(tokens) for tokens, _ in chosen], [
            score for _, score in chosen
        ]
