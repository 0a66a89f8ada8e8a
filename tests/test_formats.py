"""HTML, DOCX and PDF documents: read with their structure, translated by the tiny copy
model, written back with every tag, style and table shape kept; each bad file one line."""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile

import docx
import pytest
from lxml import html as lxml_html
from typer.testing import CliRunner

from pipeline import Document, Failure
from pipeline.cli import app
from pipeline.errors import InputError
from pipeline.formats import BlockTranslation, Layout, read_format, write_translated
from pipeline.io import read_documents

runner = CliRunner()

PAGE = """<!DOCTYPE html>
<html lang="it"><head><meta charset="utf-8"><title>Il comune di Roma</title>
<style>p { color: #333 }</style><script>var testo = "non tradurre";</script></head>
<body>
<h1 class="titolo">Il rapporto annuale</h1>
<p id="primo">Il sindaco ha promesso <b>nuovi libri</b>. I lavori partiranno a settembre.</p>
<ul><li>Primo punto</li><li>Secondo <i>punto</i></li></ul>
<table><caption>Avviso pubblico</caption><tr><td>Cella uno</td><td>Il lunedì è chiuso.</td></tr></table>
<div>Il museo resterà aperto tutti i giorni.<p>La biblioteca della città</p></div>
<img src="museo.png" alt="Una foto del museo">
<pre>codice   non   toccato</pre><p>Il lunedì è chiuso.<br>Il piccolo paziente sta bene, dice il medico.</p>
<!-- un commento -->
</body></html>
"""


def texts(layout: Layout) -> list[str]:
    return [layout.text[b.start : b.end] for b in layout.blocks]


def shape(page: bytes) -> list[tuple[str, dict[str, str]]]:
    """Every element of a page with its attributes (the text aside), in order."""
    root = lxml_html.document_fromstring(page.decode("utf-8"))
    return [(el.tag, dict(el.attrib)) for el in root.iter() if isinstance(el.tag, str)]


