"""What the performance engine predicts, and what the prediction rests on."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from predeploy.core.types.accuracy import AccuracyTable
from predeploy.core.types.base import (
    Engine,
    Fraction,
    FrozenModel,
    Harness,
    KvCacheDtype,
    NonNegativeFloat,
    NonNegativeInt,
    Percentiles,
    PositiveFloat,
    PositiveInt,
    Precision,
    Routing,
)
from predeploy.core.types.facts import GpuSpec, ModelArchitecture
from predeploy.core.types.traffic import (
    MAX_CONVERSATION_TURNS,
    MAX_PREFIX_POPULARITY,
    TokenDistribution,
)
from predeploy.core.types.vllm import EngineSettings, VllmSettings

PredictionMethod = Literal["simulation", "analytic", "roofline"]
ParameterBasis = Literal["fitted", "fallback"]


class PredictionProvenance(FrozenModel):
    """Which model and parameters a prediction rests on; shown next to every predicted number."""

    method: PredictionMethod
    parameters: ParameterBasis
    #: e.g. ``fitted on 212 measurements (H100-SXM, vllm)`` or ``fallback: Ampere class defaults``.
    parameter_source: str
    seed: int | None = None
    num_requests_simulated: int | None = None
    #: Times the simulation evicted a request from a full KV cache (preempted or retracted).
    num_preemptions_simulated: int | None = None
    #: Stated engine flags the prediction could not account for (``--speculative-*``, ...).
    unmodelled_settings: tuple[str, ...] = ()
    #: How far off analytic predictions on this parameter basis were on held-out
    #: measurements (``None`` when no validation shipped). A simulation shares the step
    #: model and the parameters (and scores within a few points of the analytic mode on the
    #: calibration cases), so it is shown with the same bands.
    accuracy: AccuracyTable | None = None
    #: The figures were moved to the far end of ``accuracy`` (latencies at the 90th percentile
    #: of measured ÷ predicted, saturation at the 10th): a bound, not the prediction.
    held_out_bound: bool = False
    #: Fitted time per request in front of the engine (HTTP, tokenizer, first streamed chunk)
    #: that every TTFT includes; 0 for in-process runs. It differs tenfold between serving
    #: front ends (docs/perf-validation.md), so it is shown with the prediction.
    front_end_ms: NonNegativeFloat = 0.0
    #: ``front_end_ms`` was stated with the scenario, not fitted.
    front_end_stated: bool = False
    #: Known limits of the method for this scenario, in words (shown with the prediction).
    caveats: tuple[str, ...] = ()

    def label(self) -> str:
        basis = "estimate" if self.parameters == "fallback" else "calibrated estimate"
        ignored = (
            f"; not modelled: {', '.join(self.unmodelled_settings)}"
            if self.unmodelled_settings
            else ""
        )
        bound = (
            "; latencies and capacity at the held-out 90 % bound" if self.held_out_bound else ""
        )
        return f"{basis} ({self.method}; {self.parameter_source}{ignored}{bound})"


class PerfMetrics(FrozenModel):
    """Predicted serving metrics for one replica configuration under one load."""

    ttft_ms: Percentiles
    itl_ms: Percentiles
    tpot_ms: Percentiles
    e2e_ms: Percentiles
    output_tokens_per_s: NonNegativeFloat
    total_tokens_per_s: NonNegativeFloat
    requests_per_s: NonNegativeFloat
    kv_cache_usage: Fraction | None = None
    mean_queue_length: NonNegativeFloat | None = None
    mean_batch_size: NonNegativeFloat | None = None
    provenance: PredictionProvenance


LoadKind = Literal["poisson", "gamma", "concurrency", "burst", "static_batch", "max_throughput"]


class LoadSpec(FrozenModel):
    """How requests reach the server.

    ``poisson``/``gamma``: open-loop arrivals at ``rate_rps`` (gamma with inter-arrival
    coefficient of variation ``cv``); ``concurrency``: closed loop with ``concurrency`` requests
    in flight; ``burst``: ``num_prompts`` requests at t=0; ``static_batch``: one batch of
    ``batch_size`` identical requests, no continuous batching; ``max_throughput``: every request
    queued at once, the engine at its largest batch.
    """

    kind: LoadKind
    rate_rps: PositiveFloat | None = None
    cv: PositiveFloat = 1.0
    concurrency: PositiveInt | None = None
    batch_size: PositiveInt | None = None
    num_prompts: PositiveInt | None = None

    @model_validator(mode="after")
    def _needs(self) -> LoadSpec:
        needed = {
            "poisson": ("rate_rps", self.rate_rps),
            "gamma": ("rate_rps", self.rate_rps),
            "concurrency": ("concurrency", self.concurrency),
            "burst": ("num_prompts", self.num_prompts),
            "static_batch": ("batch_size", self.batch_size),
        }.get(self.kind)
        if needed is not None and needed[1] is None:
            raise ValueError(f"load kind {self.kind!r} needs {needed[0]}")
        return self

    def as_run(self) -> LoadSpec:
        """The load as the run it describes: a closed loop of ``num_prompts`` requests with
        at least as many clients sends every request at t = 0 and none after, which is a burst
        of ``num_prompts`` (``vllm bench serve --num-prompts 50 --max-concurrency 512``).
        Every other load as it is."""
        if (
            self.kind == "concurrency"
            and self.num_prompts is not None
            and self.concurrency is not None
            and self.num_prompts <= self.concurrency
        ):
            return LoadSpec(kind="burst", num_prompts=self.num_prompts)
        return self


class ServingScenario(FrozenModel):
    """One configuration under one load: everything the performance engine needs.

    ``gpu_count`` = ``tp`` × ``pp`` × ``replicas``; ``vllm`` ``None`` means the engine's
    defaults for this accelerator.
    """

    model_id: str
    model: ModelArchitecture
    gpu: GpuSpec
    precision: Precision
    tp: PositiveInt = 1
    pp: PositiveInt = 1
    replicas: PositiveInt = 1
    engine: Engine = Engine.VLLM
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO
    prompt_tokens: TokenDistribution
    output_tokens: TokenDistribution
    load: LoadSpec
    vllm: VllmSettings | None = None
    #: Settings stated for the engine (any engine) on top of its defaults or ``vllm``.
    engine_settings: EngineSettings | None = None
    #: MoE models only ("wide EP"): attention runs data-parallel over the ``tp`` GPUs of a
    #: replica and the routed experts are spread over them (SGLang ``--enable-dp-attention
    #: --dp-size <tp>``, TensorRT-LLM ``enable_attention_dp``); ``tp`` is then the replica's GPU
    #: count. No effect on dense models.
    expert_parallel: bool = False
    #: Requests come through the engine's HTTP API (tokenization, streaming, client overhead
    #: on every TTFT); ``False`` for in-process harnesses such as MLPerf LoadGen.
    served_over_api: bool = True
    #: Stated time per request in front of the engine (HTTP, tokenizer, first streamed chunk),
    #: replacing the fitted one, which differs tenfold between serving front ends.
    front_end_s: NonNegativeFloat | None = None
    #: Who measured (a calibration measurement's set-up); predictions assume the default.
    harness: Harness = Harness.DEFAULT
    #: Tokens at the start of every prompt that are the same for every request (a system
    #: prompt, a template, few-shot examples), part of ``prompt_tokens``: an engine with a
    #: prefix cache computes them once (``core.prefix_cache``). 0: prompts share nothing.
    shared_prefix_tokens: NonNegativeInt = 0
    #: Distinct shared prefixes of ``shared_prefix_tokens`` each (one per tenant, bot or
    #: template), the requests spread evenly over them: each is held once while its requests
    #: run, and found cached by a share of them that falls as their number grows
    #: (``core.prefix_cache.prefix_hit_share``). 1: every prompt starts the same.
    prefix_count: PositiveInt = 1
    #: How unevenly the requests spread over those prefixes: Zipf's law with this exponent
    #: (the prefix of popularity rank ``r`` gets requests in proportion to ``r^(−s)``; about 1
    #: where a few tenants make most of the traffic); 0: evenly.
    prefix_popularity: NonNegativeFloat = Field(default=0.0, le=MAX_PREFIX_POPULARITY)
    #: Tokens of a conversation's earlier turns each prompt carries after the shared prefix
    #: (multi-turn chat), part of ``prompt_tokens``: the conversation's previous request left
    #: them in the prefix cache, so they are not prefilled again, but each request holds
    #: and reads them as its own context (``core.prefix_cache``). 0: single-turn requests.
    history_tokens: NonNegativeInt = 0
    #: Mean pause (s) between a conversation's reply and its next request (the user reading
    #: and typing): its history is still cached if the free cache has not turned over in the
    #: meantime (``core.prefix_cache.history_hit_share``). ``None``: assumed still cached.
    think_time_s: NonNegativeFloat | None = None
    #: Turns per conversation the history comes from, a request at turn ``j`` carrying the
    #: ``j − 1`` before it (the planner's ``(k − 1)/2`` on average): routed at random, a
    #: replica that served a recent turn holds most of a long history
    #: (``core.prefix_cache.history_routed_share``). ``None``: the history is one turn.
    conversation_turns: PositiveInt | None = Field(default=None, le=MAX_CONVERSATION_TURNS)
    #: How the router picks a replica for each request: whether a conversation's next turn
    #: returns to the replica holding its history, and how the distinct prefixes spread.
    routing: Routing = Routing.RANDOM
    #: The replicas the router spreads the traffic over when this scenario is one replica's
    #: share of it (the planner prices one replica at ``rate / R``); ``None``: ``replicas``.
    routed_replicas: PositiveInt | None = None

    @property
    def gpu_count(self) -> int:
        return self.tp * self.pp * self.replicas

    @property
    def router_replicas(self) -> int:
        """The replicas the router chooses among (:attr:`routed_replicas`, else
        :attr:`replicas`)."""
        return self.routed_replicas or self.replicas

    @model_validator(mode="after")
    def _routed_over_its_replicas(self) -> ServingScenario:
        if self.routed_replicas is not None and self.routed_replicas < self.replicas:
            raise ValueError(
                f"routed_replicas ({self.routed_replicas}) must be at least replicas "
                f"({self.replicas}): the router spreads the traffic over every replica"
            )
        return self

    @model_validator(mode="after")
    def _engine_runs_on_the_gpu(self) -> ServingScenario:
        # TensorRT-LLM builds CUDA kernels only (its support matrix lists NVIDIA architectures).
        if self.engine == Engine.TRTLLM and self.gpu.vendor != "nvidia":
            raise ValueError(
                f"TensorRT-LLM runs on NVIDIA GPUs only: {self.gpu.name} is an "
                f"{self.gpu.vendor.upper()} GPU (use vllm or sglang)"
            )
        return self

    @model_validator(mode="after")
    def _prefix_within_prompts(self) -> ServingScenario:
        # The prefix is part of every prompt: shorter than the mean prompt, and than every
        # prompt of an empirical list (a sampled prompt no longer than the prefix is read
        # as the prefix and one more token).
        prompts = self.prompt_tokens
        shortest = min(prompts.values) if prompts.values else prompts.mean
        if self.shared_prefix_tokens and self.shared_prefix_tokens >= shortest:
            raise ValueError(
                f"shared_prefix_tokens ({self.shared_prefix_tokens:,}) must be shorter than "
                f"the prompts ({shortest:,.0f} tokens): the shared prefix is the start of "
                "every prompt, and prompt_tokens counts it"
            )
        if self.prefix_popularity and self.prefix_count == 1:
            raise ValueError(
                f"prefix_popularity ({self.prefix_popularity:g}) needs prefix_count above 1: "
                "it says how unevenly the requests spread over several prefixes"
            )
        if self.prefix_count > 1 and not self.shared_prefix_tokens:
            raise ValueError(
                f"prefix_count ({self.prefix_count:,}) needs shared_prefix_tokens: the number "
                "of distinct shared prefixes says nothing without their length"
            )
        start = self.shared_prefix_tokens + self.history_tokens
        if self.history_tokens and start >= shortest:
            raise ValueError(
                f"shared_prefix_tokens + history_tokens ({start:,}) must be shorter than the "
                f"prompts ({shortest:,.0f} tokens): a turn's prompt is the shared prefix, the "
                "conversation so far and the new message, and prompt_tokens counts them all"
            )
        return self


class MemoryFit(FrozenModel):
    """Does the model fit, and how much KV cache is left (per GPU of one replica)."""

    fits: bool
    #: In words: why it does or does not fit ("weights 70.6 GB > 72.0 GB usable on 1x H100").
    reason: str
    weight_bytes_per_gpu: NonNegativeFloat
    #: KV-cache bytes for one token across all layers of the whole model (before the TP split).
    kv_bytes_per_token: NonNegativeFloat
    kv_cache_bytes_per_gpu: float
    reserve_bytes_per_gpu: NonNegativeFloat
    usable_bytes_per_gpu: NonNegativeFloat
    kv_capacity_tokens: NonNegativeInt
    #: Largest context (prompt + output) one sequence can have with this KV cache.
    max_model_len: NonNegativeInt
    #: Sequences of the requested context length that fit in the KV cache at once.
    max_concurrent_seqs: NonNegativeInt


class SchedulerAssumed(FrozenModel):
    """How the engine was assumed to schedule (its defaults, or the stated engine arguments)."""

    #: Running sequences at most, and tokens per step (the chunked-prefill budget).
    max_num_seqs: PositiveInt
    max_num_batched_tokens: PositiveInt
    chunked_prefill: bool
    #: A step either prefills or decodes (SGLang's default scheduler).
    separate_prefill_batches: bool = False
    #: KV for prompt + output is reserved at admission (TensorRT-LLM, SGLang).
    reserve_full_context: bool = False
    #: The next batch is scheduled while the GPU runs the current one: replies one step late.
    overlap_scheduling: bool = False
    #: New requests are admitted once every this many steps.
    scheduler_steps: PositiveInt = 1

    def label(self) -> str:
        """In words, e.g. "up to 2,048 sequences, 8,192 tokens per step, chunked prefill;
        replies one step late (overlap scheduler)"."""
        parts = [
            f"up to {self.max_num_seqs:,} sequences",
            f"{self.max_num_batched_tokens:,} tokens per step",
            "separate prefill batches"
            if self.separate_prefill_batches
            else ("chunked prefill" if self.chunked_prefill else "whole-prompt prefill"),
        ]
        if self.reserve_full_context:
            parts.append("KV reserved for prompt + output at admission")
        if self.scheduler_steps > 1:
            parts.append(f"new requests every {self.scheduler_steps} steps")
        late = "; replies one step late (overlap scheduler)" if self.overlap_scheduling else ""
        return ", ".join(parts) + late


class PerfPrediction(FrozenModel):
    """The engine's answer for one :class:`ServingScenario`."""

    metrics: PerfMetrics
    memory: MemoryFit
    #: The scheduler the prediction assumed.
    scheduler: SchedulerAssumed | None = None
    #: Highest sustainable request rate of the whole scenario (all replicas), req/s.
    saturation_rps: NonNegativeFloat | None = None
    #: The most requests per second the API servers hand their engines, whole scenario: one
    #: per fitted (or stated set-up's) time per request, per replica; ``None`` in process.
    api_server_rps: NonNegativeFloat | None = None
    #: How close to saturation the load runs: the offered request rate (open loops) or the
    #: served one (other loads) ÷ ``saturation_rps``; ``None`` without a saturation rate.
    load_utilization: NonNegativeFloat | None = None
    #: One sequence alone (llama-bench ``tg``/``pp``): generated and prompt tokens per second.
    decode_tokens_per_s_single_stream: NonNegativeFloat | None = None
    prefill_tokens_per_s_single_stream: NonNegativeFloat | None = None
