"""Human-readable renderings of a :class:`Result`: Markdown and plain text.

The Markdown view is the bilingual summary: English points, each with the Italian
sentences it rests on, the Italian summary, then the translation paragraph by paragraph
below its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from .segmenting import reassemble
from .text import one_line
from .types import Flag, Result

if TYPE_CHECKING:
    from .evaluate import Evaluation

__all__ = ["paragraphs", "render_evaluation_markdown", "render_markdown", "render_text"]


def paragraphs(result: Result, marked: bool = False) -> list[tuple[str, str]]:
    """``(Italian, English)`` per paragraph, line breaks inside a paragraph kept; with
    ``marked``, each flagged segment's translation is followed by its flags."""
    pairs: list[tuple[str, str]] = []
    outputs = [
        f"{tr} {_mark(result.segment_flags(i))}" if marked and result.segment_flags(i) else tr
        for i, tr in enumerate(result.translations)
    ]
    indexed = list(zip(result.segments, outputs, strict=True))
    for _, group in groupby(indexed, key=lambda pair: pair[0].paragraph):
        items = list(group)
        start, end = items[0][0].start, items[-1][0].end
        english = reassemble(result.source, [seg for seg, _ in items], [tr for _, tr in items], start, end)
        pairs.append((result.source[start:end], english))
    return pairs


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


def _mark(flags: Sequence[Flag]) -> str:
    return f"⚠ *{', '.join(flag.name for flag in flags)}*"


def _to_check(result: Result) -> list[str]:
    """The "To check" section: every flag with its reason, segments by their source."""
    lines = []
    for entry in result.review():
        where = entry.label
        if entry.segment is not None:
            where += f" («{one_line(result.segments[entry.segment].text)}»)"
        lines.append(f"- {where}: **{entry.flag}**, {entry.detail}")
    return ["## To check", "", *lines, ""] if lines else []


def render_markdown(result: Result) -> str:
    """The bilingual report for one document; flagged sentences and points are marked ⚠
    and listed first, under "To check"."""
    out = [f"# {one_line(result.id)}", "", *_to_check(result)]
    summary = result.summary
    if summary is not None:
        out += ["## Summary", ""]
        for number, point in enumerate(summary.points, start=1):
            out.append(f"{number}. {point.en}" + (f" {_mark(point.flags)}" if point.flags else ""))
            sources = [result.segments[i].text for i in point.source_segments]
            if sources:
                out.append(f"   - *Fonte:* {' '.join(sources)}")
        out.append("")
        if summary.kind == "translation":
            out += ["*The document is too short to summarize: the summary is its translation.*", ""]
        if summary.it is not None:
            out += ["## Riassunto", "", summary.it, ""]
    out += ["## Translation", ""]
    for italian, english in paragraphs(result, marked=True):
        out += [_quote(italian), "", english, ""]
    return "\n".join(out)


def render_text(result: Result, header: bool) -> str:
    """Plain text: the translation alone, or with the summary first when there is one.

    ``header`` adds a ``==> id <==`` line, for output holding several documents.
    """
    out = [f"==> {one_line(result.id)} <=="] if header else []
    summary = result.summary
    if summary is not None:
        out += ["Summary:", *(f"- {p.en}" for p in summary.points), ""]
        if summary.it is not None:
            out += ["Riassunto:", summary.it, ""]
        out += ["Translation:"]
    out.append(result.translation.strip("\n"))
    return "\n".join(out) + "\n"


def _table(heads: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table after a blank line (nothing when there are no ``rows``)."""
    if not rows:
        return []
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    return ["", *lines, *("| " + " | ".join(row) + " |" for row in rows)]


def render_evaluation_markdown(evaluation: Evaluation) -> str:
    """The evaluation as Markdown tables (what a terminal shows)."""
    out = ["| system | BLEU | chrF | chrF++ | segments/s |", "|---|---|---|---|---|"]
    for s in evaluation.systems:
        cells = [f"{m.score:.2f} ± {m.ci:.2f}" for m in s.metrics]
        out.append(f"| {s.name} | {' | '.join(cells)} | {s.segments_per_s:.2f} |")
    first = evaluation.systems[0]
    out += ["", *(f"- {m.name}: `{m.signature}`" for m in first.metrics)]
    out += _table(
        ("system", "term accuracy", "followed", "occurrences"),
        [
            (s.name, f"{s.terms.accuracy:.1f} %", str(s.terms.followed), str(s.terms.occurrences))
            for s in evaluation.systems
            if s.terms is not None
        ],
    )
    out += _table(
        ("system", "ROUGE-1", "ROUGE-2", "ROUGE-Lsum"),
        [
            (s.name, *(f"{s.rouge[key]:.2f}" for key in ("rouge1", "rouge2", "rougeLsum")))
            for s in evaluation.systems
            if s.rouge is not None
        ],
    )
    out += _table(
        ("system", "vs", "metric", "difference", "p", "significant"),
        [
            (
                c.system,
                c.baseline,
                c.metric,
                f"{c.delta:+.2f}",
                f"{c.p_value:.4f}",
                "yes" if c.significant else "no",
            )
            for c in evaluation.comparisons
        ],
    )
    for s in evaluation.systems:
        if s.calibration is not None:
            cal = s.calibration
            out += [
                "",
                f"Checks of {s.name} against the references "
                f"({cal.bad} of {cal.total} segments bad: chrF < {cal.bad_below:.1f}):",
                "",
                "| check | flagged | precision | recall | F1 |",
                "|---|---|---|---|---|",
                *(
                    f"| {c.name} | {c.flagged} | {c.precision:.2f} | {c.recall:.2f} | {c.f1:.2f} |"
                    for c in cal.checks
                ),
            ]
    worst = first.worst(5)
    out += ["", f"Worst segments of {first.name} (chrF):", ""]
    out += [f"- {w.id} ({w.chrf:.1f}): {w.hypothesis!r} / reference {w.references[0]!r}" for w in worst]
    return "\n".join(out) + "\n"
