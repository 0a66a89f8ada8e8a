"""Decoding settings read as transformers reads them, and the same search on both engines.

The tiny models are laid out as the hub's: the summarizer and the translator keep their
decoding settings in config.json only, the back-translator has a generation_config.json.
The end-to-end tests change those settings so that each one bites, and expect the
CTranslate2 engine to give exactly the tokens of transformers' ``generate``.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tiny import tiny_config
from transformers import GenerationConfig

from pipeline import build_engine
from pipeline.engines.decoding import (
    PATIENCE_WITHOUT_EARLY_STOPPING,
    SearchSettings,
    ct2_search,
    read_generation_config,
)

BART_TOKENS = {0: "<s>", 1: "<pad>", 2: "</s>", 3: "<unk>"}
SENTENCES = [
    "Il museo resterà aperto tutti i giorni.",
    "Il sindaco ha promesso nuovi libri.",
    "I lavori partiranno a settembre.",
]


def with_settings(folder: Path, target: Path, **settings) -> Path:
    """A copy of model ``folder`` whose config.json (and generation_config.json, if any)
    carries ``settings``."""
    shutil.copytree(folder, target)
    for name in ("config.json", "generation_config.json"):
        path = target / name
        if path.is_file():
            path.write_text(json.dumps({**json.loads(path.read_text()), **settings}), encoding="utf-8")
    return target


def engines(tiny_models: Path, role: str, folder: Path, beams: int):
    """The torch and CTranslate2 engines (fp32) for one model."""
    made = []
    for backend in ("torch", "ctranslate2"):
        config = tiny_config(tiny_models, backend=backend, precision="fp32", num_beams=beams)
        config = config.with_overrides(**{role.replace("-", "_"): str(folder)})
        made.append(build_engine(config, role))
    return made


# -- reading the settings ----------------------------------------------------------------


def test_settings_come_from_config_json_when_there_is_no_generation_config(tiny_models):
    folder = tiny_models / "summarizer"
    assert not (folder / "generation_config.json").exists()  # as sshleifer/distilbart-cnn-12-6
    generation = read_generation_config(str(folder), {})
    assert (generation.num_beams, generation.length_penalty, generation.no_repeat_ngram_size) == (4, 2.0, 3)
    assert (generation.forced_bos_token_id, generation.forced_eos_token_id, generation.early_stopping) == (
        0,
        2,
        True,
    )
    translator = read_generation_config(str(tiny_models / "translator"), {})
    assert translator.bad_words_ids == [[translator.pad_token_id]]
    assert translator.num_beams == 6


def test_a_generation_config_file_wins_over_config_json(tiny_models):
    generation = read_generation_config(str(tiny_models / "back-translator"), {})
    assert generation.num_beams == 4
    assert generation.renormalize_logits is True


def test_the_vocabulary_may_hold_one_token_more_than_the_embedding(tiny_models):
    config = json.loads((tiny_models / "summarizer" / "config.json").read_text())
    vocab = json.loads((tiny_models / "summarizer" / "vocab.json").read_text())
    assert len(vocab) == config["vocab_size"] + 1
    assert vocab["<mask>"] == config["vocab_size"]


# -- mapping to CTranslate2 --------------------------------------------------------------


def distilbart_settings(**changes) -> SearchSettings:
    settings = dict(
        num_beams=4,
        max_length=142,
        min_length=56,
        length_penalty=2.0,
        no_repeat_ngram_size=3,
        early_stopping=True,
        forced_bos_token_id=0,
        forced_eos_token_id=2,
        eos_token_id=2,
        decoder_start_token_id=2,
        bos_token_id=0,
        pad_token_id=1,
    )
    return SearchSettings.of(GenerationConfig(**{**settings, **changes}))


def test_lengths_are_counted_as_transformers_counts_them():
    search = ct2_search(distilbart_settings(), 4, BART_TOKENS.get, set(BART_TOKENS.values()))
    options = search.options
    # transformers counts the decoder start token; the forced end token comes after the cap.
    assert options["min_decoding_length"] == 55
    assert options["max_decoding_length"] == 140
    assert search.prefix == ("<s>",)
    assert search.target_prefix(2) == [["<s>"], ["<s>"]]
    assert (options["length_penalty"], options["no_repeat_ngram_size"], options["patience"]) == (2.0, 3, 1.0)
    assert options["num_hypotheses"] == 4
    assert search.cap_forced_end
    assert options["max_input_length"] == 0  # never truncated
    greedy = ct2_search(
        distilbart_settings(forced_eos_token_id=None, max_new_tokens=30), 1, BART_TOKENS.get, set()
    )
    assert greedy.options["max_decoding_length"] == 30
    assert greedy.options["num_hypotheses"] == 1
    assert not greedy.cap_forced_end


def test_banned_tokens_the_converted_model_lacks_are_left_out():
    marian = SearchSettings.of(
        GenerationConfig(bad_words_ids=[[9]], suppress_tokens=[5], eos_token_id=0, max_length=512)
    )
    tokens = {0: "</s>", 5: "▁x", 9: "<pad>"}
    search = ct2_search(marian, 4, tokens.get, {"</s>", "▁x"})  # the converter drops <pad>
    assert search.options["suppress_sequences"] == [["▁x"]]
    assert search.options["max_decoding_length"] == 511
    assert search.prefix == ()
    # early_stopping=False: transformers searches on; the nearest CTranslate2 patience.
    assert search.options["patience"] == PATIENCE_WITHOUT_EARLY_STOPPING


def test_hypotheses_at_the_cap_are_ranked_with_their_forced_end_token():
    search = ct2_search(distilbart_settings(max_length=5), 4, BART_TOKENS.get, set(BART_TOKENS.values()))
    cap = search.options["max_decoding_length"]
    assert cap == 3
    finished_early = ["<s>", "c", "</s>"]
    at_cap = ["<s>", "a", "b"]
    # CTranslate2's scores are normalised by 3 tokens each; transformers normalises the
    # capped one by 4 (its forced end token), which makes it the better one here.
    assert search.best([finished_early, at_cap], [-0.5, -0.6]) == ["a", "b"]
    assert search.best([finished_early, at_cap], [-0.3, -0.6]) == ["c"]


# -- both engines under the real settings -----------------------------------------------


# transformers' beam search bans tokens after the softmax unless renormalize_logits is set;
# CTranslate2 always bans before it. So beam tests of the bans set renormalize_logits (as
# the opus-mt generation configs do); without it greedy search still agrees exactly and
# beam search may not (the residual that scripts/parity.py measures).
BANS = [(1, {}), (4, {"renormalize_logits": True})]


@pytest.mark.parametrize("beams, extra", BANS)
def test_minimum_length_that_bites_gives_the_same_tokens_on_both_engines(tiny_models, tmp_path, beams, extra):
    folder = with_settings(tiny_models / "summarizer", tmp_path / "summarizer", min_length=24, **extra)
    texts = [" ".join(SENTENCES), SENTENCES[2]]
    torch_engine, ct2_engine = engines(tiny_models, "summarizer", folder, beams)
    expected = torch_engine.generate_tokens(texts)
    assert ct2_engine.generate_tokens(texts) == expected
    # The start token and the forced <s> count towards min_length; the end token comes after.
    assert all(len(tokens) >= 24 - 2 for tokens in expected)
    # Unconstrained, the tiny summarizer returns the first sentence (shorter than that).
    assert len(torch_engine._tokenizer(SENTENCES[0])["input_ids"]) - 2 < 24 - 2


@pytest.mark.parametrize("beams, extra", BANS)
def test_repeated_trigrams_are_blocked_alike(tiny_models, tmp_path, beams, extra):
    text = "Il sindaco ha detto che il sindaco ha detto che il sindaco ha detto di no. Piove."
    folder = with_settings(
        tiny_models / "summarizer", tmp_path / "summarizer", no_repeat_ngram_size=3, **extra
    )
    torch_engine, ct2_engine = engines(tiny_models, "summarizer", folder, beams)
    [expected] = torch_engine.generate_tokens([text])
    assert ct2_engine.generate_tokens([text]) == [expected]
    trigrams = [tuple(expected[i : i + 3]) for i in range(len(expected) - 2)]
    assert len(trigrams) == len(set(trigrams))
    assert trigrams


def test_the_length_cap_ends_with_the_forced_end_token_on_both_engines(tiny_models, tmp_path):
    """max_length 8 counts the start token and the forced end: 6 tokens of the copy."""
    folder = with_settings(tiny_models / "translator", tmp_path / "translator", max_length=8)
    for beams in (1, 4):
        torch_engine, ct2_engine = engines(tiny_models, "translator", folder, beams)
        expected = torch_engine.generate_tokens(SENTENCES)
        assert ct2_engine.generate_tokens(SENTENCES) == expected
        source = [torch_engine._tokenizer(s)["input_ids"][:-1] for s in SENTENCES]  # minus </s>
        assert expected == [ids[:6] for ids in source]


def test_a_model_without_max_length_gets_transformers_default_on_both_engines(tiny_models, tmp_path):
    """transformers 5 keeps an unset max_length None and generates 20 new tokens; the
    CTranslate2 mapping once computed None - 1."""
    folder = shutil.copytree(tiny_models / "translator", tmp_path / "translator")
    for name in ("config.json", "generation_config.json"):
        path = folder / name
        if path.is_file():
            settings = json.loads(path.read_text())
            settings.pop("max_length", None)
            path.write_text(json.dumps(settings), encoding="utf-8")
    assert read_generation_config(str(folder), {}).max_length is None
    torch_engine, ct2_engine = engines(tiny_models, "translator", folder, 1)
    pairs = [f"{a} {b}" for a in SENTENCES for b in SENTENCES if a != b]
    long = next(t for t in pairs if 22 < torch_engine.count_tokens([t])[0] <= torch_engine.max_input_tokens)
    expected = torch_engine.generate_tokens([long])
    assert ct2_engine.generate_tokens([long]) == expected
    assert len(expected[0]) == 20 - 1  # 20 new tokens, the last of them the forced end token


def test_settings_ctranslate2_cannot_follow_are_all_named(tiny_models, tmp_path, caplog):
    folder = with_settings(
        tiny_models / "summarizer", tmp_path / "summarizer",
        encoder_repetition_penalty=1.3, stop_strings=["fine"], renormalize_logits=True,
    )  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="it2en.engines"):
        engines(tiny_models, "summarizer", folder, 1)
    line = next(r.getMessage() for r in caplog.records if "CTranslate2 decodes without" in r.getMessage())
    assert "encoder_repetition_penalty" in line
    assert "stop_strings" in line
    assert "renormalize_logits" not in line  # what CTranslate2 always does


def test_default_settings_give_the_same_summaries_on_both_engines(tiny_models):
    """distilbart's own settings (beam 4, length penalty 2, 3-gram blocking, early
    stopping, forced <s>) on the tiny summarizer: it returns the first sentence."""
    torch_engine, ct2_engine = engines(tiny_models, "summarizer", tiny_models / "summarizer", 4)
    # Every order of the three sentences, and each alone: three lengths in one padded
    # batch. The tiny summarizer returns each first sentence by a wide margin
    # (test_tiny_models), so no float rounding can tip a beam.
    orders = [list(order) for order in itertools.permutations(SENTENCES)]
    texts = [" ".join(order) for order in orders] + SENTENCES
    expected = [order[0] for order in orders] + SENTENCES
    assert ct2_engine.generate(texts) == torch_engine.generate(texts) == expected


# -- the hub-id path, offline --------------------------------------------------------------


def hub_cache(tiny_models: Path, root: Path) -> Path:
    """An offline Hugging Face cache holding the tiny models under the default hub ids."""
    for repo, folder in (
        ("Helsinki-NLP/opus-mt-it-en", "translator"),
        ("sshleifer/distilbart-cnn-12-6", "summarizer"),
        ("Helsinki-NLP/opus-mt-en-it", "back-translator"),
    ):
        entry = root / ("models--" + repo.replace("/", "--"))
        commit = "0123456789abcdef0123456789abcdef01234567"
        shutil.copytree(tiny_models / folder, entry / "snapshots" / commit)
        (entry / "refs").mkdir()
        (entry / "refs" / "main").write_text(commit)
    return root


@pytest.mark.slow
@pytest.mark.parametrize("backend, offline", [("auto", "env"), ("auto", "flag"), ("torch", "flag")])
def test_summarize_loads_the_default_hub_ids_from_an_offline_cache(tiny_models, tmp_path, backend, offline):
    """The default models, laid out as on the hub, straight from the cache: no download
    step and no network, on the default backend (CTranslate2, converting from the cache)
    and on torch, offline by HF_HUB_OFFLINE=1 or by --offline alone."""
    cache = hub_cache(tiny_models, tmp_path / "hub")
    doc = tmp_path / "notizia.txt"
    doc.write_text(" ".join(SENTENCES) + " Il piccolo paziente sta bene.", encoding="utf-8")
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HOME": str(tmp_path / "hf")}
    env.pop("HF_HUB_OFFLINE", None)
    flags = ["--offline"] if offline == "flag" else []
    if offline == "env":
        env["HF_HUB_OFFLINE"] = "1"
    command = ["summarize", str(doc), "--format", "json", "--device", "cpu", "--backend", backend]
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", *command, *flags, "--models-dir", str(tmp_path / "store")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    [record] = json.loads(proc.stdout)  # --format json: an array, even of one
    assert record["translation"] == doc.read_text(encoding="utf-8")  # the copy model
    assert record["summary"] == SENTENCES[0]
    assert record["summary_it"] == SENTENCES[0]
    assert record["models"]["summarizer"] == "sshleifer/distilbart-cnn-12-6"
