"""What one replica can run at once, and its operating point at saturation.

**Running-request limit.** At most N_max requests run at once, the least of: ``max_num_seqs``;
the KV cache, (C − p/2) / (p + E[o²]/(2o) + b/2) -- C capacity tokens over a running
request's time-averaged footprint (prompt plus, length-biased, half its output, plus half a
block of rounding), less the half prompt that on average stays free while the next prompt
waits to fit; and the token budget, M·o/(p + o − 1) (each request needs p prefill and o − 1
decode tokens of the M per step).

**Saturation.** At N_max running, a step decodes D = N_max(o − 1)/o sequences and admits
N_max/o new prompts on average, plus -- when the KV cache is the limit -- recomputation after
preemptions (:func:`recompute_per_request`). Saturation is X = N_max/(o·τ̄), τ̄ the mean step
time of that mix (:class:`~predeploy.core.stepmix.StepMix`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from predeploy.core.batching import SchedulerConfig, StepCostModel
from predeploy.core.lengths import LengthStats
from predeploy.core.stepmix import StepMix
from predeploy.core.types import TokenDistribution

#: Prefill tokens recomputed per output token when the KV cache limits the batch (derived:
#: fitted to this package's simulator at saturation over 36 length mixes and capacities,
#: observed 0.5-1.4; vLLM's greedy admission plus newest-first recompute preemption).
KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN = 1.0
#: Chunks recomputed per prompt longer than the step's room when the KV cache limits the batch
#: (derived: vLLM admits a first chunk when its blocks are free; the next chunk then finds
#: none and the request, newest in the batch, preempts itself; simulator: ~1 chunk each).
KV_BOUND_RECOMPUTED_CHUNKS = 1.0


@dataclass(frozen=True)
class RunningLimit:
    """How many requests can run at once, and which limit binds."""

    max_num_seqs: float
    kv_cache: float
    token_budget: float

    @property
    def value(self) -> float:
        return max(1.0, min(self.max_num_seqs, self.kv_cache, self.token_budget))

    @property
    def kv_bound(self) -> bool:
        return self.kv_cache <= min(self.max_num_seqs, self.token_budget)


def running_limit(config: SchedulerConfig, lengths: LengthStats) -> RunningLimit:
    """N_max and its three candidates (module docstring)."""
    footprint = lengths.p + lengths.o2 / (2.0 * lengths.o) + config.block_size / 2.0
    kv = (config.kv_capacity_tokens - lengths.p / 2.0) / footprint
    budget = config.max_num_batched_tokens * lengths.o / (lengths.p + lengths.o - 1.0)
    return RunningLimit(float(config.max_num_seqs), kv, budget)


def recompute_per_request(
    config: SchedulerConfig, limit: RunningLimit, lengths: LengthStats
) -> float:
    """Prefill tokens recomputed per request at saturation (0 unless the KV cache binds).

    Decoders preempted when they need a block: about one output length per request
    (:data:`KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN`). Prompts that need several chunks: the
    first chunk is lost about once each (:data:`KV_BOUND_RECOMPUTED_CHUNKS`).
    """
    if not limit.kv_bound:
        return 0.0
    decoders = limit.value * lengths.decode_steps / lengths.o
    room = max(config.max_num_batched_tokens - decoders, 1.0)
    chunked = float(np.count_nonzero(lengths.prompt_grid > room)) / lengths.prompt_grid.size
    return (
        KV_BOUND_RECOMPUTE_PER_OUTPUT_TOKEN * lengths.o
        + KV_BOUND_RECOMPUTED_CHUNKS * chunked * room
    )


def saturation_mix(
    step: StepCostModel,
    config: SchedulerConfig,
    lengths: LengthStats,
    limit: RunningLimit,
    *,
    recompute: bool = True,
) -> StepMix:
    n = limit.value
    """The step mix with N_max running (with or without the recomputation)."""
    extra = recompute_per_request(config, limit, lengths) if recompute else 0.0
    return StepMix(
        step,
        config.max_num_batched_tokens,
        lengths,
        decoders=n * lengths.decode_steps / lengths.o,
        prompts_per_step=n / lengths.o,
        rate=None,
        extra_prefill_tokens=extra,
    )


@dataclass(frozen=True)
class LoadContext:
    """A replica's step model, limits and saturation point: what every load kind starts from."""

    step: StepCostModel
    config: SchedulerConfig
    lengths: LengthStats
    limit: RunningLimit
    sat_mix: StepMix
    sat_rate: float
    #: Mean step at saturation without the recomputation (the same unless the KV cache binds).
    sat_plain_step_s: float

    @classmethod
    def build(
        cls,
        step: StepCostModel,
        config: SchedulerConfig,
        prompt_tokens: TokenDistribution,
        output_tokens: TokenDistribution,
    ) -> LoadContext:
        lengths = LengthStats.of(prompt_tokens, output_tokens, config.max_model_len)
        limit = running_limit(config, lengths)
        sat_mix = saturation_mix(step, config, lengths, limit)
        sat_rate = limit.value / (lengths.o * sat_mix.mean_s)
        plain = sat_mix.mean_s
        if limit.kv_bound:
            plain = sat_mix.mean_step_with(lengths.p)
        return cls(step, config, lengths, limit, sat_mix, sat_rate, plain)

    def mix(self, rate: float, tau: float, busy: float) -> StepMix:
        """The step mix with arrivals at ``rate`` and mean step ``tau`` (busy share ``busy``)."""
        return StepMix(
            self.step,
            self.config.max_num_batched_tokens,
            self.lengths,
            decoders=rate * self.lengths.decode_steps * tau / busy,
            prompts_per_step=rate * tau,
            rate=rate,
        )


def kv_usage(ctx: LoadContext, decoding: float) -> float:
    """Time-averaged share of the KV cache in use with ``decoding`` sequences decoding."""
    tokens = decoding * (ctx.lengths.context + ctx.config.block_size / 2.0)
    return min(1.0, tokens / ctx.config.kv_capacity_tokens)
