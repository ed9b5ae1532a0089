"""The performance engine's façade: one scenario in, predicted metrics with provenance out.

``predict(scenario, params, mode=...)``:

* ``analytic`` — the closed-form fluid model (``core.fluid``), well under a millisecond;
* ``simulate`` — the discrete-event simulator (``core.simulator``) driven by the same step
  cost model and memory fit.

Either way the step time is the calibrated roofline (``core.latency``), the KV capacity comes
from ``core.memory``, and the result says which parameters it rests on. Physical caps are
enforced: no predicted decode rate beats reading the weights and KV cache at peak bandwidth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from predeploy.core.batching import SchedulerConfig
from predeploy.core.efficiency import EfficiencyParams, ParameterChoice, ParameterSet
from predeploy.core.errors import InputError
from predeploy.core.fluid import FluidResult, evaluate
from predeploy.core.fluid_steady import SUSTAINED_LOAD_SHARE, FluidInputs, decode_context
from predeploy.core.latency import RooflineStepCost
from predeploy.core.metrics import streamed_chunk_gaps
from predeploy.core.new_token_ratio import schedule_conservativeness
from predeploy.core.perf_caveats import (
    AT_CAP_SHARE,
    KV_BOUND_SHARE,
    UNSETTLED_CAVEAT,
    alike_closed_loop,
    chains_at_cap_caveats,
    closed_loop_chain_caveats,
    engine_caveats,
    front_end_caveats,
    is_front_end_caveat,
    preemption_caveats,
    prefill_chain_caveats,
    prefix_capacity_caveats,
    retraction_caveats,
    simulation_caveats,
    static_batch_caveats,
)
from predeploy.core.prefix_cache import (
    computed_prompt_tokens,
    history_hit_share,
    prefix_residency,
    prefixes_per_replica,
    routed_history_moments,
    running_with_prefixes,
)
from predeploy.core.roofline import roofline_floor_s
from predeploy.core.simulator import ApiServer, simulate
from predeploy.core.types import (
    LoadSpec,
    Percentiles,
    PerfMetrics,
    PerfPrediction,
    PredictionProvenance,
    SchedulerAssumed,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.types.accuracy import model_kind
from predeploy.core.workload import (
    SERVED_LOADS,
    EfficiencyArrays,
    PreparedScenario,
    default_vllm_settings,
    prepare,
    stack,
    with_cache_hits,
)

PredictMode = Literal["analytic", "simulate"]

__all__ = [
    "PredictMode",
    "SingleStreamRates",
    "contract_metrics",
    "default_vllm_settings",
    "load_utilization",
    "predict",
    "predict_many",
    "single_stream_rates",
]

LATENCY_NAMES = ("ttft_ms", "itl_ms", "tpot_ms", "e2e_ms")

#: Loads whose latencies are meaningful to report (offline max-throughput runs are not).
LATENCY_LOADS = frozenset({"poisson", "gamma", "concurrency", "burst", "static_batch"})

#: Open-loop loads: requests arrive at an offered rate, whatever the server does.
OPEN_LOOP_LOADS = frozenset({"poisson", "gamma"})

STATS = ("mean", "p50", "p90", "p95", "p99")


def contract_metrics(
    scenario: ServingScenario,
    prediction: PerfPrediction,
    *,
    single_stream: bool = False,
    ttft_only: bool = False,
) -> dict[str, float]:
    """A prediction in the calibration contract's metric names and units.

    Throughputs always; latency percentiles for loads where they mean something (not offline
    max-throughput runs); single-stream speeds when asked; only TTFT when the output length
    is unknown.
    """
    m = prediction.metrics
    out: dict[str, float] = {}
    if not ttft_only:
        out["output_tokens_per_s"] = m.output_tokens_per_s
        out["total_tokens_per_s"] = m.total_tokens_per_s
        out["requests_per_s"] = m.requests_per_s
    names = ("ttft_ms",) if ttft_only else LATENCY_NAMES
    if scenario.load.kind in LATENCY_LOADS:
        for name in names:
            values = getattr(m, name)
            for stat in STATS:
                value = getattr(values, stat)
                if value is not None:
                    out[f"{name}_{stat}"] = value
    if single_stream and not ttft_only:
        for key in ("decode_tokens_per_s_single_stream", "prefill_tokens_per_s_single_stream"):
            value = getattr(prediction, key)
            if value is not None:
                out[key] = value
    return {k: round(float(v), 6) for k, v in out.items() if math.isfinite(v)}


def _percentiles(columns: dict[str, list[float]], name: str, i: int) -> Percentiles:
    """One scenario's percentiles of ``name`` (``columns``: each metric's values as floats)."""
    p50, p90, p95, p99 = (columns[f"{name}_{stat}"][i] for stat in ("p50", "p90", "p95", "p99"))
    # Guard float noise in monotonicity.
    p90 = max(p90, p50)
    p95 = max(p95, p90)
    return Percentiles(
        mean=max(columns[f"{name}_mean"][i], 0.0),
        p50=max(p50, 0.0),
        p90=p90,
        p95=p95,
        p99=max(p99, p95),
    )


def scheduler_assumed(prepared: PreparedScenario) -> SchedulerAssumed:
    """The scheduler a prediction assumed, as the prepared scenario has it."""
    return SchedulerAssumed(
        max_num_seqs=prepared.settings.max_num_seqs,
        max_num_batched_tokens=prepared.settings.max_num_batched_tokens,
        chunked_prefill=prepared.chunked_prefill,
        separate_prefill_batches=prepared.separate_prefill_batches,
        reserve_full_context=prepared.reserve_full_context,
        overlap_scheduling=prepared.overlap_scheduling,
        scheduler_steps=prepared.scheduler_steps,
    )


def _efficiency(
    params: ParameterSet, scenario: ServingScenario
) -> tuple[EfficiencyParams, ParameterChoice]:
    """The scenario's parameters, with its stated front-end time when it states one."""
    eff, choice = params.for_gpu(scenario.gpu, scenario.engine, scenario.harness)
    if scenario.front_end_s is not None:
        eff = eff.model_copy(update={"request_overhead_s": scenario.front_end_s})
    return eff, choice


