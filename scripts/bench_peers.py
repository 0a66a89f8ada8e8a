#!/usr/bin/env python3
"""it2en beside its peers on the same engine: argos-translate and LibreTranslate, measured
side by side on one machine, with the same model, threads, text and decoding.

The peers come from PyPI, each in a virtual environment of its own that this script makes
(``WORK/venvs``; they pin versions of their own and never touch it2en's environment):
argostranslate, and libretranslate (which runs on its own fork, argos-translate-lt).

The model: the full-size random-weight opus-mt-it-en of ``scripts/bench.py``, converted to
CTranslate2 int8 by it2en; the peers get that very folder in an ``.argosmodel`` package
with its SentencePiece model and a MiniSBD sentence model (argos' default sentence
splitter downloads its models from GitHub at first use: the package carries a rule model
of the same interface instead, see ``peers/peer_side.py``). Every process, it2en's
included, runs with the same CTranslate2 wrapper that forces each call's output to 1.1x
its longest source (random weights never end a sentence), so all decode the same way.

Measured:

* **library vs library**: ``Pipeline.translate`` against ``argostranslate.translate`` on
  the same paragraphs (one call per paragraph, as an application translating a
  document), greedy and beam 4; argos at its defaults and at the best of a small sweep of
  ``ARGOS_BATCH_SIZE`` and threads;
* **workers**: it2en's CPU engine before and after it ran a batch as two halves at once
  (batches of 8 on one worker, against 16 dealt to two workers);
* **documents**: ``it2en translate`` of a web page and a Word file against
  argos-translate-files (LibreTranslate's file translation), and whether each copy opens;
* **one-shot**: each tool's own command line on one 500-word article from a cold start,
  and where it2en's time goes (import, model load, translation);
* **service vs service**: ``it2en serve`` against ``libretranslate --load-only it,en`` at
  its defaults under the closed loop of ``scripts/bench_serve.py``, at 1, 8 and 32
  clients, with each server's peak resident memory.

Usage::

    python scripts/bench_peers.py --quick --json scripts/results/peers.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "peers"))

from bench import sentences  # noqa: E402
from peer_side import force_lengths, peak_rss_mb, timed_translation  # noqa: E402

PEERS = {
    "argos": ["argostranslate==1.11.0", "torch==2.13.0", "onnx"],
    "libretranslate": ["libretranslate==1.9.6", "onnx"],
}
PEER_SIDE = HERE / "peers" / "peer_side.py"
DECODINGS = {"greedy": 1, "beam4": 4}


# -- the text --------------------------------------------------------------------------------


def paragraphs(count: int, seed: int) -> list[str]:
    """News-like paragraphs of 3-5 sentences, each sentence ending in its only full stop,
    and each paragraph split by it2en into exactly those sentences (so that every
    sentence splitter here finds the same ones: it2en's own, for one, reads "in." before
    a capital as no sentence end)."""
    from pipeline import split_sentences

    rng = random.Random(seed)
    pool = [s for s in sentences(count * 12, seed) if not any(c in s[:-1] for c in ".!?")]
    out: list[str] = []
    while len(out) < count:
        take = rng.randint(3, 5)
        if len(pool) < take:
            raise SystemExit("the corpus ran out of sentences for the paragraphs")
        paragraph = " ".join(pool[:take])
        if len(split_sentences(paragraph, "it")) == take:
            out.append(paragraph)
            pool = pool[take:]
        else:
            pool = pool[1:]
    return out


def article(words: int, seed: int) -> str:
    """Paragraphs until ``words`` words: the one-shot's article."""
    out: list[str] = []
    for paragraph in paragraphs(40, seed):
        out.append(paragraph)
        if sum(len(p.split()) for p in out) >= words:
            break
    return "\n\n".join(out) + "\n"


# -- environments ------------------------------------------------------------------------


