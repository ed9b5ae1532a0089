"""From a :class:`ServingScenario` to the arrays the fluid model evaluates.

:func:`prepare` does everything that does not depend on the efficiency parameters once (memory
fit, engine settings, roofline constants, per-replica load); :func:`stack` turns many prepared
scenarios plus their parameters into :class:`FluidInputs`. Calibration prepares every
measurement once and re-stacks only the parameters while fitting.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from predeploy.core.efficiency import PARAM_NAMES, EfficiencyParams
from predeploy.core.engine_args import attention_data_parallel, vllm_shards_experts
from predeploy.core.engines import (
    default_cuda_graph_max_batch,
    default_memory_share,
    engine_profile,
    scheduler_defaults,
)
from predeploy.core.fluid import (
    BURST,
    CLOSED_LOOP,
    MAX_THROUGHPUT,
    OPEN_LOOP,
    STATIC_BATCH,
    FluidInputs,
)
from predeploy.core.lengths import clipped_mean_stdev, lognormal_cv, running_output_tokens
from predeploy.core.memory import (
    MIN_MEMORY_SHARE,
    device_bytes,
    fit_memory,
    reserve_bytes_per_gpu,
)
from predeploy.core.new_token_ratio import initial_ratio
from predeploy.core.prefix_cache import (
    cached_history_tokens,
    cached_prefix_tokens,
    computed_prompt_tokens,
    history_routing,
)
from predeploy.core.roofline import HardwareRates, StepShape, hardware_rates, step_shape
from predeploy.core.sglang_defaults import (
    sglang_default_running_requests,
    sglang_overlap_scheduling,
    sglang_running_requests,
)
from predeploy.core.types import (
    Engine,
    EngineSettings,
    GpuSpec,
    KvCacheDtype,
    MemoryFit,
    ModelArchitecture,
    Precision,
    ServingScenario,
    VllmSettings,
)
from predeploy.core.types.vllm import quantization_method
from predeploy.core.vllm_chat import GATED_FRONT_ENDS
from predeploy.core.weights import expert_load_factor, weight_bytes_per_gpu

LOAD_CODES: dict[str, int] = {
    "max_throughput": MAX_THROUGHPUT,
    "poisson": OPEN_LOOP,
    "gamma": OPEN_LOOP,
    "concurrency": CLOSED_LOOP,
    "burst": BURST,
    "static_batch": STATIC_BATCH,
}

#: Running-sequence limit of a tuned in-process offline harness (MLPerf LoadGen Offline):
#: submitters raise the engine's batch limit until the KV cache binds (NVIDIA's TensorRT-LLM
#: MLPerf Offline configs run max batch sizes of 2,048-4,096; AMD's vLLM harness raises
#: ``max_num_seqs`` above vLLM's 1,024 likewise). Latency-bound (Server) configurations keep
#: smaller batch limits to meet their TPOT bounds, so the engine default stays there.
#: Estimated from the published submission settings.
TUNED_HARNESS_MAX_NUM_SEQS = 4096

#: Loads measured through an API server, where each request pays the per-request overhead.
SERVED_LOADS = frozenset({"poisson", "gamma", "concurrency", "burst"})


def _coefficient_of_variation(mean: float, stdev: float) -> float:
    return stdev / mean if mean > 0 else 0.0


def default_vllm_settings(
    model: ModelArchitecture,
    gpu: GpuSpec,
    precision: Precision,
    tp: int,
    memory: MemoryFit,
    context_tokens: int,
    *,
    pp: int = 1,
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO,
    max_num_seqs: int | None = None,
    max_num_batched_tokens: int | None = None,
    gpu_memory_utilization: float = 0.92,
) -> VllmSettings:
    """The ``vllm serve`` capacity arguments for this deployment, always explicit.

    Batch limits are vLLM 0.33's defaults for ``gpu`` unless given; ``max_model_len`` is the
    largest context the KV cache holds, capped by the model, and at least ``context_tokens``
    (so a plan that does not fit still states what it would need); the token budget is capped
    at ``max_num_seqs × max_model_len`` as vLLM does.
    """
    seqs_default, tokens_default = scheduler_defaults("vllm", gpu)
    seqs = max_num_seqs or seqs_default
    max_len = max(min(memory.max_model_len, model.max_context_tokens), context_tokens, 1)
    tokens = min(max_num_batched_tokens or tokens_default, seqs * max_len)
    native = model.native_precision == precision
    return VllmSettings(
        tensor_parallel_size=tp,
        pipeline_parallel_size=pp,
        max_model_len=max_len,
        max_num_seqs=seqs,
        max_num_batched_tokens=max(tokens, 1),
        gpu_memory_utilization=gpu_memory_utilization,
        # A GPU without BF16 (Volta, Turing) runs 16-bit activations as FP16: vLLM refuses a
        # BF16 checkpoint there unless told (--dtype half).
        dtype="auto" if gpu.serves(Precision.BF16) else "float16",
        quantization=None if native else quantization_method(precision, gpu.architecture),
        kv_cache_dtype=kv_cache_dtype,
    )


@dataclass(frozen=True, slots=True)
class PreparedScenario:
    """Parameter-independent constants of one scenario (per replica; see :func:`prepare`)."""

    shape: StepShape
    hw: HardwareRates
    memory: MemoryFit
    settings: VllmSettings
    #: The prompt a request computes: its mean and CV without the tokens it finds in the
    #: prefix cache (``cached_prompt_tokens``, read by every sequence through the step model),
    #: as the simulation draws the lengths (a log-normal spread cut at the distribution's
    #: ``max``: :func:`~predeploy.core.lengths.clipped_mean_stdev`).
    prompt_mean: float
    prompt_cv: float
    #: The log-normal the request samples' prompts are quantiles of (its mean and CV before
    #: the cut), and the cut (inf if none): a cut spread keeps its median.
    prompt_quantile_mean: float
    prompt_quantile_cv: float
    prompt_max: float
    #: The shared prefix a request finds cached when it finds it, and the share of requests
    #: that do (:func:`with_cache_hits`; 1 until priced, and with a single prefix).
    prefix_tokens_cached: float
    prefix_hit_share: float
    #: KV-cache tokens the cached prefixes in use hold: one copy of each per replica, one per
    #: rank under data-parallel attention, where each GPU keeps its own sequences' context.
    prefix_held_tokens: float
    #: How many distinct shared prefixes are held apart from the requests' own contexts on
    #: average (a request that computed its prefix holds it as its own): 1 with a single one.
    prefixes_held: float
    #: A conversation's history a request finds cached when it finds it, and the share of
    #: requests that do (:func:`with_cache_hits`; 1 until priced).
    history_tokens_cached: float
    history_hit_share: float
    #: The replicas a random router spreads a conversation's turns over (1: they return to
    #: its replica) and its turns per conversation (``core.prefix_cache.history_routing``):
    #: how much of its history a request finds (the share's spread, and the simulation's
    #: draw of it).
    history_replicas: int
    history_turns: int
    output_mean: float
    output_cv: float
    #: As for the prompt: the log-normal the samples' outputs are quantiles of, before the cut.
    output_quantile_mean: float
    output_quantile_cv: float
    #: A running batch's mean output, each answer held in proportion to its length
    #: (:func:`~predeploy.core.lengths.running_output_tokens`; the mean for alike answers).
    output_running: float
    #: The longest output the workload allows (its distribution's ``max``; inf if none).
    output_max: float
    #: KV-cache tokens for the requests' own contexts (a cached shared prefix's held apart).
    kv_capacity_tokens: float
    chunked_prefill: bool
    separate_prefill_batches: bool
    reserve_full_context: bool
    #: The simulation admits as SGLang does (``EngineProfile.new_token_ratio_admission``).
    new_token_ratio_admission: bool
    #: The share of the running requests' requested answers SGLang's admission counts while
    #: they have decoded little (its initial ``new_token_ratio``: 0.7, 0.21 under
    #: data-parallel attention; ``core.new_token_ratio``): what a burst's first wave admits
    #: (``fluid_load``). 1 for the other engines.
    admitted_answer_share: float
    #: Every response reaches the client one step late (``EngineProfile.overlap_scheduling``).
    overlap_scheduling: bool
    #: A prompt's last chunk shares its step with the next waiting prompt's first
    #: (``EngineProfile.fills_last_prefill_step``).
    fills_last_prefill_step: bool
    #: Steps between the scheduler's admissions of new requests (1: every step).
    scheduler_steps: int
    #: The largest decode batch replayed as a CUDA graph (``inf``: every one); larger decode
    #: steps run eagerly, as prefill steps do (``EngineSettings.cuda_graph_max_batch``).
    graph_max_batch: float
    load_code: int
    rate_rps: float
    arrival_cv: float
    concurrency: float
    batch_size: float
    num_prompts: float
    replicas: float
    served: bool
    #: API-server processes taking requests side by side (``EngineSettings.api_server_count``).
    api_servers: float
    #: No first token of requests sent together streams before the server has taken them all
    #: (``core.vllm_chat.GATED_FRONT_ENDS``).
    gated_front_end: bool
    #: The KV-cache dtype and parallel layout in effect (stated settings over the scenario's).
    kv_cache_dtype: KvCacheDtype
    expert_parallel: bool
    #: Groups the experts are spread over under tensor-parallel attention (1: sharded).
    expert_groups: int
    #: Tokens per streamed chunk (``EngineSettings.stream_interval``; 1: every token).
    stream_interval: int

    @property
    def cached_prompt_tokens(self) -> float:
        """Tokens of the shared prefix a request finds cached, not computed, on average: held
        apart (``prefix_held_tokens``) and read by every sequence through the step model."""
        return self.prefix_hit_share * self.prefix_tokens_cached

    @property
    def held_context_tokens(self) -> float:
        """Tokens of each request's own context found cached, not computed (a conversation's
        earlier turns), on average: held and read by the request beside its computed prompt."""
        return self.history_hit_share * self.history_tokens_cached

    @property
    def own_context_tokens(self) -> float:
        """A request's own context in the KV cache when it finishes, on average: its computed
        prompt, its history found cached and its answer (a shared prefix held apart)."""
        return self.prompt_mean + self.held_context_tokens + self.output_mean


def _wide_ep(scenario: ServingScenario, stated: EngineSettings) -> bool:
    """Data-parallel attention with the experts spread over the GPUs (MoE models only)."""
    stated_wide = attention_data_parallel(scenario.engine, stated)
    return (scenario.expert_parallel or stated_wide) and scenario.model.is_moe


def _memory_utilization(
    scenario: ServingScenario,
    seqs: int,
    tokens: int,
    *,
    expert_parallel: bool,
    expert_factor: float,
) -> float:
    """The engine's memory share, as a share of the whole device (for ``fit_memory``): a
    stated share of the device or of the memory the weights leave, else the engine's."""
    profile = engine_profile(scenario.engine)
    stated = scenario.engine_settings or EngineSettings()
    if stated.gpu_memory_utilization is not None:
        return stated.gpu_memory_utilization
    if scenario.vllm is not None and stated.free_memory_fraction is None:
        return scenario.vllm.gpu_memory_utilization
    if stated.free_memory_fraction is None and not profile.kv_share_of_free:
        return default_memory_share(
            scenario.engine,
            scenario.gpu,
            scenario.tp,
            scenario.pp,
            dp_attention=expert_parallel,
            token_budget=tokens,
        )
    share_of_free = stated.free_memory_fraction or profile.gpu_memory_utilization
    total = device_bytes(scenario.gpu)
    taken = weight_bytes_per_gpu(
        scenario.model,
        scenario.precision,
        scenario.tp,
        scenario.pp,
        expert_parallel=expert_parallel,
        expert_factor=expert_factor,
        host_embedding=profile.host_input_embedding,
    ) + reserve_bytes_per_gpu(scenario.model, scenario.tp, tokens, seqs)
    free = max(total - taken, 0.0)
    return min(max((taken + share_of_free * free) / total, MIN_MEMORY_SHARE), 1.0)


