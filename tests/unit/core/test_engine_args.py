"""Engine command lines → the settings the performance engine honours."""

from __future__ import annotations

import re

import pytest
from tests.perf_fixtures import h100, llama_8b, mixtral
from tests.unit.core.test_perf_cases import LLAMA_8B_CONFIG

from predeploy.core.benchmarks import scenario_from_case
from predeploy.core.cases import parse_case
from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.engine_args import (
    expert_sharing_ranks,
    parse_engine_args,
    served_checkpoint,
    vllm_shards_experts,
)
from predeploy.core.errors import InputError
from predeploy.core.roofline import step_shape
from predeploy.core.sglang_defaults import sglang_default_running_requests
from predeploy.core.types import Engine, KvCacheDtype
from predeploy.core.workload import PreparedScenario, prepare


def test_vllm_flags_in_both_spellings() -> None:
    s = parse_engine_args(
        "vllm serve openai/gpt-oss-120b --max-model-len 32768 --max-num-batched-tokens 4096 "
        "--max_num_seqs=64 --gpu-memory-utilization 0.85 --kv-cache-dtype fp8_e4m3 "
        "--no-enable-chunked-prefill --async-scheduling  [result variant: ShareGPT batch size 4]"
    )
    assert (s.max_num_batched_tokens, s.max_num_seqs, s.gpu_memory_utilization) == (4096, 64, 0.85)
    assert s.kv_cache_dtype == KvCacheDtype.FP8 and s.chunked_prefill is False
    # vLLM's async scheduling is an overlap scheduler: modelled (replies one step late).
    assert s.overlap_scheduling is True and s.unmodelled == ()
    assert parse_engine_args("vllm serve m --no-async-scheduling").overlap_scheduling is False
    # API-server processes side by side (vLLM 0.9.1 and later); 0 runs headless, no server.
    assert parse_engine_args("vllm serve m --api-server-count 4").api_server_count == 4
    with pytest.raises(InputError, match="--api-server-count '0' is not a positive whole"):
        parse_engine_args("vllm serve m --api-server-count 0")


@pytest.mark.parametrize(
    ("command", "speculative"),
    [
        ("python3 -m sglang.launch_server --model-path m --speculative-algo NEXTN", True),
        ("vllm serve m --speculative-config '{\"method\": \"eagle3\"}'", True),
        ("python3 -m sglang.launch_server --model-path m --speculative-num-steps 2", None),
        ("vllm serve m --max-num-seqs 64", None),
    ],
)
def test_speculative_decoding_is_noted_by_its_method_flag(
    command: str, speculative: bool | None
) -> None:
    settings = parse_engine_args(command)
    assert settings.speculative_decoding is speculative
    assert ("--speculative-*" in settings.unmodelled) is ("speculative" in command)


def test_an_unambiguous_abbreviation_is_read_as_its_flag() -> None:
    """SGLang's own benchmark commands write ``--mem-frac``; argparse expands it."""
    s = parse_engine_args(
        "python3 -m sglang.launch_server --model-path m --tp-size 8 --mem-frac 0.87 "
        "--max-running 64 --max 5 --chunked 4096"
    )
    assert s.gpu_memory_utilization == 0.87 and s.max_num_seqs == 64
    # --max abbreviates several flags and is left alone, as is anything too short to guess.
    assert s.max_num_batched_tokens == 4096
    assert parse_engine_args("vllm serve m --max-num 8").max_num_seqs is None


def test_llama_cpp_micro_batch_and_slots() -> None:
    """llama-bench's ``-ub`` is the token budget of a step (its physical micro-batch), a
    server's ``-np``/``--parallel`` its sequence slots; its other short flags are not settings."""
    bench = parse_engine_args("llama-bench -m m.gguf -fa 1 -d 0,4096 -p 2048 -n 32 -ub 2048")
    assert (bench.max_num_batched_tokens, bench.max_num_seqs) == (2048, None)
    server = parse_engine_args("llama-server -m m.gguf --ubatch-size 1024 --parallel 4")
    assert (server.max_num_batched_tokens, server.max_num_seqs) == (1024, 4)
    assert parse_engine_args("llama-server -m m.gguf -np 8").max_num_seqs == 8


