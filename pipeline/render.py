"""Human-readable renderings of a :class:`Result`: Markdown and plain text.

The Markdown view is the bilingual summary: English points, each with the Italian
sentences it rests on, the Italian summary, then the translation paragraph by paragraph
below its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from .io import one_line
from .segmenting import reassemble
from .types import Flag, Result

__all__ = ["paragraphs", "render_markdown", "render_text"]


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