def prepare(scenario: ServingScenario) -> PreparedScenario:
    """Memory fit, engine settings, roofline constants and the per-replica load."""
    profile = engine_profile(scenario.engine)
    prompt = scenario.prompt_tokens
    output = scenario.output_tokens
    context = max(math.ceil(prompt.mean + output.mean), 1)
    cached = cached_prefix_tokens(scenario)
    history = cached_history_tokens(scenario)
    routing = history_routing(scenario)
    # The lengths as the simulation draws them (the computed part of each prompt): a
    # log-normal spread is cut at its ``max``.
    computed = (
        computed_prompt_tokens(prompt, cached + history)
        if prompt.kind == "lognormal"
        else prompt.model_copy(update={"mean": prompt.mean - cached - history})
    )
    prompt_mean, prompt_stdev = clipped_mean_stdev(computed)
    output_mean, output_stdev = clipped_mean_stdev(output)
    cut_at = computed.max if computed.kind == "lognormal" else None
    stated = scenario.engine_settings or EngineSettings()
    # An in-process offline run without stated settings: a tuned harness's batch limit.
    tuned = (
        scenario.vllm is None
        and not scenario.served_over_api
        and scenario.load.kind == "max_throughput"
    )
    if scenario.vllm is not None:
        seqs, tokens = scenario.vllm.max_num_seqs, scenario.vllm.max_num_batched_tokens
        chunked = scenario.vllm.enable_chunked_prefill
    else:
        seqs, tokens = scheduler_defaults(scenario.engine, scenario.gpu, stated.performance_mode)
        chunked = profile.chunked_prefill
        if tuned:
            seqs = max(seqs, TUNED_HARNESS_MAX_NUM_SEQS)
    seqs = stated.max_num_seqs or seqs
    tokens = stated.max_num_batched_tokens or tokens
    chunked = chunked if stated.chunked_prefill is None else stated.chunked_prefill
    kv_dtype = stated.kv_cache_dtype or scenario.kv_cache_dtype
    wide_ep = _wide_ep(scenario, stated)
    sglang = scenario.engine == Engine.SGLANG
    # SGLang's stated cap, per attention rank under data-parallel attention like the other
    # engines' limits; unstated, it comes from the KV pool (below).
    sglang_cap = (
        sglang_running_requests(stated, scenario.tp, dp_attention=wide_ep) if sglang else None
    )
    seqs = sglang_cap or seqs
    expert_groups = 1 if wide_ep else min(stated.expert_parallel_size or 1, scenario.tp)
    expert_factor = expert_load_factor(
        scenario.model, scenario.precision, scenario.engine, scenario.gpu
    )
    utilization = _memory_utilization(
        scenario, seqs, tokens, expert_parallel=wide_ep, expert_factor=expert_factor
    )
    memory = fit_memory(
        scenario.model,
        scenario.gpu,
        scenario.precision,
        scenario.tp,
        scenario.pp,
        kv_dtype,
        utilization,
        context_tokens=context,
        max_num_batched_tokens=tokens,
        max_num_seqs=seqs,
        expert_parallel=wide_ep,
        expert_factor=expert_factor,
        profiled_activations=not profile.static_memory_share,
        host_embedding=profile.host_input_embedding,
    )
    if sglang and sglang_cap is None and scenario.vllm is None and not tuned:
        # SGLang sizes its running-request limit from its KV pool and the model's context (its
        # memory share does not depend on it), per attention rank under data-parallel
        # attention, each of which holds its share of the pool.
        ranks = scenario.tp if wide_ep else 1
        seqs = sglang_default_running_requests(
            memory.kv_capacity_tokens / ranks, scenario.model.max_context_tokens
        )
    if scenario.vllm is not None:
        settings = scenario.vllm
        if scenario.engine_settings is not None:
            settings = settings.model_copy(
                update={
                    "max_num_seqs": seqs,
                    "max_num_batched_tokens": tokens,
                    "enable_chunked_prefill": chunked,
                    "gpu_memory_utilization": round(utilization, 4),
                }
            )
    else:
        settings = default_vllm_settings(
            scenario.model,
            scenario.gpu,
            scenario.precision,
            scenario.tp,
            memory,
            context,
            pp=scenario.pp,
            kv_cache_dtype=kv_dtype,
            max_num_seqs=seqs,
            max_num_batched_tokens=tokens,
            gpu_memory_utilization=round(utilization, 4),
        )
    if wide_ep and scenario.tp > 1:
        # Every data-parallel attention rank schedules its own batch: the limits are per GPU.
        # SGLang's prefill budget is the server's: each rank gets ``chunked_prefill_size //
        # dp_size`` (server_args.py ``_handle_data_parallelism``), the ranks together the whole.
        settings = settings.model_copy(
            update={
                "max_num_seqs": seqs * scenario.tp,
                "max_num_batched_tokens": tokens if sglang else tokens * scenario.tp,
            }
        )
    load = scenario.load.as_run()
    replicas = float(scenario.replicas)
    held_prefix = cached * (scenario.tp if wide_ep else 1)
    if sglang:
        overlap = sglang_overlap_scheduling(stated)
    elif stated.overlap_scheduling is None:
        overlap = profile.overlap_scheduling
    else:
        overlap = stated.overlap_scheduling
    return PreparedScenario(
        shape=step_shape(
            scenario.model,
            scenario.precision,
            scenario.tp,
            scenario.pp,
            kv_dtype,
            expert_parallel=wide_ep,
            expert_groups=expert_groups,
            sharded_experts=vllm_shards_experts(scenario.engine, scenario.engine_settings),
            dequantized_prefill=bool(stated.dequantized_prefill),
        ),
        hw=hardware_rates(
            scenario.gpu, scenario.precision, scenario.tp, fp16_accumulate=profile.fp16_accumulate
        ),
        memory=memory,
        settings=settings,
        prompt_mean=prompt_mean,
        prompt_cv=_coefficient_of_variation(prompt_mean, prompt_stdev),
        prompt_quantile_mean=computed.mean,
        prompt_quantile_cv=lognormal_cv(computed),
        prompt_max=math.inf if cut_at is None else float(cut_at),
        prefix_tokens_cached=float(cached),
        prefix_hit_share=1.0,
        prefix_held_tokens=float(held_prefix),
        prefixes_held=1.0,
        history_tokens_cached=float(history),
        history_hit_share=1.0,
        history_replicas=routing[0],
        history_turns=routing[1],
        output_mean=output_mean,
        output_cv=_coefficient_of_variation(output_mean, output_stdev),
        output_quantile_mean=output.mean,
        output_quantile_cv=lognormal_cv(output),
        output_running=running_output_tokens(output),
        output_max=float(output.max) if output.max is not None else math.inf,
        kv_capacity_tokens=float(max(memory.kv_capacity_tokens - held_prefix, 1)),
        chunked_prefill=chunked,
        separate_prefill_batches=profile.separate_prefill_batches
        if stated.separate_prefill_batches is None
        else stated.separate_prefill_batches,
        reserve_full_context=profile.reserve_full_context
        if stated.reserve_full_context is None
        else stated.reserve_full_context,
        new_token_ratio_admission=profile.new_token_ratio_admission,
        admitted_answer_share=initial_ratio(wide_ep) if profile.new_token_ratio_admission else 1.0,
        # A static batch is timed by the engine's batch benchmark, which runs no serving loop.
        overlap_scheduling=load.kind != "static_batch" and overlap,
        fills_last_prefill_step=profile.fills_last_prefill_step,
        scheduler_steps=stated.scheduler_steps or 1,
        graph_max_batch=float(stated.cuda_graph_max_batch)
        if stated.cuda_graph_max_batch is not None
        else default_cuda_graph_max_batch(
            scenario.engine,
            scenario.gpu,
            scenario.tp,
            scenario.pp,
            max_num_seqs=seqs,
            max_num_batched_tokens=tokens,
        ),
        load_code=LOAD_CODES[load.kind],
        rate_rps=(load.rate_rps or 0.0) / replicas,
        arrival_cv=load.cv if load.kind == "gamma" else 1.0,
        concurrency=max((load.concurrency or 1) / replicas, 1.0),
        batch_size=float(load.batch_size or 1),
        num_prompts=load.num_prompts / replicas if load.num_prompts else math.inf,
        replicas=replicas,
        served=scenario.served_over_api and load.kind in SERVED_LOADS,
        api_servers=float(stated.api_server_count or 1),
        gated_front_end=scenario.harness in GATED_FRONT_ENDS,
        kv_cache_dtype=kv_dtype,
        expert_parallel=wide_ep,
        expert_groups=expert_groups,
        stream_interval=stated.stream_interval or 1,
    )


