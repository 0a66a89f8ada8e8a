"""Trust signals: the number, name, loop and language checks, on engines written for the
tests (faithful, or wrong in one known way) and on the tiny copy model."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

import pytest
from tiny import tiny_config

from pipeline import ConfigError, Pipeline, PipelineConfig
from pipeline.checks import CheckSettings, check_result
from pipeline.checks.names import missing_names
from pipeline.checks.numbers import missing_numbers
from pipeline.types import Point, Result, Segment, Summary

FAITHFUL = {
    "Il PIL è cresciuto del 4,7% nel 2025.": "GDP grew by 4.7% in 2025.",
    "Mario Draghi ha incontrato Emmanuel Macron a Parigi il 15 marzo.": (
        "Mario Draghi met Emmanuel Macron in Paris on March 15."
    ),
    "Sono arrivate 1.200 persone alle 18.30 in piazza.": "1,200 people arrived in the square at 6:30 pm.",
    "Il Comune ha stanziato 3 milioni per le scuole.": "The city allocated 3 million for schools.",
}
SOURCES = list(FAITHFUL)


class Dictionary:
    """A translator that looks sentences up: faithful, or with some answers replaced."""

    name = "dictionary"
    max_input_tokens = 64

    def __init__(self, wrong: dict[str, str] | None = None):
        self.answers = {**FAITHFUL, **(wrong or {})}

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) + 1 for t in texts]

    def generate(self, texts: Sequence[str]) -> list[str]:
        return [self.answers.get(t, t) for t in texts]


class Fixed(Dictionary):
    """A summarizer (or back-translator) that always answers ``text``."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def generate(self, texts: Sequence[str]) -> list[str]:
        return [self.text for _ in texts]


def flags_of(translator: Dictionary, **config: object) -> list[list[str]]:
    pipe = Pipeline(PipelineConfig(device="cpu", **config), engines={"translator": translator})
    result = pipe.process(" ".join(SOURCES), summarize=False)
    assert [s.text for s in result.segments] == SOURCES
    return [[flag.name for flag in result.segment_flags(i)] for i in range(len(result.segments))]


def test_a_faithful_translation_raises_no_flag():
    assert flags_of(Dictionary()) == [[], [], [], []]


@pytest.mark.parametrize(
    "wrong, flagged, flag",
    [
        ({SOURCES[0]: "GDP grew in 2025."}, 0, "numbers"),  # a dropped number
        ({SOURCES[0]: "GDP grew by 47% in 2025."}, 0, "numbers"),  # 4,7 read as 47
        ({SOURCES[2]: "1,200 people arrived in the square at 8:30 pm."}, 2, "numbers"),  # a time changed
        ({SOURCES[1]: "Mario Draghi met Macron in Paris on March 15."}, 1, "names"),  # a dropped name
        ({SOURCES[3]: "The city the city the city allocated 3 million euros."}, 3, "repetition"),
        ({SOURCES[3]: "The city."}, 3, "length"),
        ({SOURCES[3]: "Il Comune ha stanziato tre milioni di euro per le scuole."}, 3, "untranslated"),
    ],
)
def test_each_fault_is_flagged_on_exactly_its_segment(wrong, flagged, flag):
    flags = flags_of(Dictionary(wrong))
    assert flag in flags[flagged]
    assert all(not f for i, f in enumerate(flags) if i != flagged)


def test_checks_are_switched_by_the_config():
    wrong = Dictionary({SOURCES[0]: "GDP grew by 47% in 2025.", SOURCES[1]: "Draghi met Macron."})
    assert flags_of(wrong, checks=()) == [[], [], [], []]
    assert flags_of(wrong, checks=("names",)) == [[], ["names"], [], []]
    with pytest.raises(ConfigError, match="checks must be a list of untranslated, numbers"):
        PipelineConfig(checks=("spelling",))


