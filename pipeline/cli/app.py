"""The ``it2en`` Typer app: the version option and the commands, one module per group.

This package is the only place that prints, installs log handlers or shows progress
bars; each command parses its options, calls the library and renders.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .. import __version__
from .batch import batch
from .command import Command
from .config import config_app
from .documents import summarize, translate
from .evaluate import evaluate_command
from .models import models_app
from .ray import ray
from .serve import serve

__all__ = ["app"]

app = typer.Typer(
    name="it2en",
    help="Translate Italian documents into English and summarize them in both languages.\n\n"
    "Example: it2en summarize notizia.txt",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"it2en {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Translate Italian documents into English and summarize them in both languages."""


app.command("translate", cls=Command)(translate)
app.command("summarize", cls=Command)(summarize)
app.command("batch", cls=Command)(batch)
app.command("ray", cls=Command)(ray)
app.command("eval", cls=Command)(evaluate_command)
app.command("serve", cls=Command)(serve)
app.add_typer(models_app, name="models")
app.add_typer(config_app, name="config")
