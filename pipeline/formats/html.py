"""HTML pages: the text of block elements in, the same page with that text translated out.

A page is read with lxml's HTML parser. Its text is taken as *runs*: the text a block
element (a paragraph, heading, list item, table cell, caption, ``title``...) holds between
its child blocks, inline markup (``<b>``, ``<a>``, ``<i>``...) included, whitespace
collapsed as a browser shows it. ``alt`` and ``title`` attributes are runs of their own.
``script``, ``style``, ``code``, ``pre`` and the like are never read or touched, and a
``<br>`` ends a run.

Writing puts each run's translation back in place of its text. Inline elements stay as
they are when their text appears in the translation, in order (names, figures, links to
proper nouns, and everything a copy keeps); where it does not, the run's translation is
written as plain text and the markup of that run is dropped, logged with its place:
text is never lost, markup may be.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..types import SegmentKind
from . import Layout

__all__ = ["read", "write"]

log = logging.getLogger("it2en.formats")

_SKIP = frozenset(
    "script style code pre kbd samp var noscript template svg math textarea iframe object".split()
)
"""Elements whose content is never read or changed."""
_BLOCKS = frozenset(
    """html head body title p h1 h2 h3 h4 h5 h6 li ul ol dl dt dd td th tr thead tbody tfoot
    table caption figure figcaption blockquote div section article header footer main aside
    nav address form fieldset legend label button option select summary details hr br""".split()
)
"""Elements that start and end a run of text; ``br`` and ``hr`` too."""
_KINDS: dict[str, SegmentKind] = {
    **{f"h{n}": "heading" for n in range(1, 7)},
    "title": "heading",
    "li": "list_item",
    "dt": "list_item",
    "blockquote": "quote",
}
_ATTRIBUTES = ("alt", "title")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_MARKUP = re.compile(rb"<\s*[A-Za-z!/?]")


@dataclass
class _Run:
    """Text a block element holds between two of its child blocks: ``parent.text`` (when
    ``lead`` is None) or ``lead.tail``, then the inline ``children`` with their tails."""

    parent: Any
    lead: Any | None
    children: list[Any]

    def pieces(self) -> list[str]:
        """The run's text as lead text, then each child's text and tail, uncollapsed."""
        out = [(self.parent.text if self.lead is None else self.lead.tail) or ""]
        for child in self.children:
            out += [_text(child), child.tail or ""]
        return out

    def text(self) -> str:
        """The run's text as a browser shows it, surrounding space stripped."""
        return _collapse("".join(self.pieces())).strip()


def read(data: bytes, *, main_article: bool = False) -> Layout:
    """The layout of an HTML page (:class:`InputError` for data that is not HTML).

    ``main_article``: only the runs of the page's main article, as trafilatura (a library
    made for news pages) finds it, without menus, headers, footers, asides and
    attributes; the rest of the page stays as it is in the translated copy. A page where
    no article is found is read whole, with a warning."""
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("binary file, expected an HTML page")
    if not _MARKUP.search(data[:65536]):
        raise InputError("no HTML markup found, expected an HTML page")
    text, _ = _decode(data)
    root = _parse(text)
    tree = root.getroottree()
    pieces = [(run.text(), where, kind) for run, where, kind in _runs(root, tree)]
    article = _article(text) if main_article else None
    if article is not None:
        pieces = [piece for piece in pieces if _in_article(piece[0], article)]
    else:
        pieces += [
            (_collapse(el.get(name)).strip(), f"{tree.getpath(el)}/@{name}", "text")
            for el, name in _attrs(root)
        ]
    return Layout.of("html", pieces, data)


def _article(text: str) -> str | None:
    """The main article's text as trafilatura extracts it, lines whitespace-collapsed, or
    None (logged) when it finds none."""
    try:
        import trafilatura
    except ImportError:
        raise InputError("the main-article option needs trafilatura: pip install 'it2en[article]'") from None
    found = trafilatura.extract(text, output_format="txt", include_comments=False, favor_precision=True)
    if not found or not found.strip():
        log.warning("no main article found in the page: reading it whole")
        return None
    return "\n".join(_collapse(line).strip() for line in found.splitlines())


def _in_article(run: str, article: str) -> bool:
    """Whether a run's text is part of the article: one of its lines (trafilatura keeps a
    paragraph whole, on a line of its own), or, for runs of three words or more, inside
    one (a paragraph split by a ``<br>``). A menu item of a word or two never matches by
    chance."""
    lines = article.split("\n")
    return bool(run) and (run in lines or (len(run.split()) >= 3 and any(run in line for line in lines)))


def write(layout: Layout, translations: Sequence[str]) -> bytes:
    """The page of ``layout`` with its blocks replaced by ``translations`` (in block order),
    in the page's own encoding."""
    from lxml import html

    text, encoding = _decode(layout.data)
    root = _parse(text)
    tree = root.getroottree()
    wanted = {
        block.where: translation for block, translation in zip(layout.blocks, translations, strict=True)
    }
    for run, where, _ in _runs(root, tree):
        if where in wanted:
            _put(run, wanted.pop(where), where)
    for el, name in _attrs(root):
        where = f"{tree.getpath(el)}/@{name}"
        if where in wanted:
            el.set(name, wanted.pop(where))
    if wanted:
        raise ValueError("the page no longer has the blocks it was read with")
    # lxml invents a doctype for pages that have none: keep the page's own, or none.
    declared = re.search(rb"<!doctype", layout.data[:4096], re.IGNORECASE)
    doctype = tree.docinfo.doctype if declared else None
    out = html.tostring(root, encoding="unicode", method="html", doctype=doctype or None)
    out += text[len(text.rstrip()) :]  # the line end after </html>, which the tree does not hold
    return out.encode(encoding, errors="xmlcharrefreplace")


