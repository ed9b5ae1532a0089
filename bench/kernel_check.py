"""The hardware facts and the fitted step model against measured GEMM and attention kernels.

AIConfigurator (aiconfigurator-core 0.12.0 on PyPI, Apache-2.0, NVIDIA ai-dynamo) ships the
latencies of the GEMM kernels that vLLM, SGLang and TensorRT-LLM run, measured on each GPU it
supports (``systems/data/<gpu>/gemm/<engine>/<version>/gemm_perf.parquet``: M × N × K, dtype,
milliseconds). They are kernel microbenchmarks, not serving measurements, and predeploy never
fits on them. This script reads them straight from the wheel and reports four things:

1. **The GPU facts** (``data/gpus.yaml``): the fastest measured GEMM must not beat the
   catalogue's dense tensor peak, nor a weight-streaming GEMV (weights ≥ 256 MiB, more than any
   L2 cache, so it streams from HBM) the catalogue's HBM bandwidth. A violation is a wrong
   fact. The medians say what share of the peaks real kernels reach.
2. **The fitted step model's linear-layer term** for one GEMM — the soft maximum, at the
   linear layers' corner, of the weight bytes over HBM × ``bandwidth_efficiency`` and the
   FLOPs over the peak × ``compute_efficiency``, with the shipped parameters for that GPU and
   engine (``core.latency``) — divided by the measured kernel time, by batch size. Above 1
   means the fitted efficiencies carry more than the GEMM itself (the engine's other
   per-token work); below 1 at small M means the per-layer overhead terms, not this term,
   carry the kernel's fixed latency.
3. **The roofline corner** of a GEMM: how sharply its time turns from memory-bound to
   compute-bound, the exponent ``n`` of ``c + softmax_n(bytes / (HBM·η_b), FLOPs / (peak·η_c))``
   that fits each GPU's and dtype's weight-streaming GEMMs best (``η_b``, ``η_c`` and the fixed
   time ``c`` fitted per ``n``): the source of ``core.latency.LINEAR_OVERLAP_EXPONENT``.
4. **Prefill attention** (``systems/data/<gpu>/attention/<engine>/<version>/
   context_attention_perf.parquet``): the causal kernels' share of the BF16 peak, and the
   fitted attention term (FLOPs over the peak × ``attention_efficiency``) ÷ the kernel.
5. **Routed-expert matmuls** (``systems/data/<gpu>/moe/<engine>/<version>/moe_perf.parquet``:
   one MoE layer's grouped GEMMs for ``num_tokens`` tokens, balanced over the experts): the
   compute-bound layers' share of the tensor peak by expert width, the fitted expert term
   (FLOPs over the peak × ``expert_gemm_efficiency``) ÷ the kernel, the width exponent the
   kernels imply (against ``latency.EXPERT_WIDTH_EXPONENT``), and how much faster the same
   layer runs in FP8 or NVFP4 than in BF16 at prefill sizes, as a share of the peaks' ratio.

Usage::

    make kernel-check
    # or, by hand:
    .venv/bin/pip install pyarrow
    .venv/bin/pip download aiconfigurator-core==0.12.0 --no-deps -d .cache/aic
    .venv/bin/python bench/kernel_check.py   # reads .cache/aic/, or --wheel PATH
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import math
import re
import statistics
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from predeploy.core.efficiency import ParameterSet
from predeploy.core.latency import (
    EXPERT_WIDTH_EXPONENT,
    LINEAR_OVERLAP_EXPONENT,
    expert_gemm_efficiency,
)
from predeploy.core.roofline import compute_tflops, hardware_rates, smooth_max
from predeploy.core.types import Engine, GpuSpec, Precision
from predeploy.core.versions import release
from predeploy.services.perf import default_catalog, load_parameters

#: AIConfigurator's system names → the catalogue's (systems/<name>.yaml: memory, bandwidth).
AIC_GPUS = {
    "a100_sxm": "A100-80GB",
    "h100_sxm": "H100-SXM",
    "h200_sxm": "H200",
    "b200_sxm": "B200",
    "b300_sxm": "B300",
    "gb200": "GB200",
    "l40s": "L40S",
    "rtx_pro_6000_server": "RTX-PRO-6000",
}

#: AIConfigurator's GEMM dtypes → the precision whose tensor peak they run at, and the bytes
#: per weight. Block-scaled FP8, weight-only integer and SmoothQuant kernels are left out.
DTYPES = {
    "bfloat16": (Precision.BF16, 2.0),
    "fp8": (Precision.FP8, 1.0),
    "nvfp4": (Precision.FP4, 0.5),
}

#: A GEMV whose weights exceed every L2 cache (126 MB on B200) streams them from HBM.
STREAMING_WEIGHT_BYTES = 256 * 2**20
#: "Large" GEMMs, whose throughput is compute-bound: every dimension at least this.
LARGE_DIM = 4096
#: Batch sizes (M) of the step-model comparison, by band.
M_BANDS = {"M 1-16": (1, 16), "M 64-512": (64, 512), "M 1024-8192": (1024, 8192)}

#: The engines the step model has parameters for (AIConfigurator's directory names).
ENGINES = frozenset(e.value for e in Engine)

#: Where `make kernel-check` downloads the wheel.
DEFAULT_WHEELS = Path(__file__).resolve().parents[1] / ".cache" / "aic"
WHEEL_GLOB = "aiconfigurator_core-0.12.0-*.whl"

PATH = re.compile(r"systems/data/([^/]+)/gemm/([^/]+)/([^/]+)/gemm_perf\.parquet$")
ATTENTION_PATH = re.compile(
    r"systems/data/([^/]+)/attention/([^/]+)/([^/]+)/context_attention_perf\.parquet$"
)


@dataclass(frozen=True)
class Kernel:
    gpu: str
    engine: str
    version: str
    dtype: str
    m: int
    n: int
    k: int
    latency_s: float


class Collection(NamedTuple):
    """One kernel table of the wheel: the catalogue GPU and engine it was measured on, and
    its member name (``.../<engine>/<version>/<table>.parquet``)."""

    gpu: str
    engine: str
    member: str

    @property
    def version(self) -> str:
        return self.member.split("/")[-2]


class FittedRates(NamedTuple):
    """The shipped parameters' effective rates for one GPU, engine and precision: the peaks
    times the fitted efficiencies (bytes/s, FLOP/s) and the roofline corner's exponent."""

    weight_bytes_per_s: float
    gemm_flops_per_s: float
    attention_flops_per_s: float
    overlap_exponent: float

    @staticmethod
    def of(params: ParameterSet, gpu: GpuSpec, engine: str, precision: Precision) -> FittedRates:
        eff, _ = params.for_gpu(gpu, Engine(engine))
        hw = hardware_rates(gpu, precision, 1)
        return FittedRates(
            weight_bytes_per_s=hw.hbm_bytes_per_s * eff.bandwidth_efficiency,
            gemm_flops_per_s=hw.gemm_flops_per_s * eff.compute_efficiency,
            attention_flops_per_s=hw.attention_flops_per_s * eff.attention_efficiency,
            overlap_exponent=eff.overlap_exponent,
        )