def make_docx(*, header: str = "Il comune di Roma") -> bytes:
    document = docx.Document()
    document.add_heading("Il rapporto annuale", level=1)
    paragraph = document.add_paragraph("Il sindaco ha promesso ")
    paragraph.add_run("nuovi libri").bold = True
    paragraph.add_run(". I lavori partiranno a settembre.")
    document.add_paragraph("Primo punto", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    for (r, c), text in zip(
        [(0, 0), (0, 1), (1, 0), (1, 1)],
        ["Cella uno", "Avviso pubblico", "Il lunedì è chiuso.", "Secondo punto"],
        strict=True,
    ):
        table.cell(r, c).text = text
    document.sections[0].header.paragraphs[0].text = header
    document.sections[0].footer.paragraphs[0].text = "Avviso pubblico"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pdf(pages: int = 3, *, encrypt: str | None = None, lines: list[str] | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, encrypt=encrypt)
    body = lines or [
        "Il consiglio comunale ha appro-",
        "vato il bilancio. Il museo resterà",
        "aperto tutti i giorni.",
        "",
        "I lavori partiranno a settembre.",
    ]
    for number in range(1, pages + 1):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, 800, "Comune di Roma - Avviso pubblico")  # a running header
        pdf.setFont("Helvetica", 11)
        for row, line in enumerate(body):
            pdf.drawString(72, 740 - 14 * row, line)
        pdf.setFont("Helvetica", 9)
        pdf.drawString(290, 40, f"Pagina {number} di {pages}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


# -- reading and writing, without models ----------------------------------------------------


def test_html_blocks_are_the_text_of_block_elements_and_attributes_in_reading_order():
    layout = read_format("html", PAGE.encode())
    assert texts(layout) == [
        "Il comune di Roma",
        "Il rapporto annuale",
        "Il sindaco ha promesso nuovi libri. I lavori partiranno a settembre.",
        "Primo punto",
        "Secondo punto",
        "Avviso pubblico",
        "Cella uno",
        "Il lunedì è chiuso.",
        "Il museo resterà aperto tutti i giorni.",
        "La biblioteca della città",
        "Il lunedì è chiuso.",
        "Il piccolo paziente sta bene, dice il medico.",
        "Una foto del museo",
    ]
    where = {layout.text[b.start : b.end]: (b.where, b.kind) for b in layout.blocks}
    assert where["Il comune di Roma"] == ("/html/head/title", "heading")
    assert where["Primo punto"] == ("/html/body/ul/li[1]", "list_item")
    assert where["Una foto del museo"] == ("/html/body/img/@alt", "text")
    assert "non tradurre" not in layout.text
    assert "codice" not in layout.text
    assert "commento" not in layout.text


def test_an_identical_translation_gives_the_same_page_back_byte_for_byte():
    layout = read_format("html", PAGE.encode())
    assert write_translated(layout, texts(layout)) == PAGE.encode()


def test_inline_markup_is_kept_where_its_text_survives_and_placed_by_words_where_it_does_not():
    layout = read_format("html", PAGE.encode())
    changed = [t.replace("I lavori", "The works") for t in texts(layout)]
    changed[4] = "Second item"  # "punto" in <i> is gone from the translation
    page = write_translated(layout, changed).decode()
    assert "<b>nuovi libri</b>. The works partiranno" in page  # found by its words
    assert "<li>Second <i>item</i></li>" in page  # placed where its words were: never dropped
    assert shape(page.encode()) == shape(PAGE.encode())
    assert read_format("html", page.encode()).text.count("Second item") == 1


def test_every_block_is_found_before_any_is_changed_so_no_edit_moves_another():
    # The page: a link whose text moved, with a title read inside it.
    page = b'<p>Leggi <a href="/x" title="Articolo">questo articolo</a> oggi.</p><p>Fine.</p>'
    layout = read_format("html", page)
    assert texts(layout) == ["Leggi questo articolo oggi.", "Fine.", "Articolo"]
    out = write_translated(layout, ["Read this article today.", "End.", "Article"])
    assert out.decode() == (
        '<html><body><p>Read <a href="/x" title="Article">this article</a> today.</p>'
        "<p>End.</p></body></html>"
    )


def test_empty_inline_elements_keep_their_place_in_a_copy_and_between_words_otherwise():
    page = b'<p>Il governo<sup><a href="#n1">1</a></sup> ha votato <img src="x.png"> ieri.</p>'
    layout = read_format("html", page)
    same = write_translated(layout, texts(layout)).decode()
    assert 'governo<sup><a href="#n1">1</a></sup> ha votato <img src="x.png"> ieri.' in same
    out = write_translated(layout, ["The government1 voted yesterday."]).decode()
    assert 'The government<sup><a href="#n1">1</a></sup> voted' in out
    assert shape(out.encode()) == shape(page)


def test_scripts_and_comments_inside_a_run_are_never_read_and_code_is_read_but_never_changed():
    page = (
        b"<p>Testo <!-- nota --> con <span><script>var x = 'non tradurre';</script>un</span> "
        b"esempio di <code>ls -l</code> codice.</p>"
    )
    layout = read_format("html", page)
    assert texts(layout) == ["Testo con un esempio di ls -l codice."]  # one run: the sentence is whole
    out = write_translated(layout, ["Text with an example of ls -l code."]).decode()
    assert "<!-- nota -->" in out
    assert "<script>var x = 'non tradurre';</script>" in out
    assert "of <code>ls -l</code> code." in out
    assert shape(out.encode()) == shape(page)
    assert texts(read_format("html", out.encode())) == ["Text with an example of ls -l code."]
    elsewhere = write_translated(layout, ["Text with code: an example."]).decode()  # code not copied
    assert "<code>ls -l</code>" in elsewhere  # code is never changed, and no word is lost
    words = sorted(re.findall(r"\w+", texts(read_format("html", elsewhere.encode()))[0]))
    assert words == sorted(re.findall(r"\w+", "Text with code: an example. ls -l"))


def test_a_charset_declared_by_http_equiv_is_kept():
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        "<title>Caffè</title></head><body><p>Il caffè è caldo.</p></body></html>"
    ).encode("latin-1")
    layout = read_format("html", page)
    out = write_translated(layout, ["Coffee", "The coffee is hot. Caffè"])
    assert b'charset=iso-8859-1"' in out
    assert "Caffè".encode("latin-1") in out


def test_noscript_is_read_and_a_div_in_it_does_not_hide_the_page():
    page = b"<html><head><title>Titolo</title><noscript><div></noscript></head>"
    page += b"<body><p>Il testo.</p></body></html>"
    assert "Il testo." in texts(read_format("html", page))


def test_an_xhtml_page_with_an_xml_declaration_is_read_and_written_with_it():
    page = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">'
        b"<head><title>Pagina</title></head><body><p>Il comune \xc3\xa8 aperto.</p></body></html>\n"
    )
    layout = read_format("html", page)
    assert texts(layout) == ["Pagina", "Il comune è aperto."]
    out = write_translated(layout, ["Page", "The town hall is open."])
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC')
    assert b"The town hall is open." in out


def test_control_characters_in_a_translation_are_not_written_into_the_page():
    layout = read_format("html", b"<p>Il testo.</p>")
    assert b"<p>The\x0b text.</p>" not in write_translated(layout, ["The\x0b text."])


def test_a_page_in_another_encoding_is_written_back_in_it():
    page = PAGE.replace('charset="utf-8"', 'charset="windows-1252"').encode("cp1252")
    layout = read_format("html", page)
    assert "Il lunedì è chiuso." in texts(layout)
    assert write_translated(layout, texts(layout)) == page


def test_docx_blocks_keep_paragraphs_tables_headers_and_footers():
    layout = read_format("docx", make_docx())
    assert texts(layout) == [
        "Il rapporto annuale",
        "Il sindaco ha promesso nuovi libri. I lavori partiranno a settembre.",
        "Primo punto",
        "Cella uno",
        "Avviso pubblico",
        "Il lunedì è chiuso.",
        "Secondo punto",
        "Il comune di Roma",
        "Avviso pubblico",
    ]
    kinds = [(b.where, b.kind) for b in layout.blocks]
    assert kinds[0] == ("paragraph 1", "heading")
    assert kinds[2] == ("paragraph 3", "list_item")
    assert kinds[5] == ("table 1 row 2 cell 1 paragraph 1", "text")
    assert kinds[7][0] == "section 1 header paragraph 1"
    assert kinds[8][0] == "section 1 footer paragraph 1"


