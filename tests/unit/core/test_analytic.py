"""The analytic mode: behaviour, and agreement with the simulation."""

from __future__ import annotations

import pytest
from stepmodels import SHAPES, LinearStep

from predeploy.core.analytic import analyze, running_limit, saturation_rps
from predeploy.core.batching import SchedulerConfig
from predeploy.core.lengths import LengthStats
from predeploy.core.simulator import simulate
from predeploy.core.types import LoadSpec, TokenDistribution

CHAT = (
    TokenDistribution(kind="lognormal", mean=400, stdev=300, max=4000),
    TokenDistribution(kind="lognormal", mean=250, stdev=150, max=2000),
)
FIXED = (TokenDistribution.fixed(512), TokenDistribution.fixed(256))


def test_saturation_grows_with_a_faster_engine_and_more_kv() -> None:
    step, cfg = SHAPES["small-on-small"]
    base = saturation_rps(step, cfg, *CHAT)
    roomy = cfg.model_copy(update={"kv_capacity_tokens": cfg.kv_capacity_tokens * 4})
    assert saturation_rps(step, roomy, *CHAT) > base
    fast = step.__class__(**{**step.__dict__, "bandwidth_bytes_per_s": 3e12})
    assert saturation_rps(fast, cfg, *CHAT) > base


def test_running_limit_names_the_binding_constraint() -> None:
    _, cfg = SHAPES["small-on-small"]
    limit = running_limit(cfg, LengthStats.of(*FIXED, cfg.max_model_len))
    assert limit.kv_bound and limit.value == pytest.approx(30_000 / (512 + 128 + 8), rel=0.02)
    _, big = SHAPES["small-on-big"]
    assert not running_limit(big, LengthStats.of(*FIXED, big.max_model_len)).kv_bound


def test_latency_rises_with_load_and_saturation_is_flagged() -> None:
    step, cfg = SHAPES["large-on-big"]
    sat = saturation_rps(step, cfg, *CHAT)
    results = [
        analyze(step, cfg, LoadSpec(kind="poisson", rate_rps=f * sat), *CHAT)
        for f in (0.2, 0.5, 0.8, 1.2)
    ]
    e2e = [r.e2e_ms.p50 for r in results]
    assert e2e == sorted(e2e)
    assert [r.stable for r in results] == [True, True, True, False]
    assert results[-1].requests_per_s == pytest.approx(sat)
    assert results[0].saturation_rps == pytest.approx(sat)


def test_every_load_kind_is_supported() -> None:
    step, cfg = SHAPES["small-on-big"]
    for load in (
        LoadSpec(kind="poisson", rate_rps=5.0),
        LoadSpec(kind="gamma", rate_rps=5.0, cv=2.0),
        LoadSpec(kind="concurrency", concurrency=32),
        LoadSpec(kind="burst", num_prompts=100),
        LoadSpec(kind="static_batch", batch_size=8),
        LoadSpec(kind="max_throughput"),
    ):
        result = analyze(step, cfg, load, *CHAT)
        assert result.ttft_ms.p50 is not None and result.e2e_ms.p50 is not None
        assert result.requests_per_s > 0


def test_burstier_arrivals_wait_longer() -> None:
    step, cfg = SHAPES["small-on-small"]
    rate = 0.9 * saturation_rps(step, cfg, *CHAT)
    poisson = analyze(step, cfg, LoadSpec(kind="poisson", rate_rps=rate), *CHAT)
    bursty = analyze(step, cfg, LoadSpec(kind="gamma", rate_rps=rate, cv=4.0), *CHAT)
    assert bursty.ttft_ms.p99 is not None and poisson.ttft_ms.p99 is not None
    assert bursty.ttft_ms.p99 >= poisson.ttft_ms.p99


def test_static_batch_matches_simulation() -> None:
    step, cfg = SHAPES["small-on-big"]
    load = LoadSpec(kind="static_batch", batch_size=32)
    a = analyze(step, cfg, load, *FIXED)
    s = simulate(step, cfg, load, *FIXED, 1, 0)
    assert a.e2e_ms.p50 == pytest.approx(s.e2e_ms.p50, rel=0.05)
    assert a.ttft_ms.p50 == pytest.approx(s.ttft_ms.p50, rel=0.05)


def test_closed_loop_matches_simulation_throughput() -> None:
    step, cfg = SHAPES["large-on-big"]
    load = LoadSpec(kind="concurrency", concurrency=64)
    a = analyze(step, cfg, load, *CHAT)
    s = simulate(step, cfg, load, *CHAT, 3000, 0, warmup_fraction=0.1)
    assert a.requests_per_s == pytest.approx(s.requests_per_s, rel=0.1)
    assert a.tpot_ms.p50 == pytest.approx(s.tpot_ms.p50, rel=0.1)


def test_linear_step_model_low_load() -> None:
    cfg = SchedulerConfig(
        max_num_seqs=64, max_num_batched_tokens=2048, kv_capacity_tokens=200_000,
        max_model_len=4096,
    )
    step = LinearStep()
    load = LoadSpec(kind="poisson", rate_rps=1.0)
    a = analyze(step, cfg, load, *FIXED)
    s = simulate(step, cfg, load, *FIXED, 1500, 0, warmup_fraction=0.1)
    assert a.ttft_ms.p50 == pytest.approx(s.ttft_ms.p50, rel=0.1)
    assert a.itl_ms.p50 == pytest.approx(s.itl_ms.p50, rel=0.1)
    assert a.e2e_ms.p50 == pytest.approx(s.e2e_ms.p50, rel=0.1)
