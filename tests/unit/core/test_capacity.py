"""Replica sizing: the smallest count meeting the SLOs, found in batched rounds."""

from __future__ import annotations

import pytest
from tests.planning_facts import H100, L4, LLAMA_8B, LLAMA_70B, ToyEngine, chat_template

from predeploy.core.capacity import Configuration, Evaluator, Sizing, SizingShortfall, Workload
from predeploy.core.recommend import ModelCandidate
from predeploy.core.traffic import plan_traffic
from predeploy.core.types import (
    DeploymentIntent,
    PlannerOptions,
    Precision,
    Routing,
    SLOTargets,
)


def _setup(rate: float, slo: dict[str, object], headroom: float = 0.1):  # type: ignore[no-untyped-def]
    intent = DeploymentIntent(use_case="chatbot", peak_qps=rate, qps=rate)
    traffic = plan_traffic(intent, chat_template())
    workload = Workload(traffic, SLOTargets.model_validate(slo), headroom, rate, 2304)
    engine = ToyEngine()
    return engine, Evaluator(engine, workload, PlannerOptions(num_requests=200))


def _config(engine: ToyEngine, model=LLAMA_70B, gpu=H100, tp=2) -> Configuration:  # type: ignore[no-untyped-def]
    memory = engine.fit_memory(model, gpu, Precision.BF16, tp, 2304)
    vllm = engine.vllm_settings(model, gpu, Precision.BF16, tp, memory, 2304)
    return Configuration(ModelCandidate(model, None, None, False), gpu, Precision.BF16, tp,
                         memory, vllm)


@pytest.mark.parametrize("rate", [0.5, 3.0, 17.0, 60.0])
def test_sizing_finds_the_smallest_replica_count(rate: float) -> None:
    engine, evaluator = _setup(rate, {"ttft_ms": {"p90": 500}, "itl_ms": {"p90": 100}})
    config = _config(engine)
    (screen,) = evaluator.screen_many([config])
    sized = evaluator.size(config, screen, rate, limit=1000)
    assert isinstance(sized, Sizing)
    n = sized.replicas
    assert evaluator.evaluate(config, n, rate, "analytic").ok
    if n > 1:
        below = evaluator.evaluate(config, n - 1, rate, "analytic")
        assert not below.ok or below.per_replica_rps > screen.saturation_rps * 0.9
    assert rate / n <= screen.saturation_rps * 0.9 + 1e-9


def test_batched_sizing_matches_one_at_a_time() -> None:
    engine, evaluator = _setup(25.0, {"ttft_ms": {"p90": 400}})
    configs = [_config(engine), _config(engine, tp=4), _config(engine, LLAMA_8B, H100, 1)]
    screens = evaluator.screen_many(configs)
    pairs = list(zip(configs, screens, strict=True))
    together = evaluator.size_many([(c, s, 1000) for c, s in pairs], 25.0)
    alone = [evaluator.size(c, s, 25.0, 1000) for c, s in pairs]
    assert all(isinstance(r, Sizing) for r in together + alone)
    assert [r.replicas for r in together] == [r.replicas for r in alone]  # type: ignore[union-attr]


def test_limits_and_idle_floors() -> None:
    engine, evaluator = _setup(60.0, {"ttft_ms": {"p90": 500}, "itl_ms": {"p90": 100}})
    config = _config(engine)
    (screen,) = evaluator.screen_many([config])
    short = evaluator.size(config, screen, 60.0, limit=1)
    assert isinstance(short, SizingShortfall) and short.needed_at_least > 1
    engine, evaluator = _setup(1.0, {"itl_ms": {"p90": 5}})
    slow = _config(engine, LLAMA_8B, L4, 1)
    (screen,) = evaluator.screen_many([slow])
    assert screen.floor.missed  # no replica count can fix an idle miss
    assert screen.floor.per_replica_rps <= 0.02 * screen.saturation_rps + 1e-12


def test_one_simulation_per_distinct_scenario() -> None:
    engine, evaluator = _setup(4.0, {"ttft_ms": {"p90": 2000}})
    config = _config(engine)
    twin = Configuration(
        ModelCandidate(LLAMA_70B.model_copy(update={"id": "someone/llama-70b-distill"}), None,
                       None, False),
        config.gpu, config.precision, config.tp, config.memory, config.vllm,
    )
    first = evaluator.evaluate(config, 2, 4.0, "simulate")
    again = evaluator.evaluate(config, 2, 4.0, "simulate")
    same_shape = evaluator.evaluate(twin, 2, 4.0, "simulate")
    assert evaluator.simulations == 1
    assert first.prediction == again.prediction == same_shape.prediction
    evaluator.evaluate(config, 3, 4.0, "simulate")
    assert evaluator.simulations == 2


def test_verification_stops_growing_when_replicas_cannot_fix_the_miss() -> None:
    """A simulation 25 % slower than the analytic mode at light load: the miss is one
    request's own latency, so after one growth step that barely helps, verification gives up."""
    probe_engine, probe = _setup(0.05, {"ttft_ms": {"p90": 10_000}})
    light = probe.evaluate(_config(probe_engine), 4, 0.05, "analytic")
    target = (light.prediction.metrics.ttft_ms.p90 or 0.0) / 0.85
    engine = ToyEngine(sim_slowdown=1.25)
    intent = DeploymentIntent(use_case="chatbot", peak_qps=0.05, qps=0.05)
    workload = Workload(plan_traffic(intent, chat_template()),
                        SLOTargets.model_validate({"ttft_ms": {"p90": target}}), 0.1, 0.05, 2304)
    evaluator = Evaluator(engine, workload, PlannerOptions(num_requests=200))
    config = _config(engine)
    analytic = evaluator.evaluate(config, 4, 0.05, "analytic")
    assert analytic.ok
    outcome = evaluator.verify(config, Sizing(analytic, "test"), 0.05, limit=100)
    assert isinstance(outcome, SizingShortfall)
    assert "more replicas barely help" in outcome.detail
    assert engine.calls.count("simulate") == 2  # the first check and one growth step


