"""The planner's performance engine: ``predeploy.core.perf`` with a calibrated parameter set.

Adapts the performance façade to :class:`predeploy.core.sizing.PerformanceEngine`: memory
fit and vLLM settings for vLLM's defaults on the accelerator (batch limits, memory share), and
analytic or simulated predictions. No performance model of its own lives here.
"""

from __future__ import annotations

from collections.abc import Sequence

from predeploy.core import perf
from predeploy.core.efficiency import ParameterSet
from predeploy.core.engines import engine_profile, scheduler_defaults
from predeploy.core.memory import fit_memory
from predeploy.core.sizing import PredictMode
from predeploy.core.types import (
    Engine,
    GpuSpec,
    MemoryFit,
    ModelCard,
    PerfPrediction,
    Precision,
    ServingScenario,
    VllmSettings,
)
from predeploy.core.weights import expert_load_factor


class CalibratedEngine:
    """:class:`~predeploy.core.sizing.PerformanceEngine` over the façade for vLLM."""

    def __init__(self, params: ParameterSet) -> None:
        self.params = params
        #: vLLM's own default memory share (``--gpu-memory-utilization``), from the engine
        #: profile of ``core.engines`` (vLLM 0.33.0: 0.92).
        self.gpu_memory_utilization = engine_profile(Engine.VLLM).gpu_memory_utilization

    def fit_memory(
        self, model: ModelCard, gpu: GpuSpec, precision: Precision, tp: int, context_tokens: int
    ) -> MemoryFit:
        seqs, tokens = scheduler_defaults(Engine.VLLM, gpu)
        arch = model.architecture
        return fit_memory(
            arch, gpu, precision, tp,
            gpu_memory_utilization=self.gpu_memory_utilization,
            context_tokens=context_tokens, max_num_batched_tokens=tokens, max_num_seqs=seqs,
            expert_factor=expert_load_factor(arch, precision, Engine.VLLM, gpu),
        )

    def vllm_settings(
        self,
        model: ModelCard,
        gpu: GpuSpec,
        precision: Precision,
        tp: int,
        memory: MemoryFit,
        context_tokens: int,
    ) -> VllmSettings:
        return perf.default_vllm_settings(
            model.architecture, gpu, precision, tp, memory, context_tokens,
            gpu_memory_utilization=self.gpu_memory_utilization,
        )

    def predict(
        self, scenario: ServingScenario, mode: PredictMode, *, num_requests: int, seed: int
    ) -> PerfPrediction:
        return perf.predict(scenario, self.params, mode=mode, num_requests=num_requests,
                            seed=seed)

    def predict_many(self, scenarios: Sequence[ServingScenario]) -> list[PerfPrediction]:
        return perf.predict_many(scenarios, self.params)
