"""Pipeline options: one typed object, loaded from defaults, a TOML file and flags.

Precedence is decided here and nowhere else: a flag beats the config file, the config
file beats the defaults below (the ``default`` preset mirrors them; a test keeps the
two equal). Presets ship in the package (``pipeline/presets``: ``--config cpu``; the
repository's ``configs/`` holds the same files, which a test keeps equal).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, InputError
from .files import open_regular
from .settings import ServeSettings
from .types import FLAGS, FOLLOW_METHODS, Role, as_role, role_key

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "BACKENDS",
    "DEVICES",
    "PRECISIONS",
    "PipelineConfig",
    "load_config",
    "preset_names",
    "preset_text",
    "renamed",
    "server_settings",
    "user_cache_dir",
]

PRECISIONS = ("auto", "fp32", "fp16", "bf16", "int8")
BACKENDS = ("auto", "torch", "ctranslate2")
DEVICES = "auto|cpu|cuda|cuda:N"
MAX_CONFIG_BYTES = 1 << 20
"""A config file larger than this (1 MiB) is refused before it is read."""

# TOML layout: section -> {key in the file: field of PipelineConfig}.
_TOML_KEYS: dict[str, dict[str, str]] = {
    "models": {
        "translator": "translator",
        "summarizer": "summarizer",
        "back_translator": "back_translator",
        "dir": "models_dir",
        "offline": "offline",
    },
    "runtime": {"device": "device", "precision": "precision", "backend": "backend", "threads": "threads"},
    "cache": {"dir": "cache_dir", "outputs": "output_cache", "max_entries": "cache_max_entries"},
    "decoding": {
        "num_beams": "num_beams",
        "batch_size": "batch_size",
        "max_batch_tokens": "max_batch_tokens",
        "summary_batch_tokens": "summary_batch_tokens",
        "max_input_tokens": "max_input_tokens",
        "docs_per_chunk": "docs_per_chunk",
    },
    "summary": {"min_sentences": "summary_min_sentences", "italian": "italian_summary"},
    "checks": {
        "enabled": "checks",
        "min_score_translator": "min_score_translator",
        "min_score_back_translator": "min_score_back_translator",
        "length_ratio_min": "length_ratio_min",
        "length_ratio_max": "length_ratio_max",
    },
    "glossary": {"files": "glossary_files", "keep": "glossary_keep", "method": "glossary_method"},
}


@dataclass(frozen=True)
class PipelineConfig:
    """Everything that shapes a run. Invalid values raise :class:`ConfigError`."""

    translator: str = "Helsinki-NLP/opus-mt-it-en"
    """Italian→English MarianMT model: a Hugging Face hub id or a local folder."""
    summarizer: str = "sshleifer/distilbart-cnn-12-6"
    """English seq2seq summarizer: hub id or local folder."""
    back_translator: str = "Helsinki-NLP/opus-mt-en-it"
    """English→Italian MarianMT model that renders the summary in Italian."""
    models_dir: str = "models"
    """Local model store searched before the hub (``it2en models download`` fills it)."""
    cache_dir: str = ""
    """it2en's cache folder (CTranslate2 conversions); empty: ``IT2EN_CACHE`` when set,
    else the platform's user cache folder (see :func:`user_cache_dir`)."""
    output_cache: str = ""
    """SQLite file of model outputs reused across runs (:mod:`pipeline.cache`); empty: none
    (``batch`` then uses ``OUT_DIR/.it2en/outputs.sqlite``); ``none``: none anywhere."""
    cache_max_entries: int = 2_000_000
    """Outputs the cache keeps; past this, the least recently used go."""
    offline: bool = False
    """Never touch the network; also on when ``HF_HUB_OFFLINE=1`` is set."""
    device: str = "auto"
    """``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N``."""
    precision: str = "auto"
    """``auto``, ``fp32``, ``fp16``, ``bf16`` (half: CUDA only) or ``int8``. ``auto`` is int8
    on CPU and int8_float16 on CUDA with CTranslate2; fp32 on CPU and bf16/fp16 on CUDA
    with torch."""
    backend: str = "auto"
    """Inference engine: ``torch``, ``ctranslate2``, or ``auto`` (CTranslate2 when installed)."""
    threads: int = 0
    """CPU threads per model; 0 picks the CPUs this process may use (its affinity mask,
    a container's CPU quota, ``OMP_NUM_THREADS`` when set)."""
    num_beams: int = 4
    """Beam width for every model; 1 is greedy decoding."""
    batch_size: int = 0
    """Most segments (or summary windows) in one batch; 0 picks by device (see
    :meth:`batch_size_for`)."""
    max_batch_tokens: int = 4096
    """Most padded input tokens in one batch of a translator: rows × longest row."""
    summary_batch_tokens: int = 0
    """Most padded input tokens in one batch of the summarizer, whose windows are long (up
    to 1,024 tokens each); 0 picks by device (see :meth:`summary_batch_tokens_for`)."""
    max_input_tokens: int | None = None
    """Longest segment sent to a translator, in tokens; default the model's own limit."""
    docs_per_chunk: int = 64
    """Documents pooled per chunk by ``process_many``: bounds memory on long streams."""
    summary_min_sentences: int = 4
    """Documents with fewer sentences keep their translation as the summary."""
    italian_summary: bool = True
    """Render the summary in Italian with the back-translator."""
    checks: tuple[str, ...] = FLAGS
    """The trust checks that run (README, "Trust signals"); empty: none."""
    min_score_translator: float = -1.5
    """``low_confidence`` below this mean log-probability per token of the translator."""
    min_score_back_translator: float = -1.5
    """``low_confidence`` of a summary point whose Italian rendering scores below this."""
    length_ratio_min: float = 0.4
    """``length`` below this ratio of translation to source characters."""
    length_ratio_max: float = 2.5
    """``length`` above this ratio."""
    glossary_files: tuple[str, ...] = ()
    """Glossary files (TSV, CSV, TBX: :mod:`pipeline.terms.files`) whose terms every
    translation follows (docs/terminology.md)."""
    glossary_keep: tuple[str, ...] = ()
    """Terms never translated (do-not-translate terms), besides the files' own."""
    glossary_method: str = "inline"
    """How the translator is made to follow the glossary: ``inline`` (the target written
    into the source), ``placeholder``, or ``none`` (terms checked, not followed)."""

    def __post_init__(self) -> None:
        for name in ("translator", "summarizer", "back_translator", "models_dir"):
            if not str(getattr(self, name)).strip():
                raise ConfigError(f"{name} must not be empty")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        device = self.device
        if device not in ("auto", "cpu", "cuda") and not (
            device.startswith("cuda:") and device[5:].isdigit()
        ):
            raise ConfigError(f"device must be {DEVICES}, got {device!r}")
        for name in ("num_beams", "max_batch_tokens", "docs_per_chunk"):
            _require_positive(name, getattr(self, name))
        _require_positive("batch_size", self.batch_size, minimum=0)
        _require_positive("summary_batch_tokens", self.summary_batch_tokens, minimum=0)
        if self.max_input_tokens is not None:
            _require_positive("max_input_tokens", self.max_input_tokens, minimum=8)
        _require_positive("summary_min_sentences", self.summary_min_sentences, minimum=0)
        _require_positive("threads", self.threads, minimum=0)
        _require_positive("cache_max_entries", self.cache_max_entries)
        unknown = [name for name in self.checks if name not in FLAGS]
        if isinstance(self.checks, str) or unknown:
            raise ConfigError(f"checks must be a list of {', '.join(FLAGS)}; unknown: {', '.join(unknown)}")
        if self.glossary_method not in FOLLOW_METHODS:
            raise ConfigError(
                f"glossary_method must be one of {', '.join(FOLLOW_METHODS)}, got {self.glossary_method!r}"
            )
        for name in ("glossary_files", "glossary_keep"):
            if isinstance(getattr(self, name), str):
                raise ConfigError(f"{name} must be a list, got {getattr(self, name)!r}")
        if not 0 < self.length_ratio_min < self.length_ratio_max:
            raise ConfigError("length_ratio_min must be positive and below length_ratio_max")

    def model_for(self, role: Role | str) -> str:
        """The model configured for ``role``; an unknown role is a :class:`ConfigError`."""
        return str(getattr(self, role_key(as_role(role))))

    def input_limit_for(self, role: Role | str) -> int | None:
        """The configured input cap of ``role``'s model: ``max_input_tokens`` for the
        translators; none for the summarizer, which reads windows as long as it takes."""
        return None if as_role(role) == "summarizer" else self.max_input_tokens

    def cache_folder(self) -> Path:
        """The cache folder in effect: ``cache_dir``, else ``IT2EN_CACHE``, else
        :func:`user_cache_dir`."""
        return Path(self.cache_dir or os.environ.get("IT2EN_CACHE", "") or user_cache_dir()).expanduser()

    def batch_size_for(self, device_type: str) -> int:
        """The batch size on ``device_type`` (``cpu``/``cuda``): the configured one, else
        16 on CPU and 64 on CUDA. On CPU the CTranslate2 engine runs a batch as two halves
        at once, each on half the threads, and halves of 8 rows are where that pays (halves of 4
        are slower than 8 rows on two threads; docs/performance.md, "Beside the peers");
        a GPU needs wide batches to be busy."""
        return self.batch_size or (64 if device_type == "cuda" else 16)

    def summary_batch_tokens_for(self, device_type: str) -> int:
        """The summarizer's token budget per batch on ``device_type``: the configured one,
        else 2,048 on CPU (two full windows: each more costs about 75 MB and, measured on
        the whole job, no time) and the translators' ``max_batch_tokens`` × 4 on CUDA."""
        return self.summary_batch_tokens or (4 * self.max_batch_tokens if device_type == "cuda" else 2048)

    @classmethod
    def from_file(cls, path: str | Path | None, **overrides: Any) -> PipelineConfig:
        """Defaults, then the TOML file at ``path`` (if any), then ``overrides`` whose value
        is not ``None`` (unset flags)."""
        if path is None:
            return cls().with_overrides(**overrides)
        try:
            base = cls(**load_config(path))
        except ConfigError as exc:
            message = str(exc)
            if message.startswith(f"{path}:"):
                raise
            toml_keys = {
                field: f"{section}.{key}"
                for section, keys in _TOML_KEYS.items()
                for key, field in keys.items()
            }
            raise ConfigError(f"{path}: {renamed(message, toml_keys)}") from None
        return base.with_overrides(**overrides)

    def with_overrides(self, **overrides: Any) -> PipelineConfig:
        """A copy with every override that is not ``None`` applied."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown option(s): {', '.join(unknown)}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def preset_names() -> list[str]:
    """The presets shipped with the package (``cpu``, ``cuda``, ``default``)."""
    return sorted(p.name.removesuffix(".toml") for p in _presets().iterdir() if p.name.endswith(".toml"))


def preset_text(name: str) -> str:
    """The TOML text of the packaged preset ``name`` (:class:`ConfigError` naming the
    presets when there is none of that name)."""
    if name not in preset_names():
        raise ConfigError(f"no preset named {name!r} (presets: {', '.join(preset_names())})")
    return _presets().joinpath(f"{name}.toml").read_text(encoding="utf-8")


def _presets() -> Any:
    """The package's folder of presets (a Traversable: it may sit inside a wheel)."""
    from importlib.resources import files

    return files("pipeline") / "presets"


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file, or the packaged preset named ``path`` (a bare name such
    as ``cpu`` that is not a file here), and return PipelineConfig field values.

    Unknown sections or keys are errors (a typo must not be silently ignored). Model
    values starting with ``./`` or ``../`` are taken relative to the file's folder.
    """
    return _values(*_read_toml(path))


def server_settings(path: str | Path | None, **flags: Any) -> ServeSettings:
    """The settings of ``it2en serve``: the defaults, then the ``[server]`` section of the
    config file or preset at ``path`` (if any), then the ``flags`` given (not None)."""
    if path is None:
        return ServeSettings().given(**flags)
    where, data = _read_toml(path)
    return ServeSettings(**ServeSettings.from_table(where, data.get("server", {}))).given(**flags)


def _read_toml(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """A config file (or the preset named ``path``) parsed, with the path its messages name."""
    name = str(path)
    if name and "/" not in name and "\\" not in name and "." not in name and not Path(name).exists():
        return Path(f"<preset {name}>"), tomllib.loads(preset_text(name))
    path = Path(path)
    try:
        with open_regular(path, "toml", MAX_CONFIG_BYTES, expected="a TOML file") as stream:
            data = tomllib.loads(stream.read().decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from None
    except InputError as exc:  # a folder, a FIFO, a device, too big
        raise ConfigError(f"{path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    except RecursionError:  # arrays nested thousands deep: the parser's stack
        raise ConfigError(f"{path}: invalid TOML (nested too deeply)") from None
    return path, data


def _values(path: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    """The PipelineConfig field values of a config file's parsed ``data``."""
    values: dict[str, Any] = {}
    for section, table in data.items():
        if section == "server":  # the service's settings: server_settings reads them
            ServeSettings.from_table(path, table)
            continue
        keys = _TOML_KEYS.get(section)
        if not isinstance(table, Mapping):
            where = f"one of [{'], ['.join(_TOML_KEYS)}]"
            raise ConfigError(f"{path}: top-level key {section!r} belongs in a section ({where})")
        if keys is None:
            known = ", ".join([*_TOML_KEYS, "server"])
            raise ConfigError(f"{path}: unknown section [{section}] (known: {known})")
        for key, value in table.items():
            if key not in keys:
                raise ConfigError(f"{path}: unknown key {section}.{key} (known: {', '.join(keys)})")
            values[keys[key]] = _check_type(path, f"{section}.{key}", keys[key], value)
    for name in ("translator", "summarizer", "back_translator", "models_dir", "cache_dir", "output_cache"):
        value = values.get(name)
        if isinstance(value, str) and value.startswith(("./", "../")):
            values[name] = str((path.parent / value).resolve())
    if "glossary_files" in values:  # a glossary beside its config, wherever it is run from
        values["glossary_files"] = tuple(str(path.parent / f) for f in values["glossary_files"])
    return values


def renamed(message: str, names: Mapping[str, str]) -> str:
    """``message`` about a field (``num_beams must be...``) with the field called as the
    user wrote it: a TOML key (``decoding.num_beams``) or a flag (``--num-beams``)."""
    field, _, rest = message.partition(" ")
    return f"{names[field]} {rest}" if field in names and rest else message


def user_cache_dir() -> Path:
    """The platform's per-user cache folder for it2en, as platformdirs knows it:
    ``$XDG_CACHE_HOME/it2en`` or ``~/.cache/it2en`` on Linux, ``~/Library/Caches/it2en``
    on macOS, ``%LOCALAPPDATA%\\it2en\\Cache`` on Windows."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("it2en", appauthor=False))


def _check_type(path: Path, key: str, field_name: str, value: Any) -> Any:
    """Reject a value whose TOML type does not match the field's."""
    expected = {f.name: f.type for f in fields(PipelineConfig)}[field_name]
    if "tuple" in expected:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    elif "bool" in expected:
        ok = isinstance(value, bool)
    elif "float" in expected:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif "int" in expected:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise ConfigError(f"{path}: {key} must be of type {expected}, got {value!r}")
    return value


def _require_positive(name: str, value: int, minimum: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
