"""The HTML report: structure, escaping, the batch index, and a real browser."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from browser import headless_chromium
from typer.testing import CliRunner

from pipeline import BatchOptions, Pipeline, PipelineConfig, Point, Result, Segment, Summary, run_batch
from pipeline.cli import app
from pipeline.report import render_html, render_index

HOSTILE = 'Attenzione: <script>alert("x")</script> e "><img src=x onerror=alert(1)> nel testo.'


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def having(self, css_class: str) -> list[dict[str, str | None]]:
        return [attrs for _, attrs in self.tags if css_class in (attrs.get("class") or "").split()]


def synthetic(segments: int, points: int = 3) -> Result:
    """A translated document of ``segments`` sentences, built without a model."""
    texts = [f"Frase {i}." if i % 50 else f"{HOSTILE} {i}" for i in range(segments)]
    source, segs, start = "", [], 0
    for i, text in enumerate(texts):
        segs.append(Segment(i, i // 4, start, start + len(text), text))
        source += text + (" " if (i + 1) % 4 else "\n\n")
        start = len(source)
    translations = tuple(t.replace("Frase", "Sentence") for t in texts)
    summary = Summary(
        en="x",
        it="y",
        kind="hierarchical",
        points=tuple(Point(f"Point {j}.", f"Punto {j}.", (j, segments - 1 - j)) for j in range(points)),
    )
    return Result("doc", source, tuple(segs), translations, source, {"translator": "m"}, summary)


def test_every_segment_and_point_is_on_the_page_and_points_link_to_segments():
    result = synthetic(12)
    page = Page(render_html(result))
    pairs = page.having("pair")
    assert [p["id"] for p in pairs] == [f"s{i + 1}" for i in range(12)]
    points = page.having("point")
    assert len(points) == 3
    ids = {p["id"] for p in pairs}
    for point, expected in zip(points, result.summary.points, strict=True):
        sources = (point["data-sources"] or "").split()
        assert sources == [f"s{j + 1}" for j in expected.source_segments]
        assert set(sources) <= ids
    assert [tag for tag, _ in page.tags].count("script") == 1  # ours only
    assert "img" not in [tag for tag, _ in page.tags]
    assert any(HOSTILE in text for text in page.text)  # shown as text, never markup
    assert not any(attrs.get("src") or attrs.get("href", "").startswith("http") for _, attrs in page.tags)


def test_flags_are_marked_and_listed_to_check():
    pipe = Pipeline(PipelineConfig(device="cpu"), engines={"translator": Copy()})
    result = pipe.process("Il lunedì è chiuso. Il PIL è cresciuto del 4,7% nel 2025.", summarize=False)
    page = Page(render_html(result))
    assert [p["id"] for p in page.having("flagged")] == ["s1", "s2"]  # copied: still Italian
    assert "To check" in page.text


class Copy:
    name, max_input_tokens = "copy", 64

    def count_tokens(self, texts):
        return [len(t.split()) + 1 for t in texts]

    def generate(self, texts):
        return list(texts)


def test_the_command_line_writes_one_page_per_document(model_flags, tmp_path):
    doc = tmp_path / "d.txt"
    doc.write_text("Il lunedì è chiuso. Il museo resterà aperto tutti i giorni.", encoding="utf-8")
    page = tmp_path / "d.html"
    written = CliRunner().invoke(app, ["summarize", str(doc), *model_flags, "-o", str(page)])
    assert written.exit_code == 0, written.output
    parsed = Page(page.read_text(encoding="utf-8"))
    assert [p["id"] for p in parsed.having("pair")] == ["s1", "s2"]
    assert parsed.having("point")
    other = tmp_path / "e.txt"
    other.write_text("Piove.", encoding="utf-8")
    runner = CliRunner()
    args = ["--device", "cpu", "--translator", "x", "--offline"]
    several = runner.invoke(app, ["translate", str(doc), str(other), "-f", "html", *args])
    assert several.exit_code == 2
    assert "one page per document" in several.stderr


def test_batch_writes_pages_and_an_index_of_every_run(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.txt").write_text("# Musei aperti\n\nIl museo resterà aperto.", encoding="utf-8")
    out = tmp_path / "out"
    options = BatchOptions(out_dir=out, formats=("json", "html"), summarize=False)

    def run() -> None:
        run_batch(
            Pipeline(PipelineConfig(device="cpu"), engines={"translator": Copy()}), [str(inbox)], options
        )

    run()
    (inbox / "b.txt").write_text(HOSTILE, encoding="utf-8")
    run()  # a later run: a is skipped, b is new; the index lists both
    assert (out / "a.html").is_file()
    assert (out / "b.html").is_file()
    index = Page((out / "index.html").read_text(encoding="utf-8"))
    links = [attrs["href"] for tag, attrs in index.tags if tag == "a"]
    assert links == ["a.html", "b.html"]
    assert "Musei aperti" in index.text
    assert "img" not in [tag for tag, _ in index.tags]
    record = json.loads((out / "b.json").read_text())
    assert record["id"] == "b"


def test_the_index_escapes_and_sorts_by_flags():
    entries = [
        {"title": "<b>uno</b>", "id": "1", "page": "1.html", "summary_kind": None, "flags": 0},
        {"title": "due", "id": "2", "page": "2.html", "summary_kind": "abstractive", "flags": 3},
    ]
    page = Page(render_index(entries))
    assert "b" not in [tag for tag, _ in page.tags]
    assert "<b>uno</b>" in page.text
    assert [attrs.get("data-flags") for tag, attrs in page.tags if tag == "tr"][1:] == ["0", "3"]


@pytest.mark.slow
def test_in_a_real_browser_a_point_lights_up_its_sources(tmp_path):
    from selenium.webdriver.common.by import By

    browser = headless_chromium()
    try:
        small = tmp_path / "small.html"
        small.write_text(render_html(synthetic(12)), encoding="utf-8")
        browser.get(small.as_uri())
        browser.find_element(By.ID, "p1").click()
        lit = [el.get_attribute("id") for el in browser.find_elements(By.CSS_SELECTOR, ".pair.hl")]
        assert lit == ["s1", "s12"]
        browser.find_element(By.ID, "p2").click()  # another point: the first one's light goes
        lit = [el.get_attribute("id") for el in browser.find_elements(By.CSS_SELECTOR, ".pair.hl")]
        assert lit == ["s2", "s11"]
        shot = tmp_path / "page.png"
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 20_000  # a blank page compresses to a few hundred bytes

        sizes = {}
        for n in (1000, 2000):
            big = tmp_path / f"big-{n}.html"
            big.write_text(render_html(synthetic(n, points=50)), encoding="utf-8")
            sizes[n] = big.stat().st_size
            browser.get(big.as_uri())
            load_ms = browser.execute_script(
                "var t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime;"
            )
            print(f"{n} segments: {sizes[n] / 1e6:.2f} MB, loaded in {load_ms:.0f} ms")
        browser.find_element(By.ID, "p50").click()
        lit = [el.get_attribute("id") for el in browser.find_elements(By.CSS_SELECTOR, ".pair.hl")]
        assert lit == ["s50", "s1951"]
        assert sizes[2000] < 2.1 * sizes[1000]  # the page grows linearly with the document
    finally:
        browser.quit()


def test_pages_are_self_contained():
    html = render_html(synthetic(4))
    assert "http://" not in html
    assert "https://" not in html
    assert "@import" not in html
    assert "<style>" in html
    assert "@media print" in html
    assert "prefers-color-scheme: dark" in html
