"""A small in-memory catalog for intent tests (independent of the shipped data files).

Model architectures are rough shapes only (the intent engine reads names, never sizes); the
SLO templates are test values, not the shipped templates. Everything here is labelled as an
estimate for tests.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.types import (
    FactKind,
    GpuSpec,
    ModelArchitecture,
    ModelCard,
    Precision,
    Priority,
    Provenance,
    SloTemplate,
    UseCase,
)

FIXTURE = Provenance(source="intent test fixture", kind=FactKind.ESTIMATED)

#: (id, display name, family, total params in billions)
MODELS: tuple[tuple[str, str, str, float], ...] = (
    ("meta-llama/Llama-3.1-8B-Instruct", "Llama 3.1 8B Instruct", "llama", 8.0),
    ("meta-llama/Llama-3.1-70B-Instruct", "Llama 3.1 70B Instruct", "llama", 70.6),
    ("meta-llama/Llama-3.1-405B-Instruct", "Llama 3.1 405B Instruct", "llama", 405.9),
    ("meta-llama/Llama-3.2-3B-Instruct", "Llama 3.2 3B Instruct", "llama", 3.2),
    ("meta-llama/Llama-3.3-70B-Instruct", "Llama 3.3 70B Instruct", "llama", 70.6),
    ("mistralai/Mistral-7B-Instruct-v0.3", "Mistral 7B Instruct v0.3", "mistral", 7.2),
    ("mistralai/Mixtral-8x7B-Instruct-v0.1", "Mixtral 8x7B Instruct", "mixtral", 46.7),
    ("Qwen/Qwen2.5-7B-Instruct", "Qwen2.5 7B Instruct", "qwen2.5", 7.6),
    ("Qwen/Qwen2.5-14B-Instruct", "Qwen2.5 14B Instruct", "qwen2.5", 14.7),
    ("Qwen/Qwen2.5-32B-Instruct", "Qwen2.5 32B Instruct", "qwen2.5", 32.8),
    ("Qwen/Qwen2.5-72B-Instruct", "Qwen2.5 72B Instruct", "qwen2.5", 72.7),
    ("Qwen/Qwen3-8B", "Qwen3 8B", "qwen3", 8.2),
    ("Qwen/Qwen3-32B", "Qwen3 32B", "qwen3", 32.8),
    ("google/gemma-2-9b-it", "Gemma 2 9B", "gemma2", 9.2),
    ("microsoft/Phi-3-mini-4k-instruct", "Phi-3 mini", "phi3", 3.8),
    ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "DeepSeek R1 Distill Llama 8B", "llama", 8.0),
    ("openai/gpt-oss-20b", "gpt-oss-20b", "gpt-oss", 20.9),
    ("openai/gpt-oss-120b", "gpt-oss-120b", "gpt-oss", 116.8),
)
#: (name, label, vendor, memory GB)
GPUS: tuple[tuple[str, str, str, float], ...] = (
    ("A10G", "A10G", "nvidia", 24),
    ("L4", "L4", "nvidia", 24),
    ("L40S", "L40S", "nvidia", 48),
    ("A100-40GB", "A100-40GB (SXM4)", "nvidia", 40),
    ("A100-80GB", "A100-80GB (SXM4)", "nvidia", 80),
    ("H100-SXM", "H100 SXM", "nvidia", 80),
    ("H100-PCIe", "H100 PCIe", "nvidia", 80),
    ("H100-NVL", "H100 NVL", "nvidia", 94),
    ("H200", "H200 SXM", "nvidia", 141),
    ("H200-NVL", "H200 NVL", "nvidia", 141),
    ("B200", "B200", "nvidia", 180),
    ("MI300X", "MI300X", "amd", 192),
)


def _model(model_id: str, name: str, family: str, params_b: float) -> ModelCard:
    layers = 32 if params_b < 20 else 80
    arch = ModelArchitecture(
        num_layers=layers,
        hidden_size=4096,
        num_attention_heads=32,
        num_kv_heads=8,
        head_dim=128,
        intermediate_size=14336,
        vocab_size=128256,
        total_params_b=params_b,
        active_params_b=params_b,
        max_context_tokens=131072,
    )
    return ModelCard(
        id=model_id,
        name=name,
        family=family,
        license="test",
        tasks=tuple(UseCase),
        architecture=arch,
        provenance=FIXTURE,
    )


def _gpu(name: str, label: str, vendor: str, memory_gb: float) -> GpuSpec:
    return GpuSpec(
        name=name,
        label=label,
        vendor=vendor,
        memory_gb=memory_gb,  # type: ignore[arg-type]
        memory_bandwidth_gb_s=1000,
        bf16_tflops=100,
        fp16_tflops=100,
        interconnect="pcie",
        interconnect_gb_s=32,
        gpus_per_node=8,
        supported_precisions=(Precision.BF16,),
        architecture="test",
        provenance=FIXTURE,
    )


#: use case → (prompt, output, ttft p50/p90/p99, itl p50/p90/p99, e2e p50/p95/p99, priority,
#: streaming)
TEMPLATES: dict[UseCase, tuple[Any, ...]] = {
    UseCase.CHATBOT: (
        800,
        250,
        (300, 600, 1000),
        (30, 50, 80),
        (8000, 15000, 20000),
        Priority.BALANCED,
        True,
    ),
    UseCase.CUSTOMER_SERVICE: (
        1000,
        200,
        (250, 500, 800),
        (30, 50, 75),
        (6000, 10000, 15000),
        Priority.LATENCY,
        True,
    ),
    UseCase.CODE_COMPLETION: (
        1500,
        40,
        (100, 150, 250),
        (15, 25, 40),
        (500, 800, 1200),
        Priority.LATENCY,
        False,
    ),
    UseCase.CODE_GENERATION: (
        2000,
        600,
        (500, 1000, 2000),
        (30, 50, 80),
        (20000, 40000, 60000),
        Priority.QUALITY,
        True,
    ),
    UseCase.RAG_QA: (
        3000,
        300,
        (500, 1000, 1500),
        (30, 50, 80),
        (8000, 12000, 20000),
        Priority.BALANCED,
        True,
    ),
    UseCase.SUMMARIZATION: (
        2000,
        200,
        (1000, 2000, 3000),
        (40, 60, 100),
        (10000, 15000, 25000),
        Priority.COST,
        True,
    ),
    UseCase.LONG_DOCUMENT_SUMMARIZATION: (
        16000,
        800,
        (4000, 8000, 15000),
        (50, 80, 120),
        (60000, 90000, 120000),
        Priority.COST,
        True,
    ),
    UseCase.CONTENT_GENERATION: (
        300,
        800,
        (1000, 2000, 3000),
        (40, 60, 100),
        (40000, 60000, 90000),
        Priority.QUALITY,
        True,
    ),
    UseCase.TRANSLATION: (
        400,
        400,
        (500, 1000, 1500),
        (30, 50, 80),
        (15000, 25000, 35000),
        Priority.BALANCED,
        True,
    ),
    UseCase.BATCH_PROCESSING: (
        1000,
        200,
        None,
        None,
        (60000, 300000, 600000),
        Priority.THROUGHPUT,
        False,
    ),
}


def _template(use_case: UseCase, spec: tuple[Any, ...]) -> SloTemplate:
    prompt, output, ttft, itl, e2e, priority, streaming = spec
    slo: dict[str, Any] = {"e2e_ms": dict(zip(("p50", "p95", "p99"), e2e, strict=True))}
    if ttft:
        slo["ttft_ms"] = dict(zip(("p50", "p90", "p99"), ttft, strict=True))
    if itl:
        slo["itl_ms"] = dict(zip(("p50", "p90", "p99"), itl, strict=True))
    return SloTemplate.model_validate(
        {
            "id": use_case.value,
            "name": use_case.value.replace("_", " "),
            "description": "test template",
            "traffic": {
                "prompt_tokens": {"mean": prompt, "stdev": prompt / 2},
                "output_tokens": {"mean": output, "stdev": output / 2},
                "requests_per_active_user_per_min": 1.0,
                "active_user_ratio": 0.1,
                "requests_per_user_per_day": 20,
            },
            "slo": slo,
            "rationale": {},
            "model": {"min_context_tokens": 8192, "preferred_params_b": [7, 70]},
            "default_priority": priority.value,
            "streaming": streaming,
            "provenance": FIXTURE.model_dump(),
        }
    )


@lru_cache(maxsize=1)
def intent_catalog() -> InMemoryCatalog:
    """The fixture catalog (cached: it is immutable)."""
    return InMemoryCatalog(
        models=[_model(*m) for m in MODELS],
        gpus=[_gpu(*g) for g in GPUS],
        slo_templates=[_template(u, s) for u, s in TEMPLATES.items()],
    )


OWN_CASES = Path(__file__).parent / "unit" / "intent" / "data" / "own_cases.jsonl"


def read_cases(path: Path) -> list[dict[str, Any]]:
    """Labelled requests, one JSON object per line."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
