"""Discrete-event simulation of requests through vLLM's continuous batching.

The engine loop, as vLLM runs it: at time t the scheduler sees every request that arrived at
or before t, picks the step (:class:`~predeploy.core.batching.ContinuousBatcher`), the step
model says how long it runs (:class:`~predeploy.core.batching.StepCostModel`), and at
t + duration every token of the step comes out at once. With nothing to run the engine idles
until the next arrival. Events are therefore ordered by (time, kind, sequence): arrivals at or
before a step's start join that step's scheduling; step ends in order; ties between arrivals
in request order. The clock only moves forward (a step time that is not a positive finite
number is an error), and the run is a pure function of its inputs and seed.

Speed: decode-only stretches -- no arrival into an empty queue, no completion, no block
shortage -- are run by a tight loop that only evaluates step times (long ones in vectorised
chunks when the step model offers :class:`~predeploy.core.latency.DecodeStretchCost`); the
batch is not touched per token. Served loads pass an :class:`ApiServer` first: requests reach
the engine after its queue and overhead, and latencies count from when they were sent.
The run's record and its summary are :mod:`predeploy.core.simulation_trace`.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Callable, Sequence
from itertools import repeat

import numpy as np
from numpy.typing import NDArray

from predeploy.core.arrivals import ConcurrencyArrivals, StaticBatchArrivals
from predeploy.core.batching import ContinuousBatcher, SchedulerConfig, StepCostModel
from predeploy.core.latency import DecodeStretchCost
from predeploy.core.metrics import SimulationResult
from predeploy.core.prefix_cache import history_missed_quantiles, routed_history_moments
from predeploy.core.sampling import sample_requests
from predeploy.core.simulation_trace import SimulationTrace, summarize_trace
from predeploy.core.types import LoadSpec, TokenDistribution


class ApiServer:
    """The API server in front of the engine (vLLM's OpenAI-compatible front end).

    Each request pays ``request_overhead_s`` outside the engine (HTTP, tokenization, the
    first streamed chunk), and the server handles requests one after another, each for
    ``s_per_request`` (a D/1 queue: no more than ``1 / s_per_request`` requests per second reach
    the engine). A request reaches the engine after its wait for the server plus the overhead;
    its own handling overlaps the engine's work. Both are the performance engine's fitted
    ``request_overhead_s`` and ``frontend_s_per_request``. A ``gated`` server
    (``core.vllm_chat.GATED_FRONT_ENDS``) does a request's work before handing it on, works in
    passes over the requests waiting when it starts one, and streams no first token before the
    pass that took the request ends (:meth:`held_until`).
    """

    __slots__ = ("_free_at", "gated", "request_overhead_s", "s_per_request")

    def __init__(
        self, request_overhead_s: float = 0.0, s_per_request: float = 0.0, *, gated: bool = False
    ) -> None:
        if not (request_overhead_s >= 0.0 and s_per_request >= 0.0):
            raise ValueError("API server times must be non-negative")
        self.request_overhead_s = request_overhead_s
        self.s_per_request = s_per_request
        self.gated = gated
        self._free_at = -math.inf

    def admit(self, sent_s: float) -> float:
        """When the engine sees a request sent at ``sent_s`` (calls in sending order)."""
        start = max(sent_s, self._free_at)
        self._free_at = start + self.s_per_request
        # A gated server hands a request on only once it has done that request's work.
        own_s = self.s_per_request if self.gated else 0.0
        return start + own_s + self.request_overhead_s

    def held_until(self, sent_s: Sequence[float]) -> list[float]:
        """No first token of requests sent at ``sent_s`` (ascending) reaches its client before
        these times: a gated server's passes, each starting when the server is free and a
        request waits, taking all that wait then (``k``), ending ``k`` times the time per
        request later (plus the request overhead); no hold (−∞) for a server that is not
        gated."""
        if not self.gated:
            return [-math.inf] * len(sent_s)
        held: list[float] = []
        free_at, i, n = -math.inf, 0, len(sent_s)
        while i < n:
            start = max(sent_s[i], free_at)
            j = bisect.bisect_right(sent_s, start, lo=i)
            free_at = start + (j - i) * self.s_per_request
            held.extend([free_at + self.request_overhead_s] * (j - i))
            i = j
        return held


#: Decode stretches expected to run at least this many more steps are priced in vectorised
#: chunks of at most STRETCH_CHUNK_STEPS: one numpy call costs ~50 µs against ~3 µs per step
#: one by one (measured with bench/sim_speed.py on the dev machine), so shorter stretches
#: stay scalar.
STRETCH_VECTOR_MIN_STEPS = 32
STRETCH_CHUNK_STEPS = 512


def simulate(
    step: StepCostModel,
    scheduler: SchedulerConfig,
    load: LoadSpec,
    prompt_tokens: TokenDistribution,
    output_tokens: TokenDistribution,
    num_requests: int,
    seed: int,
    *,
    warmup_fraction: float = 0.0,
    warmup_requests: int | None = None,
    cooldown_requests: int = 0,
    api: ApiServer | None = None,
    stagger_s: float = 0.0,
    cached_prompt_tokens: int = 0,
    prefix_hit_share: float = 1.0,
) -> SimulationResult:
    """Simulate ``num_requests`` requests (``burst``: ``num_prompts``; ``static_batch``:
    ``batch_size``) and summarize them. An open-loop run's first requests are left out of the
    statistics (the run starts empty): ``warmup_requests`` of them, else ``warmup_fraction``
    of the run; so are its last ``cooldown_requests`` (they see the load fall away), and a
    closed loop's first ``warmup_requests`` when its clients start staggered (``stagger_s``:
    see :func:`run_simulation`)."""
    trace = run_simulation(
        step,
        scheduler,
        load,
        prompt_tokens,
        output_tokens,
        num_requests,
        seed,
        warmup_fraction=warmup_fraction,
        warmup_requests=warmup_requests,
        cooldown_requests=cooldown_requests,
        api=api,
        stagger_s=stagger_s,
        cached_prompt_tokens=cached_prompt_tokens,
        prefix_hit_share=prefix_hit_share,
    )
    return summarize_trace(trace)


class PausedDecoders:
    """Measured decoders paused by prefill-only batches (separate prefill batches), grouped by
    how long they have waited: their next token's gap is that wait plus the next decode step."""

    def __init__(self) -> None:
        self.groups: list[list[float]] = []  # [decoders, seconds paused]
        self.count = 0
        self.gap_s: list[float] = []
        self.weight: list[int] = []

    def pause(self, decoders: int, dt: float) -> None:
        """A prefill-only step of ``dt`` seconds ran while ``decoders`` measured ones waited
        (those that joined since the last pause form a new group)."""
        for group in self.groups:
            group[1] += dt
        if decoders > self.count:
            self.groups.append([float(decoders - self.count), dt])
            self.count = decoders

    def resume(self, dt: float) -> int:
        """A decode step of ``dt`` seconds ends the pause: record each group's gap and return
        how many of the step's decoders were paused."""
        paused = self.count
        for decoders, waited in self.groups:
            self.gap_s.append(waited + dt)
            self.weight.append(int(decoders))
        self.groups.clear()
        self.count = 0
        return paused


