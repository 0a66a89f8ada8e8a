"""Jobs and the web page of it2en serve: a document as a job (queued, running, done or
failed), its files, who may see it, a restart mid-job, expiry, sentence requests served
while a long document runs; then the page itself in headless Chromium."""

from __future__ import annotations

import io
import json
import signal
import socket
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from server import STOPPED, Server, tiny_flags
from tiny import SENTENCES, tiny_config

from pipeline import Pipeline
from pipeline.io import InputFile, input_kind, read_bytes

pytestmark = pytest.mark.slow  # a server process of its own, models loaded

SCREENSHOTS = Path(__file__).resolve().parent / ".screenshots" / "page"
"""Where the browser test leaves its screenshots of the page, for a person to look at."""


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    for key, (name, data) in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; filename="{name}"\r\n'
        parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def submit(server: Server, name: str, data: bytes, task: str, key: str | None = None) -> tuple[int, dict]:
    body, kind = multipart({"task": task}, {"file": (name, data)})
    headers = {"content-type": kind, **({"authorization": f"Bearer {key}"} if key else {})}
    status, answer = server.request("/v1/jobs", body, headers)
    return status, json.loads(answer)


def state(server: Server, job: str, key: str | None = None) -> tuple[int, dict]:
    status, answer = server.request(
        f"/v1/jobs/{job}", headers={"authorization": f"Bearer {key}"} if key else {}
    )
    return status, json.loads(answer)


def wait(
    server: Server, job: str, until: tuple[str, ...] = ("done", "failed"), key: str | None = None
) -> dict:
    deadline = time.monotonic() + 300
    while True:
        status, answer = state(server, job, key)
        assert status == 200, answer
        if answer["state"] in until:
            return answer
        assert time.monotonic() < deadline, answer
        time.sleep(0.05)


def word_file(paragraphs: list[str]) -> bytes:
    """A Word file: a title in the Title style, then paragraphs in Normal and List Bullet."""
    import docx

    document = docx.Document()
    document.add_paragraph("Notizie dal Comune", style="Title")
    for n, text in enumerate(paragraphs):
        document.add_paragraph(text, style="List Bullet" if n % 3 == 2 else None)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def long_text(paragraphs: int) -> str:
    """Distinct Italian paragraphs (none repeats, so the output cache cannot shorten it)."""
    count = len(SENTENCES)
    return "\n\n".join(
        f"{SENTENCES[n % count]} Paragrafo {n}, riga {n * 7 % 13}. {SENTENCES[(n + 3) % count]}"
        for n in range(paragraphs)
    )


def expected_record(tiny_models: Path, name: str, data: bytes, summarize: bool) -> dict:
    """The JSON record ``it2en`` gives for the file ``name`` holding ``data``, its models
    named as the service names them (without the server's paths)."""
    from pipeline.serve.service import public

    [doc] = read_bytes(data, InputFile(name, input_kind(name), Path(name).stem))
    [result] = Pipeline(tiny_config(tiny_models, num_beams=1)).process_many([doc], summarize=summarize)
    record = json.loads(json.dumps(public(result).to_dict()))
    assert record["models"]["translator"] == "translator"
    return record


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobs")


@pytest.fixture(scope="module")
def server(tiny_models: Path, jobs: Path) -> Iterator[Server]:
    running = Server(tiny_flags(tiny_models, jobs))
    yield running
    assert running.stop() == STOPPED


