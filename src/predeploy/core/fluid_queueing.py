"""Queueing waits of the fluid serving model (see ``core.fluid``): seconds, vectorized.

A prompt waits for the prefill budget, which the engine spends on one prompt after another.
With ``S`` the prefill service time of a prompt at the full budget (mean and squared CV from
:func:`prefill_service_moments`, attention making long prompts disproportionately slow) and
``ρ = λ·S`` (capped at :data:`MAX_STOCHASTIC_UTILISATION`), Kingman's G/G/1 wait::

    W = ρ/(1 − ρ) · (c_a² + c_s²)/2 · S          (:func:`kingman_wait`)

sampled per request as zero with probability ``1 − ρ`` and exponential with mean ``W/ρ``
otherwise (:func:`exponential_wait`). Clustered (gamma, CV > 1) arrivals find it busy more
often, a share ``σ > ρ`` (the GI/M/1 root, :func:`waiting_probability`), and wait longer
than Kingman's formula says: :func:`budget_queue_mean_wait`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from predeploy.core.fluid_stats import (
    INCOMPLETE_GAMMA_TERMS,
    any_true,
    clamp,
    columns,
    regularized_lower_gamma,
)

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


def budget_queue_mean_wait(
    rho: np.ndarray, arrival_cv: np.ndarray, service_s: np.ndarray, service_cv2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean wait (s) at the prefill budget and the share of arrivals that wait, for arrivals
    of CV ``c`` at utilisation ``rho`` (service of mean ``S``, squared CV ``c_s²``).

    Poisson and smoother arrivals: Kingman's mean. Clustered (gamma, ``c > 1``) ones: the
    GI/M/1 share ``σ`` (:func:`waiting_probability`) waiting ``S/(1 − σ)`` on average for
    exponential service, scaled by ``(c² + c_s²)/(c² + 1)`` for the service's own spread —
    Pollaczek-Khinchine's ``(1 + c_s²)/2`` at ``c = 1``, and nearer 1 the more the arrivals'
    clustering, not the service, makes the queue. Against Lindley's recursion over 300,000
    gamma arrivals (CV 1.5 and 2, ρ = 0.1-0.7, service CV² 0-1) the mean is within 8 %
    (under by up to 8 % at light load and low service spread, exact for exponential service:
    ``tests/unit/core/test_fluid_queueing.py``); the ``(1 + c_s²)/2`` it replaces (session
    87) put it 20-40 % under, a light-traffic excess behind the predecessor's prefill, added
    on top, making up part of that."""
    cv = np.asarray(arrival_cv, dtype=float)
    cv2 = cv**2
    kingman = kingman_wait(rho, cv2, service_cv2, service_s)
    sigma = waiting_probability(rho, cv2)
    clustered = sigma * service_s / (1.0 - sigma) * (cv2 + service_cv2) / (cv2 + 1.0)
    return np.asarray(np.where(cv > 1.0, clustered, kingman), dtype=float), sigma


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


__all__ = [
    "INCOMPLETE_GAMMA_TERMS",
    "MAX_STOCHASTIC_UTILISATION",
    "budget_queue_mean_wait",
    "exponential_wait",
    "kingman_wait",
    "prefill_service_moments",
    "regularized_lower_gamma",
]
