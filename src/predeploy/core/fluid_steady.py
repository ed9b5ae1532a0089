"""Steady-state building blocks of the fluid serving model (see ``core.fluid``).

The scenario arrays (:class:`FluidInputs`), the step times of a steady state at a running batch
(:func:`steady_state`), the largest batch the scheduler allows (:func:`max_batch`), the open-loop
operating batch (Little's law, :func:`solve_open_loop_batch`) and batch-1 speeds.

Given the step time ``t(P, A, D, K)`` of one iteration (``core.latency``), a scheduler
(max running sequences ``S``, token budget ``M``, KV capacity ``C`` tokens) and a workload
(mean prompt ``I``, output ``O`` tokens):

**Steady state at ``B`` running sequences.** Each step decodes ``B`` tokens and, on average,
``P̄ = B·I/O`` prompt tokens (each request brings ``I`` prompt tokens per ``O`` generated).
Prompt tokens come in chunks of ``p = min(budget, I·m/(1 − e^(−m)))`` for an open loop's
independent arrivals, ``m = P̄/I`` a Poisson mean per step (``min(budget, max(I, P̄))`` for a
fixed population's, nearly one a step: :func:`apart_chunk`; ``budget = M − (B − 1)`` with
chunked prefill), so a share ``f = P̄/p`` of steps carries prefill::

    t_dec = t(0, 0, B, K̄)     t_mix = t(p, p·I/2, B, K̄)     K̄ = B (I + O/2)
    t̄ = f·t_mix + (1 − f)·t_dec           (mean ITL = mean TPOT)

ITL percentiles are those of the two-point mixture; a request occupies its slot for
``n_pf·t_mix + (O − 1)·t̄`` (``n_pf = E[⌈I/budget⌉]`` prefill steps over the prompts' lengths,
:func:`~predeploy.core.fluid_stats.expected_chunks`). In an open loop the
decode steps run at the batch a decoding request sees, itself included (``B + 1`` for Poisson
arrivals, more for clustered ones: :func:`seen_batch`), and a prefill step's attention context
is length-biased (``E[x²]/(2E[x])`` cached tokens per prompt token).

An engine that prefills in separate batches (SGLang without ``--enable-mixed-chunk``) runs
each prompt chunk on its own with the whole budget, its decoders paused, then a decode step:
``t_mix = t(p, p·I/2, 0, 0) + t_dec``, the chunk's own fixed cost and weight read included.
A prompt's own prefill steps and a budget-full one run alone (``prefill_ride_s = 0``); its
first token comes with its last chunk. Priced as riding on the decode step, the
simulation's open loop of 256/16-token requests (Llama 3.1 8B, H100) ran 29 % slower (E2E
p50) than the analytic mode at half of capacity, 48 % at 70 %; now within 7 %. Such an
engine runs every waiting prompt before its next decode step, so under an open loop it keeps
up with, a prompt that arrives during a prefill batch starts the next: the batches chain, and
the decode side runs on the decode cycle with the chains (:func:`chained_decode_cycle_s`,
``SteadyState.decode_cycle_s``), from the first arrival: a decode step that sees none is
followed by the next at once, and a request prefilled in a chain waits for the rest of it.

**Capacity.** ``B_max = min(S, C / (I + O/2), M·O/(I + O))`` (slots, KV cache — the whole
``I + O`` for engines that reserve it — and the token budget).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import NamedTuple

import numpy as np

from predeploy.core.fluid_stats import any_true, clamp, expected_chunks, regularized_lower_gamma
from predeploy.core.latency import ParamArrays, StepCoefficients
from predeploy.core.lengths import run_mean_age_share, wave_peak_context
from predeploy.core.occupancy import expected_whole_fits, normal_cdf
from predeploy.core.poisson_counts import MAX_PROMPTS_PER_CYCLE, poisson_pmf
from predeploy.core.renewal_counts import empty_window_probability
from predeploy.core.roofline import HardwareRates, Num, StepShape

#: Prompt tokens recomputed per output token when the KV cache limits the running batch of an
#: engine that admits greedily and preempts (vLLM recompute preemption, SGLang retraction)
#: and every step is left short (:func:`kv_growth_deficit` scales it by the share of steps
#: that are). Derived from this package's simulator (session 45, steady offline runs of
#: Llama 3.1 8B/70B on L4 and H100 at the cache's limit): 0.43-0.68 for alike answers, and
#: 0.55 the median of the ten runs' ratios of the recomputed tokens to the deficit's share
#: (0.33-0.84; ``bench/kv_bound_agreement.py``). It had been 0.8 on every step at the limit:
#: 1.2-1.9x the simulated recompute for alike answers, up to 8x for dispersed ones.
KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN = 0.55

#: How fast output-length variation desynchronises waves of requests that started together:
#: ``sync = exp(−SYNC_DECAY × CV(output))`` (1 for fixed lengths). Estimated.
SYNC_DECAY = 3.0

#: Share of the slots and KV cache's running-sequence limit from which a batch counts as bound
#: by them (:func:`steady_state`: waiting prompts then enter only as completions free room).
BOUND_BATCH_SHARE = 0.999

#: Load kinds as integer codes (:attr:`FluidInputs.load_kind`; vectorized selection).
MAX_THROUGHPUT, OPEN_LOOP, CLOSED_LOOP, BURST, STATIC_BATCH = 0, 1, 2, 3, 4

#: Window (in mean inter-arrival times) at which the excess of a gamma renewal process's
#: renewal function, ``m(t) − λt``, reaches half its limit ``(c² − 1)/2``: the excess behaves
#: like ``(c² − 1)/2 · λt/(λt + w)``. Estimated: Monte Carlo of gamma renewal processes with
#: CV 1.2-2.0 (two million arrivals each) gives 0.41-0.42 of the limit at λt = 0.1, 0.54-0.60 at
#: 0.25, 0.65-0.75 at 0.5, 0.77-0.89 at 1, 0.88-0.97 at 2; this form is within 0.07 of them.
RENEWAL_EXCESS_HALF_WINDOW = 0.15


@dataclass(frozen=True, slots=True)
class FluidInputs:
    """Arrays (one element per scenario) describing scenarios for ``core.fluid.evaluate``.

    Rates, concurrencies and prompt counts are per replica; ``replicas`` multiplies the
    throughputs back. ``served`` adds the per-request API overhead to TTFT (online benchmarks).
    ``reserve_full_context``: the engine reserves KV for ``I + O`` at admission (TensorRT-LLM's
    guaranteed-no-evict scheduler) rather than growing it.
    """

    shape: StepShape
    hw: HardwareRates
    eff: ParamArrays
    #: The mean prompt a request computes (without ``cached_prompt_tokens``, a shared prefix
    #: it finds in the prefix cache, held once and read by every sequence: the step model's
    #: ``shared_tokens``).
    prompt_tokens: np.ndarray
    cached_prompt_tokens: np.ndarray
    #: KV-cache tokens the cached prefix holds (one copy per data-parallel attention rank),
    #: outside ``kv_capacity_tokens``.
    prefix_held_tokens: np.ndarray
    #: Tokens of each request's own context found cached (a conversation's earlier turns):
    #: not computed, but held in the KV cache and read like the rest of its context
    #: (:func:`held_prompt_tokens`; the step model's ``shared_tokens`` reads them).
    held_context_tokens: np.ndarray
    #: The shared prefix a request that misses it computes besides its own prompt, and the
    #: share of requests that find it (1: all, or a single prefix): ``prompt_tokens`` and
    #: ``prompt_cv`` count the misses on average, the request samples one by one
    #: (``fluid_load.request_grid``).
    prefix_tokens_cached: np.ndarray
    prefix_hit_share: np.ndarray
    #: A conversation's history a request finds when it finds all of it, and the share found
    #: on average; the replicas a random router spreads the turns over (1: routed by prefix)
    #: and the turns per conversation. As for the prefix, ``prompt_tokens`` and ``prompt_cv``
    #: count the misses on average, the request samples one by one
    #: (``core.prefix_cache.history_missed_quantiles``).
    history_tokens_cached: np.ndarray
    history_hit_share: np.ndarray
    history_replicas: np.ndarray
    history_turns: np.ndarray
    output_tokens: np.ndarray
    prompt_cv: np.ndarray
    output_cv: np.ndarray
    #: The log-normals the request samples' lengths are quantiles of, before the cut at the
    #: distributions' ``max`` (``prompt_max``, ``output_max``; inf if none): ``prompt_tokens``
    #: and ``prompt_cv`` (and the output's) are the lengths' moments after it.
    prompt_quantile_mean: np.ndarray
    prompt_quantile_cv: np.ndarray
    prompt_max: np.ndarray
    output_quantile_mean: np.ndarray
    output_quantile_cv: np.ndarray
    #: A running batch's mean output where finished requests are replaced (size-biased,
    #: ``E[O²]/E[O]``; ``output_tokens`` for alike answers).
    output_running: np.ndarray
    output_max: np.ndarray
    max_num_seqs: np.ndarray
    max_num_batched_tokens: np.ndarray
    kv_capacity_tokens: np.ndarray
    #: The share of the running requests' answers the admission of a burst's first wave
    #: counts (SGLang's initial ``new_token_ratio``; 1 for the other engines).
    admitted_answer_share: np.ndarray
    chunked_prefill: np.ndarray
    separate_prefill_batches: np.ndarray
    reserve_full_context: np.ndarray
    scheduler_steps: np.ndarray
    #: The largest decode batch replayed as a CUDA graph (larger ones run eagerly; inf: none).
    graph_max_batch: np.ndarray
    load_kind: np.ndarray
    rate_rps: np.ndarray
    arrival_cv: np.ndarray
    concurrency: np.ndarray
    batch_size: np.ndarray
    num_prompts: np.ndarray
    replicas: np.ndarray
    served: np.ndarray
    #: API-server processes per replica, each taking requests one after another.
    api_servers: np.ndarray
    #: The API server does each request's work on its event loop before the engine sees it
    #: (``core.vllm_chat.GATED_FRONT_ENDS``): no first token of requests sent together
    #: streams before it has taken the last of them.
    gated_front_end: np.ndarray
    #: Every response reaches the client one step late (the engine's overlap scheduler).
    overlap_scheduling: np.ndarray
    #: A prompt's last chunk shares its step with the next waiting prompt's first
    #: (``EngineProfile.fills_last_prefill_step``; ``fluid_ttft.last_step_fill_s``).
    fills_last_prefill_step: np.ndarray
    #: ``step_time``'s constants for these scenarios, folded once (derived, not passed).
    step: StepCoefficients[Num] = field(init=False, repr=False, compare=False)
    #: The mean output of the requests a running batch holds (:func:`running_output`; derived).
    batch_output: np.ndarray = field(init=False, repr=False, compare=False)
    #: Running sequences the KV cache holds, and ``B_max`` (:func:`kv_batch_limit`,
    #: :func:`max_batch`; derived once, read throughout an evaluation).
    kv_batch: np.ndarray = field(init=False, repr=False, compare=False)
    b_max: np.ndarray = field(init=False, repr=False, compare=False)
    #: :func:`prompt_tokens`, :func:`decode_step_count`, :func:`prefill_context_tokens` and
    #: :func:`completion_sync` (derived once, read throughout an evaluation).
    prompt_at_least_one: np.ndarray = field(init=False, repr=False, compare=False)
    decode_steps: np.ndarray = field(init=False, repr=False, compare=False)
    prefill_context: np.ndarray = field(init=False, repr=False, compare=False)
    sync: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "prompt_at_least_one",
            np.asarray(np.maximum(self.prompt_tokens, 1.0), dtype=float),
        )
        object.__setattr__(
            self, "decode_steps", np.asarray(np.maximum(self.output_tokens - 1.0, 0.0), dtype=float)
        )
        prompt = self.prompt_at_least_one
        object.__setattr__(
            self,
            "prefill_context",
            np.asarray(prompt * (1.0 + self.prompt_cv**2) / 2.0, dtype=float),
        )
        object.__setattr__(
            self,
            "sync",
            np.asarray(
                np.where(
                    self.load_kind == OPEN_LOOP,
                    0.0,
                    np.exp(-SYNC_DECAY * self.output_quantile_cv),
                ),
                dtype=float,
            ),
        )
        object.__setattr__(
            self,
            "step",
            StepCoefficients.of(
                self.shape,
                self.hw,
                self.eff,
                self.graph_max_batch,
                self.cached_prompt_tokens + self.held_context_tokens,
            ),
        )
        object.__setattr__(self, "batch_output", running_output(self))
        object.__setattr__(self, "kv_batch", _kv_batch_limit(self))
        object.__setattr__(self, "b_max", _max_batch(self))


class StallPause(NamedTuple):
    """Per scenario, the share ``p`` of decode steps that follow prefill
    (``SteadyState.decode_stall_share``) and the mean pause before them (s):
    ``(decode_cycle_s − decode_step_s)/p``."""

    share: np.ndarray
    pause_s: np.ndarray


@dataclass(frozen=True, slots=True)
class SteadyState:
    """Per-scenario steady-state quantities at a running batch ``B`` (seconds, tokens)."""

    batch: np.ndarray
    t_dec: np.ndarray
    t_mix: np.ndarray
    t_mean: np.ndarray
    prefill_share: np.ndarray
    budget: np.ndarray
    prefill_step_tokens: np.ndarray
    prefill_steps: np.ndarray
    full_prefill_s_per_token: np.ndarray
    slot_time: np.ndarray
    #: ``B_seen``: the batch a decoding request runs in (:func:`seen_batch`).
    seen: np.ndarray
    #: Seconds one more prefill attention pair (query token × cached token) adds to a
    #: budget-sized prefill step at ``B`` running sequences: the step time's finite
    #: difference between ``I/2`` and ``I`` cached tokens per prompt token.
    prefill_pair_s: np.ndarray
    #: Seconds a request's own prefill adds to its step when requests arrive on their own
    #: (``t_mix − t_dec`` when they do; requests in step share a larger step, cheaper per
    #: token, but each still waits for its own prompt's step), and that step's prompt tokens
    #: (the mean prompt, or the prompts of a multi-step group).
    own_prefill_s: np.ndarray
    own_prefill_step_tokens: np.ndarray
    #: Prompt tokens recomputed per step (preempted or retracted requests) when the running
    #: batch fills the KV cache of an engine that grows KV on demand; 0 otherwise.
    recompute_tokens_per_step: np.ndarray
    #: The decode step a prefill step carries: ``t_dec`` where prompt chunks ride on the
    #: decoders' step, 0 where the engine prefills in separate batches, its decoders paused.
    #: A prompt's own prefill step is ``t_mix − t_dec + prefill_ride_s``, a budget-full one
    #: ``full_prefill_s_per_token × budget`` (ride included).
    prefill_ride_s: np.ndarray
    #: ``(c, E_p)``: seconds per prompt token in a large prefill step, and the fixed extra of
    #: a step that carries any prefill (:func:`prefill_step_costs`).
    prefill_token_s: np.ndarray
    prefill_step_extra_s: np.ndarray
    #: Seconds per decode step of the decoders' progress, the prefill between decode steps
    #: included: ``t_mean``, or longer where an open loop's prefill batches chain
    #: (:func:`chained_decode_cycle_s`). The decode side (TPOT, ITL, E2E, the slot time) runs
    #: on it; a prompt's own prefill and the steps an arrival waits for on ``t_mean``.
    decode_cycle_s: np.ndarray
    #: Share of decode steps that follow prefill (``prefill_share``; where the batches chain,
    #: the chance a decode step sees a prompt arrive, ``1 − P₀(t_dec)``,
    #: :func:`no_arrival_chance`): a paused decoder's gap is ``t_dec`` plus the prefill before
    #: it, ``(decode_cycle_s − t_dec)`` over this share on average.
    decode_stall_share: np.ndarray
    #: The decode step of the batch the decoders run in (``t_dec``; where an open loop's
    #: prefill batches chain, that of the larger batch the chains leave waiting to decode,
    #: :func:`~predeploy.core.fluid_load.operating_point`).
    decode_step_s: np.ndarray
    #: Where an open loop's prefill batches can chain (:func:`chained_decode_cycle_s`; 0
    #: elsewhere): the chance a decode step starts a chain, a batch's seconds and a chain's
    #: mean length in batches.
    chain_start: np.ndarray
    chain_batch_s: np.ndarray
    chain_length: np.ndarray

    def stall_pause(self) -> StallPause:
        """The decode steps that follow prefill and the mean pause before them."""
        share = np.maximum(self.decode_stall_share, 1e-12)
        return StallPause(share, (self.decode_cycle_s - self.decode_step_s) / share)

    def chains(self) -> np.ndarray:
        """Where an open loop's prefill batches chain (:func:`chained_decode_cycle_s`)."""
        return np.asarray(self.chain_length > 0.0)

    def chain_residual_s(self) -> np.ndarray:
        """:func:`chain_residual_s` of this state's chains (0 where none chain)."""
        return chain_residual_s(self.chain_batch_s, self.chain_length)

    def with_decode_side(self, chained: SteadyState) -> SteadyState:
        """This state with the decode side (:data:`DECODE_SIDE_FIELDS`) of ``chained``, the
        steady state of the larger batch an open loop's chains leave waiting to decode."""
        return replace(self, **{name: getattr(chained, name) for name in DECODE_SIDE_FIELDS})

    def own_chunk_step_s(self) -> np.ndarray:
        """Seconds of the step that prefills a prompt's chunk (``t_mix`` where it rides on a
        decode step; the prefill batch alone where the engine separates them)."""
        return np.asarray(self.t_mix - self.t_dec + self.prefill_ride_s, dtype=float)

    def rows(self) -> list[SteadyState]:
        """One steady state per leading row, for states priced at several batch rows at once."""
        shape = self.batch.shape
        arrays = [getattr(self, name) for name in _STEADY_FIELDS]
        arrays = [a if a.shape == shape else np.broadcast_to(a, shape) for a in arrays]
        return [SteadyState(*[a[i] for a in arrays]) for i in range(shape[0])]


