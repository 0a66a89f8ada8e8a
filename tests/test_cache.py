"""The output cache: a sentence seen in an earlier run is never sent to the model again."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pipeline import BatchOptions, Pipeline, PipelineConfig, run_batch
from pipeline.cache import OutputCache


class Counting:
    """A translator that upper-cases and remembers every input it was sent."""

    name = "counting"
    max_input_tokens = 64

    def __init__(self) -> None:
        self.seen: list[str] = []

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) + 1 for t in texts]

    def generate(self, texts: Sequence[str]) -> list[str]:
        self.seen += texts
        return [t.upper() for t in texts]


A = "Il museo resterà aperto. I lavori partiranno a settembre."
B = "Il museo resterà aperto. Il sindaco ha promesso nuovi libri."


def test_outputs_round_trip_by_namespace_and_the_oldest_go_first(tmp_path):
    cache = OutputCache(tmp_path / "c.sqlite", max_entries=3)
    cache.put("m1", [("uno", "one", -0.1), ("due", "two", None)])
    assert cache.get("m1", ["uno", "due", "tre"]) == {"uno": ("one", -0.1), "due": ("two", None)}
    assert cache.get("m2", ["uno"]) == {}  # another model or setting: another namespace
    cache.get("m1", ["uno"])  # "uno" used again: "due" is now the least recently used
    cache.put("m1", [("tre", "three", None), ("quattro", "four", None)])
    assert set(cache.get("m1", ["uno", "due", "tre", "quattro"])) == {"uno", "tre", "quattro"}
    cache.close()
    assert OutputCache(tmp_path / "c.sqlite").get("m1", ["tre"]) == {"tre": ("three", None)}  # persisted


def test_a_broken_cache_file_is_set_aside_and_a_new_one_started(tmp_path, caplog):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    with caplog.at_level(logging.WARNING, logger="it2en"):
        cache = OutputCache(path)
    cache.put("m", [("uno", "one", None)])
    assert cache.get("m", ["uno"]) == {"uno": ("one", None)}
    assert [p.name.split("-")[0] for p in tmp_path.glob("c.sqlite.broken-*")] == ["c.sqlite.broken"]
    assert "is unusable" in caplog.text


def test_a_sentence_translated_in_an_earlier_run_is_not_sent_again(tmp_path):
    config = PipelineConfig(device="cpu", output_cache=str(tmp_path / "outputs.sqlite"))
    first = Counting()
    expected = Pipeline(config, engines={"translator": first}).process(A, summarize=False)
    assert sorted(first.seen) == ["I lavori partiranno a settembre.", "Il museo resterà aperto."]
    second = Counting()
    result = Pipeline(config, engines={"translator": second}).process(B, summarize=False)
    assert second.seen == ["Il sindaco ha promesso nuovi libri."]  # the first sentence came from the cache
    assert result.translation == B.upper()
    again = Counting()
    assert Pipeline(config, engines={"translator": again}).process(A, summarize=False) == expected
    assert again.seen == []
    other = Counting()
    other.name = "another-model"  # another engine: its own outputs
    Pipeline(config, engines={"translator": other}).process(A, summarize=False)
    assert len(other.seen) == 2
    beams = Counting()  # another setting that shapes outputs: its own outputs too
    Pipeline(config.with_overrides(num_beams=2), engines={"translator": beams}).process(A, summarize=False)
    assert len(beams.seen) == 2


def test_batch_keeps_its_outputs_in_the_output_folder_unless_told_otherwise(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.txt").write_text(A, encoding="utf-8")
    engine = Counting()
    out = tmp_path / "out"
    options = BatchOptions(out_dir=out, summarize=False)
    run_batch(Pipeline(PipelineConfig(device="cpu"), engines={"translator": engine}), [str(inbox)], options)
    assert (out / ".it2en" / "outputs.sqlite").is_file()
    assert len(engine.seen) == 2
    (inbox / "b.txt").write_text(B, encoding="utf-8")
    engine = Counting()
    report = run_batch(
        Pipeline(PipelineConfig(device="cpu"), engines={"translator": engine}), [str(inbox)], options
    )
    assert report.processed == 1
    assert report.skipped == 1
    assert engine.seen == ["Il sindaco ha promesso nuovi libri."]
    off = tmp_path / "off"
    config = PipelineConfig(device="cpu", output_cache="none")
    run_batch(Pipeline(config, engines={"translator": Counting()}), [str(inbox)], BatchOptions(out_dir=off))
    assert not (off / ".it2en" / "outputs.sqlite").exists()


def test_summaries_and_their_italian_come_from_the_cache_too(tmp_path):
    text = " ".join(f"Frase numero {i} del documento di prova." for i in range(6))
    config = PipelineConfig(device="cpu", output_cache=str(tmp_path / "outputs.sqlite"))
    engines = {role: Counting() for role in ("translator", "summarizer", "back-translator")}
    first = Pipeline(config, engines=engines).process(text)
    assert all(engine.seen for engine in engines.values())
    again = {role: Counting() for role in ("translator", "summarizer", "back-translator")}
    assert Pipeline(config, engines=again).process(text) == first
    assert not any(engine.seen for engine in again.values())


def test_the_cache_flag_of_the_command_line(translate_flags, tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    doc = tmp_path / "d.txt"
    doc.write_text("Il lunedì è chiuso.", encoding="utf-8")
    cache = tmp_path / "outputs.sqlite"
    runs = [
        CliRunner().invoke(
            app, ["translate", str(doc), *translate_flags, "--cache", str(cache), "-f", "text"]
        )
        for _ in range(2)
    ]
    assert [r.exit_code for r in runs] == [0, 0]
    assert runs[0].stdout == runs[1].stdout == "Il lunedì è chiuso.\n"
    import sqlite3

    assert sqlite3.connect(cache).execute("SELECT COUNT(*) FROM outputs").fetchone() == (1,)


def test_two_readers_while_one_run_writes(tmp_path):
    """WAL: readers never wait for the writer, and never see a half-written batch."""
    import threading

    path = tmp_path / "shared.sqlite"
    writer = OutputCache(path)
    readers = [OutputCache(path), OutputCache(path)]
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for batch in range(40):
                writer.put("m", [(f"{batch}-{i}", f"out {batch}-{i}", None) for i in range(50)])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            done.set()

    def read(cache: OutputCache) -> None:
        try:
            while not done.is_set():
                for batch in range(40):
                    found = cache.get("m", [f"{batch}-{i}" for i in range(50)])
                    assert len(found) in (0, 50)  # a batch is there whole or not at all
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write), *(threading.Thread(target=read, args=(r,)) for r in readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert len(readers[0].get("m", [f"39-{i}" for i in range(50)])) == 50


def test_one_entry_per_text_whatever_front_end_asked(tiny_models, tmp_path):
    """The command line asks for scores (its low_confidence check), the service does not:
    one row for a sentence translated by both, in either order, and the same output."""
    import sqlite3

    from tiny import tiny_config

    from pipeline import Pipeline

    cache = tmp_path / "outputs.sqlite"
    config = tiny_config(tiny_models, num_beams=1, output_cache=str(cache))
    text = "Il museo resterà aperto tutti i giorni."
    record = Pipeline(config).process(text, "a", summarize=False)  # scored, as it2en translate
    assert record.scores[0] is not None
    assert Pipeline(config).translate([text]) == [record.translation]  # unscored, as the service
    rows = sqlite3.connect(cache).execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
    assert rows == 1
    other = tmp_path / "other.sqlite"
    served = Pipeline(config.with_overrides(output_cache=str(other)))
    served.translate([text])  # the service first: no score kept...
    again = Pipeline(config.with_overrides(output_cache=str(other))).process(text, "a", summarize=False)
    assert again.scores[0] is not None  # ...so the next scored request makes it, in the same row
    assert sqlite3.connect(other).execute("SELECT COUNT(*) FROM outputs").fetchone()[0] == 1
