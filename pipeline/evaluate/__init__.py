"""Measuring quality on one's own data, with the metrics the field reports.

A reference set is Italian source segments, each with one or more English references
(and, optionally, reference summaries). :func:`read_reference_set` reads the formats such
sets come in: parallel plain-text files (one segment a line, as WMT and FLORES ship),
JSONL of ``{"id", "text", "reference", "reference_summary"}``, and TMX translation
memories. :func:`evaluate` runs one or more pipelines on it and measures:

* **translation**: corpus BLEU, chrF and chrF++ by sacreBLEU, each with its signature and a
  95 % confidence interval (bootstrap resampling), and chrF per segment to list the worst.
  What is evaluated is the pipeline's output for each source segment exactly as a user
  gets it (each segment goes through it as one document: split into sentences where it has
  several, translated, put back together);
* **summaries**, where reference summaries exist: ROUGE-1, ROUGE-2 and ROUGE-Lsum with
  stemming by rouge-score, one sentence per line for Lsum, as the published
  distilbart-cnn figures were computed;
* **comparison** of several pipelines on the same set: sacreBLEU's paired bootstrap
  resampling (p < 0.05 is significant) and each one's speed (segments/s) in the same run;
* **calibration** of the trust checks: a segment is *bad* when its chrF falls below a
  threshold (the set's 10th percentile unless given); for each check, its precision and
  recall against that label, and the ``min_score_translator`` and length band that
  maximise F1, as a ``[checks]`` snippet for a config file.

The package: :mod:`.references` (reading sets), :mod:`.scoring` (running and scoring),
:mod:`.comparison`, :mod:`.calibration`, and the records they make (:mod:`.records`).
"""

from __future__ import annotations

from . import records
from .records import *  # noqa: F403 (the records, as records.__all__ names them)
from .references import read_reference_set
from .scoring import evaluate

__all__ = [*records.__all__, "evaluate", "read_reference_set"]
