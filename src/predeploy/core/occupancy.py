"""How many requests are in the engine: continuous batching as a processor-sharing queue.

With n requests running, a step takes τ(n) and gives each of them one token: the engine serves
n/τ(n) tokens per second shared equally -- a processor-sharing server whose speed depends on
how many it serves. A request needs o tokens (one prefill step, o − 1 decode steps), so with
Poisson arrivals at λ the number in the system is a birth-death process with death rate
φ(n) = min(n, c)/(o·τ(min(n, c))) and stationary distribution

    π(n) ∝ Π_{j=1..n} λ/φ(j) = Π_{j=1..n} λ·o·τ(j)/j        (n ≤ c),

continuing geometrically with ratio r = λ/φ(c) above c = the running-request limit (those wait
in the queue). Symmetric (processor-sharing) queues are insensitive to the shape of the service
requirement (Kelly 1979, *Reversibility and Stochastic Networks*, ch. 3), so π holds for any
output-length distribution with mean o. Special cases: τ constant gives Poisson (M/G/∞),
τ ∝ n gives the geometric M/M/1-PS; in between -- the usual case, a fixed weight-read time plus
a per-sequence cost -- the spread of the batch size is wider than Poisson, which is what makes
inter-token latency vary.

A request that finds all c places taken waits for the next departure of c running (rate φ(c))
behind those queued before it: with P(wait) = Σ_{n≥c} π(n) the wait is exponential with rate
φ(c) − λ (the M/M/c argument).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Occupancy:
    """Stationary running-request distribution and the queue beyond the limit."""

    #: P(running = m), m = 0..c (time-average; by PASTA also what an arrival sees).
    running_pmf: NDArray[np.float64]
    #: Probability an arrival finds every place taken and queues.
    wait_probability: float
    #: Rate (1/s) of the exponential wait of a queued arrival.
    wait_rate: float
    #: Mean requests waiting (time-average).
    mean_queue: float

    @property
    def mean_running(self) -> float:
        return float(np.dot(np.arange(self.running_pmf.size), self.running_pmf))


#: Exponent κ of the prefill-stall variance inflation (1 − ρ_p)^(−κ) (derived: between the
#: bounds 1 and 2 below, fitted to this package's simulator over roofline-shaped step models,
#: chat and prefill-heavy length mixes at 50-90 % load; observed 1.4-1.5).
PREFILL_DISPERSION_EXPONENT = 1.5


def prefill_dispersion(stall_share: float) -> float:
    """Variance inflation of the batch size from prefill stalls: (1 − ρ_p)^(−κ).

    A prompt's prefill stalls every running request by s_p, so a request's residence grows
    with the arrivals during it. If the requests present were exactly the arrivals of one
    residence window, n ≈ A(R₀ + s_p·n) would give δn = δA/(1 − ρ_p) and a variance
    inflation (1 − ρ_p)^(−2), ρ_p = λ·s_p the share of time spent stalled; with departures
    spread out (the birth-death view) the same feedback gives (1 − ρ_p)^(−1). The simulator
    sits in between (:data:`PREFILL_DISPERSION_EXPONENT`).
    """
    share = min(max(stall_share, 0.0), 0.95)
    return float((1.0 - share) ** (-PREFILL_DISPERSION_EXPONENT))


def occupancy(
    rate: float,
    output_tokens: float,
    limit: int,
    step_s: NDArray[np.float64],
    dispersion: float = 1.0,
) -> Occupancy:
    """π for arrivals at ``rate`` req/s, o = ``output_tokens``, c = ``limit``.

    ``step_s[m]`` is the mean step time with m running, m = 0..c (``step_s[0]`` unused).
    ``dispersion`` ≥ 1 widens π around its mode by that factor in variance (π^(1/dispersion),
    exact for a Gaussian-shaped π), the queue tail's ratio likewise. Requires λ < φ(c).
    """
    c = max(1, limit)
    m = np.arange(1, c + 1, dtype=np.float64)
    log_ratio = np.log(rate * output_tokens * step_s[1 : c + 1] / m) / dispersion
    log_pi = np.concatenate([[0.0], np.cumsum(log_ratio)])
    log_pi -= log_pi.max()
    pi = np.exp(log_pi)
    r = rate * output_tokens * float(step_s[c]) / c
    if r >= 1.0:
        raise ValueError(f"the queue is unstable: arrivals {rate} req/s exceed the service rate")
    r = r ** (1.0 / dispersion)
    tail = pi[-1] * r / (1.0 - r)  # states c+1, c+2, …
    total = pi.sum() + tail
    running = pi / total
    running[-1] += tail / total
    queue = float(pi[-1] / total * r / (1.0 - r) ** 2)
    return Occupancy(
        running_pmf=running,
        wait_probability=float(running[-1]),
        # Geometric queue: E[W] = E[Q]/λ = P(wait)/rate ⇒ rate = λ(1 − r)/r.
        wait_rate=max(rate * (1.0 - r) / max(r, 1e-12), 1e-12),
        mean_queue=queue,
    )


def representative_states(
    pmf: NDArray[np.float64], weights: NDArray[np.float64], count: int
) -> NDArray[np.float64]:
    """Compress a distribution over m = 0..c to ``count`` equal-probability states.

    The distribution is ``pmf · weights`` (normalised); returns the
    mean state of each probability band (each band has probability 1/``count``), so that
    averages over a few states follow it.
    """
    w = pmf * weights
    total = float(w.sum())
    if total <= 0.0:
        return np.zeros(count)
    w = w / total
    # Cumulative probability and first moment; their values at the band edges give each
    # band's mass-weighted mean state (linear within a state's probability mass).
    cdf = np.concatenate([[0.0], np.cumsum(w)])
    moment = np.concatenate([[0.0], np.cumsum(w * np.arange(w.size))])
    edges = np.linspace(0.0, 1.0, count + 1)
    at_edges = np.interp(edges, cdf, moment)
    return np.asarray(np.diff(at_edges) * count, dtype=np.float64)
