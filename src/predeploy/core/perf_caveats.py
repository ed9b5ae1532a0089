"""What a performance prediction leaves out or prices less surely, said in its caveats.

Each function returns the caveats (plain sentences) one prediction carries: the engine's
kernels, precisions, speculative decoding and a flag the engine switches off
(:func:`engine_caveats`); an SGLang open loop
whose prefill batches chain, or fill the running-request limit with them; a KV cache that
bounds SGLang's batch (retractions, which only the simulation schedules); what a simulation
evicted, and closed loops it keeps in lock step; a served load the API server's time per
request paces (:func:`front_end_caveats`). :mod:`predeploy.core.perf` attaches them.
"""

from __future__ import annotations

import math

from predeploy.core.engine_args import attention_data_parallel
from predeploy.core.prefix_cache import history_caveat, prefix_caveat
from predeploy.core.types import (
    Engine,
    GpuSpec,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)

#: A closed loop whose answers are all of one length, simulated from its clients' common
#: start: what its TTFT can mean. Requests prefilled in one step end in one step and their
#: clients send again together, whatever the prompts (Llama 3.1 8B on an H100, 64 clients of
#: 128-token answers: simulated TTFT p50 675 ms with 2,048-token prompts, 637 ms with prompts
#: of 2,048 ± 1,000, analytic 234 and 258 ms). A run of fewer than three waves is simulated so
#: (``core.perf.warm_closed_loop``); before session 82 every such loop was.
LOCK_STEP_CAVEAT = (
    "every answer the same length: the simulated clients start together, finish together, "
    "send again together and stay in lock step (a group's prompts share each prefill step, "
    "every cycle), so TTFT can come out several times the analytic mode's, which assumes the "
    "clients' phases spread, as measured servers mostly have them (docs/perf-validation.md, "
    "sessions 25 and 82)"
)

#: The same loop run warm (``core.perf.warm_closed_loop``): what its latencies leave out.
WARM_CLOSED_LOOP_CAVEAT = (
    "every answer the same length: simulated warmed up, the clients starting at random phases "
    "over a request's lifetime and their first requests left out, because clients that start "
    "together keep in lock step in a deterministic simulation, which measured servers mostly "
    "do not; the first wave's prompts, which a benchmark sends together, are not in these "
    "latencies (the analytic mode's include them), and the simulated clients can still fall "
    "into step over the run (docs/perf-validation.md, session 82)"
)


def _architecture(gpu: GpuSpec) -> str:
    """``gpu``'s architecture as the tables below name it (``hopper``, ``ampere``)."""
    return gpu.architecture.strip().lower()


#: Engines whose 4-bit weights ran far slower than predicted on GPUs without FP4 tensor cores.
SLOW_FP4_ENGINES = frozenset({Engine.SGLANG, Engine.TRTLLM})
#: The architectures those runs were on (Ampere: A100; Hopper: H100).
SLOW_FP4_ARCHITECTURES = frozenset({"ampere", "hopper"})
#: What such a prediction can mean, from the runs that showed it.
SLOW_FP4_CAVEAT = (
    "4-bit weights on a GPU without FP4 tensor cores: measured SGLang 0.5.3-0.5.4 and "
    "TensorRT-LLM 1.0-1.2 runs of gpt-oss-20b and gpt-oss-120b (MXFP4) on A100 and H100 were "
    "2-10x slower than predicted, vLLM's on the same GPUs about as predicted (GPUStack "
    "performance lab; docs/perf-validation.md, session 31): these engines' 4-bit kernels there, "
    "which the model does not represent"
)


#: Architectures on which TensorRT-LLM's measured MLA (DeepSeek-style) runs took far longer to
#: their first token than predicted.
SLOW_MLA_PREFILL_ARCHITECTURES = frozenset({"hopper"})
#: What such a prediction can mean, from the runs that showed it.
SLOW_MLA_PREFILL_CAVEAT = (
    "TensorRT-LLM serving an MLA model (DeepSeek-V3/R1 style) on Hopper: measured TTFTs were "
    "2-5x this estimate even where they are fitted (AIConfigurator's DeepSeek-R1 and -V3 rows "
    "on 8x H200, TensorRT-LLM 1.1: 0.30-0.56 of the measured in sample; GPUStack's DeepSeek-R1 "
    "burst on 8x H200, 1.0: predicted throughput 3.6x the measured), while its kernels' own "
    "timings (AIConfigurator's MLA and MoE tables) sum to less than this estimate: time "
    "outside the kernels that the model does not represent (docs/perf-validation.md, "
    "session 75)"
)


