"""The Ray Data runner on a local Ray started by the test, with the tiny models."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from tiny import tiny_config
from typer.testing import CliRunner

from pipeline import ConfigError, Pipeline
from pipeline.cli import app

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from pipeline.distributed import DistributedOptions, run_distributed  # noqa: E402

DOCS = [
    ("a", "Il museo resterà aperto tutti i giorni. I lavori partiranno a settembre."),
    ("b", "Il sindaco ha promesso nuovi libri."),
    (
        "c",
        "Il piccolo paziente sta bene. Il lunedì è chiuso. Le azzurre hanno giocato una partita "
        "straordinaria. Gli studenti potranno scegliere tra sette tracce diverse.",
    ),
    ("d", "   "),
]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    yield
    ray.shutdown()


def shards(folder: Path, prefix: str) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted(folder.glob(f"{prefix}-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_records_equal_the_single_machine_pipeline(local_ray, tiny_models, tmp_path):
    config = tiny_config(tiny_models)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = [json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in DOCS]
    (corpus / "docs.jsonl").write_text("\n".join([*lines, "{rotto", '{"id": "e"}']) + "\n", encoding="utf-8")
    (corpus / "nota.txt").write_text("Il lunedì è chiuso.", encoding="utf-8")
    (corpus / "binario.md").write_bytes(b"\x00\x01")
    out = tmp_path / "out"
    report = run_distributed(
        [str(corpus)],
        out,
        config.with_overrides(docs_per_chunk=2),
        DistributedOptions(workers=1, records_per_shard=2),
    )
    records = shards(out, "part")
    expected = [
        r.to_dict() for r in Pipeline(config).process_many([*DOCS[:3], ("nota", "Il lunedì è chiuso.")])
    ]
    by_id = {r["id"]: r for r in records}
    assert sorted(by_id) == ["a", "b", "c", "nota"]
    for record in expected:
        assert by_id[record["id"]] == record
    assert [r["id"] for r in records] == ["a", "b", "c", "nota"]  # input order kept
    assert report.processed == 4
    assert report.shards == 2
    errors = shards(out, "errors")
    reasons = sorted(e["reason"] for e in errors)
    assert len(errors) == report.failed == 4
    assert any(r.startswith("malformed JSON") for r in reasons)
    assert any(e["input"].endswith("docs.jsonl:5") for e in errors)  # named as on one machine
    assert '"text" must be a string, got missing' in reasons
    assert "document is empty" in reasons
    assert any(r.startswith("binary file") for r in reasons)


def test_without_ray_the_command_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)
    (tmp_path / "d.jsonl").write_text('{"id": "a", "text": "Ciao."}\n')
    result = CliRunner().invoke(app, ["ray", str(tmp_path / "d.jsonl"), str(tmp_path / "out")])
    assert result.exit_code == 5  # the environment's problem, not a usage error
    hint = "it2en: error: it2en ray needs Ray Data: pip install 'it2en[ray]' ("
    assert result.stderr.strip().startswith(hint)
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "options, message",
    [
        ({"workers": 0}, "workers and records-per-shard must be positive"),
        ({"gpus_per_worker": -1}, "gpus-per-worker must not be negative"),
        ({"cpus_per_worker": 0}, "cpus-per-worker must be positive"),
    ],
)
def test_bad_distribution_options_name_the_problem(options, message):

    with pytest.raises(ConfigError, match=message):
        DistributedOptions(**options)


def test_an_empty_input_name_is_refused_before_ray_starts(tmp_path):
    from pipeline import PipelineConfig
    from pipeline.distributed import run_distributed

    with pytest.raises(ConfigError, match="an empty input name"):
        run_distributed([""], tmp_path / "out", PipelineConfig(), DistributedOptions())
    assert not (tmp_path / "out").exists()


def test_a_pool_that_would_take_every_cpu_is_shrunk_so_the_reading_can_run(local_ray, tiny_models, tmp_path):
    """2 workers of 1 CPU on a 2-CPU Ray used to leave the read task waiting for ever."""
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in DOCS[:3]), encoding="utf-8")
    out = tmp_path / "out"
    report = run_distributed(
        [str(docs)], out, tiny_config(tiny_models, docs_per_chunk=1), DistributedOptions(workers=2)
    )
    assert report.processed == 3
    assert [r["id"] for r in shards(out, "part")] == ["a", "b", "c"]


def test_cli_batch_and_ray_name_documents_by_the_same_rule(local_ray, tiny_models, translate_flags, tmp_path):
    """One discovery and id rule for every front end: relative paths, hidden files skipped,
    JSONL records without an id named by file and line."""
    from pipeline import BatchOptions, run_batch

    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / ".nascosta").mkdir()
    (inbox / "a.txt").write_text("Il lunedì è chiuso.", encoding="utf-8")
    (inbox / "sub" / "b.md").write_text("Il sindaco ha promesso nuovi libri.", encoding="utf-8")
    (inbox / "sub" / "feed.jsonl").write_text('{"text": "Il piccolo paziente sta bene."}\n', encoding="utf-8")
    (inbox / ".bozza.txt").write_text("Non letto.", encoding="utf-8")
    (inbox / ".nascosta" / "c.txt").write_text("Non letto.", encoding="utf-8")
    expected = ["a", "sub/b", "sub/feed-1"]

    cli = CliRunner().invoke(app, ["translate", str(inbox), *translate_flags, "--format", "json"])
    assert cli.exit_code == 0, cli.output
    assert [r["id"] for r in json.loads(cli.stdout)] == expected

    config = tiny_config(tiny_models)
    batch_out = tmp_path / "batch"
    report = run_batch(Pipeline(config), [str(inbox)], BatchOptions(out_dir=batch_out, summarize=False))
    assert report.processed == 3
    assert report.failed == 0
    assert sorted(json.loads(p.read_text())["id"] for p in batch_out.glob("*.json")) == expected

    ray_out = tmp_path / "ray"
    run_distributed([str(inbox)], ray_out, config, DistributedOptions(summarize=False))
    assert [r["id"] for r in shards(ray_out, "part")] == expected


def test_a_worker_killed_mid_job_is_replaced_and_every_record_written_once(local_ray, tiny_models, tmp_path):
    """What the README promises of Ray: a dead actor is restarted, its batch re-run, and
    only finished batches reach the output, so nothing is lost or written twice."""
    import os
    import signal
    import threading
    import time

    sentences = [t for _, t in DOCS[:3]]
    count = 240
    docs = tmp_path / "docs.jsonl"
    # Enough documents that the job outlasts a worker's start (a converted model loads in
    # about a second, without transformers) by many batches.
    lines = [json.dumps({"id": f"d{i:03d}", "text": sentences[i % 3]}) for i in range(count)]
    docs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    outcome: dict = {}

    def job() -> None:
        config = tiny_config(tiny_models, docs_per_chunk=1, num_beams=1)
        outcome["report"] = run_distributed([str(docs)], out, config, DistributedOptions(summarize=False))

    earlier = set(_processes_titled("MapWorker"))  # other tests' actors, maybe still exiting
    thread = threading.Thread(target=job, daemon=True)
    thread.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and thread.is_alive():
        workers = [pid for pid in _processes_titled("MapWorker") if pid not in earlier]
        if workers:
            time.sleep(1)  # let it take a batch or two
            assert thread.is_alive(), "the job ended before a worker could be killed"
            try:
                os.kill(workers[0], signal.SIGKILL)
                killed = workers[0]
            except ProcessLookupError:
                earlier.add(workers[0])
        time.sleep(0.2)
    thread.join(timeout=300)
    assert killed is not None, "no worker actor was seen alive"
    assert not thread.is_alive()
    assert "report" in outcome
    ids = [r["id"] for r in shards(out, "part")]
    assert ids == [f"d{i:03d}" for i in range(count)]  # each once, in order
    assert outcome["report"].processed == count
    assert outcome["report"].failed == 0
    assert outcome["report"].restarts == 1  # said at the end of the run


def _processes_titled(part: str) -> list[int]:
    """Processes whose title (Ray names an actor's process ``ray::<its class>``) has ``part``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("ray::") and part in title:
                pids.append(int(entry.name))
    return pids


def test_ray_reads_formatted_files_and_keeps_where_each_segment_came_from(local_ray, tiny_models, tmp_path):
    from test_epub import book
    from test_formats import PAGE, make_pdf

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "pagina.html").write_text(PAGE, encoding="utf-8")
    (inbox / "avviso.pdf").write_bytes(make_pdf(2))
    (inbox / "rotto.pdf").write_bytes(make_pdf(2)[:1500])
    (inbox / "libro.epub").write_bytes(book())
    (inbox / "tabella.ods").write_bytes(
        (Path(__file__).parent / "corpus/odf/odfdo-simple_table.ods").read_bytes()
    )
    out = tmp_path / "out"
    config = tiny_config(tiny_models, num_beams=1)
    report = run_distributed([str(inbox)], out, config, DistributedOptions(summarize=False))
    assert report.processed == 4
    assert report.failed == 1
    records = {r["id"]: r for r in shards(out, "part")}
    assert records["pagina"]["format"] == "html"
    assert records["avviso"]["format"] == "pdf"
    assert records["libro"]["format"] == "epub"
    assert (
        records["libro"]["segments"][0]["where"] == "OEBPS/content.opf /*/*[1]/dc:title"
    )  # the book's title
    assert records["tabella"]["format"] == "ods"
    assert {s["where"] for s in records["avviso"]["segments"]} == {
        *("page 1", "page 2"),
        *("running header", "running footer"),
    }
    assert "/html/head/title" in {s["where"] for s in records["pagina"]["segments"]}
    assert "truncated PDF" in shards(out, "errors")[0]["reason"]


