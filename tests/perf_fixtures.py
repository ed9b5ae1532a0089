"""Hand-written model and GPU facts for performance-engine tests (from config.json / datasheets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from predeploy.core.efficiency import ParameterSet
from predeploy.core.latency import RooflineStepCost
from predeploy.core.perf import _efficiency, predict, scheduler_config
from predeploy.core.simulation_trace import SimulationTrace
from predeploy.core.simulator import run_simulation
from predeploy.core.types import (
    EngineSettings,
    FactKind,
    GpuSpec,
    LoadSpec,
    ModelArchitecture,
    PerfPrediction,
    Precision,
    Provenance,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.workload import prepare


def simulated_run(
    scenario: ServingScenario, params: ParameterSet, num_requests: int = 1000, seed: int = 0
) -> SimulationTrace:
    """The discrete-event simulation's trace of ``scenario``'s load as stated (one replica,
    no warm-up), for tests that read its steps."""
    eff, _ = _efficiency(params, scenario)
    prepared = prepare(scenario)
    step = RooflineStepCost.of(prepared.shape, prepared.hw, eff, prepared.graph_max_batch)
    return run_simulation(
        step,
        scheduler_config(prepared),
        scenario.load,
        scenario.prompt_tokens,
        scenario.output_tokens,
        num_requests,
        seed,
    )


_SPEC = Provenance(source="test fixture (datasheet figures)", kind=FactKind.PUBLISHED_SPEC)


def llama_8b() -> ModelArchitecture:
    """Llama-3.1-8B (config.json): 32 layers, 4096 hidden, 32 heads, 8 KV heads of 128."""
    return ModelArchitecture(
        num_layers=32,
        hidden_size=4096,
        num_attention_heads=32,
        num_kv_heads=8,
        head_dim=128,
        intermediate_size=14336,
        vocab_size=128256,
        total_params_b=8.03,
        active_params_b=8.03,
        max_context_tokens=131072,
    )


def llama_70b() -> ModelArchitecture:
    return ModelArchitecture(
        num_layers=80,
        hidden_size=8192,
        num_attention_heads=64,
        num_kv_heads=8,
        head_dim=128,
        intermediate_size=28672,
        vocab_size=128256,
        total_params_b=70.55,
        active_params_b=70.55,
        max_context_tokens=131072,
    )


def mixtral() -> ModelArchitecture:
    return ModelArchitecture(
        num_layers=32,
        hidden_size=4096,
        num_attention_heads=32,
        num_kv_heads=8,
        head_dim=128,
        intermediate_size=14336,
        vocab_size=32000,
        total_params_b=46.7,
        active_params_b=12.88,
        max_context_tokens=32768,
        num_experts=8,
        experts_per_token=2,
    )


def deepseek_v3() -> ModelArchitecture:
    return ModelArchitecture(
        num_layers=61,
        hidden_size=7168,
        num_attention_heads=128,
        num_kv_heads=128,
        head_dim=128,
        intermediate_size=18432,
        vocab_size=129280,
        total_params_b=671.03,
        active_params_b=37.55,
        max_context_tokens=163840,
        attention_type="mla",
        num_experts=256,
        experts_per_token=8,
        n_shared_experts=1,
        moe_intermediate_size=2048,
        num_dense_layers=3,
        mla_kv_lora_rank=512,
        mla_qk_rope_head_dim=64,
        native_precision=Precision.FP8,
    )


def deepseek_v32() -> ModelArchitecture:
    """DeepSeek V3.2: V3's layout with DeepSeek Sparse Attention (config.json: index_topk 2048,
    index_n_heads 64, index_head_dim 128)."""
    return deepseek_v3().model_copy(
        update={"sparse_attention_topk": 2048, "indexer_heads": 64, "indexer_head_dim": 128}
    )


def gpt_oss_120b() -> ModelArchitecture:
    return ModelArchitecture(
        num_layers=36,
        hidden_size=2880,
        num_attention_heads=64,
        num_kv_heads=8,
        head_dim=64,
        intermediate_size=2880,
        vocab_size=201088,
        total_params_b=116.83,
        active_params_b=5.71,
        max_context_tokens=131072,
        num_experts=128,
        experts_per_token=4,
        moe_intermediate_size=2880,
        sliding_window=128,
        sliding_window_layers=18,
        native_precision=Precision.FP4,
    )


def qwen35_9b() -> ModelArchitecture:
    """Qwen3.5-9B: 24 Gated DeltaNet layers, each holding 32 value heads' 128 × 128 FP32 state
    and a 3-input window of 8,192 BF16 convolution channels per sequence, and 8 gated
    full-attention layers (4 KV heads of 256)."""
    return ModelArchitecture(
        num_layers=32,
        hidden_size=4096,
        num_attention_heads=16,
        num_kv_heads=4,
        head_dim=256,
        intermediate_size=12288,
        vocab_size=248320,
        total_params_b=8.95,
        active_params_b=8.95,
        max_context_tokens=262144,
        attention_type="hybrid",
        linear_attention_layers=24,
        linear_state_bytes=32 * 128 * 128 * 4 + 8192 * 3 * 2,
    )


def h100(bandwidth_gb_s: float = 3350.0) -> GpuSpec:
    return GpuSpec(
        name="H100-SXM",
        label="H100 SXM",
        vendor="nvidia",
        memory_gb=80,
        memory_bandwidth_gb_s=bandwidth_gb_s,
        bf16_tflops=989,
        fp16_tflops=989,
        fp8_tflops=1979,
        int8_tops=1979,
        interconnect="nvlink",
        interconnect_gb_s=450,
        gpus_per_node=8,
        supported_precisions=(Precision.BF16, Precision.FP16, Precision.FP8, Precision.INT8),
        architecture="hopper",
        provenance=_SPEC,
    )


def l4() -> GpuSpec:
    return GpuSpec(
        name="L4",
        label="NVIDIA L4",
        vendor="nvidia",
        memory_gb=24,
        memory_bandwidth_gb_s=300,
        bf16_tflops=121,
        fp16_tflops=121,
        fp8_tflops=242.5,
        interconnect="pcie",
        interconnect_gb_s=32,
        gpus_per_node=8,
        supported_precisions=(Precision.BF16, Precision.FP16, Precision.FP8),
        architecture="ada",
        provenance=_SPEC,
    )


def llama_31_8b_config() -> dict[str, Any]:
    """Llama 3.1 8B's Hugging Face config.json (the keys predeploy reads)."""
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
        "intermediate_size": 14336, "num_attention_heads": 32, "num_hidden_layers": 32,
        "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072,
        "rope_theta": 500000.0, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    }


