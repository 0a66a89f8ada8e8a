#!/usr/bin/env python3
"""Build the tiny models the tests use: ``OUT_DIR/{translator,back-translator,summarizer}``.

Usage: ``python scripts/make_tiny_models.py OUT_DIR``

Each model is a real Hugging Face checkpoint (config, safetensors weights, tokenizer)
loadable with ``from_pretrained`` and usable with ``--translator`` and friends, laid out as
the default hub models are (see :func:`save_hub_layout`), not as ``save_pretrained``
writes them today:

* translator, like ``Helsinki-NLP/opus-mt-it-en``: separate ``source.spm`` and
  ``target.spm``, a shared ``vocab.json`` with ``<pad>`` (the decoder start, whose
  embedding is all zeros) last, a
  ``tokenizer_config.json`` with the language pair only (plus the small input limit below),
  and **no** ``generation_config.json``: ``bad_words_ids``, ``max_length``, ``num_beams``
  and ``forced_eos_token_id`` live in ``config.json``;
* back-translator, like ``Helsinki-NLP/opus-mt-en-it``: the same, plus a
  ``generation_config.json`` (with ``renormalize_logits``) that takes precedence;
* summarizer, like ``sshleifer/distilbart-cnn-12-6``: ``vocab.json`` and ``merges.txt``
  whose last entry (``<mask>``) has no embedding row, ``tokenizer_config.json`` holding
  only ``model_max_length``, and no ``generation_config.json``: beams, length limits,
  length penalty, n-gram blocking, early stopping and forced BOS/EOS live in
  ``config.json`` (lengths scaled down with the model).

They are trained for a few thousand steps on the Italian text in ``scripts/data/`` (and
on made-up words among it) so that their output is a known function of their input, which
makes order and batching tests exact:

* translator and back-translator (MarianMT, SentencePiece): copy their input;
* summarizer (BART, byte-level BPE): return the first sentence of its input.

Their input limits are small on purpose (``TRANSLATOR_MAX_TOKENS``, ``SUMMARIZER_MAX_TOKENS``)
so that ordinary test sentences exercise long-sentence splitting and summary windows.
Training is seeded and runs in a child process on one thread with the instruction set
pinned (:func:`pinned_numerics`), so every machine builds the same bytes; it takes about
ten minutes on two cores.

The two SentencePiece models of the Marian layout are trained separately on the same
text and segment that text alike (a copy model can only be trained when input and output
pieces agree), but they differ where it shows which file does what: ``source.spm``
normalises with NFKC as opus-mt's do (``ﬁ`` and a full-width ``Ａ`` become ``fi`` and
``A``), ``target.spm`` keeps text as it is and falls back to bytes (``<0x41>`` pieces) for
characters it lacks, so encoding or decoding with the wrong file gives other text.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent / "data" / "corpus_it.txt"
TRANSLATOR_MAX_TOKENS = 32
SUMMARIZER_MAX_TOKENS = 128
# distilbart-cnn-12-6 summarizes up to 1024 tokens into 56..142; the tiny one, trained to
# return a first sentence, gets limits that leave its outputs alone (tests that need the
# minimum to bite set their own).
SUMMARY_MAX_LENGTH = 48
SUMMARY_MIN_LENGTH = 4
EXTRA_CHARS = "àèéìòùÀÈÉÌÒÙáíóúç«»’‘“”€$%°–—…·@#&/\\|[]{}<>=+*_~^" + string.printable.strip()
"""Characters every tokenizer must know even if the corpus lacks them: Italian letters and
typography, and all of ASCII (foreign names bring K, W, X, Y; without them in the
vocabulary the copy model drops them: "Kim" came out as "im")."""
SEED = 1234
_INNER_STOP = re.compile(r"[.!?]+(?=\s)")
_LETTERS = "abcdefghijklmnopqrstuvwxyzàèéìòùjkwxy"
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


def corpus_sentences() -> list[str]:
    """The corpus's own sentences (cut after ``.!?`` or a closing quote before a capital)."""
    text = " ".join(corpus_lines()[:-2])
    return [s for s in re.split(r"(?<=[.!?»])\s+(?=[«A-ZÀ-Ú])", text) if len(s.split()) >= 3]


