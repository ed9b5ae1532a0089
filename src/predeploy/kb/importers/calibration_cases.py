"""Calibration cases (the ../shared/calibration ``perf_cases.jsonl`` format) → benchmark records.

A case is ``{id, source, source_key, source_url, scenario, expected, notes, conversions,
constraints}``; it becomes a :class:`BenchmarkRecord` whose metrics are ``expected`` (measured
values, kind ``measured``) and whose provenance notes keep what the record has no field for: the
case notes, the source's own labels (model, GPU, engine, precision, MLPerf system), latency
constraints and unit conversions. A case that states no command line but whose source publishes
its method (an MLPerf vLLM run on AMD's or Red Hat's harness, a TensorRT-LLM 0.10
performance-overview entry) gets, as ``engine_args``, the one that method states
(``core.published_harness``), with the method named in the notes.
``tools/build_benchmark_seed.py`` builds the shipped seed with this same function, so importing
the shared file reproduces the seed's records.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from predeploy.core.benchmarks import HARNESS_OF_SOURCE
from predeploy.core.cases import parse_case
from predeploy.core.errors import InputError, describe_validation_error
from predeploy.core.published_harness import published_harness_config, published_layout
from predeploy.core.types import BenchmarkRecord, FactKind, Harness, Provenance
from predeploy.kb.importers.problems import ImportFileError

#: Scenario fields that describe the source's own wording; kept in the provenance notes.
SOURCE_LABELS = (
    "model_label",
    "gpu_label",
    "engine_label",
    "precision_label",
    "mlperf_scenario",
    "mlperf_submitter",
    "mlperf_system",
)


#: The source key of a case that states none.
DEFAULT_SOURCE_KEY = "calibration-case"


def is_case(obj: dict[str, Any]) -> bool:
    """Whether a JSON object is in the calibration-case format (it has a ``scenario``)."""
    return "scenario" in obj


def record_from_case(obj: dict[str, Any], file: str, line: int) -> BenchmarkRecord:
    """Validate one case object and transcribe it; problems name file, line and field."""
    where = f"line {line}"
    expected = obj.get("expected")
    if not isinstance(expected, dict) or not expected:
        raise ImportFileError(
            file, where, "expected", "a calibration case needs its measured metrics in 'expected'"
        )
    for name, value in expected.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ImportFileError(
                file, where, f"expected.{name}", f"expected a number, got {value!r}"
            )
    if not obj.get("source"):
        raise ImportFileError(file, where, "source", "a calibration case must name its source")
    try:
        case = parse_case(obj)
    except InputError as exc:
        raise ImportFileError(file, where, None, str(exc)) from None
    scenario = case.scenario
    source_key = case.source_key or DEFAULT_SOURCE_KEY
    known = HARNESS_OF_SOURCE.get(source_key, Harness.DEFAULT)
    if scenario.harness not in (Harness.DEFAULT, known):
        raise ImportFileError(
            file,
            where,
            "scenario.harness",
            f"a benchmark record knows its measurement set-up by its source: source "
            f"{source_key!r} is measured with {known.value!r}, not {scenario.harness.value!r} "
            "(core.benchmarks.HARNESS_OF_SOURCE)",
        )
    labels = scenario.model_dump(include=set(SOURCE_LABELS), exclude_none=True)
    notes = [*case.notes, *(f"{key}: {labels[key]}" for key in SOURCE_LABELS if key in labels)]
    if scenario.virtualized:
        notes.append("virtualized system")
    if case.constraints:
        notes.append(f"latency constraints: {json.dumps(case.constraints, sort_keys=True)}")
    notes += [f"{m} converted: {how}" for m, how in sorted((case.conversions or {}).items())]
    engine_args = scenario.engine_args
    harness = None if engine_args else published_harness_config(scenario)
    if harness is not None:
        engine_args = harness.engine_args
        notes.append(f"engine_args: {harness.name} {harness.source_url}")
    tp, pp, layout_source = published_layout(scenario)
    if layout_source is not None:
        notes.append(f"tp/pp: {tp}/{pp} as {layout_source} states")
    values = {
        "id": case.id,
        "model": scenario.model,
        "gpu": scenario.gpu,
        "gpu_count": scenario.gpu_count,
        "tp": tp,
        "pp": pp,
        "precision": scenario.precision,
        "kv_cache_dtype": scenario.kv_cache_dtype.value if scenario.kv_cache_dtype else None,
        "engine": scenario.engine.value,
        "engine_version": scenario.engine_version,
        "engine_args": engine_args,
        "input_tokens": scenario.input_tokens,
        "output_tokens": scenario.output_tokens,
        "dataset": scenario.dataset,
        "load": scenario.load,
        "client": scenario.client,
        "ignore_eos": scenario.ignore_eos,
        "checkpoint": scenario.checkpoint,
        "shared_prefix_tokens": scenario.shared_prefix_tokens,
        "prefix_count": scenario.prefix_count,
        "metrics": case.expected,
        "source_key": source_key,
        "provenance": Provenance(
            source=case.source, kind=FactKind.MEASURED, url=case.source_url,
            notes="; ".join(notes) or None,
        ),
    }
    try:
        return BenchmarkRecord.model_validate(values)
    except ValidationError as exc:
        raise ImportFileError(file, where, None, describe_validation_error(exc)) from None
