"""The torch engine: a Hugging Face seq2seq model run with ``generate``.

The reference for decoding: the published scores of the default models were measured
with transformers' ``generate``, so the CTranslate2 engine is checked against this one
(``scripts/parity.py``).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

from ..errors import BatchTooLarge
from .decoding import forced_max_length, search_config, token_ids
from .hf import HFEngine, input_limit
from .hub import from_pretrained, load_hf_model
from .runtime import ModelSpec

__all__ = ["TorchSeq2Seq"]

log = logging.getLogger("it2en.engines")


class TorchSeq2Seq(HFEngine):
    """A Hugging Face seq2seq model under ``torch.inference_mode`` on the runtime's device.

    The generation config is built once from the model's own (so task defaults such as a
    summarizer's length bounds survive; see :mod:`pipeline.engines.decoding`) with the beam
    width overridden.
    """

    def __init__(self, spec: ModelSpec):
        """Load the model of ``spec``; precision int8 quantizes its linear layers
        dynamically (CPU only)."""
        import torch

        runtime = spec.runtime
        if runtime.device == "cpu":
            # torch's thread pool is per process: the last CPU model loaded sets it.
            torch.set_num_threads(runtime.threads)
        device, dtype = runtime.torch_device(), runtime.torch_dtype()
        (self._tokenizer, model), source = from_pretrained(
            spec.role,
            spec.name,
            models_dir=runtime.models_dir,
            offline=runtime.offline,
            load=lambda source, kwargs: load_hf_model(source, kwargs, dtype),
        )
        model.to(device)
        log.info("loaded %s %s from %s on %s (%s)", spec.role, spec.name, source, device, dtype)
        self.name = spec.name
        self._forced_length = spec.forced_length
        self._model = _quantized(model) if runtime.precision == "int8" else model
        self._device = device
        self.max_input_tokens = input_limit(
            self._tokenizer, getattr(model.config, "max_position_embeddings", None), spec.max_input_tokens
        )
        self._generation_config = search_config(model.generation_config, runtime.num_beams)

    def generate_tokens(self, texts: Sequence[str]) -> list[list[int]]:
        """The output token ids for one batch, without the decoder start token, a forced
        first token or the end token."""
        import torch

        batch = self._tokenizer(list(texts), return_tensors="pt", padding=True, truncation=False).to(
            self._device
        )
        self._check_length(batch["input_ids"].shape[1])
        config = self._generation_config
        if self._forced_length is not None:
            config = copy.copy(config)
            # min/max_length rather than max_new_tokens, which draws a warning next to the
            # model's own max_length.
            forced = forced_max_length(config, self._forced_length(batch["input_ids"].shape[1]))
            config.min_length = config.max_length = forced
        try:
            with torch.inference_mode():
                output = self._model.generate(**batch, generation_config=config)
        except torch.cuda.OutOfMemoryError as exc:
            torch.cuda.empty_cache()
            raise BatchTooLarge(str(exc)) from exc
        skip = 1 + (config.forced_bos_token_id is not None)  # start token, forced first token
        ends = set(token_ids(config.eos_token_id)) | set(token_ids(config.pad_token_id))
        outputs = []
        for row in output.tolist():
            content = row[skip:]
            cut = next((i for i, token in enumerate(content) if token in ends), len(content))
            outputs.append(content[:cut])
        return outputs


def _quantized(model: Any) -> Any:
    """The model with its linear layers quantized to int8 on the fly (torch dynamic
    quantization: deprecated in recent torch, still the only int8 path for CPU there)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
