"""The two engines behind one interface: same outputs, cached conversion, memory fallback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tiny import tiny_config

from pipeline import BatchTooLarge, ConfigError, Pipeline, PipelineConfig
from pipeline.batching import run_batched
from pipeline.engines.runtime import compute_type, resolve_backend

CORPUS = Path(__file__).resolve().parent.parent / "scripts" / "data" / "corpus_it.txt"
BREVE = Path(__file__).resolve().parent / "data" / "breve.txt"


def pipeline(tiny_models: Path, **overrides) -> Pipeline:
    return Pipeline(tiny_config(tiny_models, **{"num_beams": 1, **overrides}))


def test_ctranslate2_and_torch_give_the_same_text_at_fp32(tiny_models):
    text = CORPUS.read_text(encoding="utf-8")
    torch_run = pipeline(tiny_models, backend="torch").process(text)
    ct2_run = pipeline(tiny_models, backend="ctranslate2").process(text)
    assert ct2_run.segments == torch_run.segments  # one segmentation for both engines
    assert ct2_run.translations == torch_run.translations
    # The same confidence score on both engines, within a small tolerance.
    assert all(a is not None and b is not None for a, b in zip(ct2_run.scores, torch_run.scores, strict=True))
    assert max(abs(a - b) for a, b in zip(ct2_run.scores, torch_run.scores, strict=True)) < 0.01
    breve = BREVE.read_text(encoding="utf-8")
    records = [pipeline(tiny_models, backend=b).process(breve).to_dict() for b in ("ctranslate2", "torch")]
    for record in records:
        for segment in record["segments"]:
            segment.pop("score")
    assert records[0] == records[1]


SENTENCES_AND_NAMES = [
    "Il sindaco Rossi ha visto Kim a Seul.",
    "Le azzurre hanno giocato una partita straordinaria.",
    "Gli studenti potranno scegliere tra sette tracce diverse.",
]
SPECIAL_TEXT = "Il museo resterà aperto <mask> tutti i giorni. Scrivere </s> o <pad> o <unk> non rompe nulla."


def test_special_token_text_in_a_document_is_ordinary_text_on_both_engines(tiny_models):
    """``<mask>`` typed in a document was the mask token on torch (an id past distilbart's
    embedding rows: an index error failing the batch) and ``<unk>`` on CTranslate2."""
    from transformers import AutoTokenizer

    from pipeline.engines.tokens import HFCodec

    for role in ("translator", "summarizer"):
        tokenizer = AutoTokenizer.from_pretrained(tiny_models / role)
        [ids] = HFCodec(tokenizer).input_ids([SPECIAL_TEXT])
        inside = ids[1:-1] if role == "summarizer" else ids[:-1]  # <s> ... </s>, or ... </s>
        assert not set(inside) & set(tokenizer.all_special_ids), role
    runs = [pipeline(tiny_models, backend=b).process(SPECIAL_TEXT) for b in ("ctranslate2", "torch")]
    records = [run.to_dict() for run in runs]
    for record in records:
        for segment in record["segments"]:
            segment.pop("score")
    assert records[0] == records[1]
    assert "<mask>" in records[0]["translation"]
    assert "</s>" in records[0]["translation"]  # the copy model


NORMALIZED = "Il \ufb01lm di \uff21nna è piaciuto."
"""A ligature ``ﬁ`` and a full-width ``Ａ``: the tiny translator's ``source.spm`` reads them
as ``fi`` and ``A`` (NFKC), its ``target.spm`` as bytes."""


def test_the_source_and_target_sentencepiece_files_each_do_their_own_part(tiny_models, tmp_path):
    """The tiny Marian's two ``.spm`` files differ (scripts/make_tiny_models.py), so an
    engine or a tokenizer copy that encoded with the target file, or decoded with the file
    transformers does not use, would give other text than transformers."""
    import sentencepiece as spm
    from transformers import AutoTokenizer

    from pipeline.engines.tokens import HFCodec, load_tokenizer, save_tokenizer

    folder = tiny_models / "translator"
    source, target = (
        spm.SentencePieceProcessor(model_file=str(folder / f)) for f in ("source.spm", "target.spm")
    )
    assert source.encode("\ufb01", out_type=str) != target.encode("\ufb01", out_type=str)
    assert source.decode_pieces(["<0x41>"]) != target.decode_pieces(["<0x41>"])
    tokenizer = AutoTokenizer.from_pretrained(folder)
    reference = HFCodec(tokenizer)
    copy = load_tokenizer(tmp_path, save_tokenizer(tokenizer, tmp_path))
    assert copy.tokens([NORMALIZED]) == reference.tokens([NORMALIZED])
    assert "▁fi" in "".join(reference.tokens([NORMALIZED])[0])  # encoded by source.spm (NFKC)
    bytes_ids = [reference.ids(["<0x41>", "<0x42>"])]
    assert copy.texts(bytes_ids) == reference.texts(bytes_ids)
    # transformers decodes with source.spm when the vocabulary is shared (as opus-mt's is)
    pieces = ["<0x41>", "<0x42>"]
    assert reference.texts(bytes_ids) == [source.decode_pieces(pieces)] != [target.decode_pieces(pieces)]
    outputs = [pipeline(tiny_models, backend=b).translate([NORMALIZED]) for b in ("ctranslate2", "torch")]
    assert outputs[0] == outputs[1] == ["Il film di Anna è piaciuto."]  # the copy model, NFKC'd


def test_a_marian_whose_decoder_start_is_learned_is_converted_with_a_warning(tiny_models, tmp_path, caplog):
    """CTranslate2 starts a Marian decoder from zeros, as opus-mt's ``<pad>`` row is; a
    fine-tuned model whose row was trained would translate otherwise: said when converted."""
    from safetensors.torch import load_file, save_file

    model = tmp_path / "finetuned"
    shutil.copytree(tiny_models / "translator", model)
    weights = load_file(str(model / "model.safetensors"))
    start = json.loads((model / "config.json").read_text(encoding="utf-8"))["decoder_start_token_id"]
    for name in ("model.shared.weight", "model.decoder.embed_tokens.weight"):
        if name in weights:
            weights[name][start] = 0.5
    save_file(weights, str(model / "model.safetensors"), metadata={"format": "pt"})
    with caplog.at_level("WARNING", logger="it2en.engines"):
        pipeline(tiny_models, backend="ctranslate2", cache_dir=str(tmp_path / "ct2")).engine("translator")
        assert not [r for r in caplog.records if "decoder start" in r.getMessage()]  # the tiny one: zeros
        config = tiny_config(
            tiny_models, translator=str(model), backend="ctranslate2", cache_dir=str(tmp_path / "ct2")
        )
        Pipeline(config).engine("translator")
    [warning] = [r.getMessage() for r in caplog.records if "decoder start" in r.getMessage()]
    assert str(model) in warning
    assert "--backend torch" in warning


@pytest.mark.parametrize("backend", ["ctranslate2", "torch"])
def test_alternatives_are_the_beams_other_outputs_best_first(tiny_models, backend):
    engine = pipeline(tiny_models, backend=backend, num_beams=4).engine("translator")
    texts = [SENTENCES_AND_NAMES[0], SENTENCES_AND_NAMES[1]]
    found = engine.generate_alternatives(texts, 3)
    assert [options[0] for options in found] == engine.generate(texts)  # the best first
    assert all(1 < len(options) <= 3 and len(set(options)) == len(options) for options in found)


def test_a_texts_alternatives_are_made_of_its_segments_hypotheses(tiny_models):
    p = pipeline(tiny_models, num_beams=4)
    text = f"{SENTENCES_AND_NAMES[0]} {SENTENCES_AND_NAMES[1]}\n\n{SENTENCES_AND_NAMES[2]}"
    [chosen] = p.translate([text])
    [others] = p.translate_alternatives([text], 2)
    assert 1 <= len(others) <= 2
    assert chosen not in others
    assert len(set(others)) == len(others)
    assert all(other.count("\n\n") == 1 for other in others)  # the layout kept
    assert p.translate_alternatives(["", "   "], 2) == [[], []]


@pytest.mark.parametrize("backend", ["ctranslate2", "torch"])
def test_int8_differs_from_fp32_only_where_quantization_tips_a_choice(tiny_models, backend):
    text = CORPUS.read_text(encoding="utf-8")
    exact = pipeline(tiny_models, backend=backend).process(text, summarize=False)
    int8 = pipeline(tiny_models, backend=backend, precision="int8").process(text, summarize=False)
    assert int8.segments == exact.segments
    same = sum(a == b for a, b in zip(exact.translations, int8.translations, strict=True))
    # int8 rounding may flip a near-tie between two tokens in a few segments, no more.
    assert same >= 0.95 * len(exact.translations)


def test_conversion_is_cached_and_redone_when_the_model_changes(tiny_models, tmp_path):
    model = tmp_path / "translator"
    shutil.copytree(tiny_models / "translator", model)
    store = str(tmp_path / "store")
    config = dict(translator=str(model), cache_dir=store, backend="ctranslate2", precision="auto")
    pipeline(tiny_models, **config).translate(["Il lunedì è chiuso."])
    converted = list((tmp_path / "store" / "ct2").iterdir())
    assert len(converted) == 1
    assert converted[0].name.startswith("translator-int8-")
    stamp = (converted[0] / "model.bin").stat().st_mtime_ns
    pipeline(tiny_models, **config).translate(["Il lunedì è chiuso."])
    assert (converted[0] / "model.bin").stat().st_mtime_ns == stamp, "reused, not converted again"
    (model / "config.json").write_text((model / "config.json").read_text() + "\n")
    pipeline(tiny_models, **config).translate(["Il lunedì è chiuso."])
    assert len(list((tmp_path / "store" / "ct2").iterdir())) == 2


def test_backend_and_compute_type_choices():
    assert resolve_backend("torch") == "torch"
    assert resolve_backend("auto") in ("ctranslate2", "torch")
    assert compute_type("auto", "cpu") == "int8"
    assert compute_type("fp32", "cpu") == "float32"
    assert compute_type("auto", "cuda") == "int8_float16"
    assert compute_type("fp16", "cuda") == "float16"
    with pytest.raises(ConfigError, match="needs a CUDA device"):
        compute_type("bf16", "cpu")
    with pytest.raises(ConfigError, match="backend must be one of"):
        PipelineConfig(backend="onnx")


def test_a_batch_too_large_for_memory_is_halved_until_it_fits():
    batches = []

    def generate(texts):
        if len(texts) > 2:
            raise BatchTooLarge("out of memory")
        batches.append(list(texts))
        return [t.upper() for t in texts]

    texts = [f"frase {i}" for i in range(7)]
    out = run_batched(texts, lambda ts: [2] * len(ts), generate, max_tokens=100, max_size=7)
    assert out == [t.upper() for t in texts]
    assert all(len(b) <= 2 for b in batches)
    assert sum(map(len, batches)) == 7


def test_a_single_text_too_large_still_fails():
    def generate(texts):
        raise BatchTooLarge("out of memory")

    with pytest.raises(BatchTooLarge):
        run_batched(["a", "b"], lambda ts: [1, 1], generate, max_tokens=10, max_size=2)


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
def test_forced_length_fixes_the_number_of_output_tokens(tiny_models, backend):
    """The benchmark's knob: random weights never stop sensibly, so lengths are forced."""
    from pipeline import build_engine

    config = pipeline(tiny_models, backend=backend).config
    engine = build_engine(config, "translator", forced_length=lambda n: 9)
    outputs = engine.generate(["Il lunedì è chiuso.", "Il piccolo paziente sta bene, dice il medico."])
    # count_tokens adds the end token to the 9 of each output.
    assert engine.count_tokens(outputs) == [10, 10]


