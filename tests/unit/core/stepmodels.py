"""Roofline-shaped step-cost models for testing the load model (not calibrated predictions).

Each shape is one (model, accelerator) pair with round, public-order-of-magnitude figures:
8B and 70B-class dense decoders; a 24 GB / 300 GB/s "small" accelerator and an 80-141 GB /
3.35-4.8 TB/s "big" one. They only need to behave like real step costs (a fixed weight-read
floor, a KV-read term growing with context, a compute term growing with batched tokens), not
to predict any real system.
"""

from __future__ import annotations

from dataclasses import dataclass

from predeploy.core.batching import SchedulerConfig


@dataclass(frozen=True)
class RooflineStep:
    """t = overhead + max(FLOPs / (peak·eff), bytes / (bandwidth·eff)).

    FLOPs = 2·params·(prefill + decode tokens) + 4·layers·d_model·(prefill attention pairs +
    decode KV tokens); bytes = weights + KV bytes/token · (decode KV read + prefill KV written).
    """

    name: str
    params: float
    weight_bytes: float
    kv_bytes_per_token: float
    layers: int
    d_model: int
    peak_flops: float
    bandwidth_bytes_per_s: float
    overhead_s: float = 4e-4
    compute_efficiency: float = 0.5
    memory_efficiency: float = 0.8

    def step_time_s(
        self,
        prefill_tokens: int,
        prefill_attn_tokens: float,
        decode_seqs: int,
        decode_kv_tokens: int,
    ) -> float:
        flops = 2.0 * self.params * (prefill_tokens + decode_seqs) + 4.0 * self.layers * (
            self.d_model
        ) * (prefill_attn_tokens + decode_kv_tokens)
        memory = self.weight_bytes + self.kv_bytes_per_token * (decode_kv_tokens + prefill_tokens)
        compute_s = flops / (self.peak_flops * self.compute_efficiency)
        memory_s = memory / (self.bandwidth_bytes_per_s * self.memory_efficiency)
        return self.overhead_s + max(compute_s, memory_s)


@dataclass(frozen=True)
class LinearStep:
    """t = base + per_token·(prefill + decode tokens) + per_kv·decode KV tokens."""

    base_s: float = 0.01
    per_token_s: float = 2e-5
    per_kv_token_s: float = 1e-8

    def step_time_s(
        self,
        prefill_tokens: int,
        prefill_attn_tokens: float,
        decode_seqs: int,
        decode_kv_tokens: int,
    ) -> float:
        return (
            self.base_s
            + self.per_token_s * (prefill_tokens + decode_seqs)
            + self.per_kv_token_s * decode_kv_tokens
        )


SMALL_MODEL_BIG_GPU = RooflineStep(
    name="8B bf16 on 80 GB / 3.35 TB/s",
    params=8e9, weight_bytes=16e9, kv_bytes_per_token=131072, layers=32, d_model=4096,
    peak_flops=989e12, bandwidth_bytes_per_s=3.35e12,
)
SMALL_MODEL_SMALL_GPU = RooflineStep(
    name="8B bf16 on 24 GB / 300 GB/s",
    params=8e9, weight_bytes=16e9, kv_bytes_per_token=131072, layers=32, d_model=4096,
    peak_flops=121e12, bandwidth_bytes_per_s=300e9,
)
LARGE_MODEL_BIG_GPU = RooflineStep(
    name="70B fp8 on 141 GB / 4.8 TB/s",
    params=70e9, weight_bytes=70e9, kv_bytes_per_token=163840, layers=80, d_model=8192,
    peak_flops=1979e12, bandwidth_bytes_per_s=4.8e12,
)
LARGE_MODEL_SMALL_GPU = RooflineStep(
    name="70B int4 on 48 GB / 864 GB/s",
    params=70e9, weight_bytes=36e9, kv_bytes_per_token=163840, layers=80, d_model=8192,
    peak_flops=362e12, bandwidth_bytes_per_s=864e9,
)

#: (step model, scheduler) pairs: KV capacities follow from memory left after the weights.
SHAPES: dict[str, tuple[RooflineStep, SchedulerConfig]] = {
    "small-on-big": (
        SMALL_MODEL_BIG_GPU,
        SchedulerConfig(max_num_seqs=256, max_num_batched_tokens=8192, kv_capacity_tokens=400_000,
                        max_model_len=8192),
    ),
    "small-on-small": (
        SMALL_MODEL_SMALL_GPU,
        SchedulerConfig(max_num_seqs=256, max_num_batched_tokens=2048, kv_capacity_tokens=30_000,
                        max_model_len=4096),
    ),
    "large-on-big": (
        LARGE_MODEL_BIG_GPU,
        SchedulerConfig(max_num_seqs=256, max_num_batched_tokens=8192, kv_capacity_tokens=300_000,
                        max_model_len=8192),
    ),
    "large-on-small": (
        LARGE_MODEL_SMALL_GPU,
        SchedulerConfig(max_num_seqs=128, max_num_batched_tokens=2048, kv_capacity_tokens=40_000,
                        max_model_len=4096),
    ),
}