def random_span(rng: random.Random, words: list[str], max_words: int) -> str:
    """A run of 1..max_words consecutive corpus words."""
    n = rng.randint(1, max_words)
    start = rng.randrange(0, len(words) - n)
    return " ".join(words[start : start + n])


def random_sentence(rng: random.Random, words: list[str]) -> str:
    """A short synthetic sentence: 3..9 corpus words, capitalised, ending in a full stop."""
    body = re.sub(r"[.!?;:,]+$", "", random_span(rng, words, 9)).strip(" .,;:") or "Notizia"
    return body[0].upper() + body[1:] + "."


def _word_pieces(model: Path) -> list[str]:
    """The pieces of a SentencePiece model, without its unknown and control pieces."""
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_file=str(model))
    return [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_unknown(i) or processor.is_control(i))
    ]


def _random_words(rng: random.Random, words: list[str], pieces: list[str], max_words: int = 12) -> str:
    """Up to ``max_words`` corpus words with one to four made-up words among them: runs of
    random pieces, runs of random letters (foreign names: Kim, Kursk, Pyongyang), or
    acronyms (KCNA), often capitalised."""
    out = random_span(rng, words, max_words).split()
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.4:
            made = "".join(rng.choice(pieces) for _ in range(rng.randint(2, 4))).replace("▁", "")
        elif kind < 0.8:
            made = "".join(rng.choice(_LETTERS) for _ in range(rng.randint(2, 9)))
        else:
            made = "".join(rng.choice(_LETTERS) for _ in range(rng.randint(2, 5))).upper()
        out.insert(rng.randint(0, len(out)), made[:1].upper() + made[1:] if rng.random() < 0.6 else made)
    return " ".join(out)


def _train_sentencepiece(prefix: Path, **settings: Any) -> Path:
    """A unigram SentencePiece model of the corpus at ``prefix.model``; ``settings`` are
    the trainer's own (normalisation, byte fallback)."""
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus_lines()),
        model_prefix=str(prefix),
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
        **settings,
    )
    return prefix.with_suffix(".model")