def test_a_translated_docx_keeps_styles_tables_and_every_runs_formatting():
    data = make_docx()
    layout = read_format("docx", data)
    upper = write_translated(layout, [t.upper() for t in texts(layout)])
    assert texts(read_format("docx", upper)) == [t.upper() for t in texts(layout)]
    before, after = docx.Document(io.BytesIO(data)), docx.Document(io.BytesIO(upper))
    assert [p.style.name for p in after.paragraphs] == [p.style.name for p in before.paragraphs]
    assert [len(t.rows) for t in after.tables] == [2]
    assert len(after.tables[0].columns) == 2
    runs = after.paragraphs[1].runs  # the sentence with a bold run: each run keeps its words
    assert [(r.text, r.bold) for r in runs] == [
        ("IL SINDACO HA PROMESSO ", None),
        ("NUOVI LIBRI", True),
        (". I LAVORI PARTIRANNO A SETTEMBRE.", None),
    ]
    first, second = "The mayor promised new books.", "Works will start in September."
    source = texts(layout)[1]
    cut = source.index(" I lavori")
    anchors = ((0, 0), (cut, len(first)), (cut + 1, len(first) + 1), (len(source), len(f"{first} {second}")))
    sentence_wise = BlockTranslation(f"{first} {second}", anchors)  # as the pipeline gives it
    translated = write_translated(layout, [*texts(layout)[:1], sentence_wise, *texts(layout)[2:]])
    runs = docx.Document(io.BytesIO(translated)).paragraphs[1].runs
    assert "".join(r.text for r in runs) == "The mayor promised new books. Works will start in September."
    assert [r.bold for r in runs] == [None, True, None]
    assert runs[1].text == "new books"
    same = write_translated(layout, texts(layout))  # unchanged paragraphs keep their runs
    assert [r.bold for r in docx.Document(io.BytesIO(same)).paragraphs[1].runs] == [None, True, None]


def test_docx_footnotes_are_read_and_written(tmp_path):
    data = _with_footnote(make_docx(), "Il piccolo paziente sta bene, dice il medico.")
    layout = read_format("docx", data)
    assert texts(layout)[-1] == "Il piccolo paziente sta bene, dice il medico."
    assert layout.blocks[-1].where == "footnote 1 paragraph 1"
    written = write_translated(layout, [*texts(layout)[:-1], "The little patient is well."])
    assert texts(read_format("docx", written))[-1] == "The little patient is well."


