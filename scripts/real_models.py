"""Full-size random-weight copies of the default models, laid out as their hub folders.

Used by ``bench.py`` (speed: random weights run at the speed of real ones) and
``parity.py`` (the two engines on the real decoding settings). The architecture and
decoding settings below are those of the hub checkpoints' ``config.json``:

* ``Helsinki-NLP/opus-mt-it-en``: vocabulary 80,379 (``<pad>`` = decoder start = 80,378;
  opus-mt-en-it has 80,035), d_model 512, 6+6 layers, swish, sinusoidal positions;
  ``bad_words_ids`` [[pad]], ``max_length`` 512, ``num_beams`` 6, ``forced_eos_token_id``
  0, no ``generation_config.json`` (see make_tiny_models.marian_generation).
* ``sshleifer/distilbart-cnn-12-6``: 50,264 embedding rows and a 50,265-entry vocabulary
  (``<mask>`` last, without a row), d_model 1024, 12+6 layers, gelu; beams 4, lengths
  56..142, length penalty 2.0, no repeated 3-grams, early stopping, forced BOS/EOS, all in
  ``config.json`` (see make_tiny_models.bart_generation).

Tokenizers are trained on the project's Italian text and padded to the real sizes.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from make_tiny_models import (
    bart_files,
    bart_generation,
    bart_tokenizer,
    marian_files,
    marian_generation,
    marian_tokenizer,
    save_hub_layout,
)

__all__ = ["DISTILBART", "MARIAN_IT_EN", "build_distilbart", "build_marian"]

MARIAN_IT_EN = {
    "vocab_size": 80379,
    "d_model": 512,
    "encoder_layers": 6,
    "decoder_layers": 6,
    "encoder_attention_heads": 8,
    "decoder_attention_heads": 8,
    "encoder_ffn_dim": 2048,
    "decoder_ffn_dim": 2048,
    "max_position_embeddings": 512,
    "scale_embedding": True,
    "activation_function": "swish",
    "static_position_embeddings": True,
    "share_encoder_decoder_embeddings": True,
}
DISTILBART = {
    "vocab_size": 50264,
    "d_model": 1024,
    "encoder_layers": 12,
    "decoder_layers": 6,
    "encoder_attention_heads": 16,
    "decoder_attention_heads": 16,
    "encoder_ffn_dim": 4096,
    "decoder_ffn_dim": 4096,
    "max_position_embeddings": 1024,
    "activation_function": "gelu",
    "scale_embedding": False,
    "normalize_before": False,
    "normalize_embedding": True,
    "add_final_layer_norm": False,
}


def _random_model(
    out: Path,
    work: Path,
    model_class: type,
    config: Any,
    *,
    end_bias: float,
    untied: bool,
    seed: int,
    **layout: Any,
) -> Path:
    """Initialise ``model_class(config)`` with ``seed``, raise its end token's logit by
    ``end_bias`` (random weights otherwise never choose a sensible end, and length limits
    would never bite), save it to ``out`` with :func:`save_hub_layout` (``layout``) and
    remove the tokenizer's ``work`` folder."""
    import torch

    torch.manual_seed(seed)
    config.tie_word_embeddings = not untied
    model = model_class(config)
    if end_bias:
        with torch.no_grad():
            model.final_logits_bias[0, config.eos_token_id] = end_bias
    save_hub_layout(model, out, **layout)
    shutil.rmtree(work)
    return out


def build_marian(out: Path, *, end_bias: float = 0.0, untied: bool = False, seed: int = 0) -> Path:
    """A random-weight opus-mt-it-en in ``out`` (hub layout, settings in config.json).

    ``untied``: an output projection of its own instead of the embeddings'. With tied
    random weights the previous token always scores highest, so outputs are one token
    repeated; untied, the scores are about equal and the search has real choices (the
    same cost per step).
    """
    from transformers import MarianConfig, MarianMTModel

    work = Path(tempfile.mkdtemp(prefix="marian-tok-"))
    pad = marian_tokenizer(work, vocab_size=MARIAN_IT_EN["vocab_size"]).pad_token_id
    config = MarianConfig(**MARIAN_IT_EN, pad_token_id=pad, eos_token_id=0, decoder_start_token_id=pad)
    return _random_model(
        out,
        work,
        MarianMTModel,
        config,
        end_bias=end_bias,
        untied=untied,
        seed=seed,
        tokenizer_files=marian_files(work),
        generation=marian_generation(pad, max_length=512, num_beams=6),
        generation_file=None,
        tokenizer_config={"source_lang": "it", "target_lang": "en"},
    )


def build_distilbart(out: Path, *, end_bias: float = 0.0, untied: bool = False, seed: int = 0) -> Path:
    """A random-weight distilbart-cnn-12-6 in ``out`` (hub layout, settings in config.json);
    ``untied`` as for :func:`build_marian`."""
    from transformers import BartConfig, BartForConditionalGeneration

    work = Path(tempfile.mkdtemp(prefix="bart-tok-"))
    bart_tokenizer(work, 1024, vocab_size=DISTILBART["vocab_size"])
    config = BartConfig(
        **DISTILBART, pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2
    )
    return _random_model(
        out,
        work,
        BartForConditionalGeneration,
        config,
        end_bias=end_bias,
        untied=untied,
        seed=seed,
        tokenizer_files=bart_files(work),
        generation=bart_generation(max_length=142, min_length=56),
        generation_file=None,
        tokenizer_config={"model_max_length": 1024},
    )
