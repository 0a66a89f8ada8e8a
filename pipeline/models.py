"""A pipeline's models: each loaded on first use and kept, served to the stages through
the output cache when there is one, and shared with sibling pipelines that run on other
threads (the service's documents and jobs) through a wrapper of their own.

When a model cannot be loaded, the other models of the job are tried too, so that one
:class:`~pipeline.errors.ModelLoadError` names every model missing (one fix, not one per
run).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .cache import CachedEngine, OutputCache
from .config import PipelineConfig
from .engines import Seq2SeqEngine, build_engine
from .errors import ModelLoadError
from .identity import role_identity
from .types import Role, as_role

__all__ = ["Models"]

Wrap = Callable[[Seq2SeqEngine], Seq2SeqEngine]


class Models:
    """The engines of one config by role (see the module docstring); safe to share
    between threads."""

    def __init__(self, config: PipelineConfig, engines: Mapping[Role | str, Seq2SeqEngine] | None = None):
        """``engines`` may supply ready engines by role instead of loading the configured
        models (an unknown role is a :class:`~pipeline.errors.ConfigError`)."""
        self.config = config
        self._engines: dict[Role, Seq2SeqEngine] = {as_role(r): e for r, e in (engines or {}).items()}
        self._supplied = frozenset(self._engines)
        self._loading = threading.Lock()
        self._cache_path: str | Path | None = config.output_cache
        if not config.output_cache or config.output_cache.lower() == "none":
            self._cache_path = None
        self._opened: OutputCache | None = None
        self._namespaces: dict[Role, str] = {}
        self._lender: tuple[Models, Wrap] | None = None
        """For :meth:`wrapped`: the models whose engines these are, and their wrapper."""

    @property
    def loaded(self) -> frozenset[Role]:
        """The roles whose engine is loaded (or supplied) here."""
        return frozenset(self._engines)

    def engine(self, role: Role | str, job: Sequence[Role] = ()) -> Seq2SeqEngine:
        """The engine for ``role``, loading its model on first use; when it cannot be
        loaded, the models of the other roles of ``job`` are tried too, and the error
        names every one missing."""
        role = as_role(role)
        with self._loading:  # a sibling's thread may ask at the same time
            if role not in self._engines and self._lender is not None:
                lender, wrap = self._lender
                self._engines[role] = wrap(lender.engine(role, job))
            elif role not in self._engines:
                try:
                    self._engines[role] = build_engine(self.config, role)
                except ModelLoadError as exc:
                    raise self._every_missing(role, job, exc) from exc
        return self._engines[role]

    def name(self, role: Role) -> str:
        """The loaded engine's name for ``role``, else the configured model (not loaded:
        a chunk of short documents never needs the summarizer)."""
        engine = self._engines.get(role)
        return engine.name if engine is not None else self.config.model_for(role)

    def served(self, role: Role, job: Sequence[Role] = ()) -> Seq2SeqEngine:
        """The engine for ``role`` as the stages use it: through the output cache, when
        there is one, so an input seen in an earlier run is never sent to the model."""
        engine = self.engine(role, job)
        cache = self._cache
        if cache is None:
            return engine
        if role not in self._namespaces:  # once: the model's identity walks its folder
            owner = self._lender[0] if self._lender is not None else self
            self._namespaces[role] = owner._namespace(role)
        return CachedEngine(engine, cache, self._namespaces[role])

    @property
    def _cache(self) -> OutputCache | None:
        """The output cache, opened when first used (a pipeline made for nothing creates
        no file)."""
        if self._lender is not None:
            return self._lender[0]._cache
        with self._loading:
            if self._opened is None and self._cache_path is not None:
                self._opened = OutputCache(self._cache_path, self.config.cache_max_entries)
        return self._opened

    def use_output_cache(self, path: str | Path) -> None:
        """Reuse model outputs across runs from the SQLite file at ``path``."""
        self._cache_path, self._opened = path, None

    def wrapped(self, wrap: Wrap) -> Models:
        """Models of the same config whose engines are these, each wrapped by ``wrap``,
        sharing this one's output cache and its entries (a model is loaded here, once,
        when the other first needs it)."""
        other = Models(self.config)
        other._namespaces, other._lender = self._namespaces, (self, wrap)
        return other

    def _namespace(self, role: Role) -> str:
        """What shapes ``role``'s outputs besides the input (:mod:`pipeline.identity`); for
        an engine given by the caller, its name and the decoding settings."""
        config = self.config
        if role in self._supplied:
            engine = f"engine {self._engines[role].name}"
            return json.dumps([role, engine, config.num_beams, config.input_limit_for(role)])
        return role_identity(config, role).key()

    def _every_missing(self, failed: Role, job: Sequence[Role], error: ModelLoadError) -> ModelLoadError:
        """``error``, joined by the errors of the job's other models that fail to load
        as well (those that load are kept)."""
        messages = [str(error)]
        for role in job:
            if role != failed and role not in self._engines:
                try:
                    self._engines[role] = build_engine(self.config, role)
                except ModelLoadError as other:
                    messages.append(str(other))
        return error if len(messages) == 1 else ModelLoadError("; ".join(messages))
