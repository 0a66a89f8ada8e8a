"""it2en: Italian documents in, English translations and bilingual summaries out.

>>> from pipeline import Pipeline, PipelineConfig
>>> p = Pipeline(PipelineConfig(device="cpu"))          # doctest: +SKIP
>>> p.translate(["Il gatto dorme.", "Piove."])           # doctest: +SKIP
>>> result = p.process("Testo italiano ...")             # doctest: +SKIP
>>> result.to_dict()["summary"]                           # doctest: +SKIP

Nothing is loaded at import: models load on first use.
"""

from importlib.metadata import PackageNotFoundError, version

from .config import PipelineConfig
from .errors import ConfigError, InputError, It2enError, ModelLoadError
from .pipeline import Pipeline
from .types import Document, Failure, Point, Result, Segment, Summary

try:
    __version__ = version("it2en")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ConfigError",
    "Document",
    "Failure",
    "InputError",
    "It2enError",
    "ModelLoadError",
    "Pipeline",
    "PipelineConfig",
    "Point",
    "Result",
    "Segment",
    "Summary",
    "__version__",
]