def _release(
    count: int,
    at_s: float,
    next_release: int,
    n: int,
    arrival: list[float],
    entry: list[float],
    pending: deque[int],
    front: ApiServer,
) -> int:
    """A closed loop's clients send ``count`` more requests at ``at_s`` (while any are left);
    returns the index of the next request to release."""
    while count and next_release < n:
        arrival[next_release] = at_s
        entry[next_release] = front.admit(at_s)
        pending.append(next_release)
        next_release += 1
        count -= 1
    return next_release


def delivered_s(
    produced_s: NDArray[np.float64],
    step_start_s: NDArray[np.float64],
    step_end_s: NDArray[np.float64],
) -> NDArray[np.float64]:
    """When tokens produced by steps ending at ``produced_s`` reach the client under an overlap
    scheduler: the engine hands a step's tokens over while the GPU runs the step it launched
    next, so they go out when that step ends; a step followed by no other (the engine then
    idles) hands them over at once."""
    following = np.searchsorted(step_start_s, produced_s, side="left")
    known = following < step_start_s.size
    index = np.minimum(following, max(step_start_s.size - 1, 0))
    back_to_back = known & (np.abs(step_start_s[index] - produced_s) <= 1e-9)
    return np.where(back_to_back, step_end_s[index], produced_s)