def newest_collections(
    names: Iterable[str], pattern: re.Pattern[str] = PATH
) -> list[Collection]:
    """The newest collection per GPU and engine (and per table, for a pattern with more
    groups) among a wheel's member ``names`` that match ``pattern`` (groups: AIConfigurator's
    GPU, engine, version[, table]); GPUs outside the catalogue and engines predeploy does not
    model are left out."""
    newest: dict[tuple[str, ...], tuple[tuple[tuple[int, int, int], str], str]] = {}
    for name in names:
        found = pattern.search(name)
        if found is None or found.group(1) not in AIC_GPUS or found.group(2) not in ENGINES:
            continue
        key = (AIC_GPUS[found.group(1)], found.group(2), *found.groups()[3:])
        # The release, then the full string for release candidates (1.3.0rc23 > 1.3.0rc20).
        version = (release(found.group(3)) or (0, 0, 0), found.group(3))
        if key not in newest or version > newest[key][0]:
            newest[key] = (version, name)
    return [Collection(key[0], key[1], name) for key, (_, name) in sorted(newest.items())]


def _tables(
    wheel: Path, pattern: re.Pattern[str]
) -> Iterator[tuple[Collection, dict[str, list[Any]]]]:
    """Each newest collection matching ``pattern`` with its columns."""
    import pyarrow.parquet as pq

    with zipfile.ZipFile(wheel) as zf:
        for found in newest_collections(zf.namelist(), pattern):
            yield found, pq.read_table(io.BytesIO(zf.read(found.member))).to_pydict()