_STEADY_FIELDS = tuple(f.name for f in fields(SteadyState))
#: The fields the decode side (TPOT, ITL, E2E) reads where an open loop's prefill batches
#: chain, taken from the chained batch's steady state (:meth:`SteadyState.with_decode_side`).
DECODE_SIDE_FIELDS = (
    "decode_cycle_s",
    "decode_stall_share",
    "decode_step_s",
    "chain_start",
    "chain_batch_s",
    "chain_length",
)


def step_s(
    inp: FluidInputs,
    p: np.ndarray,
    a: np.ndarray,
    d: np.ndarray,
    k: np.ndarray,
    eager_share: np.ndarray | None = None,
) -> np.ndarray:
    return np.asarray(inp.step.time_s(p, a, d, k, eager_share), dtype=float)


def steps_s(
    inp: FluidInputs,
    *points: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    eager_share: np.ndarray | None = None,
) -> list[np.ndarray]:
    """Several step times per scenario in one vectorized call: each point is ``(P, A, D,
    K)``, arrays of one shape whose last axis is the scenarios (rows of batches or quantile
    levels before it are priced alike). ``eager_share``: of the decode-only steps, the share
    that runs eagerly (:meth:`~predeploy.core.latency.StepCoefficients.time_s`), shaped as
    one point."""
    p, a, d, k = (np.array([pt[i] for pt in points], dtype=float) for i in range(4))
    times = step_s(inp, p, a, d, k, eager_share)
    return [times[i] for i in range(len(points))]


