"""``models download``: the configured models saved into the local store."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Annotated

import typer

from ..engines.hub import download_model
from ..types import ROLES, role_key
from .errors import errors_mapped
from .options import LogFlags, ModelFlags, shared_options

__all__ = ["download", "models_app"]

log = logging.getLogger("it2en.cli")

models_app = typer.Typer(
    help="Manage local copies of the models.\n\nExample: it2en models download --dir models/ > local.toml",
    no_args_is_help=True,
)


@models_app.command("download")
@shared_options("config", "translator", "summarizer", "back_translator", "offline")
def download(
    flags: ModelFlags,
    logs: LogFlags,
    directory: Annotated[
        str | None,
        typer.Option("--dir", metavar="DIR", help="Model store to fill [default: config's, models/]."),
    ] = None,
) -> None:
    """Save the configured models into the local store for offline and scheduled use,
    then print the config lines that point at them.

    Example: it2en models download --dir models/ > configs/local.toml
    """
    with errors_mapped(logs):
        cfg = replace(flags, models_dir=directory).load()
        lines = ["[models]"]
        for role in ROLES:
            name = cfg.model_for(role)
            folder, saved = download_model(role, name, models_dir=cfg.models_dir, offline=cfg.offline)
            log.info("%s %s: %s", "saved" if saved else "already local", name, folder)
            lines.append(f"{role_key(role)} = {json.dumps(str(folder))}")
        lines.append("offline = true")
        typer.echo("\n".join(lines))
