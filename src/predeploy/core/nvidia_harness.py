"""The TensorRT-LLM settings NVIDIA's MLPerf Inference harness runs its LLM benchmarks with, as
its published per-system configurations state.

NVIDIA's closed submissions (and the partners' that reuse its code: ``*_TRT`` systems) serve
Llama 2 70B, Llama 3.1 405B and Mixtral 8x7B from TensorRT engines on TensorRT-LLM's C++
executor (``CoreType.TRTLLM_EXECUTOR``), which returns each token at the end of the step that
computed it (no overlap scheduler); v5.1 serves Llama 3.1 8B through ``trtllm-serve`` on the
PyTorch backend (its README runs the harness with ``--core_type=trtllm_endpoint``), whose
overlap scheduler replies a step late. Each system, scenario and benchmark has its own
configuration (``closed/NVIDIA/configs/<system>/<scenario>/<benchmark>.py``): the layout of
each engine instance (``tensor_parallelism``, ``pipeline_parallelism``), the batch limit
(``gpu_batch_size``), the token budget per step (``max_num_tokens``, which counts the running
batch's decode tokens as well as the prompt chunks: chunked context), the capacity policy
(``max_util``: admit while KV blocks are free, pause requests when the cache fills) and the
KV-cache share.

MLPerf results do not disclose their layout; a case gets the one its system's configuration
states (:func:`~predeploy.core.published_harness.published_layout`), which the smallest-fit
rule of :func:`~predeploy.core.benchmarks.scenario_from_case` does not always find (Llama 3.1
405B Offline runs two-way tensor by two-way pipeline parallel, not four-way tensor parallel). A
partner's ``*_TRT`` system on the same GPU is read with NVIDIA's configuration, an assumption
(the imported record's provenance names the file). The capacity policy is applied to every
MLPerf TensorRT-LLM case (:data:`HARNESS_RESERVES_FULL_CONTEXT`), and so is the C++ executor's
reply at the end of its step (:func:`runs_cpp_executor`). The other scheduler settings are
transcribed but not applied: predicted with them, the scores got worse (docs/perf-validation.md,
sessions 52 and 75). The small budgets give Llama 2 70B's TTFTs the measured spread, but the
model's capacity for it is 12-14 % short of the measured on the B200, so the Server runs it
serves come out past saturation, and Llama 3.1 405B's 9,400-token prompts queue at a
1,536-2,048-token budget as its measured TTFTs do not. MLPerf's TTFTs are left out of the fit
(``core.calibration_problem.EXCLUDED_FROM_FIT``): the Server runs sit near capacity, where the
prefill queue gives the measured TTFT an exponential tail (p99 at 1.8-3.5× the median) the
model does not price, and fitted, those tails slowed TensorRT-LLM's decode steps instead
(session 53, and again in session 75: MLPerf's TPOT 1.02 → 1.05 of the measured, in sample
11.2 → 11.7 %). Nor are these runs a measurement set-up
of their own: fitted offsets of their compute efficiency or time per running sequence fit their
Offline throughputs (12-29 % short with the shared TensorRT-LLM parameters) but, held out by GPU
or configuration, priced their decode steps too fast (docs/perf-validation.md, session 72).

Transcribed: v5.1's own files for the systems and benchmarks the public MLPerf cases hold, all
on NVIDIA's Blackwell systems (8× B200: Llama 2 70B, Llama 3.1 8B and 405B; 4× GB200: Llama 2
70B and Llama 3.1 405B). Hopper configurations exist only in a copy of NVIDIA's code of an
earlier, unstated release (TensorRT 10.8; its B200 Llama 3.1 405B Server file differs from
v5.1's in batch, budget and rate), while most v5.1 Hopper submissions ran TensorRT 10.11: not
used.
"""

from __future__ import annotations

from typing import NamedTuple

from predeploy.core.cases import CaseScenario
from predeploy.core.mlperf_harness import harness_key
from predeploy.core.types import Engine

#: mlcommons/inference_results_v5.1's ``closed/NVIDIA/configs`` tree, as a fork of it holds it.
_V51 = (
    "https://github.com/ykamiset/inference_results_v5.1/blob/"
    "e9ccad4d681ac32678230a488cd690ef6c8b21fa/closed/NVIDIA/configs"
)
NAME = "NVIDIA's MLPerf Inference v5.1 configuration"


class NvidiaConfig(NamedTuple):
    """One configuration file's layout (``tensor_parallelism``, ``pipeline_parallelism``) and
    runtime settings (``gpu_batch_size`` in sequences, the runtime's ``max_num_tokens`` per step
    and ``kvcache_free_gpu_mem_frac``, a share of the memory the weights leave; ``engines``:
    TensorRT engines on the C++ executor, else ``trtllm-serve`` on the PyTorch backend), and its
    address."""

    source_url: str
    max_batch_seqs: int
    max_step_tokens: int
    kv_fraction: float
    tp: int = 1
    pp: int = 1
    engines: bool = True


#: Each system's directory under :data:`_V51`.
_SYSTEM_DIRS = {"B200": "B200-SXM-180GBx8", "GB200": "GB200-NVL72_GB200-186GB_aarch64x4"}


