"""Calibration case parsing and benchmark-record conversion."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from tests.perf_fixtures import h100, llama_31_8b_config

from predeploy.core.benchmarks import case_from_record, output_unknown, scenario_from_case
from predeploy.core.cases import architecture_from_model_config, parse_case
from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.datasets import token_distribution
from predeploy.core.errors import InputError
from predeploy.core.kv_cache import kv_bytes_per_token
from predeploy.core.lengths import clipped_mean_stdev, token_length_grid
from predeploy.core.types import (
    BenchmarkRecord,
    FactKind,
    Harness,
    Provenance,
    ServingScenario,
)

LLAMA_8B_CONFIG = {
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "intermediate_size": 14336,
    "vocab_size": 128256,
    "total_params_b": 8.03,
    "max_position_embeddings": 131072,
    "kv_cache_bytes_per_token_bf16": 131072,
}


def llama_8b_h100_scenario(**fields: object) -> dict[str, object]:
    """A case scenario of Llama 3.1 8B (by its config) in BF16 on one H100 with vLLM,
    ``fields`` adding to or replacing its keys (lengths, dataset, load)."""
    return {
        "model": "m/m",
        "model_config": LLAMA_8B_CONFIG,
        "gpu": "H100-SXM",
        "gpu_count": 1,
        "tp": 1,
        "precision": "bf16",
        "engine": "vllm",
        **fields,
    }


def record_of(**fields: object) -> BenchmarkRecord:
    """A vLLM burst record on one H100, with ``fields`` replacing any of its values."""
    base: dict[str, object] = {
        "id": "r",
        "model": "m/m",
        "gpu": "H100-SXM",
        "gpu_count": 1,
        "tp": 1,
        "precision": "bf16",
        "engine": "vllm",
        "input_tokens": 200,
        "output_tokens": 200,
        "load": {"kind": "burst", "num_prompts": 100},
        "metrics": {"ttft_ms_mean": 100.0},
        "source_key": "s",
        "provenance": Provenance(source="test", kind=FactKind.MEASURED),
    }
    return BenchmarkRecord.model_validate({**base, **fields})


def mlperf_trtllm_record(**fields: object) -> BenchmarkRecord:
    """An MLPerf-style TensorRT-LLM FP8 record on 8 GPUs: layout undisclosed (``tp`` None),
    input lengths from the dataset; ``fields`` add to or replace any of its values."""
    base: dict[str, object] = {
        "gpu_count": 8,
        "tp": None,
        "precision": "fp8",
        "engine": "trtllm",
        "input_tokens": None,
        "source_key": "mlperf",
    }
    return record_of(**{**base, **fields})


def scenario_of_record(
    record: BenchmarkRecord, config: dict[str, Any] = LLAMA_8B_CONFIG
) -> ServingScenario:
    """The record's scenario on an H100 catalog, the model described by ``config``."""
    case = case_from_record(record)
    case = case.model_copy(
        update={
            "scenario": case.scenario.model_copy(
                update={"model_config_": architecture_from_model_config(config)}
            )
        }
    )
    return scenario_from_case(case, InMemoryCatalog(gpus=[h100()]))


def test_architecture_from_model_config() -> None:
    arch = architecture_from_model_config(LLAMA_8B_CONFIG)
    assert arch.num_layers == 32 and arch.attention_type == "gqa"
    assert kv_bytes_per_token(arch) == LLAMA_8B_CONFIG["kv_cache_bytes_per_token_bf16"]
    moe = architecture_from_model_config(
        {
            **LLAMA_8B_CONFIG,
            "num_experts": 8,
            "experts_per_tok": 2,
            "active_params_b": 3.0,
            "sliding_window": 128,
        }
    )
    assert moe.is_moe and moe.sliding_window_layers == 16
    mla = architecture_from_model_config(
        {
            "num_hidden_layers": 61,
            "hidden_size": 7168,
            "num_attention_heads": 128,
            "num_key_value_heads": 128,
            "total_params_b": 671,
            "mla_kv_lora_rank": 512,
        }
    )
    assert mla.attention_type == "mla" and kv_bytes_per_token(mla) == 61 * 576 * 2


