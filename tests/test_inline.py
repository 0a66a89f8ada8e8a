"""Inline markup through translation (pipeline.formats.inline): a translation shared out
among a block's pieces loses nothing, repeats nothing, keeps a copy as it was, and puts
piece boundaries on word boundaries."""

from __future__ import annotations

import itertools

import pytest

from pipeline.formats.inline import share_out, visible_text


def test_a_copy_keeps_every_piece_as_it_was():
    pieces = ["Il ", "museo", " resterà aperto."]
    assert share_out(pieces, "Il museo resterà aperto.", collapse=False) == pieces


@pytest.mark.parametrize(
    "pieces, translation",
    [
        (["Il ", "museo", " resterà aperto."], "The museum will stay open."),
        (["Camera", " dei Deputati"], "Chamber of Deputies"),
        (["a", "b", "c"], "una traduzione molto più lunga dell'originale"),
        (["Una frase lunga ", "con un link", " in mezzo e poi altro testo."], "Short."),
    ],
)
def test_the_pieces_joined_are_the_translation_and_none_is_lost(pieces, translation):
    shared = share_out(pieces, translation, collapse=False)
    assert len(shared) == len(pieces)
    assert "".join(shared) == translation


def test_a_boundary_falls_between_words_never_inside_one():
    shared = share_out(
        ["Il ", "museo civico", " resterà aperto."], "The civic museum will stay open.", collapse=False
    )
    assert "".join(shared) == "The civic museum will stay open."
    for left, right in itertools.pairwise(shared):
        assert not (left[-1:].isalpha() and right[:1].isalpha()), shared


def test_a_word_the_translation_kept_keeps_its_piece():
    shared = share_out(["Il sindaco ", "Gualtieri", " ha parlato."], "Mayor Gualtieri spoke.", collapse=False)
    assert shared[1].strip() == "Gualtieri"


def test_visible_text_collapses_whitespace_as_a_browser_shows_it():
    assert visible_text(["  Il   museo\n", " è\taperto. "], collapse=True) == "Il museo è aperto."
    assert visible_text(["  Il   museo"], collapse=False) == "Il   museo"
