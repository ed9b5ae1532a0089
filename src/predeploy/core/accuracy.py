"""How far off a prediction typically is: error bands measured on held-out data.

A prediction's number alone hides that the engine is, on measurements it never saw, a
median 25-35 % off for latency percentiles. An :class:`AccuracyTable` keeps, per metric
family and statistic (TTFT p99, ITL/TPOT p50, throughput, ...), what held-out validation
(``core.validation``) measured: the median absolute percentage error and the 10th and 90th
percentiles of ``predicted / measured``, so a prediction can be shown with the range the
measured value fell in for 80 % of held-out values: ``[predicted / ratio_high, predicted /
ratio_low]``.

There is a table per parameter basis, over every engine and for each engine with enough
held-out values (errors differ by engine: SGLang's are about twice TensorRT-LLM's):
``fitted`` predictions (the accelerator and engine were measured) are judged on
configurations held out in folds (new measurements from known harnesses); ``fallback``
predictions (an accelerator without measurements) on accelerators held out one at a time.

Only measurements taken through the default set-up count (``core.types.Harness``): every
prediction a user gets assumes it, and a set-up the fit models separately (MLPerf's vLLM
submissions on AMD GPUs run AMD's harness, whose batching makes TTFTs four times the engine's)
would otherwise make a stock engine's bands describe that harness. vLLM 0.11.0's chat front end
counts too (:data:`BAND_HARNESSES`): the model prices its own cost.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from predeploy.core.calibration_problem import Measurement
from predeploy.core.perf import LATENCY_NAMES
from predeploy.core.scoring import family
from predeploy.core.sizing import PerformanceEngine, PredictMode
from predeploy.core.types import (
    GpuSpec,
    Harness,
    MemoryFit,
    ModelCard,
    Percentiles,
    PerfPrediction,
    Precision,
    ServingScenario,
    VllmSettings,
)
from predeploy.core.types.accuracy import (
    BAND_STATISTICS,
    AccuracyBand,
    AccuracyTable,
    ModelKind,
    model_kind,
    statistic,
)
from predeploy.core.types.perf import ParameterBasis

#: Metric families a band is kept for (single-stream speeds are llama.cpp's alone).
BAND_FAMILIES = ("ttft", "itl_tpot", "e2e", "throughput")
#: Share of held-out values a band's ratio range covers (10th to 90th percentile).
BAND_COVERAGE = 0.8
#: Fewest held-out values a band is computed from; thinner groups are left out.
MIN_BAND_VALUES = 20
#: Measurement set-ups whose held-out errors describe the engine a prediction assumes: the
#: default, and vLLM 0.11.0's chat front end, whose own cost the model prices (its fitted time
#: per request and gated server), so its errors are the engine's. AIConfigurator's rows and
#: AMD's MLPerf harness (a scheduler the model does not represent) stay out.
BAND_HARNESSES = frozenset({Harness.DEFAULT, Harness.VLLM_0_11_0_CHAT})


def accuracy_table(
    measurements: Sequence[Measurement],
    held: Mapping[str, Mapping[str, object]],
    *,
    basis: ParameterBasis,
    split: str,
    date: dt.date,
    engine: str | None = None,
    kind: ModelKind | None = None,
) -> AccuracyTable:
    """Bands from held-out predictions (id → contract output object, as
    ``core.validation.held_out_predictions`` returns them) of ``measurements`` taken through
    a set-up of :data:`BAND_HARNESSES` (those run on ``engine`` only, and of models of ``kind``
    only, when given)."""
    ratios: dict[tuple[str, str], list[float]] = defaultdict(list)
    used = 0
    for m in measurements:
        if m.scenario.harness not in BAND_HARNESSES:
            continue
        if engine is not None and m.scenario.engine.value != engine:
            continue
        if kind is not None and model_kind(m.scenario.model.is_moe) != kind:
            continue
        pred = held.get(m.id)
        got = pred.get("metrics") if pred else None
        if not isinstance(got, Mapping):
            continue
        used += 1
        for metric, value in m.metrics.items():
            fam = family(metric)
            v = got.get(metric)
            if fam not in BAND_FAMILIES or value <= 0 or not isinstance(v, int | float):
                continue
            if isinstance(v, bool) or not math.isfinite(float(v)) or v <= 0:
                continue
            ratios[(fam, statistic(metric))].append(float(v) / value)
    tail = (1.0 - BAND_COVERAGE) / 2.0
    bands = []
    for fam in BAND_FAMILIES:
        for stat in (*BAND_STATISTICS, "-"):
            r = np.asarray(ratios.get((fam, stat), []))
            if len(r) < MIN_BAND_VALUES:
                continue
            ape = np.abs(r - 1.0)
            low, high = np.quantile(r, [tail, 1.0 - tail])
            bands.append(
                AccuracyBand(
                    family=fam,
                    statistic=stat,
                    values=len(r),
                    median_ape=round(float(np.median(ape)), 4),
                    within_25=round(float(np.mean(ape <= 0.25)), 4),
                    ratio_low=round(float(low), 4),
                    ratio_high=round(float(high), 4),
                )
            )
    return AccuracyTable(
        basis=basis,
        engine=engine,
        model_kind=kind,
        split=split,
        date=date,
        measurements=used,
        bands=tuple(bands),
    )


def held_out_bound(prediction: PerfPrediction) -> PerfPrediction:
    """The prediction moved to the far end of its held-out error: every latency percentile
    divided by its band's ``ratio_low`` (the 90th percentile of measured ÷ predicted) and the
    saturation rate divided by the throughput band's ``ratio_high`` (its 10th percentile), so
    each figure held for 90 % of held-out measurements. Never more optimistic than the
    prediction; unchanged without bands; a latency without a band keeps its value."""
    metrics = prediction.metrics
    accuracy = metrics.provenance.accuracy
    if accuracy is None or metrics.provenance.held_out_bound:
        return prediction
    update: dict[str, object] = {}
    for name in LATENCY_NAMES:
        values = getattr(metrics, name)
        scaled: dict[str, float | None] = {}
        floor = 0.0  # each band is its own; the bounds must still not decrease with rank
        for stat, value in values.model_dump().items():
            band = accuracy.band(f"{name}_{stat}")
            bound = value if value is None or band is None else value / min(band.ratio_low, 1.0)
            if bound is not None and stat != "mean":
                bound = floor = max(bound, floor)
            scaled[stat] = bound
        update[name] = Percentiles.model_validate(scaled)
    update["provenance"] = metrics.provenance.model_copy(update={"held_out_bound": True})
    throughput = accuracy.band("output_tokens_per_s")
    saturation, utilization = prediction.saturation_rps, prediction.load_utilization
    if throughput is not None:
        capacity = max(throughput.ratio_high, 1.0)
        saturation = None if saturation is None else saturation / capacity
        utilization = None if utilization is None else utilization * capacity
    return prediction.model_copy(
        update={
            "metrics": metrics.model_copy(update=update),
            "saturation_rps": saturation,
            "load_utilization": utilization,
        }
    )


class HeldOutBoundEngine:
    """A :class:`~predeploy.core.sizing.PerformanceEngine` whose predictions are
    :func:`held_out_bound` of another's (``PlannerOptions.held_out_bound``)."""

    def __init__(self, engine: PerformanceEngine) -> None:
        self.engine = engine

    def fit_memory(
        self, model: ModelCard, gpu: GpuSpec, precision: Precision, tp: int, context_tokens: int
    ) -> MemoryFit:
        return self.engine.fit_memory(model, gpu, precision, tp, context_tokens)

    def vllm_settings(
        self,
        model: ModelCard,
        gpu: GpuSpec,
        precision: Precision,
        tp: int,
        memory: MemoryFit,
        context_tokens: int,
    ) -> VllmSettings:
        return self.engine.vllm_settings(model, gpu, precision, tp, memory, context_tokens)

    def predict(
        self, scenario: ServingScenario, mode: PredictMode, *, num_requests: int, seed: int
    ) -> PerfPrediction:
        return held_out_bound(
            self.engine.predict(scenario, mode, num_requests=num_requests, seed=seed)
        )

    def predict_many(self, scenarios: Sequence[ServingScenario]) -> list[PerfPrediction]:
        return [held_out_bound(p) for p in self.engine.predict_many(scenarios)]


__all__ = [
    "BAND_COVERAGE",
    "BAND_FAMILIES",
    "MIN_BAND_VALUES",
    "HeldOutBoundEngine",
    "accuracy_table",
    "held_out_bound",
]