def test_sglang_and_trtllm_flags() -> None:
    s = parse_engine_args(
        "python3 -m sglang.launch_server --model-path Qwen/Qwen3-14B-FP8 --chunked-prefill-size -1 "
        "--max-running-requests 128 --mem-fraction-static 0.8 --enable-mixed-chunk "
        "--enable-dp-attention --speculative-algorithm EAGLE --speculative-num-steps 1 "
        "--disable-overlap-schedule"
    )
    assert s.chunked_prefill is False and s.max_num_batched_tokens is None  # -1: no chunking
    assert (s.max_num_seqs, s.gpu_memory_utilization) == (128, 0.8)
    assert s.separate_prefill_batches is False and s.expert_parallel is True
    assert s.overlap_scheduling is False
    assert s.speculative_decoding is True
    assert s.unmodelled == ("--speculative-*",)
    t = parse_engine_args(
        "trtllm-serve Qwen/Qwen3-14B --max_num_tokens=16384 --max_batch_size 256 "
        "--kv_cache_free_gpu_memory_fraction 0.95 --enable_chunked_prefill --ep_size 8"
    )
    assert (t.max_num_batched_tokens, t.max_num_seqs, t.free_memory_fraction) == (16384, 256, 0.95)
    assert t.chunked_prefill is True and t.unmodelled == ()
    assert t.expert_parallel_size == 8
    streamed = parse_engine_args("vllm serve m --stream-interval 10")
    assert streamed.stream_interval == 10 and streamed.unmodelled == ()
    # trtllm-bench throughput and gptManagerBenchmark spell it ``mem``.
    bench = parse_engine_args("trtllm-bench throughput --kv_cache_free_gpu_mem_fraction 0.9")
    assert bench.free_memory_fraction == 0.9


@pytest.mark.parametrize(
    ("command", "limit"),
    [
        ("python3 -m sglang.launch_server --model-path m --cuda-graph-max-bs 512", 512),
        ("python3 -m sglang.launch_server --model-path m --disable-cuda-graph", 0),
        ("vllm serve m --enforce-eager", 0),
        ("vllm serve m --max-cudagraph-capture-size 128", 128),
        # vLLM 0.9-0.10: one size captures up to it; a list's largest size is the cap.
        ("vllm serve m --cuda-graph-sizes 4232", 4232),
        ("vllm serve m --cuda-graph-sizes 1 2 4 8 512 --max-num-seqs 64", 512),
        ("vllm serve m --cuda_graph_sizes=256", 256),
        ("vllm serve m", None),
    ],
)
def test_cuda_graph_limits_are_read_not_left_unmodelled(command: str, limit: int | None) -> None:
    settings = parse_engine_args(command)
    assert settings.cuda_graph_max_batch == limit
    assert settings.unmodelled == ()


def test_a_list_of_capture_sizes_keeps_the_flags_after_it() -> None:
    s = parse_engine_args("vllm serve m --cuda-graph-sizes 8 16 --max-num-seqs 64")
    assert (s.cuda_graph_max_batch, s.max_num_seqs) == (16, 64)


def test_prefill_chunking_limits_per_request_are_listed_as_unmodelled() -> None:
    s = parse_engine_args(
        "vllm serve m --long-prefill-token-threshold 256 --max-num-partial-prefills 1"
    )
    assert s.unmodelled == ("--long-prefill-token-threshold", "--max-num-partial-prefills")


def test_nothing_stated_changes_nothing() -> None:
    s = parse_engine_args("vllm serve Qwen/Qwen3-14B --host 0.0.0.0 --port 8000 -tp 2")
    assert s.model_dump(exclude_defaults=True) == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("vllm serve m --max-num-seqs lots", "--max-num-seqs 'lots' is not a positive whole"),
        ("vllm serve m --max-num-seqs 0", "--max-num-seqs '0' is not a positive whole"),
        ("vllm serve m --gpu-memory-utilization 1.5", "is not a share in (0, 1]"),
        ("vllm serve m --kv-cache-dtype int3", "--kv-cache-dtype 'int3' is not a KV-cache"),
        ("vllm serve m --max-num-batched-tokens", "--max-num-batched-tokens needs a value"),
        ("vllm serve 'unclosed", "cannot split"),
        ("vllm serve m --cuda-graph-sizes 0", "--cuda-graph-sizes '0' is not a positive whole"),
        ("m --scheduler_policy fifo", "--scheduler-policy 'fifo' is not a capacity-scheduler"),
        ("vllm serve m --performance-mode fast", "--performance-mode 'fast' is not a performance"),
    ],
)
def test_bad_values_name_the_flag(args: str, message: str) -> None:
    with pytest.raises(InputError, match="engine_args: .*" + re.escape(message)):
        parse_engine_args(args)


