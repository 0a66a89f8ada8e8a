"""Where and how models run, decided once: backend, device, precision, threads.

:func:`resolve_runtime` turns the user's settings (``auto`` included) into a
:class:`Runtime` that both engines receive; every check of a device or a precision is
here, so the torch and CTranslate2 engines can never disagree on what is allowed.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import ConfigError

if TYPE_CHECKING:
    import torch

    from ..config import PipelineConfig

__all__ = [
    "Backend",
    "ModelSpec",
    "Runtime",
    "compute_type",
    "cpu_threads",
    "device_of",
    "resolve_backend",
    "resolve_device",
    "resolve_dtype",
    "resolve_precision",
    "resolve_runtime",
]

Backend = Literal["torch", "ctranslate2"]

# CTranslate2's compute type for each resolved precision; int8 on CUDA keeps fp16 activations.
_COMPUTE_TYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16", "int8": "int8"}


@dataclass(frozen=True)
class Runtime:
    """Everything an engine needs besides the model: resolved, validated, never ``auto``."""

    backend: Backend
    device: Literal["cpu", "cuda"]
    index: int
    """CUDA device index (0 on CPU)."""
    precision: Literal["fp32", "fp16", "bf16", "int8"]
    threads: int
    """CPU threads per model (1 on CUDA)."""
    num_beams: int
    models_dir: str
    offline: bool
    cache_dir: str
    """Where CTranslate2 conversions are kept (resolved: never empty)."""

    @property
    def compute_type(self) -> str:
        """CTranslate2's name for the precision on this device."""
        return _ct2_type(self.precision, self.device)

    def torch_device(self) -> torch.device:
        """The device as torch names it."""
        import torch

        return torch.device(self.device, self.index) if self.device == "cuda" else torch.device("cpu")

    def torch_dtype(self) -> torch.dtype:
        """The dtype weights are loaded in (int8: fp32, quantized after loading)."""
        return _torch_dtype(self.precision)


@dataclass(frozen=True)
class ModelSpec:
    """What an engine loads and how: everything an engine's constructor receives."""

    role: str
    name: str
    """The configured model: hub id or folder."""
    runtime: Runtime
    max_input_tokens: int | None = None
    """A cap below the model's own input limit (translators only)."""
    forced_length: Callable[[int], int] | None = None
    """Benchmarks only: see :data:`pipeline.engines.ForcedLength`."""


def resolve_runtime(config: PipelineConfig) -> Runtime:
    """The runtime ``config`` asks for; raises :class:`ConfigError` for a backend that is
    not installed, a missing CUDA device or a precision the device cannot run."""
    backend = resolve_backend(config.backend)
    device, index = device_of(config.device, backend)
    precision = resolve_precision(config.precision, device, backend)
    return Runtime(
        backend=backend,
        device=device,
        index=index,
        precision=precision,
        threads=cpu_threads(config.threads) if device == "cpu" else 1,
        num_beams=config.num_beams,
        models_dir=config.models_dir,
        offline=config.offline,
        cache_dir=str(config.cache_folder()),
    )


def resolve_backend(backend: str) -> Backend:
    """``auto`` is CTranslate2 when it is installed (faster on CPU and CUDA), else torch."""
    installed = importlib.util.find_spec("ctranslate2") is not None
    if backend == "auto":
        return "ctranslate2" if installed else "torch"
    if backend == "ctranslate2" and not installed:
        raise ConfigError("backend ctranslate2 needs the ctranslate2 package: pip install ctranslate2")
    return "ctranslate2" if backend == "ctranslate2" else "torch"


def device_of(device: str, backend: Backend) -> tuple[Literal["cpu", "cuda"], int]:
    """``(type, index)`` of a device setting: ``auto`` picks CUDA when ``backend`` sees a
    CUDA device; an explicit CUDA device must exist. CTranslate2 is asked, not torch, so
    the CTranslate2 path never imports torch."""
    count = _cuda_devices(backend)
    if device == "auto":
        return ("cuda", 0) if count else ("cpu", 0)
    if device == "cpu":
        return "cpu", 0
    index = int(device.partition(":")[2] or 0)
    if not count:
        raise ConfigError(f"device {device!r} requested but CUDA is not available")
    if index >= count:
        raise ConfigError(f"device {device!r} requested but only {count} CUDA device(s) exist")
    return "cuda", index


def resolve_device(device: str) -> torch.device:
    """The torch device of a device setting (see :func:`device_of`)."""
    import torch

    kind, index = device_of(device, "torch")
    return torch.device(kind, index) if kind == "cuda" else torch.device("cpu")


def _cuda_devices(backend: Backend) -> int:
    if backend == "ctranslate2":
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve_precision(
    precision: str, device: str, backend: Backend
) -> Literal["fp32", "fp16", "bf16", "int8"]:
    """The precision to run with on ``device`` (``cpu``/``cuda``): ``auto`` is int8 with
    CTranslate2, fp32 on CPU with torch, bf16 (fp16 where unsupported) on CUDA with torch.
    Half precision needs CUDA; int8 on CUDA needs CTranslate2."""
    if device != "cuda":
        if precision in ("fp16", "bf16"):
            raise ConfigError(f"precision {precision} needs a CUDA device (device is {device})")
        return "int8" if precision == "int8" or (precision == "auto" and backend == "ctranslate2") else "fp32"
    if precision == "auto":
        if backend == "ctranslate2":
            return "int8"
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if precision == "int8" and backend == "torch":
        raise ConfigError("precision int8 on CUDA needs --backend ctranslate2")
    return precision  # type: ignore[return-value]  # validated by PipelineConfig


def compute_type(precision: str, device: str) -> str:
    """CTranslate2's compute type for a precision setting on ``device`` (``cpu``/``cuda``)."""
    return _ct2_type(resolve_precision(precision, device, "ctranslate2"), device)


def resolve_dtype(precision: str, device: torch.device) -> torch.dtype:
    """The torch dtype for a precision setting on ``device`` (int8: fp32, quantized after
    loading)."""
    return _torch_dtype(resolve_precision(precision, device.type, "torch"))


def _ct2_type(precision: str, device: str) -> str:
    kind = _COMPUTE_TYPES[precision]
    return "int8_float16" if kind == "int8" and device == "cuda" else kind


def _torch_dtype(precision: str) -> torch.dtype:
    import torch

    return {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision, torch.float32)


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
