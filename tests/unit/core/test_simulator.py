"""Invariants and behaviour of the discrete-event simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stepmodels import SHAPES, LinearStep
from tests.perf_fixtures import h100, llama_8b

from predeploy.core.batching import SchedulerConfig
from predeploy.core.efficiency import EfficiencyParams
from predeploy.core.latency import DecodeStretchCost, RooflineStepCost
from predeploy.core.metrics import SimulationResult
from predeploy.core.simulation_trace import SimulationTrace, request_latencies_s, summarize_trace
from predeploy.core.simulator import (
    ApiServer,
    client_start_times_s,
    delivered_s,
    run_simulation,
    simulate,
)
from predeploy.core.types import LoadSpec, Precision, PredictionProvenance, TokenDistribution

PROMPTS = TokenDistribution(kind="lognormal", mean=300, stdev=250, max=3000)
OUTPUTS = TokenDistribution(kind="lognormal", mean=150, stdev=120, max=1000)
TIGHT = SchedulerConfig(
    max_num_seqs=64, max_num_batched_tokens=512, kv_capacity_tokens=12_000, max_model_len=4000
)
LOADS = [
    LoadSpec(kind="poisson", rate_rps=8.0),
    LoadSpec(kind="gamma", rate_rps=8.0, cv=3.0),
    LoadSpec(kind="concurrency", concurrency=40),
    LoadSpec(kind="burst", num_prompts=150),
    LoadSpec(kind="static_batch", batch_size=24),
    LoadSpec(kind="max_throughput"),
]


def check_trace(trace: SimulationTrace) -> None:
    """The invariants every run must satisfy."""
    n = trace.arrival_s.size
    assert np.all(np.isfinite(trace.finish_s)), "every request finishes"
    assert np.all(np.isfinite(trace.first_token_s))
    assert trace.tokens_generated == int(trace.output_tokens.sum()), "tokens conserved"
    assert trace.prefill_tokens_computed >= int(trace.prompt_tokens.sum())
    if trace.num_preemptions == 0:
        assert trace.prefill_tokens_computed == int(trace.prompt_tokens.sum())
    assert trace.final_used_blocks == 0, "every KV block freed at the end"
    assert trace.step_kv_blocks.max() <= trace.num_blocks, "KV never above capacity"
    ends = trace.step_start_s + trace.step_duration_s
    assert np.all(trace.step_duration_s > 0)
    assert np.all(trace.step_start_s[1:] >= ends[:-1] - 1e-12), "the clock never goes back"
    assert np.all(trace.first_token_s >= trace.arrival_s)
    ttft, e2e = request_latencies_s(trace)
    assert np.all(ttft <= e2e + 1e-12), "TTFT <= E2E"
    assert int(trace.step_output_tokens.sum()) == trace.tokens_generated
    assert int(trace.step_prefill_tokens.sum()) == trace.prefill_tokens_computed
    assert trace.preemptions.sum() == trace.num_preemptions
    assert n == trace.prompt_tokens.size


@pytest.mark.parametrize("load", LOADS, ids=lambda load: load.kind)
@pytest.mark.parametrize("shape", ["tight", "small-on-small", "large-on-big"])
def test_invariants_hold(shape: str, load: LoadSpec) -> None:
    step, cfg = (LinearStep(), TIGHT) if shape == "tight" else SHAPES[shape]
    rate = load.rate_rps
    if rate is not None and shape != "tight":
        load = load.model_copy(update={"rate_rps": rate / 8.0})
    trace = run_simulation(step, cfg, load, PROMPTS, OUTPUTS, 200, 3, check_invariants=True)
    check_trace(trace)


def test_tight_kv_cache_preempts_and_recomputes() -> None:
    trace = run_simulation(
        LinearStep(), TIGHT, LoadSpec(kind="max_throughput"), PROMPTS, OUTPUTS, 300, 1
    )
    check_trace(trace)
    assert trace.num_preemptions > 0
    assert trace.prefill_tokens_computed > trace.prompt_tokens.sum()
    assert trace.resumed_gap_s.size > 0


@pytest.mark.parametrize("load", LOADS, ids=lambda load: load.kind)
def test_invariants_hold_with_prefix_caching(load: LoadSpec) -> None:
    cached = TIGHT.model_copy(update={"enable_prefix_caching": True})
    trace = run_simulation(LinearStep(), cached, load, PROMPTS, OUTPUTS, 200, 3,
                           check_invariants=True)
    check_trace(trace)


def test_a_preempted_request_reuses_its_cached_blocks() -> None:
    """With prefix caching a preempted request finds the blocks nothing reused since: the
    same run recomputes far fewer tokens, never fewer than the prompts themselves."""
    load = LoadSpec(kind="max_throughput")
    plain = run_simulation(LinearStep(), TIGHT, load, PROMPTS, OUTPUTS, 300, 1)
    cached = run_simulation(LinearStep(), TIGHT.model_copy(update={"enable_prefix_caching": True}),
                            load, PROMPTS, OUTPUTS, 300, 1)
    check_trace(cached)
    assert plain.num_preemptions > 0 and cached.num_preemptions > 0
    prompts = int(plain.prompt_tokens.sum())
    recomputed_plain = plain.prefill_tokens_computed - prompts
    recomputed_cached = cached.prefill_tokens_computed - prompts
    assert 0 <= recomputed_cached < 0.5 * recomputed_plain


def test_without_chunked_prefill() -> None:
    cfg = TIGHT.model_copy(update={"enable_chunked_prefill": False, "max_num_batched_tokens": 4096})
    check_trace(run_simulation(LinearStep(), cfg, LOADS[0], PROMPTS, OUTPUTS, 200, 2))


def test_same_seed_same_result_different_seed_different_arrivals() -> None:
    step, cfg = SHAPES["small-on-big"]
    load = LoadSpec(kind="poisson", rate_rps=20.0)
    a = simulate(step, cfg, load, PROMPTS, OUTPUTS, 300, 5)
    b = simulate(step, cfg, load, PROMPTS, OUTPUTS, 300, 5)
    assert a == b
    ta = run_simulation(step, cfg, load, PROMPTS, OUTPUTS, 300, 5)
    tc = run_simulation(step, cfg, load, PROMPTS, OUTPUTS, 300, 6)
    assert not np.array_equal(ta.arrival_s, tc.arrival_s)
    assert simulate(step, cfg, load, PROMPTS, OUTPUTS, 300, 6) != a


def test_static_batch_answers_return_together() -> None:
    step, cfg = SHAPES["small-on-big"]
    trace = run_simulation(
        step, cfg, LoadSpec(kind="static_batch", batch_size=16), PROMPTS, OUTPUTS, 999, 0
    )
    assert trace.arrival_s.size == 16
    _, e2e = request_latencies_s(trace)
    assert np.all(e2e == e2e[0])
    # Identical requests prefilled in one step all get their first token together too.
    assert np.all(trace.first_token_s == trace.first_token_s[0])
    result = simulate(
        step, cfg, LoadSpec(kind="static_batch", batch_size=16), PROMPTS, OUTPUTS, 999, 0
    )
    assert result.e2e_ms.p50 == result.e2e_ms.p99


def test_burst_ttft_grows_with_queue_position() -> None:
    step, cfg = SHAPES["small-on-small"]
    fixed = TokenDistribution.fixed(512)
    trace = run_simulation(
        step, cfg, LoadSpec(kind="burst", num_prompts=200), fixed, TokenDistribution.fixed(64), 0, 0
    )
    ttft, _ = request_latencies_s(trace)
    assert np.all(np.diff(ttft) >= -1e-12), "FCFS: a later place in the queue never answers first"
    assert ttft[-1] > 10 * ttft[0]


def test_closed_loop_keeps_the_concurrency() -> None:
    step, cfg = SHAPES["small-on-big"]
    trace = run_simulation(
        step, cfg, LoadSpec(kind="concurrency", concurrency=10), PROMPTS, OUTPUTS, 100, 0
    )
    # Each completion releases the next request at that instant.
    later = np.sort(trace.arrival_s)[10:]
    assert np.all(np.isin(later, trace.finish_s))
    result = simulate(
        step, cfg, LoadSpec(kind="concurrency", concurrency=10), PROMPTS, OUTPUTS, 100, 0
    )
    assert result.mean_batch_size == pytest.approx(10, rel=0.15)


def test_staggered_clients_start_at_random_phases() -> None:
    starts = client_start_times_s(10, 2.0, seed=5)
    assert starts == sorted(starts) and all(0.0 <= t < 2.0 for t in starts)
    assert starts == client_start_times_s(10, 2.0, seed=5)
    assert starts != client_start_times_s(10, 2.0, seed=6)


def test_a_staggered_closed_loop_leaves_its_first_requests_out() -> None:
    # Ten clients start over one second, not together; their ten first requests are the
    # warm-up, left out of the latencies, and the loop keeps its ten requests in flight.
    step, cfg = SHAPES["small-on-big"]
    load = LoadSpec(kind="concurrency", concurrency=10)
    trace = run_simulation(step, cfg, load, PROMPTS, OUTPUTS, 100, 4, warmup_requests=10,
                           stagger_s=1.0, check_invariants=True)
    check_trace(trace)
    assert trace.arrival_s[:10].tolist() == client_start_times_s(10, 1.0, seed=4)
    assert not trace.measured[:10].any() and trace.measured[10:].all()
    # Each later request is sent when an earlier one finishes.
    assert np.all(np.isin(trace.arrival_s[10:], trace.finish_s))
    result = simulate(step, cfg, load, PROMPTS, OUTPUTS, 100, 4, warmup_requests=10,
                      stagger_s=1.0)
    assert result.num_measured_requests == 90 and result.num_requests == 100
    # Other loads start as they do without it.
    poisson = LoadSpec(kind="poisson", rate_rps=8.0)
    plain = run_simulation(step, cfg, poisson, PROMPTS, OUTPUTS, 50, 4)
    staggered = run_simulation(step, cfg, poisson, PROMPTS, OUTPUTS, 50, 4, stagger_s=1.0)
    assert np.array_equal(plain.arrival_s, staggered.arrival_s)


@pytest.mark.parametrize("load", LOADS, ids=lambda load: load.kind)
def test_overlap_scheduling_keeps_the_invariants_and_replies_a_step_late(load: LoadSpec) -> None:
    step, cfg = SHAPES["small-on-big"]
    late = cfg.model_copy(update={"overlap_scheduling": True})
    trace = run_simulation(step, late, load, PROMPTS, OUTPUTS, 120, 0, check_invariants=True)
    assert np.all(np.isfinite(trace.finish_s)) and np.all(np.isfinite(trace.first_token_s))
    assert trace.tokens_generated == int(trace.output_tokens.sum())
    ends = trace.step_start_s + trace.step_duration_s
    # Every reply goes out when some step ends, after its own step: never before it was made.
    assert np.all(np.isin(trace.first_token_s, ends)) and np.all(np.isin(trace.finish_s, ends))
    assert np.all(trace.first_token_s > trace.arrival_s)
    if load.kind == "concurrency":
        # A client sends its next request when it sees the last token of its previous one.
        later = np.sort(trace.arrival_s)[40:]
        assert np.all(np.isin(later, trace.finish_s))


def test_result_summary() -> None:
    step, cfg = SHAPES["large-on-big"]
    load = LoadSpec(kind="poisson", rate_rps=3.0)
    result = simulate(step, cfg, load, PROMPTS, OUTPUTS, 400, 0, warmup_fraction=0.1)
    assert result.num_requests == 400 and result.num_measured_requests == 360
    assert result.requests_per_s == pytest.approx(3.0, rel=0.15)
    assert result.output_tokens_generated == result.output_tokens_per_s * 0 + (
        result.output_tokens_generated
    )
    assert result.total_tokens_per_s > result.output_tokens_per_s
    for p in (result.ttft_ms, result.itl_ms, result.tpot_ms, result.e2e_ms):
        assert p.mean is not None and p.p50 is not None and p.p99 is not None
        assert p.p50 <= p.p99
    assert 0 < result.kv_cache_usage <= result.kv_cache_usage_peak <= 1
    assert result.mean_queue_length >= 0 and result.mean_batch_size > 0
    provenance = PredictionProvenance(
        method="simulation", parameters="fallback", parameter_source="test", seed=0
    )
    metrics = result.to_perf_metrics(provenance)
    assert metrics.ttft_ms == result.ttft_ms and metrics.kv_cache_usage == result.kv_cache_usage


def test_itl_and_tpot_agree_on_average() -> None:
    step, cfg = SHAPES["small-on-big"]
    fixed_out = TokenDistribution.fixed(128)
    result = simulate(step, cfg, LOADS[0], PROMPTS, fixed_out, 300, 0)
    # With equal output lengths the mean TPOT is the mean of all inter-token gaps.
    assert result.tpot_ms.mean == pytest.approx(result.itl_ms.mean, rel=1e-9)


def test_step_time_must_be_positive() -> None:
    class Broken:
        def step_time_s(self, a: int, b: float, c: int, d: int) -> float:
            return 0.0

    with pytest.raises(ValueError, match="positive finite"):
        simulate(Broken(), TIGHT, LOADS[0], PROMPTS, OUTPUTS, 10, 0)


def test_warmup_fraction_is_checked() -> None:
    with pytest.raises(ValueError, match="warmup_fraction"):
        simulate(LinearStep(), TIGHT, LOADS[0], PROMPTS, OUTPUTS, 10, 0, warmup_fraction=0.7)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    rate=st.floats(min_value=1.0, max_value=40.0),
    factor=st.floats(min_value=1.3, max_value=3.0),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_more_load_never_lowers_mean_latency(rate: float, factor: float, seed: int) -> None:
    """Common random numbers: the faster run has the same arrival pattern, compressed."""
    step = LinearStep()
    slow = simulate(
        step, TIGHT, LoadSpec(kind="poisson", rate_rps=rate), PROMPTS, OUTPUTS, 250, seed
    )
    fast = simulate(
        step, TIGHT, LoadSpec(kind="poisson", rate_rps=rate * factor), PROMPTS, OUTPUTS, 250, seed
    )
    assert slow.e2e_ms.mean is not None and fast.e2e_ms.mean is not None
    assert fast.e2e_ms.mean >= slow.e2e_ms.mean * (1 - 1e-3)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    capacity=st.integers(min_value=4_000, max_value=30_000),
    factor=st.floats(min_value=2.0, max_value=4.0),
    seed=st.integers(min_value=0, max_value=10_000),
    kind=st.sampled_from(["max_throughput", "poisson", "concurrency"]),
)
def test_more_kv_cache_never_adds_preemptions(
    capacity: int, factor: float, seed: int, kind: str
) -> None:
    load = LoadSpec.model_validate({"kind": kind, "rate_rps": 20.0, "concurrency": 40})
    small = TIGHT.model_copy(update={"kv_capacity_tokens": capacity})
    big = TIGHT.model_copy(update={"kv_capacity_tokens": int(capacity * factor)})
    step = LinearStep()
    few = simulate(step, big, load, PROMPTS, OUTPUTS, 250, seed).num_preemptions
    many = simulate(step, small, load, PROMPTS, OUTPUTS, 250, seed).num_preemptions
    assert few <= many


def test_enough_kv_cache_means_no_preemption() -> None:
    roomy = TIGHT.model_copy(update={"kv_capacity_tokens": 64 * 4000})
    result = simulate(LinearStep(), roomy, LOADS[-1], PROMPTS, OUTPUTS, 300, 0)
    assert result.num_preemptions == 0


class OneStepAtATime:
    """A step model without the vectorised decode-stretch method (the scalar path)."""

    def __init__(self, inner: RooflineStepCost) -> None:
        self.inner = inner

    def step_time_s(self, p: int, a: float, d: int, k: int) -> float:
        return self.inner.step_time_s(p, a, d, k)


@pytest.mark.parametrize(
    "load",
    [LoadSpec(kind="poisson", rate_rps=0.5), LoadSpec(kind="gamma", rate_rps=3.0, cv=1.5),
     LoadSpec(kind="concurrency", concurrency=8)],
    ids=lambda load: load.kind,
)
def test_vectorised_decode_stretches_match_the_scalar_loop(load: LoadSpec) -> None:
    """Long decode stretches are priced in numpy chunks: the same run as step by step."""
    cost = RooflineStepCost(llama_8b(), h100(), Precision.BF16, EfficiencyParams())
    assert isinstance(cost, DecodeStretchCost)
    scheduler = SchedulerConfig(
        max_num_seqs=64, max_num_batched_tokens=2048, kv_capacity_tokens=200_000,
        max_model_len=8192,
    )
    long_out = TokenDistribution(kind="lognormal", mean=600, stdev=300, max=3000)
    fast = run_simulation(cost, scheduler, load, PROMPTS, long_out, 120, 3)
    slow = run_simulation(OneStepAtATime(cost), scheduler, load, PROMPTS, long_out, 120, 3)
    check_trace(fast)
    assert fast.step_start_s.size == slow.step_start_s.size
    np.testing.assert_allclose(fast.step_duration_s, slow.step_duration_s, rtol=1e-9)
    np.testing.assert_allclose(fast.finish_s, slow.finish_s, rtol=1e-9)
    np.testing.assert_array_equal(fast.step_kv_blocks, slow.step_kv_blocks)
    np.testing.assert_array_equal(fast.step_decode_seqs, slow.step_decode_seqs)


def test_the_api_server_queues_requests_and_adds_its_overhead() -> None:
    server = ApiServer(request_overhead_s=0.05, s_per_request=0.01)
    # Three sent at once: handled one after another, each reaching the engine after its wait.
    assert [server.admit(0.0) for _ in range(3)] == pytest.approx([0.05, 0.06, 0.07])
    assert server.admit(1.0) == pytest.approx(1.05)  # an idle server: no wait
    with pytest.raises(ValueError, match="non-negative"):
        ApiServer(request_overhead_s=-1.0)


def test_requests_through_an_api_server_pay_its_time() -> None:
    step, cfg = SHAPES["small-on-big"]
    load = LoadSpec(kind="poisson", rate_rps=2.0)
    direct = run_simulation(step, cfg, load, PROMPTS, OUTPUTS, 200, 5)
    served = run_simulation(step, cfg, load, PROMPTS, OUTPUTS, 200, 5,
                            api=ApiServer(request_overhead_s=0.08))
    check_trace(served)
    ttft_direct, e2e_direct = request_latencies_s(direct)
    ttft_served, e2e_served = request_latencies_s(served)
    # A constant overhead at light load delays every request by about that much.
    assert np.median(ttft_served - ttft_direct) == pytest.approx(0.08, abs=0.01)
    assert np.median(e2e_served) > np.median(e2e_direct)
    # A server handling one request per 50 ms caps a burst at 20 requests per second.
    capped = run_simulation(step, cfg, LoadSpec(kind="burst", num_prompts=60), PROMPTS, OUTPUTS,
                            60, 5, api=ApiServer(s_per_request=0.05))
    first_tokens = np.sort(capped.first_token_s)
    assert first_tokens[-1] - first_tokens[0] >= 0.9 * 59 * 0.05


def test_open_loop_statistics_leave_out_the_ramp_up_and_the_drain() -> None:
    # 300 requests; the first and last 100 are warm-up and cool-down: 100 are measured, and
    # the throughput window runs from the first to the last measured arrival.
    load = LoadSpec(kind="poisson", rate_rps=8.0)
    result = simulate(LinearStep(), TIGHT, load, PROMPTS, OUTPUTS, 300, 0,
                      warmup_requests=100, cooldown_requests=100)
    assert result.num_measured_requests == 100 and result.num_requests == 300
    assert result.requests_per_s == pytest.approx(8.0, rel=0.35)
    with pytest.raises(ValueError, match="warm-up"):
        simulate(LinearStep(), TIGHT, load, PROMPTS, OUTPUTS, 100, 0,
                 warmup_requests=60, cooldown_requests=40)


def _open_loop_at(share_of_capacity: float, seed: int) -> tuple[float, SimulationResult]:
    """The capacity (an offline run's requests/s) and an open loop at a share of it, 600 of
    1,000 Poisson requests measured."""
    step, cfg = SHAPES["small-on-big"]
    capacity = simulate(
        step, cfg, LoadSpec(kind="max_throughput"), PROMPTS, OUTPUTS, 1000, 0, warmup_fraction=0.1
    ).requests_per_s
    load = LoadSpec(kind="poisson", rate_rps=share_of_capacity * capacity)
    result = simulate(step, cfg, load, PROMPTS, OUTPUTS, 1000, seed,
                      warmup_requests=200, cooldown_requests=200)
    return capacity, result


@pytest.mark.parametrize("seed", range(4))
def test_a_steady_open_loop_near_capacity_serves_what_it_is_offered(seed: int) -> None:
    # Counted by the requests that finish in the window, the running batch's growth over it
    # took up to 29 % off the rate at 90 % of capacity (0.71-0.83 x offered over six seeds).
    capacity, result = _open_loop_at(0.9, seed)
    assert result.requests_per_s == pytest.approx(0.9 * capacity, rel=0.06)


@pytest.mark.parametrize("seed", range(2))
def test_an_overloaded_open_loop_serves_its_capacity(seed: int) -> None:
    # Offered twice its capacity, a server runs at its capacity, each request with its own
    # output (finishes over the window had given 0.48-0.65 x capacity, at 176-221 tokens for
    # answers of 150 on average).
    capacity, result = _open_loop_at(2.0, seed)
    assert result.requests_per_s == pytest.approx(capacity, rel=0.12)
    tokens_per_request = result.output_tokens_per_s / result.requests_per_s
    assert tokens_per_request == pytest.approx(OUTPUTS.mean, rel=0.1)


@pytest.mark.parametrize("load", LOADS, ids=lambda load: load.kind)
def test_reserving_the_whole_context_never_preempts(load: LoadSpec) -> None:
    """Guaranteed-no-evict admission (TensorRT-LLM): the tight cache that makes vLLM's
    scheduler preempt admits fewer requests instead, and the promises always add up."""
    reserving = TIGHT.model_copy(update={"reserve_full_context": True})
    trace = run_simulation(LinearStep(), reserving, load, PROMPTS, OUTPUTS, 200, 3,
                           check_invariants=True)
    check_trace(trace)
    assert trace.num_preemptions == 0
    assert trace.prefill_tokens_computed == trace.prompt_tokens.sum()


def test_reserving_runs_fewer_requests_at_once() -> None:
    load = LoadSpec(kind="max_throughput")
    grow = simulate(LinearStep(), TIGHT, load, PROMPTS, OUTPUTS, 300, 1)
    reserve = simulate(LinearStep(), TIGHT.model_copy(update={"reserve_full_context": True}),
                       load, PROMPTS, OUTPUTS, 300, 1)
    assert reserve.num_preemptions == 0 < grow.num_preemptions
    assert reserve.mean_batch_size < grow.mean_batch_size


def decode_time_s(trace: SimulationTrace) -> tuple[float, float]:
    """(Σ measured requests' first-to-last-token times, Σ of their ITL samples): equal when
    every gap is counted once."""
    m = trace.measured & (trace.preemptions == 0)
    lived = float(np.sum(trace.finish_s[m] - trace.first_token_s[m]))
    gaps = float(np.dot(trace.step_duration_s, trace.step_itl_weight))
    gaps += float(np.dot(trace.stalled_gap_s, trace.stalled_gap_weight))
    return lived, gaps


@pytest.mark.parametrize("load", LOADS, ids=lambda load: load.kind)
def test_separate_prefill_batches_keep_the_invariants(load: LoadSpec) -> None:
    separate = TIGHT.model_copy(
        update={"separate_prefill_batches": True, "reserve_full_context": True}
    )
    trace = run_simulation(LinearStep(), separate, load, PROMPTS, OUTPUTS, 200, 3,
                           check_invariants=True)
    check_trace(trace)
    lived, gaps = decode_time_s(trace)
    assert gaps == pytest.approx(lived, rel=1e-9), "every inter-token gap counted once"


def test_separate_prefill_batches_stall_the_decoders() -> None:
    """Prompts prefilled in their own batches pause every decoder: the ITL tail holds whole
    prefill batches plus a decode step, and decode-only steps are no longer slowed."""
    load = LoadSpec(kind="poisson", rate_rps=6.0)
    cfg = TIGHT.model_copy(update={"reserve_full_context": True})
    mixed = run_simulation(LinearStep(), cfg, load, PROMPTS, OUTPUTS, 300, 2)
    separate = run_simulation(
        LinearStep(), cfg.model_copy(update={"separate_prefill_batches": True}), load,
        PROMPTS, OUTPUTS, 300, 2,
    )
    assert mixed.stalled_gap_s.size == 0 < separate.stalled_gap_s.size
    assert decode_time_s(mixed)[1] == pytest.approx(decode_time_s(mixed)[0], rel=1e-9)
    def mixed_steps(trace: SimulationTrace) -> int:
        both = (trace.step_prefill_tokens > 0) & (trace.step_decode_seqs > 0)
        return int(np.count_nonzero(both))

    assert mixed_steps(separate) == 0 < mixed_steps(mixed)
    decode_only = separate.step_prefill_tokens == 0
    assert separate.stalled_gap_s.max() > separate.step_duration_s[decode_only].max()
    assert summarize_trace(separate).itl_ms.p99 > summarize_trace(mixed).itl_ms.p99


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    budget=st.integers(min_value=64, max_value=2048),
    capacity=st.integers(min_value=4_000, max_value=40_000),
    reserve=st.booleans(),
    chunked=st.booleans(),
    seed=st.integers(min_value=0, max_value=10_000),
    kind=st.sampled_from(["poisson", "concurrency", "burst", "max_throughput"]),
)
def test_separate_prefill_batches_hold_for_any_limits(
    budget: int, capacity: int, reserve: bool, chunked: bool, seed: int, kind: str
) -> None:
    """Whatever the budget, cache and admission rule: every request finishes (a prompt that
    must be chunked next to stalled decoders once livelocked here), tokens are conserved, no
    step mixes prefill and decode, and every gap is counted once."""
    cfg = TIGHT.model_copy(
        update={
            "separate_prefill_batches": True,
            "max_num_batched_tokens": budget if chunked else 4000,
            "max_num_seqs": min(64, budget),
            "enable_chunked_prefill": chunked,
            "kv_capacity_tokens": capacity,
            "reserve_full_context": reserve,
        }
    )
    load = LoadSpec.model_validate(
        {"kind": kind, "rate_rps": 6.0, "concurrency": 24, "num_prompts": 120}
    )
    trace = run_simulation(LinearStep(), cfg, load, PROMPTS, OUTPUTS, 120, seed,
                           check_invariants=True)
    check_trace(trace)
    both = (trace.step_prefill_tokens > 0) & (trace.step_decode_seqs > 0)
    assert not np.any(both)
    if trace.num_preemptions == 0:  # a preempted request's gaps include its recomputation
        lived, gaps = decode_time_s(trace)
        assert gaps == pytest.approx(lived, rel=1e-9)


def test_overlap_delivery_waits_for_the_step_launched_meanwhile() -> None:
    # Three back-to-back steps, then an idle gap and a last step.
    start = np.array([0.0, 1.0, 3.0, 10.0])
    end = np.array([1.0, 3.0, 6.0, 11.0])
    produced = np.array([1.0, 3.0, 6.0, 11.0, np.nan])
    delivered = delivered_s(produced, start, end)
    # A token of step 1 goes out when step 2 ends; one before an idle gap or after the last
    # step goes out at once.
    np.testing.assert_array_equal(delivered[:4], [3.0, 6.0, 6.0, 11.0])
    assert np.isnan(delivered[4])
