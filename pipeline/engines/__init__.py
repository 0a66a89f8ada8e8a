"""Engines: the small interface the pipeline talks to, and the two that ship with it2en.

The pipeline needs three things of a seq2seq model: how many tokens a text costs, the
longest input it takes, and the outputs for one batch of texts. That is the
:class:`Seq2SeqEngine` protocol, and the extension point: any object that has them (a
translation API client, a fake in a unit test, another runtime) can be passed to
``Pipeline(engines={"translator": ...})``. :func:`build_engine` makes the configured one:
:class:`~pipeline.engines.torch.TorchSeq2Seq` (transformers) or
:class:`~pipeline.engines.ct2.CT2Seq2Seq` (CTranslate2), chosen and placed by
:func:`~pipeline.engines.runtime.resolve_runtime`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol, cast

from ..types import Role, as_role

if TYPE_CHECKING:
    from ..config import PipelineConfig

__all__ = ["ForcedLength", "ScoredGenerate", "Seq2SeqEngine", "build_engine", "scored_generate"]

ForcedLength = Callable[[int], int]
"""Benchmarks only: output tokens to force for a batch whose longest input has N tokens.
Random-weight models never choose a sensible end, so speed runs fix lengths this way."""


ScoredGenerate = Callable[[Sequence[str]], list[tuple[str, float | None]]]
"""Outputs for one batch, each with its score (None: not scored)."""


class Seq2SeqEngine(Protocol):
    """What the pipeline needs of a text-to-text model."""

    name: str
    """Recorded in each result's ``models``."""
    max_input_tokens: int
    """The longest input :meth:`generate` takes; longer texts are split before."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Input tokens per text, special tokens included (batches are cut by these)."""
        ...

    def generate(self, texts: Sequence[str]) -> list[str]:
        """Outputs for one batch, in the order of ``texts``. May raise
        :class:`~pipeline.errors.BatchTooLarge` to have the batch halved and retried.

        An engine may also offer ``generate_scored(texts)``: each output with its mean
        log-probability per token (or None), for the ``low_confidence`` check; the two
        engines of it2en do."""
        ...


def scored_generate(engine: Seq2SeqEngine, scored: bool) -> ScoredGenerate:
    """``engine``'s outputs as ``(output, score)`` pairs: its ``generate_scored`` when
    ``scored`` and it has one, else its ``generate`` with None scores."""
    generate = getattr(engine, "generate_scored", None) if scored else None
    if generate is not None:
        return cast("ScoredGenerate", generate)
    return lambda texts: [(output, None) for output in engine.generate(texts)]


def build_engine(
    config: PipelineConfig, role: Role | str, *, forced_length: ForcedLength | None = None
) -> Seq2SeqEngine:
    """The engine ``config`` asks for to run its model for ``role``: backend, device,
    precision, threads and input limit (translators only: the summarizer reads windows as
    long as it takes). ``forced_length``: benchmarks only (see :data:`ForcedLength`).
    Raises :class:`~pipeline.errors.ConfigError` or :class:`~pipeline.errors.ModelLoadError`."""
    from .runtime import ModelSpec, resolve_runtime

    role = as_role(role)
    runtime = resolve_runtime(config)
    spec = ModelSpec(role, config.model_for(role), runtime, config.input_limit_for(role), forced_length)
    if runtime.backend == "ctranslate2":
        from .ct2 import CT2Seq2Seq

        return CT2Seq2Seq(spec)
    from .torch import TorchSeq2Seq

    return TorchSeq2Seq(spec)
