"""Read a serving engine's command line into the settings the performance engine honours.

A benchmark that says how its engine was started (``vllm serve M --max-num-batched-tokens
4096``, ``python3 -m sglang.launch_server --chunked-prefill-size 4096 --enable-dp-attention``,
``trtllm-serve M --max_num_tokens 16384``) ran with those settings, not the defaults; a
deployment whose flags are known should be predicted with them too. :func:`parse_engine_args`
turns such a command line into :class:`EngineSettings`.

Flags are matched by name whatever the spelling (``--max_num_tokens`` = ``--max-num-tokens``,
``--flag=value`` = ``--flag value``, ``--mem-frac`` = ``--mem-fraction-static``: an
unambiguous prefix, as SGLang's argument parser reads it), across vLLM, SGLang and
TensorRT-LLM, since a name means the same thing wherever it appears. Tensor/pipeline
parallelism, the model and the precision are fields of the scenario itself (vLLM's
data-parallel ranks that share their experts, ``-dp D --enable-expert-parallel``, widen its
tensor-parallel group: :func:`expert_sharing_ranks`); CUDA-graph limits
(``--cuda-graph-max-bs``, ``--enforce-eager``) say which steps run eagerly; a
speculative-decoding method (``--speculative-algorithm``, ``--speculative-config``) is noted
for what it does to SGLang's scheduler; vLLM's ``--performance-mode throughput`` doubles its
default batch limits; flags the model does not represent but which change performance
(speculative decoding's speed-up, attention backends, torch.compile, expert parallelism under
tensor-parallel attention) are listed in ``unmodelled``; anything else (ports, parsers, paths)
is ignored. Bracketed notes (``[result variant: ...]``) are not part of the command line.
"""

from __future__ import annotations

import re
import shlex
from typing import Literal, get_args

from predeploy.core.errors import InputError
from predeploy.core.types import (
    Engine,
    EngineSettings,
    KvCacheDtype,
    ModelArchitecture,
    PerformanceMode,
)

ValueKind = Literal[
    "int", "fraction", "kv_dtype", "switch", "budget", "backend", "policy", "sizes", "mode"
]

#: Flag name (dashes, lower case) → (``EngineSettings`` field, kind of value). ``switch`` flags
#: take no value and set the field to the given boolean; ``budget`` is SGLang's
#: ``--chunked-prefill-size``, where ``-1`` turns chunking off.
SETTING_FLAGS: dict[str, tuple[str, ValueKind]] = {
    # vLLM
    "max-num-seqs": ("max_num_seqs", "int"),
    "max-num-batched-tokens": ("max_num_batched_tokens", "int"),
    "gpu-memory-utilization": ("gpu_memory_utilization", "fraction"),
    "kv-cache-dtype": ("kv_cache_dtype", "kv_dtype"),
    "num-scheduler-steps": ("scheduler_steps", "int"),
    "stream-interval": ("stream_interval", "int"),
    "data-parallel-size": ("data_parallel_size", "int"),
    "max-cudagraph-capture-size": ("cuda_graph_max_batch", "int"),
    # vLLM 0.9-0.10's capture list: one size N captures up to N, several are the sizes.
    "cuda-graph-sizes": ("cuda_graph_max_batch", "sizes"),
    "performance-mode": ("performance_mode", "mode"),
    "api-server-count": ("api_server_count", "int"),
    # SGLang
    "max-running-requests": ("max_num_seqs", "int"),
    "chunked-prefill-size": ("max_num_batched_tokens", "budget"),
    "mem-fraction-static": ("gpu_memory_utilization", "fraction"),
    "num-continuous-decode-steps": ("scheduler_steps", "int"),
    "cuda-graph-max-bs": ("cuda_graph_max_batch", "int"),
    "dp-size": ("data_parallel_size", "int"),
    "dp": ("data_parallel_size", "int"),
    "ep-size": ("expert_parallel_size", "int"),
    "ep": ("expert_parallel_size", "int"),
    "expert-parallel-size": ("expert_parallel_size", "int"),
    # TensorRT-LLM (trtllm-serve / trtllm-bench)
    "max-batch-size": ("max_num_seqs", "int"),
    "max-num-tokens": ("max_num_batched_tokens", "int"),
    "kv-cache-free-gpu-memory-fraction": ("free_memory_fraction", "fraction"),
    "kv-cache-free-gpu-mem-fraction": ("free_memory_fraction", "fraction"),
    "free-gpu-memory-fraction": ("free_memory_fraction", "fraction"),
    "moe-expert-parallel-size": ("expert_parallel_size", "int"),
    # Capacity scheduler (gptManagerBenchmark ``--scheduler_policy``, LLM API
    # ``capacity_scheduler_policy``): whether admission reserves the whole context.
    "scheduler-policy": ("reserve_full_context", "policy"),
    "capacity-scheduler-policy": ("reserve_full_context", "policy"),
    # ``--backend tensorrt`` runs TensorRT engines on the C++ executor: no overlap scheduler
    # (a feature of the PyTorch backend, the default since 1.0).
    "backend": ("overlap_scheduling", "backend"),
    # llama.cpp (llama-server, llama-bench, llama-batched-bench): a prompt is processed in
    # physical micro-batches of ``--ubatch-size`` tokens; ``--parallel`` sequence slots.
    "ubatch-size": ("max_num_batched_tokens", "int"),
    "parallel": ("max_num_seqs", "int"),
}

