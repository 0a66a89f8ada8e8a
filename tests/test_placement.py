"""How many CPUs each Ray worker reserves on a cluster's nodes: never so many that a read
task is stranded, refused at once when nothing fits (pipeline.distributed.placement)."""

from __future__ import annotations

import itertools
import math

import pytest

from pipeline.distributed.placement import READ_CPUS, Node, actor_cpus, check_gpus
from pipeline.errors import MissingResource


@pytest.mark.parametrize(
    "cpus, workers, wanted, share",
    [
        ((1, 1), 2, 1.0, 0.75),  # the hang of two 1-CPU nodes: a quarter kept on each
        ((1, 1), 3, 1.0, 0.5),
        ((1, 1, 1), 2, 1.0, 1.0),  # a node is left free whatever Ray does
        ((1, 2, 4), 3, 1.0, 1.0),
        ((1, 2, 4), 7, 1.0, 0.9375),
        ((2,), 2, 1.0, 0.875),
        ((8,), 2, 1.0, 1.0),
        ((4, 4), 2, 2.0, 2.0),
    ],
)
def test_the_share_is_the_largest_that_cannot_strand_a_read(cpus, workers, wanted, share):
    nodes = [Node(c) for c in cpus]
    assert actor_cpus(nodes, workers, wanted) == pytest.approx(share)
    assert _never_strands(nodes, workers, actor_cpus(nodes, workers, wanted))


def test_every_placement_ray_could_make_leaves_a_read_its_share():
    """Every cluster of up to three nodes of 1 to 4 CPUs (in halves) and 1 to 6 workers:
    the share chosen fits, and no placement of the actors strands a read."""
    sizes = [0.5 * n for n in range(1, 9)]
    for count in (1, 2, 3):
        for cpus in itertools.combinations_with_replacement(sizes, count):
            for workers in range(1, 7):
                nodes = [Node(c) for c in cpus]
                try:
                    share = actor_cpus(nodes, workers, 1.0)
                except MissingResource:
                    continue
                assert share <= 1.0
                assert _never_strands(nodes, workers, share), (cpus, workers, share)


def _never_strands(nodes: list[Node], workers: int, share: float) -> bool:
    """Brute force: every way of placing ``workers`` actors of ``share`` CPUs that fits
    leaves some node a read's share, and at least one way fits."""
    capacity = [math.floor(n.cpus / share + 1e-9) for n in nodes]
    fits = False
    for counts in itertools.product(*(range(c + 1) for c in capacity)):
        if sum(counts) != workers:
            continue
        fits = True
        if all(n.cpus - k * share < READ_CPUS - 1e-9 for n, k in zip(nodes, counts, strict=True)):
            return False
    return fits


def test_a_cluster_too_small_is_refused_naming_what_is_missing():
    with pytest.raises(MissingResource, match=r"node\(s\) have 0.2 CPUs; 2 workers and the reading"):
        actor_cpus([Node(0.2)], 2, 1.0)
    with pytest.raises(MissingResource, match=r"need 2 GPUs placed whole on nodes; .* hold 1 such worker"):
        check_gpus([Node(4, 1), Node(4, 0)], 2, 1.0)
    check_gpus([Node(4, 1)], 2, 0.5)  # two halves of one GPU
    assert actor_cpus([], 3, 1.0) == 1.0  # no nodes known: as asked
