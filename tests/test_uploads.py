"""One document handed over as a file: the one rule every front end that takes one uses
(the service's /v1 endpoints, its jobs, /translate_file, the page)."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.uploads import UPLOAD_SUFFIXES, read_upload, upload_name


def test_an_upload_is_read_as_the_command_line_reads_a_file_of_its_name():
    doc = read_upload("notizia.txt", "Il museo è aperto.\n".encode())
    assert (doc.id, doc.text, doc.layout) == ("notizia", "Il museo è aperto.\n", None)
    page = read_upload("pagina.html", b"<html><body><p>Il museo \xc3\xa8 aperto.</p></body></html>")
    assert page.layout is not None
    assert page.text == "Il museo è aperto."
    assert read_upload("appunti.csv", b"a;b\n").text == "a;b\n"  # any other name is text
    assert {".txt", ".md", ".html", ".docx", ".pdf"} <= set(UPLOAD_SUFFIXES)


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("molte.jsonl", b'{"text": "uno"}\n{"text": "due"}\n', "molte.jsonl: one document is taken"),
        ("vuoto.txt", b"", "vuoto.txt: the file is empty"),
        ("finto.docx", b"non sono un archivio", "finto.docx: not a .docx file"),
        ("scansione.pdf", b"%PDF-1.4\n%not a real pdf\n", "scansione.pdf: "),
    ],
)
def test_what_cannot_be_one_document_is_refused_in_one_line_naming_the_file(name, data, reason):
    with pytest.raises(InputError) as refused:
        read_upload(name, data)
    assert str(refused.value).startswith(reason)
    assert "\n" not in str(refused.value)


def test_an_uploaded_name_loses_its_folders_and_what_cannot_be_printed():
    assert upload_name("C:\\Users\\a\\relazione.docx", "x") == "relazione.docx"
    assert upload_name("../../etc/passwd", "x") == "passwd"
    assert upload_name("  ", "document.txt") == "document.txt"
    assert upload_name("bad\ud800.txt", "x") == "bad\\ud800.txt"