def support_13b_config(**changes: Any) -> dict[str, Any]:
    """A private 13B model's config.json (Llama layout with GQA, 16-bit weights), changed by
    ``changes``: a model outside the catalog."""
    return {
        "_name_or_path": "acme/support-13b", "architectures": ["LlamaForCausalLM"],
        "model_type": "llama", "hidden_size": 5120, "intermediate_size": 13824,
        "num_attention_heads": 40, "num_hidden_layers": 40, "num_key_value_heads": 8,
        "vocab_size": 32000, "max_position_embeddings": 16384, "torch_dtype": "bfloat16",
        **changes,
    }


def llama_8b_h100_lognormal(
    load: LoadSpec, prompt: float, settings: EngineSettings | None = None
) -> ServingScenario:
    """Llama-3.1-8B in BF16 on one H100, lognormal lengths: ``prompt`` ± half of it prompt
    tokens, 300 ± 150 output tokens."""
    return ServingScenario(
        model_id="test/model",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        prompt_tokens=TokenDistribution(kind="lognormal", mean=prompt, stdev=prompt / 2),
        output_tokens=TokenDistribution(kind="lognormal", mean=300, stdev=150),
        load=load,
        engine_settings=settings,
    )



def chat_burst(
    engine: str = "vllm",
    output: TokenDistribution | None = None,
    settings: EngineSettings | None = None,
) -> ServingScenario:
    """Llama-3.1-8B in BF16 on one H100: a burst of 1,000 chat-length requests (220 ± 260
    prompt tokens, lognormal; ``output`` by default 200 ± 300 tokens, lognormal)."""
    return ServingScenario(
        model_id="meta-llama/Llama-3.1-8B-Instruct",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        engine=engine,  # type: ignore[arg-type]
        prompt_tokens=TokenDistribution(kind="lognormal", mean=220, stdev=260, max=1024),
        output_tokens=output or TokenDistribution(kind="lognormal", mean=200, stdev=300, max=2000),
        load=LoadSpec(kind="burst", num_prompts=1000),
        engine_settings=settings,
    )


def slot_bound_burst(engine: str = "vllm") -> ServingScenario:
    """:func:`chat_burst` through 256 slots, so it runs in waves."""
    return chat_burst(engine, settings=EngineSettings(max_num_seqs=256))


def llama_8b_h100_case(
    case_id: str,
    load: dict[str, object],
    expected: dict[str, float],
    *,
    input_tokens: int = 1000,
    output_tokens: int = 100,
) -> dict[str, object]:
    """A calibration case (the JSON-lines contract) of catalogued Llama 3.1 8B in BF16 on one
    H100 with vLLM, from the ``synthetic`` source."""
    return {
        "id": case_id,
        "source_key": "synthetic",
        "scenario": {
            "model": "meta-llama/Llama-3.1-8B-Instruct",
            "gpu": "H100-SXM",
            "gpu_count": 1,
            "precision": "bf16",
            "tp": 1,
            "engine": "vllm",
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "load": load,
        },
        "expected": expected,
    }


def at_capacity_shares(
    scenario: ServingScenario, shares: Sequence[float], params: ParameterSet, cv: float = 1.0
) -> list[ServingScenario]:
    """``scenario`` under open-loop arrivals — Poisson, or gamma of CV ``cv`` — at ``shares``
    of its analytic saturation rate."""
    saturation = predict(scenario, params).saturation_rps
    assert saturation is not None
    kind = "poisson" if cv == 1.0 else "gamma"
    loads = [LoadSpec(kind=kind, rate_rps=s * saturation, cv=cv) for s in shares]
    return [scenario.model_copy(update={"load": load}) for load in loads]


def assert_never_falls(
    predictions: Sequence[PerfPrediction], metric: str, stats: Sequence[str]
) -> None:
    """``metric``'s ``stats`` never fall from one prediction to the next (float noise aside)."""
    for stat in stats:
        values = np.array([getattr(getattr(p.metrics, metric), stat) for p in predictions])
        assert np.all(values[1:] >= values[:-1] * (1 - 1e-6)), (metric, stat, values)
