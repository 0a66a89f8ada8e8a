"""Readers: every bad-input class becomes a Failure naming the input; good ones survive."""

from __future__ import annotations

import io
import json

import pytest

from pipeline import Document, Failure, InputError
from pipeline.io import atomic_output, decode_text, read_documents


def test_decode_reports_byte_offset_of_invalid_utf8():
    with pytest.raises(InputError, match="not valid utf-8 at byte 7"):
        decode_text("Città ".encode() + b"\xff\xfe rotto")


def test_decode_rejects_binary_and_honours_boms_and_other_encodings():
    with pytest.raises(InputError, match="binary file"):
        decode_text(b"PK\x03\x04\x00\x00data")
    assert decode_text("\ufeffCiao\r\nmondo".encode()) == "Ciao\nmondo"
    assert decode_text("Perché".encode("utf-16")) == "Perché"
    assert decode_text("Perché".encode("latin-1"), "latin-1") == "Perché"


def test_read_text_files_and_stdin(tmp_path):
    (tmp_path / "a.txt").write_text("Uno.", encoding="utf-8")
    docs = list(read_documents([str(tmp_path / "a.txt"), "-"], stdin=io.BytesIO(b"Due.")))
    assert docs[0] == Document("a", "Uno.", str(tmp_path / "a.txt"))
    assert docs[1].text == "Due." and docs[1].origin == "<stdin>" and len(docs[1].id) == 12


def test_bad_files_become_failures_in_place(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02")
    (tmp_path / "latin.txt").write_bytes("perché".encode("latin-1"))
    (tmp_path / "ok.txt").write_text("Bene.")
    names = ["missing.txt", "bin.txt", "latin.txt", "ok.txt", "."]
    out = list(read_documents([str(tmp_path / n) for n in names]))
    assert [type(o) for o in out] == [Failure, Failure, Failure, Document, Failure]
    assert "cannot open" in out[0].reason
    assert "binary" in out[1].reason
    assert "at byte 5" in out[2].reason
    assert "is a directory" in out[4].reason


def test_jsonl_bad_lines_are_named_by_line_number(tmp_path):
    path = tmp_path / "docs.jsonl"
    lines = [
        json.dumps({"id": "a", "text": "Uno."}),
        "{not json",
        json.dumps({"id": "b"}),
        json.dumps({"id": "c", "text": 5}),
        json.dumps(["x"]),
        "",
        json.dumps({"text": "Senza id."}),
    ]
    path.write_text("\n".join(lines) + "\n")
    out = list(read_documents([str(path)]))
    assert isinstance(out[0], Document) and out[0].id == "a" and out[0].origin == f"{path}:1"
    assert isinstance(out[1], Failure) and out[1].origin == f"{path}:2" and "malformed JSON" in out[1].reason
    assert out[2].reason == '"text" must be a string, got missing' and out[2].id == "b"
    assert out[3].reason == '"text" must be a string, got a int'
    assert "expected a JSON object" in out[4].reason
    assert out[5] == Document("docs-7", "Senza id.", f"{path}:7")


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