def _config(
    benchmark: str,
    scenario: str,
    gpu: str,
    max_batch_seqs: int,
    max_step_tokens: int,
    kv_fraction: float,
    tp: int = 1,
    pp: int = 1,
    engines: bool = True,
) -> tuple[tuple[str, str, str], NvidiaConfig]:
    """A table entry: its key and the configuration, addressed by the file its key names
    (``<system>/<scenario>/<benchmark with _ for .>.py``)."""
    url = f"{_V51}/{_SYSTEM_DIRS[gpu]}/{scenario}/{benchmark.replace('.', '_')}.py"
    config = NvidiaConfig(url, max_batch_seqs, max_step_tokens, kv_fraction, tp, pp, engines)
    return (benchmark, scenario, gpu), config


#: (benchmark without its accuracy suffix, MLPerf scenario, GPU) → the configuration, as the
#: file named states it (0.99 accuracy target; the 0.999 one's settings are the same).
NVIDIA_HARNESS_CONFIGS: dict[tuple[str, str, str], NvidiaConfig] = dict(
    [
        _config("llama2-70b", "Offline", "B200", 2048, 3584, 0.95),
        _config("llama2-70b", "Server", "B200", 2048, 3584, 0.95),
        _config("llama2-70b", "Interactive", "B200", 768, 768, 0.95),
        _config("llama3.1-405b", "Offline", "B200", 128, 1536, 0.95, tp=2, pp=2),
        _config("llama3.1-405b", "Server", "B200", 256, 2048, 0.95, tp=4),
        _config("llama3.1-405b", "Interactive", "B200", 256, 1536, 0.95, tp=4),
        _config("llama3.1-8b", "Offline", "B200", 6000, 12000, 0.9, engines=False),
        _config("llama3.1-8b", "Server", "B200", 6000, 12000, 0.9, engines=False),
        _config("llama3.1-8b", "Interactive", "B200", 6000, 12000, 0.9, engines=False),
        _config("llama2-70b", "Offline", "GB200", 2048, 3584, 0.95),
        _config("llama2-70b", "Server", "GB200", 2048, 3584, 0.95),
        _config("llama3.1-405b", "Offline", "GB200", 2048, 1536, 0.95, tp=2, pp=2),
        _config("llama3.1-405b", "Server", "GB200", 256, 2048, 0.95, tp=4),
    ]
)


#: The MLPerf benchmarks (as their datasets, ``core.datasets``) NVIDIA's v5.1 harness serves
#: from TensorRT engines on TensorRT-LLM's C++ executor (``CoreType.TRTLLM_EXECUTOR``), which
#: returns each token at the end of the step that computed it: no overlap scheduler. Llama 3.1
#: 8B runs on ``trtllm-serve``'s PyTorch backend (its configurations' ``engines`` is off:
#: :data:`NVIDIA_HARNESS_CONFIGS`) and so does DeepSeek-R1, which TensorRT-LLM serves on that
#: backend alone; both keep its overlap scheduler. The ``*_TRT`` partners' Hopper runs reuse the
#: harness, an assumption. Without the overlap step the Server and Interactive TTFT medians
#: came down from 1.16 to 0.91 of the measured (docs/perf-validation.md, session 75).
CPP_EXECUTOR_DATASETS = frozenset(
    {"mlperf-llama2-70b", "mlperf-llama3.1-405b", "mlperf-mixtral-8x7b"}
)


def runs_cpp_executor(engine: Engine, dataset: str) -> bool:
    """Whether an MLPerf case of ``dataset`` ran NVIDIA's harness on the C++ executor."""
    return engine == Engine.TRTLLM and dataset in CPP_EXECUTOR_DATASETS


#: Whether NVIDIA's harness reserves a request's whole context at admission: no. Its LLM
#: configurations run the engines with ``batch_scheduler_policy: 'max_util'`` (admit while KV
#: blocks are free, pause requests when the cache fills), in v5.1's per-system files
#: (:data:`NVIDIA_HARNESS_CONFIGS`) and in its benchmarks' base configurations (the
#: ``trtllm_runtime_flags`` of e.g. ``configs/llama3_1-405b``'s ``OfflineGPUBaseConfig`` and
#: ``configs/gptj``'s ``ServerGPUBaseConfig``), not TensorRT-LLM's default
#: ``guaranteed_no_evict``. Unlike the other settings it is applied
#: (:func:`~predeploy.core.benchmarks.scenario_from_case`): in sample 11.8 → 11.5 %, MLPerf's
#: TensorRT-LLM TPOT 10.4 → 7.3 % and E2E 10.2 → 7.4 % (docs/perf-validation.md, session 61).
#: Session 40's try of it (in sample 12.6 → 13.5 %) predates the running batch's size-biased
#: answers (session 45) and its KV-limit changes (sessions 58-59).
HARNESS_RESERVES_FULL_CONTEXT = False


def nvidia_harness_config(scenario: CaseScenario) -> NvidiaConfig | None:
    """NVIDIA's published configuration of an MLPerf TensorRT-LLM submission (``None``: not such
    a submission, or no configuration for its benchmark, scenario and GPU)."""
    if scenario.engine != Engine.TRTLLM or not scenario.mlperf_benchmark:
        return None
    return NVIDIA_HARNESS_CONFIGS.get(harness_key(scenario))