#: Single-dash short forms read as their long flag (vLLM's ``-dp``). Other single-dash tokens
#: are skipped: ``-tp``/``-pp`` are the scenario's own fields, and a value such as ``-1`` must
#: stay a value.
SHORT_FLAGS: dict[str, str] = {"dp": "data-parallel-size", "ub": "ubatch-size", "np": "parallel"}

#: TensorRT-LLM capacity-scheduler policies → whether admission reserves KV for the whole
#: prompt + output (``GUARANTEED_NO_EVICT``) or admits while blocks are free and pauses requests
#: when the cache fills (``MAX_UTILIZATION``, like vLLM's preemption). ``STATIC_BATCH`` (admit
#: only into an empty batch) is not modelled: listed in ``unmodelled``, the reservation kept.
SCHEDULER_POLICIES: dict[str, bool] = {"guaranteed_no_evict": True, "max_utilization": False}
UNMODELLED_SCHEDULER_POLICIES = frozenset({"static_batch"})

#: vLLM ``--performance-mode`` values (``EngineSettings.performance_mode``).
PERFORMANCE_MODES = frozenset(get_args(PerformanceMode))

#: ``trtllm-serve``/``trtllm-bench --backend`` values that run TensorRT engines.
TRTLLM_ENGINE_BACKENDS = frozenset({"tensorrt", "trt"})

#: ``expert_parallel_size`` of a flag that spreads the experts over every GPU of the tensor-
#: parallel group (vLLM ``--enable-expert-parallel``, SGLang's older ``--enable-ep-moe``): the
#: size is capped at ``tp`` when the scenario is prepared.
EXPERTS_OVER_EVERY_GPU = 1 << 16

#: Value-less flags → (field, value they set).
SWITCH_FLAGS: dict[str, tuple[str, bool | int]] = {
    "enable-chunked-prefill": ("chunked_prefill", True),
    "no-enable-chunked-prefill": ("chunked_prefill", False),
    "enable-mixed-chunk": ("separate_prefill_batches", False),
    # Scheduling the next batch while the GPU runs the current one (one step later replies).
    "async-scheduling": ("overlap_scheduling", True),
    "no-async-scheduling": ("overlap_scheduling", False),
    "disable-overlap-schedule": ("overlap_scheduling", False),
    "enable-overlap-schedule": ("overlap_scheduling", True),
    # Data-parallel attention with the experts spread over the GPUs (SGLang, TensorRT-LLM).
    "enable-dp-attention": ("expert_parallel", True),
    "enable-attention-dp": ("expert_parallel", True),
    # No CUDA graphs: every step launches its kernels one by one.
    "enforce-eager": ("cuda_graph_max_batch", 0),
    "disable-cuda-graph": ("cuda_graph_max_batch", 0),
    "enable-expert-parallel": ("expert_parallel_size", EXPERTS_OVER_EVERY_GPU),
    "enable-ep-moe": ("expert_parallel_size", EXPERTS_OVER_EVERY_GPU),
    # The prefix cache (vLLM, LMDeploy; SGLang's radix cache): a shared prompt prefix is
    # computed once (core.prefix_cache).
    "enable-prefix-caching": ("prefix_caching", True),
    "no-enable-prefix-caching": ("prefix_caching", False),
    "disable-radix-cache": ("prefix_caching", False),
}

#: Flags (or flag-name prefixes) that change performance in ways the model does not represent.
UNMODELLED_FLAG_PREFIXES: tuple[str, ...] = (
    "speculative-",
    "attention-backend",
    "enable-torch-compile",
    "compilation-config",
    # vLLM's cap on one prompt's chunk per step, and V0's limit on prompts prefilled at once.
    "long-prefill-token-threshold",
    "max-num-partial-prefills",
)

