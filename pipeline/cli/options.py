"""The options several commands share, declared once, and handed to commands as typed objects.

A command names the shared options it offers with :func:`shared_options`; they are added
to its signature (so Typer shows and parses them) and reach the command body grouped as a
:class:`ModelFlags` (the flags that override config fields) and a :class:`LogFlags`.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ..config import PipelineConfig, renamed
from ..errors import ConfigError

__all__ = [
    "DocumentTimeoutOpt",
    "EncodingOpt",
    "InputFormat",
    "InputFormatOpt",
    "Inputs",
    "LogFlags",
    "MainArticleOpt",
    "ModelFlags",
    "TranslateOnlyOpt",
    "shared_options",
]

F = TypeVar("F", bound=Callable[..., Any])


class InputFormat(str, Enum):
    auto = "auto"
    text = "text"
    jsonl = "jsonl"
    html = "html"
    docx = "docx"
    pdf = "pdf"
    srt = "srt"
    vtt = "vtt"
    xliff = "xliff"
    odt = "odt"
    ods = "ods"
    odp = "odp"
    pptx = "pptx"
    xlsx = "xlsx"
    epub = "epub"


MainArticleOpt = Annotated[
    bool,
    typer.Option(
        "--main-article", help="Of HTML pages, only the main article: no menus, headers or footers."
    ),
]
"""The one option of every front end that reads HTML pages."""


DocumentTimeoutOpt = Annotated[
    float,
    typer.Option(
        metavar="S",
        help="Seconds an HTML, Word or PDF file may take to read before it is given up as that "
        "document's failure (0: no limit, read in this process).",
    ),
]
"""Of the commands that read documents: the reader's time limit (:mod:`pipeline.readers`)."""
InputFormatOpt = Annotated[InputFormat, typer.Option("--input-format", help="How to read INPUT.")]
EncodingOpt = Annotated[str, typer.Option(metavar="ENCODING", help="Encoding of text inputs.")]
TranslateOnlyOpt = Annotated[bool, typer.Option("--translate-only", help="Translation alone.")]
"""Of the commands that run the whole job: translation alone."""


Inputs = Annotated[
    list[str],
    typer.Argument(
        metavar="INPUT",
        show_default=False,
        help="Italian .txt/.md files, .jsonl files of {id, text}, documents (.html, .docx, .pdf, .odt, "
        ".ods, .odp, .pptx, .xlsx, .epub, .srt, .vtt, .xlf), folders of them, or - for stdin.",
    ),
]


@dataclass(frozen=True)
class ModelFlags:
    """The config file and the flags that override its fields (None: not given)."""

    config: Path | None = None
    translator: str | None = None
    summarizer: str | None = None
    back_translator: str | None = None
    models_dir: str | None = None
    cache_dir: str | None = None
    output_cache: str | None = None
    offline: bool | None = None
    device: str | None = None
    precision: str | None = None
    backend: str | None = None
    num_beams: int | None = None
    batch_size: int | None = None
    max_batch_tokens: int | None = None
    summary_batch_tokens: int | None = None
    threads: int | None = None
    docs_per_chunk: int | None = None
    italian_summary: bool | None = None
    glossary_files: list[Path] | None = None
    glossary_keep: list[str] | None = None
    glossary_method: str | None = None

    def load(self) -> PipelineConfig:
        """Defaults, then the config file, then the flags given (``--glossary`` and
        ``--keep`` add to the config file's)."""
        overrides = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "config"}
        added = {
            name: tuple(map(str, overrides.pop(name) or ())) for name in ("glossary_files", "glossary_keep")
        }
        try:
            config = PipelineConfig.from_file(self.config, **overrides)
            return config.with_overrides(
                glossary_files=config.glossary_files + added["glossary_files"],
                glossary_keep=config.glossary_keep + added["glossary_keep"],
            )
        except ConfigError as exc:  # a bad flag's value: name the flag, not the field
            flags = {
                name: _FLAG_NAMES.get(name, "--" + name.replace("_", "-"))
                for name, value in overrides.items()
                if value is not None
            }
            raise ConfigError(renamed(str(exc), flags)) from None


@dataclass(frozen=True)
class LogFlags:
    """How much goes to stderr."""

    quiet: bool = False
    verbose: bool = False
    debug: bool = False


