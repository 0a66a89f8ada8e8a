"""DeepL's API v2 on ``it2en serve``, called by DeepL's own Python client (``deepl`` from
PyPI) pointed at the server: every call as an integration makes it, unchanged."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from server import STOPPED, Server, tiny_flags
from tiny import SENTENCES

deepl = pytest.importorskip("deepl")

KEY = "chiave-deepl"


@pytest.fixture(scope="module")
def server(tiny_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("deepl")
    (folder / "keys").write_text(f"{KEY}\naltra\n", encoding="utf-8")
    flags = tiny_flags(tiny_models, folder / "jobs")
    running = Server(flags, "--api-keys", str(folder / "keys"), "--char-quota", "3000")
    yield running
    assert running.stop() == STOPPED


@pytest.fixture(scope="module")
def client(server: Server):
    return deepl.Translator(KEY, server_url=server.url, send_platform_info=False)


def test_text_as_deepls_client_sends_it(client, server):
    one = client.translate_text(SENTENCES[0], source_lang="IT", target_lang="EN-GB")
    assert one.text == SENTENCES[0]  # the copy model
    assert one.detected_source_lang == "IT"
    many = client.translate_text(SENTENCES[:3], target_lang="EN-US")  # the source detected
    assert [r.text for r in many] == SENTENCES[:3]
    assert {r.detected_source_lang for r in many} == {"IT"}
    page = f"<p>{SENTENCES[1]} <b>{SENTENCES[2]}</b></p>"
    assert (
        client.translate_text(page, source_lang="IT", target_lang="EN-GB", tag_handling="html").text == page
    )
    kept = client.translate_text(
        "<p>Il sindaco <x>parla</x>.</p>", target_lang="EN-GB", tag_handling="xml", ignore_tags=["x"]
    )
    assert kept.text == "<p>Il sindaco <x>parla</x>.</p>"
    assert (
        client.translate_text("The mayor speaks.", source_lang="EN", target_lang="IT").text
        == "The mayor speaks."
    )
    # The same text by LibreTranslate's API gives the same translation.
    status, answer = server.post_json(
        "/translate", {"q": SENTENCES[4], "source": "it", "target": "en", "api_key": KEY}
    )
    assert (status, answer["translatedText"]) == (
        200,
        client.translate_text(SENTENCES[4], target_lang="EN-GB").text,
    )


def test_refusals_are_deepls(client, server):
    with pytest.raises(deepl.AuthorizationException):
        deepl.Translator("sbagliata", server_url=server.url).translate_text("Ciao", target_lang="EN-GB")
    with pytest.raises(deepl.DeepLException, match="formality"):
        client.translate_text("Il sindaco.", target_lang="EN-GB", formality="more")
    with pytest.raises(deepl.DeepLException, match="target_lang"):
        client.translate_text("Il sindaco.", target_lang="DE")
    with pytest.raises(deepl.GlossaryNotFoundException):
        client.get_glossary("0" * 32)
    status, body = server.request(
        "/v2/translate", json.dumps({"target_lang": "EN-GB"}).encode(),
        {"content-type": "application/json", "authorization": f"DeepL-Auth-Key {KEY}"},
    )  # fmt: skip
    assert (status, json.loads(body)) == (400, {"message": "Parameter 'text' not specified."})
    status, body = server.request("/v2/nothing", b"", {"authorization": f"DeepL-Auth-Key {KEY}"})
    assert status == 404
    assert "message" in json.loads(body)
    legacy = server.request(
        "/v2/usage", f"auth_key={KEY}".encode(), {"content-type": "application/x-www-form-urlencoded"}
    )
    assert legacy[0] == 200


def test_glossaries_are_stored_per_key_and_followed(client, server):
    made = client.create_glossary(
        "Comune", source_lang="IT", target_lang="EN", entries={"sindaco": "mayor", "comune": "town"}
    )
    assert (made.name, made.source_lang, made.target_lang, made.entry_count, made.ready) == (
        "Comune",
        "IT",
        "EN",
        2,
        True,
    )
    assert made.glossary_id in [g.glossary_id for g in client.list_glossaries()]
    assert client.get_glossary(made.glossary_id).name == "Comune"
    assert client.get_glossary_entries(made) == {"sindaco": "mayor", "comune": "town"}
    followed = client.translate_text(
        "Il sindaco e il comune.", source_lang="IT", target_lang="EN-GB", glossary=made
    )
    assert followed.text == "Il mayor e il town."
    other = deepl.Translator("altra", server_url=server.url, send_platform_info=False)
    assert made.glossary_id not in [g.glossary_id for g in other.list_glossaries()]
    with pytest.raises(deepl.GlossaryNotFoundException):
        other.get_glossary(made.glossary_id)
    back = client.create_glossary_from_csv("Ritorno", "EN", "IT", csv_data="mayor,sindaco\n")
    assert (
        client.translate_text("The mayor.", source_lang="EN", target_lang="IT", glossary=back).text
        == "The sindaco."
    )
    bad = {
        "name": "Rotto",
        "source_lang": "it",
        "target_lang": "en",
        "entries": "sindaco\n",
        "entries_format": "tsv",
    }
    status, body = server.request(
        "/v2/glossaries", json.dumps(bad).encode(),
        {"content-type": "application/json", "authorization": f"DeepL-Auth-Key {KEY}"},
    )  # fmt: skip
    assert (status, json.loads(body)) == (
        400,
        {"message": "Invalid glossary entries: entries.tsv:1: 1 columns, expected source<TAB>target"},
    )
    pairs = {(p.source_lang, p.target_lang) for p in client.get_glossary_languages()}
    assert pairs == {("it", "en"), ("en", "it")}
    client.delete_glossary(made)
    client.delete_glossary(back)
    assert client.list_glossaries() == []


def test_documents_round_trip_through_deepls_client(client, tmp_path):
    import docx

    word = docx.Document()
    word.add_paragraph(SENTENCES[0])
    word.add_paragraph(SENTENCES[1]).runs[0].bold = True
    data = io.BytesIO()
    word.save(data)
    out = io.BytesIO()
    status = client.translate_document(data.getvalue(), out, target_lang="EN-GB", filename="avviso.docx")
    assert status.done
    assert status.billed_characters == len(SENTENCES[0]) + len(SENTENCES[1]) + 2
    translated = docx.Document(io.BytesIO(out.getvalue()))
    assert [p.text for p in translated.paragraphs] == SENTENCES[:2]
    page = f"<html><body><p>{SENTENCES[2]}</p></body></html>".encode()
    source, target = tmp_path / "pagina.html", tmp_path / "pagina.en.html"
    source.write_bytes(page)
    client.translate_document_from_filepath(source, target, target_lang="EN-US")
    assert SENTENCES[2] in target.read_text(encoding="utf-8")
    with pytest.raises(deepl.DeepLException, match="output_format"):
        client.translate_document(
            page, io.BytesIO(), target_lang="EN-GB", filename="p.html", output_format="pdf"
        )


def test_languages_and_usage(client):
    assert {lang.code for lang in client.get_source_languages()} == {"EN", "IT"}
    targets = {lang.code: lang.supports_formality for lang in client.get_target_languages()}
    assert targets == {"EN-GB": False, "EN-US": False, "IT": False}
    used = client.get_usage()
    assert used.character.limit == 3000
    assert 0 < used.character.count <= 3000
    with pytest.raises(deepl.QuotaExceededException):
        client.translate_text("Il sindaco parla. " * 200, source_lang="IT", target_lang="EN-GB")


def test_a_document_by_deepls_api_and_by_v1_jobs_is_the_same_file(client, server):
    from test_jobs import multipart, wait

    page = f"<html><body><p>{SENTENCES[3]}</p><p>{SENTENCES[5]}</p></body></html>".encode()
    out = io.BytesIO()
    client.translate_document(page, out, target_lang="EN-GB", filename="pagina.html")
    body, kind = multipart({}, {"file": ("pagina.html", page)})
    status, made = server.request("/v1/jobs", body, {"content-type": kind, "authorization": f"Bearer {KEY}"})
    assert status == 202
    done = wait(server, json.loads(made)["id"], key=KEY)
    copy = server.request(done["files"]["document"], headers={"authorization": f"Bearer {KEY}"})[1]
    assert copy == out.getvalue()


def test_deepls_client_retries_on_429_as_it_does_against_deepl(tiny_models, tmp_path, monkeypatch):
    """Past the rate limit the service answers 429 with Retry-After; the client backs
    off and retries, then gives up with its own exception."""
    monkeypatch.setattr(deepl.http_client, "max_network_retries", 2)
    limited = Server(tiny_flags(tiny_models, tmp_path / "jobs"), "--req-limit", "2")
    try:
        translator = deepl.Translator("nessuna", server_url=limited.url, send_platform_info=False)
        for _ in range(2):
            translator.translate_text("Il sindaco.", source_lang="IT", target_lang="EN-GB")
        with pytest.raises(deepl.TooManyRequestsException):
            translator.translate_text("Il sindaco.", source_lang="IT", target_lang="EN-GB")
        deadline = time.monotonic() + 5  # the last answer's log line may follow the answer
        while len(refused := [n for n in limited.log().splitlines() if "POST /v2/translate 429" in n]) < 3:
            assert time.monotonic() < deadline, refused
            time.sleep(0.05)
        assert len(refused) == 3  # the request and its two retries
    finally:
        assert limited.stop() == STOPPED
