"""Queueing waits of the fluid serving model (see ``core.fluid``): seconds, vectorized.

A prompt waits for the prefill budget, which the engine spends on one prompt after another.
With ``S`` the prefill service time of a prompt at the full budget (mean and squared CV from
:func:`prefill_service_moments`, attention making long prompts disproportionately slow) and
``ρ = λ·S`` (capped at :data:`MAX_STOCHASTIC_UTILISATION`), Kingman's G/G/1 wait::

    W = ρ/(1 − ρ) · (c_a² + c_s²)/2 · S          (:func:`kingman_wait`)

sampled per request as zero with probability ``1 − ρ`` and exponential with mean ``W/ρ``
otherwise (:func:`exponential_wait`). Clustered (gamma, CV > 1) arrivals also meet their
predecessor's whole prefill far more often than Poisson ones: the excess light-traffic wait
(Lindley, ``W = (S − A)⁺``) over Poisson's, :func:`cluster_wait`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from predeploy.core.fluid_stats import (
    INCOMPLETE_GAMMA_TERMS,
    any_true,
    clamp,
    columns,
    grid,
    regularized_lower_gamma,
)
from predeploy.core.fluid_steady import FluidInputs, SteadyState

#: Open-loop utilisation at which the stochastic (Kingman) wait stops growing and the fluid
#: backlog takes over.
MAX_STOCHASTIC_UTILISATION = 0.97


def kingman_wait(
    rho: np.ndarray, arrival_cv2: np.ndarray | float, service_cv2: np.ndarray, service_s: np.ndarray
) -> np.ndarray:
    """Kingman's mean G/G/1 wait, ``ρ/(1 − ρ) · (c_a² + c_s²)/2 · S`` (s), at utilisation
    ``rho`` with squared coefficients of variation of inter-arrival and service times."""
    return np.asarray(rho / (1 - rho) * (arrival_cv2 + service_cv2) / 2 * service_s, dtype=float)


class ClosedLoopWait(NamedTuple):
    """A closed loop's wait at the prefill budget (:func:`closed_loop_wait`)."""

    #: Mean wait of a request, seconds.
    wait_s: np.ndarray
    #: Share of requests that find the budget busy (arrivals' view, not the time average).
    busy_share: np.ndarray


def closed_loop_wait(
    clients: np.ndarray,
    think_s: np.ndarray,
    service_s: np.ndarray,
    service_cv2: np.ndarray,
    arrival_thinning: np.ndarray | float = 1.0,
) -> ClosedLoopWait:
    """Mean wait (s) of a closed loop's requests at the prefill budget, and the share of them
    that find it busy: ``N`` clients alternate between ``Z = think_s`` away from it (decoding,
    the front end) and a prefill of mean ``S = service_s`` (squared CV ``c_s²``), served one
    after another. Schweitzer's approximate mean-value analysis: an arrival sees the queue of
    the other ``N − 1`` clients, ``Q' = Q·(N − 1)/N`` at the budget of which ``U' = U·(N −
    1)/N`` in service with ``R = S·(1 + c_s²)/2`` left (the M/G/1 residual)::

        W = (Q' − U')·S + U'·R,   X = N/(Z + S + W),   Q = X·(S + W),   U = X·S

    which gives ``W = a·R/(1 − a)`` for the busy share ``a = U'``, the root in [0, 1) of
    ``(R − Z − S)·a² + (Z + S + k)·a − k = 0`` with ``k = (N − 1)·S``. Many clients give
    Pollaczek-Khinchine's wait (Kingman's for Poisson arrivals); a few have at most ``N − 1``
    prompts ahead, which an open queue's formula ignores (it grows without bound as the
    utilisation nears 1).

    ``arrival_thinning`` ``f`` ∈ (0, 1]: the clients arrive ``f`` times as often per second
    while the budget is busy as while it is idle (:func:`~predeploy.core.fluid_ttft.
    closed_loop_ttft`: their decoding advances a token per step, and the steps that carry a
    long prompt's prefill are long). An arrival then finds the budget busy with probability
    ``q = f·a/(f·a + 1 − a)`` rather than ``a`` (the time-average share), and every busy
    state it sees is tilted alike, so ``W = q·(W + R)``, i.e. ``W = a·f·R/(1 − a)``: the same
    root with ``R`` replaced by ``f·R``. The busy share returned is ``q``, the arrivals'."""
    others = np.maximum(np.asarray(clients, dtype=float) - 1.0, 0.0)
    residual = arrival_thinning * service_s * (1.0 + service_cv2) / 2.0
    k = others * service_s
    away = think_s + service_s
    # The quadratic's root in its cancellation-free form; the discriminant is
    # (Z + S − k)² + 4·R·k ≥ 0, and the root lies in [0, 1) (the quadratic is −k at 0, R at 1).
    root = np.sqrt((away - k) ** 2 + 4.0 * residual * k)
    busy = np.where(k > 0.0, 2.0 * k / np.maximum(away + k + root, 1e-300), 0.0)
    wait = busy * residual / np.maximum(1.0 - busy, 1e-12)
    seen = arrival_thinning * busy / np.maximum(arrival_thinning * busy + 1.0 - busy, 1e-12)
    return ClosedLoopWait(np.asarray(wait, dtype=float), np.asarray(seen, dtype=float))


