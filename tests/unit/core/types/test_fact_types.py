"""Extensions of the fact types: linear-attention layers and weight-only GPU precisions."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from predeploy.core.types import GpuSpec, ModelArchitecture, Precision

BASE_ARCH: dict[str, Any] = {
    "num_layers": 60, "hidden_size": 4096, "num_attention_heads": 32, "num_kv_heads": 2,
    "head_dim": 256, "intermediate_size": 1024, "vocab_size": 248320, "total_params_b": 397,
    "active_params_b": 17, "max_context_tokens": 262144,
}


def test_linear_attention_layers_default_zero_and_validated() -> None:
    assert ModelArchitecture.model_validate(BASE_ARCH).linear_attention_layers == 0
    hybrid = ModelArchitecture.model_validate(
        {**BASE_ARCH, "attention_type": "hybrid", "linear_attention_layers": 45}
    )
    assert hybrid.linear_attention_layers == 45
    with pytest.raises(ValidationError, match="exceeds num_layers"):
        ModelArchitecture.model_validate(
            {**BASE_ARCH, "linear_attention_layers": 45, "sliding_window": 128,
             "sliding_window_layers": 20}
        )


def test_dense_layers_cannot_exceed_layers() -> None:
    with pytest.raises(ValidationError, match="num_dense_layers"):
        ModelArchitecture.model_validate({**BASE_ARCH, "num_dense_layers": 61})


def _gpu(**extra: Any) -> GpuSpec:
    return GpuSpec.model_validate({
        "name": "A100-80GB", "label": "A100-80GB", "vendor": "nvidia", "memory_gb": 80,
        "memory_bandwidth_gb_s": 2039, "bf16_tflops": 312, "fp16_tflops": 312,
        "interconnect": "nvlink", "interconnect_gb_s": 300, "gpus_per_node": 8,
        "supported_precisions": ["bf16", "fp16", "int8"], "architecture": "ampere",
        "provenance": {"source": "test", "kind": "published-spec"}, **extra,
    })


def test_weight_only_precisions_are_served_but_not_native() -> None:
    old_style = _gpu()
    assert old_style.weight_only_precisions == ()
    assert not old_style.serves(Precision.FP8)
    gpu = _gpu(weight_only_precisions=["fp8"])
    assert gpu.serves(Precision.FP8) and gpu.serves(Precision.BF16)
    assert Precision.FP8 not in gpu.supported_precisions


def _fp16_only_gpu(**extra: Any) -> GpuSpec:
    """A Volta-like part: FP16 tensor cores, no BF16 (V100 SXM2 figures)."""
    fields: dict[str, Any] = {
        "name": "V100", "bf16_tflops": 125, "fp16_tflops": 125, "architecture": "volta",
        "supported_precisions": ["fp16"], **extra,
    }
    return _gpu(**fields)


def test_half_precision_is_bf16_where_served_else_fp16() -> None:
    assert _gpu().half_precision is Precision.BF16
    volta = _fp16_only_gpu()
    assert volta.half_precision is Precision.FP16
    assert not volta.serves(Precision.BF16) and volta.serves(Precision.FP16)


def test_gpu_without_bf16_states_the_fp16_rate_for_bf16() -> None:
    with pytest.raises(ValidationError, match="must equal fp16_tflops"):
        _fp16_only_gpu(bf16_tflops=62.5)
    with pytest.raises(ValidationError, match="needs fp16"):
        _fp16_only_gpu(supported_precisions=["int8"])