def _api_server_rps(
    scenario: ServingScenario, eff: EfficiencyParams, prep: PreparedScenario
) -> float | None:
    """The scenario's API servers' request rate: ``replicas × processes /
    frontend_s_per_request`` (``None`` in process)."""
    if not prep.served or eff.frontend_s_per_request <= 0.0:
        return None
    return scenario.replicas * prep.api_servers / eff.frontend_s_per_request


#: Passes of the fixed point of a conversation's history hit share (and of several shared
#: prefixes'): the share sets how much is computed again, which allocates cache and so
#: shortens how long the free cache keeps a conversation's (a prefix's) blocks. From all
#: hits, the second pass is within 1 % of the fifth on the chat loads of
#: tests/unit/core/test_prefix_cache.py.
CACHE_RESIDENCY_PASSES = 2


def priced_cache(
    scenarios: Sequence[ServingScenario],
    prepared: Sequence[PreparedScenario],
    params: Sequence[EfficiencyParams],
) -> list[PreparedScenario]:
    """``prepared`` with the share of requests that find their conversation's history cached
    (:func:`~predeploy.core.prefix_cache.history_hit_share`), where a scenario states a think
    time, and their shared prefix, where it states several
    (:func:`~predeploy.core.prefix_cache.prefix_residency`, which also says how many are
    held): the free cache, the rate new blocks are allocated at, the request rate and
    its lifetime come from the analytic mode's operating point
    (:data:`CACHE_RESIDENCY_PASSES` evaluations)."""
    rows = [
        i
        for i, (s, p) in enumerate(zip(scenarios, prepared, strict=True))
        if (
            p.history_tokens_cached > 0.0
            and (s.think_time_s is not None or p.history_replicas > 1)
        )
        or (s.prefix_count > 1 and p.prefix_tokens_cached > 0.0)
    ]
    out = list(prepared)
    if not rows:
        return out
    base = [prepared[i] for i in rows]
    current = base
    eff = EfficiencyArrays.from_params([params[i] for i in rows])
    for _ in range(CACHE_RESIDENCY_PASSES):
        result = evaluate(stack(current, eff))
        priced = []
        for j, i in enumerate(rows):
            p, scenario = current[j], scenarios[i]
            total = p.kv_capacity_tokens + p.prefix_held_tokens
            free = (1.0 - float(result.kv_usage[j])) * total
            rate = float(result.metrics["requests_per_s"][j]) / p.replicas
            allocated = rate * (p.prompt_mean + p.output_mean)
            think_s = scenario.think_time_s
            survives = 1.0 if think_s is None else history_hit_share(free, allocated, think_s)
            # Routed at random, a request finds part of its history (its mean and mean square).
            routed, routed_square = routed_history_moments(p.history_replicas, p.history_turns)
            history, history_square = survives * routed, survives * routed_square
            base_p = base[j]
            if scenario.prefix_count == 1 or base_p.prefix_tokens_cached <= 0.0:
                priced.append(with_cache_hits(base_p, history, history_mean_square=history_square))
                continue
            # Each data-parallel attention rank keeps its own copies, holds its share of the
            # running requests and serves its share of the rate.
            ranks = base_p.prefix_held_tokens / base_p.prefix_tokens_cached
            count = prefixes_per_replica(scenario)
            missed = 1.0 - p.prefix_hit_share
            running = min(
                float(result.batch[j]) / ranks,
                running_with_prefixes(
                    base_p.memory.kv_capacity_tokens / ranks,
                    p.prompt_mean + p.held_context_tokens + p.output_mean / 2.0,
                    base_p.prefix_tokens_cached,
                    count,
                    missed,
                    scenario.prefix_popularity,
                ),
            )
            residency = prefix_residency(
                count,
                running,
                rate / (ranks * count),
                free / ranks,
                allocated / ranks,
                missed,
                scenario.prefix_popularity,
            )
            priced.append(
                with_cache_hits(
                    base_p,
                    history,
                    residency.hit_share,
                    residency.prefixes_held_apart,
                    history_square,
                )
            )
        current = priced
    for j, i in enumerate(rows):
        out[i] = current[j]
    return out


