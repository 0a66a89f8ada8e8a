"""Scale out on Ray Data: the same pipeline, one copy per worker actor, across a cluster.

Input files are listed on the driver and become a Ray dataset of files, read by the same
reader as on one machine (:func:`pipeline.io.read_bytes`: a row per document, a JSONL file
split into a row per line, ids by the one rule of :mod:`pipeline.io`); rows flow through
``map_batches`` into worker actors that each load the models once and run
:meth:`Pipeline.process_many` on their batches. Every row comes back as either a record
(exactly what ``summarize --format jsonl`` prints) or an error record; the driver streams
the results, in input order, into JSONL shards.

Inputs and output may be local folders or anything pyarrow's filesystems know (``s3://``,
``gs://``, ...; credentials and endpoint from the environment of the driver and of the
nodes). A worker that dies (or its node) has its actor restarted and its unfinished
batch re-run by Ray; results reach the driver only from finished batches, and only the
driver writes, so nothing is written twice or lost, and a re-run after the driver died
resumes.

The package, by concern: :mod:`.job` (the Ray job: options, workers, progress and stall
detection), :mod:`.placement` (sizing the work to the cluster's nodes), :mod:`.listing`
(inputs and their numbering), :mod:`.storage` (local and remote output, storage failures
in one line), :mod:`.journal` (shards, progress, identity, resume), :mod:`.session` (Ray
and Ray Data's settings for one job, its datasets stopped before Ray goes).
"""

from __future__ import annotations

from .job import DistributedOptions, DistributedReport, run_distributed
from .journal import PROGRESS

__all__ = ["PROGRESS", "DistributedOptions", "DistributedReport", "run_distributed"]
