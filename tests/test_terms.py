"""Terminology: glossary files, matching that fits Italian, following on both engines, the
``term`` check, and a batch that redoes exactly what a changed term touches."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tiny import tiny_config
from typer.testing import CliRunner

from pipeline import BatchOptions, Pipeline, run_batch
from pipeline.cache import OutputCache
from pipeline.checks import CheckSettings, check_segment
from pipeline.cli import app
from pipeline.errors import ConfigError, InputError
from pipeline.identity import role_identity
from pipeline.terms import Glossary, load_glossary, parse_glossary, prepare

DATA = Path(__file__).resolve().parent / "data"
TSV, TBX = DATA / "glossario.tsv", DATA / "glossario.tbx"
NOTICE = (DATA / "avviso_comune.txt").read_text(encoding="utf-8")


def found(glossary: Glossary, text: str) -> list[tuple[str, str]]:
    return [(text[m.start : m.end], m.term.target) for m in glossary.find(text)]


GLOSSARY = load_glossary([TSV])


# -- matching -----------------------------------------------------------------------------


def test_terms_are_found_as_whole_words_after_elisions_and_the_longest_first():
    text = "Secondo l'Agenzia delle Entrate e l’INPS, dell'Agenzia; Agenziale no. La partita IVA, l'IVA."
    assert found(GLOSSARY, text) == [
        ("Agenzia delle Entrate", "Italian Revenue Agency"),
        ("INPS", "INPS"),
        ("Agenzia", "Agency"),
        ("partita IVA", "VAT number"),
        ("IVA", "VAT"),
    ]


def test_case_is_ignored_except_for_a_term_written_in_capitals():
    text = "Il Comune e il COMUNE; la Tari e la tari non sono la TARI. Partita iva."
    assert found(GLOSSARY, text) == [
        ("Comune", "municipality"),
        ("COMUNE", "municipality"),
        ("TARI", "TARI"),
        ("Partita iva", "VAT number"),
    ]


def test_spaces_and_apostrophes_may_differ_and_plurals_are_not_the_term():
    text = "La carta d’identità  elettronica. I comuni e i sindaci; il sindaco."
    assert found(GLOSSARY, text) == [
        ("carta d’identità  elettronica", "electronic identity card"),
        ("sindaco", "mayor"),
    ]


def test_nothing_is_found_inside_a_url_an_email_or_code():
    text = "Vedi https://comune.it/sindaco o scrivi a sindaco@comune.it o `comune = 1`; il sindaco."
    assert found(GLOSSARY, text) == [("sindaco", "mayor")]


# -- files --------------------------------------------------------------------------------


def test_tsv_csv_and_tbx_give_the_same_glossary():
    rows = [line.split("\t") for line in TSV.read_text(encoding="utf-8").splitlines()]
    csv = "\n".join(f'"{s}","{t}",it,en-GB' for s, t in rows).encode()
    tsv, tbx = load_glossary([TSV]), load_glossary([TBX])
    pairs = [(t.source, t.target) for t in tsv.terms]
    assert len(pairs) == 30
    assert [(t.source, t.target) for t in tbx.terms] == pairs
    assert [(t.source, t.target) for t in parse_glossary(csv, "g.csv", "csv")] == pairs
    assert tsv.digest() == tbx.digest()
    assert found(tsv, NOTICE) == found(tbx, NOTICE)


def test_tbx_2019_synonyms_and_deprecated_renderings():
    data = b"""<?xml version="1.0"?>
<tbx style="dca" type="TBX-Basic" xml:lang="it" xmlns="urn:iso:std:iso:30042:ed-2">
<tbxHeader><fileDesc><sourceDesc><p>x</p></sourceDesc></fileDesc></tbxHeader>
<text><body>
<conceptEntry id="1">
 <langSec xml:lang="it"><termSec><term>codice fiscale</term></termSec>
  <termSec><term>CF</term>
   <termNote type="administrativeStatus">admittedTerm-admn-sts</termNote></termSec></langSec>
 <langSec xml:lang="de"><termSec><term>Steuernummer</term></termSec></langSec>
 <langSec xml:lang="en-US"><termSec><term>taxpayer code</term>
  <termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote></termSec>
  <termSec><term>tax code</term></termSec></langSec>