@pytest.mark.parametrize("beams", [1, 3])
def test_ctranslate2_batch_dealt_to_two_workers_gives_what_one_worker_gives(tiny_models, beams):
    """With two threads the CPU engine deals a batch out to two workers (row 0 to the
    first, row 1 to the second, ...) and puts the results back in order: the same text
    and scores as one worker on the whole batch, for any number of rows."""
    from pipeline.engines.ct2 import workers

    assert workers("cpu", 2) == 2 and workers("cpu", 1) == 1 and workers("cuda", 8) == 1
    words = CORPUS.read_text(encoding="utf-8").split()
    texts = [" ".join(words[i : i + 3 + i % 5]) for i in range(0, 70, 10)]  # of 3 to 7 words
    one, two = (
        pipeline(tiny_models, backend="ctranslate2", threads=n, num_beams=beams).engine("translator")
        for n in (1, 2)
    )
    assert (one._workers, two._workers) == (1, 2)
    for rows in (1, 2, 3, 7):
        alone, dealt = one.generate_scored(texts[:rows]), two.generate_scored(texts[:rows])
        assert [text for text, _ in dealt] == [text for text, _ in alone]
        assert [score for _, score in dealt] == pytest.approx([score for _, score in alone], abs=1e-4)


def test_torch_engine_on_cpu_uses_the_configured_threads(tiny_models):
    import torch

    before = torch.get_num_threads()
    try:
        pipeline(tiny_models, backend="torch", threads=1).engine("translator")
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_a_conversion_store_that_cannot_be_written_is_a_model_error(tiny_models, tmp_path):
    from pipeline import ModelLoadError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(
        ModelLoadError, match=r"cannot write its CTranslate2 conversion into .*file/cache/ct2.*--cache-dir"
    ):
        pipeline(tiny_models, backend="ctranslate2", cache_dir=str(blocker / "cache")).engine("translator")


