"""it2en: Italian documents in, English translations and bilingual summaries out.

>>> from pipeline import Pipeline, PipelineConfig
>>> p = Pipeline(PipelineConfig(device="cpu"))          # doctest: +SKIP
>>> p.translate(["Il gatto dorme.", "Piove."])           # doctest: +SKIP
>>> result = p.process("Testo italiano ...")             # doctest: +SKIP
>>> result.to_dict()["summary"]                           # doctest: +SKIP

Nothing is loaded at import: models load on first use. The names below are the whole
public surface; scripts and users import from here, not from the modules.
"""

from importlib.metadata import PackageNotFoundError, version

from .batch import BatchOptions, BatchReport, run_batch
from .checks import CheckSettings, check_result
from .config import PipelineConfig
from .engines import ForcedLength, Seq2SeqEngine, build_engine
from .engines.decoding import forced_max_length
from .errors import (
    BatchTooLarge,
    ConfigError,
    InputError,
    It2enError,
    MissingResource,
    ModelLoadError,
    OutDirLocked,
)
from .evaluate import Evaluation, evaluate, read_reference_set
from .io import discover_inputs, read_documents
from .pipeline import Pipeline
from .segmenting import segment_document, split_sentences
from .summarize import summarize_many
from .terms import Glossary, Term, load_glossary
from .types import FLAGS, ROLES, Document, Failure, Flag, Point, Result, ReviewEntry, Role, Segment, Summary

try:
    __version__ = version("it2en")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "FLAGS",
    "ROLES",
    "BatchOptions",
    "BatchReport",
    "BatchTooLarge",
    "CheckSettings",
    "ConfigError",
    "Document",
    "Evaluation",
    "Failure",
    "Flag",
    "ForcedLength",
    "Glossary",
    "InputError",
    "It2enError",
    "MissingResource",
    "ModelLoadError",
    "OutDirLocked",
    "Pipeline",
    "PipelineConfig",
    "Point",
    "Result",
    "ReviewEntry",
    "Role",
    "Segment",
    "Seq2SeqEngine",
    "Summary",
    "Term",
    "__version__",
    "build_engine",
    "check_result",
    "discover_inputs",
    "evaluate",
    "forced_max_length",
    "load_glossary",
    "read_documents",
    "read_reference_set",
    "run_batch",
    "segment_document",
    "split_sentences",
    "summarize_many",
]