def run_simulation(
    step: StepCostModel,
    scheduler: SchedulerConfig,
    load: LoadSpec,
    prompt_tokens: TokenDistribution,
    output_tokens: TokenDistribution,
    num_requests: int,
    seed: int,
    *,
    warmup_fraction: float = 0.0,
    warmup_requests: int | None = None,
    cooldown_requests: int = 0,
    api: ApiServer | None = None,
    stagger_s: float = 0.0,
    cached_prompt_tokens: int = 0,
    prefix_hit_share: float = 1.0,
    check_invariants: bool = False,
) -> SimulationTrace:
    """Run the simulation and return its full trace (see :func:`simulate`).

    ``api``: the API server in front of the engine (none: requests reach the engine when they
    are sent, as an in-process benchmark does). ``stagger_s``: a closed loop's clients send
    their first requests at random times over this many seconds (:func:`client_start_times_s`)
    instead of all at t = 0. ``cached_prompt_tokens``: every prompt starts with this many
    tokens of a shared prefix held in the prefix cache (``core.prefix_cache``), and
    ``prompt_tokens`` are the lengths of the rest, which the scheduler computes, budgets and
    stores (within a ``scheduler`` whose KV capacity and ``max_model_len`` leave the prefix
    out), while ``step`` reads the prefix (``RooflineStepCost``'s ``shared_context_tokens``);
    the trace counts the whole prompts. A ``scheduler`` with ``cached_history_tokens`` puts
    that many tokens of a conversation's earlier turns before each sampled rest, found cached
    when the request is first admitted by a share ``history_hit_share`` of the requests
    (drawn from their own seeded stream, :data:`HISTORY_HIT_STREAM`). ``prefix_hit_share``:
    the share of requests that find the shared prefix cached (one of several, each held apart
    while in use); the others compute it with their own prompt (drawn from
    :data:`PREFIX_HIT_STREAM`). ``check_invariants``
    re-verifies the scheduler's bookkeeping after every event (slow; for tests).
    """
    if not 0.0 <= warmup_fraction < 0.5:
        raise ValueError(f"warmup_fraction must be in [0, 0.5), got {warmup_fraction}")
    if cached_prompt_tokens < 0:
        raise ValueError(f"cached_prompt_tokens must be >= 0, got {cached_prompt_tokens}")
    if not 0.0 <= prefix_hit_share <= 1.0:
        raise ValueError(f"prefix_hit_share must be in [0, 1], got {prefix_hit_share}")
    history = scheduler.cached_history_tokens
    requests = sample_requests(
        load, prompt_tokens, output_tokens, num_requests, seed, scheduler.max_model_len - history
    )
    own_prompts = requests.prompt_tokens + history
    n = requests.count
    prefix_found = cache_hits(n, prefix_hit_share, seed, PREFIX_HIT_STREAM)
    found_prefix = np.full(n, cached_prompt_tokens, dtype=np.int64)
    if prefix_found is not None:
        # A request that misses its prefix computes and holds it as part of its own prompt.
        missed = ~np.array(prefix_found, dtype=np.bool_)
        own_prompts = own_prompts + np.where(missed, cached_prompt_tokens, 0)
        found_prefix = np.where(missed, 0, found_prefix)
    process = requests.process
    open_loop = process.open_loop
    warmup = int(n * warmup_fraction) if warmup_requests is None else warmup_requests
    cooldown = cooldown_requests if open_loop else 0
    if warmup < 0 or cooldown < 0 or warmup + cooldown >= n:
        raise ValueError(
            f"warm-up ({warmup}) and cool-down ({cooldown}) requests must leave some of the "
            f"{n} requests measured"
        )
    # An open loop's and a staggered closed loop's warm-up requests are left out of the
    # latencies; other loads' warm-up only bounds the window their rates are counted over.
    staggered = stagger_s > 0.0 and isinstance(process, ConcurrencyArrivals)
    window_only = not (open_loop or staggered)
    measured = [window_only or warmup <= i < n - cooldown for i in range(n)]
    batcher = ContinuousBatcher(
        scheduler,
        own_prompts.tolist(),
        requests.output_tokens.tolist(),
        measured,
        history_found_tokens(n, scheduler, seed) if history else None,
    )

    inf = math.inf
    front = api or ApiServer()
    arrival = [inf] * n
    known = requests.arrival_s.tolist()
    if staggered:
        known = client_start_times_s(len(known), stagger_s, seed)
    arrival[: len(known)] = known
    # When the engine sees each request (``arrival`` is when its client sent it).
    entry = [inf] * n
    entry[: len(known)] = [front.admit(a) for a in known]
    held = front.held_until(known) if front.gated else []
    pending: deque[int] = deque(range(len(known)))
    next_release = len(known) if isinstance(process, ConcurrencyArrivals) else n
    # Closed-loop clients finished by the last step: under an overlap scheduler they see their
    # last token, and send their next request, when the step launched meanwhile ends.
    deferred = 0
    first_token = [math.nan] * n
    finish = [math.nan] * n
    last_token = [math.nan] * n
    resumed_gaps: list[float] = []
    paused = PausedDecoders()

    starts: list[float] = []
    durations: list[float] = []
    decode_seqs: list[int] = []
    itl_weight: list[int] = []
    prefill: list[int] = []
    outputs: list[int] = []
    running: list[int] = []
    kv_blocks: list[int] = []

    step_time = step.step_time_s
    decode_times = decode_step_times(step)
    t = 0.0
    while batcher.num_finished < n:
        while pending and entry[pending[0]] <= t:
            batcher.enqueue(pending.popleft())
        if deferred and batcher.is_idle:
            # Nothing was launched meanwhile: the last tokens go out at once.
            next_release = _release(deferred, t, next_release, n, arrival, entry, pending, front)
            deferred = 0
            continue
        if batcher.is_idle:
            if not pending:
                raise RuntimeError("simulation stalled: nothing running, waiting or pending")
            t = entry[pending[0]]
            continue

        finished: list[int]
        limit = 0 if deferred else batcher.decode_stretch_limit()
        if limit:
            # Decode-only stretch: same batch every step, only time and KV length advance.
            stop_at = entry[pending[0]] if pending and not batcher.waiting else inf
            n_dec = batcher.num_decoding
            kv = batcher.decode_kv_tokens()
            demand = batcher.decode_block_demand(limit)
            demand_array: NDArray[np.int64] | None = None
            period = len(demand)
            used = batcher.used_blocks
            k = 0
            while k < limit and t < stop_at:
                dt = step_time(0, 0.0, n_dec, kv + n_dec * k)
                if not 0.0 < dt < inf:
                    raise ValueError(f"step time must be a positive finite number, got {dt}")
                # Steps likely left before the next arrival (steps only grow longer).
                ahead = min(limit - k, (stop_at - t) / dt)
                if ahead < STRETCH_VECTOR_MIN_STEPS:
                    used += demand[k % period]
                    starts.append(t)
                    durations.append(dt)
                    kv_blocks.append(used)
                    t += dt
                    k += 1
                    continue
                # A long stretch: a chunk of step times at once, then the steps that start
                # before the next arrival (the first always does: t < stop_at).
                m = min(limit - k, STRETCH_CHUNK_STEPS, int(ahead) + 1)
                kvs = kv + n_dec * np.arange(k, k + m, dtype=np.float64)
                dts = decode_times(n_dec, kvs)
                if not bool(np.all((dts > 0.0) & (dts < inf))):
                    raise ValueError(f"step time must be a positive finite number, got {dts}")
                # Sequential sums, exactly as a step-by-step clock adds them.
                clock = np.add.accumulate(np.concatenate(([t], dts)))
                j = max(1, int(np.searchsorted(clock[:m], stop_at, side="left")))
                if demand_array is None:
                    demand_array = np.array(demand, dtype=np.int64)
                blocks = used + np.cumsum(demand_array[np.arange(k, k + j) % period])
                starts.extend(clock[:j].tolist())
                durations.extend(dts[:j].tolist())
                kv_blocks.extend(blocks.tolist())
                used = int(blocks[-1])
                t = float(clock[j])
                k += j
            decode_seqs.extend(repeat(n_dec, k))
            itl_weight.extend(repeat(batcher.num_decoding_tracked, k))
            if k and paused.count:
                itl_weight[-k] = max(itl_weight[-k] - paused.resume(durations[-k]), 0)
            prefill.extend(repeat(0, k))
            outputs.extend(repeat(n_dec, k))
            running.extend(repeat(len(batcher.running), k))
            finished = batcher.advance_decode(k)
        else:
            work = batcher.schedule()
            for r in batcher.preempted_decoding:
                last_token[r] = t
            dt = step_time(*work)
            if not 0.0 < dt < inf:
                raise ValueError(f"step time must be a positive finite number, got {dt}")
            starts.append(t)
            durations.append(dt)
            kv_blocks.append(batcher.used_blocks)
            decode_seqs.append(work.decode_seqs)
            if batcher.prefill_only:
                paused.pause(batcher.num_decoding_tracked, dt)
                itl_weight.append(0)
            else:
                itl_weight.append(max(batcher.num_decoding_tracked - paused.resume(dt), 0))
            prefill.append(work.prefill_tokens)
            running.append(len(batcher.running))
            t += dt
            outcome = batcher.complete()
            outputs.append(
                work.decode_seqs + len(outcome.first_token) + len(outcome.resumed_token)
            )
            for r in outcome.first_token:
                first_token[r] = t
            for r in outcome.resumed_token:
                if measured[r]:
                    resumed_gaps.append(t - last_token[r])
            finished = outcome.finished
        if deferred:
            next_release = _release(deferred, t, next_release, n, arrival, entry, pending, front)
            deferred = 0
        for r in finished:
            finish[r] = t
        if scheduler.overlap_scheduling and next_release < n:
            deferred = len(finished)
        else:
            next_release = _release(
                len(finished), t, next_release, n, arrival, entry, pending, front
            )
        if check_invariants:
            batcher.check_invariants()

    def floats(values: list[float]) -> NDArray[np.float64]:
        return np.array(values, dtype=np.float64)

    def ints(values: list[int]) -> NDArray[np.int64]:
        return np.array(values, dtype=np.int64)

    step_start = floats(starts)
    step_end = step_start + floats(durations)
    first_token_s, finish_s = floats(first_token), floats(finish)
    if scheduler.overlap_scheduling:
        first_token_s = delivered_s(first_token_s, step_start, step_end)
        finish_s = delivered_s(finish_s, step_start, step_end)
    if held:
        # A gated server streams nothing before its pass over the request ends.
        first_token_s[: len(held)] = np.maximum(first_token_s[: len(held)], held)
        finish_s = np.maximum(finish_s, first_token_s)
    return SimulationTrace(
        arrival_s=floats(arrival),
        first_token_s=first_token_s,
        finish_s=finish_s,
        prompt_tokens=own_prompts + found_prefix,
        output_tokens=requests.output_tokens,
        preemptions=ints(batcher.preemptions),
        measured=np.array(measured, dtype=np.bool_),
        step_start_s=step_start,
        step_duration_s=floats(durations),
        step_decode_seqs=ints(decode_seqs),
        step_itl_weight=ints(itl_weight),
        step_prefill_tokens=ints(prefill),
        step_output_tokens=ints(outputs),
        step_running=ints(running),
        step_kv_blocks=ints(kv_blocks),
        resumed_gap_s=floats(resumed_gaps),
        stalled_gap_s=floats(paused.gap_s),
        stalled_gap_weight=ints(paused.weight),
        num_blocks=batcher.blocks.num_blocks,
        final_used_blocks=batcher.used_blocks,
        prefill_tokens_computed=batcher.prefill_tokens_computed,
        tokens_generated=batcher.tokens_generated,
        num_preemptions=batcher.num_preemptions,
        num_truncated=requests.num_truncated,
        open_loop=open_loop,
        warmup_requests=warmup,
        static_batch=isinstance(process, StaticBatchArrivals),
        seed=seed,
    )


