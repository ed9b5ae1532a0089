"""The running batch's mean output (``lengths.running_output_tokens``)."""

from __future__ import annotations

import numpy as np
import pytest

from predeploy.core.lengths import running_output_tokens
from predeploy.core.types import TokenDistribution


def test_alike_answers_run_at_their_length() -> None:
    assert running_output_tokens(TokenDistribution.fixed(256)) == 256.0


def test_an_uncapped_spread_is_size_biased() -> None:
    dist = TokenDistribution(kind="lognormal", mean=1000, stdev=1000)
    assert running_output_tokens(dist) == pytest.approx(2000.0)  # O (1 + cv²)


def test_a_capped_spread_matches_its_samples() -> None:
    """``E[O²]/E[O]`` of the capped log-normal, scaled to the stated mean, against a million
    draws capped alike."""
    dist = TokenDistribution(kind="lognormal", mean=3800, stdev=3800 * 1.45, max=20000)
    sigma2 = np.log1p(1.45**2)
    draws = np.random.default_rng(0).lognormal(np.log(3800) - sigma2 / 2, np.sqrt(sigma2), 10**6)
    capped = np.minimum(draws, 20000.0)
    expected = 3800 * (capped**2).mean() / capped.mean() ** 2
    got = running_output_tokens(dist)
    assert got == pytest.approx(expected, rel=0.01)
    assert 3800 < got < 3800 * (1 + 1.45**2)  # the cap trims the longest answers' weight


def test_an_empirical_list_weighs_each_answer_by_its_length() -> None:
    dist = TokenDistribution(kind="empirical", mean=200, values=[100, 300])
    assert running_output_tokens(dist) == pytest.approx((100**2 + 300**2) / 400)
