"""Step models and schedulers the load-model benchmarks run on.

Two kinds: the performance engine's roofline step model (``core.latency.RooflineStepCost``
with the shipped parameters, vLLM's default batch limits and the KV capacity from
``core.memory``) for Llama-3.1-8B/70B-shaped models on H100 and L4, and the roofline-shaped test
models of tests/unit/core/stepmodels.py.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from predeploy.core.batching import SchedulerConfig, StepCostModel
from predeploy.core.latency import RooflineStepCost
from predeploy.core.memory import fit_memory
from predeploy.core.types import Engine, GpuSpec, ModelArchitecture, Precision
from predeploy.core.workload import default_vllm_settings
from predeploy.services.perf import load_parameters

ROOT = Path(__file__).resolve().parents[2]
CONTEXT_TOKENS = 768


def module(name: str, folder: Path) -> Any:
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def roofline_case(
    model: ModelArchitecture, gpu: GpuSpec, precision: Precision, tp: int
) -> tuple[StepCostModel, SchedulerConfig]:
    params, _ = load_parameters().for_gpu(gpu, Engine.VLLM)
    step = RooflineStepCost(model, gpu, precision, params, tp=tp)
    memory = fit_memory(model, gpu, precision, tp, context_tokens=CONTEXT_TOKENS)
    settings = default_vllm_settings(model, gpu, precision, tp, memory, CONTEXT_TOKENS)
    return step, SchedulerConfig.from_vllm(settings, memory.kv_capacity_tokens)


def engine_cases() -> dict[str, tuple[StepCostModel, SchedulerConfig]]:
    """Roofline step model of the performance engine, vLLM defaults."""
    fixtures = module("tests.perf_fixtures", ROOT)
    return {
        "8B bf16 1xH100": roofline_case(fixtures.llama_8b(), fixtures.h100(), Precision.BF16, 1),
        "8B bf16 1xL4": roofline_case(fixtures.llama_8b(), fixtures.l4(), Precision.BF16, 1),
        "70B bf16 4xH100": roofline_case(
            fixtures.llama_70b(), fixtures.h100(), Precision.BF16, 4
        ),
    }


def shape_cases() -> dict[str, tuple[StepCostModel, SchedulerConfig]]:
    """The test suite's roofline-shaped step models (tests/unit/core/stepmodels.py)."""
    shapes: dict[str, tuple[StepCostModel, SchedulerConfig]] = module(
        "stepmodels", ROOT / "tests" / "unit" / "core"
    ).SHAPES
    return {f"test {name}": shape for name, shape in shapes.items()}
