"""Which weight precisions a GPU serves a model card in, and the vLLM arguments that follow."""

from __future__ import annotations

from tests.perf_fixtures import llama_8b

from predeploy.core.configurations import precisions_for
from predeploy.core.memory import fit_memory
from predeploy.core.types import Precision
from predeploy.core.types.vllm import quantization_method
from predeploy.core.workload import default_vllm_settings
from predeploy.kb.seed_files import seed_catalog

CARD = [Precision.BF16, Precision.FP8, Precision.INT4]


def test_a_bf16_checkpoint_is_served_as_fp16_where_the_gpu_has_no_bf16() -> None:
    catalog = seed_catalog()
    assert precisions_for(CARD, catalog.gpu("H100-SXM"), []) == CARD
    # Volta: FP16 and GPTQ INT4 only; Turing: FP16, FP8 weight-only and INT4.
    assert precisions_for(CARD, catalog.gpu("V100-32GB"), []) == [Precision.FP16, Precision.INT4]
    assert precisions_for(CARD, catalog.gpu("T4"), []) == [
        Precision.FP16,
        Precision.FP8,
        Precision.INT4,
    ]
    assert precisions_for(CARD, catalog.gpu("V100-32GB"), [Precision.INT4]) == [Precision.INT4]


def test_int4_runs_the_kernels_the_architecture_has() -> None:
    assert quantization_method(Precision.INT4, "volta") == "gptq"
    assert quantization_method(Precision.INT4, "Turing") == "awq"
    assert quantization_method(Precision.INT4, "ampere") == "awq_marlin"
    assert quantization_method(Precision.FP8, "hopper") == "fp8"
    assert quantization_method(Precision.BF16, "volta") is None


def test_vllm_is_told_fp16_where_the_gpu_has_no_bf16() -> None:
    catalog = seed_catalog()
    for name, dtype, method in (
        ("V100-32GB", "float16", "gptq"),
        ("H100-SXM", "auto", "awq_marlin"),
    ):
        gpu = catalog.gpu(name)
        precision = Precision.FP16 if dtype == "float16" else Precision.BF16
        memory = fit_memory(llama_8b(), gpu, precision, 1, context_tokens=4096)
        s = default_vllm_settings(llama_8b(), gpu, precision, 1, memory, 4096)
        assert s.dtype == dtype
        assert s.to_args().get("--dtype") == (None if dtype == "auto" else dtype)
        int4 = default_vllm_settings(llama_8b(), gpu, Precision.INT4, 1, memory, 4096)
        assert int4.quantization == method
