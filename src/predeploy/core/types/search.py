"""What a planning search returns: plans, typed rejections, suggestions and what-if results."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from predeploy.core.types.base import (
    FrozenModel,
    NonNegativeFloat,
    NonNegativeInt,
    Percentiles,
    PositiveFloat,
    PositiveInt,
    Precision,
    Routing,
)
from predeploy.core.types.intent import DeploymentIntent
from predeploy.core.types.plan import DeploymentPlan
from predeploy.core.types.slo import SLOTargets
from predeploy.core.types.traffic import TrafficProfile

#: Why a candidate was dropped, from the earliest filter (task fit) to the last (budget).
RejectionKind = Literal[
    "task_fit",
    "model_size",
    "context_length",
    "license",
    "quality",
    "not_requested",
    "precision",
    "tensor_parallel",
    "memory",
    "slo",
    "capacity",
    "gpu_availability",
    "no_price",
    "budget",
    "simulation",
]


class Candidate(FrozenModel):
    """The configuration a rejection is about; unset fields were never reached."""

    model: Annotated[str, Field(min_length=1)]
    gpu: str | None = None
    precision: Precision | None = None
    tp: PositiveInt | None = None
    replicas: PositiveInt | None = None

    def label(self) -> str:
        """e.g. ``Llama-3.1-70B-Instruct bf16 on 2x H100-SXM``."""
        parts = [self.model.split("/", 1)[-1]]
        if self.precision is not None:
            parts.append(self.precision.value)
        if self.gpu is not None:
            parts.append(f"on {self.tp or 1}x {self.gpu}")
        if self.replicas is not None:
            parts.append(f"× {self.replicas} replica{'s' if self.replicas != 1 else ''}")
        return " ".join(parts)


class RejectedOption(FrozenModel):
    """One candidate that did not make it, with the constraint that stopped it."""

    candidate: Candidate
    reason: RejectionKind
    details: str
    #: The constraint in numbers where there is one: e.g. metric ``ttft_ms.p90``, the limit
    #: (target with headroom, budget, GPUs on hand) and the best value the candidate reached.
    metric: str | None = None
    limit: float | None = None
    achieved: float | None = None


SuggestionKind = Literal[
    "relax_slo", "raise_budget", "allow_gpu", "more_gpus", "allow_model", "shorter_context",
    "lower_rate", "allow_precision",
]


class Suggestion(FrozenModel):
    """A change to the request that the search found would make a plan feasible."""

    kind: SuggestionKind
    message: str
    #: Dotted intent field the change applies to (``slo.ttft_ms.p90``, ``constraints.gpus``).
    field: str | None = None
    value: int | float | str | None = None


class PlannerOptions(FrozenModel):
    """How hard the planner searches (defaults suit an interactive request)."""

    #: Plans returned: the recommended one plus diverse, non-dominated alternatives.
    max_plans: PositiveInt = Field(default=5, le=50)
    #: Requests per simulation run that verifies a finalist, and the seed of its random streams.
    num_requests: PositiveInt = Field(default=2000, ge=100, le=100_000)
    seed: int = Field(default=0, ge=0, lt=2**63)
    #: Largest replica count considered when the user states no GPU limit.
    max_replicas: PositiveInt = Field(default=512, le=100_000)
    #: Simulation runs allowed for verification, all finalists together.
    max_simulations: PositiveInt = Field(default=24, le=1000)
    #: Extra replicas simulation may add to an analytic plan before it is dropped (at least
    #: this many; up to half the analytic count for large deployments).
    max_extra_replicas: NonNegativeInt = Field(default=4, le=64)
    #: Tensor-parallel sizes tried (within one node).
    tensor_parallel: tuple[PositiveInt, ...] = (1, 2, 4, 8)
    #: Search again with relaxed constraints to say what would make an infeasible request work.
    suggest: bool = True
    #: Judge every plan at the far end of the engine's held-out error instead of at its
    #: prediction: latencies at the 90th percentile of measured ÷ predicted, capacity at the
    #: 10th (``core.accuracy.held_out_bound``), so each target held for 90 % of held-out
    #: measurements.
    held_out_bound: bool = False
    #: Stated time per request in front of the engine (HTTP, tokenizer, first streamed chunk),
    #: seconds, instead of the fitted one (``ServingScenario.front_end_s``).
    front_end_s: NonNegativeFloat | None = None
    #: How the deployment's router picks each request's replica (``ServingScenario.routing``):
    #: whether a conversation returns to the replica holding its history, and how several
    #: system prompts spread over the replicas. ``None``: the intent's, else random.
    routing: Routing | None = None


class SearchStats(FrozenModel):
    """How much work the search did and how much it pruned."""

    models_considered: NonNegativeInt = 0
    gpus_considered: NonNegativeInt = 0
    configurations: NonNegativeInt = 0
    memory_feasible: NonNegativeInt = 0
    screened_analytic: NonNegativeInt = 0
    pruned_by_bound: NonNegativeInt = 0
    sized_analytic: NonNegativeInt = 0
    feasible_analytic: NonNegativeInt = 0
    simulations: NonNegativeInt = 0
    analytic_calls: NonNegativeInt = 0


class TradeoffPoint(FrozenModel):
    """One sized configuration on the cost/latency/quality map (for charts and the UI)."""

    model: str
    gpu: str
    precision: Precision
    tp: PositiveInt
    replicas: PositiveInt
    hourly_usd: NonNegativeFloat
    monthly_usd: NonNegativeFloat
    #: E2E p90 at peak (ms); analytic unless ``verified``.
    e2e_p90_ms: NonNegativeFloat
    ttft_p90_ms: NonNegativeFloat | None = None
    quality: float | None = None
    verified: bool = False
    #: On the Pareto front of all sized configurations (cost, latency, quality).
    pareto: bool = False
    #: Returned as a plan.
    returned: bool = False


class PlanResult(FrozenModel):
    """Everything one planning request produced (the ``predeploy plan --json`` contract)."""

    intent: DeploymentIntent
    traffic: TrafficProfile
    #: The SLO targets actually applied (the intent's, completed from the use-case template).
    slo: SLOTargets
    headroom: NonNegativeFloat
    plans: tuple[DeploymentPlan, ...]
    infeasible: tuple[RejectedOption, ...]
    suggestions: tuple[Suggestion, ...] = ()
    #: Notes on how the search was made (scale used for quality, pruning, assumptions).
    notes: tuple[str, ...] = ()
    quality_scale: str | None = None
    stats: SearchStats = SearchStats()
    #: Every configuration sized during the search, for trade-off charts.
    tradeoffs: tuple[TradeoffPoint, ...] = ()
    elapsed_ms: NonNegativeFloat = 0.0
    #: The stated front-end time the plans were sized with (``PlannerOptions.front_end_s``).
    front_end_s: NonNegativeFloat | None = None
    #: The routing the plans were sized with (``PlannerOptions.routing``).
    routing: Routing = Routing.RANDOM


SweepVariable = Literal[
    "rate", "slo", "prompt_tokens", "output_tokens", "shared_prefix_tokens", "prefix_count",
    "gpu", "routing", "prefix_popularity",
]


class SweepPoint(FrozenModel):
    """The best plan (by the intent's priority) for one value of the swept variable."""

    value: float | str
    label: str
    feasible: bool
    plan: DeploymentPlan | None = None
    peak_requests_per_s: PositiveFloat
    #: Why nothing was feasible at this point (first suggestion or rejection summary).
    reason: str | None = None


class SweepResult(FrozenModel):
    """A cost/latency curve over one variable."""

    variable: SweepVariable
    #: For ``slo`` sweeps, the dotted target swept (``slo.ttft_ms.p90``).
    target: str | None = None
    points: tuple[SweepPoint, ...]
    elapsed_ms: NonNegativeFloat = 0.0


class MetricDelta(FrozenModel):
    """One figure in two scenarios and the difference B − A."""

    name: str
    unit: str
    a: float | None
    b: float | None
    delta: float | None
    relative: float | None


class ScenarioComparison(FrozenModel):
    """Scenario A vs B: each scenario's recommended plan and the deltas between them."""

    a: PlanResult
    b: PlanResult
    deltas: tuple[MetricDelta, ...]
    summary: tuple[str, ...] = ()


class LoadPoint(FrozenModel):
    """One plan's predicted latencies at one request rate (a point of its load curve)."""

    #: Rate of the whole deployment and of each replica (the router spreads evenly).
    requests_per_s: PositiveFloat
    per_replica_rps: PositiveFloat
    #: ``per_replica_rps`` as a share of one replica's saturation rate.
    utilization: NonNegativeFloat
    ttft_ms: Percentiles
    itl_ms: Percentiles
    e2e_ms: Percentiles
    #: Every latency SLO met at this rate (no headroom asked).
    meets_slo: bool
    method: Literal["analytic", "simulation"]


class LoadCurve(FrozenModel):
    """How one plan's latencies grow with load, up to its saturation: the analytic curve and
    a few simulation-checked points (``predeploy plan --load-curve``)."""

    plan: str
    replicas: PositiveInt
    peak_requests_per_s: PositiveFloat
    saturation_requests_per_s: PositiveFloat
    #: Highest analytic point meeting every latency SLO (None: not even the lightest load).
    max_requests_per_s_meeting_slo: PositiveFloat | None
    slo: SLOTargets
    points: tuple[LoadPoint, ...]
    simulated: tuple[LoadPoint, ...]
