"""Subtitles (pipeline.formats.subtitles): cues read as sentences, their translation shared
back over the cues, everything else of the file kept."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.formats import read_format, write_translated

SRT = (
    "1\r\n00:00:01,000 --> 00:00:03,000\r\n<i>Il sindaco</i> ha detto\r\n\r\n"
    "2\r\n00:00:03,100 --> 00:00:05,000\r\nche la scuola\r\nriapre lunedì.\r\n\r\n"
    "3\r\n00:00:05,500 --> 00:00:07,000\r\n{\\an8}Grazie!\r\n"
)
VTT = (
    "\ufeffWEBVTT Kind: captions\n\nSTYLE\n::cue(.giallo) { color: yellow }\n\nNOTE una nota\n\n"
    "intro\n00:07.120 --> 00:09.480 line:-1 align:left\n<c.giallo>Musica &amp; voci.</c>\n\n"
    "00:00:10.000 --> 00:00:12.000\n<v Anna>Ciao, 2 &lt; 3!\n"
)


def test_a_sentence_over_cues_is_one_block_and_its_translation_is_shared_back():
    layout = read_format("srt", SRT.encode())
    assert [(layout.text[b.start : b.end], b.where) for b in layout.blocks] == [
        ("Il sindaco ha detto che la scuola riapre lunedì.", "cues 1-2"),
        ("Grazie!", "cue 3"),
    ]
    out = write_translated(layout, ["The mayor said that the school reopens on Monday.", "Thanks!"]).decode()
    assert out == (
        "1\r\n00:00:01,000 --> 00:00:03,000\r\n<i>The mayor</i> said that\r\n\r\n"
        "2\r\n00:00:03,100 --> 00:00:05,000\r\nthe school\r\nreopens on Monday.\r\n\r\n"
        "3\r\n00:00:05,500 --> 00:00:07,000\r\n{\\an8}Thanks!\r\n"
    )


def test_webvtt_keeps_its_header_blocks_settings_and_references():
    data = VTT.encode()
    layout = read_format("vtt", data)
    assert [layout.text[b.start : b.end] for b in layout.blocks] == ["Musica & voci.", "Ciao, 2 < 3!"]
    assert write_translated(layout, ["Musica & voci.", "Ciao, 2 < 3!"]) == data
    out = write_translated(layout, ["Music & voices.", "Hello, 2 < 3!"]).decode("utf-8-sig")
    assert "intro\n00:07.120 --> 00:09.480 line:-1 align:left\n<c.giallo>Music &amp; voices.</c>\n" in out
    assert out.endswith("<v Anna>Hello, 2 &lt; 3!\n")
    assert out.startswith(
        "WEBVTT Kind: captions\n\nSTYLE\n::cue(.giallo) { color: yellow }\n\nNOTE una nota\n"
    )


def test_an_old_subrip_file_in_windows_1252_stays_in_it():
    data = "1\n00:00:01,000 --> 00:00:02,000\nPerché sì.\n".encode("cp1252")
    layout = read_format("srt", data)
    assert layout.text == "Perché sì."
    assert write_translated(
        layout, ["Why yes, è."]
    ) == "1\n00:00:01,000 --> 00:00:02,000\nWhy yes, è.\n".encode("cp1252")


def test_a_translation_shorter_than_its_cues_leaves_no_cue_empty():
    data = (
        b"1\n00:00:01,000 --> 00:00:02,000\nUna frase lunga\n\n"
        b"2\n00:00:02,000 --> 00:00:03,000\nsu due\nrighe.\n"
    )
    layout = read_format("srt", data)
    out = write_translated(layout, ["Short."]).decode()
    cues = out.split("\n\n")
    assert len(cues) == 2
    assert all(len(cue.strip().splitlines()) >= 3 for cue in cues)  # number, timing, a text line
    three = write_translated(layout, ["A short one."]).decode()  # a word for each line at least
    assert three == "1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:02,000 --> 00:00:03,000\nshort\none.\n"


@pytest.mark.parametrize(
    "fmt, data, reason",
    [
        ("vtt", b"00:01.000 --> 00:02.000\nCiao\n", "not a WebVTT file"),
        ("srt", b"nessun sottotitolo qui\n", "no cue found"),
        ("srt", b"\x00\x01\x02", "binary file"),
    ],
)
def test_what_is_not_subtitles_is_refused_in_one_line(fmt, data, reason):
    with pytest.raises(InputError, match=reason):
        read_format(fmt, data)
