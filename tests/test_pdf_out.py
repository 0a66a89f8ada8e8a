"""PDF in, PDF out: each paragraph's English set where its Italian was, the rest of the
file kept; checked by reading the translated PDF back with it2en's own reader."""

from __future__ import annotations

import ctypes
import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest
from test_formats import make_pdf, texts
from typer.testing import CliRunner

from pipeline import Pipeline, PipelineConfig
from pipeline.cli import app
from pipeline.errors import InputError
from pipeline.formats import read_format, translated_pdf
from pipeline.formats.pdf_fallback import western
from pipeline.types import Document

CORPUS = Path(__file__).parent / "corpus" / "pdf"


class Longer:
    """Forced outputs: an English-like rendering a third longer than its source, as
    English runs (the words upper-cased, so no Italian word of the source is left); a
    label of a few words (a table's cell) about as long as its source, as it is."""

    name = "longer"
    max_input_tokens = 64

    def count_tokens(self, texts):
        return [len(t.split()) + 1 for t in texts]

    def generate(self, texts):
        return [
            t.upper().replace("À", "A").replace("È", "E")
            + (" AND SO ON AT LENGTH" if len(t.split()) > 3 else "")
            for t in texts
        ]


class Greek(Longer):
    """English the PDF's standard font cannot write."""

    def generate(self, texts):
        return ["Ο δήμαρχος μιλά." for _ in texts]


class Translated(Longer):
    """Forced outputs: the English of the report's sentences, as a model would give it."""

    english: ClassVar[dict[str, str]] = {
        "Il consiglio comunale ha approvato il bilancio preventivo per il prossimo anno.": (
            "The city council has approved the budget for next year."
        ),
        "La spesa per le scuole cresce del quattro per cento rispetto all'anno scorso.": (
            "Spending on schools grows by four percent compared with last year."
        ),
        "Il sindaco ha ringraziato gli uffici per il lavoro svolto nei mesi estivi.": (
            "The mayor thanked the offices for the work they did over the summer months."
        ),
        "I cittadini potranno presentare osservazioni fino alla fine del mese.": (
            "Citizens will be able to submit their comments until the end of the month."
        ),
        "Il testo completo è sul sito del Comune.": "The full text is on the municipality's website.",
        "Relazione sul bilancio": "Report on the budget",
        "Comune di Esempio - Relazione annuale": "Municipality of Esempio - Annual report",
    }

    def generate(self, texts):
        return [self.english.get(t.strip(), t) for t in texts]


def translated(data: bytes, engine: Longer | None = None):
    """The PDF's result through the pipeline with forced outputs (else longer, upper-cased
    ones), and its translated PDF."""
    layout = read_format("pdf", data)
    pipe = Pipeline(PipelineConfig(checks=()), engines={"translator": engine or Longer()})
    (result,) = pipe.process_many([Document("doc", layout.text, layout=layout)], summarize=False)
    return result, translated_pdf(result)


def objects(data: bytes) -> list[dict[int, int]]:
    """Per page, how many page objects of each type (text 1, path 2, image 3, ...) it holds."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(data)
    counts = []
    for page in document:
        found: dict[int, int] = {}
        for index in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
            kind = pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page.raw, index))
            found[kind] = found.get(kind, 0) + 1
        counts.append(found)
    return counts


def annotations(data: bytes) -> list[int]:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    return [pdfium_c.FPDFPage_GetAnnotCount(page.raw) for page in pdfium.PdfDocument(data)]


def off_page(data: bytes) -> int:
    """How many text objects of the PDF lie (partly) outside their page (its media box:
    the objects' own space, whatever the page's rotation)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    outside = 0
    for page in pdfium.PdfDocument(data):
        low, bottom_edge, high, top_edge = page.get_mediabox()
        for left, bottom, right, top in boxes_of(page, pdfium_c.FPDF_PAGEOBJ_TEXT):
            outside += left < low - 1 or bottom < bottom_edge - 1 or right > high + 1 or top > top_edge + 1
    return outside


def boxes_of(page, kind: int) -> list[tuple[float, float, float, float]]:
    """The boxes (left, bottom, right, top) of a PDFium page's objects of one ``kind``."""
    import pypdfium2.raw as pdfium_c

    boxes = []
    for index in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, index)
        if pdfium_c.FPDFPageObj_GetType(obj) == kind:
            edges = [ctypes.c_float(0.0) for _ in range(4)]
            pdfium_c.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in edges))
            boxes.append((edges[0].value, edges[1].value, edges[2].value, edges[3].value))
    return boxes


