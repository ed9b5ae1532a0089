"""Search logic of the planner, on a small real catalog with the test-double engine.

The same properties are checked against the real performance engine in
tests/integration/test_planning_real.py.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from tests.planning_facts import (
    LLAMA_8B,
    LLAMA_70B,
    QWEN_7B,
    ToyEngine,
    chat_template,
    small_catalog,
)

from predeploy.core.errors import UnknownNameError
from predeploy.core.optimizer import plan_deployment, routing_note
from predeploy.core.ranking import Point, dominates, weight_fidelity
from predeploy.core.rationale import plan_point
from predeploy.core.traffic import plan_traffic
from predeploy.core.types import (
    DeploymentIntent,
    PlannerOptions,
    PlanResult,
    Precision,
    Routing,
)

OPTIONS = PlannerOptions(num_requests=500)


def _plan(engine: ToyEngine | None = None, **fields: object) -> PlanResult:
    intent = DeploymentIntent.model_validate({"use_case": "chatbot", **fields})
    return plan_deployment(intent, small_catalog(), engine or ToyEngine(), OPTIONS)


def _points(result: PlanResult) -> list[Point]:
    return [Point(p.cost.hourly_usd, p.predicted.e2e_ms.p90 or 0, p.quality_score, 0.0,
                  weight_fidelity(p.precision, Precision.BF16)) for p in result.plans]


def test_plans_meet_slos_with_headroom_verified_by_simulation() -> None:
    result = _plan(users=20_000)
    assert result.plans
    for plan in result.plans:
        assert plan.meets_slo
        for check in plan.slo_checks.values():
            assert check.margin >= result.headroom - 1e-9
        assert plan.predicted.provenance.method == "simulation"
        assert plan.total_gpus == plan.replicas * plan.tp
        assert plan.autoscaling.min_replicas <= plan.autoscaling.max_replicas == plan.replicas
        assert plan.rationale and plan.provenance
        assert plan.vllm.max_model_len >= 1374 + 687  # p99 prompt + p99 output of the template
    assert result.plans[0].labels[0] == "recommended"


def test_no_returned_plan_is_dominated_by_another() -> None:
    # Naming the unscored Qwen 7B keeps a second model in the search (diversity).
    result = _plan(users=20_000, models=[QWEN_7B.id])
    for a, b in itertools.permutations(_points(result), 2):
        assert not dominates(a, b)
    assert len({(p.model, p.gpu) for p in result.plans}) >= 2  # diverse


def test_priority_cost_puts_the_cheapest_first() -> None:
    result = _plan(users=20_000, priority="cost")
    costs = [p.cost.hourly_usd for p in result.plans]
    assert costs[0] == min(costs)
    assert "cheapest" in result.plans[0].labels


def test_doubling_the_rate_never_lowers_cost() -> None:
    costs = [min(p.cost.hourly_usd for p in _plan(qps=q, priority="cost").plans)
             for q in (5, 10, 20, 40, 80)]
    assert costs == sorted(costs)


def test_simulation_disagreement_adds_a_replica_and_says_so() -> None:
    engine = ToyEngine(sim_slowdown=1.25)
    result = _plan(engine, qps=20, models=[LLAMA_70B.id], gpus=["H100-SXM"],
                   constraints={"models_required": True, "max_tensor_parallel": 2},
                   slo={"ttft_ms": {"p90": 400}})
    assert result.plans
    plan = result.plans[0]
    assert any("simulation added" in line for line in plan.rationale)
    assert plan.slo_checks["ttft_ms.p90"].margin >= result.headroom


def test_budget_below_any_plan_says_what_it_would_take() -> None:
    result = _plan(users=20_000, budget={"monthly_usd": 50})
    assert result.plans == ()
    assert {r.reason for r in result.infeasible} >= {"budget"}
    (budget,) = [s for s in result.suggestions if s.kind == "raise_budget"]
    cheapest = min(p.cost.monthly_usd for p in _plan(users=20_000).plans)
    assert budget.value == pytest.approx(cheapest, rel=1e-6)
    assert budget.field == "constraints.budget.monthly_usd"


def test_slo_no_gpu_can_meet_suggests_relaxing_from_the_floors() -> None:
    result = _plan(qps=1, gpus=["L4"], slo={"itl_ms": {"p90": 3}})
    assert result.plans == ()
    kinds = {s.kind for s in result.suggestions}
    assert {"relax_slo", "allow_gpu"} <= kinds
    relax = next(s for s in result.suggestions if s.kind == "relax_slo")
    assert relax.field == "slo.itl_ms.p90"
    assert isinstance(relax.value, float) and relax.value > 3
    # the suggested target is reachable: re-planning with it on the same GPU finds a plan
    assert _plan(qps=1, gpus=["L4"], slo={"itl_ms": {"p90": relax.value}}).plans


def test_gpu_count_limit_suggests_more_gpus() -> None:
    result = _plan(qps=200, gpus=[{"gpu": "L4", "count": 2}], models=["Llama-3.1-8B-Instruct"],
                   constraints={"models_required": True})
    assert result.plans == ()
    assert {r.reason for r in result.infeasible} & {"gpu_availability"}
    more = next(s for s in result.suggestions if s.kind == "more_gpus")
    assert isinstance(more.value, int) and more.value > 2


def test_plans_respect_the_gpus_on_hand() -> None:
    result = _plan(qps=20, gpus=[{"gpu": "A100 80GB", "count": 4}])
    assert result.plans
    assert all(p.gpu == "A100-80GB" and p.total_gpus <= 4 for p in result.plans)


def test_unknown_gpu_is_an_error_with_suggestions() -> None:
    with pytest.raises(UnknownNameError, match="H100"):
        _plan(qps=1, gpus=["H100-SMX"])


def test_long_context_rag_sets_max_model_len() -> None:
    intent = DeploymentIntent.model_validate({
        "use_case": "rag_qa", "qps": 2, "prompt_tokens": 30_000, "output_tokens": 500,
        "slo": {"ttft_ms": {"p90": 10_000, "p99": 20_000}},
    })
    result = plan_deployment(intent, small_catalog(), ToyEngine(), OPTIONS)
    assert result.plans
    assert all(p.vllm.max_model_len >= 30_500 for p in result.plans)
    assert "Qwen/Qwen2.5-7B-Instruct" in {
        r.candidate.model for r in result.infeasible if r.reason == "context_length"}


def test_same_request_same_answer() -> None:
    a, b = _plan(users=5000), _plan(users=5000)
    assert [p.model_dump() for p in a.plans] == [p.model_dump() for p in b.plans]


def test_plan_point_uses_capacity() -> None:
    result = _plan(users=5000)
    plan = result.plans[0]
    assert plan.predicted.max_rps_per_replica * plan.replicas >= result.traffic.peak_requests_per_s
    assert plan_point is not None


def test_a_named_model_is_shown_when_feasible() -> None:
    result = _plan(users=20_000, priority="quality", models=["Qwen2.5-7B-Instruct"])
    named = [p for p in result.plans if p.model == "Qwen/Qwen2.5-7B-Instruct"]
    assert named and "requested model" in named[0].labels
    assert any("a model you named" in line for line in named[0].rationale)


def test_excluded_gpus_are_never_planned() -> None:
    result = _plan(users=20_000, constraints={"excluded_gpus": ["H100-SXM", "L4"]})
    assert result.plans
    assert {p.gpu for p in result.plans} == {"A100-80GB"}
    with pytest.raises(UnknownNameError):
        _plan(users=20_000, constraints={"excluded_gpus": ["H900"]})


def test_a_named_model_is_searched_past_the_cost_scope() -> None:
    """A cost-minded search skips plans above 3x the cheapest one, but never the best plan of a
    model the user named (here a 70B model far pricier than an 8B on an L4)."""
    result = _plan(users=2_000, priority="cost", models=[LLAMA_70B.id],
                   slo={"itl_ms": {"p90": 400}, "e2e_ms": {"p90": 60_000}})
    cheapest = min(p.cost.hourly_usd for p in result.plans)
    named = [p for p in result.plans if p.model == LLAMA_70B.id]
    assert named and "requested model" in named[0].labels
    assert named[0].cost.hourly_usd > 3 * cheapest


def test_a_named_model_dominated_by_others_still_shows_its_best_plan() -> None:
    """A slower, lower-quality twin of Llama 8B is dominated on every accelerator; named, its
    own best plan is still shown (what the named model would take)."""
    twin = LLAMA_8B.model_copy(update={
        "id": "test/slow-twin", "name": "slow-twin",
        "architecture": LLAMA_8B.architecture.model_copy(
            update={"num_layers": 40, "total_params_b": 9.9, "active_params_b": 9.9}),
        "quality": tuple(q.model_copy(update={"score": 15.0}) for q in LLAMA_8B.quality),
    })
    catalog = small_catalog(models=(LLAMA_8B, LLAMA_70B, twin))
    engine = ToyEngine()

    def plan(**fields: object) -> PlanResult:
        intent = DeploymentIntent.model_validate({"use_case": "chatbot", "users": 2_000, **fields})
        return plan_deployment(intent, catalog, engine, OPTIONS)

    assert twin.id not in {p.model for p in plan().plans}
    shown = [p for p in plan(models=[twin.id]).plans if p.model == twin.id]
    assert shown and "requested model" in shown[0].labels


def test_a_stated_front_end_time_is_in_every_plans_ttft_and_said() -> None:
    intent = DeploymentIntent.model_validate({"use_case": "chatbot", "users": 2000})
    fitted = plan_deployment(intent, small_catalog(), ToyEngine(), OPTIONS)
    options = OPTIONS.model_copy(update={"front_end_s": 0.05})
    stated = plan_deployment(intent, small_catalog(), ToyEngine(), options)
    assert fitted.plans and stated.plans and fitted.front_end_s is None
    assert stated.front_end_s == 0.05
    assert any("stated front-end time of 50 ms" in n for n in stated.notes)
    best = {p.configuration: p.predicted.ttft_ms.p50 or 0.0 for p in fitted.plans}
    compared = [p for p in stated.plans if p.configuration in best]
    assert compared  # the same configurations are planned either way
    for plan in compared:
        assert (plan.predicted.ttft_ms.p50 or 0.0) > best[plan.configuration]


def test_the_router_is_said_where_the_prefix_cache_depends_on_it() -> None:
    plain = plan_traffic(DeploymentIntent(use_case="chatbot", qps=2.0), chat_template())
    assert routing_note(plain, Routing.RANDOM) is None
    turns = DeploymentIntent(use_case="chatbot", qps=2.0, conversation_turns=4)
    chat = plan_traffic(turns, chat_template())
    note = routing_note(chat, Routing.RANDOM) or ""
    assert "routed to replicas at random" in note and "up to the last turn" in note
    assert "--routing prefix-aware" in note
    tenants = DeploymentIntent(
        use_case="chatbot", qps=2.0, shared_prefix_tokens=300, prefix_count=12
    )
    aware = routing_note(plan_traffic(tenants, chat_template()), Routing.PREFIX_AWARE) or ""
    assert "routed by prefix" in aware and "its share of the system prompts" in aware
    assert "history" not in aware


def test_the_router_is_the_planners_else_the_requests_else_random() -> None:
    def routing(stated: Routing | None, told: Routing | None) -> Routing:
        intent = DeploymentIntent.model_validate(
            {"use_case": "chatbot", "users": 2000, "conversation_turns": 4, "routing": stated}
        )
        options = OPTIONS.model_copy(update={"routing": told})
        result = plan_deployment(intent, small_catalog(), ToyEngine(), options)
        assert result.plans
        return result.routing

    assert routing(None, None) == Routing.RANDOM
    assert routing(Routing.PREFIX_AWARE, None) == Routing.PREFIX_AWARE
    assert routing(Routing.PREFIX_AWARE, Routing.RANDOM) == Routing.RANDOM


def test_plans_pruned_by_a_plan_simulation_rejects_are_searched_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Sized one at a time, the search prunes configurations that a sized plan dominates. If
    # simulation then rejects every plan sized first, the pruned ones must be sized after all.
    import predeploy.core.frontier as frontier_module
    import predeploy.core.optimizer as optimizer_module

    monkeypatch.setattr(frontier_module, "SIZE_BATCH", 1)
    first: set[int] = set()
    pruned: set[tuple[str, str, int]] = set()
    search, verify = optimizer_module.search_frontier, optimizer_module._verify

    def searched(*args: Any, **kwargs: Any) -> frontier_module.Frontier:
        found = search(*args, **kwargs)
        first.update(id(d.config) for d in found.drafts)
        pruned.update((c.gpu.name, c.precision.value, c.tp) for _, _, c, *_ in found.pruned)
        return found

    def rejecting(draft: Any, *args: Any, **kwargs: Any) -> Any:
        return None if id(draft.config) in first else verify(draft, *args, **kwargs)

    monkeypatch.setattr(optimizer_module, "search_frontier", searched)
    monkeypatch.setattr(optimizer_module, "_verify", rejecting)
    result = _plan(qps=20, priority="cost")
    assert pruned and result.plans
    assert {(p.gpu, p.precision.value, p.tp) for p in result.plans} <= pruned


def test_a_spent_simulation_budget_is_said() -> None:
    intent = DeploymentIntent.model_validate({"use_case": "chatbot", "qps": 20})
    options = OPTIONS.model_copy(update={"max_simulations": 1})
    result = plan_deployment(intent, small_catalog(), ToyEngine(), options)
    assert any("simulation budget (1 runs) was spent" in note for note in result.notes)


def test_a_smaller_prefill_token_budget_is_tried_before_more_replicas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Simulated decode gaps grow with the prefill chunk a step carries: at vLLM's default
    # budget no plan holds ITL p99, at a smaller one the cheapest plan needs no extra replica.
    import predeploy.core.optimizer as optimizer_module

    engine = ToyEngine(sim_stall_ms_per_1k_budget=4.0)
    fields = {"qps": 5, "priority": "cost", "slo": {"itl_ms": {"p99": 60}}}
    tuned = _plan(engine, **fields)
    assert tuned.plans
    cheapest = tuned.plans[0]
    assert cheapest.vllm.max_num_batched_tokens < 8192  # the test double's default
    assert any(
        line.startswith(f"--max-num-batched-tokens {cheapest.vllm.max_num_batched_tokens} ")
        for line in cheapest.rationale
    )
    assert cheapest.vllm_args["--max-num-batched-tokens"] == cheapest.vllm.max_num_batched_tokens
    monkeypatch.setattr(optimizer_module, "SMALLER_TOKEN_BUDGETS", ())
    assert not _plan(ToyEngine(sim_stall_ms_per_1k_budget=4.0), **fields).plans
