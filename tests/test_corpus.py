"""The real-world corpus (tests/corpus, sources in its README): web pages, PDFs and Word
files that other projects keep for their own tests, through every reader and writer and
through the command line. The synthetic tests state the rules; these prove them on files
nobody shaped to suit the code."""

from __future__ import annotations

import gzip
import io
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter
from functools import partial
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pytest
from lxml import etree

from pipeline.errors import InputError
from pipeline.formats import Layout, format_of, read_format, write_translated
from pipeline.formats.html import _ATTRIBUTES, _VERBATIM, _decode, _parse, _xml_declaration

CORPUS = Path(__file__).parent / "corpus"


def corpus(kind: str) -> list[Path]:
    return sorted((CORPUS / kind).iterdir())


def load(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def texts(layout: Layout) -> list[str]:
    return [layout.text[b.start : b.end] for b in layout.blocks]


def changed(text: str) -> str:
    """A stand-in translation that shares little with its source, as real ones do: other
    words, another order, another length."""
    words = [w[::-1].upper() if len(w) > 3 else w for w in text.split()]
    return " ".join(words[1:] + words[:1] + ["ok"])


def elements(page: bytes) -> list[tuple[str, dict[str, str]]]:
    """Every node of a page in order: elements with their attributes (the translated ones
    by name only), comments and processing instructions by kind; values as a browser
    takes them (:func:`_value`)."""
    text, _ = _decode(page)
    root = _parse(_xml_declaration(text)[1])
    nodes = []
    for node in root.getroottree().getroot().itersiblings(preceding=True):
        nodes.append((type(node).__name__, {}))
    for node in root.iter():
        if isinstance(node.tag, str):
            attrs = {k: ("*" if k in _ATTRIBUTES else _value(k, v)) for k, v in node.attrib.items()}
            nodes.append((node.tag, attrs))
        else:
            nodes.append((type(node).__name__, {}))
    return nodes


def _value(name: str, value: str) -> str:
    """An attribute's value exactly, but that a boolean attribute (``selected``, which
    libxml2 writes bare) is its name: a value it2en did not translate must come out as it
    was, a URL not re-escaped (``{{ url }}`` is not ``{{%20url%20}}``)."""
    return name if value in ("", name) else value


def verbatim(page: bytes) -> list[str]:
    """The text of the page's code-like elements, which is read but never changed."""
    text, _ = _decode(page)
    root = _parse(_xml_declaration(text)[1])
    return ["".join(el.itertext()) for el in root.iter(*_VERBATIM)]


@pytest.mark.parametrize("path", corpus("html"), ids=lambda p: p.name)
def test_a_real_page_keeps_every_element_in_order_and_every_translation(path):
    data = load(path)
    layout = read_format("html", data)
    same = write_translated(layout, texts(layout))
    assert elements(same) == elements(data)
    translations = [changed(t) for t in texts(layout)]
    out = write_translated(layout, translations)
    assert elements(out) == elements(data)
    # Every word of every translation is on the page; code (never changed) may add its own.
    back = Counter(re.findall(r"\w+", " ".join(texts(read_format("html", out)))))
    wanted = Counter(re.findall(r"\w+", " ".join(translations)))
    assert not wanted - back
    assert (back - wanted).total() <= len(re.findall(r"\w+", " ".join(verbatim(data))))


def docx_shape(data: bytes) -> tuple[Counter[str], list[str]]:
    """What a Word file is made of: how many of each element (paragraphs, tables, rows,
    cells, hyperlinks, pictures, breaks, notes...) and its parts."""
    document = docx.Document(io.BytesIO(data))
    counts = Counter(
        etree.QName(el).localname for el in document.element.body.iter() if isinstance(el.tag, str)
    )
    counts.pop("t", None)  # text elements: a run's text may need more or fewer of them
    parts = sorted(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if not n.endswith("/"))
    return counts, parts


def cue_shape(data: bytes) -> list[str]:
    """What of a subtitle file is never translated: every line but the cues' text lines,
    and the tags of those, in order."""
    from pipeline.formats.subtitles import _TAG, _TIMING

    lines = data.decode("utf-8-sig", errors="replace").splitlines()
    kept, in_cue = [], False
    for line in lines:
        if _TIMING.match(line):
            in_cue = True
            kept.append(line)
        elif not line.strip():
            in_cue = False
            kept.append(line)
        elif in_cue:
            kept.append("".join(_TAG.findall(line)))
        else:
            kept.append(line)
    return kept


@pytest.mark.parametrize("path", corpus("subtitles"), ids=lambda p: p.name)
def test_real_subtitles_keep_every_timing_tag_and_note_and_every_translation(path):
    data = load(path)
    layout = read_format(path.suffix[1:], data)  # type: ignore[arg-type]
    assert write_translated(layout, texts(layout)) == data  # a copy is the file, byte for byte
    translations = [changed(t) for t in texts(layout)]
    out = write_translated(layout, translations)
    assert cue_shape(out) == cue_shape(data)
    again = read_format(path.suffix[1:], out)  # type: ignore[arg-type]
    back = Counter(re.findall(r"\w+", " ".join(texts(again))))
    assert back == Counter(re.findall(r"\w+", " ".join(translations)))  # every word, once


def xliff_shape(data: bytes) -> bytes:
    """An XLIFF file without its targets and their states, whitespace between elements
    aside (a target written gets a line of its own): what translating must keep."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    for target in list(root.iter("{*}target")):
        target.getparent().remove(target)
    for element in root.iter():
        if element.tail is not None and not element.tail.strip():
            element.tail = None
        if len(element) and element.text is not None and not element.text.strip():
            element.text = None
    for segment in root.iter("{*}segment", "{*}trans-unit"):
        if segment.tag.endswith("segment"):
            segment.attrib.pop("state", None)
    return etree.tostring(root)


@pytest.mark.parametrize("path", corpus("xliff"), ids=lambda p: p.name)
def test_real_xliff_files_get_a_target_for_every_segment_and_keep_the_rest(path):
    data = load(path)
    try:
        layout = read_format("xliff", data)
    except InputError as exc:
        assert "\n" not in str(exc)  # broken files fail in one line
        return
    translations = [changed(t) for t in texts(layout)]
    out = write_translated(layout, translations)
    assert xliff_shape(out) == xliff_shape(data)
    from pipeline.formats.xliff import pairs

    assert [target for _, _, target in pairs(out)] == translations


XML_PARTS = (".xml", ".rels", ".opf", ".ncx", ".xhtml", ".html", ".htm")
"""The members of a package compared element by element (their text aside)."""
TRANSLATED_ATTRIBUTES = {".epub": frozenset(_ATTRIBUTES), ".pptx": frozenset({"descr", "title"})}
"""Attributes that are text in a package, by its suffix: an e-book's XHTML documents'
(translated like a page's), a slide's alt text."""


def package_shape(data: bytes, translated: frozenset[str] = frozenset()) -> list[tuple[str, object]]:
    """What a package (an office file, an e-book) is made of but its text: each member's
    name and compression, and for an XML part every element with its attributes (the
    value of those ``translated`` aside, and xml:space, which a run given edge spaces
    needs), for any other its bytes."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    shape: list[tuple[str, object]] = []
    space = "{http://www.w3.org/XML/1998/namespace}space"
    for member in archive.infolist():
        content = archive.read(member)
        if member.filename.endswith(XML_PARTS) and content.strip():
            root = etree.fromstring(content, etree.XMLParser(resolve_entities=False, huge_tree=True))
            elements = [
                (
                    el.tag,
                    sorted((k, "" if k in translated else v) for k, v in el.attrib.items() if k != space),
                )
                for el in root.iter()
                if isinstance(el.tag, str)
            ]
            shape.append((member.filename, (member.compress_type, elements)))
        else:
            shape.append((member.filename, (member.compress_type, content)))
    return shape


@pytest.mark.parametrize("path", [*corpus("odf"), *corpus("office")], ids=lambda p: p.name)
def test_real_office_files_keep_every_element_and_get_every_translation(path):
    data = load(path)
    fmt = format_of(path.name)
    try:
        layout = read_format(fmt, data)  # type: ignore[arg-type]
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    translations = [changed(t) for t in texts(layout)]
    out = write_translated(layout, translations)
    shape = partial(package_shape, translated=TRANSLATED_ATTRIBUTES.get(path.suffix, frozenset()))
    assert shape(out) == shape(data)
    again = read_format(fmt, out)  # type: ignore[arg-type]
    assert [" ".join(t.split()) for t in texts(again)] == [" ".join(t.split()) for t in translations]


@pytest.mark.parametrize("path", corpus("epub"), ids=lambda p: p.name)
def test_real_books_keep_every_element_and_get_every_translation(path):
    data = load(path)
    layout = read_format("epub", data)
    translations = [changed(t) for t in texts(layout)]
    out = write_translated(layout, translations)
    assert package_shape(out, TRANSLATED_ATTRIBUTES[".epub"]) == package_shape(
        data, TRANSLATED_ATTRIBUTES[".epub"]
    )
    assert texts(read_format("epub", out)) == [" ".join(t.split()) for t in translations]


@pytest.mark.parametrize("path", corpus("docx"), ids=lambda p: p.name)
def test_a_real_word_file_keeps_its_paragraphs_tables_and_parts(path):
    data = load(path)
    try:
        layout = read_format("docx", data)
    except InputError as exc:  # a file python-docx cannot open (ISO Strict): one line
        assert "\n" not in str(exc)
        assert path.name in {"mammoth-strict-format.docx"}
        return
    translations = [changed(t) for t in texts(layout)]
    out = write_translated(layout, translations)
    assert docx_shape(out) == docx_shape(data)
    assert texts(read_format("docx", out)) == [t.strip() for t in translations]


def test_the_corpus_holds_what_broke_before():
    """The kinds of file the real world sent: Italian news, an AMP page, noscript, XHTML
    with an XML declaration, an http-equiv charset; comments, text boxes, endnotes and
    hyperlinks in Word files; scans and encrypted PDFs."""
    pages = {p.name: load(p) for p in corpus("html")}
    assert sum(b'lang="it' in page[:2000] for page in pages.values()) >= 3
    assert any(b"<amp-analytics" in page for page in pages.values())
    assert any(b"<noscript><div" in page for page in pages.values())
    assert any(page.lstrip().startswith(b"<?xml") for page in pages.values())
    assert any(re.search(rb'http-equiv="content-type"', page, re.I) for page in pages.values())
    wheres = {b.where.split()[0] for p in corpus("docx") if p.name != "mammoth-strict-format.docx"
              for b in read_format("docx", load(p)).blocks}  # fmt: skip
    assert {"comment", "endnote", "footnote", "text"} <= wheres


def test_real_pdfs_lose_no_text_but_headers_and_page_numbers():
    """Of the words PDFium reads from each PDF, the segments keep at least 90 %, and 97 %
    over the corpus (what is left out: running headers, footers, page numbers)."""
    total = kept = 0
    for path in corpus("pdf"):
        data = load(path)
        try:
            layout = read_format("pdf", data)
        except InputError as exc:
            assert "\n" not in str(exc), (path.name, str(exc))
            assert any(
                word in str(exc) for word in ("encrypted", "OCR", "damaged", "not a PDF", "truncated")
            ), (path.name, str(exc))
            continue
        document = pdfium.PdfDocument(data)
        raw = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
        source = Counter(re.findall(r"\w+", raw.replace("\ufffe\r\n", "").replace("\ufffe", "")))
        found = Counter(re.findall(r"\w+", layout.text))
        share = sum(min(count, found[word]) for word, count in source.items())
        assert share >= 0.9 * sum(source.values()) - 2, path.name
        total, kept = total + sum(source.values()), kept + share
    assert kept >= 0.97 * total


def _inbox(tmp_path: Path) -> Path:
    """Every corpus file under its own name, and an ordinary text file."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    kinds = ("html", "pdf", "docx", "subtitles", "xliff", "odf", "office", "epub")
    for path in [path for kind in kinds for path in corpus(kind)]:
        (inbox / path.name.removesuffix(".gz")).write_bytes(load(path))
    (inbox / "zz-notizia.txt").write_text("Il museo resterà aperto tutti i giorni.\n", encoding="utf-8")
    return inbox


@pytest.mark.slow
def test_every_corpus_file_through_translate_and_one_batch_twice(translate_flags, tmp_path):
    inbox = _inbox(tmp_path)
    unreadable = set()
    for path in inbox.iterdir():
        kind = format_of(path.name)
        if kind is not None:
            try:
                read_format(kind, path.read_bytes())
            except InputError:
                unreadable.add(path.name)
    result = it2en("translate", *sorted(map(str, inbox.iterdir())), "--format", "jsonl", *translate_flags)
    assert result.returncode == (1 if unreadable else 0), result.stderr
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]  # a file's stem: two may share one
    assert len(ids) == len(list(inbox.iterdir())) - len(unreadable)
    assert all(line.startswith("it2en: ") for line in result.stderr.splitlines()), (
        "one line each, no traceback"
    )

    out = tmp_path / "out"
    command = [
        "batch",
        str(inbox),
        "--out",
        str(out),
        "--formats",
        "json,html",
        "--translate-only",
        *translate_flags,
    ]
    first = it2en(*command)
    assert first.returncode == (1 if unreadable else 0), first.stderr
    assert (out / "zz-notizia.json").is_file()
    failed = {
        Path(json.loads(line)["input"]).name for line in (out / "errors.jsonl").read_text().splitlines()
    }
    assert failed == unreadable
    for page in inbox.glob("*.html"):
        written = out / f"{page.stem}.en.html"
        assert elements(written.read_bytes()) == elements(page.read_bytes()), page.name
    for word_file in set(inbox.glob("*.docx")) - {inbox / name for name in unreadable}:
        translated = (out / f"{word_file.stem}.en.docx").read_bytes()
        assert docx_shape(translated) == docx_shape(word_file.read_bytes()), word_file.name
    for package in (
        p for p in inbox.iterdir() if p.suffix in (".odt", ".ods", ".odp", ".pptx", ".xlsx", ".epub")
    ):
        if package.name not in unreadable:
            translated = (out / f"{package.stem}.en{package.suffix}").read_bytes()
            shape = partial(package_shape, translated=TRANSLATED_ATTRIBUTES.get(package.suffix, frozenset()))
            assert shape(translated) == shape(package.read_bytes()), package.name
    for subtitles in set(inbox.glob("*.srt")) | set(inbox.glob("*.vtt")):
        translated = (out / f"{subtitles.stem}.en{subtitles.suffix}").read_bytes()
        assert cue_shape(translated) == cue_shape(subtitles.read_bytes()), subtitles.name
    second = it2en(*command, "--verbose")
    assert second.returncode == (1 if unreadable else 0), second.stderr
    assert f"0 processed, {len(list(inbox.iterdir())) - len(unreadable)} skipped" in second.stderr


def it2en(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line as a user runs it, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, timeout=600, check=False
    )
