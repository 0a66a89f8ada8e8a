"""One identity rule: the output cache's namespace, the batch fingerprint and the
conversion folder derive from the resolved runtime, the model and the library versions."""

from __future__ import annotations

import pytest
from tiny import tiny_config

import pipeline.engines.runtime as runtime_module
import pipeline.engines.versions as engine_versions
import pipeline.identity as identity
from pipeline import BatchOptions, Pipeline, PipelineConfig
from pipeline.batch.planner import settings_fingerprint
from pipeline.engines.conversion import converted
from pipeline.engines.runtime import resolve_runtime


def _simulated_cuda(monkeypatch, bf16: bool = True) -> None:
    """A machine with one CUDA device (bf16-capable), as torch and CTranslate2 report it."""
    import torch

    monkeypatch.setattr(runtime_module, "_cuda_devices", lambda backend: 1)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16)


def test_cpu_fp32_and_cuda_bf16_runs_never_share_outputs(tiny_models, monkeypatch):
    config = tiny_config(tiny_models, backend="torch", precision="auto", device="auto")
    options = BatchOptions(out_dir=tiny_models / "unused")
    cpu = (Pipeline(config)._models._namespace("translator"), settings_fingerprint(config, options))
    assert '"compute_type": "float32"' in cpu[0]
    assert '"device": "cpu"' in cpu[0]
    _simulated_cuda(monkeypatch)
    cuda = (Pipeline(config)._models._namespace("translator"), settings_fingerprint(config, options))
    assert '"compute_type": "bfloat16"' in cuda[0]
    assert '"device": "cuda"' in cuda[0]
    assert cpu[0] != cuda[0]
    assert cpu[1] != cuda[1]


def test_the_same_settings_written_two_ways_are_one_identity(tiny_models, tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('[runtime]\nprecision = "int8"\nbackend = "ctranslate2"\n[decoding]\nnum_beams = 4\n')
    by_file = PipelineConfig.from_file(toml, translator=str(tiny_models / "translator"))
    by_flags = tiny_config(tiny_models, precision="auto", backend="auto", num_beams=4)  # auto: int8 on CPU
    assert identity.role_identity(by_file, "translator") == identity.role_identity(by_flags, "translator")
    options = BatchOptions(out_dir=tmp_path / "out", summarize=False)
    assert settings_fingerprint(by_file, options) == settings_fingerprint(by_flags, options)


def test_a_library_upgrade_gives_a_new_identity_and_a_new_conversion(tiny_models, tmp_path, monkeypatch):
    config = tiny_config(tiny_models, backend="ctranslate2", cache_dir=str(tmp_path / "cache"))
    runtime = resolve_runtime(config)
    before = identity.role_identity(config, "translator")
    first = converted("translator", config.translator, runtime, "float32")
    versions = engine_versions.library_versions

    def upgraded(library):
        return lambda names: tuple((n, "99.0" if n == library else v) for n, v in versions(names))

    for library in ("ctranslate2", "transformers"):  # transformers made and checked the copy
        monkeypatch.setattr(engine_versions, "library_versions", upgraded(library))
        again = converted("translator", config.translator, runtime, "float32")
        assert again.folder != first.folder, library
        assert again.folder.parent == first.folder.parent, library
    monkeypatch.setattr(engine_versions, "library_versions", upgraded("ctranslate2"))
    assert identity.role_identity(config, "translator") != before  # its outputs are redone too


ROLES = [(False, ["translator"]), (True, ["translator", "summarizer", "back_translator"])]


@pytest.mark.parametrize("summarize, roles", ROLES)
def test_a_job_identity_holds_exactly_its_roles(tiny_models, summarize, roles):
    assert list(identity.job_identity(tiny_config(tiny_models), summarize)) == roles