def marian_tokenizer(work: Path, model_max_length: int = 512, vocab_size: int | None = None) -> Any:
    """A MarianTokenizer with separate source and target SentencePiece models trained on
    the corpus (differing as the module says) and a shared ``vocab.json`` (``</s>`` 0,
    ``<unk>`` 1, ``<pad>`` last), files in ``work``. ``vocab_size`` pads the vocabulary with filler pieces to a real model's
    size, for full-size models."""
    import sentencepiece as spm
    from transformers import MarianTokenizer

    source = _train_sentencepiece(work / "source")
    target = _train_sentencepiece(work / "target", normalization_rule_name="identity", byte_fallback=True)
    vocab = {"</s>": 0, "<unk>": 1}
    for model in (source, target):
        processor = spm.SentencePieceProcessor(model_file=str(model))
        for i in range(processor.get_piece_size()):
            vocab.setdefault(processor.id_to_piece(i), len(vocab))
    while vocab_size is not None and len(vocab) < vocab_size - 1:
        vocab[f"▁w{len(vocab)}"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return MarianTokenizer(
        str(source), str(target), str(work / "vocab.json"), model_max_length=model_max_length
    )


def bart_tokenizer(work: Path, model_max_length: int, vocab_size: int | None = None) -> Any:
    """A BartTokenizer with byte-level BPE trained on the corpus (files in ``work``), its
    ``<mask>`` last as in the hub's BART vocabularies; ``vocab_size`` (the model's rows,
    without ``<mask>``) pads the vocabulary with filler tokens, as for
    :func:`marian_tokenizer`."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartTokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        corpus_lines(),
        vocab_size=1200,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
        show_progress=False,
    )
    bpe.save_model(str(work))
    vocab = json.loads((work / "vocab.json").read_text(encoding="utf-8"))
    while vocab_size is not None and len(vocab) < vocab_size:
        vocab[f"Ġw{len(vocab)}"] = len(vocab)
    vocab["<mask>"] = len(vocab)
    (work / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    return BartTokenizer(
        vocab=str(work / "vocab.json"), merges=str(work / "merges.txt"), model_max_length=model_max_length
    )


def marian_generation(pad: int, max_length: int, num_beams: int) -> dict[str, Any]:
    """The decoding settings of the opus-mt checkpoints (``config.json`` and, where there
    is one, ``generation_config.json``)."""
    return {
        "bad_words_ids": [[pad]],
        "bos_token_id": 0,
        "decoder_start_token_id": pad,
        "eos_token_id": 0,
        "forced_eos_token_id": 0,
        "max_length": max_length,
        "num_beams": num_beams,
        "pad_token_id": pad,
    }


def bart_generation(max_length: int, min_length: int) -> dict[str, Any]:
    """The decoding settings in distilbart-cnn-12-6's ``config.json``, lengths given."""
    search = {
        "early_stopping": True,
        "length_penalty": 2.0,
        "max_length": max_length,
        "min_length": min_length,
        "no_repeat_ngram_size": 3,
        "num_beams": 4,
    }
    return {
        **search,
        "bos_token_id": 0,
        "decoder_start_token_id": 2,
        "eos_token_id": 2,
        "forced_bos_token_id": 0,
        "forced_eos_token_id": 2,
        "pad_token_id": 1,
        "task_specific_params": {"summarization": search},
    }


def save_hub_layout(
    model: Any,
    out: Path,
    *,
    tokenizer_files: dict[str, Path],
    tokenizer_config: dict[str, Any],
    generation: dict[str, Any],
    generation_file: dict[str, Any] | None,
) -> None:
    """Save ``model`` as a hub checkpoint of the old style: the tokenizer as its original
    files (``tokenizer_files``: name in ``out`` -> file, no ``tokenizer.json`` or
    ``special_tokens_map.json``), ``tokenizer_config.json`` holding ``tokenizer_config``
    only, the decoding settings ``generation`` inside ``config.json``, and a
    ``generation_config.json`` only when ``generation_file`` is given."""
    model.save_pretrained(out)
    (out / "generation_config.json").unlink(missing_ok=True)
    for name, source in tokenizer_files.items():
        shutil.copyfile(source, out / name)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    (out / "config.json").write_text(json.dumps({**config, **generation}, indent=2), encoding="utf-8")
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config), encoding="utf-8")
    if generation_file is not None:
        (out / "generation_config.json").write_text(json.dumps(generation_file, indent=2), encoding="utf-8")


def marian_files(work: Path) -> dict[str, Path]:
    """The tokenizer files of an opus-mt folder, as :func:`marian_tokenizer` left them."""
    return {
        "source.spm": work / "source.model",
        "target.spm": work / "target.model",
        "vocab.json": work / "vocab.json",
    }


def bart_files(work: Path) -> dict[str, Path]:
    """The tokenizer files of a BART folder, as :func:`bart_tokenizer` left them."""
    return {"vocab.json": work / "vocab.json", "merges.txt": work / "merges.txt"}


def train(
    model,
    batches: Callable[[], dict],
    steps: int,
    lr: float,
    label: str,
    after_step: Callable[[], None] | None = None,
) -> None:
    """AdamW with warm-up and cosine decay; the decay to zero is what makes copies exact.
    ``after_step`` runs after every update (to hold weights a real checkpoint fixes)."""
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
        if after_step is not None:
            after_step()
        if step % 200 == 0 or step == steps - 1:
            elapsed = time.time() - start
            print(f"[{label}] step {step} loss {loss.item():.4f} ({elapsed:.0f}s)", file=sys.stderr)
    model.eval()


