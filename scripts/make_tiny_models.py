#!/usr/bin/env python3
"""Build the tiny models the tests use: ``OUT_DIR/{translator,back-translator,summarizer}``.

Usage: ``python scripts/make_tiny_models.py OUT_DIR``

Each model is a real Hugging Face checkpoint (config, safetensors weights, tokenizer)
loadable with ``from_pretrained`` and usable with ``--translator`` and friends. They are
trained for a few hundred steps on the Italian text in ``scripts/data/`` so that their
output is a known function of their input, which makes order and batching tests exact:

* translator and back-translator (MarianMT, SentencePiece): copy their input;
* summarizer (BART, byte-level BPE): return the first sentence of its input.

Their input limits are small on purpose (``TRANSLATOR_MAX_TOKENS``, ``SUMMARIZER_MAX_TOKENS``)
so that ordinary test sentences exercise long-sentence splitting and summary windows.
Training is seeded and takes about three minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent / "data" / "corpus_it.txt"
TRANSLATOR_MAX_TOKENS = 32
SUMMARIZER_MAX_TOKENS = 128
# Characters every tokenizer must know even if the corpus lacks them.
EXTRA_CHARS = "àèéìòùÀÈÉÌÒÙáíóúç«»’‘“”€$%°–—…·@#&/\\|[]{}<>=+*_~^"
SEED = 1234
# Both architectures: small enough to train in a minute, big enough to copy exactly;
# embeddings scaled by sqrt(d_model) (without it, positions drown the tokens and copying
# never starts) and no dropout (the task is deterministic).
TINY_DIMS = {
    "d_model": 64,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 256,
    "decoder_ffn_dim": 256,
    "scale_embedding": True,
    "dropout": 0.0,
    "attention_dropout": 0.0,
    "activation_dropout": 0.0,
}


def corpus_words() -> list[str]:
    return CORPUS.read_text(encoding="utf-8").split()


def corpus_lines() -> list[str]:
    lines = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [*lines, EXTRA_CHARS, EXTRA_CHARS.upper()]


def random_span(rng: random.Random, words: list[str], max_words: int) -> str:
    """A run of 1..max_words consecutive corpus words."""
    n = rng.randint(1, max_words)
    start = rng.randrange(0, len(words) - n)
    return " ".join(words[start : start + n])


def random_sentence(rng: random.Random, words: list[str]) -> str:
    """A short synthetic sentence: 3..9 corpus words, capitalised, ending in a full stop."""
    body = re.sub(r"[.!?;:,]+$", "", random_span(rng, words, 9)).strip(" .,;:") or "Notizia"
    return body[0].upper() + body[1:] + "."


def marian_tokenizer(work: Path, model_max_length: int, vocab_size: int | None = None) -> Any:
    """A MarianTokenizer whose SentencePiece model is trained on the corpus (files in
    ``work``). ``vocab_size`` pads the vocabulary with filler pieces to a real model's size,
    for full-size benchmark models."""
    import sentencepiece as spm
    from transformers import MarianTokenizer

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus_lines()),
        model_prefix=str(work / "sp"),
        vocab_size=1000,
        hard_vocab_limit=False,
        character_coverage=1.0,
        model_type="unigram",
        bos_id=-1,
        eos_id=-1,
        pad_id=-1,
        unk_id=0,
        minloglevel=2,
        num_threads=1,
    )
    processor = spm.SentencePieceProcessor(model_file=str(work / "sp.model"))
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(processor.get_piece_size()):
        vocab.setdefault(processor.id_to_piece(i), len(vocab))
    while vocab_size is not None and len(vocab) < vocab_size - 1:
        vocab[f"▁w{len(vocab)}"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    model = str(work / "sp.model")
    return MarianTokenizer(model, model, str(work / "vocab.json"), model_max_length=model_max_length)


def bart_tokenizer(work: Path, model_max_length: int, vocab_size: int | None = None) -> Any:
    """A BartTokenizer with byte-level BPE trained on the corpus (files in ``work``);
    ``vocab_size`` pads the vocabulary with filler tokens, as for :func:`marian_tokenizer`."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartTokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        corpus_lines(),
        vocab_size=1200,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    bpe.save_model(str(work))
    if vocab_size is not None:
        vocab = json.loads((work / "vocab.json").read_text(encoding="utf-8"))
        while len(vocab) < vocab_size:
            vocab[f"Ġw{len(vocab)}"] = len(vocab)
        (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return BartTokenizer(
        vocab=str(work / "vocab.json"), merges=str(work / "merges.txt"), model_max_length=model_max_length
    )


def train(model, batches: Callable[[], dict], steps: int, lr: float, label: str) -> None:
    """AdamW with warm-up and cosine decay; the decay to zero is what makes copies exact."""
    import torch

    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    warmup = max(1, steps // 20)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (steps - warmup)))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    model.train()
    start = time.time()
    for step in range(steps):
        loss = model(**batches()).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 200 == 0 or step == steps - 1:
            elapsed = time.time() - start
            print(f"[{label}] step {step} loss {loss.item():.4f} ({elapsed:.0f}s)", file=sys.stderr)
    model.eval()


def build_marian(out: Path, steps: int) -> None:
    """A SentencePiece Marian trained to copy spans that fit its input limit."""
    import torch
    from transformers import GenerationConfig, MarianConfig, MarianMTModel

    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    work = Path(tempfile.mkdtemp(prefix="tiny-marian-"))
    tokenizer = marian_tokenizer(work, TRANSLATOR_MAX_TOKENS)
    vocab = tokenizer.get_vocab()
    config = MarianConfig(
        vocab_size=len(vocab),
        **TINY_DIMS,
        max_position_embeddings=TRANSLATOR_MAX_TOKENS * 2,
        pad_token_id=vocab["<pad>"],
        eos_token_id=0,
        decoder_start_token_id=vocab["<pad>"],
    )
    model = MarianMTModel(config)
    words = corpus_words()

    def span() -> str:
        # Runs of corpus text, runs without punctuation (long unpunctuated lines arrive as
        # word windows) and runs of short synthetic sentences (as test documents are made).
        while True:
            kind = rng.random()
            if kind < 0.5:
                text = random_span(rng, words, 20)
            elif kind < 0.7:
                text = re.sub(r"[.,;:]", "", random_span(rng, words, 20))
            else:
                text = " ".join(random_sentence(rng, words) for _ in range(rng.randint(1, 3)))
            if len(tokenizer(text)["input_ids"]) <= TRANSLATOR_MAX_TOKENS:
                return text

    def batch() -> dict:
        texts = [span() for _ in range(32)]
        enc = tokenizer(texts, text_target=texts, return_tensors="pt", padding=True)
        enc["labels"][enc["labels"] == config.pad_token_id] = -100
        return enc

    train(model, batch, steps, 3e-3, "copy")
    model.generation_config = GenerationConfig(
        decoder_start_token_id=config.decoder_start_token_id,
        eos_token_id=0,
        pad_token_id=config.pad_token_id,
        bad_words_ids=[[config.pad_token_id]],
        max_length=TRANSLATOR_MAX_TOKENS * 2,
        num_beams=1,
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    shutil.rmtree(work)


def build_bart(out: Path, steps: int) -> None:
    """A byte-level BPE BART trained to return the first sentence of its input."""
    import torch
    from transformers import (
        BartConfig,
        BartForConditionalGeneration,
        GenerationConfig,
    )

    rng = random.Random(SEED + 1)
    torch.manual_seed(SEED + 1)
    work = Path(tempfile.mkdtemp(prefix="tiny-bart-"))
    tokenizer = bart_tokenizer(work, SUMMARIZER_MAX_TOKENS)
    config = BartConfig(
        vocab_size=len(tokenizer),
        **TINY_DIMS,
        max_position_embeddings=SUMMARIZER_MAX_TOKENS,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_bos_token_id=tokenizer.bos_token_id,
        # Real hub BART configs carry these; CTranslate2's converter reads them.
        normalize_before=False,
        normalize_embedding=True,
        add_final_layer_norm=False,
    )
    model = BartForConditionalGeneration(config)
    words = corpus_words()

    def example() -> tuple[str, str]:
        while True:
            sentences = [random_sentence(rng, words) for _ in range(rng.randint(1, 6))]
            text = " ".join(sentences)
            if len(tokenizer(text)["input_ids"]) <= SUMMARIZER_MAX_TOKENS:
                return text, sentences[0]

    def batch() -> dict:
        inputs, targets = zip(*(example() for _ in range(32)), strict=True)
        enc = tokenizer(list(inputs), text_target=list(targets), return_tensors="pt", padding=True)
        enc["labels"][enc["labels"] == config.pad_token_id] = -100
        return enc

    train(model, batch, steps, 3e-3, "first-sentence")
    model.generation_config = GenerationConfig(
        decoder_start_token_id=config.decoder_start_token_id,
        bos_token_id=config.bos_token_id,
        eos_token_id=config.eos_token_id,
        pad_token_id=config.pad_token_id,
        forced_bos_token_id=config.bos_token_id,
        forced_eos_token_id=config.eos_token_id,
        max_length=48,
        min_length=0,
        num_beams=1,
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    shutil.rmtree(work)


def build(out_dir: Path, marian_steps: int = 2200, bart_steps: int = 1500) -> Path:
    """Build all three models under ``out_dir`` (written atomically) and return it."""
    out_dir = Path(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".tiny-", dir=out_dir.parent if out_dir.parent.exists() else None))
    build_marian(tmp / "translator", marian_steps)
    shutil.copytree(tmp / "translator", tmp / "back-translator")
    build_bart(tmp / "summarizer", bart_steps)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.replace(out_dir)
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument(
        "--steps", type=int, default=None, help="training steps per model [default: 2200 Marian, 1500 BART]"
    )
    args = parser.parse_args()
    args.out_dir.parent.mkdir(parents=True, exist_ok=True)
    steps = {} if args.steps is None else {"marian_steps": args.steps, "bart_steps": args.steps}
    build(args.out_dir, **steps)
    print(args.out_dir)


if __name__ == "__main__":
    main()
