"""Outputs: atomic files, names that cannot leave their folder."""

from __future__ import annotations

import pytest

from pipeline.outputs import atomic_output, safe_name


@pytest.mark.parametrize(
    "doc_id, expected",
    [
        ("../../x", "x"),
        ("/etc/passwd", "etc_passwd"),
        ("a/b c", "a_b_c"),
        ("..", "doc"),
        (".hidden", "hidden"),
        ("notizia-1.v2", "notizia-1.v2"),
        ("città", "citt"),
    ],
)
def test_safe_name(doc_id, expected):
    assert safe_name(doc_id) == expected


def test_long_ids_are_cut_but_stay_distinct():
    a, b = safe_name("x" * 300 + "a"), safe_name("x" * 300 + "b")
    assert a != b
    assert len(a) < 140


def test_atomic_output_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as stream:
        stream.write("half")
        raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_output(target) as stream:
        stream.write("new")
    assert target.read_text() == "new"
