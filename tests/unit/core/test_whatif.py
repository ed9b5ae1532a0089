from __future__ import annotations

import re

import pytest
from tests.planning_facts import ToyEngine, small_catalog

from predeploy.core.errors import InputError
from predeploy.core.optimizer import plan_deployment
from predeploy.core.traffic import plan_traffic
from predeploy.core.types import DeploymentIntent, PlannerOptions, PlanResult, SweepVariable
from predeploy.core.whatif import compare, sweep

OPTIONS = PlannerOptions(num_requests=500)
INTENT = DeploymentIntent.model_validate({"use_case": "chatbot", "qps": 10, "priority": "cost"})


def test_rate_sweep_is_a_monotone_cost_curve() -> None:
    result = sweep(INTENT, small_catalog(), ToyEngine(), plan_deployment, "rate",
                   [0.25, 1, 4, 8], options=OPTIONS)
    assert [p.label for p in result.points] == ["× 0.25", "× 1", "× 4", "× 8"]
    peaks = [p.peak_requests_per_s for p in result.points]
    assert peaks == pytest.approx([7.5, 30, 120, 240])
    costs = [p.plan.cost.monthly_usd for p in result.points if p.plan is not None]
    assert len(costs) == 4 and costs == sorted(costs)


def test_slo_sweep_reports_infeasible_points() -> None:
    result = sweep(INTENT, small_catalog(), ToyEngine(), plan_deployment, "slo",
                   [0.5, 20, 200], target="itl_ms.p90", options=OPTIONS)
    feasible = [p.feasible for p in result.points]
    assert feasible == [False, True, True]
    assert result.points[0].reason
    assert result.points[1].plan is not None and result.points[2].plan is not None
    assert result.points[2].plan.cost.monthly_usd <= result.points[1].plan.cost.monthly_usd
    with pytest.raises(InputError, match=r"ttft_ms\.p90"):
        sweep(INTENT, small_catalog(), ToyEngine(), plan_deployment, "slo", [1], target="ttft")


def test_gpu_and_length_sweeps() -> None:
    gpus = sweep(INTENT, small_catalog(), ToyEngine(), plan_deployment, "gpu",
                 ["L4", "H100-SXM"], options=OPTIONS)
    assert [p.plan.gpu for p in gpus.points if p.plan] == ["L4", "H100-SXM"]
    lengths = sweep(INTENT, small_catalog(), ToyEngine(), plan_deployment, "prompt_tokens",
                    [500, 8000], options=OPTIONS)
    assert all(p.feasible for p in lengths.points)
    with pytest.raises(InputError, match="positive"):
        sweep(INTENT, small_catalog(), ToyEngine(), plan_deployment, "prompt_tokens", [-3])


def test_compare_lists_deltas_b_minus_a() -> None:
    a = plan_deployment(INTENT, small_catalog(), ToyEngine(), OPTIONS)
    b = plan_deployment(INTENT.model_copy(update={"qps": 40.0}), small_catalog(), ToyEngine(),
                        OPTIONS)
    comparison = compare(a, b)
    deltas = {d.name: d for d in comparison.deltas}
    assert deltas["peak request rate"].delta == pytest.approx(90.0)
    cost = deltas["monthly cost"]
    assert cost.delta == pytest.approx(cost.b - cost.a)  # type: ignore[operator]
    assert cost.delta >= 0  # type: ignore[operator]
    assert any(line.startswith("B costs") for line in comparison.summary)


def test_default_sweep_values() -> None:
    from predeploy.core.whatif import default_values

    catalog = small_catalog()
    assert default_values(INTENT, catalog, "rate", None)[0] == 0.25
    assert default_values(INTENT, catalog, "slo", "ttft_ms.p90") == [250, 500, 1000, 2000, 4000]
    assert default_values(INTENT, catalog, "prompt_tokens", None)[2] == 512
    assert default_values(INTENT, catalog, "gpu", None) == ["L4", "A100-80GB", "H100-SXM"]
    with pytest.raises(InputError, match="no current target"):
        default_values(INTENT, catalog, "slo", "tpot_ms.p90")


@pytest.mark.parametrize(
    ("variable", "values", "target", "message"),
    [
        ("rate", ["inf"], None, "positive numbers, got 'inf'"),
        ("rate", ["nan"], None, "positive numbers, got 'nan'"),
        ("rate", ["-1"], None, "positive numbers"),
        ("prompt_tokens", ["1e12"], None, "at most 10,000,000 tokens"),
        ("shared_prefix_tokens", ["-5"], None, "0 to 10,000,000 tokens, got '-5'"),
        ("shared_prefix_tokens", ["lots"], None, "must be numbers, got 'lots'"),
        ("rate", [1], "ttft_ms.p90", "goes with an SLO sweep only"),
        ("prefix_count", [10], None, "state shared_prefix_tokens"),
        ("routing", ["sticky"], None, "random or prefix-aware, got 'sticky'"),
    ],
)
def test_bad_sweep_values_are_clear_errors(
    variable: SweepVariable, values: list[float | str], target: str | None, message: str
) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        sweep(INTENT, small_catalog(), ToyEngine(), plan_deployment, variable, values,
              target=target, options=OPTIONS)