#: Flags that turn speculative decoding on (SGLang ``--speculative-algorithm`` and the
#: abbreviation its argument parser accepts, vLLM ``--speculative-config`` and its older
#: ``--speculative-model``): ``EngineSettings.speculative_decoding``.
SPECULATIVE_FLAGS = frozenset(
    {"speculative-algorithm", "speculative-algo", "speculative-config", "speculative-model"}
)

#: ``--kv-cache-dtype`` values meaning an 8-bit float KV cache (vLLM/SGLang spellings).
FP8_KV_VALUES = frozenset({"fp8", "fp8_e4m3", "fp8_e5m2", "fp8_inc", "fp8-e4m3"})

_BRACKETED = re.compile(r"\[[^\]]*\]")


def _flag_name(token: str) -> str:
    return token.lstrip("-").split("=", 1)[0].replace("_", "-").lower()


#: Every flag name the parser reads a setting from (the targets of abbreviations).
_KNOWN_FLAGS = tuple(sorted({*SETTING_FLAGS, *SWITCH_FLAGS, *SPECULATIVE_FLAGS}))
#: The shortest abbreviation read as a flag: shorter ones (``--tp``, ``--ep``) are flags of
#: their own or too ambiguous to guess.
MIN_ABBREVIATION_CHARS = 4


def _expanded(name: str) -> str:
    """``name``, or the one known flag it abbreviates: SGLang's argument parser (Python's
    ``argparse``, ``allow_abbrev`` on) accepts any unambiguous prefix of a flag, and its own
    benchmark commands write ``--mem-frac`` for ``--mem-fraction-static``. A command that ran
    had an unambiguous prefix, so a prefix of exactly one known flag is that flag; a prefix of
    several is left alone."""
    if name in SETTING_FLAGS or name in SWITCH_FLAGS or len(name) < MIN_ABBREVIATION_CHARS:
        return name
    matches = [flag for flag in _KNOWN_FLAGS if flag.startswith(name)]
    return matches[0] if len(matches) == 1 else name


def _value(flag: str, kind: ValueKind, raw: str) -> int | float | KvCacheDtype | bool | None:
    """The typed value of ``--flag raw`` (``None``: the flag turns chunking off)."""
    try:
        if kind in ("int", "budget"):
            number = int(raw)
            if kind == "budget" and number <= 0:
                return None
            if number <= 0:
                raise ValueError
            return number
        if kind == "fraction":
            share = float(raw)
            if not 0.0 < share <= 1.0:
                raise ValueError
            return share
    except ValueError:
        expected = "a positive whole number" if kind in ("int", "budget") else "a share in (0, 1]"
        raise InputError(f"engine_args: --{flag} {raw!r} is not {expected}") from None
    lowered = raw.lower()
    if lowered == "auto":
        return KvCacheDtype.AUTO
    if lowered in FP8_KV_VALUES:
        return KvCacheDtype.FP8
    raise InputError(
        f"engine_args: --{flag} {raw!r} is not a KV-cache dtype the model knows "
        f"(auto, {', '.join(sorted(FP8_KV_VALUES))})"
    )


def _whole_number(flag: str, raw: str) -> int:
    value = _value(flag, "int", raw)
    assert isinstance(value, int)
    return value


#: Commands whose first argument is the served checkpoint (``vllm serve X``, ``trtllm-serve X``).
_SERVE_COMMANDS = frozenset({"serve", "trtllm-serve"})
#: Flags naming the served checkpoint (SGLang ``--model-path``, vLLM/SGLang ``--model``).
_MODEL_FLAGS = frozenset({"model", "model-path"})


def served_checkpoint(text: str) -> str | None:
    """The checkpoint an engine command line serves (``vllm serve X``, ``trtllm-serve X``,
    ``--model X``, ``--model-path X``), or ``None`` when it names none."""
    try:
        tokens = shlex.split(_BRACKETED.sub(" ", text))
    except ValueError:
        return None
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in _SERVE_COMMANDS and following and not following.startswith("-"):
            return following
        if token.startswith("--") and _flag_name(token) in _MODEL_FLAGS:
            if "=" in token:
                return token.split("=", 1)[1]
            if following and not following.startswith("-"):
                return following
    return None


def expert_sharing_ranks(
    engine: Engine, model: ModelArchitecture, stated: EngineSettings | None
) -> int:
    """Data-parallel ranks that share their experts: vLLM's ``--data-parallel-size D`` for a
    MoE model is one group of ``tp × D`` GPUs with attention data-parallel, its experts spread
    over all of them with ``--enable-expert-parallel`` (the layout
    ``ServingScenario.expert_parallel`` describes) and sharded over all of them without it
    ("by default, expert layers form a tensor parallel group of size DP × TP": vLLM's Data
    Parallel Deployment guide; :func:`vllm_shards_experts`); 1 otherwise (a dense model's
    ranks, and other engines' replicas, are replicas)."""
    if stated is None or engine != Engine.VLLM or not model.is_moe:
        return 1
    return stated.data_parallel_size or 1


