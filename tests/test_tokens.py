"""The CTranslate2 engine without transformers or torch: tokenizer copies that agree with
transformers exactly, decoding settings kept beside the converted model, and a fresh
process that translates without importing torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tiny import tiny_config
from transformers import AutoTokenizer, GenerationConfig

from pipeline import Pipeline
from pipeline.engines.conversion import SIDECAR, _move_into_place
from pipeline.engines.decoding import SearchSettings, read_generation_config, transformers_defaults
from pipeline.engines.tokens import HFCodec, load_tokenizer, save_tokenizer

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "scripts" / "data" / "corpus_it.txt"
ROLES = ("translator", "summarizer", "back-translator")
HOSTILE = [
    "",
    " ",
    "\n\n",
    "a</s>b<unk><pad>c",
    "</s></s>",
    ">>eng<<",
    ">>en<<Il gatto",
    "<<>>",
    "\u200b\u00a0spazio\u2009sottile",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e 🇮🇹 bandiera",
    "x" * 300,
    "Ünïcödé NFC vs NFD: e\u0301",
    "\ufb01ne \uff21\uff22 \u2460 \u00bd",  # NFKC changes these: source.spm and target.spm differ here
]


def texts() -> list[str]:
    return [*CORPUS.read_text(encoding="utf-8").splitlines()[:120], *HOSTILE]


@pytest.mark.parametrize("role", ROLES)
def test_tokenizer_copies_give_the_tokens_ids_and_texts_of_transformers(tiny_models, tmp_path, role):
    tokenizer = AutoTokenizer.from_pretrained(tiny_models / role)
    spec = save_tokenizer(tokenizer, tmp_path)
    assert spec is not None
    assert spec["kind"] == ("tokenizers" if role == "summarizer" else "marian")
    copy, reference = load_tokenizer(tmp_path, spec), HFCodec(tokenizer)
    sample = texts()
    tokens = reference.tokens(sample)
    assert copy.tokens(sample) == tokens
    assert copy.count(sample) == reference.count(sample) == [len(t) for t in tokens]
    ids = [reference.ids(row) for row in tokens]
    assert [copy.ids(row) for row in tokens] == ids
    assert copy.texts(ids) == reference.texts(ids)
    everything = list(range(len(tokenizer)))
    assert [copy.token(i) for i in everything] == [reference.token(i) for i in everything]
    # Every id decoded alone, and runs of ids no text would give.
    singles = [[i] for i in everything]
    assert copy.texts(singles) == reference.texts(singles)
    runs = [everything[i : i + 9] for i in range(0, len(everything), 9)]
    assert copy.texts(runs) == reference.texts(runs)
    assert copy.model_max_length == reference.model_max_length


def test_a_tokenizer_whose_copy_would_disagree_is_kept_in_transformers(tiny_models, tmp_path):
    """transformers cleans up spaces before punctuation when the config says so; the copy
    does not, the probes show it, and that model is tokenized through transformers."""
    model = tmp_path / "translator"
    shutil.copytree(tiny_models / "translator", model)
    settings = json.loads((model / "tokenizer_config.json").read_text(encoding="utf-8"))
    settings["clean_up_tokenization_spaces"] = True
    (model / "tokenizer_config.json").write_text(json.dumps(settings), encoding="utf-8")
    (tmp_path / "copy").mkdir()
    assert save_tokenizer(AutoTokenizer.from_pretrained(model), tmp_path / "copy") is None
    assert list((tmp_path / "copy").iterdir()) == []  # the copy's files are removed
    config = tiny_config(tiny_models, translator=str(model), cache_dir=str(tmp_path / "cache"))
    engine = Pipeline(config).engine("translator")
    [folder] = (tmp_path / "cache" / "ct2").iterdir()
    assert json.loads((folder / SIDECAR).read_text(encoding="utf-8"))["tokenizer"] is None
    assert not (folder / "source.spm").exists()
    assert isinstance(engine._codec, HFCodec)
    assert engine.generate(["Il lunedì è chiuso."]) == ["Il lunedì è chiuso."]


@pytest.mark.parametrize("role", ROLES)
def test_decoding_settings_survive_the_sidecar(tiny_models, role):
    generation = read_generation_config(str(tiny_models / role), {})
    settings = SearchSettings.of(generation)
    assert SearchSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings
    defaults = transformers_defaults()  # what generate applies to a setting left unset
    for field in ("max_length", "min_length", "eos_token_id", "forced_eos_token_id", "bad_words_ids"):
        expected = getattr(generation, field)
        if expected is None and field != "max_length":  # an unset max_length means 20 new tokens
            expected = defaults.get(field)
        assert getattr(settings, field) == expected, field


def test_settings_ctranslate2_cannot_express_are_named():
    settings = SearchSettings.of(GenerationConfig(sequence_bias={(5,): 1.0}, begin_suppress_tokens=[3]))
    assert settings.unmapped == ("begin_suppress_tokens", "sequence_bias")
    assert SearchSettings.from_dict(settings.to_dict()).unmapped == settings.unmapped


def test_a_conversion_finished_first_by_another_run_is_kept(tmp_path):
    target, mine = tmp_path / "model", tmp_path / "mine"
    for folder in (target, mine):
        folder.mkdir()
        (folder / "model.bin").write_text(folder.name, encoding="utf-8")
    (target / SIDECAR).write_text("{}", encoding="utf-8")
    _move_into_place(mine, target)
    assert (target / "model.bin").read_text(encoding="utf-8") == "model"
    (target / SIDECAR).unlink()  # a folder without the sidecar is not a finished conversion
    with pytest.raises(OSError):
        _move_into_place(mine, target)


def test_a_converted_model_translates_and_summarizes_in_a_process_without_torch(tiny_models, tmp_path):
    config = tiny_config(tiny_models, backend="ctranslate2", cache_dir=str(tmp_path / "cache"))
    pipe = Pipeline(config)
    text = (ROOT / "tests" / "data" / "breve.txt").read_text(encoding="utf-8")
    expected = pipe.process(text).to_dict()  # converts the three models (transformers loaded)
    script = f"""
import json, sys
sys.path.insert(0, {str(ROOT / "tests")!r})
from pathlib import Path
from tiny import tiny_config
from pipeline import Pipeline
config = tiny_config(Path({str(tiny_models)!r}), backend="ctranslate2", cache_dir={str(tmp_path / "cache")!r})
record = Pipeline(config).process(sys.stdin.read()).to_dict()
heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
print(json.dumps({{"record": record, "heavy": heavy}}))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", script], input=text, capture_output=True, text=True, env=env, timeout=300
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["heavy"] == []
    assert answer["record"] == json.loads(json.dumps(expected))
