"""Model recommender: which catalog models may serve this use case, and how good each is.

Filters, in order (each rejection names its reason): the models the user required (when
``models_required``), task fit, size (models smaller than the smallest size the use-case template
prefers are left out: a 1.7B model may be fastest and cheapest, but nobody serving a support bot
to thousands of customers wants it recommended unasked), context length (p99 prompt + output,
and the use case's minimum context, must fit the model's window), excluded licenses, and the
use case's minimum quality. Preferred models skip the task-fit and size filters: a model the
user names is planned.

Quality is compared on one scale only (DESIGN.md §5): among the scores for this use case, the
scale that covers the most surviving models is chosen; without any, the ``general`` scores.
When some candidates have a score on that scale, models without one are left out unless the user
named them (a recommendation rests on quality evidence); named unscored models count as the lowest
quality.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from predeploy.core.names import resolve_model
from predeploy.core.types import (
    Candidate,
    DeploymentIntent,
    ModelCard,
    QualityScore,
    RejectedOption,
    SloTemplate,
    UseCase,
)
from predeploy.core.wording import format_tokens

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
#: Spellings of "non-commercial" in license names (cc-by-nc-4.0, "research only", ...).
_NON_COMMERCIAL_TOKENS = frozenset({"nc", "noncommercial", "research"})


@dataclass(frozen=True, slots=True)
class ModelCandidate:
    """A model that passed the filters, with its quality on the chosen scale."""

    card: ModelCard
    quality: float | None
    quality_source: QualityScore | None
    preferred: bool


@dataclass(frozen=True, slots=True)
class ModelShortlist:
    """The recommender's answer: candidates, rejections, and the quality scale it used."""

    candidates: tuple[ModelCandidate, ...]
    rejected: tuple[RejectedOption, ...]
    #: The scale quality was compared on, with its task: ``aa-weighted (chatbot)``.
    quality_scale: str | None
    notes: tuple[str, ...]


def shortlist_models(
    models: Sequence[ModelCard],
    intent: DeploymentIntent,
    template: SloTemplate,
    needed_context_tokens: int,
) -> ModelShortlist:
    """Filter the catalog for this request and score quality per use case.

    Raises :class:`~predeploy.core.errors.UnknownNameError` for a named model the catalog lacks.
    """
    constraints = intent.constraints
    named = [resolve_model(name, models) for name in constraints.models]
    named_ids = {m.id for m in named}
    min_window = max(
        needed_context_tokens,
        intent.preferences.min_context_tokens or template.model.min_context_tokens,
    )
    use_case = intent.use_case
    rejected: list[RejectedOption] = []
    kept: list[ModelCard] = []
    for model in models:
        reason = _filter_reason(
            model, intent, template, named_ids, min_window, needed_context_tokens
        )
        if reason is None:
            kept.append(model)
        else:
            rejected.append(reason)
    scale, task = _choose_scale(kept, use_case)
    notes: list[str] = []
    if scale is None:
        notes.append("no quality scores for these models: quality does not rank the plans")
    else:
        covered = sum(1 for m in kept if _score(m, scale, task) is not None)
        notes.append(
            f"quality compared on one scale: {scale} ({task}), covering {covered} of "
            f"{len(kept)} candidate models; models without a score on it rank lowest on quality"
        )
    candidates: list[ModelCandidate] = []
    min_quality = template.model.min_quality
    for model in kept:
        score = _score(model, scale, task) if scale is not None else None
        if (
            score is not None
            and min_quality > 0
            and task == use_case.value
            and score.score < min_quality
            and model.id not in named_ids
        ):
            rejected.append(RejectedOption(
                candidate=Candidate(model=model.id),
                reason="quality",
                details=f"quality {score.score:.2f} on {scale} is below the "
                f"{use_case.value} minimum {min_quality:.2f}",
                metric="quality", limit=min_quality, achieved=score.score,
            ))
            continue
        candidates.append(ModelCandidate(
            card=model,
            quality=None if score is None else score.score,
            quality_source=score,
            preferred=model.id in named_ids,
        ))
    if any(c.quality is not None for c in candidates):
        candidates = _drop_unscored(candidates, rejected, f"{scale} ({task})")
    label = None if scale is None else f"{scale} ({task})"
    return ModelShortlist(tuple(candidates), tuple(rejected), label, tuple(notes))