def _prefix_capacity(prepared: PreparedScenario) -> tuple[str, ...]:
    """:func:`~predeploy.core.perf_caveats.prefix_capacity_caveats` of a prepared scenario."""
    return prefix_capacity_caveats(
        prepared.prefix_held_tokens,
        prepared.kv_capacity_tokens,
        prepared.own_context_tokens,
        prepared.memory.max_concurrent_seqs,
        prepared.prefixes_held,
    )


def _unmodelled(scenario: ServingScenario) -> tuple[str, ...]:
    return scenario.engine_settings.unmodelled if scenario.engine_settings else ()


#: The metrics no decode step can beat the roofline floor of.
_DECODE_GAP_KEYS = tuple(f"{name}_{stat}" for name in ("tpot_ms", "itl_ms") for stat in STATS)


def _enforce_decode_cap(inp: FluidInputs, result: FluidResult) -> None:
    """Raise TPOT/ITL to the physical floor of the operating batch where they fall below it,
    and cap the output rate at what that floor allows (every scenario at once).

    ``floor = bytes a decode step must read / peak HBM bandwidth``; by construction the step
    model never beats it, this keeps the guarantee explicit for every published number.
    """
    batch = result.batch
    # Each sequence's own context and the cached shared prefix it reads as well.
    context = (
        decode_context(inp.prompt_tokens, inp.output_tokens)
        + inp.cached_prompt_tokens
        + inp.held_context_tokens
    )
    floor_ms = np.asarray(roofline_floor_s(inp.shape, inp.hw, batch, batch * context)) * 1e3
    m = result.metrics
    capped = np.maximum([m[key] for key in _DECODE_GAP_KEYS], floor_ms)
    m.update(zip(_DECODE_GAP_KEYS, capped, strict=True))
    cap = batch * inp.replicas * 1e3 / floor_ms
    m["output_tokens_per_s"] = np.minimum(m["output_tokens_per_s"], cap)


def load_utilization(
    load: LoadSpec, requests_per_s: float, saturation_rps: float | None
) -> float | None:
    """Offered (open loops: Poisson, gamma) or served (other loads) request rate ÷ the
    saturation rate: about 1 for bursts and offline runs, above 1 for an overloaded open
    loop; ``None`` without a positive saturation rate."""
    if saturation_rps is None or saturation_rps <= 0 or not math.isfinite(saturation_rps):
        return None
    offered = load.rate_rps if load.kind in OPEN_LOOP_LOADS else None
    rate = requests_per_s if offered is None else offered
    return round(rate / saturation_rps, 6) if math.isfinite(rate) else None


