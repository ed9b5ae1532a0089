"""Efficiency parameters: how close an engine on an accelerator gets to the roofline.

The roofline (``core.roofline``) says what the hardware could do; these parameters say what
a serving engine achieves. They are fitted to measurements (``core.calibration``) per
accelerator and engine as a mixed-effects model in an unbounded coordinate (logit for the
efficiencies, log for the times)::

    θ(gpu, engine) = θ_global + δ_engine + δ_class(gpu) + δ_gpu + δ_(gpu, engine)

so an accelerator or engine without measurements still gets a sensible value from its
architecture class (e.g. an L4 from the Ada/Ampere PCIe cards) and the engine's effect.
A prediction says which parts it rests on (:class:`ParameterChoice`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr

from predeploy.core.types import Engine, FrozenModel, GpuSpec, Harness
from predeploy.core.types.accuracy import PerfAccuracy
from predeploy.core.types.perf import ParameterBasis

#: Parameter name → the transform between its value and the unbounded fitting coordinate.
ParamName = Literal[
    "bandwidth_efficiency",
    "compute_efficiency",
    "moe_compute_efficiency",
    "attention_efficiency",
    "comm_efficiency",
    "allreduce_latency_s",
    "step_overhead_s",
    "layer_overhead_s",
    "moe_layer_overhead_s",
    "prefill_layer_overhead_s",
    "moe_prefill_layer_overhead_s",
    "seq_overhead_s",
    "request_overhead_s",
    "frontend_s_per_request",
    "overlap_exponent",
    "expert_parallel_efficiency",
    "block_fp8_matmul_factor",
]

PARAM_NAMES: tuple[ParamName, ...] = (
    "bandwidth_efficiency",
    "compute_efficiency",
    "moe_compute_efficiency",
    "attention_efficiency",
    "comm_efficiency",
    "allreduce_latency_s",
    "step_overhead_s",
    "layer_overhead_s",
    "moe_layer_overhead_s",
    "prefill_layer_overhead_s",
    "moe_prefill_layer_overhead_s",
    "seq_overhead_s",
    "request_overhead_s",
    "frontend_s_per_request",
    "overlap_exponent",
    "expert_parallel_efficiency",
    "block_fp8_matmul_factor",
)

#: Which parameters live in (0, 1] (logit coordinate); the rest are positive (log coordinate).
BOUNDED_PARAMS = frozenset(
    {
        "bandwidth_efficiency",
        "compute_efficiency",
        "moe_compute_efficiency",
        "attention_efficiency",
        "comm_efficiency",
        "expert_parallel_efficiency",
    }
)

Efficiency = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class EfficiencyParams(FrozenModel):
    """How one engine on one accelerator performs relative to the roofline.

    * ``bandwidth_efficiency``: achieved share of peak HBM bandwidth when streaming weights and
      KV cache (memory-bound kernels).
    * ``compute_efficiency``: achieved share of peak dense tensor FLOP/s in the matmuls of
      large batches (compute-bound kernels).
    * ``moe_compute_efficiency``: the same for the routed experts of mixture-of-experts layers
      (grouped GEMMs over ``T·k/E`` tokens per expert, token permutation, load imbalance between
      experts): lower than a dense GEMM of the same FLOPs. Stated for a 2,048-column slice of an
      expert on one GPU; :func:`~predeploy.core.latency.expert_gemm_efficiency` scales it by
      the slice's width.
    * ``attention_efficiency``: achieved share of 16-bit tensor peak in prefill attention.
    * ``comm_efficiency``: achieved share of link bandwidth in tensor-parallel all-reduces.
    * ``allreduce_latency_s``: synchronisation latency of one small tensor-parallel
      all-reduce between two GPUs over NVLink (kernel launch, barrier, flag polling);
      other links and more GPUs scale it (``core.roofline.allreduce_time_s``).
    * ``step_overhead_s``: fixed time per iteration (scheduling, launches, synchronisation).
    * ``layer_overhead_s``: fixed time per layer per iteration (minimum kernel durations).
    * ``moe_layer_overhead_s``: extra fixed time per mixture-of-experts layer per iteration
      (routing, top-k, token permutation and the grouped-GEMM launches of the expert layer).
    * ``prefill_layer_overhead_s``: fixed time per layer of an iteration that runs eagerly:
      one that carries prompt tokens, or decodes a batch larger than the engine's largest
      captured CUDA graph (``PreparedScenario.graph_max_batch``). Other decode-only iterations
      replay captured graphs; eager ones pay host-side launch and synchronisation costs per
      layer (MoE dispatch, variable-length attention metadata).
    * ``moe_prefill_layer_overhead_s``: the extra fixed time per mixture-of-experts layer of
      an eager iteration (routing, top-k, token permutation and the expert kernels launched
      from the host, not replayed from a graph).
    * ``seq_overhead_s``: time per running sequence per iteration (sampling, output handling).
    * ``request_overhead_s``: added once to each served request's TTFT (API server, tokenizer,
      first streamed chunk); 0 for offline benchmarks. The calibration data barely identify
      the default set-up's, so the fit holds its base near this default
      (``core.calibration.BASE_PRIOR_SIGMAS``).
    * ``frontend_s_per_request``: time the API server spends on each request one after
      another (HTTP, tokenization, detokenization, streaming in one process): requests enter
      the engine no faster than ``1 / frontend_s_per_request`` per replica.
    * ``overlap_exponent``: sharpness ``n`` of the attention term's roofline corner
      ``(t_memory^n + t_compute^n)^(1/n)`` (the linear layers' corner is measured on GEMM
      kernels: ``core.latency.LINEAR_OVERLAP_EXPONENT``).
    * ``expert_parallel_efficiency``: with data-parallel attention and experts spread over the
      GPUs, the share of the balanced per-GPU time achieved: every GPU waits at the
      dispatch/combine all-to-all for the one with the most tokens and hottest experts.
    * ``block_fp8_matmul_factor``: how FP8 matmuls whose weights carry a scale per 128 × 128
      block (DeepSeek V3's and Qwen3's FP8 releases: ``ModelArchitecture.fp8_weight_block``)
      fare on FP8 tensor cores against the other matmuls, as a factor on
      ``compute_efficiency`` and ``moe_compute_efficiency``: they quantize their activations
      per group of 128 and apply both scales per block (DeepGEMM, CUTLASS blockwise or Triton
      kernels), where per-tensor or per-channel FP8 (MLPerf's, ModelOpt's, llm-compressor's)
      runs cuBLAS's FP8 GEMM with one scale in its epilogue. 1 is the same share.

    The defaults are neutral starting points (estimated), not measurements.
    """

    bandwidth_efficiency: Efficiency = 0.75
    compute_efficiency: Efficiency = 0.55
    moe_compute_efficiency: Efficiency = 0.35
    attention_efficiency: Efficiency = 0.35
    comm_efficiency: Efficiency = 0.6
    allreduce_latency_s: Seconds = 1e-5
    step_overhead_s: Seconds = 2e-3
    layer_overhead_s: Seconds = 2e-5
    moe_layer_overhead_s: Seconds = 5e-5
    prefill_layer_overhead_s: Seconds = 2e-4
    moe_prefill_layer_overhead_s: Seconds = 2e-4
    seq_overhead_s: Seconds = 1e-5
    request_overhead_s: Seconds = 0.01
    frontend_s_per_request: Seconds = 0.005
    overlap_exponent: Annotated[float, Field(ge=1, le=50)] = 3.0
    expert_parallel_efficiency: Efficiency = 0.75
    block_fp8_matmul_factor: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 1.0

    def to_coordinates(self) -> dict[ParamName, float]:
        """The unbounded fitting coordinates (logit or log of each value)."""
        return {name: to_coordinate(name, getattr(self, name)) for name in PARAM_NAMES}

    @classmethod
    def from_coordinates(cls, coords: dict[ParamName, float]) -> EfficiencyParams:
        return cls(**{name: from_coordinate(name, coords[name]) for name in PARAM_NAMES})


#: Floor for log-coordinate parameters so a zero overhead still has a finite coordinate.
LOG_FLOOR = 1e-9


def to_coordinate(name: ParamName, value: float) -> float:
    """logit(value) for efficiencies (clipped just below 1), log(value) otherwise."""
    if name in BOUNDED_PARAMS:
        v = min(max(value, 1e-6), 1 - 1e-6)
        return math.log(v / (1 - v))
    if name == "overlap_exponent":
        return math.log(max(value - 1.0, LOG_FLOOR))
    return math.log(max(value, LOG_FLOOR))


def from_coordinate(name: ParamName, coord: float) -> float:
    """Inverse of :func:`to_coordinate`."""
    coord = max(min(coord, 40.0), -40.0)
    if name in BOUNDED_PARAMS:
        return 1.0 / (1.0 + math.exp(-coord))
    if name == "overlap_exponent":
        return 1.0 + math.exp(coord)
    return math.exp(coord)


EffectLevel = Literal["engine", "class", "gpu", "gpu_engine", "harness"]

#: The parameters of the server in front of the engine: time added to each request's TTFT,
#: and time per request of the API server's one process.
FRONT_END_PARAMS: tuple[ParamName, ...] = ("request_overhead_s", "frontend_s_per_request")

#: Measurement set-ups whose front end is not the engine's own server. The engine's fitted
#: front-end offsets (and its per-accelerator ones) describe that server: TensorRT-LLM's come
#: from ``trtllm-serve`` alone (GPUStack's bursts; MLPerf's runs are in process), at about
#: twice the time per request of the base set-up, which capped Triton-served bursts of 500
#: requests at 49 per second where 79-81 were measured (TensorRT-LLM 0.14's online-serving
#: table, docs/perf-validation.md, session 67). Such a set-up takes the base front end plus
#: its own fitted offset of the time in front of each request (``calibration_problem.
#: HARNESS_SHIFTS``; none while no measurement of it is fitted).
OWN_FRONT_END: frozenset[Harness] = frozenset({Harness.TRITON})


def engine_front_end_offset(level: EffectLevel, name: str) -> bool:
    """Whether ``name`` of an effect of ``level`` describes the engine's own server: its
    front-end parameters at the engine and accelerator-engine levels."""
    return level in ("engine", "gpu_engine") and name in FRONT_END_PARAMS


def offset_applies(level: EffectLevel, name: str, harness: Harness) -> bool:
    """Whether an effect of ``level`` shifts parameter ``name`` for a scenario measured (or
    predicted) with ``harness``: not the engine server's for a set-up with a front end of its
    own (:data:`OWN_FRONT_END`)."""
    return harness not in OWN_FRONT_END or not engine_front_end_offset(level, name)


class ParameterEffect(FrozenModel):
    """One additive offset (in fitting coordinates) of the mixed-effects parameter model."""

    level: EffectLevel
    #: Engine name, accelerator class, accelerator name, ``GPU/engine`` or ``harness/engine``.
    key: Annotated[str, Field(min_length=1)]
    offsets: dict[ParamName, float]
    #: Measured values this effect was fitted on.
    points: Annotated[int, Field(ge=0)]


class ParameterChoice(FrozenModel):
    """Which parameters a prediction rests on, in words."""

    basis: ParameterBasis
    source: str


def gpu_class(gpu: GpuSpec) -> str:
    """Accelerator class for fall-backs: architecture and form factor, e.g. ``hopper-sxm``
    (NVLink, Infinity Fabric or HCCS modules) or ``ada-pcie`` (PCIe cards: L4, L40S, RTX)."""
    form = "sxm" if gpu.interconnect in ("nvlink", "infinity-fabric", "hccs") else "pcie"
    arch = gpu.architecture.strip().lower().replace(" ", "-") or "unknown"
    return f"{arch}-{form}"


class ParameterSet(FrozenModel):
    """Fitted efficiency parameters for every (accelerator, engine), with fall-backs.

    ``base`` is the global parameter set; ``effects`` the fitted offsets. ``fitted_on`` and
    ``fitted_date`` say what the fit used.
    """

    base: EfficiencyParams = EfficiencyParams()
    effects: tuple[ParameterEffect, ...] = ()
    fitted_on: str = "not fitted: neutral default parameters (estimated)"
    fitted_date: dt.date | None = None
    method: str = ""
    #: Held-out error bands of predictions on these parameters (shipped separately,
    #: ``data/perf_accuracy.json``; not part of a fit's output).
    accuracy: PerfAccuracy | None = Field(default=None, exclude=True)
    _composed: dict[tuple[str, str, str, str], tuple[EfficiencyParams, ParameterChoice]] = (
        PrivateAttr(default_factory=dict)
    )

    def _effect(self, level: EffectLevel, key: str) -> ParameterEffect | None:
        for effect in self.effects:
            if effect.level == level and effect.key == key:
                return effect
        return None

    def for_gpu(
        self, gpu: GpuSpec, engine: Engine, harness: Harness = Harness.DEFAULT
    ) -> tuple[EfficiencyParams, ParameterChoice]:
        """The parameters for ``engine`` on ``gpu`` and the basis they rest on.

        ``fitted`` when this accelerator and engine were measured together; otherwise a
        ``fallback`` composed of the effects that exist (engine, accelerator class,
        accelerator), each named in the source text; a measurement set-up other than the
        default adds its own effect (:class:`Harness`). Composed once per (accelerator, class,
        engine, set-up): a plan asks thousands of times.
        """
        engine_key = Engine(engine).value
        key = (gpu.name, gpu_class(gpu), engine_key, Harness(harness).value)
        chosen = self._composed.get(key)
        if chosen is None:
            chosen = self._compose(gpu.name, key[1], engine_key, key[3])
            self._composed[key] = chosen
        return chosen

    def _compose(
        self, gpu_name: str, cls: str, engine_key: str, harness: str
    ) -> tuple[EfficiencyParams, ParameterChoice]:
        coords = self.base.to_coordinates()
        used: list[str] = []
        pair = f"{gpu_name}/{engine_key}"
        chain: list[tuple[EffectLevel, str, str]] = [
            ("engine", engine_key, f"{engine_key} engine effect"),
            ("class", cls, f"{cls} class effect"),
            ("gpu", gpu_name, f"{gpu_name} effect"),
            ("gpu_engine", pair, f"{pair} effect"),
            ("harness", f"{harness}/{engine_key}", f"{harness} measurement set-up effect"),
        ]
        points = 0
        setup = Harness(harness)
        for level, key, label in chain:
            effect = self._effect(level, key)
            if effect is None:
                continue
            for name, offset in effect.offsets.items():
                if offset_applies(level, name, setup):
                    coords[name] = coords[name] + offset
            used.append(label)
            if level == "gpu_engine":
                points = effect.points
        params = EfficiencyParams.from_coordinates(coords)
        own_front = ""
        if setup in OWN_FRONT_END:
            fitted_front = self._effect("harness", f"{harness}/{engine_key}") is not None
            own_front = f"; the {harness} front end's time per request: " + (
                "the base set-up's and its own fitted offset"
                if fitted_front
                else "the base set-up's (estimated)"
            )
        if points > 0:
            return params, ParameterChoice(
                basis="fitted",
                source=f"fitted on {points} measurements ({gpu_name}, {engine_key}){own_front}; "
                f"{self.fitted_on}",
            )
        if not self.effects:
            return params, ParameterChoice(basis="fallback", source=self.fitted_on)
        missing = f"no measurements of {engine_key} on {gpu_name}"
        parts = ", ".join(used) if used else "global parameters only"
        return params, ParameterChoice(
            basis="fallback", source=f"fallback: {missing}; composed of {parts}{own_front}"
        )
