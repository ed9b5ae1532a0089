"""NVIDIA's MLPerf v5.1 configurations (TensorRT-LLM, Blackwell): transcribed; their layout
applied to MLPerf cases that do not disclose theirs."""

from __future__ import annotations

from typing import Any

import pytest
from tests.perf_fixtures import h100
from tests.unit.core.test_perf_cases import LLAMA_8B_CONFIG

from predeploy.core.benchmarks import scenario_from_case
from predeploy.core.cases import parse_case
from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.nvidia_harness import (
    CPP_EXECUTOR_DATASETS,
    NVIDIA_HARNESS_CONFIGS,
    nvidia_harness_config,
    runs_cpp_executor,
)
from predeploy.core.published_harness import published_engine_args, published_layout
from predeploy.core.types import Engine, GpuSpec
from predeploy.core.workload import prepare

CITED_COMMIT = "e9ccad4d681ac32678230a488cd690ef6c8b21fa"


def _case(**scenario: Any) -> dict[str, Any]:
    return {
        "id": "mlperf-inference-v5.1/x",
        "source": "mlcommons/inference_results_v5.1",
        "source_key": "mlperf-inference-v5.1",
        "scenario": {
            "model": "meta-llama/Llama-3.1-405B-Instruct",
            "model_config": LLAMA_8B_CONFIG,
            "precision": "fp4",
            "gpu": "B200",
            "gpu_count": 8,
            "tp": None,
            "engine": "trtllm",
            "engine_version": "TensorRT 10.11, CUDA 12.9 (MLPerf Inference v5.1 closed)",
            "input_tokens": None,
            "output_tokens": 650,
            "dataset": "mlperf-llama3.1-405b",
            "load": {"kind": "max_throughput"},
            "mlperf_benchmark": "llama3.1-405b",
            "mlperf_scenario": "Offline",
            "mlperf_submitter": "Supermicro",
            **scenario,
        },
        "expected": {"output_tokens_per_s": 1000.0},
    }


@pytest.mark.parametrize("key", sorted(NVIDIA_HARNESS_CONFIGS))
def test_every_configuration_names_its_file(key: tuple[str, str, str]) -> None:
    config = NVIDIA_HARNESS_CONFIGS[key]
    benchmark, scenario, gpu = key
    assert CITED_COMMIT in config.source_url
    assert config.source_url.endswith(f"/{scenario}/{benchmark.replace('.', '_')}.py")
    assert ("/B200-SXM-180GBx8/" if gpu == "B200" else "/GB200-NVL72_") in config.source_url
    assert config.max_batch_seqs > 0 and config.max_step_tokens > 0
    assert 0.0 < config.kv_fraction < 1.0
    # v5.1 serves Llama 3.1 8B through trtllm-serve, the rest from TensorRT engines.
    assert config.engines is (benchmark != "llama3.1-8b")


def test_a_partner_system_runs_the_layout_nvidias_configuration_states() -> None:
    case = parse_case(_case())
    tp, pp, source = published_layout(case.scenario)
    # B200-SXM-180GBx8/Offline/llama3_1-405b.py: tensor_parallelism 2, pipeline_parallelism 2.
    assert (tp, pp) == (2, 2) and source is not None
    assert source.endswith("/Offline/llama3_1-405b.py")
    scenario = scenario_from_case(case, InMemoryCatalog(gpus=[_b200()]))
    assert (scenario.tp, scenario.pp, scenario.replicas) == (2, 2, 2)
    # Its scheduler settings are not applied (docs/perf-validation.md, session 52).
    assert published_engine_args(case.scenario) is None


def test_a_stated_layout_is_kept() -> None:
    assert published_layout(parse_case(_case(tp=8)).scenario) == (8, 1, None)


@pytest.mark.parametrize(
    "change",
    [
        {"gpu": "H200", "precision": "fp8"},
        {"engine": "vllm"},
        {"mlperf_benchmark": None, "mlperf_scenario": None},
        {"mlperf_benchmark": "deepseek-r1", "mlperf_scenario": "Server"},
    ],
)
def test_other_cases_get_no_published_layout(change: dict[str, Any]) -> None:
    scenario = parse_case(_case(**change)).scenario
    assert nvidia_harness_config(scenario) is None
    assert published_layout(scenario) == (None, 1, None)


