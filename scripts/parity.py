#!/usr/bin/env python3
"""Do it2en's two engines decode alike? Token-level agreement of CTranslate2 with
transformers' ``generate`` on full-size models under the real decoding settings.

Models: random-weight copies of opus-mt-it-en and distilbart-cnn-12-6 laid out as their hub
folders (``real_models.py``: settings in ``config.json``, no ``generation_config.json``),
with a bias on the end token so that the length limits bite (random weights otherwise
never end). Both engines are it2en's own (``build_engine``), at fp32 on the CPU, on the
same inputs and batches, greedy and with it2en's default beam width:

* opus-mt-it-en as it is (max_length 512, banned ``<pad>``, forced EOS, length penalty 1,
  no early stopping), and once more with ``max_length`` 12 so that the cap and its forced
  end token decide many outputs;
* distilbart-cnn-12-6 as it is (lengths 56..142, length penalty 2, no repeated 3-grams,
  early stopping, forced BOS and EOS).

Every beam difference is re-decoded with one setting changed on one engine to see what
explains it: ``renormalize_logits`` (transformers bans tokens after the softmax, CTranslate2
before) and ``stopping`` (transformers' ``early_stopping=False`` heuristic, which
CTranslate2 approximates with a patience: the difference goes away with transformers'
``early_stopping=True`` or another CTranslate2 patience).

Usage::

    python scripts/parity.py --quick --json parity.json   # about 8 minutes on 2 cores
    python scripts/parity.py --json parity.json           # more inputs
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_tiny_models import CORPUS  # noqa: E402
from real_models import build_distilbart, build_marian  # noqa: E402

BEAMS = 4  # it2en's default num_beams
# End-token logit biases, chosen by trying: with an untied random output layer the best of
# ~80,000 (50,000) logits is about 2.0 (2.6), and these make the end token win now and
# then, so that outputs range from empty to the length cap (Marian) and from the minimum
# length to the cap (distilbart).
MARIAN_END_BIAS = 1.1
BART_END_BIAS = 2.0


@dataclass(frozen=True)
class Suite:
    """One model under one set of decoding settings, and its inputs."""

    name: str
    role: str
    folder: Path
    texts: list[str]
    batch: int
    overrides: dict[str, Any]


def sentences(count: int, seed: int, words: tuple[int, int]) -> list[str]:
    """``count`` runs of corpus words, ``words`` long, as inputs."""
    rng = random.Random(seed)
    corpus = CORPUS.read_text(encoding="utf-8").split()
    out = []
    for _ in range(count):
        n = rng.randint(*words)
        start = rng.randrange(len(corpus) - n)
        out.append(" ".join(corpus[start : start + n]))
    return out


def engines(suite: Suite, beams: int, store: Path) -> tuple[Any, Any]:
    """it2en's torch and CTranslate2 engines for ``suite`` at fp32 on the CPU."""
    from pipeline import PipelineConfig, build_engine

    made = []
    for backend in ("torch", "ctranslate2"):
        config = PipelineConfig(
            translator=str(suite.folder),
            summarizer=str(suite.folder),
            device="cpu",
            precision="fp32",
            backend=backend,
            num_beams=beams,
            models_dir=str(store),
            offline=True,
        )
        made.append(build_engine(config, suite.role))
    return made[0], made[1]


def with_settings(folder: Path, target: Path, overrides: dict[str, Any]) -> Path:
    """A copy of ``folder`` (weights linked, not copied) whose config.json carries
    ``overrides``."""
    target.mkdir(parents=True, exist_ok=True)
    for file in folder.iterdir():
        if file.name != "config.json" and not (target / file.name).exists():
            (target / file.name).symlink_to(file.resolve())
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    (target / "config.json").write_text(json.dumps({**config, **overrides}, indent=2), encoding="utf-8")
    return target


def decode(engine: Any, texts: list[str], batch: int) -> list[list[int]]:
    out: list[list[int]] = []
    for i in range(0, len(texts), batch):
        out.extend(engine.generate_tokens(texts[i : i + batch]))
    return out


