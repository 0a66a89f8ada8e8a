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
from .decoding import forced_max_length, length_limits, search_config, token_ids
from .hf import HFEngine, input_limit
from .hub import from_pretrained, load_hf_model
from .runtime import ModelSpec
from .tokens import TEXT_AS_TEXT, HFCodec

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
        self._codec = HFCodec(self._tokenizer)
        self.max_input_tokens = input_limit(
            self._codec.model_max_length,
            getattr(model.config, "max_position_embeddings", None),
            spec.max_input_tokens,
        )
        self._generation_config = search_config(model.generation_config, runtime.num_beams)

    def _outputs(self, texts: Sequence[str], scored: bool) -> tuple[list[list[int]], list[float | None]]:
        """Output token ids without the decoder start token, a forced first token or the end
        token; with ``scored``, their scores from one teacher-forced pass (transformers'
        own per-step scores would hold a vocabulary-wide row per step and hypothesis)."""
        import torch

        batch = self._tokenizer(
            list(texts), return_tensors="pt", padding=True, truncation=False, **TEXT_AS_TEXT
        ).to(self._device)
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
        rows = output.tolist()
        outputs = _contents(rows, config)
        scores: list[float | None] = [None] * len(outputs)
        if scored:
            scores = self._scores(batch, output, rows, config)
        return outputs, scores

    def _hypotheses(self, texts: Sequence[str], n: int) -> list[list[list[int]]]:
        import torch

        batch = self._tokenizer(
            list(texts), return_tensors="pt", padding=True, truncation=False, **TEXT_AS_TEXT
        ).to(self._device)
        self._check_length(batch["input_ids"].shape[1])
        config = copy.copy(self._generation_config)
        config.num_beams = max(config.num_beams or 1, n)
        config.num_return_sequences = n
        with torch.inference_mode():
            rows = _contents(self._model.generate(**batch, generation_config=config).tolist(), config)
        return [rows[i * n : (i + 1) * n] for i in range(len(texts))]

    def _scores(self, batch: Any, output: Any, rows: list[list[int]], config: Any) -> list[float | None]:
        """The mean log-probability per token of each output row (``output``, and as lists
        ``rows``; after the decoder start token, up to and including its end token) under
        the model, by teacher forcing, a few rows at a time so the logits stay under about
        256 MB."""
        import torch

        ends = set(token_ids(config.eos_token_id))
        lengths = []
        for row in rows:
            target = row[1:]
            cut = next((i for i, token in enumerate(target) if token in ends), len(target) - 1)
            lengths.append(cut + 1)
        width = max(lengths)
        counts = torch.tensor(lengths, device=output.device)
        mask = torch.arange(width, device=output.device)[None, :] < counts[:, None]
        step = max(1, (1 << 26) // (width * int(self._model.config.vocab_size)))
        totals = []
        with torch.inference_mode():
            for start in range(0, len(rows), step):
                part = slice(start, start + step)
                logits = self._model(
                    input_ids=batch["input_ids"][part],
                    attention_mask=batch["attention_mask"][part],
                    decoder_input_ids=output[part, :width],
                ).logits.float()
                _ban(logits, config, [row[:width] for row in rows[part]])
                chosen = torch.log_softmax(logits, -1).gather(-1, output[part, 1 : width + 1, None])[..., 0]
                totals.append(torch.where(mask[part], chosen, 0.0).sum(-1))
        return (torch.cat(totals) / counts).tolist()


def _contents(rows: list[list[int]], config: Any) -> list[list[int]]:
    """Each generated row without the decoder start token, a forced first token, and
    anything from its end token on."""
    skip = 1 + (config.forced_bos_token_id is not None)  # start token, forced first token
    ends = set(token_ids(config.eos_token_id)) | set(token_ids(config.pad_token_id))
    contents = []
    for row in rows:
        content = row[skip:]
        cut = next((i for i, token in enumerate(content) if token in ends), len(content))
        contents.append(content[:cut])
    return contents


def _ban(logits: Any, config: Any, prefixes: list[list[int]]) -> None:
    """Apply the search's bans to teacher-forced ``logits`` (rows, steps, vocabulary) in
    place, as CTranslate2 applies them before its softmax: banned tokens everywhere, the
    end token before the minimum length, a forced first token, repeated n-grams
    (``prefixes``: each row's decoder input)."""
    banned = [words[0] for words in config.bad_words_ids or [] if len(words) == 1]
    banned += list(config.suppress_tokens or [])
    if banned:
        logits[..., banned] = float("-inf")
    early = length_limits(config)[0] - 1  # steps before transformers lets the end come
    if early > 0:
        logits[:, :early, token_ids(config.eos_token_id)] = float("-inf")
    if config.forced_bos_token_id is not None:  # a forced first token costs nothing
        logits[:, 0, :] = float("-inf")
        logits[:, 0, config.forced_bos_token_id] = 0.0
    n = config.no_repeat_ngram_size or 0
    for row, sequence in enumerate(prefixes if n > 0 else []):
        seen: dict[tuple[int, ...], set[int]] = {}  # (n-1)-gram -> tokens that followed it
        for step in range(len(sequence)):
            if step >= n - 1:
                gram = tuple(sequence[step - n + 1 : step + 1])
                seen.setdefault(gram[:-1], set()).add(gram[-1])
            key = tuple(sequence[step - n + 2 : step + 1]) if n > 1 else ()
            if step >= n - 2 and key in seen:
                logits[row, step, sorted(seen[key])] = float("-inf")


def _quantized(model: Any) -> Any:
    """The model with its linear layers quantized to int8 on the fly (torch dynamic
    quantization: deprecated in recent torch, still the only int8 path for CPU there)."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
