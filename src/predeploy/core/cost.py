"""What a plan costs: whole instances from a sourced price quote, per hour, month and token.

Replicas are packed onto rented instances: an instance of ``G`` GPUs holds ``⌊G / g⌋`` replicas
of ``g`` GPUs each (a tensor-parallel replica never spans two machines), so ``R`` replicas need
``⌈R / ⌊G / g⌋⌉`` instances and every GPU of every instance is paid for. Among the usable quotes
(preferred providers only, when stated) the one giving the lowest total is chosen. Spot prices
are used only when the user allows spot; the spot figure is always shown for comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from predeploy.core.types import Budget, CostEstimate, Preferences, PriceQuote
from predeploy.core.wording import format_number, format_usd

#: Hours in an average month: 8,760 h per year / 12 — the convention of the AWS and GCP
#: pricing calculators (aws.amazon.com/calculator, cloud.google.com/products/calculator).
HOURS_PER_MONTH = 730.0
TOKENS_PER_MILLION = 1_000_000.0
SECONDS_PER_HOUR = 3_600.0


def usd_per_million_output_tokens(
    hourly_usd: float, avg_output_tokens_per_s: float
) -> float | None:
    """``hourly_usd`` over the millions of output tokens produced per hour at the average load
    (``avg_output_tokens_per_s × 3600 / 10⁶``); ``None`` when no tokens are produced."""
    tokens_per_hour = avg_output_tokens_per_s * SECONDS_PER_HOUR
    if tokens_per_hour <= 0:
        return None
    return hourly_usd / (tokens_per_hour / TOKENS_PER_MILLION)


@dataclass(frozen=True, slots=True)
class InstanceChoice:
    """One way to rent the GPUs of a plan from one quote."""

    quote: PriceQuote
    usd_per_gpu_hour: float
    pricing: Literal["on_demand", "spot"]
    instances: int
    gpus_per_instance: int
    #: False when no listed instance holds a whole replica and the price is per GPU only.
    packed: bool

    def hourly_usd(self) -> float:
        return self.instances * self.gpus_per_instance * self.usd_per_gpu_hour

    def idle_gpus(self, total_gpus: int) -> int:
        return max(0, self.instances * self.gpus_per_instance - total_gpus)


def provider_quotes(quotes: Sequence[PriceQuote], preferences: Preferences) -> list[PriceQuote]:
    """The quotes the user accepts: their preferred providers only, when they named any."""
    if not preferences.providers:
        return list(quotes)
    wanted = {p.strip().lower() for p in preferences.providers}
    return [q for q in quotes if q.provider.strip().lower() in wanted]


def choose_instances(
    quotes: Sequence[PriceQuote],
    gpus_per_replica: int,
    replicas: int,
    pricing: Literal["on_demand", "spot"],
) -> InstanceChoice | None:
    """The cheapest way to rent ``replicas`` × ``gpus_per_replica`` GPUs at one pricing kind.

    Quotes whose instances hold a whole replica are preferred; when none does, the cheapest
    per-GPU price is used unpacked (flagged: multi-GPU availability is then unverified).
    """
    packed: list[InstanceChoice] = []
    loose: list[InstanceChoice] = []
    for quote in quotes:
        price = (
            quote.usd_per_gpu_hour_on_demand if pricing == "on_demand"
            else quote.usd_per_gpu_hour_spot
        )
        if price is None:
            continue
        if quote.gpu_count >= gpus_per_replica:
            per_instance = quote.gpu_count // gpus_per_replica
            packed.append(InstanceChoice(
                quote, price, pricing, math.ceil(replicas / per_instance), quote.gpu_count, True
            ))
        else:
            loose.append(InstanceChoice(
                quote, price, pricing, gpus_per_replica * replicas, 1, False
            ))
    pool = packed or loose
    if not pool:
        return None
    return min(pool, key=lambda c: (c.hourly_usd(), c.quote.provider, c.quote.instance_type))


def estimate_cost(
    quotes: Sequence[PriceQuote],
    preferences: Preferences,
    gpus_per_replica: int,
    replicas: int,
    min_replicas: int,
    avg_output_tokens_per_s: float,
) -> CostEstimate | None:
    """Cost of a plan, or ``None`` when no accepted quote prices this accelerator.

    ``hourly_usd`` is the cost provisioned for the peak (``replicas``); ``$/M output tokens`` is
    that hourly cost over the tokens produced per hour at the average load
    (``avg_output_tokens_per_s × 3600``): what a token costs when the peak capacity is kept up.
    """
    accepted = provider_quotes(quotes, preferences)
    on_demand = choose_instances(accepted, gpus_per_replica, replicas, "on_demand")
    spot = choose_instances(accepted, gpus_per_replica, replicas, "spot")
    primary = on_demand
    if preferences.allow_spot and spot is not None and (
        on_demand is None or spot.hourly_usd() < on_demand.hourly_usd()
    ):
        primary = spot
    if primary is None:
        return None
    total_gpus = gpus_per_replica * replicas
    hourly = primary.hourly_usd()
    at_min = choose_instances([primary.quote], gpus_per_replica, min_replicas, primary.pricing)
    hourly_min = at_min.hourly_usd() if at_min is not None else None
    per_million = usd_per_million_output_tokens(hourly, avg_output_tokens_per_s)
    quote = primary.quote
    kind = "spot" if primary.pricing == "spot" else "on-demand"
    where = f"{quote.provider} {quote.instance_type}" + (
        f", {quote.region}" if quote.region else ""
    )
    basis = [
        f"{primary.instances} × {quote.instance_type} ({primary.gpus_per_instance} GPU each) at "
        f"{format_usd(primary.usd_per_gpu_hour)}/GPU-hour {kind} ({where})",
        f"monthly = hourly × {format_number(HOURS_PER_MONTH)} h",
    ]
    idle = primary.idle_gpus(total_gpus)
    if idle:
        basis.append(f"{idle} GPU(s) of the rented instances stay idle (whole instances are paid)")
    if not primary.packed:
        basis.append(
            f"priced per GPU: no listed instance holds {gpus_per_replica} GPUs in one node; "
            "check multi-GPU availability with the provider"
        )
    if per_million is not None:
        basis.append(
            f"$/M output tokens at the average load ({format_number(avg_output_tokens_per_s)} "
            "output tokens/s) with the peak capacity provisioned"
        )
    if spot is not None and spot.hourly_usd() >= hourly and primary.pricing == "on_demand":
        spot = None  # a spot price above on-demand is never the one to take: not shown
    return CostEstimate(
        hourly_usd=hourly,
        monthly_usd=hourly * HOURS_PER_MONTH,
        per_million_output_tokens_usd=per_million,
        usd_per_gpu_hour=primary.usd_per_gpu_hour,
        spot_hourly_usd=None if spot is None else spot.hourly_usd(),
        spot_monthly_usd=None if spot is None else spot.hourly_usd() * HOURS_PER_MONTH,
        provider=quote.provider,
        price_provenance=quote.provenance,
        pricing=primary.pricing,
        instance_type=quote.instance_type,
        region=quote.region or None,
        instances=primary.instances,
        gpus_per_instance=primary.gpus_per_instance,
        idle_gpus=idle,
        hourly_usd_at_min_replicas=hourly_min,
        monthly_usd_at_min_replicas=None if hourly_min is None else hourly_min * HOURS_PER_MONTH,
        basis=tuple(basis),
    )


def cheapest_gpu_hour(quotes: Sequence[PriceQuote], preferences: Preferences) -> float | None:
    """Lowest accepted $/GPU-hour for one accelerator: the cost lower bound per GPU."""
    prices: list[float] = []
    for quote in provider_quotes(quotes, preferences):
        if quote.usd_per_gpu_hour_on_demand is not None:
            prices.append(quote.usd_per_gpu_hour_on_demand)
        if preferences.allow_spot and quote.usd_per_gpu_hour_spot is not None:
            prices.append(quote.usd_per_gpu_hour_spot)
    return min(prices) if prices else None


@dataclass(frozen=True, slots=True)
class BudgetExcess:
    """One budget limit a cost breaks."""

    field: str
    limit_usd: float
    cost_usd: float
    unit: str


def budget_excesses(cost: CostEstimate, budget: Budget) -> list[BudgetExcess]:
    """The limits of ``budget`` that ``cost`` exceeds (empty when within budget)."""
    out: list[BudgetExcess] = []
    if budget.hourly_usd is not None and cost.hourly_usd > budget.hourly_usd:
        out.append(BudgetExcess("budget.hourly_usd", budget.hourly_usd, cost.hourly_usd, "/hour"))
    if budget.monthly_usd is not None and cost.monthly_usd > budget.monthly_usd:
        out.append(
            BudgetExcess("budget.monthly_usd", budget.monthly_usd, cost.monthly_usd, "/month")
        )
    per_m = cost.per_million_output_tokens_usd
    if budget.per_million_tokens_usd is not None and per_m is not None and (
        per_m > budget.per_million_tokens_usd
    ):
        out.append(BudgetExcess(
            "budget.per_million_tokens_usd", budget.per_million_tokens_usd, per_m,
            "/M output tokens",
        ))
    return out
