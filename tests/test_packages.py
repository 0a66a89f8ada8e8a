"""Office packages (pipeline.formats.packages with the ODF and OOXML dialects), on real
files of the corpus: what is read as text and what is never touched."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.formats import read_format, write_translated

CORPUS = Path(__file__).parent / "corpus"


def _blocks(name: str) -> tuple[bytes, list[str]]:
    data = (CORPUS / name).read_bytes()
    layout = read_format(Path(name).suffix[1:], data)  # type: ignore[arg-type]
    return data, [layout.text[b.start : b.end] for b in layout.blocks]


def _translated(name: str, change) -> tuple[bytes, bytes]:
    data = (CORPUS / name).read_bytes()
    fmt = Path(name).suffix[1:]
    layout = read_format(fmt, data)  # type: ignore[arg-type]
    return data, write_translated(layout, [change(layout.text[b.start : b.end]) for b in layout.blocks])


def _part(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def test_odt_tracked_deletions_are_left_and_the_sentence_read_whole():
    _, texts = _blocks("odf/odfdo-tracked_changes.odt")
    assert texts == ["Bonjour los bonitos amigos ça va ?"]  # "les" and "amis," were deleted
    _, out = _translated("odf/odfdo-tracked_changes.odt", str.upper)
    content = _part(out, "content.xml").decode()
    assert '<text:p text:style-name="Standard">les</text:p>' in content  # the deletion, kept
    assert "BONJOUR" in content and "<text:change-start" in content and "<text:s/>" in content
    assert zipfile.ZipFile(io.BytesIO(out)).infolist()[0].filename == "mimetype"
    assert zipfile.ZipFile(io.BytesIO(out)).infolist()[0].compress_type == zipfile.ZIP_STORED


def test_ods_numbers_dates_and_formulas_are_never_text():
    _, texts = _blocks("odf/odfdo-simple_table.ods")
    assert texts == ["A float", "A date"]
    data, out = _translated("odf/odfdo-simple_table.ods", str.upper)
    values = re.compile(rb'office:(?:value|date-value)="[^"]*"')
    assert values.findall(_part(out, "content.xml")) == values.findall(_part(data, "content.xml"))


def test_pptx_fields_are_kept_and_line_breaks_stay():
    _, texts = _blocks("office/python-pptx-txt-text.pptx")
    assert texts[0] == "Foo Bar\nBaz Zoo"  # the slide-number field after it is not text
    data, out = _translated("office/python-pptx-txt-text.pptx", str.upper)
    slide = _part(out, "ppt/slides/slide1.xml").decode()
    assert 'type="slidenum"><a:rPr lang="en-US" smtClean="0"/><a:t>1</a:t>' in slide
    assert slide.count("<a:br>") == _part(data, "ppt/slides/slide1.xml").decode().count("<a:br>")
    assert "FOO BAR" in slide and "BAZ" in slide


def test_xlsx_formulas_and_values_are_never_touched():
    data, out = _translated("office/openpyxl-formulae.xlsx", lambda t: t.upper() + " X")
    for name in zipfile.ZipFile(io.BytesIO(data)).namelist():
        if name.startswith("xl/worksheets/"):
            assert _part(out, name) == _part(data, name)  # no inline strings: untouched
    strings = _part(out, "xl/sharedStrings.xml").decode()
    assert "NO FORMULA X" in strings


@pytest.mark.parametrize(
    "fmt, data, reason",
    [
        ("odt", b"not a zip", "not a .odt file (not a zip archive)"),
        ("pptx", (CORPUS / "office/openpyxl-null_archive.xlsx").read_bytes(), "no ppt/presentation.xml"),
        ("xlsx", b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old binary file"),
    ],
)
def test_what_is_not_such_a_package_is_refused_in_one_line(fmt, data, reason):
    with pytest.raises(InputError, match=re.escape(reason)):
        read_format(fmt, data)


def _with_member(name: str, member: str, change) -> bytes:
    """Corpus file ``name`` with ``member`` changed by ``change`` (bytes to bytes), the
    rest as it was."""
    source = zipfile.ZipFile(io.BytesIO((CORPUS / name).read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            copy.writestr(info, change(data) if info.filename == member else data, info.compress_type)
    return out.getvalue()


def test_pptx_alt_text_is_translated_and_a_file_name_for_one_is_not():
    deck = _with_member(
        "office/python-pptx-ph-populated-placeholders.pptx",
        "ppt/slides/slide2.xml",
        lambda xml: xml.replace(b'descr="python-powered.png"', b'descr="Il logo di Python" title="Logo"'),
    )
    layout = read_format("pptx", deck)
    texts = [(layout.text[b.start : b.end], b.where) for b in layout.blocks]
    assert ("Il logo di Python", "slide 2 descr 1") in texts
    assert ("Logo", "slide 2 title 2") in texts
    assert not any(text.endswith(".png") for text, _ in texts)  # slide 1's descr is PowerPoint's default
    out = write_translated(layout, [layout.text[b.start : b.end].upper() for b in layout.blocks])
    slide = _part(out, "ppt/slides/slide2.xml").decode()
    assert 'descr="IL LOGO DI PYTHON" title="LOGO"' in slide
    assert _part(out, "ppt/slides/slide1.xml") == _part(deck, "ppt/slides/slide1.xml")  # its file name kept


def test_odf_frames_titles_and_descriptions_are_read_as_text():
    _, texts = _blocks("odf/odfdo-frame_image.odp")
    assert texts[-2:] == ["Intitulé", "描述"]  # svg:title, svg:desc: a picture's alt text
    _, out = _translated("odf/odfdo-frame_image.odp", str.upper)
    assert "<svg:title>INTITULÉ</svg:title>" in _part(out, "content.xml").decode()