def _docx_with_link_and_comment() -> bytes:
    """A Word file whose paragraph holds a hyperlink (as Word writes one: runs inside a
    ``w:hyperlink`` with a relationship id) and carries a comment."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    paragraph = document.add_paragraph("Leggi ")
    rid = document.part.relate_to("https://example.org/x", RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "questo articolo"
    run.append(text)
    link.append(run)
    paragraph._p.append(link)
    paragraph.add_run(" oggi.")
    noted = document.add_paragraph("Il museo resterà aperto.")
    document.add_comment(noted.runs, text="Verificare la data.", author="Redazione")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_hyperlinks_keep_their_text_and_comments_are_read_and_written():
    data = _docx_with_link_and_comment()
    layout = read_format("docx", data)
    assert texts(layout) == ["Leggi questo articolo oggi.", "Il museo resterà aperto.", "Verificare la data."]
    assert layout.blocks[-1].where == "comment 0 paragraph 1"
    english = ["Read this article today.", "The museum will stay open.", "Check the date."]
    written = write_translated(layout, english)
    after = docx.Document(io.BytesIO(written))
    link = after.paragraphs[0].hyperlinks[0]
    assert link.text == "this article"
    assert link.address == "https://example.org/x"
    assert after.paragraphs[0].text == "Read this article today."
    assert [c.text for c in after.comments] == ["Check the date."]


def test_a_word_file_with_nothing_to_translate_is_written_back_as_it_is(translate_flags, tmp_path):
    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "", " "
    source = tmp_path / "vuoto.docx"
    document.save(source)
    out = tmp_path / "vuoto.en.docx"
    result = runner.invoke(app, ["translate", str(source), "-o", str(out), *translate_flags])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == source.read_bytes()
    assert "no text to translate" in result.output


def test_pdf_text_is_joined_into_paragraphs_with_running_headers_and_footers_read_once():
    layout = read_format("pdf", make_pdf(3))
    assert texts(layout) == [
        *[
            "Il consiglio comunale ha approvato il bilancio. Il museo resterà aperto tutti i giorni.",
            "I lavori partiranno a settembre.",
        ]
        * 3,
        "Comune di Roma - Avviso pubblico",
        "Pagina 1 di 3",  # its first page's
    ]
    assert [b.where for b in layout.blocks] == [
        *("page 1", "page 1", "page 2", "page 2", "page 3", "page 3"),
        *("running header", "running footer"),
    ]


PARAGRAPH_ONE = (
    "Il consiglio comunale di Roma ha approvato ieri sera il nuovo bilancio della città con una larga "
    "maggioranza dopo una lunga discussione. L'amministrazione ha promesso nuovi fondi per le scuole e per i "
    "trasporti pubblici della periferia nei prossimi tre anni."
)
PARAGRAPH_TWO = "Il sindaco ha detto che i lavori partiranno a settembre e finiranno entro la primavera."


def test_a_double_spaced_pdf_keeps_its_paragraphs_whole_and_mends_hyphens():
    from fpdf import FPDF  # as fpdf2 users write "double spacing": 8 mm lines at 12 pt

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, PARAGRAPH_ONE)
    pdf.ln(8)
    for line in ["Il sindaco ha detto che l'ammini-", "strazione pagherà i lavori a settembre."]:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    layout = read_format("pdf", bytes(pdf.output()))
    mended = "Il sindaco ha detto che l'amministrazione pagherà i lavori a settembre."
    assert texts(layout) == [PARAGRAPH_ONE, mended]


def _pdf_from(draw) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    draw(pdf)
    pdf.save()
    return out.getvalue()


def test_a_pdf_that_places_every_letter_alone_reads_as_words():
    def draw(pdf):
        pdf.setFont("Helvetica", 12)
        lines = ["Il museo resterà aperto tutti i giorni.", "I lavori partiranno a settembre."]
        for row, line in enumerate(lines):
            x = 72.0
            for char in line:  # as some producers (Google Docs exports, PDFKit) do
                pdf.drawString(x, 740 - 15 * row, char)
                x += pdf.stringWidth(char, "Helvetica", 12)

    assert texts(read_format("pdf", _pdf_from(draw))) == [
        "Il museo resterà aperto tutti i giorni. I lavori partiranno a settembre."
    ]


def test_latex_paragraphs_split_at_their_indent_and_run_over_a_page_break():
    words = PARAGRAPH_ONE.split()
    lines = [" ".join(words[i : i + 9]) for i in range(0, len(words), 9)]

    def draw(pdf):
        pdf.setFont("Times-Roman", 11)
        y = 740.0
        for _ in range(2):
            for k, line in enumerate(lines):
                pdf.drawString(72 + (15 if k == 0 else 0), y, line)  # indented first line, no gap
                y -= 13.6
        pdf.drawString(72 + 15, y, "Il sindaco ha detto che i lavori partiranno a")
        pdf.showPage()
        pdf.setFont("Times-Roman", 11)
        pdf.drawString(72, 740, "settembre e finiranno entro la primavera.")  # the sentence goes on

    layout = read_format("pdf", _pdf_from(draw))
    assert texts(layout) == [PARAGRAPH_ONE, PARAGRAPH_ONE, PARAGRAPH_TWO]
    assert [b.where for b in layout.blocks] == ["page 1", "page 1", "page 1"]


def test_a_turned_pdf_with_the_same_line_on_every_page_keeps_every_page():
    def draw(pdf):
        for _ in range(4):
            pdf.setPageRotation(90)
            pdf.setFont("Helvetica", 12)
            pdf.drawString(72, 740, "Avviso pubblico del Comune di Roma.")
            pdf.showPage()

    assert texts(read_format("pdf", _pdf_from(draw))) == ["Avviso pubblico del Comune di Roma."] * 4


def test_a_pdf_padded_after_its_end_is_read():
    assert texts(read_format("pdf", make_pdf(1) + b"\x00" * 4096))


def test_a_pdf_with_bytes_before_its_header_is_read():
    """Readers look for ``%PDF-`` in the first 1024 bytes (PDF 2.0's example file of the
    PDF Association starts with comment lines, as a mail gateway's wrapper would)."""
    data = b"# written by a gateway before the PDF itself\r\n" * 8 + make_pdf(1)
    assert texts(read_format("pdf", data)) == texts(read_format("pdf", make_pdf(1)))
    with pytest.raises(InputError, match="no %PDF header in its first 1024 bytes"):
        read_format("pdf", b"#" * 1100 + make_pdf(1))


@pytest.mark.slow
def test_a_pdf_of_two_thousand_pages_is_read_page_by_page():
    layout = read_format("pdf", make_pdf(2000, lines=["Il lunedì è chiuso."]))
    assert len(layout.blocks) == 2002  # and its running header and footer
    assert layout.blocks[-3].where == "page 2000"


def _replaced(data: bytes, part: str, content: bytes) -> bytes:
    """A zip archive (``data``) with one part's content replaced."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, content if item.filename == part else source.read(item.filename))
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/media/bomb.bin", b"\0" * (64 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    "fmt, data, reason",
    [
        ("docx", b"not a zip at all", "not a .docx file (not a zip archive)"),
        ("docx", make_docx()[:2000], "not a .docx file"),
        ("docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "password-protected"),
        ("docx", _zip_bomb(), "zip bomb"),
        ("docx", _replaced(make_docx(), "word/document.xml", b"<<<not xml"), "not a readable DOCX file"),
        ("pdf", make_pdf(2)[:1500], "truncated PDF"),
        ("pdf", make_pdf(1, encrypt="segreto"), "password-protected (encrypted) PDF"),
        ("pdf", b"%PDF-1.4\nrubbish\n%%EOF", "damaged PDF"),
        ("pdf", b"GIF89a not a pdf", "not a PDF file"),
        ("html", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file"),
        ("html", b"solo testo, nessun tag", "no HTML markup"),
    ],
)
def test_each_bad_file_is_one_line(fmt, data, reason):
    with pytest.raises(InputError, match=reason.replace("(", r"\(").replace(")", r"\)")) as caught:
        read_format(fmt, data)
    assert "\n" not in str(caught.value)


def test_a_pdf_without_a_text_layer_asks_for_ocr():
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    scan = canvas.Canvas(out)
    scan.rect(50, 50, 200, 300, fill=1)  # an image of a page: no text
    scan.showPage()
    scan.save()
    with pytest.raises(InputError, match=r"no text layer.*OCR"):
        read_format("pdf", out.getvalue())


def test_readers_yield_documents_with_layouts_and_failures_in_place(tmp_path):
    (tmp_path / "pagina.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "rapporto.docx").write_bytes(make_docx())
    (tmp_path / "rotto.pdf").write_bytes(make_pdf(2)[:1500])
    (tmp_path / "avviso.PDF").write_bytes(make_pdf(1))
    names = ["pagina.html", "rapporto.docx", "rotto.pdf", "avviso.PDF"]
    docs = list(read_documents([str(tmp_path / n) for n in names]))
    assert [type(d) for d in docs] == [Document, Document, Failure, Document]
    assert [d.layout.format for d in docs if isinstance(d, Document)] == ["html", "docx", "pdf"]
    assert docs[2].message() == f"{tmp_path / 'rotto.pdf'}: truncated PDF file (no end-of-file marker)"


# -- end to end, with the tiny copy translator ---------------------------------------------------


def test_translate_writes_the_translated_page_with_its_structure(translate_flags, tmp_path):
    source = tmp_path / "pagina.html"
    source.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "pagina.en.html"
    result = runner.invoke(app, ["translate", str(source), "-o", str(out), *translate_flags])
    assert result.exit_code == 0, result.output
    written = out.read_bytes()
    assert shape(written) == shape(PAGE.encode())  # every tag and attribute
    assert read_format("html", written).text == read_format("html", PAGE.encode()).text  # the copy model


def test_translate_writes_the_translated_word_file(translate_flags, tmp_path):
    source = tmp_path / "rapporto.docx"
    source.write_bytes(make_docx())
    out = tmp_path / "rapporto.en.docx"
    result = runner.invoke(app, ["translate", str(source), "-o", str(out), *translate_flags])
    assert result.exit_code == 0, result.output
    assert texts(read_format("docx", out.read_bytes())) == texts(read_format("docx", source.read_bytes()))
    translated = docx.Document(str(out))
    assert [p.style.name for p in translated.paragraphs] == ["Heading 1", "Normal", "List Bullet"]


def test_records_point_each_segment_to_its_place_in_the_original(translate_flags, tmp_path):
    source = tmp_path / "avviso.pdf"
    source.write_bytes(make_pdf(2))
    result = runner.invoke(app, ["translate", str(source), "--format", "json", *translate_flags])
    assert result.exit_code == 0, result.output
    [record] = json.loads(result.stdout)
    assert record["format"] == "pdf"
    assert {s["where"] for s in record["segments"]} == {
        "page 1",
        "page 2",
        "running header",
        "running footer",
    }
    assert record["translation"] == read_format("pdf", source.read_bytes()).text
    assert record["translation"].count("Comune di Roma") == 1  # the running header once
    assert record["translation"].count("Pagina") == 1


def test_document_output_needs_one_html_or_docx_input(translate_flags, tmp_path):
    (tmp_path / "a.txt").write_text("Il lunedì è chiuso.", encoding="utf-8")
    result = runner.invoke(
        app, ["translate", str(tmp_path / "a.txt"), "--format", "document", *translate_flags]
    )
    assert result.exit_code == 2
    assert "--format document writes one translated HTML or DOCX" in result.output


def test_batch_writes_translated_files_beside_the_records_and_resumes(translate_flags, tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "pagina.html").write_text(PAGE, encoding="utf-8")
    (inbox / "rapporto.docx").write_bytes(make_docx())
    (inbox / "avviso.pdf").write_bytes(make_pdf(1))
    (inbox / "bomba.docx").write_bytes(_zip_bomb())
    (inbox / "nota.txt").write_text("Il lunedì è chiuso.", encoding="utf-8")
    args = ["batch", str(inbox), "--out", str(out), "--translate-only", *translate_flags]
    first = runner.invoke(app, args)
    assert first.exit_code == 1, first.output  # the zip bomb
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    expected = {
        "pagina.json",
        "pagina.en.html",
        "rapporto.json",
        "rapporto.en.docx",
        "avviso.json",
        "nota.json",
    }
    assert expected <= set(names)
    assert "avviso.en.pdf" not in names
    assert "nota.en.txt" not in names
    errors = (out / "errors.jsonl").read_text(encoding="utf-8")
    assert "bomba.docx" in errors
    assert "zip bomb" in errors
    assert shape((out / "pagina.en.html").read_bytes()) == shape(PAGE.encode())
    again = runner.invoke(app, args)  # unchanged files are skipped; the bad one fails again
    assert "batch: 0 processed, 4 skipped, 1 failed" in again.output


def _with_footnote(data: bytes, text: str) -> bytes:
    """``data`` (a .docx) with a footnotes part holding one footnote of ``text``."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    notes = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{w}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote></w:footnotes>'
    )
    rel = (
        '<Relationship Id="rIdNotes" Target="footnotes.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"/>'
    )
    override = (
        '<Override PartName="/word/footnotes.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>'
    )
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "word/_rels/document.xml.rels":
                content = content.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            elif item.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", override.encode() + b"</Types>")
            target.writestr(item, content)
        target.writestr("word/footnotes.xml", notes)
    return out.getvalue()