#: What a prediction of a model with DeepSeek's sparse attention (DSA: a lightning indexer
#: picks the cached tokens each query attends to) can mean, from the never-fitted runs that
#: measured it (bench/data/unseen_gpustack_cases.jsonl and
#: unseen_gpustack_guidellm_later_cases.jsonl).
SPARSE_ATTENTION_CAVEAT = (
    "DeepSeek sparse attention (DSA): its kernels differ by engine, release and backend far "
    "more than this step model does; measured ÷ predicted throughput of never-fitted runs on "
    "8x H200 (GPUStack): DeepSeek-V3.2 on vLLM 0.13 0.55-0.77, on SGLang 0.5.6 0.37-0.60 with "
    "tensor-parallel attention or the FlashMLA NSA backends and 0.8-1.0 with the FA3 NSA "
    "backends or data-parallel attention; GLM-5.2 FP8 on vLLM 0.24 0.60-0.69, on SGLang "
    "0.5.14 about 0.8 with tensor-parallel attention and 1.2-1.7 with data-parallel attention "
    "(docs/perf-validation.md, session 76)"
)


#: What a prediction of a server that decodes speculatively leaves out.
SPECULATIVE_CAVEAT = (
    "speculative decoding is stated: its draft-and-verify steps, which emit several tokens per "
    "step when drafts are accepted, are not modelled, so TPOT and throughput are those of plain "
    "decoding; a speculative server's TPOT can be much lower and its throughput higher "
    "(DeepSeek-V3's one-token MTP drafts are accepted 85-90 % of the time for 1.8x the tokens "
    "per second: its technical report, section 5.4.3); SGLang's cap of 48 running requests "
    "under it is applied"
)


#: Architectures whose FP8 weights TensorRT-LLM does not serve, even weight-only as vLLM's
#: Marlin kernels do: its support matrix lists FP8 for Ada (SM89), Hopper and Blackwell only
#: (Ampere: FP32, FP16, BF16, INT8, INT4; TensorRT-LLM 0.18 docs, Support Matrix, Precision).
TRTLLM_NO_FP8_ARCHITECTURES = frozenset({"volta", "turing", "ampere"})


def unserved_precision_caveat(
    gpu: GpuSpec, precision: Precision, engine: Engine | None = None
) -> str | None:
    """What a prediction of weights in a precision ``gpu`` (with ``engine``) does not serve
    means (``None`` where it serves them, natively or weight-only; BF16 on a GPU without it
    runs as FP16)."""
    trtllm_fp8 = (
        engine == Engine.TRTLLM
        and precision == Precision.FP8
        and _architecture(gpu) in TRTLLM_NO_FP8_ARCHITECTURES
    )
    if (gpu.serves(precision) and not trtllm_fp8) or precision == Precision.BF16:
        return None
    if trtllm_fp8:
        why = f"TensorRT-LLM serves FP8 from Ada on, not on {gpu.architecture}"
    else:
        served = ", ".join(
            p.value for p in (*gpu.supported_precisions, *gpu.weight_only_precisions)
        )
        why = (
            f"it serves {served}; {gpu.architecture} has no {precision.value} kernels in the "
            "serving engines"
        )
    return (
        f"{gpu.name} does not serve {precision.value} weights ({why}): this prediction prices "
        f"{precision.value}-sized weights at 16-bit compute, a deployment that cannot start as "
        "stated"
    )


#: An SGLang command line with ``--enable-dp-attention`` and no ``--dp-size`` above 1.
DP_ATTENTION_OFF_CAVEAT = (
    "--enable-dp-attention without --dp-size: SGLang (0.4.4 and later) splits the attention "
    "over --dp-size ranks and switches the flag off at its default of 1 (server_args.py), so "
    "this is predicted with the attention tensor-parallel over the GPUs; state --dp-size equal "
    "to the tensor-parallel size for data-parallel attention"
)


