"""The CTranslate2 conversion cache: each Hugging Face model converted once per precision,
with everything the CTranslate2 engine needs to run it without transformers or torch.

Conversions live under ``<cache folder>/ct2/<name>-<quantization>-<fingerprint>``; the
fingerprint follows the source model (folder contents or hub snapshot) and the layout of
the folder (:data:`LAYOUT`), so a changed model is converted again and an unchanged one
never is. Besides CTranslate2's own files a conversion holds :data:`SIDECAR` (the decoding
settings as :class:`~pipeline.engines.decoding.SearchSettings`, the input limits and the
tokenizer's description) and the tokenizer's copy (:mod:`pipeline.engines.tokens`).
transformers and torch are imported only to convert. A conversion is written into a
temporary folder and renamed into place, so a killed run never leaves half a model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelLoadError, reason
from ..outputs import safe_name
from . import versions
from .decoding import SearchSettings, read_generation_config
from .hub import from_pretrained, local_only, model_identity, store_folder
from .runtime import Runtime
from .tokens import save_tokenizer

__all__ = ["LAYOUT", "SIDECAR", "Conversion", "converted", "target_vocabulary"]

log = logging.getLogger("it2en.engines")

SIDECAR = "it2en.json"
"""The file of a conversion that describes it to it2en; written last, so its presence
means the conversion is complete."""
LAYOUT = 2
"""What a conversion folder holds; raised when that changes, so older ones are redone."""


@dataclass(frozen=True)
class Conversion:
    """A converted model: its folder and what :data:`SIDECAR` says of it."""

    folder: Path
    search: SearchSettings
    """The model's decoding settings."""
    max_positions: int | None
    """The model's position table (``max_position_embeddings``), the input limit it has."""
    tokenizer: dict[str, Any] | None
    """The tokenizer copy's description for :func:`~pipeline.engines.tokens.load_tokenizer`;
    None: load the model's tokenizer through transformers."""

    @classmethod
    def read(cls, folder: Path) -> Conversion:
        """The conversion in ``folder``."""
        meta = json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
        return cls(folder, SearchSettings.from_dict(meta["search"]), meta["max_positions"], meta["tokenizer"])


def converted(role: str, name: str, runtime: Runtime, quantization: str) -> Conversion:
    """The cached conversion of model ``name`` in the runtime's cache folder, converting it
    on first use. A model that cannot be found or loaded, an unwritable folder or a failed
    conversion is a :class:`ModelLoadError`."""
    models_dir, offline = runtime.models_dir, runtime.offline
    made_by = versions.library_versions(("ctranslate2", "transformers", "tokenizers", "sentencepiece"))
    identity = json.dumps([model_identity(name, models_dir), LAYOUT, made_by])
    fingerprint = hashlib.sha256(identity.encode()).hexdigest()[:12]
    path = Path(name).expanduser()
    slug = path.name if path.is_dir() else store_folder("", name).name
    target = Path(runtime.cache_dir) / "ct2" / f"{safe_name(slug, 60)}-{quantization}-{fingerprint}"
    if (target / SIDECAR).is_file():
        return Conversion.read(target)
    loaded, source = from_pretrained(role, name, models_dir=models_dir, offline=offline, load=_load)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    except OSError as exc:
        raise ModelLoadError(
            f"{role} model {name!r}: cannot write its CTranslate2 conversion into {target.parent} "
            f"({exc.strerror or exc}); set --cache-dir to a writable folder"
        ) from None
    log.info("converting %s %s for CTranslate2 (%s) into %s", role, name, quantization, target)
    try:
        _convert(_local(source, offline), work / "model", quantization, loaded)
        _move_into_place(work / "model", target)
    except Exception as exc:
        log.debug("converting %s failed", source, exc_info=True)
        raise ModelLoadError(
            f"{role} model {name!r} could not be converted for CTranslate2 ({type(exc).__name__}: "
            f"{reason(exc)}); use --backend torch"
        ) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Conversion.read(target)


