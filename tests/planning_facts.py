"""Test fixtures for the planner: a small catalog of real facts and a transparent test engine.

Facts are transcribed (not copied files) from ../shared/calibration/{models,gpus,prices}.csv and
../shared/quality (compass weighted scores of Artificial Analysis data), each with its source.
The SLO templates are illustrative test values, labelled as such.

:class:`ToyEngine` is a *test double* for the performance engine, for unit tests of the search
logic only (replica bounds, pruning, simulation disagreement): a textbook weight-streaming decode
time and an M/M/1-style queueing delay, nothing calibrated. Plans users see come from
``predeploy.core.perf``; integration tests use that.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.types import (
    FactKind,
    GpuSpec,
    MemoryFit,
    ModelArchitecture,
    ModelCard,
    ModelCharacteristics,
    Percentiles,
    PerfMetrics,
    PerfPrediction,
    Precision,
    PredictionProvenance,
    PriceQuote,
    Provenance,
    QualityScore,
    ServingScenario,
    SLOTargets,
    SloTemplate,
    TokenDistribution,
    TrafficDefaults,
    UseCase,
    VllmSettings,
)

MODELS_CSV = Provenance(source="../shared/calibration/models.csv", kind=FactKind.PUBLISHED_SPEC)
GPUS_CSV = Provenance(source="../shared/calibration/gpus.csv", kind=FactKind.PUBLISHED_SPEC)
COMPASS = Provenance(
    source="compass weighted_scores (Artificial Analysis data), ../shared/quality",
    kind=FactKind.DERIVED, date=dt.date(2025, 12, 18),
)
FIXTURE = Provenance(source="test fixture (illustrative values)", kind=FactKind.ESTIMATED)
SKYPILOT_AWS = "skypilot-catalog catalogs/v7/aws/vms.csv @001367d2"
SKYPILOT_LAMBDA = "skypilot-catalog catalogs/v7/lambda/vms.csv @11580132"
SKYPILOT_RUNPOD = "skypilot-catalog catalogs/v7/runpod/vms.csv @0727c2bd"

CHAT_TASKS = (UseCase.CHATBOT, UseCase.CUSTOMER_SERVICE, UseCase.RAG_QA, UseCase.SUMMARIZATION)


def _llama(params: float, layers: int, hidden: int, heads: int, inter: int) -> ModelArchitecture:
    return ModelArchitecture(
        num_layers=layers, hidden_size=hidden, num_attention_heads=heads, num_kv_heads=8,
        head_dim=128, intermediate_size=inter, vocab_size=128256, total_params_b=params,
        active_params_b=params, max_context_tokens=131072,
    )


def _quality(score: float) -> tuple[QualityScore, ...]:
    return tuple(
        QualityScore(task=task, scale="aa-weighted", score=score, provenance=COMPASS)
        for task in (UseCase.CHATBOT, UseCase.CUSTOMER_SERVICE)
    )


LLAMA_8B = ModelCard(
    id="meta-llama/Llama-3.1-8B-Instruct", name="Llama-3.1-8B-Instruct", family="llama",
    license="llama3.1", tasks=CHAT_TASKS, architecture=_llama(8.03, 32, 4096, 32, 14336),
    quality=_quality(20.99), provenance=MODELS_CSV,
)
LLAMA_70B = ModelCard(
    id="meta-llama/Llama-3.1-70B-Instruct", name="Llama-3.1-70B-Instruct", family="llama",
    license="llama3.1", tasks=CHAT_TASKS, architecture=_llama(70.55, 80, 8192, 64, 28672),
    quality=_quality(26.88), provenance=MODELS_CSV,
)
QWEN_7B = ModelCard(
    id="Qwen/Qwen2.5-7B-Instruct", name="Qwen2.5-7B-Instruct", family="qwen2",
    license="apache-2.0", tasks=CHAT_TASKS,
    architecture=ModelArchitecture(
        num_layers=28, hidden_size=3584, num_attention_heads=28, num_kv_heads=4, head_dim=128,
        intermediate_size=18944, vocab_size=152064, total_params_b=7.62, active_params_b=7.62,
        max_context_tokens=32768,
    ),
    provenance=MODELS_CSV,
)
CODER_ONLY = ModelCard(
    id="test/code-only-model", name="code-only", family="test", license="cc-by-nc-4.0",
    tasks=(UseCase.CODE_COMPLETION,), architecture=_llama(8.03, 32, 4096, 32, 14336),
    provenance=FIXTURE,
)


def _gpu(name: str, label: str, mem: float, bw: float, bf16: float, fp8: float | None,
         link: str, link_gb_s: float, precisions: tuple[Precision, ...]) -> GpuSpec:
    return GpuSpec(
        name=name, label=label, vendor="nvidia", memory_gb=mem, memory_bandwidth_gb_s=bw,
        bf16_tflops=bf16, fp16_tflops=bf16, fp8_tflops=fp8,
        interconnect=link,  # type: ignore[arg-type]
        interconnect_gb_s=link_gb_s, gpus_per_node=8, supported_precisions=precisions,
        architecture="test", provenance=GPUS_CSV,
    )


AMPERE = (Precision.BF16, Precision.FP16, Precision.INT8, Precision.INT4)
ADA_HOPPER = (*AMPERE, Precision.FP8)
L4 = _gpu("L4", "NVIDIA L4", 24, 300, 121, 242.5, "pcie", 64, ADA_HOPPER)
A100_80 = _gpu("A100-80GB", "A100-80GB", 80, 2039, 312, None, "nvlink", 600, AMPERE)
H100 = _gpu("H100-SXM", "H100 SXM", 80, 3350, 989, 1979, "nvlink", 900, ADA_HOPPER)


def _price(gpu: str, provider: str, instance: str, count: int, on_demand: float,
           spot: float | None, source: str) -> PriceQuote:
    return PriceQuote(
        gpu=gpu, provider=provider, instance_type=instance, region="us", region_class="us",
        gpu_count=count, usd_per_gpu_hour_on_demand=on_demand, usd_per_gpu_hour_spot=spot,
        provenance=Provenance(source=source, kind=FactKind.PUBLISHED_SPEC),
    )


PRICES = (
    _price("L4", "AWS", "g6.xlarge", 1, 0.8048, 0.3879, SKYPILOT_AWS),
    _price("L4", "AWS", "g6.12xlarge", 4, 1.1504, 0.4657, SKYPILOT_AWS),
    _price("A100-80GB", "RunPod", "1x_A100-80GB_SECURE", 1, 1.64, 1.19, SKYPILOT_RUNPOD),
    _price("A100-80GB", "RunPod", "8x_A100-80GB_SECURE", 8, 1.62, 1.19, SKYPILOT_RUNPOD),
    _price("H100-SXM", "Lambda", "gpu_1x_h100_sxm5", 1, 3.29, None, SKYPILOT_LAMBDA),
    _price("H100-SXM", "Lambda", "gpu_2x_h100_sxm5", 2, 3.19, None, SKYPILOT_LAMBDA),
    _price("H100-SXM", "Lambda", "gpu_8x_h100_sxm5", 8, 2.99, None, SKYPILOT_LAMBDA),
    _price("H100-SXM", "AWS", "p5.48xlarge", 8, 12.29, 2.6242, SKYPILOT_AWS),
)


def chat_template(use_case: UseCase = UseCase.CHATBOT) -> SloTemplate:
    return SloTemplate(
        id=use_case, name=use_case.value, description="test template",
        traffic=TrafficDefaults(
            prompt_tokens=TokenDistribution(kind="lognormal", mean=512, stdev=256, max=4096),
            output_tokens=TokenDistribution(kind="lognormal", mean=256, stdev=128, max=1024),
            requests_per_active_user_per_min=2.0, active_user_ratio=0.1,
            requests_per_user_per_day=20.0, burstiness_cv=1.0, diurnal_peak_factor=3.0,
        ),
        slo=SLOTargets.model_validate({
            "ttft_ms": {"p90": 1000, "p99": 2000}, "itl_ms": {"p90": 100},
            "e2e_ms": {"p95": 60000},
        }),
        rationale={}, model=ModelCharacteristics(min_context_tokens=4096,
                                                 preferred_params_b=(7, 70)),
        provenance=FIXTURE,
    )


def rag_template() -> SloTemplate:
    base = chat_template(UseCase.RAG_QA)
    traffic = base.traffic.model_copy(update={
        "prompt_tokens": TokenDistribution(kind="lognormal", mean=4000, stdev=1500, max=16000),
    })
    return base.model_copy(update={"traffic": traffic})


def small_catalog(**overrides: object) -> InMemoryCatalog:
    facts: dict[str, object] = {
        "models": (LLAMA_8B, LLAMA_70B, QWEN_7B, CODER_ONLY),
        "gpus": (L4, A100_80, H100),
        "prices": PRICES,
        "slo_templates": (chat_template(), chat_template(UseCase.CUSTOMER_SERVICE),
                          rag_template()),
    }
    facts.update(overrides)
    return InMemoryCatalog(**facts)  # type: ignore[arg-type]


_BYTES = {Precision.BF16: 2.0, Precision.FP16: 2.0, Precision.FP8: 1.0, Precision.INT8: 1.0,
          Precision.INT4: 0.5, Precision.FP4: 0.5}


@dataclass
class ToyEngine:
    """Test double of the performance engine (see the module docstring). ``sim_slowdown``
    makes the "simulation" slower than the "analytic" mode to exercise re-verification."""

    sim_slowdown: float = 1.0
    calls: list[str] = field(default_factory=list)
    #: Milliseconds a simulated decode gap gains per 1,000 tokens of the prefill token budget
    #: (a prefill chunk riding on the step), which the analytic mode here ignores.
    sim_stall_ms_per_1k_budget: float = 0.0
    #: Requests per second the API server hands one replica's engine (``None``: in process).
    api_server_rps: float | None = None

    def fit_memory(self, model: ModelCard, gpu: GpuSpec, precision: Precision, tp: int,
                   context_tokens: int) -> MemoryFit:
        arch = model.architecture
        weights = arch.total_params_b * 1e9 * _BYTES[precision] / tp
        usable = gpu.memory_bytes * 0.9
        kv_token = 2 * arch.num_layers * arch.num_kv_heads * arch.head_dim * 2.0
        kv_bytes = usable - weights
        capacity = int(max(0.0, kv_bytes) / (kv_token / tp))
        fits = capacity >= context_tokens
        return MemoryFit(
            fits=fits,
            reason=f"weights {weights / 1e9:.1f} GB per GPU, usable {usable / 1e9:.1f} GB",
            weight_bytes_per_gpu=weights, kv_bytes_per_token=kv_token,
            kv_cache_bytes_per_gpu=kv_bytes, reserve_bytes_per_gpu=0.0,
            usable_bytes_per_gpu=usable, kv_capacity_tokens=capacity,
            max_model_len=min(capacity, arch.max_context_tokens),
            max_concurrent_seqs=capacity // max(1, context_tokens),
        )

    def vllm_settings(self, model: ModelCard, gpu: GpuSpec, precision: Precision, tp: int,
                      memory: MemoryFit, context_tokens: int) -> VllmSettings:
        return VllmSettings(
            tensor_parallel_size=tp, max_model_len=context_tokens,
            max_num_seqs=min(256, max(1, memory.kv_capacity_tokens // 1024)),
            max_num_batched_tokens=8192, gpu_memory_utilization=0.9,
        )

    def predict_many(self, scenarios: Sequence[ServingScenario]) -> list[PerfPrediction]:
        return [self.predict(s, "analytic", num_requests=0, seed=0) for s in scenarios]

    def predict(self, scenario: ServingScenario, mode: str, *, num_requests: int,
                seed: int) -> PerfPrediction:
        self.calls.append(mode)
        arch = scenario.model
        bpw = _BYTES[scenario.precision]
        itl_s = arch.total_params_b * 1e9 * bpw / scenario.tp / (
            scenario.gpu.memory_bandwidth_gb_s * 1e9 * 0.7)
        prefill_s = 2 * arch.active_params_b * 1e9 * scenario.prompt_tokens.mean / (
            scenario.gpu.bf16_tflops * 1e12 * scenario.tp * 0.4)
        batch = scenario.vllm.max_num_seqs if scenario.vllm else 64
        out = scenario.output_tokens.mean
        saturation = batch / (out * itl_s * 2.5)
        if self.api_server_rps is not None:
            saturation = min(saturation, self.api_server_rps)
        rate = scenario.load.rate_rps or 0.0
        rho = min(rate / saturation, 0.999)
        slow = self.sim_slowdown if mode == "simulate" else 1.0
        queue = rho / (1 - rho)
        ttft = (prefill_s * (1 + queue) + itl_s) * 1000 * slow + (scenario.front_end_s or 0) * 1e3
        itl = itl_s * (1 + 1.5 * rho) * 1000 * slow
        if mode == "simulate" and scenario.vllm is not None:
            itl += self.sim_stall_ms_per_1k_budget * scenario.vllm.max_num_batched_tokens / 1000
        e2e = ttft + out * itl

        def pct(x: float) -> Percentiles:
            return Percentiles(mean=x, p50=x, p90=1.5 * x, p95=1.7 * x, p99=2.0 * x)

        metrics = PerfMetrics(
            ttft_ms=pct(ttft), itl_ms=pct(itl), tpot_ms=pct(itl), e2e_ms=pct(e2e),
            output_tokens_per_s=rate * out, total_tokens_per_s=rate * (out + 512),
            requests_per_s=rate,
            provenance=PredictionProvenance(
                method="simulation" if mode == "simulate" else "analytic",
                parameters="fallback", parameter_source="test double",
                seed=seed, num_requests_simulated=num_requests if mode == "simulate" else None,
            ),
        )
        fit = self.fit_memory(
            ModelCard(id="x/y", name="y", family="y", license="x", tasks=(), architecture=arch,
                      provenance=FIXTURE),
            scenario.gpu, scenario.precision, scenario.tp, 1,
        )
        return PerfPrediction(metrics=metrics, memory=fit,
                              saturation_rps=saturation if math.isfinite(saturation) else None,
                              api_server_rps=self.api_server_rps)
