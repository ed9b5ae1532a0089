"""Token-length distributions built from observed lengths."""

from __future__ import annotations

import pytest

from predeploy.core.types import TokenDistribution


def test_an_empirical_distribution_keeps_the_values_and_their_statistics() -> None:
    dist = TokenDistribution.empirical([300, 100, 200, 400] * 5)
    assert dist.kind == "empirical" and dist.values[0] == 100 and len(dist.values) == 20
    assert dist.mean == 250 and dist.stdev == pytest.approx(111.803, rel=1e-4)
    assert (dist.p95, dist.max) == (400, 400)


def test_an_empirical_distribution_needs_values() -> None:
    with pytest.raises(ValueError, match="needs values"):
        TokenDistribution.empirical([])
