"""The error classes and the one function that turns an exception into its one-line
reason (pipeline.errors), and what counts as a document's own failure against an
internal error."""

from __future__ import annotations

import pytest

from pipeline.errors import BatchTooLarge, ConfigError, InputError, It2enError, Stopped, is_internal, reason


def test_a_reason_is_one_line_of_at_most_200_characters():
    assert reason(ValueError("first line\nsecond line")) == "first line"
    assert reason(ValueError("x" * 500)) == "x" * 200
    assert reason(KeyError()) == "KeyError"  # no text: its type's name
    assert reason(RuntimeError("   ")) == "RuntimeError"


@pytest.mark.parametrize(
    "exc, internal",
    [
        (InputError("empty"), False),
        (ConfigError("bad"), False),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), False),
        (RecursionError(), False),
        (MemoryError(), False),
        (ZeroDivisionError(), True),
        (KeyError("x"), True),
        (AttributeError("x"), True),
        (BatchTooLarge("out of memory"), True),  # the batching handles it; one that escapes is a bug
    ],
)
def test_what_a_documents_data_can_cause_and_what_is_internal(exc, internal):
    assert is_internal(exc) is internal


def test_stopped_is_no_error_a_retry_would_catch():
    assert not issubclass(Stopped, Exception)
    assert issubclass(InputError, It2enError)
