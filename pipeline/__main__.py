"""``python -m pipeline`` runs the it2en command."""

from .cli import app

app(prog_name="it2en")
