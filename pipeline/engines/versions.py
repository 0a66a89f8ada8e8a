"""The versions of the libraries that shape a model's outputs, read from the installed
metadata (nothing imported): part of every identity of :mod:`pipeline.identity` and of a
CTranslate2 conversion's folder name, so that an upgrade redoes both."""

from __future__ import annotations

from importlib import metadata

__all__ = ["library_versions"]


def library_versions(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``(name, version)`` of each installed library of ``names`` (``-`` where missing),
    read from the installed metadata: nothing is imported."""
    found = []
    for name in names:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            found.append((name, "-"))
    return tuple(found)
