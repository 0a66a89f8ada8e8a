"""The font a translated PDF falls back on for text that neither the paragraph's own font
nor PDF's standard fonts can write (Greek, Cyrillic, symbols beyond Western European):
a TrueType font of the machine that holds every character, as close as can be found to
the paragraph's family and style, cut down with fontTools to the characters the
document uses and embedded (:mod:`.pdf_fonts` loads it).

The fonts looked in are those of the usual system and user font folders, or those of
``IT2EN_PDF_FONTS`` (files or folders, separated like ``PATH``) where it is set.
Metric-compatible families come first (Liberation: Helvetica's, Times' and Courier's
widths), then DejaVu, Noto and FreeFont.
"""

from __future__ import annotations

import functools
import io
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError

__all__ = ["FONTS_VARIABLE", "fallback_font", "subset", "western"]

log = logging.getLogger("it2en.formats")

FONTS_VARIABLE = "IT2EN_PDF_FONTS"
"""Where to look for fallback fonts instead of the system's folders."""
_FOLDERS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
    "~/Library/Fonts",
    "%WINDIR%/Fonts",
)
_PREFERRED = ("liberation", "dejavu", "noto", "free")
"""Families by preference: metric-compatible with the standard fonts first."""


def fallback_font(standard: str, characters: Iterable[str]) -> Path:
    """The TrueType file to set ``characters`` in, closest to the standard font named
    ``standard`` (``Times-BoldItalic``...); :class:`InputError` naming the characters
    when no font found holds them all."""
    needed = {ord(c) for c in characters if not c.isspace()}
    candidates = _font_files(os.environ.get(FONTS_VARIABLE, ""))
    for path in sorted(candidates, key=functools.partial(_rank, standard.lower())):
        if needed <= _characters(path):
            log.debug("PDF text set in the fallback font %s", path)
            return path
    # those no font holds, else (each held by some font, none holding all) the non-Western ones
    missing = needed - _held(candidates) or {c for c in needed if not western(chr(c))}
    shown = " ".join(sorted(chr(c) for c in missing)[:10])
    raise InputError(
        f"no font found that can write the English ({shown}): install one (DejaVu, Noto) "
        f"or point {FONTS_VARIABLE} at a folder of TrueType fonts"
    )


def _rank(standard: str, path: Path) -> tuple[int, int, int, str]:
    """How far a font file is from the standard font (family, weight and slant, then
    preferred families, then plain names before variants such as Condensed)."""
    name = path.stem.lower()
    family = "mono" if "mono" in name or "courier" in name else "serif" if "serif" in name else "sans"
    if "sans" in name and "mono" not in name:
        family = "sans"
    wanted = "mono" if standard.startswith("courier") else "serif" if standard.startswith("times") else "sans"
    bold, italic = "bold" in name, any(w in name for w in ("italic", "oblique"))
    style = (bold != ("bold" in standard)) + (italic != any(w in standard for w in ("italic", "oblique")))
    preferred = next((k for k, word in enumerate(_PREFERRED) if word in name), len(_PREFERRED))
    variant = any(w in name for w in ("condensed", "light", "thin", "black", "medium", "narrow"))
    return (family != wanted) * 2 + style, preferred, int(variant), name


def western(char: str) -> bool:
    """Whether a standard font's WinAnsi encoding holds ``char``."""
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


@functools.cache
def _font_files(where: str) -> tuple[Path, ...]:
    """The TrueType files in the folders (or files) ``where`` names, else the system's."""
    named = where.split(os.pathsep) if where else _FOLDERS
    roots = [Path(os.path.expandvars(os.path.expanduser(p))) for p in named]
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.is_dir():
            found += (p for p in root.rglob("*") if p.suffix.lower() == ".ttf" and p.is_file())
    return tuple(found)


@functools.cache
def _held(candidates: tuple[Path, ...]) -> frozenset[int]:
    """The characters at least one of the ``candidates`` holds."""
    return frozenset().union(*(_characters(path) for path in candidates))


@functools.cache
def _characters(path: Path) -> frozenset[int]:
    """The characters a font file maps to glyphs (none for a file fontTools cannot read)."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:
            if "glyf" not in font:  # PDFium embeds TrueType outlines only
                return frozenset()
            return frozenset(font.getBestCmap() or {})
    except Exception:  # a broken or unusual font file is just not a candidate
        log.debug("font %s not readable", path, exc_info=True)
        return frozenset()


def subset(path: Path, characters: Iterable[str]) -> bytes:
    """The font file cut down to ``characters`` (and the space), as embedded."""
    from fontTools import subset as cutting
    from fontTools.ttLib import TTFont

    options = cutting.Options()
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "table X not subset": dropped, fine
    with TTFont(path, fontNumber=0) as font:
        cutter = cutting.Subsetter(options)
        cutter.populate(unicodes={ord(c) for c in characters} | {ord(" ")})
        cutter.subset(font)
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()
