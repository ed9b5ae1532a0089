"""Small, real-shaped facts for knowledge-base tests (the package seed data is tested elsewhere).

Architecture and datasheet figures are transcribed from the sources named in each provenance;
benchmark values are test fixtures, labelled ``source_key="test-fixture"``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from predeploy.core.types import (
    AutoscalingSettings,
    BenchmarkRecord,
    DeploymentOutcome,
    DeploymentTemplate,
    GpuSpec,
    ModelArchitecture,
    ModelCard,
    ModelCharacteristics,
    PriceQuote,
    Provenance,
    SloTemplate,
    TokenDistribution,
    TrafficDefaults,
)
from predeploy.kb.seed import SeedData

CONFIG_SOURCE = Provenance(
    source="meta-llama/Llama-3.1-8B-Instruct config.json", kind="published-spec",
    date=dt.date(2024, 7, 23), url="https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct",
)
DATASHEET = Provenance(source="NVIDIA datasheet", kind="published-spec", date=dt.date(2024, 1, 1))
TEST_SOURCE = Provenance(source="kb test fixture", kind="measured", date=dt.date(2026, 1, 5))


def llama_8b() -> ModelCard:
    return ModelCard(
        id="meta-llama/Llama-3.1-8B-Instruct",
        name="Llama 3.1 8B Instruct",
        family="llama-3.1",
        aliases=("llama 8b", "llama3.1-8b"),
        license="llama3.1",
        tasks=("chatbot", "customer_service", "rag_qa"),
        architecture=ModelArchitecture(
            num_layers=32, hidden_size=4096, num_attention_heads=32, num_kv_heads=8,
            head_dim=128, intermediate_size=14336, vocab_size=128256, total_params_b=8.03,
            active_params_b=8.03, max_context_tokens=131072,
        ),
        quality=(
            {"task": "general", "scale": "model-card:MMLU", "score": 69.4,
             "provenance": CONFIG_SOURCE},
        ),
        release_date=dt.date(2024, 7, 23),
        provenance=CONFIG_SOURCE,
    )


def qwen_7b() -> ModelCard:
    source = Provenance(source="Qwen/Qwen2.5-7B-Instruct config.json", kind="published-spec")
    return ModelCard(
        id="Qwen/Qwen2.5-7B-Instruct",
        name="Qwen2.5 7B Instruct",
        family="qwen-2.5",
        license="apache-2.0",
        tasks=("chatbot", "code_generation"),
        architecture=ModelArchitecture(
            num_layers=28, hidden_size=3584, num_attention_heads=28, num_kv_heads=4,
            head_dim=128, intermediate_size=18944, vocab_size=152064, total_params_b=7.62,
            active_params_b=7.62, max_context_tokens=32768,
        ),
        provenance=source,
    )


def h100() -> GpuSpec:
    return GpuSpec(
        name="H100-SXM", label="H100 SXM 80GB", vendor="nvidia", memory_gb=80,
        memory_bandwidth_gb_s=3350, bf16_tflops=989, fp16_tflops=989, fp8_tflops=1979,
        interconnect="nvlink", interconnect_gb_s=450, gpus_per_node=8,
        supported_precisions=("bf16", "fp16", "fp8", "int8", "int4"), architecture="hopper",
        tdp_w=700, aliases=("h100", "h100 sxm"), provenance=DATASHEET,
    )


def l4() -> GpuSpec:
    return GpuSpec(
        name="L4", label="NVIDIA L4", vendor="nvidia", memory_gb=24,
        memory_bandwidth_gb_s=300, bf16_tflops=121, fp16_tflops=121, fp8_tflops=242,
        interconnect="pcie", interconnect_gb_s=32, gpus_per_node=8,
        supported_precisions=("bf16", "fp16", "fp8", "int8", "int4"), architecture="ada",
        provenance=DATASHEET,
    )


def price(gpu: str = "H100-SXM", provider: str = "Lambda", usd: float = 2.99) -> PriceQuote:
    return PriceQuote(
        gpu=gpu, provider=provider, instance_type=f"{provider.lower()}-1x-{gpu.lower()}",
        region="us-east-1", region_class="us", gpu_count=1, usd_per_gpu_hour_on_demand=usd,
        provenance=Provenance(source=f"{provider} price page", kind="published-spec",
                              date=dt.date(2026, 1, 1)),
    )


def chatbot_template() -> SloTemplate:
    return SloTemplate.model_validate({
        "id": "chatbot",
        "name": "Chatbot",
        "description": "Interactive chat",
        "traffic": TrafficDefaults(
            prompt_tokens=TokenDistribution(kind="lognormal", mean=600, stdev=300),
            output_tokens=TokenDistribution(kind="lognormal", mean=250, stdev=120),
            requests_per_active_user_per_min=1.0, active_user_ratio=0.1,
            requests_per_user_per_day=20,
        ),
        "slo": {"ttft_ms": {"p50": 300, "p90": 500, "p99": 1000},
                "itl_ms": {"p90": 50}, "e2e_ms": {"p95": 15000}},
        "rationale": {"ttft_ms": "people notice waits above half a second"},
        "model": ModelCharacteristics(min_context_tokens=8192, preferred_params_b=(7, 70)),
        "provenance": {"source": "predeploy use-case defaults", "kind": "estimated"},
    })


def standard_template() -> DeploymentTemplate:
    return DeploymentTemplate(
        id="standard-keda", name="Standard + KEDA", description="Raw deployment, KEDA scaling",
        use_cases=("chatbot",), vllm_args={"--enable-prefix-caching": True},
        autoscaling=AutoscalingSettings(), provenance=Provenance(
            source="KServe docs", kind="published-spec"),
    )


def benchmark(
    record_id: str = "test/llama-8b/h100/c8",
    *,
    model: str = "meta-llama/Llama-3.1-8B-Instruct",
    gpu: str = "H100-SXM",
    metrics: dict[str, float] | None = None,
    source_key: str = "test-fixture",
    **overrides: Any,
) -> BenchmarkRecord:
    values: dict[str, Any] = {
        "id": record_id, "model": model, "gpu": gpu, "gpu_count": 1, "tp": 1,
        "precision": "bf16", "engine": "vllm", "engine_version": "0.10.1",
        "input_tokens": 1000, "output_tokens": 200, "dataset": "fixed",
        "load": {"kind": "concurrency", "value": 8},
        "metrics": metrics or {"ttft_ms_p50": 45.0, "ttft_ms_p99": 120.0,
                               "itl_ms_p50": 7.5, "output_tokens_per_s": 1050.0},
        "source_key": source_key, "provenance": TEST_SOURCE,
    }
    values.update(overrides)
    return BenchmarkRecord.model_validate(values)


def outcome(outcome_id: str = "chat-prod-2026-01") -> DeploymentOutcome:
    pct = {"p50": 90.0, "p90": 200.0, "p99": 400.0}
    plan = {
        "model": "meta-llama/Llama-3.1-8B-Instruct", "precision": "bf16", "gpu": "H100-SXM",
        "tp": 1, "gpus_per_replica": 1, "replicas": 2,
        "vllm": {"max_model_len": 8192, "max_num_seqs": 128, "max_num_batched_tokens": 8192},
        "autoscaling": {"min_replicas": 1, "max_replicas": 2},
        "predicted": {
            "ttft_ms": pct, "itl_ms": {"p50": 8.0}, "tpot_ms": {"p50": 9.0},
            "e2e_ms": {"p50": 2000.0}, "output_tokens_per_s": 2000.0, "requests_per_s": 8.0,
            "max_rps_per_replica": 5.0,
            "provenance": {"method": "simulation", "parameters": "fallback",
                           "parameter_source": "fallback: Hopper defaults"},
        },
        "slo_checks": {},
        "cost": {"hourly_usd": 5.98, "monthly_usd": 4365.4,
                 "per_million_output_tokens_usd": 0.83, "usd_per_gpu_hour": 2.99,
                 "provider": "Lambda", "price_provenance": {"source": "Lambda price page",
                                                            "kind": "published-spec"}},
    }
    return DeploymentOutcome.model_validate({
        "id": outcome_id, "deployment_name": "chat-prod", "plan": plan,
        "observed": {"ttft_ms": pct, "output_tokens_per_s": 1800.0},
        "observed_traffic": {"avg_requests_per_s": 6.5},
        "period_start": "2026-01-01T00:00:00Z", "period_end": "2026-01-08T00:00:00Z",
        "source": "http://prometheus:9090",
    })


def seed_data(**overrides: Any) -> SeedData:
    values: dict[str, Any] = {
        "models": [llama_8b(), qwen_7b()],
        "gpus": [h100(), l4()],
        "prices": [price(), price("L4", "GCP", 0.71), price("H100-SXM", "RunPod", 2.69)],
        "slo_templates": [chatbot_template()],
        "deployment_templates": [standard_template()],
        "benchmarks": [
            benchmark(),
            benchmark("test/llama-8b/l4/c8", gpu="L4",
                      metrics={"ttft_ms_p50": 210.0, "output_tokens_per_s": 180.0}),
            benchmark("test/qwen-7b/h100/rate2", model="Qwen/Qwen2.5-7B-Instruct",
                      load={"kind": "request_rate", "value": 2, "arrival": "poisson"},
                      metrics={"e2e_ms_p90": 2900.0, "requests_per_s": 1.98}),
        ],
    }
    values.update(overrides)
    return SeedData(**values)