#: How every overload caveat (:func:`overload_caveats`) begins: a front end that states the
#: overload in its own words already leaves it out of the notes (:func:`is_overload_caveat`).
OVERLOAD_CAVEAT_PREFIX = "the offered load is "


def is_overload_caveat(caveat: str) -> bool:
    """Whether ``caveat`` is one of :func:`overload_caveats`."""
    return caveat.startswith(OVERLOAD_CAVEAT_PREFIX)


def overload_caveats(
    load: LoadSpec, utilization: float | None, *, simulated_requests: int | None = None
) -> tuple[str, ...]:
    """What an open loop offered more than the saturation rate, with no stated run length,
    can mean: no steady state. ``simulated_requests``: the length of the simulated run."""
    if load.kind not in OPEN_LOOP_LOADS or load.num_prompts is not None:
        return ()
    if utilization is None or utilization <= 1.0:
        return ()
    head = (
        f"{OVERLOAD_CAVEAT_PREFIX}{utilization:,.1f}x the saturation rate: requests arrive faster "
        "than they finish, so the queue, TTFT and E2E grow for as long as the load lasts"
    )
    if simulated_requests is None:
        tail = (
            "; TTFT and E2E shown are those of the saturated server, a lower bound, and the "
            "throughput is its capacity"
        )
    else:
        tail = (
            f"; TTFT and E2E shown are those of a run of {simulated_requests:,} requests "
            "and grow with its length"
        )
    return (head + tail,)


def predict_many(
    scenarios: Sequence[ServingScenario], params: ParameterSet
) -> list[PerfPrediction]:
    """Analytic predictions for many scenarios at once (vectorized; same as ``predict``)."""
    if not scenarios:
        return []
    chosen = [_efficiency(params, s) for s in scenarios]
    prepared = priced_cache(scenarios, [prepare(s) for s in scenarios], [c[0] for c in chosen])
    accuracy = params.accuracy
    inputs = stack(prepared, EfficiencyArrays.from_params([c[0] for c in chosen]))
    result = evaluate(inputs)
    _enforce_decode_cap(inputs, result)
    # Each metric's values as plain floats, read once per metric rather than element by element.
    columns = {key: values.tolist() for key, values in result.metrics.items()}
    saturation = result.saturation_rps.tolist()
    kv_usage, queue, batch, chained, closed_chained, kv_bound = (
        a.tolist()
        for a in (
            result.kv_usage,
            result.queue_length,
            result.batch,
            result.prefill_chain_arrivals,
            result.closed_loop_chain_arrivals,
            # The KV cache, not the slots or the token budget, bounds the running batch.
            (result.batch >= KV_BOUND_SHARE * inputs.kv_batch)
            & (inputs.kv_batch < inputs.b_max * (1.0 + 1e-9)),
        )
    )
    at_cap = (result.batch >= AT_CAP_SHARE * result.max_batch).tolist()
    # Each replica's offered request rate (open loops; 0 for the others).
    offered = inputs.rate_rps.tolist()
    max_batch = result.max_batch.tolist()
    out: list[PerfPrediction] = []
    for i, (scenario, prep, (eff, choice)) in enumerate(
        zip(scenarios, prepared, chosen, strict=True)
    ):
        latencies = {name: _percentiles(columns, name, i) for name in LATENCY_NAMES}
        latencies["itl_ms"] = streamed_chunk_gaps(latencies["itl_ms"], prep.stream_interval)
        saturation_rps = saturation[i]
        utilization = load_utilization(scenario.load, columns["requests_per_s"][i], saturation_rps)
        metrics = PerfMetrics(
            **latencies,
            output_tokens_per_s=columns["output_tokens_per_s"][i],
            total_tokens_per_s=columns["total_tokens_per_s"][i],
            requests_per_s=columns["requests_per_s"][i],
            kv_cache_usage=kv_usage[i],
            mean_queue_length=queue[i],
            mean_batch_size=batch[i],
            provenance=PredictionProvenance(
                method="analytic",
                parameters=choice.basis,
                parameter_source=choice.source,
                unmodelled_settings=_unmodelled(scenario),
                accuracy=accuracy.for_prediction(
                    choice.basis, scenario.engine.value, model_kind(scenario.model.is_moe)
                )
                if accuracy
                else None,
                front_end_ms=eff.request_overhead_s * 1e3 if prep.served else 0.0,
                front_end_stated=scenario.front_end_s is not None,
                caveats=engine_caveats(scenario, prep.history_hit_share, prep.prefix_hit_share)
                + overload_caveats(scenario.load, utilization)
                + prefill_chain_caveats(chained[i])
                + chains_at_cap_caveats(chained[i], at_cap[i], max_batch[i], saturation_rps)
                + closed_loop_chain_caveats(closed_chained[i])
                + retraction_caveats(scenario.engine, kv_bound[i])
                + _prefix_capacity(prep)
                + static_batch_caveats(
                    scenario.load,
                    prep.settings.max_num_seqs,
                    prep.memory.kv_capacity_tokens - int(prep.prefix_held_tokens),
                    prep.own_context_tokens,
                )
                + front_end_caveats(
                    eff.frontend_s_per_request if prep.served else 0.0,
                    max(columns["requests_per_s"][i] / scenario.replicas, offered[i]),
                    prep.api_servers,
                ),
            ),
        )
        out.append(
            PerfPrediction(
                metrics=metrics,
                memory=prep.memory,
                scheduler=scheduler_assumed(prep),
                saturation_rps=saturation_rps,
                api_server_rps=_api_server_rps(scenario, eff, prep),
                load_utilization=utilization,
                decode_tokens_per_s_single_stream=columns["decode_tokens_per_s_single_stream"][i],
                prefill_tokens_per_s_single_stream=columns["prefill_tokens_per_s_single_stream"][i],
            )
        )
    return out


