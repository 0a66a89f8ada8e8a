"""it2en serve against the worst clients, on a live server: bad neighbours among good
requests, hostile values in every field of every operation, a chunked flood without a
key, slow heads and bodies, huge documents while /healthz is watched (the hostile client
of ``scripts/hostile_client.py``, quick); and LibreTranslate's habits its other clients
rely on: parameters in the query string (deep-translator), CORS, its errors."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from script_loader import SCRIPTS, load_script
from server import STOPPED, Server, tiny_flags
from tiny import SENTENCES

pytestmark = pytest.mark.slow  # a server process of its own, models loaded

KEYS = [f"chiave-{n}" for n in range(21)]


@pytest.fixture(scope="module")
def keyed(tiny_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "keys").write_text("\n".join(KEYS) + "\n")
    running = Server(
        tiny_flags(tiny_models, folder / "jobs"), "--api-keys", str(folder / "keys"),
        "--header-timeout", "2", "--body-timeout", "2", "--cors-origins", "https://giornale.example",
    )  # fmt: skip
    yield running
    assert running.get("/healthz")[0] == 200  # still up after everything
    assert running.stop() == STOPPED


def test_the_worst_clients_harm_no_one_and_stall_nothing(keyed):
    hostile = load_script(SCRIPTS / "hostile_client.py")
    report = hostile.run(keyed.url, KEYS, pid=keyed.process.pid, quick=True, slow_seconds=6)
    assert report["ok"], json.dumps(report, indent=1)
    assert report["bad_neighbours"]["rounds"] == 3
    assert report["hostile_values"]["requests"] > 500
    assert report["chunked_flood"]["sent_mb"] < 16  # cut at the 2 MiB limit, not read to the end
    assert report["healthz"]["worst_seconds"] < 1.0


def test_parameters_in_the_query_string_as_deep_translator_sends_them(keyed):
    from deep_translator import LibreTranslator

    client = LibreTranslator(source="it", target="en", api_key=KEYS[3], custom_url=keyed.url + "/")
    assert client.translate(SENTENCES[2]) == SENTENCES[2]  # the copy model
    status, answer = keyed.request(f"/translate?q=Ciao&source=it&target=en&api_key={KEYS[0]}", b"")
    assert (status, json.loads(answer)["translatedText"]) == (200, "Ciao")


def test_cors_as_libretranslate_answers_browsers_on_other_sites(keyed):
    preflight = {
        "Origin": "https://giornale.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }
    status, _ = keyed.request("/translate", headers=preflight, method="OPTIONS")
    assert status == 200
    answer = _raw(keyed, "POST /translate HTTP/1.1\r\nHost: x\r\nOrigin: https://giornale.example\r\n"
                  "Content-Length: 0\r\n\r\n")  # fmt: skip
    assert answer.startswith(b"HTTP/1.1 403 ")  # no key: refused, and a page there can read why
    assert b"access-control-allow-origin: https://giornale.example" in answer.lower()
    other = _raw(keyed, "OPTIONS /translate HTTP/1.1\r\nHost: x\r\nOrigin: https://altro.example\r\n"
                 "Access-Control-Request-Method: POST\r\n\r\n")  # fmt: skip
    assert other.startswith(b"HTTP/1.1 400 ")  # an origin not allowed


def test_errors_are_libretranslates_and_bad_input_is_a_400(keyed):
    key = {"api_key": KEYS[0]}
    for body, message in [
        ({"q": "", "source": "it", "target": "en"}, "Invalid request: missing q parameter"),
        ({"q": [], "source": "it", "target": "en"}, "Invalid request: missing q parameter"),
        ({"q": "Ciao", "source": "it", "target": "en", "format": "xml"}, "xml format is not supported"),
        ({"q": "Ciao", "alternatives": 1e999}, "alternatives must be a number"),
        ({"q": "ciao \ud800"}, "q holds text that is not Unicode"),
        ({"q": ["ciao", "\udc00"], "format": "html"}, "q holds text that is not Unicode"),
        ({"q": "Ciao", "source": "\ud800"}, "source holds text that is not Unicode"),
    ]:
        status, answer = keyed.post_json("/translate", {**body, **key})
        assert status == 400, (body, answer)
        assert message in answer["error"], (body, answer)
    assert keyed.post_json("/translate", {"q": "Ciao", "api_key": "\ud800"})[0] == 400
    for path, method, status in [
        ("/nessuna", "GET", 404),
        ("/translate", "GET", 405),
        ("/healthz", "DELETE", 405),
    ]:
        got, answer = keyed.request(path, method=method)
        assert got == status
        assert "error" in json.loads(answer)


def test_keys_and_sizes_are_judged_before_the_body_is_read(keyed):
    for head in (
        "Authorization: Bearer sbagliata\r\nContent-Length: 1000000\r\n",  # a wrong key in the head
        f"Authorization: Bearer {KEYS[0]}\r\nContent-Length: 3000000\r\n",  # over 2 MiB
    ):
        started = time.monotonic()
        answer = _raw(
            keyed, f"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{head}\r\n"
        )
        assert answer.startswith((b"HTTP/1.1 403 ", b"HTTP/1.1 413 "))
        assert time.monotonic() - started < 1.5
    status, made = keyed.post_json(
        "/v1/jobs", {"text": SENTENCES[0], "task": "translate", "api_key": KEYS[5]}
    )
    assert status == 202
    status, state = keyed.request(f"/v1/jobs/{made['id']}?api_key={KEYS[5]}")  # a key wherever Bearer goes
    assert status == 200
    assert json.loads(state)["id"] == made["id"]
    assert keyed.request(f"/v1/jobs/{made['id']}?api_key={KEYS[6]}")[0] == 404  # another key's job


def test_html_without_tags_is_translated_as_text_in_both_directions(keyed):
    """The tiny translator normalises "ﬁ" to "fi" (NFKC, as opus-mt's source.spm): a
    fragment returned as it came would keep the ligature."""
    for source, target in (("it", "en"), ("en", "it")):
        body = {"q": "Il ﬁume è lungo &amp; largo.", "source": source, "target": target, "format": "html"}
        status, answer = keyed.post_json("/translate", {**body, "api_key": KEYS[1]})
        assert (status, answer["translatedText"]) == (200, "Il fiume è lungo &amp; largo.")


def _raw(server: Server, request: str) -> bytes:
    """What the server answers to ``request`` sent as it is on a socket of its own."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.recv(65536)
