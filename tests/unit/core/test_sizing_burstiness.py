"""Bursty traffic spread over replicas (sizing.replica_burstiness_cv)."""

from __future__ import annotations

import math

import pytest

from predeploy.core.sizing import replica_burstiness_cv


def test_one_replica_sees_the_whole_stream() -> None:
    assert replica_burstiness_cv(1.5, 1) == 1.5


def test_poisson_stays_poisson_and_bursts_spread() -> None:
    assert replica_burstiness_cv(1.0, 8) == 1.0
    # p-thinning of a renewal stream: c² = 1 + (1.5² − 1)/4.
    assert replica_burstiness_cv(1.5, 4) == pytest.approx(math.sqrt(1.3125))
    values = [replica_burstiness_cv(1.5, r) for r in (1, 2, 4, 16, 256)]
    assert values == sorted(values, reverse=True)
    assert values[-1] == pytest.approx(1.0, abs=0.01)
