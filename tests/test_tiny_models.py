"""The tiny-model builder: the same weights on every machine, whatever its threads or CPU."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from conftest import _builder_module
from tiny import SENTENCES


@pytest.mark.slow  # builds the models twice more
def test_the_builder_gives_the_same_weights_whatever_the_threads_and_instruction_set(tmp_path, monkeypatch):
    """Two builds, the second as a machine with other threads and only AVX2 would run it
    (MKL told to use no more than AVX2): without pinned numerics an AVX-512 machine's
    weights differ from an AVX2 machine's after 40 steps."""
    import torch

    builder = _builder_module()
    before = torch.get_num_threads()
    built = [builder.build(tmp_path / "first", marian_steps=40, bart_steps=40)]
    try:
        torch.set_num_threads(2)
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        monkeypatch.setenv("MKL_ENABLE_INSTRUCTIONS", "AVX2")
        built.append(builder.build(tmp_path / "second", marian_steps=40, bart_steps=40))
        assert torch.get_num_threads() == 2  # the caller's setting is left alone
    finally:
        torch.set_num_threads(before)
    for role in ("translator", "back-translator", "summarizer"):
        first, second = (Path(b) / role / "model.safetensors" for b in built)
        assert first.read_bytes() == second.read_bytes(), role


# The sentences the suite's documents are made of, and a few of the kinds it also sends
# (figures, names, acronyms), each within the translator's 32-token input limit (longer
# ones are split before they reach it): every exact-text test rests on these.
SUITE_SENTENCES = [
    *SENTENCES,
    "Numero 17.",
    "Il PIL è cresciuto del 4,7% nel 2025.",
    "Draghi ha incontrato Macron a Parigi.",
    "Secondo l’Istat, la disoccupazione è scesa al 6,1%.",
]
MARGIN = 1.0
"""Log-probability by which each right token must beat every other one. int8 rounding,
padding and thread counts move these scores by hundredths; a margin of 1 is far from a
tie, so greedy and beam search pick the same tokens on every machine and precision."""


@functools.cache
def _loaded(model_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir), AutoModelForSeq2SeqLM.from_pretrained(model_dir).eval()


def _margins(model_dir: Path, source: str, target: str) -> list[float]:
    """Per output token: the right token's log-probability minus the best other one's,
    teacher-forced (the decoder start and a forced first token are not choices)."""
    import torch

    tokenizer, model = _loaded(model_dir)
    encoded = tokenizer([source], text_target=[target], return_tensors="pt")
    with torch.no_grad():
        logits = model(**encoded).logits[0].float()
    scores = torch.log_softmax(logits, dim=-1)
    banned = [ids[0] for ids in model.generation_config.bad_words_ids or []]
    scores[:, banned] = float("-inf")
    labels = encoded["labels"][0]
    right = scores[torch.arange(len(labels)), labels]
    scores[torch.arange(len(labels)), labels] = float("-inf")
    first = 1 if model.generation_config.forced_bos_token_id is not None else 0
    return (right - scores.max(dim=-1).values)[first:].tolist()


def test_the_tiny_translator_copies_the_suites_sentences_by_a_wide_margin(tiny_models):
    for sentence in SUITE_SENTENCES:
        margins = _margins(tiny_models / "translator", sentence, sentence)
        assert min(margins) >= MARGIN, (sentence, [round(m, 2) for m in margins])


def test_the_tiny_summarizer_returns_the_first_sentence_by_a_wide_margin(tiny_models):
    base = SUITE_SENTENCES[:7]
    documents = [[a, b] for a in base for b in base if a != b] + [[a] for a in base]
    documents += [[base[i], base[(i + 1) % 7], base[(i + 3) % 7]] for i in range(7)]
    documents += [[s, base[0]] for s in SUITE_SENTENCES[7:]]
    for sentences in documents:
        margins = _margins(tiny_models / "summarizer", " ".join(sentences), sentences[0])
        assert min(margins) >= MARGIN, (sentences, [round(m, 2) for m in margins])


def test_the_tiny_marians_decoder_starts_from_a_zero_embedding_as_opus_mts_do(tiny_models):
    """opus-mt's ``<pad>``, the decoder start, embeds to zeros (CTranslate2 converts the
    model so, starting from zeros); a learned row there made the two engines disagree."""
    for role in ("translator", "back-translator"):
        _, model = _loaded(tiny_models / role)
        row = model.get_input_embeddings().weight[model.config.decoder_start_token_id].detach()
        assert float(row.abs().max()) == 0.0, role
