"""Held-out validation: each split predicts every scored measurement once, from a fit that
did not see it, and a consistent data set validates to a small error."""

from __future__ import annotations

import pytest
from tests.perf_fixtures import h100, l4, llama_8b, llama_70b

from predeploy.core.calibration_problem import Measurement
from predeploy.core.efficiency import EfficiencyParams, ParameterSet
from predeploy.core.perf import predict_many
from predeploy.core.types import LoadSpec, Precision, ServingScenario, TokenDistribution
from predeploy.core.validation import (
    CONFIG_FOLDS,
    SPLITS,
    config_fold,
    held_out_predictions,
    validate,
)

TRUE = EfficiencyParams(bandwidth_efficiency=0.7, compute_efficiency=0.5, step_overhead_s=1.5e-3)
SOURCES = ("alpha", "beta", "gamma")


def measurements() -> list[Measurement]:
    """Values the model itself predicts under TRUE: three sources, two models, two GPUs."""
    scenarios = []
    for model_id, model, gpu, precision in (
        ("test/8b", llama_8b(), h100(), Precision.BF16),
        ("test/8b", llama_8b(), l4(), Precision.FP8),
        ("test/70b", llama_70b(), h100(), Precision.FP8),
    ):
        for concurrency in (1, 16, 64):
            for prompt in (256, 2048):
                scenarios.append(
                    ServingScenario(
                        model_id=model_id,
                        model=model,
                        gpu=gpu,
                        precision=precision,
                        tp=4 if model_id == "test/70b" else 1,
                        prompt_tokens=TokenDistribution.fixed(prompt),
                        output_tokens=TokenDistribution.fixed(128),
                        load=LoadSpec(kind="concurrency", concurrency=concurrency),
                    )
                )
    preds = predict_many(scenarios, ParameterSet(base=TRUE))
    out = []
    for i, (sc, pred) in enumerate(zip(scenarios, preds, strict=True)):
        metrics = {
            "output_tokens_per_s": pred.metrics.output_tokens_per_s,
            "ttft_ms_mean": pred.metrics.ttft_ms.mean or 0.0,
            "tpot_ms_mean": pred.metrics.tpot_ms.mean or 0.0,
        }
        out.append(Measurement(sc, metrics, SOURCES[i % len(SOURCES)], f"m{i}"))
    return out


def test_config_folds_are_stable_and_keep_a_configuration_together() -> None:
    data = measurements()
    folds = {config_fold(m) for m in data}
    assert folds <= {f"fold {k}" for k in range(1, CONFIG_FOLDS + 1)}
    assert [config_fold(m) for m in data] == [config_fold(m) for m in measurements()]
    by_config: dict[tuple[str, str, str], set[str]] = {}
    for m in data:
        key = (m.source_key, m.scenario.model_id, m.scenario.gpu.name)
        by_config.setdefault(key, set()).add(config_fold(m))
    assert all(len(f) == 1 for f in by_config.values())


@pytest.mark.parametrize("split", sorted(SPLITS))
def test_every_measurement_is_predicted_once_by_a_fit_without_it(split: str) -> None:
    data = measurements()
    fits: list[str] = []
    preds = held_out_predictions(data, split, max_iterations=3, progress=fits.append)  # type: ignore[arg-type]
    assert set(preds) == {m.id for m in data}
    key = SPLITS[split]  # type: ignore[index]
    held = sum(int(line.split(": ")[1].split()[0]) for line in fits)
    assert held == len(data), "each measurement held out exactly once"
    assert len(fits) == len({key(m) for m in data})


def test_always_trained_measurements_are_never_held_out() -> None:
    data = measurements()
    preds = held_out_predictions(
        data, "config", max_iterations=3, always_train=lambda m: m.source_key == "alpha"
    )
    assert set(preds) == {m.id for m in data if m.source_key != "alpha"}


@pytest.mark.parametrize("split", ["source", "config"])
def test_consistent_measurements_validate_to_a_small_error(split: str) -> None:
    score = validate(
        measurements(), split, score_sources={"beta", "gamma"}, max_iterations=10  # type: ignore[arg-type]
    )
    assert score.coverage == 1.0
    assert score.overall.median_ape < 0.05