def test_a_word_file_as_a_job_gives_its_report_record_and_translated_copy(server, tiny_models, tmp_path):
    import docx

    paragraphs = [" ".join(SENTENCES[n : n + 3]) for n in range(5)]
    data = word_file(paragraphs)
    status, made = submit(server, "notizie.docx", data, "summarize")
    assert status == 202
    assert made["status_url"] == f"/v1/jobs/{made['id']}"
    assert len(made["id"]) == 22
    done = wait(server, made["id"])
    assert done["state"] == "done", done
    assert done["expires"] > done["finished"]
    files = done["files"]
    assert sorted(files) == ["document", "report", "result"]
    assert files["document"].endswith("/notizie.en.docx")
    status, record = server.get(files["result"])
    assert status == 200
    assert json.loads(record) == expected_record(tiny_models, "notizie.docx", data, True)
    status, page = server.get(files["report"])
    assert status == 200
    assert b"<!doctype html>" in page.lower()[:100]
    status, copy = server.get(files["document"])
    (tmp_path / "en.docx").write_bytes(copy)
    english = docx.Document(str(tmp_path / "en.docx"))
    original = docx.Document(io.BytesIO(data))
    assert [p.style.name for p in english.paragraphs] == [p.style.name for p in original.paragraphs]
    assert [p.text for p in english.paragraphs][1:] == paragraphs  # the copy model
    assert server.request(files["document"].replace("notizie.en.docx", "job.json"))[0] == 404
    assert server.request(f"/v1/jobs/{made['id']}/..%2Fjob.json")[0] == 404


SUBTITLES = (
    "1\n00:00:01,000 --> 00:00:03,500\nIl comune ha approvato\n\n"
    "2\n00:00:03,600 --> 00:00:06,000\nil nuovo piano per le scuole.\n"
)


@pytest.mark.parametrize(
    "name",
    [
        "sottotitoli.srt",
        "odf/odfdo-tracked_changes.odt",
        "office/python-pptx-txt-text.pptx",
        "office/openpyxl-formulae.xlsx",
        "epub/pgaskin-kepubify-test1.epub",
        "xliff/symfony-resources-clean.xlf",
        "pdf/pypdf-crazyones.pdf",
    ],
)
def test_every_new_format_comes_back_through_translate_file_in_its_own_format(server, name):
    """A translated copy in the same format with the same places (and, for Italian
    subtitles and the copy model, the same text)."""
    from pipeline.formats import format_of, read_format

    corpus = Path(__file__).parent / "corpus"
    data = SUBTITLES.encode() if name.endswith(".srt") else (corpus / name).read_bytes()
    base = Path(name).name
    body, kind = multipart({"source": "it", "target": "en"}, {"file": (base, data)})
    status, answer = server.request("/translate_file", body, {"content-type": kind})
    assert status == 200, answer
    url = json.loads(answer)["translatedFileUrl"]
    stem, suffix = base.rsplit(".", 1)
    assert url.endswith(f"/{stem}.en.{suffix}")
    status, copy = server.get(url[len(server.url) :])
    assert status == 200
    fmt = format_of(base)
    original, translated = read_format(fmt, data), read_format(fmt, copy)
    assert translated.format == original.format
    if fmt == "pdf":  # set anew: the same words, in paragraphs the reader may join otherwise
        assert translated.text.split() == original.text.split()
        return
    assert [b.where for b in translated.blocks] == [b.where for b in original.blocks]
    if name.endswith(".srt"):
        assert translated.text == original.text


def test_libretranslates_translate_file_and_download_file(server, tmp_path):
    import docx

    paragraphs = SENTENCES[:3]
    body, kind = multipart({"source": "it", "target": "en"}, {"file": ("avviso.docx", word_file(paragraphs))})
    status, answer = server.request("/translate_file", body, {"content-type": kind})
    url = json.loads(answer)["translatedFileUrl"]
    assert status == 200
    assert url.startswith(server.url + "/download_file/")
    assert url.endswith("/avviso.en.docx")
    status, data = server.get(url[len(server.url) :])
    (tmp_path / "en.docx").write_bytes(data)
    assert status == 200
    assert [p.text for p in docx.Document(str(tmp_path / "en.docx")).paragraphs][1:] == paragraphs
    body, kind = multipart({"source": "en", "target": "it"}, {"file": ("a.txt", b"Hello.")})
    assert server.request("/translate_file", body, {"content-type": kind})[0] == 400
    body, kind = multipart({"source": "it", "target": "en"}, {"file": ("rotto.pdf", b"%PDF-1.4 no")})
    status, answer = server.request("/translate_file", body, {"content-type": kind})
    assert status == 400
    assert json.loads(answer)["error"].startswith("rotto.pdf: ")
    assert server.get(url[len(server.url) :].replace("avviso.en.docx", "report.html"))[0] == 404
    settings = json.loads(server.get("/frontend/settings")[1])
    assert settings["filesTranslation"]
    assert ".docx" in settings["supportedFilesFormat"]


