#!/usr/bin/env python3
"""How long a large Word file takes to read: the case that stalled a scheduled run (a
.docx of 15,935 paragraphs and 2,672 styles), against the naive way, python-docx's
``Paragraph.style`` for each paragraph (what it2en did until 2026-12-06: every call
scans every style).

The file is made here (paragraphs spread over the styles, one in a hundred a heading, one
in seven a list item). The naive reading is timed on its first ``--naive-paragraphs``
paragraphs and its cost per paragraph multiplied out (it is the same for every
paragraph: each scans every style).

And how long a 40-page PDF report takes to be rewritten in English (:mod:`pipeline.formats.pdf_out`),
beside reading it: the translated PDF's own cost, over and above the translation (the
English here is the Italian upper-cased and a sixth longer, as English runs). Usage::

    python scripts/bench_readers.py --json scripts/results/readers.json
"""

from __future__ import annotations

import argparse
import io
import json
import time
import zipfile
from pathlib import Path


def word_file(paragraphs: int, styles: int) -> bytes:
    """A Word file of ``paragraphs`` paragraphs over ``styles`` paragraph styles."""
    import docx

    base = io.BytesIO()
    docx.Document().save(base)
    defined = "".join(
        f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="S{n}"><w:name w:val="Stile {n}"/></w:style>'
        for n in range(styles)
    )

    def paragraph(n: int) -> str:
        style = "Heading1" if n % 100 == 0 else "ListBullet" if n % 7 == 0 else f"S{n % styles}"
        return f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t>Paragrafo numero {n}.</w:t></w:r></w:p>'

    body = "".join(paragraph(n) for n in range(paragraphs)).encode()
    archive, out = zipfile.ZipFile(base), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in archive.infolist():
            part = archive.read(item)
            if item.filename == "word/document.xml":
                part = part.replace(b"<w:body>", b"<w:body>" + body, 1)
            elif item.filename == "word/styles.xml":
                part = part.replace(b"</w:styles>", defined.encode() + b"</w:styles>")
            copy.writestr(item, part)
    return out.getvalue()


def naive_seconds_per_paragraph(data: bytes, count: int) -> float:
    """python-docx's style lookup, paragraph by paragraph, over the first ``count``."""
    import docx

    document = docx.Document(io.BytesIO(data))
    paragraphs = document.paragraphs[:count]
    started = time.perf_counter()
    for paragraph in paragraphs:
        _ = paragraph.style.name if paragraph.style is not None else ""
        _ = paragraph.text
    return (time.perf_counter() - started) / len(paragraphs)


def report_pdf(pages: int) -> bytes:
    """A report of about ``pages`` A4 pages of body-text paragraphs (reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    sentence = (
        "Il consiglio comunale ha approvato il bilancio preventivo per il prossimo anno, "
        "con una spesa per le scuole che cresce del quattro per cento."
    )
    out = io.BytesIO()
    story = [
        Paragraph(" ".join([sentence] * (3 + k % 4)), getSampleStyleSheet()["BodyText"])
        for k in range(pages * 7)
    ]
    SimpleDocTemplate(out, pagesize=A4).build(story)
    return out.getvalue()


def pdf_rewrite(pages: int) -> dict[str, float]:
    """Read a report of ``pages`` pages, then time writing its English back."""
    import pypdfium2 as pdfium

    from pipeline.formats import read_format
    from pipeline.formats.pdf_out import rewrite

    data = report_pdf(pages)
    started = time.perf_counter()
    layout = read_format("pdf", data)
    read = time.perf_counter() - started
    english = [layout.text[b.start : b.end].upper() + " AND SO ON" for b in layout.blocks]
    started = time.perf_counter()
    rewrite(data, english)
    written = time.perf_counter() - started
    return {
        "pdf_pages": len(pdfium.PdfDocument(data)),
        "pdf_paragraphs": len(layout.blocks),
        "pdf_read_seconds": round(read, 2),
        "pdf_rewrite_seconds": round(written, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=15_935)
    parser.add_argument("--styles", type=int, default=2_672)
    parser.add_argument("--naive-paragraphs", type=int, default=300)
    parser.add_argument("--pdf-pages", type=int, default=40)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from pipeline.formats import read_format

    data = word_file(args.paragraphs, args.styles)
    started = time.perf_counter()
    layout = read_format("docx", data)
    seconds = time.perf_counter() - started
    per_paragraph = naive_seconds_per_paragraph(data, args.naive_paragraphs)
    naive = per_paragraph * args.paragraphs
    report = {
        "paragraphs": args.paragraphs,
        "styles": args.styles,
        "kb": len(data) // 1024,
        "blocks": len(layout.blocks),
        "it2en_seconds": round(seconds, 2),
        "naive_seconds_projected": round(naive, 1),
        "naive_ms_per_paragraph": round(1000 * per_paragraph, 2),
        "speedup": round(naive / seconds, 1),
        **pdf_rewrite(args.pdf_pages),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