def checked(data: bytes) -> None:
    """The issue's checks: as many pages, every paragraph's translation found read back
    on its page, no Italian paragraph left, pictures, art and links kept."""
    result, out = translated(data)
    again = read_format("pdf", out)
    assert len(objects(out)) == len(objects(data))
    assert " ".join(again.text.split()) == " ".join(result.translation.split())  # all of it, in order
    for page in {b.where for b in result.layout.blocks}:  # each page's English on that page
        first = next(
            t
            for b, t in zip(result.layout.blocks, result.translation.split("\n\n"), strict=True)
            if b.where == page
        )
        assert first.split()[0] in " ".join(
            b_text
            for b_text, b in zip(again.text.split("\n\n"), again.blocks, strict=True)
            if b.where == page
        )
    assert not set(result.source.split()) - set(result.translation.split()) & set(again.text.split())
    before, after = objects(data), objects(out)
    assert [{k: v for k, v in page.items() if k != 1} for page in after] == [
        {k: v for k, v in page.items() if k != 1} for page in before
    ]  # every image, path and form object where it was
    assert annotations(out) == annotations(data)
    assert off_page(out) <= off_page(data)  # the English set on its page


def report(columns: int = 1) -> bytes:
    """A two-page report made with reportlab: a running header and footer, a heading, long
    paragraphs (one crossing the page break), a picture, a table, a link, in one or two
    columns."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import BaseDocTemplate, Frame, Image, PageTemplate, Paragraph, Spacer, Table

    styles = getSampleStyleSheet()
    out = io.BytesIO()
    width, height = A4
    gap = 18
    frame_width = (width - 144 - gap * (columns - 1)) / columns
    frames = [Frame(72 + k * (frame_width + gap), 72, frame_width, height - 144) for k in range(columns)]

    def furniture(canvas, doc):
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, height - 50, "Comune di Esempio - Relazione annuale")
        canvas.drawString(width / 2, 40, f"{doc.page}")

    template = BaseDocTemplate(
        out, pagesize=A4, pageTemplates=[PageTemplate(frames=frames, onPage=furniture)]
    )
    sentences = [
        "Il consiglio comunale ha approvato il bilancio preventivo per il prossimo anno.",
        "La spesa per le scuole cresce del quattro per cento rispetto all'anno scorso.",
        "Il sindaco ha ringraziato gli uffici per il lavoro svolto nei mesi estivi.",
        "I cittadini potranno presentare osservazioni fino alla fine del mese.",
    ]
    picture = io.BytesIO()
    from PIL import Image as Picture

    Picture.new("RGB", (40, 30), (200, 40, 40)).save(picture, format="PNG")
    picture.seek(0)
    story = [Paragraph("Relazione sul bilancio", styles["Heading1"])]
    for k in range(14):
        text = " ".join(sentences[(k + j) % 4] for j in range(3 + k % 3))
        if k == 2:
            link = '<a href="https://esempio.it/bilancio" color="blue">sito del Comune</a>'
            text += f" Il testo completo è sul {link}."
        story += [Paragraph(text, styles["BodyText"]), Spacer(1, 6)]
        if k == 1:
            story.append(Image(picture, width=80, height=60))
        if k == 3:
            cells = [
                ["Voce di spesa", "Importo"],
                ["Scuole e asili", "1.200.000"],
                ["Strade comunali", "850.000"],
            ]
            story.append(Table(cells, style=[("GRID", (0, 0), (-1, -1), 0.5, "grey")]))
    template.build(story)
    return out.getvalue()


@pytest.mark.parametrize("columns", [1, 2])
def test_a_report_comes_back_with_its_english_where_its_italian_was(columns):
    checked(report(columns))


def test_lines_drawn_by_hand_with_a_running_header_and_footer():
    checked(make_pdf(3))
    lines = ["Il consiglio comunale ha approvato il bilancio e il piano", "delle opere pubbliche"]
    checked(make_pdf(1, lines=lines))


def test_english_longer_than_its_place_is_set_smaller_then_runs_on_never_lost(caplog):
    lines = [
        "Il sindaco parla del bilancio con",
        "i consiglieri del comune.",
        "Il consiglio approva il piano.",
    ]
    with caplog.at_level(logging.WARNING, logger="it2en.formats"):
        result, out = translated(make_pdf(1, lines=lines))
    again = read_format("pdf", out)
    assert " ".join(again.text.split()) == " ".join(result.translation.split())
    told = [r.getMessage() for r in caplog.records if "runs longer" in r.getMessage()]
    assert told == ["page 1: the English of 1 paragraph(s) runs longer than its place: it goes on below"]


def test_every_readable_corpus_pdf_is_rewritten_with_its_pages_pictures_and_links():
    """Real files: every one written, its pages, pictures, art and links kept, and the
    text it2en read gone from all but those whose text sits in form objects (left as
    they were, with their Italian: named here)."""
    in_form_objects = {
        "pypdf-AutoCad_Diagram.pdf",
        "pypdf-GeoBase_NHNC1_Data_Model_UML_EN.pdf",
        "pypdf-issue-301.pdf",
    }
    for path in sorted(CORPUS.glob("*.pdf")):
        data = path.read_bytes()
        try:
            result, out = translated(data)
        except InputError:
            continue  # unreadable (encrypted, scanned): the reader's one line, tested with it
        assert len(objects(out)) == len(objects(data)), path.name
        assert annotations(out) == annotations(data), path.name
        assert off_page(out) <= off_page(data), path.name  # no English set off its page
        again = read_format("pdf", out)
        left = set(result.source.split("\n\n")) & set(again.text.split("\n\n"))
        italian = {b for b in left if b != b.upper() and not unwritable(b)}
        assert not italian or path.name in in_form_objects, (path.name, sorted(italian)[:3])


def unwritable(text: str) -> bool:
    """Whether ``text`` needs a font beyond the standard ones that this machine may lack
    (Chinese, say): its paragraph may be left as it was, with a warning."""
    return not all(western(c) for c in text)


def test_the_command_line_writes_a_pdf_and_batch_only_for_pdfs(translate_flags, model_flags, tmp_path):
    source = tmp_path / "avviso.pdf"
    source.write_bytes(make_pdf(2))
    runner = CliRunner()
    done = runner.invoke(
        app, ["translate", str(source), "-o", str(tmp_path / "avviso.en.pdf"), *translate_flags]
    )
    assert done.exit_code == 0, done.output
    again = read_format("pdf", (tmp_path / "avviso.en.pdf").read_bytes())
    assert again.text == read_format("pdf", source.read_bytes()).text  # the copy model
    (tmp_path / "nota.txt").write_text("Il sindaco parla.", encoding="utf-8")
    refused = runner.invoke(
        app, ["translate", str(tmp_path / "nota.txt"), "-o", str(tmp_path / "x.pdf"), *translate_flags]
    )
    assert refused.exit_code == 2
    assert "--format pdf writes the translated copy of one PDF" in refused.stderr
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "avviso.pdf").write_bytes(source.read_bytes())
    (inbox / "nota.txt").write_text("Il sindaco parla.", encoding="utf-8")
    out = tmp_path / "out"
    batch = [
        "batch",
        str(inbox),
        "--out",
        str(out),
        "--formats",
        "json,pdf",
        "--translate-only",
        *model_flags,
    ]
    assert runner.invoke(app, batch).exit_code == 0
    assert sorted(p.name for p in out.glob("*.pdf")) == ["avviso.en.pdf"]  # of the PDF alone
    assert sorted(p.name for p in out.glob("*.json")) == ["avviso.json", "nota.json"]


def test_a_pdf_that_cannot_be_written_fails_in_one_line_and_leaves_no_file(
    translate_flags, tmp_path, monkeypatch
):
    monkeypatch.setenv("IT2EN_PDF_FONTS", str(tmp_path))  # no font there holds Greek
    layout = read_format("pdf", make_pdf(1))
    pipe = Pipeline(PipelineConfig(checks=()), engines={"translator": Greek()})
    (result,) = pipe.process_many([Document("doc", layout.text, layout=layout)], summarize=False)
    with pytest.raises(InputError, match=r"^no font found that can write the English \(.*Ο.*IT2EN_PDF_FONTS"):
        translated_pdf(result)
    source = tmp_path / "chiuso.pdf"
    source.write_bytes(make_pdf(1, encrypt="segreto"))
    target = tmp_path / "chiuso.en.pdf"
    failed = CliRunner().invoke(app, ["translate", str(source), "-o", str(target), *translate_flags])
    assert failed.exit_code == 1
    assert any(line.endswith("password-protected (encrypted) PDF") for line in failed.stderr.splitlines())
    assert not target.exists()

    from reportlab.lib.pdfencrypt import StandardEncryption

    locked = StandardEncryption("", ownerPassword="padrone", canModify=0)  # opens, must not be changed
    source.write_bytes(make_pdf(1, encrypt=locked))
    failed = CliRunner().invoke(app, ["translate", str(source), "-o", str(target), *translate_flags])
    assert failed.exit_code == 1
    (line,) = [line for line in failed.stderr.splitlines() if "encrypted" in line]
    assert "chiuso.pdf" in line and "encrypted against changes (its owner's permissions forbid" in line
    assert not target.exists()


def test_a_service_job_gives_the_pdf_else_its_text_saying_why(caplog, tmp_path, monkeypatch):
    from pipeline.serve.jobs import result_files

    result, _ = translated(make_pdf(1))
    name, data = result_files("avviso", result)["document"]
    assert name == "avviso.en.pdf"
    assert read_format("pdf", data).text.split() == result.translation.split()

    monkeypatch.setenv("IT2EN_PDF_FONTS", str(tmp_path))
    layout = read_format("pdf", make_pdf(1))
    pipe = Pipeline(PipelineConfig(checks=()), engines={"translator": Greek()})
    (greek,) = pipe.process_many([Document("doc", layout.text, layout=layout)], summarize=False)
    with caplog.at_level(logging.WARNING, logger="it2en.serve"):
        name, data = result_files("avviso", greek)["document"]
    assert (name, data.decode()) == ("avviso.en.txt", greek.translation + "\n")
    assert "no translated PDF (no font found that can write the English" in caplog.text


def test_each_paragraph_keeps_its_family_weight_and_slant_in_the_standard_fonts():
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for y, font, text in [
        (760, "Helvetica-Bold", "Relazione sul bilancio."),  # short lines after a full stop:
        (740, "Times-Roman", "Il consiglio ha approvato."),  # a paragraph each
        (720, "Times-Italic", "Una nota in corsivo."),
        (700, "Courier", "Il codice 12345 e gli altri numeri del documento."),
    ]:
        pdf.setFont(font, 12)
        pdf.drawString(72, y, text)
    pdf.save()
    _, translated_copy = translated(out.getvalue())
    assert font_names(translated_copy) == ["Helvetica-Bold", "Times-Roman", "Times-Italic", "Courier"]


def tiny_font(characters: str, name: str = "Prova") -> bytes:
    """A TrueType font of just ``characters`` (and a space), each glyph a bar of its own
    width, its ``.notdef`` an empty box, as real fonts have one."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    glyph = {c: f"g{ord(c):04x}" for c in sorted(set(characters) | {" "})}
    outlines, metrics = {}, {}
    for char, glyph_name in [("", ".notdef"), *glyph.items()]:
        pen = TTGlyphPen(None)
        width = 300 + ord(char) % 7 * 40 if char else 500
        if char == "":  # a box with a hole
            for x0, y0, x1, y1 in ((50, 0, 450, 700), (100, 50, 400, 650)):
                pen.moveTo((x0, y0)), pen.lineTo((x0, y1)), pen.lineTo((x1, y1)), pen.lineTo((x1, y0))
                pen.closePath()
        elif not char.isspace():
            pen.moveTo((40, 0)), pen.lineTo((40, 600)), pen.lineTo((width - 40, 600))
            pen.lineTo((width - 40, 0)), pen.closePath()
        outlines[glyph_name], metrics[glyph_name] = pen.glyph(), (width, 40)
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", *glyph.values()])
    builder.setupCharacterMap({ord(c): g for c, g in glyph.items()})
    builder.setupGlyf(outlines)
    builder.setupHorizontalMetrics(metrics)
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": name, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def font_names(data: bytes) -> list[str]:
    """The base font names the PDF's text objects draw with, each once, in order."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    names = []
    for page in pdfium.PdfDocument(data):
        for index in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
            obj = pdfium_c.FPDFPage_GetObject(page.raw, index)
            if pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_TEXT:
                name = ctypes.create_string_buffer(128)
                pdfium_c.FPDFFont_GetBaseFontName(pdfium_c.FPDFTextObj_GetFont(obj), name, 128)
                names.append(name.value.decode())
    return list(dict.fromkeys(names))


class Reversed(Longer):
    """Forced outputs in the source's own letters: its words backwards, lower case."""

    def generate(self, texts):
        return [" ".join(reversed(t.lower().split())) for t in texts]


