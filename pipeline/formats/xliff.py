"""XLIFF 1.2 and 2.x (``.xlf``, ``.xliff``), the exchange file of translation tools: each
translatable unit's source read as a block, and a ``target`` written for it, in the
state the trust checks give it, so that the tool that made the file reopens it with the
translations in place.

Read: in 1.2, each ``trans-unit`` (not ``bin-unit``), or each segment of its
``seg-source`` (``<mrk mtype="seg">``) where it has one; in 2.x, each ``segment`` of each
``unit``. A unit, group or file marked ``translate="no"`` is left out, and stays as it is.
Inline codes are not text: 1.2's ``<x/>``, ``<bx/>``, ``<ex/>``, ``<ph>``, ``<bpt>``,
``<ept>``, ``<it>`` and 2.x's ``<ph/>``, ``<sc/>``, ``<ec/>``, ``<cp/>`` keep their
places; the text inside 1.2's ``<g>`` and 2.x's ``<pc>`` and ``<mrk>`` is text of the
segment, its code around it.

Written: the target is the source with its text replaced by the translation, shared out
among the text between the codes (:func:`.inline.share_out`), so every code stays, in
order; ``xml:lang`` the file's target language (``en`` where it names none). Its state
says whether to trust it: ``translated``, or in 1.2 ``needs-review-translation`` (in 2.x
``initial``) where the checks flagged a sentence of it. Notes, comments, alternates,
everything but the targets written, stays.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import InputError
from ..layouts import BlockTranslation, Layout
from ..types import SegmentKind
from .inline import share_out

__all__ = ["pairs", "read", "write"]

_XML = "{http://www.w3.org/XML/1998/namespace}"
_CODES_12 = frozenset({"x", "bx", "ex", "ph", "bpt", "ept", "it", "sub"})
"""1.2's inline codes: what they hold is native code, never text to translate."""
_CODES_20 = frozenset({"ph", "sc", "ec", "cp", "sm", "em"})
_STATES_12 = {False: "translated", True: "needs-review-translation"}
"""A 1.2 target's state, by whether the trust checks flagged a sentence of it."""
_SKIPPED = frozenset(
    {"bin-unit", "note", "alt-trans", "header", "context-group", "count-group", "prop-group"}
)


def read(data: bytes) -> Layout:
    """The layout of an XLIFF file: a block per translatable segment (:class:`InputError`
    for a file that is not XLIFF)."""
    root = _parse(data)
    pieces: list[tuple[str, str, SegmentKind]] = [
        (_text(source, _codes(root)), where, "text") for where, source, _ in _segments(root)
    ]
    return Layout.of("xliff", pieces, data)


def pairs(data: bytes) -> list[tuple[str, str, str]]:
    """``(where, source, target)`` of every translatable segment that has a target (a
    translation memory's worth of references: ``it2en eval --xliff``)."""
    root = _parse(data)
    codes = _codes(root)
    found = []
    for where, source, holder in _segments(root):
        target = _target_of(source, holder)
        if target is not None and _text(source, codes).strip() and _text(target, codes).strip():
            found.append((where, _text(source, codes), _text(target, codes)))
    return found


def _target_of(source: Any, holder: Any) -> Any:
    """The existing target of a segment: the holder's ``target`` (for a seg-source
    segment, the target's ``mrk`` of the same id), or None."""
    target = next(holder.iterchildren("{*}target"), None)
    if target is None or _local(source) != "mrk":
        return target
    return next((m for m in target.iter("{*}mrk") if m.get("mid") == source.get("mid")), None)


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The XLIFF file of ``layout`` with a target for each of its segments."""
    from lxml import etree

    root = _parse(layout.data)
    places = {where: (source, holder) for where, source, holder in _segments(root)}
    version = _version(root)
    segmented: dict[Any, bool] = {}  # a 1.2 unit of segments: whether one needs review
    for block, translation in zip(layout.blocks, translations, strict=True):
        source, holder = places[block.where]
        target = _target(source, translation.text, _codes(root), _language(source))
        if version != "1.2":
            _put_20(source, holder, target, translation.review)
        elif _local(source) == "mrk":
            _put_12_mark(source, holder, target)
            segmented[holder] = segmented.get(holder, False) or translation.review
        else:
            _put_12(source, holder, target, translation.review)
    for unit, review in segmented.items():
        next(unit.iterchildren("{*}target")).set("state", _STATES_12[review])
    declared = root.getroottree().docinfo.encoding or "UTF-8"
    return bytes(etree.tostring(root.getroottree(), encoding=declared, xml_declaration=True))


def _parse(data: bytes) -> Any:
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"not an XLIFF file (not well-formed XML: {exc})") from None
    if etree.QName(root).localname != "xliff":
        raise InputError("not an XLIFF file (its root is not <xliff>)")
    if _version(root) not in ("1.2", "2.0", "2.1", "2.2"):
        raise InputError(f"XLIFF version {root.get('version')!r} is not read (1.2, 2.0, 2.1, 2.2 are)")
    return root


def _version(root: Any) -> str:
    return str(root.get("version") or ("1.2" if "1.2" in str(root.nsmap.get(None, "")) else ""))


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _codes(root: Any) -> frozenset[str]:
    return _CODES_12 if _version(root) == "1.2" else _CODES_20


def _translatable(element: Any) -> bool:
    """Whether no ancestor (the element included) says ``translate="no"``."""
    return all(node.get("translate") != "no" for node in (element, *element.iterancestors()))


def _segments(root: Any) -> Iterator[tuple[str, Any, Any]]:
    """``(where, source, holder)`` of every translatable segment in document order: the
    source element (or seg-source marker) and the element a target goes into."""
    if _version(root) == "1.2":
        for unit in root.iter("{*}trans-unit"):
            if not _translatable(unit) or any(_local(a) in _SKIPPED for a in unit.iterancestors()):
                continue
            name = f"unit {unit.get('id', '')}"
            seg_source = next(unit.iterchildren("{*}seg-source"), None)
            marks = (
                [m for m in seg_source.iter("{*}mrk") if m.get("mtype") == "seg"]
                if seg_source is not None
                else []
            )
            if marks:
                for mark in marks:
                    yield f"{name} segment {mark.get('mid', '')}", mark, unit
            else:
                source = next(unit.iterchildren("{*}source"), None)
                if source is not None:
                    yield name, source, unit
        return
    for unit in root.iter("{*}unit"):
        if not _translatable(unit):
            continue
        for number, segment in enumerate(unit.iterchildren("{*}segment"), start=1):
            source = next(segment.iterchildren("{*}source"), None)
            if source is not None and segment.get("translate") != "no":
                yield f"unit {unit.get('id', '')} segment {segment.get('id') or number}", source, segment


def _text(element: Any, codes: frozenset[str]) -> str:
    """The text of a source: its own and its text-holding children's, codes left out."""
    return "".join(getattr(node, side) or "" for node, side in _slots(element, codes))


