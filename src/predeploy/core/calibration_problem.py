"""Measurements prepared for calibration: observations, their weights and their effect keys.

A :class:`Measurement` is one measured scenario with its metrics and source. A
:class:`CalibrationProblem` holds every scenario's prepared fluid-model constants and one row
per fitted observation i: its scenario, metric, measured value and weight. Only metrics the
fluid model predicts are fitted (:data:`FITTED_METRICS`), not those the load itself sets
(:data:`LOAD_DETERMINED`), and only positive values. The weights are ``w_i = 1/√n`` within
each (source, metric family) group of n observations, rescaled so that Σ w_i equals the
number of observations: a source's total weight grows as √n, so a large source does not drown
a small one. Each scenario also gets its key at every effect level (engine, accelerator
class, accelerator, accelerator/engine, measurement set-up/engine) for the mixed-effects fit of
:mod:`predeploy.core.calibration`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from predeploy.core.efficiency import (
    OWN_FRONT_END,
    PARAM_NAMES,
    EffectLevel,
    EfficiencyParams,
    ParamName,
    gpu_class,
)
from predeploy.core.fluid import FluidInputs
from predeploy.core.types import Harness, ServingScenario
from predeploy.core.workload import EfficiencyArrays, PreparedScenario, prepare, stack

#: The effect levels, from the broadest to the narrowest (see ``core.efficiency``).
LEVELS: tuple[EffectLevel, ...] = ("engine", "class", "gpu", "gpu_engine", "harness")


def metric_family(metric: str) -> str:
    """The scorer's metric families (../shared/calibration/score_perf.py)."""
    if metric.endswith("_single_stream"):
        return "single_stream"
    if metric.endswith("_tokens_per_s") or metric == "requests_per_s":
        return "throughput"
    for prefix, name in (("ttft_ms", "ttft"), ("itl_ms", "itl_tpot"), ("tpot_ms", "itl_tpot")):
        if metric.startswith(prefix):
            return name
    return "e2e" if metric.startswith("e2e_ms") else "other"


@dataclass(frozen=True, slots=True)
class Measurement:
    """One measured scenario: what ran, what was measured, and where it was published."""

    scenario: ServingScenario
    metrics: dict[str, float]
    source_key: str
    id: str = ""
    #: The source's load kind name (``request_rate``, ``burst``, ...), for reporting.
    load_kind: str = ""
    #: Contract flags: report batch-1 speeds; only TTFT is predictable (output unknown).
    single_stream: bool = False
    ttft_only: bool = False


@dataclass(frozen=True)
class CalibrationProblem:
    """Measurements prepared for fitting: per-scenario constants and per-value indices."""

    measurements: tuple[Measurement, ...]
    prepared: tuple[PreparedScenario, ...]
    inputs: FluidInputs
    keys: dict[EffectLevel, tuple[str, ...]]
    key_index: dict[EffectLevel, np.ndarray]
    obs_case: np.ndarray
    obs_metric: tuple[str, ...]
    obs_value: np.ndarray
    obs_weight: np.ndarray
    #: Per scenario: measured with a front end other than the engine's own server, so the
    #: engine's front-end offsets do not apply (``core.efficiency.OWN_FRONT_END``).
    own_front_end: np.ndarray
    #: Ids of measurements left out as contradictory copies (:func:`contradictory_copies`).
    copies_left_out: tuple[str, ...] = ()
    #: Ids of measurements left out because their label is known to be wrong
    #: (:data:`MISLABELLED`).
    mislabelled_left_out: tuple[str, ...] = ()
    #: Ids of measurements left out because the model does not fit in memory on the layout they
    #: state (a label is wrong: the run cannot have used it; still validated, as fits=false).
    unfit_left_out: tuple[str, ...] = ()


#: What each measurement set-up (``core.types.Harness``) may shift from the default set-up's
#: parameters, which predictions assume. AIConfigurator's set-up pays its own time in front of
#: the engine. AMD's MLPerf harness is predicted with the engine settings its published code
#: states (``core.mlperf_harness``: multi-step decoding, whole-prompt prefill, eager execution),
#: and runs AMD's own vLLM build: its time per layer of a step that runs eagerly or carries
#: prefill is its own. Triton's C++ front end has its own time in front of each request, in
#: place of the engine server's (``core.efficiency.OWN_FRONT_END``); its time per request of
#: one process stays the base set-up's (no measurement separates the two). vLLM 0.11.0's chat
#: front end parses the chat template on each request (``core.vllm_chat``): a longer time per
#: request of its one process, which each request also waits for (a gated server).
HARNESS_SHIFTS: dict[Harness, tuple[ParamName, ...]] = {
    Harness.DEFAULT: (),
    Harness.AICONFIGURATOR: ("request_overhead_s",),
    Harness.MLPERF_AMD: ("prefill_layer_overhead_s",),
    Harness.TRITON: ("request_overhead_s",),
    Harness.VLLM_0_11_0_CHAT: ("frontend_s_per_request",),
}

