"""Human-readable renderings of a :class:`Result`: Markdown and plain text.

The Markdown view is the bilingual summary: English points, each with the Italian
sentences it rests on, the Italian summary, then the translation paragraph by paragraph
below its source.
"""

from __future__ import annotations

from itertools import groupby

from .io import one_line
from .segmenting import reassemble
from .types import Result

__all__ = ["paragraphs", "render_markdown", "render_text"]


def paragraphs(result: Result) -> list[tuple[str, str]]:
    """``(Italian, English)`` per paragraph, line breaks inside a paragraph kept."""
    pairs: list[tuple[str, str]] = []
    indexed = list(zip(result.segments, result.translations, strict=True))
    for _, group in groupby(indexed, key=lambda pair: pair[0].paragraph):
        items = list(group)
        start, end = items[0][0].start, items[-1][0].end
        english = reassemble(result.source, [seg for seg, _ in items], [tr for _, tr in items], start, end)
        pairs.append((result.source[start:end], english))
    return pairs


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.split("\n"))


def render_markdown(result: Result) -> str:
    """The bilingual report for one document."""
    out = [f"# {one_line(result.id)}", ""]
    summary = result.summary
    if summary is not None:
        out += ["## Summary", ""]
        for number, point in enumerate(summary.points, start=1):
            out.append(f"{number}. {point.en}")
            sources = [result.segments[i].text for i in point.source_segments]
            if sources:
                out.append(f"   - *Fonte:* {' '.join(sources)}")
        out.append("")
        if summary.kind == "translation":
            out += ["*The document is too short to summarize: the summary is its translation.*", ""]
        if summary.it is not None:
            out += ["## Riassunto", "", summary.it, ""]
    out += ["## Translation", ""]
    for italian, english in paragraphs(result):
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