def test_the_paragraphs_own_font_where_it_holds_the_english_else_a_standard_one(tmp_path):
    from fpdf import FPDF

    latin = "abcdefghijklmnopqrstuvwxyzàèéìòùABCDEFGHIJKLMNOPQRSTUVWXYZ.,'-0123456789"
    (tmp_path / "prova.ttf").write_bytes(tiny_font(latin))
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("Prova", "", str(tmp_path / "prova.ttf"))  # embedded as a subset of what is drawn
    pdf.set_font("Prova", size=12)
    pdf.multi_cell(0, 6, "Il comune ha approvato il bilancio della città per il prossimo anno.")
    data = bytes(pdf.output())
    (original,) = font_names(data)

    layout = read_format("pdf", data)
    for engine, expected in [(Reversed(), original), (Longer(), "Helvetica")]:  # no capitals in the subset
        pipe = Pipeline(PipelineConfig(checks=()), engines={"translator": engine})
        (result,) = pipe.process_many([Document("doc", layout.text, layout=layout)], summarize=False)
        out = translated_pdf(result)
        assert font_names(out) == [expected]
        assert read_format("pdf", out).text == result.translation


def test_english_no_standard_font_can_write_is_set_in_an_embedded_fallback_font(tmp_path, monkeypatch):
    (tmp_path / "Greca.ttf").write_bytes(tiny_font("Ο δήμαρχος μιλά.abcdefghijklmnopqrstuvwxyz", "Greca"))
    (tmp_path / "Latina.ttf").write_bytes(tiny_font("abcdefghijklmnopqrstuvwxyz", "Latina"))  # lacks Greek
    monkeypatch.setenv("IT2EN_PDF_FONTS", str(tmp_path))
    layout = read_format("pdf", make_pdf(1))
    pipe = Pipeline(PipelineConfig(checks=()), engines={"translator": Greek()})
    (result,) = pipe.process_many([Document("doc", layout.text, layout=layout)], summarize=False)
    out = translated_pdf(result)
    assert read_format("pdf", out).text.split() == result.translation.split()
    names = [name.split("+")[-1] for name in font_names(out)]
    assert "Greca" in names  # the font that holds Greek, and only that one
    assert "Latina" not in names
    assert len(out) < len(make_pdf(1)) + 20_000  # the font cut down to the document's characters


