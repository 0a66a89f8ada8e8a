"""Readers: every bad-input class becomes a Failure naming the input; good ones survive."""

from __future__ import annotations

import io
import json

import pytest

from pipeline import Document, Failure, InputError
from pipeline.io import read_documents
from pipeline.text import decode_text


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
    assert docs[1].text == "Due."
    assert docs[1].origin == "<stdin>"
    assert len(docs[1].id) == 12


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
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON parser's stack
        '{"id": ' + "9" * 5000 + ', "text": "Cifre."}',  # past Python's int digit limit
        json.dumps({"id": "d", "text": "Dopo."}),
    ]
    path.write_text("\n".join(lines) + "\n")
    out = list(read_documents([str(path)]))
    assert isinstance(out[0], Document)
    assert out[0].id == "a"
    assert out[0].origin == f"{path}:1"
    assert isinstance(out[1], Failure)
    assert out[1].origin == f"{path}:2"
    assert "malformed JSON" in out[1].reason
    assert out[2].reason == '"text" must be a string, got missing'
    assert out[2].id == "b"
    assert out[3].reason == '"text" must be a string, got an int'
    assert "expected a JSON object" in out[4].reason
    assert out[5] == Document("docs-7", "Senza id.", f"{path}:7")
    assert out[6].origin == f"{path}:8"
    assert out[6].reason == "malformed JSON (nested too deeply)"
    assert out[7].origin == f"{path}:9"
    assert "malformed JSON (Exceeds the limit" in out[7].reason
    assert out[8] == Document("d", "Dopo.", f"{path}:10")


def test_line_breaks_are_newlines_and_control_characters_are_dropped(tmp_path):
    text = "\x1b[31mIl museo\x07 è\taperto.\x0cPagina due.\u2028Riga\r\nfine\x7f\x9b."
    expected = "[31mIl museo è\taperto.\nPagina due.\nRiga\nfine."
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "b", "text": text}) + "\n", encoding="utf-8")
    documents = list(read_documents([str(tmp_path / "a.txt"), str(tmp_path / "b.jsonl")]))
    assert [d.text for d in documents] == [expected, expected]


# -- hostile files and names: one Failure each, never a crash, a hang or a huge read --------


