"""it2en serve under inputs no person would send: every operation of its OpenAPI schema,
bodies included, fuzzed by schemathesis against a live server; no input may make the
service fail (5xx) or stop answering."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from server import STOPPED, Server, tiny_flags

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance  # noqa: E402

pytestmark = pytest.mark.slow  # a server process of its own, models loaded


@pytest.fixture(scope="module")
def served(tiny_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tiny_flags(tiny_models, tmp_path_factory.mktemp("jobs")), "--char-limit", "400")
    yield running
    assert running.get("/healthz")[0] == 200  # still up after everything
    assert running.stop() == STOPPED


def test_no_input_makes_the_service_fail(served):
    """Each operation in turn, 15 requests within its schema and 15 outside it (wrong
    types, out-of-range numbers, missing fields) each, NUL characters included
    (hypothesis, no example database: the same run every time is not the point, but no
    file is left behind). Lone surrogates, deep nesting and numbers past a float's range,
    which schemathesis does not generate, are sent to every field of every operation by
    the hostile client (tests/test_serve_hostile.py)."""
    from hypothesis import given

    api = schemathesis.openapi.from_url(served.url + "/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert {op.path for op in operations} >= {"/translate", "/v1/jobs", "/translate_file", "/v1/summarize"}
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case) -> None:
            # Every check but "a schema-valid request is accepted" (a request within the
            # schema may still be over the character limit, or a file it2en cannot read)
            # and "a request outside it is refused" (it2en takes "2" for 2, as
            # LibreTranslate's clients send numbers in forms).
            case.call_and_validate(excluded_checks=[positive_data_acceptance, negative_data_rejection])

        try:
            fuzz()
        except Unsatisfiable:  # nothing to make invalid: an operation that takes no input
            assert mode is GenerationMode.NEGATIVE
            assert not operation.body
            assert not operation.query
    metrics = served.get("/metrics")[1].decode()
    answered = sum(
        float(line.rsplit(" ", 1)[-1])
        for line in metrics.split("\n")
        if line.startswith("it2en_requests_total{")
    )
    assert answered >= 5 * len(operations), "the fuzzer reached the server"
    assert 'status="500"' not in metrics
    routes = set(re.findall(r'endpoint="([^"]*)"', metrics))  # by route, not by every path asked for
    assert routes <= {op.path for op in operations} | {"/openapi.json", "other"}, routes