def predict(
    scenario: ServingScenario,
    params: ParameterSet,
    *,
    mode: PredictMode = "analytic",
    num_requests: int = 2000,
    seed: int = 0,
) -> PerfPrediction:
    """Predicted TTFT/ITL/TPOT/E2E percentiles and throughput of ``scenario``."""
    if mode == "analytic":
        return predict_many([scenario], params)[0]
    if mode == "simulate":
        return _simulate(scenario, params, num_requests=num_requests, seed=seed)
    raise InputError(f"unknown prediction mode {mode!r}; valid: analytic, simulate")


#: Share of an open-loop simulation's first requests left out of its statistics at least (the
#: run starts from an empty server; MLPerf and ``vllm bench`` measure a warm server).
OPEN_LOOP_WARMUP_FRACTION = 0.1
#: An open-loop server well below capacity reaches its steady batch ``B = λ·E2E`` after about
#: one request lifetime: the warm-up (and, so that the last measured requests still see the
#: full load, the cool-down) lasts at least this many mean E2E times of the analytic
#: prediction, in arrivals.
OPEN_LOOP_WARMUP_E2E = 1.5
#: Near capacity it settles more slowly (:func:`relaxation_requests`): the warm-up lasts at
#: least this many relaxation times. Derived from this package's simulator (Llama 2 70B on
#: one B200, MLPerf's lengths, 38.7 requests/s at 0.965 of the analytic capacity, relaxation
#: 12,400 arrivals): warmed up 2,000 / 5,000 / 10,000 / 20,000 arrivals, the measured
#: requests ran 61 / 81 / 93 / 102 % of the analytic batch of 1,258 (TPOT p50 81 / 102 / 112 /
#: 122 ms, analytic 118); two relaxation times settle it.
OPEN_LOOP_WARMUP_RELAXATIONS = 2.0
#: The longest warm-up, in requests (a load at the edge of capacity never settles; this many
#: take 0.5-1.5 s to simulate); a run cut short says so (:data:`UNSETTLED_CAVEAT`).
OPEN_LOOP_WARMUP_MAX_REQUESTS = 50_000
#: Relative rate step over which the analytic batch's growth with the rate is read.
RELAXATION_RATE_STEP = 0.01
#: An offline run that does not state its length is predicted at its steady throughput (the
#: analytic mode's saturation rate; MLPerf Offline runs tens of thousands of samples): its
#: simulation leaves out of the rates the first and the last completions, this many times the
#: analytic running batch each (the ramp-up, and the drain after the queue empties). Measured
#: over the whole of 2,000 requests, DeepSeek-R1's 3,700-token answers on 8x B200 came to
#: 0.07x MLPerf's throughput and Llama 2 70B's on 8x MI325X to 0.65x.
OFFLINE_WINDOW_BATCHES = 1.5


