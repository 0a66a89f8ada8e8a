"""SubRip subtitles (``.srt``): read and written by :mod:`.subtitles`."""

from __future__ import annotations

from collections.abc import Sequence

from ..types import BlockTranslation, Layout
from . import subtitles

__all__ = ["read", "write"]


def read(data: bytes) -> Layout:
    """The layout of a SubRip file (see :mod:`.subtitles`)."""
    return subtitles.read("srt", data)


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The SubRip file of ``layout`` with its cues translated (see :mod:`.subtitles`)."""
    return subtitles.write("srt", layout, translations)
