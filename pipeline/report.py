"""The bilingual report as one self-contained HTML page per document, and the index of a
batch run's pages.

Pages are made with Jinja2 with autoescaping on, so no text of a document can ever become
markup; styles and the small script are inline, so a page makes no network request, and
it reads and prints without the script (which only adds the highlighting of a summary
point's sources).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import groupby
from typing import TYPE_CHECKING, Any

from .types import Flag, Result

if TYPE_CHECKING:
    from .evaluate import Evaluation

__all__ = ["IndexEntry", "document_title", "render_evaluation_html", "render_html", "render_index"]

IndexEntry = dict[str, Any]
"""One document of a batch index: ``title``, ``id``, ``page``, ``summary_kind``, ``flags``,
and optionally ``finished`` (its date) and ``removed`` (its input is gone)."""


@cache
def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("pipeline", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
    )


def document_title(result: Result, words: int = 12) -> str:
    """The document's first heading, else its first words."""
    heading = next((seg.text for seg in result.segments if seg.kind == "heading"), None)
    if heading:
        return heading
    first = result.source.split()
    return " ".join(first[:words]) + ("…" if len(first) > words else "")


def render_html(result: Result) -> str:
    """The report of one document: the summary points with their Italian rendering, the
    document as aligned Italian/English pairs paragraph by paragraph, flags marked."""
    summary = result.summary
    points = [
        {
            "id": f"p{i + 1}",
            "en": point.en,
            "it": point.it,
            "sources": " ".join(f"s{j + 1}" for j in point.source_segments),
            "flags": _names(point.flags),
            "details": _details(point.flags),
        }
        for i, point in enumerate(summary.points if summary is not None else ())
    ]
    pairs = [
        {
            "id": f"s{i + 1}",
            "paragraph": seg.paragraph,
            "kind": seg.kind,
            "source": seg.text,
            "translation": translation,
            "flags": _names(result.segment_flags(i)),
            "details": _details(result.segment_flags(i)),
        }
        for i, (seg, translation) in enumerate(zip(result.segments, result.translations, strict=True))
    ]
    paragraphs = [list(group) for _, group in groupby(pairs, key=lambda pair: pair["paragraph"])]
    review = [
        {"target": e.anchor, "where": e.label, "flag": e.flag, "detail": e.detail} for e in result.review()
    ]
    groups = [
        {"flag": flag, "entries": [e for e in review if e["flag"] == flag]}
        for flag in dict.fromkeys(e["flag"] for e in review)
    ]
    template = _environment().get_template("report.html.j2")
    return template.render(
        result=result,
        title=document_title(result),
        summary=summary,
        points=points,
        paragraphs=paragraphs,
        review=groups,
    )


def render_index(
    entries: Sequence[IndexEntry],
    title: str = "it2en batch",
    *,
    failures: Sequence[dict[str, str]] = (),
    run: str = "",
) -> str:
    """The index page of a batch output folder: every document with its title, summary
    kind, number of flags and date, linking to its page (the table sorts by flags on a
    click); then ``failures`` (``input``, ``reason``) of the run dated ``run``."""
    return (
        _environment()
        .get_template("index.html.j2")
        .render(title=title, entries=list(entries), failures=list(failures), run=run)
    )


def _names(flags: Sequence[Flag]) -> str:
    return ", ".join(dict.fromkeys(flag.name for flag in flags))


def _details(flags: Sequence[Flag]) -> str:
    return "; ".join(f"{flag.name}: {flag.detail}" for flag in flags)


def render_evaluation_html(evaluation: Evaluation) -> str:
    """The self-contained page of an ``it2en eval``: the metric table with signatures, the
    comparison, a chart of the first system's chrF per segment, the checks' calibration
    and the 20 worst segments beside their references."""
    first = evaluation.systems[0]
    return (
        _environment()
        .get_template("evaluation.html.j2")
        .render(
            evaluation=evaluation,
            first=first,
            count=len(first.segments),
            bars=sorted(s.chrf for s in first.segments),
            worst=first.worst(20),
        )
    )