def link_texts(data: bytes) -> list[str]:
    """The text under each link annotation of the PDF, page by page."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    found = []
    for page in pdfium.PdfDocument(data):
        textpage = page.get_textpage()
        for index in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
            annotation = pdfium_c.FPDFPage_GetAnnot(page.raw, index)
            rect = pdfium_c.FS_RECTF()
            if pdfium_c.FPDFAnnot_GetSubtype(annotation) == pdfium_c.FPDF_ANNOT_LINK:
                pdfium_c.FPDFAnnot_GetRect(annotation, ctypes.byref(rect))
                inside = [  # the characters whose middle is in the link
                    chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, i))
                    for i in range(textpage.count_chars())
                    if rect.left <= sum(textpage.get_charbox(i)[::2]) / 2 <= rect.right
                    and rect.bottom <= sum(textpage.get_charbox(i)[1::2]) / 2 <= rect.top
                ]
                found.append(" ".join("".join(inside).split()))
            pdfium_c.FPDFPage_CloseAnnot(annotation)
    return found


def test_a_link_goes_with_the_words_it_covers():
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    out = io.BytesIO()
    address = "www.comune.esempio.it/bilancio"
    text = (
        "Il consiglio comunale ha approvato il bilancio preventivo per il prossimo anno e lo ha "
        f'pubblicato, con tutti gli allegati e le tabelle, su <a href="https://{address}">{address}</a> oggi.'
    )
    SimpleDocTemplate(out, pagesize=A4).build([Paragraph(text, getSampleStyleSheet()["BodyText"])])
    data = out.getvalue()
    assert link_texts(data) == [address]
    layout = read_format("pdf", data)
    for engine in (Reversed(), Longer()):  # the address kept (now first), or upper-cased at the same share
        pipe = Pipeline(PipelineConfig(checks=()), engines={"translator": engine})
        (result,) = pipe.process_many([Document("doc", layout.text, layout=layout)], summarize=False)
        (under,) = link_texts(translated_pdf(result))
        assert under.split() and set(under.split()) <= set(result.translation.split())
        if isinstance(engine, Reversed):
            assert under == address and result.translation.startswith("oggi. " + address)
        else:
            assert address.upper() in under


def bookmarked() -> bytes:
    """Two pages with numbered headings, a bookmark tree and a title (in the document
    information and in XMP); the second page turned."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle("Relazione annuale")
    body = [
        "Il consiglio comunale ha approvato il bilancio",
        "preventivo per il prossimo anno e lo ha",
        "pubblicato.",
    ]
    for number, (heading, mark, level) in enumerate(
        [
            ("Relazione annuale", "Relazione annuale", 0),
            ("1 Introduzione", "Introduzione", 0),  # the bookmark without the heading's number
            ("1.1 Il bilancio", "Il bilancio", 1),
            ("2 Allegati", "Indice degli allegati", 0),  # no paragraph repeats it: kept
        ]
    ):
        if number == 2:
            pdf.showPage()
            pdf.setPageRotation(90)
        y = 760 - 120 * (number % 2)
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(72, y, heading)
        pdf.setFont("Helvetica", 11)
        for k, line in enumerate(body if number < 2 else ["Il bilancio è stato approvato."]):
            pdf.drawString(72, y - 30 - 14 * k, line)
        pdf.bookmarkHorizontal(f"b{number}", 72, y + 20)
        pdf.addOutlineEntry(mark, f"b{number}", level=level)
    pdf.save()
    from pypdf.xmp import XmpInformation

    def titled(writer: Any) -> None:  # the title in XMP too, as Office and LaTeX's hyperxmp write it
        xmp = XmpInformation.create()
        xmp.dc_title = {"x-default": "Relazione annuale", "it": "Relazione annuale"}
        writer.xmp_metadata = xmp

    return changed_by_pypdf(out.getvalue(), titled)