def decode_eager_share(
    inp: FluidInputs, seen: np.ndarray, batch: np.ndarray, view: RequestView
) -> np.ndarray:
    """The share of a decoding request's decode-only steps that run eagerly, their batch
    above the largest captured CUDA graph. A fixed population (closed loop, burst, offline
    run) runs ``B`` sequences: all or none. An open loop's batch varies around ``B_seen``
    (its count's variance ``B·max(c², 1)``, ``c`` the arrivals' CV, as the ITL's decode
    spread has it), so the share rises smoothly, ``P(N > G)``, as the mean batch nears the
    graph's ``G``: at a hard threshold the steady decode step, and with it the prefill stall
    and every latency built on them, jumped as the load crossed it (Mixtral 8x7B on 4x H100:
    ITL p99 fell 3 % as the rate rose 1 % across vLLM's 512)."""
    st = inp.step
    graph = st.graph_bs * st.pp
    fixed = np.asarray(np.greater(seen, graph), dtype=float)
    if not view.any_open_loop:
        return fixed
    spread = np.sqrt(np.maximum(batch, 1.0) * np.maximum(inp.arrival_cv**2, 1.0))
    smooth = np.where(graph < 1.0, 1.0, normal_cdf((seen - graph) / spread))
    return np.asarray(np.where(view.open_loop, smooth, fixed), dtype=float)


def prompt_tokens(inp: FluidInputs) -> np.ndarray:
    """Each scenario's mean prompt computed, at least one token."""
    return inp.prompt_at_least_one


def held_prompt_tokens(inp: FluidInputs, prompt: np.ndarray | float | None = None) -> np.ndarray:
    """The prompt tokens a request holds in the KV cache: its computed prompt (``prompt``,
    default :func:`prompt_tokens`) and its own context found cached (``held_context_tokens``;
    a shared prefix is held apart, once)."""
    computed = prompt_tokens(inp) if prompt is None else prompt
    return np.asarray(computed + inp.held_context_tokens, dtype=float)


def decode_context(prompt: np.ndarray | float, output_tokens: np.ndarray | float) -> np.ndarray:
    """Mean tokens of context a decoding request reads: its prompt and, at a uniform position
    in its output, half its output."""
    return np.asarray(prompt + 0.5 * output_tokens, dtype=float)


def decode_step_count(inp: FluidInputs) -> np.ndarray:
    """Each scenario's decode steps after its first token."""
    return inp.decode_steps


def seen_batch(inp: FluidInputs, batch: np.ndarray | float) -> np.ndarray:
    """Running sequences a decoding request of an open loop sees, ``B_seen`` (``batch`` = the
    time-average ``B`` of Little's law; other loads run a fixed population: ``B``).

    A decoding request is always in its own step: it sees itself plus the others in service
    at a random instant of its own service, the size-biased batch ``E[N²]/E[N] = B + z``
    (``z`` = Var N / E N). Poisson arrivals (M/G/∞): ``z = 1``. Renewal arrivals with
    inter-arrival CV ``c`` cluster: from an arrival epoch, ``m(t) − λt`` more arrivals than
    average follow within ``t`` and, by reversal, preceded it, so the others met over a
    service of ``B`` inter-arrival times exceed ``B`` by ``(c² − 1)·R(B)·h``, with
    ``R(B) = (1/B)∫₀ᴮ x/(x + w) dx = 1 − (w/B)·ln(1 + B/w)`` (``w`` =
    ``RENEWAL_EXCESS_HALF_WINDOW``) and ``h = E[min(S₁, S₂)]/E[S] = 2(1 − Φ(σ/√2))`` for
    lognormal service times (``σ² = ln(1 + CV_out²)``; 1 for fixed, ½ for exponential: Whitt's
    peakedness of G/GI/∞). Bounded to ``[1, max(B_max, B)]``: the engine runs at most ``B_max``.
    """
    return _request_view(RequestView.of(inp), np.asarray(batch, dtype=float))[0]


@dataclass(frozen=True, slots=True)
class RequestView:
    """Per-scenario constants of :func:`seen_batch`, computed once per evaluation (the
    open-loop solver prices many batches)."""

    open_loop: np.ndarray
    any_open_loop: bool
    #: ``(c² − 1)·h``: the excess others met over a long service.
    excess: np.ndarray
    #: Whether any open loop has an excess (none for Poisson arrivals).
    any_excess: bool
    max_batch: np.ndarray

    @classmethod
    def of(cls, inp: FluidInputs, b_max: np.ndarray | None = None) -> RequestView:
        """The view of ``inp`` (``b_max``: :func:`max_batch` of ``inp``, when the caller has it)."""
        open_loop = inp.load_kind == OPEN_LOOP
        # Poisson arrivals (c = 1) meet no excess: Φ is priced only where some open loop has one.
        excess = np.zeros(inp.arrival_cv.shape)
        if any_true(open_loop & (inp.arrival_cv != 1.0)):
            sigma = np.sqrt(np.log1p(inp.output_quantile_cv**2))
            overlap = 2.0 * (1.0 - normal_cdf(sigma / np.sqrt(2.0)))
            excess = (inp.arrival_cv**2 - 1.0) * overlap
        return cls(
            open_loop=open_loop,
            any_open_loop=any_true(open_loop),
            excess=excess,
            any_excess=any_true(open_loop & (excess != 0.0)),
            max_batch=max_batch(inp) if b_max is None else b_max,
        )