def test_bad_model_config_names_the_field() -> None:
    with pytest.raises(InputError, match="num_hidden_layers"):
        architecture_from_model_config({"hidden_size": 1})


def test_a_whole_hugging_face_config_is_a_model_config_too() -> None:
    """No ``total_params_b`` but a ``model_type``: the parameters are counted from it."""
    raw = {k: v for k, v in llama_31_8b_config().items() if k != "architectures"}
    arch = architecture_from_model_config(raw)
    assert arch.total_params_b == 8.03 and arch.num_kv_heads == 8


def test_parse_case_and_errors() -> None:
    case = parse_case(
        {
            "id": "x",
            "source_key": "s",
            "scenario": llama_8b_h100_scenario(
                input_tokens=100,
                output_tokens=None,
                dataset="fixed",
                load={"kind": "static_batch", "value": 1},
            ),
            "expected": {"ttft_ms_mean": 12.0, "note": "text"},
        }
    )
    assert case.scenario.architecture is not None
    assert case.expected == {"ttft_ms_mean": 12.0}
    assert output_unknown(case.scenario)
    with pytest.raises(InputError, match="'scenario'"):
        parse_case({"id": "y"})
    with pytest.raises(InputError, match="case 'z'"):
        parse_case({"id": "z", "scenario": {"model": "m"}})


def test_unknown_scenario_keys_are_an_error_or_left_out_and_named() -> None:
    scenario = {"model": "m/m", "gpu": "H100-SXM", "gpu_count": 1, "duration_s": 60,
                "load": {"kind": "request_rate", "value": 2, "cv": 2}}
    with pytest.raises(InputError, match="duration_s"):
        parse_case({"id": "x", "scenario": scenario})  # an import stays strict
    case = parse_case({"id": "x", "scenario": scenario}, ignore_unknown=True)
    assert case.ignored_fields == ("scenario.duration_s", "scenario.load.cv")
    assert case.scenario.load.value == 2


@pytest.mark.parametrize(
    ("written", "engine"),
    [("vLLM", "vllm"), ("SGLang", "sglang"), ("TensorRT-LLM", "trtllm"), ("tensorrt_llm", "trtllm"),
     ("TRT-LLM", "trtllm"), ("llama-cpp", "llama.cpp"), (" Other ", "other")],
)
def test_engine_names_are_read_as_commonly_written(written: str, engine: str) -> None:
    scenario = {"model": "m/m", "gpu": "H100-SXM", "gpu_count": 1, "engine": written,
                "load": {"kind": "static_batch", "value": 1}}
    assert parse_case({"id": "x", "scenario": scenario}).scenario.engine.value == engine
    with pytest.raises(InputError, match=r"scenario\.engine"):
        parse_case({"id": "y", "scenario": scenario | {"engine": "tgi"}})


def test_every_shared_case_parses(shared_dir: Path) -> None:
    path = shared_dir / "calibration" / "perf_cases.jsonl"
    cases = [parse_case(json.loads(line)) for line in path.read_text().splitlines() if line]
    assert len(cases) == 1212
    with_config = [c for c in cases if c.scenario.architecture is not None]
    for case in with_config:
        config = json.loads(
            next(line for line in path.read_text().splitlines() if case.id in line)
        )["scenario"]["model_config"]
        if "kv_cache_bytes_per_token_bf16" in config:
            assert kv_bytes_per_token(case.scenario.architecture) == pytest.approx(  # type: ignore[arg-type]
                config["kv_cache_bytes_per_token_bf16"]
            )
        break