#: Spawn key of the random stream of closed-loop clients' start times, apart from the arrival,
#: prompt and output streams (:class:`~predeploy.core.sampling.RandomStreams`).
CLIENT_START_STREAM = 7
#: Spawn keys of the streams that draw which requests find their conversation's history, and
#: their shared prefix, cached.
HISTORY_HIT_STREAM = 8
PREFIX_HIT_STREAM = 9


def cache_hits(requests: int, share: float, seed: int, stream: int) -> list[bool] | None:
    """Which of ``requests`` find what they look for in the prefix cache: each with chance
    ``share``, from the run's seed and its own ``stream`` (``None``: all of them)."""
    if share >= 1.0:
        return None
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))
    return [bool(hit) for hit in rng.random(requests) < share]


def history_found_tokens(requests: int, scheduler: SchedulerConfig, seed: int) -> list[int]:
    """The tokens of its conversation's history each of ``requests`` finds cached, from the
    run's seed and :data:`HISTORY_HIT_STREAM`.

    Each request's history survives the user's pause with chance ``history_hit_share``
    (over the routed share below). Routed at random over ``R`` replicas
    (``scheduler.history_replicas``), it carries ``T`` earlier turns (``∝ T`` over a
    conversation of ``history_turns``) and reaches a replica whose last turn of it was ``G``
    turns ago (``G`` geometric: each later turn went elsewhere with chance ``1 − 1/R``): it
    finds ``(T − G)/T`` of the history, in whole blocks, none if ``G ≥ T`` — drawn from
    :func:`~predeploy.core.prefix_cache.history_missed_quantiles`, the law the analytic mode's
    request samples take too."""
    history = scheduler.cached_history_tokens
    replicas = scheduler.history_replicas
    if replicas == 1:
        hits = cache_hits(requests, scheduler.history_hit_share, seed, HISTORY_HIT_STREAM)
        return [history] * requests if hits is None else [history if h else 0 for h in hits]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(HISTORY_HIT_STREAM,)))
    routed = routed_history_moments(replicas, scheduler.history_turns)[0]
    survives = scheduler.history_hit_share / routed
    missed = history_missed_quantiles(
        replicas, scheduler.history_turns, survives, rng.random(requests)
    )
    block = scheduler.block_size
    found = np.floor((1.0 - missed) * history / block) * block
    return [int(f) for f in found]


def client_start_times_s(clients: int, stagger_s: float, seed: int) -> list[float]:
    """When a closed loop's ``clients`` send their first requests when they start at random
    phases over ``stagger_s`` seconds: uniform draws, ascending, from the run's seed."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(CLIENT_START_STREAM,)))
    return sorted(rng.uniform(0.0, stagger_s, clients).tolist())


def decode_step_times(
    step: StepCostModel,
) -> Callable[[int, NDArray[np.float64]], NDArray[np.float64]]:
    """Durations of decode-only steps with ``decode_seqs`` decoders at each KV total:
    the model's vectorised form when it has one, else one :meth:`step_time_s` call each."""
    if isinstance(step, DecodeStretchCost):
        return step.decode_step_times_s

    def one_by_one(decode_seqs: int, kv_tokens: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.array(
            [step.step_time_s(0, 0.0, decode_seqs, int(kv)) for kv in kv_tokens.tolist()],
            dtype=np.float64,
        )

    return one_by_one