@pytest.mark.parametrize(
    ("args", "reserve", "unmodelled"),
    [
        ("gptManagerBenchmark --scheduler_policy max_utilization", False, ()),
        ("gptManagerBenchmark --scheduler_policy=guaranteed_no_evict", True, ()),
        ("m --capacity_scheduler_policy MAX_UTILIZATION", False, ()),
        ("m --scheduler_policy static_batch", None, ("--scheduler-policy static_batch",)),
    ],
)
def test_the_capacity_scheduler_policy_says_whether_admission_reserves_the_context(
    args: str, reserve: bool | None, unmodelled: tuple[str, ...]
) -> None:
    settings = parse_engine_args(args)
    assert settings.reserve_full_context is reserve and settings.unmodelled == unmodelled


def _case(engine_args: str | None) -> dict[str, object]:
    scenario: dict[str, object] = {
        "model": "m/llama-8b", "model_config": LLAMA_8B_CONFIG, "precision": "bf16",
        "gpu": "H100-SXM", "gpu_count": 1, "tp": 1, "engine": "vllm",
        "engine_version": "v0.11.0", "input_tokens": 1000, "output_tokens": 100,
        "load": {"kind": "burst", "num_prompts": 500},
    }
    if engine_args is not None:
        scenario["engine_args"] = engine_args
    return {"id": "c", "scenario": scenario}


def test_a_case_is_predicted_with_the_settings_it_states() -> None:
    catalog = InMemoryCatalog(gpus=[h100()])
    default = prepare(scenario_from_case(parse_case(_case(None)), catalog))
    stated = prepare(
        scenario_from_case(
            parse_case(
                _case(
                    "vllm serve m --max-num-batched-tokens 2048 --max-num-seqs 64 "
                    "--gpu-memory-utilization 0.5 --kv-cache-dtype fp8"
                )
            ),
            catalog,
        )
    )
    assert (default.settings.max_num_seqs, default.settings.max_num_batched_tokens) == (1024, 8192)
    assert (stated.settings.max_num_seqs, stated.settings.max_num_batched_tokens) == (64, 2048)
    assert stated.settings.gpu_memory_utilization == 0.5
    assert stated.settings.kv_cache_dtype == KvCacheDtype.FP8
    # Half the memory share (weights take the same) outweighs the halved bytes per token.
    assert stated.kv_capacity_tokens < default.kv_capacity_tokens


def _limits(engine_args: str, engine: str = "vllm", version: str = "v0.17.1") -> tuple[int, int]:
    case = _case(engine_args)
    case["scenario"].update(engine=engine, engine_version=version)  # type: ignore[attr-defined]
    catalog = InMemoryCatalog(gpus=[h100()])
    settings = prepare(scenario_from_case(parse_case(case), catalog)).settings
    return settings.max_num_seqs, settings.max_num_batched_tokens


@pytest.mark.parametrize(
    ("args", "limits"),
    [
        ("vllm serve m", (1024, 8192)),
        ("vllm serve m --performance-mode balanced", (1024, 8192)),
        ("vllm serve m --performance-mode interactivity", (1024, 8192)),
        # Throughput mode doubles both defaults on the H100 (vLLM 0.17+)...
        ("vllm serve m --performance-mode=throughput", (2048, 16384)),
        # ... but never a limit the command line states.
        ("vllm serve m --performance-mode throughput --max-num-seqs 512", (512, 16384)),
        ("vllm serve m --performance-mode throughput --max-num-batched-tokens 4096", (2048, 4096)),
    ],
)
def test_vllm_throughput_mode_doubles_the_batch_limits_it_is_not_told(
    args: str, limits: tuple[int, int]
) -> None:
    settings = parse_engine_args(args)
    assert settings.unmodelled == ()
    # A current release, and one whose other defaults predate 0.20 (the flag is read alike).
    assert _limits(args) == _limits(args, version="v0.11.0") == limits


