"""Subtitles: SubRip (``.srt``) and WebVTT (``.vtt``) read into blocks of cue text and
written back with every cue translated in place.

What is kept, byte for byte: the numbering and cue identifiers, every timing line and its
cue settings (``line:-1 align:left``), WebVTT's header, ``STYLE``, ``REGION`` and ``NOTE``
blocks, the line ends, the encoding and a byte-order mark. In a cue's text, the tags
(``<i>``, ``<c.yellow>``, ``<v Anna>``, a timestamp, SubRip's ``{\\an8}``) are kept in
order around the words they held, and a cue of two lines keeps two lines.

A sentence often runs over several cues ("Il sindaco ha detto" / "che la scuola riapre."):
consecutive cues are read as one block until a cue ends a sentence (at most
:data:`MAX_CUES`), so the sentence is translated whole, and its translation is shared back
over its cues by length at word boundaries (:func:`.inline.share_out`), each cue keeping
its timing. WebVTT's character references (``&lt;``, ``&amp;``, ``&nbsp;``) are read as the
characters they stand for and written back as references.

The two formats differ only in their header, their timestamps' decimal sign and their
escaping: one module reads both, told which by its first argument (the registry of
:mod:`pipeline.formats` passes it).
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import InputError
from ..layouts import BlockTranslation, FormatName, Layout
from ..types import SegmentKind
from .inline import share_out

__all__ = ["MAX_CUES", "read", "write"]

MAX_CUES = 6
"""Most cues read as one block (a sentence that runs longer is cut between cues)."""
_TIMING = re.compile(r"^\s*(?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3}\s*-->\s*(?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3}")
_TAG = re.compile(r"<[^<>\n]*>|\{\\[^{}\n]*\}")
_ENDS_SENTENCE = re.compile(r"[.!?…:;][\"'»”’)\]]*\s*$")
_BREAK = "\n"


@dataclass(frozen=True)
class _Cue:
    """A cue's text: lines ``first`` to ``last`` (exclusive) of the file; ``number`` is
    its place among the cues, from 1."""

    number: int
    first: int
    last: int


@dataclass(frozen=True)
class _Text:
    """A cue's text as pieces: ``parts`` in order, each a word run, a tag or a line break;
    ``words`` says which are word runs (what is translated)."""

    parts: tuple[str, ...]
    words: tuple[bool, ...]

    @property
    def pieces(self) -> list[str]:
        """The word runs, a space standing for each line break (as a reader reads it)."""
        found: list[str] = []
        for part, word in zip(self.parts, self.words, strict=True):
            if word:
                found.append(part)
            elif part == _BREAK and found:
                found[-1] += " "
        return found

    def text(self) -> str:
        return " ".join("".join(self.pieces).split())


def read(fmt: FormatName, data: bytes) -> Layout:
    """The layout of a subtitle file of ``fmt`` (``srt`` or ``vtt``): a block per cue, or
    per run of cues that make one sentence (:class:`InputError` for a file that is not
    one)."""
    text, _, _ = _decode(data)
    lines = text.splitlines()
    if fmt == "vtt" and not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise InputError("not a WebVTT file (no WEBVTT header)")
    cues = _cues(lines)
    if not cues:
        raise InputError(f"no cue found in this {fmt.upper()} file")
    pieces: list[tuple[str, str, SegmentKind]] = [
        (" ".join(_split(lines, cue, fmt).text() for cue in group), _where(group), "text")
        for group in _sentences(lines, cues, fmt)
    ]
    return Layout.of(fmt, pieces, data)


def write(fmt: FormatName, layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The file of ``layout`` with each block's cues holding their share of its
    translation; a block whose translation equals its text is left as it was."""
    text, encoding, bom = _decode(layout.data)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    groups = {_where(group): group for group in _sentences(lines, _cues(lines), fmt)}
    replaced: dict[int, tuple[_Cue, list[str]]] = {}
    for block, translation in zip(layout.blocks, translations, strict=True):
        group = groups[block.where]
        if translation.text == layout.text[block.start : block.end]:
            continue
        texts = [_split(lines, cue, fmt) for cue in group]
        shares = [cue.text() + " " for cue in texts]
        shares[-1] = shares[-1].rstrip()
        least = [sum(1 for part in cue.parts if part == _BREAK) + 1 for cue in texts]  # a word a line
        portions = _shared(shares, translation.text, least, translation.anchors)
        for cue, cue_text, portion in zip(group, texts, portions, strict=True):
            replaced[cue.first] = (cue, _rewritten(cue_text, portion.strip(), fmt))
    out: list[str] = []
    position = 0
    for first in sorted(replaced):
        cue, new = replaced[first]
        out += lines[position : cue.first] + new
        position = cue.last
    out += lines[position:]
    written = newline.join(out) + (newline if text.endswith(("\n", "\r")) else "")
    return bom + written.encode(encoding)


