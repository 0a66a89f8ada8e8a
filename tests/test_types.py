"""The records: what a review entry says of itself, and the JSON record's review list."""

from __future__ import annotations

from pipeline import Flag, Point, Result, ReviewEntry, Segment, Summary


def _result() -> Result:
    text = "Il museo è aperto. Costa 5 euro."
    segments = (
        Segment(0, 0, 0, 18, "Il museo è aperto."),
        Segment(1, 0, 19, 32, "Costa 5 euro.", where="page 2"),
    )
    point = Point(
        "The museum costs 6 euros.", None, (1,), flags=(Flag("unsupported", "6 not in the document"),)
    )
    return Result(
        id="d",
        source=text,
        segments=segments,
        translations=("The museum is open.", "It costs 5 euros."),
        translation="The museum is open. It costs 5 euros.",
        models={},
        summary=Summary("The museum costs 6 euros.", None, "abstractive", (point,)),
        flags=((), (Flag("numbers", "5 not in the translation"),)),
    )


def test_review_entries_know_their_label_anchor_and_record():
    segment, point = _result().review()
    assert (segment.label, segment.anchor) == ("Sentence 2, page 2", "s2")
    assert (point.label, point.anchor) == ("Summary point 1", "p1")
    assert segment.to_dict() == {"segment": 1, "flag": "numbers", "detail": "5 not in the translation"}
    assert point.to_dict() == {"point": 0, "flag": "unsupported", "detail": "6 not in the document"}
    assert _result().to_dict()["review"] == [segment.to_dict(), point.to_dict()]
    assert ReviewEntry("numbers", "x", segment=0).label == "Sentence 1"
