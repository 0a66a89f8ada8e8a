"""What an evaluation finds, as typed records: the reference set's items, each system's
metrics, segment scores, ROUGE and check calibration, and the comparisons between
systems; :meth:`Evaluation.to_dict` is the JSON report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "Calibration",
    "CheckQuality",
    "Comparison",
    "Evaluation",
    "MetricScore",
    "ReferenceItem",
    "SegmentScore",
    "SystemEvaluation",
    "TermAccuracy",
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
class TermAccuracy:
    """How a system followed a glossary: of the ``occurrences`` of its terms in the
    sources, how many the hypotheses render as the glossary says (``followed``)."""

    occurrences: int
    followed: int

    @property
    def accuracy(self) -> float:
        """The share followed, as a percentage (100 where there is nothing to follow)."""
        return 100 * self.followed / self.occurrences if self.occurrences else 100.0


@dataclass(frozen=True)
class SystemEvaluation:
    """One pipeline's figures on the set."""

    name: str
    metrics: tuple[MetricScore, ...]
    segments: tuple[SegmentScore, ...]
    seconds: float
    rouge: dict[str, float] | None = None
    calibration: Calibration | None = None
    terms: TermAccuracy | None = None
    """Term accuracy, where the evaluation has a glossary."""

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
            if system.terms is not None:
                data["terms"]["accuracy"] = system.terms.accuracy
            if system.calibration is not None:
                data["calibration"]["checks"] = [
                    {**asdict(check), "f1": check.f1} for check in system.calibration.checks
                ]
            systems.append(data)
        comparisons = [{**asdict(c), "significant": c.significant} for c in self.comparisons]
        return {"systems": systems, "comparisons": comparisons}
