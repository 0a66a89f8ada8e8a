"""What a batch run reads and writes (its options, checked), apart from the model and
batching settings of :class:`~pipeline.config.PipelineConfig`: taken by the planner and
the runner alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..io import DEFAULT_GLOBS

__all__ = ["BATCH_FORMATS", "BatchOptions"]

BATCH_FORMATS = ("json", "md", "html", "pdf")
"""The formats of :data:`~pipeline.output_formats.OUTPUT_FORMATS` that ``batch`` writes a
file of per document (json always: it is the record the next run resumes from; ``pdf``,
the translated PDF, for PDF inputs alone)."""


@dataclass(frozen=True)
class BatchOptions:
    """What a batch run reads and writes; model and batching settings live in PipelineConfig."""

    out_dir: Path
    formats: tuple[str, ...] = ("json",)
    """Files per document: ``json`` (always needed for resume), optionally ``md``,
    ``html`` (with ``html``, an ``index.html`` of every document too) and ``pdf`` (of a
    PDF input, its translated copy ``NAME.en.pdf``)."""
    summarize: bool = True
    """False: translation only."""
    force: bool = False
    """Redo every document, even unchanged ones."""
    globs: tuple[str, ...] = DEFAULT_GLOBS
    """File patterns taken from folder inputs, recursively."""
    input_format: str = "auto"
    encoding: str = "utf-8"
    main_article: bool = False
    """Of HTML pages, only the main article (:func:`pipeline.formats.html.read`)."""
    document_timeout: float = 300.0
    """Seconds a formatted file (HTML, Word, PDF) may take to be read, in a reader process
    of its own, before it is given up as that document's failure and the run goes on; 0:
    no limit, read in this process (:mod:`pipeline.readers`)."""

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in BATCH_FORMATS]
        if unknown or "json" not in self.formats:
            raise ConfigError(f"formats must include json and be among {', '.join(BATCH_FORMATS)}")
        if not self.document_timeout >= 0:
            raise ConfigError(f"document-timeout must be 0 or more seconds, got {self.document_timeout!r}")
