"""The peers benchmark's own pieces that need no peer: its text (every splitter must find
the same sentences), the forcing wrapper every process runs under, and the check of
whether a translated copy opens (which must fail on a broken Word file, as the copy
argos-translate-files writes is). Its speed is not tested here."""

from __future__ import annotations

import zipfile

import pytest
from script_loader import SCRIPTS, script_with_neighbours


@pytest.fixture(scope="module")
def peers():
    with script_with_neighbours(SCRIPTS / "bench_peers.py", SCRIPTS, SCRIPTS / "peers") as module:
        yield module


def test_paragraphs_hold_sentences_every_splitter_finds_alike(peers):
    from pipeline.segmenting import split_sentences

    paragraphs = peers.paragraphs(12, seed=31)
    assert len(paragraphs) == len(set(paragraphs)) == 12
    for paragraph in paragraphs:
        stops = paragraph.count(".")
        assert 3 <= stops <= 5 and "!" not in paragraph and "?" not in paragraph
        assert len(split_sentences(paragraph, "it")) == stops  # it2en's splitter agrees with the rule
    article = peers.article(500, seed=21)
    assert len(article.split()) >= 500 and article.count("\n\n") >= 2


def test_forcing_wrapper_decodes_the_same_steps_for_everyone(peers, tiny_models):
    """Every ``translate_batch`` call decodes ceil(1.1 x longest source) + 1 steps and is
    counted, asynchronous calls included (it2en's CPU engine makes those)."""
    import ctranslate2
    import peer_side
    from tiny import tiny_config

    from pipeline import Pipeline

    real = ctranslate2.Translator
    try:
        peer_side.force_lengths()
        assert ctranslate2.Translator is not real
        peer_side.force_lengths()  # a second call wraps nothing more
        assert ctranslate2.Translator.forced
        peer_side.TALLY.update(calls=0, output_tokens=0, source_tokens=0)
        config = tiny_config(tiny_models, backend="ctranslate2", threads=2, num_beams=1)
        engine = Pipeline(config).engine("translator")
        tokens = engine.count_tokens(
            ["Il sindaco parla.", "Gli studenti potranno scegliere tra sette tracce."]
        )
        engine.generate(["Il sindaco parla.", "Gli studenti potranno scegliere tra sette tracce."])
    finally:
        ctranslate2.Translator = real
    assert peer_side.TALLY["calls"] == 2  # the batch dealt out to the engine's two workers
    # Each worker's call (one row each here) is forced by its own longest source.
    assert peer_side.TALLY["source_tokens"] == sum(tokens)
    assert peer_side.TALLY["output_tokens"] == sum(-(-11 * n // 10) + 1 for n in tokens)


def test_opened_tells_a_good_copy_from_a_broken_one(peers, tmp_path):
    import docx

    source = tmp_path / "notizia.docx"
    document = docx.Document()
    for text in ("Primo paragrafo.", "Secondo paragrafo."):
        document.add_paragraph(text)
    document.save(str(source))
    copy = tmp_path / "notizia.en.docx"
    document = docx.Document(str(source))
    document.paragraphs[0].text = "First paragraph."
    document.save(str(copy))
    assert peers.opened(source, copy) == {"opens": True, "paragraphs": 2, "same_count": True, "changed": 1}
    # The copy argos-translate-files 1.4.4 writes: document.xml without its namespaces.
    broken = tmp_path / "notizia_en.docx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(broken, "w") as out:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "word/document.xml":
                data = b'<?xml version="1.0"?><document><body><p><r><t>First</t></r></p></body></document>'
            out.writestr(item, data)
    result = peers.opened(source, broken)
    assert result["opens"] is False and "body" in result["error"]