def _slots(element: Any, codes: frozenset[str]) -> list[tuple[Any, str]]:
    """Where ``element``'s text runs are, in reading order: ``(node, "text" or "tail")``,
    the text inside a code left out (it is native code, not text)."""
    found = [(element, "text")]
    for child in element:
        if isinstance(child.tag, str) and _local(child) not in codes:
            found += _slots(child, codes)
        found.append((child, "tail"))
    return found


def _target(source: Any, translation: str, codes: frozenset[str], language: str) -> Any:
    """A copy of ``source`` holding ``translation`` among the same elements, as a target:
    shared out over its text runs, so every code stays, in order, and every ``<g>`` or
    ``<pc>`` holds the words nearest its place."""
    target = copy.deepcopy(source)
    target.tail = None
    slots = _slots(target, codes)
    texts = share_out([getattr(node, side) or "" for node, side in slots], translation, collapse=False)
    for (node, side), text in zip(slots, texts, strict=True):
        setattr(node, side, text or None)
    if language:
        target.set(f"{_XML}lang", language)
    return target


def _language(source: Any) -> str:
    """The target language of the file holding ``source`` (``en`` where it names none)."""
    for node in source.iterancestors():
        if _local(node) == "file" and node.get("target-language"):
            return str(node.get("target-language"))
        if _local(node) == "xliff" and node.get("trgLang"):
            return str(node.get("trgLang"))
    return "en"


def _put_12(source: Any, unit: Any, target: Any, review: bool) -> None:
    """A 1.2 target in its place: after the source (and seg-source) of ``unit``."""
    target.set("state", _STATES_12[review])
    target.tag = source.tag.replace("source", "target")
    old = next(unit.iterchildren("{*}target"), None)
    if old is not None:
        target.tail = old.tail
        unit.replace(old, target)
        return
    after = next(unit.iterchildren("{*}seg-source"), None)
    anchor = after if after is not None else source
    target.tail = anchor.tail
    anchor.addnext(target)


def _put_12_mark(mark: Any, unit: Any, translated: Any) -> None:
    """A segment's translation as its ``mrk`` in the unit's target, the target made as a
    copy of the seg-source where the unit has none (its state set once all its segments
    are in: :func:`write`)."""
    translated.attrib.pop(f"{_XML}lang", None)
    seg_source = mark.getparent()
    while _local(seg_source) != "seg-source":
        seg_source = seg_source.getparent()
    target = next(unit.iterchildren("{*}target"), None)
    if target is None or not any(m.get("mtype") == "seg" for m in target.iter("{*}mrk")):
        made = copy.deepcopy(seg_source)
        made.tag = seg_source.tag.replace("seg-source", "target")
        made.set(f"{_XML}lang", _language(mark))
        if target is not None:
            made.tail = target.tail
            unit.replace(target, made)
        else:
            made.tail = seg_source.tail
            seg_source.addnext(made)
        target = made
    for old in target.iter("{*}mrk"):
        if old.get("mtype") == "seg" and old.get("mid") == mark.get("mid"):
            translated.tail = old.tail
            old.getparent().replace(old, translated)
            return


def _put_20(source: Any, segment: Any, target: Any, review: bool) -> None:
    """A 2.x target right after the segment's source, its state on the segment."""
    target.tag = source.tag.replace("source", "target")
    target.attrib.pop(f"{_XML}lang", None)  # 2.x takes it from the file's trgLang
    segment.set("state", "initial" if review else "translated")
    old = next(segment.iterchildren("{*}target"), None)
    if old is not None:
        target.tail = old.tail
        segment.replace(old, target)
        return
    target.tail = source.tail
    source.addnext(target)
