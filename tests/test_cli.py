"""The it2en command, end to end on the tiny models: formats, bad input, exit codes."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

DATA = Path(__file__).resolve().parent / "data"
BREVE = (DATA / "breve.txt").read_text(encoding="utf-8")
FIRST = "Il museo resterà aperto tutti i giorni."

runner = CliRunner()


def run(*args: str, stdin: str | None = None):
    return runner.invoke(app, [str(a) for a in args], input=stdin)


def _commands(group=None, path=()):
    """Every command and group of the app, as the words that reach it."""
    import typer

    group = group or typer.main.get_command(app)
    yield list(path)
    if hasattr(group, "commands"):  # a group (typer has a click of its own)
        for name, command in group.commands.items():
            yield from _commands(command, (*path, name))


@pytest.mark.parametrize("command", list(_commands()), ids=lambda c: " ".join(c) or "it2en")
def test_every_help_page_has_an_example(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout, result.stdout


@pytest.mark.parametrize("command", ["translate", "summarize", "batch", "ray", "models download"])
def test_help_shows_placeholders_not_python_types(command):
    result = runner.invoke(app, [*command.split(), "--help"], terminal_width=200)
    assert result.exit_code == 0
    usage = result.stdout.splitlines()[0]
    assert "{" not in usage, usage
    assert re.search(r"[a-z_]+\.\.\.|<", usage.split("[OPTIONS]")[-1]) is None, usage
    assert re.search(r"<(str|int|float|path|list\[)", result.stdout) is None, result.stdout
    if command != "models download":
        assert re.search(r"^  INPUT  ", result.stdout, re.MULTILINE), result.stdout


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("it2en ")


def test_summarize_jsonl_record(model_flags, tmp_path):
    doc = tmp_path / "breve.txt"
    doc.write_text(BREVE, encoding="utf-8")
    result = run("summarize", doc, *model_flags, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["id"] == "breve"
    assert record["source"] == BREVE
    assert record["translation"] == BREVE
    assert record["summary"] == FIRST
    assert record["summary_it"] == FIRST
    assert record["points"][0]["source_segments"] == [0]
    assert {"segments", "models", "summary_kind"} <= set(record)


def test_translate_text_from_stdin(translate_flags):
    result = run("translate", "-", *translate_flags, "--format", "text", stdin=BREVE)
    assert result.exit_code == 0, result.output
    assert result.stdout == BREVE


def test_output_file_format_follows_its_suffix(model_flags, tmp_path):
    doc = tmp_path / "breve.txt"
    doc.write_text(BREVE, encoding="utf-8")
    out = tmp_path / "out" / "breve.json"
    result = run("summarize", doc, *model_flags, "-o", out, "--no-italian-summary")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    [record] = json.loads(out.read_text(encoding="utf-8"))  # an array, even of one
    assert record["summary_it"] is None
    assert record["summary"] == FIRST
    assert [p.name for p in out.parent.iterdir()] == ["breve.json"]  # no temp files left


def test_markdown_report_is_bilingual(model_flags, tmp_path):
    doc = tmp_path / "breve.txt"
    doc.write_text(BREVE, encoding="utf-8")
    result = run("summarize", doc, *model_flags, "--format", "md")
    assert result.exit_code == 0, result.output
    md = result.stdout
    # The copy model leaves every sentence Italian: all six are listed to check first.
    assert md.startswith(f"# breve\n\n## To check\n\n- Sentence 1 («{FIRST}»): **untranslated**")
    assert md.count("**untranslated**") == 6
    assert md.count("⚠ *untranslated*") == 6
    assert "\n## Summary\n\n1. " + FIRST in md
    assert f"   - *Fonte:* {FIRST}" in md
    assert "## Riassunto" in md
    assert "## Translation" in md
    assert md.count("\n> ") == 2  # each Italian paragraph quoted above its translation


def test_bad_inputs_are_reported_and_the_others_still_written(translate_flags, tmp_path):
    good = tmp_path / "buono.txt"
    good.write_text("Il lunedì è chiuso.", encoding="utf-8")
    (tmp_path / "vuoto.txt").write_text("  \n\n", encoding="utf-8")
    (tmp_path / "binario.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "latino.txt").write_bytes("Città".encode("latin-1"))
    jsonl = tmp_path / "docs.jsonl"
    jsonl.write_text(
        json.dumps({"id": "j1", "text": "Il piccolo paziente sta bene."})
        + "\n{rotto\n"
        + json.dumps({"id": "j3", "text": None})
        + "\n",
        encoding="utf-8",
    )
    inputs = [
        good,
        tmp_path / "vuoto.txt",
        tmp_path / "binario.txt",
        tmp_path / "latino.txt",
        jsonl,
        tmp_path / "manca.txt",
    ]
    result = run("translate", *inputs, *translate_flags, "--format", "jsonl")
    assert result.exit_code == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["translation"]) for r in records] == [
        ("buono", "Il lunedì è chiuso."),
        ("j1", "Il piccolo paziente sta bene."),
    ]
    errors = [line for line in result.stderr.splitlines() if line.startswith("it2en: error:")]
    assert errors == [
        f"it2en: error: {tmp_path / 'vuoto.txt'}: document is empty",
        f"it2en: error: {tmp_path / 'binario.txt'}: binary file (contains NUL bytes), expected text",
        f"it2en: error: {tmp_path / 'latino.txt'}: not valid utf-8 at byte 4 "
        "(use --encoding to read another encoding)",
        f"it2en: error: {jsonl}:2: malformed JSON (Expecting property name enclosed in double "
        "quotes at column 2)",
        f'it2en: error: {jsonl}:3: "text" must be a string, got missing',
        f"it2en: error: {tmp_path / 'manca.txt'}: cannot open (No such file or directory)",
    ]
    assert "Traceback" not in result.output


def test_encoding_option_reads_other_encodings(translate_flags, tmp_path):
    doc = tmp_path / "latino.txt"
    doc.write_bytes("Il lunedì è chiuso.".encode("latin-1"))
    result = run("translate", doc, *translate_flags, "--encoding", "latin-1", "-f", "text")
    assert result.exit_code == 0
    assert result.stdout == "Il lunedì è chiuso.\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--device", "gpu"], "--device must be auto|cpu|cuda|cuda:N"),
        (["--precision", "fp16", "--device", "cpu"], "precision fp16 needs a CUDA device"),
        (["--num-beams", "0"], "--num-beams must be an integer >= 1"),
        (["--docs-per-chunk", "0"], "--docs-per-chunk must be an integer >= 1"),
        (["--config", "nope.toml"], "nope.toml: config file not found"),
    ],
)
def test_usage_and_config_errors_exit_2(translate_flags, tmp_path, args, message):
    doc = tmp_path / "d.txt"
    doc.write_text("Il lunedì è chiuso.", encoding="utf-8")
    result = run("translate", doc, *translate_flags, *args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"it2en: error: {message}")


def test_unknown_flag_is_a_usage_error():
    assert run("translate", "x.txt", "--no-such-flag").exit_code == 2


def _env_without_hub(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1")
    env.pop("IT2EN_TINY_MODELS", None)
    return env


@pytest.mark.slow
def test_missing_model_offline_gives_one_line_and_exit_3(tmp_path):
    doc = tmp_path / "d.txt"
    doc.write_text("Il lunedì è chiuso.", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "translate",
            str(doc),
            "--models-dir",
            str(tmp_path / "store"),
            "--device",
            "cpu",
        ],
        capture_output=True,
        text=True,
        env=_env_without_hub(tmp_path),
        timeout=120,
    )
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("it2en: error: translator model 'Helsinki-NLP/opus-mt-it-en' could not be loaded")
    assert str(tmp_path / "store" / "Helsinki-NLP--opus-mt-it-en") in line
    assert "offline" in line
    assert "it2en models download" in line
    assert proc.stdout == ""


def test_every_missing_model_of_the_job_is_named_in_one_message(tiny_models, tmp_path):
    doc = tmp_path / "d.txt"
    doc.write_text("Il lunedì è chiuso.", encoding="utf-8")
    args = ["--device", "cpu", "--models-dir", tmp_path / "store", "--cache-dir", tmp_path / "store"]
    result = run(
        "summarize", doc, "--translator", tmp_path / "no-tr", "--summarizer", tiny_models / "summarizer",
        "--back-translator", tmp_path / "no-bt", *args,
    )  # fmt: skip
    assert result.exit_code == 3
    [line] = result.stderr.strip().splitlines()
    assert f"translator model '{tmp_path / 'no-tr'}'" in line
    assert f"back-translator model '{tmp_path / 'no-bt'}'" in line
    assert "summarizer model" not in line
    translate_only = run("translate", doc, "--translator", tmp_path / "no-tr", *args)
    assert translate_only.exit_code == 3
    assert "summarizer" not in translate_only.stderr  # not its job


def test_models_download_offline_refuses_and_local_folders_are_kept(tiny_models, tmp_path):
    result = run("models", "download", "--dir", tmp_path, "--offline")
    assert result.exit_code == 3
    assert "offline mode is on" in result.stderr
    result = run(
        "models",
        "download",
        "--dir",
        tmp_path,
        "--translator",
        tiny_models / "translator",
        "--summarizer",
        tiny_models / "summarizer",
        "--back-translator",
        tiny_models / "back-translator",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "[models]",
        f'translator = "{tiny_models / "translator"}"',
        f'summarizer = "{tiny_models / "summarizer"}"',
        f'back_translator = "{tiny_models / "back-translator"}"',
        "offline = true",
    ]


@pytest.mark.slow
def test_subprocess_run_writes_results_to_stdout_and_nothing_else(model_flags, tmp_path):
    doc = tmp_path / "breve.txt"
    doc.write_text(BREVE, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "summarize", str(doc), *model_flags],
        capture_output=True,
        text=True,
        env=_env_without_hub(tmp_path),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # quiet in pipes: no progress bars, no library chatter
    assert json.loads(proc.stdout)["summary"] == FIRST  # JSONL is the default in a pipe


@pytest.mark.parametrize("suffix", [".txt", ".json"])
def test_a_run_where_every_document_fails_leaves_the_earlier_output_alone(translate_flags, tmp_path, suffix):
    doc = tmp_path / "doc.txt"
    doc.write_text(FIRST, encoding="utf-8")
    out = tmp_path / f"doc.en{suffix}"
    assert run("translate", doc, *translate_flags, "-o", out).exit_code == 0
    before = out.read_bytes()
    assert FIRST in before.decode("utf-8")
    doc.write_text("", encoding="utf-8")
    result = run("translate", doc, *translate_flags, "-o", out)
    assert result.exit_code == 1
    assert "document is empty" in result.stderr
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["doc.txt", out.name])


def test_an_environment_failure_in_batch_has_its_own_exit_code_and_an_end_line(translate_flags, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text(FIRST, encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run("batch", doc, "--out", blocker / "out", "--translate-only", *translate_flags)
    assert result.exit_code == 5, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("it2en: error: cannot write or read")
    assert str(blocker) in lines[-1]
    assert any(line.startswith("it2en: info: batch (crashed): 0 processed") for line in lines)


def test_a_full_disk_names_the_file_it_could_not_write(translate_flags, tmp_path, monkeypatch):
    doc = tmp_path / "doc.txt"
    doc.write_text(FIRST, encoding="utf-8")
    earlier = tmp_path / "doc.en.txt"
    earlier.write_text("earlier output", encoding="utf-8")

    def full(fd: int) -> None:  # what a write-back to a full disk raises: no file name
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    result = run("translate", doc, *translate_flags, "-o", earlier)
    assert result.exit_code == 5, result.output
    assert result.stderr.strip().splitlines()[-1] == (
        f"it2en: error: cannot write or read {earlier}: {os.strerror(errno.ENOSPC)}"
    )
    assert earlier.read_text(encoding="utf-8") == "earlier output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.en.txt", "doc.txt"]
    result = run("batch", doc, "--out", tmp_path / "out", "--translate-only", *translate_flags)
    assert result.exit_code == 5, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert (
        last
        == f"it2en: error: cannot write or read {tmp_path / 'out' / 'doc.json'}: {os.strerror(errno.ENOSPC)}"
    )
    assert "batch (crashed): 0 processed" in result.stderr


def test_an_empty_input_name_is_one_failure_never_the_working_folder(translate_flags, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "" must not be read as "." and walk this folder
    (tmp_path / "doc.txt").write_text(FIRST, encoding="utf-8")
    (tmp_path / "other.txt").write_text("Altro testo.", encoding="utf-8")
    result = run("translate", "", "doc.txt", *translate_flags)
    assert result.exit_code == 1, result.output
    assert result.stdout == f"==> doc <==\n{FIRST}\n"  # other.txt never read
    message = "an empty input name (a shell variable that was not set?)"
    assert result.stderr.splitlines()[0] == f"it2en: error: '': {message}"
    result = run("batch", "", "--out", "out", "--translate-only", *translate_flags)
    assert result.exit_code == 1
    assert "0 processed, 0 skipped, 1 failed" in result.stderr


def test_a_model_path_that_does_not_exist_is_reported_at_once(translate_flags, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text(FIRST, encoding="utf-8")
    for missing in (str(tmp_path / "nope"), "./nope", "~/nope-it2en"):
        result = run("translate", doc, *translate_flags, "--translator", missing)
        assert result.exit_code == 3
        assert "does not exist" in result.stderr, result.stderr
        assert "Repo id" not in result.stderr, result.stderr


def test_bad_output_and_encoding_are_usage_errors_before_any_work(translate_flags, tmp_path):
    doc = tmp_path / "doc.txt"
    doc.write_text(FIRST, encoding="utf-8")
    result = run("translate", doc, *translate_flags, "-o", tmp_path)
    assert result.exit_code == 2
    assert "is a folder" in result.stderr
    for target in (["-o", tmp_path / "x.txt"], ["batch", "--out", tmp_path / "x", "--translate-only"]):
        command = ["translate", *target] if target[0] == "-o" else target
        result = run(*command[:1], doc, *command[1:], *translate_flags, "--encoding", "nope")
        assert result.exit_code == 2, result.output
        assert "--encoding 'nope' is not a known encoding" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.txt"]
    batch = ["batch", doc, "--translate-only", *translate_flags]
    result = run(*batch, "--out", doc)
    assert result.exit_code == 2
    assert f"--out {doc} is a file; give a folder" in result.stderr
    result = run(*batch, "--out", tmp_path / "out", "--report", tmp_path)
    assert result.exit_code == 2
    assert f"--report {tmp_path} is a folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.txt"]


@pytest.mark.slow
def test_sigterm_leaves_no_temporary_file_and_exits_143(model_flags, tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        "".join(json.dumps({"id": i, "text": BREVE}) + "\n" for i in range(200)), encoding="utf-8"
    )
    out = tmp_path / "out" / "all.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "summarize", str(docs), "-o", str(out), *model_flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env_without_hub(tmp_path),
    )
    deadline = time.monotonic() + 120
    while not list(out.parent.glob(".*")) and proc.poll() is None:  # the temporary copy
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 143
    assert list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_a_second_sigterm_stops_at_once_and_leaves_no_temporary_file(model_flags, tmp_path):
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        "".join(json.dumps({"id": i, "text": f"{BREVE} {FIRST}" * 3}) + "\n" for i in range(400)),
        encoding="utf-8",
    )
    out, log = tmp_path / "out" / "all.json", tmp_path / "stderr.log"
    command = [sys.executable, "-m", "pipeline", "summarize", str(docs), "-o", str(out), *model_flags]
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [*command, "--docs-per-chunk", "400", "--verbose"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=_env_without_hub(tmp_path),
        )
        deadline = time.monotonic() + 120
        while "loaded translator" not in log.read_text():  # the one chunk is under way
            assert time.monotonic() < deadline, log.read_text()
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        while "stopping after the document in progress" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 143
    assert "SIGTERM again: stopping now" in log.read_text()
    assert list(out.parent.iterdir()) == []


def test_the_readme_is_short_and_ci_runs_its_commands():
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    install, test = re.search(r"## Set up and test.*?```sh\n(.*?)\n(.*?)\n```", readme, re.DOTALL).groups()
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert install.replace("--quiet ", "") in ci.replace("--quiet ", "")
    assert f"\n{test}\n" in ci


def test_the_documented_exit_codes_and_systemd_unit_match_the_code():
    from pipeline.cli import errors

    docs = Path(__file__).resolve().parents[1] / "docs"
    readme = "\n".join(page.read_text(encoding="utf-8") for page in sorted(docs.glob("*.md")))
    codes = {errors.EXIT_FAILED_DOCUMENTS, errors.EXIT_USAGE, errors.EXIT_MODEL, errors.EXIT_INTERNAL}
    codes |= {0, 128 + signal.SIGINT, 128 + signal.SIGTERM}
    tables = re.findall(
        r"^\| (?:exit )?code \| meaning \|\n\|---\|---\|\n((?:\|.*\n)+)", readme, re.MULTILINE
    )
    assert len(tables) == 2  # the command's and the scheduler's
    for table in tables:
        documented = {
            int(code)
            for row in re.findall(r"^\| ([\d /]+) \|", table, re.MULTILINE)
            for code in row.split(" / ")
        }
        assert documented == codes | {errors.EXIT_LOCKED}, table
    success = re.search(r"^SuccessExitStatus=(.*)$", readme, re.MULTILINE)
    assert success is not None
    # 1 and a stop by SIGTERM are not failures of the unit; a crash (5) is.
    assert {int(code) for code in success.group(1).split()} == {
        errors.EXIT_FAILED_DOCUMENTS,
        128 + signal.SIGTERM,
    }