def engine_caveats(
    scenario: ServingScenario, history_hit_share: float = 1.0, prefix_hit_share: float = 1.0
) -> tuple[str, ...]:
    """What the scenario's engine does that the step model does not: kernels known to run far
    slower than it on this GPU and precision, TensorRT-LLM's MLA models on Hopper, sparse
    attention's engine-dependent kernels, weights in a precision the GPU does not serve, and
    speculative decoding; an engine flag the engine itself ignores; and how a shared prompt
    prefix was priced (``core.prefix_cache``)."""
    slow_fp4 = (
        scenario.precision == Precision.FP4
        and scenario.engine in SLOW_FP4_ENGINES
        and _architecture(scenario.gpu) in SLOW_FP4_ARCHITECTURES
    )
    caveats: list[str] = []
    if slow_fp4:
        caveats.append(SLOW_FP4_CAVEAT)
    if (
        scenario.engine == Engine.TRTLLM
        and scenario.model.mla_kv_lora_rank is not None
        and _architecture(scenario.gpu) in SLOW_MLA_PREFILL_ARCHITECTURES
    ):
        caveats.append(SLOW_MLA_PREFILL_CAVEAT)
    if scenario.model.sparse_attention_topk:
        caveats.append(SPARSE_ATTENTION_CAVEAT)
    unserved = unserved_precision_caveat(scenario.gpu, scenario.precision, scenario.engine)
    if unserved:
        caveats.append(unserved)
    stated = scenario.engine_settings
    if stated and stated.speculative_decoding:
        caveats.append(SPECULATIVE_CAVEAT)
    if stated and stated.expert_parallel and not attention_data_parallel(scenario.engine, stated):
        caveats.append(DP_ATTENTION_OFF_CAVEAT)
    history = history_caveat(scenario, history_hit_share)
    caveats.extend(c for c in (prefix_caveat(scenario, prefix_hit_share), history) if c)
    return tuple(caveats)


#: Prompts arriving during one prefill batch from which an open loop on an engine that runs
#: its prefill batches first (SGLang) is said to chain them (:func:`prefill_chain_caveats`).
#: ``bench/sim_census.py --points 400 --loads poisson --by chain`` (seed 7, 30/60/85 % of
#: capacity) drew 114 SGLang open loops, 25 of them from 1 on: priced as one prefill batch per
#: decode step, their simulated TPOT p50 was 1.3-18× the analytic one in 24 of 25; with the
#: chains priced (``fluid_steady.chained_decode_cycle_s``), its median error is 43 % in
#: session 64, 90th percentile 251 %, most over near the running-request cap (the other SGLang
#: loads' 3.6 %) (``fluid_decode.prefill_chain_arrivals``).
PREFILL_CHAIN_CAVEAT_FROM = 1.0
#: How the chained-prefill caveat begins (:func:`is_prefill_chain_caveat`).
PREFILL_CHAIN_CAVEAT_PREFIX = "this engine runs every waiting prompt before its next decode step"


def is_prefill_chain_caveat(caveat: str) -> bool:
    """Whether ``caveat`` is one of :func:`prefill_chain_caveats`."""
    return caveat.startswith(PREFILL_CHAIN_CAVEAT_PREFIX)


def prefill_chain_caveats(arrivals: float) -> tuple[str, ...]:
    """What an open loop whose prefill batches chain (``arrivals``: prompts arriving during
    one, :data:`PREFILL_CHAIN_CAVEAT_FROM` or more) does that the analytic mode leaves out."""
    if not arrivals >= PREFILL_CHAIN_CAVEAT_FROM:
        return ()
    rate = (
        "its prompts' prefill alone takes all of its time"
        if math.isinf(arrivals)
        else f"each of its prefill batches sees {arrivals:.1f} new prompts arrive on average"
    )
    return (
        f"{PREFILL_CHAIN_CAVEAT_PREFIX}, and at this rate {rate}: the prefill batches chain "
        "and pause decoding; this estimate prices the mean chain, and TPOT, ITL and E2E are "
        "less certain here (a median error of 43 % in a census of such loads, several times "
        "the simulated near the running-request cap); the simulation runs the chains "
        "themselves",
    )


def closed_loop_chain_caveats(arrivals: float) -> tuple[str, ...]:
    """What a closed loop whose requests reach an SGLang-like engine about once per prefill
    batch or more (``arrivals``, :func:`~predeploy.core.fluid_decode.
    closed_loop_chain_arrivals`) does that the analytic mode leaves out."""
    if not arrivals >= PREFILL_CHAIN_CAVEAT_FROM:
        return ()
    pace = (
        "faster than it can prefill them"
        if math.isinf(arrivals)
        else f"about {arrivals:.1f} per prefill batch"
    )
    return (
        f"this closed loop's requests reach the engine {pace}, one at a time through the API "
        "server, and it runs every waiting prompt "
        "before its next decode step: the batches chain and pause decoding, which the analytic "
        "mode prices for open loops only; "
        "here TTFT and TPOT can split otherwise (the simulation of 256 clients of 64/16 tokens "
        "on one H200: TTFT p50 217 against 1,623 ms, TPOT 125 against 15 ms), and the "
        "simulation runs the chains themselves",
    )


