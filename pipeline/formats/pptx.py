"""PowerPoint files (``.pptx``): read and written by :mod:`.packages` in the
dialect :mod:`.ooxml` gives them."""

from __future__ import annotations

from collections.abc import Sequence

from ..types import BlockTranslation, Layout
from . import packages
from .ooxml import PPTX

__all__ = ["read", "write"]


def read(data: bytes) -> Layout:
    """The layout of a PowerPoint file: a block per paragraph with text."""
    return packages.read(PPTX, data)


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The PowerPoint file of ``layout`` with its paragraphs translated."""
    return packages.write(PPTX, layout, translations)
