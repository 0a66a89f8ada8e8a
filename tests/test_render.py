"""Markdown and plain-text views of a result."""

from __future__ import annotations

from test_types import _result

from pipeline.render import render_markdown, render_text


def test_markdown_lists_what_to_check_first_with_each_places_and_source():
    page = render_markdown(_result())
    to_check = page.index("## To check")
    line = "Sentence 2, page 2 («Costa 5 euro.»): **numbers**, 5 not in the translation"
    assert page.index(line) > to_check
    assert "Summary point 1: **unsupported**, 6 not in the document" in page
    assert page.index("## To check") < page.index("## Translation")


def test_text_is_the_summary_then_the_translation_with_a_header_for_several():
    alone, several = render_text(_result(), header=False), render_text(_result(), header=True)
    assert alone.endswith("The museum is open. It costs 5 euros.\n")
    assert "The museum costs 6 euros." in alone
    assert several.startswith("==> d <==")
    assert several.endswith(alone)