def per_replica_load(load: LoadSpec, replicas: int) -> LoadSpec:
    """The load one of ``replicas`` identical replicas sees (split evenly by the router)."""
    if replicas == 1:
        return load
    updates: dict[str, float | int | None] = {}
    if load.rate_rps is not None:
        updates["rate_rps"] = load.rate_rps / replicas
    if load.concurrency is not None:
        updates["concurrency"] = max(round(load.concurrency / replicas), 1)
    if load.num_prompts is not None:
        updates["num_prompts"] = max(round(load.num_prompts / replicas), 1)
    return load.model_copy(update=updates)


def scheduler_config(prepared: PreparedScenario) -> SchedulerConfig:
    """The vLLM scheduler limits of a prepared scenario (``max_model_len`` within the cache)."""
    s = prepared.settings
    # A cached shared prefix is held apart: capacity and lengths are the requests' own.
    capacity = max(int(prepared.kv_capacity_tokens), s.block_size)
    own_max_len = s.max_model_len - int(prepared.prefix_tokens_cached)
    max_len = max(min(own_max_len, capacity - s.block_size), 1)
    seqs = min(s.max_num_seqs, s.max_num_batched_tokens)
    tokens = (
        s.max_num_batched_tokens
        if s.enable_chunked_prefill
        else max(s.max_num_batched_tokens, max_len)
    )
    return SchedulerConfig(
        max_num_seqs=seqs,
        max_num_batched_tokens=tokens,
        enable_chunked_prefill=s.enable_chunked_prefill,
        kv_capacity_tokens=capacity,
        block_size=s.block_size,
        max_model_len=max_len,
        enable_prefix_caching=s.enable_prefix_caching,
        cached_history_tokens=int(prepared.history_tokens_cached),
        history_hit_share=prepared.history_hit_share,
        history_replicas=prepared.history_replicas,
        history_turns=prepared.history_turns,
        reserve_full_context=prepared.reserve_full_context
        and not prepared.new_token_ratio_admission,
        new_token_ratio_admission=prepared.new_token_ratio_admission,
        schedule_conservativeness=schedule_conservativeness(
            prepared.new_token_ratio_admission and prepared.expert_parallel
        ),
        scheduler_steps=prepared.scheduler_steps,
        separate_prefill_batches=prepared.separate_prefill_batches,
        overlap_scheduling=prepared.overlap_scheduling,
    )


def relaxation_requests(
    scenario: ServingScenario, params: ParameterSet, analytic: PerfPrediction
) -> float:
    """Arrivals (per replica) over which an open loop's running batch settles: ``dB/d ln λ``.

    The steady batch solves ``B = λ·W(B)`` (Little's law, ``W`` a request's time in the
    engine, growing with the batch). Linearised about it, a server started empty fills as
    ``e^(−t/τ)`` with ``τ = W/(1 − ε)``, ``ε = d ln W/d ln B``; and ``d ln B/d ln λ = 1/(1 −
    ε)``, so in arrivals ``λτ = B · d ln B/d ln λ``, read from the analytic mode at the rate
    and one :data:`RELAXATION_RATE_STEP` below it. Far from capacity it is about ``B`` (one
    lifetime); at 0.965 of the analytic capacity (Llama 2 70B on one B200, MLPerf's lengths)
    9.9 ``B``. Infinite from :data:`~predeploy.core.fluid_steady.SUSTAINED_LOAD_SHARE` of
    the capacity, where the analytic mode prices the edge; 0 past saturation (no steady state
    to settle to: the overload caveat says so)."""
    batch = analytic.metrics.mean_batch_size or 0.0
    rate = scenario.load.rate_rps
    utilization = analytic.load_utilization or 0.0
    if rate is None or batch <= 0.0 or utilization >= 1.0:
        return 0.0
    if utilization >= SUSTAINED_LOAD_SHARE:
        return math.inf
    lower = scenario.model_copy(
        update={
            "load": scenario.load.model_copy(update={"rate_rps": rate / (1 + RELAXATION_RATE_STEP)})
        }
    )
    below = predict_many([lower], params)[0].metrics.mean_batch_size or 0.0
    if not 0.0 < below < batch:
        return math.inf if below >= batch else batch
    return batch * math.log(batch / below) / math.log1p(RELAXATION_RATE_STEP)


