"""XLIFF 1.2 and 2.x (pipeline.formats.xliff): a target for every translatable segment,
its inline codes kept in order, its state by the trust checks; what is not to be
translated, notes and everything else left; XLIFF with targets as a reference set."""

from __future__ import annotations

import pytest
from lxml import etree

from pipeline.errors import InputError
from pipeline.evaluate import read_reference_set
from pipeline.formats import read_format, write_translated
from pipeline.layouts import BlockTranslation

XLIFF_12 = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2">
<file original="avviso.txt" source-language="it" target-language="en-GB" datatype="plaintext">
<body>
<trans-unit id="1"><source>Il museo <g id="1">resta</g> aperto<x id="2"/> tutti i giorni.</source>\
<note>Una nota.</note></trans-unit>
<trans-unit id="2" translate="no"><source>TARI</source></trans-unit>
<group translate="no"><trans-unit id="3"><source>Agenzia delle Entrate</source></trans-unit></group>
<trans-unit id="4"><source>Frase uno. Frase due.</source><seg-source>\
<mrk mid="0" mtype="seg">Frase uno.</mrk> <mrk mid="1" mtype="seg">Frase due.</mrk></seg-source></trans-unit>
<trans-unit id="5"><source>Vecchia.</source><target state="new">Old.</target></trans-unit>
</body></file></xliff>"""

XLIFF_20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="it" trgLang="en">
<file id="f1"><unit id="u1"><notes><note>Da tradurre.</note></notes>\
<segment id="s1"><source>Premi <pc id="1">Invio</pc><ph id="2"/> per uscire.</source></segment>\
<ignorable><source> </source></ignorable><segment><source>Ciao.</source><target>Hi.</target></segment></unit>
<unit id="u2" translate="no"><segment><source>INPS</source></segment></unit></file></xliff>"""


def test_xliff_12_gets_a_target_per_unit_and_segment_codes_in_order():
    layout = read_format("xliff", XLIFF_12)
    assert [(layout.text[b.start : b.end], b.where) for b in layout.blocks] == [
        ("Il museo resta aperto tutti i giorni.", "unit 1"),
        ("Frase uno.", "unit 4 segment 0"),
        ("Frase due.", "unit 4 segment 1"),
        ("Vecchia.", "unit 5"),
    ]
    out = write_translated(
        layout,
        [
            BlockTranslation("The museum stays open every day."),
            BlockTranslation("Sentence one.", review=True),
            BlockTranslation("Sentence two."),
            BlockTranslation("Old."),
        ],
    ).decode()
    assert (
        '<target xml:lang="en-GB" state="translated">The museum <g id="1">stays</g> open<x id="2"/> '
        "every day.</target><note>Una nota.</note>" in out
    )
    assert '<trans-unit id="2" translate="no"><source>TARI</source></trans-unit>' in out
    assert "<source>Agenzia delle Entrate</source></trans-unit>" in out
    assert (
        '<target xml:lang="en-GB" state="needs-review-translation"><mrk mid="0" mtype="seg">'
        'Sentence one.</mrk> <mrk mid="1" mtype="seg">Sentence two.</mrk></target>' in out
    )
    assert out.count("<target") == 3  # the old target replaced, not added to
    assert '<target xml:lang="en-GB" state="translated">Old.</target>' in out


def test_xliff_2_gets_targets_its_codes_and_a_state_on_the_segment():
    layout = read_format("xliff", XLIFF_20)
    assert [layout.text[b.start : b.end] for b in layout.blocks] == ["Premi Invio per uscire.", "Ciao."]
    out = write_translated(
        layout, [BlockTranslation("Press Enter to quit.", review=True), BlockTranslation("Hello.")]
    )
    root = etree.fromstring(out)
    ns = {"x": "urn:oasis:names:tc:xliff:document:2.0"}
    first, second = root.findall(".//x:unit[@id='u1']/x:segment", ns)
    assert first.get("state") == "initial"
    assert second.get("state") == "translated"
    target = first.find("x:target", ns)
    assert etree.tostring(target, encoding="unicode").endswith(
        'Press <pc id="1">Enter</pc><ph id="2"/> to quit.</target>'
    )
    assert second.find("x:target", ns).text == "Hello."
    assert root.find(".//x:unit[@id='u2']//x:target", ns) is None  # translate="no"
    assert root.find(".//x:note", ns).text == "Da tradurre."


def test_xliff_with_targets_is_a_reference_set(tmp_path):
    path = tmp_path / "memoria.xlf"
    path.write_bytes(XLIFF_20)
    [item] = read_reference_set(xliff=path)
    assert (item.id, item.source, item.references) == ("unit u1 segment 2", "Ciao.", ("Hi.",))
    (tmp_path / "vuoto.xlf").write_bytes(XLIFF_20.replace(b"<target>Hi.</target>", b""))
    with pytest.raises(InputError, match="no segment with a target"):
        read_reference_set(xliff=tmp_path / "vuoto.xlf")


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"<xliff version='1.2'><file><body>", "not well-formed XML"),
        (b"<html><body/></html>", "its root is not <xliff>"),
        (b"<xliff version='3.0'/>", "XLIFF version '3.0' is not read"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<xliff version="1.2"><file><body><trans-unit id="1"><source>&e;</source></trans-unit>'
            b"</body></file></xliff>",
            "",
        ),
    ],
)
def test_what_is_not_xliff_is_refused_and_no_entity_is_resolved(data, reason):
    if reason:
        with pytest.raises(InputError, match=reason):
            read_format("xliff", data)
        return
    layout = read_format("xliff", data)  # an external entity is never read
    assert "root:" not in layout.text
