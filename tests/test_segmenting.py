"""Sentence splitting, Markdown blocks and long-sentence splitting, without models."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.segmenting import reassemble, segment_document, split_long, split_sentences

CORPUS = Path(__file__).resolve().parent.parent / "scripts" / "data" / "corpus_it.txt"


def count_words(texts):
    """One token per whitespace word plus an end-of-sequence token."""
    return [len(t.split()) + 1 for t in texts]


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Il Sig. Rossi è arrivato. La Dott.ssa Bianchi no.",
            ["Il Sig. Rossi è arrivato.", "La Dott.ssa Bianchi no."],
        ),
        (
            "La società Alfa S.p.A. ha chiuso il bilancio. Gli utili crescono.",
            ["La società Alfa S.p.A. ha chiuso il bilancio.", "Gli utili crescono."],
        ),
        (
            "Secondo l'art. 3 del contratto si lavora da casa. Bene.",
            ["Secondo l'art. 3 del contratto si lavora da casa.", "Bene."],
        ),
        (
            "Servono penne, matite ecc. per la scuola. Grazie.",
            ["Servono penne, matite ecc. per la scuola.", "Grazie."],
        ),
        (
            "Alcuni animali, p.es. i gatti, dormono molto. Altri no.",
            ["Alcuni animali, p.es. i gatti, dormono molto.", "Altri no."],
        ),
        ("La crescita è del 4,7 per cento. Buono.", ["La crescita è del 4,7 per cento.", "Buono."]),
        (
            "La riunione è fissata il 15.03.2026 alle ore 18.30 in sede. Tutti presenti.",
            ["La riunione è fissata il 15.03.2026 alle ore 18.30 in sede.", "Tutti presenti."],
        ),
        (
            "Vedi https://example.com/a.b?c=1 per i dettagli. Poi torna.",
            ["Vedi https://example.com/a.b?c=1 per i dettagli.", "Poi torna."],
        ),
        ("«Come stai?» chiese Maria. Poi se ne andò.", ["«Come stai?» chiese Maria.", "Poi se ne andò."]),
        (
            "Il prof. Bianchi e il dott. Verdi sono arrivati. Ottimo!",
            ["Il prof. Bianchi e il dott. Verdi sono arrivati.", "Ottimo!"],
        ),
    ],
)
def test_italian_abbreviations_and_numbers(text, expected):
    assert sentences(text) == expected


def test_email_stays_inside_its_sentence():
    spans = sentences("Scrivete a esami@istruzione.it per avere informazioni. Grazie.")
    assert spans[0].startswith("Scrivete a esami@istruzione.it per")


def test_sentence_spans_cover_all_text():
    text = "  Primo. ... Secondo!  «Terzo?»  "
    covered = "".join(text[s:e] for s, e in split_sentences(text))
    assert covered.replace(" ", "") == text.replace(" ", "")


def test_plain_text_without_blank_lines_is_one_paragraph_per_line():
    text = "Prima riga. Ancora.\nSeconda riga.\nTerza riga."
    segs = segment_document(text, count_words, 50)
    assert [s.paragraph for s in segs] == [0, 0, 1, 2]
    assert [s.text for s in segs] == ["Prima riga.", "Ancora.", "Seconda riga.", "Terza riga."]


def test_blank_lines_separate_paragraphs_and_lines_stay_lines():
    text = "Uno. Due.\nTre.\n\n\nQuattro.\n"
    segs = segment_document(text, count_words, 50)
    assert [s.paragraph for s in segs] == [0, 0, 0, 1]
    out = reassemble(text, segs, [s.text.upper() for s in segs])
    assert out == "UNO. DUE.\nTRE.\n\n\nQUATTRO.\n"


def test_markdown_markers_and_code_are_kept_out_of_segments():
    text = (
        "# Titolo del giorno\n\nTesto normale.\n\n- primo punto\n- secondo punto\n"
        "1. numerato\n\n> citazione qui\n\n```\ncodice = 1\n```\n\n---\n\nFine."
    )
    segs = segment_document(text, count_words, 50)
    assert [(s.kind, s.text) for s in segs] == [
        ("heading", "Titolo del giorno"),
        ("text", "Testo normale."),
        ("list_item", "primo punto"),
        ("list_item", "secondo punto"),
        ("list_item", "numerato"),
        ("quote", "citazione qui"),
        ("text", "Fine."),
    ]
    assert len({s.paragraph for s in segs}) == len(segs)
    out = reassemble(text, segs, [s.text.upper() for s in segs])
    assert out.startswith(
        "# TITOLO DEL GIORNO\n\nTESTO NORMALE.\n\n- PRIMO PUNTO\n- SECONDO PUNTO\n1. NUMERATO"
    )
    assert "> CITAZIONE QUI" in out
    assert "```\ncodice = 1\n```" in out
    assert "\n---\n" in out


def test_segments_point_into_the_source():
    text = "Ciao.  Come va?\n\n  Bene, grazie.  "
    for seg in segment_document(text, count_words, 50):
        assert text[seg.start : seg.end] == seg.text


def test_long_sentence_prefers_clause_boundaries_and_even_windows():
    text = (
        "uno due tre quattro cinque, sei sette otto nove dieci, undici dodici tredici quattordici quindici."
    )
    spans = [text[s:e] for s, e in split_long(text, count_words, 7)]
    assert spans == [
        "uno due tre quattro cinque,",
        "sei sette otto nove dieci,",
        "undici dodici tredici quattordici quindici.",
    ]


def test_long_line_without_punctuation_is_windowed_and_nothing_dropped():
    words = [f"parola{i}" for i in range(2500)]
    text = " ".join(words)
    segs = segment_document(text, count_words, 32)
    assert all(count_words([s.text])[0] <= 32 for s in segs)
    assert " ".join(s.text for s in segs).split() == words
    sizes = [len(s.text.split()) for s in segs]
    assert max(sizes) - min(sizes) <= 2, "windows should be of even length"


def test_single_overlong_word_is_cut_into_character_windows():
    def count_chars(texts):
        return [len(t) // 4 + 1 for t in texts]

    word = "x" * 400
    spans = split_long(f"inizio {word} fine", count_chars, 20)
    pieces = [f"inizio {word} fine"[s:e] for s, e in spans]
    assert all(count_chars([p])[0] <= 20 for p in pieces)
    assert "".join(pieces).replace(" ", "") == f"inizio{word}fine"


def test_long_lines_are_split_in_windows_with_the_same_sentences():
    """sentencex's time grows with the square of its input, so long lines go to it in
    windows; the sentences must be those of one whole pass, and nothing may be lost."""
    import sentencex

    from pipeline.segmenting import _boundaries

    text = " ".join([CORPUS.read_text(encoding="utf-8").replace("\n", " ")] * 4)
    whole = [(b["start_index"], b["end_index"]) for b in sentencex.get_sentence_boundaries("it", text)]
    assert list(_boundaries(text, "it", window=2_000)) == whole
    unpunctuated = " ".join(["parola"] * 5_000)  # one 35,000-character "sentence"
    spans = list(_boundaries(unpunctuated, "it", window=2_000))
    assert len(spans) > 10
    assert "".join(unpunctuated[s:e] for s, e in spans) == unpunctuated


def test_a_long_sentence_is_never_cut_inside_a_phrase():
    from pipeline.segmenting import split_long

    text = "uno due tre quattro cinque sei sette otto"
    count = lambda texts: [len(t.split()) + 1 for t in texts]  # noqa: E731
    free = [text[s:e] for s, e in split_long(text, count, 4)]
    assert "tre quattro cinque" not in free
    phrase = (text.index("tre"), text.index("cinque") + len("cinque"))
    kept = [text[s:e] for s, e in split_long(text, count, 4, lambda _: [phrase])]
    assert "tre quattro cinque" in kept
    assert " ".join(kept) == text
