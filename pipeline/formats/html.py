"""HTML pages: the text of block elements in, the same page with that text translated out.

A page is read with lxml's HTML parser. Its text is taken as *runs*: the text a block
element (a paragraph, heading, list item, table cell, caption, ``title``...) holds between
its child blocks, inline markup (``<b>``, ``<a>``, ``<i>``...) included, whitespace
collapsed as a browser shows it. ``alt``, ``title``, ``placeholder`` and ``aria-label``
attributes are runs of their own. ``script``, ``style``, ``pre`` and the like are never
read or touched (inside a sentence they hold their place: the sentence stays one run);
the text of ``code``, ``kbd`` and ``samp`` is read with its sentence but never changed, and
so is an inline element marked ``translate="no"`` (HTML's own way to say so; a block so
marked is not read at all, as ``pre``); a ``<br>`` ends a run.

Writing finds every place first, then puts each run's translation back, shared out among
its pieces (:mod:`.inline`): every element, attribute and comment of the page stays, in
order; an inline element keeps its own words where the translation kept them (a copy, a
name, a figure) and covers the words at its place otherwise. Text is never lost, and
neither is markup.
"""

from __future__ import annotations

import html as html_text
import logging
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, reason
from ..types import SegmentKind
from . import BlockTranslation, Layout
from .inline import share_out, visible_text

__all__ = ["pieces", "put", "read", "write"]

log = logging.getLogger("it2en.formats")

_SKIP = frozenset("script style pre template svg math textarea iframe object".split())
"""Elements whose content is not text to read and is never changed. Inside a run they
hold their place (the text around them is one run); ``noscript`` is read, as a browser
without scripts shows it."""
_VERBATIM = frozenset("code kbd samp var tt".split())
"""Inline elements whose text is read with its sentence (the translator sees ``il comando
ls -l``) but never changed: commands, keys, program output."""
_SKIPPED_BLOCKS = frozenset({"pre"})
"""Untouched elements that a browser shows as blocks: the text around them is two runs."""
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
_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_MARKUP = re.compile(rb"<\s*[A-Za-z!/?]")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BULLET = re.compile(r"^[-*•]\s+")
_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]*\?>\s*")
_ESCAPED_IN_URLS = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
"""A character libxml2 may percent-escape in a URL attribute's value (outside RFC 3986)."""


@dataclass
class _Run:
    """Text a block element holds between two of its child blocks, as *pieces*: the
    block's ``text`` (or the ``tail`` of the child block before the run), then the text
    and tail of each inline element inside it, nested ones included, in document order.
    Comments, scripts and the other untouched elements inside a run add only their tail:
    their own content is never read or changed."""

    pieces_of: list[tuple[Any, str, bool]]
    """``(node, "text" | "tail", verbatim)`` for each piece; a verbatim piece (the text of
    a ``code`` element) is read but never changed."""

    def pieces(self) -> list[str]:
        """The run's text, piece by piece, as the file holds it."""
        return [getattr(node, attr) or "" for node, attr, _ in self.pieces_of]

    def text(self) -> str:
        """The run's text as a browser shows it, surrounding space stripped: empty when
        all it holds is verbatim (a ``<p><code>...</code></p>`` is not translated)."""
        if not any(
            (getattr(node, attr) or "").strip() for node, attr, verbatim in self.pieces_of if not verbatim
        ):
            return ""
        return visible_text(self.pieces(), collapse=True)

    def put(self, translation: BlockTranslation) -> None:
        """``translation`` in place of the run's text, shared out among its pieces
        (:func:`.inline.share_out`): every inline element is kept, verbatim ones as
        they were. A run whose translation equals its text is left exactly as it was."""
        if translation.text == self.text():
            return
        verbatim = [v for _, _, v in self.pieces_of]
        texts = share_out(
            self.pieces(), translation.text, collapse=True, anchors=translation.anchors, fixed=verbatim
        )
        for (node, attr, fixed), text in zip(self.pieces_of, texts, strict=True):
            if not fixed:
                setattr(node, attr, _storable(text))


def read(data: bytes, *, main_article: bool = False, name: str = "the page") -> Layout:
    """The layout of an HTML page (:class:`InputError` for data that is not HTML).

    ``main_article``: only the runs of the page's main article, as trafilatura (a library
    made for news pages) finds it, without menus, headers, footers, asides and
    attributes; the rest of the page stays as it is in the translated copy. A page where
    no article is found is read whole, with a warning naming ``name``."""
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("binary file, expected an HTML page")
    if not _MARKUP.search(data[:65536]):
        raise InputError("no HTML markup found, expected an HTML page")
    text, _ = _decode(data)
    _, markup = _xml_declaration(text)
    root = _parse(markup)
    if main_article:
        runs = [(run.text(), where, kind) for run, where, kind in _runs(root, root.getroottree())]
        article = _article_runs(markup, runs)
        if article:
            return Layout.of("html", article, data)
        log.warning("%s: no main article found: reading the whole page", name)
    return Layout.of("html", pieces(root), data)