def test_throughput_mode_is_vllms_alone() -> None:
    assert _limits("trtllm-serve m --performance-mode throughput", "trtllm") == _limits(
        "trtllm-serve m", "trtllm"
    )


def _trtllm(engine_args: str) -> PreparedScenario:
    """The ``_case`` burst on TensorRT-LLM with ``engine_args``, prepared."""
    case = _case(engine_args)
    case["scenario"]["engine"] = "trtllm"  # type: ignore[index]
    return prepare(scenario_from_case(parse_case(case), InMemoryCatalog(gpus=[h100()])))


def test_a_share_of_free_memory_is_read_as_such() -> None:
    half = _trtllm("trtllm-serve m --kv_cache_free_gpu_memory_fraction 0.5")
    default = _trtllm("trtllm-serve m")
    # TensorRT-LLM's default is 0.9 of what the weights leave: 0.5 holds ~5/9 of the tokens.
    assert half.kv_capacity_tokens / default.kv_capacity_tokens == pytest.approx(5 / 9, rel=0.03)


def test_a_max_utilization_trtllm_run_grows_its_kv_instead_of_reserving_it() -> None:
    default = _trtllm("trtllm-serve m")
    growing = _trtllm("trtllm-serve m --scheduler_policy max_utilization")
    assert default.reserve_full_context is True and growing.reserve_full_context is False


MIXTRAL_CONFIG = {
    "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
    "num_key_value_heads": 8, "intermediate_size": 14336, "moe_intermediate_size": 14336,
    "vocab_size": 32000, "total_params_b": 46.7, "active_params_b": 12.9, "num_experts": 8,
    "experts_per_tok": 2, "max_position_embeddings": 32768,
}


def _moe_case(engine: str, load: dict[str, object], args: str | None) -> dict[str, object]:
    case = _case(args)
    case["scenario"].update(  # type: ignore[union-attr]
        {"model": "m/mixtral", "model_config": MIXTRAL_CONFIG, "engine": engine, "tp": 4,
         "gpu_count": 4, "load": load}
    )
    return case


def test_data_parallel_attention_spreads_the_experts() -> None:
    catalog = InMemoryCatalog(gpus=[h100()])
    burst = {"kind": "burst", "num_prompts": 500}
    dp = prepare(scenario_from_case(parse_case(_moe_case(
        "sglang", burst, "python3 -m sglang.launch_server --tp 4 --dp 4 --enable-dp-attention"
    )), catalog))
    tp = prepare(scenario_from_case(parse_case(_moe_case("sglang", burst, None)), catalog))
    assert dp.expert_parallel and not tp.expert_parallel
    assert dp.shape.sequence_share == 0.25 and dp.shape.allreduces_per_stage == 32
    # Every attention rank schedules its own batch: the replica's request limit is four times
    # a rank's, whose running requests SGLang sizes from the rank's share of the KV pool (and
    # Mixtral's 32,768-token context). The prefill budget is split over the ranks, not
    # multiplied: each takes a quarter of ``--chunked-prefill-size``.
    per_rank = sglang_default_running_requests(dp.memory.kv_capacity_tokens / 4, 32_768)
    assert dp.settings.max_num_seqs == 4 * per_rank
    assert dp.settings.max_num_batched_tokens == tp.settings.max_num_batched_tokens
    trtllm = prepare(scenario_from_case(parse_case(_moe_case(
        "trtllm", burst, "trtllm-serve m/mixtral --tp_size 4 --enable_attention_dp"
    )), catalog))
    assert trtllm.expert_parallel
    plain = prepare(scenario_from_case(parse_case(_moe_case("trtllm", burst, None)), catalog))
    assert trtllm.settings.max_num_batched_tokens == 4 * plain.settings.max_num_batched_tokens


