"""E-books (pipeline.formats.epub): what is read, in which order, what is written back and
what is refused, on books built here in the layouts real ones have (EPUB 2 with an NCX
and XHTML 1.1 entities, EPUB 3 with a navigation document) and on the corpus."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from pipeline.errors import InputError
from pipeline.formats import read_format, write_translated

CORPUS = Path(__file__).parent / "corpus" / "epub"

CONTAINER = (
    '<?xml version="1.0"?>\n<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
    '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)
PACKAGE = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:uuid:1</dc:identifier>
<dc:title>Cronache del borgo</dc:title><dc:creator>Maria Bianchi</dc:creator><dc:language>it</dc:language>
</metadata>
<manifest><item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
<item id="c2" href="Text/capitolo%202.xhtml" media-type="application/xhtml+xml"/>
<item id="c1" href="Text/capitolo1.xhtml" media-type="application/xhtml+xml"/>
<item id="img" href="Images/foto.jpg" media-type="image/jpeg"/></manifest>
<spine toc="ncx"><itemref idref="c1"/><itemref idref="c2"/></spine></package>
"""
CHAPTER_1 = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Capitolo primo</title></head>
<body><h1>Il mercato</h1>
<p>La citt&agrave; &egrave; piena di gente&nbsp;e di <i>voci</i>.<br/>Tutti comprano il pane.</p>
<p><img src="../Images/foto.jpg" alt="Il mercato coperto"/></p></body></html>
"""
CHAPTER_2 = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Capitolo secondo</title></head>
<body><h1>La sera</h1><p>Il sole tramonta sul fiume &#8212; lentamente.</p><pre>  codice  </pre></body></html>
"""
NCX = """<?xml version="1.0" encoding="UTF-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">
<head><meta name="dtb:uid" content="urn:uuid:1"/></head>
<docTitle><text>Cronache del borgo</text></docTitle><docAuthor><text>Maria Bianchi</text></docAuthor>
<navMap><navPoint id="n1" playOrder="1"><navLabel><text>Il mercato</text></navLabel>
<content src="Text/capitolo1.xhtml"/></navPoint><navPoint id="n2" playOrder="2">
<navLabel><text>La sera</text></navLabel><content src="Text/capitolo%202.xhtml"/></navPoint></navMap></ncx>
"""