def with_cache_hits(
    prepared: PreparedScenario,
    history_hit_share: float = 1.0,
    prefix_hit_share: float = 1.0,
    prefixes_held: float = 1.0,
    history_mean_square: float | None = None,
) -> PreparedScenario:
    """``prepared`` (its prefix and history all found cached, one prefix held) with a share
    ``history_hit_share`` of the requests finding their conversation's history cached and a
    share ``prefix_hit_share`` their shared prefix, the others computing what they miss with
    their new part: on average ``(1 − s)·t`` more prompt tokens computed for each, ``s·t``
    found. The computed prompt's variance gains each hit-or-miss ``s·(1 − s)·t²``: a few long
    prompts among short ones, not every prompt a little longer. ``prefixes_held``: how many
    distinct prefixes are held apart from the requests' contexts on average (the rest of the
    cache is the requests'). ``history_mean_square``: the mean square of the share of its
    history a request finds, where it finds part of it (a random router,
    :func:`~predeploy.core.prefix_cache.routed_history_moments`): the variance it adds is
    ``(m₂ − s²)·t²`` (all or nothing: ``m₂ = s``)."""
    if prepared.history_hit_share != 1.0 or prepared.prefix_hit_share != 1.0:
        raise ValueError("with_cache_hits prices a scenario prepared with all hits")
    variance = (prepared.prompt_cv * prepared.prompt_mean) ** 2
    computed = prepared.prompt_mean
    history_square = history_hit_share if history_mean_square is None else history_mean_square
    for share, square, tokens in (
        (history_hit_share, history_square, prepared.history_tokens_cached),
        (prefix_hit_share, prefix_hit_share, prepared.prefix_tokens_cached),
    ):
        variance += max(square - share**2, 0.0) * tokens**2
        computed += (1.0 - share) * tokens
    held = prepared.prefix_held_tokens * prefixes_held
    return replace(
        prepared,
        prompt_mean=computed,
        prompt_cv=_coefficient_of_variation(computed, math.sqrt(variance)),
        history_hit_share=history_hit_share,
        prefix_hit_share=prefix_hit_share,
        prefix_held_tokens=held,
        prefixes_held=prefixes_held,
        kv_capacity_tokens=max(prepared.memory.kv_capacity_tokens - held, 1.0),
    )