def _parse(text: str) -> Any:
    """The page's root element, parsed by lxml without libxml2's usual depth limit of
    256. Past its hard limit (2,048 levels) libxml2 stops reading and would drop the rest
    of the page quietly: such a page is refused instead."""
    from lxml import html

    parser = html.HTMLParser(huge_tree=True)
    root = html.document_fromstring(text, parser=parser)
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        raise InputError("elements nested more than 2,048 deep: the page cannot be read whole")
    return root


def _decode(data: bytes) -> tuple[str, str]:
    """The page's text and encoding: a byte-order mark, else a ``<meta charset>``, else
    UTF-8 when it decodes, else Windows-1252 (what browsers assume)."""
    for bom, name in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(name), name
    declared = _CHARSET.search(data[:4096])
    names = [declared.group(1).decode("ascii").lower()] if declared else []
    for name in [*names, "utf-8", "cp1252"]:
        try:
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1"), "latin-1"


def _runs(root: Any, tree: Any) -> Iterator[tuple[_Run, str, SegmentKind]]:
    """Every run of the page in reading order, with its place and kind. An inline element
    holding a block (``<a><div>...</div></a>``) counts as a block itself, so that no text
    is read twice. Walked with a stack, not recursion: pages nest thousands deep."""
    holders: set[Any] = set()
    for el in root.iter():
        if el.tag in _BLOCKS:
            for ancestor in el.iterancestors():
                if ancestor in holders:
                    break  # and so are all above it
                holders.add(ancestor)

    def is_block(el: Any) -> bool:
        return isinstance(el.tag, str) and (el.tag in _BLOCKS or el in holders)

    def items(block: Any) -> Iterator[tuple[_Run, str, SegmentKind] | Any]:
        """The block's runs, with its child blocks (to walk) between them."""
        runs, inner, current = [], [], _Run(block, None, [])
        for child in block:
            tag = child.tag if isinstance(child.tag, str) else ""
            if not tag or tag in _SKIP or is_block(child):  # comments end a run too
                runs.append(current)
                inner.append(child if is_block(child) and tag not in _SKIP else None)
                current = _Run(block, child, [])
            else:
                current.children.append(child)
        runs.append(current)
        kind = _KINDS.get(block.tag, "text")
        path = tree.getpath(block)
        filled = [bool(run.text()) for run in runs]
        several, number = sum(filled) > 1, 0
        for run, child, has_text in zip(runs, [*inner, None], filled, strict=True):
            if has_text:
                number += 1
                yield run, f"{path}#{number}" if several else path, kind
            if child is not None:
                yield child

    stack = [items(root)]
    while stack:
        item = next(stack[-1], None)
        if item is None:
            stack.pop()
        elif isinstance(item, tuple):
            yield item
        else:
            stack.append(items(item))


def _attrs(root: Any) -> Iterator[tuple[Any, str]]:
    """The ``alt`` and ``title`` attributes worth translating, in document order."""
    for el in root.iter():
        if isinstance(el.tag, str) and not _skipped(el):
            for name in _ATTRIBUTES:
                if el.get(name):
                    yield el, name


def _skipped(el: Any) -> bool:
    """Whether ``el`` lies inside an element that is never touched."""
    return any(isinstance(a.tag, str) and a.tag in _SKIP for a in el.iterancestors())


def _text(el: Any) -> str:
    """An inline element's text, as the run holds it."""
    return "".join(el.itertext())


def _collapse(text: str | None) -> str:
    """Whitespace as a browser shows it: runs of it as one space."""
    return re.sub(r"\s+", " ", text or "")


def _put(run: _Run, translation: str, where: str) -> None:
    """Write ``translation`` in place of ``run``'s text, keeping its inline elements where
    their text can be found in it, in order; else as plain text, logged."""
    original = "".join(run.pieces())
    head = original[: len(original) - len(original.lstrip())]
    tail = original[len(original.rstrip()) :]
    body = translation.strip()
    spans, position = [], 0
    for child in run.children:
        wanted = _collapse(_text(child)).strip()
        found = body.find(wanted, position) if wanted else position
        if found < 0:
            spans = None
            break
        spans.append((found, found + len(wanted)))
        position = found + len(wanted)
    if spans is None:
        log.warning("%s: inline markup could not be placed in the translation and was dropped", where)
        for child in run.children:
            child.getparent().remove(child)
        _set_lead(run, head + body + tail)
        return
    cuts = [0, *[p for span in spans for p in span], len(body)]
    texts = [body[cuts[i] : cuts[i + 1]] for i in range(0, len(cuts) - 1, 2)]
    texts[0] = head + texts[0].lstrip()
    texts[-1] = texts[-1].rstrip() + tail
    _set_lead(run, texts[0])
    for child, after in zip(run.children, texts[1:], strict=True):
        child.tail = after


def _set_lead(run: _Run, text: str) -> None:
    if run.lead is None:
        run.parent.text = text
    else:
        run.lead.tail = text
