"""Find, load and save models: one place that knows about folders, the hub and devices.

Resolution order for a model name: an existing local folder; the same name in the local
model store (``models/<org>--<name>``, filled by ``it2en models download``); the Hugging
Face hub or its cache, with ``local_files_only`` when offline. A failure lists every
place that was tried and how to fetch the model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .decoding import read_generation_config
from .errors import ConfigError, ModelLoadError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = [
    "LoadedModel",
    "cpu_threads",
    "download_model",
    "from_pretrained",
    "is_offline",
    "load_model",
    "model_identity",
    "resolve_device",
    "resolve_dtype",
    "store_folder",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class LoadedModel:
    """A seq2seq model and its tokenizer, on their device, ready for inference."""

    name: str
    """The name the user configured (hub id or folder)."""
    location: str
    """Where it was actually loaded from."""
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    device: torch.device


def is_offline(offline: bool) -> bool:
    """True when the network must not be used: the option, or ``HF_HUB_OFFLINE``."""
    return offline or os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def store_folder(models_dir: str | Path, name: str) -> Path:
    """The folder of hub model ``name`` in the local store: ``org/model`` → ``org--model``."""
    return Path(models_dir) / name.strip("/").replace("/", "--")


def resolve_device(device: str) -> torch.device:
    """``auto`` picks CUDA when available; an explicit CUDA device must exist."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {device!r} requested but CUDA is not available")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ConfigError(
                f"device {device!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist"
            )
    return resolved


def cpu_threads(configured: int = 0, cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """Threads for CPU inference: ``configured`` when positive; else ``OMP_NUM_THREADS``
    when set; else the CPUs this process may run on, capped by a cgroup CPU quota.

    Libraries default to every core of the host, which in a container limited to two
    CPUs means many threads fighting over two, far slower than two threads.
    """
    if configured > 0:
        return configured
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = _cgroup_cpu_quota(cgroup_root)
    return max(1, min(available, quota) if quota else available)


def _cgroup_cpu_quota(root: Path) -> int | None:
    """CPUs granted by a cgroup v2 ``cpu.max`` or v1 ``cfs_quota_us`` limit, rounded up;
    None when unlimited or unknown."""
    try:
        v2 = root / "cpu.max"
        if v2.is_file():
            quota, period = v2.read_text().split()[:2]
        else:
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        if quota in ("max", "-1") or int(period) <= 0:
            return None
        return max(1, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        return None


def resolve_dtype(precision: str, device: torch.device) -> torch.dtype:
    """Torch dtype: fp32 on CPU (int8 quantizes after loading); on CUDA ``auto`` is bf16
    where supported, else fp16."""
    import torch

    if device.type != "cuda":
        if precision in ("fp16", "bf16"):
            raise ConfigError(f"precision {precision} needs a CUDA device (device is {device})")
        return torch.float32  # int8: loaded in fp32, then quantized by the engine
    if precision == "int8":
        raise ConfigError("precision int8 on CUDA needs --backend ctranslate2")
    if precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]


def load_model(
    role: str,
    name: str,
    *,
    models_dir: str | Path,
    offline: bool,
    device: torch.device,
    dtype: torch.dtype,
) -> LoadedModel:
    """Load model and tokenizer for ``role`` (translator, summarizer, back-translator)."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    def load(source: str, kwargs: dict[str, Any]) -> tuple[Any, Any]:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForSeq2SeqLM.from_pretrained(source, dtype=dtype, **kwargs)
        # The one reader both engines use (transformers' own fallback, made explicit).
        model.generation_config = read_generation_config(source, kwargs)
        return tokenizer, model

    loaded, source = from_pretrained(role, name, models_dir=models_dir, offline=offline, load=load)
    tokenizer, model = loaded
    model.to(device)
    model.eval()
    log.info("loaded %s %s from %s on %s (%s)", role, name, source, device, dtype)
    return LoadedModel(name=name, location=source, model=model, tokenizer=tokenizer, device=device)


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
    offline = is_offline(offline)
    tried: list[str] = []
    try:
        source, local = _locate(name, models_dir, tried)
    except FileNotFoundError as exc:
        raise ModelLoadError(f"{role} model {name!r}: {exc}") from None
    kwargs: dict[str, Any] = {"trust_remote_code": False}
    if not local:
        kwargs["local_files_only"] = offline
        tried.append("the Hugging Face cache (offline)" if offline else "the Hugging Face hub and its cache")
    try:
        with warnings.catch_warnings():
            # MarianTokenizer's hint about an optional package: the library never prints.
            warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
            return load(source, kwargs), source
    except Exception as exc:  # transformers raises OSError, ValueError, HTTP errors...
        log.debug("loading %s from %s failed", role, source, exc_info=True)
        raise ModelLoadError(_not_found(role, name, tried, offline, exc)) from exc


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
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    fetch = (
        f"run `it2en models download` on a machine with network access and copy the folder "
        f"into the model store, or pass --{role} PATH to a local copy"
    )
    if offline:
        fetch = "offline mode is on; " + fetch
    return (
        f"{role} model {name!r} could not be loaded (looked in: {', '.join(tried)}): {reason[:200]}; {fetch}"
    )


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

    loaded = load_model(
        role,
        name,
        models_dir=models_dir,
        offline=False,
        device=torch.device("cpu"),
        dtype=torch.float32,
    )
    tmp = target.with_name(target.name + ".partial")
    loaded.model.save_pretrained(tmp)
    loaded.tokenizer.save_pretrained(tmp)
    tmp.replace(target)
    return target.resolve(), True
