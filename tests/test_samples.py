"""The real Italian samples in ../shared/samples, when that folder is present.

The tiny models do not know these words, so only the invariants are checked: nothing
dropped, layout kept, every record complete.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny import tiny_config

from pipeline import Pipeline

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"
FILES = sorted(SAMPLES.glob("*.txt")) if SAMPLES.is_dir() else []


@pytest.mark.skipif(not FILES, reason="../shared/samples is not present in this checkout")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_sample_keeps_every_word_and_line(tiny_models, path):
    pipe = Pipeline(tiny_config(tiny_models, num_beams=1))
    text = path.read_text(encoding="utf-8")
    result = pipe.process(text, id=path.stem)
    assert " ".join(s.text for s in result.segments).split() == text.split()
    assert result.translation.count("\n") == text.count("\n")
    record = result.to_dict()
    assert record["summary"]
    assert record["summary_it"]
    assert record["points"]
    assert all(0 <= i < len(record["segments"]) for p in record["points"] for i in p["source_segments"])
