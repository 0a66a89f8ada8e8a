"""OpenDocument text files (``.odt``): read and written by :mod:`.packages` in the
dialect :mod:`.odf` gives them."""

from __future__ import annotations

from collections.abc import Sequence

from ..types import BlockTranslation, Layout
from . import packages
from .odf import ODT

__all__ = ["read", "write"]


def read(data: bytes) -> Layout:
    """The layout of a OpenDocument text file: a block per paragraph with text."""
    return packages.read(ODT, data)


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The OpenDocument text file of ``layout`` with its paragraphs translated."""
    return packages.write(ODT, layout, translations)