def test_record_to_scenario_uses_dataset_knowledge_and_chooses_tp() -> None:
    record = mlperf_trtllm_record(
        output_tokens=294,
        dataset="mlperf-llama2-70b",
        load={"kind": "request_rate", "value": 10.0, "arrival": "poisson"},
        metrics={"ttft_ms_p99": 100.0},
    )
    config = {
        **LLAMA_8B_CONFIG,
        "num_hidden_layers": 80,
        "hidden_size": 8192,
        "num_attention_heads": 64,
        "intermediate_size": 28672,
        "total_params_b": 70.55,
    }
    sc = scenario_of_record(record, config)
    assert sc.tp == 2 and sc.replicas == 4  # 70B fp8 on 80 GB: TP2 leaves the KV cache room
    assert sc.prompt_tokens.mean == pytest.approx(222.33, abs=0.01)  # 5,463,976 / 24,576
    assert sc.prompt_tokens.kind == "lognormal"
    # NVIDIA's harness hands the queries to its 4 instances in turn: Erlang-4 gaps, CV 1/2.
    assert sc.load.kind == "gamma" and sc.load.rate_rps == 10.0
    assert sc.load.cv == pytest.approx(0.5)
    assert not sc.served_over_api  # MLPerf LoadGen runs in process
    assert sc.kv_cache_dtype.value == "fp8"  # TensorRT-LLM fp8 checkpoints


