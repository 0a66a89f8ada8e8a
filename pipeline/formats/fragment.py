"""HTML fragments (LibreTranslate's ``format=html``): a piece of a page, or plain text that
will be put into one, translated with every tag and attribute kept.

A fragment with markup is read and written back by the HTML format (:mod:`.html`) and
unwrapped from the page lxml builds around it; a fragment without a tag is text in which
character references mean characters (``&amp;`` is ``&``), so it is translated as text
and escaped again. Either way what is translated is the fragment's text, segmented by
the rules of its language, never its markup.
"""

from __future__ import annotations

import html as html_text
from collections.abc import Callable, Sequence

from ..errors import InputError
from ..segmenting import reassemble
from ..types import Segment
from . import Layout, block_translations, read_format, write_translated

__all__ = ["TranslateTexts", "translate_fragments"]

TranslateTexts = Callable[[dict[int, str]], tuple[dict[int, list[Segment]], dict[int, list[str]]]]
"""Texts by key → each text's segments and their translations (one pooled model run)."""


def translate_fragments(fragments: Sequence[str], translate: TranslateTexts) -> list[str]:
    """Each fragment with its text translated by ``translate``, in one pooled call for
    them all; a fragment with nothing to translate comes back as it was."""
    layouts: dict[int, Layout | None] = {}
    texts: dict[int, str] = {}
    for i, fragment in enumerate(fragments):
        try:
            layout: Layout | None = read_format("html", fragment.encode("utf-8"))
        except InputError:  # no markup: text, where references are characters
            layout = None
        text = layout.text if layout is not None else html_text.unescape(fragment)
        if text.strip():
            layouts[i], texts[i] = layout, text
    segmented, outputs = translate(texts)
    translated = list(fragments)
    for i, layout in layouts.items():
        if layout is None:
            translated[i] = html_text.escape(reassemble(texts[i], segmented[i], outputs[i]), quote=False)
        else:
            page = write_translated(layout, block_translations(layout, segmented[i], outputs[i]))
            translated[i] = _unwrapped(page.decode("utf-8"), fragments[i])
    return translated


def _unwrapped(page: str, fragment: str) -> str:
    """The fragment's own part of the page lxml wrote around it (all of it when the
    fragment was a whole page)."""
    from lxml import html as lxml_html

    body = lxml_html.document_fromstring(page).find("body")
    if body is None or "<body" in fragment.lower():
        return page
    lead = html_text.escape(body.text or "", quote=False)  # lxml gives text unescaped
    return lead + "".join(lxml_html.tostring(child, encoding="unicode") for child in body)
