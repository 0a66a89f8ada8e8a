"""WebVTT subtitles (``.vtt``): read and written by :mod:`.subtitles`."""

from __future__ import annotations

from collections.abc import Sequence

from ..types import BlockTranslation, Layout
from . import subtitles

__all__ = ["read", "write"]


def read(data: bytes) -> Layout:
    """The layout of a WebVTT file (see :mod:`.subtitles`)."""
    return subtitles.read("vtt", data)


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The WebVTT file of ``layout`` with its cues translated (see :mod:`.subtitles`)."""
    return subtitles.write("vtt", layout, translations)
