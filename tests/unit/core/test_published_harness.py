"""TensorRT-LLM 0.10's published performance-overview method, applied to that release's runs."""

from __future__ import annotations

from typing import Any

import pytest
from tests.perf_fixtures import h100
from tests.unit.core.test_perf_cases import LLAMA_8B_CONFIG

from predeploy.core.benchmarks import scenario_from_case
from predeploy.core.cases import parse_case
from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.published_harness import TRTLLM_V010_PERF_OVERVIEW, published_engine_args
from predeploy.core.workload import prepare


def _perf_overview_case(**scenario: Any) -> dict[str, Any]:
    return {
        "id": "trtllm-perf-overview-v0.10/x",
        "scenario": {
            "model": "m/llama-8b",
            "model_config": LLAMA_8B_CONFIG,
            "precision": "fp8",
            "gpu": "H100-SXM",
            "gpu_count": 1,
            "tp": 1,
            "engine": "trtllm",
            "engine_version": "0.10.0",
            "input_tokens": 128,
            "output_tokens": 2048,
            "load": {"kind": "max_throughput", "num_prompts": 2000},
            **scenario,
        },
        "expected": {"output_tokens_per_s": 8000.0},
    }


def test_a_trtllm_0_10_throughput_case_runs_the_published_method() -> None:
    scenario = scenario_from_case(parse_case(_perf_overview_case()), InMemoryCatalog(gpus=[h100()]))
    prepared = prepare(scenario)
    # Built with --max_batch_size 2048 --max_num_tokens 2048, run with max_utilization at 0.9.
    assert (prepared.settings.max_num_seqs, prepared.settings.max_num_batched_tokens) == (
        2048,
        2048,
    )
    assert prepared.reserve_full_context is False
    assert "perf-overview.md" in TRTLLM_V010_PERF_OVERVIEW.source_url
    assert "0.10.0" in TRTLLM_V010_PERF_OVERVIEW.name


@pytest.mark.parametrize(
    "change",
    [
        {"engine_version": "1.0"},
        {"engine_version": "0.9.0"},
        {"engine_version": None},
        {"load": {"kind": "burst", "num_prompts": 500}},
        {"engine": "vllm"},
    ],
)
def test_other_releases_and_loads_keep_their_own_settings(change: dict[str, Any]) -> None:
    assert published_engine_args(parse_case(_perf_overview_case(**change)).scenario) is None
