"""Configuration: defaults, TOML presets, precedence and validation."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import pytest

from pipeline import ConfigError, PipelineConfig
from pipeline.config import load_config, preset_names, preset_text

CONFIGS = Path(__file__).resolve().parent.parent / "configs"


def test_default_toml_mirrors_library_defaults():
    assert asdict(PipelineConfig.from_file(CONFIGS / "default.toml")) == asdict(PipelineConfig())


@pytest.mark.parametrize("preset", ["cpu.toml", "cuda.toml"])
def test_presets_load(preset):
    config = PipelineConfig.from_file(CONFIGS / preset)
    assert config.device in ("cpu", "cuda")


def test_the_packaged_presets_are_the_repositorys_configs_and_load_by_name(tmp_path, monkeypatch):
    assert preset_names() == sorted(p.stem for p in CONFIGS.glob("*.toml"))
    for name in preset_names():
        assert preset_text(name) == (CONFIGS / f"{name}.toml").read_text(encoding="utf-8")
        assert PipelineConfig.from_file(name) == PipelineConfig.from_file(CONFIGS / f"{name}.toml")
    monkeypatch.chdir(tmp_path)  # a name is a preset wherever the job runs...
    assert PipelineConfig.from_file("cpu").device == "cpu"
    (tmp_path / "cpu").write_text("[decoding]\nnum_beams = 3\n")  # ...unless a file here has it
    assert PipelineConfig.from_file("cpu").num_beams == 3
    with pytest.raises(ConfigError, match="no preset named 'gpu' \\(presets: cpu, cuda, default\\)"):
        PipelineConfig.from_file("gpu")


def test_config_show_prints_a_preset_that_loads_as_a_file(tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    shown = CliRunner().invoke(app, ["config", "show", "cuda"])
    assert shown.exit_code == 0
    (tmp_path / "mine.toml").write_text(shown.stdout, encoding="utf-8")
    assert PipelineConfig.from_file(tmp_path / "mine.toml") == PipelineConfig.from_file("cuda")
    assert CliRunner().invoke(app, ["config", "list"]).stdout.split() == ["cpu", "cuda", "default"]


def test_flags_override_file_and_file_overrides_defaults(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[decoding]\nnum_beams = 2\nbatch_size = 8\n[models]\ntranslator = "./m"\n')
    config = PipelineConfig.from_file(path, batch_size=3, num_beams=None)
    assert config.num_beams == 2  # from the file: an unset flag (None) changes nothing
    assert config.batch_size == 3  # the flag wins
    assert config.max_batch_tokens == PipelineConfig().max_batch_tokens
    assert config.translator == str((tmp_path / "m").resolve())  # relative to the file


@pytest.mark.parametrize(
    "content, message",
    [
        ("[decoding]\nnum_beam = 2\n", "unknown key decoding.num_beam"),
        ("[model]\ntranslator = 'x'\n", "unknown section [model]"),
        ("[decoding]\nnum_beams = 'four'\n", "decoding.num_beams must be of type int"),
        ("[decoding]\nnum_beams = 0\n", ": decoding.num_beams must be an integer >= 1"),
        ("[models]\ntranslator = ''\n", ": models.translator must not be empty"),
        ("[runtime]\ndevice = 'gpu'\n", "device must be auto|cpu|cuda|cuda:N"),
        ("[runtime]\nprecision = 'int4'\n", "precision must be one of"),
        ("not toml [", "invalid TOML"),
        ("num_beams = 2\n", "top-level key 'num_beams' belongs in a section"),
        ("[decoding]\nx = " + "[" * 5000 + "]" * 5000 + "\n", "invalid TOML .nested too deeply"),
    ],
)
def test_bad_config_files_name_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("|", r"\|")) as caught:
        PipelineConfig.from_file(path)
    assert str(caught.value).startswith(f"{path}: ")  # range errors too name the file


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_a_config_that_is_no_regular_file_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo.toml")  # opened normally, reading it would wait forever
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "zero.toml").symlink_to("/dev/zero")  # would be read without end
    (tmp_path / "big.toml").write_text("# " + "x" * (1 << 20) + "\n")
    for name, message in [
        ("fifo.toml", "not a regular file"),
        ("folder.toml", "is a directory, expected a TOML file"),
        ("zero.toml", "not a regular file"),
        ("big.toml", "exceeds the input limit of 1,048,576 bytes"),
    ]:
        with pytest.raises(ConfigError, match=message) as caught:
            load_config(tmp_path / name)
        assert str(caught.value).startswith(f"{tmp_path / name}: ")


def test_half_precision_needs_cuda():
    import torch

    from pipeline.engines.runtime import resolve_dtype

    with pytest.raises(ConfigError, match="needs a CUDA device"):
        resolve_dtype("fp16", torch.device("cpu"))
    assert resolve_dtype("auto", torch.device("cpu")) == torch.float32


def test_cuda_device_without_cuda_is_a_config_error():
    import torch

    from pipeline.engines.runtime import resolve_device

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="CUDA is not available"):
        resolve_device("cuda:0")
    assert resolve_device("auto").type == "cpu"


def test_threads_default_to_the_cpus_this_process_may_use(tmp_path, monkeypatch):
    import os

    from pipeline.engines.runtime import cpu_threads

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert cpu_threads(3) == 3  # configured wins
    assert cpu_threads(0, cgroup_root=tmp_path) == allowed  # no cgroup files: affinity alone
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpu_threads(0, cgroup_root=tmp_path) == allowed  # unlimited quota
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert cpu_threads(0, cgroup_root=tmp_path) == 1  # half a CPU rounds up to one thread
    (tmp_path / "cpu.max").unlink()
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")  # cgroup v1: one CPU
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu_threads(0, cgroup_root=tmp_path) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cpu_threads(0, cgroup_root=tmp_path) == allowed
    monkeypatch.setenv("OMP_NUM_THREADS", "5")
    assert cpu_threads(0, cgroup_root=tmp_path) == 5  # the operator's explicit setting


def test_threads_setting_is_validated_and_read_from_toml(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[runtime]\nthreads = 2\n")
    assert PipelineConfig.from_file(path).threads == 2
    with pytest.raises(ConfigError, match="threads must be an integer >= 0"):
        PipelineConfig(threads=-1)


def test_batch_size_zero_picks_by_device():
    assert PipelineConfig().batch_size_for("cpu") == 16
    assert PipelineConfig().batch_size_for("cuda") == 64
    assert PipelineConfig(batch_size=5).batch_size_for("cuda") == 5
    assert PipelineConfig().summary_batch_tokens_for("cpu") == 2048
    assert PipelineConfig(max_batch_tokens=1000).summary_batch_tokens_for("cuda") == 4000
    assert PipelineConfig(summary_batch_tokens=512).summary_batch_tokens_for("cpu") == 512
    with pytest.raises(ConfigError, match="batch_size must be an integer >= 0"):
        PipelineConfig(batch_size=-1)


def test_the_server_section_is_checked_and_read_apart(tmp_path):
    from pipeline.config import server_settings

    path = tmp_path / "s.toml"
    path.write_text("[decoding]\nnum_beams = 2\n[server]\nchar_limit = 100\nmax_batch_wait_ms = 5\n")
    assert PipelineConfig.from_file(path).num_beams == 2  # the pipeline ignores [server]
    settings = server_settings(path)
    assert (settings.char_limit, settings.max_batch_wait_ms, settings.max_queue) == (100, 5.0, 1024)
    for bad, message in [("porta = 1", "unknown key server.porta"), ("max_queue = -1", "max_queue must be")]:
        path.write_text(f"[server]\n{bad}\n")
        with pytest.raises(ConfigError, match=message):
            PipelineConfig.from_file(path)
