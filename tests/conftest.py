"""Shared fixtures: the tiny models (built once per test session) and a fake engine."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import pytest
from script_loader import load_script

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
BUILDER = ROOT / "scripts" / "make_tiny_models.py"
CORPUS = ROOT / "scripts" / "data" / "corpus_it.txt"


def _builder_module():
    return load_script(BUILDER)


@pytest.fixture(scope="session", autouse=True)
def own_cache_folder(tmp_path_factory: pytest.TempPathFactory):
    """Tests never write into the user's cache folder: IT2EN_CACHE points at a folder of
    the session (command-line runs in subprocesses inherit it)."""
    folder = tmp_path_factory.mktemp("it2en-cache")
    previous = os.environ.get("IT2EN_CACHE")
    os.environ["IT2EN_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("IT2EN_CACHE", None)
    else:
        os.environ["IT2EN_CACHE"] = previous


@pytest.fixture(scope="session")
def tiny_models() -> Path:
    """The folder holding translator/, back-translator/ and summarizer/.

    Built by scripts/make_tiny_models.py, the same builder users run, and cached under
    tests/.cache keyed by the builder's and the corpus' content, so an unchanged builder
    is not retrained on the next local run. IT2EN_TINY_MODELS points at a prebuilt folder.
    """
    if os.environ.get("IT2EN_TINY_MODELS"):
        return Path(os.environ["IT2EN_TINY_MODELS"])
    key = hashlib.sha256(BUILDER.read_bytes() + CORPUS.read_bytes()).hexdigest()[:16]
    folder = ROOT / "tests" / ".cache" / f"tiny-{key}"
    if not (folder / "summarizer" / "config.json").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        _builder_module().build(folder)
    return folder


@pytest.fixture(scope="session")
def model_store(tiny_models: Path) -> Path:
    """The model store for tests (CTranslate2 conversions land here, not in ./models)."""
    return tiny_models / "store"


@pytest.fixture(scope="session")
def model_flags(tiny_models: Path, model_store: Path) -> list[str]:
    """CLI flags that select the tiny models on the CPU at fp32 (see tiny.tiny_config)."""
    return [
        "--models-dir",
        str(model_store),
        "--cache-dir",
        str(model_store),
        "--translator",
        str(tiny_models / "translator"),
        "--summarizer",
        str(tiny_models / "summarizer"),
        "--back-translator",
        str(tiny_models / "back-translator"),
        "--device",
        "cpu",
        "--precision",
        "fp32",
    ]


@pytest.fixture(scope="session")
def translate_flags(tiny_models: Path, model_store: Path) -> list[str]:
    """CLI flags for ``it2en translate``, which takes only the translator."""
    translator = str(tiny_models / "translator")
    return [
        "--translator",
        translator,
        "--device",
        "cpu",
        "--precision",
        "fp32",
        "--models-dir",
        str(model_store),
        "--cache-dir",
        str(model_store),
    ]


class FakeEngine:
    """A model stand-in for unit tests of batching logic: one token per word plus an
    end-of-sequence token, and upper-casing as its "translation". Records its batches."""

    name = "fake"

    def __init__(self, max_input_tokens: int = 16):
        self.max_input_tokens = max_input_tokens
        self.batches: list[list[str]] = []

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) + 1 for t in texts]

    def generate(self, texts: Sequence[str]) -> list[str]:
        assert all(c <= self.max_input_tokens for c in self.count_tokens(texts))
        self.batches.append(list(texts))
        return [t.upper() for t in texts]


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


def words(text: str) -> list[str]:
    return text.split()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on a local Ray cluster start one (seconds each): slow, like the model builds,
    subprocess runs and whole-corpus runs marked where they are written."""
    for item in items:
        if "local_ray" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