def test_the_config_file_sets_checks_and_thresholds(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[checks]\nenabled = ["numbers"]\nmin_score_translator = -3\nlength_ratio_max = 4\n')
    config = PipelineConfig.from_file(path)
    assert config.checks == ("numbers",)
    assert config.min_score_translator == -3.0
    assert config.length_ratio_max == 4.0


# Italian and English ways of writing the same number, date or time: never flagged.
SAME = [
    ("4,7%", "4.7%"),
    ("1.200", "1,200"),
    ("1.200.000", "1,200,000"),
    ("1.234,5", "1,234.5"),
    ("3 milioni", "3 million"),
    ("3 milioni", "3,000,000"),
    ("1,5 miliardi", "1.5 billion"),
    ("20 mila", "20,000"),
    ("15.03.2026", "March 15, 2026"),
    ("15/03/2026", "15 March 2026"),
    ("15 marzo 2026", "03/15/2026"),
    ("18.30", "6:30 p.m."),
    ("18:30", "18.30"),
    ("ore 9", "9 a.m."),
    ("2 persone", "two people"),
    ("il 3° posto", "third place"),
    ("18,30 euro", "18.30 euros"),
    ("dal 2020 al 2025", "from 2020 to 2025"),
]
# And ways of getting it wrong: always flagged.
CHANGED = [
    ("4,7%", "47%", "4,7"),
    ("1.200", "1.2", "1.200"),
    ("1,5 miliardi", "15 billion", "1,5"),
    ("15 marzo", "March 16", "15"),
    ("18.30", "8:30 p.m.", "18.30"),
    ("3 milioni", "3 billion", "3"),
    ("18,30 euro", "1,830 euros", "18,30"),
]


@pytest.mark.parametrize("italian, english", SAME)
def test_number_forms_that_agree(italian, english):
    assert missing_numbers(f"Nel testo: {italian}.", "it", f"In the text: {english}.") == []


@pytest.mark.parametrize("italian, english, missing", CHANGED)
def test_number_forms_that_differ(italian, english, missing):
    assert missing_numbers(f"Nel testo: {italian}.", "it", f"In the text: {english}.") == [missing]


@pytest.mark.parametrize(
    "italian, english, missing",
    [
        ("Secondo l'Istat il PIL è cresciuto.", "According to Istat, GDP grew.", []),
        ("La Procura di Milano indaga.", "Milan prosecutors are investigating.", []),
        ("Il Comune ha chiuso le scuole.", "The city closed the schools.", []),
        ("L'Unione Europea e la BCE.", "The European Union and the ECB.", []),
        ("«Siamo pronti», ha detto Draghi.", "'We are ready,' said Draghi.", []),
        ("Secondo l'Istat il PIL è cresciuto.", "According to the institute, GDP grew.", ["Istat"]),
        ("Ha parlato Sergio Mattarella.", "The president spoke.", ["Sergio Mattarella"]),
    ],
)
def test_names_kept_under_their_usual_english_forms(italian, english, missing):
    assert missing_names(italian, english) == missing


def summarized(summary: str, italian: str | None = None) -> list[list[str]]:
    engines = {"translator": Dictionary(), "summarizer": Fixed(summary)}
    if italian is not None:
        engines["back-translator"] = Fixed(italian)
    pipe = Pipeline(PipelineConfig(device="cpu", italian_summary=italian is not None), engines=engines)
    result = pipe.process(" ".join(SOURCES))
    assert result.summary is not None
    assert result.summary.kind == "abstractive"
    return [[flag.name for flag in point.flags] for point in result.summary.points]


def test_a_summary_point_that_invents_a_figure_or_a_name_is_unsupported():
    assert summarized("GDP grew by 4.7% in 2025.") == [[]]  # copied from the text
    assert summarized("GDP grew by 5.2% in 2025.") == [["unsupported"]]
    assert summarized("Mario Draghi met Angela Merkel in Paris.") == [["unsupported"]]
    assert summarized("Weather was nice overall.") == [["ungrounded"]]


def test_the_italian_rendering_of_a_point_keeps_its_numbers():
    assert summarized("GDP grew by 4.7% in 2025.", "Il PIL è cresciuto del 4,7% nel 2025.") == [[]]
    assert summarized("GDP grew by 4.7% in 2025.", "Il PIL è cresciuto nel 2025.") == [["numbers"]]


def test_the_tiny_copy_model_leaves_italian_flagged_and_english_not(tiny_models):
    italian = ["Il museo resterà aperto tutti i giorni.", "Il sindaco ha promesso nuovi libri."]
    english = ["The museum is open.", "The mayor is here."]
    pipe = Pipeline(tiny_config(tiny_models, num_beams=1))
    result = pipe.process("\n".join([*italian, *english]), summarize=False)
    untranslated = ["untranslated" in [f.name for f in flags] for flags in result.flags]
    assert untranslated == [True, True, False, False]
    assert all(score is not None and score <= 0 for score in result.scores)


def test_an_engine_without_scores_still_plugs_in_with_null_scores():
    pipe = Pipeline(PipelineConfig(device="cpu"), engines={"translator": Dictionary()})
    record = pipe.process(SOURCES[0], summarize=False).to_dict()
    assert record["segments"][0]["score"] is None
    assert record["segments"][0]["flags"] == []
    assert record["review"] == []


def test_batch_writes_the_review_and_counts_flags(tmp_path):
    from pipeline import BatchOptions, run_batch

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "giusto.txt").write_text(SOURCES[0], encoding="utf-8")
    (inbox / "sbagliato.txt").write_text(" ".join(SOURCES[:2]), encoding="utf-8")
    wrong = Dictionary({SOURCES[0]: "GDP grew by 47% in 2025."})
    pipe = Pipeline(PipelineConfig(device="cpu"), engines={"translator": wrong})
    report = run_batch(pipe, [str(inbox)], BatchOptions(out_dir=tmp_path / "out", summarize=False))
    review = [json.loads(line) for line in (tmp_path / "out" / "review.jsonl").read_text().splitlines()]
    assert [(r["id"], r["segment"], r["flag"]) for r in review] == [
        ("giusto", 0, "numbers"),
        ("sbagliato", 0, "numbers"),
    ]
    assert review[0]["detail"] == "4,7 not in the translation"
    assert review[0]["output"] == "giusto.json"
    assert report.flagged == 2
    assert report.flags == {"numbers": {"documents": 2, "segments": 2, "points": 0}}
    assert report.line().endswith("; 2 to check (review.jsonl)")


