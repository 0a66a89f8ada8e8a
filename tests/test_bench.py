"""The benchmark script's workload and whole-pipeline method, on the tiny models, so that
``scripts/bench.py`` keeps working as the library changes (its speed is not tested here)."""

from __future__ import annotations

import pytest
from script_loader import SCRIPTS, script_with_neighbours


@pytest.fixture(scope="module")
def bench():
    # bench imports its neighbour make_tiny_models
    with script_with_neighbours(SCRIPTS / "bench.py", SCRIPTS) as module:
        yield module


def test_workload_sentences_are_distinct_single_sentences(bench):
    from pipeline.segmenting import split_sentences

    texts = bench.sentences(60, seed=1)
    assert len(set(texts)) == 60
    assert all(len(split_sentences(t, "it")) == 1 and t.endswith(".") for t in texts)
    assert bench.sentences(60, seed=1) == texts  # reproducible


def test_the_glossary_workload_has_1000_distinct_terms_and_many_sentences_hold_one(bench):
    from pipeline.terms import Glossary

    pairs = bench.glossary_pairs(1000, seed=6)
    assert len({source for source, _ in pairs}) == 1000
    assert all(target.split() == source.split()[::-1] for source, target in pairs)
    glossary = Glossary.of(pairs)
    share = sum(bool(glossary.find(t)) for t in bench.sentences(100, seed=1)) / 100
    assert 0.2 < share < 0.9


def test_whole_pipeline_method_runs_every_stage_on_stand_ins(bench, tiny_models, tmp_path):
    paragraph = "Il museo resterà aperto. Il lunedì è chiuso. I lavori partiranno a settembre."
    docs = [f"{paragraph}\n\n{paragraph}", "Piove da ieri. Il sindaco ha parlato."]
    result = bench.method_pipeline(
        {
            "model": str(tiny_models / "translator"),
            "summarizer": str(tiny_models / "summarizer"),
            "backend": "ctranslate2",
            "store": str(tmp_path / "store"),
            "texts": docs,
        }
    )
    assert result["segments"] == 8
    # The long document is summarized (by the stand-in lead), the short one keeps its
    # translation: both kinds prove every stage ran.
    assert result["summary_kinds"] == ["abstractive", "translation"]


def test_stand_in_lead_keeps_whole_leading_sentences(bench):
    text = "Uno due tre quattro. Cinque sei sette. Otto nove dieci."
    assert bench.lead(text, words=5) == "Uno due tre quattro. Cinque sei sette."
    assert bench.lead(text, words=100) == text


def test_long_line_method_segments_the_whole_line(bench, tiny_models):
    result = bench.method_long_line({"model": str(tiny_models / "translator"), "bytes": 100_000})
    assert 99_000 < result["bytes"] <= 100_000
    assert result["segments"] > 100  # it checks coverage itself
