"""How an it2en command shows itself in ``--help`` and usage lines."""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperCommand

__all__ = ["Command"]


class _PlainArgument(TyperArgument):
    """An argument shown as Click and man pages show one: ``INPUT...`` in the usage line
    and ``INPUT`` in the list, in capitals, with no Python type beside it (Typer writes
    ``{INPUT}...`` and ``INPUT <list[str]>``, which read as syntax a user must type)."""

    @property
    def display_name_raw(self) -> str:
        return self.metavar or (self.name or "").upper()

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return [name if self.required else f"[{name}]"]


class Command(TyperCommand):
    """The class of every it2en command: its arguments are shown as :class:`_PlainArgument`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _PlainArgument
