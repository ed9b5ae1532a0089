"""``core.fluid_load``: a closed loop's wait for a running slot, in steady state and early in a
finite run whose KV cache sets the running batch; the first wave SGLang's admission lets in."""

from __future__ import annotations

import numpy as np
import pytest
from tests.perf_fixtures import l4, llama_8b, simulated_run

from predeploy.core.efficiency import ParameterSet
from predeploy.core.fluid_load import (
    OperatingPoint,
    closed_loop_slot_wait_s,
    operating_point,
)
from predeploy.core.fluid_steady import FluidInputs, slot_batch_limit
from predeploy.core.new_token_ratio import INIT_NEW_TOKEN_RATIO
from predeploy.core.perf import predict
from predeploy.core.types import (
    Engine,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.workload import EfficiencyArrays, prepare, stack

PARAMS = ParameterSet()


def _chat_on_l4(
    clients: int, num_prompts: int | None, engine: Engine = Engine.VLLM, *, burst: bool = False
) -> ServingScenario:
    """Llama 3.1 8B in FP8 on one L4, ShareGPT-like lengths (225/205 tokens, CV 1.2/2): a
    closed loop of ``clients``, or a burst of ``num_prompts``."""
    return ServingScenario(
        model_id="test/model",
        model=llama_8b(),
        gpu=l4(),
        precision=Precision.FP8,
        engine=engine,
        prompt_tokens=TokenDistribution(kind="lognormal", mean=225, stdev=270),
        output_tokens=TokenDistribution(kind="lognormal", mean=205, stdev=410),
        load=LoadSpec(kind="burst", num_prompts=num_prompts)
        if burst
        else LoadSpec(kind="concurrency", concurrency=clients, num_prompts=num_prompts),
    )


def _operating_point(scenario: ServingScenario) -> tuple[FluidInputs, OperatingPoint]:
    eff, _ = PARAMS.for_gpu(scenario.gpu, scenario.engine)
    inp = stack([prepare(scenario)], EfficiencyArrays.from_params([eff]))
    return inp, operating_point(inp)


def _index(op: OperatingPoint) -> np.ndarray:
    return np.arange(0.0, float(op.num_prompts[0]), 50.0)[None, :]


def test_an_open_ended_closed_loop_queues_its_clients_beyond_the_batch() -> None:
    inp, op = _operating_point(_chat_on_l4(512, None))
    assert float(op.concurrency[0]) > float(op.max_batch[0])
    steady = (op.concurrency - op.max_batch) / op.saturation_rps
    got = closed_loop_slot_wait_s(inp, op, _index(op))
    assert np.allclose(got, steady[0])


def test_a_finite_runs_cache_fills_as_its_answers_grow() -> None:
    """Early in a run no answer has grown long: more requests fit, fewer wait; 2,000 requests
    of ShareGPT-like answers (CV 2) end before the steady batch (0.4 of its wait)."""
    inp, op = _operating_point(_chat_on_l4(256, 2000))
    steady = float(((op.concurrency - op.max_batch) / op.saturation_rps)[0])
    got = closed_loop_slot_wait_s(inp, op, _index(op))[0]
    assert got[0] == 0.0
    assert np.all(np.diff(got) >= 0.0)
    assert 0.3 * steady < got[-1] < 0.5 * steady


def test_an_engine_that_reserves_whole_contexts_waits_as_in_steady_state() -> None:
    inp, op = _operating_point(_chat_on_l4(256, 2000, Engine.TRTLLM))
    assert float(op.concurrency[0]) > float(op.max_batch[0])
    assert not op.fills_cache[0]
    assert op.closed_wave[0] == op.max_batch[0]
    steady = (op.concurrency - op.max_batch) / op.saturation_rps
    assert np.allclose(closed_loop_slot_wait_s(inp, op, _index(op)), steady[0])


def test_a_finite_kv_bound_closed_loops_ttft_nears_the_simulated() -> None:
    """The simulation's 2,000 requests of 256 clients start all 256 at once (their prompts
    alone fill a fifth of the cache) and run fewer as the long answers grow; every request
    waiting for the steady batch had given 3.9x its mean TTFT. Its late requests wait longer
    still (p90 1.6x the analytic): late in the run it keeps the old, long answers, preempting
    the newest, and its batch sinks below the steady one."""
    scenario = _chat_on_l4(256, 2000)
    analytic = predict(scenario, PARAMS).metrics.ttft_ms
    simulated = predict(scenario, PARAMS, mode="simulate", num_requests=2000).metrics.ttft_ms
    _, op = _operating_point(scenario)
    steady_ms = float(((op.concurrency - op.max_batch) / op.saturation_rps)[0]) * 1e3
    assert float(op.closed_wave[0]) == 256.0
    assert analytic.mean == pytest.approx(simulated.mean, rel=0.25)
    assert analytic.p50 < 1.5 * simulated.p50
    assert analytic.p90 < simulated.p90 < steady_ms


def test_an_sglang_bursts_first_wave_counts_the_answers_at_its_ratio() -> None:
    """SGLang admits a waiting prompt while the running requests' answers, counted at its
    ``new_token_ratio`` (0.7 at first), leave room: 1,000 chat prompts on an L4 start 257 in
    the simulation before its first decode step, where whole answers held would let in 214."""
    scenario = _chat_on_l4(0, 1000, Engine.SGLANG, burst=True)
    inp, op = _operating_point(scenario)
    held_whole = float(slot_batch_limit(inp)[0])
    prompt, answer = float(inp.prompt_tokens[0]), float(inp.output_tokens[0])
    last_batch = float(inp.max_num_batched_tokens[0]) / prompt
    by_ratio = (
        float(inp.kv_capacity_tokens[0]) - last_batch * (1 - INIT_NEW_TOKEN_RATIO) * answer
    ) / (prompt + INIT_NEW_TOKEN_RATIO * answer)
    assert float(op.burst_wave[0]) == np.floor(by_ratio)
    trace = simulated_run(scenario, PARAMS, seed=1)
    first_decode = int(np.flatnonzero(trace.step_prefill_tokens == 0)[0])
    admitted = float(trace.step_running[first_decode])
    assert float(op.burst_wave[0]) == pytest.approx(admitted, rel=0.06)
    assert held_whole < 0.9 * admitted


def test_an_sglang_bursts_later_requests_wait_for_the_batch_its_cache_keeps() -> None:
    """The first wave's answers grow and its ratio falls: SGLang's batch settles where the
    whole answers fit, so after the first generation of replacements the later prompts of
    the L4 burst (five waves) start as slots of that batch free. Renewed at the first wave's
    size throughout, the analytic TTFT median ran 21 % ahead of the simulated."""
    scenario = _chat_on_l4(0, 1000, Engine.SGLANG, burst=True)
    analytic = predict(scenario, PARAMS).metrics.ttft_ms
    simulated = predict(scenario, PARAMS, mode="simulate", seed=1).metrics.ttft_ms
    assert analytic.p50 == pytest.approx(simulated.p50, rel=0.1)
    assert analytic.mean == pytest.approx(simulated.mean, rel=0.1)