def _request_view(view: RequestView, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(B_seen, others)``: the batch a decoding request runs in (:func:`seen_batch`) and the
    others in it whose prompts it shares steps with: ``B_seen − 1`` for an open loop (``B`` for
    Poisson arrivals, more for clustered ones), but never below the prefill rate Little's law
    implies at the batch cap (``min(B, B_seen)``); ``B − 1`` for a fixed population of ``B``
    running requests (a closed loop's clients, a burst's or an offline run's slots): each
    other slot's next prompt stalls its decode once per lifetime, its own slot's next one
    comes only after it ends. With ``B`` stalls, 4 clients of 30k-token prompts had a TPOT
    24-30 % above the simulated (session 42), and a burst the KV cache limits to a few
    requests more still: 100k-token prompts on one H100 (4.6 fit) +33 % (session 43)."""
    fixed_others = np.maximum(batch - 1.0, 0.0)
    if not view.any_open_loop:
        return batch, fixed_others
    seen = batch + 1.0
    if view.any_excess:
        w = RENEWAL_EXCESS_HALF_WINDOW
        safe = np.maximum(batch, 1e-9)
        window_share = np.where(batch > 1e-6, 1.0 - (w / safe) * np.log1p(safe / w), 0.0)
        seen = seen + view.excess * window_share
    cap = np.maximum(view.max_batch, batch)
    seen = np.maximum(np.minimum(np.maximum(seen, 1.0), cap), batch)
    seen = np.where(view.open_loop, seen, batch)
    others = np.where(view.open_loop, np.maximum(seen - 1.0, np.minimum(batch, seen)), fixed_others)
    return seen, others


def steady_state(
    inp: FluidInputs,
    batch: np.ndarray,
    sync: np.ndarray | float = 0.0,
    backlog: np.ndarray | float = 0.0,
    view: RequestView | None = None,
    chain_rate: np.ndarray | float = 0.0,
) -> SteadyState:
    """Step times and shares at ``batch`` running sequences (module docstring).

    ``sync`` ∈ [0, 1]: how synchronised the running requests are. Fixed-length requests
    that start together (a burst, a closed loop, an offline run) finish together and are
    replaced together, so prompts arrive in waves of ``B·I`` tokens that fill whole token
    budgets; independent arrivals bring one prompt at a time. In between, a share ``sync``
    of the prompts come in waves and the rest apart, each kind in prefill-carrying steps of
    its own: the steps add up (``1/chunk = sync/chunk_sync + (1 − sync)/chunk_async``), and
    with them each such step's fixed cost (an eager step's launches). Blending the chunks
    linearly had counted the steps of the waves' size: a closed loop of 16 ± 8-token answers
    (Qwen3 30B-A3B, H100, 32 clients) ran at 1.5× the simulated rate. ``backlog`` (0/1): prompts are
    waiting; an engine with separate prefill batches then fills the whole budget, unless the
    slots or the KV cache bound the batch: then each batch takes only the prompts its
    completions make room for, the prompts apart. ``view``:
    :meth:`RequestView.of` ``inp``, when the caller has it. ``chain_rate``: an open loop's
    arrival rate, at which an engine with separate prefill batches chains them
    (:func:`chained_decode_cycle_s`; 0: none)."""
    prompt = prompt_tokens(inp)
    out = np.maximum(inp.output_tokens, 1.0)
    budget = prefill_budget(inp, batch, prompt)
    # A running batch that fills the KV cache of an engine that grows KV on demand (vLLM,
    # SGLang) preempts/retracts and recomputes what completions leave short.
    kv_full = (~inp.reserve_full_context) & (batch >= 0.98 * kv_batch_limit(inp))
    recompute = np.zeros(batch.shape)
    if any_true(kv_full):
        recompute = np.where(kv_full, kv_growth_deficit(inp, batch, prompt, out), 0.0)
    view = view or RequestView.of(inp)
    seen, others = _request_view(view, np.asarray(batch, dtype=float))
    mean_prefill = others * prompt / out + recompute
    # Multi-step scheduling admits the prompts of ``N`` steps together.
    chunk_async = np.minimum(budget, np.maximum(prompt, inp.scheduler_steps * mean_prefill))
    chunk_sync = np.minimum(budget, np.maximum(batch * prompt, prompt))
    steps = expected_chunks(prompt, budget, inp.prompt_cv)
    chunk_apart = apart_chunk(inp, mean_prefill, budget, view, steps)
    chunk = 1.0 / (sync / chunk_sync + (1.0 - sync) / chunk_apart)
    # Waiting prompts fill a separate batch's budget only as far as the running batch has
    # room: bound by its slots or its cache, it takes what its completions free (GPUStack-like
    # bursts of 1,000 ShareGPT requests through 256 slots, SGLang, Llama 3.1 8B on an H100:
    # 397-token prefill batches after 43 % of the simulation's steps, and TPOT p50 23 → 52 ms
    # against 50 simulated where priced at the whole budget).
    room = np.asarray(batch) < BOUND_BATCH_SHARE * slot_batch_limit(inp)
    chunk = np.where(inp.separate_prefill_batches & (np.asarray(backlog) > 0) & room, budget, chunk)
    share = clamp(mean_prefill / chunk, 0.0, 1.0)
    context = decode_context(prompt, inp.batch_output)
    kv = seen * context
    kv_running = batch * context
    zero = np.zeros(batch.shape)
    pairs = budget * prompt / 2.0
    eager_share = decode_eager_share(inp, seen, batch, view)
    t_dec, t_mix, t_own, t_full, t_pairs, t_pairs_doubled = steps_s(
        inp,
        (zero, zero, seen, kv),
        (chunk, chunk * prefill_context_tokens(inp), seen, kv),
        (chunk_async, chunk_async * prefill_context_tokens(inp), seen, kv),
        (budget, pairs, seen, kv),
        (budget, pairs, batch, kv_running),
        (budget, 2.0 * pairs, batch, kv_running),
        eager_share=eager_share,
    )
    # The decode step with every launch replayed from a CUDA graph: a prefill step's cost
    # per token is read against it, not against the decode steps' eager share
    # (:func:`prefill_step_costs`).
    t_dec_graphed = t_dec - eager_share * inp.step.eager_s * inp.step.pp
    ride = t_dec
    separate = np.asarray(inp.separate_prefill_batches, dtype=bool)
    if any_true(separate):
        mix_alone, own_alone, full_alone = _prefill_alone_s(inp, chunk, chunk_async, budget)
        t_mix = np.where(separate, mix_alone + t_dec, t_mix)
        t_own = np.where(separate, own_alone + t_dec, t_own)
        t_full = np.where(separate, full_alone, t_full)
        ride = np.where(separate, 0.0, t_dec)
        t_dec_graphed = np.where(separate, t_dec, t_dec_graphed)
    t_mean = share * t_mix + (1.0 - share) * t_dec
    per_token, step_extra = prefill_step_costs(
        chunk, budget, t_dec, t_mix, t_full, ride, t_dec_graphed
    )
    cycle, stall_share = t_mean, share
    chain_batch = chain_length = chain_start = np.zeros(np.shape(t_mean))
    chained = separate & (np.asarray(chain_rate) > 0.0)
    if any_true(chained):
        chain = _prefill_chain(inp, np.asarray(chain_rate, dtype=float), t_dec, prompt, budget)
        chain_batch = np.where(chained, chain.batch_s, 0.0)
        chain_length = np.where(chained, chain.length, 0.0)
        chain_start = np.where(chained, chain.start, 0.0)
        cycle = np.where(chained, chain.cycle_s, t_mean)
        stall_share = np.where(chained, chain.start, share)
    # A request prefilled in a chain waits for the rest of it (none where none chain).
    slot = (
        steps * (t_mix - t_dec + ride)
        + decode_step_count(inp) * cycle
        + chain_residual_s(chain_batch, chain_length)
    )
    return SteadyState(
        batch=batch,
        t_dec=t_dec,
        t_mix=t_mix,
        t_mean=t_mean,
        prefill_share=share,
        budget=budget,
        prefill_step_tokens=chunk,
        prefill_steps=steps,
        full_prefill_s_per_token=t_full / budget,
        slot_time=slot,
        seen=seen,
        prefill_pair_s=np.maximum(t_pairs_doubled - t_pairs, 0.0) / pairs,
        own_prefill_s=np.maximum(t_own - t_dec, 0.0),
        own_prefill_step_tokens=chunk_async,
        recompute_tokens_per_step=recompute,
        prefill_ride_s=np.asarray(ride, dtype=float),
        prefill_token_s=per_token,
        prefill_step_extra_s=step_extra,
        decode_cycle_s=np.asarray(cycle, dtype=float),
        decode_stall_share=np.asarray(stall_share, dtype=float),
        decode_step_s=np.asarray(t_dec, dtype=float),
        chain_start=np.asarray(chain_start, dtype=float),
        chain_batch_s=np.asarray(chain_batch, dtype=float),
        chain_length=np.asarray(chain_length, dtype=float),
    )


class PrefillStepCosts(NamedTuple):
    """A prompt-carrying step's prefill costs (:func:`prefill_step_costs`), per scenario."""

    #: ``c``: seconds per prompt token in a large prefill step.
    token_s: np.ndarray
    #: ``E_p``: the fixed extra (s) of a step that carries any prefill.
    step_extra_s: np.ndarray


def prefill_step_costs(
    chunk: np.ndarray,
    budget: np.ndarray,
    t_dec: np.ndarray,
    t_mix: np.ndarray,
    t_full: np.ndarray,
    ride: np.ndarray,
    t_dec_graphed: np.ndarray,
) -> PrefillStepCosts:
    """``(c, E_p)``: seconds per prompt token in a large prefill step (the step time's slope
    between the mean chunk and the full budget) and the fixed extra of a step that carries
    any prefill over the mean decode step (the rest of ``t_mix − t_dec``: no CUDA graph, the
    prefill kernels' launch). Where the step time grows faster than in proportion
    (attention, the eager launches), the slope is the mean chunk's average: the line
    ``E_p + c·x`` always passes through the mean prefill-carrying step, ``t_mix``.

    A prefill-carrying step always runs eagerly, the decode-only steps only past the largest
    captured CUDA graph. The average is read against the decode step replayed from a graph
    (``t_dec_graphed``), so that ``c`` does not depend on how many decode steps run eagerly:
    their launches come off ``E_p``, which can then fall below 0 (a prefill-carrying step is
    still never shorter than the graphed decode step: ``c ≤`` the average). Read against the
    mean decode step, ``c`` fell as the eager share rose with the load, and with it the step
    cycle's wait, faster than the service grew: Mixtral 8x7B on 4× H100's TTFT p99 fell
    0.5 % as the rate rose 39.3 → 39.65 requests/s. Keeping ``E_p ≥ 0`` instead priced the
    mean prefill-carrying step above ``t_mix`` (every decode step eager, Llama 3.1 8B on an
    H100 at 4 requests/s: TTFT p50 +11 % of the simulated, +1 % now). ``chunk``: the mean
    prefill-carrying step's prompt tokens; ``t_full``: a budget-full prefill step's seconds
    (``ride`` included), ``t_mix − t_dec + ride`` the mean chunk's."""
    chunk = np.maximum(chunk, 1.0)
    room = budget - chunk
    average = np.maximum(t_mix - t_dec_graphed, 0.0) / chunk
    slope = np.where(
        room > 0.01 * budget,
        (t_full - (t_mix - t_dec + ride)) / np.maximum(room, 1.0),
        average,
    )
    per_token = clamp(slope, 0.0, average)
    return PrefillStepCosts(per_token, t_mix - t_dec - per_token * chunk)


#: Least chance, per prefill batch, that a chain of them ends (:func:`chained_decode_cycle_s`).
MIN_CHAIN_END_CHANCE = 1e-13
#: Most prefill batches a chain is priced with. A chain admits its prompts into the running
#: batch, which nothing leaves while the decoders wait, so the largest batch ends the longest
#: chains; priced by the slots left free, the cycle fell as the load rose toward the largest
#: batch (826 falls of TPOT or E2E in `bench/perf_monotonicity.py --engine sglang`), so a
#: chain is cut at a length instead (the simulated chains of phi-4 on 8× MI355X at 117
#: requests/s ran 14.5 batches, priced 16.7). At 20, the 25 SGLang loads of `bench/sim_census.py
#: --points 400 --loads poisson --by chain` whose batches chain came within 0.49-2.0× of the
#: simulated TPOT p50 in session 63 (1.3-18× priced as one prefill batch per decode step);
#: near the running-request cap, which ends chains sooner, the TPOT is over-predicted.
MAX_CHAIN_BATCHES = 20.0


def frontend_s(inp: FluidInputs) -> np.ndarray:
    """Seconds the API servers take per request, side by side (0 for an in-process
    benchmark)."""
    return np.asarray(
        np.where(inp.served, inp.eff.frontend_s_per_request / inp.api_servers, 0.0), dtype=float
    )


def no_arrival_chance(
    rate: np.ndarray | float, window_s: np.ndarray, frontend_s: np.ndarray
) -> np.ndarray:
    """The chance that no request reaches the engine during ``window_s`` from a random time,
    for Poisson arrivals at ``rate`` passed on by an API server that takes ``frontend_s`` a
    request, one at a time (0: none). The server passes them on ``f`` apart while busy (a
    share ``ρ = λ·f`` of them) and a free one after an exponential wait: the gap ``X`` is
    ``f``, plus ``Exp(λ)`` with chance ``1 − ρ``, and the forward wait ``R`` from a random
    time has ``P(R > w) = λ∫_w^∞ P(X > x) dx``: ``1 − λw`` below ``f``, ``(1 − ρ)·
    e^(−λ(w − f))`` beyond (``e^(−λw)`` without a server)."""
    lam = np.asarray(rate, dtype=float)
    f = np.asarray(frontend_s, dtype=float)
    busy = np.minimum(lam * f, 1.0)
    beyond = (1.0 - busy) * np.exp(-lam * np.maximum(window_s - f, 0.0))
    return np.asarray(np.where(window_s >= f, beyond, 1.0 - lam * window_s), dtype=float)


def chain_arrivals(
    rate: np.ndarray | float, extra_s: np.ndarray, prompt_s: np.ndarray
) -> np.ndarray:
    """Prompts arriving, at ``rate`` a second, during one prefill batch of a chain, ``n̄ =
    λ·E_p/(1 − λ·s)``: the batch of ``n̄`` prompts lasts ``E_p + n̄·s`` (``extra_s``,
    ``prompt_s``: :func:`prefill_step_costs`' fixed extra, and its slope times the prompt).
    ``inf`` where the prompts alone take all of the engine's time."""
    lam = np.asarray(rate, dtype=float)
    own = lam * prompt_s
    extra = lam * np.maximum(extra_s, 0.0)
    return np.asarray(np.where(own < 1.0, extra / np.maximum(1.0 - own, 1e-12), np.inf))


class PrefillChain(NamedTuple):
    """An engine's chains of prefill batches (:func:`chained_decode_cycle_s`), per scenario."""

    #: Seconds per decode step, the chain after it included.
    cycle_s: np.ndarray
    #: The chance a decode step starts a chain, one batch's seconds, and a chain's mean
    #: length in batches.
    start: np.ndarray
    batch_s: np.ndarray
    length: np.ndarray


def chained_decode_cycle_s(
    rate: np.ndarray | float,
    t_dec: np.ndarray,
    batch_s: Callable[[np.ndarray], np.ndarray],
    frontend_s: np.ndarray,
    arrival_cv: np.ndarray | float = 1.0,
) -> PrefillChain:
    """Seconds per decode step, and the chance a decode step is followed by prefill, of an
    engine that runs every waiting prompt before its next decode step (separate prefill
    batches: SGLang) under arrivals at ``rate`` a second: the decode step ``t_dec`` and the
    chain of prefill batches after it. A batch of ``n`` prompts lasts ``batch_s(n)``, the
    prompts that arrive meanwhile make the next batch, and the chain ends at a batch that
    sees none arrive (:func:`no_arrival_chance` ``P₀``, behind the API server that takes
    ``frontend_s`` a request). Every batch holds at least one prompt: the first those of a
    decode step (``n₁ = a/(1 − e^(−a))``, ``a = λ·t_dec``), the second those of the first,
    and the later ones are priced as the second (``T₁``, ``T₂`` seconds), so a chain lasts
    ``L = 1 + (1 − P₀(T₁))/P₀(T₂)`` batches: within 2 % of the chain of batch sizes solved
    exactly (each Poisson in the last one's length, absorbed at none) from a 5.6-batch chain
    of 256-token prompts to 2-batch chains of 4,000-token ones, whose first batch alone
    outlasts the mean gap between arrivals (``e^n̄`` at the settled ``n̄ = λ·E_p/(1 −
    λ·s)``, priced in session 63, gave them 1.04). A decode step starts a chain with chance
    ``p = 1 − P₀(t_dec)``, so the decoders step every ``t_dec + p·(T₁ + (L − 1)·T₂)``
    seconds, a chain at most :data:`MAX_CHAIN_BATCHES` long. Phi-4 on 8× MI355X, 256/16-token
    requests at 117 requests/s (batches of ``10.5 + 2.25·n`` ms): with Poisson arrivals at
    the engine, chains of 5.6 batches, 2.6 per decode step and a decode step every 44 ms
    (simulated 2.3 and 40 ms: the simulation's largest batch ends some chains); behind the
    fitted SGLang server (7.3 ms a request, 85 % busy), chains of 16.7 batches (simulated
    14.5)."""
    lam = np.asarray(rate, dtype=float)
    # The first batch holds what arrived during the decode step, the second what arrived
    # during the first, each at least one prompt; the later ones are priced as the second.
    cv = np.asarray(arrival_cv, dtype=float)
    first_s = batch_s(_at_least_one(lam * t_dec))
    later_s = batch_s(_at_least_one(lam * first_s))

    def none_in(window: np.ndarray, after_arrivals: bool) -> np.ndarray:
        clustered = _clustered_no_arrival_factor(lam * window, cv, after_arrivals)
        return np.asarray(np.minimum(no_arrival_chance(lam, window, frontend_s) * clustered, 1.0))

    end = np.maximum(none_in(later_s, True), MIN_CHAIN_END_CHANCE)
    goes_on = 1.0 - none_in(first_s, True)
    length = np.minimum(1.0 + goes_on / end, MAX_CHAIN_BATCHES)
    start = 1.0 - none_in(t_dec, False)
    chain_s = first_s + (length - 1.0) * later_s
    cycle = np.asarray(t_dec + start * chain_s, dtype=float)
    return PrefillChain(cycle, start, np.asarray(chain_s / length, dtype=float), length)


#: Where a prefill batch of a chain starts between the arrivals that made it and an arbitrary
#: time, for clustered arrivals (gamma, CV > 1): the chance that none arrives during it is
#: priced this share of the way from a window after an arrival (``P(A > w)``, the next of a
#: cluster likely near) to one from an arbitrary time (the renewal's empty window)
#: (estimated: 64/16-token SGLang requests on an H100 at 10-80 requests/s, CV 1.5 and 2,
#: TPOT p50 within 6 % and E2E p50 within 8 % of the simulated; from an arbitrary time the
#: chains came out short, ITL p99 25-35 % under, and after an arrival long, TPOT p50 up to
#: 32 % over).
CLUSTERED_CHAIN_EPOCH_SHARE = 0.5


def _clustered_no_arrival_factor(
    expected: np.ndarray, arrival_cv: np.ndarray, after_arrivals: bool
) -> np.ndarray:
    """How much likelier a window of ``expected`` arrivals is to see none under clustered
    (gamma, CV > 1) arrivals than under Poisson ones: from an arbitrary time (a decode
    step's window) the renewal's empty window (``renewal_counts.empty_window_probability``),
    and for a batch that prompts started, :data:`CLUSTERED_CHAIN_EPOCH_SHARE` of the way
    to the chance that the next arrival is later than the window, ``P(A > w) = 1 − P(k,
    k·λw)`` for gamma gaps of shape ``k = 1/CV²``. 1 for Poisson or smoother arrivals."""
    m = np.maximum(np.asarray(expected, dtype=float), 0.0)
    cv = np.broadcast_to(arrival_cv, np.shape(m))
    if not any_true(cv > 1.0):
        return np.ones(np.shape(m))
    clustered = empty_window_probability(m, cv)
    if after_arrivals:
        shape = 1.0 / np.maximum(cv, 1.0) ** 2
        next_later = 1.0 - regularized_lower_gamma(shape, shape * m)
        share = CLUSTERED_CHAIN_EPOCH_SHARE
        clustered = share * next_later + (1.0 - share) * clustered
    poisson = np.exp(-m)
    return np.asarray(np.where(cv > 1.0, clustered / np.maximum(poisson, 1e-300), 1.0))


def _prefill_chain(
    inp: FluidInputs,
    rate: np.ndarray,
    t_dec: np.ndarray,
    prompt: np.ndarray,
    budget: np.ndarray,
) -> PrefillChain:
    """:func:`chained_decode_cycle_s` at ``rate``, each batch of ``n`` prompts priced alone at
    its ``n·I`` tokens (at most the budget), so a batch is as long at every load as its
    prompts make it. Priced on the line through the mean prefill step of one batch per
    decode step, the batches moved with the running batch (their fixed extra 13.6 → 12.5 ms
    as 64-token prompts went from 42 to 86 requests/s on an H100) and an ITL quantile of so
    many batches fell 1 % as the load rose; on the line through one prompt's batch and a
    budget-full one, they came out longer than simulated (the mean gap between tokens +7 %
    at 60 requests/s, +3 % now)."""

    def batch_s(prompts: np.ndarray) -> np.ndarray:
        tokens = np.broadcast_to(np.minimum(prompts * prompt, budget), np.shape(budget))
        (alone,) = _prefill_alone_s(inp, tokens)
        return alone

    return chained_decode_cycle_s(rate, t_dec, batch_s, frontend_s(inp), inp.arrival_cv)


def chain_residual_s(batch_s: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The mean wait of a prompt prefilled in a chain of prefill batches for the rest of the
    chain (its second token comes after the decode step that ends it): ``(L − 1)`` batches,
    by the geometric length's lack of memory (a chain goes on after any batch with chance
    ``1 − 1/L``)."""
    return np.asarray(batch_s * np.maximum(length - 1.0, 0.0), dtype=float)


def _at_least_one(arrivals: np.ndarray) -> np.ndarray:
    """A Poisson count's mean given at least one, ``a/(1 − e^(−a))`` for a mean ``a`` (1 as
    ``a`` → 0)."""
    a = np.maximum(arrivals, 1e-9)
    return np.asarray(a / -np.expm1(-a), dtype=float)


def apart_chunk(
    inp: FluidInputs,
    mean_prefill: np.ndarray,
    budget: np.ndarray,
    view: RequestView,
    spans: np.ndarray,
) -> np.ndarray:
    """Mean prompt tokens of a prefill-carrying step when prompts arrive apart, ``m = N·P̄/I``
    of them per step (per group of ``N`` under multi-step scheduling). An open loop's prompts
    arrive independently: a Poisson count per step, so a share ``1 − e^(−m)`` of the steps
    carries any, ``m/(1 − e^(−m))`` prompts each (counted one a step, an open loop of 64-token
    prompts at ``m`` ≈ 0.5 had 1.3x the simulation's prefill-carrying steps, each with the
    fixed cost of a step that prefills: a larger running batch, TPOT p50 +66 % at 85 % of
    capacity, now +8 %). A fixed population's next prompts follow its own completions, nearly
    one a step (8 clients of 16-token answers: 0.42 of the simulated steps carry prefill at
    ``m`` = 0.44, Poisson would have 0.36): ``max(m, 1)``. At most the budget; a prompt past
    it takes ``spans = E[⌈I/budget⌉]`` steps (:func:`~predeploy.core.fluid_stats.
    expected_chunks`), its tokens spread over them (an 8,800-token prompt on an
    8,192-token budget: a budget-full step and its 608-token rest, 4,400 on average; priced
    as budget-full steps, the analytic TPOT p50 of such prompts was 5-11 % over the
    simulation's at 60-75 % of capacity, now within 3 %)."""
    prompt = prompt_tokens(inp)
    m = np.maximum(inp.scheduler_steps * mean_prefill / prompt, 1e-9)
    per_step = np.maximum(m, 1.0)
    if view.any_open_loop:
        # Arrivals smoother than Poisson (CV c < 1: an MLPerf harness dealing queries to its
        # instances in turn) clump less: the share of carrying steps blends from Poisson's
        # towards the regular min(m, 1) with c² (estimated; clustered ones priced as Poisson).
        weight = np.minimum(inp.arrival_cv**2, 1.0)
        share = weight * -np.expm1(-m) + (1.0 - weight) * np.minimum(m, 1.0)
        poisson = view.open_loop & ~np.asarray(inp.separate_prefill_batches, dtype=bool)
        per_step = np.where(poisson, m / share, per_step)
    # A prompt past the budget takes its ``spans`` steps, its tokens spread over them.
    return np.asarray(np.minimum(budget, prompt * per_step / spans), dtype=float)


def _prefill_alone_s(inp: FluidInputs, *chunks: np.ndarray) -> list[np.ndarray]:
    """Seconds of prefill batches of ``chunks`` prompt tokens with no decoder beside them."""
    zero = np.zeros_like(chunks[0])
    pairs = prefill_context_tokens(inp)
    return steps_s(inp, *((c, c * pairs, zero, zero) for c in chunks))


def completion_sync(inp: FluidInputs) -> np.ndarray:
    """How far a load's requests finish in step: ``exp(−SYNC_DECAY × CV(output))`` for the
    loads that start requests together (1 for alike answers), 0 for an open loop."""
    return inp.sync


def kv_growth_deficit(
    inp: FluidInputs, batch: np.ndarray, prompt: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """Prompt tokens recomputed per step by a running batch of ``B`` that fills the KV cache
    of an engine that grows it on demand. Each step the batch grows by ``B`` tokens, which
    the scheduler takes first from what the step's completions freed (a whole context, ``I +
    O``, each); what they leave short it takes by preempting (vLLM) or retracting (SGLang)
    running requests, whose contexts are computed again. Requests that finish independently
    (an open loop's, or dispersed answers) complete as a Poisson stream of ``B/O`` per step
    and leave a share ``E[(1 − K/m)⁺]`` of the growth short, ``m = B/(I + O)`` the
    completions a step's growth needs: small once several finish per step. Alike answers
    that started together finish in cohorts and leave the steps between short: all of it.
    Blended by :func:`completion_sync`, the short share costs
    :data:`KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN` prompt tokens per output token."""
    sync = completion_sync(inp)
    independent: np.ndarray | float = 0.0
    if any_true(sync < 1.0):
        completions = batch / out
        needed = np.maximum(batch / (held_prompt_tokens(inp, prompt) + out), 1e-9)
        probability = poisson_pmf(completions, MAX_PROMPTS_PER_CYCLE + 1)
        short = np.maximum(1.0 - _COMPLETION_COUNTS / needed[..., None], 0.0)
        independent = (probability * short).sum(axis=-1)
    share = sync + (1.0 - sync) * independent
    return np.asarray(KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN * batch * share, dtype=float)


_COMPLETION_COUNTS = np.arange(MAX_PROMPTS_PER_CYCLE + 1, dtype=float)


def prefill_context_tokens(inp: FluidInputs) -> np.ndarray:
    """Cached tokens a prompt token attends to on average in the steady state's prefill steps:
    token ``j`` of an ``x``-token prompt attends to ``j`` earlier ones, ``x²/2`` pairs per
    prompt, so per prompt token ``E[x²] / (2 E[x]) = I (1 + cv²) / 2`` over lognormal lengths
    (long prompts bring more tokens, each attending further back; ``I/2`` for fixed lengths).
    The full-budget step (``full_prefill_s_per_token``) stays at ``I/2``: the Kingman service
    time adds each prompt's own quadratic term to it (``core.fluid_queueing``)."""
    return inp.prefill_context


#: Least share of the token budget left to prefill chunks however many decoders run (a
#: modelling floor, estimated: the budget is what decoders leave, but a prompt always advances).
MIN_PREFILL_BUDGET_SHARE = 0.25


def prefill_budget(inp: FluidInputs, batch: np.ndarray, prompt: np.ndarray) -> np.ndarray:
    """Prompt tokens one step can prefill at ``batch`` running sequences: with chunked prefill
    what the other ``B − 1`` decoders leave of ``max_num_batched_tokens`` (the request being
    prefilled decodes nothing: one client of llama.cpp's 512-token micro-batches had its
    512-token prompt split in two steps and its capacity below its own rate; at least
    :data:`MIN_PREFILL_BUDGET_SHARE` of it; all of it for separate prefill batches, which no
    decoder shares); without, the whole prompt at once."""
    budget_tokens = inp.max_num_batched_tokens
    shared = np.where(
        inp.separate_prefill_batches,
        budget_tokens,
        np.maximum(
            budget_tokens - np.maximum(batch - 1.0, 0.0), MIN_PREFILL_BUDGET_SHARE * budget_tokens
        ),
    )
    return np.asarray(
        np.where(inp.chunked_prefill, shared, np.maximum(budget_tokens, prompt)),
        dtype=float,
    )


def kv_batch_limit(inp: FluidInputs) -> np.ndarray:
    """Running sequences the KV cache holds: the prompt and half the running batch's output
    each (``batch_output``, :func:`running_output`), or the whole output where the engine
    reserves it at admission."""
    return inp.kv_batch


def _kv_batch_limit(inp: FluidInputs) -> np.ndarray:
    prompt = held_prompt_tokens(inp)
    out = np.maximum(inp.output_tokens, 1.0)
    context = np.where(
        inp.reserve_full_context, prompt + out, decode_context(prompt, inp.batch_output)
    )
    limit = inp.kv_capacity_tokens / context
    # A finite run whose requests all fit at once, their answers' growth included, runs them
    # all: the steady state's limit never binds.
    limit = np.where(_whole_run_fits(inp, prompt, out), np.maximum(limit, inp.num_prompts), limit)
    # Reserved whole and all alike, the contexts fit a whole number of times: 1.77 contexts
    # of 32k tokens run one request at a time (GPUStack's TensorRT-LLM burst of Qwen3-32B on
    # an A100: TPOT 47 ms measured, priced 217 with the next prompt's prefill beside it).
    alike = inp.reserve_full_context & (inp.prompt_cv == 0.0) & (inp.output_cv == 0.0)
    return np.asarray(np.where(alike, np.maximum(np.floor(limit + 1e-9), 1.0), limit), dtype=float)


def running_context_variance(inp: FluidInputs) -> np.ndarray:
    """Variance (tokens²) of a running request's context: its prompt's, and its output's so
    far (at a uniform point of its decoding: ``E[g²] = E[O²]/3``), or the whole output's
    where the engine reserves it at admission."""
    prompt, out = prompt_tokens(inp), np.maximum(inp.output_tokens, 1.0)
    out_second = out**2 * (1.0 + inp.output_cv**2)
    prompt_var = (prompt * inp.prompt_cv) ** 2
    return np.asarray(
        prompt_var
        + np.where(inp.reserve_full_context, out_second - out**2, out_second / 3.0 - out**2 / 4.0),
        dtype=float,
    )


#: Standard deviations below the KV cache's mean count of contexts at which a closed loop's
#: clients and one more context all fit (:func:`closed_loop_batch`: the shortfall is then
#: below 1e-15 of a client, and no whole-context count is priced).
KV_SHORTFALL_NEGLIGIBLE_Z = -8.0


def closed_loop_batch(
    inp: FluidInputs, b_max: np.ndarray, context_variance: np.ndarray | None = None
) -> np.ndarray:
    """Clients a closed loop runs at once: ``min(c, B_max)`` where the slots or the token budget
    bind; where the KV cache binds, ``E[min(c', N)]`` over the number ``N`` of whole running
    contexts the cache holds (``c'`` the clients within the other limits;
    :func:`~predeploy.core.occupancy.expected_whole_fits`): ``⌊C/m⌋`` for alike contexts, a
    renewal count for varied ones, about ``C/m + (cv² − 1)/2`` on average. 8 clients of
    30k-token prompts (CV 0.5) on 2× H100, whose cache holds 7.9 such contexts' worth of
    tokens, run 7.16 at once (simulated 7.19; 7.9 as the mean, 7.39 as a normal count of that
    mean); clients well inside the cache all run. ``context_variance``:
    :func:`running_context_variance` of ``inp``, when the caller has it."""
    cap = np.minimum(
        np.minimum(inp.concurrency, inp.max_num_seqs), np.maximum(token_batch_limit(inp), 1.0)
    )
    fit = kv_batch_limit(inp)
    context = inp.kv_capacity_tokens / np.maximum(fit, 1e-12)
    if context_variance is None:
        context_variance = running_context_variance(inp)
    sigma = np.sqrt(np.maximum(fit * context_variance / context**2, 1e-12))
    # Every client fits with room for one more context: no shortfall to count.
    within = (cap + 1.0 - fit) / sigma <= KV_SHORTFALL_NEGLIGIBLE_Z
    running = cap
    rows = np.flatnonzero(~within)
    if rows.size:
        running = cap.copy()
        running[rows] = expected_whole_fits(
            cap[rows], inp.kv_capacity_tokens[rows], context[rows], context_variance[rows]
        )
    return np.asarray(np.maximum(np.minimum(running, b_max), 1.0), dtype=float)


def running_output(inp: FluidInputs) -> np.ndarray:
    """Mean output (tokens) of the requests a running batch holds. Where finished requests
    are replaced, each answer stays in proportion to its length: the size-biased mean
    ``output_running`` (``E[O²]/E[O]``), so dispersed answers fill a cache that grows on
    demand with fewer requests, and each step reads longer contexts, than their mean
    suggests. A finite run's first wave starts together, sampled at its mean: of ``N``
    requests only the ``N − W`` after the first wave of ``W`` (the slots and the KV cache
    at the mean) replace others. A static batch replaces none.

    A burst (or offline run of stated length) of dispersed answers that refills its slots
    from its queue never reaches that steady state: its slots start together and the long
    answers that weigh most in it take longest to arrive (:func:`started_run_output`). A
    closed loop's growing cache is priced by its own age curve
    (``fluid_load.closed_loop_slot_wait_s``)."""
    out = np.maximum(inp.output_tokens, 1.0)
    biased = np.maximum(inp.output_running, out)
    prompt = held_prompt_tokens(inp)
    wave = np.minimum(inp.max_num_seqs, inp.kv_capacity_tokens / decode_context(prompt, out))
    wave = np.where(inp.load_kind == CLOSED_LOOP, np.minimum(wave, inp.concurrency), wave)
    replaced = clamp(1.0 - wave / np.maximum(inp.num_prompts, 1.0), 0.0, 1.0)
    replaced = np.where(inp.load_kind == STATIC_BATCH, 0.0, replaced)
    held = np.asarray(out + (biased - out) * replaced, dtype=float)
    started = started_run(inp) & (inp.output_cv > 0.0) & (replaced > 0.0)
    for r in np.flatnonzero(started):
        held[r] = started_run_output(
            float(prompt[r]),
            float(out[r]),
            (
                float(inp.output_quantile_mean[r]),
                float(inp.output_quantile_cv[r]),
                float(inp.output_max[r]),
            ),
            float(biased[r]),
            float(inp.num_prompts[r]),
            float(inp.max_num_seqs[r]),
            float(inp.kv_capacity_tokens[r]),
        )
    return held


#: Fixed-point iterations of :func:`started_run_output` (its wave and its run's length): three
#: bring GPUStack-like ShareGPT bursts (1,000-2,000 prompts, 256-1,024 slots, caches of 60k-300k
#: tokens) within 0.6 % of the converged running output (twenty iterations).
STARTED_RUN_ITERATIONS = 3


def started_run_output(
    prompt: float,
    mean: float,
    law: tuple[float, float, float],
    biased: float,
    num_prompts: float,
    max_num_seqs: float,
    kv_capacity_tokens: float,
) -> float:
    """Mean output (tokens, as :func:`running_output` counts it: twice the mean age) of the
    requests a finite run of ``N`` dispersed answers holds while its ``W`` slots refill from
    its queue. Each slot is a renewal process of answers started at 0, so the age it holds is
    the run's mean of :func:`~predeploy.core.lengths.started_run_age_share` over the ``N/W``
    answers of mean ``O`` each slot decodes (``N·O/W`` steps; ``law``: the answers'
    log-normal, its mean and CV before its cut, and the cut), of the steady state's
    ``E[O²]/E[O]``; the wave ``W`` is what the slots and the KV cache hold with contexts of
    that age (a fixed point). The simulation of GPUStack's 1,000-prompt ShareGPT bursts of
    gpt-oss-120b on one A100 runs 254 requests mid-run, its cache not full (capped by
    ``max_num_seqs`` 256), where the steady state's mean (202 running) had it full."""
    wave = min(max_num_seqs, kv_capacity_tokens / float(decode_context(prompt, mean)))
    for _ in range(STARTED_RUN_ITERATIONS):
        steps = num_prompts / max(wave, 1.0) * mean
        held = biased * run_mean_age_share(*law, steps)
        wave = min(max_num_seqs, kv_capacity_tokens / float(decode_context(prompt, held)))
    return held


def started_run(inp: FluidInputs) -> np.ndarray:
    """Finite runs whose requests are all waiting from the start: bursts, and offline runs of
    a stated number of prompts."""
    return np.asarray(
        ((inp.load_kind == BURST) | (inp.load_kind == MAX_THROUGHPUT))
        & np.isfinite(inp.num_prompts),
        dtype=bool,
    )


def _whole_run_fits(inp: FluidInputs, prompt: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Finite runs of dispersed answers whose ``N`` requests the KV cache holds all at once,
    at the fullest of a wave started together (:func:`~predeploy.core.lengths.
    wave_peak_context`), on an engine that admits a prompt as soon as its blocks fit and
    grows the cache on demand (vLLM): it runs them all. The steady state's limit had made
    two waves of GPUStack's 1,000-prompt ShareGPT burst of Qwen3-14B on an H100 (951 of 1,000
    held): throughput 0.68 of the simulation, which runs all 1,000 (the cache 75 % full at
    most)."""
    candidates = np.asarray(
        started_run(inp)
        & (inp.output_cv > 0.0)
        & ~inp.reserve_full_context
        & ~np.asarray(inp.separate_prefill_batches, dtype=bool),
        dtype=bool,
    )
    if not any_true(candidates):
        return candidates
    peak = wave_peak_context(
        prompt, inp.output_quantile_mean, inp.output_quantile_cv, inp.output_max
    )
    return np.asarray(candidates & (inp.num_prompts * peak <= inp.kv_capacity_tokens), dtype=bool)


def slot_batch_limit(inp: FluidInputs) -> np.ndarray:
    """Running sequences the slots and the KV cache allow (at least one)."""
    return np.asarray(np.maximum(np.minimum(inp.max_num_seqs, kv_batch_limit(inp)), 1.0))


def max_batch(inp: FluidInputs) -> np.ndarray:
    """``B_max``: running sequences the slots, the KV cache and the token budget allow."""
    return inp.b_max


def _max_batch(inp: FluidInputs) -> np.ndarray:
    return np.asarray(
        np.maximum(np.minimum(slot_batch_limit(inp), token_batch_limit(inp)), 1.0), dtype=float
    )


def token_batch_limit(inp: FluidInputs) -> np.ndarray:
    """Running sequences the token budget keeps fed: each brings its prompt once over its
    lifetime of ``O`` decode tokens, ``M·O/(I + O)``."""
    prompt = prompt_tokens(inp)
    out = np.maximum(inp.output_tokens, 1.0)
    return np.asarray(inp.max_num_batched_tokens * out / (prompt + out), dtype=float)


class _SlotParts(NamedTuple):
    """What :func:`_slot_time` prices a batch's slot from (per batch and scenario)."""

    prompt: np.ndarray
    budget: np.ndarray
    #: Steps a prompt takes through the budget (``fluid_stats.expected_chunks``).
    steps: np.ndarray
    chunk: np.ndarray
    share: np.ndarray
    t_dec: np.ndarray
    t_mix: np.ndarray
    own: np.ndarray

    def slot_s(self, inp: FluidInputs, cycle: np.ndarray) -> np.ndarray:
        """The slot time at a decode cycle of ``cycle`` seconds."""
        return np.asarray(self.steps * self.own + decode_step_count(inp) * cycle, dtype=float)

    def cycle_s(self) -> np.ndarray:
        """The decode cycle with one prefill batch per decode step."""
        return np.asarray(self.share * self.t_mix + (1.0 - self.share) * self.t_dec)


def _slot_parts(inp: FluidInputs, batch: np.ndarray, view: RequestView) -> _SlotParts:
    """``steady_state(inp, batch)``'s step times and shares that its slot time needs."""
    prompt = prompt_tokens(inp)
    out = np.maximum(inp.output_tokens, 1.0)
    budget = prefill_budget(inp, batch, prompt)
    seen, others = _request_view(view, batch)
    mean_prefill = others * prompt / out
    steps = expected_chunks(prompt, budget, inp.prompt_cv)
    chunk = apart_chunk(inp, mean_prefill, budget, view, steps)
    share = clamp(mean_prefill / chunk, 0.0, 1.0)
    kv = seen * decode_context(prompt, inp.batch_output)
    zero = np.zeros(batch.shape)
    pairs = chunk * prefill_context_tokens(inp)
    t_dec, t_mix = steps_s(inp, (zero, zero, seen, kv), (chunk, pairs, seen, kv))
    own = t_mix
    separate = np.asarray(inp.separate_prefill_batches, dtype=bool)
    if any_true(separate):
        (alone,) = _prefill_alone_s(inp, chunk)
        t_mix = np.where(separate, alone + t_dec, t_mix)
        own = np.where(separate, alone, own)
    return _SlotParts(prompt, budget, steps, chunk, share, t_dec, t_mix, own)


def _slot_time(inp: FluidInputs, batch: np.ndarray, view: RequestView) -> np.ndarray:
    """``steady_state(inp, batch).slot_time`` with only the step times it needs."""
    parts = _slot_parts(inp, batch, view)
    return parts.slot_s(inp, parts.cycle_s())


def _chained_slot_time(inp: FluidInputs, parts: _SlotParts, chain_rate: np.ndarray) -> np.ndarray:
    """``steady_state(inp, batch, chain_rate=chain_rate).slot_time`` from the batch's
    :func:`_slot_parts`: an engine with separate prefill batches chains them at
    ``chain_rate`` (:func:`chained_decode_cycle_s`)."""
    cycle = parts.cycle_s()
    chained = np.asarray(inp.separate_prefill_batches, dtype=bool) & (chain_rate > 0.0)
    chain = _prefill_chain(inp, chain_rate, parts.t_dec, parts.prompt, parts.budget)
    residual = np.where(chained, chain_residual_s(chain.batch_s, chain.length), 0.0)
    return parts.slot_s(inp, np.where(chained, chain.cycle_s, cycle)) + residual


#: Batches priced at once (one vectorised call) on which the open-loop operating batch is
#: solved. The residual ``λ·slot_time(B) − B`` is nearly linear in ``B``, so interpolating it
#: linearly inside the bracketing cell (1/128 of ``B_max``) leaves a relative error below
#: 2e-4 on every open-loop calibration scenario (median 1e-6) against an exact root finder,
#: at the cost of one vectorised call instead of five.
OPEN_LOOP_GRID_POINTS = 129


_OPEN_LOOP_UNIT_GRID = np.linspace(0.0, 1.0, OPEN_LOOP_GRID_POINTS)[:, None]
_OPEN_LOOP_UNIT_GRID.setflags(write=False)


def finite_run_batch(steady_batch: np.ndarray, num_prompts: np.ndarray) -> np.ndarray:
    """The running batch a request of a finite open loop meets on average, for the batch
    ``b = λ·τ`` an open-ended one would run (``τ`` a request's lifetime): ``N`` requests
    arrive over ``T = N/λ`` and each overlaps those that arrive within ``τ`` of it, so the
    mean over requests of the others in flight is ``(λ/T)∬(τ − |t − u|)⁺ dt du / τ``:
    ``b·(1 − y/3)`` for ``y = b/N ≤ 1`` (the run outlasts a lifetime: only its first and last
    lifetimes run short of ``b``) and ``N·(1 − 1/(3y))`` beyond (every request overlaps
    most of the run, up to all ``N`` when they arrive together). ``b`` for ``N = ∞``."""
    y = steady_batch / np.maximum(num_prompts, 1.0)
    beyond = np.maximum(y, 1.0)
    share = np.where(y <= 1.0, 1.0 - y / 3.0, 1.0 / beyond - 1.0 / (3.0 * beyond * beyond))
    return np.asarray(steady_batch * share, dtype=float)


#: Share of the predicted capacity at which an open-ended open loop offered more is priced.
#: Such a run has no steady state, yet every measured one was steady and every planned one
#: must be: when the rate is above the predicted capacity, the capacity is what is off, and
#: the run is priced at the edge of it (its batch below ``B_max``, where the throughput curve
#: is flat and the batch, and with it each step, grows fastest with the load), not at
#: ``B_max``. The overload caveat still says the rate exceeds the predicted capacity, and the
#: planner never sizes a replica above ``1 − headroom`` of it. 0.97 is the open loop's queueing
#: limit too (``fluid_queueing.MAX_STOCHASTIC_UTILISATION``); 0.95 and 0.90 scored worse in
#: sample. Held out by source, 0.97 against pricing at ``B_max``: 20.2 → 18.3 % (MLPerf's E2E
#: 22.1 → 16.5 %; docs/perf-validation.md, session 54).
SUSTAINED_LOAD_SHARE = 0.97


class OpenLoopSolution(NamedTuple):
    """An open loop's operating batch (:func:`solve_open_loop`), per scenario."""

    #: The running batch, the chains of prefill batches included.
    batch: np.ndarray
    #: The running batch one prefill batch per decode step gives (``batch`` where nothing
    #: chains).
    unchained_batch: np.ndarray
    #: Requests per second at which the prefill batches chain (0 where none chain).
    chain_rate_rps: np.ndarray


def solve_open_loop_batch(
    inp: FluidInputs, rate: np.ndarray, b_max: np.ndarray, view: RequestView | None = None
) -> np.ndarray:
    """The batch of :func:`solve_open_loop` (its docstring)."""
    return solve_open_loop(inp, rate, b_max, view).batch


def solve_open_loop(
    inp: FluidInputs, rate: np.ndarray, b_max: np.ndarray, view: RequestView | None = None
) -> OpenLoopSolution:
    """Batch ``B`` with ``B = λ·slot_time(B)`` on [0, B_max]: for a run of ``N`` stated
    prompts ``B = finite_run_batch(λ·slot_time(B), N)`` (B_max when the load exceeds
    capacity; below it however high the rate when ``N`` is small), for an open-ended run at
    ``λ`` no higher than :data:`SUSTAINED_LOAD_SHARE` of the capacity ``μ = B_max /
    slot_time(B_max)``; the smallest root of the residual interpolated linearly between
    :data:`OPEN_LOOP_GRID_POINTS` batches priced in one call.

    Each grid point's residual grows with ``λ`` (and falls with faster hardware), so the root
    of the interpolant moves monotonically with the load, exactly like the true root. An
    engine with separate prefill batches chains them at ``λ`` (:func:`chained_decode_cycle_s`).

    The rate the prefill batches chain at is ``λ`` or the edge of capacity, 0 where none
    chain: other engines, and runs the engine cannot keep up with, whose prompts wait."""
    open_rows = np.flatnonzero(rate > 0)
    if open_rows.size < rate.size:
        # Only the open loops are solved (batches mix load kinds).
        out = np.asarray(np.maximum(b_max, 1e-3), dtype=float)
        unchained, chain_rate = out.copy(), np.zeros(rate.shape)
        if open_rows.size:
            solved = solve_open_loop(take_rows(inp, open_rows), rate[open_rows], b_max[open_rows])
            out[open_rows] = solved.batch
            unchained[open_rows] = solved.unchained_batch
            chain_rate[open_rows] = solved.chain_rate_rps
        return OpenLoopSolution(out, unchained, chain_rate)
    floor = 1e-3
    top = np.maximum(b_max, floor)
    grid = floor + (top - floor) * _OPEN_LOOP_UNIT_GRID
    view = view or RequestView.of(inp)
    parts = _slot_parts(inp, grid, view)
    slot = parts.slot_s(inp, parts.cycle_s())
    # An open-ended run is steady only below capacity: offered more, it runs at the edge.
    capacity = top / slot[-1]
    sustained = np.minimum(rate, SUSTAINED_LOAD_SHARE * capacity)
    rate = np.where(np.isfinite(inp.num_prompts), rate, sustained)
    batch = _open_loop_root(inp, grid, slot, rate, b_max, floor)
    # A run the engine cannot keep up with (offered more than its capacity, or a short one
    # that its largest batch does not reach) has prompts waiting: each prefill batch takes
    # what the decode step before it freed, and nothing chains.
    chains = (
        np.asarray(inp.separate_prefill_batches, dtype=bool)
        & (inp.load_kind == OPEN_LOOP)
        & (batch < b_max * (1.0 - 1e-9))
        & (rate < capacity)
    )
    chain_rate = np.where(chains, rate, 0.0)
    if not any_true(chains):
        return OpenLoopSolution(batch, batch, chain_rate)
    chained_slot = _chained_slot_time(inp, parts, chain_rate)
    chained = _open_loop_root(inp, grid, chained_slot, rate, b_max, floor)
    return OpenLoopSolution(np.where(chains, chained, batch), batch, chain_rate)


def _open_loop_root(
    inp: FluidInputs,
    grid: np.ndarray,
    slot: np.ndarray,
    rate: np.ndarray,
    b_max: np.ndarray,
    floor: float,
) -> np.ndarray:
    """The smallest root of ``B = λ·slot_time(B)`` (:func:`solve_open_loop`) on the grid."""
    offered = rate * slot
    residual = finite_run_batch(offered, inp.num_prompts) - grid
    saturated = residual[-1] >= 0
    # First grid batch where the residual turns non-positive (the last cell when saturated).
    upper = np.maximum(np.where(saturated, grid.shape[0] - 1, np.argmax(residual <= 0, axis=0)), 1)
    cols = np.arange(grid.shape[1])
    a, fa = grid[upper - 1, cols], residual[upper - 1, cols]
    b, fb = grid[upper, cols], residual[upper, cols]
    root = a + fa * (b - a) / np.where(fa > fb, fa - fb, 1.0)
    root = np.maximum(np.where(residual[0] <= 0, floor, root), floor)
    return np.asarray(np.where(saturated | (rate <= 0), b_max, root), dtype=float)


def front_paced_batch(inp: FluidInputs, rate: np.ndarray, b_max: np.ndarray) -> np.ndarray:
    """The batch a closed loop holds when its API server paces it (per scenario; ``inf``
    where it does not): the server takes one request per ``f`` seconds, so where ``1/f``
    (``rate``; ``inf`` for rows left alone) is below the engine's capacity ``B_max /
    slot_time(B_max)``, the clients' requests reach the engine at ``1/f`` and it holds the
    batch an arrival rate of ``1/f`` fills (:func:`solve_open_loop_batch`), however many
    clients wait at the server (:func:`~predeploy.core.fluid_ttft.front_end_cycle_wait_s`)."""
    paced = np.full(rate.shape, np.inf)
    top = np.maximum(b_max, 1e-3)
    # No slot is shorter than its decode steps at the smallest step (the step time grows with
    # every input), so the engine's capacity is below ``B_max``, and the clients' demand below
    # ``c``, over that: a server that takes requests as fast as either paces no one.
    zero = np.zeros(rate.shape)
    shortest = decode_step_count(inp) * step_s(inp, zero, zero, np.ones(rate.shape), zero)
    server_rate = np.where(np.isfinite(rate), rate, 0.0)
    if not any_true(
        (server_rate > 0) & (server_rate * shortest < np.minimum(top, inp.concurrency))
    ):
        return paced
    alone, full = _slot_time(inp, np.array([np.ones_like(top), top]), RequestView.of(inp, top))
    # Paced where the server is slower than the engine and the clients, each request on its
    # own (the shortest lifetime), would outrun it.
    rows = np.flatnonzero(
        np.isfinite(rate) & (rate > 0) & (rate < top / full) & (inp.concurrency / alone > rate)
    )
    if rows.size == rate.size:
        return solve_open_loop_batch(inp, rate, top)
    if rows.size:
        paced[rows] = solve_open_loop_batch(take_rows(inp, rows), rate[rows], top[rows])
    return paced


def take_rows(inp: FluidInputs, rows: np.ndarray) -> FluidInputs:
    """The scenarios ``rows`` of ``inp`` (every per-scenario array indexed alike)."""
    taken = _take(inp, rows)
    assert isinstance(taken, FluidInputs)
    return taken


def _take(item: object, rows: np.ndarray) -> object:
    init_fields = [f for f in fields(item) if f.init]  # type: ignore[arg-type]
    values = {f.name: getattr(item, f.name) for f in init_fields}
    return type(item)(
        **{name: _take(v, rows) if is_dataclass(v) else v[rows] for name, v in values.items()}
    )


def single_stream(inp: FluidInputs) -> dict[str, np.ndarray]:
    """Batch-1 speeds (tokens/s): ``decode = 1 / t(0, 0, 1, I + O/2)``, ``prefill = I / Σ t``
    over ``⌈I / M⌉`` equal micro-batches (Σ chunk × (cached + chunk/2) = I²/2)."""
    prompt = prompt_tokens(inp)
    zero = np.zeros(prompt.shape)
    one = np.ones(prompt.shape)
    chunks = np.maximum(np.ceil(prompt / inp.max_num_batched_tokens - 1e-9), 1.0)
    size = prompt / chunks
    decode_s, chunk_s = steps_s(
        inp,
        (zero, zero, one, decode_context(prompt, inp.output_tokens)),
        (size, prompt * size / 2.0, zero, zero),
    )
    prefill_s = chunks * chunk_s
    return {
        "decode_tokens_per_s_single_stream": 1.0 / decode_s,
        "prefill_tokens_per_s_single_stream": prompt / prefill_s,
    }