def test_an_italian_rendering_the_back_translator_was_unsure_of_is_flagged():
    class Unsure(Fixed):
        def generate_scored(self, texts):
            return [(self.text, -4.0) for _ in texts]

    engines = {
        "translator": Dictionary(),
        "summarizer": Fixed("GDP grew by 4.7% in 2025."),
        "back-translator": Unsure("Il PIL è cresciuto del 4,7% nel 2025."),
    }
    result = Pipeline(PipelineConfig(device="cpu"), engines=engines).process(" ".join(SOURCES))
    [point] = result.summary.points
    assert point.it_score == -4.0
    assert [f.name for f in point.flags] == ["low_confidence"]
    relaxed = PipelineConfig(device="cpu", min_score_back_translator=-5.0)
    assert not Pipeline(relaxed, engines=engines).process(" ".join(SOURCES)).summary.points[0].flags


def _long_result(characters: int) -> Result:
    """A document of about ``characters`` characters, dense with numbers, dates and names,
    translated by a copy, with a summary point per 2,000 characters."""
    sentence = (
        "Il 15 marzo 2026 il Comune di Roma ha speso 3,5 milioni di euro per 1.200 nuovi libri "
        "alle 18.30, ha detto Mario Rossi dell'Istat. "
    )
    text = sentence * (characters // len(sentence))
    segments = tuple(
        Segment(i, 0, i * len(sentence), (i + 1) * len(sentence) - 1, sentence.strip())
        for i in range(characters // len(sentence))
    )
    points = tuple(
        Point(en=f"Rome spent 3.5 million euros on {i} books on March 15.", it=None, source_segments=(i,))
        for i in range(characters // 2000)
    )
    summary = Summary(en=" ".join(p.en for p in points), it=None, kind="hierarchical", points=points)
    return Result("long", text, segments, tuple(s.text for s in segments), text, {}, summary=summary)


def test_the_checks_of_a_long_document_grow_with_its_length_not_its_square():
    """A real page once held a batch for 20 minutes here: every number searched the whole
    text before it, and every summary point re-read the whole translation."""
    settings = CheckSettings()
    seconds = []
    for characters in (50_000, 200_000):
        result = _long_result(characters)
        start = time.perf_counter()
        check_result(result, settings)
        seconds.append(time.perf_counter() - start)
    assert seconds[1] < 60, "200,000 characters must be checked in seconds, not minutes"
    ratio = seconds[1] / seconds[0]
    assert ratio < 8, f"4x the text took {ratio:.1f}x the time (linear: 4x)"