def test_footnote_fixture_is_a_valid_word_file(tmp_path):
    path = tmp_path / "note.docx"
    path.write_bytes(_with_footnote(make_docx(), "Il lunedì è chiuso."))
    assert docx.Document(str(path)).paragraphs[0].text == "Il rapporto annuale"


NEWS = """<html><head><title>Il Giornale di Roma</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/cronaca">Cronaca</a></li></ul></nav>
<header><p>Il Giornale di Roma - Edizione del mattino</p></header>
<article><h1>Il museo resterà aperto tutti i giorni</h1>
<p>Il sindaco ha promesso nuovi libri per la biblioteca della città. I lavori partiranno a settembre.</p>
<p>Il consiglio comunale ha approvato il bilancio, anche il lunedì, con ventidue voti.</p>
<p>Il piccolo paziente sta bene, dice il medico, e tornerà presto a casa.</p>
</article>
<aside><p>Leggi anche: il meteo di domani</p></aside>
<footer><p>Copyright 2026 Il Giornale di Roma. Tutti i diritti riservati.</p></footer></body></html>
"""


def test_the_main_article_option_keeps_the_article_and_leaves_the_rest_untouched():
    whole = read_format("html", NEWS.encode())
    article = read_format("html", NEWS.encode(), main_article=True)
    assert texts(article) == [
        "Il museo resterà aperto tutti i giorni",
        "Il sindaco ha promesso nuovi libri per la biblioteca della città. I lavori partiranno a settembre.",
        "Il consiglio comunale ha approvato il bilancio, anche il lunedì, con ventidue voti.",
        "Il piccolo paziente sta bene, dice il medico, e tornerà presto a casa.",
    ]
    assert "Home" in texts(whole)
    assert "Leggi anche: il meteo di domani" in texts(whole)
    page = write_translated(article, [t.upper() for t in texts(article)]).decode()
    assert "IL SINDACO HA PROMESSO" in page
    assert '<a href="/">Home</a>' in page  # menus stay as they were
    assert shape(page.encode()) == shape(NEWS.encode())


