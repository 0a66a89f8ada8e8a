"""Where the job's work can go: the CPUs each worker actor reserves, chosen from the nodes
Ray reports so that no work is ever stranded.

The rule. Ray Data reads and parses files in tasks that reserve :data:`READ_CPUS` (a
quarter of a CPU: reading is I/O and light parsing beside the models' work), and each
actor reserves ``c`` CPUs. Ray may place the actors on the nodes in any way that fits; a
read task is stranded when every node ends up with less than :data:`READ_CPUS` free. So
``c`` is the largest value, at most ``cpus_per_worker``, for which

* the actors fit: the nodes hold at least ``workers`` actors (a node of ``C`` CPUs holds
  ``floor(C / c)``), and
* whatever the placement, one node keeps a read's share free: a node where even a full
  load of actors leaves :data:`READ_CPUS` (``C - floor(C / c) * c``), or actors too few
  to bring every node below it (a node needs ``floor((C - READ_CPUS) / c) + 1`` actors
  for that).

The actors still run the threads asked for (``cpus_per_worker``): a smaller reservation
only lets Ray place them. A cluster on which no ``c`` of at least 0.01 fits, or without
the GPUs asked for, is refused at once, naming what is missing. Two nodes of 1 CPU with 2
workers: 0.75 each (a quarter left on each node); with 3 workers: 0.5 (two on one node,
the other keeps half a CPU).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import MissingResource

__all__ = ["READ_CPUS", "Node", "actor_cpus", "check_gpus"]

log = logging.getLogger("it2en.distributed")

READ_CPUS = 0.25
"""CPU reserved by each task that reads and parses input files."""
_EPSILON = 1e-9


@dataclass(frozen=True)
class Node:
    """A node as Ray reports it: its CPUs and GPUs."""

    cpus: float
    gpus: float = 0.0


def _holds(cpus: float, share: float) -> int:
    return math.floor(cpus / share + _EPSILON)


def _safe(nodes: Sequence[Node], workers: int, share: float) -> bool:
    """Whether ``workers`` actors of ``share`` CPUs fit and can never strand a read."""
    if sum(_holds(n.cpus, share) for n in nodes) < workers:
        return False
    if any(n.cpus - _holds(n.cpus, share) * share >= READ_CPUS - _EPSILON for n in nodes):
        return True
    to_strand = sum(_holds(n.cpus - READ_CPUS, share) + 1 for n in nodes if n.cpus >= READ_CPUS)
    return workers < to_strand


def actor_cpus(nodes: Sequence[Node], workers: int, wanted: float) -> float:
    """The CPUs each of ``workers`` actors reserves on ``nodes`` (see the module
    docstring): ``wanted`` when it is safe, else the largest safe smaller share; a
    :class:`~pipeline.errors.MissingResource` when none is. No nodes known: ``wanted``."""
    if not nodes:
        return wanted
    if _safe(nodes, workers, wanted):
        return wanted
    # The shares at which what fits changes: a node's CPUs, with or without a read's
    # share, divided among k actors.
    candidates = sorted(
        {
            (n.cpus - spare) / k
            for n in nodes
            for spare in (0.0, READ_CPUS)
            for k in range(1, workers + 1)
            if 0.01 <= (n.cpus - spare) / k < wanted
        },
        reverse=True,
    )
    share = next((c for c in candidates if _safe(nodes, workers, c)), None)
    total = sum(n.cpus for n in nodes)
    if share is None:
        raise MissingResource(
            f"ray: the cluster's {len(nodes)} node(s) have {total:g} CPUs; {workers} workers and the reading "
            f"({READ_CPUS:g} CPU) cannot all be placed: add CPUs or ask for fewer workers"
        )
    log.warning(
        "ray: %d workers x %g CPUs and the reading (%g CPU) do not fit the cluster's nodes (%s CPUs): "
        "reserving %.3g per worker (each still runs %g thread(s))",
        workers,
        wanted,
        READ_CPUS,
        "+".join(f"{n.cpus:g}" for n in nodes),
        share,
        wanted,
    )
    return share


def check_gpus(nodes: Sequence[Node], workers: int, per_worker: float) -> None:
    """A :class:`~pipeline.errors.MissingResource` naming what is missing when the nodes
    cannot hold ``workers`` actors of ``per_worker`` GPUs each."""
    if per_worker <= 0 or not nodes:
        return
    holds = sum(_holds(n.gpus, per_worker) for n in nodes)
    if holds < workers:
        found = sum(n.gpus for n in nodes)
        raise MissingResource(
            f"ray: {workers} workers of {per_worker:g} GPU need {workers * per_worker:g} GPUs placed "
            f"whole on nodes; the cluster's nodes hold {holds} such worker(s) ({found:g} GPUs in all)"
        )