def test_bad_uploads_get_their_one_line_reason_and_the_service_stays_up(server):
    assert submit(server, "records.jsonl", b'{"text": "Ciao"}\n', "translate") == (
        400,
        {
            "error": "records.jsonl: one document is taken (.txt, .md, .html, .htm, .docx, .pdf, .srt, .vtt,"
            " .xlf, .xliff, .odt, .ods, .odp, .pptx, .xlsx, .epub), not JSONL"
        },
    )
    assert submit(server, "a.txt", b"Ciao.", "riassumi")[0] == 400
    status, made = submit(server, "rotto.pdf", b"%PDF-1.7\nnot really a pdf", "translate")
    assert status == 202
    failed = wait(server, made["id"])
    assert failed["state"] == "failed"
    assert failed["reason"].startswith("rotto.pdf: ")
    assert "\n" not in failed["reason"]
    assert "files" not in failed
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (300 * 1024 * 1024) + b"</w:document>")
    status, made = submit(server, "bomba.docx", out.getvalue(), "translate")
    failed = wait(server, made["id"])
    assert failed["state"] == "failed"
    assert failed["reason"].startswith("bomba.docx: ")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:  # over --max-upload-bytes
        sock.sendall(f"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: {51 << 20}\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")
    status, answer = server.post_json("/translate", {"q": SENTENCES[0], "source": "it", "target": "en"})
    assert (status, answer["translatedText"]) == (200, SENTENCES[0])


def test_pasted_text_and_a_deleted_job(server):
    status, made = server.post_json("/v1/jobs", {"text": " ".join(SENTENCES[:3]), "task": "translate"})
    assert status == 202
    done = wait(server, made["id"])
    assert done["state"] == "done"
    assert done["name"] == "text.txt"
    assert done["files"]["document"].endswith("/text.en.txt")
    assert server.get(done["files"]["document"])[1].decode() == " ".join(SENTENCES[:3]) + "\n"
    assert server.request(f"/v1/jobs/{made['id']}", b"", {"x": "y"})[0] == 405  # POST on a job: no
    request = urllib.request.Request(f"{server.url}/v1/jobs/{made['id']}", method="DELETE")
    assert urllib.request.urlopen(request).status == 200
    assert state(server, made["id"])[0] == 404
    assert state(server, "A" * 22)[0] == 404
    assert state(server, "not-an-id")[0] == 404


def test_a_job_follows_its_own_glossary_kept_in_its_folder(server, tmp_path):
    status, made = server.post_json(
        "/v1/jobs", {"text": "Il sindaco e il comune.", "glossary": {"comune": "town"}}
    )
    assert status == 202
    done = wait(server, made["id"])
    assert server.get(done["files"]["document"])[1].decode() == "Il sindaco e il town.\n"
    tsv = b"sindaco\tmayor\n"
    body, kind = multipart(
        {"task": "translate"}, {"file": ("a.txt", b"Il sindaco."), "glossary": ("g.tsv", tsv)}
    )
    status, made = server.request("/v1/jobs", body, {"content-type": kind})
    assert status == 202
    done = wait(server, json.loads(made)["id"])
    assert server.get(done["files"]["document"])[1].decode() == "Il mayor.\n"
    bad, kind = multipart({}, {"file": ("a.txt", b"Il sindaco."), "glossary": ("g.tbx", b"<tbx>")})
    status, answer = server.request("/v1/jobs", bad, {"content-type": kind})
    assert status == 400
    assert json.loads(answer)["error"].startswith("Invalid request: glossary g.tbx:1: not well-formed XML")


