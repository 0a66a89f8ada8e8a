"""Inference engines: the small interface the pipeline talks to, and its torch implementation.

The pipeline needs only three things of a seq2seq model: how many tokens a text costs,
the longest input it takes, and the outputs for one batch of texts. Anything offering them
(another runtime, a fake in a unit test) can stand in for :class:`TorchSeq2Seq`.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .batching import BatchTooLarge
from .decoding import forced_max_length, search_config, token_ids

if TYPE_CHECKING:
    from .models import LoadedModel

__all__ = ["ForcedLength", "Seq2SeqEngine", "TorchSeq2Seq", "count_tokens", "input_limit"]

log = logging.getLogger(__name__)

ForcedLength = Callable[[int], int]
"""Benchmarks only: output tokens to force for a batch whose longest input has N tokens.
Random-weight models never choose a sensible end, so speed runs fix lengths this way."""

# Models advertise absurd limits when they have none (transformers uses 1e30).
_NO_LIMIT = 100_000


@runtime_checkable
class Seq2SeqEngine(Protocol):
    """What the pipeline needs of a text-to-text model."""

    name: str
    max_input_tokens: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Input tokens per text, special tokens included."""
        ...

    def generate(self, texts: Sequence[str]) -> list[str]:
        """Outputs for one batch, in the order of ``texts``."""
        ...


def count_tokens(tokenizer: Any, texts: Sequence[str]) -> list[int]:
    """Input tokens per text by ``tokenizer``, special tokens included, never truncated."""
    # verbose=False: counting over-long texts is the point, not a mistake to warn about.
    encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
    return [len(ids) for ids in encoded["input_ids"]]


def input_limit(tokenizer: Any, max_positions: int | None, configured: int | None) -> int:
    """The longest input a model takes: the smallest of the tokenizer's limit, the model's
    position table and the configured cap, ignoring the huge "no limit" placeholders."""
    limits = [getattr(tokenizer, "model_max_length", None), max_positions, configured]
    return min(int(x) for x in limits if x and x < _NO_LIMIT)


class TorchSeq2Seq:
    """A Hugging Face seq2seq model run with ``generate`` under ``torch.inference_mode``.

    The generation config is built once from the model's own (so task defaults such as a
    summarizer's length bounds survive; see :mod:`pipeline.decoding`) with the beam width
    overridden.
    """

    def __init__(
        self,
        loaded: LoadedModel,
        num_beams: int,
        max_input_tokens: int | None = None,
        int8: bool = False,
        forced_length: ForcedLength | None = None,
    ):
        """``int8``: quantize the linear layers dynamically (CPU only). ``forced_length``:
        see :data:`ForcedLength`."""
        self.name = loaded.name
        self._forced_length = forced_length
        self._model = _quantized(loaded.model) if int8 else loaded.model
        self._tokenizer = loaded.tokenizer
        self._device = loaded.device
        self.max_input_tokens = input_limit(
            self._tokenizer, getattr(self._model.config, "max_position_embeddings", None), max_input_tokens
        )
        self._generation_config = search_config(self._model.generation_config, num_beams)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Input tokens per text, special tokens included, never truncated."""
        return count_tokens(self._tokenizer, texts)

    def generate(self, texts: Sequence[str]) -> list[str]:
        """Decode one batch. Inputs longer than the model limit are a bug upstream."""
        tokens = self.generate_tokens(texts)
        return [text.strip() for text in self._tokenizer.batch_decode(tokens, skip_special_tokens=True)]

    def generate_tokens(self, texts: Sequence[str]) -> list[list[int]]:
        """The output token ids for one batch, without the decoder start token, a forced
        first token or the end token: what both engines must agree on."""
        import torch

        batch = self._tokenizer(list(texts), return_tensors="pt", padding=True, truncation=False).to(
            self._device
        )
        if batch["input_ids"].shape[1] > self.max_input_tokens:
            raise ValueError(
                f"{self.name}: input of {batch['input_ids'].shape[1]} tokens exceeds the "
                f"limit of {self.max_input_tokens}; segments must be split first"
            )
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