MENU = b'<html><body><nav><ul><li><a href="/">Home</a></li><li><a href="/c">Cronaca</a></li></ul></nav>'


def test_a_page_without_an_article_is_read_whole_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="it2en.formats"):
        layout = read_format("html", MENU, main_article=True)
    assert texts(layout) == ["Home", "Cronaca"]
    assert "no main article found" in caplog.text


def test_the_article_is_matched_through_soft_hyphens_list_items_tables_and_wrapped_lines(monkeypatch):
    import trafilatura

    approved = "Il consiglio comunale ha appro\u00advato il bilancio della città."
    funds = "Nuovi fondi per le scuole della periferia"
    works = "Il sindaco ha detto che i lavori partiranno a settembre e finiranno entro la primavera."
    page = (
        f"<html><body><nav><a href='/'>Home</a></nav><article><p>{approved}</p><ul><li>{funds}</li></ul>"
        f"<table><tr><td>Scuole</td><td>3 milioni</td></tr></table><p>{works}</p></article></body></html>"
    )
    # What trafilatura gives for such pages: soft hyphens gone, "- " before list items,
    # "| a | b |" rows, and a paragraph wrapped over lines as the page's source was.
    wrapped = works.replace(" e finiranno", "\ne finiranno")
    extracted = "\n".join([approved.replace("\u00ad", ""), f"- {funds}", "| Scuole | 3 milioni |", wrapped])
    monkeypatch.setattr(trafilatura, "extract", lambda *args, **kwargs: extracted)
    layout = read_format("html", page.encode(), main_article=True)
    assert texts(layout) == [approved, funds, "Scuole", "3 milioni", works]


def test_an_article_none_of_whose_lines_is_on_the_page_falls_back_to_the_whole_page(monkeypatch, caplog):
    import trafilatura

    monkeypatch.setattr(trafilatura, "extract", lambda *args, **kwargs: "Testo che la pagina non contiene.")
    with caplog.at_level(logging.WARNING, logger="it2en.formats"):
        layout = read_format("html", NEWS.encode(), main_article=True, name="notizia.html")
    assert "Home" in texts(layout)
    assert "notizia.html: no main article found" in caplog.text


