"""The fonts a translated PDF (:mod:`.pdf_out`) sets each paragraph's English in, words
measured in them, text drawn in them.

First the font the paragraph's Italian was drawn in, where it is embedded and holds
every character of the English (a subset font often lacks letters Italian rarely uses,
such as w, k and y; a missing glyph has no width or draws the font's ``.notdef``);
else PDF's standard font closest to it (Helvetica, Times or Courier by its flags and
name, bold and italic kept: every reader has them, no file embedded) where its WinAnsi
encoding can write the English; else a TrueType font of the machine that holds it,
embedded, cut down to the document's characters (:mod:`.pdf_fallback`).
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

from ..errors import InputError
from .pdf_fallback import fallback_font, subset, western

__all__ = ["Fonts", "address", "standard_font", "wide"]

_NO_CHARACTER = "\uffff"
"""A character no font maps: its outline is the font's ``.notdef``."""


class Fonts:
    """The fonts of one document's translation, loaded when first used (``texts``: all
    of its paragraphs' English, which a fallback font is cut down to), and the widths of
    words set in each (measured by PDFium once per word and font). A font is named by a
    key: a standard font's name, ``original:...`` or ``fallback:...``."""

    def __init__(self, document: Any, texts: Sequence[str]):
        self.document = document
        self._characters = {c for text in texts for c in text}
        self._fonts: dict[str, Any] = {}
        self._widths: dict[tuple[str, str], float] = {}
        self._holds: dict[tuple[int, str], bool] = {}
        self._notdefs: dict[int, Any] = {}  # each embedded font's .notdef outline
        self._keepers: list[Any] = []  # objects holding the original fonts alive
        self.refused: list[str] = []
        """Why each paragraph no font was found for was refused."""

    def choose(self, obj: Any, text: str) -> str | None:
        """The key of the font to set ``text`` in, for a paragraph drawn by the text
        object ``obj``; None where no font found holds it (the reason kept in
        :attr:`refused`)."""
        import pypdfium2.raw as pdfium_c

        font = pdfium_c.FPDFTextObj_GetFont(obj)
        if font and pdfium_c.FPDFFont_GetIsEmbedded(font) and self._holding(font, text):
            key = f"original:{address(font)}"
            if key not in self._fonts:  # PDFium frees a font with the last object using it
                self._keepers.append(pdfium_c.FPDFPageObj_CreateTextObj(self.document.raw, font, 1.0))
                self._fonts[key] = font
            return key
        standard = standard_font(obj)
        if all(western(c) for c in text):
            return standard
        try:
            path = fallback_font(standard, text)
        except InputError as exc:
            self.refused.append(str(exc))
            return None
        key = f"fallback:{path}"
        if key not in self._fonts:
            data = subset(path, self._characters)
            buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            self._fonts[key] = pdfium_c.FPDFText_LoadFont(
                self.document.raw, buffer, len(data), pdfium_c.FPDF_FONT_TRUETYPE, True
            )
        return key

    def close(self) -> None:
        """Let go of the original fonts held for the text set in them."""
        import pypdfium2.raw as pdfium_c

        for keeper in self._keepers:
            pdfium_c.FPDFPageObj_Destroy(keeper)
        self._keepers.clear()

    def width(self, key: str, word: str, size: float) -> float:
        """How wide ``word`` is in the font ``key`` at ``size``."""
        if (key, word) not in self._widths:  # a space alone has no bounds: measured between two letters
            self._widths[key, word] = (
                self._measured(key, word)
                if word != " "
                else self._measured(key, "x x") - self._measured(key, "xx")
            )
        return self._widths[key, word] * size / 1000

    def draw(
        self, page: Any, key: str, text: str, x: float, y: float, size: float, colour: tuple[int, ...]
    ) -> None:
        """``text`` set on ``page`` in font ``key`` with its baseline starting at ``(x, y)``."""
        import pypdfium2.raw as pdfium_c

        obj = pdfium_c.FPDFPageObj_CreateTextObj(self.document.raw, self._font(key), ctypes.c_float(size))
        pdfium_c.FPDFText_SetText(obj, wide(text))
        pdfium_c.FPDFPageObj_SetFillColor(obj, *colour)
        pdfium_c.FPDFPageObj_Transform(obj, 1.0, 0.0, 0.0, 1.0, x, y)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)

    def _holding(self, font: Any, text: str) -> bool:
        """Whether an embedded font has a glyph for every character of ``text``."""
        at = address(font)
        if at not in self._notdefs:
            self._notdefs[at] = _outline(font, _NO_CHARACTER)
        for char in set(text) | {" "}:
            if (at, char) not in self._holds:
                self._holds[at, char] = _has_glyph(font, char, self._notdefs[at])
            if not self._holds[at, char]:
                return False
        return True

    def _font(self, key: str) -> Any:
        import pypdfium2.raw as pdfium_c

        if key not in self._fonts:  # only standard fonts are loaded by name
            self._fonts[key] = pdfium_c.FPDFText_LoadStandardFont(self.document.raw, key.encode("ascii"))
        return self._fonts[key]

    def _measured(self, key: str, word: str) -> float:
        import pypdfium2.raw as pdfium_c

        obj = pdfium_c.FPDFPageObj_CreateTextObj(self.document.raw, self._font(key), ctypes.c_float(1000.0))
        try:
            pdfium_c.FPDFText_SetText(obj, wide(word))
            box = [ctypes.c_float(0.0) for _ in range(4)]
            pdfium_c.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in box))
            return box[2].value - box[0].value
        finally:
            pdfium_c.FPDFPageObj_Destroy(obj)


