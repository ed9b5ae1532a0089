"""MLPerf harness settings (AMD's yamls, Red Hat's README): transcribed, applied to their cases."""

from __future__ import annotations

from typing import Any

import pytest
from tests.perf_fixtures import h100
from tests.unit.core.test_perf_cases import LLAMA_8B_CONFIG

from predeploy.core.benchmarks import scenario_from_case
from predeploy.core.cases import parse_case
from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.engine_args import parse_engine_args
from predeploy.core.mlperf_harness import (
    AMD_HARNESS_CONFIGS,
    REDHAT_HARNESS_CONFIGS,
    amd_harness_config,
    redhat_harness_config,
)
from predeploy.core.published_harness import published_engine_args
from predeploy.core.types import Harness

CITED_COMMIT = "965182b03376a00fcae415c54e560e1c83937932"


def _case(**scenario: Any) -> dict[str, Any]:
    return {
        "id": "mlperf-inference-v5.1/x",
        "source": "mlcommons/inference_results_v5.1",
        "source_key": "mlperf-inference-v5.1",
        "scenario": {
            "model": "meta-llama/Llama-2-70b-chat-hf",
            "model_config": LLAMA_8B_CONFIG,
            "precision": "fp8",
            "gpu": "MI325X",
            "gpu_count": 8,
            "tp": None,
            "engine": "vllm",
            "input_tokens": None,
            "output_tokens": 300,
            "dataset": "mlperf-llama2-70b",
            "load": {"kind": "request_rate", "value": 100.0, "arrival": "poisson"},
            "mlperf_benchmark": "llama2-70b-99.9",
            "mlperf_scenario": "Server",
            **scenario,
        },
        "expected": {"ttft_ms_p50": 800.0},
    }


@pytest.mark.parametrize("key", sorted(AMD_HARNESS_CONFIGS))
def test_every_yaml_reads_as_one_engine_per_gpu_with_its_source(
    key: tuple[str, str, str],
) -> None:
    config = AMD_HARNESS_CONFIGS[key]
    settings = parse_engine_args(config.engine_args)
    assert "--tensor-parallel-size 1" in config.engine_args
    assert settings.max_num_seqs and settings.max_num_batched_tokens
    assert settings.scheduler_steps is not None and settings.chunked_prefill is not None
    # Multi-step decoding goes with whole-prompt prefill; the one V1 yaml chunks, one step.
    assert (settings.scheduler_steps > 1) == (settings.chunked_prefill is False)
    assert CITED_COMMIT in config.source_url and config.source_url.endswith(".yaml")
    benchmark, scenario, gpu = key
    assert f"/{scenario.lower()}_{gpu.lower()}.yaml" in config.source_url
    assert benchmark.split("-")[0] in config.engine_args


def test_the_server_yaml_is_found_whatever_the_accuracy_target() -> None:
    for benchmark in ("llama2-70b-99", "llama2-70b-99.9"):
        case = parse_case(_case(mlperf_benchmark=benchmark))
        config = amd_harness_config(case.scenario)
        assert config is not None and "--num-scheduler-steps 9" in config.engine_args


@pytest.mark.parametrize(
    "change",
    [
        {"engine": "trtllm"},
        {"gpu": "H100-SXM"},
        {"mlperf_scenario": "SingleStream"},
        {"mlperf_benchmark": None, "mlperf_scenario": None},
    ],
)
def test_other_cases_get_no_harness_settings(change: dict[str, Any]) -> None:
    assert published_engine_args(parse_case(_case(**change)).scenario) is None


def test_a_case_that_states_its_command_line_keeps_it() -> None:
    own = "vllm serve m --max-num-seqs 64"
    assert published_engine_args(parse_case(_case(engine_args=own)).scenario) == own


def test_an_amd_server_case_is_predicted_with_the_harness_settings() -> None:
    amd = h100().model_copy(update={"name": "MI325X", "vendor": "amd"})
    scenario = scenario_from_case(parse_case(_case()), InMemoryCatalog(gpus=[amd]))
    settings = scenario.engine_settings
    assert scenario.harness == Harness.MLPERF_AMD
    assert settings is not None
    assert (settings.scheduler_steps, settings.chunked_prefill, settings.max_num_seqs) == (
        9,
        False,
        1024,
    )
    assert settings.cuda_graph_max_batch == 0  # --enforce-eager



def _redhat_case(gpu: str, mlperf_scenario: str, **scenario: Any) -> dict[str, Any]:
    load = (
        {"kind": "request_rate", "value": 39.5, "arrival": "poisson"}
        if mlperf_scenario == "Server"
        else {"kind": "max_throughput"}
    )
    return _case(
        model="meta-llama/Llama-3.1-8B-Instruct",
        gpu=gpu,
        gpu_count=1,
        output_tokens=None,
        dataset="mlperf-llama3.1-8b",
        load=load,
        mlperf_benchmark="llama3.1-8b",
        mlperf_scenario=mlperf_scenario,
        mlperf_submitter="RedHat",
        **scenario,
    )


@pytest.mark.parametrize("key", sorted(REDHAT_HARNESS_CONFIGS))
def test_every_redhat_configuration_names_its_source_and_reads_cleanly(
    key: tuple[str, str, str],
) -> None:
    config = REDHAT_HARNESS_CONFIGS[key]
    settings = parse_engine_args(config.engine_args)
    assert CITED_COMMIT in config.source_url and config.source_url.endswith("/RedHat/code")
    assert "Red Hat" in config.name
    assert set(settings.unmodelled) <= {
        "--long-prefill-token-threshold",
        "--max-num-partial-prefills",
    }


def test_redhat_h100_server_runs_its_published_scheduler_settings() -> None:
    case = parse_case(_redhat_case("H100-SXM", "Server"))
    config = redhat_harness_config(case.scenario)
    assert config is not None and published_engine_args(case.scenario) == config.engine_args
    settings = parse_engine_args(config.engine_args)
    # vllm serve --max-num-batched-tokens 1024 --max-num-seqs 512 --cuda-graph-sizes 4232 ...
    assert (settings.max_num_batched_tokens, settings.max_num_seqs) == (1024, 512)
    assert settings.gpu_memory_utilization == 0.91 and settings.cuda_graph_max_batch == 4232
    assert settings.unmodelled == ("--long-prefill-token-threshold",)


@pytest.mark.parametrize(
    "change",
    [
        {"mlperf_submitter": "Dell"},
        {"engine": "trtllm"},
        {"gpu": "H200"},
        {"mlperf_scenario": "Interactive"},
    ],
)
def test_redhat_settings_apply_to_its_own_submissions_only(change: dict[str, Any]) -> None:
    case = _redhat_case("H100-SXM", "Server")
    case["scenario"].update(change)
    assert redhat_harness_config(parse_case(case).scenario) is None