@dataclass(frozen=True, slots=True)
class EfficiencyArrays:
    """Efficiency parameters as arrays, one element per scenario (the ``ParamArrays`` shape)."""

    bandwidth_efficiency: np.ndarray
    compute_efficiency: np.ndarray
    moe_compute_efficiency: np.ndarray
    expert_parallel_efficiency: np.ndarray
    attention_efficiency: np.ndarray
    comm_efficiency: np.ndarray
    allreduce_latency_s: np.ndarray
    step_overhead_s: np.ndarray
    layer_overhead_s: np.ndarray
    moe_layer_overhead_s: np.ndarray
    prefill_layer_overhead_s: np.ndarray
    moe_prefill_layer_overhead_s: np.ndarray
    seq_overhead_s: np.ndarray
    request_overhead_s: np.ndarray
    frontend_s_per_request: np.ndarray
    overlap_exponent: np.ndarray
    block_fp8_matmul_factor: np.ndarray

    @classmethod
    def from_params(cls, params: Sequence[EfficiencyParams]) -> EfficiencyArrays:
        return cls(**_rows(params, PARAM_NAMES))


def _rows(
    items: Sequence[object], names: Sequence[str], dtype: type = float
) -> dict[str, np.ndarray]:
    """``{name: array of getattr(item, name) over items}``, built as one 2-D array (one
    contiguous row per name: a single conversion instead of one per name)."""
    values = [[getattr(item, name) for name in names] for item in items]
    table: np.ndarray = np.array(values, dtype=dtype)
    rows = np.ascontiguousarray(table.reshape(len(items), len(names)).T)
    return dict(zip(names, rows, strict=True))


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


