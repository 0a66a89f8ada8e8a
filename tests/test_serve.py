"""it2en serve: a live server on 127.0.0.1, LibreTranslate's own client, limits and keys,
requests pooled into shared batches, a clean SIGTERM."""

from __future__ import annotations

import concurrent.futures
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from server import STOPPED, Server, tiny_flags
from tiny import SENTENCES, tiny_config

from pipeline import Pipeline

DATA = Path(__file__).resolve().parent / "data"

pytestmark = pytest.mark.slow  # a server process of its own, models loaded


@pytest.fixture(scope="module")
def flags(tiny_models: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return tiny_flags(tiny_models, tmp_path_factory.mktemp("jobs"))


@pytest.fixture(scope="module")
def server(flags: list[str]) -> Iterator[Server]:
    running = Server(flags, "--max-batch-wait-ms", "50")
    yield running
    assert running.stop() == STOPPED


def test_libretranslates_own_client_works_unchanged(server):
    from libretranslatepy import LibreTranslateAPI

    client = LibreTranslateAPI(server.url)
    assert client.translate(SENTENCES[0], "it", "en") == SENTENCES[0]  # the copy model
    assert {language["code"] for language in client.languages()} == {"it", "en"}
    assert client.detect(SENTENCES[1])[0]["language"] == "it"


def test_lists_html_auto_and_errors_as_libretranslate_returns_them(server):
    status, answer = server.post_json("/translate", {"q": SENTENCES[:2], "source": "auto", "target": "en"})
    assert status == 200
    assert answer["translatedText"] == SENTENCES[:2]
    assert [d["language"] for d in answer["detectedLanguage"]] == ["it", "it"]
    page = f'<p class="x">{SENTENCES[0]} <a href="/y">{SENTENCES[1]}</a></p>'
    status, answer = server.post_json(
        "/translate", {"q": page, "source": "it", "target": "en", "format": "html"}
    )
    assert status == 200
    assert answer["translatedText"] == page  # every tag kept
    assert server.post_json("/translate", {"q": "Ciao", "source": "it", "target": "fr"})[0] == 400
    assert server.post_json("/translate", {"source": "it", "target": "en"}) == (
        400,
        {"error": "Invalid request: missing q parameter"},
    )
    status, answer = server.post_json("/translate", {"q": "a" * 6000, "source": "it", "target": "en"})
    assert status == 400
    assert answer["error"] == "Invalid request: request (6000) exceeds text limit (5000)"
    # A body over the limit is refused from its Content-Length, before it is read (the
    # head alone is sent: a client still writing 3 MB may see the closed connection first).
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"POST /translate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
            + f"\r\nContent-Length: {3 * 1024 * 1024}\r\n\r\n".encode()
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")
    assert server.get("/frontend/settings")[0] == 200
    assert server.get("/healthz")[0] == 200
    assert "paths" in json.loads(server.get("/openapi.json")[1])


def test_alternatives_are_other_translations_from_the_beam(server):
    body = {"q": SENTENCES[5], "source": "it", "target": "en", "alternatives": 2}
    status, answer = server.post_json("/translate", body)  # greedy service, beams for alternatives
    assert status == 200
    assert answer["translatedText"] == SENTENCES[5]
    others = answer["alternatives"]
    assert isinstance(others, list)
    assert 1 <= len(others) <= 2
    assert SENTENCES[5] not in others
    status, answer = server.post_json("/translate", {**body, "q": SENTENCES[:2]})
    assert status == 200
    assert len(answer["alternatives"]) == 2
    assert all(1 <= len(options) <= 2 for options in answer["alternatives"])
    assert server.post_json("/translate", {**body, "alternatives": 11})[0] == 400
    assert server.post_json("/translate", {**body, "alternatives": "molte"})[0] == 400


def test_a_document_gives_the_record_of_the_command_line(server, tiny_models):
    text = " ".join(SENTENCES[:4])
    status, record = server.post_json("/v1/summarize", {"text": text, "id": "notizia"})
    expected = Pipeline(tiny_config(tiny_models, num_beams=1)).process(text, "notizia").to_dict()
    # The same record, but that the service names its models without its own paths.
    assert record["models"] == {"translator": "translator", "summarizer": "summarizer",
                                "back_translator": "back-translator"}  # fmt: skip
    assert status == 200
    assert record == {**json.loads(json.dumps(expected)), "models": record["models"]}
    status, report = server.request(
        "/v1/summarize?format=html", json.dumps({"text": text}).encode(), {"content-type": "application/json"}
    )
    assert status == 200
    assert b"<html" in report
    assert str(tiny_models).encode() not in report


def test_64_concurrent_requests_are_answered_as_alone_and_share_batches(server, tiny_models):
    texts = [f"{SENTENCES[i % len(SENTENCES)]} Numero {i}." for i in range(64)]
    alone = Pipeline(tiny_config(tiny_models, num_beams=1)).translate(texts)  # what it2en translate gives

    def one(text: str) -> str:
        status, answer = server.post_json("/translate", {"q": text, "source": "it", "target": "en"})
        assert status == 200
        return answer["translatedText"]

    before = _batches(server)
    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        answers = list(pool.map(one, texts))
    assert answers == alone
    assert _batches(server) - before < 32, "the requests' texts were pooled into shared batches"


def _batches(server: Server) -> float:
    metrics = server.get("/metrics")[1].decode()
    return float(
        next(
            line.split()[-1] for line in metrics.splitlines() if line.startswith("it2en_batch_requests_count")
        )
    )


def test_keys_and_rates(flags, tmp_path):
    (tmp_path / "keys").write_text("segreta\naltra\n")
    keyed = Server(flags, "--api-keys", str(tmp_path / "keys"), "--req-limit", "3")
    try:
        body = {"q": SENTENCES[0], "source": "it", "target": "en"}
        assert keyed.post_json("/translate", body)[0] == 403
        assert keyed.post_json("/translate", {**body, "api_key": "sbagliata"})[0] == 403
        assert keyed.post_json("/translate", {**body, "api_key": "segreta"})[0] == 200
        assert keyed.post_json("/translate", body, {"authorization": "Bearer segreta"})[0] == 200
        assert keyed.post_json("/translate", {**body, "api_key": "segreta"})[0] == 200
        assert keyed.post_json("/translate", {**body, "api_key": "segreta"})[0] == 429  # the 4th in a minute
        # Following a job is not counted: a page polls its job far more than 3 times a minute.
        status, made = keyed.post_json("/v1/jobs", {"text": SENTENCES[0], "api_key": "altra"})
        assert status == 202
        for _ in range(8):
            assert (
                keyed.request(f"/v1/jobs/{made['id']}", headers={"authorization": "Bearer altra"})[0] == 200
            )
        assert keyed.post_json("/translate", {**body, "api_key": "altra"})[0] == 200
        assert keyed.post_json("/translate", {**body, "api_key": "altra"})[0] == 200
        assert keyed.post_json("/translate", {**body, "api_key": "altra"})[0] == 429
    finally:
        assert keyed.stop() == STOPPED
    assert "segreta" not in keyed.log()  # never logged


def test_sigterm_under_load_answers_every_accepted_request(flags):
    loaded = Server(flags, "--max-batch-wait-ms", "20")
    texts = [f"{SENTENCES[i % len(SENTENCES)]} Numero {i}." for i in range(32)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        futures = [
            pool.submit(loaded.post_json, "/translate", {"q": t, "source": "it", "target": "en"})
            for t in texts
        ]
        time.sleep(0.3)
        code = loaded.stop()
        answers = [
            f.result(timeout=120) for f in futures if not isinstance(f.exception(timeout=120), OSError)
        ]
    assert code == STOPPED
    assert answers
    assert all(status == 200 for status, _ in answers)


def test_a_client_that_goes_away_mid_request_leaves_the_worker_healthy(server):
    body = json.dumps({"q": [f"{s} Ancora." for s in SENTENCES], "source": "it", "target": "en"}).encode()
    head = (
        f"POST /translate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    for _ in range(5):  # gone before the answer, and gone half-way through the body
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(head + body)
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(head + body[: len(body) // 2])
    status, answer = server.post_json("/translate", {"q": SENTENCES[2], "source": "it", "target": "en"})
    assert (status, answer["translatedText"]) == (200, SENTENCES[2])
    assert server.get("/readyz")[0] == 200


def test_limits_come_from_the_configs_server_section_and_flags_win(flags, tmp_path):
    (tmp_path / "serve.toml").write_text("[server]\nchar_limit = 30\nrequest_timeout = 60\n")
    configured = Server(flags, "--config", str(tmp_path / "serve.toml"), "--request-timeout", "90")
    try:
        settings = json.loads(configured.get("/frontend/settings")[1])
        assert (settings["charLimit"], settings["frontendTimeout"]) == (30, 90000)
        status, answer = configured.post_json("/translate", {"q": "a" * 31, "source": "it", "target": "en"})
        assert status == 400
        assert "exceeds text limit (30)" in answer["error"]
    finally:
        assert configured.stop() == STOPPED


def test_a_requests_own_glossary_is_followed_and_a_bad_one_is_that_requests_400(server):
    from test_jobs import multipart

    ask = {"source": "it", "target": "en", "q": "Il sindaco di Trastevere e il comune."}
    glossary = {"sindaco": "mayor", "comune": "municipality", "Trastevere": "Trastevere"}
    assert server.post_json("/translate", {**ask, "glossary": glossary}) == (
        200,
        {"translatedText": "Il mayor di Trastevere e il municipality."},
    )
    tsv = "sindaco\tmayor\ncomune\ttown\n"
    status, answer = server.post_json("/translate", {**ask, "glossary": tsv, "alternatives": 1})
    assert (status, answer["translatedText"]) == (200, "Il mayor di Trastevere e il town.")
    assert all("mayor" in other for other in answer["alternatives"])
    html = {**ask, "q": "<p>Il <b>sindaco</b> parla.</p>", "format": "html", "glossary": glossary}
    assert server.post_json("/translate", html) == (200, {"translatedText": "<p>Il <b>mayor</b> parla.</p>"})
    english = {"source": "en", "target": "it", "q": "The mayor speaks.", "glossary": {"mayor": "sindaco"}}
    assert server.post_json("/translate", english) == (200, {"translatedText": "The sindaco speaks."})
    with concurrent.futures.ThreadPoolExecutor(4) as pool:  # a bad glossary among good requests
        bad = pool.submit(server.post_json, "/translate", {**ask, "glossary": "sindaco\n"})
        good = [pool.submit(server.post_json, "/translate", {**ask, "q": s}) for s in SENTENCES[:3]]
        assert bad.result() == (
            400,
            {"error": "Invalid request: glossary glossary:1: 1 columns, expected source<TAB>target"},
        )
        assert [g.result() for g in good] == [(200, {"translatedText": s}) for s in SENTENCES[:3]]
    assert server.post_json("/translate", {**ask, "glossary": {"sindaco": " "}})[0] == 400
    assert server.post_json("/translate", {**ask, "glossary": ["sindaco"]})[0] == 400
    tbx = (DATA / "glossario.tbx").read_bytes()
    files = {"file": ("avviso.txt", b"Il sindaco parla."), "glossary": ("termini.tbx", tbx)}
    body, kind = multipart({}, files)
    status, record = server.request("/v1/translate", body, {"content-type": kind})
    assert status == 200, record
    assert json.loads(record)["translation"] == "Il mayor parla."
    status, record = server.post_json("/v1/summarize", {"text": "Il comune.", "glossary": {"comune": "town"}})
    assert (status, record["translation"]) == (200, "Il town.")
