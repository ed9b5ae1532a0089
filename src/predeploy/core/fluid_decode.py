"""Decode-side metrics of the fluid serving model (see ``core.fluid``): TPOT per request
sample, the ITL mixture, and the end of a finite run.

**TPOT spread.** A request decoding ``n = O − 1`` tokens meets a prefill-carrying step with
probability ``f`` each step, so its TPOT is ``t̄`` with standard deviation
``√(f(1 − f)/n)·(t_mix − t_dec)`` (normal across the grid), never below ``t_dec``.

**Open-loop TPOT.** In an open loop those steps come in bursts, one per prompt prefilled while
the request decodes (``s = max(I / chunk, 1)`` steps each), and each burst stretches the
request's life by ``σ = s·(t_mix − t_dec)``, during which ``r = λ·σ`` more prompts arrive on
average, which stretch it further: the count ``K`` of bursts a request meets is a Poisson
cluster (Galton-Watson) count, Consul's generalized Poisson with mean ``n·f/s`` (the steady
state's) and variance ``1/(1 − r)²`` times larger than Poisson's. Served first come, first
served, the prompts that arrived while a request waited are prefilled while it decodes, so a
request whose TTFT ``T`` exceeds the average ``T̄`` expects ``λ·(T − T̄)`` more (TTFT and
TPOT correlate; the mean is kept). With long prompts at
moderate load (30k-token RAG prompts at 30-60 % of capacity: ``r`` ≈ 0.3-0.5, two to four
bursts per life) most requests meet fewer bursts than average and a few many more, so the
median TPOT is well below the mean and the tail long, as the simulation shows. Prompts
differ in length, so ``k ≥ 2`` bursts stretch a life by about ``k·σ``: the quantile spreads
evenly over ``(k ± ½)·σ`` inside each count; one burst costs anywhere from a sliver (it
straddles the start or the end of the request's decode) to ``1½·σ``, evenly over
``(0, 1½)·σ``, and the count rises to keep the steady state's mean (:func:`_stall_units`).
Every TPOT percentile is then continuous and non-decreasing in the load, with no jump from
none to one. Clustered (gamma) arrivals spread the count more: it is counted in groups of
``c`` (the arrival CV; a renewal process's count dispersion over a few
inter-arrival times lies between Poisson's and its long-run ``c²``). ``TPOT = t_dec + K·σ/n``
(:func:`_open_loop_tpot`). Prompts that fit a step merge instead: those that arrive during a
stall ride on the next step, which carries prefill anyway as often as a prompt arrives, so on
a piggy-backed engine a stall's fixed extra brings fewer bursts than ``r`` and a request's
``n`` steps pay it at most ``n`` times (:func:`_burst_shape`). Lifetimes that see many
arrivals (over 40) keep the normal spread
above; between 20 and 40 the two are blended. Bursts are a picture of stalls apart: from
``r ≈ ½`` they overlap, and from ``r = 1`` the prefill never rests, so between the two the
count hands over to the busy prefill's spread: the mean step, varied by the step cycle's
``Var(C)`` (``fluid_ttft.step_cycle``) averaged over the request's gaps, which a long step
correlates (it admits more prompts into the next: ``Var(C)/n·(1 + ρ)/(1 − ρ)``). Under
multi-step scheduling (``scheduler_steps`` > 1) the prompts that arrive during a group of
steps are prefilled together when it ends, so a decoding request meets those stalls at the
groups' steady cadence, not one per arrival: the normal spread applies (the simulation
agrees: ``test_perf_loads``).

**Busy share.** On engines that fill the token budget with waiting prompts as vLLM's
scheduler does, the normal spread of lifetimes that see many arrivals is the share ``s`` of
the life spent in prefill-carrying steps (:func:`_busy_share_tpot`, session 87): a decoder
gains a token a step, so ``TPOT = 1/((1 − s)/t_dec + s/t_p)`` (``t_p`` the mean
prefill-carrying step), and ``s`` varies as the prefill work that arrives during the life —
the busy time of a queue fed ``λ·T`` prompts has variance ``λ·T·E[S²]`` over long windows
(Pollaczek-Khinchine's cycles) — so ``s`` is taken log-normal, of mean the steady state's
``ρ̄`` and squared CV ``(c + c_s²)/(λ·T)`` (``c_s²`` the prompts' token part, ``c`` the
arrival CV, the count path's clustering). Against 20,000 simulated requests (Llama 3.1 8B,
H100, 3,000-token prompts at 80 % load) the share's standard deviation per output-length
bucket is the formula's within 10 %, and ``t_dec/(1 − s)`` of the simulated share rebuilds
the simulated TPOT p90 within 3 %; the binomial count of prefill steps it replaces spread
the TPOT 2-3 times too little. Not for TensorRT-LLM: NVIDIA's MLPerf runs measure TPOT tails
as tight as the binomial count gives (Llama 3.1 405B on 4× GB200: p90 111 ms measured, 98
binomial, 188 busy share, 146 simulated), nor for SGLang's separate prefill batches.

**Admission bound.** No life meets more prefill than the server admits at capacity. With every
slot (or the KV cache) taken, a prompt is let in only as a completion frees room, so the
prefill a decoder meets is counted per decode step, not per second, and a slow step delays the
completions that let the next prompts in: a life of ``n`` gaps carries ``n·p·F`` prefill steps
(``p`` the saturated state's share of them, ``F`` log-normal of squared CV ``(1 + c_s²)/(μ·T)``,
the admissions no longer clustered as they arrived), ``TPOT = t_dec + p·F·(t_p − t_dec)``
(:func:`_admitted_share_tpot`). Each busy-share sample is at most that at its level. The time
share alone ran away to a budget-full step near capacity (Llama 3.1 8B INT4 on an A100 40GB,
4,000 ± 2,000-token prompts, 500-token answers, gamma arrivals of CV 2 at 93-96 % of capacity:
TPOT p99 216-219 ms, 168 ms saturated, 87-92 simulated; now 100), and fell as the load reached
capacity.

**First wave.** Requests that start together (burst, closed loop, max throughput) are prefilled
in ``n_w = max(W·I/p_w, 1)`` budget-sized steps of ``p_w = min(budget, W·I)`` tokens, each
taking ``t_w``. The ``j``-th of the ``W`` (from 0) decodes through the prefill of the
``W − j − 1`` after it, ``(1 − (j + 1)/W)·n_w`` steps, plus the next wave's first
``(j/W)·n_w`` when one follows; call that ``s_j``. Where prefill chunks ride on decode steps (vLLM,
TensorRT-LLM) each stalled step still yields a token, so at most ``O − 1`` of them are slower;
where prefill runs as separate batches (SGLang) the stall yields none and is one long gap::

    TPOT_j = t_dec + min(s_j, O − 1) (t_w − t_dec) / (O − 1)     piggy-backed prefill
    TPOT_j = t_dec + s_j t_w / (O − 1)                            separate prefill batches

Piggy-backed, the first wave's steps carry only the decoders prefilled before them (``t_w``
grows from the prefill alone to the whole batch's; the ``j``-th's are priced at the mean batch
of those it decodes through); separate prefill batches run alone.

A short answer in a burst therefore averages at most ``t_w`` per token in the first case and
far more in the second: SGLang's TPOT mean and p99 on ShareGPT bursts are 2–3× its ITL's.
With separate prefill batches a wave decodes only once all its prompts are prefilled, so its
requests end together as far as their lengths agree (``sync``, below) and the next wave's
prefill follows them: the next-wave term is weighted by ``1 − sync``. Each later wave of a
burst (or stated offline run) then repeats the first's stall, weighted by ``sync``: the
``k``-th request decodes through ``(end − k)/W`` of ``n_w`` (``end``: its wave's last
request, ``N`` for the last wave, which decodes at its own batch's step). Fixed lengths:
half a wave's prefill per request, as the simulation has it; the steady state's spread
(every request meeting a whole wave's prefill) gave 1.5–1.8× its TPOT. Piggy-backed, the
later waves of a finite run repeat the first's stagger as far as they stay in step
(weighted by ``sync`` too, since session 66): each decodes through the prefill of the
prompts after it in its own wave and the next wave's first part, and never through a prompt
its cache or slots could not admit meanwhile (priced at the steady state's share of
budget-sized prefill steps, a burst of 32k-token prompts whose cache holds one at a time had
TPOT 4.6× the measured).

**ITL** is every gap of every request, a three-point mixture: decode-only steps ``t_dec``,
steady prefill-carrying steps ``t_mix`` and the first wave's stalled gaps. Piggy-backed, a
wave request's stall is ``min(s_j, O − 1)`` gaps of one budget-sized step ``t_w`` each; with
separate prefill batches it is one gap of ``t_dec + s_j·t_w`` (the batches run back to back
while the request waits for its next token), spread over the wave's requests as their
``s_j`` are (:func:`_stall_gap_quantiles`): short answers of a burst then have a long ITL
tail, as SGLang's do. The steady share is what the mean (the gap-weighted mean TPOT) implies
beyond the wave's. In an open loop the decode steps are not
all alike: a request meets ``K`` others, ``K`` Poisson with mean ``B`` (M/G/∞; more spread for
clustered arrivals, and ``1/(1 − r)²`` times the variance: prefill stalls keep more requests
decoding after many arrive, ``r`` as for TPOT), each with its own context, so the KV a step
reads is a compound sum with variance ``B·E[ctx²]`` (``E[ctx²] = I²(1 + cv_I²) + I·O +
O²/3``: lognormal prompts, a uniform position in the output). The decode part's quantile
``q'`` prices a step at ``B_seen + z·√(B·c²)`` sequences and ``KV + z·σ_KV`` tokens (``z =
Φ⁻¹(q')``, ``c² = max(CV_a², 1)/(1 − r)²`` the arrivals' clustering): long, variable
contexts at a small batch spread the ITL tail. Likewise a prefill-carrying step carries an
arriving prompt's chunk: its quantile prices the chunk at the prompts' lognormal quantile (most
prompts are shorter than the mean, a few much longer). Near capacity the prompts that arrive
during one step are prefilled together in the next, so fewer steps carry prefill than the
mean's prompts per step, and some carry two or three (:func:`_merged_prefill_steps`). A
closed loop's clients send their next prompts as their answers end: apart, as far as the
answers are dispersed, so its prefill-carrying steps are counted the same way, each prompt its
own chunk (:func:`_prefill_unit`). A burst whose completions refill its slots with separate
prefill batches pauses its decoders for each batch of the prompts of the requests that just
ended, as varied as a Poisson number of lognormal prompts (:func:`_refill_batch_quantiles`).

**Drain.** A burst's batch is full only while its queue lasts. Once the queue is empty the
batch drains as its requests finish: with dispersed outputs (ShareGPT's CV 2) most of a
burst's decode steps run small batches, and its ITL median is a small batch's step (the
simulation of GPUStack's Qwen3-14B SGLang burst: median decode batch 25 of 597 slots). A
random token of lognormal outputs (mean 1, CV ``c``) at position ``p`` (density ``S(p)``)
sees the share ``S(p)`` of its wave still decoding, so ``P(share ≤ S(k)) = E[(X − k)⁺] =
Φ(σ − z) − e^{σz − σ²/2}·(1 − Φ(z))`` at ``k = e^{σz − σ²/2}``
(:func:`~predeploy.core.fluid_stats.drain_seen_share`). Tokens decoded before the queue
empties see the full wave ``B``; the drain's share of the tokens is ``1 − B·s*/N``, where
``B·M(s*) = N − B`` (``M`` the slots' renewal function, which counts the short answers that
start and end within ``s*`` too, :func:`~predeploy.core.fluid_stats.renewal_time`; for many
waves it reaches the last wave's residual outputs, ``B(1 + c²)/(2N)``). The decode part of a
burst's ITL takes its quantiles from that mixture; the window before the queue empties is
stalled gaps, ``1 − e^{−c}`` of its steps for ``c`` refills a step, each by the refill
prompts' prefill (:func:`_refill_stalls`: a batch of their own with separate prefill batches,
chunks riding on the step otherwise), and the decode part is the drain's and the window's
other steps (:func:`_drain_decode_quantiles`). Each
sample's TPOT, and with it the ITL mean and the E2E, prices the gaps it decodes after the last
TTFT at the step of the batch it then sees (:func:`drained_tpot`): the long answers of a
dispersed burst run mostly in the drain, so their TPOT is well below the short ones' (the
simulation's ITL mean was half the full batch's). The throughput rests on the run's end
(below).

**Drain tail.** A finite run ends with its longest request (:func:`drain_end_s`; a closed
loop's, :func:`closed_loop_tail_s`).

**A run the token budget paces.** On an engine whose token budget ``M`` counts decode tokens
too (chunked prefill into decode steps: vLLM, TensorRT-LLM), a finite run of ``N`` requests
in several waves is a pipeline of budget-full steps, not a train of waves: it ramps up while
the first prompts are prefilled into a still small decode batch, runs full steps of
``M − B`` prompt tokens and ``B`` decodes, and drains over the last ``O − 1`` steps
(:func:`budget_run_s`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from predeploy.core.fluid_load import OperatingPoint, RequestGrid, StaticBatch, finite_run_wait_s
from predeploy.core.fluid_stats import (
    PERCENTILES,
    along_rows,
    any_true,
    clamp,
    columns,
    drain_seen_share,
    grid,
    grid_normal,
    lognormal_at,
    lognormal_factor,
    lognormal_limited_mean,
    longest_residual_excess,
    normal_quantile,
    renewal_time,
    row_mean,
    three_point_quantile,
)
from predeploy.core.fluid_steady import (
    BURST,
    CLOSED_LOOP,
    MAX_THROUGHPUT,
    OPEN_LOOP,
    STATIC_BATCH,
    FluidInputs,
    SteadyState,
    chain_arrivals,
    completion_sync,
    decode_context,
    prefill_context_tokens,
    prompt_tokens,
    step_s,
    steps_s,
)
from predeploy.core.fluid_ttft import prefill_step_costs, spanning_share, step_cycle
from predeploy.core.poisson_counts import MAX_CLUSTER_RATIO, cluster_count_quantiles

#: Cap on an output length as a multiple of the dataset mean, as the request sampler's
#: (``core.datasets.token_distribution`` truncates its lognormal at 20 × the mean, or at the
#: dataset's ``max_tokens`` when that is larger).
MAX_OUTPUT_FACTOR = 20.0
#: Quantile levels at which a prefill step's prompt tokens are read from their lognormal law,
#: kept off 0 and 1 where its quantile function runs to 0 and infinity (the budget caps the
#: step above anyway).
PROMPT_LEVEL_MIN, PROMPT_LEVEL_MAX = 0.001, 0.999


@dataclass(frozen=True, slots=True)
class FirstWave:
    """The first wave of requests that start together, and with separate prefill batches the
    waves after it as far as they stay in step (module docstring)."""

    #: ``t_w``: seconds of one of the wave's budget-sized prefill steps (per scenario), its
    #: running batch beside it where prefill rides on the decoders' step.
    step_s: np.ndarray
    #: The wave's prefill steps each sample decodes through, in s: piggy-backed, the first
    #: wave's carry only the decoders admitted before them (``t_w`` in later waves, and with
    #: separate prefill batches, which run alone).
    sample_step_s: np.ndarray
    #: ``n_w``: the wave's prefill steps (per scenario).
    steps: np.ndarray
    #: ``(1 − j/W) + (j/W)·next``: the share of ``n_w`` each sample decodes through.
    stall_share: np.ndarray
    #: Its part ``(j/W)·next``: piggy-backed, the next wave's prefill (0 where prefill runs
    #: as separate batches, whose ``stall_share`` weighs it by ``1 − sync`` already).
    next_share: np.ndarray
    #: Whether decoding pauses during prefill batches (per scenario; SGLang's default).
    separate: np.ndarray
    #: How far each sample follows its wave's stall: 1 in the first wave (of a load that has
    #: waves), ``sync`` in a later wave of a burst or an offline run (piggy-backed: one that
    #: states its length), 0 elsewhere.
    weight: np.ndarray
    #: Seconds per decode step of each sample's wave: the running batch's, or the last
    #: wave's own where a later wave is weighted.
    decode_s: np.ndarray
    #: The part of ``stall_share`` that is the rest of the sample's own wave's prefill, which
    #: separate prefill batches make one gap (the next wave's prefill is met as the slots
    #: refill, over the request's life).
    own_share: np.ndarray


def in_last_wave(op: OperatingPoint, index: np.ndarray) -> np.ndarray:
    """Which request samples (by index in the run) fall in the last wave of a run in several
    waves (:class:`~predeploy.core.fluid_load.OperatingPoint`'s ``waves`` of ``batch``)."""
    return np.asarray(
        (index >= columns((op.waves - 1.0) * op.batch)) & (op.waves > 1.0)[:, None], dtype=bool
    )


def first_wave(inp: FluidInputs, op: OperatingPoint, req: RequestGrid) -> FirstWave:
    """The first wave of burst, closed-loop and max-throughput runs (module docstring)."""
    kind, st, prompt, kb, col = op.kind, op.steady, op.prompt, req.index, columns
    waved = (kind == BURST) | (kind == CLOSED_LOOP) | (kind == MAX_THROUGHPUT)
    separate = np.asarray(inp.separate_prefill_batches, dtype=bool)
    if not any_true(waved):
        # Open loops and static batches only: no sample is in a first wave.
        ones = np.ones_like(st.t_mix)
        return FirstWave(
            st.t_mix,
            np.broadcast_to(col(st.t_mix), kb.shape),
            ones,
            np.ones(kb.shape),
            np.zeros(kb.shape),
            separate,
            np.zeros(kb.shape),
            np.broadcast_to(col(st.t_dec), kb.shape),
            np.zeros(kb.shape),
        )
    # An offline run of unstated length keeps its batch full: its wave is the largest batch.
    unsized = (kind == MAX_THROUGHPUT) & ~np.isfinite(inp.num_prompts)
    wave_size = np.where(
        kind == CLOSED_LOOP, op.closed_wave, np.where(unsized, op.max_batch, op.burst_wave)
    )
    wave_tokens = np.minimum(st.budget, np.maximum(wave_size * prompt, prompt))
    kv_now = op.batch * decode_context(prompt, inp.output_tokens)
    none = np.zeros(np.shape(op.batch))
    t_wave, t_alone = steps_s(
        inp,
        (wave_tokens, wave_tokens * prompt / 2.0, op.batch, kv_now),
        (wave_tokens, wave_tokens * prompt / 2.0, none, none),
    )
    # Separate prefill batches run with their decoders paused.
    t_wave = np.where(separate, t_alone, t_wave)
    frac = np.mod(kb, col(wave_size)) / col(wave_size)
    n_prompts = op.num_prompts
    run_length = np.where(
        kind == CLOSED_LOOP, np.where(np.isfinite(inp.num_prompts), n_prompts, np.inf), n_prompts
    )
    has_next = (kb + col(wave_size)) < col(run_length)
    first = (kb < col(wave_size)) & waved[:, None]
    # The first wave arrived together whatever the output lengths: it is synchronised by
    # construction (``sync`` only describes how later waves stay in step). Piggy-backed,
    # a wave's requests start decoding as their chunks finish, so its first finish early and
    # its last decode through the next wave's prefill. With separate prefill batches the wave
    # decodes only once all of its prompts are prefilled: its requests end together as far as
    # their lengths agree (``sync``), and the next wave's prefill follows them; each later
    # wave repeats the first's stall, a request decoding through the prefill of the prompts
    # after it in its own wave (``(end − k)/W`` of ``n_w``, the last wave ending at ``N``).
    # (Where prefill runs as separate batches, a wave's ``wave_sync`` is its ``sync``.)
    steps = np.maximum(wave_size * prompt / wave_tokens, 1.0)
    next_share = frac * has_next
    # The prompts after a request in its wave (not its own): ``W − j − 1`` of the ``W``.
    after = np.maximum(1.0 - frac - 1.0 / col(wave_size), 0.0)
    ordinary = after + next_share
    # Piggy-backed, the first wave's prefill steps carry the decoders prefilled before them:
    # the ``j``-th decodes its first ``m = min(n_w·share, O − 1)`` gaps beside ``j + m·W/(2n_w)``
    # of them on average, not the whole batch (1,000 chat prompts, Llama 3.1 8B on an H100,
    # vLLM: the wave's steps 335 ms in the simulation, 329 priced so, 350 at the whole batch).
    stalled = np.minimum(col(steps) * ordinary, np.maximum(req.output_tokens - 1.0, 1.0))
    riders = (frac + 0.5 * stalled / col(steps)) * col(wave_size / np.maximum(op.batch, 1.0))
    ride = np.where(first & ~separate[:, None], np.minimum(riders, 1.0), 1.0)
    sample_step = col(t_alone) + col(t_wave - t_alone) * ride
    stepped = (separate & waved & ((kind == BURST) | (kind == MAX_THROUGHPUT)))[:, None]
    # Piggy-backed, a finite run's later waves repeat the first's stagger as far as they stay
    # in step: each request decodes through the rest of its own wave's prefill and the next
    # wave's first part, never through a prefill its cache or slots could not admit meanwhile.
    staggered = (~separate & op.finite_run)[:, None]
    decode_s = np.broadcast_to(col(st.t_dec), kb.shape)
    if not any_true(stepped | staggered):
        # No finite run in waves: no later wave is weighted.
        return FirstWave(
            step_s=t_wave,
            sample_step_s=sample_step,
            steps=steps,
            stall_share=ordinary,
            next_share=next_share,
            separate=separate,
            weight=first.astype(float),
            decode_s=decode_s,
            own_share=after,
        )
    sync = col(op.wave_sync)
    start = np.floor(kb / col(wave_size)) * col(wave_size)
    own = (np.minimum(start + col(wave_size), col(run_length)) - kb) / col(wave_size)
    # Separate batches: its own batch and the rest; piggy-backed: the prompts after it.
    in_step = np.where(
        stepped, own + next_share * (1.0 - sync), own - 1.0 / col(wave_size) + next_share
    )
    later = (stepped | staggered) & ~first & (kb < col(run_length))
    return FirstWave(
        step_s=t_wave,
        sample_step_s=sample_step,
        steps=steps,
        stall_share=np.where(stepped | staggered, np.maximum(in_step, 0.0), ordinary),
        next_share=np.where(stepped, 0.0, next_share),
        separate=separate,
        weight=np.where(first, 1.0, np.where(later, sync, 0.0)),
        decode_s=np.where(later & in_last_wave(op, kb), col(op.last_wave_step_s), decode_s),
        own_share=np.where(
            stepped,
            own,
            np.where(staggered, np.maximum(own - 1.0 / col(wave_size), 0.0), after),
        ),
    )


def tpot_samples(
    inp: FluidInputs,
    op: OperatingPoint,
    req: RequestGrid,
    wave: FirstWave,
    static: StaticBatch,
    ttft: np.ndarray,
) -> np.ndarray:
    """TPOT (s) of every request sample (``ttft``: its TTFT, s): the steady spread, the first
    wave's stalls, a static batch's mean decode step (module docstring)."""
    st, out_k, col = op.steady, req.output_tokens, columns
    gaps = np.maximum(out_k - 1.0, 1.0)
    u, z = grid(4, req.points), grid_normal(4, req.points)
    spread = np.sqrt(col(st.prefill_share * (1 - st.prefill_share)) / gaps) * col(
        st.t_mix - st.t_dec
    )
    tpot_k = np.maximum(col(st.decode_cycle_s) + spread * z, col(st.decode_step_s))
    # Multi-step scheduling prefills arrivals once per group of steps (module docstring).
    # Where prefill batches chain, their pauses replace the open-loop spread (below).
    chained = st.chains()
    open_rows = np.flatnonzero(
        (op.kind == OPEN_LOOP) & (np.asarray(inp.scheduler_steps) <= 1) & ~chained
    )
    if open_rows.size:
        tpot_k[open_rows] = _open_loop_tpot(
            inp, op, open_rows, gaps[open_rows], (u, z), tpot_k[open_rows], ttft[open_rows]
        )
    # Where prefill batches chain, their pauses (the rest of its own chain first).
    if any_true(chained):
        tpot_k = np.where(col(chained), _chained_tpot(st, gaps, u), tpot_k)
    if any_true(wave.weight > 0.0):
        stall_steps = col(wave.steps) * wave.stall_share
        # Piggy-backed prefill: each stalled step still yields a token, so a request is
        # stalled for at most its own gaps, each ``t_w − t_dec`` longer. Separate prefill
        # batches yield none: the stall is one long gap of ``stall_steps · t_w`` on top of
        # the decode steps.
        extra = np.minimum(stall_steps, gaps) * (wave.sample_step_s - col(st.t_dec))
        if any_true(wave.separate):
            extra = np.where(col(wave.separate), stall_steps * col(wave.step_s), extra)
        tpot_wave = wave.decode_s + extra / gaps
        tpot_k = wave.weight * tpot_wave + (1.0 - wave.weight) * tpot_k
    # The last wave of a run in several waves decodes with only its own requests, as far as
    # it stays in step (``wave_sync``); later waves of separate prefill batches have it in
    # their wave's own decode step already.
    late = in_last_wave(op, req.index) & (wave.weight == 0.0)
    if any_true(late):
        sync = col(op.wave_sync)
        tpot_k = np.where(late, sync * col(op.last_wave_step_s) + (1.0 - sync) * tpot_k, tpot_k)
    if any_true(op.kind == STATIC_BATCH):
        tpot_k = np.where(op.kind[:, None] == STATIC_BATCH, col(static.decode_mean_s), tpot_k)
    return np.asarray(tpot_k, dtype=float)


def drained_tpot(
    inp: FluidInputs, op: OperatingPoint, req: RequestGrid, ttft: np.ndarray, tpot: np.ndarray
) -> np.ndarray:
    """TPOT (s) of a finite run's request samples once its queue has emptied (module
    docstring, **Drain**): every prompt has started by the last TTFT ``T_e``, so every stall
    a sample's ``tpot`` prices lies before it, and the gaps a sample decodes after it run in
    decode-only steps of a batch that shrinks as its requests end. A sample of ``g`` gaps
    decodes ``g_pre = (min(T_e − T_k, g·tpot) − x)/t_dec`` of them before (``x = g·(tpot −
    t_dec)``, its stalls), and the ``g_post`` after at the step of the batch it sees on
    average, ``B·E[min(O, g_post)]/g_post`` (``O`` the outputs, lognormal): with dispersed
    outputs most of a burst's tokens are decoded in the drain (the simulation of GPUStack's
    Qwen3-14B SGLang burst of 1,000 ShareGPT requests on an H100: 86 % of them, at a
    token-weighted batch of 311 where 815 ran when the queue emptied)."""
    st, col = op.steady, columns
    draining = op.finite_run & (inp.output_cv > 0.0)
    if not any_true(draining):
        return tpot
    gaps = np.maximum(req.output_tokens - 1.0, 1.0)
    t_dec = col(st.t_dec)
    life = gaps * tpot
    stalls = np.maximum(life - gaps * t_dec, 0.0)
    before = np.minimum(np.maximum(col(ttft.max(axis=1)) - ttft, 0.0), life)
    g_post = gaps - clamp((before - stalls) / np.maximum(t_dec, 1e-12), 0.0, gaps)
    x = np.maximum(g_post, 1.0)
    # The answers' law: their log-normal before its cut (``E[min(O, g)]`` for g below it).
    law_mean = col(np.maximum(inp.output_quantile_mean, 1.0))
    still = lognormal_limited_mean(x, law_mean, col(inp.output_quantile_cv))
    batch = col(np.maximum(op.batch, 1.0))
    seen = clamp(batch * still / x, 1.0, batch)
    context = col(decode_context(prompt_tokens(inp), np.maximum(inp.output_tokens, 1.0)))
    zero = np.zeros(seen.T.shape)
    drain_step = step_s(inp, zero, zero, seen.T, (seen * context).T).T
    saved = g_post * np.maximum(t_dec - drain_step, 0.0)
    drained = (life - saved) / gaps
    return np.asarray(np.where(col(draining), drained, tpot), dtype=float)


def _chained_tpot(st: SteadyState, gaps: np.ndarray, u: np.ndarray) -> np.ndarray:
    """TPOT (s) of requests of ``gaps`` decode gaps where prefill batches chain
    (:func:`~predeploy.core.fluid_steady.chained_decode_cycle_s`): on top of the decode step,
    the pauses ``X`` over the request's gaps. Its first gap waits for the rest of the chain
    that prefilled it: ``K₀`` more batches of ``T`` seconds (``chain_batch_s``), none with
    chance ``1/L`` and each further one with chance ``1 − 1/L`` (``L`` the chain's mean
    length; mean ``L − 1``, variance ``L(L − 1)``). Each of its other gaps starts a chain with
    chance ``p`` (``decode_stall_share``): a Poisson number of them, of mean ``μ = (g −
    1)·p``, each a pause of mean ``m`` (``stall_pause``), ``K ≥ 1`` batches of ``m/L`` with
    ``E[K²] = L(2L − 1)``. So ``X = 0`` with chance ``e^(−μ)/L`` (most short answers of long
    prompts at a low rate see no pause), and otherwise ``X`` is priced lognormal of its
    conditional mean and variance; ``u``: the samples' uniform levels. The lognormal scored
    better than a gamma of the same moments on the SGLang loads of ``bench/sim_census.py``
    (TPOT p99 median error 13.1 against 15.6 %)."""
    col = columns
    share, pause = st.stall_pause()
    length = np.maximum(st.chain_length, 1.0)
    batch = st.chain_batch_s
    chains = np.maximum(gaps - 1.0, 0.0) * col(share)
    mean = col(st.chain_residual_s()) + chains * col(pause)
    square = (
        col(batch**2 * length * (length - 1.0))
        + chains * col(pause**2 * (2.0 - 1.0 / length))
        + mean**2
    )
    none = np.exp(-chains) / col(length)
    some = np.maximum(1.0 - none, 1e-12)
    paused_mean = np.maximum(mean / some, 1e-12)
    sigma2 = np.log1p(np.maximum(square / some / paused_mean**2 - 1.0, 0.0))
    z = normal_quantile(clamp((u - none) / some, 1e-12, 1.0 - 1e-12))
    paused = np.where(u > none, paused_mean * np.exp(np.sqrt(sigma2) * z - 0.5 * sigma2), 0.0)
    return np.asarray(col(st.decode_step_s) + paused / gaps, dtype=float)


def tail_step_s(op: OperatingPoint, *, admitting: bool = False) -> np.ndarray:
    """Seconds per decode step of a run's last requests. A finite run (burst, offline run of
    stated length) in one wave has prefilled every prompt by its last TTFT: from then on its
    steps decode only (``t_dec``, no share of prefill). One in several waves takes the last
    wave's own step as far as its requests stay in step, and otherwise the decode-only step
    of the batch draining around its last request (``drain_step_s``,
    :func:`~predeploy.core.fluid_load.operating_point`); other loads, whose prompts keep
    arriving, the running batch's mean step. ``admitting``: the step until the last prompt is
    in instead (a run in several waves still prefills, at the running batch's mean step, as
    far as it does not stay in step)."""
    st = op.steady
    after = st.decode_cycle_s if admitting else op.drain_step_s
    last = op.wave_sync * op.last_wave_step_s + (1.0 - op.wave_sync) * after
    one_wave = np.where(op.finite_run, st.t_dec, st.decode_cycle_s)
    return np.asarray(np.where(op.waves > 1.0, last, one_wave), dtype=float)


#: Mean prompt arrivals per request lifetime over which the skewed count hands over to the
#: normal spread (linearly, so TPOT stays continuous in the load).
POISSON_EVENTS_NORMAL_FROM = 20.0
POISSON_EVENTS_NORMAL_TO = 40.0
#: Prompts arriving during one prefill stall (``λ·σ``, the cluster's offspring mean, before the
#: cap) over which the cluster count hands over to the normal spread, linearly. From about one
#: in two the stalls overlap (a prompt arrives before the last one's stall is over and shares
#: its step, which the count prices as a stall of its own), and from one on the prefill never
#: rests: a decoding request meets a prefill in nearly every step. Counted as bursts there,
#: the median TPOT of 256/16-token requests (Llama 3.1 8B, H100) fell from 16 ms at 60 % of
#: capacity to 8 ms at 75 % while the simulated rose from 16 to 24 ms.
CLUSTER_NORMAL_FROM_RATIO = 0.5
CLUSTER_NORMAL_TO_RATIO = 1.0
#: Least arrival clustering a cluster count is scaled by (the arrival CV; 0 would be a
#: perfectly regular arrival stream).
MIN_CLUSTER_SCALE = 0.2
#: Fewest prefill bursts a request that waited less than average expects, as a share of the
#: steady state's mean (its TTFT excess is negative; the count's mean stays positive).
MIN_EVENT_SHARE = 0.05


class PrefillStall(NamedTuple):
    """Per scenario, what one arriving prompt's prefill does to a decoding request."""

    #: Steps the prefill takes, ``s = max(I / chunk, 1)``.
    steps: np.ndarray
    #: Seconds it adds to the request's life, ``σ = s·(t_mix − t_dec)``.
    stall_s: np.ndarray
    #: Prompts admitted meanwhile, ``r = min(λ, μ)·σ``: the cluster's offspring mean, and
    #: the count's ratio (at most :data:`MAX_CLUSTER_RATIO`).
    offspring: np.ndarray
    ratio: np.ndarray


def _prefill_stall(op: OperatingPoint) -> PrefillStall:
    """What one arriving prompt's prefill does to a decoding request (per scenario)."""
    st = op.steady
    steps = np.maximum(op.prompt / np.maximum(st.prefill_step_tokens, 1.0), 1.0)
    stall = steps * (st.t_mix - st.t_dec)
    offspring = op.admitted_rps * stall
    return PrefillStall(steps, stall, offspring, clamp(offspring, 0.0, MAX_CLUSTER_RATIO))


def prefill_chain_arrivals(inp: FluidInputs, op: OperatingPoint) -> np.ndarray:
    """Prompts that arrive, on average, while an engine with separate prefill batches (SGLang)
    runs one, for an open loop's admitted rate ``λ`` (0 for other loads and engines):
    ``n̄ = λ·E_p/(1 − λ·s)``, ``E_p`` the fixed extra of a prefill batch and ``s`` a prompt's
    own prefill (``inf`` where the prompts alone take all of the engine's time). Such an
    engine runs every waiting prompt before its next decode step, so from about one such
    arrival its prefill batches chain (``fluid_steady.chained_decode_cycle_s`` prices the mean
    chain), and its decoders' pauses vary the most: the caveat of
    ``perf_caveats.prefill_chain_caveats``."""
    return _separate_batch_arrivals(inp, op, op.admitted_rps, OPEN_LOOP)


def closed_loop_chain_arrivals(
    inp: FluidInputs, op: OperatingPoint, rate_rps: np.ndarray
) -> np.ndarray:
    """:func:`prefill_chain_arrivals` for a closed loop on an engine with separate prefill
    batches, at the loop's own request rate (0 for other loads and engines). Its clients'
    requests reach the engine one by one (the API server passes one at a time), so from about
    one per prefill batch the batches chain as an open loop's do, which the closed loop's
    analytic mode does not price."""
    return _separate_batch_arrivals(inp, op, rate_rps, CLOSED_LOOP)


def _separate_batch_arrivals(
    inp: FluidInputs, op: OperatingPoint, rate_rps: np.ndarray, kind: int
) -> np.ndarray:
    """``chain_arrivals`` at ``rate_rps`` for the rows of load ``kind`` on an engine with
    separate prefill batches (0 elsewhere)."""
    st = op.steady
    chained = chain_arrivals(rate_rps, st.prefill_step_extra_s, st.prefill_token_s * op.prompt)
    applies = np.asarray(inp.separate_prefill_batches, dtype=bool) & (op.kind == kind)
    return np.asarray(np.where(applies, chained, 0.0), dtype=float)


def _open_loop_tpot(
    inp: FluidInputs,
    op: OperatingPoint,
    rows: np.ndarray,
    gaps: np.ndarray,
    levels: tuple[np.ndarray, np.ndarray],
    normal: np.ndarray,
    ttft: np.ndarray,
) -> np.ndarray:
    """TPOT of open-loop request samples with few prompt arrivals per lifetime (module
    docstring, **Open-loop TPOT**); many arrivals keep the ``normal`` spread, and in between
    the two are blended, so a little more load never lowers a TPOT percentile; where the
    stalls overlap, all hand over to the busy prefill's spread (:func:`_busy_prefill_tpot`).
    ``levels``: the samples' uniform levels and their standard normal quantiles."""
    st = op.steady
    prefill = _prefill_stall(op)
    # Beyond a few arrivals per lifetime: the share of it spent in prefill-carrying steps, on
    # engines that fill the budget with waiting prompts as vLLM's scheduler does (module
    # docstring, **Busy share**).
    fills = np.asarray(inp.fills_last_prefill_step, dtype=bool)
    shared = (fills & ~np.asarray(inp.separate_prefill_batches, dtype=bool))[rows]
    if any_true(shared):
        normal = np.array(normal, dtype=float)
        normal[shared] = _busy_share_tpot(inp, op, rows[shared], gaps[shared], levels[1])
    out = np.array(normal, dtype=float)
    mean_events = gaps * st.prefill_share[rows, None] / prefill.steps[rows, None]
    few_events = mean_events < POISSON_EVENTS_NORMAL_TO
    if any_true(few_events):
        # Only the samples with few events are counted; the others keep the normal spread.
        # Each counted sample's scenario (its row of ``rows``), in the mask's order.
        cols = np.asarray(rows)[np.nonzero(few_events)[0]]
        stall_f, mean_f = prefill.stall_s[cols], mean_events[few_events]
        shape = _burst_shape(inp, op, prefill)
        ratio = shape.ratio[cols]
        scale = np.maximum(np.asarray(inp.arrival_cv, dtype=float)[cols], MIN_CLUSTER_SCALE)
        u = np.broadcast_to(levels[0], gaps.shape)[few_events]
        # Served first come, first served, the prompts that arrived during a request's TTFT
        # are prefilled while it decodes: one that waited longer than average meets
        # λ·(T − T̄) more.
        queued = (op.admitted_rps[rows, None] * (ttft - row_mean(ttft)[:, None]))[few_events]
        expected = np.maximum(mean_f + queued, MIN_EVENT_SHARE * mean_f)
        theta = _mean_keeping_theta(expected * (1.0 - ratio) / scale, ratio)
        count, within = cluster_count_quantiles(theta, ratio, u)
        events = scale * _stall_units(count, within)
        # A request's n steps pay a step's fixed extra at most n times (_burst_shape).
        events = events - shape.once_per_step[cols] * np.maximum(events - gaps[few_events], 0.0)
        few = st.t_dec[cols] + events * stall_f / gaps[few_events]
        span = POISSON_EVENTS_NORMAL_TO - POISSON_EVENTS_NORMAL_FROM
        weight = clamp((mean_f - POISSON_EVENTS_NORMAL_FROM) / span, 0.0, 1.0)
        out[few_events] = few + weight * (normal[few_events] - few)
    # Stalls that overlap are no longer bursts: the busy prefill's own spread takes over,
    # as far as each prompt fits one step (the step cycle's picture, as for the TTFT: a
    # prompt that spans steps is chunked to the budget, its stall spread over its steps).
    overlap = clamp(
        (prefill.offspring[rows] - CLUSTER_NORMAL_FROM_RATIO)
        / (CLUSTER_NORMAL_TO_RATIO - CLUSTER_NORMAL_FROM_RATIO),
        0.0,
        1.0,
    ) * (1.0 - spanning_share(op)[rows])
    if any_true(overlap > 0.0):
        busy = _busy_prefill_tpot(inp, op, rows, gaps, levels[1])
        out = out + columns(overlap) * (busy - out)
    return out


#: Largest share of a decoding life spent in prefill-carrying steps (its TPOT then that of
#: the prefill steps alone).
MAX_BUSY_SHARE = 0.999


def _busy_share_tpot(
    inp: FluidInputs, op: OperatingPoint, rows: np.ndarray, gaps: np.ndarray, z: np.ndarray
) -> np.ndarray:
    """TPOT (s) of open-loop request samples of ``gaps`` decode gaps from the share ``s`` of
    their life spent in prefill-carrying steps (module docstring, **Busy share**): a decoder
    gains a token a step, so ``TPOT = 1/((1 − s)/t_dec + s/t_p)``, ``t_p`` the mean
    prefill-carrying step. ``s`` has the steady state's mean ``ρ̄`` (the steps' time share)
    and varies with the prefill work that arrives during the life, ``λ·T`` prompts of CV² ``c_s²``
    (their token part) clustered by the arrivals' CV ``c``: log-normal of squared CV ``(c +
    c_s²)/(λ·T)``, ``T`` the life, ``n·t̄``. No sample exceeds the saturated server's at its
    level (:func:`_admitted_share_tpot`). ``z``: the samples' standard normal quantiles."""
    steps = _carrying_steps(inp, op.steady, rows)
    rho = clamp(1.0 - (1.0 - steps.share) * steps.t_dec / steps.cycle, 1e-6, MAX_BUSY_SHARE)
    clustering = np.maximum(inp.arrival_cv[rows, None], 1.0)
    factor = steps.work_factor(inp, rows, clustering, op.admitted_rps[rows, None] * gaps, z)
    share = np.minimum(rho * factor, MAX_BUSY_SHARE)
    own = 1.0 / ((1.0 - share) / steps.t_dec + share / steps.prefill_s)
    return np.asarray(np.minimum(own, _admitted_share_tpot(inp, op, rows, gaps, z)), dtype=float)


def _admitted_share_tpot(
    inp: FluidInputs, op: OperatingPoint, rows: np.ndarray, gaps: np.ndarray, z: np.ndarray
) -> np.ndarray:
    """TPOT (s) of the same samples in the saturated state (module docstring, **Admission
    bound**): with every slot taken, a prompt is let in only as a completion frees one, so
    the prefill a decoder meets is counted per decode step, not per second — a life of ``n``
    gaps carries ``n·p·F`` prefill-carrying steps (``p`` the saturated share of them), and
    ``TPOT = t_dec + p·F·(t_p − t_dec)``; a slow step delays the completions that let the
    next prompts in, so the share no longer runs away to ``t_p`` as the time share does.
    ``F``: log-normal of mean 1 and squared CV ``(1 + c_s²)/(μ·T)``, the life's ``μ·T``
    admissions (about one per slot) no longer clustered as they arrived."""
    steps = _carrying_steps(inp, op.saturated, rows)
    factor = steps.work_factor(inp, rows, 1.0, op.saturation_rps[rows, None] * gaps, z)
    carrying = np.minimum(steps.share * factor, 1.0)
    return np.asarray(steps.t_dec + carrying * (steps.prefill_s - steps.t_dec), dtype=float)


class CarryingSteps(NamedTuple):
    """A steady state's decode-only and prefill-carrying steps, for the rows of a TPOT
    evaluation (columns of one value per scenario)."""

    #: The decode-only step and the decode cycle (s).
    t_dec: np.ndarray
    cycle: np.ndarray
    #: The share of decode steps that carry prefill, and their mean time ``t_p`` (s).
    share: np.ndarray
    prefill_s: np.ndarray
    #: The share of ``t_p`` its prompt tokens take (their sizes' weight in the work's spread).
    token_part: np.ndarray

    def work_factor(
        self,
        inp: FluidInputs,
        rows: np.ndarray,
        clustering: np.ndarray | float,
        rate_gaps: np.ndarray,
        z: np.ndarray,
    ) -> np.ndarray:
        """How far the prefill work a life of ``gaps`` decode cycles meets strays from its
        mean, at standard normal quantiles ``z``: log-normal of mean 1 and squared CV ``(c +
        c_s²)/(λ·T)``, ``λ·T`` the prompts admitted (``rate_gaps`` = ``λ × gaps``, times the
        cycle), clustered by ``clustering`` (``c``)."""
        dispersion = clustering + (inp.prompt_cv[rows, None] * self.token_part) ** 2
        prompts = np.maximum(rate_gaps * self.cycle, 1e-9)
        return lognormal_at(z, np.sqrt(dispersion / prompts))


def _carrying_steps(inp: FluidInputs, st: SteadyState, rows: np.ndarray) -> CarryingSteps:
    """:class:`CarryingSteps` of steady state ``st`` for ``rows``: ``t_p`` from the decode
    cycle, ``(cycle − (1 − p)·t_dec)/p``, never below a decode step."""
    t_dec = st.decode_step_s[rows, None]
    cycle = st.decode_cycle_s[rows, None]
    share = np.maximum(st.prefill_share[rows, None], 1e-9)
    prefill_s = np.maximum((cycle - (1.0 - share) * t_dec) / share, t_dec)
    token_part = clamp(
        st.prefill_token_s[rows, None] * prompt_tokens(inp)[rows, None] / prefill_s, 0.0, 1.0
    )
    return CarryingSteps(t_dec, cycle, share, prefill_s, token_part)


class BurstShape(NamedTuple):
    """How a decoding request's count of prefill bursts spreads (per scenario)."""

    #: The cluster count's ratio: its variance is ``1/(1 − r)²`` times a Poisson count's.
    ratio: np.ndarray
    #: The share of a burst's stall paid at most once per step (the fixed extra of a step
    #: that prefills, for prompts that fit a step on a piggy-backed engine): a request's
    #: ``n`` steps pay it at most ``n`` times.
    once_per_step: np.ndarray


def _burst_shape(inp: FluidInputs, op: OperatingPoint, prefill: PrefillStall) -> BurstShape:
    """How far one prefill burst brings more into a decoding request's life.

    A prompt that spans steps is its own burst, and the ``λ·σ`` prompts that arrive during
    one each bring another (:class:`PrefillStall`). A prompt that fits a step costs the
    step's fixed extra ``E_p`` (share ``w`` of ``σ``, :func:`~predeploy.core.fluid_ttft.
    prefill_step_costs`) and its tokens' time. The tokens of the prompts that arrive during
    a stall add to the request's life as before: ``r_t = λ·σ·(1 − w)``, over the ``m`` prompts
    a carrying step takes. The fixed extra does not: those prompts ride on the next step,
    which carries prefill anyway as often as a prompt arrives during a decode step, so a
    stall adds ``κ = e^(−λ·t_dec)·(1 − e^(−λ·σ))`` carrying steps, and a request's ``n``
    steps carry at most ``n`` — a two-state Markov chain, whose count of carrying steps has
    ``D_x = (1 − f)(1 + κ)/(1 − κ)`` times a Poisson count's variance (``f`` the carrying
    share); the fixed extra is paid at most once a step (``once_per_step``). Taken as fully
    correlated, the two give ``√D = w·√D_x + (1 − w)·√((D_t + c_I²)/m)`` (``D_t = 1/(1 −
    r_t)²``, ``c_I`` the prompts' CV), and ``r = 1 − 1/√D``. Counted with ``λ·σ`` (0.7 at
    40 requests/s of 256/16-token requests, Llama 3.1 70B on 8× B200, where the fixed extra
    is three quarters of the stall), the TPOT p99 came to 61 ms where the simulation
    measures 28 (now 26) and fell to 32 ms at 56 requests/s; Llama 3.1 8B on an H100 at 40
    and 50 requests/s, 38 and 59 ms against 28 and 37 simulated (now 30 and 44). Separate
    prefill batches yield no token while they run, so they keep ``λ·σ``; spanning prompts
    blend by :func:`~predeploy.core.fluid_ttft.spanning_share`."""
    st = op.steady
    step_extra = prefill_step_costs(op)[1]
    fixed = clamp(step_extra / np.maximum(st.t_mix - st.t_dec, 1e-12), 0.0, 1.0)
    kappa = np.exp(-op.admitted_rps * st.t_dec) * -np.expm1(-prefill.offspring)
    kappa = np.minimum(kappa, MAX_CLUSTER_RATIO)
    steps_dispersion = np.maximum((1.0 - st.prefill_share) * (1.0 + kappa) / (1.0 - kappa), 1.0)
    token_ratio = np.minimum(prefill.offspring * (1.0 - fixed), MAX_CLUSTER_RATIO)
    prompts_per_step = np.maximum(st.prefill_step_tokens / op.prompt, 1.0)
    token_spread = np.sqrt((1.0 / (1.0 - token_ratio) ** 2 + inp.prompt_cv**2) / prompts_per_step)
    spread = fixed * np.sqrt(steps_dispersion) + (1.0 - fixed) * np.maximum(token_spread, 1.0)
    merged = 1.0 - 1.0 / np.maximum(spread, 1.0)
    separate = np.asarray(inp.separate_prefill_batches, dtype=bool)
    fits = np.where(separate, 0.0, 1.0 - spanning_share(op))
    return BurstShape(
        ratio=np.asarray((1.0 - fits) * prefill.ratio + fits * merged, dtype=float),
        once_per_step=np.asarray(fits * fixed, dtype=float),
    )


def _busy_prefill_tpot(
    inp: FluidInputs, op: OperatingPoint, rows: np.ndarray, gaps: np.ndarray, z: np.ndarray
) -> np.ndarray:
    """TPOT (s) of open-loop request samples that decode while prefill never rests: the
    steady state's mean step, spread by the steps' own variation (the step cycle's
    ``Var(C)``, :func:`~predeploy.core.fluid_ttft.step_cycle`: how many prompts, and how
    long, each step takes on) averaged over the request's ``n`` gaps. A step that runs long
    admits more prompts into the next (``C`` is an AR(1) series with coefficient ``ρ``), so
    the mean of ``n`` gaps varies by ``Var(C)/n·(1 + ρ)/(1 − ρ)``, never more than one step
    does. A step carries no more prefill than the token budget, so it lies between a decode
    step and a budget-full one, and varies by no more than half that range (the cycle lets
    every waiting prompt join, and grows without bound near capacity). ``z``: the samples'
    standard normal quantiles."""
    st = op.steady
    cycle = step_cycle(inp, op)
    full_step_s = st.full_prefill_s_per_token * st.budget
    bound = (0.5 * np.maximum(full_step_s - st.prefill_ride_s, 0.0)) ** 2
    variance = np.minimum(cycle.variance_s2, bound)[rows, None]
    rho = cycle.rho[rows, None]
    spread = np.sqrt(np.minimum(variance * (1.0 + rho) / ((1.0 - rho) * gaps), variance))
    return np.asarray(
        np.maximum(st.decode_cycle_s[rows, None] + spread * z, st.decode_step_s[rows, None]),
        dtype=float,
    )


def _mean_keeping_theta(theta: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """The cluster count's first parameter raised so its mean stall stays ``θ/(1 − r)``
    units although a single burst costs ¾ of one (:func:`_stall_units`): one step of
    ``θ' = θ / (1 − ¼·(1 − r)·e^(−θ−r))``, since ``P(K = 1) = θ·e^(−θ−r)``."""
    return np.asarray(theta / (1.0 - 0.25 * (1.0 - ratio) * np.exp(-theta - ratio)), dtype=float)


def _stall_units(count: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Mean stalls a request loses to ``count`` prefill bursts, at the level ``within`` its
    quantile falls inside that count.

    Prompts differ in length, so ``k ≥ 2`` bursts cost ``k`` mean stalls give or take half
    of one, spread evenly over ``k ± ½``; a single burst costs anything from a sliver (one
    that straddles the start or the end of the request's decode, or a short prompt) to
    ``1½``, spread evenly over ``(0, 1½)``. So the quantile is monotone and continuous in the
    level and the load, with no jump from no burst to one. A single burst thus costs ¾ of a
    stall on average; :func:`_mean_keeping_theta` raises the count to keep the mean."""
    whole = np.where(count > 0, count - 0.5 + within, 0.0)
    return np.asarray(np.where(count > 1, whole, 1.5 * within * (count > 0)), dtype=float)


def itl_stats(
    inp: FluidInputs,
    op: OperatingPoint,
    req: RequestGrid,
    tpot: np.ndarray,
    running_tpot: np.ndarray,
    wave: FirstWave,
    static: StaticBatch,
    out: dict[str, np.ndarray],
) -> None:
    """``itl_ms_mean`` and ``itl_ms_<percentile>`` per scenario into ``out``: the three-point
    mixture of the module docstring (a static batch's decode steps at its contexts)."""
    kind, st, col = op.kind, op.steady, columns
    gaps = np.maximum(req.output_tokens - 1.0, 1.0)
    total_gaps = gaps.sum(axis=1)
    itl_mean = (gaps * tpot).sum(axis=1) / total_gaps
    # The steps that carry prefill are counted before the drain (:func:`drained_tpot`).
    running_mean = (gaps * running_tpot).sum(axis=1) / total_gaps
    # Every percentile at once: levels are rows (one per percentile) against the scenarios.
    q = np.array(list(PERCENTILES.values()))[:, None] / 100.0
    chained = st.chains()
    if any_true(chained):
        paused = _chain_paused_share(st, gaps.shape[1] / total_gaps)
        chained_gaps = _chained_gap_quantiles(st, paused, q)
        if bool(np.all(chained)):  # a single SGLang open loop: no mixture to price
            out["itl_ms_mean"] = itl_mean * 1e3
            _write_itl_quantiles(chained_gaps, out)
            return
    stall_steps = col(wave.steps) * wave.stall_share
    any_separate = any_true(wave.separate)
    separate = np.asarray(wave.separate, dtype=bool)[:, None]
    any_static = any_true(kind == STATIC_BATCH)
    weight = wave.weight
    if any_static:
        weight = np.where(kind[:, None] != STATIC_BATCH, weight, 0.0)
    has_stall = stall_steps > 0
    long_gaps = np.where(separate & has_stall, weight, 0.0) if any_separate else np.zeros(1)
    # Piggy-backed prefill stalls ``min(s, O − 1)`` gaps, each ``t_w − t_dec`` longer; a
    # separate prefill batch run stalls one gap by all of it (``s·t_w``).
    stalled = np.minimum(stall_steps, gaps)
    added = stalled * np.maximum(wave.sample_step_s - col(st.t_dec), 0.0)
    if any_separate:
        stalled = np.where(separate, has_stall.astype(float), stalled)
        added = np.where(separate, stall_steps * col(wave.step_s), added)
    wave_excess = (weight * added).sum(axis=1) / total_gaps
    # The gaps in the wave's stall. A closed loop has no prompts waiting: piggy-backed, its
    # next wave's prefill stalls a sample only as far as the wave's answers end together;
    # dispersed ones bring their next prompts apart (``unit.apart``), in the steady
    # prefill-carrying steps (simulated: 0.45 % of the gaps stalled for 320 clients of chat
    # lengths, 1.03 % with the whole next wave). A burst's queue fills the budget of every
    # step its slots allow, as a wave (``apart`` 0); an open loop has no wave (weight 0).
    # (The mean keeps the whole stall: the fitted TPOT rests on it.)
    unit = _prefill_unit(inp, op)
    # A burst that refills its slots from a queue meets the next prompts in its refill
    # window's steps (:func:`_refill_stalls`), not in the wave's stall.
    window = refill_window(inp, op)
    next_wave = np.where(col(window.refilling), 1.0, col(unit.apart)) * wave.next_share
    stalled = np.where(
        separate, stalled, np.minimum(col(wave.steps) * (wave.stall_share - next_wave), gaps)
    )
    wave_share = (weight * stalled).sum(axis=1) / total_gaps
    # Prompts per step the mean implies (one prompt's chunk each), and the share of gaps in
    # prefill-carrying steps: no more than the gaps the first wave leaves.
    prompts_per_step = np.maximum(
        (running_mean - st.t_dec - wave_excess) / np.maximum(st.t_mix - st.t_dec, 1e-12), 0.0
    )
    mix_share = np.minimum(prompts_per_step, 1.0 - wave_share)
    if any_static:
        itl_mean = np.where(kind == STATIC_BATCH, static.decode_mean_s, itl_mean)
    out["itl_ms_mean"] = itl_mean * 1e3
    apart = any_true(unit.apart > 0.0)
    merged = _merged_prefill_steps(inp, op, prompts_per_step, unit) if apart else None
    if merged is not None:
        mix_share = np.minimum(merged.share, 1.0 - wave_share)
    if any_true(window.refilling):
        mix_share, unit = _refill_stalls(inp, window, mix_share, wave_share, unit)
    decode_share = np.maximum(1.0 - mix_share - wave_share, 1e-9)
    mixed_level = (q - decode_share) / np.maximum(mix_share, 1e-9)
    low, mid = _open_loop_step_quantiles(
        inp, op, np.minimum(q / decode_share, 0.999), mixed_level, unit, window
    )
    if merged is not None:
        mid = mid + merged.prompt_s * (_prompts_in_step(mixed_level, merged.per_step) - 1.0)
    stall_gap = (
        _stall_gap_quantiles(
            (q - (1.0 - wave_share)) / np.maximum(wave_share, 1e-12),
            long_gaps,
            wave.decode_s + stall_steps * col(wave.step_s),
            wave.step_s,
        )
        if any_true(long_gaps > 0)
        else wave.step_s
    )
    mix = three_point_quantile(q, low, (mid, mix_share), (stall_gap, wave_share))
    if any_true(chained):
        mix = np.where(chained, chained_gaps, mix)
    if any_static:
        mix = np.where(kind == STATIC_BATCH, np.asarray(static.decode_quantile_s), mix)
    _write_itl_quantiles(mix, out)


class RefillStalls(NamedTuple):
    """The ITL mixture's prefill-carrying part with a burst's refill window priced in."""

    #: Share of the gaps in prefill-carrying (or refill-stalled) steps, per scenario.
    mix_share: np.ndarray
    #: The prefill those steps carry: the refill prompts' tokens where a queue refills.
    unit: PrefillUnit


def _refill_stalls(
    inp: FluidInputs,
    window: RefillWindow,
    mix_share: np.ndarray,
    wave_share: np.ndarray,
    unit: PrefillUnit,
) -> RefillStalls:
    """The share of gaps a burst's refill prompts stall, and the prompts each stall holds,
    where they refill the slots from a queue (``window.refilling``): every decode step of
    the window before the queue empties (:func:`refill_window`) that follows a completion,
    ``1 − e^{−c}`` of them for ``c`` completions a step (Poisson), each gap then a decode
    step and the prefill of ``c/(1 − e^{−c})`` prompts (a batch of their own with separate
    prefill batches, chunks riding on the step otherwise). Read off the TPOT mean instead
    (prompts per step), the share left out the window's shape: SGLang, Qwen3-14B on an H100,
    1,000 ShareGPT prompts, 5.6 % of the gaps against 8.1 % simulated, and on an A100 the
    window's gaps counted again at the full batch put the ITL median there (137 ms; 86
    simulated, 85 measured); vLLM, 1,000 chat prompts of Llama 3.1 8B through 256 slots,
    71 % of the gaps in prefill-carrying steps, all at the mean chunk's step (ITL p50 = p90
    = 38 ms; simulated 51 % of the gaps, ITL p50/p90 28/50 ms)."""
    c, refilling = window.refills_per_step, window.refilling
    stalled = -np.expm1(-c)
    share = np.minimum((1.0 - window.drain_share) * stalled, 1.0 - wave_share)
    per_batch = c / np.maximum(stalled, 1e-12)
    tokens = np.where(refilling, per_batch * prompt_tokens(inp), unit.tokens)
    return RefillStalls(np.where(refilling, share, mix_share), unit._replace(tokens=tokens))


def _write_itl_quantiles(quantiles: np.ndarray, out: dict[str, np.ndarray]) -> None:
    """``itl_ms_<percentile>`` from the ITL quantiles (s; rows: :data:`PERCENTILES`)."""
    for i, label in enumerate(PERCENTILES):
        out[f"itl_ms_{label}"] = quantiles[i] * 1e3


def _chain_paused_share(st: SteadyState, first_share: np.ndarray) -> np.ndarray:
    """The share of the gaps between tokens that a chain of prefill batches pauses: a share
    ``p`` of the later gaps (``decode_stall_share``), each after a whole chain, and of the
    first gaps (a share ``f`` of all), the ``1 − 1/L`` whose chain goes on after the batch
    that prefilled them, each after the rest of it (as long, in batches, as a whole chain, by
    the geometric length's lack of memory)."""
    length = np.maximum(st.chain_length, 1.0)
    later = st.decode_stall_share * (1.0 - first_share)
    return np.asarray(np.maximum(later + first_share * (1.0 - 1.0 / length), 1e-12))


#: Share of a batch over which a chained gap's quantile passes from ``k`` to ``k + 1`` prefill
#: batches (:func:`_chained_gap_quantiles`): the batches' own lengths vary, so the steps of the
#: count's quantile are not sharp (estimated; at 0.1 the ITL p90/p99 of 64/16-token SGLang
#: requests on an H100 at 30 requests/s are 29/70 ms against 26/71 ms simulated).
CHAIN_BATCH_STEP_WIDTH = 0.1


def _chained_gap_quantiles(st: SteadyState, paused: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantiles ``q`` (rows) of the gaps between tokens where prefill batches chain: a decode
    step, or, for a share ``p`` of the gaps (``paused``, :func:`_chain_paused_share`), one
    after ``K ≥ 1`` prefill batches of ``T`` seconds each (``chain_batch_s``), ``K``
    geometric of mean ``L`` (``chain_length``): ``P(K > k) = (1 − 1/L)^k``. The level ``q > 1
    − p`` falls on ``K = 1 + ⌊x⌋`` batches, ``x = ln((1 − q)/p)/ln(1 − 1/L)``, passing to the
    next count over the last :data:`CHAIN_BATCH_STEP_WIDTH` of each unit of ``x`` (one batch
    where ``L`` is 1)."""
    length = np.maximum(st.chain_length, 1.0)
    per_batch = -np.log(np.maximum(1.0 - 1.0 / length, 1e-12))
    tail = np.log(paused / np.maximum(1.0 - q, 1e-12))
    x = np.maximum(tail, 0.0) / per_batch
    whole = np.floor(x)
    step = clamp((x - whole - (1.0 - CHAIN_BATCH_STEP_WIDTH)) / CHAIN_BATCH_STEP_WIDTH, 0.0, 1.0)
    batches = np.where(tail > 0.0, 1.0 + whole + step, 0.0)
    return np.asarray(st.decode_step_s + batches * st.chain_batch_s, dtype=float)


#: Fixed-point iterations of the share of an open loop's steps that carry prefill (3 settle
#: it within 0.2 % of 30 for chat and fixed-length loads at 50-95 % of capacity).
MERGED_SHARE_ITERATIONS = 3
#: Newton steps for a zero-truncated Poisson's parameter (3: within 1e-7 for means up to 6),
#: and the most prompts one step is priced with (the count's quantiles beyond it are capped).
ZTP_NEWTON_STEPS = 3
ZTP_MAX_PROMPTS = 8
_ZTP_COUNTS = np.arange(1, ZTP_MAX_PROMPTS + 1, dtype=float)[:, None]
_ZTP_LOG_FACTORIALS = np.cumsum(np.log(_ZTP_COUNTS), axis=0)


class MergedPrefillSteps(NamedTuple):
    """Per scenario, an open loop's prefill-carrying steps when prompts share them."""

    #: Share of the gaps that fall in prefill-carrying steps.
    share: np.ndarray
    #: Seconds one more prompt's chunk adds to such a step.
    prompt_s: np.ndarray
    #: Prompts such a step holds on average (at least 1).
    per_step: np.ndarray


class PrefillUnit(NamedTuple):
    """Per scenario, the prefill-carrying step the ITL mixture counts prompts in."""

    #: Its prompt tokens, and its seconds.
    tokens: np.ndarray
    step_s: np.ndarray
    #: Seconds one more prompt token adds to a large prefill step (:func:`prefill_step_costs`).
    s_per_token: np.ndarray
    #: How far the prompts arrive apart, each its own chunk: 1 for an open loop, ``1 − sync``
    #: for a closed loop (:func:`~predeploy.core.fluid_steady.completion_sync`), 0 otherwise.
    apart: np.ndarray


def _prefill_unit(inp: FluidInputs, op: OperatingPoint) -> PrefillUnit:
    """The prefill-carrying step of the ITL mixture: one prompt's chunk for prompts that arrive
    apart (an open loop's; a closed loop's as far as their answers are dispersed, ``1 −
    sync``), which :func:`_merged_prefill_steps` counts into steps; else the steady state's
    mean chunk and ``t_mix``. (The steady state's chunk of an open loop already holds a
    Poisson number of prompts, ``fluid_steady.apart_chunk``: merged once more, a step's
    share fell as the load rose, and with it the ITL median at 14-37 requests/s.)
    The steady state's chunk blends the in-step waves' ``B·I`` into it linearly (5 % in step
    doubles it at answers of CV 1) and takes the prompts of a step together once more than
    one arrives per step: the same mean, but fewer prefill-carrying gaps, each a larger
    chunk, which put the median gap in a decode step where the simulation has it in a
    prefill-carrying one. Llama 3.1 8B on one H100, chat lengths (400/250 tokens, CV
    0.75/1), 384 clients: ITL p50/p90 69/75 ms against 50/89 simulated."""
    st = op.steady
    closed = np.where(op.kind == CLOSED_LOOP, 1.0 - completion_sync(inp), 0.0)
    apart = np.where(op.kind == OPEN_LOOP, 1.0, closed)
    per_token, fixed = prefill_step_costs(op)
    own = np.minimum(op.prompt, st.budget)
    return PrefillUnit(
        tokens=st.prefill_step_tokens + apart * (own - st.prefill_step_tokens),
        step_s=st.t_mix + apart * (st.t_dec + fixed + per_token * own - st.t_mix),
        s_per_token=per_token,
        apart=apart,
    )


def _merged_prefill_steps(
    inp: FluidInputs, op: OperatingPoint, prompts_per_step: np.ndarray, unit: PrefillUnit
) -> MergedPrefillSteps:
    """:class:`MergedPrefillSteps`: the share of an open loop's gaps that fall in
    prefill-carrying steps, the seconds one more prompt's chunk adds to such a step, and the
    prompts it holds on average, when the prompts that arrive during a step are all
    prefilled in the next (vLLM's scheduler, prompts well inside the token budget).
    ``prompts_per_step`` (``a``, what the mean implies) counts prompts, not the steps that
    carry them: at high load several share a step, so fewer steps carry prefill and each
    carries more. With prompts arriving at ``λ = a/t̄`` (the rate the mean implies), a step
    of ``d`` (decode only) or ``m`` (with prefill) seconds is followed by a prefill-carrying
    one with probability ``1 − e^{−λd}`` or ``1 − e^{−λm}``, so the chain's stationary share
    is ``f = p_d/(1 − p_m + p_d)``, where a prefill-carrying step holds ``k = a/f`` prompts
    and takes ``m = d + E_p + c·k·chunk`` (``c`` a prompt token's cost, ``E_p`` the fixed
    extra: :func:`~predeploy.core.fluid_ttft.prefill_step_costs`). Blended to ``a`` as
    prompts fill the budget (they span steps then) and left at ``a`` for other loads,
    separate prefill batches and multi-step schedulers. Only the ITL percentiles use it; the
    mean (the mean TPOT) keeps ``a`` prefill steps' worth, so the mean and the fitted TPOT
    and throughput do not change. Llama 3.1 8B on one H100 (default parameters), chat
    lengths at 90 % of capacity: ITL p50 26.8 → 18.7 ms (simulated 18.9), p99 87 → 116 ms
    (117). A closed loop's prompts merge as far as they arrive apart (``unit.apart``)."""
    st = op.steady
    per_token = unit.s_per_token
    chunk = np.maximum(unit.tokens, 1.0)
    fixed = np.maximum(unit.step_s - st.t_dec - per_token * chunk, 0.0)
    # The steady state's mean chunks, counted as prompts (each the unit's chunk).
    prompts = prompts_per_step * np.maximum(st.prefill_step_tokens, 1.0) / chunk
    # The prompt rate the mean implies (prompts per step over the mean step).
    rate, d = prompts / np.maximum(st.t_mean, 1e-12), st.t_dec
    share = 1.0 - np.exp(-rate * st.t_mean)
    p_decode = 1.0 - np.exp(-rate * d)
    for _ in range(MERGED_SHARE_ITERATIONS):
        per_step = prompts / np.maximum(share, 1e-9)
        m = d + fixed + per_token * chunk * per_step
        p_mixed = 1.0 - np.exp(-rate * m)
        share = p_decode / np.maximum(1.0 - p_mixed + p_decode, 1e-12)
    within = 1.0 - spanning_share(op, inp.max_num_batched_tokens)
    applies = ~np.asarray(inp.separate_prefill_batches, dtype=bool) & (inp.scheduler_steps <= 1)
    within = np.where(applies, within * unit.apart, 0.0)
    merged = within * np.minimum(share, prompts) + (1.0 - within) * prompts_per_step
    per_step = np.maximum(prompts / np.maximum(merged, 1e-9), 1.0)
    return MergedPrefillSteps(
        np.asarray(merged, dtype=float), np.asarray(per_token * chunk, dtype=float), per_step
    )


def _prompts_in_step(level: np.ndarray, per_step: np.ndarray) -> np.ndarray:
    """The prompts a prefill-carrying step holds at quantile ``level`` (rows of levels against
    the scenarios): a zero-truncated Poisson count of mean ``per_step`` (the arrivals during
    the step before, given at least one), its parameter ``μ`` solving ``μ/(1 − e^{−μ}) =
    per_step``. A count ``c ≥ 2`` rises evenly from ``c − 1`` to ``c`` over its share, so the
    quantile is continuous in the level; that prices such a step half a prompt short on
    average, which offsets taking the count and the prompts' lengths at one level (both at
    their tails together): against the simulation of chat loads at 70-95 % of capacity the
    ITL p99 comes out within 3 % this way (9 % low at 50 %), 6-14 % high with the counts'
    exact mean."""
    several = per_step > 1.0 + 1e-6
    if not any_true(several):
        return np.ones(np.broadcast_shapes(np.shape(level), per_step.shape))
    target = np.maximum(per_step, 1.0 + 1e-9)
    mu = 2.0 * (target - 1.0)
    for _ in range(ZTP_NEWTON_STEPS):
        e = np.exp(-mu)
        mu = np.maximum(mu - (mu - target * (1.0 - e)) / np.maximum(1.0 - target * e, 1e-9), 1e-9)
    log_pmf = _ZTP_COUNTS * np.log(mu) - mu - _ZTP_LOG_FACTORIALS
    cdf = np.cumsum(np.exp(log_pmf), axis=0) / np.maximum(1.0 - np.exp(-mu), 1e-12)
    levels = np.atleast_2d(clamp(level, 0.0, 0.999)) + np.zeros(per_step.shape)
    k = np.minimum((cdf[None, :, :] < levels[:, None, :]).sum(axis=1), ZTP_MAX_PROMPTS - 1)
    scenarios = np.arange(cdf.shape[1])
    lo = np.where(k > 0, cdf[np.maximum(k - 1, 0), scenarios], 0.0)
    hi = cdf[k, scenarios]
    frac = clamp((levels - lo) / np.maximum(hi - lo, 1e-12), 0.0, 1.0)
    # Count 1 over its whole share; a count c ≥ 2 rising evenly from c − 1 to c over its own.
    return np.asarray(np.where(several & (k > 0), k + frac, 1.0), dtype=float)


def _stall_gap_quantiles(
    level: np.ndarray, weight: np.ndarray, gap_s: np.ndarray, default_s: np.ndarray
) -> np.ndarray:
    """The first wave's stalled gaps at ``level`` (rows of levels against the scenarios): with
    separate prefill batches, each stalled sample's one long gap (``gap_s``, weighted by
    ``weight``), as an empirical quantile; ``default_s`` (one prefill step) where no sample
    has such a gap."""
    order = np.argsort(gap_s, axis=1)
    sorted_gap = along_rows(gap_s, order)
    cum = np.cumsum(along_rows(weight, order), axis=1)
    total = cum[:, -1]
    cum = cum / np.maximum(total, 1e-12)[:, None]
    out = np.empty(np.broadcast_shapes(level.shape, default_s.shape))
    for i, row_level in enumerate(np.atleast_2d(level)):
        pick = (cum < clamp(row_level, 0.0, 1.0)[:, None]).sum(axis=1)
        at = along_rows(sorted_gap, np.minimum(pick, gap_s.shape[1] - 1)[:, None])
        out[i] = np.where(total > 0, at[:, 0], default_s)
    return out


def _open_loop_step_quantiles(
    inp: FluidInputs,
    op: OperatingPoint,
    decode_level: np.ndarray,
    mixed_level: np.ndarray,
    unit: PrefillUnit,
    window: RefillWindow,
) -> tuple[np.ndarray, np.ndarray]:
    """The decode-step and prefill-carrying-step times at quantiles ``decode_level`` and
    ``mixed_level`` (rows of levels against the scenarios; both step kinds priced in one call):
    an open loop's spread (:func:`_open_loop_spread`; a closed loop's prompts as far as they
    arrive apart), a burst's draining decode steps (:func:`_drain_decode_quantiles`),
    ``t_dec`` and the prefill unit's step for other loads."""
    st = op.steady
    low: np.ndarray = st.t_dec
    mid: np.ndarray = unit.step_s
    if any_true(unit.apart > 0.0):
        low, mid = _open_loop_spread(inp, op, decode_level, mixed_level, unit)
    refilled = window.refilling | (
        (op.kind == BURST)
        & np.asarray(inp.separate_prefill_batches, dtype=bool)
        & (inp.prompt_cv > 0.0)
        & (unit.tokens < op.steady.budget)
    )
    if any_true(refilled):
        batches = _refill_batch_quantiles(inp, op, mixed_level, unit, window.refilling)
        mid = np.where(refilled, batches, mid)
    draining = (op.kind == BURST) & (inp.output_cv > 0)
    if any_true(draining):
        drained = _drain_decode_quantiles(inp, op, decode_level, draining, window)
        low = np.where(draining, drained, low)
    return np.asarray(low, dtype=float), np.asarray(mid, dtype=float)


def _refill_batch_quantiles(
    inp: FluidInputs,
    op: OperatingPoint,
    level: np.ndarray,
    unit: PrefillUnit,
    refilling: np.ndarray,
) -> np.ndarray:
    """A burst's separate prefill batches while its completions refill the slots, at
    quantiles ``level``: each batch holds the prompts of the requests that ended since the
    last (``m`` on average: the unit's tokens over the mean prompt, :func:`_refill_stalls`
    where a queue refills the slots, else the steady chunk's), their total as varied as a
    Poisson number of lognormal prompts (``CV² = (1 + cv_I²)/m``); the decoders wait for the
    whole batch, so the gap is ``t_dec`` plus the batch alone — at most the budget, except
    where separate prefill batches refill the slots from a queue, when one gap holds as many
    batches as its prompts need (the simulation: 1.2-1.35 batches per decode step). Chunks
    that ride on the decode step (a piggy-backed burst's refills) are priced the same way,
    ``t_dec`` plus the chunk alone: the simulated median of such steps, 38 ms for 1,000 chat
    prompts of Llama 3.1 8B through 256 slots, is priced at 35 ms."""
    st = op.steady
    prompt = prompt_tokens(inp)
    per_batch = np.maximum(unit.tokens / np.maximum(prompt, 1.0), 1.0)
    cv = np.sqrt((1.0 + inp.prompt_cv**2) / per_batch)
    size = lognormal_factor(clamp(level, PROMPT_LEVEL_MIN, PROMPT_LEVEL_MAX), cv)
    separate = np.asarray(inp.separate_prefill_batches, dtype=bool)
    cap = np.where(refilling & separate, np.inf, st.budget)
    chunk = clamp(unit.tokens * size, 1.0, cap)
    zero = np.zeros(np.shape(chunk))
    alone = step_s(inp, chunk, chunk * prefill_context_tokens(inp), zero, zero)
    return np.asarray(st.t_dec + alone, dtype=float)


def _open_loop_spread(
    inp: FluidInputs,
    op: OperatingPoint,
    decode_level: np.ndarray,
    mixed_level: np.ndarray,
    unit: PrefillUnit,
) -> tuple[np.ndarray, np.ndarray]:
    """Open loops' step times at those quantiles (``t_dec`` and ``t_mix`` for other loads).

    **Decode step** at a quantile of the batch an open-loop request meets (module docstring):
    ``t_dec`` at the median and below, and never past the step of the batch the slots and the
    KV cache hold (Llama 3.1 70B on 2× GB200, chat lengths at capacity: the ITL median sat on a
    decode step slower than the full batch's, 123 ms where that takes 97, and fell as the load
    passed capacity). **Prefill-carrying step** at a quantile of the prompts
    it carries: a step carries one arriving prompt's chunk, lognormal like the prompts (most
    are shorter than the mean), at most the token budget; ``t_mix`` for fixed prompts. A
    closed loop's steps as far as its prompts arrive apart (``unit.apart``)."""
    st = op.steady
    open_loop = op.kind == OPEN_LOOP
    prompt = prompt_tokens(inp)
    out_tokens = np.maximum(inp.output_tokens, 1.0)
    others = np.maximum(op.batch, 0.0)
    seen = st.seen
    context = decode_context(prompt, out_tokens)
    ctx_sq = prompt**2 * (1.0 + inp.prompt_cv**2) + prompt * out_tokens + out_tokens**2 / 3.0
    # Clustered arrivals, and the prefill stalls that keep more requests decoding at once
    # after many arrive (the cluster process of the TPOT count), spread the batch met.
    clustering = np.maximum(inp.arrival_cv**2, 1.0) / (1.0 - _prefill_stall(op).ratio) ** 2
    z = normal_quantile(clamp(decode_level, 0.5, 0.999))
    # No step runs more sequences than the engine's slots and KV cache hold, nor reads more
    # than the cache keeps.
    count = clamp(seen + z * np.sqrt(others * clustering), 1.0, np.maximum(op.max_batch, seen))
    kv_spread = clamp(
        seen * context + z * np.sqrt(others * clustering * ctx_sq),
        context,
        np.maximum(inp.kv_capacity_tokens, seen * context),
    )
    level = clamp(mixed_level, PROMPT_LEVEL_MIN, PROMPT_LEVEL_MAX)
    size = prompt * lognormal_factor(level, inp.prompt_cv)
    chunk = clamp(unit.tokens * size / np.maximum(prompt, 1.0), 1.0, st.budget)
    # Adding zeros of the common shape broadcasts (cheaper than np.broadcast_to here).
    zero = np.zeros(np.broadcast_shapes(count.shape, chunk.shape))
    spread, mixed = steps_s(
        inp,
        (zero, zero, count + zero, kv_spread + zero),
        (chunk + zero, chunk * size / 2.0 + zero, seen + zero, seen * context + zero),
    )
    low = np.where(open_loop, np.maximum(spread, st.t_dec), st.t_dec)
    spread_mid = np.where(open_loop, mixed, unit.step_s + unit.apart * (mixed - unit.step_s))
    mid = np.where(inp.prompt_cv > 0, spread_mid, unit.step_s)
    return low, mid


class RefillWindow(NamedTuple):
    """Per scenario, a burst's decode gaps before and after its queue empties (module
    docstring, "Drain")."""

    #: Share of the decode gaps in the drain, once the queue is empty (1 with no queue).
    drain_share: np.ndarray
    #: Prompts the completions of one decode step let in while the queue lasts (``c``).
    refills_per_step: np.ndarray
    #: Bursts whose dispersed completions refill the slots from a queue: while it lasts,
    #: nearly every decode step follows a completion, and the refill prompts' prefill rides
    #: on it (chunked prefill: vLLM, TensorRT-LLM) or pauses it for a batch of their own
    #: (separate prefill batches: SGLang).
    refilling: np.ndarray


def refill_window(inp: FluidInputs, op: OperatingPoint) -> RefillWindow:
    """:class:`RefillWindow`: the queue empties at step ``s*`` (in mean outputs), when the
    slots' completions have freed the ``N − B`` slots the rest need, ``B·M(s*) = N − B``
    (``M`` the renewal function, :func:`~predeploy.core.fluid_stats.renewal_time`: the
    first wave's answers and the short ones that replaced them); until then every step
    decodes ``B``, so the drain holds ``1 − B·s*/N`` of the gaps. For many waves this is the
    last wave's residual outputs, ``E[X²]/(2E[X])`` each of ``N·E[X]`` (``M(s) → s + (c² −
    1)/2``), which the renewal function reaches only after several lengths when the answers
    are skewed (at CV 3, a burst of 1,200 through 600 slots had no window at all by the
    residuals). The window's ``(1 − drain)·N·O/B`` decode steps let in the ``N − B`` later
    prompts, ``c`` a step on average. Other loads have no queue to refill from (drain 1)."""
    burst = op.kind == BURST
    wave = np.maximum(op.burst_wave, 1.0)
    n = np.maximum(op.num_prompts, 1.0)
    refill = np.where(burst, np.maximum((n - wave) / wave, 0.0), 0.0)
    queued = refill > 0.0
    s_star = np.zeros(refill.shape)
    if any_true(queued):
        s_star = renewal_time(refill, np.where(queued, inp.output_quantile_cv, 0.0)) * queued
    drain_share = clamp(1.0 - wave * s_star / n, 0.0, 1.0)
    window_steps = (1.0 - drain_share) * n * np.maximum(inp.output_tokens, 1.0) / wave
    refills = np.maximum(n - wave, 0.0) / np.maximum(window_steps, 1.0)
    refilling = burst & (inp.output_cv > 0.0) & (op.num_prompts > op.burst_wave)
    return RefillWindow(
        np.asarray(drain_share, dtype=float),
        np.asarray(refills, dtype=float),
        np.asarray(refilling, dtype=bool),
    )


def _drain_decode_quantiles(
    inp: FluidInputs,
    op: OperatingPoint,
    decode_level: np.ndarray,
    draining: np.ndarray,
    window: RefillWindow,
) -> np.ndarray:
    """A burst's decode-step time at ``decode_level`` of its decode gaps (module docstring,
    "Drain"): the step of the batch a gap at that level sees, never above ``t_dec`` (callers
    take it where ``draining``). Where refill prompts stall the window's steps
    (``window.refilling``), the ITL mixture prices those gaps as stalled, so its decode
    gaps are the drain's and the window's others (``e^{−c}`` of them)."""
    st = op.steady
    wave = np.maximum(op.burst_wave, 1.0)
    drain_share, refilling = window.drain_share, window.refilling
    if any_true(refilling):
        others = (1.0 - drain_share) * np.exp(-window.refills_per_step)
        drain_share = np.where(
            refilling, drain_share / np.maximum(drain_share + others, 1e-12), drain_share
        )
    levels = np.atleast_2d(decode_level)
    shape = np.broadcast_shapes(levels.shape, wave.shape)
    levels = np.broadcast_to(levels, shape)
    share = np.ones(shape)
    for j in np.flatnonzero(draining):
        share[:, j] = drain_seen_share(
            np.minimum(levels[:, j] / max(drain_share[j], 1e-12), 1.0),
            float(inp.output_quantile_cv[j]),
        )
    count = np.maximum(wave * share, 1.0)
    context = decode_context(prompt_tokens(inp), np.maximum(inp.output_tokens, 1.0))
    decode = step_s(inp, np.zeros(shape), np.zeros(shape), count, count * context)
    return np.asarray(np.minimum(decode, st.t_dec), dtype=float)


#: Share of the token budget's batch limit ``M·O/(I + O)`` at or above which a run's batch is
#: the budget's (:func:`budget_run_s`); below, the slots or the KV cache bound it. A tolerance
#: for rounding: a batch the budget bounds equals the limit.
BUDGET_BOUND_SHARE = 0.99


def budget_run_s(inp: FluidInputs, op: OperatingPoint) -> np.ndarray:
    """Seconds a finite run of ``N`` requests in several waves takes to produce every request's
    mean output where the token budget ``M`` paces it (chunked prefill into the decode steps,
    the budget counting decode tokens: vLLM, TensorRT-LLM); NaN elsewhere.

    Where the budget bounds the running batch ``B`` (``B = M·O/(I + O)``, below the slots and
    the KV cache), such a run is a pipeline of steps that each carry ``M`` tokens, not waves
    one slot time apart: every prompt is admitted as soon as the budget has room. With ``I``
    the prompt and ``O`` the output:

    * **Ramp.** The first prompts are prefilled into a decode batch that grows from 0 to
      ``B``: with ``d`` decoding, a step takes ``(M − d)/I`` prompts, so ``d`` reaches ``B``
      after ``n_r = I·ln(M/(M − B))`` steps. A step's time along the way is interpolated
      linearly between the prompt-only step ``A = t(M, 0)`` and the full step at ``B``
      (``t_full``): ``t(d) = A + C·d``, ``C = (t_full − A)/B``, so the ramp takes
      ``I·((A + C·M)·ln(M/(M − B)) − C·B)``.
    * **Full steps.** Of the run's ``N·(I + O − 1)`` budget tokens (prompts, and every output
      token but the one a prefill step yields), the ramp and the drain leave the rest to
      steps of ``M − B`` prompt tokens and ``B`` decodes, each taking ``t_full``.
    * **Drain.** Once the last prompt is in, the batch empties over ``O − 1`` steps as its
      requests, at every stage of their outputs, finish: on average half the batch, priced
      at ``t(0, B/2)``, carrying ``B·(O − 1)/2`` decode tokens.

    No faster than the API server admits ``N`` prompts, plus a served request's overhead.
    Against this package's simulation, which runs the same schedule step by step, for
    TensorRT-LLM 0.10's published runs (2,000 requests, ``M`` = 2,048; 128/128 tokens, 62
    configurations): the run's throughput was 0.6× the simulated with the waves, and is within
    5 % with this pipeline."""
    budget_tokens = inp.max_num_batched_tokens
    batch = op.batch
    prompt = op.prompt
    room = budget_tokens - batch
    # The budget, not the slots or the KV cache, must be what bounds the batch (B_max's
    # token limit ``M·O/(I + O)``): a batch the slots bound refills only as its requests
    # finish, in waves.
    out_tokens = np.maximum(inp.output_tokens, 1.0)
    token_limit = budget_tokens * out_tokens / (prompt + out_tokens)
    applicable = (
        op.finite_run
        & np.asarray(inp.chunked_prefill, dtype=bool)
        & ~np.asarray(inp.separate_prefill_batches, dtype=bool)
        & (op.waves > 1.0)
        & (room >= 1.0)
        & (batch >= BUDGET_BOUND_SHARE * token_limit)
    )
    out = np.full_like(batch, np.nan)
    if not any_true(applicable):
        return out
    st = op.steady
    zero = np.zeros_like(batch)
    half = 0.5 * batch
    context = decode_context(prompt, inp.output_tokens)
    prompt_only, half_decode = steps_s(
        inp,
        (budget_tokens, budget_tokens * prompt / 2.0, zero, zero),
        (zero, zero, half, half * context),
    )
    t_full = st.full_prefill_s_per_token * st.budget
    slope = (t_full - prompt_only) / np.maximum(batch, 1.0)
    log_room = np.log(budget_tokens / np.maximum(room, 1.0))
    ramp_steps = prompt * log_room
    ramp_s = prompt * ((prompt_only + slope * budget_tokens) * log_room - slope * batch)
    decode_steps = np.maximum(inp.output_tokens - 1.0, 0.0)
    drain_tokens = half * decode_steps
    total_tokens = op.num_prompts * (prompt + decode_steps)
    full_tokens = np.maximum(total_tokens - ramp_steps * budget_tokens - drain_tokens, 0.0)
    full_s = full_tokens / np.maximum(st.budget + batch, 1.0) * t_full
    run_s = ramp_s + full_s + decode_steps * half_decode
    # No faster than the API server admits the prompts; a served request's overhead once.
    run_s = np.maximum(run_s, op.num_prompts * op.frontend_s) + op.overhead_s
    return np.asarray(np.where(applicable, run_s, np.nan), dtype=float)


def drain_end_s(
    inp: FluidInputs, op: OperatingPoint, ttft: np.ndarray, paced_s: np.ndarray
) -> np.ndarray:
    """When a finite run of ``N`` requests (burst, finite offline run) completes, seconds.

    The bulk ends at ``T_bulk = max TTFT + (O − 1)·t̄`` (the last request started, decoding
    the mean output at the step time ``t̄`` of the run's last requests, :func:`tail_step_s`).
    With variable output lengths the run ends later, with its longest request: ``O_max`` =
    the lognormal output quantile ``1 − 1/(N + 1)`` (expected maximum of ``N`` draws; capped
    at ``MAX_OUTPUT_FACTOR`` × the mean like the sampler, and at the workload's longest
    allowed output). It starts at the mean TTFT (its queue position is uniform), decodes
    ``n = (T_last − mean TTFT)/t_a + (T_bulk − T_last)/t̄`` tokens while the batch is full
    (``T_last`` the last TTFT; ``t_a`` the step until then, :func:`tail_step_s` admitting, which
    is ``t̄`` for a run in one wave), and the rest alone at the single-sequence step time
    ``t_1 = t(0, 0, 1, I + O_max/2)``::

        T_end = T_bulk + max(0, O_max − 1 − n) · t_1

    Benchmark clients (``vllm bench serve``, ``trtllm-bench``) divide the tokens by this
    duration, so the drain tail lowers the measured throughput of variable-length bursts;
    fixed-length runs (CV 0) have ``O_max = O`` and end with the bulk. Only scenarios with
    ``finite_run`` set get the tail (the others' throughput does not use the run's end).
    ``paced_s``: the bulk where the token budget paces the run (:func:`budget_run_s`; NaN
    where it does not).
    """
    finite_run, n_prompts, t_mean = op.finite_run, op.num_prompts, tail_step_s(op)
    last_in = ttft.max(axis=1)
    bulk = np.asarray(last_in + op.decode_steps * t_mean, dtype=float)
    bulk = np.where(np.isnan(paced_s), bulk, paced_s)
    if not any_true(finite_run & (inp.output_cv > 0.0)):
        return bulk
    quantile = 1.0 - 1.0 / (np.maximum(n_prompts, 1.0) + 1.0)
    factor = np.minimum(lognormal_factor(quantile, inp.output_quantile_cv), MAX_OUTPUT_FACTOR)
    longest_drawn = np.minimum(inp.output_quantile_mean * factor, inp.output_max)
    longest = np.where(finite_run, np.maximum(longest_drawn, inp.output_tokens), 0.0)
    if not any_true(longest > inp.output_tokens):
        return bulk
    one = np.ones_like(longest)
    t_one = step_s(inp, 0.0 * one, 0.0 * one, one, prompt_tokens(inp) + 0.5 * longest)
    # Tokens the longest decodes before the bulk ends: until the last prompt is in at the
    # admitting run's step, then at the last requests' (the same for a run in one wave).
    split = np.minimum(last_in, bulk)
    admitting = tail_step_s(op, admitting=True)
    done_in_bulk = (split - row_mean(ttft)) / np.maximum(admitting, 1e-12) + (
        bulk - split
    ) / np.maximum(t_mean, 1e-12)
    return np.asarray(bulk + np.maximum(longest - 1.0 - done_in_bulk, 0.0) * t_one, dtype=float)


#: Shares of a finite open loop's arrivals, counted back from the last, among which
#: :func:`open_loop_end_s` looks for the request that finishes last.
LAST_ARRIVAL_SHARES = (0.02, 0.1, 0.3, 1.0)
#: Positions in a run (shares of its ``N`` requests) over which the mean wait for a slot is
#: taken (midpoints of equal cells).
RUN_POSITIONS = (np.arange(32) + 0.5) / 32


def open_loop_end_s(inp: FluidInputs, op: OperatingPoint, ttft_mean_s: np.ndarray) -> np.ndarray:
    """When a finite open loop of ``N`` requests at ``λ`` ends, seconds after its first
    arrival (``vllm bench serve`` divides ``N`` by it).

    The ``k``-th request arrives at ``k/λ``, above capacity waits for a slot
    (:func:`~predeploy.core.fluid_load.finite_run_wait_s`; the mean TTFT carries its mean
    over ``k``), and has its first token a service TTFT later. The last one then decodes its
    ``O − 1`` tokens while the batch drains around it, at ``(t̄ + t_1)/2`` a step (``t̄`` the
    running batch's mean step, ``t_1`` one sequence's): the bulk ends there. A long answer
    that arrived a little earlier can end later: the last share ``s`` of the arrivals (``m =
    s·N`` requests, starting on average at position ``N·(1 − s/2)``) holds a longest answer of
    ``O_m`` tokens, the lognormal output quantile ``1 − 1/(m + 1)`` (capped as
    :func:`drain_end_s` caps it), decoded at ``t̄`` until the bulk ends and at ``t_1`` after.
    The run ends with the latest of these over :data:`LAST_ARRIVAL_SHARES` and the bulk (the
    bulk itself for fixed lengths). Against the simulation of 100-1,000 chat requests
    (lognormal outputs, CV 0.8) at 0.7-0.9 of capacity the rate is within 6 %; with the last
    arrival plus a mean E2E it came out up to 50 % high."""
    n, rate = op.num_prompts, np.maximum(op.rate_rps, 1e-12)
    positions = n[:, None] * RUN_POSITIONS[None, :]
    service_ttft_s = ttft_mean_s - row_mean(finite_run_wait_s(op, positions))

    def first_token_s(k: np.ndarray) -> np.ndarray:
        """When the ``k``-th request has its first token, on average (``k``: one per
        scenario, or rows of them)."""
        rows = np.reshape(k, (-1, n.size))
        wait_s = np.reshape(finite_run_wait_s(op, rows.T).T, np.shape(k))
        return np.asarray(np.maximum(k - 1.0, 0.0) / rate + wait_s + service_ttft_s)

    t_mean = np.maximum(op.steady.decode_cycle_s, 1e-12)
    shares = np.array(LAST_ARRIVAL_SHARES)[:, None]
    quantile = 1.0 - 1.0 / (np.maximum(shares * n, 1.0) + 1.0)
    factor = np.minimum(lognormal_factor(quantile, inp.output_quantile_cv), MAX_OUTPUT_FACTOR)
    longest = np.maximum(np.minimum(inp.output_quantile_mean * factor, inp.output_max), 1.0)
    one, zero = np.ones_like(inp.output_tokens), np.zeros_like(inp.output_tokens)
    t_one = step_s(inp, zero, zero, one, prompt_tokens(inp) + 0.5 * longest[-1])
    bulk_end = first_token_s(n) + op.decode_steps * 0.5 * (t_mean + t_one)
    start = first_token_s(n * (1.0 - shares / 2.0))
    decode = longest - 1.0
    in_bulk = np.maximum(bulk_end - start, 0.0) / t_mean
    end = start + np.minimum(decode, in_bulk) * t_mean + np.maximum(decode - in_bulk, 0.0) * t_one
    return np.asarray(np.maximum(bulk_end, end.max(axis=0)), dtype=float)


def closed_loop_tail_s(
    inp: FluidInputs, in_flight: np.ndarray, finite_run: np.ndarray
) -> np.ndarray:
    """Seconds a finite closed-loop run of ``N`` requests lasts beyond ``N`` over its steady
    rate: its tail, once the last request has started.

    From then on the ``k = min(c, B_max)`` requests in flight finish one by one, each with the
    residual of its output (a request seen at a random time: :func:`~predeploy.core.
    fluid_stats.longest_residual_excess`), and the run ends with the longest. With step times
    ``t(b) = t₀ + b·t_b`` the drain takes ``R_max·t₀ + Σ R_i·t_b`` where the steady rate
    budgets ``Σ R_i·(t₀ + k·t_b)/k``: the excess is ``(E[R_max] − E[R])·t₀``, with ``t₀``
    priced as one sequence's step ``t_1``. Benchmark clients (``vllm bench serve``,
    genai-perf) divide the run's requests by its duration, so dispersed outputs lower the
    measured throughput: 64 chat clients (output CV 0.8) at 12 requests each lose 10 %.
    Fixed lengths keep the clients in step, and they finish together (0)."""
    tail = np.zeros_like(in_flight)
    rows = np.flatnonzero(finite_run & (inp.output_cv > 0.0) & (in_flight > 1.0))
    if rows.size == 0:
        return tail
    # In units of the answers' log-normal mean, before its cut at ``output_max``.
    law_mean = np.maximum(inp.output_quantile_mean, 1.0)
    cap = np.minimum(MAX_OUTPUT_FACTOR, inp.output_max / law_mean)
    for j in rows:
        tail[j] = longest_residual_excess(
            float(inp.output_quantile_cv[j]), float(in_flight[j]), float(cap[j])
        )
    none, one = np.zeros_like(in_flight), np.ones_like(in_flight)
    context = decode_context(prompt_tokens(inp), inp.output_tokens)
    t_one = step_s(inp, none, none, one, context)
    return np.asarray(tail * law_mean * t_one, dtype=float)


__all__ = [
    "MAX_OUTPUT_FACTOR",
    "FirstWave",
    "budget_run_s",
    "closed_loop_tail_s",
    "drain_end_s",
    "first_wave",
    "itl_stats",
    "tail_step_s",
    "tpot_samples",
]