def _b200() -> GpuSpec:
    return h100(8000.0).model_copy(update={"name": "B200", "fp4_tflops": 9000.0})


@pytest.mark.parametrize(("gpu_count", "cv"), [(8, 8**-0.5), (2, 2**-0.5), (1, 1.0)])
def test_each_instance_sees_every_rth_query(gpu_count: int, cv: float) -> None:
    # NVIDIA's harness hands LoadGen's Poisson queries to its R engine instances in turn (or
    # to the least loaded): each sees Erlang-R gaps, CV 1/sqrt(R).
    case = _case(
        model="meta-llama/Llama-2-70b-chat-hf",
        dataset="mlperf-llama2-70b",
        gpu_count=gpu_count,
        tp=1,
        load={"kind": "request_rate", "value": 200.0, "arrival": "poisson"},
        mlperf_benchmark="llama2-70b-99",
        mlperf_scenario="Server",
    )
    scenario = scenario_from_case(parse_case(case), InMemoryCatalog(gpus=[_b200()]))
    assert scenario.replicas == gpu_count and scenario.load.rate_rps == 200.0
    assert scenario.load.kind == ("gamma" if gpu_count > 1 else "poisson")
    assert scenario.load.cv == pytest.approx(cv)


def test_other_engines_keep_their_poisson_arrivals() -> None:
    case = _case(
        engine="vllm",
        dataset="mlperf-llama2-70b",
        tp=1,
        load={"kind": "request_rate", "value": 200.0, "arrival": "poisson"},
    )
    scenario = scenario_from_case(parse_case(case), InMemoryCatalog(gpus=[_b200()]))
    assert (scenario.replicas, scenario.load.kind) == (8, "poisson")


def test_mlperf_tensorrt_llm_runs_admit_without_reserving_the_whole_context() -> None:
    """NVIDIA's harness runs its engines with ``max_util`` admission: an MLPerf TensorRT-LLM
    case does not reserve a request's whole context (TensorRT-LLM's own default does), on any
    GPU, with or without a transcribed configuration; a case that states the policy keeps it."""
    catalog = InMemoryCatalog(gpus=[_b200(), h100()])
    for gpu, precision in (("B200", "fp4"), (h100().name, "fp8")):
        sc = scenario_from_case(parse_case(_case(gpu=gpu, precision=precision)), catalog)
        assert sc.engine_settings is not None
        assert sc.engine_settings.reserve_full_context is False
    stated = _case(engine_args="--scheduler_policy guaranteed_no_evict")
    sc = scenario_from_case(parse_case(stated), catalog)
    assert sc.engine_settings is not None
    assert sc.engine_settings.reserve_full_context is True
    served = _case(dataset="sharegpt", mlperf_benchmark=None, mlperf_scenario=None)
    sc = scenario_from_case(parse_case(served), catalog)
    assert sc.engine_settings is None or sc.engine_settings.reserve_full_context is None


@pytest.mark.parametrize(
    ("dataset", "benchmark", "overlap"),
    [
        ("mlperf-llama2-70b", "llama2-70b-99", False),
        ("mlperf-llama3.1-405b", "llama3.1-405b", False),
        ("mlperf-llama3.1-8b", "llama3.1-8b", True),
        ("mlperf-deepseek-r1", "deepseek-r1", True),
    ],
)
def test_the_cpp_executor_returns_each_token_at_its_own_steps_end(
    dataset: str, benchmark: str, overlap: bool
) -> None:
    # TensorRT engines on the C++ executor have no overlap scheduler; the PyTorch backend
    # (trtllm-serve: Llama 3.1 8B; DeepSeek-R1) replies a step late.
    case = _case(dataset=dataset, mlperf_benchmark=benchmark, tp=1, mlperf_scenario="Server")
    scenario = scenario_from_case(parse_case(case), InMemoryCatalog(gpus=[_b200()]))
    assert prepare(scenario).overlap_scheduling is overlap
    assert runs_cpp_executor(Engine.TRTLLM, dataset) is not overlap
    assert not runs_cpp_executor(Engine.VLLM, dataset)


def test_the_cpp_executor_datasets_agree_with_the_configurations() -> None:
    for (benchmark, _, _), config in NVIDIA_HARNESS_CONFIGS.items():
        assert config.engines is (f"mlperf-{benchmark}" in CPP_EXECUTOR_DATASETS)