def read_kernels(wheel: Path) -> Iterator[Kernel]:
    """Every GEMM measurement of the newest collection per (GPU, engine) in the wheel."""
    for found, table in _tables(wheel, PATH):
        columns = (table[c] for c in ("gemm_dtype", "m", "n", "k", "latency"))
        for dtype, m, n, k, latency_ms in zip(*columns, strict=True):
            if dtype in DTYPES and latency_ms > 0:
                yield Kernel(
                    found.gpu, found.engine, found.version, dtype, m, n, k, latency_ms * 1e-3
                )


@dataclass(frozen=True)
class Attention:
    """One prefill attention kernel (one layer, causal): ``batch`` prompts of ``isl`` tokens."""

    gpu: str
    engine: str
    batch: int
    isl: int
    heads: int
    head_dim: int
    latency_s: float

    @property
    def flops(self) -> float:
        """QKᵀ and PV, 2 FLOPs per multiply-add: ``4·h·d`` per attended pair, ``isl²/2``
        pairs per prompt."""
        return 4.0 * self.heads * self.head_dim * self.batch * self.isl * self.isl / 2.0


def read_attention(wheel: Path) -> Iterator[Attention]:
    """Every full-attention (no window, one beam, BF16) prefill measurement of the newest
    collection per GPU and engine. (Generation kernels are left out: their tables mix kernel
    sources whose cache-length convention differs, some implying 70 TB/s.)"""
    for found, table in _tables(wheel, ATTENTION_PATH):
        # Older collections have no sliding-window column: full attention throughout.
        table.setdefault("window_size", [0] * len(table["latency"]))
        columns = (
            "batch_size", "isl", "num_heads", "head_dim", "attn_dtype", "beam_width",
            "window_size", "latency",
        )
        for batch, isl, heads, dim, dtype, beams, window, ms in zip(
            *(table[c] for c in columns), strict=True
        ):
            if dtype == "bfloat16" and beams == 1 and not window and ms > 0:
                yield Attention(found.gpu, found.engine, batch, isl, heads, dim, ms * 1e-3)


#: Prefills long enough for the attention kernel to run at its sustained rate.
LONG_PREFILL_TOKENS = 4096

MOE_PATH = re.compile(r"systems/data/([^/]+)/moe/([^/]+)/([^/]+)/moe_perf\.parquet$")
#: AIConfigurator's MoE dtypes → the precision whose tensor peak they run at, and the bytes per
#: weight (mixed-format and weight-only kernels are left out).
MOE_DTYPES = {
    "bfloat16": (Precision.BF16, 2.0),
    "fp8": (Precision.FP8, 1.0),
    "fp8_block": (Precision.FP8, 1.0),
    "nvfp4": (Precision.FP4, 0.5),
}
#: A grouped GEMM counts as compute-bound when its FLOPs at the tensor peak take at least this
#: many times its expert weights at the HBM peak.
MOE_COMPUTE_BOUND_RATIO = 4.0
#: Tokens per MoE layer at prefill sizes: the low-precision speed-up table's kernels.
MOE_PREFILL_TOKENS = 4096
#: Expert widths (intermediate columns of one expert on one GPU) of the table's bands.
MOE_WIDTH_BANDS = {"w ≤ 256": (0, 256), "w 257-1024": (257, 1024), "w > 1024": (1025, 10**9)}