#: Share of the engine's running-request limit from which an open loop's batch is at it.
AT_CAP_SHARE = 0.999


def chains_at_cap_caveats(
    arrivals: float, at_cap: bool, max_batch: float, saturation_rps: float
) -> tuple[str, ...]:
    """What an open loop whose chained prefill batches fill the engine's running-request limit
    means (``arrivals`` as for :func:`prefill_chain_caveats`)."""
    if not (arrivals >= PREFILL_CHAIN_CAVEAT_FROM and at_cap):
        return ()
    return (
        f"with its prefill chains this load fills the engine's limit of {max_batch:,.0f} "
        "running requests: the engine is at what it sustains for these lengths (the saturation "
        f"rate of {saturation_rps:,.1f} req/s leaves the chains out); a full engine admits only "
        "as requests finish, so the simulation shows prompts queueing (TTFT growing with the "
        "run) and shorter chains (TPOT well below this estimate)",
    )


def alike_closed_loop(load: LoadSpec, output_tokens: TokenDistribution) -> bool:
    """A closed loop of more than one client whose answers are all of one length: the load
    whose clients a deterministic simulation keeps in lock step once they start together."""
    clients = load.concurrency or 1
    return load.kind == "concurrency" and clients > 1 and output_tokens.stdev == 0


def simulation_caveats(
    load: LoadSpec, output_tokens: TokenDistribution, *, warm: bool = False
) -> tuple[str, ...]:
    """What the simulation of a replica's ``load`` is known to get unlike a real server: a
    closed loop of alike answers (:func:`alike_closed_loop`; ``warm``: run with its clients at
    random phases)."""
    if not alike_closed_loop(load, output_tokens):
        return ()
    return (WARM_CLOSED_LOOP_CAVEAT,) if warm else (LOCK_STEP_CAVEAT,)


#: How :func:`prefix_capacity_caveats`' caveat starts (a plan's rationale picks it out).
PREFIX_CAPACITY_START = "KV cache with the shared prefix held once"


