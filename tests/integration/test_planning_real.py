"""The planner on the shipped catalog with the calibrated performance engine (analytic screen,
simulation-verified plans): physical sanity and the plan invariants."""

from __future__ import annotations

import itertools
import re

import pytest

from predeploy.core.catalog import Catalog
from predeploy.core.optimizer import plan_deployment
from predeploy.core.perf_engine import CalibratedEngine
from predeploy.core.ranking import Point, dominates, weight_fidelity
from predeploy.core.types import DeploymentIntent, PlannerOptions, PlanResult, Precision
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.planning import calibrated_engine

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"
GPUS = ["L4", "L40S", "A100-80GB", "H100-SXM", "H200"]
OPTIONS = PlannerOptions(num_requests=600, max_plans=4)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return seed_catalog()


@pytest.fixture(scope="module")
def engine() -> CalibratedEngine:
    return calibrated_engine()


def _plan(catalog: Catalog, engine: CalibratedEngine, **fields: object) -> PlanResult:
    intent = DeploymentIntent.model_validate({"use_case": "chatbot", **fields})
    return plan_deployment(intent, catalog, engine, OPTIONS)


def test_every_plan_fits_meets_slos_in_simulation_and_is_not_dominated(
    catalog: Catalog, engine: CalibratedEngine
) -> None:
    result = _plan(catalog, engine, peak_qps=20, gpus=GPUS, models=[LLAMA_8B, LLAMA_70B],
                   constraints={"models_required": True})
    assert result.plans
    points = []
    for plan in result.plans:
        assert plan.meets_slo
        assert plan.predicted.provenance.method == "simulation"
        assert all(c.margin >= result.headroom - 1e-9 for c in plan.slo_checks.values())
        gpu = catalog.gpu(plan.gpu)
        memory = engine.fit_memory(catalog.model(plan.model), gpu, plan.precision, plan.tp,
                                   plan.vllm.max_model_len)
        assert memory.fits
        assert plan.per_replica_peak_rps == pytest.approx(20 / plan.replicas)
        points.append(Point(plan.cost.hourly_usd, plan.predicted.e2e_ms.p90 or 0,
                            plan.quality_score, 0.0,
                            weight_fidelity(plan.precision,
                                            catalog.model(plan.model).architecture
                                            .native_precision)))
    for a, b in itertools.permutations(points, 2):
        assert not dominates(a, b)


def test_llama_70b_bf16_never_on_less_than_two_80gb_gpus(
    catalog: Catalog, engine: CalibratedEngine
) -> None:
    model = catalog.model(LLAMA_70B)
    for name in ("A100-80GB", "H100-SXM"):
        assert not engine.fit_memory(model, catalog.gpu(name), Precision.BF16, 1, 4096).fits
    result = _plan(catalog, engine, qps=2, models=[LLAMA_70B],
                   constraints={"models_required": True, "precisions": ["bf16"]})
    assert result.plans
    for plan in result.plans:
        memory_gb = catalog.gpu(plan.gpu).memory_gb * plan.gpus_per_replica
        assert memory_gb >= 160, plan.configuration


def test_long_rag_prompts_set_max_model_len_and_need_kv_room(
    catalog: Catalog, engine: CalibratedEngine
) -> None:
    intent = DeploymentIntent.model_validate({
        "use_case": "rag_qa", "qps": 1, "prompt_tokens": 30_000, "output_tokens": 500,
        "gpus": ["H100-SXM", "L40S"], "models": [LLAMA_8B, "Qwen/Qwen2.5-7B-Instruct"],
        "constraints": {"models_required": True},
        "slo": {"ttft_ms": {"p90": 5000, "p99": 10_000}, "e2e_ms": {"p95": 60_000}},
    })
    result = plan_deployment(intent, catalog, engine, OPTIONS)
    assert result.plans
    for plan in result.plans:
        assert plan.vllm.max_model_len >= 30_500
        model = catalog.model(plan.model)
        memory = engine.fit_memory(model, catalog.gpu(plan.gpu), plan.precision, plan.tp,
                                   plan.vllm.max_model_len)
        assert memory.kv_capacity_tokens >= 30_500  # one full sequence fits in the KV cache
    short = [r for r in result.infeasible if r.reason == "context_length"]
    assert short  # models whose window can't hold the p99 prompt + output are not planned
    for rejection in short:
        window = catalog.model(rejection.candidate.model).architecture.max_context_tokens
        assert rejection.limit is not None and rejection.limit >= 30_500
        assert window == rejection.achieved and window < rejection.limit