@dataclass(frozen=True)
class MoeKernel:
    """One routed-expert layer (gate/up and down grouped GEMMs, tokens balanced over the
    experts) of ``tokens`` tokens, each sent to ``topk`` of ``experts`` experts, the experts'
    ``inter`` columns split over ``tp`` GPUs."""

    gpu: str
    engine: str
    dtype: str
    tokens: int
    hidden: int
    inter: int
    topk: int
    experts: int
    tp: int
    latency_s: float

    @property
    def width(self) -> float:
        return self.inter / self.tp

    @property
    def flops(self) -> float:
        """One GPU's FLOPs: three ``hidden × width`` matrices per routed token, 2 per MAC."""
        return 6.0 * self.tokens * self.topk * self.hidden * self.width

    def weight_bytes(self, bytes_per_weight: float) -> float:
        """One GPU's expert weights (every expert touched at prefill sizes)."""
        return 3.0 * self.experts * self.hidden * self.width * bytes_per_weight


def read_moe(wheel: Path) -> Iterator[MoeKernel]:
    """Every balanced, tensor-parallel (no expert parallelism) MoE measurement of the newest
    collection per GPU and engine."""
    for found, table in _tables(wheel, MOE_PATH):
        columns = (
            "moe_dtype", "num_tokens", "hidden_size", "inter_size", "topk", "num_experts",
            "moe_tp_size", "moe_ep_size", "distribution", "latency",
        )
        for dtype, tokens, hidden, inter, topk, experts, tp, ep, spread, ms in zip(
            *(table[c] for c in columns), strict=True
        ):
            if dtype in MOE_DTYPES and ep == 1 and spread == "balanced" and ms > 0:
                yield MoeKernel(
                    found.gpu, found.engine, dtype, tokens, hidden, inter, topk, experts, tp,
                    ms * 1e-3,
                )


class MoeWidthReport(NamedTuple):
    """:func:`moe_table`'s Markdown rows and the width exponent the kernels imply."""

    lines: list[str]
    width_exponent: float


class MoePrecisionReport(NamedTuple):
    """:func:`moe_precision_table`'s Markdown rows and, per precision, the median speed-up over
    BF16 as a share of the tensor peaks' ratio."""

    lines: list[str]
    peak_ratio_share: dict[str, float]


