"""Find, load and save Hugging Face models: the one place that knows folders and the hub.

Resolution order for a model name: an existing local folder; the same name in the local
model store (``models/<org>--<name>``, filled by ``it2en models download``); the Hugging
Face hub or its cache, with ``local_files_only`` when offline. A failure lists every
place that was tried and how to fetch the model.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import socket
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ..errors import ModelLoadError, reason
from .decoding import read_generation_config

if TYPE_CHECKING:
    import torch

__all__ = [
    "download_model",
    "from_pretrained",
    "hub_reachable",
    "is_offline",
    "load_hf_model",
    "local_only",
    "model_identity",
    "model_label",
    "store_folder",
]

log = logging.getLogger("it2en.engines")
T = TypeVar("T")

HUB_TIMEOUT = 3.0
"""Seconds to wait for the hub before using the local cache alone."""


def is_offline(offline: bool) -> bool:
    """True when the network must not be used: the option, or ``HF_HUB_OFFLINE``."""
    return offline or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def store_folder(models_dir: str | Path, name: str) -> Path:
    """The folder of hub model ``name`` in the local store: ``org/model`` → ``org--model``."""
    return Path(models_dir) / name.strip("/").replace("/", "--")


def load_hf_model(source: str, kwargs: dict[str, Any], dtype: torch.dtype) -> tuple[Any, Any]:
    """``(tokenizer, model)`` from ``source`` in evaluation mode, with the decoding settings
    of :func:`read_generation_config` (transformers' own fallback, made explicit)."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
    model = AutoModelForSeq2SeqLM.from_pretrained(source, dtype=dtype, **kwargs)
    model.generation_config = read_generation_config(source, kwargs)
    return tokenizer, model.eval()


def from_pretrained(
    role: str,
    name: str,
    *,
    models_dir: str | Path,
    offline: bool,
    load: Callable[[str, dict[str, Any]], T],
) -> tuple[T, str]:
    """Run ``load(source, kwargs)`` on the place ``name`` resolves to; return its result and
    that place. ``kwargs`` carry ``local_files_only`` and ``trust_remote_code=False`` for
    ``from_pretrained``. Any failure becomes one :class:`ModelLoadError` line."""
    tried: list[str] = []
    try:
        source, local = _locate(name, models_dir, tried)
    except FileNotFoundError as exc:
        raise ModelLoadError(f"{role} model {name!r}: {exc}") from None
    kwargs: dict[str, Any] = {"trust_remote_code": False}
    offline = is_offline(offline)
    if not local:
        cache_only = local_only(offline)
        kwargs["local_files_only"] = cache_only
        if offline:
            tried.append("the Hugging Face cache (offline)")
        elif cache_only:
            tried.append("the Hugging Face cache (the hub is unreachable)")
        else:
            tried.append("the Hugging Face hub and its cache")
    try:
        with warnings.catch_warnings():
            # MarianTokenizer's hint about an optional package: the library never prints.
            warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
            return load(source, kwargs), source
    except Exception as exc:  # transformers raises OSError, ValueError, HTTP errors...
        log.debug("loading %s from %s failed", role, source, exc_info=True)
        raise ModelLoadError(_not_found(role, name, tried, offline, exc)) from exc


def local_only(offline: bool) -> bool:
    """Whether a hub model must come from the local cache alone: offline mode, or a hub
    that cannot be reached (then transformers would retry for minutes before failing)."""
    return is_offline(offline) or not hub_reachable()


@functools.cache
def hub_reachable() -> bool:
    """Whether the Hugging Face hub (``HF_ENDPOINT``) accepts a connection within
    :data:`HUB_TIMEOUT` seconds; checked once per process. Behind a proxy
    (``HTTPS_PROXY``...) the hub is assumed reachable: the proxy decides."""
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    endpoint = urlsplit(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname or "", port), timeout=HUB_TIMEOUT):
            return True
    except OSError:
        log.info("the Hugging Face hub (%s) is unreachable: using the local cache only", endpoint.geturl())
        return False


def _locate(name: str, models_dir: str | Path, tried: list[str]) -> tuple[str, bool]:
    """Where to load ``name`` from, and whether that is a local folder."""
    path = Path(name).expanduser()
    if path.is_dir():
        tried.append(f"folder {path} (exists)")
        return str(path), True
    tried.append(f"folder {path}")
    if name.startswith((".", "/", "~")) or path.is_absolute():
        # Clearly meant as a path: never a hub id, never a request to the hub.
        raise FileNotFoundError(f"folder {path} does not exist")
    stored = store_folder(models_dir, name)
    if stored.is_dir():
        tried.append(f"folder {stored} (exists)")
        return str(stored), True
    tried.append(f"folder {stored}")
    return name, False


def _not_found(role: str, name: str, tried: list[str], offline: bool, exc: Exception) -> str:
    why = reason(exc)
    fetch = (
        f"run `it2en models download` on a machine with network access and copy the folder "
        f"into the model store, or pass --{role} PATH to a local copy"
    )
    if offline:
        fetch = "offline mode is on; " + fetch
    elif not hub_reachable():
        fetch = "the Hugging Face hub cannot be reached from here; " + fetch
    return f"{role} model {name!r} could not be loaded (looked in: {', '.join(tried)}): {why}; {fetch}"


def model_label(name: str) -> str:
    """A model as people who do not see this machine know it: a hub id as it is, a local
    folder by its own name alone (``/srv/models/opus-mt-it-en`` is ``opus-mt-it-en``), so
    that what a service answers never shows its filesystem."""
    path = Path(name).expanduser()
    local = path.is_absolute() or name.startswith((".", "~")) or len(path.parts) > 2 or path.is_dir()
    return path.name if local and path.name else name


def model_identity(name: str, models_dir: str | Path) -> str:
    """A string that changes when the model behind ``name`` changes, found without loading it.

    Local folders: the path and a fingerprint of the file names, sizes and modification
    times. Hub ids: the id and the cached snapshot's commit, when one is cached.
    """
    path = Path(name).expanduser()
    folder = path if path.is_dir() else store_folder(models_dir, name)
    if folder.is_dir():
        stats = sorted(
            (str(f.relative_to(folder)), f.stat().st_size, f.stat().st_mtime_ns)
            for f in folder.rglob("*")
            if f.is_file()
        )
        digest = hashlib.sha256(repr(stats).encode()).hexdigest()[:16]
        return f"{folder.resolve()}@{digest}"
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(name, "config.json")
    except Exception:  # not a valid hub id: loading will report it properly
        return name
    if isinstance(cached, str):
        return f"{name}@{Path(cached).parent.name}"
    return name


def download_model(role: str, name: str, *, models_dir: str | Path, offline: bool) -> tuple[Path, bool]:
    """Save model ``name`` into the local store; return its folder and whether it was saved.

    A name that is already a local folder is left where it is. Weights are written as
    safetensors whatever format the source uses.
    """
    path = Path(name).expanduser()
    if path.is_dir():
        return path.resolve(), False
    target = store_folder(models_dir, name)
    if (target / "config.json").is_file():
        return target.resolve(), False
    if is_offline(offline):
        raise ModelLoadError(
            f"{role} model {name!r} is not in {target} and offline mode is on: "
            "run the download on a machine with network access"
        )
    import torch

    (tokenizer, model), _ = from_pretrained(
        role,
        name,
        models_dir=models_dir,
        offline=False,
        load=lambda source, kwargs: load_hf_model(source, kwargs, torch.float32),
    )
    tmp = target.with_name(target.name + ".partial")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.replace(target)
    return target.resolve(), True
