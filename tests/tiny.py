"""The tiny test models as a PipelineConfig (the folder comes from the tiny_models fixture)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline import PipelineConfig


def tiny_config(models: Path, **overrides: Any) -> PipelineConfig:
    """The three tiny models on the CPU, CTranslate2 conversions kept beside them."""
    settings: dict[str, Any] = {
        "translator": str(models / "translator"),
        "summarizer": str(models / "summarizer"),
        "back_translator": str(models / "back-translator"),
        "device": "cpu",
        "models_dir": str(models / "store"),
    }
    return PipelineConfig(**{**settings, **overrides})
