"""PDF's standard fonts as the translated PDF sets its text in (:mod:`.pdf_out`): which
of them comes closest to a paragraph's own font, words measured in them, text drawn in
them. They need no font file (every reader has them); their WinAnsi encoding holds
Western European text, and a translation with other characters is refused in one line.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

from ..errors import InputError

__all__ = ["Fonts", "check_characters", "standard_font", "wide"]

_ENCODING = "cp1252"
"""What the standard fonts' WinAnsi encoding can write."""


def check_characters(texts: Sequence[str]) -> None:
    """An :class:`InputError` naming the characters of ``texts`` the standard fonts
    cannot write, if any."""
    missing = sorted({c for text in texts for c in text if not _encodable(c)})
    if missing:
        shown = " ".join(missing[:10])
        raise InputError(f"the English holds characters the PDF's standard font cannot write ({shown})")


def _encodable(char: str) -> bool:
    try:
        char.encode(_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


class Fonts:
    """PDF's standard fonts of one document, loaded when first used, and the widths of
    words set in each (measured by PDFium once per word and font)."""

    def __init__(self, document: Any):
        self.document = document
        self._fonts: dict[str, Any] = {}
        self._widths: dict[tuple[str, str], float] = {}

    def width(self, name: str, word: str, size: float) -> float:
        """How wide ``word`` is in the standard font ``name`` at ``size``."""
        if (name, word) not in self._widths:  # a space alone has no bounds: measured between two letters
            self._widths[name, word] = (
                self._measured(name, word)
                if word != " "
                else self._measured(name, "x x") - self._measured(name, "xx")
            )
        return self._widths[name, word] * size / 1000

    def draw(
        self, page: Any, name: str, text: str, x: float, y: float, size: float, colour: tuple[int, ...]
    ) -> None:
        """``text`` set on ``page`` in font ``name`` with its baseline starting at ``(x, y)``."""
        import pypdfium2.raw as pdfium_c

        obj = pdfium_c.FPDFPageObj_CreateTextObj(self.document.raw, self._font(name), ctypes.c_float(size))
        pdfium_c.FPDFText_SetText(obj, wide(text))
        pdfium_c.FPDFPageObj_SetFillColor(obj, *colour)
        pdfium_c.FPDFPageObj_Transform(obj, 1.0, 0.0, 0.0, 1.0, x, y)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)

    def _font(self, name: str) -> Any:
        import pypdfium2.raw as pdfium_c

        if name not in self._fonts:
            self._fonts[name] = pdfium_c.FPDFText_LoadStandardFont(self.document.raw, name.encode("ascii"))
        return self._fonts[name]

    def _measured(self, name: str, word: str) -> float:
        import pypdfium2.raw as pdfium_c

        obj = pdfium_c.FPDFPageObj_CreateTextObj(self.document.raw, self._font(name), ctypes.c_float(1000.0))
        try:
            pdfium_c.FPDFText_SetText(obj, wide(word))
            box = [ctypes.c_float(0.0) for _ in range(4)]
            pdfium_c.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in box))
            return box[2].value - box[0].value
        finally:
            pdfium_c.FPDFPageObj_Destroy(obj)


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


def wide(text: str) -> Any:
    """``text`` as PDFium's wide string: UTF-16LE, ended by a zero."""
    data = (text + "\0").encode("utf-16-le")
    return ctypes.cast(ctypes.create_string_buffer(data, len(data)), ctypes.POINTER(ctypes.c_ushort))
