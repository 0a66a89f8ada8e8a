"""The service's parts without a server or a model: one request's failure stays its own in
a pooled call, the rate limiter forgets idle callers, text that is not Unicode is refused
at admission naming its field, LibreTranslate's ``alternatives`` parsed without a 5xx,
models named without a path, HTML fragments translated whether or not they hold a tag, and
the settings' TOML keys and flags derived from one dataclass."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import FakeEngine

from pipeline import Pipeline, PipelineConfig
from pipeline.config import server_settings
from pipeline.engines.hub import model_label
from pipeline.errors import ConfigError
from pipeline.settings import ServeSettings

pytest.importorskip("fastapi", reason="the serve extra is not installed")
from pipeline.serve.access import RateLimiter, check_unicode
from pipeline.serve.api.libretranslate import _alternatives
from pipeline.serve.batcher import Batcher, Job
from pipeline.serve.refusals import Refused


def test_a_pooled_call_that_fails_fails_only_the_request_that_caused_it():
    """Twenty requests pooled with one whose text makes the model raise, over and over:
    the twenty are answered, the culprit alone fails, and its message (which quotes its
    text) reaches no other request."""

    def translate(kind: str, texts: list[str]) -> list[str]:
        bad = [t for t in texts if "\u2620" in t]
        if bad:
            raise ValueError(f"cannot encode {bad[0]!r}")
        return [t.upper() for t in texts]

    batcher = Batcher(translate, max_wait=0.05)
    try:
        for round_ in range(5):
            jobs = [Job("it-en", [f"frase {round_}-{n}"]) for n in range(20)]
            culprit = Job("it-en", [f"veleno \u2620 {round_}"])
            futures = [batcher.submit(job) for job in jobs[:10]]
            bad = batcher.submit(culprit)
            futures += [batcher.submit(job) for job in jobs[10:]]
            assert [f.result(10) for f in futures] == [[f"FRASE {round_}-{n}"] for n in range(20)]
            with pytest.raises(ValueError, match="veleno"):
                bad.result(10)
    finally:
        batcher.close()


def test_the_rate_limiter_counts_per_caller_and_forgets_idle_ones(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    limiter = RateLimiter(2)
    limiter.admit("a")
    limiter.admit("a")
    with pytest.raises(Refused) as refused:
        limiter.admit("a")
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "60"
    limiter.admit("b")
    for n in range(500):
        limiter.admit(f"scanner-{n}")
    assert len(limiter) == 502
    now[0] += 61  # a minute later, none of them has come back
    limiter.admit("a")  # counted afresh
    assert len(limiter) == 1
    RateLimiter(0).admit("anyone")  # no limit


@pytest.mark.parametrize(
    "values, field",
    [
        ({"q": "ciao \ud800"}, "q"),
        ({"q": ["buono", "cattivo \udfff"]}, "q"),
        ({"source": "i\ud800t"}, "source"),
        ({"api_key": "\ud83d"}, "api_key"),
        ({"q": [[["\ud800"]]]}, "q"),
        ({"\ud800": "x"}, "\\ud800"),
    ],
)
def test_text_that_is_not_unicode_is_refused_naming_its_field(values, field):
    with pytest.raises(Refused) as refused:
        check_unicode(values)
    assert refused.value.status == 400
    message = str(refused.value)
    assert message.startswith(f"Invalid request: {field} holds text that is not Unicode")
    message.encode("utf-8")  # the message itself can be written
    check_unicode({"q": ["Perché? «Sì» \x00 \U0001f600", {"a": 1}], "n": 3})  # real text passes


def test_deep_nesting_is_checked_without_recursion():
    deep: list = ["\ud800"]
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(Refused):
        check_unicode({"q": deep})


@pytest.mark.parametrize("value, wanted", [(None, 0), ("", 0), (3, 3), ("2", 2), (4.0, 4), (10, 10)])
def test_alternatives_are_whole_numbers_from_0_to_10(value, wanted):
    assert _alternatives(value) == wanted


@pytest.mark.parametrize(
    "value", [float("inf"), 1e999, float("nan"), 11, -1, "molte", True, 2.5, [1], "9" * 400]
)
def test_any_other_alternatives_is_a_400(value):
    with pytest.raises(Refused) as refused:
        _alternatives(value)
    assert refused.value.status == 400


def test_models_are_named_by_hub_id_or_folder_name_never_by_path(tmp_path):
    folder = tmp_path / "srv" / "opus-mt-it-en"
    folder.mkdir(parents=True)
    assert model_label(str(folder)) == "opus-mt-it-en"
    assert model_label("Helsinki-NLP/opus-mt-it-en") == "Helsinki-NLP/opus-mt-it-en"
    assert model_label("t5-small") == "t5-small"
    assert model_label("./models/mio-modello") == "mio-modello"
    assert model_label("~/modelli/traduttore") == "traduttore"


def test_html_fragments_with_and_without_tags_are_translated(fake_engine: FakeEngine):
    pipeline = Pipeline(
        PipelineConfig(), engines={"translator": fake_engine, "back-translator": FakeEngine()}
    )
    fragments = [
        '<p class="x">Il museo è aperto. <a href="/y">Vieni</a></p>',
        "Rossi &amp; Figli: nessun tag qui.",
        "   ",
        "<b>Camera</b> dei Deputati",
    ]
    out = pipeline.translate_html(fragments)
    assert out[0] == '<p class="x">IL MUSEO È APERTO. <a href="/y">VIENI</a></p>'
    assert out[1] == "ROSSI &amp; FIGLI: NESSUN TAG QUI."  # translated as text, escaped again
    assert out[2] == "   "
    assert out[3] == "<b>CAMERA</b> DEI DEPUTATI"
    english = pipeline.translate_html(["Mr. Smith arrived. He left."], italian=True)
    assert english == ["MR. SMITH ARRIVED. HE LEFT."]
    assert ["Mr. Smith arrived.", "He left."] in pipeline.engine("back-translator").batches  # English rules


def test_settings_derive_the_config_keys_flags_and_defaults(tmp_path: Path):
    path = tmp_path / "serve.toml"
    path.write_text('[server]\nchar_limit = 100\ncors_origins = ["https://a.example"]\napi_keys = "./keys"\n')
    settings = server_settings(path, request_timeout=30, char_limit=None)
    assert settings.char_limit == 100
    assert settings.request_timeout == 30.0  # a flag wins, None is not given
    assert settings.cors_origins == ("https://a.example",)
    assert settings.api_keys == str(tmp_path / "keys")  # from the file's own folder
    assert server_settings(None) == ServeSettings()
    for bad, message in [
        ("porta = 1", "unknown key server.porta"),
        ("max_queue = -1", "server.max_queue must be a number >= 0"),
        ("port = 1.5", "server.port must be a number >= 0 of type int"),
        ("header_timeout = inf", "server.header_timeout must be"),
        ("cors_origins = [1]", "server.cors_origins must be a list of strings"),
    ]:
        path.write_text(f"[server]\n{bad}\n")
        with pytest.raises(ConfigError, match=message):
            server_settings(path)
    with pytest.raises(ConfigError, match="--char-limit must be"):
        server_settings(None, char_limit=-5)


def test_every_setting_is_a_flag_of_serve_with_its_default_in_the_help():
    from dataclasses import fields

    from typer.testing import CliRunner

    from pipeline.cli import app

    shown = (
        CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "300", "TERMINAL_WIDTH": "300"}).output
    )
    for item in fields(ServeSettings):
        assert f"--{item.name.replace('_', '-')}" in shown, item.name
    assert "[default: 50 MiB]" in shown
    assert "[default: 120]" in shown