@pytest.mark.parametrize(
    ("version", "command", "wide"),
    [
        # SGLang reads --dp-size (default 1, which switches --enable-dp-attention off) ...
        ("v0.5.3", "python3 -m sglang.launch_server --tp 4 --enable-dp-attention", False),
        ("v0.5.3", "python3 -m sglang.launch_server --tp 4 --dp 4 --enable-dp-attention", True),
        ("v0.5.6", "python3 -m sglang.launch_server --tp-size 4 --dp-size=4 --enable-dp-attention",
         True),
        (None, "python3 -m sglang.launch_server --tp 4 --enable-dp-attention", False),
        # ... where v0.4.0-v0.4.3 set dp_size = tp_size with the flag.
        ("0.4.3.post2", "python3 -m sglang.launch_server --tp 4 --enable-dp-attention", True),
    ],
)
def test_sglang_data_parallel_attention_needs_its_ranks(
    version: str | None, command: str, wide: bool
) -> None:
    case = _moe_case("sglang", {"kind": "burst", "num_prompts": 500}, command)
    case["scenario"]["engine_version"] = version  # type: ignore[index]
    scenario = scenario_from_case(parse_case(case), InMemoryCatalog(gpus=[h100()]))
    assert prepare(scenario).expert_parallel is wide
    assert scenario.tp == 4 and scenario.replicas == 1


@pytest.mark.parametrize(
    ("command", "stated_tp", "tp", "wide", "replicas"),
    [
        # vLLM's data-parallel ranks sharing their experts: one group of tp × dp GPUs.
        ("vllm serve m/mixtral -tp 1 -dp 4 --enable-expert-parallel", 1, 4, True, 1),
        ("vllm serve m/mixtral --data-parallel-size=2 --enable-expert-parallel", 2, 4, True, 1),
        # Without expert parallelism too: "by default, expert layers form a tensor parallel
        # group of size DP x TP" (vLLM's Data Parallel Deployment guide), sharded, not spread.
        ("vllm serve m/mixtral -tp 1 -dp 4", 1, 4, True, 1),
    ],
)
def test_vllm_data_parallel_ranks_of_a_moe_model_are_one_wide_group(
    command: str, stated_tp: int, tp: int, wide: bool, replicas: int
) -> None:
    case = _moe_case("vllm", {"kind": "burst", "num_prompts": 500}, command)
    case["scenario"].update({"tp": stated_tp})  # type: ignore[union-attr]
    scenario = scenario_from_case(parse_case(case), InMemoryCatalog(gpus=[h100()]))
    assert (scenario.tp, scenario.expert_parallel, scenario.replicas) == (tp, wide, replicas)
    stated = parse_engine_args(command)
    assert stated.data_parallel_size in (2, 4)
    sharded = vllm_shards_experts(Engine.VLLM, stated)
    assert sharded is ("--enable-expert-parallel" not in command)
    shape = prepare(scenario).shape
    # Sharded experts are a quarter as wide per GPU, and every token's hidden state goes to
    # every GPU; spread ones stay whole and go only where a token's experts are.
    spread = step_shape(scenario.model, scenario.precision, 4, expert_parallel=True)
    assert shape.expert_width == pytest.approx(spread.expert_width / (4 if sharded else 1))
    assert (shape.allreduce_bytes_per_token > spread.allreduce_bytes_per_token) is sharded
    assert shape.dense_bytes == pytest.approx(spread.dense_bytes)


def test_a_dense_models_data_parallel_ranks_are_replicas() -> None:
    stated = parse_engine_args("vllm serve m -dp 4")
    assert expert_sharing_ranks(Engine.VLLM, llama_8b(), stated) == 1
    assert expert_sharing_ranks(Engine.SGLANG, mixtral(), stated) == 1


def test_short_flags_other_than_dp_stay_unread() -> None:
    """``-tp``/``-pp`` are the scenario's fields; a value like ``-1`` stays a value."""
    stated = parse_engine_args("vllm serve m -tp 8 -pp 2 --chunked-prefill-size -1")
    assert stated.data_parallel_size is None and stated.chunked_prefill is False


