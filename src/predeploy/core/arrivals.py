"""Arrival processes: when requests reach the server.

Each process is a small frozen spec with a ``kind`` field, registered in
:data:`ARRIVAL_PROCESSES`; :func:`arrival_process` turns a :class:`LoadSpec` into one.

Open-loop processes (``poisson``, ``gamma``) fix every arrival time in advance, independent
of how fast the server answers. ``concurrency`` is closed-loop: ``concurrency`` clients each
send their next request the moment the previous answer completes (zero think time), so only
the first ``concurrency`` arrivals are known up front. ``burst``, ``static_batch`` and
``max_throughput`` queue every request at t = 0.

Open-loop arrival times are built from unit-rate draws scaled by ``1 / rate_rps``, so two runs
with the same seed and different rates see the *same* random pattern stretched in time (common
random numbers: comparisons across rates are not blurred by sampling noise).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from predeploy.core.types import FrozenModel, LoadSpec
from predeploy.core.types.base import PositiveFloat, PositiveInt


class ArrivalProcess(FrozenModel):
    """Common behaviour: how many requests a run has and which arrive before any answer."""

    #: True when arrival times do not depend on the server (open loop).
    @property
    def open_loop(self) -> bool:
        return False

    def request_count(self, requested: int) -> int:
        """Requests in a run when the caller asked for ``requested``."""
        return requested

    def initial_in_flight(self, count: int) -> int:
        """Closed loop: requests sent at t = 0; the rest follow completions."""
        return count

    def arrival_times_s(self, count: int, rng: np.random.Generator) -> NDArray[np.float64]:
        """Arrival times (seconds, non-decreasing) of the requests known in advance."""
        return np.zeros(self.initial_in_flight(count), dtype=np.float64)


class StatedLengthArrivals(ArrivalProcess):
    """A run that states its size (``num_prompts``, as ``vllm bench serve --num-prompts``)
    has that many requests; otherwise as many as the caller asks for."""

    num_prompts: PositiveInt | None = None

    def request_count(self, requested: int) -> int:
        return requested if self.num_prompts is None else self.num_prompts


class OpenLoopArrivals(StatedLengthArrivals):
    """Arrival times fixed in advance."""

    @property
    def open_loop(self) -> bool:
        return True


class PoissonArrivals(OpenLoopArrivals):
    """Exponential inter-arrival gaps at ``rate_rps``; the first request arrives at t = 0."""

    kind: Literal["poisson"] = "poisson"
    rate_rps: PositiveFloat

    def arrival_times_s(self, count: int, rng: np.random.Generator) -> NDArray[np.float64]:
        gaps = rng.standard_exponential(count)
        return _times_from_gaps(gaps / self.rate_rps)


class GammaArrivals(OpenLoopArrivals):
    """Gamma inter-arrival gaps: mean ``1 / rate_rps``, coefficient of variation ``cv``.

    Shape k = 1 / cv², scale θ = 1 / (rate · k): mean kθ = 1/rate, stdev √k θ = cv / rate.
    cv = 1 is Poisson; cv > 1 is burstier (clumps of arrivals, then gaps).
    """

    kind: Literal["gamma"] = "gamma"
    rate_rps: PositiveFloat
    cv: PositiveFloat = 1.0

    def arrival_times_s(self, count: int, rng: np.random.Generator) -> NDArray[np.float64]:
        shape = 1.0 / (self.cv * self.cv)
        gaps = rng.standard_gamma(shape, count) / shape  # unit mean
        return _times_from_gaps(gaps / self.rate_rps)


class ConcurrencyArrivals(StatedLengthArrivals):
    """Closed loop: ``concurrency`` requests in flight; each completion releases the next."""

    kind: Literal["concurrency"] = "concurrency"
    concurrency: PositiveInt

    def initial_in_flight(self, count: int) -> int:
        return min(self.concurrency, count)


class BurstArrivals(ArrivalProcess):
    """``num_prompts`` requests all at t = 0 (the run's size is ``num_prompts``)."""

    kind: Literal["burst"] = "burst"
    num_prompts: PositiveInt

    def request_count(self, requested: int) -> int:
        return self.num_prompts


class StaticBatchArrivals(ArrivalProcess):
    """One batch of ``batch_size`` identical requests at t = 0; all answers return together."""

    kind: Literal["static_batch"] = "static_batch"
    batch_size: PositiveInt

    def request_count(self, requested: int) -> int:
        return self.batch_size


class MaxThroughputArrivals(StatedLengthArrivals):
    """Every request queued at t = 0: the engine runs at its largest batch (offline throughput)."""

    kind: Literal["max_throughput"] = "max_throughput"


#: Arrival process class per ``LoadSpec.kind``.
ARRIVAL_PROCESSES: dict[str, type[ArrivalProcess]] = {
    "poisson": PoissonArrivals,
    "gamma": GammaArrivals,
    "concurrency": ConcurrencyArrivals,
    "burst": BurstArrivals,
    "static_batch": StaticBatchArrivals,
    "max_throughput": MaxThroughputArrivals,
}


def arrival_process(load: LoadSpec) -> ArrivalProcess:
    """The arrival process a :class:`LoadSpec` describes (only the fields its kind uses)."""
    cls = ARRIVAL_PROCESSES.get(load.kind)
    if cls is None:
        valid = ", ".join(sorted(ARRIVAL_PROCESSES))
        raise ValueError(f"unknown load kind {load.kind!r}; valid kinds: {valid}")
    fields = {
        name: getattr(load, name)
        for name in cls.model_fields
        if name != "kind" and getattr(load, name, None) is not None
    }
    return cls(**fields)


def _times_from_gaps(gaps_s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Arrival i at the sum of the first i gaps: the first request at t = 0."""
    times = np.empty_like(gaps_s)
    if times.size:
        times[0] = 0.0
        np.cumsum(gaps_s[:-1], out=times[1:])
    return times