</conceptEntry>
</body></text></tbx>"""
    terms = parse_glossary(data, "t.tbx", "tbx")
    assert [(t.source, t.target, t.forbidden) for t in terms] == [
        ("codice fiscale", "tax code", ("taxpayer code",)),
        ("CF", "tax code", ("taxpayer code",)),
    ]
    assert Glossary(tuple(terms)).unfollowed("Il codice fiscale.", "The taxpayer code.") == [
        "'codice fiscale' not rendered 'tax code'",
        "'taxpayer code' is a forbidden rendering of 'codice fiscale'",
    ]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("a.tsv", b"comune\tmunicipality\nComune\ttown\n",
         "a.tsv:2: 'Comune' has two targets: 'municipality' (a.tsv:1) and 'town'"),
        ("a.tsv", b"comune\t\n", "a.tsv:1: empty target"),
        ("a.tsv", b"comune\tmunicipality\tx\n", "a.tsv:1: 3 columns, expected source<TAB>target"),
        ("a.csv", b"comune,municipality,it,fr\n", "a.csv:1: languages it->fr, expected it->en"),
        ("a.tsv", b"\xff\xfe", "a.tsv:1: not UTF-8 text"),
        ("a.tsv", b"\n\n", "a.tsv: no entries"),
        ("a.tbx", b"<martif><text><body><termEntry><langSet><tig><term>x</term></tig></langSet>"
         b"</termEntry></body></text></martif>", "a.tbx:1: a language set with no language (xml:lang)"),
        ("a.tbx", b"<martif><text>", "a.tbx:1: not well-formed XML"),
        ("a.tbx", b"<html/>", "a.tbx: not a TBX file (its root is <html>)"),
    ],
)  # fmt: skip
def test_a_bad_glossary_file_is_one_line_naming_file_line_and_problem(tmp_path, name, data, message):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InputError) as caught:
        load_glossary([tmp_path / name])
    assert str(caught.value).replace(f"{tmp_path}/", "").startswith(message)
    assert "\n" not in str(caught.value)


def test_keep_terms_and_files_together_and_a_missing_file():
    glossary = load_glossary([TSV], keep=["Trastevere"])
    assert glossary.terms[-1].keep
    assert found(glossary, "A Trastevere il sindaco.") == [("Trastevere", "Trastevere"), ("sindaco", "mayor")]
    with pytest.raises(InputError, match=r"nessuno\.tsv"):
        load_glossary(["nessuno.tsv"])


# -- following ----------------------------------------------------------------------------


def test_placeholders_never_collide_with_the_text_and_come_back_as_targets():
    text = "Zxqa e il sindaco, poi il comune."
    ready = prepare(text, GLOSSARY, "placeholder")
    assert "sindaco" not in ready.text
    assert ready.text == "Zxqa e il Zxqb, poi il Zxqc."
    assert ready.finish(ready.text) == "Zxqa e il mayor, poi il municipality."
    assert prepare(text, GLOSSARY, "none").text == text


def test_inline_writes_each_target_capitalised_where_the_sentence_starts():
    assert prepare("Comune e sindaco.", GLOSSARY).text == "Municipality e mayor."


def followed_occurrences(result, glossary: Glossary) -> tuple[int, int]:
    """How many term occurrences the sources hold, and how many the translations follow."""
    total = sum(len(glossary.find(s.text)) for s in result.segments)
    missed = sum(len(f.detail.split("; ")) for flags in result.flags for f in flags if f.name == "term")
    return total, total - missed


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
@pytest.mark.parametrize("method", ["inline", "placeholder"])
def test_every_term_of_a_held_out_notice_is_followed_on_both_engines(tiny_models, backend, method):
    config = tiny_config(tiny_models, backend=backend, num_beams=1, glossary_method=method)
    result = Pipeline(config, glossary=GLOSSARY).process(NOTICE, summarize=False)
    total, followed = followed_occurrences(result, GLOSSARY)
    assert total == len(GLOSSARY.find(NOTICE)) == 31  # no term cut where a long sentence was
    assert {m.term for s in result.segments for m in GLOSSARY.find(s.text)} == set(GLOSSARY.terms)
    assert followed == total, [f for flags in result.flags for f in flags if f.name == "term"]
    for kept in ("TARI", "PagoPA", "SPID", "INPS", "Regione Lazio"):
        assert kept in result.translation
    assert "comune@esempio.it" in result.translation
    assert "https://www.esempio.it/agenzia" in result.translation
    assert "Italian Revenue Agency" in result.translation


def test_without_following_every_occurrence_is_flagged_and_a_config_glossary_is_the_same(
    tiny_models, tmp_path
):
    config = tiny_config(tiny_models, num_beams=1, glossary_method="none", glossary_files=(str(TBX),))
    pipe = Pipeline(config)
    assert pipe.glossary.digest() == GLOSSARY.digest()
    result = pipe.process(NOTICE, summarize=False)
    assert result.translation == NOTICE.strip() or result.translation == NOTICE
    total, followed = followed_occurrences(result, GLOSSARY)
    keep = sum(1 for s in result.segments for m in GLOSSARY.find(s.text) if m.term.keep)
    assert followed == keep  # the copy model keeps do-not-translate terms and nothing else
    assert total - followed >= 25


def test_a_bad_glossary_in_the_config_stops_the_pipeline_in_one_line(tiny_models, tmp_path):
    bad = tmp_path / "g.tsv"
    bad.write_text("comune\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^glossary .*g\.tsv:1: 1 columns, expected source<TAB>target$"):
        Pipeline(tiny_config(tiny_models, glossary_files=(str(bad),)))


def test_the_check_finds_every_violation_in_forced_outputs(tiny_models, tmp_path):
    """The output cache rewritten so each translation differs from its source as a real
    one does: some terms rendered, some not, a kept term changed."""
    cache = tmp_path / "outputs.sqlite"
    config = tiny_config(tiny_models, num_beams=1, glossary_method="none", output_cache=str(cache))
    sentences = [
        "Il sindaco ha parlato.",
        "Il comune chiude e il sindaco parte.",
        "La TARI aumenta.",
        "Il Comune e la TARI.",
        "Nessun termine qui.",
    ]
    forced = [
        "The mayor spoke.",
        "The town closes and the mayor leaves.",
        "The Tari rises.",
        "The municipality and the waste tax.",
        "No term here.",
    ]
    Pipeline(config).translate(sentences)
    namespace = role_identity(config, "translator").key()
    OutputCache(cache).put(namespace, [(s, f, 0.0) for s, f in zip(sentences, forced, strict=True)])
    result = Pipeline(config, glossary=GLOSSARY).process("\n\n".join(sentences), summarize=False)
    assert result.translations == tuple(forced)
    terms = [[f.detail for f in flags if f.name == "term"] for flags in result.flags]
    assert terms == [
        [],
        ["'comune' not rendered 'municipality'"],
        ["'TARI' not kept as written"],
        ["'TARI' not kept as written"],
        [],
    ]
    with sqlite3.connect(cache) as db:
        assert db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0] == len(sentences)


def test_the_term_check_in_the_italian_summary_follows_the_glossary_reversed():
    settings = CheckSettings(glossary=GLOSSARY)
    assert check_segment("Il sindaco.", "The mayor.", None, settings) == ()
    (flag,) = check_segment("Il sindaco.", "The sindaco.", None, settings)
    assert flag.detail == "'sindaco' not rendered 'mayor'"
    assert GLOSSARY.reversed.unfollowed("The mayor spoke.", "Il primo cittadino ha parlato.") == [
        "'mayor' not rendered 'sindaco'"
    ]


def test_the_back_translator_follows_the_glossary_reversed(tiny_models):
    pipe = Pipeline(tiny_config(tiny_models, num_beams=1), glossary=GLOSSARY)
    assert pipe.translate_to_italian(["The mayor and the municipality."]) == ["The sindaco and the comune."]


# -- batch and the command line -------------------------------------------------------------


def test_a_changed_term_redoes_exactly_the_documents_it_occurs_in(tiny_models, tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.txt").write_text("Il sindaco parla.", encoding="utf-8")
    (inbox / "b.txt").write_text("Il comune chiude.", encoding="utf-8")
    (inbox / "c.txt").write_text("Piove a Roma.", encoding="utf-8")
    glossary = tmp_path / "g.tsv"
    glossary.write_text("sindaco\tmayor\ncomune\tmunicipality\n", encoding="utf-8")
    config = tiny_config(tiny_models, num_beams=1, glossary_files=(str(glossary),))
    options = BatchOptions(out_dir=tmp_path / "out", formats=("json",), summarize=False)
    first = run_batch(Pipeline(config), [str(inbox)], options)
    assert (first.processed, first.skipped) == (3, 0)
    glossary.write_text("sindaco\tmayor\ncomune\ttown\nvento\twind\n", encoding="utf-8")
    second = run_batch(Pipeline(config), [str(inbox)], options)
    assert (second.processed, second.skipped) == (1, 2)
    assert "town" in (tmp_path / "out" / "b.json").read_text(encoding="utf-8")
    none = run_batch(Pipeline(config.with_overrides(glossary_method="none")), [str(inbox)], options)
    assert (none.processed, none.skipped) == (2, 1)


def test_the_command_line_takes_glossaries_and_keep_terms(translate_flags, tmp_path):
    source = tmp_path / "avviso.txt"
    source.write_text("Il sindaco di Trastevere.", encoding="utf-8")
    runner = CliRunner()
    args = ["translate", str(source), *translate_flags, "--num-beams", "1", "--glossary", str(TSV)]
    done = runner.invoke(app, [*args, "--keep", "Trastevere"])
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == "Il mayor di Trastevere."
    bad = tmp_path / "bad.tsv"
    bad.write_text("vento\twind\nVento\tbreeze\n", encoding="utf-8")
    refused = runner.invoke(app, [*args, "--glossary", str(bad)])
    assert refused.exit_code == 2
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .endswith(f"bad.tsv:2: 'Vento' has two targets: 'wind' ({bad}:1) and 'breeze'")
    )
    wrong = runner.invoke(app, [*args, "--glossary-method", "magic"])
    assert wrong.exit_code == 2
    assert "--glossary-method must be one of inline, placeholder, none" in wrong.stderr


def test_a_term_inside_inline_markup_is_followed_and_the_markup_kept(tiny_models):
    import io

    import docx

    from pipeline.formats import read_format, translated_file
    from pipeline.types import Document

    pipe = Pipeline(tiny_config(tiny_models, num_beams=1), glossary=GLOSSARY)
    link = '<a href="https://comune.it/sindaco">'
    page = f"<p>Il parere della <b>Camera</b> dei Deputati, vedi {link}il comune</a>.</p>"
    assert pipe.translate_html([page]) == [
        f"<p>Il parere della <b>Chamber</b> of Deputies, vedi {link}il municipality</a>.</p>"
    ]
    word = docx.Document()
    paragraph = word.add_paragraph("Il parere della ")
    paragraph.add_run("Camera").bold = True
    paragraph.add_run(" dei Deputati è arrivato.")
    data = io.BytesIO()
    word.save(data)
    layout = read_format("docx", data.getvalue())
    result = pipe.process_many([Document("parere", layout.text, layout=layout)], summarize=False)
    (done,) = list(result)
    runs = docx.Document(io.BytesIO(translated_file(done))).paragraphs[0].runs
    assert "".join(r.text for r in runs) == "Il parere della Chamber of Deputies è arrivato."
    assert [r.text for r in runs if r.bold] == ["Chamber"]