def prefix_capacity_caveats(
    prefix_held_tokens: float,
    own_capacity_tokens: float,
    own_context_tokens: float,
    whole_sequences: int,
    prefixes_held: float = 1.0,
) -> tuple[str, ...]:
    """How many sequences the KV cache holds with a cached shared prefix held once
    (``own_capacity_tokens`` left for the requests' own contexts of ``own_context_tokens``
    each), against the memory fit's count of whole contexts (``whole_sequences``);
    ``prefixes_held``: of several distinct prefixes, how many are held on average apart
    from the requests that computed them (whose contexts count theirs)."""
    if prefix_held_tokens <= 0.0 or own_context_tokens <= 0.0:
        return ()
    fit = int(own_capacity_tokens // own_context_tokens)
    copies = (
        f"; {prefixes_held:,.1f} distinct prefixes held on average, each once, beside those the "
        "requests that missed theirs computed and hold"
        if prefixes_held != 1.0
        else ""
    )
    return (
        f"{PREFIX_CAPACITY_START}: {fit:,} sequences of the mean context "
        f"fit (the memory fit counts {whole_sequences:,} whole contexts){copies}",
    )


def static_batch_caveats(
    load: LoadSpec, max_num_seqs: int, kv_capacity_tokens: int, context_tokens: float
) -> tuple[str, ...]:
    """What the prediction of a static batch the engine cannot hold at once means: more
    requests than its running-sequence limit, or their whole contexts (``context_tokens``
    each, prompt and answer) beyond its KV cache. It is priced as one batch; the engine admits
    what fits and the rest wait for places or are evicted and recomputed. Priced as a burst
    instead, LMDeploy's runs split both ways (docs/perf-validation.md, session 75)."""
    if load.kind != "static_batch" or load.batch_size is None:
        return ()
    batch = load.batch_size
    needed = batch * context_tokens
    if batch <= max_num_seqs and needed <= kv_capacity_tokens:
        return ()
    limit = (
        f"the engine runs at most {max_num_seqs:,} sequences"
        if batch > max_num_seqs
        else f"their whole contexts need {needed:,.0f} KV-cache tokens, {kv_capacity_tokens:,} fit"
    )
    return (
        f"a static batch of {batch:,} requests does not fit at once ({limit}): priced as one "
        "batch, while the engine runs what fits and the rest wait for places or are evicted "
        "and recomputed; their TTFT can be many times this estimate, the decode step shorter",
    )


#: Share of the KV cache's batch limit from which a running batch is said to be bounded by it.
KV_BOUND_SHARE = 0.98
#: What an analytic SGLang prediction whose KV cache bounds the batch leaves out.
RETRACTION_CAVEAT = (
    "the KV cache bounds this batch: SGLang admits against a decaying share of the answers "
    "still to come and, when the cache runs out, retracts decoding requests to the back of the "
    "queue; the analytic mode prices the reserved answers and no retraction, so TPOT and E2E "
    "tails can run far longer (--mode simulate schedules the retractions)"
)


def retraction_caveats(engine: Engine, kv_bound: bool) -> tuple[str, ...]:
    """:data:`RETRACTION_CAVEAT` for an SGLang batch its KV cache bounds."""
    return (RETRACTION_CAVEAT,) if kv_bound and engine == Engine.SGLANG else ()


def preemption_caveats(engine: Engine, preemptions: int, requests: int) -> tuple[str, ...]:
    """What a simulation whose KV cache ran out (``preemptions`` times over ``requests``
    simulated) says about the requests it evicted."""
    if not preemptions:
        return ()
    if engine == Engine.SGLANG:
        how = (
            "SGLang retracts the decoding requests with the fewest tokens to the back of the "
            "queue: their TPOT and E2E include that wait and the recomputed prefill, which the "
            "analytic mode does not price"
        )
    else:
        how = (
            "the newest requests are preempted and recomputed first: the recomputed prefill "
            "slows every step, which the analytic mode prices on average"
        )
    return (
        f"the KV cache ran out: {preemptions:,} preemptions over {requests:,} simulated "
        f"requests ({how})",
    )


UNSETTLED_CAVEAT = (
    "this load is so near the saturation rate that a server started empty takes longer to fill "
    "to its steady batch than the simulation warmed up: the simulated latencies may fall short "
    "of the steady state's"
)


#: Share of the API server's request rate (``1/f`` per replica, ``f`` its time per request)
#: from which a served load is said to lean on it: at half of it, an arrival finds the
#: server's one process busy half the time.
FRONT_END_BUSY_SHARE = 0.5
#: How :func:`front_end_caveats`' caveat begins.
FRONT_END_CAVEAT_PREFIX = "the API server's fitted time per request"


def is_front_end_caveat(caveat: str) -> bool:
    """Whether ``caveat`` is :func:`front_end_caveats`' (a simulation carries its analytic
    prediction's)."""
    return caveat.startswith(FRONT_END_CAVEAT_PREFIX)


def front_end_caveats(
    frontend_s: float, replica_rps: float, processes: float = 1.0
) -> tuple[str, ...]:
    """What a served load at ``replica_rps`` requests per second per replica means for
    ``processes`` API-server processes taking ``frontend_s`` per request each (0: not served
    over an API): from :data:`FRONT_END_BUSY_SHARE` of their rate, the fitted time per request
    paces the load, and measured servers differ several-fold in it by model."""
    if frontend_s <= 0.0 or not math.isfinite(replica_rps):
        return ()
    cap_rps = processes / frontend_s
    busy = replica_rps / cap_rps
    if busy < FRONT_END_BUSY_SHARE:
        return ()
    servers = f", {processes:g} processes" if processes != 1.0 else ""
    return (
        f"{FRONT_END_CAVEAT_PREFIX} ({frontend_s * 1e3:.1f} ms{servers}) lets no more "
        f"than {cap_rps:,.0f} requests/s per replica reach the engine, and this load keeps it "
        f"{min(busy, 1.0):.0%} busy; measured servers differ several-fold in it by model "
        "(vLLM 0.11 ran bursts of 128-token prompts and 4-token answers at 44-48 requests/s "
        "for Qwen3-14B, GLM-4.5-Air and DeepSeek-R1, 184-248 for gpt-oss; "
        "docs/perf-validation.md, session 67): replicas, or more API-server processes (vLLM's "
        "--api-server-count), raise it",
    )
