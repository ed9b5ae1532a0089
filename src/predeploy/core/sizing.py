"""The capacity planner's vocabulary: the performance engine it asks, the configurations and
workload it sizes, and the evaluations, screens and sizings it produces.

A *configuration* is model × accelerator × precision × tensor parallelism, with the vLLM
settings and memory fit the performance engine derived for the needed ``max_model_len``; the
*workload* is the traffic, SLOs and headroom every configuration is held to. The search over
them lives in :mod:`predeploy.core.capacity`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from predeploy.core.recommend import ModelCandidate
from predeploy.core.slo_check import LatencyCheck
from predeploy.core.types import (
    Candidate,
    GpuSpec,
    LoadSpec,
    MemoryFit,
    ModelCard,
    PerfPrediction,
    Precision,
    ServingScenario,
    SLOTargets,
    TrafficProfile,
    VllmSettings,
)

PredictMode = Literal["analytic", "simulate"]


class PerformanceEngine(Protocol):
    """What the capacity planner asks the performance engine (``predeploy.core.perf``).

    Analytic predictions must carry ``saturation_rps`` (of the scenario's one replica).
    """

    def fit_memory(
        self, model: ModelCard, gpu: GpuSpec, precision: Precision, tp: int, context_tokens: int
    ) -> MemoryFit: ...

    def vllm_settings(
        self,
        model: ModelCard,
        gpu: GpuSpec,
        precision: Precision,
        tp: int,
        memory: MemoryFit,
        context_tokens: int,
    ) -> VllmSettings: ...

    def predict(
        self, scenario: ServingScenario, mode: PredictMode, *, num_requests: int, seed: int
    ) -> PerfPrediction: ...

    def predict_many(self, scenarios: Sequence[ServingScenario]) -> list[PerfPrediction]:
        """Analytic predictions of many scenarios in one (vectorized) call."""
        ...


@dataclass(frozen=True, slots=True)
class Configuration:
    """One model × accelerator × precision × TP that fits in memory, with its vLLM settings."""

    model: ModelCandidate
    gpu: GpuSpec
    precision: Precision
    tp: int
    memory: MemoryFit
    vllm: VllmSettings

    @property
    def gpus_per_replica(self) -> int:
        return self.tp * self.vllm.pipeline_parallel_size

    def candidate(self, replicas: int | None = None) -> Candidate:
        return Candidate(
            model=self.model.card.id, gpu=self.gpu.name, precision=self.precision, tp=self.tp,
            replicas=replicas,
        )

    def label(self) -> str:
        return f"{self.model.card.name} {self.precision.value} on {self.gpu.display(self.tp)}"


def replica_burstiness_cv(cv: float, replicas: int) -> float:
    """Inter-arrival CV one of ``replicas`` replicas sees when the router spreads a renewal
    stream of CV ``c`` over them at random (Kubernetes Services' kube-proxy picks a backend at
    random): a ``p``-thinned renewal process (``p = 1/R``), whose interval is a geometric sum
    of the stream's, has ``c_R² = 1 + p·(c² − 1)``. Bursts spread over the replicas; Poisson
    stays Poisson."""
    if replicas <= 1:
        return cv
    return math.sqrt(1.0 + (cv * cv - 1.0) / replicas)


@dataclass(frozen=True, slots=True)
class Workload:
    """What every configuration is held to."""

    traffic: TrafficProfile
    slo: SLOTargets
    headroom: float
    #: Rate the deployment is sized for: the peak, or more when a throughput SLO asks for it.
    sizing_rps: float
    context_tokens: int

    def load(self, rate_rps: float, replicas: int = 1) -> LoadSpec:
        """Open-loop arrivals at ``rate_rps`` on one of ``replicas`` replicas: Poisson, or gamma
        with the traffic's CV spread over the replicas (:func:`replica_burstiness_cv`).

        Built unvalidated (``model_construct``): on the search's hot path, and valid by
        construction (a positive rate, the profile's validated CV).
        """
        if not rate_rps > 0:
            raise ValueError(f"a request rate must be positive, got {rate_rps}")
        cv = replica_burstiness_cv(self.traffic.burstiness_cv, replicas)
        if math.isclose(cv, 1.0):
            return LoadSpec.model_construct(kind="poisson", rate_rps=rate_rps, cv=1.0)
        return LoadSpec.model_construct(kind="gamma", rate_rps=rate_rps, cv=cv)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One prediction of one replica at ``rate / replicas``, checked against the SLOs."""

    replicas: int
    per_replica_rps: float
    mode: PredictMode
    prediction: PerfPrediction
    checks: dict[str, LatencyCheck]
    missed: tuple[tuple[str, LatencyCheck], ...]

    @property
    def ok(self) -> bool:
        return not self.missed


@dataclass(frozen=True, slots=True)
class Screen:
    """Idle latency floor and saturation of one replica."""

    floor: Evaluation
    saturation_rps: float
    headroom: float

    def replicas_lower_bound(self, rate_rps: float) -> int:
        """``⌈rate / ((1 − h) × saturation)⌉``: fewer would run past 1 − h of saturation."""
        usable = self.saturation_rps * (1 - self.headroom)
        if usable <= 0:
            return 1_000_000_000
        return max(1, math.ceil(rate_rps / usable * (1 - 1e-9)))


@dataclass(frozen=True, slots=True)
class Sizing:
    """The replica count chosen, the prediction there, and why fewer would not do."""

    evaluation: Evaluation
    reason: str

    @property
    def replicas(self) -> int:
        return self.evaluation.replicas


@dataclass(frozen=True, slots=True)
class SizingShortfall:
    """No replica count up to the limit meets the SLOs (or the limit is below the bound)."""

    limit: int
    needed_at_least: int
    detail: str
    #: The last evaluation that missed (its worst SLO miss explains the shortfall).
    last: Evaluation | None = None
