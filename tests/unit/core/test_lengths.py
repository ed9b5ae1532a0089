"""The running batch's mean output (``lengths.running_output_tokens``), the capped moments
it rests on, the age of a started run's answers (``lengths.started_run_age_share``, its mean
over a run ``run_mean_age_share``) and a wave's fullest context (``wave_peak_context``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from predeploy.core.lengths import (
    capped_lognormal_moments,
    clipped_mean_stdev,
    lognormal_cv,
    lognormal_mean_before_cut,
    lognormal_parameters,
    run_mean_age_share,
    running_output_tokens,
    started_run_age_share,
    wave_peak_context,
)
from predeploy.core.types import TokenDistribution


def test_alike_answers_run_at_their_length() -> None:
    assert running_output_tokens(TokenDistribution.fixed(256)) == 256.0


def test_an_uncapped_spread_is_size_biased() -> None:
    dist = TokenDistribution(kind="lognormal", mean=1000, stdev=1000)
    assert running_output_tokens(dist) == pytest.approx(2000.0)  # O (1 + cv²)


def test_a_capped_spread_matches_its_samples() -> None:
    """``E[O²]/E[O]`` of the capped log-normal against a million draws capped alike (as the
    simulation draws them)."""
    dist = TokenDistribution(kind="lognormal", mean=3800, stdev=3800 * 1.45, max=20000)
    sigma2 = np.log1p(1.45**2)
    draws = np.random.default_rng(0).lognormal(np.log(3800) - sigma2 / 2, np.sqrt(sigma2), 10**6)
    capped = np.minimum(draws, 20000.0)
    expected = (capped**2).mean() / capped.mean()
    got = running_output_tokens(dist)
    assert got == pytest.approx(expected, rel=0.01)
    assert 3800 < got < 3800 * (1 + 1.45**2)  # the cap trims the longest answers' weight


def test_an_empirical_list_weighs_each_answer_by_its_length() -> None:
    dist = TokenDistribution(kind="empirical", mean=200, values=[100, 300])
    assert running_output_tokens(dist) == pytest.approx((100**2 + 300**2) / 400)


def _started_run_age(mean: float, cv: float, elapsed: np.ndarray, clients: int) -> np.ndarray:
    """Monte Carlo of ``clients`` renewal processes of log-normal answers started at 0: the
    mean age of the current answer at each ``elapsed``."""
    rng = np.random.default_rng(0)
    sigma = np.sqrt(np.log1p(cv * cv))

    def draw(n: int) -> np.ndarray:
        return rng.lognormal(np.log(mean) - sigma**2 / 2.0, sigma, n)

    start, length = np.zeros(clients), draw(clients)
    ages = []
    for t in elapsed:
        while (done := start + length <= t).any():
            start[done] += length[done]
            length[done] = draw(int(done.sum()))
        ages.append(float((t - start).mean()))
    return np.array(ages)


@pytest.mark.parametrize(("mean", "cv"), [(205.0, 2.0), (300.0, 0.8), (4000.0, 1.0)])
def test_a_started_runs_answers_age_as_their_renewal_does(mean: float, cv: float) -> None:
    elapsed = mean * np.array([0.25, 1.0, 4.0, 16.0])
    got = started_run_age_share(mean, cv, math.inf, elapsed)
    steady = mean * (1.0 + cv * cv) / 2.0
    assert got == pytest.approx(_started_run_age(mean, cv, elapsed, 50_000) / steady, abs=0.015)
    assert np.all(np.diff(got) > 0.0)


def test_a_started_runs_capped_answers_reach_the_steady_age() -> None:
    got = started_run_age_share(205.0, 2.0, 2044.0, np.array([0.0, 205.0, 20_000.0]))
    assert got[0] == 0.0
    assert 0.25 < got[1] < 0.35
    assert got[2] == pytest.approx(1.0, abs=0.01)


def test_capped_moments_of_alike_and_uncapped_lengths() -> None:
    assert capped_lognormal_moments(256.0, 0.0, math.inf) == (256.0, 256.0**2)
    assert capped_lognormal_moments(256.0, 0.0, 100.0) == (100.0, 100.0**2)
    first, second = capped_lognormal_moments(205.0, 2.0, math.inf)
    assert (first, second) == pytest.approx((205.0, 205.0**2 * 5.0))


def test_a_runs_mean_age_is_the_mean_of_its_age_curve() -> None:
    steps = 4.0 * 205.0
    fine = started_run_age_share(205.0, 2.0, 2044.0, np.linspace(0.0, steps, 2001))
    assert run_mean_age_share(205.0, 2.0, 2044.0, steps) == pytest.approx(fine.mean(), abs=0.005)
    assert run_mean_age_share(205.0, 2.0, 2044.0, 0.0) == 0.0


def test_a_longer_run_holds_older_answers_but_never_the_steady_state() -> None:
    shares = [run_mean_age_share(205.0, 2.0, 2044.0, k * 205.0) for k in (1, 4, 16, 64)]
    assert np.all(np.diff(shares) > 0.0)
    assert shares[0] > 0.0 and shares[-1] < 1.0
    # The mean over a run lags the age at its end.
    end = started_run_age_share(205.0, 2.0, 2044.0, np.array([4.0 * 205.0]))[0]
    assert shares[1] < end


def test_a_wave_of_alike_answers_is_fullest_at_its_end() -> None:
    got = wave_peak_context(
        np.array([512.0, 512.0]), np.array([256.0, 256.0]), np.zeros(2), np.array([math.inf, 200.0])
    )
    assert got == pytest.approx([512.0 + 256.0, 512.0 + 200.0])


def test_a_wave_of_dispersed_answers_is_fullest_early() -> None:
    """Most ShareGPT-like answers are short: the wave holds little more than its prompts at
    its fullest, far less than each prompt and half its mean answer."""
    prompt, mean = np.full(3, 225.0), np.full(3, 205.0)
    got = wave_peak_context(prompt, mean, np.array([0.5, 1.0, 2.0]), np.full(3, 2044.0))
    assert np.all(np.diff(got) < 0.0)  # the more dispersed, the earlier and lower the peak
    assert 225.0 <= got[-1] < 225.0 + 205.0 / 2.0
    assert got[0] < 225.0 + 205.0


def _cut_draws(mean: float, cv: float, cap: float) -> np.ndarray:
    """A million log-normal lengths of ``mean`` and ``cv`` cut at ``cap``, as sampled."""
    sigma2 = np.log1p(cv**2)
    draws = np.random.default_rng(1).lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), 10**6)
    return np.minimum(draws, cap)


def test_a_cut_spread_has_the_moments_of_its_samples() -> None:
    """Prompts of 800 ± 1,600 tokens cut at 8,000: the lengths drawn average 762 ± 1,168,
    as the closed form says; without a cut, or for other kinds, the stated figures."""
    mean, stdev = clipped_mean_stdev(TokenDistribution(kind="lognormal", mean=800, stdev=1600,
                                                       max=8000))
    draws = _cut_draws(800, 2.0, 8000)
    assert mean == pytest.approx(draws.mean(), rel=0.01)
    assert stdev == pytest.approx(draws.std(), rel=0.02)
    assert clipped_mean_stdev(TokenDistribution(kind="lognormal", mean=800, stdev=1600)) == (
        800.0,
        1600.0,
    )
    assert clipped_mean_stdev(TokenDistribution.fixed(300)) == (300.0, 0.0)


@pytest.mark.parametrize(("mean", "cv", "cap"), [(205, 2.0, 2044), (281, 0.78, 843)])
def test_a_measured_mean_of_cut_lengths_puts_the_log_normal_above_it(
    mean: float, cv: float, cap: float
) -> None:
    """ShareGPT's answers (205 tokens on average, CV 2, cut at 2,044) come from a log-normal
    of mean 216; cut, its draws average the measured 205."""
    before = lognormal_mean_before_cut(mean, cv, cap)
    assert before > mean
    assert _cut_draws(before, cv, cap).mean() == pytest.approx(mean, rel=0.01)
    assert lognormal_mean_before_cut(mean, 0.0, cap) == mean
    assert lognormal_mean_before_cut(mean, cv, math.inf) == mean


def test_a_spread_stated_by_its_p95_alone_is_the_one_drawn() -> None:
    """A log-normal stated by its p95 (no stdev) is drawn with the σ the p95 implies
    (``lognormal_parameters``); its CV, moments and running output are that spread's, as
    if the stdev had been stated."""
    by_p95 = TokenDistribution(kind="lognormal", mean=800, p95=2000, max=8000)
    cv = lognormal_cv(by_p95)
    sigma = lognormal_parameters(by_p95)[1]
    assert cv == pytest.approx(math.sqrt(math.expm1(sigma**2))) and 0.5 < cv < 1.0
    by_stdev = TokenDistribution(kind="lognormal", mean=800, stdev=800 * cv, max=8000)
    assert clipped_mean_stdev(by_p95) == pytest.approx(clipped_mean_stdev(by_stdev))
    assert running_output_tokens(by_p95) == pytest.approx(running_output_tokens(by_stdev))
    assert lognormal_cv(TokenDistribution(kind="lognormal", mean=800)) == 0.0