def first_divergence(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def explain(torch_engine: Any, ct2_engine: Any, text: str, expected: list[int], got: list[int]) -> str | None:
    """What a beam difference comes from: the one setting that, changed on one engine,
    makes the two agree. ``renormalize_logits``: transformers banning tokens after the
    softmax; ``stopping``: transformers' early_stopping=False heuristic against
    CTranslate2's patience."""
    # A diagnostic script: the engines' settings are swapped in place and put back.
    # CTranslate2 re-runs first: they are the cheap ones.
    settings, search = torch_engine._generation_config, ct2_engine._search
    try:
        for patience in (1.0, 2.0, 3.0, 4.0, 8.0):
            if patience != search.options["patience"]:
                ct2_engine._search = replace(search, options={**search.options, "patience": patience})
                if ct2_engine.generate_tokens([text])[0] == expected:
                    return "stopping"
        for name, change in (
            ("renormalize_logits", {"renormalize_logits": True}),
            ("stopping", {"early_stopping": True}),
        ):
            if any(getattr(settings, key) == value for key, value in change.items()):
                continue
            variant = copy.deepcopy(settings)
            for key, value in change.items():
                setattr(variant, key, value)
            torch_engine._generation_config = variant
            if torch_engine.generate_tokens([text])[0] == got:
                return name
    finally:
        torch_engine._generation_config, ct2_engine._search = settings, search
    return None


def run_suite(suite: Suite, store: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"cases": len(suite.texts), "settings": suite.overrides}
    for mode, beams in (("greedy", 1), ("beam", BEAMS)):
        started = time.perf_counter()
        torch_engine, ct2_engine = engines(suite, beams, store)
        reference = decode(torch_engine, suite.texts, suite.batch)
        candidate = decode(ct2_engine, suite.texts, suite.batch)
        differences = []
        for case, (a, b) in enumerate(zip(reference, candidate, strict=True)):
            if a != b:
                differences.append(
                    {
                        "case": case,
                        "first_divergence": first_divergence(a, b),
                        "torch_tokens": len(a),
                        "ct2_tokens": len(b),
                        "explained_by": explain(torch_engine, ct2_engine, suite.texts[case], a, b)
                        if beams > 1
                        else None,
                    }
                )
        lengths = [len(t) for t in reference]
        report[mode] = {
            "identical": 1 - len(differences) / len(suite.texts),
            "differences": differences,
            "output_tokens": {"min": min(lengths), "max": max(lengths), "mean": sum(lengths) / len(lengths)},
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(
            f"  {suite.name:<16} {mode:<6} identical {report[mode]['identical']:.0%} "
            f"({len(suite.texts) - len(differences)}/{len(suite.texts)}), output tokens "
            f"{min(lengths)}..{max(lengths)}, {report[mode]['seconds']} s",
            file=sys.stderr,
            flush=True,
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer inputs: about 8 minutes on 2 cores")
    parser.add_argument("--work", type=Path, help="where the models are built and kept [a temporary folder]")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args()
    import torch

    torch.manual_seed(0)
    work = args.work or Path(tempfile.mkdtemp(prefix="it2en-parity-"))
    marian, bart = work / "opus-mt-it-en", work / "distilbart-cnn-12-6"
    for folder, build, bias in (
        (marian, build_marian, MARIAN_END_BIAS),
        (bart, build_distilbart, BART_END_BIAS),
    ):
        if not (folder / "config.json").is_file():
            print(f"building {folder.name} ...", file=sys.stderr, flush=True)
            folder.mkdir(parents=True, exist_ok=True)
            build(folder, end_bias=bias, untied=True)
    n_marian, n_bart = (16, 4) if args.quick else (64, 12)
    suites = [
        Suite("opus-mt-it-en", "translator", marian, sentences(n_marian, 1, (4, 30)), 8, {}),
        Suite(
            "opus-mt-it-en@12",
            "translator",
            with_settings(marian, work / "opus-mt-it-en-cap12", {"max_length": 12}),
            sentences(n_marian, 2, (4, 30)),
            8,
            {"max_length": 12},
        ),
        Suite("distilbart", "summarizer", bart, sentences(n_bart, 3, (150, 400)), 2, {}),
    ]
    store = work / "store"
    started = time.perf_counter()
    reports = {suite.name: run_suite(suite, store) for suite in suites}
    cases = {mode: sum(r["cases"] for r in reports.values()) for mode in ("greedy", "beam")}
    summary = {
        mode + "_identical": sum(r[mode]["identical"] * r["cases"] for r in reports.values()) / cases[mode]
        for mode in ("greedy", "beam")
    }
    unexplained = sum(
        1 for r in reports.values() for d in r["beam"]["differences"] if d["explained_by"] is None
    )
    result = {
        **summary,
        "cases": cases["greedy"],
        "beam_unexplained": unexplained,
        "beams": BEAMS,
        "suites": reports,
        "seconds": round(time.perf_counter() - started, 1),
        "torch": torch.__version__,
    }
    print(
        f"greedy identical {summary['greedy_identical']:.1%}, beam identical {summary['beam_identical']:.1%} "
        f"({unexplained} beam differences unexplained), {result['cases']} cases per mode",
        file=sys.stderr,
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