def _read_in_thread(paths: list[str], **kwargs) -> list[Document | Failure]:
    """read_documents in a thread, failing the test instead of hanging it."""
    import threading

    out: list[Document | Failure] = []
    thread = threading.Thread(target=lambda: out.extend(read_documents(paths, **kwargs)), daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "reading blocked"
    return out


def test_pipes_devices_and_symlink_loops_are_refused_without_blocking(tmp_path):
    import os

    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    (tmp_path / "ok.txt").write_text("Va bene.", encoding="utf-8")
    names = ["fifo.txt", "zero.txt", "loop.txt", "ok.txt"]
    docs = _read_in_thread([str(tmp_path / n) for n in names])
    assert [type(d).__name__ for d in docs] == ["Failure", "Failure", "Failure", "Document"]
    assert "not a regular file" in docs[0].reason
    assert "not a regular file" in docs[1].reason
    assert "cannot open" in docs[2].reason
    assert docs[3].text == "Va bene."


def test_files_over_the_limit_are_refused_before_reading(tmp_path):
    sparse = tmp_path / "sparse.txt"
    with sparse.open("wb") as stream:
        stream.truncate(3 * 1024**3)  # 3 GB of nothing: refused by its size, never read
    jsonl = tmp_path / "lines.jsonl"
    jsonl.write_text(json.dumps({"id": "big", "text": "x" * 500}) + "\n" + '{"id": "ok", "text": "Sì."}\n')
    docs = list(read_documents([str(sparse), str(jsonl)], max_bytes=200))
    assert "exceeds the input limit" in docs[0].reason
    assert "3,221,225,472 bytes" in docs[0].reason
    assert docs[1].origin.endswith("lines.jsonl:1")
    assert "line exceeds" in docs[1].reason
    assert docs[2] == Document("ok", "Sì.", f"{jsonl}:2")


def test_a_nul_byte_anywhere_is_binary():
    with pytest.raises(InputError, match="binary file"):
        decode_text(b"a" * 20_000 + b"\x00")


def test_jsonl_line_endings_and_newlines_in_text_are_normalised(tmp_path):
    path = tmp_path / "mac.jsonl"
    path.write_bytes(b'{"id": "a", "text": "Uno\\r\\ndue\\rtre"}\r{"id": "b", "text": "Quattro."}\r')
    docs = list(read_documents([str(path)]))
    assert docs == [Document("a", "Uno\ndue\ntre", f"{path}:1"), Document("b", "Quattro.", f"{path}:2")]


def test_names_and_ids_that_are_not_unicode_are_escaped_and_bad_text_fails(tmp_path):
    import os

    raw = os.fsencode(str(tmp_path)) + b"/bad\xff\xfename.txt"
    with open(raw, "wb") as stream:
        stream.write(b"Testo.")
    path = os.fsdecode(raw)
    jsonl = tmp_path / "ids.jsonl"
    jsonl.write_text('{"id": "\\udc80bad", "text": "Uno."}\n{"id": "x", "text": "rotto \\ud800"}\n')
    docs = list(read_documents([path, str(jsonl)]))
    assert docs[0].id == "bad\\xff\\xfename"
    assert docs[0].origin.endswith("/bad\\xff\\xfename.txt")
    assert docs[1].id == "\\x80bad"
    assert docs[1].text == "Uno."
    assert isinstance(docs[2], Failure)
    assert "lone surrogate at character 6" in docs[2].reason
    for doc in docs:  # every name can be written as UTF-8 (errors.jsonl, manifest, stdout)
        json.dumps(doc.to_dict() if isinstance(doc, Failure) else doc.id, ensure_ascii=False).encode()


def test_names_with_control_characters_stay_on_one_line():
    from pipeline.render import render_markdown, render_text
    from pipeline.text import one_line
    from pipeline.types import Result, Segment

    assert one_line("a\nb\tc\udcffd é") == "a\\nb\\tc\\xffd é"
    result = Result(
        id="notizia\n# finta",
        source="Ciao.",
        segments=(Segment(0, 0, 0, 5, "Ciao."),),
        translations=("Hello.",),
        translation="Hello.",
        models={},
    )
    assert render_markdown(result).splitlines()[0] == "# notizia\\n# finta"
    assert render_text(result, header=True).splitlines()[0] == "==> notizia\\n# finta <=="


def test_one_id_rule_for_named_files_folders_jsonl_and_stdin(tmp_path):
    from pipeline.io import discover_inputs

    inbox = tmp_path / "inbox"
    (inbox / "2026" / "11").mkdir(parents=True)
    (inbox / ".git").mkdir()
    (inbox / "out").mkdir()
    (inbox / "a.txt").write_text("Uno.", encoding="utf-8")
    (inbox / "2026" / "11" / "NOTA.TXT").write_text("Due.", encoding="utf-8")
    (inbox / "2026" / "feed.jsonl").write_text('{"id": "x", "text": "Tre."}\n{"text": "Quattro."}\n')
    (inbox / ".bozza.txt").write_text("nascosto", encoding="utf-8")  # hidden file
    (inbox / ".git" / "c.txt").write_text("nascosto", encoding="utf-8")  # hidden folder
    (inbox / "out" / "o.txt").write_text("uscita", encoding="utf-8")  # the excluded folder
    (inbox / "foto.jpg").write_bytes(b"\xff\xd8")  # no glob matches
    single = tmp_path / "singolo.md"
    single.write_text("Cinque.", encoding="utf-8")
    files = list(discover_inputs([str(inbox), str(single), "-"], exclude=inbox / "out"))
    assert [(f.id, f.kind) for f in files] == [  # a folder's files, then its subfolders'
        ("a", "text"),
        ("2026/feed", "jsonl"),
        ("2026/11/NOTA", "text"),
        ("singolo", "text"),
        ("stdin", "text"),
    ]
    docs = list(read_documents(files, stdin=io.BytesIO(b"Sei.")))
    assert [d.id for d in docs[:5]] == ["a", "x", "2026/feed-2", "2026/11/NOTA", "singolo"]
    assert docs[5].text == "Sei."
    assert len(docs[5].id) == 12  # a content hash
    only_txt = [f.id for f in discover_inputs([str(inbox)], ["*.txt"], exclude=inbox / "out")]
    assert only_txt == ["a", "2026/11/NOTA"]
