"""The errors the library raises on purpose.

Every error the user can cause (a bad option, a missing model, an unreadable document) is
one of these, carrying a one-line message fit to print as it is. The CLI maps each class
to an exit code in one table; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["ConfigError", "InputError", "It2enError", "ModelLoadError"]


class It2enError(Exception):
    """Base class: the message is one line, meant for the user."""


class ConfigError(It2enError):
    """An option, flag or config file value is invalid."""


class ModelLoadError(It2enError):
    """A configured model could not be found or loaded."""


class InputError(It2enError):
    """A document could not be read or is unusable (empty, binary, not decodable)."""
