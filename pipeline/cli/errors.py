"""Exit codes, and the one place that turns errors into a stderr line and an exit code.

Exit codes: 0 success; 1 one or more documents failed (the others were still written);
2 usage or configuration error; 3 a model could not be loaded; 4 the batch output folder
is locked by another run; 5 a crash or an environment failure (disk full, read-only
output); 128 + N stopped by signal N (130 for Ctrl-C, 143 for SIGTERM).
"""

from __future__ import annotations

import logging
import signal
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from ..errors import ConfigError, InputError, It2enError, MissingResource, ModelLoadError, OutDirLocked
from .logs import logging_to_stderr
from .options import LogFlags

__all__ = [
    "EXIT_FAILED_DOCUMENTS",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_MODEL",
    "EXIT_USAGE",
    "errors_mapped",
]

EXIT_FAILED_DOCUMENTS = 1
EXIT_USAGE = 2
EXIT_MODEL = 3
EXIT_LOCKED = 4
EXIT_INTERNAL = 5
"""A crash or an environment failure (disk full, read-only output): never the exit code
of failed documents, so a scheduler sees it."""
EXIT_INTERRUPTED = 128 + signal.SIGINT
_EXIT_CODES: tuple[tuple[type[It2enError], int], ...] = (  # checked in order, subclasses too
    (ConfigError, EXIT_USAGE),
    (ModelLoadError, EXIT_MODEL),
    (InputError, EXIT_FAILED_DOCUMENTS),
    (OutDirLocked, EXIT_LOCKED),
    (MissingResource, EXIT_INTERNAL),
)

log = logging.getLogger("it2en.cli")


@contextmanager
def errors_mapped(
    logs: LogFlags, log_format: str = "text", default_level: int = logging.WARNING
) -> Iterator[None]:
    """Log to stderr as ``logs`` asks while the block runs; turn a library error into one
    stderr line and its exit code, and anything else into exit 5 (the traceback with
    ``--debug``)."""
    if logs.debug:
        level = logging.DEBUG
    elif logs.quiet:
        level = logging.ERROR
    else:
        level = logging.INFO if logs.verbose else default_level
    with logging_to_stderr(level, log_format, debug=logs.debug):
        try:
            with warnings.catch_warnings():
                if not logs.debug:
                    # Third-party hints (tokenizer extras, deprecations) are not for our users.
                    warnings.simplefilter("ignore")
                yield
        except It2enError as exc:
            if logs.debug:
                raise
            log.error("%s", exc)
            code = next((code for kind, code in _EXIT_CODES if isinstance(exc, kind)), EXIT_FAILED_DOCUMENTS)
            raise typer.Exit(code) from None
        except KeyboardInterrupt:
            log.error("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort):
            raise
        except OSError as exc:
            if logs.debug:
                raise
            where = f" {exc.filename}" if exc.filename else ""
            log.error("cannot write or read%s: %s", where, exc.strerror or exc)
            raise typer.Exit(EXIT_INTERNAL) from None
        except Exception as exc:
            if logs.debug:
                raise
            log.error("internal error: %s: %s (run with --debug for the traceback)", type(exc).__name__, exc)
            raise typer.Exit(EXIT_INTERNAL) from None
