"""Unattended, resumable batch runs: only new or changed documents, never a lost result.

Layout of an output folder::

    OUT_DIR/<name>.json        the record of one document (as ``summarize --format json``)
    OUT_DIR/<name>.md          the Markdown report, with ``formats=("json", "md")``
    OUT_DIR/errors.jsonl       this run's failures: {"id", "input", "reason", "time"}
    OUT_DIR/review.jsonl       this run's flagged segments and points:
                               {"id", "output", "segment" or "point", "flag", "detail"}
    OUT_DIR/.it2en/manifest.jsonl   per document: input hash, settings, model identities, outputs
    OUT_DIR/.it2en/lock        held (flock) while a run works on OUT_DIR
    OUT_DIR/.it2en/outputs.sqlite   model outputs reused by later runs (unless the config
                               names another output cache, or ``none``)

Crash safety: each output file is written atomically (temp file, fsync, rename) and only
then is the document's manifest line appended and fsynced. A run killed at any point
leaves complete files only; the next run redoes exactly the documents without a manifest
line (rewriting their files atomically, so nothing is ever duplicated) and skips the rest.
"""

from .options import BATCH_FORMATS, BatchOptions
from .planner import PlannedDocument
from .runner import BatchReport, run_batch

__all__ = ["BATCH_FORMATS", "BatchOptions", "BatchReport", "PlannedDocument", "run_batch"]
