"""The CTranslate2 engine: the same models, converted once, run by a faster runtime.

The configured Hugging Face model is converted on first use and cached under
``<models_dir>/ct2/<name>-<quantization>-<fingerprint>``; the fingerprint follows the
source model (folder contents or hub snapshot), so a changed model is converted again and
an unchanged one never is. Tokenization stays with the Hugging Face tokenizer, so both
engines see the same tokens and segment the same way; decoding settings are read and
mapped by :mod:`pipeline.decoding`, so both engines search the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .batching import BatchTooLarge
from .decoding import CT2Search, ct2_search, read_generation_config
from .engine import ForcedLength, count_tokens, input_limit
from .errors import ConfigError, ModelLoadError
from .models import cpu_threads, from_pretrained, is_offline, model_identity, resolve_device, store_folder

if TYPE_CHECKING:
    from .config import PipelineConfig

__all__ = ["CT2Seq2Seq", "available", "compute_type", "resolve_backend"]

log = logging.getLogger(__name__)


def available() -> bool:
    """Whether the ctranslate2 package can be imported."""
    import importlib.util

    return importlib.util.find_spec("ctranslate2") is not None


def resolve_backend(backend: str) -> str:
    """``auto`` is CTranslate2 when it is installed (faster on CPU and CUDA), else torch."""
    if backend == "auto":
        return "ctranslate2" if available() else "torch"
    if backend == "ctranslate2" and not available():
        raise ConfigError("backend ctranslate2 needs the ctranslate2 package: pip install ctranslate2")
    return backend


def compute_type(precision: str, device: str) -> str:
    """CTranslate2 compute type for a precision setting on ``device`` (``cpu``/``cuda``)."""
    if device == "cpu":
        if precision in ("fp16", "bf16"):
            raise ConfigError(f"precision {precision} needs a CUDA device (device is cpu)")
        return "float32" if precision == "fp32" else "int8"
    return {"auto": "int8_float16", "int8": "int8_float16", "fp16": "float16", "bf16": "bfloat16"}.get(
        precision, "float32"
    )


class CT2Seq2Seq:
    """A converted seq2seq model run with ``ctranslate2.Translator.translate_batch``.

    Decoding settings come from the model's own generation config (beam width overridden),
    read and searched as the torch engine does (see :mod:`pipeline.decoding`).
    """

    def __init__(
        self,
        role: str,
        name: str,
        config: PipelineConfig,
        max_input_tokens: int | None,
        forced_length: ForcedLength | None = None,
    ):
        """``forced_length``: see :data:`pipeline.engine.ForcedLength`."""
        self._forced_length = forced_length
        import ctranslate2
        from transformers import AutoConfig, AutoTokenizer

        def load(source: str, kwargs: dict[str, Any]) -> tuple[Any, Any, int | None]:
            positions = getattr(AutoConfig.from_pretrained(source, **kwargs), "max_position_embeddings", None)
            tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
            return tokenizer, read_generation_config(source, kwargs), positions

        (self._tokenizer, generation, positions), source = from_pretrained(
            role, name, models_dir=config.models_dir, offline=config.offline, load=load
        )
        resolved = resolve_device(config.device)
        device, index = resolved.type, resolved.index or 0
        kind = compute_type(config.precision, device)
        folder = _converted(role, name, source, config, "int8" if kind.startswith("int8") else kind)
        threads = cpu_threads(config.threads) if device == "cpu" else 1
        self._translator = ctranslate2.Translator(
            str(folder), device=device, device_index=index, compute_type=kind, intra_threads=threads
        )
        self.name = name
        self.max_input_tokens = input_limit(self._tokenizer, positions, max_input_tokens)
        self._search = ct2_search(
            generation,
            config.num_beams,
            self._tokenizer.convert_ids_to_tokens,
            _target_vocabulary(folder),
            name=name,
        )
        log.info(
            "loaded %s %s from %s with CTranslate2 on %s (%s, %d threads)",
            role,
            name,
            folder,
            device,
            kind,
            threads,
        )

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Input tokens per text, special tokens included, never truncated."""
        return count_tokens(self._tokenizer, texts)

    def generate(self, texts: Sequence[str]) -> list[str]:
        """Decode one batch."""
        tokens = self.generate_tokens(texts)
        return [text.strip() for text in self._tokenizer.batch_decode(tokens, skip_special_tokens=True)]

    def generate_tokens(self, texts: Sequence[str]) -> list[list[int]]:
        """The output token ids for one batch, without a forced first token or the end
        token, as :meth:`pipeline.engine.TorchSeq2Seq.generate_tokens`."""
        tokenizer = self._tokenizer
        encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
        tokens = [tokenizer.convert_ids_to_tokens(ids) for ids in encoded["input_ids"]]
        if max(len(t) for t in tokens) > self.max_input_tokens:
            raise ValueError(f"{self.name}: input exceeds {self.max_input_tokens} tokens; split it first")
        search: CT2Search = self._search
        if self._forced_length is not None:
            search = search.forced_length(self._forced_length(max(len(t) for t in tokens)))
        try:
            results = self._translator.translate_batch(
                tokens, search.target_prefix(len(tokens)), **search.options
            )
        except RuntimeError as exc:
            if "out of memory" in str(exc).lower():
                raise BatchTooLarge(str(exc)) from exc
            raise
        return [tokenizer.convert_tokens_to_ids(search.best(r.hypotheses, r.scores)) for r in results]


