"""Batch runs on the tiny models: resume, skip, locks, signals, contained names, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tiny import SENTENCES, tiny_config
from typer.testing import CliRunner

from pipeline import BatchOptions, Pipeline, PipelineConfig, run_batch
from pipeline.cli import app
from pipeline.outputs import TEMP_SUFFIX


def make_inbox(folder: Path, count: int) -> Path:
    """``count`` small Italian documents in ``folder`` (and a sub-folder), all different."""
    for i in range(count):
        sub = folder / ("archivio" if i % 3 == 0 else "")
        sub.mkdir(parents=True, exist_ok=True)
        text = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(1 + i % 3))
        (sub / f"doc{i:03d}.txt").write_text(f"{text}\n\nNumero {i}.", encoding="utf-8")
    return folder


@pytest.fixture
def config(tiny_models) -> PipelineConfig:
    return tiny_config(tiny_models, num_beams=1)


def outputs(out: Path, suffix: str = ".json") -> dict[str, dict]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in out.glob(f"*{suffix}")}


def test_second_run_skips_everything_and_changes_are_redone(config, tmp_path):
    inbox = make_inbox(tmp_path / "in", 5)
    out = tmp_path / "out"
    options = BatchOptions(out_dir=out, formats=("json", "md"))
    first = run_batch(Pipeline(config), [str(inbox)], options)
    assert (first.processed, first.skipped, first.failed) == (5, 0, 0)
    assert sorted(outputs(out)) == sorted(
        ["archivio_doc000.json", "doc001.json", "doc002.json", "archivio_doc003.json", "doc004.json"]
    )
    assert len(list(out.glob("*.md"))) == 5
    record = outputs(out)["doc001.json"]
    assert record["id"] == "doc001"
    assert record["translation"] == (inbox / "doc001.txt").read_text()

    fresh = Pipeline(config)
    second = run_batch(fresh, [str(inbox)], options)
    assert (second.processed, second.skipped) == (0, 5)
    assert fresh._models.loaded == frozenset(), "nothing to do must load no model"

    (inbox / "doc002.txt").write_text("Il lunedì è chiuso.", encoding="utf-8")
    (out / "doc004.md").unlink()
    third = run_batch(Pipeline(config), [str(inbox)], options)
    assert (third.processed, third.skipped) == (2, 3)
    assert outputs(out)["doc002.json"]["translation"] == "Il lunedì è chiuso."

    forced = run_batch(Pipeline(config), [str(inbox)], BatchOptions(out_dir=out, force=True))
    assert forced.processed == 5
    changed = run_batch(Pipeline(config.with_overrides(num_beams=2)), [str(inbox)], options)
    assert changed.processed == 5, "new decoding settings redo every document"


def test_ids_are_contained_and_collisions_kept_apart(config, tmp_path):
    docs = tmp_path / "docs.jsonl"
    ids = ["../../fuori", "/etc/assoluto", "a/b", "a_b", "A_B", "errors", "a/b"]
    docs.write_text(
        "".join(json.dumps({"id": i, "text": f"{SENTENCES[k]}"}) + "\n" for k, i in enumerate(ids)),
        encoding="utf-8",
    )
    out = tmp_path / "deep" / "out"
    report = run_batch(Pipeline(config), [str(docs)], BatchOptions(out_dir=out, summarize=False))
    assert report.processed == len(ids)
    written = outputs(out)
    assert len(written) == len(ids)
    assert sorted(r["id"] for r in written.values()) == sorted(ids)
    assert {r["translation"] for r in written.values()} == set(SENTENCES[: len(ids)])
    assert not any(tmp_path.glob("fuori*"))
    assert not (tmp_path / "deep" / "fuori.json").exists()
    assert "fuori.json" in written
    assert "etc_assoluto.json" in written
    assert (out / "errors.jsonl").read_text() == ""  # the file of errors, not a document's
    again = run_batch(Pipeline(config), [str(docs)], BatchOptions(out_dir=out, summarize=False))
    assert again.skipped == len(ids), "names are stable across runs"


def test_failures_go_to_errors_jsonl_and_the_rest_is_written(config, tmp_path):
    inbox = make_inbox(tmp_path / "in", 2)
    (inbox / "vuoto.txt").write_text(" \n", encoding="utf-8")
    (inbox / "rotto.txt").write_bytes(b"ok \xff\xfe")
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": "j1", "text": "Il lunedì è chiuso."}\n{"id": 2\n{"id": "j3"}\n')
    report = run_batch(Pipeline(config), [str(inbox), str(docs)], BatchOptions(out_dir=tmp_path / "out"))
    assert (report.processed, report.failed) == (3, 4)
    errors = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    by_input = {e["input"]: e for e in errors}
    assert by_input[str(inbox / "rotto.txt")]["reason"].startswith("not valid utf-8 at byte 3")
    assert by_input[str(inbox / "vuoto.txt")] | {"time": None} == {
        "id": "vuoto",
        "input": str(inbox / "vuoto.txt"),
        "reason": "document is empty",
        "time": None,
    }
    assert by_input[f"{docs}:2"]["reason"].startswith("malformed JSON")
    assert by_input[f"{docs}:3"]["id"] == "j3"
    assert all(e["time"] for e in errors)
    # Failed documents are retried on the next run; errors.jsonl describes that run only.
    (inbox / "vuoto.txt").write_text("Il piccolo paziente sta bene.", encoding="utf-8")
    again = run_batch(Pipeline(config), [str(inbox), str(docs)], BatchOptions(out_dir=tmp_path / "out"))
    assert (again.processed, again.skipped, again.failed) == (1, 3, 3)


def test_dry_run_lists_and_writes_nothing(config, tmp_path):
    inbox = make_inbox(tmp_path / "in", 3)
    planned = []
    report = run_batch(
        Pipeline(config),
        [str(inbox)],
        BatchOptions(out_dir=tmp_path / "out"),
        dry_run=True,
        on_planned=planned.append,
    )
    assert report.processed == 3
    assert [p.reason for p in planned] == ["new"] * 3
    assert not (tmp_path / "out").exists()


def cli_env() -> dict[str, str]:
    return dict(os.environ, PYTHONUNBUFFERED="1")


def batch_cmd(model_flags: list[str], *args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "batch", *args, *model_flags, "--num-beams", "1"]


def manifest_lines(out: Path) -> int:
    path = out / ".it2en" / "manifest.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def assert_complete(out: Path, count: int) -> None:
    records = outputs(out)
    assert len(records) == count
    assert sorted(r["id"] for r in records.values()) == sorted(
        f"archivio/doc{i:03d}" if i % 3 == 0 else f"doc{i:03d}" for i in range(count)
    )
    assert not [p for p in out.iterdir() if p.name.startswith(".") and p.name != ".it2en"]


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_finishes_without_redoing(model_flags, tmp_path):
    inbox = make_inbox(tmp_path / "in", 24)
    out = tmp_path / "out"
    cmd = batch_cmd(model_flags, str(inbox), "--out", str(out), "--chunk-docs", "1", "--formats", "json,md")
    proc = subprocess.Popen(cmd, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: manifest_lines(out) >= 4)
    finally:
        proc.kill()
        proc.wait()
    done = manifest_lines(out)
    assert 4 <= done < 24
    for path in out.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))  # complete files only, never partial
    rerun = subprocess.run(
        [*cmd, "--report", str(tmp_path / "report.json")], env=cli_env(), capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["processed"] == 24 - done
    assert report["skipped"] == done
    assert_complete(out, 24)
    assert manifest_lines(out) == 24  # compacted: one line per document


@pytest.mark.slow
def test_sigterm_stops_cleanly_with_its_exit_code(model_flags, tmp_path):
    inbox = make_inbox(tmp_path / "in", 24)
    out = tmp_path / "out"
    cmd = batch_cmd(model_flags, str(inbox), "--out", str(out), "--chunk-docs", "1")
    proc = subprocess.Popen(cmd, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: manifest_lines(out) >= 2)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "SIGTERM: stopping after the model batch in progress" in stderr
    assert "batch (interrupted):" in stderr
    assert "Traceback" not in stderr
    done = manifest_lines(out)
    assert done < 24
    assert len(outputs(out)) == done
    rerun = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True)
    assert rerun.returncode == 0
    assert f"{24 - done} processed, {done} skipped, 0 failed" in rerun.stderr
    assert_complete(out, 24)


@pytest.mark.slow
def test_a_second_signal_stops_at_once_leaving_only_complete_files(model_flags, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(256):  # one chunk that takes seconds: the second signal lands inside it
        paragraphs = (" ".join(SENTENCES[(i + k + p) % len(SENTENCES)] for k in range(5)) for p in range(4))
        (inbox / f"doc{i:03d}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    out, log = tmp_path / "out", tmp_path / "stderr.log"
    cmd = batch_cmd(model_flags, str(inbox), "--out", str(out), "--chunk-docs", "256", "--formats", "json,md")
    with log.open("w") as stderr:
        proc = subprocess.Popen(cmd, env=cli_env(), stdout=subprocess.DEVNULL, stderr=stderr)
        wait_for(lambda: "loaded translator" in log.read_text())  # the chunk is taken
        proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "stopping after the model batch in progress" in log.read_text())
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 128 + signal.SIGTERM
    messages = log.read_text()
    assert "SIGTERM again: stopping now" in messages
    assert "batch (interrupted):" in messages
    assert "Traceback" not in messages
    assert " 0.0s " not in messages
    written = outputs(out)
    assert len(written) == manifest_lines(out) < 256  # complete files only, each recorded
    assert not [p for p in out.rglob("*") if p.name.endswith(TEMP_SUFFIX)]
    rerun = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{256 - len(written)} processed, {len(written)} skipped, 0 failed" in rerun.stderr
    assert len(outputs(out)) == 256


@pytest.mark.slow
def test_a_second_run_on_a_locked_folder_exits_4_touching_nothing(model_flags, tmp_path):
    inbox = make_inbox(tmp_path / "in", 2)
    out = tmp_path / "out"
    (out / ".it2en").mkdir(parents=True)
    from filelock import FileLock  # what another run holds, on every OS

    with FileLock(out / ".it2en" / "lock", timeout=0):
        (out / ".it2en" / "lock.pid").write_text("4242")
        before = sorted(p.name for p in out.rglob("*"))
        cmd = batch_cmd(model_flags, str(inbox), "--out", str(out))
        proc = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True)
        assert proc.returncode == 4
        assert proc.stderr.strip() == f"it2en: error: {out} is in use by another it2en batch run (pid 4242)"
        assert sorted(p.name for p in out.rglob("*")) == before


def test_cli_exit_codes_report_and_json_logs(model_flags, tmp_path):
    inbox = make_inbox(tmp_path / "in", 2)
    runner = CliRunner()
    args = ["batch", str(inbox), "--out", str(tmp_path / "out"), *model_flags, "--num-beams", "1"]
    ok = runner.invoke(app, [*args, "--report", str(tmp_path / "r.json"), "--log-format", "json"])
    assert ok.exit_code == 0, ok.output
    last = json.loads(ok.stderr.strip().splitlines()[-1])
    assert last["event"] == "batch_finished"
    assert last["processed"] == 2
    assert json.loads((tmp_path / "r.json").read_text())["processed"] == 2
    (inbox / "vuoto.txt").write_text("")
    failed = runner.invoke(app, args)
    assert failed.exit_code == 1
    assert "1 failed" in failed.stderr.splitlines()[-1]
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0
    assert dry.stdout == f"new\tvuoto\t{inbox / 'vuoto.txt'}\n"
    bad = runner.invoke(app, [*args, "--formats", "md"])
    assert bad.exit_code == 2


def test_hostile_inputs_cost_one_error_each_and_never_stop_the_feed(config, tmp_path):
    """A FIFO, a symlink loop, a device, a name that is not UTF-8 and an id with a lone
    surrogate: one error line each, every other document processed, now and next run;
    upper-case suffixes read; the output folder inside the inbox never read back."""
    inbox = make_inbox(tmp_path / "in", 2)
    (inbox / "A.TXT").write_text(SENTENCES[0], encoding="utf-8")
    (inbox / "b.Md").write_text(SENTENCES[1], encoding="utf-8")
    os.mkfifo(inbox / "fifo.txt")
    (inbox / "loop.txt").symlink_to(inbox / "loop.txt")
    (inbox / "zero.txt").symlink_to("/dev/zero")
    with open(os.fsencode(str(inbox)) + b"/bad\xff\xfename.txt", "wb") as stream:
        stream.write(SENTENCES[2].encode())
    (inbox / "feed.jsonl").write_text(
        '{"id": "\\udc80bad", "text": "Il lunedì è chiuso."}\n', encoding="utf-8"
    )
    out = inbox / "results"  # inside the inbox, with Markdown outputs that match *.md
    options = BatchOptions(out_dir=out, formats=("json", "md"), globs=("*.txt", "*.md", "*.jsonl"))
    for run in range(2):
        report = run_batch(Pipeline(config), [str(inbox)], options)
        assert (report.processed, report.failed) == ((6, 3) if run == 0 else (0, 3))
        assert report.skipped == (0 if run == 0 else 6)
        errors = [
            json.loads(line) for line in (out / "errors.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        assert sorted(Path(e["input"]).name for e in errors) == ["fifo.txt", "loop.txt", "zero.txt"]
    records = outputs(out)
    assert {r["id"] for r in records.values()} == {
        "archivio/doc000",
        "doc001",
        "A",
        "b",
        "bad\\xff\\xfename",
        "\\x80bad",
    }
    assert not (out / "results").exists()
    assert not any(n.startswith("results_") for n in records)


@pytest.mark.parametrize("cut", ["inside a character", "ascii"])
def test_a_manifest_line_cut_by_a_crash_is_ignored_and_never_extended(config, tmp_path, cut):
    inbox = make_inbox(tmp_path / "in", 3)
    (inbox / "zz").mkdir()
    (inbox / "zz" / "perché.txt").write_text(SENTENCES[3], encoding="utf-8")  # walked last
    out = tmp_path / "out"
    options = BatchOptions(out_dir=out)
    assert run_batch(Pipeline(config), [str(inbox)], options).processed == 4
    manifest = out / ".it2en" / "manifest.jsonl"
    data = manifest.read_bytes()
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[1]
    if cut == "ascii":
        data = data[: len(data) - 10]
    else:  # cut between the two bytes of an é in the last line (its id or input path)
        data = data[: len(data) - len(last) - 1 + last.index("é".encode()) + 1]
    manifest.write_bytes(data)
    (inbox / "nuovo.txt").write_text(SENTENCES[4], encoding="utf-8")
    report = run_batch(Pipeline(config), [str(inbox)], options)
    assert (report.processed, report.skipped, report.failed) == (2, 3, 0)  # the new one, the lost one
    lines = manifest.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    assert all(json.loads(line) for line in lines)
    assert run_batch(Pipeline(config), [str(inbox)], options).processed == 0


def test_a_moved_inbox_is_recognised_and_nothing_is_duplicated(config, tmp_path):
    """Identity: a document is its input path; one whose path is new, but whose output
    name belongs to a record of a path that no longer exists, is that document moved."""
    inbox = make_inbox(tmp_path / "in", 4)
    out = tmp_path / "out"
    options = BatchOptions(out_dir=out)
    assert run_batch(Pipeline(config), [str(inbox)], options).processed == 4
    names = sorted(outputs(out))
    moved = inbox.rename(tmp_path / "inbox-2026")
    dry = run_batch(Pipeline(config), [str(moved)], options, dry_run=True)
    assert (dry.processed, dry.skipped) == (0, 4)
    report = run_batch(Pipeline(config), [str(moved)], options)
    assert (report.processed, report.skipped) == (0, 4)
    assert sorted(outputs(out)) == names
    manifest = [json.loads(line) for line in (out / ".it2en" / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 4
    assert all(entry["input"].startswith(str(moved)) for entry in manifest)
    (moved / "doc001.txt").write_text(SENTENCES[4], encoding="utf-8")  # moved, then edited
    again = run_batch(Pipeline(config), [str(moved)], options)
    assert (again.processed, again.skipped) == (1, 3)
    assert sorted(outputs(out)) == names
    assert outputs(out)["doc001.json"]["source"] == SENTENCES[4]


POISON = "Il documento avvelenato."
"""A sentence that makes the stage under test raise, as a real page's data once did."""