@pytest.mark.parametrize(
    ("engine", "command", "groups"),
    [
        ("sglang", "python3 -m sglang.launch_server --tp 4 --ep 4", 4),
        ("sglang", "python3 -m sglang.launch_server --tp 4 --ep-size 2", 2),
        ("sglang", "python3 -m sglang.launch_server --tp 4 --expert-parallel-size=4", 4),
        ("vllm", "vllm serve m/mixtral -tp 4 --enable-expert-parallel", 4),
        ("trtllm", "trtllm-serve m/mixtral --tp_size 4 --ep_size 8", 4),  # capped at tp
        ("sglang", "python3 -m sglang.launch_server --tp 4", 1),
        # Data-parallel attention spreads the experts its own way (wide EP).
        ("sglang", "python3 -m sglang.launch_server --tp 4 --ep 4 --dp 4 --enable-dp-attention", 1),
    ],
)
def test_expert_parallel_flags_spread_the_experts_over_groups(
    engine: str, command: str, groups: int
) -> None:
    catalog = InMemoryCatalog(gpus=[h100()])
    burst = {"kind": "burst", "num_prompts": 500}
    prepared = prepare(scenario_from_case(parse_case(_moe_case(engine, burst, command)), catalog))
    assert prepared.expert_groups == groups
    assert (prepared.shape.expert_spread > 0.0) == (groups > 1)
    assert parse_engine_args(command).unmodelled == ()


def _wide_ep(engine: str, load: dict[str, object], version: str) -> bool:
    case = _moe_case(engine, load, None)
    case["scenario"]["engine_version"] = version  # type: ignore[index]
    catalog = InMemoryCatalog(gpus=[h100()])
    return prepare(scenario_from_case(parse_case(case), catalog)).expert_parallel


def test_trtllm_bench_moe_throughput_runs_are_read_as_wide_ep() -> None:
    offline: dict[str, object] = {"kind": "max_throughput"}
    burst: dict[str, object] = {"kind": "burst", "num_prompts": 500}
    assert _wide_ep("trtllm", offline, "1.0.0")
    assert not _wide_ep("trtllm", burst, "1.0.0")
    assert not _wide_ep("vllm", offline, "v0.11.0")


@pytest.mark.parametrize(
    ("version", "wide"), [("0.10.0", False), ("0.17", False), ("v1.0 docs", True), ("1.2.0", True)]
)
def test_trtllm_releases_before_1_0_ran_moe_throughput_tensor_parallel(
    version: str, wide: bool
) -> None:
    assert _wide_ep("trtllm", {"kind": "max_throughput"}, version) is wide


def test_multi_step_scheduling_flags() -> None:
    assert parse_engine_args("vllm serve m --num-scheduler-steps 8").scheduler_steps == 8
    sglang = "python3 -m sglang.launch_server --num-continuous-decode-steps 4"
    assert parse_engine_args(sglang).scheduler_steps == 4
    with pytest.raises(InputError, match="num-scheduler-steps"):
        parse_engine_args("vllm serve m --num-scheduler-steps 0")


@pytest.mark.parametrize(
    ("version", "command", "interval"),
    [
        # Before 0.6.3 (vLLM pull request 9047) a multi-step run streamed its steps' tokens in
        # one chunk; from 0.6.3 every token as decoded; a stated interval wins.
        ("0.6.0", "vllm serve m --num-scheduler-steps 10", 10),
        ("0.6.3", "vllm serve m --num-scheduler-steps 10", 1),
        ("0.6.0", "vllm serve m", 1),
        ("0.6.0", "vllm serve m --num-scheduler-steps 10 --stream-interval 2", 2),
        (None, "vllm serve m --num-scheduler-steps 10", 1),
    ],
)
def test_early_multi_step_vllm_streams_its_steps_in_one_chunk(
    version: str | None, command: str, interval: int
) -> None:
    case = _case(command)
    case["scenario"]["engine_version"] = version  # type: ignore[index]
    scenario = scenario_from_case(parse_case(case), InMemoryCatalog(gpus=[h100()]))
    assert prepare(scenario).stream_interval == interval