#: Fixed-point iterations for the waiting probability of gamma arrivals (contracting: a few
#: dozen reach float precision for utilisations below 0.97).
WAITING_PROBABILITY_ITERATIONS = 40


def waiting_probability(rho: np.ndarray, arrival_cv2: np.ndarray | float) -> np.ndarray:
    """Share of arrivals that wait, ``σ``, for gamma-renewal arrivals of squared CV ``c²`` at
    utilisation ``ρ``: the GI/M/1 root ``σ = A*(μ(1 − σ))`` with the gamma transform
    ``A*(s) = (1 + s/(kλ))^(−k)``, ``k = 1/c²``, i.e. ``σ = (1 + (1 − σ)/(kρ))^(−k)``.
    Poisson arrivals (``k = 1``) give ``σ = ρ``; clustered ones (``c > 1``) find the server
    busy more often than ``ρ`` (``c = 1.5``, ``ρ = 0.3``: σ ≈ 0.51), so more of them wait, for
    the same Kingman mean."""
    rho = clamp(np.asarray(rho, dtype=float), 1e-9, 0.999)
    k = 1.0 / np.maximum(np.asarray(arrival_cv2, dtype=float), 1e-6)
    if not any_true(k != 1.0):
        return rho
    sigma = rho.copy()
    for _ in range(WAITING_PROBABILITY_ITERATIONS):
        sigma = (1.0 + (1.0 - sigma) / (k * rho)) ** (-k)
    return np.asarray(clamp(np.maximum(sigma, rho), rho, 0.999), dtype=float)


