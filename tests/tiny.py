"""The tiny test models as a PipelineConfig (the folder comes from the tiny_models fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline import PipelineConfig


def tiny_config(models: Path, **overrides: Any) -> PipelineConfig:
    """The three tiny models on the CPU at fp32, CTranslate2 conversions kept beside them.

    fp32 because tests expect exact text: with a d_model of 64, int8 rounding is large
    enough to tip the odd token, and where it does depends on the batch. The int8 paths
    have tests of their own, with an explicit bound.
    """
    settings: dict[str, Any] = {
        "translator": str(models / "translator"),
        "summarizer": str(models / "summarizer"),
        "back_translator": str(models / "back-translator"),
        "device": "cpu",
        "precision": "fp32",
        "models_dir": str(models / "store"),
        "cache_dir": str(models / "store"),
    }
    return PipelineConfig(**{**settings, **overrides})
