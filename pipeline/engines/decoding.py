"""A model's decoding settings, read as transformers reads them, and the same search on
CTranslate2.

transformers' ``generate`` is the reference: the published scores of the default models
(ROUGE for distilbart-cnn-12-6, BLEU for opus-mt) were measured with it. Both engines take
their settings from :func:`read_generation_config` (the CTranslate2 engine through
:class:`SearchSettings`, kept beside the converted model), and :func:`ct2_search` maps them
to CTranslate2's options so that the CTranslate2 engine searches the same way:

* where the settings live: ``generation_config.json``, else the generation fields of
  ``config.json`` (distilbart-cnn-12-6 has no ``generation_config.json``);
* lengths: transformers counts the decoder start token in ``min_length``/``max_length``,
  CTranslate2 counts generated tokens only (its forced prefix included), hence the ``- 1``;
* ``forced_bos_token_id``: a one-token ``target_prefix`` (BART summaries start with
  ``</s> <s>``), removed from the output;
* ``forced_eos_token_id``: transformers ends a hypothesis that reaches ``max_length`` with
  the end token at no cost; CTranslate2 stops one token earlier and the hypotheses that
  reached the cap are ranked with that end token counted in their length;
* beam stopping: ``early_stopping=True`` stops when ``num_beams`` hypotheses are finished,
  as CTranslate2 does with patience 1. ``False`` (Marian's default) lets transformers go on
  while a running beam could still win by its heuristic, which CTranslate2 cannot follow;
  patience :data:`PATIENCE_WITHOUT_EARLY_STOPPING` comes closest (``scripts/parity.py``);
* n-gram blocking, length and repetition penalties, banned tokens (``bad_words_ids``,
  ``suppress_tokens``): the same options under CTranslate2's names.

One difference cannot be mapped: transformers' beam search applies its bans (minimum
length, n-grams, bad words) to log-probabilities, so banned mass is lost, unless
``renormalize_logits`` is set; CTranslate2 always bans before the softmax. Greedy search is
unaffected (the arg-max is the same); beam scores can differ slightly.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transformers import GenerationConfig

__all__ = [
    "PATIENCE_WITHOUT_EARLY_STOPPING",
    "CT2Search",
    "SearchSettings",
    "ct2_search",
    "forced_max_length",
    "length_limits",
    "read_generation_config",
    "search_config",
    "setting",
    "token_ids",
    "transformers_defaults",
]

log = logging.getLogger("it2en.engines")

PATIENCE_WITHOUT_EARLY_STOPPING = 1.5
"""CTranslate2's patience for models with ``early_stopping=False``: measured on the
opus-mt-it-en copy of ``scripts/parity.py`` (beam 4), patience 1 matched transformers on
22 of 32 inputs, 1.5 and 2 on 28, 3 on 28, 5 on 26 (from 5 on it finds hypotheses that
transformers stopped before); 1.5 is the cheaper of the best."""

# Settings that change the search and that CTranslate2's translate_batch cannot express;
# a model that sets them is decoded without them on CTranslate2, with a warning.
_NOT_MAPPED = (
    "begin_suppress_tokens",
    "encoder_no_repeat_ngram_size",
    "encoder_repetition_penalty",
    "exponential_decay_length_penalty",
    "diversity_penalty",
    "sequence_bias",
    "constraints",
    "force_words_ids",
    "stop_strings",
)
# renormalize_logits is not among them: CTranslate2 always bans before the softmax, which
# is what renormalize_logits=True asks of transformers (see the module docstring).


def transformers_defaults() -> dict[str, Any]:
    """The values transformers' ``generate`` applies to settings a model leaves unset
    (transformers 5 keeps them ``None`` in the config: ``max_length`` is 20 only inside
    ``generate``)."""
    from transformers import GenerationConfig

    defaults = getattr(GenerationConfig, "_get_default_generation_params", None)
    return dict(defaults()) if callable(defaults) else {}


def setting(generation: Any, name: str, fallback: Any = None) -> Any:
    """A generation setting as ``generate`` uses it: the model's value, else
    transformers' default for it, else ``fallback``."""
    value = getattr(generation, name, None)
    if value is None and not isinstance(generation, SearchSettings):
        value = transformers_defaults().get(name)
    return fallback if value is None else value


def read_generation_config(source: str, kwargs: dict[str, Any]) -> GenerationConfig:
    """The decoding settings of the model at ``source`` (folder or hub id), as
    ``from_pretrained`` reads them: ``generation_config.json``, else the generation fields
    of ``config.json``. ``kwargs`` go to ``from_pretrained`` (``local_files_only``...)."""
    from transformers import GenerationConfig

    try:
        return GenerationConfig.from_pretrained(source, **kwargs)
    except OSError:  # no generation_config.json: transformers falls back the same way
        return GenerationConfig.from_pretrained(
            source, config_file_name="config.json", _from_model_config=True, **kwargs
        )