#: A closed loop of alike answers is simulated warm (:func:`warm_closed_loop`) when its run
#: holds at least this many waves of requests: its first wave, which the warm run leaves out,
#: is then at most a third of it. A shorter run is mostly its first wave.
WARM_CLOSED_LOOP_MIN_WAVES = 3


def warm_closed_loop(load: LoadSpec, output_tokens: TokenDistribution) -> bool:
    """Whether the simulation runs this closed loop warm: its clients starting at random
    phases over a request's lifetime, their first requests left out.

    Clients whose answers are all of one length and that start together finish together,
    send again together and stay in lock step in a deterministic simulation, each wave's
    prompts queueing as the first's; measured servers lose the lock step (AIConfigurator's
    closed loops of fixed lengths, NVIDIA NIM's AIPerf runs: docs/perf-validation.md, session
    82), as the analytic mode assumes. A run stated to hold fewer than
    :data:`WARM_CLOSED_LOOP_MIN_WAVES` waves keeps the start together."""
    if not alike_closed_loop(load, output_tokens):
        return False
    prompts = load.num_prompts
    return prompts is None or prompts >= WARM_CLOSED_LOOP_MIN_WAVES * (load.concurrency or 1)


def _simulate(
    scenario: ServingScenario, params: ParameterSet, *, num_requests: int, seed: int
) -> PerfPrediction:
    """The discrete-event simulation of one replica under its share of the load (a
    configuration that does not fit in memory has nothing to simulate: InputError)."""
    prepared = prepare(scenario)
    if not prepared.memory.fits:
        raise InputError(
            f"cannot simulate a configuration that does not fit: {prepared.memory.reason}"
        )
    eff, choice = _efficiency(params, scenario)
    prepared = priced_cache([scenario], [prepared], [eff])[0]
    step = RooflineStepCost.of(
        prepared.shape,
        prepared.hw,
        eff,
        prepared.graph_max_batch,
        prepared.cached_prompt_tokens,
    )
    load = per_replica_load(scenario.load.as_run(), scenario.replicas)
    analytic = predict_many([scenario], params)[0]
    warmup = cooldown = 0
    stagger_s = 0.0
    unsettled = False
    # A run that states its size is simulated as it is run, from an empty server; otherwise
    # the steady state: warm-up and cool-down requests around the ``num_requests`` measured.
    if load.kind in OPEN_LOOP_LOADS and load.num_prompts is None:
        lifetime_s = analytic.metrics.e2e_ms.mean or 0.0
        cooldown = max(
            math.ceil(num_requests * OPEN_LOOP_WARMUP_FRACTION),
            math.ceil((load.rate_rps or 0.0) * lifetime_s / 1e3 * OPEN_LOOP_WARMUP_E2E),
        )
        relaxation = relaxation_requests(scenario, params, analytic)
        settle = (
            OPEN_LOOP_WARMUP_RELAXATIONS * relaxation if math.isfinite(relaxation) else math.inf
        )
        unsettled = settle > OPEN_LOOP_WARMUP_MAX_REQUESTS
        warmup = max(cooldown, math.ceil(min(settle, OPEN_LOOP_WARMUP_MAX_REQUESTS)))
    elif warm_closed_loop(load, scenario.output_tokens):
        # Clients at random phases over a request's lifetime, the first of each left out.
        stagger_s = (analytic.metrics.e2e_ms.mean or 0.0) / 1e3
        warmup = load.concurrency or 1
    elif load.kind == "max_throughput" and load.num_prompts is None:
        batch = analytic.metrics.mean_batch_size or 1.0
        warmup = math.ceil(batch * OFFLINE_WINDOW_BATCHES)
        cooldown = warmup  # not measured either: the window ends at the w-th last completion
    result = simulate(
        step,
        scheduler_config(prepared),
        load,
        # The new part of each prompt, with the prompts' spread: the simulation puts the
        # history (found cached) before it and the shared prefix (held apart) before that.
        computed_prompt_tokens(
            scenario.prompt_tokens,
            int(prepared.prefix_tokens_cached + prepared.history_tokens_cached),
        ),
        scenario.output_tokens,
        num_requests + warmup + cooldown,
        seed,
        warmup_requests=warmup,
        cooldown_requests=cooldown,
        api=ApiServer(
            eff.request_overhead_s,
            eff.frontend_s_per_request / prepared.api_servers,
            gated=prepared.gated_front_end,
        )
        if scenario.served_over_api and load.kind in SERVED_LOADS
        else None,
        stagger_s=stagger_s,
        cached_prompt_tokens=int(prepared.prefix_tokens_cached),
        prefix_hit_share=prepared.prefix_hit_share,
    )
    provenance = PredictionProvenance(
        method="simulation",
        parameters=choice.basis,
        parameter_source=choice.source,
        seed=seed,
        num_requests_simulated=result.num_requests,
        num_preemptions_simulated=result.num_preemptions,
        unmodelled_settings=_unmodelled(scenario),
        front_end_ms=analytic.metrics.provenance.front_end_ms,
        front_end_stated=analytic.metrics.provenance.front_end_stated,
        caveats=simulation_caveats(load, scenario.output_tokens, warm=stagger_s > 0.0)
        + preemption_caveats(scenario.engine, result.num_preemptions, result.num_requests)
        + ((UNSETTLED_CAVEAT,) if unsettled else ())
        + engine_caveats(scenario, prepared.history_hit_share, prepared.prefix_hit_share)
        + _prefix_capacity(prepared)
        + overload_caveats(
            scenario.load, analytic.load_utilization, simulated_requests=num_requests
        )
        + tuple(c for c in analytic.metrics.provenance.caveats if is_front_end_caveat(c)),
        accuracy=params.accuracy.for_prediction(
            choice.basis, scenario.engine.value, model_kind(scenario.model.is_moe)
        )
        if params.accuracy
        else None,
    )
    r = float(scenario.replicas)
    metrics = result.to_perf_metrics(provenance).model_copy(
        update={
            "output_tokens_per_s": result.output_tokens_per_s * r,
            "total_tokens_per_s": result.total_tokens_per_s * r,
            "requests_per_s": result.requests_per_s * r,
            "itl_ms": streamed_chunk_gaps(result.itl_ms, prepared.stream_interval),
            "kv_cache_usage": _with_shared_prefix(result.kv_cache_usage, prepared),
        }
    )
    return PerfPrediction(
        metrics=metrics,
        memory=prepared.memory,
        scheduler=scheduler_assumed(prepared),
        saturation_rps=analytic.saturation_rps,
        api_server_rps=analytic.api_server_rps,
        load_utilization=load_utilization(
            scenario.load, metrics.requests_per_s, analytic.saturation_rps
        ),
        decode_tokens_per_s_single_stream=analytic.decode_tokens_per_s_single_stream,
        prefill_tokens_per_s_single_stream=analytic.prefill_tokens_per_s_single_stream,
    )