def pieces(root: Any) -> list[tuple[str, str, SegmentKind]]:
    """The text of the document under ``root`` (parsed as HTML, or as XHTML by an XML
    parser): ``(text, place, kind)`` for each run in reading order, then for each
    attribute worth translating."""
    tree = root.getroottree()
    runs = [(run.text(), where, kind) for run, where, kind in _runs(root, tree)]
    attributes: list[tuple[str, str, SegmentKind]] = [
        (visible_text([el.get(attr)], collapse=True), f"{tree.getpath(el)}/@{attr}", "text")
        for el, attr in _attrs(root)
    ]
    return runs + attributes


def put(root: Any, placed: Iterable[tuple[str, BlockTranslation]]) -> None:
    """Each translation in ``placed`` written at its place (as :func:`pieces` names it) in
    the document under ``root``. Every place is found before any is changed, so no edit
    can move another."""
    tree = root.getroottree()
    runs: dict[str, _Run] = {where: run for run, where, _ in _runs(root, tree)}
    attributes = {f"{tree.getpath(el)}/@{name}": (el, name) for el, name in _attrs(root)}
    for where, translation in placed:
        if where in runs:
            runs[where].put(translation)
        elif where in attributes:
            el, name = attributes[where]
            el.set(name, _storable(translation.text))
        else:
            raise ValueError(f"{where} is not a place of this document")


def _article_runs(text: str, runs: list[tuple[str, str, SegmentKind]]) -> list[tuple[str, str, SegmentKind]]:
    """The runs that belong to the page's main article as trafilatura extracts it (none
    when it finds no article). A run belongs when it is a line of the article (trafilatura
    keeps a paragraph on a line of its own, a list item after ``- ``) or a cell of one of
    its table rows (``| a | b |``), or, for runs of three words or more, part of the
    article's text (a paragraph split by a ``<br>``, or kept over several lines as the
    page's source wrapped it). A menu item of a word or two never matches by chance."""
    try:
        import trafilatura
    except ImportError as exc:
        raise InputError(
            f"the main-article option needs trafilatura (pip install 'it2en[article]'), which "
            f"could not be imported: {reason(exc)}"
        ) from None
    found = trafilatura.extract(text, output_format="txt", include_comments=False, favor_precision=True)
    lines = [_BULLET.sub("", _comparable(line)) for line in (found or "").splitlines()]
    units = set(lines) | {_comparable(cell) for line in lines if "|" in line for cell in line.split("|")}
    units.discard("")
    whole = " ".join(lines)  # a paragraph the extractor wrapped over lines is found whole
    chosen = []
    for run in runs:
        key = _comparable(run[0])
        if key and (key in units or (len(key.split()) >= 3 and key in whole)):
            chosen.append(run)
    return chosen


def _comparable(text: str) -> str:
    """Text as the article and the page's runs are compared: soft hyphens and zero-width
    characters (which an extractor may drop) removed, whitespace collapsed."""
    return visible_text([_INVISIBLE.sub("", text)], collapse=True)


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The page of ``layout`` with its blocks replaced by ``translations`` (in block order),
    in the page's own encoding: every element, attribute, comment and declaration kept."""

    text, encoding = _decode(layout.data)
    declaration, markup = _xml_declaration(text)
    root = _parse(markup)
    tree = root.getroottree()
    put(
        root,
        ((block.where, translation) for block, translation in zip(layout.blocks, translations, strict=True)),
    )
    out = _serialized(tree)
    invented = tree.docinfo.doctype
    if invented and not re.search(r"<!doctype", markup[:4096], re.IGNORECASE) and out.startswith(invented):
        out = out[len(invented) :].lstrip("\n")  # lxml invents a doctype for pages that have none
    out = declaration + out + text[len(text.rstrip()) :]  # the line end after </html>
    return out.encode(encoding, errors="xmlcharrefreplace")


