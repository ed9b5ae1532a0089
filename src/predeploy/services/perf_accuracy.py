"""Held-out error bands of the performance engine: measure them, ship them, read them.

``data/perf_accuracy.json`` holds a :class:`~predeploy.core.accuracy.PerfAccuracy`: for
predictions on fitted parameters, the errors of public configurations held out in five folds;
for fallback parameters, of accelerators held out one at a time. ``bench/perf_validate.py
--accuracy-out`` (or :func:`measure_accuracy`) rebuilds it from the knowledge base's records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from predeploy.core.accuracy import accuracy_table
from predeploy.core.calibration import MAX_ITERATIONS
from predeploy.core.calibration_problem import Measurement
from predeploy.core.errors import InputError, describe_validation_error
from predeploy.core.types.accuracy import MODEL_KINDS, PerfAccuracy
from predeploy.core.types.perf import ParameterBasis
from predeploy.core.validation import Split, held_out_scored

#: The error bands shipped with the package.
ACCURACY_FILE = Path(__file__).resolve().parents[1] / "data" / "perf_accuracy.json"

#: Which held-out split judges predictions of each parameter basis, and its words.
BASIS_SPLITS: dict[ParameterBasis, tuple[Split, str]] = {
    "fitted": ("config", "public (source, model, GPU) configurations held out in five folds"),
    "fallback": ("gpu", "accelerators held out one at a time"),
}


def load_accuracy(path: Path | None = None) -> PerfAccuracy | None:
    """The shipped error bands; ``None`` when the file is absent (a named file must exist)."""
    target = ACCURACY_FILE if path is None else Path(path)
    if not target.exists():
        if path is not None:
            raise InputError(f"{target}: accuracy file not found")
        return None
    try:
        return PerfAccuracy.model_validate_json(target.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, str(target))) from None


def measure_accuracy(
    measurements: Sequence[Measurement],
    *,
    score_sources: set[str],
    held: dict[Split, dict[str, dict[str, object]]] | None = None,
    max_iterations: int = MAX_ITERATIONS,
    date: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> PerfAccuracy:
    """Error bands of both bases from held-out predictions of the ``score_sources``
    measurements (computed here unless ``held`` already has the split's predictions)."""
    day = date or dt.date.today()
    tables = []
    scored_public = [m for m in measurements if m.source_key in score_sources]
    for basis, (split, words) in BASIS_SPLITS.items():
        scored, predictions = scored_public, (held or {}).get(split)
        if predictions is None:
            scored, predictions = held_out_scored(
                measurements,
                split,
                score_sources=score_sources,
                max_iterations=max_iterations,
                progress=progress,
            )
        engines = sorted({m.scenario.engine.value for m in scored})
        for engine in (None, *engines):
            for kind in (None, *MODEL_KINDS):
                table = accuracy_table(
                    scored,
                    predictions,
                    basis=basis,
                    split=words,
                    date=day,
                    engine=engine,
                    kind=kind,
                )
                if (engine is None and kind is None) or table.bands:
                    tables.append(table)
    return PerfAccuracy(
        source=(
            "predeploy held-out validation (core.validation) of the knowledge base's public "
            f"calibration measurements ({', '.join(sorted(score_sources))}) taken through the "
            "default set-up or vLLM 0.11.0's chat front end (core.accuracy.BAND_HARNESSES); the "
            "fits also use the other benchmark records"
        ),
        tables=tuple(tables),
    )


def write_accuracy(accuracy: PerfAccuracy, path: Path | None = None) -> Path:
    """Write the bands atomically (``data/perf_accuracy.json`` unless ``path``)."""
    target = ACCURACY_FILE if path is None else Path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(accuracy.model_dump_json(indent=1) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target
