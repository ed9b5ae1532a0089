"""The engine settings a published benchmark ran with, when its cases do not state them.

A case that states its own ``engine_args`` keeps them. Otherwise its source's published method
supplies the command line it ran: AMD's MLPerf harness yamls and Red Hat's harness README
(:mod:`~predeploy.core.mlperf_harness`), and TensorRT-LLM 0.10's performance overview, whose
Methodology section gives one build and one run command for every table entry
(:data:`TRTLLM_V010_PERF_OVERVIEW`). An MLPerf case that does not disclose its layout gets the
one NVIDIA's configuration for its system states (:func:`published_layout`).
"""

from __future__ import annotations

from typing import NamedTuple

from predeploy.core.cases import CaseScenario
from predeploy.core.mlperf_harness import (
    HarnessConfig,
    amd_harness_config,
    redhat_harness_config,
)
from predeploy.core.nvidia_harness import NAME as NVIDIA_CONFIG_NAME
from predeploy.core.nvidia_harness import nvidia_harness_config
from predeploy.core.types import Engine
from predeploy.core.versions import minor_release

#: TensorRT-LLM 0.10's published throughput method (``docs/source/performance/perf-overview.md``,
#: the revision stating "All data in the table below was generated using version 0.10.0",
#: Methodology → Commands): every engine built with ``--max_batch_size 2048 --max_input_len 2048
#: --max_seq_len 6144 --max_num_tokens 2048``, run by ``gptManagerBenchmark --type IFB
#: --scheduler_policy max_utilization --kv_cache_free_gpu_mem_fraction 0.9 --request_rate -1.0
#: --enable_chunked_context --streaming`` on 2,000 requests. Its token budget is a quarter of
#: the 8,192 default, and its capacity scheduler admits while KV blocks are free instead of
#: reserving each request's whole context.
TRTLLM_V010_PERF_OVERVIEW = HarnessConfig(
    engine_args=(
        "trtllm-build --max_batch_size 2048 --max_input_len 2048 --max_seq_len 6144 "
        "--max_num_tokens 2048 --use_paged_context_fmha enable --multiple_profiles enable && "
        "gptManagerBenchmark --type IFB --scheduler_policy max_utilization "
        "--kv_cache_free_gpu_mem_fraction 0.9 --request_rate -1.0 --enable_chunked_context "
        "--streaming"
    ),
    source_url="https://github.com/NVIDIA/TensorRT-LLM/blob/main/docs/source/performance/"
    "perf-overview.md",
    name="the Methodology of TensorRT-LLM's performance overview (revision 'generated using "
    "version 0.10.0')",
)

#: The release whose published performance overview :data:`TRTLLM_V010_PERF_OVERVIEW` describes.
TRTLLM_V010 = (0, 10)


def trtllm_perf_overview_config(scenario: CaseScenario) -> HarnessConfig | None:
    """TensorRT-LLM 0.10's published method for a max-throughput run of that release (``None``
    for other engines, releases and loads)."""
    if scenario.engine != Engine.TRTLLM or scenario.load.kind != "max_throughput":
        return None
    if minor_release(scenario.engine_version) != TRTLLM_V010:
        return None
    return TRTLLM_V010_PERF_OVERVIEW


def published_harness_config(scenario: CaseScenario) -> HarnessConfig | None:
    """The published method a case without its own command line ran with, if one is known."""
    return (
        amd_harness_config(scenario)
        or redhat_harness_config(scenario)
        or trtllm_perf_overview_config(scenario)
    )


def published_engine_args(scenario: CaseScenario) -> str | None:
    """The engine command line a case ran with: its own, else its source's published one."""
    if scenario.engine_args:
        return scenario.engine_args
    config = published_harness_config(scenario)
    return config.engine_args if config else None


class Layout(NamedTuple):
    """Tensor- and pipeline-parallel sizes of each engine instance (``tp`` ``None``: not known,
    the smallest fit decides), and the published configuration they come from (``None``: the
    case's own)."""

    tp: int | None
    pp: int
    source: str | None = None


def published_layout(scenario: CaseScenario) -> Layout:
    """The layout a case ran with: its own when it states its TP, else the one NVIDIA's
    configuration for its MLPerf system states (:mod:`~predeploy.core.nvidia_harness`)."""
    config = None if scenario.tp is not None else nvidia_harness_config(scenario)
    if config is None:
        return Layout(scenario.tp, scenario.pp)
    return Layout(config.tp, config.pp, f"{NVIDIA_CONFIG_NAME} {config.source_url}")
