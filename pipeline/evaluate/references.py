"""Reading reference sets in the formats they come in: parallel plain-text files (one
segment a line, as WMT and FLORES ship), JSONL of ``{"id", "text", "reference",
"reference_summary"}``, TMX translation memories, and XLIFF files whose units have
targets (a translation tool's reviewed work)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from .records import ReferenceItem

__all__ = ["read_reference_set"]


def read_reference_set(
    *,
    src: str | Path | None = None,
    refs: Sequence[str | Path] = (),
    jsonl: str | Path | None = None,
    tmx: str | Path | None = None,
    xliff: str | Path | None = None,
) -> list[ReferenceItem]:
    """The segments of a reference set given as parallel files (``src`` and one or more
    ``refs``, one segment a line), a JSONL file, a TMX file or an XLIFF file (each
    segment with a target). A line-count mismatch, a bad JSONL line, a TMX without
    Italian and English or an XLIFF without targets is an :class:`InputError`."""
    if jsonl is not None:
        return _read_jsonl(Path(jsonl))
    if xliff is not None:
        return _read_xliff(Path(xliff))
    if tmx is not None:
        return _read_tmx(Path(tmx))
    if src is None or not refs:
        raise InputError("a reference set needs --src and --ref, --jsonl, --tmx or --xliff")
    sources = _lines(Path(src))
    streams = [_lines(Path(ref)) for ref in refs]
    for ref, stream in zip(refs, streams, strict=True):
        if len(stream) != len(sources):
            raise InputError(f"{src} has {len(sources)} lines but {ref} has {len(stream)}")
    return [
        ReferenceItem(str(i + 1), source, tuple(stream[i] for stream in streams))
        for i, source in enumerate(sources)
    ]


def _read_xliff(path: Path) -> list[ReferenceItem]:
    from ..formats.xliff import pairs

    try:
        found = pairs(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    if not found:
        raise InputError(f"{path}: no segment with a target to compare with")
    return [ReferenceItem(where, source, (target,)) for where, source, target in found]


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    return text.splitlines() if text else []


def _read_jsonl(path: Path) -> list[ReferenceItem]:
    items = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            references = _strings(data["reference"])
            summaries = _strings(data["reference_summary"]) if "reference_summary" in data else ()
            items.append(ReferenceItem(str(data.get("id", number)), str(data["text"]), references, summaries))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: expected {{'text', 'reference'}} ({exc})") from None
    return items


def _strings(value: Any) -> tuple[str, ...]:
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or not all(isinstance(v, str) for v in values):
        raise TypeError("a reference is a string or a list of strings")
    return values


def _read_tmx(path: Path) -> list[ReferenceItem]:
    """Translation units with an Italian and at least one English variant (``it``,
    ``it-IT``...; ``en``, ``en-GB``...), in any encoding the file declares."""
    from lxml import etree

    try:
        root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise InputError(f"{path}: not a readable TMX file ({exc})") from None
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    items = []
    for number, unit in enumerate(root.iter("tu"), start=1):
        variants: dict[str, list[str]] = {}
        for tuv in unit.iter("tuv"):
            code = (tuv.get(lang) or tuv.get("lang") or "").lower().split("-")[0]
            seg = tuv.find("seg")
            if seg is not None:
                variants.setdefault(code, []).append(_segment_text(seg))
        if variants.get("it") and variants.get("en"):
            items.append(
                ReferenceItem(unit.get("tuid") or str(number), variants["it"][0], tuple(variants["en"]))
            )
    if not items:
        raise InputError(f"{path}: no translation unit with Italian and English")
    return items


_TMX_CODES = frozenset({"bpt", "ept", "ph", "it", "ut"})
"""TMX inline elements that hold the original file's markup, not text."""


def _segment_text(seg: Any) -> str:
    """A TMX ``seg``'s text without the markup codes it carries (``<bpt>&lt;b&gt;</bpt>``)."""
    parts = [seg.text or ""]
    for child in seg:
        parts.append("" if child.tag in _TMX_CODES else _segment_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
