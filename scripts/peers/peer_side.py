#!/usr/bin/env python3
"""What ``scripts/bench_peers.py`` runs inside a peer's own virtual environment (or
it2en's), with that environment's packages and the standard library only.

Commands (each prints one JSON line on stdout where it measures something)::

    peer_side.py package OUT.argosmodel --model CT2 --spm SPM --from it --to en
    peer_side.py lib SPEC.json          # argostranslate's library, timed
    peer_side.py files FILE...          # argos-translate-files on each file
    peer_side.py run MODULE:FUNCTION ARGS...   # a tool's own entry point, lengths forced

Random weights never emit a sensible end of sentence, so every CTranslate2 call in the
process is forced (:func:`force_lengths`) to the same rule as it2en's benchmarks: 1.1x the
longest source in the call, plus the end token's step. The same wrapper runs in it2en's
process when it is measured beside a peer, so both decode exactly the same way.
"""

from __future__ import annotations

import atexit
import importlib
import json
import math
import os
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

LENGTH_RATIO = 1.1
TALLY = {"calls": 0, "output_tokens": 0, "source_tokens": 0}


def force_lengths() -> None:
    """Replace ``ctranslate2.Translator`` with a wrapper whose ``translate_batch`` decodes
    exactly ``ceil(1.1 x longest source) + 1`` steps and counts the output tokens."""
    import ctranslate2

    real = ctranslate2.Translator
    if getattr(real, "forced", False):
        return

    class Forced:
        forced = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._translator = real(*args, **kwargs)

        def translate_batch(self, source: list[list[str]], *args: Any, **kwargs: Any) -> Any:
            longest = max((len(tokens) for tokens in source), default=0)
            steps = max(1, math.ceil(LENGTH_RATIO * longest)) + 1
            kwargs["min_decoding_length"] = kwargs["max_decoding_length"] = steps
            results = self._translator.translate_batch(source, *args, **kwargs)
            TALLY["calls"] += 1
            TALLY["source_tokens"] += sum(len(tokens) for tokens in source)
            if kwargs.get("asynchronous"):
                return [Counted(result) for result in results]
            TALLY["output_tokens"] += sum(len(r.hypotheses[0]) for r in results)
            return results

        def __getattr__(self, name: str) -> Any:
            return getattr(self._translator, name)

    ctranslate2.Translator = Forced
    tally_file = os.environ.get("PEER_TALLY_FILE")
    if tally_file:
        atexit.register(lambda: Path(tally_file).write_text(json.dumps(TALLY), encoding="utf-8"))


class Counted:
    """An asynchronous result whose output tokens are counted when it is read."""

    def __init__(self, pending: Any) -> None:
        self._pending = pending

    def result(self) -> Any:
        result = self._pending.result()
        TALLY["output_tokens"] += len(result.hypotheses[0])
        return result

    def done(self) -> bool:
        return bool(self._pending.done())


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory, this one's by default (VmHWM: from exec, not
    inherited)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the package ---------------------------------------------------------------------------


