"""Ray for the length of one job: connected (and shut down after, when the job started
it), Ray Data's shared settings set as the job needs them and restored after, and the
job's datasets stopped before Ray goes.

The last is what keeps a failed job's exit a clean one line. A job cut short (a stall, a
storage failure) leaves Ray Data's scheduling thread waiting on its tasks' result
streams; shutting Ray down under it makes Ray's core abort the whole process ("Check
failed: ... PeekObjectRefStream"), so the job's executors are shut down first and the
threads that read from them are let finish.

A cluster asked for is checked before Ray is: nothing listening at its address is one
line within seconds (Ray would retry for a quarter of an hour), and without an address the
job never joins the last cluster this machine started (Ray's guess from
``/tmp/ray/ray_current_cluster``, which a dead cluster leaves behind) unless told ``auto``."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

from ..errors import MissingResource

__all__ = ["ray_session"]

log = logging.getLogger("it2en.distributed")

CONNECT_SECONDS = 5.0
"""How long a cluster's address is given to answer before the job gives up on it."""
JOIN_SECONDS = 10.0
"""How long the job's own threads are waited for, each, once its datasets are stopped."""


@contextlib.contextmanager
def ray_session(ray: Any, address: str | None) -> Iterator[list[threading.Thread]]:
    """Ray for the job. The threads the job adds to the list yielded are waited for
    (:data:`JOIN_SECONDS` at most each) after the datasets the job started are stopped
    and before Ray is shut down and the settings restored: a dataset cut short by a
    failure winds down there, and its last words are Ray Data's traces, not the job's."""
    started = not ray.is_initialized()
    if started:
        _joined(ray, _where(address))
    context = ray.data.DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.enable_progress_bars)
    data_log = logging.getLogger("ray.data")
    level = data_log.level
    # Shards in input order: the same order as a single-machine run, for a small cost.
    # Ray Data's own progress bars, plan lines and failure traces are left out: it2en
    # tells its progress, and a failure in one line (or, for a bug, with its trace).
    context.execution_options.preserve_order, context.enable_progress_bars = True, False
    data_log.setLevel(logging.CRITICAL)
    before = set(_executors())
    threads: list[threading.Thread] = []
    try:
        yield threads
    finally:
        for executor in set(_executors()) - before:
            _stop(executor)
        for thread in threads:
            thread.join(JOIN_SECONDS)
        if started:
            ray.shutdown()
        context.execution_options.preserve_order, context.enable_progress_bars = saved
        data_log.setLevel(level)


def _where(address: str | None) -> str:
    """The address ``ray.init`` is given: the one asked for, else ``RAY_ADDRESS`` (as Ray
    itself reads it), else a new local Ray. Never Ray's guess from the last cluster
    started on this machine (``/tmp/ray/ray_current_cluster``): a cluster that died
    without removing that file would have the job wait on it for many minutes; ``auto``
    asks for that guess."""
    return address or os.environ.get("RAY_ADDRESS") or "local"


def _joined(ray: Any, address: str) -> None:
    """``ray.init`` on ``address``; a cluster that does not answer there is a
    :class:`~pipeline.errors.MissingResource` in one line, within seconds (Ray itself
    retries for a quarter of an hour before it gives up, with a trace)."""
    if address != "local":
        _answering(ray, address)
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, RuntimeError) as exc:
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise MissingResource(f"ray: cannot join the cluster at {address}: {first}") from None


def _answering(ray: Any, address: str) -> None:
    """Raise :class:`~pipeline.errors.MissingResource` where nothing listens at the
    cluster's address (``auto``: the last cluster started on this machine, as Ray reads
    it); an address of another form is left for Ray to judge."""
    target = address.split("://", 1)[-1]
    if target == "auto":
        try:
            from ray._private.services import get_ray_address_from_environment

            target = get_ray_address_from_environment("auto", None) or ""
        except Exception:  # a Ray without that helper: Ray's own answer, in its time
            return
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()  # [::1]:6379
    except OSError as exc:
        raise MissingResource(
            f"ray: no Ray cluster answers at {address} ({host}:{port}: {exc.strerror or exc}); start one "
            "(ray start --head) or leave --address out to start a Ray for this job"
        ) from None


def _executors() -> list[threading.Thread]:
    """Ray Data's streaming executors running in this process: each runs its scheduling
    loop as a thread of its own (Ray 2.x's ``StreamingExecutor`` is a ``Thread``)."""
    return [
        thread
        for thread in threading.enumerate()
        if type(thread).__name__ == "StreamingExecutor" and callable(getattr(thread, "shutdown", None))
    ]


def _stop(executor: threading.Thread) -> None:
    """Stop one dataset's execution: its scheduling loop ends, its tasks and actors are
    cancelled, and a reader blocked on its output sees the end of it."""
    try:
        executor.shutdown(force=True)  # type: ignore[attr-defined]
    except Exception as exc:  # an executor already winding down on its own
        log.debug("ray: stopping a dataset's executor: %s", exc)
