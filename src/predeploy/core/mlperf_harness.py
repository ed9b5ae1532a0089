"""The engine settings MLPerf Inference harnesses run vLLM with, as their published code states:
AMD's (Instinct GPUs) and Red Hat's (Llama 3.1 8B on an H100 and an L40S).

MLPerf results do not say how the engine was configured, but a closed submission ships its code.
AMD's harness (``closed/<submitter>/code/<benchmark>/harness_llm/models/<model>/
<scenario>_<gpu>.yaml`` in mlcommons/inference_results_v5.1, the same harness in the AMD,
ASUSTeK, GigaComputing, MiTAC and Vultr code directories) starts one vLLM engine per GPU
(``tensor_parallel_size: 1``) with multi-step decoding (``num_scheduler_steps`` 7-13),
whole-prompt prefill (``enable_chunked_prefill: False``), large batches and eager execution
(``enforce_eager``). Those settings decide its latencies: a prompt waits for the running
multi-step run to finish and is then prefilled with every prompt that arrived meanwhile, which
is why its Server TTFT (0.8-1.0 s at the median) is about four times what stock vLLM scheduling
gives at the same load (the MI325X Interactive yaml alone runs vLLM's V1 engine: one step,
chunked prefill). The fit still gives the harness its own time per layer of an eager or
prefill step (``core.calibration_problem.HARNESS_SHIFTS``): it runs AMD's own vLLM build.

:func:`~predeploy.core.published_harness.published_engine_args` gives the command line equivalent
to a submission's yaml, so a case without its own ``engine_args`` is predicted (and fitted) with
them. The table covers vLLM on MI300X and MI325X for Llama 2 70B and Mixtral 8x7B, the benchmarks
and GPUs AMD's v5.1 code has yamls for. Submitters whose yaml is not transcribed here (AMD's own
Llama 2 Server yaml, Dell, MangoBoost's vLLM-based platform) are read with the same yaml, an
assumption; the imported record's provenance names the yaml used.

Red Hat's harness (``closed/RedHat/code``, the Llama 3.1 8B README's "optimized configuration
used during final submission") serves the Server scenario from ``vllm serve`` 0.10.0 and runs
the Offline one in process (vLLM's ``LLM`` class); :data:`REDHAT_HARNESS_CONFIGS` transcribes
its command lines. Their ``--long-prefill-token-threshold 256`` (a prompt prefills at most 256
tokens per step) is not represented: it is listed among a prediction's unmodelled settings.

Not represented in AMD's: the harness's own admission rule (``VLLM_LLAMA2_MLPERF_SCHED``: prefill
held back until 8-13 prompts wait while the decode batch is above a target), whose code is in
AMD's vLLM fork and not published with the results.
"""

from __future__ import annotations

from typing import NamedTuple

from predeploy.core.cases import CaseScenario
from predeploy.core.types import Engine

_REPO = (
    "https://github.com/mlcommons/inference_results_v5.1/blob/"
    "965182b03376a00fcae415c54e560e1c83937932/closed"
)


class HarnessConfig(NamedTuple):
    """A published method's engine settings as a command line, where it is published, and its
    name (for a record's provenance)."""

    engine_args: str
    source_url: str
    name: str = "AMD's MLPerf harness configuration"


def _llama(steps: int, seqs: int, tokens: int, memory: float, chunked: bool = False) -> str:
    chunking = "--enable-chunked-prefill" if chunked else "--no-enable-chunked-prefill"
    return (
        "vllm serve llama2-70b-chat-hf/fp8_quantized --tensor-parallel-size 1 "
        f"--num-scheduler-steps {steps} --max-num-seqs {seqs} --max-num-batched-tokens {tokens} "
        f"{chunking} --gpu-memory-utilization {memory} --enforce-eager"
    )


def _mixtral(steps: int, seqs: int, tokens: int, memory: float, eager: bool) -> str:
    return (
        "vllm serve mixtral-8x7b/fp8_quantized --tensor-parallel-size 1 --kv-cache-dtype fp8 "
        f"--num-scheduler-steps {steps} --max-num-seqs {seqs} --max-num-batched-tokens {tokens} "
        f"--no-enable-chunked-prefill --gpu-memory-utilization {memory}"
        + (" --enforce-eager" if eager else "")
    )


_LLAMA = "code/llama2-70b-99/harness_llm/models/llama2-70b"
_LLAMA_999 = "code/llama2-70b-99.9/harness_llm/models/llama2-70b"
_MIXTRAL = "code/mixtral-8x7b/harness_llm/models/mixtral-8x7b"

