"""The scheduler's interface: the limits one replica schedules under (``SchedulerConfig``),
what one scheduled step computes (``StepWork``) and what changed when it completed
(``StepOutcome``), and the request states.

``SchedulerConfig``: ``vllm serve`` arguments (``--max-num-seqs``,
``--max-num-batched-tokens``, ``--enable-chunked-prefill``, ``--block-size``,
``--max-model-len``) plus the KV-cache capacity the memory fit leaves, and whether admission
reserves whole contexts. Re-exported by :mod:`predeploy.core.batching`, which uses them.
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

from pydantic import Field, model_validator

from predeploy.core.types import FrozenModel, VllmSettings
from predeploy.core.types.base import NonNegativeInt, PositiveFloat, PositiveInt


class SchedulerConfig(FrozenModel):
    """The scheduler limits of one replica: vLLM settings plus the KV capacity from the memory fit.

    vLLM refuses to start with ``max_num_batched_tokens < max_num_seqs``, with chunked prefill
    off and ``max_num_batched_tokens < max_model_len``, or with a KV cache that cannot hold one
    ``max_model_len`` sequence; so does this config.
    """

    max_num_seqs: PositiveInt
    max_num_batched_tokens: PositiveInt
    enable_chunked_prefill: bool = True
    kv_capacity_tokens: PositiveInt
    block_size: PositiveInt = 16
    max_model_len: PositiveInt
    #: ``--enable-prefix-caching`` (vLLM V1's default): a preempted request finds the blocks
    #: of its context that nothing has reused since, and recomputes only the rest.
    enable_prefix_caching: bool = False
    #: Tokens of each request's own context found in the prefix cache when it is first
    #: admitted (a conversation's earlier turns, ``core.prefix_cache``): not computed.
    cached_history_tokens: NonNegativeInt = 0
    #: The share of requests that find it (the others compute it: their conversation's
    #: blocks were evicted while the user paused).
    history_hit_share: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    #: The replicas a random router spreads a conversation's turns over (1: each turn returns
    #: to the replica holding its history) and its turns per conversation: a request finds
    #: the history up to the last turn its replica served (``core.prefix_cache.
    #: routed_history_moments``), so part of it.
    history_replicas: PositiveInt = 1
    history_turns: Annotated[int, Field(ge=2)] = 2
    #: Admission reserves the blocks of the whole context, prompt plus every output token
    #: (TensorRT-LLM's ``GUARANTEED_NO_EVICT`` capacity scheduler; SGLang reserves a decaying
    #: share of them instead, ``new_token_ratio_admission``): a running request never needs a
    #: block that is not there, so nothing is ever preempted, and fewer requests run at once.
    reserve_full_context: bool = False
    #: New requests are admitted only on every this-many-th step (multi-step scheduling:
    #: vLLM V0 ``--num-scheduler-steps``, SGLang ``--num-continuous-decode-steps``), or when
    #: nothing runs.
    scheduler_steps: PositiveInt = 1
    #: A step either prefills or decodes (SGLang's scheduler without ``--enable-mixed-chunk``):
    #: prompts run as their own batches with the whole token budget while the decoders pause.
    separate_prefill_batches: bool = False
    #: The next batch is scheduled while the GPU runs the current one: every token reaches
    #: the client when the following step ends, one step late.
    overlap_scheduling: bool = False
    #: SGLang's optimistic admission (:mod:`~predeploy.core.new_token_ratio`): running
    #: requests' remaining answers count at a decaying ratio, and decoding requests are
    #: retracted to the back of the queue when the cache runs out. Not with
    #: ``reserve_full_context``.
    new_token_ratio_admission: bool = False
    #: SGLang's ``--schedule-conservativeness``: the ``new_token_ratio`` schedule scales with it
    #: (1.0 by default; 0.3 with data-parallel attention).
    schedule_conservativeness: PositiveFloat = 1.0

    @model_validator(mode="after")
    def _startable(self) -> SchedulerConfig:
        if self.new_token_ratio_admission and self.reserve_full_context:
            raise ValueError(
                "new_token_ratio_admission (SGLang) and reserve_full_context exclude each other"
            )
        if self.max_num_batched_tokens < self.max_num_seqs:
            raise ValueError(
                f"max_num_batched_tokens ({self.max_num_batched_tokens}) must be >= "
                f"max_num_seqs ({self.max_num_seqs})"
            )
        if not self.enable_chunked_prefill and self.max_num_batched_tokens < self.max_model_len:
            raise ValueError(
                f"without chunked prefill max_num_batched_tokens ({self.max_num_batched_tokens})"
                f" must be >= max_model_len ({self.max_model_len})"
            )
        blocks_needed = -(-self.max_model_len // self.block_size)
        if blocks_needed > self.num_blocks:
            raise ValueError(
                f"kv_capacity_tokens ({self.kv_capacity_tokens}) cannot hold one sequence of "
                f"max_model_len ({self.max_model_len}) tokens in blocks of {self.block_size}"
            )
        return self

    @property
    def num_blocks(self) -> int:
        """KV-cache blocks: ``kv_capacity_tokens // block_size``."""
        return self.kv_capacity_tokens // self.block_size

    @classmethod
    def from_vllm(cls, settings: VllmSettings, kv_capacity_tokens: int) -> SchedulerConfig:
        """The limits a ``vllm serve`` configuration with this much KV cache schedules under.

        The cache holds whole blocks, so a ``max_model_len`` that only fits the capacity before
        rounding down to blocks (a memory fit that sized one to the other) is cut to the
        blocks' tokens, as vLLM derives it.
        """
        whole_blocks = kv_capacity_tokens // settings.block_size * settings.block_size
        max_model_len = settings.max_model_len
        if whole_blocks < max_model_len <= kv_capacity_tokens:
            max_model_len = whole_blocks
        return cls(
            max_num_seqs=settings.max_num_seqs,
            max_num_batched_tokens=settings.max_num_batched_tokens,
            enable_chunked_prefill=settings.enable_chunked_prefill,
            kv_capacity_tokens=kv_capacity_tokens,
            block_size=settings.block_size,
            max_model_len=max_model_len,
            enable_prefix_caching=settings.enable_prefix_caching,
        )


class StepWork(NamedTuple):
    """What one scheduled step computes: the arguments of :meth:`StepCostModel.step_time_s`."""

    prefill_tokens: int
    prefill_attn_tokens: float
    decode_seqs: int
    decode_kv_tokens: int


class StepOutcome(NamedTuple):
    """Requests whose state changed when a step completed (request ids)."""

    #: Sampled their first output token.
    first_token: list[int]
    #: Sampled a token after recomputing a preempted context (an irregular inter-token gap).
    resumed_token: list[int]
    finished: list[int]


# Request states.
PENDING, WAITING, PREFILLING, DECODING, FINISHED = range(5)
