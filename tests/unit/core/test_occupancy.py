"""Counts of whole contexts that fit in a KV cache (``occupancy.expected_whole_fits``)."""

from __future__ import annotations

import numpy as np
import pytest

from predeploy.core.occupancy import expected_whole_fits


def _fits(limit: float, capacity: float, mean: float, variance: float) -> float:
    one = np.array([1.0])
    return float(expected_whole_fits(limit * one, capacity * one, mean * one, variance * one)[0])


def _drawn(limit: float, capacity: float, mean: float, cv: float, draws: int = 200_000) -> float:
    """``E[min(limit, N)]`` over drawn lognormal contexts (``N``: whole ones in ``capacity``)."""
    rng = np.random.default_rng(7)
    sigma = np.sqrt(np.log1p(cv * cv))
    sizes = mean * np.exp(rng.normal(-0.5 * sigma * sigma, sigma, (draws, 64)))
    whole = (np.cumsum(sizes, axis=1) <= capacity).sum(axis=1)
    below = np.floor(limit)
    count = np.minimum(whole, below) + (limit - below) * (whole >= below + 1)
    return float(count.mean())


@pytest.mark.parametrize("tokens_worth", [2.3, 7.9, 15.3])
@pytest.mark.parametrize(("cv", "tolerance"), [(0.3, 0.02), (0.5, 0.05), (1.0, 0.2)])
def test_varied_contexts_fit_as_many_whole_as_drawn(
    tokens_worth: float, cv: float, tolerance: float
) -> None:
    """Against drawn lognormal contexts, for as many clients as fit in tokens and for many
    more: within a few hundredths of a context up to a CV of 0.5; the model's normal sums
    miss the skew of CV 1 by up to 0.16 (2.3 contexts' worth: 1.59 against 1.75)."""
    mean = 30_000.0
    capacity = tokens_worth * mean
    variance = (cv * mean) ** 2
    for limit in (tokens_worth, 40.0):
        expected = _drawn(limit, capacity, mean, cv)
        assert _fits(limit, capacity, mean, variance) == pytest.approx(expected, abs=tolerance)


def test_alike_contexts_fit_the_floor_of_the_tokens_worth() -> None:
    """A context that exactly fills the room left fits."""
    for tokens_worth in (1.0, 2.3, 7.99, 15.0):
        for limit in (1.0, 3.0, 3.5, 100.0):
            expected = min(limit, np.floor(tokens_worth))
            assert _fits(limit, tokens_worth * 1000.0, 1000.0, 0.0) == pytest.approx(expected)


def test_many_varied_contexts_fit_the_renewal_mean() -> None:
    """Well past the first few: ``C/m + (cv² − 1)/2`` on average, below the tokens' worth
    unless the contexts vary more than exponentially."""
    for cv in (0.5, 1.0, 1.5):
        fit = 60.0
        got = _fits(1e6, fit * 100.0, 100.0, (cv * 100.0) ** 2)
        assert got == pytest.approx(fit + (cv * cv - 1.0) / 2.0, abs=0.02)


def test_more_room_or_more_clients_never_fit_fewer() -> None:
    limits = np.linspace(0.5, 30.0, 60)
    counts = [_fits(x, 12.0 * 500.0, 500.0, 300.0**2) for x in limits]
    assert np.all(np.diff(counts) >= -1e-12)
    capacities = np.linspace(500.0, 20_000.0, 60)
    counts = [_fits(12.0, c, 500.0, 300.0**2) for c in capacities]
    assert np.all(np.diff(counts) >= -1e-12)
    assert all(c <= 12.0 + 1e-12 for c in counts)
