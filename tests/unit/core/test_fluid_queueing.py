"""Queueing waits of the fluid model (core.fluid_queueing): closed forms against known cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from predeploy.core.fluid_queueing import (
    budget_queue_mean_wait,
    closed_loop_wait,
    exponential_wait,
    kingman_wait,
    prefill_service_moments,
    regularized_lower_gamma,
    waiting_probability,
)
from predeploy.core.fluid_stats import grid


def test_kingman_wait_is_m_m_1_and_m_d_1_in_their_cases() -> None:
    rho, service = np.array([0.2, 0.5, 0.9]), np.array([0.1, 0.1, 0.1])
    # M/M/1: W = ρ/(1 − ρ)·S; M/D/1 half of it.
    assert kingman_wait(rho, 1.0, np.ones(3), service) == pytest.approx(rho / (1 - rho) * service)
    assert kingman_wait(rho, 1.0, np.zeros(3), service) == pytest.approx(
        rho / (1 - rho) * service / 2
    )


def test_exponential_wait_has_its_mean_and_its_share_of_waiting_requests() -> None:
    u = grid(2, 4096)[None, :]
    mean, share = np.array([0.3, 2.0]), np.array([0.25, 0.9])
    samples = exponential_wait(mean, share, u)
    assert samples.mean(axis=1) == pytest.approx(mean, rel=0.01)
    assert (samples > 0).mean(axis=1) == pytest.approx(share, abs=1e-3)
    assert np.all(samples >= 0.0)


def test_regularized_lower_gamma_matches_closed_forms() -> None:
    x = np.array([0.01, 0.1, 0.5, 0.9])
    # P(1, x) = 1 − e^(−x); P(1/2, x) = erf(√x); P(2, x) = 1 − (1 + x) e^(−x).
    assert regularized_lower_gamma(np.ones(4), x) == pytest.approx(1.0 - np.exp(-x), rel=1e-9)
    erf = np.array([math.erf(math.sqrt(v)) for v in x])
    assert regularized_lower_gamma(np.full(4, 0.5), x) == pytest.approx(erf, rel=1e-9)
    two = 1.0 - (1.0 + x) * np.exp(-x)
    assert regularized_lower_gamma(np.full(4, 2.0), x) == pytest.approx(two, rel=1e-9)
    assert regularized_lower_gamma(np.ones(1), np.zeros(1))[0] == 0.0


def _lindley_mean_wait(cv: float, rho: float, service_cv2: float, n: int = 200_000) -> float:
    """Mean wait of ``n`` gamma arrivals of CV ``cv`` at a single server of utilisation
    ``rho`` (mean service 1, lognormal service of squared CV ``service_cv2``, fixed for 0):
    Lindley's recursion ``W_k = max(0, W_{k-1} + S_{k-1} − A_k)``, solved as ``X_k −
    min(0, min_{j≤k} X_j)`` over the partial sums ``X`` of ``S_{k-1} − A_k``."""
    rng = np.random.default_rng(7)
    shape = 1.0 / cv**2
    gaps = rng.gamma(shape, 1.0 / (shape * rho), n)
    if service_cv2 > 0.0:
        sigma = math.sqrt(math.log1p(service_cv2))
        service = rng.lognormal(-0.5 * sigma**2, sigma, n)
    else:
        service = np.ones(n)
    walk = np.concatenate([[0.0], np.cumsum(service[:-1] - gaps[1:])])
    waits = walk - np.minimum(np.minimum.accumulate(walk), 0.0)
    return float(waits[n // 10 :].mean())


@pytest.mark.parametrize("cv", [1.5, 2.0])
@pytest.mark.parametrize("rho", [0.2, 0.5])
@pytest.mark.parametrize("service_cv2", [0.0, 0.25])
def test_clustered_arrivals_wait_as_lindleys_recursion_says(
    cv: float, rho: float, service_cv2: float
) -> None:
    """The budget queue's mean wait for gamma arrivals: within 10 % of a simulated GI/G/1
    queue. Pollaczek-Khinchine's service factor ``(1 + c_s²)/2`` on the GI/M/1 wait, used
    until session 87, put it 20-40 % under."""
    mean_s, share = budget_queue_mean_wait(
        np.array([rho]), np.array([cv]), np.array([1.0]), np.array([service_cv2])
    )
    simulated = _lindley_mean_wait(cv, rho, service_cv2)
    assert mean_s[0] == pytest.approx(simulated, rel=0.1)
    sigma = waiting_probability(np.array([rho]), cv**2)[0]
    assert share[0] == sigma
    old = sigma / (1.0 - sigma) * (1.0 + service_cv2) / 2.0
    assert old < 0.85 * simulated


def test_the_budget_queue_of_poisson_arrivals_is_kingmans() -> None:
    rho, service = np.array([0.2, 0.7]), np.array([0.3, 0.3])
    cv2 = np.array([0.0, 0.5])
    mean_s, share = budget_queue_mean_wait(rho, np.ones(2), service, cv2)
    assert mean_s == pytest.approx(kingman_wait(rho, 1.0, cv2, service))
    assert share == pytest.approx(rho)


def test_prefill_service_moments_reduce_to_the_linear_case() -> None:
    prompt = np.array([1000.0, 30_000.0])
    s_per_token = np.array([1e-4, 2e-4])
    # No attention cost: the service time is linear and varies as the prompt does.
    mean, cv2 = prefill_service_moments(prompt, np.array([0.5, 0.5]), s_per_token, np.zeros(2))
    assert mean == pytest.approx(prompt * s_per_token)
    assert cv2 == pytest.approx([0.25, 0.25])
    # Fixed prompts: the mean is I × s whatever the attention cost, and nothing varies.
    mean, cv2 = prefill_service_moments(prompt, np.zeros(2), s_per_token, np.full(2, 1e-9))
    assert mean == pytest.approx(prompt * s_per_token)
    assert cv2 == pytest.approx([0.0, 0.0], abs=1e-12)
    # Variable prompts with attention: longer on average and more variable than linear.
    mean, cv2 = prefill_service_moments(prompt, np.array([0.5, 0.5]), s_per_token, np.full(2, 5e-9))
    assert np.all(mean > prompt * s_per_token) and np.all(cv2 > 0.25)


def test_clustered_arrivals_wait_more_often() -> None:
    """GI/M/1: Poisson arrivals wait with probability ρ; gamma arrivals with CV 1.5 at ρ = 0.3
    find the server busy about half the time. Smoother arrivals (CV < 1) would wait less
    often than ρ; that is not modelled (the share never falls below ρ)."""
    rho = np.array([0.1, 0.3, 0.6, 0.9])
    assert waiting_probability(rho, 1.0) == pytest.approx(rho, rel=1e-6)
    bursty = waiting_probability(rho, 2.25)
    assert bursty[1] == pytest.approx(0.50, abs=0.01)
    assert np.all(bursty > rho) and np.all(np.diff(bursty) > 0)
    assert waiting_probability(np.array([0.3]), 0.5)[0] == pytest.approx(0.3)


def test_a_closed_loop_of_one_client_never_waits() -> None:
    wait, busy = closed_loop_wait(np.array([1.0]), np.array([2.0]), np.array([0.5]), np.zeros(1))
    assert wait[0] == 0.0
    assert busy[0] == 0.0


def test_many_clients_wait_as_poisson_arrivals_do() -> None:
    # 10,000 clients away for 10,000 prefill times each: Poisson arrivals at ρ ≈ 0.5, whose
    # wait is Pollaczek-Khinchine's (Kingman's with c_a² = 1).
    service, cv2 = np.array([0.1, 0.1]), np.array([0.0, 1.0])
    clients, think = np.full(2, 10_000.0), np.full(2, 0.1 * 20_000.0)
    wait, busy = closed_loop_wait(clients, think, service, cv2)
    rho = clients / (think + service + wait) * service
    assert rho == pytest.approx([0.5, 0.5], abs=0.01)
    assert wait == pytest.approx(kingman_wait(rho, 1.0, cv2, service), rel=0.02)
    assert busy == pytest.approx(rho, rel=1e-3)


def test_a_few_clients_wait_less_than_an_open_queue_at_their_load() -> None:
    # Four clients at high load: at most three prompts ahead, so below (N − 1)·S and below the
    # open queue's wait at the same utilisation, which grows without bound as ρ → 1.
    service, cv2 = np.array([1.0]), np.array([0.25])
    wait, busy = closed_loop_wait(np.array([4.0]), np.array([0.5]), service, cv2)
    rho = 4.0 / (0.5 + 1.0 + wait) * service
    assert 0.0 < wait[0] < 3.0 * service[0]
    assert wait[0] < kingman_wait(np.minimum(rho, 0.97), 1.0, cv2, service)[0]
    assert 0.0 < busy[0] < 1.0


def test_more_clients_never_wait_less() -> None:
    clients = np.arange(1.0, 200.0)
    n = clients.size
    wait, _ = closed_loop_wait(clients, np.full(n, 5.0), np.full(n, 0.2), np.full(n, 0.5))
    assert np.all(np.diff(wait) >= -1e-9)


def test_thinned_arrivals_see_the_budget_busy_less_often() -> None:
    # Four clients of long prompts (S 1.66 s, away 11.1 s): with arrivals f times as frequent
    # while the budget is busy, an arrival sees it busy with q = f·a/(f·a + 1 − a), the wait
    # is q·(W + R) and the clients' cycle still satisfies X = N/(Z + S + W).
    clients, think, service = np.full(4, 4.0), np.full(4, 11.1), np.full(4, 1.66)
    cv2 = np.full(4, 0.72)
    f = np.array([1.0, 0.5, 0.1, 0.0])
    wait, seen = closed_loop_wait(clients, think, service, cv2, f)
    plain = closed_loop_wait(clients[:1], think[:1], service[:1], cv2[:1])
    assert (wait[0], seen[0]) == pytest.approx((plain.wait_s[0], plain.busy_share[0]))
    assert np.all(np.diff(wait) < 0) and np.all(np.diff(seen) < 0)
    assert (wait[-1], seen[-1]) == (0.0, 0.0)
    residual = service * (1.0 + cv2) / 2.0
    assert wait == pytest.approx(seen * (wait + residual))
    # a: the time-average share the other three keep busy, from the cycle they run.
    a = 3.0 * service / (think + service + wait)
    assert seen == pytest.approx(f * a / (f * a + 1.0 - a))