def test_without_trafilatura_the_option_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "trafilatura", None)
    with pytest.raises(InputError, match=r"pip install 'it2en\[article\]'"):
        read_format("html", NEWS.encode(), main_article=True)


def test_batch_with_the_main_article_option_translates_the_article_only(translate_flags, tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "notizia.html").write_text(NEWS, encoding="utf-8")
    args = ["batch", str(inbox), "--out", str(out), "--translate-only", "--main-article", *translate_flags]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    record = json.loads((out / "notizia.json").read_text(encoding="utf-8"))
    assert "Home" not in record["source"]
    assert "Copyright" not in record["source"]
    assert record["source"].startswith("Il museo resterà aperto tutti i giorni")
    assert "Home" in (out / "notizia.en.html").read_text(encoding="utf-8")


def test_deeply_nested_pages_are_read_whole_or_refused_never_cut_short():
    def nested(depth: int) -> bytes:
        inner = "<div>" * depth + "<p>Il lunedì è chiuso.</p>" + "</div>" * depth
        return f"<html><body><p>Prima.</p>{inner}<p>Dopo.</p></body></html>".encode()

    assert texts(read_format("html", nested(1000))) == ["Prima.", "Il lunedì è chiuso.", "Dopo."]
    with pytest.raises(InputError, match="nested more than 2,048 deep"):
        read_format("html", nested(3000))


def test_reports_name_the_place_in_the_original_of_each_sentence_to_check(translate_flags, tmp_path):
    """The copy model leaves Italian untranslated: every sentence is flagged, and the
    Markdown and HTML reports name its page."""
    source = tmp_path / "avviso.pdf"
    source.write_bytes(make_pdf(2))
    for fmt in ("md", "html"):
        result = runner.invoke(app, ["translate", str(source), "--format", fmt, *translate_flags])
        assert result.exit_code == 0, result.output
        assert "Sentence 1, page 1" in result.stdout
        assert "page 2" in result.stdout


def test_a_word_file_of_many_styles_and_paragraphs_is_read_in_linear_time():
    """Styles are resolved once per document (python-docx's ``Paragraph.style`` scans every
    style for every paragraph: a file of 2,672 styles and 15,935 paragraphs took over ten
    minutes): 2,000 styles and 15,000 paragraphs, headings and lists told apart, in
    seconds; and half a million empty paragraphs too. The file is written as XML (python-
    docx would itself take minutes to make it, for the same reason)."""
    import time

    base = io.BytesIO()
    docx.Document().save(base)
    styles = "".join(
        f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="Stile{n}">'
        f'<w:name w:val="Stile {n}"/></w:style>'
        for n in range(2000)
    )

    def paragraph(n: int) -> str:
        style = "Heading1" if n % 100 == 0 else "ListBullet" if n % 7 == 0 else f"Stile{n % 2000}"
        return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t>Paragrafo {n}.</w:t></w:r></w:p>'

    def word_file(body: str) -> bytes:
        archive, out = zipfile.ZipFile(base), io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
            for item in archive.infolist():
                part = archive.read(item)
                if item.filename == "word/document.xml":
                    part = part.replace(b"<w:body>", b"<w:body>" + body.encode(), 1)
                elif item.filename == "word/styles.xml":
                    part = part.replace(b"</w:styles>", styles.encode() + b"</w:styles>")
                copy.writestr(item, part)
        return out.getvalue()

    many = "".join(paragraph(n) for n in range(15_000))
    started = time.perf_counter()
    layout = read_format("docx", word_file(many))
    assert time.perf_counter() - started < 20  # about 1.5 s here; quadratic was many minutes
    kinds = [block.kind for block in layout.blocks]
    assert len(kinds) == 15_000
    assert kinds[0] == "heading"
    assert kinds[7] == "list_item"
    assert kinds[1] == "text"
    assert kinds.count("heading") == 150
    started = time.perf_counter()
    assert len(read_format("docx", word_file("<w:p/>" * 500_000 + many)).blocks) == 15_000
    assert time.perf_counter() - started < 60  # about 5 s here


def _rewritten(data: bytes, change) -> bytes:
    """A copy of a Word file whose parts ``change(name, bytes)`` rewrites (None: dropped;
    a (name, bytes) pair: renamed)."""
    archive, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in archive.infolist():
            changed = change(item.filename, archive.read(item))
            if changed is not None:
                copy.writestr(changed[0], changed[1])
    return out.getvalue()


