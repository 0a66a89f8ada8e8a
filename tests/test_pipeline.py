"""End to end through the library on the tiny models, loaded with from_pretrained.

The tiny translators copy their input and the tiny summarizer returns the first sentence
of its input, so every expected output below is a known function of the input.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tiny import tiny_config

from pipeline import Failure, Pipeline, PipelineConfig, Result

DATA = Path(__file__).resolve().parent / "data"
CORPUS = Path(__file__).resolve().parent.parent / "scripts" / "data" / "corpus_it.txt"


def make_pipeline(tiny_models: Path, **overrides) -> Pipeline:
    return Pipeline(tiny_config(tiny_models, **overrides))


@pytest.fixture(scope="module")
def pipe(tiny_models) -> Pipeline:
    return make_pipeline(tiny_models)


def test_translate_keeps_order_and_copies_each_text(pipe):
    texts = [
        "Il sindaco ha promesso nuovi libri.",
        "Il piccolo paziente sta bene.",
        "Il museo resterà aperto tutti i giorni.",
    ]
    assert pipe.translate(texts) == texts
    assert pipe.translate(list(reversed(texts))) == list(reversed(texts))


def test_every_segment_is_translated_in_order_and_nothing_is_dropped(pipe):
    text = CORPUS.read_text(encoding="utf-8")
    result = pipe.process(text, summarize=False)
    assert [s.text for s in result.segments] == list(result.translations)
    assert " ".join(s.text for s in result.segments).split() == text.split()
    assert result.translation == text  # layout (paragraphs, line breaks) is kept exactly
    assert len({s.paragraph for s in result.segments}) == text.count("\n\n") + 1


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
@pytest.mark.parametrize("batch_size, max_batch_tokens", [(1, 4096), (3, 64), (64, 100_000)])
def test_output_does_not_depend_on_batching(tiny_models, backend, batch_size, max_batch_tokens):
    text = CORPUS.read_text(encoding="utf-8")
    reference = make_pipeline(tiny_models, num_beams=1, backend=backend).process(text, summarize=False)
    other = make_pipeline(
        tiny_models, num_beams=1, batch_size=batch_size, max_batch_tokens=max_batch_tokens, backend=backend
    ).process(text, summarize=False)
    assert other.translations == reference.translations
    assert other.translation == text


def test_long_line_without_punctuation_is_split_and_fully_translated(pipe):
    words = CORPUS.read_text(encoding="utf-8").replace(".", "").replace(",", "").split()
    line = " ".join((words * 3)[:2500])
    result = pipe.process(line, summarize=False)
    engine = pipe.engine("translator")
    assert len(result.segments) > 50
    assert all(c <= engine.max_input_tokens for c in engine.count_tokens([s.text for s in result.segments]))
    assert " ".join(s.text for s in result.segments).split() == line.split()
    copied = sum(s.text == t for s, t in zip(result.segments, result.translations, strict=True))
    assert copied / len(result.segments) > 0.95  # a tiny model's copies are not all perfect
    assert len(result.translation.split()) > 0.95 * 2500


def test_markdown_structure_is_kept(pipe):
    text = (DATA / "struttura.md").read_text(encoding="utf-8")
    result = pipe.process(text, summarize=False)
    assert result.translation == text
    kinds = {s.kind for s in result.segments}
    assert kinds == {"heading", "text", "list_item", "quote"}
    assert not any("codice" in s.text or s.text.startswith(("#", "-", ">")) for s in result.segments)


def test_summary_of_a_document_is_its_first_sentence_with_grounded_points(pipe):
    text = (DATA / "breve.txt").read_text(encoding="utf-8")
    record = pipe.process(text, id="breve").to_dict()
    first = "Il museo resterà aperto tutti i giorni."
    assert record["id"] == "breve"
    assert record["summary"] == first
    assert record["summary_kind"] == "abstractive"
    assert record["summary_it"] == first  # the back-translator copies too
    it_score = record["points"][0].pop("it_score")
    assert record["points"] == [{"en": first, "it": first, "source_segments": [0], "flags": []}]
    assert -0.05 < it_score <= 0  # the back-translator's score for the Italian point
    score = record["segments"][0].pop("score")
    assert record["segments"][0] == {
        "source": first,
        "translation": first,
        "paragraph": 0,
        "kind": "text",
        "start": 0,
        "end": len(first),
        "flags": ["untranslated"],  # the copy model leaves it Italian
    }
    assert -0.05 < score <= 0  # the copy model is sure of itself
    assert record["review"][0] == {
        "segment": 0,
        "flag": "untranslated",
        "detail": "the translation repeats the Italian source",
    }
    assert set(record["models"]) == {"translator", "summarizer", "back_translator"}


def test_long_document_is_summarized_in_windows(tiny_models):
    sentences = (DATA / "breve.txt").read_text(encoding="utf-8").split(". ")
    text = ". ".join(sentences * 6)
    pipe = make_pipeline(tiny_models)
    result = pipe.process(text)
    assert (
        pipe.engine("summarizer").count_tokens([result.translation])[0]
        > pipe.engine("summarizer").max_input_tokens
    )
    assert result.summary.kind == "hierarchical"
    assert result.summary.en == "Il museo resterà aperto tutti i giorni."


def test_short_document_keeps_its_translation_as_summary(tiny_models):
    pipe = make_pipeline(tiny_models, italian_summary=False)
    record = pipe.process("Il sindaco ha promesso nuovi libri. Il piccolo paziente sta bene.").to_dict()
    assert record["summary_kind"] == "translation"
    assert record["summary"] == record["translation"]
    assert record["summary_it"] is None
    assert [p["source_segments"] for p in record["points"]] == [[0], [1]]
    assert "back_translator" not in record["models"]


def test_process_many_keeps_input_order_and_isolates_bad_documents(tiny_models):
    pipe = make_pipeline(tiny_models, docs_per_chunk=2)
    docs = [
        ("a", "Il piccolo paziente sta bene."),
        ("vuoto", "   \n"),
        "Il lunedì è chiuso.",
        ("b", "Il sindaco ha promesso nuovi libri."),
    ]
    out = list(pipe.process_many(docs, summarize=False))
    assert isinstance(out[1], Failure)
    assert out[1].reason == "document is empty"
    assert [o.id for o in out] == ["a", "vuoto", out[2].id, "b"]
    assert [o.translation for o in out if isinstance(o, Result)] == [
        "Il piccolo paziente sta bene.",
        "Il lunedì è chiuso.",
        "Il sindaco ha promesso nuovi libri.",
    ]


def test_an_engine_error_costs_only_the_document_that_caused_it(tiny_models):
    pipe = make_pipeline(tiny_models)
    real = pipe.engine("translator")

    class Exploding:
        name, max_input_tokens = real.name, real.max_input_tokens
        count_tokens = staticmethod(real.count_tokens)

        @staticmethod
        def generate(texts):
            if any("BOOM" in t for t in texts):
                raise RuntimeError("kernel exploded")
            return real.generate(texts)

    pipe = Pipeline(pipe.config, engines={"translator": Exploding()})
    out = list(pipe.process_many([("ok", "Il lunedì è chiuso."), ("bad", "BOOM qui.")], summarize=False))
    assert out[0].translation == "Il lunedì è chiuso."
    assert isinstance(out[1], Failure)
    assert "kernel exploded" in out[1].reason


def test_from_config_reads_a_preset(tiny_models, tmp_path):
    preset = tmp_path / "tiny.toml"
    preset.write_text(
        f'[models]\ntranslator = "{tiny_models / "translator"}"\ndir = "{tiny_models / "store"}"\n'
        f'[runtime]\ndevice = "cpu"\n[decoding]\nnum_beams = 2\n'
    )
    pipe = Pipeline.from_config(preset, batch_size=4)
    assert pipe.config.num_beams == 2
    assert pipe.config.batch_size == 4
    assert pipe.translate(["Il lunedì è chiuso."]) == ["Il lunedì è chiuso."]


def test_tiny_tokenizers_know_every_common_italian_character(pipe):
    sample = "àèéìòù ÀÈÉÌÒÙ « » ’ “ ” € perché città"
    for role in ("translator", "summarizer", "back-translator"):
        [tokens] = pipe.engine(role)._codec.tokens([sample])
        assert "<unk>" not in tokens, role


def test_progress_is_reported_per_stage_only_when_asked(tiny_models):
    seen: list[tuple[str, int, int]] = []
    pipe = Pipeline(make_pipeline(tiny_models).config, progress=lambda *args: seen.append(args))
    pipe.process((DATA / "breve.txt").read_text(encoding="utf-8"))
    stages = [stage for stage, _, _ in seen]
    assert stages[0] == "translate"
    assert "summarize" in stages
    assert stages[-1] == "back-translate"
    assert all(0 < done <= total for _, done, total in seen)


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
@pytest.mark.parametrize("precision", ["fp32", "fp16", "bf16"])
def test_cuda_matches_cpu(tiny_models, precision, backend):
    text = (DATA / "breve.txt").read_text(encoding="utf-8")
    cpu = make_pipeline(tiny_models, num_beams=1, backend=backend).process(text).to_dict()
    pipe = make_pipeline(tiny_models, num_beams=1, backend=backend)
    pipe = Pipeline(replace(pipe.config, device="cuda", precision=precision))
    gpu = pipe.process(text).to_dict()
    if backend == "torch":
        assert pipe.engine("translator")._model.device.type == "cuda"
    else:
        assert pipe.engine("translator")._translator.device == "cuda"
    assert gpu["translation"] == cpu["translation"]
    assert gpu["summary"] == cpu["summary"]


def test_a_document_whose_translation_is_blank_gives_no_empty_summary_point(pipe):
    from pipeline.render import render_markdown

    result = pipe.process("🙂🙂🙂")
    assert result.segments
    assert all(p.en.strip() for p in result.summary.points)
    assert "1. \n" not in render_markdown(result) + "\n"


def test_any_object_with_the_engine_methods_plugs_in_and_roles_are_checked(fake_engine):
    """The extension point the README shows: an engine that is not a model at all."""
    from pipeline import ConfigError, PipelineConfig, Seq2SeqEngine

    class Shouting:  # a stand-in for a translation API client
        name = "shouting-api"
        max_input_tokens = 64

        def count_tokens(self, texts):
            return [len(t.split()) + 1 for t in texts]

        def generate(self, texts):
            return [t.upper() for t in texts]

    engine: Seq2SeqEngine = Shouting()
    pipe = Pipeline(PipelineConfig(device="cpu"), engines={"translator": engine})
    assert pipe.translate(["Piove.\n\nIl lunedì è chiuso."]) == ["PIOVE.\n\nIL LUNEDÌ È CHIUSO."]
    assert pipe.process("Piove.", summarize=False).models == {"translator": "shouting-api"}
    assert Pipeline(engines={"back_translator": engine}).engine("back-translator") is engine
    with pytest.raises(ConfigError, match="unknown model role 'translater'"):
        Pipeline(engines={"translater": engine})
    with pytest.raises(ConfigError, match="roles: translator, summarizer, back-translator"):
        PipelineConfig().model_for("summariser")
    assert PipelineConfig().model_for("back-translator") == PipelineConfig().back_translator


def test_the_library_logs_under_it2en_and_the_cli_leaves_its_logger_as_found(caplog, fake_engine, tmp_path):
    import logging

    from typer.testing import CliRunner

    from pipeline import PipelineConfig
    from pipeline.cli import app

    class FailingOnce:
        name, max_input_tokens = "flaky", 16
        count_tokens = staticmethod(fake_engine.count_tokens)
        calls = 0

        def generate(self, texts):
            FailingOnce.calls += 1
            if len(texts) > 1:
                raise RuntimeError("pooled batch failed")
            return list(texts)

    pipe = Pipeline(PipelineConfig(device="cpu"), engines={"translator": FailingOnce()})
    with caplog.at_level(logging.WARNING, logger="it2en"):
        out = list(pipe.process_many([("a", "Uno."), ("b", "Due.")], summarize=False))
    assert [o.translation for o in out] == ["Uno.", "Due."]
    assert [r.name for r in caplog.records] == ["it2en.pipeline"]
    logger = logging.getLogger("it2en")
    before = (logger.handlers[:], logger.level, logger.propagate)
    missing = str(tmp_path / "missing.txt")
    result = CliRunner().invoke(app, ["translate", missing, "--device", "cpu", "--offline"])
    assert result.exit_code != 0
    assert "missing.txt" in result.stderr
    assert (logger.handlers, logger.level, logger.propagate) == before


@pytest.mark.parametrize("budget", [0, 40])
def test_summarizer_batches_have_their_own_token_budget(budget):
    """The summarizer's windows are long: their batches are cut by summary_batch_tokens
    (by default 2,048 on CPU), not by the translators' max_batch_tokens."""
    from conftest import FakeEngine

    summarizer = FakeEngine(max_input_tokens=30)
    config = PipelineConfig(
        device="cpu", backend="torch", max_batch_tokens=10_000, summary_batch_tokens=budget
    )
    pipe = Pipeline(
        config,
        engines={"translator": FakeEngine(), "summarizer": summarizer, "back-translator": FakeEngine()},
    )
    docs = [" ".join(f"Frase numero {n} del documento {d} qui." for n in range(12)) for d in range(6)]
    assert all(isinstance(r, Result) for r in pipe.process_many(docs))
    widths = [len(batch) * max(summarizer.count_tokens(batch)) for batch in summarizer.batches]
    assert len(summarizer.batches) > 1
    limit = budget or 2048
    assert all(
        width <= limit or len(batch) == 1 for width, batch in zip(widths, summarizer.batches, strict=True)
    )
    if budget:
        assert max(len(b) for b in summarizer.batches) < 6  # the translators' budget would take all


