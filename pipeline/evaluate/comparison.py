"""Comparing systems on one set: sacreBLEU's paired bootstrap resampling of BLEU and chrF
against the first system (p < 0.05 significant)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .records import Comparison

__all__ = ["compare"]


def compare(
    outputs: Mapping[str, list[str]], references: list[list[str]], n_bootstrap: int
) -> list[Comparison]:
    from sacrebleu.metrics import BLEU, CHRF
    from sacrebleu.significance import PairedTest

    metrics = {"BLEU": BLEU(references=references), "chrF": CHRF(references=references)}
    test = PairedTest(list(outputs.items()), metrics, None, test_type="bs", n_samples=max(n_bootstrap, 100))
    _, scores = test()
    names = list(outputs)
    found = []
    for metric, column in zip(metrics, [key for key in scores if key != "System"], strict=True):
        baseline: Any = scores[column][0]  # sacreBLEU names its columns (chrF2)
        others: list[Any] = list(scores[column][1:])
        for name, result in zip(names[1:], others, strict=True):
            delta = float(result.score) - float(baseline.score)
            found.append(Comparison(name, names[0], metric, delta, float(result.p_value)))
    return found
