"""The project's scripts (``scripts/`` is a folder, not a package) loaded as modules in
tests, the way they run: with their own folders importable while they are in use."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load_script(path: Path) -> ModuleType:
    """The script at ``path``, run as a module named after its file."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def script_with_neighbours(path: Path, *folders: Path) -> Iterator[ModuleType]:
    """The script at ``path`` while ``folders`` are importable (its neighbours), as the
    script has them when run from the command line."""
    added = [str(folder) for folder in folders]
    sys.path[:0] = added
    try:
        yield load_script(path)
    finally:
        for folder in added:
            sys.path.remove(folder)
