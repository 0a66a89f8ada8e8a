"""it2en eval: sacreBLEU and rouge-score figures, comparisons, calibration, reference sets."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

import pytest
from tiny import SENTENCES, tiny_config
from typer.testing import CliRunner

from pipeline import InputError, Pipeline, PipelineConfig
from pipeline.cli import app
from pipeline.evaluate import ReferenceItem, evaluate, read_reference_set

ENGLISH = {
    "Il museo resterà aperto tutti i giorni.": "The museum will stay open every day.",
    "I lavori partiranno a settembre.": "The works will start in September.",
    "Il sindaco ha promesso nuovi libri.": "The mayor promised new books.",
    "Il lunedì è chiuso.": "It is closed on Mondays.",
    "Il consiglio comunale ha approvato il bilancio.": "The city council approved the budget.",
    "Il piccolo paziente sta bene, dice il medico.": "The little patient is well, the doctor says.",
}


class Dictionary:
    """An engine that knows the English of each sentence above; ``wrong`` sentences come
    back untranslated (Italian), and with ``drop`` the last word of every output is lost."""

    name = "dictionary"
    max_input_tokens = 64

    def __init__(self, wrong: Sequence[str] = (), drop: bool = False):
        self.wrong, self.drop = set(wrong), drop

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) + 1 for t in texts]

    def generate(self, texts: Sequence[str]) -> list[str]:
        out = [t if t in self.wrong else ENGLISH[t] for t in texts]
        return [" ".join(o.split()[:-1]) + "." if self.drop else o for o in out]


def items(count: int = 30) -> list[ReferenceItem]:
    sources = list(ENGLISH)
    return [
        ReferenceItem(str(i), sources[i % len(sources)], (ENGLISH[sources[i % len(sources)]],))
        for i in range(count)
    ]


def test_a_reference_equal_to_the_copy_models_output_scores_100(tiny_models):
    copied = [ReferenceItem(str(i), s, (s,)) for i, s in enumerate(SENTENCES)]
    evaluation = evaluate(copied, {"copy": Pipeline(tiny_config(tiny_models, num_beams=1))}, n_bootstrap=100)
    assert [round(m.score, 2) for m in evaluation.systems[0].metrics] == [100.0, 100.0, 100.0]
    assert all(s.chrf == 100.0 for s in evaluation.systems[0].segments)


def test_scores_equal_sacrebleus_own_command_line(tmp_path):
    edited = [ReferenceItem(i.id, i.source, (i.references[0].replace("The ", "A ", 1),)) for i in items(12)]
    evaluation = evaluate(edited, {"d": Pipeline(engines={"translator": Dictionary()})}, n_bootstrap=1)
    (tmp_path / "ref.txt").write_text("\n".join(i.references[0] for i in edited) + "\n")
    (tmp_path / "hyp.txt").write_text("\n".join(s.hypothesis for s in evaluation.systems[0].segments) + "\n")
    command = [sys.executable, "-m", "sacrebleu", str(tmp_path / "ref.txt"), "-i", str(tmp_path / "hyp.txt")]
    printed = subprocess.run(
        [*command, "-m", "bleu", "chrf", "-b"], capture_output=True, text=True, check=True
    )
    theirs = json.loads(printed.stdout)  # with -b and two metrics: a JSON list of scores
    ours = [round(m.score, 1) for m in evaluation.systems[0].metrics[:2]]
    assert ours == [round(x, 1) for x in theirs]
    assert 0 < ours[0] < 100


def test_rouge_is_rouge_scores_own_figure(tiny_models):
    from rouge_score import rouge_scorer

    text = " ".join(SENTENCES[:4])
    reference = "Il museo resterà aperto. I lavori partiranno."
    pipeline = Pipeline(tiny_config(tiny_models, num_beams=1, italian_summary=False))
    evaluation = evaluate(
        [ReferenceItem("a", text, (text,), (reference,))], {"copy": pipeline}, n_bootstrap=1
    )
    summary = pipeline.process(text).summary.en
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    expected = scorer.score("\n".join(reference.split(". ")), summary)  # one sentence a line
    assert evaluation.systems[0].rouge["rouge1"] == pytest.approx(100 * expected["rouge1"].fmeasure)
    assert evaluation.systems[0].rouge["rouge2"] == pytest.approx(100 * expected["rouge2"].fmeasure)


def test_a_worse_system_is_significantly_worse_and_an_identical_one_is_not():
    systems = {
        "good": Pipeline(engines={"translator": Dictionary()}),
        "dropping": Pipeline(engines={"translator": Dictionary(drop=True)}),
        "same": Pipeline(engines={"translator": Dictionary()}),
    }
    evaluation = evaluate(items(60), systems, n_bootstrap=200)
    by = {(c.system, c.metric): c for c in evaluation.comparisons}
    assert by["dropping", "BLEU"].delta < 0
    assert by["dropping", "BLEU"].significant
    assert by["dropping", "chrF"].delta < 0
    assert by["dropping", "chrF"].significant
    assert by["same", "BLEU"].delta == 0
    assert not by["same", "BLEU"].significant
    assert all(s.segments_per_s > 0 for s in evaluation.systems)


def test_calibration_finds_the_known_bad_third_and_round_trips_as_config(tmp_path):
    sources = list(ENGLISH)
    wrong = sources[:2]  # a third of the sentences come back untranslated
    pipeline = Pipeline(engines={"translator": Dictionary(wrong=wrong)})
    [system] = evaluate(items(30), {"d": pipeline}, bad_below=50, n_bootstrap=1).systems
    calibration = system.calibration
    assert (calibration.bad, calibration.total) == (10, 30)
    untranslated = next(c for c in calibration.checks if c.name == "untranslated")
    assert (untranslated.flagged, untranslated.precision, untranslated.recall) == (10, 1.0, 1.0)
    snippet = tmp_path / "checks.toml"
    snippet.write_text(calibration.config_snippet())
    config = PipelineConfig.from_file(snippet)
    low, high = calibration.length_ratio
    assert (config.length_ratio_min, config.length_ratio_max) == (round(low, 3), round(high, 3))


def test_reference_sets_in_their_formats(tmp_path):
    (tmp_path / "it.txt").write_text("Uno.\n\nTre.\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("One.\n\nThree.\n", encoding="utf-8")
    (tmp_path / "en2.txt").write_text("1.\n\n3.\n", encoding="utf-8")
    parallel = read_reference_set(src=tmp_path / "it.txt", refs=[tmp_path / "en.txt", tmp_path / "en2.txt"])
    assert [(i.source, i.references) for i in parallel] == [
        ("Uno.", ("One.", "1.")),
        ("", ("", "")),
        ("Tre.", ("Three.", "3.")),
    ]
    (tmp_path / "short.txt").write_text("One.\n")
    with pytest.raises(InputError, match=r"it.txt has 3 lines but .*short.txt has 1"):
        read_reference_set(src=tmp_path / "it.txt", refs=[tmp_path / "short.txt"])
    tmx = "".join(
        [
            '<?xml version="1.0" encoding="UTF-16"?>',
            '<tmx version="1.4"><header srclang="it-IT" datatype="plaintext" segtype="sentence"',
            ' adminlang="en" o-tmf="x" creationtool="t" creationtoolversion="1"/><body>',
            '<tu tuid="a"><tuv xml:lang="it-IT"><seg>Il museo è <bpt i="1">&lt;b&gt;</bpt>aperto',
            '<ept i="1">&lt;/b&gt;</ept>.</seg></tuv><tuv xml:lang="en-GB"><seg>The museum is open.</seg>',
            '</tuv><tuv xml:lang="en-US"><seg>The museum\'s open.</seg></tuv></tu>',
            '<tu><tuv xml:lang="fr"><seg>Bonjour.</seg></tuv></tu></body></tmx>',
        ]
    )
    (tmp_path / "memory.tmx").write_bytes(tmx.encode("utf-16"))
    [unit] = read_reference_set(tmx=tmp_path / "memory.tmx")
    assert unit.id == "a"
    assert unit.references == ("The museum is open.", "The museum's open.")
    assert unit.source == "Il museo è aperto."  # the markup codes are not text
    (tmp_path / "set.jsonl").write_text(
        json.dumps({"id": "x", "text": "Uno.", "reference": ["One.", "1."]}) + "\n"
    )
    assert read_reference_set(jsonl=tmp_path / "set.jsonl")[0].references == ("One.", "1.")


def test_the_command_prints_signatures_and_writes_json_and_html(tiny_models, translate_flags, tmp_path):
    (tmp_path / "it.txt").write_text("\n".join(SENTENCES[:4]) + "\n", encoding="utf-8")
    runner = CliRunner()
    base = ["eval", "--src", str(tmp_path / "it.txt"), "--ref", str(tmp_path / "it.txt"), "--bootstrap", "50"]
    shown = runner.invoke(app, [*base, *translate_flags])
    assert shown.exit_code == 0, shown.output
    assert "| it2en | 100.00" in shown.stdout
    assert "nrefs:1|bs:50|" in shown.stdout
    as_json = runner.invoke(app, [*base, *translate_flags, "--format", "json"])
    data = json.loads(as_json.stdout)
    assert data["systems"][0]["metrics"][0]["name"] == "BLEU"
    assert data["comparisons"] == []
    page = tmp_path / "eval.html"
    assert runner.invoke(app, [*base, *translate_flags, "--format", "html", "-o", str(page)]).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html
    assert "The 20 worst segments" in html
    assert "http" not in html.split("<main>")[1]
    (tmp_path / "b1.toml").write_text("[decoding]\nnum_beams = 1\n")
    (tmp_path / "b2.toml").write_text("[decoding]\nnum_beams = 2\n")
    configs = [str(tmp_path / "b1.toml"), str(tmp_path / "b2.toml")]
    compared = runner.invoke(app, [*base, *translate_flags, "--format", "json", "--compare", *configs])
    assert compared.exit_code == 0, compared.output
    assert [s["name"] for s in json.loads(compared.stdout)["systems"]] == ["b1", "b2"]
    assert runner.invoke(app, [*base, *translate_flags, "--compare", configs[0]]).exit_code == 2


def test_term_accuracy_counts_the_occurrences_each_system_follows():
    from pipeline.terms import Glossary

    glossary = Glossary.of(
        [("sindaco", "mayor"), ("consiglio comunale", "city council"), ("museo", "gallery")]
    )
    config = PipelineConfig(glossary_method="none")
    pipe = Pipeline(config, engines={"translator": Dictionary()}, glossary=glossary)
    evaluation = evaluate(items(30), {"d": pipe}, n_bootstrap=10)
    terms = evaluation.systems[0].terms
    assert terms is not None
    assert (terms.occurrences, terms.followed) == (15, 10)
    assert round(terms.accuracy, 2) == 66.67
    assert evaluation.to_dict()["systems"][0]["terms"] == {
        "occurrences": 15,
        "followed": 10,
        "accuracy": terms.accuracy,
    }
    plain = evaluate(items(6), {"d": Pipeline(config, engines={"translator": Dictionary()})}, n_bootstrap=10)
    assert plain.systems[0].terms is None


def test_eval_with_a_glossary_compares_following_it_and_not(tiny_models, translate_flags, tmp_path):
    (tmp_path / "it.txt").write_text("Il sindaco parla.\nIl comune chiude.\nPiove.\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("Il mayor parla.\nIl municipality chiude.\nPiove.\n", encoding="utf-8")
    (tmp_path / "g.tsv").write_text("sindaco\tmayor\ncomune\tmunicipality\n", encoding="utf-8")
    (tmp_path / "none.toml").write_text('[glossary]\nmethod = "none"\n')
    (tmp_path / "inline.toml").write_text('[glossary]\nmethod = "inline"\n')
    args = ["eval", "--src", str(tmp_path / "it.txt"), "--ref", str(tmp_path / "en.txt"), "--bootstrap", "50"]
    args += [*translate_flags, "--num-beams", "1", "--glossary", str(tmp_path / "g.tsv")]
    done = CliRunner().invoke(
        app, [*args, "--compare", str(tmp_path / "none.toml"), str(tmp_path / "inline.toml")]
    )
    assert done.exit_code == 0, done.output
    assert "| none | 0.0 % | 0 | 2 |" in done.stdout
    assert "| inline | 100.0 % | 2 | 2 |" in done.stdout