def test_the_glossary_is_shipped_to_the_workers_and_part_of_the_jobs_identity(
    local_ray, tiny_models, tmp_path
):
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "a", "text": "Il sindaco e il comune."}) + "\n", encoding="utf-8")
    glossary = tmp_path / "g.tsv"
    glossary.write_text("sindaco\tmayor\n", encoding="utf-8")
    config = tiny_config(tiny_models, num_beams=1, glossary_files=(str(glossary),), glossary_keep=("comune",))
    out = tmp_path / "out"
    run_distributed([str(docs)], out, config, DistributedOptions(summarize=False))
    assert [r["translation"] for r in shards(out, "part")] == ["Il mayor e il comune."]
    glossary.write_text("sindaco\tmayor\ncomune\ttown\n", encoding="utf-8")
    changed = replace(config, glossary_keep=())
    run_distributed([str(docs)], out, changed, DistributedOptions(summarize=False))
    assert [r["translation"] for r in shards(out, "part")] == ["Il mayor e il town."]


def test_the_driver_tells_its_progress(local_ray, tiny_models, tmp_path, monkeypatch, caplog):
    """A progress line (rows, rows/s, workers alive) every minute in the logs (here after
    every batch), and the rows to the caller's progress callback (the CLI's bar)."""
    import logging

    from pipeline.distributed.job import _Watch

    monkeypatch.setattr(_Watch, "LINE_SECONDS", 0.0)
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in DOCS[:3]), encoding="utf-8")
    seen: list[int] = []
    options = DistributedOptions(progress=lambda rows, rate: seen.append(rows), summarize=False)
    with caplog.at_level(logging.INFO, logger="it2en.distributed"):
        run_distributed([str(docs)], tmp_path / "out", tiny_config(tiny_models, docs_per_chunk=1), options)
    assert seen == sorted(seen)
    assert seen[-1] == 3
    lines = [r.getMessage() for r in caplog.records if "rows done" in r.getMessage()]
    assert lines
    assert lines[-1].startswith("ray: 3 rows done, ")
    assert "rows/s" in lines[-1]
    assert "of 1 workers alive" in lines[-1] or "1 workers asked" in lines[-1]