def _load(source: str, kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The model's tokenizer, config and generation config, through transformers."""
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(source, **kwargs)
    return AutoTokenizer.from_pretrained(source, **kwargs), config, read_generation_config(source, kwargs)


def _convert(source: str, folder: Path, quantization: str, loaded: tuple[Any, Any, Any]) -> None:
    """Convert ``source`` into ``folder`` and write the sidecar from ``loaded`` (what
    :func:`_load` returned)."""
    from ctranslate2.converters import TransformersConverter

    tokenizer, config, generation = loaded
    _warn_if_start_is_learned(source, config)
    with warnings.catch_warnings():
        # MarianTokenizer's hint about an optional package: the library never prints.
        warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
        TransformersConverter(source).convert(str(folder), quantization=quantization, force=True)
    positions = getattr(config, "max_position_embeddings", None)
    meta = {
        "layout": LAYOUT,
        "search": SearchSettings.of(generation).to_dict(),
        "max_positions": int(positions) if positions else None,
        "tokenizer": save_tokenizer(tokenizer, folder),
    }
    (folder / SIDECAR).write_text(json.dumps(meta, indent=1), encoding="utf-8")


def _warn_if_start_is_learned(source: str, config: Any) -> None:
    """Warn when a Marian model's decoder start token (``<pad>``) has a learned embedding.
    CTranslate2 starts a Marian decoder from zeros, as opus-mt's own checkpoints do (their
    ``<pad>`` row is all zeros); a model fine-tuned with tied embeddings trains that row,
    and then the converted model translates otherwise than transformers does. Read from
    ``model.safetensors`` alone (one row); other weight files are not checked."""
    weights = Path(source) / "model.safetensors"
    start = getattr(config, "decoder_start_token_id", None)
    if getattr(config, "model_type", "") != "marian" or start is None or not weights.is_file():
        return
    from safetensors import safe_open

    with safe_open(str(weights), framework="numpy") as tensors:
        names = set(tensors.keys()) & {"model.shared.weight", "model.decoder.embed_tokens.weight"}
        name = min(names, default=None)  # the shared table where there is one
        if name is None:
            return
        row = tensors.get_slice(name)[start : start + 1]
    if bool((row != 0).any()):
        log.warning(
            "%s: its decoder start token has a learned embedding, which CTranslate2 replaces "
            "with zeros (as in opus-mt's own models): its outputs will differ from transformers'; "
            "use --backend torch for the model's own behaviour",
            source,
        )


def _move_into_place(work: Path, target: Path) -> None:
    """Rename the finished conversion to ``target``; another run that finished the same
    conversion first wins (its folder is complete: the sidecar is written last)."""
    try:
        os.replace(work, target)
    except OSError:
        if not (target / SIDECAR).is_file():
            raise


def target_vocabulary(folder: Path) -> set[str]:
    """The tokens a converted model can generate (its target or shared vocabulary)."""
    for name in ("target_vocabulary.json", "shared_vocabulary.json"):
        if (folder / name).is_file():
            return set(json.loads((folder / name).read_text(encoding="utf-8")))
    for name in ("target_vocabulary.txt", "shared_vocabulary.txt"):
        if (folder / name).is_file():
            return set((folder / name).read_text(encoding="utf-8").splitlines())
    raise ModelLoadError(f"{folder}: converted model has no target vocabulary file")


def _local(source: str, offline: bool) -> str:
    """The folder to convert: ``source`` itself, or, for a hub id when offline or the hub
    is unreachable, its cached snapshot (the converter's own loading would otherwise try
    the network: huggingface_hub reads ``HF_HUB_OFFLINE`` once, at import)."""
    if Path(source).is_dir() or not local_only(offline):
        return source
    from huggingface_hub import snapshot_download

    return snapshot_download(source, local_files_only=True)
