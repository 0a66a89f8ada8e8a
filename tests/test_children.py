"""Calls in child processes (:mod:`pipeline.children`, behind the document readers and
the PDF writer): a call that crashes its child, hangs in it, or is stopped fails alone and
at once, and a neighbour's call that was in the same children when they went is made
again and comes through."""

from __future__ import annotations

import os
import threading
import time

import pytest

from pipeline.children import Children
from pipeline.errors import InputError, Stopped


def children(**more: object) -> Children:
    return Children("reader", "read", "it crashed its reader twice: not read", **more)  # type: ignore[arg-type]


def test_a_call_gives_its_result_and_its_own_errors():
    with children() as made:
        assert made.call("a.txt", divmod, 17, 5) == (3, 2)
        with pytest.raises(ZeroDivisionError):
            made.call("b.txt", divmod, 1, 0)
        assert made.call("c.txt", pow, 2, 10) == 1024  # the same child, still there


def test_a_call_that_crashes_its_child_fails_in_one_line_and_the_next_call_is_made():
    with children() as made:
        started = time.monotonic()
        with pytest.raises(InputError, match=r"^it crashed its reader twice: not read$"):
            made.call("bad.pdf", os._exit, 3)
        assert time.monotonic() - started < 30  # at once, not at a time-out (there is none)
        assert made.call("good.pdf", divmod, 7, 2) == (3, 1)


def test_a_neighbour_in_the_children_when_one_crashes_comes_through(caplog):
    """Two children: a slow good call in one, then a crash in the other. Every call then
    in the pool is answered as broken; the good one is made again by a child of its own."""
    results: dict[str, object] = {}

    def good() -> None:
        results["good"] = made.call("good.docx", _slow_square, 12, 2.0)

    with children(workers=2) as made:
        warming = [threading.Thread(target=made.call, args=("warm", time.sleep, 1)) for _ in range(2)]
        for thread in warming:  # both children started, so that the crash comes at once
            thread.start()
        for thread in warming:
            thread.join(60)
        neighbour = threading.Thread(target=good)
        neighbour.start()
        time.sleep(0.5)
        with pytest.raises(InputError, match="crashed its reader twice"):
            made.call("bad.pdf", os._exit, 3)
        neighbour.join(60)
    assert results == {"good": 144}
    told = "a reader ended under good.docx (a crash, or another file given up): it is read again"
    assert told in caplog.text


def test_a_call_past_its_time_is_given_up_and_its_child_stopped():
    with children(timeout=1) as made:
        started = time.monotonic()
        with pytest.raises(InputError, match=r"^not read within 1 s: given up \(its reader was stopped\)$"):
            made.call("slow.docx", time.sleep, 60)
        assert time.monotonic() - started < 10
        assert made.call("next.docx", divmod, 9, 4) == (2, 1)  # a new child


def test_a_stop_ends_the_wait_within_a_slice():
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    with children(stop=stop) as made:
        started = time.monotonic()
        with pytest.raises(Stopped, match=r"stopped while slow\.docx was being read"):
            made.call("slow.docx", time.sleep, 60)
        assert time.monotonic() - started < 5


def _slow_square(value: int, seconds: float) -> int:
    time.sleep(seconds)
    return value * value