def _drop_unscored(
    candidates: list[ModelCandidate], rejected: list[RejectedOption], scale: str
) -> list[ModelCandidate]:
    """Keep only models with quality evidence when some have it (named models always stay).

    A recommendation rests on facts: a model nobody has scored on the chosen scale cannot be
    shown to be good enough for the use case, so it is planned only when the user names it.
    """
    kept: list[ModelCandidate] = []
    for candidate in candidates:
        if candidate.quality is None and not candidate.preferred:
            rejected.append(RejectedOption(
                candidate=Candidate(model=candidate.card.id),
                reason="quality",
                details=f"no quality score on {scale}: not recommended unasked "
                "(name the model to plan it)",
            ))
        else:
            kept.append(candidate)
    return kept


def _filter_reason(
    model: ModelCard,
    intent: DeploymentIntent,
    template: SloTemplate,
    named_ids: set[str],
    min_window: int,
    needed_context: int,
) -> RejectedOption | None:
    constraints = intent.constraints
    candidate = Candidate(model=model.id)
    if constraints.models_required and named_ids and model.id not in named_ids:
        return RejectedOption(
            candidate=candidate, reason="not_requested",
            details="only the required models are planned",
        )
    if intent.use_case not in model.tasks and model.id not in named_ids:
        tasks = ", ".join(t.value for t in model.tasks) or "none listed"
        return RejectedOption(
            candidate=candidate, reason="task_fit",
            details=f"not suited to {intent.use_case.value} (catalog tasks: {tasks})",
        )
    min_params_b = template.model.preferred_params_b[0]
    params_b = model.architecture.total_params_b
    if params_b < min_params_b and model.id not in named_ids:
        return RejectedOption(
            candidate=candidate, reason="model_size",
            details=f"{params_b:.1f}B parameters is below the {min_params_b:g}B the "
            f"{intent.use_case.value} template prefers (name the model to plan it anyway)",
            metric="params_b", limit=min_params_b, achieved=params_b,
        )
    window = model.architecture.max_context_tokens
    if window < min_window:
        why = (
            f"p99 prompt + output needs {format_tokens(needed_context)} tokens"
            if needed_context >= min_window
            else f"the use case wants at least {format_tokens(min_window)} tokens of context"
        )
        return RejectedOption(
            candidate=candidate, reason="context_length",
            details=f"context window {format_tokens(window)} tokens is too short: {why}",
            metric="context_tokens", limit=float(min_window), achieved=float(window),
        )
    for excluded in constraints.excluded_licenses:
        if license_matches(model.license, excluded):
            return RejectedOption(
                candidate=candidate, reason="license",
                details=f"license {model.license!r} is excluded ({excluded!r})",
            )
    return None


def license_matches(license_name: str, excluded: str) -> bool:
    """Whether ``excluded`` (an id like ``cc-by-nc-4.0`` or a word like ``non-commercial``)
    covers ``license_name``."""
    lic = _NON_ALNUM.sub(" ", license_name.lower()).split()
    exc = _NON_ALNUM.sub(" ", excluded.lower()).split()
    if not exc:
        return False
    if "".join(exc) in {"noncommercial", "nc", "research", "researchonly"}:
        return bool(_NON_COMMERCIAL_TOKENS.intersection(lic)) or "noncommercial" in "".join(lic)
    return "".join(exc) in "".join(lic)


def _choose_scale(models: Sequence[ModelCard], use_case: UseCase) -> tuple[str | None, str]:
    """The use-case scale covering most models, else the best-covered ``general`` scale."""
    for task in (use_case.value, "general"):
        coverage: Counter[str] = Counter()
        for model in models:
            coverage.update({q.scale for q in model.quality if q.task == task})
        if coverage:
            best = max(coverage.items(), key=lambda kv: (kv[1], kv[0]))
            return best[0], task
    return None, use_case.value


def _score(model: ModelCard, scale: str | None, task: str) -> QualityScore | None:
    hits = [q for q in model.quality if q.scale == scale and q.task == task]
    return max(hits, key=lambda q: q.score) if hits else None
