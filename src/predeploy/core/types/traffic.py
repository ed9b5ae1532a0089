"""Traffic: how many requests arrive, how bursty, and how long prompts and answers are."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, model_validator

from predeploy.core.types.base import (
    FrozenModel,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
)

#: Upper bound on any token length we accept (10M tokens): longer is a typo, not a workload.
MAX_TOKENS_PER_REQUEST = 10_000_000
#: Turns per conversation a request or scenario may state.
MAX_CONVERSATION_TURNS = 10_000
#: The longest mean pause between a conversation's turns a request may state (a day, s).
MAX_THINK_TIME_S = 86_400.0
#: The steepest Zipf exponent of prefix popularity accepted (at 3 the top prefix takes 83 %
#: of the requests: steeper is one prefix).
MAX_PREFIX_POPULARITY = 3.0


class TokenDistribution(FrozenModel):
    """Distribution of a per-request token length (prompt or output).

    ``kind`` picks how the simulator samples it: ``fixed`` (always ``mean``), ``normal`` or
    ``lognormal`` (with ``stdev``, clipped to [1, ``max``]), or ``empirical`` (``values``).
    """

    kind: Literal["fixed", "normal", "lognormal", "empirical"] = "lognormal"
    mean: PositiveFloat = Field(le=MAX_TOKENS_PER_REQUEST)
    stdev: NonNegativeFloat = 0.0
    p95: PositiveFloat | None = None
    max: PositiveInt | None = Field(default=None, le=MAX_TOKENS_PER_REQUEST)
    values: tuple[PositiveInt, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> TokenDistribution:
        if self.kind == "empirical" and not self.values:
            raise ValueError("an empirical token distribution needs values")
        if self.kind == "fixed" and self.stdev:
            raise ValueError("a fixed token distribution has stdev 0")
        if self.max is not None and self.max < self.mean:
            raise ValueError(f"max ({self.max}) is below the mean ({self.mean})")
        if self.p95 is not None and self.max is not None and self.p95 > self.max:
            raise ValueError(f"p95 ({self.p95}) exceeds max ({self.max})")
        return self

    @classmethod
    def fixed(cls, tokens: int) -> TokenDistribution:
        return cls(kind="fixed", mean=tokens, stdev=0.0, p95=tokens, max=tokens)

    @classmethod
    def empirical(cls, values: Sequence[int]) -> TokenDistribution:
        """The lengths observed, sampled as they are (mean, spread and p95 computed)."""
        if not values:
            raise ValueError("an empirical token distribution needs values")
        ordered = sorted(values)
        mean = sum(ordered) / len(ordered)
        variance = sum((v - mean) ** 2 for v in ordered) / len(ordered)
        return cls(kind="empirical", mean=mean, stdev=math.sqrt(variance),
                   p95=ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)],
                   max=ordered[-1], values=tuple(ordered))

    def upper_tokens(self) -> int:
        """A length that nearly every request stays under: ``max``, else p95, else mean+3σ."""
        if self.max is not None:
            return self.max
        if self.p95 is not None:
            return round(self.p95)
        return round(self.mean + 3 * self.stdev)


class TrafficProfile(FrozenModel):
    """The load a deployment must carry, with how each figure was derived (in words)."""

    prompt_tokens: TokenDistribution
    output_tokens: TokenDistribution
    avg_requests_per_s: PositiveFloat
    peak_requests_per_s: PositiveFloat
    #: Coefficient of variation of inter-arrival times: 1 = Poisson, > 1 = bursty.
    burstiness_cv: PositiveFloat = 1.0
    diurnal_peak_factor: PositiveFloat = Field(default=1.0, ge=1.0)
    active_users: PositiveFloat | None = None
    #: Tokens at the start of every prompt that all requests share (a system prompt), part of
    #: ``prompt_tokens``: computed once where the engine keeps a prefix cache.
    shared_prefix_tokens: NonNegativeInt = 0
    #: Distinct shared prefixes of that length the requests spread over (one per tenant or
    #: bot): each found cached less often than a single one (``core.prefix_cache``).
    prefix_count: PositiveInt = 1
    #: How unevenly the requests spread over them (Zipf's exponent; 0: evenly).
    prefix_popularity: NonNegativeFloat = Field(default=0.0, le=MAX_PREFIX_POPULARITY)
    #: Tokens of a conversation's earlier turns each prompt carries after the shared prefix,
    #: part of ``prompt_tokens``: found in the prefix cache where the engine keeps one.
    history_tokens: NonNegativeInt = 0
    #: Turns per conversation the history comes from, where stated (``ServingScenario.
    #: conversation_turns``: what a random router leaves of it on the replica a turn reaches).
    conversation_turns: PositiveInt | None = Field(default=None, le=MAX_CONVERSATION_TURNS)
    #: Mean pause (s) between a conversation's reply and its next message, where stated
    #: (``ServingScenario.think_time_s``: whether its history is still cached); ``None``:
    #: assumed still cached.
    think_time_s: NonNegativeFloat | None = Field(default=None, le=MAX_THINK_TIME_S)
    derivation: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _prefix_within_prompts(self) -> TrafficProfile:
        start = self.shared_prefix_tokens + self.history_tokens
        if start and start >= self.prompt_tokens.mean:
            raise ValueError(
                f"shared_prefix_tokens + history_tokens ({start:,}) must be shorter than the "
                f"mean prompt ({self.prompt_tokens.mean:,.0f} tokens), which counts them"
            )
        if self.prefix_count > 1 and not self.shared_prefix_tokens:
            raise ValueError(
                f"prefix_count ({self.prefix_count:,}) needs shared_prefix_tokens: the number "
                "of distinct shared prefixes says nothing without their length"
            )
        return self

    @model_validator(mode="after")
    def _peak_at_least_avg(self) -> TrafficProfile:
        if self.peak_requests_per_s < self.avg_requests_per_s:
            raise ValueError(
                f"peak_requests_per_s ({self.peak_requests_per_s}) is below "
                f"avg_requests_per_s ({self.avg_requests_per_s})"
            )
        return self
