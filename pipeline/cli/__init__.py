"""The ``it2en`` command line: a thin layer over the library (see :mod:`pipeline.cli.app`)."""

from .app import app

__all__ = ["app"]