#: (MLPerf benchmark without its accuracy suffix, MLPerf scenario, GPU) → the harness's settings.
#: Transcribed from the yamls named (``vllm_engine_config``), mlcommons/inference_results_v5.1.
AMD_HARNESS_CONFIGS: dict[tuple[str, str, str], HarnessConfig] = {
    ("llama2-70b", "Offline", "MI325X"): HarnessConfig(
        _llama(7, 2700, 65536, 0.98), f"{_REPO}/AMD/{_LLAMA}/offline_mi325x.yaml"
    ),
    ("llama2-70b", "Offline", "MI300X"): HarnessConfig(
        _llama(11, 1792, 40960, 0.98), f"{_REPO}/AMD/{_LLAMA_999}/offline_mi300x.yaml"
    ),
    ("llama2-70b", "Server", "MI325X"): HarnessConfig(
        _llama(9, 1024, 40960, 1.0), f"{_REPO}/GigaComputing/{_LLAMA}/server_mi325x.yaml"
    ),
    ("llama2-70b", "Server", "MI300X"): HarnessConfig(
        _llama(9, 650, 40960, 1.0),
        f"{_REPO}/MiTAC/code/mixtral-8x7b/harness_llm/models/llama2-70b/server_mi300x.yaml",
    ),
    ("llama2-70b", "Interactive", "MI325X"): HarnessConfig(
        _llama(1, 3840, 43008, 1.0, chunked=True),
        f"{_REPO}/GigaComputing/{_LLAMA_999}/interactive_mi325x.yaml",
    ),
    ("llama2-70b", "Interactive", "MI300X"): HarnessConfig(
        _llama(8, 600, 40960, 1.0), f"{_REPO}/GigaComputing/{_LLAMA}/interactive_mi300x.yaml"
    ),
    ("mixtral-8x7b", "Offline", "MI325X"): HarnessConfig(
        _mixtral(13, 4736, 51200, 0.96, eager=False), f"{_REPO}/AMD/{_MIXTRAL}/offline_mi325x.yaml"
    ),
    ("mixtral-8x7b", "Offline", "MI300X"): HarnessConfig(
        _mixtral(9, 5000, 51200, 0.97, eager=False),
        f"{_REPO}/GigaComputing/code/llama2-70b-99/harness_llm/models/mixtral-8x7b/"
        "offline_mi300x.yaml",
    ),
    ("mixtral-8x7b", "Server", "MI325X"): HarnessConfig(
        _mixtral(10, 2560, 32000, 0.96, eager=True), f"{_REPO}/AMD/{_MIXTRAL}/server_mi325x.yaml"
    ),
    ("mixtral-8x7b", "Server", "MI300X"): HarnessConfig(
        _mixtral(8, 4096, 32000, 0.99, eager=True),
        f"{_REPO}/MiTAC/code/llama2-70b-99/harness_llm/models/mixtral-8x7b/server_mi300x.yaml",
    ),
}

#: Red Hat's MLPerf Inference v5.1 submissions (XE8640_4xH100_vLLM,
#: IBM_Cloud_gx3-48x240x2l40s_vLLM): the command lines of the harness README in
#: ``closed/RedHat/code`` (the Server runs ``vllm serve``, the Offline runs the harness in process).
_REDHAT_CODE = f"{_REPO}/RedHat/code"


def _redhat(engine_args: str) -> HarnessConfig:
    return HarnessConfig(engine_args, _REDHAT_CODE, "Red Hat's MLPerf harness configuration")


REDHAT_HARNESS_CONFIGS: dict[tuple[str, str, str], HarnessConfig] = {
    ("llama3.1-8b", "Server", "H100-SXM"): _redhat(
        "vllm serve --max-model-len 131072 --max_seq_len_to_capture 1024 --block-size 16 "
        "--gpu-memory-utilization 0.91 --max-num-batched-tokens 1024 --max-num-seqs 512 "
        "--cuda-graph-sizes 4232 --long-prefill-token-threshold 256"
    ),
    ("llama3.1-8b", "Offline", "H100-SXM"): _redhat(
        "SUT_VLLM_SingleReplica.py --max-model-len 131072 --max-num-seqs 1024 "
        "--kv-cache-dtype fp8 --max-num-batched-tokens 4096"
    ),
    ("llama3.1-8b", "Server", "L40S"): _redhat(
        "vllm serve --kv-cache-dtype fp8 --max-model-len 2668 --gpu-memory-utilization 0.96"
    ),
    ("llama3.1-8b", "Offline", "L40S"): _redhat(
        "SUT_VLLM_SingleReplica.py --max-model-len 2668 --kv-cache-dtype fp8 --max-num-seqs 512 "
        "--long-prefill-token-threshold 256 --max-num-partial-prefills 1 "
        "--max-num-batched-tokens 16384 --cuda-graph-sizes 3000 --gpu-memory-utilization 0.95"
    ),
}

_ACCURACY_SUFFIXES = ("-99.9", "-99")


def harness_key(scenario: CaseScenario) -> tuple[str, str, str]:
    """``(benchmark, MLPerf scenario, GPU)`` of an MLPerf case, the benchmark without its
    accuracy target (``llama2-70b-99.9`` → ``llama2-70b``: the harnesses configure both
    targets alike)."""
    benchmark = scenario.mlperf_benchmark or ""
    for suffix in _ACCURACY_SUFFIXES:
        benchmark = benchmark.removesuffix(suffix)
    return benchmark, scenario.mlperf_scenario or "", scenario.gpu


def amd_harness_config(scenario: CaseScenario) -> HarnessConfig | None:
    """The AMD harness's published settings for an MLPerf vLLM submission on an Instinct GPU
    (``None``: not such a submission, or no yaml for its benchmark, scenario and GPU)."""
    if scenario.engine != Engine.VLLM or not scenario.mlperf_benchmark:
        return None
    return AMD_HARNESS_CONFIGS.get(harness_key(scenario))


def redhat_harness_config(scenario: CaseScenario) -> HarnessConfig | None:
    """Red Hat's published vLLM settings for its MLPerf submissions (``None`` otherwise)."""
    if scenario.engine != Engine.VLLM or scenario.mlperf_submitter != "RedHat":
        return None
    key = (scenario.mlperf_benchmark or "", scenario.mlperf_scenario or "", scenario.gpu)
    return REDHAT_HARNESS_CONFIGS.get(key)
