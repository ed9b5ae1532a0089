"""bench/kernel_check.py: the newest kernel collection per GPU and engine, fact violations
named, the step-model ratio by batch band (synthetic kernels; the real tables need the
aiconfigurator-core wheel, which tests never download)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from tests.script_loading import load_script

from predeploy.services.perf import default_catalog

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "kernel_check.py"


@pytest.fixture(scope="module")
def kc() -> ModuleType:
    return load_script("kernel_check", SCRIPT)


def _gpus(kc: ModuleType) -> dict[str, object]:
    catalog = default_catalog()
    return {name: catalog.gpu(name) for name in kc.AIC_GPUS.values()}


def test_the_newest_collection_per_gpu_and_engine_is_read(kc: ModuleType) -> None:
    root = "aiconfigurator_core/systems/data"
    names = [
        f"{root}/h100_sxm/gemm/trtllm/1.3.0rc23/gemm_perf.parquet",
        f"{root}/h100_sxm/gemm/trtllm/1.3.0rc20/gemm_perf.parquet",
        f"{root}/h100_sxm/gemm/trtllm/1.0.0/gemm_perf.parquet",
        f"{root}/h100_sxm/gemm/sglang/0.5.6.post2/gemm_perf.parquet",
        f"{root}/h100_sxm/gemm/sglang/0.5.14/gemm_perf.parquet",
        f"{root}/h100_sxm/attention/sglang/0.5.14/context_attention_perf.parquet",
        f"{root}/b60/gemm/vllm/0.26.0/gemm_perf.parquet",  # not in the catalogue
        f"{root}/h100_sxm/gemm/other_engine/1.0/gemm_perf.parquet",  # not a modelled engine
    ]
    assert kc.newest_collections(names) == [
        ("H100-SXM", "sglang", names[4]),
        ("H100-SXM", "trtllm", names[0]),
    ]


def test_a_kernel_faster_than_the_catalogue_peak_is_named(kc: ModuleType) -> None:
    m = n = k = 8192
    flops = 2.0 * m * n * k
    plausible = kc.Kernel("H100-SXM", "vllm", "0.24.0", "bfloat16", m, n, k, flops / 750e12)
    lines = kc.facts_table([plausible], _gpus(kc))
    assert lines[-1] == "Facts the kernels contradict: none"
    assert any("| H100-SXM | bfloat16 | 989 | 750 | 750 | 0.76 |" in line for line in lines)
    too_fast = kc.Kernel("H100-SXM", "vllm", "0.24.0", "bfloat16", m, n, k, flops / 1200e12)
    assert "H100-SXM bfloat16: measured 1200 TFLOPS > catalogue 989" in kc.facts_table(
        [too_fast], _gpus(kc)
    )[-1]


def test_a_weight_streaming_gemv_faster_than_hbm_is_named(kc: ModuleType) -> None:
    n = k = 16384  # 512 MiB of bf16 weights: more than any L2 cache
    weights = 2.0 * n * k
    too_fast = kc.Kernel("A100-80GB", "vllm", "0.14.0", "bfloat16", 1, n, k, weights / 2500e9)
    assert "A100-80GB: streamed 2500 GB/s > catalogue 2039" in kc.facts_table(
        [too_fast], _gpus(kc)
    )[-1]


def test_the_step_model_ratio_is_reported_by_batch_band(kc: ModuleType) -> None:
    kernels = [
        kc.Kernel("H100-SXM", "trtllm", "1.3.0rc20", "bfloat16", m, 8192, 8192, 2e-3)
        for m in (1, 256, 4096, 20000)  # 20000 is outside every band
    ]
    lines = kc.step_model_table(kernels, _gpus(kc), kc.load_parameters())
    assert lines[0] == "| GPU | engine | dtype | M 1-16 | M 64-512 | M 1024-8192 |"
    [row] = lines[2:]
    cells = [float(c) for c in row.strip("|").split("|")[3:]]
    # Two milliseconds are longer than the fitted time of each GEMM (an 8192 x 8192 x 4096 BF16
    # one at about half the H100's peak takes 1.0-1.1 ms), and a larger M takes longer.
    assert all(0.0 < c < 1.0 for c in cells)
    assert cells == sorted(cells)


def test_prefill_attention_is_reported_against_the_peak_and_the_fitted_term(
    kc: ModuleType,
) -> None:
    # One 8,192-token causal prefill of 64 heads of 128 at 500 TFLOPS on an H100 (989 peak);
    # a short prompt is left out (kernels that small do not run at their sustained rate).
    flops = 4.0 * 64 * 128 * 8192 * 8192 / 2.0
    long = kc.Attention("H100-SXM", "vllm", 1, 8192, 64, 128, flops / 500e12)
    short = kc.Attention("H100-SXM", "vllm", 1, 512, 64, 128, 1.0)
    assert long.flops == pytest.approx(flops)
    [row] = kc.attention_table([long, short], _gpus(kc), kc.load_parameters())[2:]
    cells = row.strip("|").split("|")
    assert cells[0].strip() == "H100-SXM" and float(cells[2]) == pytest.approx(500 / 989, abs=0.01)
    assert float(cells[3]) > 0.0


def test_attention_collections_are_found_by_their_own_pattern(kc: ModuleType) -> None:
    root = "aiconfigurator_core/systems/data/h200_sxm/attention/sglang"
    names = [
        f"{root}/0.5.14/context_attention_perf.parquet",
        f"{root}/0.5.14/generation_attention_perf.parquet",
        f"{root}/0.5.9/context_attention_perf.parquet",
    ]
    assert kc.newest_collections(names, kc.ATTENTION_PATH) == [("H200", "sglang", names[0])]


def test_the_roofline_corner_of_synthetic_gemms_is_recovered(kc: ModuleType) -> None:
    # GEMMs timed exactly as (t_mem³ + t_compute³)^⅓ at 80 % of H100's HBM and 60 % of its
    # BF16 peak, plus 4 µs: the table's best corner is 3; kernels outside its filter (vLLM's,
    # a small weight, an M past the ridge band) are left out.
    hw = kc.hardware_rates(_gpus(kc)["H100-SXM"], kc.Precision.BF16, 1)
    n = k = 8192

    def timed(m: int) -> float:
        memory = (n * k * 2.0 + m * k * 2.0 + 2.0 * m * n) / (hw.hbm_bytes_per_s * 0.8)
        compute = 2.0 * m * n * k / (hw.gemm_flops_per_s * 0.6)
        return 4e-6 + float(kc.smooth_max(memory, compute, 3.0))

    kernels = [
        kc.Kernel("H100-SXM", "trtllm", "1.3.0rc20", "bfloat16", m, n, k, timed(m))
        for m in (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
    ]
    left_out = [
        kc.Kernel("H100-SXM", "vllm", "0.24.0", "bfloat16", 256, n, k, 1.0),
        kc.Kernel("H100-SXM", "trtllm", "1.3.0rc20", "bfloat16", 256, 1024, 1024, 1.0),
        kc.Kernel("H100-SXM", "trtllm", "1.3.0rc20", "bfloat16", 8192, n, k, 1.0),
    ]
    lines = kc.corner_table(kernels + left_out, _gpus(kc))
    [row] = lines[2:]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:3] == ["H100-SXM", "bfloat16", "10"]
    rms = dict(zip(kc.CORNER_EXPONENTS, map(float, cells[3:-1]), strict=True))
    assert cells[-1] == "3" and rms[3.0] == pytest.approx(0.0, abs=1e-9)
    assert rms[1.24] > 0.05


def _moe(kc: ModuleType, dtype: str, tokens: int, inter: int, share: float) -> object:
    """An H100 vLLM MoE layer (4,096 hidden, top 8 of 128 experts, TP1) timed at ``share`` of
    the tensor peak of its dtype."""
    precision = kc.MOE_DTYPES[dtype][0]
    peak = kc.hardware_rates(_gpus(kc)["H100-SXM"], precision, 1).gemm_flops_per_s
    flops = 6.0 * tokens * 8 * 4096 * inter
    latency_s = flops / peak / share
    return kc.MoeKernel("H100-SXM", "vllm", dtype, tokens, 4096, inter, 8, 128, 1, latency_s)


def test_moe_layers_are_reported_by_expert_width_with_the_implied_exponent(
    kc: ModuleType,
) -> None:
    # Shares growing as w^0.5 within the group: the table's exponent recovers 0.5. A layer too
    # small to be compute-bound (its 128 experts' weights outweigh 16 tokens' FLOPs) is left out.
    kernels = [
        _moe(kc, "bfloat16", 65536, w, 0.2 * (w / 256) ** 0.5) for w in (256, 512, 1024, 2048)
    ]
    memory_bound = _moe(kc, "bfloat16", 16, 2048, 0.01)
    lines, exponent = kc.moe_table([*kernels, memory_bound], _gpus(kc), kc.load_parameters())
    assert exponent == pytest.approx(0.5)
    [row] = lines[2:]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:4] == ["H100-SXM", "vllm", "bfloat16", "4"]
    # w ≤ 256: 0.2; 257-1024: the median of 0.28 and 0.4; above 1024: 0.57.
    assert [float(c) for c in cells[4:7]] == pytest.approx([0.2, 0.34, 0.57], abs=0.01)
    assert all(float(c) > 0.0 for c in cells[7:])


def test_low_precision_moe_layers_are_compared_with_the_same_layer_in_bf16(
    kc: ModuleType,
) -> None:
    # The same layer at 50 % of the BF16 peak and at 35 % of the FP8 peak (twice BF16's): 1.4x
    # faster, 0.7 of the peaks' ratio. Decode-sized layers are left out.
    kernels = [
        _moe(kc, "bfloat16", 8192, 1536, 0.5),
        _moe(kc, "fp8_block", 8192, 1536, 0.35),
        _moe(kc, "fp8_block", 64, 1536, 0.01),
    ]
    lines, shares = kc.moe_precision_table(kernels, _gpus(kc))
    [row] = lines[2:]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:4] == ["H100-SXM", "vllm", "fp8_block", "1"]
    assert float(cells[4]) == pytest.approx(1.4, abs=0.01)
    assert shares == {"fp8": pytest.approx(0.7, abs=0.01)}


def test_moe_collections_are_found_by_their_own_pattern(kc: ModuleType) -> None:
    root = "aiconfigurator_core/systems/data/b200_sxm/moe/vllm"
    names = [
        f"{root}/0.24.0/moe_perf.parquet",
        f"{root}/0.22.0/moe_perf.parquet",
        "aiconfigurator_core/systems/data/b200_sxm/moe/sglang/0.5.10/wideep_context_moe_perf.parquet",
    ]
    assert kc.newest_collections(names, kc.MOE_PATH) == [("B200", "vllm", names[0])]
