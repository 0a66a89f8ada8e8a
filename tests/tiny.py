"""The tiny test models as a PipelineConfig (the folder comes from the tiny_models fixture),
and the sentences test documents are made of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline import PipelineConfig

SENTENCES = [
    "Il museo resterà aperto tutti i giorni.",
    "I lavori partiranno a settembre.",
    "Il sindaco ha promesso nuovi libri.",
    "Il piccolo paziente sta bene.",
    "Il lunedì è chiuso.",
    "Le azzurre hanno giocato una partita straordinaria.",
    "Gli studenti potranno scegliere tra sette tracce diverse.",
]
"""Short Italian sentences that test documents are built from (the tiny models handle
each by a wide margin: tests/test_tiny_models.py)."""


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
