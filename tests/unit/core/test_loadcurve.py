"""A plan's latency-vs-load curve: analytic points up to saturation, simulated checks."""

from __future__ import annotations

import itertools

import pytest
from tests.perf_fixtures import h100, llama_8b

from predeploy.core.efficiency import ParameterSet
from predeploy.core.loadcurve import CURVE_UTILIZATIONS, SIMULATED_UTILIZATIONS, load_curve
from predeploy.core.perf_engine import CalibratedEngine
from predeploy.core.sizing import Workload
from predeploy.core.types import (
    LoadSpec,
    Precision,
    ServingScenario,
    SLOTargets,
    TokenDistribution,
    TrafficProfile,
)

TRAFFIC = TrafficProfile(
    prompt_tokens=TokenDistribution(kind="lognormal", mean=800, stdev=400, max=6000),
    output_tokens=TokenDistribution(kind="lognormal", mean=200, stdev=100, max=1500),
    avg_requests_per_s=3.0,
    peak_requests_per_s=6.0,
    burstiness_cv=1.5,
)
SLO = SLOTargets.model_validate({"ttft_ms": {"p90": 500}, "e2e_ms": {"p99": 20_000}})


def _curve(replicas: int = 2):  # type: ignore[no-untyped-def]
    workload = Workload(TRAFFIC, SLO, 0.1, TRAFFIC.peak_requests_per_s, 8192)
    scenario = ServingScenario(
        model_id="test/llama-8b",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        tp=1,
        prompt_tokens=TRAFFIC.prompt_tokens,
        output_tokens=TRAFFIC.output_tokens,
        load=LoadSpec(kind="poisson", rate_rps=1.0),
    )
    engine = CalibratedEngine(ParameterSet())
    return load_curve(
        scenario, replicas, workload, engine, label="Llama 8B on 1x H100", seed=0, num_requests=300
    )


def test_the_curve_rises_with_load_up_to_saturation() -> None:
    curve = _curve()
    rates = [p.requests_per_s for p in curve.points]
    assert rates == sorted(rates)
    assert len(curve.points) == len(CURVE_UTILIZATIONS) + 1  # the peak is a point too
    assert max(p.utilization for p in curve.points) < 1.0
    assert all(p.method == "analytic" for p in curve.points)
    ttft = [p.ttft_ms.p90 or 0.0 for p in curve.points]
    e2e = [p.e2e_ms.p50 or 0.0 for p in curve.points]
    assert all(b >= a * (1 - 1e-9) for a, b in itertools.pairwise(ttft))
    assert all(b >= a * (1 - 1e-9) for a, b in itertools.pairwise(e2e))
    assert curve.peak_requests_per_s == TRAFFIC.peak_requests_per_s


def test_simulated_points_include_the_peak_and_the_limit_is_consistent() -> None:
    curve = _curve()
    sim_rates = [p.requests_per_s for p in curve.simulated]
    assert len(curve.simulated) == len(SIMULATED_UTILIZATIONS) + 1
    assert any(r == pytest.approx(curve.peak_requests_per_s) for r in sim_rates)
    assert all(p.method == "simulation" for p in curve.simulated)
    limit = curve.max_requests_per_s_meeting_slo
    assert limit is not None and limit < curve.saturation_requests_per_s
    for p in curve.points:
        if p.requests_per_s > limit:
            assert not p.meets_slo


def test_replicas_multiply_the_rates() -> None:
    one, two = _curve(1), _curve(2)
    # Each replica's share of the traffic is burstier (its arrival CV is the traffic's spread
    # over fewer requests), which moves what a decoding request sees at saturation a little.
    assert two.saturation_requests_per_s == pytest.approx(
        2 * one.saturation_requests_per_s, rel=1e-3
    )
    with pytest.raises(ValueError, match="replicas"):
        _curve(0)