def test_a_sentence_request_is_answered_while_a_long_document_runs(server):
    status, made = server.post_json("/v1/jobs", {"text": long_text(400), "task": "translate"})
    running = wait(server, made["id"], until=("running", "done"))
    while running["state"] == "running" and not (running["stage"] == "translate" and running["done"]):
        running = state(server, made["id"])[1]
    assert running["state"] == "running", "the document ended before it was translating"
    started = time.monotonic()
    status, answer = server.post_json("/translate", {"q": SENTENCES[4], "source": "it", "target": "en"})
    seconds = time.monotonic() - started
    assert (status, answer["translatedText"]) == (200, SENTENCES[4])
    after = state(server, made["id"])[1]
    assert after["state"] == "running", "the sentence waited for the whole document"
    assert after["stage"] != "translate" or after["done"] < after["total"]
    print(f"one sentence answered in {1000 * seconds:.0f} ms while the document ran ({after})")
    assert wait(server, made["id"])["state"] == "done"


def test_a_job_is_seen_only_with_the_key_that_made_it(tiny_models, tmp_path):
    (tmp_path / "keys").write_text("prima\nseconda\n")
    keyed = Server(tiny_flags(tiny_models, tmp_path / "jobs"), "--api-keys", str(tmp_path / "keys"))
    try:
        assert submit(keyed, "a.txt", SENTENCES[0].encode(), "translate")[0] == 403
        status, made = submit(keyed, "a.txt", SENTENCES[0].encode(), "translate", key="prima")
        assert status == 202
        done = wait(keyed, made["id"], key="prima")
        assert done["state"] == "done"
        assert state(keyed, made["id"], key="seconda")[0] == 404
        assert state(keyed, made["id"])[0] == 403
        file = done["files"]["result"]
        assert keyed.request(file, headers={"authorization": "Bearer seconda"})[0] == 404
        assert keyed.request(file, headers={"authorization": "Bearer prima"})[0] == 200
    finally:
        assert keyed.stop() == STOPPED


def test_a_job_killed_mid_run_finishes_after_a_restart_with_the_same_result(tiny_models, tmp_path):
    text = long_text(300)
    flags = tiny_flags(tiny_models, tmp_path / "jobs")
    first = Server(flags)
    try:
        _status, made = first.post_json("/v1/jobs", {"text": text, "task": "summarize"})
        running = wait(first, made["id"], until=("running", "done"))
        while running["state"] == "running" and not running.get("done"):
            running = state(first, made["id"])[1]
        assert running["state"] == "running", "the job ended before it could be interrupted"
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=60)
    on_disk = json.loads((tmp_path / "jobs" / made["id"] / "job.json").read_text())
    assert on_disk["state"] == "running"
    second = Server(flags)
    try:
        done = wait(second, made["id"])
        assert done["state"] == "done", done
        resumed = json.loads(second.get(done["files"]["result"])[1])
    finally:
        assert second.stop() == STOPPED
    assert "resuming job" in second.log()
    assert resumed == expected_record(tiny_models, "text.txt", text.encode(), True)


def test_results_expire_and_are_removed(tiny_models, tmp_path):
    short = Server(tiny_flags(tiny_models, tmp_path / "jobs"), "--keep-hours", "0.0005")  # 1.8 s
    try:
        status, made = short.post_json("/v1/jobs", {"text": SENTENCES[0], "task": "translate"})
        done = wait(short, made["id"])
        assert done["state"] == "done"
        time.sleep(2.5)
        status, answer = state(short, made["id"])
        assert status == 404
        assert "expired" in answer["error"]
        assert not (tmp_path / "jobs" / made["id"]).exists()
    finally:
        assert short.stop() == STOPPED