#: Every parameter some set-up shifts: the harness level's columns (``core.calibration``).
HARNESS_PARAMS: tuple[ParamName, ...] = tuple(
    n for n in PARAM_NAMES if any(n in shifts for shifts in HARNESS_SHIFTS.values())
)


def held_at_zero(level: EffectLevel, key: str, name: ParamName) -> bool:
    """Whether an effect's offset of ``name`` is held at zero: a measurement set-up shifts only
    what :data:`HARNESS_SHIFTS` lists (the default set-up nothing, it is the reference)."""
    if level != "harness":
        return False
    return name not in HARNESS_SHIFTS[Harness(key.split("/", 1)[0])]


def _keys(scenario: ServingScenario) -> dict[EffectLevel, str]:
    engine = scenario.engine.value
    return {
        "engine": engine,
        "class": gpu_class(scenario.gpu),
        "gpu": scenario.gpu.name,
        "gpu_engine": f"{scenario.gpu.name}/{engine}",
        "harness": f"{scenario.harness.value}/{engine}",
    }


#: Metrics the fluid model predicts (everything else in a measurement is ignored).
FITTED_METRICS = frozenset(
    {"output_tokens_per_s", "total_tokens_per_s", "requests_per_s"}
    | {
        f"{n}_{s}"
        for n in ("ttft_ms", "itl_ms", "tpot_ms", "e2e_ms")
        for s in ("mean", "p50", "p90", "p95", "p99")
    }
    | {"decode_tokens_per_s_single_stream", "prefill_tokens_per_s_single_stream"}
)

#: Measurement groups left out of the fit, with the reason (they are still validated).
#: AIConfigurator's fixed-concurrency TTFT is fitted: its rise with the output length is
#: confined to one early TensorRT-LLM collection (Llama-3.1-8B on H100, v1.0.0rc3, e.g. TP1
#: c=8: 191/318/550 ms for 128/256/512 output tokens); the other ~700 series keep TTFT flat
#: in the output length, and the Huber loss bounds what the odd series can pull.
EXCLUDED_FROM_FIT: dict[tuple[str, str], str] = {
    ("mlperf-inference-v5.1", "ttft"): (
        "MLPerf's Server and Interactive runs sit near their systems' capacity, where the "
        "prefill queue gives the measured TTFT an exponential tail (p99 1.8-3.5x the median) "
        "that the model does not price (its p99 0.71 of the measured); fitted, those tails "
        "slowed TensorRT-LLM's decode steps instead (MLPerf's TPOT 1.02 -> 1.05 of the "
        "measured, in sample 11.2 -> 11.7 %; docs/perf-validation.md, session 75)"
    ),
}

#: Fewest metrics two measurements must share, value for value, to be copies of one run: a
#: single figure (a throughput, a rate) can coincide by chance, a full latency table cannot.
MIN_METRICS_OF_A_COPY = 3

#: GPUStack's performance-lab pages at the calibration set's snapshot.
_GPUSTACK_LAB = (
    "https://github.com/gpustack/gpustack/blob/47277d79f4a5bae12a2d25e9ecbed2a2177a5f2d/"
    "docs/performance-lab/"
)
_GLM_AIR_H100_COPY = (
    "GPUStack's GLM-4.5-Air H100 page prints, under 'Other Benchmark Cases', the A100 page's "
    "fixed-length results to the last digit, while its own conclusion table gives other "
    "totals for the same runs (vLLM baseline, 2,000-token prompts: 22,582.76 tokens/s against "
    "the block's 8,643.75, the A100 page's figure in its table and block alike): "
    + _GPUSTACK_LAB
    + "glm-4.5-air/h100.md"
)

_QWEN3_32B_H100_FP8 = (
    "GPUStack's Qwen3-32B H100 page shows an SGLang command (--model-path Qwen/Qwen3-32B-FP8) "
    "under '2. Quantization in TensorRT-LLM', and its summary treats the run as TensorRT-LLM's: "
    "'Quantization +50.6 %' is its 4,005.32 tokens/s over TensorRT-LLM's BF16 2,659.50 (SGLang's "
    "BF16 run made 1,690.84), and '3. Enable Chunked Prefill in TensorRT-LLM' adds 7.0 % to it "
    "with trtllm-serve and the same FP8 checkpoint; that run's ITL p50 (85.3 ms) and generated "
    "total (201,376 tokens) match this one's (86.5 ms, 201,376), where SGLang's BF16 run's ITL "
    "p50 is 43.9 ms: a TensorRT-LLM run labelled SGLang: " + _GPUSTACK_LAB + "qwen3-32b/h100.md"
)

