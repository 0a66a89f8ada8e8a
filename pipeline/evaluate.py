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
"""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .checks import length_ratio
from .errors import InputError
from .pipeline import Pipeline
from .segmenting import split_sentences
from .types import Failure, Result

__all__ = [
    "Calibration",
    "CheckQuality",
    "Comparison",
    "Evaluation",
    "MetricScore",
    "ReferenceItem",
    "SegmentScore",
    "SystemEvaluation",
    "evaluate",
    "read_reference_set",
]

_SIGNIFICANT = 0.05
"""p-value below which a difference is reported as significant."""


@dataclass(frozen=True)
class ReferenceItem:
    """One segment of a reference set."""

    id: str
    source: str
    references: tuple[str, ...]
    reference_summaries: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricScore:
    """A corpus-level score with its 95 % confidence interval and sacreBLEU signature."""

    name: str
    score: float
    ci: float
    signature: str


@dataclass(frozen=True)
class SegmentScore:
    """One segment's translation and its chrF."""

    id: str
    source: str
    hypothesis: str
    references: tuple[str, ...]
    chrf: float


@dataclass(frozen=True)
class CheckQuality:
    """How well one trust check (or threshold) finds the bad segments."""

    name: str
    flagged: int
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


@dataclass(frozen=True)
class Calibration:
    """The trust checks against the references' verdict."""

    bad_below: float
    """chrF below which a segment counts as bad."""
    bad: int
    total: int
    checks: tuple[CheckQuality, ...]
    min_score_translator: float | None
    """The threshold of ``low_confidence`` that maximises F1 (None: no scores)."""
    length_ratio: tuple[float, float] | None
    """The band of the ``length`` check that maximises F1 (None: no source long enough)."""

    def config_snippet(self) -> str:
        """The calibrated thresholds as a ``[checks]`` section of a config file."""
        lines = ["# Calibrated by it2en eval: the thresholds that maximise F1 on this set.", "[checks]"]
        if self.min_score_translator is not None:
            lines.append(f"min_score_translator = {self.min_score_translator:.3f}")
        if self.length_ratio is not None:
            lines += [
                f"length_ratio_min = {self.length_ratio[0]:.3f}",
                f"length_ratio_max = {self.length_ratio[1]:.3f}",
            ]
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SystemEvaluation:
    """One pipeline's figures on the set."""

    name: str
    metrics: tuple[MetricScore, ...]
    segments: tuple[SegmentScore, ...]
    seconds: float
    rouge: dict[str, float] | None = None
    calibration: Calibration | None = None

    @property
    def segments_per_s(self) -> float:
        return len(self.segments) / self.seconds if self.seconds > 0 else 0.0

    def worst(self, count: int = 20) -> list[SegmentScore]:
        """The ``count`` segments with the lowest chrF."""
        return sorted(self.segments, key=lambda s: s.chrf)[:count]


