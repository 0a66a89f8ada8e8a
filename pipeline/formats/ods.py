"""OpenDocument spreadsheet files (``.ods``): read and written by :mod:`.packages` in the
dialect :mod:`.odf` gives them."""

from __future__ import annotations

from collections.abc import Sequence

from ..types import BlockTranslation, Layout
from . import packages
from .odf import ODS

__all__ = ["read", "write"]


def read(data: bytes) -> Layout:
    """The layout of a OpenDocument spreadsheet file: a block per paragraph with text."""
    return packages.read(ODS, data)


def write(layout: Layout, translations: Sequence[BlockTranslation]) -> bytes:
    """The OpenDocument spreadsheet file of ``layout`` with its paragraphs translated."""
    return packages.write(ODS, layout, translations)