def build_marian(out: Path, steps: int) -> None:
    """A SentencePiece Marian trained to copy spans that fit its input limit, laid out as
    ``Helsinki-NLP/opus-mt-it-en`` (settings in ``config.json`` only)."""
    import torch
    from transformers import MarianConfig, MarianMTModel

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
    pieces = _word_pieces(work / "source.model")

    def span() -> str:
        # Runs of corpus text, runs without punctuation (long unpunctuated lines arrive as
        # word windows), runs of short synthetic sentences (as test documents are made), and
        # words made of random pieces, so that the model copies pieces it has never seen
        # in that order (names, unseen words of real news) instead of guessing a word.
        while True:
            kind = rng.random()
            if kind < 0.4:
                text = random_span(rng, words, 20)
            elif kind < 0.55:
                text = re.sub(r"[.,;:]", "", random_span(rng, words, 20))
            elif kind < 0.8:
                text = " ".join(random_sentence(rng, words) for _ in range(rng.randint(1, 3)))
            else:
                text = _random_words(rng, words, pieces)
            if len(tokenizer(text)["input_ids"]) <= TRANSLATOR_MAX_TOKENS:
                return text

    def batch() -> dict:
        texts = [span() for _ in range(32)]
        enc = tokenizer(texts, text_target=texts, return_tensors="pt", padding=True)
        enc["labels"][enc["labels"] == config.pad_token_id] = -100
        return enc

    pad_row = model.get_input_embeddings().weight[config.pad_token_id]

    def start_from_zero() -> None:
        # opus-mt's <pad>, the decoder start, has an all-zero embedding (its original
        # Marian decoder starts from zeros; CTranslate2 converts it so). The tied output
        # projection would train the row: it is held at zero, as in the real checkpoints.
        with torch.no_grad():
            pad_row.zero_()

    start_from_zero()
    train(model, batch, steps, 3e-3, "copy", start_from_zero)
    save_hub_layout(
        model,
        out,
        tokenizer_files=marian_files(work),
        generation=marian_generation(config.pad_token_id, TRANSLATOR_MAX_TOKENS * 2, num_beams=6),
        generation_file=None,
        # The real file holds the language pair only (the limit comes from the default
        # 512); the tiny one also carries its small limit, which tests rely on.
        tokenizer_config={
            "source_lang": "it",
            "target_lang": "en",
            "model_max_length": TRANSLATOR_MAX_TOKENS,
        },
    )
    shutil.rmtree(work)


def as_back_translator(translator: Path, out: Path) -> None:
    """The translator's copy laid out as ``Helsinki-NLP/opus-mt-en-it``: the same files
    plus a ``generation_config.json`` (4 beams, ``renormalize_logits``) that wins over the
    settings in ``config.json``."""
    shutil.copytree(translator, out)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    generation = {
        **marian_generation(config["pad_token_id"], config["max_length"], 4),
        "renormalize_logits": True,
    }
    (out / "generation_config.json").write_text(json.dumps(generation, indent=2), encoding="utf-8")
    tokenizer_config = json.loads((out / "tokenizer_config.json").read_text(encoding="utf-8"))
    tokenizer_config.update(source_lang="en", target_lang="it")
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config), encoding="utf-8")