@dataclass(frozen=True)
class Comparison:
    """A system against the first one (the baseline), by paired bootstrap resampling."""

    system: str
    baseline: str
    metric: str
    delta: float
    p_value: float

    @property
    def significant(self) -> bool:
        """p below 0.05, for a difference that is not zero (sacreBLEU's bootstrap gives
        identical outputs a small p of their own: no difference is never significant)."""
        return self.delta != 0 and self.p_value < _SIGNIFICANT


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` found: each system's figures and their comparisons."""

    systems: tuple[SystemEvaluation, ...]
    comparisons: tuple[Comparison, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The evaluation as JSON-ready values (stable keys)."""
        systems = []
        for system in self.systems:
            data = asdict(system)
            data["segments_per_s"] = system.segments_per_s
            if system.calibration is not None:
                data["calibration"]["checks"] = [
                    {**asdict(check), "f1": check.f1} for check in system.calibration.checks
                ]
            systems.append(data)
        comparisons = [{**asdict(c), "significant": c.significant} for c in self.comparisons]
        return {"systems": systems, "comparisons": comparisons}


# -- reading reference sets ---------------------------------------------------------------


def read_reference_set(
    *,
    src: str | Path | None = None,
    refs: Sequence[str | Path] = (),
    jsonl: str | Path | None = None,
    tmx: str | Path | None = None,
) -> list[ReferenceItem]:
    """The segments of a reference set given as parallel files (``src`` and one or more
    ``refs``, one segment a line), a JSONL file or a TMX file. A line-count mismatch, a
    bad JSONL line or a TMX without Italian and English is an :class:`InputError`."""
    if jsonl is not None:
        return _read_jsonl(Path(jsonl))
    if tmx is not None:
        return _read_tmx(Path(tmx))
    if src is None or not refs:
        raise InputError("a reference set needs --src and --ref, --jsonl or --tmx")
    sources = _lines(Path(src))
    streams = [_lines(Path(ref)) for ref in refs]
    for ref, stream in zip(refs, streams, strict=True):
        if len(stream) != len(sources):
            raise InputError(f"{src} has {len(sources)} lines but {ref} has {len(stream)}")
    return [
        ReferenceItem(str(i + 1), source, tuple(stream[i] for stream in streams))
        for i, source in enumerate(sources)
    ]


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    return text.splitlines() if text else []


def _read_jsonl(path: Path) -> list[ReferenceItem]:
    items = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            references = _strings(data["reference"])
            summaries = _strings(data["reference_summary"]) if "reference_summary" in data else ()
            items.append(ReferenceItem(str(data.get("id", number)), str(data["text"]), references, summaries))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: expected {{'text', 'reference'}} ({exc})") from None
    return items


def _strings(value: Any) -> tuple[str, ...]:
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or not all(isinstance(v, str) for v in values):
        raise TypeError("a reference is a string or a list of strings")
    return values


def _read_tmx(path: Path) -> list[ReferenceItem]:
    """Translation units with an Italian and at least one English variant (``it``,
    ``it-IT``...; ``en``, ``en-GB``...), in any encoding the file declares."""
    from lxml import etree

    try:
        root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise InputError(f"{path}: not a readable TMX file ({exc})") from None
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    items = []
    for number, unit in enumerate(root.iter("tu"), start=1):
        variants: dict[str, list[str]] = {}
        for tuv in unit.iter("tuv"):
            code = (tuv.get(lang) or tuv.get("lang") or "").lower().split("-")[0]
            seg = tuv.find("seg")
            if seg is not None:
                variants.setdefault(code, []).append(_segment_text(seg))
        if variants.get("it") and variants.get("en"):
            items.append(
                ReferenceItem(unit.get("tuid") or str(number), variants["it"][0], tuple(variants["en"]))
            )
    if not items:
        raise InputError(f"{path}: no translation unit with Italian and English")
    return items


_TMX_CODES = frozenset({"bpt", "ept", "ph", "it", "ut"})
"""TMX inline elements that hold the original file's markup, not text."""


def _segment_text(seg: Any) -> str:
    """A TMX ``seg``'s text without the markup codes it carries (``<bpt>&lt;b&gt;</bpt>``)."""
    parts = [seg.text or ""]
    for child in seg:
        parts.append("" if child.tag in _TMX_CODES else _segment_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# -- measuring ---------------------------------------------------------------------------


def evaluate(
    items: Sequence[ReferenceItem],
    pipelines: Mapping[str, Pipeline],
    *,
    bad_below: float | None = None,
    n_bootstrap: int = 1000,
    progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """Run each pipeline of ``pipelines`` (by name; the first is the baseline of the
    comparisons) on ``items`` and measure as the module says. ``bad_below``: the chrF
    under which a segment counts as bad for the calibration (default: the set's 10th
    percentile). ``progress`` is told each stage as it starts."""
    if not items:
        raise InputError("the reference set is empty")
    references = _streams(items)
    systems, outputs = [], {}
    for name, pipeline in pipelines.items():
        if progress is not None:
            progress(f"translating with {name}")
        pipeline.engine("translator")  # loaded (and converted) before the clock starts
        started = time.perf_counter()
        results = list(pipeline.process_many(((i.id, i.source) for i in items), summarize=False))
        seconds = time.perf_counter() - started
        hypotheses = [r.translation if isinstance(r, Result) else "" for r in results]
        outputs[name] = hypotheses
        segments = _segment_scores(items, hypotheses)
        rouge = _rouge(items, pipeline) if any(i.reference_summaries for i in items) else None
        systems.append(
            SystemEvaluation(
                name=name,
                metrics=_corpus_metrics(hypotheses, references, n_bootstrap),
                segments=segments,
                seconds=seconds,
                rouge=rouge,
                calibration=_calibrate(items, results, segments, bad_below),
            )
        )
    comparisons = _compare(outputs, references, n_bootstrap) if len(outputs) > 1 else ()
    return Evaluation(tuple(systems), tuple(comparisons))


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


def _rouge(items: Sequence[ReferenceItem], pipeline: Pipeline) -> dict[str, float]:
    """ROUGE-1/2/Lsum F-measures (×100) of the English summaries, with stemming and one
    sentence per line for Lsum, the best over a segment's references, averaged."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    with_summary = [i for i in items if i.reference_summaries]
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeLsum": 0.0}
    for item, result in zip(
        with_summary, pipeline.process_many((i.id, i.source) for i in with_summary), strict=True
    ):
        summary = result.summary.en if isinstance(result, Result) and result.summary else ""
        scores = scorer.score_multi(
            [_sentence_lines(r) for r in item.reference_summaries], _sentence_lines(summary)
        )
        for key in totals:
            totals[key] += scores[key].fmeasure
    return {key: 100 * value / len(with_summary) for key, value in totals.items()}


def _sentence_lines(text: str) -> str:
    """``text`` with one sentence a line, as ROUGE-Lsum reads summaries."""
    return "\n".join(text[start:end] for start, end in split_sentences(text, "en"))


def _compare(
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


# -- calibrating the checks ---------------------------------------------------------------


def _calibrate(
    items: Sequence[ReferenceItem],
    results: Sequence[Result | Failure],
    segments: Sequence[SegmentScore],
    bad_below: float | None,
) -> Calibration:
    chrfs = sorted(s.chrf for s in segments)
    threshold = bad_below if bad_below is not None else chrfs[int(0.1 * (len(chrfs) - 1))]
    bad = [s.chrf < threshold for s in segments]
    flags: dict[str, list[bool]] = {}
    scores: list[float | None] = []
    ratios: list[float | None] = []
    for item, result, segment in zip(items, results, segments, strict=True):
        names: set[str] = {f.name for fs in result.flags for f in fs} if isinstance(result, Result) else set()
        for name in names:
            flags.setdefault(name, [False] * len(segments))
        for name, column in flags.items():
            column[len(scores)] = name in names
        known = [s for s in result.scores if s is not None] if isinstance(result, Result) else []
        scores.append(min(known) if known else None)
        ratios.append(length_ratio(item.source, segment.hypothesis))
    checks = [_quality(name, column, bad) for name, column in sorted(flags.items())]
    min_score = _best_threshold(scores, bad) if any(bad) else None  # nothing to find: no advice
    band = _best_band(ratios, bad) if any(bad) else None
    if min_score is not None:
        checks.append(
            _quality(
                f"score < {min_score:.3f} (calibrated)",
                [s is not None and s < min_score for s in scores],
                bad,
            )
        )
    if band is not None:
        low, high = band
        checks.append(
            _quality(
                f"length outside {low:.2f}-{high:.2f} (calibrated)",
                [r is not None and not low <= r <= high for r in ratios],
                bad,
            )
        )
    return Calibration(threshold, sum(bad), len(bad), tuple(checks), min_score, band)


def _quality(name: str, predicted: Sequence[bool], bad: Sequence[bool]) -> CheckQuality:
    hits = sum(p and b for p, b in zip(predicted, bad, strict=True))
    return _quality_of(name, hits, sum(predicted), sum(bad))


def _f1(hits: int, flagged: int, bad: int) -> float:
    return _quality_of("", hits, flagged, bad).f1


def _quality_of(name: str, hits: int, flagged: int, bad: int) -> CheckQuality:
    """A check that flagged ``flagged`` segments, ``hits`` of them among ``bad`` bad ones."""
    return CheckQuality(name, flagged, hits / flagged if flagged else 0.0, hits / bad if bad else 0.0)


def _best_threshold(scores: Sequence[float | None], bad: Sequence[bool]) -> float | None:
    """The score threshold (flag below it) with the best F1, just above a seen score: one
    sweep over the scores in order, so a set of any size costs its sort."""
    pairs = sorted((s, b) for s, b in zip(scores, bad, strict=True) if s is not None)
    total, best = sum(bad), None
    flagged = hits = 0
    for k, (value, is_bad) in enumerate(pairs):
        flagged, hits = flagged + 1, hits + is_bad
        if k + 1 < len(pairs) and pairs[k + 1][0] == value:
            continue  # a threshold flags every segment of a score, or none
        f1 = _f1(hits, flagged, total)
        if best is None or f1 > best[0]:
            best = (f1, value + 1e-6)
    return best[1] if best is not None else None


_MOST_ENDS = 64
"""Candidate ends of the length band on each side: every seen ratio up to this many, else
this many spread evenly over them (the search costs their product)."""


def _best_band(ratios: Sequence[float | None], bad: Sequence[bool]) -> tuple[float, float] | None:
    """The length band (flag outside it) with the best F1, its ends among seen ratios;
    each band is counted from sorted ratios and running counts of the bad ones."""
    ordered = sorted((r, b) for r, b in zip(ratios, bad, strict=True) if r is not None)
    if not ordered:
        return None
    values = [r for r, _ in ordered]
    before = [0]  # bad segments among the first k ratios
    for _, is_bad in ordered:
        before.append(before[-1] + is_bad)
    seen, total, n = sorted(set(values)), sum(bad), len(values)
    lows = [seen[0] - 1e-6, *(r + 1e-6 for r in _spread(seen[: len(seen) // 2 + 1]))]
    highs = [seen[-1] + 1e-6, *(r - 1e-6 for r in _spread(seen[len(seen) // 2 :]))]
    best: tuple[float, tuple[float, float]] | None = None
    for low in lows:
        below = bisect.bisect_left(values, low)
        for high in highs:
            if low >= high:
                continue
            above = bisect.bisect_right(values, high)
            f1 = _f1(before[below] + before[n] - before[above], below + n - above, total)
            if best is None or f1 > best[0]:
                best = (f1, (low, high))
    return best[1] if best is not None else None


def _spread(values: list[float]) -> list[float]:
    """``values``, or :data:`_MOST_ENDS` of them spread evenly when there are more."""
    if len(values) <= _MOST_ENDS:
        return values
    return [values[round(k * (len(values) - 1) / (_MOST_ENDS - 1))] for k in range(_MOST_ENDS)]