def _target_vocabulary(folder: Path) -> set[str]:
    """The tokens a converted model can generate (its target or shared vocabulary)."""
    for name in ("target_vocabulary.json", "shared_vocabulary.json"):
        if (folder / name).is_file():
            return set(json.loads((folder / name).read_text(encoding="utf-8")))
    for name in ("target_vocabulary.txt", "shared_vocabulary.txt"):
        if (folder / name).is_file():
            return set((folder / name).read_text(encoding="utf-8").splitlines())
    raise ModelLoadError(f"{folder}: converted model has no target vocabulary file")


def safe_slug(text: str) -> str:
    """A short file-name-safe form of a model name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")[-60:] or "model"


def _local(source: str, offline: bool) -> str:
    """The folder to convert: ``source`` itself, or, for a hub id when offline, its cached
    snapshot (the converter's own loading would otherwise try the network: huggingface_hub
    reads ``HF_HUB_OFFLINE`` once, at import)."""
    if Path(source).is_dir() or not is_offline(offline):
        return source
    from huggingface_hub import snapshot_download

    return snapshot_download(source, local_files_only=True)


def _converted(role: str, name: str, source: str, config: PipelineConfig, quantization: str) -> Path:
    """The cached conversion of ``source``, converting it on first use (atomically)."""
    from ctranslate2.converters import TransformersConverter

    identity = model_identity(name, config.models_dir)
    fingerprint = hashlib.sha256(identity.encode()).hexdigest()[:12]
    path = Path(name).expanduser()
    slug = path.name if path.is_dir() else store_folder("", name).name
    target = Path(config.models_dir) / "ct2" / f"{safe_slug(slug)}-{quantization}-{fingerprint}"
    if (target / "model.bin").is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError as exc:
        raise ModelLoadError(
            f"{role} model {name!r}: cannot write its CTranslate2 conversion into {target.parent} "
            f"({exc.strerror or exc}); set --models-dir to a writable folder"
        ) from None
    log.info("converting %s %s for CTranslate2 (%s) into %s", role, name, quantization, target)
    try:
        TransformersConverter(_local(source, config.offline)).convert(
            str(work / "model"), quantization=quantization, force=True
        )
        os.replace(work / "model", target)
    except Exception as exc:
        log.debug("converting %s failed", source, exc_info=True)
        raise ModelLoadError(
            f"{role} model {name!r} could not be converted for CTranslate2 ({type(exc).__name__}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}); use --backend torch"
        ) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
