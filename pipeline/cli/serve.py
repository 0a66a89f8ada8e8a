"""``serve``: the HTTP service, its models loaded before it listens. Its flags are the
fields of :class:`~pipeline.settings.ServeSettings` (``--char-limit`` for
``char_limit``), with their help and defaults written there once."""

from __future__ import annotations

import functools
import inspect
import logging
import typing
from collections.abc import Callable
from dataclasses import fields
from typing import Annotated, Any, TypeVar

import typer

from ..config import server_settings
from ..errors import MissingResource
from ..settings import ServeSettings, setting_help, setting_type
from .errors import errors_mapped
from .options import GLOSSARY, RUNTIME, SUMMARY, LogFlags, ModelFlags, shared_options

__all__ = ["serve"]

log = logging.getLogger("it2en.cli")
F = TypeVar("F", bound=Callable[..., Any])
_LOCAL = ("127.0.0.1", "localhost", "::1")


def _settings_options(command: F) -> F:
    """Add one option per field of :class:`ServeSettings` to ``command``, which receives
    those given as ``given`` (a flag not given is left out, so the config file's value
    or the default stands)."""
    hints = typing.get_type_hints(command, include_extras=True)
    own = [
        parameter.replace(annotation=hints[parameter.name], kind=inspect.Parameter.KEYWORD_ONLY)
        for parameter in inspect.signature(command).parameters.values()
        if parameter.name != "given"
    ]
    added = []
    for item in fields(ServeSettings):
        kind = setting_type(item.name)
        option = typer.Option(
            f"--{item.name.replace('_', '-')}",
            metavar=item.metadata["metavar"],
            help=setting_help(item.name),
            show_default=False,
        )
        value: Any = list[str] if kind is tuple else kind
        annotation = Annotated[value | None, option]
        added.append(
            inspect.Parameter(item.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=None)
        )

    @functools.wraps(command)
    def run(**kwargs: Any) -> Any:
        given = {item.name: kwargs.pop(item.name) for item in fields(ServeSettings)}
        return command(
            **kwargs, given={name: value for name, value in given.items() if value not in (None, [])}
        )

    run.__signature__ = inspect.Signature([*own, *added])  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in [*own, *added]}
    return run  # type: ignore[return-value]


@shared_options("config", "translator", *SUMMARY, *RUNTIME, *GLOSSARY)
@_settings_options
def serve(
    flags: ModelFlags,
    logs: LogFlags,
    given: dict[str, Any],
    log_format: Annotated[
        str, typer.Option(metavar="<text|json>", help="stderr log lines as text or JSON.")
    ] = "text",
) -> None:
    """Serve translation over HTTP: a web page at / (drop a document, read its bilingual
    report, take the English copy), LibreTranslate's API (/translate, /languages, /detect,
    /translate_file), /v1/translate and /v1/summarize for whole documents, /v1/jobs,
    /healthz, /readyz, /metrics, with the texts of concurrent requests pooled into shared
    batches. Every flag is also a key of the config file's [server] section.

    Example: it2en serve --port 5000 --config cpu --api-keys keys.txt
    """
    with errors_mapped(logs, log_format, default_level=logging.INFO):
        try:
            from ..serve import create_app
            from ..serve import serve as run
        except ImportError as exc:
            raise MissingResource(
                f"it2en serve needs its extra: pip install 'it2en[serve]' ({exc})"
            ) from None
        from ..pipeline import Pipeline

        settings = server_settings(flags.config, **given)  # flag > [server] of the config > default
        pipeline = Pipeline(flags.load())
        app = create_app(pipeline, settings)  # a bad keys file is told before models load
        for role in ("translator", "back-translator", "summarizer"):  # ready means loaded
            pipeline.engine(role)
        if not settings.api_keys and settings.host not in _LOCAL:
            log.warning("serving on %s without --api-keys: anyone who can reach it may use it", settings.host)
        log.info("it2en serve: ready on http://%s:%d", settings.host, settings.port)
        run(app, settings)
