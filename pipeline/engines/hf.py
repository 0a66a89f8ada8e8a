"""What both engines share as runners of Hugging Face checkpoints: token counts, the input
limit, the one too-long guard, and decoding of output token ids to text.

Both engines tokenize with the model's own tokenizer (the torch engine through
transformers, the CTranslate2 engine through a checked copy of it, see
:mod:`pipeline.engines.tokens`), so they see the same tokens, segment the same way and
differ only in how they search.
"""

from __future__ import annotations

from collections.abc import Sequence

from .tokens import TextCodec

__all__ = ["NO_LIMIT", "HFEngine", "input_limit"]

NO_LIMIT = 100_000
"""Limits from this size on mean none: models advertise absurd ones (transformers 1e30)."""


def input_limit(tokenizer_limit: int | None, max_positions: int | None, configured: int | None) -> int:
    """The longest input a model takes: the smallest of the tokenizer's limit, the model's
    position table and the configured cap (None: no such limit), ignoring the huge "no
    limit" placeholders models advertise."""
    return min(int(x) for x in (tokenizer_limit, max_positions, configured) if x and x < NO_LIMIT)


class HFEngine:
    """Base of the engines: a name, an input limit, a tokenizer (:class:`TextCodec`), and
    the search (:meth:`_outputs`) supplied by the subclass."""

    name: str
    max_input_tokens: int
    _codec: TextCodec

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Input tokens per text, special tokens included, never truncated."""
        return self._codec.count(texts)

    def generate(self, texts: Sequence[str]) -> list[str]:
        """Outputs for one batch, in the order of ``texts``."""
        return self._codec.texts(self.generate_tokens(texts))

    def generate_scored(self, texts: Sequence[str]) -> list[tuple[str, float | None]]:
        """Outputs for one batch with their confidence: the mean log-probability per token
        of each output under the model (end token included), the same on both engines."""
        tokens, scores = self._outputs(texts, scored=True)
        return list(zip(self._codec.texts(tokens), scores, strict=True))

    def generate_tokens(self, texts: Sequence[str]) -> list[list[int]]:
        """The output token ids for one batch, without the decoder start token, a forced
        first token or the end token: what both engines must agree on."""
        return self._outputs(texts, scored=False)[0]

    def generate_alternatives(self, texts: Sequence[str], n: int) -> list[list[str]]:
        """Up to ``n`` outputs of each text, best first, from one beam search at least ``n``
        wide (the service's ``alternatives``); duplicates removed."""
        return [list(dict.fromkeys(self._codec.texts(rows))) for rows in self._hypotheses(texts, n)]

    def _outputs(self, texts: Sequence[str], scored: bool) -> tuple[list[list[int]], list[float | None]]:
        """Output token ids (as :meth:`generate_tokens`) and, when ``scored`` or free,
        their scores (else None each)."""
        raise NotImplementedError

    def _hypotheses(self, texts: Sequence[str], n: int) -> list[list[list[int]]]:
        """Up to ``n`` outputs' token ids per text (as :meth:`generate_tokens`), best first."""
        raise NotImplementedError

    def _check_length(self, longest: int) -> None:
        """Refuse a batch whose longest input (in tokens) exceeds the model's limit: the
        segmenter splits every text to fit, so such an input is a bug upstream, and
        truncating it would drop text silently."""
        if longest > self.max_input_tokens:
            raise ValueError(
                f"{self.name}: input of {longest} tokens exceeds the limit of "
                f"{self.max_input_tokens}; segments must be split first"
            )
