"""Poisson and Poisson-cluster counts: quantiles against their distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from predeploy.core.poisson_counts import (
    MAX_CLUSTER_RATIO,
    cluster_count_quantiles,
    poisson_pmf,
    poisson_quantiles,
)

#: A fine, even grid of probability levels (mid-points of 20,000 strata).
LEVELS = (np.arange(20_000) + 0.5) / 20_000


def test_poisson_quantiles_invert_the_cdf() -> None:
    means = np.full(5, 2.5)
    u = np.array([0.01, 0.2, 0.5, 0.8, 0.99])
    cdf = np.cumsum(poisson_pmf(2.5, 20))
    expected = [int(np.searchsorted(cdf, x)) for x in u]
    assert poisson_quantiles(means, u).tolist() == expected


def test_a_cluster_count_without_offspring_is_poisson() -> None:
    means = np.full(LEVELS.size, 3.0)
    count, _ = cluster_count_quantiles(means, np.zeros_like(means), LEVELS)
    assert np.array_equal(count, poisson_quantiles(means, LEVELS))


@pytest.mark.parametrize(("theta", "ratio"), [(1.0, 0.3), (2.0, 0.5), (0.5, 0.7)])
def test_cluster_count_moments_are_the_generalized_poisson(theta: float, ratio: float) -> None:
    """Mean θ/(1 − r) and variance θ/(1 − r)³: a Galton-Watson total progeny with Poisson
    offspring of mean r, started by Poisson(θ) events."""
    means = np.full(LEVELS.size, theta)
    count, within = cluster_count_quantiles(means, np.full(LEVELS.size, ratio), LEVELS)
    # The tracked range (64) cuts a negligible tail at these parameters.
    assert count.mean() == pytest.approx(theta / (1 - ratio), rel=0.02)
    assert count.var() == pytest.approx(theta / (1 - ratio) ** 3, rel=0.08)
    assert np.all((within >= 0.0) & (within <= 1.0))
    # P(K = 0) = e^(−θ): the levels below it give no events.
    assert np.mean(count == 0) == pytest.approx(math.exp(-theta), abs=1e-3)


def test_within_atom_position_is_uniform_and_ratio_is_capped() -> None:
    means = np.full(LEVELS.size, 2.0)
    count, within = cluster_count_quantiles(means, np.full(LEVELS.size, 0.4), LEVELS)
    for k in range(4):
        inside = within[count == k]
        assert inside.mean() == pytest.approx(0.5, abs=0.02)
    capped, _ = cluster_count_quantiles(means[:3], np.full(3, 5.0), LEVELS[:3])
    at_cap, _ = cluster_count_quantiles(means[:3], np.full(3, MAX_CLUSTER_RATIO), LEVELS[:3])
    assert np.array_equal(capped, at_cap)


def test_cluster_count_quantiles_do_not_depend_on_how_many_levels_are_priced_together() -> None:
    # Thousands of levels are counted one count per call, a few levels many counts per call.
    rng = np.random.default_rng(3)
    theta = rng.exponential(6.0, 4000)
    ratio = rng.uniform(0.0, 0.9, 4000)
    level = rng.uniform(0.0, 1.0, 4000)
    together = cluster_count_quantiles(theta, ratio, level)
    for chunk in np.array_split(np.arange(4000), 400):
        alone = cluster_count_quantiles(theta[chunk], ratio[chunk], level[chunk])
        np.testing.assert_array_equal(alone.events, together.events[chunk])
        np.testing.assert_allclose(alone.within, together.within[chunk], rtol=1e-9, atol=1e-12)
