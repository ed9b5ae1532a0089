"""Measured scenarios (calibration cases, benchmark records) as :class:`ServingScenario`.

What a measurement leaves unstated is filled by stated rules: the model from the catalog (or
the case's ``model_config``), lengths from the dataset's knowledge (``core.datasets``), the KV
dtype from the engine's defaults, and TP — when a source does not disclose it (MLPerf) — as the
smallest power of two on one node that leaves the KV cache a working share of memory.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from predeploy.core.cases import CalibrationCase, CaseScenario
from predeploy.core.catalog import Catalog
from predeploy.core.checkpoints import served_architecture
from predeploy.core.datasets import (
    DATASETS,
    dataset_profile,
    output_shape,
    token_distribution,
)
from predeploy.core.engine_args import (
    attention_data_parallel,
    expert_sharing_ranks,
    parse_engine_args,
    served_checkpoint,
)
from predeploy.core.engines import default_kv_cache_dtype, engine_profile, scheduler_defaults
from predeploy.core.errors import InputError, PredeployError
from predeploy.core.memory import smallest_fitting_tp
from predeploy.core.nvidia_harness import HARNESS_RESERVES_FULL_CONTEXT, runs_cpp_executor
from predeploy.core.published_harness import published_engine_args, published_layout
from predeploy.core.sglang_defaults import (
    sglang_defaults,
    sglang_dp_attention_ranks,
    sglang_uses_legacy_rule,
)
from predeploy.core.types import (
    BenchmarkRecord,
    Engine,
    EngineSettings,
    GpuSpec,
    Harness,
    KvCacheDtype,
    LoadSpec,
    ModelArchitecture,
    PerformanceMode,
    Precision,
    ServingScenario,
    TokenDistribution,
    VllmSettings,
)
from predeploy.core.versions import build_month, minor_release, release
from predeploy.core.vllm_chat import parses_template_per_request, posts_chat_completions

#: Length used for a side of a llama-bench run that has none (``tg N`` has no prompt, ``pp N``
#: no output): one token, so the other side dominates.
EMPTY_SIDE_TOKENS = 1

#: Requests a closed-loop benchmark sends per client when it does not state how many: serving
#: benchmarks scale the request count with the concurrency (InferenceMAX runs ``num_prompts =
#: 10 × concurrency``; genai-perf/AIPerf sweeps likewise), so the first wave of ``c`` requests
#: that arrive together is a tenth of the run. Estimated (benchmark convention).
CLOSED_LOOP_PROMPTS_PER_CLIENT = 10

#: MLPerf datasets are run by MLPerf LoadGen inside the benchmark process, not over HTTP.
IN_PROCESS_DATASET_PREFIX = "mlperf-"

#: MLPerf closed submissions with fp8/fp4 weights also quantize the KV cache to fp8 (NVIDIA's
#: TensorRT-LLM harness; AMD's Quark-quantized checkpoints, ``--kv_cache_dtype fp8`` in the
#: MLPerf v5.x submission code).
QUANTIZED_KV_PRECISIONS = frozenset({Precision.FP8, Precision.FP4})


def _engine(name: str) -> Engine:
    try:
        return Engine(name)
    except ValueError:
        return Engine.OTHER


def output_unknown(scenario: CaseScenario) -> bool:
    """The output length is unknown (no value, no dataset knowledge): only TTFT is predicted."""
    return scenario.output_tokens is None and _dataset(scenario) not in DATASETS


def wants_single_stream(scenario: CaseScenario) -> bool:
    """Batch-1 speeds are reported for llama.cpp and for any one-request-at-a-time load."""
    one = scenario.load.value == 1 and scenario.load.kind in ("concurrency", "static_batch")
    return scenario.engine == Engine.LLAMA_CPP or one


def _dataset(scenario: CaseScenario) -> str:
    if scenario.engine == Engine.LLAMA_CPP and scenario.dataset == "other":
        return "llama-bench"
    return scenario.dataset


#: Sources measured through a set-up other than the default (see :class:`Harness`): a benchmark
#: record knows its set-up by its source (TensorRT-LLM 0.14's online-serving table, kept out of
#: the knowledge base as a never-fitted test, ran behind Triton).
HARNESS_OF_SOURCE: dict[str, Harness] = {
    "aiconfigurator-silicon": Harness.AICONFIGURATOR,
    "trtllm-online-serving-v0.14": Harness.TRITON,
}


def case_from_record(record: BenchmarkRecord) -> CalibrationCase:
    """A benchmark record as a calibration case (the same scenario fields)."""
    scenario = CaseScenario(
        model=record.model,
        gpu=record.gpu,
        gpu_count=record.gpu_count,
        tp=record.tp,
        pp=record.pp,
        precision=record.precision,
        engine=_engine(record.engine),
        engine_version=record.engine_version,
        engine_args=record.engine_args,
        input_tokens=record.input_tokens,
        output_tokens=record.output_tokens,
        dataset=record.dataset,
        load=record.load,
        kv_cache_dtype=record.kv_cache_dtype or None,
        harness=HARNESS_OF_SOURCE.get(record.source_key, Harness.DEFAULT),
        client=record.client,
        ignore_eos=record.ignore_eos,
        checkpoint=record.checkpoint,
        shared_prefix_tokens=record.shared_prefix_tokens,
        prefix_count=record.prefix_count,
    )
    return CalibrationCase(
        id=record.id,
        source_key=record.source_key,
        source=record.provenance.source,
        source_url=record.provenance.url,
        scenario=scenario,
        expected=dict(record.metrics),
    )


class _CaseModel(NamedTuple):
    """A case's model: its architecture, the precision it runs in, and its catalogue family
    (``None`` for a model known by its ``model_config`` alone)."""

    architecture: ModelArchitecture
    precision: Precision
    family: str | None


def _case_model(scenario: CaseScenario, catalog: Catalog) -> _CaseModel:
    try:
        card = catalog.model(scenario.model)
        arch, family = card.architecture, card.family
    except PredeployError:
        if scenario.architecture is None:
            raise InputError(
                f"unknown model {scenario.model!r}: not in the catalog and the case has no "
                "model_config"
            ) from None
        arch, family = scenario.architecture, None
    return _CaseModel(arch, scenario.precision or arch.native_precision, family)


def _lengths(scenario: CaseScenario) -> tuple[TokenDistribution, TokenDistribution]:
    """Prompt and output distributions: the scenario's means, else the dataset's knowledge."""
    dataset = _dataset(scenario)
    profile = DATASETS.get(dataset)
    prompt, output = scenario.input_tokens, scenario.output_tokens
    if prompt is None and profile is None:
        raise InputError(
            f"input_tokens is null and dataset {scenario.dataset!r} has no length knowledge "
            f"(known: {', '.join(sorted(DATASETS))})"
        )
    if output is None and profile is None:
        output = EMPTY_SIDE_TOKENS  # only TTFT is predicted (see output_unknown)
    fixed = dataset == "fixed" or profile is None
    p_mean = float(prompt if prompt is not None else dataset_profile(dataset).prompt_mean)
    o_mean = float(output if output is not None else dataset_profile(dataset).output_mean)
    if prompt == 0 or output == 0:  # llama-bench tg/pp runs: one side is empty
        p_mean = max(p_mean, EMPTY_SIDE_TOKENS)
        o_mean = max(o_mean, EMPTY_SIDE_TOKENS)
    p_cv = 0.0 if fixed or profile is None else profile.prompt_cv
    o_cv = 0.0 if fixed or profile is None else profile.output_cv
    if profile is None:
        return token_distribution(p_mean, p_cv), token_distribution(o_mean, o_cv)
    cap, relative = profile.max_tokens, profile.max_to_mean
    o_relative = relative
    # A dataset with a profile has lengths to spread ("fixed" has none and returned above).
    shape = output_shape(profile, scenario.client, scenario.ignore_eos)
    if shape is not None:
        o_cv, o_relative = shape.cv, shape.max_to_mean or relative
    return (
        token_distribution(p_mean, p_cv, cap, max_to_mean=relative),
        token_distribution(o_mean, o_cv, cap, profile.output_max_tokens, o_relative),
    )


def _load(scenario: CaseScenario) -> LoadSpec:
    load = scenario.load
    if load.kind == "request_rate":
        if load.value is None:
            raise InputError("load request_rate needs a value (requests/s)")
        if load.arrival in (None, "poisson"):
            return LoadSpec(kind="poisson", rate_rps=load.value, num_prompts=load.num_prompts)
        cv = 0.05 if load.arrival == "constant" else 1.0
        return LoadSpec(kind="gamma", rate_rps=load.value, cv=cv, num_prompts=load.num_prompts)
    if load.kind == "concurrency":
        clients = max(round(load.value or 1), 1)
        prompts = load.num_prompts
        if prompts is None:
            prompts = CLOSED_LOOP_PROMPTS_PER_CLIENT * clients
        return LoadSpec(kind="concurrency", concurrency=clients, num_prompts=prompts)
    if load.kind == "static_batch":
        return LoadSpec(kind="static_batch", batch_size=max(round(load.value or 1), 1))
    if load.kind == "burst":
        if load.num_prompts is None:
            raise InputError("load burst needs num_prompts")
        return LoadSpec(kind="burst", num_prompts=load.num_prompts)
    return LoadSpec(kind="max_throughput", num_prompts=load.num_prompts)


#: The first TensorRT-LLM release whose published max-throughput configurations run MoE models
#: with attention data-parallel and the experts spread (the perf-overview pages from v1.0 on);
#: the v0.x pages (``gptManagerBenchmark`` in v0.9/v0.10, ``trtllm-bench`` in v0.17) ran them
#: tensor-parallel, Mixtral included.
TRTLLM_WIDE_EP_SINCE = (1, 0)


def _wide_ep_harness(sc: CaseScenario, arch: ModelArchitecture, tp: int) -> bool:
    """NVIDIA's published ``trtllm-bench`` max-throughput configurations of MoE models on
    several GPUs run attention data-parallel with the experts spread over the GPUs
    (``enable_attention_dp`` with EP = the GPU count; TensorRT-LLM perf-overview pages, v1.0),
    and so do its MLPerf DeepSeek-R1 submissions; a TensorRT-LLM MoE run on several GPUs in
    those two harnesses is read that way (for MLPerf, which does not disclose the layout, an
    assumption: one wide-EP group per node), unless its release predates
    :data:`TRTLLM_WIDE_EP_SINCE`."""
    in_process = sc.dataset.startswith(IN_PROCESS_DATASET_PREFIX)
    if not (sc.engine == Engine.TRTLLM and arch.is_moe and tp > 1):
        return False
    if not (sc.load.kind == "max_throughput" or in_process):
        return False
    version = minor_release(sc.engine_version)
    return version is None or version >= TRTLLM_WIDE_EP_SINCE


def scenario_from_case(case: CalibrationCase | CaseScenario, catalog: Catalog) -> ServingScenario:
    """The :class:`ServingScenario` a calibration case describes.

    TP when not stated (MLPerf): the layout NVIDIA's configuration for the system states
    (:func:`~predeploy.core.published_harness.published_layout`), else the smallest power of
    two on one node at which the weights take at most 60 % of the usable memory; the rest of
    ``gpu_count`` as data-parallel replicas. KV dtype: the case's, else the engine's default
    for the precision.
    """
    sc = case.scenario if isinstance(case, CalibrationCase) else case
    try:
        gpu = catalog.gpu(sc.gpu)
    except PredeployError as exc:
        raise InputError(str(exc)) from None
    model = _case_model(sc, catalog)
    arch, precision = model.architecture, model.precision
    prompt, output = _lengths(sc)
    engine_args = published_engine_args(sc)
    stated = parse_engine_args(engine_args) if engine_args else None
    command_checkpoint = served_checkpoint(engine_args) if engine_args else None
    arch = served_architecture(sc.model, arch, precision, command_checkpoint or sc.checkpoint)
    kv_dtype = (
        sc.kv_cache_dtype
        or (stated.kv_cache_dtype if stated else None)
        or default_kv_cache_dtype(sc.engine, precision, command_checkpoint)
    )
    in_process = sc.dataset.startswith(IN_PROCESS_DATASET_PREFIX)
    if sc.kv_cache_dtype is None and in_process and precision in QUANTIZED_KV_PRECISIONS:
        kv_dtype = KvCacheDtype.FP8
    tp, pp, _ = published_layout(sc)
    if tp is None:
        per_node = max(min(gpu.gpus_per_node, sc.gpu_count) // pp, 1)
        tp = (
            smallest_fitting_tp(
                arch,
                gpu,
                precision,
                context_tokens=math.ceil(prompt.mean + output.mean),
                max_gpus=per_node,
                kv_cache_dtype=kv_dtype,
                gpu_memory_utilization=engine_profile(sc.engine).gpu_memory_utilization,
            )
            or per_node
        )
    if sc.tp is None and sc.engine == Engine.TRTLLM and arch.is_moe and in_process and tp > 1:
        # A MoE model that needs several GPUs: one wide-EP group per node (NVIDIA's MLPerf
        # DeepSeek-R1 layout); one that fits a GPU runs as data-parallel replicas, as every
        # other undisclosed MLPerf layout is read.
        tp = max(min(gpu.gpus_per_node, sc.gpu_count) // pp, 1)
    wide_ep = _wide_ep_harness(sc, arch, tp)
    ranks = expert_sharing_ranks(sc.engine, arch, stated)
    if ranks > 1:
        tp *= ranks
        wide_ep = True
    replicas = max(sc.gpu_count // (tp * pp), 1)
    vllm = _historical_vllm_settings(
        sc, gpu, arch, tp, pp, prompt, output, kv_dtype, stated.performance_mode if stated else None
    )
    settings = _nvidia_harness_admission(
        sc, stated.model_copy(update={"kv_cache_dtype": kv_dtype}) if stated else None
    )
    # What each engine's releases ran with, as one setting after another.
    settings = _sglang_release_settings(sc, gpu, tp, pp, settings)
    settings = _vllm_multi_step_chunks(sc, settings)
    settings = _overlap_release_settings(sc, settings)
    settings = _llamacpp_release_settings(sc, gpu, settings)
    chat = isinstance(case, CalibrationCase) and posts_chat_completions(case.source_key)
    return ServingScenario(
        model_id=sc.model,
        model=arch,
        gpu=gpu,
        precision=precision,
        tp=tp,
        pp=pp,
        replicas=replicas,
        engine=sc.engine,
        kv_cache_dtype=kv_dtype,
        prompt_tokens=prompt,
        output_tokens=output,
        load=_dispatched_load(sc, _load(sc), replicas),
        served_over_api=not sc.dataset.startswith(IN_PROCESS_DATASET_PREFIX),
        vllm=vllm,
        expert_parallel=wide_ep,
        engine_settings=settings,
        harness=_harness(sc, gpu, chat_endpoint=chat, family=model.family),
        shared_prefix_tokens=sc.shared_prefix_tokens,
        prefix_count=sc.prefix_count,
        history_tokens=sc.history_tokens,
        think_time_s=sc.think_time_s,
    )


#: llama.cpp's CUDA prompt processing of quantized weights ran FP16 cuBLAS on weights
#: dequantized for each matmul until its int8 tensor-core MMQ kernels (ggml-org/llama.cpp pull
#: requests 7676, opened 2024-05-31, and 7860, k-quants, June 2024): builds from before June
#: 2024 dequantize.
LLAMACPP_MMQ_TENSOR_CORES_SINCE = (2024, 6)


def _llamacpp_release_settings(
    sc: CaseScenario, gpu: GpuSpec, stated: EngineSettings | None
) -> EngineSettings | None:
    """A llama.cpp build dated before :data:`LLAMACPP_MMQ_TENSOR_CORES_SINCE` ("May 2024
    snapshot") dequantizes quantized weights for its prompt steps on NVIDIA GPUs (its cuBLAS
    path; the Metal backend's matmul kernels read the quantized weights themselves)."""
    if (
        sc.engine != Engine.LLAMA_CPP
        or sc.precision in (Precision.FP16, Precision.BF16)
        or gpu.vendor != "nvidia"
    ):
        return stated
    dated = build_month(sc.engine_version)
    if dated is None or dated >= LLAMACPP_MMQ_TENSOR_CORES_SINCE:
        return stated
    return (stated or EngineSettings()).model_copy(update={"dequantized_prefill": True})


def _dispatched_load(sc: CaseScenario, load: LoadSpec, replicas: int) -> LoadSpec:
    """An MLPerf TensorRT-LLM run's Poisson queries as each engine instance receives them.
    NVIDIA's harness (``closed/NVIDIA/code/llmlib``, reused by the ``*_TRT`` partners) hands
    LoadGen's queries to its ``R`` instances in turn (Offline, Interactive: ``round_robin``) or
    to the one with the fewest pending (Server: ``load_balancing``), so an instance sees every
    ``R``-th arrival: Erlang-``R`` gaps, CV ``1/√R`` (the least-loaded rule is smoother
    still)."""
    if (
        load.kind != "poisson"
        or replicas <= 1
        or sc.engine != Engine.TRTLLM
        or not sc.dataset.startswith(IN_PROCESS_DATASET_PREFIX)
    ):
        return load
    return load.model_copy(update={"kind": "gamma", "cv": 1.0 / math.sqrt(replicas)})


def _nvidia_harness_admission(
    sc: CaseScenario, settings: EngineSettings | None
) -> EngineSettings | None:
    """An MLPerf TensorRT-LLM run admits requests as NVIDIA's harness configures its engines,
    without reserving their whole context (:data:`~predeploy.core.nvidia_harness.
    HARNESS_RESERVES_FULL_CONTEXT`), unless the case states otherwise."""
    if sc.engine != Engine.TRTLLM or not sc.dataset.startswith(IN_PROCESS_DATASET_PREFIX):
        return settings
    if settings is not None and settings.reserve_full_context is not None:
        return settings
    return (settings or EngineSettings()).model_copy(
        update={"reserve_full_context": HARNESS_RESERVES_FULL_CONTEXT}
    )


def _harness(sc: CaseScenario, gpu: GpuSpec, *, chat_endpoint: bool, family: str | None) -> Harness:
    """The case's measurement set-up: as stated, or MLPerf's AMD harness for vLLM on AMD, or
    vLLM 0.11.0's chat front end for chat completions served by that release
    (:mod:`~predeploy.core.vllm_chat`)."""
    if sc.harness != Harness.DEFAULT or sc.engine != Engine.VLLM:
        return sc.harness
    in_process = sc.dataset.startswith(IN_PROCESS_DATASET_PREFIX)
    if gpu.vendor == "amd" and in_process:
        return Harness.MLPERF_AMD
    if not in_process and parses_template_per_request(
        sc.engine, sc.engine_version, chat_endpoint=chat_endpoint, family=family
    ):
        return Harness.VLLM_0_11_0_CHAT
    return sc.harness


def _sglang_release_settings(
    sc: CaseScenario, gpu: GpuSpec, tp: int, pp: int, stated: EngineSettings | None
) -> EngineSettings | None:
    """An SGLang release before 0.5.3 derived its memory share and its CUDA-graph batch limit
    by an older rule (:mod:`~predeploy.core.sglang_defaults`): those, unless the command
    stated them; and one before 0.4.4 its data-parallel attention ranks
    (:func:`~predeploy.core.sglang_defaults.sglang_dp_attention_ranks`)."""
    if sc.engine != Engine.SGLANG:
        return stated
    if stated is not None:
        ranks = sglang_dp_attention_ranks(sc.engine_version, stated, tp)
        if ranks is not None:
            stated = stated.model_copy(update={"data_parallel_size": ranks})
    if not sglang_uses_legacy_rule(sc.engine_version):
        return stated
    stated = stated or EngineSettings()
    dp_attention = attention_data_parallel(sc.engine, stated)
    legacy = sglang_defaults(gpu, tp, pp, dp_attention=dp_attention, legacy=True)
    update: dict[str, float | int] = {}
    if stated.gpu_memory_utilization is None:
        update["gpu_memory_utilization"] = legacy.mem_fraction_static
    if stated.cuda_graph_max_batch is None:
        update["cuda_graph_max_batch"] = legacy.cuda_graph_max_bs
    return stated.model_copy(update=update)


#: The first TensorRT-LLM release whose ``trtllm-serve``/``trtllm-bench`` run its PyTorch backend
#: by default. The overlap scheduler is a feature of that backend (``PyExecutor``, from 0.17,
#: where it was opt-in: ``--enable_overlap_scheduler``): earlier releases ran TensorRT engines
#: on the C++ executor (also Triton's ``tensorrtllm`` backend), which returns each token at
#: the end of the step that computed it (TensorRT-LLM docs, PyTorch Backend and Overlap
#: Scheduler).
TRTLLM_PYTORCH_DEFAULT_SINCE = (1, 0)


#: The first SGLang release whose scheduler overlaps the next batch's scheduling with the
#: current one by default (sgl-project/sglang pull request 2067, "Enable overlap by default",
#: merged 2024-11-19; the "zero-overhead batch scheduler" of v0.4). Earlier releases ran it
#: only with ``--enable-overlap-schedule``.
SGLANG_OVERLAP_DEFAULT_SINCE = (0, 3, 6)


def _overlap_release_settings(
    sc: CaseScenario, stated: EngineSettings | None
) -> EngineSettings | None:
    """No overlap scheduler for a release older than its engine's default one, unless the
    command states it: TensorRT-LLM before :data:`TRTLLM_PYTORCH_DEFAULT_SINCE` ran TensorRT
    engines, as NVIDIA's MLPerf harness still does for most benchmarks
    (:func:`~predeploy.core.nvidia_harness.runs_cpp_executor`); SGLang before
    :data:`SGLANG_OVERLAP_DEFAULT_SINCE` had it off by default."""
    if stated and stated.overlap_scheduling is not None:
        return stated
    if sc.engine == Engine.TRTLLM:
        version = minor_release(sc.engine_version)
        older = runs_cpp_executor(sc.engine, sc.dataset) or (
            version is not None and version < TRTLLM_PYTORCH_DEFAULT_SINCE
        )
    elif sc.engine == Engine.SGLANG:
        full = release(sc.engine_version)
        older = full is not None and full < SGLANG_OVERLAP_DEFAULT_SINCE
    else:
        older = False
    if not older:
        return stated
    return (stated or EngineSettings()).model_copy(update={"overlap_scheduling": False})


#: vLLM releases before this one defaulted ``gpu_memory_utilization`` to 0.90 (``EngineArgs``
#: in v0.4-v0.11); 0.33.0 uses 0.92 (../shared/ecosystem/vllm.md).
VLLM_092_FIRST_MINOR = 20
OLD_VLLM_MEMORY_UTILIZATION = 0.9


#: The first vLLM release that streams every token of a multi-step run as it is decoded
#: (``--multi-step-stream-outputs`` on by default, vLLM pull request 9047, 0.6.3); earlier
#: releases sent a request's ``--num-scheduler-steps`` tokens in one chunk.
VLLM_MULTI_STEP_STREAMING_SINCE = (0, 6, 3)


def _vllm_multi_step_chunks(
    sc: CaseScenario, stated: EngineSettings | None
) -> EngineSettings | None:
    """A vLLM release before 0.6.3 run with ``--num-scheduler-steps N`` streams ``N`` tokens
    per chunk (``EngineSettings.stream_interval``), unless the command states an interval."""
    if (
        sc.engine != Engine.VLLM
        or stated is None
        or (stated.scheduler_steps or 1) <= 1
        or stated.stream_interval is not None
    ):
        return stated
    parsed = release(sc.engine_version)
    if parsed is None or parsed >= VLLM_MULTI_STEP_STREAMING_SINCE:
        return stated
    return stated.model_copy(update={"stream_interval": stated.scheduler_steps})


def _vllm_minor(version: str | None) -> int | None:
    """Minor version of a ``0.x`` vLLM version string (``v0.11.0`` → 11), else ``None``."""
    parsed = minor_release(version)
    return parsed[1] if parsed is not None and parsed[0] == 0 else None


def _historical_vllm_settings(
    sc: CaseScenario,
    gpu: GpuSpec,
    arch: ModelArchitecture,
    tp: int,
    pp: int,
    prompt: TokenDistribution,
    output: TokenDistribution,
    kv_dtype: KvCacheDtype,
    performance_mode: PerformanceMode | None,
) -> VllmSettings | None:
    """The settings an older vLLM ran with when its defaults differ from 0.33's (memory
    utilisation 0.90 before 0.20); ``None`` means the current defaults apply. Like a serve
    command without ``--max-model-len``, it allows the model's whole context window (the
    scheduler caps it at what the KV cache holds)."""
    minor = _vllm_minor(sc.engine_version)
    if sc.engine != Engine.VLLM or minor is None or minor >= VLLM_092_FIRST_MINOR:
        return None
    seqs, tokens = scheduler_defaults(Engine.VLLM, gpu, performance_mode)
    context = math.ceil(prompt.mean + output.mean)
    return VllmSettings(
        tensor_parallel_size=tp,
        pipeline_parallel_size=pp,
        max_model_len=max(arch.max_context_tokens, context, 1),
        max_num_seqs=seqs,
        max_num_batched_tokens=tokens,
        gpu_memory_utilization=OLD_VLLM_MEMORY_UTILIZATION,
        kv_cache_dtype=kv_dtype,
    )