def book(**replaced: str | None) -> bytes:
    """An EPUB 2 as Sigil or calibre write one: the ``mimetype`` first and stored, the rest
    deflated; ``replaced`` swaps (or, given None, leaves out) a member by its name."""
    members = {
        "META-INF/container.xml": CONTAINER,
        "OEBPS/content.opf": PACKAGE,
        "OEBPS/toc.ncx": NCX,
        "OEBPS/Text/capitolo1.xhtml": CHAPTER_1,
        "OEBPS/Text/capitolo 2.xhtml": CHAPTER_2,
        "OEBPS/Images/foto.jpg": "\xff\xd8 not really a picture",
    }
    for name, content in replaced.items():
        members[name.replace("__", "/").replace("_", ".")] = content  # type: ignore[assignment]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", zipfile.ZIP_STORED)
        for name, content in members.items():
            if content is not None:
                archive.writestr(name, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def texts(data: bytes) -> list[tuple[str, str, str]]:
    layout = read_format("epub", data)
    return [(layout.text[b.start : b.end], b.where.split()[0], b.kind) for b in layout.blocks]


def translated(data: bytes, change=str.upper) -> bytes:
    layout = read_format("epub", data)
    return write_translated(layout, [change(layout.text[b.start : b.end]) for b in layout.blocks])


def member(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def test_a_book_is_read_title_first_then_its_chapters_in_spine_order_then_its_table_of_contents():
    assert texts(book()) == [
        ("Cronache del borgo", "OEBPS/content.opf", "heading"),  # the author is not text to translate
        ("Capitolo primo", "OEBPS/Text/capitolo1.xhtml", "heading"),
        ("Il mercato", "OEBPS/Text/capitolo1.xhtml", "heading"),
        ("La città è piena di gente e di voci.", "OEBPS/Text/capitolo1.xhtml", "text"),  # entities read
        ("Tutti comprano il pane.", "OEBPS/Text/capitolo1.xhtml", "text"),
        ("Il mercato coperto", "OEBPS/Text/capitolo1.xhtml", "text"),  # an alt text
        ("Capitolo secondo", "OEBPS/Text/capitolo", "heading"),  # the spine's order, not the manifest's
        ("La sera", "OEBPS/Text/capitolo", "heading"),
        ("Il sole tramonta sul fiume — lentamente.", "OEBPS/Text/capitolo", "text"),  # <pre> left
        ("Cronache del borgo", "OEBPS/toc.ncx", "heading"),
        ("Il mercato", "OEBPS/toc.ncx", "list_item"),
        ("La sera", "OEBPS/toc.ncx", "list_item"),
    ]


def test_a_translated_book_changes_only_its_text_and_stays_a_valid_package():
    source = book()
    out = translated(source)
    archive = zipfile.ZipFile(io.BytesIO(out))
    first = archive.infolist()[0]
    assert (first.filename, first.compress_type, archive.read(first)) == (
        "mimetype",
        zipfile.ZIP_STORED,
        b"application/epub+zip",
    )
    assert [m.filename for m in archive.infolist()] == [
        m.filename for m in zipfile.ZipFile(io.BytesIO(source)).infolist()
    ]
    for untouched in ("META-INF/container.xml", "OEBPS/Images/foto.jpg"):
        assert member(out, untouched) == member(source, untouched)
    chapter = member(out, "OEBPS/Text/capitolo1.xhtml").decode()
    assert chapter.startswith(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN"'
    )
    assert "<p>LA CITTÀ È PIENA DI GENTE E DI <i>VOCI</i>.<br/>TUTTI COMPRANO IL PANE.</p>" in chapter
    assert 'alt="IL MERCATO COPERTO"' in chapter
    strict = member(out, "OEBPS/Text/capitolo 2.xhtml").decode()
    assert "<meta" not in strict  # libxml2 adds one to XHTML 1.0 documents unless kept from it
    assert '"-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">' in strict
    assert "<pre>  codice  </pre>" in strict
    package = member(out, "OEBPS/content.opf").decode()
    assert "<dc:title>CRONACHE DEL BORGO</dc:title>" in package
    assert "<dc:creator>Maria Bianchi</dc:creator>" in package
    assert '<dc:identifier id="id">urn:uuid:1</dc:identifier>' in package  # obfuscated fonts' key
    ncx = member(out, "OEBPS/toc.ncx").decode()
    assert "<navLabel><text>LA SERA</text></navLabel>" in ncx
    assert "<docAuthor><text>Maria Bianchi</text></docAuthor>" in ncx
    assert [t for t, _, _ in texts(out)] == [t.upper() for t, _, _ in texts(source)]


def test_parts_without_a_changed_block_are_copied_byte_for_byte():
    source = book()
    out = translated(source, lambda text: text.upper() if text == "La sera" else text)
    assert member(out, "OEBPS/Text/capitolo1.xhtml") == member(source, "OEBPS/Text/capitolo1.xhtml")
    assert member(out, "OEBPS/content.opf") == member(source, "OEBPS/content.opf")
    assert b"<h1>LA SERA</h1>" in member(out, "OEBPS/Text/capitolo 2.xhtml")


def test_an_ncx_the_spine_forgot_is_found_by_its_media_type():
    package = PACKAGE.replace('<spine toc="ncx">', "<spine>")
    assert [w for _, w, _ in texts(book(OEBPS__content_opf=package))][-3:] == ["OEBPS/toc.ncx"] * 3


def test_an_epub3_navigation_document_outside_the_spine_is_read_after_the_chapters():
    nav = (
        '<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml" '
        'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>Indice</title></head><body>'
        '<nav epub:type="toc"><ol><li><a href="Text/capitolo1.xhtml">Il mercato</a></li></ol></nav>'
        "</body></html>"
    )
    package = PACKAGE.replace(
        "<manifest>",
        '<manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
    )
    read = texts(book(OEBPS__content_opf=package, OEBPS__nav_xhtml=nav))
    assert [(t, w) for t, w, _ in read if w == "OEBPS/nav.xhtml"] == [
        ("Indice", "OEBPS/nav.xhtml"),
        ("Il mercato", "OEBPS/nav.xhtml"),
    ]
    assert [w for _, w, _ in read].index("OEBPS/nav.xhtml") > [w for _, w, _ in read].index(
        "OEBPS/Text/capitolo"
    )
    out = translated(book(OEBPS__content_opf=package, OEBPS__nav_xhtml=nav))
    assert b'<nav epub:type="toc"><ol><li><a href="Text/capitolo1.xhtml">IL MERCATO</a>' in member(
        out, "OEBPS/nav.xhtml"
    )


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"META-INF__container_xml": None}, "not a .epub file (no META-INF/container.xml in the archive)"),
        ({"OEBPS__content_opf": None}, "names no package document in the archive"),
        (
            {"OEBPS__Text__capitolo1_xhtml": "<html><body><p>aperto"},
            "part OEBPS/Text/capitolo1.xhtml is not well-formed XML",
        ),
        (
            {
                "META-INF__encryption_xml": '<encryption xmlns="urn:oasis:names:tc:opendocument:'
                'xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
                '<enc:CipherData><enc:CipherReference URI="OEBPS/Text/capitolo1.xhtml"/></enc:CipherData>'
                "</enc:EncryptedData></encryption>"
            },
            "its text is encrypted (DRM: OEBPS/Text/capitolo1.xhtml): only a book without DRM can be",
        ),
    ],
    ids=["no container", "no package document", "a chapter cut short", "DRM"],
)
def test_a_book_that_cannot_be_read_is_refused_in_one_line(members, expected):
    with pytest.raises(InputError) as refused:
        read_format("epub", book(**members))
    assert expected in str(refused.value)
    assert "\n" not in str(refused.value)


def test_not_a_zip_is_refused_in_one_line():
    with pytest.raises(InputError, match=r"^not a \.epub file \(not a zip archive\)$"):
        read_format("epub", b"%PDF-1.4 not a book")


def test_obfuscated_fonts_are_kept_as_they_were_and_the_book_is_read():
    data = (CORPUS / "w3c-epub-tests-ocf-font_obfuscation.epub").read_bytes()
    out = translated(data)
    assert member(out, "META-INF/encryption.xml") == member(data, "META-INF/encryption.xml")
    assert member(out, "EPUB/fonts/Lobster.ttf") == member(data, "EPUB/fonts/Lobster.ttf")
    assert b"TEST PASSES IF THE FOLLOWING TEXT" in member(out, "EPUB/content_001.xhtml")


def test_an_external_entity_is_never_resolved_and_stays_as_written():
    data = (CORPUS / "w3c-epub-tests-pub-xml-external-id.epub").read_bytes()
    # foo.xhtml's text is read once, as its own part, never pulled into the chapter
    assert [(t, w) for t, w, _ in texts(data) if "fails" in t] == [("The test fails.", "EPUB/foo.xhtml")]
    out = translated(data)
    chapter = member(out, "EPUB/content_001.xhtml")
    assert b"&xxe;" in chapter
    assert b'<!ENTITY xxe SYSTEM "foo.xhtml">' in chapter