def vllm_shards_experts(engine: Engine, stated: EngineSettings | None) -> bool:
    """Whether a vLLM group of data-parallel ranks shards its experts over all its GPUs
    (``--data-parallel-size`` without ``--enable-expert-parallel``) rather than spreading
    them whole."""
    return (
        engine == Engine.VLLM
        and stated is not None
        and (stated.data_parallel_size or 1) > 1
        and stated.expert_parallel_size is None
    )


def attention_data_parallel(engine: Engine, stated: EngineSettings) -> bool:
    """Whether the stated flags run attention data-parallel over the ``tp`` GPUs.

    TensorRT-LLM's ``--enable_attention_dp`` does. SGLang's ``--enable-dp-attention`` splits
    the attention over ``--dp-size`` ranks and is switched off when that is 1, its default
    (server_args.py ``_handle_data_parallelism``: ``if self.dp_size == 1:
    self.enable_dp_attention = False``), so it needs ``--dp-size`` > 1 alongside.
    """
    if not stated.expert_parallel:
        return False
    return engine != Engine.SGLANG or (stated.data_parallel_size or 1) > 1


def parse_engine_args(text: str) -> EngineSettings:
    """The settings an engine command line states (module docstring); errors name the flag."""
    try:
        tokens = shlex.split(_BRACKETED.sub(" ", text))
    except ValueError as exc:
        raise InputError(f"engine_args: cannot split {text!r} into arguments ({exc})") from None
    fields: dict[str, object] = {}
    unmodelled: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.startswith("--"):
            name = _expanded(_flag_name(token))
        elif token.startswith("-") and _flag_name(token) in SHORT_FLAGS:
            name = SHORT_FLAGS[_flag_name(token)]
        else:
            continue
        inline = token.split("=", 1)[1] if "=" in token else None
        if name in SWITCH_FLAGS:
            field, value = SWITCH_FLAGS[name]
            fields[field] = value
        elif name in SETTING_FLAGS:
            field, kind = SETTING_FLAGS[name]
            raw = inline
            if raw is None:
                if i >= len(tokens) or tokens[i].startswith("--"):
                    raise InputError(f"engine_args: --{name} needs a value")
                raw = tokens[i]
                i += 1
            if kind == "backend":
                if raw.lower() in TRTLLM_ENGINE_BACKENDS:
                    fields[field] = False
                continue
            if kind == "sizes":
                # Every whole number that follows belongs to the list; the largest is the cap.
                sizes = [raw]
                while i < len(tokens) and tokens[i].isdigit():
                    sizes.append(tokens[i])
                    i += 1
                fields[field] = max(_whole_number(name, size) for size in sizes)
                continue
            if kind == "mode":
                mode = raw.lower()
                if mode not in PERFORMANCE_MODES:
                    raise InputError(
                        f"engine_args: --{name} {raw!r} is not a performance mode "
                        f"(valid: {', '.join(sorted(PERFORMANCE_MODES))})"
                    )
                fields[field] = mode
                continue
            if kind == "policy":
                policy = raw.lower()
                if policy in UNMODELLED_SCHEDULER_POLICIES:
                    unmodelled.append(f"--{name} {policy}")
                elif policy in SCHEDULER_POLICIES:
                    fields[field] = SCHEDULER_POLICIES[policy]
                else:
                    known = ", ".join(sorted({*SCHEDULER_POLICIES, *UNMODELLED_SCHEDULER_POLICIES}))
                    raise InputError(
                        f"engine_args: --{name} {raw!r} is not a capacity-scheduler policy "
                        f"(valid: {known})"
                    )
                continue
            typed = _value(name, kind, raw)
            if typed is None:
                fields["chunked_prefill"] = False
            else:
                fields[field] = typed
        elif name.startswith(UNMODELLED_FLAG_PREFIXES):
            if name in SPECULATIVE_FLAGS:
                fields["speculative_decoding"] = True
            prefix = next(p for p in UNMODELLED_FLAG_PREFIXES if name.startswith(p))
            label = f"--{name}" if name == prefix else f"--{prefix}*"
            if label not in unmodelled:
                unmodelled.append(label)
    return EngineSettings.model_validate({**fields, "unmodelled": tuple(unmodelled)})