#: Measurements whose label is known to be wrong, with the evidence: left out of the fit (the
#: measurements they repeat, whose labels are right, stay in it: :func:`contradictory_copies`)
#: and still validated.
MISLABELLED: dict[str, str] = {
    **dict.fromkeys(
        (
            f"gpustack-performance-lab/glm-4.5-air/h100-sxmx4/{suffix}"
            for suffix in (
                "0d41a3b9cd",  # SGLang, 2,000/100 tokens
                "62d26bd34b",  # vLLM, 4,000/200
                "75959f0dcb",  # vLLM, 32,000/100
                "bf9e2d3877",  # SGLang, 4,000/200
                "d48d7e93cf",  # SGLang, 128/4
                "da2f82b190",  # vLLM, 128/4
                "fcaf595f3f",  # SGLang, 32,000/100
                "fdd721a055",  # vLLM, 2,000/100
            )
        ),
        _GLM_AIR_H100_COPY,
    ),
    "gpustack-performance-lab/qwen3-32b/h100-sxmx1/2d47363dcf": _QWEN3_32B_H100_FP8,
}


def contradictory_copies(
    measurements: Sequence[Measurement], mislabelled: Mapping[str, str] = MISLABELLED
) -> set[str]:
    """Ids of measurements identical, metric for metric, to one of a different scenario, once
    those known to be ``mislabelled`` (:data:`MISLABELLED`) are set aside.

    Different hardware or settings cannot measure the same latency table to the last digit,
    so one of the labels is wrong. Where the known ones account for the contradiction, the
    measurements they repeat are not copies; otherwise the fit cannot tell which label is
    wrong, so it uses none of them. Validation still scores them all."""
    groups: dict[tuple[tuple[str, float], ...], list[Measurement]] = {}
    for m in measurements:
        if len(m.metrics) >= MIN_METRICS_OF_A_COPY and m.id not in mislabelled:
            groups.setdefault(tuple(sorted(m.metrics.items())), []).append(m)
    out: set[str] = set()
    for group in groups.values():
        if any(m.scenario != group[0].scenario for m in group[1:]):
            out.update(m.id for m in group)
    return out


#: Metrics whose value is set by the load itself, not by the engine (an open-loop run's
#: throughput equals its offered rate): not informative for the efficiencies.
LOAD_DETERMINED = {"poisson": {"output_tokens_per_s", "total_tokens_per_s", "requests_per_s"}}


def build_problem(measurements: Sequence[Measurement]) -> CalibrationProblem:
    """Prepare measurements for :func:`fit` (sorted by id, so order does not matter)."""
    ordered = tuple(sorted(measurements, key=lambda m: (m.id, m.source_key)))
    prepared = tuple(prepare(m.scenario) for m in ordered)
    defaults = EfficiencyArrays.from_params([EfficiencyParams()] * len(prepared))
    inputs = stack(prepared, defaults)
    keys: dict[EffectLevel, tuple[str, ...]] = {}
    key_index: dict[EffectLevel, np.ndarray] = {}
    case_keys = [_keys(m.scenario) for m in ordered]
    for level in LEVELS:
        names = tuple(sorted({k[level] for k in case_keys}))
        lookup = {n: i for i, n in enumerate(names)}
        keys[level] = names
        key_index[level] = np.array([lookup[k[level]] for k in case_keys], dtype=int)
    obs: list[tuple[int, str, float, str]] = []
    copies = contradictory_copies(ordered)
    # A stated layout the weights do not fit cannot be the one measured (AIConfigurator codes
    # vLLM runs of Qwen3-235B-A22B FP8 as TP1 on one H200 with the experts sharded over two
    # GPUs; GPUStack labels two GLM-4.5-Air runs on 2x H100 as BF16): their predictions have
    # no KV cache to speak of, and fitting them would bend every parameter they share.
    unfit = {m.id for m, p in zip(ordered, prepared, strict=True) if not p.memory.fits}
    mislabelled = {m.id for m in ordered if m.id in MISLABELLED}
    left_out = copies | unfit | mislabelled
    for i, m in enumerate(ordered):
        if m.id in left_out:
            continue
        skip = LOAD_DETERMINED.get(m.scenario.load.kind, set())
        for metric, value in sorted(m.metrics.items()):
            excluded = (m.source_key, metric_family(metric)) in EXCLUDED_FROM_FIT
            if metric in FITTED_METRICS and metric not in skip and value > 0 and not excluded:
                obs.append((i, metric, float(value), f"{m.source_key}|{metric_family(metric)}"))
    groups = Counter(o[3] for o in obs)
    weights = np.array([1.0 / math.sqrt(groups[o[3]]) for o in obs])
    weights *= len(obs) / max(weights.sum(), 1e-12)
    return CalibrationProblem(
        measurements=ordered,
        prepared=prepared,
        inputs=inputs,
        keys=keys,
        key_index=key_index,
        obs_case=np.array([o[0] for o in obs], dtype=int),
        obs_metric=tuple(o[1] for o in obs),
        obs_value=np.array([o[2] for o in obs]),
        obs_weight=weights,
        own_front_end=np.array([m.scenario.harness in OWN_FRONT_END for m in ordered], dtype=bool),
        copies_left_out=tuple(sorted(copies)),
        mislabelled_left_out=tuple(sorted(mislabelled)),
        unfit_left_out=tuple(sorted(unfit)),
    )
