"""Text as it2en takes it in and shows it: bytes decoded with their line breaks and control
characters normalised, and names or ids made safe for one line of output."""

from __future__ import annotations

import codecs
import re

from .errors import InputError

__all__ = ["decode_text", "normalize_text", "one_line", "printable"]


def printable(text: str) -> str:
    """``text`` with what cannot be written as UTF-8 (lone surrogates: the undecodable
    bytes of a file name, an escaped surrogate in JSON) as backslash escapes; other text
    unchanged. Undecodable file-name bytes show as ``\\xff``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # surrogates that are not escaped bytes
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def one_line(text: str) -> str:
    """``text`` for a single line of output (a heading, a tab-separated listing): control
    characters such as a newline or a tab in a file name or id as backslash escapes."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in printable(text)
    )


_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
"""``\r\n`` and the other line boundaries of ``str.splitlines`` (form feed, vertical tab...)."""
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
"""Control characters that are no text and no line break: ESC, BEL, backspace, DEL, C1."""


def normalize_text(text: str) -> str:
    """Every line break as ``\n`` (``\r\n``, ``\r``, form feeds between pages, U+2028...),
    and control characters that carry no text removed: a terminal escape sequence in an
    input would otherwise reach the terminal through the reports. Tabs stay."""
    return _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text))


def decode_text(data: bytes, encoding: str = "utf-8") -> str:
    """Bytes to text, line breaks and control characters as :func:`normalize_text` leaves them.

    A UTF-8 or UTF-16 byte-order mark is honoured. Raises :class:`InputError` for binary
    data (NUL bytes) and for bytes invalid in ``encoding``, naming the byte offset.
    """
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and codec in ("utf-8", "utf-16"):
        codec = "utf-16"
    elif data.startswith(codecs.BOM_UTF8) and codec == "utf-8":
        codec = "utf-8-sig"
    elif b"\x00" in data and not codec.startswith(("utf-16", "utf-32")):
        raise InputError("binary file (contains NUL bytes), expected text")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not valid {encoding} at byte {exc.start} (use --encoding to read another encoding)"
        ) from None
    return normalize_text(text)
