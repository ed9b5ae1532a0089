"""SGLang's memory and prefill defaults, which it derives from the device's memory.

SGLang sizes three things from the device memory ``M`` (MiB) unless they are stated
(``python/sglang/srt/server_args.py``, ``_handle_gpu_memory_settings``):

* ``chunked_prefill_size``: the token budget of one prefill batch;
* ``cuda_graph_max_bs``: the largest decode batch captured as a CUDA graph;
* ``mem_fraction_static``: the share of memory for weights and the KV pool,
  ``(M − reserved) / M``. Activations and CUDA graphs live in the reserved rest, so unlike vLLM
  the KV pool loses no profiled activation peak (``ModelRunner.profile_max_num_token``:
  KV = free memory after loading − (1 − fraction) × memory before loading).

Two generations of the rule, both transcribed from the source:

* **v0.5.3 and later** (sgl-project/sglang#10975, merged 2025-09-27, and #11076): by device
  memory, ``(chunked_prefill_size, cuda_graph_max_bs)`` is (2048, 8) below 20 GiB,
  (2048, 24 | 80 from TP4) below 35 GiB, (4096, 32 | 160) below 60 GiB, (8192, 256 | 512)
  below 160 GiB and (16384, 512) above; ``reserved = 512 + 1.5 × max(chunk, 2048) +
  2 × cuda_graph_max_bs + 1024 × tp × pp / 8`` MiB, plus ``3 × bs × dp`` (and ``1.5 × bs × dp``
  more when ``bs > 300``) with data-parallel attention. (Later releases add a 10 GiB floor on
  devices over 60 GiB; the buckets already reserve more than that there.)
* **v0.4.8 to v0.5.2** (sgl-project/sglang#7054, merged 2025-06-10): ``reserved`` is
  ``(2.8 + tp·pp/10)`` GiB below 35 GiB, ``(9.5 + tp·pp/2)`` GiB below 90 GiB,
  ``(12 + tp·pp/2)`` GiB below 160 GiB and 32 GiB above, plus 4 GiB with data-parallel
  attention; the chunk is 2048 below 35 GiB, 8192 below 160 GiB and 16384 above.

Issue sgl-project/sglang#29092 reports the resulting 0.828 on an H100 serving Qwen3-32B.

predeploy applies the memory share (with the prefill chunk in effect in its activation term)
and the chunk buckets below 60 GiB (:func:`default_chunked_prefill_size`: 2048 below 35 GiB,
4096 below 60); from 60 GiB the engine profile keeps SGLang's 8192-token chunk. The public
SGLang measurements all ran on 80-141 GB devices, where the rule gives 8192 too; only
AIConfigurator's B200/B300 rows, whose launch arguments are not published, would move to
16384, and with that the held-out error rose (leave one source out 22.5 → 23.1 %,
configuration folds 21.9 → 22.2 %; docs/perf-validation.md). Until session 65 the 8192-token
chunk applied on small devices too, and with it its activation reserve: on a 24 GB L4 the
share came to 0.44 instead of 0.84, and Llama 3.1 8B in FP8 kept 2.4 GB of KV cache where
SGLang keeps about 11.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from predeploy.core.memory import MIN_MEMORY_SHARE, device_bytes
from predeploy.core.types import EngineSettings, GpuSpec
from predeploy.core.versions import release

BYTES_PER_MIB = 2**20
MIB_PER_GIB = 1024


class _Bucket(NamedTuple):
    """SGLang ≥ 0.5.3 on devices with less than ``below_mib`` of memory."""

    below_mib: float
    chunked_prefill_size: int
    graph_bs_below_wide_tp: int
    graph_bs_from_wide_tp: int


class _LegacyBucket(NamedTuple):
    """SGLang v0.4.8-v0.5.2 on devices with less than ``below_mib`` of memory."""

    below_mib: float
    reserved_gib: float
    reserved_gib_per_gpu: float
    chunked_prefill_size: int


SGLANG_BUCKETS: tuple[_Bucket, ...] = (
    _Bucket(20 * MIB_PER_GIB, 2048, 8, 8),
    _Bucket(35 * MIB_PER_GIB, 2048, 24, 80),
    _Bucket(60 * MIB_PER_GIB, 4096, 32, 160),
    _Bucket(160 * MIB_PER_GIB, 8192, 256, 512),
    _Bucket(math.inf, 16384, 512, 512),
)
#: TP size from which SGLang captures the larger CUDA-graph batch range.
SGLANG_WIDE_TP = 4

#: Reserved-memory terms of SGLang ≥ 0.5.3 (MiB): constant metadata, activation MiB per
#: prefill token (of at least 2048), MiB per captured CUDA-graph batch slot, MiB per 8 GPUs
#: of the parallel layout, and with data-parallel attention MiB per slot per rank (1.5 more
#: above 300 slots).
SGLANG_RESERVED_BASE_MIB = 512
SGLANG_ACTIVATION_MIB_PER_TOKEN = 1.5
SGLANG_ACTIVATION_MIN_TOKENS = 2048
SGLANG_GRAPH_MIB_PER_SLOT = 2
SGLANG_PARALLEL_MIB_PER_8_GPUS = 1024
SGLANG_DP_MIB_PER_SLOT = 3
SGLANG_DP_EXTRA_MIB_PER_SLOT = 1.5
SGLANG_DP_EXTRA_ABOVE_SLOTS = 300

SGLANG_LEGACY_BUCKETS: tuple[_LegacyBucket, ...] = (
    _LegacyBucket(35 * MIB_PER_GIB, 2.8, 0.1, 2048),
    _LegacyBucket(90 * MIB_PER_GIB, 9.5, 0.5, 8192),
    _LegacyBucket(160 * MIB_PER_GIB, 12.0, 0.5, 8192),
    _LegacyBucket(math.inf, 32.0, 0.0, 16384),
)
#: ``cuda_graph_max_bs`` before v0.5.3 (server_args.py): 160, and on devices under 25,000 MiB
#: 8 (80 from TP4, "half of the default value 160").
SGLANG_LEGACY_GRAPH_BS = 160
SGLANG_LEGACY_SMALL_DEVICE_MIB = 25_000
SGLANG_LEGACY_SMALL_GRAPH_BS = 8
SGLANG_LEGACY_SMALL_GRAPH_BS_WIDE = 80
#: Extra reserve of v0.4.8-v0.5.2 with data-parallel attention (GiB).
SGLANG_LEGACY_DP_GIB = 4.0
#: The first release with the current rule (sgl-project/sglang#10975).
SGLANG_CURRENT_RULE_SINCE = (0, 5, 3)

#: SGLang's running-request limit when none is stated (model_runner.py,
#: ``max_num_reqs = min(max(int(kv_tokens / context_len * 512), 2048), 4096)``, and the
#: scheduler's ``max_running_requests = min(kv_tokens // 2, max_num_reqs)``): 512 requests per
#: context length the KV pool holds, between 2048 and 4096, and at most half its tokens.
SGLANG_REQUESTS_PER_CONTEXT = 512
SGLANG_MIN_REQUEST_SLOTS = 2048
SGLANG_MAX_REQUEST_SLOTS = 4096


def sglang_default_running_requests(kv_tokens: float, context_len: int) -> int:
    """SGLang's running-request limit for a KV pool of ``kv_tokens`` and a model context of
    ``context_len`` tokens, when the launch command does not state one."""
    slots = int(kv_tokens / max(context_len, 1) * SGLANG_REQUESTS_PER_CONTEXT)
    slots = min(max(slots, SGLANG_MIN_REQUEST_SLOTS), SGLANG_MAX_REQUEST_SLOTS)
    return max(min(slots, int(kv_tokens) // 2), 1)


#: SGLang's ``max_running_requests`` when a speculative-decoding algorithm (EAGLE, EAGLE3, NEXTN,
#: STANDALONE, NGRAM) is on and ``--max-running-requests`` is not stated: server_args.py,
#: ``_handle_speculative_decoding`` (v0.4-0.5), which logs "Max running requests is reset to 48
#: for speculative decoding" and also turns the overlap scheduler off (unless the beta
#: ``SGLANG_ENABLE_SPEC_V2`` is set, which a command line does not show).
SGLANG_SPECULATIVE_MAX_RUNNING_REQUESTS = 48


#: Devices with at least this much memory keep the engine profile's 8192-token prefill chunk
#: (SGLang's own below 160 GiB; 16384 above was evaluated and not kept: module docstring).
SGLANG_PROFILE_CHUNK_FROM_MIB = 60 * MIB_PER_GIB


@dataclass(frozen=True, slots=True)
class SglangDefaults:
    """What SGLang derives from the device when the launch command does not say."""

    chunked_prefill_size: int
    mem_fraction_static: float
    #: The largest decode batch captured as a CUDA graph (``cuda_graph_max_bs``).
    cuda_graph_max_bs: int


def device_mib(gpu: GpuSpec) -> float:
    return device_bytes(gpu) / BYTES_PER_MIB


def sglang_defaults(
    gpu: GpuSpec,
    tp: int,
    pp: int = 1,
    *,
    dp_attention: bool = False,
    chunked_prefill_size: int | None = None,
    legacy: bool = False,
) -> SglangDefaults:
    """SGLang's ``chunked_prefill_size`` and ``mem_fraction_static`` on ``tp × pp`` of ``gpu``.

    ``chunked_prefill_size``: a stated chunk (it then sets the activation reserve);
    ``dp_attention``: data-parallel attention over the ``tp`` ranks; ``legacy``: the rule of
    v0.4.8-v0.5.2 (see the module docstring).
    """
    mem = device_mib(gpu)
    gpus = tp * pp
    if legacy:
        old = next(b for b in SGLANG_LEGACY_BUCKETS if mem < b.below_mib)
        reserved_gib = old.reserved_gib + old.reserved_gib_per_gpu * gpus
        reserved_gib += SGLANG_LEGACY_DP_GIB if dp_attention else 0.0
        chunk = chunked_prefill_size or old.chunked_prefill_size
        return _defaults(mem, reserved_gib * MIB_PER_GIB, chunk, _legacy_graph_bs(mem, tp))
    bucket = next(b for b in SGLANG_BUCKETS if mem < b.below_mib)
    chunk = chunked_prefill_size or bucket.chunked_prefill_size
    wide = tp >= SGLANG_WIDE_TP
    graph_bs = bucket.graph_bs_from_wide_tp if wide else bucket.graph_bs_below_wide_tp
    reserved = (
        SGLANG_RESERVED_BASE_MIB
        + SGLANG_ACTIVATION_MIB_PER_TOKEN * max(chunk, SGLANG_ACTIVATION_MIN_TOKENS)
        + SGLANG_GRAPH_MIB_PER_SLOT * graph_bs
        + SGLANG_PARALLEL_MIB_PER_8_GPUS * gpus / 8
    )
    if dp_attention:
        reserved += SGLANG_DP_MIB_PER_SLOT * graph_bs * tp
        if graph_bs > SGLANG_DP_EXTRA_ABOVE_SLOTS:
            reserved += SGLANG_DP_EXTRA_MIB_PER_SLOT * graph_bs * tp
    return _defaults(mem, reserved, chunk, graph_bs)


def default_chunked_prefill_size(gpu: GpuSpec) -> int | None:
    """SGLang's ``chunked_prefill_size`` on a device below 60 GiB (2048 below 35 GiB, 4096
    below 60: the current rule's buckets), ``None`` from 60 GiB (the engine profile's 8192)."""
    mem = device_mib(gpu)
    if mem >= SGLANG_PROFILE_CHUNK_FROM_MIB:
        return None
    return next(b for b in SGLANG_BUCKETS if mem < b.below_mib).chunked_prefill_size


def _legacy_graph_bs(mem_mib: float, tp: int) -> int:
    """``cuda_graph_max_bs`` before v0.5.3: 160, or 8 (80 from TP4) below 25,000 MiB."""
    if mem_mib < SGLANG_LEGACY_SMALL_DEVICE_MIB:
        wide = tp >= SGLANG_WIDE_TP
        return SGLANG_LEGACY_SMALL_GRAPH_BS_WIDE if wide else SGLANG_LEGACY_SMALL_GRAPH_BS
    return SGLANG_LEGACY_GRAPH_BS


def _defaults(mem_mib: float, reserved_mib: float, chunk: int, graph_bs: int) -> SglangDefaults:
    fraction = round((mem_mib - reserved_mib) / mem_mib, 3)
    return SglangDefaults(
        chunked_prefill_size=chunk,
        mem_fraction_static=max(fraction, MIN_MEMORY_SHARE),
        cuda_graph_max_bs=graph_bs,
    )


def sglang_uses_legacy_rule(version: str | None) -> bool:
    """Whether an SGLang release predates the current rule (``None``/unparsed: current)."""
    parsed = release(version)
    return parsed is not None and parsed < SGLANG_CURRENT_RULE_SINCE


#: The first SGLang release that reads ``--dp-size`` for data-parallel attention (default 1,
#: which turns ``--enable-dp-attention`` off). v0.4.0-v0.4.3 set ``dp_size = tp_size`` whenever
#: the flag was given (server_args.py: ``if self.enable_dp_attention: self.dp_size =
#: self.tp_size``); v0.4.3.post2 is the last release measured with that rule here.
SGLANG_DP_SIZE_STATED_SINCE = (0, 4, 4)


def sglang_dp_attention_ranks(version: str | None, stated: EngineSettings, tp: int) -> int | None:
    """The data-parallel attention ranks an SGLang release runs for its command line, where the
    command line does not state them and the release derived them (``tp`` before v0.4.4 with
    ``--enable-dp-attention``); ``None`` otherwise."""
    parsed = release(version)
    if not stated.expert_parallel or stated.data_parallel_size is not None or parsed is None:
        return None
    return tp if parsed < SGLANG_DP_SIZE_STATED_SINCE else None


def sglang_running_requests(stated: EngineSettings, tp: int, *, dp_attention: bool) -> int | None:
    """The running requests one SGLang scheduler admits when the command line sets them (stated
    ``--max-running-requests``, or the speculative-decoding cap), ``None`` otherwise.

    The setting covers the whole server: with data-parallel attention each of the ``tp``
    attention ranks runs ``max_running_requests // tp`` (model_runner.py,
    ``server_args.max_running_requests // dp_size``).
    """
    cap = stated.max_num_seqs
    if cap is None and stated.speculative_decoding:
        cap = SGLANG_SPECULATIVE_MAX_RUNNING_REQUESTS
    if cap is None:
        return None
    return max(cap // tp, 1) if dp_attention else cap


def sglang_overlap_scheduling(stated: EngineSettings) -> bool:
    """Whether SGLang runs its overlap scheduler: stated, else on unless speculative decoding
    turns it off (:data:`SGLANG_SPECULATIVE_MAX_RUNNING_REQUESTS`)."""
    if stated.overlap_scheduling is not None:
        return stated.overlap_scheduling
    return not stated.speculative_decoding
