"""Summary windows, hierarchical summarization and point grounding, on a fake engine."""

from __future__ import annotations

from pipeline.summarize import ground_points, pack_windows, summarize_many


class FirstWords:
    """Fake summarizer: one token per word plus one; 'summarizes' to the first 3 words."""

    name = "first-words"
    max_input_tokens = 12

    def __init__(self):
        self.batches: list[list[str]] = []

    def count_tokens(self, texts):
        return [len(t.split()) + 1 for t in texts]

    def generate(self, texts):
        self.batches.append(list(texts))
        assert all(c <= self.max_input_tokens for c in self.count_tokens(texts))
        return [" ".join(t.split()[:3]).rstrip(".") + "." for t in texts]


def test_windows_fill_up_to_the_limit_and_keep_every_sentence():
    sentences = ["a b c.", "d e f g.", "h i.", "j k l m n o p q r s t u v w x y z."]
    windows = pack_windows(sentences, FirstWords())
    assert all(FirstWords().count_tokens([w])[0] <= 12 for w in windows)
    assert " ".join(windows).split() == " ".join(sentences).split()


def test_short_documents_take_one_round_and_long_ones_several_in_shared_batches():
    engine = FirstWords()
    short = ["Uno due tre quattro."]
    long = [f"Frase numero {i} con parole." for i in range(30)]
    out = summarize_many([short, long], engine, max_tokens=1000, max_size=100)
    assert out[0].text == "Uno due tre."
    assert not out[0].hierarchical
    assert out[1].text == "Frase numero 0."
    assert out[1].hierarchical
    # Round 1 batches both documents' windows together; later rounds only the long one.
    assert "Uno due tre quattro." in engine.batches[0]
    assert len(engine.batches[0]) > 1
    assert all("Uno due tre quattro." not in batch for batch in engine.batches[1:])


def test_points_are_grounded_in_overlapping_segments():
    segments = [
        "The museum will stay open every day.",
        "Works will start in September on the first tram line.",
        "The mayor promised new books for the library.",
    ]
    points = [
        "The first tram line works start in September.",
        "Library books promised by mayor.",
        "Nothing in common here.",
    ]
    assert ground_points(points, segments) == [(1,), (2,), ()]


def test_a_point_drawing_on_two_segments_cites_both_in_order():
    segments = ["Rain hit Liguria overnight.", "Schools closed in forty towns.", "Unrelated text."]
    assert ground_points(["Rain in Liguria closed schools in forty towns."], segments) == [(0, 1)]
