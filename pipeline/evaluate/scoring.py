"""Running the systems on a reference set and scoring them as the field does: sacreBLEU's
BLEU, chrF and chrF++ with signatures and confidence intervals, chrF per segment,
rouge-score's ROUGE for summaries; then the comparisons (:mod:`.comparison`) and the
checks' calibration (:mod:`.calibration`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import InputError
from ..pipeline import Pipeline
from ..segmenting import split_sentences
from ..terms import Glossary
from ..types import Failure, Result
from .calibration import calibrate
from .comparison import compare
from .records import Evaluation, MetricScore, ReferenceItem, SegmentScore, SystemEvaluation, TermAccuracy

__all__ = ["evaluate"]


def evaluate(
    items: Sequence[ReferenceItem],
    pipelines: Mapping[str, Pipeline],
    *,
    bad_below: float | None = None,
    n_bootstrap: int = 1000,
    progress: Callable[[str], None] | None = None,
    glossary: Glossary | None = None,
) -> Evaluation:
    """Run each pipeline of ``pipelines`` (by name; the first is the baseline of the
    comparisons) on ``items`` and measure as the module says. ``bad_below``: the chrF
    under which a segment counts as bad for the calibration (default: the set's 10th
    percentile). ``progress`` is told each stage as it starts. ``glossary``: the terms
    whose accuracy is measured, the same for every system (default: every pipeline's
    glossary together; none, no term accuracy)."""
    if not items:
        raise InputError("the reference set is empty")
    if glossary is None:
        glossary = Glossary()
        for pipeline in pipelines.values():
            glossary = glossary.merged(pipeline.glossary)
    references = _streams(items)
    summarized = any(i.reference_summaries for i in items)
    systems, outputs = [], {}
    for name, pipeline in pipelines.items():
        if progress is not None:
            progress(f"translating with {name}")
        pipeline.engine("translator")  # loaded (and converted) before the clock starts
        started = time.perf_counter()
        # One run per set: with summaries where the set has reference summaries to score.
        results = list(pipeline.process_many(((i.id, i.source) for i in items), summarize=summarized))
        seconds = time.perf_counter() - started
        hypotheses = [r.translation if isinstance(r, Result) else "" for r in results]
        outputs[name] = hypotheses
        segments = _segment_scores(items, hypotheses)
        rouge = _rouge(items, results) if summarized else None
        systems.append(
            SystemEvaluation(
                name=name,
                metrics=_corpus_metrics(hypotheses, references, n_bootstrap),
                segments=segments,
                seconds=seconds,
                rouge=rouge,
                calibration=calibrate(items, results, segments, bad_below),
                terms=_term_accuracy(items, hypotheses, glossary) if glossary else None,
            )
        )
    comparisons = compare(outputs, references, n_bootstrap) if len(outputs) > 1 else ()
    return Evaluation(tuple(systems), tuple(comparisons))


def _term_accuracy(items: Sequence[ReferenceItem], hypotheses: list[str], glossary: Glossary) -> TermAccuracy:
    """Of the glossary's term occurrences in the sources, those the hypotheses follow."""
    counts = [glossary.followed(i.source, h) for i, h in zip(items, hypotheses, strict=True)]
    return TermAccuracy(sum(c[0] for c in counts), sum(c[1] for c in counts))


def _streams(items: Sequence[ReferenceItem]) -> list[list[str]]:
    """sacreBLEU's reference streams; a segment with fewer references repeats its first
    (a repeated reference changes neither BLEU nor chrF)."""
    most = max(len(i.references) for i in items)
    return [
        [i.references[k] if k < len(i.references) else i.references[0] for i in items] for k in range(most)
    ]


def _metrics() -> dict[str, Any]:
    from sacrebleu.metrics import BLEU, CHRF

    return {"BLEU": BLEU(), "chrF": CHRF(), "chrF++": CHRF(word_order=2)}


def _corpus_metrics(
    hypotheses: list[str], references: list[list[str]], n_bootstrap: int
) -> tuple[MetricScore, ...]:
    scores = []
    for name, metric in _metrics().items():
        result = metric.corpus_score(hypotheses, references, n_bootstrap=max(n_bootstrap, 1))
        ci = float(getattr(result, "_ci", 0.0) or 0.0)
        scores.append(MetricScore(name, float(result.score), ci, str(metric.get_signature())))
    return tuple(scores)


def _segment_scores(items: Sequence[ReferenceItem], hypotheses: list[str]) -> tuple[SegmentScore, ...]:
    from sacrebleu.metrics import CHRF

    chrf = CHRF()
    return tuple(
        SegmentScore(i.id, i.source, h, i.references, float(chrf.sentence_score(h, list(i.references)).score))
        for i, h in zip(items, hypotheses, strict=True)
    )


def _rouge(items: Sequence[ReferenceItem], results: Sequence[Result | Failure]) -> dict[str, float]:
    """ROUGE-1/2/Lsum F-measures (×100) of the English summaries of the items that have
    reference summaries, with stemming and one sentence per line for Lsum, the best over
    an item's references, averaged."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    pairs = [(i, r) for i, r in zip(items, results, strict=True) if i.reference_summaries]
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeLsum": 0.0}
    for item, result in pairs:
        summary = result.summary.en if isinstance(result, Result) and result.summary else ""
        scores = scorer.score_multi(
            [_sentence_lines(r) for r in item.reference_summaries], _sentence_lines(summary)
        )
        for key in totals:
            totals[key] += scores[key].fmeasure
    return {key: 100 * value / len(pairs) for key, value in totals.items()}


def _sentence_lines(text: str) -> str:
    """``text`` with one sentence a line, as ROUGE-Lsum reads summaries."""
    return "\n".join(text[start:end] for start, end in split_sentences(text, "en"))
