"""Every error class of the package.

Every error the user can cause (a bad option, a missing model, an unreadable document, a
folder in use) is an :class:`It2enError` carrying a one-line message fit to print as it
is. The CLI maps each class to an exit code in one table; anything else is a bug and
keeps its traceback. :class:`BatchTooLarge` is not a user error: an engine raises it and
the batching code handles it.
"""

from __future__ import annotations

__all__ = [
    "BatchTooLarge",
    "ConfigError",
    "InputError",
    "It2enError",
    "MissingResource",
    "ModelLoadError",
    "OutDirLocked",
    "Stopped",
    "is_internal",
    "reason",
]

_MAX_REASON = 200
"""Most characters of an exception's message kept in a one-line reason."""


class It2enError(Exception):
    """Base class: the message is one line, meant for the user."""


class ConfigError(It2enError):
    """An option, flag or config file value is invalid."""


class ModelLoadError(It2enError):
    """A configured model could not be found or loaded."""


class InputError(It2enError):
    """A document could not be read or is unusable (empty, binary, not decodable)."""


class MissingResource(It2enError):
    """What the job needs is not on this machine: a package that is not installed (an
    extra), a cluster too small for the workers asked for. The environment's problem, not
    a mistake in the command (exit 5, one line, no traceback)."""


class OutDirLocked(It2enError):
    """Another batch run holds the output folder's lock."""


def reason(exc: BaseException) -> str:
    """An exception as one line for a message: its first line of text (at most
    :data:`_MAX_REASON` characters), or its type's name when it has none. A library's
    multi-line message or traceback text never reaches a log line or an error record."""
    text = str(exc).strip()
    return text.splitlines()[0][:_MAX_REASON] if text else type(exc).__name__


def is_internal(exc: BaseException) -> bool:
    """Whether ``exc``, raised while a document was processed, is a fault of it2en's (or
    of a library's) rather than one the document's own data can cause: anything but an
    :class:`It2enError` (a document's reason), text that cannot be encoded or decoded,
    nesting too deep, or a document too large for memory. A document's failure stays its
    own either way; an internal one is also told loudly, with its traceback."""
    return not isinstance(exc, It2enError | UnicodeError | RecursionError | MemoryError)


class Stopped(BaseException):
    """Raised between two model batches when the caller's stop event is set (a signal):
    a BaseException, so that no per-document retry catches it. The documents finished
    before it are the caller's; the others are redone (from the output cache) next time."""


class BatchTooLarge(RuntimeError):
    """Raised by an engine when a batch does not fit in device memory; the batch is then
    split in two and retried, down to single texts."""