@pytest.mark.parametrize(
    ("fields", "own"),
    [
        ({"prompt_tokens": 600}, 600),  # a stated prompt without a prefix: all its own
        ({"prompt_tokens": 2600, "shared_prefix_tokens": 2000}, 600),  # counted the prefix
        ({"prompt_tokens": 600, "shared_prefix_tokens": 2000}, 600),  # stated as its own part
        ({}, 512),  # the template's prompt
    ],
)
def test_a_prefix_sweep_keeps_each_requests_own_part(fields: dict[str, int], own: int) -> None:
    catalog = small_catalog()
    intent = INTENT.model_copy(update=fields)
    seen: list[tuple[int, float]] = []

    def planner(changed: DeploymentIntent, *args: object, **kwargs: object) -> PlanResult:
        traffic = plan_traffic(changed, catalog.slo_template(changed.use_case))
        seen.append((traffic.shared_prefix_tokens, traffic.prompt_tokens.mean))
        return plan_deployment(changed, catalog, ToyEngine(), OPTIONS)

    result = sweep(intent, catalog, ToyEngine(), planner, "shared_prefix_tokens",
                   [0, 100, 4000], options=OPTIONS)
    assert [p.label for p in result.points] == [
        "no shared prefix", "100 shared tokens", "4,000 shared tokens"
    ]
    assert seen == [(0, pytest.approx(own)), (100, pytest.approx(own + 100)),
                    (4000, pytest.approx(own + 4000))]


def test_a_prefix_sweep_tries_around_the_stated_prefix() -> None:
    from predeploy.core.whatif import default_values

    catalog = small_catalog()
    assert default_values(INTENT, catalog, "shared_prefix_tokens", None) == [
        0, 500, 1000, 2000, 4000
    ]
    stated = INTENT.model_copy(update={"shared_prefix_tokens": 1500})
    assert default_values(stated, catalog, "shared_prefix_tokens", None) == [
        0, 750, 1500, 3000, 6000
    ]


def test_a_prefix_count_sweep_spreads_the_requests_over_more_system_prompts() -> None:
    from predeploy.core.whatif import default_values

    catalog = small_catalog()
    intent = INTENT.model_copy(update={"shared_prefix_tokens": 2000})
    assert default_values(intent, catalog, "prefix_count", None) == [1, 10, 100, 1000, 10000]
    seen: list[int] = []

    def planner(changed: DeploymentIntent, *args: object, **kwargs: object) -> PlanResult:
        seen.append(plan_traffic(changed, catalog.slo_template(changed.use_case)).prefix_count)
        return plan_deployment(changed, catalog, ToyEngine(), OPTIONS)

    result = sweep(intent, catalog, ToyEngine(), planner, "prefix_count", [1, 40],
                   options=OPTIONS)
    assert [p.label for p in result.points] == ["one system prompt", "40 system prompts"]
    assert seen == [1, 40]
    with pytest.raises(InputError, match=re.escape("1 to 1,000,000, got '0.2'")):
        sweep(intent, catalog, ToyEngine(), plan_deployment, "prefix_count", ["0.2"],
              options=OPTIONS)


def test_a_routing_sweep_plans_with_each_router() -> None:
    from predeploy.core.whatif import default_values

    catalog = small_catalog()
    intent = INTENT.model_copy(update={"conversation_turns": 6})
    assert default_values(intent, catalog, "routing", None) == ["random", "prefix_aware"]
    result = sweep(intent, catalog, ToyEngine(), plan_deployment, "routing",
                   ["random", "prefix-aware"], options=OPTIONS)
    assert [p.label for p in result.points] == ["routed at random", "routed by prefix"]
    assert all(p.feasible for p in result.points)


def test_a_popularity_sweep_spreads_the_requests_by_zipfs_law() -> None:
    from predeploy.core.whatif import default_values

    catalog = small_catalog()
    tenants = INTENT.model_copy(update={"shared_prefix_tokens": 1000, "prefix_count": 40})
    assert default_values(tenants, catalog, "prefix_popularity", None) == [0.0, 0.5, 1.0, 1.5]
    seen: list[float] = []

    def planner(changed: DeploymentIntent, *args: object, **kwargs: object) -> PlanResult:
        traffic = plan_traffic(changed, catalog.slo_template(changed.use_case))
        seen.append(traffic.prefix_popularity)
        return plan_deployment(changed, catalog, ToyEngine(), OPTIONS)

    result = sweep(tenants, catalog, ToyEngine(), planner, "prefix_popularity", [0, 1.2],
                   options=OPTIONS)
    assert [p.label for p in result.points] == ["evenly", "Zipf 1.2"]
    assert seen == [0.0, 1.2]
    with pytest.raises(InputError, match=re.escape("0 to 3 (Zipf's exponent), got '4'")):
        sweep(tenants, catalog, ToyEngine(), plan_deployment, "prefix_popularity", ["4"],
              options=OPTIONS)
    with pytest.raises(InputError, match="a prefix_count above 1 first"):
        sweep(INTENT, catalog, ToyEngine(), plan_deployment, "prefix_popularity", [1],
              options=OPTIONS)