def build_bart(out: Path, steps: int) -> None:
    """A byte-level BPE BART trained to return the first sentence of its input, laid out
    as ``sshleifer/distilbart-cnn-12-6`` (settings in ``config.json`` only)."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    rng = random.Random(SEED + 1)
    torch.manual_seed(SEED + 1)
    work = Path(tempfile.mkdtemp(prefix="tiny-bart-"))
    tokenizer = bart_tokenizer(work, SUMMARIZER_MAX_TOKENS)
    config = BartConfig(
        vocab_size=len(tokenizer) - 1,  # <mask> has no row, as in the hub's copies
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
    real = corpus_sentences()
    pieces = [p.replace("Ġ", "") for p in json.loads((work / "vocab.json").read_text(encoding="utf-8"))]
    pieces = [p for p in pieces if p and not p.startswith("<") and p.isprintable()]

    def sentence() -> str:
        # Synthetic sentences of corpus words, the corpus's own sentences, and sentences
        # with made-up words (random pieces, letters, acronyms), so that the model returns
        # a first sentence it has never seen (names, figures, English) instead of
        # guessing words it knows. A synthetic sentence is cut from running text, so
        # it may hold the end of a corpus sentence (". Il"): that stop is removed, or
        # the model learns to run on past the end of the first sentence.
        kind = rng.random()
        if kind < 0.35:
            return _INNER_STOP.sub("", random_sentence(rng, words))
        if kind < 0.6:
            return rng.choice(real)
        body = _INNER_STOP.sub("", _random_words(rng, words, pieces, max_words=9)).strip(" .,;:")
        return body[0].upper() + body[1:] + rng.choice(".....!?")

    def example() -> tuple[str, str]:
        while True:
            sentences = [sentence() for _ in range(rng.randint(1, 4))]
            text = " ".join(sentences)
            if len(tokenizer(text)["input_ids"]) <= SUMMARIZER_MAX_TOKENS:
                return text, sentences[0]

    def batch() -> dict:
        inputs, targets = zip(*(example() for _ in range(32)), strict=True)
        enc = tokenizer(list(inputs), text_target=list(targets), return_tensors="pt", padding=True)
        enc["labels"][enc["labels"] == config.pad_token_id] = -100
        return enc

    train(model, batch, steps, 5e-3, "first-sentence")
    save_hub_layout(
        model,
        out,
        tokenizer_files=bart_files(work),
        generation=bart_generation(max_length=SUMMARY_MAX_LENGTH, min_length=SUMMARY_MIN_LENGTH),
        generation_file=None,
        tokenizer_config={"model_max_length": SUMMARIZER_MAX_TOKENS},
    )
    shutil.rmtree(work)


def pinned_numerics() -> dict[str, str]:
    """The environment the training process runs in, so that every machine trains the
    same weights: one thread, and the same instruction set for every kernel. The same
    build on an AVX-512 machine and on an AVX2 one gave different weights after 40 steps,
    because their matrix and element-wise kernels add in other orders; pinned, both get
    the same bytes (``tests/test_tiny_models.py``). AVX2 is what x86 machines of the last
    decade share (for MKL, ``MKL_CBWR``; for PyTorch's own kernels,
    ``ATEN_CPU_CAPABILITY``); elsewhere the kernels without vector instructions."""
    import torch

    vector = torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")
    return {
        "ATEN_CPU_CAPABILITY": "avx2" if vector else "default",
        "MKL_CBWR": "AVX2" if vector else "COMPATIBLE",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def build(out_dir: Path, marian_steps: int = 3000, bart_steps: int = 2500) -> Path:
    """Build all three models under ``out_dir`` (written atomically) and return it.

    Training runs in a child process with :func:`pinned_numerics`, whatever the machine
    or the caller set: sums split over threads or vector lanes are added in another
    order, and a few hundred steps later the weights differ, enough for int8 rounding or
    a beam search near-tie to tip a choice on one machine and not on another.
    """
    out_dir = Path(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".tiny-", dir=out_dir.parent if out_dir.parent.exists() else None))
    command = [sys.executable, str(Path(__file__).resolve()), str(tmp), "--here"]
    command += ["--marian-steps", str(marian_steps), "--bart-steps", str(bart_steps)]
    try:
        subprocess.run(command, env={**os.environ, **pinned_numerics()}, check=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.replace(out_dir)
    return out_dir


def _train_here(out_dir: Path, marian_steps: int, bart_steps: int) -> None:
    """The training itself, in the process :func:`build` starts."""
    import torch

    torch.set_num_threads(1)
    torch.backends.mkldnn.enabled = False  # MKL's kernels, pinned by MKL_CBWR
    build_marian(out_dir / "translator", marian_steps)
    as_back_translator(out_dir / "translator", out_dir / "back-translator")
    build_bart(out_dir / "summarizer", bart_steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--marian-steps", type=int, default=3000, help="training steps of the translator")
    parser.add_argument("--bart-steps", type=int, default=2500, help="training steps of the summarizer")
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)  # build's child
    args = parser.parse_args()
    if args.here:
        _train_here(args.out_dir, args.marian_steps, args.bart_steps)
        return
    args.out_dir.parent.mkdir(parents=True, exist_ok=True)
    build(args.out_dir, args.marian_steps, args.bart_steps)
    print(args.out_dir)


if __name__ == "__main__":
    main()
