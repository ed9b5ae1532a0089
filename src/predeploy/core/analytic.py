"""Fast analytic mode: saturation and latency percentiles without simulating requests.

For the planner's screening of many candidates: the same inputs as
:func:`~predeploy.core.simulator.simulate`, an answer from a few dozen step-model evaluations.
The parts: the running-request limit and the saturation point
(:mod:`~predeploy.core.saturation`), the step mix at an operating point
(:mod:`~predeploy.core.stepmix`), the batch-size distribution
(:mod:`~predeploy.core.occupancy`), and per load kind :mod:`~predeploy.core.openloop` and
:mod:`~predeploy.core.fixedloads`. Agreement with the simulation is checked over a grid of
step models, length mixes and loads (tests/unit/core/test_analytic_agreement.py).
"""

from __future__ import annotations

from predeploy.core.arrivals import (
    BurstArrivals,
    ConcurrencyArrivals,
    GammaArrivals,
    MaxThroughputArrivals,
    PoissonArrivals,
    StaticBatchArrivals,
    arrival_process,
)
from predeploy.core.batching import SchedulerConfig, StepCostModel
from predeploy.core.fixedloads import all_at_once, closed_loop, static_batch
from predeploy.core.metrics import AnalyticResult
from predeploy.core.openloop import open_loop
from predeploy.core.saturation import LoadContext, RunningLimit, running_limit
from predeploy.core.types import LoadSpec, TokenDistribution

__all__ = ["RunningLimit", "analyze", "running_limit", "saturation_rps"]


def saturation_rps(
    step: StepCostModel,
    scheduler: SchedulerConfig,
    prompt_tokens: TokenDistribution,
    output_tokens: TokenDistribution,
) -> float:
    """Highest sustainable request rate of one replica, req/s: N_max / (o·τ̄).

    (:mod:`~predeploy.core.saturation`.) Arrivals spread over time, as an open-loop load at
    that rate sees them; :func:`analyze` with a ``max_throughput`` load gives the rate when
    everything is queued at once (lower for identical requests, admitted in waves).
    """
    return LoadContext.build(step, scheduler, prompt_tokens, output_tokens).sat_rate


def analyze(
    step: StepCostModel,
    scheduler: SchedulerConfig,
    load: LoadSpec,
    prompt_tokens: TokenDistribution,
    output_tokens: TokenDistribution,
    *,
    num_requests: int = 1000,
) -> AnalyticResult:
    """Estimate what :func:`~predeploy.core.simulator.simulate` reports, analytically.

    ``num_requests`` sizes runs whose latencies grow with their length: ``max_throughput``
    (the queue drains at the saturation rate) and open-loop loads above saturation.
    """
    ctx = LoadContext.build(step, scheduler, prompt_tokens, output_tokens)
    process = arrival_process(load)
    if isinstance(process, PoissonArrivals):
        return open_loop(ctx, process.rate_rps, 1.0, num_requests)
    if isinstance(process, GammaArrivals):
        return open_loop(ctx, process.rate_rps, process.cv, num_requests)
    if isinstance(process, ConcurrencyArrivals):
        return closed_loop(ctx, process.concurrency)
    if isinstance(process, StaticBatchArrivals):
        return static_batch(ctx, process.batch_size)
    if isinstance(process, BurstArrivals | MaxThroughputArrivals):
        return all_at_once(ctx, process.request_count(num_requests))
    raise ValueError(f"the analytic mode does not support load kind {load.kind!r}")