def rule_sentence_model(out: Path) -> None:
    """A MiniSBD model (ONNX, the interface of ``minisbd.SBDetect``) that ends a sentence
    after ``.``, ``!`` and ``?``: MiniSBD's real models are downloaded from GitHub at first
    use, which no machine here can reach. Each character is its own token, so the
    sentences are the text's own slices."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    units = ["<PAD>", "<UNK>", ".", "!", "?"]
    table = np.full((len(units), 5), -10.0, dtype=np.float32)
    table[0, 0] = table[1, 1] = 10.0  # padding: nothing; any other character: a token
    table[2:, 2] = 10.0  # the end of a sentence
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "units"], ["logits"], axis=0)],
        "rule_sbd",
        [
            helper.make_tensor_value_info("units", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", "length", 1]),
        ],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "length", 5])],
        [numpy_helper.from_array(table, "table")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    vocab = {"lang": "it", "idx": 0, "cutoff": 0, "lower": False, "_id2unit": units}
    vocab["_unit2id"] = {unit: i for i, unit in enumerate(units)}
    config = {"feat_funcs": ["space_before"], "max_seqlen": 1000, "batch_size": 1}
    for key, value in {"lang_code": "it", "config": json.dumps(config), "vocab": json.dumps(vocab)}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(out))


def build_package(out: Path, model: Path, spm: Path, source: str, target: str) -> None:
    """An ``.argosmodel`` (a zip of one folder) as argos-translate installs it: metadata,
    the CTranslate2 model, the SentencePiece model and a MiniSBD model."""
    name = f"translate-{source}_{target}"
    metadata = {
        "package_version": "1.0",
        "argos_version": "1.0",
        "from_code": source,
        "from_name": {"it": "Italian", "en": "English"}[source],
        "to_code": target,
        "to_name": {"it": "Italian", "en": "English"}[target],
        "type": "translate",
    }
    sbd = out.with_suffix(".onnx")
    rule_sentence_model(sbd)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}/metadata.json", json.dumps(metadata, indent=2))
        archive.writestr(f"{name}/README.md", "A random-weight opus-mt model for benchmarks.\n")
        archive.write(spm, f"{name}/sentencepiece.model")
        archive.write(sbd, f"{name}/minisbd/{source}.onnx")
        for path in sorted(model.iterdir()):
            archive.write(path, f"{name}/model/{path.name}")
    sbd.unlink()


# -- measurements --------------------------------------------------------------------------


def timed_translation(
    started: float, imported: float, translate: Callable[[list[str]], list[Any]], spec: dict[str, Any]
) -> dict[str, Any]:
    """``translate`` on ``spec["warm"]`` (untimed, loading the model on the way), then on
    ``spec["paragraphs"]`` timed: the figures every library's run reports, ``started``
    and ``imported`` being when its process began and when its library was imported."""
    translate(spec["warm"])
    TALLY.update(calls=0, output_tokens=0, source_tokens=0)
    begin = time.perf_counter()
    outputs = translate(spec["paragraphs"])
    seconds = time.perf_counter() - begin
    return {
        "seconds": seconds,
        "import_s": imported - started,
        "load_s": begin - imported,  # the model loaded, then the warm-up translated
        "outputs": len(outputs),
        **TALLY,
        "peak_rss_mb": peak_rss_mb(),
    }


def lib(spec: dict[str, Any]) -> dict[str, Any]:
    """argostranslate's library on ``spec["paragraphs"]`` (one call per paragraph, as an
    application translating a document would), after an untimed warm-up on others (the
    library caches paragraphs it has seen). Settings come from the ARGOS_* variables."""
    started = time.perf_counter()
    from argostranslate import translate

    imported = time.perf_counter()
    translation = translate.get_translation_from_codes("it", "en")
    return timed_translation(
        started, imported, lambda paragraphs: [translation.translate(p) for p in paragraphs], spec
    )


def files(paths: list[str]) -> dict[str, Any]:
    """argos-translate-files on each file in a fresh process of its own, as a user of
    the library would: import, load, translate the file (its copy lands beside it)."""
    started = time.perf_counter()
    from argostranslate import translate
    from argostranslatefiles import argostranslatefiles

    translation = translate.get_translation_from_codes("it", "en")
    written = [argostranslatefiles.translate_file(translation, path) for path in paths]
    return {"seconds": time.perf_counter() - started, "written": written, "peak_rss_mb": peak_rss_mb()}


def run(target: str, args: list[str]) -> None:
    """``MODULE:FUNCTION`` (a console script's entry point) with ``args`` as its
    command line, its CTranslate2 calls forced."""
    force_lengths()
    module, function = target.split(":")
    sys.argv = [module, *args]
    result = getattr(importlib.import_module(module), function)()
    raise SystemExit(result if isinstance(result, int) else 0)


def main() -> None:
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "package":
        options = dict(zip(rest[1::2], rest[2::2], strict=True))
        build_package(
            Path(rest[0]),
            Path(options["--model"]),
            Path(options["--spm"]),
            options["--from"],
            options["--to"],
        )
    elif command == "lib":
        force_lengths()
        spec = json.loads(Path(rest[0]).read_text(encoding="utf-8"))
        print(json.dumps(lib(spec)))
    elif command == "files":
        force_lengths()
        print(json.dumps(files(rest)))
    elif command == "run":
        run(rest[0], rest[1:])
    else:
        raise SystemExit(f"unknown command: {command}")


if __name__ == "__main__":
    main()
