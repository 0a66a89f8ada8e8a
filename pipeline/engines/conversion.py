"""The CTranslate2 conversion cache: each Hugging Face model converted once per precision.

Conversions live under ``<cache folder>/ct2/<name>-<quantization>-<fingerprint>``; the
fingerprint follows the source model (folder contents or hub snapshot), so a changed model
is converted again and an unchanged one never is. A conversion is written into a
temporary folder and renamed into place, so a killed run never leaves half a model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import ModelLoadError
from ..io import safe_name
from .hub import local_only, model_identity, store_folder
from .runtime import Runtime

__all__ = ["converted", "target_vocabulary"]

log = logging.getLogger("it2en.engines")


def converted(role: str, name: str, source: str, runtime: Runtime, quantization: str) -> Path:
    """The cached conversion of model ``name`` (loaded from ``source``) in the runtime's
    cache folder, converting it on first use. An unwritable folder or a failed conversion is
    a :class:`ModelLoadError`."""
    models_dir, offline = runtime.models_dir, runtime.offline
    from ctranslate2.converters import TransformersConverter

    fingerprint = hashlib.sha256(model_identity(name, models_dir).encode()).hexdigest()[:12]
    path = Path(name).expanduser()
    slug = path.name if path.is_dir() else store_folder("", name).name
    target = Path(runtime.cache_dir) / "ct2" / f"{safe_name(slug, 60)}-{quantization}-{fingerprint}"
    if (target / "model.bin").is_file():
        return target
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
        TransformersConverter(_local(source, offline)).convert(
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