@pytest.mark.parametrize(("total_params_b", "tp", "wide_ep"), [(14.0, 1, False), (300.0, 8, True)])
def test_an_mlperf_moe_layout_is_one_wide_ep_group_per_node_only_when_one_gpu_is_not_enough(
    total_params_b: float, tp: int, wide_ep: bool
) -> None:
    record = mlperf_trtllm_record(
        output_tokens=145,
        dataset="mlperf-mixtral-8x7b",
        load={"kind": "max_throughput"},
        metrics={"output_tokens_per_s": 1.0},
    )
    config = {
        **LLAMA_8B_CONFIG,
        "total_params_b": total_params_b,
        "active_params_b": 4.0,
        "num_experts": 8,
        "experts_per_tok": 2,
    }
    sc = scenario_of_record(record, config)
    assert (sc.tp, sc.replicas, sc.expert_parallel) == (tp, 8 // tp, wide_ep)


def test_records_carry_their_measurement_set_up() -> None:
    aic = scenario_of_record(record_of(source_key="aiconfigurator-silicon"))
    assert aic.harness == Harness.AICONFIGURATOR
    assert scenario_of_record(record_of()).harness == Harness.DEFAULT
    # MLPerf's vLLM runs on AMD GPUs use AMD's harness; on NVIDIA GPUs, stock vLLM.
    amd = h100().model_copy(update={"name": "MI300X", "vendor": "amd"})
    mlperf = record_of(
        gpu="MI300X",
        dataset="mlperf-llama2-70b",
        input_tokens=None,
        output_tokens=294,
        load={"kind": "request_rate", "value": 10.0, "arrival": "poisson"},
    )
    case = case_from_record(mlperf)
    case = case.model_copy(
        update={
            "scenario": case.scenario.model_copy(
                update={"model_config_": architecture_from_model_config(LLAMA_8B_CONFIG)}
            )
        }
    )
    on_amd = scenario_from_case(case, InMemoryCatalog(gpus=[amd]))
    assert on_amd.harness == Harness.MLPERF_AMD
    on_nvidia = scenario_of_record(mlperf.model_copy(update={"gpu": "H100-SXM"}))
    assert on_nvidia.harness == Harness.DEFAULT


def test_older_vllm_versions_use_their_memory_default() -> None:
    def scenario_of(version: str | None) -> ServingScenario:
        record = record_of(engine_version=version, metrics={"output_tokens_per_s": 1.0})
        return scenario_of_record(record)

    old = scenario_of("v0.11.0")
    assert old.vllm is not None and old.vllm.gpu_memory_utilization == 0.9
    assert (old.vllm.max_num_seqs, old.vllm.max_num_batched_tokens) == (1024, 8192)
    assert scenario_of("0.33.0").vllm is None
    assert scenario_of(None).vllm is None


def test_older_vllm_versions_serve_the_models_whole_context() -> None:
    # `vllm serve` without --max-model-len takes the model's context window; the mean prompt
    # plus the mean answer (418 tokens here) would cut every dispersed ShareGPT request the
    # simulation samples to that length (a 1,000-prompt burst had half its output tokens).
    record = record_of(
        engine_version="v0.11.0",
        input_tokens=217,
        output_tokens=201,
        dataset="sharegpt",
        load={"kind": "burst", "num_prompts": 1000},
        metrics={"output_tokens_per_s": 1.0},
    )
    scenario = scenario_of_record(record)
    assert scenario.vllm is not None
    assert scenario.vllm.max_model_len == scenario.model.max_context_tokens
    assert scenario.output_tokens.max is not None
    assert scenario.vllm.max_model_len > scenario.prompt_tokens.max + scenario.output_tokens.max


def test_sharegpt_outputs_are_skewed_and_capped_like_vllm_bench_serve() -> None:
    record = record_of(
        input_tokens=217,
        output_tokens=201,
        dataset="sharegpt",
        load={"kind": "burst", "num_prompts": 1000},
    )
    out = scenario_of_record(record).output_tokens
    # The run's 201 tokens on average are the answers' as cut: the log-normal's own is above.
    assert out.kind == "lognormal" and out.mean > 201
    assert clipped_mean_stdev(out)[0] == pytest.approx(201)
    # Many answers are short (a heavy lower tail), none longer than the client keeps.
    assert out.max == 2044
    grid = token_length_grid(out)
    assert (grid < 20).mean() > 0.05 and grid.max() <= 2044


def sharegpt_case_scenario(**fields: object) -> ServingScenario:
    """A ShareGPT open loop of Llama 3.1 8B on one H100 (GPUStack's means), ``fields`` added
    to its scenario (a client, ``ignore_eos``)."""
    sharegpt: dict[str, object] = {
        "input_tokens": 342,
        "output_tokens": 281,
        "dataset": "sharegpt",
        "load": {"kind": "request_rate", "value": 4, "arrival": "constant"},
    }
    scenario = llama_8b_h100_scenario(**{**sharegpt, **fields})
    case = parse_case({"id": "c", "scenario": scenario})
    return scenario_from_case(case, InMemoryCatalog(gpus=[h100()]))


def test_a_client_that_ignores_eos_generates_sharegpt_answers_in_full() -> None:
    """vllm bench serve lets the model stop early (the skewed default); SGLang's client and
    GuideLLM generate every reference answer in full (CV 1.25); GPUStack's benchmark feeds
    GuideLLM its own sample of ShareGPT, whose answers stop near 3x their mean."""
    default = sharegpt_case_scenario().output_tokens
    assert default == sharegpt_case_scenario(client="vllm-bench").output_tokens
    assert default.stdev / default.mean == 2.0 and default.max == 2044
    for fields in (
        {"client": "sglang-bench"},
        {"client": "guidellm"},
        {"client": "vllm-bench", "ignore_eos": True},
    ):
        forced = sharegpt_case_scenario(**fields).output_tokens
        assert clipped_mean_stdev(forced)[0] == pytest.approx(281)
        assert forced.stdev / forced.mean == pytest.approx(1.25)
        assert forced.max == 2044
    gpustack = sharegpt_case_scenario(client="gpustack-benchmark").output_tokens
    assert gpustack.stdev / gpustack.mean == pytest.approx(0.78)
    assert gpustack.max == math.ceil(281 * 3.0)
    stops = sharegpt_case_scenario(client="sglang-bench", ignore_eos=False).output_tokens
    assert stops == default
    # The prompts are sampled alike; a fixed-length dataset has nothing to generate in full.
    assert sharegpt_case_scenario(client="gpustack-benchmark").prompt_tokens == (
        sharegpt_case_scenario().prompt_tokens
    )
    fixed = sharegpt_case_scenario(client="guidellm", dataset="fixed").output_tokens
    assert fixed.kind == "fixed"


def test_an_unknown_client_is_named_in_the_error() -> None:
    with pytest.raises(InputError, match="client"):
        sharegpt_case_scenario(client="locust")


def test_token_distribution_hard_cap_never_cuts_below_the_mean() -> None:
    assert token_distribution(200, 1.0).max == 4000
    assert token_distribution(200, 1.0, hard_max=1000).max == 1000
    assert token_distribution(200, 1.0, hard_max=100).max == 200
    assert token_distribution(200, 0.0, hard_max=100).kind == "fixed"


def test_sglang_random_lengths_are_spread_up_to_twice_the_mean() -> None:
    """SGLang's random dataset draws lengths uniformly up to the nominal one (its default
    range ratio 0): the case's realized means, CV 1/√3, none beyond twice the mean."""
    record = record_of(
        input_tokens=500,
        output_tokens=504,
        dataset="sglang-random",
        load={"kind": "concurrency", "value": 100, "num_prompts": 500},
    )
    scenario = scenario_of_record(record)
    for dist, mean in ((scenario.prompt_tokens, 500), (scenario.output_tokens, 504)):
        assert dist.kind == "lognormal" and clipped_mean_stdev(dist)[0] == pytest.approx(mean)
        assert dist.stdev / dist.mean == pytest.approx(1 / 3**0.5)
        assert dist.max == 2 * mean
    assert token_distribution(504, 0.5, max_to_mean=2.0).max == 1008


@pytest.mark.parametrize(
    ("version", "precision", "dequantized"),
    [
        ("May 2024 snapshot (CUDA 12.1.1)", "int4", True),
        ("Dec 2023 snapshot", "int4", True),
        ("June 2024 build", "int4", None),
        (None, "int4", None),
        ("May 2024 snapshot (CUDA 12.1.1)", "fp16", None),
    ],
)
def test_llamacpp_builds_before_tensor_core_mmq_dequantize_their_prompts(
    version: str | None, precision: str, dequantized: bool | None
) -> None:
    # llama.cpp ran quantized prompt matmuls as FP16 cuBLAS on dequantized weights until its
    # int8 tensor-core MMQ kernels (June 2024); a build's date says which path it took.
    record = record_of(
        engine="llama.cpp",
        engine_version=version,
        precision=precision,
        load={"kind": "concurrency", "value": 1},
        metrics={"prefill_tokens_per_s_single_stream": 1000.0},
    )
    settings = scenario_of_record(record).engine_settings
    assert (settings.dequantized_prefill if settings else None) is dequantized


def test_a_record_s_shared_prefixes_reach_its_scenario() -> None:
    prefixed = scenario_of_record(record_of(shared_prefix_tokens=128, prefix_count=8))
    assert (prefixed.shared_prefix_tokens, prefixed.prefix_count) == (128, 8)
    plain = scenario_of_record(record_of())
    assert (plain.shared_prefix_tokens, plain.prefix_count) == (0, 1)


def test_a_record_s_checkpoint_prices_its_fp8_matmuls() -> None:
    arch = architecture_from_model_config(LLAMA_8B_CONFIG).model_copy(
        update={"fp8_weight_block": 128}
    )

    def block_of(record: BenchmarkRecord) -> int | None:
        case = case_from_record(record)
        case = case.model_copy(
            update={"scenario": case.scenario.model_copy(update={"model_config_": arch})}
        )
        return scenario_from_case(case, InMemoryCatalog(gpus=[h100()])).model.fp8_weight_block

    fp8 = {"model": "Qwen/Q", "precision": "fp8"}
    assert block_of(record_of(**fp8)) == 128
    # AIConfigurator names the 16-bit checkpoint its engines quantized as they loaded it.
    assert block_of(record_of(**fp8, checkpoint="Qwen/Q")) is None
    # A command line's checkpoint is the one served.
    served = "vllm serve Qwen/Q-FP8"
    assert block_of(record_of(**fp8, checkpoint="Qwen/Q", engine_args=served)) == 128
    assert block_of(record_of(**fp8, engine_args="vllm serve Qwen/Q --quantization fp8")) is None