def test_an_unreachable_hub_means_the_local_cache_at_once_without_retries(monkeypatch, tmp_path):
    """No network and no --offline: a hub model missing from the cache fails in seconds with
    one line, instead of a minute of retries."""
    import time

    from pipeline import ModelLoadError
    from pipeline.engines import hub

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    for proxy in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    hub.hub_reachable.cache_clear()
    try:
        assert not hub.hub_reachable()
        assert hub.local_only(False)
        start = time.monotonic()
        with pytest.raises(ModelLoadError, match=r"hub is unreachable.*cannot be reached from here"):
            pipeline_config = PipelineConfig(
                translator="nessuno/modello", models_dir=str(tmp_path), backend="torch"
            )
            Pipeline(pipeline_config).engine("translator")
        assert time.monotonic() - start < 15
    finally:
        hub.hub_reachable.cache_clear()


def test_conversions_default_to_the_user_cache_folder_not_the_working_folder(tiny_models, tmp_path):
    """A scheduled job run from a read-only folder used to fail every document: the default
    conversion store was ./models/ct2."""
    import os
    import subprocess
    import sys

    from pipeline.config import user_cache_dir

    work = tmp_path / "readonly"
    work.mkdir()
    (work / "notizia.txt").write_text("Il lunedì è chiuso.", encoding="utf-8")
    work.chmod(0o555)
    env = {k: v for k, v in os.environ.items() if k != "IT2EN_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    command = ["translate", "notizia.txt", "--translator", str(tiny_models / "translator")]
    flags = ["--backend", "ctranslate2", "--device", "cpu", "--precision", "fp32", "--offline"]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", *command, *flags],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        work.chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Il lunedì è chiuso.\n"
    assert [p.name.split("-")[0] for p in (tmp_path / "xdg" / "it2en" / "ct2").iterdir()] == ["translator"]
    assert not (work / "models").exists()
    assert str(user_cache_dir()).endswith("it2en")