def changed_by_pypdf(data: bytes, change: Callable[[Any], None]) -> bytes:
    """A copy of the PDF ``data`` that pypdf writes after ``change(writer)``."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(data))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_bookmarks_and_the_title_in_english_a_turned_page_kept():
    data = bookmarked()
    checked(data)  # (a paragraph of two lines or more on a turned page reads back its lines reversed)

    import pypdfium2 as pdfium

    _, english = translated(data)
    document = pdfium.PdfDocument(english)
    assert [(mark.level, mark.get_title()) for mark in document.get_toc()] == [
        (0, "RELAZIONE ANNUALE"),
        (0, "INTRODUZIONE"),
        (1, "IL BILANCIO"),
        (0, "Indice degli allegati"),
    ]
    assert document.get_metadata_value("Title") == "RELAZIONE ANNUALE"
    from pypdf import PdfReader

    xmp = PdfReader(io.BytesIO(english)).xmp_metadata
    assert xmp is not None and xmp.dc_title == {"x-default": "RELAZIONE ANNUALE", "it": "RELAZIONE ANNUALE"}
    assert [page.get_rotation() for page in document] == [0, 90]
    assert english.count(b"%%EOF") == 2  # PDFium's file kept as it is, the titles added after it


def test_an_encrypted_pdf_anyone_may_open_and_change_is_written_its_bookmarks_left(caplog):
    """Encrypted with an empty user password and every permission (as many office PDFs
    are): PDFium opens and rewrites it; pypdf would need to decrypt it to touch the
    bookmarks, so they are left in Italian, saying so, and the copy stands."""
    from pypdf import PdfReader

    def encrypted(writer: Any) -> None:
        writer.encrypt(user_password="", owner_password="proprietario", algorithm="AES-128")

    data = changed_by_pypdf(bookmarked(), encrypted)
    with caplog.at_level(logging.WARNING, logger="it2en.formats"):
        result, english = translated(data)
    assert PdfReader(io.BytesIO(english)).is_encrypted
    assert " ".join(texts(read_format("pdf", english))).split() == result.translation.split()
    assert "the PDF is encrypted: its bookmarks and title are left as they were" in caplog.text


def test_xmp_metadata_that_is_not_xml_is_left_and_the_copy_written(caplog):
    from pypdf.generic import NameObject, StreamObject

    def broken(writer: Any) -> None:
        stream = StreamObject()
        stream.set_data(b"<x:xmpmeta <<< not XML")
        writer.root_object[NameObject("/Metadata")] = writer._add_object(stream)

    with caplog.at_level(logging.WARNING, logger="it2en.formats"):
        _, english = translated(changed_by_pypdf(bookmarked(), broken))
    import pypdfium2 as pdfium

    assert pdfium.PdfDocument(english).get_metadata_value("Title") == "RELAZIONE ANNUALE"
    assert "XMP metadata cannot be read" in caplog.text


def test_pages_rendered_before_and_after_keep_their_pictures_pixel_for_pixel(tmp_path):
    """Rendered with PDFium: the picture's pixels are the same, the English is drawn. With
    ``IT2EN_SAVE_PICTURES=DIR`` the side-by-side image is saved there (docs/images' copy)."""
    import os

    import pypdfium2 as pdfium
    from PIL import Image, ImageChops

    data = report(2)
    result, out = translated(data, Translated())
    assert "Il consiglio" not in result.translation
    before, after = (pdfium.PdfDocument(d)[0].render(scale=1).to_pil().convert("RGB") for d in (data, out))
    (picture,) = [box for box in _picture_boxes(data)]
    height = before.height
    crop = (round(picture[0]), round(height - picture[3]), round(picture[2]), round(height - picture[1]))
    assert ImageChops.difference(before.crop(crop), after.crop(crop)).getbbox() is None  # the same pixels
    inked = [
        image.convert("L").point(lambda p: 255 if p < 128 else 0).histogram()[255]
        for image in (before, after)
    ]
    assert inked[1] > 0.7 * inked[0]  # the English drawn
    both = Image.new("RGB", (before.width * 2 + 20, height), "white")
    both.paste(before, (0, 0))
    both.paste(after, (before.width + 20, 0))
    both.save(tmp_path / "pdf-before-after.png")
    if os.environ.get("IT2EN_SAVE_PICTURES"):
        both.quantize(32).save(
            Path(os.environ["IT2EN_SAVE_PICTURES"]) / "pdf-before-after.png", optimize=True
        )


def _picture_boxes(data: bytes) -> list[tuple[float, float, float, float]]:
    """The boxes of the first page's images."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    return boxes_of(pdfium.PdfDocument(data)[0], pdfium_c.FPDF_PAGEOBJ_IMAGE)


def test_a_scan_with_an_invisible_text_layer_gets_its_english_on_white_where_the_text_was():
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from PIL import Image as Picture
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    scan = Picture.new("RGB", (595, 842), (235, 225, 200))  # the page's picture, under its OCR text
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.drawImage(ImageReader(scan), 0, 0, *A4)
    text = pdf.beginText(72, 700)
    text.setTextRenderMode(3)  # invisible, as OCR layers are
    text.setFont("Times-Roman", 12)
    for line in ["Il consiglio comunale ha approvato il bilancio", "preventivo per il prossimo anno."]:
        text.textLine(line)
    pdf.drawText(text)
    pdf.save()
    data = out.getvalue()
    result, english = translated(data, Translated())
    assert (
        read_format("pdf", english).text
        == result.translation
        == ("The city council has approved the budget for next year.")
    )
    page = pdfium.PdfDocument(english)[0]
    kinds = [
        pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFPage_GetObject(page.raw, i))
        for i in range(pdfium_c.FPDFPage_CountObjects(page.raw))
    ]
    assert (
        kinds[0] == pdfium_c.FPDF_PAGEOBJ_IMAGE and pdfium_c.FPDF_PAGEOBJ_PATH in kinds
    )  # a white box over it
    modes = {
        pdfium_c.FPDFTextObj_GetTextRenderMode(pdfium_c.FPDFPage_GetObject(page.raw, i))
        for i, kind in enumerate(kinds)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT
    }
    assert modes == {pdfium_c.FPDF_TEXTRENDERMODE_FILL}  # the English can be seen
    image = page.render(scale=1).to_pil().convert("RGB")
    assert image.getpixel((300, 400)) == (235, 225, 200)  # the scan elsewhere as it was
    assert off_page(english) == 0


def test_a_tables_cells_are_paragraphs_of_their_own_and_keep_to_their_cells():
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, Table

    cells = [
        ["Voce di spesa", "Importo"],
        ["Manutenzione straordinaria", "1.200.000"],  # wider in capitals than its cell
    ]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(
        [Table(cells, colWidths=[150, 80], style=[("GRID", (0, 0), (-1, -1), 0.5, "grey")])]
    )
    data = out.getvalue()
    assert texts(read_format("pdf", data)) == [cell for row in cells for cell in row]
    _, english = translated(data)
    assert texts(read_format("pdf", english))[1::2] == ["IMPORTO", "1.200.000"]
    page = pdfium.PdfDocument(english)[0]
    lefts, rights = [], []
    for left, _, right, _ in boxes_of(page, pdfium_c.FPDF_PAGEOBJ_TEXT):
        (rights if left < 200 else lefts).append(right if left < 200 else left)
    assert max(rights) < min(lefts)  # the first column's English, set smaller and wrapped, stays in it


def test_a_page_that_is_only_a_picture_is_left_as_it_is_saying_so(caplog):
    from PIL import Image as Picture
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.drawString(72, 700, "Il consiglio comunale ha approvato il bilancio.")
    pdf.showPage()
    pdf.drawImage(ImageReader(Picture.new("RGB", (60, 80), (90, 90, 90))), 0, 0, *A4)  # a scanned page
    pdf.showPage()
    pdf.save()
    with caplog.at_level(logging.WARNING, logger="it2en.formats"):
        _, english = translated(out.getvalue())
    assert objects(english)[1] == objects(out.getvalue())[1]
    assert "page(s) 2: no text, only pictures (scans?): left as they are" in caplog.text


def test_a_pdf_with_bytes_before_its_header_is_written_back_from_its_header():
    data = b"# written by a gateway before the PDF itself\r\n" * 8 + make_pdf(1)
    checked(data)
    assert translated(data)[1].startswith(b"%PDF-")


def test_a_broken_cross_reference_table_is_mended_and_the_copy_written():
    import re

    broken = re.sub(rb"startxref\s+\d+", b"startxref\n999999", make_pdf(2))  # the xref is not where it says
    result, english = translated(broken)
    assert texts(read_format("pdf", english)) == texts(read_format("pdf", translated(make_pdf(2))[1]))
    assert "IL CONSIGLIO" in result.translation


class PartlyGreek(Longer):
    """English the standard fonts can write, but for one sentence."""

    def generate(self, texts):
        return ["Ο δήμαρχος μιλά." if "museo" in t else t.upper() for t in texts]


def test_a_paragraph_no_font_can_write_is_left_as_it_was_the_others_set(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("IT2EN_PDF_FONTS", str(tmp_path))  # no font there holds Greek
    layout = read_format("pdf", make_pdf(1))
    pipe = Pipeline(PipelineConfig(checks=()), engines={"translator": PartlyGreek()})
    (result,) = pipe.process_many([Document("doc", layout.text, layout=layout)], summarize=False)
    with caplog.at_level(logging.WARNING, logger="it2en.formats"):
        english = texts(read_format("pdf", translated_pdf(result)))
    italian = "Il consiglio comunale ha approvato il bilancio. Il museo resterà aperto tutti i giorni."
    assert italian in texts(layout) and italian in english  # kept as it was
    assert "I LAVORI PARTIRANNO A SETTEMBRE." in english
    assert "page 1: 1 paragraph(s) left in the original" in caplog.text


def test_a_writer_that_crashes_fails_that_copy_alone_and_the_next_one_is_written():
    """A copy that crashes the writer fails in one line (tried twice, the second time in a
    writer of its own); the next copy is written by a new writer. (Children's tests show a
    neighbour's copy in the writer when it crashed coming through.)"""
    import os

    from pipeline.formats.pdf_writer import WRITER

    result, _ = translated(make_pdf(1))
    crashed = r"^its PDF copy crashed the PDF writer \(PDFium\) twice: none written$"
    with pytest.raises(InputError, match=crashed):
        WRITER.call("a crashing copy", os._exit, 1)  # the writer dies, as in a PDFium crash
    again = read_format("pdf", translated_pdf(result))  # by a new writer
    assert again.text.split() == result.translation.split()


ADDRESS = (
    "https://www.comune.esempio.it/amministrazione-trasparente/bilanci/2026/documenti/"
    "relazione-finale-del-revisore-dei-conti-sul-bilancio-preventivo-allegato-b.pdf"
)


class LongAddress(Longer):
    """Forced outputs: one paragraph's English ends in an address wider than the page."""

    def generate(self, texts):
        return [f"The works start in September: {ADDRESS}" if "settembre" in t else t.upper() for t in texts]


def test_a_word_wider_than_the_page_is_cut_into_rows_never_set_past_its_edge():
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    _, english = translated(make_pdf(1), LongAddress())
    assert off_page(english) == 0
    read = " ".join(texts(read_format("pdf", english)))
    assert f"TheworksstartinSeptember:{ADDRESS}" in read.replace(" ", "")  # every character, in order
    assert "/documenti/ relazione-finale" in read  # cut after a slash, where one fits
    page = pdfium.PdfDocument(english)[0]
    assert max(right for _, _, right, _ in boxes_of(page, pdfium_c.FPDF_PAGEOBJ_TEXT)) <= page.get_size()[0]
