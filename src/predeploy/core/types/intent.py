"""DeploymentIntent: what the user wants, as the planner consumes it (editable field by field)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, computed_field, model_validator

from predeploy.core.types.base import (
    Fraction,
    FrozenModel,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Precision,
    Priority,
    Routing,
    UseCase,
)
from predeploy.core.types.slo import SLOTargets
from predeploy.core.types.traffic import (
    MAX_CONVERSATION_TURNS,
    MAX_PREFIX_POPULARITY,
    MAX_THINK_TIME_S,
)

#: Sanity bounds on what a request can state. Beyond them the input is a typo or an attack.
MAX_USERS = 1_000_000_000
MAX_REQUESTS_PER_S = 1_000_000.0
MAX_USD = 1e9
#: Distinct system prompts (shared prefixes) a request may state.
MAX_PREFIX_COUNT = 1_000_000
MAX_TENSOR_PARALLEL = 8
MAX_TEXT_CHARS = 20_000

UserKind = Literal["concurrent", "total", "daily"]
FieldOrigin = Literal["stated", "default", "derived", "assumed"]


def _printable(value: str, allowed: str) -> str:
    """``value`` unless it holds a control character other than those ``allowed``."""
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in allowed:
            raise ValueError(f"contains the control character {char!r}")
    return value


#: Free text from the user (a request, an evidence span, an assumption): any line breaks and
#: tabs, no other control characters (escape sequences would reach terminals and logs).
UserText = Annotated[str, AfterValidator(lambda v: _printable(v, "\t\n"))]
#: A short name the user gives (a provider, a language, a license): one line, 1–100 characters.
UserName = Annotated[
    str, Field(min_length=1, max_length=100), AfterValidator(lambda v: _printable(v, ""))
]
#: A dotted intent field path, e.g. ``slo.ttft_ms.p90``.
FieldPath = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.]+$")]


class Budget(FrozenModel):
    """Spending limits; any may be unset."""

    monthly_usd: PositiveFloat | None = Field(default=None, le=MAX_USD)
    hourly_usd: PositiveFloat | None = Field(default=None, le=MAX_USD)
    per_million_tokens_usd: PositiveFloat | None = Field(default=None, le=MAX_USD)


class GpuAvailability(FrozenModel):
    """GPUs on hand: a canonical accelerator name and, when known, how many."""

    gpu: Annotated[str, Field(min_length=1, max_length=64)]
    count: PositiveInt | None = Field(default=None, le=100_000)


class Constraints(FrozenModel):
    """Hard limits every plan must respect."""

    budget: Budget = Budget()
    #: Accelerators the user has or allows (canonical names); empty = any.
    gpus: tuple[GpuAvailability, ...] = ()
    #: Accelerators the user rules out (canonical names), e.g. "no H100s".
    excluded_gpus: tuple[Annotated[str, Field(min_length=1, max_length=64)], ...] = ()
    #: Preferred models (catalog ids); with ``models_required`` only these are planned.
    models: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] = ()
    models_required: bool = False
    #: Allowed weight precisions; empty = any the accelerator supports.
    precisions: tuple[Precision, ...] = ()
    max_tensor_parallel: PositiveInt = Field(default=MAX_TENSOR_PARALLEL, le=MAX_TENSOR_PARALLEL)
    #: Licenses to exclude (e.g. non-commercial) and a cap on total GPUs.
    excluded_licenses: tuple[UserName, ...] = ()
    max_total_gpus: PositiveInt | None = Field(default=None, le=100_000)


class Preferences(FrozenModel):
    """Soft wishes that shape ranking, not feasibility."""

    allow_spot: bool = False
    providers: tuple[UserName, ...] = ()
    languages: tuple[UserName, ...] = ()
    #: Minimum relative SLO headroom the planner keeps at peak (0.1 = 10 % margin).
    headroom: Fraction = 0.1
    min_context_tokens: PositiveInt | None = None


class FieldSource(FrozenModel):
    """Where the value of one intent field came from, with the extractor's confidence."""

    origin: FieldOrigin
    confidence: Fraction = 1.0
    evidence: UserText | None = Field(default=None, max_length=500)


