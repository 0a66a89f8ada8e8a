"""One registry of output formats, used by translate and batch alike."""

from __future__ import annotations

import json

import pytest
from test_types import _result

from pipeline.output_formats import OUTPUT_FORMATS, format_for_suffix


@pytest.mark.parametrize(
    "suffix, name",
    [(".txt", "text"), (".MD", "md"), (".json", "json"), (".jsonl", "jsonl"), (".htm", "html")],
)
def test_a_suffix_chooses_its_format(suffix, name):
    assert format_for_suffix(suffix) == name


def test_unknown_suffixes_choose_nothing():
    assert format_for_suffix(".docx") is None
    assert format_for_suffix("") is None


def test_every_format_renders_one_document_as_the_bytes_of_its_file():
    result = _result()
    assert json.loads(OUTPUT_FORMATS["json"].bytes_of(result)) == result.to_dict()
    assert OUTPUT_FORMATS["jsonl"].bytes_of(result).count(b"\n") == 1
    assert b"## To check" in OUTPUT_FORMATS["md"].bytes_of(result)
    assert OUTPUT_FORMATS["html"].bytes_of(result).startswith(b"<!doctype html>")
    assert OUTPUT_FORMATS["text"].bytes_of(result).decode().endswith("It costs 5 euros.\n")
    assert OUTPUT_FORMATS["document"].binary
    assert OUTPUT_FORMATS["html"].one_per_file


@pytest.mark.parametrize(
    "origin, name",
    [
        ("in/pagina.htm", "pagina.en.htm"),
        ("in/PAGINA.HTML", "pagina.en.html"),
        ("lines.jsonl:3", "pagina.en.html"),
        ("", "pagina.en.html"),
    ],
)
def test_a_translated_copy_keeps_its_inputs_suffix_where_the_input_had_one_of_its_format(origin, name):
    from pipeline.layouts import Layout
    from pipeline.output_formats import document_files
    from pipeline.types import Result

    page = b"<html><body><p></p></body></html>"
    result = Result("pagina", "", (), (), "", {}, origin=origin, layout=Layout.of("html", [], page))
    ((written, data),) = document_files("pagina", result, ())
    assert written == name
    assert data == page
