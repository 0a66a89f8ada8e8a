"""Is a text Italian? py3langid's model (shipped inside its wheel, so it works offline),
restricted to the pair's two languages and loaded once, on first use."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["italian_probability"]

_LOCK = threading.Lock()
_IDENTIFIER: list[Any] = []


def italian_probability(text: str) -> float:
    """The probability that ``text`` is Italian rather than English (0.5: no evidence)."""
    language, probability = _identifier().classify(text)
    return float(probability) if language == "it" else 1.0 - float(probability)


def _identifier() -> Any:
    with _LOCK:
        if not _IDENTIFIER:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(["it", "en"])
            if hasattr(identifier, "_full_model"):  # the 97 languages' tables: 27 MB never used again
                identifier._full_model = None
            _IDENTIFIER.append(identifier)
        return _IDENTIFIER[0]