def moe_precision_table(
    kernels: list[MoeKernel], gpus: dict[str, GpuSpec]
) -> MoePrecisionReport:
    """How much faster the same MoE layer runs in FP8 or NVFP4 than in BF16 at prefill sizes
    (matched kernels: same GPU, engine, tokens and shape), medians per GPU, engine and dtype, and
    the median over those groups of the speed-up as a share of the tensor peaks' ratio (the
    low-precision rate the step model's expert term runs at)."""
    by_shape: dict[tuple[Any, ...], dict[str, float]] = defaultdict(dict)
    for kn in kernels:
        if kn.tokens >= MOE_PREFILL_TOKENS:
            shape = (kn.gpu, kn.engine, kn.tokens, kn.hidden, kn.inter, kn.topk, kn.experts, kn.tp)
            by_shape[shape][kn.dtype] = kn.latency_s
    speedups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for shape, latencies in by_shape.items():
        if "bfloat16" in latencies:
            for dtype, latency_s in latencies.items():
                if dtype != "bfloat16":
                    speedups[shape[0], shape[1], dtype].append(latencies["bfloat16"] / latency_s)
    lines = [
        "| GPU | engine | dtype | matched layers | speed-up over BF16 | peak ratio | share |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    shares: dict[Precision, list[float]] = defaultdict(list)
    for (gpu_name, engine, dtype), values in sorted(speedups.items()):
        precision = MOE_DTYPES[dtype][0]
        gpu = gpus[gpu_name]
        ratio = compute_tflops(gpu, precision) / compute_tflops(gpu, Precision.BF16)
        speedup = _median(values)
        shares[precision].append(speedup / ratio)
        lines.append(
            f"| {gpu_name} | {engine} | {dtype} | {len(values):,} | {speedup:.2f} | "
            f"{ratio:.2f} | {speedup / ratio:.2f} |"
        )
    return MoePrecisionReport(lines, {p.value: _median(v) for p, v in sorted(shares.items())})


def moe_table(
    kernels: list[MoeKernel], gpus: dict[str, GpuSpec], params: ParameterSet
) -> MoeWidthReport:
    """Compute-bound expert matmuls: their share of the precision's tensor peak and the fitted
    expert term (FLOPs over the peak × ``expert_gemm_efficiency``) ÷ the kernel, medians by
    expert width; and the width exponent the kernels imply (least squares of log share on log
    width within each GPU, engine and dtype)."""
    share: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    ratio: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    points: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    for kn in kernels:
        precision, bytes_per_weight = MOE_DTYPES[kn.dtype]
        gpu = gpus[kn.gpu]
        hw = hardware_rates(gpu, precision, 1)
        compute_s = kn.flops / float(hw.gemm_flops_per_s)
        memory_s = kn.weight_bytes(bytes_per_weight) / float(hw.hbm_bytes_per_s)
        if compute_s < MOE_COMPUTE_BOUND_RATIO * memory_s:
            continue
        eff, _ = params.for_gpu(gpu, Engine(kn.engine))
        fitted = float(
            expert_gemm_efficiency(eff.moe_compute_efficiency * hw.sustained_factor, kn.width)
        )
        band = next(b for b, (lo, hi) in MOE_WIDTH_BANDS.items() if lo <= kn.width <= hi)
        key = (kn.gpu, kn.engine, kn.dtype)
        measured = compute_s / kn.latency_s
        share[(*key, band)].append(measured)
        ratio[(*key, band)].append(compute_s / fitted / kn.latency_s)
        points[key].append((math.log(kn.width), math.log(measured)))
    header = " | ".join(MOE_WIDTH_BANDS)
    lines = [
        f"| GPU | engine | dtype | kernels | share of peak: {header} | fitted ÷ kernel: "
        f"{header} |",
        "| --- | --- | --- | ---: |" + " ---: |" * (2 * len(MOE_WIDTH_BANDS)),
    ]
    for key in sorted(points):
        shares = " | ".join(f"{_median(share[(*key, b)]):.2f}" for b in MOE_WIDTH_BANDS)
        ratios = " | ".join(f"{_median(ratio[(*key, b)]):.2f}" for b in MOE_WIDTH_BANDS)
        lines.append(f"| {' | '.join(key)} | {len(points[key]):,} | {shares} | {ratios} |")
    # Within-group slope: both logs centred per group, then one least-squares line.
    xs, ys = [np.zeros(0)], [np.zeros(0)]
    for group in points.values():
        x, y = (np.array(c) for c in zip(*group, strict=True))
        xs.append(x - x.mean())
        ys.append(y - y.mean())
    x_all, y_all = np.concatenate(xs), np.concatenate(ys)
    exponent = float(x_all @ y_all / (x_all @ x_all)) if x_all.any() else math.nan
    return MoeWidthReport(lines, exponent)


def attention_table(
    kernels: list[Attention], gpus: dict[str, GpuSpec], params: ParameterSet
) -> list[str]:
    """Prefill attention's share of the BF16 peak and the fitted attention term (FLOPs over
    the peak × ``attention_efficiency``) ÷ the kernel, medians over long prefills."""
    share: dict[tuple[str, str], list[float]] = defaultdict(list)
    ratio: dict[tuple[str, str], list[float]] = defaultdict(list)
    rates: dict[tuple[str, str], tuple[float, FittedRates]] = {}
    for kn in kernels:
        if kn.isl < LONG_PREFILL_TOKENS:
            continue
        key = (kn.gpu, kn.engine)
        if key not in rates:
            gpu = gpus[kn.gpu]
            peak = hardware_rates(gpu, Precision.BF16, 1).attention_flops_per_s
            rates[key] = peak, FittedRates.of(params, gpu, kn.engine, Precision.BF16)
        peak, fitted = rates[key]
        share[key].append(kn.flops / kn.latency_s / peak)
        ratio[key].append(kn.flops / fitted.attention_flops_per_s / kn.latency_s)
    lines = [
        "| GPU | engine | share of the BF16 peak | fitted ÷ kernel |",
        "| --- | --- | ---: | ---: |",
    ]
    for gpu, engine in sorted(share):
        lines.append(
            f"| {gpu} | {engine} | {_median(share[gpu, engine]):.2f} | "
            f"{_median(ratio[gpu, engine]):.2f} |"
        )
    return lines


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def facts_table(kernels: list[Kernel], gpus: dict[str, GpuSpec]) -> list[str]:
    """Measured GEMM throughput and GEMV bandwidth against the catalogue's peaks."""
    flops: dict[tuple[str, str], list[float]] = defaultdict(list)
    large: dict[tuple[str, str], list[float]] = defaultdict(list)
    stream: dict[str, list[float]] = defaultdict(list)
    for kn in kernels:
        _, weight_bytes = DTYPES[kn.dtype]
        tflops = 2.0 * kn.m * kn.n * kn.k / kn.latency_s / 1e12
        flops[kn.gpu, kn.dtype].append(tflops)
        if min(kn.m, kn.n, kn.k) >= LARGE_DIM:
            large[kn.gpu, kn.dtype].append(tflops)
        weights = kn.n * kn.k * weight_bytes
        if kn.m <= 4 and weights >= STREAMING_WEIGHT_BYTES:
            stream[kn.gpu].append(weights / kn.latency_s / 1e9)
    lines = [
        "| GPU | dtype | catalogue peak TFLOPS | fastest measured | median, large GEMMs | share "
        "of peak |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    violations: list[str] = []
    for (gpu, dtype), values in sorted(flops.items()):
        precision, _ = DTYPES[dtype]
        peak = compute_tflops(gpus[gpu], precision)
        best, typical = max(values), _median(large[gpu, dtype])
        if best > peak:
            violations.append(f"{gpu} {dtype}: measured {best:.0f} TFLOPS > catalogue {peak:.0f}")
        lines.append(
            f"| {gpu} | {dtype} | {peak:,.0f} | {best:,.0f} | {typical:,.0f} | "
            f"{typical / peak:.2f} |"
        )
    lines += [
        "",
        "| GPU | catalogue HBM GB/s | fastest weight-streaming GEMV | median | share |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for gpu, values in sorted(stream.items()):
        hbm = gpus[gpu].memory_bandwidth_gb_s
        best, typical = max(values), _median(values)
        if best > hbm:
            violations.append(f"{gpu}: streamed {best:.0f} GB/s > catalogue {hbm:.0f}")
        lines.append(f"| {gpu} | {hbm:,.0f} | {best:,.0f} | {typical:,.0f} | {typical / hbm:.2f} |")
    lines += ["", "Facts the kernels contradict: " + ("; ".join(violations) or "none")]
    return lines


def step_model_table(
    kernels: list[Kernel], gpus: dict[str, GpuSpec], params: ParameterSet
) -> list[str]:
    """The fitted linear-layer term ÷ the measured kernel time, median by batch band."""
    ratios: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    rates: dict[tuple[str, str, str], FittedRates] = {}
    for kn in kernels:
        if min(kn.n, kn.k) < 2048:
            continue
        band = next((b for b, (lo, hi) in M_BANDS.items() if lo <= kn.m <= hi), None)
        if band is None:
            continue
        precision, weight_bytes = DTYPES[kn.dtype]
        key = (kn.gpu, kn.engine, kn.dtype)
        if key not in rates:
            rates[key] = FittedRates.of(params, gpus[kn.gpu], kn.engine, precision)
        fitted = rates[key]
        t_memory = kn.n * kn.k * weight_bytes / fitted.weight_bytes_per_s
        t_compute = 2.0 * kn.m * kn.n * kn.k / fitted.gemm_flops_per_s
        predicted = float(smooth_max(t_memory, t_compute, LINEAR_OVERLAP_EXPONENT))
        ratios[kn.gpu, kn.engine, kn.dtype, band].append(predicted / kn.latency_s)
    header = " | ".join(M_BANDS)
    lines = [
        f"| GPU | engine | dtype | {header} |",
        "| --- | --- | --- |" + " ---: |" * len(M_BANDS),
    ]
    groups = sorted({key[:3] for key in ratios})
    for gpu, engine, dtype in groups:
        cells = " | ".join(
            f"{_median(ratios[gpu, engine, dtype, band]):.2f}" for band in M_BANDS
        )
        lines.append(f"| {gpu} | {engine} | {dtype} | {cells} |")
    return lines


#: Corner sharpnesses compared, and the grids of the per-group fit's other unknowns: the
#: shares of the HBM and tensor peaks, and a fixed time per kernel (launch and tail).
CORNER_EXPONENTS = (1.0, 1.24, 1.5, 2.0, 3.0, 5.0)
_BANDWIDTH_SHARES = np.linspace(0.5, 1.0, 11)
_COMPUTE_SHARES = np.linspace(0.3, 1.0, 15)
_FIXED_S = (0.0, 4e-6, 8e-6, 15e-6, 25e-6)
#: The GEMMs the corner is fitted on: weights that stream from HBM (over every L2 cache of
#: the Hopper and Ada parts) and batches around the ridge.
CORNER_MIN_WEIGHT_BYTES = 32e6
CORNER_M = (8, 4096)


def corner_rms(
    memory_s: np.ndarray, compute_s: np.ndarray, measured_s: np.ndarray, exponent: float
) -> float:
    """The smallest log-RMS of ``c + softmax_n(memory/η_b, compute/η_c)`` against the
    measured kernel times over the grids of ``η_b``, ``η_c`` and ``c``."""
    best = math.inf
    log_measured = np.log(measured_s)
    for eta_b in _BANDWIDTH_SHARES:
        for eta_c in _COMPUTE_SHARES:
            soft = smooth_max(memory_s / eta_b, compute_s / eta_c, exponent)
            for fixed in _FIXED_S:
                residual = np.log(fixed + soft) - log_measured
                best = min(best, float(np.mean(residual * residual)))
    return math.sqrt(best)


def corner_table(kernels: list[Kernel], gpus: dict[str, GpuSpec]) -> list[str]:
    """Which roofline corner sharpness ``n`` fits the measured GEMMs best, log-RMS by ``n``:
    TensorRT-LLM's kernels on the Ampere, Hopper and Ada parts (Blackwell's are left out: its
    NVFP4 GEMMs fit every ``n`` from 1 to 10 within 0.01, at 0.41)."""
    groups: dict[tuple[str, str], list[Kernel]] = defaultdict(list)
    for kn in kernels:
        weight_bytes = kn.n * kn.k * DTYPES[kn.dtype][1]
        if (
            kn.engine == "trtllm"
            and kn.gpu in ("H100-SXM", "H200", "L40S", "A100-80GB")
            and weight_bytes >= CORNER_MIN_WEIGHT_BYTES
            and CORNER_M[0] <= kn.m <= CORNER_M[1]
        ):
            groups[kn.gpu, kn.dtype].append(kn)
    header = " | ".join(f"n = {n:g}" for n in CORNER_EXPONENTS)
    lines = [
        f"| GPU | dtype | kernels | {header} | best |",
        "| --- | --- | ---: |" + " ---: |" * (len(CORNER_EXPONENTS) + 1),
    ]
    for (gpu, dtype), items in sorted(groups.items()):
        precision, bytes_per_weight = DTYPES[dtype]
        hw = hardware_rates(gpus[gpu], precision, 1)
        m, n, k = (np.array([getattr(kn, a) for kn in items], dtype=float) for a in "mnk")
        measured = np.array([kn.latency_s for kn in items])
        # Weights, activations in and out (16-bit outputs) over HBM; the GEMM's FLOPs.
        memory = n * k * bytes_per_weight + m * k * bytes_per_weight + 2.0 * m * n
        memory_s = memory / hw.hbm_bytes_per_s
        compute_s = 2.0 * m * n * k / hw.gemm_flops_per_s
        rms = [corner_rms(memory_s, compute_s, measured, e) for e in CORNER_EXPONENTS]
        best = CORNER_EXPONENTS[int(np.argmin(rms))]
        cells = " | ".join(f"{r:.3f}" for r in rms)
        lines.append(f"| {gpu} | {dtype} | {len(items):,} | {cells} | {best:g} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--wheel", type=Path, help=f"aiconfigurator-core wheel (default: {DEFAULT_WHEELS}/...)"
    )
    args = parser.parse_args()
    wheel = args.wheel or next(iter(sorted(DEFAULT_WHEELS.glob(WHEEL_GLOB))), None)
    if wheel is None or not wheel.is_file():
        # Not an error under `make bench`: the wheel is an optional download.
        print(f"skipped: no aiconfigurator-core 0.12.0 wheel ({wheel or DEFAULT_WHEELS}); "
              "`make kernel-check` downloads it")
        return
    if importlib.util.find_spec("pyarrow") is None:
        print("skipped: pyarrow is not installed; `make kernel-check` installs it")
        return
    catalog = default_catalog()
    gpus = {name: catalog.gpu(name) for name in AIC_GPUS.values()}
    kernels = list(read_kernels(wheel))
    versions = sorted({f"{k.gpu} {k.engine} {k.version}" for k in kernels})
    print(f"{len(kernels):,} GEMM measurements from {wheel.name}: {', '.join(versions)}\n")
    print("\n".join(facts_table(kernels, gpus)))
    print("\nFitted linear-layer term ÷ measured GEMM time (median; N, K ≥ 2048):\n")
    params = load_parameters()
    print("\n".join(step_model_table(kernels, gpus, params)))
    print(
        "\nRoofline corner: log-RMS of c + softmax_n(bytes/(HBM·η_b), FLOPs/(peak·η_c)) "
        f"against TensorRT-LLM's GEMMs (weights ≥ {CORNER_MIN_WEIGHT_BYTES / 1e6:.0f} MB, "
        f"M {CORNER_M[0]}-{CORNER_M[1]:,}); the linear layers use n = "
        f"{LINEAR_OVERLAP_EXPONENT:g}:\n"
    )
    print("\n".join(corner_table(kernels, gpus)))
    attention = list(read_attention(wheel))
    print(
        f"\nPrefill attention ({len(attention):,} kernels; medians over prompts of "
        f"≥ {LONG_PREFILL_TOKENS:,} tokens):\n"
    )
    print("\n".join(attention_table(attention, gpus, params)))
    moe = list(read_moe(wheel))
    lines, exponent = moe_table(moe, gpus, params)
    print(
        f"\nRouted-expert matmuls ({len(moe):,} balanced MoE layers without expert "
        f"parallelism; medians over the compute-bound ones, FLOPs at the peak ≥ "
        f"{MOE_COMPUTE_BOUND_RATIO:g}× the weights at the HBM peak; w: one expert's columns on "
        "one GPU):\n"
    )
    print("\n".join(lines))
    print(
        f"\nShare of peak ∝ w^{exponent:.2f} within each GPU, engine and dtype "
        f"(the step model: w^{EXPERT_WIDTH_EXPONENT:g}, latency.EXPERT_WIDTH_EXPONENT)"
    )
    lines, shares = moe_precision_table(moe, gpus)
    print(
        f"\nLow-precision MoE layers against the same layer in BF16 (≥ {MOE_PREFILL_TOKENS:,} "
        "tokens; share = speed-up ÷ the tensor peaks' ratio):\n"
    )
    print("\n".join(lines))
    print(
        "\nMedian share over the GPU × engine groups: "
        + ", ".join(f"{name} {share:.2f}" for name, share in shares.items())
    )


if __name__ == "__main__":
    main()
