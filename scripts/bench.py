#!/usr/bin/env python3
"""Speed and memory of it2en's inference paths against plain transformers, in one run.

Models: full-size random-weight models built from the real checkpoints' configs and laid
out as their hub folders (``real_models.py``: opus-mt-it-en, d_model 512, 6+6 layers,
vocabulary 80,379; distilbart-cnn-12-6, d_model 1024, 12+6 layers, 50,264 rows), with
SentencePiece/BPE tokenizers trained on the project's Italian text and padded to the real
vocabulary sizes; random weights run at the speed of real ones. Or real model folders with
``--translator`` / ``--summarizer``.

Workload: news-like Italian sentences drawn from ``scripts/data/corpus_it.txt`` with a fixed
seed (no duplicates; a second workload with some, to show deduplication), and documents of
about 700 tokens for summaries. Random weights never emit a sensible end of sentence, so
every method is forced to the same output lengths: 1.1 x the longest source in the batch
for translations, 90 tokens for summaries.

it2en's rows run on its default settings (batches of at most 16 segments and 4,096 padded
tokens on CPU); raw CTranslate2 runs on the same batches, so that the difference is the
pipeline's own overhead; transformers runs one at a time or in batches of 32. The whole
pipeline row runs translation, summary and Italian summary through ``Pipeline.process_many``
(see :class:`StandIn` for how its stages get realistic inputs from random models).

Each method runs in its own subprocess (clean peak RSS). Usage::

    python scripts/bench.py --quick                   # a subset, under 5 minutes on 2 cores
    python scripts/bench.py --json bench.json         # the full table
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_tiny_models import CORPUS  # noqa: E402
from real_models import build_distilbart, build_marian  # noqa: E402

BEAMS = 4
LENGTH_RATIO = 1.1
SUMMARY_TOKENS = 90
SUMMARY_WORDS = 60  # about SUMMARY_TOKENS tokens of Italian-like text
BATCH = 32
LONG_LINE = 5_000_000  # bytes: a feed that arrives as one line
BIG = 1_000_000  # bytes: one long document through every stage


def translation_length(longest: int) -> int:
    return max(1, math.ceil(LENGTH_RATIO * longest))


def summary_length(_: int) -> int:
    return SUMMARY_TOKENS


# -- workloads ---------------------------------------------------------------------------


def sentences(count: int, seed: int) -> list[str]:
    """Distinct news-like sentences: runs of 7-17 corpus words (about 33 tokens),
    capitalised and ended, each one sentence to it2en's splitter (so that every method
    translates the same 400 units, none split into two)."""
    from pipeline import split_sentences

    rng = random.Random(seed)
    words = CORPUS.read_text(encoding="utf-8").split()
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < count:
        n = rng.randint(7, 17)
        start = rng.randrange(len(words) - n)
        run = [w.rstrip(".!?…;:") or w for w in words[start : start + n]]
        text = " ".join(run).rstrip(",") + "."
        text = text[0].upper() + text[1:]
        if text not in seen and len(split_sentences(text, "it")) == 1:
            seen.add(text)
            out.append(text)
    return out


def glossary_pairs(count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` two-word terms, a fifth of them found in the corpus (so that many
    sentences hold one or more) and the rest made of corpus words that never meet (a
    termbase is mostly terms a given text does not use), each rendered as its words
    swapped (a target as long as its source)."""
    rng = random.Random(seed)
    words = [w for w in CORPUS.read_text(encoding="utf-8").lower().split() if w.isalpha() and len(w) > 3]
    found = list(itertools.pairwise(words))
    chosen = dict.fromkeys(rng.sample(found, min(len(found), count // 5)))
    while len(chosen) < count:
        chosen.setdefault((rng.choice(words), rng.choice(words)))
    return [(f"{a} {b}", f"{b} {a}") for a, b in chosen]


def with_repeats(texts: list[str], share: float, seed: int) -> list[str]:
    """``texts`` with about ``share`` of them replaced by repeats of earlier ones: the same
    length profile, less distinct work."""
    rng = random.Random(seed)
    return [t if i == 0 or rng.random() >= share else rng.choice(texts[:i]) for i, t in enumerate(texts)]


def seen_before(texts: list[str], earlier: list[str], share: float, seed: int) -> list[str]:
    """``texts`` with about ``share`` of them replaced by sentences of an earlier run."""
    rng = random.Random(seed)
    return [earlier[i] if rng.random() < share else t for i, t in enumerate(texts)]


def documents(count: int, tokens: int, seed: int, tokenizer: Any) -> list[list[str]]:
    """``count`` documents of about ``tokens`` tokens, each a list of sentences."""
    rng = random.Random(seed)
    pool = [s.strip() + "." for s in CORPUS.read_text(encoding="utf-8").split(". ") if s.strip()]
    docs = []
    for _ in range(count):
        doc: list[str] = []
        while sum(len(tokenizer(s)["input_ids"]) for s in doc) < tokens - 40:
            doc.append(rng.choice(pool))
        docs.append(doc)
    return docs


# -- methods (each runs in a child process) ------------------------------------------------


def _hf(folder: str) -> tuple[Any, Any]:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
    return model, AutoTokenizer.from_pretrained(folder)


def _hf_generate(model: Any, tokenizer: Any, texts: list[str], length: int) -> list[str]:
    import copy

    import torch

    from pipeline import forced_max_length

    config = copy.copy(model.generation_config)
    config.num_beams = BEAMS
    config.min_length = config.max_length = forced_max_length(config, length)  # as it2en's engines
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = model.generate(**batch, generation_config=config)
    return tokenizer.batch_decode(out, skip_special_tokens=True)


def _batches(texts: list[str], lengths: list[int], sort: bool, size: int = BATCH) -> list[list[int]]:
    order = sorted(range(len(texts)), key=lambda i: -lengths[i]) if sort else list(range(len(texts)))
    return [order[i : i + size] for i in range(0, len(order), size)]


def method_hf(args: dict[str, Any]) -> dict[str, Any]:
    """transformers: one at a time (batch 1), or batches of 32 in input or sorted order."""
    model, tokenizer = _hf(args["model"])
    texts = args["texts"]
    lengths = [len(tokenizer(t)["input_ids"]) for t in texts]
    force = summary_length if args["task"] == "summary" else translation_length
    start = time.perf_counter()
    produced = 0
    if args["mode"] == "single":
        groups = [[i] for i in range(len(texts))]
    else:
        groups = _batches(texts, lengths, sort=args["mode"] == "sorted")
    for group in groups:
        length = force(max(lengths[i] for i in group))
        _hf_generate(model, tokenizer, [texts[i] for i in group], length)
        produced += length * len(group)
    return {"seconds": time.perf_counter() - start, "target_tokens": produced}


def _config(args: dict[str, Any]) -> Any:
    """it2en's settings for a method: the defaults, with the benchmark's model, beam and
    backend; batch limits are it2en's defaults."""
    from pipeline import PipelineConfig

    return PipelineConfig(
        translator=args["model"],
        summarizer=args.get("summarizer", args["model"]),
        back_translator=args["model"],
        device="cpu",
        num_beams=BEAMS,
        backend=args["backend"],
        precision=args.get("precision", "auto"),
        threads=args.get("threads") or 0,
        models_dir=args["store"],
        offline=True,
    )


def method_it2en(args: dict[str, Any]) -> dict[str, Any]:
    """it2en's own path: Pipeline.translate (following ``glossary`` pairs when given), or
    summarize_many for summaries."""
    from pipeline import Pipeline, build_engine, summarize_many
    from pipeline.terms import Glossary

    config = _config(args)
    if args.get("cache"):
        config = config.with_overrides(output_cache=args["cache"])
    summary = args["task"] == "summary"
    role = "summarizer" if summary else "translator"
    engine = build_engine(config, role, forced_length=summary_length if summary else translation_length)
    pipe = Pipeline(config, engines={"translator": engine}, glossary=Glossary.of(args.get("glossary", ())))
    if args.get("earlier"):  # an earlier run, untimed, that fills the output cache
        pipe.translate(args["earlier"])
    start = time.perf_counter()
    if summary:
        limits = {
            "max_tokens": config.summary_batch_tokens_for("cpu"),
            "max_size": config.batch_size_for("cpu"),
        }
        summarize_many(args["texts"], engine, **limits)
    else:
        pipe.translate(args["texts"])
    return {"seconds": time.perf_counter() - start}


class StandIn:
    """An engine that does all of a real engine's work (same batches, forced lengths) but
    hands on a stand-in text of realistic size instead of the random model's filler.

    Random weights turn out filler tokens that the next model's tokenizer splits into far
    more pieces than real English, which would make the summarizer's work explode. With a
    stand-in, every stage downstream gets the input sizes real models would give it.
    """

    def __init__(self, engine: Any, stand_in: Any):
        self._engine = engine
        self._stand_in = stand_in
        self.name = engine.name
        self.max_input_tokens = engine.max_input_tokens

    def count_tokens(self, texts: Any) -> list[int]:
        return self._engine.count_tokens(texts)

    def generate(self, texts: Any) -> list[str]:
        self._engine.generate(texts)
        return [self._stand_in(t) for t in texts]

    def generate_scored(self, texts: Any) -> list[tuple[str, float | None]]:
        scored = self._engine.generate_scored(texts)
        return [(self._stand_in(t), score) for t, (_, score) in zip(texts, scored, strict=True)]


def lead(text: str, words: int = SUMMARY_WORDS) -> str:
    """A summary stand-in: the text's leading sentences, about ``words`` words."""
    out: list[str] = []
    for sentence in text.split(". "):
        out.append(sentence.rstrip("."))
        if sum(len(s.split()) for s in out) >= words:
            break
    return ". ".join(out) + "."


def method_pipeline(args: dict[str, Any]) -> dict[str, Any]:
    """The whole job, Pipeline.process_many: translate, summarize, Italian summary; each
    stage's output replaced by a :class:`StandIn` (a copy for the two translators, the lead
    for the summarizer)."""
    from pipeline import CheckSettings, Pipeline, build_engine, check_result

    config = _config(args)
    roles = {  # forced length, stand-in output
        "translator": (translation_length, str),
        "summarizer": (summary_length, lead),
        "back-translator": (translation_length, str),
    }
    engines = {
        role: StandIn(build_engine(config, role, forced_length=force), stand_in)
        for role, (force, stand_in) in roles.items()
    }
    start = time.perf_counter()
    results = list(Pipeline(config, engines=engines).process_many(args["texts"]))
    seconds = time.perf_counter() - start
    failed = [r for r in results if not hasattr(r, "summary")]
    if failed:
        raise SystemExit(f"whole pipeline: {len(failed)} documents failed: {failed[0]}")
    # The trust checks ran inside the timed run; timed again alone, their share of it.
    settings = CheckSettings.from_config(config)
    start = time.perf_counter()
    checked = [check_result(r, settings) for r in results]
    checks_seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "segments": sum(len(r.segments) for r in results),
        "summary_kinds": sorted({r.summary.kind for r in results}),
        "checks_seconds": checks_seconds,
        "checks_share": checks_seconds / seconds,
        "flagged_segments": sum(1 for r in checked for flags in r.flags if flags),
    }


def method_ct2_raw(args: dict[str, Any]) -> dict[str, Any]:
    """CTranslate2 int8 straight on token lists in sorted batches: the floor for it2en."""
    import ctranslate2
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args["model"])
    translator = ctranslate2.Translator(
        args["converted"], device="cpu", compute_type="int8", intra_threads=args["threads"]
    )
    texts = args["texts"]
    tokens = [tokenizer.convert_ids_to_tokens(tokenizer(t)["input_ids"]) for t in texts]
    start = time.perf_counter()
    for group in _batches(texts, [len(t) for t in tokens], sort=True, size=args["batch"]):
        # As it2en's engines: the forced length, plus the step of the end token that
        # opus-mt's forced_eos_token_id adds.
        length = translation_length(max(len(tokens[i]) for i in group)) + 1
        results = translator.translate_batch(
            [tokens[i] for i in group],
            beam_size=BEAMS,
            min_decoding_length=length,
            max_decoding_length=length,
            max_batch_size=0,
        )
        tokenizer.batch_decode([tokenizer.convert_tokens_to_ids(r.hypotheses[0]) for r in results])
    return {"seconds": time.perf_counter() - start}


def method_long_line(args: dict[str, Any]) -> dict[str, Any]:
    """Segmenting one line of ``args["bytes"]`` bytes (a feed without line breaks) with the
    translator's tokenizer and input limit: sentence splitting and long-sentence cutting,
    no model."""
    from pipeline import segment_document

    count_tokens = Instant(args["model"], 512, str).count_tokens
    corpus = CORPUS.read_text(encoding="utf-8").replace("\n", " ")
    text = (corpus + " ") * (args["bytes"] // len(corpus.encode()) + 1)
    text = text[: len(text.encode()[: args["bytes"]].decode(errors="ignore"))]
    start = time.perf_counter()
    segments = segment_document(text, count_tokens, 512)
    seconds = time.perf_counter() - start
    if " ".join(s.text for s in segments).split() != text.split():
        raise SystemExit("long line: segments do not cover the text")
    return {"seconds": seconds, "segments": len(segments), "bytes": len(text.encode())}


class Instant:
    """An engine that counts tokens with a real tokenizer and answers at once with a
    stand-in output: the pipeline's own work on a document (segmenting, batching,
    reassembly, summary windows, grounding, trust checks), without the models' time."""

    name = "instant"

    def __init__(self, folder: str, limit: int, stand_in: Any):
        from transformers import AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(folder)
        self.max_input_tokens = limit
        self._stand_in = stand_in

    def count_tokens(self, texts: Any) -> list[int]:
        encoded = self._tokenizer(list(texts), truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def generate(self, texts: Any) -> list[str]:
        return [self._stand_in(t) for t in texts]

    def generate_scored(self, texts: Any) -> list[tuple[str, float | None]]:
        return [(self._stand_in(t), -0.5) for t in texts]


def method_big_document(args: dict[str, Any]) -> dict[str, Any]:
    """One document of ``args["bytes"]`` bytes (news paragraphs) through the whole
    pipeline, trust checks, the HTML report and the Markdown output included, on
    :class:`Instant` engines: every stage but the models, which must be linear."""
    from pipeline import Document, Pipeline
    from pipeline.render import render_markdown
    from pipeline.report import render_html

    corpus = [line for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    paragraphs, size = [], 0
    while size < args["bytes"]:
        paragraph = " ".join(corpus[(len(paragraphs) * 4 + k) % len(corpus)] for k in range(4))
        paragraphs.append(paragraph)
        size += len(paragraph.encode()) + 2
    text = "\n\n".join(paragraphs)
    engines = {
        "translator": Instant(args["model"], 512, str),
        "summarizer": Instant(args["summarizer"], 1024, lead),
        "back-translator": Instant(args["model"], 512, str),
    }
    start = time.perf_counter()
    [result] = Pipeline(_config(args), engines=engines).process_many([Document(id="big", text=text)])
    pipeline_seconds = time.perf_counter() - start
    render_html(result), render_markdown(result)
    return {
        "seconds": time.perf_counter() - start,
        "pipeline_seconds": pipeline_seconds,
        "bytes": len(text.encode()),
        "segments": len(result.segments),
        "summary_points": len(result.summary.points),
    }


METHODS = {
    "hf": method_hf,
    "it2en": method_it2en,
    "ct2_raw": method_ct2_raw,
    "pipeline": method_pipeline,
    "long_line": method_long_line,
    "big_document": method_big_document,
}


def child(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    if spec["method"] == "hf" or spec.get("backend") == "torch":
        # Only where torch runs: the CTranslate2 rows' memory is measured without it.
        import torch

        torch.set_num_threads(spec.get("threads") or torch.get_num_threads())
    result = METHODS[spec["method"]](spec)
    result["peak_rss_mb"] = peak_rss_mb()
    result["torch_imported"] = "torch" in sys.modules
    print(json.dumps(result))


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss would
    also count the parent's memory inherited through fork."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(work: Path, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    path = work / f"{name}.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    print(f"  running {name} ...", file=sys.stderr, flush=True)
    proc = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- main --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subset that runs in under 5 minutes")
    parser.add_argument("--sentences", type=int, help="translation workload size [400; quick 48]")
    parser.add_argument("--documents", type=int, help="summary workload size [8; quick 2]")
    parser.add_argument("--translator", type=Path, help="a real Marian model folder")
    parser.add_argument("--summarizer", type=Path, help="a real BART model folder")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    import torch
    from transformers import AutoConfig, AutoTokenizer

    from pipeline import PipelineConfig

    cpu_batch = PipelineConfig().batch_size_for("cpu")
    work = Path(tempfile.mkdtemp(prefix="it2en-bench-"))
    store = work / "store"
    translator = args.translator or work / "opus-mt-it-en-random"
    summarizer = args.summarizer or work / "distilbart-cnn-12-6-random"
    for folder, build in ((translator, build_marian), (summarizer, build_distilbart)):
        if not folder.exists():
            print(f"building {folder.name} ...", file=sys.stderr, flush=True)
            folder.mkdir(parents=True)
            build(folder)
    n_sent = args.sentences or (48 if args.quick else 400)
    n_docs = args.documents or (2 if args.quick else 8)
    texts = sentences(n_sent, seed=1)
    with_dups = with_repeats(texts, share=0.3, seed=2)
    tok = AutoTokenizer.from_pretrained(translator)
    mean_tokens = sum(len(tok(t)["input_ids"]) for t in texts) / len(texts)
    docs = documents(n_docs, 700, seed=3, tokenizer=AutoTokenizer.from_pretrained(summarizer))

    from ctranslate2.converters import TransformersConverter

    converted = store / "raw-ct2-int8"
    TransformersConverter(str(translator)).convert(str(converted), quantization="int8", force=True)

    common = {"store": str(store), "threads": torch.get_num_threads()}
    tr = {**common, "task": "translation", "model": str(translator), "texts": texts}
    sm = {**common, "task": "summary", "model": str(summarizer), "texts": [" ".join(d) for d in docs]}
    # it2en converts a model for CTranslate2 once and caches it; do that here, so that the
    # measured runs show the steady state (the conversion's own peak is reported apart).
    conversion = run(work, "convert", {**tr, "method": "it2en", "backend": "ctranslate2", "texts": texts[:1]})
    run(work, "convert-sum", {**sm, "method": "it2en", "backend": "ctranslate2", "texts": docs[:1]})
    rows: dict[str, dict[str, Any]] = {}
    naive_texts = texts[: max(6, n_sent // 8)] if args.quick else texts
    rows["transformers, one sentence at a time (naive)"] = {
        **run(work, "naive", {**tr, "method": "hf", "mode": "single", "texts": naive_texts}),
        "n": len(naive_texts),
    }
    if not args.quick:
        rows["transformers, batches of 32 in input order"] = run(
            work, "input", {**tr, "method": "hf", "mode": "input"}
        )
    rows["transformers, length-sorted batches of 32"] = run(
        work, "sorted", {**tr, "method": "hf", "mode": "sorted"}
    )
    rows["it2en torch backend"] = run(work, "it2en-torch", {**tr, "method": "it2en", "backend": "torch"})
    if not args.quick:
        rows["it2en torch backend, int8"] = run(
            work, "it2en-torch-int8", {**tr, "method": "it2en", "backend": "torch", "precision": "int8"}
        )
    rows["it2en default (CTranslate2 int8)"] = run(
        work, "it2en-ct2", {**tr, "method": "it2en", "backend": "ctranslate2"}
    )
    raw_name = f"raw CTranslate2 int8, sorted batches of {cpu_batch}"
    rows[raw_name] = run(
        work, "ct2-raw", {**tr, "method": "ct2_raw", "converted": str(converted), "batch": cpu_batch}
    )
    if not args.quick:  # what it2en's narrower CPU batches save
        rows[f"raw CTranslate2 int8, sorted batches of {BATCH}"] = run(
            work, "ct2-raw-wide", {**tr, "method": "ct2_raw", "converted": str(converted), "batch": BATCH}
        )
    pairs = glossary_pairs(1000, seed=6)
    rows["it2en default, following a 1,000-entry glossary"] = run(
        work, "it2en-ct2-glossary", {**tr, "method": "it2en", "backend": "ctranslate2", "glossary": pairs}
    )
    from pipeline.terms import Glossary

    with_terms = sum(bool(Glossary.of(pairs).find(t)) for t in texts) / len(texts)
    dedup = run(
        work, "it2en-ct2-dups", {**tr, "method": "it2en", "backend": "ctranslate2", "texts": with_dups}
    )
    unique_share = len(set(with_dups)) / len(with_dups)

    earlier = sentences(n_sent, seed=4)
    later = seen_before(texts, earlier, share=0.3, seed=5)
    ct2 = {**tr, "method": "it2en", "backend": "ctranslate2", "texts": later}
    uncached = run(work, "cache-off", ct2)
    cached = run(work, "cache-on", {**ct2, "earlier": earlier, "cache": str(work / "outputs.sqlite")})

    sum_naive = run(work, "sum-naive", {**sm, "method": "hf", "mode": "single"})
    sum_it2en = run(work, "sum-it2en", {**sm, "method": "it2en", "backend": "ctranslate2", "texts": docs})
    whole = {**common, "method": "pipeline", "model": str(translator), "summarizer": str(summarizer)}
    whole["texts"] = ["\n\n".join(" ".join(d[i : i + 4]) for i in range(0, len(d), 4)) for d in docs]
    backends = {"it2en default (CTranslate2 int8)": "ctranslate2", "it2en torch backend": "torch"}
    if args.quick:
        backends.popitem()
    pipelines = {
        name: run(work, f"pipeline-{backend}", {**whole, "backend": backend})
        for name, backend in backends.items()
    }

    long_line = run(
        work, "long-line", {**common, "method": "long_line", "model": str(translator), "bytes": LONG_LINE}
    )
    big_spec = {**whole, "backend": "ctranslate2", "method": "big_document", "bytes": BIG}
    big = run(work, "big-document", big_spec)

    for row in rows.values():
        row["sentences_per_s"] = row.get("n", n_sent) / row["seconds"]
    naive = rows["transformers, one sentence at a time (naive)"]["sentences_per_s"]
    print(
        f"\nmachine: {torch.get_num_threads()} threads, torch {torch.__version__}; beam {BEAMS}; "
        f"{n_sent} sentences (mean {mean_tokens:.1f} source tokens), outputs forced to "
        f"{LENGTH_RATIO}x source\n"
    )
    print("| method | sentences/s | x naive | peak RSS MB |\n|---|---|---|---|")
    for name, row in rows.items():
        rate = row["sentences_per_s"]
        print(f"| {name} | {rate:.2f} | {rate / naive:.1f} | {row['peak_rss_mb']:.0f} |")
    dedup_rate = n_sent / dedup["seconds"]
    ct2_rate = rows["it2en default (CTranslate2 int8)"]["sentences_per_s"]
    glossary_ratio = rows["it2en default, following a 1,000-entry glossary"]["sentences_per_s"] / ct2_rate
    print(
        f"\nglossary: 1,000 entries, {with_terms:.0%} of the sentences hold a term: "
        f"{glossary_ratio:.2f}x the throughput without"
    )
    print(
        f"\ndeduplication: {unique_share:.0%} distinct sentences -> {dedup_rate:.2f} sentences/s "
        f"({dedup_rate / ct2_rate:.2f}x the all-distinct workload)"
    )
    print(
        f"output cache: a run in which 30% of the sentences were translated by an earlier run: "
        f"{uncached['seconds']:.1f} s without the cache, {cached['seconds']:.1f} s with it "
        f"({uncached['seconds'] / cached['seconds']:.2f}x)"
    )
    per_doc_naive = sum_naive["seconds"] / n_docs
    per_doc_it2en = sum_it2en["seconds"] / n_docs
    print(
        f"summaries ({n_docs} documents of ~700 tokens -> {SUMMARY_TOKENS}): transformers one at a time "
        f"{per_doc_naive:.2f} s/doc, it2en {per_doc_it2en:.2f} s/doc ({per_doc_naive / per_doc_it2en:.1f}x), "
        f"peak RSS {sum_naive['peak_rss_mb']:.0f} / {sum_it2en['peak_rss_mb']:.0f} MB"
    )
    print(
        f"\nwhole pipeline (translate, summarize, Italian summary; {n_docs} documents of ~700 tokens "
        "in paragraphs of 4 sentences, default batch limits):"
    )
    for name, row in pipelines.items():
        print(
            f"  {name}: {row['seconds'] / n_docs:.2f} s/doc ({row['segments']} segments), "
            f"peak RSS {row['peak_rss_mb']:.0f} MB; trust checks {row['checks_share']:.1%} of the time"
        )
    print(
        f"one {long_line['bytes'] / 1e6:.1f} MB line segmented in {long_line['seconds']:.1f} s "
        f"({long_line['segments']} segments of at most 512 tokens)"
    )
    default_pipeline = pipelines["it2en default (CTranslate2 int8)"]
    model_seconds = default_pipeline["seconds"] / default_pipeline["segments"] * big["segments"]
    big["model_seconds_projected"] = model_seconds
    big["share_of_model_time"] = big["seconds"] / model_seconds
    print(
        f"one {big['bytes'] / 1e6:.1f} MB document ({big['segments']} segments, "
        f"{big['summary_points']} summary points) through every stage but the models, checks and "
        f"reports included: {big['seconds']:.1f} s; "
        f"the models would take about {model_seconds:.0f} s at the whole pipeline's rate "
        f"({big['share_of_model_time']:.1%} of it)"
    )
    raw = rows[raw_name]["seconds"]
    results = {
        "long_line": long_line,
        "big_document": big,
        "speedup_translation": ct2_rate / naive,
        "speedup_summarization": per_doc_naive / per_doc_it2en,
        "overhead_vs_raw_ct2": rows["it2en default (CTranslate2 int8)"]["seconds"] / raw - 1,
        "dedup_speedup": dedup_rate / ct2_rate,
        "glossary": {
            "entries": len(pairs),
            "sentences_with_terms": with_terms,
            "throughput_ratio": glossary_ratio,
        },
        "pipeline_peak_rss_mb": pipelines["it2en default (CTranslate2 int8)"]["peak_rss_mb"],
        "cache_rerun_speedup": uncached["seconds"] / cached["seconds"],
        "output_cache": {
            "seen_before_share": 0.3,
            "seconds_uncached": uncached["seconds"],
            "seconds_cached": cached["seconds"],
            "speedup": uncached["seconds"] / cached["seconds"],
        },
        "conversion_peak_rss_mb": conversion["peak_rss_mb"],
        "peak_rss_mb": {name: row["peak_rss_mb"] for name, row in rows.items()}
        | {"summaries, transformers": sum_naive["peak_rss_mb"], "summaries, it2en": sum_it2en["peak_rss_mb"]}
        | {f"whole pipeline, {name}": row["peak_rss_mb"] for name, row in pipelines.items()},
        "whole_pipeline": {
            name: {"seconds_per_document": row["seconds"] / n_docs, **row} for name, row in pipelines.items()
        },
        "model_dims": {
            name: {k: getattr(cfg, k) for k in ("d_model", "encoder_layers", "decoder_layers", "vocab_size")}
            for name, cfg in (
                ("translator", AutoConfig.from_pretrained(translator)),
                ("summarizer", AutoConfig.from_pretrained(summarizer)),
            )
        },
        "workload": {
            "sentences": n_sent,
            "mean_source_tokens": mean_tokens,
            "documents": n_docs,
            "beams": BEAMS,
            "length_ratio": LENGTH_RATIO,
            "summary_tokens": SUMMARY_TOKENS,
            "quick": args.quick,
        },
        "rows": rows,
    }
    print(f"overhead vs raw CTranslate2: {results['overhead_vs_raw_ct2']:+.1%}")
    print(f"one-time CTranslate2 conversion of the translator: peak RSS {conversion['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