def test_a_replica_its_api_server_saturates_says_so() -> None:
    # Short answers at a high rate: the API server's time per request, not the GPU, sets
    # a replica's saturation, and the replica count's reason names it.
    rate, slo = 2.0, {"ttft_ms": {"p90": 60_000}}
    engine, evaluator = _setup(rate, slo)
    engine.api_server_rps = 0.2  # the toy replica's GPU saturates at about 0.4 req/s
    config = _config(engine)
    (screen,) = evaluator.screen_many([config])
    assert screen.saturation_rps == pytest.approx(0.2)
    sized = evaluator.size(config, screen, rate, limit=1000)
    assert isinstance(sized, Sizing)
    assert "the API server's fitted time per request sets that saturation" in sized.reason
    # A GPU-bound replica's reason does not.
    gpu_bound, evaluator = _setup(rate, slo)
    config = _config(gpu_bound)
    (screen,) = evaluator.screen_many([config])
    sized = evaluator.size(config, screen, rate, limit=1000)
    assert isinstance(sized, Sizing) and "API server" not in sized.reason


def test_a_plan_prices_the_checkpoint_it_serves() -> None:
    # A 16-bit checkpoint served in FP8 is quantized as vLLM loads it (--quantization fp8):
    # per-tensor scales, whatever the model's own FP8 release does; natively FP8 weights keep
    # their blocks.
    engine, evaluator = _setup(4.0, {"ttft_ms": {"p90": 2000}})
    blocked = LLAMA_8B.architecture.model_copy(update={"fp8_weight_block": 128})
    for native, served_block in ((Precision.BF16, None), (Precision.FP8, 128)):
        arch = blocked.model_copy(update={"native_precision": native})
        card = LLAMA_8B.model_copy(update={"architecture": arch})
        memory = engine.fit_memory(card, H100, Precision.FP8, 1, 2304)
        vllm = engine.vllm_settings(card, H100, Precision.FP8, 1, memory, 2304)
        config = Configuration(
            ModelCandidate(card, None, None, False), H100, Precision.FP8, 1, memory, vllm
        )
        assert evaluator.scenario(config, 1.0).model.fp8_weight_block == served_block


def test_the_scenarios_carry_the_traffics_shared_prefix() -> None:
    intent = DeploymentIntent(
        use_case="chatbot", qps=2.0, peak_qps=2.0, shared_prefix_tokens=300, prefix_count=12,
        prefix_popularity=1.0,
    )
    traffic = plan_traffic(intent, chat_template())
    workload = Workload(traffic, SLOTargets(), 0.1, 2.0, 2304)
    engine = ToyEngine()
    evaluator = Evaluator(engine, workload, PlannerOptions(num_requests=200))
    scenario = evaluator.scenario(_config(engine), 2.0)
    assert (scenario.shared_prefix_tokens, scenario.prefix_count) == (300, 12)
    assert scenario.prefix_popularity == 1.0
    assert scenario.prompt_tokens.mean == traffic.prompt_tokens.mean
    turns = DeploymentIntent(use_case="chatbot", qps=2.0, peak_qps=2.0, conversation_turns=4)
    chat = Workload(plan_traffic(turns, chat_template()), SLOTargets(), 0.1, 2.0, 8192)
    evaluator = Evaluator(engine, chat, PlannerOptions(num_requests=200))
    history = evaluator.scenario(_config(engine), 2.0).history_tokens
    assert history == chat.traffic.history_tokens > 0


def test_each_replicas_scenario_knows_the_router_and_how_many_it_routes_over() -> None:
    turns = DeploymentIntent(use_case="chatbot", qps=2.0, peak_qps=2.0, conversation_turns=4)
    chat = Workload(plan_traffic(turns, chat_template()), SLOTargets(), 0.1, 2.0, 8192)
    engine = ToyEngine()
    for routing in Routing:
        options = PlannerOptions(num_requests=200, routing=routing)
        evaluator = Evaluator(engine, chat, options)
        first = evaluator.scenario(_config(engine), 2.0)
        config = _config(engine)
        one_of_three = evaluator.scenario(config, 0.5, 3)
        again = evaluator.scenario(config, 0.5, 5)
        assert first.routing == one_of_three.routing == routing
        assert (first.router_replicas, one_of_three.router_replicas) == (1, 3)
        assert (again.replicas, again.router_replicas) == (1, 5)
        assert first.conversation_turns == chat.traffic.conversation_turns == 4
    paused = DeploymentIntent(
        use_case="chatbot", qps=2.0, peak_qps=2.0, conversation_turns=4, think_time_s=45.0
    )
    workload = Workload(plan_traffic(paused, chat_template()), SLOTargets(), 0.1, 2.0, 8192)
    scenario = Evaluator(engine, workload, PlannerOptions(num_requests=200)).scenario(
        _config(engine), 2.0
    )
    assert scenario.think_time_s == 45.0