def test_doubling_the_request_rate_never_lowers_cost(
    catalog: Catalog, engine: CalibratedEngine
) -> None:
    costs = []
    for rate in (2, 4, 8, 16):
        result = _plan(catalog, engine, peak_qps=rate, priority="cost", gpus=GPUS,
                       models=[LLAMA_8B], constraints={"models_required": True})
        assert result.plans
        costs.append(min(p.cost.hourly_usd for p in result.plans))
    assert costs == sorted(costs)


def test_impossible_latency_says_what_would_work(
    catalog: Catalog, engine: CalibratedEngine
) -> None:
    result = _plan(catalog, engine, qps=1, gpus=["L4"], models=[LLAMA_70B],
                   constraints={"models_required": True}, slo={"itl_ms": {"p90": 10}})
    assert result.plans == ()
    kinds = {s.kind for s in result.suggestions}
    assert "relax_slo" in kinds
    assert "allow_gpu" in kinds or "allow_model" in kinds


def test_a_shared_system_prompt_is_planned_cached_and_said_so(
    catalog: Catalog, engine: CalibratedEngine
) -> None:
    """A 4,000-token system prompt before 500-token questions: every plan states the prefix it
    assumed cached, and one H100 carries more requests with it than without it."""
    fields = {"peak_qps": 10, "prompt_tokens": 500, "gpus": ["H100-SXM"], "models": [LLAMA_8B],
              "constraints": {"models_required": True}}
    shared = _plan(catalog, engine, shared_prefix_tokens=4000, **fields)
    assert shared.traffic.prompt_tokens.mean == pytest.approx(4500)
    assert shared.plans
    for plan in shared.plans:
        assert any("served from the prefix cache: 4,000 tokens" in line
                   for line in plan.rationale)
        assert any(line.startswith("KV cache with the shared prefix held once")
                   for line in plan.rationale)
    # The same prompts computed in full, as 4,500-token prompts with nothing shared.
    full = _plan(catalog, engine, **{**fields, "prompt_tokens": 4500})
    in_full = {(p.precision, p.tp): p.predicted.max_rps_per_replica for p in full.plans}
    cached = {(p.precision, p.tp): p.predicted.max_rps_per_replica for p in shared.plans}
    common = set(in_full) & set(cached)
    assert common
    assert all((cached[k] or 0) > 1.5 * (in_full[k] or 0) for k in common)


def test_many_system_prompts_are_planned_with_the_share_that_finds_theirs(
    catalog: Catalog, engine: CalibratedEngine
) -> None:
    """The same 4,000-token prompts spread over 5,000 system prompts: few are found cached, so
    a replica carries fewer requests than with one, and each plan says how many hit."""
    fields = {"peak_qps": 10, "prompt_tokens": 500, "gpus": ["H100-SXM"], "models": [LLAMA_8B],
              "constraints": {"models_required": True}, "shared_prefix_tokens": 4000}
    one = _plan(catalog, engine, **fields)
    many = _plan(catalog, engine, prefix_count=5000, **fields)
    assert many.traffic.prefix_count == 5000 and many.plans
    for plan in many.plans:
        assert any(re.search(r"5,000 distinct prefixes .* by \d+% of its requests", line)
                   for line in plan.rationale)
    single = {(p.precision, p.tp): p.predicted.max_rps_per_replica for p in one.plans}
    spread = {(p.precision, p.tp): p.predicted.max_rps_per_replica for p in many.plans}
    common = set(single) & set(spread)
    assert common
    assert all((spread[k] or 0) < (single[k] or 0) for k in common)
