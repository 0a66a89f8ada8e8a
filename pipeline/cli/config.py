"""``config``: the presets shipped with it2en, to use by name or copy and edit."""

from __future__ import annotations

from typing import Annotated

import typer

from ..config import preset_names, preset_text
from .errors import errors_mapped
from .options import LogFlags

__all__ = ["config_app"]

config_app = typer.Typer(
    help="The packaged presets: list them, or print one to copy.\n\nExample: it2en config show cpu > my.toml",
    no_args_is_help=True,
)
PresetName = Annotated[str, typer.Argument(metavar="NAME", help="A preset: cpu, cuda or default.")]


@config_app.command("list")
def list_presets() -> None:
    """Print the names of the packaged presets, one a line.

    Example: it2en config list
    """
    typer.echo("\n".join(preset_names()))


@config_app.command("show")
def show(name: PresetName) -> None:
    """Print a packaged preset's TOML, to use as it is (--config NAME) or to copy and edit.

    Example: it2en config show cpu > mine.toml
    """
    with errors_mapped(LogFlags()):
        typer.echo(preset_text(name), nl=False)