def test_the_jobs_folder_is_kept_under_its_size(tiny_models, tmp_path):
    small = Server(tiny_flags(tiny_models, tmp_path / "jobs"), "--max-jobs-mb", "0.05")
    try:
        made = []
        for n in range(4):
            _status, job = small.post_json("/v1/jobs", {"text": long_text(8 + n), "task": "translate"})
            assert wait(small, job["id"])["state"] == "done"
            made.append(job["id"])
            time.sleep(0.05)
        deadline = time.monotonic() + 30
        while (tmp_path / "jobs" / made[0]).exists():
            assert time.monotonic() < deadline, "the oldest job was never removed"
            small.post_json("/v1/jobs", {"text": SENTENCES[1], "task": "translate"})  # a sweep runs
            time.sleep(0.5)
        assert (tmp_path / "jobs" / made[-1]).exists()  # newest kept
    finally:
        assert small.stop() == STOPPED


DESKTOP, PHONE = (1280, 900), (390, 844)


def _shoot(browser, moment: str) -> None:
    """Screenshots of the page as it is, at desktop and phone widths."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        browser.set_window_size(*size)
        browser.save_screenshot(str(SCREENSHOTS / f"{moment}-{label}.png"))
    browser.set_window_size(*DESKTOP)


def _until(browser, condition, seconds: float = 120, why=None):
    """What ``condition`` returns once it holds; failing after ``seconds`` with ``why()`` if given."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(browser, seconds, poll_frequency=0.05).until(condition)
    except TimeoutException:
        if why is None:
            raise
        raise AssertionError(f"not within {seconds} s: {why()}") from None


def _shown(browser, error: str):
    """The error element ``error`` once it is shown."""
    from selenium.webdriver.common.by import By

    return _until(
        browser, lambda b: b.find_element(By.ID, error).is_displayed() and b.find_element(By.ID, error)
    )


def _view(browser) -> str:
    return browser.execute_script("return document.body.dataset.view || ''")


