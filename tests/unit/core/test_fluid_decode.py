"""The open-loop TPOT count of prefill bursts (core.fluid_decode): stall units per count."""

from __future__ import annotations

import numpy as np
import pytest

from predeploy.core.fluid_decode import _mean_keeping_theta, _stall_units
from predeploy.core.poisson_counts import cluster_count_quantiles

#: A fine, even grid of probability levels (mid-points of 20,000 strata).
LEVELS = (np.arange(20_000) + 0.5) / 20_000


def _units(theta: float, ratio: float) -> np.ndarray:
    means = np.full(LEVELS.size, theta)
    count, within = cluster_count_quantiles(means, np.full(LEVELS.size, ratio), LEVELS)
    return _stall_units(count, within)


@pytest.mark.parametrize(("theta", "ratio"), [(0.7, 0.0), (1.5, 0.3), (3.0, 0.5)])
def test_stall_units_rise_with_the_level(theta: float, ratio: float) -> None:
    units = _units(theta, ratio)
    assert units[0] == 0.0 and np.all(np.diff(units) >= 0.0)


def test_no_jump_from_one_count_to_the_next() -> None:
    """The top of each count's range is the bottom of the next's, from none to one too: one
    burst costs from a sliver up to 1½ stalls, k ≥ 2 bursts k ± ½."""
    counts = np.arange(6, dtype=float)
    top = _stall_units(counts[:-1], np.ones(5))
    bottom = _stall_units(counts[1:], np.zeros(5))
    assert np.allclose(top, bottom)
    assert _stall_units(np.array([1.0, 1.0]), np.array([0.0, 1.0])).tolist() == [0.0, 1.5]


@pytest.mark.parametrize(("theta", "ratio"), [(0.3, 0.0), (0.7, 0.2), (1.5, 0.3), (3.0, 0.5)])
def test_the_raised_count_keeps_the_mean_stall(theta: float, ratio: float) -> None:
    """A single burst costs ¾ of a stall on average; the raised first parameter gives back
    the generalized Poisson mean θ/(1 − r) (to the first-order step's accuracy)."""
    raised = float(_mean_keeping_theta(np.array([theta]), np.array([ratio]))[0])
    assert raised > theta
    assert _units(raised, ratio).mean() == pytest.approx(theta / (1 - ratio), rel=0.02)
    # Without the correction the single bursts' lost quarter shows.
    assert _units(theta, ratio).mean() < theta / (1 - ratio)