def _poisoned(value: object) -> bool:
    """Whether a stage's first argument (a text, a document, a result, segments, index
    entries) carries the poison sentence."""
    if isinstance(value, (bytes, str)):
        return (POISON.encode() if isinstance(value, bytes) else POISON) in value
    if isinstance(value, (list, tuple)):
        return any(_poisoned(item) for item in value)
    if isinstance(value, dict):
        return any(_poisoned(item) for item in value.values())
    return any(_poisoned(getattr(value, name, "")) for name in ("source", "text", "data"))


def _raising(original):
    """``original``, raising as a library does on data it cannot handle when its first
    argument carries the poison."""

    def wrapped(*args, **kwargs):
        if _poisoned(args[0]):
            raise RecursionError("maximum recursion depth exceeded")
        return original(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize(
    "stage",
    ["reading", "locating", "checking", "json", "markdown", "html report", "translated file", "index"],
)
def test_a_document_that_makes_any_stage_raise_is_its_failure_and_the_next_is_processed(
    config, tmp_path, monkeypatch, stage
):
    import pipeline.batch.runner as runner
    import pipeline.formats.html as html_format
    import pipeline.stages as stages_module

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.txt").write_text(SENTENCES[0], encoding="utf-8")
    (inbox / "m.html").write_text(f"<html><body><p>{POISON}</p><p>{SENTENCES[1]}</p></body></html>", "utf-8")
    (inbox / "z.txt").write_text(SENTENCES[2], encoding="utf-8")
    from dataclasses import replace

    from pipeline.output_formats import OUTPUT_FORMATS

    renderers = {"json": "json", "markdown": "md", "html report": "html", "translated file": "document"}
    if stage in renderers:  # the registry every front end renders through
        output = OUTPUT_FORMATS[renderers[stage]]
        monkeypatch.setitem(OUTPUT_FORMATS, output.name, replace(output, render=_raising(output.render)))
    else:
        owner, name = {
            "reading": (html_format, "read"),
            "locating": (stages_module, "locate"),
            "checking": (stages_module, "check_result"),
            "index": (runner, "render_index"),
        }[stage]
        monkeypatch.setattr(owner, name, _raising(getattr(owner, name)))
    out = tmp_path / "out"
    # Files read in this process, where the stage is patched (a reader process would not see it).
    options = BatchOptions(out_dir=out, formats=("json", "md", "html"), document_timeout=0)
    report = run_batch(Pipeline(config), [str(inbox)], options)
    assert not report.crashed
    if stage == "index":  # every document is fine; the index shows all it can, and says so
        assert (report.processed, report.failed) == (3, 0)
        index = (out / "index.html").read_text(encoding="utf-8")
        assert 'href="a.html"' in index
        assert 'href="z.html"' in index
        assert 'href="m.html"' not in index
        return
    assert (report.processed, report.failed) == (2, 1)
    assert sorted(p.name for p in out.glob("*.json")) == ["a.json", "z.json"]
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert [e["input"].endswith("m.html") for e in errors] == [True]
    assert not list(out.glob("m.*")), "nothing of the failed document is written"
    again = run_batch(Pipeline(config), [str(inbox)], options)  # nor is the next run wedged
    assert (again.processed, again.skipped, again.failed) == (0, 2, 1)


def test_a_run_ended_by_its_environment_exits_5_and_still_writes_its_report(
    model_flags, tmp_path, monkeypatch
):
    import errno

    import pipeline.batch.runner as batch_runner

    inbox = make_inbox(tmp_path / "in", 3)
    written = []

    def disk_fills(out_dir, files):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(files)
        return original(out_dir, files)

    original = batch_runner._write_files
    monkeypatch.setattr(batch_runner, "_write_files", disk_fills)
    report = tmp_path / "report.json"
    args = ["batch", str(inbox), "--out", str(tmp_path / "out"), "--report", str(report), *model_flags]
    result = CliRunner().invoke(app, [*args, "--num-beams", "1", "--translate-only"])
    assert result.exit_code == 5, result.output
    assert "No space left on device" in result.stderr
    counts = json.loads(report.read_text())
    assert counts["crashed"] is True
    assert counts["processed"] == 1


def test_the_index_shows_failures_with_their_reason_removed_inputs_and_dates(config, tmp_path):
    inbox = make_inbox(tmp_path / "in", 2)
    (inbox / "vuoto.txt").write_text("", encoding="utf-8")
    out = tmp_path / "out"
    options = BatchOptions(out_dir=out, formats=("json", "html"), summarize=False)
    run_batch(Pipeline(config), [str(inbox)], options)
    (inbox / "doc001.txt").unlink()
    run_batch(Pipeline(config), [str(inbox)], options)
    index = (out / "index.html").read_text(encoding="utf-8")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert "last run " + today in index
    assert index.count(f"<td>{today}</td>") == 2
    assert index.count("(input removed)") == 1
    row = next(line for line in index.splitlines() if "(input removed)" in line)
    assert 'href="doc001.html"' in row
    assert "Failed in the last run (1)" in index
    assert "vuoto.txt</code>: document is empty" in index


@pytest.mark.slow
def test_every_module_imports_where_fcntl_does_not_exist():
    """Windows has no fcntl: the package (the batch runner's lock included) must not
    need it."""
    code = (
        "import sys, importlib, pkgutil; sys.modules['fcntl'] = None\n"
        "import pipeline\n"
        "for m in pkgutil.walk_packages(pipeline.__path__, 'pipeline.'):\n"
        "    if not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "from pipeline.batch.journal import Lock\n"
        "print('ok')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok", proc.stderr


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    from pipeline.batch.journal import Lock
    from pipeline.errors import OutDirLocked

    state = tmp_path / "out" / ".it2en"
    state.mkdir(parents=True)
    with Lock(state), pytest.raises(OutDirLocked, match=rf"pid {os.getpid()}"):
        Lock(state).__enter__()
    with Lock(state):  # released: taken again
        pass


def test_a_stop_ends_the_run_after_the_model_batch_in_progress_and_the_next_run_resumes(config, tmp_path):
    import threading

    inbox = make_inbox(tmp_path / "in", 6)
    stop = threading.Event()
    batches: list[int] = []

    def after_batch(stage: str, done: int, total: int) -> None:
        batches.append(done)
        if batches.count(1) == 2 and not stop.is_set():  # during the second chunk's first batch
            stop.set()
            batches.append(-1)

    small = config.with_overrides(batch_size=1, docs_per_chunk=2)
    options = BatchOptions(out_dir=tmp_path / "out", summarize=False)
    first = run_batch(Pipeline(small, progress=after_batch), [str(inbox)], options, stop=stop)
    assert first.interrupted
    assert batches[-1] == -1  # not one model batch more
    assert first.processed == 2
    assert len(outputs(tmp_path / "out")) == 2  # the first chunk
    second = run_batch(Pipeline(small), [str(inbox)], options)
    assert (second.processed, second.skipped) == (6 - first.processed, first.processed)
    clean = tmp_path / "clean"
    run_batch(Pipeline(small), [str(inbox)], BatchOptions(out_dir=clean, summarize=False))
    assert outputs(tmp_path / "out") == outputs(clean)


def test_an_internal_error_leaves_a_crash_file_and_is_counted_in_the_last_line(config, tmp_path, monkeypatch):
    import pipeline.stages as stages

    real = stages.check_result
    monkeypatch.setattr(
        stages, "check_result", lambda result, settings: 1 / 0 if "B" in result.id else real(result, settings)
    )
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in ("A", "B", "C"):
        (inbox / f"{name}.txt").write_text(SENTENCES[0], encoding="utf-8")
    out = tmp_path / "out"
    report = run_batch(Pipeline(config), [str(inbox)], BatchOptions(out_dir=out))
    assert (report.processed, report.failed, report.internal) == (2, 1, 1)
    assert "1 failed because of an internal error: please report it (crash-*.txt)" in report.line()
    [crash] = out.glob("crash-*.txt")
    assert "ZeroDivisionError" in crash.read_text(encoding="utf-8")
    assert "Traceback" in crash.read_text()
    [error] = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert error["internal"] is True
    assert error["crash"] == crash.name


def _slow_word_file(empty_paragraphs: int) -> bytes:
    """A valid Word file whose body holds ``empty_paragraphs`` empty paragraphs before one
    sentence: seconds of parsing for a few hundred kilobytes."""
    import io
    import zipfile

    import docx

    made = docx.Document()
    made.add_paragraph(SENTENCES[0])
    base, out = io.BytesIO(), io.BytesIO()
    made.save(base)
    archive = zipfile.ZipFile(base)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in archive.infolist():
            part = archive.read(item)
            if item.filename == "word/document.xml":
                part = part.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * empty_paragraphs, 1)
            copy.writestr(item, part)
    return out.getvalue()


def test_a_file_too_slow_to_read_is_its_failure_and_the_run_goes_on(config, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.txt").write_text(SENTENCES[0], encoding="utf-8")
    (inbox / "lento.docx").write_bytes(_slow_word_file(2_500_000))  # under the zip-bomb guard, 20 s to read
    (inbox / "z.txt").write_text(SENTENCES[1], encoding="utf-8")
    started = time.monotonic()
    report = run_batch(
        Pipeline(config), [str(inbox)], BatchOptions(out_dir=tmp_path / "out", document_timeout=1)
    )
    assert time.monotonic() - started < 30  # reading the file alone takes longer
    assert (report.processed, report.failed) == (2, 1)
    [error] = [json.loads(line) for line in (tmp_path / "out" / "errors.jsonl").read_text().splitlines()]
    assert error["input"].endswith("lento.docx")
    assert error["reason"] == "not read within 1 s: given up (its reader was stopped)"


@pytest.mark.slow  # a subprocess of its own
def test_sigterm_is_acted_on_within_seconds_while_a_file_is_read(model_flags, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "lento.docx").write_bytes(_slow_word_file(2_500_000))  # about 20 s to read
    run = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "batch", str(inbox), "--out", str(tmp_path / "out"), *model_flags],
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6)  # started, and reading the file
    assert run.poll() is None
    signalled = time.monotonic()
    run.send_signal(signal.SIGTERM)
    code = run.wait(timeout=60)
    assert time.monotonic() - signalled < 5, "the signal waited for the file to be read"
    assert code == 143, run.stderr.read() if run.stderr else ""
