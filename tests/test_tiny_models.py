"""The tiny-model builder: the same weights on every machine, whatever its thread count."""

from __future__ import annotations

from pathlib import Path

from conftest import _builder_module


def test_the_builder_gives_the_same_weights_whatever_the_callers_threads(tmp_path):
    import torch

    builder = _builder_module()
    before = torch.get_num_threads()
    built = []
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            built.append(builder.build(tmp_path / f"t{threads}", marian_steps=40, bart_steps=40))
            assert torch.get_num_threads() == threads  # the caller's setting comes back
    finally:
        torch.set_num_threads(before)
    for role in ("translator", "back-translator", "summarizer"):
        first, second = (Path(b) / role / "model.safetensors" for b in built)
        assert first.read_bytes() == second.read_bytes(), role