def _decode(data: bytes) -> tuple[str, str, bytes]:
    """The file's text, its encoding (UTF-8, else Windows-1252, as old SubRip files are)
    and its byte-order mark."""
    if b"\x00" in data[:4096]:
        raise InputError("binary file, expected subtitles")
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    body = data[len(bom) :]
    try:
        return body.decode("utf-8"), "utf-8", bom
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), "cp1252", bom


def _cues(lines: Sequence[str]) -> list[_Cue]:
    """Every cue with text: the lines after a timing line, up to a blank line or the next
    timing line (YouTube's captions run cues together without a blank line)."""
    cues: list[_Cue] = []
    index = 0
    while index < len(lines):
        if _TIMING.match(lines[index]):
            end = index + 1
            while end < len(lines) and lines[end].strip() and not _TIMING.match(lines[end]):
                end += 1
            if end > index + 1:
                cues.append(_Cue(len(cues) + 1, index + 1, end))
            index = end
        else:
            index += 1
    return cues


def _sentences(lines: Sequence[str], cues: Sequence[_Cue], fmt: FormatName) -> list[list[_Cue]]:
    """The cues in runs that each make whole sentences: a run ends with a cue whose text
    ends a sentence, or at :data:`MAX_CUES` cues."""
    groups: list[list[_Cue]] = []
    current: list[_Cue] = []
    for cue in cues:
        text = _split(lines, cue, fmt).text()
        if not text:
            continue
        current.append(cue)
        if _ENDS_SENTENCE.search(text) or len(current) >= MAX_CUES:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _where(group: Sequence[_Cue]) -> str:
    first, last = group[0].number, group[-1].number
    return f"cue {first}" if first == last else f"cues {first}-{last}"


def _split(lines: Sequence[str], cue: _Cue, fmt: FormatName) -> _Text:
    """A cue's text lines as word runs, tags and line breaks (WebVTT's references read)."""
    parts: list[str] = []
    words: list[bool] = []
    for number, line in enumerate(lines[cue.first : cue.last]):
        if number:
            parts.append(_BREAK)
            words.append(False)
        position = 0
        for tag in _TAG.finditer(line):
            if tag.start() > position:
                parts.append(_unescaped(line[position : tag.start()], fmt))
                words.append(True)
            parts.append(tag.group())
            words.append(False)
            position = tag.end()
        if position < len(line) or not parts or not words[-1]:
            parts.append(_unescaped(line[position:], fmt))
            words.append(True)
    return _Text(tuple(parts), tuple(words))


def _rewritten(cue: _Text, translation: str, fmt: FormatName) -> list[str]:
    """The cue's text lines holding ``translation``: shared out among its word runs, each
    tag and line break kept in its place between them; no line left empty (an empty line
    would end the cue)."""
    pieces = cue.pieces
    shared = iter(
        _shared(pieces, translation, [1 if piece.strip() else 0 for piece in pieces]) if pieces else []
    )
    out: list[str] = []
    for part, word in zip(cue.parts, cue.words, strict=True):
        if word:
            out.append(_escaped(next(shared, ""), fmt))
        elif part == _BREAK:
            out.append(_BREAK)
        else:
            out.append(part)
    kept = [line for line in (line.strip() for line in "".join(out).split(_BREAK)) if line]
    return kept or [translation or " "]


def _shared(
    pieces: list[str], translation: str, least: Sequence[int], anchors: Sequence[tuple[int, int]] = ()
) -> list[str]:
    """``translation`` shared out among ``pieces`` (:func:`.inline.share_out`), but that
    each piece gets at least ``least`` of its words where the translation has enough: a
    cue or a line left empty would change the file's shape (an empty line even ends a
    cue). Then the words go by the pieces' lengths, each its least at the fewest."""
    texts = share_out(pieces, translation, collapse=False, anchors=anchors)
    words = translation.split()
    short = any(len(text.split()) < wanted for text, wanted in zip(texts, least, strict=True))
    if not short or len(words) < sum(least):
        return texts
    total = sum(len(piece) for piece, wanted in zip(pieces, least, strict=True) if wanted) or 1
    left, seen, taken = sum(least), 0, 0
    out = []
    for piece, wanted in zip(pieces, least, strict=True):
        if not wanted:
            out.append(piece)  # a space between tags stays a space
            continue
        left -= wanted
        seen += len(piece)
        end = max(taken + wanted, min(len(words) - left, round(len(words) * seen / total)))
        out.append(" ".join(words[taken:end]) + (" " if left else ""))
        taken = end
    return out


def _unescaped(text: str, fmt: FormatName) -> str:
    return html.unescape(text) if fmt == "vtt" else text


def _escaped(text: str, fmt: FormatName) -> str:
    if fmt != "vtt":
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\u00a0", "&nbsp;")