#: The fields of :class:`PreparedScenario` that :func:`stack` passes through (its numbers are
#: named as :class:`FluidInputs` names them but for the two length means).
_STACKED_FLOATS = (
    "prompt_mean",
    "cached_prompt_tokens",
    "prefix_held_tokens",
    "held_context_tokens",
    "prefix_tokens_cached",
    "prefix_hit_share",
    "history_tokens_cached",
    "history_hit_share",
    "history_replicas",
    "history_turns",
    "output_mean",
    "prompt_cv",
    "output_cv",
    "prompt_quantile_mean",
    "prompt_quantile_cv",
    "prompt_max",
    "output_quantile_mean",
    "output_quantile_cv",
    "output_running",
    "output_max",
    "kv_capacity_tokens",
    "admitted_answer_share",
    "scheduler_steps",
    "graph_max_batch",
    "rate_rps",
    "arrival_cv",
    "concurrency",
    "batch_size",
    "num_prompts",
    "replicas",
    "api_servers",
)
_STACKED_FLAGS = (
    "chunked_prefill",
    "separate_prefill_batches",
    "reserve_full_context",
    "served",
    "gated_front_end",
    "overlap_scheduling",
    "fills_last_prefill_step",
)


_SETTINGS_STACKED = ("max_num_seqs", "max_num_batched_tokens")