_OPTIONS: dict[str, tuple[Any, Any]] = {
    "config": (
        Annotated[
            Path | None,
            typer.Option(
                "--config",
                metavar="FILE|PRESET",
                help="TOML config file, or a packaged preset: cpu, cuda, default (it2en config show NAME).",
            ),
        ],
        None,
    ),
    "translator": (
        Annotated[str | None, typer.Option(metavar="MODEL", help="Italian→English model: hub id or folder.")],
        None,
    ),
    "summarizer": (
        Annotated[str | None, typer.Option(metavar="MODEL", help="Summarizer model: hub id or folder.")],
        None,
    ),
    "back_translator": (
        Annotated[str | None, typer.Option(metavar="MODEL", help="English→Italian model: hub id or folder.")],
        None,
    ),
    "models_dir": (
        Annotated[str | None, typer.Option("--models-dir", metavar="DIR", help="Local model store.")],
        None,
    ),
    "cache_dir": (
        Annotated[
            str | None,
            typer.Option(
                "--cache-dir",
                metavar="DIR",
                help="it2en's cache (conversions) [default: the user cache folder].",
            ),
        ],
        None,
    ),
    "output_cache": (
        Annotated[
            str | None,
            typer.Option(
                "--cache",
                metavar="FILE",
                help="Reuse model outputs across runs from this SQLite file (none: off) "
                "[default: none; batch: OUT_DIR/.it2en/outputs.sqlite].",
            ),
        ],
        None,
    ),
    "offline": (Annotated[bool | None, typer.Option("--offline", help="Never use the network.")], None),
    "device": (
        Annotated[str | None, typer.Option(metavar="DEVICE", help="auto, cpu, cuda or cuda:N.")],
        None,
    ),
    "precision": (
        Annotated[
            str | None,
            typer.Option(metavar="PRECISION", help="auto, fp32, fp16, bf16 (half: CUDA only) or int8."),
        ],
        None,
    ),
    "backend": (
        Annotated[
            str | None,
            typer.Option(
                metavar="BACKEND",
                help="Inference engine: auto (ctranslate2 when installed), torch, ctranslate2.",
            ),
        ],
        None,
    ),
    "num_beams": (
        Annotated[int | None, typer.Option("--num-beams", metavar="N", help="Beam width (1 = greedy).")],
        None,
    ),
    "batch_size": (
        Annotated[
            int | None,
            typer.Option(
                "--batch-size", metavar="N", help="Most segments per batch (0: 16 on CPU, 64 on CUDA)."
            ),
        ],
        None,
    ),
    "max_batch_tokens": (
        Annotated[
            int | None,
            typer.Option("--max-batch-tokens", metavar="N", help="Most padded input tokens per batch."),
        ],
        None,
    ),
    "summary_batch_tokens": (
        Annotated[
            int | None,
            typer.Option(
                "--summary-batch-tokens",
                metavar="N",
                help="Most padded input tokens per summarizer batch "
                "(0: 2048 on CPU, 4 x --max-batch-tokens on CUDA).",
            ),
        ],
        None,
    ),
    "threads": (
        Annotated[
            int | None,
            typer.Option("--threads", metavar="N", help="CPU threads (0: the CPUs this process may use)."),
        ],
        None,
    ),
    "docs_per_chunk": (
        Annotated[
            int | None,
            typer.Option(
                "--docs-per-chunk",
                "--chunk-docs",
                "--docs-per-batch",
                metavar="N",
                help="Documents held and batched together (per worker with ray) [default: 64].",
            ),
        ],
        None,
    ),
    "italian_summary": (
        Annotated[
            bool | None,
            typer.Option("--italian-summary/--no-italian-summary", help="Render the summary in Italian too."),
        ],
        None,
    ),
    "glossary_files": (
        Annotated[
            list[Path] | None,
            typer.Option(
                "--glossary",
                metavar="FILE",
                help="Glossary (TSV, CSV or TBX) every translation follows; repeatable.",
            ),
        ],
        None,
    ),
    "glossary_keep": (
        Annotated[
            list[str] | None,
            typer.Option("--keep", metavar="TERM", help="A term never translated; repeatable."),
        ],
        None,
    ),
    "glossary_method": (
        Annotated[
            str | None,
            typer.Option(
                "--glossary-method",
                metavar="METHOD",
                help="inline, placeholder, or none (terms checked only) [default: inline].",
            ),
        ],
        None,
    ),
    "quiet": (Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")], False),
    "verbose": (Annotated[bool, typer.Option("--verbose", "-v", help="More log detail on stderr.")], False),
    "debug": (Annotated[bool, typer.Option("--debug", help="Show tracebacks.")], False),
}
_MODEL_FIELDS = frozenset(f.name for f in fields(ModelFlags))
_LOG_FIELDS = frozenset(f.name for f in fields(LogFlags))

RUNTIME = (
    "models_dir",
    "cache_dir",
    "output_cache",
    "offline",
    "device",
    "precision",
    "backend",
    "num_beams",
    "batch_size",
    "max_batch_tokens",
    "summary_batch_tokens",
    "threads",
)
"""Where and how models run: the options of every command that runs them."""
SUMMARY = ("summarizer", "back_translator", "italian_summary")
"""The summary's models and settings."""
_FLAG_NAMES = {"glossary_files": "--glossary", "glossary_keep": "--keep"}
"""Fields whose flag is not the field's name in kebab case."""
GLOSSARY = ("glossary_files", "glossary_keep", "glossary_method")
"""The terms translations follow (docs/terminology.md)."""


def shared_options(*names: str) -> Callable[[F], F]:
    """Add the shared options ``names`` (and ``--quiet``, ``--verbose``, ``--debug``) to a
    command. The command receives them as ``flags: ModelFlags`` (if it declares that
    parameter) and ``logs: LogFlags``; its own parameters stay as they are."""
    names = (*names, *sorted(_LOG_FIELDS))

    def decorate(command: F) -> F:
        hints = typing.get_type_hints(command, include_extras=True)
        own = [
            parameter.replace(annotation=hints[parameter.name], kind=inspect.Parameter.KEYWORD_ONLY)
            for parameter in inspect.signature(command).parameters.values()
            if parameter.name not in ("flags", "logs")
        ]
        added = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, annotation=_OPTIONS[name][0], default=_OPTIONS[name][1]
            )
            for name in names
        ]
        wants_flags = "flags" in inspect.signature(command).parameters

        @functools.wraps(command)
        def run(**kwargs: Any) -> Any:
            shared = {name: kwargs.pop(name) for name in names}
            grouped: dict[str, Any] = {
                "logs": LogFlags(**{k: v for k, v in shared.items() if k in _LOG_FIELDS})
            }
            if wants_flags:
                grouped["flags"] = ModelFlags(**{k: v for k, v in shared.items() if k in _MODEL_FIELDS})
            return command(**kwargs, **grouped)

        run.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in [*own, *added]}
        return run  # type: ignore[return-value]

    return decorate