def _serialized(tree: Any) -> str:
    """The page as HTML with every attribute value as it is: libxml2 percent-escapes the
    values of URL attributes (``href``, ``src``, ``action``) that hold a space, a brace or
    a letter outside ASCII (``{{ url }}`` became ``{{%20url%20}}``, ``città`` became
    ``citt%C3%A0``), so such values go out as placeholders and come back as they were."""
    from lxml import etree

    token = f"it2en{secrets.token_hex(6)}x"
    kept: dict[str, str] = {}
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if _ESCAPED_IN_URLS.search(value):
                kept[f"{token}{len(kept)}"] = value
                element.set(name, f"{token}{len(kept) - 1}")
    out = str(etree.tostring(tree, encoding="unicode", method="html"))
    if not kept:
        return out
    return re.sub(f'"({token}\\d+)"', lambda m: f'"{html_text.escape(kept[m.group(1)], quote=True)}"', out)


def _storable(text: str) -> str:
    """``text`` without the control characters lxml refuses to hold (a page may carry
    them, and a translation copy them)."""
    return _UNSTORABLE.sub("", text)


def _xml_declaration(text: str) -> tuple[str, str]:
    """An XHTML page's ``<?xml ...?>`` declaration (with the space after it) and the rest:
    lxml refuses a decoded text that declares its encoding."""
    found = _XML_DECLARATION.match(text)
    return (found.group(), text[found.end() :]) if found else ("", text)


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


def _name(el: Any) -> str:
    """An element's name without its namespace (XHTML's ``{http://www.w3.org/1999/xhtml}p``
    is a ``p``); empty for a comment, a processing instruction or an entity."""
    return el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""


def _walk(root: Any) -> Iterator[Any]:
    """The elements of the page in document order, without the content of untouched
    ones (``script``, ``style``, ``pre``...): a stack, not recursion, as pages nest
    thousands deep."""
    stack = [root]
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        yield el
        if _name(el) not in _SKIP and not _kept_block(el):
            stack.extend(reversed(el))


def _kept(el: Any) -> bool:
    """Marked ``translate="no"``: its text is never changed."""
    return str(el.get("translate", "")).strip().lower() == "no"


def _kept_block(el: Any) -> bool:
    """A block marked ``translate="no"``: neither read nor touched, as ``pre``."""
    return _name(el) in _BLOCKS and _kept(el)


def _runs(root: Any, tree: Any) -> Iterator[tuple[_Run, str, SegmentKind]]:
    """Every run of the page in reading order, with its place and kind. An inline element
    holding a block (``<a><div>...</div></a>``) counts as a block itself, so that no text
    is read twice."""
    holders: set[Any] = set()
    for el in _walk(root):
        if _name(el) in _BLOCKS:
            for ancestor in el.iterancestors():
                if ancestor in holders:
                    break  # and so are all above it
                holders.add(ancestor)

    def is_block(el: Any) -> bool:
        name = _name(el)
        return bool(name) and name not in _SKIP and not _kept_block(el) and (name in _BLOCKS or el in holders)

    def items(block: Any) -> Iterator[tuple[_Run, str, SegmentKind] | Any]:
        """The block's runs, with its child blocks (to walk) between them."""
        runs, inner, current = [], [], _Run([(block, "text", False)])
        for child in block:
            if is_block(child) or _name(child) in _SKIPPED_BLOCKS or _kept_block(child):
                runs.append(current)
                inner.append(child if is_block(child) else None)
                current = _Run([(child, "tail", False)])
            else:
                current.pieces_of += _inline_pieces(child)
        runs.append(current)
        kind = _KINDS.get(_name(block), "text")
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


def _inline_pieces(el: Any) -> list[tuple[Any, str, bool]]:
    """The pieces an inline element adds to its run: its text, its children's pieces,
    its tail. A comment or an untouched element adds its tail alone; the text inside a
    verbatim element is verbatim."""
    pieces: list[tuple[Any, str, bool]] = []
    stack: list[tuple[Any, bool, bool]] = [(el, False, False)]  # node, closed, inside verbatim
    while stack:
        node, closed, inside = stack.pop()
        if closed:
            pieces.append((node, "tail", inside))
            continue
        stack.append((node, True, inside))
        name = _name(node)
        if name and name not in _SKIP:
            verbatim = inside or name in _VERBATIM or _kept(node)
            pieces.append((node, "text", verbatim))
            stack.extend((child, False, verbatim) for child in reversed(node))
    return pieces


def _attrs(root: Any) -> Iterator[tuple[Any, str]]:
    """The attributes worth translating (``alt``, ``title``...), in document order."""
    for el in _walk(root):
        for name in _ATTRIBUTES:
            if el.get(name, "").strip() and not _kept(el):
                yield el, name
