"""The requests of one simulated run: arrival times and token lengths, from one seed.

Each random subsystem has its own stream (numpy ``Generator`` spawned from one
``SeedSequence``): arrivals, prompt lengths, output lengths. Changing the load therefore never
changes the sampled lengths, and changing a length distribution never moves the arrivals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from predeploy.core.arrivals import ArrivalProcess, StaticBatchArrivals, arrival_process
from predeploy.core.lengths import sample_token_lengths
from predeploy.core.types import LoadSpec, TokenDistribution


@dataclass(frozen=True)
class RandomStreams:
    """One seeded generator per random subsystem."""

    arrivals: np.random.Generator
    prompt_lengths: np.random.Generator
    output_lengths: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> RandomStreams:
        a, p, o = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
        return cls(arrivals=a, prompt_lengths=p, output_lengths=o)


@dataclass(frozen=True)
class RequestSample:
    """Requests 0..n−1 in arrival order.

    ``arrival_s`` holds the arrival times known in advance: all of them for open-loop and
    t = 0 loads, the first ``concurrency`` for a closed loop (the others arrive when an
    earlier request completes).
    """

    process: ArrivalProcess
    arrival_s: NDArray[np.float64]
    prompt_tokens: NDArray[np.int64]
    output_tokens: NDArray[np.int64]
    #: Requests whose prompt + output had to be cut to fit ``max_model_len``.
    num_truncated: int

    @property
    def count(self) -> int:
        return int(self.prompt_tokens.size)


def sample_requests(
    load: LoadSpec,
    prompt_tokens: TokenDistribution,
    output_tokens: TokenDistribution,
    num_requests: int,
    seed: int,
    max_model_len: int,
) -> RequestSample:
    """Sample the run's requests.

    Prompts longer than ``max_model_len − 1`` are cut to it and outputs to what the context
    leaves (vLLM caps ``max_tokens`` the same way); the count of cut requests is kept.
    A static batch is ``batch_size`` copies of one sampled request.
    """
    if max_model_len < 2:
        raise ValueError(f"max_model_len must be >= 2, got {max_model_len}")
    process = arrival_process(load)
    count = process.request_count(num_requests)
    if count < 1:
        raise ValueError(f"num_requests must be >= 1, got {num_requests}")
    streams = RandomStreams.from_seed(seed)
    draws = 1 if isinstance(process, StaticBatchArrivals) else count
    prompts = sample_token_lengths(prompt_tokens, draws, streams.prompt_lengths)
    outputs = sample_token_lengths(output_tokens, draws, streams.output_lengths)
    if draws != count:
        prompts = np.repeat(prompts, count)
        outputs = np.repeat(outputs, count)
    cut_prompts = np.minimum(prompts, max_model_len - 1)
    cut_outputs = np.minimum(outputs, max_model_len - cut_prompts)
    truncated = int(np.count_nonzero((cut_prompts != prompts) | (cut_outputs != outputs)))
    return RequestSample(
        process=process,
        arrival_s=process.arrival_times_s(count, streams.arrivals),
        prompt_tokens=cut_prompts,
        output_tokens=cut_outputs,
        num_truncated=truncated,
    )