def test_calls_own_their_state_two_runs_interleaved_and_a_stopped_run_then_another(fake_engine):
    """One pipeline, two ``process_many`` runs taken in turns (as the service's job
    threads do): stopping one stops it alone; a call after a stopped run is not stopped."""
    import threading

    from pipeline.errors import Stopped

    pipeline = Pipeline(PipelineConfig(docs_per_chunk=1, checks=()), engines={"translator": fake_engine})
    stop = threading.Event()
    first = pipeline.process_many(
        [("a1", "uno due."), ("a2", "tre."), ("a3", "quattro.")], summarize=False, stop=stop
    )
    second = pipeline.process_many([("b1", "cinque."), ("b2", "sei."), ("b3", "sette.")], summarize=False)
    assert next(first).translation == "UNO DUE."
    assert next(second).translation == "CINQUE."
    stop.set()
    with pytest.raises(Stopped):
        next(first)  # after its model batch
    assert [r.translation for r in second] == ["SEI.", "SETTE."]  # not stopped by the other's event
    assert pipeline.process("otto.", "c", summarize=False).translation == "OTTO."


def test_an_internal_error_is_loud_and_still_one_documents_failure(fake_engine, monkeypatch, caplog):
    """A bug (here: a stage raising ZeroDivisionError for one document) fails that
    document alone, and is told loudly: its traceback at error level, the failure marked
    internal; a document's own bad data stays quiet."""
    import logging

    import pipeline.stages as stages

    real = stages.check_result

    def buggy(result, settings):
        if result.id == "b":
            return 1 / 0
        return real(result, settings)

    monkeypatch.setattr(stages, "check_result", buggy)
    pipeline = Pipeline(PipelineConfig(checks=()), engines={"translator": fake_engine})
    with caplog.at_level(logging.DEBUG, logger="it2en.pipeline"):
        outcomes = list(pipeline.process_many([("a", "uno."), ("b", "due."), ("c", "tre.")], summarize=False))
    assert [type(o).__name__ for o in outcomes] == ["Result", "Failure", "Result"]
    failure = outcomes[1]
    assert isinstance(failure, Failure)
    assert failure.internal
    assert "ZeroDivisionError" in failure.trace
    assert failure.to_dict()["internal"] is True
    loud = [r for r in caplog.records if r.levelno == logging.ERROR and "internal error" in r.getMessage()]
    assert len(loud) == 1
    assert loud[0].exc_info is not None
    assert not Failure("d", "d.txt", "document is empty").internal