class DeploymentIntent(FrozenModel):
    """The business request in planner terms.

    The flat contract keys ``budget``, ``gpus`` and ``models`` (DESIGN.md §6) are accepted on
    input and emitted on output; they live in :attr:`constraints`.
    """

    use_case: UseCase
    description: UserText = Field(default="", max_length=MAX_TEXT_CHARS)
    subject_matter: UserText | None = Field(default=None, max_length=200)
    users: PositiveInt | None = Field(default=None, le=MAX_USERS)
    user_kind: UserKind = "total"
    #: Average request rate the user stated (requests/s); derived from users when absent.
    qps: PositiveFloat | None = Field(default=None, le=MAX_REQUESTS_PER_S)
    peak_qps: PositiveFloat | None = Field(default=None, le=MAX_REQUESTS_PER_S)
    #: A stated daily volume (requests/day), e.g. a nightly batch of 1M documents.
    requests_per_day: PositiveFloat | None = Field(default=None, le=MAX_REQUESTS_PER_S * 86_400)
    #: Hours of the day that volume arrives in (a batch window); 24 when unset.
    active_hours_per_day: PositiveFloat | None = Field(default=None, le=24)
    priority: Priority = Priority.BALANCED
    prompt_tokens: PositiveInt | None = Field(default=None, le=10_000_000)
    output_tokens: PositiveInt | None = Field(default=None, le=10_000_000)
    #: Tokens every prompt starts with that all requests share (a system prompt, a template,
    #: few-shot examples): computed once where the engine keeps a prefix cache.
    shared_prefix_tokens: NonNegativeInt | None = Field(default=None, le=10_000_000)
    #: Distinct shared prefixes of that length the requests spread over (one per tenant, bot
    #: or template): each is found cached less often than one (``core.prefix_cache``).
    prefix_count: PositiveInt | None = Field(default=None, le=MAX_PREFIX_COUNT)
    #: How unevenly the requests spread over those prompts: Zipf's exponent (about 1 where a
    #: few tenants make most of the traffic; ``ServingScenario.prefix_popularity``).
    prefix_popularity: NonNegativeFloat | None = Field(default=None, le=MAX_PREFIX_POPULARITY)
    #: Multi-turn chat: tokens of a conversation's earlier turns each prompt carries after the
    #: shared prefix, or the turns per conversation they are derived from (``core.traffic``);
    #: found in the prefix cache from the conversation's previous request.
    history_tokens: NonNegativeInt | None = Field(default=None, le=10_000_000)
    conversation_turns: PositiveInt | None = Field(default=None, le=MAX_CONVERSATION_TURNS)
    #: Mean pause (s) between a reply and the user's next message, where the request says
    #: ("users take about a minute between messages"): a conversation's history is found
    #: cached only if the free KV cache outlasts it. ``None``: assumed still cached.
    think_time_s: NonNegativeFloat | None = Field(default=None, le=MAX_THINK_TIME_S)
    #: How the deployment's router picks each request's replica, where the request says
    #: ("we run llm-d", "sticky sessions", "round-robin"): whether a conversation's turns and
    #: a tenant's system prompt find their replica's prefix cache. ``None``: random (a
    #: Kubernetes Service), unless the planner is told otherwise.
    routing: Routing | None = None
    slo: SLOTargets = SLOTargets()
    constraints: Constraints = Constraints()
    preferences: Preferences = Preferences()
    #: Per-field origin and confidence, keyed by dotted field path (``slo.ttft_ms.p90``).
    sources: dict[FieldPath, FieldSource] = Field(default_factory=dict)
    #: Assumptions the extractor made, in words, to show the user.
    assumptions: tuple[UserText, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _lift_contract_keys(cls, data: Any) -> Any:
        """Accept the flat contract keys and drop computed echoes on input."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        data.pop("stated", None)
        constraints = data.get("constraints") or {}
        if not isinstance(constraints, dict):
            return data  # validation names `constraints` as the field to fix
        constraints = dict(constraints)
        if "budget" in data:
            constraints.setdefault("budget", data.pop("budget"))
        if "gpus" in data:
            gpus = data.pop("gpus") or []
            if isinstance(gpus, list | tuple):
                gpus = [{"gpu": g} if isinstance(g, str) else g for g in gpus]
            constraints.setdefault("gpus", gpus)
        if "models" in data:
            constraints.setdefault("models", data.pop("models"))
        if constraints:
            data["constraints"] = constraints
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def budget(self) -> Budget:
        return self.constraints.budget

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gpus(self) -> list[str]:
        return [g.gpu for g in self.constraints.gpus]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def models(self) -> list[str]:
        return list(self.constraints.models)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def stated(self) -> list[str]:
        """The fields the user gave explicitly (contract key)."""
        return sorted(k for k, s in self.sources.items() if s.origin == "stated")
