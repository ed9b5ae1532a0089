"""Held-out validation: fit on part of the measurements, predict the rest, score.

``leave-one-source-out`` fits once per source without it and predicts it;
``leave-one-gpu-out`` does the same per accelerator. Each measurement is then predicted by a
model that never saw its source (or accelerator): the honest estimate of accuracy on
measurements the project has not seen.

``config`` folds: the (source, model, accelerator) configurations of the scored sources are
dealt into :data:`CONFIG_FOLDS` folds by a stable hash; each fold is fitted without its
configurations and predicts them. Each measurement is then predicted by a model that knows its
source, model and accelerator from other measurements but never saw that model on that
accelerator in that source: new measurements from known harnesses.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Literal

from predeploy.core.calibration import MAX_ITERATIONS, fit, to_parameter_set
from predeploy.core.calibration_problem import Measurement, build_problem
from predeploy.core.efficiency import ParameterSet
from predeploy.core.perf import contract_metrics, predict_many
from predeploy.core.scoring import Score, ScoredCase, score

Split = Literal["source", "gpu", "config"]

#: Folds of the ``config`` split.
CONFIG_FOLDS = 5


def config_fold(m: Measurement) -> str:
    """The fold of a measurement's (source, model, accelerator) configuration (stable CRC-32
    of the three names, so every run deals the same folds)."""
    key = f"{m.source_key}|{m.scenario.model_id}|{m.scenario.gpu.name}".encode()
    return f"fold {zlib.crc32(key) % CONFIG_FOLDS + 1}"


#: Each split's title in reports.
SPLIT_TITLES: dict[Split, str] = {
    "source": "Leave one source out",
    "gpu": "Leave one GPU out",
    "config": "Configurations (source, model, GPU) held out in five folds",
}

#: Split choices of the validation commands and the splits each runs.
SPLIT_CHOICES: dict[str, tuple[Split, ...]] = {
    "source": ("source",),
    "gpu": ("gpu",),
    "config": ("config",),
    "both": ("source", "gpu"),
    "all": ("source", "gpu", "config"),
}

SPLITS: dict[Split, Callable[[Measurement], str]] = {
    "source": lambda m: m.source_key,
    "gpu": lambda m: m.scenario.gpu.name,
    "config": config_fold,
}


def predictions(
    measurements: Sequence[Measurement], params: ParameterSet
) -> dict[str, dict[str, object]]:
    """Contract output objects (id → {metrics, fits}, with the prediction's
    ``load_utilization``) for measurements under ``params``."""
    out: dict[str, dict[str, object]] = {}
    preds = predict_many([m.scenario for m in measurements], params)
    for m, pred in zip(measurements, preds, strict=True):
        metrics = contract_metrics(
            m.scenario, pred, single_stream=m.single_stream, ttft_only=m.ttft_only
        )
        out[m.id] = {
            "metrics": metrics,
            "fits": pred.memory.fits,
            "load_utilization": pred.load_utilization,
        }
    return out


def held_out_predictions(
    measurements: Sequence[Measurement],
    split: Split,
    *,
    only: set[str] | None = None,
    always_train: Callable[[Measurement], bool] | None = None,
    max_iterations: int = MAX_ITERATIONS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, object]]:
    """Every measurement predicted by a model fitted without its group (``split``).

    ``only`` restricts which groups are held out (the others are still used for fitting);
    measurements ``always_train`` accepts are fitted in every fold and never held out.
    """
    key = SPLITS[split]
    groups = sorted({key(m) for m in measurements})
    out: dict[str, dict[str, object]] = {}
    for group in groups:
        if only is not None and group not in only:
            continue

        def held(m: Measurement, group: str = group) -> bool:
            return key(m) == group and not (always_train is not None and always_train(m))

        train = [m for m in measurements if not held(m)]
        test = [m for m in measurements if held(m)]
        if not train or not test:
            continue
        problem = build_problem(train)
        theta, report = fit(problem, max_iterations=max_iterations)
        params = to_parameter_set(problem, theta, fitted_on=f"all but {split} {group}")
        out.update(predictions(test, params))
        if progress is not None:
            progress(
                f"held out {split} {group}: {len(test)} scenarios, fit on {len(train)} "
                f"({report.iterations} iterations)"
            )
    return out


def scored_cases(measurements: Sequence[Measurement]) -> list[ScoredCase]:
    return [
        ScoredCase(
            id=m.id,
            engine=m.scenario.engine.value,
            load=m.load_kind or m.scenario.load.kind,
            source=m.source_key,
            expected=m.metrics,
        )
        for m in measurements
    ]


def held_out_scored(
    measurements: Sequence[Measurement],
    split: Split,
    *,
    score_sources: set[str] | None = None,
    max_iterations: int = MAX_ITERATIONS,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[Measurement], dict[str, dict[str, object]]]:
    """The measurements of ``score_sources`` (all when ``None``) and their held-out
    predictions.

    Under the ``config`` split the unscored sources' measurements are fitted in every fold
    (as the other splits fit them in every fold that holds out a scored group)."""

    def scored_source(m: Measurement) -> bool:
        return score_sources is None or m.source_key in score_sources

    scored = [m for m in measurements if scored_source(m)]
    key = SPLITS[split]
    held = held_out_predictions(
        measurements,
        split,
        max_iterations=max_iterations,
        progress=progress,
        only={key(m) for m in scored},
        always_train=(lambda m: not scored_source(m)) if split == "config" else None,
    )
    return scored, held


def validate(
    measurements: Sequence[Measurement],
    split: Split,
    *,
    score_sources: set[str] | None = None,
    max_iterations: int = MAX_ITERATIONS,
    progress: Callable[[str], None] | None = None,
) -> Score:
    """Held-out score of the measurements of ``score_sources`` (all when ``None``); see
    :func:`held_out_scored`."""
    scored, held = held_out_scored(
        measurements,
        split,
        score_sources=score_sources,
        max_iterations=max_iterations,
        progress=progress,
    )
    return score(scored_cases(scored), held)
