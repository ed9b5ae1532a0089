"""Latency against load for one plan: how much headroom it has, and where it breaks.

The plan's replica is predicted by the analytic mode at :data:`CURVE_UTILIZATIONS` of its
saturation rate (one vectorised engine call) plus the plan's own peak, and simulated at
:data:`SIMULATED_UTILIZATIONS` and the peak, so the curve shows both the fast estimate and the
simulation the plan was verified with. The router spreads requests evenly, so the deployment's
rate is ``replicas ×`` the replica's.
"""

from __future__ import annotations

import math
from typing import Literal

from predeploy.core.sizing import PerformanceEngine, Workload
from predeploy.core.slo_check import check_latency
from predeploy.core.types import (
    LoadCurve,
    LoadPoint,
    PerfPrediction,
    ServingScenario,
    SLOTargets,
)

#: Loads of the analytic curve, as shares of one replica's saturation rate: dense where
#: queueing bends the curve (above ~70 %), stopping just short of saturation where an open
#: queue has no steady state.
CURVE_UTILIZATIONS = (
    0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75,
    0.8, 0.84, 0.88, 0.91, 0.94, 0.96, 0.98,
)
#: Loads simulated besides the plan's peak (shares of saturation).
SIMULATED_UTILIZATIONS = (0.5, 0.9)
#: Simulated requests per point: enough for a stable p99 (≥ 10 requests above it).
CURVE_SIM_REQUESTS = 1000


def load_curve(
    scenario: ServingScenario,
    replicas: int,
    workload: Workload,
    engine: PerformanceEngine,
    *,
    label: str,
    seed: int,
    num_requests: int = CURVE_SIM_REQUESTS,
) -> LoadCurve:
    """The load curve of ``replicas`` copies of ``scenario`` (whose load is replaced) under
    ``workload``'s traffic shape, checked against its SLOs."""
    if replicas < 1:
        raise ValueError(f"replicas must be at least 1, got {replicas}")
    peak_per_replica = workload.sizing_rps / replicas
    idle = _at(scenario, workload, peak_per_replica * 1e-3, replicas)
    saturation = engine.predict_many([idle])[0].saturation_rps
    if saturation is None or not saturation > 0 or not math.isfinite(saturation):
        raise ValueError(f"{label}: the analytic mode gave no saturation rate")
    rates = sorted({*(u * saturation for u in CURVE_UTILIZATIONS), peak_per_replica})
    predictions = engine.predict_many([_at(scenario, workload, r, replicas) for r in rates])
    points = [
        _point(r, p, replicas, saturation, workload.slo, "analytic")
        for r, p in zip(rates, predictions, strict=True)
    ]
    simulated_rates = sorted({*(u * saturation for u in SIMULATED_UTILIZATIONS),
                              peak_per_replica})
    simulated = [
        _point(
            r,
            engine.predict(_at(scenario, workload, r, replicas), "simulate",
                           num_requests=num_requests, seed=seed),
            replicas, saturation, workload.slo, "simulation",
        )
        for r in simulated_rates
    ]
    meeting = [p.requests_per_s for p in points if p.meets_slo]
    return LoadCurve(
        plan=label,
        replicas=replicas,
        peak_requests_per_s=workload.sizing_rps,
        saturation_requests_per_s=saturation * replicas,
        max_requests_per_s_meeting_slo=max(meeting) if meeting else None,
        slo=workload.slo,
        points=tuple(points),
        simulated=tuple(simulated),
    )


def _at(
    scenario: ServingScenario, workload: Workload, rate_rps: float, replicas: int
) -> ServingScenario:
    """One of ``replicas`` replicas at ``rate_rps`` (the traffic's burstiness, and the
    router's choices, spread over them)."""
    load = workload.load(rate_rps, replicas)
    return scenario.model_copy(update={"load": load, "replicas": 1, "routed_replicas": replicas})


def _point(
    rate_rps: float,
    prediction: PerfPrediction,
    replicas: int,
    saturation_rps: float,
    slo: SLOTargets,
    method: Literal["analytic", "simulation"],
) -> LoadPoint:
    metrics = prediction.metrics
    checks = check_latency(metrics, slo)
    return LoadPoint(
        requests_per_s=rate_rps * replicas,
        per_replica_rps=rate_rps,
        utilization=rate_rps / saturation_rps,
        ttft_ms=metrics.ttft_ms,
        itl_ms=metrics.itl_ms,
        e2e_ms=metrics.e2e_ms,
        meets_slo=all(c.met for c in checks.values()),
        method=method,
    )
