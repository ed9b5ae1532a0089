from __future__ import annotations

import pytest
from tests.planning_facts import PRICES

from predeploy.core.cost import (
    HOURS_PER_MONTH,
    budget_excesses,
    cheapest_gpu_hour,
    choose_instances,
    estimate_cost,
    usd_per_million_output_tokens,
)
from predeploy.core.types import Budget, Preferences


def _quotes(gpu: str):
    return [q for q in PRICES if q.gpu == gpu]


def test_replicas_pack_onto_whole_instances() -> None:
    # 3 replicas of 2 GPUs: Lambda 2x at $3.19 → 3 instances = $19.14; 8x at $2.99 → 1 instance
    # of 8 (2 idle) = $23.92. The cheaper total wins.
    choice = choose_instances(_quotes("H100-SXM"), 2, 3, "on_demand")
    assert choice is not None
    assert choice.quote.instance_type == "gpu_2x_h100_sxm5"
    assert choice.hourly_usd() == pytest.approx(3 * 2 * 3.19)
    # 4 replicas of 2: one 8x box ($23.92) beats four 2x boxes ($25.52).
    choice = choose_instances(_quotes("H100-SXM"), 2, 4, "on_demand")
    assert choice is not None and choice.quote.instance_type == "gpu_8x_h100_sxm5"
    assert choice.idle_gpus(8) == 0


def test_tp_replica_never_spans_single_gpu_instances() -> None:
    choice = choose_instances(_quotes("L4"), 2, 1, "on_demand")
    assert choice is not None and choice.quote.gpu_count == 4
    assert choice.idle_gpus(2) == 2


def test_cost_figures_and_provenance() -> None:
    cost = estimate_cost(_quotes("L4"), Preferences(), 1, 2, 1, avg_output_tokens_per_s=500)
    assert cost is not None
    assert cost.hourly_usd == pytest.approx(2 * 0.8048)
    assert cost.monthly_usd == pytest.approx(cost.hourly_usd * HOURS_PER_MONTH)
    assert cost.hourly_usd_at_min_replicas == pytest.approx(0.8048)
    tokens_per_hour_m = 500 * 3600 / 1e6
    assert cost.per_million_output_tokens_usd == pytest.approx(cost.hourly_usd / tokens_per_hour_m)
    assert cost.price_provenance.source.startswith("skypilot")
    assert cost.pricing == "on_demand"
    assert cost.spot_hourly_usd == pytest.approx(2 * 0.3879)


def test_spot_only_when_allowed_and_providers_filter() -> None:
    spot = estimate_cost(_quotes("L4"), Preferences(allow_spot=True), 1, 1, 1, 100)
    assert spot is not None and spot.pricing == "spot"
    assert spot.usd_per_gpu_hour == pytest.approx(0.3879)
    aws = estimate_cost(_quotes("H100-SXM"), Preferences(providers=("aws",)), 1, 1, 1, 100)
    assert aws is not None and aws.provider == "AWS"
    assert estimate_cost(_quotes("H100-SXM"), Preferences(providers=("Azure",)), 1, 1, 1, 1) is None
    assert cheapest_gpu_hour(_quotes("H100-SXM"), Preferences()) == pytest.approx(2.99)
    assert cheapest_gpu_hour(_quotes("H100-SXM"), Preferences(allow_spot=True)) == pytest.approx(
        2.6242
    )


def test_budget_limits_are_each_checked() -> None:
    cost = estimate_cost(_quotes("L4"), Preferences(), 1, 2, 1, 100)
    assert cost is not None
    assert budget_excesses(cost, Budget()) == []
    fields = {e.field for e in budget_excesses(
        cost, Budget(monthly_usd=100, hourly_usd=1, per_million_tokens_usd=0.01))}
    assert fields == {"budget.monthly_usd", "budget.hourly_usd", "budget.per_million_tokens_usd"}


def test_cost_per_million_output_tokens_at_the_average_load() -> None:
    # $1/hour at 1,000 output tokens/s = 3.6 M tokens/hour → $0.2778 per million
    assert usd_per_million_output_tokens(1.0, 1000.0) == pytest.approx(1 / 3.6)
    assert usd_per_million_output_tokens(1.0, 0.0) is None