class Peer:
    """A peer's virtual environment under ``work/venvs/NAME`` and its own data folders
    (packages, caches, settings: never the user's)."""

    def __init__(self, work: Path, name: str) -> None:
        self.name, self.folder = name, work / "venvs" / name
        self.home = work / "homes" / name
        self.python = self.folder / "bin" / "python"

    def make(self) -> None:
        if not self.python.exists():
            print(f"making {self.folder} ...", file=sys.stderr, flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(self.folder)], check=True)
        subprocess.run(
            [
                str(self.python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                *PEERS[self.name],
            ],
            check=True,
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOS_", "LT_", "VIRTUAL_ENV"))}
        for kind in ("DATA", "CACHE", "CONFIG"):
            env[f"XDG_{kind}_HOME"] = str(self.home / kind.lower())
        env.update(HF_HUB_OFFLINE="1", ARGOS_DEVICE_TYPE="cpu", **extra)
        return env

    def versions(self) -> dict[str, str]:
        names = [
            "argostranslate",
            "argos-translate-lt",
            "libretranslate",
            "argos-translate-files",
            "ctranslate2",
            "minisbd",
            "beautifulsoup4",
            "lxml",
        ]
        code = "import importlib.metadata as m, json, sys\n"
        code += "v = {}\nfor n in sys.argv[1:]:\n    try: v[n] = m.version(n)\n    except Exception: pass\n"
        code += "print(json.dumps(v))"
        out = subprocess.run(
            [str(self.python), "-c", code, *names], capture_output=True, text=True, check=True
        )
        return dict(json.loads(out.stdout))

    def install(self, packages: list[Path]) -> None:
        code = "import sys\nfrom argostranslate import package\n"
        code += "for p in sys.argv[1:]: package.install_from_path(p)"
        subprocess.run([str(self.python), "-c", code, *map(str, packages)], env=self.env(), check=True)


def converted_model(work: Path, translator: Path) -> Path:
    """it2en's CTranslate2 int8 conversion of ``translator`` (made on first use)."""
    from pipeline import Pipeline

    Pipeline(it2en_config(work, translator, 1)).translate(["Una prova."])
    found = sorted((work / "cache").rglob("model.bin"))
    if not found:
        raise SystemExit("it2en made no CTranslate2 conversion")
    return found[0].parent


def it2en_config(work: Path, translator: Path, beams: int, **overrides: Any) -> Any:
    from pipeline import PipelineConfig

    return PipelineConfig(
        translator=str(translator),
        device="cpu",
        num_beams=beams,
        backend="ctranslate2",
        cache_dir=str(work / "cache"),
        models_dir=str(work),
        offline=True,
        **overrides,
    )


def packages(work: Path, argos: Peer, model: Path, spm: Path) -> list[Path]:
    """The it->en package and an en->it one (LibreTranslate downloads the whole index
    when fewer than two are installed)."""
    out = []
    for source, target in (("it", "en"), ("en", "it")):
        path = work / f"translate-{source}_{target}.argosmodel"
        if not path.exists():
            command = [str(argos.python), str(PEER_SIDE), "package", str(path), "--model", str(model)]
            command += ["--spm", str(spm), "--from", source, "--to", target]
            subprocess.run(command, check=True, env=argos.env())
        out.append(path)
    return out


# -- library vs library ------------------------------------------------------------------


def child_it2en(spec: dict[str, Any]) -> dict[str, Any]:
    """it2en's library in this (fresh) process: ``Pipeline.translate`` on the paragraphs."""
    started = time.perf_counter()
    force_lengths()
    from pipeline import Pipeline

    imported = time.perf_counter()
    work, translator = Path(spec["work"]), Path(spec["translator"])
    output_cache = tempfile.mkdtemp(prefix="it2en-peers-cache-")
    overrides: dict[str, Any] = {"output_cache": output_cache + "/outputs.sqlite"}
    if spec.get("before_workers"):  # it2en as it was: batches of 8 on one worker
        from pipeline.engines import ct2

        ct2.workers = lambda device, threads: 1
        overrides["batch_size"] = 8
    config = it2en_config(work, translator, spec["beams"], **overrides)
    try:
        return timed_translation(started, imported, Pipeline(config).translate, spec)
    finally:
        shutil.rmtree(output_cache, ignore_errors=True)


def measure(command: list[str], spec: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a measuring child on ``spec`` and read its JSON line, with paragraphs/s and
    output tokens/s added."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    try:
        proc = subprocess.run([*command, handle.name], capture_output=True, text=True, env=env)
    finally:
        os.unlink(handle.name)
    if proc.returncode != 0:
        raise SystemExit(f"{command[1]} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["paragraphs_per_s"] = len(spec["paragraphs"]) / result["seconds"]
    result["output_tokens_per_s"] = result["output_tokens"] / result["seconds"]
    return result


DEFAULTS = "batch32_inter1_intra0"
ARGOS_SWEEP = {  # ARGOS_BATCH_SIZE (tokens), ARGOS_INTER_THREADS, ARGOS_INTRA_THREADS
    f"batch{batch}_inter{inter}_intra{intra}": (batch, inter, intra)
    for batch, inter, intra in [(32, 1, 0), (32, 1, 2), (256, 1, 2), (1024, 1, 2), (4096, 1, 2), (1024, 2, 1)]
}


def argos_env(argos: Peer, beams: int, settings: tuple[int, int, int]) -> dict[str, str]:
    batch, inter, intra = settings
    return argos.env(
        ARGOS_BEAM_SIZE=str(beams),
        ARGOS_BATCH_SIZE=str(batch),
        ARGOS_INTER_THREADS=str(inter),
        ARGOS_INTRA_THREADS=str(intra),
    )


def library(
    work: Path, translator: Path, argos: Peer, texts: dict[str, list[str]], rounds: int
) -> dict[str, Any]:
    """it2en against argos at its defaults and at its best, greedy and beam 4: a sweep
    of argos' settings, then ``rounds`` rounds of it2en and argos at its best taking
    turns (this machine's speed drifts by tens of percent over minutes, so each side's
    best round is kept: both meet the same drift)."""
    rows: dict[str, Any] = {}
    it2en = [sys.executable, __file__, "--child"]
    argos_lib = [str(argos.python), str(PEER_SIDE), "lib"]
    for name, beams in DECODINGS.items():
        spec = {**texts, "work": str(work), "translator": str(translator), "beams": beams}
        sweep = {key: measure(argos_lib, spec, argos_env(argos, beams, s)) for key, s in ARGOS_SWEEP.items()}
        for key, row in sweep.items():
            print(f"  argos {name} {key}: {row['paragraphs_per_s']:.2f} paragraphs/s", file=sys.stderr)
        best = max(sweep, key=lambda k: sweep[k]["paragraphs_per_s"])
        mine, theirs = [], [sweep[best]]
        for _ in range(rounds):
            mine.append(measure(it2en, spec))
            theirs.append(measure(argos_lib, spec, argos_env(argos, beams, ARGOS_SWEEP[best])))
        fastest = {
            "it2en": min(mine, key=lambda r: r["seconds"]),
            "argos": min(theirs, key=lambda r: r["seconds"]),
        }
        rows[f"it2en_{name}"] = {**fastest["it2en"], "rounds_s": [r["seconds"] for r in mine]}
        rows[f"argos_{name}_default"] = sweep[DEFAULTS]
        rows[f"argos_{name}_best"] = {
            **fastest["argos"],
            "settings": best,
            "rounds_s": [r["seconds"] for r in theirs],
        }
        rows[f"argos_{name}_sweep"] = {k: v["paragraphs_per_s"] for k, v in sweep.items()}
        # Speedups on the same text's wall time (paragraphs/s); tokens/s beside them
        # counts the forced steps, which differ with how each tool batches.
        for peer, row in (("default", sweep[DEFAULTS]), ("best", fastest["argos"])):
            rows[f"speedup_{name}_vs_{peer}"] = fastest["it2en"]["paragraphs_per_s"] / row["paragraphs_per_s"]
            ratio = fastest["it2en"]["output_tokens_per_s"] / row["output_tokens_per_s"]
            rows[f"token_speedup_{name}_vs_{peer}"] = ratio
        speedup = rows[f"speedup_{name}_vs_best"]
        print(f"library {name}: {speedup:.2f}x argos at its best ({best})", file=sys.stderr)
    return rows


def workers(work: Path, translator: Path, texts: dict[str, list[str]], rounds: int) -> dict[str, Any]:
    """it2en's CPU engine before and after its batch workers (batches of 8 on one
    CTranslate2 worker of all threads, against batches of 16 dealt to two workers of
    half the threads each), taking turns, each side's best round."""
    rows: dict[str, Any] = {}
    it2en = [sys.executable, __file__, "--child"]
    for name, beams in DECODINGS.items():
        spec = {**texts, "work": str(work), "translator": str(translator), "beams": beams}
        runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        for _ in range(rounds):
            runs["before"].append(measure(it2en, {**spec, "before_workers": True}))
            runs["after"].append(measure(it2en, spec))
        for side, tries in runs.items():
            best = min(tries, key=lambda r: r["seconds"])
            rows[f"{side}_{name}"] = {**best, "rounds_s": [r["seconds"] for r in tries]}
        rows[f"speedup_{name}"] = (
            rows[f"after_{name}"]["paragraphs_per_s"] / rows[f"before_{name}"]["paragraphs_per_s"]
        )
        print(f"workers {name}: {rows[f'speedup_{name}']:.2f}x the single worker", file=sys.stderr)
    return rows


# -- one-shot --------------------------------------------------------------------------------


def timed(
    command: list[str], stdin: str | None, env: dict[str, str] | None = None, *, prints: bool = True
) -> dict[str, float]:
    """Wall time of ``command`` and the time its first output byte took (``prints``:
    it must write something on stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
    assert proc.stdout is not None
    first = proc.stdout.read(1)
    first_s = time.perf_counter() - started
    rest = proc.stdout.read()
    code = proc.wait()
    wall = time.perf_counter() - started
    if code != 0 or (prints and not (first + rest).strip()):
        assert proc.stderr is not None
        raise SystemExit(f"{command[3]} failed ({code}):\n{proc.stderr.read().decode()[-3000:]}")
    return {"wall_s": wall, "first_output_s": first_s}


def it2en_command(work: Path, translator: Path, *args: str) -> list[str]:
    """``it2en ARGS`` on the benchmark's model, its CTranslate2 calls forced."""
    model = ["--translator", str(translator), "--models-dir", str(work), "--cache-dir", str(work / "cache")]
    return [
        sys.executable,
        str(PEER_SIDE),
        "run",
        "pipeline.cli:app",
        *args,
        *model,
        "--offline",
        "--num-beams",
        "4",
    ]


def oneshot(work: Path, translator: Path, argos: Peer, runs: int) -> dict[str, Any]:
    """One 500-word article through each tool's own command line, best of ``runs``; and
    where the time goes, by stage, measured in each library."""
    text = article(500, seed=21)
    path = work / "article.txt"
    path.write_text(text, encoding="utf-8")
    argos_cli = [str(argos.python), str(PEER_SIDE), "run", "argostranslate.cli:main", "-f", "it", "-t", "en"]
    it2en_cli = it2en_command(work, translator, "translate", str(path))
    results: dict[str, Any] = {"words": len(text.split())}
    tools = {"it2en": (it2en_cli, None, None), "argos": (argos_cli, text, argos.env())}
    tries: dict[str, list[dict[str, float]]] = {name: [] for name in tools}
    for _ in range(runs):  # the tools take turns, so that both meet the machine's drift
        for name, (command, stdin, env) in tools.items():
            tries[name].append(timed(command, stdin, env))
    for name, runs_of in tries.items():
        results[name] = {**min(runs_of, key=lambda t: t["wall_s"]), "runs_s": [t["wall_s"] for t in runs_of]}
    results["oneshot_ratio_vs_argos"] = results["it2en"]["wall_s"] / results["argos"]["wall_s"]
    spec = {"warm": ["Una prova."], "paragraphs": text.split("\n\n"), "work": str(work)}
    spec["translator"], spec["beams"] = str(translator), 4
    results["stages"] = {
        "it2en": measure([sys.executable, __file__, "--child"], spec),
        "argos": measure([str(argos.python), str(PEER_SIDE), "lib"], spec, argos.env()),
    }
    print(f"one-shot: {json.dumps({k: v for k, v in results.items() if k != 'stages'})}", file=sys.stderr)
    return results


# -- documents -------------------------------------------------------------------------------


def documents_made(work: Path, text: str) -> dict[str, Path]:
    """The one-shot's article as a web page and as a Word file."""
    import html

    import docx

    paragraphs = text.strip().split("\n\n")
    page = work / "documents" / "notizia.html"
    page.parent.mkdir(exist_ok=True)
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs[1:])
    page.write_text(
        f'<!doctype html>\n<html lang="it"><head><meta charset="utf-8"><title>Notizie</title></head>\n'
        f"<body><article><h1>{html.escape(paragraphs[0][:60])}</h1>\n{body}\n</article></body></html>\n",
        encoding="utf-8",
    )
    word = docx.Document()
    word.add_heading(paragraphs[0][:60], level=1)
    for paragraph in paragraphs[1:]:
        word.add_paragraph(paragraph)
    path = page.with_suffix(".docx")
    word.save(str(path))
    return {"html": page, "docx": path}


def opened(source: Path, copy: Path) -> dict[str, Any]:
    """Whether a translated copy opens, and how many of the source's paragraphs changed."""
    import docx
    import lxml.html

    def texts(path: Path) -> list[str]:
        if path.suffix == ".docx":
            return [p.text for p in docx.Document(str(path)).paragraphs if p.text.strip()]
        tree = lxml.html.fromstring(path.read_bytes())
        return [e.text_content() for e in tree.iter("h1", "p")]

    try:
        before, after = texts(source), texts(copy)
    except Exception as exc:  # any failure to open is the finding
        return {"opens": False, "error": f"{type(exc).__name__}: {exc}"}
    changed = sum(a.strip() != b.strip() for a, b in zip(before, after, strict=False))
    return {
        "opens": True,
        "paragraphs": len(before),
        "same_count": len(after) == len(before),
        "changed": changed,
    }


def documents(work: Path, translator: Path, lt: Peer) -> dict[str, Any]:
    """``it2en translate FILE -o COPY`` against argos-translate-files (LibreTranslate's
    file translation) on the same page and Word file, each from a cold start."""
    results: dict[str, Any] = {}
    for kind, path in documents_made(work, article(500, seed=21)).items():
        mine = path.with_name(f"{path.stem}.it2en{path.suffix}")
        it2en = timed(
            it2en_command(work, translator, "translate", str(path), "-o", str(mine)), None, prints=False
        )
        proc = subprocess.run(
            [str(lt.python), str(PEER_SIDE), "files", str(path)], capture_output=True, text=True, env=lt.env()
        )
        if proc.returncode != 0:
            raise SystemExit(f"argos-translate-files failed on {path.name}:\n{proc.stderr[-3000:]}")
        peer = json.loads(proc.stdout.strip().splitlines()[-1])
        results[kind] = {
            "it2en": {"seconds": it2en["wall_s"], **opened(path, mine)},
            "argos_translate_files": {"seconds": peer["seconds"], **opened(path, Path(peer["written"][0]))},
        }
        results[kind]["ratio_vs_argos"] = it2en["wall_s"] / peer["seconds"]
        print(f"documents {kind}: {json.dumps(results[kind])}", file=sys.stderr)
    return results


# -- service vs service ------------------------------------------------------------------


def under_load(
    command: list[str], ready: str, env: dict[str, str] | None, counts: dict[int, int], warm: list[str]
) -> dict[str, Any]:
    """Start a server, wait for ``ready``, warm it, then the closed loop at each level."""
    import urllib.request

    from bench_serve import free_port, load

    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    log = Path(tempfile.mkstemp(prefix="bench-peers-server-", suffix=".log")[1])
    with log.open("wb") as sink:  # a file, never a pipe: a full pipe stops a chatty server
        server = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    try:
        while True:
            try:
                with urllib.request.urlopen(url + ready, timeout=5):
                    break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"{command[3]} did not start:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        results: dict[str, Any] = {"start_s": time.perf_counter() - started}
        load(url, warm, 4)
        offset = 0
        for concurrency, count in counts.items():
            texts = sentences(offset + count, seed=7)[offset:]
            offset += count
            results[str(concurrency)] = load(url, texts, concurrency)
            print(f"  {command[3]} {concurrency} clients: {results[str(concurrency)]}", file=sys.stderr)
        results["peak_rss_mb"] = peak_rss_mb(server.pid)
        return results
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.unlink()


def service(work: Path, translator: Path, lt: Peer, quick: bool) -> dict[str, Any]:
    """``it2en serve`` against ``libretranslate`` at 1, 8 and 32 clients."""
    per_client = 2 if quick else 6
    counts = {c: max(16, per_client * c) for c in (1, 8, 32)}
    warm = sentences(8, seed=5)
    jobs = tempfile.mkdtemp(prefix="it2en-peers-jobs-")
    # The back-translator (the same random model) is loaded at start, as LibreTranslate
    # loads its en->it package: each server holds both directions.
    it2en = it2en_command(
        work,
        translator,
        "serve",
        "--port",
        "{port}",
        "--jobs-dir",
        jobs,
        "--back-translator",
        str(translator),
        "--summarizer",
        str(translator),
    )
    libre = [str(lt.python), str(PEER_SIDE), "run", "libretranslate.main:main"]
    libre += ["--host", "127.0.0.1", "--port", "{port}", "--load-only", "it,en"]
    results = {
        "requests": counts,
        "it2en": under_load(it2en, "/readyz", None, counts, warm),
        "libretranslate": under_load(libre, "/languages", lt.env(), counts, warm),
    }
    shutil.rmtree(jobs, ignore_errors=True)
    it, peer = results["it2en"]["32"], results["libretranslate"]["32"]
    results["serve_speedup_32_vs_libretranslate"] = it["requests_per_s"] / peer["requests_per_s"]
    results["p99_ratio_32_vs_libretranslate"] = it["p99_ms"] / peer["p99_ms"]
    return results


# -- main --------------------------------------------------------------------------------


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child_it2en(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="16 paragraphs, one one-shot run each, 2 requests a client"
    )
    parser.add_argument("--work", type=Path, help="keep the venvs, model and packages here (reused)")
    parser.add_argument(
        "--only",
        choices=["library", "oneshot", "documents", "service"],
        action="append",
        help="only these parts",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    parts = args.only or ["library", "workers", "oneshot", "documents", "service"]

    from real_models import build_marian

    work = (args.work or Path(tempfile.mkdtemp(prefix="it2en-bench-peers-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    argos, lt = Peer(work, "argos"), Peer(work, "libretranslate")
    for peer in (argos, lt):
        peer.make()
    translator = work / "opus-mt-it-en-random"
    if not (translator / "config.json").exists():
        print(f"building {translator.name} ...", file=sys.stderr, flush=True)
        translator.mkdir(parents=True, exist_ok=True)
        build_marian(translator)
    built = packages(work, argos, converted_model(work, translator), translator / "source.spm")
    for peer in (argos, lt):
        peer.install(built)

    count = 16 if args.quick else 50
    texts = {"paragraphs": paragraphs(count, seed=31), "warm": paragraphs(2, seed=37)}
    results: dict[str, Any] = {
        "machine": f"{os.cpu_count()} CPUs",
        "paragraphs": count,
        "sentences": sum(len([c for c in p if c == "."]) for p in texts["paragraphs"]),
        "versions": {"argos": argos.versions(), "libretranslate": lt.versions()},
    }
    if "library" in parts:
        results["library"] = library(work, translator, argos, texts, 2 if args.quick else 3)
        results["lib_speedup_vs_argos"] = results["library"]["speedup_beam4_vs_best"]
        results["lib_speedup_vs_argos_greedy"] = results["library"]["speedup_greedy_vs_best"]
    if "workers" in parts:
        results["workers"] = workers(work, translator, texts, 2 if args.quick else 3)
    if "oneshot" in parts:
        results["oneshot"] = oneshot(work, translator, argos, 1 if args.quick else 3)
        results["oneshot_ratio_vs_argos"] = results["oneshot"]["oneshot_ratio_vs_argos"]
    if "documents" in parts:
        results["documents"] = documents(work, translator, lt)
    if "service" in parts:
        results["service"] = service(work, translator, lt, args.quick)
        for key in ("serve_speedup_32_vs_libretranslate", "p99_ratio_32_vs_libretranslate"):
            results[key] = results["service"][key]
    results["peak_rss_mb"] = peak_by_tool(results)
    print(
        json.dumps(
            {k: v for k, v in results.items() if not isinstance(v, dict) or k == "peak_rss_mb"}, indent=2
        )
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def peak_by_tool(results: dict[str, Any]) -> dict[str, float]:
    """Each tool's largest peak resident memory over the parts that ran."""
    peaks: dict[str, float] = {}

    def note(tool: str, value: float | None) -> None:
        if value:
            peaks[tool] = max(peaks.get(tool, 0.0), value)

    for key, row in results.get("library", {}).items():
        if isinstance(row, dict) and "peak_rss_mb" in row:
            note("it2en" if key.startswith("it2en") else "argos", row["peak_rss_mb"])
    for tool, row in results.get("oneshot", {}).get("stages", {}).items():
        note(tool, row["peak_rss_mb"])
    service_rows = results.get("service", {})
    note("it2en_serve", service_rows.get("it2en", {}).get("peak_rss_mb"))
    note("libretranslate", service_rows.get("libretranslate", {}).get("peak_rss_mb"))
    return peaks


if __name__ == "__main__":
    main()