def _with_shared_prefix(kv_usage: float | None, prepared: PreparedScenario) -> float | None:
    """A simulated KV-cache use, which counts the requests' own blocks, with the cached shared
    prefix's blocks added (held throughout a run, outside the simulated pool)."""
    shared = prepared.prefix_held_tokens
    if kv_usage is None or shared <= 0.0:
        return kv_usage
    own = prepared.kv_capacity_tokens
    return (kv_usage * own + shared) / (own + shared)


class SingleStreamRates:
    """Batch-1 generation and prompt-processing speed (tokens/s), as llama-bench reports."""

    __slots__ = ("decode_tokens_per_s", "prefill_tokens_per_s")

    def __init__(self, decode_tokens_per_s: float, prefill_tokens_per_s: float) -> None:
        self.decode_tokens_per_s = decode_tokens_per_s
        self.prefill_tokens_per_s = prefill_tokens_per_s


def single_stream_rates(scenario: ServingScenario, params: ParameterSet) -> SingleStreamRates:
    """One sequence alone: decode at the mean context of its generation, prefill over
    micro-batches of the engine's token budget (``core.fluid.single_stream``)."""
    pred = predict(scenario, params)
    assert pred.decode_tokens_per_s_single_stream is not None
    assert pred.prefill_tokens_per_s_single_stream is not None
    return SingleStreamRates(
        decode_tokens_per_s=pred.decode_tokens_per_s_single_stream,
        prefill_tokens_per_s=pred.prefill_tokens_per_s_single_stream,
    )