def _has_glyph(font: Any, char: str, notdef: Any) -> bool:
    """Whether ``font`` draws ``char``: it has a width there, and (but for a space) an
    outline other than the font's ``notdef`` one."""
    import pypdfium2.raw as pdfium_c

    width = ctypes.c_float(0.0)
    if not pdfium_c.FPDFFont_GetGlyphWidth(font, ord(char), ctypes.c_float(100.0), ctypes.byref(width)):
        return False
    if width.value <= 0:
        return False
    return char.isspace() or _outline(font, char) != notdef


def _outline(font: Any, char: str) -> tuple[tuple[float, float, int], ...] | None:
    """The points of a character's glyph outline in ``font`` (None: no glyph at all)."""
    import pypdfium2.raw as pdfium_c

    path = pdfium_c.FPDFFont_GetGlyphPath(font, ord(char), ctypes.c_float(100.0))
    if not path:
        return None
    points = []
    for index in range(pdfium_c.FPDFGlyphPath_CountGlyphSegments(path)):
        segment = pdfium_c.FPDFGlyphPath_GetGlyphPathSegment(path, index)
        x, y = ctypes.c_float(0.0), ctypes.c_float(0.0)
        pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(x), ctypes.byref(y))
        points.append((round(x.value, 2), round(y.value, 2), pdfium_c.FPDFPathSegment_GetType(segment)))
    return tuple(points)


_STANDARD_FAMILIES = {
    "sans": ("Helvetica", "Oblique"),
    "serif": ("Times", "Italic"),
    "mono": ("Courier", "Oblique"),
}
"""PDF's standard font families, each with the name of its slanted style."""
_SERIF_NAMES = (
    "times",
    "serif",
    "roman",
    "georgia",
    "garamond",
    "cambria",
    "book",
    "minion",
    "palatino",
    "cmr",
)


def standard_font(obj: Any) -> str:
    """The standard font closest to the one a text object draws with: its family
    (fixed-pitch, serif or sans, by the font's flags or name), weight and slant."""
    import pypdfium2.raw as pdfium_c

    font = pdfium_c.FPDFTextObj_GetFont(obj)
    if not font:
        return "Helvetica"
    buffer = ctypes.create_string_buffer(256)
    pdfium_c.FPDFFont_GetBaseFontName(font, buffer, len(buffer))
    name = buffer.value.decode("latin-1", "replace").lower()
    flags = max(pdfium_c.FPDFFont_GetFlags(font), 0)
    angle = ctypes.c_int(0)
    slanted = bool(pdfium_c.FPDFFont_GetItalicAngle(font, ctypes.byref(angle))) and angle.value != 0
    if flags & 1 or "courier" in name or "mono" in name:
        family = "mono"
    elif (flags & 2 or any(word in name for word in _SERIF_NAMES)) and "sans" not in name:
        family = "serif"
    else:
        family = "sans"
    bold = pdfium_c.FPDFFont_GetWeight(font) >= 600 or any(
        w in name for w in ("bold", "black", "heavy", "semibold")
    )
    italic = bool(flags & 64) or slanted or "italic" in name or "oblique" in name
    base, slant = _STANDARD_FAMILIES[family]
    style = ("Bold" if bold else "") + (slant if italic else "")
    return f"{base}-{style}" if style else "Times-Roman" if base == "Times" else base


def address(obj: Any) -> int:
    """A PDFium handle (an object, a font) as a number: the same handle, the same number."""
    return ctypes.cast(obj, ctypes.c_void_p).value or 0


def wide(text: str) -> Any:
    """``text`` as PDFium's wide string: UTF-16LE, ended by a zero."""
    data = (text + "\0").encode("utf-16-le")
    return ctypes.cast(ctypes.create_string_buffer(data, len(data)), ctypes.POINTER(ctypes.c_ushort))
