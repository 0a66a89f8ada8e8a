"""What makes two outputs interchangeable: one rule, from which the output cache's
namespace, the batch runner's settings fingerprint and the CTranslate2 conversion folder
all derive.

Two outputs of one role (translator, summarizer, back-translator) are interchangeable
when these are the same: the model (its files, or the commit of a cached hub snapshot),
the **resolved** runtime (backend, device type and compute type: ``auto`` is never part
of an identity, what it resolves to is), the decoding settings it2en sets (beams), the
input limit, and the versions of the libraries that compute the outputs (CTranslate2 for
its backend; torch and transformers for theirs). A CPU fp32 run and a CUDA bf16 run of
the same model therefore never share cached outputs or batch records, and an upgraded
library redoes them.

A conversion for CTranslate2 is interchangeable when the model, the layout of the
conversion folder and the versions of transformers and CTranslate2 that made and
checked it are the same (:func:`pipeline.engines.conversion.converted`, by the same
library versions: :mod:`pipeline.engines.versions`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .engines import versions
from .engines.hub import model_identity
from .engines.runtime import resolve_runtime
from .types import Role, role_key

if TYPE_CHECKING:
    from .config import PipelineConfig

__all__ = [
    "RoleIdentity",
    "job_identity",
    "job_roles",
    "record_identity",
    "role_identity",
]

_LIBRARIES = {
    "ctranslate2": ("ctranslate2", "sentencepiece", "tokenizers"),
    "torch": ("torch", "transformers", "sentencepiece", "tokenizers"),
}
"""The libraries whose versions shape each backend's outputs (the tokenizers included)."""


@dataclass(frozen=True)
class RoleIdentity:
    """Everything that shapes one role's outputs besides its input."""

    role: str
    model: str
    backend: str
    device: str
    compute_type: str
    num_beams: int
    input_limit: int | None
    versions: tuple[tuple[str, str], ...]

    def key(self) -> str:
        """The identity as one stable string (JSON with sorted keys)."""
        return json.dumps(asdict(self), sort_keys=True)


def role_identity(config: PipelineConfig, role: Role) -> RoleIdentity:
    """The identity of ``role``'s outputs under ``config``, its runtime resolved (a
    :class:`~pipeline.errors.ConfigError` for a runtime that cannot be had)."""
    runtime = resolve_runtime(config)
    return RoleIdentity(
        role=role,
        model=model_identity(config.model_for(role), config.models_dir),
        backend=runtime.backend,
        device=runtime.device,
        compute_type=runtime.compute_type,
        num_beams=config.num_beams,
        input_limit=config.input_limit_for(role),
        versions=versions.library_versions(_LIBRARIES[runtime.backend]),
    )


def job_roles(config: PipelineConfig, summarize: bool) -> list[Role]:
    """The roles a job uses: the translator, and for summaries the summarizer and (for
    the Italian summary) the back-translator."""
    roles: list[Role] = ["translator"]
    if summarize:
        roles += ["summarizer", "back-translator"] if config.italian_summary else ["summarizer"]
    return roles


def job_identity(config: PipelineConfig, summarize: bool) -> dict[str, Any]:
    """The identities of a job's roles, by role (JSON-ready, for a fingerprint)."""
    roles = job_roles(config, summarize)
    return {role_key(role): json.loads(role_identity(config, role).key()) for role in roles}


def record_identity(config: PipelineConfig, summarize: bool, main_article: bool) -> dict[str, Any]:
    """Everything that shapes a document's record besides its text: the job's model
    identities, what is made, and the checks' settings. The batch runner's settings
    fingerprint and the Ray runner's progress both derive from it."""
    return {
        "models": job_identity(config, summarize),  # models, resolved runtime, decoding, versions
        "summarize": summarize,
        "main_article": main_article,
        "summary_min_sentences": config.summary_min_sentences if summarize else None,
        "italian_summary": config.italian_summary if summarize else None,
        "checks": [
            sorted(config.checks),
            config.min_score_translator,
            config.min_score_back_translator,
            config.length_ratio_min,
            config.length_ratio_max,
        ],
    }