def test_in_a_browser_a_word_file_becomes_a_report_and_an_english_copy(server, tmp_path):
    import docx
    from browser import headless_chromium
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    paragraphs = [" ".join(SENTENCES[n % 7 : n % 7 + 2]) + f" Paragrafo {n}." for n in range(160)]  # to watch
    source = tmp_path / "comunicato.docx"
    source.write_bytes(word_file(paragraphs))
    browser = headless_chromium(downloads, DESKTOP)
    try:
        browser.get(server.url + "/")
        assert browser.find_element(By.CSS_SELECTOR, "label[for=file]").text.startswith("Document")
        _shoot(browser, "1-empty")
        # Every state the page shows is recorded as it changes (polling could miss a short one).
        browser.execute_script(
            "var status = document.getElementById('status'); window.seen = [];"
            "new MutationObserver(function () { var s = status.textContent;"
            " if (window.seen[window.seen.length - 1] !== s) window.seen.push(s); })"
            ".observe(status, {childList: true, subtree: true});"
        )
        browser.find_element(By.ID, "file").send_keys(str(source))
        browser.find_element(By.CSS_SELECTOR, "input[value=summarize]").click()
        browser.find_element(By.ID, "go").click()
        # The states recorded, not the one showing now: a fast job may be done between two polls.
        _until(
            browser,
            lambda b: any("%" in s for s in b.execute_script("return window.seen")) or _view(b) == "result",
            why=lambda: (
                f"the page showed {browser.execute_script('return window.seen')}; {server.log()[-2000:]}"
            ),
        )
        if _view(browser) != "result":
            _shoot(browser, "2-running")
        _until(
            browser, lambda b: _view(b) == "result", why=lambda: f"the service logged {server.log()[-2000:]}"
        )
        seen = browser.execute_script("return window.seen")
        assert seen[0].startswith(("Waiting", "Reading")), seen
        # In the units a person counts: the document's paragraphs, never its segments (a
        # percentage shows only while the models run: a job of cached outputs may pass it
        # between two polls; the size shows again when it is done).
        assert any(s.endswith(" (161 paragraphs)") for s in seen), seen
        assert all(s.endswith("% (161 paragraphs)") for s in seen if "%" in s), seen
        assert seen[-1].startswith("Done"), seen
        assert browser.switch_to.active_element.get_attribute("id") == "result-title"  # focus follows
        assert "kept on the service until" in browser.find_element(By.ID, "expiry").text
        _shoot(browser, "3-done")

        browser.switch_to.frame(browser.find_element(By.ID, "report"))
        browser.find_element(By.ID, "p1").click()
        lit = browser.find_elements(By.CSS_SELECTOR, ".pair.hl")
        assert lit
        assert all(el.get_attribute("id").startswith("s") for el in lit)
        browser.switch_to.default_content()

        browser.find_element(By.ID, "dl-document").click()
        copy = downloads / "comunicato.en.docx"
        _until(browser, lambda b: copy.exists() and copy.stat().st_size > 0, 30)
        english, original = docx.Document(str(copy)), docx.Document(str(source))
        assert [p.style.name for p in english.paragraphs] == [p.style.name for p in original.paragraphs]
        assert [p.text for p in english.paragraphs][1:] == paragraphs  # the copy model

        # Pasted text, translated only.
        browser.find_element(By.ID, "again").click()
        assert _view(browser) == "form"
        assert browser.switch_to.active_element.get_attribute("id") == "file"
        browser.find_element(By.ID, "text").send_keys(" ".join(SENTENCES[:2]))
        browser.find_element(By.CSS_SELECTOR, "input[value=translate]").click()
        browser.find_element(By.ID, "go").click()
        _until(browser, lambda b: _view(b) == "result")
        browser.switch_to.frame(browser.find_element(By.ID, "report"))
        assert SENTENCES[1] in browser.find_element(By.TAG_NAME, "body").text
        browser.switch_to.default_content()

        # A file it2en cannot read: its one-line reason, and the form again.
        bad = tmp_path / "scansione.pdf"
        bad.write_bytes(b"%PDF-1.4\n%not a real pdf\n")
        browser.find_element(By.ID, "again").click()
        browser.find_element(By.ID, "file").send_keys(str(bad))
        browser.find_element(By.ID, "go").click()
        error = _shown(browser, "file-error")  # next to the file that caused it, focus on the file
        assert error.text.startswith("scansione.pdf: ")
        assert "\n" not in error.text
        assert error.get_attribute("role") == "alert"
        assert _view(browser) == "form"
        assert browser.switch_to.active_element.get_attribute("id") == "file"
        assert browser.find_element(By.ID, "file").get_attribute("aria-invalid") == "true"
        _shoot(browser, "4-failed-file")

        # Keyboard only: Tab from the top of a fresh page reaches each control in order.
        browser.get(server.url + "/")
        keys = ActionChains(browser)
        order = []
        for _ in range(5):
            keys.send_keys(Keys.TAB).perform()
            active = browser.switch_to.active_element
            order.append(active.get_attribute("id") or active.get_attribute("value"))
        assert order == ["file", "text", "glossary", "translate", "go"]
        browser.find_element(By.ID, "file").send_keys(str(source))  # what the file chooser answers
        keys.send_keys(Keys.ENTER).perform()  # on Start, which has the focus
        _until(browser, lambda b: _view(b) == "result")
        keys.send_keys(Keys.TAB).perform()
        assert browser.switch_to.active_element.get_attribute("id") == "dl-document"
    finally:
        browser.quit()


def test_in_a_browser_an_expired_result_says_so(tiny_models, tmp_path):
    from browser import headless_chromium

    short = Server(tiny_flags(tiny_models, tmp_path / "jobs"), "--keep-hours", "0.0005")  # 1.8 s
    browser = headless_chromium(size=DESKTOP)
    try:
        _, made = short.post_json("/v1/jobs", {"text": SENTENCES[0], "task": "translate"})
        assert wait(short, made["id"])["state"] == "done"
        time.sleep(2.5)
        browser.get(f"{short.url}/#job={made['id']}")
        error = _shown(browser, "form-error")
        assert "expired" in error.text
        assert browser.switch_to.active_element.get_attribute("id") == "form-error"
        _shoot(browser, "5-expired")
    finally:
        browser.quit()
        assert short.stop() == STOPPED


