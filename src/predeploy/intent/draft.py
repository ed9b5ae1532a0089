"""IntentDraft: what one message states, before catalog normalization and template defaults.

Both extractors (rules and LLM) produce a draft; :func:`predeploy.intent.build.build_intent`
turns a draft into a :class:`~predeploy.core.types.DeploymentIntent`. A draft holds only what
the text says (values in planner units: requests/s, tokens, ms, USD); every field is optional.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from predeploy.core.types.base import (
    Fraction,
    FrozenModel,
    PercentileName,
    Priority,
    Routing,
    UseCase,
)
from predeploy.core.types.intent import UserKind
from predeploy.core.types.slo import LatencyMetric

#: Draft fields a follow-up message can clear ("drop the budget", "any GPU is fine").
ClearableField = Literal[
    "budget", "gpus", "models", "slo", "priority", "users", "qps", "tokens", "shared_prefix"
]


class Evidence(FrozenModel):
    """The words a value was read from and how sure the extractor is."""

    text: Annotated[str, Field(max_length=500)]
    confidence: Fraction = 0.9


class StatedTarget(FrozenModel):
    """One latency target as stated: metric, percentile (``None`` = not said), bound in ms."""

    metric: LatencyMetric
    percentile: PercentileName | None = None
    value_ms: float = Field(gt=0, allow_inf_nan=False)
    #: "derived" when computed from another statement (e.g. 20 tokens/s per user → ITL 50 ms).
    derived: bool = False
    evidence: Evidence | None = None


class GpuMention(FrozenModel):
    """A GPU the text names (catalog name once resolved) and, if said, how many."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    count: int | None = Field(default=None, gt=0)
    excluded: bool = False


class IntentDraft(FrozenModel):
    """Everything one message states, in planner units."""

    use_case: UseCase | None = None
    use_case_confidence: Fraction = 0.0
    users: float | None = None
    user_kind: UserKind | None = None
    requests_per_s: float | None = None
    rate_is_peak: bool = False
    #: A peak stated beside an average ("20 req/s sustained, 45 peak"): the average is
    #: ``requests_per_s``, this the peak.
    peak_requests_per_s: float | None = None
    #: How the rate was obtained: stated as a rate, or derived from a job size and cadence.
    rate_derived: bool = False
    prompt_tokens: float | None = None
    output_tokens: float | None = None
    #: A prompt start every request shares (a system prompt), in tokens.
    shared_prefix_tokens: float | None = None
    #: How many distinct such starts the requests spread over, and how unevenly (Zipf).
    prefix_count: float | None = None
    prefix_popularity: float | None = None
    #: Tokens of a conversation's earlier turns each prompt carries, or the turns per
    #: conversation they are derived from (``core.traffic``).
    history_tokens: float | None = None
    conversation_turns: float | None = None
    #: How the router picks replicas, where the request says (``DeploymentIntent.routing``).
    routing: Routing | None = None
    #: Mean pause (s) between a reply and the user's next message.
    think_time_s: float | None = None
    min_context_tokens: float | None = None
    targets: tuple[StatedTarget, ...] = ()
    min_output_tokens_per_s: float | None = None
    budget_monthly_usd: float | None = None
    budget_hourly_usd: float | None = None
    budget_per_million_tokens_usd: float | None = None
    gpus: tuple[GpuMention, ...] = ()
    models: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] = ()
    models_required: bool = False
    priority: Priority | None = None
    subject_matter: Annotated[str, Field(max_length=200)] | None = None
    languages: tuple[str, ...] = ()
    #: Evidence per draft field name (``users``, ``requests_per_s``, ``budget_monthly_usd`` …).
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    #: Fields a follow-up message asks to remove.
    clears: tuple[ClearableField, ...] = ()
    #: Things the extractor noticed and the user should see (ignored values, conversions).
    notes: tuple[str, ...] = ()
    #: True when the message says the user does not know (an answer to a question).
    unknown_answer: bool = False

    def stated_fields(self) -> list[str]:
        """Names of the draft fields that carry a value."""
        out = []
        for name in type(self).model_fields:
            if name in {
                "evidence",
                "clears",
                "notes",
                "unknown_answer",
                "use_case_confidence",
                "rate_is_peak",
                "rate_derived",
                "peak_requests_per_s",
                "models_required",
            }:
                continue
            value = getattr(self, name)
            if value not in (None, (), ""):
                out.append(name)
        return out


class DraftResult(FrozenModel):
    """A draft and which extractor produced it (and why another one did not, if so)."""

    draft: IntentDraft
    #: ``rules``, ``ollama`` or ``openai``.
    extractor: str
    #: Why the configured LLM did not answer and the rules did (timeout, invalid output …).
    fallback_reason: str | None = None