@dataclass(frozen=True)
class SearchSettings:
    """The decoding settings :func:`ct2_search` is built from, taken from a model's
    generation config once, when it is converted, and kept as JSON beside the converted
    model: the CTranslate2 engine then needs neither transformers nor torch to load it.
    Each field means what the generation config's field of that name means."""

    eos_token_id: int | list[int] | None = None
    forced_bos_token_id: int | None = None
    forced_eos_token_id: int | list[int] | None = None
    max_length: int | None = 20
    """None: unset, and transformers generates its default number of new tokens (20)."""
    max_new_tokens: int | None = None
    min_length: int = 0
    min_new_tokens: int | None = None
    early_stopping: bool | str = False
    length_penalty: float = 1.0
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    bad_words_ids: list[list[int]] | None = None
    suppress_tokens: list[int] | None = None
    unmapped: tuple[str, ...] = ()
    """Settings the model uses that CTranslate2 cannot express (a warning names them)."""

    @classmethod
    def of(cls, generation: GenerationConfig) -> SearchSettings:
        """The settings of a transformers generation config."""
        values: dict[str, Any] = {
            f.name: setting(generation, f.name, f.default) for f in fields(cls) if f.name != "unmapped"
        }
        values["max_length"] = generation.max_length  # unset means something else (length_limits)
        defaults = transformers_defaults()
        unmapped = tuple(
            key
            for key in _NOT_MAPPED
            if getattr(generation, key, None) not in (None, defaults.get(key), False)
        )
        return cls(**values, unmapped=unmapped)

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready values (:meth:`from_dict` reads them back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SearchSettings:
        """Settings written by :meth:`to_dict`."""
        return cls(**{**values, "unmapped": tuple(values.get("unmapped", ()))})


def search_config(generation: GenerationConfig, num_beams: int) -> GenerationConfig:
    """A copy of ``generation`` that searches with ``num_beams`` beams for one output per
    input, without sampling: it2en's outputs are deterministic whatever the model suggests."""
    config = copy.deepcopy(generation)
    config.num_beams = num_beams
    config.num_return_sequences = 1
    config.do_sample = False
    if num_beams == 1:  # beam-only settings change nothing here; unset, transformers stays quiet
        config.early_stopping = False
        config.length_penalty = 1.0
    return config


def forced_max_length(generation: GenerationConfig | SearchSettings, content: int) -> int:
    """The ``min_length = max_length`` that makes transformers generate exactly ``content``
    tokens besides the decoder start, a forced first token and a forced end token
    (benchmarks force lengths; see :data:`pipeline.engines.ForcedLength`)."""
    forced = (generation.forced_bos_token_id is not None) + (generation.forced_eos_token_id is not None)
    return 1 + content + forced


def token_ids(value: int | Sequence[int] | None) -> list[int]:
    """A generation setting that holds one token id, a list of them or none, as a list."""
    if value is None:
        return []
    return [int(value)] if isinstance(value, int) else [int(v) for v in value]


def length_limits(generation: GenerationConfig | SearchSettings) -> tuple[int, int]:
    """transformers' ``(min_length, max_length)`` for a one-token decoder prompt, with
    ``min_new_tokens``/``max_new_tokens`` taking precedence as in ``generate``. A model
    that sets neither ``max_length`` nor ``max_new_tokens`` gets transformers' default
    number of new tokens (``generate``: "by default let's always generate 20 new tokens")."""
    max_length = generation.max_length
    max_new_tokens = generation.max_new_tokens
    if max_new_tokens is None and max_length is None:
        max_new_tokens = transformers_defaults().get("max_length", 20)
    if max_new_tokens is not None:
        max_length = 1 + max_new_tokens
    assert max_length is not None  # one of the two is set by now
    min_length = setting(generation, "min_length", 0)
    if generation.min_new_tokens:
        min_length = max(min_length, 1 + generation.min_new_tokens)
    return min_length, max_length


@dataclass(frozen=True)
class CT2Search:
    """transformers' search for one model, as CTranslate2 ``translate_batch`` options plus
    what the options cannot say: the forced prefix and the ranking at the length cap."""

    options: dict[str, Any]
    """Keyword arguments for ``translate_batch`` (without ``target_prefix``)."""
    prefix: tuple[str, ...]
    """Tokens every output is forced to start with (transformers' forced BOS); removed
    from the results."""
    end_tokens: frozenset[str]
    """Tokens that end a hypothesis; removed from the results."""
    forced_end: bool
    """Whether transformers ends every hypothesis that reaches the cap with the end token
    (``forced_eos_token_id``)."""
    cap_forced_end: bool
    """``forced_end`` in a beam search: such hypotheses are one token longer for the length
    penalty."""
    extra_steps: int = 0
    """Trailing tokens to drop from each output (see :meth:`forced_length`)."""

    def forced_length(self, length: int) -> CT2Search:
        """Benchmarks only: exactly ``length`` output tokens after the prefix (see
        :data:`pipeline.engines.ForcedLength`). Where transformers also spends a step on its
        forced end token, one more token is decoded and dropped: both engines do the same
        work for the same output."""
        extra = int(self.forced_end)
        total = length + len(self.prefix) + extra
        options = {**self.options, "min_decoding_length": total, "max_decoding_length": total}
        options["num_hypotheses"] = 1
        return CT2Search(options, self.prefix, self.end_tokens, self.forced_end, False, extra)

    def target_prefix(self, rows: int) -> list[list[str]] | None:
        """The ``target_prefix`` argument for a batch of ``rows`` inputs."""
        return [list(self.prefix) for _ in range(rows)] if self.prefix else None

    def best(self, hypotheses: Sequence[Sequence[str]], scores: Sequence[float]) -> list[str]:
        """The output tokens transformers would pick among one input's finished hypotheses
        (returned with their end token and normalised scores), prefix and end removed."""
        return self.best_scored(hypotheses, scores)[0]

    def best_scored(
        self, hypotheses: Sequence[Sequence[str]], scores: Sequence[float]
    ) -> tuple[list[str], float | None]:
        """:meth:`best`, and the mean log-probability per token of the hypothesis chosen
        (prefix and end token counted, as the torch engine counts them). CTranslate2
        returns ``sum / length ** length_penalty``."""
        if not hypotheses:
            return [], None
        cap = self.options["max_decoding_length"]
        penalty = self.options["length_penalty"]

        def score(index: int) -> float:
            tokens, value = hypotheses[index], scores[index]
            if self.cap_forced_end and len(tokens) == cap and tokens[-1] not in self.end_tokens:
                # transformers appends the forced end token: same log-probability, one more
                # token in the length that normalises it.
                value *= (len(tokens) / (len(tokens) + 1)) ** penalty
            return value

        chosen = max(range(len(hypotheses)), key=score) if self.cap_forced_end else 0
        tokens = list(hypotheses[chosen])
        mean = scores[chosen] * len(tokens) ** (penalty - 1) if len(scores) > chosen and tokens else None
        return self._content(tokens), mean

    def ranked(self, hypotheses: Sequence[Sequence[str]], scores: Sequence[float]) -> list[list[str]]:
        """Every hypothesis of one input, prefix and end removed: :meth:`best` first, then
        the others in CTranslate2's order (best score first)."""
        if not hypotheses:
            return []
        first = self.best(hypotheses, scores)
        others = [self._content(list(h)) for h in hypotheses]
        return [first, *(h for h in others if h != first)]

    def _content(self, tokens: list[str]) -> list[str]:
        """``tokens`` without the forced prefix, the end tokens and any extra step."""
        if tokens[: len(self.prefix)] == list(self.prefix):
            tokens = tokens[len(self.prefix) :]
        while tokens and tokens[-1] in self.end_tokens:
            tokens.pop()
        return tokens[: len(tokens) - self.extra_steps]


def ct2_search(
    generation: SearchSettings,
    num_beams: int,
    to_token: Callable[[int], str],
    vocabulary: set[str],
    name: str = "model",
) -> CT2Search:
    """CTranslate2 options that reproduce transformers' search with ``generation`` and
    ``num_beams`` beams. ``to_token`` maps the tokenizer's ids to tokens;
    ``vocabulary`` is the converted model's target vocabulary (tokens outside it, such as
    Marian's ``<pad>`` that the converter drops, can never be generated anyway)."""
    if generation.unmapped:
        log.warning(
            "%s: CTranslate2 decodes without %s; use --backend torch", name, ", ".join(generation.unmapped)
        )
    end_tokens = frozenset(to_token(i) for i in token_ids(generation.eos_token_id))
    prefix = () if generation.forced_bos_token_id is None else (to_token(generation.forced_bos_token_id),)
    min_length, max_length = length_limits(generation)
    forced_end = generation.forced_eos_token_id is not None
    cap_forced_end = forced_end and num_beams > 1
    # Tokens generated after the decoder start token, transformers' forced end included.
    most = max(1, max_length - 1)
    if generation.forced_eos_token_id is not None:
        most = max(1, most - 1)  # CTranslate2 stops before the forced end token
    banned = [[to_token(i) for i in words] for words in generation.bad_words_ids or []]
    banned += [[to_token(i)] for i in generation.suppress_tokens or []]
    banned = [words for words in banned if all(token in vocabulary for token in words)]
    options: dict[str, Any] = {
        "beam_size": num_beams,
        "patience": 1.0 if generation.early_stopping is True else PATIENCE_WITHOUT_EARLY_STOPPING,
        "num_hypotheses": num_beams if cap_forced_end else 1,
        "length_penalty": generation.length_penalty if generation.length_penalty is not None else 1.0,
        "repetition_penalty": generation.repetition_penalty or 1.0,
        "no_repeat_ngram_size": generation.no_repeat_ngram_size or 0,
        "min_decoding_length": min(most, max(0, min_length - 1)),
        "max_decoding_length": most,
        "suppress_sequences": banned or None,
        "end_token": sorted(end_tokens) or None,
        "return_end_token": True,
        "return_scores": True,  # the confidence score, and the ranking at the cap
        "max_input_length": 0,  # never truncate: inputs are split to fit upstream
        "max_batch_size": 0,
    }
    return CT2Search(options, prefix, end_tokens, forced_end, cap_forced_end)