def exponential_wait(mean_s: np.ndarray, share: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per-sample waits (s) with mean ``mean_s`` of which a ``share`` of requests wait at all,
    exponentially (the M/M/1 shape): zero for ``u ≤ 1 − q``, else ``(W/q)·ln(q/(1 − u))`` at
    the grid's uniforms ``u`` (a row) for per-scenario ``W`` and ``q``."""
    return np.asarray(
        np.where(
            u > 1 - columns(share),
            columns(mean_s / share) * np.log(columns(share) / np.maximum(1 - u, 1e-12)),
            0.0,
        ),
        dtype=float,
    )


def prefill_service_moments(
    prompt: np.ndarray, prompt_cv: np.ndarray, s_per_token: np.ndarray, pair_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and squared coefficient of variation of one prompt's prefill time at the full
    budget, ``S(x) = a·x + b·x²`` with ``b = pair_s / 2`` and ``a`` such that ``S(I) =
    I × s_per_token``, over lognormal prompt lengths (``E[x^k] = I^k (1 + cv²)^(k(k−1)/2)``).
    Linear in ``x`` (no attention), ``cv²`` is the prompt's; attention makes long prompts
    disproportionately slow and the service time more variable."""
    b = pair_s / 2.0
    a = s_per_token - b * prompt
    w = 1.0 + prompt_cv**2
    m1, m2, m3, m4 = prompt, prompt**2 * w, prompt**3 * w**3, prompt**4 * w**6
    mean = a * m1 + b * m2
    second = a * a * m2 + 2.0 * a * b * m3 + b * b * m4
    safe = np.maximum(mean, 1e-30)
    return mean, np.maximum(second / safe**2 - 1.0, 0.0)


def cluster_wait(
    inp: FluidInputs, st: SteadyState, prompt: np.ndarray, rate: np.ndarray, points: int
) -> np.ndarray:
    """Extra wait of clustered arrivals behind their predecessor's prefill (s, per sample).

    Kingman's wait at the prefill budget prices a prompt's share of budget-sized steps; a
    request that arrives right after another waits for that one's whole prefill, steps and
    their fixed cost included (``S = max(1, I/budget)·t_r + I·(t_mix − t_dec)/p``, ``t_r`` the
    decode step a prefill step carries, :attr:`~SteadyState.prefill_ride_s`). Gamma
    arrivals with CV ``c > 1`` do so far more often than Poisson ones: the excess of the
    light-traffic wait (:func:`light_traffic_wait`) over Poisson's, ``W_c − W_1`` with
    probability ``P_c − P_1``, spread exponentially over that share of requests (an
    independent sample dimension). Zero for Poisson or smoother arrivals."""
    if not any_true(inp.arrival_cv > 1.0):
        return np.zeros((prompt.shape[0], points))
    lone_s = np.maximum(1.0, prompt / st.budget) * st.prefill_ride_s + prompt * (
        st.t_mix - st.t_dec
    ) / np.maximum(st.prefill_step_tokens, 1.0)
    # Where prefill batches chain, the predecessor's whole batch (its share of a merged step
    # fell as the load rose, and a clustered load's TTFT p99 with it: 13 falls in
    # `bench/perf_monotonicity.py --engine sglang --cv 2`).
    lone_s = np.where(st.chains(), np.maximum(lone_s, st.chain_batch_s), lone_s)
    wait_c, share_c = light_traffic_wait(rate, np.maximum(inp.arrival_cv, 1.0), lone_s)
    wait_1, share_1 = light_traffic_wait(rate, np.ones_like(rate), lone_s)
    extra = np.maximum(wait_c - wait_1, 0.0)
    share = clamp(share_c - share_1, 1e-9, 1.0)
    tail = exponential_wait(extra, share, grid(5, points)[None, :])
    return np.where((extra > 0)[:, None], tail, 0.0)


def light_traffic_wait(
    rate: np.ndarray, arrival_cv: np.ndarray, service_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Light-traffic GI/G/1 wait at the prefill budget: ``(E[W], P(W > 0))`` for a request
    that only meets its predecessor's prefill (Lindley, ``W = (S − A)⁺``).

    Inter-arrival times ``A`` are gamma (shape ``k = 1/c²``, mean ``1/λ``), ``S`` the mean
    prefill service time: ``P(W > 0) = P(k, λkS)`` and ``E[W] = S·P(k, λkS) − P(k + 1,
    λkS)/λ`` (``P`` the regularized lower incomplete gamma). For Poisson arrivals both are
    below Kingman's (``1 − e^(−ρ) ≤ ρ``; ``E[W] ≤ λS²/2``)."""
    shape = 1.0 / np.maximum(arrival_cv, 0.05) ** 2
    lam = np.maximum(rate, 1e-12)
    x = np.minimum(lam * shape * service_s, shape * MAX_STOCHASTIC_UTILISATION)
    p0 = regularized_lower_gamma(shape, x)
    p1 = regularized_lower_gamma(shape + 1.0, x)
    wait = np.maximum(service_s * p0 - p1 / lam, 0.0)
    return np.where(rate > 0, wait, 0.0), np.where(rate > 0, p0, 0.0)


__all__ = [
    "INCOMPLETE_GAMMA_TERMS",
    "MAX_STOCHASTIC_UTILISATION",
    "cluster_wait",
    "exponential_wait",
    "kingman_wait",
    "light_traffic_wait",
    "prefill_service_moments",
    "regularized_lower_gamma",
]
