"""Counts of gamma-renewal arrivals (``core.renewal_counts``) against simulated arrivals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from predeploy.core.renewal_counts import (
    TABLE_MAX_COUNT,
    empty_window_probability,
    renewal_function,
)

WINDOWS = np.array([0.001, 0.05, 0.2, 0.5, 1.0, 2.0, 3.9, 8.0])


def _arrivals(cv: float, seed: int = 0, count: int = 400_000) -> np.ndarray:
    """Arrival times of a unit-rate gamma renewal process of inter-arrival CV ``cv``."""
    shape = 1.0 / cv**2
    return np.cumsum(np.random.default_rng(seed).gamma(shape, 1.0 / shape, size=count))


def _neighbours_after(times: np.ndarray, window: float) -> np.ndarray:
    """Other arrivals within ``window`` after each arrival (all but the last few)."""
    starts = np.arange(0, times.size - 100, 7)
    return np.searchsorted(times, times[starts] + window, side="right") - starts - 1


@pytest.mark.parametrize("cv", [1.0, 1.25, 1.5, 2.0])
def test_the_mean_count_is_the_renewal_function(cv: float) -> None:
    times = _arrivals(cv)
    mean = renewal_function(WINDOWS[None, :], np.array([cv]))[0]
    simulated = np.array([_neighbours_after(times, w).mean() for w in WINDOWS])
    assert mean == pytest.approx(simulated, rel=0.03, abs=1e-3)  # a few hundred events at 0.001


def test_clustered_arrivals_have_more_neighbours_and_poisson_ones_m() -> None:
    mean = renewal_function(np.tile(WINDOWS, (3, 1)), np.array([1.0, 1.5, 2.0]))
    assert mean[0] == pytest.approx(WINDOWS, rel=0.02)
    assert (mean[1] > mean[0]).all() and (mean[2] > mean[1]).all()
    # Long windows: the renewal theorem's m + (c² − 1)/2.
    assert mean[2, -1] == pytest.approx(8.0 + 1.5, rel=0.02)


@given(cv=st.floats(min_value=1.0, max_value=3.0))
def test_the_mean_count_never_falls_as_the_window_grows(cv: float) -> None:
    m = np.geomspace(1e-5, 4 * TABLE_MAX_COUNT, 200)[None, :]
    assert (np.diff(renewal_function(m, np.array([cv]))[0]) >= -1e-12).all()


@pytest.mark.parametrize("cv", [1.0, 1.5, 2.0])
def test_the_chance_of_an_empty_window(cv: float) -> None:
    times = _arrivals(cv)
    starts = np.random.default_rng(1).uniform(0.0, times[-100], 100_000)
    for window in (0.05, 0.5, 2.0):
        empty = np.mean(np.searchsorted(times, starts + window) == np.searchsorted(times, starts))
        assert float(empty_window_probability(np.array([window]), np.array([cv]))[0]) == (
            pytest.approx(empty, abs=0.01)
        )
    # Poisson arrivals, and smoother ones, priced as Poisson.
    for smooth in (1.0, 0.5):
        assert float(empty_window_probability(np.array([0.7]), np.array([smooth]))[0]) == (
            pytest.approx(np.exp(-0.7))
        )