def test_in_a_browser_each_error_is_told_where_it_happened(tiny_models, tmp_path):
    """A wrong key by the key field, a file too large by the file, each announced and
    focused; a key is kept only once the service accepted it, shown as kept, and can be
    forgotten. Each state is left as a screenshot."""
    from browser import headless_chromium
    from selenium.webdriver.common.by import By

    (tmp_path / "keys").write_text("segreta\n")
    keyed = Server(
        tiny_flags(tiny_models, tmp_path / "jobs"), "--api-keys", str(tmp_path / "keys"),
        "--max-upload-bytes", "200000",
    )  # fmt: skip
    browser = headless_chromium(size=DESKTOP)
    stored = "return sessionStorage.getItem('it2en-key')"
    try:
        browser.get(keyed.url + "/")
        _until(browser, lambda b: b.find_element(By.ID, "key-row").is_displayed())
        assert "up to 195 KB" in browser.find_element(By.ID, "formats").text
        browser.find_element(By.ID, "text").send_keys(SENTENCES[0])
        browser.find_element(By.ID, "key").send_keys("sbagliata")
        browser.find_element(By.ID, "go").click()
        error = _shown(browser, "key-error")
        assert error.text == "Invalid API key"
        assert error.get_attribute("role") == "alert"
        assert browser.switch_to.active_element.get_attribute("id") == "key"
        assert browser.execute_script(stored) is None  # a wrong key is never kept
        _shoot(browser, "6-wrong-key")

        browser.find_element(By.ID, "key").clear()
        browser.find_element(By.ID, "key").send_keys("segreta")
        browser.find_element(By.ID, "go").click()
        _until(browser, lambda b: _view(b) == "result")
        assert browser.execute_script(stored) == "segreta"
        browser.get(keyed.url + "/")  # a reload: the kept key is shown as kept, and used
        _until(browser, lambda b: b.find_element(By.ID, "key-status").is_displayed())
        assert browser.find_element(By.ID, "key").get_attribute("value") == ""
        _shoot(browser, "7-key-kept")
        browser.find_element(By.ID, "text").send_keys(SENTENCES[1])
        browser.find_element(By.ID, "go").click()
        _until(browser, lambda b: _view(b) == "result")
        browser.find_element(By.ID, "again").click()
        browser.find_element(By.ID, "forget").click()
        assert browser.execute_script(stored) is None
        assert not browser.find_element(By.ID, "key-status").is_displayed()

        terms = tmp_path / "termini.tsv"
        terms.write_text("sindaco\n", encoding="utf-8")
        browser.find_element(By.ID, "glossary").send_keys(str(terms))
        browser.find_element(By.ID, "text").send_keys(SENTENCES[1])
        browser.find_element(By.ID, "key").send_keys("segreta")
        browser.find_element(By.ID, "go").click()
        error = _shown(browser, "glossary-error")
        assert error.text == "Invalid request: glossary termini.tsv:1: 1 columns, expected source<TAB>target"
        assert browser.switch_to.active_element.get_attribute("id") == "glossary"
        _shoot(browser, "9-bad-glossary")
        browser.find_element(By.ID, "glossary").clear()
        browser.find_element(By.ID, "text").clear()
        browser.find_element(By.ID, "key").clear()

        big = tmp_path / "enorme.txt"
        big.write_text(" ".join(SENTENCES) * 1000)
        browser.find_element(By.ID, "file").send_keys(str(big))
        browser.find_element(By.ID, "go").click()
        error = _shown(browser, "file-error")
        assert error.text == "enorme.txt is 265 KB; this service takes files up to 195 KB."  # no bytes
        assert browser.switch_to.active_element.get_attribute("id") == "file"
        _shoot(browser, "8-too-large")
        assert browser.execute_script("return document.querySelector('link[rel=icon]').href").endswith(
            "/favicon.ico"
        )
        assert keyed.get("/favicon.ico")[0] == 200
    finally:
        browser.quit()
        assert keyed.stop() == STOPPED