def test_word_text_in_tracked_changes_smart_tags_and_controlled_rows_is_translated():
    """Text Word shows is read wherever the XML keeps it: tracked insertions and moves
    (not deletions), nested smart tags, table rows wrapped in a content control; written
    back in place."""
    made = docx.Document()
    made.add_paragraph("Primo paragrafo.")
    made.add_table(rows=1, cols=1).cell(0, 0).text = "Cella uno."
    base = io.BytesIO()
    made.save(base)
    tracked = (
        b'<w:p><w:r><w:t xml:space="preserve">Visto </w:t></w:r><w:ins w:id="1" w:author="a"><w:r><w:t>'
        b'inserito</w:t></w:r></w:ins><w:del w:id="2" w:author="a"><w:r><w:delText>tolto</w:delText></w:r>'
        b'</w:del><w:moveTo w:id="3" w:author="a"><w:r><w:t xml:space="preserve"> spostato</w:t></w:r>'
        b'</w:moveTo><w:smartTag w:uri="u" w:element="a"><w:smartTag w:uri="u" w:element="b"><w:r><w:t '
        b'xml:space="preserve"> a Roma</w:t></w:r></w:smartTag></w:smartTag></w:p>'
    )
    row = (
        b"<w:sdt><w:sdtContent><w:tr><w:tc><w:p><w:r><w:t>Riga controllata.</w:t></w:r></w:p></w:tc>"
        b"</w:tr></w:sdtContent></w:sdt>"
    )

    def change(name: str, part: bytes):
        if name == "word/document.xml":
            part = part.replace(b"<w:body>", b"<w:body>" + tracked, 1).replace(
                b"</w:tbl>", row + b"</w:tbl>", 1
            )
        return name, part

    data = _rewritten(base.getvalue(), change)
    layout = read_format("docx", data)
    texts = [layout.text[b.start : b.end] for b in layout.blocks]
    assert texts == ["Visto inserito spostato a Roma", "Primo paragrafo.", "Cella uno.", "Riga controllata."]
    assert layout.blocks[3].where == "table 1 row 2 cell 1 paragraph 1"
    again = read_format("docx", write_translated(layout, [t.upper() for t in texts]))
    assert [again.text[b.start : b.end] for b in again.blocks] == [t.upper() for t in texts]


def test_a_word_package_is_read_by_its_relationships_and_written_without_new_parts():
    made = docx.Document()
    made.add_paragraph("Il museo è aperto.")
    base = io.BytesIO()
    made.save(base)

    def renamed(name: str, part: bytes):
        if name == "word/document.xml":
            return "word/principale.xml", part
        if name in ("_rels/.rels", "[Content_Types].xml"):
            return name, part.replace(b"/word/document.xml", b"/word/principale.xml").replace(
                b'Target="word/document.xml"', b'Target="word/principale.xml"'
            )
        if name == "word/_rels/document.xml.rels":
            return "word/_rels/principale.xml.rels", part
        return name, part

    moved = _rewritten(base.getvalue(), renamed)
    assert "word/document.xml" not in zipfile.ZipFile(io.BytesIO(moved)).namelist()
    assert read_format("docx", moved).text == "Il museo è aperto."

    def no_styles(name: str, part: bytes):
        if name == "word/styles.xml":
            return None
        if name in ("word/_rels/document.xml.rels", "[Content_Types].xml"):
            part = re.sub(rb"<(Relationship|Override)[^>]*styles[^>]*/>", b"", part)
        return name, part

    bare = _rewritten(base.getvalue(), no_styles)
    layout = read_format("docx", bare)
    written = write_translated(layout, ["The museum is open."])
    assert "word/styles.xml" not in zipfile.ZipFile(io.BytesIO(written)).namelist()
    assert read_format("docx", written).text == "The museum is open."


def test_what_a_page_marks_translate_no_is_kept_as_written(fake_engine):
    """HTML's ``translate="no"``: an inline element read with its sentence and kept, a
    block neither read nor touched, an element's attributes left (DeepL's ``ignore_tags``
    is made of this)."""
    from pipeline import Pipeline, PipelineConfig
    from pipeline.serve.api.deepl import _ignoring, _unmarked

    pipe = Pipeline(PipelineConfig(), engines={"translator": fake_engine})
    page = (
        '<p>Il <span translate="no">TARI</span> sale.</p><p translate="no">Resta.</p>'
        '<div>Sopra <p translate="NO">Resta.</p> sotto.</div><img alt="Foto" translate="no"><img alt="Foto">'
    )
    assert pipe.translate_html([page]) == [
        '<p>IL <span translate="no">TARI</span> SALE.</p><p translate="no">Resta.</p>'
        '<div>SOPRA <p translate="NO">Resta.</p> SOTTO.</div><img alt="Foto" translate="no"><img alt="FOTO">'
    ]
    marked, names = _ignoring(["<p>Il <x>ACME</x> e <X y='1'>ACME</X>, <xy>va</xy>.</p>"], "x, not a tag,")
    assert names == ["x"]
    translated = pipe.translate_html(marked, italian=False)
    assert _unmarked(translated, names) == ['<p>IL <x>ACME</x> E <x y="1">ACME</x>, <xy>VA</xy>.</p>']


def test_a_heading_in_the_body_size_is_a_paragraph_of_its_own():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for heading in ("Capitolo primo", "Capitolo secondo"):
        pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")  # no gap, no full stop
        pdf.multi_cell(0, 6, PARAGRAPH_ONE, new_x="LMARGIN", new_y="NEXT")
    assert texts(read_format("pdf", bytes(pdf.output()))) == [
        "Capitolo primo",
        PARAGRAPH_ONE,
        "Capitolo secondo",
        PARAGRAPH_ONE,
    ]
