"""Stopping on signals: the first stops after the work in progress, a second at once.

Both ``batch`` and ``translate``/``summarize`` are stopped this way. The first signal
only sets an event that the command checks between documents, so nothing is ever raised
inside model code (which may catch an exception and go on). A second signal ends the
process from the handler with ``os._exit``: no code can swallow it, and it takes effect as
soon as the main thread leaves the model call it is in. Before exiting it removes the
temporary copies of the output files being written, so a stopped run leaves only
complete files, exactly as after a first signal.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from ..outputs import remove_temporary_files

__all__ = ["Stop", "stop_on_signals"]

log = logging.getLogger("it2en.cli")


@dataclass
class Stop:
    """What a command sees of the signals: ``event`` is set by the first, ``caught`` lists
    them; ``exit_code`` is 128 + the first signal's number (130, 143), or None."""

    event: threading.Event = field(default_factory=threading.Event)
    caught: list[int] = field(default_factory=list)

    @property
    def exit_code(self) -> int | None:
        return 128 + self.caught[0] if self.caught else None


@contextmanager
def stop_on_signals(
    signals: Sequence[signal.Signals], first_message: str, on_abort: Callable[[], None] | None = None
) -> Iterator[Stop]:
    """Handle ``signals`` for the length of the block: the first logs ``first_message``
    and sets the event; a second runs ``on_abort`` (the end-of-run line, say), removes the
    temporary output files and exits with 128 + its number."""
    stop = Stop()

    def handle(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        stop.caught.append(signum)
        if not stop.event.is_set():
            stop.event.set()
            log.error("%s: %s", name, first_message)
            return
        log.error("%s again: stopping now", name)
        try:
            if on_abort is not None:
                on_abort()
            remove_temporary_files()
        finally:
            for stream in (sys.stdout, sys.stderr):
                with suppress(OSError, ValueError):
                    stream.flush()
            os._exit(128 + signum)

    previous = {sig: signal.signal(sig, handle) for sig in signals}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