@pytest.mark.parametrize(
    ("engine", "version", "command", "overlap"),
    [
        # The overlap scheduler belongs to TensorRT-LLM's PyTorch backend, the default from 1.0;
        # earlier releases (Triton's tensorrtllm backend, gptManagerBenchmark) ran TensorRT
        # engines; ``--backend`` says which whatever the release.
        ("trtllm", "0.14.0", "trtllm-serve m", False),
        ("trtllm", "0.17", "trtllm-serve m", False),
        ("trtllm", "1.0.0", "trtllm-serve m", True),
        ("trtllm", None, "trtllm-serve m", True),
        ("trtllm", "1.2.0", "trtllm-serve m --backend tensorrt", False),
        ("trtllm", "1.2.0", "trtllm-serve m --backend pytorch", True),
        ("trtllm", "0.17", "trtllm-serve m --backend pytorch", False),
        ("trtllm", "0.14.0", "trtllm-serve m --disable-overlap-schedule", False),
        # SGLang's overlap scheduler became the default in 0.3.6 (pull request 2067); earlier
        # releases ran it only when asked.
        ("sglang", "0.3.0", "sglang.launch_server --model-path m --tp 4", False),
        ("sglang", "0.3.5", "sglang.launch_server --model-path m --enable-overlap-schedule", True),
        ("sglang", "0.3.6", "sglang.launch_server --model-path m", True),
        ("sglang", "v0.5.4.post2", "sglang.launch_server --model-path m", True),
        ("sglang", "v0.5.4", "sglang.launch_server --disable-overlap-schedule", False),
        ("sglang", None, "sglang.launch_server --model-path m", True),
    ],
)
def test_releases_before_the_overlap_default_reply_in_the_step_that_computed(
    engine: str, version: str | None, command: str, overlap: bool
) -> None:
    case = _case(command)
    case["scenario"]["engine"] = engine  # type: ignore[index]
    case["scenario"]["engine_version"] = version  # type: ignore[index]
    scenario = scenario_from_case(parse_case(case), InMemoryCatalog(gpus=[h100()]))
    assert prepare(scenario).overlap_scheduling is overlap


def test_backend_of_another_engine_changes_nothing() -> None:
    assert parse_engine_args("vllm serve m --backend vllm").overlap_scheduling is None


@pytest.mark.parametrize(
    ("command", "checkpoint"),
    [
        ("trtllm-serve Qwen/Qwen3-32B-FP8 --max_seq_len=40960", "Qwen/Qwen3-32B-FP8"),
        ("vllm serve openai/gpt-oss-120b -tp 2", "openai/gpt-oss-120b"),
        ("sglang.launch_server --model-path deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1"),
        ("python3 -m sglang.launch_server --model=zai-org/GLM-4.5-Air", "zai-org/GLM-4.5-Air"),
        ("vllm serve --help", None),
        ("--max-num-seqs 8", None),
    ],
)
def test_served_checkpoint(command: str, checkpoint: str | None) -> None:
    assert served_checkpoint(command) == checkpoint


def test_quantized_trtllm_runs_get_an_fp8_kv_cache_only_from_modelopt_checkpoints() -> None:
    """NVIDIA's ModelOpt checkpoints carry an fp8 KV cache; Qwen's block-FP8 one does not."""
    catalog = InMemoryCatalog(gpus=[h100()])

    def kv(args: str | None) -> KvCacheDtype:
        case = _case(args)
        case["scenario"].update({"engine": "trtllm", "precision": "fp8"})  # type: ignore[union-attr]
        return scenario_from_case(parse_case(case), catalog).kv_cache_dtype

    assert kv(None) == KvCacheDtype.FP8
    assert kv("trtllm-serve nvidia/Llama-3.1-8B-Instruct-FP8") == KvCacheDtype.FP8
    assert kv("trtllm-serve Qwen/Qwen3-8B-FP8") == KvCacheDtype.AUTO
    assert kv("trtllm-serve Qwen/Qwen3-8B-FP8 --kv_cache_dtype fp8") == KvCacheDtype.FP8


@pytest.mark.parametrize(
    ("command", "caching"),
    [
        ("vllm serve m --no-enable-prefix-caching", False),
        ("vllm serve m --enable-prefix-caching", True),
        ("python -m sglang.launch_server --model m --disable-radix-cache", False),
        ("lmdeploy serve api_server m --enable-prefix-caching", True),
        ("vllm serve m", None),
    ],
)
def test_prefix_cache_flags_are_read(command: str, caching: bool | None) -> None:
    """The prefix cache decides whether a shared prompt prefix is computed once
    (core.prefix_cache): read, no longer listed as unmodelled."""
    settings = parse_engine_args(command)
    assert settings.prefix_caching is caching and settings.unmodelled == ()
