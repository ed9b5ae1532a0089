"""The batch a decoding request of an open loop runs in (fluid_steady.seen_batch)."""

from __future__ import annotations

import numpy as np
from tests.perf_fixtures import llama_8b_h100_lognormal

from predeploy.core.efficiency import ParameterSet
from predeploy.core.fluid_steady import FluidInputs, max_batch, seen_batch
from predeploy.core.perf import predict
from predeploy.core.types import LoadSpec, ServingScenario
from predeploy.core.workload import EfficiencyArrays, prepare, stack

PARAMS = ParameterSet()


def _scenario(load: LoadSpec, prompt: int = 30000) -> ServingScenario:
    return llama_8b_h100_lognormal(load, prompt)


def _inputs(load: LoadSpec) -> FluidInputs:
    sc = _scenario(load)
    eff, _ = PARAMS.for_gpu(sc.gpu, sc.engine)
    return stack([prepare(sc)], EfficiencyArrays.from_params([eff]))


def test_a_lone_decoding_request_reads_its_own_context() -> None:
    inp = _inputs(LoadSpec(kind="poisson", rate_rps=0.01))
    assert float(seen_batch(inp, np.array([0.0]))[0]) == 1.0
    # Poisson arrivals (M/G/∞): the size-biased batch is 1 + B.
    assert float(seen_batch(inp, np.array([0.3]))[0]) == 1.3


def test_bursty_arrivals_meet_more_others_and_fixed_populations_meet_none() -> None:
    poisson = seen_batch(_inputs(LoadSpec(kind="poisson", rate_rps=0.1)), np.array([0.5, 3.0]))
    gamma = seen_batch(
        _inputs(LoadSpec(kind="gamma", rate_rps=0.1, cv=1.5)), np.array([0.5, 3.0])
    )
    assert np.all(gamma > poisson)
    # The excess grows with the window (more of the renewal excess is reached).
    assert gamma[1] - poisson[1] > gamma[0] - poisson[0]
    closed = seen_batch(_inputs(LoadSpec(kind="concurrency", concurrency=4)), np.array([4.0]))
    assert float(closed[0]) == 4.0


def test_the_seen_batch_never_exceeds_what_the_engine_runs() -> None:
    inp = _inputs(LoadSpec(kind="gamma", rate_rps=0.1, cv=2.0))
    cap = max_batch(inp)
    assert float(seen_batch(inp, cap)[0]) == float(cap[0])


def test_low_load_tpot_prices_the_request_s_own_context() -> None:
    """Llama-8B on H100 with 30k-token prompts at 0.01 req/s: the decode step reads ~30k
    tokens of KV (its own context), not B × 30k with B ≪ 1."""
    low = predict(_scenario(LoadSpec(kind="poisson", rate_rps=0.01)), PARAMS)
    short = predict(_scenario(LoadSpec(kind="poisson", rate_rps=0.01), prompt=300), PARAMS)
    assert low.metrics.tpot_ms.p50 > 1.1 * short.metrics.tpot_ms.p50


def test_clustered_arrivals_wait_behind_their_predecessor_s_prefill() -> None:
    """Gamma arrivals (CV 1.5) at light load: a request often arrives while the previous
    prompt is still in prefill, so the TTFT median rises above Poisson's; smoother-than-Poisson
    arrivals add nothing."""
    rate = 0.05
    poisson = predict(_scenario(LoadSpec(kind="poisson", rate_rps=rate)), PARAMS)
    bursty = predict(_scenario(LoadSpec(kind="gamma", rate_rps=rate, cv=1.5)), PARAMS)
    smooth = predict(_scenario(LoadSpec(kind="gamma", rate_rps=rate, cv=0.5)), PARAMS)
    assert bursty.metrics.ttft_ms.p50 > 1.05 * poisson.metrics.ttft_ms.p50
    assert smooth.metrics.ttft_ms.p50 <= poisson.metrics.ttft_ms.p50 + 1e-9