def stack(prepared: Sequence[PreparedScenario], eff: EfficiencyArrays) -> FluidInputs:
    """Many prepared scenarios and their parameters as one :class:`FluidInputs` (every
    number of every scenario converted in one table: its rows are the arrays)."""
    shape_names, hw_names = _field_names(StepShape), _field_names(HardwareRates)
    names = (
        *_STACKED_FLOATS,
        *_STACKED_FLAGS,
        *shape_names,
        *hw_names,
        *_SETTINGS_STACKED,
        "load_code",
    )
    values = [
        [getattr(p, name) for name in _STACKED_FLOATS]
        + [getattr(p, name) for name in _STACKED_FLAGS]
        + [getattr(p.shape, name) for name in shape_names]
        + [getattr(p.hw, name) for name in hw_names]
        + [getattr(p.settings, name) for name in _SETTINGS_STACKED]
        + [p.load_code]
        for p in prepared
    ]
    table = np.ascontiguousarray(np.array(values, dtype=float).reshape(len(prepared), -1).T)
    rows = dict(zip(names, table, strict=True))
    shape = StepShape(**{name: rows.pop(name) for name in shape_names})
    hw = HardwareRates(**{name: rows.pop(name) for name in hw_names})
    for name in _STACKED_FLAGS:
        rows[name] = rows[name].astype(bool)
    return FluidInputs(
        shape=shape,
        hw=hw,
        eff=eff,
        prompt_tokens=rows.pop("prompt_mean"),
        output_tokens=rows.pop("output_mean"),
        load_kind=rows.pop("load_code").astype(int),
        **rows,
    )
